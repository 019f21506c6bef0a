//! The seam between the feeder's shared machinery and a venue: [`Protocol`] is everything the
//! engine, the connections, the feeds and the configuration ask of a venue, and
//! [`FrameDecoder`] decodes what one connection receives. Each venue implements both in its own
//! folder of the `mdbus-venues` crate, which also registers it in a
//! [`Venues`](crate::venue::Venues) list; the feeder knows no venue by name.
//!
//! A new venue is a folder with a `Protocol` implementation, added to the registry
//! (`mdbus_venues::ALL`):
//!
//! ```
//! let v = mdbus_venues::ALL.find("okx", "spot").unwrap();
//! assert_eq!((v.name(), v.market()), ("okx", "spot"));
//! assert_eq!(v.topic("depth", "BTC-USDT").as_deref(), Some("books:BTC-USDT"));
//! ```

use std::{sync::Arc, time::Duration};

use mdbus_schemas::VenueId;

use crate::{
    account::AccountRunner,
    book::SyncRule,
    config::AccountEntry,
    decode::{DecodeError, Levels, Message},
    venue::{BookChannel, FrameError, Limits, Reply, SnapshotSource},
};

/// Decodes what one connection receives, keeping the state decoding needs across frames (an
/// inflater, the symbols whose first book since the subscription was seen). Decoding allocates
/// nothing once warmed up.
pub trait FrameDecoder: Send + std::fmt::Debug {
    /// Forgets the per-subscription state: called on every (re)connect.
    fn reset(&mut self) {}

    /// Decodes one frame (`binary` for a binary websocket frame), handing every message to
    /// `out` with the levels it refers to.
    ///
    /// # Errors
    ///
    /// [`FrameError`] naming the problem; messages already handed out stay valid.
    fn decode(
        &mut self,
        frame: &[u8],
        binary: bool,
        levels: &mut Levels,
        out: &mut dyn FnMut(Message<'_>, &Levels),
    ) -> Result<Reply, FrameError>;
}

/// The requests that make a venue send a topic's snapshot again, for venues whose unsubscribe
/// request is their subscribe request with `"unsubscribe"` in place of `"subscribe"`: that
/// unsubscribe, then `subscribe`.
pub fn unsubscribe_then(subscribe: String) -> Vec<String> {
    vec![subscribe.replacen("\"subscribe\"", "\"unsubscribe\"", 1), subscribe]
}

/// A decoder for venues whose frames are text, each one message: `decode` is the venue's frame
/// decoder.
#[derive(Debug, Clone, Copy)]
pub struct TextDecoder(pub for<'a> fn(&'a [u8], &mut Levels) -> Result<Message<'a>, DecodeError>);

impl FrameDecoder for TextDecoder {
    fn decode(
        &mut self,
        frame: &[u8],
        binary: bool,
        levels: &mut Levels,
        out: &mut dyn FnMut(Message<'_>, &Levels),
    ) -> Result<Reply, FrameError> {
        if binary {
            return Err(FrameError::Binary);
        }
        let m = (self.0)(frame, levels)?;
        out(m, levels);
        Ok(Reply::None)
    }
}

/// A venue's decoder of text frames that may carry several messages: each goes to the
/// callback with the levels it refers to.
pub type MultiDecode = fn(&[u8], &mut Levels, &mut dyn FnMut(Message<'_>, &Levels)) -> Result<(), DecodeError>;

/// A decoder for venues whose text frames may carry several messages.
#[derive(Debug, Clone, Copy)]
pub struct MultiDecoder(pub MultiDecode);

impl FrameDecoder for MultiDecoder {
    fn decode(
        &mut self,
        frame: &[u8],
        binary: bool,
        levels: &mut Levels,
        out: &mut dyn FnMut(Message<'_>, &Levels),
    ) -> Result<Reply, FrameError> {
        if binary {
            return Err(FrameError::Binary);
        }
        (self.0)(frame, levels, out)?;
        Ok(Reply::None)
    }
}

/// What the feeder needs to know of one venue and market: its names, its websocket session
/// (topics, subscribe requests and their limits, keepalives), its books (sequence rule and
/// where snapshots come from) and its decoder.
///
/// Channels are named alike for every venue (`trade`, `book_ticker`, `depth`, `depth5`,
/// `kline_1m`, ...); [`Protocol::topic`] maps them to the venue's own topics.
pub trait Protocol: Send + Sync + 'static {
    /// The configuration's venue name (`venue:`).
    fn name(&self) -> &'static str;

    /// The configuration's market (`market:`: `spot`, `usdm`, `linear`).
    fn market(&self) -> &'static str;

    /// The venue id written into records.
    fn id(&self) -> VenueId;

    /// The channels the venue carries beyond the common ones, for error messages
    /// (`agg_trade, depth5/10/20`).
    fn extra_channels(&self) -> &'static str {
        ""
    }

    /// The venue's topic for `channel` and `symbol`, or `None` for a channel the venue lacks.
    fn topic(&self, channel: &str, symbol: &str) -> Option<String>;

    /// The sequence rule of the books kept from `depth`.
    fn sync_rule(&self) -> SyncRule;

    /// Where the `depth` books' snapshots come from.
    fn snapshots(&self) -> SnapshotSource;

    /// The book kept from `channel`, or `None` when the channel carries no book. Every venue
    /// keeps books from `depth`; a venue may offer more book channels.
    fn book_channel(&self, channel: &str) -> Option<BookChannel> {
        (channel == "depth").then(|| BookChannel {
            channel: "depth",
            rule: self.sync_rule(),
            snapshots: self.snapshots(),
        })
    }

    /// Topic, request and rate limits.
    fn limits(&self) -> Limits;

    /// The subscribe request for `topics` (at most [`Limits::topics_per_request`]).
    fn subscribe(&self, id: u64, topics: &[String]) -> String;

    /// The requests that make the venue send `topic`'s book snapshot again: unsubscribe, then
    /// subscribe (venues with in-stream snapshots; empty for others). They carry id 0, which no
    /// subscribe request uses.
    fn resubscribe(&self, _topic: &str) -> Vec<String> {
        Vec::new()
    }

    /// A symbol taken from a stream name, spelled as the venue spells the symbol everywhere
    /// else.
    fn symbol_from_stream(&self, s: &str) -> String {
        s.to_owned()
    }

    /// Whether the venue acknowledges subscriptions (some do not: data simply flows).
    fn acks(&self) -> bool {
        true
    }

    /// How often the client keepalive goes out; `None` when the server drives it.
    fn keepalive(&self) -> Option<Duration> {
        None
    }

    /// The client keepalive message.
    fn ping(&self) -> Option<String> {
        None
    }

    /// The answer to a server ping the decoder reported with [`Reply::Pong`].
    fn pong(&self, _ts: u64) -> Option<String> {
        None
    }

    /// Whether the venue repeats trades it already sent (in the first book after a
    /// subscribe): the feed then drops trades at or below the last id it published.
    fn repeats_trades(&self) -> bool {
        false
    }

    /// Whether the venue's frames come in binary websocket messages (compressed).
    fn binary_frames(&self) -> bool {
        false
    }

    /// The deepest REST book snapshot the venue gives, in levels a side
    /// ([`SnapshotSource::Rest`]).
    fn snapshot_max_depth(&self) -> Option<u32> {
        None
    }

    /// The REST path of `symbol`'s book snapshot of `depth` levels a side.
    fn snapshot_path_depth(&self, _symbol: &str, _depth: u32) -> Option<String> {
        None
    }

    /// The websocket request for `symbol`'s book snapshot ([`SnapshotSource::Request`]).
    fn snapshot_request(&self, _symbol: &str) -> Option<String> {
        None
    }

    /// Decodes a REST book snapshot body: its update id and the venue's time of the snapshot
    /// in milliseconds where the body has one; levels go to `levels`.
    ///
    /// # Errors
    ///
    /// [`DecodeError`] for a body that is not a snapshot.
    fn rest_snapshot_at(&self, _body: &[u8], _levels: &mut Levels) -> Result<(u64, Option<u64>), DecodeError> {
        Err(DecodeError::Unrecognized)
    }

    /// A decoder for one connection's frames.
    fn decoder(&self) -> Box<dyn FrameDecoder>;

    /// A decoder for frames read one by one, out of their connection (`mdbus decode`): where
    /// a connection's earlier frames decide what a frame means, the frame alone decides here.
    fn standalone_decoder(&self) -> Box<dyn FrameDecoder> {
        self.decoder()
    }

    /// The key of the SDK feed ([`mdbus_sdk::registry::Registry`]) that reads the venue's
    /// instrument metadata.
    fn registry_key(&self) -> &'static str;

    /// Registers the venue's REST feeds in `registry` (the one under
    /// [`Protocol::registry_key`] reads the instrument metadata).
    ///
    /// # Errors
    ///
    /// [`RegistryError`](mdbus_sdk::registry::RegistryError) when a key is already registered.
    fn register_feeds(
        &self,
        registry: &mdbus_sdk::registry::Registry,
    ) -> Result<(), mdbus_sdk::registry::RegistryError>;

    /// Markets whose accounts have a private stream, for error messages (`spot, usdm`); empty
    /// when the venue has none.
    fn account_markets(&self) -> &'static [&'static str] {
        &[]
    }

    /// What is wrong with account `cfg` for this venue, beyond what every account needs: the
    /// field and why.
    fn check_account(&self, _cfg: &AccountEntry) -> Vec<(&'static str, &'static str)> {
        Vec::new()
    }

    /// Builds the private stream of account `cfg` ([`Protocol::account_markets`]), publishing
    /// into `writer`.
    ///
    /// # Errors
    ///
    /// A message naming what is wrong with the account's configuration.
    fn account(
        &self,
        _cfg: &AccountEntry,
        _creds: mdbus_sdk::credentials::Credentials,
        _writer: mdbus_bus::Writer,
        _tls: Arc<rustls::ClientConfig>,
    ) -> Result<AccountRunner, String> {
        Err(format!("{} has no private stream here", self.name()))
    }
}
