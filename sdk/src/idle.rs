//! How a reader waits for the next record, as Aeron names its idle strategies: spin without
//! pause (lowest latency, one core burnt), spin then yield the core to other threads, or spin,
//! yield, then sleep in short parks (little CPU, wakes within the park time); and, beyond
//! Aeron's, spin then sleep on the ring's doorbell (no CPU while idle, woken by the writer's
//! publish within microseconds).
//!
//! ```
//! use std::time::Duration;
//! use mdbus_sdk::idle::Idle;
//! let mut waiter = Idle::SpinPark { spins: 100, yields: 10, park: Duration::from_micros(50) }.waiter();
//! let mut calls = 0;
//! while calls < 200 {
//!     waiter.idle(); // nothing arrived: wait a little
//!     calls += 1;
//! }
//! waiter.reset(); // something arrived: next wait starts by spinning again
//! ```

use std::time::Duration;

/// A waiting policy for a reader with nothing to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Idle {
    /// Spin on the ring without pause: the lowest latency, and a core fully used. Only for a
    /// reader with a core of its own.
    BusySpin,
    /// Spin `spins` times, then yield the core on every further wait: low latency while the
    /// host has cores to spare, and no core burnt when it has not.
    SpinYield {
        /// Spins before yielding.
        spins: u32,
    },
    /// Spin `spins` times, yield `yields` times, then sleep `park` on every further wait:
    /// almost no CPU while idle, woken within about `park`.
    SpinPark {
        /// Spins before yielding.
        spins: u32,
        /// Yields before parking.
        yields: u32,
        /// How long each park sleeps.
        park: Duration,
    },
    /// Spin `spins` times, then sleep on the ring's doorbell until the writer publishes: no
    /// CPU while idle, and woken within microseconds of a publish, even on a host with more
    /// busy threads than cores. What [`Subscriber::next_timeout`](crate::subscriber::Subscriber::next_timeout)
    /// does. Only a subscriber can sleep on a ring's doorbell; on a ring without one, and for
    /// a bare [`Waiter`], it waits as the default [`Idle::SpinPark`].
    SpinBlock {
        /// Spins before sleeping.
        spins: u32,
    },
}

impl Default for Idle {
    /// Spin, yield, then park for 50 µs: fits a host with more busy threads than cores.
    fn default() -> Idle {
        Idle::SpinPark { spins: 100, yields: 10, park: Duration::from_micros(50) }
    }
}

impl Idle {
    /// A waiter following this policy.
    pub fn waiter(self) -> Waiter {
        Waiter { idle: self, count: 0 }
    }
}

/// The state of one run of waits.
#[derive(Debug, Clone)]
pub struct Waiter {
    idle: Idle,
    count: u32,
}

impl Waiter {
    /// Waits once (nothing was there).
    #[inline]
    pub fn idle(&mut self) {
        self.count = self.count.saturating_add(1);
        match self.idle {
            Idle::BusySpin => std::hint::spin_loop(),
            Idle::SpinYield { spins } => {
                if self.count <= spins {
                    std::hint::spin_loop();
                } else {
                    std::thread::yield_now();
                }
            }
            Idle::SpinBlock { .. } => {
                let Idle::SpinPark { spins, yields, park } = Idle::default() else { return };
                if self.count <= spins {
                    std::hint::spin_loop();
                } else if self.count <= spins.saturating_add(yields) {
                    std::thread::yield_now();
                } else {
                    std::thread::sleep(park);
                }
            }
            Idle::SpinPark { spins, yields, park } => {
                if self.count <= spins {
                    std::hint::spin_loop();
                } else if self.count <= spins.saturating_add(yields) {
                    std::thread::yield_now();
                } else {
                    std::thread::sleep(park);
                }
            }
        }
    }

    /// Starts over (something arrived): the next wait spins first again.
    #[inline]
    pub fn reset(&mut self) {
        self.count = 0;
    }
}
