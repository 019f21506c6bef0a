//! Venue feeds behind the [`VenueFeed`](crate::registry::VenueFeed) protocol: REST market data
//! returned as the records the rings carry, registered under the seed's `VENUE___KIND` keys.
//!
//! | key | venue |
//! |---|---|
//! | `BINANCE___SPOT`, `BINANCE___SWAP` | Binance spot, USD-M futures |
//! | `OKX___SPOT` | OKX spot |
//! | `BYBIT___SPOT`, `BYBIT___SWAP` | Bybit spot, linear perpetuals |
//! | `HTX___SPOT` | HTX spot |
//! | `GATEIO___SPOT` | Gate.io spot |
//! | `GEMINI___SPOT` | Gemini |
//!
//! ```
//! let registry = mdbus_sdk::registry::Registry::new();
//! mdbus_sdk::feeds::register_all(&registry)?;
//! assert_eq!(registry.keys().len(), 8);
//! # Ok::<(), mdbus_sdk::registry::RegistryError>(())
//! ```

pub mod binance;
pub mod bybit;
pub(crate) mod common;
pub mod gate;
pub mod gemini;
pub mod htx;
pub mod okx;

use crate::registry::{Registry, RegistryError};

/// Registers every venue's feed in `registry`.
///
/// # Errors
///
/// [`RegistryError`] when a key is already registered.
pub fn register_all(registry: &Registry) -> Result<(), RegistryError> {
    binance::register(registry)?;
    okx::register(registry)?;
    bybit::register(registry)?;
    htx::register(registry)?;
    gate::register(registry)?;
    gemini::register(registry)
}
