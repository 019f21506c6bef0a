//! HTX's private websocket in the simulator (`/ws/v2`, plain JSON text): `auth` (checked like
//! the venue, over the `Host` the client connected to), `sub` to the account channels once
//! authenticated, `pong`; the server then sends the account's `orders#`, `trade.clearing#` and
//! `accounts.update#` pushes.

use mdbus_sim::{exchange::Exchange, venue::PrivateStream};
use serde_json::{Value, json};

/// One private connection.
#[derive(Debug)]
pub(super) struct HtxPrivate {
    host: String,
    path: String,
    account: Option<String>,
    /// The channels subscribed, as the client named them (`orders#*`, `orders#btcusdt`).
    subs: Vec<String>,
}

impl HtxPrivate {
    pub(super) fn new(host: &str, path: &str) -> HtxPrivate {
        HtxPrivate { host: host.to_ascii_lowercase(), path: path.to_owned(), account: None, subs: Vec::new() }
    }

    /// The subscribed channel that covers `ch` (`orders#btcusdt` by itself or by `orders#*`,
    /// `trade.clearing#btcusdt#0` by `trade.clearing#*#0`).
    fn covering(&self, ch: &str) -> Option<&str> {
        self.subs.iter().map(String::as_str).find(|sub| {
            *sub == ch || {
                let (want, got): (Vec<&str>, Vec<&str>) = (sub.split('#').collect(), ch.split('#').collect());
                want.len() == got.len() && want.iter().zip(&got).all(|(w, g)| w == g || *w == "*")
            }
        })
    }
}

impl PrivateStream for HtxPrivate {
    fn account(&self) -> Option<String> {
        self.account.clone()
    }

    fn request(&mut self, text: &str, exchange: &Exchange) -> Vec<String> {
        let v: Value = serde_json::from_str(text).unwrap_or_default();
        let action = v.get("action").and_then(Value::as_str).unwrap_or("");
        let ch = v.get("ch").and_then(Value::as_str).unwrap_or("");
        let reply = match (action, ch) {
            ("pong", _) => return Vec::new(),
            ("req", "auth") => match super::exchange::ws_auth(exchange, &self.host, &self.path, &v) {
                Ok(key) => {
                    self.account = Some(key);
                    json!({"action": "req", "code": 200, "ch": "auth", "data": {}})
                }
                Err((code, message)) => json!({"action": "req", "code": code, "ch": "auth", "message": message}),
            },
            ("sub", _) if self.account.is_none() => {
                json!({"action": "sub", "code": 2002, "ch": ch, "message": "invalid.auth.state"})
            }
            ("sub", c) if ["orders#", "trade.clearing#", "accounts.update#"].iter().any(|p| c.starts_with(p)) => {
                self.subs.push(c.to_owned());
                json!({"action": "sub", "code": 200, "ch": ch, "data": {}})
            }
            ("sub", _) => json!({"action": "sub", "code": 2000, "ch": ch, "message": "invalid.ch"}),
            _ => json!({"action": action, "code": 2000, "message": "invalid.action"}),
        };
        vec![reply.to_string()]
    }

    /// An event goes out on a subscribed channel, named as the client subscribed to it.
    fn push(&mut self, frame: String) -> Option<String> {
        let mut v: Value = serde_json::from_str(&frame).ok()?;
        let ch = v.get("ch").and_then(Value::as_str)?.to_owned();
        let sub = self.covering(&ch)?.to_owned();
        v["ch"] = json!(sub);
        Some(v.to_string())
    }
}
