//! Gunzip and decode of HTX frames allocate nothing once the buffers have grown (alone in this
//! test binary so no other test allocates while it counts).

#![allow(clippy::unwrap_used)]

use std::io::Write;

use mdbus_bus::CountingAllocator;
use mdbus_feeder::Levels;
use mdbus_venues::htx::{gunzip::Gunzip, market::decode};

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

#[test]
fn gunzip_and_decode_allocate_nothing_after_warm_up() {
    let frames: Vec<Vec<u8>> = (0..500u64)
        .map(|i| {
            let text = format!(
                r#"{{"ch":"market.btcusdt.mbp.150","ts":1573199608679,"tick":{{"seqNum":{},"prevSeqNum":{i},"bids":[[618.37,{}.5],[618.3,1]],"asks":[[632.18,1.1]]}}}}"#,
                i + 1,
                i % 7
            );
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(text.as_bytes()).unwrap();
            e.finish().unwrap()
        })
        .collect();
    let mut g = Gunzip::default();
    let mut levels = Levels::default();
    let mut n = 0;
    for f in &frames[..4] {
        let text = g.gunzip(f).unwrap();
        decode(text, &mut levels, &mut |_, _| n += 1).unwrap();
    }
    let before = CountingAllocator::thread_allocations();
    for f in &frames {
        let text = g.gunzip(f).unwrap();
        decode(text, &mut levels, &mut |_, l| n += l.bids.len()).unwrap();
    }
    assert_eq!(CountingAllocator::thread_allocations() - before, 0);
    assert!(n >= 1000);
}
