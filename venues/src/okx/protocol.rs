//! OKX v5 public as the feeder speaks it: `channel:instId` topics, books whose snapshot comes in
//! the stream (resubscribe after a gap), text `ping` keepalives; the private stream logs in on
//! the websocket.

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

/// OKX's protocol.
#[derive(Debug, Clone, Copy)]
pub struct Okx;

impl Protocol for Okx {
    fn name(&self) -> &'static str {
        "okx"
    }

    fn market(&self) -> &'static str {
        "spot"
    }

    fn id(&self) -> VenueId {
        VenueId::OKX
    }

    fn extra_channels(&self) -> &'static str {
        "ticker, depth5"
    }

    fn topic(&self, channel: &str, symbol: &str) -> Option<String> {
        session::topic(channel, symbol)
    }

    fn sync_rule(&self) -> SyncRule {
        SyncRule::PrevInStream
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
        Some("ping".into())
    }

    fn decoder(&self) -> Box<dyn FrameDecoder> {
        Box::new(MultiDecoder(|frame, levels, out| super::market::decode(frame, levels, out).map(|_| ())))
    }

    fn registry_key(&self) -> &'static str {
        "OKX___SPOT"
    }

    fn register_feeds(
        &self,
        registry: &mdbus_sdk::registry::Registry,
    ) -> Result<(), mdbus_sdk::registry::RegistryError> {
        super::rest::register(registry)
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
        let decoder = super::account::OkxAccountDecoder::new(cfg.number);
        let protocol = super::stream::OkxPrivate::new(creds, decoder);
        let stream = super::stream::OkxAccountStream::new(&cfg.ws_url, protocol, writer, tls);
        Ok(AccountRunner::new(&cfg.name, self.id(), cfg.number, Box::new(stream)))
    }
}
