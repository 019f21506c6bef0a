//! OKX, Bybit, HTX, Gate.io and Gemini end to end: each venue's simulator dialect ► the feeder
//! ► rings, read back as a consumer would. A quiet market at the end lets the book rebuilt from
//! the ring be compared with the simulator's, and trades are checked for loss and repeats,
//! through every fault and venue quirk.

// Test helpers outside #[test] functions panic on failure by design.
#![allow(clippy::unwrap_used)]

mod common;

use std::{
    collections::BTreeMap,
    path::PathBuf,
    time::{Duration, Instant},
};

use mdbus_bus::RingDir;
use mdbus_feeder::{
    config::FeedConfig,
    connection::ConnSettings,
    engine::{self, FeedStatus},
    tls,
};
use mdbus_schemas::{Bar, Kind, MarkerCode, Trade};
use mdbus_sim::{Faults, Sim, SimConfig, SimVenue};

use common::Book;

struct Run {
    status: FeedStatus,
    markers: Vec<MarkerCode>,
    /// Rebuilt from the book ring, by instrument id.
    books: BTreeMap<u32, Book>,
    /// Trade ids by instrument id, in ring order.
    trades: BTreeMap<u32, Vec<u64>>,
    quotes: usize,
    /// Bar records, in ring order.
    bars: Vec<Bar>,
    /// The simulator's books and last trade ids at the end, by instrument id.
    sim_books: BTreeMap<u32, (Book, u64)>,
    /// The feed's book table at the end, by instrument id (with the depth channel).
    tables: BTreeMap<u32, mdbus_bus::BookCopy>,
    /// A reader that copied instrument 1's book from the table halfway through the run and
    /// then followed the book ring from the sequence the copy included: its book at the end.
    followed: Option<Book>,
}

static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn settings() -> ConnSettings {
    ConnSettings::default()
        .silence(Duration::from_secs(5))
        .backoff(Duration::from_millis(20), Duration::from_millis(200))
}

/// A book started from a table copy, then followed through the book ring's records of its
/// instrument: cleared by `resync_start` or the first level of a snapshot.
fn follow(copy: &mdbus_bus::BookCopy, records: &[Vec<u8>]) -> Book {
    let mut book: Book = (copy.bids.iter().copied().collect(), copy.asks.iter().copied().collect());
    let mine: Vec<Vec<u8>> = records
        .iter()
        .filter(|b| {
            let h = mdbus_schemas::read_header(b).unwrap();
            h.seq > copy.ring_seq && h.instrument == copy.instrument
        })
        .cloned()
        .collect();
    let mut snapshotting = false;
    for b in &mine {
        let h = mdbus_schemas::read_header(b).unwrap();
        if h.kind == Kind::MARKER {
            let m = <mdbus_schemas::Marker as zerocopy::FromBytes>::read_from_bytes(&b[..64]).unwrap();
            if m.code == MarkerCode::RESYNC_START {
                book.0.clear();
                book.1.clear();
            }
            continue;
        }
        let d = <mdbus_schemas::BookDelta as zerocopy::FromBytes>::read_from_bytes(&b[..64]).unwrap();
        let snap = d.header.flags & mdbus_schemas::flags::SNAPSHOT != 0;
        if snap && !snapshotting {
            book.0.clear();
            book.1.clear();
        }
        snapshotting = snap && d.header.flags & mdbus_schemas::flags::LAST == 0;
        let side = if d.header.flags & mdbus_schemas::flags::ASK != 0 { &mut book.1 } else { &mut book.0 };
        if d.qty == 0 {
            side.remove(&d.price);
        } else {
            side.insert(d.price, d.qty);
        }
    }
    book
}

/// Runs `venue`'s simulator (quiet after `ticks` ticks of 1 ms) and one feeder worker for
/// `secs`, then reads the rings from the oldest record.
fn run(tag: &str, venue: SimVenue, faults: Faults, channels: &str, secs: u64, settings: ConnSettings) -> Run {
    let _serial = SERIAL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let symbols = venue.symbols();
    let sim = Sim::start(SimConfig {
        venue,
        symbols: symbols.clone(),
        faults,
        max_ticks: Some(1200),
        ..mdbus_venues::sim_config(mdbus_venues::binance::sim::SIM)
    })
    .unwrap();
    let d = common::Scratch::new(&format!("venues-{tag}"));
    let addr = sim.addr();
    let rest =
        if venue == mdbus_venues::gate::sim::SIM { format!("    rest_url: http://{addr}\n") } else { String::new() };
    let yaml = format!(
        "workers:\n  - {{ core: 0, poll: timeout, timeout_us: 200 }}\nfeeds:\n  - name: sim\n    venue: {}\n    url: ws://{addr}{}\n{rest}    channels: [{channels}]\n    ring_capacity: 262144\n    book_table_depth: 400\n    symbols:\n      - {{ symbol: {}, id: 1, price_exp: -2, qty_exp: -5 }}\n      - {{ symbol: {}, id: 2, price_exp: -2, qty_exp: -5 }}\n",
        venue.name(),
        venue.ws_path(),
        symbols[0],
        symbols[1]
    );
    let cfg = FeedConfig::from_yaml(&yaml, mdbus_venues::ALL).unwrap();
    let tls = tls::client_config(&[] as &[PathBuf], &[]).unwrap();
    let rd = RingDir::new(&d.0);
    let mut workers = engine::build(&cfg, mdbus_venues::ALL, &rd, tls, settings).unwrap();
    let mut w = workers.remove(0);
    let start = Instant::now();
    let table = |rd: &RingDir| mdbus_bus::BookTable::open(rd.books_path("sim").unwrap()).ok();
    let mut copy = None;
    while start.elapsed() < Duration::from_secs(secs) {
        w.step();
        if copy.is_none() && start.elapsed() >= Duration::from_secs(secs) / 2 {
            // A reader that starts late copies the book from the table.
            if let Some(t) = table(&rd) {
                let mut c = mdbus_bus::BookCopy::default();
                if t.read(mdbus_schemas::InstrumentId(1), &mut c) && c.state == Some(mdbus_bus::BookState::Live) {
                    copy = Some(c);
                }
            }
        }
    }
    // On a loaded machine the market may still be moving, or a book still resynchronising:
    // compare only once the market is quiet, every book in sync and nothing more on its way.
    let settled = common::settle(&mut w, &sim, Duration::from_secs(30));
    let status = w.status()[0].1;
    let keeps_books = channels.contains("depth") || channels.contains("obu");
    assert!(settled || !keeps_books, "books in sync at the end: {status:?}");
    let read_all = |name: &str| common::read_all(&rd, name);
    let (markers, books, _) = common::rebuild_books(&read_all("sim.book"));
    let mut trades: BTreeMap<u32, Vec<u64>> = BTreeMap::new();
    for b in read_all("sim.trade").iter().filter(|b| b[8] == Kind::TRADE.0) {
        let t = <Trade as zerocopy::FromBytes>::read_from_bytes(&b[..128]).unwrap();
        trades.entry(t.header.instrument.0).or_default().push(t.header.venue_seq);
    }
    let quotes = read_all("sim.quote").iter().filter(|b| b[8] == Kind::QUOTE.0).count();
    let bars = if channels.contains("kline") {
        read_all("sim.bar")
            .iter()
            .filter(|b| b[8] == Kind::BAR.0)
            .map(|b| <Bar as zerocopy::FromBytes>::read_from_bytes(&b[..128]).unwrap())
            .collect()
    } else {
        Vec::new()
    };
    let mut sim_books = BTreeMap::new();
    for (i, s) in symbols.iter().enumerate() {
        let b = sim.book(s).unwrap();
        sim_books.insert(i as u32 + 1, ((b.bids.into_iter().collect(), b.asks.into_iter().collect()), b.last_trade_id));
    }
    let mut tables = BTreeMap::new();
    if let Some(t) = table(&rd) {
        for id in t.instruments() {
            let mut c = mdbus_bus::BookCopy::default();
            assert!(t.read(id, &mut c));
            tables.insert(id.0, c);
        }
    }
    let followed = copy.map(|c| follow(&c, &read_all("sim.book")));
    drop(w);
    Run { status, markers, books, trades, quotes, bars, sim_books, tables, followed }
}

/// The book rebuilt from the ring equals the quiet simulator's, for both instruments; so do
/// the feed's book table and a reader that started from the table halfway and followed the
/// ring.
fn books_match(r: &Run) {
    for (id, (book, _)) in &r.sim_books {
        let got = r.books.get(id).cloned().unwrap_or_default();
        assert_eq!(got.0, book.0, "instrument {id}: bids ({:?}, markers {:?})", r.status, r.markers);
        assert_eq!(got.1, book.1, "instrument {id}: asks ({:?})", r.status);
        let t = r.tables.get(id).unwrap_or_else(|| panic!("instrument {id} in the book table"));
        assert_eq!(t.state, Some(mdbus_bus::BookState::Live), "instrument {id}: table state");
        let best_first_bids: Vec<(i64, i64)> = book.0.iter().rev().map(|(p, q)| (*p, *q)).collect();
        let best_first_asks: Vec<(i64, i64)> = book.1.iter().map(|(p, q)| (*p, *q)).collect();
        assert_eq!(t.bids, best_first_bids, "instrument {id}: table bids");
        assert_eq!(t.asks, best_first_asks, "instrument {id}: table asks");
    }
    if let Some(f) = &r.followed {
        let book = &r.sim_books[&1].0;
        assert_eq!(f, book, "started from the table, followed the ring: the same book");
    }
}

/// Trades arrive once each, none missing from the first seen to the simulator's last.
fn trades_exact(r: &Run) {
    for (id, (_, last)) in &r.sim_books {
        let ids = r.trades.get(id).cloned().unwrap_or_default();
        assert!(ids.len() > 50, "instrument {id}: {} trades", ids.len());
        let first = ids[0];
        let want: Vec<u64> = (first..=*last).collect();
        assert_eq!(ids, want, "instrument {id}: every trade once, in order");
    }
}

/// The venue's ticker and 1-minute candle channels, built by the simulator from its trades,
/// decoded into records: bars, every one consistent, for both instruments; quotes where the
/// venue's ticker carries the best bid and offer (`quoting`: not Bybit spot's).
fn tickers_and_candles(venue: SimVenue, tag: &str, quoting: bool) {
    summaries(venue, tag, "trade, ticker, kline_1m", quoting);
}

/// As [`tickers_and_candles`], with the channels given (a venue whose ticker carries no book
/// sizes has no `ticker` channel in the feeder: Gate.io's `book_ticker` is its quote).
fn summaries(venue: SimVenue, tag: &str, channels: &str, quoting: bool) {
    let r = run(tag, venue, Faults::default(), channels, 3, settings());
    assert_eq!(r.status.feed.errors, 0, "{:?}", r.status);
    if quoting {
        assert!(r.quotes > 10, "quotes from tickers: {}", r.quotes);
    } else {
        assert_eq!(r.quotes, 0, "a ticker without the book's top quotes nothing");
    }
    assert!(!r.bars.is_empty(), "no bars: {:?}", r.status);
    for b in &r.bars {
        assert!(b.low <= b.open.min(b.close) && b.high >= b.open.max(b.close), "{b:?}");
        assert!(b.volume > 0, "{b:?}");
        assert_eq!(b.interval_ns, 60_000_000_000, "{b:?}");
    }
    let instruments: std::collections::BTreeSet<u32> = r.bars.iter().map(|b| b.header.instrument.0).collect();
    assert_eq!(instruments.len(), 2, "bars of both instruments");
}

fn count(r: &Run, code: MarkerCode) -> usize {
    r.markers.iter().filter(|c| **c == code).count()
}

fn clean(venue: SimVenue, tag: &str, channels: &str) {
    let r = run(tag, venue, Faults::default(), channels, 3, settings());
    assert!(r.followed.is_some(), "a reader copied a live book from the table halfway");
    assert_eq!(r.status.feed.errors, 0, "{:?}", r.status);
    assert_eq!(count(&r, MarkerCode::GAP), 0, "{:?}", r.markers);
    assert!(count(&r, MarkerCode::RESYNC_DONE) >= 2, "{:?}", r.markers);
    books_match(&r);
    trades_exact(&r);
    if channels.contains("book_ticker") {
        assert!(r.quotes > 100, "quotes: {}", r.quotes);
    }
}

fn gap(venue: SimVenue, tag: &str) {
    gap_on(venue, tag, "depth");
}

fn gap_on(venue: SimVenue, tag: &str, book: &str) {
    let faults = Faults { gap_every: 300, ..Faults::default() };
    let r = run(tag, venue, faults, &format!("trade, {book}"), 3, settings());
    let g = r.markers.iter().position(|c| *c == MarkerCode::GAP).expect("a gap marker");
    assert!(r.markers[g..].contains(&MarkerCode::RESYNC_DONE), "resynced after the gap: {:?}", r.markers);
    books_match(&r);
}

fn drop_and_reconnect(venue: SimVenue, tag: &str) {
    drop_and_reconnect_on(venue, tag, "depth");
}

fn drop_and_reconnect_on(venue: SimVenue, tag: &str, book: &str) {
    let faults = Faults { drop_every: 1500, ..Faults::default() };
    let r = run(tag, venue, faults, &format!("trade, {book}"), 3, settings());
    assert!(r.status.conns.connects >= 2, "{:?}", r.status);
    let disc = r.markers.iter().position(|c| *c == MarkerCode::DISCONNECTED).expect("disconnect marker");
    assert!(r.markers[disc..].contains(&MarkerCode::RESYNC_START), "book cleared: {:?}", r.markers);
    assert!(r.markers[disc..].contains(&MarkerCode::RESYNC_DONE), "book rebuilt: {:?}", r.markers);
    books_match(&r);
}

fn malformed_and_duplicated(venue: SimVenue, tag: &str) {
    malformed_and_duplicated_on(venue, tag, "depth");
}

fn malformed_and_duplicated_on(venue: SimVenue, tag: &str, book: &str) {
    let faults = Faults { malformed_every: 97, dup_every: 251, ..Faults::default() };
    let r = run(tag, venue, faults, &format!("trade, {book}"), 3, settings());
    assert!(r.status.feed.errors > 0, "{:?}", r.status);
    assert_eq!(r.status.conns.disconnects, 0, "the connection survives: {:?}", r.status);
    assert_eq!(count(&r, MarkerCode::GAP), 0, "a repeated update is not a gap: {:?}", r.markers);
    books_match(&r);
}

fn refused(venue: SimVenue, tag: &str, topic: &str) {
    let faults = Faults { refuse: vec![topic.into()], ..Faults::default() };
    let r = run(tag, venue, faults, "trade, depth", 2, settings());
    assert!(r.status.conns.refused >= 1, "{:?}", r.status);
    assert!(r.trades.get(&1).is_some_and(|t| t.len() > 50), "the other topics flow");
    assert!(!r.trades.contains_key(&2), "the refused topic carries nothing");
}

/// The venue cuts clients silent for 300 ms: the feeder's keepalive every 100 ms keeps the
/// connection; a keepalive slower than the cut loses it.
fn keepalive(venue: SimVenue, tag: &str) {
    let faults = Faults { idle_cut: Some(Duration::from_millis(300)), ..Faults::default() };
    let r = run(tag, venue, faults.clone(), "trade", 2, settings().keepalive(Duration::from_millis(100)));
    assert_eq!(r.status.conns.disconnects, 0, "kept alive: {:?}", r.status);
    let r = run(&format!("{tag}-slow"), venue, faults, "trade", 2, settings().keepalive(Duration::from_secs(10)));
    assert!(r.status.conns.disconnects >= 1, "cut without keepalive: {:?}", r.status);
}

#[test]
fn okx_books_trades_and_quotes_exact() {
    clean(mdbus_venues::okx::sim::SIM, "okx", "trade, book_ticker, depth");
}

#[test]
fn okx_tickers_and_candles_into_quotes_and_bars() {
    tickers_and_candles(mdbus_venues::okx::sim::SIM, "okx-summaries", true);
}

#[test]
fn okx_sequence_resets_and_keepalive_updates_continue_the_book() {
    let faults = Faults { reset_every: 200, keepalive_every: 50, ..Faults::default() };
    let r = run("okx-reset", mdbus_venues::okx::sim::SIM, faults, "trade, depth", 3, settings());
    assert_eq!(count(&r, MarkerCode::GAP), 0, "{:?}", r.markers);
    assert_eq!(r.status.feed.errors, 0, "{:?}", r.status);
    books_match(&r);
    trades_exact(&r);
}

#[test]
fn okx_gap_resubscribes_for_a_fresh_snapshot() {
    gap(mdbus_venues::okx::sim::SIM, "okx-gap");
}

#[test]
fn okx_reconnects_and_rebuilds() {
    drop_and_reconnect(mdbus_venues::okx::sim::SIM, "okx-drop");
}

#[test]
fn okx_malformed_and_repeated_frames() {
    malformed_and_duplicated(mdbus_venues::okx::sim::SIM, "okx-bad");
}

#[test]
fn okx_refused_topic() {
    refused(mdbus_venues::okx::sim::SIM, "okx-refuse", "trades:ETH-USDT");
}

#[test]
fn okx_ping_keeps_the_connection() {
    keepalive(mdbus_venues::okx::sim::SIM, "okx-ping");
}

#[test]
fn bybit_books_trades_and_quotes_exact() {
    clean(mdbus_venues::bybit::sim::SIM, "bybit", "trade, book_ticker, depth");
}

#[test]
fn bybit_tickers_and_candles_into_bars() {
    tickers_and_candles(mdbus_venues::bybit::sim::SIM, "bybit-summaries", false);
}

#[test]
fn bybit_resent_snapshots_and_restarts_replace_the_book() {
    let faults = Faults { resnapshot_every: 150, reset_every: 400, ..Faults::default() };
    let r = run("bybit-resnap", mdbus_venues::bybit::sim::SIM, faults, "trade, depth", 3, settings());
    assert_eq!(count(&r, MarkerCode::GAP), 0, "{:?}", r.markers);
    assert!(count(&r, MarkerCode::RESYNC_DONE) >= 6, "every snapshot replaces the book: {:?}", r.markers);
    books_match(&r);
}

#[test]
fn bybit_empty_snapshots_clear_the_book_for_consumers_too() {
    let faults = Faults { empty_snapshot_every: 150, ..Faults::default() };
    let r = run("bybit-empty", mdbus_venues::bybit::sim::SIM, faults, "trade, depth", 3, settings());
    assert_eq!(count(&r, MarkerCode::GAP), 0, "{:?}", r.markers);
    assert!(r.status.feed.errors == 0, "{:?}", r.status);
    assert!(count(&r, MarkerCode::RESYNC_START) >= 4, "every replacement is told: {:?}", r.markers);
    books_match(&r);
}

#[test]
fn bybit_gap_resubscribes_for_a_fresh_snapshot() {
    gap(mdbus_venues::bybit::sim::SIM, "bybit-gap");
}

#[test]
fn bybit_reconnects_and_rebuilds() {
    drop_and_reconnect(mdbus_venues::bybit::sim::SIM, "bybit-drop");
}

#[test]
fn bybit_malformed_and_repeated_frames() {
    malformed_and_duplicated(mdbus_venues::bybit::sim::SIM, "bybit-bad");
}

#[test]
fn bybit_refused_topic() {
    refused(mdbus_venues::bybit::sim::SIM, "bybit-refuse", "publicTrade.ETHUSDT");
}

#[test]
fn bybit_ping_keeps_the_connection() {
    keepalive(mdbus_venues::bybit::sim::SIM, "bybit-ping");
}

#[test]
fn htx_gzip_books_trades_and_quotes_exact() {
    clean(mdbus_venues::htx::sim::SIM, "htx", "trade, book_ticker, depth");
}

#[test]
fn htx_tickers_and_candles_into_quotes_and_bars() {
    tickers_and_candles(mdbus_venues::htx::sim::SIM, "htx-summaries", true);
}

#[test]
fn htx_pings_are_answered_and_the_connection_stays() {
    let faults = Faults { heartbeat_every: Some(Duration::from_millis(50)), ..Faults::default() };
    let r = run("htx-ping", mdbus_venues::htx::sim::SIM, faults, "trade, depth", 2, settings());
    assert_eq!(r.status.conns.disconnects, 0, "{:?}", r.status);
    books_match(&r);
}

#[test]
fn htx_gap_requests_a_fresh_snapshot() {
    gap(mdbus_venues::htx::sim::SIM, "htx-gap");
}

#[test]
fn htx_reconnects_and_rebuilds() {
    drop_and_reconnect(mdbus_venues::htx::sim::SIM, "htx-drop");
}

#[test]
fn htx_malformed_and_repeated_frames() {
    malformed_and_duplicated(mdbus_venues::htx::sim::SIM, "htx-bad");
}

#[test]
fn htx_refused_topic() {
    refused(mdbus_venues::htx::sim::SIM, "htx-refuse", "market.ethusdt.trade.detail");
}

#[test]
fn gate_candles_into_bars() {
    summaries(mdbus_venues::gate::sim::SIM, "gate-summaries", "trade, kline_1m", false);
}

#[test]
fn gate_books_from_rest_snapshots_trades_and_quotes_exact() {
    clean(mdbus_venues::gate::sim::SIM, "gate", "trade, book_ticker, depth");
}

#[test]
fn gate_gap_refetches_the_snapshot() {
    gap(mdbus_venues::gate::sim::SIM, "gate-gap");
}

#[test]
fn gate_reconnects_and_rebuilds() {
    drop_and_reconnect(mdbus_venues::gate::sim::SIM, "gate-drop");
}

/// Order book v2 (`spot.obu`): the full book comes in the stream after each subscribe; a gap
/// makes the feeder unsubscribe and subscribe again for a new full push; a full push the venue
/// resends while the book is live replaces it.
#[test]
fn gate_obu_books_from_in_stream_full_pushes_exact() {
    clean(mdbus_venues::gate::sim::SIM, "gate-obu", "trade, book_ticker, obu400");
}

#[test]
fn gate_obu_gap_resubscribes_for_a_full_push() {
    gap_on(mdbus_venues::gate::sim::SIM, "gate-obu-gap", "obu400");
}

#[test]
fn gate_obu_reconnects_and_rebuilds() {
    drop_and_reconnect_on(mdbus_venues::gate::sim::SIM, "gate-obu-drop", "obu400");
}

#[test]
fn gate_obu_malformed_and_repeated_frames() {
    malformed_and_duplicated_on(mdbus_venues::gate::sim::SIM, "gate-obu-bad", "obu400");
}

#[test]
fn gate_obu_resent_full_push_replaces_the_live_book() {
    let faults = Faults { resnapshot_every: 200, ..Faults::default() };
    let r = run("gate-obu-resnap", mdbus_venues::gate::sim::SIM, faults, "trade, obu400", 3, settings());
    assert_eq!(count(&r, MarkerCode::GAP), 0, "{:?}", r.markers);
    assert!(count(&r, MarkerCode::RESYNC_DONE) >= 4, "every full push replaced the book: {:?}", r.markers);
    books_match(&r);
}

#[test]
fn gate_malformed_and_repeated_frames() {
    malformed_and_duplicated(mdbus_venues::gate::sim::SIM, "gate-bad");
}

#[test]
fn gate_refused_topic() {
    refused(mdbus_venues::gate::sim::SIM, "gate-refuse", "spot.trades|ETH_USDT");
}

#[test]
fn gate_ping_keeps_the_connection() {
    keepalive(mdbus_venues::gate::sim::SIM, "gate-ping");
}

#[test]
fn gemini_candles_into_bars() {
    summaries(mdbus_venues::gemini::sim::SIM, "gemini-summaries", "trade, kline_1m", false);
}

#[test]
fn gemini_books_and_trades_exact() {
    clean(mdbus_venues::gemini::sim::SIM, "gemini", "trade, depth");
}

#[test]
fn gemini_reconnect_clears_the_book_and_repeated_trades_are_dropped() {
    drop_and_reconnect(mdbus_venues::gemini::sim::SIM, "gemini-drop");
    let faults = Faults { drop_every: 1500, ..Faults::default() };
    let r = run("gemini-drop-trades", mdbus_venues::gemini::sim::SIM, faults, "trade, depth", 3, settings());
    for (id, ids) in &r.trades {
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "instrument {id}: no trade twice");
    }
}

#[test]
fn gemini_malformed_and_repeated_frames() {
    malformed_and_duplicated(mdbus_venues::gemini::sim::SIM, "gemini-bad");
}

#[test]
fn gemini_heartbeats_keep_the_watchdog_quiet() {
    let faults = Faults { heartbeat_every: Some(Duration::from_millis(100)), ..Faults::default() };
    let quiet = ConnSettings::default().silence(Duration::from_millis(600));
    // The market goes quiet after 1.2 s; heartbeats keep the connection for the rest.
    let r = run("gemini-hb", mdbus_venues::gemini::sim::SIM, faults, "trade, depth", 3, quiet);
    assert_eq!(r.status.conns.disconnects, 0, "{:?}", r.status);
}

#[test]
fn htx_cuts_a_client_that_leaves_pings_unanswered() {
    let _serial = SERIAL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let faults = Faults { heartbeat_every: Some(Duration::from_millis(100)), ..Faults::default() };
    let sim = Sim::start(SimConfig {
        venue: mdbus_venues::htx::sim::SIM,
        symbols: mdbus_venues::htx::sim::SIM.symbols(),
        faults,
        ..mdbus_venues::sim_config(mdbus_venues::binance::sim::SIM)
    })
    .unwrap();
    let (mut ws, _) = tungstenite::connect(format!("ws://{}/feed", sim.addr())).unwrap();
    let start = Instant::now();
    let mut pings = 0;
    let closed = loop {
        assert!(start.elapsed() < Duration::from_secs(5), "never cut");
        match ws.read() {
            Ok(tungstenite::Message::Binary(b)) => {
                let mut text = String::new();
                std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&b[..]), &mut text).unwrap();
                pings += usize::from(text.starts_with("{\"ping\""));
            }
            Ok(_) => {}
            Err(_) => break start.elapsed(),
        }
    };
    assert_eq!(pings, 2, "cut after two unanswered pings");
    assert!(closed >= Duration::from_millis(200), "{closed:?}");
}
