//! Binance decoders against the documented sample payloads (spot and USD-M), with unknown
//! fields, reordered keys, combined streams, and the serde_json path as the reference.

// Test helpers outside #[test] functions panic on failure by design.
#![allow(clippy::unwrap_used)]

use mdbus_feeder::{DecodeError, Levels, Message, Side};
use mdbus_schemas::Decimal;
use mdbus_venues::binance;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// Decodes with the fast path (which must handle the frame) and with serde_json, and checks
/// both give the same message and levels.
fn both(frame: &str) -> (Message<'_>, Levels) {
    let mut fast_levels = Levels::default();
    let mut serde_levels = Levels::default();
    let fast = binance::decode_fast(frame.as_bytes(), &mut fast_levels).unwrap().expect("fast path handles it");
    let serde = binance::decode_serde(frame.as_bytes(), &mut serde_levels).unwrap();
    assert_eq!(fast, serde, "fast and serde_json paths disagree on {frame}");
    assert_eq!(fast_levels, serde_levels, "levels differ on {frame}");
    (fast, fast_levels)
}

const SPOT_TRADE: &str = r#"{"e":"trade","E":1672515782136,"s":"BNBBTC","t":12345,"p":"0.001","q":"100","T":1672515782136,"m":true,"M":true}"#;
const SPOT_AGG: &str = r#"{"e":"aggTrade","E":1672515782136,"s":"BNBBTC","a":12345,"p":"0.001","q":"100","f":100,"l":105,"T":1672515782136,"m":true,"M":true}"#;
const USDM_AGG: &str = r#"{"e":"aggTrade","E":123456789,"s":"BTCUSDT","a":5933014,"p":"0.001","q":"100","nq":"100","f":100,"l":105,"T":123456785,"m":false}"#;
const SPOT_BOOK_TICKER: &str =
    r#"{"u":400900217,"s":"BNBUSDT","b":"25.35190000","B":"31.21000000","a":"25.36520000","A":"40.66000000"}"#;
const USDM_BOOK_TICKER: &str = r#"{"e":"bookTicker","u":400900217,"E":1568014460893,"T":1568014460891,"s":"BNBUSDT","b":"25.35190000","B":"31.21000000","a":"25.36520000","A":"40.66000000"}"#;
const SPOT_DEPTH: &str = r#"{"e":"depthUpdate","E":1672515782136,"s":"BNBBTC","U":157,"u":160,"b":[["0.0024","10"]],"a":[["0.0026","100"]]}"#;
const USDM_DEPTH: &str = r#"{"e":"depthUpdate","E":123456789,"T":123456788,"s":"BTCUSDT","U":157,"u":160,"pu":149,"b":[["0.0024","10"]],"a":[["0.0026","100"]]}"#;
const SPOT_PARTIAL: &str = r#"{"lastUpdateId":160,"bids":[["0.0024","10"]],"asks":[["0.0026","100"]]}"#;
const KLINE: &str = r#"{"e":"kline","E":1672515782136,"s":"BNBBTC","k":{"t":1672515780000,"T":1672515839999,"s":"BNBBTC","i":"1m","f":100,"L":200,"o":"0.0010","c":"0.0020","h":"0.0025","l":"0.0015","v":"1000","n":100,"x":false,"q":"1.0000","V":"500","Q":"0.500","B":"123456"}}"#;
// The documented `<symbol>@ticker` payloads: spot's carries the best bid and offer, USD-M's not.
const SPOT_TICKER: &str = r#"{"e":"24hrTicker","E":1672515782136,"s":"BNBBTC","p":"0.0015","P":"250.00","w":"0.0018","x":"0.0009","c":"0.0025","Q":"10","b":"0.0024","B":"10","a":"0.0026","A":"100","o":"0.0010","h":"0.0025","l":"0.0010","v":"10000","q":"18","O":0,"C":86400000,"F":0,"L":18150,"n":18151}"#;
const USDM_TICKER: &str = r#"{"e":"24hrTicker","E":123456789,"s":"BTCUSDT","p":"0.0015","P":"250.00","w":"0.0018","c":"0.0025","Q":"10","o":"0.0010","h":"0.0025","l":"0.0010","v":"10000","q":"18","O":0,"C":86400000,"F":0,"L":18150,"n":18151}"#;

#[test]
fn tickers_spot_quote_their_top_and_usdm_is_ignored() {
    let (m, _) = both(SPOT_TICKER);
    let Message::Quote(q) = m else { panic!("{m:?}") };
    assert_eq!(q.symbol, "BNBBTC");
    assert_eq!((q.bid_price, q.bid_qty, q.ask_price, q.ask_qty), (d("0.0024"), d("10"), d("0.0026"), d("100")));
    assert_eq!(q.event_ts_ms, Some(1672515782136));
    let (m, _) = both(USDM_TICKER);
    assert_eq!(m, Message::Ignored);
    let combined = format!(r#"{{"stream":"bnbbtc@ticker","data":{SPOT_TICKER}}}"#);
    assert!(matches!(both(&combined).0, Message::Quote(_)));
}

#[test]
fn spot_trade() {
    let (m, _) = both(SPOT_TRADE);
    let Message::Trade(t) = m else { panic!("{m:?}") };
    assert_eq!((t.symbol, t.trade_id, t.side, t.aggregated), ("BNBBTC", 12345, Side::Sell, false));
    assert_eq!((t.price, t.qty), (d("0.001"), d("100")));
    assert_eq!((t.trade_ts_ms, t.event_ts_ms), (Some(1672515782136), Some(1672515782136)));
}

#[test]
fn agg_trades_spot_and_usdm() {
    let (m, _) = both(SPOT_AGG);
    let Message::Trade(t) = m else { panic!("{m:?}") };
    assert_eq!((t.trade_id, t.aggregated, t.side), (12345, true, Side::Sell));
    let (m, _) = both(USDM_AGG);
    let Message::Trade(t) = m else { panic!("{m:?}") };
    assert_eq!((t.symbol, t.trade_id, t.side, t.trade_ts_ms), ("BTCUSDT", 5933014, Side::Buy, Some(123456785)));
}

#[test]
fn book_tickers_spot_without_event_type_and_usdm_with_it() {
    for (frame, ts) in [(SPOT_BOOK_TICKER, None), (USDM_BOOK_TICKER, Some(1568014460891))] {
        let (m, _) = both(frame);
        let Message::Quote(q) = m else { panic!("{m:?}") };
        assert_eq!((q.symbol, q.update_id, q.trade_ts_ms), ("BNBUSDT", 400900217, ts));
        assert_eq!(q.bid_price.to_string(), "25.35190000");
        assert_eq!((q.bid_qty, q.ask_price, q.ask_qty), (d("31.21"), d("25.3652"), d("40.66")));
    }
}

#[test]
fn diff_depth_spot_and_usdm() {
    let (m, l) = both(SPOT_DEPTH);
    let Message::Depth(x) = m else { panic!("{m:?}") };
    assert_eq!(
        (x.symbol, x.first_seq, x.last_seq, x.prev_seq, x.snapshot),
        (Some("BNBBTC"), Some(157), 160, None, false)
    );
    assert_eq!(l.bids, vec![(d("0.0024"), d("10"))]);
    assert_eq!(l.asks, vec![(d("0.0026"), d("100"))]);
    let (m, _) = both(USDM_DEPTH);
    let Message::Depth(x) = m else { panic!("{m:?}") };
    assert_eq!((x.prev_seq, x.trade_ts_ms, x.event_ts_ms), (Some(149), Some(123456788), Some(123456789)));
}

#[test]
fn partial_depth_spot_and_usdm_through_combined_streams() {
    let (m, l) = both(SPOT_PARTIAL);
    let Message::Depth(x) = m else { panic!("{m:?}") };
    assert_eq!((x.symbol, x.snapshot, x.last_seq, x.first_seq), (None, true, 160, None));
    assert_eq!(l.asks.len(), 1);
    let combined = format!(r#"{{"stream":"bnbbtc@depth20@100ms","data":{SPOT_PARTIAL}}}"#);
    let (m, _) = both(&combined);
    let Message::Depth(x) = m else { panic!("{m:?}") };
    assert_eq!((x.symbol, x.symbol_from_stream, x.snapshot), (Some("bnbbtc"), true, true));
    let usdm = format!(r#"{{"stream":"btcusdt@depth5@100ms","data":{USDM_DEPTH}}}"#);
    let (m, _) = both(&usdm);
    let Message::Depth(x) = m else { panic!("{m:?}") };
    assert!(x.snapshot, "a USD-M partial depth stream sends depthUpdate-shaped snapshots");
    let diff = format!(r#"{{"data":{USDM_DEPTH},"stream":"btcusdt@depth@100ms"}}"#);
    let (m, _) = both(&diff);
    assert!(matches!(m, Message::Depth(x) if !x.snapshot));
}

#[test]
fn kline() {
    let (m, _) = both(KLINE);
    let Message::Bar(b) = m else { panic!("{m:?}") };
    assert_eq!(
        (b.symbol, b.interval, b.open_ts_ms, b.close_ts_ms, b.trades, b.closed),
        ("BNBBTC", "1m", 1672515780000, 1672515839999, 100, false)
    );
    assert_eq!((b.open, b.high, b.low, b.close), (d("0.0010"), d("0.0025"), d("0.0015"), d("0.0020")));
    assert_eq!((b.volume, b.quote_volume), (d("1000"), d("1.0000")));
}

#[test]
fn acks_errors_and_other_streams() {
    assert_eq!(both(r#"{"result":null,"id":1}"#).0, Message::Ack { id: "1" });
    assert_eq!(both(r#"{"id":"abc","result":null}"#).0, Message::Ack { id: "abc" });
    assert_eq!(
        both(r#"{"code":2,"msg":"Invalid request: too many parameters","id":7}"#).0,
        Message::Error { code: 2, msg: "Invalid request: too many parameters", id: "7" }
    );
    assert_eq!(both(r#"{"e":"24hrMiniTicker","E":1,"s":"BNBBTC","c":"1"}"#).0, Message::Ignored);
}

#[test]
fn unknown_fields_and_any_key_order() {
    let reordered = r#"{"A":"40.66000000","a":"25.36520000","B":"31.21000000","b":"25.35190000","s":"BNBUSDT","u":400900217,"x":{"deep":[1,{"y":"}"}]},"new":"field"}"#;
    let (m, _) = both(reordered);
    assert!(matches!(m, Message::Quote(q) if q.update_id == 400900217 && q.bid_price == d("25.3519")));
    let spaced = " {\n \"m\" : false , \"T\":5, \"q\" : \"1e-2\", \"p\":\"1.3700544510935929e+26\",\"t\":9,\"s\":\"X\",\"e\":\"trade\",\"zz\":null } ";
    let (m, _) = both(spaced);
    let Message::Trade(t) = m else { panic!("{m:?}") };
    assert_eq!((t.price.to_string().as_str(), t.qty, t.side), ("137005445109359290000000000", d("0.01"), Side::Buy));
}

#[test]
fn numbers_may_arrive_as_json_numbers() {
    let (m, _) = both(r#"{"e":"trade","s":"X","t":1,"p":0.5,"q":2,"T":3,"m":true}"#);
    assert!(matches!(m, Message::Trade(t) if t.price == d("0.5") && t.qty == d("2")));
}

#[test]
fn escaped_strings_go_through_serde_json_with_the_same_result() {
    let frame = r#"{"e":"trade","E":1,"s":"BNBBTC","t":12345,"p":"0.001","q":"100","T":1,"m":true,"note":"a\"b"}"#;
    let mut levels = Levels::default();
    assert_eq!(binance::decode_fast(frame.as_bytes(), &mut levels).unwrap(), None);
    let m = binance::decode(frame.as_bytes(), &mut levels).unwrap();
    assert!(matches!(m, Message::Trade(t) if t.trade_id == 12345));
}

#[test]
fn bad_frames_get_typed_errors() {
    let mut l = Levels::default();
    type Check = fn(&DecodeError) -> bool;
    let cases: &[(&str, Check)] = &[
        ("", |e| matches!(e, DecodeError::Malformed { .. })),
        ("not json", |e| matches!(e, DecodeError::Malformed { .. })),
        (r#"{"e":"trade","s":"X","t":1,"p":"0.5","q":"2""#, |e| matches!(e, DecodeError::Malformed { .. })),
        (r#"{"e":"trade","s":"X","t":1,"q":"2","m":true}"#, |e| {
            matches!(e, DecodeError::MissingField { .. } | DecodeError::Malformed { .. })
        }),
        (r#"{"e":"trade","s":"X","t":1,"p":"abc","q":"2","m":true}"#, |e| matches!(e, DecodeError::BadField { .. })),
        (r#"{"e":"depthUpdate","s":"X","U":1,"u":2,"b":[["1"]],"a":[]}"#, |e| {
            matches!(e, DecodeError::BadField { .. } | DecodeError::Malformed { .. })
        }),
        (r#"{"hello":"world"}"#, |e| matches!(e, DecodeError::Unrecognized)),
        (r#"[1,2,3]"#, |e| matches!(e, DecodeError::Malformed { .. } | DecodeError::Unrecognized)),
    ];
    for (frame, ok) in cases {
        let err = binance::decode(frame.as_bytes(), &mut l).unwrap_err();
        assert!(ok(&err), "{frame:?} gave {err:?}");
        assert!(!err.to_string().is_empty());
    }
}

#[test]
fn depth_levels_buffer_is_reused() {
    let mut l = Levels::default();
    let big = format!(
        r#"{{"e":"depthUpdate","E":1,"s":"X","U":1,"u":2,"b":[{}],"a":[]}}"#,
        (0..50).map(|i| format!(r#"["{i}.5","1"]"#)).collect::<Vec<_>>().join(",")
    );
    binance::decode(big.as_bytes(), &mut l).unwrap();
    assert_eq!(l.bids.len(), 50);
    let cap = l.bids.capacity();
    binance::decode(SPOT_DEPTH.as_bytes(), &mut l).unwrap();
    assert_eq!((l.bids.len(), l.bids.capacity()), (1, cap));
}
