//! The OKX decoder allocates nothing per frame once its level buffers have grown (alone in this
//! test binary so no other test allocates while it counts).

#![allow(clippy::unwrap_used)]

use mdbus_bus::CountingAllocator;
use mdbus_feeder::{Levels, Message};
use mdbus_venues::okx::market::decode;

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

#[test]
fn okx_decode_allocates_nothing_after_warm_up() {
    let frames: Vec<String> = (0..1000u64)
        .flat_map(|i| {
            [
                format!(r#"{{"arg":{{"channel":"trades","instId":"BTC-USDT"}},"data":[{{"instId":"BTC-USDT","tradeId":"{i}","px":"42219.9","sz":"0.12060306","side":"buy","ts":"1630048897897","count":"3"}}]}}"#),
                format!(r#"{{"arg":{{"channel":"books","instId":"BTC-USDT"}},"action":"update","data":[{{"asks":[["8476.98","{i}","0","13"],["8477.5","1","0","1"]],"bids":[["8476.97","256","0","12"]],"ts":"1597026383085","checksum":0,"prevSeqId":{i},"seqId":{}}}]}}"#, i + 1),
                format!(r#"{{"arg":{{"channel":"bbo-tbt","instId":"BTC-USDT"}},"data":[{{"asks":[["111.06","55154","0","2"]],"bids":[["111.05","57745","0","2"]],"ts":"1670324386802","seqId":{i}}}]}}"#),
                format!(r#"{{"arg":{{"channel":"candle1m","instId":"BTC-USDT"}},"data":[["{}","1","2","0.5","1.5","10","15","15","0"]]}}"#, i * 60_000),
            ]
        })
        .collect();
    let mut levels = Levels::default();
    let mut seen = 0u64;
    let mut sink = |m: Message<'_>, l: &Levels| {
        seen += match m {
            Message::Depth(_) => l.asks.len() as u64,
            _ => 1,
        }
    };
    for f in &frames[..8] {
        decode(f.as_bytes(), &mut levels, &mut sink).unwrap();
    }
    let before = CountingAllocator::thread_allocations();
    for f in &frames {
        decode(f.as_bytes(), &mut levels, &mut sink).unwrap();
    }
    assert_eq!(CountingAllocator::thread_allocations() - before, 0);
    assert!(seen > 4000);
}
