//! Book synchronisation by Binance's rules: buffering, snapshot, continuity, gaps, crossed books
//! and reconnects, with the marker records readers rely on.

// Test helpers outside #[test] functions panic on failure by design.
#![allow(clippy::unwrap_used)]

use mdbus_feeder::{BookBuilder, BookSink, DepthMsg, Levels, SyncRule};
use mdbus_schemas::{BookDelta, Decimal, Instrument, InstrumentId, Marker, MarkerCode, Nanos, Symbol, VenueId, flags};

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

fn instrument() -> Instrument {
    Instrument::new(InstrumentId(1), VenueId::BINANCE_SPOT, Symbol::new("BTCUSDT").unwrap(), -2, -3)
}

fn lv(bids: &[(&str, &str)], asks: &[(&str, &str)]) -> Levels {
    let d = |s: &str| s.parse::<Decimal>().unwrap();
    Levels {
        bids: bids.iter().map(|(p, q)| (d(p), d(q))).collect(),
        asks: asks.iter().map(|(p, q)| (d(p), d(q))).collect(),
    }
}

fn diff(first: u64, last: u64, prev: Option<u64>) -> DepthMsg<'static> {
    DepthMsg {
        symbol: Some("BTCUSDT"),
        symbol_from_stream: false,
        snapshot: false,
        partial: false,
        first_seq: Some(first),
        last_seq: last,
        prev_seq: prev,
        trade_ts_ms: Some(1),
        event_ts_ms: Some(1),
    }
}

fn live_spot_book(sink: &mut Sink) -> BookBuilder {
    let mut b = BookBuilder::new(SyncRule::RangeAfterRest, instrument());
    assert!(b.wants_snapshot());
    // Buffered before the snapshot: 95..=99 is old, 100..=102 straddles lastUpdateId 100.
    b.on_diff(&diff(95, 99, None), &lv(&[("99.00", "1")], &[]), Nanos(1), sink).unwrap();
    b.on_diff(&diff(100, 102, None), &lv(&[("100.00", "2")], &[]), Nanos(1), sink).unwrap();
    b.on_diff(&diff(103, 103, None), &lv(&[], &[("101.50", "3")]), Nanos(1), sink).unwrap();
    assert!(sink.deltas.is_empty(), "nothing is published before the snapshot");
    let applied =
        b.on_snapshot(100, &lv(&[("100.00", "1"), ("99.50", "1")], &[("101.00", "1")]), Nanos(2), sink).unwrap();
    assert!(applied);
    b
}

#[test]
fn spot_snapshot_then_buffered_diffs_by_the_documented_rule() {
    let mut sink = Sink::default();
    let b = live_spot_book(&mut sink);
    assert!(b.is_live());
    assert_eq!(sink.markers, vec![MarkerCode::RESYNC_DONE]);
    // Snapshot levels first (flagged), then 100..=102 and 103; 95..=99 dropped.
    let snap: Vec<_> = sink.deltas.iter().filter(|d| d.header.flags & flags::SNAPSHOT != 0).collect();
    assert_eq!(snap.len(), 3);
    assert_eq!(snap.last().unwrap().header.flags & flags::LAST, flags::LAST);
    assert_eq!(b.bids(), &[(10_000, 2_000), (9_950, 1_000)]);
    assert_eq!(b.asks(), &[(10_100, 1_000), (10_150, 3_000)]);
    assert_eq!(sink.deltas.last().unwrap().header.venue_seq, 103);
    assert_eq!(b.stats().applied, 2);
}

#[test]
fn spot_gap_publishes_gap_and_resync_and_waits_for_a_snapshot() {
    let mut sink = Sink::default();
    let mut b = live_spot_book(&mut sink);
    b.on_diff(&diff(104, 105, None), &lv(&[("100.00", "0")], &[]), Nanos(3), &mut sink).unwrap();
    assert_eq!(b.bids(), &[(9_950, 1_000)], "quantity 0 removes the level");
    b.on_diff(&diff(105, 105, None), &lv(&[("1.00", "1")], &[]), Nanos(3), &mut sink).unwrap();
    assert!(b.is_live(), "a repeated event is dropped, not a gap");
    b.on_diff(&diff(107, 108, None), &lv(&[("1.00", "1")], &[]), Nanos(3), &mut sink).unwrap();
    assert!(b.wants_snapshot());
    assert_eq!(sink.markers, vec![MarkerCode::RESYNC_DONE, MarkerCode::GAP, MarkerCode::RESYNC_START]);
    assert!(b.bids().is_empty() && b.asks().is_empty(), "the book is cleared");
    assert_eq!((b.stats().gaps, b.stats().resyncs), (1, 1));
}

#[test]
fn stale_snapshot_is_refused_so_a_newer_one_is_fetched() {
    let mut sink = Sink::default();
    let mut b = BookBuilder::new(SyncRule::RangeAfterRest, instrument());
    b.on_diff(&diff(200, 205, None), &lv(&[("1.00", "1")], &[]), Nanos(1), &mut sink).unwrap();
    assert!(!b.on_snapshot(150, &lv(&[], &[]), Nanos(1), &mut sink).unwrap());
    assert!(b.wants_snapshot());
    assert_eq!(b.stats().stale_snapshots, 1);
    assert!(b.on_snapshot(202, &lv(&[], &[("2.00", "1")]), Nanos(1), &mut sink).unwrap());
    assert!(b.is_live());
}

#[test]
fn first_diff_after_an_empty_buffer_uses_the_first_event_rule() {
    let mut sink = Sink::default();
    let mut b = BookBuilder::new(SyncRule::RangeAfterRest, instrument());
    assert!(b.on_snapshot(100, &lv(&[("1.00", "1")], &[("2.00", "1")]), Nanos(1), &mut sink).unwrap());
    b.on_diff(&diff(98, 101, None), &lv(&[("1.50", "1")], &[]), Nanos(1), &mut sink).unwrap();
    assert!(b.is_live(), "U <= lastUpdateId+1 <= u is the first event, not a gap");
    assert_eq!(b.bids()[0], (150, 1_000));
}

#[test]
fn usdm_follows_pu_chains() {
    let mut sink = Sink::default();
    let mut b = BookBuilder::new(SyncRule::PrevAfterRest, instrument());
    b.on_diff(&diff(90, 99, Some(89)), &lv(&[("1.00", "1")], &[]), Nanos(1), &mut sink).unwrap();
    b.on_diff(&diff(100, 110, Some(99)), &lv(&[("1.10", "1")], &[]), Nanos(1), &mut sink).unwrap();
    b.on_diff(&diff(111, 120, Some(110)), &lv(&[], &[("2.00", "1")]), Nanos(1), &mut sink).unwrap();
    assert!(b.on_snapshot(105, &lv(&[("1.05", "1")], &[("3.00", "1")]), Nanos(1), &mut sink).unwrap());
    assert!(b.is_live());
    assert_eq!(b.bids(), &[(110, 1_000), (105, 1_000)], "90..99 dropped (u < lastUpdateId), 100..110 applied");
    b.on_diff(&diff(121, 130, Some(120)), &lv(&[("1.20", "1")], &[]), Nanos(1), &mut sink).unwrap();
    assert!(b.is_live());
    b.on_diff(&diff(140, 150, Some(135)), &lv(&[("1.30", "1")], &[]), Nanos(1), &mut sink).unwrap();
    assert!(b.wants_snapshot(), "pu != previous u is a gap");
    assert!(sink.markers.contains(&MarkerCode::GAP));
}

#[test]
fn crossed_book_is_detected_and_resynchronised() {
    let mut sink = Sink::default();
    let mut b = live_spot_book(&mut sink);
    b.on_diff(&diff(104, 104, None), &lv(&[("101.00", "5")], &[]), Nanos(3), &mut sink).unwrap();
    assert_eq!(&sink.markers[1..], &[MarkerCode::CROSSED, MarkerCode::RESYNC_START]);
    assert!(b.wants_snapshot());
    assert_eq!(b.stats().crossed, 1);
}

#[test]
fn reconnect_clears_the_book() {
    let mut sink = Sink::default();
    let mut b = live_spot_book(&mut sink);
    b.reset(Nanos(9), &mut sink);
    assert!(b.wants_snapshot() && b.bids().is_empty());
    assert_eq!(sink.markers.last(), Some(&MarkerCode::RESYNC_START));
}

#[test]
fn levels_that_do_not_fit_the_exponents_are_refused() {
    let mut sink = Sink::default();
    let mut b = live_spot_book(&mut sink);
    let err = b.on_diff(&diff(104, 104, None), &lv(&[("100.001", "1")], &[]), Nanos(3), &mut sink);
    assert!(err.is_err(), "a price finer than the tick size is an error, never rounded");
    assert!(b.wants_snapshot());
}

#[test]
fn usdm_snapshot_at_an_event_boundary_is_continued_by_the_next_event() {
    // The snapshot is taken after event u=110 and before any later event reached the stream:
    // the first event received has U=111, pu=110. It continues the snapshot exactly.
    let mut sink = Sink::default();
    let mut b = BookBuilder::new(SyncRule::PrevAfterRest, instrument());
    assert!(b.on_snapshot(110, &lv(&[("1.00", "1")], &[("2.00", "1")]), Nanos(1), &mut sink).unwrap());
    b.on_diff(&diff(111, 115, Some(110)), &lv(&[("1.10", "1")], &[]), Nanos(1), &mut sink).unwrap();
    assert!(b.is_live());
    assert!(!sink.markers.contains(&MarkerCode::GAP), "{:?}", sink.markers);
    // The same when that event was buffered before the snapshot arrived.
    let mut sink = Sink::default();
    let mut b = BookBuilder::new(SyncRule::PrevAfterRest, instrument());
    b.on_diff(&diff(111, 115, Some(110)), &lv(&[("1.10", "1")], &[]), Nanos(1), &mut sink).unwrap();
    assert!(b.on_snapshot(110, &lv(&[("1.00", "1")], &[("2.00", "1")]), Nanos(1), &mut sink).unwrap());
    assert!(b.is_live() && b.bids()[0] == (110, 1_000));
    // An event that neither covers nor continues the snapshot is still a gap.
    let mut sink = Sink::default();
    let mut b = BookBuilder::new(SyncRule::PrevAfterRest, instrument());
    assert!(b.on_snapshot(110, &lv(&[], &[]), Nanos(1), &mut sink).unwrap());
    b.on_diff(&diff(116, 120, Some(115)), &lv(&[("1.10", "1")], &[]), Nanos(1), &mut sink).unwrap();
    assert!(b.wants_snapshot() && sink.markers.contains(&MarkerCode::GAP));
}
