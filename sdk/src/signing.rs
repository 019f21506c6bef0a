//! Request signing for every venue mdbus trades on.
//!
//! Each venue is two small pieces kept apart: **which bytes to sign** (a function returning
//! the venue's pre-hash as a list of byte slices, never concatenated into a new buffer) and
//! **the MAC and its encoding** ([`MacKey`] keyed once per API secret and cloned per request,
//! then hex or base64 into a fixed-size [`Signature`]). Signing allocates nothing beyond what a
//! scheme puts in the request itself (HTX's sorted query, Gemini's base64 payload) and never
//! panics.
//!
//! | venue | signs | MAC | encoding |
//! |---|---|---|---|
//! | Binance | query string followed by the form body | HMAC-SHA256 | hex |
//! | OKX | timestamp + method + path with query + body | HMAC-SHA256 | base64 |
//! | OKX websocket login | timestamp (seconds) + `GET` + `/users/self/verify` | HMAC-SHA256 | base64 |
//! | Bybit v5 | timestamp + API key + recv window + (query or JSON body) | HMAC-SHA256 | hex |
//! | Gate.io v4 | method, path, query, hex SHA-512 of the body, timestamp, joined by `\n` | HMAC-SHA512 | hex |
//! | HTX v2 | method, host, path and the sorted, encoded parameters, joined by `\n` | HMAC-SHA256 | base64 |
//! | Gemini | the base64 of the JSON payload | HMAC-SHA384 | hex |
//!
//! # Examples
//!
//! Binance's documented example:
//!
//! ```
//! use mdbus_sdk::signing::BinanceSigner;
//!
//! let signer = BinanceSigner::new("NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j");
//! let sig = signer.sign(
//!     "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559",
//!     "",
//! );
//! assert_eq!(sig.as_str(), "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71");
//! ```

use std::fmt;

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256, Sha384, Sha512};

/// The venues with a signer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignVenue {
    /// Binance spot and USD-M futures.
    Binance,
    /// OKX v5.
    Okx,
    /// Bybit v5.
    Bybit,
    /// Gate.io v4.
    Gateio,
    /// HTX (Huobi) signature version 2.
    Htx,
    /// Gemini.
    Gemini,
}

impl SignVenue {
    /// Every venue.
    pub const ALL: [SignVenue; 6] =
        [SignVenue::Binance, SignVenue::Okx, SignVenue::Bybit, SignVenue::Gateio, SignVenue::Htx, SignVenue::Gemini];

    /// Returns the venue's short name (`binance`, `okx`, `bybit`, `gateio`, `htx`, `gemini`).
    pub fn name(self) -> &'static str {
        match self {
            SignVenue::Binance => "binance",
            SignVenue::Okx => "okx",
            SignVenue::Bybit => "bybit",
            SignVenue::Gateio => "gateio",
            SignVenue::Htx => "htx",
            SignVenue::Gemini => "gemini",
        }
    }

    /// Returns the venue with this short name.
    pub fn from_name(name: &str) -> Option<SignVenue> {
        SignVenue::ALL.into_iter().find(|v| v.name() == name)
    }
}

/// A signature as text, in a fixed buffer (the longest, hex SHA-512, is 128 characters).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signature {
    buf: [u8; 128],
    len: u8,
}

impl Signature {
    /// Returns the signature text.
    pub fn as_str(&self) -> &str {
        // Only ASCII hex or base64 digits are ever written.
        std::str::from_utf8(&self.buf[..usize::from(self.len)]).unwrap_or_default()
    }

    fn hex(bytes: &[u8]) -> Signature {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut s = Signature { buf: [0; 128], len: 0 };
        for (i, b) in bytes.iter().take(64).enumerate() {
            s.buf[2 * i] = DIGITS[usize::from(b >> 4)];
            s.buf[2 * i + 1] = DIGITS[usize::from(b & 15)];
        }
        s.len = (bytes.len().min(64) * 2) as u8;
        s
    }

    fn base64(bytes: &[u8]) -> Signature {
        let mut s = Signature { buf: [0; 128], len: 0 };
        let n = base64::engine::general_purpose::STANDARD.encode_slice(bytes, &mut s.buf).unwrap_or(0);
        s.len = n as u8;
        s
    }
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({})", self.as_str())
    }
}

/// An HMAC keyed once with an API secret; each signature clones the keyed state.
#[derive(Clone)]
pub enum MacKey {
    /// HMAC-SHA256.
    Sha256(Hmac<Sha256>),
    /// HMAC-SHA384.
    Sha384(Hmac<Sha384>),
    /// HMAC-SHA512.
    Sha512(Hmac<Sha512>),
}

impl fmt::Debug for MacKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            MacKey::Sha256(_) => "HMAC-SHA256",
            MacKey::Sha384(_) => "HMAC-SHA384",
            MacKey::Sha512(_) => "HMAC-SHA512",
        };
        write!(f, "MacKey({name}, ***)")
    }
}

/// A raw MAC output (up to 64 bytes).
struct Digest64 {
    buf: [u8; 64],
    len: usize,
}

impl Digest64 {
    fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

fn finish(out: &[u8]) -> Digest64 {
    let mut d = Digest64 { buf: [0; 64], len: out.len().min(64) };
    d.buf[..d.len].copy_from_slice(&out[..d.len]);
    d
}

impl MacKey {
    // HMAC accepts keys of any length, so keying cannot fail; the fallback keeps this code
    // free of panics all the same (an empty key would then fail every venue check loudly).
    /// Keys HMAC-SHA256 with `secret`.
    pub fn sha256(secret: &[u8]) -> MacKey {
        MacKey::Sha256(
            <Hmac<Sha256> as KeyInit>::new_from_slice(secret).unwrap_or_else(|_| Hmac::new(&Default::default())),
        )
    }

    /// Keys HMAC-SHA384 with `secret`.
    pub fn sha384(secret: &[u8]) -> MacKey {
        MacKey::Sha384(
            <Hmac<Sha384> as KeyInit>::new_from_slice(secret).unwrap_or_else(|_| Hmac::new(&Default::default())),
        )
    }

    /// Keys HMAC-SHA512 with `secret`.
    pub fn sha512(secret: &[u8]) -> MacKey {
        MacKey::Sha512(
            <Hmac<Sha512> as KeyInit>::new_from_slice(secret).unwrap_or_else(|_| Hmac::new(&Default::default())),
        )
    }

    /// MACs the concatenation of `parts` (without building it).
    fn mac(&self, parts: &[&[u8]]) -> Digest64 {
        match self {
            MacKey::Sha256(k) => {
                let mut m = k.clone();
                parts.iter().for_each(|p| m.update(p));
                finish(&m.finalize().into_bytes())
            }
            MacKey::Sha384(k) => {
                let mut m = k.clone();
                parts.iter().for_each(|p| m.update(p));
                finish(&m.finalize().into_bytes())
            }
            MacKey::Sha512(k) => {
                let mut m = k.clone();
                parts.iter().for_each(|p| m.update(p));
                finish(&m.finalize().into_bytes())
            }
        }
    }

    /// Returns the MAC of the concatenated `parts`, hex-encoded.
    pub fn hex(&self, parts: &[&[u8]]) -> Signature {
        Signature::hex(self.mac(parts).bytes())
    }

    /// Returns the MAC of the concatenated `parts`, base64-encoded.
    pub fn base64(&self, parts: &[&[u8]]) -> Signature {
        Signature::base64(self.mac(parts).bytes())
    }
}

/// Binance: HMAC-SHA256, hex, over the query string followed directly by the form body (no
/// `&` between them: Binance's "totalParams").
#[derive(Debug, Clone)]
pub struct BinanceSigner(MacKey);

impl BinanceSigner {
    /// Keys a signer with the API secret.
    pub fn new(secret: &str) -> BinanceSigner {
        BinanceSigner(MacKey::sha256(secret.as_bytes()))
    }

    /// Which bytes Binance signs.
    pub fn payload<'a>(query: &'a str, body: &'a str) -> [&'a [u8]; 2] {
        [query.as_bytes(), body.as_bytes()]
    }

    /// Signs a request: `query` without `?`, `body` the `application/x-www-form-urlencoded`
    /// body (empty for none). The result goes in the `signature` parameter.
    pub fn sign(&self, query: &str, body: &str) -> Signature {
        self.0.hex(&Self::payload(query, body))
    }
}

/// OKX v5: HMAC-SHA256, base64, over timestamp + method + request path (with `?query` for a
/// GET) + body. The timestamp is ISO 8601 UTC with milliseconds (`2020-12-08T09:08:57.715Z`).
#[derive(Debug, Clone)]
pub struct OkxSigner(MacKey);

impl OkxSigner {
    /// Keys a signer with the API secret.
    pub fn new(secret: &str) -> OkxSigner {
        OkxSigner(MacKey::sha256(secret.as_bytes()))
    }

    /// Which bytes OKX signs for a REST request.
    pub fn payload<'a>(timestamp: &'a str, method: &'a str, request_path: &'a str, body: &'a str) -> [&'a [u8]; 4] {
        [timestamp.as_bytes(), method.as_bytes(), request_path.as_bytes(), body.as_bytes()]
    }

    /// Signs a REST request (`OK-ACCESS-SIGN`). `method` is upper case.
    pub fn sign(&self, timestamp: &str, method: &str, request_path: &str, body: &str) -> Signature {
        self.0.base64(&Self::payload(timestamp, method, request_path, body))
    }

    /// Signs the private websocket login: `timestamp` is Unix seconds.
    pub fn sign_ws_login(&self, timestamp: &str) -> Signature {
        self.0.base64(&Self::payload(timestamp, "GET", "/users/self/verify", ""))
    }
}

/// Bybit v5: HMAC-SHA256, hex, over timestamp (ms) + API key + recv window + payload, where the
/// payload is the query string of a GET or the JSON body of a POST.
#[derive(Debug, Clone)]
pub struct BybitSigner(MacKey);

impl BybitSigner {
    /// Keys a signer with the API secret.
    pub fn new(secret: &str) -> BybitSigner {
        BybitSigner(MacKey::sha256(secret.as_bytes()))
    }

    /// Which bytes Bybit signs.
    pub fn payload<'a>(timestamp: &'a str, api_key: &'a str, recv_window: &'a str, payload: &'a str) -> [&'a [u8]; 4] {
        [timestamp.as_bytes(), api_key.as_bytes(), recv_window.as_bytes(), payload.as_bytes()]
    }

    /// Signs a request (`X-BAPI-SIGN`).
    pub fn sign(&self, timestamp: &str, api_key: &str, recv_window: &str, payload: &str) -> Signature {
        self.0.hex(&Self::payload(timestamp, api_key, recv_window, payload))
    }
}

/// Gate.io v4: HMAC-SHA512, hex, over `METHOD\nPATH\nQUERY\nhex(SHA-512(BODY))\nTIMESTAMP`,
/// the timestamp in Unix seconds and the path including `/api/v4`.
#[derive(Debug, Clone)]
pub struct GateSigner(MacKey);

impl GateSigner {
    /// Keys a signer with the API secret.
    pub fn new(secret: &str) -> GateSigner {
        GateSigner(MacKey::sha512(secret.as_bytes()))
    }

    /// Returns hex SHA-512 of the body, the fourth line of the pre-hash.
    pub fn body_hash(body: &str) -> Signature {
        Signature::hex(&Sha512::digest(body.as_bytes()))
    }

    /// Which bytes Gate.io signs (`body_hash` from [`GateSigner::body_hash`]).
    pub fn payload<'a>(
        method: &'a str,
        path: &'a str,
        query: &'a str,
        body_hash: &'a str,
        timestamp: &'a str,
    ) -> [&'a [u8]; 9] {
        [
            method.as_bytes(),
            b"\n",
            path.as_bytes(),
            b"\n",
            query.as_bytes(),
            b"\n",
            body_hash.as_bytes(),
            b"\n",
            timestamp.as_bytes(),
        ]
    }

    /// Signs a request (`SIGN` header).
    pub fn sign(&self, method: &str, path: &str, query: &str, body: &str, timestamp: &str) -> Signature {
        let h = Self::body_hash(body);
        self.0.hex(&Self::payload(method, path, query, h.as_str(), timestamp))
    }
}

/// HTX signature version 2: HMAC-SHA256, base64, over `METHOD\nhost\npath\n` and the request
/// parameters plus `AccessKeyId`, `SignatureMethod=HmacSHA256`, `SignatureVersion=2` and
/// `Timestamp` (UTC `YYYY-MM-DDThh:mm:ss`), URL-encoded and sorted by name.
#[derive(Debug, Clone)]
pub struct HtxSigner(MacKey);

/// Percent-encodes `s` as HTX (and RFC 3986) expect: unreserved characters stay, everything
/// else becomes `%XX` in upper case.
pub fn percent_encode(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
}

impl HtxSigner {
    /// Keys a signer with the API secret.
    pub fn new(secret: &str) -> HtxSigner {
        HtxSigner(MacKey::sha256(secret.as_bytes()))
    }

    /// Builds the sorted, encoded parameter string: the request's `params` plus the four
    /// signature parameters. This string is both signed and sent as the query.
    pub fn canonical_query(access_key: &str, timestamp: &str, params: &[(&str, &str)]) -> String {
        let mut all: Vec<(&str, &str)> = Vec::with_capacity(params.len() + 4);
        all.extend_from_slice(params);
        all.extend([
            ("AccessKeyId", access_key),
            ("SignatureMethod", "HmacSHA256"),
            ("SignatureVersion", "2"),
            ("Timestamp", timestamp),
        ]);
        let mut encoded: Vec<(String, String)> = all
            .into_iter()
            .map(|(k, v)| {
                let (mut ek, mut ev) = (String::new(), String::new());
                percent_encode(k, &mut ek);
                percent_encode(v, &mut ev);
                (ek, ev)
            })
            .collect();
        // Sorted by encoded name in ASCII order, as the documentation specifies.
        encoded.sort();
        let mut q = String::new();
        for (i, (k, v)) in encoded.iter().enumerate() {
            if i > 0 {
                q.push('&');
            }
            q.push_str(k);
            q.push('=');
            q.push_str(v);
        }
        q
    }

    /// Which bytes HTX signs (`canonical_query` from [`HtxSigner::canonical_query`]).
    pub fn payload<'a>(method: &'a str, host: &'a str, path: &'a str, canonical_query: &'a str) -> [&'a [u8]; 7] {
        [method.as_bytes(), b"\n", host.as_bytes(), b"\n", path.as_bytes(), b"\n", canonical_query.as_bytes()]
    }

    /// Signs a request; returns the canonical query and the signature (to be percent-encoded
    /// into the `Signature` parameter). `host` is lower case, without scheme or port.
    pub fn sign(
        &self,
        method: &str,
        host: &str,
        path: &str,
        access_key: &str,
        timestamp: &str,
        params: &[(&str, &str)],
    ) -> (String, Signature) {
        let q = Self::canonical_query(access_key, timestamp, params);
        let sig = self.0.base64(&Self::payload(method, host, path, &q));
        (q, sig)
    }
}

/// Gemini: HMAC-SHA384, hex, over the base64 of the JSON payload; the base64 goes in
/// `X-GEMINI-PAYLOAD`, the signature in `X-GEMINI-SIGNATURE`.
#[derive(Debug, Clone)]
pub struct GeminiSigner(MacKey);

impl GeminiSigner {
    /// Keys a signer with the API secret.
    pub fn new(secret: &str) -> GeminiSigner {
        GeminiSigner(MacKey::sha384(secret.as_bytes()))
    }

    /// Returns the base64 of the JSON payload (the header value, and the bytes signed).
    pub fn encode_payload(payload_json: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(payload_json.as_bytes())
    }

    /// Signs an encoded payload.
    pub fn sign_encoded(&self, payload_b64: &str) -> Signature {
        self.0.hex(&[payload_b64.as_bytes()])
    }

    /// Encodes and signs a JSON payload; returns the header value and the signature.
    pub fn sign(&self, payload_json: &str) -> (String, Signature) {
        let b64 = Self::encode_payload(payload_json);
        let sig = self.sign_encoded(&b64);
        (b64, sig)
    }
}
