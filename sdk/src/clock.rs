//! Clocks for the limiter and the caches, injectable so tests run on a fake clock.

use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};

/// A source of nanosecond timestamps for a [`Limiter`](crate::rate_limit::Limiter) or a cache.
///
/// Every process sharing a limiter must read the same clock: [`SystemClock`] (the host's wall
/// clock) is the one all processes on a host agree on.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Returns the current time in nanoseconds.
    fn now_ns(&self) -> u64;

    /// Waits for `d` to pass on this clock. Default: sleeps the thread.
    fn sleep(&self, d: std::time::Duration) {
        std::thread::sleep(d);
    }
}

/// The host's wall clock (`CLOCK_REALTIME`, read through the vDSO: no system call). Fixed
/// windows line up with wall-clock multiples of their interval, as venues' per-minute windows do.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[inline]
    fn now_ns(&self) -> u64 {
        mdbus_bus::now_ns()
    }
}

/// The host's wall clock as of the kernel's last timer tick (`CLOCK_REALTIME_COARSE`): about
/// 5 ns to read against 25 ns for [`SystemClock`] on a virtual machine, the same value in every
/// process, with a resolution of one kernel tick (1-4 ms, see
/// [`mdbus_bus::coarse_resolution_ns`]). The default clock of a
/// [`Limiter`](crate::rate_limit::Limiter): budgets are counted in windows of seconds, so a
/// millisecond of resolution costs nothing and the check stays cheap.
#[derive(Debug, Clone, Copy, Default)]
pub struct CoarseClock;

impl Clock for CoarseClock {
    #[inline]
    fn now_ns(&self) -> u64 {
        mdbus_bus::coarse_now_ns()
    }
}

/// Nanoseconds since the first reading in this process, from the monotonic clock: never goes
/// back, so cache expiry is immune to wall-clock steps (the seed's cache uses the wall clock).
/// Not comparable between processes.
#[derive(Debug, Clone, Copy, Default)]
pub struct MonotonicClock;

impl Clock for MonotonicClock {
    #[inline]
    fn now_ns(&self) -> u64 {
        static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
        // Starts at 1 s so that "0" is never a current time.
        START.get_or_init(std::time::Instant::now).elapsed().as_nanos() as u64 + 1_000_000_000
    }
}

/// A clock that moves only when told to; clones share one time.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use mdbus_sdk::clock::{Clock, FakeClock};
///
/// let clock = FakeClock::new(1_000);
/// let view = clock.clone();
/// clock.advance(Duration::from_micros(2));
/// assert_eq!(view.now_ns(), 3_000);
/// ```
#[derive(Debug, Clone, Default)]
pub struct FakeClock(Arc<AtomicU64>);

impl FakeClock {
    /// Returns a clock reading `start_ns`.
    pub fn new(start_ns: u64) -> FakeClock {
        FakeClock(Arc::new(AtomicU64::new(start_ns)))
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: std::time::Duration) {
        self.0.fetch_add(by.as_nanos() as u64, Ordering::Relaxed);
    }

    /// Sets the clock to `ns`.
    pub fn set(&self, ns: u64) {
        self.0.store(ns, Ordering::Relaxed);
    }
}

impl Clock for FakeClock {
    fn now_ns(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    /// Advances the clock by `d` instead of sleeping.
    fn sleep(&self, d: std::time::Duration) {
        self.advance(d);
    }
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    #[inline]
    fn now_ns(&self) -> u64 {
        (**self).now_ns()
    }

    fn sleep(&self, d: std::time::Duration) {
        (**self).sleep(d);
    }
}
