//! The first path: Gate.io's `spot.trades`, `spot.book_ticker`, `spot.order_book_update` and
//! `spot.obu` pushes in the key order of its documentation
//! (<https://www.gate.io/docs/developers/apiv4/ws/en/>), read in one pass with [`Cursor`]. Keys
//! the decoder does not use may follow the documented ones; anything else returns `None`, and
//! the general scanner ([`super::market::decode`]) reads the frame to the same message.
//!
//! ```json
//! {"time":1606292218,"time_ms":1606292218231,"channel":"spot.trades","event":"update","result":{"id":309143071,
//!  "create_time":1606292218,"create_time_ms":"1606292218213.4578","side":"sell","currency_pair":"GT_USDT",
//!  "amount":"16.4700000000","price":"0.4705000000"}}
//! {"time":1606293275,"time_ms":1606293275723,"channel":"spot.book_ticker","event":"update","result":{"t":1606293275123,
//!  "u":48733182,"s":"BTC_USDT","b":"19177.79","B":"0.0003341504","a":"19179.38","A":"0.09"}}
//! {"time":1606294781,"time_ms":1606294781236,"channel":"spot.order_book_update","event":"update","result":{"t":1606294781123,
//!  "e":"depthUpdate","E":1606294781,"s":"BTC_USDT","U":48776301,"u":48776306,"b":[["19137.74","0.0001"]],"a":[["19137.75","0.6135"]]}}
//! {"channel":"spot.obu","result":{"t":1748572394325,"full":true,"s":"ob.BTC_USDT.50","u":28606981,"b":[["105958.9","0.00908"]],"a":[["105959","0.5"]]}}
//! ```

use mdbus_feeder::{
    decode::{DepthMsg, Levels, Message, QuoteMsg, Side, TradeMsg},
    json::cursor::Cursor,
};

/// Reads `frame` if it is one of the pushes above laid out as documented; `None` sends it to
/// the general scanner. Levels go to `levels` (the scanner clears them on `None`).
#[inline]
pub(super) fn decode<'a>(frame: &'a [u8], levels: &mut Levels) -> Option<Message<'a>> {
    levels.clear();
    let mut c = Cursor::new(frame);
    let event_ts = if c.eat(br#"{"time":"#) {
        c.uint()?;
        c.tag(br#","time_ms":"#)?;
        let ms = c.uint()?;
        c.tag(br#","channel":"#)?;
        Some(ms)
    } else {
        c.tag(br#"{"channel":"#)?;
        None
    };
    // The channel and the event, each compared whole with its closing quote.
    let channel = if c.eat(br#""spot.trades""#) {
        Channel::Trades
    } else if c.eat(br#""spot.order_book_update""#) {
        Channel::BookUpdate
    } else if c.eat(br#""spot.book_ticker""#) {
        Channel::BookTicker
    } else if c.eat(br#""spot.obu""#) {
        Channel::Obu
    } else {
        return None;
    };
    if !(c.eat(br#","event":"update""#) || c.eat(br#","event":"all""#)) && c.eat(br#","event":"#) {
        return None;
    }
    c.tag(br#","result":"#)?;
    let msg = match channel {
        Channel::Trades => trade(&mut c, event_ts)?,
        Channel::BookTicker => book_ticker(&mut c, event_ts)?,
        Channel::BookUpdate => book_update(&mut c, levels)?,
        Channel::Obu => obu(&mut c, levels)?,
    };
    c.tag(b"}")?;
    Some(msg)
}

/// The channels read here.
#[derive(Clone, Copy)]
enum Channel {
    Trades,
    BookTicker,
    BookUpdate,
    Obu,
}

#[inline(always)]
fn trade<'a>(c: &mut Cursor<'a>, event_ts: Option<u64>) -> Option<Message<'a>> {
    c.tag(br#"{"id":"#)?;
    let trade_id = c.uint()?;
    c.tag(br#","create_time":"#)?;
    c.uint()?;
    c.tag(br#","create_time_ms":"#)?;
    // Fractions of a millisecond, kept to the nanosecond exactly; whole milliseconds (the
    // common case) need no decimal.
    let at = c.clone();
    let ns = match c.quoted_uint() {
        Some(ms) => i64::try_from(ms).ok()?.checked_mul(1_000_000)? as u64,
        None => {
            *c = at;
            u64::try_from(c.decimal()?.to_fixed(-6).ok()?).ok()?
        }
    };
    c.tag(br#","side":"#)?;
    let side = match c.string()? {
        b"buy" => Side::Buy,
        b"sell" => Side::Sell,
        _ => return None,
    };
    c.tag(br#","currency_pair":"#)?;
    let symbol = c.str()?;
    c.tag(br#","amount":"#)?;
    let qty = c.decimal()?;
    c.tag(br#","price":"#)?;
    let price = c.decimal()?;
    c.rest_of_object(&[b"id", b"create_time_ms", b"side", b"currency_pair", b"amount", b"price"])?;
    Some(Message::Trade(TradeMsg {
        symbol,
        trade_id,
        price,
        qty,
        side,
        trade_ts_ms: Some(ns / 1_000_000),
        event_ts_ms: event_ts,
        aggregated: false,
        uuid: None,
        trade_ts_extra_ns: (ns % 1_000_000) as u32,
    }))
}

#[inline(always)]
fn book_ticker<'a>(c: &mut Cursor<'a>, event_ts: Option<u64>) -> Option<Message<'a>> {
    c.tag(br#"{"t":"#)?;
    let t = c.uint()?;
    c.tag(br#","u":"#)?;
    let update_id = c.uint()?;
    c.tag(br#","s":"#)?;
    let symbol = c.str()?;
    c.tag(br#","b":"#)?;
    let bid_price = c.decimal()?;
    c.tag(br#","B":"#)?;
    let bid_qty = c.decimal()?;
    c.tag(br#","a":"#)?;
    let ask_price = c.decimal()?;
    c.tag(br#","A":"#)?;
    let ask_qty = c.decimal()?;
    c.rest_of_object(&[b"t", b"u", b"s", b"b", b"B", b"a", b"A"])?;
    Some(Message::Quote(QuoteMsg {
        symbol,
        update_id,
        bid_price,
        bid_qty,
        ask_price,
        ask_qty,
        trade_ts_ms: Some(t),
        event_ts_ms: event_ts,
    }))
}

/// `b` and `a`, into `levels`.
#[inline(always)]
fn sides(c: &mut Cursor<'_>, levels: &mut Levels) -> Option<()> {
    c.tag(br#","b":"#)?;
    c.levels(&mut levels.bids)?;
    c.tag(br#","a":"#)?;
    c.levels(&mut levels.asks)
}

/// The keys of a book push; a further one that repeats them hands the frame on.
const BOOK_KEYS: [&[u8]; 9] = [b"t", b"e", b"E", b"s", b"U", b"u", b"b", b"a", b"full"];

#[inline(always)]
fn book_update<'a>(c: &mut Cursor<'a>, levels: &mut Levels) -> Option<Message<'a>> {
    c.tag(br#"{"t":"#)?;
    let t = c.uint()?;
    c.tag(br#","e":"depthUpdate","E":"#)?;
    c.uint()?;
    c.tag(br#","s":"#)?;
    let symbol = c.str()?;
    c.tag(br#","U":"#)?;
    let first_seq = c.uint()?;
    c.tag(br#","u":"#)?;
    let last_seq = c.uint()?;
    sides(c, levels)?;
    c.rest_of_object(&BOOK_KEYS)?;
    Some(Message::Depth(DepthMsg {
        symbol: Some(symbol),
        symbol_from_stream: false,
        snapshot: false,
        partial: false,
        first_seq: Some(first_seq),
        last_seq,
        prev_seq: None,
        trade_ts_ms: None,
        event_ts_ms: Some(t),
    }))
}

#[inline(always)]
fn obu<'a>(c: &mut Cursor<'a>, levels: &mut Levels) -> Option<Message<'a>> {
    c.tag(br#"{"t":"#)?;
    let t = c.uint()?;
    let full = c.eat(br#","full":true"#);
    c.tag(br#","s":"#)?;
    let symbol = super::market::obu_pair(c.str()?)?;
    let first_seq = if full {
        None
    } else {
        c.tag(br#","U":"#)?;
        Some(c.uint()?)
    };
    c.tag(br#","u":"#)?;
    let last_seq = c.uint()?;
    sides(c, levels)?;
    c.rest_of_object(&BOOK_KEYS)?;
    Some(Message::Depth(DepthMsg {
        symbol: Some(symbol),
        symbol_from_stream: false,
        snapshot: full,
        partial: false,
        first_seq,
        last_seq,
        prev_seq: None,
        trade_ts_ms: None,
        event_ts_ms: Some(t),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mutate::{Reading, agree, mutated_frames_read_alike};

    /// Documented frames and variants of them, each read by the first path.
    const FRAMES: [&[u8]; 6] = [
        br#"{"time":1606292218,"time_ms":1606292218231,"channel":"spot.trades","event":"update","result":{"id":309143071,"create_time":1606292218,"create_time_ms":"1606292218213.4578","side":"sell","currency_pair":"GT_USDT","amount":"16.4700000000","price":"0.4705000000"}}"#,
        br#"{"time":1606292218,"time_ms":1606292218231,"channel":"spot.trades","event":"update","result":{"id":309143071,"create_time":1606292218,"create_time_ms":"1606292218213","side":"buy","currency_pair":"GT_USDT","amount":"16.47","price":"0.4705","range":"2390902-2390902"}}"#,
        br#"{"time":1606293275,"time_ms":1606293275723,"channel":"spot.book_ticker","event":"update","result":{"t":1606293275123,"u":48733182,"s":"BTC_USDT","b":"19177.79","B":"0.0003341504","a":"19179.38","A":"0.09"}}"#,
        br#"{"time":1606294781,"time_ms":1606294781236,"channel":"spot.order_book_update","event":"update","result":{"t":1606294781123,"e":"depthUpdate","E":1606294781,"s":"BTC_USDT","U":48776301,"u":48776306,"b":[["19137.74","0.0001"]],"a":[["19137.75","0.6135"],["19138","0"]]}}"#,
        br#"{"channel":"spot.obu","result":{"t":1748572394325,"full":true,"s":"ob.BTC_USDT.50","u":28606981,"b":[["105958.9","0.00908"]],"a":[["105959","0.5"]]}}"#,
        br#"{"channel":"spot.obu","result":{"t":1748572394326,"s":"ob.BTC_USDT.50","U":28606982,"u":28606983,"b":[],"a":[["105959","0"]]}}"#,
    ];

    fn read(frame: &[u8], ordered: bool) -> Option<Reading> {
        let mut levels = Levels::default();
        let m = if ordered {
            decode(frame, &mut levels)?
        } else {
            super::super::market::decode_general(frame, &mut levels).ok()?
        };
        Some(vec![(format!("{m:?}"), levels)])
    }

    #[test]
    fn agrees_with_the_general_scanner() {
        agree(&FRAMES, read);
    }

    #[test]
    fn departures_go_to_the_general_scanner() {
        for frame in [
            &br#"{"time":1,"time_ms":1,"channel":"spot.trades","event":"subscribe","result":{"status":"success"}}"#[..],
            br#"{"time":1,"time_ms":1,"channel":"spot.book_ticker","event":"update","result":{"t":1,"u":2,"s":"BTC_USDT","b":"1","B":"1","a":"2","A":"1","b":"3"}}"#,
            br#"{"channel":"spot.obu","result":{"t":1,"s":"ob.BTC_USDT.50","U":2,"u":3,"b":[],"a":[],"full":true}}"#,
            br#"{"channel":"spot.obu","result":{"t":1,"s":"BTC_USDT","U":2,"u":3,"b":[],"a":[]}}"#,
            br#"{"time":1,"time_ms":1,"channel":"spot.trades","event":"update","result":{"id":1,"create_time":1,"create_time_ms":"1.0000001","side":"buy","currency_pair":"GT_USDT","amount":"1","price":"1"}}"#,
        ] {
            assert_eq!(decode(frame, &mut Levels::default()), None, "{}", String::from_utf8_lossy(frame));
        }
    }

    mutated_frames_read_alike!(FRAMES, read);
}
