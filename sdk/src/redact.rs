//! Redaction of secrets in URLs, headers and free text before anything reaches a log, an error
//! or an event (the seed's `transport_safety`, kept on every path that prints).
//!
//! A key is sensitive when, lower-cased and stripped of `-`, `_` and spaces, it contains
//! `apikey`, `accesskey`, `secret`, `token`, `signature`, `password`, `passphrase`,
//! `authorization`, `privatekey`, `publickey` or `listenkey`, ends in `sign`, or is `key`
//! (Gate.io's header). Unlike the seed, `timestamp` and `nonce` stay visible: they are not
//! secrets and are what one needs to debug a rejected signature.

/// What replaces a secret.
pub const MASK: &str = "***";

const FRAGMENTS: [&str; 11] = [
    "apikey",
    "accesskey",
    "secret",
    "token",
    "signature",
    "password",
    "passphrase",
    "authorization",
    "privatekey",
    "publickey",
    "listenkey",
];

/// Returns whether a parameter, header or field name holds a secret.
///
/// # Examples
///
/// ```
/// use mdbus_sdk::redact::is_sensitive_key;
/// assert!(is_sensitive_key("X-MBX-APIKEY"));
/// assert!(is_sensitive_key("OK-ACCESS-SIGN"));
/// assert!(is_sensitive_key("signature"));
/// assert!(!is_sensitive_key("symbol"));
/// assert!(!is_sensitive_key("timestamp"));
/// ```
pub fn is_sensitive_key(key: &str) -> bool {
    let norm: String = key.chars().filter(|c| !matches!(c, '-' | '_' | ' ')).flat_map(char::to_lowercase).collect();
    norm == "key" || norm.ends_with("sign") || FRAGMENTS.iter().any(|f| norm.contains(f))
}

/// Redacts a URL: user info, the values of sensitive query parameters, and a listen key in
/// the path (a long segment without `@` after `/ws/` or `/stream/`, as in Binance user-data
/// streams; market streams such as `/ws/btcusdt@trade` stay readable).
///
/// # Examples
///
/// ```
/// use mdbus_sdk::redact::url;
/// assert_eq!(
///     url("https://u:p@api.binance.com/api/v3/order?symbol=BTCUSDT&signature=abc123&timestamp=1"),
///     "https://***@api.binance.com/api/v3/order?symbol=BTCUSDT&signature=***&timestamp=1",
/// );
/// assert_eq!(
///     url("wss://stream.binance.com:9443/ws/pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1"),
///     "wss://stream.binance.com:9443/ws/***",
/// );
/// ```
pub fn url(url: &str) -> String {
    let (head, query) = match url.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (url, None),
    };
    let mut out = String::with_capacity(url.len());
    // User info.
    match head.split_once("://") {
        Some((scheme, rest)) => {
            let authority_end = rest.find('/').unwrap_or(rest.len());
            let (authority, path) = rest.split_at(authority_end);
            out.push_str(scheme);
            out.push_str("://");
            match authority.rsplit_once('@') {
                Some((_, host)) => {
                    out.push_str(MASK);
                    out.push('@');
                    out.push_str(host);
                }
                None => out.push_str(authority),
            }
            out.push_str(&path_redacted(path));
        }
        None => out.push_str(&path_redacted(head)),
    }
    if let Some(q) = query {
        out.push('?');
        out.push_str(&query_redacted(q));
    }
    out
}

fn path_redacted(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut prev = "";
    for (i, seg) in path.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        if matches!(prev, "ws" | "stream") && seg.len() >= 20 && !seg.contains('@') {
            out.push_str(MASK);
        } else {
            out.push_str(seg);
        }
        prev = seg;
    }
    out
}

fn query_redacted(q: &str) -> String {
    q.split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) if is_sensitive_key(k) => format!("{k}={MASK}"),
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Redacts the values of sensitive headers.
///
/// # Examples
///
/// ```
/// use mdbus_sdk::redact::headers;
/// let h = headers([("X-MBX-APIKEY", "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"), ("Content-Type", "application/json")]);
/// assert_eq!(h, [("X-MBX-APIKEY".to_owned(), "***".to_owned()), ("Content-Type".to_owned(), "application/json".to_owned())]);
/// ```
pub fn headers<'a>(headers: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<(String, String)> {
    headers
        .into_iter()
        .map(|(k, v)| (k.to_owned(), if is_sensitive_key(k) { MASK.to_owned() } else { v.to_owned() }))
        .collect()
}

/// Redacts free text: URLs in it (as [`url`]), `key=value`, `key: value` and `"key":"value"`
/// pairs with sensitive keys, and `Bearer` tokens.
///
/// # Examples
///
/// ```
/// use mdbus_sdk::redact::text;
/// assert_eq!(
///     text(r#"sent {"apiKey":"abcd1234","symbol":"BTCUSDT"} with secret=hunter2; Authorization: Bearer eyJhbGciOi"#),
///     r#"sent {"apiKey":"***","symbol":"BTCUSDT"} with secret=***; Authorization: ***"#,
/// );
/// ```
pub fn text(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < b.len() {
        // URLs.
        if let Some(len) = url_len(&s[i..]) {
            out.push_str(&url(&s[i..i + len]));
            i += len;
            continue;
        }
        // `Bearer <token>`.
        if s[i..].starts_with("Bearer ") && (i == 0 || !b[i - 1].is_ascii_alphanumeric()) {
            out.push_str("Bearer ");
            out.push_str(MASK);
            i += 7;
            while i < b.len() && !is_value_end(b[i]) {
                i += 1;
            }
            continue;
        }
        // A key: identifier, optional closing quote, `=` or `:`, optional spaces and quote.
        if is_ident(b[i]) && (i == 0 || !is_ident(b[i - 1])) {
            let start = i;
            let mut j = i;
            while j < b.len() && is_ident(b[j]) {
                j += 1;
            }
            let key = &s[start..j];
            let mut k = j;
            if k < b.len() && b[k] == b'"' {
                k += 1;
            }
            if k < b.len() && (b[k] == b'=' || b[k] == b':') && is_sensitive_key(key) {
                k += 1;
                while k < b.len() && b[k] == b' ' {
                    k += 1;
                }
                let quoted = k < b.len() && b[k] == b'"';
                if quoted {
                    k += 1;
                }
                // An `Authorization: Bearer x` value is masked whole.
                let mut end = k;
                if s[k..].starts_with("Bearer ") {
                    end += 7;
                }
                while end < b.len() && !(if quoted { b[end] == b'"' } else { is_value_end(b[end]) }) {
                    end += 1;
                }
                out.push_str(&s[start..k]);
                out.push_str(MASK);
                i = end;
                continue;
            }
            out.push_str(key);
            i = j;
            continue;
        }
        let ch = s[i..].chars().next().unwrap_or(' ');
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

fn is_value_end(c: u8) -> bool {
    matches!(c, b'&' | b' ' | b'\t' | b'\n' | b'\r' | b',' | b';' | b'"' | b'\'' | b'}' | b']' | b')')
}

/// Length of a URL starting at the beginning of `s`, if one does.
fn url_len(s: &str) -> Option<usize> {
    ["https://", "http://", "wss://", "ws://"].iter().find(|p| s.starts_with(**p))?;
    Some(s.find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>')).unwrap_or(s.len()))
}
