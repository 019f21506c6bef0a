//! HTX spot order client.
//!
//! Every request is signed with signature version 2 ([`HtxSigner`]): `AccessKeyId`,
//! `SignatureMethod`, `SignatureVersion`, `Timestamp` (UTC, to the second, corrected by the
//! measured offset) and `Signature` in the query; POST parameters go in a JSON body. Orders
//! need the spot account id, read once from `/v1/account/accounts`. HTX answers errors with
//! HTTP 200 and `{"status":"error","err-code":...}`.

use std::sync::Arc;

use mdbus_schemas::Decimal;
use serde_json::{Value, json};

use super::{errors::HTX, sign::HtxSigner};
use mdbus_sdk::order::{
    BalanceState, ClientOrderIds, NewOrder, OrderClient, OrderRef, OrderState, OrderStatus, OrderType, Placed,
    PositionState, Side, TimeInForce,
    transport::{self, HasTransport, Outcome, Sent, Transport, dec, text},
};
use mdbus_sdk::{
    credentials::Credentials,
    error::Error,
    http::{HttpClient, Response},
    registry::Capability,
    signing::percent_encode,
};

/// The registry key.
pub const KEY: &str = "HTX___SPOT";

/// The production REST base URL.
pub const BASE_URL: &str = "https://api.huobi.pro";

/// How long HTX accepts a signed request after its timestamp (five minutes).
const WINDOW_MS: u64 = 300_000;

/// HTX's order client.
pub struct HtxClient {
    t: Transport,
    creds: Credentials,
    signer: HtxSigner,
    ids: ClientOrderIds,
    host: String,
    account_id: Option<u64>,
}

impl std::fmt::Debug for HtxClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HtxClient")
            .field("transport", &self.t)
            .field("creds", &self.creds)
            .field("account_id", &self.account_id)
            .finish()
    }
}

fn order_state(v: &Value) -> Result<OrderState, Error> {
    if v.get("id").is_none() {
        return Err(Error::DataParse { what: "htx order".into(), detail: mdbus_sdk::redact::text(&v.to_string()) });
    }
    let filled = if v.get("filled-amount").is_some() { dec(v, "filled-amount") } else { dec(v, "field-amount") };
    Ok(OrderState {
        symbol: text(v, "symbol"),
        order_id: text(v, "id"),
        client_order_id: text(v, "client-order-id"),
        side: if text(v, "type").starts_with("sell") { Side::Sell } else { Side::Buy },
        price: dec(v, "price"),
        qty: dec(v, "amount"),
        filled,
        status: match text(v, "state").as_str() {
            "created" | "submitted" => OrderStatus::New,
            "partial-filled" => OrderStatus::PartiallyFilled,
            "filled" => OrderStatus::Filled,
            "canceled" | "partial-canceled" => OrderStatus::Canceled,
            _ => OrderStatus::Expired,
        },
        updated_ms: v
            .get("finished-at")
            .and_then(Value::as_u64)
            .filter(|t| *t > 0)
            .or_else(|| v.get("created-at").and_then(Value::as_u64))
            .unwrap_or(0),
    })
}

impl HtxClient {
    /// Returns a client at `base_url` ([`BASE_URL`] or a simulator's).
    ///
    /// # Errors
    ///
    /// [`Error::Configuration`] for a URL that is not http(s).
    pub fn new(base_url: &str, tls: Arc<rustls::ClientConfig>, creds: Credentials) -> Result<HtxClient, Error> {
        let http = HttpClient::new(base_url, tls).map_err(|e| Error::Configuration { detail: e.to_string() })?;
        let signer = HtxSigner::new(creds.secret().expose());
        // The signature covers the host as the request names it: lower case, no port.
        let host =
            base_url.split("://").nth(1).unwrap_or("").split(['/', ':']).next().unwrap_or("").to_ascii_lowercase();
        Ok(HtxClient {
            t: Transport::new(KEY, http),
            creds,
            signer,
            ids: ClientOrderIds::new("mdbus"),
            host,
            account_id: None,
        })
    }

    fn send(&mut self, method: &str, path: &str, params: &[(&str, &str)], body: &str) -> Result<Sent, Error> {
        let ts = mdbus_sdk::order::time::iso8601_secs(self.t.now_ms());
        let (q, sig) = self.signer.sign(method, &self.host, path, self.creds.api_key(), &ts, params);
        let mut target = format!("{path}?{q}&Signature=");
        percent_encode(sig.as_str(), &mut target);
        let headers = [("Content-Type", "application/json"), ("Accept", "application/json")];
        self.t.exchange(method, path, &target, &headers, body.as_bytes())
    }

    fn check(&mut self, r: &Response) -> Option<Error> {
        HTX.from_body(self.t.venue, r.status, &r.body, r.retry_after())
    }

    /// `data` of a read or cancel, retried as the policy says.
    fn call(&mut self, method: &str, path: &str, params: &[(&str, &str)], body: &str) -> Result<Value, Error> {
        transport::retry_read(self, |c| match c.send(method, path, params, body)? {
            Sent::Reply(r) => match c.check(&r) {
                None => Ok(transport::json("htx", &r.body)?.get("data").cloned().unwrap_or_default()),
                Some(e) => Err(e),
            },
            Sent::Lost(detail) => Err(Error::Network { venue: c.t.venue(), detail }),
        })
    }

    /// The spot account id, read once.
    fn account_id(&mut self) -> Result<u64, Error> {
        if let Some(id) = self.account_id {
            return Ok(id);
        }
        let v = self.call("GET", "/v1/account/accounts", &[], "")?;
        let id = v
            .as_array()
            .into_iter()
            .flatten()
            .find(|a| a.get("type").and_then(Value::as_str) == Some("spot"))
            .and_then(|a| a.get("id").and_then(Value::as_u64))
            .ok_or_else(|| Error::DataParse { what: "htx accounts".into(), detail: "no spot account".into() })?;
        self.account_id = Some(id);
        Ok(id)
    }

    fn not_found(&self, symbol: &str, order: OrderRef<'_>) -> Error {
        let (OrderRef::Venue(id) | OrderRef::Client(id)) = order;
        Error::OrderNotFound { venue: self.t.venue(), order_id: id.to_owned(), symbol: symbol.to_owned() }
    }
}

mdbus_sdk::transport_builders!(HtxClient);

impl HasTransport for HtxClient {
    fn transport(&mut self) -> &mut Transport {
        &mut self.t
    }
}

impl OrderClient for HtxClient {
    fn disconnect(&mut self) {
        self.t.http.disconnect();
    }

    fn place(&mut self, order: &NewOrder) -> Result<Placed, Error> {
        let cid = order.client_order_id.clone().unwrap_or_else(|| self.ids.next());
        let account = self.account_id()?;
        let side = if order.side == Side::Buy { "buy" } else { "sell" };
        let kind = match (order.kind, order.tif) {
            (OrderType::Market, _) => "market",
            (OrderType::PostOnly, _) => "limit-maker",
            (_, TimeInForce::Ioc) => "ioc",
            (_, TimeInForce::Fok) => "limit-fok",
            _ => "limit",
        };
        let mut body = json!({
            "account-id": account.to_string(),
            "symbol": order.symbol,
            "type": format!("{side}-{kind}"),
            "amount": order.qty.to_string(),
            "client-order-id": cid,
            "source": "spot-api",
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
            |c, _| c.send("POST", "/v1/order/orders/place", &[], &body),
            |c, r| match c.check(r) {
                None => {
                    let v = transport::json("htx", &r.body)?;
                    Ok(Outcome::Accepted(OrderState {
                        symbol: order.symbol.clone(),
                        order_id: text(&v, "data"),
                        client_order_id: cid.clone(),
                        side: order.side,
                        price: order.price.unwrap_or(Decimal::ZERO),
                        qty: order.qty,
                        filled: Decimal::ZERO,
                        status: OrderStatus::New,
                        updated_ms: c.t.now_ms(),
                    }))
                }
                Some(err) => Ok(Outcome::refused(r.status, err)),
            },
        )
    }

    fn resolve(&mut self, symbol: &str, client_order_id: &str) -> Result<Placed, Error> {
        let expires_ms = self.t.expiry_of(client_order_id, WINDOW_MS);
        transport::resolve(self, symbol, client_order_id, expires_ms)
    }

    fn cancel(&mut self, symbol: &str, order: OrderRef<'_>) -> Result<OrderState, Error> {
        let r = match order {
            OrderRef::Venue(id) => self.call("POST", &format!("/v1/order/orders/{id}/submitcancel"), &[], "{}"),
            OrderRef::Client(cid) => self.call(
                "POST",
                "/v1/order/orders/submitCancelClientOrder",
                &[],
                &json!({ "client-order-id": cid }).to_string(),
            ),
        };
        match r {
            Ok(_) => self.query(symbol, order),
            Err(Error::OrderNotFound { .. }) => Err(self.not_found(symbol, order)),
            Err(e) => Err(e),
        }
    }

    fn query(&mut self, symbol: &str, order: OrderRef<'_>) -> Result<OrderState, Error> {
        let r = match order {
            OrderRef::Venue(id) => self.call("GET", &format!("/v1/order/orders/{id}"), &[], ""),
            OrderRef::Client(cid) => self.call("GET", "/v1/order/orders/getClientOrder", &[("clientOrderId", cid)], ""),
        };
        match r {
            Ok(v) => order_state(&v),
            Err(Error::OrderNotFound { .. }) => Err(self.not_found(symbol, order)),
            Err(e) => Err(e),
        }
    }

    fn open_orders(&mut self, symbol: Option<&str>) -> Result<Vec<OrderState>, Error> {
        let account = self.account_id()?.to_string();
        let mut params = vec![("account-id", account.as_str())];
        if let Some(s) = symbol {
            params.push(("symbol", s));
        }
        let v = self.call("GET", "/v1/order/openOrders", &params, "")?;
        v.as_array().into_iter().flatten().map(order_state).collect()
    }

    fn balances(&mut self) -> Result<Vec<BalanceState>, Error> {
        let account = self.account_id()?;
        let v = self.call("GET", &format!("/v1/account/accounts/{account}/balance"), &[], "")?;
        // One row per currency and type (`trade`: free, `frozen`: locked).
        let mut out: Vec<BalanceState> = Vec::new();
        for row in v.get("list").and_then(Value::as_array).into_iter().flatten() {
            let asset = text(row, "currency").to_ascii_uppercase();
            let i = match out.iter().position(|b| b.asset == asset) {
                Some(i) => i,
                None => {
                    out.push(BalanceState { asset, free: Decimal::ZERO, locked: Decimal::ZERO });
                    out.len() - 1
                }
            };
            match text(row, "type").as_str() {
                "trade" => out[i].free = dec(row, "balance"),
                "frozen" => out[i].locked = dec(row, "balance"),
                _ => {}
            }
        }
        Ok(out)
    }

    fn positions(&mut self) -> Result<Vec<PositionState>, Error> {
        Err(Error::NotSupported { capability: Capability::GetPosition, venue: self.t.venue() })
    }

    fn sync_time(&mut self) -> Result<i64, Error> {
        let before = (mdbus_bus::now_ns() / 1_000_000) as i64;
        // Public: no signature needed, but a signed request is answered alike.
        let v = self.call("GET", "/v1/common/timestamp", &[], "")?;
        let after = (mdbus_bus::now_ns() / 1_000_000) as i64;
        let server =
            v.as_i64().ok_or_else(|| Error::DataParse { what: "htx server time".into(), detail: "no data".into() })?;
        self.t.offset_ms = server - (before + after) / 2;
        Ok(self.t.offset_ms)
    }
}
