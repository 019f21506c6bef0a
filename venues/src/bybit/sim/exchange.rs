//! Bybit v5 trading endpoints of the simulator (`/v5/...`): signed with X-BAPI-* headers (hex
//! HMAC-SHA256 over timestamp + API key + recv window + query or body), answers in Bybit's
//! envelope `{"retCode","retMsg","result","retExtInfo","time"}`.

use crate::bybit::sign::BybitSigner;
use serde_json::{Value, json};

use mdbus_sim::exchange::{
    Exchange, Found, OrderSpec, Placement, Reject, Reply, SimAccount, SimOrder, from_units, pairs, param,
};

fn reply(ex: &Exchange, code: i64, msg: &str, result: Value, headers: Vec<(String, String)>) -> Reply {
    Reply::Respond {
        status: "200 OK",
        headers,
        body: json!({ "retCode": code, "retMsg": msg, "result": result, "retExtInfo": {}, "time": ex.server_ms() })
            .to_string(),
    }
}

fn market(category: Option<&str>) -> &'static str {
    if category == Some("spot") { "bybit/spot" } else { "bybit/linear" }
}

fn status(o: &SimOrder) -> &'static str {
    match o.status.as_str() {
        "NEW" => "New",
        "PARTIALLY_FILLED" => "PartiallyFilled",
        "FILLED" => "Filled",
        _ => "Cancelled",
    }
}

fn order_json(o: &SimOrder) -> Value {
    let side = if o.side == "SELL" { "Sell" } else { "Buy" };
    let tif = match o.tif.as_str() {
        "GTX" => "PostOnly",
        t => t,
    };
    json!({
        "orderId": o.order_id.to_string(), "orderLinkId": o.client_order_id, "blockTradeId": "", "symbol": o.symbol,
        "price": o.price, "qty": o.qty, "side": side, "isLeverage": "", "positionIdx": 0, "orderStatus": status(o),
        "cancelType": "UNKNOWN", "rejectReason": "EC_NoError", "avgPrice": if o.executed == "0" { "0" } else { "65000" },
        "leavesQty": if o.status == "NEW" { o.qty.as_str() } else { "0" }, "leavesValue": "0", "cumExecQty": o.executed,
        "cumExecValue": "0", "cumExecFee": "0", "timeInForce": tif,
        "orderType": if o.kind == "MARKET" { "Market" } else { "Limit" }, "stopOrderType": "", "orderIv": "",
        "triggerPrice": "", "takeProfit": "", "stopLoss": "", "tpTriggerBy": "", "slTriggerBy": "",
        "triggerDirection": 0, "triggerBy": "", "lastPriceOnCreated": "", "reduceOnly": o.reduce_only,
        "closeOnTrigger": false, "smpType": "None", "smpGroup": 0, "smpOrderId": "", "tpslMode": "",
        "tpLimitPrice": "", "slLimitPrice": "", "placeType": "", "createdTime": o.time.to_string(),
        "updatedTime": o.update.to_string()
    })
}

/// Answers a `/v5/...` request.
pub(crate) fn handle(
    ex: &Exchange,
    method: &str,
    path: &str,
    query: &str,
    headers: &[(String, String)],
    body: &str,
) -> Reply {
    let now = ex.server_ms();
    if path == "/v5/market/time" {
        let result =
            json!({ "timeSecond": (now / 1000).to_string(), "timeNano": (u128::from(now) * 1_000_000).to_string() });
        return reply(ex, 0, "OK", result, Vec::new());
    }
    let h = |name: &str| headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
    let Some(account) = h("X-BAPI-API-KEY").and_then(|k| ex.account(k)) else {
        return reply(ex, 10003, "API key is invalid.", json!({}), Vec::new());
    };
    let recv_window: u64 = h("X-BAPI-RECV-WINDOW").and_then(|v| v.parse().ok()).unwrap_or(5000);
    let ts_text = h("X-BAPI-TIMESTAMP").unwrap_or("");
    let Ok(ts) = ts_text.parse::<u64>() else {
        return reply(ex, 10001, "params error: X-BAPI-TIMESTAMP", json!({}), Vec::new());
    };
    if !(now.saturating_sub(recv_window) <= ts && ts < now + 1000) {
        let msg = format!(
            "invalid request, please check your server timestamp or recv_window param. req_timestamp[{ts}],server_timestamp[{now}],recv_window[{recv_window}]"
        );
        return reply(ex, 10002, &msg, json!({}), Vec::new());
    }
    let payload = if method == "GET" { query } else { body };
    let want = BybitSigner::new(&account.secret).sign(ts_text, &account.api_key, &recv_window.to_string(), payload);
    if h("X-BAPI-SIGN") != Some(want.as_str()) {
        return reply(
            ex,
            10004,
            "error sign! please check your signature generation algorithm.",
            json!({}),
            Vec::new(),
        );
    }
    let q = pairs(query);
    let b: Value = if body.is_empty() { json!({}) } else { serde_json::from_str(body).unwrap_or(Value::Null) };
    if !b.is_object() {
        return reply(ex, 10001, "params error: body is not JSON", json!({}), Vec::new());
    }
    let s = |k: &str| b.get(k).and_then(Value::as_str).map(str::to_owned);
    let futures = |category: Option<&str>| category != Some("spot");
    match (method, path) {
        ("POST", "/v5/order/create") => place(ex, &account, &b),
        ("POST", "/v5/order/cancel") => {
            let symbol = s("symbol").unwrap_or_default();
            let by_id = s("orderId").and_then(|v| v.parse::<u64>().ok());
            match ex.find(&account, market(s("category").as_deref()), &symbol, by_id, s("orderLinkId").as_deref(), true)
            {
                Found::Cancelled(o) => {
                    ex.cancelled_events(&account, &o, futures(s("category").as_deref()));
                    reply(
                        ex,
                        0,
                        "OK",
                        json!({ "orderId": o.order_id.to_string(), "orderLinkId": o.client_order_id }),
                        Vec::new(),
                    )
                }
                _ => reply(ex, 110001, "order not exists or too late to cancel", json!({}), Vec::new()),
            }
        }
        ("GET", "/v5/order/realtime") => {
            let category = param(&q, "category").unwrap_or("linear").to_owned();
            let symbol = param(&q, "symbol");
            let by_id = param(&q, "orderId").and_then(|v| v.parse::<u64>().ok());
            let by_link = param(&q, "orderLinkId");
            let list: Vec<Value> = if by_id.is_some() || by_link.is_some() {
                match ex.find(&account, market(Some(&category)), symbol.unwrap_or(""), by_id, by_link, false) {
                    Found::Order(o) => vec![order_json(&o)],
                    _ => Vec::new(),
                }
            } else {
                ex.open(&account, market(Some(&category)), symbol).iter().map(order_json).collect()
            };
            reply(ex, 0, "OK", json!({ "list": list, "nextPageCursor": "", "category": category }), Vec::new())
        }
        ("GET", "/v5/account/wallet-balance") => reply(
            ex,
            0,
            "OK",
            json!({ "list": [{ "accountType": "UNIFIED", "totalEquity": "100000", "coin": [
                { "coin": "USDT", "equity": "100000", "walletBalance": "100000", "locked": "1000", "availableToWithdraw": "99000", "unrealisedPnl": "0" },
                { "coin": "BTC", "equity": "10", "walletBalance": "10", "locked": "0", "availableToWithdraw": "10", "unrealisedPnl": "0" }
            ] }] }),
            Vec::new(),
        ),
        ("GET", "/v5/position/list") => {
            let list: Vec<Value> = ex
                .position_list(&account, "bybit/linear")
                .into_iter()
                .map(|(sym, u, px)| {
                    let side = if u > 0 { "Buy" } else if u < 0 { "Sell" } else { "" };
                    json!({ "positionIdx": 0, "symbol": sym, "side": side, "size": from_units(u.abs()), "avgPrice": px,
                        "positionValue": "0", "unrealisedPnl": "0", "leverage": "10", "markPrice": px, "updatedTime": now.to_string() })
                })
                .collect();
            reply(ex, 0, "OK", json!({ "list": list, "category": "linear", "nextPageCursor": "" }), Vec::new())
        }
        _ => Reply::Respond {
            status: "404 Not Found",
            headers: Vec::new(),
            body: json!({ "retCode": 10016, "retMsg": "not found" }).to_string(),
        },
    }
}

fn place(ex: &Exchange, account: &SimAccount, b: &Value) -> Reply {
    let s = |k: &str| b.get(k).and_then(Value::as_str).map(str::to_owned);
    let (Some(category), Some(symbol), Some(side), Some(order_type), Some(qty)) =
        (s("category"), s("symbol"), s("side"), s("orderType"), s("qty"))
    else {
        ex.count_received();
        return reply(ex, 10001, "params error: missing parameter", json!({}), Vec::new());
    };
    let tif = s("timeInForce").unwrap_or_else(|| "GTC".into());
    let kind = match (order_type.as_str(), tif.as_str()) {
        ("Market", _) => "MARKET",
        ("Limit", "PostOnly") => "LIMIT_MAKER",
        ("Limit", _) => "LIMIT",
        _ => "BAD",
    };
    let spec = OrderSpec {
        market: market(Some(&category)).into(),
        symbol,
        side: side.to_ascii_uppercase(),
        kind: kind.to_owned(),
        qty,
        price: s("price"),
        tif: if tif == "PostOnly" { "GTX".into() } else { tif },
        cid: s("orderLinkId"),
        reduce_only: b.get("reduceOnly").and_then(Value::as_bool).unwrap_or(false),
    };
    match ex.place(account, spec, category != "spot") {
        Placement::Lost | Placement::Placed { drop_reply: true, .. } => Reply::Drop,
        Placement::Limited { until_ms, limit, .. } => reply(
            ex,
            10006,
            "Too many visits. Exceeded the API Rate Limit.",
            json!({}),
            vec![
                ("X-Bapi-Limit-Status".into(), "0".into()),
                ("X-Bapi-Limit".into(), limit.to_string()),
                ("X-Bapi-Limit-Reset-Timestamp".into(), until_ms.to_string()),
            ],
        ),
        Placement::Rejected(r) => {
            let (code, msg) = match r {
                Reject::Duplicate => (110072, "OrderLinkedID is duplicate"),
                Reject::BadSide => (10001, "params error: side invalid"),
                Reject::BadType => (10001, "params error: orderType invalid"),
                Reject::MissingPrice => (10001, "params error: price missing"),
                Reject::BadQty => (10001, "params error: qty invalid"),
                Reject::Internal => (10016, "Internal server error."),
            };
            reply(ex, code, msg, json!({}), Vec::new())
        }
        Placement::Placed { order, .. } => reply(
            ex,
            0,
            "OK",
            json!({ "orderId": order.order_id.to_string(), "orderLinkId": order.client_order_id }),
            Vec::new(),
        ),
    }
}
