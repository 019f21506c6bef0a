//! Bybit v5 order client (spot and USDT linear perpetuals).
//!
//! Requests carry `X-BAPI-API-KEY`, `X-BAPI-TIMESTAMP` (ms, corrected by the measured offset),
//! `X-BAPI-RECV-WINDOW` and `X-BAPI-SIGN` from [`BybitSigner`]. Bybit answers errors with HTTP
//! 200 and a `retCode`; a rate-limited request carries `X-Bapi-Limit-Reset-Timestamp`.

use std::{sync::Arc, time::Duration};

use mdbus_schemas::Decimal;
use serde_json::{Value, json};

use super::{errors::BYBIT, sign::BybitSigner};
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
};

/// Which Bybit category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Market {
    /// `spot`.
    Spot,
    /// `linear` (USDT perpetuals).
    Linear,
}

impl Market {
    /// Returns the registry key (`BYBIT___SPOT`, `BYBIT___SWAP`).
    pub fn key(self) -> &'static str {
        match self {
            Market::Spot => "BYBIT___SPOT",
            Market::Linear => "BYBIT___SWAP",
        }
    }

    fn category(self) -> &'static str {
        match self {
            Market::Spot => "spot",
            Market::Linear => "linear",
        }
    }
}

/// The production REST base URL.
pub const BASE_URL: &str = "https://api.bybit.com";

/// Bybit's order client.
pub struct BybitClient {
    market: Market,
    t: Transport,
    creds: Credentials,
    signer: BybitSigner,
    ids: ClientOrderIds,
    recv_window_ms: u64,
}

impl std::fmt::Debug for BybitClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BybitClient")
            .field("market", &self.market)
            .field("transport", &self.t)
            .field("creds", &self.creds)
            .finish()
    }
}

fn order_state(v: &Value) -> Result<OrderState, Error> {
    if v.get("orderId").is_none() {
        return Err(Error::DataParse { what: "bybit order".into(), detail: mdbus_sdk::redact::text(&v.to_string()) });
    }
    Ok(OrderState {
        symbol: text(v, "symbol"),
        order_id: text(v, "orderId"),
        client_order_id: text(v, "orderLinkId"),
        side: if text(v, "side") == "Sell" { Side::Sell } else { Side::Buy },
        price: dec(v, "price"),
        qty: dec(v, "qty"),
        filled: dec(v, "cumExecQty"),
        status: match text(v, "orderStatus").as_str() {
            "New" | "Created" | "Untriggered" => OrderStatus::New,
            "PartiallyFilled" => OrderStatus::PartiallyFilled,
            "Filled" => OrderStatus::Filled,
            "Cancelled" | "PartiallyFilledCanceled" | "Deactivated" => OrderStatus::Canceled,
            "Rejected" => OrderStatus::Rejected,
            _ => OrderStatus::Expired,
        },
        updated_ms: text(v, "updatedTime").parse().unwrap_or(0),
    })
}

impl BybitClient {
    /// Returns a client for `market` at `base_url` ([`BASE_URL`] or a simulator's).
    ///
    /// # Errors
    ///
    /// [`Error::Configuration`] for a URL that is not http(s).
    pub fn new(
        market: Market,
        base_url: &str,
        tls: Arc<rustls::ClientConfig>,
        creds: Credentials,
    ) -> Result<BybitClient, Error> {
        let http = HttpClient::new(base_url, tls).map_err(|e| Error::Configuration { detail: e.to_string() })?;
        let signer = BybitSigner::new(creds.secret().expose());
        Ok(BybitClient {
            market,
            t: Transport::new(market.key(), http),
            creds,
            signer,
            ids: ClientOrderIds::new("mdbus"),
            recv_window_ms: 5000,
        })
    }

    /// Sets `X-BAPI-RECV-WINDOW` in milliseconds. Default 5,000.
    pub fn with_recv_window(mut self, ms: u64) -> BybitClient {
        self.recv_window_ms = ms;
        self
    }

    fn send(&mut self, method: &str, path: &'static str, query: &str, body: &str) -> Result<Sent, Error> {
        let target = if query.is_empty() { path.to_owned() } else { format!("{path}?{query}") };
        let ts = self.t.now_ms().to_string();
        let rw = self.recv_window_ms.to_string();
        let payload = if method == "GET" { query } else { body };
        let sig = self.signer.sign(&ts, self.creds.api_key(), &rw, payload);
        let key = self.creds.api_key().to_owned();
        let headers = [
            ("X-BAPI-API-KEY", key.as_str()),
            ("X-BAPI-TIMESTAMP", ts.as_str()),
            ("X-BAPI-RECV-WINDOW", rw.as_str()),
            ("X-BAPI-SIGN", sig.as_str()),
            ("Content-Type", "application/json"),
            ("Accept", "application/json"),
        ];
        self.t.exchange(method, path, &target, &headers, body.as_bytes())
    }

    /// The error in a reply, if any; a rate-limit reply pauses the transport until Bybit's
    /// reset time.
    fn check(&mut self, r: &Response) -> Option<Error> {
        let retry = r
            .header("x-bapi-limit-reset-timestamp")
            .and_then(|v| v.parse::<u64>().ok())
            .map(|reset| Duration::from_millis(reset.saturating_sub(self.t.now_ms()).max(1)));
        let err = BYBIT.from_body(self.t.venue, r.status, &r.body, retry.or(r.retry_after()))?;
        if err.is_rate_limit() {
            self.t.pause(err.retry_after().unwrap_or(Duration::from_secs(1)));
        }
        Some(err)
    }

    /// A request returning `result`; retried when `retry` (reads and cancels).
    fn call(&mut self, method: &str, path: &'static str, query: &str, body: &str) -> Result<Value, Error> {
        transport::retry_read(self, |c| match c.send(method, path, query, body)? {
            Sent::Reply(r) => match c.check(&r) {
                None => Ok(transport::json("bybit", &r.body)?.get("result").cloned().unwrap_or_default()),
                Some(e) => Err(e),
            },
            Sent::Lost(detail) => Err(Error::Network { venue: c.t.venue(), detail }),
        })
    }
}

mdbus_sdk::transport_builders!(BybitClient);

impl HasTransport for BybitClient {
    fn transport(&mut self) -> &mut Transport {
        &mut self.t
    }
}

impl OrderClient for BybitClient {
    fn disconnect(&mut self) {
        self.t.http.disconnect();
    }

    fn place(&mut self, order: &NewOrder) -> Result<Placed, Error> {
        let cid = order.client_order_id.clone().unwrap_or_else(|| self.ids.next());
        let tif = match (order.kind, order.tif) {
            (OrderType::PostOnly, _) => "PostOnly",
            (_, TimeInForce::Ioc) => "IOC",
            (_, TimeInForce::Fok) => "FOK",
            _ => "GTC",
        };
        let mut body = json!({
            "category": self.market.category(),
            "symbol": order.symbol,
            "side": if order.side == Side::Buy { "Buy" } else { "Sell" },
            "orderType": if order.kind == OrderType::Market { "Market" } else { "Limit" },
            "qty": order.qty.to_string(),
            "timeInForce": tif,
            "orderLinkId": cid,
        });
        if let Some(px) = order.price
            && order.kind != OrderType::Market
        {
            body["price"] = json!(px.to_string());
        }
        if order.reduce_only {
            body["reduceOnly"] = json!(true);
        }
        let body = body.to_string();
        // Bybit accepts a request until its timestamp is recv_window old.
        let window = self.recv_window_ms;
        transport::submit(
            self,
            &order.symbol,
            &cid,
            window,
            |c, _| c.send("POST", "/v5/order/create", "", &body),
            |c, r| match c.check(r) {
                None => {
                    let v = transport::json("bybit", &r.body)?;
                    let res = v.get("result").cloned().unwrap_or_default();
                    Ok(Outcome::Accepted(OrderState {
                        symbol: order.symbol.clone(),
                        order_id: text(&res, "orderId"),
                        client_order_id: text(&res, "orderLinkId"),
                        side: order.side,
                        price: order.price.unwrap_or(Decimal::ZERO),
                        qty: order.qty,
                        filled: Decimal::ZERO,
                        status: OrderStatus::New,
                        updated_ms: v.get("time").and_then(Value::as_u64).unwrap_or(0),
                    }))
                }
                Some(err) => Ok(Outcome::refused(r.status, err)),
            },
        )
    }

    fn resolve(&mut self, symbol: &str, client_order_id: &str) -> Result<Placed, Error> {
        let expires_ms = self.t.expiry_of(client_order_id, self.recv_window_ms);
        transport::resolve(self, symbol, client_order_id, expires_ms)
    }

    fn cancel(&mut self, symbol: &str, order: OrderRef<'_>) -> Result<OrderState, Error> {
        let mut body = json!({ "category": self.market.category(), "symbol": symbol });
        match order {
            OrderRef::Client(c) => body["orderLinkId"] = json!(c),
            OrderRef::Venue(v) => body["orderId"] = json!(v),
        }
        match self.call("POST", "/v5/order/cancel", "", &body.to_string()) {
            Ok(_) => self.query(symbol, order),
            Err(Error::OrderNotFound { venue, .. }) => {
                Err(Error::OrderNotFound { venue, order_id: label(order), symbol: symbol.to_owned() })
            }
            Err(e) => Err(e),
        }
    }

    fn query(&mut self, symbol: &str, order: OrderRef<'_>) -> Result<OrderState, Error> {
        let id = match order {
            OrderRef::Client(c) => format!("orderLinkId={c}"),
            OrderRef::Venue(v) => format!("orderId={v}"),
        };
        let q = format!("category={}&symbol={symbol}&{id}", self.market.category());
        let res = self.call("GET", "/v5/order/realtime", &q, "")?;
        match res.get("list").and_then(Value::as_array).and_then(|l| l.first()) {
            Some(o) => order_state(o),
            None => {
                Err(Error::OrderNotFound { venue: self.t.venue(), order_id: label(order), symbol: symbol.to_owned() })
            }
        }
    }

    fn open_orders(&mut self, symbol: Option<&str>) -> Result<Vec<OrderState>, Error> {
        let mut q = format!("category={}", self.market.category());
        if let Some(s) = symbol {
            q.push_str("&symbol=");
            q.push_str(s);
        }
        let res = self.call("GET", "/v5/order/realtime", &q, "")?;
        res.get("list")
            .and_then(Value::as_array)
            .map(|l| l.iter().map(order_state).collect())
            .unwrap_or_else(|| Ok(Vec::new()))
    }

    fn balances(&mut self) -> Result<Vec<BalanceState>, Error> {
        let res = self.call("GET", "/v5/account/wallet-balance", "accountType=UNIFIED", "")?;
        let coins = res
            .get("list")
            .and_then(Value::as_array)
            .and_then(|l| l.first())
            .and_then(|a| a.get("coin"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        Ok(coins
            .iter()
            .map(|c| BalanceState {
                asset: text(c, "coin"),
                free: dec(c, "availableToWithdraw"),
                locked: dec(c, "locked"),
            })
            .collect())
    }

    fn positions(&mut self) -> Result<Vec<PositionState>, Error> {
        if self.market == Market::Spot {
            return Err(Error::NotSupported { capability: Capability::GetPosition, venue: self.t.venue() });
        }
        let res = self.call("GET", "/v5/position/list", "category=linear&settleCoin=USDT", "")?;
        let list = res.get("list").and_then(Value::as_array).cloned().unwrap_or_default();
        Ok(list
            .iter()
            .filter(|p| !dec(p, "size").is_zero())
            .map(|p| {
                let size = dec(p, "size");
                let qty =
                    if text(p, "side") == "Sell" { Decimal::new(-size.mantissa(), size.exponent()) } else { size };
                PositionState {
                    symbol: text(p, "symbol"),
                    qty,
                    entry_price: dec(p, "avgPrice"),
                    unrealized_pnl: dec(p, "unrealisedPnl"),
                }
            })
            .collect())
    }

    fn sync_time(&mut self) -> Result<i64, Error> {
        let before = (mdbus_bus::now_ns() / 1_000_000) as i64;
        let res = self.call("GET", "/v5/market/time", "", "")?;
        let after = (mdbus_bus::now_ns() / 1_000_000) as i64;
        let nanos: i128 = text(&res, "timeNano")
            .parse()
            .map_err(|_| Error::DataParse { what: "bybit server time".into(), detail: "no timeNano".into() })?;
        self.t.offset_ms = (nanos / 1_000_000) as i64 - (before + after) / 2;
        Ok(self.t.offset_ms)
    }
}

fn label(order: OrderRef<'_>) -> String {
    match order {
        OrderRef::Client(c) | OrderRef::Venue(c) => c.to_owned(),
    }
}
