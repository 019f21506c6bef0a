//! The registry: register, create, list, capabilities, isolation from the global registry.

#![allow(clippy::unwrap_used)]

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use mdbus_sdk::{
    error::Error,
    registry::{Capabilities, Capability, FeedOptions, Registry, RegistryError, VenueFeed},
};

#[derive(Debug)]
struct Fake {
    key: String,
    caps: Capabilities,
    #[allow(dead_code, reason = "read through Debug")]
    symbol: Option<String>,
}

impl VenueFeed for Fake {
    fn key(&self) -> &str {
        &self.key
    }
    fn capabilities(&self) -> Capabilities {
        self.caps
    }
}

fn market_only() -> Capabilities {
    [Capability::GetTick, Capability::GetDepth, Capability::MarketStream].into_iter().collect()
}

fn register(r: &Registry, key: &'static str, caps: Capabilities) {
    r.register(key, caps, move |o: &FeedOptions| {
        Ok(Box::new(Fake { key: key.to_owned(), caps, symbol: o.params.get("symbol").cloned() }) as Box<dyn VenueFeed>)
    })
    .unwrap();
}

#[test]
fn create_by_key_passes_options_to_the_factory() {
    let r = Registry::new();
    register(&r, "BINANCE___SPOT", market_only());
    let feed = r.create("BINANCE___SPOT", &FeedOptions::default().param("symbol", "BTCUSDT")).unwrap();
    assert_eq!(feed.key(), "BINANCE___SPOT");
    assert!(format!("{feed:?}").contains("BTCUSDT"));
}

#[test]
fn unknown_key_lists_the_known_ones() {
    let r = Registry::new();
    register(&r, "OKX___SWAP", market_only());
    register(&r, "BINANCE___SPOT", market_only());
    let err = r.create("BYBIT___SPOT", &FeedOptions::default()).unwrap_err();
    match &err {
        Error::ExchangeNotFound { name, available } => {
            assert_eq!(name, "BYBIT___SPOT");
            assert_eq!(available, &["BINANCE___SPOT", "OKX___SWAP"]);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(r.capabilities("NOPE___X"), Err(Error::ExchangeNotFound { .. })));
}

#[test]
fn keys_are_checked_and_not_registered_twice() {
    let r = Registry::new();
    for bad in ["binance___spot", "BINANCE_SPOT", "___SPOT", "BINANCE___", "BIN ANCE___SPOT", "BINANCE___SPOT_"] {
        assert_eq!(
            r.register(bad, Capabilities::NONE, |_| Err(Error::Configuration { detail: String::new() })),
            Err(RegistryError::InvalidKey(bad.into()))
        );
    }
    register(&r, "CTP___FUTURE", market_only());
    let dup = r.register("CTP___FUTURE", Capabilities::NONE, |_| Err(Error::Configuration { detail: String::new() }));
    assert_eq!(dup, Err(RegistryError::Duplicate("CTP___FUTURE".into())));
    assert!(r.unregister("CTP___FUTURE"));
    assert!(!r.unregister("CTP___FUTURE"));
    assert!(r.keys().is_empty());
}

#[test]
fn capabilities_are_listed_and_required() {
    let r = Registry::new();
    register(&r, "BINANCE___SPOT", market_only().with(Capability::MakeOrder));
    register(&r, "GEMINI___SPOT", market_only());
    assert_eq!(r.keys_with(Capability::MakeOrder), ["BINANCE___SPOT"]);
    assert_eq!(r.keys_with(Capability::GetTick), ["BINANCE___SPOT", "GEMINI___SPOT"]);
    let gemini = r.create("GEMINI___SPOT", &FeedOptions::default()).unwrap();
    let err = gemini.require(Capability::MakeOrder).unwrap_err();
    assert_eq!(err.to_string(), "GEMINI___SPOT does not support make_order");
    assert_eq!(Capability::ALL.len(), 28);
    assert_eq!(Capabilities::all().iter().count(), 28);
    for &c in Capability::ALL {
        assert_eq!(Capability::from_name(c.name()), Some(c));
    }
}

#[test]
fn isolated_registries_do_not_see_the_global_one() {
    let local = Registry::new();
    register(Registry::global(), "GLOBALTEST___SPOT", market_only());
    assert!(Registry::global().contains("GLOBALTEST___SPOT"));
    assert!(!local.contains("GLOBALTEST___SPOT"));
    assert!(std::ptr::eq(Registry::global(), Registry::global()));
    assert!(Registry::global().unregister("GLOBALTEST___SPOT"));
}

#[test]
fn factories_run_outside_the_lock_and_threads_can_share_a_registry() {
    let r = Arc::new(Registry::new());
    let made = Arc::new(AtomicUsize::new(0));
    {
        let (r2, made) = (Arc::clone(&r), Arc::clone(&made));
        r.register("REENTRANT___SPOT", market_only(), move |_| {
            // A factory may consult the registry (read lock is not held).
            assert!(r2.contains("REENTRANT___SPOT"));
            made.fetch_add(1, Ordering::Relaxed);
            Ok(Box::new(Fake { key: "REENTRANT___SPOT".into(), caps: market_only(), symbol: None })
                as Box<dyn VenueFeed>)
        })
        .unwrap();
    }
    let threads: Vec<_> = (0..4)
        .map(|i| {
            let r = Arc::clone(&r);
            std::thread::spawn(move || {
                let key = format!("T{i}___SPOT");
                let k: &'static str = Box::leak(key.into_boxed_str());
                register(&r, k, market_only());
                for _ in 0..50 {
                    r.create("REENTRANT___SPOT", &FeedOptions::default()).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(made.load(Ordering::Relaxed), 200);
    assert_eq!(r.keys().len(), 5);
}
