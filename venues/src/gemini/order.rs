//! Gemini order client.
//!
//! Every private call is a POST with an empty body: the request travels in `X-GEMINI-PAYLOAD`
//! (base64 JSON with `request` and a `nonce` that must grow), signed in `X-GEMINI-SIGNATURE`
//! by [`GeminiSigner`]. Gemini takes limit orders only (`exchange limit`, with
//! `maker-or-cancel`, `immediate-or-cancel` or `fill-or-kill`): a market order is refused
//! before anything is sent. Gemini has no server-time endpoint and its nonces only need to
//! grow, so [`OrderClient::sync_time`] has nothing to measure and reports 0.

use std::sync::Arc;

use mdbus_schemas::Decimal;
use serde_json::{Value, json};

use super::{errors::GEMINI, sign::GeminiSigner};
use mdbus_sdk::order::{
    BalanceState, ClientOrderIds, NewOrder, OrderClient, OrderRef, OrderState, OrderStatus, OrderType, Placed,
    PositionState, Side, TimeInForce,
    transport::{self, HasTransport, Outcome, Sent, Transport, dec, text},
};
use mdbus_sdk::{
    credentials::Credentials,
    error::{Error, ErrorCode},
    http::{HttpClient, Response},
    registry::Capability,
};

/// The registry key.
pub const KEY: &str = "GEMINI___SPOT";

/// The production REST base URL.
pub const BASE_URL: &str = "https://api.gemini.com";

/// How long after sending an order of unknown outcome the client keeps looking for it before
/// it calls it never received (Gemini has no receive window; a nonce is good until a larger
/// one is used, which the next request does).
const WINDOW_MS: u64 = 5_000;

/// Gemini's order client.
pub struct GeminiClient {
    t: Transport,
    creds: Credentials,
    signer: GeminiSigner,
    ids: ClientOrderIds,
    last_nonce: u64,
}

impl std::fmt::Debug for GeminiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeminiClient").field("transport", &self.t).field("creds", &self.creds).finish()
    }
}

fn order_state(v: &Value) -> Result<OrderState, Error> {
    // A status by client order id may come as a list of the orders that carried it.
    let v = match v {
        Value::Array(list) => list.last().unwrap_or(&Value::Null),
        v => v,
    };
    if v.get("order_id").is_none() {
        return Err(Error::DataParse { what: "gemini order".into(), detail: mdbus_sdk::redact::text(&v.to_string()) });
    }
    let (qty, filled) = (dec(v, "original_amount"), dec(v, "executed_amount"));
    let live = v.get("is_live").and_then(Value::as_bool).unwrap_or(false);
    let cancelled = v.get("is_cancelled").and_then(Value::as_bool).unwrap_or(false);
    Ok(OrderState {
        symbol: text(v, "symbol").to_ascii_uppercase(),
        order_id: text(v, "order_id"),
        client_order_id: text(v, "client_order_id"),
        side: if text(v, "side") == "sell" { Side::Sell } else { Side::Buy },
        price: dec(v, "price"),
        qty,
        filled,
        status: match (live, cancelled, filled.is_zero()) {
            (true, _, true) => OrderStatus::New,
            (true, _, false) => OrderStatus::PartiallyFilled,
            (false, true, _) => OrderStatus::Canceled,
            (false, false, _) => OrderStatus::Filled,
        },
        updated_ms: v.get("timestampms").and_then(Value::as_u64).unwrap_or(0),
    })
}

impl GeminiClient {
    /// Returns a client at `base_url` ([`BASE_URL`] or a simulator's).
    ///
    /// # Errors
    ///
    /// [`Error::Configuration`] for a URL that is not http(s).
    pub fn new(base_url: &str, tls: Arc<rustls::ClientConfig>, creds: Credentials) -> Result<GeminiClient, Error> {
        let http = HttpClient::new(base_url, tls).map_err(|e| Error::Configuration { detail: e.to_string() })?;
        let signer = GeminiSigner::new(creds.secret().expose());
        Ok(GeminiClient {
            t: Transport::new(KEY, http),
            creds,
            signer,
            ids: ClientOrderIds::new("mdbus"),
            last_nonce: 0,
        })
    }

    /// Sends `path` with `fields` in the signed payload; the nonce is the time in ms, kept
    /// growing.
    fn send(&mut self, path: &str, fields: &Value) -> Result<Sent, Error> {
        self.last_nonce = self.t.now_ms().max(self.last_nonce + 1);
        let mut payload = json!({ "request": path, "nonce": self.last_nonce });
        if let (Some(p), Some(f)) = (payload.as_object_mut(), fields.as_object()) {
            p.extend(f.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        let (b64, sig) = self.signer.sign(&payload.to_string());
        let key = self.creds.api_key().to_owned();
        let headers = [
            ("X-GEMINI-APIKEY", key.as_str()),
            ("X-GEMINI-PAYLOAD", b64.as_str()),
            ("X-GEMINI-SIGNATURE", sig.as_str()),
            ("Content-Type", "text/plain"),
            ("Cache-Control", "no-cache"),
        ];
        self.t.exchange("POST", path, path, &headers, b"")
    }

    fn check(&mut self, r: &Response) -> Option<Error> {
        GEMINI.from_body(self.t.venue, r.status, &r.body, r.retry_after())
    }

    /// A read or cancel, retried as the policy says (each attempt with a fresh nonce).
    fn call(&mut self, path: &str, fields: &Value) -> Result<Value, Error> {
        transport::retry_read(self, |c| match c.send(path, fields)? {
            Sent::Reply(r) => match c.check(&r) {
                None => transport::json("gemini", &r.body),
                Some(e) => Err(e),
            },
            Sent::Lost(detail) => Err(Error::Network { venue: c.t.venue(), detail }),
        })
    }

    fn by(order: OrderRef<'_>) -> Value {
        match order {
            OrderRef::Venue(id) => match id.parse::<u64>() {
                Ok(n) => json!({ "order_id": n }),
                Err(_) => json!({ "order_id": id }),
            },
            OrderRef::Client(cid) => json!({ "client_order_id": cid }),
        }
    }

    fn not_found(&self, symbol: &str, order: OrderRef<'_>) -> Error {
        let (OrderRef::Venue(id) | OrderRef::Client(id)) = order;
        Error::OrderNotFound { venue: self.t.venue(), order_id: id.to_owned(), symbol: symbol.to_owned() }
    }
}

mdbus_sdk::transport_builders!(GeminiClient);

impl HasTransport for GeminiClient {
    fn transport(&mut self) -> &mut Transport {
        &mut self.t
    }
}

impl OrderClient for GeminiClient {
    fn disconnect(&mut self) {
        self.t.http.disconnect();
    }

    fn place(&mut self, order: &NewOrder) -> Result<Placed, Error> {
        let price = match (order.kind, order.price) {
            (OrderType::Market, _) | (_, None) => {
                return Err(Error::InvalidOrder {
                    venue: self.t.venue(),
                    symbol: order.symbol.clone(),
                    code: ErrorCode::InvalidOrderType,
                    detail: "Gemini takes limit orders only (a marketable limit with immediate-or-cancel acts as a market order)".into(),
                });
            }
            (_, Some(p)) => p,
        };
        let cid = order.client_order_id.clone().unwrap_or_else(|| self.ids.next());
        let options: Vec<&str> = match (order.kind, order.tif) {
            (OrderType::PostOnly, _) => vec!["maker-or-cancel"],
            (_, TimeInForce::Ioc) => vec!["immediate-or-cancel"],
            (_, TimeInForce::Fok) => vec!["fill-or-kill"],
            _ => vec![],
        };
        let fields = json!({
            "symbol": order.symbol.to_ascii_lowercase(),
            "amount": order.qty.to_string(),
            "price": price.to_string(),
            "side": if order.side == Side::Buy { "buy" } else { "sell" },
            "type": "exchange limit",
            "client_order_id": cid,
            "options": options,
        });
        transport::submit(
            self,
            &order.symbol,
            &cid,
            WINDOW_MS,
            |c, _| c.send("/v1/order/new", &fields),
            |c, r| match c.check(r) {
                None => Ok(Outcome::Accepted(order_state(&transport::json("gemini", &r.body)?)?)),
                Some(err) => Ok(Outcome::refused(r.status, err)),
            },
        )
    }

    fn resolve(&mut self, symbol: &str, client_order_id: &str) -> Result<Placed, Error> {
        let expires_ms = self.t.expiry_of(client_order_id, WINDOW_MS);
        transport::resolve(self, symbol, client_order_id, expires_ms)
    }

    fn cancel(&mut self, symbol: &str, order: OrderRef<'_>) -> Result<OrderState, Error> {
        // Gemini cancels by its own order id only.
        let id = match order {
            OrderRef::Venue(id) => id.to_owned(),
            OrderRef::Client(_) => self.query(symbol, order)?.order_id,
        };
        match self.call("/v1/order/cancel", &Self::by(OrderRef::Venue(&id))) {
            Ok(v) => order_state(&v),
            Err(Error::OrderNotFound { .. }) => Err(self.not_found(symbol, order)),
            Err(e) => Err(e),
        }
    }

    fn query(&mut self, symbol: &str, order: OrderRef<'_>) -> Result<OrderState, Error> {
        match self.call("/v1/order/status", &Self::by(order)) {
            Ok(v) => order_state(&v),
            Err(Error::OrderNotFound { .. }) => Err(self.not_found(symbol, order)),
            Err(e) => Err(e),
        }
    }

    fn open_orders(&mut self, symbol: Option<&str>) -> Result<Vec<OrderState>, Error> {
        let v = self.call("/v1/orders", &json!({}))?;
        let all: Vec<OrderState> = v.as_array().into_iter().flatten().map(order_state).collect::<Result<_, _>>()?;
        Ok(all.into_iter().filter(|o| symbol.is_none_or(|s| o.symbol.eq_ignore_ascii_case(s))).collect())
    }

    fn balances(&mut self) -> Result<Vec<BalanceState>, Error> {
        let v = self.call("/v1/balances", &json!({}))?;
        Ok(v.as_array()
            .into_iter()
            .flatten()
            .map(|b| {
                let (amount, free) = (dec(b, "amount"), dec(b, "available"));
                let e = amount.exponent().min(free.exponent());
                let locked = match (amount.rescale(e), free.rescale(e)) {
                    (Ok(a), Ok(f)) => Decimal::new(a - f, e),
                    _ => Decimal::ZERO,
                };
                BalanceState { asset: text(b, "currency"), free, locked }
            })
            .collect())
    }

    fn positions(&mut self) -> Result<Vec<PositionState>, Error> {
        Err(Error::NotSupported { capability: Capability::GetPosition, venue: self.t.venue() })
    }

    fn sync_time(&mut self) -> Result<i64, Error> {
        Ok(self.t.offset_ms)
    }
}
