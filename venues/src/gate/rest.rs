//! Gate.io v4 spot (`GATEIO___SPOT`) REST market data as a [`VenueFeed`]: instruments from
//! `/api/v4/spot/currency_pairs` (exponents from `precision` and `amount_precision`, digit
//! counts), tickers, the order book, recent trades and candlesticks, returned as the records
//! the rings carry, and, given credentials, the order operations through [`GateClient`].

use mdbus_schemas::{Bar, BookSnapshot, Kind, Quote, Trade, VenueId, flags};
use serde_json::Value;

use super::{errors::GATE, order::GateClient};
use mdbus_sdk::feeds::common::{self, Candle, Instruments, Options, Rest, bad, dec, fixed, header, num, step};
use mdbus_sdk::{
    error::Error,
    market::InstrumentInfo,
    registry::{Capabilities, FeedOptions, Registry, VenueFeed},
};

const URL: &str = "https://api.gateio.ws";
const KEY: &str = "GATEIO___SPOT";

/// What the feed can do: market data and spot orders.
pub fn capabilities() -> Capabilities {
    common::trading_capabilities()
}

/// A Gate.io REST market-data feed (spot).
#[derive(Debug)]
pub struct GateMarketFeed {
    rest: Rest,
    instruments: Instruments,
    orders: Option<GateClient>,
}

/// Gate's candlestick interval of a Binance-style one (`1w` → `7d`; the rest as they are).
fn interval_name(i: &str) -> Option<&'static str> {
    Some(match i {
        "10s" => "10s",
        "1m" => "1m",
        "5m" => "5m",
        "15m" => "15m",
        "30m" => "30m",
        "1h" => "1h",
        "4h" => "4h",
        "8h" => "8h",
        "1d" => "1d",
        "1w" => "7d",
        _ => return None,
    })
}

/// Whole milliseconds of Gate's `create_time_ms` (`"1676275203283.123"`).
fn millis(v: &Value) -> u64 {
    match v {
        Value::String(s) => s.split('.').next().and_then(|w| w.parse().ok()).unwrap_or(0),
        Value::Number(n) => n.as_f64().map_or(0, |f| f as u64),
        _ => 0,
    }
}

impl GateMarketFeed {
    /// A feed built from `options` (see [`super`] for the parameters).
    ///
    /// # Errors
    ///
    /// [`Error::Configuration`] for a bad URL or TLS setup.
    pub fn new(options: &FeedOptions) -> Result<GateMarketFeed, Error> {
        let o = Options::of(options);
        let orders = match o.credentials {
            None => None,
            Some(c) => Some(
                GateClient::new(o.rest_url.unwrap_or(URL), o.tls()?, c.clone())?
                    .with_budget(o.account, o.limiter.clone()),
            ),
        };
        Ok(GateMarketFeed { rest: Rest::new(KEY, &o, URL)?, instruments: Instruments::new(o.first_id), orders })
    }

    fn get(&mut self, target: &str) -> Result<Value, Error> {
        let r = self.rest.get(target)?;
        if let Some(e) = GATE.from_body(KEY, r.status, &r.body, r.retry_after()) {
            return Err(e);
        }
        if !r.is_success() {
            return Err(bad(KEY, "error status"));
        }
        serde_json::from_slice(&r.body).map_err(|_| bad(KEY, "not JSON"))
    }

    fn instrument(&mut self, symbol: &str) -> Result<mdbus_schemas::Instrument, Error> {
        if !self.instruments.loaded() {
            self.connect()?;
        }
        self.instruments.get(KEY, symbol)
    }
}

impl VenueFeed for GateMarketFeed {
    fn key(&self) -> &str {
        KEY
    }

    fn capabilities(&self) -> Capabilities {
        capabilities()
    }

    fn connect(&mut self) -> Result<(), Error> {
        let v = self.get("/api/v4/spot/currency_pairs")?;
        let list = v.as_array().ok_or_else(|| bad(KEY, "currency pairs"))?;
        let infos = list
            .iter()
            .map(|s| {
                let text = |k: &str| s[k].as_str().unwrap_or("").to_owned();
                Ok(InstrumentInfo {
                    symbol: text("id"),
                    base: text("base"),
                    quote: text("quote"),
                    tick_size: num(&s["precision"]).and_then(step).ok_or_else(|| bad(KEY, "precision"))?,
                    lot_size: num(&s["amount_precision"]).and_then(step).ok_or_else(|| bad(KEY, "amount_precision"))?,
                    min_notional: dec(&s["min_quote_amount"]),
                    status: text("trade_status"),
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        self.instruments.load(KEY, VenueId::GATEIO, infos)
    }

    mdbus_sdk::instrument_state!();

    fn ticker(&mut self, symbol: &str) -> Result<Quote, Error> {
        let inst = self.instrument(symbol)?;
        let v = self.get(&format!("/api/v4/spot/tickers?currency_pair={symbol}"))?;
        let t = v.get(0).ok_or_else(|| bad(KEY, "empty tickers"))?;
        let (pe, qe) = (inst.price_exp, inst.qty_exp);
        Ok(Quote {
            header: header(&inst, Kind::QUOTE, 0, 0),
            bid_px: fixed(KEY, &t["highest_bid"], pe, "highest_bid")?,
            bid_qty: fixed(KEY, &t["highest_size"], qe, "highest_size")?,
            ask_px: fixed(KEY, &t["lowest_ask"], pe, "lowest_ask")?,
            ask_qty: fixed(KEY, &t["lowest_size"], qe, "lowest_size")?,
            _pad: [0; 48],
        })
    }

    fn depth(&mut self, symbol: &str, limit: usize) -> Result<BookSnapshot, Error> {
        let inst = self.instrument(symbol)?;
        let n = limit.clamp(1, mdbus_schemas::SNAPSHOT_DEPTH);
        let v = self.get(&format!("/api/v4/spot/order_book?currency_pair={symbol}&limit={n}&with_id=true"))?;
        let ms = num(&v["update"]).or_else(|| num(&v["current"])).unwrap_or(0);
        common::book(KEY, &inst, (&v["bids"], &v["asks"]), limit, num(&v["id"]).unwrap_or(0), ms)
    }

    fn trades(&mut self, symbol: &str, limit: usize) -> Result<Vec<Trade>, Error> {
        let inst = self.instrument(symbol)?;
        let v = self.get(&format!("/api/v4/spot/trades?currency_pair={symbol}&limit={}", limit.clamp(1, 1000)))?;
        let list = v.as_array().ok_or_else(|| bad(KEY, "trades"))?;
        // Newest first on the wire; oldest first here.
        list.iter()
            .rev()
            .map(|t| {
                let mut h = header(&inst, Kind::TRADE, num(&t["id"]).unwrap_or(0), millis(&t["create_time_ms"]));
                h.flags = if t["side"] == "sell" { flags::SELL } else { flags::BUY };
                let (price, qty) = (
                    fixed(KEY, &t["price"], inst.price_exp, "price")?,
                    fixed(KEY, &t["amount"], inst.qty_exp, "amount")?,
                );
                common::trade(KEY, h, (&t["id"], "id"), price, qty)
            })
            .collect()
    }

    fn klines(&mut self, symbol: &str, interval: &str, limit: usize) -> Result<Vec<Bar>, Error> {
        let inst = self.instrument(symbol)?;
        let span = match interval {
            "10s" => Some(10_000),
            i => mdbus_sdk::market::interval_ms(i),
        };
        let (Some(name), Some(span)) = (interval_name(interval), span) else {
            return Err(common::bad_interval(KEY, interval));
        };
        let v = self.get(&format!(
            "/api/v4/spot/candlesticks?currency_pair={symbol}&interval={name}&limit={}",
            limit.clamp(1, 1000)
        ))?;
        let list = v.as_array().ok_or_else(|| bad(KEY, "candlesticks"))?;
        // Oldest first on the wire: [time s, quote volume, close, high, low, open, base amount, closed].
        list.iter()
            .map(|k| {
                let open_ms = num(&k[0]).ok_or_else(|| bad(KEY, "candle time"))?.saturating_mul(1000);
                let ohlcv = [&k[5], &k[3], &k[4], &k[2], &k[6]];
                let closed = k[7] == "true" || k[7] == true;
                let c = Candle { open_ms, span_ms: span, closed, trades: 0, seq: 0, ohlcv, quote_volume: Some(&k[1]) };
                common::bar(KEY, &inst, &c)
            })
            .collect()
    }
}

/// Registers `GATEIO___SPOT` in `registry` (options in [`super`]).
///
/// # Errors
///
/// [`mdbus_sdk::registry::RegistryError`] when the key is already registered.
pub fn register(registry: &Registry) -> Result<(), mdbus_sdk::registry::RegistryError> {
    registry.register(KEY, capabilities(), |o: &FeedOptions| -> Result<Box<dyn VenueFeed>, Error> {
        Ok(Box::new(GateMarketFeed::new(o)?))
    })
}
