//! Across processes: `mdbus sim` ► `mdbus feed` ► rings ► this test process. Every trade the
//! simulator sent arrives as exactly the expected record, in order, and the order book rebuilt
//! from the book ring equals the simulator's book once the market is quiet.

// Test helpers outside #[test] functions panic on failure by design.
#![allow(clippy::unwrap_used)]

use std::{
    collections::BTreeMap,
    io::{BufRead, BufReader, Read, Write},
    path::PathBuf,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use mdbus_bus::{ReadError, Reader, RingDir, Start};
use mdbus_feeder::{Levels, Message, Side, binance};
use mdbus_schemas::{BookDelta, Kind, Marker, MarkerCode, Trade, flags};

const MDBUS: &str = env!("CARGO_BIN_EXE_mdbus");

fn temp(tag: &str) -> PathBuf {
    let base = if std::path::Path::new("/dev/shm").is_dir() { PathBuf::from("/dev/shm") } else { std::env::temp_dir() };
    let p = base.join(format!("mdbus-e2ep-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(&p).unwrap();
    p
}

fn http_get(addr: &str, path: &str) -> String {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    let mut resp = String::new();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = [0u8; 65536];
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                resp.push_str(&String::from_utf8_lossy(&buf[..n]));
                if let Some((head, body)) = resp.split_once("\r\n\r\n") {
                    let len: usize = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap())
                        })
                        .unwrap();
                    if body.len() >= len {
                        return body[..len].to_owned();
                    }
                }
            }
        }
    }
    panic!("no full response: {resp}");
}

fn read_all(dir: &RingDir, name: &str) -> Vec<Vec<u8>> {
    let mut r = Reader::open_at(dir.ring_path(name).unwrap(), Start::Oldest).unwrap();
    let mut out = Vec::new();
    loop {
        match r.try_read() {
            Ok(rec) => out.push(rec.bytes().to_vec()),
            Err(ReadError::Empty) => return out,
            Err(ReadError::Overrun { lost }) => panic!("ring overrun: {lost} lost"),
        }
    }
}

#[test]
fn simulator_to_feeder_to_readers_exactly() {
    let dir = temp("exact");
    let frames_file = dir.join("frames.txt");
    let mut sim = Command::new(MDBUS)
        .args(["sim", "--port", "0", "--tick-us", "1000", "--max-ticks", "1500", "--record"])
        .arg(&frames_file)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(sim.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line.split("ws://").nth(1).and_then(|r| r.split('/').next()).unwrap().to_owned();
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
    let got: Vec<_> = read_all(&rd, "x.trade")
        .iter()
        .filter(|b| b[8] == Kind::TRADE.0)
        .map(|b| {
            let t = <Trade as zerocopy::FromBytes>::read_from_bytes(&b[..64]).unwrap();
            (t.header.instrument.0, t.header.venue_seq, t.price, t.qty, t.header.flags)
        })
        .collect();
    assert_eq!(got.len(), expected.len(), "one record per trade");
    assert_eq!(got, expected, "every trade arrives exactly");

    // Book: rebuild from the book ring as a consumer would, compare with the quiet simulator.
    // Per instrument: bids, asks, last applied update id.
    type Book = (BTreeMap<i64, i64>, BTreeMap<i64, i64>, u64);
    let mut books: BTreeMap<u32, Book> = BTreeMap::new();
    let mut snapshotting: BTreeMap<u32, bool> = BTreeMap::new();
    for b in read_all(&rd, "x.book") {
        let h = mdbus_schemas::read_header(&b).unwrap();
        let book = books.entry(h.instrument.0).or_default();
        if h.kind == Kind::MARKER {
            let m = <Marker as zerocopy::FromBytes>::read_from_bytes(&b[..64]).unwrap();
            assert_ne!(m.code, MarkerCode::GAP, "no gap without injected faults");
            if m.code == MarkerCode::RESYNC_START {
                book.0.clear();
                book.1.clear();
            }
            continue;
        }
        let d = <BookDelta as zerocopy::FromBytes>::read_from_bytes(&b[..64]).unwrap();
        let snap = d.header.flags & flags::SNAPSHOT != 0;
        let was = snapshotting.insert(h.instrument.0, snap).unwrap_or(false);
        if snap && !was {
            book.0.clear();
            book.1.clear();
        }
        let side = if d.header.flags & flags::ASK != 0 { &mut book.1 } else { &mut book.0 };
        if d.qty == 0 {
            side.remove(&d.price);
        } else {
            side.insert(d.price, d.qty);
        }
        book.2 = d.header.venue_seq;
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    for (sym, id) in [("BTCUSDT", 1u32), ("ETHUSDT", 2)] {
        let body = http_get(&addr, &format!("/api/v3/depth?symbol={sym}&limit=5000"));
        let mut l = Levels::default();
        let Message::Depth(snap) = binance::decode(body.as_bytes(), &mut l).unwrap() else { panic!("{body}") };
        let (bids, asks, last) = &books[&id];
        assert_eq!(*last, snap.last_seq, "{sym}: the feeder applied every update up to the last");
        let to_map = |v: &[(mdbus_schemas::Decimal, mdbus_schemas::Decimal)]| -> BTreeMap<i64, i64> {
            v.iter().map(|(p, q)| (p.to_fixed(-2).unwrap(), q.to_fixed(-5).unwrap())).collect()
        };
        assert_eq!(bids, &to_map(&l.bids), "{sym}: bids");
        assert_eq!(asks, &to_map(&l.asks), "{sym}: asks");
        assert!(Instant::now() < deadline);
    }
    let _ = sim.kill();
    let _ = sim.wait();
    let _ = std::fs::remove_dir_all(&dir);
}
