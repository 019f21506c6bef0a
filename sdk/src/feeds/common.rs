//! What every REST feed shares: the loaded instruments (ids, exponents, metadata), JSON field
//! readers, record headers, book filling and the options every factory takes.

use std::collections::HashMap;

use mdbus_schemas::{
    BookSnapshot, Decimal, Header, Instrument, InstrumentId, InstrumentTable, Kind, Level, Nanos, SNAPSHOT_DEPTH,
    Symbol, VenueId,
};
use serde_json::Value;

use crate::{error::Error, error::ErrorCode, http::HttpClient, market::InstrumentInfo, registry::FeedOptions};

/// A decimal from a JSON string or number, plain (`"0.01"`) or scientific (`1E-8`, as Gemini
/// writes its steps).
pub(crate) fn dec(v: &Value) -> Option<Decimal> {
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

/// An integer from a JSON number or a string of digits.
pub(crate) fn num(v: &Value) -> Option<u64> {
    v.as_str().and_then(|s| s.parse().ok()).or_else(|| v.as_u64())
}

/// A response the feed cannot read.
pub(crate) fn bad(key: &str, what: &str) -> Error {
    Error::Venue {
        venue: key.to_owned(),
        code: ErrorCode::ApiError,
        status: None,
        venue_code: String::new(),
        detail: format!("unexpected response: {what}"),
    }
}

/// A kline interval the venue does not have.
pub(crate) fn bad_interval(key: &str, interval: &str) -> Error {
    Error::Venue {
        venue: key.to_owned(),
        code: ErrorCode::InvalidParameter,
        status: None,
        venue_code: String::new(),
        detail: format!("unknown kline interval {interval:?}"),
    }
}

/// `v` as a mantissa at `exp`.
pub(crate) fn fixed(key: &str, v: &Value, exp: i8, what: &str) -> Result<i64, Error> {
    dec(v).and_then(|d| d.to_fixed(exp).ok()).ok_or_else(|| bad(key, what))
}

/// A record header for `inst`.
pub(crate) fn header(inst: &Instrument, kind: Kind, seq: u64, ms: u64) -> Header {
    Header {
        kind,
        venue: inst.venue,
        instrument: inst.id,
        venue_seq: seq,
        venue_ts: Nanos::from_millis(ms),
        ..Header::default()
    }
}

/// A book snapshot of `inst` from JSON level lists (`[price, qty, ...]` or
/// `{"price","amount"}` each).
pub(crate) fn book(
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

/// An HTTP client for `rest_url` (or the venue's `default`), trusting `extra_pem` besides the
/// web roots.
pub(crate) fn http(rest_url: Option<&str>, default: &str, extra_pem: &[&str]) -> Result<HttpClient, Error> {
    let tls = crate::tls::client_config(&[] as &[std::path::PathBuf], extra_pem)
        .map_err(|e| Error::Configuration { detail: e.to_string() })?;
    HttpClient::new(rest_url.unwrap_or(default), tls).map_err(|e| Error::Configuration { detail: e.to_string() })
}

/// What every factory reads from its options: `rest_url`, `extra_pem`, `first_id` (default 1).
pub(crate) struct Options<'a> {
    pub(crate) rest_url: Option<&'a str>,
    pub(crate) pem: Vec<&'a str>,
    pub(crate) first_id: u32,
}

impl<'a> Options<'a> {
    pub(crate) fn of(o: &'a FeedOptions) -> Options<'a> {
        Options {
            rest_url: o.params.get("rest_url").map(String::as_str),
            pem: o.params.get("extra_pem").map(String::as_str).into_iter().collect(),
            first_id: o.params.get("first_id").and_then(|v| v.parse().ok()).unwrap_or(1),
        }
    }
}

/// The instruments a feed loaded: ids in load order from `first_id`, exponents from tick and
/// lot sizes.
#[derive(Debug, Default)]
pub(crate) struct Instruments {
    by_symbol: HashMap<String, (Instrument, InstrumentInfo)>,
    first_id: u32,
    loaded: bool,
}

impl Instruments {
    pub(crate) fn new(first_id: u32) -> Instruments {
        Instruments { first_id, ..Instruments::default() }
    }

    /// Replaces the instruments with `infos`.
    pub(crate) fn load(&mut self, key: &str, venue: VenueId, infos: Vec<InstrumentInfo>) -> Result<(), Error> {
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

    pub(crate) fn clear(&mut self) {
        self.by_symbol.clear();
        self.loaded = false;
    }

    pub(crate) fn loaded(&self) -> bool {
        self.loaded
    }

    /// The instrument of `symbol`.
    pub(crate) fn get(&self, key: &str, symbol: &str) -> Result<Instrument, Error> {
        self.by_symbol.get(symbol).map(|(i, _)| *i).ok_or_else(|| Error::InvalidSymbol {
            venue: key.to_owned(),
            symbol: symbol.to_owned(),
            detail: "not among the venue's instruments".into(),
        })
    }

    /// The metadata, in id order.
    pub(crate) fn list(&self) -> Vec<InstrumentInfo> {
        let mut v: Vec<(u32, InstrumentInfo)> =
            self.by_symbol.values().map(|(i, info)| (i.id.0, info.clone())).collect();
        v.sort_by_key(|(id, _)| *id);
        v.into_iter().map(|(_, i)| i).collect()
    }

    /// The instrument table, for readers of the records.
    pub(crate) fn table(&self) -> InstrumentTable {
        let mut t = InstrumentTable::default();
        let mut all: Vec<&Instrument> = self.by_symbol.values().map(|(i, _)| i).collect();
        all.sort_by_key(|i| i.id.0);
        for i in all {
            let _ = t.insert(*i);
        }
        t
    }
}
