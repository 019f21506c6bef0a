//! `mdbus bridge out|in`: rings beyond one host, over Aeron (feature `aeron`).

use super::prelude::*;

/// Which end of the bridge.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum BridgeCmd {
    /// Read the rings of `--dir` and publish each on the channel as its own stream, from its
    /// oldest record on, with the instrument table.
    Out(OutArgs),
    /// Receive from the channel and write rings of the same names into `--dir`: each record
    /// bit for bit at its sequence number, records lost on the way as counted gap markers.
    In(InArgs),
}

/// What both ends take.
#[derive(Debug, clap::Args)]
pub(crate) struct Common {
    /// Aeron channel URI, the same at both ends: `aeron:udp?endpoint=HOST:PORT` names the
    /// receiving host (unicast), `aeron:udp?endpoint=GROUP:PORT|interface=IP` a multicast group.
    #[arg(long)]
    channel: String,
    /// Use the media driver running in this directory instead of one inside this process.
    #[arg(long)]
    aeron_dir: Option<PathBuf>,
    /// Stop after this many seconds (default: run until interrupted).
    #[arg(long)]
    seconds: Option<u64>,
    /// Print each ring's counts as one JSON line per ring, every second, on stdout.
    #[arg(long)]
    status_json: bool,
    /// How the bridge (and its embedded media driver) waits for work: `backoff` (spin, yield,
    /// then sleep: kind to a busy host), `yield` (wakes in microseconds), `spin` (a core each).
    #[arg(long, value_enum, default_value_t = Wait::Backoff)]
    wait: Wait,
}

/// `--wait`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum Wait {
    /// Spin, yield, then sleep.
    Backoff,
    /// Yield the core between tries.
    Yield,
    /// Busy-spin.
    Spin,
}

/// `mdbus bridge out`.
#[derive(Debug, clap::Args)]
pub(crate) struct OutArgs {
    #[command(flatten)]
    common: Common,
    /// Which rings, as a shell pattern over their names (`demo.*`, `*.book`).
    #[arg(long, default_value = "*")]
    rings: String,
}

/// `mdbus bridge in`.
#[derive(Debug, clap::Args)]
pub(crate) struct InArgs {
    #[command(flatten)]
    common: Common,
}

impl BridgeCmd {
    /// Runs the command.
    pub(crate) fn run(self, ctx: Ctx) -> Result<()> {
        imp::run(self, ctx)
    }
}

#[cfg(not(feature = "aeron"))]
mod imp {
    use super::*;

    pub(super) fn run(_cmd: BridgeCmd, _ctx: Ctx) -> Result<()> {
        bail!(
            "this mdbus was built without the bridge: build it with `--features aeron` \
             (needs CMake >= 3.30 and libclang; see the README, \"Beyond one host\")"
        )
    }
}

#[cfg(feature = "aeron")]
mod imp {
    use std::sync::{Arc, atomic::AtomicBool};

    use mdbus_bridge::transport::{self, DriverChoice, InConfig, OutConfig, Waiting};
    use serde_json::json;

    use super::*;

    /// A flag set by SIGINT or SIGTERM, or after `seconds`.
    fn stop_flag(seconds: Option<u64>) -> Result<Arc<AtomicBool>> {
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        ctrlc::set_handler(move || s.store(true, std::sync::atomic::Ordering::Relaxed))
            .context("installing the SIGINT/SIGTERM handler")?;
        if let Some(secs) = seconds {
            let s = stop.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_secs(secs));
                s.store(true, std::sync::atomic::Ordering::Relaxed);
            });
        }
        Ok(stop)
    }

    fn driver(c: &Common) -> DriverChoice {
        c.aeron_dir.clone().map_or(DriverChoice::Embedded, DriverChoice::External)
    }

    fn waiting(c: &Common) -> Waiting {
        match c.wait {
            Wait::Backoff => Waiting::Backoff,
            Wait::Yield => Waiting::Yield,
            Wait::Spin => Waiting::Spin,
        }
    }

    /// Prints one status line per ring on stdout.
    fn status(lines: impl Iterator<Item = serde_json::Value>) {
        let mut out = std::io::stdout().lock();
        for line in lines {
            let _ = writeln!(out, "{line}");
        }
        let _ = out.flush();
    }

    pub(super) fn run(cmd: BridgeCmd, ctx: Ctx) -> Result<()> {
        match cmd {
            BridgeCmd::Out(a) => {
                let stop = stop_flag(a.common.seconds)?;
                let cfg = OutConfig {
                    dir: ctx.dir,
                    channel: a.common.channel.clone(),
                    rings: a.rings,
                    driver: driver(&a.common),
                    waiting: waiting(&a.common),
                };
                let json = a.common.status_json;
                transport::run_out(&cfg, &stop, |rings| {
                    if json {
                        status(
                            rings
                                .iter()
                                .map(|r| json!({ "ring": r.ring, "sent": r.sent, "lost": r.lost, "lag": r.lag })),
                        );
                    }
                })?;
            }
            BridgeCmd::In(a) => {
                let stop = stop_flag(a.common.seconds)?;
                let cfg = InConfig {
                    dir: ctx.dir,
                    channel: a.common.channel.clone(),
                    driver: driver(&a.common),
                    waiting: waiting(&a.common),
                };
                let json = a.common.status_json;
                transport::run_in(&cfg, &stop, |rings| {
                    if json {
                        status(rings.iter().map(|r| {
                            let s = r.stats;
                            json!({
                                "ring": r.ring, "head": r.head, "received": s.received, "missed": s.missed,
                                "gaps": s.gaps, "duplicates": s.duplicates, "malformed": s.malformed,
                            })
                        }));
                    }
                })?;
            }
        }
        Ok(())
    }
}
