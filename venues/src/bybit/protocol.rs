//! Bybit v5 public (spot and linear) as the feeder speaks it: the venue's own topics, books
//! whose snapshot comes in the stream, `{"op":"ping"}` keepalives; the private stream
//! authenticates on `/v5/private` (one unified account for spot and linear).

use std::{sync::Arc, time::Duration};

use mdbus_schemas::VenueId;

use super::session;
use mdbus_feeder::{
    account::AccountRunner,
    book::SyncRule,
    config::AccountEntry,
    protocol::{FrameDecoder, MultiDecoder, Protocol},
    venue::{Limits, SnapshotSource},
};

/// Bybit's protocol on spot (`linear == false`) or linear perpetuals.
#[derive(Debug, Clone, Copy)]
pub struct Bybit {
    /// USDT perpetuals rather than spot.
    pub linear: bool,
}

impl Protocol for Bybit {
    fn name(&self) -> &'static str {
        "bybit"
    }

    fn market(&self) -> &'static str {
        if self.linear { "linear" } else { "spot" }
    }

    fn id(&self) -> VenueId {
        if self.linear { VenueId::BYBIT_LINEAR } else { VenueId::BYBIT_SPOT }
    }

    fn extra_channels(&self) -> &'static str {
        "ticker"
    }

    fn topic(&self, channel: &str, symbol: &str) -> Option<String> {
        session::topic(channel, symbol)
    }

    fn sync_rule(&self) -> SyncRule {
        SyncRule::CountInStream
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

    fn subscribe(&self, id: u64, topics: &[String]) -> String {
        session::subscribe(id, topics)
    }

    fn resubscribe(&self, topic: &str) -> Vec<String> {
        mdbus_feeder::protocol::unsubscribe_then(session::subscribe(0, &[topic.to_owned()]))
    }

    fn keepalive(&self) -> Option<Duration> {
        Some(session::PING_EVERY)
    }

    fn ping(&self) -> Option<String> {
        Some(session::PING.into())
    }

    fn decoder(&self) -> Box<dyn FrameDecoder> {
        Box::new(MultiDecoder(|frame, levels, out| super::market::decode(frame, levels, out).map(|_| ())))
    }

    fn registry_key(&self) -> &'static str {
        if self.linear { "BYBIT___SWAP" } else { "BYBIT___SPOT" }
    }

    fn register_feeds(
        &self,
        registry: &mdbus_sdk::registry::Registry,
    ) -> Result<(), mdbus_sdk::registry::RegistryError> {
        super::rest::register(registry)
    }

    fn account_markets(&self) -> &'static [&'static str] {
        if self.linear { &["linear"] } else { &["spot"] }
    }

    fn account(
        &self,
        cfg: &AccountEntry,
        creds: mdbus_sdk::credentials::Credentials,
        writer: mdbus_bus::Writer,
        tls: Arc<rustls::ClientConfig>,
    ) -> Result<AccountRunner, String> {
        let decoder = super::account::BybitAccountDecoder::new(cfg.number);
        let protocol = super::account::BybitPrivate::new(creds, decoder);
        let stream = super::account::BybitAccountStream::new(&cfg.ws_url, protocol, writer, tls);
        Ok(AccountRunner::new(&cfg.name, self.id(), cfg.number, Box::new(stream)))
    }
}
