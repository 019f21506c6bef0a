//! HTX spot session rules: one topic per `sub` request with an `id` echoed in the `subbed`
//! reply or the error; the server sends `{"ping":ts}` every 5 s and cuts a connection that has
//! not answered two of them with `{"pong":ts}`; the MBP snapshot is asked for with `req` on the
//! same connection.

use std::time::Duration;

/// Topics per `sub` request: HTX takes one.
pub const TOPICS_PER_REQUEST: usize = 1;
/// Topics per connection (conservative).
pub const TOPICS_PER_CONNECTION: usize = 100;
/// Spacing of `sub` requests.
pub const REQUEST_SPACING: Duration = Duration::from_millis(25);
/// Levels of the incremental MBP channel.
pub const MBP_LEVELS: u32 = 150;

/// HTX kline period of a Binance-style interval (`1h` → `60min`): the SDK's, shared with its
/// REST klines.
use super::rest::kline_period as period;

/// The topic of `channel` for `symbol`, or `None` for a channel HTX lacks.
pub fn topic(channel: &str, symbol: &str) -> Option<String> {
    let s = symbol.to_ascii_lowercase();
    Some(match channel {
        "trade" => format!("market.{s}.trade.detail"),
        "book_ticker" => format!("market.{s}.bbo"),
        "ticker" => format!("market.{s}.ticker"),
        "depth" => format!("market.{s}.mbp.{MBP_LEVELS}"),
        k => format!("market.{s}.kline.{}", period(k.strip_prefix("kline_")?)?),
    })
}

/// The `sub` request for `topics` (one topic).
pub fn subscribe(id: u64, topics: &[String]) -> String {
    serde_json::json!({ "sub": topics.first().map_or("", String::as_str), "id": id.to_string() }).to_string()
}

/// The MBP snapshot request for `symbol`.
pub fn snapshot_request(symbol: &str) -> String {
    let s = symbol.to_ascii_lowercase();
    serde_json::json!({ "req": format!("market.{s}.mbp.{MBP_LEVELS}"), "id": format!("snapshot-{s}") }).to_string()
}

/// The answer to the server's `ping`.
pub fn pong(ts: u64) -> String {
    format!(r#"{{"pong":{ts}}}"#)
}
