//! A rate limiter for venue request budgets, in process memory or shared by every process on a
//! host through a shared-memory file.
//!
//! A [`Limiter`] holds [`Rule`]s: sliding window, fixed window or token bucket; scoped globally,
//! to an endpoint glob, per source IP or per account; weighted per HTTP method. A request is
//! checked against every rule whose scope it falls in and is granted only if all of them allow
//! it (all or nothing). [`Limiter::try_acquire`] answers at once with a grant or how long to
//! wait; [`Limiter::acquire`] waits up to a timeout. Neither treats "not yet" as an error.
//!
//! Each budget is one 64-bit word changed by compare-and-swap, so a check costs the same
//! whatever the traffic (the seed scans its whole sliding log on every call), takes no lock and
//! allocates nothing. [`Limiter::shared`] puts those words in a file under `/dev/shm`, so
//! every strategy process on the host draws from one venue budget; since the words hold only
//! timestamps and counts, a process killed at any point leaves nothing held that its window
//! does not expire. Beside each window budget's word, a second word keeps the full number of
//! the newest window a grant was planned in, so a budget left alone for any time, seconds or
//! weeks, is whole again once its window has passed, and a wall clock that steps back keeps
//! what was spent for one window from the step (never handing it out again, never holding it
//! for as long as the step). Giving back a grant (all or nothing) takes back exactly what it
//! added: a window's count loses the weight; a token bucket's time is put back only if no
//! other grant moved it on since.
//!
//! # Where mdbus differs from the seed on purpose
//!
//! - Token buckets are real (GCRA); the seed accepts them and limits nothing.
//! - IP scopes count per IP; the seed's never match. Account scopes are new.
//! - A sliding window is kept as `n` sub-window buckets in one word (`n` from 2 to 8, more for
//!   smaller limits), so a caller may wait up to `interval / (n - 1)` longer than an exact log
//!   says, but no window of `interval` ever holds more than `limit`. Limits above 16,777,215
//!   need a fixed window or token bucket.
//! - A wait is the time until the request fits, not until the oldest entry expires.
//! - Budgets can be corrected from the venue's own count ([`Limiter::observe`]).
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//! use mdbus_sdk::rate_limit::{Acquire, FakeClock, Limiter, Request, Rule};
//!
//! let clock = FakeClock::new(0);
//! let limiter = Limiter::with_clock(
//!     [
//!         Rule::sliding_window("global", 1200, Duration::from_secs(60)),
//!         Rule::fixed_window("order", 10, Duration::from_secs(1))
//!             .endpoint("/api/v3/order*")
//!             .method_weight("POST", 10),
//!     ],
//!     clock.clone(),
//! )?;
//! let order = Request::new("POST", "/api/v3/order");
//! assert_eq!(limiter.try_acquire(&order)?, Acquire::Granted);
//! // The order window is full: wait for the next second, and nothing was taken from "global".
//! assert_eq!(limiter.try_acquire(&order)?, Acquire::Wait { after: Duration::from_secs(1), rule: 1 });
//! assert_eq!(limiter.usage(&order), [1, 10]);
//! clock.advance(Duration::from_secs(1));
//! assert_eq!(limiter.try_acquire(&order)?, Acquire::Granted);
//! # Ok::<(), mdbus_sdk::rate_limit::LimitError>(())
//! ```

mod glob;
mod rule;
mod state;

use std::{
    net::{IpAddr, Ipv4Addr},
    path::Path,
    sync::atomic::AtomicU64,
    time::Duration,
};

pub use crate::clock::{Clock, CoarseClock, FakeClock, SystemClock};
pub use rule::{MethodWeight, Rule, RuleKind, Scope};
use state::{Algo, Budget};

/// Most rules a limiter holds.
pub const MAX_RULES: usize = 16;
/// Version of the shared-file layout, part of its tag.
const SHARED_FORMAT: u64 = 2;

/// Errors from building or using a limiter. A request that must merely wait is not an error:
/// see [`Acquire::Wait`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LimitError {
    /// A rule is malformed.
    #[error("rate-limit rule {rule:?}: {reason}")]
    InvalidRule {
        /// The rule's name.
        rule: String,
        /// What is wrong.
        reason: String,
    },
    /// Two rules have one name.
    #[error("two rate-limit rules are named {0:?}")]
    DuplicateRule(String),
    /// More rules than [`MAX_RULES`].
    #[error("{0} rate-limit rules, at most {MAX_RULES} are supported")]
    TooManyRules(usize),
    /// The request weighs more than a rule allows in a whole window: it can never be granted.
    #[error("request weight {weight} exceeds rule {rule:?}'s whole limit {limit}")]
    WeightAboveLimit {
        /// The rule's name.
        rule: String,
        /// The request's weight under that rule.
        weight: u64,
        /// The rule's limit.
        limit: u64,
    },
    /// A keyed rule already tracks as many IPs or accounts as it has room for.
    #[error("rate-limit rule {rule:?} already tracks {keys} keys (raise `keys`)")]
    KeysExhausted {
        /// The rule's name.
        rule: String,
        /// Its capacity.
        keys: usize,
    },
    /// The shared-memory file could not be opened or belongs to another rule set.
    #[error("shared rate-limit state: {0}")]
    Shared(#[from] mdbus_bus::OpenError),
}

/// The answer to a request for budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Acquire {
    /// Every matching rule granted the request; its weight is counted.
    Granted,
    /// Some rule refuses for now; nothing was counted. `after` is how long until every
    /// matching rule would allow the request as things stand; `rule` is the index of the
    /// refusing rule with the longest wait.
    Wait {
        /// Time until the request would fit.
        after: Duration,
        /// Index of the rule that refuses longest (see [`Limiter::rules`]).
        rule: usize,
    },
}

impl Acquire {
    /// Returns whether the request was granted.
    pub fn is_granted(self) -> bool {
        self == Acquire::Granted
    }
}

/// The outcome of checking every rule (see `Limiter::take_all`).
#[derive(Debug, Clone, Copy)]
enum Step {
    Granted,
    Wait { after: u64, rule: usize },
    TooHeavy { rule: usize, weight: u64 },
    NoKeySlot { rule: usize },
}

/// One request as the limiter sees it.
///
/// # Examples
///
/// ```
/// use mdbus_sdk::rate_limit::Request;
///
/// let r = Request::new("GET", "/api/v3/depth").weight(5).account("main");
/// assert_eq!((r.weight, r.account), (5, Some("main")));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Request<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// Request path (no host, no query).
    pub path: &'a str,
    /// Multiplier of each rule's weight. Default 1.
    pub weight: u32,
    /// Source IP the request leaves from, if bound to one.
    pub ip: Option<IpAddr>,
    /// Account the request is made for, if any.
    pub account: Option<&'a str>,
}

impl<'a> Request<'a> {
    /// Returns a request with weight 1, no IP and no account.
    pub fn new(method: &'a str, path: &'a str) -> Request<'a> {
        Request { method, path, weight: 1, ip: None, account: None }
    }

    /// Sets the weight multiplier.
    pub fn weight(mut self, weight: u32) -> Request<'a> {
        self.weight = weight;
        self
    }

    /// Sets the source IP.
    pub fn ip(mut self, ip: IpAddr) -> Request<'a> {
        self.ip = Some(ip);
        self
    }

    /// Sets the account.
    pub fn account(mut self, account: &'a str) -> Request<'a> {
        self.account = Some(account);
        self
    }
}

/// How a rule's scope is tested against a request path, chosen once at build time: most
/// endpoint patterns are a literal or a literal followed by `*`.
#[derive(Debug)]
enum PathMatch {
    Any,
    Exact(String),
    Prefix(String),
    Glob(String),
}

impl PathMatch {
    fn new(scope: &Scope) -> PathMatch {
        match scope {
            Scope::Endpoint(g) => {
                let special = |s: &str| s.contains(['*', '?', '[']);
                match g.strip_suffix('*') {
                    _ if !special(g) => PathMatch::Exact(g.clone()),
                    Some(p) if !special(p) => PathMatch::Prefix(p.to_owned()),
                    _ => PathMatch::Glob(g.clone()),
                }
            }
            _ => PathMatch::Any,
        }
    }

    #[inline(always)]
    fn matches(&self, path: &str) -> bool {
        match self {
            PathMatch::Any => true,
            PathMatch::Exact(p) => path == p,
            PathMatch::Prefix(p) => path.starts_with(p.as_str()),
            PathMatch::Glob(g) => glob::matches(g, path),
        }
    }
}

#[derive(Debug)]
struct Compiled {
    rule: Rule,
    algo: Algo,
    path: PathMatch,
    /// The weight of every request, when the rule has no per-method weights.
    flat_weight: Option<u32>,
    /// First cell of the rule.
    base: usize,
}

impl Compiled {
    /// The request's weight under this rule.
    #[inline]
    fn weight(&self, req: &Request<'_>) -> u64 {
        let per = match self.flat_weight {
            Some(w) => w,
            None => self.rule.weight_for(req.method, req.path),
        };
        u64::from(per) * u64::from(req.weight.max(1))
    }
}

#[derive(Debug)]
enum Store {
    Heap(Box<[AtomicU64]>),
    Shared(mdbus_bus::SharedCells),
}

impl Store {
    #[inline]
    fn cells(&self) -> &[AtomicU64] {
        match self {
            Store::Heap(c) => c,
            Store::Shared(s) => s.cells(),
        }
    }
}

/// A set of rules and their budgets. `Sync`: share one limiter between threads with a
/// reference or an `Arc`, and between processes with [`Limiter::shared`].
#[derive(Debug)]
pub struct Limiter<C: Clock = CoarseClock> {
    rules: Box<[Compiled]>,
    store: Store,
    clock: C,
}

fn fnv1a(bytes: &[u8], mut h: u64) -> u64 {
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

fn compile(rules: impl IntoIterator<Item = Rule>) -> Result<(Box<[Compiled]>, usize), LimitError> {
    let mut out: Vec<Compiled> = Vec::new();
    let mut cells = 0;
    for rule in rules {
        rule.validate()?;
        if out.iter().any(|c| c.rule.name == rule.name) {
            return Err(LimitError::DuplicateRule(rule.name));
        }
        let algo = Algo::new(&rule);
        let base = cells;
        // A budget is two words (see `state::Budget`); a keyed rule's slots have its key first.
        cells += if rule.scope.is_keyed() { 3 * rule.keys } else { 2 };
        let path = PathMatch::new(&rule.scope);
        let flat_weight = rule.method_weights.is_empty().then_some(rule.weight);
        out.push(Compiled { rule, algo, path, flat_weight, base });
    }
    if out.len() > MAX_RULES {
        return Err(LimitError::TooManyRules(out.len()));
    }
    Ok((out.into_boxed_slice(), cells.max(1)))
}

impl Limiter<CoarseClock> {
    /// Returns an in-process limiter on the wall clock ([`CoarseClock`]).
    ///
    /// # Errors
    ///
    /// [`LimitError::InvalidRule`], [`LimitError::DuplicateRule`] or
    /// [`LimitError::TooManyRules`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use mdbus_sdk::rate_limit::{Limiter, Request, Rule};
    ///
    /// let limiter = Limiter::new([Rule::token_bucket("rest", 20, Duration::from_secs(2))])?;
    /// assert!(limiter.try_acquire(&Request::new("GET", "/api/v5/market/books"))?.is_granted());
    /// # Ok::<(), mdbus_sdk::rate_limit::LimitError>(())
    /// ```
    pub fn new(rules: impl IntoIterator<Item = Rule>) -> Result<Limiter, LimitError> {
        Limiter::with_clock(rules, CoarseClock)
    }

    /// Opens (or creates) the limiter state in the shared-memory file at `path`, on the wall
    /// clock ([`CoarseClock`], which every process on the host reads alike). Every process that opens the same file with the same rules draws from the same
    /// budgets; a process with other rules gets [`LimitError::Shared`] instead of mixing up
    /// counts. The file is created with mode `0o660` so a group of strategy processes can share
    /// it.
    ///
    /// # Errors
    ///
    /// As [`Limiter::new`], plus [`LimitError::Shared`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use mdbus_sdk::rate_limit::{Limiter, Request, Rule};
    ///
    /// let dir = mdbus_bus::RingDir::new(std::env::temp_dir().join(format!("mdbus-lim-doc-{}", std::process::id())));
    /// let rules = || [Rule::fixed_window("orders", 1, Duration::from_secs(3600))];
    /// let a = Limiter::shared(dir.cells_path("venue.limits")?, rules())?;
    /// let b = Limiter::shared(dir.cells_path("venue.limits")?, rules())?; // another process, say
    /// let req = Request::new("POST", "/order");
    /// assert!(a.try_acquire(&req)?.is_granted());
    /// assert!(!b.try_acquire(&req)?.is_granted());
    /// # drop((a, b)); std::fs::remove_dir_all(dir.path()).unwrap();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn shared(path: impl AsRef<Path>, rules: impl IntoIterator<Item = Rule>) -> Result<Limiter, LimitError> {
        Limiter::shared_with_clock(path, rules, CoarseClock)
    }
}

impl<C: Clock> Limiter<C> {
    /// Returns an in-process limiter reading `clock`.
    ///
    /// # Errors
    ///
    /// As [`Limiter::new`].
    pub fn with_clock(rules: impl IntoIterator<Item = Rule>, clock: C) -> Result<Limiter<C>, LimitError> {
        let (rules, cells) = compile(rules)?;
        let store = Store::Heap((0..cells).map(|_| AtomicU64::new(0)).collect());
        Ok(Limiter { rules, store, clock })
    }

    /// As [`Limiter::shared`], reading `clock` (every sharing process must read the same one).
    ///
    /// # Errors
    ///
    /// As [`Limiter::shared`].
    pub fn shared_with_clock(
        path: impl AsRef<Path>,
        rules: impl IntoIterator<Item = Rule>,
        clock: C,
    ) -> Result<Limiter<C>, LimitError> {
        let (rules, cells) = compile(rules)?;
        let mut tag = fnv1a(&SHARED_FORMAT.to_le_bytes(), FNV_OFFSET);
        for c in rules.iter() {
            tag = fnv1a(format!("{:?}", c.rule).as_bytes(), tag);
        }
        let shared = mdbus_bus::SharedCells::open_or_create(path, tag, cells, 0o660)?;
        Ok(Limiter { rules, store: Store::Shared(shared), clock })
    }

    /// Returns the rules, in the order they are checked.
    pub fn rules(&self) -> impl ExactSizeIterator<Item = &Rule> {
        self.rules.iter().map(|c| &c.rule)
    }

    /// Returns the clock.
    pub fn clock(&self) -> &C {
        &self.clock
    }

    /// Returns whether the state lives in a shared-memory file.
    pub fn is_shared(&self) -> bool {
        matches!(self.store, Store::Shared(_))
    }

    /// The key a keyed rule counts the request under, or `None` when the request is outside
    /// the rule's scope. Unkeyed rules in scope give `Some(0)`.
    #[inline]
    fn key(c: &Compiled, req: &Request<'_>) -> Option<u64> {
        match &c.rule.scope {
            Scope::Global => Some(0),
            Scope::Endpoint(_) => c.path.matches(req.path).then_some(0),
            Scope::Ip(only) => {
                let ip = req.ip.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
                if only.is_some_and(|o| o != ip) {
                    return None;
                }
                Some(
                    match ip {
                        IpAddr::V4(a) => fnv1a(&a.octets(), fnv1a(b"4", FNV_OFFSET)),
                        IpAddr::V6(a) => fnv1a(&a.octets(), fnv1a(b"6", FNV_OFFSET)),
                    } | 1,
                )
            }
            Scope::Account(only) => {
                let acct = req.account?;
                if only.as_deref().is_some_and(|o| o != acct) {
                    return None;
                }
                Some(fnv1a(acct.as_bytes(), FNV_OFFSET) | 1)
            }
        }
    }

    /// The state cell of `rule` for `key`, claiming a key slot if `claim`.
    #[inline(always)]
    fn cell(&self, c: &Compiled, key: u64, claim: bool) -> Result<Option<Budget<'_>>, LimitError> {
        let cells = self.store.cells();
        let budget = |at: usize| Budget { word: &cells[at], touched: &cells[at + 1] };
        if !c.rule.scope.is_keyed() {
            return Ok(Some(budget(c.base)));
        }
        let keys = c.rule.keys;
        let start = (key % keys as u64) as usize;
        for i in 0..keys {
            let j = (start + i) % keys;
            let slot = &cells[c.base + 3 * j];
            // SYNC POINT: key slot. A slot is claimed once (0 → key) and never changes again.
            let seen = slot.load(std::sync::atomic::Ordering::Acquire);
            if seen == key {
                return Ok(Some(budget(c.base + 3 * j + 1)));
            }
            if seen == 0 {
                if !claim {
                    return Ok(None);
                }
                match slot.compare_exchange(
                    0,
                    key,
                    std::sync::atomic::Ordering::AcqRel,
                    std::sync::atomic::Ordering::Acquire,
                ) {
                    Ok(_) => return Ok(Some(budget(c.base + 3 * j + 1))),
                    Err(now) if now == key => return Ok(Some(budget(c.base + 3 * j + 1))),
                    Err(_) => {}
                }
            }
        }
        Err(LimitError::KeysExhausted { rule: c.rule.name.clone(), keys })
    }

    /// Takes the request's weight from every rule it falls under, or from none.
    ///
    /// Constant time per rule, no allocation, no lock, no system call (on the wall clock).
    ///
    /// # Errors
    ///
    /// [`LimitError::WeightAboveLimit`] for a request that could never be granted, and
    /// [`LimitError::KeysExhausted`]. A request that must wait is `Ok(Acquire::Wait { .. })`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use mdbus_sdk::rate_limit::{Acquire, FakeClock, Limiter, Request, Rule};
    ///
    /// let clock = FakeClock::new(0);
    /// let limiter = Limiter::with_clock([Rule::token_bucket("b", 2, Duration::from_secs(1))], clock)?;
    /// let r = Request::new("GET", "/x");
    /// assert!(limiter.try_acquire(&r)?.is_granted());
    /// assert!(limiter.try_acquire(&r)?.is_granted());
    /// assert_eq!(limiter.try_acquire(&r)?, Acquire::Wait { after: Duration::from_millis(500), rule: 0 });
    /// # Ok::<(), mdbus_sdk::rate_limit::LimitError>(())
    /// ```
    pub fn try_acquire(&self, req: &Request<'_>) -> Result<Acquire, LimitError> {
        let now = self.clock.now_ns();
        self.try_acquire_at(req, now)
    }

    /// As [`Limiter::try_acquire`], at time `now` (nanoseconds on the limiter's clock) instead
    /// of reading the clock: for callers that already hold a timestamp, and for replaying a
    /// schedule.
    ///
    /// # Errors
    ///
    /// As [`Limiter::try_acquire`].
    pub fn try_acquire_at(&self, req: &Request<'_>, now: u64) -> Result<Acquire, LimitError> {
        match self.take_all(req, now) {
            Step::Granted => Ok(Acquire::Granted),
            Step::Wait { after, rule } => Ok(Acquire::Wait { after: Duration::from_nanos(after), rule }),
            Step::TooHeavy { rule, weight } => {
                let r = &self.rules[rule].rule;
                Err(LimitError::WeightAboveLimit { rule: r.name.clone(), weight, limit: r.limit })
            }
            Step::NoKeySlot { rule } => {
                let r = &self.rules[rule].rule;
                Err(LimitError::KeysExhausted { rule: r.name.clone(), keys: r.keys })
            }
        }
    }

    /// Takes the request from every matching rule, or from none: on a refusal the grants made
    /// so far are given back. Returns a small [`Step`] rather than a `Result` carrying error
    /// strings, so nothing large is built on the hot path.
    #[inline]
    fn take_all(&self, req: &Request<'_>, now: u64) -> Step {
        // What each grant took, by rule index: bit i of `mask` set when `taken[i]` holds one.
        let mut taken = [state::Taken::default(); MAX_RULES];
        let mut mask = 0u32;
        for (i, c) in self.rules.iter().enumerate() {
            let Some(key) = Self::key(c, req) else { continue };
            let cell = match self.cell(c, key, true) {
                Ok(Some(cell)) => cell,
                Ok(None) => continue,
                Err(_) => {
                    self.undo(&taken, mask, req);
                    return Step::NoKeySlot { rule: i };
                }
            };
            let w = c.weight(req);
            if w > c.rule.limit {
                self.undo(&taken, mask, req);
                return Step::TooHeavy { rule: i, weight: w };
            }
            match c.algo.try_take(cell, now, w) {
                Ok(t) => {
                    taken[i] = t;
                    mask |= 1 << i;
                }
                Err(wait) => {
                    self.undo(&taken, mask, req);
                    let (mut after, mut rule) = (wait, i);
                    for (j, other) in self.rules.iter().enumerate().skip(i + 1) {
                        let Some(key) = Self::key(other, req) else { continue };
                        let Ok(Some(cell)) = self.cell(other, key, false) else { continue };
                        let wj = other.algo.wait_for(cell, now, other.weight(req));
                        if wj > after {
                            (after, rule) = (wj, j);
                        }
                    }
                    return Step::Wait { after, rule };
                }
            }
        }
        Step::Granted
    }

    /// Gives back the grants marked in `mask` (bit = rule index).
    #[cold]
    fn undo(&self, taken: &[state::Taken; MAX_RULES], mask: u32, req: &Request<'_>) {
        for (i, (c, &t)) in self.rules.iter().zip(taken).enumerate() {
            if mask & (1 << i) == 0 {
                continue;
            }
            if let Some(key) = Self::key(c, req)
                && let Ok(Some(cell)) = self.cell(c, key, false)
            {
                c.algo.undo(cell, t);
            }
        }
    }

    /// Waits until the request is granted, or until waiting longer would pass `timeout`.
    ///
    /// Sleeps through the clock ([`Clock::sleep`]), so on a [`FakeClock`] it returns at once.
    /// Gives up early, without sleeping, when the known wait already exceeds what is left of
    /// the timeout, returning that wait.
    ///
    /// # Errors
    ///
    /// As [`Limiter::try_acquire`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use mdbus_sdk::rate_limit::{FakeClock, Limiter, Request, Rule};
    ///
    /// let clock = FakeClock::new(0);
    /// let limiter = Limiter::with_clock([Rule::fixed_window("w", 1, Duration::from_secs(1))], clock)?;
    /// let r = Request::new("GET", "/x");
    /// assert!(limiter.acquire(&r, Duration::ZERO)?.is_granted());
    /// assert!(!limiter.acquire(&r, Duration::from_millis(10))?.is_granted());
    /// assert!(limiter.acquire(&r, Duration::from_secs(2))?.is_granted()); // slept a fake second
    /// # Ok::<(), mdbus_sdk::rate_limit::LimitError>(())
    /// ```
    pub fn acquire(&self, req: &Request<'_>, timeout: Duration) -> Result<Acquire, LimitError> {
        let start = self.clock.now_ns();
        let deadline = start.saturating_add(timeout.as_nanos().min(u128::from(u64::MAX)) as u64);
        loop {
            let now = self.clock.now_ns();
            match self.try_acquire_at(req, now)? {
                Acquire::Granted => return Ok(Acquire::Granted),
                Acquire::Wait { after, rule } => {
                    let left = deadline.saturating_sub(now);
                    if after.as_nanos() > u128::from(left) {
                        return Ok(Acquire::Wait { after, rule });
                    }
                    self.clock.sleep(after);
                }
            }
        }
    }

    /// Returns the weight each rule counts against the request's budget now (0 for rules the
    /// request is outside of), in rule order.
    pub fn usage(&self, req: &Request<'_>) -> Vec<u64> {
        let now = self.clock.now_ns();
        self.rules
            .iter()
            .map(|c| match Self::key(c, req).map(|k| self.cell(c, k, false)) {
                Some(Ok(Some(cell))) => c.algo.usage(cell, now),
                _ => 0,
            })
            .collect()
    }

    /// Corrects budgets from a venue response: for each rule with a
    /// [`usage_header`](Rule::usage_header) that the request falls under, a header of that name
    /// (case-insensitive) holding an integer raises the rule's count to the venue's. Counts are
    /// never lowered, so a stale response cannot hand out budget that was already spent.
    /// Returns how many rules were corrected.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use mdbus_sdk::rate_limit::{FakeClock, Limiter, Request, Rule};
    ///
    /// let limiter = Limiter::with_clock(
    ///     [Rule::fixed_window("weight", 6000, Duration::from_secs(60)).usage_header("X-MBX-USED-WEIGHT-1M")],
    ///     FakeClock::new(0),
    /// )?;
    /// let r = Request::new("GET", "/api/v3/depth");
    /// assert_eq!(limiter.observe(&r, [("x-mbx-used-weight-1m", "5990")]), 1);
    /// assert_eq!(limiter.usage(&r), [5990]);
    /// # Ok::<(), mdbus_sdk::rate_limit::LimitError>(())
    /// ```
    pub fn observe<'h>(&self, req: &Request<'_>, headers: impl IntoIterator<Item = (&'h str, &'h str)>) -> usize {
        let now = self.clock.now_ns();
        let mut corrected = 0;
        for (name, value) in headers {
            let Ok(used) = value.trim().parse::<u64>() else { continue };
            for c in self.rules.iter() {
                if !c.rule.usage_header.as_deref().is_some_and(|h| h.eq_ignore_ascii_case(name)) {
                    continue;
                }
                if let Some(key) = Self::key(c, req)
                    && let Ok(Some(cell)) = self.cell(c, key, true)
                {
                    c.algo.observe(cell, now, used);
                    corrected += 1;
                }
            }
        }
        corrected
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sliding_resolution_follows_limit_size() {
        let r = |limit| Algo::new(&Rule::sliding_window("s", limit, Duration::from_secs(60))).resolution_ns();
        // Small limits get 8 buckets (7 per window), large ones 2.
        assert_eq!(r(10), 60_000_000_000u64.div_ceil(7));
        assert_eq!(r(1200), 60_000_000_000 / 3);
        assert_eq!(r(SLIDING_MAX), 60_000_000_000);
    }
    const SLIDING_MAX: u64 = state::SLIDING_MAX_LIMIT;
}
