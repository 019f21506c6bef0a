//! The [`Record`] trait and the layout hash that every ring header carries.

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::{Header, Kind};

/// One field of a record: its name, byte offset and size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// Field name as written in the Rust struct.
    pub name: &'static str,
    /// Byte offset from the start of the record.
    pub offset: usize,
    /// Size in bytes.
    pub size: usize,
    /// The Rust type as written in the struct (`i64`, `Nanos`, `[Level; SNAPSHOT_DEPTH]`, ...),
    /// for readers in other languages; not part of the layout hash.
    pub ty: &'static str,
}

impl Field {
    /// Returns a field descriptor of type `ty`.
    pub const fn new(name: &'static str, offset: usize, size: usize, ty: &'static str) -> Field {
        Field { name, offset, size, ty }
    }
}

/// A fixed-layout record that can be published into a ring.
///
/// Implemented by every record family of this crate; the layout tests check that `FIELDS`
/// covers every byte of the type exactly once.
pub trait Record: FromBytes + IntoBytes + KnownLayout + Immutable + Copy + 'static {
    /// Kind tag of this record family.
    const KIND: Kind;
    /// Every field, in layout order.
    const FIELDS: &'static [Field];

    /// Returns the common header.
    fn header(&self) -> &Header;

    /// Returns the common header, mutably.
    fn header_mut(&mut self) -> &mut Header;
}

/// Format version of the records; bumped on any change that the layout hash cannot see.
pub const SCHEMA_VERSION: u32 = 1;

const fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
    let mut i = 0;
    while i < bytes.len() {
        h ^= bytes[i] as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    h
}

const fn fnv_u64(h: u64, v: u64) -> u64 {
    fnv(h, &v.to_le_bytes())
}

/// Hashes one record family's name and fields into `h`.
const fn hash_fields(mut h: u64, name: &str, fields: &[Field]) -> u64 {
    h = fnv(h, name.as_bytes());
    let mut i = 0;
    while i < fields.len() {
        h = fnv(h, fields[i].name.as_bytes());
        h = fnv_u64(h, fields[i].offset as u64);
        h = fnv_u64(h, fields[i].size as u64);
        i += 1;
    }
    h
}

/// Every record family with its field list, in kind order.
pub const FAMILIES: [(Kind, &[Field]); 10] = [
    (crate::Quote::KIND, crate::Quote::FIELDS),
    (crate::Trade::KIND, crate::Trade::FIELDS),
    (crate::BookDelta::KIND, crate::BookDelta::FIELDS),
    (crate::BookSnapshot::KIND, crate::BookSnapshot::FIELDS),
    (crate::Bar::KIND, crate::Bar::FIELDS),
    (crate::Marker::KIND, crate::Marker::FIELDS),
    (crate::Order::KIND, crate::Order::FIELDS),
    (crate::Fill::KIND, crate::Fill::FIELDS),
    (crate::Balance::KIND, crate::Balance::FIELDS),
    (crate::Position::KIND, crate::Position::FIELDS),
];

/// Every field of [`Header`], in layout order.
pub const HEADER_FIELDS: &[Field] = crate::header_fields::FIELDS;

/// FNV-1a 64 over the schema version, the header's fields and every record family's kind tag,
/// name, field names, offsets and sizes. Stored in every ring header: a reader built against a
/// different layout refuses to open the ring.
pub const LAYOUT_HASH: u64 = {
    let mut h = fnv_u64(0xcbf2_9ce4_8422_2325, SCHEMA_VERSION as u64);
    h = hash_fields(h, "header", HEADER_FIELDS);
    let mut i = 0;
    while i < FAMILIES.len() {
        let (kind, fields) = FAMILIES[i];
        h = fnv_u64(h, kind.0 as u64);
        let name = match kind.name() {
            Some(n) => n,
            None => "",
        };
        h = hash_fields(h, name, fields);
        i += 1;
    }
    h
};

/// Implements [`Record`] and `Default` (zeroed, with the kind set) for a record struct, deriving
/// the field list from the struct's own field names and types so it cannot drift.
#[macro_export]
#[doc(hidden)]
macro_rules! record {
    ($ty:ident, $kind:expr, { $($field:ident: $fty:ty),* $(,)? }) => {
        impl $crate::Record for $ty {
            const KIND: $crate::Kind = $kind;
            const FIELDS: &'static [$crate::Field] = &[$(
                $crate::Field::new(
                    stringify!($field),
                    ::core::mem::offset_of!($ty, $field),
                    ::core::mem::size_of::<$fty>(),
                    stringify!($fty),
                )
            ),*];

            fn header(&self) -> &$crate::Header {
                &self.header
            }

            fn header_mut(&mut self) -> &mut $crate::Header {
                &mut self.header
            }
        }

        impl Default for $ty {
            fn default() -> Self {
                let mut r = <$ty as ::zerocopy::FromZeros>::new_zeroed();
                r.header.kind = $kind;
                r
            }
        }
    };
}
