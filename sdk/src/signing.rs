//! Request signing: what every venue's scheme shares. Each venue's signer lives in its own
//! folder of `mdbus-venues` and is two small pieces kept apart: **which bytes to sign** (a
//! function returning the venue's pre-hash as a list of byte slices, never concatenated into
//! a new buffer) and **the MAC and its encoding** ([`MacKey`] keyed once per API secret and
//! cloned per request, then hex or base64 into a fixed-size [`Signature`]). Signing allocates
//! nothing beyond what a scheme puts in the request itself and never panics.
//!
//! Tools and bindings that sign by venue name go through a [`Scheme`]: the venue's name, the
//! request fields it signs, in order, and a function from a venue-neutral [`SignInput`] to the
//! signature text.
//!
//! # Examples
//!
//! Binance's documented example, by hand with a [`MacKey`] and through the venue's scheme:
//!
//! ```
//! use mdbus_sdk::signing::{MacKey, SignInput};
//!
//! let secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
//! let query = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
//! let sig = MacKey::sha256(secret.as_bytes()).hex(&[query.as_bytes()]);
//! assert_eq!(sig.as_str(), "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71");
//!
//! let scheme = mdbus_venues::scheme("binance").unwrap();
//! let input = SignInput { query: Some(query.into()), ..SignInput::default() };
//! assert_eq!((scheme.sign)(secret, &input)?, sig.as_str());
//! # Ok::<(), mdbus_sdk::signing::SignError>(())
//! ```

use std::fmt;

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Sha256, Sha384, Sha512};

/// A request to sign, as tools and bindings describe it without knowing the venue: each
/// venue's [`Scheme`] takes the fields it signs.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SignInput {
    /// API key (Bybit signs it; HTX's `AccessKeyId`).
    pub api_key: Option<String>,
    /// Timestamp as the venue writes it.
    pub timestamp: Option<String>,
    /// HTTP method.
    pub method: Option<String>,
    /// Host.
    pub host: Option<String>,
    /// Request path.
    pub path: Option<String>,
    /// Query string without `?` (for HTX, the request parameters before signing).
    pub query: Option<String>,
    /// Body (for Gemini, the JSON payload).
    pub body: Option<String>,
    /// Receive window.
    pub recv_window: Option<String>,
}

/// One field of a [`SignInput`], for callers that pass a scheme's fields by position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Part {
    /// [`SignInput::api_key`].
    ApiKey,
    /// [`SignInput::timestamp`].
    Timestamp,
    /// [`SignInput::method`].
    Method,
    /// [`SignInput::host`].
    Host,
    /// [`SignInput::path`].
    Path,
    /// [`SignInput::query`].
    Query,
    /// [`SignInput::body`].
    Body,
    /// [`SignInput::recv_window`].
    RecvWindow,
}

impl SignInput {
    /// The input with `values` given for `parts`, in order.
    ///
    /// # Errors
    ///
    /// [`SignError::Parts`] when the counts differ.
    pub fn from_parts(venue: &'static str, parts: &[Part], values: &[String]) -> Result<SignInput, SignError> {
        if parts.len() != values.len() {
            return Err(SignError::Parts { venue, want: parts.len(), got: values.len() });
        }
        let mut input = SignInput::default();
        for (part, value) in parts.iter().zip(values) {
            let field = match part {
                Part::ApiKey => &mut input.api_key,
                Part::Timestamp => &mut input.timestamp,
                Part::Method => &mut input.method,
                Part::Host => &mut input.host,
                Part::Path => &mut input.path,
                Part::Query => &mut input.query,
                Part::Body => &mut input.body,
                Part::RecvWindow => &mut input.recv_window,
            };
            *field = Some(value.clone());
        }
        Ok(input)
    }

    /// The field `flag` names, or [`SignError::Missing`] saying that `venue` signs `what`.
    ///
    /// # Errors
    ///
    /// [`SignError::Missing`] when the field is not given.
    pub fn need<'a>(
        field: &'a Option<String>,
        venue: &'static str,
        what: &'static str,
        flag: &'static str,
    ) -> Result<&'a str, SignError> {
        field.as_deref().ok_or(SignError::Missing { venue, what, flag })
    }
}

/// Why a signature could not be made. Never contains the secret.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// An input the venue's scheme needs is missing.
    #[error("{venue} signs {what}: missing --{flag}")]
    Missing {
        /// The venue.
        venue: &'static str,
        /// What the scheme signs.
        what: &'static str,
        /// The missing field (as the `mdbus sign` flag).
        flag: &'static str,
    },
    /// Fields given by position, but not as many as the scheme signs.
    #[error("{venue} signs {want} parts, got {got}")]
    Parts {
        /// The venue.
        venue: &'static str,
        /// How many the scheme signs.
        want: usize,
        /// How many were given.
        got: usize,
    },
    /// No scheme of this name is registered.
    #[error("unknown venue {venue:?}: use {known}")]
    UnknownVenue {
        /// The name given.
        venue: String,
        /// The registered names.
        known: String,
    },
    /// A request parameter is not `name=value`.
    #[error("{venue} --query parameter {param:?} is not name=value")]
    BadParam {
        /// The venue.
        venue: &'static str,
        /// The parameter.
        param: String,
    },
}

/// A venue's signing scheme, for code that signs by venue name (`mdbus sign`, the Python
/// binding). Each venue defines one beside its signer.
#[derive(Debug, Clone, Copy)]
pub struct Scheme {
    /// The venue's short name (`binance`, `okx`, ...).
    pub venue: &'static str,
    /// The fields it signs, in the order positional callers give them.
    pub parts: &'static [Part],
    /// The signature text of a request.
    pub sign: fn(secret: &str, input: &SignInput) -> Result<String, SignError>,
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

    /// The hex text of `bytes` (at most 64).
    pub fn hex(bytes: &[u8]) -> Signature {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut s = Signature { buf: [0; 128], len: 0 };
        for (i, b) in bytes.iter().take(64).enumerate() {
            s.buf[2 * i] = DIGITS[usize::from(b >> 4)];
            s.buf[2 * i + 1] = DIGITS[usize::from(b & 15)];
        }
        s.len = (bytes.len().min(64) * 2) as u8;
        s
    }

    /// The base64 text of `bytes` (at most 64).
    pub fn base64(bytes: &[u8]) -> Signature {
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

/// Percent-encodes `s` as RFC 3986 expects (HTX's and Binance's query encoding): unreserved characters stay, everything
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
