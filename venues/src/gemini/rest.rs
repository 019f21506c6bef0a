//! Gemini spot (`GEMINI___SPOT`) REST market data as a [`VenueFeed`]: instruments from
//! `/v1/symbols` and `/v1/symbols/details/:symbol` (exponents from `quote_increment`, the price
//! step, and `tick_size`, which on Gemini is the *quantity* step), the book, recent trades and
//! candles, returned as the records the rings carry, and, given credentials, the order
//! operations through [`GeminiClient`]. Gemini's ticker carries no sizes, so
//! [`VenueFeed::ticker`] reads the top of `/v1/book` instead.

use mdbus_schemas::{Bar, BookSnapshot, Kind, Quote, Trade, VenueId, flags};
use serde_json::Value;

use super::{errors::GEMINI, order::GeminiClient};
use mdbus_sdk::feeds::common::{self, Candle, Instruments, Options, Rest, bad, dec, fixed, header, num};
use mdbus_sdk::{
    error::Error,
    market::InstrumentInfo,
    registry::{Capabilities, FeedOptions, Registry, VenueFeed},
};

const URL: &str = "https://api.gemini.com";
const KEY: &str = "GEMINI___SPOT";

/// What the feed can do: market data and spot orders.
pub fn capabilities() -> Capabilities {
    common::trading_capabilities()
}

/// A Gemini REST market-data feed.
#[derive(Debug)]
pub struct GeminiMarketFeed {
    rest: Rest,
    instruments: Instruments,
    orders: Option<GeminiClient>,
}

/// Gemini's candle time frame of a Binance-style interval (`1h` → `1hr`, `1d` → `1day`).
fn time_frame(i: &str) -> Option<&'static str> {
    Some(match i {
        "1m" => "1m",
        "5m" => "5m",
        "15m" => "15m",
        "30m" => "30m",
        "1h" => "1hr",
        "6h" => "6hr",
        "1d" => "1day",
        _ => return None,
    })
}

impl GeminiMarketFeed {
    /// A feed built from `options` (see [`super`] for the parameters).
    ///
    /// # Errors
    ///
    /// [`Error::Configuration`] for a bad URL or TLS setup.
    pub fn new(options: &FeedOptions) -> Result<GeminiMarketFeed, Error> {
        let o = Options::of(options);
        let orders = match o.credentials {
            None => None,
            Some(c) => Some(
                GeminiClient::new(o.rest_url.unwrap_or(URL), o.tls()?, c.clone())?
                    .with_budget(o.account, o.limiter.clone()),
            ),
        };
        Ok(GeminiMarketFeed { rest: Rest::new(KEY, &o, URL)?, instruments: Instruments::new(o.first_id), orders })
    }

    fn get(&mut self, target: &str) -> Result<Value, Error> {
        let r = self.rest.get(target)?;
        if let Some(e) = GEMINI.from_body(KEY, r.status, &r.body, r.retry_after()) {
            return Err(e);
        }
        if !r.is_success() {
            return Err(bad(KEY, "error status"));
        }
        serde_json::from_slice(&r.body).map_err(|_| bad(KEY, "not JSON"))
    }

    /// The instrument of `symbol` (any case) and the lower-case spelling Gemini's paths use.
    fn instrument(&mut self, symbol: &str) -> Result<(mdbus_schemas::Instrument, String), Error> {
        if !self.instruments.loaded() {
            self.connect()?;
        }
        let inst = self.instruments.get(KEY, &symbol.to_ascii_uppercase())?;
        Ok((inst, symbol.to_ascii_lowercase()))
    }
}

impl VenueFeed for GeminiMarketFeed {
    fn key(&self) -> &str {
        KEY
    }

    fn capabilities(&self) -> Capabilities {
        capabilities()
    }

    fn connect(&mut self) -> Result<(), Error> {
        let names = self.get("/v1/symbols")?;
        let names: Vec<String> = names
            .as_array()
            .ok_or_else(|| bad(KEY, "symbols"))?
            .iter()
            .filter_map(|s| s.as_str().map(str::to_owned))
            .collect();
        let mut infos = Vec::with_capacity(names.len());
        for name in names {
            let d = self.get(&format!("/v1/symbols/details/{name}"))?;
            let text = |k: &str| d[k].as_str().unwrap_or("").to_owned();
            infos.push(InstrumentInfo {
                symbol: text("symbol").to_ascii_uppercase(),
                base: text("base_currency"),
                quote: text("quote_currency"),
                tick_size: dec(&d["quote_increment"]).ok_or_else(|| bad(KEY, "quote_increment"))?,
                lot_size: dec(&d["tick_size"]).ok_or_else(|| bad(KEY, "tick_size"))?,
                min_notional: None,
                status: text("status"),
            });
        }
        self.instruments.load(KEY, VenueId::GEMINI, infos)
    }

    mdbus_sdk::instrument_state!();

    fn ticker(&mut self, symbol: &str) -> Result<Quote, Error> {
        let top = self.depth(symbol, 1)?;
        if top.bid_count == 0 || top.ask_count == 0 {
            return Err(bad(KEY, "one side of the book is empty"));
        }
        let mut header = top.header;
        header.kind = Kind::QUOTE;
        Ok(Quote {
            header,
            bid_px: top.bids[0].price,
            bid_qty: top.bids[0].qty,
            ask_px: top.asks[0].price,
            ask_qty: top.asks[0].qty,
            _pad: [0; 48],
        })
    }

    fn depth(&mut self, symbol: &str, limit: usize) -> Result<BookSnapshot, Error> {
        let (inst, path) = self.instrument(symbol)?;
        let n = limit.clamp(1, mdbus_schemas::SNAPSHOT_DEPTH);
        let v = self.get(&format!("/v1/book/{path}?limit_bids={n}&limit_asks={n}"))?;
        // No sequence number; the newest level timestamp (seconds) stands for the book's time.
        let newest = v["bids"]
            .as_array()
            .into_iter()
            .chain(v["asks"].as_array())
            .flatten()
            .filter_map(|l| num(&l["timestamp"]))
            .max()
            .unwrap_or(0);
        common::book(KEY, &inst, (&v["bids"], &v["asks"]), limit, 0, newest.saturating_mul(1000))
    }

    fn trades(&mut self, symbol: &str, limit: usize) -> Result<Vec<Trade>, Error> {
        let (inst, path) = self.instrument(symbol)?;
        let v = self.get(&format!("/v1/trades/{path}?limit_trades={}", limit.clamp(1, 500)))?;
        let list = v.as_array().ok_or_else(|| bad(KEY, "trades"))?;
        list.iter()
            .rev()
            .map(|t| {
                let mut h =
                    header(&inst, Kind::TRADE, num(&t["tid"]).unwrap_or(0), num(&t["timestampms"]).unwrap_or(0));
                h.flags = if t["type"] == "sell" { flags::SELL } else { flags::BUY };
                let (price, qty) = (
                    fixed(KEY, &t["price"], inst.price_exp, "price")?,
                    fixed(KEY, &t["amount"], inst.qty_exp, "amount")?,
                );
                common::trade(KEY, h, (&t["tid"], "tid"), price, qty)
            })
            .collect()
    }

    fn klines(&mut self, symbol: &str, interval: &str, limit: usize) -> Result<Vec<Bar>, Error> {
        let (inst, path) = self.instrument(symbol)?;
        let (Some(name), Some(span)) = (time_frame(interval), mdbus_sdk::market::interval_ms(interval)) else {
            return Err(common::bad_interval(KEY, interval));
        };
        let v = self.get(&format!("/v2/candles/{path}/{name}"))?;
        let list = v.as_array().ok_or_else(|| bad(KEY, "candles"))?;
        // Newest first on the wire, no limit parameter: [time ms, open, high, low, close, volume].
        let mut bars = list
            .iter()
            .take(limit)
            .map(|k| {
                let open_ms = num(&k[0]).ok_or_else(|| bad(KEY, "candle time"))?;
                let ohlcv = [&k[1], &k[2], &k[3], &k[4], &k[5]];
                let c = Candle { open_ms, span_ms: span, closed: true, trades: 0, seq: 0, ohlcv, quote_volume: None };
                common::bar(KEY, &inst, &c)
            })
            .collect::<Result<Vec<_>, Error>>()?;
        bars.reverse();
        Ok(bars)
    }
}

/// Registers `GEMINI___SPOT` in `registry` (options in [`super`]).
///
/// # Errors
///
/// [`mdbus_sdk::registry::RegistryError`] when the key is already registered.
pub fn register(registry: &Registry) -> Result<(), mdbus_sdk::registry::RegistryError> {
    registry.register(KEY, capabilities(), |o: &FeedOptions| -> Result<Box<dyn VenueFeed>, Error> {
        Ok(Box::new(GeminiMarketFeed::new(o)?))
    })
}
