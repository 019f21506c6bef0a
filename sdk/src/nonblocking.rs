//! Async access to a [`VenueFeed`] (feature `async`), for strategies on an async runtime.
//!
//! The feed lives on a thread of its own and answers its calls in order; each call returns a
//! [`Reply`], a future that completes when that thread has the answer. The futures are plain
//! `std::future::Future`s with no runtime behind them, so they work on any executor (tokio,
//! async-std, smol, a hand-rolled one) and the feature adds no dependency.
//!
//! ```no_run
//! # async fn strategy() -> Result<(), mdbus_sdk::error::Error> {
//! use mdbus_sdk::{nonblocking::AsyncFeed, registry::{FeedOptions, Registry}};
//!
//! let registry = Registry::new();
//! # fn register_feeds(_: &Registry) -> Result<(), mdbus_sdk::registry::RegistryError> { Ok(()) }
//! // The venues' feeds: `mdbus_venues::register_feeds`.
//! register_feeds(&registry).map_err(|e| mdbus_sdk::error::Error::Configuration { detail: e.to_string() })?;
//! let feed = AsyncFeed::new(registry.create("OKX___SPOT", &FeedOptions::default())?);
//! // Both requests are under way at once; the feed's thread answers them in order.
//! let (quote, book) = (feed.ticker("BTC-USDT"), feed.depth("BTC-USDT", 20));
//! let (quote, book) = (quote.await?, book.await?);
//! assert!(quote.bid_px <= book.asks[0].price);
//! # Ok(())
//! # }
//! # let _ = strategy;
//! ```

use std::{
    future::Future,
    pin::Pin,
    sync::{Arc, Mutex, PoisonError},
    task::{Context, Poll, Waker},
};

use mdbus_schemas::{Bar, BookSnapshot, Quote, Trade};

use crate::{
    error::Error,
    market::InstrumentInfo,
    order::{BalanceState, NewOrder, OrderRef, OrderState, Placed, PositionState},
    registry::{Capabilities, VenueFeed},
};

type Job = Box<dyn FnOnce(&mut dyn VenueFeed) + Send>;

/// A [`VenueFeed`] on a thread of its own, called through futures.
#[derive(Debug)]
pub struct AsyncFeed {
    jobs: crossbeam_channel::Sender<Job>,
    key: String,
    capabilities: Capabilities,
}

/// The answer of one [`AsyncFeed`] call, once the feed's thread has it.
#[derive(Debug)]
#[must_use = "a reply does nothing unless awaited"]
pub struct Reply<T> {
    slot: Arc<Mutex<Slot<T>>>,
}

#[derive(Debug)]
struct Slot<T> {
    value: Option<Result<T, Error>>,
    waker: Option<Waker>,
    /// The feed's thread dropped the call without answering (it ended).
    dropped: bool,
}

/// The feed thread's end of a [`Reply`]: answers it, or marks it dropped if it never does.
struct Answer<T> {
    slot: Arc<Mutex<Slot<T>>>,
}

impl<T> Answer<T> {
    fn send(self, value: Result<T, Error>) {
        let waker = {
            let mut s = self.slot.lock().unwrap_or_else(PoisonError::into_inner);
            s.value = Some(value);
            s.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl<T> Drop for Answer<T> {
    fn drop(&mut self) {
        let waker = {
            let mut s = self.slot.lock().unwrap_or_else(PoisonError::into_inner);
            if s.value.is_some() {
                return;
            }
            s.dropped = true;
            s.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl<T> Future for Reply<T> {
    type Output = Result<T, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut s = self.slot.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(v) = s.value.take() {
            return Poll::Ready(v);
        }
        if s.dropped {
            return Poll::Ready(Err(Error::QueueNotInitialized {
                queue: "feed thread".into(),
                detail: "the feed's thread ended before answering".into(),
            }));
        }
        s.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// An order reference the feed's thread can own.
enum OwnedRef {
    Venue(String),
    Client(String),
}

impl OwnedRef {
    fn of(r: OrderRef<'_>) -> OwnedRef {
        match r {
            OrderRef::Venue(id) => OwnedRef::Venue(id.to_owned()),
            OrderRef::Client(id) => OwnedRef::Client(id.to_owned()),
        }
    }

    fn get(&self) -> OrderRef<'_> {
        match self {
            OwnedRef::Venue(id) => OrderRef::Venue(id),
            OwnedRef::Client(id) => OrderRef::Client(id),
        }
    }
}

impl AsyncFeed {
    /// Moves `feed` to a thread of its own; the thread ends when the `AsyncFeed` is dropped
    /// (after answering the calls already made).
    pub fn new(feed: Box<dyn VenueFeed>) -> AsyncFeed {
        let (key, capabilities) = (feed.key().to_owned(), feed.capabilities());
        let (jobs, rx) = crossbeam_channel::unbounded::<Job>();
        let mut feed = feed;
        std::thread::spawn(move || {
            while let Ok(job) = rx.recv() {
                job(feed.as_mut());
            }
        });
        AsyncFeed { jobs, key, capabilities }
    }

    /// The registry key of the feed.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// What the feed can do.
    pub fn capabilities(&self) -> Capabilities {
        self.capabilities
    }

    fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut dyn VenueFeed) -> Result<T, Error> + Send + 'static,
    ) -> Reply<T> {
        let slot = Arc::new(Mutex::new(Slot { value: None, waker: None, dropped: false }));
        let answer = Answer { slot: slot.clone() };
        // If the thread is gone the job (and its answer) is dropped: the reply reports it.
        let _ = self.jobs.send(Box::new(move |feed: &mut dyn VenueFeed| answer.send(f(feed))));
        Reply { slot }
    }

    /// [`VenueFeed::connect`].
    pub fn connect(&self) -> Reply<()> {
        self.call(|f| f.connect())
    }

    /// [`VenueFeed::disconnect`].
    pub fn disconnect(&self) -> Reply<()> {
        self.call(|f| {
            f.disconnect();
            Ok(())
        })
    }

    /// [`VenueFeed::is_connected`].
    pub fn is_connected(&self) -> Reply<bool> {
        self.call(|f| Ok(f.is_connected()))
    }

    /// [`VenueFeed::instruments`].
    pub fn instruments(&self) -> Reply<Vec<InstrumentInfo>> {
        self.call(|f| f.instruments())
    }

    /// [`VenueFeed::ticker`].
    pub fn ticker(&self, symbol: &str) -> Reply<Quote> {
        let symbol = symbol.to_owned();
        self.call(move |f| f.ticker(&symbol))
    }

    /// [`VenueFeed::depth`].
    pub fn depth(&self, symbol: &str, limit: usize) -> Reply<BookSnapshot> {
        let symbol = symbol.to_owned();
        self.call(move |f| f.depth(&symbol, limit))
    }

    /// [`VenueFeed::trades`].
    pub fn trades(&self, symbol: &str, limit: usize) -> Reply<Vec<Trade>> {
        let symbol = symbol.to_owned();
        self.call(move |f| f.trades(&symbol, limit))
    }

    /// [`VenueFeed::klines`].
    pub fn klines(&self, symbol: &str, interval: &str, limit: usize) -> Reply<Vec<Bar>> {
        let (symbol, interval) = (symbol.to_owned(), interval.to_owned());
        self.call(move |f| f.klines(&symbol, &interval, limit))
    }

    /// [`VenueFeed::place_order`].
    pub fn place_order(&self, order: &NewOrder) -> Reply<Placed> {
        let order = order.clone();
        self.call(move |f| f.place_order(&order))
    }

    /// [`VenueFeed::cancel_order`].
    pub fn cancel_order(&self, symbol: &str, order: OrderRef<'_>) -> Reply<OrderState> {
        let (symbol, order) = (symbol.to_owned(), OwnedRef::of(order));
        self.call(move |f| f.cancel_order(&symbol, order.get()))
    }

    /// [`VenueFeed::query_order`].
    pub fn query_order(&self, symbol: &str, order: OrderRef<'_>) -> Reply<OrderState> {
        let (symbol, order) = (symbol.to_owned(), OwnedRef::of(order));
        self.call(move |f| f.query_order(&symbol, order.get()))
    }

    /// [`VenueFeed::open_orders`].
    pub fn open_orders(&self, symbol: Option<&str>) -> Reply<Vec<OrderState>> {
        let symbol = symbol.map(str::to_owned);
        self.call(move |f| f.open_orders(symbol.as_deref()))
    }

    /// [`VenueFeed::balances`].
    pub fn balances(&self) -> Reply<Vec<BalanceState>> {
        self.call(|f| f.balances())
    }

    /// [`VenueFeed::positions`].
    pub fn positions(&self) -> Reply<Vec<PositionState>> {
        self.call(|f| f.positions())
    }
}
