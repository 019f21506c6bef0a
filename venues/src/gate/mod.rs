//! Gate.io v4 spot websocket.

pub mod market;
pub mod protocol;
pub mod session;
