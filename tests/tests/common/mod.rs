//! What the end-to-end tests share: scratch directories, reading a ring from its oldest record,
//! rebuilding books from a book ring as a consumer would, and a small HTTP GET.
#![allow(dead_code, unreachable_pub)]

use std::{
    collections::BTreeMap,
    io::{Read, Write},
    path::{Path, PathBuf},
    time::Duration,
};

use mdbus_bus::{ReadError, Reader, RingDir, Start};
use mdbus_schemas::{BookDelta, Kind, Marker, MarkerCode, flags};

/// A fresh directory under `/dev/shm` (or the temp directory), removed when dropped.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(tag: &str) -> Scratch {
        let base = if Path::new("/dev/shm").is_dir() { PathBuf::from("/dev/shm") } else { std::env::temp_dir() };
        let p = base.join(format!("mdbus-test-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Scratch(p)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Every record of ring `name`, oldest first; the rings of these tests never overrun.
pub fn read_all(dir: &RingDir, name: &str) -> Vec<Vec<u8>> {
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

/// Bids and asks by price.
pub type Book = (BTreeMap<i64, i64>, BTreeMap<i64, i64>);

/// Rebuilds every instrument's book from a book ring's records: a `resync_start` marker or the
/// first level of a snapshot clears it. Returns the markers in order, the books, and each
/// instrument's last applied update id.
pub fn rebuild_books(records: &[Vec<u8>]) -> (Vec<MarkerCode>, BTreeMap<u32, Book>, BTreeMap<u32, u64>) {
    let mut last = BTreeMap::new();
    let mut markers = Vec::new();
    let mut books: BTreeMap<u32, Book> = BTreeMap::new();
    let mut snapshotting: BTreeMap<u32, bool> = BTreeMap::new();
    for b in records {
        let h = mdbus_schemas::read_header(b).unwrap();
        let book = books.entry(h.instrument.0).or_default();
        if h.kind == Kind::MARKER {
            let m = <Marker as zerocopy::FromBytes>::read_from_bytes(&b[..64]).unwrap();
            markers.push(m.code);
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
        last.insert(h.instrument.0, d.header.venue_seq);
    }
    (markers, books, last)
}

/// Steps `w` until what it will ever publish about a bounded simulated market is in its rings:
/// the market is quiet, every book of every feed is in sync, and nothing has been published
/// for 300 ms. Returns `false` if that did not happen within `limit` (a book stuck out of sync).
pub fn settle(w: &mut mdbus_feeder::engine::Worker, sim: &mdbus_sim::Sim, limit: Duration) -> bool {
    let until = std::time::Instant::now() + limit;
    let frames = |w: &mdbus_feeder::engine::Worker| w.status().iter().map(|(_, s)| s.feed.records).sum::<u64>();
    let in_sync = |w: &mdbus_feeder::engine::Worker| w.status().iter().all(|(_, s)| s.books_live == s.books);
    let (mut seen, mut still_since) = (frames(w), std::time::Instant::now());
    while std::time::Instant::now() < until {
        w.step();
        let now = frames(w);
        if now != seen {
            (seen, still_since) = (now, std::time::Instant::now());
        } else if sim.is_quiet() && in_sync(w) && still_since.elapsed() >= Duration::from_millis(300) {
            return true;
        }
    }
    false
}

/// Starts `mdbus sim` with `args` (add `--port 0`) and returns the process and the address it
/// listens on (from its first output line).
pub fn spawn_sim(mdbus: &str, args: &[&str], extra: &[&std::ffi::OsStr]) -> (std::process::Child, String) {
    use std::io::BufRead;
    let mut sim = std::process::Command::new(mdbus)
        .arg("sim")
        .args(args)
        .args(extra)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(sim.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line.split("ws://").nth(1).and_then(|r| r.split('/').next()).unwrap().to_owned();
    (sim, addr)
}

/// The body of `GET path` from `addr` (read up to its Content-Length).
pub fn http_get(addr: &str, path: &str) -> String {
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
