//! OKX v5 spot (`OKX___SPOT`) as a [`VenueFeed`]: REST market data (instruments from
//! `/api/v5/public/instruments`, exponents from `tickSz` and `lotSz`; the ticker, books, recent
//! trades and candles) returned as the records the rings carry, and, given credentials with a
//! passphrase, the order operations through [`OkxClient`].

use mdbus_schemas::{Bar, BookSnapshot, Kind, Quote, Trade, VenueId, flags};
use serde_json::Value;

use super::{
    errors::OKX,
    order::{Market as OrderMarket, OkxClient},
};
use mdbus_sdk::feeds::common::{self, Candle, Instruments, Options, Rest, bad, dec, fixed, header, num};
use mdbus_sdk::{
    error::Error,
    market::InstrumentInfo,
    registry::{Capabilities, FeedOptions, Registry, VenueFeed},
};

const KEY: &str = "OKX___SPOT";
const URL: &str = "https://www.okx.com";

/// What the feed can do: market data and spot orders.
pub fn capabilities() -> Capabilities {
    common::trading_capabilities()
}

/// An OKX feed (spot instruments): REST market data, and orders given credentials.
#[derive(Debug)]
pub struct OkxMarketFeed {
    rest: Rest,
    instruments: Instruments,
    orders: Option<OkxClient>,
}

/// OKX's bar name of a Binance-style interval (`1h` → `1H`).
fn bar(interval: &str) -> String {
    interval.replace('h', "H").replace('d', "D").replace('w', "W")
}

impl OkxMarketFeed {
    /// A feed built from `options` (see [`super`] for the parameters).
    ///
    /// # Errors
    ///
    /// [`Error::Configuration`] for a bad URL or TLS setup, or credentials without a
    /// passphrase.
    pub fn new(options: &FeedOptions) -> Result<OkxMarketFeed, Error> {
        let o = Options::of(options);
        let orders = match o.credentials {
            None => None,
            Some(c) => Some(
                OkxClient::new(OrderMarket::Spot, o.rest_url.unwrap_or(URL), o.tls()?, c.clone())?
                    .with_budget(o.account, o.limiter.clone()),
            ),
        };
        Ok(OkxMarketFeed { rest: Rest::new(KEY, &o, URL)?, instruments: Instruments::new(o.first_id), orders })
    }

    /// `data` of an OKX reply (`{"code":"0","msg":"","data":[...]}`).
    fn get(&mut self, target: &str) -> Result<Vec<Value>, Error> {
        let r = self.rest.get(target)?;
        if let Some(e) = OKX.from_body(KEY, r.status, &r.body, r.retry_after()) {
            return Err(e);
        }
        if !r.is_success() {
            return Err(bad(KEY, "error status"));
        }
        let mut v: Value = serde_json::from_slice(&r.body).map_err(|_| bad(KEY, "not JSON"))?;
        match v.get_mut("data").map(Value::take) {
            Some(Value::Array(a)) => Ok(a),
            _ => Err(bad(KEY, "no data")),
        }
    }

    fn instrument(&mut self, symbol: &str) -> Result<mdbus_schemas::Instrument, Error> {
        if !self.instruments.loaded() {
            self.connect()?;
        }
        self.instruments.get(KEY, symbol)
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
        let infos = data
            .iter()
            .map(|s| {
                let text = |k: &str| s[k].as_str().unwrap_or("").to_owned();
                Ok(InstrumentInfo {
                    symbol: text("instId"),
                    base: text("baseCcy"),
                    quote: text("quoteCcy"),
                    tick_size: dec(&s["tickSz"]).ok_or_else(|| bad(KEY, "tickSz"))?,
                    lot_size: dec(&s["lotSz"]).ok_or_else(|| bad(KEY, "lotSz"))?,
                    min_notional: None,
                    status: text("state"),
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        self.instruments.load(KEY, VenueId::OKX, infos)
    }

    mdbus_sdk::instrument_state!();

    fn ticker(&mut self, symbol: &str) -> Result<Quote, Error> {
        let inst = self.instrument(symbol)?;
        let data = self.get(&format!("/api/v5/market/ticker?instId={symbol}"))?;
        let t = data.first().ok_or_else(|| bad(KEY, "empty ticker"))?;
        let (pe, qe) = (inst.price_exp, inst.qty_exp);
        Ok(Quote {
            header: header(&inst, Kind::QUOTE, 0, num(&t["ts"]).unwrap_or(0)),
            bid_px: fixed(KEY, &t["bidPx"], pe, "bidPx")?,
            bid_qty: fixed(KEY, &t["bidSz"], qe, "bidSz")?,
            ask_px: fixed(KEY, &t["askPx"], pe, "askPx")?,
            ask_qty: fixed(KEY, &t["askSz"], qe, "askSz")?,
            _pad: [0; 48],
        })
    }

    fn depth(&mut self, symbol: &str, limit: usize) -> Result<BookSnapshot, Error> {
        let inst = self.instrument(symbol)?;
        let n = limit.clamp(1, mdbus_schemas::SNAPSHOT_DEPTH);
        let data = self.get(&format!("/api/v5/market/books?instId={symbol}&sz={n}"))?;
        let b = data.first().ok_or_else(|| bad(KEY, "empty book"))?;
        let (seq, ms) = (num(&b["seqId"]).unwrap_or(0), num(&b["ts"]).unwrap_or(0));
        common::book(KEY, &inst, (&b["bids"], &b["asks"]), limit, seq, ms)
    }

    fn trades(&mut self, symbol: &str, limit: usize) -> Result<Vec<Trade>, Error> {
        let inst = self.instrument(symbol)?;
        let data = self.get(&format!("/api/v5/market/trades?instId={symbol}&limit={}", limit.clamp(1, 500)))?;
        // Newest first on the wire; oldest first here.
        data.iter()
            .rev()
            .map(|t| {
                let mut h = header(&inst, Kind::TRADE, num(&t["tradeId"]).unwrap_or(0), num(&t["ts"]).unwrap_or(0));
                h.flags = if t["side"] == "sell" { flags::SELL } else { flags::BUY };
                let (price, qty) =
                    (fixed(KEY, &t["px"], inst.price_exp, "px")?, fixed(KEY, &t["sz"], inst.qty_exp, "sz")?);
                common::trade(KEY, h, (&t["tradeId"], "tradeId"), price, qty)
            })
            .collect()
    }

    fn klines(&mut self, symbol: &str, interval: &str, limit: usize) -> Result<Vec<Bar>, Error> {
        let inst = self.instrument(symbol)?;
        let b = bar(interval);
        let span = mdbus_sdk::market::interval_ms(interval).ok_or_else(|| common::bad_interval(KEY, interval))?;
        let data =
            self.get(&format!("/api/v5/market/candles?instId={symbol}&bar={b}&limit={}", limit.clamp(1, 300)))?;
        data.iter()
            .rev()
            .map(|k| {
                let open_ms = num(&k[0]).ok_or_else(|| bad(KEY, "candle ts"))?;
                let ohlcv = [&k[1], &k[2], &k[3], &k[4], &k[5]];
                let closed = k[8] == "1";
                let c = Candle { open_ms, span_ms: span, closed, trades: 0, seq: 0, ohlcv, quote_volume: Some(&k[7]) };
                common::bar(KEY, &inst, &c)
            })
            .collect()
    }
}

/// Registers `OKX___SPOT` in `registry` (options in [`super`]).
///
/// # Errors
///
/// [`mdbus_sdk::registry::RegistryError`] when the key is already registered.
pub fn register(registry: &Registry) -> Result<(), mdbus_sdk::registry::RegistryError> {
    registry.register(KEY, capabilities(), |o: &FeedOptions| -> Result<Box<dyn VenueFeed>, Error> {
        Ok(Box::new(OkxMarketFeed::new(o)?))
    })
}
