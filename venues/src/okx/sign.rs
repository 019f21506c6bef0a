//! OKX's request and websocket-login signatures.

use mdbus_sdk::signing::{MacKey, Part, Scheme, SignError, SignInput, Signature};

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

/// The scheme by name, for `mdbus sign` and the Python binding: positional parts are
/// timestamp, method, path, body.
pub const SCHEME: Scheme =
    Scheme { venue: "okx", parts: &[Part::Timestamp, Part::Method, Part::Path, Part::Body], sign };

fn sign(secret: &str, input: &SignInput) -> Result<String, SignError> {
    let what = "timestamp + method + path (+ ?query) + body";
    let ts = SignInput::need(&input.timestamp, "okx", what, "timestamp")?;
    let method = SignInput::need(&input.method, "okx", what, "method")?.to_ascii_uppercase();
    let mut path = SignInput::need(&input.path, "okx", what, "path")?.to_owned();
    if let Some(q) = input.query.as_deref().filter(|q| !q.is_empty()) {
        path.push('?');
        path.push_str(q);
    }
    Ok(OkxSigner::new(secret).sign(ts, &method, &path, input.body.as_deref().unwrap_or("")).to_string())
}
