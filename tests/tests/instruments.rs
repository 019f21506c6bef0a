//! The feeder takes its exponents from each venue's instrument metadata (the simulator serves it
//! in every venue's format), and follows a precision change while it runs: the symbol is
//! relisted under a new id with finer exponents, records already published keep their id and
//! meaning, and a subscriber resolves both.

// Test helpers outside #[test] functions panic on failure by design.
#![allow(clippy::unwrap_used)]

mod common;

use std::{
    path::PathBuf,
    time::{Duration, Instant},
};

use mdbus_bus::{RingDir, Start};
use mdbus_feeder::{
    capture::{self, Entry},
    config::FeedConfig,
    connection::ConnSettings,
    engine, tls,
};
use mdbus_schemas::{InstrumentId, Kind, MarkerCode, RecordView, Trade};
use mdbus_sdk::subscriber::{Event, Subscriber};
use mdbus_sim::{Sim, SimConfig};
use mdbus_tools::replay::{Speed, replay, verify};

fn settings() -> ConnSettings {
    ConnSettings::default()
        .silence(Duration::from_secs(5))
        .backoff(Duration::from_millis(20), Duration::from_millis(200))
}

/// A feeder configuration for one feed on `addr`; `symbols` are YAML flow entries.
fn yaml(venue: &str, market: &str, ws_path: &str, addr: &str, symbols: &[String], extra: &str) -> String {
    let list: String = symbols.iter().map(|s| format!("      - {s}\n")).collect();
    format!(
        "workers:\n  - {{ core: 0, poll: timeout, timeout_us: 200 }}\nfeeds:\n  - name: sim\n    venue: {venue}\n    market: {market}\n    url: ws://{addr}{ws_path}\n    rest_url: http://{addr}\n    channels: [trade, depth]\n    ring_capacity: 65536\n{extra}    symbols:\n{list}"
    )
}

#[test]
fn the_feeder_takes_exponents_from_every_venues_metadata() {
    for (venue, market, usdm) in [
        (mdbus_venues::binance::sim::SIM, "spot", false),
        (mdbus_venues::binance::sim::SIM, "usdm", true),
        (mdbus_venues::okx::sim::SIM, "spot", false),
        (mdbus_venues::bybit::sim::SIM, "spot", false),
        (mdbus_venues::bybit::sim::SIM, "linear", false),
        (mdbus_venues::htx::sim::SIM, "spot", false),
        (mdbus_venues::gate::sim::SIM, "spot", false),
        (mdbus_venues::gemini::sim::SIM, "spot", false),
    ] {
        let tag = format!("{}-{market}", venue.name());
        let symbols = venue.symbols();
        let sim = Sim::start(SimConfig {
            venue,
            usdm,
            symbols: symbols.clone(),
            ..mdbus_venues::sim_config(mdbus_venues::binance::sim::SIM)
        })
        .unwrap();
        // The first symbol's metadata announces a finer tick and lot than the default, so the
        // exponents can only have come from it; the second gives its own in the configuration.
        assert!(sim.set_precision(&symbols[0], 3, 6));
        let d = common::Scratch::new(&format!("instruments-{tag}"));
        let addr = sim.addr().to_string();
        let cfg = FeedConfig::from_yaml(
            &yaml(
                venue.name(),
                market,
                venue.ws_path(),
                &addr,
                &[
                    format!("{{ symbol: {}, id: 11 }}", symbols[0]),
                    format!("{{ symbol: {}, id: 12, price_exp: -4, qty_exp: -7 }}", symbols[1]),
                ],
                "",
            ),
            mdbus_venues::ALL,
        )
        .unwrap();
        let rd = RingDir::new(&d.0);
        let tls = tls::client_config(&[] as &[PathBuf], &[]).unwrap();
        let workers = engine::build(&cfg, mdbus_venues::ALL, &rd, tls, settings()).unwrap();
        let table = rd.load_instruments().unwrap().unwrap().unwrap();
        let exps = |id: u32| table.get(InstrumentId(id)).map(|i| (i.price_exp, i.qty_exp));
        assert_eq!(exps(11), Some((-3, -6)), "{tag}: from the venue's metadata");
        assert_eq!(exps(12), Some((-4, -7)), "{tag}: from the configuration");
        drop(workers);

        // A symbol the venue does not list is a configuration error that names it.
        let cfg = FeedConfig::from_yaml(
            &yaml(venue.name(), market, venue.ws_path(), &addr, &["{ symbol: NOSUCH, id: 13 }".to_owned()], ""),
            mdbus_venues::ALL,
        )
        .unwrap();
        let tls = tls::client_config(&[] as &[PathBuf], &[]).unwrap();
        let err = engine::build(&cfg, mdbus_venues::ALL, &rd, tls, settings()).unwrap_err().to_string();
        assert!(err.contains("NOSUCH") && err.contains("not among the venue's instruments"), "{tag}: {err}");
    }

    // A venue whose metadata cannot be loaded: the error says what was being loaded.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().to_string();
    let cfg = FeedConfig::from_yaml(
        &yaml("okx", "spot", "/ws/v5/public", &closed, &["{ symbol: BTC-USDT, id: 1 }".into()], ""),
        mdbus_venues::ALL,
    )
    .unwrap();
    let d = common::Scratch::new("instruments-down");
    let tls = tls::client_config(&[] as &[PathBuf], &[]).unwrap();
    let err = engine::build(&cfg, mdbus_venues::ALL, &RingDir::new(&d.0), tls, settings()).unwrap_err().to_string();
    assert!(err.contains("instrument metadata (OKX___SPOT)"), "{err}");
}

#[test]
fn a_precision_change_mid_run_relists_without_touching_published_records() {
    let sim = Sim::start(SimConfig {
        max_ticks: Some(3_000),
        tick: Duration::from_millis(1),
        ..mdbus_venues::sim_config(mdbus_venues::binance::sim::SIM)
    })
    .unwrap();
    let d = common::Scratch::new("instruments-relist");
    let addr = sim.addr().to_string();
    let cfg = FeedConfig::from_yaml(
        &yaml(
            "binance",
            "spot",
            "/stream",
            &addr,
            &["{ symbol: BTCUSDT, id: 1 }".to_owned(), "{ symbol: ETHUSDT, id: 2 }".to_owned()],
            &format!("    instrument_refresh_s: 1\n    record: {}\n", d.0.join("relist.cap").display()),
        ),
        mdbus_venues::ALL,
    )
    .unwrap();
    let rd = RingDir::new(&d.0);
    let tls = tls::client_config(&[] as &[PathBuf], &[]).unwrap();
    let mut w = engine::build(&cfg, mdbus_venues::ALL, &rd, tls, settings()).unwrap().remove(0);
    // A strategy that opened the ring (and read the table) before the change.
    let mut sub = Subscriber::open_in(&rd, "sim.trade", Start::Oldest).unwrap();
    assert!(sub.instrument(InstrumentId(3)).is_none());
    let start = Instant::now();
    let mut changed = false;
    while start.elapsed() < Duration::from_secs(7) {
        w.step();
        if !changed && start.elapsed() > Duration::from_millis(1200) {
            // The venue moves BTCUSDT to a tick of 0.001; ETHUSDT keeps 0.01.
            assert!(sim.set_precision("BTCUSDT", 3, 5));
            changed = true;
        }
    }
    assert!(common::settle(&mut w, &sim, Duration::from_secs(30)), "books in sync at the end: {:?}", w.status());
    let status = w.status()[0].1;
    assert_eq!((status.feed.relisted, status.metadata_errors), (1, 0), "{status:?}");

    // The table keeps the old listing by id and points the symbol at the new one.
    let table = rd.load_instruments().unwrap().unwrap().unwrap();
    let old = *table.get(InstrumentId(1)).unwrap();
    let new = *table.by_symbol(old.venue, "BTCUSDT").unwrap();
    assert_eq!((old.price_exp, old.qty_exp), (-2, -5));
    assert_eq!((new.id, new.price_exp, new.qty_exp), (InstrumentId(3), -3, -5));
    assert_eq!(table.get(InstrumentId(2)).map(|i| i.price_exp), Some(-2), "ETHUSDT untouched");

    // The book ring: the old listing's book ends with a resync marker under the old id, the
    // new one is rebuilt from a snapshot under the new id and matches the quiet market, its
    // prices ten times the old mantissas.
    let records = common::read_all(&rd, "sim.book");
    let pos = |id: u32| records.iter().position(|b| mdbus_schemas::read_header(b).unwrap().instrument.0 == id);
    let first_new = pos(3).expect("records under the new id");
    let resync_old = records.iter().rposition(|b| {
        matches!(RecordView::from_bytes(b), Ok(RecordView::Marker(m))
            if m.code == MarkerCode::RESYNC_START && m.header.instrument.0 == 1)
    });
    assert!(resync_old.is_some_and(|r| r < first_new), "the old book is closed before the new one starts");
    assert!(records[first_new..].iter().all(|b| mdbus_schemas::read_header(b).unwrap().instrument.0 != 1));
    let (_, books, _) = common::rebuild_books(&records);
    let want = sim.book("BTCUSDT").unwrap();
    let got = books.get(&3).unwrap();
    let bids: Vec<(i64, i64)> = got.0.iter().rev().map(|(p, q)| (*p, *q)).collect();
    let want_bids: Vec<(i64, i64)> = want.bids.iter().map(|(p, q)| (p * 10, *q)).collect();
    assert_eq!(bids, want_bids);
    assert_eq!(books.get(&2).map(|b| b.0.len()), Some(sim.book("ETHUSDT").unwrap().bids.len()));

    // Trades: before the change at the old exponent, after at the new; the subscriber opened
    // before the change resolves both ids (the new one by re-reading the table).
    let (mut old_ids, mut new_ids) = (0, 0);
    let mut last_price = None;
    while let Some(ev) = sub.poll().unwrap() {
        let Event::Record { view: RecordView::Trade(t), instrument } = ev else { continue };
        let t: Trade = *t;
        let inst = instrument.unwrap_or_else(|| panic!("instrument {} unresolved", t.header.instrument.0));
        if t.header.kind != Kind::TRADE || inst.symbol.as_str() != "BTCUSDT" {
            continue;
        }
        match inst.id.0 {
            1 => old_ids += 1,
            3 => {
                new_ids += 1;
                assert_eq!(t.price % 10, 0, "the market still moves in cents");
            }
            other => panic!("unexpected id {other}"),
        }
        last_price = Some(inst.price(t.price));
    }
    assert!(old_ids > 10 && new_ids > 10, "{old_ids} trades before, {new_ids} after");
    assert!(last_price.is_some());

    // The recording holds the relisting, and a replay reproduces every record, the old and the
    // new listing's alike.
    drop(w);
    let cap = capture::read(&d.0.join("relist.cap")).unwrap();
    assert!(cap.complete && cap.damage.is_none());
    let relisted: Vec<_> = cap.entries.iter().filter(|e| matches!(e, Entry::Relisted { .. })).collect();
    assert_eq!(relisted.len(), 1, "{relisted:?}");
    let rd2 = RingDir::new(d.0.join("replay"));
    replay(&cap, &rd2, "again", 1 << 20, Speed::Max, &mut |_, _| {}).unwrap();
    let v = verify(&cap, &rd2, "again").unwrap();
    assert!(v.mismatches.is_empty() && v.compared > 100, "{v:?}");
    let table = rd2.load_instruments().unwrap().unwrap().unwrap();
    assert_eq!(table.by_symbol(old.venue, "BTCUSDT").map(|i| (i.id, i.price_exp)), Some((InstrumentId(3), -3)));
}

#[test]
fn the_shipped_demo_configuration_runs_against_the_simulator_without_errors() {
    let sim =
        Sim::start(SimConfig { max_ticks: Some(1500), ..mdbus_venues::sim_config(mdbus_venues::binance::sim::SIM) })
            .unwrap();
    let text = std::fs::read_to_string(format!("{}/../config/demo.yaml", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let text = text.replace("127.0.0.1:9443", &sim.addr().to_string()).replace("core: 1", "core: 0");
    let cfg = FeedConfig::from_yaml(&text, mdbus_venues::ALL).unwrap();
    let d = common::Scratch::new("demo-config");
    let rd = RingDir::new(&d.0);
    let tls = tls::client_config(&[] as &[PathBuf], &[]).unwrap();
    let mut w = engine::build(&cfg, mdbus_venues::ALL, &rd, tls, settings()).unwrap().remove(0);
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(3) {
        w.step();
    }
    assert!(common::settle(&mut w, &sim, Duration::from_secs(30)), "books in sync: {:?}", w.status());
    let status = w.status()[0].1;
    assert!(status.feed.frames > 1000, "{status:?}");
    assert_eq!((status.feed.errors, status.feed.value_errors), (0, 0), "{status:?}");
    assert_eq!(status.books_live, 2, "both books, ETHUSDT's included: {status:?}");
    // The book table holds each book's top 20 levels, as the ring and the market have them.
    let (_, rebuilt, _) = common::rebuild_books(&common::read_all(&rd, "sim-binance-spot.book"));
    let table = mdbus_bus::BookTable::open(rd.books_path("sim-binance-spot").unwrap()).unwrap();
    for (id, symbol) in [(1u32, "BTCUSDT"), (2, "ETHUSDT")] {
        let mut c = mdbus_bus::BookCopy::default();
        assert!(table.read(InstrumentId(id), &mut c));
        assert_eq!(c.state, Some(mdbus_bus::BookState::Live));
        let (bids, asks) = &rebuilt[&id];
        let top = |it: &mut dyn Iterator<Item = (&i64, &i64)>| it.take(20).map(|(p, q)| (*p, *q)).collect::<Vec<_>>();
        assert_eq!(c.bids, top(&mut bids.iter().rev()), "{symbol}: table bids = ring");
        assert_eq!(c.asks, top(&mut asks.iter()), "{symbol}: table asks = ring");
        let market = sim.book(symbol).unwrap();
        assert_eq!(c.bids, market.bids.into_iter().take(20).collect::<Vec<_>>(), "{symbol}: = the market");
    }
}
