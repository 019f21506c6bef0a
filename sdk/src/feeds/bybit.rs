//! Bybit v5 spot (`BYBIT___SPOT`) and linear (`BYBIT___SWAP`) REST market data as a
//! [`VenueFeed`]: instruments from `/v5/market/instruments-info` (exponents from
//! `priceFilter.tickSize` and `lotSizeFilter.basePrecision` / `qtyStep`), tickers, order book,
//! recent trades and klines, returned as the records the rings carry.

use std::collections::HashMap;

use mdbus_schemas::{
    Bar, BookSnapshot, Decimal, Header, Instrument, InstrumentId, InstrumentTable, Kind, Level, Nanos, Quote,
    SNAPSHOT_DEPTH, Symbol, Trade, VenueId, flags,
};
use serde_json::Value;

use crate::{
    error::{BYBIT, Error, ErrorCode},
    http::HttpClient,
    market::InstrumentInfo,
    registry::{Capabilities, Capability, FeedOptions, Registry, VenueFeed},
};

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

/// A Bybit REST market-data feed.
#[derive(Debug)]
pub struct BybitMarketFeed {
    category: Category,
    http: HttpClient,
    instruments: HashMap<String, (Instrument, InstrumentInfo)>,
    first_id: u32,
    connected: bool,
}

fn dec(v: &Value) -> Option<Decimal> {
    match v {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.to_string().parse().ok(),
        _ => None,
    }
}

fn num(v: &Value) -> Option<u64> {
    v.as_str().and_then(|s| s.parse().ok()).or_else(|| v.as_u64())
}

/// Bybit's kline interval of a Binance-style one (`1m` → `1`, `1h` → `60`, `1d` → `D`).
fn interval_name(i: &str) -> Option<&'static str> {
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
        _ => return None,
    })
}

impl BybitMarketFeed {
    /// A feed on `category` at `rest_url` (Bybit's own when `None`); instrument ids from
    /// `first_id` on.
    ///
    /// # Errors
    ///
    /// [`Error::Configuration`] for a bad URL or TLS setup.
    pub fn new(
        category: Category,
        rest_url: Option<&str>,
        extra_pem: &[&str],
        first_id: u32,
    ) -> Result<BybitMarketFeed, Error> {
        let tls = crate::tls::client_config(&[] as &[std::path::PathBuf], extra_pem)
            .map_err(|e| Error::Configuration { detail: e.to_string() })?;
        let http = HttpClient::new(rest_url.unwrap_or("https://api.bybit.com"), tls)
            .map_err(|e| Error::Configuration { detail: e.to_string() })?;
        Ok(BybitMarketFeed { category, http, instruments: HashMap::new(), first_id, connected: false })
    }

    /// The instrument table of the loaded instruments.
    pub fn instrument_table(&self) -> InstrumentTable {
        let mut t = InstrumentTable::default();
        let mut all: Vec<&Instrument> = self.instruments.values().map(|(i, _)| i).collect();
        all.sort_by_key(|i| i.id.0);
        for i in all {
            let _ = t.insert(*i);
        }
        t
    }

    fn bad(&self, what: &str) -> Error {
        Error::Venue {
            venue: self.category.key().to_owned(),
            code: ErrorCode::ApiError,
            status: None,
            venue_code: String::new(),
            detail: format!("unexpected response: {what}"),
        }
    }

    /// `result` of a Bybit reply (`{"retCode":0,"retMsg":"OK","result":{...}}`).
    fn get(&mut self, path: &str, query: &str) -> Result<Value, Error> {
        let key = self.category.key();
        let target = format!("{path}?category={}&{query}", self.category.name());
        let r = self
            .http
            .request("GET", &target, &[("Accept", "application/json")], b"")
            .map_err(|e| Error::Network { venue: key.to_owned(), detail: crate::redact::text(&e.to_string()) })?;
        if let Some(e) = BYBIT.from_body(key, r.status, &r.body, r.retry_after()) {
            return Err(e);
        }
        if !r.is_success() {
            return Err(self.bad("error status"));
        }
        let mut v: Value = serde_json::from_slice(&r.body).map_err(|_| self.bad("not JSON"))?;
        match v.get_mut("result") {
            Some(r @ Value::Object(_)) => Ok(r.take()),
            _ => Err(self.bad("no result")),
        }
    }

    fn instrument(&mut self, symbol: &str) -> Result<Instrument, Error> {
        if !self.connected {
            self.connect()?;
        }
        self.instruments.get(symbol).map(|(i, _)| *i).ok_or_else(|| Error::InvalidSymbol {
            venue: self.category.key().to_owned(),
            symbol: symbol.to_owned(),
            detail: "not among the instruments".into(),
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
        dec(v).and_then(|d| d.to_fixed(exp).ok()).ok_or_else(|| self.bad(what))
    }
}

impl VenueFeed for BybitMarketFeed {
    fn key(&self) -> &str {
        self.category.key()
    }

    fn capabilities(&self) -> Capabilities {
        capabilities()
    }

    fn connect(&mut self) -> Result<(), Error> {
        let v = self.get("/v5/market/instruments-info", "limit=1000")?;
        let list = v["list"].as_array().cloned().ok_or_else(|| self.bad("instruments list"))?;
        self.instruments.clear();
        for (n, s) in list.iter().enumerate() {
            let text = |k: &str| s[k].as_str().unwrap_or("").to_owned();
            let lot = &s["lotSizeFilter"];
            let info = InstrumentInfo {
                symbol: text("symbol"),
                base: text("baseCoin"),
                quote: text("quoteCoin"),
                tick_size: dec(&s["priceFilter"]["tickSize"]).ok_or_else(|| self.bad("tickSize"))?,
                lot_size: dec(&lot["basePrecision"])
                    .or_else(|| dec(&lot["qtyStep"]))
                    .ok_or_else(|| self.bad("lot size"))?,
                min_notional: dec(&lot["minOrderAmt"]).or_else(|| dec(&lot["minNotionalValue"])),
                status: text("status"),
            };
            let sym = Symbol::new(&info.symbol).map_err(|_| self.bad("symbol"))?;
            let inst = Instrument::new(
                InstrumentId(self.first_id + n as u32),
                self.category.venue(),
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
        let v = self.get("/v5/market/tickers", &format!("symbol={symbol}"))?;
        let t = v["list"].get(0).cloned().ok_or_else(|| self.bad("empty tickers"))?;
        let (pe, qe) = (inst.price_exp, inst.qty_exp);
        Ok(Quote {
            header: Self::header(&inst, Kind::QUOTE, 0, num(&v["time"]).unwrap_or(0)),
            bid_px: self.fixed(&t["bid1Price"], pe, "bid1Price")?,
            bid_qty: self.fixed(&t["bid1Size"], qe, "bid1Size")?,
            ask_px: self.fixed(&t["ask1Price"], pe, "ask1Price")?,
            ask_qty: self.fixed(&t["ask1Size"], qe, "ask1Size")?,
            _pad: [0; 48],
        })
    }

    fn depth(&mut self, symbol: &str, limit: usize) -> Result<BookSnapshot, Error> {
        let inst = self.instrument(symbol)?;
        let limit = limit.clamp(1, SNAPSHOT_DEPTH);
        let b = self.get("/v5/market/orderbook", &format!("symbol={symbol}&limit={limit}"))?;
        let mut rec = BookSnapshot {
            header: Self::header(&inst, Kind::BOOK_SNAPSHOT, num(&b["u"]).unwrap_or(0), num(&b["ts"]).unwrap_or(0)),
            ..BookSnapshot::default()
        };
        for (side, levels, count) in
            [("b", &mut rec.bids, &mut rec.bid_count), ("a", &mut rec.asks, &mut rec.ask_count)]
        {
            let list = b[side].as_array().ok_or_else(|| self.bad(side))?;
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
        let v = self.get("/v5/market/recent-trade", &format!("symbol={symbol}&limit={}", limit.clamp(1, 1000)))?;
        let list = v["list"].as_array().cloned().ok_or_else(|| self.bad("trades"))?;
        // Newest first on the wire; oldest first here.
        list.iter()
            .rev()
            .map(|t| {
                let mut h =
                    Self::header(&inst, Kind::TRADE, num(&t["execId"]).unwrap_or(0), num(&t["time"]).unwrap_or(0));
                h.flags = if t["side"] == "Sell" { flags::SELL } else { flags::BUY };
                Ok(Trade {
                    header: h,
                    price: self.fixed(&t["price"], inst.price_exp, "price")?,
                    qty: self.fixed(&t["size"], inst.qty_exp, "size")?,
                })
            })
            .collect()
    }

    fn klines(&mut self, symbol: &str, interval: &str, limit: usize) -> Result<Vec<Bar>, Error> {
        let inst = self.instrument(symbol)?;
        let (Some(name), Some(span)) = (interval_name(interval), crate::market::interval_ms(interval)) else {
            return Err(Error::Venue {
                venue: self.category.key().to_owned(),
                code: ErrorCode::InvalidParameter,
                status: None,
                venue_code: String::new(),
                detail: format!("unknown kline interval {interval:?}"),
            });
        };
        let v =
            self.get("/v5/market/kline", &format!("symbol={symbol}&interval={name}&limit={}", limit.clamp(1, 1000)))?;
        let list = v["list"].as_array().cloned().ok_or_else(|| self.bad("klines"))?;
        let (pe, qe) = (inst.price_exp, inst.qty_exp);
        list.iter()
            .rev()
            .map(|k| {
                let open_ms = num(&k[0]).ok_or_else(|| self.bad("kline start"))?;
                let mut h = Self::header(&inst, Kind::BAR, 0, open_ms + span - 1);
                h.flags = flags::CLOSED;
                Ok(Bar {
                    header: h,
                    open: self.fixed(&k[1], pe, "open")?,
                    high: self.fixed(&k[2], pe, "high")?,
                    low: self.fixed(&k[3], pe, "low")?,
                    close: self.fixed(&k[4], pe, "close")?,
                    volume: self.fixed(&k[5], qe, "volume")?,
                    quote_volume: self.fixed(&k[6], pe.saturating_add(qe), "turnover")?,
                    trades: 0,
                    start_ts: Nanos::from_millis(open_ms),
                    interval_ns: span.saturating_mul(1_000_000),
                    _pad: [0; 8],
                })
            })
            .collect()
    }
}

/// Registers `BYBIT___SPOT` and `BYBIT___SWAP` in `registry` (options as
/// [`super::binance::register`]).
///
/// # Errors
///
/// [`crate::registry::RegistryError`] when a key is already registered.
pub fn register(registry: &Registry) -> Result<(), crate::registry::RegistryError> {
    for category in [Category::Spot, Category::Linear] {
        registry.register(
            category.key(),
            capabilities(),
            move |o: &FeedOptions| -> Result<Box<dyn VenueFeed>, Error> {
                let pem: Vec<&str> = o.params.get("extra_pem").map(String::as_str).into_iter().collect();
                let first_id = o.params.get("first_id").and_then(|v| v.parse().ok()).unwrap_or(1);
                Ok(Box::new(BybitMarketFeed::new(
                    category,
                    o.params.get("rest_url").map(String::as_str),
                    &pem,
                    first_id,
                )?))
            },
        )?;
    }
    Ok(())
}
