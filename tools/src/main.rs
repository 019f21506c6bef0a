//! `mdbus`: run the demo, the simulator and the feeder; list, tail and measure rings; replay
//! captures; benchmark the bus. Each command lives in its own module under `cmd/`.

mod cmd;

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use mdbus_bus::RingDir;

/// mdbus: a low-latency shared-memory market-data bus.
#[derive(Debug, Parser)]
#[command(name = "mdbus", version, about)]
struct Cli {
    /// Ring directory (default: $MDBUS_DIR, else /dev/shm/mdbus).
    #[arg(long, global = true)]
    dir: Option<PathBuf>,
    /// Logs (stderr) as one JSON object per line instead of text.
    #[arg(long, global = true)]
    log_json: bool,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// The whole path on loopback: the venue simulators, a pinned feeder, reader processes
    /// printing live rates and end-to-end latency; stops by itself.
    Demo(cmd::demo::Args),
    /// Run the built-in venue simulator on loopback.
    Sim(cmd::sim::Args),
    /// Run the feeder: connect to the configured venues (or the simulator) and publish.
    Feed(cmd::feed::Args),
    /// Exit 0 when every ring's writer is alive and fresh and no book has been out of sync for
    /// longer than a bound; otherwise exit 1 with one line per problem (for systemd,
    /// Kubernetes probes, cron).
    Health(cmd::health::Args),
    /// The latest book of every instrument, from the feeds' book tables (no replay): all
    /// feeds, one feed, or one symbol of it.
    Book(cmd::book::Args),
    /// List the rings in the ring directory: kind, size, head, writer alive or dead, heartbeat
    /// age, and records per second.
    Ls(cmd::ls::Args),
    /// What a ring carried over a window, per instrument: records and rate, gaps, resyncs,
    /// crossed books, the last gap and resync; connects, disconnects and losses.
    Stat(cmd::stat::Args),
    /// Print the records of a ring as they arrive.
    Tail(cmd::tail::Args),
    /// Per-stage latency of a ring's records (venue ► receive, receive ► publish, publish ►
    /// read) as percentiles; optionally saved as .hgrm files and drawn as an SVG plot.
    Latency(cmd::latency::Args),
    /// Record a ring's records into a capture file (a feeder records frames too: `record:` in
    /// its configuration).
    Record(cmd::record::Args),
    /// Play a capture file back into rings: a feeder's capture runs its frames through the same
    /// decoders; a ring's capture is republished as it is.
    Replay(cmd::replay::Args),
    /// Print the record layout (schema version, layout hash, every family's fields) as JSON, for
    /// readers in other languages.
    Layout(cmd::layout::Args),
    /// Ask a venue's REST market data through the venue feed protocol: `instruments`, or
    /// `ticker`, `depth`, `trades`, `klines` of a symbol, as JSON lines (records in the form
    /// `tail --json` prints).
    Rest(cmd::rest::Args),
    /// Print one request signature exactly as the venue expects it (and nothing else).
    Sign(cmd::sign::Args),
    /// Decode venue frames into records, one JSON object per record on stdout.
    ///
    /// Each FILE holds one frame exactly as received; with no FILE, stdin holds text frames one
    /// per line. A frame that fails to decode is reported on stderr (with its file or line) and
    /// decoding goes on; the exit status is 2 if any frame failed.
    Decode(cmd::decode::Args),
    /// Rings beyond one host, over Aeron: `bridge out` on the sending host, `bridge in` on
    /// the receiving one (needs a build with `--features aeron`).
    Bridge {
        #[command(subcommand)]
        which: cmd::bridge::BridgeCmd,
    },
    /// Run a benchmark.
    Bench {
        #[command(subcommand)]
        which: cmd::bench::BenchCmd,
    },
    /// Helper processes started by `demo` and `bench`.
    #[command(hide = true)]
    Internal {
        #[command(subcommand)]
        which: cmd::internal::InternalCmd,
    },
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let tty = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let logs = tracing_subscriber::fmt().with_writer(std::io::stderr).with_target(false).with_ansi(tty);
    if cli.log_json {
        logs.json().init();
    } else {
        logs.init();
    }
    let ctx = cmd::Ctx {
        dir: RingDir::resolve(cli.dir.as_deref()),
        exe: std::env::current_exe().context("locating the mdbus binary")?,
    };
    match cli.command {
        Cmd::Demo(a) => a.run(ctx),
        Cmd::Sim(a) => a.run(ctx),
        Cmd::Feed(a) => a.run(ctx),
        Cmd::Health(a) => a.run(ctx),
        Cmd::Book(a) => a.run(ctx),
        Cmd::Ls(a) => a.run(ctx),
        Cmd::Stat(a) => a.run(ctx),
        Cmd::Tail(a) => a.run(ctx),
        Cmd::Latency(a) => a.run(ctx),
        Cmd::Record(a) => a.run(ctx),
        Cmd::Replay(a) => a.run(ctx),
        Cmd::Layout(a) => a.run(ctx),
        Cmd::Rest(a) => a.run(ctx),
        Cmd::Sign(a) => a.run(ctx),
        Cmd::Decode(a) => a.run(ctx),
        Cmd::Bridge { which } => which.run(ctx),
        Cmd::Bench { which } => which.run(ctx),
        Cmd::Internal { which } => which.run(ctx),
    }
}
