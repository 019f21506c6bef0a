//! A Binance account's private stream: creates the user-data listen key through the order
//! client, keeps it alive on schedule (every 30 minutes by default; Binance expires keys after
//! 60), holds the websocket to `<ws_url>/<listenKey>`, decodes order, fill, balance and
//! position events, and publishes them into the account's ring (`<account>.account`).

use std::{io, sync::Arc, time::Duration};

use mdbus_bus::Writer;
use mdbus_sdk::{
    clock::{Clock, SystemClock},
    error::{Error, ErrorCode},
};

use super::order::BinanceClient;
use rustls::ClientConfig;
use tungstenite::{Message, WebSocket};

use super::account::AccountDecoder;
use mdbus_feeder::account::{
    AccountDriver, AccountEvent, AccountStats, AccountStreamError, Stream, connect_ws, publish, socket_err,
};

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
}

impl<C: Clock + Send> AccountDriver for AccountStream<C> {
    fn stats(&self) -> AccountStats {
        self.stats
    }

    fn poll(&mut self) -> Result<usize, AccountStreamError> {
        AccountStream::poll(self)
    }

    fn disconnect(&mut self) {
        self.ws = None;
    }

    fn writer(&mut self) -> &mut Writer {
        &mut self.writer
    }
}
