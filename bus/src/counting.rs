//! A global allocator that counts allocations, for tests that prove a hot path allocates
//! nothing. Any crate's test can install it without writing `unsafe` itself:
//!
//! ```
//! #[global_allocator]
//! static ALLOC: mdbus_bus::CountingAllocator = mdbus_bus::CountingAllocator;
//!
//! let before = mdbus_bus::CountingAllocator::allocations();
//! let mine = mdbus_bus::CountingAllocator::thread_allocations();
//! let v = vec![1u8; 16];
//! assert!(mdbus_bus::CountingAllocator::allocations() > before);
//! assert_eq!(mdbus_bus::CountingAllocator::thread_allocations(), mine + 1);
//! drop(v);
//! ```

use std::{
    alloc::{GlobalAlloc, Layout, System},
    sync::atomic::{AtomicU64, Ordering},
};

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// Allocations made by this thread (const-initialised, no destructor: usable from inside
    /// the allocator).
    static THREAD_ALLOCATIONS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

fn count() {
    ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    // `try_with`: a thread being torn down still allocates; it just is not counted.
    let _ = THREAD_ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
}

/// The system allocator, counting every allocation and reallocation (all threads).
#[derive(Debug, Clone, Copy, Default)]
pub struct CountingAllocator;

impl CountingAllocator {
    /// Returns the number of allocations and reallocations so far, process-wide.
    pub fn allocations() -> u64 {
        ALLOCATIONS.load(Ordering::SeqCst)
    }

    /// Returns the number of allocations and reallocations the calling thread made so far: what
    /// a hot-path test compares, unaffected by the test harness's own threads.
    pub fn thread_allocations() -> u64 {
        THREAD_ALLOCATIONS.try_with(std::cell::Cell::get).unwrap_or(0)
    }
}

// SAFETY: forwards every call unchanged to the system allocator, which upholds the contract;
// the counter has no effect on the memory handed out.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: the caller's obligations for `alloc` are passed on unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` through this allocator with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: the caller's obligations for `alloc_zeroed` are passed on unchanged.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: the caller's obligations for `realloc` are passed on unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}
