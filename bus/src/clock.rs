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

/// Returns the wall-clock time in nanoseconds since the Unix epoch as of the kernel's last
/// timer tick (`CLOCK_REALTIME_COARSE`, vDSO, ~5 ns against ~25 ns for [`now_ns`] on a
/// virtual machine). The same value in every process of the host; resolution
/// [`coarse_resolution_ns`] (typically 1-4 ms). Falls back to [`now_ns`] where the coarse
/// clock is missing.
///
/// # Examples
///
/// ```
/// let t = mdbus_bus::coarse_now_ns();
/// assert!(t.abs_diff(mdbus_bus::now_ns()) < 100_000_000);
/// ```
#[inline]
pub fn coarse_now_ns() -> u64 {
    #[cfg(target_os = "linux")]
    {
        let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: `ts` is a valid, writable timespec for the duration of the call.
        if unsafe { libc::clock_gettime(libc::CLOCK_REALTIME_COARSE, &mut ts) } == 0 {
            return (ts.tv_sec as u64).wrapping_mul(1_000_000_000).wrapping_add(ts.tv_nsec as u64);
        }
    }
    now_ns()
}

/// Returns the resolution of [`coarse_now_ns`] in nanoseconds (1 where it falls back to the
/// precise clock).
///
/// # Examples
///
/// ```
/// assert!(mdbus_bus::coarse_resolution_ns() <= 100_000_000);
/// ```
pub fn coarse_resolution_ns() -> u64 {
    #[cfg(target_os = "linux")]
    {
        let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: `ts` is a valid, writable timespec for the duration of the call.
        if unsafe { libc::clock_getres(libc::CLOCK_REALTIME_COARSE, &mut ts) } == 0 {
            return (ts.tv_sec as u64).wrapping_mul(1_000_000_000).wrapping_add(ts.tv_nsec as u64).max(1);
        }
    }
    1
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
