//! Binance spot (`BINANCE___SPOT`) and USD-M futures (`BINANCE___SWAP`) as a [`VenueFeed`]:
//! REST market data (instruments from `exchangeInfo`, exponents from `PRICE_FILTER.tickSize`
//! and `LOT_SIZE.stepSize`; the book ticker, depth, recent trades and klines) returned as the
//! records the rings carry, and, given credentials, the order operations through
//! [`BinanceClient`].

use mdbus_schemas::{Bar, BookSnapshot, Kind, Quote, Trade, VenueId, flags};
use serde_json::Value;

use super::{
    errors::BINANCE,
    order::{BinanceClient, Market as OrderMarket},
};
use mdbus_sdk::feeds::common::{self, Candle, Instruments, Options, Rest, bad, dec, fixed, header};
use mdbus_sdk::{
    error::Error,
    market::InstrumentInfo,
    registry::{Capabilities, Capability, FeedOptions, Registry, VenueFeed},
};

/// Which Binance market.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Market {
    /// Spot, `/api/v3`.
    Spot,
    /// USD-M futures, `/fapi/v1`.
    UsdM,
}

impl Market {
    fn key(self) -> &'static str {
        match self {
            Market::Spot => "BINANCE___SPOT",
            Market::UsdM => "BINANCE___SWAP",
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            Market::Spot => "/api/v3",
            Market::UsdM => "/fapi/v1",
        }
    }

    fn venue(self) -> VenueId {
        match self {
            Market::Spot => VenueId::BINANCE_SPOT,
            Market::UsdM => VenueId::BINANCE_USDM,
        }
    }

    fn default_url(self) -> &'static str {
        match self {
            Market::Spot => "https://api.binance.com",
            Market::UsdM => "https://fapi.binance.com",
        }
    }
}

/// What the feed can do on `market`: market data, and orders (positions on USD-M only).
pub fn capabilities_of(market: Market) -> Capabilities {
    let c = common::trading_capabilities();
    if market == Market::UsdM { c.with(Capability::GetPosition) } else { c }
}

/// What the spot feed can do.
pub fn capabilities() -> Capabilities {
    capabilities_of(Market::Spot)
}

/// A Binance feed: REST market data, and orders given credentials.
#[derive(Debug)]
pub struct BinanceMarketFeed {
    market: Market,
    rest: Rest,
    instruments: Instruments,
    orders: Option<BinanceClient>,
}

impl BinanceMarketFeed {
    /// A feed on `market` built from `options` (see [`super`] for the parameters). Instrument
    /// ids are given in `exchangeInfo` order from `first_id` on.
    ///
    /// # Errors
    ///
    /// [`Error::Configuration`] for a bad URL or TLS setup.
    pub fn new(market: Market, options: &FeedOptions) -> Result<BinanceMarketFeed, Error> {
        let o = Options::of(options);
        let orders = match o.credentials {
            None => None,
            Some(c) => {
                let m = if market == Market::Spot { OrderMarket::Spot } else { OrderMarket::UsdM };
                Some(
                    BinanceClient::new(m, o.rest_url.unwrap_or(market.default_url()), o.tls()?, c.clone())?
                        .with_budget(o.account, o.limiter.clone()),
                )
            }
        };
        Ok(BinanceMarketFeed {
            market,
            rest: Rest::new(market.key(), &o, market.default_url())?,
            instruments: Instruments::new(o.first_id),
            orders,
        })
    }

    fn get(&mut self, target: &str) -> Result<Value, Error> {
        let venue = self.market.key();
        let r = self.rest.get(target)?;
        if !r.is_success() {
            return Err(BINANCE
                .from_body(venue, r.status, &r.body, r.retry_after())
                .unwrap_or_else(|| bad(venue, "error status")));
        }
        serde_json::from_slice(&r.body).map_err(|_| bad(venue, "not JSON"))
    }

    fn instrument(&mut self, symbol: &str) -> Result<mdbus_schemas::Instrument, Error> {
        if !self.instruments.loaded() {
            self.connect()?;
        }
        self.instruments.get(self.market.key(), symbol)
    }
}

impl VenueFeed for BinanceMarketFeed {
    fn key(&self) -> &str {
        self.market.key()
    }

    fn capabilities(&self) -> Capabilities {
        capabilities_of(self.market)
    }

    fn connect(&mut self) -> Result<(), Error> {
        let infos = self.instruments_uncached()?;
        self.instruments.load(self.market.key(), self.market.venue(), infos)
    }

    mdbus_sdk::instrument_state!();

    fn ticker(&mut self, symbol: &str) -> Result<Quote, Error> {
        let inst = self.instrument(symbol)?;
        let key = self.market.key();
        let v = self.get(&format!("{}/ticker/bookTicker?symbol={symbol}", self.market.prefix()))?;
        let (pe, qe) = (inst.price_exp, inst.qty_exp);
        Ok(Quote {
            header: header(
                &inst,
                Kind::QUOTE,
                v["lastUpdateId"].as_u64().unwrap_or(0),
                v["time"].as_u64().unwrap_or(0),
            ),
            bid_px: fixed(key, &v["bidPrice"], pe, "bidPrice")?,
            bid_qty: fixed(key, &v["bidQty"], qe, "bidQty")?,
            ask_px: fixed(key, &v["askPrice"], pe, "askPrice")?,
            ask_qty: fixed(key, &v["askQty"], qe, "askQty")?,
            _pad: [0; 48],
        })
    }

    fn depth(&mut self, symbol: &str, limit: usize) -> Result<BookSnapshot, Error> {
        let inst = self.instrument(symbol)?;
        let n = limit.clamp(1, mdbus_schemas::SNAPSHOT_DEPTH);
        let v = self.get(&format!("{}/depth?symbol={symbol}&limit={n}", self.market.prefix()))?;
        let (seq, ms) = (v["lastUpdateId"].as_u64().unwrap_or(0), v["T"].as_u64().unwrap_or(0));
        common::book(self.market.key(), &inst, (&v["bids"], &v["asks"]), limit, seq, ms)
    }

    fn trades(&mut self, symbol: &str, limit: usize) -> Result<Vec<Trade>, Error> {
        let inst = self.instrument(symbol)?;
        let key = self.market.key();
        let v = self.get(&format!("{}/trades?symbol={symbol}&limit={}", self.market.prefix(), limit.clamp(1, 1000)))?;
        let list = v.as_array().ok_or_else(|| bad(key, "trades"))?;
        list.iter()
            .map(|t| {
                let mut h = header(&inst, Kind::TRADE, t["id"].as_u64().unwrap_or(0), t["time"].as_u64().unwrap_or(0));
                // The buyer was the maker: the taker sold.
                h.flags = if t["isBuyerMaker"].as_bool().unwrap_or(false) { flags::SELL } else { flags::BUY };
                let (price, qty) =
                    (fixed(key, &t["price"], inst.price_exp, "price")?, fixed(key, &t["qty"], inst.qty_exp, "qty")?);
                common::trade(key, h, (&t["id"], "id"), price, qty)
            })
            .collect()
    }

    fn klines(&mut self, symbol: &str, interval: &str, limit: usize) -> Result<Vec<Bar>, Error> {
        let inst = self.instrument(symbol)?;
        let key = self.market.key();
        if mdbus_sdk::market::interval_ms(interval).is_none() {
            return Err(common::bad_interval(key, interval));
        }
        let v = self.get(&format!(
            "{}/klines?symbol={symbol}&interval={interval}&limit={}",
            self.market.prefix(),
            limit.clamp(1, 1000)
        ))?;
        let list = v.as_array().ok_or_else(|| bad(key, "klines"))?;
        list.iter()
            .map(|k| {
                let open_ms = k[0].as_u64().ok_or_else(|| bad(key, "kline open time"))?;
                let close_ms = k[6].as_u64().unwrap_or(open_ms);
                let trades = k[8].as_u64().unwrap_or(0);
                let span_ms = close_ms.saturating_sub(open_ms).saturating_add(1);
                let ohlcv = [&k[1], &k[2], &k[3], &k[4], &k[5]];
                let c =
                    Candle { open_ms, span_ms, closed: true, trades, seq: trades, ohlcv, quote_volume: Some(&k[7]) };
                common::bar(key, &inst, &c)
            })
            .collect()
    }
}

impl BinanceMarketFeed {
    fn instruments_uncached(&mut self) -> Result<Vec<InstrumentInfo>, Error> {
        let venue = self.market.key();
        let v = self.get(&format!("{}/exchangeInfo", self.market.prefix()))?;
        let symbols = v["symbols"].as_array().ok_or_else(|| bad(venue, "exchangeInfo.symbols"))?;
        symbols
            .iter()
            .map(|s| {
                let filter = |t: &str| s["filters"].as_array().and_then(|f| f.iter().find(|x| x["filterType"] == t));
                let tick =
                    filter("PRICE_FILTER").and_then(|f| dec(&f["tickSize"])).ok_or_else(|| bad(venue, "tickSize"))?;
                let lot = filter("LOT_SIZE").and_then(|f| dec(&f["stepSize"])).ok_or_else(|| bad(venue, "stepSize"))?;
                let min_notional = filter("NOTIONAL").and_then(|f| dec(&f["minNotional"])).or_else(|| {
                    filter("MIN_NOTIONAL").and_then(|f| dec(&f["notional"]).or_else(|| dec(&f["minNotional"])))
                });
                let text = |k: &str| s[k].as_str().unwrap_or("").to_owned();
                Ok(InstrumentInfo {
                    symbol: text("symbol"),
                    base: text("baseAsset"),
                    quote: text("quoteAsset"),
                    tick_size: tick,
                    lot_size: lot,
                    min_notional,
                    status: if s["status"].is_string() { text("status") } else { text("contractStatus") },
                })
            })
            .collect()
    }
}

/// Registers `BINANCE___SPOT` and `BINANCE___SWAP` in `registry` (options in [`super`]).
///
/// # Errors
///
/// [`mdbus_sdk::registry::RegistryError`] when a key is already registered.
pub fn register(registry: &Registry) -> Result<(), mdbus_sdk::registry::RegistryError> {
    for market in [Market::Spot, Market::UsdM] {
        registry.register(
            market.key(),
            capabilities_of(market),
            move |o: &FeedOptions| -> Result<Box<dyn VenueFeed>, Error> {
                Ok(Box::new(BinanceMarketFeed::new(market, o)?))
            },
        )?;
    }
    Ok(())
}
