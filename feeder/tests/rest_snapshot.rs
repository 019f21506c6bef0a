//! REST book snapshots as the venues document them: Binance USD-M's `E` and `T` time the
//! snapshot's levels; a value that does not fit the instrument's exponents counts as a value
//! error (as in the stream), so the feed reloads the venue's metadata instead of retrying the
//! same snapshot forever.

#![allow(clippy::unwrap_used)]

mod util;

use mdbus_bus::ReadError;
use mdbus_feeder::{FeedError, Levels};
use mdbus_schemas::{BookDelta, Instrument, InstrumentId, Kind, Nanos, Symbol, VenueId};

/// The example response of `GET /fapi/v1/depth` in Binance's USD-M documentation.
const USDM_DEPTH: &[u8] = br#"{"lastUpdateId":1027024,"E":1589436922972,"T":1589436922959,"bids":[["4.00000000","431.00000000"]],"asks":[["4.00000200","12.00000000"]]}"#;

/// The example response of `GET /api/v3/depth` in Binance's spot documentation (no times).
const SPOT_DEPTH: &[u8] =
    br#"{"lastUpdateId":1027024,"bids":[["4.00000000","431.00000000"]],"asks":[["4.00000200","12.00000000"]]}"#;

#[test]
fn a_usdm_snapshot_is_timed_by_the_venue() {
    let mut levels = Levels::default();
    assert_eq!(
        mdbus_venues::BINANCE_USDM.rest_snapshot_at(USDM_DEPTH, &mut levels).unwrap(),
        (1027024, Some(1589436922959))
    );
    assert_eq!(mdbus_venues::BINANCE_SPOT.rest_snapshot_at(SPOT_DEPTH, &mut levels).unwrap(), (1027024, None));
    let inst = vec![Instrument::new(InstrumentId(1), VenueId::BINANCE_USDM, Symbol::new("BTCUSDT").unwrap(), -8, -8)];
    let (mut f, mut r, _rings) = util::venue_feed(mdbus_venues::BINANCE_USDM, inst);
    let (last, ms) = mdbus_venues::BINANCE_USDM.rest_snapshot_at(USDM_DEPTH, &mut levels).unwrap();
    assert!(f.on_rest_snapshot_at("BTCUSDT", last, &levels, Nanos::from_millis(ms.unwrap()), Nanos(5)).unwrap());
    let mut times = Vec::new();
    loop {
        match r.book.try_read() {
            Ok(rec) if rec.kind() == Kind::BOOK_DELTA => times.push(rec.get::<BookDelta>().unwrap().header.venue_ts),
            Ok(_) => {}
            Err(ReadError::Empty) => break,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(times, [Nanos::from_millis(1589436922959); 2], "both levels carry the snapshot's time");
}

#[test]
fn a_rest_snapshot_value_that_does_not_fit_counts_as_a_value_error() {
    // Exponents one digit coarser than the snapshot's prices.
    let inst = vec![Instrument::new(InstrumentId(1), VenueId::BINANCE_SPOT, Symbol::new("BTCUSDT").unwrap(), -5, -8)];
    let (mut f, _r, _rings) = util::venue_feed(mdbus_venues::BINANCE_SPOT, inst);
    let mut levels = Levels::default();
    let last = mdbus_venues::BINANCE_SPOT.rest_snapshot(SPOT_DEPTH, &mut levels).unwrap();
    assert!(matches!(f.on_rest_snapshot("BTCUSDT", last, &levels, Nanos(1)), Err(FeedError::Value(_))));
    assert_eq!(f.stats().value_errors, 1, "the engine reloads the metadata on a value error");
}

#[test]
fn resync_done_says_how_deep_the_snapshot_went() {
    use mdbus_schemas::{MarkerCode, RecordView};
    let inst = vec![Instrument::new(InstrumentId(1), VenueId::BINANCE_SPOT, Symbol::new("BTCUSDT").unwrap(), -8, -8)];
    let (mut f, mut r, _rings) = util::venue_feed(mdbus_venues::BINANCE_SPOT, inst);
    let d = |s: &str| s.parse().unwrap();
    let levels =
        Levels { bids: vec![(d("4"), d("1")), (d("3"), d("1")), (d("2"), d("1"))], asks: vec![(d("5"), d("1"))] };
    assert!(f.on_rest_snapshot("BTCUSDT", 10, &levels, Nanos(1)).unwrap());
    let mut done = None;
    while let Ok(rec) = r.book.try_read() {
        if let Ok(RecordView::Marker(m)) = rec.view()
            && m.code == MarkerCode::RESYNC_DONE
        {
            done = Some(m.detail);
        }
    }
    assert_eq!(done, Some(3), "three levels on the longer side");
}
