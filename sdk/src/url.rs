//! The small part of URL parsing mdbus needs: scheme, host, port, path.

/// A parsed `ws://`, `wss://`, `http://` or `https://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Whether TLS is used (`wss`, `https`).
    pub tls: bool,
    /// Host name or address.
    pub host: String,
    /// Port (defaults: 80 / 443).
    pub port: u16,
    /// Path and query, starting with `/`.
    pub path: String,
}

impl Endpoint {
    /// Parses a URL.
    ///
    /// # Examples
    ///
    /// ```
    /// use mdbus_sdk::url::Endpoint;
    /// let e = Endpoint::parse("wss://stream.binance.com:9443/stream").unwrap();
    /// assert_eq!((e.tls, e.host.as_str(), e.port, e.path.as_str()), (true, "stream.binance.com", 9443, "/stream"));
    /// assert_eq!(Endpoint::parse("http://127.0.0.1").unwrap().port, 80);
    /// assert!(Endpoint::parse("ftp://x").is_none());
    /// ```
    pub fn parse(url: &str) -> Option<Endpoint> {
        let (tls, rest) = if let Some(r) = url.strip_prefix("wss://") {
            (true, r)
        } else if let Some(r) = url.strip_prefix("https://") {
            (true, r)
        } else if let Some(r) = url.strip_prefix("ws://") {
            (false, r)
        } else if let Some(r) = url.strip_prefix("http://") {
            (false, r)
        } else {
            return None;
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => (h, p.parse().ok()?),
            None => (authority, if tls { 443 } else { 80 }),
        };
        if host.is_empty() {
            return None;
        }
        Some(Endpoint { tls, host: host.to_owned(), port, path: path.to_owned() })
    }

    /// Returns the URL text.
    pub fn url(&self, ws: bool) -> String {
        let scheme = match (ws, self.tls) {
            (true, true) => "wss",
            (true, false) => "ws",
            (false, true) => "https",
            (false, false) => "http",
        };
        format!("{scheme}://{}:{}{}", self.host, self.port, self.path)
    }
}
