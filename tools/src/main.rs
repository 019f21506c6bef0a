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
    /// The whole path on loopback: the venue simulators, a pinned feeder, reader processes
    /// printing live rates and end-to-end latency; stops by itself.
    Demo {
        /// Venues to simulate and carry: `all`, or a comma-separated list of binance, okx,
        /// bybit, htx, gateio, gemini.
        #[arg(long, default_value = "binance")]
        venues: String,
        /// How long to run, in seconds.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Simulator tick in microseconds (time between market events per symbol).
        #[arg(long, default_value_t = 1000)]
        tick_us: u64,
        /// Keep the demo rings afterwards (for `mdbus tail`).
        #[arg(long)]
        keep: bool,
    },
    /// Run the built-in venue simulator on loopback.
    Sim {
        /// Venue dialect: binance, okx, bybit, htx, gateio, gemini.
        #[arg(long, default_value = "binance")]
        venue: String,
        /// USD-M futures dialect instead of spot.
        #[arg(long)]
        usdm: bool,
        /// Serve wss/https with a self-signed certificate (written to --cert-out).
        #[arg(long)]
        tls: bool,
        /// File to write the certificate to (PEM), for the feeder's tls.extra_roots.
        #[arg(long)]
        cert_out: Option<PathBuf>,
        /// Port (0 picks a free one).
        #[arg(long, default_value_t = 9443)]
        port: u16,
        /// Symbols, comma separated, as the venue spells them (default: BTC and ETH against USDT,
        /// USD on Gemini).
        #[arg(long)]
        symbols: Option<String>,
        /// Random seed.
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// Microseconds between market events per symbol.
        #[arg(long, default_value_t = 1000)]
        tick_us: u64,
        /// Drop each connection after this many frames.
        #[arg(long, default_value_t = 0)]
        drop_every: u64,
        /// Skip one depth event every this many.
        #[arg(long, default_value_t = 0)]
        gap_every: u64,
        /// Duplicate one frame every this many.
        #[arg(long, default_value_t = 0)]
        dup_every: u64,
        /// Send a malformed frame every this many.
        #[arg(long, default_value_t = 0)]
        malformed_every: u64,
        /// Send a websocket ping this often (ms).
        #[arg(long)]
        ping_ms: Option<u64>,
        /// Refuse subscriptions to this stream (repeatable).
        #[arg(long)]
        refuse: Vec<String>,
        /// Delay every frame by this many microseconds.
        #[arg(long)]
        delay_us: Option<u64>,
        /// OKX: restart a book's sequence every this many depth events; Bybit: a service
        /// restart (u = 1).
        #[arg(long, default_value_t = 0)]
        reset_every: u64,
        /// Bybit: re-send the book snapshot every this many depth events.
        #[arg(long, default_value_t = 0)]
        resnapshot_every: u64,
        /// Bybit: an empty `u == 1` snapshot, then the whole book, every this many depth events.
        #[arg(long, default_value_t = 0)]
        empty_snapshot_every: u64,
        /// OKX: an empty keepalive book update every this many depth events.
        #[arg(long, default_value_t = 0)]
        keepalive_every: u64,
        /// HTX ping / Gemini heartbeat interval (ms; default 5000).
        #[arg(long)]
        heartbeat_ms: Option<u64>,
        /// Cut a client silent for this long (ms; OKX default 30000).
        #[arg(long)]
        idle_cut_ms: Option<u64>,
        /// Stop generating market events after this many ticks (the servers keep running).
        #[arg(long)]
        max_ticks: Option<u64>,
        /// Append every market-data frame sent to this file, one per line.
        #[arg(long)]
        record: Option<PathBuf>,
        /// Stop after this many seconds (default: run until killed).
        #[arg(long)]
        seconds: Option<u64>,
        /// Trading account API key (default: the demo account mdbus-sim-key).
        #[arg(long, requires = "api_secret_env")]
        api_key: Option<String>,
        /// Environment variable holding that account's secret.
        #[arg(long, requires = "api_key")]
        api_secret_env: Option<String>,
        /// New orders allowed per account per --order-window-ms (0 = unlimited); beyond, 429.
        #[arg(long, default_value_t = 0)]
        order_limit: u64,
        /// Order-limit window in milliseconds.
        #[arg(long, default_value_t = 10_000)]
        order_window_ms: u64,
        /// The venue clock runs this many ms ahead of the host (negative: behind).
        #[arg(long, default_value_t = 0, allow_hyphen_values = true)]
        clock_skew_ms: i64,
        /// Answer each order after this many milliseconds.
        #[arg(long)]
        order_delay_ms: Option<u64>,
        /// Every N orders: place it, then close the connection without answering.
        #[arg(long, default_value_t = 0)]
        drop_order_response_every: u64,
        /// Every N orders: close the connection without placing it.
        #[arg(long, default_value_t = 0)]
        lose_order_every: u64,
    },
    /// Run the feeder: connect to the configured venues (or the simulator) and publish.
    Feed {
        /// YAML configuration (see config/).
        #[arg(long)]
        config: PathBuf,
        /// Stop after this many seconds (default: run until killed).
        #[arg(long)]
        seconds: Option<u64>,
    },
    /// Exit 0 when every ring's writer is alive and fresh and no book has been out of sync for
    /// longer than a bound; otherwise exit 1 with one line per problem (for systemd,
    /// Kubernetes probes, cron).
    Health {
        /// Seconds a writer may go without publishing or a heartbeat.
        #[arg(long, default_value_t = 2.0)]
        max_heartbeat_age: f64,
        /// Seconds a book may stay resynchronising (or never in sync).
        #[arg(long, default_value_t = 10.0)]
        max_resync: f64,
        /// One JSON object instead of lines.
        #[arg(long)]
        json: bool,
    },
    /// The latest book of every instrument, from the feeds' book tables (no replay): all
    /// feeds, one feed, or one symbol of it.
    Book {
        /// One JSON object per instrument, one per line.
        #[arg(long)]
        json: bool,
        /// Levels a side to show.
        #[arg(long, default_value_t = 10)]
        depth: usize,
        /// Refresh in place every second until interrupted.
        #[arg(long)]
        watch: bool,
        /// The feed (its ring prefix); every feed with a book table when left out.
        feed: Option<String>,
        /// The symbol, as the venue spells it.
        symbol: Option<String>,
    },
    /// List the rings in the ring directory: kind, size, head, writer alive or dead, heartbeat
    /// age, and records per second.
    Ls {
        /// One JSON array instead of a table.
        #[arg(long)]
        json: bool,
        /// Refresh in place every second (like top) until interrupted.
        #[arg(long)]
        watch: bool,
        /// Milliseconds between the two looks at every ring's head that give its rate.
        #[arg(long, default_value_t = 250)]
        rate_ms: u64,
    },
    /// What a ring carried over a window, per instrument: records and rate, gaps, resyncs,
    /// crossed books, the last gap and resync; connects, disconnects and losses.
    Stat {
        /// Ring name in the ring directory, or a path to a `.ring` file.
        ring: String,
        /// How long to read.
        #[arg(long, default_value_t = 5)]
        seconds: u64,
        /// Where to start: head (what arrives from now on) or oldest (what the ring still holds,
        /// then what arrives).
        #[arg(long, value_enum, default_value_t = From::Head)]
        from: From,
        /// With --from oldest: stop once caught up instead of after --seconds.
        #[arg(long)]
        until_caught_up: bool,
        /// One JSON object instead of a table.
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
    /// Per-stage latency of a ring's records (venue ► receive, receive ► publish, publish ►
    /// read) as percentiles; optionally saved as .hgrm files and drawn as an SVG plot.
    Latency {
        /// Ring name in the ring directory, or a path to a `.ring` file.
        ring: String,
        /// How long to read.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Save each stage's distribution in HdrHistogram's .hgrm format: FILE's stem plus
        /// `.<stage>.hgrm` (out.hgrm -> out.publish_to_read.hgrm, ...).
        #[arg(long)]
        hgrm: Option<PathBuf>,
        /// Draw the percentile curves of every stage into this SVG file.
        #[arg(long)]
        plot: Option<PathBuf>,
        /// One JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Record a ring's records into a capture file (a feeder records frames too: `record:` in
    /// its configuration).
    Record {
        /// Ring name in the ring directory, or a path to a `.ring` file.
        ring: String,
        /// The capture file to write.
        file: PathBuf,
        /// How long to record.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Where to start.
        #[arg(long, value_enum, default_value_t = From::Head)]
        from: From,
        /// With --from oldest: stop once caught up.
        #[arg(long)]
        until_caught_up: bool,
    },
    /// Play a capture file back into rings: a feeder's capture runs its frames through the same
    /// decoders; a ring's capture is republished as it is.
    Replay {
        /// The capture file.
        file: PathBuf,
        /// Ring prefix for the replayed rings (default: the recorded feed's name + `-replay`).
        #[arg(long)]
        name: Option<String>,
        /// Multiple of the recorded pace (1 = as recorded).
        #[arg(long, default_value_t = 1.0)]
        speed: f64,
        /// As fast as possible.
        #[arg(long)]
        max: bool,
        /// Ring capacity of the replayed rings.
        #[arg(long, default_value_t = 1 << 20)]
        capacity: u64,
        /// Compare the replayed records with the recorded ones; fail on any difference.
        #[arg(long)]
        verify: bool,
    },
    /// Print the record layout (schema version, layout hash, every family's fields) as JSON, for
    /// readers in other languages.
    Layout,
    /// Ask a venue's REST market data through the venue feed protocol: `instruments`, or
    /// `ticker`, `depth`, `trades`, `klines` of a symbol, as JSON lines (records in the form
    /// `tail --json` prints).
    Rest {
        /// Registry key: BINANCE___SPOT, BINANCE___SWAP, OKX___SPOT, BYBIT___SPOT, BYBIT___SWAP,
        /// HTX___SPOT, GATEIO___SPOT or GEMINI___SPOT.
        key: String,
        /// instruments, ticker, depth, trades or klines.
        op: String,
        /// Symbol as the venue spells it (not for instruments).
        symbol: Option<String>,
        /// REST base URL (the venue's own by default; http://ADDR for `mdbus sim`).
        #[arg(long)]
        rest_url: Option<String>,
        /// Levels, trades or candles.
        #[arg(long, default_value_t = 10)]
        limit: usize,
        /// Kline interval.
        #[arg(long, default_value = "1m")]
        interval: String,
    },
    /// Print one request signature exactly as the venue expects it (and nothing else).
    Sign {
        /// binance, okx, bybit, gateio, htx or gemini.
        #[arg(long)]
        venue: String,
        /// Environment variable holding the API secret (the secret is never printed).
        #[arg(long)]
        secret_env: String,
        /// API key (Bybit signs it; HTX's AccessKeyId).
        #[arg(long)]
        api_key: Option<String>,
        /// Timestamp as the venue writes it (ms, s or ISO 8601).
        #[arg(long)]
        timestamp: Option<String>,
        /// HTTP method.
        #[arg(long)]
        method: Option<String>,
        /// Host (HTX).
        #[arg(long)]
        host: Option<String>,
        /// Request path.
        #[arg(long)]
        path: Option<String>,
        /// Query string without '?' (HTX: the request parameters; the signer adds its own).
        #[arg(long)]
        query: Option<String>,
        /// Request body (Gemini: the JSON payload).
        #[arg(long)]
        body: Option<String>,
        /// Receive window (Bybit).
        #[arg(long)]
        recv_window: Option<String>,
    },
    /// Decode venue frames into records, one JSON object per record on stdout.
    ///
    /// Each FILE holds one frame exactly as received; with no FILE, stdin holds text frames one
    /// per line. A frame that fails to decode is reported on stderr (with its file or line) and
    /// decoding goes on; the exit status is 2 if any frame failed.
    Decode {
        /// Venue: binance-spot, binance-usdm, okx, bybit, gateio, gemini or htx.
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
    /// Every benchmark, each in its own process, into one Markdown document with the machine
    /// description and every command line.
    All {
        /// Smoke-run counts (seconds instead of minutes; not figures to report).
        #[arg(long)]
        quick: bool,
        /// Write the document here instead of to stdout.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Simulator send -> reader latency over loopback websocket, and feeder frames per second.
    E2e {
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
        /// Seconds per measurement.
        #[arg(long, default_value_t = 5)]
        seconds: u64,
        /// Microseconds between trades for the latency run.
        #[arg(long, default_value_t = 500)]
        tick_us: u64,
        /// Venue dialects to measure, each in turn: `all`, or a comma-separated list (default:
        /// binance alone).
        #[arg(long)]
        venues: Option<String>,
    },
    /// The SDK rate limiter (in process and shared memory) against governor, and the seed.
    Limiter {
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
        /// Checks per timing round.
        #[arg(long, default_value_t = 1_000_000)]
        iters: u32,
    },
    /// Place ► ack round trip against the local simulator over HTTPS, warm and cold connection.
    Order {
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
        /// Orders per measurement.
        #[arg(long, default_value_t = 2000)]
        orders: u32,
    },
    /// Nanoseconds per request signature for every venue, beside the seed.
    Sign {
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
        /// Signatures per timing round.
        #[arg(long, default_value_t = 200_000)]
        iters: u32,
    },
    /// A venue's fast decoder against serde_json on the same frames.
    Decode {
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
        /// binance (default), okx, bybit, gateio, gemini or htx.
        #[arg(long, default_value = "binance")]
        venue: String,
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
    /// Write one ring per record family, filled with the layout test pattern
    /// (`mdbus_tools::layout::sample_record`), for readers in other languages to check.
    WriteSample {
        /// Directory for the rings (`sample.<family>`).
        #[arg(long)]
        dir: PathBuf,
        /// Records per ring.
        #[arg(long, default_value_t = 100)]
        records: u64,
        /// Ring capacity (a power of two); fewer slots than records makes an overrun to detect.
        #[arg(long, default_value_t = 128)]
        capacity: u64,
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

fn latency(
    dir: &RingDir,
    ring: &str,
    seconds: u64,
    hgrm: Option<PathBuf>,
    plot: Option<PathBuf>,
    json: bool,
) -> Result<()> {
    use mdbus_tools::{latency, stats::Summary};
    let path = ring_path(dir, ring)?;
    let total = Duration::from_secs(seconds.max(1));
    let stages = latency::measure(&path, total, &mut |elapsed, s| {
        eprint!(
            "\r{ring}: {:>3}/{}s  {} records  publish->read p50 {}   ",
            elapsed.as_secs(),
            total.as_secs(),
            s.records,
            human_ns(s.publish_to_read.value_at_quantile(0.5))
        );
    })
    .with_context(|| format!("reading {}", path.display()))?;
    eprintln!();
    let mut written = Vec::new();
    if let Some(base) = &hgrm {
        let stem = base.with_extension("");
        for (name, h) in stages.named() {
            let file = stem.with_extension(format!("{name}.hgrm"));
            std::fs::write(&file, latency::hgrm(h)).with_context(|| format!("writing {}", file.display()))?;
            written.push(file);
        }
    }
    if let Some(svg) = &plot {
        latency::svg(&stages.named(), svg, &format!("{ring}: latency by stage"))?;
        written.push(svg.clone());
    }
    if json {
        let mut v = serde_json::json!({ "ring": ring, "records": stages.records, "lost": stages.lost, "skipped_venue": stages.skipped_venue });
        for (name, h) in stages.named() {
            v[name] = Summary::of(h).to_json();
        }
        println!("{v}");
    } else {
        println!(
            "{:<20} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}",
            "stage", "count", "p50", "p90", "p99", "p99.9", "max"
        );
        for (name, h) in stages.named() {
            let s = Summary::of(h);
            println!(
                "{name:<20} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}",
                s.count,
                human_ns(s.p50),
                human_ns(s.p90),
                human_ns(s.p99),
                human_ns(s.p999),
                human_ns(s.max)
            );
        }
        println!("{} records, {} lost to overruns", stages.records, stages.lost);
        for f in written {
            println!("wrote {}", f.display());
        }
    }
    Ok(())
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
        bail!("unknown venue {venue:?}: use {}", mdbus_tools::decode::Venue::names().join(", "));
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

/// `all`, or a comma-separated list of venue names.
fn parse_venues(list: &str) -> Result<Vec<mdbus_tools::sim::SimVenue>> {
    if list == "all" {
        return Ok(demo::ALL_VENUES.to_vec());
    }
    list.split(',')
        .map(|v| {
            mdbus_tools::sim::SimVenue::parse(v.trim())
                .with_context(|| format!("unknown venue {v:?} (binance, okx, bybit, htx, gateio, gemini, or all)"))
        })
        .collect()
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let dir = RingDir::resolve(cli.dir.as_deref());
    let exe = std::env::current_exe().context("locating the mdbus binary")?;
    match cli.command {
        Cmd::Demo { venues, seconds, tick_us, keep } => {
            let venues = parse_venues(&venues)?;
            let cfg = demo::DemoConfig { seconds, tick: Duration::from_micros(tick_us.max(1)), dir, keep, venues };
            let mut out = std::io::stdout();
            let report = demo::run(&cfg, &exe, &mut out)?;
            let f = &report.feed;
            println!(
                "\nfeeder: {} frames, {} records, {} bad frames, {} reconnects, {} snapshots",
                f.conns.frames,
                f.feed.records,
                f.feed.errors,
                report.feeds.iter().map(|(_, s)| s.conns.connects.saturating_sub(1)).sum::<u64>(),
                f.snapshots
            );
            if report.feeds.len() > 1 {
                println!(
                    "{:<16} {:>10} {:>10} {:>7} {:>10} {:>10}",
                    "feed", "frames", "records", "errors", "reconnects", "snapshots"
                );
                for (name, s) in &report.feeds {
                    println!(
                        "{:<16} {:>10} {:>10} {:>7} {:>10} {:>10}",
                        name,
                        s.conns.frames,
                        s.feed.records,
                        s.feed.errors,
                        s.conns.connects.saturating_sub(1),
                        s.snapshots
                    );
                }
            }
            println!(
                "{:<14} {:>10} {:>8} {:>6} {:>8} {:>11} {:>11} {:>11} {:>13}",
                "ring", "received", "lost", "gaps", "resyncs", "e2e p50", "e2e p99", "e2e max", "publish p50"
            );
            for r in &report.readers {
                println!(
                    "{:<14} {:>10} {:>8} {:>6} {:>8} {:>11} {:>11} {:>11} {:>13}",
                    r.ring,
                    r.received,
                    r.lost,
                    r.gaps,
                    r.resyncs,
                    human_ns(r.recv_to_read.p50),
                    human_ns(r.recv_to_read.p99),
                    human_ns(r.recv_to_read.max),
                    human_ns(r.publish_to_read.p50)
                );
            }
            println!("(e2e: frame received by the feeder -> record read by the reader process)");
            let expected_readers = if report.feeds.len() > 1 { report.feeds.len() } else { 3 };
            if report.readers.len() != expected_readers || !report.accounted() {
                bail!("a reader did not account for every published record");
            }
            println!("every reader received or was told of the loss of every record");
        }
        Cmd::Sim {
            venue,
            usdm,
            tls,
            cert_out,
            port,
            symbols,
            seed,
            tick_us,
            drop_every,
            gap_every,
            dup_every,
            malformed_every,
            ping_ms,
            refuse,
            delay_us,
            reset_every,
            resnapshot_every,
            empty_snapshot_every,
            keepalive_every,
            heartbeat_ms,
            idle_cut_ms,
            max_ticks,
            record,
            seconds,
            api_key,
            api_secret_env,
            order_limit,
            order_window_ms,
            clock_skew_ms,
            order_delay_ms,
            drop_order_response_every,
            lose_order_every,
        } => {
            let Some(venue) = mdbus_tools::sim::SimVenue::parse(&venue) else {
                bail!("unknown venue {venue:?}: the simulator speaks binance, okx, bybit, htx, gateio, gemini");
            };
            let faults = mdbus_tools::sim::Faults {
                drop_every,
                gap_every,
                dup_every,
                malformed_every,
                ping_every: ping_ms.map(Duration::from_millis),
                refuse,
                delay: delay_us.map(Duration::from_micros),
                reset_every,
                resnapshot_every,
                empty_snapshot_every,
                keepalive_every,
                heartbeat_every: heartbeat_ms.map(Duration::from_millis),
                idle_cut: idle_cut_ms.map(Duration::from_millis),
            };
            let cfg = mdbus_tools::sim::SimConfig {
                addr: std::net::SocketAddr::from(([127, 0, 0, 1], port)),
                tls,
                venue,
                usdm,
                symbols: match symbols {
                    Some(list) => list.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect(),
                    None => venue.default_symbols(),
                },
                seed,
                tick: Duration::from_micros(tick_us.max(1)),
                faults,
                send_log: None,
                max_ticks,
                record,
                exchange: mdbus_tools::exchange::ExchangeConfig {
                    accounts: match (api_key, api_secret_env) {
                        (Some(api_key), Some(var)) => vec![mdbus_tools::exchange::SimAccount {
                            api_key,
                            secret: std::env::var(&var)
                                .with_context(|| format!("environment variable {var} is not set"))?,
                            passphrase: mdbus_tools::exchange::default_account().passphrase,
                        }],
                        _ => vec![mdbus_tools::exchange::default_account()],
                    },
                    order_limit,
                    order_window: Duration::from_millis(order_window_ms.max(1)),
                    clock_skew_ms,
                    order_delay: order_delay_ms.map(Duration::from_millis),
                    drop_response_every: drop_order_response_every,
                    lose_request_every: lose_order_every,
                },
            };
            let sim = mdbus_tools::sim::Sim::start(cfg).context("starting the simulator")?;
            if let (Some(path), Some(pem)) = (&cert_out, sim.cert_pem()) {
                std::fs::write(path, pem).with_context(|| format!("writing {}", path.display()))?;
            }
            let (ws, http) = if tls { ("wss", "https") } else { ("ws", "http") };
            if venue == mdbus_tools::sim::SimVenue::Binance {
                println!(
                    "simulator listening: {ws}://{0}/stream  {ws}://{0}/ws/<stream>  {http}://{0}/api/v3/depth  {http}://{0}/api/v3/order",
                    sim.addr()
                );
            } else {
                println!(
                    "{} simulator listening: {ws}://{}{}  {http}://{1}",
                    venue.name(),
                    sim.addr(),
                    venue.ws_path()
                );
            }
            let start = Instant::now();
            while seconds.is_none_or(|s| start.elapsed() < Duration::from_secs(s)) {
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        Cmd::Feed { config, seconds } => {
            let text = std::fs::read_to_string(&config).with_context(|| format!("reading {}", config.display()))?;
            let cfg = mdbus_feeder::config::FeedConfig::from_yaml(&text)?;
            let dir = match &cfg.ring_dir {
                Some(p) => RingDir::new(p),
                None => dir,
            };
            let tls = mdbus_feeder::tls::client_config(&cfg.tls.extra_roots, &[])?;
            let workers =
                mdbus_feeder::engine::build(&cfg, &dir, tls, mdbus_feeder::connection::ConnSettings::default())?;
            let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            let mut threads = Vec::new();
            for mut w in workers {
                let stop = stop.clone();
                threads.push(std::thread::spawn(move || {
                    // Connection failures, printed once a second, each once with how often it
                    // happened in that second.
                    let batch: std::cell::RefCell<Vec<(String, String, u64)>> = std::cell::RefCell::new(Vec::new());
                    let flush = || {
                        for (feed, why, n) in batch.borrow_mut().drain(..) {
                            if n > 1 {
                                eprintln!("{feed}: {why} (x{n})");
                            } else {
                                eprintln!("{feed}: {why}");
                            }
                        }
                    };
                    w.run_reporting(
                        &stop,
                        &mut |status| {
                            flush();
                            for (name, s) in status {
                                println!(
                                    "{name}: frames {} records {} errors {} connects {} failed connects {} refused {} snapshots {} relisted {} metadata errors {}",
                                    s.conns.frames,
                                    s.feed.records,
                                    s.feed.errors,
                                    s.conns.connects,
                                    s.failed_connects,
                                    s.conns.refused,
                                    s.snapshots,
                                    s.feed.relisted,
                                    s.metadata_errors
                                );
                            }
                        },
                        &mut |feed, why| {
                            let mut b = batch.borrow_mut();
                            match b.iter_mut().find(|(f, w, _)| f == feed && w == why) {
                                Some((_, _, n)) => *n += 1,
                                None => b.push((feed.to_owned(), why.to_owned(), 1)),
                            }
                        },
                    );
                    flush();
                }));
            }
            let accounts = mdbus_feeder::engine::build_accounts(
                &cfg,
                &dir,
                mdbus_feeder::tls::client_config(&cfg.tls.extra_roots, &[])?,
            )?;
            let mut account_threads = Vec::new();
            for mut a in accounts {
                let stop = stop.clone();
                account_threads.push(std::thread::spawn(move || {
                    a.run(&stop);
                    let s = a.stats();
                    println!(
                        "account {}: keys {} keep-alives {} connects {} frames {} records {} decode errors {}",
                        a.name(),
                        s.keys_created,
                        s.keepalives,
                        s.connects,
                        s.frames,
                        s.published,
                        s.decode_errors
                    );
                }));
            }
            let start = Instant::now();
            while seconds.is_none_or(|s| start.elapsed() < Duration::from_secs(s)) {
                std::thread::sleep(Duration::from_millis(100));
            }
            stop.store(true, std::sync::atomic::Ordering::SeqCst);
            for t in threads.into_iter().chain(account_threads) {
                let _ = t.join();
            }
        }
        Cmd::Sign { venue, secret_env, api_key, timestamp, method, host, path, query, body, recv_window } => {
            use mdbus_tools::sign::{SignError, SignInput, sign};
            let secret = std::env::var(&secret_env).map_err(|_| SignError::NoSecret(secret_env.clone()))?;
            let input = SignInput { api_key, timestamp, method, host, path, query, body, recv_window };
            println!("{}", sign(&venue, &secret, &input)?);
        }
        Cmd::Decode { venue, files } => {
            if decode(&venue, &files)? > 0 {
                std::process::exit(2);
            }
        }
        Cmd::Bench { which: BenchCmd::All { quick, out } } => {
            let steps = mdbus_tools::bench_all::plan(quick);
            let mut sink: Box<dyn Write> = match &out {
                Some(p) => Box::new(std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?),
                None => Box::new(std::io::stdout()),
            };
            let total = steps.len();
            let mut n = 0;
            let failed = mdbus_tools::bench_all::run(&exe, &steps, &mut sink, &mut |title| {
                n += 1;
                eprintln!("[{n}/{total}] {title}");
            })?;
            if !failed.is_empty() {
                bail!("{} benchmark(s) failed: {}", failed.len(), failed.join(", "));
            }
        }
        Cmd::Bench { which: BenchCmd::E2e { json, seconds, tick_us, venues: Some(venues) } } => {
            let bench_dir = if Path::new("/dev/shm").is_dir() {
                RingDir::new("/dev/shm/mdbus-bench")
            } else {
                RingDir::new(std::env::temp_dir().join("mdbus-bench"))
            };
            let list = parse_venues(&venues)?;
            let v = mdbus_tools::bench_e2e::run_venues(
                &bench_dir,
                seconds.max(1),
                Duration::from_micros(tick_us.max(1)),
                &list,
            )
            .map_err(anyhow::Error::msg)?;
            if json {
                println!("{v}");
            } else {
                println!(
                    "| venue | e2e p50 | e2e p99 | loopback p50 (same run) | p50 / loopback | p99 / loopback | frames/s |"
                );
                println!("|---|---|---|---|---|---|---|");
                for (name, r) in v["venues"].as_object().into_iter().flatten() {
                    println!(
                        "| {name} | {} | {} | {} | {} | {} | {} |",
                        human_ns(r["e2e_p50_ns"].as_u64().unwrap_or(0)),
                        human_ns(r["e2e_p99_ns"].as_u64().unwrap_or(0)),
                        human_ns(r["loopback_p50_ns"].as_u64().unwrap_or(0)),
                        r["e2e_p50_over_loopback"],
                        r["e2e_p99_over_loopback"],
                        r["frames_per_s"]
                    );
                }
            }
        }
        Cmd::Bench { which: BenchCmd::E2e { json, seconds, tick_us, venues: None } } => {
            let bench_dir = if Path::new("/dev/shm").is_dir() {
                RingDir::new("/dev/shm/mdbus-bench")
            } else {
                RingDir::new(std::env::temp_dir().join("mdbus-bench"))
            };
            let v = mdbus_tools::bench_e2e::run(&bench_dir, seconds.max(1), Duration::from_micros(tick_us.max(1)))
                .map_err(anyhow::Error::msg)?;
            if json {
                println!("{v}");
            } else {
                println!("| measure | p50 | p90 | p99 | p99.9 | max | samples |");
                println!("|---|---|---|---|---|---|---|");
                println!(
                    "| simulator send -> reader | {} | {} | {} | {} | {} | {} |",
                    human_ns(v["e2e_p50_ns"].as_u64().unwrap_or(0)),
                    human_ns(v["e2e_p90_ns"].as_u64().unwrap_or(0)),
                    human_ns(v["e2e_p99_ns"].as_u64().unwrap_or(0)),
                    human_ns(v["e2e_p999_ns"].as_u64().unwrap_or(0)),
                    human_ns(v["e2e_max_ns"].as_u64().unwrap_or(0)),
                    v["e2e_samples"]
                );
                println!(
                    "| loopback TCP one-way (same run) | {} | | {} | | | |",
                    human_ns(v["loopback_p50_ns"].as_u64().unwrap_or(0)),
                    human_ns(v["loopback_p99_ns"].as_u64().unwrap_or(0))
                );
                println!(
                    "\ne2e / loopback: p50 {} x, p99 {} x",
                    v["e2e_p50_over_loopback"], v["e2e_p99_over_loopback"]
                );
                println!("feeder frames per second (one busy-polling thread): {}", v["frames_per_s"]);
            }
        }
        Cmd::Bench { which: BenchCmd::Limiter { json, iters } } => {
            let bench_dir = std::env::temp_dir().join(format!("mdbus-bench-limiter-{}", std::process::id()));
            let v = mdbus_tools::bench_limiter::run(&bench_dir, iters).map_err(anyhow::Error::msg)?;
            if json {
                println!("{v}");
            } else {
                println!("| check | ns | ratio |");
                println!("|---|---|---|");
                println!("| governor, one quota | {} | 1 |", v["governor_ns"]);
                println!(
                    "| mdbus limiter, one token-bucket rule (same quota) | {} | {} × governor |",
                    v["limiter_single_ns"], v["single_over_governor"]
                );
                println!(
                    "| mdbus limiter, README rules, GET /api/v3/ticker | {} | {} × governor |",
                    v["limiter_ns"], v["limiter_over_governor"]
                );
                println!(
                    "| mdbus shared-memory limiter, same | {} | {} × governor |",
                    v["shared_limiter_ns"], v["shared_over_governor"]
                );
                println!("| governor, two quotas | {} | 1 |", v["governor_two_ns"]);
                println!(
                    "| mdbus limiter, both rules match | {} | {} × governor two |",
                    v["limiter_order_ns"], v["order_over_governor_two"]
                );
                println!("| mdbus limiter, refused and rolled back | {} | |", v["limiter_denied_ns"]);
                println!("| clock read (wall clock) | {} | |", v["clock_read_ns"]);
                println!();
                println!(
                    "seed (Python) / mdbus: B1 {}x, B2 {}x, B3 {}x, B4 {}x",
                    v["seed_b1_over_limiter"],
                    v["seed_b2_over_limiter"],
                    v["seed_b3_over_order"],
                    v["seed_b4_over_denied"]
                );
            }
        }
        Cmd::Bench { which: BenchCmd::Order { json, orders } } => {
            let v = mdbus_tools::bench_order::run(orders).map_err(anyhow::Error::msg)?;
            if json {
                println!("{v}");
            } else {
                println!("| connection | place ► ack p50 | p99 |");
                println!("|---|---|---|");
                println!("| warm keep-alive | {} µs | {} µs |", v["warm_p50_us"], v["warm_p99_us"]);
                println!("| cold (TCP + TLS per order) | {} µs | {} µs |", v["cold_p50_us"], v["cold_p99_us"]);
                println!();
                println!("cold / warm at p50: {}x", v["cold_over_warm_p50"]);
            }
        }
        Cmd::Bench { which: BenchCmd::Sign { json, iters } } => {
            let v = mdbus_tools::bench_sign::run(iters);
            if json {
                println!("{v}");
            } else {
                println!("| venue | ns per signature |");
                println!("|---|---|");
                for k in ["binance", "binance_request", "okx", "bybit", "gateio", "htx", "gemini"] {
                    println!("| {k} | {} |", v[format!("{k}_ns")]);
                }
                println!();
                println!(
                    "seed (Python) / mdbus: HMAC hex {}x, Binance request prelude {}x, OKX base64 {}x",
                    v["seed_b9_over_binance"], v["seed_b10_over_binance_request"], v["seed_b11_over_okx"]
                );
            }
        }
        Cmd::Bench { which: BenchCmd::Decode { json, iters, venue } } if venue != "binance" => {
            let v = mdbus_tools::bench_decode_venues::run(&venue, iters).map_err(anyhow::Error::msg)?;
            if json {
                println!("{v}");
            } else {
                println!("| {venue} frame | bytes | fast ns | serde_json ns | serde_json / fast |");
                println!("|---|---|---|---|---|");
                for name in v["frames"].as_array().into_iter().flatten().filter_map(|n| n.as_str()) {
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
        Cmd::Bench { which: BenchCmd::Decode { json, iters, .. } } => {
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
        Cmd::Health { max_heartbeat_age, max_resync, json } => {
            let bounds = mdbus_tools::health::Bounds {
                max_heartbeat_age: Duration::from_secs_f64(max_heartbeat_age.max(0.0)),
                max_resync: Duration::from_secs_f64(max_resync.max(0.0)),
            };
            let problems = mdbus_tools::health::problems(&dir, bounds);
            if json {
                println!("{}", mdbus_tools::health::to_json(&problems));
            } else {
                for p in &problems {
                    println!("{p}");
                }
            }
            if !problems.is_empty() {
                std::process::exit(1);
            }
        }
        Cmd::Book { json, depth, watch, feed, symbol } => loop {
            let books = mdbus_tools::book::collect(&dir, feed.as_deref(), symbol.as_deref())?;
            if books.is_empty() && !watch {
                bail!("no book tables in {} (feeds with the depth channel keep one)", dir.path().display());
            }
            let mut text = String::new();
            for (f, inst, c) in &books {
                if json {
                    text.push_str(&mdbus_tools::book::to_json(f, inst, c, depth).to_string());
                    text.push('\n');
                } else {
                    text.push_str(&mdbus_tools::book::to_text(f, inst, c, depth));
                }
            }
            if watch {
                print!("\x1b[2J\x1b[H{text}");
                std::io::stdout().flush()?;
                std::thread::sleep(Duration::from_secs(1));
                continue;
            }
            print!("{text}");
            break;
        },
        Cmd::Ls { json, watch, rate_ms } => loop {
            let before = dir.list()?;
            let t0 = Instant::now();
            std::thread::sleep(Duration::from_millis(if watch { 1000 } else { rate_ms }));
            let entries = dir.list()?;
            let rates = listing::rates(&before, &entries, t0.elapsed());
            if watch {
                // Clear the screen and home the cursor, then redraw.
                print!("\x1b[2J\x1b[H{}", listing::to_table_with_rates(&entries, &rates));
                std::io::stdout().flush()?;
                continue;
            }
            if json {
                println!("{}", listing::to_json_with_rates(&entries, &rates));
            } else {
                print!("{}", listing::to_table_with_rates(&entries, &rates));
            }
            break;
        },
        Cmd::Stat { ring, seconds, from, until_caught_up, json } => {
            let path = ring_path(&dir, &ring)?;
            let start = match from {
                From::Head => Start::Head,
                From::Oldest => Start::Oldest,
            };
            let s = mdbus_tools::stat::collect(&path, start, Duration::from_secs(seconds.max(1)), until_caught_up)
                .with_context(|| format!("reading {}", path.display()))?;
            let table = RingDir::new(path.parent().unwrap_or(Path::new(".")))
                .load_instruments()
                .ok()
                .flatten()
                .and_then(Result::ok);
            if json {
                println!("{}", s.to_json(table.as_ref()));
            } else {
                print!("{}", s.to_table(table.as_ref()));
            }
        }
        Cmd::Tail { ring, json, from, count, idle_exit_ms } => tail(&dir, &ring, json, from, count, idle_exit_ms)?,
        Cmd::Latency { ring, seconds, hgrm, plot, json } => latency(&dir, &ring, seconds, hgrm, plot, json)?,
        Cmd::Layout => println!("{:#}", mdbus_tools::layout::to_json()),
        Cmd::Rest { key, op, symbol, rest_url, limit, interval } => {
            let q = mdbus_tools::rest::Query { key, op, symbol, rest_url, limit, interval };
            for v in mdbus_tools::rest::query(&q)? {
                println!("{v}");
            }
        }
        Cmd::Record { ring, file, seconds, from, until_caught_up } => {
            let path = ring_path(&dir, &ring)?;
            let start = match from {
                From::Head => Start::Head,
                From::Oldest => Start::Oldest,
            };
            let r = mdbus_tools::replay::record(
                &path,
                &file,
                start,
                Duration::from_secs(seconds.max(1)),
                until_caught_up,
                &mut |n| eprint!("\rrecording {ring}: {n} records   "),
            )?;
            eprintln!();
            println!("recorded {} records of {ring} into {}", r.records, file.display());
            if r.lost > 0 {
                println!(
                    "lost {} records: the writer lapped the recorder (gap markers with the count are in the capture)",
                    r.lost
                );
            }
        }
        Cmd::Replay { file, name, speed, max, capacity, verify } => {
            let cap = mdbus_feeder::capture::read(&file).with_context(|| format!("reading {}", file.display()))?;
            if let Some(d) = &cap.damage {
                eprintln!("{}: {d}; replaying the {} valid entries before it", file.display(), cap.entries.len());
            }
            let name = name.unwrap_or_else(|| format!("{}-replay", cap.meta.feed));
            let speed = if max { mdbus_tools::replay::Speed::Max } else { mdbus_tools::replay::Speed::Times(speed) };
            let stats = mdbus_tools::replay::replay(&cap, &dir, &name, capacity, speed, &mut |done, total| {
                let pct = (done * 100).checked_div(total).unwrap_or(100);
                let bar = "=".repeat((pct / 5) as usize);
                eprint!("\r[{bar:<20}] {pct:>3}% {done}/{total}");
            })?;
            eprintln!();
            println!(
                "replayed {} entries into {}.* ({} frames failed, as they did live)",
                stats.entries, name, stats.errors
            );
            if verify {
                let v = mdbus_tools::replay::verify(&cap, &dir, &name)?;
                if !v.mismatches.is_empty() {
                    bail!("replay differs from the recording: {}", v.mismatches.join("; "));
                }
                println!("verified: {} records identical to the recording", v.compared);
            }
            if cap.damage.is_some() {
                std::process::exit(2);
            }
        }
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
        Cmd::Internal { which: InternalCmd::WriteSample { dir, records, capacity } } => {
            let rd = RingDir::new(&dir);
            for (kind, _) in mdbus_schemas::FAMILIES {
                let name = format!("sample.{}", kind.name().unwrap_or("unknown"));
                let mut w = rd.writer(&name, kind, &mdbus_bus::RingOptions::default().capacity(capacity))?;
                for i in 0..records {
                    let rec = mdbus_tools::layout::sample_record(kind, i).context("a family without a size")?;
                    w.publish_bytes(&rec)?;
                }
            }
        }
        #[cfg(feature = "iceoryx2")]
        Cmd::Internal { which: InternalCmd::IoxReader { name, core, warmup, ns_per_tick, capacity, lossless } } => {
            mdbus_tools::bench_iox::reader(&name, core, warmup, ns_per_tick, capacity, lossless)?
        }
    }
    Ok(())
}
