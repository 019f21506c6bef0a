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

/// Public trade: 128 bytes.
///
/// `trade_id` is the venue's trade id, whole: a number (up to 128 bits, little-endian) or a
/// UUID (its 16 bytes), as [`Trade::id`] reads it, so a reader can match the trade with the
/// venue's REST trades or its own fills. `header.venue_seq` repeats a numeric id that fits 64
/// bits; for a UUID it is absent ([`crate::flags::NO_VENUE_SEQ`]). `header.flags` carries
/// [`crate::flags::BUY`] or [`crate::flags::SELL`] for the aggressor side and
/// [`crate::flags::AGGREGATED`].
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
pub struct Trade {
    /// Common fields; `kind` is [`Kind::TRADE`].
    pub header: Header,
    /// Trade price, mantissa at the instrument's price exponent.
    pub price: i64,
    /// Trade quantity, mantissa at the instrument's quantity exponent.
    pub qty: i64,
    /// The venue's trade id (see [`Trade::id`]).
    pub trade_id: [u8; 16],
    /// How `trade_id` reads: [`TradeId::NONE_KIND`], [`TradeId::NUMBER_KIND`] or
    /// [`TradeId::UUID_KIND`].
    pub trade_id_kind: u8,
    /// Reserved, zero.
    pub _pad: [u8; 47],
}

/// A venue's trade id, whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TradeId {
    /// No id (a venue that gives none).
    None,
    /// A numeric id.
    Number(u128),
    /// A UUID, its 16 bytes in text order (`20f43950-d8dd-…` is `0x20, 0xf4, …`).
    Uuid([u8; 16]),
}

impl TradeId {
    /// `trade_id_kind` of no id.
    pub const NONE_KIND: u8 = 0;
    /// `trade_id_kind` of a numeric id.
    pub const NUMBER_KIND: u8 = 1;
    /// `trade_id_kind` of a UUID.
    pub const UUID_KIND: u8 = 2;

    /// Parses a UUID in its text form (`8-4-4-4-12` hex digits, either case).
    ///
    /// # Examples
    ///
    /// ```
    /// use mdbus_schemas::TradeId;
    /// let id = TradeId::parse_uuid("20f43950-d8dd-5b31-9112-a178eb6023af").unwrap();
    /// assert_eq!(id.to_string(), "20f43950-d8dd-5b31-9112-a178eb6023af");
    /// assert!(TradeId::parse_uuid("20f43950d8dd5b319112a178eb6023af").is_none());
    /// ```
    pub fn parse_uuid(text: &str) -> Option<TradeId> {
        let b = text.as_bytes();
        if b.len() != 36 || [8, 13, 18, 23].iter().any(|&i| b[i] != b'-') {
            return None;
        }
        let mut out = [0u8; 16];
        let mut digits = b.iter().filter(|c| **c != b'-');
        for o in &mut out {
            let hi = (*digits.next()? as char).to_digit(16)?;
            let lo = (*digits.next()? as char).to_digit(16)?;
            *o = (hi * 16 + lo) as u8;
        }
        Some(TradeId::Uuid(out))
    }
}

impl std::fmt::Display for TradeId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TradeId::None => Ok(()),
            TradeId::Number(n) => write!(f, "{n}"),
            TradeId::Uuid(u) => {
                for (i, b) in u.iter().enumerate() {
                    if matches!(i, 4 | 6 | 8 | 10) {
                        f.write_str("-")?;
                    }
                    write!(f, "{b:02x}")?;
                }
                Ok(())
            }
        }
    }
}

impl Trade {
    /// The venue's trade id.
    pub fn id(&self) -> TradeId {
        match self.trade_id_kind {
            TradeId::NUMBER_KIND => TradeId::Number(u128::from_le_bytes(self.trade_id)),
            TradeId::UUID_KIND => TradeId::Uuid(self.trade_id),
            _ => TradeId::None,
        }
    }

    /// Sets the trade id, and `header.venue_seq` with it: a numeric id that fits 64 bits
    /// there too; otherwise `venue_seq` 0 with [`crate::flags::NO_VENUE_SEQ`].
    pub fn set_id(&mut self, id: TradeId) {
        let (bytes, kind) = match id {
            TradeId::None => ([0; 16], TradeId::NONE_KIND),
            TradeId::Number(n) => (n.to_le_bytes(), TradeId::NUMBER_KIND),
            TradeId::Uuid(u) => (u, TradeId::UUID_KIND),
        };
        self.trade_id = bytes;
        self.trade_id_kind = kind;
        match id {
            TradeId::Number(n) if n <= u128::from(u64::MAX) => {
                self.header.venue_seq = n as u64;
                self.header.flags &= !crate::flags::NO_VENUE_SEQ;
            }
            _ => {
                self.header.venue_seq = 0;
                self.header.flags |= crate::flags::NO_VENUE_SEQ;
            }
        }
    }
}

const _: () = assert!(size_of::<Trade>() == 128);

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
crate::record!(Trade, Kind::TRADE, {
    header: Header, price: i64, qty: i64, trade_id: [u8; 16], trade_id_kind: u8, _pad: [u8; 47],
});
crate::record!(BookDelta, Kind::BOOK_DELTA, { header: Header, price: i64, qty: i64 });
crate::record!(BookSnapshot, Kind::BOOK_SNAPSHOT, {
    header: Header, bid_count: u8, ask_count: u8, _pad0: [u8; 14],
    bids: [Level; SNAPSHOT_DEPTH], asks: [Level; SNAPSHOT_DEPTH], _pad1: [u8; 64],
});
crate::record!(Bar, Kind::BAR, {
    header: Header, open: i64, high: i64, low: i64, close: i64, volume: i64, quote_volume: i64,
    trades: u64, start_ts: Nanos, interval_ns: u64, _pad: [u8; 8],
});
