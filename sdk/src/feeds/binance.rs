//! Binance spot (`BINANCE___SPOT`) and USD-M futures (`BINANCE___SWAP`) REST market data as a
//! [`VenueFeed`]: instruments from `exchangeInfo` (exponents from `PRICE_FILTER.tickSize` and
//! `LOT_SIZE.stepSize`), the book ticker, depth, recent trades and klines, returned as the
//! records the rings carry.

use std::collections::HashMap;

use mdbus_schemas::{
    Bar, BookSnapshot, Decimal, Header, Instrument, InstrumentId, InstrumentTable, Kind, Level, Nanos, Quote,
    SNAPSHOT_DEPTH, Symbol, Trade, VenueId, flags,
};
use serde_json::Value;

use crate::{
    error::{BINANCE, Error, ErrorCode},
    http::HttpClient,
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

/// What the REST feed can do.
pub fn capabilities() -> Capabilities {
    [
        Capability::GetExchangeInfo,
        Capability::GetTick,
        Capability::GetDepth,
        Capability::GetTrades,
        Capability::GetKline,
    ]
    .into_iter()
    .collect()
}

/// A Binance REST market-data feed.
#[derive(Debug)]
pub struct BinanceMarketFeed {
    market: Market,
    http: HttpClient,
    /// By symbol: the instrument (id, exponents) and its metadata.
    instruments: HashMap<String, (Instrument, InstrumentInfo)>,
    first_id: u32,
    connected: bool,
}

fn bad(venue: &str, what: &str) -> Error {
    Error::Venue {
        venue: venue.to_owned(),
        code: ErrorCode::ApiError,
        status: None,
        venue_code: String::new(),
        detail: format!("unexpected response: {what}"),
    }
}

fn dec(v: &Value) -> Option<Decimal> {
    match v {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.to_string().parse().ok(),
        _ => None,
    }
}

impl BinanceMarketFeed {
    /// A feed on `market` at `rest_url` (the venue's own when `None`). Instrument ids are given
    /// in `exchangeInfo` order from `first_id` on.
    ///
    /// # Errors
    ///
    /// [`Error::Configuration`] for a bad URL or TLS setup.
    pub fn new(
        market: Market,
        rest_url: Option<&str>,
        extra_pem: &[&str],
        first_id: u32,
    ) -> Result<BinanceMarketFeed, Error> {
        let tls = crate::tls::client_config(&[] as &[std::path::PathBuf], extra_pem)
            .map_err(|e| Error::Configuration { detail: e.to_string() })?;
        let http = HttpClient::new(rest_url.unwrap_or(market.default_url()), tls)
            .map_err(|e| Error::Configuration { detail: e.to_string() })?;
        Ok(BinanceMarketFeed { market, http, instruments: HashMap::new(), first_id, connected: false })
    }

    /// The instrument table of the loaded instruments (for readers of records this feed
    /// returns).
    pub fn instrument_table(&self) -> InstrumentTable {
        let mut t = InstrumentTable::default();
        let mut all: Vec<&Instrument> = self.instruments.values().map(|(i, _)| i).collect();
        all.sort_by_key(|i| i.id.0);
        for i in all {
            let _ = t.insert(*i);
        }
        t
    }

    fn get(&mut self, target: &str) -> Result<Value, Error> {
        let venue = self.market.key();
        let r = self
            .http
            .request("GET", target, &[("Accept", "application/json")], b"")
            .map_err(|e| Error::Network { venue: venue.to_owned(), detail: crate::redact::text(&e.to_string()) })?;
        if !r.is_success() {
            return Err(BINANCE
                .from_body(venue, r.status, &r.body, r.retry_after())
                .unwrap_or_else(|| bad(venue, "error status")));
        }
        serde_json::from_slice(&r.body).map_err(|_| bad(venue, "not JSON"))
    }

    fn instrument(&mut self, symbol: &str) -> Result<Instrument, Error> {
        if !self.connected {
            self.connect()?;
        }
        self.instruments.get(symbol).map(|(i, _)| *i).ok_or_else(|| Error::InvalidSymbol {
            venue: self.market.key().to_owned(),
            symbol: symbol.to_owned(),
            detail: "not in exchangeInfo".into(),
        })
    }

    fn header(inst: &Instrument, kind: Kind, seq: u64, ms: u64) -> Header {
        Header {
            kind,
            venue: inst.venue,
            instrument: inst.id,
            venue_seq: seq,
            venue_ts: Nanos::from_millis(ms),
            ..Header::default()
        }
    }

    fn fixed(&self, v: &Value, exp: i8, what: &str) -> Result<i64, Error> {
        dec(v).and_then(|d| d.to_fixed(exp).ok()).ok_or_else(|| bad(self.market.key(), what))
    }
}

impl VenueFeed for BinanceMarketFeed {
    fn key(&self) -> &str {
        self.market.key()
    }

    fn capabilities(&self) -> Capabilities {
        capabilities()
    }

    fn connect(&mut self) -> Result<(), Error> {
        let infos = self.instruments_uncached()?;
        self.instruments.clear();
        for (n, info) in infos.into_iter().enumerate() {
            let sym = Symbol::new(&info.symbol).map_err(|_| bad(self.market.key(), "symbol"))?;
            let inst = Instrument::new(
                InstrumentId(self.first_id + n as u32),
                self.market.venue(),
                sym,
                info.price_exp(),
                info.qty_exp(),
            );
            self.instruments.insert(info.symbol.clone(), (inst, info));
        }
        self.connected = true;
        Ok(())
    }

    fn disconnect(&mut self) {
        self.connected = false;
        self.instruments.clear();
    }

    fn is_connected(&self) -> bool {
        self.connected
    }

    fn instruments(&mut self) -> Result<Vec<InstrumentInfo>, Error> {
        if !self.connected {
            self.connect()?;
        }
        let mut v: Vec<(u32, InstrumentInfo)> =
            self.instruments.values().map(|(i, info)| (i.id.0, info.clone())).collect();
        v.sort_by_key(|(id, _)| *id);
        Ok(v.into_iter().map(|(_, i)| i).collect())
    }

    fn ticker(&mut self, symbol: &str) -> Result<Quote, Error> {
        let inst = self.instrument(symbol)?;
        let v = self.get(&format!("{}/ticker/bookTicker?symbol={symbol}", self.market.prefix()))?;
        let (pe, qe) = (inst.price_exp, inst.qty_exp);
        Ok(Quote {
            header: Self::header(
                &inst,
                Kind::QUOTE,
                v["lastUpdateId"].as_u64().unwrap_or(0),
                v["time"].as_u64().unwrap_or(0),
            ),
            bid_px: self.fixed(&v["bidPrice"], pe, "bidPrice")?,
            bid_qty: self.fixed(&v["bidQty"], qe, "bidQty")?,
            ask_px: self.fixed(&v["askPrice"], pe, "askPrice")?,
            ask_qty: self.fixed(&v["askQty"], qe, "askQty")?,
            _pad: [0; 48],
        })
    }

    fn depth(&mut self, symbol: &str, limit: usize) -> Result<BookSnapshot, Error> {
        let inst = self.instrument(symbol)?;
        let limit = limit.clamp(1, SNAPSHOT_DEPTH);
        let v = self.get(&format!("{}/depth?symbol={symbol}&limit={limit}", self.market.prefix()))?;
        let mut rec = BookSnapshot {
            header: Self::header(
                &inst,
                Kind::BOOK_SNAPSHOT,
                v["lastUpdateId"].as_u64().unwrap_or(0),
                v["T"].as_u64().unwrap_or(0),
            ),
            ..BookSnapshot::default()
        };
        for (side, levels, count) in
            [("bids", &mut rec.bids, &mut rec.bid_count), ("asks", &mut rec.asks, &mut rec.ask_count)]
        {
            let list = v[side].as_array().ok_or_else(|| bad(self.market.key(), side))?;
            for (l, slot) in list.iter().take(limit).zip(levels.iter_mut()) {
                *slot = Level {
                    price: self.fixed(&l[0], inst.price_exp, side)?,
                    qty: self.fixed(&l[1], inst.qty_exp, side)?,
                };
                *count += 1;
            }
        }
        Ok(rec)
    }

    fn trades(&mut self, symbol: &str, limit: usize) -> Result<Vec<Trade>, Error> {
        let inst = self.instrument(symbol)?;
        let v = self.get(&format!("{}/trades?symbol={symbol}&limit={}", self.market.prefix(), limit.clamp(1, 1000)))?;
        let list = v.as_array().ok_or_else(|| bad(self.market.key(), "trades"))?;
        list.iter()
            .map(|t| {
                let mut h =
                    Self::header(&inst, Kind::TRADE, t["id"].as_u64().unwrap_or(0), t["time"].as_u64().unwrap_or(0));
                // The buyer was the maker: the taker sold.
                h.flags = if t["isBuyerMaker"].as_bool().unwrap_or(false) { flags::SELL } else { flags::BUY };
                Ok(Trade {
                    header: h,
                    price: self.fixed(&t["price"], inst.price_exp, "price")?,
                    qty: self.fixed(&t["qty"], inst.qty_exp, "qty")?,
                })
            })
            .collect()
    }

    fn klines(&mut self, symbol: &str, interval: &str, limit: usize) -> Result<Vec<Bar>, Error> {
        let inst = self.instrument(symbol)?;
        let v = self.get(&format!(
            "{}/klines?symbol={symbol}&interval={interval}&limit={}",
            self.market.prefix(),
            limit.clamp(1, 1000)
        ))?;
        let list = v.as_array().ok_or_else(|| bad(self.market.key(), "klines"))?;
        let (pe, qe) = (inst.price_exp, inst.qty_exp);
        list.iter()
            .map(|k| {
                let open_ms = k[0].as_u64().ok_or_else(|| bad(self.market.key(), "kline open time"))?;
                let close_ms = k[6].as_u64().unwrap_or(open_ms);
                let trades = k[8].as_u64().unwrap_or(0);
                let mut h = Self::header(&inst, Kind::BAR, trades, close_ms);
                h.flags = flags::CLOSED;
                Ok(Bar {
                    header: h,
                    open: self.fixed(&k[1], pe, "open")?,
                    high: self.fixed(&k[2], pe, "high")?,
                    low: self.fixed(&k[3], pe, "low")?,
                    close: self.fixed(&k[4], pe, "close")?,
                    volume: self.fixed(&k[5], qe, "volume")?,
                    quote_volume: self.fixed(&k[7], pe.saturating_add(qe), "quote volume")?,
                    trades,
                    start_ts: Nanos::from_millis(open_ms),
                    interval_ns: close_ms.saturating_sub(open_ms).saturating_add(1).saturating_mul(1_000_000),
                    _pad: [0; 8],
                })
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

/// Registers `BINANCE___SPOT` and `BINANCE___SWAP` in `registry`. Options: `rest_url` (the
/// venue's own by default), `extra_pem` (a certificate to trust, for a simulator over TLS),
/// `first_id` (first instrument id, default 1).
///
/// # Errors
///
/// [`crate::registry::RegistryError`] when a key is already registered.
pub fn register(registry: &Registry) -> Result<(), crate::registry::RegistryError> {
    for market in [Market::Spot, Market::UsdM] {
        registry.register(
            market.key(),
            capabilities(),
            move |o: &FeedOptions| -> Result<Box<dyn VenueFeed>, Error> {
                let pem: Vec<&str> = o.params.get("extra_pem").map(String::as_str).into_iter().collect();
                let first_id = o.params.get("first_id").and_then(|v| v.parse().ok()).unwrap_or(1);
                Ok(Box::new(BinanceMarketFeed::new(
                    market,
                    o.params.get("rest_url").map(String::as_str),
                    &pem,
                    first_id,
                )?))
            },
        )?;
    }
    Ok(())
}
