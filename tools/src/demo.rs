//! `mdbus demo`: the whole path on loopback. The built-in simulators (Binance by default, or
//! every venue with `--venues all`) serve deterministic markets over websocket and REST; one
//! feeder with pinned worker threads connects, subscribes, syncs the books and publishes into
//! rings; reader processes map the rings and print live rates, losses, gaps, resyncs and
//! end-to-end latency percentiles, per venue.

use std::{
    io::{BufRead, BufReader, Write},
    path::{Path, PathBuf},
    process::{Command, Stdio},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use crossbeam_utils::Backoff;
use mdbus_bus::{ReadError, Reader, RingDir, Start, now_ns};
use mdbus_feeder::{
    config::FeedConfig,
    connection::ConnSettings,
    engine::{self, FeedStatus},
    tls,
};
use mdbus_schemas::{Kind, Marker, MarkerCode};
use serde_json::{Value, json};

use mdbus_sim::{Sim, SimConfig, SimVenue};

use crate::stats::{Summary, human_ns, new_histogram};

/// Errors of the demo.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DemoError {
    /// A ring could not be created or opened.
    #[error(transparent)]
    Ring(#[from] mdbus_bus::OpenError),
    /// The simulator could not start.
    #[error(transparent)]
    Sim(#[from] mdbus_sim::SimError),
    /// The feeder could not be set up.
    #[error("feeder: {0}")]
    Feeder(String),
    /// A reader process failed.
    #[error("reader process: {0}")]
    Reader(String),
    /// An I/O error.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The metrics server could not start.
    #[error(transparent)]
    Metrics(#[from] crate::metrics::MetricsError),
}

/// Demo parameters.
#[derive(Debug, Clone)]
pub struct DemoConfig {
    /// How long to run.
    pub seconds: u64,
    /// Simulator tick: time between market events per symbol.
    pub tick: Duration,
    /// Ring directory.
    pub dir: RingDir,
    /// Keep the rings after the demo.
    pub keep: bool,
    /// The venues to simulate and carry (at least one).
    pub venues: Vec<SimVenue>,
    /// Serve Prometheus metrics here while the demo runs.
    pub metrics: Option<std::net::SocketAddr>,
    /// How the reader processes wait for records.
    pub reader_wait: ReaderWait,
}

/// How a demo reader waits when its ring has nothing new.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReaderWait {
    /// A short spin, then asleep on the ring's doorbell until the feeder publishes.
    Block,
    /// Spin, then yield the core (crossbeam's `Backoff`), never sleeping: the default, the
    /// lower median of the two on a 2-core host (BENCHMARKS.md, "Idle strategies").
    #[default]
    Spin,
}

impl std::str::FromStr for ReaderWait {
    type Err = String;

    fn from_str(s: &str) -> Result<ReaderWait, String> {
        match s {
            "block" => Ok(ReaderWait::Block),
            "spin" => Ok(ReaderWait::Spin),
            other => Err(format!("want block or spin, not {other:?}")),
        }
    }
}

impl ReaderWait {
    /// The name `--reader-wait` takes.
    pub fn name(self) -> &'static str {
        match self {
            ReaderWait::Block => "block",
            ReaderWait::Spin => "spin",
        }
    }
}

/// Every venue the simulator speaks.
pub fn all_venues() -> Vec<SimVenue> {
    mdbus_venues::SIM.iter().collect()
}

/// Final figures of one reader process.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReaderResult {
    /// Ring the reader read.
    pub ring: String,
    /// Records received.
    pub received: u64,
    /// Records lost to overruns.
    pub lost: u64,
    /// Ring position when the reader started.
    pub start: u64,
    /// Ring position when it finished.
    pub end: u64,
    /// Gap markers seen.
    pub gaps: u64,
    /// Resynchronisations completed.
    pub resyncs: u64,
    /// Frame receipt in the feeder → record read in this process.
    pub recv_to_read: Summary,
    /// Publish → read.
    pub publish_to_read: Summary,
}

/// What the demo did.
#[derive(Debug, Clone, Default)]
pub struct DemoReport {
    /// Per reader.
    pub readers: Vec<ReaderResult>,
    /// The feeds' counters at the end, summed.
    pub feed: FeedStatus,
    /// Each feed's counters at the end: feed name (`<venue>`), counters.
    pub feeds: Vec<(String, FeedStatus)>,
}

impl DemoReport {
    /// Returns `true` when every reader received or was told of the loss of every record
    /// published while it read.
    pub fn accounted(&self) -> bool {
        !self.readers.is_empty() && self.readers.iter().all(|r| r.received + r.lost == r.end - r.start)
    }
}

fn feed_line(name: &str, s: &FeedStatus, elapsed: f64, prev: &FeedStatus, dt: f64) -> String {
    format!(
        "feeder  {name:<8} t={elapsed:>4.0}s  frames {:>8}/s  records {:>8}/s  errors {}  reconnects {}  snapshots {}",
        ((s.conns.frames - prev.conns.frames) as f64 / dt) as u64,
        ((s.feed.records - prev.feed.records) as f64 / dt) as u64,
        s.feed.errors,
        s.conns.connects.saturating_sub(1),
        s.snapshots
    )
}

/// The feeder configuration for the simulators at `addrs`: one feed per venue, spread over
/// `workers` threads from core `first_core` on.
fn feeder_yaml(
    sims: &[(SimVenue, std::net::SocketAddr)],
    prefix: &str,
    first_core: usize,
    workers: usize,
    poll: &str,
) -> String {
    let mut y = String::from("workers:\n");
    for w in 0..workers {
        y.push_str(&format!("  - {{ core: {}, poll: {poll}, timeout_us: 100 }}\n", first_core + w));
    }
    y.push_str("feeds:\n");
    for (i, (venue, addr)) in sims.iter().enumerate() {
        // Every venue carries trades and books; best bid and offer where the venue has a channel
        // for them.
        let ticker =
            mdbus_venues::ALL.iter().any(|v| v.name() == venue.name() && v.topic("book_ticker", "X").is_some());
        let channels = if ticker { "trade, book_ticker, depth" } else { "trade, depth" };
        // Every venue's REST side is on the simulator: book snapshots (Binance, Gate.io) and the
        // instrument metadata the exponents come from.
        let rest = format!("    rest_url: http://{addr}\n");
        let symbols = venue.symbols();
        y.push_str(&format!(
            "  - name: {prefix}-{name}\n    venue: {name}\n    url: ws://{addr}{path}\n{rest}    worker: {worker}\n    channels: [{channels}]\n    ring_capacity: 65536\n    symbols:\n      - {{ symbol: {s0}, id: {id0} }}\n      - {{ symbol: {s1}, id: {id1} }}\n",
            name = venue.name(),
            path = venue.ws_path(),
            worker = i % workers,
            s0 = symbols[0],
            s1 = symbols[1],
            id0 = 100 * i + 1,
            id1 = 100 * i + 2,
        ));
    }
    y
}

/// Runs the demo. Progress lines go to `out`.
///
/// # Errors
///
/// When a simulator, the feeder or a reader process fails.
pub fn run(cfg: &DemoConfig, exe: &Path, out: &mut dyn Write) -> Result<DemoReport, DemoError> {
    let venues = match cfg.venues.first() {
        Some(_) => cfg.venues.clone(),
        None => mdbus_venues::SIM.iter().take(1).collect(),
    };
    let mut sims = Vec::new();
    for v in &venues {
        sims.push(Sim::start(SimConfig {
            tick: cfg.tick,
            venue: *v,
            symbols: v.symbols(),
            ..mdbus_venues::sim_config(*v)
        })?);
    }
    let prefix = format!("demo-{}", std::process::id());
    let cores = core_affinity::get_core_ids().map_or(1, |c| c.len());
    let first_core = if cores > 1 { 1 } else { 0 };
    // Several venues: two worker threads where there are two cores.
    let workers = if venues.len() > 1 { cores.min(2) } else { 1 };
    let first_core = if workers > 1 { cores - workers } else { first_core };
    // A busy-polling feeder needs a core of its own; on small machines it polls with a timeout.
    let poll = if cores >= 2 + 2 * workers { "busy" } else { "timeout" };
    let addrs: Vec<(SimVenue, std::net::SocketAddr)> = venues.iter().copied().zip(sims.iter().map(Sim::addr)).collect();
    let yaml = feeder_yaml(&addrs, &prefix, first_core, workers, poll);
    let feed_cfg = FeedConfig::from_yaml(&yaml, mdbus_venues::ALL).map_err(|e| DemoError::Feeder(e.to_string()))?;
    let tls = tls::client_config(&[] as &[PathBuf], &[]).map_err(|e| DemoError::Feeder(e.to_string()))?;
    let mut built = engine::build(&feed_cfg, mdbus_venues::ALL, &cfg.dir, tls, ConnSettings::default())
        .map_err(|e| DemoError::Feeder(e.to_string()))?;
    let metrics = match cfg.metrics {
        Some(addr) => {
            let s = crate::metrics::MetricsServer::start(addr, cfg.dir.clone())?;
            writeln!(out, "metrics on http://{}/metrics", s.addr())?;
            for w in &mut built {
                w.set_reports(s.reports());
            }
            Some(s)
        }
        None => None,
    };
    for (v, a) in &addrs {
        writeln!(out, "simulator {:<8} on ws://{a}{}", v.name(), v.ws_path())?;
    }
    writeln!(
        out,
        "feeder: {workers} worker thread(s) from core {first_core} ({poll} poll); rings {}/{prefix}-<venue>.*",
        cfg.dir.path().display()
    )?;

    // One venue: a reader per ring; several: a reader of each venue's book ring.
    let rings: Vec<String> = if venues.len() == 1 {
        ["book", "trade", "quote"].iter().map(|r| format!("{prefix}-{}.{r}", venues[0].name())).collect()
    } else {
        venues.iter().map(|v| format!("{prefix}-{}.book", v.name())).collect()
    };
    let labels: Vec<String> = rings.iter().map(|r| r.trim_start_matches(&format!("{prefix}-")).to_owned()).collect();
    let (tx, rx) = crossbeam_channel::unbounded::<(usize, String)>();
    let mut children = Vec::new();
    for (id, ring) in rings.iter().enumerate() {
        let path = cfg.dir.ring_path(ring)?;
        let mut child = Command::new(exe)
            .args([
                "internal",
                "demo-reader",
                "--wait",
                cfg.reader_wait.name(),
                "--id",
                &(id + 1).to_string(),
                "--path",
            ])
            .arg(&path)
            .stdout(Stdio::piped())
            .spawn()?;
        let stdout = child.stdout.take().ok_or_else(|| DemoError::Reader("no stdout".into()))?;
        let mut lines = BufReader::new(stdout);
        let mut first = String::new();
        lines.read_line(&mut first)?;
        if first.trim() != "ready" {
            return Err(DemoError::Reader(format!("reader {} said {first:?}", id + 1)));
        }
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in lines.lines().map_while(Result::ok) {
                let _ = tx.send((id, line));
            }
        });
        children.push(child);
    }
    drop(tx);
    writeln!(out, "{} reader processes: {}", rings.len(), labels.join(", "))?;

    let status: Arc<Mutex<std::collections::BTreeMap<String, FeedStatus>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut threads = Vec::new();
    for mut worker in built {
        let (st, sp) = (status.clone(), stop.clone());
        threads.push(std::thread::spawn(move || {
            worker.run_with(&sp, &mut |s| {
                if let Ok(mut g) = st.lock() {
                    for (name, f) in s {
                        g.insert(name, f);
                    }
                }
            });
            drop(worker);
        }));
    }
    let started = Instant::now();
    let mut results = Vec::new();
    let mut prev: std::collections::BTreeMap<String, FeedStatus> = std::collections::BTreeMap::new();
    let mut last = Instant::now();
    while started.elapsed() < Duration::from_secs(cfg.seconds) {
        std::thread::sleep(Duration::from_millis(100));
        while let Ok((id, line)) = rx.try_recv() {
            report_line(&labels[id], &line, out, &mut results)?;
        }
        if last.elapsed() >= Duration::from_secs(1) {
            let now = status.lock().map(|g| g.clone()).unwrap_or_default();
            for (name, s) in &now {
                let p = prev.get(name).copied().unwrap_or_default();
                let short = name.trim_start_matches(&format!("{prefix}-"));
                writeln!(
                    out,
                    "{}",
                    feed_line(short, s, started.elapsed().as_secs_f64(), &p, last.elapsed().as_secs_f64())
                )?;
            }
            prev = now;
            last = Instant::now();
        }
    }
    stop.store(true, Ordering::SeqCst);
    for t in threads {
        let _ = t.join(); // the workers' rings close: readers drain and finish
    }
    for mut c in children {
        let _ = c.wait();
    }
    drop(metrics);
    while let Ok((id, line)) = rx.recv_timeout(Duration::from_millis(500)) {
        report_line(&labels[id], &line, out, &mut results)?;
    }
    drop(sims);
    if !cfg.keep {
        for v in &venues {
            if let Ok(p) = cfg.dir.books_path(&format!("{prefix}-{}", v.name())) {
                let _ = std::fs::remove_file(p);
            }
            for ring in ["book", "trade", "quote", "depth", "bar"] {
                if let Ok(p) = cfg.dir.ring_path(&format!("{prefix}-{}.{ring}", v.name())) {
                    let _ = std::fs::remove_file(&p);
                    let _ = std::fs::remove_file(p.with_extension("lock"));
                    let _ = std::fs::remove_file(p.with_extension("bell"));
                    for f in mdbus_bus::reader_files_of(&p).unwrap_or_default() {
                        let _ = std::fs::remove_file(f);
                    }
                }
            }
        }
    }
    let feeds: Vec<(String, FeedStatus)> = status
        .lock()
        .map(|g| g.iter().map(|(k, v)| (k.trim_start_matches(&format!("{prefix}-")).to_owned(), *v)).collect())
        .unwrap_or_default();
    let mut feed = FeedStatus::default();
    for (_, f) in &feeds {
        feed.feed.frames += f.feed.frames;
        feed.feed.records += f.feed.records;
        feed.feed.errors += f.feed.errors;
        feed.feed.acks += f.feed.acks;
        feed.conns.connects += f.conns.connects;
        feed.conns.disconnects += f.conns.disconnects;
        feed.conns.frames += f.conns.frames;
        feed.conns.refused += f.conns.refused;
        feed.snapshots += f.snapshots;
        feed.snapshot_errors += f.snapshot_errors;
    }
    Ok(DemoReport { readers: results, feed, feeds })
}

fn report_line(ring: &str, line: &str, out: &mut dyn Write, results: &mut Vec<ReaderResult>) -> std::io::Result<()> {
    let Ok(v) = serde_json::from_str::<Value>(line) else {
        return writeln!(out, "reader {ring}: {line}");
    };
    let g = |k: &str| v.get(k).and_then(Value::as_u64).unwrap_or(0);
    if v.get("final").and_then(Value::as_bool) == Some(true) {
        results.push(ReaderResult {
            ring: ring.to_owned(),
            received: g("received"),
            lost: g("lost"),
            start: g("start"),
            end: g("end"),
            gaps: g("gaps"),
            resyncs: g("resyncs"),
            recv_to_read: Summary::from_json(&v["recv_to_read"]),
            publish_to_read: Summary::from_json(&v["publish_to_read"]),
        });
        return Ok(());
    }
    let e2e = Summary::from_json(&v["recv_to_read"]);
    writeln!(
        out,
        "reader  {ring:<14} {:>8} rec/s  lost {:>6}  gaps {:>3}  resyncs {:>3}  receive->read p50 {:>8} p99 {:>8} max {:>8}",
        g("rate"),
        g("lost"),
        g("gaps"),
        g("resyncs"),
        human_ns(e2e.p50),
        human_ns(e2e.p99),
        human_ns(e2e.max)
    )
}

/// Body of a demo reader process (`mdbus internal demo-reader`): says `ready`, then prints one
/// JSON status line per second and a final line once the writer is gone and the ring drained.
///
/// # Errors
///
/// When the ring cannot be opened or stdout cannot be written.
pub fn reader(path: &PathBuf, id: usize, wait: ReaderWait) -> Result<(), DemoError> {
    let mut r = Reader::open_at(path, Start::Head)?;
    // Visible to `mdbus ls` with its lag and losses; the demo runs without it if it cannot.
    let _ = r.announce();
    let start = r.position();
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready")?;
    out.flush()?;
    let (mut e2e, mut e2e_window, mut publish) = (new_histogram(), new_histogram(), new_histogram());
    let (mut received, mut lost, mut window, mut gaps, mut resyncs) = (0u64, 0u64, 0u64, 0u64, 0u64);
    let mut tick = Instant::now();
    let mut last_alive_check = Instant::now();
    let backoff = Backoff::new();
    loop {
        match r.try_read() {
            Ok(rec) => {
                let now = now_ns();
                let h = rec.header();
                received += 1;
                window += 1;
                backoff.reset();
                if h.kind == Kind::MARKER {
                    match rec.get::<Marker>().map(|m| m.code) {
                        Some(MarkerCode::GAP) => gaps += 1,
                        Some(MarkerCode::RESYNC_DONE) => resyncs += 1,
                        _ => {}
                    }
                    continue;
                }
                if h.recv_ts.0 > 0 {
                    let v = now.saturating_sub(h.recv_ts.0).max(1);
                    let _ = e2e.record(v);
                    let _ = e2e_window.record(v);
                }
                let _ = publish.record(now.saturating_sub(h.publish_ts.0).max(1));
            }
            Err(ReadError::Overrun { lost: l }) => lost += l,
            Err(ReadError::Empty) => {
                if last_alive_check.elapsed() > Duration::from_millis(20) {
                    last_alive_check = Instant::now();
                    if !r.writer_alive() && r.lag() == 0 {
                        break;
                    }
                }
                // `block`: a short spin, then asleep on the ring's doorbell; `spin`: spin and
                // yield.
                if wait == ReaderWait::Block && backoff.is_completed() {
                    if !r.wait(Duration::from_millis(20)) {
                        backoff.snooze();
                    }
                } else {
                    backoff.snooze();
                }
            }
        }
        if tick.elapsed() >= Duration::from_secs(1) {
            let rate = (window as f64 / tick.elapsed().as_secs_f64()) as u64;
            let line = json!({ "id": id, "rate": rate, "lost": lost, "gaps": gaps, "resyncs": resyncs, "recv_to_read": Summary::of(&e2e_window).to_json() });
            writeln!(out, "{line}")?;
            out.flush()?;
            e2e_window.reset();
            window = 0;
            tick = Instant::now();
        }
    }
    let line = json!({
        "id": id, "final": true, "received": received, "lost": lost, "start": start, "end": r.position(),
        "gaps": gaps, "resyncs": resyncs,
        "recv_to_read": Summary::of(&e2e).to_json(), "publish_to_read": Summary::of(&publish).to_json(),
    });
    writeln!(out, "{line}")?;
    out.flush()?;
    Ok(())
}
