//! What venue dialects share in answering REST requests: the request as the server read it,
//! the answer, and small helpers for query strings and JSON numbers.

/// One HTTP request as the server read it.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// `GET`, `POST`, ...
    pub method: &'a str,
    /// Path and query (`/api/v3/depth?symbol=BTCUSDT`).
    pub target: &'a str,
    /// Header names and values.
    pub headers: &'a [(String, String)],
    /// The body.
    pub body: &'a [u8],
}

impl Request<'_> {
    /// The path, without the query.
    pub fn path(&self) -> &str {
        self.target.split_once('?').map_or(self.target, |(p, _)| p)
    }

    /// The query string without `?` (empty when there is none).
    pub fn query(&self) -> &str {
        self.target.split_once('?').map_or("", |(_, q)| q)
    }

    /// The value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// An HTTP status line text (`200 OK`) and a JSON body.
pub type Answer = (&'static str, String);

/// `200 OK` with `v`.
pub fn json(v: serde_json::Value) -> Answer {
    ("200 OK", v.to_string())
}

/// A decimal text as a JSON number (for venues that write numbers, not strings).
pub fn number(text: &str) -> serde_json::Value {
    text.parse::<serde_json::Number>().map_or(serde_json::Value::Null, serde_json::Value::Number)
}

/// `digits` decimals as a step (`2` → `0.01`, `0` → `1`).
pub fn step(digits: u8) -> String {
    match digits {
        0 => "1".to_owned(),
        d => format!("0.{}1", "0".repeat(usize::from(d) - 1)),
    }
}

/// The value of `key` in `target`'s query string.
pub fn query<'a>(target: &'a str, key: &str) -> Option<&'a str> {
    target.split_once('?')?.1.split('&').find_map(|p| p.strip_prefix(key)?.strip_prefix('='))
}
