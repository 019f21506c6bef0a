//! Binance spot and USD-M futures market streams.
//!
//! [`decode`] turns one websocket text frame (raw or combined stream) into a [`Message`]: the
//! fast path scans the frame once without allocating; frames it does not handle (escaped
//! strings) go through serde_json, which gives identical results on everything both handle.

pub mod account;
#[cfg(feature = "bench")]
pub mod bench;
pub mod errors;
mod fast;
pub mod order;
mod ordered;
pub mod protocol;
pub mod rest;
pub mod sign;
pub mod sim;
pub mod stream;
mod wire;

use mdbus_feeder::decode::{DecodeError, Levels, Message};

/// Lowercase symbol prefix of a stream name (`btcusdt@depth20` → `btcusdt`).
fn stream_symbol(stream: &str) -> &str {
    stream.split('@').next().unwrap_or(stream)
}

/// `true` for a partial-depth stream name (`<symbol>@depth<levels>[@<speed>]`), whose
/// messages replace the book rather than update it.
fn is_partial_depth(stream: &str) -> bool {
    stream.split('@').nth(1).is_some_and(|s| s.len() > 5 && s.starts_with("depth") && s.as_bytes()[5].is_ascii_digit())
}

/// Which Binance market a connection is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Market {
    /// Spot (`stream.binance.com`).
    Spot,
    /// USD-M futures (`fstream.binance.com`).
    UsdM,
}

/// Decodes one frame. Levels of depth messages go to `levels` (cleared first).
///
/// # Errors
///
/// A [`DecodeError`] naming the problem for a malformed or unrecognised frame.
///
/// # Examples
///
/// ```
/// use mdbus_feeder::{Levels, Message};
/// use mdbus_venues::binance;
/// let frame = br#"{"u":400900217,"s":"BNBUSDT","b":"25.35190000","B":"31.21000000","a":"25.36520000","A":"40.66000000"}"#;
/// let mut levels = Levels::default();
/// match binance::decode(frame, &mut levels)? {
///     Message::Quote(q) => assert_eq!(q.ask_price.to_string(), "25.36520000"),
///     other => panic!("{other:?}"),
/// }
/// # Ok::<(), mdbus_feeder::DecodeError>(())
/// ```
#[inline]
pub fn decode<'a>(frame: &'a [u8], levels: &mut Levels) -> Result<Message<'a>, DecodeError> {
    match fast::decode(frame, levels)? {
        Some(m) => Ok(m),
        None => wire::decode(frame, levels),
    }
}

/// Decodes one frame with serde_json only: the reference for the fast path and the baseline
/// of `mdbus bench decode`.
///
/// # Errors
///
/// As [`decode`].
pub fn decode_serde<'a>(frame: &'a [u8], levels: &mut Levels) -> Result<Message<'a>, DecodeError> {
    wire::decode(frame, levels)
}

/// Decodes one frame with the fast path only; `Ok(None)` for a frame it hands to serde_json.
///
/// # Errors
///
/// As [`decode`].
pub fn decode_fast<'a>(frame: &'a [u8], levels: &mut Levels) -> Result<Option<Message<'a>>, DecodeError> {
    fast::decode(frame, levels)
}
