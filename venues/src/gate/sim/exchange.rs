//! Gate.io v4 spot trading endpoints of the simulator (`/api/v4/spot/...`): signed with `KEY`,
//! `Timestamp` and `SIGN`; orders carry the client's id in `text` (`t-...`), errors are
//! `{"label","message"}`.

use crate::gate::sign::GateSigner;
use serde_json::{Value, json};

use mdbus_sim::exchange::{
    Exchange, Found, OrderSpec, Placement, Reject, Reply, SimAccount, SimOrder, header, pairs, param, respond,
};

/// The market as the exchange core keys it: the venue's simulator name, then the market.
const MARKET: &str = "gateio/spot";

fn fail(status: &'static str, label: &str, message: &str) -> Reply {
    respond(status, json!({ "label": label, "message": message }))
}

fn order_json(o: &SimOrder) -> Value {
    let open = matches!(o.status.as_str(), "NEW" | "PARTIALLY_FILLED");
    let status = match o.status.as_str() {
        "NEW" | "PARTIALLY_FILLED" => "open",
        "FILLED" => "closed",
        _ => "cancelled",
    };
    let left = if open { o.qty.as_str() } else { "0" };
    json!({
        "id": o.order_id.to_string(), "text": o.client_order_id, "amend_text": "-",
        "create_time": (o.time / 1000).to_string(), "update_time": (o.update / 1000).to_string(),
        "create_time_ms": o.time, "update_time_ms": o.update, "status": status,
        "currency_pair": o.symbol, "type": if o.kind == "MARKET" { "market" } else { "limit" }, "account": "spot",
        "side": o.side.to_ascii_lowercase(), "amount": o.qty, "price": o.price,
        "time_in_force": match o.tif.as_str() { "IOC" => "ioc", "FOK" => "fok", "GTX" => "poc", _ => "gtc" },
        "iceberg": "0", "left": left, "filled_amount": o.executed, "fill_price": "0", "filled_total": "0",
        "fee": "0", "fee_currency": "USDT", "point_fee": "0", "gt_fee": "0", "rebated_fee": "0",
        "rebated_fee_currency": "USDT", "finish_as": match status { "open" => "open", "closed" => "filled", _ => "cancelled" }
    })
}

/// The signed paths (and server time) the simulator's Gate.io serves, orders by id included.
/// Any other `/api/v4/...` path is not found, before any authentication.
pub(crate) fn serves(path: &str) -> bool {
    ["/api/v4/spot/time", "/api/v4/spot/orders", "/api/v4/spot/open_orders", "/api/v4/spot/accounts"].contains(&path)
        || path.strip_prefix("/api/v4/spot/orders/").is_some_and(|id| !id.is_empty() && !id.contains('/'))
}

/// Answers a `/api/v4/...` request.
pub(crate) fn handle(
    ex: &Exchange,
    method: &str,
    path: &str,
    query: &str,
    headers: &[(String, String)],
    body: &str,
) -> Reply {
    if path == "/api/v4/spot/time" {
        return respond("200 OK", json!({ "server_time": ex.server_ms() }));
    }
    let account = match verify(ex, method, path, query, headers, body) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let q = pairs(query);
    let pair = param(&q, "currency_pair");
    // `/spot/orders/{id}`: a venue id, or the client's `t-...` text.
    let one = path.strip_prefix("/api/v4/spot/orders/");
    let lookup = |id: &str, cancel: bool| {
        let (by_id, by_cid) = match id.parse::<u64>() {
            Ok(n) => (Some(n), None),
            Err(_) => (None, Some(id)),
        };
        ex.find_in(&account, MARKET, pair, by_id, by_cid, cancel)
    };
    match (method, path, one) {
        ("POST", "/api/v4/spot/orders", _) => place(ex, &account, body),
        ("GET", _, Some(id)) => match lookup(id, false) {
            Found::Order(o) => respond("200 OK", order_json(&o)),
            _ => fail("404 Not Found", "ORDER_NOT_FOUND", "Order not found"),
        },
        ("DELETE", _, Some(id)) => match lookup(id, true) {
            Found::Cancelled(o) => {
                ex.cancelled_events(&account, &o, false);
                respond("200 OK", order_json(&o))
            }
            Found::NotCancellable => fail("400 Bad Request", "ORDER_CLOSED", "Order finished"),
            _ => fail("404 Not Found", "ORDER_NOT_FOUND", "Order not found"),
        },
        // `status=open` (the default) or `finished`, newest first.
        ("GET", "/api/v4/spot/orders", _) => {
            let orders = match param(&q, "status") {
                Some("finished") => ex.closed(&account, MARKET, pair),
                Some("open") | None => ex.open(&account, MARKET, pair),
                Some(_) => return fail("400 Bad Request", "INVALID_PARAM_VALUE", "status must be open or finished"),
            };
            let limit = param(&q, "limit").and_then(|l| l.parse().ok()).unwrap_or(100usize).clamp(1, 1000);
            respond("200 OK", Value::Array(orders.iter().take(limit).map(order_json).collect()))
        }
        ("GET", "/api/v4/spot/open_orders", _) => {
            let open = ex.open(&account, MARKET, None);
            let mut pairs: Vec<&str> = open.iter().map(|o| o.symbol.as_str()).collect();
            pairs.dedup();
            let list: Vec<Value> = pairs
                .iter()
                .map(|p| {
                    let orders: Vec<Value> = open.iter().filter(|o| o.symbol == *p).map(order_json).collect();
                    json!({ "currency_pair": p, "total": orders.len(), "orders": orders })
                })
                .collect();
            respond("200 OK", Value::Array(list))
        }
        ("GET", "/api/v4/spot/accounts", _) => respond(
            "200 OK",
            json!([{ "currency": "USDT", "available": "99000", "locked": "1000", "update_id": 1 }, { "currency": "BTC", "available": "10", "locked": "0", "update_id": 1 }]),
        ),
        _ => fail("404 Not Found", "NOT_FOUND", "endpoint not found"),
    }
}

fn place(ex: &Exchange, account: &SimAccount, body: &str) -> Reply {
    let b: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let s = |k: &str| b.get(k).and_then(Value::as_str).map(str::to_owned);
    let (Some(pair), Some(side), Some(amount)) = (s("currency_pair"), s("side"), s("amount")) else {
        ex.count_received();
        return fail("400 Bad Request", "MISSING_REQUIRED_PARAM", "currency_pair, side and amount are required");
    };
    let text = s("text");
    if text.as_deref().is_some_and(|t| !t.starts_with("t-") || t.len() > 30) {
        ex.count_received();
        return fail("400 Bad Request", "INVALID_PARAM_VALUE", "text must start with t- and be at most 30 long");
    }
    let tif = s("time_in_force").unwrap_or_else(|| "gtc".into());
    let kind = match (s("type").as_deref().unwrap_or("limit"), tif.as_str()) {
        ("market", _) => "MARKET",
        ("limit", "poc") => "LIMIT_MAKER",
        ("limit", _) => "LIMIT",
        _ => "BAD",
    };
    let spec = OrderSpec {
        market: MARKET.into(),
        symbol: pair,
        side: side.to_ascii_uppercase(),
        kind: kind.into(),
        qty: amount,
        price: s("price"),
        tif: match tif.as_str() {
            "ioc" => "IOC".into(),
            "fok" => "FOK".into(),
            "poc" => "GTX".into(),
            _ => "GTC".into(),
        },
        cid: text,
        reduce_only: false,
    };
    match ex.place(account, spec, false) {
        Placement::Lost | Placement::Placed { drop_reply: true, .. } => Reply::Drop,
        Placement::Limited { until_ms, now_ms, .. } => Reply::Respond {
            status: "429 Too Many Requests",
            headers: vec![
                ("Retry-After".into(), until_ms.saturating_sub(now_ms).div_ceil(1000).max(1).to_string()),
                ("X-Gate-RateLimit-Reset-Timestamp".into(), until_ms.to_string()),
            ],
            body: json!({ "label": "TOO_MANY_REQUESTS", "message": "Request Rate limit Exceeded" }).to_string(),
        },
        Placement::Rejected(r) => {
            let (label, message) = match r {
                Reject::Duplicate => ("DUPLICATE_ORDER", "text is used by an open order"),
                Reject::BadSide => ("INVALID_PARAM_VALUE", "invalid side"),
                Reject::BadType => ("INVALID_PARAM_VALUE", "invalid type"),
                Reject::MissingPrice => ("INVALID_PARAM_VALUE", "price is required"),
                Reject::BadQty => ("INVALID_PARAM_VALUE", "invalid amount"),
                Reject::Internal => ("SERVER_ERROR", "internal error"),
            };
            fail("400 Bad Request", label, message)
        }
        Placement::Placed { order, .. } => respond("201 Created", order_json(&order)),
    }
}

/// Gate.io v4: `KEY`, `Timestamp` (s), `SIGN` = hex HMAC-SHA512 over method, path, query,
/// hex SHA-512 of the body and timestamp. The account, or Gate's error reply.
fn verify(
    ex: &Exchange,
    method: &str,
    path: &str,
    query: &str,
    headers: &[(String, String)],
    body: &str,
) -> Result<SimAccount, Reply> {
    let Some(account) = header(headers, "KEY").and_then(|k| ex.account(k)) else {
        return Err(respond("401 Unauthorized", json!({ "label": "INVALID_KEY", "message": "Invalid key provided" })));
    };
    let ts = header(headers, "Timestamp").unwrap_or("");
    // Seconds, whole or with a fraction (gate-api sends `time.time()` as it is); the signature
    // covers the header's text as sent.
    match ts.parse::<f64>().ok().filter(|t| t.is_finite() && *t >= 0.0) {
        Some(t) if ((t * 1000.0) as u64).abs_diff(ex.server_ms()) <= 60_000 => {}
        _ => {
            return Err(respond(
                "401 Unauthorized",
                json!({ "label": "REQUEST_EXPIRED", "message": "gap between request Timestamp and server time exceeds 60" }),
            ));
        }
    }
    let want = GateSigner::new(&account.secret).sign(method, path, query, body, ts);
    if header(headers, "SIGN") != Some(want.as_str()) {
        return Err(respond(
            "401 Unauthorized",
            json!({ "label": "INVALID_SIGNATURE", "message": "Signature mismatch" }),
        ));
    }
    Ok(account.clone())
}

fn update(channel: &str, now: u64, result: Value) -> String {
    json!({ "time": now / 1000, "time_ms": now, "channel": channel, "event": "update", "result": [result] }).to_string()
}

/// The private channels' updates of an order change: `spot.orders` (`put`, then `finish` as
/// `filled` or `cancelled`), and for a trade its `spot.usertrades` update first.
pub(crate) fn order_pushes(o: &SimOrder, exec: &str, trade_id: u64, now: u64) -> Vec<String> {
    let mut out = Vec::new();
    let mut d = order_json(o);
    d["update_time_ms"] = json!(now.to_string());
    d["create_time_ms"] = json!(o.time.to_string());
    d["user"] = json!(1_000_001);
    match exec {
        "TRADE" => {
            out.push(update(
                "spot.usertrades",
                now,
                json!({ "id": trade_id, "user_id": 1_000_001, "order_id": o.order_id.to_string(),
                    "currency_pair": o.symbol, "create_time": now / 1000, "create_time_ms": format!("{now}.000"),
                    "side": o.side.to_ascii_lowercase(), "amount": o.qty, "role": "taker", "price": "65000",
                    "fee": "0.013", "fee_currency": "USDT", "point_fee": "0", "gt_fee": "0", "text": o.client_order_id }),
            ));
            d["event"] = json!("finish");
            d["finish_as"] = json!("filled");
            d["left"] = json!("0");
        }
        "CANCELED" => {
            d["event"] = json!("finish");
            d["finish_as"] = json!("cancelled");
        }
        _ => {
            d["event"] = json!("put");
            d["left"] = json!(o.qty);
        }
    }
    out.push(update("spot.orders", now, d));
    out
}

/// The `spot.balances` update after a fill.
pub(crate) fn balance_push(now: u64) -> String {
    update(
        "spot.balances",
        now,
        json!({ "timestamp": (now / 1000).to_string(), "timestamp_ms": now.to_string(), "user": "1000001",
            "currency": "USDT", "change": "-1000", "total": "100000", "available": "99000", "freeze": "1000",
            "freeze_change": "0", "change_type": "order-match" }),
    )
}

/// Checks a private channel subscription's `auth` (`KEY`, and `SIGN` the hex HMAC-SHA512 of
/// `channel=<c>&event=<e>&time=<t>` within a minute of the server's clock): the account's API
/// key, or Gate.io's error code and message.
pub(super) fn ws_auth(ex: &Exchange, msg: &Value) -> Result<String, (i64, &'static str)> {
    let auth = msg.get("auth").ok_or((4, "Authentication required"))?;
    let f = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    if f(auth, "method") != "api_key" {
        return Err((2, "Invalid argument provided: auth.method"));
    }
    let account = ex.account(&f(auth, "KEY")).ok_or((4, "Invalid key provided"))?;
    let time = msg.get("time").and_then(Value::as_u64).ok_or((2, "Invalid argument provided: time"))?;
    if (time * 1000).abs_diff(ex.server_ms()) > 60_000 {
        return Err((4, "Request timestamp expired"));
    }
    let want = GateSigner::new(&account.secret).sign_ws(&f(msg, "channel"), &f(msg, "event"), time);
    if want.as_str() != f(auth, "SIGN") {
        return Err((4, "Signature mismatch"));
    }
    Ok(account.api_key.clone())
}
