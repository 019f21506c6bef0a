//! The instrument table: id ↔ venue ↔ symbol ↔ exponents, stored beside the rings.

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::{Decimal, FixedStr, InstrumentId, LAYOUT_HASH, VenueId};

/// Venue symbol such as `BTCUSDT` or `BTC-USDT-SWAP`.
pub type Symbol = FixedStr<32>;

/// One instrument: 64 bytes.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
pub struct Instrument {
    /// Identifier used in record headers.
    pub id: InstrumentId,
    /// Venue that lists the instrument.
    pub venue: VenueId,
    /// Price exponent: price mantissas are `× 10^price_exp`.
    pub price_exp: i8,
    /// Quantity exponent: quantity mantissas are `× 10^qty_exp`.
    pub qty_exp: i8,
    /// Venue symbol.
    pub symbol: Symbol,
    /// Reserved, zero.
    pub _pad: [u8; 24],
}

const _: () = assert!(size_of::<Instrument>() == 64);

impl Instrument {
    /// Returns an instrument description.
    ///
    /// # Examples
    ///
    /// ```
    /// use mdbus_schemas::{Instrument, InstrumentId, Symbol, VenueId};
    /// let i = Instrument::new(InstrumentId(1), VenueId::BINANCE_SPOT, Symbol::new("BTCUSDT")?, -2, -8);
    /// assert_eq!(i.price(6_543_210).to_string(), "65432.10");
    /// # Ok::<(), mdbus_schemas::TextError>(())
    /// ```
    pub fn new(id: InstrumentId, venue: VenueId, symbol: Symbol, price_exp: i8, qty_exp: i8) -> Instrument {
        Instrument { id, venue, price_exp, qty_exp, symbol, _pad: [0; 24] }
    }

    /// Returns the exact price a mantissa stands for.
    pub fn price(&self, mantissa: i64) -> Decimal {
        Decimal::from_fixed(mantissa, self.price_exp)
    }

    /// Returns the exact quantity a mantissa stands for.
    pub fn qty(&self, mantissa: i64) -> Decimal {
        Decimal::from_fixed(mantissa, self.qty_exp)
    }
}

/// Errors from building or decoding an [`InstrumentTable`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TableError {
    /// Two entries share an id.
    #[error("duplicate instrument id {0}")]
    DuplicateId(u32),
    /// Two entries share a venue and symbol.
    #[error("duplicate instrument {symbol} on venue {venue}")]
    DuplicateSymbol {
        /// Venue id.
        venue: u16,
        /// Symbol.
        symbol: String,
    },
    /// The bytes are shorter than the header or the entries it announces.
    #[error("instrument table truncated: {len} bytes, {expected} expected")]
    Truncated {
        /// Bytes present.
        len: usize,
        /// Bytes needed.
        expected: usize,
    },
    /// The bytes do not start with the table magic.
    #[error("not an instrument table (bad magic)")]
    BadMagic,
    /// The table was written with another record layout.
    #[error("instrument table layout hash {found:#018x} differs from this build's {expected:#018x}")]
    LayoutMismatch {
        /// Hash in the file.
        found: u64,
        /// Hash of this build.
        expected: u64,
    },
    /// The checksum over the entries does not match.
    #[error("instrument table checksum mismatch")]
    Checksum,
}

/// The set of instruments a feeder publishes, looked up by id or by venue and symbol.
///
/// # Examples
///
/// ```
/// use mdbus_schemas::{Instrument, InstrumentId, InstrumentTable, Symbol, VenueId};
/// let mut t = InstrumentTable::default();
/// t.insert(Instrument::new(InstrumentId(7), VenueId::OKX, Symbol::new("BTC-USDT")?, -1, -8))?;
/// let bytes = t.to_bytes();
/// let back = InstrumentTable::from_bytes(&bytes)?;
/// assert_eq!(back.by_symbol(VenueId::OKX, "BTC-USDT").map(|i| i.id), Some(InstrumentId(7)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstrumentTable {
    entries: Vec<Instrument>,
}

const TABLE_MAGIC: [u8; 8] = *b"MDBUSINS";
const TABLE_HEADER: usize = 32;

fn checksum(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3))
}

impl InstrumentTable {
    /// Adds an instrument.
    ///
    /// # Errors
    ///
    /// [`TableError::DuplicateId`] or [`TableError::DuplicateSymbol`] when it clashes with an
    /// entry already present.
    pub fn insert(&mut self, inst: Instrument) -> Result<(), TableError> {
        if self.get(inst.id).is_some() {
            return Err(TableError::DuplicateId(inst.id.0));
        }
        if self.by_symbol(inst.venue, inst.symbol.as_str()).is_some() {
            return Err(TableError::DuplicateSymbol { venue: inst.venue.0, symbol: inst.symbol.as_str().to_owned() });
        }
        self.entries.push(inst);
        Ok(())
    }

    /// Returns the instrument with `id`.
    pub fn get(&self, id: InstrumentId) -> Option<&Instrument> {
        self.entries.iter().find(|i| i.id == id)
    }

    /// Lists `inst` as the current listing of its symbol, keeping the earlier listing
    /// resolvable by its id: a venue changed the symbol's precision, so records published
    /// before carry the old id and its exponents, records after the new id and the new
    /// exponents, and no record changes meaning.
    ///
    /// # Errors
    ///
    /// [`TableError::DuplicateId`] when `inst.id` is taken.
    ///
    /// # Examples
    ///
    /// ```
    /// use mdbus_schemas::{Instrument, InstrumentId, InstrumentTable, Symbol, VenueId};
    /// let mut t = InstrumentTable::default();
    /// let sym = Symbol::new("BTCUSDT")?;
    /// t.insert(Instrument::new(InstrumentId(1), VenueId::BINANCE_SPOT, sym, -2, -5))?;
    /// t.relist(Instrument::new(InstrumentId(2), VenueId::BINANCE_SPOT, sym, -3, -5))?;
    /// assert_eq!(t.by_symbol(VenueId::BINANCE_SPOT, "BTCUSDT").map(|i| i.price_exp), Some(-3));
    /// assert_eq!(t.get(InstrumentId(1)).map(|i| i.price_exp), Some(-2));
    /// let back = InstrumentTable::from_bytes(&t.to_bytes())?;
    /// assert_eq!(back, t);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn relist(&mut self, inst: Instrument) -> Result<(), TableError> {
        if self.get(inst.id).is_some() {
            return Err(TableError::DuplicateId(inst.id.0));
        }
        self.entries.push(inst);
        Ok(())
    }

    /// Returns the current listing of `symbol` on `venue` (the latest, after a
    /// [`InstrumentTable::relist`]).
    pub fn by_symbol(&self, venue: VenueId, symbol: &str) -> Option<&Instrument> {
        self.entries.iter().rev().find(|i| i.venue == venue && i.symbol.as_str() == symbol)
    }

    /// Returns one more than the largest id in the table (1 for an empty table).
    pub fn next_id(&self) -> InstrumentId {
        InstrumentId(self.entries.iter().map(|i| i.id.0).max().map_or(1, |m| m.saturating_add(1)))
    }

    /// Returns every instrument, in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = &Instrument> {
        self.entries.iter()
    }

    /// Returns the number of instruments.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Returns `true` when the table is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Encodes the table: a 32-byte header (magic, version, count, layout hash, checksum) and
    /// the 64-byte entries.
    pub fn to_bytes(&self) -> Vec<u8> {
        let body = self.entries.as_bytes();
        let mut out = Vec::with_capacity(TABLE_HEADER + body.len());
        out.extend_from_slice(&TABLE_MAGIC);
        out.extend_from_slice(&1u32.to_le_bytes());
        out.extend_from_slice(&(self.entries.len() as u32).to_le_bytes());
        out.extend_from_slice(&LAYOUT_HASH.to_le_bytes());
        out.extend_from_slice(&checksum(body).to_le_bytes());
        out.extend_from_slice(body);
        out
    }

    /// Decodes a table written by [`InstrumentTable::to_bytes`].
    ///
    /// # Errors
    ///
    /// A [`TableError`] naming what is wrong with the bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<InstrumentTable, TableError> {
        if bytes.len() < TABLE_HEADER {
            return Err(TableError::Truncated { len: bytes.len(), expected: TABLE_HEADER });
        }
        if bytes[..8] != TABLE_MAGIC {
            return Err(TableError::BadMagic);
        }
        let word = |at: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&bytes[at..at + 8]);
            u64::from_le_bytes(b)
        };
        let count = (word(8) >> 32) as usize;
        let hash = word(16);
        if hash != LAYOUT_HASH {
            return Err(TableError::LayoutMismatch { found: hash, expected: LAYOUT_HASH });
        }
        let expected = TABLE_HEADER + count * size_of::<Instrument>();
        if bytes.len() < expected {
            return Err(TableError::Truncated { len: bytes.len(), expected });
        }
        let body = &bytes[TABLE_HEADER..expected];
        if checksum(body) != word(24) {
            return Err(TableError::Checksum);
        }
        let mut table = InstrumentTable::default();
        for chunk in body.chunks_exact(size_of::<Instrument>()) {
            let inst = Instrument::read_from_bytes(chunk).map_err(|_| TableError::Checksum)?;
            // A symbol listed twice was relisted: the later entry is the current one.
            table.relist(inst)?;
        }
        Ok(table)
    }
}
