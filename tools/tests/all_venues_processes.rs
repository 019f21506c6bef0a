//! Six venues at once across processes: six `mdbus sim --venue ...` processes ► one `mdbus feed`
//! with two worker threads ► rings ► reader processes and this test. Every trade each simulator
//! sent arrives once, every reader receives or is told of the loss of every record, and every
//! book rebuilt from its ring equals its simulator's once the markets are quiet.

// Test helpers outside #[test] functions panic on failure by design.
#![allow(clippy::unwrap_used)]

#[path = "../../tests/tests/common/mod.rs"]
mod common;

use std::{
    collections::{BTreeMap, BTreeSet},
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use mdbus_bus::RingDir;
use mdbus_feeder::{
    Levels, Message,
    venue::{SessionDecoder, Venue},
};
use mdbus_schemas::{Kind, MarkerCode, Trade};

const MDBUS: &str = env!("CARGO_BIN_EXE_mdbus");

/// Venue name, feeder venue, symbols as the venue spells them.
const VENUES: [(&str, Venue, [&str; 2]); 6] = [
    ("binance", mdbus_venues::BINANCE_SPOT, ["BTCUSDT", "ETHUSDT"]),
    ("okx", mdbus_venues::OKX, ["BTC-USDT", "ETH-USDT"]),
    ("bybit", mdbus_venues::BYBIT_SPOT, ["BTCUSDT", "ETHUSDT"]),
    ("htx", mdbus_venues::HTX, ["btcusdt", "ethusdt"]),
    ("gateio", mdbus_venues::GATEIO, ["BTC_USDT", "ETH_USDT"]),
    ("gemini", mdbus_venues::GEMINI, ["BTCUSD", "ETHUSD"]),
];

struct Kill(Vec<Child>);

impl Drop for Kill {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

#[test]
fn six_venues_through_one_feeder_to_reader_processes() {
    let scratch = common::Scratch::new("six");
    let dir = scratch.0.clone();
    let mut procs = Kill(Vec::new());
    let mut addrs = Vec::new();
    for (name, _, _) in VENUES {
        let frames = dir.join(format!("{name}.frames"));
        let (sim, addr) = common::spawn_sim(
            MDBUS,
            &["--venue", name, "--port", "0", "--tick-us", "2000", "--max-ticks", "2000", "--record"],
            &[frames.as_os_str()],
        );
        addrs.push(addr);
        procs.0.push(sim);
    }
    let rings = dir.join("rings");
    let mut yaml = format!(
        "ring_dir: {}\nworkers:\n  - {{ core: 0, poll: timeout, timeout_us: 200 }}\n  - {{ core: 1, poll: timeout, timeout_us: 200 }}\nfeeds:\n",
        rings.display()
    );
    for (i, ((name, venue, symbols), addr)) in VENUES.iter().zip(&addrs).enumerate() {
        let channels = if *venue == mdbus_venues::GEMINI { "trade, depth" } else { "trade, book_ticker, depth" };
        let path = match *name {
            "binance" => "/stream",
            "okx" => "/ws/v5/public",
            "bybit" => "/v5/public/spot",
            "htx" => "/feed",
            "gateio" => "/ws/v4/",
            _ => "/v2/marketdata",
        };
        yaml.push_str(&format!(
            "  - name: {name}\n    venue: {name}\n    url: ws://{addr}{path}\n    rest_url: http://{addr}\n    worker: {}\n    channels: [{channels}]\n    ring_capacity: 262144\n    symbols:\n      - {{ symbol: {}, id: {}, price_exp: -2, qty_exp: -5 }}\n      - {{ symbol: {}, id: {}, price_exp: -2, qty_exp: -5 }}\n",
            i % 2,
            symbols[0],
            100 * i + 1,
            symbols[1],
            100 * i + 2
        ));
    }
    let cfg = dir.join("feed.yaml");
    std::fs::write(&cfg, yaml).unwrap();
    let mut feed = Command::new(MDBUS)
        .args(["feed", "--config"])
        .arg(&cfg)
        .args(["--seconds", "7"])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let rd = RingDir::new(&rings);

    // Reader processes, one per venue's book ring, mapped while the feeder writes.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut readers = Vec::new();
    for (id, (name, _, _)) in VENUES.iter().enumerate() {
        let path = rd.ring_path(&format!("{name}.book")).unwrap();
        while !path.exists() {
            assert!(Instant::now() < deadline, "{} never appeared", path.display());
            std::thread::sleep(Duration::from_millis(10));
        }
        let mut child = Command::new(MDBUS)
            .args(["internal", "demo-reader", "--id", &(id + 1).to_string(), "--path"])
            .arg(&path)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        lines.read_line(&mut first).unwrap();
        assert_eq!(first.trim(), "ready");
        readers.push((name, child, lines));
    }
    assert!(feed.wait().unwrap().success());
    for (name, mut child, lines) in readers {
        let last = lines.lines().map_while(Result::ok).last().unwrap();
        assert!(child.wait().unwrap().success());
        let v: serde_json::Value = serde_json::from_str(&last).unwrap();
        assert_eq!(v["final"], true, "{name}: {last}");
        let g = |k: &str| v[k].as_u64().unwrap();
        assert_eq!(g("received") + g("lost"), g("end") - g("start"), "{name}: every record received or reported lost");
        assert!(g("received") > 100, "{name}: {last}");
    }

    for (i, ((name, venue, symbols), addr)) in VENUES.iter().zip(&addrs).enumerate() {
        // Trades: each one the simulator sent, once.
        let sent = std::fs::read_to_string(dir.join(format!("{name}.frames"))).unwrap();
        let mut dec = SessionDecoder::new(*venue);
        let mut levels = Levels::default();
        let mut expected: BTreeMap<u32, Vec<u64>> = BTreeMap::new();
        for f in sent.lines() {
            dec.decode(f.as_bytes(), false, &mut levels, &mut |m, _| {
                if let Message::Trade(t) = m {
                    let id =
                        if t.symbol.eq_ignore_ascii_case(symbols[0]) { 100 * i as u32 + 1 } else { 100 * i as u32 + 2 };
                    expected.entry(id).or_default().push(t.trade_id);
                }
            })
            .unwrap();
        }
        let mut got: BTreeMap<u32, Vec<u64>> = BTreeMap::new();
        for b in common::read_all(&rd, &format!("{name}.trade")).iter().filter(|b| b[8] == Kind::TRADE.0) {
            let t = <Trade as zerocopy::FromBytes>::read_from_bytes(&b[..128]).unwrap();
            got.entry(t.header.instrument.0).or_default().push(t.header.venue_seq);
        }
        for (id, want) in &expected {
            assert!(want.len() > 100, "{name}: the simulator sent {} trades", want.len());
            let have = got.get(id).cloned().unwrap_or_default();
            let unique: BTreeSet<u64> = have.iter().copied().collect();
            assert_eq!(unique.len(), have.len(), "{name} {id}: no trade twice");
            // Gemini's first book repeats recent trades, which may predate the stream.
            let extra = have.len() - have.iter().filter(|t| want.contains(t)).count();
            assert!(
                extra <= if *venue == mdbus_venues::GEMINI { 5 } else { 0 },
                "{name} {id}: {extra} unexpected trades"
            );
            assert!(want.iter().all(|t| unique.contains(t)), "{name} {id}: every trade sent arrives");
        }
        // Books: equal to the quiet simulator's.
        let (markers, rebuilt, _) = common::rebuild_books(&common::read_all(&rd, &format!("{name}.book")));
        assert!(!markers.contains(&MarkerCode::GAP), "{name}: no gap without injected faults");
        for (k, sym) in symbols.iter().enumerate() {
            let body = common::http_get(addr, &format!("/sim/book?symbol={sym}"));
            let v: serde_json::Value = serde_json::from_str(&body).unwrap();
            let side = |key: &str| -> BTreeMap<i64, i64> {
                v[key].as_array().unwrap().iter().map(|l| (l[0].as_i64().unwrap(), l[1].as_i64().unwrap())).collect()
            };
            let id = 100 * i as u32 + 1 + k as u32;
            let book = rebuilt.get(&id).cloned().unwrap_or_default();
            assert_eq!(book.0, side("bids"), "{name} {sym}: bids");
            assert_eq!(book.1, side("asks"), "{name} {sym}: asks");
        }
    }
    drop(procs);
}
