//! HTX spot (`HTX___SPOT`) REST market data as a [`VenueFeed`]: instruments from
//! `/v1/common/symbols` (exponents from `price-precision` and `amount-precision`, which HTX
//! gives as digit counts), the merged ticker, depth, recent trades and klines, returned as the
//! records the rings carry, and, given credentials, the order operations through
//! [`HtxClient`].

use mdbus_schemas::{Bar, BookSnapshot, Kind, Quote, Trade, VenueId, flags};
use serde_json::Value;

use super::{errors::HTX, order::HtxClient};
use mdbus_sdk::feeds::common::{self, Candle, Instruments, Options, Rest, bad, dec, fixed, header, num, step};
use mdbus_sdk::{
    error::Error,
    market::InstrumentInfo,
    registry::{Capabilities, FeedOptions, Registry, VenueFeed},
};

const URL: &str = "https://api.huobi.pro";
const KEY: &str = "HTX___SPOT";

/// What the feed can do: market data and spot orders.
pub fn capabilities() -> Capabilities {
    common::trading_capabilities()
}

/// An HTX REST market-data feed (spot).
#[derive(Debug)]
pub struct HtxMarketFeed {
    rest: Rest,
    instruments: Instruments,
    orders: Option<HtxClient>,
}

/// HTX's kline period of a Binance-style interval (`1m` → `1min`, `1h` → `60min`, `1M` →
/// `1mon`), for its REST klines and its websocket topics alike.
///
/// ```
/// assert_eq!(mdbus_venues::htx::rest::kline_period("4h"), Some("4hour"));
/// assert_eq!(mdbus_venues::htx::rest::kline_period("2m"), None);
/// ```
pub fn kline_period(interval: &str) -> Option<&'static str> {
    Some(match interval {
        "1m" => "1min",
        "5m" => "5min",
        "15m" => "15min",
        "30m" => "30min",
        "1h" => "60min",
        "4h" => "4hour",
        "1d" => "1day",
        "1w" => "1week",
        "1M" => "1mon",
        _ => return None,
    })
}

impl HtxMarketFeed {
    /// A feed built from `options` (see [`super`] for the parameters).
    ///
    /// # Errors
    ///
    /// [`Error::Configuration`] for a bad URL or TLS setup.
    pub fn new(options: &FeedOptions) -> Result<HtxMarketFeed, Error> {
        let o = Options::of(options);
        let orders = match o.credentials {
            None => None,
            Some(c) => Some(
                HtxClient::new(o.rest_url.unwrap_or(URL), o.tls()?, c.clone())?
                    .with_budget(o.account, o.limiter.clone()),
            ),
        };
        Ok(HtxMarketFeed { rest: Rest::new(KEY, &o, URL)?, instruments: Instruments::new(o.first_id), orders })
    }

    /// A reply with `"status":"ok"`, whole.
    fn get(&mut self, target: &str) -> Result<Value, Error> {
        let r = self.rest.get(target)?;
        if let Some(e) = HTX.from_body(KEY, r.status, &r.body, r.retry_after()) {
            return Err(e);
        }
        let v: Value = serde_json::from_slice(&r.body).map_err(|_| bad(KEY, "not JSON"))?;
        if !r.is_success() || v["status"] != "ok" {
            return Err(bad(KEY, "status not ok"));
        }
        Ok(v)
    }

    fn instrument(&mut self, symbol: &str) -> Result<mdbus_schemas::Instrument, Error> {
        if !self.instruments.loaded() {
            self.connect()?;
        }
        self.instruments.get(KEY, symbol)
    }
}

impl VenueFeed for HtxMarketFeed {
    fn key(&self) -> &str {
        KEY
    }

    fn capabilities(&self) -> Capabilities {
        capabilities()
    }

    fn connect(&mut self) -> Result<(), Error> {
        let v = self.get("/v1/common/symbols")?;
        let list = v["data"].as_array().ok_or_else(|| bad(KEY, "symbols"))?;
        let infos = list
            .iter()
            .map(|s| {
                let text = |k: &str| s[k].as_str().unwrap_or("").to_owned();
                Ok(InstrumentInfo {
                    symbol: text("symbol"),
                    base: text("base-currency"),
                    quote: text("quote-currency"),
                    tick_size: num(&s["price-precision"]).and_then(step).ok_or_else(|| bad(KEY, "price-precision"))?,
                    lot_size: num(&s["amount-precision"]).and_then(step).ok_or_else(|| bad(KEY, "amount-precision"))?,
                    min_notional: dec(&s["min-order-value"]),
                    status: text("state"),
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        self.instruments.load(KEY, VenueId::HTX, infos)
    }

    mdbus_sdk::instrument_state!();

    fn ticker(&mut self, symbol: &str) -> Result<Quote, Error> {
        let inst = self.instrument(symbol)?;
        let v = self.get(&format!("/market/detail/merged?symbol={symbol}"))?;
        let t = &v["tick"];
        let (pe, qe) = (inst.price_exp, inst.qty_exp);
        Ok(Quote {
            header: header(&inst, Kind::QUOTE, num(&t["version"]).unwrap_or(0), num(&v["ts"]).unwrap_or(0)),
            bid_px: fixed(KEY, &t["bid"][0], pe, "bid")?,
            bid_qty: fixed(KEY, &t["bid"][1], qe, "bid size")?,
            ask_px: fixed(KEY, &t["ask"][0], pe, "ask")?,
            ask_qty: fixed(KEY, &t["ask"][1], qe, "ask size")?,
            _pad: [0; 48],
        })
    }

    fn depth(&mut self, symbol: &str, limit: usize) -> Result<BookSnapshot, Error> {
        let inst = self.instrument(symbol)?;
        // HTX serves 5, 10 or 20 levels, or 150 when `depth` is left out.
        let target = match [5, 10, 20].into_iter().find(|d| *d >= limit) {
            Some(d) => format!("/market/depth?symbol={symbol}&type=step0&depth={d}"),
            None => format!("/market/depth?symbol={symbol}&type=step0"),
        };
        let v = self.get(&target)?;
        let t = &v["tick"];
        let ms = num(&t["ts"]).or_else(|| num(&v["ts"])).unwrap_or(0);
        common::book(KEY, &inst, (&t["bids"], &t["asks"]), limit, num(&t["version"]).unwrap_or(0), ms)
    }

    fn trades(&mut self, symbol: &str, limit: usize) -> Result<Vec<Trade>, Error> {
        let inst = self.instrument(symbol)?;
        let v = self.get(&format!("/market/history/trade?symbol={symbol}&size={}", limit.clamp(1, 2000)))?;
        let groups = v["data"].as_array().ok_or_else(|| bad(KEY, "trades"))?;
        // Groups of trades per match, newest first; oldest first here.
        let mut out = Vec::new();
        for t in groups.iter().rev().flat_map(|g| g["data"].as_array().into_iter().flatten().rev()) {
            let seq = num(&t["trade-id"]).or_else(|| num(&t["id"])).unwrap_or(0);
            let mut h = header(&inst, Kind::TRADE, seq, num(&t["ts"]).unwrap_or(0));
            h.flags = if t["direction"] == "sell" { flags::SELL } else { flags::BUY };
            let (price, qty) =
                (fixed(KEY, &t["price"], inst.price_exp, "price")?, fixed(KEY, &t["amount"], inst.qty_exp, "amount")?);
            let id = if t["trade-id"].is_null() { (&t["id"], "id") } else { (&t["trade-id"], "trade-id") };
            out.push(common::trade(KEY, h, id, price, qty)?);
        }
        let skip = out.len().saturating_sub(limit);
        Ok(out.split_off(skip))
    }

    fn klines(&mut self, symbol: &str, interval: &str, limit: usize) -> Result<Vec<Bar>, Error> {
        let inst = self.instrument(symbol)?;
        let (Some(name), Some(span)) = (kline_period(interval), mdbus_sdk::market::interval_ms(interval)) else {
            return Err(common::bad_interval(KEY, interval));
        };
        let v =
            self.get(&format!("/market/history/kline?symbol={symbol}&period={name}&size={}", limit.clamp(1, 2000)))?;
        let list = v["data"].as_array().ok_or_else(|| bad(KEY, "klines"))?;
        list.iter()
            .rev()
            .map(|k| {
                let open_ms = num(&k["id"]).ok_or_else(|| bad(KEY, "kline id"))?.saturating_mul(1000);
                // HTX: `amount` is the base volume, `vol` the quote volume.
                let ohlcv = [&k["open"], &k["high"], &k["low"], &k["close"], &k["amount"]];
                let trades = num(&k["count"]).unwrap_or(0);
                let c = Candle {
                    open_ms,
                    span_ms: span,
                    closed: true,
                    trades,
                    seq: 0,
                    ohlcv,
                    quote_volume: Some(&k["vol"]),
                };
                common::bar(KEY, &inst, &c)
            })
            .collect()
    }
}

/// Registers `HTX___SPOT` in `registry` (options in [`super`]).
///
/// # Errors
///
/// [`mdbus_sdk::registry::RegistryError`] when the key is already registered.
pub fn register(registry: &Registry) -> Result<(), mdbus_sdk::registry::RegistryError> {
    registry.register(KEY, capabilities(), |o: &FeedOptions| -> Result<Box<dyn VenueFeed>, Error> {
        Ok(Box::new(HtxMarketFeed::new(o)?))
    })
}
