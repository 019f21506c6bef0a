//! Several processes drawing from one shared-memory limiter: the total granted never exceeds
//! any rule's budget in any window, and a process killed mid-stream leaves nothing held once
//! its windows pass.
//!
//! The children are this test binary run again with `MDBUS_LIMITER_CHILD` set. In the budget
//! test all processes read a fake clock kept in a shared cell, which the parent advances only
//! between rounds, so every grant has an exact time to check windows against.

#![allow(clippy::unwrap_used)]

use std::{
    path::{Path, PathBuf},
    process::{Child, Command},
    sync::atomic::Ordering,
    time::{Duration, Instant},
};

use mdbus_bus::SharedCells;
use mdbus_sdk::rate_limit::{Clock, FakeClock, Limiter, Request, Rule};

const CHILD_ENV: &str = "MDBUS_LIMITER_CHILD";
const CHILDREN: usize = 4;
const ATTEMPTS: usize = 150;
// Control cells.
const C_ROUND: usize = 0;
const C_TIME: usize = 1;
const C_DONE: usize = 2;
const C_STOP: usize = 3;
const C_KIND: usize = 4;
const C_GRANTED: usize = 5;
const C_READY: usize = 6;

/// The seed README's rules plus a token bucket, at their real sizes (the clock is fake).
fn rules() -> Vec<Rule> {
    vec![
        Rule::sliding_window("global", 1200, Duration::from_secs(60)),
        Rule::fixed_window("order", 10, Duration::from_secs(1))
            .endpoint("/api/v3/order*")
            .method_weight("POST", 10)
            .method_weight("DELETE", 5),
        Rule::token_bucket("burst", 300, Duration::from_secs(10)),
    ]
}

const REQUESTS: [(&str, &str); 3] = [("GET", "/api/v3/ticker"), ("GET", "/api/v3/order"), ("POST", "/api/v3/order")];

/// A clock every process reads from one shared cell.
#[derive(Debug)]
struct CellClock(SharedCells);

impl Clock for CellClock {
    fn now_ns(&self) -> u64 {
        self.0.cells()[C_TIME].load(Ordering::Acquire)
    }
}

fn control(dir: &Path) -> SharedCells {
    SharedCells::open_or_create(dir.join("control.cells"), 0xC0DE, 8, 0o600).unwrap()
}

fn spawn(dir: &Path, mode: &str) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child", "--nocapture", "--test-threads", "1"])
        .env(CHILD_ENV, mode)
        .env("MDBUS_LIMITER_DIR", dir)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mdbus-shared-limiter-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Child side: runs only when spawned by one of the tests below.
#[test]
fn child() {
    let Ok(mode) = std::env::var(CHILD_ENV) else { return };
    let dir = PathBuf::from(std::env::var("MDBUS_LIMITER_DIR").unwrap());
    let ctl = control(&dir);
    let c = ctl.cells();
    if mode == "rounds" {
        let limiter = Limiter::shared_with_clock(dir.join("limits.cells"), rules(), CellClock(control(&dir))).unwrap();
        c[C_READY].fetch_add(1, Ordering::AcqRel);
        let mut seen = 0;
        loop {
            let round = c[C_ROUND].load(Ordering::Acquire);
            if c[C_STOP].load(Ordering::Acquire) != 0 {
                return;
            }
            if round == seen {
                std::thread::yield_now();
                continue;
            }
            seen = round;
            let (method, path) = REQUESTS[c[C_KIND].load(Ordering::Acquire) as usize];
            let req = Request::new(method, path);
            let granted = (0..ATTEMPTS).filter(|_| limiter.try_acquire(&req).unwrap().is_granted()).count();
            c[C_GRANTED].fetch_add(granted as u64, Ordering::AcqRel);
            c[C_DONE].fetch_add(1, Ordering::AcqRel);
        }
    } else {
        // "hammer": take budget on the wall clock as fast as possible until killed.
        let limiter = Limiter::shared(dir.join("wall.cells"), wall_rules()).unwrap();
        c[C_READY].fetch_add(1, Ordering::AcqRel);
        let req = Request::new("POST", "/api/v3/order");
        loop {
            let _ = limiter.try_acquire(&req).unwrap();
        }
    }
}

/// Token-counter model of a token bucket (see `limiter_model.rs`).
struct Tokens {
    level: u128,
    at: u64,
    cap: u128,
    ei: u128,
}

impl Tokens {
    fn take(&mut self, now: u64, units: u64) -> bool {
        self.level = (self.level + u128::from(now - self.at)).min(self.cap);
        self.at = now;
        let need = u128::from(units) * self.ei;
        self.level >= need && {
            self.level -= need;
            true
        }
    }
}

#[test]
fn processes_sharing_a_limiter_never_exceed_any_budget() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let dir = scratch("rounds");
    let ctl = control(&dir);
    let c = ctl.cells();
    c[C_TIME].store(1_000_000_000_000, Ordering::Release);
    let mut kids: Vec<Child> = (0..CHILDREN).map(|_| spawn(&dir, "rounds")).collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    while c[C_READY].load(Ordering::Acquire) < CHILDREN as u64 {
        assert!(Instant::now() < deadline, "children did not start");
        std::thread::sleep(Duration::from_millis(5));
    }

    // The same schedule through an in-process limiter, for how much a round could grant at most.
    let reference_clock = FakeClock::new(0);
    let reference = Limiter::with_clock(rules(), reference_clock.clone()).unwrap();
    let mut rng = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    // (time, request kind, granted) per round.
    let mut grants: Vec<(u64, usize, u64)> = Vec::new();
    let (mut total, mut reference_total) = (0, 0);
    for round in 1..=120u64 {
        let now = c[C_TIME].load(Ordering::Acquire) + next() % 1_500_000_000;
        let kind = (next() % 3) as usize;
        c[C_TIME].store(now, Ordering::Release);
        c[C_KIND].store(kind as u64, Ordering::Release);
        c[C_GRANTED].store(0, Ordering::Release);
        c[C_ROUND].store(round, Ordering::Release);
        while c[C_DONE].load(Ordering::Acquire) < round * CHILDREN as u64 {
            assert!(Instant::now() < deadline + Duration::from_secs(60), "round {round} did not finish");
            std::thread::yield_now();
        }
        let granted = c[C_GRANTED].load(Ordering::Acquire);
        grants.push((now, kind, granted));
        total += granted;
        reference_clock.set(now);
        let (m, p) = REQUESTS[kind];
        reference_total += (0..CHILDREN * ATTEMPTS)
            .filter(|_| reference.try_acquire(&Request::new(m, p)).unwrap().is_granted())
            .count() as u64;
    }
    c[C_STOP].store(1, Ordering::Release);
    for k in &mut kids {
        assert!(k.wait().unwrap().success());
    }

    // Every rule's budget holds in every window, by the grants' exact times.
    let weight = |kind: usize| match kind {
        0 => (1, 0),
        1 => (1, 1),
        _ => (1, 10),
    };
    let mut tokens = Tokens { level: 300 * 33_333_334, at: 0, cap: 300 * 33_333_334, ei: 33_333_334 };
    for (i, &(t, _, n)) in grants.iter().enumerate() {
        let global: u64 = grants[..=i].iter().filter(|g| g.0 + 60_000_000_000 > t).map(|g| g.2 * weight(g.1).0).sum();
        assert!(global <= 1200, "sliding window over 1200 at round {i}: {global}");
        let order: u64 =
            grants[..=i].iter().filter(|g| g.0 / 1_000_000_000 == t / 1_000_000_000).map(|g| g.2 * weight(g.1).1).sum();
        assert!(order <= 10, "order window over 10 at round {i}: {order}");
        assert!(tokens.take(t, n), "token bucket over budget at round {i}");
    }
    assert!(total > 0);
    assert!(total * 10 >= reference_total * 9, "granted {total}, an in-process limiter granted {reference_total}");
    let _ = std::fs::remove_dir_all(&dir);
}

fn wall_rules() -> Vec<Rule> {
    vec![
        Rule::fixed_window("fixed", 500, Duration::from_millis(200)),
        Rule::sliding_window("sliding", 500, Duration::from_millis(200)),
        Rule::token_bucket("bucket", 500, Duration::from_millis(200)),
    ]
}

#[test]
fn a_killed_process_leaves_the_budget_whole_once_its_windows_pass() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let dir = scratch("kill");
    let ctl = control(&dir);
    let mut kids: Vec<Child> = (0..2).map(|_| spawn(&dir, "hammer")).collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    while ctl.cells()[C_READY].load(Ordering::Acquire) < 2 {
        assert!(Instant::now() < deadline, "children did not start");
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(100));
    let limiter = Limiter::shared(dir.join("wall.cells"), wall_rules()).unwrap();
    let req = Request::new("POST", "/api/v3/order");
    assert!(limiter.usage(&req).iter().any(|&u| u > 0), "the children took budget");
    for k in &mut kids {
        k.kill().unwrap();
        k.wait().unwrap();
    }
    // Longest memory: the sliding window plus one bucket (200 ms + 50 ms).
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(limiter.usage(&req), [0, 0, 0]);
    let start = Instant::now();
    let mut granted = 0;
    while granted < 500 && start.elapsed() < Duration::from_millis(150) {
        granted += usize::from(limiter.try_acquire(&req).unwrap().is_granted());
    }
    assert_eq!(granted, 500, "the whole budget is available again");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_limiter_with_other_rules_cannot_open_the_file() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let dir = scratch("mismatch");
    let path = dir.join("limits.cells");
    let _a = Limiter::shared(&path, rules()).unwrap();
    let err = Limiter::shared(&path, wall_rules()).unwrap_err();
    assert!(err.to_string().contains("tag"), "{err}");
    std::fs::write(dir.join("junk.cells"), b"not a cells file, just text that is long enough to have a header")
        .unwrap();
    let err = Limiter::shared(dir.join("junk.cells"), rules()).unwrap_err();
    assert!(err.to_string().contains("not an mdbus") || err.to_string().contains("magic"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
