//! A Binance account's private stream: creates the user-data listen key through the order
//! client, keeps it alive on schedule (every 30 minutes by default; Binance expires keys after
//! 60), holds the websocket to `<ws_url>/<listenKey>`, decodes order, fill, balance and
//! position events, and publishes them into the account's ring (`<account>.account`), so a
//! strategy sees its own order events on the bus next to the market.
//!
//! It runs on a thread of its own, blocking with a short read timeout: these events are rare
//! and must not share the market data's busy-polled core.

use std::{
    io,
    net::{TcpStream, ToSocketAddrs},
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use mdbus_bus::Writer;
use mdbus_sdk::{
    clock::{Clock, SystemClock},
    error::{Error, ErrorCode},
    order::binance::BinanceClient,
    url::Endpoint,
};
use rustls::{ClientConfig, ClientConnection, StreamOwned, pki_types::ServerName};
use tungstenite::{Message, WebSocket};

use crate::venues::binance::account::{AccountDecoder, AccountEvent};

/// The blocking byte stream under the user-data websocket.
#[derive(Debug)]
enum Stream {
    Plain(TcpStream),
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

/// Settings of an account stream.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AccountStreamConfig {
    /// Websocket base, e.g. `wss://stream.binance.com:9443/ws`; the listen key is appended.
    pub ws_url: String,
    /// Keep-alive period. Default 30 minutes.
    pub keepalive_every: Duration,
    /// Websocket read timeout (how often the schedule is checked). Default 100 ms.
    pub read_timeout: Duration,
}

impl AccountStreamConfig {
    /// Settings for the websocket base `ws_url`, with the defaults above.
    pub fn new(ws_url: &str) -> AccountStreamConfig {
        AccountStreamConfig {
            ws_url: ws_url.trim_end_matches('/').to_owned(),
            keepalive_every: Duration::from_secs(30 * 60),
            read_timeout: Duration::from_millis(100),
        }
    }
}

/// One account's private stream.
pub struct AccountStream<C: Clock = SystemClock> {
    cfg: AccountStreamConfig,
    client: BinanceClient,
    decoder: AccountDecoder,
    writer: Writer,
    tls: Arc<ClientConfig>,
    clock: C,
    listen_key: Option<String>,
    last_keepalive_ns: u64,
    ws: Option<WebSocket<Stream>>,
    events: Vec<AccountEvent>,
    stats: AccountStats,
}

impl<C: Clock> std::fmt::Debug for AccountStream<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountStream")
            .field("cfg", &self.cfg)
            .field("connected", &self.ws.is_some())
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

fn socket_err(e: impl std::fmt::Display) -> AccountStreamError {
    AccountStreamError::Socket(mdbus_sdk::redact::text(&e.to_string()))
}

impl<C: Clock> AccountStream<C> {
    /// Returns a stream that manages its listen key through `client`, decodes with `decoder`
    /// and publishes into `writer` (a ring with 192-byte slots, e.g. kind `ORDER`), keeping
    /// its schedule on `clock`.
    pub fn new(
        cfg: AccountStreamConfig,
        client: BinanceClient,
        decoder: AccountDecoder,
        writer: Writer,
        tls: Arc<ClientConfig>,
        clock: C,
    ) -> AccountStream<C> {
        AccountStream {
            cfg,
            client,
            decoder,
            writer,
            tls,
            clock,
            listen_key: None,
            last_keepalive_ns: 0,
            ws: None,
            events: Vec::new(),
            stats: AccountStats::default(),
        }
    }

    /// Returns the counters.
    pub fn stats(&self) -> AccountStats {
        self.stats
    }

    /// Returns the current listen key, if any.
    pub fn listen_key(&self) -> Option<&str> {
        self.listen_key.as_deref()
    }

    /// Creates the listen key if there is none and keeps it alive when due. A key the venue
    /// no longer knows is replaced (and the websocket reopened).
    ///
    /// # Errors
    ///
    /// [`AccountStreamError::Venue`] when the venue refuses.
    pub fn maintain(&mut self) -> Result<(), AccountStreamError> {
        let now = self.clock.now_ns();
        match &self.listen_key {
            None => {
                self.listen_key = Some(self.client.create_listen_key()?);
                self.stats.keys_created += 1;
                self.last_keepalive_ns = now;
                self.ws = None;
            }
            Some(key) if now.saturating_sub(self.last_keepalive_ns) >= self.cfg.keepalive_every.as_nanos() as u64 => {
                let key = key.clone();
                match self.client.keep_alive_listen_key(&key) {
                    Ok(()) => {
                        self.stats.keepalives += 1;
                        self.last_keepalive_ns = now;
                    }
                    Err(Error::Authentication { code: ErrorCode::SessionExpired, .. }) => {
                        self.listen_key = None;
                        self.ws = None;
                        return self.maintain();
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            Some(_) => {}
        }
        Ok(())
    }

    fn connect(&mut self, key: &str) -> Result<WebSocket<Stream>, AccountStreamError> {
        let url = format!("{}/{key}", self.cfg.ws_url);
        let ep = Endpoint::parse(&url).ok_or_else(|| socket_err(format!("bad websocket url {}", self.cfg.ws_url)))?;
        let addr = (ep.host.as_str(), ep.port)
            .to_socket_addrs()
            .map_err(socket_err)?
            .next()
            .ok_or_else(|| socket_err(format!("cannot resolve {}", ep.host)))?;
        let sock = TcpStream::connect_timeout(&addr, Duration::from_secs(10)).map_err(socket_err)?;
        sock.set_nodelay(true).map_err(socket_err)?;
        sock.set_read_timeout(Some(self.cfg.read_timeout)).map_err(socket_err)?;
        let stream = if ep.tls {
            let name = ServerName::try_from(ep.host.clone()).map_err(socket_err)?;
            let conn = ClientConnection::new(self.tls.clone(), name).map_err(socket_err)?;
            Stream::Tls(Box::new(StreamOwned::new(conn, sock)))
        } else {
            Stream::Plain(sock)
        };
        let (ws, _) = tungstenite::client::client_with_config(url.as_str(), stream, None).map_err(socket_err)?;
        self.stats.connects += 1;
        Ok(ws)
    }

    /// Keeps the key alive when due, (re)connects if needed, then reads what arrives within
    /// the read timeout, publishing every decoded record. Returns how many were published.
    ///
    /// # Errors
    ///
    /// [`AccountStreamError`]; the websocket is dropped and the next call reconnects.
    pub fn poll(&mut self) -> Result<usize, AccountStreamError> {
        self.maintain()?;
        let Some(key) = self.listen_key.clone() else { return Ok(0) };
        let mut ws = match self.ws.take() {
            Some(ws) => ws,
            None => self.connect(&key)?,
        };
        let mut published = 0;
        loop {
            match ws.read() {
                Ok(Message::Text(t)) => {
                    self.stats.frames += 1;
                    self.events.clear();
                    let recv = mdbus_bus::now_ns();
                    match self.decoder.decode(t.as_bytes(), recv, &mut self.events) {
                        Ok(_) => {}
                        Err(_) => {
                            self.stats.decode_errors += 1;
                            continue;
                        }
                    }
                    for i in 0..self.events.len() {
                        match self.events[i] {
                            AccountEvent::Order(r) => self.writer.publish(&r)?,
                            AccountEvent::Fill(r) => self.writer.publish(&r)?,
                            AccountEvent::Balance(r) => self.writer.publish(&r)?,
                            AccountEvent::Position(r) => self.writer.publish(&r)?,
                            AccountEvent::ListenKeyExpired => {
                                self.listen_key = None;
                                return Ok(published);
                            }
                        };
                        published += 1;
                        self.stats.published += 1;
                    }
                }
                Ok(Message::Close(_)) => return Err(socket_err("closed by the venue")),
                Ok(_) => {}
                Err(tungstenite::Error::Io(e))
                    if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) =>
                {
                    self.ws = Some(ws);
                    return Ok(published);
                }
                Err(e) => return Err(socket_err(e)),
            }
        }
    }

    /// Polls until `stop` is set, reconnecting with backoff after errors.
    pub fn run(&mut self, stop: &AtomicBool) {
        let mut backoff = Duration::from_millis(100);
        while !stop.load(Ordering::Relaxed) {
            match self.poll() {
                Ok(_) => backoff = Duration::from_millis(100),
                Err(_) => {
                    self.ws = None;
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
            }
        }
    }
}
