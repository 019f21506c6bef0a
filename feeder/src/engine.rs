//! Worker threads: each owns feeds and their connections, polls mio (busy with a zero timeout,
//! or with a timeout on shared cores), hands frames to the feeds, fetches REST snapshots for
//! books that need one, and keeps the rings' heartbeats fresh.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use mdbus_bus::{RingDir, RingOptions, now_ns};
use mdbus_schemas::{Instrument, InstrumentId, InstrumentTable, Kind, Nanos, Symbol};
use mio::{Events, Poll, Token};
use rustls::ClientConfig;

use crate::{
    book::BookBuilder,
    config::{FeedConfig, FeedEntry, PollMode, WorkerConfig},
    connection::{ConnSettings, ConnStats, Connection, Event},
    decode::Levels,
    feed::{Feed, FeedStats, Rings},
    venue::{BookChannel, SnapshotSource, Venue, Venues},
};
use mdbus_sdk::{http::HttpClient, url::Endpoint};

/// Errors setting the feeder up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// A ring could not be created.
    #[error("ring: {0}")]
    Ring(#[from] mdbus_bus::OpenError),
    /// The configuration names something unusable.
    #[error("config: {0}")]
    Config(String),
    /// TLS setup failed.
    #[error(transparent)]
    Tls(#[from] mdbus_sdk::tls::TlsError),
    /// The poller could not be created.
    #[error("poll: {0}")]
    Io(#[from] std::io::Error),
    /// An account's credentials could not be loaded.
    #[error("account {account}: {source}")]
    Credentials {
        /// The account name.
        account: String,
        /// Why.
        #[source]
        source: mdbus_sdk::credentials::CredentialsError,
    },
}

/// Builds the configured accounts' private streams, each publishing into `<name>.account` in
/// `dir` (a ring of 192-byte slots carrying orders, fills, balances and positions).
///
/// # Errors
///
/// [`EngineError::Config`] for an invalid configuration, [`EngineError::Credentials`] when an
/// account's credentials cannot be loaded (missing variable, file others can read), and ring
/// errors.
pub fn build_accounts(
    cfg: &FeedConfig,
    venues: Venues,
    dir: &RingDir,
    tls: Arc<ClientConfig>,
) -> Result<Vec<crate::account::AccountRunner>, EngineError> {
    use mdbus_sdk::credentials::Credentials;
    cfg.validate(venues).map_err(|e| EngineError::Config(e.to_string()))?;
    let mut out = Vec::new();
    for a in &cfg.accounts {
        let creds = match (&a.credentials_env, &a.credentials_file) {
            (Some(prefix), _) => Credentials::from_env(prefix),
            (None, Some(path)) => Credentials::from_file(path),
            (None, None) => return Err(EngineError::Config(format!("account {}: no credentials", a.name))),
        }
        .map_err(|source| EngineError::Credentials { account: a.name.clone(), source })?;
        let opts = mdbus_bus::RingOptions::default().capacity(a.ring_capacity);
        let writer = dir.writer(&format!("{}.account", a.name), mdbus_schemas::Kind::ORDER, &opts)?;
        let venue = venues.find(&a.venue, &a.market).ok_or_else(|| {
            EngineError::Config(format!("account {}: unknown venue {} {}", a.name, a.venue, a.market))
        })?;
        let runner = venue
            .account(a, creds, writer, tls.clone())
            .map_err(|e| EngineError::Config(format!("account {}: {e}", a.name)))?;
        out.push(runner.named(&a.name));
    }
    Ok(out)
}

/// Live counters of one feed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FeedStatus {
    /// Feed counters.
    pub feed: FeedStats,
    /// Summed connection counters.
    pub conns: ConnStats,
    /// REST snapshots applied.
    pub snapshots: u64,
    /// REST snapshot failures.
    pub snapshot_errors: u64,
    /// Instrument metadata reloads that failed (the exponents in use stay as they are).
    pub metadata_errors: u64,
    /// Books of the feed that are in sync now.
    pub books_live: u32,
    /// Books the feed keeps (one per instrument when it carries depth).
    pub books: u32,
    /// Connection attempts that failed before the connection was up (refused, TLS failure,
    /// the upgrade answered with an HTTP error, nothing listening...).
    pub failed_connects: u64,
}

/// One connection's counters and state, for monitoring.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConnReport {
    /// Its counters.
    pub stats: ConnStats,
    /// Whether its websocket is up.
    pub open: bool,
    /// Whether its subscriptions are all acknowledged.
    pub subscribed: bool,
}

/// One feed's counters, books and connections, for monitoring (`mdbus feed --metrics`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedReport {
    /// The feed's name (its ring prefix).
    pub name: String,
    /// The venue's configuration name.
    pub venue: &'static str,
    /// The feed's counters.
    pub status: FeedStatus,
    /// Its books' counters, summed.
    pub books: crate::book::BookStats,
    /// Each connection, in order.
    pub conns: Vec<ConnReport>,
}

/// Fetches REST depth snapshots on a thread of its own, so the worker never waits for HTTP.
struct Fetcher {
    requests: crossbeam_channel::Sender<(String, String)>,
    replies: crossbeam_channel::Receiver<(String, Result<Vec<u8>, String>)>,
    in_flight: std::collections::HashSet<String>,
}

impl Fetcher {
    /// Starts the fetch thread; it ends when the fetcher is dropped.
    fn start(mut rest: HttpClient) -> Fetcher {
        let (requests, req_rx) = crossbeam_channel::unbounded::<(String, String)>();
        let (rep_tx, replies) = crossbeam_channel::unbounded();
        std::thread::spawn(move || {
            while let Ok((symbol, path)) = req_rx.recv() {
                let body = rest.get(&path).map_err(|e| e.to_string());
                if rep_tx.send((symbol, body)).is_err() {
                    break;
                }
            }
        });
        Fetcher { requests, replies, in_flight: std::collections::HashSet::new() }
    }
}

/// Records a feed to a capture file on a thread of its own: entries the worker sends (frames,
/// snapshots, connection events) and the records it reads from the feed's rings.
struct CaptureSink {
    tx: Option<crossbeam_channel::Sender<crate::capture::Entry>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl CaptureSink {
    fn start(
        path: &std::path::Path,
        meta: &crate::capture::Meta,
        dir: &RingDir,
        name: &str,
    ) -> Result<CaptureSink, EngineError> {
        use crate::capture::{CaptureWriter, Entry};
        let mut w = CaptureWriter::create(path, meta)
            .map_err(|e| EngineError::Config(format!("record {}: {e}", path.display())))?;
        let mut readers = Vec::new();
        for ring in ["quote", "trade", "book", "depth", "bar"] {
            let p = dir.ring_path(&format!("{name}.{ring}"))?;
            // From the head: what this run publishes (a reopened ring holds an older run's records).
            let r = mdbus_bus::Reader::open_at(&p, mdbus_bus::Start::Head)?;
            readers.push(r);
        }
        let (tx, rx) = crossbeam_channel::unbounded::<Entry>();
        let thread = std::thread::spawn(move || {
            let drain = |readers: &mut Vec<mdbus_bus::Reader>, w: &mut CaptureWriter| {
                for r in readers.iter_mut() {
                    let ring = r.kind().0;
                    loop {
                        match r.try_read() {
                            Ok(rec) => {
                                let _ = w.write(&Entry::Record { ring, bytes: rec.bytes().to_vec() });
                            }
                            // Lapped: the capture misses those records (the ring's own count).
                            Err(mdbus_bus::ReadError::Overrun { .. }) => {}
                            Err(mdbus_bus::ReadError::Empty) => break,
                        }
                    }
                }
            };
            loop {
                match rx.recv_timeout(Duration::from_millis(2)) {
                    Ok(e) => {
                        let _ = w.write(&e);
                        while let Ok(e) = rx.try_recv() {
                            let _ = w.write(&e);
                        }
                    }
                    Err(crossbeam_channel::RecvTimeoutError::Timeout) => {}
                    Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break,
                }
                drain(&mut readers, &mut w);
            }
            drain(&mut readers, &mut w);
            let _ = w.finish();
        });
        Ok(CaptureSink { tx: Some(tx), thread: Some(thread) })
    }

    fn send(&self, e: crate::capture::Entry) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(e);
        }
    }
}

impl Drop for CaptureSink {
    fn drop(&mut self) {
        // Closing the channel ends the thread, which writes the index and trailer.
        self.tx = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

struct FeedRuntime {
    /// Set when the feed is recorded (`record:` in its configuration).
    capture: Option<CaptureSink>,
    name: String,
    feed: Feed,
    conns: Vec<Connection>,
    /// REST snapshots (Binance, Gate.io).
    fetcher: Option<Fetcher>,
    /// Websocket snapshot requests sent (HTX): symbol and when.
    requested: std::collections::HashMap<String, Instant>,
    /// The channel the feed's books come from, if it keeps books.
    book: Option<BookChannel>,
    next_snapshot: Instant,
    connected: Vec<bool>,
    snapshots: u64,
    snapshot_errors: u64,
    /// Reloads of the venue's instrument metadata, when some exponents come from it.
    watch: Option<crate::instruments::Watch>,
    /// Per instrument: whether its exponents follow the venue's metadata.
    from_venue: Vec<bool>,
    value_errors_seen: u64,
    metadata_errors: u64,
    /// Per connection: the instruments whose books it carries (reset when it drops).
    conn_books: Vec<Vec<usize>>,
    /// Levels a side of the REST snapshots.
    snapshot_depth: Option<u32>,
    /// Connection failures not yet handed to the owner: why, for the operator (made only when
    /// a connection fails, never on the frame path; at most 64 kept).
    failures: Vec<String>,
    /// Connection attempts that failed before the connection was up.
    failed_connects: u64,
    /// Per connection: whether its attempts have been failing since it was last up (one
    /// `connect_failed` marker per such run).
    failing: Vec<bool>,
}

/// The instruments (by position) whose book topic (from `book`) is among `topics`.
fn books_on(venue: Venue, book: Option<BookChannel>, instruments: &[Instrument], topics: &[String]) -> Vec<usize> {
    let Some(book) = book else { return Vec::new() };
    instruments
        .iter()
        .enumerate()
        .filter(|(_, inst)| venue.book_topic(book.channel, inst.symbol.as_str()).is_some_and(|t| topics.contains(&t)))
        .map(|(i, _)| i)
        .collect()
}

/// One pinned worker thread's state.
pub struct Worker {
    core: usize,
    mode: PollMode,
    timeout: Duration,
    poll: Poll,
    events: Events,
    feeds: Vec<FeedRuntime>,
    last_heartbeat: Instant,
    levels: Levels,
    listing: Option<Arc<Listing>>,
    /// Where a report of every feed goes once a second, if anyone listens.
    reports: Option<crossbeam_channel::Sender<Vec<FeedReport>>>,
    /// Per mio token: whether the last poll reported it ready (cleared after each step).
    ready: Vec<bool>,
    /// When every connection is next driven whatever its readiness (timers: keepalives,
    /// subscribe pacing, watchdogs, reconnects).
    next_housekeeping: Instant,
}

/// How often every connection is driven for its timers, ready or not.
const HOUSEKEEPING: Duration = Duration::from_millis(1);

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker").field("core", &self.core).field("feeds", &self.feeds.len()).finish_non_exhaustive()
    }
}

/// Creates (or reopens) a feed's rings in `dir`: `<name>.quote`, `.trade`, `.book`, `.depth`,
/// `.bar`, each of `capacity` records.
///
/// # Errors
///
/// [`EngineError::Ring`] when a ring cannot be created.
pub fn rings(dir: &RingDir, name: &str, capacity: u64) -> Result<Rings, EngineError> {
    let o = RingOptions::default().capacity(capacity);
    Ok(Rings {
        quotes: dir.writer(&format!("{name}.quote"), Kind::QUOTE, &o)?,
        trades: dir.writer(&format!("{name}.trade"), Kind::TRADE, &o)?,
        book: dir.writer(&format!("{name}.book"), Kind::BOOK_DELTA, &o)?,
        depth: dir.writer(&format!("{name}.depth"), Kind::BOOK_SNAPSHOT, &o)?,
        bars: dir.writer(&format!("{name}.bar"), Kind::BAR, &o)?,
    })
}

/// The feed's instruments, and for each whether its exponents came from the venue's metadata
/// (else from the configuration). Loads the metadata when some symbol leaves its exponents out,
/// and returns the metadata source for later reloads.
#[allow(clippy::type_complexity)]
fn instruments(
    f: &FeedEntry,
    venue: Venue,
    extra_pem: &[String],
) -> Result<(Vec<Instrument>, Vec<bool>, Option<Box<dyn mdbus_sdk::registry::VenueFeed>>), EngineError> {
    let (exps, source) = if f.uses_venue_metadata() {
        let what = || format!("{}: instrument metadata ({})", f.name, crate::instruments::registry_key(venue));
        let mut src = crate::instruments::source(venue, f.rest_url.as_deref(), extra_pem)
            .map_err(|e| EngineError::Config(format!("{}: {e}", what())))?;
        let exps =
            crate::instruments::load(src.as_mut()).map_err(|e| EngineError::Config(format!("{}: {e}", what())))?;
        (exps, Some(src))
    } else {
        (crate::instruments::Exponents::new(), None)
    };
    let id = venue.id();
    let mut from_venue = Vec::with_capacity(f.symbols.len());
    let insts = f
        .symbols
        .iter()
        .map(|s| {
            let sym = Symbol::new(&s.symbol).map_err(|e| EngineError::Config(format!("{}: {e}", s.symbol)))?;
            let (pe, qe) = match s.exponents() {
                Some(e) => {
                    from_venue.push(false);
                    e
                }
                None => {
                    from_venue.push(true);
                    crate::instruments::lookup(&exps, &s.symbol).ok_or_else(|| {
                        EngineError::Config(format!(
                            "{}: {} is not among the venue's instruments (give price_exp and qty_exp to use it anyway)",
                            f.name, s.symbol
                        ))
                    })?
                }
            };
            Ok(Instrument::new(InstrumentId(s.id), id, sym, pe, qe))
        })
        .collect::<Result<Vec<_>, EngineError>>()?;
    Ok((insts, from_venue, source))
}

/// The instrument table beside the rings, shared by the workers: a relisting adds to it and
/// writes it out again.
#[derive(Debug)]
struct Listing {
    table: Mutex<InstrumentTable>,
    dir: RingDir,
}

/// Builds one [`Worker`] per configured worker: creates every feed's rings in `dir`, writes the
/// instrument table beside them, and prepares the connections (sharded by the venue's
/// streams-per-connection limit). `settings` applies to every connection.
///
/// # Errors
///
/// [`EngineError`] for rings, TLS or configuration problems.
pub fn build(
    cfg: &FeedConfig,
    venues: Venues,
    dir: &RingDir,
    tls: Arc<ClientConfig>,
    settings: ConnSettings,
) -> Result<Vec<Worker>, EngineError> {
    cfg.validate(venues).map_err(|e| EngineError::Config(e.to_string()))?;
    let mut table = InstrumentTable::default();
    // The extra roots, for the metadata loads (which go through the SDK's HTTP client).
    let extra_pem = if cfg.feeds.iter().any(FeedEntry::uses_venue_metadata) {
        cfg.tls
            .extra_roots
            .iter()
            .map(|p| {
                std::fs::read_to_string(p)
                    .map_err(|e| EngineError::Config(format!("tls.extra_roots {}: {e}", p.display())))
            })
            .collect::<Result<Vec<_>, _>>()?
    } else {
        Vec::new()
    };
    // A worker pinned to a core this host does not have would run unpinned, silently.
    let cores = core_affinity::get_core_ids().map_or(0, |c| c.len());
    if cores > 0
        && let Some((i, w)) = cfg.workers.iter().enumerate().find(|(_, w)| w.core >= cores)
    {
        return Err(EngineError::Config(format!(
            "workers[{i}].core: {} is not a core of this host, which has cores 0 to {}",
            w.core,
            cores - 1
        )));
    }
    let mut workers: Vec<Worker> = cfg
        .workers
        .iter()
        .map(|w: &WorkerConfig| {
            Ok(Worker {
                core: w.core,
                mode: w.poll,
                timeout: Duration::from_micros(w.timeout_us),
                poll: Poll::new()?,
                events: Events::with_capacity(256),
                feeds: Vec::new(),
                last_heartbeat: Instant::now(),
                levels: Levels::default(),
                listing: None,
                reports: None,
                ready: Vec::new(),
                next_housekeeping: Instant::now(),
            })
        })
        .collect::<Result<_, EngineError>>()?;
    let mut token = 0usize;
    for f in &cfg.feeds {
        let venue = venues
            .find(&f.venue, &f.market)
            .ok_or_else(|| EngineError::Config(format!("{}: unknown venue {} {}", f.name, f.venue, f.market)))?;
        let (insts, from_venue, source) = instruments(f, venue, &extra_pem)?;
        for i in &insts {
            table.insert(*i).map_err(|e| EngineError::Config(e.to_string()))?;
        }
        let watch = source
            .filter(|_| f.instrument_refresh_s > 0)
            .map(|src| crate::instruments::Watch::start(src, Duration::from_secs(f.instrument_refresh_s)));
        let capture_instruments: Vec<crate::capture::MetaInstrument> = insts
            .iter()
            .map(|i| crate::capture::MetaInstrument {
                id: i.id.0,
                symbol: i.symbol.as_str().to_owned(),
                price_exp: i.price_exp,
                qty_exp: i.qty_exp,
            })
            .collect();
        let book = venue.feed_book(&f.channels);
        let rule = book.map_or_else(|| venue.sync_rule(), |b| b.rule);
        let mut feed = Feed::with_rule(venue, rule, insts, rings(dir, &f.name, f.ring_capacity)?);
        feed.report_outage();
        if f.book_table_depth > 0 && book.is_some() {
            let ids: Vec<InstrumentId> = feed.instruments().iter().map(|i| i.id).collect();
            feed.set_book_table(mdbus_bus::BookTableWriter::create(
                dir.books_path(&f.name)?,
                &ids,
                f.book_table_depth,
            )?);
        }
        let endpoint = Endpoint::parse(&f.url).ok_or_else(|| EngineError::Config(format!("bad url {}", f.url)))?;
        let symbols: Vec<&str> = f.symbols.iter().map(|s| s.symbol.as_str()).collect();
        let all =
            venue.topics(&f.channels, &symbols).map_err(|c| EngineError::Config(format!("{}: channel {c}", f.name)))?;
        let chunks: Vec<&[String]> = all.chunks(venue.limits().topics_per_connection.max(1)).collect();
        let conn_books: Vec<Vec<usize>> = chunks.iter().map(|c| books_on(venue, book, feed.instruments(), c)).collect();
        let conns = chunks
            .iter()
            .map(|chunk| {
                token += 1;
                Connection::new(venue, endpoint.clone(), chunk.to_vec(), tls.clone(), settings, Token(token))
            })
            .collect::<Vec<_>>();
        let n = conns.len();
        let fetcher = match (book.map(|b| b.snapshots), f.rest_url.as_deref()) {
            (Some(SnapshotSource::Rest), Some(url)) => {
                Some(Fetcher::start(HttpClient::new(url, tls.clone()).map_err(|e| EngineError::Config(e.to_string()))?))
            }
            (Some(SnapshotSource::Rest), None) => {
                return Err(EngineError::Config(format!("{}: rest_url is needed for book snapshots", f.name)));
            }
            _ => None,
        };
        let capture = match &f.record {
            Some(path) => {
                let meta = crate::capture::Meta {
                    feed: f.name.clone(),
                    venue: f.venue.clone(),
                    market: f.market.clone(),
                    instruments: capture_instruments,
                    channels: f.channels.clone(),
                };
                Some(CaptureSink::start(path, &meta, dir, &f.name)?)
            }
            None => None,
        };
        let mut conns = conns;
        for c in &mut conns {
            c.set_capture(capture.is_some());
        }
        let rt = FeedRuntime {
            capture,
            name: f.name.clone(),
            feed,
            conns,
            fetcher,
            requested: std::collections::HashMap::new(),
            book,
            next_snapshot: Instant::now(),
            connected: vec![false; n],
            snapshots: 0,
            snapshot_errors: 0,
            watch,
            from_venue,
            value_errors_seen: 0,
            metadata_errors: 0,
            conn_books,
            snapshot_depth: f.snapshot_depth.or_else(|| venue.snapshot_max_depth()),
            failures: Vec::new(),
            failed_connects: 0,
            failing: vec![false; n],
        };
        let w = workers.get_mut(f.worker).ok_or_else(|| EngineError::Config(format!("no worker {}", f.worker)))?;
        w.feeds.push(rt);
    }
    dir.save_instruments(&table)?;
    for w in &mut workers {
        w.ready = vec![false; token + 1];
    }
    let listing = Arc::new(Listing { table: Mutex::new(table), dir: dir.clone() });
    for w in &mut workers {
        w.listing = Some(listing.clone());
    }
    Ok(workers)
}

impl Worker {
    /// Returns the core this worker is meant to run on.
    pub fn core(&self) -> usize {
        self.core
    }

    /// Returns the status of every feed: name and counters.
    pub fn status(&self) -> Vec<(String, FeedStatus)> {
        self.feeds
            .iter()
            .map(|f| {
                let mut conns = ConnStats::default();
                for c in &f.conns {
                    let s = c.stats();
                    conns.connects += s.connects;
                    conns.disconnects += s.disconnects;
                    conns.frames += s.frames;
                    conns.bytes += s.bytes;
                    conns.refused += s.refused;
                }
                (
                    f.name.clone(),
                    FeedStatus {
                        feed: f.feed.stats(),
                        conns,
                        snapshots: f.snapshots,
                        snapshot_errors: f.snapshot_errors,
                        metadata_errors: f.metadata_errors,
                        books_live: (0..f.feed.instruments().len())
                            .filter(|i| f.feed.book(*i).is_some_and(BookBuilder::is_live))
                            .count() as u32,
                        books: if f.book.is_some() { f.feed.instruments().len() as u32 } else { 0 },
                        failed_connects: f.failed_connects,
                    },
                )
            })
            .collect()
    }

    /// Pins the calling thread to the worker's core and runs until `stop` is set.
    pub fn run(&mut self, stop: &AtomicBool) {
        self.run_with(stop, &mut |_| {});
    }

    /// Like [`Worker::run`], handing the feeds' status to `report` once a second (from this
    /// thread, outside the frame path).
    pub fn run_with(&mut self, stop: &AtomicBool, report: &mut dyn FnMut(Vec<(String, FeedStatus)>)) {
        self.run_reporting(stop, report, &mut |_, _| {});
    }

    /// Sends a [`FeedReport`] of every feed to `to` once a second from [`Worker::run_reporting`]
    /// (never blocking: a report the channel has no room for is dropped).
    pub fn set_reports(&mut self, to: crossbeam_channel::Sender<Vec<FeedReport>>) {
        self.reports = Some(to);
    }

    /// A report of every feed: counters, books and connections.
    pub fn reports(&self) -> Vec<FeedReport> {
        let status = self.status();
        self.feeds
            .iter()
            .zip(status)
            .map(|(f, (name, status))| {
                let mut books = crate::book::BookStats::default();
                for b in (0..f.feed.instruments().len()).filter_map(|i| f.feed.book(i)) {
                    let s = b.stats();
                    books.applied += s.applied;
                    books.gaps += s.gaps;
                    books.resyncs += s.resyncs;
                    books.crossed += s.crossed;
                    books.stale_snapshots += s.stale_snapshots;
                    books.replaced += s.replaced;
                }
                FeedReport {
                    name,
                    venue: f.feed.venue().name(),
                    status,
                    books,
                    conns: f
                        .conns
                        .iter()
                        .map(|c| ConnReport { stats: c.stats(), open: c.is_open(), subscribed: c.is_subscribed() })
                        .collect(),
                }
            })
            .collect()
    }

    /// Like [`Worker::run_with`], also handing every connection failure to `failure` (feed
    /// name, why) once a second, from this thread.
    pub fn run_reporting(
        &mut self,
        stop: &AtomicBool,
        report: &mut dyn FnMut(Vec<(String, FeedStatus)>),
        failure: &mut dyn FnMut(&str, &str),
    ) {
        let _ = core_affinity::set_for_current(core_affinity::CoreId { id: self.core });
        let mut last = Instant::now();
        while !stop.load(Ordering::Relaxed) {
            self.step();
            if last.elapsed() >= Duration::from_secs(1) {
                last = Instant::now();
                report(self.status());
                self.hand_failures(failure);
                if let Some(to) = &self.reports {
                    let _ = to.try_send(self.reports());
                }
            }
        }
        if let Some(to) = &self.reports {
            let _ = to.try_send(self.reports());
        }
        report(self.status());
        self.hand_failures(failure);
    }

    /// Hands the connection failures seen since the last call to `failure`, and a summary of
    /// the frames that failed (how many, and the first one's error).
    pub fn hand_failures(&mut self, failure: &mut dyn FnMut(&str, &str)) {
        for rt in &mut self.feeds {
            for why in rt.failures.drain(..) {
                failure(&rt.name, &why);
            }
            if let Some((n, first)) = rt.feed.take_error_report() {
                let s = if n == 1 { "" } else { "s" };
                failure(&rt.name, &format!("{n} frame{s} failed, the first: {first}"));
            }
        }
    }

    /// One iteration: wait for readiness (zero timeout when busy-polling), drive the
    /// connections mio reports ready (every connection once a millisecond, for its timers),
    /// fetch due snapshots, refresh heartbeats.
    pub fn step(&mut self) {
        let timeout = match self.mode {
            PollMode::Busy => Duration::ZERO,
            PollMode::Timeout => self.timeout,
        };
        if self.poll.poll(&mut self.events, Some(timeout)).is_err() {
            return;
        }
        let now = Instant::now();
        let housekeeping = now >= self.next_housekeeping;
        if housekeeping {
            self.next_housekeeping = now + HOUSEKEEPING;
        }
        for ev in &self.events {
            if let Some(r) = self.ready.get_mut(ev.token().0) {
                *r = true;
            }
        }
        let ready = &mut self.ready;
        let registry = self.poll.registry();
        for rt in &mut self.feeds {
            let FeedRuntime {
                feed,
                conns,
                connected,
                next_snapshot,
                requested,
                capture,
                conn_books,
                failures,
                failed_connects,
                failing,
                book,
                ..
            } = rt;
            let book = *book;
            for (i, c) in conns.iter_mut().enumerate() {
                let token = c.token().0;
                let is_ready = ready.get_mut(token).is_some_and(std::mem::take);
                if !(housekeeping || is_ready || c.has_more()) {
                    continue;
                }
                c.drive(registry, now, feed, &mut |ev, feed| match ev {
                    Event::Frame { bytes, binary, recv_ns } => {
                        if let Some(c) = capture {
                            c.send(crate::capture::Entry::Frame { recv_ns, binary, bytes: bytes.to_vec() });
                        }
                    }
                    Event::Connected => {
                        connected[i] = true;
                        failing[i] = false;
                        let ts = now_ns();
                        if let Some(c) = capture {
                            c.send(crate::capture::Entry::Connected { recv_ns: ts });
                        }
                        feed.on_connected(Nanos(ts));
                        *next_snapshot = now;
                        if book.is_some_and(|b| b.snapshots == SnapshotSource::InBand) {
                            // The snapshots are on their way after the subscribe.
                            for sym in feed.wanting_snapshots() {
                                requested.insert(sym.to_owned(), now);
                            }
                        }
                    }
                    Event::Disconnected(why) => {
                        if !connected[i] {
                            *failed_connects += 1;
                            if !failing[i] {
                                failing[i] = true;
                                feed.on_connect_failed(i, Nanos(now_ns()));
                            }
                        }
                        if failures.len() < 64 {
                            let what = if connected[i] { "lost" } else { "could not connect" };
                            failures.push(format!("connection {i} {what}: {why}"));
                        }
                        if connected[i] {
                            connected[i] = false;
                            let ts = now_ns();
                            if let Some(c) = capture {
                                c.send(crate::capture::Entry::Disconnected { recv_ns: ts });
                            }
                            // Only the books this connection carried lost their updates.
                            feed.on_disconnected_books(Nanos(ts), &conn_books[i]);
                        }
                    }
                    Event::Refused { .. } => {}
                });
            }
        }
        for rt in &mut self.feeds {
            apply_snapshots(rt, &mut self.levels, now);
            // Snapshots only once every subscription is acknowledged: one taken before the venue
            // streams a book's updates would leave a hole between the two.
            if let Some(book) = rt.book
                && now >= rt.next_snapshot
                && rt.conns.iter().all(Connection::is_settled)
            {
                match book.snapshots {
                    SnapshotSource::Rest => request_snapshots(rt),
                    SnapshotSource::Request => request_on_socket(rt, book.channel, now),
                    _ => resubscribe_books(rt, book.channel, now),
                }
            }
        }
        if now.duration_since(self.last_heartbeat) >= Duration::from_millis(100) {
            self.last_heartbeat = now;
            if let Some(listing) = &self.listing {
                for rt in &mut self.feeds {
                    follow_metadata(rt, listing);
                }
            }
            for rt in &self.feeds {
                let r = rt.feed.rings();
                for w in [&r.quotes, &r.trades, &r.book, &r.depth, &r.bars] {
                    w.heartbeat();
                }
                rt.feed.table_heartbeat();
            }
        }
    }
}

/// Applies the latest load of the venue's instrument metadata to `rt`: an instrument whose
/// tick or lot became finer is relisted under a new id with the finer exponents (kept no
/// coarser than before, so values on the old grid still fit); a coarser one keeps its
/// exponents, which still represent every value exactly. Values that stopped fitting ask for
/// a load at once.
fn follow_metadata(rt: &mut FeedRuntime, listing: &Listing) {
    let Some(watch) = &rt.watch else { return };
    let value_errors = rt.feed.stats().value_errors;
    if value_errors > rt.value_errors_seen {
        rt.value_errors_seen = value_errors;
        watch.refresh_now();
    }
    let exps = match watch.latest() {
        None => return,
        Some(Err(_)) => {
            rt.metadata_errors += 1;
            return;
        }
        Some(Ok(e)) => e,
    };
    for i in 0..rt.feed.instruments().len() {
        let cur = rt.feed.instruments()[i];
        if !rt.from_venue.get(i).copied().unwrap_or(false) {
            continue;
        }
        let Some((pe, qe)) = crate::instruments::lookup(&exps, cur.symbol.as_str()) else { continue };
        let (pe, qe) = (pe.min(cur.price_exp), qe.min(cur.qty_exp));
        if (pe, qe) == (cur.price_exp, cur.qty_exp) {
            continue;
        }
        let Ok(mut table) = listing.table.lock() else { return };
        let inst = Instrument::new(table.next_id(), cur.venue, cur.symbol, pe, qe);
        if table.relist(inst).is_err() {
            continue;
        }
        // The table first: a reader meeting the new id can resolve it.
        if listing.dir.save_instruments(&table).is_err() {
            rt.metadata_errors += 1;
        }
        drop(table);
        let ts = now_ns();
        rt.feed.relist(i, inst, Nanos(ts));
        if let Some(c) = &rt.capture {
            c.send(crate::capture::Entry::Relisted {
                recv_ns: ts,
                instrument: crate::capture::MetaInstrument {
                    id: inst.id.0,
                    symbol: inst.symbol.as_str().to_owned(),
                    price_exp: pe,
                    qty_exp: qe,
                },
                index: i as u32,
            });
        }
    }
}

/// Asks the fetch thread for a snapshot of every book of `rt` that wants one and has none on
/// the way.
fn request_snapshots(rt: &mut FeedRuntime) {
    let FeedRuntime { feed, fetcher: Some(fetcher), snapshot_depth: Some(depth), .. } = rt else { return };
    let venue = feed.venue();
    for sym in feed.wanting_snapshots() {
        let Some(path) = venue.snapshot_path_depth(sym, *depth) else { continue };
        if !fetcher.in_flight.contains(sym) && fetcher.requests.send((sym.to_owned(), path)).is_ok() {
            fetcher.in_flight.insert(sym.to_owned());
        }
    }
}

/// How long a websocket snapshot request may go unanswered before it is sent again.
const REQUEST_RETRY: Duration = Duration::from_millis(500);

/// Sends a snapshot request on the connection carrying each book that wants one (HTX).
fn request_on_socket(rt: &mut FeedRuntime, channel: &str, now: Instant) {
    let FeedRuntime { feed, conns, requested, .. } = rt;
    let venue = feed.venue();
    for sym in feed.wanting_snapshots() {
        if requested.get(sym).is_some_and(|at| now.duration_since(*at) < REQUEST_RETRY) {
            continue;
        }
        let (Some(topic), Some(req)) = (venue.book_topic(channel, sym), venue.snapshot_request(sym)) else { continue };
        // Only once the book topic is acknowledged: a snapshot taken before the venue streams
        // its updates would leave a hole between the two.
        if let Some(c) = conns.iter_mut().find(|c| c.carries(&topic))
            && c.is_settled()
            && c.send_text(req)
        {
            requested.insert(sym.to_owned(), now);
        }
    }
}

/// How long a book of a venue with in-stream snapshots may wait for one before its topic is
/// subscribed again.
const RESUBSCRIBE_AFTER: Duration = Duration::from_secs(1);

/// Subscribes again to the book topic of every book that lost sync, so the venue sends a fresh
/// snapshot (OKX, Bybit, Gemini, Gate.io `spot.obu`).
fn resubscribe_books(rt: &mut FeedRuntime, channel: &str, now: Instant) {
    let FeedRuntime { feed, conns, requested, .. } = rt;
    let venue = feed.venue();
    for sym in feed.wanting_snapshots() {
        if requested.get(sym).is_some_and(|at| now.duration_since(*at) < RESUBSCRIBE_AFTER) {
            continue;
        }
        let Some(topic) = venue.book_topic(channel, sym) else { continue };
        if let Some(c) = conns.iter_mut().find(|c| c.carries(&topic))
            && c.resubscribe(&topic)
        {
            requested.insert(sym.to_owned(), now);
        }
    }
}

/// Applies the snapshots the fetch thread has delivered; schedules another attempt for those
/// that failed or were older than the buffered diffs.
fn apply_snapshots(rt: &mut FeedRuntime, levels: &mut Levels, now: Instant) {
    let venue = rt.feed.venue();
    let Some(fetcher) = rt.fetcher.as_mut() else { return };
    while let Ok((sym, body)) = fetcher.replies.try_recv() {
        fetcher.in_flight.remove(&sym);
        let ts = now_ns();
        if let (Some(c), Ok(b)) = (&rt.capture, &body) {
            c.send(crate::capture::Entry::Snapshot { recv_ns: ts, symbol: sym.clone(), body: b.clone() });
        }
        // Why a snapshot failed, for the operator (made only on a failure).
        let mut why: Option<String> = None;
        let retry = match body.as_deref().map(|b| venue.rest_snapshot_at(b, levels)) {
            Ok(Ok((last, venue_ms))) => match rt.feed.on_rest_snapshot_at(
                &sym,
                last,
                levels,
                Nanos::from_millis(venue_ms.unwrap_or(0)),
                Nanos(ts),
            ) {
                Ok(true) => {
                    rt.snapshots += 1;
                    None
                }
                // Older than the buffered diffs: fetch again shortly.
                Ok(false) => Some(Duration::from_millis(50)),
                Err(e) => {
                    why = Some(e.to_string());
                    Some(Duration::from_secs(1))
                }
            },
            Ok(Err(e)) => {
                why = Some(e.to_string());
                Some(Duration::from_secs(1))
            }
            Err(e) => {
                why = Some(e.clone());
                Some(Duration::from_secs(1))
            }
        };
        if let Some(wait) = retry {
            if wait >= Duration::from_secs(1) {
                rt.snapshot_errors += 1;
                if rt.failures.len() < 64 {
                    rt.failures.push(format!("book snapshot of {sym} failed: {}", why.unwrap_or_default()));
                }
            }
            rt.next_snapshot = now + wait;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use mdbus_schemas::{Instrument, InstrumentId, Symbol, VenueId};

    use super::{Venue, books_on};
    use crate::{
        book::SyncRule,
        decode::DecodeError,
        protocol::{FrameDecoder, Protocol, TextDecoder},
        venue::{Limits, SnapshotSource},
    };

    /// A venue whose topics are `<kind>:<symbol>`, books from `books:`.
    struct Topics;

    impl Protocol for Topics {
        fn name(&self) -> &'static str {
            "topics"
        }
        fn market(&self) -> &'static str {
            "spot"
        }
        fn id(&self) -> VenueId {
            VenueId(200)
        }
        fn topic(&self, channel: &str, symbol: &str) -> Option<String> {
            let kind = match channel {
                "trade" => "trades",
                "depth" => "books",
                _ => return None,
            };
            Some(format!("{kind}:{symbol}"))
        }
        fn sync_rule(&self) -> SyncRule {
            SyncRule::PrevInStream
        }
        fn snapshots(&self) -> SnapshotSource {
            SnapshotSource::InBand
        }
        fn limits(&self) -> Limits {
            Limits { topics_per_connection: 2, topics_per_request: 2, request_spacing: Duration::ZERO }
        }
        fn subscribe(&self, _id: u64, topics: &[String]) -> String {
            topics.join(",")
        }
        fn decoder(&self) -> Box<dyn FrameDecoder> {
            Box::new(TextDecoder(|_, _| Err(DecodeError::Malformed { at: 0 })))
        }
        fn registry_key(&self) -> &'static str {
            "TOPICS___SPOT"
        }
        fn register_feeds(
            &self,
            _registry: &mdbus_sdk::registry::Registry,
        ) -> Result<(), mdbus_sdk::registry::RegistryError> {
            Ok(())
        }
    }

    fn inst(i: u32, s: &str) -> Instrument {
        Instrument::new(InstrumentId(i), VenueId(200), Symbol::new(s).unwrap_or_default(), -2, -5)
    }

    #[test]
    fn a_connection_carries_the_books_whose_topics_it_subscribed() {
        let v = Venue::new(&Topics);
        let insts = [inst(1, "BTC-USDT"), inst(2, "ETH-USDT"), inst(3, "SOL-USDT")];
        let topics =
            v.topics(&["trade".into(), "depth".into()], &["BTC-USDT", "ETH-USDT", "SOL-USDT"]).unwrap_or_default();
        assert_eq!(topics.len(), 6);
        // Split as the engine splits them, two topics a connection.
        let per: Vec<Vec<usize>> = topics.chunks(2).map(|c| books_on(v, v.book_channel("depth"), &insts, c)).collect();
        assert_eq!(per, [vec![0], vec![1], vec![2]]);
        assert_eq!(books_on(v, v.book_channel("depth"), &insts, &topics), [0, 1, 2]);
        // A connection with a trade topic only carries no book.
        assert!(!topics[0].contains("books"), "{topics:?}");
        assert!(books_on(v, v.book_channel("depth"), &insts, &topics[..1]).is_empty());
    }
}
