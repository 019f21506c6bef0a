//! One websocket connection on a mio socket: non-blocking TCP ► optional rustls ► tungstenite,
//! with the venue's subscribe requests and acks, its keepalive (client pings, answers to server
//! pings), a silence watchdog, proactive rotation and reconnects with exponential backoff and
//! jitter. Frames are decoded here ([`SessionDecoder`]); control messages stay here and market
//! data goes straight into the [`Feed`]: connection ► venue decoder ► feed ► ring writer.

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

use mdbus_schemas::Nanos;

use crate::{
    decode::{Levels, Message as Decoded},
    feed::Feed,
    venue::{Reply, SessionDecoder, Venue},
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
    /// Client keepalive interval; `None` takes the venue's own (OKX, Bybit, Gate.io: 20 s).
    pub keepalive: Option<Duration>,
}

impl Default for ConnSettings {
    fn default() -> Self {
        ConnSettings {
            silence: Duration::from_secs(30),
            lifetime: Duration::from_secs(23 * 3600 + 1800),
            connect_timeout: Duration::from_secs(10),
            min_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            keepalive: None,
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

    /// Sets the client keepalive interval (venues whose clients ping).
    pub fn keepalive(mut self, d: Duration) -> Self {
        self.keepalive = Some(d);
        self
    }

    /// Sets the reconnect backoff bounds.
    pub fn backoff(mut self, min: Duration, max: Duration) -> Self {
        self.min_backoff = min;
        self.max_backoff = max;
        self
    }
}

/// What a connection reports to its owner besides market data (which goes straight to the
/// feed): the connection's life and the frames as received.
#[derive(Debug)]
pub enum Event<'a> {
    /// A frame as received, before decoding (only with [`Connection::set_capture`]).
    Frame {
        /// The frame's bytes.
        bytes: &'a [u8],
        /// A binary frame (HTX gzip).
        binary: bool,
        /// Receive time, ns since the epoch.
        recv_ns: u64,
    },
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
    /// Frames received (text or binary).
    pub frames: u64,
    /// Bytes of the frames received (their payloads, as the venue sent them).
    pub bytes: u64,
    /// Subscriptions refused by the venue.
    pub refused: u64,
}

/// One websocket connection carrying a set of streams.
pub struct Connection {
    capture: bool,
    venue: Venue,
    decoder: SessionDecoder,
    last_ping: Instant,
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
    /// The last drive stopped at its burst limit with frames maybe left to read: drive again
    /// without waiting for readiness (mio reports readiness once per new arrival).
    more: bool,
}

/// Frames read from one connection per [`Connection::drive`] call at most.
const MAX_FRAMES_PER_DRIVE: usize = 1024;

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("venue", &self.venue)
            .field("endpoint", &self.endpoint)
            .field("streams", &self.streams.len())
            .finish_non_exhaustive()
    }
}

fn would_block(e: &tungstenite::Error) -> bool {
    matches!(e, tungstenite::Error::Io(io) if io.kind() == io::ErrorKind::WouldBlock)
}

impl Connection {
    /// A connection to `venue` at `endpoint` that subscribes to `streams` (the venue's topics,
    /// as [`Venue::topics`] names them).
    pub fn new(
        venue: Venue,
        endpoint: Endpoint,
        streams: Vec<String>,
        tls: Arc<ClientConfig>,
        settings: ConnSettings,
        token: Token,
    ) -> Connection {
        let now = Instant::now();
        let seed = now.elapsed().as_nanos() as u64 ^ (token.0 as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xA5A5_5A5A;
        Connection {
            capture: false,
            venue,
            decoder: SessionDecoder::new(venue),
            last_ping: now,
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
            more: false,
        }
    }

    /// Sends the next queued subscribe request when its turn has come. Returns `true` when the
    /// last one went out to a venue that sends no acknowledgements: the connection is then
    /// subscribed.
    fn send_next_subscribe(&mut self, now: Instant) -> bool {
        let State::Open { ws, .. } = &mut self.state else { return false };
        if now < self.next_send {
            return false;
        }
        let Some(streams) = self.queue.pop_front() else { return false };
        let id = self.next_id;
        self.next_id += 1;
        let _ = ws.send(Message::text(self.venue.subscribe(id, &streams)));
        self.next_send = now + self.venue.limits().request_spacing;
        if self.venue.acks() {
            self.pending.push((id, streams));
            false
        } else {
            self.queue.is_empty()
        }
    }

    /// Sends the venue's client ping when it is due.
    fn keepalive(&mut self, now: Instant) {
        let Some(every) = self.settings.keepalive.or(self.venue.keepalive()) else { return };
        let State::Open { ws, .. } = &mut self.state else { return };
        if now.duration_since(self.last_ping) >= every {
            self.last_ping = now;
            if let Some(ping) = self.venue.ping() {
                let _ = ws.send(Message::text(ping));
            }
        }
    }

    /// Sends a text request on the open connection (an HTX snapshot `req`). Returns `false`
    /// when the connection is not open.
    pub fn send_text(&mut self, text: String) -> bool {
        match &mut self.state {
            State::Open { ws, .. } => {
                // A full socket buffer keeps the request queued in tungstenite; it goes out on
                // the next flush.
                let _ = ws.send(Message::text(text));
                true
            }
            _ => false,
        }
    }

    /// Asks the venue to send `topic`'s book snapshot again (unsubscribe, subscribe), for a book
    /// that lost sync on a venue whose snapshots come in the stream. Returns `false` when the
    /// connection is not open or the venue has no such requests.
    pub fn resubscribe(&mut self, topic: &str) -> bool {
        let State::Open { ws, subscribed: true, .. } = &mut self.state else { return false };
        let requests = self.venue.resubscribe(topic);
        for r in &requests {
            let _ = ws.send(Message::text(r.as_str()));
        }
        !requests.is_empty()
    }

    /// Returns whether the websocket is up (subscribed or not yet).
    pub fn is_open(&self) -> bool {
        matches!(self.state, State::Open { .. })
    }

    /// Returns `true` once every subscribe request was sent and acknowledged: a snapshot
    /// requested now is sure to be continued by the stream.
    pub fn is_settled(&self) -> bool {
        self.is_subscribed() && self.pending.is_empty() && self.queue.is_empty()
    }

    /// Returns whether this connection carries `topic`.
    pub fn carries(&self, topic: &str) -> bool {
        self.streams.iter().any(|s| s == topic)
    }

    /// Also hands every frame to the owner as received ([`Event::Frame`]), for recording.
    pub fn set_capture(&mut self, on: bool) {
        self.capture = on;
    }

    /// Returns the venue.
    pub fn venue(&self) -> Venue {
        self.venue
    }

    /// The connection's mio token.
    pub fn token(&self) -> Token {
        self.token
    }

    /// Whether the connection must be driven again before its socket is ready: its last drive
    /// stopped at the burst limit.
    pub fn has_more(&self) -> bool {
        self.more
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

    fn fail(&mut self, now: Instant, why: &str, feed: &mut Feed, on: &mut dyn FnMut(Event<'_>, &mut Feed)) {
        self.more = false;
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
        on(Event::Disconnected(why), feed);
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
    pub fn drive(
        &mut self,
        registry: &Registry,
        now: Instant,
        feed: &mut Feed,
        on: &mut dyn FnMut(Event<'_>, &mut Feed),
    ) {
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
                            self.fail(now, &why, feed, on);
                            return;
                        }
                        self.state = State::Connecting { sock: Some(sock), since: now };
                    }
                    Err(e) => {
                        let why = format!("connect: {e}");
                        self.fail(now, &why, feed, on);
                    }
                }
            }
            State::Connecting { sock, since } => {
                let since = *since;
                let Some(s) = sock.as_ref() else { return };
                if let Ok(Some(e)) | Err(e) = s.take_error() {
                    let why = format!("connect: {e}");
                    self.fail(now, &why, feed, on);
                    return;
                }
                match s.peer_addr() {
                    Ok(_) => {}
                    Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                        if now.duration_since(since) > self.settings.connect_timeout {
                            self.fail(now, "connect timed out", feed, on);
                        }
                        return;
                    }
                    Err(e) => {
                        let why = format!("connect: {e}");
                        self.fail(now, &why, feed, on);
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
                            self.fail(now, &why, feed, on);
                            return;
                        }
                    };
                    match ClientConnection::new(self.tls.clone(), name) {
                        Ok(c) => Stream::Tls(Box::new(StreamOwned::new(c, s))),
                        Err(e) => {
                            let why = format!("tls: {e}");
                            self.fail(now, &why, feed, on);
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
                        self.fail(now, &why, feed, on);
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
                            let why = if self.endpoint.tls {
                                "handshake timed out (wss://: does the server speak TLS?)"
                            } else {
                                "handshake timed out"
                            };
                            self.fail(now, why, feed, on);
                        } else {
                            self.state = State::Handshaking { mid: Some(m), since };
                        }
                    }
                    Err(HandshakeError::Failure(e)) => {
                        let why = format!("handshake: {e}");
                        self.fail(now, &why, feed, on);
                    }
                }
            }
            State::Open { .. } => self.read(now, feed, on),
        }
    }

    fn opened(&mut self, ws: Box<WebSocket<Stream>>, now: Instant) {
        self.stats.connects += 1;
        self.last_data = now;
        self.last_ping = now;
        self.pending.clear();
        self.queue.clear();
        self.decoder.reset();
        let per = self.venue.limits().topics_per_request.max(1);
        self.queue.extend(self.streams.chunks(per).map(<[String]>::to_vec));
        self.next_send = now;
        self.state = State::Open { ws, since: now, subscribed: false };
    }

    fn read(&mut self, now: Instant, feed: &mut Feed, on: &mut dyn FnMut(Event<'_>, &mut Feed)) {
        let all_sent = self.send_next_subscribe(now);
        self.keepalive(now);
        let venue = self.venue;
        let Connection {
            state,
            decoder,
            levels,
            pending,
            queue,
            stats,
            attempt,
            last_data,
            settings,
            capture,
            more,
            ..
        } = self;
        *more = true;
        let State::Open { ws, since, subscribed } = state else { return };
        if all_sent && !*subscribed {
            *subscribed = true;
            *attempt = 0;
            on(Event::Connected, feed);
        }
        if now.duration_since(*since) > settings.lifetime {
            self.fail(now, "rotating before the venue's connection lifetime", feed, on);
            return;
        }
        let mut failure: Option<String> = None;
        // Drain, but hand control back after a bounded burst so one busy connection cannot
        // starve the others, the timers or a stop request; the next drive continues.
        for _ in 0..MAX_FRAMES_PER_DRIVE {
            let (frame, binary) = match ws.read() {
                Ok(Message::Text(t)) => (tungstenite::Bytes::from(t), false),
                Ok(Message::Binary(b)) => (b, true),
                Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_)) => {
                    *last_data = now;
                    continue;
                }
                Ok(Message::Close(_)) => {
                    // Keep reading until tungstenite reports the end; it answers the close.
                    continue;
                }
                Err(e) if would_block(&e) => {
                    *more = false;
                    break;
                }
                Err(tungstenite::Error::ConnectionClosed) => {
                    failure = Some("closed by the venue".into());
                    break;
                }
                Err(e) => {
                    failure = Some(format!("read: {e}"));
                    break;
                }
            };
            *last_data = now;
            stats.frames += 1;
            stats.bytes += frame.len() as u64;
            let recv_ns = mdbus_bus::now_ns();
            if *capture {
                on(Event::Frame { bytes: &frame, binary, recv_ns }, feed);
            }
            let mut acked = false;
            let mut refusal: Option<(i64, String, u64)> = None;
            let decoded = decoder.decode(&frame, binary, levels, &mut |m, l| match m {
                Decoded::Ack { id } => {
                    acked = true;
                    let id: u64 = id.trim_matches('"').parse().unwrap_or(0);
                    pending.retain(|(p, _)| *p != id);
                }
                Decoded::Error { code, msg, id } => {
                    refusal = Some((code, msg.to_owned(), id.trim_matches('"').parse().unwrap_or(0)));
                }
                m => feed.on_decoded(m, l, Nanos(recv_ns)),
            });
            match decoded {
                Ok(Reply::Pong(ts)) => {
                    if let Some(pong) = venue.pong(ts) {
                        let _ = ws.send(Message::text(pong));
                    }
                }
                Ok(_) => {}
                Err(e) => feed.on_undecodable_frame(&e),
            }
            if acked && !*subscribed {
                *subscribed = true;
                *attempt = 0;
                on(Event::Connected, feed);
            }
            if let Some((code, msg, id)) = refusal {
                match pending.iter().position(|(p, _)| *p == id) {
                    Some(i) => {
                        let (_, streams) = pending.swap_remove(i);
                        if streams.len() > 1 {
                            // Find the refused stream(s): subscribe one by one.
                            queue.extend(streams.into_iter().map(|s| vec![s]));
                        } else {
                            stats.refused += 1;
                            on(
                                Event::Refused { stream: streams.first().map_or("", String::as_str), code, msg: &msg },
                                feed,
                            );
                        }
                    }
                    None => {
                        stats.refused += 1;
                        on(Event::Refused { stream: "", code, msg: &msg }, feed);
                    }
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
            self.fail(now, &why, feed, on);
        } else if now.duration_since(self.last_data) > self.settings.silence {
            self.fail(now, "silent for longer than the watchdog allows", feed, on);
        }
    }
}
