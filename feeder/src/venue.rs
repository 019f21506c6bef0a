//! The venues the feeder speaks: a [`Venue`] is a handle on one venue's
//! [`Protocol`], the registry of them a program hands the feeder ([`Venues`]), plus the
//! types every protocol shares: where book snapshots come from, which channel keeps a feed's
//! books, topic limits, and a connection's [`SessionDecoder`].
//!
//! Channels are named the same for every venue (`trade`, `book_ticker`, `depth`, `depth5`,
//! `kline_1m`, ...); [`Venue::topics`] maps them to the venue's own topics.
//!
//! ```
//! let v = mdbus_venues::ALL.find("okx", "spot").unwrap();
//! assert_eq!(v.topics(&["trade".into(), "depth".into()], &["BTC-USDT"]).unwrap(), ["trades:BTC-USDT", "books:BTC-USDT"]);
//! ```

use std::time::Duration;

use crate::{
    book::SyncRule,
    decode::{DecodeError, Levels, Message},
    protocol::{FrameDecoder, Protocol},
};

/// A venue and market the feeder can carry: a handle on its [`Protocol`], which it
/// dereferences to. Two handles are equal when they name the same venue and market.
#[derive(Clone, Copy)]
pub struct Venue(&'static dyn Protocol);

impl std::ops::Deref for Venue {
    type Target = dyn Protocol;

    fn deref(&self) -> &Self::Target {
        self.0
    }
}

impl PartialEq for Venue {
    fn eq(&self, other: &Venue) -> bool {
        (self.0.name(), self.0.market()) == (other.0.name(), other.0.market())
    }
}

impl Eq for Venue {}

impl std::hash::Hash for Venue {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        (self.0.name(), self.0.market()).hash(h);
    }
}

impl std::fmt::Debug for Venue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Venue({} {})", self.0.name(), self.0.market())
    }
}

/// Where a venue's book snapshots come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SnapshotSource {
    /// A REST request (Binance, Gate.io).
    Rest,
    /// A request on the websocket itself (HTX `req`).
    Request,
    /// The stream sends them after each subscribe (OKX, Bybit, Gemini).
    InBand,
}

/// How a feed's books are kept: the channel that carries them, the sequence rule they follow
/// and where their snapshots come from.
///
/// ```
/// use mdbus_feeder::{book::SyncRule, venue::SnapshotSource};
/// use mdbus_venues::GATEIO;
/// let b = GATEIO.book_channel("obu400").unwrap();
/// assert_eq!((b.rule, b.snapshots), (SyncRule::RangeInStream, SnapshotSource::InBand));
/// assert_eq!(GATEIO.book_channel("depth").unwrap().snapshots, SnapshotSource::Rest);
/// assert!(GATEIO.book_channel("trade").is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookChannel {
    /// The channel, as configurations name it (`depth`; Gate.io also `obu50`, `obu400`).
    pub channel: &'static str,
    /// The books' sequence rule.
    pub rule: SyncRule,
    /// Where the books' snapshots come from.
    pub snapshots: SnapshotSource,
}

/// How many topics a connection and a request may carry, and how fast requests may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Topics on one connection; more are sharded onto further connections.
    pub topics_per_connection: usize,
    /// Topics in one subscribe request.
    pub topics_per_request: usize,
    /// Time between subscribe requests on one connection.
    pub request_spacing: Duration,
}

/// The venues a program knows, in a fixed order: the registry it hands the feeder's
/// configuration check and engine (`mdbus_venues::ALL` registers every venue mdbus speaks).
///
/// The feeder names no venue itself; everything it asks of one goes through the venue's
/// [`Protocol`].
#[derive(Clone, Copy, Debug)]
pub struct Venues(&'static [Venue]);

impl Venues {
    /// A registry of `venues`.
    pub const fn new(venues: &'static [Venue]) -> Venues {
        Venues(venues)
    }

    /// Every registered venue.
    pub fn iter(self) -> impl Iterator<Item = Venue> {
        self.into_iter()
    }

    /// The venue of a configuration's `venue` and `market`.
    pub fn find(self, venue: &str, market: &str) -> Option<Venue> {
        self.iter().find(|v| v.name() == venue && v.market() == market)
    }

    /// The configuration names of every venue, without repeats (`binance, okx, ...`).
    pub fn names(self) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = Vec::new();
        for v in self.iter() {
            if !out.contains(&v.name()) {
                out.push(v.name());
            }
        }
        out
    }

    /// The markets of venue `name`.
    pub fn markets(self, name: &str) -> Vec<&'static str> {
        self.iter().filter(|v| v.name() == name).map(|v| v.market()).collect()
    }
}

impl IntoIterator for Venues {
    type Item = Venue;
    type IntoIter = std::iter::Copied<std::slice::Iter<'static, Venue>>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().copied()
    }
}

impl Venue {
    /// A handle on `protocol`.
    pub const fn new(protocol: &'static dyn Protocol) -> Venue {
        Venue(protocol)
    }

    /// The book of a feed subscribed to `channels`: from its first book channel.
    pub fn feed_book(self, channels: &[String]) -> Option<BookChannel> {
        channels.iter().find_map(|c| self.book_channel(c))
    }

    /// The venue's topics for `channels` × `symbols`, without repeats.
    ///
    /// # Errors
    ///
    /// The first channel the venue does not have.
    pub fn topics(self, channels: &[String], symbols: &[&str]) -> Result<Vec<String>, String> {
        let mut out: Vec<String> = Vec::new();
        for s in symbols {
            for c in channels {
                let t = self.topic(c, s).ok_or_else(|| c.clone())?;
                if !out.contains(&t) {
                    out.push(t);
                }
            }
        }
        Ok(out)
    }

    /// Whether the venue numbers its book updates (records of one that does not say so, with
    /// [`NO_VENUE_SEQ`](mdbus_schemas::flags::NO_VENUE_SEQ)).
    pub fn has_book_sequence(self) -> bool {
        self.sync_rule() != SyncRule::Unsequenced
    }

    /// The REST path of `symbol`'s book snapshot, the deepest the venue gives
    /// ([`SnapshotSource::Rest`]).
    pub fn snapshot_path(self, symbol: &str) -> Option<String> {
        self.snapshot_path_depth(symbol, self.snapshot_max_depth()?)
    }

    /// The topic that carries `symbol`'s book from `channel`, to find the connection a
    /// snapshot request goes on.
    pub fn book_topic(self, channel: &str, symbol: &str) -> Option<String> {
        self.topic(channel, symbol)
    }

    /// Decodes a REST book snapshot body: returns its update id; levels go to `levels`.
    ///
    /// # Errors
    ///
    /// [`DecodeError`] for a body that is not a snapshot.
    pub fn rest_snapshot(self, body: &[u8], levels: &mut Levels) -> Result<u64, DecodeError> {
        self.rest_snapshot_at(body, levels).map(|(id, _)| id)
    }
}

/// Decodes what one connection receives with its venue's [`FrameDecoder`].
#[derive(Debug)]
pub struct SessionDecoder {
    inner: Box<dyn FrameDecoder>,
}

/// What the connection must do about a frame beyond handing its messages on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reply {
    /// Nothing.
    None,
    /// Answer the server's ping carrying this timestamp ([`Protocol::pong`]).
    Pong(u64),
}

/// Why a frame could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// The frame decompresses to nothing valid.
    #[error(transparent)]
    Gunzip(#[from] crate::gunzip::GunzipError),
    /// The frame is not a message of the venue.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// A binary frame from a venue that only sends text.
    #[error("unexpected binary frame")]
    Binary,
}

impl SessionDecoder {
    /// A decoder for `venue`'s frames.
    pub fn new(venue: Venue) -> SessionDecoder {
        SessionDecoder { inner: venue.decoder() }
    }

    /// Forgets the per-subscription state: call on every (re)connect.
    pub fn reset(&mut self) {
        self.inner.reset();
    }

    /// Decodes one frame (`binary` for a binary websocket frame), handing every message to
    /// `out` with the levels it refers to.
    ///
    /// # Errors
    ///
    /// [`FrameError`] naming the problem; messages already handed out stay valid.
    #[inline]
    pub fn decode(
        &mut self,
        frame: &[u8],
        binary: bool,
        levels: &mut Levels,
        out: &mut dyn FnMut(Message<'_>, &Levels),
    ) -> Result<Reply, FrameError> {
        self.inner.decode(frame, binary, levels, out)
    }
}
