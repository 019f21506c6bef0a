//! Feeder configuration: the shipped examples load; every bad field is named with its path.

// Test helpers outside #[test] functions panic on failure by design.
#![allow(clippy::unwrap_used)]

use mdbus_feeder::config::{ConfigError, FeedConfig, PollMode};

fn example(name: &str) -> String {
    std::fs::read_to_string(format!("{}/../config/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[test]
fn shipped_examples_load() {
    let c = FeedConfig::from_yaml(&example("binance.yaml"), mdbus_venues::ALL).unwrap();
    assert_eq!(c.feeds.len(), 2);
    assert_eq!(c.feeds[1].market, "usdm");
    assert_eq!(c.workers[0].poll, PollMode::Busy);
    let d = FeedConfig::from_yaml(&example("demo.yaml"), mdbus_venues::ALL).unwrap();
    assert_eq!(d.workers[0].poll, PollMode::Timeout);
    // The demo takes its exponents from the simulator's metadata, so they always fit.
    assert!(d.feeds[0].uses_venue_metadata());
    assert!(d.feeds[0].url.starts_with("ws://127.0.0.1"));
}

#[test]
fn every_venue_example_loads_and_names_its_topics() {
    for (file, venue, market, topic) in [
        ("okx.yaml", mdbus_venues::OKX, "spot", "books:BTC-USDT"),
        ("bybit.yaml", mdbus_venues::BYBIT_LINEAR, "linear", "orderbook.50.BTCUSDT"),
        ("htx.yaml", mdbus_venues::HTX, "spot", "market.btcusdt.mbp.150"),
        ("gateio.yaml", mdbus_venues::GATEIO, "spot", "spot.order_book_update|BTC_USDT,100ms"),
        ("gemini.yaml", mdbus_venues::GEMINI, "spot", "l2:BTCUSD"),
    ] {
        let c = FeedConfig::from_yaml(&example(file), mdbus_venues::ALL).unwrap();
        let f = c.feeds.last().unwrap();
        assert_eq!(f.market, market, "{file}");
        let v = mdbus_venues::ALL.find(&f.venue, &f.market).unwrap();
        assert_eq!(v, venue, "{file}");
        let symbols: Vec<&str> = f.symbols.iter().map(|s| s.symbol.as_str()).collect();
        let topics = v.topics(&f.channels, &symbols).unwrap();
        assert!(topics.iter().any(|t| t == topic), "{file}: {topics:?}");
    }
}

#[test]
fn channels_and_markets_are_checked_per_venue() {
    let base = example("okx.yaml");
    let bad = base.replace("channels: [trade, book_ticker, depth, kline_1m]", "channels: [trade, agg_trade, depth10]");
    let ConfigError::Invalid(fields) = FeedConfig::from_yaml(&bad, mdbus_venues::ALL).unwrap_err() else { panic!() };
    let paths: Vec<&str> = fields.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["feeds[0].channels[1]", "feeds[0].channels[2]"]);
    let bad = example("bybit.yaml").replace("market: linear", "market: usdm");
    let ConfigError::Invalid(fields) = FeedConfig::from_yaml(&bad, mdbus_venues::ALL).unwrap_err() else { panic!() };
    assert_eq!(fields[0].path, "feeds[1].market");
    let bad = example("gateio.yaml").replace("    rest_url: https://api.gateio.ws\n", "");
    let ConfigError::Invalid(fields) = FeedConfig::from_yaml(&bad, mdbus_venues::ALL).unwrap_err() else { panic!() };
    assert_eq!(fields[0].path, "feeds[0].rest_url", "Gate.io books need REST snapshots");
    // Gate.io `spot.obu` books come in the stream: no REST needed; two book channels on one
    // feed would keep the same books twice, and are refused by name.
    let obu = example("gateio.yaml").replace("    rest_url: https://api.gateio.ws\n", "").replace("depth", "obu400");
    assert!(obu.contains("obu400"), "{obu}");
    FeedConfig::from_yaml(&obu, mdbus_venues::ALL).unwrap();
    let both = example("gateio.yaml").replace("depth", "depth, obu50");
    let ConfigError::Invalid(fields) = FeedConfig::from_yaml(&both, mdbus_venues::ALL).unwrap_err() else { panic!() };
    assert_eq!(fields[0].path, "feeds[0].channels");
    assert!(fields[0].message.contains("depth and obu50"), "{}", fields[0].message);
}

/// The demo configuration with exponents given for its symbols.
fn demo_with_exponents() -> String {
    let base = example("demo.yaml");
    assert!(base.contains("{ symbol: BTCUSDT, id: 1 }"), "{base}");
    base.replace("{ symbol: BTCUSDT, id: 1 }", "{ symbol: BTCUSDT, id: 1, price_exp: -2, qty_exp: -5 }")
        .replace("{ symbol: ETHUSDT, id: 2 }", "{ symbol: ETHUSDT, id: 2, price_exp: -2, qty_exp: -5 }")
}

#[test]
fn unknown_keys_and_wrong_types_name_their_path() {
    let base = demo_with_exponents();
    let typo = base.replace("ring_capacity:", "ring_capacty:");
    match FeedConfig::from_yaml(&typo, mdbus_venues::ALL).unwrap_err() {
        ConfigError::Parse { path, message } => {
            assert_eq!(path, "feeds[0].ring_capacty");
            assert!(message.contains("ring_capacty"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    let wrong = base.replacen("price_exp: -2, qty_exp: -5", "price_exp: lots, qty_exp: -5", 1);
    match FeedConfig::from_yaml(&wrong, mdbus_venues::ALL).unwrap_err() {
        ConfigError::Parse { path, .. } => assert_eq!(path, "feeds[0].symbols[0].price_exp"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(FeedConfig::from_yaml("workers: [", mdbus_venues::ALL).unwrap_err(), ConfigError::Parse { .. }));
}

#[test]
fn exponents_come_both_or_neither() {
    let base = demo_with_exponents();
    // Neither: they come from the venue's instrument metadata.
    let venue = base.replace(", price_exp: -2, qty_exp: -5", "");
    let cfg = FeedConfig::from_yaml(&venue, mdbus_venues::ALL).unwrap();
    assert!(cfg.feeds[0].uses_venue_metadata());
    assert_eq!(cfg.feeds[0].symbols[0].exponents(), None);
    assert_eq!(cfg.feeds[0].instrument_refresh_s, 3_600);
    assert!(!FeedConfig::from_yaml(&base, mdbus_venues::ALL).unwrap().feeds[0].uses_venue_metadata());
    // One alone is an error naming the missing one.
    let half = base.replacen("price_exp: -2, qty_exp: -5", "price_exp: -2", 1);
    match FeedConfig::from_yaml(&half, mdbus_venues::ALL).unwrap_err() {
        ConfigError::Invalid(errs) => {
            assert!(
                errs.iter().any(|e| e.path == "feeds[0].symbols[0].qty_exp" && e.message.contains("neither")),
                "{errs:?}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn every_invalid_field_is_reported_at_once() {
    let yaml = r#"
workers:
  - { core: 0, poll: timeout, timeout_us: 0 }
  - { core: 0 }
feeds:
  - name: "bad name!"
    venue: kraken
    market: options
    url: http://x
    rest_url: ftp://x
    worker: 7
    channels: [trade, depth7, kline_2m]
    ring_capacity: 1000
    symbols:
      - { symbol: BTCUSDT, id: 1, price_exp: -30, qty_exp: 2 }
      - { symbol: btcusdt, id: 1, price_exp: -2, qty_exp: 2 }
"#;
    let err = FeedConfig::from_yaml(yaml, mdbus_venues::ALL).unwrap_err();
    let ConfigError::Invalid(fields) = &err else { panic!("{err:?}") };
    let paths: Vec<&str> = fields.iter().map(|f| f.path.as_str()).collect();
    for expected in [
        "workers[0].timeout_us",
        "workers[1].core",
        "feeds[0].name",
        "feeds[0].venue",
        "feeds[0].market",
        "feeds[0].url",
        "feeds[0].rest_url",
        "feeds[0].worker",
        "feeds[0].channels[1]",
        "feeds[0].channels[2]",
        "feeds[0].ring_capacity",
        "feeds[0].symbols[0].price_exp",
        "feeds[0].symbols[1].symbol",
        "feeds[0].symbols[1].id",
    ] {
        assert!(paths.contains(&expected), "{expected} not reported in {paths:?}");
    }
    let text = err.to_string();
    assert!(text.contains("14 invalid fields") || text.contains("invalid fields"), "{text}");
    assert!(text.contains("feeds[0].venue: unknown venue"), "{text}");
}

#[test]
fn snapshot_depth_is_checked_against_the_venue() {
    let with = |file: &str, after: &str, depth: u32| {
        example(file).replacen(after, &format!("{after}    snapshot_depth: {depth}\n"), 1)
    };
    let ok =
        FeedConfig::from_yaml(&with("gateio.yaml", "    rest_url: https://api.gateio.ws\n", 50), mdbus_venues::ALL)
            .unwrap();
    assert_eq!(ok.feeds[0].snapshot_depth, Some(50));
    let bad = with("gateio.yaml", "    rest_url: https://api.gateio.ws\n", 101);
    let ConfigError::Invalid(fields) = FeedConfig::from_yaml(&bad, mdbus_venues::ALL).unwrap_err() else { panic!() };
    assert_eq!(fields[0].path, "feeds[0].snapshot_depth");
    assert!(fields[0].message.contains("between 1 and 100"), "{}", fields[0].message);
    let okx = example("okx.yaml");
    let first_url = okx.lines().find(|l| l.trim_start().starts_with("url:")).unwrap().to_owned() + "\n";
    let bad = with("okx.yaml", &first_url, 10);
    let ConfigError::Invalid(fields) = FeedConfig::from_yaml(&bad, mdbus_venues::ALL).unwrap_err() else { panic!() };
    assert_eq!(fields[0].path, "feeds[0].snapshot_depth", "OKX snapshots come in the stream");
}

#[test]
fn every_type_error_is_listed_once_with_its_path() {
    let base = demo_with_exponents();
    // Four wrong types in three places.
    let bad = base
        .replace("ring_capacity: 65536", "ring_capacity: lots")
        .replace(
            "{ symbol: BTCUSDT, id: 1, price_exp: -2, qty_exp: -5 }",
            "{ symbol: BTCUSDT, id: one, price_exp: -2, qty_exp: -5 }",
        )
        .replace(
            "{ symbol: ETHUSDT, id: 2, price_exp: -2, qty_exp: -5 }",
            "{ symbol: ETHUSDT, id: 2, price_exp: x, qty_exp: -5 }",
        )
        .replace("timeout_us: 200", "timeout_us: soon");
    let ConfigError::Invalid(errs) = FeedConfig::from_yaml(&bad, mdbus_venues::ALL).unwrap_err() else {
        panic!("all errors in one report")
    };
    let paths: Vec<&str> = errs.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        ["workers[0].timeout_us", "feeds[0].ring_capacity", "feeds[0].symbols[0].id", "feeds[0].symbols[1].price_exp"],
        "{errs:?}"
    );
    for e in &errs {
        assert!(!e.message.contains(&e.path), "the path is named once: {e:?}");
        assert!(e.message.contains("invalid type"), "{e:?}");
    }
    // A single error keeps the parser's line and column, and names the path once.
    let one = base.replace("ring_capacity: 65536", "ring_capacity: lots");
    let err = FeedConfig::from_yaml(&one, mdbus_venues::ALL).unwrap_err().to_string();
    assert_eq!(err.matches("feeds[0].ring_capacity").count(), 1, "{err}");
    assert!(err.contains("line "), "{err}");
}

#[test]
fn a_worker_on_a_core_the_host_does_not_have_is_refused() {
    let cfg = FeedConfig::from_yaml(&demo_with_exponents().replace("core: 1", "core: 999"), mdbus_venues::ALL).unwrap();
    let dir = std::env::temp_dir().join(format!("mdbus-core-check-{}", std::process::id()));
    let tls = mdbus_feeder::tls::client_config(&[] as &[std::path::PathBuf], &[]).unwrap();
    let err = mdbus_feeder::engine::build(
        &cfg,
        mdbus_venues::ALL,
        &mdbus_bus::RingDir::new(&dir),
        tls,
        mdbus_feeder::connection::ConnSettings::default(),
    )
    .expect_err("refused")
    .to_string();
    assert!(err.contains("workers[0].core") && err.contains("999"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// What is valid but probably unmeant is reported as warnings with the field's path, and the
/// shipped examples (wss://, loopback for the demo) have none about their URLs.
#[test]
fn warnings_name_what_is_probably_unmeant() {
    let yaml = "workers:\n  - { core: 0, poll: timeout }\nfeeds:\n  - name: f\n    venue: binance\n    url: ws://stream.binance.com:9443/ws\n    rest_url: https://api.binance.com\n    channels: [depth]\n    snapshot_depth: 10\n    book_table_depth: 50\n    symbols:\n      - { symbol: BTCUSDT, id: 1, price_exp: -2, qty_exp: -5 }\n  - name: g\n    venue: okx\n    url: ws://127.0.0.1:9443/ws/v5/public\n    channels: [trade]\n    symbols:\n      - { symbol: BTC-USDT, id: 2, price_exp: -1, qty_exp: -8 }\naccounts:\n  - { name: a, venue: okx, market: spot, ws_url: \"ws://ws.okx.com:8443/ws/v5/private\", credentials_env: OKX }\n";
    let cfg = FeedConfig::from_yaml(yaml, mdbus_venues::ALL).unwrap();
    let paths: Vec<String> = cfg.warnings().into_iter().map(|w| w.path).collect();
    assert_eq!(paths, ["feeds[0].url", "feeds[0].book_table_depth", "accounts[0].ws_url"], "loopback ws:// is fine");
    for name in ["okx.yaml", "binance.yaml", "demo.yaml"] {
        let cfg = FeedConfig::from_yaml(&example(name), mdbus_venues::ALL).unwrap();
        assert!(cfg.warnings().iter().all(|w| !w.path.ends_with("url")), "{name}: {:?}", cfg.warnings());
    }
}
