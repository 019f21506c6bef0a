//! Six venues at once across processes: six `mdbus sim --venue ...` processes ► one `mdbus feed`
//! with two worker threads ► rings ► reader processes and this test. Every trade each simulator
//! sent arrives once, every reader receives or is told of the loss of every record, and every
//! book rebuilt from its ring equals its simulator's once the markets are quiet.

// Test helpers outside #[test] functions panic on failure by design.
#![allow(clippy::unwrap_used)]

use std::{
    collections::{BTreeMap, BTreeSet},
    io::{BufRead, BufReader, Read, Write},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use mdbus_bus::{ReadError, Reader, RingDir, Start};
use mdbus_feeder::{
    Levels, Message,
    venue::{SessionDecoder, Venue},
};
use mdbus_schemas::{BookDelta, Kind, Marker, MarkerCode, Trade, flags};

const MDBUS: &str = env!("CARGO_BIN_EXE_mdbus");

/// Venue name, feeder venue, symbols as the venue spells them.
const VENUES: [(&str, Venue, [&str; 2]); 6] = [
    ("binance", Venue::BinanceSpot, ["BTCUSDT", "ETHUSDT"]),
    ("okx", Venue::Okx, ["BTC-USDT", "ETH-USDT"]),
    ("bybit", Venue::BybitSpot, ["BTCUSDT", "ETHUSDT"]),
    ("htx", Venue::Htx, ["btcusdt", "ethusdt"]),
    ("gateio", Venue::Gate, ["BTC_USDT", "ETH_USDT"]),
    ("gemini", Venue::Gemini, ["BTCUSD", "ETHUSD"]),
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

fn temp(tag: &str) -> PathBuf {
    let base = if Path::new("/dev/shm").is_dir() { PathBuf::from("/dev/shm") } else { std::env::temp_dir() };
    let p = base.join(format!("mdbus-allv-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(&p).unwrap();
    p
}

fn http_get(addr: &str, path: &str) -> String {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut resp = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "connection closed: {}", String::from_utf8_lossy(&resp));
        resp.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&resp).to_string();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let len: usize = head
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap()))
                .unwrap();
            if body.len() >= len {
                return body[..len].to_owned();
            }
        }
    }
}

fn read_all(dir: &RingDir, name: &str) -> Vec<Vec<u8>> {
    let mut r = Reader::open_at(dir.ring_path(name).unwrap(), Start::Oldest).unwrap();
    let mut out = Vec::new();
    loop {
        match r.try_read() {
            Ok(rec) => out.push(rec.bytes().to_vec()),
            Err(ReadError::Empty) => return out,
            Err(ReadError::Overrun { lost }) => panic!("{name}: ring overrun, {lost} lost"),
        }
    }
}

type Book = (BTreeMap<i64, i64>, BTreeMap<i64, i64>);

/// Rebuilds the books of a book ring as a consumer would.
fn books(dir: &RingDir, ring: &str) -> BTreeMap<u32, Book> {
    let mut out: BTreeMap<u32, Book> = BTreeMap::new();
    let mut snapshotting: BTreeMap<u32, bool> = BTreeMap::new();
    for b in read_all(dir, ring) {
        let h = mdbus_schemas::read_header(&b).unwrap();
        let book = out.entry(h.instrument.0).or_default();
        if h.kind == Kind::MARKER {
            let m = <Marker as zerocopy::FromBytes>::read_from_bytes(&b[..64]).unwrap();
            assert_ne!(m.code, MarkerCode::GAP, "{ring}: no gap without injected faults");
            if m.code == MarkerCode::RESYNC_START {
                book.0.clear();
                book.1.clear();
            }
            continue;
        }
        let d = <BookDelta as zerocopy::FromBytes>::read_from_bytes(&b[..64]).unwrap();
        let snap = d.header.flags & flags::SNAPSHOT != 0;
        if snap && !snapshotting.get(&h.instrument.0).copied().unwrap_or(false) {
            book.0.clear();
            book.1.clear();
        }
        snapshotting.insert(h.instrument.0, snap && d.header.flags & flags::LAST == 0);
        let side = if d.header.flags & flags::ASK != 0 { &mut book.1 } else { &mut book.0 };
        if d.qty == 0 {
            side.remove(&d.price);
        } else {
            side.insert(d.price, d.qty);
        }
    }
    out
}

#[test]
fn six_venues_through_one_feeder_to_reader_processes() {
    let dir = temp("six");
    let mut procs = Kill(Vec::new());
    let mut addrs = Vec::new();
    for (name, _, _) in VENUES {
        let mut sim = Command::new(MDBUS)
            .args(["sim", "--venue", name, "--port", "0", "--tick-us", "2000", "--max-ticks", "2000", "--record"])
            .arg(dir.join(format!("{name}.frames")))
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(sim.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let addr = line.split("ws://").nth(1).and_then(|r| r.split('/').next()).unwrap().to_owned();
        addrs.push(addr);
        procs.0.push(sim);
    }
    let rings = dir.join("rings");
    let mut yaml = format!(
        "ring_dir: {}\nworkers:\n  - {{ core: 0, poll: timeout, timeout_us: 200 }}\n  - {{ core: 1, poll: timeout, timeout_us: 200 }}\nfeeds:\n",
        rings.display()
    );
    for (i, ((name, venue, symbols), addr)) in VENUES.iter().zip(&addrs).enumerate() {
        let channels = if *venue == Venue::Gemini { "trade, depth" } else { "trade, book_ticker, depth" };
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
        for b in read_all(&rd, &format!("{name}.trade")).iter().filter(|b| b[8] == Kind::TRADE.0) {
            let t = <Trade as zerocopy::FromBytes>::read_from_bytes(&b[..64]).unwrap();
            got.entry(t.header.instrument.0).or_default().push(t.header.venue_seq);
        }
        for (id, want) in &expected {
            assert!(want.len() > 100, "{name}: the simulator sent {} trades", want.len());
            let have = got.get(id).cloned().unwrap_or_default();
            let unique: BTreeSet<u64> = have.iter().copied().collect();
            assert_eq!(unique.len(), have.len(), "{name} {id}: no trade twice");
            // Gemini's first book repeats recent trades, which may predate the stream.
            let extra = have.len() - have.iter().filter(|t| want.contains(t)).count();
            assert!(extra <= if *venue == Venue::Gemini { 5 } else { 0 }, "{name} {id}: {extra} unexpected trades");
            assert!(want.iter().all(|t| unique.contains(t)), "{name} {id}: every trade sent arrives");
        }
        // Books: equal to the quiet simulator's.
        let rebuilt = books(&rd, &format!("{name}.book"));
        for (k, sym) in symbols.iter().enumerate() {
            let body = http_get(addr, &format!("/sim/book?symbol={sym}"));
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
    let _ = std::fs::remove_dir_all(&dir);
}
