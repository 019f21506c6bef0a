//! HTX's request signature (version 2).

use mdbus_sdk::signing::{MacKey, Part, Scheme, SignError, SignInput, Signature, percent_encode};

/// HTX signature version 2: HMAC-SHA256, base64, over `METHOD\nhost\npath\n` and the request
/// parameters plus `AccessKeyId`, `SignatureMethod=HmacSHA256`, `SignatureVersion=2` and
/// `Timestamp` (UTC `YYYY-MM-DDThh:mm:ss`), URL-encoded and sorted by name.
#[derive(Debug, Clone)]
pub struct HtxSigner(MacKey);

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

    /// Signs a private websocket's `auth` request (signature version 2.1): `GET\nhost\npath\n`
    /// and `accessKey`, `signatureMethod=HmacSHA256`, `signatureVersion=2.1`, `timestamp`,
    /// URL-encoded and sorted by name.
    ///
    /// # Examples
    ///
    /// ```
    /// use mdbus_venues::htx::sign::HtxSigner;
    ///
    /// let s = HtxSigner::new("secret");
    /// let a = s.sign_ws_auth("api.huobi.pro", "/ws/v2", "key", "2019-09-01T18:16:16");
    /// assert_ne!(a.as_str(), s.sign_ws_auth("api.huobi.pro", "/ws/v2", "key", "2019-09-01T18:16:17").as_str());
    /// ```
    pub fn sign_ws_auth(&self, host: &str, path: &str, access_key: &str, timestamp: &str) -> Signature {
        let (mut key, mut ts) = (String::new(), String::new());
        percent_encode(access_key, &mut key);
        percent_encode(timestamp, &mut ts);
        let q = format!("accessKey={key}&signatureMethod=HmacSHA256&signatureVersion=2.1&timestamp={ts}");
        self.0.base64(&Self::payload("GET", host, path, &q))
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

/// The scheme by name, for `mdbus sign` and the Python binding: positional parts are
/// method, host, path, apikey, timestamp.
pub const SCHEME: Scheme =
    Scheme { venue: "htx", parts: &[Part::Method, Part::Host, Part::Path, Part::ApiKey, Part::Timestamp], sign };

fn sign(secret: &str, input: &SignInput) -> Result<String, SignError> {
    let what = "method, host, path and the sorted parameters with AccessKeyId and Timestamp";
    let method = SignInput::need(&input.method, "htx", what, "method")?.to_ascii_uppercase();
    let host = SignInput::need(&input.host, "htx", what, "host")?.to_ascii_lowercase();
    let path = SignInput::need(&input.path, "htx", what, "path")?;
    let key = SignInput::need(&input.api_key, "htx", what, "api-key")?;
    let ts = SignInput::need(&input.timestamp, "htx", what, "timestamp")?;
    let mut params = Vec::new();
    for p in input.query.as_deref().unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        params.push(p.split_once('=').ok_or_else(|| SignError::BadParam { venue: "htx", param: p.to_owned() })?);
    }
    Ok(HtxSigner::new(secret).sign(&method, &host, path, key, ts, &params).1.to_string())
}
