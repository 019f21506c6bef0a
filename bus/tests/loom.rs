//! Loom model of the slot protocol over heap memory: a reader never sees a torn record, sees
//! records in order, and accounts for every record as delivered or lost.
//!
//! Run with `RUSTFLAGS="--cfg loom" cargo test -p mdbus-bus --test loom --release`
//! (`scripts/test` does, with `LOOM_MAX_PREEMPTIONS=2`).
// Test helpers outside #[test] functions panic on failure by design.
#![allow(clippy::unwrap_used)]
#![cfg(loom)]

use mdbus_bus::{HeapRing, ReadError, Start};
use mdbus_schemas::{BookDelta, Kind, Marker};

/// A 64-byte record (a book delta) whose every payload word derives from `i`, so a torn copy
/// is visible. One cache line, like the densest rings.
fn trade(i: i64) -> BookDelta {
    let mut t = BookDelta { price: i, qty: -i, ..BookDelta::default() };
    t.header.venue_seq = i as u64;
    t.header.venue_ts = mdbus_schemas::Nanos(i as u64 * 3);
    t
}

fn check(t: &BookDelta) {
    let i = t.price;
    assert_eq!(t.qty, -i, "torn record");
    assert_eq!(t.header.venue_seq, i as u64, "torn record");
    assert_eq!(t.header.venue_ts.0, i as u64 * 3, "torn record");
}

/// Writer publishes `n` records into a ring of `cap` slots while one reader reads.
fn model(cap: u64, n: i64, reads: usize) {
    loom::model(move || {
        let (mut w, ring) = HeapRing::create(Kind::BOOK_DELTA, cap).unwrap();
        let mut r = ring.reader_at(Start::Oldest);
        let writer = loom::thread::spawn(move || {
            for i in 1..=n {
                w.publish(&trade(i)).unwrap();
            }
            w.head()
        });
        let mut delivered = 0u64;
        let mut lost = 0u64;
        let mut last_seq = None;
        let mut last_price = 0;
        for _ in 0..reads {
            match r.try_read() {
                Ok(rec) => {
                    if let Some(prev) = last_seq {
                        assert!(rec.seq() > prev, "out of order");
                    }
                    last_seq = Some(rec.seq());
                    if let Some(t) = rec.get::<BookDelta>() {
                        check(t);
                        assert!(t.price > last_price, "out of order");
                        assert_eq!(rec.seq(), t.price as u64, "sequence and content disagree");
                        last_price = t.price;
                    } else {
                        assert!(rec.get::<Marker>().is_some());
                    }
                    delivered += 1;
                }
                Err(ReadError::Overrun { lost: l }) => lost += l,
                Err(ReadError::Empty) => loom::thread::yield_now(),
            }
        }
        let head = writer.join().unwrap();
        // Drain what is left after the writer finished.
        loop {
            match r.try_read() {
                Ok(rec) => {
                    if let Some(t) = rec.get::<BookDelta>() {
                        check(t);
                        assert!(t.price > last_price);
                        last_price = t.price;
                    }
                    delivered += 1;
                }
                Err(ReadError::Overrun { lost: l }) => lost += l,
                Err(ReadError::Empty) => break,
            }
        }
        assert_eq!(delivered + lost, head, "every record delivered or counted lost, once");
        assert_eq!(r.position(), head);
    });
}

#[test]
fn no_torn_or_reordered_records_without_lapping() {
    model(4, 2, 3);
}

#[test]
fn lapped_reader_counts_losses_exactly() {
    model(2, 2, 2);
}

/// The doorbell's handshake: a reader that goes to sleep on an empty ring is rung by the
/// writer's next publish (no lost wake-up), and one that the publish beat finds the record
/// instead of sleeping.
#[test]
fn a_sleeping_reader_is_always_rung() {
    loom::model(|| {
        let (mut w, ring) = HeapRing::create(Kind::BOOK_DELTA, 4).unwrap();
        let mut r = ring.reader();
        let writer = loom::thread::spawn(move || {
            w.publish(&trade(1)).unwrap();
        });
        let slept = r.wait_model();
        writer.join().unwrap();
        if let Some(v) = slept {
            assert_ne!(r.doorbell_value(), v, "a reader asleep on an empty ring was not rung by the publish");
        }
        let rec = r.try_read().unwrap();
        check(rec.get::<BookDelta>().unwrap());
    });
}
