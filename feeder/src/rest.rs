//! A keep-alive HTTP/1.1 client for REST depth snapshots (plain or TLS), blocking with
//! timeouts. It runs between bursts of frame handling, never inside the decode path.

use std::{
    io::{self, BufRead, BufReader, Write},
    net::{TcpStream, ToSocketAddrs},
    sync::Arc,
    time::Duration,
};

use rustls::{ClientConfig, ClientConnection, StreamOwned, pki_types::ServerName};

use crate::url::Endpoint;

/// Errors of a REST request.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RestError {
    /// The URL is not http(s).
    #[error("not an http(s) url: {0}")]
    Url(String),
    /// Connecting, sending or receiving failed.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The response is not HTTP/1.1 as expected.
    #[error("malformed response: {0}")]
    Response(String),
    /// The server answered with an error status.
    #[error("http status {status}: {body}")]
    Status {
        /// The status code.
        status: u16,
        /// The body, for the venue's error code.
        body: String,
    },
}

enum Conn {
    Plain(BufReader<TcpStream>),
    Tls(Box<BufReader<StreamOwned<ClientConnection, TcpStream>>>),
}

impl Conn {
    fn reader(&mut self) -> &mut dyn BufRead {
        match self {
            Conn::Plain(r) => r,
            Conn::Tls(r) => r.as_mut(),
        }
    }

    fn writer(&mut self) -> &mut dyn Write {
        match self {
            Conn::Plain(r) => r.get_mut(),
            Conn::Tls(r) => r.get_mut(),
        }
    }
}

/// A keep-alive client for one host.
pub struct RestClient {
    endpoint: Endpoint,
    tls: Arc<ClientConfig>,
    timeout: Duration,
    conn: Option<Conn>,
}

impl std::fmt::Debug for RestClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RestClient").field("endpoint", &self.endpoint).field("connected", &self.conn.is_some()).finish()
    }
}

impl RestClient {
    /// A client for the host of `base_url`.
    ///
    /// # Errors
    ///
    /// [`RestError::Url`] when `base_url` is not http(s).
    pub fn new(base_url: &str, tls: Arc<ClientConfig>) -> Result<RestClient, RestError> {
        let endpoint = Endpoint::parse(base_url).ok_or_else(|| RestError::Url(base_url.to_owned()))?;
        Ok(RestClient { endpoint, tls, timeout: Duration::from_secs(5), conn: None })
    }

    fn connect(&self) -> Result<Conn, RestError> {
        let addr = (self.endpoint.host.as_str(), self.endpoint.port)
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| RestError::Response(format!("cannot resolve {}", self.endpoint.host)))?;
        let sock = TcpStream::connect_timeout(&addr, self.timeout)?;
        sock.set_read_timeout(Some(self.timeout))?;
        sock.set_write_timeout(Some(self.timeout))?;
        sock.set_nodelay(true)?;
        if !self.endpoint.tls {
            return Ok(Conn::Plain(BufReader::new(sock)));
        }
        let name = ServerName::try_from(self.endpoint.host.clone()).map_err(|e| RestError::Url(e.to_string()))?;
        let conn = ClientConnection::new(self.tls.clone(), name).map_err(|e| RestError::Io(io::Error::other(e)))?;
        Ok(Conn::Tls(Box::new(BufReader::new(StreamOwned::new(conn, sock)))))
    }

    /// Sends `GET path` (path and query) and returns the body of a 2xx response. Reuses the
    /// connection; reconnects once if the kept-alive connection was closed.
    ///
    /// # Errors
    ///
    /// [`RestError::Status`] for a non-2xx status (with the body), I/O and protocol errors.
    pub fn get(&mut self, path: &str) -> Result<Vec<u8>, RestError> {
        let reused = self.conn.is_some();
        match self.try_get(path) {
            Err(RestError::Io(_)) | Err(RestError::Response(_)) if reused => {
                // The kept-alive connection had gone away: one fresh attempt.
                self.try_get(path)
            }
            other => other,
        }
    }

    fn try_get(&mut self, path: &str) -> Result<Vec<u8>, RestError> {
        let mut conn = match self.conn.take() {
            Some(c) => c,
            None => self.connect()?,
        };
        let host = &self.endpoint.host;
        write!(
            conn.writer(),
            "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: mdbus\r\nAccept: application/json\r\nConnection: keep-alive\r\n\r\n"
        )?;
        conn.writer().flush()?;
        let r = conn.reader();
        let mut status_line = String::new();
        if r.read_line(&mut status_line)? == 0 {
            return Err(RestError::Response("connection closed".into()));
        }
        let status: u16 = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| RestError::Response(status_line.trim().to_owned()))?;
        let (mut length, mut chunked, mut close) = (None, false, false);
        loop {
            let mut line = String::new();
            r.read_line(&mut line)?;
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
                match k.as_str() {
                    "content-length" => length = v.parse::<usize>().ok(),
                    "transfer-encoding" => chunked = v.eq_ignore_ascii_case("chunked"),
                    "connection" => close = v.eq_ignore_ascii_case("close"),
                    _ => {}
                }
            }
        }
        let mut body = Vec::new();
        if chunked {
            loop {
                let mut size = String::new();
                r.read_line(&mut size)?;
                let n = usize::from_str_radix(size.trim().split(';').next().unwrap_or(""), 16)
                    .map_err(|_| RestError::Response(format!("bad chunk size {size:?}")))?;
                let start = body.len();
                body.resize(start + n + 2, 0);
                r.read_exact(&mut body[start..])?;
                body.truncate(start + n);
                if n == 0 {
                    break;
                }
            }
        } else if let Some(n) = length {
            body.resize(n, 0);
            r.read_exact(&mut body)?;
        } else {
            r.read_to_end(&mut body)?;
            close = true;
        }
        if !close {
            self.conn = Some(conn);
        }
        if !(200..300).contains(&status) {
            return Err(RestError::Status { status, body: String::from_utf8_lossy(&body).into_owned() });
        }
        Ok(body)
    }
}
