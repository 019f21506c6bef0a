//! One websocket connection on a mio socket: non-blocking TCP ► optional rustls ► tungstenite,
//! with subscribe, acks, heartbeats, a silence watchdog, proactive rotation and reconnects with
//! exponential backoff and jitter.

use std::{
    io::{self, Read, Write},
    net::{SocketAddr, ToSocketAddrs},
    sync::Arc,
    time::{Duration, Instant},
};

use mio::{Interest, Registry, Token, net::TcpStream};
use rustls::{ClientConfig, ClientConnection, StreamOwned, pki_types::ServerName};
use tungstenite::{
    ClientHandshake, HandshakeError, Message, WebSocket,
    handshake::MidHandshake,
    protocol::{CloseFrame, WebSocketConfig, frame::coding::CloseCode},
};

use crate::{
    decode::{Levels, Message as Decoded},
    venues::binance,
};
use mdbus_sdk::url::Endpoint;

/// The byte stream under the websocket: plain TCP or TLS over it.
#[derive(Debug)]
pub enum Stream {
    /// `ws://`.
    Plain(TcpStream),
    /// `wss://`.
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
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

/// Timing rules of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConnSettings {
    /// Reconnect when nothing arrives for this long. Default 30 s.
    pub silence: Duration,
    /// Replace the connection before the venue cuts it. Default 23 h 30 min (Binance: 24 h).
    pub lifetime: Duration,
    /// Give up a connect or handshake after this long. Default 10 s.
    pub connect_timeout: Duration,
    /// First reconnect delay; doubles up to `max_backoff`. Default 100 ms.
    pub min_backoff: Duration,
    /// Longest reconnect delay. Default 5 s.
    pub max_backoff: Duration,
}

impl Default for ConnSettings {
    fn default() -> Self {
        ConnSettings {
            silence: Duration::from_secs(30),
            lifetime: Duration::from_secs(23 * 3600 + 1800),
            connect_timeout: Duration::from_secs(10),
            min_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
        }
    }
}

impl ConnSettings {
    /// Sets the silence watchdog.
    pub fn silence(mut self, d: Duration) -> Self {
        self.silence = d;
        self
    }

    /// Sets the connection lifetime after which it is replaced.
    pub fn lifetime(mut self, d: Duration) -> Self {
        self.lifetime = d;
        self
    }

    /// Sets the reconnect backoff bounds.
    pub fn backoff(mut self, min: Duration, max: Duration) -> Self {
        self.min_backoff = min;
        self.max_backoff = max;
        self
    }
}

/// What a connection reports to its owner.
#[derive(Debug)]
pub enum Event<'a> {
    /// A text frame with market data (or a control message the owner may decode).
    Frame(&'a [u8]),
    /// The subscription was acknowledged: data will flow.
    Connected,
    /// The connection ended; it reconnects by itself after a backoff.
    Disconnected(&'a str),
    /// The venue refused the subscription of one stream; the others go on.
    Refused {
        /// The refused stream.
        stream: &'a str,
        /// The venue's code.
        code: i64,
        /// The venue's message.
        msg: &'a str,
    },
}

enum State {
    Idle { retry_at: Instant },
    Connecting { sock: Option<TcpStream>, since: Instant },
    Handshaking { mid: Option<MidHandshake<ClientHandshake<Stream>>>, since: Instant },
    Open { ws: Box<WebSocket<Stream>>, since: Instant, subscribed: bool },
}

/// Counters of a connection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConnStats {
    /// Connections established (handshake done).
    pub connects: u64,
    /// Connections lost or replaced.
    pub disconnects: u64,
    /// Text frames received.
    pub frames: u64,
    /// Subscriptions refused by the venue.
    pub refused: u64,
}

/// One websocket connection carrying a set of streams.
pub struct Connection {
    endpoint: Endpoint,
    streams: Vec<String>,
    tls: Arc<ClientConfig>,
    settings: ConnSettings,
    token: Token,
    state: State,
    attempt: u32,
    last_data: Instant,
    next_id: u64,
    rng: u64,
    stats: ConnStats,
    levels: Levels,
    /// Subscribe requests sent and not answered yet: id and streams.
    pending: Vec<(u64, Vec<String>)>,
    /// Subscribe requests waiting for their turn (the venue limits messages per second).
    queue: std::collections::VecDeque<Vec<String>>,
    next_send: Instant,
}

/// Frames read from one connection per [`Connection::drive`] call at most.
const MAX_FRAMES_PER_DRIVE: usize = 1024;

/// Time between subscribe messages: Binance allows 5 incoming messages per second, pongs
/// included.
const SUBSCRIBE_SPACING: Duration = Duration::from_millis(250);

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("endpoint", &self.endpoint)
            .field("streams", &self.streams.len())
            .finish_non_exhaustive()
    }
}

fn would_block(e: &tungstenite::Error) -> bool {
    matches!(e, tungstenite::Error::Io(io) if io.kind() == io::ErrorKind::WouldBlock)
}

impl Connection {
    /// A connection to `endpoint` (a `/stream` or `/ws` URL) that subscribes to `streams`.
    pub fn new(
        endpoint: Endpoint,
        streams: Vec<String>,
        tls: Arc<ClientConfig>,
        settings: ConnSettings,
        token: Token,
    ) -> Connection {
        let now = Instant::now();
        let seed = now.elapsed().as_nanos() as u64 ^ (token.0 as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xA5A5_5A5A;
        Connection {
            endpoint,
            streams,
            tls,
            settings,
            token,
            state: State::Idle { retry_at: now },
            attempt: 0,
            last_data: now,
            next_id: 1,
            rng: seed | 1,
            stats: ConnStats::default(),
            levels: Levels::default(),
            pending: Vec::new(),
            queue: std::collections::VecDeque::new(),
            next_send: now,
        }
    }

    fn send_next_subscribe(&mut self, now: Instant) {
        let State::Open { ws, .. } = &mut self.state else { return };
        if now < self.next_send {
            return;
        }
        let Some(streams) = self.queue.pop_front() else { return };
        let id = self.next_id;
        self.next_id += 1;
        let req = serde_json::json!({ "method": "SUBSCRIBE", "params": streams, "id": id });
        let _ = ws.send(Message::text(req.to_string()));
        self.pending.push((id, streams));
        self.next_send = now + SUBSCRIBE_SPACING;
    }

    /// Returns the counters.
    pub fn stats(&self) -> ConnStats {
        self.stats
    }

    /// Returns `true` once the subscription is acknowledged.
    pub fn is_subscribed(&self) -> bool {
        matches!(self.state, State::Open { subscribed: true, .. })
    }

    fn jitter(&mut self, d: Duration) -> Duration {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        // ±25 %.
        let f = 0.75 + (self.rng % 1000) as f64 / 2000.0;
        d.mul_f64(f)
    }

    fn backoff(&mut self) -> Duration {
        let exp = self.settings.min_backoff.saturating_mul(1u32 << self.attempt.min(16));
        let d = exp.min(self.settings.max_backoff);
        self.attempt = self.attempt.saturating_add(1);
        self.jitter(d)
    }

    fn fail(&mut self, now: Instant, why: &str, on: &mut dyn FnMut(Event<'_>)) {
        let was_open = matches!(self.state, State::Open { .. });
        if let State::Open { ws, .. } = &mut self.state {
            let _ = ws.close(Some(CloseFrame { code: CloseCode::Away, reason: "".into() }));
            let _ = ws.flush();
        }
        let wait = self.backoff();
        self.state = State::Idle { retry_at: now + wait };
        if was_open {
            self.stats.disconnects += 1;
        }
        on(Event::Disconnected(why));
    }

    fn resolve(&self) -> io::Result<SocketAddr> {
        (self.endpoint.host.as_str(), self.endpoint.port)
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no address"))
    }

    /// Drives the connection: connects, handshakes, subscribes, reads every available frame,
    /// checks the watchdog and rotation, reconnects after failures. Call it on readiness events
    /// and regularly (timers).
    pub fn drive(&mut self, registry: &Registry, now: Instant, on: &mut dyn FnMut(Event<'_>)) {
        match &mut self.state {
            State::Idle { retry_at } => {
                if now < *retry_at {
                    return;
                }
                match self.resolve().and_then(TcpStream::connect) {
                    Ok(mut sock) => {
                        if let Err(e) =
                            registry.register(&mut sock, self.token, Interest::READABLE | Interest::WRITABLE)
                        {
                            let why = format!("register: {e}");
                            self.fail(now, &why, on);
                            return;
                        }
                        self.state = State::Connecting { sock: Some(sock), since: now };
                    }
                    Err(e) => {
                        let why = format!("connect: {e}");
                        self.fail(now, &why, on);
                    }
                }
            }
            State::Connecting { sock, since } => {
                let since = *since;
                let Some(s) = sock.as_ref() else { return };
                if let Ok(Some(e)) | Err(e) = s.take_error() {
                    let why = format!("connect: {e}");
                    self.fail(now, &why, on);
                    return;
                }
                match s.peer_addr() {
                    Ok(_) => {}
                    Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                        if now.duration_since(since) > self.settings.connect_timeout {
                            self.fail(now, "connect timed out", on);
                        }
                        return;
                    }
                    Err(e) => {
                        let why = format!("connect: {e}");
                        self.fail(now, &why, on);
                        return;
                    }
                }
                let Some(s) = sock.take() else { return };
                let _ = s.set_nodelay(true);
                let stream = if self.endpoint.tls {
                    let name = match ServerName::try_from(self.endpoint.host.clone()) {
                        Ok(n) => n,
                        Err(e) => {
                            let why = format!("server name: {e}");
                            self.fail(now, &why, on);
                            return;
                        }
                    };
                    match ClientConnection::new(self.tls.clone(), name) {
                        Ok(c) => Stream::Tls(Box::new(StreamOwned::new(c, s))),
                        Err(e) => {
                            let why = format!("tls: {e}");
                            self.fail(now, &why, on);
                            return;
                        }
                    }
                } else {
                    Stream::Plain(s)
                };
                let cfg = WebSocketConfig::default().max_message_size(Some(16 << 20)).max_frame_size(Some(16 << 20));
                let url = self.endpoint.url(true);
                match tungstenite::client::client_with_config(url.as_str(), stream, Some(cfg)) {
                    Ok((ws, _)) => self.opened(Box::new(ws), now),
                    Err(HandshakeError::Interrupted(mid)) => self.state = State::Handshaking { mid: Some(mid), since },
                    Err(HandshakeError::Failure(e)) => {
                        let why = format!("handshake: {e}");
                        self.fail(now, &why, on);
                    }
                }
            }
            State::Handshaking { mid, since } => {
                let since = *since;
                let Some(m) = mid.take() else { return };
                match m.handshake() {
                    Ok((ws, _)) => self.opened(Box::new(ws), now),
                    Err(HandshakeError::Interrupted(m)) => {
                        if now.duration_since(since) > self.settings.connect_timeout {
                            self.fail(now, "handshake timed out", on);
                        } else {
                            self.state = State::Handshaking { mid: Some(m), since };
                        }
                    }
                    Err(HandshakeError::Failure(e)) => {
                        let why = format!("handshake: {e}");
                        self.fail(now, &why, on);
                    }
                }
            }
            State::Open { .. } => self.read(now, on),
        }
    }

    fn opened(&mut self, ws: Box<WebSocket<Stream>>, now: Instant) {
        self.stats.connects += 1;
        self.last_data = now;
        self.pending.clear();
        self.queue.clear();
        self.queue.push_back(self.streams.clone());
        self.next_send = now;
        self.state = State::Open { ws, since: now, subscribed: false };
        self.send_next_subscribe(now);
    }

    fn read(&mut self, now: Instant, on: &mut dyn FnMut(Event<'_>)) {
        self.send_next_subscribe(now);
        let State::Open { ws, since, subscribed } = &mut self.state else { return };
        if now.duration_since(*since) > self.settings.lifetime {
            self.fail(now, "rotating before the venue's connection lifetime", on);
            return;
        }
        let mut failure: Option<String> = None;
        // Drain, but hand control back after a bounded burst so one busy connection cannot
        // starve the others, the timers or a stop request; the next drive continues.
        for _ in 0..MAX_FRAMES_PER_DRIVE {
            match ws.read() {
                Ok(Message::Text(t)) => {
                    self.last_data = now;
                    self.stats.frames += 1;
                    let b = t.as_bytes();
                    // Control replies are small objects starting with "result" or "code".
                    if b.len() < 512
                        && (b.starts_with(b"{\"result\"") || b.starts_with(b"{\"code\"") || b.starts_with(b"{\"id\""))
                    {
                        match binance::decode(b, &mut self.levels) {
                            Ok(Decoded::Ack { id }) => {
                                let id: u64 = id.parse().unwrap_or(0);
                                self.pending.retain(|(p, _)| *p != id);
                                if !*subscribed {
                                    *subscribed = true;
                                    self.attempt = 0;
                                    on(Event::Connected);
                                }
                                continue;
                            }
                            Ok(Decoded::Error { code, msg, id }) => {
                                let id: u64 = id.parse().unwrap_or(0);
                                match self.pending.iter().position(|(p, _)| *p == id) {
                                    Some(i) => {
                                        let (_, streams) = self.pending.swap_remove(i);
                                        if streams.len() > 1 {
                                            // Find the refused stream(s): subscribe one by one.
                                            self.queue.extend(streams.into_iter().map(|s| vec![s]));
                                        } else {
                                            self.stats.refused += 1;
                                            on(Event::Refused {
                                                stream: streams.first().map_or("", String::as_str),
                                                code,
                                                msg,
                                            });
                                        }
                                    }
                                    None => {
                                        self.stats.refused += 1;
                                        on(Event::Refused { stream: "", code, msg });
                                    }
                                }
                                continue;
                            }
                            _ => {}
                        }
                    }
                    on(Event::Frame(b));
                }
                Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_)) => self.last_data = now,
                Ok(Message::Binary(_)) => self.last_data = now,
                Ok(Message::Close(_)) => {
                    // Keep reading until tungstenite reports the end; it answers the close.
                }
                Err(e) if would_block(&e) => break,
                Err(tungstenite::Error::ConnectionClosed) => {
                    failure = Some("closed by the venue".into());
                    break;
                }
                Err(e) => {
                    failure = Some(format!("read: {e}"));
                    break;
                }
            }
        }
        // Pongs queued by tungstenite go out here.
        if let Err(e) = ws.flush()
            && !would_block(&e)
            && failure.is_none()
        {
            failure = Some(format!("write: {e}"));
        }
        if let Some(why) = failure {
            self.fail(now, &why, on);
        } else if now.duration_since(self.last_data) > self.settings.silence {
            self.fail(now, "silent for longer than the watchdog allows", on);
        }
    }
}
