//! Publish/subscribe by topic inside a process, for control events (connection state, order
//! updates, errors) rather than market data, which travels on the rings.
//!
//! A subscriber is a callback, run in the publisher's thread in subscription order, or a
//! bounded queue that another thread drains. What happens when a callback fails is the bus's
//! [`ErrorMode`].
//!
//! # Where mdbus differs from the seed on purpose
//!
//! - [`ErrorMode::Collect`] returns the failures to the caller; in the seed it behaves exactly
//!   like `Log`.
//! - Failures are returned per call, not kept in a "last errors" list shared by every thread.
//! - Queue subscribers exist (the seed has callbacks only) and a full queue drops the event and
//!   counts it, instead of blocking the publisher.
//! - A topic ending in `*` subscribes to every topic with that prefix (`ws.*`).
//!
//! # Examples
//!
//! ```
//! use std::sync::{Arc, atomic::{AtomicU64, Ordering}};
//! use mdbus_sdk::event_bus::{ErrorMode, EventBus};
//!
//! let bus: EventBus<u64> = EventBus::new(ErrorMode::Collect);
//! let total = Arc::new(AtomicU64::new(0));
//! let t = total.clone();
//! bus.on("fill", move |qty: &u64| { t.fetch_add(*qty, Ordering::Relaxed); Ok(()) })?;
//! let (_, queue) = bus.subscribe_queue("ws.*", 16)?;
//!
//! bus.emit("fill", &5)?;
//! bus.emit("ws.disconnected", &1)?;
//! assert_eq!(total.load(Ordering::Relaxed), 5);
//! assert_eq!(queue.try_recv(), Ok(1));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::{
    collections::BTreeMap,
    fmt,
    sync::{
        Arc, RwLock,
        atomic::{AtomicU64, Ordering},
    },
};

use crossbeam_channel::{Receiver, Sender, TrySendError};

/// What a callback returns when it fails.
pub type HandlerError = Box<dyn std::error::Error + Send + Sync>;

/// What the bus does when a callback fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ErrorMode {
    /// Report the failure to the bus's error sink (standard error by default) and go on with
    /// the other subscribers.
    #[default]
    Log,
    /// Stop at the first failure and return it; later subscribers do not run.
    Raise,
    /// Go on with the other subscribers and return every failure in the [`Delivery`].
    Collect,
}

/// How bad a callback failure is, as the seed grades it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Severity {
    /// An mdbus [`Error`](crate::error::Error) the user can fix (bad symbol, balance, pacing).
    User,
    /// Another mdbus [`Error`](crate::error::Error): the venue said no.
    Business,
    /// Anything else: a bug or an environment failure.
    System,
}

impl Severity {
    /// Grades a callback failure.
    pub fn of(err: &HandlerError) -> Severity {
        match err.downcast_ref::<crate::error::Error>() {
            Some(e) if e.is_user_recoverable() => Severity::User,
            Some(_) => Severity::Business,
            None => Severity::System,
        }
    }
}

/// Identifies one subscription, for [`EventBus::off`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubscriptionId(u64);

/// Errors from subscribing or publishing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BusError {
    /// The topic is empty.
    #[error("event topic is empty")]
    EmptyTopic,
    /// A queue subscription asked for capacity 0.
    #[error("queue capacity must be at least 1")]
    ZeroCapacity,
    /// In [`ErrorMode::Raise`], a callback failed.
    #[error("handler {id:?} for topic {topic:?} failed: {source}")]
    Handler {
        /// The topic emitted.
        topic: String,
        /// The failing subscription.
        id: SubscriptionId,
        /// Its error.
        #[source]
        source: HandlerError,
    },
}

/// What an [`EventBus::emit`] did.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct Delivery {
    /// Subscribers that took the event.
    pub delivered: usize,
    /// Queue subscribers whose queue was full or gone.
    pub dropped: usize,
    /// Callbacks that failed (listed only in [`ErrorMode::Collect`]).
    pub failed: usize,
    /// In [`ErrorMode::Collect`], each failure.
    pub errors: Vec<(SubscriptionId, HandlerError)>,
}

type Callback<T> = Arc<dyn Fn(&T) -> Result<(), HandlerError> + Send + Sync>;
type Sink = Arc<dyn Fn(&str, Severity, &HandlerError) + Send + Sync>;

enum Target<T> {
    Callback(Callback<T>),
    Queue { tx: Sender<T>, dropped: Arc<AtomicU64> },
}

impl<T> Clone for Target<T> {
    fn clone(&self) -> Self {
        match self {
            Target::Callback(c) => Target::Callback(Arc::clone(c)),
            Target::Queue { tx, dropped } => Target::Queue { tx: tx.clone(), dropped: Arc::clone(dropped) },
        }
    }
}

struct Sub<T> {
    id: SubscriptionId,
    target: Target<T>,
}

impl<T> Clone for Sub<T> {
    fn clone(&self) -> Self {
        Sub { id: self.id, target: self.target.clone() }
    }
}

struct Topics<T> {
    exact: BTreeMap<String, Arc<[Sub<T>]>>,
    /// `(prefix, subscription)` for topics ending in `*`.
    prefix: Arc<[(String, Sub<T>)]>,
    next_id: u64,
}

/// A thread-safe topic bus carrying values of type `T`.
pub struct EventBus<T> {
    topics: RwLock<Topics<T>>,
    mode: ErrorMode,
    sink: Sink,
}

impl<T> fmt::Debug for EventBus<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.read();
        f.debug_struct("EventBus")
            .field("mode", &self.mode)
            .field("topics", &t.exact.keys().collect::<Vec<_>>())
            .field("prefixes", &t.prefix.iter().map(|(p, _)| p).collect::<Vec<_>>())
            .finish()
    }
}

impl<T> EventBus<T> {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, Topics<T>> {
        // Every mutation replaces whole `Arc` slices, so a poisoned lock still guards
        // consistent data.
        self.topics.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl<T: Clone + Send + 'static> Default for EventBus<T> {
    fn default() -> Self {
        EventBus::new(ErrorMode::Log)
    }
}

fn stderr_sink(topic: &str, severity: Severity, err: &HandlerError) {
    eprintln!("event bus: {severity:?} error in a handler for {topic:?}: {}", crate::redact::text(&err.to_string()));
}

impl<T: Clone + Send + 'static> EventBus<T> {
    /// Returns an empty bus with the given error mode, logging failures to standard error.
    pub fn new(mode: ErrorMode) -> EventBus<T> {
        EventBus {
            topics: RwLock::new(Topics { exact: BTreeMap::new(), prefix: Arc::from(Vec::new()), next_id: 1 }),
            mode,
            sink: Arc::new(stderr_sink),
        }
    }

    /// Replaces where [`ErrorMode::Log`] reports failures.
    pub fn with_sink(mut self, sink: impl Fn(&str, Severity, &HandlerError) + Send + Sync + 'static) -> EventBus<T> {
        self.sink = Arc::new(sink);
        self
    }

    /// Returns the error mode.
    pub fn mode(&self) -> ErrorMode {
        self.mode
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Topics<T>> {
        self.topics.write().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn add(&self, topic: &str, target: Target<T>) -> Result<SubscriptionId, BusError> {
        if topic.is_empty() {
            return Err(BusError::EmptyTopic);
        }
        let mut t = self.write();
        let id = SubscriptionId(t.next_id);
        t.next_id += 1;
        let sub = Sub { id, target };
        match topic.strip_suffix('*') {
            Some(prefix) => {
                let mut v: Vec<_> = t.prefix.to_vec();
                v.push((prefix.to_owned(), sub));
                t.prefix = v.into();
            }
            None => {
                let mut v: Vec<_> = t.exact.get(topic).map(|s| s.to_vec()).unwrap_or_default();
                v.push(sub);
                t.exact.insert(topic.to_owned(), v.into());
            }
        }
        Ok(id)
    }

    /// Subscribes a callback to `topic` (or, ending in `*`, to every topic with that prefix).
    ///
    /// # Errors
    ///
    /// [`BusError::EmptyTopic`].
    pub fn on(
        &self,
        topic: &str,
        handler: impl Fn(&T) -> Result<(), HandlerError> + Send + Sync + 'static,
    ) -> Result<SubscriptionId, BusError> {
        self.add(topic, Target::Callback(Arc::new(handler)))
    }

    /// Subscribes a bounded queue to `topic`; events that find it full are dropped and counted
    /// in [`Delivery::dropped`] and [`EventBus::dropped`].
    ///
    /// # Errors
    ///
    /// [`BusError::EmptyTopic`] or [`BusError::ZeroCapacity`].
    pub fn subscribe_queue(&self, topic: &str, capacity: usize) -> Result<(SubscriptionId, Receiver<T>), BusError> {
        if capacity == 0 {
            return Err(BusError::ZeroCapacity);
        }
        let (tx, rx) = crossbeam_channel::bounded(capacity);
        let id = self.add(topic, Target::Queue { tx, dropped: Arc::new(AtomicU64::new(0)) })?;
        Ok((id, rx))
    }

    /// Removes one subscription; returns whether it existed.
    pub fn off(&self, id: SubscriptionId) -> bool {
        let mut t = self.write();
        let mut found = false;
        for subs in t.exact.values_mut() {
            if subs.iter().any(|s| s.id == id) {
                *subs = subs.iter().filter(|s| s.id != id).cloned().collect::<Vec<_>>().into();
                found = true;
            }
        }
        t.exact.retain(|_, s| !s.is_empty());
        if t.prefix.iter().any(|(_, s)| s.id == id) {
            t.prefix = t.prefix.iter().filter(|(_, s)| s.id != id).cloned().collect::<Vec<_>>().into();
            found = true;
        }
        found
    }

    /// Removes every subscription to exactly `topic`; returns how many there were.
    pub fn off_topic(&self, topic: &str) -> usize {
        let mut t = self.write();
        match topic.strip_suffix('*') {
            Some(p) => {
                let before = t.prefix.len();
                t.prefix = t.prefix.iter().filter(|(q, _)| q != p).cloned().collect::<Vec<_>>().into();
                before - t.prefix.len()
            }
            None => t.exact.remove(topic).map_or(0, |s| s.len()),
        }
    }

    /// Returns whether anything would receive `topic`.
    pub fn has_subscribers(&self, topic: &str) -> bool {
        let t = self.read();
        t.exact.contains_key(topic) || t.prefix.iter().any(|(p, _)| topic.starts_with(p.as_str()))
    }

    /// Returns how many events queue subscription `id` has dropped.
    pub fn dropped(&self, id: SubscriptionId) -> u64 {
        let t = self.read();
        let all = t.exact.values().flat_map(|s| s.iter()).chain(t.prefix.iter().map(|(_, s)| s));
        all.filter(|s| s.id == id)
            .map(|s| match &s.target {
                Target::Queue { dropped, .. } => dropped.load(Ordering::Relaxed),
                Target::Callback(_) => 0,
            })
            .sum()
    }

    /// Removes every subscription.
    pub fn clear(&self) {
        let mut t = self.write();
        t.exact.clear();
        t.prefix = Arc::from(Vec::new());
    }

    /// Delivers `event` to the subscribers of `topic`: exact subscribers first, then prefix
    /// subscribers, each group in subscription order. Runs callbacks in this thread, without
    /// holding the bus's lock (a callback may subscribe or unsubscribe).
    ///
    /// # Errors
    ///
    /// In [`ErrorMode::Raise`], [`BusError::Handler`] for the first failing callback.
    pub fn emit(&self, topic: &str, event: &T) -> Result<Delivery, BusError> {
        let (exact, prefix) = {
            let t = self.read();
            (t.exact.get(topic).cloned(), Arc::clone(&t.prefix))
        };
        let mut out = Delivery::default();
        let matching = prefix.iter().filter(|(p, _)| topic.starts_with(p.as_str())).map(|(_, s)| s);
        for sub in exact.iter().flat_map(|s| s.iter()).chain(matching) {
            match &sub.target {
                Target::Queue { tx, dropped } => match tx.try_send(event.clone()) {
                    Ok(()) => out.delivered += 1,
                    Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                        dropped.fetch_add(1, Ordering::Relaxed);
                        out.dropped += 1;
                    }
                },
                Target::Callback(f) => match f(event) {
                    Ok(()) => out.delivered += 1,
                    Err(source) => {
                        out.failed += 1;
                        match self.mode {
                            ErrorMode::Raise => {
                                return Err(BusError::Handler { topic: topic.to_owned(), id: sub.id, source });
                            }
                            ErrorMode::Collect => out.errors.push((sub.id, source)),
                            ErrorMode::Log => (self.sink)(topic, Severity::of(&source), &source),
                        }
                    }
                },
            }
        }
        Ok(out)
    }
}
