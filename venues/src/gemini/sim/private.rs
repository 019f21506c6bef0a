//! Gemini's order events websocket in the simulator (`/v1/order/events`): authenticated in the
//! upgrade's headers like a REST call (`X-GEMINI-APIKEY`, `X-GEMINI-PAYLOAD` with the request
//! path and a growing nonce, `X-GEMINI-SIGNATURE`), refused with Gemini's HTTP 400 body;
//! `subscription_ack` first, then the account's order events as JSON arrays.

use mdbus_sim::{exchange::Exchange, rest::Request, venue::PrivateStream};
use serde_json::json;

/// One order-events connection.
#[derive(Debug)]
pub(super) struct GeminiPrivate {
    account: Result<String, (&'static str, &'static str)>,
    /// The event types asked for with `eventTypeFilter` (all when empty).
    types: Vec<String>,
}

impl GeminiPrivate {
    pub(super) fn new(upgrade: &Request<'_>, exchange: &Exchange) -> GeminiPrivate {
        let account = super::exchange::check(exchange, upgrade.path(), upgrade.headers).map(|(a, _)| a.api_key);
        let query = upgrade.target.split_once('?').map_or("", |(_, q)| q);
        let types = query.split('&').filter_map(|kv| kv.strip_prefix("eventTypeFilter=")).map(str::to_owned).collect();
        GeminiPrivate { account, types }
    }
}

impl PrivateStream for GeminiPrivate {
    fn account(&self) -> Option<String> {
        self.account.as_ref().ok().cloned()
    }

    fn refusal(&self) -> Option<(&'static str, String)> {
        let (reason, message) = self.account.as_ref().err()?;
        Some(("400 Bad Request", json!({"result": "error", "reason": reason, "message": message}).to_string()))
    }

    fn greeting(&mut self) -> Vec<String> {
        vec![
            json!({"type": "subscription_ack", "accountId": 5365, "subscriptionId": "ws-order-events-5365-mdbus-sim",
                "symbolFilter": [], "apiSessionFilter": [], "eventTypeFilter": self.types})
            .to_string(),
        ]
    }

    /// The client sends nothing on this socket but pings (at the websocket level).
    fn request(&mut self, _text: &str, _exchange: &Exchange) -> Vec<String> {
        Vec::new()
    }

    /// The events of the types asked for.
    fn push(&mut self, frame: String) -> Option<String> {
        if self.types.is_empty() {
            return Some(frame);
        }
        let serde_json::Value::Array(list) = serde_json::from_str(&frame).ok()? else { return None };
        let kept: Vec<serde_json::Value> = list
            .into_iter()
            .filter(|e| e.get("type").and_then(|t| t.as_str()).is_some_and(|t| self.types.iter().any(|w| w == t)))
            .collect();
        (!kept.is_empty()).then(|| serde_json::Value::Array(kept).to_string())
    }
}
