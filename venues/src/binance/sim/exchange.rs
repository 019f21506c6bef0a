//! Binance's trading endpoints in the simulator: spot (`/api/v3`) and USD-M (`/fapi`) orders,
//! open orders, balances, positions, server time and listen keys. Signatures are checked with
//! Binance's scheme (a bad one gets Binance's real error body), timestamps against
//! `recvWindow` on the exchange's clock; and the user-data frames an order change makes.

use mdbus_sim::exchange::{
    Exchange, Found, OrderSpec, Placement, Reject, Reply, SimAccount, SimOrder, from_units, ok, pairs, param,
};
use serde_json::{Value, json};

use crate::binance::sign::BinanceSigner;

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

pub(super) fn order_events(o: &SimOrder, exec: &str, trade_id: u64, futures: bool, now: u64) -> Vec<String> {
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

/// The balance (and position) frames after a fill; `positions` are the market's (symbol, size in
/// 1e-8 units, entry price).
pub(super) fn account_events(positions: &[(String, i128, String)], futures: bool, now: u64) -> String {
    if futures {
        let positions: Vec<Value> = positions
            .iter()
            .map(|(s, u, px)| json!({"s": s, "pa": from_units(*u), "ep": px, "bep": px, "cr": "0", "up": "0.00000000", "mt": "cross", "iw": "0", "ps": "BOTH"}))
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

/// Answers a trading request (`/api/v3/...`, `/fapi/...`). May sleep (the configured order
/// delay).
pub(super) fn handle(ex: &Exchange, method: &str, target: &str, headers: &[(String, String)], body: &[u8]) -> Reply {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let body = String::from_utf8_lossy(body).into_owned();
    let futures = path.starts_with("/fapi");
    if path.ends_with("/time") {
        return ok(json!({ "serverTime": ex.server_ms() }));
    }
    // Connectivity: an empty object.
    if path.ends_with("/ping") {
        return ok(json!({}));
    }
    let api_key = headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("x-mbx-apikey")).map(|(_, v)| v.clone());
    let Some(account) = api_key.and_then(|k| ex.account(&k)) else {
        return error("401 Unauthorized", -2015, "Invalid API-key, IP, or permissions for action.");
    };
    if path.ends_with("/userDataStream") || path.ends_with("/listenKey") {
        return listen_key(ex, method, &account, &pairs(query), futures);
    }
    // Signed endpoints: signature over query then body, as Binance computes it.
    let (q, qsig) = split_signature(query);
    let (b, bsig) = split_signature(&body);
    let Some(sig) = qsig.or(bsig) else {
        return error(
            "400 Bad Request",
            -1102,
            "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.",
        );
    };
    if BinanceSigner::new(&account.secret).sign(&q, &b).as_str() != sig {
        return error("400 Bad Request", -1022, "Signature for this request is not valid.");
    }
    let mut params = pairs(&q);
    params.extend(pairs(&b));
    let server = ex.server_ms();
    let ts = param(&params, "timestamp").and_then(|t| t.parse::<u64>().ok());
    let window = param(&params, "recvWindow").and_then(|t| t.parse::<u64>().ok()).unwrap_or(5000).min(60_000);
    match ts {
        Some(ts) if ts <= server + 1000 && server.saturating_sub(ts) <= window => {}
        _ => {
            return error("400 Bad Request", -1021, "Timestamp for this request is outside of the recvWindow.");
        }
    }
    let is_order = path.ends_with("/order");
    match (method, is_order) {
        ("POST", true) => new_order(ex, &account, &params, futures),
        ("GET", true) => with_order(ex, &account, &params, futures, false),
        ("DELETE", true) => with_order(ex, &account, &params, futures, true),
        ("GET", false) if path.ends_with("/openOrders") => open_orders(ex, &account, &params, futures),
        ("GET", false) if path.ends_with("/allOrders") => all_orders(ex, &account, &params, futures),
        ("GET", false) if path == "/fapi/v2/account" || path == "/fapi/v3/account" => futures_account(ex, &account),
        ("GET", false) if path.ends_with("/account") || path.ends_with("/balance") => balances(ex, futures),
        ("GET", false) if path.ends_with("/positionRisk") => positions(ex, &account),
        ("GET", false) if path.ends_with("/leverageBracket") => brackets(&params),
        ("GET", false) if path.ends_with("/capital/config/getall") => coins(),
        _ => error("404 Not Found", -1, "unsupported method"),
    }
}

fn listen_key(ex: &Exchange, method: &str, account: &SimAccount, params: &[(String, String)], futures: bool) -> Reply {
    match method {
        // One key per account, as Binance does: creating again returns the same key.
        "POST" => match ex.listen_key(&account.api_key) {
            Some(key) => ok(json!({ "listenKey": key })),
            None => error("500 Internal Server Error", -1000, "lock"),
        },
        "PUT" => {
            let key = param(params, "listenKey")
                .map(str::to_owned)
                .or_else(|| futures.then(|| ex.listen_key_of(&account.api_key)).flatten());
            match key {
                Some(k) if ex.keep_alive(&k) => ok(json!({})),
                _ => error("400 Bad Request", -1125, "This listenKey does not exist."),
            }
        }
        "DELETE" => {
            ex.close_listen_keys(&account.api_key);
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

fn new_order(ex: &Exchange, account: &SimAccount, params: &[(String, String)], futures: bool) -> Reply {
    let get = |k: &str| param(params, k).map(str::to_owned);
    let (Some(symbol), Some(side), Some(kind), Some(qty)) = (get("symbol"), get("side"), get("type"), get("quantity"))
    else {
        ex.count_received();
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
    match ex.place(account, spec, futures) {
        Placement::Lost => Reply::Drop,
        Placement::Limited { until_ms, now_ms, limit, window_ms } => {
            let secs = (until_ms - now_ms).div_ceil(1000).max(1);
            let msg = format!("Too many new orders; current limit is {limit} orders per {} SECOND.", window_ms / 1000);
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
                body: order_json(&order, futures).to_string(),
            }
        }
    }
}

fn with_order(ex: &Exchange, account: &SimAccount, params: &[(String, String)], futures: bool, cancel: bool) -> Reply {
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
    match ex.find(account, binance_market(futures), &symbol, by_id, by_cid, cancel) {
        Found::Missing if cancel => error("400 Bad Request", -2011, "Unknown order sent."),
        Found::Missing => error("400 Bad Request", -2013, "Order does not exist."),
        Found::NotCancellable => error("400 Bad Request", -2011, "Unknown order sent."),
        Found::Order(o) => ok(order_json(&o, futures)),
        Found::Cancelled(o) => {
            ex.cancelled_events(account, &o, futures);
            ok(order_json(&o, futures))
        }
    }
}

fn open_orders(ex: &Exchange, account: &SimAccount, params: &[(String, String)], futures: bool) -> Reply {
    let list = ex
        .open(account, binance_market(futures), param(params, "symbol"))
        .iter()
        .map(|o| order_json(o, futures))
        .collect();
    ok(Value::Array(list))
}

/// Every order of the symbol, open or not, oldest first (`allOrders` requires the symbol).
fn all_orders(ex: &Exchange, account: &SimAccount, params: &[(String, String)], futures: bool) -> Reply {
    let Some(symbol) = param(params, "symbol") else {
        return error(
            "400 Bad Request",
            -1102,
            "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.",
        );
    };
    let market = binance_market(futures);
    let mut list: Vec<SimOrder> = ex.closed(account, market, Some(symbol));
    list.reverse();
    list.extend(ex.open(account, market, Some(symbol)));
    list.sort_by_key(|o| o.order_id);
    let limit = param(params, "limit").and_then(|l| l.parse().ok()).unwrap_or(500usize).clamp(1, 1000);
    let skip = list.len().saturating_sub(limit);
    ok(Value::Array(list.iter().skip(skip).map(|o| order_json(o, futures)).collect()))
}

fn balances(ex: &Exchange, futures: bool) -> Reply {
    if futures {
        ok(json!([{
            "accountAlias": "SgsR", "asset": "USDT", "balance": "100000.00000000",
            "crossWalletBalance": "100000.00000000", "crossUnPnl": "0.00000000",
            "availableBalance": "99000.00000000", "maxWithdrawAmount": "99000.00000000",
            "marginAvailable": true, "updateTime": ex.server_ms()
        }]))
    } else {
        ok(json!({
            "makerCommission": 15, "takerCommission": 15, "buyerCommission": 0, "sellerCommission": 0,
            "canTrade": true, "canWithdraw": true, "canDeposit": true, "updateTime": ex.server_ms(),
            "accountType": "SPOT",
            "balances": [
                { "asset": "BTC", "free": "10.00000000", "locked": "0.00000000" },
                { "asset": "USDT", "free": "100000.00000000", "locked": "0.00000000" }
            ],
            "permissions": ["SPOT"]
        }))
    }
}

fn positions(ex: &Exchange, account: &SimAccount) -> Reply {
    let now = ex.server_ms();
    let list = ex
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

/// `GET /fapi/v2|v3/account`: the USDT wallet and every position of the account.
fn futures_account(ex: &Exchange, account: &SimAccount) -> Reply {
    let now = ex.server_ms();
    let positions: Vec<Value> = ex
        .position_list(account, binance_market(true))
        .into_iter()
        .map(|(sym, u, px)| {
            json!({
                "symbol": sym, "positionSide": "BOTH", "positionAmt": from_units(u), "entryPrice": px,
                "unrealizedProfit": "0.00000000", "isolatedMargin": "0", "notional": "0", "isolatedWallet": "0",
                "initialMargin": "0", "maintMargin": "0", "leverage": "10", "isolated": false, "updateTime": now
            })
        })
        .collect();
    let wallet = "100000.00000000";
    ok(json!({
        "totalInitialMargin": "0.00000000", "totalMaintMargin": "0.00000000", "totalWalletBalance": wallet,
        "totalUnrealizedProfit": "0.00000000", "totalMarginBalance": wallet, "totalPositionInitialMargin": "0.00000000",
        "totalOpenOrderInitialMargin": "0.00000000", "totalCrossWalletBalance": wallet, "totalCrossUnPnl": "0.00000000",
        "availableBalance": "99000.00000000", "maxWithdrawAmount": "99000.00000000",
        "assets": [{
            "asset": "USDT", "walletBalance": wallet, "unrealizedProfit": "0.00000000", "marginBalance": wallet,
            "maintMargin": "0.00000000", "initialMargin": "0.00000000", "positionInitialMargin": "0.00000000",
            "openOrderInitialMargin": "0.00000000", "crossWalletBalance": wallet, "crossUnPnl": "0.00000000",
            "availableBalance": "99000.00000000", "maxWithdrawAmount": "99000.00000000", "updateTime": now
        }],
        "positions": positions
    }))
}

/// `GET /fapi/v1/leverageBracket`: one bracket per symbol (or the one asked for).
fn brackets(params: &[(String, String)]) -> Reply {
    let bracket = |s: &str| {
        json!({"symbol": s, "notionalCoef": 1.0, "brackets": [{"bracket": 1, "initialLeverage": 125,
            "notionalCap": 50_000, "notionalFloor": 0, "maintMarginRatio": 0.004, "cum": 0.0}]})
    };
    match param(params, "symbol") {
        Some(s) => ok(json!([bracket(s)])),
        None => ok(json!([bracket("BTCUSDT"), bracket("ETHUSDT")])),
    }
}

/// `GET /sapi/v1/capital/config/getall` (all coins' information): each asset the simulator
/// trades, with one network, as Binance documents the reply.
fn coins() -> Reply {
    let coin = |c: &str, name: &str, free: &str| {
        json!({
            "coin": c, "depositAllEnable": true, "withdrawAllEnable": true, "name": name, "free": free,
            "locked": "0", "freeze": "0", "withdrawing": "0", "ipoing": "0", "ipoable": "0", "storage": "0",
            "isLegalMoney": false, "trading": true,
            "networkList": [{
                "network": c, "coin": c, "withdrawIntegerMultiple": "0.00000001", "isDefault": true,
                "depositEnable": true, "withdrawEnable": true, "depositDesc": "", "withdrawDesc": "",
                "specialTips": "", "name": name, "resetAddressStatus": false, "addressRegex": "",
                "memoRegex": "", "withdrawFee": "0.0005", "withdrawMin": "0.001", "withdrawMax": "9000",
                "minConfirm": 1, "unLockConfirm": 2, "sameAddress": false, "estimatedArrivalTime": 25,
                "busy": false, "contractAddressUrl": "", "contractAddress": ""
            }]
        })
    };
    ok(json!([coin("BTC", "Bitcoin", "10"), coin("ETH", "Ethereum", "0"), coin("USDT", "TetherUS", "100000")]))
}
