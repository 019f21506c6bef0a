//! Gemini's request signature.

use base64::Engine;
use mdbus_sdk::signing::{MacKey, Part, Scheme, SignError, SignInput, Signature};

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

/// The scheme by name, for `mdbus sign` and the Python binding: positional parts are
/// body.
pub const SCHEME: Scheme = Scheme { venue: "gemini", parts: &[Part::Body], sign };

fn sign(secret: &str, input: &SignInput) -> Result<String, SignError> {
    let body = SignInput::need(&input.body, "gemini", "the base64 of the JSON payload", "body")?;
    Ok(GeminiSigner::new(secret).sign(body).1.to_string())
}
