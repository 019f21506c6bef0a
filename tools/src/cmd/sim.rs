//! `mdbus sim`: run the built-in venue simulator on loopback.

use super::prelude::*;

/// Its arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Venue dialect: binance, okx, bybit, htx, gateio, gemini.
    #[arg(long, default_value = mdbus_venues::DEFAULT_NAME)]
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
}

impl Args {
    /// Runs the command.
    pub(crate) fn run(self, _ctx: Ctx) -> Result<()> {
        let Args {
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
        } = self;
        {
            let Some(venue) = mdbus_venues::SIM.parse(&venue) else {
                bail!("unknown venue {venue:?}: the simulator speaks {}", mdbus_venues::SIM.names().join(", "));
            };
            let faults = mdbus_sim::Faults {
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
            let cfg = mdbus_sim::SimConfig {
                addr: std::net::SocketAddr::from(([127, 0, 0, 1], port)),
                tls,
                venue,
                venues: mdbus_venues::SIM,
                usdm,
                symbols: match symbols {
                    Some(list) => list.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect(),
                    None => venue.symbols(),
                },
                seed,
                tick: Duration::from_micros(tick_us.max(1)),
                faults,
                send_log: None,
                max_ticks,
                record,
                exchange: mdbus_sim::exchange::ExchangeConfig {
                    accounts: match (api_key, api_secret_env) {
                        (Some(api_key), Some(var)) => vec![mdbus_sim::exchange::SimAccount {
                            api_key,
                            secret: std::env::var(&var)
                                .with_context(|| format!("environment variable {var} is not set"))?,
                            passphrase: mdbus_sim::exchange::default_account().passphrase,
                        }],
                        _ => mdbus_sim::exchange::ExchangeConfig::default().accounts,
                    },
                    order_limit,
                    order_window: Duration::from_millis(order_window_ms.max(1)),
                    clock_skew_ms,
                    order_delay: order_delay_ms.map(Duration::from_millis),
                    drop_response_every: drop_order_response_every,
                    lose_request_every: lose_order_every,
                },
            };
            let sim = mdbus_sim::Sim::start(cfg).context("starting the simulator")?;
            if let (Some(path), Some(pem)) = (&cert_out, sim.cert_pem()) {
                std::fs::write(path, pem).with_context(|| format!("writing {}", path.display()))?;
            }
            let (ws, http) = if tls { ("wss", "https") } else { ("ws", "http") };
            println!("{} simulator listening: {ws}://{}{}  {http}://{1}", venue.name(), sim.addr(), venue.ws_path());
            let start = Instant::now();
            while seconds.is_none_or(|s| start.elapsed() < Duration::from_secs(s)) {
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        Ok(())
    }
}
