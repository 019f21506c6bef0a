//! Binance's WebSocket API in the simulator (`/ws-api/v3`), as far as clients use it for the
//! user data stream: `userDataStream.subscribe.signature` (HMAC over the sorted parameters,
//! checked like a signed REST call), `userDataStream.unsubscribe`, `ping` and `time`. Once
//! subscribed, the account's spot events arrive as `{"subscriptionId":0,"event":{...}}`.

use mdbus_sim::{exchange::Exchange, venue::PrivateStream};
use serde_json::{Value, json};

use crate::binance::sign::BinanceSigner;

/// How far a request's `timestamp` may trail the server's clock by default, ms.
const RECV_WINDOW: u64 = 5_000;

/// One WebSocket API connection.
#[derive(Debug, Default)]
pub(super) struct WsApi {
    account: Option<String>,
    subscribed: bool,
}

fn error(id: &Value, status: u16, code: i64, msg: &str) -> String {
    json!({"id": id, "status": status, "error": {"code": code, "msg": msg}}).to_string()
}

/// Checks a signed request's parameters: the account's API key, or Binance's error.
fn verify(ex: &Exchange, params: &serde_json::Map<String, Value>) -> Result<String, (i64, &'static str)> {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let key = params.get("apiKey").map(text).unwrap_or_default();
    let account = ex.account(&key).ok_or((-2015, "Invalid API-key, IP, or permissions for action."))?;
    let ts: u64 = params
        .get("timestamp")
        .map(text)
        .and_then(|t| t.parse().ok())
        .ok_or((-1102, "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed."))?;
    let window = params.get("recvWindow").map(text).and_then(|w| w.parse().ok()).unwrap_or(RECV_WINDOW);
    let server = ex.server_ms();
    if ts > server + 1000 || server.saturating_sub(ts) > window {
        return Err((-1021, "Timestamp for this request is outside of the recvWindow."));
    }
    // The payload: every other parameter, sorted by name, as a query string.
    let mut pairs: Vec<(&String, String)> =
        params.iter().filter(|(k, _)| k.as_str() != "signature").map(|(k, v)| (k, text(v))).collect();
    pairs.sort();
    let payload = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
    let want = BinanceSigner::new(&account.secret).sign(&payload, "");
    if params.get("signature").map(text).as_deref() != Some(want.as_str()) {
        return Err((-1022, "Signature for this request is not valid."));
    }
    Ok(account.api_key.clone())
}

impl PrivateStream for WsApi {
    fn account(&self) -> Option<String> {
        self.account.clone()
    }

    fn request(&mut self, text: &str, exchange: &Exchange) -> Vec<String> {
        let Ok(v) = serde_json::from_str::<Value>(text) else {
            return vec![error(&Value::Null, 400, -1100, "Malformed request.")];
        };
        let id = v.get("id").cloned().unwrap_or(Value::Null);
        let params = v.get("params").and_then(Value::as_object).cloned().unwrap_or_default();
        let ok = |result: Value| json!({"id": id, "status": 200, "result": result}).to_string();
        let reply = match v.get("method").and_then(Value::as_str).unwrap_or("") {
            "ping" => ok(json!({})),
            "time" => ok(json!({"serverTime": exchange.server_ms()})),
            "userDataStream.subscribe.signature" => match verify(exchange, &params) {
                Ok(key) => {
                    self.account = Some(key);
                    self.subscribed = true;
                    ok(json!({"subscriptionId": 0}))
                }
                Err((code, msg)) => error(&id, 400, code, msg),
            },
            "userDataStream.unsubscribe" => {
                self.subscribed = false;
                ok(json!({}))
            }
            m => error(&id, 400, -1100, &format!("Unknown method '{m}'.")),
        };
        vec![reply]
    }

    /// The account's spot events, wrapped with the subscription's id, while subscribed.
    fn push(&mut self, frame: String) -> Option<String> {
        if !self.subscribed {
            return None;
        }
        let event: Value = serde_json::from_str(&frame).ok()?;
        let spot =
            matches!(event.get("e").and_then(Value::as_str), Some("executionReport" | "outboundAccountPosition"));
        spot.then(|| json!({"subscriptionId": 0, "event": event}).to_string())
    }
}
