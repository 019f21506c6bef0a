//! Rate-limit rules: what is counted (scope, weight), how (sliding window, fixed window, token
//! bucket) and how much is allowed.

use std::{net::IpAddr, time::Duration};

use super::{LimitError, glob};

/// How a rule counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RuleKind {
    /// At most `limit` weight in any window of length `interval`. Kept in constant space as
    /// sub-window buckets (see [`Limiter`](super::Limiter)), so it may make a caller wait up to one
    /// bucket longer than an exact log would, and never grants more.
    SlidingWindow,
    /// At most `limit` weight per window `[k·interval, (k+1)·interval)`, windows aligned to
    /// multiples of `interval` on the clock (as venues' per-minute counters are).
    FixedWindow,
    /// A bucket of `limit` tokens refilled continuously at `limit` per `interval` (GCRA).
    TokenBucket,
}

impl RuleKind {
    /// Returns the seed's name of the kind (`sliding_window`, `fixed_window`, `token_bucket`).
    pub fn as_str(self) -> &'static str {
        match self {
            RuleKind::SlidingWindow => "sliding_window",
            RuleKind::FixedWindow => "fixed_window",
            RuleKind::TokenBucket => "token_bucket",
        }
    }
}

/// Which requests a rule counts, and whose budget they draw from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scope {
    /// Every request, one budget.
    Global,
    /// Requests whose path matches a glob (`*` also matches `/`, as `fnmatch` does), one budget.
    Endpoint(String),
    /// Every request, one budget per source IP address: venues count per IP. A request that
    /// names no IP draws from the budget of the unspecified address (the host's default route).
    /// With `Some(ip)` only requests from that address are counted.
    Ip(Option<IpAddr>),
    /// Requests made for an account, one budget per account. Requests that name no account
    /// (public market data) are not counted. With `Some(name)` only that account is counted.
    Account(Option<String>),
}

impl Scope {
    /// Returns the seed's name of the scope (`global`, `endpoint`, `ip`, `account`).
    pub fn as_str(&self) -> &'static str {
        match self {
            Scope::Global => "global",
            Scope::Endpoint(_) => "endpoint",
            Scope::Ip(_) => "ip",
            Scope::Account(_) => "account",
        }
    }

    /// Returns whether requests are counted per key (IP or account).
    pub fn is_keyed(&self) -> bool {
        matches!(self, Scope::Ip(_) | Scope::Account(_))
    }
}

/// A weight for requests with a given method, and optionally a given exact path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MethodWeight {
    /// HTTP method, compared case-insensitively.
    pub method: String,
    /// Exact path, or `None` for any path.
    pub path: Option<String>,
    /// Weight of one such request.
    pub weight: u32,
}

/// One rate-limit rule.
///
/// # Examples
///
/// The Binance spot budget: 6,000 request weight per minute for the IP, and ten orders per
/// second on the order endpoints, where a `POST` weighs 10.
///
/// ```
/// use std::time::Duration;
/// use mdbus_sdk::rate_limit::Rule;
///
/// let rules = [
///     Rule::sliding_window("weight", 6000, Duration::from_secs(60)).ip(None),
///     Rule::fixed_window("orders", 10, Duration::from_secs(1))
///         .endpoint("/api/v3/order*")
///         .method_weight("POST", 10)
///         .method_weight("DELETE", 5),
/// ];
/// assert_eq!(rules[1].weight_for("POST", "/api/v3/order"), 10);
/// assert_eq!(rules[1].weight_for("GET", "/api/v3/order"), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Rule {
    /// Name, unique within a limiter; reported when the rule makes a caller wait.
    pub name: String,
    /// How the rule counts.
    pub kind: RuleKind,
    /// Window length, or the time to refill a whole token bucket.
    pub interval: Duration,
    /// Weight allowed per window (bucket size for a token bucket).
    pub limit: u64,
    /// Which requests count and whose budget they draw from.
    pub scope: Scope,
    /// Weight of a request no [`MethodWeight`] matches. Default 1.
    pub weight: u32,
    /// Weights by method (and exact path): an entry with a path wins over one without.
    pub method_weights: Vec<MethodWeight>,
    /// Distinct keys (IPs or accounts) a keyed scope can track. Default 16.
    pub keys: usize,
    /// A response header carrying the venue's own count for this rule (e.g.
    /// `x-mbx-used-weight-1m`), read by [`Limiter::observe`](super::Limiter::observe).
    pub usage_header: Option<String>,
}

impl Rule {
    /// Returns a rule of `kind` allowing `limit` per `interval`, global scope, weight 1.
    pub fn new(name: impl Into<String>, kind: RuleKind, limit: u64, interval: Duration) -> Rule {
        Rule {
            name: name.into(),
            kind,
            interval,
            limit,
            scope: Scope::Global,
            weight: 1,
            method_weights: Vec::new(),
            keys: 16,
            usage_header: None,
        }
    }

    /// Returns a sliding-window rule (see [`RuleKind::SlidingWindow`]).
    pub fn sliding_window(name: impl Into<String>, limit: u64, interval: Duration) -> Rule {
        Rule::new(name, RuleKind::SlidingWindow, limit, interval)
    }

    /// Returns a fixed-window rule (see [`RuleKind::FixedWindow`]).
    pub fn fixed_window(name: impl Into<String>, limit: u64, interval: Duration) -> Rule {
        Rule::new(name, RuleKind::FixedWindow, limit, interval)
    }

    /// Returns a token-bucket rule (see [`RuleKind::TokenBucket`]).
    pub fn token_bucket(name: impl Into<String>, limit: u64, interval: Duration) -> Rule {
        Rule::new(name, RuleKind::TokenBucket, limit, interval)
    }

    /// Limits the rule to paths matching `glob`.
    pub fn endpoint(mut self, glob: impl Into<String>) -> Rule {
        self.scope = Scope::Endpoint(glob.into());
        self
    }

    /// Counts per source IP (all IPs with `None`).
    pub fn ip(mut self, only: Option<IpAddr>) -> Rule {
        self.scope = Scope::Ip(only);
        self
    }

    /// Counts per account (all accounts with `None`).
    pub fn account(mut self, only: Option<&str>) -> Rule {
        self.scope = Scope::Account(only.map(str::to_owned));
        self
    }

    /// Sets the default weight of a request.
    pub fn weight(mut self, weight: u32) -> Rule {
        self.weight = weight;
        self
    }

    /// Sets the weight of requests with `method` (any path).
    pub fn method_weight(mut self, method: &str, weight: u32) -> Rule {
        self.method_weights.push(MethodWeight { method: method.to_owned(), path: None, weight });
        self
    }

    /// Sets the weight of requests with `method` on exactly `path`.
    pub fn path_weight(mut self, method: &str, path: &str, weight: u32) -> Rule {
        self.method_weights.push(MethodWeight { method: method.to_owned(), path: Some(path.to_owned()), weight });
        self
    }

    /// Sets how many distinct keys a keyed scope tracks.
    pub fn keys(mut self, keys: usize) -> Rule {
        self.keys = keys;
        self
    }

    /// Names the response header that carries the venue's count for this rule.
    pub fn usage_header(mut self, header: impl Into<String>) -> Rule {
        self.usage_header = Some(header.into());
        self
    }

    /// Returns the weight of one request: the entry for `method` and exactly `path`, else the
    /// entry for `method`, else the rule's default weight (the seed's lookup order).
    #[inline]
    pub fn weight_for(&self, method: &str, path: &str) -> u32 {
        if self.method_weights.is_empty() {
            return self.weight;
        }
        let mut by_method = None;
        for mw in &self.method_weights {
            if mw.method.eq_ignore_ascii_case(method) {
                match &mw.path {
                    Some(p) if p == path => return mw.weight,
                    Some(_) => {}
                    None => by_method = by_method.or(Some(mw.weight)),
                }
            }
        }
        by_method.unwrap_or(self.weight)
    }

    /// Returns whether a request with this path is in the rule's scope (keys aside).
    pub fn matches_path(&self, path: &str) -> bool {
        match &self.scope {
            Scope::Endpoint(g) => glob::matches(g, path),
            _ => true,
        }
    }

    /// Checks the rule on its own.
    ///
    /// # Errors
    ///
    /// [`LimitError::InvalidRule`] naming the rule and what is wrong with it.
    pub fn validate(&self) -> Result<(), LimitError> {
        let bad = |reason: String| Err(LimitError::InvalidRule { rule: self.name.clone(), reason });
        if self.name.is_empty() {
            return bad("the name is empty".into());
        }
        if self.interval.is_zero() {
            return bad("the interval is zero".into());
        }
        if self.interval.as_nanos() > u128::from(u64::MAX / 4) {
            return bad(format!("the interval {:?} is too long", self.interval));
        }
        if self.limit == 0 {
            return bad("the limit is zero".into());
        }
        let max = match self.kind {
            RuleKind::SlidingWindow => super::state::SLIDING_MAX_LIMIT,
            RuleKind::FixedWindow => u64::from(u32::MAX),
            RuleKind::TokenBucket => self.interval.as_nanos().min(u128::from(u32::MAX)) as u64,
        };
        if self.limit > max {
            return bad(format!(
                "limit {} is above the largest a {} rule supports here ({max})",
                self.limit,
                self.kind.as_str()
            ));
        }
        if self.weight == 0 || self.method_weights.iter().any(|m| m.weight == 0) {
            return bad("a weight is zero".into());
        }
        if let Scope::Endpoint(g) = &self.scope
            && (g.is_empty() || !glob::is_valid(g))
        {
            return bad(format!("endpoint pattern {g:?} is empty or has an unclosed '['"));
        }
        if self.scope.is_keyed() && !(1..=4096).contains(&self.keys) {
            return bad(format!("keys {} is outside 1..=4096", self.keys));
        }
        Ok(())
    }
}
