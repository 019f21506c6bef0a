//! The venue feed protocol against the simulator: every venue's REST market data by registry
//! key, returned as ring records with exponents from the instrument metadata; one strategy
//! function runs against every key; operations a feed lacks are typed errors.

// Test helpers outside #[test] functions panic on failure by design.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use mdbus_schemas::{Kind, flags};
use mdbus_sdk::{
    error::Error,
    registry::{Capabilities, Capability, FeedOptions, Registry, VenueFeed},
};
use mdbus_sim::{Sim, SimConfig, SimVenue};
use mdbus_venues::{binance::rest as binance, bybit::rest as bybit, okx::rest as okx};

/// A quiet simulated market (its generator stopped) for `usdm` or spot.
fn quiet_sim(usdm: bool) -> Sim {
    let sim = Sim::start(SimConfig {
        usdm,
        max_ticks: Some(400),
        ..mdbus_venues::sim_config(mdbus_venues::binance::sim::SIM)
    })
    .unwrap();
    assert!(sim.wait_quiet(Duration::from_secs(30)), "the simulated market goes quiet");
    sim
}

/// What a strategy written once does with any feed: the figures it looks at.
fn strategy(feed: &mut dyn VenueFeed, symbol: &str) -> Result<(i64, i64, u8, usize, u64), Error> {
    feed.connect()?;
    let q = feed.ticker(symbol)?;
    let book = feed.depth(symbol, 10)?;
    let trades = feed.trades(symbol, 50)?;
    let bars = feed.klines(symbol, "1m", 5)?;
    Ok((q.bid_px, q.ask_px, book.bid_count, trades.len(), bars.iter().map(|b| b.trades).sum()))
}

#[test]
fn binance_spot_and_usdm_market_data_by_registry_key() {
    let registry = Registry::new();
    binance::register(&registry).unwrap();
    for (key, usdm) in [("BINANCE___SPOT", false), ("BINANCE___SWAP", true)] {
        let sim = quiet_sim(usdm);
        let opts = FeedOptions::default().param("rest_url", &format!("http://{}", sim.addr())).param("first_id", "10");
        let mut feed = registry.create(key, &opts).unwrap();
        assert_eq!(feed.key(), key);
        assert!(!feed.is_connected());

        // Instruments: exponents from tick and lot sizes, ids from first_id on.
        let infos = feed.instruments().unwrap();
        assert!(feed.is_connected());
        assert_eq!(infos.iter().map(|i| i.symbol.as_str()).collect::<Vec<_>>(), ["BTCUSDT", "ETHUSDT"], "{key}");
        assert_eq!((infos[0].base.as_str(), infos[0].quote.as_str()), ("BTC", "USDT"));
        assert_eq!((infos[0].price_exp(), infos[0].qty_exp()), (-2, -5), "{key}");
        assert_eq!(
            infos[0].min_notional.map(|d| d.to_string()),
            Some(if usdm { "5" } else { "5.00000000" }.to_owned())
        );

        // The same record types as the rings, matching the simulator's own book and trades.
        let book = sim.book("BTCUSDT").unwrap();
        let q = feed.ticker("BTCUSDT").unwrap();
        assert_eq!(q.header.kind, Kind::QUOTE);
        assert_eq!(q.header.instrument.0, 10);
        assert_eq!((q.bid_px, q.bid_qty), book.bids[0], "{key}");
        assert_eq!((q.ask_px, q.ask_qty), book.asks[0], "{key}");
        let d = feed.depth("BTCUSDT", 10).unwrap();
        assert_eq!((d.bid_count, d.ask_count), (10, 10));
        let bids: Vec<(i64, i64)> = d.bids[..10].iter().map(|l| (l.price, l.qty)).collect();
        assert_eq!(bids, book.bids[..10], "{key}");
        assert_eq!(d.header.venue_seq, book.last_update_id);
        let trades = feed.trades("BTCUSDT", 50).unwrap();
        assert_eq!(trades.len(), 50);
        assert_eq!(trades.last().unwrap().header.venue_seq, book.last_trade_id, "the newest last");
        assert!(trades.windows(2).all(|w| w[1].header.venue_seq == w[0].header.venue_seq + 1));
        assert!(trades.iter().all(|t| t.header.flags & (flags::BUY | flags::SELL) != 0));
        let bars = feed.klines("BTCUSDT", "1m", 10).unwrap();
        assert!(!bars.is_empty());
        let b = bars.last().unwrap();
        assert!(b.low <= b.open && b.open <= b.high && b.low <= b.close && b.close <= b.high, "{key}");
        assert_eq!(b.interval_ns, 60_000_000_000);

        // Unknown symbols and lost connections are typed errors.
        assert!(matches!(feed.ticker("DOGEUSDT"), Err(Error::InvalidSymbol { .. })), "{key}");
        feed.disconnect();
        assert!(!feed.is_connected());
        // Nothing listening: a network error, not a panic or a default.
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        let opts = FeedOptions::default().param("rest_url", &format!("http://{closed}"));
        let mut gone = registry.create(key, &opts).unwrap();
        assert!(matches!(gone.ticker("BTCUSDT"), Err(Error::Network { .. })), "{key}");
        drop(sim);
    }
}

#[test]
fn okx_spot_market_data_by_registry_key() {
    let registry = Registry::new();
    okx::register(&registry).unwrap();
    let sim = Sim::start(SimConfig {
        venue: mdbus_venues::okx::sim::SIM,
        symbols: mdbus_venues::okx::sim::SIM.symbols(),
        max_ticks: Some(400),
        ..mdbus_venues::sim_config(mdbus_venues::binance::sim::SIM)
    })
    .unwrap();
    assert!(sim.wait_quiet(Duration::from_secs(30)), "the simulated market goes quiet");
    let opts = FeedOptions::default().param("rest_url", &format!("http://{}", sim.addr()));
    let mut feed = registry.create("OKX___SPOT", &opts).unwrap();
    let infos = feed.instruments().unwrap();
    assert_eq!(infos.iter().map(|i| i.symbol.as_str()).collect::<Vec<_>>(), ["BTC-USDT", "ETH-USDT"]);
    assert_eq!((infos[1].base.as_str(), infos[1].quote.as_str(), infos[1].status.as_str()), ("ETH", "USDT", "live"));
    assert_eq!((infos[0].price_exp(), infos[0].qty_exp()), (-2, -5));
    let book = sim.book("ETH-USDT").unwrap();
    let q = feed.ticker("ETH-USDT").unwrap();
    assert_eq!(((q.bid_px, q.bid_qty), (q.ask_px, q.ask_qty)), (book.bids[0], book.asks[0]));
    assert_eq!(q.header.venue, mdbus_schemas::VenueId::OKX);
    let d = feed.depth("ETH-USDT", 5).unwrap();
    let asks: Vec<(i64, i64)> = d.asks[..5].iter().map(|l| (l.price, l.qty)).collect();
    assert_eq!(asks, book.asks[..5]);
    assert_eq!(d.header.venue_seq, book.last_update_id);
    let trades = feed.trades("ETH-USDT", 20).unwrap();
    assert_eq!(trades.len(), 20);
    assert_eq!(trades.last().unwrap().header.venue_seq, book.last_trade_id, "oldest first, the newest last");
    let bars = feed.klines("ETH-USDT", "1m", 3).unwrap();
    assert!(!bars.is_empty() && bars.iter().all(|b| b.low <= b.high && b.interval_ns == 60_000_000_000));
    assert!(feed.ticker("DOGE-USDT").is_err(), "OKX's 51001 is an error, not an empty quote");
    assert!(matches!(feed.klines("ETH-USDT", "7x", 3), Err(Error::Venue { .. })));
}

#[test]
fn bybit_spot_and_linear_market_data_by_registry_key() {
    let registry = Registry::new();
    bybit::register(&registry).unwrap();
    let sim = Sim::start(SimConfig {
        venue: mdbus_venues::bybit::sim::SIM,
        max_ticks: Some(400),
        ..mdbus_venues::sim_config(mdbus_venues::binance::sim::SIM)
    })
    .unwrap();
    assert!(sim.wait_quiet(Duration::from_secs(30)), "the simulated market goes quiet");
    for (key, venue) in
        [("BYBIT___SPOT", mdbus_schemas::VenueId::BYBIT_SPOT), ("BYBIT___SWAP", mdbus_schemas::VenueId::BYBIT_LINEAR)]
    {
        let opts = FeedOptions::default().param("rest_url", &format!("http://{}", sim.addr()));
        let mut feed = registry.create(key, &opts).unwrap();
        let infos = feed.instruments().unwrap();
        assert_eq!(infos.iter().map(|i| i.symbol.as_str()).collect::<Vec<_>>(), ["BTCUSDT", "ETHUSDT"], "{key}");
        assert_eq!((infos[0].price_exp(), infos[0].qty_exp(), infos[0].status.as_str()), (-2, -5, "Trading"), "{key}");
        assert_eq!(infos[0].min_notional.map(|d| d.to_string()).as_deref(), Some("5"), "{key}");
        let book = sim.book("BTCUSDT").unwrap();
        let q = feed.ticker("BTCUSDT").unwrap();
        assert_eq!(((q.bid_px, q.bid_qty), (q.ask_px, q.ask_qty)), (book.bids[0], book.asks[0]), "{key}");
        assert_eq!(q.header.venue, venue);
        let d = feed.depth("BTCUSDT", 8).unwrap();
        let bids: Vec<(i64, i64)> = d.bids[..8].iter().map(|l| (l.price, l.qty)).collect();
        assert_eq!(bids, book.bids[..8], "{key}");
        let trades = feed.trades("BTCUSDT", 30).unwrap();
        assert_eq!(trades.len(), 30);
        assert_eq!(trades.last().unwrap().header.venue_seq, book.last_trade_id, "{key}: oldest first");
        let bars = feed.klines("BTCUSDT", "1m", 3).unwrap();
        assert!(!bars.is_empty() && bars.iter().all(|b| b.low <= b.high), "{key}");
        assert!(feed.ticker("DOGEUSDT").is_err(), "{key}: Bybit's 10001 is an error");
        assert!(matches!(feed.klines("BTCUSDT", "7m", 3), Err(Error::Venue { .. })), "{key}");
    }
}

#[test]
fn one_strategy_runs_against_every_venue_by_key_alone() {
    let registry = Registry::new();
    binance::register(&registry).unwrap();
    okx::register(&registry).unwrap();
    bybit::register(&registry).unwrap();
    mdbus_venues::htx::rest::register(&registry).unwrap();
    mdbus_venues::gate::rest::register(&registry).unwrap();
    mdbus_venues::gemini::rest::register(&registry).unwrap();
    let (htx_sim, gate_sim, gemini_sim) = (
        quiet_venue(mdbus_venues::htx::sim::SIM),
        quiet_venue(mdbus_venues::gate::sim::SIM),
        quiet_venue(mdbus_venues::gemini::sim::SIM),
    );
    let bybit_sim = Sim::start(SimConfig {
        venue: mdbus_venues::bybit::sim::SIM,
        max_ticks: Some(400),
        ..mdbus_venues::sim_config(mdbus_venues::binance::sim::SIM)
    })
    .unwrap();
    let (spot, usdm) = (quiet_sim(false), quiet_sim(true));
    let okx_sim = Sim::start(SimConfig {
        venue: mdbus_venues::okx::sim::SIM,
        symbols: mdbus_venues::okx::sim::SIM.symbols(),
        max_ticks: Some(400),
        ..mdbus_venues::sim_config(mdbus_venues::binance::sim::SIM)
    })
    .unwrap();
    for sim in [&bybit_sim, &okx_sim] {
        assert!(sim.wait_quiet(Duration::from_secs(30)), "the simulated market goes quiet");
    }
    let mut results = Vec::new();
    for (key, sim, symbol) in [
        ("BINANCE___SPOT", &spot, "ETHUSDT"),
        ("BINANCE___SWAP", &usdm, "ETHUSDT"),
        ("OKX___SPOT", &okx_sim, "ETH-USDT"),
        ("BYBIT___SWAP", &bybit_sim, "ETHUSDT"),
        ("HTX___SPOT", &htx_sim, "ethusdt"),
        ("GATEIO___SPOT", &gate_sim, "ETH_USDT"),
        ("GEMINI___SPOT", &gemini_sim, "ETHUSD"),
    ] {
        let opts = FeedOptions::default().param("rest_url", &format!("http://{}", sim.addr()));
        let mut feed = registry.create(key, &opts).unwrap();
        let (bid, ask, levels, trades, bar_trades) = strategy(feed.as_mut(), symbol).unwrap();
        assert!(bid < ask && levels == 10 && trades == 50, "{key}");
        assert!(bar_trades > 0 || !key.starts_with("BINANCE"), "{key}: Binance klines count their trades");
        results.push((bid, ask));
    }
    // The simulators run the same seed: the same market, seen through each venue's API.
    assert!(results.iter().all(|r| *r == results[0]), "{results:?}");
}

/// A quiet simulator of `venue` on its default symbols.
fn quiet_venue(venue: SimVenue) -> Sim {
    let sim = Sim::start(SimConfig {
        venue,
        symbols: venue.symbols(),
        max_ticks: Some(400),
        ..mdbus_venues::sim_config(mdbus_venues::binance::sim::SIM)
    })
    .unwrap();
    assert!(sim.wait_quiet(Duration::from_secs(30)), "the simulated market goes quiet");
    sim
}

#[test]
fn htx_gate_and_gemini_market_data_by_registry_key() {
    let registry = Registry::new();
    mdbus_venues::register_feeds(&registry).unwrap();
    for (key, venue, symbols, unknown, (pe, qe)) in [
        ("HTX___SPOT", mdbus_venues::htx::sim::SIM, ["btcusdt", "ethusdt"], "dogeusdt", (-2, -5)),
        ("GATEIO___SPOT", mdbus_venues::gate::sim::SIM, ["BTC_USDT", "ETH_USDT"], "DOGE_USDT", (-2, -5)),
        ("GEMINI___SPOT", mdbus_venues::gemini::sim::SIM, ["BTCUSD", "ETHUSD"], "DOGEUSD", (-2, -5)),
    ] {
        let sim = quiet_venue(venue);
        let opts = FeedOptions::default().param("rest_url", &format!("http://{}", sim.addr())).param("first_id", "40");
        let mut feed = registry.create(key, &opts).unwrap();
        assert_eq!(feed.key(), key);
        assert!(!feed.is_connected());
        feed.connect().unwrap();
        assert!(feed.is_connected(), "{key}");
        let infos = feed.instruments().unwrap();
        assert_eq!(infos.iter().map(|i| i.symbol.as_str()).collect::<Vec<_>>(), symbols, "{key}");
        assert_eq!((infos[0].price_exp(), infos[0].qty_exp()), (pe, qe), "{key}");
        assert!(!infos[0].base.is_empty() && !infos[0].quote.is_empty() && !infos[0].status.is_empty(), "{key}");

        let sym = symbols[1];
        let book = sim.book(sym).unwrap();
        let q = feed.ticker(sym).unwrap();
        assert_eq!(q.header.kind, Kind::QUOTE, "{key}");
        assert_eq!(q.header.instrument.0, 41, "{key}: ids from first_id in instrument order");
        assert_eq!(((q.bid_px, q.bid_qty), (q.ask_px, q.ask_qty)), (book.bids[0], book.asks[0]), "{key}");
        let d = feed.depth(sym, 10).unwrap();
        assert_eq!((d.bid_count, d.ask_count), (10, 10), "{key}");
        let asks: Vec<(i64, i64)> = d.asks[..10].iter().map(|l| (l.price, l.qty)).collect();
        assert_eq!(asks, book.asks[..10], "{key}");
        let trades = feed.trades(sym, 25).unwrap();
        assert_eq!(trades.len(), 25, "{key}");
        assert_eq!(trades.last().unwrap().header.venue_seq, book.last_trade_id, "{key}: oldest first");
        assert!(trades.windows(2).all(|w| w[0].header.venue_ts <= w[1].header.venue_ts), "{key}");
        assert!(trades.iter().all(|t| t.header.flags & (flags::BUY | flags::SELL) != 0), "{key}");
        let bars = feed.klines(sym, "1m", 4).unwrap();
        assert!(!bars.is_empty() && bars.len() <= 4, "{key}");
        assert!(bars.windows(2).all(|w| w[0].start_ts < w[1].start_ts), "{key}: oldest first");
        let b = bars.last().unwrap();
        assert!(b.low <= b.open && b.open <= b.high && b.low <= b.close && b.close <= b.high && b.volume > 0, "{key}");

        // Each venue's error body becomes a typed error.
        assert!(matches!(feed.ticker(unknown), Err(Error::InvalidSymbol { .. })), "{key}");
        assert!(matches!(feed.klines(sym, "7x", 3), Err(Error::Venue { .. })), "{key}");
        feed.disconnect();
        assert!(!feed.is_connected(), "{key}");
    }
}

#[test]
fn venue_error_bodies_name_the_problem() {
    // The sim's raw replies for unknown symbols, read as each venue's code table reads them.
    for (venue, target) in [
        (mdbus_venues::htx::sim::SIM, "/market/depth?symbol=nope&type=step0".to_owned()),
        (mdbus_venues::gate::sim::SIM, "/api/v4/spot/tickers?currency_pair=NOPE".to_owned()),
        (mdbus_venues::gemini::sim::SIM, "/v1/book/nope".to_owned()),
    ] {
        let sim = quiet_venue(venue);
        let registry = Registry::new();
        mdbus_venues::register_feeds(&registry).unwrap();
        let key = match venue.name() {
            "htx" => "HTX___SPOT",
            "gateio" => "GATEIO___SPOT",
            _ => "GEMINI___SPOT",
        };
        let opts = FeedOptions::default().param("rest_url", &format!("http://{}", sim.addr()));
        let mut feed = registry.create(key, &opts).unwrap();
        feed.connect().unwrap();
        // Unknown to the loaded instruments: refused before any request, naming the symbol.
        match feed.depth("NOPE", 5) {
            Err(Error::InvalidSymbol { symbol, venue, .. }) => {
                assert_eq!((symbol.as_str(), venue.as_str()), ("NOPE", key))
            }
            other => panic!("{key}: {other:?} ({target})"),
        }
    }
    use mdbus_sdk::error::ErrorCode;
    use mdbus_venues::{gate::errors::GATE, gemini::errors::GEMINI, htx::errors::HTX};
    let e = HTX
        .from_body(
            "HTX___SPOT",
            200,
            br#"{"status":"error","err-code":"invalid-parameter","err-msg":"invalid symbol","data":null}"#,
            None,
        )
        .unwrap();
    assert_eq!(e.code(), ErrorCode::InvalidParameter);
    assert!(HTX.from_body("HTX___SPOT", 200, br#"{"status":"ok","data":[]}"#, None).is_none());
    let e = GATE
        .from_body(
            "GATEIO___SPOT",
            400,
            br#"{"label":"INVALID_CURRENCY_PAIR","message":"Invalid currency pair"}"#,
            None,
        )
        .unwrap();
    assert_eq!(e.code(), ErrorCode::InvalidSymbol);
    let e = GEMINI
        .from_body("GEMINI___SPOT", 400, br#"{"result":"error","reason":"InvalidSymbol","message":"bad"}"#, None)
        .unwrap();
    assert_eq!(e.code(), ErrorCode::InvalidSymbol);
    assert!(GEMINI.from_body("GEMINI___SPOT", 200, br#"{"bids":[],"asks":[]}"#, None).is_none());
}

#[test]
fn a_precision_change_shows_in_the_instruments() {
    let registry = Registry::new();
    mdbus_venues::register_feeds(&registry).unwrap();
    for (key, venue, sym) in [
        ("BINANCE___SPOT", mdbus_venues::binance::sim::SIM, "BTCUSDT"),
        ("OKX___SPOT", mdbus_venues::okx::sim::SIM, "BTC-USDT"),
        ("BYBIT___SPOT", mdbus_venues::bybit::sim::SIM, "BTCUSDT"),
        ("HTX___SPOT", mdbus_venues::htx::sim::SIM, "btcusdt"),
        ("GATEIO___SPOT", mdbus_venues::gate::sim::SIM, "BTC_USDT"),
        ("GEMINI___SPOT", mdbus_venues::gemini::sim::SIM, "BTCUSD"),
    ] {
        let sim = quiet_venue(venue);
        let opts = FeedOptions::default().param("rest_url", &format!("http://{}", sim.addr()));
        let mut feed = registry.create(key, &opts).unwrap();
        let before = feed.instruments().unwrap();
        assert_eq!((before[0].price_exp(), before[0].qty_exp()), (-2, -5), "{key}");
        assert!(sim.set_precision(sym, 3, 6));
        // Reconnecting reloads the metadata: the new tick and lot give the new exponents, and
        // prices at the old tick are still exact at the finer one.
        feed.connect().unwrap();
        let after = feed.instruments().unwrap();
        assert_eq!((after[0].price_exp(), after[0].qty_exp()), (-3, -6), "{key}");
        assert_eq!((after[1].price_exp(), after[1].qty_exp()), (-2, -5), "{key}: the other symbol is unchanged");
        let q = feed.ticker(sym).unwrap();
        let book = sim.book(sym).unwrap();
        assert_eq!((q.bid_px, q.bid_qty), (book.bids[0].0 * 10, book.bids[0].1 * 10), "{key}");
    }
}

#[test]
fn orders_balances_and_positions_through_the_feed_protocol() {
    use mdbus_sdk::{
        credentials::Credentials,
        order::{NewOrder, OrderRef, OrderStatus, Placed, Side},
    };
    let registry = Registry::new();
    mdbus_venues::register_feeds(&registry).unwrap();
    let sim = Sim::start(SimConfig {
        tick: Duration::from_millis(5),
        ..mdbus_venues::sim_config(mdbus_venues::binance::sim::SIM)
    })
    .unwrap();
    let creds = Credentials::new("mdbus-sim-key", "mdbus-sim-secret", Some("mdbus-sim-pass".into())).unwrap();
    let url = format!("http://127.0.0.1:{}", sim.addr().port());
    for (key, symbol, derivatives) in [
        ("BINANCE___SPOT", "BTCUSDT", false),
        ("BINANCE___SWAP", "BTCUSDT", true),
        ("OKX___SPOT", "BTC-USDT", false),
        ("BYBIT___SPOT", "BTCUSDT", false),
        ("BYBIT___SWAP", "ETHUSDT", true),
        ("HTX___SPOT", "btcusdt", false),
        ("GATEIO___SPOT", "BTC_USDT", false),
        ("GEMINI___SPOT", "BTCUSD", false),
    ] {
        let opts = FeedOptions::default().param("rest_url", &url).credentials(creds.clone());
        let mut feed = registry.create(key, &opts).unwrap();
        let order = NewOrder::limit(symbol, Side::Buy, "0.01".parse().unwrap(), "60000".parse().unwrap());
        let placed = match feed.place_order(&order).unwrap() {
            Placed::Accepted(s) => s,
            other => panic!("{key}: {other:?}"),
        };
        let q = feed.query_order(symbol, OrderRef::Client(&placed.client_order_id)).unwrap();
        assert_eq!((q.status, q.order_id.as_str()), (OrderStatus::New, placed.order_id.as_str()), "{key}");
        assert_eq!(feed.open_orders(Some(symbol)).unwrap().len(), 1, "{key}");
        let c = feed.cancel_order(symbol, OrderRef::Venue(&placed.order_id)).unwrap();
        assert_eq!(c.status, OrderStatus::Canceled, "{key}");
        assert!(feed.open_orders(None).unwrap().is_empty(), "{key}");
        assert!(feed.balances().unwrap().iter().any(|b| b.asset == "USDT" || b.asset == "USD"), "{key}");
        match feed.positions() {
            Ok(p) => assert!(derivatives && p.is_empty(), "{key}: {p:?}"),
            Err(Error::NotSupported { capability, .. }) => {
                assert!(!derivatives && capability == Capability::GetPosition, "{key}");
            }
            Err(e) => panic!("{key}: {e:?}"),
        }
        assert!(feed.order_client().is_some());

        // Without credentials: a configuration error naming what is missing, nothing sent.
        let mut bare = registry.create(key, &FeedOptions::default().param("rest_url", &url)).unwrap();
        match bare.place_order(&order) {
            Err(Error::Configuration { detail }) => assert!(detail.contains("credentials"), "{key}: {detail}"),
            other => panic!("{key}: {other:?}"),
        }
    }
    assert_eq!(sim.exchange().orders_received(), 8, "one order per trading key, none without credentials");
}

#[test]
fn market_data_draws_from_the_shared_limiter() {
    use mdbus_sdk::rate_limit::{Limiter, Rule};
    let sim = quiet_sim(false);
    let registry = Registry::new();
    mdbus_venues::register_feeds(&registry).unwrap();
    let limiter = std::sync::Arc::new(
        Limiter::new([Rule::fixed_window("market data", 3, Duration::from_secs(60)).endpoint("/api/v3/*")]).unwrap(),
    );
    let opts = FeedOptions::default()
        .param("rest_url", &format!("http://{}", sim.addr()))
        .param("limiter_wait_ms", "50")
        .limiter(limiter);
    let mut feed = registry.create("BINANCE___SPOT", &opts).unwrap();
    feed.connect().unwrap();
    feed.ticker("BTCUSDT").unwrap();
    feed.depth("BTCUSDT", 5).unwrap();
    // The fourth request in the window is refused locally with how long to wait; the venue
    // never sees it.
    match feed.trades("BTCUSDT", 5) {
        Err(e @ Error::RateLimit { .. }) => assert!(e.retry_after().is_some_and(|d| !d.is_zero()), "{e:?}"),
        other => panic!("{other:?}"),
    }
}

#[derive(Debug)]
struct TicksOnly;

impl VenueFeed for TicksOnly {
    fn key(&self) -> &str {
        "SIM___SPOT"
    }

    fn capabilities(&self) -> Capabilities {
        [Capability::GetTick].into_iter().collect()
    }
}

#[test]
fn operations_a_feed_lacks_name_the_capability() {
    use mdbus_sdk::order::{NewOrder, OrderRef, Side};
    let mut f = TicksOnly;
    for (r, cap) in [
        (f.depth("X", 5).map(|_| ()), Capability::GetDepth),
        (f.trades("X", 5).map(|_| ()), Capability::GetTrades),
        (f.klines("X", "1m", 5).map(|_| ()), Capability::GetKline),
        (f.instruments().map(|_| ()), Capability::GetExchangeInfo),
        // Claimed but not implemented: still a typed error, never a panic.
        (f.ticker("X").map(|_| ()), Capability::GetTick),
        // Order operations the feed lacks.
        (f.place_order(&NewOrder::market("X", Side::Buy, "1".parse().unwrap())).map(|_| ()), Capability::MakeOrder),
        (f.cancel_order("X", OrderRef::Venue("1")).map(|_| ()), Capability::CancelOrder),
        (f.query_order("X", OrderRef::Client("c")).map(|_| ()), Capability::QueryOrder),
        (f.open_orders(None).map(|_| ()), Capability::QueryOpenOrders),
        (f.balances().map(|_| ()), Capability::GetBalance),
        (f.positions().map(|_| ()), Capability::GetPosition),
    ] {
        match r {
            Err(Error::NotSupported { capability, venue }) => {
                assert_eq!((capability, venue.as_str()), (cap, "SIM___SPOT"));
            }
            other => panic!("{cap}: {other:?}"),
        }
    }
    assert!(f.connect().is_ok() && !f.is_connected());
    assert!(binance::capabilities().contains(Capability::GetTrades));
}
