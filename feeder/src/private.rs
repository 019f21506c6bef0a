//! A private websocket that logs in on the socket itself (OKX, Bybit, ...): connect, log in,
//! subscribe once the venue accepts the login, keep the line alive, publish what arrives, and
//! log in again on every reconnect. What differs per venue (the login and subscribe requests,
//! the keepalive, the frames) is its [`PrivateProtocol`]; [`PrivateStream`] is the driver they
//! share, an [`AccountDriver`] the feeder's [`AccountRunner`](crate::account::AccountRunner) runs.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use mdbus_bus::Writer;
use mdbus_sdk::error::Error;
use rustls::ClientConfig;
use tungstenite::{Message, WebSocket};

use crate::account::{
    AccountDecodeError, AccountDriver, AccountEvent, AccountStats, AccountStreamError, Handshake, Stream,
    connect_ws_with, is_timeout, publish, socket_err,
};

/// How long the driver waits for the venue's answer to a login.
const LOGIN_WAIT: Duration = Duration::from_secs(5);

/// What a private frame was, besides the records it carried.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Answer {
    /// Account pushes (records appended).
    Data,
    /// The venue accepted the login.
    LoggedIn,
    /// The venue refused the login: the typed error names why.
    Refused(Error),
    /// A subscription acknowledged.
    Subscribed,
    /// The venue asked for an answer (a ping of its own): the frame to send back.
    Reply(String),
    /// A pong, an acknowledgement or a push of a channel the decoder does not read.
    Other,
}

/// What one venue's private websocket differs in.
pub trait PrivateProtocol: Send + std::fmt::Debug {
    /// Headers of the websocket upgrade, for venues that authenticate in the handshake
    /// (Gemini); `now_ms` is the host's time. None by default.
    fn headers(&self, _now_ms: u64) -> Vec<(String, String)> {
        Vec::new()
    }

    /// The typed error of an upgrade the venue refused with HTTP `status` and `body`, where
    /// that means the credentials were refused; `None` (the default) reports it as a socket
    /// error.
    fn handshake_refused(&self, _status: u16, _body: &[u8]) -> Option<Error> {
        None
    }

    /// The frames that log in, sent right after connecting; `now_ms` is the host's time. Empty
    /// when the connection needs no login frame: the driver then subscribes at once.
    fn login(&self, now_ms: u64) -> Vec<String>;
    /// The frames that subscribe to the account's channels, sent once logged in.
    fn subscribe(&self) -> Vec<String>;
    /// The frame that keeps a quiet line open; `now_ms` is the host's time. `None` where the
    /// venue pings and the client only answers ([`Answer::Reply`]).
    fn keepalive(&self, now_ms: u64) -> Option<String>;
    /// How long our side may stay silent before the keepalive goes out (below the venue's cut).
    fn keepalive_every(&self) -> Duration;
    /// Decodes one frame, appending its records to `out`.
    ///
    /// # Errors
    ///
    /// [`AccountDecodeError`] for a frame that cannot be read; nothing is appended then.
    fn decode(&self, frame: &[u8], recv_ns: u64, out: &mut Vec<AccountEvent>) -> Result<Answer, AccountDecodeError>;
}

/// An account's private stream over a websocket that logs in with [`PrivateProtocol`] `P`.
///
/// A refused login is [`AccountStreamError::Venue`] with the venue's authentication error; any
/// error drops the connection, and the next [`PrivateStream::poll`] connects and logs in again.
/// A subscription the venue refuses after the login is not an error of the connection: the
/// venue's answer is read and the stream goes on.
pub struct PrivateStream<P> {
    url: String,
    protocol: P,
    writer: Writer,
    tls: Arc<ClientConfig>,
    read_timeout: Duration,
    ws: Option<WebSocket<Stream>>,
    last_sent: Instant,
    events: Vec<AccountEvent>,
    stats: AccountStats,
}

impl<P: std::fmt::Debug> std::fmt::Debug for PrivateStream<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivateStream")
            .field("url", &mdbus_sdk::redact::url(&self.url))
            .field("protocol", &self.protocol)
            .field("connected", &self.ws.is_some())
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl<P: PrivateProtocol> PrivateStream<P> {
    /// A stream of the private endpoint `url`, speaking `protocol`, publishing into `writer`.
    pub fn new(url: &str, protocol: P, writer: Writer, tls: Arc<ClientConfig>) -> PrivateStream<P> {
        PrivateStream {
            url: url.to_owned(),
            protocol,
            writer,
            tls,
            read_timeout: Duration::from_millis(100),
            ws: None,
            last_sent: Instant::now(),
            events: Vec::new(),
            stats: AccountStats::default(),
        }
    }

    /// Returns the counters.
    pub fn stats(&self) -> AccountStats {
        self.stats
    }

    fn send(&mut self, ws: &mut WebSocket<Stream>, text: String) -> Result<(), AccountStreamError> {
        self.last_sent = Instant::now();
        ws.send(Message::text(text)).map_err(socket_err)
    }

    fn now_ms() -> u64 {
        mdbus_bus::now_ns() / 1_000_000
    }

    /// Connects and logs in, waiting for the venue's answer up to five seconds; then subscribes.
    fn login(&mut self) -> Result<WebSocket<Stream>, AccountStreamError> {
        let headers = self.protocol.headers(Self::now_ms());
        let mut ws = match connect_ws_with(&self.url, &self.tls, self.read_timeout, &headers) {
            Ok(ws) => ws,
            Err(Handshake::Refused { status, body }) => {
                return Err(match self.protocol.handshake_refused(status, &body) {
                    Some(e) => AccountStreamError::Venue(e),
                    None => socket_err(format!("handshake refused: HTTP {status}")),
                });
            }
            Err(Handshake::Failed(e)) => return Err(e),
        };
        self.stats.connects += 1;
        let login = self.protocol.login(Self::now_ms());
        let needs_answer = !login.is_empty();
        for frame in login {
            self.send(&mut ws, frame)?;
        }
        if needs_answer {
            self.await_login(&mut ws)?;
        }
        for frame in self.protocol.subscribe() {
            self.send(&mut ws, frame)?;
        }
        Ok(ws)
    }

    /// Reads until the venue answers the login, up to five seconds.
    fn await_login(&mut self, ws: &mut WebSocket<Stream>) -> Result<(), AccountStreamError> {
        let deadline = Instant::now() + LOGIN_WAIT;
        while Instant::now() < deadline {
            let frame = match ws.read() {
                Ok(Message::Text(t)) => t.as_bytes().to_vec(),
                Ok(Message::Binary(b)) => b.to_vec(),
                Ok(Message::Close(_)) => return Err(socket_err("closed by the venue during the login")),
                Ok(_) => continue,
                Err(e) if is_timeout(&e) => continue,
                Err(e) => return Err(socket_err(e)),
            };
            match self.protocol.decode(&frame, 0, &mut Vec::new()) {
                Ok(Answer::LoggedIn) => return Ok(()),
                Ok(Answer::Refused(e)) => return Err(AccountStreamError::Venue(e)),
                Ok(Answer::Reply(r)) => self.send(ws, r)?,
                _ => {}
            }
        }
        Err(socket_err("no answer to the login"))
    }

    /// Logs in if needed, then reads what arrives within the read timeout and publishes it.
    /// Returns how many records were published.
    ///
    /// # Errors
    ///
    /// [`AccountStreamError`]: a refused login is [`AccountStreamError::Venue`] with an
    /// authentication error; the next call reconnects.
    pub fn poll(&mut self) -> Result<usize, AccountStreamError> {
        let mut ws = match self.ws.take() {
            Some(ws) => ws,
            None => self.login()?,
        };
        let mut published = 0;
        loop {
            let frame = match ws.read() {
                Ok(Message::Text(t)) => t.as_bytes().to_vec(),
                Ok(Message::Binary(b)) => b.to_vec(),
                Ok(Message::Close(_)) => return Err(socket_err("closed by the venue")),
                Ok(_) => continue,
                Err(e) if is_timeout(&e) => {
                    if self.last_sent.elapsed() >= self.protocol.keepalive_every()
                        && let Some(ping) = self.protocol.keepalive(Self::now_ms())
                    {
                        self.send(&mut ws, ping)?;
                        self.stats.keepalives += 1;
                    }
                    self.ws = Some(ws);
                    return Ok(published);
                }
                Err(e) => return Err(socket_err(e)),
            };
            self.stats.frames += 1;
            self.events.clear();
            match self.protocol.decode(&frame, mdbus_bus::now_ns(), &mut self.events) {
                Ok(Answer::Reply(r)) => self.send(&mut ws, r)?,
                Ok(_) => published += publish(&mut self.writer, &self.events, &mut self.stats)?,
                Err(_) => self.stats.decode_errors += 1,
            }
        }
    }
}

impl<P: PrivateProtocol> AccountDriver for PrivateStream<P> {
    fn stats(&self) -> AccountStats {
        self.stats
    }

    fn poll(&mut self) -> Result<usize, AccountStreamError> {
        PrivateStream::poll(self)
    }

    fn disconnect(&mut self) {
        self.ws = None;
    }

    fn writer(&mut self) -> &mut Writer {
        &mut self.writer
    }
}
