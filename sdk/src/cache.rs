//! Caches with a time to live and a size bound (least recently used goes first), for venue
//! metadata and recent market data fetched over REST.
//!
//! # Where mdbus differs from the seed on purpose
//!
//! - Expiry runs on a monotonic clock, so a wall-clock step neither revives nor kills entries.
//! - When the cache is full, an expired entry is evicted before a live one (the seed's eviction
//!   ignores expiry).
//! - A stored value and a miss are told apart (the seed returns `None` for both).
//! - [`Memo`] keys are typed, so `f(1)` and `f("1")` cannot collide, and it is bounded by
//!   default (the seed's `@cached` joins arguments as strings and is unbounded).
//! - There are no process-wide cache singletons: create one and share it with an `Arc`.
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//! use mdbus_sdk::{cache::TtlCache, clock::FakeClock};
//!
//! let clock = FakeClock::new(0);
//! let mut cache = TtlCache::with_clock(Duration::from_secs(5), Some(2), clock.clone());
//! cache.insert("BTCUSDT", 101);
//! cache.insert("ETHUSDT", 202);
//! assert_eq!(cache.get(&"BTCUSDT"), Some(&101)); // ETHUSDT is now least recently used
//! cache.insert("SOLUSDT", 303);
//! assert_eq!(cache.get(&"ETHUSDT"), None);
//! clock.advance(Duration::from_secs(6));
//! assert_eq!(cache.get(&"BTCUSDT"), None); // expired
//! assert_eq!(cache.stats().hits, 1);
//! ```

use std::{
    collections::{BTreeMap, HashMap},
    hash::Hash,
    sync::Mutex,
    time::Duration,
};

use crate::clock::{Clock, MonotonicClock};

/// Hit and miss counts.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct CacheStats {
    /// Entries held (expired ones not yet swept included).
    pub size: usize,
    /// Lookups that found a live entry.
    pub hits: u64,
    /// Lookups that found nothing or an expired entry.
    pub misses: u64,
}

impl CacheStats {
    /// Returns hits / (hits + misses), 0 before any lookup.
    pub fn hit_rate(&self) -> f64 {
        let n = self.hits + self.misses;
        if n == 0 { 0.0 } else { self.hits as f64 / n as f64 }
    }
}

struct Slot<V> {
    value: V,
    /// Expiry time on the cache's clock; `u64::MAX` = never.
    expires: u64,
    /// Last-use tick, key of `lru`.
    tick: u64,
}

/// A TTL + LRU cache. Every operation is O(log n).
pub struct TtlCache<K, V, C: Clock = MonotonicClock> {
    map: HashMap<K, Slot<V>>,
    /// Last-use tick → key.
    lru: BTreeMap<u64, K>,
    /// (expiry, tick) → key, for entries that expire.
    expiry: BTreeMap<(u64, u64), K>,
    tick: u64,
    ttl: Option<Duration>,
    max_size: Option<usize>,
    clock: C,
    hits: u64,
    misses: u64,
}

impl<K, V, C: Clock> std::fmt::Debug for TtlCache<K, V, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TtlCache")
            .field("len", &self.map.len())
            .field("ttl", &self.ttl)
            .field("max_size", &self.max_size)
            .finish_non_exhaustive()
    }
}

impl<K: Hash + Eq + Clone, V> TtlCache<K, V, MonotonicClock> {
    /// Returns a cache whose entries live `ttl` (the seed's default is 300 s) and which holds
    /// at most `max_size` entries (`None` = unbounded; the seed's default is 10,000).
    pub fn new(ttl: Duration, max_size: Option<usize>) -> Self {
        TtlCache::with_clock(ttl, max_size, MonotonicClock)
    }
}

impl<K: Hash + Eq + Clone, V, C: Clock> TtlCache<K, V, C> {
    /// As [`TtlCache::new`], on `clock`.
    pub fn with_clock(ttl: Duration, max_size: Option<usize>, clock: C) -> Self {
        TtlCache {
            map: HashMap::new(),
            lru: BTreeMap::new(),
            expiry: BTreeMap::new(),
            tick: 0,
            ttl: Some(ttl),
            max_size: max_size.filter(|&n| n > 0),
            clock,
            hits: 0,
            misses: 0,
        }
    }

    fn deadline(&self, ttl: Option<Duration>) -> u64 {
        match ttl {
            Some(t) => self.clock.now_ns().saturating_add(t.as_nanos().min(u128::from(u64::MAX)) as u64),
            None => u64::MAX,
        }
    }

    fn unlink(&mut self, key: &K) -> Option<Slot<V>> {
        let slot = self.map.remove(key)?;
        self.lru.remove(&slot.tick);
        if slot.expires != u64::MAX {
            self.expiry.remove(&(slot.expires, slot.tick));
        }
        Some(slot)
    }

    /// Stores `value` under `key` with the cache's TTL; returns the previous live value.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        let ttl = self.ttl;
        self.insert_with_ttl(key, value, ttl)
    }

    /// Stores `value` with its own TTL (`None` = never expires); returns the previous live value.
    pub fn insert_with_ttl(&mut self, key: K, value: V, ttl: Option<Duration>) -> Option<V> {
        let now = self.clock.now_ns();
        let expires = self.deadline(ttl);
        let old = self.unlink(&key).filter(|s| s.expires > now).map(|s| s.value);
        if let Some(max) = self.max_size {
            while self.map.len() >= max {
                self.evict_one(now);
            }
        }
        self.tick += 1;
        let tick = self.tick;
        self.lru.insert(tick, key.clone());
        if expires != u64::MAX {
            self.expiry.insert((expires, tick), key.clone());
        }
        self.map.insert(key, Slot { value, expires, tick });
        old
    }

    /// Evicts an expired entry if there is one, else the least recently used.
    fn evict_one(&mut self, now: u64) {
        let victim = match self.expiry.first_key_value() {
            Some((&(exp, _), k)) if exp <= now => k.clone(),
            _ => match self.lru.first_key_value() {
                Some((_, k)) => k.clone(),
                None => return,
            },
        };
        self.unlink(&victim);
    }

    /// Returns the live value under `key`, marking it most recently used. An expired entry is
    /// removed and counts as a miss.
    pub fn get(&mut self, key: &K) -> Option<&V> {
        let now = self.clock.now_ns();
        match self.map.get(key).map(|s| s.expires) {
            Some(exp) if exp > now => {
                self.hits += 1;
                self.tick += 1;
                let tick = self.tick;
                let slot = self.map.get_mut(key)?;
                let old = std::mem::replace(&mut slot.tick, tick);
                if let Some(k) = self.lru.remove(&old) {
                    self.lru.insert(tick, k);
                }
                if exp != u64::MAX
                    && let Some(k) = self.expiry.remove(&(exp, old))
                {
                    self.expiry.insert((exp, tick), k);
                }
                self.map.get(key).map(|s| &s.value)
            }
            Some(_) => {
                self.unlink(key);
                self.misses += 1;
                None
            }
            None => {
                self.misses += 1;
                None
            }
        }
    }

    /// Returns whether a live value is stored under `key`, without touching recency or stats.
    pub fn contains(&self, key: &K) -> bool {
        let now = self.clock.now_ns();
        self.map.get(key).is_some_and(|s| s.expires > now)
    }

    /// Removes `key`; returns its value if it was live.
    pub fn remove(&mut self, key: &K) -> Option<V> {
        let now = self.clock.now_ns();
        self.unlink(key).filter(|s| s.expires > now).map(|s| s.value)
    }

    /// Removes every expired entry; returns how many.
    pub fn cleanup(&mut self) -> usize {
        let now = self.clock.now_ns();
        let mut n = 0;
        while let Some((&(exp, _), k)) = self.expiry.first_key_value() {
            if exp > now {
                break;
            }
            let k = k.clone();
            self.unlink(&k);
            n += 1;
        }
        n
    }

    /// Removes every entry whose key matches `pred`; returns how many.
    pub fn remove_where(&mut self, mut pred: impl FnMut(&K) -> bool) -> usize {
        let keys: Vec<K> = self.map.keys().filter(|k| pred(k)).cloned().collect();
        keys.iter().filter(|k| self.unlink(k).is_some()).count()
    }

    /// Returns the number of entries held (expired ones not yet swept included).
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Returns whether the cache holds nothing.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Returns the keys of live entries.
    pub fn keys(&self) -> Vec<K> {
        let now = self.clock.now_ns();
        self.map.iter().filter(|(_, s)| s.expires > now).map(|(k, _)| k.clone()).collect()
    }

    /// Removes everything (stats are kept).
    pub fn clear(&mut self) {
        self.map.clear();
        self.lru.clear();
        self.expiry.clear();
    }

    /// Returns the counts.
    pub fn stats(&self) -> CacheStats {
        CacheStats { size: self.map.len(), hits: self.hits, misses: self.misses }
    }
}

/// A [`TtlCache`] behind a mutex, for sharing between threads; values come out cloned.
#[derive(Debug)]
pub struct SharedCache<K, V, C: Clock = MonotonicClock>(Mutex<TtlCache<K, V, C>>);

impl<K: Hash + Eq + Clone, V: Clone, C: Clock> SharedCache<K, V, C> {
    /// Wraps a cache.
    pub fn new(cache: TtlCache<K, V, C>) -> Self {
        SharedCache(Mutex::new(cache))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, TtlCache<K, V, C>> {
        // A panic while holding the lock cannot leave the maps out of step (each method keeps
        // them in step before any call that could panic), so keep using it.
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// As [`TtlCache::get`], cloned.
    pub fn get(&self, key: &K) -> Option<V> {
        self.lock().get(key).cloned()
    }

    /// As [`TtlCache::insert`].
    pub fn insert(&self, key: K, value: V) -> Option<V> {
        self.lock().insert(key, value)
    }

    /// As [`TtlCache::insert_with_ttl`].
    pub fn insert_with_ttl(&self, key: K, value: V, ttl: Option<Duration>) -> Option<V> {
        self.lock().insert_with_ttl(key, value, ttl)
    }

    /// As [`TtlCache::remove`].
    pub fn remove(&self, key: &K) -> Option<V> {
        self.lock().remove(key)
    }

    /// As [`TtlCache::remove_where`].
    pub fn remove_where(&self, pred: impl FnMut(&K) -> bool) -> usize {
        self.lock().remove_where(pred)
    }

    /// As [`TtlCache::cleanup`].
    pub fn cleanup(&self) -> usize {
        self.lock().cleanup()
    }

    /// As [`TtlCache::stats`].
    pub fn stats(&self) -> CacheStats {
        self.lock().stats()
    }

    /// As [`TtlCache::len`].
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// As [`TtlCache::is_empty`].
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// As [`TtlCache::clear`].
    pub fn clear(&self) {
        self.lock().clear()
    }
}

/// Venue metadata by exchange (the seed's `ExchangeInfoCache`: one hour by default): the list
/// of trading pairs per exchange and an info value per symbol.
#[derive(Debug)]
pub struct ExchangeInfoCache<I, C: Clock = MonotonicClock> {
    pairs: SharedCache<String, Vec<String>, C>,
    info: SharedCache<(String, String), I, C>,
}

/// Default TTL of [`ExchangeInfoCache`].
pub const EXCHANGE_INFO_TTL: Duration = Duration::from_secs(3600);
/// Default TTL of [`MarketDataCache`].
pub const MARKET_DATA_TTL: Duration = Duration::from_secs(5);

impl<I: Clone> ExchangeInfoCache<I, MonotonicClock> {
    /// Returns an empty cache with the seed's one-hour TTL.
    pub fn new() -> Self {
        ExchangeInfoCache::with_clock(EXCHANGE_INFO_TTL, MonotonicClock)
    }
}

impl<I: Clone> Default for ExchangeInfoCache<I, MonotonicClock> {
    fn default() -> Self {
        ExchangeInfoCache::new()
    }
}

impl<I: Clone, C: Clock + Clone> ExchangeInfoCache<I, C> {
    /// Returns an empty cache with `ttl` on `clock`.
    pub fn with_clock(ttl: Duration, clock: C) -> Self {
        ExchangeInfoCache {
            pairs: SharedCache::new(TtlCache::with_clock(ttl, None, clock.clone())),
            info: SharedCache::new(TtlCache::with_clock(ttl, None, clock)),
        }
    }

    /// Stores an exchange's trading pairs.
    pub fn set_trading_pairs(&self, exchange: &str, pairs: Vec<String>) {
        self.pairs.insert(exchange.to_owned(), pairs);
    }

    /// Returns an exchange's trading pairs, if cached and fresh.
    pub fn trading_pairs(&self, exchange: &str) -> Option<Vec<String>> {
        self.pairs.get(&exchange.to_owned())
    }

    /// Stores a symbol's info.
    pub fn set_info(&self, exchange: &str, symbol: &str, info: I) {
        self.info.insert((exchange.to_owned(), symbol.to_owned()), info);
    }

    /// Returns a symbol's info, if cached and fresh.
    pub fn info(&self, exchange: &str, symbol: &str) -> Option<I> {
        self.info.get(&(exchange.to_owned(), symbol.to_owned()))
    }

    /// Forgets everything about one exchange; returns how many entries went.
    pub fn clear_exchange(&self, exchange: &str) -> usize {
        self.pairs.remove_where(|k| k == exchange) + self.info.remove_where(|(e, _)| e == exchange)
    }
}

/// Recent tickers and order books by exchange and symbol (the seed's `MarketDataCache`: five
/// seconds by default).
#[derive(Debug)]
pub struct MarketDataCache<T, B, C: Clock = MonotonicClock> {
    tickers: SharedCache<(String, String), T, C>,
    books: SharedCache<(String, String), B, C>,
}

impl<T: Clone, B: Clone> MarketDataCache<T, B, MonotonicClock> {
    /// Returns an empty cache with the seed's five-second TTL.
    pub fn new() -> Self {
        MarketDataCache::with_clock(MARKET_DATA_TTL, MonotonicClock)
    }
}

impl<T: Clone, B: Clone> Default for MarketDataCache<T, B, MonotonicClock> {
    fn default() -> Self {
        MarketDataCache::new()
    }
}

impl<T: Clone, B: Clone, C: Clock + Clone> MarketDataCache<T, B, C> {
    /// Returns an empty cache with `ttl` on `clock`.
    pub fn with_clock(ttl: Duration, clock: C) -> Self {
        MarketDataCache {
            tickers: SharedCache::new(TtlCache::with_clock(ttl, None, clock.clone())),
            books: SharedCache::new(TtlCache::with_clock(ttl, None, clock)),
        }
    }

    /// Stores a ticker.
    pub fn set_ticker(&self, exchange: &str, symbol: &str, ticker: T) {
        self.tickers.insert((exchange.to_owned(), symbol.to_owned()), ticker);
    }

    /// Returns a fresh ticker.
    pub fn ticker(&self, exchange: &str, symbol: &str) -> Option<T> {
        self.tickers.get(&(exchange.to_owned(), symbol.to_owned()))
    }

    /// Stores an order book.
    pub fn set_order_book(&self, exchange: &str, symbol: &str, book: B) {
        self.books.insert((exchange.to_owned(), symbol.to_owned()), book);
    }

    /// Returns a fresh order book.
    pub fn order_book(&self, exchange: &str, symbol: &str) -> Option<B> {
        self.books.get(&(exchange.to_owned(), symbol.to_owned()))
    }
}

/// Memoises a function by typed key: bounded (1,024 entries by default) and with a TTL; errors
/// are not cached.
///
/// # Examples
///
/// ```
/// use std::{cell::Cell, time::Duration};
/// use mdbus_sdk::cache::Memo;
///
/// let memo: Memo<u32, u64> = Memo::new(Duration::from_secs(60));
/// let calls = Cell::new(0);
/// let square = |x: u32| { calls.set(calls.get() + 1); u64::from(x) * u64::from(x) };
/// assert_eq!(memo.get_or_insert_with(7, || square(7)), 49);
/// assert_eq!(memo.get_or_insert_with(7, || square(7)), 49);
/// assert_eq!(calls.get(), 1);
/// ```
#[derive(Debug)]
pub struct Memo<K, V, C: Clock = MonotonicClock>(SharedCache<K, V, C>);

/// Default bound of a [`Memo`].
pub const MEMO_DEFAULT_SIZE: usize = 1024;

impl<K: Hash + Eq + Clone, V: Clone> Memo<K, V, MonotonicClock> {
    /// Returns a memo whose results live `ttl`, holding at most [`MEMO_DEFAULT_SIZE`].
    pub fn new(ttl: Duration) -> Self {
        Memo(SharedCache::new(TtlCache::new(ttl, Some(MEMO_DEFAULT_SIZE))))
    }
}

impl<K: Hash + Eq + Clone, V: Clone, C: Clock> Memo<K, V, C> {
    /// Wraps a cache of your own (size, TTL, clock).
    pub fn with_cache(cache: TtlCache<K, V, C>) -> Self {
        Memo(SharedCache::new(cache))
    }

    /// Returns the cached result for `key`, or computes, stores and returns it. The function
    /// runs without the lock held, so two threads may both compute a missing key.
    pub fn get_or_insert_with(&self, key: K, f: impl FnOnce() -> V) -> V {
        if let Some(v) = self.0.get(&key) {
            return v;
        }
        let v = f();
        self.0.insert(key, v.clone());
        v
    }

    /// As [`Memo::get_or_insert_with`] for a fallible function; an error is returned and not
    /// stored.
    ///
    /// # Errors
    ///
    /// Whatever `f` returns.
    pub fn try_get_or_insert_with<E>(&self, key: K, f: impl FnOnce() -> Result<V, E>) -> Result<V, E> {
        if let Some(v) = self.0.get(&key) {
            return Ok(v);
        }
        let v = f()?;
        self.0.insert(key, v.clone());
        Ok(v)
    }

    /// Forgets every result.
    pub fn clear(&self) {
        self.0.clear();
    }

    /// Returns the counts.
    pub fn stats(&self) -> CacheStats {
        self.0.stats()
    }
}
