//! `mdbus feed`: run the feeder: connect to the configured venues (or the simulator) and publish.

use super::prelude::*;

/// Its arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// YAML configuration (see config/).
    #[arg(long)]
    config: PathBuf,
    /// Stop after this many seconds (default: run until killed).
    #[arg(long)]
    seconds: Option<u64>,
    /// Serve Prometheus metrics at http://ADDR/metrics (e.g. 127.0.0.1:9100).
    #[arg(long)]
    metrics: Option<std::net::SocketAddr>,
}

impl Args {
    /// Runs the command.
    pub(crate) fn run(self, ctx: Ctx) -> Result<()> {
        let Args { config, seconds, metrics } = self;
        let Ctx { dir, .. } = ctx;
        {
            let text = std::fs::read_to_string(&config).with_context(|| format!("reading {}", config.display()))?;
            let cfg = mdbus_feeder::config::FeedConfig::from_yaml(&text, mdbus_venues::ALL)?;
            for w in cfg.warnings() {
                tracing::warn!(field = %w.path, "configuration: {}", w.message);
            }
            let dir = match &cfg.ring_dir {
                Some(p) => RingDir::new(p),
                None => dir,
            };
            let tls = mdbus_feeder::tls::client_config(&cfg.tls.extra_roots, &[])?;
            let mut workers = mdbus_feeder::engine::build(
                &cfg,
                mdbus_venues::ALL,
                &dir,
                tls,
                mdbus_feeder::connection::ConnSettings::default(),
            )?;
            let server = match metrics {
                Some(addr) => {
                    let s = mdbus_tools::metrics::MetricsServer::start(addr, dir.clone())?;
                    tracing::info!(addr = %s.addr(), "metrics on http://{}/metrics", s.addr());
                    for w in &mut workers {
                        w.set_reports(s.reports());
                    }
                    Some(s)
                }
                None => None,
            };
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
                                    tracing::warn!(feed = %feed, count = n, "{why}");
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
                mdbus_venues::ALL,
                &dir,
                mdbus_feeder::tls::client_config(&cfg.tls.extra_roots, &[])?,
            )?;
            let mut account_threads = Vec::new();
            for mut a in accounts {
                if let Some(s) = &server {
                    a.set_reports(s.account_reports());
                }
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
            drop(server);
        }
        Ok(())
    }
}
