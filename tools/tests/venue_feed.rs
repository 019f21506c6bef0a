//! The venue feed protocol against the simulator: Binance spot and USD-M REST market data by
//! registry key, returned as ring records with exponents from the instrument metadata; one
//! strategy function runs against both keys; operations a feed lacks are typed errors.

// Test helpers outside #[test] functions panic on failure by design.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use mdbus_schemas::{Kind, flags};
use mdbus_sdk::{
    error::Error,
    feeds::{binance, bybit, okx},
    registry::{Capabilities, Capability, FeedOptions, Registry, VenueFeed},
};
use mdbus_tools::sim::{Sim, SimConfig, SimVenue};

/// A quiet simulated market (its generator stopped) for `usdm` or spot.
fn quiet_sim(usdm: bool) -> Sim {
    let sim = Sim::start(SimConfig { usdm, max_ticks: Some(400), ..SimConfig::default() }).unwrap();
    std::thread::sleep(Duration::from_millis(900));
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
        venue: SimVenue::Okx,
        symbols: SimVenue::Okx.default_symbols(),
        max_ticks: Some(400),
        ..SimConfig::default()
    })
    .unwrap();
    std::thread::sleep(Duration::from_millis(900));
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
    let sim = Sim::start(SimConfig { venue: SimVenue::Bybit, max_ticks: Some(400), ..SimConfig::default() }).unwrap();
    std::thread::sleep(Duration::from_millis(900));
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
    let bybit_sim =
        Sim::start(SimConfig { venue: SimVenue::Bybit, max_ticks: Some(400), ..SimConfig::default() }).unwrap();
    let (spot, usdm) = (quiet_sim(false), quiet_sim(true));
    let okx_sim = Sim::start(SimConfig {
        venue: SimVenue::Okx,
        symbols: SimVenue::Okx.default_symbols(),
        max_ticks: Some(400),
        ..SimConfig::default()
    })
    .unwrap();
    std::thread::sleep(Duration::from_millis(900));
    let mut results = Vec::new();
    for (key, sim, symbol) in [
        ("BINANCE___SPOT", &spot, "ETHUSDT"),
        ("BINANCE___SWAP", &usdm, "ETHUSDT"),
        ("OKX___SPOT", &okx_sim, "ETH-USDT"),
        ("BYBIT___SWAP", &bybit_sim, "ETHUSDT"),
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
    let mut f = TicksOnly;
    for (r, cap) in [
        (f.depth("X", 5).map(|_| ()), Capability::GetDepth),
        (f.trades("X", 5).map(|_| ()), Capability::GetTrades),
        (f.klines("X", "1m", 5).map(|_| ()), Capability::GetKline),
        (f.instruments().map(|_| ()), Capability::GetExchangeInfo),
        // Claimed but not implemented: still a typed error, never a panic.
        (f.ticker("X").map(|_| ()), Capability::GetTick),
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
