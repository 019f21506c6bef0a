//! The receiving side against what a network may bring: announcements and records that are
//! malformed, hostile or out of order are refused with a typed error, counted, and change no
//! ring.
// Test helpers outside #[test] functions panic on failure by design.
#![allow(clippy::unwrap_used)]

use mdbus_bridge::{
    BridgeError,
    mirror::MirrorSet,
    wire::{Announce, Control, WireError, push_record, stream_of},
};
use mdbus_bus::{MAX_CAPACITY, ReadError, RingDir, Start};
use mdbus_schemas::{Kind, Trade};
use zerocopy::IntoBytes;

fn scratch(tag: &str) -> RingDir {
    let p = std::env::temp_dir().join(format!("mdbus-bridge-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    RingDir::new(p)
}

fn announce(name: &str) -> Announce {
    Announce {
        name: name.into(),
        stream: stream_of(name),
        kind: Kind::TRADE,
        record_size: 128,
        capacity: 64,
        created_ns: 7,
    }
}

/// A message of one trade.
fn record(seq: u64, price: i64) -> Vec<u8> {
    let mut b = Trade { price, ..Trade::default() }.as_bytes().to_vec();
    b[..8].copy_from_slice(&seq.to_le_bytes());
    batch(&b)
}

/// A message of one record of these bytes.
fn batch(rec: &[u8]) -> Vec<u8> {
    let mut m = Vec::new();
    push_record(&mut m, rec);
    m
}

#[test]
fn hostile_messages_are_typed_errors_and_the_mirror_goes_on() {
    let dir = scratch("hostile");
    let mut set = MirrorSet::new(dir.clone());
    let a = announce("x.trade");
    assert_eq!(set.control(&Control::Announce(a.clone()).to_bytes()).unwrap(), Some(a.stream));
    assert_eq!(set.control(&Control::Announce(a.clone()).to_bytes()).unwrap(), None, "announced once");

    // Garbage, a record on a stream nobody announced, records that do not fit.
    assert!(matches!(set.control(b"hello"), Err(BridgeError::Wire(WireError::BadMagic))));
    assert!(matches!(set.control(b"MDB"), Err(BridgeError::Wire(WireError::Short { .. }))));
    assert!(matches!(set.record(12345, &record(0, 1)), Err(BridgeError::UnknownStream(12345))));
    assert!(matches!(set.record(a.stream, &[0u8; 4]), Err(BridgeError::Wire(WireError::Short { len: 4, need: 8 }))));
    assert!(matches!(set.record(a.stream, &batch(&[0u8; 12])), Err(BridgeError::Wire(WireError::Short { .. }))));
    assert!(matches!(set.record(a.stream, &batch(&[0u8; 20])), Err(BridgeError::Wire(WireError::Ragged(20)))));
    assert!(matches!(set.record(a.stream, &batch(&[0u8; 4096])), Err(BridgeError::Publish { .. })));
    let mut lying = batch(&[0u8; 16]);
    lying[..4].copy_from_slice(&1000u32.to_le_bytes());
    assert!(matches!(set.record(a.stream, &lying), Err(BridgeError::Wire(WireError::Short { need: 1008, .. }))));
    // A damaged instrument table is refused and nothing is written beside the rings.
    assert!(matches!(set.control(&Control::Instruments(vec![1, 2, 3]).to_bytes()), Err(BridgeError::Table(_))));
    assert!(!dir.path().join(mdbus_bus::INSTRUMENTS_FILE).exists());
    // A ring the mirror cannot make: a capacity beyond any ring's.
    let mut huge = announce("y.trade");
    huge.capacity = MAX_CAPACITY * 2;
    assert!(matches!(set.control(&Control::Announce(huge).to_bytes()), Err(BridgeError::Open(_))));
    // Another ring's name on a stream already taken.
    let mut clash = announce("z.trade");
    clash.stream = a.stream;
    assert!(matches!(set.control(&Control::Announce(clash).to_bytes()), Err(BridgeError::StreamClash { .. })));

    // Through all that, the good records land and are counted; the bad ones are counted too.
    set.record(a.stream, &record(0, 10)).unwrap();
    set.record(a.stream, &record(1, 11)).unwrap();
    let ring = set.rings().next().unwrap();
    assert_eq!((ring.stats.received, ring.stats.malformed), (2, 5));
    let mut r = dir.reader("x.trade", Start::Oldest).unwrap();
    for price in [10, 11] {
        assert_eq!(r.try_read().unwrap().get::<Trade>().unwrap().price, price);
    }
    assert_eq!(r.try_read().err(), Some(ReadError::Empty));
    let _ = std::fs::remove_dir_all(dir.path());
}

#[test]
fn a_sending_ring_made_anew_makes_its_mirror_anew() {
    let dir = scratch("anew");
    let a = announce("x.trade");
    {
        let mut set = MirrorSet::new(dir.clone());
        set.control(&Control::Announce(a.clone()).to_bytes()).unwrap();
        for seq in 0..10 {
            set.record(a.stream, &record(seq, seq as i64)).unwrap();
        }
    }
    // A receiver restarted after the sending ring was made anew (its sequence numbers start
    // again at 0): the mirror starts again too, rather than taking them all for duplicates.
    let mut set = MirrorSet::new(dir.clone());
    let mut anew = a.clone();
    anew.created_ns = 8;
    set.control(&Control::Announce(anew.clone()).to_bytes()).unwrap();
    set.record(a.stream, &record(0, 100)).unwrap();
    assert_eq!(set.rings().next().unwrap().head(), 1);
    // And while running, the same.
    anew.created_ns = 9;
    set.control(&Control::Announce(anew).to_bytes()).unwrap();
    set.record(a.stream, &record(0, 200)).unwrap();
    let mut r = dir.reader("x.trade", Start::Oldest).unwrap();
    assert_eq!(r.try_read().unwrap().get::<Trade>().unwrap().price, 200);
    let _ = std::fs::remove_dir_all(dir.path());
}
