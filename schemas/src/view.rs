//! Typed views of record bytes read from a ring.

use zerocopy::FromBytes;

use crate::{Balance, Bar, BookDelta, BookSnapshot, Fill, Header, Kind, Marker, Order, Position, Quote, Record, Trade};

/// Errors from viewing bytes as a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ViewError {
    /// Fewer bytes than a header.
    #[error("record of {len} bytes is shorter than its header")]
    Short {
        /// Bytes given.
        len: usize,
    },
    /// The kind tag is not one this build knows.
    #[error("unknown record kind {0}")]
    UnknownKind(u8),
    /// Fewer bytes than the record kind needs.
    #[error("{kind}: record needs {need} bytes, got {len}")]
    Truncated {
        /// Kind name.
        kind: &'static str,
        /// Bytes needed.
        need: usize,
        /// Bytes given.
        len: usize,
    },
    /// The bytes are not aligned to 8; copy them into an aligned buffer first.
    #[error("record bytes are not 8-byte aligned")]
    Misaligned,
}

/// A record of any kind, borrowed from an aligned buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecordView<'a> {
    /// A [`Quote`].
    Quote(&'a Quote),
    /// A [`Trade`].
    Trade(&'a Trade),
    /// A [`BookDelta`].
    BookDelta(&'a BookDelta),
    /// A [`BookSnapshot`].
    BookSnapshot(&'a BookSnapshot),
    /// A [`Bar`].
    Bar(&'a Bar),
    /// A [`Marker`].
    Marker(&'a Marker),
    /// An [`Order`].
    Order(&'a Order),
    /// A [`Fill`].
    Fill(&'a Fill),
    /// A [`Balance`].
    Balance(&'a Balance),
    /// A [`Position`].
    Position(&'a Position),
}

fn view<R: Record>(bytes: &[u8]) -> Result<&R, ViewError> {
    let need = size_of::<R>();
    let Some(head) = bytes.get(..need) else {
        return Err(ViewError::Truncated { kind: R::KIND.name().unwrap_or("?"), need, len: bytes.len() });
    };
    R::ref_from_bytes(head).map_err(|_| ViewError::Misaligned)
}

impl<'a> RecordView<'a> {
    /// Views `bytes` as the record its kind tag names. Extra bytes past the record are ignored
    /// (a ring slot can be larger than the record in it).
    ///
    /// # Errors
    ///
    /// A [`ViewError`] when the bytes are too short, misaligned or of an unknown kind.
    ///
    /// # Examples
    ///
    /// ```
    /// use mdbus_schemas::{RecordView, Trade};
    /// use zerocopy::IntoBytes;
    ///
    /// let t = Trade { price: 10, ..Trade::default() };
    /// match RecordView::from_bytes(t.as_bytes())? {
    ///     RecordView::Trade(v) => assert_eq!(v.price, 10),
    ///     other => panic!("unexpected {other:?}"),
    /// }
    /// # Ok::<(), mdbus_schemas::ViewError>(())
    /// ```
    pub fn from_bytes(bytes: &'a [u8]) -> Result<RecordView<'a>, ViewError> {
        let Some(&tag) = bytes.get(8) else {
            return Err(ViewError::Short { len: bytes.len() });
        };
        if bytes.len() < size_of::<Header>() {
            return Err(ViewError::Short { len: bytes.len() });
        }
        Ok(match Kind(tag) {
            Kind::QUOTE => RecordView::Quote(view(bytes)?),
            Kind::TRADE => RecordView::Trade(view(bytes)?),
            Kind::BOOK_DELTA => RecordView::BookDelta(view(bytes)?),
            Kind::BOOK_SNAPSHOT => RecordView::BookSnapshot(view(bytes)?),
            Kind::BAR => RecordView::Bar(view(bytes)?),
            Kind::MARKER => RecordView::Marker(view(bytes)?),
            Kind::ORDER => RecordView::Order(view(bytes)?),
            Kind::FILL => RecordView::Fill(view(bytes)?),
            Kind::BALANCE => RecordView::Balance(view(bytes)?),
            Kind::POSITION => RecordView::Position(view(bytes)?),
            Kind(other) => return Err(ViewError::UnknownKind(other)),
        })
    }

    /// Returns the common header.
    pub fn header(&self) -> &'a Header {
        match *self {
            RecordView::Quote(r) => &r.header,
            RecordView::Trade(r) => &r.header,
            RecordView::BookDelta(r) => &r.header,
            RecordView::BookSnapshot(r) => &r.header,
            RecordView::Bar(r) => &r.header,
            RecordView::Marker(r) => &r.header,
            RecordView::Order(r) => &r.header,
            RecordView::Fill(r) => &r.header,
            RecordView::Balance(r) => &r.header,
            RecordView::Position(r) => &r.header,
        }
    }
}

/// Reads the header from the first 48 bytes of `bytes`, without alignment requirements.
///
/// # Errors
///
/// [`ViewError::Short`] when fewer than 48 bytes are given.
pub fn read_header(bytes: &[u8]) -> Result<Header, ViewError> {
    Header::read_from_prefix(bytes).map(|(h, _)| h).map_err(|_| ViewError::Short { len: bytes.len() })
}
