//! `/metrics` while a feeder runs: a feed whose venue port has nothing listening, and one that
//! speaks wss:// to a plain server, show their failed connects and connections that are down; a
//! feed whose REST snapshots cannot be fetched shows its snapshot failures and no book in sync;
//! a feed on the simulator shows its frames, bytes and records, a connection that is up, its
//! rings and their latency. Each failure also comes with its reason.

#![allow(clippy::unwrap_used)]

mod common;

use std::{
    io::{Read, Write},
    net::TcpStream,
    path::PathBuf,
    sync::{Arc, atomic::AtomicBool},
    time::Duration,
};

use mdbus_bus::RingDir;
use mdbus_feeder::{config::FeedConfig, connection::ConnSettings, engine, tls};
use mdbus_sim::{Sim, SimConfig};
use mdbus_tools::metrics::MetricsServer;

fn scrape(addr: std::net::SocketAddr, path: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

/// The value of the one sample of `metric` whose labels include `labels`.
fn value(text: &str, metric: &str, labels: &str) -> f64 {
    text.lines()
        .find(|l| l.starts_with(&format!("{metric}{{")) && l.contains(labels))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{metric} with {labels} in\n{text}"))
}

#[test]
fn failing_and_healthy_feeds_show_in_metrics() {
    let sim = Sim::start(SimConfig {
        venue: mdbus_venues::okx::sim::SIM,
        symbols: mdbus_venues::okx::sim::SIM.symbols(),
        ..mdbus_venues::sim_config(mdbus_venues::binance::sim::SIM)
    })
    .unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let d = common::Scratch::new("metrics");
    let yaml = format!(
        "workers:\n  - {{ core: 0, poll: timeout, timeout_us: 500 }}\nfeeds:\n  - name: up\n    venue: okx\n    url: ws://{}/ws/v5/public\n    channels: [trade, depth]\n    symbols:\n      - {{ symbol: BTC-USDT, id: 1, price_exp: -2, qty_exp: -5 }}\n  - name: down\n    venue: okx\n    url: ws://{closed}/ws/v5/public\n    channels: [trade]\n    symbols:\n      - {{ symbol: ETH-USDT, id: 2, price_exp: -2, qty_exp: -5 }}\n",
        sim.addr()
    );
    let binance = Sim::start(SimConfig {
        venue: mdbus_venues::binance::sim::SIM,
        symbols: mdbus_venues::binance::sim::SIM.symbols(),
        ..mdbus_venues::sim_config(mdbus_venues::binance::sim::SIM)
    })
    .unwrap();
    let yaml = format!(
        "{yaml}  - name: tls\n    venue: okx\n    url: wss://{}/ws/v5/public\n    channels: [trade]\n    symbols:\n      - {{ symbol: SOL-USDT, id: 3, price_exp: -2, qty_exp: -5 }}\n  - name: nosnap\n    venue: binance\n    url: ws://{}/ws\n    rest_url: http://{closed}\n    channels: [trade, depth]\n    symbols:\n      - {{ symbol: BTCUSDT, id: 4, price_exp: -2, qty_exp: -5 }}\n",
        sim.addr(),
        binance.addr()
    );
    let cfg = FeedConfig::from_yaml(&yaml, mdbus_venues::ALL).unwrap();
    let rd = RingDir::new(&d.0);
    let mut settings = ConnSettings::default().backoff(Duration::from_millis(20), Duration::from_millis(100));
    // A TLS client facing a plain server waits for a handshake that never comes: a short bound.
    settings.connect_timeout = Duration::from_millis(500);
    let mut workers =
        engine::build(&cfg, mdbus_venues::ALL, &rd, tls::client_config(&[] as &[PathBuf], &[]).unwrap(), settings)
            .unwrap();
    let server = MetricsServer::start("127.0.0.1:0".parse().unwrap(), rd.clone()).unwrap();
    let mut w = workers.remove(0);
    w.set_reports(server.reports());
    let stop = Arc::new(AtomicBool::new(false));
    let reasons = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let t = {
        let stop = stop.clone();
        let reasons = reasons.clone();
        std::thread::spawn(move || {
            w.run_reporting(&stop, &mut |_| {}, &mut |feed, why| {
                reasons.lock().unwrap().push(format!("{feed}: {why}"));
            });
        })
    };
    std::thread::sleep(Duration::from_millis(3500));
    let text = scrape(server.addr(), "/metrics");
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    t.join().unwrap();
    assert!(text.starts_with("HTTP/1.1 200 OK"), "{text}");
    let down = r#"feed="down",venue="okx""#;
    let up = r#"feed="up",venue="okx""#;
    assert!(value(&text, "mdbus_feed_failed_connects_total", down) >= 2.0, "failed connects are counted");
    assert_eq!(value(&text, "mdbus_conn_up", down), 0.0);
    assert_eq!(value(&text, "mdbus_conn_connects_total", down), 0.0);
    assert_eq!(value(&text, "mdbus_conn_up", up), 1.0);
    assert!(value(&text, "mdbus_feed_frames_total", up) > 10.0);
    assert!(value(&text, "mdbus_conn_bytes_total", up) > 1000.0);
    assert!(value(&text, "mdbus_feed_records_total", up) > 10.0);
    assert_eq!(value(&text, "mdbus_feed_books_live", up), 1.0);
    assert_eq!(value(&text, "mdbus_ring_writer_alive", r#"ring="up.trade""#), 1.0);
    assert!(value(&text, "mdbus_ring_head", r#"ring="up.book""#) > 0.0);
    assert!(
        value(&text, "mdbus_stage_latency_seconds_count", r#"ring="up.book",stage="receive_to_publish""#) > 0.0,
        "the follower measured the book ring's records"
    );
    assert!(scrape(server.addr(), "/").starts_with("HTTP/1.1 404"));
    // wss:// to a plain server: counted, down, and the reason names the TLS failure.
    let tls = r#"feed="tls",venue="okx""#;
    assert!(value(&text, "mdbus_feed_failed_connects_total", tls) >= 1.0);
    assert_eq!(value(&text, "mdbus_conn_up", tls), 0.0);
    // REST snapshots that cannot be fetched: counted, no book in sync, the reason given.
    let nosnap = r#"feed="nosnap",venue="binance""#;
    assert!(value(&text, "mdbus_feed_snapshot_failures_total", nosnap) >= 1.0);
    assert_eq!(value(&text, "mdbus_feed_books_live", nosnap), 0.0);
    assert!(value(&text, "mdbus_feed_frames_total", nosnap) > 0.0, "trades flow all the same");
    let reasons = reasons.lock().unwrap();
    assert!(reasons.iter().any(|r| r.starts_with("down: connection 0 could not connect")), "{reasons:?}");
    assert!(
        reasons.iter().any(|r| r.starts_with("tls: connection 0 could not connect") && r.contains("TLS")),
        "{reasons:?}"
    );
    assert!(reasons.iter().any(|r| r.starts_with("nosnap: book snapshot of BTCUSDT failed")), "{reasons:?}");
}
