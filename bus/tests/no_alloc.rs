//! Publishing and reading allocate nothing: proven with a counting global allocator.
// Test helpers outside #[test] functions panic on failure by design.
#![allow(clippy::unwrap_used)]

mod util;

use std::{
    alloc::{GlobalAlloc, Layout, System},
    sync::atomic::{AtomicU64, Ordering},
};

use mdbus_bus::{ReadError, Reader, RingOptions, Start, Writer};
use mdbus_schemas::{Kind, Quote};

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards every call unchanged to the system allocator, which upholds the contract;
// the counter has no effect on the memory handed out.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's obligations for `alloc` are passed on unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` through `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's obligations for `realloc` are passed on unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

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
        r.seek(Start::Head);
    }
    let before = ALLOCATIONS.load(Ordering::SeqCst);
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
    let after = ALLOCATIONS.load(Ordering::SeqCst);
    assert_eq!(after - before, 0, "hot path allocated");
    assert_eq!(sum, 3 * (0..100_000i64).sum::<i64>(), "every reader read every record");
}
