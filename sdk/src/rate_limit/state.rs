//! The counting algorithms. Each budget (a rule, or a rule and one key) is one 64-bit atomic
//! word updated by compare-and-swap, so the same code serves a limiter in process memory and
//! one in a shared-memory file that many processes update at once. The state is made of
//! timestamps and counts only: a process that dies holds nothing, and whatever it had taken
//! expires with its window.
//!
//! Window budgets keep their window or bucket number modulo a power of two in the word, so a
//! word left alone long enough would look current again. Beside each word, a second one holds
//! the full number of the newest window or bucket a grant was planned in (`touched`, raised
//! before the grant's compare-and-swap): a word whose `touched` is a whole window behind holds
//! only expired counts, however long it was idle. A stored window ahead of the clock (the wall
//! clock stepped back) keeps its counts, moved to the current window: they expire one window
//! later in the new timeline, so a step back neither hands out budget again nor freezes it.

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
    /// Window or bucket number the weight went into; for a token bucket, the word it wrote.
    pub(crate) epoch: u64,
    /// Weight taken (window budgets); for a token bucket, the word before the grant.
    pub(crate) weight: u64,
}

/// One budget's state: the word the algorithm counts in, and for window budgets the newest
/// full window or bucket number a grant was planned in (see the module docs).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget<'a> {
    pub(crate) word: &'a AtomicU64,
    pub(crate) touched: &'a AtomicU64,
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

    /// `ns` with its full window or bucket number, worked out once per check.
    #[inline(always)]
    fn at(&self, ns: u64) -> Now {
        let epoch = match *self {
            Algo::Fixed { interval, .. } => interval.div(ns),
            Algo::Sliding { width, .. } => width.div(ns),
            Algo::Bucket { .. } => 0,
        };
        Now { ns, epoch }
    }

    /// `now`'s full window or bucket number, and how many of them a word's counts live
    /// (window budgets only).
    #[inline(always)]
    fn span(&self, now: Now) -> Option<(u64, u64)> {
        match *self {
            Algo::Fixed { .. } => Some((now.epoch, 1)),
            Algo::Sliding { n, .. } => Some((now.epoch, u64::from(n))),
            Algo::Bucket { .. } => None,
        }
    }

    /// How the word `cur` counts at `now`, given `last`, the budget's `touched` word (the
    /// newest full window or bucket number a grant was planned in).
    #[inline(always)]
    fn settle(&self, cur: u64, last: u64, now: Now) -> Settled {
        match *self {
            Algo::Bucket { tau, .. } => {
                // A time past the burst horizon comes only from a clock that stepped back.
                let horizon = now.ns.saturating_add(tau);
                if cur > horizon { Settled::Moved(horizon) } else { Settled::Same }
            }
            Algo::Fixed { .. } => {
                let idx = now.epoch;
                if last > idx {
                    // Stepped back: the count of the newest planned window stays, in this one.
                    let count = if cur >> 32 == last & mask(32) { cur & mask(32) } else { 0 };
                    Settled::Moved(if count == 0 { 0 } else { ((idx & mask(32)) << 32) | count })
                } else if idx > last {
                    Settled::Expired
                } else {
                    Settled::Same
                }
            }
            Algo::Sliding { n, bits, epoch_bits, .. } => {
                let epoch = now.epoch;
                if last > epoch {
                    // Stepped back: the counts as they stood at the newest planned bucket
                    // stay, the newest in this one.
                    let (_, counts) = sliding_view_at(cur, last & mask(epoch_bits), n, bits, epoch_bits);
                    Settled::Moved(if counts == 0 { 0 } else { ((epoch & mask(epoch_bits)) << (n * bits)) | counts })
                } else if epoch >= last.saturating_add(u64::from(n)) {
                    Settled::Expired
                } else {
                    Settled::Same
                }
            }
        }
    }

    /// Prepares a write to `b` at `now`: the word to plan from (`cur` as loaded, or moved back
    /// to `now` after a clock step back) and whether it holds only expired counts.
    #[inline]
    fn prepare(&self, b: Budget<'_>, mut cur: u64, now: Now) -> (u64, bool) {
        // SYNC POINT: touched word. Loaded after the budget word: a grant raises it before its
        // compare-and-swap, so a word written by a grant we can see has a `touched` this recent.
        let last = b.touched.load(Ordering::Acquire);
        match self.settle(cur, last, now) {
            Settled::Same => (cur, false),
            Settled::Moved(moved) => {
                // SYNC POINT: budget word (see `try_take`). Whoever wins, the word no longer
                // counts from the future.
                match b.word.compare_exchange(cur, moved, Ordering::AcqRel, Ordering::Acquire) {
                    Ok(_) => {
                        cur = moved;
                        if let Some((epoch, _)) = self.span(now) {
                            // SYNC POINT: touched word: the newest plan is now's.
                            b.touched.fetch_min(epoch, Ordering::AcqRel);
                        }
                    }
                    Err(seen) => cur = seen,
                }
                (cur, false)
            }
            Settled::Expired => {
                // Raise `touched` first, and judge by the value it had: another process may
                // have just planned a grant into this word.
                let Some((epoch, span)) = self.span(now) else { return (cur, false) };
                // SYNC POINT: touched word (see above).
                let prev = b.touched.fetch_max(epoch, Ordering::AcqRel);
                (cur, epoch >= prev.saturating_add(span))
            }
        }
    }

    /// Raises `touched` to `now`'s window or bucket before a grant is written.
    #[inline(always)]
    fn touch(&self, b: Budget<'_>, now: Now) {
        if let Some((epoch, _)) = self.span(now)
            && b.touched.load(Ordering::Relaxed) < epoch
        {
            // SYNC POINT: touched word (see `prepare`); before the budget word's CAS.
            b.touched.fetch_max(epoch, Ordering::AcqRel);
        }
    }

    /// Takes `w` if the budget allows it now. `Err` carries the nanoseconds until it would.
    #[inline]
    pub(crate) fn try_take(&self, b: Budget<'_>, now: u64, w: u64) -> Result<Taken, u64> {
        let now = self.at(now);
        let (mut cur, mut expired) = self.prepare(b, b.word.load(Ordering::Acquire), now);
        loop {
            let (next, taken) = self.plan(if expired { 0 } else { cur }, now, w)?;
            self.touch(b, now);
            // SYNC POINT: budget word. AcqRel so that every process sees the counts in the order
            // the grants happened; the CAS fails and we re-plan if anyone changed the word.
            match b.word.compare_exchange_weak(cur, next, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => {
                    return Ok(match *self {
                        // What the undo needs: the word written and the one it replaced.
                        Algo::Bucket { .. } => Taken { epoch: next, weight: cur },
                        _ => taken,
                    });
                }
                Err(seen) => {
                    // Whoever changed the word planned just now: it is current.
                    if seen != cur {
                        expired = false;
                    }
                    cur = seen;
                }
            }
        }
    }

    /// The word after granting `w` at `now`, or the wait.
    #[inline]
    fn plan(&self, word: u64, at: Now, w: u64) -> Result<(u64, Taken), u64> {
        let now = at.ns;
        match *self {
            Algo::Fixed { interval, limit } => {
                let (idx, count) = fixed_view(word, at.epoch);
                if count + w <= limit {
                    Ok(((idx << 32) | (count + w), Taken { epoch: idx, weight: w }))
                } else {
                    // The count is the current window's: it ends when the next one begins.
                    Err((at.epoch + 1).saturating_mul(interval.d).saturating_sub(now).max(1))
                }
            }
            Algo::Bucket { ei, tau } => {
                // A time beyond the burst horizon comes only from a clock that stepped back:
                // the budget counts as spent, for one burst's time and not for the step's.
                let tat = word.max(now).min(now.saturating_add(tau));
                let new = tat.saturating_add(w.saturating_mul(ei));
                if new - now <= tau { Ok((new, Taken { epoch: 0, weight: w })) } else { Err(new - now - tau) }
            }
            Algo::Sliding { width, limit, n, bits, epoch_bits } => {
                let (epoch, counts) = sliding_view_at(word, at.epoch & mask(epoch_bits), n, bits, epoch_bits);
                let m = mask(bits);
                let sum: u64 = (0..n).map(|i| (counts >> (i * bits)) & m).sum();
                if sum + w <= limit {
                    let next = (epoch << (n * bits)) | (counts + w);
                    Ok((next, Taken { epoch, weight: w }))
                } else {
                    // Free the oldest buckets until `w` fits.
                    let cur = at.epoch;
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

    /// Gives back exactly what [`Algo::try_take`] took, if it still counts. Window counts are
    /// sums, so the weight comes off the window or bucket it went into whatever others added
    /// since. A token bucket's word is a time that later grants move on from: the undo puts
    /// back the word before the grant only if the word is still the one the grant wrote, and
    /// otherwise leaves it (the weight stays spent; handing it back could give out budget that
    /// another process now holds).
    pub(crate) fn undo(&self, b: Budget<'_>, taken: Taken) {
        if let Algo::Bucket { .. } = *self {
            // SYNC POINT: budget word (see `try_take`).
            let _ = b.word.compare_exchange(taken.epoch, taken.weight, Ordering::AcqRel, Ordering::Acquire);
            return;
        }
        let cell = b.word;
        let mut cur = cell.load(Ordering::Acquire);
        loop {
            let next = match *self {
                Algo::Fixed { .. } => {
                    if cur >> 32 != taken.epoch {
                        return;
                    }
                    (cur & !mask(32)) | (cur & mask(32)).saturating_sub(taken.weight)
                }
                Algo::Bucket { .. } => return,
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

    /// The word as it counts at `now`, without changing anything.
    #[inline]
    fn current(&self, b: Budget<'_>, now: Now) -> u64 {
        let word = b.word.load(Ordering::Acquire);
        // SYNC POINT: touched word (see `prepare`).
        match self.settle(word, b.touched.load(Ordering::Acquire), now) {
            Settled::Same => word,
            Settled::Moved(moved) => moved,
            Settled::Expired => 0,
        }
    }

    /// Nanoseconds until `w` would fit, without taking anything (0 = fits now).
    pub(crate) fn wait_for(&self, b: Budget<'_>, now: u64, w: u64) -> u64 {
        let now = self.at(now);
        match self.plan(self.current(b, now), now, w) {
            Ok(_) => 0,
            Err(wait) => wait,
        }
    }

    /// Weight counted against the budget at `now`.
    pub(crate) fn usage(&self, b: Budget<'_>, now: u64) -> u64 {
        let at = self.at(now);
        let word = self.current(b, at);
        match *self {
            Algo::Fixed { .. } => fixed_view(word, at.epoch).1,
            Algo::Bucket { ei, tau } => (word.max(now).min(now.saturating_add(tau)) - now).div_ceil(ei),
            Algo::Sliding { n, bits, epoch_bits, .. } => {
                let counts = sliding_view_at(word, at.epoch & mask(epoch_bits), n, bits, epoch_bits).1;
                (0..n).map(|i| (counts >> (i * bits)) & mask(bits)).sum()
            }
        }
    }

    /// Raises the usage to at least `used` (the venue's own count, from a response header).
    pub(crate) fn observe(&self, b: Budget<'_>, now: u64, used: u64) {
        let cell = b.word;
        let at = self.at(now);
        let (mut cur, mut expired) = self.prepare(b, cell.load(Ordering::Acquire), at);
        loop {
            let base = if expired { 0 } else { cur };
            let next = match *self {
                Algo::Fixed { limit, .. } => {
                    let (idx, count) = fixed_view(base, at.epoch);
                    (idx << 32) | count.max(used.min(limit.max(count)))
                }
                Algo::Bucket { ei, .. } => cur.max(now.saturating_add(used.saturating_mul(ei))),
                Algo::Sliding { limit, n, bits, epoch_bits, .. } => {
                    let (epoch, counts) = sliding_view_at(base, at.epoch & mask(epoch_bits), n, bits, epoch_bits);
                    let sum: u64 = (0..n).map(|i| (counts >> (i * bits)) & mask(bits)).sum();
                    let add = used.min(limit).saturating_sub(sum).min(mask(bits) - (counts & mask(bits)));
                    (epoch << (n * bits)) | (counts + add)
                }
            };
            if next == cur {
                return;
            }
            self.touch(b, at);
            // SYNC POINT: budget word (see `try_take`).
            match cell.compare_exchange_weak(cur, next, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => return,
                Err(seen) => {
                    if seen != cur {
                        expired = false;
                    }
                    cur = seen;
                }
            }
        }
    }
}

/// Window number (mod 2^32) and count in effect in window `epoch`. A stored window ahead of it
/// (the clock stepped back) keeps its count, in the current window: it expires when that
/// window ends, so a step back neither frees budget nor holds it for as long as the step.
#[inline]
fn fixed_view(word: u64, epoch: u64) -> (u64, u64) {
    let idx = epoch & mask(32);
    let stored = word >> 32;
    let ahead = stored.wrapping_sub(idx) & mask(32);
    if word == 0 {
        (idx, 0)
    } else if stored == idx || (ahead != 0 && ahead < 1 << 31) {
        (idx, word & mask(32))
    } else {
        (idx, 0)
    }
}

/// Bucket number (mod 2^`epoch_bits`) and packed counts in effect in bucket `cur` (mod
/// 2^`epoch_bits`), the counts shifted so that count 0 is bucket `cur`.
#[inline]
fn sliding_view_at(word: u64, cur: u64, n: u32, bits: u32, epoch_bits: u32) -> (u64, u64) {
    let stored = word >> (n * bits);
    let counts = word & mask(n * bits);
    if counts == 0 {
        return (cur, 0);
    }
    let behind = cur.wrapping_sub(stored) & mask(epoch_bits);
    if behind == 0 || behind >= 1 << (epoch_bits - 1) {
        // Same bucket, or the stored one is ahead (planned on a clock that has since stepped
        // back, before the step was seen): the counts stay, the newest in the current bucket.
        (cur, counts)
    } else if behind >= u64::from(n) {
        (cur, 0)
    } else {
        (cur, (counts << (behind as u32 * bits)) & mask(n * bits))
    }
}

/// A time and its full window or bucket number (see `Algo::at`).
#[derive(Debug, Clone, Copy)]
struct Now {
    ns: u64,
    epoch: u64,
}

/// How a budget word counts now (see `Algo::settle`).
#[derive(Debug, Clone, Copy)]
enum Settled {
    /// As it is.
    Same,
    /// Nothing: every count in it has expired.
    Expired,
    /// As this word: the clock stepped back behind the newest grant, whose counts are moved
    /// to now, to expire from here.
    Moved(u64),
}

#[cfg(test)]
mod tests {
    use std::{
        sync::atomic::{AtomicU64, Ordering},
        time::Duration,
    };

    use super::{Algo, Budget, Divisor, Taken};
    use crate::rate_limit::Rule;

    const SEC: u64 = 1_000_000_000;

    /// One budget's two words, as a limiter keeps them.
    struct Cells([AtomicU64; 2]);

    impl Cells {
        fn new() -> Cells {
            Cells([AtomicU64::new(0), AtomicU64::new(0)])
        }
        fn budget(&self) -> Budget<'_> {
            Budget { word: &self.0[0], touched: &self.0[1] }
        }
    }

    #[test]
    fn a_token_bucket_undo_after_another_process_moved_on_hands_out_nothing() {
        // Burst 2 per second. Process 1 takes one token at 0 s; process 2 takes two at 2 s;
        // process 1 gives its token back (a later rule refused it); a third take at 2 s must
        // still be refused.
        let algo = Algo::new(&Rule::token_bucket("b", 2, Duration::from_secs(1)));
        let c = Cells::new();
        let p1 = algo.try_take(c.budget(), SEC, 1).unwrap();
        algo.try_take(c.budget(), 3 * SEC, 1).unwrap();
        algo.try_take(c.budget(), 3 * SEC, 1).unwrap();
        algo.undo(c.budget(), p1);
        assert!(algo.try_take(c.budget(), 3 * SEC, 1).is_err(), "the undo gave out another process's budget");
    }

    #[test]
    fn a_token_bucket_undo_right_after_its_grant_gives_it_back() {
        let algo = Algo::new(&Rule::token_bucket("b", 2, Duration::from_secs(1)));
        let c = Cells::new();
        algo.try_take(c.budget(), SEC, 1).unwrap();
        let t = algo.try_take(c.budget(), SEC, 1).unwrap();
        assert!(algo.try_take(c.budget(), SEC, 1).is_err());
        algo.undo(c.budget(), t);
        assert!(algo.try_take(c.budget(), SEC, 1).is_ok(), "given back");
    }

    /// What one process does to a budget, one atomic step at a time.
    #[derive(Debug, Clone, Copy)]
    enum Op {
        /// Takes `w` at `at` (ns); a grant is remembered for the process's undo.
        Take { at: u64, w: u64 },
        /// Gives back the process's last grant.
        Undo,
    }

    /// Runs every interleaving of `procs` (each process's steps in its own order) against a
    /// fresh budget and returns the most weight ever granted and not given back, over all
    /// interleavings, with the interleaving that reached it.
    fn worst(algo: Algo, procs: &[Vec<Op>]) -> (u64, Vec<usize>) {
        fn go(
            algo: Algo,
            procs: &[Vec<Op>],
            pos: &mut Vec<usize>,
            order: &mut Vec<usize>,
            best: &mut (u64, Vec<usize>),
        ) {
            if pos.iter().zip(procs).all(|(p, ops)| *p == ops.len()) {
                // Replay this order.
                let c = Cells::new();
                let mut last: Vec<Option<(Taken, u64)>> = vec![None; procs.len()];
                let mut held = 0u64;
                let mut at = vec![0usize; procs.len()];
                for &p in order.iter() {
                    match procs[p][at[p]] {
                        Op::Take { at: now, w } => {
                            if let Ok(t) = algo.try_take(c.budget(), now, w) {
                                last[p] = Some((t, w));
                                held += w;
                            }
                        }
                        Op::Undo => {
                            if let Some((t, w)) = last[p].take() {
                                let before = c.0[0].load(Ordering::Relaxed);
                                algo.undo(c.budget(), t);
                                // An undo that changed the word gave the weight back.
                                if c.0[0].load(Ordering::Relaxed) != before {
                                    held -= w;
                                }
                            }
                        }
                    }
                    at[p] += 1;
                }
                if held > best.0 {
                    *best = (held, order.clone());
                }
                return;
            }
            for p in 0..procs.len() {
                if pos[p] < procs[p].len() {
                    pos[p] += 1;
                    order.push(p);
                    go(algo, procs, pos, order, best);
                    order.pop();
                    pos[p] -= 1;
                }
            }
        }
        let mut best = (0, Vec::new());
        go(algo, procs, &mut vec![0; procs.len()], &mut Vec::new(), &mut best);
        best
    }

    #[test]
    fn no_interleaving_of_grants_and_undos_exceeds_the_limit() {
        // Every rule kind with a limit of 2 per second; three processes act within one second
        // (so nothing expires in between and the limit is a hard bound on what is held).
        let rules = [
            Rule::token_bucket("b", 2, Duration::from_secs(1)),
            Rule::fixed_window("f", 2, Duration::from_secs(1)),
            Rule::sliding_window("s", 2, Duration::from_secs(1)),
        ];
        let t = |ms: u64| 10 * SEC + ms * 1_000_000;
        let procs = vec![
            vec![Op::Take { at: t(0), w: 1 }, Op::Undo, Op::Take { at: t(30), w: 1 }],
            vec![Op::Take { at: t(10), w: 2 }, Op::Undo],
            vec![Op::Take { at: t(20), w: 1 }, Op::Take { at: t(40), w: 1 }],
        ];
        for rule in &rules {
            let (held, order) = worst(Algo::new(rule), &procs);
            assert!(held <= 2, "{}: {held} held after order {order:?}", rule.name);
        }
    }

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
