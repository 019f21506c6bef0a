//! Bybit's private websocket in the simulator (`/v5/private`): `auth` (checked like the venue),
//! `subscribe` to the account topics once authenticated, `ping`; the server then sends the
//! account's `order`, `execution`, `wallet` and `position` pushes.

use mdbus_sim::{exchange::Exchange, venue::PrivateStream};
use serde_json::{Value, json};

/// The private topics, with or without a category (`order`, `order.spot`, `execution.fast`...).
const TOPICS: [&str; 4] = ["order", "execution", "wallet", "position"];

/// One private connection.
#[derive(Debug)]
pub(super) struct BybitPrivate {
    conn_id: String,
    account: Option<String>,
}

impl BybitPrivate {
    pub(super) fn new() -> BybitPrivate {
        BybitPrivate { conn_id: format!("sim-{:08x}", mdbus_sim::dialect::now_ms() & 0xffff_ffff), account: None }
    }
}

impl PrivateStream for BybitPrivate {
    fn account(&self) -> Option<String> {
        self.account.clone()
    }

    fn request(&mut self, text: &str, exchange: &Exchange) -> Vec<String> {
        let v: Value = serde_json::from_str(text).unwrap_or_default();
        let op = v.get("op").and_then(Value::as_str).unwrap_or("");
        let req_id = v.get("req_id").cloned().unwrap_or(json!(""));
        let answer = |ok: bool, msg: &str| {
            json!({"success": ok, "ret_msg": msg, "op": op, "conn_id": self.conn_id, "req_id": req_id}).to_string()
        };
        let reply = match op {
            "auth" => match super::exchange::ws_auth(exchange, &v) {
                Ok(key) => {
                    self.account = Some(key);
                    answer(true, "")
                }
                Err(msg) => answer(false, msg),
            },
            "subscribe" if self.account.is_none() => answer(false, "Request not authorized"),
            "subscribe" | "unsubscribe" => {
                let args = v.get("args").and_then(Value::as_array).cloned().unwrap_or_default();
                let unknown = args.iter().find(|t| {
                    let t = t.as_str().unwrap_or("");
                    !TOPICS.iter().any(|k| t == *k || t.strip_prefix(k).is_some_and(|rest| rest.starts_with('.')))
                });
                match unknown {
                    Some(t) => answer(false, &format!("error:handler not found,topic:{}", t.as_str().unwrap_or(""))),
                    None => answer(true, ""),
                }
            }
            "ping" => json!({"req_id": req_id, "op": "pong", "args": [exchange.server_ms().to_string()], "conn_id": self.conn_id})
                .to_string(),
            _ => answer(false, &format!("error:unknown op {op}")),
        };
        vec![reply]
    }
}
