//! `mdbus rest`: a venue's REST market data through the venue feed protocol, as JSON lines in
//! the form `mdbus tail --json` prints ring records, so what a venue answers over REST can be
//! set beside what the bus carries.

use mdbus_schemas::RecordView;
use mdbus_sdk::{
    error::Error,
    registry::{FeedOptions, Registry, VenueFeed},
};
use serde_json::{Value, json};
use zerocopy::IntoBytes;

/// Why a query could not be answered.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RestError {
    /// The operation is not one of `instruments`, `ticker`, `depth`, `trades`, `klines`.
    #[error("unknown operation {0:?} (instruments, ticker, depth, trades or klines)")]
    UnknownOp(String),
    /// The operation needs a symbol and none was given.
    #[error("{0} needs a symbol")]
    MissingSymbol(String),
    /// The feed's typed error (unknown key, venue error, network, not supported).
    #[error(transparent)]
    Feed(#[from] Error),
}

/// What to ask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// Registry key, such as `OKX___SPOT`.
    pub key: String,
    /// `instruments`, `ticker`, `depth`, `trades` or `klines`.
    pub op: String,
    /// Symbol as the venue spells it (all but `instruments`).
    pub symbol: Option<String>,
    /// REST base URL; the venue's own when `None`.
    pub rest_url: Option<String>,
    /// Levels, trades or candles.
    pub limit: usize,
    /// Kline interval (`1m`, `1h`, ...).
    pub interval: String,
}

/// Answers `q` as JSON objects: one per instrument, or one per record (with symbols and exact
/// decimals from the feed's instrument table).
///
/// # Errors
///
/// [`RestError`].
pub fn query(q: &Query) -> Result<Vec<Value>, RestError> {
    let registry = Registry::new();
    mdbus_venues::register_feeds(&registry).map_err(|e| Error::Configuration { detail: e.to_string() })?;
    let mut opts = FeedOptions::default();
    if let Some(url) = &q.rest_url {
        opts = opts.param("rest_url", url);
    }
    let mut feed = registry.create(&q.key, &opts)?;
    if q.op == "instruments" {
        return Ok(feed
            .instruments()?
            .iter()
            .map(|i| {
                json!({ "symbol": i.symbol, "base": i.base, "quote": i.quote, "tick_size": i.tick_size.to_string(),
                    "lot_size": i.lot_size.to_string(), "min_notional": i.min_notional.map(|d| d.to_string()),
                    "status": i.status, "price_exp": i.price_exp(), "qty_exp": i.qty_exp() })
            })
            .collect());
    }
    let symbol = q.symbol.as_deref().ok_or_else(|| RestError::MissingSymbol(q.op.clone()))?;
    let records: Vec<Vec<u8>> = match q.op.as_str() {
        "ticker" => vec![feed.ticker(symbol)?.as_bytes().to_vec()],
        "depth" => vec![feed.depth(symbol, q.limit)?.as_bytes().to_vec()],
        "trades" => feed.trades(symbol, q.limit)?.iter().map(|t| t.as_bytes().to_vec()).collect(),
        "klines" => feed.klines(symbol, &q.interval, q.limit)?.iter().map(|b| b.as_bytes().to_vec()).collect(),
        other => return Err(RestError::UnknownOp(other.to_owned())),
    };
    Ok(as_json(feed.as_ref(), &records))
}

fn as_json(feed: &dyn VenueFeed, records: &[Vec<u8>]) -> Vec<Value> {
    let table = feed.instrument_table();
    records
        .iter()
        .filter_map(|b| RecordView::from_bytes(b).ok())
        .map(|r| crate::format::to_json(&r, Some(&table)))
        .collect()
}
