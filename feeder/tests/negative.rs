//! Negative quantities are decode errors: a book level, a trade, a quote or a partial book
//! with one is refused whole, nothing of it is published, and a live book that misses the
//! update is resynchronised rather than kept.

#![allow(clippy::unwrap_used)]

mod util;

use mdbus_bus::{ReadError, Reader};
use mdbus_feeder::{DecodeError, FeedError, Levels};
use mdbus_schemas::{Instrument, InstrumentId, Kind, Nanos, RecordView, Symbol, VenueId};

fn kinds(r: &mut Reader) -> Vec<String> {
    let mut out = Vec::new();
    loop {
        match r.try_read() {
            Ok(rec) => out.push(match rec.view().unwrap() {
                RecordView::Marker(m) => m.code.name().unwrap_or("?").to_owned(),
                v => format!("{:?}", v.header().kind),
            }),
            Err(ReadError::Empty) => return out,
            Err(e) => panic!("{e}"),
        }
    }
}

fn bad_quantity(e: Result<(), FeedError>, message: &str) {
    match e {
        Err(FeedError::Decode(DecodeError::BadField { message: m, field: "quantity" })) => assert_eq!(m, message),
        other => panic!("expected a bad quantity in {message}, got {other:?}"),
    }
}

#[test]
fn negative_quantities_are_refused_everywhere() {
    let inst = vec![Instrument::new(InstrumentId(1), VenueId::BYBIT_SPOT, Symbol::new("BTCUSDT").unwrap(), -2, -3)];
    let (mut f, mut r, _rings) = util::venue_feed(mdbus_venues::BYBIT_SPOT, inst);
    f.on_frame(br#"{"topic":"orderbook.50.BTCUSDT","type":"snapshot","ts":1,"data":{"s":"BTCUSDT","b":[["16493.50","0.006"]],"a":[["16611.00","0.029"]],"u":5,"seq":5},"cts":1}"#, Nanos(1)).unwrap();
    assert!(f.book(0).unwrap().is_live());
    kinds(&mut r.book);
    // A delta with a negative level: refused, and the book that missed it resynchronises.
    let e = f.on_frame(br#"{"topic":"orderbook.50.BTCUSDT","type":"delta","ts":2,"data":{"s":"BTCUSDT","b":[["16493.00","-0.5"]],"a":[],"u":6,"seq":6},"cts":2}"#, Nanos(2));
    bad_quantity(e, "depth");
    assert_eq!(kinds(&mut r.book), ["resync_start"], "no level published, the book cleared");
    assert!(f.book(0).unwrap().wants_snapshot());
    // A snapshot with one: refused, nothing published.
    let e = f.on_frame(br#"{"topic":"orderbook.50.BTCUSDT","type":"snapshot","ts":3,"data":{"s":"BTCUSDT","b":[["16493.50","-0.006"]],"a":[],"u":9,"seq":9},"cts":3}"#, Nanos(3));
    bad_quantity(e, "depth");
    assert!(kinds(&mut r.book).is_empty());
    // A trade.
    let e = f.on_frame(br#"{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":4,"data":[{"T":4,"s":"BTCUSDT","S":"Buy","v":"-0.001","p":"16578.50","L":"PlusTick","i":"2290000000061666327","BT":false}]}"#, Nanos(4));
    bad_quantity(e, "trade");
    assert!(kinds(&mut r.trades).is_empty());
    // A best bid/offer.
    let e = f.on_frame(br#"{"topic":"orderbook.1.BTCUSDT","type":"snapshot","ts":5,"data":{"s":"BTCUSDT","b":[["16493.50","-1"]],"a":[["16611.00","0.029"]],"u":7,"seq":7},"cts":5}"#, Nanos(5));
    assert!(e.is_err());
    assert!(kinds(&mut r.quotes).iter().all(|k| k != &format!("{:?}", Kind::QUOTE)));
    // And the REST path.
    let d = |s: &str| s.parse().unwrap();
    let levels = Levels { bids: vec![(d("100.00"), d("-1"))], asks: vec![] };
    assert!(matches!(f.on_rest_snapshot("BTCUSDT", 10, &levels, Nanos(6)), Err(FeedError::Decode(_))));
    assert!(kinds(&mut r.book).is_empty());
}

#[test]
fn a_uuid_trade_id_reaches_the_record_whole() {
    use mdbus_schemas::{Trade, TradeId, flags};
    let inst = vec![Instrument::new(InstrumentId(1), VenueId::BYBIT_LINEAR, Symbol::new("BTCUSDT").unwrap(), -2, -3)];
    let (mut f, mut r, _rings) = util::venue_feed(mdbus_venues::BYBIT_LINEAR, inst);
    f.on_frame(br#"{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1672304486868,"data":[{"T":1672304486865,"s":"BTCUSDT","S":"Buy","v":"0.001","p":"16578.50","L":"PlusTick","i":"20f43950-d8dd-5b31-9112-a178eb6023af","BT":false},{"T":1672304486866,"s":"BTCUSDT","S":"Sell","v":"2","p":"16578","i":"2290000000061666327","BT":false}]}"#, Nanos(1)).unwrap();
    let mut ids = Vec::new();
    while let Ok(rec) = r.trades.try_read() {
        if let Some(t) = rec.get::<Trade>() {
            ids.push((t.id(), t.header.venue_seq, t.header.flags & flags::NO_VENUE_SEQ != 0));
        }
    }
    assert_eq!(
        ids,
        [
            (TradeId::parse_uuid("20f43950-d8dd-5b31-9112-a178eb6023af").unwrap(), 0, true),
            (TradeId::Number(2290000000061666327), 2290000000061666327, false),
        ]
    );
}
