//! Gemini v2 market-data session rules: one `subscribe` message names every subscription
//! (`l2` carries both the book and the trades of its symbols, `candles_1m` the candles); the
//! venue sends no acknowledgement and a `heartbeat` every few seconds, which the silence
//! watchdog relies on.

use std::time::Duration;

/// Topics per connection (conservative).
pub const TOPICS_PER_CONNECTION: usize = 100;
/// All topics of a connection go in one request.
pub const TOPICS_PER_REQUEST: usize = TOPICS_PER_CONNECTION;
/// Spacing of subscribe requests.
pub const REQUEST_SPACING: Duration = Duration::from_millis(100);

/// The topic (`name:symbol`) of `channel` for `symbol`, or `None` for a channel Gemini lacks.
/// `trade` and `depth` are both `l2`.
pub fn topic(channel: &str, symbol: &str) -> Option<String> {
    Some(match channel {
        "trade" | "depth" => format!("l2:{symbol}"),
        k => {
            let i = k.strip_prefix("kline_")?;
            super::market::interval_ms(i)?;
            format!("candles_{i}:{symbol}")
        }
    })
}

/// The subscribe message for `topics`, one subscription per name.
pub fn subscribe(topics: &[String]) -> String {
    let mut names: Vec<(&str, Vec<&str>)> = Vec::new();
    for t in topics {
        let (n, s) = t.split_once(':').unwrap_or((t, ""));
        match names.iter_mut().find(|(m, _)| *m == n) {
            Some((_, syms)) => syms.push(s),
            None => names.push((n, vec![s])),
        }
    }
    let subs: Vec<serde_json::Value> =
        names.iter().map(|(n, s)| serde_json::json!({ "name": n, "symbols": s })).collect();
    serde_json::json!({ "type": "subscribe", "subscriptions": subs }).to_string()
}
