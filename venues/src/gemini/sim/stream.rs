//! Gemini v2 market-data dialect (`/v2/marketdata`): a `subscribe` naming `l2` symbols gets no
//! acknowledgement, just the whole book as the first `l2_updates` (with recent trades), then
//! updates and trades with no sequence numbers; a `heartbeat` goes out on an interval;
//! `candles_<interval>` built from the trades the connection sees, as `candles_*_updates`.

use std::time::Duration;

use mdbus_sim::{
    dialect::{Dialect, Ev, Session, px, qty},
    tape::Tape,
};

use crate::gemini::market::interval_ms;

/// Gemini's heartbeat interval.
const HEARTBEAT_EVERY: Duration = Duration::from_secs(5);

pub(crate) struct Gemini {
    /// The open candles.
    tape: Tape,
}

impl Gemini {
    pub(crate) fn new(s: &Session) -> Gemini {
        Gemini { tape: Tape::new(s.books.len()) }
    }

    /// The `candles_*_updates` of a trade, for the intervals subscribed: the open candle as
    /// `[start ms, open, high, low, close, volume]` in JSON numbers.
    fn candles(&mut self, ev: &Ev, s: &Session) -> Vec<String> {
        let symbol = s.books[ev.sym()].symbol.to_ascii_uppercase();
        let suffix = format!(":{symbol}");
        let intervals: Vec<String> = s
            .subs
            .iter()
            .filter_map(|k| k.strip_prefix("candles_")?.strip_suffix(&suffix))
            .map(str::to_owned)
            .collect();
        let mut out = Vec::new();
        for i in intervals {
            let Some(k) = interval_ms(&i).and_then(|span| self.tape.bar(ev, span)) else { continue };
            out.push(format!(
                r#"{{"type":"candles_{i}_updates","symbol":"{symbol}","changes":[[{},{},{},{},{},{}]]}}"#,
                k.start,
                px(k.open),
                px(k.high),
                px(k.low),
                px(k.close),
                qty(k.volume)
            ));
        }
        out
    }
}

fn changes(bids: &[(i64, i64)], asks: &[(i64, i64)]) -> String {
    bids.iter()
        .map(|(p, q)| format!(r#"["buy","{}","{}"]"#, px(*p), qty(*q)))
        .chain(asks.iter().map(|(p, q)| format!(r#"["sell","{}","{}"]"#, px(*p), qty(*q))))
        .collect::<Vec<_>>()
        .join(",")
}

fn trade(symbol: &str, ev: &Ev) -> String {
    let Ev::Trade { id, price, qty: q, buy, ms, .. } = ev else { return String::new() };
    format!(
        r#"{{"type":"trade","symbol":"{symbol}","event_id":{id},"timestamp":{ms},"price":"{}","quantity":"{}","side":"{}"}}"#,
        px(*price),
        qty(*q),
        if *buy { "buy" } else { "sell" }
    )
}

impl Dialect for Gemini {
    fn request(&mut self, text: &str, s: &mut Session) -> Vec<String> {
        let v: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
        let kind = v.get("type").and_then(|t| t.as_str()).unwrap_or("");
        let mut out = Vec::new();
        for sub in v.get("subscriptions").and_then(|x| x.as_array()).into_iter().flatten() {
            let name = sub.get("name").and_then(|n| n.as_str()).unwrap_or("");
            for symbol in sub.get("symbols").and_then(|x| x.as_array()).into_iter().flatten().filter_map(|x| x.as_str())
            {
                let key = format!("{name}:{}", symbol.to_ascii_uppercase());
                match kind {
                    "unsubscribe" => {
                        s.subs.remove(&key);
                    }
                    "subscribe"
                        if name.strip_prefix("candles_").is_some_and(|i| interval_ms(i).is_some())
                            && s.symbol(symbol).is_some() =>
                    {
                        s.subs.insert(key);
                    }
                    "subscribe" if name == "l2" && !s.faults.refuse.contains(&key) => {
                        let Some(sym) = s.symbol(symbol) else { continue };
                        let (bids, asks) = s.books[sym].sides(usize::MAX);
                        let recent: Vec<String> = s.recent[sym].iter().map(|t| trade(symbol, t)).collect();
                        out.push(format!(
                            r#"{{"type":"l2_updates","symbol":"{}","changes":[{}],"trades":[{}]}}"#,
                            s.books[sym].symbol,
                            changes(&bids, &asks),
                            recent.join(",")
                        ));
                        s.subs.insert(key);
                    }
                    _ => {}
                }
            }
        }
        out
    }

    fn event(&mut self, ev: &Ev, s: &mut Session) -> Vec<String> {
        let symbol = s.books[ev.sym()].symbol.clone();
        let mut out = if matches!(ev, Ev::Trade { .. }) { self.candles(ev, s) } else { Vec::new() };
        if s.subs.contains(&format!("l2:{}", symbol.to_ascii_uppercase())) {
            match ev {
                Ev::Depth { bids, asks, .. } => out.push(format!(
                    r#"{{"type":"l2_updates","symbol":"{symbol}","changes":[{}]}}"#,
                    changes(bids, asks)
                )),
                Ev::Trade { .. } => out.push(trade(&symbol, ev)),
                Ev::Top { .. } => {}
            }
        }
        out
    }

    fn heartbeat(&mut self, now_ms: u64) -> Result<Option<String>, &'static str> {
        Ok(Some(format!(r#"{{"type":"heartbeat","timestamp":{now_ms}}}"#)))
    }

    fn heartbeat_every(&self, faults: &mdbus_sim::Faults) -> Option<Duration> {
        Some(faults.heartbeat_every.unwrap_or(HEARTBEAT_EVERY))
    }

    fn malformed(&self) -> String {
        r#"{"type":"trade","symbol":"BTCUSD","price":"#.into()
    }
}
