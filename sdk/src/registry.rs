//! The registry of venue feeds, keyed like the seed (`BINANCE___SPOT`, `OKX___SWAP`): register a
//! factory with the feed's capabilities, then create feeds by key.
//!
//! [`Registry::global`] is the process-wide registry; [`Registry::new`] makes an isolated one
//! (for tests, or a strategy that wants its own). In the seed, `ExchangeRegistry()` returns the
//! global singleton although its README says otherwise; here the two are separate calls.

use std::{
    collections::BTreeMap,
    fmt,
    sync::{Arc, OnceLock, RwLock},
};

use crate::{
    config::ExchangeConfig,
    credentials::Credentials,
    error::Error,
    order::{BalanceState, NewOrder, OrderClient, OrderRef, OrderState, Placed, PositionState},
};

macro_rules! capabilities {
    ($($name:ident = $text:literal,)*) => {
        /// What a feed can do: the seed's 27 capabilities.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Capability {
            $(
                #[doc = concat!("`", $text, "`.")]
                $name,
            )*
        }

        impl Capability {
            /// Every capability.
            pub const ALL: &'static [Capability] = &[$(Capability::$name),*];

            /// Returns the seed's name, such as `get_tick`.
            pub fn name(self) -> &'static str {
                match self {
                    $(Capability::$name => $text,)*
                }
            }
        }
    };
}

capabilities! {
    GetTick = "get_tick",
    GetDepth = "get_depth",
    GetKline = "get_kline",
    GetFundingRate = "get_funding_rate",
    GetMarkPrice = "get_mark_price",
    GetClearPrice = "get_clear_price",
    MakeOrder = "make_order",
    CancelOrder = "cancel_order",
    CancelAll = "cancel_all",
    CancelAllSymbol = "cancel_all_symbol",
    QueryOrder = "query_order",
    QueryOpenOrders = "query_open_orders",
    GetDeals = "get_deals",
    GetBalance = "get_balance",
    GetAccount = "get_account",
    GetPosition = "get_position",
    MarketStream = "market_stream",
    AccountStream = "account_stream",
    CrossMargin = "cross_margin",
    IsolatedMargin = "isolated_margin",
    HedgeMode = "hedge_mode",
    BatchOrder = "batch_order",
    ConditionalOrder = "conditional_order",
    TrailingStop = "trailing_stop",
    OcoOrder = "oco_order",
    GetExchangeInfo = "get_exchange_info",
    GetServerTime = "get_server_time",
    GetTrades = "get_trades",
}

impl Capability {
    /// Returns the capability with the seed's name `name`.
    ///
    /// # Examples
    ///
    /// ```
    /// use mdbus_sdk::registry::Capability;
    /// assert_eq!(Capability::from_name("make_order"), Some(Capability::MakeOrder));
    /// assert_eq!(Capability::from_name("teleport"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Capability> {
        Capability::ALL.iter().copied().find(|c| c.name() == name)
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of [`Capability`] values.
///
/// # Examples
///
/// ```
/// use mdbus_sdk::registry::{Capabilities, Capability};
/// let caps: Capabilities = [Capability::GetTick, Capability::MarketStream].into_iter().collect();
/// assert!(caps.contains(Capability::GetTick));
/// assert!(!caps.contains(Capability::MakeOrder));
/// assert_eq!(caps.iter().count(), 2);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Capabilities(u32);

impl Capabilities {
    /// No capabilities.
    pub const NONE: Capabilities = Capabilities(0);

    /// Every capability.
    pub fn all() -> Capabilities {
        Capability::ALL.iter().copied().collect()
    }

    /// Returns the set with `cap` added.
    pub fn with(self, cap: Capability) -> Capabilities {
        Capabilities(self.0 | 1 << cap as u32)
    }

    /// Returns whether `cap` is in the set.
    pub fn contains(self, cap: Capability) -> bool {
        self.0 & (1 << cap as u32) != 0
    }

    /// Returns the capabilities in the set.
    pub fn iter(self) -> impl Iterator<Item = Capability> {
        Capability::ALL.iter().copied().filter(move |&c| self.contains(c))
    }

    /// Returns `Ok` if `cap` is in the set, else [`Error::NotSupported`] naming it and `venue`.
    ///
    /// # Errors
    ///
    /// [`Error::NotSupported`].
    pub fn require(self, cap: Capability, venue: &str) -> Result<(), Error> {
        if self.contains(cap) { Ok(()) } else { Err(Error::NotSupported { capability: cap, venue: venue.to_owned() }) }
    }
}

impl FromIterator<Capability> for Capabilities {
    fn from_iter<I: IntoIterator<Item = Capability>>(iter: I) -> Self {
        iter.into_iter().fold(Capabilities::NONE, Capabilities::with)
    }
}

/// A feed created from the registry. Venue implementations add their operations on top; every
/// feed tells its key and what it can do.
pub trait VenueFeed: Send + fmt::Debug {
    /// Returns the registry key, such as `BINANCE___SPOT`.
    fn key(&self) -> &str;

    /// Returns what the feed can do.
    fn capabilities(&self) -> Capabilities;

    /// Returns `Ok` if the feed has `cap`, else [`Error::NotSupported`].
    ///
    /// # Errors
    ///
    /// [`Error::NotSupported`].
    fn require(&self, cap: Capability) -> Result<(), Error> {
        self.capabilities().require(cap, self.key())
    }

    /// Connects: for a REST feed, loads the instruments (so records get their exponents).
    /// The default does nothing.
    ///
    /// # Errors
    ///
    /// The venue's or the network's error.
    fn connect(&mut self) -> Result<(), Error> {
        Ok(())
    }

    /// Drops connections and cached state.
    fn disconnect(&mut self) {}

    /// Returns whether [`VenueFeed::connect`] succeeded and no disconnect followed.
    fn is_connected(&self) -> bool {
        false
    }

    /// The venue's instruments ([`Capability::GetExchangeInfo`]).
    ///
    /// # Errors
    ///
    /// [`Error::NotSupported`] where the venue lacks it, else the venue's error.
    fn instruments(&mut self) -> Result<Vec<crate::market::InstrumentInfo>, Error> {
        Err(self
            .require(Capability::GetExchangeInfo)
            .err()
            .unwrap_or_else(|| not_implemented(self.key(), Capability::GetExchangeInfo)))
    }

    /// The instrument table of the loaded instruments (ids, symbols, exponents), to read the
    /// records this feed returns as a ring reader would. Empty before [`VenueFeed::connect`]; the
    /// default is empty.
    fn instrument_table(&self) -> mdbus_schemas::InstrumentTable {
        mdbus_schemas::InstrumentTable::default()
    }

    /// The best bid and offer of `symbol` as a [`Quote`](mdbus_schemas::Quote) record
    /// ([`Capability::GetTick`]).
    ///
    /// # Errors
    ///
    /// As [`VenueFeed::instruments`].
    fn ticker(&mut self, symbol: &str) -> Result<mdbus_schemas::Quote, Error> {
        let _ = symbol;
        Err(self.require(Capability::GetTick).err().unwrap_or_else(|| not_implemented(self.key(), Capability::GetTick)))
    }

    /// The top `limit` levels of `symbol`'s book ([`Capability::GetDepth`]).
    ///
    /// # Errors
    ///
    /// As [`VenueFeed::instruments`].
    fn depth(&mut self, symbol: &str, limit: usize) -> Result<mdbus_schemas::BookSnapshot, Error> {
        let _ = (symbol, limit);
        Err(self
            .require(Capability::GetDepth)
            .err()
            .unwrap_or_else(|| not_implemented(self.key(), Capability::GetDepth)))
    }

    /// The latest `limit` public trades of `symbol`, oldest first ([`Capability::GetTrades`]).
    ///
    /// # Errors
    ///
    /// As [`VenueFeed::instruments`].
    fn trades(&mut self, symbol: &str, limit: usize) -> Result<Vec<mdbus_schemas::Trade>, Error> {
        let _ = (symbol, limit);
        Err(self
            .require(Capability::GetTrades)
            .err()
            .unwrap_or_else(|| not_implemented(self.key(), Capability::GetTrades)))
    }

    /// The latest `limit` candles of `symbol` at `interval` (`1m`, `1h`, ...), oldest first
    /// ([`Capability::GetKline`]).
    ///
    /// # Errors
    ///
    /// As [`VenueFeed::instruments`].
    fn klines(&mut self, symbol: &str, interval: &str, limit: usize) -> Result<Vec<mdbus_schemas::Bar>, Error> {
        let _ = (symbol, interval, limit);
        Err(self
            .require(Capability::GetKline)
            .err()
            .unwrap_or_else(|| not_implemented(self.key(), Capability::GetKline)))
    }

    /// The order client behind the order operations, where the feed trades and was given
    /// credentials. The default has none.
    fn order_client(&mut self) -> Option<&mut dyn OrderClient> {
        None
    }

    /// Places an order ([`Capability::MakeOrder`]), through the order client with its safe
    /// retries: an unknown outcome comes back as [`Placed::Unknown`], never a second order.
    ///
    /// # Errors
    ///
    /// [`Error::NotSupported`] where the venue lacks it, [`Error::Configuration`] without
    /// credentials, else the venue's error.
    fn place_order(&mut self, order: &NewOrder) -> Result<Placed, Error> {
        trade(self, Capability::MakeOrder)?.place(order)
    }

    /// Cancels an order ([`Capability::CancelOrder`]).
    ///
    /// # Errors
    ///
    /// As [`VenueFeed::place_order`].
    fn cancel_order(&mut self, symbol: &str, order: OrderRef<'_>) -> Result<OrderState, Error> {
        trade(self, Capability::CancelOrder)?.cancel(symbol, order)
    }

    /// An order's state ([`Capability::QueryOrder`]).
    ///
    /// # Errors
    ///
    /// As [`VenueFeed::place_order`].
    fn query_order(&mut self, symbol: &str, order: OrderRef<'_>) -> Result<OrderState, Error> {
        trade(self, Capability::QueryOrder)?.query(symbol, order)
    }

    /// The open orders, of one symbol or all ([`Capability::QueryOpenOrders`]).
    ///
    /// # Errors
    ///
    /// As [`VenueFeed::place_order`].
    fn open_orders(&mut self, symbol: Option<&str>) -> Result<Vec<OrderState>, Error> {
        trade(self, Capability::QueryOpenOrders)?.open_orders(symbol)
    }

    /// The account's balances ([`Capability::GetBalance`]).
    ///
    /// # Errors
    ///
    /// As [`VenueFeed::place_order`].
    fn balances(&mut self) -> Result<Vec<BalanceState>, Error> {
        trade(self, Capability::GetBalance)?.balances()
    }

    /// The open positions ([`Capability::GetPosition`]: derivatives venues only).
    ///
    /// # Errors
    ///
    /// As [`VenueFeed::place_order`].
    fn positions(&mut self) -> Result<Vec<PositionState>, Error> {
        trade(self, Capability::GetPosition)?.positions()
    }
}

/// The order client of `feed` for an operation needing `cap`: not supported without the
/// capability, a configuration error without credentials.
fn trade<F: VenueFeed + ?Sized>(feed: &mut F, cap: Capability) -> Result<&mut dyn OrderClient, Error> {
    feed.require(cap)?;
    let key = feed.key().to_owned();
    feed.order_client().ok_or_else(|| Error::Configuration {
        detail: format!("{key}: {cap} needs credentials (FeedOptions::credentials)"),
    })
}

/// A feed that claims `cap` but does not implement the operation: still a typed error, never a
/// panic.
fn not_implemented(venue: &str, cap: Capability) -> Error {
    Error::NotSupported { capability: cap, venue: venue.to_owned() }
}

/// What a factory gets to build a feed with.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct FeedOptions {
    /// Credentials, for feeds that trade.
    pub credentials: Option<Credentials>,
    /// The venue's configuration.
    pub config: Option<ExchangeConfig>,
    /// Anything else, by name.
    pub params: BTreeMap<String, String>,
    /// The rate limiter every request of the feed (market data and orders) draws from, shared
    /// with other processes if it is.
    pub limiter: Option<Arc<crate::rate_limit::Limiter>>,
}

impl FeedOptions {
    /// Sets the credentials.
    pub fn credentials(mut self, c: Credentials) -> FeedOptions {
        self.credentials = Some(c);
        self
    }

    /// Sets the venue configuration.
    pub fn config(mut self, c: ExchangeConfig) -> FeedOptions {
        self.config = Some(c);
        self
    }

    /// Draws every request from `limiter`.
    pub fn limiter(mut self, limiter: Arc<crate::rate_limit::Limiter>) -> FeedOptions {
        self.limiter = Some(limiter);
        self
    }

    /// Sets a named parameter.
    pub fn param(mut self, name: &str, value: &str) -> FeedOptions {
        self.params.insert(name.to_owned(), value.to_owned());
        self
    }
}

/// Builds a feed from options.
pub type Factory = Arc<dyn Fn(&FeedOptions) -> Result<Box<dyn VenueFeed>, Error> + Send + Sync>;

/// Errors from registering feeds. Creating an unknown key is [`Error::ExchangeNotFound`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// The key is not `EXCHANGE___ASSET` in upper case.
    #[error("registry key {0:?} is not EXCHANGE___ASSET (upper-case letters and digits, three underscores)")]
    InvalidKey(String),
    /// The key is already registered.
    #[error("registry key {0} is already registered (unregister it first)")]
    Duplicate(String),
}

/// Splits a key into exchange and asset type, checking its form.
///
/// # Examples
///
/// ```
/// use mdbus_sdk::registry::split_key;
/// assert_eq!(split_key("OKX___SWAP"), Some(("OKX", "SWAP")));
/// assert_eq!(split_key("okx_swap"), None);
/// ```
pub fn split_key(key: &str) -> Option<(&str, &str)> {
    let (ex, asset) = key.split_once("___")?;
    let ok = |s: &str, under: bool| {
        !s.is_empty()
            && !s.starts_with('_')
            && !s.ends_with('_')
            && s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || (under && b == b'_'))
    };
    (ok(ex, false) && ok(asset, true)).then_some((ex, asset))
}

struct Entry {
    capabilities: Capabilities,
    factory: Factory,
}

/// Venue feeds by key. Thread-safe: registration takes a write lock, creation a read lock
/// (the factory runs outside it).
///
/// # Examples
///
/// ```
/// use mdbus_sdk::registry::{Capabilities, Capability, Registry, VenueFeed, FeedOptions};
///
/// #[derive(Debug)]
/// struct Paper;
/// impl VenueFeed for Paper {
///     fn key(&self) -> &str { "PAPER___SPOT" }
///     fn capabilities(&self) -> Capabilities { [Capability::GetTick].into_iter().collect() }
/// }
///
/// let registry = Registry::new();
/// registry.register("PAPER___SPOT", [Capability::GetTick].into_iter().collect(), |_| Ok(Box::new(Paper)))?;
/// let feed = registry.create("PAPER___SPOT", &FeedOptions::default())?;
/// assert!(feed.require(Capability::GetTick).is_ok());
/// assert!(feed.require(Capability::MakeOrder).is_err());
/// let err = registry.create("KRAKEN___SPOT", &FeedOptions::default()).unwrap_err();
/// assert_eq!(err.to_string(), "exchange not found: KRAKEN___SPOT; available: PAPER___SPOT");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Registry {
    entries: RwLock<BTreeMap<String, Entry>>,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry").field("keys", &self.keys()).finish()
    }
}

impl Default for Registry {
    fn default() -> Self {
        Registry::new()
    }
}

impl Registry {
    /// Returns a new, empty registry, independent of the global one.
    pub fn new() -> Registry {
        Registry { entries: RwLock::new(BTreeMap::new()) }
    }

    /// Returns the process-wide registry.
    pub fn global() -> &'static Registry {
        static GLOBAL: OnceLock<Registry> = OnceLock::new();
        GLOBAL.get_or_init(Registry::new)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<String, Entry>> {
        // A panic in another thread while holding the lock leaves the map intact (every
        // mutation is a single insert or remove), so a poisoned lock is still usable.
        self.entries.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<String, Entry>> {
        self.entries.write().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Registers a factory under `key` with the feed's capabilities.
    ///
    /// # Errors
    ///
    /// [`RegistryError::InvalidKey`] or [`RegistryError::Duplicate`].
    pub fn register<F>(&self, key: &str, capabilities: Capabilities, factory: F) -> Result<(), RegistryError>
    where
        F: Fn(&FeedOptions) -> Result<Box<dyn VenueFeed>, Error> + Send + Sync + 'static,
    {
        if split_key(key).is_none() {
            return Err(RegistryError::InvalidKey(key.to_owned()));
        }
        let mut map = self.write();
        if map.contains_key(key) {
            return Err(RegistryError::Duplicate(key.to_owned()));
        }
        map.insert(key.to_owned(), Entry { capabilities, factory: Arc::new(factory) });
        Ok(())
    }

    /// Removes `key`; returns whether it was registered.
    pub fn unregister(&self, key: &str) -> bool {
        self.write().remove(key).is_some()
    }

    /// Creates a feed by key.
    ///
    /// # Errors
    ///
    /// [`Error::ExchangeNotFound`] listing the registered keys, or the factory's error.
    pub fn create(&self, key: &str, options: &FeedOptions) -> Result<Box<dyn VenueFeed>, Error> {
        let factory = self.read().get(key).map(|e| Arc::clone(&e.factory));
        match factory {
            Some(f) => f(options),
            None => Err(self.not_found(key)),
        }
    }

    fn not_found(&self, key: &str) -> Error {
        Error::ExchangeNotFound { name: key.to_owned(), available: self.keys() }
    }

    /// Returns the capabilities registered for `key`.
    ///
    /// # Errors
    ///
    /// [`Error::ExchangeNotFound`].
    pub fn capabilities(&self, key: &str) -> Result<Capabilities, Error> {
        let caps = self.read().get(key).map(|e| e.capabilities);
        caps.ok_or_else(|| self.not_found(key))
    }

    /// Returns whether `key` is registered.
    pub fn contains(&self, key: &str) -> bool {
        self.read().contains_key(key)
    }

    /// Returns the registered keys, sorted.
    pub fn keys(&self) -> Vec<String> {
        self.read().keys().cloned().collect()
    }

    /// Returns the keys whose feeds have `cap`.
    pub fn keys_with(&self, cap: Capability) -> Vec<String> {
        self.read().iter().filter(|(_, e)| e.capabilities.contains(cap)).map(|(k, _)| k.clone()).collect()
    }

    /// Removes every entry.
    pub fn clear(&self) {
        self.write().clear();
    }
}
