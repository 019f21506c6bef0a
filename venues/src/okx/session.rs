//! OKX v5 public session rules: topics are `channel:instId`, one `subscribe` carries up to
//! [`TOPICS_PER_REQUEST`] args with an `id` the venue echoes in every `subscribe` event and in
//! an `error`; the client sends the text `ping` (answered by `pong`) well inside the 30 s after
//! which an idle connection is cut.

use std::time::Duration;

/// Args per `subscribe` request (the request must stay under 64 KiB).
pub const TOPICS_PER_REQUEST: usize = 50;
/// Topics per connection (conservative: OKX limits request rate, not topic count).
pub const TOPICS_PER_CONNECTION: usize = 240;
/// OKX allows 3 connection requests per second per IP; subscribe messages are spaced likewise.
pub const REQUEST_SPACING: Duration = Duration::from_millis(350);
/// The client `ping` interval: OKX cuts a connection after 30 s without messages.
pub const PING_EVERY: Duration = Duration::from_secs(20);

/// OKX candle channel suffix of a Binance-style interval (`1h` → `1H`).
fn bar(interval: &str) -> Option<&'static str> {
    Some(match interval {
        "1s" => "1s",
        "1m" => "1m",
        "3m" => "3m",
        "5m" => "5m",
        "15m" => "15m",
        "30m" => "30m",
        "1h" => "1H",
        "2h" => "2H",
        "4h" => "4H",
        "6h" => "6H",
        "12h" => "12H",
        "1d" => "1D",
        "1w" => "1W",
        "1M" => "1M",
        _ => return None,
    })
}

/// The topic of `channel` for `symbol` (`BTC-USDT`), or `None` for a channel OKX lacks.
pub fn topic(channel: &str, symbol: &str) -> Option<String> {
    let c = match channel {
        "trade" => "trades".to_owned(),
        "book_ticker" => "bbo-tbt".to_owned(),
        "ticker" => "tickers".to_owned(),
        "depth" => "books".to_owned(),
        "depth5" => "books5".to_owned(),
        k => format!("candle{}", bar(k.strip_prefix("kline_")?)?),
    };
    Some(format!("{c}:{symbol}"))
}

/// The `subscribe` request for `topics`.
pub fn subscribe(id: u64, topics: &[String]) -> String {
    let args: Vec<serde_json::Value> = topics
        .iter()
        .map(|t| {
            let (c, i) = t.split_once(':').unwrap_or((t, ""));
            serde_json::json!({ "channel": c, "instId": i })
        })
        .collect();
    serde_json::json!({ "id": id.to_string(), "op": "subscribe", "args": args }).to_string()
}
