//! The book table: a reader copies one instrument's book consistent as of one update while the
//! writer rewrites it as fast as it can; states, heartbeat staleness, relisting, damaged files.

#![allow(clippy::unwrap_used)]

mod util;

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use mdbus_bus::{BookCopy, BookState, BookTable, BookTableWriter, BookUpdate, OpenError};
use mdbus_schemas::{InstrumentId, Nanos};
use util::TempDir;

/// One side of a book: (price, quantity) mantissas, best first.
type Side = Vec<(i64, i64)>;

/// Book number `k`: every field derives from `k`, so a copy mixing two updates shows.
fn levels(k: i64, depth: usize) -> (Side, Side) {
    let n = 1 + (k as usize % depth);
    let bids = (0..n as i64).map(|i| (1_000_000 + k - i, k * 10 + i)).collect();
    let asks = (0..n as i64).map(|i| (1_000_001 + k + i, k * 10 + i)).collect();
    (bids, asks)
}

fn update<'a>(k: i64, bids: &'a [(i64, i64)], asks: &'a [(i64, i64)]) -> BookUpdate<'a> {
    BookUpdate {
        state: if k % 7 == 0 { BookState::Resyncing } else { BookState::Live },
        venue_seq: k as u64,
        ring_seq: 2 * k as u64,
        venue_ts: Nanos(3 * k as u64),
        recv_ts: Nanos(4 * k as u64),
        publish_ts: Nanos(5 * k as u64),
        bids: Some(bids),
        asks: Some(asks),
    }
}

fn consistent(c: &BookCopy) -> bool {
    let k = c.venue_seq as i64;
    let (bids, asks) = levels(k, 20);
    c.ring_seq == 2 * c.venue_seq
        && c.venue_ts.0 == 3 * c.venue_seq
        && c.publish_ts.0 == 5 * c.venue_seq
        && c.bids == bids
        && c.asks == asks
}

#[test]
fn readers_never_see_a_torn_or_crossed_book() {
    let dir = TempDir::new("book-table");
    let path = dir.path().join("f.books");
    let ids = [InstrumentId(7), InstrumentId(9)];
    let w = BookTableWriter::create(&path, &ids, 20).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut k = 1i64;
            while !stop.load(Ordering::Relaxed) {
                let (b, a) = levels(k, 20);
                w.update(1, &update(k, &b, &a));
                w.heartbeat();
                k += 1;
            }
            k
        })
    };
    let t = BookTable::open(&path).unwrap();
    assert_eq!((t.depth(), t.instruments()), (20, ids.to_vec()));
    let mut c = BookCopy::default();
    let (mut reads, mut distinct, mut last) = (0, 0, 0);
    // Until enough distinct books were seen (a loaded machine may run the writer in bursts),
    // within a generous bound.
    let until = Instant::now() + Duration::from_secs(30);
    while Instant::now() < until && !(reads > 1000 && distinct > 100) {
        if t.read(InstrumentId(9), &mut c) && c.venue_seq != 0 {
            assert!(consistent(&c), "torn copy: {c:?}");
            assert!(c.bids[0].0 < c.asks[0].0, "crossed");
            assert!(c.state == Some(BookState::Live) || c.state == Some(BookState::Resyncing));
            if c.venue_seq != last {
                distinct += 1;
                last = c.venue_seq;
            }
            reads += 1;
        }
    }
    stop.store(true, Ordering::Relaxed);
    let written = writer.join().unwrap();
    assert!(reads > 1000 && distinct > 100, "{reads} reads of {distinct} updates ({written} written)");
    // The untouched slot has never been in sync.
    assert!(t.read(InstrumentId(7), &mut c));
    assert_eq!((c.state, c.bids.len()), (Some(BookState::Unsynced), 0));
    assert!(!t.read(InstrumentId(8), &mut c), "no such instrument");
}

#[test]
fn a_resync_keeps_the_last_good_levels_and_a_relisting_moves_the_slot() {
    let dir = TempDir::new("book-table-state");
    let path = dir.path().join("g.books");
    let w = BookTableWriter::create(&path, &[InstrumentId(1)], 5).unwrap();
    let (b, a) = (vec![(100, 1), (99, 2)], vec![(101, 3)]);
    w.update(0, &update(1, &b, &a));
    w.update(0, &BookUpdate { state: BookState::Resyncing, bids: None, asks: None, ..update(2, &b, &a) });
    let t = BookTable::open(&path).unwrap();
    let mut c = BookCopy::default();
    assert!(t.read(InstrumentId(1), &mut c));
    assert_eq!((c.state, c.bids.clone(), c.asks.clone()), (Some(BookState::Resyncing), b, a));
    // More levels than the depth: the best ones are kept.
    let deep: Vec<(i64, i64)> = (0..9).map(|i| (100 - i, 1)).collect();
    w.update(0, &BookUpdate { bids: Some(&deep), ..update(3, &[], &[]) });
    assert!(t.read(InstrumentId(1), &mut c));
    assert_eq!(c.bids, deep[..5]);
    // A relisting changes the slot's instrument.
    w.set_instrument(0, InstrumentId(2));
    assert!(t.read(InstrumentId(2), &mut c) && !t.read(InstrumentId(1), &mut c));
    assert!(!t.writer_stale(), "a heartbeat just now, and this process is the writer");
    drop(w);
}

/// Child side of the next test: writes a live book and exits.
#[test]
fn stale_child() {
    let Ok(path) = std::env::var("MDBUS_BOOK_TABLE_CHILD") else { return };
    let w = BookTableWriter::create(&path, &[InstrumentId(1)], 5).unwrap();
    w.update(0, &update(1, &[(100, 1)], &[(101, 1)]));
}

#[test]
fn a_table_whose_writer_died_reads_as_stale() {
    let dir = TempDir::new("book-table-stale");
    let path = dir.path().join("s.books");
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "stale_child", "--test-threads", "1"])
        .env("MDBUS_BOOK_TABLE_CHILD", &path)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    // Two missed heartbeats, and the process is gone.
    std::thread::sleep(std::time::Duration::from_millis(250));
    let t = BookTable::open(&path).unwrap();
    assert!(t.writer_stale());
    let mut c = BookCopy::default();
    assert!(t.read(InstrumentId(1), &mut c));
    assert_eq!(c.state, Some(BookState::Stale), "the last levels are there, marked stale");
    assert_eq!(c.bids, [(100, 1)]);
}

#[test]
fn damaged_tables_are_typed_errors() {
    let dir = TempDir::new("book-table-bad");
    let p = dir.path().join("b.books");
    std::fs::write(&p, b"short").unwrap();
    assert!(matches!(BookTable::open(&p), Err(OpenError::Truncated { .. })));
    std::fs::write(&p, [7u8; 4096]).unwrap();
    assert!(matches!(BookTable::open(&p), Err(OpenError::BadMagic { .. })));
    let good = dir.path().join("good.books");
    drop(BookTableWriter::create(&good, &[InstrumentId(1)], 20).unwrap());
    let bytes = std::fs::read(&good).unwrap();
    std::fs::write(&p, &bytes[..bytes.len() - 8]).unwrap();
    assert!(matches!(BookTable::open(&p), Err(OpenError::Truncated { .. })));
    let mut wrong = bytes.clone();
    wrong[16..24].copy_from_slice(&5000u64.to_le_bytes());
    std::fs::write(&p, &wrong).unwrap();
    assert!(matches!(BookTable::open(&p), Err(OpenError::BadCapacity(5000))));
    assert!(matches!(BookTableWriter::create(&p, &[], 20), Err(OpenError::BadCapacity(0))));
    assert!(matches!(BookTableWriter::create(&p, &[InstrumentId(1)], 0), Err(OpenError::BadCapacity(0))));
}

/// Child side of the next test: reads slot 1 until told to stop, checking every copy; exits
/// non-zero on a torn or crossed one, printing how many it checked.
#[test]
fn reader_child() {
    let Ok(path) = std::env::var("MDBUS_BOOK_TABLE_READER") else { return };
    let t = BookTable::open(&path).unwrap();
    let mut c = BookCopy::default();
    let (mut reads, mut distinct, mut last) = (0u64, 0u64, 0u64);
    // Until enough distinct books were seen (a loaded machine may run the writer in bursts),
    // within a generous bound.
    let until = Instant::now() + Duration::from_secs(30);
    while Instant::now() < until && !(reads > 1000 && distinct > 100) {
        if t.read(InstrumentId(9), &mut c) && c.venue_seq != 0 {
            assert!(consistent(&c), "torn copy in another process: {c:?}");
            assert!(c.bids[0].0 < c.asks[0].0, "crossed");
            reads += 1;
            if c.venue_seq != last {
                distinct += 1;
                last = c.venue_seq;
            }
        }
    }
    println!("checked {reads} copies of {distinct} updates");
}

#[test]
fn reader_processes_never_see_a_torn_book_under_load() {
    let dir = TempDir::new("book-table-procs");
    let path = dir.path().join("p.books");
    let w = BookTableWriter::create(&path, &[InstrumentId(7), InstrumentId(9)], 20).unwrap();
    let children: Vec<std::process::Child> = (0..2)
        .map(|_| {
            std::process::Command::new(std::env::current_exe().unwrap())
                .args(["--exact", "reader_child", "--nocapture", "--test-threads", "1"])
                .env("MDBUS_BOOK_TABLE_READER", &path)
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    // The writer rewrites the book as fast as it can while the readers read.
    let until = Instant::now() + Duration::from_millis(1800);
    let mut k = 1i64;
    while Instant::now() < until {
        let (b, a) = levels(k, 20);
        w.update(1, &update(k, &b, &a));
        if k % 1024 == 0 {
            w.heartbeat();
        }
        k += 1;
    }
    for child in children {
        let out = child.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(out.status.success(), "a reader process saw a torn or crossed book:\n{text}");
        let checked: u64 = text
            .split("checked ")
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        assert!(checked > 1000, "the reader process read: {text}");
    }
}
