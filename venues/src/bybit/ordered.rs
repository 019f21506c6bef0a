//! The first path: Bybit's `publicTrade` and `orderbook` pushes in the key order of its
//! documentation (<https://bybit-exchange.github.io/docs/v5/websocket/public/trade>,
//! <https://bybit-exchange.github.io/docs/v5/websocket/public/orderbook>), read in one pass
//! with [`Cursor`]. Keys the decoder does not use may follow the documented ones (Bybit adds
//! fields over time); anything else returns `None` before a message is handed out, and the
//! general scanner ([`super::market::decode`]) reads the frame to the same messages.
//!
//! ```json
//! {"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1672304486868,"data":[{"T":1672304486865,
//!  "s":"BTCUSDT","S":"Buy","v":"0.001","p":"16578.50","L":"PlusTick","i":"2290000000061666327","BT":false}]}
//! {"topic":"orderbook.50.BTCUSDT","type":"snapshot","ts":1672304484978,"data":{"s":"BTCUSDT",
//!  "b":[["16493.50","0.006"]],"a":[["16611.00","0.029"]],"u":18521288,"seq":7961638724},"cts":1672304484976}
//! ```

use mdbus_feeder::{
    decode::{DepthMsg, Levels, Message, QuoteMsg, Side, TradeMsg},
    json::{
        Raw,
        cursor::{Cursor, uint_text},
    },
};

/// Reads `frame` if it is a trade or book push laid out as documented, handing its messages
/// to `out`; `None` (nothing handed out) sends it to the general scanner.
#[inline]
pub(super) fn decode<'a>(
    frame: &'a [u8],
    levels: &mut Levels,
    out: &mut dyn FnMut(Message<'a>, &Levels),
) -> Option<usize> {
    levels.clear();
    let mut c = Cursor::new(frame);
    c.tag(br#"{"topic":"#)?;
    let topic = c.string()?;
    // Linear pushes give `type` first, spot ones `ts` first.
    let (kind, ts) = if c.eat(br#","type":"#) {
        let kind = c.string()?;
        c.tag(br#","ts":"#)?;
        (kind, c.uint()?)
    } else {
        c.tag(br#","ts":"#)?;
        let ts = c.uint()?;
        c.tag(br#","type":"#)?;
        (c.string()?, ts)
    };
    c.tag(br#","data":"#)?;
    if topic.starts_with(b"publicTrade.") {
        c.tag(b"[")?;
        let msg = trade(&mut c, ts)?;
        c.tag(b"]")?;
        end(&mut c)?;
        out(msg, levels);
        return Some(1);
    }
    let depth = topic.strip_prefix(b"orderbook.")?;
    let one = depth == b"1" || depth.starts_with(b"1.");
    let book = book(&mut c, kind == b"snapshot", ts, levels)?;
    end(&mut c)?;
    let Message::Depth(d) = book else { return None };
    if !one {
        out(Message::Depth(d), levels);
        return Some(1);
    }
    // `orderbook.1`: the top of book doubles as the best bid/offer when both sides are present.
    let mut n = 1;
    if let (Some(&(bid_price, bid_qty)), Some(&(ask_price, ask_qty)), true) =
        (levels.bids.first(), levels.asks.first(), d.snapshot)
    {
        let q = QuoteMsg {
            symbol: d.symbol.unwrap_or(""),
            update_id: d.last_seq,
            bid_price,
            bid_qty,
            ask_price,
            ask_qty,
            trade_ts_ms: d.event_ts_ms,
            event_ts_ms: d.event_ts_ms,
        };
        out(Message::Quote(q), levels);
        n += 1;
    }
    out(Message::Depth(DepthMsg { partial: true, ..d }), levels);
    Some(n)
}

/// After `data`: the optional `cts`, then the end of the frame.
#[inline(always)]
fn end(c: &mut Cursor<'_>) -> Option<()> {
    if c.eat(br#","cts":"#) {
        c.uint()?;
    }
    c.tag(b"}")
}

#[inline(always)]
fn trade<'a>(c: &mut Cursor<'a>, ts: u64) -> Option<Message<'a>> {
    c.tag(br#"{"T":"#)?;
    let trade_ts = c.uint()?;
    c.tag(br#","s":"#)?;
    let symbol = c.str()?;
    c.tag(br#","S":"#)?;
    let side = match c.string()? {
        b"Buy" => Side::Buy,
        b"Sell" => Side::Sell,
        _ => return None,
    };
    c.tag(br#","v":"#)?;
    let qty = c.decimal()?;
    c.tag(br#","p":"#)?;
    let price = c.decimal()?;
    c.tag(br#","L":"#)?;
    c.string()?;
    c.tag(br#","i":"#)?;
    // Spot and inverse ids are digits, linear ones UUIDs.
    let id = c.string()?;
    let (trade_id, uuid) = match uint_text(id) {
        Some(n) => (n, None),
        None => super::market::trade_id(Raw::Str(id))?,
    };
    c.rest_of_object(&[b"T", b"s", b"S", b"v", b"p", b"i"])?;
    Some(Message::Trade(TradeMsg {
        symbol,
        trade_id,
        uuid,
        trade_ts_extra_ns: 0,
        price,
        qty,
        side,
        trade_ts_ms: Some(trade_ts),
        event_ts_ms: Some(ts),
        aggregated: false,
    }))
}

#[inline(always)]
fn book<'a>(c: &mut Cursor<'a>, snapshot_type: bool, ts: u64, levels: &mut Levels) -> Option<Message<'a>> {
    c.tag(br#"{"s":"#)?;
    let symbol = c.str()?;
    c.tag(br#","b":"#)?;
    c.levels(&mut levels.bids)?;
    c.tag(br#","a":"#)?;
    c.levels(&mut levels.asks)?;
    c.tag(br#","u":"#)?;
    let u = c.uint()?;
    c.rest_of_object(&[b"s", b"b", b"a", b"u"])?;
    Some(Message::Depth(DepthMsg {
        symbol: Some(symbol),
        symbol_from_stream: false,
        snapshot: snapshot_type || u == 1,
        partial: false,
        first_seq: None,
        last_seq: u,
        prev_seq: None,
        trade_ts_ms: None,
        event_ts_ms: Some(ts),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mutate::{Reading, agree, mutated_frames_read_alike, reading};

    /// Documented frames and variants of them, each read by the first path.
    const FRAMES: [&[u8]; 6] = [
        br#"{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1672304486868,"data":[{"T":1672304486865,"s":"BTCUSDT","S":"Buy","v":"0.001","p":"16578.50","L":"PlusTick","i":"20f43950-d8dd-5b31-9112-a178eb6023af","BT":false}]}"#,
        br#"{"topic":"publicTrade.BTCUSDT","ts":1672304486868,"type":"snapshot","data":[{"T":1672304486865,"s":"BTCUSDT","S":"Sell","v":"0.001","p":"16578.50","L":"ZeroMinusTick","i":"2290000000061666327","BT":false,"RPI":false}]}"#,
        br#"{"topic":"orderbook.50.BTCUSDT","type":"snapshot","ts":1672304484978,"data":{"s":"BTCUSDT","b":[["16493.50","0.006"],["16493.00","0.100"]],"a":[["16611.00","0.029"]],"u":18521288,"seq":7961638724},"cts":1672304484976}"#,
        br#"{"topic":"orderbook.50.BTCUSDT","type":"delta","ts":1672304484978,"data":{"s":"BTCUSDT","b":[],"a":[["16611.00","0"]],"u":1,"seq":7961638725},"cts":1672304484976}"#,
        br#"{"topic":"orderbook.1.ETHUSDT","type":"snapshot","ts":5,"data":{"s":"ETHUSDT","b":[["2000.5","3"]],"a":[["2001","4"]],"u":77,"seq":9}}"#,
        br#"{"topic":"orderbook.1.ETHUSDT","type":"delta","ts":5,"data":{"s":"ETHUSDT","b":[["2000.5","3"]],"a":[],"u":78,"seq":10}}"#,
    ];

    fn read(frame: &[u8], ordered: bool) -> Option<Reading> {
        let mut levels = Levels::default();
        if ordered {
            reading(|out| decode(frame, &mut levels, out))
        } else {
            reading(|out| super::super::market::decode_general(frame, &mut levels, out).ok())
        }
    }

    #[test]
    fn agrees_with_the_general_scanner() {
        agree(&FRAMES, read);
    }

    #[test]
    fn departures_go_to_the_general_scanner() {
        for frame in [
            // Two trades, a repeated key, a key out of order, an op reply, a ticker.
            &br#"{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1,"data":[{"T":1,"s":"BTCUSDT","S":"Buy","v":"1","p":"1","L":"PlusTick","i":"1","BT":false},{"T":1,"s":"BTCUSDT","S":"Buy","v":"1","p":"1","L":"PlusTick","i":"2","BT":false}]}"#[..],
            br#"{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1,"data":[{"T":1,"s":"BTCUSDT","S":"Buy","v":"1","p":"1","L":"PlusTick","i":"1","BT":false,"p":"2"}]}"#,
            br#"{"topic":"orderbook.50.BTCUSDT","type":"delta","ts":1,"data":{"b":[],"s":"BTCUSDT","a":[],"u":2,"seq":3}}"#,
            br#"{"success":true,"ret_msg":"","conn_id":"x","op":"subscribe"}"#,
            br#"{"topic":"tickers.BTCUSDT","type":"snapshot","ts":1,"data":{"symbol":"BTCUSDT"}}"#,
        ] {
            let mut called = false;
            let r = decode(frame, &mut Levels::default(), &mut |_, _| called = true);
            assert!(r.is_none() && !called, "{}", String::from_utf8_lossy(frame));
        }
    }

    mutated_frames_read_alike!(FRAMES, read);
}
