//! One module per venue: wire formats, decoders and (to come) subscription and book rules.

pub mod binance;
pub mod bybit;
pub mod gate;
pub mod gemini;
pub mod htx;
pub mod okx;
