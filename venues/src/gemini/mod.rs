//! Gemini v2 market data.

pub mod market;
pub mod protocol;
pub mod session;
