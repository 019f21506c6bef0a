//! Bybit's public REST market data in the simulator (`/v5/market/...`), in its `retCode` envelope.

use mdbus_sim::{
    dialect::{self, Book},
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
    // The simulator's books are listed as spot pairs and as USDT-settled perpetuals; it has
    // no inverse contracts and no options.
    let listed = matches!(category.as_str(), "spot" | "linear");
    if target.starts_with("/v5/market/instruments-info") {
        let list: Vec<serde_json::Value> = m
            .books
            .iter()
            .filter(|b| listed && (symbol.is_empty() || b.symbol == symbol))
            .map(|b| instrument(m, &b.symbol, &category))
            .collect();
        return ok(serde_json::json!({"category": category, "list": list, "nextPageCursor": ""}));
    }
    if target.starts_with("/v5/market/tickers") {
        let list: Vec<serde_json::Value> = m
            .books
            .iter()
            .filter(|b| listed && (symbol.is_empty() || b.symbol == symbol))
            .map(|b| ticker(m, b, &category))
            .collect();
        if !symbol.is_empty() && list.is_empty() {
            return serde_json::json!({"retCode": 10001, "retMsg": "Not supported symbols", "result": {}, "retExtInfo": {}, "time": ms})
                .to_string();
        }
        return ok(serde_json::json!({"category": category, "list": list}));
    }
    let Some(b) = m.books.iter().find(|b| b.symbol == symbol) else {
        return serde_json::json!({"retCode": 10001, "retMsg": "Not supported symbols", "result": {}, "retExtInfo": {}, "time": ms})
            .to_string();
    };
    let lv = |side: &[(i64, i64)]| -> Vec<serde_json::Value> {
        side.iter().map(|(p, q)| serde_json::json!([dialect::px(*p), dialect::qty(*q)])).collect()
    };
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

/// One instrument of `/v5/market/instruments-info`, with every field of Bybit's spot or linear
/// shape.
fn instrument(m: &Market, symbol: &str, category: &str) -> serde_json::Value {
    let (base, quote) = symbol.split_at(symbol.len().saturating_sub(4));
    let (p, q) = m.digits(symbol);
    if category == "linear" {
        return serde_json::json!({"symbol": symbol, "contractType": "LinearPerpetual", "status": "Trading",
            "baseCoin": base, "quoteCoin": quote, "launchTime": "1584230400000", "deliveryTime": "0",
            "deliveryFeeRate": "", "priceScale": p.to_string(),
            "leverageFilter": {"minLeverage": "1", "maxLeverage": "100.00", "leverageStep": "0.01"},
            "priceFilter": {"minPrice": step(p), "maxPrice": "1999999.80", "tickSize": step(p)},
            "lotSizeFilter": {"maxOrderQty": "1190.000", "minOrderQty": step(q), "qtyStep": step(q),
                "postOnlyMaxOrderQty": "1190.000", "maxMktOrderQty": "500.000", "minNotionalValue": "5"},
            "unifiedMarginTrade": true, "fundingInterval": 480, "settleCoin": quote, "copyTrading": "both",
            "upperFundingRate": "0.00375", "lowerFundingRate": "-0.00375", "isPreListing": false,
            "preListingInfo": null, "riskParameters": {"priceLimitRatioX": "0.01", "priceLimitRatioY": "0.02"},
            "displayName": ""});
    }
    serde_json::json!({"symbol": symbol, "baseCoin": base, "quoteCoin": quote, "innovation": "0",
        "status": "Trading", "marginTrading": "utaOnly", "stTag": "0",
        "lotSizeFilter": {"basePrecision": step(q), "quotePrecision": "0.00000001", "minOrderQty": step(q),
            "maxOrderQty": "71.73956243", "minOrderAmt": "5", "maxOrderAmt": "2000000"},
        "priceFilter": {"tickSize": step(p)},
        "riskParameters": {"priceLimitRatioX": "0.05", "priceLimitRatioY": "0.05"}})
}

/// One ticker of `/v5/market/tickers`: the best bid and offer and the 24-hour figures, over
/// the simulator's trade window.
fn ticker(m: &Market, b: &Book, category: &str) -> serde_json::Value {
    let (px, qty) = (dialect::px, dialect::qty);
    let (bids, asks) = b.sides(1);
    let ((bp, bq), (ap, aq)) = (bids.first().copied().unwrap_or((0, 0)), asks.first().copied().unwrap_or((0, 0)));
    let d = m.day(&b.symbol);
    let (last, open, high, low, volume, turnover) = d.map_or_else(
        || (px((bp + ap) / 2), px((bp + ap) / 2), px(ap), px(bp), qty(0), "0".to_owned()),
        |d| (px(d.last), px(d.open), px(d.high), px(d.low), qty(d.volume), d.quote_volume_text()),
    );
    // The change as a fraction (Bybit's `price24hPcnt`: 0.01 is 1 %).
    let fraction = d.map_or_else(|| "0".to_owned(), |d| format!("{:.6}", d.change() as f64 / d.open.max(1) as f64));
    let mut t = serde_json::json!({"symbol": b.symbol, "bid1Price": px(bp), "bid1Size": qty(bq),
        "ask1Price": px(ap), "ask1Size": qty(aq), "lastPrice": last, "prevPrice24h": open,
        "price24hPcnt": fraction, "highPrice24h": high, "lowPrice24h": low, "turnover24h": turnover,
        "volume24h": volume});
    if category == "linear" {
        for (k, v) in [
            ("indexPrice", t["lastPrice"].clone()),
            ("markPrice", t["lastPrice"].clone()),
            ("prevPrice1h", t["prevPrice24h"].clone()),
            ("openInterest", serde_json::json!("0")),
            ("openInterestValue", serde_json::json!("0")),
            ("fundingRate", serde_json::json!("0.0001")),
            ("nextFundingTime", serde_json::json!(((dialect::now_ms() / 28_800_000 + 1) * 28_800_000).to_string())),
            ("predictedDeliveryPrice", serde_json::json!("")),
            ("basisRate", serde_json::json!("")),
            ("deliveryFeeRate", serde_json::json!("")),
            ("deliveryTime", serde_json::json!("0")),
        ] {
            t[k] = v;
        }
    } else {
        t["usdIndexPrice"] = t["lastPrice"].clone();
    }
    t
}
