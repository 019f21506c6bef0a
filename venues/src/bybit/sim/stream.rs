//! Bybit v5 public dialect (`/v5/public/spot`, `/v5/public/linear`): `subscribe` with a
//! `req_id` echoed in one reply, `{"op":"ping"}` answered with a pong, `orderbook.50` snapshot
//! then deltas whose `u` grows by one per message, `orderbook.1` as the best bid/offer, and on
//! demand the venue's quirks: a snapshot re-sent mid-stream, a service restart (a delta with
//! `u == 1` carrying the whole book), and an empty `u == 1` snapshot followed by the book.

use mdbus_sim::dialect::{Dialect, Ev, Session, levels, px, qty};

pub(crate) struct Bybit {
    /// Wire `u` per symbol: one per depth message.
    u: Vec<u64>,
}

impl Bybit {
    pub(crate) fn new(s: &Session) -> Bybit {
        Bybit { u: vec![100; s.books.len()] }
    }

    fn book(symbol: &str, kind: &str, bids: &[(i64, i64)], asks: &[(i64, i64)], u: u64, ms: u64) -> String {
        format!(
            r#"{{"topic":"orderbook.50.{symbol}","type":"{kind}","ts":{ms},"data":{{"s":"{symbol}","b":[{}],"a":[{}],"u":{u},"seq":{u}}},"cts":{ms}}}"#,
            levels(bids),
            levels(asks)
        )
    }

    fn whole(&self, sym: usize, s: &Session, kind: &str, u: u64, ms: u64) -> String {
        let (bids, asks) = s.books[sym].sides(usize::MAX);
        Self::book(&s.books[sym].symbol, kind, &bids, &asks, u, ms)
    }
}

impl Dialect for Bybit {
    fn request(&mut self, text: &str, s: &mut Session) -> Vec<String> {
        let v: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
        let req_id = v.get("req_id").and_then(|i| i.as_str()).unwrap_or("").to_owned();
        let op = v.get("op").and_then(|o| o.as_str()).unwrap_or("").to_owned();
        let reply = |ok: bool, msg: &str| {
            serde_json::json!({"success": ok, "ret_msg": msg, "conn_id": "sim", "req_id": req_id, "op": op}).to_string()
        };
        let args: Vec<String> = v
            .get("args")
            .and_then(|a| a.as_array())
            .into_iter()
            .flatten()
            .filter_map(|a| a.as_str().map(str::to_owned))
            .collect();
        match op.as_str() {
            "ping" => vec![reply(true, "pong")],
            "subscribe" | "unsubscribe" => {
                if args.len() > 10 {
                    return vec![reply(false, "args size >10")];
                }
                // A topic this simulator does not produce is refused like one Bybit lacks.
                let served =
                    |t: &str| ["orderbook.50.", "orderbook.1.", "publicTrade."].iter().any(|p| t.starts_with(p));
                let known = |t: &str| served(t) && t.rsplit('.').next().and_then(|sym| s.symbol(sym)).is_some();
                if let Some(t) = args.iter().find(|t| s.faults.refuse.contains(t) || !known(t)) {
                    return vec![reply(false, &format!("error:handler not found,topic:{t}"))];
                }
                let mut out = vec![reply(true, "")];
                for t in args {
                    if op == "unsubscribe" {
                        s.subs.remove(&t);
                        continue;
                    }
                    if t.starts_with("orderbook.50.")
                        && let Some(sym) = t.rsplit('.').next().and_then(|x| s.symbol(x))
                    {
                        out.push(self.whole(sym, s, "snapshot", self.u[sym], mdbus_sim::dialect::now_ms()));
                    }
                    s.subs.insert(t);
                }
                out
            }
            _ => vec![reply(false, "error:unknown op")],
        }
    }

    fn event(&mut self, ev: &Ev, s: &mut Session) -> Vec<String> {
        let sym = ev.sym();
        let symbol = s.books[sym].symbol.clone();
        match ev {
            Ev::Depth { bids, asks, ms, .. } => {
                let restart = s.every(sym, s.faults.reset_every);
                self.u[sym] = if restart { 1 } else { self.u[sym] + 1 };
                if !s.subs.contains(&format!("orderbook.50.{symbol}")) {
                    return Vec::new();
                }
                let mut out = vec![if restart {
                    // After a service restart the first delta has u == 1 and is the whole book.
                    self.whole(sym, s, "delta", 1, *ms)
                } else {
                    Self::book(&symbol, "delta", bids, asks, self.u[sym], *ms)
                }];
                if s.every(sym, s.faults.resnapshot_every) {
                    out.push(self.whole(sym, s, "snapshot", self.u[sym], *ms));
                }
                if s.every(sym, s.faults.empty_snapshot_every) {
                    // The venue clears the book (`u == 1`, no levels), then sends it whole.
                    out.push(Self::book(&symbol, "snapshot", &[], &[], 1, *ms));
                    self.u[sym] = 1;
                    out.push(self.whole(sym, s, "snapshot", 1, *ms));
                }
                out
            }
            Ev::Trade { id, price, qty: q, buy, ms, .. } if s.subs.contains(&format!("publicTrade.{symbol}")) => {
                vec![format!(
                    r#"{{"topic":"publicTrade.{symbol}","type":"snapshot","ts":{ms},"data":[{{"T":{ms},"s":"{symbol}","S":"{}","v":"{}","p":"{}","L":"PlusTick","i":"{id}","BT":false}}]}}"#,
                    if *buy { "Buy" } else { "Sell" },
                    qty(*q),
                    px(*price)
                )]
            }
            Ev::Top { id, bid, ask, ms, .. } if s.subs.contains(&format!("orderbook.1.{symbol}")) => {
                vec![format!(
                    r#"{{"topic":"orderbook.1.{symbol}","type":"snapshot","ts":{ms},"data":{{"s":"{symbol}","b":[["{}","{}"]],"a":[["{}","{}"]],"u":{id},"seq":{id}}},"cts":{ms}}}"#,
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
        r#"{"topic":"publicTrade.BTCUSDT","data":[{"p":"#.into()
    }
}
