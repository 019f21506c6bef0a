//! HTX (Huobi) spot market data: gzip-compressed binary frames.

pub mod gunzip;
pub mod market;
pub mod session;
