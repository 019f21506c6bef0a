//! `mdbus demo`: a synthetic quote source publishing into a ring, and several reader processes
//! printing live rates and latency percentiles.

use std::{
    io::{BufRead, BufReader, Write},
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use crossbeam_utils::Backoff;
use mdbus_bus::{ReadError, Reader, RingDir, RingOptions, Start, now_ns};
use mdbus_schemas::{Instrument, InstrumentId, InstrumentTable, Kind, Nanos, Quote, Symbol, VenueId};
use serde_json::{Value, json};

use crate::stats::{Summary, human_ns, new_histogram};

/// Errors of the demo.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DemoError {
    /// The ring could not be created.
    #[error(transparent)]
    Ring(#[from] mdbus_bus::OpenError),
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
    /// How long to publish.
    pub seconds: u64,
    /// Number of reader processes.
    pub readers: usize,
    /// Quotes per second.
    pub rate: u64,
    /// Ring directory.
    pub dir: RingDir,
    /// Keep the ring file after the demo.
    pub keep: bool,
}

/// Final figures of one reader process.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReaderResult {
    /// Reader number.
    pub id: usize,
    /// Records received.
    pub received: u64,
    /// Records lost to overruns.
    pub lost: u64,
    /// Publish → read latency.
    pub latency: Summary,
}

/// What the demo did.
#[derive(Debug, Clone, Default)]
pub struct DemoReport {
    /// Records published after the readers started.
    pub published: u64,
    /// Per reader.
    pub readers: Vec<ReaderResult>,
}

impl DemoReport {
    /// Returns `true` when every reader received or was told of the loss of every record.
    pub fn accounted(&self) -> bool {
        self.readers.iter().all(|r| r.received + r.lost == self.published)
    }
}

/// The synthetic instruments the demo publishes.
pub fn instruments() -> InstrumentTable {
    let mut t = InstrumentTable::default();
    for (id, sym) in [(1, "BTCUSDT"), (2, "ETHUSDT"), (3, "SOLUSDT")] {
        if let Ok(symbol) = Symbol::new(sym) {
            let _ = t.insert(Instrument::new(InstrumentId(id), VenueId::SYNTHETIC, symbol, -2, -6));
        }
    }
    t
}

/// Runs the demo: creates the ring, starts the readers, publishes for `seconds`, collects the
/// readers' results. Progress lines go to `out`.
///
/// # Errors
///
/// When the ring cannot be created or a reader process fails.
pub fn run(cfg: &DemoConfig, exe: &Path, out: &mut dyn Write) -> Result<DemoReport, DemoError> {
    let name = format!("demo-{}.quote", std::process::id());
    let path = cfg.dir.ring_path(&name)?;
    let table = instruments();
    cfg.dir.save_instruments(&table)?;
    let mut writer = cfg.dir.writer(&name, Kind::QUOTE, &RingOptions::default().capacity(1 << 16))?;
    writeln!(out, "ring {} ({} slots of {} bytes)", path.display(), writer.capacity(), writer.record_size())?;

    let (tx, rx) = crossbeam_channel::unbounded::<(usize, String)>();
    let mut children = Vec::new();
    for id in 1..=cfg.readers {
        let mut child = Command::new(exe)
            .args(["internal", "demo-reader", "--id", &id.to_string(), "--path"])
            .arg(&path)
            .stdout(Stdio::piped())
            .spawn()?;
        let stdout = child.stdout.take().ok_or_else(|| DemoError::Reader("no stdout".into()))?;
        let mut lines = BufReader::new(stdout);
        let mut first = String::new();
        lines.read_line(&mut first)?;
        if first.trim() != "ready" {
            return Err(DemoError::Reader(format!("reader {id} said {first:?}")));
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
    writeln!(out, "{} reader processes started; publishing {} quotes/s for {} s", cfg.readers, cfg.rate, cfg.seconds)?;

    let start_seq = writer.head();
    let started = Instant::now();
    let total = cfg.rate * cfg.seconds;
    let mut mids = [6_500_000_i64, 350_000, 15_000];
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut results = Vec::new();
    let mut last_print = Instant::now();
    let drain = |out: &mut dyn Write, results: &mut Vec<ReaderResult>| -> std::io::Result<()> {
        while let Ok((id, line)) = rx.try_recv() {
            report_line(id, &line, out, results)?;
        }
        Ok(())
    };
    for i in 0..total {
        let due = Duration::from_nanos(i.saturating_mul(1_000_000_000) / cfg.rate.max(1));
        let now = started.elapsed();
        if due > now {
            std::thread::sleep(due - now);
        }
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let k = (rng % 3) as usize;
        mids[k] += (rng >> 8) as i64 % 3 - 1;
        let spread = 1 + (rng >> 20) as i64 % 3;
        let q = Quote {
            header: mdbus_schemas::Header {
                kind: Kind::QUOTE,
                venue: VenueId::SYNTHETIC,
                instrument: InstrumentId(k as u32 + 1),
                venue_seq: i,
                venue_ts: Nanos(now_ns()),
                recv_ts: Nanos(now_ns()),
                ..Default::default()
            },
            bid_px: mids[k] - spread,
            bid_qty: 1_000_000 + (rng >> 32) as i64 % 5_000_000,
            ask_px: mids[k] + spread,
            ask_qty: 1_000_000 + (rng >> 40) as i64 % 5_000_000,
            _pad: [0; 48],
        };
        let _ = writer.publish(&q);
        if last_print.elapsed() >= Duration::from_millis(200) {
            drain(out, &mut results)?;
            last_print = Instant::now();
        }
    }
    let published = writer.head() - start_seq;
    drop(writer); // releases the lock: readers drain and finish
    for mut c in children {
        let _ = c.wait();
    }
    while let Ok((id, line)) = rx.recv_timeout(Duration::from_millis(500)) {
        report_line(id, &line, out, &mut results)?;
    }
    results.sort_by_key(|r| r.id);
    if !cfg.keep {
        let _ = std::fs::remove_file(&path);
        let _ = std::fs::remove_file(path.with_extension("lock"));
    }
    Ok(DemoReport { published, readers: results })
}

fn report_line(id: usize, line: &str, out: &mut dyn Write, results: &mut Vec<ReaderResult>) -> std::io::Result<()> {
    let Ok(v) = serde_json::from_str::<Value>(line) else {
        return writeln!(out, "reader {id}: {line}");
    };
    let g = |k: &str| v.get(k).and_then(Value::as_u64).unwrap_or(0);
    if v.get("final").and_then(Value::as_bool) == Some(true) {
        results.push(ReaderResult {
            id,
            received: g("received"),
            lost: g("lost"),
            latency: Summary::from_json(&v["latency"]),
        });
        return Ok(());
    }
    let l = Summary::from_json(&v["latency"]);
    writeln!(
        out,
        "reader {id}: {:>9} rec/s  lost {:>7}  publish->read p50 {:>8} p99 {:>8} p99.9 {:>8} max {:>8}",
        g("rate"),
        g("lost"),
        human_ns(l.p50),
        human_ns(l.p99),
        human_ns(l.p999),
        human_ns(l.max)
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
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready")?;
    out.flush()?;
    let (mut total, mut interval) = (new_histogram(), new_histogram());
    let (mut received, mut lost, mut window) = (0u64, 0u64, 0u64);
    let mut tick = Instant::now();
    let mut last_alive_check = Instant::now();
    let backoff = Backoff::new();
    loop {
        match r.try_read() {
            Ok(rec) => {
                let now = now_ns();
                let lat = now.saturating_sub(rec.header().publish_ts.0).max(1);
                let _ = total.record(lat);
                let _ = interval.record(lat);
                received += 1;
                window += 1;
                backoff.reset();
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
            writeln!(
                out,
                "{}",
                json!({ "id": id, "rate": rate, "lost": lost, "latency": Summary::of(&interval).to_json() })
            )?;
            out.flush()?;
            interval.reset();
            window = 0;
            tick = Instant::now();
        }
    }
    writeln!(
        out,
        "{}",
        json!({ "id": id, "final": true, "received": received, "lost": lost, "latency": Summary::of(&total).to_json() })
    )?;
    out.flush()?;
    Ok(())
}
