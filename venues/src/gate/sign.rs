//! Gate.io's request signature.

use mdbus_sdk::signing::{MacKey, Part, Scheme, SignError, SignInput, Signature};
use sha2::{Digest, Sha512};

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

    /// Signs a websocket channel request (`auth.SIGN`): `channel=<c>&event=<e>&time=<t>`, the
    /// time in Unix seconds.
    ///
    /// # Examples
    ///
    /// ```
    /// use mdbus_venues::gate::sign::GateSigner;
    ///
    /// let sig = GateSigner::new("secret").sign_ws("spot.orders", "subscribe", 1605175506);
    /// assert_eq!(sig.as_str().len(), 128);
    /// ```
    pub fn sign_ws(&self, channel: &str, event: &str, time: u64) -> Signature {
        self.0.hex(&[format!("channel={channel}&event={event}&time={time}").as_bytes()])
    }

    /// Signs a request (`SIGN` header).
    pub fn sign(&self, method: &str, path: &str, query: &str, body: &str, timestamp: &str) -> Signature {
        let h = Self::body_hash(body);
        self.0.hex(&Self::payload(method, path, query, h.as_str(), timestamp))
    }
}

/// The scheme by name, for `mdbus sign` and the Python binding: positional parts are
/// method, path, query, body, timestamp.
pub const SCHEME: Scheme =
    Scheme { venue: "gateio", parts: &[Part::Method, Part::Path, Part::Query, Part::Body, Part::Timestamp], sign };

fn sign(secret: &str, input: &SignInput) -> Result<String, SignError> {
    let what = "method, path, query, SHA-512 of the body and timestamp";
    let method = SignInput::need(&input.method, "gateio", what, "method")?.to_ascii_uppercase();
    let path = SignInput::need(&input.path, "gateio", what, "path")?;
    let ts = SignInput::need(&input.timestamp, "gateio", what, "timestamp")?;
    let opt = |o: &Option<String>| o.clone().unwrap_or_default();
    Ok(GateSigner::new(secret).sign(&method, path, &opt(&input.query), &opt(&input.body), ts).to_string())
}
