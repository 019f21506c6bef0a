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

/// Opens a blocking websocket (ws or wss) with a read timeout.
fn connect_ws(
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

fn is_timeout(e: &tungstenite::Error) -> bool {
    matches!(e, tungstenite::Error::Io(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut))
}

fn publish(
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
        let ws = connect_ws(&format!("{}/{key}", self.cfg.ws_url), &self.tls, self.cfg.read_timeout)?;
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
                    if self.events.contains(&AccountEvent::ListenKeyExpired) {
                        self.listen_key = None;
                        return Ok(published);
                    }
                    published += publish(&mut self.writer, &self.events, &mut self.stats)?;
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

/// An OKX account's private stream: logs in on `wss://ws.okx.com:8443/ws/v5/private` with the
/// websocket signature, subscribes to `orders`, `account` and `positions`, sends OKX's text
/// `ping` when the line is quiet, and publishes what arrives into the account's ring.
pub struct OkxAccountStream {
    url: String,
    creds: mdbus_sdk::credentials::Credentials,
    signer: mdbus_sdk::signing::OkxSigner,
    decoder: crate::venues::okx::account::OkxAccountDecoder,
    writer: Writer,
    tls: Arc<ClientConfig>,
    read_timeout: Duration,
    ws: Option<WebSocket<Stream>>,
    last_sent: std::time::Instant,
    events: Vec<AccountEvent>,
    stats: AccountStats,
}

impl std::fmt::Debug for OkxAccountStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OkxAccountStream")
            .field("url", &self.url)
            .field("creds", &self.creds)
            .field("connected", &self.ws.is_some())
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl OkxAccountStream {
    /// Returns a stream for the private endpoint `url` with `creds` (which need a passphrase).
    pub fn new(
        url: &str,
        creds: mdbus_sdk::credentials::Credentials,
        decoder: crate::venues::okx::account::OkxAccountDecoder,
        writer: Writer,
        tls: Arc<ClientConfig>,
    ) -> OkxAccountStream {
        let signer = mdbus_sdk::signing::OkxSigner::new(creds.secret().expose());
        OkxAccountStream {
            url: url.to_owned(),
            creds,
            signer,
            decoder,
            writer,
            tls,
            read_timeout: Duration::from_millis(100),
            ws: None,
            last_sent: std::time::Instant::now(),
            events: Vec::new(),
            stats: AccountStats::default(),
        }
    }

    /// Returns the counters.
    pub fn stats(&self) -> AccountStats {
        self.stats
    }

    fn send(&mut self, ws: &mut WebSocket<Stream>, text: String) -> Result<(), AccountStreamError> {
        self.last_sent = std::time::Instant::now();
        ws.send(Message::text(text)).map_err(socket_err)
    }

    /// Connects and logs in; waits for the login answer up to five seconds.
    fn login(&mut self) -> Result<WebSocket<Stream>, AccountStreamError> {
        use crate::venues::okx::account::Control;
        let mut ws = connect_ws(&self.url, &self.tls, self.read_timeout)?;
        self.stats.connects += 1;
        let ts = (mdbus_bus::now_ns() / 1_000_000_000).to_string();
        let sign = self.signer.sign_ws_login(&ts);
        let pass = self.creds.passphrase().map(|p| p.expose().to_owned()).unwrap_or_default();
        let login = serde_json::json!({"op": "login", "args": [{"apiKey": self.creds.api_key(), "passphrase": pass, "timestamp": ts, "sign": sign.as_str()}]});
        self.send(&mut ws, login.to_string())?;
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while std::time::Instant::now() < deadline {
            match ws.read() {
                Ok(Message::Text(t)) => match self.decoder.decode(t.as_bytes(), 0, &mut Vec::new()) {
                    Ok(Control::LoggedIn) => {
                        let sub = serde_json::json!({"op": "subscribe", "args": [
                            {"channel": "orders", "instType": "ANY"},
                            {"channel": "account"},
                            {"channel": "positions", "instType": "ANY"}
                        ]});
                        self.send(&mut ws, sub.to_string())?;
                        return Ok(ws);
                    }
                    Ok(Control::Error { code, msg }) => {
                        let code = match code.as_str() {
                            "60007" => ErrorCode::InvalidSignature,
                            "60006" => ErrorCode::ExpiredTimestamp,
                            _ => ErrorCode::InvalidApiKey,
                        };
                        return Err(AccountStreamError::Venue(Error::Authentication {
                            venue: "OKX___SWAP".into(),
                            code,
                            detail: msg,
                        }));
                    }
                    _ => {}
                },
                Ok(_) => {}
                Err(e) if is_timeout(&e) => {}
                Err(e) => return Err(socket_err(e)),
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
            match ws.read() {
                Ok(Message::Text(t)) => {
                    self.stats.frames += 1;
                    self.events.clear();
                    match self.decoder.decode(t.as_bytes(), mdbus_bus::now_ns(), &mut self.events) {
                        Ok(_) => published += publish(&mut self.writer, &self.events, &mut self.stats)?,
                        Err(_) => self.stats.decode_errors += 1,
                    }
                }
                Ok(Message::Close(_)) => return Err(socket_err("closed by the venue")),
                Ok(_) => {}
                Err(e) if is_timeout(&e) => {
                    // OKX closes a connection silent for 30 s.
                    if self.last_sent.elapsed() > Duration::from_secs(20) {
                        self.send(&mut ws, "ping".into())?;
                    }
                    self.ws = Some(ws);
                    return Ok(published);
                }
                Err(e) => return Err(socket_err(e)),
            }
        }
    }
}

impl OkxAccountStream {
    /// Polls until `stop` is set, logging in again with backoff after errors.
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

/// A configured account's private stream, whichever the venue.
#[derive(Debug)]
#[non_exhaustive]
pub enum AccountRunner {
    /// Binance user-data stream.
    Binance(Box<AccountStream>),
    /// OKX private websocket.
    Okx(Box<OkxAccountStream>),
    /// Either of the above with the account's configured name.
    Named(String, Box<AccountRunner>),
}

impl AccountRunner {
    /// Attaches the account's name.
    pub fn named(self, name: &str) -> AccountRunner {
        AccountRunner::Named(name.to_owned(), Box::new(self))
    }

    /// Returns the account's name (empty if unnamed).
    pub fn name(&self) -> &str {
        match self {
            AccountRunner::Named(n, _) => n,
            _ => "",
        }
    }

    /// Returns the counters.
    pub fn stats(&self) -> AccountStats {
        match self {
            AccountRunner::Binance(s) => s.stats(),
            AccountRunner::Okx(s) => s.stats(),
            AccountRunner::Named(_, r) => r.stats(),
        }
    }

    /// Runs the stream until `stop` is set.
    pub fn run(&mut self, stop: &AtomicBool) {
        match self {
            AccountRunner::Binance(s) => s.run(stop),
            AccountRunner::Okx(s) => s.run(stop),
            AccountRunner::Named(_, r) => r.run(stop),
        }
    }
}
