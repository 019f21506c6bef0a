//! HTX spot trading endpoints of the simulator (`/v1/...`): signature version 2 in the query,
//! JSON bodies, answers in `{"status":"ok","data":...}` or `{"status":"error","err-code",...}`.

use crate::htx::sign::HtxSigner;
use serde_json::{Value, json};

use mdbus_sim::exchange::{
    Exchange, Found, OrderSpec, Placement, Reject, Reply, SimAccount, SimOrder, header, pairs, param, respond,
};

const MARKET: &str = "htx/spot";
/// The spot account id every simulated HTX account has.
const ACCOUNT_ID: u64 = 100_009;

fn ok(data: Value) -> Reply {
    respond("200 OK", json!({ "status": "ok", "data": data }))
}

fn fail(code: &str, msg: &str) -> Reply {
    respond("200 OK", json!({ "status": "error", "err-code": code, "err-msg": msg, "data": null }))
}

fn order_json(o: &SimOrder) -> Value {
    let side = o.side.to_ascii_lowercase();
    let kind = match (o.kind.as_str(), o.tif.as_str()) {
        ("MARKET", _) => "market",
        ("LIMIT_MAKER", _) => "limit-maker",
        (_, "IOC") => "ioc",
        (_, "FOK") => "limit-fok",
        _ => "limit",
    };
    let state = match o.status.as_str() {
        "NEW" => "submitted",
        "PARTIALLY_FILLED" => "partial-filled",
        "FILLED" => "filled",
        _ => "canceled",
    };
    json!({
        "id": o.order_id, "symbol": o.symbol, "account-id": ACCOUNT_ID, "client-order-id": o.client_order_id,
        "amount": o.qty, "price": o.price, "created-at": o.time, "type": format!("{side}-{kind}"),
        "field-amount": o.executed, "filled-amount": o.executed, "field-cash-amount": "0", "field-fees": "0",
        "finished-at": if state == "submitted" { 0 } else { o.update }, "source": "spot-api", "state": state,
        "canceled-at": if state == "canceled" { o.update } else { 0 }
    })
}

/// The signed paths (and server time) the simulator's HTX serves, orders by id included. Any
/// other path is not found, before any authentication.
pub(crate) fn serves(path: &str) -> bool {
    let by_id = path.strip_prefix("/v1/order/orders/").map(|rest| rest.trim_end_matches("/submitcancel"));
    [
        "/v1/common/timestamp",
        "/v1/account/accounts",
        "/v1/order/orders/place",
        "/v1/order/orders/getClientOrder",
        "/v1/order/orders/submitCancelClientOrder",
        "/v1/order/openOrders",
    ]
    .contains(&path)
        || path == format!("/v1/account/accounts/{ACCOUNT_ID}/balance")
        || by_id.is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
}

/// Answers a `/v1/...` request.
pub(crate) fn handle(
    ex: &Exchange,
    method: &str,
    path: &str,
    query: &str,
    headers: &[(String, String)],
    body: &str,
) -> Reply {
    if path == "/v1/common/timestamp" {
        return ok(json!(ex.server_ms()));
    }
    let account = match verify(ex, method, path, query, headers) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let q = pairs(query);
    let b: Value = if body.is_empty() { json!({}) } else { serde_json::from_str(body).unwrap_or(Value::Null) };
    let s = |k: &str| b.get(k).and_then(Value::as_str).map(str::to_owned);
    let by_id = |id: &str, cancel: bool| match id.parse::<u64>() {
        Ok(n) => ex.find_in(&account, MARKET, None, Some(n), None, cancel),
        Err(_) => Found::Missing,
    };
    let balance_path = format!("/v1/account/accounts/{ACCOUNT_ID}/balance");
    match (method, path) {
        ("GET", "/v1/account/accounts") => {
            ok(json!([{ "id": ACCOUNT_ID, "type": "spot", "subtype": "", "state": "working" }]))
        }
        ("POST", "/v1/order/orders/place") => place(ex, &account, &b),
        ("GET", "/v1/order/orders/getClientOrder") => {
            match ex.find_in(&account, MARKET, None, None, param(&q, "clientOrderId"), false) {
                Found::Order(o) => ok(order_json(&o)),
                _ => fail("base-record-invalid", "record invalid"),
            }
        }
        ("POST", "/v1/order/orders/submitCancelClientOrder") => {
            match ex.find_in(&account, MARKET, None, None, s("client-order-id").as_deref(), true) {
                Found::Cancelled(o) => {
                    ex.cancelled_events(&account, &o, false);
                    ok(json!(7))
                }
                Found::NotCancellable => fail("order-orderstate-error", "order state error"),
                _ => fail("base-record-invalid", "record invalid"),
            }
        }
        ("GET", "/v1/order/openOrders") => {
            let list: Vec<Value> = ex.open(&account, MARKET, param(&q, "symbol")).iter().map(order_json).collect();
            ok(Value::Array(list))
        }
        ("GET", p) if p == balance_path => ok(json!({ "id": ACCOUNT_ID, "type": "spot", "state": "working", "list": [
            { "currency": "usdt", "type": "trade", "balance": "99000" },
            { "currency": "usdt", "type": "frozen", "balance": "1000" },
            { "currency": "btc", "type": "trade", "balance": "10" },
            { "currency": "btc", "type": "frozen", "balance": "0" }
        ] })),
        (m, p) => match (m, p.strip_prefix("/v1/order/orders/")) {
            ("GET", Some(id)) => match by_id(id, false) {
                Found::Order(o) => ok(order_json(&o)),
                _ => fail("base-record-invalid", "record invalid"),
            },
            ("POST", Some(rest)) if rest.ends_with("/submitcancel") => {
                match by_id(rest.trim_end_matches("/submitcancel"), true) {
                    Found::Cancelled(o) => {
                        ex.cancelled_events(&account, &o, false);
                        ok(json!(o.order_id.to_string()))
                    }
                    Found::NotCancellable => fail("order-orderstate-error", "order state error"),
                    _ => fail("base-record-invalid", "record invalid"),
                }
            }
            _ => fail("invalid-parameter", "endpoint not found"),
        },
    }
}

fn place(ex: &Exchange, account: &SimAccount, b: &Value) -> Reply {
    let s = |k: &str| b.get(k).and_then(Value::as_str).map(str::to_owned);
    let (Some(symbol), Some(kind), Some(amount)) = (s("symbol"), s("type"), s("amount")) else {
        ex.count_received();
        return fail("invalid-parameter", "symbol, type and amount are required");
    };
    if s("account-id").and_then(|a| a.parse::<u64>().ok()) != Some(ACCOUNT_ID) {
        ex.count_received();
        return fail("account-frozen-account-inexistent-error", "account for id does not exist");
    }
    let (side, rest) = kind.split_once('-').unwrap_or(("", ""));
    let (k, tif) = match rest {
        "market" => ("MARKET", "GTC"),
        "limit" => ("LIMIT", "GTC"),
        "limit-maker" => ("LIMIT_MAKER", "GTX"),
        "ioc" => ("LIMIT", "IOC"),
        "limit-fok" => ("LIMIT", "FOK"),
        _ => ("BAD", "GTC"),
    };
    let spec = OrderSpec {
        market: MARKET.into(),
        symbol,
        side: side.to_ascii_uppercase(),
        kind: k.into(),
        qty: amount,
        price: s("price"),
        tif: tif.into(),
        cid: s("client-order-id"),
        reduce_only: false,
    };
    match ex.place(account, spec, false) {
        Placement::Lost | Placement::Placed { drop_reply: true, .. } => Reply::Drop,
        Placement::Limited { .. } => Reply::Respond {
            status: "429 Too Many Requests",
            headers: vec![("Retry-After".into(), "1".into())],
            body: json!({ "status": "error", "err-code": "too-many-request", "err-msg": "too many request", "data": null })
                .to_string(),
        },
        Placement::Rejected(r) => match r {
            Reject::Duplicate => fail("order-duplicate-client-order-id", "client order id is in use"),
            Reject::Internal => fail("gateway-internal-error", "internal error"),
            _ => fail("invalid-parameter", "invalid order"),
        },
        Placement::Placed { order, .. } => ok(json!(order.order_id.to_string())),
    }
}

/// HTX signature version 2: the signature parameters are in the query; the signature covers
/// method, host, path and the sorted, encoded parameters.
/// The account, or HTX's error reply.
fn verify(
    ex: &Exchange,
    method: &str,
    path: &str,
    query: &str,
    headers: &[(String, String)],
) -> Result<SimAccount, Reply> {
    let fail = |code: &str, msg: &str| {
        Err(respond("200 OK", json!({ "status": "error", "err-code": code, "err-msg": msg, "data": null })))
    };
    let params = pairs(query);
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let Some(account) = get("AccessKeyId").and_then(|k| ex.account(k)) else {
        return fail("api-signature-not-valid", "Signature not valid: Incorrect Access key [Access key错误]");
    };
    if get("SignatureMethod") != Some("HmacSHA256") || get("SignatureVersion") != Some("2") {
        return fail("api-signature-not-valid", "Signature not valid: Incorrect signature method or version");
    }
    let ts = get("Timestamp").unwrap_or("");
    match mdbus_sdk::order::time::parse_iso8601_ms(ts) {
        Some(t) if t.abs_diff(ex.server_ms()) <= 300_000 => {}
        _ => return fail("api-signature-not-valid", "Signature not valid: Timestamp is expired"),
    }
    let rest: Vec<(&str, &str)> = params
        .iter()
        .filter(|(k, _)| {
            !matches!(k.as_str(), "AccessKeyId" | "SignatureMethod" | "SignatureVersion" | "Timestamp" | "Signature")
        })
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    // The host as the client names it: as sent in `Host` (a port included), or without the port.
    let sent = header(headers, "Host").unwrap_or("").to_ascii_lowercase();
    let bare = sent.split(':').next().unwrap_or("").to_owned();
    let signer = HtxSigner::new(&account.secret);
    let matches = [sent.as_str(), bare.as_str()].iter().any(|host| {
        let (_, want) = signer.sign(method, host, path, &account.api_key, ts, &rest);
        get("Signature") == Some(want.as_str())
    });
    if !matches {
        return fail("api-signature-not-valid", "Signature not valid: Verification failure");
    }
    Ok(account.clone())
}

/// The private stream's frames of an order change on `orders#<symbol>` (`creation`, `trade`,
/// `cancellation`), and for a trade its `trade.clearing#<symbol>#0` push.
pub(crate) fn order_pushes(o: &SimOrder, exec: &str, trade_id: u64, now: u64) -> Vec<String> {
    let v = order_json(o);
    let (kind, state) = (v["type"].clone(), v["state"].clone());
    let side = o.side.to_ascii_lowercase();
    let price = if o.kind == "MARKET" { "" } else { o.price.as_str() };
    let mut out = Vec::new();
    let data = match exec {
        "TRADE" => {
            out.push(
                json!({ "action": "push", "ch": format!("trade.clearing#{}#0", o.symbol), "data": {
                    "eventType": "trade", "symbol": o.symbol, "orderId": o.order_id, "tradePrice": "65000",
                    "tradeVolume": o.qty, "orderSide": side, "orderType": kind, "aggressor": true,
                    "tradeId": trade_id, "tradeTime": now, "transactFee": "0.013", "feeCurrency": "usdt",
                    "feeDeduct": "0", "feeDeductType": "", "accountId": ACCOUNT_ID, "source": "spot-api",
                    "orderPrice": price, "orderSize": o.qty, "clientOrderId": o.client_order_id,
                    "orderCreateTime": o.time, "orderStatus": state } })
                .to_string(),
            );
            json!({ "eventType": "trade", "symbol": o.symbol, "orderId": o.order_id, "tradePrice": "65000",
                "tradeVolume": o.qty, "orderSide": side, "type": kind, "aggressor": true, "tradeId": trade_id,
                "tradeTime": now, "clientOrderId": o.client_order_id, "orderSource": "spot-api",
                "orderPrice": price, "orderSize": o.qty, "orderStatus": state, "remainAmt": "0", "execAmt": o.qty })
        }
        "CANCELED" => json!({ "eventType": "cancellation", "symbol": o.symbol, "orderId": o.order_id,
            "type": kind, "orderSide": side, "orderPrice": price, "orderSize": o.qty, "orderStatus": state,
            "clientOrderId": o.client_order_id, "remainAmt": o.qty, "execAmt": o.executed, "lastActTime": now }),
        _ => json!({ "eventType": "creation", "symbol": o.symbol, "orderId": o.order_id, "type": kind,
            "orderSide": side, "orderPrice": price, "orderSize": o.qty, "orderStatus": "submitted",
            "clientOrderId": o.client_order_id, "orderSource": "spot-api", "orderCreateTime": o.time,
            "lastActTime": now }),
    };
    out.push(json!({ "action": "push", "ch": format!("orders#{}", o.symbol), "data": data }).to_string());
    out
}

/// The private stream's `accounts.update#2` push after a fill.
pub(crate) fn balance_push(now: u64) -> String {
    json!({ "action": "push", "ch": "accounts.update#2", "data": { "currency": "usdt", "accountId": ACCOUNT_ID,
        "balance": "100000", "available": "99000", "changeType": "order.match", "accountType": "trade",
        "changeTime": now, "seqNum": now } })
    .to_string()
}

/// Checks a private websocket's `auth` (signature version 2.1 over `GET`, the host, the path
/// and the sorted parameters): the account's API key, or HTX's code and message.
pub(super) fn ws_auth(ex: &Exchange, host: &str, path: &str, msg: &Value) -> Result<String, (i64, &'static str)> {
    let params = msg.get("params").ok_or((2002, "invalid.auth.state"))?;
    let f = |k: &str| params.get(k).and_then(Value::as_str).unwrap_or("");
    let account = ex.account(f("accessKey")).ok_or((2003, "auth.fail"))?;
    if f("authType") != "api" || f("signatureMethod") != "HmacSHA256" || f("signatureVersion") != "2.1" {
        return Err((2003, "auth.fail"));
    }
    match mdbus_sdk::order::time::parse_iso8601_ms(f("timestamp")) {
        Some(t) if t.abs_diff(ex.server_ms()) <= 300_000 => {}
        _ => return Err((2003, "auth.fail: timestamp expired")),
    }
    // The host as the client names it: as sent in `Host` (a port included), or without the port.
    let bare = host.split(':').next().unwrap_or("");
    let signer = HtxSigner::new(&account.secret);
    if ![host, bare]
        .iter()
        .any(|h| signer.sign_ws_auth(h, path, &account.api_key, f("timestamp")).as_str() == f("signature"))
    {
        return Err((2003, "auth.fail"));
    }
    Ok(account.api_key.clone())
}
