//! Bybit v5 public streams (spot and linear).

pub mod market;
pub mod protocol;
pub mod session;
