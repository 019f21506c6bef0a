//! `mdbus decode`: venue frames in, one JSON object per record out.

use mdbus_feeder::{DecodeError, Levels, Message, Side, venue::FrameError};
use mdbus_schemas::Decimal;
use serde_json::{Value, json};

/// A venue `mdbus decode` knows, by its command-line name: the venue's configuration name
/// (its first market), or `<venue>-<market>` (`binance-spot`, `binance-usdm`, `bybit-linear`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Venue {
    feeder: mdbus_feeder::Venue,
    qualified: bool,
}

impl Venue {
    /// Parses a command-line venue name.
    ///
    /// # Examples
    ///
    /// ```
    /// use mdbus_tools::decode::Venue;
    /// assert_eq!(Venue::from_name("binance-usdm").map(|v| v.name()).as_deref(), Some("binance-usdm"));
    /// assert_eq!(Venue::from_name("okx").map(|v| v.name()).as_deref(), Some("okx"));
    /// assert_eq!(Venue::from_name("nope"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Venue> {
        let all = mdbus_venues::ALL;
        all.iter()
            .find(|v| name.strip_prefix(v.name()).and_then(|m| m.strip_prefix('-')) == Some(v.market()))
            .map(|v| Venue { feeder: v, qualified: true })
            .or_else(|| all.iter().find(|v| v.name() == name).map(|v| Venue { feeder: v, qualified: false }))
    }

    /// Every name [`Venue::from_name`] takes, for help texts.
    pub fn names() -> Vec<String> {
        let mut out = Vec::new();
        for name in mdbus_venues::ALL.names() {
            let markets = mdbus_venues::ALL.markets(name);
            if markets.len() == 1 {
                out.push(name.to_owned());
            } else {
                out.extend(markets.iter().map(|m| format!("{name}-{m}")));
            }
        }
        out
    }

    /// Returns the command-line name.
    pub fn name(self) -> String {
        if self.qualified {
            format!("{}-{}", self.feeder.name(), self.feeder.market())
        } else {
            self.feeder.name().to_owned()
        }
    }

    /// The feeder's venue whose decoder this is.
    pub fn feeder(self) -> mdbus_feeder::Venue {
        self.feeder
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
/// let spot = Venue::from_name("binance-spot").unwrap();
/// let out = decode_frame(spot, frame)?;
/// assert_eq!(out[0]["side"], "buy");
/// assert_eq!(out[0]["exch_ts_ns"], 2_000_000);
/// assert!(decode_frame(spot, br#"{"result":null,"id":1}"#)?.is_empty());
/// # Ok::<(), mdbus_feeder::DecodeError>(())
/// ```
pub fn decode_frame(venue: Venue, frame: &[u8]) -> Result<Vec<Value>, DecodeError> {
    let mut l = Levels::default();
    let mut out = Vec::new();
    // A frame read alone: its meaning cannot depend on frames before it.
    let mut decoder = venue.feeder.standalone_decoder();
    let gzip = frame.starts_with(&[0x1f, 0x8b]);
    match decoder.decode(frame, gzip, &mut l, &mut |msg, levels| out.extend(render(venue, msg, levels))) {
        Ok(_) => Ok(out),
        Err(FrameError::Decode(e)) => Err(e),
        // A frame that does not inflate, or binary where the venue sends text, has no JSON.
        Err(_) => Err(DecodeError::Malformed { at: 0 }),
    }
}

/// One message as a JSON record (none for control messages).
fn render(venue: Venue, msg: Message<'_>, l: &Levels) -> Option<Value> {
    let v = venue.name();
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
            let fv = Some(venue.feeder);
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
