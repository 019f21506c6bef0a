//! Every way a ring file can be wrong gives its own typed error, never a panic.
// Test helpers outside #[test] functions panic on failure by design.
#![allow(clippy::unwrap_used)]

mod util;

use mdbus_bus::{OpenError, Reader, RingOptions, Writer};
use mdbus_schemas::{Kind, LAYOUT_HASH};
use util::{TempDir, patch_word};

/// Creates a valid trade ring of 16 slots at `dir/name.ring` and returns its path.
fn valid_ring(dir: &TempDir, name: &str) -> std::path::PathBuf {
    let p = dir.path().join(format!("{name}.ring"));
    drop(Writer::open_or_create(&p, Kind::TRADE, &RingOptions::default().capacity(16)).unwrap());
    p
}

#[test]
fn missing_file_is_an_io_error_naming_the_path() {
    let dir = TempDir::new("bad-missing");
    let p = dir.path().join("nope.ring");
    let err = Reader::open(&p).unwrap_err();
    assert!(matches!(&err, OpenError::Io { path, .. } if path == &p));
    assert!(err.to_string().contains("nope.ring"));
}

#[test]
fn garbage_bytes_are_not_a_ring() {
    let dir = TempDir::new("bad-garbage");
    let p = dir.path().join("g.ring");
    let garbage: Vec<u8> = (0..8192u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    std::fs::write(&p, garbage).unwrap();
    assert!(matches!(Reader::open(&p), Err(OpenError::BadMagic { .. })));
}

#[test]
fn short_files_are_truncated() {
    let dir = TempDir::new("bad-short");
    let p = dir.path().join("s.ring");
    std::fs::write(&p, [0u8; 100]).unwrap();
    assert!(matches!(Reader::open(&p), Err(OpenError::Truncated { len: 100, expected: 4096 })));
    std::fs::write(&p, []).unwrap();
    assert!(matches!(Reader::open(&p), Err(OpenError::Truncated { len: 0, .. })));
}

#[test]
fn a_ring_cut_short_is_truncated() {
    let dir = TempDir::new("bad-cut");
    let p = valid_ring(&dir, "cut");
    let full = std::fs::metadata(&p).unwrap().len();
    std::fs::OpenOptions::new().write(true).open(&p).unwrap().set_len(full - 64).unwrap();
    match Reader::open(&p) {
        Err(OpenError::Truncated { len, expected }) => assert_eq!((len, expected), (full - 64, full)),
        other => panic!("expected Truncated, got {other:?}"),
    }
}

#[test]
fn wrong_magic() {
    let dir = TempDir::new("bad-magic");
    let p = valid_ring(&dir, "m");
    patch_word(&p, 0, 0x1234);
    assert!(matches!(Reader::open(&p), Err(OpenError::BadMagic { found: 0x1234 })));
}

#[test]
fn wrong_version() {
    let dir = TempDir::new("bad-version");
    let p = valid_ring(&dir, "v");
    patch_word(&p, 1, 99);
    assert!(matches!(Reader::open(&p), Err(OpenError::VersionMismatch { found: 99, expected: 1 })));
}

#[test]
fn wrong_layout_hash() {
    let dir = TempDir::new("bad-layout");
    let p = valid_ring(&dir, "l");
    patch_word(&p, 2, LAYOUT_HASH ^ 1);
    let err = Reader::open(&p).unwrap_err();
    assert!(
        matches!(err, OpenError::LayoutMismatch { found, expected } if found == LAYOUT_HASH ^ 1 && expected == LAYOUT_HASH)
    );
    assert!(err.to_string().contains("rebuild"));
}

#[test]
fn wrong_record_size() {
    let dir = TempDir::new("bad-size");
    let p = valid_ring(&dir, "r");
    // A trade ring's records are 128 bytes.
    patch_word(&p, 3, 64);
    assert!(matches!(Reader::open(&p), Err(OpenError::RecordSizeMismatch { found: 64, expected: 128 })));
}

#[test]
fn wrong_kind_and_capacity() {
    let dir = TempDir::new("bad-kind");
    let p = valid_ring(&dir, "k");
    patch_word(&p, 5, 77);
    assert!(matches!(Reader::open(&p), Err(OpenError::UnknownKind(77))));
    let p = valid_ring(&dir, "c");
    patch_word(&p, 4, 12);
    assert!(matches!(Reader::open(&p), Err(OpenError::BadCapacity(12))));
}

#[test]
fn not_initialised() {
    let dir = TempDir::new("bad-init");
    let p = valid_ring(&dir, "i");
    patch_word(&p, 7, 0);
    assert!(matches!(Reader::open(&p), Err(OpenError::NotInitialized)));
    // A writer holding the lock takes such a file over and initialises it afresh.
    let w = Writer::open_or_create(&p, Kind::TRADE, &RingOptions::default().capacity(16)).unwrap();
    assert_eq!(w.generation(), 1);
    assert!(Reader::open(&p).is_ok());
}

#[test]
fn a_writer_refuses_an_incompatible_or_damaged_ring() {
    let dir = TempDir::new("bad-writer");
    let p = valid_ring(&dir, "w");
    let err = Writer::open_or_create(&p, Kind::QUOTE, &RingOptions::default().capacity(16)).unwrap_err();
    assert!(matches!(err, OpenError::Incompatible { what: "kind", .. }));
    let err = Writer::open_or_create(&p, Kind::TRADE, &RingOptions::default().capacity(32)).unwrap_err();
    assert!(matches!(err, OpenError::Incompatible { what: "capacity", found: 16, requested: 32 }));
    patch_word(&p, 0, 1);
    assert!(matches!(
        Writer::open_or_create(&p, Kind::TRADE, &RingOptions::default().capacity(16)),
        Err(OpenError::BadMagic { .. })
    ));
}

#[test]
fn invalid_ring_names_are_refused() {
    let dir = mdbus_bus::RingDir::new("/tmp");
    for bad in ["", ".hidden", "a/b", "../x", "sp ace", &"x".repeat(101)] {
        assert!(matches!(dir.ring_path(bad), Err(OpenError::InvalidName(_))), "{bad:?}");
    }
}
