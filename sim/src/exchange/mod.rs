//! The trading side of `mdbus sim`: the order endpoints of Binance spot (`/api/v3`) and USD-M
//! (`/fapi`), OKX, Bybit, HTX, Gate.io and Gemini on loopback. It verifies signatures with the same scheme as the venue (a bad one
//! gets Binance's real error body), checks timestamps against `recvWindow` on its own (possibly
//! skewed) clock, enforces an order-rate limit with 429 and `Retry-After`, keeps the resting
//! orders of each account, issues and keeps listen keys, and can delay, drop or lose order
//! responses so clients meet unknown outcomes.

use std::{
    collections::HashMap,
    sync::{
        Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

mod bybit;
mod gate;
mod gemini;
mod htx;
pub(crate) mod okx;
mod verify;

use mdbus_sdk::signing::BinanceSigner;
use serde_json::{Value, json};

/// One trading account of the simulator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimAccount {
    /// API key clients send (`X-MBX-APIKEY`, `OK-ACCESS-KEY`, `X-BAPI-API-KEY`).
    pub api_key: String,
    /// Secret the signatures are checked with.
    pub secret: String,
    /// Passphrase (OKX).
    pub passphrase: String,
}

/// The demo account every simulator has unless told otherwise.
pub fn default_account() -> SimAccount {
    SimAccount {
        api_key: "mdbus-sim-key".into(),
        secret: "mdbus-sim-secret".into(),
        passphrase: "mdbus-sim-pass".into(),
    }
}

/// Trading settings and faults; zero disables each fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExchangeConfig {
    /// Accounts by API key.
    pub accounts: Vec<SimAccount>,
    /// At most this many new orders per account per `order_window` (0 = no limit).
    pub order_limit: u64,
    /// The order-limit window.
    pub order_window: Duration,
    /// The venue clock runs this many ms ahead of the host clock (negative: behind).
    pub clock_skew_ms: i64,
    /// Answer every order after this delay.
    pub order_delay: Option<Duration>,
    /// Every this many orders: place the order, then close the connection without answering.
    pub drop_response_every: u64,
    /// Every this many orders: close the connection without placing the order or answering.
    pub lose_request_every: u64,
}

impl Default for ExchangeConfig {
    fn default() -> Self {
        ExchangeConfig {
            accounts: vec![default_account()],
            order_limit: 0,
            order_window: Duration::from_secs(10),
            clock_skew_ms: 0,
            order_delay: None,
            drop_response_every: 0,
            lose_request_every: 0,
        }
    }
}

/// An order as any dialect submits it, in the simulator's own vocabulary (Binance's words).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OrderSpec {
    /// Which venue API and market the order belongs to (`binance/spot`, `okx/SWAP`, ...):
    /// orders of one market are invisible to the others.
    pub(crate) market: String,
    pub(crate) symbol: String,
    /// `BUY` or `SELL`.
    pub(crate) side: String,
    /// `LIMIT`, `MARKET` or `LIMIT_MAKER`.
    pub(crate) kind: String,
    pub(crate) qty: String,
    pub(crate) price: Option<String>,
    /// `GTC`, `IOC`, `FOK`, `GTX`.
    pub(crate) tif: String,
    pub(crate) cid: Option<String>,
    pub(crate) reduce_only: bool,
}

/// Why an order was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reject {
    BadSide,
    BadType,
    MissingPrice,
    BadQty,
    Duplicate,
    Internal,
}

/// What became of a submission.
#[derive(Debug)]
pub(crate) enum Placement {
    /// Lost before processing: close the connection.
    Lost,
    /// Over the order-rate limit until `until_ms`.
    Limited { until_ms: u64, now_ms: u64, limit: u64, window_ms: u64 },
    /// Refused.
    Rejected(Reject),
    /// Booked; `drop_reply` says to close the connection instead of answering.
    Placed { order: Box<SimOrder>, drop_reply: bool, window_orders: u64 },
}

/// The result of looking an order up.
#[derive(Debug)]
pub(crate) enum Found {
    Missing,
    Order(SimOrder),
    NotCancellable,
    Cancelled(SimOrder),
}

/// What to do with a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Answer.
    Respond {
        /// HTTP status line text, e.g. `200 OK`.
        status: &'static str,
        /// Extra headers.
        headers: Vec<(String, String)>,
        /// JSON body.
        body: String,
    },
    /// Close the connection without answering, after `delay`.
    Drop,
}

#[derive(Debug, Clone)]
pub(crate) struct SimOrder {
    market: String,
    symbol: String,
    order_id: u64,
    client_order_id: String,
    side: String,
    kind: String,
    tif: String,
    price: String,
    qty: String,
    executed: String,
    status: String,
    time: u64,
    update: u64,
    reduce_only: bool,
}

#[derive(Debug, Default)]
struct Account {
    orders: Vec<SimOrder>,
    window_start: u64,
    window_orders: u64,
    /// Net position per symbol in 1e-8 units, and entry price text.
    positions: HashMap<String, (i128, String)>,
}

#[derive(Debug, Default)]
struct State {
    accounts: HashMap<String, Account>,
    next_order_id: u64,
    listen_keys: HashMap<String, String>,
    /// Last Gemini nonce per API key.
    nonces: HashMap<String, u64>,
    /// User-data stream frames per account (API key), in order.
    events: HashMap<String, Vec<String>>,
    next_trade_id: u64,
}

/// The simulated exchange.
#[derive(Debug)]
pub struct Exchange {
    cfg: ExchangeConfig,
    state: Mutex<State>,
    orders_received: AtomicU64,
    orders_placed: AtomicU64,
    keepalives: AtomicU64,
    requests: AtomicU64,
    sessions: AtomicU64,
}

/// Host wall-clock time in ms.
pub(crate) fn now_ms() -> u64 {
    mdbus_bus::now_ns() / 1_000_000
}

fn param<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                match u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16) {
                    Ok(v) => {
                        out.push(v);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn pairs(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (percent_decode(k), percent_decode(v)),
            None => (percent_decode(p), String::new()),
        })
        .collect()
}

/// Removes the `signature=...` pair from a parameter string; returns the rest and the
/// signature.
fn split_signature(s: &str) -> (String, Option<String>) {
    let mut sig = None;
    let rest: Vec<&str> = s
        .split('&')
        .filter(|p| match p.strip_prefix("signature=") {
            Some(v) => {
                sig = Some(v.to_owned());
                false
            }
            None => true,
        })
        .collect();
    (rest.join("&"), sig)
}

fn binance_market(futures: bool) -> &'static str {
    if futures { "binance/usdm" } else { "binance/spot" }
}

fn error(status: &'static str, code: i64, msg: &str) -> Reply {
    Reply::Respond { status, headers: Vec::new(), body: json!({ "code": code, "msg": msg }).to_string() }
}

fn ok(body: Value) -> Reply {
    Reply::Respond { status: "200 OK", headers: Vec::new(), body: body.to_string() }
}

/// Decimal text to 1e-8 units (the simulator's own arithmetic for positions).
fn units(s: &str) -> i128 {
    s.parse::<mdbus_schemas::Decimal>().ok().and_then(|d| d.rescale(-8).ok()).unwrap_or(0)
}

fn from_units(u: i128) -> String {
    mdbus_schemas::Decimal::new(u, -8).to_string()
}

impl Exchange {
    /// Returns an exchange with `cfg`.
    pub fn new(cfg: ExchangeConfig) -> Exchange {
        Exchange {
            cfg,
            state: Mutex::new(State { next_order_id: 1000, ..State::default() }),
            orders_received: AtomicU64::new(0),
            orders_placed: AtomicU64::new(0),
            keepalives: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            sessions: AtomicU64::new(0),
        }
    }

    /// Returns how many order submissions reached the exchange (lost ones included).
    pub fn orders_received(&self) -> u64 {
        self.orders_received.load(Ordering::SeqCst)
    }

    /// Returns how many orders were placed.
    pub fn orders_placed(&self) -> u64 {
        self.orders_placed.load(Ordering::SeqCst)
    }

    /// Returns how many listen-key keep-alives arrived.
    pub fn keepalives(&self) -> u64 {
        self.keepalives.load(Ordering::SeqCst)
    }

    /// Returns how many private-stream sessions (user-data or logged-in OKX) have started.
    pub fn sessions(&self) -> u64 {
        self.sessions.load(Ordering::SeqCst)
    }

    /// Counts a private-stream session.
    pub(crate) fn session_started(&self) {
        self.sessions.fetch_add(1, Ordering::SeqCst);
    }

    /// Returns how many trading requests arrived.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }

    /// Returns the API key of the account a listen key belongs to.
    pub fn listen_key_account(&self, key: &str) -> Option<String> {
        self.state.lock().ok()?.listen_keys.get(key).cloned()
    }

    /// Returns the account's private-stream frames of one venue `family` (`binance`, `okx`)
    /// from index `from` on, and the next index.
    pub fn events_since(&self, api_key: &str, family: &str, from: usize) -> (Vec<String>, usize) {
        let Ok(st) = self.state.lock() else { return (Vec::new(), from) };
        let all = st.events.get(&format!("{api_key}|{family}")).map(Vec::as_slice).unwrap_or(&[]);
        (all.get(from..).unwrap_or(&[]).to_vec(), all.len().max(from))
    }

    /// The user-data frames for an order change (`exec`: NEW, CANCELED or TRADE).
    /// The private-stream frames of an order change, in the dialect of the order's venue.
    fn stream_events(o: &SimOrder, exec: &str, trade_id: u64, futures: bool, now: u64) -> Vec<String> {
        if o.market.starts_with("okx/") {
            vec![okx::order_push(o, exec, trade_id, now)]
        } else if o.market.starts_with("binance/") {
            Self::order_events(o, exec, trade_id, futures, now)
        } else {
            Vec::new()
        }
    }

    fn order_events(o: &SimOrder, exec: &str, trade_id: u64, futures: bool, now: u64) -> Vec<String> {
        let (last_qty, last_px) = if exec == "TRADE" { (o.qty.as_str(), "65000.00000000") } else { ("0", "0") };
        let mut out = Vec::new();
        if futures {
            out.push(
                json!({
                    "e": "ORDER_TRADE_UPDATE", "E": now, "T": now,
                    "o": {
                        "s": o.symbol, "c": o.client_order_id, "S": o.side, "o": o.kind, "f": o.tif,
                        "q": o.qty, "p": o.price, "ap": if exec == "TRADE" { last_px } else { "0" }, "sp": "0",
                        "x": exec, "X": o.status, "i": o.order_id, "l": last_qty, "z": o.executed, "L": last_px,
                        "N": "USDT", "n": if exec == "TRADE" { "0.01300000" } else { "0" }, "T": now,
                        "t": if exec == "TRADE" { trade_id as i64 } else { 0 }, "b": "0", "a": "0", "m": false,
                        "R": o.reduce_only, "wt": "CONTRACT_PRICE", "ot": o.kind, "ps": "BOTH", "cp": false, "rp": "0"
                    }
                })
                .to_string(),
            );
        } else {
            out.push(
                json!({
                    "e": "executionReport", "E": now, "s": o.symbol, "c": o.client_order_id, "S": o.side,
                    "o": o.kind, "f": o.tif, "q": o.qty, "p": o.price, "P": "0.00000000", "F": "0.00000000",
                    "g": -1, "C": "", "x": exec, "X": o.status, "r": "NONE", "i": o.order_id, "l": last_qty,
                    "z": o.executed, "L": last_px, "n": if exec == "TRADE" { "0.00100000" } else { "0" },
                    "N": if exec == "TRADE" { Value::from("BNB") } else { Value::Null }, "T": now,
                    "t": if exec == "TRADE" { trade_id as i64 } else { -1 }, "I": o.order_id * 2, "w": o.status == "NEW",
                    "m": false, "M": exec == "TRADE", "O": o.time, "Z": "0.00000000", "Y": "0.00000000",
                    "Q": "0.00000000", "W": o.time, "V": "NONE"
                })
                .to_string(),
            );
        }
        out
    }

    /// The balance (and position) frames after a fill.
    fn account_events(acct: &Account, futures: bool, now: u64) -> String {
        if futures {
            let positions: Vec<Value> = acct
                .positions
                .iter()
                .map(|(s, (u, px))| json!({"s": s, "pa": from_units(*u), "ep": px, "bep": px, "cr": "0", "up": "0.00000000", "mt": "cross", "iw": "0", "ps": "BOTH"}))
                .collect();
            json!({
                "e": "ACCOUNT_UPDATE", "E": now, "T": now,
                "a": { "m": "ORDER", "B": [{"a": "USDT", "wb": "100000.00000000", "cw": "99000.00000000", "bc": "0"}], "P": positions }
            })
            .to_string()
        } else {
            json!({
                "e": "outboundAccountPosition", "E": now, "u": now,
                "B": [{"a": "BTC", "f": "10.00000000", "l": "0.00000000"}, {"a": "USDT", "f": "100000.00000000", "l": "0.00000000"}]
            })
            .to_string()
        }
    }

    /// Returns whether the exchange serves `path`.
    pub fn serves(path: &str) -> bool {
        let p = path.split('?').next().unwrap_or("");
        // Public market data is the simulator's, not the trading side's (server time is the
        // trading side's: order clients measure their clock offset against it).
        if p == "/api/v4/spot/order_book"
            || p == "/api/v5/public/instruments"
            || p.starts_with("/api/v5/market/")
            || (p.starts_with("/v5/market/") && p != "/v5/market/time")
            || p.starts_with("/api/v4/spot/currency_pairs")
            || p == "/api/v4/spot/tickers"
            || p == "/api/v4/spot/trades"
            || p == "/api/v4/spot/candlesticks"
            || p == "/v1/common/symbols"
            || p.starts_with("/v1/symbols")
            || p.starts_with("/v1/book/")
            || p.starts_with("/v1/trades/")
        {
            return false;
        }
        if p.starts_with("/api/v5/") || p.starts_with("/v5/") || p.starts_with("/api/v4/") || p.starts_with("/v1/") {
            return true;
        }
        matches!(
            p,
            "/api/v3/order"
                | "/fapi/v1/order"
                | "/api/v3/openOrders"
                | "/fapi/v1/openOrders"
                | "/api/v3/account"
                | "/fapi/v2/balance"
                | "/fapi/v2/positionRisk"
                | "/api/v3/time"
                | "/fapi/v1/time"
                | "/api/v3/userDataStream"
                | "/fapi/v1/listenKey"
        )
    }

    /// Accepts `nonce` for `api_key` if it is above the last one (Gemini's rule).
    fn take_nonce(&self, api_key: &str, nonce: u64) -> bool {
        let Ok(mut st) = self.state.lock() else { return false };
        let last = st.nonces.entry(api_key.to_owned()).or_insert(0);
        if nonce > *last {
            *last = nonce;
            true
        } else {
            false
        }
    }

    /// Counts a submission that failed before reaching the book (malformed).
    fn count_received(&self) {
        self.orders_received.fetch_add(1, Ordering::SeqCst);
    }

    fn server_ms(&self) -> u64 {
        (now_ms() as i64 + self.cfg.clock_skew_ms).max(0) as u64
    }

    /// Answers one request; `None` when the path is not a trading endpoint. May sleep (the
    /// configured order delay).
    pub fn handle(&self, method: &str, target: &str, headers: &[(String, String)], body: &[u8]) -> Option<Reply> {
        if !Self::serves(target) {
            return None;
        }
        self.requests.fetch_add(1, Ordering::SeqCst);
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let body = String::from_utf8_lossy(body).into_owned();
        if path.starts_with("/api/v5/") {
            return Some(okx::handle(self, method, path, query, headers, &body));
        }
        if path.starts_with("/v5/") {
            return Some(bybit::handle(self, method, path, query, headers, &body));
        }
        if path.starts_with("/api/v4/") {
            return Some(gate::handle(self, method, path, query, headers, &body));
        }
        if path.starts_with("/v1/") && headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("X-GEMINI-APIKEY")) {
            return Some(gemini::handle(self, path, headers));
        }
        if path.starts_with("/v1/") {
            return Some(htx::handle(self, method, path, query, headers, &body));
        }
        let futures = path.starts_with("/fapi");
        if path.ends_with("/time") {
            return Some(ok(json!({ "serverTime": self.server_ms() })));
        }
        let api_key = headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("x-mbx-apikey")).map(|(_, v)| v.clone());
        let Some(account) = api_key.and_then(|k| self.cfg.accounts.iter().find(|a| a.api_key == k).cloned()) else {
            return Some(error("401 Unauthorized", -2015, "Invalid API-key, IP, or permissions for action."));
        };
        if path.ends_with("/userDataStream") || path.ends_with("/listenKey") {
            return Some(self.listen_key(method, &account, &pairs(query), futures));
        }
        // Signed endpoints: signature over query then body, as Binance computes it.
        let (q, qsig) = split_signature(query);
        let (b, bsig) = split_signature(&body);
        let Some(sig) = qsig.or(bsig) else {
            return Some(error(
                "400 Bad Request",
                -1102,
                "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.",
            ));
        };
        if BinanceSigner::new(&account.secret).sign(&q, &b).as_str() != sig {
            return Some(error("400 Bad Request", -1022, "Signature for this request is not valid."));
        }
        let mut params = pairs(&q);
        params.extend(pairs(&b));
        let server = self.server_ms();
        let ts = param(&params, "timestamp").and_then(|t| t.parse::<u64>().ok());
        let window = param(&params, "recvWindow").and_then(|t| t.parse::<u64>().ok()).unwrap_or(5000).min(60_000);
        match ts {
            Some(ts) if ts <= server + 1000 && server.saturating_sub(ts) <= window => {}
            _ => {
                return Some(error(
                    "400 Bad Request",
                    -1021,
                    "Timestamp for this request is outside of the recvWindow.",
                ));
            }
        }
        let is_order = path.ends_with("/order");
        Some(match (method, is_order) {
            ("POST", true) => self.new_order(&account, &params, futures),
            ("GET", true) => self.with_order(&account, &params, futures, false),
            ("DELETE", true) => self.with_order(&account, &params, futures, true),
            ("GET", false) if path.ends_with("/openOrders") => self.open_orders(&account, &params, futures),
            ("GET", false) if path.ends_with("/account") || path.ends_with("/balance") => self.balances(futures),
            ("GET", false) if path.ends_with("/positionRisk") => self.positions(&account),
            _ => error("404 Not Found", -1, "unsupported method"),
        })
    }

    fn listen_key(&self, method: &str, account: &SimAccount, params: &[(String, String)], futures: bool) -> Reply {
        let Ok(mut st) = self.state.lock() else { return error("500 Internal Server Error", -1000, "lock") };
        match method {
            "POST" => {
                // One key per account, as Binance does: creating again returns the same key.
                let existing = st.listen_keys.iter().find(|(_, a)| **a == account.api_key).map(|(k, _)| k.clone());
                let key = existing.unwrap_or_else(|| {
                    let k = format!(
                        "{:016x}{:016x}{:016x}{:012x}",
                        now_ms(),
                        st.next_order_id,
                        0x006d_6462_7573_u64,
                        st.listen_keys.len()
                    );
                    st.listen_keys.insert(k.clone(), account.api_key.clone());
                    k
                });
                ok(json!({ "listenKey": key }))
            }
            "PUT" => {
                let key = param(params, "listenKey").map(str::to_owned).or_else(|| {
                    futures
                        .then(|| st.listen_keys.iter().find(|(_, a)| **a == account.api_key).map(|(k, _)| k.clone()))
                        .flatten()
                });
                match key {
                    Some(k) if st.listen_keys.contains_key(&k) => {
                        self.keepalives.fetch_add(1, Ordering::SeqCst);
                        ok(json!({}))
                    }
                    _ => error("400 Bad Request", -1125, "This listenKey does not exist."),
                }
            }
            "DELETE" => {
                st.listen_keys.retain(|_, a| *a != account.api_key);
                ok(json!({}))
            }
            _ => error("404 Not Found", -1, "unsupported method"),
        }
    }

    fn order_json(o: &SimOrder, futures: bool) -> Value {
        if futures {
            json!({
                "orderId": o.order_id, "symbol": o.symbol, "status": o.status, "clientOrderId": o.client_order_id,
                "price": o.price, "avgPrice": if o.executed == "0" { "0".to_owned() } else { o.price.clone() },
                "origQty": o.qty, "executedQty": o.executed, "cumQty": o.executed, "cumQuote": "0",
                "timeInForce": o.tif, "type": o.kind, "origType": o.kind, "reduceOnly": o.reduce_only,
                "closePosition": false, "side": o.side, "positionSide": "BOTH", "stopPrice": "0",
                "workingType": "CONTRACT_PRICE", "priceProtect": false, "priceMatch": "NONE",
                "selfTradePreventionMode": "NONE", "goodTillDate": 0, "updateTime": o.update
            })
        } else {
            json!({
                "symbol": o.symbol, "orderId": o.order_id, "orderListId": -1, "clientOrderId": o.client_order_id,
                "transactTime": o.update, "price": o.price, "origQty": o.qty, "executedQty": o.executed,
                "cummulativeQuoteQty": "0.00000000", "status": o.status, "timeInForce": o.tif, "type": o.kind,
                "side": o.side, "workingTime": o.time, "selfTradePreventionMode": "NONE",
                "time": o.time, "updateTime": o.update, "isWorking": o.status == "NEW"
            })
        }
    }

    /// Places an order for any dialect: counts it, applies the faults and the order-rate
    /// limit, validates it, books it and records its user-data events.
    pub(crate) fn place(&self, account: &SimAccount, spec: OrderSpec, futures: bool) -> Placement {
        let n = self.orders_received.fetch_add(1, Ordering::SeqCst) + 1;
        if self.cfg.lose_request_every > 0 && n.is_multiple_of(self.cfg.lose_request_every) {
            return Placement::Lost;
        }
        let Ok(mut st) = self.state.lock() else { return Placement::Rejected(Reject::Internal) };
        let server = self.server_ms();
        let next_id = st.next_order_id + 1;
        let acct = st.accounts.entry(account.api_key.clone()).or_default();
        if self.cfg.order_limit > 0 {
            let w = self.cfg.order_window.as_millis().max(1) as u64;
            let start = server / w * w;
            if acct.window_start != start {
                acct.window_start = start;
                acct.window_orders = 0;
            }
            if acct.window_orders >= self.cfg.order_limit {
                return Placement::Limited {
                    until_ms: start + w,
                    now_ms: server,
                    limit: self.cfg.order_limit,
                    window_ms: w,
                };
            }
            acct.window_orders += 1;
        }
        if !matches!(spec.side.as_str(), "BUY" | "SELL") {
            return Placement::Rejected(Reject::BadSide);
        }
        if !matches!(spec.kind.as_str(), "LIMIT" | "MARKET" | "LIMIT_MAKER") {
            return Placement::Rejected(Reject::BadType);
        }
        if spec.kind != "MARKET" && spec.price.is_none() {
            return Placement::Rejected(Reject::MissingPrice);
        }
        if units(&spec.qty) <= 0 || spec.symbol.is_empty() {
            return Placement::Rejected(Reject::BadQty);
        }
        let cid = spec.cid.clone().unwrap_or_else(|| format!("sim-{next_id}"));
        if acct
            .orders
            .iter()
            .any(|o| o.client_order_id == cid && matches!(o.status.as_str(), "NEW" | "PARTIALLY_FILLED"))
        {
            return Placement::Rejected(Reject::Duplicate);
        }
        let filled = spec.kind == "MARKET";
        let price_text = spec.price.clone().unwrap_or_else(|| "65000.00000000".into());
        let order = SimOrder {
            market: spec.market.clone(),
            symbol: spec.symbol.clone(),
            order_id: next_id,
            client_order_id: cid,
            side: spec.side.clone(),
            kind: spec.kind.clone(),
            tif: spec.tif.clone(),
            price: if filled { "0.00000000".into() } else { price_text.clone() },
            qty: spec.qty.clone(),
            executed: if filled { spec.qty.clone() } else { "0".into() },
            status: if filled { "FILLED".into() } else { "NEW".into() },
            time: server,
            update: server,
            reduce_only: spec.reduce_only,
        };
        if filled && futures {
            let signed = if spec.side == "BUY" { units(&spec.qty) } else { -units(&spec.qty) };
            let pos = acct.positions.entry(format!("{}|{}", spec.market, spec.symbol)).or_insert((0, price_text));
            pos.0 += signed;
        }
        let mut frames = Vec::new();
        if filled {
            let mut first = order.clone();
            first.status = "NEW".into();
            first.executed = "0".into();
            frames.extend(Self::stream_events(&first, "NEW", 0, futures, server));
            frames.extend(Self::stream_events(&order, "TRADE", st.next_trade_id + 1, futures, server));
        } else {
            frames.extend(Self::stream_events(&order, "NEW", 0, futures, server));
        }
        let acct = st.accounts.entry(account.api_key.clone()).or_default();
        acct.orders.push(order.clone());
        let window_orders = acct.window_orders;
        let family = spec.market.split('/').next().unwrap_or("").to_owned();
        if filled {
            match family.as_str() {
                "binance" => frames.push(Self::account_events(acct, futures, server)),
                "okx" => frames.push(okx::balance_push(server)),
                _ => {}
            }
        }
        st.next_order_id = next_id;
        if filled {
            st.next_trade_id += 1;
        }
        st.events.entry(format!("{}|{family}", account.api_key)).or_default().extend(frames);
        drop(st);
        self.orders_placed.fetch_add(1, Ordering::SeqCst);
        if let Some(d) = self.cfg.order_delay {
            std::thread::sleep(d);
        }
        let drop_reply = self.cfg.drop_response_every > 0 && n.is_multiple_of(self.cfg.drop_response_every);
        Placement::Placed { order: Box::new(order), drop_reply, window_orders }
    }

    /// Finds an account's order by venue id or client id, optionally cancelling it.
    pub(crate) fn find(
        &self,
        account: &SimAccount,
        market: &str,
        symbol: &str,
        by_id: Option<u64>,
        by_cid: Option<&str>,
        cancel: bool,
    ) -> Found {
        self.find_in(account, market, Some(symbol), by_id, by_cid, cancel)
    }

    /// As [`Exchange::find`], of any symbol when `symbol` is `None` (venues whose order ids
    /// are unique across symbols: HTX, Gemini).
    pub(crate) fn find_in(
        &self,
        account: &SimAccount,
        market: &str,
        symbol: Option<&str>,
        by_id: Option<u64>,
        by_cid: Option<&str>,
        cancel: bool,
    ) -> Found {
        let Ok(mut st) = self.state.lock() else { return Found::Missing };
        let server = self.server_ms();
        let acct = st.accounts.entry(account.api_key.clone()).or_default();
        let Some(o) = acct.orders.iter_mut().rev().find(|o| {
            o.market == market
                && symbol.is_none_or(|s| s == o.symbol)
                && (by_id == Some(o.order_id) || by_cid.is_some_and(|c| c == o.client_order_id))
        }) else {
            return Found::Missing;
        };
        if !cancel {
            return Found::Order(o.clone());
        }
        if !matches!(o.status.as_str(), "NEW" | "PARTIALLY_FILLED") {
            return Found::NotCancellable;
        }
        o.status = "CANCELED".into();
        o.update = server;
        let o = o.clone();
        Found::Cancelled(o)
    }

    /// Records the user-data events of a cancellation.
    pub(crate) fn cancelled_events(&self, account: &SimAccount, o: &SimOrder, futures: bool) {
        let frames = Self::stream_events(o, "CANCELED", 0, futures, self.server_ms());
        let family = o.market.split('/').next().unwrap_or("");
        if let Ok(mut st) = self.state.lock() {
            st.events.entry(format!("{}|{family}", account.api_key)).or_default().extend(frames);
        }
    }

    /// An account's open orders, of one symbol or all.
    pub(crate) fn open(&self, account: &SimAccount, market: &str, symbol: Option<&str>) -> Vec<SimOrder> {
        let Ok(st) = self.state.lock() else { return Vec::new() };
        st.accounts
            .get(&account.api_key)
            .map(|a| {
                a.orders
                    .iter()
                    .filter(|o| o.market == market && matches!(o.status.as_str(), "NEW" | "PARTIALLY_FILLED"))
                    .filter(|o| symbol.is_none_or(|s| s == o.symbol))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// An account's positions: symbol, signed size (1e-8 units), entry price text.
    pub(crate) fn position_list(&self, account: &SimAccount, market: &str) -> Vec<(String, i128, String)> {
        let Ok(st) = self.state.lock() else { return Vec::new() };
        st.accounts
            .get(&account.api_key)
            .map(|a| {
                a.positions
                    .iter()
                    .filter_map(|(k, (u, p))| {
                        let (m, sym) = k.split_once('|')?;
                        (m == market).then(|| (sym.to_owned(), *u, p.clone()))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    fn new_order(&self, account: &SimAccount, params: &[(String, String)], futures: bool) -> Reply {
        let get = |k: &str| param(params, k).map(str::to_owned);
        let (Some(symbol), Some(side), Some(kind), Some(qty)) =
            (get("symbol"), get("side"), get("type"), get("quantity"))
        else {
            self.count_received();
            return error("400 Bad Request", -1102, "Mandatory parameter was not sent, was empty/null, or malformed.");
        };
        let spec = OrderSpec {
            market: binance_market(futures).into(),
            symbol,
            side,
            kind,
            qty,
            price: get("price"),
            tif: get("timeInForce").unwrap_or_else(|| "GTC".into()),
            cid: get("newClientOrderId"),
            reduce_only: get("reduceOnly").as_deref() == Some("true"),
        };
        match self.place(account, spec, futures) {
            Placement::Lost => Reply::Drop,
            Placement::Limited { until_ms, now_ms, limit, window_ms } => {
                let secs = (until_ms - now_ms).div_ceil(1000).max(1);
                let msg =
                    format!("Too many new orders; current limit is {limit} orders per {} SECOND.", window_ms / 1000);
                Reply::Respond {
                    status: "429 Too Many Requests",
                    headers: vec![("Retry-After".into(), secs.to_string())],
                    body: json!({ "code": -1015, "msg": msg }).to_string(),
                }
            }
            Placement::Rejected(r) => match r {
                Reject::BadSide => error("400 Bad Request", -1117, "Invalid side."),
                Reject::BadType => error("400 Bad Request", -1116, "Invalid orderType."),
                Reject::MissingPrice => error(
                    "400 Bad Request",
                    -1102,
                    "Mandatory parameter 'price' was not sent, was empty/null, or malformed.",
                ),
                Reject::BadQty => error("400 Bad Request", -1013, "Filter failure: LOT_SIZE"),
                Reject::Duplicate => error("400 Bad Request", -2010, "Duplicate order sent."),
                Reject::Internal => {
                    error("500 Internal Server Error", -1000, "An unknown error occurred while processing the request.")
                }
            },
            Placement::Placed { drop_reply: true, .. } => Reply::Drop,
            Placement::Placed { order, window_orders, .. } => {
                let count_header = if futures { "X-MBX-ORDER-COUNT-1M" } else { "X-MBX-ORDER-COUNT-10S" };
                Reply::Respond {
                    status: "200 OK",
                    headers: vec![(count_header.into(), window_orders.to_string())],
                    body: Self::order_json(&order, futures).to_string(),
                }
            }
        }
    }

    fn with_order(&self, account: &SimAccount, params: &[(String, String)], futures: bool, cancel: bool) -> Reply {
        let symbol = param(params, "symbol").unwrap_or("").to_owned();
        let by_id = param(params, "orderId").and_then(|v| v.parse::<u64>().ok());
        let by_cid = param(params, "origClientOrderId");
        if by_id.is_none() && by_cid.is_none() {
            return error(
                "400 Bad Request",
                -1102,
                "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!",
            );
        }
        match self.find(account, binance_market(futures), &symbol, by_id, by_cid, cancel) {
            Found::Missing if cancel => error("400 Bad Request", -2011, "Unknown order sent."),
            Found::Missing => error("400 Bad Request", -2013, "Order does not exist."),
            Found::NotCancellable => error("400 Bad Request", -2011, "Unknown order sent."),
            Found::Order(o) => ok(Self::order_json(&o, futures)),
            Found::Cancelled(o) => {
                self.cancelled_events(account, &o, futures);
                ok(Self::order_json(&o, futures))
            }
        }
    }

    fn open_orders(&self, account: &SimAccount, params: &[(String, String)], futures: bool) -> Reply {
        let list = self
            .open(account, binance_market(futures), param(params, "symbol"))
            .iter()
            .map(|o| Self::order_json(o, futures))
            .collect();
        ok(Value::Array(list))
    }

    fn balances(&self, futures: bool) -> Reply {
        if futures {
            ok(json!([{
                "accountAlias": "SgsR", "asset": "USDT", "balance": "100000.00000000",
                "crossWalletBalance": "100000.00000000", "crossUnPnl": "0.00000000",
                "availableBalance": "99000.00000000", "maxWithdrawAmount": "99000.00000000",
                "marginAvailable": true, "updateTime": self.server_ms()
            }]))
        } else {
            ok(json!({
                "makerCommission": 15, "takerCommission": 15, "buyerCommission": 0, "sellerCommission": 0,
                "canTrade": true, "canWithdraw": true, "canDeposit": true, "updateTime": self.server_ms(),
                "accountType": "SPOT",
                "balances": [
                    { "asset": "BTC", "free": "10.00000000", "locked": "0.00000000" },
                    { "asset": "USDT", "free": "100000.00000000", "locked": "0.00000000" }
                ],
                "permissions": ["SPOT"]
            }))
        }
    }

    fn positions(&self, account: &SimAccount) -> Reply {
        let now = self.server_ms();
        let list = self
            .position_list(account, binance_market(true))
            .into_iter()
            .map(|(sym, u, px)| {
                json!({
                    "symbol": sym, "positionAmt": from_units(u), "entryPrice": px, "markPrice": px,
                    "unRealizedProfit": "0.00000000", "liquidationPrice": "0", "leverage": "10",
                    "maxNotionalValue": "20000000", "marginType": "cross", "isolatedMargin": "0.00000000",
                    "isAutoAddMargin": "false", "positionSide": "BOTH", "notional": "0",
                    "isolatedWallet": "0", "updateTime": now
                })
            })
            .collect();
        ok(Value::Array(list))
    }
}
