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

/// One JSON account push, read field by field with the push's name in every error: what each
/// venue's account decoder reads its pushes with.
///
/// # Examples
///
/// ```
/// use mdbus_feeder::account::Push;
///
/// let v = serde_json::json!({"price": "65000.5", "fee": "", "time": "1700000000000"});
/// let p = Push::new(&v, "order");
/// assert_eq!(p.fixed("price", -2).unwrap(), 6_500_050);
/// assert_eq!(p.fixed("fee", -8).unwrap(), 0);
/// assert_eq!(p.ms("time").0, 1_700_000_000_000_000_000);
/// assert!(p.text("qty").unwrap_err().to_string().contains("order"));
/// assert!(p.fixed("price", 0).is_err());
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Push<'a> {
    value: &'a serde_json::Value,
    event: &'a str,
}

impl<'a> Push<'a> {
    /// The fields of `value`, a push named `event` in errors.
    pub fn new(value: &'a serde_json::Value, event: &'a str) -> Push<'a> {
        Push { value, event }
    }

    fn missing(&self, field: &'static str) -> AccountDecodeError {
        AccountDecodeError::Field { event: self.event.to_owned(), field }
    }

    /// A text field.
    ///
    /// # Errors
    ///
    /// [`AccountDecodeError::Field`] when it is absent or not text.
    pub fn text(&self, field: &'static str) -> Result<&'a str, AccountDecodeError> {
        self.value.get(field).and_then(serde_json::Value::as_str).ok_or_else(|| self.missing(field))
    }

    /// A text field, empty when absent.
    pub fn text_or_empty(&self, field: &str) -> &'a str {
        self.value.get(field).and_then(serde_json::Value::as_str).unwrap_or("")
    }

    /// A decimal text field as a mantissa of exponent `exp`; empty text is 0.
    ///
    /// # Errors
    ///
    /// [`AccountDecodeError::Field`] when it is absent or not a decimal,
    /// [`AccountDecodeError::Precision`] when it does not fit `exp` exactly.
    pub fn fixed(&self, field: &'static str, exp: i8) -> Result<i64, AccountDecodeError> {
        let text = self.text(field)?;
        if text.is_empty() {
            return Ok(0);
        }
        let d: mdbus_schemas::Decimal = text.parse().map_err(|_| self.missing(field))?;
        d.to_fixed(exp).map_err(|_| AccountDecodeError::Precision {
            event: self.event.to_owned(),
            field,
            value: text.to_owned(),
            exp,
        })
    }

    /// A time in milliseconds (text or number) as nanoseconds; 0 when absent.
    pub fn ms(&self, field: &str) -> mdbus_schemas::Nanos {
        let v = self.value.get(field);
        let ms = v.and_then(serde_json::Value::as_u64).or_else(|| v?.as_str()?.parse().ok()).unwrap_or(0);
        mdbus_schemas::Nanos(ms.saturating_mul(1_000_000))
    }
}

/// Each instrument's exponents and id, by the venue's symbol, for an account decoder;
/// instruments not added use exponents −8 and id 0.
///
/// # Examples
///
/// ```
/// use mdbus_feeder::account::{InstrumentScale, Scales};
/// use mdbus_schemas::InstrumentId;
///
/// let mut s = Scales::default();
/// s.insert("BTCUSDT", InstrumentScale { id: InstrumentId(1), price_exp: -2, qty_exp: -5 });
/// assert_eq!(s.get("BTCUSDT").price_exp, -2);
/// assert_eq!(s.get("ETHUSDT").id, InstrumentId(0));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Scales(std::collections::HashMap<String, InstrumentScale>);

impl Scales {
    /// Adds (or replaces) `symbol`'s exponents and id.
    pub fn insert(&mut self, symbol: &str, scale: InstrumentScale) {
        self.0.insert(symbol.to_owned(), scale);
    }

    /// `symbol`'s exponents and id, or exponents −8 and id 0 for one not added.
    pub fn get(&self, symbol: &str) -> InstrumentScale {
        self.0.get(symbol).copied().unwrap_or(InstrumentScale { id: InstrumentId(0), price_exp: -8, qty_exp: -8 })
    }
}

/// The header of an account record: its kind, venue and instrument, the venue's sequence and
/// time, and when it was received.
pub fn event_header(
    kind: mdbus_schemas::Kind,
    venue: mdbus_schemas::VenueId,
    instrument: InstrumentId,
    seq: u64,
    ts: mdbus_schemas::Nanos,
    recv_ns: u64,
) -> mdbus_schemas::Header {
    let mut h = mdbus_schemas::Header::new(kind);
    h.venue = venue;
    h.instrument = instrument;
    h.venue_seq = seq;
    h.venue_ts = ts;
    h.recv_ts = mdbus_schemas::Nanos(recv_ns);
    h
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
    /// Polls that failed (connection, login, keep-alive); each is retried after a backoff.
    pub failures: u64,
    /// Of those, the venue refusing the credentials or the signature.
    pub auth_failures: u64,
}

/// A socket error, its text cleared of credentials.
pub fn socket_err(e: impl std::fmt::Display) -> AccountStreamError {
    AccountStreamError::Socket(mdbus_sdk::redact::text(&e.to_string()))
}

/// Opens a blocking websocket (ws or wss) with a read timeout.
pub fn connect_ws(
    url: &str,
    tls: &Arc<ClientConfig>,
    read_timeout: Duration,
) -> Result<WebSocket<Stream>, AccountStreamError> {
    connect_ws_with(url, tls, read_timeout, &[]).map_err(|e| match e {
        Handshake::Refused { status, .. } => socket_err(format!("handshake refused: HTTP {status}")),
        Handshake::Failed(e) => e,
    })
}

/// Why a websocket with headers of its own could not be opened.
#[derive(Debug)]
#[non_exhaustive]
pub enum Handshake {
    /// The server answered the upgrade with an HTTP error (a venue refusing the credentials
    /// in the headers): its status and body.
    Refused {
        /// The HTTP status.
        status: u16,
        /// The response body.
        body: Vec<u8>,
    },
    /// The connection, TLS or the handshake failed otherwise.
    Failed(AccountStreamError),
}

/// As [`connect_ws`], with `headers` added to the upgrade request (venues that authenticate
/// in the handshake).
///
/// # Errors
///
/// [`Handshake::Refused`] with the server's status and body, or [`Handshake::Failed`].
pub fn connect_ws_with(
    url: &str,
    tls: &Arc<ClientConfig>,
    read_timeout: Duration,
    headers: &[(String, String)],
) -> Result<WebSocket<Stream>, Handshake> {
    use tungstenite::client::IntoClientRequest;
    let mut request = url.into_client_request().map_err(|e| Handshake::Failed(socket_err(e)))?;
    for (k, v) in headers {
        let name =
            tungstenite::http::HeaderName::from_bytes(k.as_bytes()).map_err(|e| Handshake::Failed(socket_err(e)))?;
        let value = tungstenite::http::HeaderValue::from_str(v).map_err(|e| Handshake::Failed(socket_err(e)))?;
        request.headers_mut().insert(name, value);
    }
    let stream = open_stream(url, tls, read_timeout).map_err(Handshake::Failed)?;
    match tungstenite::client::client_with_config(request, stream, None) {
        Ok((ws, _)) => Ok(ws),
        Err(tungstenite::HandshakeError::Failure(tungstenite::Error::Http(response))) => Err(Handshake::Refused {
            status: response.status().as_u16(),
            body: response.body().clone().unwrap_or_default(),
        }),
        Err(e) => Err(Handshake::Failed(socket_err(e))),
    }
}

/// The TCP (and TLS) stream under a websocket to `url`.
fn open_stream(url: &str, tls: &Arc<ClientConfig>, read_timeout: Duration) -> Result<Stream, AccountStreamError> {
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
    Ok(if ep.tls {
        let name = ServerName::try_from(ep.host.clone()).map_err(socket_err)?;
        let conn = ClientConnection::new(tls.clone(), name).map_err(socket_err)?;
        Stream::Tls(Box::new(StreamOwned::new(conn, sock)))
    } else {
        Stream::Plain(sock)
    })
}

/// Whether a websocket read ended on its read timeout (nothing arrived), not on an error.
pub fn is_timeout(e: &tungstenite::Error) -> bool {
    matches!(e, tungstenite::Error::Io(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut))
}

/// Publishes `events` into the account ring, counting them in `stats`; returns how many
/// records were written (a listen key's expiry is an event, not a record).
///
/// # Errors
///
/// The ring's error when a record cannot be written.
pub fn publish(
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

/// What every venue's private stream does for the feeder: read what arrives and publish it,
/// drop its connection after an error, count what it did, and hand over its ring for markers.
/// [`AccountRunner`] drives it: the loop, the backoff, the logs and the markers are the same
/// for every venue.
pub trait AccountDriver: Send + std::fmt::Debug {
    /// Returns the counters.
    fn stats(&self) -> AccountStats;
    /// (Re)connects if needed, then reads what arrives within its read timeout and publishes
    /// it; returns how many records it published.
    ///
    /// # Errors
    ///
    /// [`AccountStreamError`]; the runner then drops the connection and tries again.
    fn poll(&mut self) -> Result<usize, AccountStreamError>;
    /// Drops the connection (after an error); the next poll opens a new one.
    fn disconnect(&mut self);
    /// The account's ring.
    fn writer(&mut self) -> &mut Writer;
}

/// A configured account's private stream, whichever the venue, with the account's name: it
/// polls until told to stop, backs off after errors, logs each run of failures once (with its
/// reason, then how many more there were), counts failures and refused logins, and publishes a
/// `connect_failed` or `auth_failed` marker into the account's ring once per run of failures.
#[derive(Debug)]
pub struct AccountRunner {
    name: String,
    venue: mdbus_schemas::VenueId,
    account: u32,
    stream: Box<dyn AccountDriver>,
    failures: u64,
    auth_failures: u64,
    /// Where the account's name and counters go once a second, if anyone listens.
    reports: Option<crossbeam_channel::Sender<(String, AccountStats)>>,
}

impl AccountRunner {
    /// The stream `stream` of account `name` (number `account` on `venue`).
    pub fn new(
        name: &str,
        venue: mdbus_schemas::VenueId,
        account: u32,
        stream: Box<dyn AccountDriver>,
    ) -> AccountRunner {
        AccountRunner { name: name.to_owned(), venue, account, stream, failures: 0, auth_failures: 0, reports: None }
    }

    /// Sends the account's name and counters to `to` once a second while it runs (never
    /// waiting: a report the channel has no room for is dropped).
    pub fn set_reports(&mut self, to: crossbeam_channel::Sender<(String, AccountStats)>) {
        self.reports = Some(to);
    }

    fn report(&self) {
        if let Some(to) = &self.reports {
            let _ = to.try_send((self.name.clone(), self.stats()));
        }
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
        AccountStats { failures: self.failures, auth_failures: self.auth_failures, ..self.stream.stats() }
    }

    fn marker(&mut self, code: mdbus_schemas::MarkerCode) {
        let now = mdbus_schemas::Nanos(mdbus_bus::now_ns());
        let m = mdbus_schemas::Marker {
            header: mdbus_schemas::Header {
                kind: mdbus_schemas::Kind::MARKER,
                venue: self.venue,
                recv_ts: now,
                ..mdbus_schemas::Header::default()
            },
            code,
            _pad: [0; 6],
            detail: u64::from(self.account),
        };
        let _ = self.stream.writer().publish(&m);
    }

    /// Runs the stream until `stop` is set.
    pub fn run(&mut self, stop: &AtomicBool) {
        let mut backoff = Duration::from_millis(100);
        // Failures since the last success, and since the last log line about them.
        let (mut run, mut unlogged) = (0u64, 0u64);
        let mut last_log = std::time::Instant::now();
        let mut last_report = std::time::Instant::now();
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            if last_report.elapsed() >= Duration::from_secs(1) {
                last_report = std::time::Instant::now();
                self.report();
            }
            match self.stream.poll() {
                Ok(_) => {
                    if run > 0 {
                        tracing::info!(account = %self.name, failures = run, "account stream up again");
                    }
                    run = 0;
                    backoff = Duration::from_millis(100);
                }
                Err(e) => {
                    self.stream.disconnect();
                    self.failures += 1;
                    let auth = matches!(e, AccountStreamError::Venue(Error::Authentication { .. }));
                    if auth {
                        self.auth_failures += 1;
                    }
                    if run == 0 {
                        self.marker(if auth {
                            mdbus_schemas::MarkerCode::AUTH_FAILED
                        } else {
                            mdbus_schemas::MarkerCode::CONNECT_FAILED
                        });
                        tracing::warn!(account = %self.name, auth_refused = auth, error = %e, "account stream failed");
                        last_log = std::time::Instant::now();
                    } else {
                        unlogged += 1;
                        if last_log.elapsed() >= Duration::from_secs(60) {
                            tracing::warn!(account = %self.name, more = unlogged, error = %e, "account stream still failing");
                            unlogged = 0;
                            last_log = std::time::Instant::now();
                        }
                    }
                    run += 1;
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
            }
        }
        self.report();
    }
}
