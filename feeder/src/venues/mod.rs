//! One module per venue: wire formats and decoders (`market`, `account`) and session rules
//! (`session`: topics, subscribe requests, limits, keepalives).

pub mod binance;
pub mod bybit;
pub mod gate;
pub mod gemini;
pub mod htx;
pub mod okx;
