//! The subscriber: records with instruments resolved, overruns reported, bad rings refused.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use mdbus_bus::{RingDir, RingOptions, Start};
use mdbus_schemas::{Instrument, InstrumentId, InstrumentTable, Kind, Quote, RecordView, Symbol, VenueId};
use mdbus_sdk::subscriber::{Event, SubscribeError, Subscriber};

fn dir(name: &str) -> RingDir {
    let d = RingDir::new(std::env::temp_dir().join(format!("mdbus-sub-{name}-{}", std::process::id())));
    let _ = std::fs::remove_dir_all(d.path());
    d
}

fn quote(inst: u32, bid: i64) -> Quote {
    let mut q = Quote { bid_px: bid, ask_px: bid + 1, ..Quote::default() };
    q.header.instrument = InstrumentId(inst);
    q
}

#[test]
fn records_come_with_their_instrument() {
    let d = dir("inst");
    let mut table = InstrumentTable::default();
    table
        .insert(Instrument::new(InstrumentId(1), VenueId::BINANCE_SPOT, Symbol::new("BTCUSDT").unwrap(), -2, -5))
        .unwrap();
    d.save_instruments(&table).unwrap();
    let mut w = d.writer("q.quote", Kind::QUOTE, &RingOptions::default().capacity(64)).unwrap();
    let mut sub = Subscriber::open_in(&d, "q.quote", Start::Head).unwrap();
    w.publish(&quote(1, 6_500_000)).unwrap();
    w.publish(&quote(2, 7)).unwrap();
    let mut got = Vec::new();
    while got.len() < 2 {
        match sub.next_timeout(Duration::from_secs(5)).unwrap().unwrap() {
            Event::Record { view: RecordView::Quote(q), instrument } => {
                got.push((q.bid_px, instrument.map(|i| (i.symbol.to_string(), i.price(q.bid_px).to_string()))))
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(got, [(6_500_000, Some(("BTCUSDT".into(), "65000.00".into()))), (7, None)]);
    assert!(sub.next_timeout(Duration::from_millis(20)).unwrap().is_none());
    assert_eq!(sub.instrument(InstrumentId(1)).unwrap().price_exp, -2);
    std::fs::remove_dir_all(d.path()).unwrap();
}

#[test]
fn a_lapped_subscriber_hears_how_much_it_lost() {
    let d = dir("lap");
    let mut w = d.writer("lap.quote", Kind::QUOTE, &RingOptions::default().capacity(16)).unwrap();
    let mut sub = Subscriber::open_in(&d, "lap.quote", Start::Head).unwrap();
    for i in 0..100 {
        w.publish(&quote(0, i)).unwrap();
    }
    let mut lost = 0;
    let mut last = None;
    while let Some(ev) = sub.poll().unwrap() {
        match ev {
            Event::Lost { lost: n } => lost += n,
            Event::Record { view: RecordView::Quote(q), .. } => last = Some(q.bid_px),
            Event::Record { .. } => {}
            _ => {}
        }
    }
    assert!(lost > 0);
    assert_eq!(sub.lost(), lost);
    assert_eq!(last, Some(99));
    std::fs::remove_dir_all(d.path()).unwrap();
}

#[test]
fn missing_ring_and_damaged_table_are_typed_errors() {
    let d = dir("bad");
    let err = Subscriber::open_in(&d, "nope.quote", Start::Head).unwrap_err();
    assert!(matches!(&err, SubscribeError::Open { name, .. } if name == "nope.quote"), "{err}");
    let _w = d.writer("ok.quote", Kind::QUOTE, &RingOptions::default().capacity(16)).unwrap();
    std::fs::write(d.path().join(mdbus_bus::INSTRUMENTS_FILE), b"garbage").unwrap();
    let err = Subscriber::open_in(&d, "ok.quote", Start::Head).unwrap_err();
    assert!(matches!(err, SubscribeError::Instruments(_)), "{err}");
    std::fs::remove_dir_all(d.path()).unwrap();
}

/// A quote as a bridge's sending side hands it over: its sequence number in the first word.
fn mirrored(seq: u64, bid: i64) -> Vec<u8> {
    let mut b = zerocopy::IntoBytes::as_bytes(&quote(1, bid)).to_vec();
    b[..8].copy_from_slice(&seq.to_le_bytes());
    b
}

#[test]
fn records_lost_before_the_ring_are_one_lost_event_per_run_wherever_the_subscriber_joins() {
    let d = dir("gaps");
    let opts = RingOptions::default().capacity(64).mirror(true);
    let mut w = d.writer("m.quote", Kind::QUOTE, &opts).unwrap();
    // 0 and 1 arrive, 2..=5 are lost on the way, 6 arrives, 7 is lost, 8 arrives.
    for seq in [0, 1, 6, 8] {
        w.publish_mirrored(seq, &mirrored(seq, seq as i64 * 10)).unwrap();
    }
    let events = |start| {
        let mut sub = Subscriber::open_in(&d, "m.quote", start).unwrap();
        let mut out = Vec::new();
        while let Some(e) = sub.poll().unwrap() {
            out.push(match e {
                Event::Lost { lost } => format!("lost {lost}"),
                Event::Record { view: RecordView::Quote(q), .. } => format!("bid {}", q.bid_px),
                other => format!("{other:?}"),
            });
        }
        (out, sub.lost())
    };
    let (all, lost) = events(Start::Oldest);
    assert_eq!(all, ["bid 0", "bid 10", "lost 4", "bid 60", "lost 1", "bid 80"]);
    assert_eq!(lost, 5);
    // Joining in the middle of a run: the rest of it.
    let (late, lost) = events(Start::Seq(4));
    assert_eq!(late, ["lost 2", "bid 60", "lost 1", "bid 80"]);
    assert_eq!(lost, 3);
    let _ = std::fs::remove_dir_all(d.path());
}
