//! An OKX account's private stream: the websocket login, the `orders`, `account` and
//! `positions` subscriptions, OKX's text `ping`, run by the feeder's shared
//! [`PrivateStream`].

use std::time::Duration;

use mdbus_feeder::{
    account::{AccountDecodeError, AccountEvent},
    private::{Answer, PrivateProtocol, PrivateStream},
};
use mdbus_sdk::{
    credentials::Credentials,
    error::{Error, ErrorCode},
};

use super::account::{Control, OkxAccountDecoder};

/// An OKX account's private stream (`wss://ws.okx.com:8443/ws/v5/private`).
pub type OkxAccountStream = PrivateStream<OkxPrivate>;

/// OKX's private websocket: `login` signed over timestamp + `GET/users/self/verify`.
#[derive(Debug)]
pub struct OkxPrivate {
    creds: Credentials,
    signer: super::sign::OkxSigner,
    decoder: OkxAccountDecoder,
}

impl OkxPrivate {
    /// The protocol for `creds` (which need a passphrase), decoding with `decoder`.
    pub fn new(creds: Credentials, decoder: OkxAccountDecoder) -> OkxPrivate {
        let signer = super::sign::OkxSigner::new(creds.secret().expose());
        OkxPrivate { creds, signer, decoder }
    }
}

impl PrivateProtocol for OkxPrivate {
    fn login(&self, now_ms: u64) -> Vec<String> {
        let ts = (now_ms / 1000).to_string();
        let sign = self.signer.sign_ws_login(&ts);
        let pass = self.creds.passphrase().map(|p| p.expose().to_owned()).unwrap_or_default();
        vec![
            serde_json::json!({"op": "login", "args": [{"apiKey": self.creds.api_key(), "passphrase": pass, "timestamp": ts, "sign": sign.as_str()}]})
                .to_string(),
        ]
    }

    fn subscribe(&self) -> Vec<String> {
        vec![
            serde_json::json!({"op": "subscribe", "args": [
                {"channel": "orders", "instType": "ANY"},
                {"channel": "account"},
                {"channel": "positions", "instType": "ANY"}
            ]})
            .to_string(),
        ]
    }

    fn keepalive(&self, _now_ms: u64) -> Option<String> {
        Some("ping".to_owned())
    }

    /// OKX closes a connection silent for 30 s.
    fn keepalive_every(&self) -> Duration {
        Duration::from_secs(20)
    }

    fn decode(&self, frame: &[u8], recv_ns: u64, out: &mut Vec<AccountEvent>) -> Result<Answer, AccountDecodeError> {
        Ok(match self.decoder.decode(frame, recv_ns, out)? {
            Control::Data => Answer::Data,
            Control::LoggedIn => Answer::LoggedIn,
            Control::Subscribed => Answer::Subscribed,
            // During the login, any error is its refusal; after it, the driver reads a refused
            // subscription and goes on.
            Control::Error { code, msg } => {
                let code = match code.as_str() {
                    "60007" => ErrorCode::InvalidSignature,
                    "60006" => ErrorCode::ExpiredTimestamp,
                    _ => ErrorCode::InvalidApiKey,
                };
                Answer::Refused(Error::Authentication { venue: "OKX___SPOT".into(), code, detail: msg })
            }
            Control::Other => Answer::Other,
        })
    }
}
