//! The first path: OKX's public pushes with one item, in the key order of its documentation
//! (<https://www.okx.com/docs-v5/en/#order-book-trading-market-data-ws>), read in one pass with
//! [`Cursor`]. Keys the decoder does not use may follow the documented ones. Anything else
//! returns `None` before a message is handed out, and the general scanner
//! ([`super::market::decode`]) reads the frame to the same messages.
//!
//! ```json
//! {"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT","tradeId":"130639474",
//!  "px":"42219.9","sz":"0.12060306","side":"buy","ts":"1630048897897","count":"3"}]}
//! {"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{"asks":[["8476.98","415",
//!  "0","13"]],"bids":[["8476.97","256","0","12"]],"ts":"1597026383085","checksum":-855196043,
//!  "prevSeqId":123,"seqId":124}]}
//! {"arg":{"channel":"bbo-tbt","instId":"BCH-USDT-SWAP"},"data":[{"asks":[["111.06","55154","0","2"]],
//!  "bids":[["111.05","57745","0","2"]],"ts":"1670324386802","seqId":363996337}]}
//! ```

use mdbus_feeder::{
    decode::{DepthMsg, Levels, Message, QuoteMsg, Side, TradeMsg},
    json::cursor::Cursor,
};

/// Reads `frame` if it is a one-item push laid out as documented, handing its message to `out`;
/// `None` (nothing handed out) sends it to the general scanner.
#[inline]
pub(super) fn decode<'a>(
    frame: &'a [u8],
    levels: &mut Levels,
    out: &mut dyn FnMut(Message<'a>, &Levels),
) -> Option<usize> {
    levels.clear();
    let mut c = Cursor::new(frame);
    c.tag(br#"{"arg":{"channel":"#)?;
    let channel = c.string()?;
    c.tag(br#","instId":"#)?;
    let inst = c.str()?;
    c.tag(b"}")?;
    let action = if c.eat(br#","action":"#) { Some(c.string()?) } else { None };
    c.tag(br#","data":["#)?;
    let msg = match channel {
        b"trades" | b"trades-all" => trade(&mut c, inst)?,
        b"bbo-tbt" => bbo(&mut c, inst, levels)?,
        b"books" | b"books5" | b"books-l2-tbt" | b"books50-l2-tbt" => {
            let partial = channel == b"books5";
            book(&mut c, inst, (partial || action == Some(b"snapshot"), partial), levels)?
        }
        _ => return None,
    };
    c.tag(b"]}")?;
    out(msg, levels);
    Some(1)
}

#[inline(always)]
fn trade<'a>(c: &mut Cursor<'a>, arg_inst: &'a str) -> Option<Message<'a>> {
    // The item's own `instId` wins over the argument's, as the scanner reads it.
    let inst = if c.eat(br#"{"instId":"#) { Some(c.str()?) } else { None };
    c.tag(if inst.is_some() { br#","tradeId":"# } else { br#"{"tradeId":"# })?;
    let trade_id = c.quoted_uint()?;
    c.tag(br#","px":"#)?;
    let price = c.decimal()?;
    c.tag(br#","sz":"#)?;
    let qty = c.decimal()?;
    c.tag(br#","side":"#)?;
    let side = match c.string()? {
        b"buy" => Side::Buy,
        b"sell" => Side::Sell,
        _ => return None,
    };
    c.tag(br#","ts":"#)?;
    let ts = c.quoted_uint()?;
    let count = if c.eat(br#","count":"#) { c.quoted_uint()? } else { 1 };
    c.rest_of_object(&[b"instId", b"tradeId", b"px", b"sz", b"side", b"ts", b"count"])?;
    Some(Message::Trade(TradeMsg {
        symbol: inst.unwrap_or(arg_inst),
        trade_id,
        price,
        qty,
        side,
        trade_ts_ms: Some(ts),
        event_ts_ms: Some(ts),
        aggregated: count > 1,
        uuid: None,
        trade_ts_extra_ns: 0,
    }))
}

/// The keys of a book item the general scanner reads.
const BOOK_KEYS: [&[u8]; 6] = [b"asks", b"bids", b"ts", b"seqId", b"prevSeqId", b"instId"];

/// `asks`, `bids`, `ts` of a book item; the levels into `levels`.
#[inline(always)]
fn sides(c: &mut Cursor<'_>, levels: &mut Levels) -> Option<u64> {
    c.tag(br#"{"asks":"#)?;
    c.levels(&mut levels.asks)?;
    c.tag(br#","bids":"#)?;
    c.levels(&mut levels.bids)?;
    c.tag(br#","ts":"#)?;
    c.quoted_uint()
}

#[inline(always)]
fn book<'a>(
    c: &mut Cursor<'a>,
    inst: &'a str,
    (snapshot, partial): (bool, bool),
    levels: &mut Levels,
) -> Option<Message<'a>> {
    let ts = sides(c, levels)?;
    // `books5` has no checksum or sequence numbers; the others have all three.
    let (mut seq, mut prev) = (None, -1);
    if c.eat(br#","checksum":"#) {
        c.int()?;
        c.tag(br#","prevSeqId":"#)?;
        prev = c.int()?;
        c.tag(br#","seqId":"#)?;
        seq = Some(c.int()?);
    }
    c.rest_of_object(&BOOK_KEYS)?;
    Some(Message::Depth(DepthMsg {
        symbol: Some(inst),
        symbol_from_stream: false,
        snapshot,
        partial,
        first_seq: None,
        last_seq: seq.map_or(0, |s: i64| s.max(0) as u64),
        prev_seq: (prev >= 0).then_some(prev as u64),
        trade_ts_ms: None,
        event_ts_ms: Some(ts),
    }))
}

#[inline(always)]
fn bbo<'a>(c: &mut Cursor<'a>, inst: &'a str, levels: &mut Levels) -> Option<Message<'a>> {
    let ts = sides(c, levels)?;
    c.tag(br#","seqId":"#)?;
    let seq = c.int()?;
    c.rest_of_object(&BOOK_KEYS)?;
    let (&(bid_price, bid_qty), &(ask_price, ask_qty)) = (levels.bids.first()?, levels.asks.first()?);
    levels.clear();
    Some(Message::Quote(QuoteMsg {
        symbol: inst,
        update_id: seq.max(0) as u64,
        bid_price,
        bid_qty,
        ask_price,
        ask_qty,
        trade_ts_ms: Some(ts),
        event_ts_ms: Some(ts),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mutate::{Reading, agree, mutated_frames_read_alike, reading};

    /// Documented frames and variants of them, each read by the first path.
    const FRAMES: [&[u8]; 7] = [
        br#"{"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT","tradeId":"1","px":"42219.9","sz":"0.1","side":"buy","ts":"1630048897897","count":"1","source":"0","seqId":5}]}"#,
        br#"{"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT","tradeId":"130639474","px":"42219.9","sz":"0.12060306","side":"buy","ts":"1630048897897","count":"3"}]}"#,
        br#"{"arg":{"channel":"trades","instId":"BTC-USD-231229-35000-C"},"data":[{"instId":"BTC-USD-231229-35000-C","tradeId":"4","px":"0.1525","sz":"21","side":"sell","ts":"1681473269025"}]}"#,
        br#"{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"snapshot","data":[{"asks":[["8476.98","415","0","13"],["8477","7","0","2"]],"bids":[["8476.97","256","0","12"]],"ts":"1597026383085","checksum":-855196043,"prevSeqId":-1,"seqId":123456}]}"#,
        br#"{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{"asks":[],"bids":[["8476.97","0","0","0"]],"ts":"1597026383085","checksum":1,"prevSeqId":123456,"seqId":123457}]}"#,
        br#"{"arg":{"channel":"books5","instId":"BTC-USDT"},"data":[{"asks":[["8476.98","415","0","13"]],"bids":[["8476.97","256","0","12"]],"ts":"1597026383085"}]}"#,
        br#"{"arg":{"channel":"bbo-tbt","instId":"BCH-USDT-SWAP"},"data":[{"asks":[["111.06","55154","0","2"]],"bids":[["111.05","57745","0","2"]],"ts":"1670324386802","seqId":363996337}]}"#,
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
            // Two trades in one push, a key out of order, an extra key, an event, whitespace.
            &br#"{"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT","tradeId":"1","px":"1","sz":"1","side":"buy","ts":"1"},{"instId":"BTC-USDT","tradeId":"2","px":"1","sz":"1","side":"buy","ts":"1"}]}"#[..],
            br#"{"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"tradeId":"1","instId":"BTC-USDT","px":"1","sz":"1","side":"buy","ts":"1"}]}"#,
            br#"{"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT","tradeId":"1","px":"1","sz":"1","side":"buy","ts":"1","px":"2"}]}"#,
            br#"{"arg":{"channel":"bbo-tbt","instId":"BCH-USDT-SWAP"},"data":[{"asks":[],"bids":[["111.05","57745","0","2"]],"ts":"1","seqId":3}]}"#,
            br#"{"event":"subscribe","arg":{"channel":"trades","instId":"BTC-USDT"}}"#,
            br#" {"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[]}"#,
            b"pong",
        ] {
            let mut called = false;
            let r = decode(frame, &mut Levels::default(), &mut |_, _| called = true);
            assert!(r.is_none() && !called, "{}", String::from_utf8_lossy(frame));
        }
    }

    mutated_frames_read_alike!(FRAMES, read);
}
