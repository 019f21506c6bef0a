//! Gemini trading endpoints of the simulator (`/v1/...`, POST with the request in the signed
//! `X-GEMINI-PAYLOAD`): new, cancel and status of orders, the live orders and balances;
//! errors are `{"result":"error","reason","message"}`.

use crate::gemini::sign::GeminiSigner;
use serde_json::{Value, json};

use mdbus_sim::exchange::{
    Exchange, Found, OrderSpec, Placement, Reject, Reply, SimAccount, SimOrder, header, respond,
};

const MARKET: &str = "gemini/spot";

fn fail(reason: &str, message: &str) -> Reply {
    respond("400 Bad Request", json!({ "result": "error", "reason": reason, "message": message }))
}

fn order_json(o: &SimOrder) -> Value {
    let live = matches!(o.status.as_str(), "NEW" | "PARTIALLY_FILLED");
    let remaining = if live { o.qty.as_str() } else { "0" };
    let options: Vec<&str> = match o.tif.as_str() {
        "GTX" => vec!["maker-or-cancel"],
        "IOC" => vec!["immediate-or-cancel"],
        "FOK" => vec!["fill-or-kill"],
        _ => vec![],
    };
    json!({
        "order_id": o.order_id.to_string(), "id": o.order_id.to_string(), "client_order_id": o.client_order_id,
        "symbol": o.symbol.to_ascii_lowercase(), "exchange": "gemini", "avg_execution_price": "0.00",
        "side": o.side.to_ascii_lowercase(), "type": "exchange limit", "timestamp": (o.time / 1000).to_string(),
        "timestampms": o.time, "is_live": live, "is_cancelled": o.status == "CANCELED", "is_hidden": false,
        "was_forced": false, "executed_amount": o.executed, "remaining_amount": remaining, "options": options,
        "price": o.price, "original_amount": o.qty
    })
}

/// Answers a signed `/v1/...` request.
pub(crate) fn handle(ex: &Exchange, path: &str, headers: &[(String, String)]) -> Reply {
    let (account, p) = match verify(ex, path, headers) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let s =
        |k: &str| p.get(k).and_then(|v| v.as_str().map(str::to_owned).or_else(|| v.as_u64().map(|n| n.to_string())));
    let lookup = |cancel: bool| {
        let by_id = s("order_id").and_then(|v| v.parse::<u64>().ok());
        let cid = s("client_order_id");
        ex.find_in(&account, MARKET, None, by_id, cid.as_deref(), cancel)
    };
    let missing = || fail("OrderNotFound", "Order not found");
    match path {
        "/v1/order/new" => place(ex, &account, &p),
        "/v1/order/status" => match lookup(false) {
            Found::Order(o) => respond("200 OK", order_json(&o)),
            _ => missing(),
        },
        "/v1/order/cancel" => match lookup(true) {
            Found::Cancelled(o) => {
                ex.cancelled_events(&account, &o, false);
                respond("200 OK", order_json(&o))
            }
            Found::NotCancellable => fail("InvalidOrder", "Order is not live"),
            _ => missing(),
        },
        "/v1/orders" => {
            let list: Vec<Value> = ex.open(&account, MARKET, None).iter().map(order_json).collect();
            respond("200 OK", Value::Array(list))
        }
        "/v1/balances" => respond(
            "200 OK",
            json!([
                { "type": "exchange", "currency": "USD", "amount": "100000", "available": "99000", "availableForWithdrawal": "99000" },
                { "type": "exchange", "currency": "BTC", "amount": "10", "available": "10", "availableForWithdrawal": "10" }
            ]),
        ),
        _ => endpoint_not_found(path),
    }
}

fn place(ex: &Exchange, account: &SimAccount, p: &Value) -> Reply {
    let s = |k: &str| p.get(k).and_then(Value::as_str).map(str::to_owned);
    let (Some(symbol), Some(side), Some(amount), Some(price)) = (s("symbol"), s("side"), s("amount"), s("price"))
    else {
        ex.count_received();
        return fail("MissingParameter", "symbol, side, amount and price are required");
    };
    if s("type").as_deref() != Some("exchange limit") {
        ex.count_received();
        return fail("InvalidOrderType", "Gemini takes exchange limit orders");
    }
    let option = p.get("options").and_then(Value::as_array).and_then(|o| o.first()).and_then(Value::as_str);
    let (kind, tif) = match option {
        Some("maker-or-cancel") => ("LIMIT_MAKER", "GTX"),
        Some("immediate-or-cancel") => ("LIMIT", "IOC"),
        Some("fill-or-kill") => ("LIMIT", "FOK"),
        _ => ("LIMIT", "GTC"),
    };
    // Gemini's symbols are lower case on the wire; the book keeps the simulator's spelling.
    let spec = OrderSpec {
        market: MARKET.into(),
        symbol: symbol.to_ascii_uppercase(),
        side: side.to_ascii_uppercase(),
        kind: kind.into(),
        qty: amount,
        price: Some(price),
        tif: tif.into(),
        cid: s("client_order_id"),
        reduce_only: false,
    };
    match ex.place(account, spec, false) {
        Placement::Lost | Placement::Placed { drop_reply: true, .. } => Reply::Drop,
        Placement::Limited { .. } => Reply::Respond {
            status: "429 Too Many Requests",
            headers: vec![("Retry-After".into(), "1".into())],
            body: json!({ "result": "error", "reason": "RateLimit", "message": "Requests were made too frequently" })
                .to_string(),
        },
        Placement::Rejected(r) => match r {
            Reject::Duplicate => fail("ClientOrderIdInUse", "client_order_id is in use by a live order"),
            Reject::Internal => respond(
                "500 Internal Server Error",
                json!({ "result": "error", "reason": "System", "message": "internal" }),
            ),
            _ => fail("InvalidQuantity", "invalid order"),
        },
        Placement::Placed { order, .. } => respond("200 OK", order_json(&order)),
    }
}

/// Gemini: `X-GEMINI-APIKEY`, `X-GEMINI-PAYLOAD` (base64 JSON with `request` and an
/// increasing `nonce`), `X-GEMINI-SIGNATURE` = hex HMAC-SHA384 over the payload header. The
/// account and the decoded payload, or Gemini's error reply.
fn verify(ex: &Exchange, path: &str, headers: &[(String, String)]) -> Result<(SimAccount, Value), Reply> {
    check(ex, path, headers).map_err(|(reason, msg)| {
        respond("400 Bad Request", json!({ "result": "error", "reason": reason, "message": msg }))
    })
}

/// Checks Gemini's signed headers for `path`: the account and the decoded payload, or the
/// venue's `reason` and message.
pub(super) fn check(
    ex: &Exchange,
    path: &str,
    headers: &[(String, String)],
) -> Result<(SimAccount, Value), (&'static str, &'static str)> {
    let fail = |reason: &'static str, msg: &'static str| Err((reason, msg));
    let Some(account) = header(headers, "X-GEMINI-APIKEY").and_then(|k| ex.account(k)) else {
        return fail("InvalidApiKey", "Invalid API key");
    };
    let payload = header(headers, "X-GEMINI-PAYLOAD").unwrap_or("");
    let want = GeminiSigner::new(&account.secret).sign_encoded(payload);
    if header(headers, "X-GEMINI-SIGNATURE") != Some(want.as_str()) {
        return fail("InvalidSignature", "InvalidSignature");
    }
    use base64::Engine;
    let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(payload) else {
        return fail("InvalidJson", "Payload is not base64");
    };
    let Ok(v) = serde_json::from_slice::<Value>(&raw) else { return fail("InvalidJson", "Payload is not JSON") };
    if v.get("request").and_then(Value::as_str) != Some(path) {
        return fail("InvalidRequest", "request does not match the path");
    }
    let nonce =
        v.get("nonce").and_then(|n| n.as_u64().or_else(|| n.as_str().and_then(|s| s.parse().ok()))).unwrap_or(0);
    if !ex.take_nonce(&account.api_key, nonce) {
        return fail("InvalidNonce", "Nonce must be increasing");
    }
    Ok((account.clone(), v))
}

/// The order-events frames of an order change (a JSON array of events): `accepted` and
/// `booked` for a new resting order, `fill` (with its trade) for a trade, `cancelled`.
pub(crate) fn order_events(o: &SimOrder, exec: &str, trade_id: u64, now: u64) -> Vec<String> {
    let v = order_json(o);
    let event = |kind: &str, extra: Value| {
        let mut e = json!({ "type": kind, "order_id": o.order_id.to_string(), "event_id": format!("{}{trade_id}", o.order_id),
            "client_order_id": o.client_order_id, "api_session": "mdbus-sim", "symbol": o.symbol.to_ascii_lowercase(),
            "side": o.side.to_ascii_lowercase(), "order_type": v["type"], "timestamp": (now / 1000).to_string(),
            "timestampms": now, "is_live": v["is_live"], "is_cancelled": v["is_cancelled"], "is_hidden": false,
            "avg_execution_price": v["avg_execution_price"], "executed_amount": v["executed_amount"],
            "original_amount": v["original_amount"], "remaining_amount": v["remaining_amount"], "price": v["price"] });
        if let (Value::Object(e), Value::Object(x)) = (&mut e, extra) {
            e.extend(x);
        }
        e
    };
    let list = match exec {
        "TRADE" => vec![event(
            "fill",
            json!({ "fill": { "trade_id": trade_id.to_string(), "liquidity": "Taker", "price": "65000",
                "amount": o.qty, "fee": "0.013", "fee_currency": "USD" } }),
        )],
        "CANCELED" => vec![event("cancelled", json!({ "reason": "Requested" }))],
        _ => vec![event("accepted", json!({})), event("booked", json!({}))],
    };
    vec![Value::Array(list).to_string()]
}

/// Gemini's answer to a path it does not have: HTTP 404 ("unknown API entry point") with the
/// error reason `EndpointNotFound`.
pub(super) fn endpoint_not_found(path: &str) -> Reply {
    let message = format!("API entry point `{path}` not found");
    respond("404 Not Found", json!({ "result": "error", "reason": "EndpointNotFound", "message": message }))
}
