//! `mdbus bench limiter`: nanoseconds per `try_acquire` for the seed README's two-rule set, in
//! process and over shared memory, beside the `governor` crate on an equivalent quota, all in
//! one run, and as ratios to the seed's Python figures.

use std::{hint::black_box, num::NonZeroU32, path::Path, time::Duration, time::Instant};

use governor::{Quota, RateLimiter};
use mdbus_sdk::rate_limit::{Limiter, Request, Rule};
use serde_json::{Value, json};

/// The seed's medians (`bt_api_base` 0.15.5, CPython 3.11, section 8 of the seed research),
/// ns per `RateLimiter.acquire`: B1 (global rule only, window filling 0..999), B2 (window
/// ~1100..1198), B3 (both rules, allowed), B4 (order window full: reject and roll back).
pub const SEED_NS: [(&str, f64); 4] =
    [("seed_b1_ns", 14_598.0), ("seed_b2_ns", 32_066.0), ("seed_b3_ns", 4_074.0), ("seed_b4_ns", 4_650.0)];

/// The README's rules, with limits large enough that a timing round is never refused (the
/// shape — one sliding global rule, one fixed endpoint rule with method weights — is what
/// costs; the check is constant time whatever the limits).
pub fn rules(global: u64, orders: u64) -> Vec<Rule> {
    vec![
        Rule::sliding_window("global", global, Duration::from_secs(60)),
        Rule::fixed_window("order", orders, Duration::from_secs(1))
            .endpoint("/api/v3/order*")
            .method_weight("POST", 10)
            .method_weight("DELETE", 5)
            .method_weight("GET", 1),
    ]
}

const ROUNDS: usize = 7;

/// Best of 7 rounds of `iters` calls, in ns per call.
fn best(iters: u32, mut round: impl FnMut(usize, u32) -> usize) -> f64 {
    let mut best = f64::MAX;
    for r in 0..ROUNDS {
        let t0 = Instant::now();
        black_box(round(r, iters));
        best = best.min(t0.elapsed().as_nanos() as f64 / f64::from(iters));
    }
    best
}

fn r2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Runs the benchmark, keeping the shared-memory file in `dir`.
///
/// # Errors
///
/// When a limiter cannot be built or the shared file cannot be created.
pub fn run(dir: &Path, iters: u32) -> Result<Value, String> {
    let big = 16_000_000;
    let ticker = Request::new("GET", "/api/v3/ticker");
    let order = Request::new("GET", "/api/v3/order");
    let post = Request::new("POST", "/api/v3/order");
    let grants = |l: &Limiter, r: &Request<'_>, n: u32| {
        (0..n).filter(|_| l.try_acquire(black_box(r)).is_ok_and(|a| a.is_granted())).count()
    };

    // Correctness first: each limiter grants exactly what its rules allow.
    let check = Limiter::new(rules(1200, 10)).map_err(|e| e.to_string())?;
    if grants(&check, &post, 5) != 1 || grants(&check, &ticker, 2000) != 1199 {
        return Err("limiter check failed: the README rules did not grant 1 order then 1,199 tickers".into());
    }
    let gov_check = RateLimiter::direct(Quota::per_minute(NonZeroU32::new(1200).ok_or("quota")?));
    if (0..2000).filter(|_| gov_check.check().is_ok()).count() != 1200 {
        return Err("governor check failed".into());
    }

    // One fresh limiter per round, built before timing, so no round is ever refused.
    let fresh = |g, o| -> Result<Vec<Limiter>, String> {
        (0..ROUNDS).map(|_| Limiter::new(rules(g, o)).map_err(|e| e.to_string())).collect()
    };
    let local = fresh(big, big)?;
    let limiter_ns = best(iters, |r, n| grants(&local[r], &ticker, n));
    let _ = std::fs::remove_dir_all(dir);
    let shared: Vec<Limiter> = (0..ROUNDS)
        .map(|r| Limiter::shared(dir.join(format!("bench{r}.cells")), rules(big, big)).map_err(|e| e.to_string()))
        .collect::<Result<_, _>>()?;
    let shared_ns = best(iters, |r, n| grants(&shared[r], &ticker, n));
    let shared_ok = Limiter::shared(dir.join("check.cells"), rules(1200, 10)).map_err(|e| e.to_string())?;
    if grants(&shared_ok, &post, 5) != 1 {
        return Err("shared limiter check failed".into());
    }
    let local = fresh(big, big)?;
    let limiter_order_ns = best(iters, |r, n| grants(&local[r], &order, n));
    let full = Limiter::new(rules(big, 10)).map_err(|e| e.to_string())?;
    let _ = full.try_acquire(&post);
    let limiter_denied_ns = best(iters, |_, n| n as usize - grants(&full, &post, n));

    let single: Vec<Limiter> = (0..ROUNDS)
        .map(|_| Limiter::new([Rule::token_bucket("one", big, Duration::from_secs(60))]).map_err(|e| e.to_string()))
        .collect::<Result<_, _>>()?;
    let limiter_single_ns = best(iters, |r, n| grants(&single[r], &ticker, n));

    let quota = Quota::per_minute(NonZeroU32::new(big as u32).ok_or("quota")?);
    let govs: Vec<_> = (0..ROUNDS).map(|_| RateLimiter::direct(quota)).collect();
    let governor_ns = best(iters, |r, n| (0..n).filter(|_| black_box(&govs[r]).check().is_ok()).count());
    let pairs: Vec<_> = (0..ROUNDS).map(|_| (RateLimiter::direct(quota), RateLimiter::direct(quota))).collect();
    let governor_two_ns = best(iters, |r, n| {
        let (g1, g2) = &pairs[r];
        (0..n).filter(|_| black_box(g1).check().is_ok() && black_box(g2).check().is_ok()).count()
    });
    let floor_ns = best(iters, |_, n| (0..n).filter(|_| black_box(mdbus_bus::now_ns()) > 0).count());
    let _ = std::fs::remove_dir_all(dir);

    let mut v = json!({
        "iters": iters,
        "limiter_ns": r2(limiter_ns),
        "shared_limiter_ns": r2(shared_ns),
        "limiter_order_ns": r2(limiter_order_ns),
        "limiter_denied_ns": r2(limiter_denied_ns),
        "limiter_single_ns": r2(limiter_single_ns),
        "single_over_governor": r2(limiter_single_ns / governor_ns),
        "governor_ns": r2(governor_ns),
        "governor_two_ns": r2(governor_two_ns),
        "clock_read_ns": r2(floor_ns),
        "limiter_over_governor": r2(limiter_ns / governor_ns),
        "shared_over_governor": r2(shared_ns / governor_ns),
        "order_over_governor_two": r2(limiter_order_ns / governor_two_ns),
    });
    for (k, seed) in SEED_NS {
        v[k] = json!(seed);
    }
    v["seed_b1_over_limiter"] = json!(r2(SEED_NS[0].1 / limiter_ns));
    v["seed_b2_over_limiter"] = json!(r2(SEED_NS[1].1 / limiter_ns));
    v["seed_b3_over_order"] = json!(r2(SEED_NS[2].1 / limiter_order_ns));
    v["seed_b4_over_denied"] = json!(r2(SEED_NS[3].1 / limiter_denied_ns));
    Ok(v)
}
