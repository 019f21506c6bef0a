//! Gate.io's public REST market data in the simulator: currency pairs, tickers, trades, candlesticks
//! and the order-book snapshot.

use mdbus_sim::{
    dialect::{self, levels},
    market::Market,
    rest::{Answer, json, query, step},
};

/// Gate.io's REST snapshot of `pair` (`with_id=true`).
pub(super) fn snapshot(m: &Market, pair: &str, limit: usize) -> Option<String> {
    let b = m.books.iter().find(|b| b.symbol.eq_ignore_ascii_case(pair))?;
    let (bids, asks) = b.sides(limit);
    let ms = dialect::now_ms();
    Some(format!(
        r#"{{"id":{},"current":{ms},"update":{ms},"asks":[{}],"bids":[{}]}}"#,
        b.last_id,
        levels(&asks),
        levels(&bids)
    ))
}

/// Gate.io v4: `/api/v4/spot/currency_pairs`, `tickers`, `trades`, `candlesticks` (the order
/// book is [`Market::gate_snapshot`]).
pub(super) fn public(m: &Market, target: &str) -> Answer {
    if target.starts_with("/api/v4/spot/currency_pairs") {
        // `/currency_pairs/{pair}` is one pair; `/currency_pairs` all of them.
        let one = target
            .split('?')
            .next()
            .and_then(|p| p.strip_prefix("/api/v4/spot/currency_pairs/"))
            .filter(|p| !p.is_empty());
        let list: Vec<serde_json::Value> = m
            .books
            .iter()
            .filter(|b| one.is_none_or(|p| b.symbol == p))
            .map(|b| {
                let (p, q) = m.digits(&b.symbol);
                let (base, quote) = b.symbol.split_once('_').unwrap_or((&b.symbol, ""));
                serde_json::json!({"id": b.symbol, "base": base, "quote": quote, "fee": "0.2",
                    "min_base_amount": step(q), "min_quote_amount": "3", "amount_precision": q, "precision": p,
                    "trade_status": "tradable", "sell_start": 0, "buy_start": 0})
            })
            .collect();
        return match (one, list.len()) {
            (None, _) => json(serde_json::Value::Array(list)),
            (Some(_), 1) => json(list.into_iter().next().unwrap_or_default()),
            (Some(p), _) => (
                "400 Bad Request",
                serde_json::json!({"label": "INVALID_CURRENCY_PAIR", "message": format!("Invalid currency pair {p}")})
                    .to_string(),
            ),
        };
    }
    if target.starts_with("/api/v4/spot/tickers") {
        // One pair, or every pair when none is named.
        let pair = query(target, "currency_pair");
        let list: Vec<serde_json::Value> =
            m.books.iter().filter(|b| pair.is_none_or(|p| b.symbol == p)).map(|b| ticker(m, b)).collect();
        if let (Some(p), true) = (pair, list.is_empty()) {
            return (
                "400 Bad Request",
                serde_json::json!({"label": "INVALID_CURRENCY_PAIR", "message": format!("Invalid currency pair {p}")})
                    .to_string(),
            );
        }
        return json(serde_json::Value::Array(list));
    }
    if target.starts_with("/api/v4/margin/currency_pairs") {
        let list: Vec<serde_json::Value> = m
            .books
            .iter()
            .map(|b| {
                let (base, quote) = b.symbol.split_once('_').unwrap_or((&b.symbol, ""));
                serde_json::json!({"id": b.symbol, "base": base, "quote": quote, "leverage": 10,
                    "min_base_amount": "0.001", "min_quote_amount": "1.00", "max_quote_amount": "1000000", "status": 1})
            })
            .collect();
        return json(serde_json::Value::Array(list));
    }
    if target.starts_with("/api/v4/spot/currencies") {
        let mut seen = std::collections::BTreeSet::new();
        for b in &m.books {
            let (base, quote) = b.symbol.split_once('_').unwrap_or((&b.symbol, ""));
            seen.insert(base.to_owned());
            seen.insert(quote.to_owned());
        }
        let list: Vec<serde_json::Value> = seen
            .iter()
            .map(|c| {
                serde_json::json!({"currency": c, "name": c, "delisted": false, "withdraw_disabled": false,
                    "withdraw_delayed": false, "deposit_disabled": false, "trade_disabled": false, "fixed_rate": "",
                    "chain": c, "chains": [{"name": c, "addr": "", "withdraw_disabled": false,
                        "withdraw_delayed": false, "deposit_disabled": false}]})
            })
            .collect();
        return json(serde_json::Value::Array(list));
    }
    // The simulator's Gate.io trades spot (and margin) only: no perpetual, delivery or option
    // contracts are listed.
    if ["/api/v4/futures/", "/api/v4/delivery/", "/api/v4/options/underlyings"].iter().any(|p| target.starts_with(p)) {
        return json(serde_json::json!([]));
    }
    let pair = query(target, "currency_pair").unwrap_or("");
    if m.book(pair).is_none() {
        return (
            "400 Bad Request",
            serde_json::json!({"label": "INVALID_CURRENCY_PAIR", "message": format!("Invalid currency pair {pair}")})
                .to_string(),
        );
    }
    let limit = query(target, "limit").and_then(|s| s.parse().ok()).unwrap_or(100);
    if target.starts_with("/api/v4/spot/trades") {
        let list: Vec<serde_json::Value> = m
            .trades_of(pair)
            .unwrap_or_default()
            .iter()
            .rev()
            .take(limit)
            .map(|t| {
                serde_json::json!({"id": t.id.to_string(), "create_time": (t.ms / 1000).to_string(),
                    "create_time_ms": format!("{}.000", t.ms), "currency_pair": pair,
                    "side": if t.buy { "buy" } else { "sell" }, "role": "taker",
                    "amount": dialect::qty(t.qty), "price": dialect::px(t.price)})
            })
            .collect();
        return json(serde_json::Value::Array(list));
    }
    if target.starts_with("/api/v4/spot/candlesticks") {
        let span = match query(target, "interval").unwrap_or("30m") {
            "10s" => 10_000,
            "7d" => 7 * 86_400_000,
            i => match mdbus_sdk::market::interval_ms(i) {
                Some(s) => s,
                None => {
                    return (
                        "400 Bad Request",
                        r#"{"label":"INVALID_PARAM_VALUE","message":"invalid interval"}"#.to_owned(),
                    );
                }
            },
        };
        let now = dialect::now_ms();
        let list: Vec<serde_json::Value> = m
            .candles(pair, span, limit)
            .unwrap_or_default()
            .iter()
            .map(|(start, k)| {
                serde_json::json!([
                    (start / 1000).to_string(),
                    mdbus_schemas::Decimal::new(k.qv, -7).to_string(),
                    dialect::px(k.c),
                    dialect::px(k.h),
                    dialect::px(k.l),
                    dialect::px(k.o),
                    dialect::qty(k.v),
                    (start + span <= now).to_string()
                ])
            })
            .collect();
        return json(serde_json::Value::Array(list));
    }
    ("404 Not Found", r#"{"label":"NOT_FOUND","message":"not found"}"#.to_owned())
}

/// One ticker of `/api/v4/spot/tickers`: the best bid and offer and the 24-hour figures over
/// the simulator's trade window.
fn ticker(m: &Market, b: &mdbus_sim::dialect::Book) -> serde_json::Value {
    let (px, qty) = (dialect::px, dialect::qty);
    let (bids, asks) = b.sides(1);
    let ((bp, bq), (ap, aq)) = (bids.first().copied().unwrap_or((0, 0)), asks.first().copied().unwrap_or((0, 0)));
    let mut t = serde_json::json!({"currency_pair": b.symbol, "last": px(bp), "lowest_ask": px(ap),
        "lowest_size": qty(aq), "highest_bid": px(bp), "highest_size": qty(bq), "change_percentage": "0",
        "base_volume": "0", "quote_volume": "0", "high_24h": px(ap), "low_24h": px(bp)});
    if let Some(d) = m.day(&b.symbol) {
        for (k, v) in [
            ("last", px(d.last)),
            ("change_percentage", format!("{:.2}", d.change() as f64 * 100.0 / d.open.max(1) as f64)),
            ("base_volume", qty(d.volume)),
            ("quote_volume", d.quote_volume_text()),
            ("high_24h", px(d.high)),
            ("low_24h", px(d.low)),
        ] {
            t[k] = serde_json::Value::String(v);
        }
    }
    t
}
