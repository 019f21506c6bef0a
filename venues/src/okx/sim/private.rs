//! OKX's private websocket in the simulator: `login` (checked like the venue), `subscribe`,
//! `ping`; the server then sends the account's `orders` and `account` pushes.

use mdbus_sim::{exchange::Exchange, venue::PrivateStream};
use serde_json::{Value, json};

/// One private connection.
#[derive(Debug)]
pub(super) struct OkxPrivate {
    conn_id: String,
    account: Option<String>,
}

impl OkxPrivate {
    pub(super) fn new() -> OkxPrivate {
        OkxPrivate { conn_id: format!("{:08x}", mdbus_sim::dialect::now_ms() & 0xffff_ffff), account: None }
    }
}

impl PrivateStream for OkxPrivate {
    fn account(&self) -> Option<String> {
        self.account.clone()
    }

    fn request(&mut self, text: &str, exchange: &Exchange) -> Vec<String> {
        if text == "ping" {
            return vec!["pong".to_owned()];
        }
        let conn_id = self.conn_id.as_str();
        let v: Value = serde_json::from_str(text).unwrap_or_default();
        let reply = match v.get("op").and_then(|o| o.as_str()) {
            Some("login") => match super::exchange::ws_login(exchange, &v) {
                Ok(key) => {
                    self.account = Some(key);
                    json!({"event": "login", "code": "0", "msg": "", "connId": conn_id})
                }
                Err((code, msg)) => json!({"event": "error", "code": code, "msg": msg, "connId": conn_id}),
            },
            Some("subscribe") if self.account.is_some() => {
                return v
                    .get("args")
                    .and_then(|a| a.as_array())
                    .into_iter()
                    .flatten()
                    .map(|arg| json!({"event": "subscribe", "arg": arg, "connId": conn_id}).to_string())
                    .collect();
            }
            Some("subscribe") => json!({"event": "error", "code": "60011", "msg": "Please log in", "connId": conn_id}),
            _ => json!({"event": "error", "code": "60012", "msg": "Invalid request", "connId": conn_id}),
        };
        vec![reply.to_string()]
    }
}
