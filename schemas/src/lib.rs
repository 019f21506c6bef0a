//! Fixed-layout records shared by every mdbus process.
//!
//! Every record is `#[repr(C)]`, a multiple of 64 bytes, starts with the common [`Header`] and
//! is viewed and written with `zerocopy`: no pointers, `usize`, `bool` or Rust enums, so any
//! bytes found in shared memory are a valid value. Prices and quantities are exact integer
//! mantissas at the exponents the [`InstrumentTable`] gives; [`Decimal`] turns venue text into
//! them without ever rounding. [`LAYOUT_HASH`] covers every field's name, offset and size and
//! is stored in each ring, so a reader built against another layout refuses to open it.
//!
//! # Examples
//!
//! ```
//! use mdbus_schemas::{flags, Decimal, Header, InstrumentId, Kind, Trade, TradeId, VenueId, parse_fixed};
//! use zerocopy::IntoBytes;
//!
//! let mut trade = Trade {
//!     header: Header {
//!         kind: Kind::TRADE,
//!         flags: flags::BUY,
//!         venue: VenueId::BINANCE_SPOT,
//!         instrument: InstrumentId(1),
//!         ..Header::default()
//!     },
//!     price: parse_fixed(b"65432.10", -2)?,
//!     qty: parse_fixed(b"0.00100000", -8)?,
//!     ..Trade::default()
//! };
//! trade.set_id(TradeId::Number(12345)); // also `header.venue_seq`
//! assert_eq!(trade.as_bytes().len(), 128);
//! assert_eq!(trade.header.venue_seq, 12345);
//! assert_eq!(Decimal::from_fixed(trade.price, -2).to_string(), "65432.10");
//! # Ok::<(), mdbus_schemas::DecimalError>(())
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![doc(test(attr(deny(warnings))))]

mod account;
mod decimal;
pub mod flags;
mod header;
mod header_fields;
mod instrument;
mod layout;
mod marker;
mod market;
mod text;
mod view;

pub use account::{Asset, Balance, Fill, Order, OrderId, OrderStatus, OrderType, Position, TimeInForce};
pub use decimal::{Decimal, DecimalError, parse_fixed};
pub use header::{Header, InstrumentId, Kind, Nanos, VenueId};
pub use instrument::{Instrument, InstrumentTable, Symbol, TableError};
pub use layout::{FAMILIES, Field, HEADER_FIELDS, LAYOUT_HASH, Record, SCHEMA_VERSION};
pub use marker::{Marker, MarkerCode};
pub use market::{Bar, BookDelta, BookSnapshot, Level, Quote, SNAPSHOT_DEPTH, Trade, TradeId};
pub use text::{FixedStr, TextError};
pub use view::{RecordView, ViewError, read_header};

/// Largest record size of any family, in bytes.
pub const MAX_RECORD_SIZE: usize = size_of::<BookSnapshot>();
