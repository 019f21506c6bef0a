//! The limiter against simple reference models on a fake clock: an exact log for fixed and
//! sliding windows, a token counter for token buckets. Fixed windows and token buckets must
//! decide exactly as the models do; sliding windows must never grant more than the exact log
//! allows and always grant what a log one bucket wider allows.

#![allow(clippy::unwrap_used)]

use std::{collections::HashMap, net::IpAddr, time::Duration};

use mdbus_sdk::rate_limit::{Acquire, FakeClock, LimitError, Limiter, Request, Rule, RuleKind};
use proptest::prelude::*;

/// Exact log of grants: `(time, weight)`.
#[derive(Default, Clone)]
struct Log(Vec<(u64, u64)>);

impl Log {
    /// Weight granted in `(now - span, now]`.
    fn sum_since(&self, now: u64, span: u64) -> u64 {
        self.0.iter().filter(|&&(t, _)| t + span > now && t <= now).map(|&(_, w)| w).sum()
    }
    /// Weight granted in the aligned window `now` is in.
    fn sum_window(&self, now: u64, interval: u64) -> u64 {
        self.0.iter().filter(|&&(t, _)| t / interval == now / interval).map(|&(_, w)| w).sum()
    }
}

/// Token bucket as a level in token-nanoseconds: full = `limit × ei`, refills 1 per ns.
#[derive(Clone)]
struct Tokens {
    level: u128,
    at: u64,
    cap: u128,
    ei: u128,
}

impl Tokens {
    fn new(limit: u64, interval: u64) -> Tokens {
        let ei = u128::from(interval.div_ceil(limit));
        Tokens { level: ei * u128::from(limit), at: 0, cap: ei * u128::from(limit), ei }
    }
    fn try_take(&mut self, now: u64, w: u64) -> bool {
        self.level = (self.level + u128::from(now - self.at)).min(self.cap);
        self.at = now;
        let need = u128::from(w) * self.ei;
        if self.level >= need {
            self.level -= need;
            true
        } else {
            false
        }
    }
}

/// One step of a schedule: advance the clock, then ask for `weight`.
#[derive(Debug, Clone)]
struct Step {
    advance_us: u64,
    weight: u32,
}

fn steps(max_advance_us: u64) -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(
        (0..max_advance_us, 1u32..4).prop_map(|(advance_us, weight)| Step { advance_us, weight }),
        1..300,
    )
}

/// Advances the clock and asks; a request heavier than the whole limit must be an error, and
/// is reported as a wait of `u64::MAX` ns so the models (which refuse it too) agree.
fn run(limiter: &Limiter<FakeClock>, clock: &FakeClock, step: &Step) -> (u64, Acquire) {
    clock.advance(Duration::from_micros(step.advance_us));
    let now = clock.now_ns_pub();
    let limit = limiter.rules().next().unwrap().limit;
    match limiter.try_acquire(&Request::new("GET", "/x").weight(step.weight)) {
        Ok(got) => {
            assert!(u64::from(step.weight) <= limit);
            (now, got)
        }
        Err(LimitError::WeightAboveLimit { .. }) if u64::from(step.weight) > limit => {
            (now, Acquire::Wait { after: Duration::MAX, rule: usize::MAX })
        }
        Err(e) => panic!("{e}"),
    }
}

trait NowPub {
    fn now_ns_pub(&self) -> u64;
}
impl NowPub for FakeClock {
    fn now_ns_pub(&self) -> u64 {
        use mdbus_sdk::rate_limit::Clock;
        self.now_ns()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn fixed_window_decides_as_the_exact_log(limit in 1u64..20, interval_ms in 1u64..50, s in steps(8_000)) {
        let interval = interval_ms * 1_000_000;
        let clock = FakeClock::new(0);
        let limiter = Limiter::with_clock([Rule::fixed_window("f", limit, Duration::from_nanos(interval))], clock.clone()).unwrap();
        let mut log = Log::default();
        for step in &s {
            let (now, got) = run(&limiter, &clock, step);
            let w = u64::from(step.weight);
            let allowed = w <= limit && log.sum_window(now, interval) + w <= limit;
            match got {
                Acquire::Granted => { prop_assert!(allowed); log.0.push((now, w)); }
                Acquire::Wait { .. } if w > limit => {}
                Acquire::Wait { after, rule } => {
                    prop_assert!(!allowed);
                    prop_assert_eq!(rule, 0);
                    prop_assert_eq!(after.as_nanos() as u64, (now / interval + 1) * interval - now);
                }
            }
        }
    }

    #[test]
    fn token_bucket_decides_as_the_token_counter(limit in 1u64..20, interval_ms in 1u64..50, s in steps(8_000)) {
        let interval = interval_ms * 1_000_000;
        let clock = FakeClock::new(0);
        let limiter = Limiter::with_clock([Rule::token_bucket("b", limit, Duration::from_nanos(interval))], clock.clone()).unwrap();
        let mut model = Tokens::new(limit, interval);
        for step in &s {
            let (now, got) = run(&limiter, &clock, step);
            let w = u64::from(step.weight);
            let before = model.clone();
            let allowed = w <= limit && model.try_take(now, w);
            prop_assert_eq!(got.is_granted(), allowed, "at {} weight {}", now, w);
            if let Acquire::Wait { after, .. } = got && w <= limit {
                // Waiting exactly `after` is enough, and one nanosecond less is not.
                let mut m = before.clone();
                prop_assert!(m.try_take(now + after.as_nanos() as u64, w));
                let mut m = before;
                prop_assert!(!m.try_take(now + after.as_nanos() as u64 - 1, w));
            }
        }
    }

    #[test]
    fn sliding_window_is_safe_and_at_most_one_bucket_late(limit in 1u64..40, interval_ms in 1u64..50, s in steps(8_000)) {
        let interval = interval_ms * 1_000_000;
        let clock = FakeClock::new(0);
        let limiter = Limiter::with_clock([Rule::sliding_window("s", limit, Duration::from_nanos(interval))], clock.clone()).unwrap();
        // The bucket width the limiter uses (see the rate_limit module docs).
        let bits = 64 - limit.leading_zeros();
        let n = (48 / bits).clamp(2, 8) as u64;
        let width = interval.div_ceil(n - 1);
        let mut log = Log::default();
        for step in &s {
            let (now, got) = run(&limiter, &clock, step);
            let w = u64::from(step.weight);
            if w > limit { continue; }
            let exact = log.sum_since(now, interval) + w <= limit;
            let wide = log.sum_since(now, interval + width) + w <= limit;
            match got {
                Acquire::Granted => { prop_assert!(exact, "granted beyond the exact window at {}", now); log.0.push((now, w)); }
                Acquire::Wait { after, .. } => {
                    prop_assert!(!wide, "refused although a window one bucket wider allows it at {}", now);
                    // After the wait, the request fits the exact window.
                    let later = now + after.as_nanos() as u64;
                    prop_assert!(log.sum_since(later, interval) + w <= limit);
                }
            }
        }
    }

    #[test]
    fn two_rules_grant_all_or_nothing(s in steps(30_000), posts in prop::collection::vec(any::<bool>(), 300)) {
        // The seed README's rule pair, with the sliding rule as a token bucket so both models are exact.
        let clock = FakeClock::new(0);
        let limiter = Limiter::with_clock([
            Rule::token_bucket("global", 50, Duration::from_millis(100)),
            Rule::fixed_window("order", 10, Duration::from_millis(10)).endpoint("/api/v3/order*").method_weight("POST", 10).method_weight("DELETE", 5),
        ], clock.clone()).unwrap();
        let mut global = Tokens::new(50, 100_000_000);
        let mut order = Log::default();
        for (step, post) in s.iter().zip(posts) {
            clock.advance(Duration::from_micros(step.advance_us));
            let now = clock.now_ns_pub();
            let (method, path) = if post { ("POST", "/api/v3/order") } else if step.weight == 2 { ("GET", "/api/v3/orderList") } else { ("GET", "/api/v3/ticker") };
            let got = limiter.try_acquire(&Request::new(method, path)).unwrap();
            let order_w = match (method, path.starts_with("/api/v3/order")) { ("POST", true) => Some(10), (_, true) => Some(1), _ => None };
            let order_ok = order_w.is_none_or(|w| order.sum_window(now, 10_000_000) + w <= 10);
            let mut g = global.clone();
            let global_ok = g.try_take(now, 1);
            prop_assert_eq!(got.is_granted(), order_ok && global_ok);
            if got.is_granted() {
                global = g;
                if let Some(w) = order_w { order.0.push((now, w)); }
            }
        }
    }
}

#[test]
fn ip_scope_counts_each_address_separately() {
    let clock = FakeClock::new(0);
    let limiter = Limiter::with_clock([Rule::fixed_window("ip", 2, Duration::from_secs(60)).ip(None)], clock).unwrap();
    let a: IpAddr = "10.0.0.1".parse().unwrap();
    let b: IpAddr = "10.0.0.2".parse().unwrap();
    let mut granted: HashMap<&str, usize> = HashMap::new();
    for (name, req) in [
        ("a", Request::new("GET", "/x").ip(a)),
        ("b", Request::new("GET", "/x").ip(b)),
        ("none", Request::new("GET", "/x")),
    ] {
        for _ in 0..5 {
            if limiter.try_acquire(&req).unwrap().is_granted() {
                *granted.entry(name).or_default() += 1;
            }
        }
    }
    assert_eq!(granted, HashMap::from([("a", 2), ("b", 2), ("none", 2)]));
}

#[test]
fn ip_scope_for_one_address_ignores_others() {
    let only: IpAddr = "192.168.1.9".parse().unwrap();
    let limiter =
        Limiter::with_clock([Rule::fixed_window("ip", 1, Duration::from_secs(60)).ip(Some(only))], FakeClock::new(0))
            .unwrap();
    let other = Request::new("GET", "/x").ip("192.168.1.10".parse().unwrap());
    for _ in 0..10 {
        assert!(limiter.try_acquire(&other).unwrap().is_granted());
    }
    let mine = Request::new("GET", "/x").ip(only);
    assert!(limiter.try_acquire(&mine).unwrap().is_granted());
    assert!(!limiter.try_acquire(&mine).unwrap().is_granted());
}

#[test]
fn account_scope_counts_per_account_and_skips_public_requests() {
    let limiter =
        Limiter::with_clock([Rule::token_bucket("acct", 3, Duration::from_secs(1)).account(None)], FakeClock::new(0))
            .unwrap();
    let public = Request::new("GET", "/api/v5/market/books");
    for _ in 0..10 {
        assert!(limiter.try_acquire(&public).unwrap().is_granted());
    }
    for acct in ["alpha", "beta"] {
        let r = Request::new("POST", "/api/v5/trade/order").account(acct);
        let n = (0..10).filter(|_| limiter.try_acquire(&r).unwrap().is_granted()).count();
        assert_eq!(n, 3, "account {acct}");
    }
}

#[test]
fn keyed_scope_reports_when_out_of_key_slots() {
    let limiter = Limiter::with_clock(
        [Rule::fixed_window("acct", 3, Duration::from_secs(1)).account(None).keys(2)],
        FakeClock::new(0),
    )
    .unwrap();
    assert!(limiter.try_acquire(&Request::new("GET", "/").account("a")).unwrap().is_granted());
    assert!(limiter.try_acquire(&Request::new("GET", "/").account("b")).unwrap().is_granted());
    let err = limiter.try_acquire(&Request::new("GET", "/").account("c")).unwrap_err();
    assert!(matches!(err, LimitError::KeysExhausted { keys: 2, .. }), "{err}");
}

#[test]
fn weights_follow_method_then_path_then_default() {
    let rule = Rule::fixed_window("w", 100, Duration::from_secs(1)).weight(2).method_weight("post", 10).path_weight(
        "POST",
        "/api/v3/order/test",
        1,
    );
    assert_eq!(rule.weight_for("POST", "/api/v3/order"), 10);
    assert_eq!(rule.weight_for("post", "/api/v3/order/test"), 1);
    assert_eq!(rule.weight_for("GET", "/api/v3/order"), 2);
    let limiter = Limiter::with_clock([rule], FakeClock::new(0)).unwrap();
    let r = Request::new("POST", "/api/v3/order").weight(3);
    assert!(limiter.try_acquire(&r).unwrap().is_granted());
    assert_eq!(limiter.usage(&r), [30]);
}

#[test]
fn endpoint_glob_matches_like_fnmatch() {
    let limiter = Limiter::with_clock(
        [Rule::fixed_window("o", 1, Duration::from_secs(1)).endpoint("/api/v3/order*")],
        FakeClock::new(0),
    )
    .unwrap();
    for path in ["/api/v3/order", "/api/v3/order/test", "/api/v3/orderList"] {
        assert_eq!(limiter.usage(&Request::new("GET", path)).len(), 1);
    }
    assert!(limiter.try_acquire(&Request::new("GET", "/api/v3/orderList")).unwrap().is_granted());
    assert!(!limiter.try_acquire(&Request::new("GET", "/api/v3/order/test")).unwrap().is_granted());
    // Outside the pattern: unlimited.
    for _ in 0..5 {
        assert!(limiter.try_acquire(&Request::new("GET", "/api/v3/ticker")).unwrap().is_granted());
    }
}

#[test]
fn a_request_heavier_than_the_limit_is_an_error_not_a_wait() {
    let limiter =
        Limiter::with_clock([Rule::sliding_window("s", 5, Duration::from_secs(1))], FakeClock::new(0)).unwrap();
    let err = limiter.try_acquire(&Request::new("GET", "/").weight(6)).unwrap_err();
    assert!(matches!(err, LimitError::WeightAboveLimit { weight: 6, limit: 5, .. }), "{err}");
    assert_eq!(limiter.usage(&Request::new("GET", "/")), [0]);
}

#[test]
fn bad_rules_are_refused_with_the_reason() {
    let cases: Vec<(Rule, &str)> = vec![
        (Rule::fixed_window("", 1, Duration::from_secs(1)), "name"),
        (Rule::fixed_window("z", 0, Duration::from_secs(1)), "limit is zero"),
        (Rule::fixed_window("i", 1, Duration::ZERO), "interval is zero"),
        (Rule::fixed_window("g", 1, Duration::from_secs(1)).endpoint("/api/[v3"), "unclosed"),
        (Rule::fixed_window("w", 1, Duration::from_secs(1)).weight(0), "weight is zero"),
        (Rule::sliding_window("big", 1 << 30, Duration::from_secs(1)), "largest"),
        (Rule::fixed_window("k", 1, Duration::from_secs(1)).ip(None).keys(0), "keys"),
    ];
    for (rule, want) in cases {
        let err = Limiter::new([rule]).unwrap_err().to_string();
        assert!(err.contains(want), "{err:?} should mention {want:?}");
    }
    let dup = Limiter::new([
        Rule::fixed_window("a", 1, Duration::from_secs(1)),
        Rule::token_bucket("a", 1, Duration::from_secs(1)),
    ]);
    assert!(matches!(dup, Err(LimitError::DuplicateRule(n)) if n == "a"));
    let many = Limiter::new((0..40).map(|i| Rule::fixed_window(format!("r{i}"), 1, Duration::from_secs(1))));
    assert!(matches!(many, Err(LimitError::TooManyRules(40))));
}

#[test]
fn refusal_reports_the_longest_wait_of_all_matching_rules() {
    let clock = FakeClock::new(0);
    let limiter = Limiter::with_clock(
        [
            Rule::fixed_window("short", 1, Duration::from_secs(1)),
            Rule::fixed_window("long", 1, Duration::from_secs(10)),
        ],
        clock.clone(),
    )
    .unwrap();
    let r = Request::new("GET", "/");
    assert!(limiter.try_acquire(&r).unwrap().is_granted());
    assert_eq!(limiter.try_acquire(&r).unwrap(), Acquire::Wait { after: Duration::from_secs(10), rule: 1 });
    clock.advance(Duration::from_secs(1));
    // "short" is free again but "long" is not: nothing is taken from "short".
    assert_eq!(limiter.try_acquire(&r).unwrap(), Acquire::Wait { after: Duration::from_secs(9), rule: 1 });
    assert_eq!(limiter.usage(&r), [0, 1]);
}

#[test]
fn acquire_waits_on_the_clock_and_gives_up_before_the_deadline() {
    let clock = FakeClock::new(0);
    let limiter = Limiter::with_clock([Rule::token_bucket("b", 1, Duration::from_secs(1))], clock.clone()).unwrap();
    let r = Request::new("GET", "/");
    assert!(limiter.acquire(&r, Duration::ZERO).unwrap().is_granted());
    let before = clock.now_ns_pub();
    assert_eq!(
        limiter.acquire(&r, Duration::from_millis(999)).unwrap(),
        Acquire::Wait { after: Duration::from_secs(1), rule: 0 }
    );
    assert_eq!(clock.now_ns_pub(), before, "gave up without sleeping");
    assert!(limiter.acquire(&r, Duration::from_secs(1)).unwrap().is_granted());
    assert_eq!(clock.now_ns_pub(), before + 1_000_000_000);
}

#[test]
fn acquire_on_the_wall_clock_really_waits() {
    let limiter = Limiter::new([Rule::token_bucket("b", 1, Duration::from_millis(30))]).unwrap();
    let r = Request::new("GET", "/");
    assert!(limiter.try_acquire(&r).unwrap().is_granted());
    let t = std::time::Instant::now();
    assert!(limiter.acquire(&r, Duration::from_secs(5)).unwrap().is_granted());
    assert!(t.elapsed() >= Duration::from_millis(20), "waited {:?}", t.elapsed());
}

#[test]
fn observed_usage_only_raises_the_count() {
    for kind in [RuleKind::FixedWindow, RuleKind::SlidingWindow, RuleKind::TokenBucket] {
        let clock = FakeClock::new(5_000_000_000);
        let limiter = Limiter::with_clock(
            [Rule::new("w", kind, 100, Duration::from_secs(60)).usage_header("X-MBX-USED-WEIGHT-1M")],
            clock.clone(),
        )
        .unwrap();
        let r = Request::new("GET", "/api/v3/depth");
        for _ in 0..10 {
            assert!(limiter.try_acquire(&r).unwrap().is_granted());
        }
        assert_eq!(limiter.observe(&r, [("Content-Type", "application/json"), ("x-mbx-used-weight-1m", "95")]), 1);
        assert_eq!(limiter.usage(&r), [95], "{kind:?}");
        assert_eq!(limiter.observe(&r, [("x-mbx-used-weight-1m", "20")]), 1);
        assert_eq!(limiter.usage(&r), [95], "{kind:?}: a lower venue count is ignored");
        assert_eq!(limiter.observe(&r, [("x-mbx-used-weight-1m", "not a number")]), 0);
        let n = (0..10).filter(|_| limiter.try_acquire(&r).unwrap().is_granted()).count();
        assert_eq!(n, 5, "{kind:?}");
    }
}
