//! Market-data records: quote, trade, book delta, book snapshot and bar.
//!
//! Prices and quantities are integer mantissas at the instrument's `price_exp` / `qty_exp`
//! from the [`InstrumentTable`](crate::InstrumentTable): `price = mantissa × 10^price_exp`.

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::{Header, Kind, Nanos};

/// Best bid and offer: 128 bytes.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
pub struct Quote {
    /// Common fields; `kind` is [`Kind::QUOTE`].
    pub header: Header,
    /// Best bid price, mantissa at the instrument's price exponent.
    pub bid_px: i64,
    /// Quantity at the best bid, mantissa at the instrument's quantity exponent.
    pub bid_qty: i64,
    /// Best ask price, mantissa at the instrument's price exponent.
    pub ask_px: i64,
    /// Quantity at the best ask, mantissa at the instrument's quantity exponent.
    pub ask_qty: i64,
    /// Reserved, zero.
    pub _pad: [u8; 48],
}

const _: () = assert!(size_of::<Quote>() == 128);

/// Public trade: 64 bytes, one cache line.
///
/// `header.venue_seq` is the venue's trade id; `header.flags` carries [`crate::flags::BUY`] or
/// [`crate::flags::SELL`] for the aggressor side and [`crate::flags::AGGREGATED`].
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
pub struct Trade {
    /// Common fields; `kind` is [`Kind::TRADE`].
    pub header: Header,
    /// Trade price, mantissa at the instrument's price exponent.
    pub price: i64,
    /// Trade quantity, mantissa at the instrument's quantity exponent.
    pub qty: i64,
}

const _: () = assert!(size_of::<Trade>() == 64);

/// One price level of an order book changed: 64 bytes.
///
/// A venue message with several level changes becomes several deltas sharing
/// `header.venue_seq` (the venue's final update id); the last one has [`crate::flags::LAST`].
/// `qty == 0` removes the level. [`crate::flags::ASK`] selects the side.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
pub struct BookDelta {
    /// Common fields; `kind` is [`Kind::BOOK_DELTA`].
    pub header: Header,
    /// Level price, mantissa at the instrument's price exponent.
    pub price: i64,
    /// New total quantity at the level (zero removes it), mantissa at the quantity exponent.
    pub qty: i64,
}

const _: () = assert!(size_of::<BookDelta>() == 64);

/// One price level: price and quantity mantissas.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(C)]
pub struct Level {
    /// Price mantissa.
    pub price: i64,
    /// Quantity mantissa.
    pub qty: i64,
}

/// Number of levels per side in a [`BookSnapshot`].
pub const SNAPSHOT_DEPTH: usize = 20;

/// Top of an order book, up to [`SNAPSHOT_DEPTH`] levels per side: 768 bytes.
///
/// Bids are sorted best (highest) first, asks best (lowest) first; entries past
/// `bid_count` / `ask_count` are zero.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
pub struct BookSnapshot {
    /// Common fields; `kind` is [`Kind::BOOK_SNAPSHOT`].
    pub header: Header,
    /// Number of valid entries in `bids`.
    pub bid_count: u8,
    /// Number of valid entries in `asks`.
    pub ask_count: u8,
    /// Reserved, zero.
    pub _pad0: [u8; 14],
    /// Bid levels, best first.
    pub bids: [Level; SNAPSHOT_DEPTH],
    /// Ask levels, best first.
    pub asks: [Level; SNAPSHOT_DEPTH],
    /// Reserved, zero.
    pub _pad1: [u8; 64],
}

const _: () = assert!(size_of::<BookSnapshot>() == 768);

/// Candle (kline): 128 bytes. [`crate::flags::CLOSED`] marks a final bar.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
pub struct Bar {
    /// Common fields; `kind` is [`Kind::BAR`].
    pub header: Header,
    /// Open price mantissa.
    pub open: i64,
    /// High price mantissa.
    pub high: i64,
    /// Low price mantissa.
    pub low: i64,
    /// Close (last) price mantissa.
    pub close: i64,
    /// Base-asset volume, mantissa at the quantity exponent.
    pub volume: i64,
    /// Quote-asset volume, mantissa at `price_exp + qty_exp` (the exponent of a price times a
    /// quantity, so sums of trades are exact).
    pub quote_volume: i64,
    /// Number of trades in the interval.
    pub trades: u64,
    /// Start of the interval.
    pub start_ts: Nanos,
    /// Length of the interval in nanoseconds.
    pub interval_ns: u64,
    /// Reserved, zero.
    pub _pad: [u8; 8],
}

const _: () = assert!(size_of::<Bar>() == 128);

crate::record!(Quote, Kind::QUOTE, {
    header: Header, bid_px: i64, bid_qty: i64, ask_px: i64, ask_qty: i64, _pad: [u8; 48],
});
crate::record!(Trade, Kind::TRADE, { header: Header, price: i64, qty: i64 });
crate::record!(BookDelta, Kind::BOOK_DELTA, { header: Header, price: i64, qty: i64 });
crate::record!(BookSnapshot, Kind::BOOK_SNAPSHOT, {
    header: Header, bid_count: u8, ask_count: u8, _pad0: [u8; 14],
    bids: [Level; SNAPSHOT_DEPTH], asks: [Level; SNAPSHOT_DEPTH], _pad1: [u8; 64],
});
crate::record!(Bar, Kind::BAR, {
    header: Header, open: i64, high: i64, low: i64, close: i64, volume: i64, quote_volume: i64,
    trades: u64, start_ts: Nanos, interval_ns: u64, _pad: [u8; 8],
});
