//! OKX v5 order client (spot and perpetual swaps).
//!
//! Requests carry `OK-ACCESS-KEY`, `OK-ACCESS-PASSPHRASE`, `OK-ACCESS-TIMESTAMP` (ISO 8601 with
//! milliseconds, corrected by the measured offset) and `OK-ACCESS-SIGN` from [`OkxSigner`].
//! Orders also carry `expTime`, the venue time after which OKX drops the request unprocessed:
//! that is what bounds the resolution of an unknown outcome.

use std::{sync::Arc, time::Duration};

use mdbus_schemas::Decimal;
use serde_json::{Value, json};

use super::{errors::OKX, sign::OkxSigner};
use mdbus_sdk::order::{
    BalanceState, ClientOrderIds, NewOrder, OrderClient, OrderRef, OrderState, OrderStatus, OrderType, Placed,
    PositionState, Side, TimeInForce,
    time::iso8601_ms,
    transport::{self, HasTransport, Outcome, Sent, Transport, dec, text},
};
use mdbus_sdk::{
    credentials::Credentials,
    error::Error,
    http::{HttpClient, Response},
    registry::Capability,
};

/// Which OKX instruments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Market {
    /// Spot (`BTC-USDT`), trade mode `cash`.
    Spot,
    /// Perpetual swaps (`BTC-USDT-SWAP`), trade mode `cross`.
    Swap,
}

impl Market {
    /// Returns the registry key (`OKX___SPOT`, `OKX___SWAP`).
    pub fn key(self) -> &'static str {
        match self {
            Market::Spot => "OKX___SPOT",
            Market::Swap => "OKX___SWAP",
        }
    }

    fn inst_type(self) -> &'static str {
        match self {
            Market::Spot => "SPOT",
            Market::Swap => "SWAP",
        }
    }
}

/// The production REST base URL.
pub const BASE_URL: &str = "https://www.okx.com";

/// OKX's order client.
pub struct OkxClient {
    market: Market,
    t: Transport,
    creds: Credentials,
    signer: OkxSigner,
    ids: ClientOrderIds,
    expiry_ms: u64,
}

impl std::fmt::Debug for OkxClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OkxClient")
            .field("market", &self.market)
            .field("transport", &self.t)
            .field("creds", &self.creds)
            .finish()
    }
}

fn order_state(v: &Value) -> Result<OrderState, Error> {
    if v.get("ordId").is_none() {
        return Err(Error::DataParse { what: "okx order".into(), detail: mdbus_sdk::redact::text(&v.to_string()) });
    }
    Ok(OrderState {
        symbol: text(v, "instId"),
        order_id: text(v, "ordId"),
        client_order_id: text(v, "clOrdId"),
        side: if text(v, "side") == "sell" { Side::Sell } else { Side::Buy },
        price: dec(v, "px"),
        qty: dec(v, "sz"),
        filled: dec(v, "accFillSz"),
        status: match text(v, "state").as_str() {
            "live" => OrderStatus::New,
            "partially_filled" => OrderStatus::PartiallyFilled,
            "filled" => OrderStatus::Filled,
            "canceled" | "mmp_canceled" => OrderStatus::Canceled,
            _ => OrderStatus::Expired,
        },
        updated_ms: text(v, "uTime").parse().unwrap_or(0),
    })
}

impl OkxClient {
    /// Returns a client for `market` at `base_url` ([`BASE_URL`] or a simulator's). The
    /// credentials need a passphrase.
    ///
    /// # Errors
    ///
    /// [`Error::Configuration`] for a URL that is not http(s) or credentials without a
    /// passphrase.
    pub fn new(
        market: Market,
        base_url: &str,
        tls: Arc<rustls::ClientConfig>,
        creds: Credentials,
    ) -> Result<OkxClient, Error> {
        if creds.passphrase().is_none() {
            return Err(Error::Configuration { detail: "OKX credentials need a passphrase".into() });
        }
        let http = HttpClient::new(base_url, tls).map_err(|e| Error::Configuration { detail: e.to_string() })?;
        let signer = OkxSigner::new(creds.secret().expose());
        Ok(OkxClient {
            market,
            t: Transport::new(market.key(), http),
            creds,
            signer,
            ids: ClientOrderIds::new("mdbus"),
            expiry_ms: 5000,
        })
    }

    /// Sets how long after sending OKX may still accept an order (`expTime`). Default 5 s.
    pub fn with_expiry(mut self, ms: u64) -> OkxClient {
        self.expiry_ms = ms;
        self
    }

    fn error(venue: &str, r: &Response) -> Error {
        OKX.from_body(venue, r.status, &r.body, r.retry_after()).unwrap_or_else(|| Error::RequestFailed {
            venue: venue.to_owned(),
            url: String::new(),
            status: Some(r.status),
            detail: String::new(),
        })
    }

    fn send(
        &mut self,
        method: &str,
        path: &'static str,
        query: &str,
        body: &str,
        exp_time: Option<u64>,
    ) -> Result<Sent, Error> {
        let target = if query.is_empty() { path.to_owned() } else { format!("{path}?{query}") };
        let ts = iso8601_ms(self.t.now_ms());
        let sig = self.signer.sign(&ts, method, &target, body);
        let key = self.creds.api_key().to_owned();
        let pass = self.creds.passphrase().map(|p| p.expose().to_owned()).unwrap_or_default();
        let exp = exp_time.map(|e| e.to_string());
        let mut headers = vec![
            ("OK-ACCESS-KEY", key.as_str()),
            ("OK-ACCESS-SIGN", sig.as_str()),
            ("OK-ACCESS-TIMESTAMP", ts.as_str()),
            ("OK-ACCESS-PASSPHRASE", pass.as_str()),
            ("Content-Type", "application/json"),
            ("Accept", "application/json"),
        ];
        if let Some(e) = &exp {
            headers.push(("expTime", e.as_str()));
        }
        self.t.exchange(method, path, &target, &headers, body.as_bytes())
    }

    /// A read (GET) returning the `data` array; retried.
    fn read(&mut self, path: &'static str, query: &str) -> Result<Vec<Value>, Error> {
        transport::retry_read(self, |c| match c.send("GET", path, query, "", None)? {
            Sent::Reply(r) => match OKX.from_body(c.t.venue, r.status, &r.body, r.retry_after()) {
                None if r.is_success() => {
                    let v = transport::json("okx", &r.body)?;
                    Ok(v.get("data").and_then(Value::as_array).cloned().unwrap_or_default())
                }
                None => Err(Self::error(c.t.venue, &r)),
                Some(e) => Err(e),
            },
            Sent::Lost(detail) => Err(Error::Network { venue: c.t.venue(), detail }),
        })
    }

    fn id_query(order: OrderRef<'_>) -> String {
        match order {
            OrderRef::Client(c) => format!("clOrdId={c}"),
            OrderRef::Venue(v) => format!("ordId={v}"),
        }
    }
}

mdbus_sdk::transport_builders!(OkxClient);

impl HasTransport for OkxClient {
    fn transport(&mut self) -> &mut Transport {
        &mut self.t
    }
}

impl OrderClient for OkxClient {
    fn disconnect(&mut self) {
        self.t.http.disconnect();
    }

    fn place(&mut self, order: &NewOrder) -> Result<Placed, Error> {
        let cid = order.client_order_id.clone().unwrap_or_else(|| self.ids.next().replace('-', ""));
        let ord_type = match (order.kind, order.tif) {
            (OrderType::Market, _) => "market",
            (OrderType::PostOnly, _) => "post_only",
            (OrderType::Limit, TimeInForce::Ioc) => "ioc",
            (OrderType::Limit, TimeInForce::Fok) => "fok",
            (OrderType::Limit, _) => "limit",
            _ => {
                return Err(Error::InvalidOrder {
                    venue: self.t.venue(),
                    symbol: order.symbol.clone(),
                    code: mdbus_sdk::error::ErrorCode::InvalidOrderType,
                    detail: format!("{:?} orders are not supported here", order.kind),
                });
            }
        };
        let mut body = json!({
            "instId": order.symbol,
            "tdMode": if self.market == Market::Swap { "cross" } else { "cash" },
            "clOrdId": cid,
            "side": if order.side == Side::Buy { "buy" } else { "sell" },
            "ordType": ord_type,
            "sz": order.qty.to_string(),
        });
        if let Some(px) = order.price
            && order.kind != OrderType::Market
        {
            body["px"] = json!(px.to_string());
        }
        if order.reduce_only {
            body["reduceOnly"] = json!(true);
        }
        let body = body.to_string();
        let window = self.expiry_ms;
        transport::submit(
            self,
            &order.symbol,
            &cid,
            window,
            |c, expires_ms| c.send("POST", "/api/v5/trade/order", "", &body, Some(expires_ms)),
            |c, r| match OKX.from_body(c.t.venue, r.status, &r.body, r.retry_after()) {
                None => {
                    let v = transport::json("okx", &r.body)?;
                    let item =
                        v.get("data").and_then(Value::as_array).and_then(|a| a.first()).cloned().unwrap_or_default();
                    Ok(Outcome::Accepted(OrderState {
                        symbol: order.symbol.clone(),
                        order_id: text(&item, "ordId"),
                        client_order_id: text(&item, "clOrdId"),
                        side: order.side,
                        price: order.price.unwrap_or(Decimal::ZERO),
                        qty: order.qty,
                        filled: Decimal::ZERO,
                        status: OrderStatus::New,
                        updated_ms: text(&item, "ts").parse().unwrap_or(0),
                    }))
                }
                // OKX's own "timed out" code: the order may exist.
                Some(err) if err.code() == mdbus_sdk::error::ErrorCode::NetworkTimeout => Ok(Outcome::Unknown),
                Some(err) => {
                    // OKX's rate limits say no wait: half a second.
                    let wait = err.retry_after().or_else(|| err.is_rate_limit().then_some(Duration::from_millis(500)));
                    match Outcome::refused(r.status, err) {
                        Outcome::Refused { err, .. } => Ok(Outcome::Refused { err, wait }),
                        other => Ok(other),
                    }
                }
            },
        )
    }

    fn resolve(&mut self, symbol: &str, client_order_id: &str) -> Result<Placed, Error> {
        let expires_ms = self.t.expiry_of(client_order_id, self.expiry_ms);
        transport::resolve(self, symbol, client_order_id, expires_ms)
    }

    fn cancel(&mut self, symbol: &str, order: OrderRef<'_>) -> Result<OrderState, Error> {
        let mut body = json!({ "instId": symbol });
        match order {
            OrderRef::Client(c) => body["clOrdId"] = json!(c),
            OrderRef::Venue(v) => body["ordId"] = json!(v),
        }
        let body = body.to_string();
        let venue = self.t.venue();
        transport::retry_read(self, |c| match c.send("POST", "/api/v5/trade/cancel-order", "", &body, None)? {
            Sent::Reply(r) => match OKX.from_body(c.t.venue, r.status, &r.body, r.retry_after()) {
                None => Ok(()),
                Some(Error::Order { code: mdbus_sdk::error::ErrorCode::OrderCancelFailed, .. }) => {
                    Err(Error::OrderNotFound {
                        venue: venue.clone(),
                        order_id: label(order),
                        symbol: symbol.to_owned(),
                    })
                }
                Some(e) => Err(e),
            },
            Sent::Lost(detail) => Err(Error::Network { venue: c.t.venue(), detail }),
        })?;
        self.query(symbol, order)
    }

    fn query(&mut self, symbol: &str, order: OrderRef<'_>) -> Result<OrderState, Error> {
        let q = format!("instId={symbol}&{}", Self::id_query(order));
        match self.read("/api/v5/trade/order", &q) {
            Ok(data) => data.first().map(order_state).unwrap_or_else(|| {
                Err(Error::OrderNotFound { venue: self.t.venue(), order_id: label(order), symbol: symbol.to_owned() })
            }),
            Err(Error::OrderNotFound { venue, .. }) => {
                Err(Error::OrderNotFound { venue, order_id: label(order), symbol: symbol.to_owned() })
            }
            Err(e) => Err(e),
        }
    }

    fn open_orders(&mut self, symbol: Option<&str>) -> Result<Vec<OrderState>, Error> {
        let mut q = format!("instType={}", self.market.inst_type());
        if let Some(s) = symbol {
            q.push_str("&instId=");
            q.push_str(s);
        }
        self.read("/api/v5/trade/orders-pending", &q)?.iter().map(order_state).collect()
    }

    fn balances(&mut self) -> Result<Vec<BalanceState>, Error> {
        let data = self.read("/api/v5/account/balance", "")?;
        let details =
            data.first().and_then(|d| d.get("details")).and_then(Value::as_array).cloned().unwrap_or_default();
        Ok(details
            .iter()
            .map(|d| BalanceState { asset: text(d, "ccy"), free: dec(d, "availBal"), locked: dec(d, "frozenBal") })
            .collect())
    }

    fn positions(&mut self) -> Result<Vec<PositionState>, Error> {
        if self.market == Market::Spot {
            return Err(Error::NotSupported { capability: Capability::GetPosition, venue: self.t.venue() });
        }
        let data = self.read("/api/v5/account/positions", "instType=SWAP")?;
        Ok(data
            .iter()
            .filter(|p| !dec(p, "pos").is_zero())
            .map(|p| PositionState {
                symbol: text(p, "instId"),
                qty: dec(p, "pos"),
                entry_price: dec(p, "avgPx"),
                unrealized_pnl: dec(p, "upl"),
            })
            .collect())
    }

    fn sync_time(&mut self) -> Result<i64, Error> {
        let before = (mdbus_bus::now_ns() / 1_000_000) as i64;
        let data = self.read("/api/v5/public/time", "")?;
        let after = (mdbus_bus::now_ns() / 1_000_000) as i64;
        let server: i64 = data
            .first()
            .map(|d| text(d, "ts"))
            .and_then(|t| t.parse().ok())
            .ok_or_else(|| Error::DataParse { what: "okx server time".into(), detail: "no ts".into() })?;
        self.t.offset_ms = server - (before + after) / 2;
        Ok(self.t.offset_ms)
    }
}

fn label(order: OrderRef<'_>) -> String {
    match order {
        OrderRef::Client(c) | OrderRef::Venue(c) => c.to_owned(),
    }
}
