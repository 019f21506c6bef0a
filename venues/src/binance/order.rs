//! Binance spot (`/api/v3`) and USD-M futures (`/fapi`) order client.
//!
//! Requests are signed with [`BinanceSigner`] over the query string and form body (Binance's
//! "totalParams"), carry `X-MBX-APIKEY`, a `timestamp` corrected by the measured server-time
//! offset and a `recvWindow`. Responses' `X-MBX-USED-WEIGHT-1M` and `X-MBX-ORDER-COUNT-*`
//! headers correct the limiter's rules that name them.

use std::{fmt::Write as _, sync::Arc};

use mdbus_schemas::Decimal;
use serde_json::Value;

use super::{errors::BINANCE, sign::BinanceSigner};
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
    signing::percent_encode,
};

/// Which Binance API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Market {
    /// Spot, `https://api.binance.com/api/v3`.
    Spot,
    /// USD-M futures, `https://fapi.binance.com/fapi`.
    UsdM,
}

impl Market {
    /// Returns the registry key (`BINANCE___SPOT`, `BINANCE___SWAP`).
    pub fn key(self) -> &'static str {
        match self {
            Market::Spot => "BINANCE___SPOT",
            Market::UsdM => "BINANCE___SWAP",
        }
    }

    /// Returns the production REST base URL.
    pub fn base_url(self) -> &'static str {
        match self {
            Market::Spot => "https://api.binance.com",
            Market::UsdM => "https://fapi.binance.com",
        }
    }

    fn path(self, what: Path) -> &'static str {
        match (self, what) {
            (Market::Spot, Path::Order) => "/api/v3/order",
            (Market::UsdM, Path::Order) => "/fapi/v1/order",
            (Market::Spot, Path::OpenOrders) => "/api/v3/openOrders",
            (Market::UsdM, Path::OpenOrders) => "/fapi/v1/openOrders",
            (Market::Spot, Path::Time) => "/api/v3/time",
            (Market::UsdM, Path::Time) => "/fapi/v1/time",
            (Market::Spot, Path::Balances) => "/api/v3/account",
            (Market::UsdM, Path::Balances) => "/fapi/v2/balance",
            (_, Path::Positions) => "/fapi/v2/positionRisk",
            (Market::Spot, Path::ListenKey) => "/api/v3/userDataStream",
            (Market::UsdM, Path::ListenKey) => "/fapi/v1/listenKey",
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Path {
    Order,
    OpenOrders,
    Time,
    Balances,
    Positions,
    ListenKey,
}

/// Binance's order client.
///
/// # Examples
///
/// ```no_run
/// use mdbus_sdk::{credentials::Credentials, order::{NewOrder, OrderClient, Placed, Side}};
/// use mdbus_venues::binance::order::{BinanceClient, Market};
///
/// let tls = mdbus_sdk::tls::client_config(&[] as &[&str], &[])?;
/// let creds = Credentials::from_env("BINANCE")?;
/// let mut client = BinanceClient::new(Market::Spot, Market::Spot.base_url(), tls, creds)?;
/// client.sync_time()?;
/// match client.place(&NewOrder::limit("BTCUSDT", Side::Buy, "0.001".parse()?, "20000".parse()?))? {
///     Placed::Accepted(order) => println!("{} {:?}", order.order_id, order.status),
///     Placed::Unknown { client_order_id, .. } => println!("{client_order_id}: outcome unknown, do not resend"),
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct BinanceClient {
    market: Market,
    t: Transport,
    creds: Credentials,
    signer: BinanceSigner,
    ids: ClientOrderIds,
    recv_window_ms: u64,
}

impl std::fmt::Debug for BinanceClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BinanceClient")
            .field("market", &self.market)
            .field("transport", &self.t)
            .field("creds", &self.creds)
            .finish_non_exhaustive()
    }
}

fn status(s: &str) -> OrderStatus {
    match s {
        "NEW" | "PENDING_NEW" => OrderStatus::New,
        "PARTIALLY_FILLED" => OrderStatus::PartiallyFilled,
        "FILLED" => OrderStatus::Filled,
        "CANCELED" | "PENDING_CANCEL" => OrderStatus::Canceled,
        "REJECTED" => OrderStatus::Rejected,
        _ => OrderStatus::Expired,
    }
}

/// Parses one Binance order object (spot or USD-M).
fn order_state(v: &Value) -> Result<OrderState, Error> {
    if v.get("orderId").is_none() {
        return Err(Error::DataParse { what: "binance order".into(), detail: mdbus_sdk::redact::text(&v.to_string()) });
    }
    Ok(OrderState {
        symbol: text(v, "symbol"),
        order_id: text(v, "orderId"),
        client_order_id: text(v, "clientOrderId"),
        side: if text(v, "side") == "SELL" { Side::Sell } else { Side::Buy },
        price: dec(v, "price"),
        qty: dec(v, "origQty"),
        filled: dec(v, "executedQty"),
        status: status(&text(v, "status")),
        updated_ms: ["updateTime", "transactTime", "time"]
            .iter()
            .find_map(|k| v.get(*k).and_then(Value::as_u64))
            .unwrap_or(0),
    })
}

fn json(body: &[u8]) -> Result<Value, Error> {
    transport::json("binance", body)
}

impl BinanceClient {
    /// Returns a client for `market` at `base_url` (the production URL, or a simulator's).
    ///
    /// # Errors
    ///
    /// [`Error::Configuration`] for a URL that is not http(s).
    pub fn new(
        market: Market,
        base_url: &str,
        tls: Arc<rustls::ClientConfig>,
        creds: Credentials,
    ) -> Result<BinanceClient, Error> {
        let http = HttpClient::new(base_url, tls).map_err(|e| Error::Configuration { detail: e.to_string() })?;
        let signer = BinanceSigner::new(creds.secret().expose());
        Ok(BinanceClient {
            market,
            t: Transport::new(market.key(), http),
            creds,
            signer,
            ids: ClientOrderIds::new("mdbus"),
            recv_window_ms: 5000,
        })
    }

    /// Sets `recvWindow` in milliseconds. Default 5,000.
    pub fn with_recv_window(mut self, ms: u64) -> BinanceClient {
        self.recv_window_ms = ms;
        self
    }

    /// Sets the client order id tag (ids look like `<tag>-<start>-<pid>-<n>`).
    pub fn with_id_tag(mut self, tag: &str) -> BinanceClient {
        self.ids = ClientOrderIds::new(tag);
        self
    }

    /// Returns the measured server-time offset in ms (venue − local).
    pub fn offset_ms(&self) -> i64 {
        self.t.offset_ms
    }

    /// Returns how many requests went out (for tests and statistics).
    pub fn requests_sent(&self) -> u64 {
        self.t.sent
    }

    fn venue(&self) -> String {
        self.t.venue()
    }

    /// Signs and sends one request. `params` go in the query (GET, DELETE, PUT) or the form
    /// body (POST).
    fn send(
        &mut self,
        method: &str,
        path: &'static str,
        params: &[(&str, String)],
        signed: bool,
    ) -> Result<Sent, Error> {
        let mut payload = String::with_capacity(256);
        for (k, v) in params {
            if !payload.is_empty() {
                payload.push('&');
            }
            payload.push_str(k);
            payload.push('=');
            percent_encode(v, &mut payload);
        }
        if signed {
            if !payload.is_empty() {
                payload.push('&');
            }
            let _ = write!(payload, "recvWindow={}&timestamp={}", self.recv_window_ms, self.t.now_ms());
            let sig = self.signer.sign(&payload, "");
            payload.push_str("&signature=");
            payload.push_str(sig.as_str());
        }
        let (target, body) = if method == "POST" {
            (path.to_owned(), payload)
        } else if payload.is_empty() {
            (path.to_owned(), String::new())
        } else {
            (format!("{path}?{payload}"), String::new())
        };
        let key = self.creds.api_key().to_owned();
        let mut headers = vec![("X-MBX-APIKEY", key.as_str()), ("Accept", "application/json")];
        if method == "POST" {
            headers.push(("Content-Type", "application/x-www-form-urlencoded"));
        }
        self.t.exchange(method, path, &target, &headers, body.as_bytes())
    }

    /// The error for a non-2xx reply.
    fn error(venue: &str, resp: &Response) -> Error {
        BINANCE.from_body(venue, resp.status, &resp.body, resp.retry_after()).unwrap_or_else(|| Error::RequestFailed {
            venue: venue.to_owned(),
            url: String::new(),
            status: Some(resp.status),
            detail: String::new(),
        })
    }

    /// A read: retried on network errors, 5xx and short rate limits.
    fn read(
        &mut self,
        method: &str,
        path: &'static str,
        params: &[(&str, String)],
        signed: bool,
    ) -> Result<Value, Error> {
        transport::retry_read(self, |c| match c.send(method, path, params, signed)? {
            Sent::Reply(r) if r.is_success() => json(&r.body),
            Sent::Reply(r) => Err(Self::error(c.t.venue, &r)),
            Sent::Lost(detail) => Err(Error::Network { venue: c.venue(), detail }),
        })
    }

    fn order_params(&self, order: &NewOrder, cid: &str) -> Result<Vec<(&'static str, String)>, Error> {
        let side = match order.side {
            Side::Buy => "BUY",
            Side::Sell => "SELL",
        };
        let mut p = vec![("symbol", order.symbol.clone()), ("side", side.to_owned())];
        let tif = match order.tif {
            TimeInForce::Gtc => "GTC",
            TimeInForce::Ioc => "IOC",
            TimeInForce::Fok => "FOK",
            _ => {
                return Err(Error::InvalidOrder {
                    venue: self.t.venue(),
                    symbol: order.symbol.clone(),
                    code: ErrorCode::InvalidOrderType,
                    detail: format!("{:?} {:?} orders are not supported here", order.kind, order.tif),
                });
            }
        };
        match (order.kind, self.market) {
            (OrderType::Market, _) => p.push(("type", "MARKET".into())),
            (OrderType::Limit, _) => {
                p.push(("type", "LIMIT".into()));
                p.push(("timeInForce", tif.into()));
            }
            (OrderType::PostOnly, Market::Spot) => p.push(("type", "LIMIT_MAKER".into())),
            (OrderType::PostOnly, Market::UsdM) => {
                p.push(("type", "LIMIT".into()));
                p.push(("timeInForce", "GTX".into()));
            }
            _ => {
                return Err(Error::InvalidOrder {
                    venue: self.t.venue(),
                    symbol: order.symbol.clone(),
                    code: ErrorCode::InvalidOrderType,
                    detail: format!("{:?} {:?} orders are not supported here", order.kind, order.tif),
                });
            }
        }
        p.push(("quantity", order.qty.to_string()));
        if let Some(px) = order.price
            && order.kind != OrderType::Market
        {
            p.push(("price", px.to_string()));
        }
        p.push(("newClientOrderId", cid.to_owned()));
        match self.market {
            Market::Spot => p.push(("newOrderRespType", "RESULT".into())),
            Market::UsdM => {
                if order.reduce_only {
                    p.push(("reduceOnly", "true".into()));
                }
                p.push(("newOrderRespType", "RESULT".into()));
            }
        }
        Ok(p)
    }

    fn id_param(order: OrderRef<'_>) -> (&'static str, String) {
        match order {
            OrderRef::Client(c) => ("origClientOrderId", c.to_owned()),
            OrderRef::Venue(v) => ("orderId", v.to_owned()),
        }
    }

    /// Creates a user-data stream listen key (valid 60 minutes; keep it alive every 30).
    ///
    /// # Errors
    ///
    /// Network, auth and rate-limit errors.
    pub fn create_listen_key(&mut self) -> Result<String, Error> {
        let path = self.market.path(Path::ListenKey);
        let v = self.read("POST", path, &[], false)?;
        let key = text(&v, "listenKey");
        if key.is_empty() {
            return Err(Error::DataParse { what: "listen key".into(), detail: "no listenKey in the response".into() });
        }
        Ok(key)
    }

    /// Extends a listen key's life by 60 minutes.
    ///
    /// # Errors
    ///
    /// [`Error::Authentication`] with [`ErrorCode::SessionExpired`] when the key has expired.
    pub fn keep_alive_listen_key(&mut self, key: &str) -> Result<(), Error> {
        let path = self.market.path(Path::ListenKey);
        let params = match self.market {
            Market::Spot => vec![("listenKey", key.to_owned())],
            Market::UsdM => vec![],
        };
        self.read("PUT", path, &params, false).map(|_| ())
    }
}

mdbus_sdk::transport_builders!(BinanceClient);

impl HasTransport for BinanceClient {
    fn transport(&mut self) -> &mut Transport {
        &mut self.t
    }
}

impl OrderClient for BinanceClient {
    fn disconnect(&mut self) {
        self.t.http.disconnect();
    }

    fn place(&mut self, order: &NewOrder) -> Result<Placed, Error> {
        let cid = order.client_order_id.clone().unwrap_or_else(|| self.ids.next());
        let params = self.order_params(order, &cid)?;
        let path = self.market.path(Path::Order);
        // Binance refuses a request whose timestamp is more than recvWindow old, so the order
        // can only appear until then.
        let window = self.recv_window_ms;
        transport::submit(
            self,
            &order.symbol,
            &cid,
            window,
            |c, _| c.send("POST", path, &params, true),
            |c, r| {
                if r.is_success() {
                    return order_state(&json(&r.body)?).map(Outcome::Accepted);
                }
                let err = Self::error(c.t.venue, r);
                // Binance's "execution status unknown" codes: the order may exist.
                if matches!(err, Error::Venue { ref venue_code, .. } if venue_code == "-1006" || venue_code == "-1007")
                {
                    return Ok(Outcome::Unknown);
                }
                Ok(Outcome::refused(r.status, err))
            },
        )
    }

    fn resolve(&mut self, symbol: &str, client_order_id: &str) -> Result<Placed, Error> {
        let expires_ms = self.t.expiry_of(client_order_id, self.recv_window_ms);
        transport::resolve(self, symbol, client_order_id, expires_ms)
    }

    fn cancel(&mut self, symbol: &str, order: OrderRef<'_>) -> Result<OrderState, Error> {
        let params = [("symbol", symbol.to_owned()), Self::id_param(order)];
        let path = self.market.path(Path::Order);
        // A cancel is safe to repeat: a second one finds the order gone.
        let v = self.read("DELETE", path, &params, true).map_err(|e| match e {
            Error::Order { code: ErrorCode::OrderCancelFailed, ref detail, .. } if detail.contains("Unknown order") => {
                Error::OrderNotFound { venue: self.venue(), order_id: order_label(order), symbol: symbol.to_owned() }
            }
            other => other,
        })?;
        order_state(&v)
    }

    fn query(&mut self, symbol: &str, order: OrderRef<'_>) -> Result<OrderState, Error> {
        let params = [("symbol", symbol.to_owned()), Self::id_param(order)];
        let path = self.market.path(Path::Order);
        match self.read("GET", path, &params, true) {
            Ok(v) => order_state(&v),
            Err(Error::OrderNotFound { venue, .. }) => {
                Err(Error::OrderNotFound { venue, order_id: order_label(order), symbol: symbol.to_owned() })
            }
            Err(e) => Err(e),
        }
    }

    fn open_orders(&mut self, symbol: Option<&str>) -> Result<Vec<OrderState>, Error> {
        let params: Vec<(&str, String)> = symbol.map(|s| ("symbol", s.to_owned())).into_iter().collect();
        let path = self.market.path(Path::OpenOrders);
        let v = self.read("GET", path, &params, true)?;
        v.as_array().map(|a| a.iter().map(order_state).collect()).unwrap_or_else(|| {
            Err(Error::DataParse { what: "binance open orders".into(), detail: "not an array".into() })
        })
    }

    fn balances(&mut self) -> Result<Vec<BalanceState>, Error> {
        let path = self.market.path(Path::Balances);
        let v = self.read("GET", path, &[], true)?;
        let rows = match self.market {
            Market::Spot => v.get("balances").and_then(Value::as_array).cloned().unwrap_or_default(),
            Market::UsdM => v.as_array().cloned().unwrap_or_default(),
        };
        Ok(rows
            .iter()
            .map(|b| match self.market {
                Market::Spot => {
                    BalanceState { asset: text(b, "asset"), free: dec(b, "free"), locked: dec(b, "locked") }
                }
                Market::UsdM => {
                    let free = dec(b, "availableBalance");
                    let total = dec(b, "balance");
                    BalanceState { asset: text(b, "asset"), free, locked: sub(total, free) }
                }
            })
            .collect())
    }

    fn positions(&mut self) -> Result<Vec<PositionState>, Error> {
        if self.market == Market::Spot {
            return Err(Error::NotSupported { capability: Capability::GetPosition, venue: self.venue() });
        }
        let path = self.market.path(Path::Positions);
        let v = self.read("GET", path, &[], true)?;
        Ok(v.as_array()
            .map(|a| {
                a.iter()
                    .filter(|p| !dec(p, "positionAmt").is_zero())
                    .map(|p| PositionState {
                        symbol: text(p, "symbol"),
                        qty: dec(p, "positionAmt"),
                        entry_price: dec(p, "entryPrice"),
                        unrealized_pnl: dec(p, "unRealizedProfit"),
                    })
                    .collect()
            })
            .unwrap_or_default())
    }

    fn sync_time(&mut self) -> Result<i64, Error> {
        let path = self.market.path(Path::Time);
        let before = (mdbus_bus::now_ns() / 1_000_000) as i64;
        let v = self.read("GET", path, &[], false)?;
        let after = (mdbus_bus::now_ns() / 1_000_000) as i64;
        let server = v
            .get("serverTime")
            .and_then(Value::as_i64)
            .ok_or_else(|| Error::DataParse { what: "binance server time".into(), detail: "no serverTime".into() })?;
        self.t.offset_ms = server - (before + after) / 2;
        Ok(self.t.offset_ms)
    }
}

fn order_label(order: OrderRef<'_>) -> String {
    match order {
        OrderRef::Client(c) | OrderRef::Venue(c) => c.to_owned(),
    }
}

/// `a - b` exactly (both from venue text).
fn sub(a: Decimal, b: Decimal) -> Decimal {
    let e = a.exponent().min(b.exponent());
    match (a.rescale(e), b.rescale(e)) {
        (Ok(x), Ok(y)) => Decimal::new(x - y, e),
        _ => Decimal::ZERO,
    }
}
