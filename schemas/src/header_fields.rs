//! Field list of [`Header`], hashed into the layout hash.

use core::mem::offset_of;

use crate::{Field, Header};

/// Every field of [`Header`], in layout order.
pub(crate) const FIELDS: &[Field] = &[
    Field::new("seq", offset_of!(Header, seq), 8, "u64"),
    Field::new("kind", offset_of!(Header, kind), 1, "Kind"),
    Field::new("flags", offset_of!(Header, flags), 1, "u8"),
    Field::new("venue", offset_of!(Header, venue), 2, "VenueId"),
    Field::new("instrument", offset_of!(Header, instrument), 4, "InstrumentId"),
    Field::new("venue_seq", offset_of!(Header, venue_seq), 8, "u64"),
    Field::new("venue_ts", offset_of!(Header, venue_ts), 8, "Nanos"),
    Field::new("recv_ts", offset_of!(Header, recv_ts), 8, "Nanos"),
    Field::new("publish_ts", offset_of!(Header, publish_ts), 8, "Nanos"),
];
