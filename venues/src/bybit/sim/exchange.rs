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
/// The signed paths (and server time) the simulator's Bybit serves. Any other `/v5/...` path is
/// not found, before any authentication, as a gateway routes before it authenticates.
pub(crate) fn serves(path: &str) -> bool {
    [
        "/v5/market/time",
        "/v5/order/create",
        "/v5/order/cancel",
        "/v5/order/realtime",
        "/v5/order/history",
        "/v5/account/wallet-balance",
        "/v5/account/info",
        "/v5/position/list",
        "/v5/user/query-api",
        "/v5/asset/coin/query-info",
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
        // Orders no longer open, newest first (the venue keeps those of the last two years).
        ("GET", "/v5/order/history") => {
            let category = param(&q, "category").unwrap_or("linear").to_owned();
            let by_id = param(&q, "orderId").and_then(|v| v.parse::<u64>().ok());
            let by_link = param(&q, "orderLinkId");
            let wanted_status = param(&q, "orderStatus");
            let limit = param(&q, "limit").and_then(|l| l.parse().ok()).unwrap_or(20usize).clamp(1, 50);
            let list: Vec<Value> = ex
                .closed(&account, market(Some(&category)), param(&q, "symbol"))
                .iter()
                .filter(|o| by_id.is_none_or(|id| id == o.order_id))
                .filter(|o| by_link.is_none_or(|l| l == o.client_order_id))
                .map(order_json)
                .filter(|o| wanted_status.is_none_or(|w| o["orderStatus"] == w))
                .take(limit)
                .collect();
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
        // The key's details: a unified trading account (UTA 2.0) with trading permissions.
        ("GET", "/v5/user/query-api") => reply(
            ex,
            0,
            "",
            json!({ "id": "13770661", "note": "mdbus-sim", "apiKey": account.api_key, "readOnly": 0, "secret": "",
                "permissions": { "ContractTrade": ["Order", "Position"], "Spot": ["SpotTrade"], "Wallet": ["AccountTransfer"],
                    "Options": ["OptionsTrade"], "Derivatives": [], "CopyTrading": [], "BlockTrade": [], "Exchange": [],
                    "NFT": [], "Affiliate": [], "Earn": [] },
                "ips": ["*"], "type": 1, "deadlineDay": -1, "expiredAt": "", "createdAt": "2024-01-01T00:00:00Z",
                "unified": 0, "uta": 1, "userID": 24617703, "inviterID": 0, "vipLevel": "No VIP",
                "mktMakerLevel": "0", "affiliateID": 0, "rsaPublicKey": "", "isMaster": true,
                "parentUid": "0", "kycLevel": "LEVEL_DEFAULT", "kycRegion": "" }),
            Vec::new(),
        ),
        ("GET", "/v5/account/info") => reply(
            ex,
            0,
            "success",
            json!({ "marginMode": "REGULAR_MARGIN", "updatedTime": now.to_string(), "unifiedMarginStatus": 5,
                "dcpStatus": "OFF", "timeWindow": 10, "smpGroup": 0, "isMasterTrader": false,
                "spotHedgingStatus": "OFF" }),
            Vec::new(),
        ),
        ("GET", "/v5/asset/coin/query-info") => {
            let coin = |c: &str, name: &str, chain: &str| {
                json!({ "name": name, "coin": c, "remainAmount": "150000", "chains": [{
                    "chainType": chain, "confirmation": "10000", "withdrawFee": "0.0005", "depositMin": "0",
                    "withdrawMin": "0.001", "chain": c, "chainDeposit": "1", "chainWithdraw": "1",
                    "minAccuracy": "8", "withdrawPercentageFee": "0", "contractAddress": "",
                    "safeConfirmNumber": "6" }] })
            };
            let rows = [coin("BTC", "Bitcoin", "BTC"), coin("ETH", "Ethereum", "ETH"), coin("USDT", "Tether", "ERC20")];
            let wanted = param(&q, "coin");
            let rows: Vec<Value> = rows.into_iter().filter(|r| wanted.is_none_or(|w| r["coin"] == w)).collect();
            reply(ex, 0, "success", json!({ "rows": rows }), Vec::new())
        }
        _ => Reply::Respond { status: "404 Not Found", headers: Vec::new(), body: String::new() },
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

/// The private stream's frames of an order change: an `execution` for a trade, then the
/// `order` with its new state.
pub(crate) fn order_pushes(o: &SimOrder, exec: &str, trade_id: u64, futures: bool, now: u64) -> Vec<String> {
    let category = if futures { "linear" } else { "spot" };
    let mut out = Vec::new();
    let side = if o.side == "SELL" { "Sell" } else { "Buy" };
    if exec == "TRADE" {
        out.push(
            json!({ "id": format!("{}-exec-{trade_id}", o.order_id), "topic": "execution", "creationTime": now, "data": [{
                "category": category, "symbol": o.symbol, "isLeverage": "0", "orderId": o.order_id.to_string(),
                "orderLinkId": o.client_order_id, "side": side, "orderPrice": o.price, "orderQty": o.qty,
                "leavesQty": "0", "createType": "CreateByUser", "orderType": if o.kind == "MARKET" { "Market" } else { "Limit" },
                "stopOrderType": "", "execFee": "0.013", "feeCurrency": "USDT", "execId": format!("sim-{trade_id}"),
                "execPrice": "65000", "execQty": o.qty, "execType": "Trade", "execValue": "0", "execTime": now.to_string(),
                "isMaker": false, "feeRate": "0.0002", "tradeIv": "", "markIv": "", "markPrice": "65000",
                "indexPrice": "", "underlyingPrice": "", "blockTradeId": "", "closedSize": "0", "seq": trade_id }] })
            .to_string(),
        );
    }
    let mut d = order_json(o);
    d["category"] = json!(category);
    d["updatedTime"] = json!(now.to_string());
    d["feeCurrency"] = json!(if exec == "TRADE" { "USDT" } else { "" });
    d["cumExecFee"] = json!(if exec == "TRADE" { "0.013" } else { "0" });
    out.push(
        json!({ "id": format!("{}-{exec}", o.order_id), "topic": "order", "creationTime": now, "data": [d] })
            .to_string(),
    );
    out
}

/// The private stream's frames after a fill: the unified wallet, and the linear positions.
pub(crate) fn fill_pushes(positions: &[(String, i128, String)], futures: bool, now: u64) -> Vec<String> {
    let mut out = vec![
        json!({ "id": format!("wallet-{now}"), "topic": "wallet", "creationTime": now, "data": [{
            "accountType": "UNIFIED", "accountIMRate": "0", "accountMMRate": "0", "totalEquity": "100000",
            "totalWalletBalance": "100000", "totalMarginBalance": "100000", "totalAvailableBalance": "99000",
            "totalPerpUPL": "0", "totalInitialMargin": "0", "totalMaintenanceMargin": "0", "accountLTV": "0",
            "coin": [{ "coin": "USDT", "equity": "100000", "usdValue": "100000", "walletBalance": "100000",
                "availableToWithdraw": "", "borrowAmount": "", "availableToBorrow": "", "accruedInterest": "0",
                "totalOrderIM": "0", "totalPositionIM": "0", "totalPositionMM": "0", "unrealisedPnl": "0",
                "cumRealisedPnl": "0", "bonus": "0", "collateralSwitch": true, "marginCollateral": true,
                "locked": "1000", "spotHedgingQty": "0" }] }] })
        .to_string(),
    ];
    if futures {
        let data: Vec<Value> = positions
            .iter()
            .map(|(sym, u, px)| {
                let side = if *u > 0 { "Buy" } else if *u < 0 { "Sell" } else { "" };
                json!({ "category": "linear", "symbol": sym, "side": side, "size": from_units(u.abs()),
                    "positionIdx": 0, "tradeMode": 0, "positionValue": "0", "riskId": 1, "riskLimitValue": "2000000",
                    "entryPrice": px, "markPrice": px, "leverage": "10", "positionBalance": "0", "autoAddMargin": 0,
                    "positionIM": "0", "positionMM": "0", "liqPrice": "", "bustPrice": "", "tpslMode": "Full",
                    "takeProfit": "0", "stopLoss": "0", "trailingStop": "0", "unrealisedPnl": "0", "curRealisedPnl": "0",
                    "cumRealisedPnl": "0", "sessionAvgPrice": "", "createdTime": now.to_string(),
                    "updatedTime": now.to_string(), "positionStatus": "Normal", "adlRankIndicator": 2,
                    "isReduceOnly": false, "seq": now })
            })
            .collect();
        out.push(
            json!({ "id": format!("position-{now}"), "topic": "position", "creationTime": now, "data": data })
                .to_string(),
        );
    }
    out
}

/// Checks a private websocket's `auth` (`args`: API key, expires in ms, hex HMAC-SHA256 of
/// `GET/realtime` + expires): the account's API key, or Bybit's refusal text.
pub(super) fn ws_auth(ex: &Exchange, msg: &Value) -> Result<String, &'static str> {
    let args = msg.get("args").and_then(Value::as_array).ok_or("Params Error")?;
    let text = |i: usize| match args.get(i) {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    };
    let account = ex.account(&text(0)).ok_or("API key is invalid.")?;
    let expires: u64 = text(1).parse().map_err(|_| "Params Error")?;
    // An `expires` already past is refused as the venue refuses it.
    if expires < ex.server_ms() {
        return Err("Params Error");
    }
    if BybitSigner::new(&account.secret).sign_ws_auth(&text(1)).as_str() != text(2) {
        return Err("Signature verification failed.");
    }
    Ok(account.api_key.clone())
}
