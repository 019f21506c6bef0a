//! OKX v5 trading endpoints of the simulator (`/api/v5/...`): signed with OK-ACCESS-* headers
//! (base64 HMAC-SHA256 over timestamp + method + path + body), answers in OKX's envelope
//! `{"code","msg","data":[...]}` with per-item `sCode`/`sMsg`.

use mdbus_sdk::order::time::parse_iso8601_ms;

use crate::okx::sign::OkxSigner;
use serde_json::{Value, json};

use mdbus_sim::exchange::{
    Exchange, Found, OrderSpec, Placement, Reject, Reply, SimAccount, SimOrder, from_units, pairs, param,
};

fn reply(status: &'static str, body: Value) -> Reply {
    Reply::Respond { status, headers: Vec::new(), body: body.to_string() }
}

fn fail(status: &'static str, code: &str, msg: &str) -> Reply {
    reply(status, json!({ "code": code, "msg": msg, "data": [] }))
}

fn item_fail(cid: &str, code: &str, msg: &str, now: u64) -> Reply {
    reply(
        "200 OK",
        json!({ "code": "1", "msg": "All operations failed", "data": [{ "clOrdId": cid, "ordId": "", "tag": "", "ts": now.to_string(), "sCode": code, "sMsg": msg }] }),
    )
}

fn market(inst_id: &str) -> &'static str {
    if inst_id.ends_with("-SWAP") { "okx/SWAP" } else { "okx/SPOT" }
}

fn state(o: &SimOrder) -> &'static str {
    match o.status.as_str() {
        "NEW" => "live",
        "PARTIALLY_FILLED" => "partially_filled",
        "FILLED" => "filled",
        _ => "canceled",
    }
}

fn order_json(o: &SimOrder) -> Value {
    let swap = o.symbol.ends_with("-SWAP");
    let ord_type = match (o.kind.as_str(), o.tif.as_str()) {
        ("MARKET", _) => "market",
        ("LIMIT_MAKER", _) => "post_only",
        (_, "IOC") => "ioc",
        (_, "FOK") => "fok",
        _ => "limit",
    };
    json!({
        "instType": if swap { "SWAP" } else { "SPOT" }, "instId": o.symbol, "ccy": "", "ordId": o.order_id.to_string(),
        "clOrdId": o.client_order_id, "tag": "", "px": if o.kind == "MARKET" { String::new() } else { o.price.clone() },
        "sz": o.qty, "pnl": "0", "ordType": ord_type, "side": o.side.to_ascii_lowercase(), "posSide": "net",
        "tdMode": if swap { "cross" } else { "cash" }, "accFillSz": o.executed,
        "fillPx": if o.executed == "0" { String::new() } else { "65000".into() }, "tradeId": "",
        "fillSz": o.executed, "fillTime": "", "avgPx": if o.executed == "0" { String::new() } else { "65000".into() },
        "state": state(o), "lever": "", "feeCcy": "USDT", "fee": "0", "rebateCcy": "USDT", "rebate": "0",
        "source": "", "category": "normal", "reduceOnly": o.reduce_only.to_string(),
        "uTime": o.update.to_string(), "cTime": o.time.to_string()
    })
}

/// Answers an `/api/v5/...` request.
pub(crate) fn handle(
    ex: &Exchange,
    method: &str,
    path: &str,
    query: &str,
    headers: &[(String, String)],
    body: &str,
) -> Reply {
    let now = ex.server_ms();
    if path == "/api/v5/public/time" {
        return reply("200 OK", json!({ "code": "0", "msg": "", "data": [{ "ts": now.to_string() }] }));
    }
    let h = |name: &str| headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
    let Some(account) = h("OK-ACCESS-KEY").and_then(|k| ex.account(k)) else {
        return fail("401 Unauthorized", "50111", "Invalid OK-ACCESS-KEY");
    };
    if h("OK-ACCESS-PASSPHRASE") != Some(account.passphrase.as_str()) {
        return fail("401 Unauthorized", "50105", "Request header OK-ACCESS-PASSPHRASE incorrect.");
    }
    let Some(ts) = h("OK-ACCESS-TIMESTAMP") else {
        return fail("401 Unauthorized", "50107", "Request header OK-ACCESS-TIMESTAMP cannot be empty.");
    };
    match parse_iso8601_ms(ts) {
        Some(t) if t.abs_diff(now) <= 30_000 => {}
        Some(_) => return fail("401 Unauthorized", "50102", "Timestamp request expired."),
        None => return fail("401 Unauthorized", "50112", "Invalid OK-ACCESS-TIMESTAMP"),
    }
    let target = if query.is_empty() { path.to_owned() } else { format!("{path}?{query}") };
    let want = OkxSigner::new(&account.secret).sign(ts, method, &target, body);
    if h("OK-ACCESS-SIGN") != Some(want.as_str()) {
        return fail("401 Unauthorized", "50113", "Invalid Sign");
    }
    let q = pairs(query);
    let b: Value = if body.is_empty() { json!({}) } else { serde_json::from_str(body).unwrap_or(Value::Null) };
    if !b.is_object() {
        return fail("400 Bad Request", "50002", "JSON syntax error");
    }
    let s = |k: &str| b.get(k).and_then(Value::as_str).map(str::to_owned);
    match (method, path) {
        ("POST", "/api/v5/trade/order") => place(ex, &account, &b, now),
        ("GET", "/api/v5/trade/order") | ("POST", "/api/v5/trade/cancel-order") => {
            let cancel = method == "POST";
            let (inst, ord, cl) = if cancel {
                (s("instId"), s("ordId"), s("clOrdId"))
            } else {
                (
                    param(&q, "instId").map(str::to_owned),
                    param(&q, "ordId").map(str::to_owned),
                    param(&q, "clOrdId").map(str::to_owned),
                )
            };
            let inst = inst.unwrap_or_default();
            let by_id = ord.as_deref().and_then(|v| v.parse::<u64>().ok());
            match ex.find(&account, market(&inst), &inst, by_id, cl.as_deref(), cancel) {
                Found::Missing if !cancel => fail("200 OK", "51603", "Order does not exist"),
                Found::Missing | Found::NotCancellable => item_fail(
                    cl.as_deref().unwrap_or(""),
                    "51400",
                    "Order cancellation failed as the order has been filled, canceled or does not exist",
                    now,
                ),
                Found::Order(o) => reply("200 OK", json!({ "code": "0", "msg": "", "data": [order_json(&o)] })),
                Found::Cancelled(o) => {
                    ex.cancelled_events(&account, &o, inst.ends_with("-SWAP"));
                    reply(
                        "200 OK",
                        json!({ "code": "0", "msg": "", "data": [{ "clOrdId": o.client_order_id, "ordId": o.order_id.to_string(), "sCode": "0", "sMsg": "" }] }),
                    )
                }
            }
        }
        ("GET", "/api/v5/trade/orders-pending") => {
            let m = if param(&q, "instType") == Some("SWAP") { "okx/SWAP" } else { "okx/SPOT" };
            let list: Vec<Value> = ex.open(&account, m, param(&q, "instId")).iter().map(order_json).collect();
            reply("200 OK", json!({ "code": "0", "msg": "", "data": list }))
        }
        ("GET", "/api/v5/account/balance") => reply(
            "200 OK",
            json!({ "code": "0", "msg": "", "data": [{ "totalEq": "100000", "uTime": now.to_string(), "details": [
                { "ccy": "USDT", "eq": "100000", "cashBal": "100000", "availBal": "99000", "frozenBal": "1000", "ordFrozen": "1000", "uTime": now.to_string() },
                { "ccy": "BTC", "eq": "10", "cashBal": "10", "availBal": "10", "frozenBal": "0", "ordFrozen": "0", "uTime": now.to_string() }
            ] }] }),
        ),
        ("GET", "/api/v5/account/positions") => {
            let list: Vec<Value> = ex
                .position_list(&account, "okx/SWAP")
                .into_iter()
                .map(|(inst, u, px)| json!({ "instType": "SWAP", "instId": inst, "pos": from_units(u), "avgPx": px, "upl": "0", "posSide": "net", "lever": "10", "mgnMode": "cross", "uTime": now.to_string() }))
                .collect();
            reply("200 OK", json!({ "code": "0", "msg": "", "data": list }))
        }
        _ => fail("404 Not Found", "50005", "API is offline or unavailable"),
    }
}

fn place(ex: &Exchange, account: &SimAccount, b: &Value, now: u64) -> Reply {
    let s = |k: &str| b.get(k).and_then(Value::as_str).map(str::to_owned);
    let cid = s("clOrdId").unwrap_or_default();
    let (Some(inst), Some(side), Some(ord_type), Some(sz)) = (s("instId"), s("side"), s("ordType"), s("sz")) else {
        ex.count_received();
        return item_fail(&cid, "51000", "Parameter error", now);
    };
    let (kind, tif) = match ord_type.as_str() {
        "market" => ("MARKET", "GTC"),
        "limit" => ("LIMIT", "GTC"),
        "post_only" => ("LIMIT_MAKER", "GTX"),
        "ioc" => ("LIMIT", "IOC"),
        "fok" => ("LIMIT", "FOK"),
        _ => ("BAD", "GTC"),
    };
    let swap = inst.ends_with("-SWAP");
    let spec = OrderSpec {
        market: market(&inst).into(),
        symbol: inst,
        side: side.to_ascii_uppercase(),
        kind: kind.to_owned(),
        qty: sz,
        price: s("px").filter(|p| !p.is_empty()),
        tif: tif.to_owned(),
        cid: Some(cid.clone()).filter(|c| !c.is_empty()),
        reduce_only: b.get("reduceOnly").and_then(Value::as_bool).unwrap_or(false),
    };
    match ex.place(account, spec, swap) {
        Placement::Lost | Placement::Placed { drop_reply: true, .. } => Reply::Drop,
        Placement::Limited { .. } => fail("429 Too Many Requests", "50011", "Too Many Requests"),
        Placement::Rejected(r) => {
            let (code, msg) = match r {
                Reject::Duplicate => ("51016", "Duplicated clOrdId"),
                Reject::BadSide => ("51000", "Parameter side error"),
                Reject::BadType => ("51000", "Parameter ordType error"),
                Reject::MissingPrice => ("51000", "Parameter px error"),
                Reject::BadQty => ("51000", "Parameter sz error"),
                Reject::Internal => ("50026", "System error. Try again later"),
            };
            item_fail(&cid, code, msg, now)
        }
        Placement::Placed { order, .. } => reply(
            "200 OK",
            json!({ "code": "0", "msg": "", "inTime": (now * 1000).to_string(), "outTime": (now * 1000 + 50).to_string(),
                "data": [{ "clOrdId": order.client_order_id, "ordId": order.order_id.to_string(), "tag": "", "ts": now.to_string(), "sCode": "0", "sMsg": "Order placed" }] }),
        ),
    }
}

/// The `orders` channel push of an order change.
pub(crate) fn order_push(o: &SimOrder, exec: &str, trade_id: u64, now: u64) -> String {
    let mut d = order_json(o);
    let fill = exec == "TRADE";
    d["fillSz"] = json!(if fill { o.qty.as_str() } else { "0" });
    d["fillPx"] = json!(if fill { "65000" } else { "" });
    d["tradeId"] = json!(if fill { trade_id.to_string() } else { String::new() });
    d["fillTime"] = json!(if fill { now.to_string() } else { String::new() });
    d["fee"] = json!(if fill { "-0.013" } else { "0" });
    d["execType"] = json!(if fill { "T" } else { "" });
    d["uTime"] = json!(now.to_string());
    let inst_type = if o.symbol.ends_with("-SWAP") { "SWAP" } else { "SPOT" };
    json!({ "arg": { "channel": "orders", "instType": inst_type, "uid": "77982378738415879" }, "data": [d] })
        .to_string()
}

/// The `account` channel push after a fill.
pub(crate) fn balance_push(now: u64) -> String {
    json!({ "arg": { "channel": "account", "uid": "77982378738415879" }, "data": [{ "uTime": now.to_string(), "totalEq": "100000", "details": [
        { "ccy": "USDT", "availBal": "99000", "frozenBal": "1000", "cashBal": "100000", "eq": "100000", "uTime": now.to_string() }
    ] }] })
    .to_string()
}

/// Checks a websocket login (`{"op":"login","args":[{apiKey, passphrase, timestamp, sign}]}`):
/// returns the account's API key, or OKX's error code and message.
pub(super) fn ws_login(ex: &Exchange, msg: &Value) -> Result<String, (&'static str, &'static str)> {
    let arg = msg.get("args").and_then(Value::as_array).and_then(|a| a.first()).ok_or(("60012", "Invalid request"))?;
    let f = |k: &str| arg.get(k).and_then(Value::as_str).unwrap_or("");
    let account = ex.account(f("apiKey")).ok_or(("60005", "Invalid apiKey"))?;
    if account.passphrase != f("passphrase") {
        return Err(("60024", "Wrong passphrase"));
    }
    let ts: u64 = f("timestamp").parse().map_err(|_| ("60004", "Invalid timestamp"))?;
    if (ts * 1000).abs_diff(ex.server_ms()) > 30_000 {
        return Err(("60006", "Timestamp request expired"));
    }
    if OkxSigner::new(&account.secret).sign_ws_login(f("timestamp")).as_str() != f("sign") {
        return Err(("60007", "Invalid sign"));
    }
    Ok(account.api_key.clone())
}
