//! OKX v5 spot (`OKX___SPOT`) REST market data as a [`VenueFeed`]: instruments from
//! `/api/v5/public/instruments` (exponents from `tickSz` and `lotSz`), the ticker, books,
//! recent trades and candles, returned as the records the rings carry.

use std::collections::HashMap;

use mdbus_schemas::{
    Bar, BookSnapshot, Decimal, Header, Instrument, InstrumentId, InstrumentTable, Kind, Level, Nanos, Quote,
    SNAPSHOT_DEPTH, Symbol, Trade, VenueId, flags,
};
use serde_json::Value;

use crate::{
    error::{Error, ErrorCode, OKX},
    http::HttpClient,
    market::InstrumentInfo,
    registry::{Capabilities, Capability, FeedOptions, Registry, VenueFeed},
};

const KEY: &str = "OKX___SPOT";

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

/// An OKX REST market-data feed (spot instruments).
#[derive(Debug)]
pub struct OkxMarketFeed {
    http: HttpClient,
    instruments: HashMap<String, (Instrument, InstrumentInfo)>,
    first_id: u32,
    connected: bool,
}

fn bad(what: &str) -> Error {
    Error::Venue {
        venue: KEY.to_owned(),
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

fn num(v: &Value) -> Option<u64> {
    v.as_str().and_then(|s| s.parse().ok()).or_else(|| v.as_u64())
}

/// OKX's bar name of a Binance-style interval (`1h` → `1H`).
fn bar(interval: &str) -> String {
    interval.replace('h', "H").replace('d', "D").replace('w', "W")
}

impl OkxMarketFeed {
    /// A feed at `rest_url` (OKX's own when `None`); instrument ids from `first_id` on.
    ///
    /// # Errors
    ///
    /// [`Error::Configuration`] for a bad URL or TLS setup.
    pub fn new(rest_url: Option<&str>, extra_pem: &[&str], first_id: u32) -> Result<OkxMarketFeed, Error> {
        let tls = crate::tls::client_config(&[] as &[std::path::PathBuf], extra_pem)
            .map_err(|e| Error::Configuration { detail: e.to_string() })?;
        let http = HttpClient::new(rest_url.unwrap_or("https://www.okx.com"), tls)
            .map_err(|e| Error::Configuration { detail: e.to_string() })?;
        Ok(OkxMarketFeed { http, instruments: HashMap::new(), first_id, connected: false })
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

    /// `data` of an OKX reply (`{"code":"0","msg":"","data":[...]}`).
    fn get(&mut self, target: &str) -> Result<Vec<Value>, Error> {
        let r = self
            .http
            .request("GET", target, &[("Accept", "application/json")], b"")
            .map_err(|e| Error::Network { venue: KEY.to_owned(), detail: crate::redact::text(&e.to_string()) })?;
        if let Some(e) = OKX.from_body(KEY, r.status, &r.body, r.retry_after()) {
            return Err(e);
        }
        if !r.is_success() {
            return Err(bad("error status"));
        }
        let v: Value = serde_json::from_slice(&r.body).map_err(|_| bad("not JSON"))?;
        match v.get("data") {
            Some(Value::Array(a)) => Ok(a.clone()),
            _ => Err(bad("no data")),
        }
    }

    fn instrument(&mut self, symbol: &str) -> Result<Instrument, Error> {
        if !self.connected {
            self.connect()?;
        }
        self.instruments.get(symbol).map(|(i, _)| *i).ok_or_else(|| Error::InvalidSymbol {
            venue: KEY.to_owned(),
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

    fn fixed(v: &Value, exp: i8, what: &str) -> Result<i64, Error> {
        dec(v).and_then(|d| d.to_fixed(exp).ok()).ok_or_else(|| bad(what))
    }
}

impl VenueFeed for OkxMarketFeed {
    fn key(&self) -> &str {
        KEY
    }

    fn capabilities(&self) -> Capabilities {
        capabilities()
    }

    fn connect(&mut self) -> Result<(), Error> {
        let data = self.get("/api/v5/public/instruments?instType=SPOT")?;
        self.instruments.clear();
        for (n, s) in data.iter().enumerate() {
            let text = |k: &str| s[k].as_str().unwrap_or("").to_owned();
            let info = InstrumentInfo {
                symbol: text("instId"),
                base: text("baseCcy"),
                quote: text("quoteCcy"),
                tick_size: dec(&s["tickSz"]).ok_or_else(|| bad("tickSz"))?,
                lot_size: dec(&s["lotSz"]).ok_or_else(|| bad("lotSz"))?,
                min_notional: None,
                status: text("state"),
            };
            let sym = Symbol::new(&info.symbol).map_err(|_| bad("instId"))?;
            let inst = Instrument::new(
                InstrumentId(self.first_id + n as u32),
                VenueId::OKX,
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
        let data = self.get(&format!("/api/v5/market/ticker?instId={symbol}"))?;
        let t = data.first().ok_or_else(|| bad("empty ticker"))?;
        let (pe, qe) = (inst.price_exp, inst.qty_exp);
        Ok(Quote {
            header: Self::header(&inst, Kind::QUOTE, 0, num(&t["ts"]).unwrap_or(0)),
            bid_px: Self::fixed(&t["bidPx"], pe, "bidPx")?,
            bid_qty: Self::fixed(&t["bidSz"], qe, "bidSz")?,
            ask_px: Self::fixed(&t["askPx"], pe, "askPx")?,
            ask_qty: Self::fixed(&t["askSz"], qe, "askSz")?,
            _pad: [0; 48],
        })
    }

    fn depth(&mut self, symbol: &str, limit: usize) -> Result<BookSnapshot, Error> {
        let inst = self.instrument(symbol)?;
        let limit = limit.clamp(1, SNAPSHOT_DEPTH);
        let data = self.get(&format!("/api/v5/market/books?instId={symbol}&sz={limit}"))?;
        let b = data.first().ok_or_else(|| bad("empty book"))?;
        let mut rec = BookSnapshot {
            header: Self::header(&inst, Kind::BOOK_SNAPSHOT, num(&b["seqId"]).unwrap_or(0), num(&b["ts"]).unwrap_or(0)),
            ..BookSnapshot::default()
        };
        for (side, levels, count) in
            [("bids", &mut rec.bids, &mut rec.bid_count), ("asks", &mut rec.asks, &mut rec.ask_count)]
        {
            let list = b[side].as_array().ok_or_else(|| bad(side))?;
            for (l, slot) in list.iter().take(limit).zip(levels.iter_mut()) {
                *slot = Level {
                    price: Self::fixed(&l[0], inst.price_exp, side)?,
                    qty: Self::fixed(&l[1], inst.qty_exp, side)?,
                };
                *count += 1;
            }
        }
        Ok(rec)
    }

    fn trades(&mut self, symbol: &str, limit: usize) -> Result<Vec<Trade>, Error> {
        let inst = self.instrument(symbol)?;
        let data = self.get(&format!("/api/v5/market/trades?instId={symbol}&limit={}", limit.clamp(1, 500)))?;
        // Newest first on the wire; oldest first here.
        data.iter()
            .rev()
            .map(|t| {
                let mut h =
                    Self::header(&inst, Kind::TRADE, num(&t["tradeId"]).unwrap_or(0), num(&t["ts"]).unwrap_or(0));
                h.flags = if t["side"] == "sell" { flags::SELL } else { flags::BUY };
                Ok(Trade {
                    header: h,
                    price: Self::fixed(&t["px"], inst.price_exp, "px")?,
                    qty: Self::fixed(&t["sz"], inst.qty_exp, "sz")?,
                })
            })
            .collect()
    }

    fn klines(&mut self, symbol: &str, interval: &str, limit: usize) -> Result<Vec<Bar>, Error> {
        let inst = self.instrument(symbol)?;
        let b = bar(interval);
        let span = crate::market::interval_ms(interval).ok_or_else(|| Error::Venue {
            venue: KEY.to_owned(),
            code: ErrorCode::InvalidParameter,
            status: None,
            venue_code: String::new(),
            detail: format!("unknown kline interval {interval:?}"),
        })?;
        let data =
            self.get(&format!("/api/v5/market/candles?instId={symbol}&bar={b}&limit={}", limit.clamp(1, 300)))?;
        let (pe, qe) = (inst.price_exp, inst.qty_exp);
        data.iter()
            .rev()
            .map(|k| {
                let open_ms = num(&k[0]).ok_or_else(|| bad("candle ts"))?;
                let mut h = Self::header(&inst, Kind::BAR, 0, open_ms + span - 1);
                h.flags = if k[8] == "1" { flags::CLOSED } else { 0 };
                Ok(Bar {
                    header: h,
                    open: Self::fixed(&k[1], pe, "o")?,
                    high: Self::fixed(&k[2], pe, "h")?,
                    low: Self::fixed(&k[3], pe, "l")?,
                    close: Self::fixed(&k[4], pe, "c")?,
                    volume: Self::fixed(&k[5], qe, "vol")?,
                    quote_volume: Self::fixed(&k[7], pe.saturating_add(qe), "volCcyQuote")?,
                    trades: 0,
                    start_ts: Nanos::from_millis(open_ms),
                    interval_ns: span.saturating_mul(1_000_000),
                    _pad: [0; 8],
                })
            })
            .collect()
    }
}

/// Registers `OKX___SPOT` in `registry` (options as [`super::binance::register`]).
///
/// # Errors
///
/// [`crate::registry::RegistryError`] when the key is already registered.
pub fn register(registry: &Registry) -> Result<(), crate::registry::RegistryError> {
    registry.register(KEY, capabilities(), move |o: &FeedOptions| -> Result<Box<dyn VenueFeed>, Error> {
        let pem: Vec<&str> = o.params.get("extra_pem").map(String::as_str).into_iter().collect();
        let first_id = o.params.get("first_id").and_then(|v| v.parse().ok()).unwrap_or(1);
        Ok(Box::new(OkxMarketFeed::new(o.params.get("rest_url").map(String::as_str), &pem, first_id)?))
    })
}
