//! A keep-alive HTTP/1.1 client (plain or TLS through rustls), blocking with timeouts: one
//! connection to one host, warmed up ahead of the first request and reused.
//!
//! For the order path it tells apart a request that certainly never reached the venue
//! ([`HttpError::NotSent`]) from one whose outcome is unknown ([`HttpError::NoResponse`]:
//! sent, then no complete answer), because only the first may be sent again blindly.

use std::{
    io::{self, BufRead, BufReader, Read, Write},
    net::{TcpStream, ToSocketAddrs},
    sync::Arc,
    time::Duration,
};

use rustls::{ClientConfig, ClientConnection, StreamOwned, pki_types::ServerName};

use crate::url::Endpoint;

/// Largest response body accepted (venue responses are kilobytes).
pub const MAX_BODY: usize = 16 << 20;
/// Largest response head accepted.
const MAX_HEAD: usize = 64 << 10;
/// Most headers accepted in a response.
const MAX_HEADERS: usize = 200;

/// Errors of an HTTP request.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// The URL is not http(s).
    #[error("not an http(s) url: {0}")]
    Url(String),
    /// The request was certainly not delivered (no connection, or nothing was written).
    #[error("request not sent: {0}")]
    NotSent(#[source] io::Error),
    /// The request was sent but no complete response came back (timeout, connection lost):
    /// the venue may or may not have acted on it.
    #[error("no response after sending: {0}")]
    NoResponse(#[source] io::Error),
    /// The response is not HTTP/1.1 as expected.
    #[error("malformed response: {0}")]
    Response(String),
}

impl HttpError {
    /// Returns whether the venue may have received the request.
    pub fn maybe_delivered(&self) -> bool {
        matches!(self, HttpError::NoResponse(_) | HttpError::Response(_))
    }
}

/// A response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Headers, names in lower case.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
}

impl Response {
    /// Returns the first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Returns `Retry-After` in whole seconds, if present.
    pub fn retry_after(&self) -> Option<Duration> {
        self.header("retry-after").and_then(|v| v.trim().parse::<u64>().ok()).map(Duration::from_secs)
    }

    /// Returns whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
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

    fn socket(&self) -> &TcpStream {
        match self {
            Conn::Plain(r) => r.get_ref(),
            Conn::Tls(r) => &r.get_ref().sock,
        }
    }

    /// Returns whether the peer has closed the idle connection (or sent an unasked response).
    fn closed_by_peer(&mut self) -> bool {
        match self {
            Conn::Plain(r) => {
                if !r.buffer().is_empty() {
                    return true;
                }
                let s = r.get_ref();
                if s.set_nonblocking(true).is_err() {
                    return true;
                }
                let mut b = [0u8; 1];
                // Any byte on an idle plain connection is either EOF or a response nobody asked for.
                let gone = !matches!(s.peek(&mut b), Err(e) if e.kind() == io::ErrorKind::WouldBlock);
                gone || s.set_nonblocking(false).is_err()
            }
            Conn::Tls(r) => {
                if !r.buffer().is_empty() {
                    return true;
                }
                let so = r.get_mut();
                if so.sock.set_nonblocking(true).is_err() {
                    return true;
                }
                // TLS 1.3 servers send session tickets after the handshake: process whatever
                // records arrived, then see whether they closed the session or held data.
                let io = so.conn.complete_io(&mut so.sock);
                let mut b = [0u8; 1];
                let gone = match io {
                    Err(e) if e.kind() != io::ErrorKind::WouldBlock => true,
                    _ => !matches!(so.conn.reader().read(&mut b), Err(e) if e.kind() == io::ErrorKind::WouldBlock),
                };
                gone || so.sock.set_nonblocking(false).is_err()
            }
        }
    }
}

/// A keep-alive client for one host.
pub struct HttpClient {
    endpoint: Endpoint,
    tls: Arc<ClientConfig>,
    timeout: Duration,
    conn: Option<Conn>,
    connects: u64,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("endpoint", &self.endpoint)
            .field("connected", &self.conn.is_some())
            .field("connects", &self.connects)
            .finish()
    }
}

impl HttpClient {
    /// Returns a client for the host of `base_url` (its path is ignored), with a 5 s timeout.
    ///
    /// # Errors
    ///
    /// [`HttpError::Url`] when `base_url` is not http(s).
    pub fn new(base_url: &str, tls: Arc<ClientConfig>) -> Result<HttpClient, HttpError> {
        let endpoint = Endpoint::parse(base_url).ok_or_else(|| HttpError::Url(base_url.to_owned()))?;
        Ok(HttpClient { endpoint, tls, timeout: Duration::from_secs(5), conn: None, connects: 0 })
    }

    /// Sets the connect, write and read timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> HttpClient {
        self.timeout = timeout;
        self
    }

    /// Sets the connect, write and read timeout of this and later connections.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
        if let Some(c) = &self.conn {
            let _ = c.socket().set_read_timeout(Some(timeout));
            let _ = c.socket().set_write_timeout(Some(timeout));
        }
    }

    /// Returns the host the client talks to.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// Returns how many connections have been opened (1 while keep-alive holds).
    pub fn connects(&self) -> u64 {
        self.connects
    }

    /// Drops the connection (the next request opens a new one).
    pub fn disconnect(&mut self) {
        self.conn = None;
    }

    fn connect(&mut self) -> Result<Conn, HttpError> {
        let not_sent = HttpError::NotSent;
        let addr = (self.endpoint.host.as_str(), self.endpoint.port)
            .to_socket_addrs()
            .map_err(not_sent)?
            .next()
            .ok_or_else(|| not_sent(io::Error::other(format!("cannot resolve {}", self.endpoint.host))))?;
        let sock = TcpStream::connect_timeout(&addr, self.timeout).map_err(not_sent)?;
        sock.set_read_timeout(Some(self.timeout)).map_err(not_sent)?;
        sock.set_write_timeout(Some(self.timeout)).map_err(not_sent)?;
        sock.set_nodelay(true).map_err(not_sent)?;
        self.connects += 1;
        if !self.endpoint.tls {
            return Ok(Conn::Plain(BufReader::new(sock)));
        }
        let name = ServerName::try_from(self.endpoint.host.clone()).map_err(|e| HttpError::Url(e.to_string()))?;
        let mut tls = ClientConnection::new(self.tls.clone(), name).map_err(|e| not_sent(io::Error::other(e)))?;
        let mut sock = sock;
        // Finish the handshake now, so that the request itself is one write.
        while tls.is_handshaking() {
            tls.complete_io(&mut sock).map_err(not_sent)?;
        }
        Ok(Conn::Tls(Box::new(BufReader::new(StreamOwned::new(tls, sock)))))
    }

    /// Opens the connection (TCP and TLS handshake) if there is none, so that the first
    /// request does not pay for it.
    ///
    /// # Errors
    ///
    /// [`HttpError::NotSent`] when the host cannot be reached.
    pub fn warm_up(&mut self) -> Result<(), HttpError> {
        if self.conn.as_mut().is_none_or(Conn::closed_by_peer) {
            self.conn = Some(self.connect()?);
        }
        Ok(())
    }

    /// Sends one request and reads the response, whatever its status. `target` is the path
    /// and query; `headers` are added to `Host`, `User-Agent`, `Content-Length` and
    /// `Connection`. A kept-alive connection the server has closed is replaced before
    /// sending, so a stale connection never turns into an unknown outcome.
    ///
    /// # Errors
    ///
    /// [`HttpError::NotSent`] if nothing reached the server, [`HttpError::NoResponse`] or
    /// [`HttpError::Response`] if it was sent and no valid response came back.
    pub fn request(
        &mut self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Response, HttpError> {
        self.warm_up()?;
        let Some(mut conn) = self.conn.take() else {
            return Err(HttpError::NotSent(io::Error::other("no connection")));
        };
        let mut head = String::with_capacity(256 + target.len());
        head.push_str(method);
        head.push(' ');
        head.push_str(target);
        head.push_str(" HTTP/1.1\r\nHost: ");
        head.push_str(&self.endpoint.host);
        // The port, unless it is the scheme's default (RFC 9110, 7.2).
        if self.endpoint.port != if self.endpoint.tls { 443 } else { 80 } {
            head.push(':');
            head.push_str(&self.endpoint.port.to_string());
        }
        head.push_str("\r\nUser-Agent: mdbus\r\nConnection: keep-alive\r\n");
        for (k, v) in headers {
            head.push_str(k);
            head.push_str(": ");
            head.push_str(v);
            head.push_str("\r\n");
        }
        if !body.is_empty() || matches!(method, "POST" | "PUT" | "DELETE") {
            head.push_str("Content-Length: ");
            head.push_str(&body.len().to_string());
            head.push_str("\r\n");
        }
        head.push_str("\r\n");
        let mut msg = head.into_bytes();
        msg.extend_from_slice(body);
        // A failed write may have sent part of the request: from here on the outcome is unknown.
        let w = conn.writer();
        w.write_all(&msg).and_then(|()| w.flush()).map_err(HttpError::NoResponse)?;
        let (resp, keep) = read_response(conn.reader(), method == "HEAD")?;
        if keep {
            self.conn = Some(conn);
        }
        Ok(resp)
    }

    /// Sends `GET target` and returns the body of a 2xx response.
    ///
    /// # Errors
    ///
    /// As [`HttpClient::request`], and [`HttpError::Response`] carrying the status and body
    /// for a non-2xx status.
    pub fn get(&mut self, target: &str) -> Result<Vec<u8>, HttpError> {
        let r = self.request("GET", target, &[("Accept", "application/json")], b"")?;
        if !r.is_success() {
            return Err(HttpError::Response(format!("http status {}: {}", r.status, String::from_utf8_lossy(&r.body))));
        }
        Ok(r.body)
    }
}

fn lost(e: io::Error) -> HttpError {
    HttpError::NoResponse(e)
}

/// Reads one response; returns it and whether the connection stays usable.
fn read_response(r: &mut dyn BufRead, head_only: bool) -> Result<(Response, bool), HttpError> {
    // The head, line by line up to the blank line, then parsed by httparse (as hyper does).
    let mut head = Vec::with_capacity(512);
    loop {
        let start = head.len();
        if r.read_until(b'\n', &mut head).map_err(lost)? == 0 {
            return Err(HttpError::NoResponse(io::ErrorKind::UnexpectedEof.into()));
        }
        if head.len() > MAX_HEAD {
            return Err(HttpError::Response(format!("response head larger than {MAX_HEAD} bytes")));
        }
        if matches!(&head[start..], b"\r\n" | b"\n") && start > 0 {
            break;
        }
    }
    let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Response::new(&mut slots);
    match parsed.parse(&head) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => return Err(HttpError::Response("incomplete response head".into())),
        Err(httparse::Error::TooManyHeaders) => return Err(HttpError::Response("too many headers".into())),
        Err(e) => {
            let first = head.split(|b| *b == b'\n').next().unwrap_or_default();
            return Err(HttpError::Response(format!(
                "bad response head ({e}): {:?}",
                String::from_utf8_lossy(first).trim()
            )));
        }
    }
    let status = parsed.code.ok_or_else(|| HttpError::Response("no status code".into()))?;
    let (mut length, mut chunked, mut close) = (None, false, false);
    let mut headers = Vec::with_capacity(parsed.headers.len());
    for h in parsed.headers.iter() {
        let (k, v) = (h.name.to_ascii_lowercase(), String::from_utf8_lossy(h.value).trim().to_owned());
        match k.as_str() {
            "content-length" => length = v.parse::<usize>().ok(),
            "transfer-encoding" => chunked = v.eq_ignore_ascii_case("chunked"),
            "connection" => close = v.eq_ignore_ascii_case("close"),
            _ => {}
        }
        headers.push((k, v));
    }
    let mut body = Vec::new();
    if head_only || status == 204 || status == 304 {
        // No body.
    } else if chunked {
        loop {
            let mut size = String::new();
            r.read_line(&mut size).map_err(lost)?;
            let n = usize::from_str_radix(size.trim().split(';').next().unwrap_or(""), 16)
                .map_err(|_| HttpError::Response(format!("bad chunk size {size:?}")))?;
            if body.len() + n > MAX_BODY {
                return Err(HttpError::Response(format!("body larger than {MAX_BODY} bytes")));
            }
            let start = body.len();
            body.resize(start + n + 2, 0);
            r.read_exact(&mut body[start..]).map_err(lost)?;
            body.truncate(start + n);
            if n == 0 {
                break;
            }
        }
    } else if let Some(n) = length {
        if n > MAX_BODY {
            return Err(HttpError::Response(format!("body of {n} bytes is larger than {MAX_BODY}")));
        }
        body.resize(n, 0);
        r.read_exact(&mut body).map_err(lost)?;
    } else {
        r.take(MAX_BODY as u64).read_to_end(&mut body).map_err(lost)?;
        close = true;
    }
    Ok((Response { status, headers, body }, !close))
}
