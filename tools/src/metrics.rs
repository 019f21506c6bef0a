//! Prometheus metrics (`mdbus feed --metrics ADDR`, `mdbus demo --metrics ADDR`): OpenMetrics
//! text at `/metrics`, written with `prometheus-client` by a small HTTP server on its own thread.
//!
//! Nothing here runs on the feeder's frame path. The workers hand a report of their counters to
//! a channel once a second (never blocking: [`Worker::set_reports`](mdbus_feeder::engine::Worker::set_reports)),
//! which a collector thread keeps; ring figures (head, readers and their lag and losses, writer
//! liveness) come from the ring directory at each scrape; the latency of each stage comes from a
//! follower thread that reads every market-data ring the way any reader does.
//!
//! Families, with the labels Prometheus conventions suggest (`feed`, `venue`, `conn`, `ring`):
//!
//! | family | labels | what |
//! |---|---|---|
//! | `mdbus_feed_frames`, `_records`, `_decode_errors`, `_value_errors` (counters) | feed, venue | frames decoded, records published, frames that failed, values that did not fit |
//! | `mdbus_feed_snapshots`, `_snapshot_failures`, `_gaps`, `_resyncs`, `_failed_connects` (counters) | feed, venue | book sync and connection failures |
//! | `mdbus_feed_books`, `mdbus_feed_books_live` (gauges) | feed, venue | books kept, books in sync |
//! | `mdbus_conn_frames`, `_bytes`, `_connects`, `_reconnects`, `_refused` (counters) | feed, venue, conn | per connection |
//! | `mdbus_conn_up` (gauge) | feed, venue, conn | 1 while subscribed, 0.5 while the websocket is up and subscribing, 0 while down |
//! | `mdbus_ring_head`, `_capacity`, `_writer_alive`, `_heartbeat_age_seconds`, `_publish_rate` (gauges) | ring | each ring |
//! | `mdbus_ring_readers`, `mdbus_ring_reader_lag`, `mdbus_ring_reader_lost` (gauges) | ring | announced readers: how many, the largest lag, losses summed |
//! | `mdbus_stage_latency_seconds` (histogram) | ring, stage | `venue_to_receive`, `receive_to_publish` |
//! | `mdbus_account_frames`, `_records`, `_decode_errors`, `_connects`, `_failures`, `_auth_failures` (counters) | account | private streams: refused logins counted apart |

use std::{
    collections::{BTreeMap, HashMap},
    io::{self, Read, Write},
    net::{SocketAddr, TcpListener, TcpStream},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    thread::JoinHandle,
    time::{Duration, Instant},
};

use hdrhistogram::Histogram;
use mdbus_bus::{ReadError, Reader, RingDir, Start};
use mdbus_feeder::engine::FeedReport;
use mdbus_schemas::Kind;
use prometheus_client::{
    collector::Collector,
    encoding::{DescriptorEncoder, EncodeMetric, MetricEncoder, NoLabelSet},
    metrics::MetricType,
    registry::Registry,
};

use crate::stats::new_histogram;

/// Errors starting the metrics server.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MetricsError {
    /// The address could not be bound.
    #[error("metrics: cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: io::Error,
    },
}

/// Upper bounds of the latency buckets, in seconds (1 µs to 1 s, then +Inf).
const BUCKETS: [f64; 19] =
    [1e-6, 2e-6, 5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 2e-2, 5e-2, 0.1, 0.2, 0.5, 1.0];

/// The stages measured from the records' headers.
const STAGES: [&str; 2] = ["venue_to_receive", "receive_to_publish"];

/// What the scrapes read: the latest feed reports, the stage histograms per ring, and the
/// previous ring heads (for rates).
#[derive(Debug, Default)]
struct State {
    feeds: Mutex<BTreeMap<String, FeedReport>>,
    accounts: Mutex<BTreeMap<String, mdbus_feeder::account::AccountStats>>,
    latency: Mutex<BTreeMap<String, [Histogram<u64>; 2]>>,
    heads: Mutex<HashMap<String, (u64, Instant)>>,
}

/// A running metrics server; its threads end when it is dropped.
#[derive(Debug)]
pub struct MetricsServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
    reports: crossbeam_channel::Sender<Vec<FeedReport>>,
    accounts: crossbeam_channel::Sender<(String, mdbus_feeder::account::AccountStats)>,
}

impl MetricsServer {
    /// Serves `/metrics` on `addr` (port 0 picks one) for the rings in `dir`.
    ///
    /// # Errors
    ///
    /// [`MetricsError::Bind`] when the address cannot be bound.
    pub fn start(addr: SocketAddr, dir: RingDir) -> Result<MetricsServer, MetricsError> {
        let listener = TcpListener::bind(addr).map_err(|source| MetricsError::Bind { addr, source })?;
        let addr = listener.local_addr().map_err(|source| MetricsError::Bind { addr, source })?;
        listener.set_nonblocking(true).map_err(|source| MetricsError::Bind { addr, source })?;
        let state = Arc::new(State::default());
        let stop = Arc::new(AtomicBool::new(false));
        // Room for a minute of reports from a few workers: the workers never wait.
        let (reports, rx) = crossbeam_channel::bounded::<Vec<FeedReport>>(256);
        let (accounts, arx) = crossbeam_channel::bounded::<(String, mdbus_feeder::account::AccountStats)>(256);
        let mut threads = Vec::new();
        {
            let state = state.clone();
            threads.push(std::thread::spawn(move || {
                for (name, stats) in arx {
                    if let Ok(mut a) = state.accounts.lock() {
                        a.insert(name, stats);
                    }
                }
            }));
        }
        {
            let state = state.clone();
            threads.push(std::thread::spawn(move || {
                for batch in rx {
                    if let Ok(mut feeds) = state.feeds.lock() {
                        for r in batch {
                            feeds.insert(r.name.clone(), r);
                        }
                    }
                }
            }));
        }
        {
            let (state, stop, dir) = (state.clone(), stop.clone(), dir.clone());
            threads.push(std::thread::spawn(move || follow(&dir, &state, &stop)));
        }
        {
            let (state, stop) = (state.clone(), stop.clone());
            threads.push(std::thread::spawn(move || serve(&listener, &dir, &state, &stop)));
        }
        Ok(MetricsServer { addr, stop, threads, reports, accounts })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Where account runners send their reports
    /// ([`AccountRunner::set_reports`](mdbus_feeder::account::AccountRunner::set_reports)).
    pub fn account_reports(&self) -> crossbeam_channel::Sender<(String, mdbus_feeder::account::AccountStats)> {
        self.accounts.clone()
    }

    /// Where workers send their reports ([`Worker::set_reports`](mdbus_feeder::engine::Worker::set_reports)).
    pub fn reports(&self) -> crossbeam_channel::Sender<Vec<FeedReport>> {
        self.reports.clone()
    }
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // The collectors end once every sender is gone; the workers' may outlive this.
        for t in self.threads.drain(2..) {
            let _ = t.join();
        }
    }
}

/// Reads every market-data ring from its head and records each record's stage latencies.
fn follow(dir: &RingDir, state: &State, stop: &AtomicBool) {
    let mut readers: Vec<(String, Reader)> = Vec::new();
    let mut last_scan = Instant::now() - Duration::from_secs(10);
    while !stop.load(Ordering::Relaxed) {
        if last_scan.elapsed() >= Duration::from_secs(2) {
            last_scan = Instant::now();
            for e in dir.list().unwrap_or_default() {
                let data = e.info.as_ref().is_ok_and(|i| {
                    [Kind::QUOTE, Kind::TRADE, Kind::BOOK_DELTA, Kind::BOOK_SNAPSHOT, Kind::BAR].contains(&i.kind)
                });
                if data
                    && !readers.iter().any(|(n, _)| *n == e.name)
                    && let Ok(r) = Reader::open_at(&e.path, Start::Head)
                {
                    readers.push((e.name.clone(), r));
                }
            }
        }
        let mut read = 0;
        for (name, r) in &mut readers {
            let mut batch: Vec<(u64, u64, u64)> = Vec::new();
            for _ in 0..4096 {
                match r.try_read() {
                    Ok(rec) => {
                        let h = rec.header();
                        if h.kind != Kind::MARKER {
                            batch.push((h.venue_ts.0, h.recv_ts.0, h.publish_ts.0));
                        }
                    }
                    Err(ReadError::Overrun { .. }) => {}
                    Err(ReadError::Empty) => break,
                }
            }
            read += batch.len();
            if batch.is_empty() {
                continue;
            }
            if let Ok(mut lat) = state.latency.lock() {
                let hs = lat.entry(name.clone()).or_insert_with(|| [new_histogram(), new_histogram()]);
                for (venue, recv, publish) in batch {
                    if venue > 0 && recv >= venue {
                        let _ = hs[0].record(recv - venue);
                    }
                    if recv > 0 && publish >= recv {
                        let _ = hs[1].record(publish - recv);
                    }
                }
            }
        }
        if read == 0 {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

/// Answers scrapes until `stop` is set.
fn serve(listener: &TcpListener, dir: &RingDir, state: &State, stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        match listener.accept() {
            Ok((conn, _)) => {
                let _ = answer(conn, dir, state);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => std::thread::sleep(Duration::from_millis(20)),
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

/// Reads one request and answers it: `/metrics`, or 404.
fn answer(mut conn: TcpStream, dir: &RingDir, state: &State) -> io::Result<()> {
    conn.set_nonblocking(false)?;
    conn.set_read_timeout(Some(Duration::from_secs(2)))?;
    let mut head = Vec::with_capacity(512);
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = conn.read(&mut buf)?;
        if n == 0 || head.len() > 16 * 1024 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
    }
    let mut slots = [httparse::EMPTY_HEADER; 32];
    let mut req = httparse::Request::new(&mut slots);
    let path = match req.parse(&head) {
        Ok(httparse::Status::Complete(_)) => req.path.unwrap_or("/").to_owned(),
        _ => String::new(),
    };
    let (status, kind, body) = if path == "/metrics" || path.starts_with("/metrics?") {
        ("200 OK", "application/openmetrics-text; version=1.0.0; charset=utf-8", render(dir, state))
    } else {
        ("404 Not Found", "text/plain", "not found: try /metrics\n".to_owned())
    };
    write!(
        conn,
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    conn.flush()
}

/// One metric family: its name, help, type and samples (labels, value).
#[derive(Debug)]
struct Family {
    name: &'static str,
    help: &'static str,
    kind: MetricType,
    samples: Vec<(Vec<(&'static str, String)>, Value)>,
}

/// One sample's value.
#[derive(Debug)]
enum Value {
    Counter(u64),
    Gauge(f64),
    /// Sum, count and per-bucket (non-cumulative) counts.
    Histogram(f64, u64, Vec<(f64, u64)>),
}

impl EncodeMetric for Value {
    fn encode(&self, mut encoder: MetricEncoder<'_>) -> Result<(), std::fmt::Error> {
        match self {
            Value::Counter(v) => encoder.encode_counter::<NoLabelSet, _, u64>(v, None),
            Value::Gauge(v) => encoder.encode_gauge(v),
            Value::Histogram(sum, count, buckets) => {
                encoder.encode_histogram::<NoLabelSet>(*sum, *count, buckets, None)
            }
        }
    }

    fn metric_type(&self) -> MetricType {
        match self {
            Value::Counter(_) => MetricType::Counter,
            Value::Gauge(_) => MetricType::Gauge,
            Value::Histogram(..) => MetricType::Histogram,
        }
    }
}

/// The families of one scrape, encoded by `prometheus-client`.
#[derive(Debug)]
struct Scrape(Vec<Family>);

impl Collector for Scrape {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        for f in &self.0 {
            let mut family = encoder.encode_descriptor(f.name, f.help, None, f.kind)?;
            for (labels, value) in &f.samples {
                value.encode(family.encode_family(labels)?)?;
            }
        }
        Ok(())
    }
}

fn family(name: &'static str, help: &'static str, kind: MetricType) -> Family {
    Family { name, help, kind, samples: Vec::new() }
}

/// The text of one scrape.
fn render(dir: &RingDir, state: &State) -> String {
    let mut families = feed_families(&state.feeds.lock().map(|g| g.clone()).unwrap_or_default());
    families.extend(ring_families(dir, state));
    families.push(latency_family(state));
    families.extend(account_families(&state.accounts.lock().map(|g| g.clone()).unwrap_or_default()));
    let mut registry = Registry::default();
    registry.register_collector(Box::new(Scrape(families)));
    let mut out = String::new();
    if prometheus_client::encoding::text::encode(&mut out, &registry).is_err() {
        out.clear();
    }
    out
}

fn feed_families(feeds: &BTreeMap<String, FeedReport>) -> Vec<Family> {
    use MetricType::{Counter, Gauge};
    type Get = fn(&FeedReport) -> u64;
    let counters: [(&'static str, &'static str, Get); 9] = [
        ("mdbus_feed_frames", "Frames the feed decoded.", |r| r.status.conns.frames),
        ("mdbus_feed_records", "Records the feed published.", |r| r.status.feed.records),
        ("mdbus_feed_decode_errors", "Frames that failed to decode or apply.", |r| r.status.feed.errors),
        ("mdbus_feed_value_errors", "Values that did not fit the instrument's exponents.", |r| {
            r.status.feed.value_errors
        }),
        ("mdbus_feed_snapshots", "Book snapshots applied.", |r| r.status.snapshots),
        ("mdbus_feed_snapshot_failures", "Book snapshots that failed.", |r| r.status.snapshot_errors),
        ("mdbus_feed_gaps", "Sequence gaps found in the books.", |r| r.books.gaps),
        ("mdbus_feed_resyncs", "Books cleared and rebuilt.", |r| r.books.resyncs),
        ("mdbus_feed_failed_connects", "Connection attempts that failed before the connection was up.", |r| {
            r.status.failed_connects
        }),
    ];
    let mut out = Vec::new();
    for (name, help, get) in counters {
        let mut f = family(name, help, Counter);
        for r in feeds.values() {
            f.samples.push((vec![("feed", r.name.clone()), ("venue", r.venue.to_owned())], Value::Counter(get(r))));
        }
        out.push(f);
    }
    let mut books = family("mdbus_feed_books", "Books the feed keeps.", Gauge);
    let mut live = family("mdbus_feed_books_live", "Books in sync now.", Gauge);
    for r in feeds.values() {
        let l = vec![("feed", r.name.clone()), ("venue", r.venue.to_owned())];
        books.samples.push((l.clone(), Value::Gauge(f64::from(r.status.books))));
        live.samples.push((l, Value::Gauge(f64::from(r.status.books_live))));
    }
    out.push(books);
    out.push(live);
    type GetConn = fn(&mdbus_feeder::engine::ConnReport) -> u64;
    let conn_counters: [(&'static str, &'static str, GetConn); 5] = [
        ("mdbus_conn_frames", "Frames received on the connection.", |c| c.stats.frames),
        ("mdbus_conn_bytes", "Bytes of the frames received on the connection.", |c| c.stats.bytes),
        ("mdbus_conn_connects", "Times the connection came up.", |c| c.stats.connects),
        ("mdbus_conn_reconnects", "Times the connection was lost or replaced.", |c| c.stats.disconnects),
        ("mdbus_conn_refused", "Subscriptions the venue refused.", |c| c.stats.refused),
    ];
    for (name, help, get) in conn_counters {
        let mut f = family(name, help, Counter);
        for r in feeds.values() {
            for (i, c) in r.conns.iter().enumerate() {
                let l = vec![("feed", r.name.clone()), ("venue", r.venue.to_owned()), ("conn", i.to_string())];
                f.samples.push((l, Value::Counter(get(c))));
            }
        }
        out.push(f);
    }
    let mut up = family("mdbus_conn_up", "1 subscribed, 0.5 up and subscribing, 0 down.", Gauge);
    for r in feeds.values() {
        for (i, c) in r.conns.iter().enumerate() {
            let l = vec![("feed", r.name.clone()), ("venue", r.venue.to_owned()), ("conn", i.to_string())];
            let v = if c.subscribed {
                1.0
            } else if c.open {
                0.5
            } else {
                0.0
            };
            up.samples.push((l, Value::Gauge(v)));
        }
    }
    out.push(up);
    out
}

fn account_families(accounts: &BTreeMap<String, mdbus_feeder::account::AccountStats>) -> Vec<Family> {
    type Get = fn(&mdbus_feeder::account::AccountStats) -> u64;
    let counters: [(&'static str, &'static str, Get); 6] = [
        ("mdbus_account_frames", "Frames the private stream received.", |s| s.frames),
        ("mdbus_account_records", "Order, fill, balance and position records published.", |s| s.published),
        ("mdbus_account_decode_errors", "Private-stream frames that failed to decode.", |s| s.decode_errors),
        ("mdbus_account_connects", "Times the private stream connected.", |s| s.connects),
        ("mdbus_account_failures", "Polls of the private stream that failed.", |s| s.failures),
        ("mdbus_account_auth_failures", "Of those, logins or keys the venue refused.", |s| s.auth_failures),
    ];
    counters
        .iter()
        .map(|(name, help, get)| {
            let mut f = family(name, help, MetricType::Counter);
            for (account, s) in accounts {
                f.samples.push((vec![("account", account.clone())], Value::Counter(get(s))));
            }
            f
        })
        .collect()
}

fn ring_families(dir: &RingDir, state: &State) -> Vec<Family> {
    use MetricType::Gauge;
    let names: [(&'static str, &'static str); 9] = [
        ("mdbus_ring_head", "Records published into the ring since it was made."),
        ("mdbus_ring_capacity", "Slots of the ring."),
        ("mdbus_ring_writer_alive", "1 while the ring's writer holds its lock."),
        ("mdbus_ring_heartbeat_age_seconds", "Age of the writer's heartbeat."),
        ("mdbus_ring_publish_rate", "Records published per second since the previous scrape."),
        ("mdbus_ring_readers", "Readers that announced themselves."),
        ("mdbus_ring_reader_lag", "Records the furthest-behind announced reader has yet to read."),
        ("mdbus_ring_reader_lost", "Records announced readers lost to overruns, summed."),
        ("mdbus_ring_generation", "Writer generation (grows with every writer restart)."),
    ];
    let mut fams: Vec<Family> = names.iter().map(|(n, h)| family(n, h, Gauge)).collect();
    let now = Instant::now();
    let mut heads = state.heads.lock().ok();
    for e in dir.list().unwrap_or_default() {
        let Ok(info) = &e.info else { continue };
        let l = vec![("ring", e.name.clone())];
        let rate = heads.as_mut().map_or(0.0, |h| {
            let r = h.get(&e.name).map_or(0.0, |(head, at)| {
                let dt = now.duration_since(*at).as_secs_f64();
                if dt > 0.0 { info.head.saturating_sub(*head) as f64 / dt } else { 0.0 }
            });
            h.insert(e.name.clone(), (info.head, now));
            r
        });
        let readers = mdbus_bus::announced_readers(&e.path).unwrap_or_default();
        let lag = readers.iter().map(|r| info.head.saturating_sub(r.position)).max().unwrap_or(0);
        let lost: u64 = readers.iter().map(|r| r.lost).sum();
        let values = [
            info.head as f64,
            info.capacity as f64,
            if info.writer_alive { 1.0 } else { 0.0 },
            info.heartbeat_age_ns as f64 / 1e9,
            rate,
            readers.len() as f64,
            lag as f64,
            lost as f64,
            info.generation as f64,
        ];
        for (f, v) in fams.iter_mut().zip(values) {
            f.samples.push((l.clone(), Value::Gauge(v)));
        }
    }
    fams
}

fn latency_family(state: &State) -> Family {
    let mut f = family(
        "mdbus_stage_latency_seconds",
        "Latency of each stage of the records read from the ring: venue to receive, receive to publish.",
        MetricType::Histogram,
    );
    let Ok(lat) = state.latency.lock() else { return f };
    for (ring, hs) in lat.iter() {
        for (stage, h) in STAGES.iter().zip(hs) {
            // Each recorded value into the first bucket whose bound holds it; the last is +Inf.
            let mut counts = [0u64; BUCKETS.len() + 1];
            for v in h.iter_recorded() {
                let secs = v.value_iterated_to() as f64 / 1e9;
                let i = BUCKETS.iter().position(|b| secs <= *b).unwrap_or(BUCKETS.len());
                counts[i] += v.count_at_value();
            }
            let mut buckets: Vec<(f64, u64)> = BUCKETS.iter().copied().zip(counts).collect();
            buckets.push((f64::MAX, counts[BUCKETS.len()]));
            let count = h.len();
            let sum = h.mean() * count as f64 / 1e9;
            f.samples.push((
                vec![("ring", ring.clone()), ("stage", (*stage).to_owned())],
                Value::Histogram(sum, count, buckets),
            ));
        }
    }
    f
}
