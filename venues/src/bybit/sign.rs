//! Bybit's request signature.

use mdbus_sdk::signing::{MacKey, Part, Scheme, SignError, SignInput, Signature};

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

    /// Signs a private websocket's `auth` request: `GET/realtime` + expires (ms).
    ///
    /// # Examples
    ///
    /// ```
    /// use mdbus_venues::bybit::sign::BybitSigner;
    ///
    /// // The same bytes as `hex(HMAC-SHA256(secret, "GET/realtime" + expires))`.
    /// let s = BybitSigner::new("secret");
    /// assert_eq!(s.sign_ws_auth("1662350400000").as_str().len(), 64);
    /// ```
    pub fn sign_ws_auth(&self, expires: &str) -> Signature {
        self.0.hex(&[b"GET/realtime", expires.as_bytes()])
    }
}

/// The scheme by name, for `mdbus sign` and the Python binding: positional parts are
/// timestamp, apikey, recvwindow, body.
pub const SCHEME: Scheme =
    Scheme { venue: "bybit", parts: &[Part::Timestamp, Part::ApiKey, Part::RecvWindow, Part::Body], sign };

fn sign(secret: &str, input: &SignInput) -> Result<String, SignError> {
    let what = "timestamp + api key + recv window + (query or body)";
    let ts = SignInput::need(&input.timestamp, "bybit", what, "timestamp")?;
    let key = SignInput::need(&input.api_key, "bybit", what, "api-key")?;
    let rw = SignInput::need(&input.recv_window, "bybit", what, "recv-window")?;
    let payload = input.body.as_deref().or(input.query.as_deref()).unwrap_or("");
    Ok(BybitSigner::new(secret).sign(ts, key, rw, payload).to_string())
}
