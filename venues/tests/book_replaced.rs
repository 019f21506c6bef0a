//! Every path that replaces a live book tells consumers first, for every venue: a consumer that
//! rebuilds the book from the ring, clearing it only on `resync_start`, holds exactly the
//! feeder's book afterwards, also when the new book is empty.
//!
//! In-stream snapshots use the venues' documented frames: Bybit's `orderbook` snapshot and its
//! `u == 1` with empty sides (delisting, pre-market, tick-size change), OKX's `books` snapshot,
//! Gemini's first `l2_updates` after a subscribe (the whole book, with recent trades). Venues
//! whose snapshots come by request (Binance spot and USD-M, Gate.io, HTX) get a second snapshot
//! while their book is live.

// Test helpers outside test functions panic on failure by design.
#![allow(clippy::unwrap_used)]

#[path = "../../feeder/tests/util/mod.rs"]
mod util;

use std::collections::BTreeMap;

use mdbus_bus::{ReadError, Reader};
use mdbus_feeder::{Feed, Levels, Venue};
use mdbus_schemas::{
    BookDelta, Decimal, Instrument, InstrumentId, Kind, Marker, MarkerCode, Nanos, Symbol, VenueId, flags,
};

/// What a consumer of the book ring holds, and the markers it saw.
#[derive(Default)]
struct Consumer {
    bids: BTreeMap<i64, i64>,
    asks: BTreeMap<i64, i64>,
    markers: Vec<MarkerCode>,
}

impl Consumer {
    /// Reads every new record: `resync_start` clears the book, deltas set or remove levels.
    fn follow(&mut self, r: &mut Reader) {
        loop {
            let rec = match r.try_read() {
                Ok(rec) => rec.bytes().to_vec(),
                Err(ReadError::Empty) => return,
                Err(ReadError::Overrun { lost }) => panic!("lost {lost}"),
            };
            let h = mdbus_schemas::read_header(&rec).unwrap();
            if h.kind == Kind::MARKER {
                let m = <Marker as zerocopy::FromBytes>::read_from_bytes(&rec[..64]).unwrap();
                self.markers.push(m.code);
                if m.code == MarkerCode::RESYNC_START {
                    self.bids.clear();
                    self.asks.clear();
                }
                continue;
            }
            let d = <BookDelta as zerocopy::FromBytes>::read_from_bytes(&rec[..64]).unwrap();
            let side = if d.header.flags & flags::ASK != 0 { &mut self.asks } else { &mut self.bids };
            if d.qty == 0 {
                side.remove(&d.price);
            } else {
                side.insert(d.price, d.qty);
            }
        }
    }

    /// Asserts the consumer's book equals the feeder's.
    fn agrees(&self, f: &Feed, what: &str) {
        let b = f.book(0).unwrap();
        let bids: BTreeMap<i64, i64> = b.bids().iter().copied().collect();
        let asks: BTreeMap<i64, i64> = b.asks().iter().copied().collect();
        assert_eq!(self.bids, bids, "{what}: bids (markers {:?})", self.markers);
        assert_eq!(self.asks, asks, "{what}: asks (markers {:?})", self.markers);
    }
}

fn feed(venue: Venue, id: VenueId, symbol: &str) -> (Feed, Reader, Vec<mdbus_bus::HeapRing>) {
    let inst = vec![Instrument::new(InstrumentId(1), id, Symbol::new(symbol).unwrap(), -2, -8)];
    let (f, readers, rings) = util::venue_feed(venue, inst);
    (f, readers.book, rings)
}

fn lv(bids: &[(&str, &str)], asks: &[(&str, &str)]) -> Levels {
    let d = |s: &str| s.parse::<Decimal>().unwrap();
    Levels {
        bids: bids.iter().map(|(p, q)| (d(p), d(q))).collect(),
        asks: asks.iter().map(|(p, q)| (d(p), d(q))).collect(),
    }
}

/// Feeds `frames` in order; after the `replace_at`-th (the replacing snapshot) the consumer
/// must have seen a `resync_start`, and after each frame it agrees with the feeder.
fn frames_replace(venue: Venue, id: VenueId, symbol: &str, frames: &[&str], replace_at: usize) {
    let (mut f, mut r, _rings) = feed(venue, id, symbol);
    let mut c = Consumer::default();
    for (i, fr) in frames.iter().enumerate() {
        f.on_frame(fr.as_bytes(), Nanos(i as u64 + 1)).unwrap();
        c.follow(&mut r);
        c.agrees(&f, &format!("{venue:?} after frame {i}"));
        if i + 1 == replace_at {
            assert!(f.book(0).unwrap().is_live(), "{venue:?}: live before the replacement");
        }
    }
    let starts = c.markers.iter().filter(|m| **m == MarkerCode::RESYNC_START).count();
    assert_eq!(starts, frames.len() - replace_at, "{venue:?}: one resync_start per replacing snapshot");
    assert!(f.book(0).unwrap().stats().replaced >= 1, "{venue:?}: counted");
    assert_eq!(c.markers.last(), Some(&MarkerCode::RESYNC_DONE), "{venue:?}: the replacement completed");
}

#[test]
fn bybit_snapshot_and_empty_u1_snapshot_replace_the_book_for_consumers() {
    for (venue, id) in
        [(mdbus_venues::BYBIT_SPOT, VenueId::BYBIT_SPOT), (mdbus_venues::BYBIT_LINEAR, VenueId::BYBIT_LINEAR)]
    {
        frames_replace(
            venue,
            id,
            "BTCUSDT",
            &[
                r#"{"topic":"orderbook.50.BTCUSDT","type":"snapshot","ts":1672304484978,"data":{"s":"BTCUSDT","b":[["16493.50","0.006"],["16493.00","0.100"]],"a":[["16611.00","0.029"],["16612.00","0.213"]],"u":18521288,"seq":7961638724},"cts":1672304484976}"#,
                r#"{"topic":"orderbook.50.BTCUSDT","type":"delta","ts":1672304484998,"data":{"s":"BTCUSDT","b":[["16493.50","0"],["16490.00","1.5"]],"a":[["16611.00","0.5"]],"u":18521289,"seq":7961638725},"cts":1672304484996}"#,
                // A snapshot again, without the levels the book had.
                r#"{"topic":"orderbook.50.BTCUSDT","type":"snapshot","ts":1672304485978,"data":{"s":"BTCUSDT","b":[["16480.00","2"]],"a":[["16620.00","3"]],"u":18521400,"seq":7961638800},"cts":1672304485976}"#,
                // Delisting, pre-market or a tick-size change: u == 1 with empty sides.
                r#"{"topic":"orderbook.50.BTCUSDT","type":"snapshot","ts":1672304486978,"data":{"s":"BTCUSDT","b":[],"a":[],"u":1,"seq":7961638900},"cts":1672304486976}"#,
            ],
            2,
        );
    }
}

#[test]
fn bybit_delta_with_u1_after_a_restart_replaces_the_book_for_consumers() {
    frames_replace(
        mdbus_venues::BYBIT_LINEAR,
        VenueId::BYBIT_LINEAR,
        "BTCUSDT",
        &[
            r#"{"topic":"orderbook.50.BTCUSDT","type":"snapshot","ts":1672304484978,"data":{"s":"BTCUSDT","b":[["16493.50","0.006"]],"a":[["16611.00","0.029"]],"u":18521288,"seq":7961638724},"cts":1672304484976}"#,
            r#"{"topic":"orderbook.50.BTCUSDT","type":"delta","ts":1672304486978,"data":{"s":"BTCUSDT","b":[["16400.00","1"]],"a":[],"u":1,"seq":7961638900},"cts":1672304486976}"#,
        ],
        1,
    );
}

#[test]
fn okx_snapshot_resent_while_live_replaces_the_book_for_consumers() {
    frames_replace(
        mdbus_venues::OKX,
        VenueId::OKX,
        "BTC-USDT",
        &[
            r#"{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"snapshot","data":[{"asks":[["8476.98","415","0","13"],["8477.00","7","0","2"]],"bids":[["8476.97","256","0","12"]],"ts":"1597026383085","checksum":0,"prevSeqId":-1,"seqId":123456}]}"#,
            r#"{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{"asks":[["8476.98","0","0","0"]],"bids":[["8476.90","3","0","1"]],"ts":"1597026383185","checksum":0,"prevSeqId":123456,"seqId":123457}]}"#,
            r#"{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"snapshot","data":[{"asks":[["8480.00","1","0","1"]],"bids":[["8470.00","2","0","1"]],"ts":"1597026384085","checksum":0,"prevSeqId":-1,"seqId":123500}]}"#,
            r#"{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"snapshot","data":[{"asks":[],"bids":[],"ts":"1597026385085","checksum":0,"prevSeqId":-1,"seqId":123600}]}"#,
        ],
        2,
    );
}

#[test]
fn gemini_whole_book_resent_after_a_subscribe_replaces_the_book_for_consumers() {
    frames_replace(
        mdbus_venues::GEMINI,
        VenueId::GEMINI,
        "BTCUSD",
        &[
            r#"{"type":"l2_updates","symbol":"BTCUSD","changes":[["buy","9122.04","0.00121425"],["sell","9122.07","0.98942292"],["sell","9123.00","1"]],"trades":[{"type":"trade","symbol":"BTCUSD","event_id":169841458,"timestamp":1560976400428,"price":"9122.04","quantity":"0.0073173","side":"sell"}]}"#,
            r#"{"type":"l2_updates","symbol":"BTCUSD","changes":[["sell","9122.07","0"],["buy","9122.00","2"]]}"#,
            r#"{"type":"l2_updates","symbol":"BTCUSD","changes":[["buy","9100.00","1"],["sell","9130.00","1"]],"trades":[]}"#,
        ],
        2,
    );
}

/// A venue whose snapshots come by request: a second snapshot while the book is live, with
/// other levels, then an empty one.
fn requested_replace(venue: Venue, id: VenueId, symbol: &str) {
    let (mut f, mut r, _rings) = feed(venue, id, symbol);
    let mut c = Consumer::default();
    let first = lv(&[("100.00", "1"), ("99.00", "2")], &[("101.00", "1"), ("102.00", "3")]);
    assert!(f.on_rest_snapshot(symbol, 1000, &first, Nanos(1)).unwrap());
    c.follow(&mut r);
    c.agrees(&f, "first snapshot");
    assert!(f.book(0).unwrap().is_live());
    let other = lv(&[("98.00", "5")], &[("103.00", "5")]);
    assert!(f.on_rest_snapshot(symbol, 2000, &other, Nanos(2)).unwrap());
    c.follow(&mut r);
    c.agrees(&f, &format!("{venue:?}: second snapshot"));
    assert!(f.on_rest_snapshot(symbol, 3000, &lv(&[], &[]), Nanos(3)).unwrap());
    c.follow(&mut r);
    c.agrees(&f, &format!("{venue:?}: empty snapshot"));
    assert!(c.bids.is_empty() && c.asks.is_empty(), "{venue:?}: no ghost levels");
    assert_eq!(f.book(0).unwrap().stats().replaced, 2, "{venue:?}");
    let starts = c.markers.iter().filter(|m| **m == MarkerCode::RESYNC_START).count();
    assert_eq!(starts, 2, "{venue:?}: {:?}", c.markers);
}

#[test]
fn requested_snapshots_replacing_a_live_book_tell_consumers_on_every_venue() {
    requested_replace(mdbus_venues::BINANCE_SPOT, VenueId::BINANCE_SPOT, "BNBBTC");
    requested_replace(mdbus_venues::BINANCE_USDM, VenueId::BINANCE_USDM, "BTCUSDT");
    requested_replace(mdbus_venues::GATEIO, VenueId::GATEIO, "BTC_USDT");
    requested_replace(mdbus_venues::HTX, VenueId::HTX, "btcusdt");
}

#[test]
fn a_replacing_snapshot_that_does_not_fit_resets_the_book_instead_of_keeping_the_old_one() {
    let (mut f, mut r, _rings) = feed(mdbus_venues::BYBIT_SPOT, VenueId::BYBIT_SPOT, "BTCUSDT");
    let mut c = Consumer::default();
    f.on_frame(br#"{"topic":"orderbook.50.BTCUSDT","type":"snapshot","ts":1,"data":{"s":"BTCUSDT","b":[["16493.50","0.006"]],"a":[["16611.00","0.029"]],"u":5,"seq":5},"cts":1}"#, Nanos(1)).unwrap();
    // A finer tick than the instrument's exponents hold.
    let bad = br#"{"topic":"orderbook.50.BTCUSDT","type":"snapshot","ts":2,"data":{"s":"BTCUSDT","b":[["16493.505","0.006"]],"a":[],"u":9,"seq":9},"cts":2}"#;
    assert!(f.on_frame(bad, Nanos(2)).is_err());
    c.follow(&mut r);
    c.agrees(&f, "after the bad snapshot");
    assert!(f.book(0).unwrap().wants_snapshot(), "waits for a snapshot it can hold");
    assert_eq!(c.markers.last(), Some(&MarkerCode::RESYNC_START));
}

#[test]
fn a_dropped_connection_clears_only_the_books_it_carried() {
    let inst = vec![
        Instrument::new(InstrumentId(1), VenueId::OKX, Symbol::new("BTC-USDT").unwrap(), -2, -8),
        Instrument::new(InstrumentId(2), VenueId::OKX, Symbol::new("ETH-USDT").unwrap(), -2, -8),
    ];
    let (mut f, readers, _rings) = util::venue_feed(mdbus_venues::OKX, inst);
    let mut r = readers.book;
    for sym in ["BTC-USDT", "ETH-USDT"] {
        let frame = format!(
            r#"{{"arg":{{"channel":"books","instId":"{sym}"}},"action":"snapshot","data":[{{"asks":[["8476.98","415","0","13"]],"bids":[["8476.97","256","0","12"]],"ts":"1597026383085","checksum":0,"prevSeqId":-1,"seqId":123456}}]}}"#
        );
        f.on_frame(frame.as_bytes(), Nanos(1)).unwrap();
    }
    let mut c = Consumer::default();
    c.follow(&mut r);
    // The connection carrying ETH-USDT's book drops.
    f.on_disconnected_books(Nanos(2), &[1]);
    c.follow(&mut r);
    assert!(f.book(0).unwrap().is_live(), "BTC-USDT's connection is healthy: its book stays");
    assert!(f.book(1).unwrap().wants_snapshot(), "ETH-USDT's book waits for its connection");
    assert_eq!(
        c.markers.iter().filter(|m| **m == MarkerCode::RESYNC_START).count(),
        1,
        "one book cleared: {:?}",
        c.markers
    );
    assert!(c.markers.contains(&MarkerCode::DISCONNECTED));
}

#[test]
fn a_gate_update_marked_full_replaces_the_book_and_the_chain_continues_from_it() {
    let (mut f, mut r, _rings) = feed(mdbus_venues::GATEIO, VenueId::GATEIO, "BTC_USDT");
    let mut c = Consumer::default();
    let first = lv(&[("19137.74", "1"), ("19137.00", "2")], &[("19137.75", "1")]);
    assert!(f.on_rest_snapshot("BTC_USDT", 48776300, &first, Nanos(1)).unwrap());
    f.on_frame(br#"{"time":1606294781,"time_ms":1606294781236,"channel":"spot.order_book_update","event":"update","result":{"t":1606294781123,"e":"depthUpdate","E":1606294781,"s":"BTC_USDT","U":48776301,"u":48776306,"b":[["19137.74","0.0001"]],"a":[["19137.75","0.6135"]]}}"#, Nanos(2)).unwrap();
    c.follow(&mut r);
    c.agrees(&f, "live");
    // The venue sends the whole book again: it replaces the local one, not merges into it.
    f.on_frame(br#"{"time":1606294782,"time_ms":1606294782236,"channel":"spot.order_book_update","event":"update","result":{"t":1606294782123,"full":true,"e":"depthUpdate","E":1606294782,"s":"BTC_USDT","U":48776400,"u":48776410,"b":[["19100.00","3"]],"a":[["19200.00","4"]]}}"#, Nanos(3)).unwrap();
    c.follow(&mut r);
    c.agrees(&f, "after the full update");
    assert_eq!(f.book(0).unwrap().bids(), [(1_910_000, 300_000_000)]);
    assert!(c.markers.contains(&MarkerCode::RESYNC_START));
    // The chain continues from its `u`.
    f.on_frame(br#"{"time":1606294783,"time_ms":1606294783236,"channel":"spot.order_book_update","event":"update","result":{"t":1606294783123,"e":"depthUpdate","E":1606294783,"s":"BTC_USDT","U":48776411,"u":48776412,"b":[["19101.00","1"]],"a":[]}}"#, Nanos(4)).unwrap();
    c.follow(&mut r);
    c.agrees(&f, "after the next update");
    assert!(f.book(0).unwrap().is_live());
    assert!(!c.markers.contains(&MarkerCode::GAP), "{:?}", c.markers);
}
