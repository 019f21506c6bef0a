//! Across processes: `mdbus sim` ► `mdbus feed` ► rings ► this test process. Every trade the
//! simulator sent arrives as exactly the expected record, in order, and the order book rebuilt
//! from the book ring equals the simulator's book once the market is quiet.

// Test helpers outside #[test] functions panic on failure by design.
#![allow(clippy::unwrap_used)]

#[path = "../../tests/tests/common/mod.rs"]
mod common;

use std::{
    collections::BTreeMap,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use mdbus_bus::RingDir;
use mdbus_feeder::{Levels, Message, Side};
use mdbus_schemas::{Kind, MarkerCode, Trade, flags};
use mdbus_venues::binance;

const MDBUS: &str = env!("CARGO_BIN_EXE_mdbus");

#[test]
fn simulator_to_feeder_to_readers_exactly() {
    let scratch = common::Scratch::new("exact");
    let dir = scratch.0.clone();
    let frames_file = dir.join("frames.txt");
    let (mut sim, addr) = common::spawn_sim(
        MDBUS,
        &["--port", "0", "--tick-us", "1000", "--max-ticks", "1500", "--record"],
        &[frames_file.as_os_str()],
    );
    let rings = dir.join("rings");
    let cfg = dir.join("feed.yaml");
    std::fs::write(
        &cfg,
        format!(
            "ring_dir: {}\nworkers:\n  - {{ core: 0, poll: timeout, timeout_us: 200 }}\nfeeds:\n  - name: x\n    venue: binance\n    market: spot\n    url: ws://{addr}/stream\n    rest_url: http://{addr}\n    channels: [trade, depth]\n    ring_capacity: 65536\n    symbols:\n      - {{ symbol: BTCUSDT, id: 1, price_exp: -2, qty_exp: -5 }}\n      - {{ symbol: ETHUSDT, id: 2, price_exp: -2, qty_exp: -5 }}\n",
            rings.display()
        ),
    )
    .unwrap();
    let feed = Command::new(MDBUS)
        .args(["feed", "--config"])
        .arg(&cfg)
        .args(["--seconds", "5"])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(feed.success());
    let rd = RingDir::new(&rings);

    // Trades: every frame the simulator sent, decoded by the reference path, in order.
    let sent = std::fs::read_to_string(&frames_file).unwrap();
    let mut levels = Levels::default();
    let mut expected = Vec::new();
    for f in sent.lines() {
        if let Message::Trade(t) = binance::decode_serde(f.as_bytes(), &mut levels).unwrap() {
            let side = if t.side == Side::Buy { flags::BUY } else { flags::SELL };
            let id = if t.symbol == "BTCUSDT" { 1 } else { 2 };
            expected.push((id, t.trade_id, t.price.to_fixed(-2).unwrap(), t.qty.to_fixed(-5).unwrap(), side));
        }
    }
    assert!(expected.len() > 500, "the simulator sent {} trades", expected.len());
    let got: Vec<_> = common::read_all(&rd, "x.trade")
        .iter()
        .filter(|b| b[8] == Kind::TRADE.0)
        .map(|b| {
            let t = <Trade as zerocopy::FromBytes>::read_from_bytes(&b[..128]).unwrap();
            (t.header.instrument.0, t.header.venue_seq, t.price, t.qty, t.header.flags)
        })
        .collect();
    assert_eq!(got.len(), expected.len(), "one record per trade");
    assert_eq!(got, expected, "every trade arrives exactly");

    // Book: rebuild from the book ring as a consumer would, compare with the quiet simulator.
    let (markers, books, lasts) = common::rebuild_books(&common::read_all(&rd, "x.book"));
    assert!(!markers.contains(&MarkerCode::GAP), "no gap without injected faults");
    let deadline = Instant::now() + Duration::from_secs(10);
    for (sym, id) in [("BTCUSDT", 1u32), ("ETHUSDT", 2)] {
        let body = common::http_get(&addr, &format!("/api/v3/depth?symbol={sym}&limit=5000"));
        let mut l = Levels::default();
        let Message::Depth(snap) = binance::decode(body.as_bytes(), &mut l).unwrap() else { panic!("{body}") };
        let (bids, asks) = &books[&id];
        assert_eq!(lasts[&id], snap.last_seq, "{sym}: the feeder applied every update up to the last");
        let to_map = |v: &[(mdbus_schemas::Decimal, mdbus_schemas::Decimal)]| -> BTreeMap<i64, i64> {
            v.iter().map(|(p, q)| (p.to_fixed(-2).unwrap(), q.to_fixed(-5).unwrap())).collect()
        };
        assert_eq!(bids, &to_map(&l.bids), "{sym}: bids");
        assert_eq!(asks, &to_map(&l.asks), "{sym}: asks");
        assert!(Instant::now() < deadline);
    }
    let _ = sim.kill();
    let _ = sim.wait();
}
