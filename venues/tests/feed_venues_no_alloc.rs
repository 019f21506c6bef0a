//! The generic feed allocates nothing per frame once warmed up, for venues with in-stream
//! snapshots (OKX), gzip frames (HTX) and Gemini's per-subscription state (alone in this test
//! binary so no other test allocates while it counts).

// Test helpers outside #[test] functions panic on failure by design.
#![allow(clippy::unwrap_used)]

#[path = "../../feeder/tests/util/mod.rs"]
mod util;

use std::io::Write;

use mdbus_bus::CountingAllocator;
use mdbus_feeder::Venue;
use mdbus_schemas::{Instrument, InstrumentId, Nanos, Symbol};

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

fn count(venue: Venue, symbol: &str, frames: &[Vec<u8>]) -> u64 {
    let inst = vec![Instrument::new(InstrumentId(1), venue.id(), Symbol::new(symbol).unwrap(), -2, -5)];
    let (mut f, _r, _rings) = util::venue_feed(venue, inst);
    for fr in &frames[..300] {
        f.on_frame(fr, Nanos(2)).unwrap();
    }
    let before = CountingAllocator::thread_allocations();
    for fr in &frames[300..] {
        f.on_frame(fr, Nanos(2)).unwrap();
    }
    let n = CountingAllocator::thread_allocations() - before;
    assert!(f.book(0).unwrap().is_live(), "{venue:?}");
    n
}

#[test]
fn okx_htx_and_gemini_frames_allocate_nothing_after_warm_up() {
    let mut okx = vec![br#"{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"snapshot","data":[{"asks":[["2.00","1","0","1"]],"bids":[["1.00","3","0","1"]],"ts":"1","prevSeqId":-1,"seqId":10}]}"#.to_vec()];
    for i in 0..2000u64 {
        okx.push(format!(r#"{{"arg":{{"channel":"books","instId":"BTC-USDT"}},"action":"update","data":[{{"asks":[],"bids":[["1.0{}","{}","0","1"]],"ts":"1","prevSeqId":{},"seqId":{}}}]}}"#, i % 5, i % 3, 10 + i, 11 + i).into_bytes());
        okx.push(format!(r#"{{"arg":{{"channel":"trades","instId":"BTC-USDT"}},"data":[{{"instId":"BTC-USDT","tradeId":"{i}","px":"1.5","sz":"0.1","side":"buy","ts":"1"}}]}}"#).into_bytes());
    }
    assert_eq!(count(mdbus_venues::OKX, "BTC-USDT", &okx), 0, "OKX");

    let gz = |t: String| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(t.as_bytes()).unwrap();
        e.finish().unwrap()
    };
    let mut htx = vec![gz(r#"{"id":"s","rep":"market.btcusdt.mbp.150","status":"ok","ts":1,"data":{"seqNum":10,"bids":[[1.00,1]],"asks":[[2.00,3]]}}"#.into())];
    for i in 0..2000u64 {
        htx.push(gz(format!(r#"{{"ch":"market.btcusdt.mbp.150","ts":1,"tick":{{"seqNum":{},"prevSeqNum":{},"bids":[[1.0{},{}]],"asks":[]}}}}"#, 11 + i, 10 + i, i % 5, i % 3)));
        htx.push(gz(format!(r#"{{"ch":"market.btcusdt.trade.detail","ts":1,"tick":{{"id":1,"ts":1,"data":[{{"id":5,"ts":1,"tradeId":{i},"amount":0.1,"price":1.5,"direction":"sell"}}]}}}}"#)));
    }
    assert_eq!(count(mdbus_venues::HTX, "btcusdt", &htx), 0, "HTX");

    let mut gemini = vec![
        br#"{"type":"l2_updates","symbol":"BTCUSD","changes":[["buy","1.00","2"],["sell","2.00","2"]],"trades":[]}"#
            .to_vec(),
    ];
    for i in 0..2000u64 {
        gemini.push(
            format!(r#"{{"type":"l2_updates","symbol":"BTCUSD","changes":[["buy","1.0{}","{}"]]}}"#, i % 5, i % 3)
                .into_bytes(),
        );
        gemini.push(format!(r#"{{"type":"trade","symbol":"BTCUSD","event_id":{},"timestamp":1,"price":"1.5","quantity":"1","side":"buy"}}"#, i + 1).into_bytes());
    }
    assert_eq!(count(mdbus_venues::GEMINI, "BTCUSD", &gemini), 0, "Gemini");

    // Gate.io's trades carry fractions of a millisecond, which are kept without allocating.
    let mut gate = vec![br#"{"time":1,"time_ms":1,"channel":"spot.order_book","event":"update","result":{"t":1,"lastUpdateId":10,"s":"BTC_USDT","bids":[["1.00","1"]],"asks":[["2.00","3"]]}}"#.to_vec()];
    for i in 0..2000u64 {
        gate.push(format!(r#"{{"time":1,"time_ms":1,"channel":"spot.order_book_update","event":"update","result":{{"t":1,"e":"depthUpdate","E":1,"s":"BTC_USDT","U":{},"u":{},"b":[["1.0{}","{}"]],"a":[]}}}}"#, 11 + i, 11 + i, i % 5, i % 3).into_bytes());
        gate.push(format!(r#"{{"time":1,"time_ms":1,"channel":"spot.trades","event":"update","result":{{"id":{i},"create_time":1,"create_time_ms":"1606292218213.{:04}","side":"sell","currency_pair":"BTC_USDT","amount":"0.1","price":"1.5"}}}}"#, i % 10_000).into_bytes());
    }
    // The first frame is a `spot.order_book` snapshot, which books of Gate's U/u rule take
    // over REST; the feed is given it as one.
    let inst =
        vec![Instrument::new(InstrumentId(1), mdbus_venues::GATEIO.id(), Symbol::new("BTC_USDT").unwrap(), -2, -5)];
    let (mut f, _r, _rings) = util::venue_feed(mdbus_venues::GATEIO, inst);
    let d = |s: &str| s.parse().unwrap();
    let levels = mdbus_feeder::Levels { bids: vec![(d("1.00"), d("1"))], asks: vec![(d("2.00"), d("3"))] };
    assert!(f.on_rest_snapshot("BTC_USDT", 10, &levels, Nanos(1)).unwrap());
    for fr in &gate[1..301] {
        f.on_frame(fr, Nanos(2)).unwrap();
    }
    let before = CountingAllocator::thread_allocations();
    for fr in &gate[301..] {
        f.on_frame(fr, Nanos(2)).unwrap();
    }
    assert_eq!(CountingAllocator::thread_allocations() - before, 0, "Gate.io");
    assert!(f.book(0).unwrap().is_live());

    // Gate.io order book v2 (`spot.obu`): the full push, increments, and a full push resent
    // now and then, which replaces the book in place.
    let mut obu = Vec::new();
    for i in 0..2000u64 {
        obu.push(if i % 250 == 0 {
            format!(r#"{{"channel":"spot.obu","result":{{"t":1,"full":true,"s":"ob.BTC_USDT.400","u":{},"b":[["1.00","1"],["0.9{}","2"]],"a":[["2.00","3"]]}}}}"#, 10 + i, i % 10)
        } else {
            format!(r#"{{"channel":"spot.obu","result":{{"t":1,"s":"ob.BTC_USDT.400","U":{},"u":{},"b":[["1.0{}","{}"]]}}}}"#, 10 + i, 10 + i, i % 5, i % 3)
        }.into_bytes());
    }
    let inst =
        vec![Instrument::new(InstrumentId(1), mdbus_venues::GATEIO.id(), Symbol::new("BTC_USDT").unwrap(), -2, -5)];
    let rule = mdbus_venues::GATEIO.book_channel("obu400").unwrap().rule;
    let (mut f, _r, _rings) = util::venue_feed_with(mdbus_venues::GATEIO, rule, inst);
    for fr in &obu[..500] {
        f.on_frame(fr, Nanos(2)).unwrap();
    }
    let before = CountingAllocator::thread_allocations();
    for fr in &obu[500..] {
        f.on_frame(fr, Nanos(2)).unwrap();
    }
    assert_eq!(CountingAllocator::thread_allocations() - before, 0, "Gate.io spot.obu");
    assert!(f.book(0).unwrap().is_live());
    assert_eq!(f.book(0).unwrap().stats().gaps, 0);
}

#[test]
fn malformed_frames_are_refused_without_allocating() {
    for (venue, symbol, frame) in [
        (mdbus_venues::BINANCE_SPOT, "BTCUSDT", &b"{\"e\":\"trade\",\"s\":\"BTCUSDT\",\"t\":1,"[..]),
        (
            mdbus_venues::OKX,
            "BTC-USDT",
            &b"{\"arg\":{\"channel\":\"trades\",\"instId\":\"BTC-USDT\"},\"data\":[{\"px\":"[..],
        ),
        (mdbus_venues::BYBIT_SPOT, "BTCUSDT", &b"{\"topic\":\"publicTrade.BTCUSDT\",\"data\":[{\"p\":"[..]),
        (mdbus_venues::GATEIO, "BTC_USDT", &b"{\"time\":1,\"channel\":\"spot.trades\",\"result\":{\"id\":"[..]),
        (mdbus_venues::GEMINI, "BTCUSD", &b"{\"type\":\"trade\",\"symbol\":\"BTCUSD\",\"price\":"[..]),
    ] {
        let inst = vec![Instrument::new(InstrumentId(1), venue.id(), Symbol::new(symbol).unwrap(), -2, -5)];
        let (mut f, _r, _rings) = util::venue_feed(venue, inst);
        // Warm up, then count.
        for _ in 0..10 {
            assert!(f.on_frame(frame, Nanos(1)).is_err());
        }
        let before = CountingAllocator::thread_allocations();
        for _ in 0..1000 {
            let e = f.on_frame(frame, Nanos(1)).unwrap_err();
            assert!(
                matches!(e, mdbus_feeder::FeedError::Decode(mdbus_feeder::DecodeError::Malformed { .. })),
                "{venue:?}: {e}"
            );
        }
        assert_eq!(CountingAllocator::thread_allocations() - before, 0, "{venue:?}");
    }
}
