//! What every venue's order client shares: the keep-alive connection, the limiter, the
//! venue-imposed pauses, the server-time offset, the read retries and the resolution of
//! unknown outcomes. The venue modules only build and sign requests and read responses.

use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, Instant},
};

use serde_json::Value;

use super::{OrderClient, OrderRef, OrderState, Placed, RetryPolicy};
use crate::{
    error::{Error, ErrorCode},
    http::{HttpClient, HttpError, Response},
    rate_limit::{Acquire, Limiter, Request},
};

/// What came back from one request.
#[derive(Debug)]
pub enum Sent {
    /// The venue answered.
    Reply(Response),
    /// Sent, no answer: the outcome is unknown.
    Lost(String),
}

/// The shared machinery of an order client.
pub struct Transport {
    /// Keep-alive HTTP(S) to the venue.
    pub http: HttpClient,
    /// The venue's name, for errors.
    pub venue: &'static str,
    /// The limiter every request draws from.
    pub limiter: Option<Arc<Limiter>>,
    /// The account, for account-scoped limiter rules.
    pub account: String,
    /// When and how often to retry.
    pub policy: RetryPolicy,
    /// Venue clock minus local clock, ms (from `sync_time`).
    pub offset_ms: i64,
    blocked_until: Option<Instant>,
    /// Requests sent.
    pub sent: u64,
    /// Orders with an unknown outcome: client order id → the venue time after which the venue
    /// can no longer accept them (ms).
    pending: HashMap<String, u64>,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("venue", &self.venue)
            .field("http", &self.http)
            .field("account", &self.account)
            .field("offset_ms", &self.offset_ms)
            .finish_non_exhaustive()
    }
}

/// A response body as JSON.
///
/// # Errors
///
/// [`Error::DataParse`] naming `venue` when the body is not JSON.
pub fn json(venue: &str, body: &[u8]) -> Result<Value, Error> {
    serde_json::from_slice(body)
        .map_err(|e| Error::DataParse { what: format!("{venue} response"), detail: e.to_string() })
}

impl Transport {
    /// The machinery for `venue` over `http`: no limiter, account `default`, the default
    /// retry policy.
    pub fn new(venue: &'static str, http: HttpClient) -> Transport {
        Transport {
            http,
            venue,
            limiter: None,
            account: "default".to_owned(),
            policy: RetryPolicy::default(),
            offset_ms: 0,
            blocked_until: None,
            sent: 0,
            pending: HashMap::new(),
        }
    }

    /// The venue's name, owned (for errors).
    pub fn venue(&self) -> String {
        self.venue.to_owned()
    }

    /// Venue time now (local clock plus the measured offset), ms since the epoch.
    pub fn now_ms(&self) -> u64 {
        let local = (mdbus_bus::now_ns() / 1_000_000) as i64;
        (local + self.offset_ms).max(0) as u64
    }

    fn rate_limited(&self, wait: Duration, detail: &str) -> Error {
        Error::RateLimit {
            venue: self.venue(),
            retry_after: Some(wait),
            code: ErrorCode::RateLimitExceeded,
            detail: detail.into(),
        }
    }

    /// Waits out a venue-imposed pause and takes the request from the limiter.
    fn admit(&mut self, method: &str, path: &str) -> Result<(), Error> {
        if let Some(until) = self.blocked_until {
            let now = Instant::now();
            if until > now {
                let wait = until - now;
                if wait > self.policy.max_wait {
                    return Err(self.rate_limited(wait, "the venue asked to pause"));
                }
                std::thread::sleep(wait);
            }
            self.blocked_until = None;
        }
        if let Some(l) = &self.limiter {
            let req = Request::new(method, path).account(&self.account);
            let got =
                l.acquire(&req, self.policy.max_wait).map_err(|e| Error::Configuration { detail: e.to_string() })?;
            if let Acquire::Wait { after, .. } = got {
                return Err(self.rate_limited(after, "local rate limit"));
            }
        }
        Ok(())
    }

    /// Pauses every request for `wait` (a venue's rate-limit answer).
    pub fn pause(&mut self, wait: Duration) {
        let until = Instant::now() + wait;
        if self.blocked_until.is_none_or(|u| u < until) {
            self.blocked_until = Some(until);
        }
    }

    /// Sends one prepared request (after the limiter), retrying at once while it certainly did
    /// not leave. `path` is what the limiter's rules match.
    pub fn exchange(
        &mut self,
        method: &str,
        path: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Sent, Error> {
        self.admit(method, path)?;
        let mut attempts = 0;
        loop {
            attempts += 1;
            self.sent += 1;
            match self.http.request(method, target, headers, body) {
                Ok(resp) => {
                    if let Some(l) = &self.limiter {
                        let req = Request::new(method, path).account(&self.account);
                        l.observe(&req, resp.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())));
                    }
                    if matches!(resp.status, 429 | 418) {
                        self.pause(resp.retry_after().unwrap_or(Duration::from_secs(1)));
                    }
                    return Ok(Sent::Reply(resp));
                }
                Err(HttpError::NotSent(_)) if attempts < 3 => std::thread::sleep(self.policy.backoff),
                Err(e) if e.maybe_delivered() => return Ok(Sent::Lost(crate::redact::text(&e.to_string()))),
                Err(e) => {
                    return Err(Error::Connection { venue: self.venue(), detail: crate::redact::text(&e.to_string()) });
                }
            }
        }
    }

    /// The expiry remembered for an order of unknown outcome, or, for an id this client did
    /// not send, the cautious guess that it was sent just now with `window_ms` to live.
    pub fn expiry_of(&self, cid: &str, window_ms: u64) -> u64 {
        self.pending.get(cid).copied().unwrap_or_else(|| self.now_ms() + window_ms)
    }
}

/// An order client built on a [`Transport`].
pub trait HasTransport: OrderClient {
    /// The client's transport.
    fn transport(&mut self) -> &mut Transport;
}

/// Queries an order of unknown outcome until the venue knows it, or until `expires_ms` (venue
/// time after which the venue can no longer accept it) has passed without it, or until the
/// policy's resolve time runs out.
pub fn resolve<C: HasTransport>(c: &mut C, symbol: &str, cid: &str, expires_ms: u64) -> Result<Placed, Error> {
    let expires_ms = *c.transport().pending.entry(cid.to_owned()).or_insert(expires_ms);
    let deadline = Instant::now() + c.transport().policy.resolve_for;
    loop {
        match c.query(symbol, OrderRef::Client(cid)) {
            Ok(state) => {
                c.transport().pending.remove(cid);
                return Ok(Placed::Accepted(state));
            }
            Err(Error::OrderNotFound { .. }) => {
                let t = c.transport();
                // A second of margin for the error of the measured clock offset.
                if t.now_ms() > expires_ms + 1000 {
                    t.pending.remove(cid);
                    return Err(Error::Order {
                        venue: t.venue(),
                        symbol: symbol.to_owned(),
                        code: ErrorCode::OrderTimeout,
                        detail: format!("order {cid} was not received before it expired; it may be sent again"),
                    });
                }
            }
            Err(e) if e.is_retryable() => {}
            Err(e) => return Err(e),
        }
        if Instant::now() >= deadline {
            return Ok(Placed::Unknown { symbol: symbol.to_owned(), client_order_id: cid.to_owned() });
        }
        let pause = c.transport().policy.resolve_every;
        std::thread::sleep(pause);
    }
}

/// What a venue's answer to an order submission means.
#[derive(Debug)]
pub enum Outcome {
    /// Placed.
    Accepted(OrderState),
    /// Refused, so not placed; `wait` is how long a rate limit asks to pause, if it does.
    Refused {
        /// Why.
        err: Error,
        /// How long to pause before sending again, if the venue says.
        wait: Option<Duration>,
    },
    /// The order may or may not exist (a 5xx, a venue's "status unknown").
    Unknown,
}

impl Outcome {
    /// A refusal with the wait its error carries; a 5xx refusal is [`Outcome::Unknown`].
    pub fn refused(status: u16, err: Error) -> Outcome {
        if status >= 500 {
            return Outcome::Unknown;
        }
        let wait = err.retry_after();
        Outcome::Refused { err, wait }
    }
}

/// Submits an order and never sends it twice blindly: `attempt` sends it (given the venue time
/// after which the venue can no longer accept it, `window_ms` from now), `read` says what the
/// answer means. An answer lost on the way or [`Outcome::Unknown`] is resolved by querying the
/// client order id; a rate-limit refusal short enough is waited out once and the order sent
/// again (it was not placed); any other refusal is the error.
pub fn submit<C: HasTransport>(
    c: &mut C,
    symbol: &str,
    cid: &str,
    window_ms: u64,
    mut attempt: impl FnMut(&mut C, u64) -> Result<Sent, Error>,
    mut read: impl FnMut(&mut C, &Response) -> Result<Outcome, Error>,
) -> Result<Placed, Error> {
    let mut waited = false;
    loop {
        let expires_ms = c.transport().now_ms() + window_ms;
        let outcome = match attempt(c, expires_ms)? {
            Sent::Reply(r) => read(c, &r)?,
            Sent::Lost(_) => Outcome::Unknown,
        };
        match outcome {
            Outcome::Accepted(state) => return Ok(Placed::Accepted(state)),
            Outcome::Unknown => return resolve(c, symbol, cid, expires_ms),
            Outcome::Refused { err, wait } => match wait {
                Some(d) if !waited && err.is_rate_limit() && d <= c.transport().policy.max_wait => {
                    waited = true;
                    // The next attempt waits this out (the transport may have paused already).
                    c.transport().pause(d);
                }
                _ => return Err(err),
            },
        }
    }
}

/// Runs a read up to [`RetryPolicy::read_attempts`] times: again after network errors, 5xx,
/// and rate limits short enough to wait out.
pub fn retry_read<C: HasTransport, T>(
    c: &mut C,
    mut attempt: impl FnMut(&mut C) -> Result<T, Error>,
) -> Result<T, Error> {
    let policy = c.transport().policy.clone();
    let mut backoff = policy.backoff;
    let mut last = None;
    for _ in 0..policy.read_attempts.max(1) {
        let err = match attempt(c) {
            Ok(v) => return Ok(v),
            Err(e) => e,
        };
        let pause = match err.retry_after() {
            Some(d) if d <= policy.max_wait => d,
            None if err.is_retryable() => backoff,
            _ => return Err(err),
        };
        last = Some(err);
        std::thread::sleep(pause);
        backoff *= 2;
    }
    Err(last.unwrap_or(Error::Network { venue: c.transport().venue(), detail: "no attempt made".into() }))
}

/// A string field of a venue's JSON (numbers as their text), empty when absent.
pub fn text(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// A decimal field of a venue's JSON (string or number), zero when absent or unreadable.
pub fn dec(v: &Value, key: &str) -> mdbus_schemas::Decimal {
    text(v, key).parse().unwrap_or(mdbus_schemas::Decimal::ZERO)
}

/// The builder methods every client on a [`Transport`] (a field `t`) has.
#[macro_export]
macro_rules! transport_builders {
    ($client:ty) => {
        impl $client {
            /// Draws every request from `limiter` (shared with other processes if it is).
            pub fn with_limiter(mut self, limiter: std::sync::Arc<$crate::rate_limit::Limiter>) -> Self {
                self.t.limiter = Some(limiter);
                self
            }

            /// Names the account and, if given, the limiter every request draws from.
            pub fn with_budget(
                mut self,
                account: &str,
                limiter: Option<std::sync::Arc<$crate::rate_limit::Limiter>>,
            ) -> Self {
                self.t.account = account.to_owned();
                if limiter.is_some() {
                    self.t.limiter = limiter;
                }
                self
            }

            /// Names the account for account-scoped limiter rules. Default `default`.
            pub fn with_account(mut self, account: &str) -> Self {
                self.t.account = account.to_owned();
                self
            }

            /// Sets the retry policy.
            pub fn with_policy(mut self, policy: $crate::order::RetryPolicy) -> Self {
                self.t.policy = policy;
                self
            }

            /// Sets the HTTP timeout (connect, write, read). Default 5 s.
            pub fn with_timeout(mut self, timeout: std::time::Duration) -> Self {
                self.t.http.set_timeout(timeout);
                self
            }

            /// Opens the connection ahead of the first order.
            ///
            /// # Errors
            ///
            /// [`Error::Connection`]($crate::error::Error::Connection).
            pub fn warm_up(&mut self) -> Result<(), $crate::error::Error> {
                self.t
                    .http
                    .warm_up()
                    .map_err(|e| $crate::error::Error::Connection { venue: self.t.venue(), detail: e.to_string() })
            }

            /// Returns the HTTP client (its connection count shows the keep-alive at work).
            pub fn http(&self) -> &$crate::http::HttpClient {
                &self.t.http
            }
        }
    };
}
