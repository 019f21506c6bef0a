//! The first path: Binance's market-data frames in the key order its documentation gives
//! (<https://developers.binance.com/docs/binance-spot-api-docs/web-socket-streams>,
//! <https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams>),
//! read in one pass with [`Cursor`]. Keys the decoder does not use may follow the documented
//! ones. Anything else (another order, whitespace, a repeated key, escapes, a number the cursor
//! does not read) returns `None` and goes to the general scanner, which reads the same frame to
//! the same message.
//!
//! ```json
//! {"e":"trade","E":1,"s":"BNBBTC","t":12345,"p":"0.001","q":"100","T":1,"m":true,"M":true}
//! {"e":"aggTrade","E":1,"s":"BTCUSDT","a":5933014,"p":"0.001","q":"100","f":100,"l":105,"T":1,"m":true}
//! {"u":400900217,"s":"BNBUSDT","b":"25.35190000","B":"31.21000000","a":"25.36520000","A":"40.66000000"}
//! {"e":"bookTicker","u":400900217,"E":1,"T":1,"s":"BNBUSDT","b":"25.3519","B":"31.21","a":"25.3652","A":"40.66"}
//! {"e":"depthUpdate","E":1,"T":1,"s":"BTCUSDT","U":157,"u":160,"pu":149,"b":[["0.0024","10"]],"a":[]}
//! {"lastUpdateId":160,"bids":[["0.0024","10"]],"asks":[["0.0026","100"]]}
//! {"stream":"bnbbtc@depth20","data":{...}}
//! ```

use mdbus_feeder::{
    decode::{DepthMsg, Levels, Message, QuoteMsg, Side, TradeMsg},
    json::cursor::Cursor,
};

use super::{is_partial_depth, stream_symbol};

/// Every key the general scanner reads. Keys a venue adds after the documented ones are
/// skipped, as the scanner skips them, unless they are among these (a repeated key, whose last
/// value the scanner would take).
const READ: [&[u8]; 25] = [
    b"e",
    b"E",
    b"T",
    b"s",
    b"t",
    b"a",
    b"b",
    b"A",
    b"B",
    b"p",
    b"q",
    b"m",
    b"u",
    b"U",
    b"pu",
    b"k",
    b"lastUpdateId",
    b"bids",
    b"asks",
    b"result",
    b"id",
    b"code",
    b"msg",
    b"stream",
    b"data",
];

/// Reads `frame` if it is laid out as documented; `None` hands it to the general scanner.
/// Depth levels go to `levels` (left partly filled on `None`; the scanner clears them).
#[inline]
pub(super) fn decode<'a>(frame: &'a [u8], levels: &mut Levels) -> Option<Message<'a>> {
    levels.clear();
    let mut c = Cursor::new(frame);
    if c.eat(br#"{"stream":"#) {
        let stream = c.str()?;
        c.tag(br#","data":"#)?;
        let m = message(&mut c, Some(stream), levels)?;
        c.tag(b"}")?;
        return Some(m);
    }
    message(&mut c, None, levels)
}

/// One message object, from its `{` to its `}`.
#[inline(always)]
fn message<'a>(c: &mut Cursor<'a>, stream: Option<&'a str>, levels: &mut Levels) -> Option<Message<'a>> {
    if c.eat(br#"{"e":""#) {
        // The event type, each compared whole with its closing quote.
        return if c.eat(br#"depthUpdate""#) {
            depth(c, stream, levels)
        } else if c.eat(br#"bookTicker""#) {
            futures_quote(c)
        } else if c.eat(br#"trade""#) {
            trade(c, false)
        } else if c.eat(br#"aggTrade""#) {
            trade(c, true)
        } else {
            None
        };
    }
    if c.eat(br#"{"u":"#) {
        // The spot bookTicker: no event type, no times.
        let update_id = c.uint()?;
        return quote(c, update_id, None, None);
    }
    if c.eat(br#"{"lastUpdateId":"#) {
        let last_seq = c.uint()?;
        c.tag(br#","bids":"#)?;
        c.levels(&mut levels.bids)?;
        c.tag(br#","asks":"#)?;
        c.levels(&mut levels.asks)?;
        c.rest_of_object(&READ)?;
        return Some(Message::Depth(DepthMsg {
            symbol: stream.map(stream_symbol),
            symbol_from_stream: stream.is_some(),
            snapshot: true,
            partial: true,
            first_seq: None,
            last_seq,
            prev_seq: None,
            trade_ts_ms: None,
            event_ts_ms: None,
        }));
    }
    None
}

/// `trade` and `aggTrade`, after the event type.
#[inline(always)]
fn trade<'a>(c: &mut Cursor<'a>, aggregated: bool) -> Option<Message<'a>> {
    c.tag(br#","E":"#)?;
    let event_ts = c.uint()?;
    c.tag(br#","s":"#)?;
    let symbol = c.str()?;
    c.tag(if aggregated { br#","a":"# } else { br#","t":"# })?;
    let trade_id = c.uint()?;
    c.tag(br#","p":"#)?;
    let price = c.decimal()?;
    c.tag(br#","q":"#)?;
    let qty = c.decimal()?;
    if aggregated {
        // The first and last trade ids: read as the scanner reads unknown keys, not kept.
        c.tag(br#","f":"#)?;
        c.uint()?;
        c.tag(br#","l":"#)?;
        c.uint()?;
    }
    c.tag(br#","T":"#)?;
    let trade_ts = c.uint()?;
    c.tag(br#","m":"#)?;
    let buyer_is_maker = c.boolean()?;
    // Spot adds `M`, which nothing reads; USD-M does not.
    let _ = c.eat(br#","M":true"#) || c.eat(br#","M":false"#);
    c.rest_of_object(&READ)?;
    Some(Message::Trade(TradeMsg {
        symbol,
        trade_id,
        price,
        qty,
        side: if buyer_is_maker { Side::Sell } else { Side::Buy },
        trade_ts_ms: Some(trade_ts),
        event_ts_ms: Some(event_ts),
        aggregated,
        uuid: None,
        trade_ts_extra_ns: 0,
    }))
}

/// USD-M's `bookTicker`, after the event type.
#[inline(always)]
fn futures_quote<'a>(c: &mut Cursor<'a>) -> Option<Message<'a>> {
    c.tag(br#","u":"#)?;
    let update_id = c.uint()?;
    c.tag(br#","E":"#)?;
    let event_ts = c.uint()?;
    c.tag(br#","T":"#)?;
    let trade_ts = c.uint()?;
    quote(c, update_id, Some(trade_ts), Some(event_ts))
}

/// A bookTicker from its symbol on.
#[inline(always)]
fn quote<'a>(c: &mut Cursor<'a>, update_id: u64, trade_ts: Option<u64>, event_ts: Option<u64>) -> Option<Message<'a>> {
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
    c.rest_of_object(&READ)?;
    Some(Message::Quote(QuoteMsg {
        symbol,
        update_id,
        bid_price,
        bid_qty,
        ask_price,
        ask_qty,
        trade_ts_ms: trade_ts,
        event_ts_ms: event_ts,
    }))
}

/// `depthUpdate` (spot, or USD-M with `T` and `pu`), after the event type.
#[inline(always)]
fn depth<'a>(c: &mut Cursor<'a>, stream: Option<&'a str>, levels: &mut Levels) -> Option<Message<'a>> {
    c.tag(br#","E":"#)?;
    let event_ts = c.uint()?;
    let trade_ts = if c.eat(br#","T":"#) { Some(c.uint()?) } else { None };
    c.tag(br#","s":"#)?;
    let symbol = c.str()?;
    c.tag(br#","U":"#)?;
    let first_seq = c.uint()?;
    c.tag(br#","u":"#)?;
    let last_seq = c.uint()?;
    let prev_seq = if c.eat(br#","pu":"#) { Some(c.uint()?) } else { None };
    c.tag(br#","b":"#)?;
    c.levels(&mut levels.bids)?;
    c.tag(br#","a":"#)?;
    c.levels(&mut levels.asks)?;
    c.rest_of_object(&READ)?;
    let partial = stream.is_some_and(is_partial_depth);
    Some(Message::Depth(DepthMsg {
        symbol: Some(symbol),
        symbol_from_stream: false,
        snapshot: partial,
        partial,
        first_seq: Some(first_seq),
        last_seq,
        prev_seq,
        trade_ts_ms: trade_ts,
        event_ts_ms: Some(event_ts),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mutate::{Reading, agree, mutated_frames_read_alike};

    /// Documented frames and variants of them, each read by the first path.
    const FRAMES: [&[u8]; 12] = [
        br#"{"e":"aggTrade","E":123456789,"s":"BTCUSDT","a":5933014,"p":"0.001","q":"100","f":100,"l":105,"T":123456785,"m":true,"nq":"100","X":"MARKET","o":{"x":[1,2]}}"#,
        br#"{"e":"trade","E":1672515782136,"s":"BNBBTC","t":12345,"p":"0.001","q":"100","T":1672515782136,"m":true,"M":true}"#,
        br#"{"e":"aggTrade","E":123456789,"s":"BTCUSDT","a":5933014,"p":"0.001","q":"100","f":100,"l":105,"T":123456785,"m":false}"#,
        br#"{"e":"aggTrade","E":123456789,"s":"BNBBTC","a":12345,"p":"0.001","q":"100","f":100,"l":105,"T":123456785,"m":true,"M":true}"#,
        br#"{"u":400900217,"s":"BNBUSDT","b":"25.35190000","B":"31.21000000","a":"25.36520000","A":"40.66000000"}"#,
        br#"{"e":"bookTicker","u":400900217,"E":1568014460893,"T":1568014460891,"s":"BNBUSDT","b":"25.35190000","B":"31.21000000","a":"25.36520000","A":"40.66000000"}"#,
        br#"{"e":"depthUpdate","E":123456789,"T":123456788,"s":"BTCUSDT","U":157,"u":160,"pu":149,"b":[["0.0024","10"],["0.0023","1"]],"a":[["0.0026","100"]]}"#,
        br#"{"e":"depthUpdate","E":123456789,"s":"BNBBTC","U":157,"u":160,"b":[["0.0024","10"]],"a":[]}"#,
        br#"{"lastUpdateId":160,"bids":[["0.0024","10"]],"asks":[["0.0026","100"]]}"#,
        br#"{"stream":"bnbbtc@depth20@100ms","data":{"lastUpdateId":160,"bids":[["0.0024","10"]],"asks":[]}}"#,
        br#"{"stream":"btcusdt@depth20@100ms","data":{"e":"depthUpdate","E":1,"T":1,"s":"BTCUSDT","U":1,"u":2,"pu":0,"b":[],"a":[["1","2"]]}}"#,
        br#"{"stream":"bnbusdt@bookTicker","data":{"u":1,"s":"BNBUSDT","b":"-1.5","B":"0","a":"123456789012.345678","A":"00.10"}}"#,
    ];

    /// The documented frames and variants of them: wherever the first path reads a frame, the
    /// general scanner reads it to the same message and levels.
    fn read(frame: &[u8], ordered: bool) -> Option<Reading> {
        let mut levels = Levels::default();
        let m = if ordered {
            decode(frame, &mut levels)?
        } else {
            super::super::fast::decode_general(frame, &mut levels).ok().flatten()?
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
            &br#"{"s":"BNBUSDT","u":400900217,"b":"25.3519","B":"31.21","a":"25.3652","A":"40.66"}"#[..],
            br#"{"u":400900217, "s":"BNBUSDT","b":"25.3519","B":"31.21","a":"25.3652","A":"40.66"}"#,
            br#"{"u":400900217,"s":"BNB\u0055SDT","b":"25.3519","B":"31.21","a":"25.3652","A":"40.66"}"#,
            br#"{"u":400900217,"s":"BNBUSDT","b":"2.5e1","B":"31.21","a":"25.3652","A":"40.66"}"#,
            br#"{"u":400900217,"s":"BNBUSDT","b":"25.3519","B":"31.21","a":"25.3652","A":"40.66","b":"1"}"#,
            br#"{"e":"trade","E":1,"s":"BNBBTC","t":12345,"p":"0.001","q":"100","T":1,"m":1}"#,
            br#"{"e":"kline","E":1,"s":"BNBBTC","k":{}}"#,
            br#"{"u":400900217,"s":"BNBUSDT","b":"25.3519","B":"31.21","a":"25.3652","A":"40.66""#,
        ] {
            assert_eq!(decode(frame, &mut Levels::default()), None, "{}", String::from_utf8_lossy(frame));
        }
    }

    mutated_frames_read_alike!(FRAMES, read);
}
