//! `mdbus demo`: the whole path on loopback: the venue simulators, a pinned feeder, reader
//! processes printing live rates and end-to-end latency; stops by itself.

use super::prelude::*;

/// Its arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Venues to simulate and carry: `all`, or a comma-separated list of binance, okx,
    /// bybit, htx, gateio, gemini.
    #[arg(long, default_value = mdbus_venues::DEFAULT_NAME)]
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
    /// Serve Prometheus metrics at http://ADDR/metrics while the demo runs.
    #[arg(long)]
    metrics: Option<std::net::SocketAddr>,
    /// How the reader processes wait: `spin` (spin, then yield the core, never sleeping) or
    /// `block` (a short spin, then asleep on the ring's doorbell).
    #[arg(long, default_value = "spin")]
    reader_wait: demo::ReaderWait,
}

impl Args {
    /// Runs the command.
    pub(crate) fn run(self, ctx: Ctx) -> Result<()> {
        let Args { venues, seconds, tick_us, keep, metrics, reader_wait } = self;
        let Ctx { dir, exe, .. } = ctx;
        {
            let venues = parse_venues(&venues)?;
            let tick = Duration::from_micros(tick_us.max(1));
            let cfg = demo::DemoConfig { seconds, tick, dir, keep, venues, metrics, reader_wait };
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
        Ok(())
    }
}
