//! Gate.io v4 spot dialect (`/ws/v4/`): one channel per request with its payload and an `id`
//! echoed in the reply, `spot.ping`/`spot.pong`, `spot.order_book_update` diffs with `U`/`u`
//! (the snapshot is the REST `order_book` the simulator also serves), trades and book ticker.

use super::dialect::{Dialect, Ev, Session, levels, px, qty};

pub(crate) struct Gate;

fn head(channel: &str, ms: u64) -> String {
    format!(r#""time":{},"time_ms":{ms},"channel":"{channel}""#, ms / 1000)
}

impl Dialect for Gate {
    fn request(&mut self, text: &str, s: &mut Session) -> Vec<String> {
        let v: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
        let ms = super::dialect::now_ms();
        let channel = v.get("channel").and_then(|c| c.as_str()).unwrap_or("").to_owned();
        if channel == "spot.ping" {
            return vec![format!(r#"{{{},"event":"","result":null}}"#, head("spot.pong", ms))];
        }
        let id = v.get("id").cloned().unwrap_or(serde_json::Value::Null);
        let event = v.get("event").and_then(|e| e.as_str()).unwrap_or("").to_owned();
        let payload: Vec<String> = v
            .get("payload")
            .and_then(|p| p.as_array())
            .into_iter()
            .flatten()
            .filter_map(|x| x.as_str().map(str::to_owned))
            .collect();
        let key = format!("{channel}|{}", payload.join(","));
        let pair_known = payload.iter().any(|p| s.symbol(p).is_some());
        let error = |code: i64, message: &str| {
            serde_json::json!({"time": ms / 1000, "time_ms": ms, "id": id, "channel": channel, "event": event,
                "error": {"code": code, "message": message}, "result": null})
            .to_string()
        };
        match event.as_str() {
            "subscribe" if s.faults.refuse.contains(&key) || !pair_known => vec![error(2, "unknown currency pair")],
            "subscribe" | "unsubscribe" => {
                if event == "subscribe" {
                    s.subs.insert(key);
                } else {
                    s.subs.remove(&key);
                }
                vec![
                    serde_json::json!({"time": ms / 1000, "time_ms": ms, "id": id, "channel": channel, "event": event,
                    "result": {"status": "success"}})
                    .to_string(),
                ]
            }
            _ => vec![error(1, "invalid request")],
        }
    }

    fn event(&mut self, ev: &Ev, s: &mut Session) -> Vec<String> {
        let pair = s.books[ev.sym()].symbol.clone();
        match ev {
            Ev::Depth { first, last, bids, asks, ms, .. }
                if s.subs.contains(&format!("spot.order_book_update|{pair},100ms")) =>
            {
                vec![format!(
                    r#"{{{},"event":"update","result":{{"t":{ms},"e":"depthUpdate","E":{},"s":"{pair}","U":{first},"u":{last},"b":[{}],"a":[{}]}}}}"#,
                    head("spot.order_book_update", *ms),
                    ms / 1000,
                    levels(bids),
                    levels(asks)
                )]
            }
            Ev::Trade { id, price, qty: q, buy, ms, .. } if s.subs.contains(&format!("spot.trades|{pair}")) => {
                vec![format!(
                    r#"{{{},"event":"update","result":{{"id":{id},"create_time":{},"create_time_ms":"{ms}.000","side":"{}","currency_pair":"{pair}","amount":"{}","price":"{}"}}}}"#,
                    head("spot.trades", *ms),
                    ms / 1000,
                    if *buy { "buy" } else { "sell" },
                    qty(*q),
                    px(*price)
                )]
            }
            Ev::Top { id, bid, ask, ms, .. } if s.subs.contains(&format!("spot.book_ticker|{pair}")) => {
                vec![format!(
                    r#"{{{},"event":"update","result":{{"t":{ms},"u":{id},"s":"{pair}","b":"{}","B":"{}","a":"{}","A":"{}"}}}}"#,
                    head("spot.book_ticker", *ms),
                    px(bid.0),
                    qty(bid.1),
                    px(ask.0),
                    qty(ask.1)
                )]
            }
            _ => Vec::new(),
        }
    }

    fn malformed(&self) -> String {
        r#"{"channel":"spot.trades","event":"update","result":{"price":"#.into()
    }
}
