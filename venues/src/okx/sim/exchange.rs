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
/// The signed paths (and server time) the simulator's OKX serves. Any other `/api/v5/...` path
/// is not found, before any authentication, as a gateway routes before it authenticates.
pub(crate) fn serves(path: &str) -> bool {
    [
        "/api/v5/public/time",
        "/api/v5/trade/order",
        "/api/v5/trade/batch-orders",
        "/api/v5/trade/cancel-order",
        "/api/v5/trade/cancel-batch-orders",
        "/api/v5/trade/orders-history",
        "/api/v5/trade/orders-history-archive",
        "/api/v5/trade/orders-pending",
        "/api/v5/account/balance",
        "/api/v5/account/positions",
        "/api/v5/asset/currencies",
    ]
    .contains(&path)
}

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
    if !(b.is_object() || b.is_array()) {
        return fail("400 Bad Request", "50002", "JSON syntax error");
    }
    match (method, path) {
        ("POST", "/api/v5/trade/order" | "/api/v5/trade/batch-orders") => place(ex, &account, &b, now),
        ("POST", "/api/v5/trade/cancel-order" | "/api/v5/trade/cancel-batch-orders") => cancel(ex, &account, &b, now),
        ("GET", "/api/v5/trade/order") => {
            let inst = param(&q, "instId").unwrap_or_default();
            let by_id = param(&q, "ordId").and_then(|v| v.parse::<u64>().ok());
            match ex.find(&account, market(inst), inst, by_id, param(&q, "clOrdId"), false) {
                Found::Order(o) | Found::Cancelled(o) => {
                    reply("200 OK", json!({ "code": "0", "msg": "", "data": [order_json(&o)] }))
                }
                Found::Missing | Found::NotCancellable => fail("200 OK", "51603", "Order does not exist"),
            }
        }
        // Orders no longer open, newest first (`orders-history`: the last 7 days;
        // `orders-history-archive`: 3 months; the simulator keeps them all).
        ("GET", "/api/v5/trade/orders-history" | "/api/v5/trade/orders-history-archive") => {
            let m = if param(&q, "instType") == Some("SWAP") { "okx/SWAP" } else { "okx/SPOT" };
            let limit = param(&q, "limit").and_then(|l| l.parse().ok()).unwrap_or(100usize).clamp(1, 100);
            let list: Vec<Value> =
                ex.closed(&account, m, param(&q, "instId")).iter().take(limit).map(order_json).collect();
            reply("200 OK", json!({ "code": "0", "msg": "", "data": list }))
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
        ("GET", "/api/v5/asset/currencies") => {
            let ccy = |c: &str, name: &str| {
                json!({ "ccy": c, "name": name, "chain": format!("{c}-{name}"), "canDep": true, "canWd": true,
                    "canInternal": true, "mainNet": true, "minDep": "0.00005", "minWd": "0.0005", "maxWd": "500",
                    "minFee": "0.0002", "maxFee": "0.0004", "wdTickSz": "8", "needTag": false, "logoLink": "",
                    "minDepArrivalConfirm": "1", "minWdUnlockConfirm": "2", "wdQuota": "200", "usedWdQuota": "0",
                    "depQuotaFixed": "", "usedDepQuotaFixed": "", "minInternal": "0.0001" })
            };
            let list = [ccy("BTC", "Bitcoin"), ccy("ETH", "Ethereum"), ccy("USDT", "Tether")];
            let wanted = param(&q, "ccy");
            let list: Vec<Value> = list.into_iter().filter(|c| wanted.is_none_or(|w| c["ccy"] == w)).collect();
            reply("200 OK", json!({ "code": "0", "msg": "", "data": list }))
        }
        _ => Reply::Respond { status: "404 Not Found", headers: Vec::new(), body: String::new() },
    }
}

/// One order of a placement request: its `data` item, or the whole reply when there is none to
/// give (a lost request, the rate limit).
enum Item {
    Placed(Value),
    Failed(Value),
    Whole(Reply),
}

fn item_error(cid: &str, code: &str, msg: &str, now: u64) -> Value {
    json!({ "clOrdId": cid, "ordId": "", "tag": "", "ts": now.to_string(), "sCode": code, "sMsg": msg })
}

/// The envelope of per-item results: `code` 0 when all succeeded, 1 when all failed, 2 when some did.
fn items(data: Vec<Value>, failed: usize, now: u64) -> Reply {
    let (code, msg) = match failed {
        0 => ("0", ""),
        f if f == data.len() => ("1", "All operations failed"),
        _ => ("2", "Bulk operation partially succeeded"),
    };
    reply(
        "200 OK",
        json!({ "code": code, "msg": msg, "data": data, "inTime": (now * 1000).to_string(), "outTime": (now * 1000 + 50).to_string() }),
    )
}

/// Places the orders of `POST /api/v5/trade/order` (one object) or `/api/v5/trade/batch-orders`
/// (an array of up to 20).
fn place(ex: &Exchange, account: &SimAccount, b: &Value, now: u64) -> Reply {
    let list = match b {
        Value::Array(list) if list.is_empty() || list.len() > 20 => {
            return fail("200 OK", "51000", "Parameter orders error");
        }
        Value::Array(list) => list.iter().collect(),
        one => vec![one],
    };
    let (mut data, mut failed) = (Vec::with_capacity(list.len()), 0);
    for order in list {
        match place_one(ex, account, order, now) {
            Item::Placed(v) => data.push(v),
            Item::Failed(v) => {
                failed += 1;
                data.push(v);
            }
            Item::Whole(r) => return r,
        }
    }
    items(data, failed, now)
}

/// Cancels the orders of `POST /api/v5/trade/cancel-order` (one object) or
/// `/api/v5/trade/cancel-batch-orders` (an array of up to 20), each by `ordId` or `clOrdId`.
fn cancel(ex: &Exchange, account: &SimAccount, b: &Value, now: u64) -> Reply {
    let list = match b {
        Value::Array(list) if list.is_empty() || list.len() > 20 => {
            return fail("200 OK", "51000", "Parameter orders error");
        }
        Value::Array(list) => list.iter().collect(),
        one => vec![one],
    };
    let (mut data, mut failed) = (Vec::with_capacity(list.len()), 0);
    for item in list {
        let s = |k: &str| item.get(k).and_then(Value::as_str);
        let inst = s("instId").unwrap_or_default();
        let cid = s("clOrdId");
        let by_id = s("ordId").and_then(|v| v.parse::<u64>().ok());
        match ex.find(account, market(inst), inst, by_id, cid, true) {
            Found::Cancelled(o) => {
                ex.cancelled_events(account, &o, inst.ends_with("-SWAP"));
                data.push(json!({ "clOrdId": o.client_order_id, "ordId": o.order_id.to_string(), "ts": now.to_string(), "sCode": "0", "sMsg": "" }));
            }
            Found::Order(_) | Found::Missing | Found::NotCancellable => {
                failed += 1;
                let mut e = item_error(
                    cid.unwrap_or(""),
                    "51400",
                    "Order cancellation failed as the order has been filled, canceled or does not exist",
                    now,
                );
                e["ordId"] = json!(s("ordId").unwrap_or(""));
                data.push(e);
            }
        }
    }
    items(data, failed, now)
}

fn place_one(ex: &Exchange, account: &SimAccount, b: &Value, now: u64) -> Item {
    let s = |k: &str| b.get(k).and_then(Value::as_str).map(str::to_owned);
    let cid = s("clOrdId").unwrap_or_default();
    let (Some(inst), Some(side), Some(ord_type), Some(sz)) = (s("instId"), s("side"), s("ordType"), s("sz")) else {
        ex.count_received();
        return Item::Failed(item_error(&cid, "51000", "Parameter error", now));
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
        Placement::Lost | Placement::Placed { drop_reply: true, .. } => Item::Whole(Reply::Drop),
        Placement::Limited { .. } => Item::Whole(fail("429 Too Many Requests", "50011", "Too Many Requests")),
        Placement::Rejected(r) => {
            let (code, msg) = match r {
                Reject::Duplicate => ("51016", "Duplicated clOrdId"),
                Reject::BadSide => ("51000", "Parameter side error"),
                Reject::BadType => ("51000", "Parameter ordType error"),
                Reject::MissingPrice => ("51000", "Parameter px error"),
                Reject::BadQty => ("51000", "Parameter sz error"),
                Reject::Internal => ("50026", "System error. Try again later"),
            };
            Item::Failed(item_error(&cid, code, msg, now))
        }
        Placement::Placed { order, .. } => Item::Placed(
            json!({ "clOrdId": order.client_order_id, "ordId": order.order_id.to_string(), "tag": "", "ts": now.to_string(), "sCode": "0", "sMsg": "Order placed" }),
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
    // The timestamp as text or as a number (official SDKs send either).
    let ts_text = match arg.get("timestamp") {
        Some(Value::Number(n)) => n.to_string(),
        _ => f("timestamp").to_owned(),
    };
    let ts: u64 = ts_text.parse().map_err(|_| ("60004", "Invalid timestamp"))?;
    if (ts * 1000).abs_diff(ex.server_ms()) > 30_000 {
        return Err(("60006", "Timestamp request expired"));
    }
    if OkxSigner::new(&account.secret).sign_ws_login(&ts_text).as_str() != f("sign") {
        return Err(("60007", "Invalid sign"));
    }
    Ok(account.api_key.clone())
}
