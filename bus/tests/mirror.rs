//! A mirror writer: records at the mirrored ring's sequence numbers, lost records as counted
//! gap markers, restarts without a start marker of its own.
// Test helpers outside #[test] functions panic on failure by design.
#![allow(clippy::unwrap_used)]

mod util;

use mdbus_bus::{Mirrored, PublishError, ReadError, Reader, RingOptions, Start, Writer};
use mdbus_schemas::{Kind, Marker, MarkerCode, Trade};
use util::TempDir;
use zerocopy::IntoBytes;

/// A trade as a source ring's reader hands it out: its sequence number in the first word.
fn source_record(seq: u64) -> Vec<u8> {
    let mut bytes = Trade { price: seq as i64, ..Trade::default() }.as_bytes().to_vec();
    bytes[..8].copy_from_slice(&seq.to_le_bytes());
    bytes
}

/// What a reader of the mirror finds: each record's sequence and either its price or, for a
/// ring-wide gap marker, the count it carries; and the records it was told it lost.
#[derive(Debug, Default)]
struct Seen {
    records: Vec<(u64, i64)>,
    gaps: Vec<(u64, u64)>,
    overrun: u64,
}

fn read_all(r: &mut Reader) -> Seen {
    let mut seen = Seen::default();
    loop {
        match r.try_read() {
            Ok(rec) => {
                if let Some(t) = rec.get::<Trade>() {
                    seen.records.push((rec.seq(), t.price));
                } else if let Some(m) = rec.get::<Marker>() {
                    assert_eq!((m.code, m.header.instrument.0), (MarkerCode::GAP, 0), "only gap markers");
                    seen.gaps.push((rec.seq(), m.detail));
                }
            }
            Err(ReadError::Overrun { lost }) => seen.overrun += lost,
            Err(ReadError::Empty) => return seen,
        }
    }
}

/// A reader's exact loss: what overruns told it, plus the count of the first marker of each
/// run of gap markers it read.
fn loss(seen: &Seen) -> u64 {
    let mut total = seen.overrun;
    let mut prev: Option<(u64, u64)> = None;
    for &(seq, detail) in &seen.gaps {
        if prev.is_none_or(|(s, d)| seq != s + 1 || detail + 1 != d) {
            total += detail;
        }
        prev = Some((seq, detail));
    }
    total
}

#[test]
fn a_mirror_keeps_sequence_numbers_and_counts_every_lost_record() {
    let dir = TempDir::new("mirror");
    let p = dir.path().join("m.ring");
    let opts = RingOptions::default().capacity(16).mirror(true);
    let mut w = Writer::open_or_create(&p, Kind::TRADE, &opts).unwrap();
    assert_eq!(w.head(), 0, "a mirror publishes no start marker of its own");
    let mut r = Reader::open_at(&p, Start::Oldest).unwrap();
    // 5..=7 arrive, then 8 and 9 are lost, then 10..=11.
    for seq in [5, 6, 7, 10, 11] {
        let out = w.publish_mirrored(seq, &source_record(seq)).unwrap();
        let missed = match seq {
            5 => 5,
            10 => 2,
            _ => 0,
        };
        assert_eq!(out, Mirrored::Published { missed }, "at {seq}");
    }
    assert_eq!(w.publish_mirrored(6, &source_record(6)).unwrap(), Mirrored::Duplicate);
    let seen = read_all(&mut r);
    assert_eq!(seen.records, [(5, 5), (6, 6), (7, 7), (10, 10), (11, 11)]);
    assert_eq!(seen.gaps, [(0, 5), (1, 4), (2, 3), (3, 2), (4, 1), (8, 2), (9, 1)]);
    assert_eq!(loss(&seen), 7);

    // A reader that starts inside a run learns how many of it are left.
    r.seek(Start::Seq(3)).unwrap();
    assert_eq!(loss(&read_all(&mut r)), 2 + 2);
}

#[test]
fn a_run_longer_than_the_ring_is_counted_exactly_by_every_reader() {
    let dir = TempDir::new("mirror-long");
    let p = dir.path().join("m.ring");
    let opts = RingOptions::default().capacity(16).mirror(true);
    let mut w = Writer::open_or_create(&p, Kind::TRADE, &opts).unwrap();
    w.publish_mirrored(0, &source_record(0)).unwrap();
    let mut caught_up = Reader::open_at(&p, Start::Head).unwrap();
    let mut behind = Reader::open_at(&p, Start::Oldest).unwrap();
    assert_eq!(w.publish_mirrored(1000, &source_record(1000)).unwrap(), Mirrored::Published { missed: 999 });
    let seen = read_all(&mut caught_up);
    assert_eq!(seen.records.last(), Some(&(1000, 1000)));
    assert_eq!(loss(&seen), 999, "{seen:?}");
    let seen = read_all(&mut behind);
    assert_eq!(seen.records.first(), Some(&(1000, 1000)), "record 0 was overwritten: {seen:?}");
    assert_eq!(loss(&seen), 1000, "record 0 and the 999 lost on the way: {seen:?}");
}

#[test]
fn a_restarted_mirror_goes_on_at_the_sequence_it_reached() {
    let dir = TempDir::new("mirror-restart");
    let p = dir.path().join("m.ring");
    let opts = RingOptions::default().capacity(64).mirror(true);
    let mut w = Writer::open_or_create(&p, Kind::TRADE, &opts).unwrap();
    for seq in 0..10 {
        w.publish_mirrored(seq, &source_record(seq)).unwrap();
    }
    drop(w);
    let mut w = Writer::open_or_create(&p, Kind::TRADE, &opts).unwrap();
    assert_eq!((w.head(), w.generation()), (10, 2), "no start marker, a new generation");
    assert_eq!(w.publish_mirrored(9, &source_record(9)).unwrap(), Mirrored::Duplicate);
    assert_eq!(w.publish_mirrored(12, &source_record(12)).unwrap(), Mirrored::Published { missed: 2 });
}

#[test]
fn a_mirrored_record_must_fit_and_be_whole_words() {
    let dir = TempDir::new("mirror-bad");
    let opts = RingOptions::default().capacity(16).mirror(true);
    let mut w = Writer::open_or_create(dir.path().join("m.ring"), Kind::QUOTE, &opts).unwrap();
    let big = vec![0u8; 4096];
    assert!(matches!(w.publish_mirrored(0, &big), Err(PublishError::TooLarge { size: 4096, .. })));
    assert!(matches!(w.publish_mirrored(0, &[0u8; 20]), Err(PublishError::TooLarge { size: 20, .. })));
    assert_eq!(w.publish_mirrored(u64::MAX, &[0u8; 64]), Err(PublishError::BadSequence { seq: u64::MAX }));
    assert_eq!(w.head(), 0, "nothing written");
}
