//! Publishing and reading allocate nothing: proven with a counting global allocator.

// Test helpers outside #[test] functions panic on failure by design.
#![allow(clippy::unwrap_used)]

mod util;

use mdbus_bus::{CountingAllocator, ReadError, Reader, RingOptions, Start, Writer};
use mdbus_schemas::{Kind, Quote};

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

#[test]
fn publish_and_read_allocate_nothing() {
    let dir = util::TempDir::new("noalloc");
    let path = dir.path().join("q.ring");
    let mut w = Writer::open_or_create(&path, Kind::QUOTE, &RingOptions::default().capacity(1024)).unwrap();
    let mut readers: Vec<Reader> = (0..3).map(|_| Reader::open_at(&path, Start::Head).unwrap()).collect();
    let mut q = Quote::default();
    // Warm up: first touch of every page and code path.
    for i in 0..2048 {
        q.bid_px = i;
        w.publish(&q).unwrap();
        for r in &mut readers {
            let _ = r.try_read();
        }
    }
    for r in &mut readers {
        r.seek(Start::Head).unwrap();
    }
    let before = CountingAllocator::thread_allocations();
    let mut sum = 0i64;
    for i in 0..100_000 {
        q.bid_px = i;
        w.publish(&q).unwrap();
        for r in &mut readers {
            match r.try_read() {
                Ok(rec) => sum += rec.get::<Quote>().map_or(0, |q| q.bid_px),
                Err(ReadError::Empty | ReadError::Overrun { .. }) => {}
            }
        }
    }
    let after = CountingAllocator::thread_allocations();
    assert_eq!(after - before, 0, "hot path allocated");
    assert_eq!(sum, 3 * (0..100_000i64).sum::<i64>(), "every reader read every record");
}
