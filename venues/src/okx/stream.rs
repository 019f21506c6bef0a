//! An OKX account's private stream over the websocket login.

use std::{sync::Arc, time::Duration};

use mdbus_bus::Writer;
use mdbus_sdk::error::{Error, ErrorCode};
use rustls::ClientConfig;
use tungstenite::{Message, WebSocket};

use mdbus_feeder::account::{
    AccountDriver, AccountEvent, AccountStats, AccountStreamError, Stream, connect_ws, is_timeout, publish, socket_err,
};

/// An OKX account's private stream: logs in on `wss://ws.okx.com:8443/ws/v5/private` with the
/// websocket signature, subscribes to `orders`, `account` and `positions`, sends OKX's text
/// `ping` when the line is quiet, and publishes what arrives into the account's ring.
pub struct OkxAccountStream {
    url: String,
    creds: mdbus_sdk::credentials::Credentials,
    signer: super::sign::OkxSigner,
    decoder: super::account::OkxAccountDecoder,
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
        decoder: super::account::OkxAccountDecoder,
        writer: Writer,
        tls: Arc<ClientConfig>,
    ) -> OkxAccountStream {
        let signer = super::sign::OkxSigner::new(creds.secret().expose());
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
        use super::account::Control;
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

impl AccountDriver for OkxAccountStream {
    fn stats(&self) -> AccountStats {
        self.stats
    }

    fn poll(&mut self) -> Result<usize, AccountStreamError> {
        OkxAccountStream::poll(self)
    }

    fn disconnect(&mut self) {
        self.ws = None;
    }

    fn writer(&mut self) -> &mut Writer {
        &mut self.writer
    }
}
