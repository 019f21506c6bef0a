//! `mdbus decode`: venue frames in, one JSON object per record out.

use mdbus_feeder::{
    DecodeError, Levels, Message, Side, binance,
    venues::{bybit, gate, gemini, htx, okx},
};
use mdbus_schemas::Decimal;
use serde_json::{Value, json};

/// Venues `mdbus decode` knows, by their command-line names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Venue {
    /// `binance-spot`.
    BinanceSpot,
    /// `binance-usdm`.
    BinanceUsdm,
    /// `okx` (v5 public channels).
    Okx,
    /// `bybit` (v5 public topics).
    Bybit,
    /// `gateio` (v4 spot channels).
    Gateio,
    /// `gemini` (v2 market data; an `l2_updates` with `trades`, the first after a subscribe, is
    /// the whole book).
    Gemini,
    /// `htx` (gzip frames, or their JSON text).
    Htx,
}

impl Venue {
    /// Parses a command-line venue name.
    ///
    /// # Examples
    ///
    /// ```
    /// use mdbus_tools::decode::Venue;
    /// assert_eq!(Venue::from_name("binance-usdm"), Some(Venue::BinanceUsdm));
    /// assert_eq!(Venue::from_name("nope"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Venue> {
        match name {
            "binance-spot" => Some(Venue::BinanceSpot),
            "binance-usdm" => Some(Venue::BinanceUsdm),
            "okx" => Some(Venue::Okx),
            "bybit" => Some(Venue::Bybit),
            "gateio" => Some(Venue::Gateio),
            "gemini" => Some(Venue::Gemini),
            "htx" => Some(Venue::Htx),
            _ => None,
        }
    }

    /// Returns the command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Venue::BinanceSpot => "binance-spot",
            Venue::BinanceUsdm => "binance-usdm",
            Venue::Okx => "okx",
            Venue::Bybit => "bybit",
            Venue::Gateio => "gateio",
            Venue::Gemini => "gemini",
            Venue::Htx => "htx",
        }
    }

    /// The feeder's venue whose decoder this is (Bybit: its spot market; both markets decode
    /// alike).
    pub fn feeder(self) -> mdbus_feeder::Venue {
        match self {
            Venue::BinanceSpot => mdbus_feeder::Venue::BinanceSpot,
            Venue::BinanceUsdm => mdbus_feeder::Venue::BinanceUsdm,
            Venue::Okx => mdbus_feeder::Venue::Okx,
            Venue::Bybit => mdbus_feeder::Venue::BybitSpot,
            Venue::Gateio => mdbus_feeder::Venue::Gate,
            Venue::Gemini => mdbus_feeder::Venue::Gemini,
            Venue::Htx => mdbus_feeder::Venue::Htx,
        }
    }
}

fn ms_to_ns(ms: Option<u64>) -> Value {
    ms.map_or(Value::Null, |v| json!(v.saturating_mul(1_000_000)))
}

fn dec(d: Decimal) -> Value {
    Value::String(d.to_string())
}

fn levels(l: &[(Decimal, Decimal)]) -> Value {
    Value::Array(l.iter().map(|(p, q)| json!([p.to_string(), q.to_string()])).collect())
}

/// Decodes one frame and returns its records as JSON objects (none for control frames).
///
/// # Errors
///
/// The decoder's error for a malformed or unrecognised frame.
///
/// # Examples
///
/// ```
/// use mdbus_tools::decode::{Venue, decode_frame};
/// let frame = br#"{"e":"trade","E":1,"s":"BNBBTC","t":7,"p":"0.001","q":"100","T":2,"m":false}"#;
/// let out = decode_frame(Venue::BinanceSpot, frame)?;
/// assert_eq!(out[0]["side"], "buy");
/// assert_eq!(out[0]["exch_ts_ns"], 2_000_000);
/// assert!(decode_frame(Venue::BinanceSpot, br#"{"result":null,"id":1}"#)?.is_empty());
/// # Ok::<(), mdbus_feeder::DecodeError>(())
/// ```
pub fn decode_frame(venue: Venue, frame: &[u8]) -> Result<Vec<Value>, DecodeError> {
    let mut l = Levels::default();
    let v = venue.name();
    match venue {
        Venue::BinanceSpot | Venue::BinanceUsdm => {
            let msg = binance::decode(frame, &mut l)?;
            Ok(render(v, msg, &l).into_iter().collect())
        }
        Venue::Okx => {
            let mut out = Vec::new();
            okx::market::decode(frame, &mut l, &mut |msg, levels| out.extend(render(v, msg, levels)))?;
            Ok(out)
        }
        Venue::Bybit => {
            let mut out = Vec::new();
            bybit::market::decode(frame, &mut l, &mut |msg, levels| out.extend(render(v, msg, levels)))?;
            Ok(out)
        }
        Venue::Gateio => {
            let msg = gate::market::decode(frame, &mut l)?;
            Ok(render(v, msg, &l).into_iter().collect())
        }
        Venue::Gemini => {
            // Only the first `l2_updates` after a subscribe carries `trades`, and it is the whole
            // book: read it as the snapshot it is.
            let first = serde_json::from_slice::<Value>(frame).is_ok_and(|v| v.get("trades").is_some());
            let mut out = Vec::new();
            gemini::market::decode(frame, first, &mut l, &mut |msg, levels| out.extend(render(v, msg, levels)))?;
            Ok(out)
        }
        Venue::Htx => {
            let mut g = htx::gunzip::Gunzip::default();
            let text = if frame.starts_with(&[0x1f, 0x8b]) {
                // A frame that does not inflate has no JSON at all.
                g.gunzip(frame).map_err(|_| DecodeError::Malformed { at: 0 })?
            } else {
                frame
            };
            let mut out = Vec::new();
            htx::market::decode(text, &mut l, &mut |msg, levels| out.extend(render(v, msg, levels)))?;
            Ok(out)
        }
    }
}

/// One message as a JSON record (none for control messages).
fn render(v: &str, msg: Message<'_>, l: &Levels) -> Option<Value> {
    Some(match msg {
        Message::Trade(t) => json!({
            "kind": "trade", "venue": v, "symbol": t.symbol,
            "exch_ts_ns": match t.trade_ts_ms {
                Some(ms) => json!(ms * 1_000_000 + u64::from(t.trade_ts_extra_ns)),
                None => ms_to_ns(t.event_ts_ms),
            },
            "price": dec(t.price), "qty": dec(t.qty),
            "side": match t.side { Side::Buy => "buy", Side::Sell => "sell" },
            "trade_id": t.uuid.map_or_else(|| json!(t.trade_id), |u| json!(mdbus_schemas::TradeId::Uuid(u).to_string())),
        }),
        Message::Quote(q) => json!({
            "kind": "quote", "venue": v, "symbol": q.symbol, "exch_ts_ns": ms_to_ns(q.trade_ts_ms.or(q.event_ts_ms)),
            "bid_price": dec(q.bid_price), "bid_qty": dec(q.bid_qty), "ask_price": dec(q.ask_price), "ask_qty": dec(q.ask_qty),
        }),
        Message::Depth(d) => {
            let fv = Venue::from_name(v).map(Venue::feeder);
            // As the venue spells the symbol (HTX: lowercase; Binance: uppercase).
            let symbol = match (d.symbol, fv) {
                (Some(s), Some(fv)) if d.symbol_from_stream => Value::String(fv.symbol_from_stream(s)),
                (Some(s), _) => Value::String(s.to_owned()),
                (None, _) => Value::Null,
            };
            // Gemini's books carry no sequence: absent, not 0.
            let sequenced = fv.is_none_or(|fv| fv.has_book_sequence());
            json!({
                "kind": if d.snapshot { "book_snapshot" } else { "book_delta" }, "venue": v, "symbol": symbol,
                "exch_ts_ns": ms_to_ns(d.trade_ts_ms.or(d.event_ts_ms)),
                "bids": levels(&l.bids), "asks": levels(&l.asks),
                "first_seq": d.first_seq, "last_seq": sequenced.then_some(d.last_seq), "prev_seq": d.prev_seq,
            })
        }
        Message::Bar(b) => json!({
            "kind": "bar", "venue": v, "symbol": b.symbol, "exch_ts_ns": ms_to_ns(b.event_ts_ms),
            "interval": b.interval, "open_ts_ns": b.open_ts_ms.saturating_mul(1_000_000),
            "open": dec(b.open), "high": dec(b.high), "low": dec(b.low), "close": dec(b.close), "volume": dec(b.volume),
        }),
        _ => return None,
    })
}
