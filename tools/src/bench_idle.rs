//! `mdbus bench idle`: publish → read latency of a subscriber waiting with each idle strategy
//! (busy-spin, spin-then-yield, spin-then-park, spin-then-sleep on the ring's doorbell), in one run, once with the cores free and once
//! with as many busy threads as the host has cores competing with the reader.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use mdbus_bus::{RingDir, RingOptions, Start, now_ns};
use mdbus_schemas::{BookDelta, Header, Kind};
use mdbus_sdk::{
    idle::Idle,
    subscriber::{Event, Subscriber},
};
use serde_json::{Value, json};

use crate::stats::new_histogram;

/// The strategies measured, by name.
pub fn strategies() -> [(&'static str, Idle); 4] {
    [
        ("busy_spin", Idle::BusySpin),
        ("spin_yield", Idle::SpinYield { spins: 100 }),
        ("spin_park", Idle::default()),
        ("spin_block", Idle::SpinBlock { spins: 64 }),
    ]
}

/// One measurement: a writer publishing every `gap`, a subscriber waiting with `idle`, for
/// `duration`; returns (p50, p99, samples) of publish → read in ns.
fn measure(
    dir: &RingDir,
    name: &str,
    idle: Idle,
    duration: Duration,
    gap: Duration,
) -> Result<(u64, u64, u64), String> {
    let mut writer =
        dir.writer(name, Kind::BOOK_DELTA, &RingOptions::default().capacity(1 << 16)).map_err(|e| e.to_string())?;
    let mut sub = Subscriber::open_in(dir, name, Start::Head).map_err(|e| e.to_string())?;
    let stop = Arc::new(AtomicBool::new(false));
    let w = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut next = Instant::now();
            let mut i = 0i64;
            while !stop.load(Ordering::Relaxed) {
                while Instant::now() < next {
                    std::hint::spin_loop();
                }
                next += gap;
                i += 1;
                let rec =
                    BookDelta { header: Header { kind: Kind::BOOK_DELTA, ..Header::default() }, price: i, qty: 1 };
                let _ = writer.publish(&rec);
            }
        })
    };
    let mut h = new_histogram();
    let end = Instant::now() + duration;
    while Instant::now() < end {
        if let Ok(Some(Event::Record { view, .. })) = sub.next_with(Duration::from_millis(50), idle) {
            let publish = view.header().publish_ts.0;
            let _ = h.record(now_ns().saturating_sub(publish).max(1));
        }
    }
    stop.store(true, Ordering::Relaxed);
    let _ = w.join();
    Ok((h.value_at_quantile(0.5), h.value_at_quantile(0.99), h.len()))
}

/// Runs every strategy free and loaded, `seconds` each; returns `<strategy>_<free|loaded>_p50_ns`,
/// `_p99_ns` and `_samples`, plus the core count.
///
/// # Errors
///
/// When the ring cannot be made or opened.
pub fn run(seconds: f64) -> Result<Value, String> {
    let base = if std::path::Path::new("/dev/shm").is_dir() { "/dev/shm".into() } else { std::env::temp_dir() };
    let path = base.join(format!("mdbus-bench-idle-{}", std::process::id()));
    let dir = RingDir::new(&path);
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let mut out = serde_json::Map::new();
    out.insert("cores".into(), json!(cores));
    let duration = Duration::from_secs_f64(seconds.max(0.1));
    let gap = Duration::from_micros(50);
    let mut n = 0;
    for loaded in [false, true] {
        // Busy threads: as many as the host has cores, so the reader competes for one.
        let hog = Arc::new(AtomicBool::new(loaded));
        let hogs: Vec<_> = (0..if loaded { cores } else { 0 })
            .map(|_| {
                let hog = hog.clone();
                std::thread::spawn(move || {
                    while hog.load(Ordering::Relaxed) {
                        std::hint::spin_loop();
                    }
                })
            })
            .collect();
        for (name, idle) in strategies() {
            n += 1;
            let (p50, p99, samples) = measure(&dir, &format!("idle{n}"), idle, duration, gap)?;
            let key = format!("{name}_{}", if loaded { "loaded" } else { "free" });
            out.insert(format!("{key}_p50_ns"), json!(p50));
            out.insert(format!("{key}_p99_ns"), json!(p99));
            out.insert(format!("{key}_samples"), json!(samples));
        }
        hog.store(false, Ordering::Relaxed);
        for h in hogs {
            let _ = h.join();
        }
    }
    let _ = std::fs::remove_dir_all(&path);
    Ok(Value::Object(out))
}
