//! What every REST feed shares: the loaded instruments (ids, exponents, metadata), JSON field
//! readers, record headers, book filling and the options every factory takes.

use std::{collections::HashMap, sync::Arc, time::Duration};

use mdbus_schemas::{
    Bar, BookSnapshot, Decimal, Header, Instrument, InstrumentId, InstrumentTable, Kind, Level, Nanos, SNAPSHOT_DEPTH,
    Symbol, Trade, TradeId, VenueId, flags,
};
use serde_json::Value;

use crate::{
    error::{Error, ErrorCode},
    http::{HttpClient, Response},
    market::InstrumentInfo,
    rate_limit::{Acquire, Limiter, Request},
    registry::{Capabilities, Capability, FeedOptions},
};

/// What every REST feed can do: its market data and, given credentials, spot orders and
/// balances (derivatives feeds add [`Capability::GetPosition`]).
pub fn trading_capabilities() -> Capabilities {
    [
        Capability::GetExchangeInfo,
        Capability::GetTick,
        Capability::GetDepth,
        Capability::GetTrades,
        Capability::GetKline,
        Capability::MakeOrder,
        Capability::CancelOrder,
        Capability::QueryOrder,
        Capability::QueryOpenOrders,
        Capability::GetBalance,
    ]
    .into_iter()
    .collect()
}

/// A decimal from a JSON string or number, plain (`"0.01"`) or scientific (`1E-8`, as Gemini
/// writes its steps).
pub fn dec(v: &Value) -> Option<Decimal> {
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    match text.split_once(['e', 'E']) {
        None => text.parse().ok(),
        Some((m, e)) => {
            let m: Decimal = m.parse().ok()?;
            let e: i8 = e.parse().ok()?;
            Some(Decimal::new(m.mantissa(), m.exponent().checked_add(e)?))
        }
    }
}

/// The step of `digits` decimals (`2` → `0.01`), as HTX and Gate.io give precisions.
pub fn step(digits: u64) -> Option<Decimal> {
    Some(Decimal::new(1, -i8::try_from(digits).ok()?))
}

/// An integer from a JSON number or a string of digits.
pub fn num(v: &Value) -> Option<u64> {
    v.as_str().and_then(|s| s.parse().ok()).or_else(|| v.as_u64())
}

/// A trade record from a venue's REST trade: its id kept whole (a number, or a UUID as Bybit
/// gives for linear executions); an id that is neither is an error naming the field.
pub fn trade(key: &str, mut header: Header, id: (&Value, &str), price: i64, qty: i64) -> Result<Trade, Error> {
    let (v, field) = id;
    let tid = match v {
        Value::Number(n) => n.as_u64().map(|n| TradeId::Number(u128::from(n))),
        Value::String(s) => s.parse::<u128>().ok().map(TradeId::Number).or_else(|| TradeId::parse_uuid(s)),
        _ => None,
    }
    .ok_or_else(|| bad(key, &format!("trade id `{field}` {v} is neither a number nor a UUID")))?;
    header.kind = Kind::TRADE;
    let mut t = Trade { header, price, qty, ..Trade::default() };
    t.set_id(tid);
    Ok(t)
}

/// A response the feed cannot read.
pub fn bad(key: &str, what: &str) -> Error {
    Error::Venue {
        venue: key.to_owned(),
        code: ErrorCode::ApiError,
        status: None,
        venue_code: String::new(),
        detail: format!("unexpected response: {what}"),
    }
}

/// A kline interval the venue does not have.
pub fn bad_interval(key: &str, interval: &str) -> Error {
    Error::Venue {
        venue: key.to_owned(),
        code: ErrorCode::InvalidParameter,
        status: None,
        venue_code: String::new(),
        detail: format!("unknown kline interval {interval:?}"),
    }
}

/// `v` as a mantissa at `exp`.
pub fn fixed(key: &str, v: &Value, exp: i8, what: &str) -> Result<i64, Error> {
    dec(v).and_then(|d| d.to_fixed(exp).ok()).ok_or_else(|| bad(key, what))
}

/// A record header for `inst`.
pub fn header(inst: &Instrument, kind: Kind, seq: u64, ms: u64) -> Header {
    Header {
        kind,
        venue: inst.venue,
        instrument: inst.id,
        venue_seq: seq,
        venue_ts: Nanos::from_millis(ms),
        ..Header::default()
    }
}

/// One candle as a venue gives it: where it starts and how long it is, whether it is closed,
/// its trade count and sequence, and the JSON values of its open, high, low, close and base
/// volume, and its quote volume where the venue gives one.
#[derive(Debug)]
pub struct Candle<'a> {
    /// Open time, ms since the epoch.
    pub open_ms: u64,
    /// Length, ms.
    pub span_ms: u64,
    /// Whether the candle is closed.
    pub closed: bool,
    /// Trades in it (0 when the venue does not say).
    pub trades: u64,
    /// Sequence number for the record header.
    pub seq: u64,
    /// Open, high, low, close and base volume, as the venue gives them.
    pub ohlcv: [&'a Value; 5],
    /// Quote volume, where the venue gives one.
    pub quote_volume: Option<&'a Value>,
}

/// A bar record of `inst` from a candle.
pub fn bar(key: &str, inst: &Instrument, c: &Candle<'_>) -> Result<Bar, Error> {
    let (pe, qe) = (inst.price_exp, inst.qty_exp);
    let mut h = header(inst, Kind::BAR, c.seq, (c.open_ms + c.span_ms).saturating_sub(1));
    if c.closed {
        h.flags = flags::CLOSED;
    }
    let [open, high, low, close, volume] = c.ohlcv;
    Ok(Bar {
        header: h,
        open: fixed(key, open, pe, "open")?,
        high: fixed(key, high, pe, "high")?,
        low: fixed(key, low, pe, "low")?,
        close: fixed(key, close, pe, "close")?,
        volume: fixed(key, volume, qe, "volume")?,
        quote_volume: match c.quote_volume {
            Some(q) => fixed(key, q, pe.saturating_add(qe), "quote volume")?,
            None => 0,
        },
        trades: c.trades,
        start_ts: Nanos::from_millis(c.open_ms),
        interval_ns: c.span_ms.saturating_mul(1_000_000),
        _pad: [0; 8],
    })
}

/// A book snapshot of `inst` from JSON level lists (`[price, qty, ...]` or
/// `{"price","amount"}` each).
pub fn book(
    key: &str,
    inst: &Instrument,
    (bids, asks): (&Value, &Value),
    limit: usize,
    seq: u64,
    ms: u64,
) -> Result<BookSnapshot, Error> {
    let mut rec = BookSnapshot { header: header(inst, Kind::BOOK_SNAPSHOT, seq, ms), ..BookSnapshot::default() };
    let limit = limit.clamp(1, SNAPSHOT_DEPTH);
    for (list, levels, count) in [(bids, &mut rec.bids, &mut rec.bid_count), (asks, &mut rec.asks, &mut rec.ask_count)]
    {
        let list = list.as_array().ok_or_else(|| bad(key, "book levels"))?;
        for (l, slot) in list.iter().take(limit).zip(levels.iter_mut()) {
            // `[price, qty, ...]`, or `{"price":..,"amount":..}` (Gemini).
            let (p, q) = if l.is_object() { (&l["price"], &l["amount"]) } else { (&l[0], &l[1]) };
            *slot = Level { price: fixed(key, p, inst.price_exp, "price")?, qty: fixed(key, q, inst.qty_exp, "qty")? };
            *count += 1;
        }
    }
    Ok(rec)
}

/// What every factory reads from its options. Parameters: `rest_url` (the venue's own by
/// default), `extra_pem` (a certificate to trust, for a simulator over TLS), `first_id` (first
/// instrument id, default 1), `account` (the limiter's account name, default `default`),
/// `limiter_wait_ms` (how long a market-data request waits for the limiter before it is refused,
/// default 5,000); besides them the credentials (for order operations) and the limiter.
#[derive(Debug)]
pub struct Options<'a> {
    /// `rest_url`, if given.
    pub rest_url: Option<&'a str>,
    /// Extra certificates to trust (PEM text).
    pub pem: Vec<&'a str>,
    /// The first instrument id.
    pub first_id: u32,
    /// The limiter's account name.
    pub account: &'a str,
    /// Credentials for order operations.
    pub credentials: Option<&'a crate::credentials::Credentials>,
    /// The limiter every request draws from.
    pub limiter: Option<Arc<Limiter>>,
    /// How long a market-data request waits for the limiter.
    pub limiter_wait: Duration,
}

impl<'a> Options<'a> {
    /// The options read from a factory's [`FeedOptions`].
    pub fn of(o: &'a FeedOptions) -> Options<'a> {
        Options {
            rest_url: o.params.get("rest_url").map(String::as_str),
            pem: o.params.get("extra_pem").map(String::as_str).into_iter().collect(),
            first_id: o.params.get("first_id").and_then(|v| v.parse().ok()).unwrap_or(1),
            account: o.params.get("account").map_or("default", String::as_str),
            credentials: o.credentials.as_ref(),
            limiter: o.limiter.clone(),
            limiter_wait: Duration::from_millis(
                o.params.get("limiter_wait_ms").and_then(|v| v.parse().ok()).unwrap_or(5_000),
            ),
        }
    }

    /// The TLS setup: the web roots plus `extra_pem`.
    pub fn tls(&self) -> Result<Arc<rustls::ClientConfig>, Error> {
        crate::tls::client_config(&[] as &[std::path::PathBuf], &self.pem)
            .map_err(|e| Error::Configuration { detail: e.to_string() })
    }
}

/// A feed's REST side: keep-alive HTTP(S) to the venue, every request drawn from the limiter.
#[derive(Debug)]
pub struct Rest {
    http: HttpClient,
    key: &'static str,
    limiter: Option<Arc<Limiter>>,
    limiter_wait: Duration,
    account: String,
}

impl Rest {
    /// A client for `key` at the options' `rest_url`, else `default`.
    pub fn new(key: &'static str, o: &Options<'_>, default: &str) -> Result<Rest, Error> {
        let http = HttpClient::new(o.rest_url.unwrap_or(default), o.tls()?)
            .map_err(|e| Error::Configuration { detail: e.to_string() })?;
        Ok(Rest { http, key, limiter: o.limiter.clone(), limiter_wait: o.limiter_wait, account: o.account.to_owned() })
    }

    /// `GET target` after the limiter (its rules match the path without the query). A
    /// network failure is [`Error::Network`]; the status and body are the caller's to read.
    pub fn get(&mut self, target: &str) -> Result<Response, Error> {
        if let Some(l) = &self.limiter {
            let path = target.split('?').next().unwrap_or(target);
            let req = Request::new("GET", path).account(&self.account);
            match l.acquire(&req, self.limiter_wait).map_err(|e| Error::Configuration { detail: e.to_string() })? {
                Acquire::Granted => {}
                Acquire::Wait { after, .. } => {
                    return Err(Error::RateLimit {
                        venue: self.key.to_owned(),
                        retry_after: Some(after),
                        code: ErrorCode::RateLimitExceeded,
                        detail: "local rate limit".into(),
                    });
                }
            }
        }
        self.http
            .request("GET", target, &[("Accept", "application/json")], b"")
            .map_err(|e| Error::Network { venue: self.key.to_owned(), detail: crate::redact::text(&e.to_string()) })
    }
}

/// The instruments a feed loaded: ids in load order from `first_id`, exponents from tick and
/// lot sizes.
#[derive(Debug, Default)]
pub struct Instruments {
    by_symbol: HashMap<String, (Instrument, InstrumentInfo)>,
    first_id: u32,
    loaded: bool,
}

impl Instruments {
    /// No instruments yet; ids will start at `first_id`.
    pub fn new(first_id: u32) -> Instruments {
        Instruments { first_id, ..Instruments::default() }
    }

    /// Replaces the instruments with `infos`.
    pub fn load(&mut self, key: &str, venue: VenueId, infos: Vec<InstrumentInfo>) -> Result<(), Error> {
        self.by_symbol.clear();
        for (n, info) in infos.into_iter().enumerate() {
            let sym = Symbol::new(&info.symbol).map_err(|_| bad(key, "symbol"))?;
            let id = InstrumentId(self.first_id + n as u32);
            let inst = Instrument::new(id, venue, sym, info.price_exp(), info.qty_exp());
            self.by_symbol.insert(info.symbol.clone(), (inst, info));
        }
        self.loaded = true;
        Ok(())
    }

    /// Forgets the instruments (on disconnect).
    pub fn clear(&mut self) {
        self.by_symbol.clear();
        self.loaded = false;
    }

    /// Whether instruments were loaded.
    pub fn loaded(&self) -> bool {
        self.loaded
    }

    /// The instrument of `symbol`.
    pub fn get(&self, key: &str, symbol: &str) -> Result<Instrument, Error> {
        self.by_symbol.get(symbol).map(|(i, _)| *i).ok_or_else(|| Error::InvalidSymbol {
            venue: key.to_owned(),
            symbol: symbol.to_owned(),
            detail: "not among the venue's instruments".into(),
        })
    }

    /// The metadata, in id order.
    pub fn list(&self) -> Vec<InstrumentInfo> {
        let mut v: Vec<(u32, InstrumentInfo)> =
            self.by_symbol.values().map(|(i, info)| (i.id.0, info.clone())).collect();
        v.sort_by_key(|(id, _)| *id);
        v.into_iter().map(|(_, i)| i).collect()
    }

    /// The instrument table, for readers of the records.
    pub fn table(&self) -> InstrumentTable {
        let mut t = InstrumentTable::default();
        let mut all: Vec<&Instrument> = self.by_symbol.values().map(|(i, _)| i).collect();
        all.sort_by_key(|i| i.id.0);
        for i in all {
            let _ = t.insert(*i);
        }
        t
    }
}

/// The [`VenueFeed`](crate::registry::VenueFeed) methods every REST feed answers from its
/// [`Instruments`] (a field `instruments`) and its order client (a field `orders`, set when
/// credentials were given): disconnect, is-connected, the instrument list (loading it on
/// first use), the instrument table and the order client.
#[macro_export]
macro_rules! instrument_state {
    () => {
        fn disconnect(&mut self) {
            self.instruments.clear();
        }

        fn is_connected(&self) -> bool {
            self.instruments.loaded()
        }

        fn instruments(&mut self) -> Result<Vec<$crate::market::InstrumentInfo>, Error> {
            if !self.instruments.loaded() {
                self.connect()?;
            }
            Ok(self.instruments.list())
        }

        fn instrument_table(&self) -> mdbus_schemas::InstrumentTable {
            self.instruments.table()
        }

        fn order_client(&mut self) -> Option<&mut dyn $crate::order::OrderClient> {
            self.orders.as_mut().map(|c| c as &mut dyn $crate::order::OrderClient)
        }
    };
}
