//! Accounts' private streams: what every venue's stream shares (the blocking websocket, the
//! events and their publishing into the account's ring, `<account>.account`, so a strategy
//! sees its own order events on the bus next to the market) and the [`AccountDriver`] each
//! venue's stream implements (in the venue's folder).
//!
//! A stream runs on a thread of its own, blocking with a short read timeout: these events are rare
//! and must not share the market data's busy-polled core.

use std::{
    io,
    net::{TcpStream, ToSocketAddrs},
    sync::{Arc, atomic::AtomicBool},
    time::Duration,
};

use mdbus_bus::Writer;
use mdbus_schemas::{Balance, Fill, InstrumentId, Order, Position};
use mdbus_sdk::{error::Error, url::Endpoint};
use rustls::{ClientConfig, ClientConnection, StreamOwned, pki_types::ServerName};
use tungstenite::WebSocket;

/// One decoded account event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AccountEvent {
    /// An order's new state.
    Order(Order),
    /// An execution.
    Fill(Fill),
    /// An asset's balance.
    Balance(Balance),
    /// A position.
    Position(Position),
    /// The venue says the listen key expired: create a new one and reconnect.
    ListenKeyExpired,
}

/// Why an account event could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AccountDecodeError {
    /// Not JSON, or not an object.
    #[error("not a JSON object: {0}")]
    Json(String),
    /// A field is missing or has the wrong type.
    #[error("{event}: field {field:?} missing or malformed")]
    Field {
        /// The event type.
        event: String,
        /// The field.
        field: &'static str,
    },
    /// A value does not fit the instrument's exponent exactly.
    #[error("{event}: {field:?} value {value} does not fit exponent {exp}")]
    Precision {
        /// The event type.
        event: String,
        /// The field.
        field: &'static str,
        /// The value.
        value: String,
        /// The exponent.
        exp: i8,
    },
}

/// Exponents and id of one instrument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InstrumentScale {
    /// Instrument id written into record headers.
    pub id: InstrumentId,
    /// Price exponent.
    pub price_exp: i8,
    /// Quantity exponent.
    pub qty_exp: i8,
}

/// The blocking byte stream under a private websocket.
#[derive(Debug)]
pub enum Stream {
    /// Plain TCP.
    Plain(TcpStream),
    /// TLS over TCP.
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

impl io::Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl io::Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}

/// Errors of the account stream.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AccountStreamError {
    /// The venue refused a REST call (listen key creation or keep-alive).
    #[error("listen key: {0}")]
    Venue(#[from] Error),
    /// The websocket could not be opened or broke.
    #[error("user-data websocket: {0}")]
    Socket(String),
    /// A record could not be published.
    #[error("publish: {0}")]
    Publish(#[from] mdbus_bus::PublishError),
}

/// Counters of an account stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AccountStats {
    /// Listen keys created.
    pub keys_created: u64,
    /// Keep-alives sent.
    pub keepalives: u64,
    /// Websocket connections opened.
    pub connects: u64,
    /// Frames received.
    pub frames: u64,
    /// Records published.
    pub published: u64,
    /// Frames that failed to decode (skipped, counted).
    pub decode_errors: u64,
}

pub(crate) fn socket_err(e: impl std::fmt::Display) -> AccountStreamError {
    AccountStreamError::Socket(mdbus_sdk::redact::text(&e.to_string()))
}

/// Opens a blocking websocket (ws or wss) with a read timeout.
pub(crate) fn connect_ws(
    url: &str,
    tls: &Arc<ClientConfig>,
    read_timeout: Duration,
) -> Result<WebSocket<Stream>, AccountStreamError> {
    let ep =
        Endpoint::parse(url).ok_or_else(|| socket_err(format!("bad websocket url {}", mdbus_sdk::redact::url(url))))?;
    let addr = (ep.host.as_str(), ep.port)
        .to_socket_addrs()
        .map_err(socket_err)?
        .next()
        .ok_or_else(|| socket_err(format!("cannot resolve {}", ep.host)))?;
    let sock = TcpStream::connect_timeout(&addr, Duration::from_secs(10)).map_err(socket_err)?;
    sock.set_nodelay(true).map_err(socket_err)?;
    sock.set_read_timeout(Some(read_timeout)).map_err(socket_err)?;
    let stream = if ep.tls {
        let name = ServerName::try_from(ep.host.clone()).map_err(socket_err)?;
        let conn = ClientConnection::new(tls.clone(), name).map_err(socket_err)?;
        Stream::Tls(Box::new(StreamOwned::new(conn, sock)))
    } else {
        Stream::Plain(sock)
    };
    let (ws, _) = tungstenite::client::client_with_config(url, stream, None).map_err(socket_err)?;
    Ok(ws)
}

pub(crate) fn is_timeout(e: &tungstenite::Error) -> bool {
    matches!(e, tungstenite::Error::Io(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut))
}

pub(crate) fn publish(
    writer: &mut Writer,
    events: &[AccountEvent],
    stats: &mut AccountStats,
) -> Result<usize, AccountStreamError> {
    let mut n = 0;
    for e in events {
        match e {
            AccountEvent::Order(r) => writer.publish(r)?,
            AccountEvent::Fill(r) => writer.publish(r)?,
            AccountEvent::Balance(r) => writer.publish(r)?,
            AccountEvent::Position(r) => writer.publish(r)?,
            AccountEvent::ListenKeyExpired => continue,
        };
        n += 1;
        stats.published += 1;
    }
    Ok(n)
}

/// What every venue's private stream does for the feeder: run on its own thread until told
/// to stop, and count what it did.
pub trait AccountDriver: Send + std::fmt::Debug {
    /// Returns the counters.
    fn stats(&self) -> AccountStats;
    /// Runs the stream until `stop` is set, reconnecting after errors.
    fn run(&mut self, stop: &AtomicBool);
}

/// A configured account's private stream, whichever the venue, with the account's name.
#[derive(Debug)]
pub struct AccountRunner {
    name: String,
    stream: Box<dyn AccountDriver>,
}

impl AccountRunner {
    /// The stream `stream` of the account `name`.
    pub fn new(name: &str, stream: Box<dyn AccountDriver>) -> AccountRunner {
        AccountRunner { name: name.to_owned(), stream }
    }

    /// Attaches the account's name.
    pub fn named(mut self, name: &str) -> AccountRunner {
        name.clone_into(&mut self.name);
        self
    }

    /// Returns the account's name (empty if unnamed).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Returns the counters.
    pub fn stats(&self) -> AccountStats {
        self.stream.stats()
    }

    /// Runs the stream until `stop` is set.
    pub fn run(&mut self, stop: &AtomicBool) {
        self.stream.run(stop);
    }
}
