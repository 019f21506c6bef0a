//! Gate.io v4 spot session rules: a request names one channel and its payload (`spot.trades`
//! takes several pairs, `spot.order_book_update` one pair and an interval, `spot.obu` one
//! `ob.{pair}.{levels}`) with an `id` echoed in the reply; the client sends `spot.ping`. The
//! `depth` channel's book snapshot comes over REST; the `obu50` and `obu400` channels
//! (`spot.obu`, 50 or 400 levels) send their full book in the stream after each subscribe.

use std::time::Duration;

/// Topics per request: one channel and payload each.
pub const TOPICS_PER_REQUEST: usize = 1;
/// Topics per connection (conservative).
pub const TOPICS_PER_CONNECTION: usize = 200;
/// Spacing of subscribe requests.
pub const REQUEST_SPACING: Duration = Duration::from_millis(50);
/// The client `spot.ping` interval.
pub const PING_EVERY: Duration = Duration::from_secs(20);

/// The topic (`channel|payload,...`) of `channel` for `symbol`, or `None` for a channel Gate.io
/// lacks.
pub fn topic(channel: &str, symbol: &str) -> Option<String> {
    Some(match channel {
        "trade" => format!("spot.trades|{symbol}"),
        "book_ticker" => format!("spot.book_ticker|{symbol}"),
        "depth" => format!("spot.order_book_update|{symbol},100ms"),
        "obu50" | "obu400" => format!("spot.obu|ob.{symbol}.{}", &channel[3..]),
        "depth5" | "depth10" | "depth20" => format!("spot.order_book|{symbol},{},100ms", &channel[5..]),
        k => {
            let i = k.strip_prefix("kline_")?;
            super::market::interval_ms(i)?;
            format!("spot.candlesticks|{i},{symbol}")
        }
    })
}

/// The subscribe request for `topics` (one topic).
pub fn subscribe(id: u64, now_s: u64, topics: &[String]) -> String {
    let t = topics.first().map_or("", String::as_str);
    let (channel, payload) = t.split_once('|').unwrap_or((t, ""));
    let payload: Vec<&str> = payload.split(',').filter(|p| !p.is_empty()).collect();
    serde_json::json!({ "time": now_s, "id": id, "channel": channel, "event": "subscribe", "payload": payload })
        .to_string()
}

/// The client ping.
pub fn ping(now_s: u64) -> String {
    format!(r#"{{"time":{now_s},"channel":"spot.ping"}}"#)
}

/// The deepest REST snapshot Gate.io gives (`limit` of `GET /spot/order_book`; the official
/// `gatews` example keeps its books with this limit too).
pub const SNAPSHOT_MAX_DEPTH: u32 = 100;

/// The REST snapshot path for `symbol`, `depth` levels a side.
pub fn snapshot_path(symbol: &str, depth: u32) -> String {
    format!("/api/v4/spot/order_book?currency_pair={symbol}&limit={depth}&with_id=true")
}
