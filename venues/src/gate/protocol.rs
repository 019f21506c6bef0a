//! Gate.io v4 spot as the feeder speaks it: one channel and payload per request, `spot.ping`
//! keepalives, and two ways to keep books: `depth` (`spot.order_book_update` against a REST
//! snapshot) or `obu50`/`obu400` (`spot.obu`, its full book in the stream).

use std::{sync::Arc, time::Duration};

use mdbus_schemas::VenueId;

use super::session;
use mdbus_feeder::{
    account::AccountRunner,
    book::SyncRule,
    config::AccountEntry,
    decode::{DecodeError, Levels},
    protocol::{FrameDecoder, Protocol, TextDecoder},
    venue::{BookChannel, Limits, SnapshotSource},
};

/// Gate.io's protocol.
#[derive(Debug, Clone, Copy)]
pub struct Gate;

fn now_s() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl Protocol for Gate {
    fn name(&self) -> &'static str {
        "gateio"
    }

    fn market(&self) -> &'static str {
        "spot"
    }

    fn id(&self) -> VenueId {
        VenueId::GATEIO
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
        let decoder = super::account::GateAccountDecoder::new(cfg.number);
        let protocol = super::account::GatePrivate::new(creds, decoder);
        let stream = super::account::GateAccountStream::new(&cfg.ws_url, protocol, writer, tls);
        Ok(AccountRunner::new(&cfg.name, self.id(), cfg.number, Box::new(stream)))
    }

    fn extra_channels(&self) -> &'static str {
        "depth5/10/20, obu50, obu400"
    }

    fn topic(&self, channel: &str, symbol: &str) -> Option<String> {
        session::topic(channel, symbol)
    }

    fn sync_rule(&self) -> SyncRule {
        SyncRule::RangeAfterRest
    }

    fn snapshots(&self) -> SnapshotSource {
        SnapshotSource::Rest
    }

    fn book_channel(&self, channel: &str) -> Option<BookChannel> {
        let (channel, rule, snapshots) = match channel {
            "depth" => ("depth", SyncRule::RangeAfterRest, SnapshotSource::Rest),
            "obu50" => ("obu50", SyncRule::RangeInStream, SnapshotSource::InBand),
            "obu400" => ("obu400", SyncRule::RangeInStream, SnapshotSource::InBand),
            _ => return None,
        };
        Some(BookChannel { channel, rule, snapshots })
    }

    fn limits(&self) -> Limits {
        Limits {
            topics_per_connection: session::TOPICS_PER_CONNECTION,
            topics_per_request: session::TOPICS_PER_REQUEST,
            request_spacing: session::REQUEST_SPACING,
        }
    }

    fn subscribe(&self, id: u64, topics: &[String]) -> String {
        session::subscribe(id, now_s(), topics)
    }

    /// Only `spot.obu` sends its book again after a new subscribe.
    fn resubscribe(&self, topic: &str) -> Vec<String> {
        if !topic.starts_with("spot.obu|") {
            return Vec::new();
        }
        mdbus_feeder::protocol::unsubscribe_then(session::subscribe(0, now_s(), &[topic.to_owned()]))
    }

    fn keepalive(&self) -> Option<Duration> {
        Some(session::PING_EVERY)
    }

    fn ping(&self) -> Option<String> {
        Some(session::ping(now_s()))
    }

    fn snapshot_max_depth(&self) -> Option<u32> {
        Some(session::SNAPSHOT_MAX_DEPTH)
    }

    fn snapshot_path_depth(&self, symbol: &str, depth: u32) -> Option<String> {
        Some(session::snapshot_path(symbol, depth))
    }

    fn rest_snapshot_at(&self, body: &[u8], levels: &mut Levels) -> Result<(u64, Option<u64>), DecodeError> {
        super::market::rest_snapshot(body, levels).map(|id| (id, None))
    }

    fn decoder(&self) -> Box<dyn FrameDecoder> {
        Box::new(TextDecoder(super::market::decode))
    }

    fn registry_key(&self) -> &'static str {
        "GATEIO___SPOT"
    }

    fn register_feeds(
        &self,
        registry: &mdbus_sdk::registry::Registry,
    ) -> Result<(), mdbus_sdk::registry::RegistryError> {
        super::rest::register(registry)
    }
}
