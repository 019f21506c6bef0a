//! Marker records: changes of stream state that readers must act on.

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::{Header, Kind};

/// What a [`Marker`] announces.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(transparent)]
pub struct MarkerCode(pub u16);

impl MarkerCode {
    /// The connection to the venue is up and subscribed.
    pub const CONNECTED: MarkerCode = MarkerCode(1);
    /// The connection to the venue was lost; state derived from it is stale.
    pub const DISCONNECTED: MarkerCode = MarkerCode(2);
    /// A venue sequence gap: `header.venue_seq` arrived, `detail` was expected. Book state of
    /// the instrument is invalid until [`MarkerCode::RESYNC_DONE`]. With instrument 0, records
    /// of the ring itself were lost where the marker stands (a recorder or a bridge was lapped
    /// by the ring's writer): `detail` is how many. A bridge's receiving ring keeps the sending
    /// ring's sequence numbers, so there each lost record's sequence number holds one such
    /// marker, and `detail` counts down to the end of the run (n, n - 1, ..., 1): the first
    /// marker of a run that a reader meets is how many it missed.
    pub const GAP: MarkerCode = MarkerCode(3);
    /// A book resynchronisation started; clear the instrument's book.
    pub const RESYNC_START: MarkerCode = MarkerCode(4);
    /// The book is consistent again from `header.venue_seq` on. `detail` is how deep the
    /// snapshot that rebuilt it went, in levels on its longer side: beyond that depth the
    /// book holds only the levels updates brought since (a snapshot shorter than the request
    /// was the whole book).
    pub const RESYNC_DONE: MarkerCode = MarkerCode(5);
    /// No data from the venue for longer than its keepalive allows.
    pub const STALE: MarkerCode = MarkerCode(6);
    /// The venue's book crossed (best bid ≥ best ask); it will be resynchronised.
    pub const CROSSED: MarkerCode = MarkerCode(7);
    /// A ring writer (re)started; `detail` is its generation. Records before it were published
    /// by the previous generation.
    pub const WRITER_STARTED: MarkerCode = MarkerCode(8);
    /// The feed was down and restarted on its rings: the instrument has no data between
    /// `header.venue_ts` (when the previous writer was last active) and this marker's
    /// `header.recv_ts` (the restart). What the venue sent in between is not in the ring.
    pub const OUTAGE: MarkerCode = MarkerCode(9);
    /// A connection of the feed failed to come up (refused, TLS, an HTTP error on the upgrade,
    /// a refused login): published once per run of failures, so readers know why nothing
    /// arrives. `detail` is the connection's index in the feed.
    pub const CONNECT_FAILED: MarkerCode = MarkerCode(10);
    /// The venue refused an account's credentials or signature on its private stream:
    /// published into the account's ring once per run of refusals, so a strategy knows why no
    /// order events arrive. `detail` is the account number.
    pub const AUTH_FAILED: MarkerCode = MarkerCode(11);

    /// Returns the lowercase name of the code, or `None` for an unknown code.
    ///
    /// # Examples
    ///
    /// ```
    /// use mdbus_schemas::MarkerCode;
    /// assert_eq!(MarkerCode::GAP.name(), Some("gap"));
    /// ```
    pub const fn name(self) -> Option<&'static str> {
        Some(match self {
            MarkerCode::CONNECTED => "connected",
            MarkerCode::DISCONNECTED => "disconnected",
            MarkerCode::GAP => "gap",
            MarkerCode::RESYNC_START => "resync_start",
            MarkerCode::RESYNC_DONE => "resync_done",
            MarkerCode::STALE => "stale",
            MarkerCode::CROSSED => "crossed",
            MarkerCode::WRITER_STARTED => "writer_started",
            MarkerCode::OUTAGE => "outage",
            MarkerCode::CONNECT_FAILED => "connect_failed",
            MarkerCode::AUTH_FAILED => "auth_failed",
            _ => return None,
        })
    }
}

/// A change of stream state, published in line with the data it concerns: 64 bytes.
///
/// Markers fit every ring (every record is at least 64 bytes), so readers see them in order
/// with the records they invalidate.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
pub struct Marker {
    /// Common fields; `kind` is [`Kind::MARKER`].
    pub header: Header,
    /// What happened.
    pub code: MarkerCode,
    /// Reserved, zero.
    pub _pad: [u8; 6],
    /// Code-specific detail: expected sequence for a gap, generation for a writer start.
    pub detail: u64,
}

const _: () = assert!(size_of::<Marker>() == 64);

crate::record!(Marker, Kind::MARKER, { header: Header, code: MarkerCode, _pad: [u8; 6], detail: u64 });
