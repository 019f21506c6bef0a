//! Venue feeds behind the [`VenueFeed`](crate::registry::VenueFeed) protocol: REST market data
//! returned as the records the rings carry, registered under the seed's `VENUE___KIND` keys.

pub mod binance;
pub mod bybit;
pub mod okx;
