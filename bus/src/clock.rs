//! Clocks for timestamps in records and for latency measurement.

use std::time::{SystemTime, UNIX_EPOCH};

/// Returns the wall-clock time in nanoseconds since the Unix epoch (vDSO `clock_gettime`, no
/// system call on Linux x86-64). Zero if the clock is before 1970.
///
/// # Examples
///
/// ```
/// assert!(mdbus_bus::now_ns() > 1_600_000_000_000_000_000);
/// ```
#[inline]
pub fn now_ns() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64)
}

/// Returns the CPU time-stamp counter: ~10 ns to read, the same counter on every core of a host
/// with an invariant TSC, so it can time a record from one process to another. Falls back to
/// [`now_ns`] on other architectures.
///
/// # Examples
///
/// ```
/// let a = mdbus_bus::tsc();
/// let b = mdbus_bus::tsc();
/// assert!(b >= a);
/// ```
#[inline]
pub fn tsc() -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: `rdtsc` reads a counter register; it touches no memory and has no
        // preconditions beyond running on x86-64, which the cfg guarantees.
        unsafe { core::arch::x86_64::_rdtsc() }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        now_ns()
    }
}

/// Measures how many nanoseconds one [`tsc`] tick lasts, over `window`.
///
/// # Examples
///
/// ```
/// let ns_per_tick = mdbus_bus::tsc_ns_per_tick(std::time::Duration::from_millis(5));
/// assert!(ns_per_tick > 0.0);
/// ```
pub fn tsc_ns_per_tick(window: std::time::Duration) -> f64 {
    let t0 = std::time::Instant::now();
    let c0 = tsc();
    while t0.elapsed() < window {
        std::hint::spin_loop();
    }
    let c1 = tsc();
    let ns = t0.elapsed().as_nanos() as f64;
    if c1 > c0 { ns / (c1 - c0) as f64 } else { 1.0 }
}
