//! Simulator ► feeder ► rings ► readers on loopback: data flows into every ring, books sync from
//! REST snapshots, and faults (dropped connections, gaps, malformed frames, refused
//! subscriptions, TLS) are handled as the venue rules require.

// Test helpers outside #[test] functions panic on failure by design.
#![allow(clippy::unwrap_used)]

use std::{
    path::PathBuf,
    sync::{Arc, atomic::AtomicBool},
    time::{Duration, Instant},
};

use mdbus_bus::{ReadError, Reader, RingDir, Start};
use mdbus_feeder::{
    config::FeedConfig,
    connection::ConnSettings,
    engine::{self, FeedStatus},
    tls,
};
use mdbus_schemas::{Bar, Kind, Marker, MarkerCode, Quote, Trade, flags};
use mdbus_sim::{Faults, Sim, SimConfig};

struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn dir(tag: &str) -> Dir {
    let base = if std::path::Path::new("/dev/shm").is_dir() { PathBuf::from("/dev/shm") } else { std::env::temp_dir() };
    let p = base.join(format!("mdbus-e2e-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    Dir(p)
}

struct Run {
    status: FeedStatus,
    book: Vec<(Kind, u8, Option<MarkerCode>)>,
    trades: Vec<Trade>,
    quotes: Vec<Quote>,
    bars: Vec<Bar>,
}

/// Runs the simulator and one feeder worker for `secs`, then reads the rings from the oldest
/// record.
fn run(tag: &str, sim_cfg: SimConfig, channels: &str, secs: u64) -> Run {
    let settings = ConnSettings::default()
        .silence(Duration::from_secs(2))
        .backoff(Duration::from_millis(20), Duration::from_millis(200));
    run_with(tag, sim_cfg, channels, secs, settings)
}

/// The scenarios run one at a time: each is a simulator and a feeder working for seconds, and
/// the thresholds below assume they do not share two cores with ten others.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn run_with(tag: &str, sim_cfg: SimConfig, channels: &str, secs: u64, settings: ConnSettings) -> Run {
    let _serial = SERIAL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let tls_on = sim_cfg.tls;
    let market = if sim_cfg.usdm { "usdm" } else { "spot" };
    let sim = Sim::start(sim_cfg).unwrap();
    let d = dir(tag);
    let (ws, http) = if tls_on { ("wss", "https") } else { ("ws", "http") };
    // Certificates are issued for "localhost".
    let host = if tls_on { format!("localhost:{}", sim.addr().port()) } else { sim.addr().to_string() };
    let yaml = format!(
        "workers:\n  - {{ core: 0, poll: timeout, timeout_us: 200 }}\nfeeds:\n  - name: sim\n    venue: binance\n    market: {market}\n    url: {ws}://{host}/stream\n    rest_url: {http}://{host}\n    channels: [{channels}]\n    ring_capacity: 262144\n    symbols:\n      - {{ symbol: BTCUSDT, id: 1, price_exp: -2, qty_exp: -5 }}\n      - {{ symbol: ETHUSDT, id: 2, price_exp: -2, qty_exp: -5 }}\n"
    );
    let cfg = FeedConfig::from_yaml(&yaml, mdbus_venues::ALL).unwrap();
    let pem: Vec<&str> = sim.cert_pem().into_iter().collect();
    let tls = tls::client_config(&[] as &[PathBuf], &pem).unwrap();
    let rd = RingDir::new(&d.0);
    let mut workers = engine::build(&cfg, mdbus_venues::ALL, &rd, tls, settings).unwrap();
    let mut w = workers.remove(0);
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(secs) {
        w.step();
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let status = w.status()[0].1;
    let read_all = |name: &str| {
        let mut r = Reader::open_at(rd.ring_path(name).unwrap(), Start::Oldest).unwrap();
        let mut out = Vec::new();
        loop {
            match r.try_read() {
                Ok(rec) => out.push(rec.bytes().to_vec()),
                Err(ReadError::Empty) => break,
                Err(ReadError::Overrun { .. }) => {}
            }
        }
        out
    };
    let book = read_all("sim.book")
        .iter()
        .map(|b| {
            let h = mdbus_schemas::read_header(b).unwrap();
            let code = (h.kind == Kind::MARKER)
                .then(|| <Marker as zerocopy::FromBytes>::read_from_bytes(&b[..64]).unwrap().code);
            (h.kind, h.flags, code)
        })
        .collect();
    let trades = read_all("sim.trade")
        .iter()
        .filter(|b| b[8] == Kind::TRADE.0)
        .map(|b| <Trade as zerocopy::FromBytes>::read_from_bytes(&b[..128]).unwrap())
        .collect();
    let quotes = read_all("sim.quote")
        .iter()
        .filter(|b| b[8] == Kind::QUOTE.0)
        .map(|b| <Quote as zerocopy::FromBytes>::read_from_bytes(&b[..128]).unwrap())
        .collect();
    let bars = if channels.contains("kline") {
        read_all("sim.bar")
            .iter()
            .filter(|b| b[8] == Kind::BAR.0)
            .map(|b| <Bar as zerocopy::FromBytes>::read_from_bytes(&b[..128]).unwrap())
            .collect()
    } else {
        Vec::new()
    };
    drop(w);
    Run { status, book, trades, quotes, bars }
}

fn markers(r: &Run) -> Vec<MarkerCode> {
    r.book.iter().filter_map(|(_, _, c)| *c).collect()
}

#[test]
fn data_flows_and_books_sync_over_ws() {
    let r = run("ws", mdbus_venues::sim_config(mdbus_venues::binance::sim::SIM), "trade, book_ticker, depth", 2);
    assert!(r.status.conns.connects >= 1, "{:?}", r.status);
    assert_eq!(r.status.feed.errors, 0, "{:?}", r.status);
    assert!(r.status.snapshots >= 2, "both books synced from REST: {:?}", r.status);
    assert!(r.trades.len() > 100, "trades: {}", r.trades.len());
    assert!(r.quotes.len() > 100, "quotes: {}", r.quotes.len());
    assert!(r.quotes.iter().all(|q| q.bid_px < q.ask_px), "quotes are never crossed");
    assert!(r.trades.iter().all(|t| t.header.flags & (flags::BUY | flags::SELL) != 0 && t.price > 0 && t.qty > 0));
    let m = markers(&r);
    assert!(
        m.contains(&MarkerCode::CONNECTED) && m.iter().filter(|c| **c == MarkerCode::RESYNC_DONE).count() >= 2,
        "{m:?}"
    );
    assert!(!m.contains(&MarkerCode::GAP) && !m.contains(&MarkerCode::CROSSED), "{m:?}");
    let deltas = r.book.iter().filter(|(k, _, _)| *k == Kind::BOOK_DELTA).count();
    assert!(deltas > 1000, "deltas: {deltas}");
}

#[test]
fn dropped_connection_reconnects_resubscribes_and_resyncs() {
    let faults = Faults { drop_every: 1500, ..Faults::default() };
    let r = run(
        "drop",
        SimConfig { faults, ..mdbus_venues::sim_config(mdbus_venues::binance::sim::SIM) },
        "trade, depth",
        3,
    );
    assert!(r.status.conns.connects >= 2, "{:?}", r.status);
    assert!(r.status.conns.disconnects >= 1, "{:?}", r.status);
    let m = markers(&r);
    let disc = m.iter().position(|c| *c == MarkerCode::DISCONNECTED).expect("disconnect marker");
    assert!(m[disc..].contains(&MarkerCode::RESYNC_START), "books cleared: {m:?}");
    assert!(
        m[disc..].contains(&MarkerCode::CONNECTED) && m[disc..].contains(&MarkerCode::RESYNC_DONE),
        "resynced: {m:?}"
    );
}

#[test]
fn injected_gap_triggers_a_resync() {
    let faults = Faults { gap_every: 400, ..Faults::default() };
    let r = run("gap", SimConfig { faults, ..mdbus_venues::sim_config(mdbus_venues::binance::sim::SIM) }, "depth", 2);
    let m = markers(&r);
    let gap = m.iter().position(|c| *c == MarkerCode::GAP).expect("gap marker");
    assert!(m[gap..].contains(&MarkerCode::RESYNC_START) && m[gap..].contains(&MarkerCode::RESYNC_DONE), "{m:?}");
    assert!(r.status.snapshots >= 3, "{:?}", r.status);
}

#[test]
fn malformed_frames_are_counted_and_skipped() {
    let faults = Faults { malformed_every: 100, dup_every: 250, ..Faults::default() };
    let r = run(
        "malformed",
        SimConfig { faults, ..mdbus_venues::sim_config(mdbus_venues::binance::sim::SIM) },
        "trade, book_ticker, depth",
        2,
    );
    assert!(r.status.feed.errors > 0, "{:?}", r.status);
    assert_eq!(r.status.conns.disconnects, 0, "the connection survives: {:?}", r.status);
    assert!(r.trades.len() > 100);
}

#[test]
fn refused_subscription_is_reported_and_the_rest_flows() {
    let faults = Faults { refuse: vec!["ethusdt@trade".into()], ..Faults::default() };
    let r = run(
        "refuse",
        SimConfig { faults, ..mdbus_venues::sim_config(mdbus_venues::binance::sim::SIM) },
        "trade, book_ticker",
        2,
    );
    assert!(r.status.conns.refused >= 1, "{:?}", r.status);
    assert!(r.quotes.len() > 100, "the other streams flow");
}

#[test]
fn wss_with_the_simulator_certificate() {
    let r = run(
        "wss",
        SimConfig { tls: true, ..mdbus_venues::sim_config(mdbus_venues::binance::sim::SIM) },
        "trade, depth",
        2,
    );
    assert!(r.status.conns.connects >= 1, "{:?}", r.status);
    assert!(r.status.snapshots >= 2, "REST over https: {:?}", r.status);
    assert!(r.trades.len() > 100);
}

#[test]
fn usdm_books_follow_pu_chains_end_to_end() {
    let r = run(
        "usdm",
        SimConfig { usdm: true, ..mdbus_venues::sim_config(mdbus_venues::binance::sim::SIM) },
        "trade, book_ticker, depth",
        2,
    );
    assert_eq!(r.status.feed.errors, 0, "{:?}", r.status);
    assert!(r.status.snapshots >= 2, "{:?}", r.status);
    let m = markers(&r);
    assert!(!m.contains(&MarkerCode::GAP), "{m:?} {:?}", r.status);
    assert!(m.iter().filter(|c| **c == MarkerCode::RESYNC_DONE).count() >= 2, "{m:?}");
    assert!(r.book.iter().filter(|(k, _, _)| *k == Kind::BOOK_DELTA).count() > 1000);
}

#[test]
fn server_pings_are_answered_and_the_connection_stays() {
    let faults = Faults { ping_every: Some(Duration::from_millis(50)), ..Faults::default() };
    let r = run("ping", SimConfig { faults, ..mdbus_venues::sim_config(mdbus_venues::binance::sim::SIM) }, "trade", 2);
    assert_eq!(r.status.conns.disconnects, 0, "{:?}", r.status);
    assert!(r.trades.len() > 100);
}

#[test]
fn silent_connection_is_replaced_by_the_watchdog() {
    let settings = ConnSettings::default()
        .silence(Duration::from_millis(300))
        .backoff(Duration::from_millis(20), Duration::from_millis(50));
    let r = run_with(
        "silence",
        SimConfig { max_ticks: Some(50), ..mdbus_venues::sim_config(mdbus_venues::binance::sim::SIM) },
        "trade",
        2,
        settings,
    );
    assert!(r.status.conns.disconnects >= 1 && r.status.conns.connects >= 2, "{:?}", r.status);
    assert!(markers(&r).contains(&MarkerCode::DISCONNECTED));
}

#[test]
fn connection_is_rotated_before_its_lifetime_ends() {
    let settings = ConnSettings::default()
        .lifetime(Duration::from_millis(600))
        .backoff(Duration::from_millis(20), Duration::from_millis(50));
    let r = run_with("rotate", mdbus_venues::sim_config(mdbus_venues::binance::sim::SIM), "trade, depth", 2, settings);
    assert!(r.status.conns.connects >= 3, "{:?}", r.status);
    let m = markers(&r);
    assert!(
        m.iter().filter(|c| **c == MarkerCode::RESYNC_DONE).count() >= 4,
        "books resynced after each rotation: {m:?}"
    );
    assert!(r.trades.len() > 100);
}

#[test]
fn usdm_snapshot_taken_between_two_slow_events_needs_no_resync() {
    // A slow market: the REST snapshot is usually taken before the next event exists, so the
    // first event continues it exactly (pu == lastUpdateId, U past it).
    let cfg = SimConfig {
        usdm: true,
        tick: Duration::from_millis(100),
        ..mdbus_venues::sim_config(mdbus_venues::binance::sim::SIM)
    };
    let r = run("usdm-slow", cfg, "depth", 2);
    let m = markers(&r);
    assert!(!m.contains(&MarkerCode::GAP), "{m:?} {:?}", r.status);
    assert!(m.iter().filter(|c| **c == MarkerCode::RESYNC_DONE).count() >= 2, "{m:?}");
}

/// The simulator's `@kline_1m` stream (built from its trades, as Binance builds it) decoded into
/// bar records: every bar consistent, its trades and volume those of the trades it covers.
#[test]
fn klines_stream_into_bar_records() {
    let r = run("kline", mdbus_venues::sim_config(mdbus_venues::binance::sim::SIM), "trade, kline_1m", 2);
    assert!(!r.bars.is_empty(), "no bars: {:?}", r.status);
    for b in &r.bars {
        assert!(b.low <= b.open.min(b.close) && b.high >= b.open.max(b.close), "{b:?}");
        assert!(b.volume > 0 && b.trades > 0, "{b:?}");
        assert_eq!(b.interval_ns, 60_000_000_000);
    }
    // A bar's close is the price of a trade the feeder also published.
    let last = r.bars.last().unwrap();
    assert!(
        r.trades.iter().any(|t| t.header.instrument == last.header.instrument && t.price == last.close),
        "close {} of instrument {:?} is no trade's price",
        last.close,
        last.header.instrument
    );
}

/// The simulator's spot `@ticker` stream (its rolling 24-hour window, the book's top) decoded
/// into quote records: each a real top of book, bid below ask.
#[test]
fn spot_tickers_into_quote_records() {
    let r = run("ticker", mdbus_venues::sim_config(mdbus_venues::binance::sim::SIM), "trade, ticker", 2);
    assert!(r.quotes.len() > 10, "quotes from tickers: {} ({:?})", r.quotes.len(), r.status);
    for q in &r.quotes {
        assert!(0 < q.bid_px && q.bid_px < q.ask_px, "{q:?}");
        assert!(q.bid_qty > 0 && q.ask_qty > 0, "{q:?}");
    }
}
