//! Bybit v5 public dialect (`/v5/public/spot`, `/v5/public/linear`): `subscribe` with a
//! `req_id` echoed in one reply, `{"op":"ping"}` answered with a pong, `orderbook.50` snapshot
//! then deltas whose `u` grows by one per message, `orderbook.1` as the best bid/offer, and on
//! demand the venue's quirks: a snapshot re-sent mid-stream, a service restart (a delta with
//! `u == 1` carrying the whole book), and an empty `u == 1` snapshot followed by the book;
//! `tickers` (spot: 24-hour figures in snapshots; linear: a snapshot with the best bid and
//! offer, then deltas) and `kline.<interval>` built from the trades the connection sees.

use mdbus_sim::{
    dialect::{Dialect, Ev, Session, levels, px, qty},
    tape::{Tape, quote},
};

use crate::bybit::market::kline_interval_ms;

pub(crate) struct Bybit {
    /// Wire `u` per symbol: one per depth message.
    u: Vec<u64>,
    /// The linear (USDT perpetual) endpoint: tickers carry the book's top, in deltas.
    linear: bool,
    /// The tickers' rolling windows and the open candles.
    tape: Tape,
    /// Per symbol: whether its `tickers` snapshot went out.
    ticked: Vec<bool>,
}

/// Whether the simulator produces topic `t` (of any symbol).
fn served(t: &str) -> bool {
    ["orderbook.50.", "orderbook.1.", "publicTrade.", "tickers."].iter().any(|p| t.starts_with(p))
        || t.strip_prefix("kline.").and_then(|r| r.split_once('.')).is_some_and(|(i, _)| kline_interval_ms(i).is_some())
}

impl Bybit {
    pub(crate) fn new(target: &str, s: &Session) -> Bybit {
        Bybit {
            u: vec![100; s.books.len()],
            linear: target.contains("/linear"),
            tape: Tape::new(s.books.len()),
            ticked: vec![false; s.books.len()],
        }
    }

    /// The `publicTrade`, `tickers` and `kline` pushes of a trade, for the topics subscribed.
    fn trade(&mut self, ev: &Ev, s: &Session) -> Vec<String> {
        let Ev::Trade { sym, id, price, qty: q, buy, ms } = *ev else { return Vec::new() };
        let symbol = &s.books[sym].symbol;
        let mut out = Vec::new();
        self.tape.record(ev);
        if s.subs.contains(&format!("publicTrade.{symbol}")) {
            out.push(format!(
                r#"{{"topic":"publicTrade.{symbol}","type":"snapshot","ts":{ms},"data":[{{"T":{ms},"s":"{symbol}","S":"{}","v":"{}","p":"{}","L":"PlusTick","i":"{id}","BT":false}}]}}"#,
                if buy { "Buy" } else { "Sell" },
                qty(q),
                px(price)
            ));
        }
        if s.subs.contains(&format!("tickers.{symbol}")) {
            let r = self.tape.rolling(sym);
            let pcnt = if r.open == 0 { 0.0 } else { r.change() as f64 / r.open as f64 };
            let day = format!(
                r#""lastPrice":"{}","highPrice24h":"{}","lowPrice24h":"{}","prevPrice24h":"{}","volume24h":"{}","turnover24h":"{}","price24hPcnt":"{pcnt:.6}""#,
                px(r.last),
                px(r.high),
                px(r.low),
                px(r.open),
                qty(r.volume),
                quote(r.quote)
            );
            let (kind, extra) = if self.linear {
                let (bids, asks) = s.books[sym].sides(1);
                let ((bp, bq), (ap, aq)) =
                    (bids.first().copied().unwrap_or((0, 0)), asks.first().copied().unwrap_or((0, 0)));
                let top = format!(
                    r#","bid1Price":"{}","bid1Size":"{}","ask1Price":"{}","ask1Size":"{}","markPrice":"{}","indexPrice":"{}""#,
                    px(bp),
                    qty(bq),
                    px(ap),
                    qty(aq),
                    px(r.last),
                    px(r.last)
                );
                // The snapshot carries every field; deltas only what trades and the book change.
                if std::mem::replace(&mut self.ticked[sym], true) {
                    ("delta", top)
                } else {
                    let next_funding = (ms / 28_800_000 + 1) * 28_800_000;
                    let contract = format!(
                        r#","tickDirection":"PlusTick","prevPrice1h":"{}","openInterest":"0","openInterestValue":"0","fundingRate":"0.0001","nextFundingTime":"{next_funding}","deliveryTime":"","basisRate":"","deliveryFeeRate":"","predictedDeliveryPrice":"""#,
                        px(r.open)
                    );
                    ("snapshot", top + &contract)
                }
            } else {
                ("snapshot", format!(r#","usdIndexPrice":"{}""#, px(r.last)))
            };
            out.push(format!(
                r#"{{"topic":"tickers.{symbol}","ts":{ms},"type":"{kind}","cs":{id},"data":{{"symbol":"{symbol}",{day}{extra}}}}}"#
            ));
        }
        let (prefix, suffix) = ("kline.", format!(".{symbol}"));
        let intervals: Vec<String> =
            s.subs.iter().filter_map(|t| t.strip_prefix(prefix)?.strip_suffix(&suffix)).map(str::to_owned).collect();
        for i in intervals {
            let Some(k) = kline_interval_ms(&i).and_then(|span| self.tape.bar(ev, span)) else { continue };
            out.push(format!(
                r#"{{"topic":"kline.{i}.{symbol}","data":[{{"start":{},"end":{},"interval":"{i}","open":"{}","close":"{}","high":"{}","low":"{}","volume":"{}","turnover":"{}","confirm":false,"timestamp":{ms}}}],"ts":{ms},"type":"snapshot"}}"#,
                k.start,
                k.end(),
                px(k.open),
                px(k.close),
                px(k.high),
                px(k.low),
                qty(k.volume),
                quote(k.quote)
            ));
        }
        out
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
                let known = |t: &str| served(t) && t.rsplit('.').next().and_then(|sym| s.symbol(sym)).is_some();
                if let Some(t) = args.iter().find(|t| s.faults.refuse.contains(t) || !known(t)) {
                    return vec![reply(false, &format!("error:handler not found,topic:{t}"))];
                }
                let mut out = vec![reply(true, "")];
                for t in args {
                    if op == "unsubscribe" {
                        if let Some(sym) = t.strip_prefix("tickers.").and_then(|x| s.symbol(x)) {
                            self.ticked[sym] = false;
                        }
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
            Ev::Trade { .. } => self.trade(ev, s),
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
