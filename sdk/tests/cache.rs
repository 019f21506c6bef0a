//! Cache expiry and eviction on a fake clock.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use mdbus_sdk::{
    cache::{ExchangeInfoCache, MarketDataCache, Memo, TtlCache},
    clock::FakeClock,
};

#[test]
fn entries_expire_after_their_ttl() {
    let clock = FakeClock::new(0);
    let mut c = TtlCache::with_clock(Duration::from_secs(10), None, clock.clone());
    c.insert("a", 1);
    c.insert_with_ttl("b", 2, Some(Duration::from_secs(1)));
    c.insert_with_ttl("forever", 3, None);
    clock.advance(Duration::from_secs(1));
    assert_eq!(c.get(&"b"), None, "expiry is inclusive of the deadline");
    assert_eq!(c.get(&"a"), Some(&1));
    clock.advance(Duration::from_secs(9));
    assert_eq!(c.get(&"a"), None);
    clock.advance(Duration::from_secs(1_000_000));
    assert_eq!(c.get(&"forever"), Some(&3));
    let s = c.stats();
    assert_eq!((s.hits, s.misses), (2, 2));
    assert!((s.hit_rate() - 0.5).abs() < 1e-9);
}

#[test]
fn lazily_expired_entries_are_swept_by_cleanup() {
    let clock = FakeClock::new(0);
    let mut c = TtlCache::with_clock(Duration::from_secs(1), None, clock.clone());
    for i in 0..10 {
        c.insert(i, i);
    }
    c.insert_with_ttl(99, 99, Some(Duration::from_secs(5)));
    clock.advance(Duration::from_secs(2));
    assert_eq!(c.len(), 11);
    assert_eq!(c.keys(), [99]);
    assert_eq!(c.cleanup(), 10);
    assert_eq!(c.len(), 1);
    assert!(c.contains(&99));
}

#[test]
fn full_cache_evicts_expired_before_least_recently_used() {
    let clock = FakeClock::new(0);
    let mut c = TtlCache::with_clock(Duration::from_secs(100), Some(3), clock.clone());
    c.insert("old", 1);
    c.insert_with_ttl("short", 2, Some(Duration::from_secs(1)));
    c.insert("new", 3);
    clock.advance(Duration::from_secs(2));
    c.insert("x", 4);
    // "short" had expired, so it went instead of the least recently used "old".
    assert!(c.contains(&"old") && c.contains(&"new") && c.contains(&"x"));
    assert_eq!(c.len(), 3);
    // Now nothing is expired: the least recently used goes, and a get refreshes recency.
    assert_eq!(c.get(&"old"), Some(&1));
    c.insert("y", 5);
    assert!(!c.contains(&"new"), "new was least recently used");
    assert!(c.contains(&"old"));
}

#[test]
fn a_stored_value_is_told_apart_from_a_miss() {
    let mut c: TtlCache<&str, Option<u8>> = TtlCache::new(Duration::from_secs(60), Some(10));
    c.insert("none", None);
    assert_eq!(c.get(&"none"), Some(&None));
    assert_eq!(c.get(&"missing"), None);
    assert_eq!(c.insert("none", Some(1)), Some(None));
    assert_eq!(c.remove(&"none"), Some(Some(1)));
    assert!(c.is_empty());
}

#[test]
fn exchange_info_and_market_data_caches() {
    let clock = FakeClock::new(0);
    let info: ExchangeInfoCache<(i8, i8), FakeClock> =
        ExchangeInfoCache::with_clock(Duration::from_secs(3600), clock.clone());
    info.set_trading_pairs("BINANCE", vec!["BTCUSDT".into(), "ETHUSDT".into()]);
    info.set_info("BINANCE", "BTCUSDT", (-2, -5));
    info.set_info("OKX", "BTC-USDT", (-1, -8));
    assert_eq!(info.info("BINANCE", "BTCUSDT"), Some((-2, -5)));
    assert_eq!(info.clear_exchange("BINANCE"), 2);
    assert_eq!(info.trading_pairs("BINANCE"), None);
    assert_eq!(info.info("OKX", "BTC-USDT"), Some((-1, -8)));
    clock.advance(Duration::from_secs(3600));
    assert_eq!(info.info("OKX", "BTC-USDT"), None);

    let md: MarketDataCache<u64, Vec<u64>, FakeClock> =
        MarketDataCache::with_clock(Duration::from_secs(5), clock.clone());
    md.set_ticker("OKX", "BTC-USDT", 65_000);
    md.set_order_book("OKX", "BTC-USDT", vec![1, 2]);
    clock.advance(Duration::from_secs(4));
    assert_eq!(md.ticker("OKX", "BTC-USDT"), Some(65_000));
    clock.advance(Duration::from_secs(1));
    assert_eq!(md.order_book("OKX", "BTC-USDT"), None);
}

#[test]
fn memo_keys_are_typed_and_errors_are_not_cached() {
    let memo: Memo<(u8, String), String> = Memo::new(Duration::from_secs(60));
    let a = memo.get_or_insert_with((1, "1".into()), || "int one, str one".into());
    let b = memo.get_or_insert_with((1, "one".into()), || "int one, str word".into());
    assert_ne!(a, b);
    let mut calls = 0;
    let r: Result<String, &str> = memo.try_get_or_insert_with((2, String::new()), || {
        calls += 1;
        Err("venue down")
    });
    assert!(r.is_err());
    let r: Result<String, &str> = memo.try_get_or_insert_with((2, String::new()), || {
        calls += 1;
        Ok("up".into())
    });
    assert_eq!((r.unwrap(), calls), ("up".to_owned(), 2));
    assert_eq!(memo.stats().size, 3);
}

#[test]
fn memo_is_bounded_by_default() {
    let memo: Memo<u32, u32> = Memo::new(Duration::from_secs(60));
    for i in 0..5000 {
        memo.get_or_insert_with(i, || i);
    }
    assert_eq!(memo.stats().size, mdbus_sdk::cache::MEMO_DEFAULT_SIZE);
}
