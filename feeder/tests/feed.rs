//! Frames through a Binance feed into rings: every record where it belongs, exact values,
//! markers on connection events, errors counted without publishing.

// Test helpers outside #[test] functions panic on failure by design.
#![allow(clippy::unwrap_used)]

mod util;

use mdbus_bus::{ReadError, Reader};
use mdbus_feeder::{FeedError, Levels};
use mdbus_schemas::{BookSnapshot, InstrumentId, Kind, Marker, MarkerCode, Nanos, Quote, Trade, flags};
use mdbus_venues::binance::Market;
use util::feed;

fn next(r: &mut Reader) -> Vec<u8> {
    match r.try_read() {
        Ok(rec) => rec.bytes().to_vec(),
        Err(e) => panic!("expected a record, got {e:?}"),
    }
}

#[test]
fn trades_quotes_and_partial_depth_become_records() {
    let (mut f, mut r, _rings) = feed(Market::Spot);
    f.on_frame(
        br#"{"e":"trade","E":1672515782136,"s":"BNBBTC","t":12345,"p":"0.0010","q":"100","T":1672515782137,"m":true}"#,
        Nanos(5),
    )
    .unwrap();
    let bytes = next(&mut r.trades);
    let t: Trade = zerocopy::FromBytes::read_from_bytes(&bytes[..128]).unwrap();
    assert_eq!((t.price, t.qty, t.header.venue_seq, t.header.flags), (10, 100, 12345, flags::SELL));
    assert_eq!(
        (t.header.instrument, t.header.venue_ts, t.header.recv_ts),
        (InstrumentId(1), Nanos::from_millis(1672515782137), Nanos(5))
    );
    assert!(t.header.publish_ts.0 > 0);

    f.on_frame(
        br#"{"u":400900217,"s":"BNBUSDT","b":"25.35190000","B":"31.21000000","a":"25.36520000","A":"40.66000000"}"#,
        Nanos(6),
    )
    .unwrap();
    let q: Quote = zerocopy::FromBytes::read_from_bytes(&next(&mut r.quotes)[..128]).unwrap();
    assert_eq!((q.bid_px, q.ask_qty, q.header.venue_seq), (2_535_190_000, 4_066_000_000, 400900217));

    f.on_frame(br#"{"stream":"bnbbtc@depth5","data":{"lastUpdateId":160,"bids":[["0.0024","10"]],"asks":[["0.0026","100"],["0.0027","1"]]}}"#, Nanos(7)).unwrap();
    let s: BookSnapshot = zerocopy::FromBytes::read_from_bytes(&next(&mut r.depth)[..768]).unwrap();
    assert_eq!((s.bid_count, s.ask_count, s.bids[0].price, s.asks[1].price, s.header.venue_seq), (1, 2, 24, 27, 160));
    assert_eq!(f.stats().records, 3);
}

#[test]
fn diff_depth_syncs_through_the_book_builder() {
    let (mut f, mut r, _rings) = feed(Market::Spot);
    assert_eq!(f.wanting_snapshots().collect::<Vec<_>>(), vec!["BNBBTC", "BNBUSDT"]);
    f.on_frame(
        br#"{"e":"depthUpdate","E":1,"s":"BNBBTC","U":157,"u":160,"b":[["0.0024","10"]],"a":[["0.0026","100"]]}"#,
        Nanos(1),
    )
    .unwrap();
    assert_eq!(r.book.try_read().err(), Some(ReadError::Empty), "buffered until the snapshot");
    let d = |s: &str| s.parse().unwrap();
    let snap = Levels { bids: vec![(d("0.0023"), d("5"))], asks: vec![(d("0.0027"), d("5"))] };
    assert!(f.on_rest_snapshot("BNBBTC", 158, &snap, Nanos(2)).unwrap());
    let mut kinds = Vec::new();
    while let Ok(rec) = r.book.try_read() {
        kinds.push(rec.kind());
    }
    assert_eq!(kinds, vec![Kind::BOOK_DELTA, Kind::BOOK_DELTA, Kind::BOOK_DELTA, Kind::BOOK_DELTA, Kind::MARKER]);
    assert!(f.book(0).unwrap().is_live());
    // A gap: markers in the book ring.
    f.on_frame(br#"{"e":"depthUpdate","E":1,"s":"BNBBTC","U":170,"u":171,"b":[],"a":[]}"#, Nanos(3)).unwrap();
    let codes: Vec<_> =
        std::iter::from_fn(|| r.book.try_read().ok().map(|rec| rec.get::<Marker>().unwrap().code)).collect();
    assert_eq!(codes, vec![MarkerCode::GAP, MarkerCode::RESYNC_START]);
}

#[test]
fn disconnect_marks_every_ring_and_clears_books() {
    let (mut f, mut r, _rings) = feed(Market::UsdM);
    f.on_connected(Nanos(1));
    f.on_disconnected(Nanos(2));
    for reader in [&mut r.quotes, &mut r.trades, &mut r.depth] {
        assert_eq!(reader.try_read().unwrap().get::<Marker>().unwrap().code, MarkerCode::CONNECTED);
        assert_eq!(reader.try_read().unwrap().get::<Marker>().unwrap().code, MarkerCode::DISCONNECTED);
    }
    let codes: Vec<_> =
        std::iter::from_fn(|| r.book.try_read().ok().map(|rec| rec.get::<Marker>().unwrap().code)).collect();
    assert_eq!(
        codes,
        vec![MarkerCode::CONNECTED, MarkerCode::DISCONNECTED, MarkerCode::RESYNC_START, MarkerCode::RESYNC_START]
    );
}

#[test]
fn bad_frames_are_counted_and_publish_nothing() {
    let (mut f, mut r, _rings) = feed(Market::Spot);
    assert!(matches!(f.on_frame(b"{not json", Nanos(1)), Err(FeedError::Decode(_))));
    assert!(matches!(
        f.on_frame(br#"{"e":"trade","s":"ETHBTC","t":1,"p":"1","q":"1","m":true}"#, Nanos(1)),
        Err(FeedError::UnknownSymbol(s)) if s == "ETHBTC"
    ));
    assert!(
        matches!(
            f.on_frame(br#"{"e":"trade","s":"BNBBTC","t":1,"p":"0.00001","q":"1","m":true}"#, Nanos(1)),
            Err(FeedError::Value(_))
        ),
        "a price finer than the instrument's exponent is refused, not rounded"
    );
    assert!(matches!(
        f.on_frame(br#"{"code":2,"msg":"Invalid request","id":1}"#, Nanos(1)),
        Err(FeedError::Venue { code: 2, .. })
    ));
    f.on_frame(br#"{"result":null,"id":1}"#, Nanos(1)).unwrap();
    assert_eq!((f.stats().frames, f.stats().errors, f.stats().acks, f.stats().records), (5, 4, 1, 0));
    assert_eq!(r.trades.try_read().err(), Some(ReadError::Empty));
}
