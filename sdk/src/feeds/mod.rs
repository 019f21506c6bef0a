//! What every venue's REST feed shares: the [`VenueFeed`](crate::registry::VenueFeed)s of
//! `mdbus-venues` return REST market data as the records the rings carry, registered under the
//! seed's `VENUE___KIND` keys, and build on the helpers in [`common`] (options, instrument
//! lists, decimals, the REST client).
//!
//! ```
//! let registry = mdbus_sdk::registry::Registry::new();
//! mdbus_venues::register_feeds(&registry)?;
//! assert!(registry.keys().contains(&"OKX___SPOT".to_owned()));
//! # Ok::<(), mdbus_sdk::registry::RegistryError>(())
//! ```

pub mod common;
