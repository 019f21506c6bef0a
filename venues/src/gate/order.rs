//! Gate.io v4 spot order client.
//!
//! Requests carry `KEY`, `Timestamp` (seconds, corrected by the measured offset) and `SIGN`
//! from [`GateSigner`]. The client's order id travels in `text` as `t-<id>` (Gate's rule; at
//! most 28 characters after the prefix) and comes back without the prefix. Errors are
//! `{"label","message"}` with an HTTP error status. A market buy's `amount` is, on Gate.io, in
//! the quote currency: the client sends `qty` as given.

use std::sync::Arc;

use mdbus_schemas::Decimal;
use serde_json::{Value, json};

use super::{errors::GATE, sign::GateSigner};
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
pub const KEY: &str = "GATEIO___SPOT";

/// The production REST base URL.
pub const BASE_URL: &str = "https://api.gateio.ws";

/// How long Gate.io accepts a request after its timestamp (its 60 s rule).
const WINDOW_MS: u64 = 60_000;

/// Gate.io's order client.
pub struct GateClient {
    t: Transport,
    creds: Credentials,
    signer: GateSigner,
    ids: ClientOrderIds,
}

impl std::fmt::Debug for GateClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GateClient").field("transport", &self.t).field("creds", &self.creds).finish()
    }
}

/// `a - b`, exactly (zero if either cannot be brought to the finer exponent).
fn minus(a: Decimal, b: Decimal) -> Decimal {
    let e = a.exponent().min(b.exponent());
    match (a.rescale(e), b.rescale(e)) {
        (Ok(x), Ok(y)) => Decimal::new(x - y, e),
        _ => Decimal::ZERO,
    }
}

fn order_state(v: &Value) -> Result<OrderState, Error> {
    if v.get("id").is_none() {
        return Err(Error::DataParse { what: "gate.io order".into(), detail: mdbus_sdk::redact::text(&v.to_string()) });
    }
    let amount = dec(v, "amount");
    let filled = match v.get("filled_amount") {
        Some(_) => dec(v, "filled_amount"),
        None => minus(amount, dec(v, "left")),
    };
    Ok(OrderState {
        symbol: text(v, "currency_pair"),
        order_id: text(v, "id"),
        client_order_id: text(v, "text").strip_prefix("t-").map(str::to_owned).unwrap_or_default(),
        side: if text(v, "side") == "sell" { Side::Sell } else { Side::Buy },
        price: dec(v, "price"),
        qty: amount,
        filled,
        status: match (text(v, "status").as_str(), text(v, "finish_as").as_str()) {
            ("open", _) if !filled.is_zero() => OrderStatus::PartiallyFilled,
            ("open", _) => OrderStatus::New,
            ("closed", _) => OrderStatus::Filled,
            (_, "ioc" | "poc" | "stp") => OrderStatus::Expired,
            _ => OrderStatus::Canceled,
        },
        updated_ms: v.get("update_time_ms").and_then(Value::as_u64).unwrap_or(0),
    })
}

impl GateClient {
    /// Returns a client at `base_url` ([`BASE_URL`] or a simulator's).
    ///
    /// # Errors
    ///
    /// [`Error::Configuration`] for a URL that is not http(s).
    pub fn new(base_url: &str, tls: Arc<rustls::ClientConfig>, creds: Credentials) -> Result<GateClient, Error> {
        let http = HttpClient::new(base_url, tls).map_err(|e| Error::Configuration { detail: e.to_string() })?;
        let signer = GateSigner::new(creds.secret().expose());
        Ok(GateClient { t: Transport::new(KEY, http), creds, signer, ids: ClientOrderIds::new("mdbus") })
    }

    fn send(&mut self, method: &str, path: &str, query: &str, body: &str) -> Result<Sent, Error> {
        let target = if query.is_empty() { path.to_owned() } else { format!("{path}?{query}") };
        let ts = (self.t.now_ms() / 1000).to_string();
        let sig = self.signer.sign(method, path, query, body, &ts);
        let key = self.creds.api_key().to_owned();
        let headers = [
            ("KEY", key.as_str()),
            ("Timestamp", ts.as_str()),
            ("SIGN", sig.as_str()),
            ("Content-Type", "application/json"),
            ("Accept", "application/json"),
        ];
        self.t.exchange(method, path, &target, &headers, body.as_bytes())
    }

    fn check(&mut self, r: &Response) -> Option<Error> {
        GATE.from_body(self.t.venue, r.status, &r.body, r.retry_after())
    }

    /// A read or cancel, retried as the policy says.
    fn call(&mut self, method: &str, path: &str, query: &str, body: &str) -> Result<Value, Error> {
        transport::retry_read(self, |c| match c.send(method, path, query, body)? {
            Sent::Reply(r) => match c.check(&r) {
                None => transport::json("gateio", &r.body),
                Some(e) => Err(e),
            },
            Sent::Lost(detail) => Err(Error::Network { venue: c.t.venue(), detail }),
        })
    }

    fn order_path(order: OrderRef<'_>) -> String {
        match order {
            OrderRef::Venue(id) => format!("/api/v4/spot/orders/{id}"),
            OrderRef::Client(cid) => format!("/api/v4/spot/orders/t-{cid}"),
        }
    }

    fn not_found(&self, symbol: &str, order: OrderRef<'_>) -> Error {
        let (OrderRef::Venue(id) | OrderRef::Client(id)) = order;
        Error::OrderNotFound { venue: self.t.venue(), order_id: id.to_owned(), symbol: symbol.to_owned() }
    }
}

mdbus_sdk::transport_builders!(GateClient);

impl HasTransport for GateClient {
    fn transport(&mut self) -> &mut Transport {
        &mut self.t
    }
}

impl OrderClient for GateClient {
    fn disconnect(&mut self) {
        self.t.http.disconnect();
    }

    fn place(&mut self, order: &NewOrder) -> Result<Placed, Error> {
        let cid = order.client_order_id.clone().unwrap_or_else(|| self.ids.next());
        if cid.len() > 28 {
            return Err(Error::InvalidOrder {
                venue: self.t.venue(),
                symbol: order.symbol.clone(),
                code: ErrorCode::InvalidParameter,
                detail: format!("client order id {cid:?} is longer than Gate.io's 28 characters"),
            });
        }
        let tif = match (order.kind, order.tif) {
            (OrderType::PostOnly, _) => "poc",
            (OrderType::Market, _) | (_, TimeInForce::Ioc) => "ioc",
            (_, TimeInForce::Fok) => "fok",
            _ => "gtc",
        };
        let mut body = json!({
            "text": format!("t-{cid}"),
            "currency_pair": order.symbol,
            "type": if order.kind == OrderType::Market { "market" } else { "limit" },
            "account": "spot",
            "side": if order.side == Side::Buy { "buy" } else { "sell" },
            "amount": order.qty.to_string(),
            "time_in_force": tif,
        });
        if let Some(px) = order.price
            && order.kind != OrderType::Market
        {
            body["price"] = json!(px.to_string());
        }
        let body = body.to_string();
        transport::submit(
            self,
            &order.symbol,
            &cid,
            WINDOW_MS,
            |c, _| c.send("POST", "/api/v4/spot/orders", "", &body),
            |c, r| match c.check(r) {
                None => Ok(Outcome::Accepted(order_state(&transport::json("gateio", &r.body)?)?)),
                Some(err) => Ok(Outcome::refused(r.status, err)),
            },
        )
    }

    fn resolve(&mut self, symbol: &str, client_order_id: &str) -> Result<Placed, Error> {
        let expires_ms = self.t.expiry_of(client_order_id, WINDOW_MS);
        transport::resolve(self, symbol, client_order_id, expires_ms)
    }

    fn cancel(&mut self, symbol: &str, order: OrderRef<'_>) -> Result<OrderState, Error> {
        match self.call("DELETE", &Self::order_path(order), &format!("currency_pair={symbol}"), "") {
            Ok(v) => order_state(&v),
            Err(Error::OrderNotFound { .. }) => Err(self.not_found(symbol, order)),
            Err(e) => Err(e),
        }
    }

    fn query(&mut self, symbol: &str, order: OrderRef<'_>) -> Result<OrderState, Error> {
        match self.call("GET", &Self::order_path(order), &format!("currency_pair={symbol}"), "") {
            Ok(v) => order_state(&v),
            Err(Error::OrderNotFound { .. }) => Err(self.not_found(symbol, order)),
            Err(e) => Err(e),
        }
    }

    fn open_orders(&mut self, symbol: Option<&str>) -> Result<Vec<OrderState>, Error> {
        let v = match symbol {
            Some(s) => self.call("GET", "/api/v4/spot/orders", &format!("currency_pair={s}&status=open"), "")?,
            None => {
                // Grouped by pair.
                let groups = self.call("GET", "/api/v4/spot/open_orders", "", "")?;
                Value::Array(
                    groups
                        .as_array()
                        .into_iter()
                        .flatten()
                        .flat_map(|g| g.get("orders").and_then(Value::as_array).cloned().unwrap_or_default())
                        .collect(),
                )
            }
        };
        v.as_array().into_iter().flatten().map(order_state).collect()
    }

    fn balances(&mut self) -> Result<Vec<BalanceState>, Error> {
        let v = self.call("GET", "/api/v4/spot/accounts", "", "")?;
        Ok(v.as_array()
            .into_iter()
            .flatten()
            .map(|a| BalanceState { asset: text(a, "currency"), free: dec(a, "available"), locked: dec(a, "locked") })
            .collect())
    }

    fn positions(&mut self) -> Result<Vec<PositionState>, Error> {
        Err(Error::NotSupported { capability: Capability::GetPosition, venue: self.t.venue() })
    }

    fn sync_time(&mut self) -> Result<i64, Error> {
        let before = (mdbus_bus::now_ns() / 1_000_000) as i64;
        let v = self.call("GET", "/api/v4/spot/time", "", "")?;
        let after = (mdbus_bus::now_ns() / 1_000_000) as i64;
        let server = v
            .get("server_time")
            .and_then(Value::as_i64)
            .ok_or_else(|| Error::DataParse { what: "gate.io server time".into(), detail: "no server_time".into() })?;
        self.t.offset_ms = server - (before + after) / 2;
        Ok(self.t.offset_ms)
    }
}
