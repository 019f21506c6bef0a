//! `mdbus bench`: run a benchmark.

use super::prelude::*;

/// Its subcommands.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum BenchCmd {
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
    /// Publish ► read latency of a subscriber with each idle strategy (busy-spin, spin-then-yield,
    /// spin-then-park), with the cores free and with as many busy threads as cores.
    Idle {
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
        /// Seconds per measurement.
        #[arg(long, default_value_t = 2.0)]
        seconds: f64,
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
        /// The venue (`mdbus_venues::bench::DECODE`; the first is the default).
        #[arg(long, default_value = mdbus_venues::bench::DECODE[0])]
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
    /// The bridge's one-way latency and throughput on loopback and (as root) across a veth
    /// pair between two network namespaces, beside Aeron's ping and the UDP round trip ÷ 2
    /// (needs a build with `--features aeron`).
    Bridge {
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
        /// Measured latency samples per transport.
        #[arg(long, default_value_t = 20_000)]
        samples: u64,
        /// Warm-up samples.
        #[arg(long, default_value_t = 2_000)]
        warmup: u64,
        /// Microseconds between records (and pings) in the latency runs.
        #[arg(long, default_value_t = 100)]
        period_us: u64,
        /// Records in the throughput run.
        #[arg(long, default_value_t = 500_000)]
        records: u64,
        /// Loopback only, even as root.
        #[arg(long)]
        no_veth: bool,
        /// How the bridge, Aeron's ping and pong, and their media drivers wait: `backoff`,
        /// `yield` or `spin`.
        #[arg(long, default_value = "yield")]
        wait: String,
    },
}

impl BenchCmd {
    /// Runs the subcommand.
    pub(crate) fn run(self, ctx: Ctx) -> Result<()> {
        let Ctx { exe, .. } = ctx;
        match self {
            BenchCmd::All { quick, out } => {
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
            BenchCmd::E2e { json, seconds, tick_us, venues: Some(venues) } => {
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
            BenchCmd::E2e { json, seconds, tick_us, venues: None } => {
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
            BenchCmd::Bridge { json, samples, warmup, period_us, records, no_veth, wait } => {
                bridge_bench(&exe, json, (samples, warmup, period_us, records), no_veth, wait)?;
            }
            BenchCmd::Idle { json, seconds } => {
                let v = mdbus_tools::bench_idle::run(seconds).map_err(anyhow::Error::msg)?;
                if json {
                    println!("{v}");
                } else {
                    println!("| strategy | free p50 | free p99 | loaded p50 | loaded p99 |");
                    println!("|---|---|---|---|---|");
                    for (name, _) in mdbus_tools::bench_idle::strategies() {
                        let f = |k: &str| human_ns(v[format!("{name}_{k}_ns")].as_u64().unwrap_or(0));
                        println!(
                            "| {name} | {} | {} | {} | {} |",
                            f("free_p50"),
                            f("free_p99"),
                            f("loaded_p50"),
                            f("loaded_p99")
                        );
                    }
                    println!("({} cores; loaded: as many busy threads as cores)", v["cores"]);
                }
            }
            BenchCmd::Limiter { json, iters } => {
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
            BenchCmd::Order { json, orders } => {
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
            BenchCmd::Sign { json, iters } => {
                let v = mdbus_venues::bench::sign::run(iters);
                if json {
                    println!("{v}");
                } else {
                    println!("| venue | ns per signature |");
                    println!("|---|---|");
                    for k in v["rows"].as_array().into_iter().flatten().filter_map(|k| k.as_str()) {
                        println!("| {k} | {} |", v[format!("{k}_ns")]);
                    }
                    println!();
                    let seed: Vec<String> = v
                        .as_object()
                        .into_iter()
                        .flatten()
                        .filter(|(k, _)| k.starts_with("seed_") && k.contains("_over_"))
                        .map(|(k, x)| format!("{k} {x}x"))
                        .collect();
                    println!("seed (Python) / mdbus: {}", seed.join(", "));
                }
            }
            BenchCmd::Decode { json, iters, venue } => {
                let v = mdbus_venues::bench::decode(&venue, iters).map_err(anyhow::Error::msg)?;
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
            BenchCmd::Ring { json, samples, warmup, period_ns, records, capacity, writer_core, reader_core } => {
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
        }
        Ok(())
    }
}

#[cfg(feature = "aeron")]
fn bridge_bench(
    exe: &Path,
    json: bool,
    (samples, warmup, period_us, records): (u64, u64, u64, u64),
    no_veth: bool,
    wait: String,
) -> Result<()> {
    use mdbus_tools::bench_bridge;
    bench_bridge::waiting(&wait)?;
    let root = std::process::Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    let base = if Path::new("/dev/shm").is_dir() { PathBuf::from("/dev/shm") } else { std::env::temp_dir() };
    let cfg = bench_bridge::BridgeBenchConfig {
        samples,
        warmup,
        period_us,
        records,
        veth: root && !no_veth,
        dir: base.join(format!("mdbus-bench-bridge-{}", std::process::id())),
        wait,
    };
    if !cfg.veth && !no_veth {
        eprintln!("not root: loopback only");
    }
    let figures = bench_bridge::run(&cfg, exe)?;
    let _ = std::fs::remove_dir_all(&cfg.dir);
    if json {
        println!("{}", bench_bridge::to_json(&figures));
    } else {
        print!("{}", bench_bridge::to_markdown(&figures));
    }
    Ok(())
}

#[cfg(not(feature = "aeron"))]
fn bridge_bench(_: &Path, _: bool, _: (u64, u64, u64, u64), _: bool, _: String) -> Result<()> {
    bail!(
        "this mdbus was built without the bridge: build it with `--features aeron` (see the README, \"Beyond one host\")"
    )
}
