//! HTX spot as the feeder speaks it: gzip-compressed binary frames, one topic per `sub`, server
//! pings answered with `pong`, and the MBP snapshot asked for with `req` on the same
//! connection; the private stream logs in on `/ws/v2` with a signed `auth`.

use std::sync::Arc;

use mdbus_schemas::VenueId;

use super::{gunzip::Gunzip, market, session};
use mdbus_feeder::{
    account::AccountRunner,
    book::SyncRule,
    config::AccountEntry,
    decode::Levels,
    protocol::{FrameDecoder, Protocol},
    venue::{FrameError, Limits, Reply, SnapshotSource},
};

/// HTX's protocol.
#[derive(Debug, Clone, Copy)]
pub struct Htx;

/// HTX frames: gzip in binary messages, inflated into a reused buffer.
#[derive(Debug, Default)]
struct HtxDecoder {
    gunzip: Gunzip,
}

impl FrameDecoder for HtxDecoder {
    fn decode(
        &mut self,
        frame: &[u8],
        binary: bool,
        levels: &mut Levels,
        out: &mut dyn FnMut(mdbus_feeder::decode::Message<'_>, &Levels),
    ) -> Result<Reply, FrameError> {
        let text = if binary { self.gunzip.gunzip(frame)? } else { frame };
        match market::decode(text, levels, out)? {
            market::Control::Ping(ts) => Ok(Reply::Pong(ts)),
            _ => Ok(Reply::None),
        }
    }
}

impl Protocol for Htx {
    fn name(&self) -> &'static str {
        "htx"
    }

    fn market(&self) -> &'static str {
        "spot"
    }

    fn id(&self) -> VenueId {
        VenueId::HTX
    }

    fn extra_channels(&self) -> &'static str {
        "ticker"
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
        let decoder = super::account::HtxAccountDecoder::new(cfg.number);
        let protocol = super::account::HtxPrivate::new(&cfg.ws_url, creds, decoder)?;
        let stream = super::account::HtxAccountStream::new(&cfg.ws_url, protocol, writer, tls);
        Ok(AccountRunner::new(&cfg.name, self.id(), cfg.number, Box::new(stream)))
    }

    fn topic(&self, channel: &str, symbol: &str) -> Option<String> {
        session::topic(channel, symbol)
    }

    fn sync_rule(&self) -> SyncRule {
        SyncRule::PrevAfterRequest
    }

    fn snapshots(&self) -> SnapshotSource {
        SnapshotSource::Request
    }

    fn limits(&self) -> Limits {
        Limits {
            topics_per_connection: session::TOPICS_PER_CONNECTION,
            topics_per_request: session::TOPICS_PER_REQUEST,
            request_spacing: session::REQUEST_SPACING,
        }
    }

    fn subscribe(&self, id: u64, topics: &[String]) -> String {
        session::subscribe(id, topics)
    }

    fn pong(&self, ts: u64) -> Option<String> {
        Some(session::pong(ts))
    }

    fn binary_frames(&self) -> bool {
        true
    }

    fn snapshot_request(&self, symbol: &str) -> Option<String> {
        Some(session::snapshot_request(symbol))
    }

    fn decoder(&self) -> Box<dyn FrameDecoder> {
        Box::new(HtxDecoder::default())
    }

    fn registry_key(&self) -> &'static str {
        "HTX___SPOT"
    }

    fn register_feeds(
        &self,
        registry: &mdbus_sdk::registry::Registry,
    ) -> Result<(), mdbus_sdk::registry::RegistryError> {
        super::rest::register(registry)
    }
}
