//! OKX public REST market data in the simulator, in its `{"code","msg","data"}` envelope.

use mdbus_sim::{
    dialect::{self, Book},
    market::Market,
    rest::{query, step},
};

/// OKX's public market data (`/api/v5/public/instruments`, `/api/v5/market/...`), in its
/// `{"code","msg","data"}` envelope; an unknown instrument gets OKX's code 51001.
pub(super) fn public(m: &Market, target: &str) -> String {
    let inst = query(target, "instId").unwrap_or("");
    let limit = query(target, "limit").or_else(|| query(target, "sz")).and_then(|l| l.parse().ok()).unwrap_or(100);
    let ok = |data: serde_json::Value| serde_json::json!({"code": "0", "msg": "", "data": data}).to_string();
    let ms = dialect::now_ms().to_string();
    // The simulator lists spot instruments only: any other type asked for has none.
    let spot = query(target, "instType").is_none_or(|t| t.eq_ignore_ascii_case("SPOT"));
    if target.starts_with("/api/v5/public/instruments") {
        let data: Vec<serde_json::Value> = m
            .books
            .iter()
            .filter(|_| spot)
            .map(|b| {
                let (base, quote) = b.symbol.split_once('-').unwrap_or((&b.symbol, ""));
                let (p, q) = m.digits(&b.symbol);
                serde_json::json!({"instType": "SPOT", "instId": b.symbol, "uly": "", "instFamily": "",
                    "baseCcy": base, "quoteCcy": quote, "settleCcy": "", "ctVal": "", "ctMult": "", "ctValCcy": "",
                    "optType": "", "stk": "", "listTime": "1606468572000", "expTime": "", "lever": "10",
                    "tickSz": step(p), "lotSz": step(q), "minSz": step(q), "ctType": "", "alias": "",
                    "state": "live", "maxLmtSz": "9999999999", "maxMktSz": "1000000", "maxLmtAmt": "20000000",
                    "maxMktAmt": "1000000", "ruleType": "normal"})
            })
            .collect();
        return ok(serde_json::Value::Array(data));
    }
    let ticker = |b: &Book| {
        let (bids, asks) = b.sides(1);
        let ((bp, bq), (ap, aq)) = (bids.first().copied().unwrap_or((0, 0)), asks.first().copied().unwrap_or((0, 0)));
        let mut t = serde_json::json!({"instType": "SPOT", "instId": b.symbol, "bidPx": dialect::px(bp),
            "bidSz": dialect::qty(bq), "askPx": dialect::px(ap), "askSz": dialect::qty(aq), "ts": ms});
        // The 24-hour figures, over the simulator's trade window.
        if let Some(d) = m.day(&b.symbol) {
            let (px, qty) = (dialect::px, dialect::qty);
            for (k, v) in [
                ("last", px(d.last)),
                ("lastSz", qty(d.last_qty)),
                ("open24h", px(d.open)),
                ("high24h", px(d.high)),
                ("low24h", px(d.low)),
                ("vol24h", qty(d.volume)),
                ("volCcy24h", d.quote_volume_text()),
                ("sodUtc0", px(d.open)),
                ("sodUtc8", px(d.open)),
            ] {
                t[k] = serde_json::Value::String(v);
            }
        }
        t
    };
    if target.starts_with("/api/v5/market/tickers") {
        // Every instrument of the type asked for (the simulator's are all spot).
        let data: Vec<serde_json::Value> = m.books.iter().filter(|_| spot).map(ticker).collect();
        return ok(serde_json::Value::Array(data));
    }
    let Some(b) = m.books.iter().find(|b| b.symbol == inst) else {
        return serde_json::json!({"code": "51001", "msg": "Instrument ID does not exist", "data": []}).to_string();
    };
    let lv = |side: &[(i64, i64)]| -> Vec<serde_json::Value> {
        side.iter().map(|(p, q)| serde_json::json!([dialect::px(*p), dialect::qty(*q), "0", "1"])).collect()
    };
    if target.starts_with("/api/v5/market/ticker") {
        return ok(serde_json::json!([ticker(b)]));
    }
    if target.starts_with("/api/v5/market/books") {
        let (bids, asks) = b.sides(limit);
        return ok(serde_json::json!([{"asks": lv(&asks), "bids": lv(&bids), "ts": ms, "seqId": b.last_id}]));
    }
    if target.starts_with("/api/v5/market/trades") {
        let all = m.trades_of(inst).unwrap_or_default();
        let data: Vec<serde_json::Value> = all
            .iter()
            .rev()
            .take(limit)
            .map(|t| {
                serde_json::json!({"instId": inst, "side": if t.buy { "buy" } else { "sell" }, "sz": dialect::qty(t.qty),
                    "px": dialect::px(t.price), "tradeId": t.id.to_string(), "ts": t.ms.to_string()})
            })
            .collect();
        return ok(serde_json::Value::Array(data));
    }
    if target.starts_with("/api/v5/market/candles") {
        let bar = query(target, "bar").unwrap_or("1m");
        // OKX spells hours, days and weeks in capitals (`1H`); minutes in lower case.
        let span = mdbus_sdk::market::interval_ms(&bar.replace('H', "h").replace('D', "d").replace('W', "w"))
            .unwrap_or(60_000);
        let data: Vec<serde_json::Value> = m
            .candles(inst, span, limit)
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
                    "0",
                    mdbus_schemas::Decimal::new(k.qv, -7).to_string(),
                    "1"
                ])
            })
            .collect();
        return ok(serde_json::Value::Array(data));
    }
    serde_json::json!({"code": "50000", "msg": "unknown endpoint", "data": []}).to_string()
}
