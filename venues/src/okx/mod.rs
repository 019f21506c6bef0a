//! OKX v5.

pub mod account;
pub mod market;
pub mod protocol;
pub mod session;
pub mod stream;
