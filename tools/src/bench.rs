//! `mdbus bench ring`: the ring against the core-to-core floor and in-process peers, measured
//! side by side in one run.
//!
//! Every transport moves 64-byte records from a writer pinned to one core to a reader pinned to
//! another. Latency: the writer is paced (one record per `period_ns`, busy-waiting on the TSC)
//! and stamps the TSC into the record; the reader records `now - stamp` in an hdrhistogram.
//! Throughput: the writer runs unpaced. The floor is a cache-line ping-pong between the same two
//! cores (round trip / 2). The mdbus reader is a separate process, as in production; rtrb and
//! crossbeam-channel run between two threads of one process, as they must.

use std::{
    io::{BufRead, BufReader, Write},
    path::{Path, PathBuf},
    process::{Command, Stdio},
    sync::{
        Arc, Barrier,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use mdbus_bus::{ReadError, Reader, RingOptions, Start, Writer, tsc, tsc_ns_per_tick};
use mdbus_schemas::{BookDelta, Kind, Nanos};
use serde_json::{Value, json};

use crate::stats::{Summary, new_histogram};

/// Errors of the benchmark runner.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BenchError {
    /// A ring could not be created or opened.
    #[error(transparent)]
    Ring(#[from] mdbus_bus::OpenError),
    /// A child process could not be started or talked to.
    #[error("reader process: {0}")]
    Child(String),
    /// An I/O error.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Benchmark parameters.
#[derive(Debug, Clone)]
pub struct BenchConfig {
    /// Measured latency samples per transport.
    pub samples: u64,
    /// Samples sent before measuring.
    pub warmup: u64,
    /// Writer pacing for latency, ns between records.
    pub period_ns: u64,
    /// Records per throughput run.
    pub records: u64,
    /// Ring / queue capacity.
    pub capacity: u64,
    /// Core of the writer.
    pub writer_core: usize,
    /// Core of the reader.
    pub reader_core: usize,
    /// Directory for the benchmark ring.
    pub dir: PathBuf,
}

impl Default for BenchConfig {
    fn default() -> Self {
        BenchConfig {
            samples: 1_000_000,
            warmup: 20_000,
            period_ns: 1_500,
            records: 10_000_000,
            capacity: 4096,
            writer_core: 0,
            reader_core: 1,
            dir: PathBuf::from("/dev/shm"),
        }
    }
}

/// Result for one transport.
#[derive(Debug, Clone, Default)]
pub struct Measured {
    /// The core-to-core floor measured right before this transport (the VM moves its vCPUs
    /// between near and far placements, so each transport is compared with its own floor).
    pub floor: Summary,
    /// One-way latency.
    pub latency: Summary,
    /// Records per second delivered to the reader in the throughput run, in millions.
    pub mrec_s: f64,
    /// Records the reader lost in the throughput run (only the overwriting ring loses).
    pub lost: u64,
    /// Records per second the writer published, in millions.
    pub writer_mrec_s: f64,
}

/// Everything one `mdbus bench ring` run measured.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Floor before the transports.
    pub floor_before: Summary,
    /// Floor after the transports.
    pub floor_after: Summary,
    /// mdbus ring, writer and reader processes.
    pub ring: Measured,
    /// rtrb SPSC between two threads.
    pub rtrb: Measured,
    /// crossbeam-channel bounded between two threads.
    pub crossbeam: Measured,
    /// iceoryx2 publish-subscribe between two processes (only with the `iceoryx2` feature).
    pub iceoryx2: Option<Measured>,
    /// Nanoseconds per TSC tick.
    pub ns_per_tick: f64,
    /// Whether both threads could be pinned.
    pub pinned: bool,
}

/// Pins the calling thread to `core`. The core is named directly, not looked up in the
/// caller's current affinity mask: a thread spawned by a pinned thread inherits its mask.
fn pin(core: usize) -> bool {
    core_affinity::set_for_current(core_affinity::CoreId { id: core })
}

fn wait_ticks(until: u64) {
    while tsc() < until {
        std::hint::spin_loop();
    }
}

/// One 64-byte payload for the in-process peers: a stamp and seven filler words, the size of
/// a ring record.
type Payload = [u64; 8];

#[repr(align(128))]
struct Line(AtomicU64);

/// Core-to-core floor: one atomic each way between two pinned threads; samples are RTT / 2.
pub fn floor(cfg: &BenchConfig, npt: f64) -> Summary {
    let ping = Arc::new(Line(AtomicU64::new(0)));
    let pong = Arc::new(Line(AtomicU64::new(0)));
    let total = cfg.warmup + cfg.samples;
    let (pi, po) = (ping.clone(), pong.clone());
    let rc = cfg.reader_core;
    let echo = std::thread::spawn(move || {
        pin(rc);
        for i in 1..=total {
            while pi.0.load(Ordering::Acquire) != i {
                std::hint::spin_loop();
            }
            po.0.store(i, Ordering::Release);
        }
    });
    pin(cfg.writer_core);
    let mut h = new_histogram();
    for i in 1..=total {
        let t0 = tsc();
        ping.0.store(i, Ordering::Release);
        while pong.0.load(Ordering::Acquire) != i {
            std::hint::spin_loop();
        }
        let t1 = tsc();
        if i > cfg.warmup {
            let _ = h.record(((t1 - t0) as f64 * npt / 2.0) as u64);
        }
    }
    let _ = echo.join();
    Summary::of(&h)
}

/// Latency and throughput of an in-process queue, given its two halves' operations.
fn queue_peer<Tx: Send + 'static, Rx: Send + 'static>(
    cfg: &BenchConfig,
    npt: f64,
    make: impl Fn(usize) -> (Tx, Rx),
    send: fn(&mut Tx, Payload),
    recv: fn(&mut Rx) -> Option<Payload>,
) -> Measured {
    // Latency.
    let (mut tx, mut rx) = make(cfg.capacity as usize);
    let total = cfg.warmup + cfg.samples;
    let (warmup, rc) = (cfg.warmup, cfg.reader_core);
    let barrier = Arc::new(Barrier::new(2));
    let b = barrier.clone();
    let reader = std::thread::spawn(move || {
        pin(rc);
        b.wait();
        let mut h = new_histogram();
        for i in 0..total {
            let p = loop {
                if let Some(p) = recv(&mut rx) {
                    break p;
                }
                std::hint::spin_loop();
            };
            let now = tsc();
            if i >= warmup {
                let _ = h.record((now.saturating_sub(p[0]) as f64 * npt) as u64);
            }
        }
        Summary::of(&h)
    });
    pin(cfg.writer_core);
    barrier.wait();
    let period = (cfg.period_ns as f64 / npt) as u64;
    let mut next = tsc();
    for _ in 0..total {
        next += period;
        wait_ticks(next);
        send(&mut tx, [tsc(), 1, 2, 3, 4, 5, 6, 7]);
    }
    let latency = reader.join().unwrap_or_default();

    // Throughput.
    let (mut tx, mut rx) = make(cfg.capacity as usize);
    let n = cfg.records;
    let barrier = Arc::new(Barrier::new(2));
    let b = barrier.clone();
    let reader = std::thread::spawn(move || {
        pin(rc);
        b.wait();
        let t0 = std::time::Instant::now();
        let mut sum = 0u64;
        for _ in 0..n {
            loop {
                if let Some(p) = recv(&mut rx) {
                    sum = sum.wrapping_add(p[1]);
                    break;
                }
                std::hint::spin_loop();
            }
        }
        std::hint::black_box(sum);
        t0.elapsed()
    });
    barrier.wait();
    let t0 = std::time::Instant::now();
    for i in 0..n {
        send(&mut tx, [i, i, 0, 0, 0, 0, 0, 0]);
    }
    let writer_elapsed = t0.elapsed();
    let elapsed = reader.join().unwrap_or(Duration::from_secs(1));
    Measured {
        floor: Summary::default(),
        latency,
        mrec_s: n as f64 / elapsed.as_secs_f64() / 1e6,
        lost: 0,
        writer_mrec_s: n as f64 / writer_elapsed.as_secs_f64() / 1e6,
    }
}

/// rtrb SPSC ring buffer between two pinned threads.
pub fn rtrb_peer(cfg: &BenchConfig, npt: f64) -> Measured {
    queue_peer(
        cfg,
        npt,
        rtrb::RingBuffer::<Payload>::new,
        |tx, mut p| {
            while let Err(rtrb::PushError::Full(back)) = tx.push(p) {
                p = back;
                std::hint::spin_loop();
            }
        },
        |rx| rx.pop().ok(),
    )
}

/// crossbeam-channel bounded channel between two pinned threads, busy-polling `try_*`.
pub fn crossbeam_peer(cfg: &BenchConfig, npt: f64) -> Measured {
    queue_peer(
        cfg,
        npt,
        crossbeam_channel::bounded::<Payload>,
        |tx, mut p| {
            while let Err(crossbeam_channel::TrySendError::Full(back)) = tx.try_send(p) {
                p = back;
                std::hint::spin_loop();
            }
        },
        |rx| rx.try_recv().ok(),
    )
}

/// What the ring reader process reports.
#[derive(Debug, Clone, Default)]
struct ChildReport {
    latency: Summary,
    received: u64,
    lost: u64,
    elapsed_ns: u64,
}

/// Arguments of the ring reader process.
#[derive(Debug, Clone)]
pub struct ReaderArgs {
    /// Ring file.
    pub path: PathBuf,
    /// Core to pin to.
    pub core: usize,
    /// Stop once the reader's position passes this sequence.
    pub until: u64,
    /// Only record latency for sequences at or above this one.
    pub measure_from: u64,
    /// Nanoseconds per TSC tick, measured by the parent.
    pub ns_per_tick: f64,
}

/// Body of the ring reader process (`mdbus internal ring-reader`): opens the ring, says
/// `ready`, reads until `until`, prints one JSON line with latency, received, lost, elapsed.
///
/// # Errors
///
/// When the ring cannot be opened or stdout cannot be written.
pub fn ring_reader(args: &ReaderArgs) -> Result<(), BenchError> {
    pin(args.core);
    let mut r = Reader::open_at(&args.path, Start::Head)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready")?;
    out.flush()?;
    let mut h = new_histogram();
    let (mut received, mut lost) = (0u64, 0u64);
    let mut first: Option<std::time::Instant> = None;
    while r.position() <= args.until {
        match r.try_read() {
            Ok(rec) => {
                received += 1;
                if rec.seq() >= args.measure_from {
                    let now = tsc();
                    if let Some(t) = rec.get::<BookDelta>() {
                        let _ = h.record((now.saturating_sub(t.header.venue_ts.0) as f64 * args.ns_per_tick) as u64);
                    }
                } else if first.is_none() {
                    first = Some(std::time::Instant::now());
                }
            }
            Err(ReadError::Empty) => std::hint::spin_loop(),
            Err(ReadError::Overrun { lost: l }) => lost += l,
        }
    }
    let elapsed_ns = first.map_or(0, |t| t.elapsed().as_nanos() as u64);
    let line =
        json!({ "latency": Summary::of(&h).to_json(), "received": received, "lost": lost, "elapsed_ns": elapsed_ns });
    writeln!(out, "{line}")?;
    Ok(())
}

fn spawn_reader(
    exe: &Path,
    args: &ReaderArgs,
) -> Result<(std::process::Child, BufReader<std::process::ChildStdout>), BenchError> {
    let mut child = Command::new(exe)
        .args(["internal", "ring-reader", "--path"])
        .arg(&args.path)
        .args(["--core", &args.core.to_string(), "--until", &args.until.to_string()])
        .args(["--measure-from", &args.measure_from.to_string(), "--ns-per-tick", &args.ns_per_tick.to_string()])
        .stdout(Stdio::piped())
        .spawn()?;
    let stdout = child.stdout.take().ok_or_else(|| BenchError::Child("no stdout".into()))?;
    let mut lines = BufReader::new(stdout);
    let mut line = String::new();
    lines.read_line(&mut line)?;
    if line.trim() != "ready" {
        return Err(BenchError::Child(format!("expected ready, got {line:?}")));
    }
    Ok((child, lines))
}

fn finish_reader(
    mut child: std::process::Child,
    mut lines: BufReader<std::process::ChildStdout>,
) -> Result<ChildReport, BenchError> {
    let mut line = String::new();
    lines.read_line(&mut line)?;
    let _ = child.wait();
    let v: Value =
        serde_json::from_str(line.trim()).map_err(|e| BenchError::Child(format!("bad report {line:?}: {e}")))?;
    let g = |k: &str| v.get(k).and_then(Value::as_u64).unwrap_or(0);
    Ok(ChildReport {
        latency: Summary::from_json(&v["latency"]),
        received: g("received"),
        lost: g("lost"),
        elapsed_ns: g("elapsed_ns"),
    })
}

/// The mdbus ring between this process (writer) and a reader process: latency, then throughput.
///
/// # Errors
///
/// When the ring or the reader process fails.
pub fn ring_peer(cfg: &BenchConfig, exe: &Path, npt: f64) -> Result<Measured, BenchError> {
    let path = cfg.dir.join(format!("mdbus-bench-{}.ring", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let opts = RingOptions::default().capacity(cfg.capacity);
    let result = (|| {
        // 64-byte records, one cache line each (book deltas).
        let mut w = Writer::open_or_create(&path, Kind::BOOK_DELTA, &opts)?;
        pin(cfg.writer_core);
        // Latency, paced.
        let total = cfg.warmup + cfg.samples;
        let start = w.head();
        let args = ReaderArgs {
            path: path.clone(),
            core: cfg.reader_core,
            until: start + total - 1,
            measure_from: start + cfg.warmup,
            ns_per_tick: npt,
        };
        let (child, lines) = spawn_reader(exe, &args)?;
        let period = (cfg.period_ns as f64 / npt) as u64;
        let mut rec = BookDelta::default();
        let mut next = tsc();
        for i in 0..total {
            next += period;
            wait_ticks(next);
            rec.header.venue_seq = i;
            let stamp = tsc();
            rec.header.venue_ts = Nanos(stamp);
            let _ = w.publish_at(&rec, Nanos(stamp));
        }
        let lat = finish_reader(child, lines)?;

        // Throughput, unpaced.
        let start = w.head();
        let args = ReaderArgs { until: start + cfg.records - 1, measure_from: u64::MAX, ..args };
        let (child, lines) = spawn_reader(exe, &args)?;
        let t0 = std::time::Instant::now();
        for i in 0..cfg.records {
            rec.header.venue_seq = i;
            rec.price = i as i64;
            let _ = w.publish_at(&rec, Nanos(i));
        }
        let writer_elapsed = t0.elapsed();
        let tp = finish_reader(child, lines)?;
        Ok(Measured {
            floor: Summary::default(),
            latency: lat.latency,
            mrec_s: if tp.elapsed_ns == 0 { 0.0 } else { tp.received as f64 / tp.elapsed_ns as f64 * 1e3 },
            lost: tp.lost,
            writer_mrec_s: cfg.records as f64 / writer_elapsed.as_secs_f64() / 1e6,
        })
    })();
    let _ = std::fs::remove_file(&path);
    let _ = std::fs::remove_file(path.with_extension("lock"));
    let _ = std::fs::remove_file(path.with_extension("bell"));
    result
}

/// Runs every case and returns the report. `exe` is the `mdbus` binary used for the reader
/// process.
///
/// # Errors
///
/// When the ring case fails.
pub fn run(cfg: &BenchConfig, exe: &Path, progress: &mut dyn FnMut(&str)) -> Result<Report, BenchError> {
    progress("calibrating the TSC");
    let npt = tsc_ns_per_tick(Duration::from_millis(200));
    let pinned = core_affinity::get_core_ids().is_some_and(|ids| ids.len() >= 2)
        && std::thread::scope(|s| s.spawn(|| pin(cfg.reader_core)).join().unwrap_or(false));
    progress("floor: cache-line ping-pong");
    let floor_before = floor(cfg, npt);
    progress("mdbus ring: writer process -> reader process");
    let mut ring = ring_peer(cfg, exe, npt)?;
    ring.floor = floor_before;
    progress("floor, then rtrb: thread -> thread");
    let f = floor(cfg, npt);
    let mut rtrb = rtrb_peer(cfg, npt);
    rtrb.floor = f;
    progress("floor, then crossbeam-channel: thread -> thread");
    let f = floor(cfg, npt);
    let mut crossbeam = crossbeam_peer(cfg, npt);
    crossbeam.floor = f;
    #[cfg(feature = "iceoryx2")]
    let iceoryx2 = {
        progress("floor, then iceoryx2: publisher process -> subscriber process");
        let f = floor(cfg, npt);
        let mut m = crate::bench_iox::peer(cfg, exe, npt)?;
        m.floor = f;
        Some(m)
    };
    #[cfg(not(feature = "iceoryx2"))]
    let iceoryx2 = None;
    progress("floor again");
    let floor_after = floor(cfg, npt);
    Ok(Report { floor_before, floor_after, ring, rtrb, crossbeam, iceoryx2, ns_per_tick: npt, pinned })
}

impl Report {
    /// The floor the ring is compared with: the one measured right before it.
    pub fn floor_p50(&self) -> u64 {
        self.ring.floor.p50.max(1)
    }

    /// The report as one JSON object (keys `floor_p50_ns`, `ring_p50_ns`, ... as documented in
    /// BENCHMARKS.md).
    pub fn to_json(&self) -> Value {
        let mut m = serde_json::Map::new();
        m.insert("floor_p50_ns".into(), json!(self.floor_p50()));
        m.insert("floor_before".into(), self.floor_before.to_json());
        m.insert("floor_after".into(), self.floor_after.to_json());
        let mut peers = vec![("ring", &self.ring), ("rtrb", &self.rtrb), ("crossbeam", &self.crossbeam)];
        match &self.iceoryx2 {
            Some(m) => peers.push(("iceoryx2", m)),
            None => {
                for k in ["iceoryx2_p50_ns", "iceoryx2_p99_ns", "iceoryx2_mrec_s"] {
                    m.insert(k.into(), Value::Null);
                }
            }
        }
        for (name, r) in peers {
            m.insert(format!("{name}_floor_p50_ns"), json!(r.floor.p50));
            m.insert(format!("{name}_p50_ns"), json!(r.latency.p50));
            m.insert(format!("{name}_p90_ns"), json!(r.latency.p90));
            m.insert(format!("{name}_p99_ns"), json!(r.latency.p99));
            m.insert(format!("{name}_p999_ns"), json!(r.latency.p999));
            m.insert(format!("{name}_max_ns"), json!(r.latency.max));
            m.insert(format!("{name}_mrec_s"), json!((r.mrec_s * 10.0).round() / 10.0));
            m.insert(format!("{name}_writer_mrec_s"), json!((r.writer_mrec_s * 10.0).round() / 10.0));
        }
        m.insert("ring_lost".into(), json!(self.ring.lost));
        m.insert("ns_per_tick".into(), json!(self.ns_per_tick));
        m.insert("pinned".into(), json!(self.pinned));
        Value::Object(m)
    }

    /// The report as a Markdown table; every ratio is against the floor measured right before
    /// that transport.
    pub fn to_markdown(&self) -> String {
        let mut s = String::new();
        s.push_str("| transport | floor p50 ns | p50 ns | p90 ns | p99 ns | p99.9 ns | max ns | p50 / floor | p99 / floor | Mrec/s (reader) | Mrec/s (writer) | lost |\n");
        s.push_str("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        let mut rows = vec![
            ("**mdbus ring**, 2 processes", &self.ring),
            ("rtrb SPSC, 2 threads", &self.rtrb),
            ("crossbeam-channel bounded, 2 threads", &self.crossbeam),
        ];
        if let Some(m) = &self.iceoryx2 {
            rows.push(("iceoryx2 pub/sub, 2 processes", m));
        }
        for (name, r) in rows {
            let l = &r.latency;
            let f = r.floor.p50.max(1) as f64;
            s.push_str(&format!(
                "| {name} | {} | {} | {} | {} | {} | {} | {:.2} | {:.2} | {:.1} | {:.1} | {} |\n",
                r.floor.p50,
                l.p50,
                l.p90,
                l.p99,
                l.p999,
                l.max,
                l.p50 as f64 / f,
                l.p99 as f64 / f,
                r.mrec_s,
                r.writer_mrec_s,
                r.lost
            ));
        }
        let fl = &self.floor_after;
        s.push_str(&format!(
            "| floor (ping-pong RTT/2), last | {} | {} | {} | {} | {} | {} | 1.00 | {:.2} | – | – | – |\n",
            fl.p50,
            fl.p50,
            fl.p90,
            fl.p99,
            fl.p999,
            fl.max,
            fl.p99 as f64 / fl.p50.max(1) as f64
        ));
        s
    }
}
