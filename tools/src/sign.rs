//! `mdbus sign`: prints one request signature exactly as the venue expects it.

use mdbus_sdk::signing::{BinanceSigner, BybitSigner, GateSigner, GeminiSigner, HtxSigner, OkxSigner, SignVenue};

/// The inputs of `mdbus sign` (each scheme uses the ones it needs).
#[derive(Debug, Default, Clone)]
pub struct SignInput {
    /// API key (Bybit signs it; HTX's `AccessKeyId`).
    pub api_key: Option<String>,
    /// Timestamp as the venue writes it.
    pub timestamp: Option<String>,
    /// HTTP method.
    pub method: Option<String>,
    /// Host (HTX).
    pub host: Option<String>,
    /// Request path.
    pub path: Option<String>,
    /// Query string without `?` (for HTX, the request parameters before signing).
    pub query: Option<String>,
    /// Body (for Gemini, the JSON payload).
    pub body: Option<String>,
    /// Receive window (Bybit).
    pub recv_window: Option<String>,
}

/// Why a signature could not be made. Never contains the secret.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    /// An input the venue's scheme needs is missing.
    #[error("{venue} signs {what}: missing --{flag}")]
    Missing {
        /// The venue.
        venue: &'static str,
        /// What the scheme signs.
        what: &'static str,
        /// The missing flag.
        flag: &'static str,
    },
    /// The venue name is unknown.
    #[error("unknown venue {0:?}: use binance, okx, bybit, gateio, htx or gemini")]
    UnknownVenue(String),
    /// The secret's environment variable is not set.
    #[error("environment variable {0} (--secret-env) is not set")]
    NoSecret(String),
    /// An HTX parameter is not `name=value`.
    #[error("htx --query parameter {0:?} is not name=value")]
    BadParam(String),
}

fn need<'a>(
    v: &'a Option<String>,
    venue: &'static str,
    what: &'static str,
    flag: &'static str,
) -> Result<&'a str, SignError> {
    v.as_deref().ok_or(SignError::Missing { venue, what, flag })
}

/// Returns the signature for `venue` with `secret` over `input`.
///
/// # Errors
///
/// [`SignError`] naming the missing input or unknown venue.
pub fn sign(venue: &str, secret: &str, input: &SignInput) -> Result<String, SignError> {
    let v = SignVenue::from_name(venue).ok_or_else(|| SignError::UnknownVenue(venue.to_owned()))?;
    let name = v.name();
    let opt = |o: &Option<String>| o.clone().unwrap_or_default();
    Ok(match v {
        SignVenue::Binance => {
            if input.query.is_none() && input.body.is_none() {
                return Err(SignError::Missing { venue: "binance", what: "the query string and body", flag: "query" });
            }
            BinanceSigner::new(secret).sign(&opt(&input.query), &opt(&input.body)).to_string()
        }
        SignVenue::Okx => {
            let what = "timestamp + method + path (+ ?query) + body";
            let ts = need(&input.timestamp, name, what, "timestamp")?;
            let method = need(&input.method, name, what, "method")?.to_ascii_uppercase();
            let mut path = need(&input.path, name, what, "path")?.to_owned();
            if let Some(q) = input.query.as_deref().filter(|q| !q.is_empty()) {
                path.push('?');
                path.push_str(q);
            }
            OkxSigner::new(secret).sign(ts, &method, &path, &opt(&input.body)).to_string()
        }
        SignVenue::Bybit => {
            let what = "timestamp + api key + recv window + (query or body)";
            let ts = need(&input.timestamp, name, what, "timestamp")?;
            let key = need(&input.api_key, name, what, "api-key")?;
            let rw = need(&input.recv_window, name, what, "recv-window")?;
            let payload = input.body.as_deref().or(input.query.as_deref()).unwrap_or("");
            BybitSigner::new(secret).sign(ts, key, rw, payload).to_string()
        }
        SignVenue::Gateio => {
            let what = "method, path, query, SHA-512 of the body and timestamp";
            let method = need(&input.method, name, what, "method")?.to_ascii_uppercase();
            let path = need(&input.path, name, what, "path")?;
            let ts = need(&input.timestamp, name, what, "timestamp")?;
            GateSigner::new(secret).sign(&method, path, &opt(&input.query), &opt(&input.body), ts).to_string()
        }
        SignVenue::Htx => {
            let what = "method, host, path and the sorted parameters with AccessKeyId and Timestamp";
            let method = need(&input.method, name, what, "method")?.to_ascii_uppercase();
            let host = need(&input.host, name, what, "host")?.to_ascii_lowercase();
            let path = need(&input.path, name, what, "path")?;
            let key = need(&input.api_key, name, what, "api-key")?;
            let ts = need(&input.timestamp, name, what, "timestamp")?;
            let mut params = Vec::new();
            for p in input.query.as_deref().unwrap_or("").split('&').filter(|p| !p.is_empty()) {
                params.push(p.split_once('=').ok_or_else(|| SignError::BadParam(p.to_owned()))?);
            }
            HtxSigner::new(secret).sign(&method, &host, path, key, ts, &params).1.to_string()
        }
        SignVenue::Gemini => {
            let body = need(&input.body, name, "the base64 of the JSON payload", "body")?;
            GeminiSigner::new(secret).sign(body).1.to_string()
        }
        _ => return Err(SignError::UnknownVenue(venue.to_owned())),
    })
}
