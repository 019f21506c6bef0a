//! OKX v5.

pub mod account;
