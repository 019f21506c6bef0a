//! Gemini v2 market data as the feeder speaks it: one `subscribe` naming every subscription, no
//! acknowledgements, server heartbeats, no sequence numbers: the first `l2_updates` after each
//! subscribe is the whole book (with recent trades, which the feed drops when already seen).
//! The private stream is the order events socket, authenticated in the handshake.

use std::sync::Arc;

use mdbus_schemas::VenueId;

use super::{market, session};
use mdbus_feeder::{
    account::AccountRunner,
    book::SyncRule,
    config::AccountEntry,
    decode::{Levels, Message},
    json::{Fields, Raw},
    protocol::{FrameDecoder, Protocol},
    venue::{FrameError, Limits, Reply, SnapshotSource},
};

/// Gemini's protocol.
#[derive(Debug, Clone, Copy)]
pub struct Gemini;

/// Gemini frames, with the symbols whose first book since the subscription was seen.
#[derive(Debug, Default)]
struct GeminiDecoder {
    seen: Vec<Box<[u8]>>,
    /// Frames read alone: only the one that carries `trades` is the first after a subscribe.
    standalone: bool,
}

/// The symbol of a Gemini `l2_updates` frame and whether it carries `trades` (only the first
/// after a subscribe does); `None` for any other frame.
fn book_symbol(frame: &[u8]) -> Option<(&[u8], bool)> {
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

impl FrameDecoder for GeminiDecoder {
    fn reset(&mut self) {
        self.seen.clear();
    }

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
        // The whole book comes first after each subscribe, with the recent trades.
        let first = match book_symbol(frame) {
            Some((sym, _)) if !self.standalone && !self.seen.iter().any(|s| **s == *sym) => {
                self.seen.push(sym.into());
                true
            }
            Some((_, with_trades)) => with_trades,
            None => false,
        };
        market::decode(frame, first, levels, out)?;
        Ok(Reply::None)
    }
}

impl Protocol for Gemini {
    fn name(&self) -> &'static str {
        "gemini"
    }

    fn market(&self) -> &'static str {
        "spot"
    }

    fn id(&self) -> VenueId {
        VenueId::GEMINI
    }

    fn account_markets(&self) -> &'static [&'static str] {
        &["spot"]
    }

    fn account(
        &self,
        cfg: &AccountEntry,
        creds: mdbus_sdk::credentials::Credentials,
        writer: mdbus_bus::Writer,
        tls: Arc<rustls::ClientConfig>,
    ) -> Result<AccountRunner, String> {
        let decoder = super::account::GeminiAccountDecoder::new(cfg.number);
        let protocol = super::account::GeminiPrivate::new(creds, decoder);
        let stream = super::account::GeminiAccountStream::new(&cfg.ws_url, protocol, writer, tls);
        Ok(AccountRunner::new(&cfg.name, self.id(), cfg.number, Box::new(stream)))
    }

    fn topic(&self, channel: &str, symbol: &str) -> Option<String> {
        session::topic(channel, symbol)
    }

    fn sync_rule(&self) -> SyncRule {
        SyncRule::Unsequenced
    }

    fn snapshots(&self) -> SnapshotSource {
        SnapshotSource::InBand
    }

    fn limits(&self) -> Limits {
        Limits {
            topics_per_connection: session::TOPICS_PER_CONNECTION,
            topics_per_request: session::TOPICS_PER_REQUEST,
            request_spacing: session::REQUEST_SPACING,
        }
    }

    fn subscribe(&self, _id: u64, topics: &[String]) -> String {
        session::subscribe(topics)
    }

    fn resubscribe(&self, topic: &str) -> Vec<String> {
        mdbus_feeder::protocol::unsubscribe_then(session::subscribe(&[topic.to_owned()]))
    }

    fn acks(&self) -> bool {
        false
    }

    fn repeats_trades(&self) -> bool {
        true
    }

    fn decoder(&self) -> Box<dyn FrameDecoder> {
        Box::new(GeminiDecoder::default())
    }

    fn standalone_decoder(&self) -> Box<dyn FrameDecoder> {
        Box::new(GeminiDecoder { seen: Vec::new(), standalone: true })
    }

    fn registry_key(&self) -> &'static str {
        "GEMINI___SPOT"
    }

    fn register_feeds(
        &self,
        registry: &mdbus_sdk::registry::Registry,
    ) -> Result<(), mdbus_sdk::registry::RegistryError> {
        super::rest::register(registry)
    }
}
