//! The first path: Gemini's `trade` and `l2_updates` (without trades) in the key order of its
//! documentation (<https://docs.gemini.com/websocket/market-data/v2/>), read in one pass with
//! [`Cursor`]. Keys the decoder does not use may follow the documented ones. Anything else
//! returns `None` before a message is handed out, and the general scanner
//! ([`super::market::decode`]) reads the frame to the same messages.
//!
//! ```json
//! {"type":"l2_updates","symbol":"BTCUSD","changes":[["buy","9122.04","0.00121425"],["sell","9122.07","0.98942292"]]}
//! {"type":"trade","symbol":"BTCUSD","event_id":3575573053,"timestamp":1601617445083,"price":"9122.07","quantity":"0.0141858","side":"buy"}
//! ```

use mdbus_feeder::{
    decode::{DepthMsg, Levels, Message, Side, TradeMsg},
    json::cursor::Cursor,
};

/// Reads `frame` if it is laid out as documented, handing its message to `out`; `None`
/// (nothing handed out) sends it to the general scanner.
#[inline]
pub(super) fn decode<'a>(
    frame: &'a [u8],
    first_of_subscription: bool,
    levels: &mut Levels,
    out: &mut dyn FnMut(Message<'a>, &Levels),
) -> Option<usize> {
    levels.clear();
    let mut c = Cursor::new(frame);
    c.tag(br#"{"type":"#)?;
    let kind = c.string()?;
    c.tag(br#","symbol":"#)?;
    let symbol = c.str()?;
    let msg = match kind {
        b"trade" => trade(&mut c, symbol)?,
        b"l2_updates" => {
            c.tag(br#","changes":"#)?;
            changes(&mut c, levels)?;
            c.rest_of_object(&READ)?;
            Message::Depth(DepthMsg {
                symbol: Some(symbol),
                symbol_from_stream: false,
                snapshot: first_of_subscription,
                partial: false,
                first_seq: None,
                last_seq: 0,
                prev_seq: None,
                trade_ts_ms: None,
                event_ts_ms: None,
            })
        }
        _ => return None,
    };
    out(msg, levels);
    Some(1)
}

/// Every key the general scanner reads (trades after the book are its to read).
const READ: [&[u8]; 10] =
    [b"type", b"symbol", b"changes", b"trades", b"event_id", b"tid", b"timestamp", b"price", b"quantity", b"side"];

/// `[[side, price, quantity], ...]`, each change to its side of `levels`.
#[inline(always)]
fn changes(c: &mut Cursor<'_>, levels: &mut Levels) -> Option<()> {
    c.tag(b"[")?;
    if c.eat(b"]") {
        return Some(());
    }
    loop {
        let side = if c.eat(br#"["buy",""#) {
            &mut levels.bids
        } else {
            c.tag(br#"["sell",""#)?;
            &mut levels.asks
        };
        let price = c.number()?;
        c.tag(br#"",""#)?;
        let qty = c.number()?;
        c.tag(br#""]"#)?;
        side.push((price, qty));
        if !c.eat(b",") {
            return c.tag(b"]");
        }
    }
}

#[inline(always)]
fn trade<'a>(c: &mut Cursor<'a>, symbol: &'a str) -> Option<Message<'a>> {
    c.tag(br#","event_id":"#)?;
    let trade_id = c.uint()?;
    c.tag(br#","timestamp":"#)?;
    let ts = c.uint()?;
    c.tag(br#","price":"#)?;
    let price = c.decimal()?;
    c.tag(br#","quantity":"#)?;
    let qty = c.decimal()?;
    c.tag(br#","side":"#)?;
    let side = match c.string()? {
        b"buy" => Side::Buy,
        b"sell" => Side::Sell,
        _ => return None,
    };
    c.rest_of_object(&READ)?;
    Some(Message::Trade(TradeMsg {
        symbol,
        trade_id,
        price,
        qty,
        side,
        trade_ts_ms: Some(ts),
        event_ts_ms: Some(ts),
        aggregated: false,
        uuid: None,
        trade_ts_extra_ns: 0,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mutate::{Reading, agree, mutated_frames_read_alike, reading};

    /// Documented frames and variants of them, each read by the first path.
    const FRAMES: [&[u8]; 5] = [
        br#"{"type":"l2_updates","symbol":"BTCUSD","changes":[["sell","9122.07","0.98942292"]],"auction_events":[]}"#,
        br#"{"type":"l2_updates","symbol":"BTCUSD","changes":[["buy","9122.04","0.00121425"],["sell","9122.07","0.98942292"],["buy","9122","0"]]}"#,
        br#"{"type":"l2_updates","symbol":"BTCUSD","changes":[]}"#,
        br#"{"type":"trade","symbol":"BTCUSD","event_id":3575573053,"timestamp":1601617445083,"price":"9122.07","quantity":"0.0141858","side":"buy"}"#,
        br#"{"type":"trade","symbol":"ETHUSD","event_id":1,"timestamp":2,"price":"1","quantity":"2","side":"sell","tid_ms":3}"#,
    ];

    fn read(frame: &[u8], ordered: bool) -> Option<Reading> {
        let mut levels = Levels::default();
        if ordered {
            reading(|out| decode(frame, true, &mut levels, out))
        } else {
            reading(|out| super::super::market::decode_general(frame, true, &mut levels, out).ok())
        }
    }

    #[test]
    fn agrees_with_the_general_scanner() {
        agree(&FRAMES, read);
    }

    #[test]
    fn departures_go_to_the_general_scanner() {
        for frame in [
            &br#"{"type":"l2_updates","symbol":"BTCUSD","changes":[["buy","1","2"]],"trades":[{"type":"trade","symbol":"BTCUSD","event_id":1,"timestamp":2,"price":"1","quantity":"2","side":"buy"}]}"#[..],
            br#"{"type":"l2_updates","symbol":"BTCUSD","changes":[["bid","1","2"]]}"#,
            br#"{"type":"trade","symbol":"BTCUSD","event_id":1,"timestamp":2,"price":"1","quantity":"2","side":"buy","tid":5}"#,
            br#"{"type":"heartbeat","timestamp":1}"#,
        ] {
            let mut called = false;
            let r = decode(frame, false, &mut Levels::default(), &mut |_, _| called = true);
            assert!(r.is_none() && !called, "{}", String::from_utf8_lossy(frame));
        }
    }

    mutated_frames_read_alike!(FRAMES, read);
}
