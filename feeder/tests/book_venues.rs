//! Book synchronisation by the other venues' rules: OKX seqId chains with keepalives and
//! resets, Bybit snapshots and `u` continuity, Gate.io's Binance-like `U`/`u`, HTX
//! `prevSeqNum` chains, and Gemini's sequence-less books cleared on every resubscribe.

// Test helpers outside test functions panic on failure by design.
#![allow(clippy::unwrap_used)]

use mdbus_feeder::{BookBuilder, BookSink, DepthMsg, Levels, SyncRule};
use mdbus_schemas::{BookDelta, Decimal, Instrument, InstrumentId, Marker, MarkerCode, Nanos, Symbol, VenueId};

#[derive(Default)]
struct Sink {
    deltas: Vec<BookDelta>,
    markers: Vec<MarkerCode>,
}

impl BookSink for Sink {
    fn delta(&mut self, d: &BookDelta) {
        self.deltas.push(*d);
    }
    fn marker(&mut self, m: &Marker) {
        self.markers.push(m.code);
    }
}

fn book(rule: SyncRule) -> BookBuilder {
    BookBuilder::new(rule, Instrument::new(InstrumentId(1), VenueId::OKX, Symbol::new("BTC-USDT").unwrap(), -1, -2))
}

fn lv(bids: &[(&str, &str)], asks: &[(&str, &str)]) -> Levels {
    let d = |s: &str| s.parse::<Decimal>().unwrap();
    Levels {
        bids: bids.iter().map(|(p, q)| (d(p), d(q))).collect(),
        asks: asks.iter().map(|(p, q)| (d(p), d(q))).collect(),
    }
}

fn msg(first: Option<u64>, last: u64, prev: Option<u64>) -> DepthMsg<'static> {
    DepthMsg {
        symbol: Some("BTC-USDT"),
        symbol_from_stream: false,
        snapshot: false,
        partial: false,
        first_seq: first,
        last_seq: last,
        prev_seq: prev,
        trade_ts_ms: None,
        event_ts_ms: Some(1),
    }
}

fn snapshot_book(rule: SyncRule, seq: u64, sink: &mut Sink) -> BookBuilder {
    let mut b = book(rule);
    assert!(b.on_snapshot(seq, &lv(&[("100.0", "1"), ("99.0", "2")], &[("101.0", "1")]), Nanos(1), sink).unwrap());
    assert!(b.is_live());
    b
}

#[test]
fn okx_chains_by_prev_seq_id_and_accepts_keepalives_and_resets() {
    let mut sink = Sink::default();
    let mut b = snapshot_book(SyncRule::PrevInStream, 123_456, &mut sink);
    b.on_diff(&msg(None, 123_457, Some(123_456)), &lv(&[("100.0", "3")], &[]), Nanos(2), &mut sink).unwrap();
    // Keepalive: no levels, prevSeqId == seqId.
    b.on_diff(&msg(None, 123_457, Some(123_457)), &lv(&[], &[]), Nanos(3), &mut sink).unwrap();
    // Sequence reset after maintenance: seqId < prevSeqId, chain intact.
    b.on_diff(&msg(None, 5, Some(123_457)), &lv(&[], &[("101.0", "0"), ("102.0", "4")]), Nanos(4), &mut sink).unwrap();
    b.on_diff(&msg(None, 6, Some(5)), &lv(&[("99.0", "0")], &[]), Nanos(5), &mut sink).unwrap();
    assert!(b.is_live());
    assert_eq!(b.bids(), &[(1000, 300)]);
    assert_eq!(b.asks(), &[(1020, 400)]);
    assert_eq!(b.stats().gaps, 0);
    // A broken chain resyncs.
    b.on_diff(&msg(None, 9, Some(8)), &lv(&[], &[]), Nanos(6), &mut sink).unwrap();
    assert!(!b.is_live());
    assert_eq!(sink.markers, [MarkerCode::RESYNC_DONE, MarkerCode::GAP, MarkerCode::RESYNC_START]);
    // Updates from before the next snapshot are dropped with it; the snapshot rebuilds the book.
    b.on_diff(&msg(None, 10, Some(9)), &lv(&[("1.0", "1")], &[]), Nanos(7), &mut sink).unwrap();
    assert!(b.on_snapshot(20, &lv(&[("98.0", "1")], &[("103.0", "1")]), Nanos(8), &mut sink).unwrap());
    assert_eq!((b.bids(), b.asks()), (&[(980, 100)][..], &[(1030, 100)][..]));
}

#[test]
fn bybit_deltas_follow_u_and_a_new_snapshot_replaces_the_book() {
    let mut sink = Sink::default();
    let mut b = snapshot_book(SyncRule::CountInStream, 18_521_288, &mut sink);
    b.on_diff(&msg(None, 18_521_289, None), &lv(&[("100.0", "0")], &[]), Nanos(2), &mut sink).unwrap();
    // A repeat of an applied delta is dropped, not a gap.
    b.on_diff(&msg(None, 18_521_289, None), &lv(&[("100.0", "5")], &[]), Nanos(3), &mut sink).unwrap();
    assert_eq!(b.bids(), &[(990, 200)]);
    assert_eq!(b.stats().gaps, 0);
    // A new snapshot (or u == 1 after a restart, which decoders mark as a snapshot) replaces all.
    assert!(b.on_snapshot(1, &lv(&[("97.0", "1")], &[("98.0", "1")]), Nanos(4), &mut sink).unwrap());
    assert_eq!((b.bids(), b.asks()), (&[(970, 100)][..], &[(980, 100)][..]));
    b.on_diff(&msg(None, 2, None), &lv(&[], &[("98.5", "1")]), Nanos(5), &mut sink).unwrap();
    // u skips: gap.
    b.on_diff(&msg(None, 4, None), &lv(&[], &[]), Nanos(6), &mut sink).unwrap();
    assert!(!b.is_live());
    assert_eq!(b.stats().gaps, 1);
}

#[test]
fn gate_uses_binance_spot_rules_against_its_rest_snapshot() {
    let mut sink = Sink::default();
    let mut b = book(SyncRule::RangeAfterRest);
    b.on_diff(&msg(Some(90), 95, None), &lv(&[("1.0", "1")], &[]), Nanos(1), &mut sink).unwrap();
    b.on_diff(&msg(Some(96), 101, None), &lv(&[("100.0", "7")], &[]), Nanos(1), &mut sink).unwrap();
    assert!(b.wants_snapshot());
    // REST `id` 98: 90..=95 is older, 96..=101 straddles it.
    assert!(b.on_snapshot(98, &lv(&[("100.0", "1")], &[("101.0", "1")]), Nanos(2), &mut sink).unwrap());
    assert_eq!(b.bids(), &[(1000, 700)]);
    b.on_diff(&msg(Some(102), 103, None), &lv(&[], &[]), Nanos(3), &mut sink).unwrap();
    b.on_diff(&msg(Some(105), 106, None), &lv(&[], &[]), Nanos(3), &mut sink).unwrap();
    assert_eq!(b.stats().gaps, 1);
    // A snapshot older than the buffered updates must be fetched again.
    let mut b = book(SyncRule::RangeAfterRest);
    b.on_diff(&msg(Some(200), 201, None), &lv(&[], &[]), Nanos(1), &mut sink).unwrap();
    assert!(!b.on_snapshot(150, &lv(&[], &[]), Nanos(2), &mut sink).unwrap());
}

/// Gate.io `spot.obu`: the full push sets the book and its id (`u`); an incremental push
/// continues it only when `U == id + 1`; anything else is a gap (the client subscribes again
/// for a new full push); a full push while live replaces the book.
#[test]
fn gate_obu_chains_from_its_full_push() {
    let mut sink = Sink::default();
    let mut b = book(SyncRule::RangeInStream);
    // Updates from before the full push belong to an older subscription.
    b.on_diff(&msg(Some(90), 95, None), &lv(&[("1.0", "1")], &[]), Nanos(1), &mut sink).unwrap();
    assert!(b.on_snapshot(100, &lv(&[("100.0", "1")], &[("101.0", "1")]), Nanos(2), &mut sink).unwrap());
    assert_eq!(b.bids(), &[(1000, 100)], "the buffered update was dropped");
    // Overlapping the full push is not continuing it: U must be exactly u + 1.
    b.on_diff(&msg(Some(100), 102, None), &lv(&[("100.0", "5")], &[]), Nanos(3), &mut sink).unwrap();
    assert_eq!(b.stats().gaps, 1);
    assert!(!b.is_live());
    assert!(b.on_snapshot(102, &lv(&[("100.0", "2")], &[("101.0", "1")]), Nanos(4), &mut sink).unwrap());
    b.on_diff(&msg(Some(103), 104, None), &lv(&[("100.0", "3")], &[]), Nanos(5), &mut sink).unwrap();
    b.on_diff(&msg(Some(105), 105, None), &lv(&[], &[("101.0", "0"), ("102.0", "4")]), Nanos(5), &mut sink).unwrap();
    assert_eq!((b.bids(), b.asks()), (&[(1000, 300)][..], &[(1020, 400)][..]));
    // A repeated push is one the book has.
    b.on_diff(&msg(Some(105), 105, None), &lv(&[], &[]), Nanos(6), &mut sink).unwrap();
    assert_eq!(b.stats().gaps, 1);
    assert!(b.is_live());
    // A skipped id is a gap.
    b.on_diff(&msg(Some(107), 108, None), &lv(&[], &[]), Nanos(7), &mut sink).unwrap();
    assert_eq!(b.stats().gaps, 2);
}

#[test]
fn htx_chains_by_prev_seq_num_after_a_requested_snapshot() {
    let mut sink = Sink::default();
    let mut b = book(SyncRule::PrevAfterRequest);
    b.on_diff(&msg(None, 101, Some(100)), &lv(&[("100.0", "2")], &[]), Nanos(1), &mut sink).unwrap();
    b.on_diff(&msg(None, 102, Some(101)), &lv(&[], &[("101.0", "0")]), Nanos(1), &mut sink).unwrap();
    // A snapshot newer than the start of the buffered chain is fine; older updates are dropped.
    assert!(
        b.on_snapshot(101, &lv(&[("100.0", "1")], &[("101.0", "1"), ("102.0", "1")]), Nanos(2), &mut sink).unwrap()
    );
    assert_eq!((b.bids(), b.asks()), (&[(1000, 100)][..], &[(1020, 100)][..]));
    b.on_diff(&msg(None, 104, Some(103)), &lv(&[], &[]), Nanos(3), &mut sink).unwrap();
    assert_eq!(b.stats().gaps, 1);
    // A snapshot older than the chain's start is refused.
    let mut b = book(SyncRule::PrevAfterRequest);
    b.on_diff(&msg(None, 301, Some(300)), &lv(&[], &[]), Nanos(1), &mut sink).unwrap();
    assert!(!b.on_snapshot(250, &lv(&[], &[]), Nanos(2), &mut sink).unwrap());
}

#[test]
fn gemini_books_are_cleared_on_resubscribe_so_no_ghost_levels_survive() {
    let mut sink = Sink::default();
    let mut b = snapshot_book(SyncRule::Unsequenced, 0, &mut sink);
    b.on_diff(&msg(None, 0, None), &lv(&[("95.0", "1")], &[]), Nanos(2), &mut sink).unwrap();
    assert_eq!(b.bids().len(), 3);
    // Reconnect: the book is cleared before the new initial update (the ghost-level bug).
    b.reset(Nanos(3), &mut sink);
    assert!(b.bids().is_empty() && b.asks().is_empty());
    assert!(b.on_snapshot(0, &lv(&[("96.0", "1")], &[("97.0", "1")]), Nanos(4), &mut sink).unwrap());
    assert_eq!((b.bids(), b.asks()), (&[(960, 100)][..], &[(970, 100)][..]));
    // Without a sequence, every update applies; a crossed book still resyncs.
    b.on_diff(&msg(None, 0, None), &lv(&[("98.0", "1")], &[]), Nanos(5), &mut sink).unwrap();
    assert_eq!(b.stats().crossed, 1);
    assert!(!b.is_live());
}
