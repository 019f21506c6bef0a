//! Named bits of [`Header::flags`](crate::Header::flags) and small enumerations stored as bytes.

/// Any record: the venue gives it no sequence number; `venue_seq` holds none (it is 0). Gemini's
/// order-book updates are such. Readers print it as absent, not as 0.
pub const NO_VENUE_SEQ: u8 = 1 << 7;
/// Any record: the venue gave no time for it; `venue_ts` holds none (it is 0).
pub const NO_VENUE_TS: u8 = 1 << 6;

/// Trade: the aggressor (taker) bought.
pub const BUY: u8 = 1 << 0;
/// Trade: the aggressor (taker) sold.
pub const SELL: u8 = 1 << 1;
/// Trade: the record aggregates several fills at one price (Binance `aggTrade`).
pub const AGGREGATED: u8 = 1 << 2;

/// Book delta: the level is on the ask side (otherwise the bid side).
pub const ASK: u8 = 1 << 0;
/// Book delta: last record of one venue message; the book is consistent after it.
pub const LAST: u8 = 1 << 1;
/// Book delta: part of a snapshot that replaces the whole book (the first such record clears it).
pub const SNAPSHOT: u8 = 1 << 2;

/// Bar: the interval has closed; the values are final.
pub const CLOSED: u8 = 1 << 0;

/// Order and fill side: buy.
pub const SIDE_BUY: u8 = 1;
/// Order and fill side: sell.
pub const SIDE_SELL: u8 = 2;

/// Fill liquidity: maker.
pub const MAKER: u8 = 1;
/// Fill liquidity: taker.
pub const TAKER: u8 = 2;
