//! The first path, after inflating: HTX's `trade.detail` (one trade), `bbo` and `mbp` pushes
//! in the key order of its documentation (<https://www.htx.com/en-us/opend/newApiPages/>), read
//! in one pass with [`Cursor`]. Numbers the cursor does not read (exponent form, more than 18
//! digits) are skipped where the decoder does not use them and hand the frame on where it
//! does. Keys the decoder does not use may follow the documented ones. Anything else returns
//! `None` before a message is handed out, and the general scanner ([`super::market::decode`])
//! reads the frame to the same messages.
//!
//! ```json
//! {"ch":"market.btcusdt.trade.detail","ts":1630994963175,"tick":{"id":137005445109,"ts":1630994963173,
//!  "data":[{"id":137005445109359286410323766,"ts":1630994963173,"tradeId":102523573486,"amount":0.006754,
//!  "price":52648.62,"direction":"buy"}]}}
//! {"ch":"market.btcusdt.mbp.150","ts":1573199608679,"tick":{"seqNum":100020146795,"prevSeqNum":100020146794,
//!  "bids":[[618.37,0.0]],"asks":[[632.18,1.1]]}}
//! {"ch":"market.btcusdt.bbo","ts":1630994555540,"tick":{"seqId":136998202000,"ask":52650.0,"askSize":0.1,
//!  "bid":52649.99,"bidSize":0.03,"quoteTime":1630994555539,"symbol":"btcusdt"}}
//! ```

use mdbus_feeder::{
    decode::{DepthMsg, Levels, Message, QuoteMsg, Side, TradeMsg},
    json::cursor::Cursor,
};

use super::market::Control;

/// Reads the inflated `frame` if it is laid out as documented, handing its message to `out`;
/// `None` (nothing handed out) sends it to the general scanner.
#[inline]
pub(super) fn decode<'a>(
    frame: &'a [u8],
    levels: &mut Levels,
    out: &mut dyn FnMut(Message<'a>, &Levels),
) -> Option<Control> {
    levels.clear();
    let mut c = Cursor::new(frame);
    c.tag(br#"{"ch":"#)?;
    // `market.$symbol.$kind...`, read as the scanner splits it.
    let mut ch = Cursor::new(c.string()?);
    ch_part(&mut ch)?;
    let symbol = std::str::from_utf8(ch_part(&mut ch)?).ok()?;
    let kind = ch_part(&mut ch)?;
    c.tag(br#","ts":"#)?;
    let ts = c.uint()?;
    c.tag(br#","tick":"#)?;
    let msg = match kind {
        b"trade" => trade(&mut c, symbol, ts)?,
        b"bbo" => bbo(&mut c, symbol, ts)?,
        b"mbp" => {
            let refresh = ch_part(&mut ch) == Some(b"refresh");
            book(&mut c, symbol, refresh, ts, levels)?
        }
        _ => return None,
    };
    c.tag(b"}")?;
    out(msg, levels);
    Some(Control::Data(1))
}

/// The next dot-separated part of a channel name.
#[inline(always)]
fn ch_part<'a>(ch: &mut Cursor<'a>) -> Option<&'a [u8]> {
    ch.part(b'.')
}

#[inline(always)]
fn trade<'a>(c: &mut Cursor<'a>, symbol: &'a str, ts: u64) -> Option<Message<'a>> {
    c.tag(br#"{"id":"#)?;
    c.uint()?;
    c.tag(br#","ts":"#)?;
    c.uint()?;
    c.tag(br#","data":[{"id":"#)?;
    // The trade's own id: a number of 27 digits or more, sometimes in exponent form; unused.
    c.skip_value()?;
    c.tag(br#","ts":"#)?;
    let trade_ts = c.uint()?;
    c.tag(br#","tradeId":"#)?;
    let trade_id = c.uint()?;
    c.tag(br#","amount":"#)?;
    let qty = c.number()?;
    c.tag(br#","price":"#)?;
    let price = c.number()?;
    c.tag(br#","direction":"#)?;
    let side = match c.string()? {
        b"buy" => Side::Buy,
        b"sell" => Side::Sell,
        _ => return None,
    };
    c.rest_of_object(&[b"tradeId", b"ts", b"amount", b"price", b"direction"])?;
    c.tag(b"]}")?;
    Some(Message::Trade(TradeMsg {
        symbol,
        trade_id,
        price,
        qty,
        side,
        trade_ts_ms: Some(trade_ts),
        event_ts_ms: Some(ts),
        aggregated: false,
        uuid: None,
        trade_ts_extra_ns: 0,
    }))
}

#[inline(always)]
fn bbo<'a>(c: &mut Cursor<'a>, symbol: &'a str, ts: u64) -> Option<Message<'a>> {
    c.tag(br#"{"seqId":"#)?;
    let update_id = c.uint()?;
    c.tag(br#","ask":"#)?;
    let ask_price = c.number()?;
    c.tag(br#","askSize":"#)?;
    let ask_qty = c.number()?;
    c.tag(br#","bid":"#)?;
    let bid_price = c.number()?;
    c.tag(br#","bidSize":"#)?;
    let bid_qty = c.number()?;
    c.tag(br#","quoteTime":"#)?;
    let quote_time = c.uint()?;
    c.rest_of_object(&[b"seqId", b"ask", b"askSize", b"bid", b"bidSize", b"quoteTime"])?;
    Some(Message::Quote(QuoteMsg {
        symbol,
        update_id,
        bid_price,
        bid_qty,
        ask_price,
        ask_qty,
        trade_ts_ms: Some(quote_time),
        event_ts_ms: Some(ts),
    }))
}

/// `mbp.$n` (incremental, with `prevSeqNum`) or `mbp.refresh.$n` (the top `$n` in full).
#[inline(always)]
fn book<'a>(c: &mut Cursor<'a>, symbol: &'a str, refresh: bool, ts: u64, levels: &mut Levels) -> Option<Message<'a>> {
    c.tag(br#"{"seqNum":"#)?;
    let last_seq = c.uint()?;
    let prev_seq = if c.eat(br#","prevSeqNum":"#) { Some(c.uint()?) } else { None };
    c.tag(br#","bids":"#)?;
    c.number_levels(&mut levels.bids)?;
    c.tag(br#","asks":"#)?;
    c.number_levels(&mut levels.asks)?;
    c.rest_of_object(&[b"seqNum", b"prevSeqNum", b"version", b"bids", b"asks"])?;
    Some(Message::Depth(DepthMsg {
        symbol: Some(symbol),
        symbol_from_stream: true,
        snapshot: refresh,
        partial: refresh,
        first_seq: None,
        last_seq,
        prev_seq,
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
        br#"{"ch":"market.btcusdt.mbp.150","ts":1,"tick":{"seqNum":2,"prevSeqNum":1,"bids":[],"asks":[[632.18,1.1]],"x":{"y":[1]}}}"#,
        br#"{"ch":"market.btcusdt.trade.detail","ts":1630994963175,"tick":{"id":137005445109,"ts":1630994963173,"data":[{"id":137005445109359286410323766,"ts":1630994963173,"tradeId":102523573486,"amount":0.006754,"price":52648.62,"direction":"buy"}]}}"#,
        br#"{"ch":"market.btcusdt.trade.detail","ts":1,"tick":{"id":1,"ts":1,"data":[{"id":1.3700544510935929e+26,"ts":2,"tradeId":3,"amount":1,"price":0.5,"direction":"sell"}]}}"#,
        br#"{"ch":"market.btcusdt.mbp.150","ts":1573199608679,"tick":{"seqNum":100020146795,"prevSeqNum":100020146794,"bids":[[618.37,0.0],[618.36,1]],"asks":[[632.18,1.1]]}}"#,
        br#"{"ch":"market.btcusdt.mbp.refresh.20","ts":1573199608679,"tick":{"seqNum":100020146795,"bids":[[618.37,2]],"asks":[]}}"#,
        br#"{"ch":"market.btcusdt.bbo","ts":1630994555540,"tick":{"seqId":136998202000,"ask":52650.0,"askSize":0.1,"bid":52649.99,"bidSize":0.03,"quoteTime":1630994555539,"symbol":"btcusdt"}}"#,
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
            &br#"{"ping":1492420473027}"#[..],
            br#"{"ch":"market.btcusdt.trade.detail","ts":1,"tick":{"id":1,"ts":1,"data":[{"id":1,"ts":2,"tradeId":3,"amount":1,"price":0.5,"direction":"sell"},{"id":2,"ts":2,"tradeId":4,"amount":1,"price":0.5,"direction":"sell"}]}}"#,
            br#"{"ch":"market.btcusdt.bbo","ts":1,"tick":{"seqId":1,"ask":5.265e4,"askSize":0.1,"bid":1,"bidSize":1,"quoteTime":1}}"#,
            br#"{"ch":"market.btcusdt.kline.1min","ts":1,"tick":{"id":1,"open":1,"close":1,"low":1,"high":1,"amount":1,"vol":1,"count":1}}"#,
            br#"{"id":"s","rep":"market.btcusdt.mbp.150","status":"ok","ts":1,"data":{"seqNum":10,"bids":[],"asks":[]}}"#,
        ] {
            let mut called = false;
            let r = decode(frame, &mut Levels::default(), &mut |_, _| called = true);
            assert!(r.is_none() && !called, "{}", String::from_utf8_lossy(frame));
        }
    }

    mutated_frames_read_alike!(FRAMES, read);
}
