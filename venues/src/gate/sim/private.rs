//! Gate.io's private channels in the simulator, on the market-stream socket (`/ws/v4/`):
//! `spot.orders`, `spot.usertrades` and `spot.balances` subscribed with a signed `auth`
//! (checked like the venue); the account's updates then go out on the channels subscribed.

use std::collections::BTreeSet;

use mdbus_sim::{exchange::Exchange, venue::PrivateStream};
use serde_json::{Value, json};

/// The private channels.
const CHANNELS: [&str; 3] = ["spot.orders", "spot.usertrades", "spot.balances"];

/// The private side of one connection.
#[derive(Debug, Default)]
pub(super) struct GatePrivate {
    account: Option<String>,
    subs: BTreeSet<String>,
}

fn channel(text: &str) -> Option<String> {
    let v: Value = serde_json::from_str(text).ok()?;
    Some(v.get("channel")?.as_str()?.to_owned())
}

impl PrivateStream for GatePrivate {
    fn account(&self) -> Option<String> {
        self.account.clone()
    }

    fn claims(&self, text: &str) -> bool {
        channel(text).is_some_and(|c| CHANNELS.contains(&c.as_str()))
    }

    fn request(&mut self, text: &str, exchange: &Exchange) -> Vec<String> {
        let v: Value = serde_json::from_str(text).unwrap_or_default();
        let ch = v.get("channel").and_then(Value::as_str).unwrap_or("").to_owned();
        let event = v.get("event").and_then(Value::as_str).unwrap_or("").to_owned();
        let now = exchange.server_ms();
        let answer = |error: Value, status: &str| {
            json!({"time": now / 1000, "time_ms": now, "id": v.get("id"), "channel": ch, "event": event,
                "payload": v.get("payload"), "error": error, "result": {"status": status}})
            .to_string()
        };
        match super::exchange::ws_auth(exchange, &v) {
            Ok(key) => {
                // One account per connection, as its first accepted signature names it.
                if self.account.as_ref().is_some_and(|a| *a != key) {
                    return vec![answer(json!({"code": 4, "message": "Invalid key provided"}), "fail")];
                }
                self.account = Some(key);
                if event == "unsubscribe" {
                    self.subs.remove(&ch);
                } else {
                    self.subs.insert(ch.clone());
                }
                vec![answer(Value::Null, "success")]
            }
            Err((code, message)) => vec![answer(json!({"code": code, "message": message}), "fail")],
        }
    }

    /// An update goes out only on a channel subscribed.
    fn push(&mut self, frame: String) -> Option<String> {
        let ch = channel(&frame)?;
        self.subs.contains(&ch).then_some(frame)
    }
}
