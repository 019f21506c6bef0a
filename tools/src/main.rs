//! `mdbus`: run the demo, list and tail rings, benchmark the bus.

use std::{
    io::Write,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};
use mdbus_bus::{ReadError, Reader, RingDir, Start};
use mdbus_tools::{bench, demo, format, listing, stats::human_ns};

/// mdbus: a low-latency shared-memory market-data bus.
#[derive(Debug, Parser)]
#[command(name = "mdbus", version, about)]
struct Cli {
    /// Ring directory (default: $MDBUS_DIR, else /dev/shm/mdbus).
    #[arg(long, global = true)]
    dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Publish synthetic quotes into a ring and read them from several processes, printing live
    /// rates and latency percentiles; stops by itself.
    Demo {
        /// How long to publish, in seconds.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Number of reader processes.
        #[arg(long, default_value_t = 3)]
        readers: usize,
        /// Quotes per second.
        #[arg(long, default_value_t = 200_000)]
        rate: u64,
        /// Keep the demo ring afterwards (for `mdbus tail`).
        #[arg(long)]
        keep: bool,
    },
    /// List the rings in the ring directory.
    Ls {
        /// One JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Print the records of a ring as they arrive.
    Tail {
        /// Ring name in the ring directory, or a path to a `.ring` file.
        ring: String,
        /// JSON lines instead of text.
        #[arg(long)]
        json: bool,
        /// Where to start.
        #[arg(long, value_enum, default_value_t = From::Head)]
        from: From,
        /// Stop after this many records.
        #[arg(long)]
        count: Option<u64>,
        /// Stop when nothing arrives for this many milliseconds.
        #[arg(long)]
        idle_exit_ms: Option<u64>,
    },
    /// Decode venue frames into records, one JSON object per record on stdout.
    ///
    /// Each FILE holds one frame exactly as received; with no FILE, stdin holds text frames one
    /// per line. A frame that fails to decode is reported on stderr (with its file or line) and
    /// decoding goes on; the exit status is 2 if any frame failed.
    Decode {
        /// Venue: binance-spot or binance-usdm.
        #[arg(long)]
        venue: String,
        /// Files with one frame each.
        files: Vec<PathBuf>,
    },
    /// Run a benchmark.
    Bench {
        #[command(subcommand)]
        which: BenchCmd,
    },
    /// Helper processes started by `demo` and `bench`.
    #[command(hide = true)]
    Internal {
        #[command(subcommand)]
        which: InternalCmd,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum From {
    /// Only records published from now on.
    Head,
    /// The oldest record still in the ring.
    Oldest,
}

#[derive(Debug, Subcommand)]
enum BenchCmd {
    /// The fast decoder against serde_json on the same Binance frames.
    Decode {
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
        /// Decodes per timing round.
        #[arg(long, default_value_t = 200_000)]
        iters: u32,
    },
    /// The ring against the core-to-core floor, rtrb and crossbeam-channel, in one run.
    Ring {
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
        /// Measured latency samples per transport.
        #[arg(long, default_value_t = 1_000_000)]
        samples: u64,
        /// Warm-up samples.
        #[arg(long, default_value_t = 20_000)]
        warmup: u64,
        /// Writer pacing for latency, ns between records.
        #[arg(long, default_value_t = 1_500)]
        period_ns: u64,
        /// Records per throughput run.
        #[arg(long, default_value_t = 10_000_000)]
        records: u64,
        /// Ring / queue capacity.
        #[arg(long, default_value_t = 4096)]
        capacity: u64,
        /// Writer core.
        #[arg(long, default_value_t = 0)]
        writer_core: usize,
        /// Reader core.
        #[arg(long, default_value_t = 1)]
        reader_core: usize,
    },
}

#[derive(Debug, Subcommand)]
#[allow(clippy::enum_variant_names)] // the variants are the helper processes: each one is a reader
enum InternalCmd {
    RingReader {
        #[arg(long)]
        path: PathBuf,
        #[arg(long)]
        core: usize,
        #[arg(long)]
        until: u64,
        #[arg(long)]
        measure_from: u64,
        #[arg(long)]
        ns_per_tick: f64,
    },
    DemoReader {
        #[arg(long)]
        path: PathBuf,
        #[arg(long)]
        id: usize,
    },
    #[cfg(feature = "iceoryx2")]
    IoxReader {
        #[arg(long)]
        name: String,
        #[arg(long)]
        core: usize,
        #[arg(long)]
        warmup: u64,
        #[arg(long)]
        ns_per_tick: f64,
        #[arg(long)]
        capacity: usize,
        #[arg(long)]
        lossless: bool,
    },
}

fn ring_path(dir: &RingDir, ring: &str) -> Result<PathBuf> {
    if ring.contains('/') || ring.ends_with(".ring") {
        return Ok(PathBuf::from(ring));
    }
    Ok(dir.ring_path(ring)?)
}

fn tail(dir: &RingDir, ring: &str, json: bool, from: From, count: Option<u64>, idle: Option<u64>) -> Result<()> {
    let path = ring_path(dir, ring)?;
    let start = match from {
        From::Head => Start::Head,
        From::Oldest => Start::Oldest,
    };
    let mut reader = Reader::open_at(&path, start).with_context(|| format!("opening {}", path.display()))?;
    let table =
        RingDir::new(path.parent().unwrap_or(Path::new("."))).load_instruments().ok().flatten().and_then(Result::ok);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut seen = 0u64;
    let mut last = Instant::now();
    let backoff = crossbeam_utils::Backoff::new();
    while count.is_none_or(|c| seen < c) {
        match reader.try_read() {
            Ok(rec) => {
                backoff.reset();
                last = Instant::now();
                seen += 1;
                let line = match rec.view() {
                    Ok(v) if json => format::to_json(&v, table.as_ref()).to_string(),
                    Ok(v) => format::to_text(&v, table.as_ref()),
                    Err(e) if json => serde_json::json!({ "seq": rec.seq(), "error": e.to_string() }).to_string(),
                    Err(e) => format!("{:>10} error: {e}", rec.seq()),
                };
                if writeln!(out, "{line}").is_err() {
                    return Ok(()); // reader of our output went away (e.g. `| head`)
                }
            }
            Err(ReadError::Overrun { lost }) => {
                let line = if json {
                    serde_json::json!({ "overrun": lost }).to_string()
                } else {
                    format!("# overrun: {lost} records lost")
                };
                if writeln!(out, "{line}").is_err() {
                    return Ok(());
                }
            }
            Err(ReadError::Empty) => {
                if idle.is_some_and(|ms| last.elapsed() >= Duration::from_millis(ms)) {
                    break;
                }
                let _ = out.flush();
                backoff.snooze();
            }
        }
    }
    Ok(())
}

/// Decodes frames for `mdbus decode`; returns how many failed.
fn decode(venue: &str, files: &[PathBuf]) -> Result<usize> {
    use std::io::BufRead;
    let Some(venue) = mdbus_tools::decode::Venue::from_name(venue) else {
        bail!("unknown venue {venue:?}: use binance-spot or binance-usdm");
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut failed = 0;
    let mut one = |label: &str, frame: &[u8], out: &mut dyn Write| -> Result<()> {
        match mdbus_tools::decode::decode_frame(venue, frame) {
            Ok(records) => {
                for r in records {
                    writeln!(out, "{r}")?;
                }
            }
            Err(e) => {
                failed += 1;
                eprintln!("{label}: {e}");
            }
        }
        Ok(())
    };
    if files.is_empty() {
        for (i, line) in std::io::stdin().lock().split(b'\n').enumerate() {
            let line = line.context("reading stdin")?;
            let line = line.strip_suffix(b"\r").unwrap_or(&line);
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            one(&format!("line {}", i + 1), line, &mut out)?;
        }
    } else {
        for f in files {
            let frame = std::fs::read(f).with_context(|| format!("reading {}", f.display()))?;
            one(&f.display().to_string(), &frame, &mut out)?;
        }
    }
    Ok(failed)
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let dir = RingDir::resolve(cli.dir.as_deref());
    let exe = std::env::current_exe().context("locating the mdbus binary")?;
    match cli.command {
        Cmd::Demo { seconds, readers, rate, keep } => {
            let cfg = demo::DemoConfig { seconds, readers, rate, dir, keep };
            let mut out = std::io::stdout();
            let report = demo::run(&cfg, &exe, &mut out)?;
            println!("\npublished {} quotes", report.published);
            println!(
                "{:<8} {:>10} {:>8} {:>9} {:>9} {:>9} {:>9}",
                "reader", "received", "lost", "p50", "p99", "p99.9", "max"
            );
            for r in &report.readers {
                let l = &r.latency;
                println!(
                    "{:<8} {:>10} {:>8} {:>9} {:>9} {:>9} {:>9}",
                    r.id,
                    r.received,
                    r.lost,
                    human_ns(l.p50),
                    human_ns(l.p99),
                    human_ns(l.p999),
                    human_ns(l.max)
                );
            }
            if report.readers.len() != readers || !report.accounted() {
                bail!("a reader did not account for every published record");
            }
            println!("every reader received or was told of the loss of every record");
        }
        Cmd::Decode { venue, files } => {
            if decode(&venue, &files)? > 0 {
                std::process::exit(2);
            }
        }
        Cmd::Bench { which: BenchCmd::Decode { json, iters } } => {
            let v = mdbus_tools::bench_decode::run(iters).map_err(anyhow::Error::msg)?;
            if json {
                println!("{v}");
            } else {
                println!("| frame | bytes | fast ns | serde_json ns | serde_json / fast |");
                println!("|---|---|---|---|---|");
                for name in ["book_ticker", "trade", "depth20"] {
                    println!(
                        "| {name} | {} | {} | {} | {} |",
                        v[format!("{name}_bytes")],
                        v[format!("{name}_fast_ns")],
                        v[format!("{name}_serde_ns")],
                        v[format!("{name}_speedup")]
                    );
                }
            }
        }
        Cmd::Ls { json } => {
            let entries = dir.list()?;
            if json {
                println!("{}", listing::to_json(&entries));
            } else {
                print!("{}", listing::to_table(&entries));
            }
        }
        Cmd::Tail { ring, json, from, count, idle_exit_ms } => tail(&dir, &ring, json, from, count, idle_exit_ms)?,
        Cmd::Bench {
            which: BenchCmd::Ring { json, samples, warmup, period_ns, records, capacity, writer_core, reader_core },
        } => {
            let bench_dir =
                if Path::new("/dev/shm").is_dir() { PathBuf::from("/dev/shm") } else { std::env::temp_dir() };
            let cfg = bench::BenchConfig {
                samples,
                warmup,
                period_ns,
                records,
                capacity,
                writer_core,
                reader_core,
                dir: bench_dir,
            };
            let report = bench::run(&cfg, &exe, &mut |s| eprintln!("bench: {s}"))?;
            if json {
                println!("{}", report.to_json());
            } else {
                println!("{}", report.to_markdown());
                let f = report.floor_p50() as f64;
                println!(
                    "ring p50 = {:.2}x floor, p99 = {:.2}x floor; ring throughput = {:.2}x rtrb",
                    report.ring.latency.p50 as f64 / f,
                    report.ring.latency.p99 as f64 / f,
                    report.ring.mrec_s / report.rtrb.mrec_s.max(1e-9)
                );
            }
        }
        Cmd::Internal { which: InternalCmd::RingReader { path, core, until, measure_from, ns_per_tick } } => {
            bench::ring_reader(&bench::ReaderArgs { path, core, until, measure_from, ns_per_tick })?;
        }
        Cmd::Internal { which: InternalCmd::DemoReader { path, id } } => demo::reader(&path, id)?,
        #[cfg(feature = "iceoryx2")]
        Cmd::Internal { which: InternalCmd::IoxReader { name, core, warmup, ns_per_tick, capacity, lossless } } => {
            mdbus_tools::bench_iox::reader(&name, core, warmup, ns_per_tick, capacity, lossless)?
        }
    }
    Ok(())
}
