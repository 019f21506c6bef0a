//! Binance's request signature.

use mdbus_sdk::signing::{MacKey, Part, Scheme, SignError, SignInput, Signature};

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

/// The scheme by name, for `mdbus sign` and the Python binding: positional parts are
/// query, body.
pub const SCHEME: Scheme = Scheme { venue: "binance", parts: &[Part::Query, Part::Body], sign };

fn sign(secret: &str, input: &SignInput) -> Result<String, SignError> {
    if input.query.is_none() && input.body.is_none() {
        return Err(SignError::Missing { venue: "binance", what: "the query string and body", flag: "query" });
    }
    let opt = |o: &Option<String>| o.clone().unwrap_or_default();
    Ok(BinanceSigner::new(secret).sign(&opt(&input.query), &opt(&input.body)).to_string())
}
