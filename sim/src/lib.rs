//! The mdbus venue simulator (`mdbus sim`) on loopback: the server, the market generator and
//! the exchange core. It speaks one venue's websocket protocol (the [`SimConfig::venue`]'s
//! [`VenueDialect`]: subscribe requests, acks, keepalives and in-stream snapshots) and answers
//! the REST endpoints (market data, signed orders) and private streams of every venue in
//! [`SimConfig::venues`], over plain TCP or TLS with a certificate made at start. The venues'
//! dialects live in `mdbus-venues`, one folder each; the simulator knows none by name.
//!
//! Books follow a seeded, deterministic random walk with contiguous update-id chains, and
//! faults can be injected: dropped connections, skipped sequences, duplicated and malformed
//! frames, server pings, refused subscriptions, plus each venue's own (sequence resets,
//! snapshot re-sends, pings the client must answer, idle cuts of silent clients).

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod dialect;
pub mod exchange;
pub mod market;
pub mod rest;
pub mod tape;
pub mod venue;

use dialect::{Book, Dialect, Ev, Session};
use market::Market;
pub use venue::{SimVenue, SimVenues, VenueDialect};

use std::{
    collections::{BTreeMap, VecDeque},
    io::{self, Read, Write},
    net::{SocketAddr, TcpListener, TcpStream},
    sync::{
        Arc, Condvar, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use tungstenite::{Message, WebSocket, protocol::WebSocketConfig};

/// Errors starting the simulator.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// Binding or configuring a socket failed.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// The certificate or TLS configuration could not be made.
    #[error("tls: {0}")]
    Tls(String),
}

/// Faults to inject; zero disables each.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Faults {
    /// Close every connection after this many market-data frames.
    pub drop_every: u64,
    /// Leave out one depth event every this many (a sequence gap).
    pub gap_every: u64,
    /// Send one frame twice every this many.
    pub dup_every: u64,
    /// Send a malformed frame every this many.
    pub malformed_every: u64,
    /// Send a websocket ping this often.
    pub ping_every: Option<Duration>,
    /// Streams whose subscription is refused.
    pub refuse: Vec<String>,
    /// Extra delay before each frame.
    pub delay: Option<Duration>,
    /// OKX: restart a book's sequence below the previous one (as after maintenance) every this
    /// many depth events; Bybit: a service restart (a delta with `u == 1` and the whole book).
    pub reset_every: u64,
    /// Bybit, Gate.io `spot.obu`: re-send the book snapshot every this many depth events.
    pub resnapshot_every: u64,
    /// Bybit: every this many depth events, an empty snapshot with `u == 1` (as on a delisting,
    /// pre-market or a tick-size change), then the whole book again in a snapshot.
    pub empty_snapshot_every: u64,
    /// OKX: send an empty keepalive update (`prevSeqId == seqId`) every this many depth events.
    pub keepalive_every: u64,
    /// HTX `ping` / Gemini `heartbeat` interval (default 5 s).
    pub heartbeat_every: Option<Duration>,
    /// Cut a connection whose client sent nothing for this long (OKX default 30 s).
    pub idle_cut: Option<Duration>,
}

/// Send times of trade frames by trade id, for measuring simulator-send → reader latency in one
/// process. Lock-free: a slot per trade id modulo its size.
#[derive(Debug)]
pub struct SendLog {
    slots: Vec<std::sync::atomic::AtomicU64>,
}

impl SendLog {
    /// A log with room for `slots` outstanding trades.
    pub fn new(slots: usize) -> SendLog {
        SendLog { slots: (0..slots.max(1)).map(|_| std::sync::atomic::AtomicU64::new(0)).collect() }
    }

    fn record(&self, trade_id: u64, ns: u64) {
        let i = (trade_id % self.slots.len() as u64) as usize;
        self.slots[i].store(ns, Ordering::Release);
    }

    /// Returns the send time (ns since the epoch) of `trade_id`, if still in the log.
    pub fn get(&self, trade_id: u64) -> Option<u64> {
        let i = (trade_id % self.slots.len() as u64) as usize;
        Some(self.slots[i].load(Ordering::Acquire)).filter(|&v| v != 0)
    }
}

/// Simulator settings.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Listen address; port 0 picks a free one.
    pub addr: SocketAddr,
    /// Serve TLS (wss/https) with a self-signed certificate for `localhost` and 127.0.0.1.
    pub tls: bool,
    /// The venue whose websocket dialect the market streams speak.
    pub venue: SimVenue,
    /// The venues whose REST endpoints (market data, orders) and private streams the server
    /// answers.
    pub venues: SimVenues,
    /// `true`: USD-M futures dialect (`pu`, `T`, event type on bookTicker); `false`: spot.
    pub usdm: bool,
    /// Symbols (upper case).
    pub symbols: Vec<String>,
    /// Random seed: the same seed gives the same market.
    pub seed: u64,
    /// Time between market events per symbol.
    pub tick: Duration,
    /// Faults to inject.
    pub faults: Faults,
    /// Where to note the send time of every trade frame (benchmarks).
    pub send_log: Option<Arc<SendLog>>,
    /// Stop generating after this many ticks (the servers keep running), so a test can compare
    /// a quiet market with what a feeder made of it.
    pub max_ticks: Option<u64>,
    /// Append every market-data frame sent to this file, one per line.
    pub record: Option<std::path::PathBuf>,
    /// The trading side: accounts, limits and faults of the order endpoints.
    pub exchange: crate::exchange::ExchangeConfig,
}

impl SimConfig {
    /// The defaults for `venue`, among `venues`: loopback on a free port, plain TCP, the venue's
    /// default symbols, seed 7, a tick every millisecond, no faults, the demo account.
    pub fn new(venue: SimVenue, venues: SimVenues) -> SimConfig {
        SimConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            tls: false,
            venue,
            venues,
            usdm: false,
            symbols: venue.symbols(),
            seed: 7,
            tick: Duration::from_millis(1),
            faults: Faults::default(),
            send_log: None,
            max_ticks: None,
            record: None,
            exchange: crate::exchange::ExchangeConfig::default(),
        }
    }
}

/// xorshift64*: small, seeded, deterministic.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

struct Shared {
    exchange: crate::exchange::Exchange,
    record: Option<Mutex<std::io::BufWriter<std::fs::File>>>,
    market: Mutex<Market>,
    ticked: Condvar,
    stop: AtomicBool,
    /// Ticks generated so far.
    ticks: std::sync::atomic::AtomicU64,
    cfg: SimConfig,
}

/// One simulated book as it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimBook {
    /// Bids, best first: price ticks, quantity lots.
    pub bids: Vec<(i64, i64)>,
    /// Asks, best first.
    pub asks: Vec<(i64, i64)>,
    /// The last update id.
    pub last_update_id: u64,
    /// The last trade id (trade ids count up from 2).
    pub last_trade_id: u64,
}

/// A running simulator; stops when dropped.
#[derive(Debug)]
pub struct Sim {
    addr: SocketAddr,
    cert_pem: Option<String>,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared").finish_non_exhaustive()
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.shared.ticked.notify_all();
        let _ = TcpStream::connect(self.addr);
    }
}

impl Sim {
    /// Starts the simulator: the market generator and the listener run on their own threads.
    ///
    /// # Errors
    ///
    /// When the address cannot be bound or the certificate cannot be made.
    pub fn start(cfg: SimConfig) -> Result<Sim, SimError> {
        let listener = TcpListener::bind(cfg.addr)?;
        let addr = listener.local_addr()?;
        let (tls, cert_pem) = if cfg.tls {
            let (tls, pem) = server_tls()?;
            (Some(tls), Some(pem))
        } else {
            (None, None)
        };
        let mut rng = Rng(cfg.seed | 1);
        let books = cfg
            .symbols
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let mid = 3_000_000 + 500_000 * i as i64 + rng.below(1000) as i64;
                let mut b = Book {
                    symbol: s.clone(),
                    bids: BTreeMap::new(),
                    asks: BTreeMap::new(),
                    last_id: 1000,
                    trade_id: 1,
                };
                for k in 1..=50 {
                    b.bids.insert(mid - k, 1 + rng.below(500_000) as i64);
                    b.asks.insert(mid + k, 1 + rng.below(500_000) as i64);
                }
                b
            })
            .collect();
        let record = match &cfg.record {
            Some(p) => Some(Mutex::new(std::io::BufWriter::new(std::fs::File::create(p)?))),
            None => None,
        };
        let shared = Arc::new(Shared {
            exchange: crate::exchange::Exchange::new(cfg.exchange.clone(), cfg.venues),
            record,
            market: Mutex::new(Market { books, log: VecDeque::new(), base: 0, precision: BTreeMap::new() }),
            ticked: Condvar::new(),
            stop: AtomicBool::new(false),
            ticks: std::sync::atomic::AtomicU64::new(0),
            cfg,
        });
        let gen_shared = shared.clone();
        std::thread::spawn(move || generate(&gen_shared, rng));
        let acc_shared = shared.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if acc_shared.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let s = acc_shared.clone();
                let tls = tls.clone();
                std::thread::spawn(move || {
                    let _ = serve(&s, conn, tls);
                });
            }
        });
        Ok(Sim { addr, cert_pem, shared })
    }

    /// Returns the address the simulator listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Returns the trading side (order counts, keep-alives).
    pub fn exchange(&self) -> &crate::exchange::Exchange {
        &self.shared.exchange
    }

    /// Returns the current book of `symbol` (prices in ticks of 0.01, quantities in lots of
    /// 0.00001; bids best first), to compare with what a feeder made of a quiet market.
    pub fn book(&self, symbol: &str) -> Option<SimBook> {
        let m = self.shared.market.lock().ok()?;
        let b = m.books.iter().find(|b| b.symbol == symbol)?;
        let (bids, asks) = b.sides(usize::MAX);
        Some(SimBook { bids, asks, last_update_id: b.last_id, last_trade_id: b.trade_id })
    }

    /// Whether the market has gone quiet: `max_ticks` ticks were generated (never without
    /// `max_ticks`). What a client made of the market can then be compared with [`Sim::book`].
    pub fn is_quiet(&self) -> bool {
        let ticks = self.shared.ticks.load(Ordering::SeqCst);
        self.shared.cfg.max_ticks.is_some_and(|m| ticks >= m)
    }

    /// Waits until the market is quiet, at most `limit`; returns whether it is.
    pub fn wait_quiet(&self, limit: Duration) -> bool {
        let until = Instant::now() + limit;
        while !self.is_quiet() && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(5));
        }
        self.is_quiet()
    }

    /// Makes `symbol`'s instrument metadata announce `price_digits` and `qty_digits` decimals
    /// from now on (every venue's instruments endpoint), as a venue changing a tick size does.
    /// Returns `false` for an unknown symbol.
    pub fn set_precision(&self, symbol: &str, price_digits: u8, qty_digits: u8) -> bool {
        let Ok(mut m) = self.shared.market.lock() else { return false };
        if !m.books.iter().any(|b| b.symbol == symbol) {
            return false;
        }
        m.precision.insert(symbol.to_owned(), (price_digits, qty_digits));
        true
    }

    /// Returns the PEM certificate clients must trust (TLS only).
    pub fn cert_pem(&self) -> Option<&str> {
        self.cert_pem.as_deref()
    }
}

/// Makes a self-signed certificate for `localhost` / 127.0.0.1 and a server config for it.
fn server_tls() -> Result<(Arc<rustls::ServerConfig>, String), SimError> {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])
        .map_err(|e| SimError::Tls(e.to_string()))?;
    let pem = ck.cert.pem();
    let cert = ck.cert.der().clone();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(rustls::pki_types::PrivatePkcs8KeyDer::from(
        ck.signing_key.serialize_der(),
    ));
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| SimError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .map_err(|e| SimError::Tls(e.to_string()))?;
    Ok((Arc::new(cfg), pem))
}

/// The market generator: every tick, one depth event per symbol (1-3 level changes, update ids
/// in a contiguous chain), sometimes a trade, and a best bid/offer when the top changed.
fn generate(shared: &Shared, mut rng: Rng) {
    let mut start = Instant::now();
    let mut tick: u64 = 0;
    let mut total: u64 = 0;
    while !shared.stop.load(Ordering::SeqCst) {
        if shared.cfg.max_ticks.is_some_and(|m| total >= m) {
            std::thread::sleep(Duration::from_millis(10));
            continue;
        }
        total += 1;
        tick += 1;
        let due = start + shared.cfg.tick * u32::try_from(tick).unwrap_or(u32::MAX);
        match due.checked_duration_since(Instant::now()) {
            Some(wait) => std::thread::sleep(wait),
            // Far behind (a slow machine, a tick shorter than the work): the rate is best effort,
            // so start counting afresh rather than catch up in a burst that starves the senders.
            None if Instant::now().duration_since(due) > Duration::from_millis(20) => {
                start = Instant::now();
                tick = 0;
                std::thread::yield_now();
            }
            None => {}
        }
        let ms = dialect::now_ms();
        let closing = shared.cfg.max_ticks.is_some_and(|m| total >= m);
        let Ok(mut m) = shared.market.lock() else { return };
        let mut events = Vec::new();
        for (sym, b) in m.books.iter_mut().enumerate() {
            let top = (b.bids.keys().next_back().copied(), b.asks.keys().next().copied());
            let changes = 1 + rng.below(3);
            let (mut bids, mut asks) = (Vec::new(), Vec::new());
            for _ in 0..changes {
                let bid_side = rng.below(2) == 0;
                let best_bid = b.bids.keys().next_back().copied().unwrap_or(3_000_000);
                let best_ask = b.asks.keys().next().copied().unwrap_or(best_bid + 2);
                let (book, out, price) = if bid_side {
                    (&mut b.bids, &mut bids, best_ask - 1 - rng.below(40) as i64)
                } else {
                    (&mut b.asks, &mut asks, best_bid + 1 + rng.below(40) as i64)
                };
                // A delete removes a level the book holds (the nearest at or behind the price
                // drawn): no venue served here sends deletes of levels it never published.
                let held = if bid_side { book.range(..=price).next_back() } else { book.range(price..).next() };
                let delete = rng.below(4) == 0 && book.len() > 20;
                let (price, q) = match held {
                    Some((&p, _)) if delete => (p, 0),
                    _ => (price, 1 + rng.below(500_000) as i64),
                };
                if q == 0 {
                    book.remove(&price);
                } else {
                    book.insert(price, q);
                }
                out.push((price, q));
            }
            let first = b.last_id + 1;
            b.last_id += changes;
            events.push(Ev::Depth { sym, first, last: b.last_id, bids, asks, ms, closing });
            if rng.below(2) == 0 {
                b.trade_id += 1;
                let price = if rng.below(2) == 0 { b.bids.keys().next_back() } else { b.asks.keys().next() }
                    .copied()
                    .unwrap_or(0);
                let maker = rng.below(2) == 0;
                let q = 1 + rng.below(100_000) as i64;
                events.push(Ev::Trade { sym, id: b.trade_id, price, qty: q, buy: !maker, ms });
            }
            let new_top =
                (b.bids.iter().next_back().map(|(p, q)| (*p, *q)), b.asks.iter().next().map(|(p, q)| (*p, *q)));
            if (new_top.0.map(|t| t.0), new_top.1.map(|t| t.0)) != top || rng.below(4) == 0 {
                let (bid, ask) = (new_top.0.unwrap_or((0, 0)), new_top.1.unwrap_or((0, 0)));
                events.push(Ev::Top { sym, id: b.last_id, bid, ask, ms });
            }
        }
        m.log.extend(events);
        while m.log.len() > 100_000 {
            m.log.pop_front();
            m.base += 1;
        }
        drop(m);
        // Counted once its events are in the log: a market that says it is quiet has them all.
        shared.ticks.store(total, Ordering::SeqCst);
        shared.ticked.notify_all();
    }
}

/// A stream that first replays bytes already read (the HTTP request head), then reads on.
struct Replay<S> {
    head: Vec<u8>,
    pos: usize,
    inner: S,
}

impl<S: Read> Read for Replay<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos < self.head.len() {
            let n = buf.len().min(self.head.len() - self.pos);
            buf[..n].copy_from_slice(&self.head[self.pos..self.pos + n]);
            self.pos += n;
            return Ok(n);
        }
        self.inner.read(buf)
    }
}

impl<S: Write> Write for Replay<S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Answers a client's Close frame as a venue does: tungstenite has queued the echo (the same
/// code) on reading it; send it, then wait briefly for the client to end the connection.
fn echo_close<S: Read + Write>(ws: &mut WebSocket<S>) {
    let _ = ws.flush();
    for _ in 0..50 {
        match ws.read() {
            Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed) => return,
            Err(e) if !is_timeout(&e) => return,
            _ => {}
        }
    }
}

/// Reads one HTTP request head (up to the blank line).
fn read_head(s: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(512);
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if s.read(&mut byte)? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        head.push(byte[0]);
        if head.len() > 16 * 1024 {
            return Err(io::ErrorKind::InvalidData.into());
        }
    }
    Ok(head)
}

/// A request head: method, target and headers.
type Head = (String, String, Vec<(String, String)>);

/// A request head's method, target and headers, parsed by httparse (as hyper does).
fn parse_head(head: &[u8]) -> io::Result<Head> {
    let mut slots = [httparse::EMPTY_HEADER; 64];
    let mut req = httparse::Request::new(&mut slots);
    match req.parse(head) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => return Err(io::ErrorKind::UnexpectedEof.into()),
        Err(e) => return Err(io::Error::new(io::ErrorKind::InvalidData, e)),
    }
    let headers =
        req.headers.iter().map(|h| (h.name.to_owned(), String::from_utf8_lossy(h.value).trim().to_owned())).collect();
    Ok((req.method.unwrap_or("GET").to_owned(), req.path.unwrap_or("/").to_owned(), headers))
}

fn serve(shared: &Arc<Shared>, conn: TcpStream, tls: Option<Arc<rustls::ServerConfig>>) -> io::Result<()> {
    conn.set_nodelay(true)?;
    match tls {
        Some(cfg) => {
            let sc = rustls::ServerConnection::new(cfg).map_err(io::Error::other)?;
            serve_stream(shared, rustls::StreamOwned::new(sc, conn))
        }
        None => serve_stream(shared, conn),
    }
}

/// The simulator's own endpoints: `/sim/precision` changes what a symbol's instrument metadata
/// announces (as a venue re-tick does); `/sim/book` is the simulator's view of a book, for
/// checking what a feeder made of a quiet market.
fn own_endpoints(shared: &Shared, target: &str) -> Option<rest::Answer> {
    if target.starts_with("/sim/precision") {
        let digits = |k: &str| rest::query(target, k).and_then(|v| v.parse::<u8>().ok()).filter(|d| *d <= 12);
        let symbol = rest::query(target, "symbol").unwrap_or("").to_owned();
        return Some(match (shared.market.lock(), digits("price"), digits("qty")) {
            (Ok(mut m), Some(p), Some(q)) if m.books.iter().any(|b| b.symbol == symbol) => {
                m.precision.insert(symbol, (p, q));
                ("200 OK", r#"{"ok":true}"#.to_owned())
            }
            _ => ("400 Bad Request", r#"{"error":"want symbol, price and qty (0-12)"}"#.to_owned()),
        });
    }
    if target.starts_with("/sim/book") {
        let symbol = rest::query(target, "symbol").unwrap_or("");
        let m = shared.market.lock().ok();
        return Some(match m.as_ref().and_then(|m| m.book(symbol)) {
            Some(b) => {
                let (bids, asks) = b.sides(usize::MAX);
                let body = serde_json::json!({
                    "bids": bids, "asks": asks, "last_update_id": b.last_id, "last_trade_id": b.trade_id,
                });
                ("200 OK", body.to_string())
            }
            None => ("404 Not Found", r#"{"error":"unknown symbol"}"#.to_owned()),
        });
    }
    None
}

fn serve_stream<S: Read + Write + SetTimeout>(shared: &Arc<Shared>, mut s: S) -> io::Result<()> {
    loop {
        let head = read_head(&mut s)?;
        let (method, target, headers) = parse_head(&head)?;
        let upgrade =
            headers.iter().any(|(k, v)| k.eq_ignore_ascii_case("upgrade") && v.eq_ignore_ascii_case("websocket"));
        if upgrade {
            let upgrade = rest::Request { method: &method, target: &target, headers: &headers, body: &[] };
            return websocket(shared, Replay { head, pos: 0, inner: s }, &upgrade);
        }
        let length = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse::<usize>().ok())
            .unwrap_or(0);
        if length > 1 << 20 {
            return Err(io::ErrorKind::InvalidData.into());
        }
        let mut body = vec![0u8; length];
        s.read_exact(&mut body)?;
        // The simulator's own endpoints, then each venue's in turn; keep-alive throughout.
        let req = rest::Request { method: &method, target: &target, headers: &headers, body: &body };
        let ctx = venue::Context { market: &shared.market, exchange: &shared.exchange, cfg: &shared.cfg };
        // The market's own venue goes first, and answers what nobody serves in its own way.
        let reply = own_endpoints(shared, &target)
            .map(|(status, body)| crate::exchange::Reply::Respond { status, headers: Vec::new(), body })
            .or_else(|| shared.cfg.venue.rest(&ctx, &req))
            .or_else(|| shared.cfg.venues.iter().filter(|v| *v != shared.cfg.venue).find_map(|v| v.rest(&ctx, &req)))
            .unwrap_or_else(|| shared.cfg.venue.not_found(&req));
        let (status, extra, body) = match reply {
            crate::exchange::Reply::Drop => return Ok(()),
            crate::exchange::Reply::Respond { status, headers, body } => (status, headers, body),
        };
        let mut head = format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: keep-alive\r\n",
            body.len(),
        );
        for (k, v) in extra {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        s.write_all(head.as_bytes())?;
        s.write_all(body.as_bytes())?;
        s.flush()?;
    }
}

/// Lets the websocket loop poll with a short read timeout, plain or TLS.
trait SetTimeout {
    fn set_timeout(&self, d: Option<Duration>) -> io::Result<()>;
}

impl SetTimeout for TcpStream {
    fn set_timeout(&self, d: Option<Duration>) -> io::Result<()> {
        self.set_read_timeout(d)
    }
}

impl SetTimeout for rustls::StreamOwned<rustls::ServerConnection, TcpStream> {
    fn set_timeout(&self, d: Option<Duration>) -> io::Result<()> {
        self.sock.set_read_timeout(d)
    }
}

impl<S: SetTimeout> SetTimeout for Replay<S> {
    fn set_timeout(&self, d: Option<Duration>) -> io::Result<()> {
        self.inner.set_timeout(d)
    }
}

fn is_timeout(e: &tungstenite::Error) -> bool {
    matches!(e, tungstenite::Error::Io(io) if matches!(io.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut))
}

/// One connection's private side: the stream that speaks it, and the account events it has
/// sent so far, once it knows the account (from its path, or a login).
struct Follower {
    stream: Box<dyn venue::PrivateStream>,
    family: &'static str,
    account: Option<String>,
    next: usize,
}

impl Follower {
    fn new(stream: Box<dyn venue::PrivateStream>, family: &'static str) -> Follower {
        Follower { stream, family, account: None, next: 0 }
    }

    /// Only the events made from the moment the account is known (from the path, or a login
    /// before its reply goes out), as on the venue.
    fn learn(&mut self, shared: &Shared) {
        if self.account.is_none()
            && let Some(key) = self.stream.account()
        {
            self.next = shared.exchange.events_since(&key, self.family, 0).1;
            shared.exchange.session_started();
            self.account = Some(key);
        }
    }

    /// The replies to a client's message.
    fn request(&mut self, shared: &Shared, text: &str) -> Vec<String> {
        self.learn(shared);
        let replies = self.stream.request(text, &shared.exchange);
        self.learn(shared);
        replies
    }

    /// The account's new events, as this connection sends them.
    fn events(&mut self, shared: &Shared) -> Vec<String> {
        let Some(key) = &self.account else { return Vec::new() };
        let (frames, n) = shared.exchange.events_since(key, self.family, self.next);
        self.next = n;
        frames.into_iter().filter_map(|f| self.stream.push(f)).collect()
    }
}

/// How long a venue takes at the least to answer a request on a websocket (a subscribe, a
/// login, a ping): a network round trip. Answering within microseconds, as loopback allows,
/// exposes races in clients that no venue can trigger: pybit records a subscription's `req_id`
/// only after it has sent the request, and drops the connection when the reply comes first.
pub const REPLY_AFTER: Duration = Duration::from_millis(1);

/// Waits [`REPLY_AFTER`] before `replies` go out (not at all when there are none).
fn answer_after_a_round_trip(replies: &[String]) {
    if !replies.is_empty() {
        std::thread::sleep(REPLY_AFTER);
    }
}

/// A private stream: the account's order, fill and balance events as the exchange makes them,
/// spelled by the venue, once the stream knows the account (from its path, or a login).
fn private<S: Read + Write + SetTimeout>(
    shared: &Arc<Shared>,
    mut ws: WebSocket<S>,
    mut follower: Follower,
) -> io::Result<()> {
    ws.get_ref().set_timeout(Some(Duration::from_millis(5)))?;
    follower.learn(shared);
    for g in follower.stream.greeting() {
        ws.send(Message::text(g)).map_err(io::Error::other)?;
    }
    loop {
        if shared.stop.load(Ordering::SeqCst) {
            let _ = ws.close(None);
            return Ok(());
        }
        follower.learn(shared);
        match ws.read() {
            Ok(Message::Text(t)) => {
                let replies = follower.request(shared, t.as_str());
                answer_after_a_round_trip(&replies);
                for reply in replies {
                    ws.send(Message::text(reply)).map_err(io::Error::other)?;
                }
            }
            Ok(Message::Close(_)) => {
                echo_close(&mut ws);
                return Ok(());
            }
            Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed) => return Ok(()),
            Ok(_) => {}
            Err(e) if is_timeout(&e) => {}
            Err(e) => return Err(io::Error::other(e)),
        }
        for f in follower.events(shared) {
            ws.send(Message::text(f)).map_err(io::Error::other)?;
        }
    }
}

fn websocket<S: Read + Write + SetTimeout>(
    shared: &Arc<Shared>,
    stream: S,
    upgrade: &rest::Request<'_>,
) -> io::Result<()> {
    let target = upgrade.target;
    let cfg = WebSocketConfig::default();
    let found = shared.cfg.venues.iter().find_map(|v| Some((v, v.private(upgrade, &shared.exchange)?)));
    // A venue that authenticates in the handshake refuses the upgrade with an HTTP error.
    if let Some((status, body)) = found.as_ref().and_then(|(_, p)| p.refusal()) {
        let mut stream = stream;
        // One write: the head and the body arrive together.
        let response = format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(response.as_bytes())?;
        return stream.flush();
    }
    let mut ws: WebSocket<S> =
        tungstenite::accept_with_config(stream, Some(cfg)).map_err(|e| io::Error::other(e.to_string()))?;
    if let Some((v, stream)) = found {
        return private(shared, ws, Follower::new(stream, v.name()));
    }
    // Private channels the market-stream connection also carries (subscribed with a signature
    // on the same socket), where the venue has them.
    let mut mixed = shared.cfg.venue.mixed_private(upgrade).map(|p| Follower::new(p, shared.cfg.venue.name()));
    ws.get_ref().set_timeout(Some(Duration::from_millis(1)))?;
    let faults = shared.cfg.faults.clone();
    // The books and the log position are taken together: the replica then matches the stream.
    let (mut cursor, books, trades) = {
        let Ok(m) = shared.market.lock() else { return Ok(()) };
        // The last trades before the connection, for venues that send recent trades first.
        let trades: Vec<Ev> = m.log.iter().rev().filter(|e| matches!(e, Ev::Trade { .. })).take(64).cloned().collect();
        (m.base + m.log.len() as u64, m.books.clone(), trades)
    };
    let mut session = Session::new(books, faults.clone());
    session.remember(trades.iter().rev());
    let mut dialect: Box<dyn Dialect> = shared.cfg.venue.stream(&shared.cfg, target, &mut session);
    let mut out = Outbox { binary: dialect.binary(), sent: 0 };
    let (mut depth_seen, mut last_ping) = (0u64, Instant::now());
    let mut last_heard = Instant::now();
    let mut last_heartbeat = Instant::now();
    let heartbeat_every = dialect.heartbeat_every(&faults);
    let idle_cut = dialect.idle_cut(&faults);
    loop {
        if shared.stop.load(Ordering::SeqCst) {
            let _ = ws.close(None);
            return Ok(());
        }
        // Requests from the client.
        match ws.read() {
            Ok(Message::Text(t)) => {
                last_heard = Instant::now();
                let replies = match mixed.as_mut() {
                    Some(p) if p.stream.claims(t.as_str()) => p.request(shared, t.as_str()),
                    _ => dialect.request(t.as_str(), &mut session),
                };
                answer_after_a_round_trip(&replies);
                for reply in replies {
                    out.send(&mut ws, reply)?;
                }
            }
            Ok(Message::Close(_)) => {
                echo_close(&mut ws);
                return Ok(());
            }
            Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed) => return Ok(()),
            Ok(_) => last_heard = Instant::now(),
            Err(e) if is_timeout(&e) => {}
            Err(e) => return Err(io::Error::other(e)),
        }
        if idle_cut.is_some_and(|cut| last_heard.elapsed() >= cut) {
            // The venue cuts a silent client without a close frame.
            return Ok(());
        }
        if let Some(every) = heartbeat_every
            && last_heartbeat.elapsed() >= every
        {
            last_heartbeat = Instant::now();
            match dialect.heartbeat(dialect::now_ms()) {
                Ok(Some(h)) => out.send(&mut ws, h)?,
                Ok(None) => {}
                Err(_) => return Ok(()),
            }
        }
        if let Some(every) = faults.ping_every
            && last_ping.elapsed() >= every
        {
            last_ping = Instant::now();
            ws.send(Message::Ping(b"sim".to_vec().into())).map_err(io::Error::other)?;
        }
        if let Some(p) = mixed.as_mut() {
            for f in p.events(shared) {
                out.send(&mut ws, f)?;
            }
        }
        // New market events.
        let batch: Vec<Ev> = {
            let Ok(m) = shared.market.lock() else { return Ok(()) };
            let end = m.base + m.log.len() as u64;
            cursor = cursor.max(m.base);
            let out = m.log.range((cursor - m.base) as usize..).cloned().collect();
            cursor = end;
            out
        };
        for e in batch {
            session.advance(&e);
            let frames = dialect.event(&e, &mut session);
            if frames.is_empty() {
                continue;
            }
            if let Ev::Depth { closing, .. } = e {
                depth_seen += 1;
                // A lost update shows only through the next one: the market's last is never
                // dropped, or a client's book would differ with nothing to tell it so.
                if faults.gap_every > 0 && depth_seen % faults.gap_every == 0 && !closing {
                    continue;
                }
            }
            for frame in frames {
                if let Some(d) = faults.delay {
                    std::thread::sleep(d);
                }
                if faults.malformed_every > 0 && (out.sent + 1).is_multiple_of(faults.malformed_every) {
                    out.send(&mut ws, dialect.malformed())?;
                }
                if let (Some(log), Some(id)) = (&shared.cfg.send_log, e.trade_id()) {
                    log.record(id, mdbus_bus::now_ns());
                }
                if let Some(rec) = &shared.record
                    && let Ok(mut f) = rec.lock()
                {
                    let _ = writeln!(f, "{frame}");
                    let _ = f.flush();
                }
                let dup = faults.dup_every > 0 && (out.sent + 1).is_multiple_of(faults.dup_every);
                if dup {
                    out.send(&mut ws, frame.clone())?;
                }
                out.send(&mut ws, frame)?;
                if faults.drop_every > 0 && out.sent.is_multiple_of(faults.drop_every) {
                    // An abrupt drop: no close frame.
                    return Ok(());
                }
            }
        }
        if let Ok(m) = shared.market.lock() {
            let _ = shared.ticked.wait_timeout(m, Duration::from_millis(1));
        }
    }
}

/// Sends frames as text, or gzip-compressed in binary messages (HTX); counts them.
struct Outbox {
    binary: bool,
    sent: u64,
}

impl Outbox {
    fn send<S: Read + Write>(&mut self, ws: &mut WebSocket<S>, frame: String) -> io::Result<()> {
        self.sent += 1;
        let msg = if self.binary {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            gz.write_all(frame.as_bytes())?;
            Message::Binary(gz.finish()?.into())
        } else {
            Message::text(frame)
        };
        ws.send(msg).map_err(io::Error::other)
    }
}
