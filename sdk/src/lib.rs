//! The mdbus SDK: what a strategy process links against besides the ring reader.
//!
//! - [`subscriber`]: open a ring by name and get records with their instruments resolved.
//! - [`rate_limit`]: venue request budgets (sliding window, fixed window, token bucket; global,
//!   endpoint, IP and account scopes), in process or shared by every process on the host.
//! - [`registry`]: venue feeds by key (`BINANCE___SPOT`) with their [capabilities](registry::Capability),
//!   behind one protocol, [`VenueFeed`](registry::VenueFeed): REST market data as ring records,
//!   instruments, orders, balances and positions. [`feeds`] has what every venue's feed
//!   shares (each venue's is in its folder of `mdbus-venues`, registered by
//!   `mdbus_venues::register_feeds`); [`market`] the instrument metadata; `nonblocking`
//!   (feature `async`) the same calls as futures.
//! - [`order`] and [`signing`]: the order-client protocol with safe retries and the transport
//!   every venue's client shares; the MAC, signature and scheme types every venue's signer
//!   builds on.
//! - [`error`]: one error family with unified codes, predicates and the code-table type each
//!   venue fills.
//! - [`config`]: the exchange configuration schema, loaded from YAML.
//! - [`credentials`] and [`redact`]: keys that never print, and redaction for logs.
//! - [`event_bus`] and [`cache`]: in-process pub/sub and TTL + LRU caches.
//!
//! Each module's docs say where it differs from the Python seed (`bt_api_base`) on purpose.
//!
//! # Examples
//!
//! A strategy reads trades from the bus and checks the shared venue budget before it would
//! send an order:
//!
//! ```
//! use std::time::Duration;
//! use mdbus_bus::{RingDir, RingOptions, Start};
//! use mdbus_schemas::{Instrument, InstrumentId, InstrumentTable, Kind, RecordView, Trade, VenueId};
//! use mdbus_sdk::{rate_limit::{Limiter, Request, Rule}, subscriber::{Event, Subscriber}};
//!
//! # let dir = RingDir::new(std::env::temp_dir().join(format!("mdbus-sdk-doc-{}", std::process::id())));
//! # let mut table = InstrumentTable::default();
//! # table.insert(Instrument::new(InstrumentId(7), VenueId::BINANCE_SPOT, mdbus_schemas::Symbol::new("BTCUSDT")?, -2, -5))?;
//! # dir.save_instruments(&table)?;
//! # let mut feeder = dir.writer("binance.trade", Kind::TRADE, &RingOptions::default().capacity(1024))?;
//! // Every strategy on the host opens the same budget file.
//! let limiter = Limiter::shared(
//!     dir.cells_path("binance.limits")?,
//!     [
//!         Rule::sliding_window("weight", 6000, Duration::from_secs(60)).ip(None),
//!         Rule::fixed_window("orders", 10, Duration::from_secs(1)).endpoint("/api/v3/order*"),
//!     ],
//! )?;
//! let mut trades = Subscriber::open_in(&dir, "binance.trade", Start::Oldest)?;
//! # let mut trade = Trade { price: 6_512_345, qty: 150_000, ..Trade::default() };
//! # trade.header.instrument = InstrumentId(7);
//! # feeder.publish(&trade)?;
//!
//! let mut traded = false;
//! while let Some(event) = trades.next_timeout(Duration::from_secs(1))? {
//!     if let Event::Record { view: RecordView::Trade(t), instrument: Some(inst) } = event {
//!         println!("{} {} @ {}", inst.symbol, inst.qty(t.qty), inst.price(t.price));
//!         if limiter.try_acquire(&Request::new("POST", "/api/v3/order"))?.is_granted() {
//!             // sign and send the order
//!         }
//!         traded = true;
//!         break;
//!     }
//! }
//! assert!(traded);
//! # drop((feeder, trades, limiter)); std::fs::remove_dir_all(dir.path())?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![doc(test(attr(deny(warnings))))]

pub mod book;
pub mod cache;
pub mod clock;
pub mod config;
pub mod credentials;
pub mod error;
pub mod event_bus;
pub mod feeds;
pub mod http;
pub mod idle;
pub mod market;
#[cfg(feature = "async")]
pub mod nonblocking;
pub mod order;
pub mod rate_limit;
pub mod redact;
pub mod registry;
pub mod signing;
pub mod subscriber;
pub mod tls;
pub mod url;

/// The README's Rust examples, compiled as doctests so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeExamples;
