//! Writer restarts, the writer lock, liveness, listing and file modes.
// Test helpers outside #[test] functions panic on failure by design.
#![allow(clippy::unwrap_used)]

mod util;

use std::os::unix::fs::PermissionsExt;

use mdbus_bus::{OpenError, ReadError, Reader, RingDir, RingOptions, Start, Writer};
use mdbus_schemas::{Kind, Marker, MarkerCode, Trade};
use util::{TempDir, patch_word, read_word};

fn trade(p: i64) -> Trade {
    Trade { price: p, ..Trade::default() }
}

#[test]
fn restarted_writer_continues_the_sequence_and_bumps_the_generation() {
    let dir = TempDir::new("restart");
    let p = dir.path().join("r.ring");
    let opts = RingOptions::default().capacity(64);
    let mut w = Writer::open_or_create(&p, Kind::TRADE, &opts).unwrap();
    let mut r = Reader::open_at(&p, Start::Oldest).unwrap();
    for i in 0..10 {
        w.publish(&trade(i)).unwrap();
    }
    let head = w.head();
    drop(w);
    let mut w = Writer::open_or_create(&p, Kind::TRADE, &opts).unwrap();
    assert_eq!(w.generation(), 2);
    assert_eq!(w.head(), head + 1, "the restart marker took the next sequence");
    w.publish(&trade(10)).unwrap();

    let mut seqs = Vec::new();
    let mut prices = Vec::new();
    let mut starts = Vec::new();
    loop {
        match r.try_read() {
            Ok(rec) => {
                seqs.push(rec.seq());
                if let Some(m) = rec.get::<Marker>() {
                    assert_eq!(m.code, MarkerCode::WRITER_STARTED);
                    starts.push(m.detail);
                } else {
                    prices.push(rec.get::<Trade>().unwrap().price);
                }
            }
            Err(ReadError::Empty) => break,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(seqs, (0..seqs.len() as u64).collect::<Vec<_>>(), "no gap, no duplicate");
    assert_eq!(prices, (0..=10).collect::<Vec<_>>());
    assert_eq!(starts, vec![1, 2]);
    assert_eq!(r.generation(), (2, true));
    assert_eq!(r.generation(), (2, false));
}

#[test]
fn a_slot_published_before_the_head_moved_is_kept_after_a_crash() {
    let dir = TempDir::new("crash-head");
    let p = dir.path().join("c.ring");
    let opts = RingOptions::default().capacity(16);
    let mut w = Writer::open_or_create(&p, Kind::TRADE, &opts).unwrap();
    for i in 0..5 {
        w.publish(&trade(i)).unwrap();
    }
    let head = w.head();
    drop(w);
    // Simulate a writer that died after committing record `head - 1` but before storing the
    // head: the next writer must not overwrite that record.
    patch_word(&p, 48, head - 1);
    let w = Writer::open_or_create(&p, Kind::TRADE, &opts).unwrap();
    assert_eq!(w.head(), head + 1);
    let mut r = Reader::open_at(&p, Start::Seq(head - 1)).unwrap();
    assert_eq!(r.try_read().unwrap().get::<Trade>().unwrap().price, 4);
    assert!(r.try_read().unwrap().get::<Marker>().is_some());
}

#[test]
fn a_second_live_writer_is_refused() {
    let dir = TempDir::new("two-writers");
    let p = dir.path().join("t.ring");
    let opts = RingOptions::default().capacity(16);
    let w = Writer::open_or_create(&p, Kind::TRADE, &opts).unwrap();
    let err = Writer::open_or_create(&p, Kind::TRADE, &opts).unwrap_err();
    assert!(matches!(err, OpenError::WriterAlive { pid } if pid == u64::from(std::process::id())));
    let r = Reader::open(&p).unwrap();
    assert!(r.writer_alive());
    assert_eq!(r.writer_pid(), u64::from(std::process::id()));
    drop(w);
    assert!(!r.writer_alive(), "the lock goes with the writer");
    assert!(Writer::open_or_create(&p, Kind::TRADE, &opts).is_ok());
}

#[test]
fn heartbeat_age_grows_while_the_writer_is_quiet() {
    let dir = TempDir::new("heartbeat");
    let p = dir.path().join("h.ring");
    let w = Writer::open_or_create(&p, Kind::TRADE, &RingOptions::default().capacity(16)).unwrap();
    let r = Reader::open(&p).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    assert!(r.heartbeat_age_ns() >= 20_000_000);
    w.heartbeat();
    assert!(r.heartbeat_age_ns() < 20_000_000);
}

#[test]
fn files_get_the_configured_mode() {
    let dir = TempDir::new("mode");
    let p = dir.path().join("sub/m.ring");
    let _w = Writer::open_or_create(&p, Kind::TRADE, &RingOptions::default().capacity(16)).unwrap();
    assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o640);
    assert_eq!(std::fs::metadata(p.parent().unwrap()).unwrap().permissions().mode() & 0o777, 0o750);
    let p2 = dir.path().join("m2.ring");
    let _w2 = Writer::open_or_create(&p2, Kind::TRADE, &RingOptions::default().capacity(16).mode(0o600)).unwrap();
    assert_eq!(std::fs::metadata(&p2).unwrap().permissions().mode() & 0o777, 0o600);
}

#[test]
fn listing_shows_every_ring_and_its_state() {
    let dir = TempDir::new("list");
    let rd = RingDir::new(dir.path());
    let mut w = rd.writer("a.trade", Kind::TRADE, &RingOptions::default().capacity(32)).unwrap();
    for i in 0..3 {
        w.publish(&trade(i)).unwrap();
    }
    drop(rd.writer("b.quote", Kind::QUOTE, &RingOptions::default().capacity(8)).unwrap());
    std::fs::write(dir.path().join("c.ring"), b"junk").unwrap();
    std::fs::write(dir.path().join("notes.txt"), b"not a ring").unwrap();
    let list = rd.list().unwrap();
    let names: Vec<_> = list.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["a.trade", "b.quote", "c"]);
    let a = list[0].info.as_ref().unwrap();
    assert_eq!((a.kind, a.capacity, a.head, a.generation, a.writer_alive), (Kind::TRADE, 32, 4, 1, true));
    let b = list[1].info.as_ref().unwrap();
    assert_eq!((b.kind, b.record_size, b.writer_alive), (Kind::QUOTE, 128, false));
    assert!(matches!(list[2].info, Err(OpenError::Truncated { .. })));
    assert!(RingDir::new(dir.path().join("missing")).list().unwrap().is_empty());
    assert_eq!(read_word(&rd.ring_path("a.trade").unwrap(), 48), 4);
}

#[test]
fn ring_dir_resolution_prefers_explicit_then_environment() {
    assert_eq!(RingDir::resolve(Some(std::path::Path::new("/x"))).path(), std::path::Path::new("/x"));
    // The environment is process-wide; only read it here, never set it.
    let expected = match std::env::var_os("MDBUS_DIR") {
        Some(v) if !v.is_empty() => std::path::PathBuf::from(v),
        _ => std::path::PathBuf::from("/dev/shm/mdbus"),
    };
    assert_eq!(RingDir::resolve(None).path(), expected);
}

#[test]
fn instrument_table_lives_beside_the_rings() {
    use mdbus_schemas::{Instrument, InstrumentId, InstrumentTable, Symbol, VenueId};
    let dir = TempDir::new("instruments");
    let rd = RingDir::new(dir.path());
    assert!(rd.load_instruments().unwrap().is_none());
    let mut t = InstrumentTable::default();
    t.insert(Instrument::new(InstrumentId(1), VenueId::BINANCE_SPOT, Symbol::new("BTCUSDT").unwrap(), -2, -8)).unwrap();
    rd.save_instruments(&t).unwrap();
    assert_eq!(rd.load_instruments().unwrap().unwrap().unwrap(), t);
}
