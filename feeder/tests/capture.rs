//! Capture files: entries round-trip; a cut or damaged file is reported with the offset of the
//! first bad entry and every entry before it stays readable.

// Test helpers outside #[test] functions panic on failure by design.
#![allow(clippy::unwrap_used)]

use mdbus_feeder::capture::{self, CaptureError, CaptureWriter, Entry, Meta, MetaInstrument};

fn sample() -> (Vec<u8>, Vec<Entry>) {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("mdbus-capture-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("t.cap");
    let meta = Meta {
        feed: "f".into(),
        venue: "okx".into(),
        market: "spot".into(),
        instruments: vec![MetaInstrument { id: 1, symbol: "BTC-USDT".into(), price_exp: -2, qty_exp: -5 }],
        channels: vec!["trade".into(), "depth".into()],
    };
    let mut w = CaptureWriter::create(&path, &meta).unwrap();
    let mut entries = vec![Entry::Connected { recv_ns: 5 }];
    for i in 0..3000u64 {
        entries.push(Entry::Frame { recv_ns: 10 + i, binary: i % 7 == 0, bytes: format!("frame {i}").into_bytes() });
        if i % 100 == 0 {
            entries.push(Entry::Snapshot { recv_ns: 11 + i, symbol: "BTC-USDT".into(), body: vec![b'x'; 40] });
        }
        entries.push(Entry::Record { ring: 2, bytes: vec![(i % 251) as u8; 64] });
        if i == 1500 {
            // The venue's precision changed mid-recording.
            entries.push(Entry::Relisted {
                recv_ns: 11 + i,
                index: 0,
                instrument: MetaInstrument { id: 7, symbol: "BTC-USDT".into(), price_exp: -3, qty_exp: -5 },
            });
        }
    }
    entries.push(Entry::Disconnected { recv_ns: 99_999 });
    for e in &entries {
        w.write(e).unwrap();
    }
    w.finish().unwrap();
    let data = std::fs::read(&path).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    (data, entries)
}

#[test]
fn entries_round_trip_with_the_index_and_trailer() {
    let (data, entries) = sample();
    let c = capture::parse(&data).unwrap();
    assert!(c.complete);
    assert!(c.damage.is_none());
    assert_eq!(c.meta.instruments[0].symbol, "BTC-USDT");
    assert_eq!(c.layout_hash, mdbus_schemas::LAYOUT_HASH);
    assert_eq!(c.entries, entries);
}

#[test]
fn cuts_and_flips_are_reported_and_the_prefix_is_kept() {
    let (data, entries) = sample();
    for cut in [data.len() - 1, data.len() - 3, data.len() - 28, data.len() - 40, data.len() / 2, 200] {
        // (data.len() - 28 ends exactly after the index entry: no trailer.)
        let c = capture::parse(&data[..cut]).unwrap();
        assert!(!c.complete, "cut at {cut}");
        let Some(CaptureError::Damaged { offset, .. }) = c.damage else { panic!("cut at {cut}: {:?}", c.damage) };
        assert!(offset as usize <= cut, "cut at {cut}: {offset}");
        assert_eq!(c.entries[..], entries[..c.entries.len()], "cut at {cut}");
    }
    for at in [data.len() / 3, data.len() / 2, data.len() - 100] {
        let mut bad = data.clone();
        bad[at] ^= 0x21;
        let c = capture::parse(&bad).unwrap();
        let Some(CaptureError::Damaged { offset, .. }) = c.damage else { panic!("flip at {at}: {:?}", c.damage) };
        assert!(offset as usize <= at, "flip at {at}: {offset}");
        assert_eq!(c.entries[..], entries[..c.entries.len()], "flip at {at}");
    }
    assert!(matches!(capture::parse(&data[..10]), Err(CaptureError::Header(_))));
    let mut h = data.clone();
    h[20] ^= 1;
    assert!(matches!(capture::parse(&h), Err(CaptureError::Header(_))));
}
