//! The counting algorithms. Each budget (a rule, or a rule and one key) is one 64-bit atomic
//! word updated by compare-and-swap, so the same code serves a limiter in process memory and
//! one in a shared-memory file that many processes update at once. The state is made of
//! timestamps and counts only: a process that dies holds nothing, and whatever it had taken
//! expires with its window.

use std::sync::atomic::{AtomicU64, Ordering};

use super::rule::{Rule, RuleKind};

/// Largest limit of a sliding-window rule: counts are packed into one word.
pub(crate) const SLIDING_MAX_LIMIT: u64 = (1 << 24) - 1;
/// At least this many bits of a sliding-window word hold the bucket number.
const MIN_EPOCH_BITS: u32 = 16;
/// At most this many buckets per sliding-window word.
const MAX_BUCKETS: u32 = 8;

/// Division by a constant through a precomputed reciprocal: a multiply instead of a 64-bit
/// divide on every check.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Divisor {
    d: u64,
    /// floor((2^64 - 1) / d).
    m: u64,
}

impl Divisor {
    pub(crate) fn new(d: u64) -> Divisor {
        let d = d.max(1);
        Divisor { d, m: u64::MAX / d }
    }

    /// floor(n / d), exactly: the estimate is at most two below, then corrected.
    #[inline(always)]
    pub(crate) fn div(self, n: u64) -> u64 {
        let mut q = ((u128::from(n) * u128::from(self.m)) >> 64) as u64;
        while q.checked_add(1).and_then(|q1| q1.checked_mul(self.d)).is_some_and(|x| x <= n) {
            q += 1;
        }
        q
    }
}

/// Per-rule constants of the algorithm.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Algo {
    /// `idx` (window number mod 2^32) in the high half, count in the low half.
    Fixed { interval: Divisor, limit: u64 },
    /// Bucket number mod 2^`epoch_bits` in the high bits; `n` counts of `bits` bits below,
    /// count `i` being the bucket `i` buckets before the newest.
    Sliding { width: Divisor, limit: u64, n: u32, bits: u32, epoch_bits: u32 },
    /// Theoretical arrival time (GCRA): `ei` ns per unit, `tau` ns of burst.
    Bucket { ei: u64, tau: u64 },
}

/// What a grant took, so that an all-or-nothing request can give it back.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Taken {
    /// Window or bucket number the weight went into (unused for token buckets).
    pub(crate) epoch: u64,
    /// Weight taken.
    pub(crate) weight: u64,
}

#[inline]
fn mask(bits: u32) -> u64 {
    if bits >= 64 { u64::MAX } else { (1u64 << bits) - 1 }
}

impl Algo {
    pub(crate) fn new(rule: &Rule) -> Algo {
        let interval = rule.interval.as_nanos() as u64;
        match rule.kind {
            RuleKind::FixedWindow => Algo::Fixed { interval: Divisor::new(interval), limit: rule.limit },
            RuleKind::TokenBucket => {
                let ei = interval.div_ceil(rule.limit).max(1);
                Algo::Bucket { ei, tau: ei * rule.limit }
            }
            RuleKind::SlidingWindow => {
                let bits = 64 - rule.limit.leading_zeros();
                let n = ((64 - MIN_EPOCH_BITS) / bits).clamp(2, MAX_BUCKETS);
                let k = u64::from(n - 1);
                Algo::Sliding {
                    width: Divisor::new(interval.div_ceil(k).max(1)),
                    limit: rule.limit,
                    n,
                    bits,
                    epoch_bits: 64 - n * bits,
                }
            }
        }
    }

    /// Bucket width of a sliding window: the most it may over-wait compared to an exact log.
    #[cfg(test)]
    pub(crate) fn resolution_ns(&self) -> u64 {
        match *self {
            Algo::Sliding { width, .. } => width.d,
            _ => 0,
        }
    }

    /// Takes `w` if the budget allows it now. `Err` carries the nanoseconds until it would.
    #[inline]
    pub(crate) fn try_take(&self, cell: &AtomicU64, now: u64, w: u64) -> Result<Taken, u64> {
        let mut cur = cell.load(Ordering::Acquire);
        loop {
            let (next, taken) = self.plan(cur, now, w)?;
            // SYNC POINT: budget word. AcqRel so that every process sees the counts in the order
            // the grants happened; the CAS fails and we re-plan if anyone changed the word.
            match cell.compare_exchange_weak(cur, next, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => return Ok(taken),
                Err(seen) => cur = seen,
            }
        }
    }

    /// The word after granting `w` at `now`, or the wait.
    #[inline]
    fn plan(&self, word: u64, now: u64, w: u64) -> Result<(u64, Taken), u64> {
        match *self {
            Algo::Fixed { interval, limit } => {
                let (idx, count) = fixed_view(word, now, interval);
                if count + w <= limit {
                    Ok(((idx << 32) | (count + w), Taken { epoch: idx, weight: w }))
                } else {
                    Err(fixed_window_end(idx, now, interval).saturating_sub(now).max(1))
                }
            }
            Algo::Bucket { ei, tau } => {
                let tat = word.max(now);
                let new = tat.saturating_add(w.saturating_mul(ei));
                if new - now <= tau { Ok((new, Taken { epoch: 0, weight: w })) } else { Err(new - now - tau) }
            }
            Algo::Sliding { width, limit, n, bits, epoch_bits } => {
                let (epoch, counts) = sliding_view(word, now, width, n, bits, epoch_bits);
                let m = mask(bits);
                let sum: u64 = (0..n).map(|i| (counts >> (i * bits)) & m).sum();
                if sum + w <= limit {
                    let next = (epoch << (n * bits)) | (counts + w);
                    Ok((next, Taken { epoch, weight: w }))
                } else {
                    // Free the oldest buckets until `w` fits.
                    let cur = width.div(now);
                    let mut freed = 0;
                    let need = sum + w - limit;
                    for i in (0..n).rev() {
                        freed += (counts >> (i * bits)) & m;
                        if freed >= need {
                            // Bucket `cur - i` stops counting when bucket `cur - i + n` begins.
                            let at = (cur - u64::from(i).min(cur) + u64::from(n)).saturating_mul(width.d);
                            return Err(at.saturating_sub(now).max(1));
                        }
                    }
                    Err(width.d)
                }
            }
        }
    }

    /// Gives back what [`Algo::try_take`] took, if it still counts.
    pub(crate) fn undo(&self, cell: &AtomicU64, taken: Taken) {
        let mut cur = cell.load(Ordering::Acquire);
        loop {
            let next = match *self {
                Algo::Fixed { .. } => {
                    if cur >> 32 != taken.epoch {
                        return;
                    }
                    (cur & !mask(32)) | (cur & mask(32)).saturating_sub(taken.weight)
                }
                Algo::Bucket { ei, .. } => cur.saturating_sub(taken.weight.saturating_mul(ei)),
                Algo::Sliding { n, bits, epoch_bits, .. } => {
                    let stored = cur >> (n * bits);
                    // How many buckets the one the weight went into is behind the newest stored.
                    let behind = stored.wrapping_sub(taken.epoch) & mask(epoch_bits);
                    if behind >= u64::from(n) {
                        return;
                    }
                    let shift = behind as u32 * bits;
                    let c = (cur >> shift) & mask(bits);
                    cur - (c.min(taken.weight) << shift)
                }
            };
            // SYNC POINT: budget word (see `try_take`).
            match cell.compare_exchange_weak(cur, next, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => return,
                Err(seen) => cur = seen,
            }
        }
    }

    /// Nanoseconds until `w` would fit, without taking anything (0 = fits now).
    pub(crate) fn wait_for(&self, cell: &AtomicU64, now: u64, w: u64) -> u64 {
        match self.plan(cell.load(Ordering::Acquire), now, w) {
            Ok(_) => 0,
            Err(wait) => wait,
        }
    }

    /// Weight counted against the budget at `now`.
    pub(crate) fn usage(&self, cell: &AtomicU64, now: u64) -> u64 {
        let word = cell.load(Ordering::Acquire);
        match *self {
            Algo::Fixed { interval, .. } => fixed_view(word, now, interval).1,
            Algo::Bucket { ei, .. } => (word.max(now) - now).div_ceil(ei),
            Algo::Sliding { width, n, bits, epoch_bits, .. } => {
                let counts = sliding_view(word, now, width, n, bits, epoch_bits).1;
                (0..n).map(|i| (counts >> (i * bits)) & mask(bits)).sum()
            }
        }
    }

    /// Raises the usage to at least `used` (the venue's own count, from a response header).
    pub(crate) fn observe(&self, cell: &AtomicU64, now: u64, used: u64) {
        let mut cur = cell.load(Ordering::Acquire);
        loop {
            let next = match *self {
                Algo::Fixed { interval, limit } => {
                    let (idx, count) = fixed_view(cur, now, interval);
                    (idx << 32) | count.max(used.min(limit.max(count)))
                }
                Algo::Bucket { ei, .. } => cur.max(now.saturating_add(used.saturating_mul(ei))),
                Algo::Sliding { width, limit, n, bits, epoch_bits } => {
                    let (epoch, counts) = sliding_view(cur, now, width, n, bits, epoch_bits);
                    let sum: u64 = (0..n).map(|i| (counts >> (i * bits)) & mask(bits)).sum();
                    let add = used.min(limit).saturating_sub(sum).min(mask(bits) - (counts & mask(bits)));
                    (epoch << (n * bits)) | (counts + add)
                }
            };
            if next == cur {
                return;
            }
            // SYNC POINT: budget word (see `try_take`).
            match cell.compare_exchange_weak(cur, next, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => return,
                Err(seen) => cur = seen,
            }
        }
    }
}

/// Window number (mod 2^32) and count in effect at `now`. A stored window ahead of `now` (the
/// clock stepped back) stays in effect, which can only make the limiter stricter.
#[inline]
fn fixed_view(word: u64, now: u64, interval: Divisor) -> (u64, u64) {
    let idx = interval.div(now) & mask(32);
    let stored = word >> 32;
    let ahead = stored.wrapping_sub(idx) & mask(32);
    if word == 0 {
        (idx, 0)
    } else if stored == idx || (ahead != 0 && ahead < 1 << 31) {
        (stored, word & mask(32))
    } else {
        (idx, 0)
    }
}

/// End of window `idx` (mod 2^32) as seen from `now`.
fn fixed_window_end(idx: u64, now: u64, interval: Divisor) -> u64 {
    let cur = interval.div(now);
    let ahead = idx.wrapping_sub(cur) & mask(32);
    let window = if ahead < 1 << 31 { cur + ahead } else { cur };
    (window + 1).saturating_mul(interval.d)
}

/// Bucket number (mod 2^`epoch_bits`) and packed counts in effect at `now`, the counts shifted
/// so that count 0 is the bucket `now` falls in.
#[inline]
fn sliding_view(word: u64, now: u64, width: Divisor, n: u32, bits: u32, epoch_bits: u32) -> (u64, u64) {
    let cur = width.div(now) & mask(epoch_bits);
    let stored = word >> (n * bits);
    let counts = word & mask(n * bits);
    if counts == 0 {
        return (cur, 0);
    }
    let behind = cur.wrapping_sub(stored) & mask(epoch_bits);
    if behind == 0 || behind >= 1 << (epoch_bits - 1) {
        // Same bucket, or the stored one is ahead (clock stepped back): keep it.
        (stored, counts)
    } else if behind >= u64::from(n) {
        (cur, 0)
    } else {
        (cur, (counts << (behind as u32 * bits)) & mask(n * bits))
    }
}

#[cfg(test)]
mod tests {
    use super::Divisor;

    #[test]
    fn divisor_is_exact() {
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for d in [1, 2, 3, 7, 10, 1_000, 999_999_937, 1_000_000_000, 20_000_000_000, u64::MAX / 3, u64::MAX] {
            let div = Divisor::new(d);
            for n in [0, 1, d - 1, d, d.wrapping_add(1), u64::MAX, u64::MAX - 1, 1_764_000_000_123_456_789] {
                assert_eq!(div.div(n), n / d, "{n} / {d}");
            }
            for _ in 0..10_000 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                assert_eq!(div.div(x), x / d, "{x} / {d}");
            }
        }
    }
}
