//! Binance spot and USD-M as the feeder speaks them: streams named `<symbol>@<stream>` (up to
//! 1,024 per connection, 5 incoming messages a second), `SUBSCRIBE` requests, server pings,
//! and book snapshots over REST (`/api/v3/depth`, `/fapi/v1/depth`).

use std::{sync::Arc, time::Duration};

use mdbus_schemas::VenueId;

use super::Market;
use mdbus_feeder::{
    account::AccountRunner,
    book::SyncRule,
    config::AccountEntry,
    decode::{DecodeError, Levels, Message},
    protocol::{FrameDecoder, Protocol, TextDecoder},
    venue::{Limits, SnapshotSource},
};

/// Binance's protocol on `Market`.
#[derive(Debug, Clone, Copy)]
pub struct Binance(pub Market);

/// Binance spot.
pub const SPOT: Binance = Binance(Market::Spot);
/// Binance USD-M futures.
pub const USDM: Binance = Binance(Market::UsdM);

/// Intervals of Binance klines.
pub const KLINES: [&str; 16] =
    ["1s", "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "3d", "1w", "1M"];

/// Returns the Binance stream names for `channels` × `symbols`.
///
/// # Examples
///
/// ```
/// let s = mdbus_venues::binance::protocol::streams(&["trade".into(), "depth".into()], &["BTCUSDT"]);
/// assert_eq!(s, vec!["btcusdt@trade", "btcusdt@depth@100ms"]);
/// ```
pub fn streams(channels: &[String], symbols: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for s in symbols {
        for c in channels {
            if let Some(t) = stream(c, s) {
                out.push(t);
            }
        }
    }
    out
}

/// The stream of `channel` for `symbol`, or `None` for a channel Binance lacks.
fn stream(channel: &str, symbol: &str) -> Option<String> {
    let s = symbol.to_ascii_lowercase();
    Some(match channel {
        "trade" => format!("{s}@trade"),
        "agg_trade" => format!("{s}@aggTrade"),
        "book_ticker" => format!("{s}@bookTicker"),
        "ticker" => format!("{s}@ticker"),
        "depth" => format!("{s}@depth@100ms"),
        "depth5" | "depth10" | "depth20" => format!("{s}@{channel}@100ms"),
        k => {
            let i = k.strip_prefix("kline_")?;
            KLINES.contains(&i).then(|| format!("{s}@{k}"))?
        }
    })
}

impl Protocol for Binance {
    fn name(&self) -> &'static str {
        "binance"
    }

    fn market(&self) -> &'static str {
        match self.0 {
            Market::Spot => "spot",
            Market::UsdM => "usdm",
        }
    }

    fn id(&self) -> VenueId {
        match self.0 {
            Market::Spot => VenueId::BINANCE_SPOT,
            Market::UsdM => VenueId::BINANCE_USDM,
        }
    }

    fn extra_channels(&self) -> &'static str {
        "agg_trade, ticker, depth5/10/20"
    }

    fn topic(&self, channel: &str, symbol: &str) -> Option<String> {
        stream(channel, symbol)
    }

    fn sync_rule(&self) -> SyncRule {
        match self.0 {
            Market::Spot => SyncRule::RangeAfterRest,
            Market::UsdM => SyncRule::PrevAfterRest,
        }
    }

    fn snapshots(&self) -> SnapshotSource {
        SnapshotSource::Rest
    }

    fn limits(&self) -> Limits {
        // 1024 streams per connection, 5 incoming messages per second.
        Limits { topics_per_connection: 1024, topics_per_request: 200, request_spacing: Duration::from_millis(250) }
    }

    fn subscribe(&self, id: u64, topics: &[String]) -> String {
        serde_json::json!({ "method": "SUBSCRIBE", "params": topics, "id": id }).to_string()
    }

    /// Binance names streams in lowercase (`btcusdt@depth`) but spells symbols in uppercase.
    fn symbol_from_stream(&self, s: &str) -> String {
        s.to_ascii_uppercase()
    }

    fn snapshot_max_depth(&self) -> Option<u32> {
        Some(match self.0 {
            Market::Spot => 5_000,
            Market::UsdM => 1_000,
        })
    }

    fn snapshot_path_depth(&self, symbol: &str, depth: u32) -> Option<String> {
        Some(match self.0 {
            Market::Spot => format!("/api/v3/depth?symbol={symbol}&limit={depth}"),
            Market::UsdM => format!("/fapi/v1/depth?symbol={symbol}&limit={depth}"),
        })
    }

    /// USD-M bodies carry `T` (transaction time) and `E` (message time).
    fn rest_snapshot_at(&self, body: &[u8], levels: &mut Levels) -> Result<(u64, Option<u64>), DecodeError> {
        match super::decode(body, levels)? {
            Message::Depth(d) => Ok((d.last_seq, d.trade_ts_ms.or(d.event_ts_ms))),
            _ => Err(DecodeError::Unrecognized),
        }
    }

    fn decoder(&self) -> Box<dyn FrameDecoder> {
        Box::new(TextDecoder(super::decode))
    }

    fn registry_key(&self) -> &'static str {
        match self.0 {
            Market::Spot => "BINANCE___SPOT",
            Market::UsdM => "BINANCE___SWAP",
        }
    }

    fn register_feeds(
        &self,
        registry: &mdbus_sdk::registry::Registry,
    ) -> Result<(), mdbus_sdk::registry::RegistryError> {
        super::rest::register(registry)
    }

    fn account_markets(&self) -> &'static [&'static str] {
        &["spot", "usdm"]
    }

    fn check_account(&self, cfg: &AccountEntry) -> Vec<(&'static str, &'static str)> {
        match &cfg.rest_url {
            Some(u) if u.starts_with("http://") || u.starts_with("https://") => Vec::new(),
            _ => vec![("rest_url", "binance accounts need an http(s) rest_url for listen keys")],
        }
    }

    fn account(
        &self,
        cfg: &AccountEntry,
        creds: mdbus_sdk::credentials::Credentials,
        writer: mdbus_bus::Writer,
        tls: Arc<rustls::ClientConfig>,
    ) -> Result<AccountRunner, String> {
        use super::order::{BinanceClient, Market as OrderMarket};
        let market = match self.0 {
            Market::Spot => OrderMarket::Spot,
            Market::UsdM => OrderMarket::UsdM,
        };
        let rest = cfg.rest_url.clone().ok_or("binance accounts need an http(s) rest_url for listen keys")?;
        let client = BinanceClient::new(market, &rest, tls.clone(), creds).map_err(|e| e.to_string())?;
        let decoder = super::account::AccountDecoder::new(self.id(), cfg.number);
        let stream = super::stream::AccountStream::new(
            super::stream::AccountStreamConfig::new(&cfg.ws_url),
            client,
            decoder,
            writer,
            tls,
            mdbus_sdk::clock::SystemClock,
        );
        Ok(AccountRunner::new(&cfg.name, self.id(), cfg.number, Box::new(stream)))
    }
}

impl From<Market> for mdbus_feeder::venue::Venue {
    fn from(m: Market) -> mdbus_feeder::venue::Venue {
        match m {
            Market::Spot => crate::BINANCE_SPOT,
            Market::UsdM => crate::BINANCE_USDM,
        }
    }
}
