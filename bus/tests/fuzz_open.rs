//! The open path under fuzzing: ring files truncated, grown, overwritten with random bytes or
//! corrupted header word by header word, and cells files likewise. Every open gives a ring
//! or a typed error, never a panic or a hang; a ring that opens reads without panicking.

// Test helpers outside #[test] functions panic on failure by design.
#![allow(clippy::unwrap_used)]

mod util;

use std::path::{Path, PathBuf};

use mdbus_bus::{OpenError, ReadError, Reader, RingDir, RingOptions, SharedCells, Start, Writer};
use mdbus_schemas::{Kind, Trade};
use proptest::prelude::*;
use util::TempDir;

/// The bytes of a valid trade ring of 16 slots with 40 trades in it (it has lapped).
fn valid_ring_bytes() -> Vec<u8> {
    let dir = TempDir::new("fuzz-src");
    let p = dir.path().join("src.ring");
    let mut w = Writer::open_or_create(&p, Kind::TRADE, &RingOptions::default().capacity(16)).unwrap();
    for i in 0..40 {
        w.publish(&Trade { price: i, qty: 2 * i, ..Trade::default() }).unwrap();
    }
    drop(w);
    std::fs::read(&p).unwrap()
}

fn valid_cells_bytes() -> Vec<u8> {
    let dir = TempDir::new("fuzz-cells-src");
    let p = dir.path().join("src.cells");
    let c = SharedCells::open_or_create(&p, 0xfeed, 8, 0o600).unwrap();
    c.cells()[3].store(77, std::sync::atomic::Ordering::Relaxed);
    drop(c);
    std::fs::read(&p).unwrap()
}

/// One way of damaging a file.
#[derive(Debug, Clone)]
enum Damage {
    /// Cut to this many bytes.
    Truncate(usize),
    /// These bytes appended.
    Grow(Vec<u8>),
    /// Header word `index` set to `value`.
    Word { index: usize, value: u64 },
    /// Header word `index` set to one of the values that matter to a parser.
    Edge { index: usize, pick: usize },
    /// Bytes from `at` overwritten.
    Overwrite { at: usize, bytes: Vec<u8> },
    /// The whole file replaced.
    Random(Vec<u8>),
}

const EDGES: [u64; 10] = [0, 1, 2, 3, 15, 16, 1 << 32, (1 << 62) + 1, u64::MAX, u64::MAX / 2];

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        (0usize..6000).prop_map(Damage::Truncate),
        prop::collection::vec(any::<u8>(), 1..5000).prop_map(Damage::Grow),
        (0usize..64, any::<u64>()).prop_map(|(index, value)| Damage::Word { index, value }),
        (0usize..64, 0usize..EDGES.len()).prop_map(|(index, pick)| Damage::Edge { index, pick }),
        (0usize..5200, prop::collection::vec(any::<u8>(), 1..256))
            .prop_map(|(at, bytes)| Damage::Overwrite { at, bytes }),
        prop::collection::vec(any::<u8>(), 0..9000).prop_map(Damage::Random),
    ]
}

fn apply(mut bytes: Vec<u8>, d: &[Damage]) -> Vec<u8> {
    for d in d {
        match d {
            Damage::Truncate(n) => bytes.truncate(*n),
            Damage::Grow(more) => bytes.extend_from_slice(more),
            Damage::Word { index, value } => set_word(&mut bytes, *index, *value),
            Damage::Edge { index, pick } => set_word(&mut bytes, *index, EDGES[*pick]),
            Damage::Overwrite { at, bytes: b } => {
                for (i, x) in b.iter().enumerate() {
                    if let Some(slot) = bytes.get_mut(at + i) {
                        *slot = *x;
                    }
                }
            }
            Damage::Random(r) => bytes = r.clone(),
        }
    }
    bytes
}

fn set_word(bytes: &mut [u8], index: usize, value: u64) {
    if let Some(w) = bytes.get_mut(index * 8..index * 8 + 8) {
        w.copy_from_slice(&value.to_le_bytes());
    }
}

/// Opens and, if that works, reads the ring through every start: nothing may panic.
fn exercise(path: &Path) -> Result<u64, OpenError> {
    let mut total = 0;
    for start in [Start::Oldest, Start::Head, Start::Seq(0), Start::Seq(1 << 40)] {
        let mut r = Reader::open_at(path, start)?;
        for _ in 0..64 {
            match r.try_read() {
                Ok(rec) => {
                    let _ = rec.view();
                    total += 1;
                }
                Err(ReadError::Empty) => break,
                Err(ReadError::Overrun { lost }) => total += lost,
            }
        }
        let _ = (r.lag(), r.head(), r.generation(), r.writer_alive(), r.heartbeat_age_ns());
    }
    Ok(total)
}

fn write(dir: &TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn a_damaged_ring_file_opens_or_gives_a_typed_error(d in prop::collection::vec(damage(), 1..4)) {
        let bytes = apply(valid_ring_bytes(), &d);
        let dir = TempDir::new("fuzz-ring");
        let p = write(&dir, "f.ring", &bytes);
        match exercise(&p) {
            Ok(_) => {}
            Err(e) => {
                // Every error names what is wrong.
                prop_assert!(!e.to_string().is_empty());
            }
        }
        // Listing and a writer taking over behave the same way.
        let list = RingDir::new(dir.path()).list().unwrap();
        prop_assert_eq!(list.len(), 1);
        let _ = Writer::open_or_create(&p, Kind::TRADE, &RingOptions::default().capacity(16));
    }

    #[test]
    fn a_damaged_cells_file_opens_or_gives_a_typed_error(d in prop::collection::vec(damage(), 1..4)) {
        let bytes = apply(valid_cells_bytes(), &d);
        let dir = TempDir::new("fuzz-cells");
        let p = write(&dir, "f.cells", &bytes);
        if let Ok(c) = SharedCells::open(&p, 0xfeed, 8) {
            prop_assert_eq!(c.cells().len(), 8);
        }
    }
}

#[test]
fn the_undamaged_files_open() {
    let dir = TempDir::new("fuzz-ok");
    let p = write(&dir, "ok.ring", &valid_ring_bytes());
    // 41 records (the writer's start marker, 40 trades) in 16 slots. From the oldest: 16;
    // from the head: none; from 0: 25 lost, then 16; from far ahead: none.
    assert_eq!(exercise(&p).unwrap(), 16 + 25 + 16);
    let c = write(&dir, "ok.cells", &valid_cells_bytes());
    assert_eq!(SharedCells::open(&c, 0xfeed, 8).unwrap().cells()[3].load(std::sync::atomic::Ordering::Relaxed), 77);
}
