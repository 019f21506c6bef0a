//! `mdbus bench e2e`: simulator send ► reader latency over loopback websocket, and the frame
//! rate one feeder thread sustains, for one venue dialect or each in turn (`--venues all`).
//! Simulator, feeder and reader run in one process (so the simulator's send times can be looked
//! up by trade id), each on its own thread; the feeder and the reader are pinned to different
//! cores.

use std::{
    path::PathBuf,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use mdbus_bus::{ReadError, Reader, RingDir, Start, now_ns};
use mdbus_feeder::{config::FeedConfig, connection::ConnSettings, engine, tls};
use mdbus_schemas::Trade;
use serde_json::{Value, json};

use mdbus_sim::{SendLog, Sim, SimConfig, SimVenue};

use crate::stats::{Summary, new_histogram};

fn config(
    name: &str,
    venue: SimVenue,
    addr: std::net::SocketAddr,
    channels: &str,
    core: usize,
) -> Result<FeedConfig, String> {
    let yaml = format!(
        "workers:\n  - {{ core: {core}, poll: busy }}\nfeeds:\n  - name: {name}\n    venue: {}\n    url: ws://{addr}{}\n    rest_url: http://{addr}\n    channels: [{channels}]\n    ring_capacity: 65536\n    symbols:\n      - {{ symbol: {}, id: 1, price_exp: -2, qty_exp: -5 }}\n",
        venue.name(),
        venue.ws_path(),
        venue.symbols()[0]
    );
    FeedConfig::from_yaml(&yaml, mdbus_venues::ALL).map_err(|e| e.to_string())
}

/// The floor of this path, measured in the same run: a 128-byte message bounced over loopback
/// TCP between two threads pinned to the feeder's and the reader's cores, both busy-polling
/// non-blocking sockets as the feeder does; samples are RTT / 2.
fn loopback_floor(samples: u32, a: usize, b: usize) -> Result<Summary, String> {
    use std::io::{ErrorKind, Read, Write};
    fn spin_read(s: &mut std::net::TcpStream, buf: &mut [u8]) -> std::io::Result<()> {
        let mut got = 0;
        while got < buf.len() {
            match s.read(&mut buf[got..]) {
                Ok(0) => return Err(ErrorKind::UnexpectedEof.into()),
                Ok(n) => got += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => std::hint::spin_loop(),
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let echo = std::thread::spawn(move || -> std::io::Result<()> {
        let _ = core_affinity::set_for_current(core_affinity::CoreId { id: b });
        let (mut s, _) = listener.accept()?;
        s.set_nodelay(true)?;
        s.set_nonblocking(true)?;
        let mut buf = [0u8; 128];
        while spin_read(&mut s, &mut buf).is_ok() {
            s.write_all(&buf)?;
        }
        Ok(())
    });
    // The client runs on a thread of its own so the caller's affinity stays as it was.
    let client = std::thread::spawn(move || -> Result<Summary, String> {
        let _ = core_affinity::set_for_current(core_affinity::CoreId { id: a });
        let mut s = std::net::TcpStream::connect(addr).map_err(|e| e.to_string())?;
        s.set_nodelay(true).map_err(|e| e.to_string())?;
        s.set_nonblocking(true).map_err(|e| e.to_string())?;
        let mut h = new_histogram();
        let mut buf = [7u8; 128];
        for i in 0..samples + 200 {
            let t0 = Instant::now();
            s.write_all(&buf).map_err(|e| e.to_string())?;
            spin_read(&mut s, &mut buf).map_err(|e| e.to_string())?;
            if i >= 200 {
                let _ = h.record((t0.elapsed().as_nanos() as u64 / 2).max(1));
            }
        }
        Ok(Summary::of(&h))
    });
    let floor = client.join().map_err(|_| "floor client panicked".to_owned())?;
    let _ = echo.join();
    floor
}

/// Runs both measurements for the Binance dialect: `seconds` of latency at one trade per
/// `tick`, then `seconds` at the simulator's fastest tick for the frame rate.
///
/// # Errors
///
/// When the simulator or the feeder cannot start.
pub fn run(dir: &RingDir, seconds: u64, tick: Duration) -> Result<Value, String> {
    run_venue(dir, seconds, tick, mdbus_venues::DEFAULT_SIM)
}

/// Runs both measurements for each of `venues` in turn, each beside a loopback floor taken
/// right before it: `{"venues": {"okx": {...}, ...}}` with each venue's figures as [`run`]
/// gives them.
///
/// # Errors
///
/// When a simulator or the feeder cannot start.
pub fn run_venues(dir: &RingDir, seconds: u64, tick: Duration, venues: &[SimVenue]) -> Result<Value, String> {
    let mut out = serde_json::Map::new();
    for v in venues {
        out.insert(v.name().to_owned(), run_venue(dir, seconds, tick, *v)?);
    }
    Ok(json!({ "venues": out }))
}

/// Both measurements for `venue`.
///
/// # Errors
///
/// When the simulator or the feeder cannot start.
pub fn run_venue(dir: &RingDir, seconds: u64, tick: Duration, venue: SimVenue) -> Result<Value, String> {
    let (feeder_core, reader_core) = (0, 1);
    let floor = loopback_floor(5_000, feeder_core, reader_core)?;
    // Latency: one symbol, trades only; the send log maps trade ids to send times.
    let log = Arc::new(SendLog::new(1 << 20));
    let symbols = vec![venue.symbols().swap_remove(0)];
    let sim = Sim::start(SimConfig {
        venue,
        symbols: symbols.clone(),
        tick,
        send_log: Some(log.clone()),
        ..mdbus_venues::sim_config(venue)
    })
    .map_err(|e| e.to_string())?;
    let name = format!("bench-e2e-{}-{}", venue.name(), std::process::id());
    let tls = tls::client_config(&[] as &[PathBuf], &[]).map_err(|e| e.to_string())?;
    let cfg = config(&name, venue, sim.addr(), "trade", feeder_core)?;
    let mut workers =
        engine::build(&cfg, mdbus_venues::ALL, dir, tls.clone(), ConnSettings::default()).map_err(|e| e.to_string())?;
    let mut w = workers.remove(0);
    let mut reader = Reader::open_at(dir.ring_path(&format!("{name}.trade")).map_err(|e| e.to_string())?, Start::Head)
        .map_err(|e| e.to_string())?;
    let stop = Arc::new(AtomicBool::new(false));
    let sp = stop.clone();
    let feeder = std::thread::spawn(move || w.run(&sp));
    let rstop = stop.clone();
    let lat = std::thread::spawn(move || {
        let _ = core_affinity::set_for_current(core_affinity::CoreId { id: reader_core });
        let mut h = new_histogram();
        let mut warm = 0u32;
        while !rstop.load(Ordering::Relaxed) {
            match reader.try_read() {
                Ok(rec) => {
                    let now = now_ns();
                    if let Some(t) = rec.get::<Trade>()
                        && let Some(sent) = log.get(t.header.venue_seq)
                    {
                        warm += 1;
                        if warm > 200 {
                            let _ = h.record(now.saturating_sub(sent).max(1));
                        }
                    }
                }
                Err(ReadError::Empty | ReadError::Overrun { .. }) => std::hint::spin_loop(),
            }
        }
        Summary::of(&h)
    });
    std::thread::sleep(Duration::from_secs(seconds));
    stop.store(true, Ordering::SeqCst);
    let _ = feeder.join();
    let latency = lat.join().unwrap_or_default();
    drop(sim);

    // Frame rate: every channel, the simulator as fast as it goes.
    let sim =
        Sim::start(SimConfig { venue, symbols, tick: Duration::from_micros(2), ..mdbus_venues::sim_config(venue) })
            .map_err(|e| e.to_string())?;
    let name2 = format!("bench-e2e-rate-{}-{}", venue.name(), std::process::id());
    // Best bid and offer where the venue has a channel for them.
    let ticker = mdbus_venues::ALL.iter().any(|v| v.name() == venue.name() && v.topic("book_ticker", "X").is_some());
    let channels = if ticker { "trade, book_ticker, depth" } else { "trade, depth" };
    let cfg = config(&name2, venue, sim.addr(), channels, feeder_core)?;
    let mut workers =
        engine::build(&cfg, mdbus_venues::ALL, dir, tls, ConnSettings::default()).map_err(|e| e.to_string())?;
    let mut w = workers.remove(0);
    let stop = Arc::new(AtomicBool::new(false));
    let sp = stop.clone();
    let frames = std::thread::spawn(move || {
        let mut samples = Vec::new();
        w.run_with(&sp, &mut |s| samples.push((Instant::now(), s.first().map_or(0, |(_, f)| f.conns.frames))));
        samples
    });
    std::thread::sleep(Duration::from_secs(seconds + 1));
    stop.store(true, Ordering::SeqCst);
    let samples = frames.join().unwrap_or_default();
    drop(sim);
    // From the first report (after connecting) to the last.
    let fps = match (samples.first(), samples.last()) {
        (Some(a), Some(b)) if b.0 > a.0 => (b.1 - a.1) as f64 / b.0.duration_since(a.0).as_secs_f64(),
        _ => 0.0,
    };
    for n in [&name, &name2] {
        for ring in ["quote", "trade", "book", "depth", "bar"] {
            if let Ok(p) = dir.ring_path(&format!("{n}.{ring}")) {
                let _ = std::fs::remove_file(&p);
                let _ = std::fs::remove_file(p.with_extension("lock"));
                let _ = std::fs::remove_file(p.with_extension("bell"));
            }
        }
    }
    let ratio = |v: u64| (v as f64 / floor.p50.max(1) as f64 * 100.0).round() / 100.0;
    Ok(json!({
        "loopback_p50_ns": floor.p50, "loopback_p99_ns": floor.p99,
        "e2e_p50_over_loopback": ratio(latency.p50), "e2e_p99_over_loopback": ratio(latency.p99),
        "e2e_p50_ns": latency.p50, "e2e_p90_ns": latency.p90, "e2e_p99_ns": latency.p99, "e2e_p999_ns": latency.p999,
        "e2e_max_ns": latency.max, "e2e_samples": latency.count, "frames_per_s": fps.round(),
    }))
}
