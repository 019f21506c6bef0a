//! Binance's dialect: raw `/ws/<stream>` and combined `/stream?streams=...` endpoints,
//! `SUBSCRIBE`/`UNSUBSCRIBE`/`LIST_SUBSCRIPTIONS` with acks, spot or USD-M payloads.

use mdbus_sim::dialect::{Dialect, Ev, Session, levels, px, qty};

/// The simulator publishes one speed per stream: `btcusdt@depth@100ms` is `btcusdt@depth`.
fn normalize(stream: &str) -> String {
    stream.trim_end_matches("@100ms").trim_end_matches("@1000ms").to_owned()
}

/// Whether the simulator produces `stream` (`<symbol>@trade|bookTicker|depth`).
fn served(stream: &str, s: &Session) -> bool {
    let Some((sym, kind)) = stream.split_once('@') else { return false };
    matches!(kind, "trade" | "bookTicker" | "depth") && s.symbol(sym).is_some()
}

pub(crate) struct Binance {
    usdm: bool,
    combined: bool,
}

impl Binance {
    /// The dialect for a connection to `target`, with the streams the URL names subscribed.
    pub(crate) fn new(usdm: bool, target: &str, s: &mut Session) -> Binance {
        let combined = target.starts_with("/stream");
        if let Some(list) = mdbus_sim::rest::query(target, "streams") {
            s.subs.extend(list.split('/').filter(|x| !x.is_empty()).map(normalize));
        } else if let Some(one) = target.strip_prefix("/ws/") {
            s.subs.insert(normalize(one));
        }
        Binance { usdm, combined }
    }

    /// Stream name and payload of `ev`.
    fn spell(&self, ev: &Ev, s: &Session) -> (String, String) {
        let b = &s.books[ev.sym()];
        let lower = b.symbol.to_ascii_lowercase();
        match ev {
            Ev::Depth { first, last, bids, asks, ms, .. } => {
                let json = if self.usdm {
                    format!(
                        r#"{{"e":"depthUpdate","E":{ms},"T":{ms},"s":"{}","U":{first},"u":{last},"pu":{},"b":[{}],"a":[{}]}}"#,
                        b.symbol,
                        first - 1,
                        levels(bids),
                        levels(asks)
                    )
                } else {
                    format!(
                        r#"{{"e":"depthUpdate","E":{ms},"s":"{}","U":{first},"u":{last},"b":[{}],"a":[{}]}}"#,
                        b.symbol,
                        levels(bids),
                        levels(asks)
                    )
                };
                (format!("{lower}@depth"), json)
            }
            Ev::Trade { id, price, qty: q, buy, ms, .. } => (
                format!("{lower}@trade"),
                format!(
                    r#"{{"e":"trade","E":{ms},"s":"{}","t":{id},"p":"{}","q":"{}","T":{ms},"m":{},"M":true}}"#,
                    b.symbol,
                    px(*price),
                    qty(*q),
                    !buy
                ),
            ),
            Ev::Top { id, bid, ask, ms, .. } => {
                let head = if self.usdm { format!(r#""e":"bookTicker","E":{ms},"T":{ms},"#) } else { String::new() };
                (
                    format!("{lower}@bookTicker"),
                    format!(
                        r#"{{{head}"u":{id},"s":"{}","b":"{}","B":"{}","a":"{}","A":"{}"}}"#,
                        b.symbol,
                        px(bid.0),
                        qty(bid.1),
                        px(ask.0),
                        qty(ask.1)
                    ),
                )
            }
        }
    }
}

impl Dialect for Binance {
    fn request(&mut self, text: &str, s: &mut Session) -> Vec<String> {
        let v: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
        let id = v.get("id").cloned().unwrap_or(serde_json::Value::Null);
        let params: Vec<String> = v
            .get("params")
            .and_then(|p| p.as_array())
            .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect())
            .unwrap_or_default();
        let reply = match v.get("method").and_then(|m| m.as_str()) {
            Some("SUBSCRIBE") if params.iter().any(|p| s.faults.refuse.contains(p)) => {
                serde_json::json!({"code": 2, "msg": "Invalid request: unknown stream", "id": id})
            }
            // A stream this simulator does not produce is refused, never acknowledged and then
            // left silent.
            Some("SUBSCRIBE") if params.iter().any(|p| !served(&normalize(p), s)) => {
                let p = params.iter().find(|p| !served(&normalize(p), s)).cloned().unwrap_or_default();
                serde_json::json!({"code": 2, "msg": format!("Invalid request: stream {p} is not served"), "id": id})
            }
            Some("SUBSCRIBE") => {
                s.subs.extend(params.iter().map(|p| normalize(p)));
                serde_json::json!({"result": null, "id": id})
            }
            Some("UNSUBSCRIBE") => {
                for p in &params {
                    s.subs.remove(&normalize(p));
                }
                serde_json::json!({"result": null, "id": id})
            }
            Some("LIST_SUBSCRIPTIONS") => serde_json::json!({"result": s.subs.iter().collect::<Vec<_>>(), "id": id}),
            _ => serde_json::json!({"code": 3, "msg": "Invalid JSON", "id": id}),
        };
        vec![reply.to_string()]
    }

    fn event(&mut self, ev: &Ev, s: &mut Session) -> Vec<String> {
        let (stream, json) = self.spell(ev, s);
        if !s.subs.contains(&stream) {
            return Vec::new();
        }
        vec![if self.combined { format!(r#"{{"stream":"{stream}","data":{json}}}"#) } else { json }]
    }

    fn malformed(&self) -> String {
        r#"{"stream":"broken","data":{"e":"trade","p":"#.into()
    }
}
