//! `mdbus demo`: the whole path on loopback. The built-in Binance simulator serves a
//! deterministic market over websocket and REST; a pinned feeder connects, subscribes, syncs
//! the books from snapshots and publishes into rings; reader processes map the rings and print
//! live rates, losses, gaps, resyncs and end-to-end latency percentiles.

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

use crate::{
    sim::{Sim, SimConfig},
    stats::{Summary, human_ns, new_histogram},
};

/// Errors of the demo.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DemoError {
    /// A ring could not be created or opened.
    #[error(transparent)]
    Ring(#[from] mdbus_bus::OpenError),
    /// The simulator could not start.
    #[error(transparent)]
    Sim(#[from] crate::sim::SimError),
    /// The feeder could not be set up.
    #[error("feeder: {0}")]
    Feeder(String),
    /// A reader process failed.
    #[error("reader process: {0}")]
    Reader(String),
    /// An I/O error.
    #[error(transparent)]
    Io(#[from] std::io::Error),
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
    /// The feed's counters at the end.
    pub feed: FeedStatus,
}

impl DemoReport {
    /// Returns `true` when every reader received or was told of the loss of every record
    /// published while it read.
    pub fn accounted(&self) -> bool {
        !self.readers.is_empty() && self.readers.iter().all(|r| r.received + r.lost == r.end - r.start)
    }
}

fn feed_line(s: &FeedStatus, elapsed: f64, prev: &FeedStatus, dt: f64) -> String {
    format!(
        "feeder  t={elapsed:>4.0}s  frames {:>8}/s  records {:>8}/s  errors {}  reconnects {}  snapshots {}",
        ((s.conns.frames - prev.conns.frames) as f64 / dt) as u64,
        ((s.feed.records - prev.feed.records) as f64 / dt) as u64,
        s.feed.errors,
        s.conns.connects.saturating_sub(1),
        s.snapshots
    )
}

/// Runs the demo. Progress lines go to `out`.
///
/// # Errors
///
/// When the simulator, the feeder or a reader process fails.
pub fn run(cfg: &DemoConfig, exe: &Path, out: &mut dyn Write) -> Result<DemoReport, DemoError> {
    let sim = Sim::start(SimConfig { tick: cfg.tick, ..SimConfig::default() })?;
    let name = format!("demo-{}", std::process::id());
    let cores = core_affinity::get_core_ids().map_or(1, |c| c.len());
    let core = if cores > 1 { 1 } else { 0 };
    // A busy-polling feeder needs a core of its own; on small machines it polls with a timeout.
    let poll = if cores >= 4 { "busy" } else { "timeout" };
    let yaml = format!(
        "workers:\n  - {{ core: {core}, poll: {poll}, timeout_us: 100 }}\nfeeds:\n  - name: {name}\n    venue: binance\n    market: spot\n    url: ws://{addr}/stream\n    rest_url: http://{addr}\n    channels: [trade, book_ticker, depth]\n    ring_capacity: 65536\n    symbols:\n      - {{ symbol: BTCUSDT, id: 1, price_exp: -2, qty_exp: -5 }}\n      - {{ symbol: ETHUSDT, id: 2, price_exp: -2, qty_exp: -5 }}\n",
        addr = sim.addr()
    );
    let feed_cfg = FeedConfig::from_yaml(&yaml).map_err(|e| DemoError::Feeder(e.to_string()))?;
    let tls = tls::client_config(&[] as &[PathBuf], &[]).map_err(|e| DemoError::Feeder(e.to_string()))?;
    let mut workers = engine::build(&feed_cfg, &cfg.dir, tls, ConnSettings::default())
        .map_err(|e| DemoError::Feeder(e.to_string()))?;
    writeln!(
        out,
        "simulator on ws://{}; feeder on core {core} ({poll} poll); rings {}/{name}.*",
        sim.addr(),
        cfg.dir.path().display()
    )?;

    let rings = ["book", "trade", "quote"];
    let (tx, rx) = crossbeam_channel::unbounded::<(usize, String)>();
    let mut children = Vec::new();
    for (id, ring) in rings.iter().enumerate() {
        let path = cfg.dir.ring_path(&format!("{name}.{ring}"))?;
        let mut child = Command::new(exe)
            .args(["internal", "demo-reader", "--id", &(id + 1).to_string(), "--path"])
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
    writeln!(out, "{} reader processes: {}", rings.len(), rings.map(|r| format!("{name}.{r}")).join(", "))?;

    let status = Arc::new(Mutex::new(FeedStatus::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut worker = workers.remove(0);
    let (st, sp) = (status.clone(), stop.clone());
    let feeder = std::thread::spawn(move || {
        worker.run_with(&sp, &mut |s| {
            if let (Some((_, f)), Ok(mut g)) = (s.first(), st.lock()) {
                *g = *f;
            }
        });
        drop(worker);
    });
    let started = Instant::now();
    let mut results = Vec::new();
    let mut prev = FeedStatus::default();
    let mut last = Instant::now();
    while started.elapsed() < Duration::from_secs(cfg.seconds) {
        std::thread::sleep(Duration::from_millis(100));
        while let Ok((id, line)) = rx.try_recv() {
            report_line(rings[id], &line, out, &mut results)?;
        }
        if last.elapsed() >= Duration::from_secs(1) {
            let s = status.lock().map(|g| *g).unwrap_or_default();
            writeln!(out, "{}", feed_line(&s, started.elapsed().as_secs_f64(), &prev, last.elapsed().as_secs_f64()))?;
            prev = s;
            last = Instant::now();
        }
    }
    stop.store(true, Ordering::SeqCst);
    let _ = feeder.join(); // the worker's rings close: readers drain and finish
    for mut c in children {
        let _ = c.wait();
    }
    while let Ok((id, line)) = rx.recv_timeout(Duration::from_millis(500)) {
        report_line(rings[id], &line, out, &mut results)?;
    }
    drop(sim);
    if !cfg.keep {
        for ring in ["book", "trade", "quote", "depth", "bar"] {
            if let Ok(p) = cfg.dir.ring_path(&format!("{name}.{ring}")) {
                let _ = std::fs::remove_file(&p);
                let _ = std::fs::remove_file(p.with_extension("lock"));
            }
        }
    }
    let feed = status.lock().map(|g| *g).unwrap_or_default();
    Ok(DemoReport { readers: results, feed })
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
        "reader  {ring:<6} {:>8} rec/s  lost {:>6}  gaps {:>3}  resyncs {:>3}  receive->read p50 {:>8} p99 {:>8} max {:>8}",
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
pub fn reader(path: &PathBuf, id: usize) -> Result<(), DemoError> {
    let mut r = Reader::open_at(path, Start::Head)?;
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
                backoff.snooze();
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
