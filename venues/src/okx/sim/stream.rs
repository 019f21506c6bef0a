//! OKX v5 public dialect (`/ws/v5/public`): `subscribe` with per-arg acks echoing the request
//! `id`, text `ping`/`pong`, `books` snapshots in the stream then `prevSeqId`/`seqId` updates,
//! and the venue's quirks on demand: empty keepalive updates (`prevSeqId == seqId`) and
//! sequence resets as after maintenance (`seqId < prevSeqId`); `tickers` and `candle<bar>`
//! pushes built from the trades the connection sees.
//!
//! Book pushes carry `"checksum":0`, as OKX's have since 23 June 2026: its announcement "Order
//! Book Channels Checksum Field Deprecation" keeps the field in `books`, `books-l2-tbt` and
//! `books50-l2-tbt` but always 0, and points clients to `seqId`/`prevSeqId` instead.

use std::time::Duration;

use mdbus_sim::{
    dialect::{Dialect, Ev, Session, px, qty},
    tape::{Tape, quote},
};

use crate::okx::market::candle_interval_ms;

/// OKX cuts a connection that has sent nothing for 30 s.
const IDLE_CUT: Duration = Duration::from_secs(30);

pub(crate) struct Okx {
    /// Wire sequence = internal update id + offset, per symbol.
    offset: Vec<i64>,
    /// The tickers' rolling windows and the open candles.
    tape: Tape,
}

fn okx_levels(side: &[(i64, i64)]) -> String {
    side.iter().map(|(p, q)| format!(r#"["{}","{}","0","1"]"#, px(*p), qty(*q))).collect::<Vec<_>>().join(",")
}

impl Okx {
    pub(crate) fn new(s: &Session) -> Okx {
        Okx { offset: vec![0; s.books.len()], tape: Tape::new(s.books.len()) }
    }

    fn wire(&self, sym: usize, id: u64) -> i64 {
        id as i64 + self.offset[sym]
    }

    fn book(inst: &str, action: &str, bids: &str, asks: &str, ms: u64, prev: i64, seq: i64) -> String {
        format!(
            r#"{{"arg":{{"channel":"books","instId":"{inst}"}},"action":"{action}","data":[{{"asks":[{asks}],"bids":[{bids}],"ts":"{ms}","checksum":0,"prevSeqId":{prev},"seqId":{seq}}}]}}"#
        )
    }
}

impl Okx {
    /// The `trades`, `tickers` and `candle<bar>` pushes of a trade, for the channels subscribed.
    fn trade(&mut self, ev: &Ev, inst: &str, s: &Session) -> Vec<String> {
        let Ev::Trade { sym, id, price, qty: q, buy, ms } = *ev else { return Vec::new() };
        let mut out = Vec::new();
        self.tape.record(ev);
        if s.subs.contains(&format!("trades:{inst}")) {
            out.push(format!(
                r#"{{"arg":{{"channel":"trades","instId":"{inst}"}},"data":[{{"instId":"{inst}","tradeId":"{id}","px":"{}","sz":"{}","side":"{}","ts":"{ms}","count":"1"}}]}}"#,
                px(price),
                qty(q),
                if buy { "buy" } else { "sell" }
            ));
        }
        if s.subs.contains(&format!("tickers:{inst}")) {
            let r = self.tape.rolling(sym);
            let (bids, asks) = s.books[sym].sides(1);
            let ((bp, bq), (ap, aq)) =
                (bids.first().copied().unwrap_or((0, 0)), asks.first().copied().unwrap_or((0, 0)));
            out.push(format!(
                r#"{{"arg":{{"channel":"tickers","instId":"{inst}"}},"data":[{{"instType":"SPOT","instId":"{inst}","last":"{}","lastSz":"{}","askPx":"{}","askSz":"{}","bidPx":"{}","bidSz":"{}","open24h":"{}","high24h":"{}","low24h":"{}","sodUtc0":"{}","sodUtc8":"{}","volCcy24h":"{}","vol24h":"{}","ts":"{ms}"}}]}}"#,
                px(r.last),
                qty(r.last_qty),
                px(ap),
                qty(aq),
                px(bp),
                qty(bq),
                px(r.open),
                px(r.high),
                px(r.low),
                px(r.open),
                px(r.open),
                quote(r.quote),
                qty(r.volume)
            ));
        }
        let prefix = format!(":{inst}");
        let channels: Vec<String> =
            s.subs.iter().filter_map(|k| k.strip_suffix(&prefix)?.strip_prefix("candle")).map(str::to_owned).collect();
        for bar in channels {
            let Some(k) = candle_interval_ms(&bar).and_then(|span| self.tape.bar(ev, span)) else { continue };
            // [ts, o, h, l, c, vol, volCcy, volCcyQuote, confirm]: spot volumes in base, then quote.
            out.push(format!(
                r#"{{"arg":{{"channel":"candle{bar}","instId":"{inst}"}},"data":[["{}","{}","{}","{}","{}","{}","{}","{}","0"]]}}"#,
                k.start,
                px(k.open),
                px(k.high),
                px(k.low),
                px(k.close),
                qty(k.volume),
                quote(k.quote),
                quote(k.quote)
            ));
        }
        out
    }
}

impl Dialect for Okx {
    fn request(&mut self, text: &str, s: &mut Session) -> Vec<String> {
        if text == "ping" {
            return vec!["pong".into()];
        }
        let v: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
        let id = v.get("id").and_then(|i| i.as_str()).unwrap_or("").to_owned();
        let op = v.get("op").and_then(|o| o.as_str()).unwrap_or("");
        let args: Vec<(String, String)> = v
            .get("args")
            .and_then(|a| a.as_array())
            .into_iter()
            .flatten()
            .map(|a| {
                let f = |k: &str| a.get(k).and_then(|x| x.as_str()).unwrap_or("").to_owned();
                (f("channel"), f("instId"))
            })
            .collect();
        let error = |code: &str, msg: String| {
            serde_json::json!({"id": id, "event": "error", "code": code, "msg": msg, "connId": "sim"}).to_string()
        };
        if !matches!(op, "subscribe" | "unsubscribe") || args.is_empty() {
            return vec![error("60012", format!("Invalid request: {text}"))];
        }
        // A channel this simulator does not produce is refused like one OKX does not have.
        let served = |c: &str| {
            matches!(c, "books" | "trades" | "bbo-tbt" | "tickers")
                || c.strip_prefix("candle").is_some_and(|i| candle_interval_ms(i).is_some())
        };
        if let Some((c, i)) = args
            .iter()
            .find(|(c, i)| s.faults.refuse.contains(&format!("{c}:{i}")) || s.symbol(i).is_none() || !served(c))
        {
            return vec![error("60018", format!("Wrong URL or channel:{c},instId:{i} doesn't exist."))];
        }
        let mut out = Vec::new();
        for (c, i) in args {
            let key = format!("{c}:{i}");
            out.push(
                serde_json::json!({"id": id, "event": op, "arg": {"channel": c, "instId": i}, "connId": "sim"})
                    .to_string(),
            );
            if op == "unsubscribe" {
                s.subs.remove(&key);
                continue;
            }
            s.subs.insert(key);
            if c == "books"
                && let Some(sym) = s.symbol(&i)
            {
                let (bids, asks) = s.books[sym].sides(400);
                let seq = self.wire(sym, s.books[sym].last_id);
                out.push(Self::book(
                    &i,
                    "snapshot",
                    &okx_levels(&bids),
                    &okx_levels(&asks),
                    mdbus_sim::dialect::now_ms(),
                    -1,
                    seq,
                ));
            }
        }
        out
    }

    fn event(&mut self, ev: &Ev, s: &mut Session) -> Vec<String> {
        let sym = ev.sym();
        let inst = s.books[sym].symbol.clone();
        match ev {
            Ev::Depth { first, last, bids, asks, ms, .. } if s.subs.contains(&format!("books:{inst}")) => {
                let prev = self.wire(sym, first - 1);
                if s.every(sym, s.faults.reset_every) {
                    // Maintenance restarted the sequence below the previous one.
                    self.offset[sym] = 10 - *last as i64;
                }
                let seq = self.wire(sym, *last);
                let mut out = vec![Self::book(&inst, "update", &okx_levels(bids), &okx_levels(asks), *ms, prev, seq)];
                if s.every(sym, s.faults.keepalive_every) {
                    out.push(Self::book(&inst, "update", "", "", *ms, seq, seq));
                }
                out
            }
            Ev::Depth { last, .. } => {
                if s.every(sym, s.faults.reset_every) {
                    self.offset[sym] = 10 - *last as i64;
                }
                Vec::new()
            }
            Ev::Trade { .. } => self.trade(ev, &inst, s),
            Ev::Top { id, bid, ask, ms, .. } if s.subs.contains(&format!("bbo-tbt:{inst}")) => {
                vec![format!(
                    r#"{{"arg":{{"channel":"bbo-tbt","instId":"{inst}"}},"data":[{{"asks":[["{}","{}","0","1"]],"bids":[["{}","{}","0","1"]],"ts":"{ms}","seqId":{}}}]}}"#,
                    px(ask.0),
                    qty(ask.1),
                    px(bid.0),
                    qty(bid.1),
                    self.wire(sym, *id)
                )]
            }
            _ => Vec::new(),
        }
    }

    fn idle_cut(&self, faults: &mdbus_sim::Faults) -> Option<Duration> {
        Some(faults.idle_cut.unwrap_or(IDLE_CUT))
    }

    fn malformed(&self) -> String {
        r#"{"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"px":"#.into()
    }
}
