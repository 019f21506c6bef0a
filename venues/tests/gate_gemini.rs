//! Gate.io v4 spot and Gemini v2: documented samples, key order, errors, fuzzing.

#![allow(clippy::unwrap_used)]

use mdbus_feeder::{DecodeError, Levels, Message};
use mdbus_venues::{gate, gemini};
use proptest::prelude::*;

fn show(m: Message<'_>, l: &Levels) -> String {
    match m {
        Message::Trade(t) => format!(
            "trade {} {} {} {} {:?} {:?}+{}ns",
            t.symbol, t.trade_id, t.price, t.qty, t.side, t.trade_ts_ms, t.trade_ts_extra_ns
        ),
        Message::Quote(q) => {
            format!("quote {} {} {}x{} {}x{}", q.symbol, q.update_id, q.bid_price, q.bid_qty, q.ask_price, q.ask_qty)
        }
        Message::Depth(d) => format!(
            "depth {} snap={} {:?}..{} bids={:?} asks={:?}",
            d.symbol.unwrap_or("?"),
            d.snapshot,
            d.first_seq,
            d.last_seq,
            l.bids.iter().map(|(p, q)| format!("{p}@{q}")).collect::<Vec<_>>(),
            l.asks.iter().map(|(p, q)| format!("{p}@{q}")).collect::<Vec<_>>()
        ),
        Message::Bar(b) => format!(
            "bar {} {} {}..{} o{} c{} v{} qv{} closed={}",
            b.symbol, b.interval, b.open_ts_ms, b.close_ts_ms, b.open, b.close, b.volume, b.quote_volume, b.closed
        ),
        Message::Ack { id } => format!("ack {id}"),
        Message::Error { code, msg, id } => format!("error {code} {msg} {id}"),
        Message::Ignored => "ignored".into(),
        other => format!("{other:?}"),
    }
}

fn gate(frame: &str) -> Result<String, DecodeError> {
    let mut l = Levels::default();
    let m = gate::market::decode(frame.as_bytes(), &mut l)?;
    Ok(show(m, &l))
}

fn gemini(frame: &str, first: bool) -> Result<Vec<String>, DecodeError> {
    let mut l = Levels::default();
    let mut out = Vec::new();
    gemini::market::decode(frame.as_bytes(), first, &mut l, &mut |m, l| out.push(show(m, l)))?;
    Ok(out)
}

#[test]
fn gate_channels() {
    assert_eq!(
        gate(r#"{"time":1606292218,"time_ms":1606292218231,"channel":"spot.trades","event":"update","result":{"id":309143071,"create_time":1606292218,"create_time_ms":"1606292218213.4578","side":"sell","currency_pair":"GT_USDT","amount":"16.4700000000","price":"0.4705000000","range":"2390902-2390902"}}"#).unwrap(),
        "trade GT_USDT 309143071 0.4705000000 16.4700000000 Sell Some(1606292218213)+457800ns",
        "the fraction of a millisecond is kept"
    );
    // A time finer than a nanosecond cannot be kept exactly: a bad field, not a rounding.
    assert!(matches!(
        gate(
            r#"{"time":1,"time_ms":1,"channel":"spot.trades","event":"update","result":{"id":1,"create_time_ms":"1606292218213.4578123456","side":"sell","currency_pair":"GT_USDT","amount":"1","price":"1"}}"#
        ),
        Err(DecodeError::BadField { field: "create_time_ms", .. })
    ));
    assert_eq!(
        gate(r#"{"time":1606293275,"time_ms":1606293275723,"channel":"spot.book_ticker","event":"update","result":{"t":1606293275123,"u":48733182,"s":"BTC_USDT","b":"19177.79","B":"0.0003341504","a":"19179.38","A":"0.09"}}"#).unwrap(),
        "quote BTC_USDT 48733182 19177.79x0.0003341504 19179.38x0.09"
    );
    assert_eq!(
        gate(r#"{"time":1606294781,"time_ms":1606294781236,"channel":"spot.order_book_update","event":"update","result":{"t":1606294781123,"e":"depthUpdate","E":1606294781,"s":"BTC_USDT","U":48776301,"u":48776306,"b":[["19137.74","0.0001"],["19088.37","0"]],"a":[["19137.75","0.6135"]]}}"#).unwrap(),
        r#"depth BTC_USDT snap=false Some(48776301)..48776306 bids=["19137.74@0.0001", "19088.37@0"] asks=["19137.75@0.6135"]"#
    );
    assert_eq!(
        gate(r#"{"result":{"t":1606295412123,"lastUpdateId":48791820,"s":"BTC_USDT","bids":[["19079.55","0.0195"]],"asks":[["19080.24","0.1638"]]},"time":1606295412,"channel":"spot.order_book","event":"update"}"#).unwrap(),
        r#"depth BTC_USDT snap=true None..48791820 bids=["19079.55@0.0195"] asks=["19080.24@0.1638"]"#
    );
    assert_eq!(
        gate(r#"{"time":1606292600,"time_ms":1606292600376,"channel":"spot.candlesticks","event":"update","result":{"t":"1606292580","v":"2362.32035","c":"19128.1","h":"19128.1","l":"19128.1","o":"19128.1","n":"1m_BTC_USDT","a":"3.8283","w":true}}"#).unwrap(),
        "bar BTC_USDT 1m 1606292580000..1606292639999 o19128.1 c19128.1 v3.8283 qv2362.32035 closed=true"
    );
    assert_eq!(gate(r#"{"time":1,"time_ms":1,"id":123,"channel":"spot.trades","event":"subscribe","result":{"status":"success"}}"#).unwrap(), "ack 123");
    assert_eq!(
        gate(r#"{"time":1,"id":9,"channel":"spot.trades","event":"subscribe","error":{"code":2,"message":"unknown currency pair: GT_USDX"},"result":null}"#).unwrap(),
        "error 2 unknown currency pair: GT_USDX 9"
    );
    assert_eq!(gate(r#"{"time":1,"time_ms":1,"channel":"spot.pong","event":"","result":null}"#).unwrap(), "ignored");
    assert!(matches!(
        gate(
            r#"{"time":1,"channel":"spot.trades","event":"update","result":{"id":1,"side":"up","currency_pair":"X","amount":"1","price":"1"}}"#
        ),
        Err(DecodeError::BadField { field: "side", .. })
    ));
}

/// `spot.obu` (order book v2), from Gate's announcement of the channel: the first push after a
/// subscribe is the full book (`"full": true`, its id in `u`); incremental pushes have no
/// `full` and carry `U`/`u`; the subscribe reply and the duplicate-subscription error.
#[test]
fn gate_order_book_v2() {
    assert_eq!(
        gate(r#"{"channel":"spot.obu","result":{"t":1748572394325,"full":true,"s":"ob.BTC_USDT.50","u":28606981,"b":[["105958.9","0.00908"],["105953.2","0.02426"]],"a":[["105959","0.50014"]]}}"#).unwrap(),
        r#"depth BTC_USDT snap=true None..28606981 bids=["105958.9@0.00908", "105953.2@0.02426"] asks=["105959@0.50014"]"#,
        "a full push replaces the book as of u"
    );
    assert_eq!(
        gate(r#"{"channel":"spot.obu","result":{"t":1748572394345,"s":"ob.BTC_USDT.50","U":28606982,"u":28606983,"b":[["105953.2","0"]],"a":[["105960.1","0.2"]]}}"#).unwrap(),
        r#"depth BTC_USDT snap=false Some(28606982)..28606983 bids=["105953.2@0"] asks=["105960.1@0.2"]"#,
        "an incremental push spans U..=u"
    );
    // An incremental push may leave out a side that did not change.
    assert_eq!(
        gate(r#"{"channel":"spot.obu","result":{"t":1,"s":"ob.ETH_USDT.400","U":7,"u":7,"a":[["2500.1","1"]]}}"#)
            .unwrap(),
        r#"depth ETH_USDT snap=false Some(7)..7 bids=[] asks=["2500.1@1"]"#
    );
    assert_eq!(
        gate(r#"{"time":1748572394,"time_ms":1748572394271,"conn_id":"b61f70b2e6bcca91","trace_id":"d2e2d92c3a7eabc3d5be52514ef508d2","channel":"spot.obu","event":"subscribe","payload":["ob.BTC_USDT.50"],"result":{"status":"success"},"requestId":"d2e2d92c3a7eabc3d5be52514ef508d2"}"#).unwrap(),
        "ack "
    );
    assert_eq!(
        gate(r#"{"time":1,"id":4,"channel":"spot.obu","event":"subscribe","error":{"code":2,"message":"Alert sub ob.BTC_USDT.50"}}"#).unwrap(),
        "error 2 Alert sub ob.BTC_USDT.50 4"
    );
    // An incremental push without its first id, or a stream name that is not `ob.{pair}.{n}`.
    assert!(matches!(
        gate(r#"{"channel":"spot.obu","result":{"t":1,"s":"ob.BTC_USDT.50","u":9,"b":[]}}"#),
        Err(DecodeError::MissingField { field: "U", .. })
    ));
    assert!(matches!(
        gate(r#"{"channel":"spot.obu","result":{"t":1,"full":true,"s":"BTC_USDT","u":9}}"#),
        Err(DecodeError::BadField { field: "s", .. })
    ));
    assert!(matches!(
        gate(r#"{"channel":"spot.obu","result":{"t":1,"full":"yes","s":"ob.BTC_USDT.50","u":9}}"#),
        Err(DecodeError::BadField { field: "full", .. })
    ));
    assert_eq!(gate::market::obu_pair("ob.BTC_USDT.400"), Some("BTC_USDT"));
    assert_eq!(gate::market::obu_pair("ob.BTC_USDT."), None);
}

#[test]
fn gemini_l2_trades_candles() {
    let first = r#"{"type":"l2_updates","symbol":"BTCUSD","changes":[["buy","9122.04","0.00121425"],["sell","9122.07","0.98942292"]],"trades":[{"type":"trade","symbol":"BTCUSD","event_id":169841458,"timestamp":1560976400428,"price":"9122.04","quantity":"0.0073173","side":"sell"}]}"#;
    assert_eq!(
        gemini(first, true).unwrap(),
        [
            r#"depth BTCUSD snap=true None..0 bids=["9122.04@0.00121425"] asks=["9122.07@0.98942292"]"#.to_owned(),
            "trade BTCUSD 169841458 9122.04 0.0073173 Sell Some(1560976400428)+0ns".to_owned()
        ]
    );
    let next = r#"{"type":"l2_updates","symbol":"BTCUSD","changes":[["sell","9122.07","0"]]}"#;
    assert_eq!(gemini(next, false).unwrap(), [r#"depth BTCUSD snap=false None..0 bids=[] asks=["9122.07@0"]"#]);
    let t = r#"{"type":"trade","symbol":"BTCUSD","event_id":3575573053,"timestamp":1601617445083,"price":"9122.07","quantity":"0.0141858","side":"buy"}"#;
    assert_eq!(gemini(t, false).unwrap(), ["trade BTCUSD 3575573053 9122.07 0.0141858 Buy Some(1601617445083)+0ns"]);
    let c = r#"{"type":"candles_15m_updates","symbol":"BTCUSD","changes":[[1561054500000,9350.18,9358.35,9350.18,9355.51,2.07],[1561053600000,9357.33,9357.33,9350.18,9350.18,1.5900161]]}"#;
    let r = gemini(c, false).unwrap();
    assert_eq!(r[0], "bar BTCUSD 15m 1561054500000..1561055399999 o9350.18 c9355.51 v2.07 qv0 closed=false");
    assert_eq!(r.len(), 2);
    assert_eq!(gemini(r#"{"type":"heartbeat","timestamp":1}"#, false).unwrap(), ["ignored"]);
    assert!(matches!(
        gemini(r#"{"type":"l2_updates","symbol":"X","changes":[["hold","1","1"]]}"#, false),
        Err(DecodeError::BadField { .. })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]

    #[test]
    fn decoding_never_panics(raw in prop::collection::vec(any::<u8>(), 0..300), cut in 0usize..300, junk in "[ -~]{0,12}") {
        let mut l = Levels::default();
        let _ = gate::market::decode(&raw, &mut l);
        let _ = gemini::market::decode(&raw, true, &mut l, &mut |_, _| {});
        let g = r#"{"time":1606294781,"channel":"spot.order_book_update","event":"update","result":{"t":1,"s":"BTC_USDT","U":1,"u":2,"b":[["19137.74","0.0001"]],"a":[["19137.75","0.6135"]]}}"#;
        let m = r#"{"type":"l2_updates","symbol":"BTCUSD","changes":[["buy","9122.04","0.00121425"]],"trades":[]}"#;
        for s in [g, m] {
            let at = cut.min(s.len());
            let mangled = format!("{}{}{}", &s[..at], junk, &s[at..]);
            let _ = gate::market::decode(mangled.as_bytes(), &mut l);
            let _ = gemini::market::decode(mangled.as_bytes(), false, &mut l, &mut |_, _| {});
        }
    }
}
