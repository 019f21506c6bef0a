//! The venues the feeder speaks and what differs between them: topic names, subscribe
//! requests and their limits, keepalives, where book snapshots come from, and the per-connection
//! decoding state ([`SessionDecoder`]: HTX gzip, Gemini's first-book-per-subscription).
//!
//! Channels are named the same for every venue (`trade`, `book_ticker`, `depth`, `depth5`,
//! `kline_1m`, ...); [`Venue::topics`] maps them to the venue's own topics.
//!
//! ```
//! use mdbus_feeder::venue::Venue;
//! let v = Venue::from_config("okx", "spot").unwrap();
//! assert_eq!(v.topics(&["trade".into(), "depth".into()], &["BTC-USDT"]).unwrap(), ["trades:BTC-USDT", "books:BTC-USDT"]);
//! ```

use std::time::Duration;

use mdbus_schemas::VenueId;

use crate::{
    book::SyncRule,
    decode::{DecodeError, Levels, Message},
    json::{Fields, Raw},
    venues::{binance, bybit, gate, gemini, htx, okx},
};

/// A venue and market the feeder can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Venue {
    /// Binance spot.
    BinanceSpot,
    /// Binance USD-M futures.
    BinanceUsdm,
    /// OKX v5 public.
    Okx,
    /// Bybit v5 spot.
    BybitSpot,
    /// Bybit v5 linear (USDT perpetuals).
    BybitLinear,
    /// HTX spot (gzip frames).
    Htx,
    /// Gate.io v4 spot.
    Gate,
    /// Gemini v2 market data.
    Gemini,
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
/// use mdbus_feeder::{book::SyncRule, venue::{SnapshotSource, Venue}};
/// let b = Venue::Gate.book_channel("obu400").unwrap();
/// assert_eq!((b.rule, b.snapshots), (SyncRule::GateObu, SnapshotSource::InBand));
/// assert_eq!(Venue::Gate.book_channel("depth").unwrap().snapshots, SnapshotSource::Rest);
/// assert!(Venue::Gate.book_channel("trade").is_none());
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

/// Every venue, in a fixed order.
pub const ALL: [Venue; 8] = [
    Venue::BinanceSpot,
    Venue::BinanceUsdm,
    Venue::Okx,
    Venue::BybitSpot,
    Venue::BybitLinear,
    Venue::Htx,
    Venue::Gate,
    Venue::Gemini,
];

impl From<binance::Market> for Venue {
    fn from(m: binance::Market) -> Venue {
        match m {
            binance::Market::Spot => Venue::BinanceSpot,
            binance::Market::UsdM => Venue::BinanceUsdm,
        }
    }
}

fn now_s() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl Venue {
    /// The venue of a configuration's `venue` and `market` (`binance` `spot|usdm`, `okx`,
    /// `bybit` `spot|linear`, `htx`, `gateio`, `gemini`).
    pub fn from_config(venue: &str, market: &str) -> Option<Venue> {
        Some(match (venue, market) {
            ("binance", "spot") => Venue::BinanceSpot,
            ("binance", "usdm") => Venue::BinanceUsdm,
            ("okx", "spot") => Venue::Okx,
            ("bybit", "spot") => Venue::BybitSpot,
            ("bybit", "linear") => Venue::BybitLinear,
            ("htx", "spot") => Venue::Htx,
            ("gateio", "spot") => Venue::Gate,
            ("gemini", "spot") => Venue::Gemini,
            _ => return None,
        })
    }

    /// The configuration's venue name.
    pub fn name(self) -> &'static str {
        match self {
            Venue::BinanceSpot | Venue::BinanceUsdm => "binance",
            Venue::Okx => "okx",
            Venue::BybitSpot | Venue::BybitLinear => "bybit",
            Venue::Htx => "htx",
            Venue::Gate => "gateio",
            Venue::Gemini => "gemini",
        }
    }

    /// The venue id written into records.
    pub fn id(self) -> VenueId {
        match self {
            Venue::BinanceSpot => VenueId::BINANCE_SPOT,
            Venue::BinanceUsdm => VenueId::BINANCE_USDM,
            Venue::Okx => VenueId::OKX,
            Venue::BybitSpot => VenueId::BYBIT_SPOT,
            Venue::BybitLinear => VenueId::BYBIT_LINEAR,
            Venue::Htx => VenueId::HTX,
            Venue::Gate => VenueId::GATEIO,
            Venue::Gemini => VenueId::GEMINI,
        }
    }

    /// The sequence rules of the venue's books.
    pub fn sync_rule(self) -> SyncRule {
        match self {
            Venue::BinanceSpot => SyncRule::BinanceSpot,
            Venue::BinanceUsdm => SyncRule::BinanceUsdm,
            Venue::Okx => SyncRule::Okx,
            Venue::BybitSpot | Venue::BybitLinear => SyncRule::Bybit,
            Venue::Htx => SyncRule::Htx,
            Venue::Gate => SyncRule::GateSpot,
            Venue::Gemini => SyncRule::Gemini,
        }
    }

    /// Where book snapshots come from.
    pub fn snapshots(self) -> SnapshotSource {
        match self {
            Venue::BinanceSpot | Venue::BinanceUsdm | Venue::Gate => SnapshotSource::Rest,
            Venue::Htx => SnapshotSource::Request,
            Venue::Okx | Venue::BybitSpot | Venue::BybitLinear | Venue::Gemini => SnapshotSource::InBand,
        }
    }

    /// The book kept from `channel`, or `None` when the channel carries no book. Every venue
    /// keeps books from `depth`; Gate.io also from `spot.obu` (`obu50`, `obu400`), whose full
    /// book comes in the stream.
    pub fn book_channel(self, channel: &str) -> Option<BookChannel> {
        let (channel, rule, snapshots) = match (self, channel) {
            (_, "depth") => ("depth", self.sync_rule(), self.snapshots()),
            (Venue::Gate, "obu50") => ("obu50", SyncRule::GateObu, SnapshotSource::InBand),
            (Venue::Gate, "obu400") => ("obu400", SyncRule::GateObu, SnapshotSource::InBand),
            _ => return None,
        };
        Some(BookChannel { channel, rule, snapshots })
    }

    /// The book of a feed subscribed to `channels`: from its first book channel.
    pub fn feed_book(self, channels: &[String]) -> Option<BookChannel> {
        channels.iter().find_map(|c| self.book_channel(c))
    }

    /// Topic, request and rate limits.
    pub fn limits(self) -> Limits {
        let (topics_per_connection, topics_per_request, request_spacing) = match self {
            // Binance: 1024 streams per connection, 5 incoming messages per second.
            Venue::BinanceSpot | Venue::BinanceUsdm => (1024, 200, Duration::from_millis(250)),
            Venue::Okx => {
                (okx::session::TOPICS_PER_CONNECTION, okx::session::TOPICS_PER_REQUEST, okx::session::REQUEST_SPACING)
            }
            Venue::BybitSpot | Venue::BybitLinear => (
                bybit::session::TOPICS_PER_CONNECTION,
                bybit::session::TOPICS_PER_REQUEST,
                bybit::session::REQUEST_SPACING,
            ),
            Venue::Htx => {
                (htx::session::TOPICS_PER_CONNECTION, htx::session::TOPICS_PER_REQUEST, htx::session::REQUEST_SPACING)
            }
            Venue::Gate => (
                gate::session::TOPICS_PER_CONNECTION,
                gate::session::TOPICS_PER_REQUEST,
                gate::session::REQUEST_SPACING,
            ),
            Venue::Gemini => (
                gemini::session::TOPICS_PER_CONNECTION,
                gemini::session::TOPICS_PER_REQUEST,
                gemini::session::REQUEST_SPACING,
            ),
        };
        Limits { topics_per_connection, topics_per_request, request_spacing }
    }

    /// The venue's topics for `channels` × `symbols`, without repeats.
    ///
    /// # Errors
    ///
    /// The first channel the venue does not have.
    pub fn topics(self, channels: &[String], symbols: &[&str]) -> Result<Vec<String>, String> {
        if matches!(self, Venue::BinanceSpot | Venue::BinanceUsdm) {
            return Ok(crate::engine::streams(channels, symbols));
        }
        let mut out: Vec<String> = Vec::new();
        for s in symbols {
            for c in channels {
                let t = match self {
                    Venue::Okx => okx::session::topic(c, s),
                    Venue::BybitSpot | Venue::BybitLinear => bybit::session::topic(c, s),
                    Venue::Htx => htx::session::topic(c, s),
                    Venue::Gate => gate::session::topic(c, s),
                    Venue::Gemini => gemini::session::topic(c, s),
                    Venue::BinanceSpot | Venue::BinanceUsdm => None,
                }
                .ok_or_else(|| c.clone())?;
                if !out.contains(&t) {
                    out.push(t);
                }
            }
        }
        Ok(out)
    }

    /// The subscribe request for `topics` (at most [`Limits::topics_per_request`]).
    pub fn subscribe(self, id: u64, topics: &[String]) -> String {
        match self {
            Venue::BinanceSpot | Venue::BinanceUsdm => {
                serde_json::json!({ "method": "SUBSCRIBE", "params": topics, "id": id }).to_string()
            }
            Venue::Okx => okx::session::subscribe(id, topics),
            Venue::BybitSpot | Venue::BybitLinear => bybit::session::subscribe(id, topics),
            Venue::Htx => htx::session::subscribe(id, topics),
            Venue::Gate => gate::session::subscribe(id, now_s(), topics),
            Venue::Gemini => gemini::session::subscribe(topics),
        }
    }

    /// The requests that make the venue send `topic`'s book snapshot again: unsubscribe, then
    /// subscribe (venues with in-stream snapshots; empty for others). They carry id 0, which
    /// no subscribe request uses.
    pub fn resubscribe(self, topic: &str) -> Vec<String> {
        let topics = [topic.to_owned()];
        let unsubscribe = match self {
            Venue::Okx => okx::session::subscribe(0, &topics).replacen("\"subscribe\"", "\"unsubscribe\"", 1),
            Venue::BybitSpot | Venue::BybitLinear => {
                bybit::session::subscribe(0, &topics).replacen("\"subscribe\"", "\"unsubscribe\"", 1)
            }
            Venue::Gemini => gemini::session::subscribe(&topics).replacen("\"subscribe\"", "\"unsubscribe\"", 1),
            Venue::Gate if topic.starts_with("spot.obu|") => {
                gate::session::subscribe(0, now_s(), &topics).replacen("\"subscribe\"", "\"unsubscribe\"", 1)
            }
            _ => return Vec::new(),
        };
        vec![unsubscribe, self.subscribe(0, &topics)]
    }

    /// A symbol taken from a stream name, spelled as the venue spells the symbol everywhere
    /// else: Binance names streams in lowercase (`btcusdt@depth`) but spells symbols in
    /// uppercase; HTX spells both in lowercase (`market.btcusdt.mbp.150`, `btcusdt`).
    pub fn symbol_from_stream(self, s: &str) -> String {
        match self {
            Venue::BinanceSpot | Venue::BinanceUsdm => s.to_ascii_uppercase(),
            _ => s.to_owned(),
        }
    }

    /// Whether the venue numbers its book updates (Gemini does not: its records say so, with
    /// [`NO_VENUE_SEQ`](mdbus_schemas::flags::NO_VENUE_SEQ)).
    pub fn has_book_sequence(self) -> bool {
        self.sync_rule() != SyncRule::Gemini
    }

    /// Whether the venue acknowledges subscriptions (Gemini does not: data simply flows).
    pub fn acks(self) -> bool {
        self != Venue::Gemini
    }

    /// The client keepalive: how often and what to send. `None` when the server drives it
    /// (Binance and HTX pings, Gemini heartbeats).
    pub fn keepalive(self) -> Option<Duration> {
        match self {
            Venue::Okx => Some(okx::session::PING_EVERY),
            Venue::BybitSpot | Venue::BybitLinear => Some(bybit::session::PING_EVERY),
            Venue::Gate => Some(gate::session::PING_EVERY),
            _ => None,
        }
    }

    /// The client keepalive message.
    pub fn ping(self) -> Option<String> {
        match self {
            Venue::Okx => Some("ping".into()),
            Venue::BybitSpot | Venue::BybitLinear => Some(bybit::session::PING.into()),
            Venue::Gate => Some(gate::session::ping(now_s())),
            _ => None,
        }
    }

    /// The deepest REST book snapshot the venue gives, in levels a side
    /// ([`SnapshotSource::Rest`] venues): Binance spot 5,000, USD-M 1,000, Gate.io 100.
    pub fn snapshot_max_depth(self) -> Option<u32> {
        match self {
            Venue::BinanceSpot => Some(5_000),
            Venue::BinanceUsdm => Some(1_000),
            Venue::Gate => Some(gate::session::SNAPSHOT_MAX_DEPTH),
            _ => None,
        }
    }

    /// The REST path of `symbol`'s book snapshot, the deepest the venue gives
    /// ([`SnapshotSource::Rest`]).
    pub fn snapshot_path(self, symbol: &str) -> Option<String> {
        self.snapshot_path_depth(symbol, self.snapshot_max_depth()?)
    }

    /// The REST path of `symbol`'s book snapshot of `depth` levels a side.
    pub fn snapshot_path_depth(self, symbol: &str, depth: u32) -> Option<String> {
        match self {
            Venue::BinanceSpot => Some(format!("/api/v3/depth?symbol={symbol}&limit={depth}")),
            Venue::BinanceUsdm => Some(format!("/fapi/v1/depth?symbol={symbol}&limit={depth}")),
            Venue::Gate => Some(gate::session::snapshot_path(symbol, depth)),
            _ => None,
        }
    }

    /// The websocket request for `symbol`'s book snapshot ([`SnapshotSource::Request`]).
    pub fn snapshot_request(self, symbol: &str) -> Option<String> {
        (self == Venue::Htx).then(|| htx::session::snapshot_request(symbol))
    }

    /// The topic that carries `symbol`'s book from `channel`, to find the connection a
    /// snapshot request goes on.
    pub fn book_topic(self, channel: &str, symbol: &str) -> Option<String> {
        self.topics(&[channel.into()], &[symbol]).ok()?.pop()
    }

    /// Decodes a REST book snapshot body: returns its update id; levels go to `levels`.
    ///
    /// # Errors
    ///
    /// [`DecodeError`] for a body that is not a snapshot.
    pub fn rest_snapshot(self, body: &[u8], levels: &mut Levels) -> Result<u64, DecodeError> {
        self.rest_snapshot_at(body, levels).map(|(id, _)| id)
    }

    /// As [`Venue::rest_snapshot`], with the venue's time of the snapshot in milliseconds
    /// where the body has one (Binance USD-M: `T`, else `E`).
    ///
    /// # Errors
    ///
    /// As [`Venue::rest_snapshot`].
    pub fn rest_snapshot_at(self, body: &[u8], levels: &mut Levels) -> Result<(u64, Option<u64>), DecodeError> {
        match self {
            Venue::Gate => gate::market::rest_snapshot(body, levels).map(|id| (id, None)),
            _ => match binance::decode(body, levels)? {
                Message::Depth(d) => Ok((d.last_seq, d.trade_ts_ms.or(d.event_ts_ms))),
                _ => Err(DecodeError::Unrecognized),
            },
        }
    }
}

/// Decodes what one connection receives, keeping the state decoding needs across frames:
/// HTX's inflater and buffer, the Gemini symbols whose first book since the subscription was
/// seen. Decoding allocates nothing once warmed up.
#[derive(Debug)]
pub struct SessionDecoder {
    venue: Venue,
    gunzip: Option<htx::gunzip::Gunzip>,
    /// Gemini: symbols whose first `l2_updates` (the whole book) arrived.
    seen: Vec<Box<[u8]>>,
}

/// What the connection must do about a frame beyond handing its messages on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reply {
    /// Nothing.
    None,
    /// Answer HTX's `ping` with this timestamp.
    Pong(u64),
}

/// Why a frame could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// The frame decompresses to nothing valid (HTX).
    #[error(transparent)]
    Gunzip(#[from] htx::gunzip::GunzipError),
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
        SessionDecoder { venue, gunzip: (venue == Venue::Htx).then(htx::gunzip::Gunzip::default), seen: Vec::new() }
    }

    /// Forgets the per-subscription state: call on every (re)connect.
    pub fn reset(&mut self) {
        self.seen.clear();
    }

    /// Decodes one frame (`binary` for a binary websocket frame), handing every message to
    /// `out` with the levels it refers to.
    ///
    /// # Errors
    ///
    /// [`FrameError`] naming the problem; messages already handed out stay valid.
    pub fn decode(
        &mut self,
        frame: &[u8],
        binary: bool,
        levels: &mut Levels,
        out: &mut dyn FnMut(Message<'_>, &Levels),
    ) -> Result<Reply, FrameError> {
        match self.venue {
            Venue::Htx => {
                let text = if binary {
                    match &mut self.gunzip {
                        Some(g) => g.gunzip(frame)?,
                        None => return Err(FrameError::Binary),
                    }
                } else {
                    frame
                };
                match htx::market::decode(text, levels, out)? {
                    htx::market::Control::Ping(ts) => Ok(Reply::Pong(ts)),
                    _ => Ok(Reply::None),
                }
            }
            _ if binary => Err(FrameError::Binary),
            Venue::BinanceSpot | Venue::BinanceUsdm => {
                let m = binance::decode(frame, levels)?;
                out(m, levels);
                Ok(Reply::None)
            }
            Venue::Okx => okx::market::decode(frame, levels, out).map(|_| Reply::None).map_err(Into::into),
            Venue::BybitSpot | Venue::BybitLinear => {
                bybit::market::decode(frame, levels, out).map(|_| Reply::None).map_err(Into::into)
            }
            Venue::Gate => {
                let m = gate::market::decode(frame, levels)?;
                out(m, levels);
                Ok(Reply::None)
            }
            Venue::Gemini => {
                // The whole book comes first after each subscribe, with the recent trades.
                let first = match gemini_book_symbol(frame) {
                    Some((sym, _)) if !self.seen.iter().any(|s| **s == *sym) => {
                        self.seen.push(sym.into());
                        true
                    }
                    Some((_, with_trades)) => with_trades,
                    None => false,
                };
                gemini::market::decode(frame, first, levels, out).map(|_| Reply::None).map_err(Into::into)
            }
        }
    }
}

/// The symbol of a Gemini `l2_updates` frame and whether it carries `trades` (only the first
/// after a subscribe does); `None` for any other frame.
fn gemini_book_symbol(frame: &[u8]) -> Option<(&[u8], bool)> {
    let (mut kind, mut symbol, mut trades) = (None, None, false);
    for f in Fields::new(frame).ok()? {
        match f.ok()? {
            (b"type", Raw::Str(t)) => kind = Some(t),
            (b"symbol", Raw::Str(s)) => symbol = Some(s),
            (b"trades", _) => trades = true,
            _ => {}
        }
    }
    (kind == Some(b"l2_updates")).then_some(symbol.map(|s| (s, trades))).flatten()
}
