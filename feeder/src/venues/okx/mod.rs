//! OKX v5.

pub mod account;
pub mod market;
pub mod session;
