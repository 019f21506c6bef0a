//! A feed over heap rings, with readers on them, for the feed tests.
#![allow(dead_code, unreachable_pub)]

use mdbus_bus::{HeapRing, Reader, Start};
use mdbus_feeder::{Feed, Rings, Venue};
use mdbus_schemas::{Instrument, InstrumentId, Kind, Symbol, VenueId};
use mdbus_venues::binance::Market;

pub struct Readers {
    pub quotes: Reader,
    pub trades: Reader,
    pub book: Reader,
    pub depth: Reader,
}

pub fn feed(market: Market) -> (Feed, Readers, Vec<HeapRing>) {
    let inst = vec![
        Instrument::new(InstrumentId(1), VenueId::BINANCE_SPOT, Symbol::new("BNBBTC").unwrap(), -4, 0),
        Instrument::new(InstrumentId(2), VenueId::BINANCE_SPOT, Symbol::new("BNBUSDT").unwrap(), -8, -8),
    ];
    venue_feed(market.into(), inst)
}

/// A feed of `venue` for `inst`.
pub fn venue_feed(venue: Venue, inst: Vec<Instrument>) -> (Feed, Readers, Vec<HeapRing>) {
    venue_feed_with(venue, venue.sync_rule(), inst)
}

/// As [`venue_feed`], the books following `rule`.
#[allow(dead_code)]
pub fn venue_feed_with(
    venue: Venue,
    rule: mdbus_feeder::book::SyncRule,
    inst: Vec<Instrument>,
) -> (Feed, Readers, Vec<HeapRing>) {
    let mk = |k: Kind| HeapRing::create(k, 4096).unwrap();
    let (q, qr) = mk(Kind::QUOTE);
    let (t, tr) = mk(Kind::TRADE);
    let (b, br) = mk(Kind::BOOK_DELTA);
    let (d, dr) = mk(Kind::BOOK_SNAPSHOT);
    let (bars, barr) = mk(Kind::BAR);
    let readers = Readers {
        quotes: qr.reader_at(Start::Head),
        trades: tr.reader_at(Start::Head),
        book: br.reader_at(Start::Head),
        depth: dr.reader_at(Start::Head),
    };
    let f = Feed::with_rule(venue, rule, inst, Rings { quotes: q, trades: t, book: b, depth: d, bars });
    (f, readers, vec![qr, tr, br, dr, barr])
}
