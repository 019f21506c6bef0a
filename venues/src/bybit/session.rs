//! Bybit v5 public session rules: topics are the venue's own (`publicTrade.BTCUSDT`,
//! `orderbook.50.BTCUSDT`), a `subscribe` carries at most 10 args (the spot limit) and a
//! `req_id` echoed in the reply; the client sends `{"op":"ping"}` every 20 s.

use std::time::Duration;

use super::rest::kline_interval;

/// Args per `subscribe` request: spot accepts at most 10.
pub const TOPICS_PER_REQUEST: usize = 10;
/// Topics per connection (the args of one connection must stay under 21,000 characters).
pub const TOPICS_PER_CONNECTION: usize = 200;
/// Spacing of subscribe requests.
pub const REQUEST_SPACING: Duration = Duration::from_millis(100);
/// The client heartbeat Bybit recommends.
pub const PING_EVERY: Duration = Duration::from_secs(20);

/// The topic of `channel` for `symbol`, or `None` for a channel Bybit lacks.
pub fn topic(channel: &str, symbol: &str) -> Option<String> {
    Some(match channel {
        "trade" => format!("publicTrade.{symbol}"),
        "book_ticker" => format!("orderbook.1.{symbol}"),
        "ticker" => format!("tickers.{symbol}"),
        "depth" => format!("orderbook.50.{symbol}"),
        k => format!("kline.{}.{symbol}", kline_interval(k.strip_prefix("kline_")?)?),
    })
}

/// The `subscribe` request for `topics`.
pub fn subscribe(id: u64, topics: &[String]) -> String {
    serde_json::json!({ "req_id": id.to_string(), "op": "subscribe", "args": topics }).to_string()
}

/// The heartbeat.
pub const PING: &str = r#"{"req_id":"ping","op":"ping"}"#;
