//! Decode, book and publish allocate nothing per frame once warmed up (a test binary of its own,
//! so no other test allocates while it counts).

// Test helpers outside #[test] functions panic on failure by design.
#![allow(clippy::unwrap_used)]

mod util;

use mdbus_bus::CountingAllocator;
use mdbus_feeder::Levels;
use mdbus_schemas::Nanos;
use mdbus_venues::binance::Market;
use util::feed;

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

#[test]
fn decode_book_and_publish_allocate_nothing_after_warm_up() {
    let (mut f, mut r, _rings) = feed(Market::Spot);
    let d = |s: &str| s.parse().unwrap();
    f.on_rest_snapshot(
        "BNBBTC",
        100,
        &Levels { bids: vec![(d("0.0020"), d("1"))], asks: vec![(d("0.0030"), d("1"))] },
        Nanos(1),
    )
    .unwrap();
    let frames: Vec<String> = (0..2000u64)
        .flat_map(|i| {
            [
                format!(r#"{{"e":"trade","E":1,"s":"BNBBTC","t":{i},"p":"0.0025","q":"3","T":1,"m":false}}"#),
                format!(r#"{{"u":{i},"s":"BNBUSDT","b":"25.35190000","B":"31.21000000","a":"25.36520000","A":"40.66000000"}}"#),
                format!(
                    r#"{{"e":"depthUpdate","E":1,"s":"BNBBTC","U":{},"u":{},"b":[["0.0021","{}"]],"a":[["0.0029","{}"]]}}"#,
                    101 + i,
                    101 + i,
                    i % 3,
                    (i + 1) % 3
                ),
            ]
        })
        .collect();
    for fr in &frames[..300] {
        f.on_frame(fr.as_bytes(), Nanos(2)).unwrap();
    }
    let before = CountingAllocator::thread_allocations();
    for fr in &frames[300..] {
        f.on_frame(fr.as_bytes(), Nanos(2)).unwrap();
    }
    assert_eq!(CountingAllocator::thread_allocations() - before, 0, "the frame path allocated");
    assert!(f.book(0).unwrap().is_live());
    assert!(r.trades.try_read().is_ok() || r.trades.lost() > 0);
}
