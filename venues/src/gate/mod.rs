//! Gate.io v4 spot websocket.

pub mod account;
#[cfg(feature = "bench")]
pub mod bench;
pub mod errors;
pub mod market;
pub mod order;
mod ordered;
pub mod protocol;
pub mod rest;
pub mod session;
pub mod sign;
pub mod sim;
