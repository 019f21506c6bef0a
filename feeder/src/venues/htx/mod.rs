//! HTX (Huobi) spot market data: gzip-compressed binary frames.

pub mod protocol;
pub use crate::gunzip;
pub mod market;
pub mod session;
