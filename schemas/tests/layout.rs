//! Layout tests: golden bytes per record, field lists that cover every byte, the layout hash.
// Test helpers outside #[test] functions panic on failure by design.
#![allow(clippy::unwrap_used)]

mod samples;

use mdbus_schemas::*;
use zerocopy::IntoBytes;

/// Lowercase hex of `bytes`.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks `record` against its pinned bytes (one 64-byte cache line per string) and the
/// bytes → record → bytes round trip.
fn check<R: Record + std::fmt::Debug + PartialEq>(record: R, golden: &[&str]) {
    let expected: String = golden.concat();
    assert_eq!(hex(record.as_bytes()), expected, "{:?} layout changed", R::KIND.name());
    let back = R::read_from_bytes(record.as_bytes()).unwrap();
    assert_eq!(back, record);
    assert_eq!(size_of::<R>() % 64, 0);
    assert_eq!(Kind::record_size(R::KIND), Some(size_of::<R>()));
}

#[test]
fn quote_golden_bytes() {
    check(
        samples::quote(),
        &[
            "080706050403020101a5221166554433eeddccbbaa99887715cd853dfe9c971715ae7b43fe9c9717158f7149fe9c97176ad763000000000080d1f00800000000",
            "6bd7630000000000feffffffffffffff000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
        ],
    );
}

#[test]
fn trade_golden_bytes() {
    check(
        samples::trade(),
        &[
            // A UUID trade id: `venue_seq` absent (0, with the NO_VENUE_SEQ flag already set
            // in this sample's flags), the id's 16 bytes, its kind (2) and padding.
            "080706050403020102a5221166554433000000000000000015cd853dfe9c971715ae7b43fe9c9717158f7149fe9c97176ad7630000000000a086010000000000",
            "20f43950d8dd5b319112a178eb6023af020000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
        ],
    );
}

#[test]
fn trade_ids_are_kept_whole() {
    let mut t = Trade::default();
    t.set_id(TradeId::Number(u128::from(u64::MAX) + 1));
    assert_eq!(t.id(), TradeId::Number(u128::from(u64::MAX) + 1));
    assert_eq!(t.header.venue_seq, 0);
    assert_ne!(t.header.flags & flags::NO_VENUE_SEQ, 0, "too large for venue_seq");
    t.set_id(TradeId::Number(42));
    assert_eq!((t.id(), t.header.venue_seq, t.header.flags & flags::NO_VENUE_SEQ), (TradeId::Number(42), 42, 0));
    let uuid = TradeId::parse_uuid("20F43950-D8DD-5B31-9112-A178EB6023AF").unwrap();
    t.set_id(uuid);
    assert_eq!(t.id(), uuid);
    assert_eq!(t.id().to_string(), "20f43950-d8dd-5b31-9112-a178eb6023af");
    for bad in [
        "",
        "20f43950-d8dd-5b31-9112-a178eb6023a",
        "20f43950-d8dd-5b31-9112_a178eb6023af",
        "g0f43950-d8dd-5b31-9112-a178eb6023af",
    ] {
        assert_eq!(TradeId::parse_uuid(bad), None, "{bad}");
    }
    assert_eq!(Trade::default().id(), TradeId::None);
}

#[test]
fn book_delta_golden_bytes() {
    check(
        samples::book_delta(),
        &[
            "080706050403020103a5221166554433eeddccbbaa99887715cd853dfe9c971715ae7b43fe9c9717158f7149fe9c971740e20100000000000000000000000000",
        ],
    );
}

#[test]
fn book_snapshot_golden_bytes() {
    check(
        samples::book_snapshot(),
        &[
            "080706050403020104a5221166554433eeddccbbaa99887715cd853dfe9c971715ae7b43fe9c9717158f7149fe9c971702010000000000000000000000000000",
            "64000000000000000100000000000000630000000000000002000000000000000000000000000000000000000000000000000000000000000000000000000000",
            "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
            "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
            "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
            "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
            "65000000000000000300000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
            "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
            "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
            "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
            "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
            "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
        ],
    );
}

#[test]
fn bar_golden_bytes() {
    check(
        samples::bar(),
        &[
            "080706050403020105a5221166554433eeddccbbaa99887715cd853dfe9c971715ae7b43fe9c9717158f7149fe9c971701000000000000000200000000000000",
            "030000000000000004000000000000000500000000000000060000000000000007000000000000000800000000000000005847f80d0000000000000000000000",
        ],
    );
}

#[test]
fn marker_golden_bytes() {
    check(
        samples::marker(),
        &[
            "080706050403020106a5221166554433eeddccbbaa99887715cd853dfe9c971715ae7b43fe9c9717158f7149fe9c971703000000000000006300000000000000",
        ],
    );
}

#[test]
fn order_golden_bytes() {
    check(
        samples::order(),
        &[
            "080706050403020107a5221166554433eeddccbbaa99887715cd853dfe9c971715ae7b43fe9c9717158f7149fe9c971701000000000000000200000000000000",
            "0300000000000000040000000000000005000000020101016369642d310000000000000000000000000000000000000000000000000000000000000000000000",
            "00000000000000003938373635343332313000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
        ],
    );
}

#[test]
fn fill_golden_bytes() {
    check(
        samples::fill(),
        &[
            "080706050403020108a5221166554433eeddccbbaa99887715cd853dfe9c971715ae7b43fe9c9717158f7149fe9c971701000000000000000200000000000000",
            "fdffffffffffffff040000000201f800424e42000000000000000000000000006369642d32000000000000000000000000000000000000000000000000000000",
            "00000000000000000000000000000000343200000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
        ],
    );
}

#[test]
fn balance_golden_bytes() {
    check(
        samples::balance(),
        &[
            "080706050403020109a5221166554433eeddccbbaa99887715cd853dfe9c971715ae7b43fe9c9717158f7149fe9c971701000000000000000200000000000000",
            "03000000f80000005553445400000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
        ],
    );
}

#[test]
fn position_golden_bytes() {
    check(
        samples::position(),
        &[
            "08070605040302010aa5221166554433eeddccbbaa99887715cd853dfe9c971715ae7b43fe9c9717158f7149fe9c9717fbffffffffffffff0100000000000000",
            "02000000000000000300000000000000040000000000000006000000fe0014000000000000000000000000000000000000000000000000000000000000000000",
        ],
    );
}

#[test]
fn field_lists_cover_every_byte_once() {
    let mut all = vec![(Kind(0), HEADER_FIELDS, size_of::<Header>())];
    for (kind, fields) in FAMILIES {
        all.push((kind, fields, kind.record_size().unwrap()));
    }
    for (kind, fields, size) in all {
        let mut at = 0;
        for f in fields {
            assert_eq!(f.offset, at, "{kind:?}: field {} is not where the previous one ended", f.name);
            at += f.size;
        }
        assert_eq!(at, size, "{kind:?}: fields do not cover the record");
    }
}

#[test]
fn every_record_starts_with_the_header() {
    for (kind, fields) in FAMILIES {
        assert_eq!(fields[0], Field::new("header", 0, 48, "Header"), "{kind:?}");
    }
}

#[test]
fn layout_hash_is_pinned() {
    // Changing any record field's name, offset or size changes this value; update it together
    // with the golden bytes above, on purpose.
    assert_eq!(LAYOUT_HASH, 0xa8e0bc1c4bed710d);
}

#[test]
fn default_records_carry_their_kind() {
    assert_eq!(Quote::default().header.kind, Kind::QUOTE);
    assert_eq!(Position::default().header.kind, Kind::POSITION);
    for (kind, _) in FAMILIES {
        assert!(kind.name().is_some());
        assert_eq!(Kind::from_name(kind.name().unwrap()), Some(kind));
    }
}

#[test]
fn views_dispatch_on_kind_and_reject_bad_bytes() {
    let t = samples::trade();
    assert!(matches!(RecordView::from_bytes(t.as_bytes()), Ok(RecordView::Trade(v)) if v == &t));
    let q = samples::quote();
    let view = RecordView::from_bytes(q.as_bytes()).unwrap();
    assert_eq!(view.header().kind, Kind::QUOTE);
    assert_eq!(
        RecordView::from_bytes(&q.as_bytes()[..100]),
        Err(ViewError::Truncated { kind: "quote", need: 128, len: 100 })
    );
    assert_eq!(RecordView::from_bytes(&[0u8; 10]), Err(ViewError::Short { len: 10 }));
    let mut bad = samples::trade();
    bad.header.kind = Kind(250);
    assert_eq!(RecordView::from_bytes(bad.as_bytes()), Err(ViewError::UnknownKind(250)));
}

#[test]
fn instrument_table_round_trips_and_reports_damage() {
    let mut t = InstrumentTable::default();
    t.insert(Instrument::new(InstrumentId(1), VenueId::BINANCE_SPOT, Symbol::new("BTCUSDT").unwrap(), -2, -8)).unwrap();
    t.insert(Instrument::new(InstrumentId(2), VenueId::OKX, Symbol::new("BTC-USDT").unwrap(), -1, -8)).unwrap();
    assert_eq!(
        t.insert(Instrument::new(InstrumentId(1), VenueId::OKX, Symbol::new("ETH-USDT").unwrap(), -2, -6)),
        Err(TableError::DuplicateId(1))
    );
    assert!(matches!(
        t.insert(Instrument::new(InstrumentId(3), VenueId::OKX, Symbol::new("BTC-USDT").unwrap(), -2, -6)),
        Err(TableError::DuplicateSymbol { .. })
    ));
    let bytes = t.to_bytes();
    assert_eq!(InstrumentTable::from_bytes(&bytes).unwrap(), t);
    assert!(matches!(InstrumentTable::from_bytes(&bytes[..bytes.len() - 1]), Err(TableError::Truncated { .. })));
    let mut flipped = bytes.clone();
    flipped[40] ^= 1;
    assert_eq!(InstrumentTable::from_bytes(&flipped), Err(TableError::Checksum));
    let mut magic = bytes.clone();
    magic[0] = b'X';
    assert_eq!(InstrumentTable::from_bytes(&magic), Err(TableError::BadMagic));
    let mut layout = bytes;
    layout[16] ^= 1;
    assert!(matches!(InstrumentTable::from_bytes(&layout), Err(TableError::LayoutMismatch { .. })));
    let i = t.get(InstrumentId(1)).unwrap();
    assert_eq!(i.price(6_543_210).to_string(), "65432.10");
    assert_eq!(i.qty(1).to_string(), "0.00000001");
}
