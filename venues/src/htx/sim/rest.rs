//! HTX's public REST market data in the simulator: symbols, merged ticker, depth, trades, klines.

use mdbus_sim::{
    dialect,
    market::Market,
    rest::{Answer, json, number, query},
};

/// HTX: `/v1/common/symbols`, `/market/detail/merged`, `/market/depth`,
/// `/market/history/trade`, `/market/history/kline`.
pub(super) fn public(m: &Market, target: &str) -> Answer {
    let ms = dialect::now_ms();
    if target.starts_with("/v1/common/symbols") {
        let data: Vec<serde_json::Value> = m
            .books
            .iter()
            .map(|b| {
                let (p, q) = m.digits(&b.symbol);
                let (base, quote) = b.symbol.split_at(b.symbol.len().saturating_sub(4));
                serde_json::json!({"base-currency": base, "quote-currency": quote, "price-precision": p,
                    "amount-precision": q, "symbol-partition": "main", "symbol": b.symbol, "state": "online",
                    "value-precision": 8, "min-order-amt": 0.0001, "min-order-value": 5})
            })
            .collect();
        return json(serde_json::json!({"status": "ok", "data": data}));
    }
    let symbol = query(target, "symbol").unwrap_or("");
    let Some(b) = m.books.iter().find(|b| b.symbol == symbol) else {
        return json(serde_json::json!({"status": "error", "err-code": "invalid-parameter",
            "err-msg": "invalid symbol", "data": null}));
    };
    let size = query(target, "size").and_then(|s| s.parse().ok()).unwrap_or(1);
    let ch = |what: &str| format!("market.{symbol}.{what}");
    if target.starts_with("/market/detail/merged") {
        let (bids, asks) = b.sides(1);
        let ((bp, bq), (ap, aq)) = (bids.first().copied().unwrap_or((0, 0)), asks.first().copied().unwrap_or((0, 0)));
        let num = |s: String| serde_json::Value::Number(s.parse().unwrap_or(serde_json::Number::from(0)));
        return json(serde_json::json!({"ch": ch("detail.merged"), "status": "ok", "ts": ms, "tick": {
            "id": b.last_id, "version": b.last_id, "bid": [num(dialect::px(bp)), num(dialect::qty(bq))],
            "ask": [num(dialect::px(ap)), num(dialect::qty(aq))]}}));
    }
    if target.starts_with("/market/depth") {
        let depth = query(target, "depth").and_then(|s| s.parse().ok()).unwrap_or(150);
        let (bids, asks) = b.sides(depth);
        let lv = |side: &[(i64, i64)]| -> Vec<serde_json::Value> {
            side.iter().map(|(p, q)| serde_json::json!([number(&dialect::px(*p)), number(&dialect::qty(*q))])).collect()
        };
        return json(serde_json::json!({"ch": ch("depth.step0"), "status": "ok", "ts": ms,
            "tick": {"ts": ms, "version": b.last_id, "bids": lv(&bids), "asks": lv(&asks)}}));
    }
    if target.starts_with("/market/history/trade") {
        // One group per trade, newest first.
        let data: Vec<serde_json::Value> = m
            .trades_of(symbol)
            .unwrap_or_default()
            .iter()
            .rev()
            .take(size)
            .map(|t| {
                serde_json::json!({"id": t.id, "ts": t.ms, "data": [{"id": t.id, "ts": t.ms, "trade-id": t.id,
                    "amount": number(&dialect::qty(t.qty)), "price": number(&dialect::px(t.price)),
                    "direction": if t.buy { "buy" } else { "sell" }}]})
            })
            .collect();
        return json(serde_json::json!({"ch": ch("trade.detail"), "status": "ok", "ts": ms, "data": data}));
    }
    if target.starts_with("/market/history/kline") {
        let span = match query(target, "period").unwrap_or("1min") {
            "1min" => 60_000,
            "5min" => 300_000,
            "15min" => 900_000,
            "30min" => 1_800_000,
            "60min" => 3_600_000,
            "4hour" => 14_400_000,
            "1day" => 86_400_000,
            _ => {
                return json(serde_json::json!({"status": "error", "err-code": "invalid-parameter",
                    "err-msg": "invalid period", "data": null}));
            }
        };
        let data: Vec<serde_json::Value> = m
            .candles(symbol, span, size)
            .unwrap_or_default()
            .iter()
            .rev()
            .map(|(start, k)| {
                serde_json::json!({"id": start / 1000, "open": number(&dialect::px(k.o)),
                    "close": number(&dialect::px(k.c)), "low": number(&dialect::px(k.l)),
                    "high": number(&dialect::px(k.h)), "amount": number(&dialect::qty(k.v)),
                    "vol": number(&mdbus_schemas::Decimal::new(k.qv, -7).to_string()), "count": k.n})
            })
            .collect();
        return json(serde_json::json!({"ch": ch("kline"), "status": "ok", "ts": ms, "data": data}));
    }
    ("404 Not Found", r#"{"status":"error","err-code":"bad-request","err-msg":"not found"}"#.to_owned())
}
