//! Bybit's public REST market data in the simulator (`/v5/market/...`), in its `retCode` envelope.

use mdbus_sim::{
    dialect,
    market::Market,
    rest::{query, step},
};

/// Bybit's public market data (`/v5/market/...`) in its `{"retCode","retMsg","result"}`
/// envelope; an unknown symbol gets Bybit's code 10001.
pub(super) fn public(m: &Market, target: &str) -> String {
    let symbol = query(target, "symbol").unwrap_or("");
    let category = query(target, "category").unwrap_or("spot").to_owned();
    let limit = query(target, "limit").and_then(|l| l.parse().ok()).unwrap_or(50);
    let ms = dialect::now_ms();
    let ok = |result: serde_json::Value| {
        serde_json::json!({"retCode": 0, "retMsg": "OK", "result": result, "retExtInfo": {}, "time": ms}).to_string()
    };
    if target.starts_with("/v5/market/instruments-info") {
        let list: Vec<serde_json::Value> = m
            .books
            .iter()
            .map(|b| {
                let (base, quote) = b.symbol.split_at(b.symbol.len().saturating_sub(4));
                let (p, q) = m.digits(&b.symbol);
                let lot = if category == "linear" {
                    serde_json::json!({"qtyStep": step(q), "minOrderQty": step(q), "minNotionalValue": "5"})
                } else {
                    serde_json::json!({"basePrecision": step(q), "minOrderQty": step(q), "minOrderAmt": "5"})
                };
                serde_json::json!({"symbol": b.symbol, "baseCoin": base, "quoteCoin": quote, "status": "Trading",
                    "lotSizeFilter": lot, "priceFilter": {"tickSize": step(p)}})
            })
            .collect();
        return ok(serde_json::json!({"category": category, "list": list}));
    }
    let Some(b) = m.books.iter().find(|b| b.symbol == symbol) else {
        return serde_json::json!({"retCode": 10001, "retMsg": "Not supported symbols", "result": {}, "retExtInfo": {}, "time": ms})
            .to_string();
    };
    let lv = |side: &[(i64, i64)]| -> Vec<serde_json::Value> {
        side.iter().map(|(p, q)| serde_json::json!([dialect::px(*p), dialect::qty(*q)])).collect()
    };
    if target.starts_with("/v5/market/tickers") {
        let (bids, asks) = b.sides(1);
        let ((bp, bq), (ap, aq)) = (bids.first().copied().unwrap_or((0, 0)), asks.first().copied().unwrap_or((0, 0)));
        return ok(serde_json::json!({"category": category, "list": [{"symbol": symbol,
            "bid1Price": dialect::px(bp), "bid1Size": dialect::qty(bq), "ask1Price": dialect::px(ap), "ask1Size": dialect::qty(aq)}]}));
    }
    if target.starts_with("/v5/market/orderbook") {
        let (bids, asks) = b.sides(limit);
        return ok(
            serde_json::json!({"s": symbol, "b": lv(&bids), "a": lv(&asks), "ts": ms, "u": b.last_id, "seq": b.last_id}),
        );
    }
    if target.starts_with("/v5/market/recent-trade") {
        let all = m.trades_of(symbol).unwrap_or_default();
        let list: Vec<serde_json::Value> = all
            .iter()
            .rev()
            .take(limit)
            .map(|t| {
                serde_json::json!({"execId": t.id.to_string(), "symbol": symbol, "price": dialect::px(t.price),
                    "size": dialect::qty(t.qty), "side": if t.buy { "Buy" } else { "Sell" }, "time": t.ms.to_string(),
                    "isBlockTrade": false})
            })
            .collect();
        return ok(serde_json::json!({"category": category, "list": list}));
    }
    if target.starts_with("/v5/market/kline") {
        let span = match query(target, "interval").unwrap_or("1") {
            "D" => 86_400_000,
            "W" => 7 * 86_400_000,
            m => m.parse::<u64>().unwrap_or(1) * 60_000,
        };
        let list: Vec<serde_json::Value> = m
            .candles(symbol, span, limit)
            .unwrap_or_default()
            .iter()
            .rev()
            .map(|(start, k)| {
                serde_json::json!([
                    start.to_string(),
                    dialect::px(k.o),
                    dialect::px(k.h),
                    dialect::px(k.l),
                    dialect::px(k.c),
                    dialect::qty(k.v),
                    mdbus_schemas::Decimal::new(k.qv, -7).to_string()
                ])
            })
            .collect();
        return ok(serde_json::json!({"category": category, "symbol": symbol, "list": list}));
    }
    serde_json::json!({"retCode": 10404, "retMsg": "unknown endpoint", "result": {}, "retExtInfo": {}, "time": ms})
        .to_string()
}
