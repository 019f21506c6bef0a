//! The header every record starts with, and the small newtypes it is made of.

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// Record family tag, the first byte after the ring sequence.
///
/// A `u8` newtype rather than a Rust enum, so any byte read from shared memory is a valid value;
/// unknown kinds are reported by [`crate::RecordView::from_bytes`] instead of being undefined
/// behaviour.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(transparent)]
pub struct Kind(pub u8);

impl Kind {
    /// Best bid and offer ([`crate::Quote`]).
    pub const QUOTE: Kind = Kind(1);
    /// Public trade ([`crate::Trade`]).
    pub const TRADE: Kind = Kind(2);
    /// One price-level change of an order book ([`crate::BookDelta`]).
    pub const BOOK_DELTA: Kind = Kind(3);
    /// Top of an order book ([`crate::BookSnapshot`]).
    pub const BOOK_SNAPSHOT: Kind = Kind(4);
    /// Candle / kline ([`crate::Bar`]).
    pub const BAR: Kind = Kind(5);
    /// Stream state change: connected, gap, resync, writer restart ([`crate::Marker`]).
    pub const MARKER: Kind = Kind(6);
    /// Order state ([`crate::Order`]).
    pub const ORDER: Kind = Kind(7);
    /// Execution of an order ([`crate::Fill`]).
    pub const FILL: Kind = Kind(8);
    /// Account balance of one asset ([`crate::Balance`]).
    pub const BALANCE: Kind = Kind(9);
    /// Derivatives position ([`crate::Position`]).
    pub const POSITION: Kind = Kind(10);

    /// Every kind, in tag order.
    pub const ALL: [Kind; 10] = [
        Kind::QUOTE,
        Kind::TRADE,
        Kind::BOOK_DELTA,
        Kind::BOOK_SNAPSHOT,
        Kind::BAR,
        Kind::MARKER,
        Kind::ORDER,
        Kind::FILL,
        Kind::BALANCE,
        Kind::POSITION,
    ];

    /// Returns the lowercase name of the kind, or `None` for an unknown tag.
    ///
    /// # Examples
    ///
    /// ```
    /// use mdbus_schemas::Kind;
    /// assert_eq!(Kind::TRADE.name(), Some("trade"));
    /// assert_eq!(Kind(200).name(), None);
    /// ```
    pub const fn name(self) -> Option<&'static str> {
        Some(match self {
            Kind::QUOTE => "quote",
            Kind::TRADE => "trade",
            Kind::BOOK_DELTA => "book_delta",
            Kind::BOOK_SNAPSHOT => "book_snapshot",
            Kind::BAR => "bar",
            Kind::MARKER => "marker",
            Kind::ORDER => "order",
            Kind::FILL => "fill",
            Kind::BALANCE => "balance",
            Kind::POSITION => "position",
            _ => return None,
        })
    }

    /// Parses a kind from its [`name`](Kind::name).
    ///
    /// # Examples
    ///
    /// ```
    /// use mdbus_schemas::Kind;
    /// assert_eq!(Kind::from_name("quote"), Some(Kind::QUOTE));
    /// ```
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == Some(name))
    }

    /// Returns the size in bytes of records of this kind, or `None` for an unknown tag.
    ///
    /// # Examples
    ///
    /// ```
    /// use mdbus_schemas::Kind;
    /// assert_eq!(Kind::TRADE.record_size(), Some(128));
    /// ```
    pub const fn record_size(self) -> Option<usize> {
        Some(match self {
            Kind::QUOTE => size_of::<crate::Quote>(),
            Kind::TRADE => size_of::<crate::Trade>(),
            Kind::BOOK_DELTA => size_of::<crate::BookDelta>(),
            Kind::BOOK_SNAPSHOT => size_of::<crate::BookSnapshot>(),
            Kind::BAR => size_of::<crate::Bar>(),
            Kind::MARKER => size_of::<crate::Marker>(),
            Kind::ORDER => size_of::<crate::Order>(),
            Kind::FILL => size_of::<crate::Fill>(),
            Kind::BALANCE => size_of::<crate::Balance>(),
            Kind::POSITION => size_of::<crate::Position>(),
            _ => return None,
        })
    }
}

/// Venue identifier.
///
/// The numbering is part of the record layout: values never change meaning once released.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(transparent)]
pub struct VenueId(pub u16);

impl VenueId {
    /// Not set.
    pub const NONE: VenueId = VenueId(0);
    /// Binance spot.
    pub const BINANCE_SPOT: VenueId = VenueId(1);
    /// Binance USD-M futures.
    pub const BINANCE_USDM: VenueId = VenueId(2);
    /// OKX (v5).
    pub const OKX: VenueId = VenueId(3);
    /// Bybit (v5), spot.
    pub const BYBIT_SPOT: VenueId = VenueId(4);
    /// Bybit (v5), linear perpetuals and futures.
    pub const BYBIT_LINEAR: VenueId = VenueId(5);
    /// HTX spot.
    pub const HTX: VenueId = VenueId(6);
    /// Gate.io v4 spot.
    pub const GATEIO: VenueId = VenueId(7);
    /// Gemini.
    pub const GEMINI: VenueId = VenueId(8);
    /// The built-in synthetic source used by `mdbus demo` and benchmarks.
    pub const SYNTHETIC: VenueId = VenueId(1000);

    /// Every named venue.
    pub const ALL: [VenueId; 9] = [
        VenueId::BINANCE_SPOT,
        VenueId::BINANCE_USDM,
        VenueId::OKX,
        VenueId::BYBIT_SPOT,
        VenueId::BYBIT_LINEAR,
        VenueId::HTX,
        VenueId::GATEIO,
        VenueId::GEMINI,
        VenueId::SYNTHETIC,
    ];

    /// Returns the venue's key, in the `VENUE___MARKET` form the registry uses.
    ///
    /// # Examples
    ///
    /// ```
    /// use mdbus_schemas::VenueId;
    /// assert_eq!(VenueId::BINANCE_SPOT.key(), Some("BINANCE___SPOT"));
    /// ```
    pub const fn key(self) -> Option<&'static str> {
        Some(match self {
            VenueId::BINANCE_SPOT => "BINANCE___SPOT",
            VenueId::BINANCE_USDM => "BINANCE___SWAP",
            VenueId::OKX => "OKX___SWAP",
            VenueId::BYBIT_SPOT => "BYBIT___SPOT",
            VenueId::BYBIT_LINEAR => "BYBIT___SWAP",
            VenueId::HTX => "HTX___SPOT",
            VenueId::GATEIO => "GATEIO___SPOT",
            VenueId::GEMINI => "GEMINI___SPOT",
            VenueId::SYNTHETIC => "SYNTHETIC___SPOT",
            _ => return None,
        })
    }
}

/// Instrument identifier, resolved through the [`crate::InstrumentTable`] beside the rings.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(transparent)]
pub struct InstrumentId(pub u32);

/// Nanoseconds since the Unix epoch (UTC); zero means "not known".
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default,
)]
#[repr(transparent)]
pub struct Nanos(pub u64);

impl Nanos {
    /// Converts milliseconds since the epoch, as most venues send them.
    ///
    /// # Examples
    ///
    /// ```
    /// use mdbus_schemas::Nanos;
    /// assert_eq!(Nanos::from_millis(1_700_000_000_123).0, 1_700_000_000_123_000_000);
    /// ```
    pub const fn from_millis(ms: u64) -> Nanos {
        Nanos(ms.saturating_mul(1_000_000))
    }

    /// Converts microseconds since the epoch.
    pub const fn from_micros(us: u64) -> Nanos {
        Nanos(us.saturating_mul(1_000))
    }

    /// Returns `self - earlier` in nanoseconds, or zero when `earlier` is later or unknown.
    pub const fn since(self, earlier: Nanos) -> u64 {
        if earlier.0 == 0 { 0 } else { self.0.saturating_sub(earlier.0) }
    }
}

/// The common fields at the start of every record: 48 bytes.
///
/// The first word belongs to the ring: a writer ignores what the caller put there and a reader
/// finds the record's position in its ring in it.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(C)]
pub struct Header {
    /// Position of the record in its ring (0, 1, 2, ...), filled in by the bus when read.
    pub seq: u64,
    /// Record family.
    pub kind: Kind,
    /// Kind-specific flags (side, last-in-batch, aggregated, ...), see [`crate::flags`].
    pub flags: u8,
    /// Venue the record came from.
    pub venue: VenueId,
    /// Instrument the record is about; zero for account-wide records.
    pub instrument: InstrumentId,
    /// The venue's own sequence for this record (update id, trade id, sequence number); zero
    /// when the venue sends none.
    pub venue_seq: u64,
    /// Event time as the venue stamped it.
    pub venue_ts: Nanos,
    /// Local time the frame carrying the record was received.
    pub recv_ts: Nanos,
    /// Local time the record was published into its ring, stamped by the bus writer.
    pub publish_ts: Nanos,
}

const _: () = assert!(size_of::<Header>() == 48);

impl Header {
    /// Returns a header for a record of `kind` with every other field zero.
    ///
    /// # Examples
    ///
    /// ```
    /// use mdbus_schemas::{Header, Kind};
    /// assert_eq!(Header::new(Kind::TRADE).kind, Kind::TRADE);
    /// ```
    pub fn new(kind: Kind) -> Header {
        Header { kind, ..Header::default() }
    }
}
