//! The order path: place, cancel and query orders, list open orders, balances and positions,
//! over keep-alive HTTPS, through the shared rate limiter, with retries that never send an
//! order twice.
//!
//! # Retry policy
//!
//! - Reads (queries, lists, balances, server time) are retried on network errors, 5xx and
//!   429 (after the venue's `Retry-After`), up to [`RetryPolicy::read_attempts`].
//! - A request that certainly never left ([`HttpError::NotSent`](crate::http::HttpError)) is
//!   sent again, order or not.
//! - An order submission whose outcome is unknown (timeout, connection lost after sending, a
//!   venue status that says "execution status unknown") is **never sent again blindly**: the
//!   client queries the venue by the order's client order id until it finds the order, or until
//!   the venue's receive window has passed without it (then the order can no longer be accepted
//!   and [`Error::Order`] with [`ErrorCode::OrderTimeout`](crate::error::ErrorCode::OrderTimeout) says it is safe to send again), or
//!   until [`RetryPolicy::resolve_for`] runs out, when [`Placed::Unknown`] is returned and
//!   [`OrderClient::resolve`] can be called later.
//! - A 429 or 418 stops every request until its `Retry-After` has passed; a rejected order
//!   (429 included) was not placed, so it may be sent again after the wait, which the client
//!   does itself when the wait is under [`RetryPolicy::max_wait`].
//!
//! Every request first takes its weight from the [`Limiter`](crate::rate_limit::Limiter)
//! the client was given (if any), and every response's usage headers correct the limiter.
//!
//! This is where the seed differs most: it retries every POST up to three times on a timeout
//! and returns 4xx bodies as data.

mod ids;
pub mod time;
pub mod transport;

use std::{fmt, time::Duration};

pub use ids::ClientOrderIds;
use mdbus_schemas::Decimal;

use crate::error::Error;

/// Buy or sell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// Buy.
    Buy,
    /// Sell.
    Sell,
}

/// How an order executes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OrderType {
    /// Rests at its price.
    Limit,
    /// Executes at once at the best prices.
    Market,
    /// A limit order refused if it would take liquidity (maker only).
    PostOnly,
}

/// How long an order lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum TimeInForce {
    /// Good till cancelled.
    #[default]
    Gtc,
    /// Immediate or cancel.
    Ioc,
    /// Fill or kill.
    Fok,
}

/// An order to place.
///
/// # Examples
///
/// ```
/// use mdbus_sdk::order::{NewOrder, Side};
/// let o = NewOrder::limit("BTCUSDT", Side::Buy, "0.01".parse()?, "65000".parse()?).client_order_id("my-1");
/// assert_eq!(o.client_order_id.as_deref(), Some("my-1"));
/// # Ok::<(), mdbus_schemas::DecimalError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewOrder {
    /// Venue symbol.
    pub symbol: String,
    /// Side.
    pub side: Side,
    /// Type.
    pub kind: OrderType,
    /// Quantity in base units.
    pub qty: Decimal,
    /// Limit price (none for market orders).
    pub price: Option<Decimal>,
    /// Time in force (limit orders).
    pub tif: TimeInForce,
    /// Client order id; generated when `None`.
    pub client_order_id: Option<String>,
    /// Only reduce a position (derivatives).
    pub reduce_only: bool,
}

impl NewOrder {
    /// A good-till-cancelled limit order.
    pub fn limit(symbol: &str, side: Side, qty: Decimal, price: Decimal) -> NewOrder {
        NewOrder {
            symbol: symbol.to_owned(),
            side,
            kind: OrderType::Limit,
            qty,
            price: Some(price),
            tif: TimeInForce::Gtc,
            client_order_id: None,
            reduce_only: false,
        }
    }

    /// A market order.
    pub fn market(symbol: &str, side: Side, qty: Decimal) -> NewOrder {
        NewOrder {
            symbol: symbol.to_owned(),
            side,
            kind: OrderType::Market,
            qty,
            price: None,
            tif: TimeInForce::Gtc,
            client_order_id: None,
            reduce_only: false,
        }
    }

    /// A post-only (maker) limit order.
    pub fn post_only(symbol: &str, side: Side, qty: Decimal, price: Decimal) -> NewOrder {
        NewOrder { kind: OrderType::PostOnly, ..NewOrder::limit(symbol, side, qty, price) }
    }

    /// Sets the client order id.
    pub fn client_order_id(mut self, id: &str) -> NewOrder {
        self.client_order_id = Some(id.to_owned());
        self
    }

    /// Sets the time in force.
    pub fn tif(mut self, tif: TimeInForce) -> NewOrder {
        self.tif = tif;
        self
    }

    /// Marks the order reduce-only.
    pub fn reduce_only(mut self) -> NewOrder {
        self.reduce_only = true;
        self
    }
}

/// Where an order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OrderStatus {
    /// Accepted, nothing filled.
    New,
    /// Partly filled, still working.
    PartiallyFilled,
    /// Completely filled.
    Filled,
    /// Cancelled.
    Canceled,
    /// Refused by the venue.
    Rejected,
    /// Expired (time in force, post-only refusal, ...).
    Expired,
}

impl OrderStatus {
    /// Returns whether the order can still trade.
    pub fn is_open(self) -> bool {
        matches!(self, OrderStatus::New | OrderStatus::PartiallyFilled)
    }
}

/// An order as the venue reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderState {
    /// Venue symbol.
    pub symbol: String,
    /// The venue's order id.
    pub order_id: String,
    /// The client order id.
    pub client_order_id: String,
    /// Side.
    pub side: Side,
    /// Limit price (zero for market orders).
    pub price: Decimal,
    /// Ordered quantity.
    pub qty: Decimal,
    /// Filled quantity.
    pub filled: Decimal,
    /// Status.
    pub status: OrderStatus,
    /// Venue time of the last change, ms since the epoch (0 if not given).
    pub updated_ms: u64,
}

/// An order to cancel or query, by either id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderRef<'a> {
    /// By client order id.
    Client(&'a str),
    /// By the venue's order id.
    Venue(&'a str),
}

/// The result of placing an order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum Placed {
    /// The venue has the order.
    Accepted(OrderState),
    /// The venue may or may not have the order, and querying has not told yet. Do not send it
    /// again; call [`OrderClient::resolve`] with the client order id.
    Unknown {
        /// The symbol.
        symbol: String,
        /// The order's client order id.
        client_order_id: String,
    },
}

/// One asset's balance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BalanceState {
    /// Asset, e.g. `USDT`.
    pub asset: String,
    /// Available.
    pub free: Decimal,
    /// Held by orders or margin.
    pub locked: Decimal,
}

/// One derivatives position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PositionState {
    /// Venue symbol.
    pub symbol: String,
    /// Signed size: positive long, negative short.
    pub qty: Decimal,
    /// Average entry price.
    pub entry_price: Decimal,
    /// Unrealised profit and loss in the margin asset.
    pub unrealized_pnl: Decimal,
}

/// How the client retries.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts for reads (1 = no retry). Default 3.
    pub read_attempts: u32,
    /// Pause before the first read retry, doubled each time. Default 100 ms.
    pub backoff: Duration,
    /// Longest wait the client takes on its own for a rate limit (longer waits are returned
    /// as [`Error::RateLimit`]). Default 2 s.
    pub max_wait: Duration,
    /// How long to keep querying an order whose submission outcome is unknown. Default 10 s.
    pub resolve_for: Duration,
    /// Pause between those queries. Default 200 ms.
    pub resolve_every: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            read_attempts: 3,
            backoff: Duration::from_millis(100),
            max_wait: Duration::from_secs(2),
            resolve_for: Duration::from_secs(10),
            resolve_every: Duration::from_millis(200),
        }
    }
}

impl RetryPolicy {
    /// Sets [`RetryPolicy::read_attempts`].
    pub fn read_attempts(mut self, n: u32) -> RetryPolicy {
        self.read_attempts = n;
        self
    }

    /// Sets [`RetryPolicy::backoff`].
    pub fn backoff(mut self, d: Duration) -> RetryPolicy {
        self.backoff = d;
        self
    }

    /// Sets [`RetryPolicy::max_wait`].
    pub fn max_wait(mut self, d: Duration) -> RetryPolicy {
        self.max_wait = d;
        self
    }

    /// Sets [`RetryPolicy::resolve_for`] and [`RetryPolicy::resolve_every`].
    pub fn resolve(mut self, for_: Duration, every: Duration) -> RetryPolicy {
        self.resolve_for = for_;
        self.resolve_every = every;
        self
    }
}

/// What every venue's order client does.
pub trait OrderClient: fmt::Debug + Send {
    /// Places an order (generating its client order id if it has none).
    ///
    /// # Errors
    ///
    /// A typed [`Error`] when the venue refused it (it was not placed), or when the venue's
    /// receive window passed without it ([`crate::error::ErrorCode::OrderTimeout`]).
    fn place(&mut self, order: &NewOrder) -> Result<Placed, Error>;

    /// Finds out what became of an order placed with an unknown outcome.
    ///
    /// # Errors
    ///
    /// As [`OrderClient::place`].
    fn resolve(&mut self, symbol: &str, client_order_id: &str) -> Result<Placed, Error>;

    /// Cancels an order.
    ///
    /// # Errors
    ///
    /// [`Error::OrderNotFound`] or [`Error::Order`] when the venue cannot cancel it.
    fn cancel(&mut self, symbol: &str, order: OrderRef<'_>) -> Result<OrderState, Error>;

    /// Returns an order's state.
    ///
    /// # Errors
    ///
    /// [`Error::OrderNotFound`] when the venue does not know it.
    fn query(&mut self, symbol: &str, order: OrderRef<'_>) -> Result<OrderState, Error>;

    /// Returns the open orders, of one symbol or all.
    ///
    /// # Errors
    ///
    /// Network, auth and rate-limit errors.
    fn open_orders(&mut self, symbol: Option<&str>) -> Result<Vec<OrderState>, Error>;

    /// Returns the account's balances.
    ///
    /// # Errors
    ///
    /// Network, auth and rate-limit errors.
    fn balances(&mut self) -> Result<Vec<BalanceState>, Error>;

    /// Returns the open positions (derivatives).
    ///
    /// # Errors
    ///
    /// [`Error::NotSupported`] on spot venues; network, auth and rate-limit errors.
    fn positions(&mut self) -> Result<Vec<PositionState>, Error>;

    /// Measures the venue clock's offset from the local clock and applies it to request
    /// timestamps from now on. Returns the offset in milliseconds (venue − local).
    ///
    /// # Errors
    ///
    /// Network errors.
    fn sync_time(&mut self) -> Result<i64, Error>;

    /// Closes the kept-alive connection; the next request opens a new one (TCP and TLS
    /// handshake). For a connection that may have gone stale, and for measuring.
    fn disconnect(&mut self);
}
