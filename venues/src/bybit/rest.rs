//! Bybit v5 spot (`BYBIT___SPOT`) and linear (`BYBIT___SWAP`) as a [`VenueFeed`]: REST market
//! data (instruments from `/v5/market/instruments-info`, exponents from
//! `priceFilter.tickSize` and `lotSizeFilter.basePrecision` / `qtyStep`; tickers, order book,
//! recent trades and klines) returned as the records the rings carry, and, given credentials,
//! the order operations through [`BybitClient`].

use mdbus_schemas::{Bar, BookSnapshot, Kind, Quote, Trade, VenueId, flags};
use serde_json::Value;

use super::{
    errors::BYBIT,
    order::{BybitClient, Market as OrderMarket},
};
use mdbus_sdk::feeds::common::{self, Candle, Instruments, Options, Rest, bad, dec, fixed, header, num};
use mdbus_sdk::{
    error::Error,
    market::InstrumentInfo,
    registry::{Capabilities, Capability, FeedOptions, Registry, VenueFeed},
};

const URL: &str = "https://api.bybit.com";

/// Which Bybit category.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    /// Spot.
    Spot,
    /// USDT perpetuals.
    Linear,
}

impl Category {
    fn key(self) -> &'static str {
        match self {
            Category::Spot => "BYBIT___SPOT",
            Category::Linear => "BYBIT___SWAP",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Category::Spot => "spot",
            Category::Linear => "linear",
        }
    }

    fn venue(self) -> VenueId {
        match self {
            Category::Spot => VenueId::BYBIT_SPOT,
            Category::Linear => VenueId::BYBIT_LINEAR,
        }
    }
}

/// What the feed can do in `category`: market data, and orders (positions on linear only).
pub fn capabilities_of(category: Category) -> Capabilities {
    let c = common::trading_capabilities();
    if category == Category::Linear { c.with(Capability::GetPosition) } else { c }
}

/// What the spot feed can do.
pub fn capabilities() -> Capabilities {
    capabilities_of(Category::Spot)
}

/// A Bybit feed: REST market data, and orders given credentials.
#[derive(Debug)]
pub struct BybitMarketFeed {
    category: Category,
    rest: Rest,
    instruments: Instruments,
    orders: Option<BybitClient>,
}

/// Bybit's kline interval of a Binance-style one (`1m` → `1`, `1h` → `60`, `1d` → `D`,
/// `1M` → `M`): the one table, for the REST feed and the feeder's `kline.*` topics.
///
/// ```
/// use mdbus_venues::bybit::rest::kline_interval;
/// assert_eq!((kline_interval("1h"), kline_interval("1M"), kline_interval("2d")), (Some("60"), Some("M"), None));
/// ```
pub fn kline_interval(i: &str) -> Option<&'static str> {
    Some(match i {
        "1m" => "1",
        "3m" => "3",
        "5m" => "5",
        "15m" => "15",
        "30m" => "30",
        "1h" => "60",
        "2h" => "120",
        "4h" => "240",
        "6h" => "360",
        "12h" => "720",
        "1d" => "D",
        "1w" => "W",
        "1M" => "M",
        _ => return None,
    })
}

impl BybitMarketFeed {
    /// A feed on `category` built from `options` (see [`super`] for the parameters).
    ///
    /// # Errors
    ///
    /// [`Error::Configuration`] for a bad URL or TLS setup.
    pub fn new(category: Category, options: &FeedOptions) -> Result<BybitMarketFeed, Error> {
        let o = Options::of(options);
        let orders = match o.credentials {
            None => None,
            Some(c) => {
                let m = if category == Category::Spot { OrderMarket::Spot } else { OrderMarket::Linear };
                Some(
                    BybitClient::new(m, o.rest_url.unwrap_or(URL), o.tls()?, c.clone())?
                        .with_budget(o.account, o.limiter.clone()),
                )
            }
        };
        Ok(BybitMarketFeed {
            category,
            rest: Rest::new(category.key(), &o, URL)?,
            instruments: Instruments::new(o.first_id),
            orders,
        })
    }

    /// `result` of a Bybit reply (`{"retCode":0,"retMsg":"OK","result":{...}}`).
    fn get(&mut self, path: &str, query: &str) -> Result<Value, Error> {
        let key = self.category.key();
        let r = self.rest.get(&format!("{path}?category={}&{query}", self.category.name()))?;
        if let Some(e) = BYBIT.from_body(key, r.status, &r.body, r.retry_after()) {
            return Err(e);
        }
        if !r.is_success() {
            return Err(bad(key, "error status"));
        }
        let mut v: Value = serde_json::from_slice(&r.body).map_err(|_| bad(key, "not JSON"))?;
        match v.get_mut("result") {
            Some(r @ Value::Object(_)) => Ok(r.take()),
            _ => Err(bad(key, "no result")),
        }
    }

    fn instrument(&mut self, symbol: &str) -> Result<mdbus_schemas::Instrument, Error> {
        if !self.instruments.loaded() {
            self.connect()?;
        }
        self.instruments.get(self.category.key(), symbol)
    }
}

impl VenueFeed for BybitMarketFeed {
    fn key(&self) -> &str {
        self.category.key()
    }

    fn capabilities(&self) -> Capabilities {
        capabilities_of(self.category)
    }

    fn connect(&mut self) -> Result<(), Error> {
        let key = self.category.key();
        let v = self.get("/v5/market/instruments-info", "limit=1000")?;
        let list = v["list"].as_array().ok_or_else(|| bad(key, "instruments list"))?;
        let infos = list
            .iter()
            .map(|s| {
                let text = |k: &str| s[k].as_str().unwrap_or("").to_owned();
                let lot = &s["lotSizeFilter"];
                Ok(InstrumentInfo {
                    symbol: text("symbol"),
                    base: text("baseCoin"),
                    quote: text("quoteCoin"),
                    tick_size: dec(&s["priceFilter"]["tickSize"]).ok_or_else(|| bad(key, "tickSize"))?,
                    lot_size: dec(&lot["basePrecision"])
                        .or_else(|| dec(&lot["qtyStep"]))
                        .ok_or_else(|| bad(key, "lot size"))?,
                    min_notional: dec(&lot["minOrderAmt"]).or_else(|| dec(&lot["minNotionalValue"])),
                    status: text("status"),
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        self.instruments.load(key, self.category.venue(), infos)
    }

    mdbus_sdk::instrument_state!();

    fn ticker(&mut self, symbol: &str) -> Result<Quote, Error> {
        let inst = self.instrument(symbol)?;
        let key = self.category.key();
        let v = self.get("/v5/market/tickers", &format!("symbol={symbol}"))?;
        let t = v["list"].get(0).ok_or_else(|| bad(key, "empty tickers"))?;
        let (pe, qe) = (inst.price_exp, inst.qty_exp);
        Ok(Quote {
            header: header(&inst, Kind::QUOTE, 0, num(&v["time"]).unwrap_or(0)),
            bid_px: fixed(key, &t["bid1Price"], pe, "bid1Price")?,
            bid_qty: fixed(key, &t["bid1Size"], qe, "bid1Size")?,
            ask_px: fixed(key, &t["ask1Price"], pe, "ask1Price")?,
            ask_qty: fixed(key, &t["ask1Size"], qe, "ask1Size")?,
            _pad: [0; 48],
        })
    }

    fn depth(&mut self, symbol: &str, limit: usize) -> Result<BookSnapshot, Error> {
        let inst = self.instrument(symbol)?;
        let n = limit.clamp(1, mdbus_schemas::SNAPSHOT_DEPTH);
        let b = self.get("/v5/market/orderbook", &format!("symbol={symbol}&limit={n}"))?;
        let (seq, ms) = (num(&b["u"]).unwrap_or(0), num(&b["ts"]).unwrap_or(0));
        common::book(self.category.key(), &inst, (&b["b"], &b["a"]), limit, seq, ms)
    }

    fn trades(&mut self, symbol: &str, limit: usize) -> Result<Vec<Trade>, Error> {
        let inst = self.instrument(symbol)?;
        let key = self.category.key();
        let v = self.get("/v5/market/recent-trade", &format!("symbol={symbol}&limit={}", limit.clamp(1, 1000)))?;
        let list = v["list"].as_array().ok_or_else(|| bad(key, "trades"))?;
        // Newest first on the wire; oldest first here.
        list.iter()
            .rev()
            .map(|t| {
                let mut h = header(&inst, Kind::TRADE, num(&t["execId"]).unwrap_or(0), num(&t["time"]).unwrap_or(0));
                h.flags = if t["side"] == "Sell" { flags::SELL } else { flags::BUY };
                let (price, qty) =
                    (fixed(key, &t["price"], inst.price_exp, "price")?, fixed(key, &t["size"], inst.qty_exp, "size")?);
                common::trade(key, h, (&t["execId"], "execId"), price, qty)
            })
            .collect()
    }

    fn klines(&mut self, symbol: &str, interval: &str, limit: usize) -> Result<Vec<Bar>, Error> {
        let inst = self.instrument(symbol)?;
        let key = self.category.key();
        let (Some(name), Some(span)) = (kline_interval(interval), mdbus_sdk::market::interval_ms(interval)) else {
            return Err(common::bad_interval(key, interval));
        };
        let v =
            self.get("/v5/market/kline", &format!("symbol={symbol}&interval={name}&limit={}", limit.clamp(1, 1000)))?;
        let list = v["list"].as_array().ok_or_else(|| bad(key, "klines"))?;
        list.iter()
            .rev()
            .map(|k| {
                let open_ms = num(&k[0]).ok_or_else(|| bad(key, "kline start"))?;
                let ohlcv = [&k[1], &k[2], &k[3], &k[4], &k[5]];
                let c = Candle {
                    open_ms,
                    span_ms: span,
                    closed: true,
                    trades: 0,
                    seq: 0,
                    ohlcv,
                    quote_volume: Some(&k[6]),
                };
                common::bar(key, &inst, &c)
            })
            .collect()
    }
}

/// Registers `BYBIT___SPOT` and `BYBIT___SWAP` in `registry` (options in [`super`]).
///
/// # Errors
///
/// [`mdbus_sdk::registry::RegistryError`] when a key is already registered.
pub fn register(registry: &Registry) -> Result<(), mdbus_sdk::registry::RegistryError> {
    for category in [Category::Spot, Category::Linear] {
        registry.register(
            category.key(),
            capabilities_of(category),
            move |o: &FeedOptions| -> Result<Box<dyn VenueFeed>, Error> {
                Ok(Box::new(BybitMarketFeed::new(category, o)?))
            },
        )?;
    }
    Ok(())
}
