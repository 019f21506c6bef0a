//! HTX (Huobi) spot market data: gzip-compressed binary frames.

pub mod protocol;
pub use mdbus_feeder::gunzip;
pub mod market;
pub mod session;
