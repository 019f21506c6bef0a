//! The limiter's check allocates nothing, in process and over shared memory (alone in this
//! test binary so no other test's allocations are counted).

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use mdbus_bus::CountingAllocator;
use mdbus_sdk::rate_limit::{Limiter, Request, Rule};

#[global_allocator]
static ALLOC: CountingAllocator = CountingAllocator;

fn rules() -> Vec<Rule> {
    vec![
        Rule::sliding_window("global", 1200, Duration::from_secs(60)),
        Rule::fixed_window("order", 10, Duration::from_secs(1)).endpoint("/api/v3/order*").method_weight("POST", 10),
        Rule::token_bucket("ip", 100, Duration::from_secs(1)).ip(None),
        Rule::fixed_window("acct", 50, Duration::from_secs(10)).account(None),
    ]
}

#[test]
fn try_acquire_allocates_nothing() {
    let dir = std::env::temp_dir().join(format!("mdbus-lim-noalloc-{}", std::process::id()));
    let local = Limiter::new(rules()).unwrap();
    let shared = Limiter::shared(dir.join("l.cells"), rules()).unwrap();
    let reqs = [
        Request::new("GET", "/api/v3/ticker"),
        Request::new("POST", "/api/v3/order").account("main"),
        Request::new("GET", "/api/v3/order").ip("10.1.2.3".parse().unwrap()),
    ];
    // Warm up: key slots get claimed on first use.
    for l in [&local, &shared] {
        for r in &reqs {
            let _ = l.try_acquire(r).unwrap();
        }
    }
    let before = CountingAllocator::thread_allocations();
    let mut granted = 0;
    for _ in 0..10_000 {
        for l in [&local, &shared] {
            for r in &reqs {
                granted += usize::from(l.try_acquire(r).unwrap().is_granted());
            }
        }
    }
    let after = CountingAllocator::thread_allocations();
    assert_eq!(after - before, 0, "allocations on the check path");
    assert!(granted > 0);
    drop((local, shared));
    std::fs::remove_dir_all(dir).unwrap();
}
