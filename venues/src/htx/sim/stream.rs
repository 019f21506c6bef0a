//! HTX spot dialect (`/feed`, `/ws`): every server frame is gzip-compressed binary; `sub` with
//! an `id` acknowledged by `subbed`; `req` answered with the MBP snapshot; the server sends
//! `{"ping":ts}` on an interval and cuts a client that leaves two of them unanswered. Numbers
//! go out as JSON numbers, as HTX sends them. `market.$s.ticker`, `market.$s.detail` and
//! `market.$s.kline.$period` are built from the trades the connection sees.

use std::time::Duration;

use mdbus_sim::{
    dialect::{Dialect, Ev, Session, now_ms, number_levels, px, qty},
    tape::{Tape, quote},
};

use crate::htx::market::period_ms;

/// HTX pings every 5 s.
const PING_EVERY: Duration = Duration::from_secs(5);

pub(crate) struct Htx {
    /// Pings sent and not answered yet.
    unanswered: u32,
    /// The tickers' rolling windows and the open candles.
    tape: Tape,
}

impl Htx {
    pub(crate) fn new(s: &Session) -> Htx {
        Htx { unanswered: 0, tape: Tape::new(s.books.len()) }
    }

    /// The `ticker`, `detail` and `kline` pushes of a trade, for the topics subscribed.
    fn summaries(&mut self, ev: &Ev, s: &Session) -> Vec<String> {
        let Ev::Trade { sym, id, ms, .. } = *ev else { return Vec::new() };
        self.tape.record(ev);
        let l = lower(s, sym);
        let r = self.tape.rolling(sym);
        let day = format!(
            r#""id":{id},"open":{},"high":{},"low":{},"close":{},"amount":{},"vol":{},"count":{}"#,
            px(r.open),
            px(r.high),
            px(r.low),
            px(r.last),
            qty(r.volume),
            quote(r.quote),
            r.count
        );
        let mut out = Vec::new();
        if s.subs.contains(&format!("market.{l}.ticker")) {
            let (bids, asks) = s.books[sym].sides(1);
            let ((bp, bq), (ap, aq)) =
                (bids.first().copied().unwrap_or((0, 0)), asks.first().copied().unwrap_or((0, 0)));
            out.push(format!(
                r#"{{"ch":"market.{l}.ticker","ts":{ms},"tick":{{{day},"bid":{},"bidSize":{},"ask":{},"askSize":{},"lastPrice":{},"lastSize":{}}}}}"#,
                px(bp),
                qty(bq),
                px(ap),
                qty(aq),
                px(r.last),
                qty(r.last_qty)
            ));
        }
        if s.subs.contains(&format!("market.{l}.detail")) {
            out.push(format!(r#"{{"ch":"market.{l}.detail","ts":{ms},"tick":{{{day},"version":{id}}}}}"#));
        }
        let prefix = format!("market.{l}.kline.");
        let periods: Vec<String> = s.subs.iter().filter_map(|t| t.strip_prefix(&prefix)).map(str::to_owned).collect();
        for p in periods {
            let Some(k) = period_ms(&p).and_then(|span| self.tape.bar(ev, span)) else { continue };
            out.push(format!(
                r#"{{"ch":"{prefix}{p}","ts":{ms},"tick":{{"id":{},"open":{},"close":{},"low":{},"high":{},"amount":{},"vol":{},"count":{}}}}}"#,
                k.start / 1000,
                px(k.open),
                px(k.close),
                px(k.low),
                px(k.high),
                qty(k.volume),
                quote(k.quote),
                k.count
            ));
        }
        out
    }
}

fn lower(s: &Session, sym: usize) -> String {
    s.books[sym].symbol.to_ascii_lowercase()
}

impl Dialect for Htx {
    fn request(&mut self, text: &str, s: &mut Session) -> Vec<String> {
        let v: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
        let ms = now_ms();
        if v.get("pong").is_some() {
            self.unanswered = 0;
            return Vec::new();
        }
        let id = v.get("id").cloned().unwrap_or(serde_json::Value::Null);
        let topic_symbol = |t: &str| t.split('.').nth(1).and_then(|x| s.symbol(x));
        if let Some(t) = v.get("sub").and_then(|x| x.as_str()) {
            // A topic this simulator does not produce is refused like one HTX does not have.
            let kline = t.split_once(".kline.").is_some_and(|(_, p)| period_ms(p).is_some());
            let served =
                kline || [".trade.detail", ".bbo", ".mbp.150", ".ticker", ".detail"].iter().any(|k| t.ends_with(k));
            if s.faults.refuse.iter().any(|r| r == t) || topic_symbol(t).is_none() || !served {
                return vec![serde_json::json!({"id": id, "status": "error", "ts": ms, "err-code": "bad-request", "err-msg": format!("invalid topic {t}")}).to_string()];
            }
            s.subs.insert(t.to_owned());
            return vec![serde_json::json!({"id": id, "status": "ok", "subbed": t, "ts": ms}).to_string()];
        }
        if let Some(t) = v.get("unsub").and_then(|x| x.as_str()) {
            s.subs.remove(t);
            return vec![serde_json::json!({"id": id, "status": "ok", "unsubbed": t, "ts": ms}).to_string()];
        }
        if let Some(t) = v.get("req").and_then(|x| x.as_str()) {
            let Some(sym) = topic_symbol(t).filter(|_| t.contains(".mbp.")) else {
                return vec![serde_json::json!({"id": id, "status": "error", "ts": ms, "err-code": "bad-request", "err-msg": format!("invalid topic {t}")}).to_string()];
            };
            let (bids, asks) = s.books[sym].sides(usize::MAX);
            return vec![format!(
                r#"{{"id":{id},"rep":"{t}","status":"ok","ts":{ms},"data":{{"seqNum":{},"bids":[{}],"asks":[{}]}}}}"#,
                s.books[sym].last_id,
                number_levels(&bids),
                number_levels(&asks)
            )];
        }
        vec![serde_json::json!({"id": id, "status": "error", "ts": ms, "err-code": "bad-request", "err-msg": "unknown request"}).to_string()]
    }

    fn event(&mut self, ev: &Ev, s: &mut Session) -> Vec<String> {
        let sym = ev.sym();
        let l = lower(s, sym);
        match ev {
            Ev::Depth { first, last, bids, asks, ms, .. }
                if s.subs.iter().any(|t| t.starts_with(&format!("market.{l}.mbp."))) =>
            {
                let ch =
                    s.subs.iter().find(|t| t.starts_with(&format!("market.{l}.mbp."))).cloned().unwrap_or_default();
                vec![format!(
                    r#"{{"ch":"{ch}","ts":{ms},"tick":{{"seqNum":{last},"prevSeqNum":{},"bids":[{}],"asks":[{}]}}}}"#,
                    first - 1,
                    number_levels(bids),
                    number_levels(asks)
                )]
            }
            Ev::Trade { id, price, qty: q, buy, ms, .. } => {
                let mut out = Vec::new();
                if s.subs.contains(&format!("market.{l}.trade.detail")) {
                    out.push(format!(
                        r#"{{"ch":"market.{l}.trade.detail","ts":{ms},"tick":{{"id":{id},"ts":{ms},"data":[{{"id":{id}000017,"ts":{ms},"tradeId":{id},"amount":{},"price":{},"direction":"{}"}}]}}}}"#,
                        qty(*q),
                        px(*price),
                        if *buy { "buy" } else { "sell" }
                    ));
                }
                out.extend(self.summaries(ev, s));
                out
            }
            Ev::Top { id, bid, ask, ms, .. } if s.subs.contains(&format!("market.{l}.bbo")) => {
                vec![format!(
                    r#"{{"ch":"market.{l}.bbo","ts":{ms},"tick":{{"seqId":{id},"ask":{},"askSize":{},"bid":{},"bidSize":{},"quoteTime":{ms},"symbol":"{l}"}}}}"#,
                    px(ask.0),
                    qty(ask.1),
                    px(bid.0),
                    qty(bid.1)
                )]
            }
            _ => Vec::new(),
        }
    }

    fn heartbeat(&mut self, now_ms: u64) -> Result<Option<String>, &'static str> {
        if self.unanswered >= 2 {
            return Err("two pings unanswered");
        }
        self.unanswered += 1;
        Ok(Some(format!(r#"{{"ping":{now_ms}}}"#)))
    }

    fn heartbeat_every(&self, faults: &mdbus_sim::Faults) -> Option<Duration> {
        Some(faults.heartbeat_every.unwrap_or(PING_EVERY))
    }

    fn binary(&self) -> bool {
        true
    }

    fn malformed(&self) -> String {
        r#"{"ch":"market.btcusdt.trade.detail","tick":{"data":[{"price":"#.into()
    }
}
