//! What differs between venues: topic names, subscribe requests and their limits, keepalives,
//! snapshot sources, and the per-connection decoding state (HTX gzip and pings, Gemini's first
//! book per subscription); and the generic feed applying each venue's messages.

// Test helpers outside #[test] functions panic on failure by design.
#![allow(clippy::unwrap_used)]

#[path = "../../feeder/tests/util/mod.rs"]
mod util;

use std::io::Write;

use mdbus_feeder::{
    Levels, Message,
    venue::{FrameError, Reply, SessionDecoder, SnapshotSource, Venue},
};
use mdbus_schemas::{BookDelta, Instrument, InstrumentId, Kind, Marker, MarkerCode, Nanos, Symbol, Trade};

fn ch(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn channels_map_to_each_venues_topics() {
    let c = ch(&["trade", "book_ticker", "depth", "kline_1h"]);
    let cases: [(Venue, &str, [&str; 4]); 5] = [
        (mdbus_venues::OKX, "BTC-USDT", ["trades:BTC-USDT", "bbo-tbt:BTC-USDT", "books:BTC-USDT", "candle1H:BTC-USDT"]),
        (
            mdbus_venues::BYBIT_SPOT,
            "BTCUSDT",
            ["publicTrade.BTCUSDT", "orderbook.1.BTCUSDT", "orderbook.50.BTCUSDT", "kline.60.BTCUSDT"],
        ),
        (
            mdbus_venues::HTX,
            "BTCUSDT",
            [
                "market.btcusdt.trade.detail",
                "market.btcusdt.bbo",
                "market.btcusdt.mbp.150",
                "market.btcusdt.kline.60min",
            ],
        ),
        (
            mdbus_venues::GATEIO,
            "BTC_USDT",
            [
                "spot.trades|BTC_USDT",
                "spot.book_ticker|BTC_USDT",
                "spot.order_book_update|BTC_USDT,100ms",
                "spot.candlesticks|1h,BTC_USDT",
            ],
        ),
        (
            mdbus_venues::BINANCE_SPOT,
            "BTCUSDT",
            ["btcusdt@trade", "btcusdt@bookTicker", "btcusdt@depth@100ms", "btcusdt@kline_1h"],
        ),
    ];
    for (v, sym, want) in cases {
        assert_eq!(v.topics(&c, &[sym]).unwrap(), want, "{v:?}");
    }
    // Gemini: trades and the book are one `l2` subscription; there is no best bid/offer channel.
    assert_eq!(mdbus_venues::GEMINI.topics(&ch(&["trade", "depth"]), &["BTCUSD"]).unwrap(), ["l2:BTCUSD"]);
    assert_eq!(mdbus_venues::GEMINI.topics(&ch(&["book_ticker"]), &["BTCUSD"]).unwrap_err(), "book_ticker");
    assert_eq!(mdbus_venues::HTX.topics(&ch(&["kline_3m"]), &["btcusdt"]).unwrap_err(), "kline_3m");
}

#[test]
fn subscribe_requests_are_the_venues_own() {
    let v = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap();
    let okx = v(&mdbus_venues::OKX.subscribe(7, &ch(&["books:BTC-USDT", "trades:BTC-USDT"])));
    assert_eq!(okx["op"], "subscribe");
    assert_eq!(okx["id"], "7");
    assert_eq!(okx["args"][0]["channel"], "books");
    assert_eq!(okx["args"][1]["instId"], "BTC-USDT");
    let bybit = v(&mdbus_venues::BYBIT_LINEAR.subscribe(8, &ch(&["orderbook.50.BTCUSDT"])));
    assert_eq!((bybit["op"].as_str(), bybit["req_id"].as_str()), (Some("subscribe"), Some("8")));
    let htx = v(&mdbus_venues::HTX.subscribe(9, &ch(&["market.btcusdt.mbp.150"])));
    assert_eq!((htx["sub"].as_str(), htx["id"].as_str()), (Some("market.btcusdt.mbp.150"), Some("9")));
    let gate = v(&mdbus_venues::GATEIO.subscribe(10, &ch(&["spot.order_book_update|BTC_USDT,100ms"])));
    assert_eq!(gate["channel"], "spot.order_book_update");
    assert_eq!(gate["payload"], serde_json::json!(["BTC_USDT", "100ms"]));
    assert_eq!(gate["id"], 10);
    let gemini = v(&mdbus_venues::GEMINI.subscribe(0, &ch(&["l2:BTCUSD", "l2:ETHUSD", "candles_1m:BTCUSD"])));
    assert_eq!(gemini["subscriptions"][0], serde_json::json!({"name": "l2", "symbols": ["BTCUSD", "ETHUSD"]}));
    assert_eq!(gemini["subscriptions"][1]["name"], "candles_1m");
    // Resubscribing (for a fresh in-stream snapshot) is unsubscribe then subscribe.
    let r = mdbus_venues::OKX.resubscribe("books:BTC-USDT");
    assert_eq!((v(&r[0])["op"].as_str(), v(&r[1])["op"].as_str()), (Some("unsubscribe"), Some("subscribe")));
    assert!(mdbus_venues::GATEIO.resubscribe("spot.trades|BTC_USDT").is_empty());
    // Gate.io `spot.obu`: one `ob.{pair}.{levels}` payload; a new full push comes after
    // unsubscribing and subscribing again.
    assert_eq!(mdbus_venues::GATEIO.topics(&ch(&["obu400"]), &["BTC_USDT"]).unwrap(), ["spot.obu|ob.BTC_USDT.400"]);
    let obu = v(&mdbus_venues::GATEIO.subscribe(11, &ch(&["spot.obu|ob.BTC_USDT.50"])));
    assert_eq!(
        (obu["channel"].as_str(), obu["payload"].clone()),
        (Some("spot.obu"), serde_json::json!(["ob.BTC_USDT.50"]))
    );
    let r = mdbus_venues::GATEIO.resubscribe("spot.obu|ob.BTC_USDT.50");
    assert_eq!((v(&r[0])["event"].as_str(), v(&r[1])["event"].as_str()), (Some("unsubscribe"), Some("subscribe")));
    assert_eq!(v(&r[0])["payload"], serde_json::json!(["ob.BTC_USDT.50"]));
}

#[test]
fn limits_keepalives_and_snapshot_sources() {
    assert_eq!(mdbus_venues::BYBIT_SPOT.limits().topics_per_request, 10);
    assert_eq!(mdbus_venues::HTX.limits().topics_per_request, 1);
    assert_eq!(mdbus_venues::BINANCE_SPOT.limits().topics_per_connection, 1024);
    assert_eq!(mdbus_venues::OKX.ping().as_deref(), Some("ping"));
    assert!(mdbus_venues::BYBIT_LINEAR.ping().unwrap().contains(r#""op":"ping""#));
    assert!(mdbus_venues::GATEIO.ping().unwrap().contains("spot.ping"));
    assert_eq!((mdbus_venues::HTX.keepalive(), mdbus_venues::GEMINI.keepalive()), (None, None));
    assert!(!mdbus_venues::GEMINI.acks());
    assert_eq!(mdbus_venues::GATEIO.snapshots(), SnapshotSource::Rest);
    assert_eq!(mdbus_venues::HTX.snapshots(), SnapshotSource::Request);
    assert_eq!(mdbus_venues::OKX.snapshots(), SnapshotSource::InBand);
    assert!(mdbus_venues::HTX.snapshot_request("BTCUSDT").unwrap().contains(r#""req":"market.btcusdt.mbp.150""#));
    // The deepest snapshot each venue gives, by default.
    assert_eq!(
        mdbus_venues::GATEIO.snapshot_path("BTC_USDT").unwrap(),
        "/api/v4/spot/order_book?currency_pair=BTC_USDT&limit=100&with_id=true"
    );
    assert_eq!(mdbus_venues::BINANCE_SPOT.snapshot_path("BTCUSDT").unwrap(), "/api/v3/depth?symbol=BTCUSDT&limit=5000");
    assert_eq!(
        mdbus_venues::BINANCE_USDM.snapshot_path("BTCUSDT").unwrap(),
        "/fapi/v1/depth?symbol=BTCUSDT&limit=1000"
    );
    assert_eq!(
        mdbus_venues::BINANCE_SPOT.snapshot_path_depth("BTCUSDT", 100).unwrap(),
        "/api/v3/depth?symbol=BTCUSDT&limit=100"
    );
    assert_eq!(mdbus_venues::OKX.snapshot_max_depth(), None);
}

fn gzip(text: &str) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(text.as_bytes()).unwrap();
    e.finish().unwrap()
}

#[test]
fn htx_frames_are_inflated_and_pings_answered() {
    let mut d = SessionDecoder::new(mdbus_venues::HTX);
    let mut levels = Levels::default();
    let mut n = 0;
    let reply = d.decode(&gzip(r#"{"ping":1492420473027}"#), true, &mut levels, &mut |_, _| n += 1).unwrap();
    assert_eq!(reply, Reply::Pong(1492420473027));
    let frame = gzip(
        r#"{"ch":"market.btcusdt.mbp.150","ts":1,"tick":{"seqNum":11,"prevSeqNum":10,"bids":[[618.37,0]],"asks":[[632.18,1.1]]}}"#,
    );
    let mut seq = None;
    d.decode(&frame, true, &mut levels, &mut |m, _| {
        if let Message::Depth(x) = m {
            seq = Some((x.prev_seq, x.last_seq));
        }
    })
    .unwrap();
    assert_eq!(seq, Some((Some(10), 11)));
    assert!(matches!(d.decode(b"\x1f\x8bnot gzip", true, &mut levels, &mut |_, _| {}), Err(FrameError::Gunzip(_))));
    // Text venues refuse binary frames by name.
    let mut okx = SessionDecoder::new(mdbus_venues::OKX);
    assert_eq!(okx.decode(b"{}", true, &mut levels, &mut |_, _| {}).unwrap_err(), FrameError::Binary);
}

#[test]
fn gemini_first_book_after_each_subscribe_is_a_snapshot() {
    let mut d = SessionDecoder::new(mdbus_venues::GEMINI);
    let mut levels = Levels::default();
    let mut kinds = Vec::new();
    let mut push = |frame: &str, d: &mut SessionDecoder| {
        d.decode(frame.as_bytes(), false, &mut levels, &mut |m, _| {
            if let Message::Depth(x) = m {
                kinds.push(x.snapshot);
            }
        })
        .unwrap();
    };
    let upd = r#"{"type":"l2_updates","symbol":"BTCUSD","changes":[["buy","1.00","2"]]}"#;
    let first = r#"{"type":"l2_updates","symbol":"BTCUSD","changes":[["buy","1.00","2"]],"trades":[]}"#;
    push(upd, &mut d); // the first of the connection
    push(upd, &mut d);
    push(first, &mut d); // a resubscribe's book carries the recent trades
    push(upd, &mut d);
    d.reset();
    push(upd, &mut d);
    assert_eq!(kinds, [true, false, true, false, true]);
}

fn inst(venue: Venue, sym: &str) -> Vec<Instrument> {
    vec![Instrument::new(InstrumentId(1), venue.id(), Symbol::new(sym).unwrap(), -2, -5)]
}

fn markers(r: &mut mdbus_bus::Reader) -> Vec<MarkerCode> {
    let mut out = Vec::new();
    while let Ok(rec) = r.try_read() {
        if rec.header().kind == Kind::MARKER {
            out.push(rec.get::<Marker>().unwrap().code);
        }
    }
    out
}

#[test]
fn okx_feed_applies_in_stream_snapshots_resets_and_keepalives() {
    let (mut f, mut r, _rings) = util::venue_feed(mdbus_venues::OKX, inst(mdbus_venues::OKX, "BTC-USDT"));
    let book = |action: &str, prev: i64, seq: i64, bids: &str| {
        format!(
            r#"{{"arg":{{"channel":"books","instId":"BTC-USDT"}},"action":"{action}","data":[{{"asks":[["2.00","1","0","1"]],"bids":[{bids}],"ts":"1","checksum":0,"prevSeqId":{prev},"seqId":{seq}}}]}}"#
        )
    };
    for fr in [
        book("update", 4, 5, ""), // before any snapshot: buffered, then dropped by the snapshot
        book("snapshot", -1, 10, r#"["1.00","3","0","1"]"#),
        book("update", 10, 11, r#"["1.00","4","0","1"]"#),
        book("update", 11, 11, ""),                       // keepalive
        book("update", 11, 3, r#"["1.01","1","0","1"]"#), // sequence reset
        book("update", 3, 4, r#"["1.01","0","0","1"]"#),
        book("update", 3, 4, r#"["1.01","0","0","1"]"#), // a repeat
    ] {
        f.on_frame(fr.as_bytes(), Nanos(1)).unwrap();
    }
    assert_eq!(f.book(0).unwrap().bids(), [(100, 400_000)]);
    assert_eq!(markers(&mut r.book), [MarkerCode::RESYNC_DONE]);
    f.on_frame(book("update", 9, 12, "").as_bytes(), Nanos(1)).unwrap();
    assert_eq!(markers(&mut r.book), [MarkerCode::GAP, MarkerCode::RESYNC_START]);
    assert!(f.book(0).unwrap().wants_snapshot());
}

#[test]
fn gemini_feed_drops_trades_its_first_book_repeats() {
    let (mut f, mut r, _rings) = util::venue_feed(mdbus_venues::GEMINI, inst(mdbus_venues::GEMINI, "BTCUSD"));
    let trade = |id: u64| {
        format!(
            r#"{{"type":"trade","symbol":"BTCUSD","event_id":{id},"timestamp":1,"price":"1.00","quantity":"1","side":"buy"}}"#
        )
    };
    f.on_frame(trade(5).as_bytes(), Nanos(1)).unwrap();
    f.on_frame(trade(6).as_bytes(), Nanos(1)).unwrap();
    let first = format!(
        r#"{{"type":"l2_updates","symbol":"BTCUSD","changes":[["buy","1.00","2"],["sell","1.01","2"]],"trades":[{},{},{}]}}"#,
        trade(5),
        trade(6),
        trade(7)
    );
    f.on_frame(first.as_bytes(), Nanos(1)).unwrap();
    let mut ids = Vec::new();
    while let Ok(rec) = r.trades.try_read() {
        if let Some(t) = rec.get::<Trade>() {
            ids.push(t.header.venue_seq);
        }
    }
    assert_eq!(ids, [5, 6, 7]);
    assert!(f.book(0).unwrap().is_live());
    let mut deltas = 0;
    while let Ok(rec) = r.book.try_read() {
        deltas += usize::from(rec.get::<BookDelta>().is_some() && rec.header().kind == Kind::BOOK_DELTA);
    }
    assert_eq!(deltas, 2);
}

#[test]
fn htx_feed_takes_gzip_frames_and_req_snapshots() {
    let (mut f, _r, _rings) = util::venue_feed(mdbus_venues::HTX, inst(mdbus_venues::HTX, "btcusdt"));
    let diff = |prev: u64, seq: u64, q: &str| {
        gzip(&format!(
            r#"{{"ch":"market.btcusdt.mbp.150","ts":1,"tick":{{"seqNum":{seq},"prevSeqNum":{prev},"bids":[[1.00,{q}]],"asks":[]}}}}"#
        ))
    };
    f.on_frame(&diff(99, 100, "1"), Nanos(1)).unwrap();
    f.on_frame(&diff(100, 101, "2"), Nanos(1)).unwrap();
    let snap = gzip(
        r#"{"id":"snapshot-btcusdt","rep":"market.btcusdt.mbp.150","status":"ok","ts":1,"data":{"seqNum":100,"bids":[[1.00,1]],"asks":[[1.01,3]]}}"#,
    );
    f.on_frame(&snap, Nanos(1)).unwrap();
    assert!(f.book(0).unwrap().is_live());
    assert_eq!(f.book(0).unwrap().bids(), [(100, 200_000)]);
    assert_eq!(f.book(0).unwrap().asks(), [(101, 300_000)]);
    assert!(f.on_frame(b"\x1f\x8bbroken", Nanos(1)).is_err());
    assert_eq!(f.stats().errors, 1);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]

    /// Any bytes, as text or binary frames, through every venue's session decoder and REST
    /// snapshot parser: an error or messages, never a panic.
    #[test]
    fn arbitrary_frames_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300), binary in proptest::prelude::any::<bool>()) {
        let mut levels = Levels::default();
        for v in mdbus_venues::ALL {
            let mut d = SessionDecoder::new(v);
            let _ = d.decode(&bytes, binary, &mut levels, &mut |_, _| {});
            let _ = v.rest_snapshot(&bytes, &mut levels);
        }
    }

    /// Gzip members of arbitrary (often JSON-like) text through the HTX session decoder.
    #[test]
    fn arbitrary_gzip_frames_never_panic(text in "[{}\\[\\],:\"a-z0-9.-]{0,200}") {
        let mut levels = Levels::default();
        let mut d = SessionDecoder::new(mdbus_venues::HTX);
        let _ = d.decode(&gzip(&text), true, &mut levels, &mut |_, _| {});
    }
}
