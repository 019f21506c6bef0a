//! `mdbus internal`: helper processes started by `demo` and `bench`.

use super::prelude::*;

/// Its subcommands.
#[derive(Debug, clap::Subcommand)]
#[allow(clippy::enum_variant_names)] // the variants are the helper processes: each one is a reader
pub(crate) enum InternalCmd {
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
    /// Take budget `count` times from the shared limiter at `path` (one sliding window of
    /// `limit` per `interval_ms`); print how many were granted.
    LimiterTake {
        /// The limiter's shared file.
        #[arg(long)]
        path: PathBuf,
        /// The rule's name.
        #[arg(long, default_value = "shared")]
        name: String,
        /// Requests per window.
        #[arg(long)]
        limit: u64,
        /// The window, in milliseconds.
        #[arg(long)]
        interval_ms: u64,
        /// Requests to try.
        #[arg(long)]
        count: u64,
    },
    DemoReader {
        #[arg(long)]
        path: PathBuf,
        #[arg(long)]
        id: usize,
        #[arg(long, default_value = "spin")]
        wait: demo::ReaderWait,
    },
    #[cfg(feature = "aeron")]
    UdpEcho {
        #[arg(long)]
        bind: String,
    },
    #[cfg(feature = "aeron")]
    UdpPing {
        #[arg(long)]
        to: String,
        #[command(flatten)]
        paced: Paced,
    },
    #[cfg(feature = "aeron")]
    AeronPong {
        #[arg(long)]
        ping: String,
        #[arg(long)]
        pong: String,
        #[arg(long)]
        wait: String,
    },
    #[cfg(feature = "aeron")]
    AeronPing {
        #[arg(long)]
        ping: String,
        #[arg(long)]
        pong: String,
        #[arg(long)]
        wait: String,
        #[command(flatten)]
        paced: Paced,
    },
    #[cfg(feature = "aeron")]
    BridgeWriter {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long)]
        ring: String,
        #[arg(long)]
        count: u64,
        #[arg(long)]
        period_us: u64,
    },
    #[cfg(feature = "aeron")]
    BridgeReader {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long)]
        ring: String,
        #[arg(long)]
        count: u64,
        #[arg(long)]
        warmup: u64,
        #[arg(long)]
        wait: String,
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

/// A paced latency run of a benchmark helper.
#[cfg(feature = "aeron")]
#[derive(Debug, clap::Args)]
pub(crate) struct Paced {
    /// Messages in all.
    #[arg(long)]
    count: u64,
    /// Messages not measured first.
    #[arg(long)]
    warmup: u64,
    /// Microseconds between messages.
    #[arg(long)]
    period_us: u64,
}

impl InternalCmd {
    /// Runs the subcommand.
    pub(crate) fn run(self, _ctx: Ctx) -> Result<()> {
        match self {
            InternalCmd::RingReader { path, core, until, measure_from, ns_per_tick } => {
                bench::ring_reader(&bench::ReaderArgs { path, core, until, measure_from, ns_per_tick })?;
            }
            InternalCmd::DemoReader { path, id, wait } => {
                demo::reader(&path, id, wait)?;
            }
            InternalCmd::LimiterTake { path, name, limit, interval_ms, count } => {
                use mdbus_sdk::rate_limit::{Limiter, Request, Rule};
                let rule = Rule::sliding_window(name, limit, Duration::from_millis(interval_ms));
                let limiter = Limiter::shared(&path, [rule]).map_err(|e| anyhow::anyhow!("limiter: {e}"))?;
                let mut granted = 0;
                for _ in 0..count {
                    if limiter.try_acquire(&Request::new("GET", "/")).map_err(|e| anyhow::anyhow!("{e}"))?.is_granted()
                    {
                        granted += 1;
                    }
                }
                println!("{granted}");
            }
            InternalCmd::WriteSample { dir, records, capacity } => {
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
            #[cfg(feature = "aeron")]
            InternalCmd::UdpEcho { bind } => mdbus_tools::bench_bridge::udp_echo(&bind)?,
            #[cfg(feature = "aeron")]
            InternalCmd::UdpPing { to, paced: Paced { count, warmup, period_us } } => {
                mdbus_tools::bench_bridge::udp_ping(&to, count, warmup, period_us)?
            }
            #[cfg(feature = "aeron")]
            InternalCmd::AeronPong { ping, pong, wait } => mdbus_tools::bench_bridge::aeron_pong(&ping, &pong, &wait)?,
            #[cfg(feature = "aeron")]
            InternalCmd::AeronPing { ping, pong, wait, paced: Paced { count, warmup, period_us } } => {
                mdbus_tools::bench_bridge::aeron_ping(&ping, &pong, &wait, count, warmup, period_us)?
            }
            #[cfg(feature = "aeron")]
            InternalCmd::BridgeWriter { dir, ring, count, period_us } => {
                mdbus_tools::bench_bridge::bridge_writer(&dir, &ring, count, period_us)?
            }
            #[cfg(feature = "aeron")]
            InternalCmd::BridgeReader { dir, ring, count, warmup, wait } => {
                mdbus_tools::bench_bridge::bridge_reader(&dir, &ring, count, warmup, &wait)?
            }
            #[cfg(feature = "iceoryx2")]
            InternalCmd::IoxReader { name, core, warmup, ns_per_tick, capacity, lossless } => {
                mdbus_tools::bench_iox::reader(&name, core, warmup, ns_per_tick, capacity, lossless)?
            }
        }
        Ok(())
    }
}
