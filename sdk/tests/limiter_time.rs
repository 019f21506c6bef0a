//! Limiters across idle periods and clock steps, for every rule kind and limit size, in process
//! memory and in a shared-memory file: a budget spent and then left alone for any time longer
//! than its window is whole again (never frozen, never read as current); a clock that steps
//! back keeps what was spent for at most one window (never handed out again, never held for as
//! long as the step); a clock that steps forward lets it expire.

#![allow(clippy::unwrap_used)]

use std::{path::PathBuf, time::Duration};

use mdbus_sdk::rate_limit::{Acquire, FakeClock, Limiter, Request, Rule, RuleKind};
use proptest::prelude::*;

const SEC: u64 = 1_000_000_000;
const MINUTE: u64 = 60 * SEC;
const WEEK: u64 = 7 * 24 * 3600 * SEC;

fn rule(kind: RuleKind, limit: u64, interval: Duration) -> Rule {
    match kind {
        RuleKind::SlidingWindow => Rule::sliding_window("r", limit, interval),
        RuleKind::FixedWindow => Rule::fixed_window("r", limit, interval),
        _ => Rule::token_bucket("r", limit, interval),
    }
}

/// A scratch file for a shared limiter, removed when dropped.
struct File(PathBuf);

impl File {
    fn new() -> File {
        use std::sync::atomic::{AtomicU64, Ordering};
        static N: AtomicU64 = AtomicU64::new(0);
        let p = std::env::temp_dir().join(format!(
            "mdbus-limiter-time-{}-{}.cells",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_file(&p);
        File(p)
    }
}

impl Drop for File {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The same rule in process memory and in a shared file, on one fake clock starting at
/// `start`.
fn limiters(r: &Rule, start: u64) -> (FakeClock, Vec<Limiter<FakeClock>>, File) {
    let clock = FakeClock::new(start);
    let file = File::new();
    let heap = Limiter::with_clock([r.clone()], clock.clone()).unwrap();
    let shared = Limiter::shared_with_clock(&file.0, [r.clone()], clock.clone()).unwrap();
    (clock, vec![heap, shared], file)
}

fn whole(l: &Limiter<FakeClock>, limit: u64) -> Acquire {
    l.try_acquire(&Request::new("GET", "/").weight(limit as u32)).unwrap()
}

fn one(l: &Limiter<FakeClock>) -> Acquire {
    l.try_acquire(&Request::new("GET", "/")).unwrap()
}

/// Limits of every size, with the sizes whose sliding-window bucket number gets only 16 bits
/// (32–63, 128–255, 2048–4095, 32768–65535) drawn as often as the others.
fn limit() -> impl Strategy<Value = u64> {
    prop_oneof![
        1u64..32,
        32u64..64,
        64u64..128,
        128u64..256,
        256u64..2048,
        2048u64..4096,
        4096u64..32768,
        32768u64..65536
    ]
}

fn kind() -> impl Strategy<Value = RuleKind> {
    prop_oneof![Just(RuleKind::SlidingWindow), Just(RuleKind::FixedWindow), Just(RuleKind::TokenBucket)]
}

/// An idle time from a second to four weeks, spread over every order of magnitude.
fn idle() -> impl Strategy<Value = u64> {
    (0u32..=62, any::<u64>()).prop_map(|(exp, frac)| {
        let lo = SEC as f64;
        let hi = (4 * WEEK) as f64;
        let t = lo * (hi / lo).powf(f64::from(exp) / 62.0);
        (t as u64).saturating_add(frac % SEC)
    })
}

#[test]
fn a_sliding_window_left_alone_for_100_minutes_is_whole_again() {
    // 50 per second: the limit size whose bucket number has 16 bits; 100 minutes is between
    // 2^15 and 2^16 buckets.
    let (clock, ls, _f) = limiters(&Rule::sliding_window("s", 50, Duration::from_secs(1)), 1_764_000_000 * SEC);
    for l in &ls {
        for _ in 0..50 {
            assert!(one(l).is_granted());
        }
        assert!(!one(l).is_granted());
    }
    clock.advance(Duration::from_secs(100 * 60));
    for l in &ls {
        assert_eq!(l.usage(&Request::new("GET", "/")), [0], "shared: {}", l.is_shared());
        for _ in 0..50 {
            assert!(one(l).is_granted(), "shared: {}", l.is_shared());
        }
        assert!(!one(l).is_granted());
    }
}

#[test]
fn every_idle_length_in_buckets_around_the_wrap_leaves_a_whole_budget() {
    // Idle for exactly k * 2^16 buckets (plus or minus a few), where a 16-bit bucket number
    // comes back to the same value.
    let r = Rule::sliding_window("s", 50, Duration::from_secs(1));
    // 50 needs 6 bits: 8 buckets of 1/7 s.
    let width = SEC.div_ceil(7);
    for k in 1..4u64 {
        for d in [-3i64, -1, 0, 1, 3, 8] {
            let (clock, ls, _f) = limiters(&r, 1_764_000_000 * SEC);
            for l in &ls {
                assert!(whole(l, 50).is_granted());
            }
            let buckets = (k << 16).saturating_add_signed(d);
            clock.advance(Duration::from_nanos(buckets * width));
            for l in &ls {
                assert_eq!(l.usage(&Request::new("GET", "/")), [0], "{buckets} buckets, shared: {}", l.is_shared());
                assert!(whole(l, 50).is_granted(), "{buckets} buckets");
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn a_spent_budget_left_alone_longer_than_its_window_is_whole_again(
        kind in kind(), limit in limit(), interval_ms in 10u64..=120_000, idle in idle(), start in 0u64..(1 << 62),
    ) {
        let interval = interval_ms * 1_000_000;
        // Longer than the window and its last sliding bucket.
        let idle = idle + 2 * interval;
        let r = rule(kind, limit, Duration::from_nanos(interval));
        let (clock, ls, _f) = limiters(&r, start);
        for l in &ls {
            prop_assert!(whole(l, limit).is_granted());
            prop_assert!(!one(l).is_granted());
        }
        clock.advance(Duration::from_nanos(idle));
        for l in &ls {
            prop_assert_eq!(l.usage(&Request::new("GET", "/")), vec![0], "shared: {}", l.is_shared());
            prop_assert!(whole(l, limit).is_granted(), "after {} ns idle, shared: {}", idle, l.is_shared());
            prop_assert!(!one(l).is_granted(), "and spent again");
        }
    }

    #[test]
    fn a_clock_stepping_back_neither_frees_the_budget_nor_holds_it_longer_than_a_window(
        kind in kind(), limit in limit(), interval_ms in 10u64..=120_000, back in idle(), start in (1u64 << 61)..(1 << 62),
    ) {
        let interval = interval_ms * 1_000_000;
        let r = rule(kind, limit, Duration::from_nanos(interval));
        let (clock, ls, _f) = limiters(&r, start);
        for l in &ls {
            prop_assert!(whole(l, limit).is_granted());
        }
        clock.set(start - back);
        for l in &ls {
            prop_assert!(!one(l).is_granted(), "spent budget handed out again after a step back of {} ns", back);
        }
        // At most one window (and one sliding bucket) later in the new timeline, it is whole.
        clock.advance(Duration::from_nanos(2 * interval + 1));
        for l in &ls {
            prop_assert!(whole(l, limit).is_granted(), "held past a window after a step back of {} ns, shared: {}", back, l.is_shared());
        }
    }

    #[test]
    fn a_clock_stepping_forward_past_the_window_lets_the_budget_expire(
        kind in kind(), limit in limit(), interval_ms in 10u64..=120_000, ahead in idle(), start in 0u64..(1 << 62),
    ) {
        let interval = interval_ms * 1_000_000;
        let ahead = ahead + 2 * interval;
        let r = rule(kind, limit, Duration::from_nanos(interval));
        let (clock, ls, _f) = limiters(&r, start);
        for l in &ls {
            prop_assert!(whole(l, limit).is_granted());
        }
        clock.set(start + ahead);
        for l in &ls {
            prop_assert!(whole(l, limit).is_granted());
        }
    }
}

#[test]
fn idle_hours_in_minute_windows_keep_exact_counts_in_between() {
    // A budget used, idle, used again: the second use counts only itself.
    for kind in [RuleKind::SlidingWindow, RuleKind::FixedWindow, RuleKind::TokenBucket] {
        let (clock, ls, _f) = limiters(&rule(kind, 1200, Duration::from_secs(60)), 1_764_000_000 * SEC);
        for l in &ls {
            assert!(whole(l, 1200).is_granted());
        }
        clock.advance(Duration::from_nanos(37 * 60 * MINUTE + 123));
        for l in &ls {
            assert!(whole(l, 700).is_granted());
            assert_eq!(l.usage(&Request::new("GET", "/")), [700], "{kind:?}, shared: {}", l.is_shared());
        }
    }
}
