//! The trading side of `mdbus sim`: the exchange core every venue's order endpoints share. It
//! keeps the accounts and their resting orders (in one vocabulary, whatever venue they came
//! through), enforces an order-rate limit, keeps a clock that may be skewed from the host's,
//! issues listen keys, records each account's private-stream frames (spelled by the order's
//! venue) and can delay, drop or lose order responses so clients meet unknown outcomes. Each
//! venue's dialect (in `mdbus-venues`) verifies signatures with the venue's scheme, reads its
//! requests into [`OrderSpec`]s and spells the answers.

use std::{
    collections::HashMap,
    sync::{
        Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use serde_json::Value;

use crate::venue::SimVenues;

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

/// The demo account under a second, account-scoped key (`account-mdbus-sim-key`), for clients
/// that accept only keys of that form.
pub fn scoped_account() -> SimAccount {
    SimAccount { api_key: "account-mdbus-sim-key".into(), ..default_account() }
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
            accounts: vec![default_account(), scoped_account()],
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
pub struct OrderSpec {
    /// Which venue API and market the order belongs to (`binance/spot`, `okx/SWAP`, ...):
    /// orders of one market are invisible to the others.
    pub market: String,
    /// Venue symbol.
    pub symbol: String,
    /// `BUY` or `SELL`.
    pub side: String,
    /// `LIMIT`, `MARKET` or `LIMIT_MAKER`.
    pub kind: String,
    /// Quantity text.
    pub qty: String,
    /// Price text (none for market orders).
    pub price: Option<String>,
    /// `GTC`, `IOC`, `FOK`, `GTX`.
    pub tif: String,
    /// Client order id; the exchange makes one when `None`.
    pub cid: Option<String>,
    /// Reduce only.
    pub reduce_only: bool,
}

/// Why an order was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reject {
    /// Not `BUY` or `SELL`.
    BadSide,
    /// Not `LIMIT`, `MARKET` or `LIMIT_MAKER`.
    BadType,
    /// A limit order without a price.
    MissingPrice,
    /// No positive quantity, or no symbol.
    BadQty,
    /// An open order has this client order id.
    Duplicate,
    /// The exchange failed.
    Internal,
}

/// What became of a submission.
#[derive(Debug)]
pub enum Placement {
    /// Lost before processing: close the connection.
    Lost,
    /// Over the order-rate limit until `until_ms`.
    Limited {
        /// When the window ends, exchange ms.
        until_ms: u64,
        /// Now, exchange ms.
        now_ms: u64,
        /// Orders allowed per window.
        limit: u64,
        /// The window, ms.
        window_ms: u64,
    },
    /// Refused.
    Rejected(Reject),
    /// Booked; `drop_reply` says to close the connection instead of answering.
    Placed {
        /// The order.
        order: Box<SimOrder>,
        /// Close the connection instead of answering.
        drop_reply: bool,
        /// Orders in the current window, this one included.
        window_orders: u64,
    },
}

/// The result of looking an order up.
#[derive(Debug)]
pub enum Found {
    /// No such order.
    Missing,
    /// The order.
    Order(SimOrder),
    /// Asked to cancel an order no longer open.
    NotCancellable,
    /// The order, now cancelled.
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

/// An order the exchange keeps.
#[derive(Debug, Clone)]
pub struct SimOrder {
    /// Venue API and market (`binance/spot`, `okx/SWAP`, ...).
    pub market: String,
    /// Venue symbol.
    pub symbol: String,
    /// The exchange's order id.
    pub order_id: u64,
    /// Client order id.
    pub client_order_id: String,
    /// `BUY` or `SELL`.
    pub side: String,
    /// `LIMIT`, `MARKET` or `LIMIT_MAKER`.
    pub kind: String,
    /// Time in force.
    pub tif: String,
    /// Price text.
    pub price: String,
    /// Quantity text.
    pub qty: String,
    /// Executed quantity text.
    pub executed: String,
    /// `NEW`, `PARTIALLY_FILLED`, `FILLED`, `CANCELED`.
    pub status: String,
    /// Creation time, exchange ms.
    pub time: u64,
    /// Last update, exchange ms.
    pub update: u64,
    /// Reduce only.
    pub reduce_only: bool,
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
    venues: SimVenues,
    state: Mutex<State>,
    orders_received: AtomicU64,
    orders_placed: AtomicU64,
    keepalives: AtomicU64,
    requests: AtomicU64,
    sessions: AtomicU64,
}

/// Host wall-clock time in ms.
pub fn now_ms() -> u64 {
    mdbus_bus::now_ns() / 1_000_000
}

/// The value of `key` in `pairs`.
pub fn param<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
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

/// The decoded `name=value` pairs of a query string or form body.
pub fn pairs(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (percent_decode(k), percent_decode(v)),
            None => (percent_decode(p), String::new()),
        })
        .collect()
}

/// `200 OK` with `body`.
pub fn ok(body: Value) -> Reply {
    Reply::Respond { status: "200 OK", headers: Vec::new(), body: body.to_string() }
}

/// Decimal text to 1e-8 units (the simulator's own arithmetic for positions).
pub fn units(s: &str) -> i128 {
    s.parse::<mdbus_schemas::Decimal>().ok().and_then(|d| d.rescale(-8).ok()).unwrap_or(0)
}

/// 1e-8 units as decimal text.
pub fn from_units(u: i128) -> String {
    mdbus_schemas::Decimal::new(u, -8).to_string()
}

impl Exchange {
    /// Returns an exchange with `cfg`.
    pub fn new(cfg: ExchangeConfig, venues: SimVenues) -> Exchange {
        Exchange {
            cfg,
            venues,
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
    pub fn session_started(&self) {
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

    /// The account of `api_key`.
    pub fn account(&self, api_key: &str) -> Option<SimAccount> {
        self.cfg.accounts.iter().find(|a| a.api_key == api_key).cloned()
    }

    /// Counts a trading request (the weight a venue reports back).
    pub fn count_request(&self) {
        self.requests.fetch_add(1, Ordering::SeqCst);
    }

    /// The listen key of `api_key`'s account, made on first use: one per account, as
    /// venues with listen keys do.
    pub fn listen_key(&self, api_key: &str) -> Option<String> {
        let mut st = self.state.lock().ok()?;
        if let Some((k, _)) = st.listen_keys.iter().find(|(_, a)| *a == api_key) {
            return Some(k.clone());
        }
        let k = format!(
            "{:016x}{:016x}{:016x}{:012x}",
            now_ms(),
            st.next_order_id,
            0x006d_6462_7573_u64,
            st.listen_keys.len()
        );
        st.listen_keys.insert(k.clone(), api_key.to_owned());
        Some(k)
    }

    /// Keeps listen key `key` alive (counted); `false` when there is no such key.
    pub fn keep_alive(&self, key: &str) -> bool {
        let known = self.state.lock().is_ok_and(|st| st.listen_keys.contains_key(key));
        if known {
            self.keepalives.fetch_add(1, Ordering::SeqCst);
        }
        known
    }

    /// The listen key of `api_key`'s account, if it has one.
    pub fn listen_key_of(&self, api_key: &str) -> Option<String> {
        let st = self.state.lock().ok()?;
        st.listen_keys.iter().find(|(_, a)| *a == api_key).map(|(k, _)| k.clone())
    }

    /// Closes the listen keys of `api_key`'s account.
    pub fn close_listen_keys(&self, api_key: &str) {
        if let Ok(mut st) = self.state.lock() {
            st.listen_keys.retain(|_, a| a != api_key);
        }
    }

    /// The private-stream frames of an order change (`exec`: NEW, CANCELED or TRADE), in the
    /// dialect of the order's venue.
    fn stream_events(&self, o: &SimOrder, exec: &str, trade_id: u64, futures: bool, now: u64) -> Vec<String> {
        let family = o.market.split('/').next().unwrap_or("");
        self.venues.parse(family).map(|v| v.order_events(o, exec, trade_id, futures, now)).unwrap_or_default()
    }

    /// Accepts `nonce` for `api_key` if it is above the last one (Gemini's rule).
    pub fn take_nonce(&self, api_key: &str, nonce: u64) -> bool {
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
    pub fn count_received(&self) {
        self.orders_received.fetch_add(1, Ordering::SeqCst);
    }

    /// Exchange time now (the host clock plus the configured skew), ms.
    pub fn server_ms(&self) -> u64 {
        (now_ms() as i64 + self.cfg.clock_skew_ms).max(0) as u64
    }

    /// Places an order for any dialect: counts it, applies the faults and the order-rate
    /// limit, validates it, books it and records its user-data events.
    pub fn place(&self, account: &SimAccount, spec: OrderSpec, futures: bool) -> Placement {
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
            frames.extend(self.stream_events(&first, "NEW", 0, futures, server));
            frames.extend(self.stream_events(&order, "TRADE", st.next_trade_id + 1, futures, server));
        } else {
            frames.extend(self.stream_events(&order, "NEW", 0, futures, server));
        }
        let acct = st.accounts.entry(account.api_key.clone()).or_default();
        acct.orders.push(order.clone());
        let window_orders = acct.window_orders;
        let family = spec.market.split('/').next().unwrap_or("").to_owned();
        if filled && let Some(v) = self.venues.parse(&family) {
            let positions: Vec<(String, i128, String)> = acct
                .positions
                .iter()
                .filter_map(|(k, (u, p))| {
                    let (m, sym) = k.split_once('|')?;
                    (m == spec.market).then(|| (sym.to_owned(), *u, p.clone()))
                })
                .collect();
            frames.extend(v.fill_events(&positions, futures, server));
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
    pub fn find(
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
    pub fn find_in(
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
    pub fn cancelled_events(&self, account: &SimAccount, o: &SimOrder, futures: bool) {
        let frames = self.stream_events(o, "CANCELED", 0, futures, self.server_ms());
        let family = o.market.split('/').next().unwrap_or("");
        if let Ok(mut st) = self.state.lock() {
            st.events.entry(format!("{}|{family}", account.api_key)).or_default().extend(frames);
        }
    }

    /// An account's open orders, of one symbol or all.
    pub fn open(&self, account: &SimAccount, market: &str, symbol: Option<&str>) -> Vec<SimOrder> {
        self.listed(account, market, symbol, true)
    }

    /// An account's orders that are no longer open (filled, cancelled, expired), newest first,
    /// of one symbol or all: the order history venues serve.
    pub fn closed(&self, account: &SimAccount, market: &str, symbol: Option<&str>) -> Vec<SimOrder> {
        let mut list = self.listed(account, market, symbol, false);
        list.reverse();
        list
    }

    fn listed(&self, account: &SimAccount, market: &str, symbol: Option<&str>, open: bool) -> Vec<SimOrder> {
        let Ok(st) = self.state.lock() else { return Vec::new() };
        st.accounts
            .get(&account.api_key)
            .map(|a| {
                a.orders
                    .iter()
                    .filter(|o| o.market == market && matches!(o.status.as_str(), "NEW" | "PARTIALLY_FILLED") == open)
                    .filter(|o| symbol.is_none_or(|s| s == o.symbol))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// An account's positions: symbol, signed size (1e-8 units), entry price text.
    pub fn position_list(&self, account: &SimAccount, market: &str) -> Vec<(String, i128, String)> {
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
}

impl From<crate::rest::Answer> for Reply {
    fn from((status, body): crate::rest::Answer) -> Reply {
        Reply::Respond { status, headers: Vec::new(), body }
    }
}

/// An answer with `status` and a JSON `body`.
pub fn respond(status: &'static str, body: Value) -> Reply {
    Reply::Respond { status, headers: Vec::new(), body: body.to_string() }
}

/// The value of header `name` (any case).
pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}
