//! Absent is not zero: a venue field that is missing prints as null, never as 0. Gemini's
//! `l2_updates` have no sequence; frames without a venue time have no time.

#![allow(clippy::unwrap_used)]

use mdbus_bus::{HeapRing, Start};
use mdbus_feeder::{Feed, Rings};
use mdbus_schemas::{Instrument, InstrumentId, Kind, Nanos, RecordView, Symbol, VenueId};
use mdbus_tools::{decode, format};

#[test]
fn mdbus_decode_prints_null_for_gemini_book_sequences() {
    let frame = br#"{"type":"l2_updates","symbol":"BTCUSD","changes":[["buy","9122.04","0.00121425"],["sell","9122.07","0.98942292"]]}"#;
    let out = decode::decode_frame(decode::Venue::from_name("gemini").unwrap(), frame).unwrap();
    assert_eq!(out.len(), 1);
    assert!(out[0]["last_seq"].is_null(), "{}", out[0]);
    assert!(out[0]["exch_ts_ns"].is_null(), "{}", out[0]);
    // A venue that numbers its updates prints the number.
    let frame = br#"{"e":"depthUpdate","E":123456789,"s":"BNBBTC","U":157,"u":160,"b":[["0.0024","10"]],"a":[["0.0026","100"]]}"#;
    let out = decode::decode_frame(decode::Venue::from_name("binance-spot").unwrap(), frame).unwrap();
    assert_eq!(out[0]["last_seq"], 160);
}

#[test]
fn gemini_book_records_say_they_have_no_sequence_and_no_time() {
    let inst = vec![Instrument::new(InstrumentId(1), VenueId::GEMINI, Symbol::new("BTCUSD").unwrap(), -2, -8)];
    let mk = |k| HeapRing::create(k, 256).unwrap();
    let (q, _qr) = mk(Kind::QUOTE);
    let (t, tr) = mk(Kind::TRADE);
    let (b, br) = mk(Kind::BOOK_DELTA);
    let (d, _dr) = mk(Kind::BOOK_SNAPSHOT);
    let (bars, _barr) = mk(Kind::BAR);
    let mut f = Feed::new(mdbus_venues::GEMINI, inst, Rings { quotes: q, trades: t, book: b, depth: d, bars });
    let mut book = br.reader_at(Start::Oldest);
    let mut trades = tr.reader_at(Start::Oldest);
    f.on_frame(br#"{"type":"l2_updates","symbol":"BTCUSD","changes":[["buy","9122.04","0.00121425"],["sell","9122.07","0.98942292"]],"trades":[{"type":"trade","symbol":"BTCUSD","event_id":169841458,"timestamp":1560976400428,"price":"9122.04","quantity":"0.0073173","side":"sell"}]}"#, Nanos(1)).unwrap();
    let mut deltas = 0;
    while let Ok(rec) = book.try_read() {
        let v = rec.view().unwrap();
        if let RecordView::BookDelta(_) = v {
            deltas += 1;
            let j = format::to_json(&v, None);
            assert!(j["venue_seq"].is_null(), "{j}");
            assert!(j["venue_ts"].is_null(), "{j}");
        }
    }
    assert_eq!(deltas, 2);
    // The trade has both: its event id and its time.
    let j = loop {
        let rec = trades.try_read().unwrap();
        if rec.kind() == Kind::TRADE {
            break format::to_json(&rec.view().unwrap(), None);
        }
        // The ring's start marker has neither.
        let j = format::to_json(&rec.view().unwrap(), None);
        assert!(j["venue_seq"].is_null() && j["venue_ts"].is_null(), "{j}");
    };
    assert_eq!(
        (j["venue_seq"].as_u64(), j["venue_ts"].as_u64()),
        (Some(169841458), Some(1_560_976_400_428_000_000)),
        "{j}"
    );
}

#[test]
fn mdbus_decode_spells_symbols_as_each_venue_does() {
    use std::io::Write;
    let gz = |text: &str| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(text.as_bytes()).unwrap();
        e.finish().unwrap()
    };
    let htx = gz(
        r#"{"ch":"market.btcusdt.mbp.150","ts":1573199608679,"tick":{"seqNum":100020146795,"prevSeqNum":100020146794,"bids":[[618.37,0.0]],"asks":[[632.18,1.1]]}}"#,
    );
    let out = decode::decode_frame(decode::Venue::from_name("htx").unwrap(), &htx).unwrap();
    assert_eq!(out[0]["symbol"], "btcusdt", "HTX spells symbols in lowercase");
    let binance = br#"{"stream":"bnbbtc@depth","data":{"e":"depthUpdate","E":123456789,"s":"BNBBTC","U":157,"u":160,"b":[],"a":[]}}"#;
    assert_eq!(
        decode::decode_frame(decode::Venue::from_name("binance-spot").unwrap(), binance).unwrap()[0]["symbol"],
        "BNBBTC"
    );
    let partial = br#"{"stream":"bnbbtc@depth5","data":{"lastUpdateId":160,"bids":[["0.0024","10"]],"asks":[]}}"#;
    assert_eq!(
        decode::decode_frame(decode::Venue::from_name("binance-spot").unwrap(), partial).unwrap()[0]["symbol"],
        "BNBBTC"
    );
}

#[test]
fn gate_trade_times_keep_their_fraction_of_a_millisecond() {
    let frame = br#"{"time":1606292218,"time_ms":1606292218231,"channel":"spot.trades","event":"update","result":{"id":309143071,"create_time":1606292218,"create_time_ms":"1606292218213.4578","side":"sell","currency_pair":"GT_USDT","amount":"16.4700000000","price":"0.4705000000","range":"2390902-2390902"}}"#;
    let out = decode::decode_frame(decode::Venue::from_name("gateio").unwrap(), frame).unwrap();
    assert_eq!(out[0]["exch_ts_ns"], 1_606_292_218_213_457_800u64);
    let inst = vec![Instrument::new(InstrumentId(1), VenueId::GATEIO, Symbol::new("GT_USDT").unwrap(), -10, -10)];
    let mk = |k| HeapRing::create(k, 64).unwrap();
    let (q, _a) = mk(Kind::QUOTE);
    let (t, tr) = mk(Kind::TRADE);
    let (b, _c) = mk(Kind::BOOK_DELTA);
    let (d, _e) = mk(Kind::BOOK_SNAPSHOT);
    let (bars, _g) = mk(Kind::BAR);
    let mut f = Feed::new(mdbus_venues::GATEIO, inst, Rings { quotes: q, trades: t, book: b, depth: d, bars });
    f.on_frame(frame, Nanos(1)).unwrap();
    let mut r = tr.reader_at(Start::Oldest);
    let ts = loop {
        let rec = r.try_read().unwrap();
        if rec.kind() == Kind::TRADE {
            break rec.header().venue_ts;
        }
    };
    assert_eq!(ts, Nanos(1_606_292_218_213_457_800));
}

#[test]
fn mdbus_decode_reads_geminis_first_book_message_as_the_whole_book() {
    let first = br#"{"type":"l2_updates","symbol":"BTCUSD","changes":[["buy","9122.04","0.00121425"],["sell","9122.07","0.98942292"]],"trades":[{"type":"trade","symbol":"BTCUSD","event_id":169841458,"timestamp":1560976400428,"price":"9122.04","quantity":"0.0073173","side":"sell"}]}"#;
    let out = decode::decode_frame(decode::Venue::from_name("gemini").unwrap(), first).unwrap();
    assert_eq!(out[0]["kind"], "book_snapshot", "{}", out[0]);
    assert_eq!(out[1]["kind"], "trade");
    let later = br#"{"type":"l2_updates","symbol":"BTCUSD","changes":[["sell","9122.07","0"]]}"#;
    assert_eq!(
        decode::decode_frame(decode::Venue::from_name("gemini").unwrap(), later).unwrap()[0]["kind"],
        "book_delta"
    );
}
