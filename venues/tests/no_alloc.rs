//! Decoding Binance frames on the fast path (the ordered first path and the general scanner)
//! allocates nothing once the level buffers have grown.

// Test helpers outside #[test] functions panic on failure by design.
#![allow(clippy::unwrap_used)]

use mdbus_bus::CountingAllocator;
use mdbus_feeder::{Levels, Message};
use mdbus_venues::binance;

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

const FRAMES: [&str; 8] = [
    r#"{"e":"bookTicker","u":400900217,"E":1568014460893,"T":1568014460891,"s":"BNBUSDT","b":"25.35190000","B":"31.21000000","a":"25.36520000","A":"40.66000000"}"#,
    r#"{"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1571889248277,"s":"BTCUSDT","U":390497796,"u":390497878,"b":[["7403.89000000","0.12500000"]],"a":[["7403.90000000","1.62500000"]]}}"#,
    r#"{"e":"trade","E":1672515782136,"s":"BNBBTC","t":12345,"p":"0.001","q":"100","T":1672515782136,"m":true,"M":true}"#,
    r#"{"e":"aggTrade","E":123456789,"s":"BTCUSDT","a":5933014,"p":"0.001","q":"100","f":100,"l":105,"T":123456785,"m":false}"#,
    r#"{"u":400900217,"s":"BNBUSDT","b":"25.35190000","B":"31.21000000","a":"25.36520000","A":"40.66000000"}"#,
    r#"{"e":"depthUpdate","E":123456789,"T":123456788,"s":"BTCUSDT","U":157,"u":160,"pu":149,"b":[["0.0024","10"],["0.0023","1"]],"a":[["0.0026","100"]]}"#,
    r#"{"stream":"bnbbtc@depth20","data":{"lastUpdateId":160,"bids":[["0.0024","10"]],"asks":[["0.0026","100"]]}}"#,
    r#"{"e":"kline","E":1,"s":"BNBBTC","k":{"t":1,"T":2,"s":"BNBBTC","i":"1m","o":"0.0010","c":"0.0020","h":"0.0025","l":"0.0015","v":"1000","n":100,"x":false,"q":"1.0000"}}"#,
];

#[test]
fn fast_path_decoding_allocates_nothing() {
    let mut levels = Levels::default();
    for f in FRAMES {
        binance::decode(f.as_bytes(), &mut levels).unwrap();
    }
    let before = CountingAllocator::thread_allocations();
    let mut decoded = 0;
    for _ in 0..10_000 {
        for f in FRAMES {
            if !matches!(binance::decode(f.as_bytes(), &mut levels).unwrap(), Message::Ignored) {
                decoded += 1;
            }
        }
    }
    assert_eq!(CountingAllocator::thread_allocations() - before, 0, "decoding allocated");
    assert_eq!(decoded, 80_000);
}
