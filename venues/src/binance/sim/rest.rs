//! Binance's public REST market data in the simulator: exchange info, depth snapshots, book
//! tickers, recent trades and klines, spot (`/api/v3`) and USD-M (`/fapi/v1`).

use mdbus_sim::{
    dialect::{self, levels},
    market::Market,
    rest::step,
};

/// Binance's REST snapshot of `symbol`.
pub(super) fn snapshot(m: &Market, symbol: &str, limit: usize) -> Option<String> {
    let b = m.books.iter().find(|b| b.symbol.eq_ignore_ascii_case(symbol))?;
    let (bids, asks) = b.sides(limit);
    Some(format!(r#"{{"lastUpdateId":{},"bids":[{}],"asks":[{}]}}"#, b.last_id, levels(&bids), levels(&asks)))
}

/// Binance's `exchangeInfo`: every symbol with its price and lot filters (ticks of 0.01,
/// lots of 0.00001).
pub(super) fn exchange_info(m: &Market, usdm: bool) -> String {
    let symbols: Vec<serde_json::Value> = m
        .books
        .iter()
        .map(|b| {
            let (base, quote) = b.symbol.split_at(b.symbol.len().saturating_sub(4));
            let (p, q) = m.digits(&b.symbol);
            // Binance pads its steps to eight decimals.
            let pad = |d: u8| if d == 0 { "1.00000000".to_owned() } else { format!("{:0<10}", step(d)) };
            let (tick, lot) = (pad(p), pad(q));
            let notional = if usdm {
                serde_json::json!({"filterType": "MIN_NOTIONAL", "notional": "5"})
            } else {
                serde_json::json!({"filterType": "NOTIONAL", "minNotional": "5.00000000", "applyMinToMarket": true})
            };
            let status = if usdm { "contractStatus" } else { "status" };
            serde_json::json!({
                "symbol": b.symbol, status: "TRADING", "baseAsset": base, "quoteAsset": quote,
                "filters": [
                    {"filterType": "PRICE_FILTER", "minPrice": tick, "maxPrice": "1000000.00000000", "tickSize": tick},
                    {"filterType": "LOT_SIZE", "minQty": lot, "maxQty": "9000.00000000", "stepSize": lot},
                    notional,
                ],
            })
        })
        .collect();
    serde_json::json!({"timezone": "UTC", "serverTime": dialect::now_ms(), "symbols": symbols}).to_string()
}

/// Binance's book ticker of `symbol`.
pub(super) fn book_ticker(m: &Market, symbol: &str) -> Option<String> {
    let b = m.books.iter().find(|b| b.symbol == symbol)?;
    let (bids, asks) = b.sides(1);
    let ((bp, bq), (ap, aq)) = (bids.first().copied().unwrap_or((0, 0)), asks.first().copied().unwrap_or((0, 0)));
    Some(
        serde_json::json!({
            "symbol": symbol, "bidPrice": dialect::px(bp), "bidQty": dialect::qty(bq),
            "askPrice": dialect::px(ap), "askQty": dialect::qty(aq), "lastUpdateId": b.last_id, "time": dialect::now_ms(),
        })
        .to_string(),
    )
}

/// Binance's recent trades of `symbol`.
pub(super) fn recent_trades(m: &Market, symbol: &str, limit: usize) -> Option<String> {
    let all = m.trades_of(symbol)?;
    let list: Vec<serde_json::Value> = all[all.len().saturating_sub(limit)..]
        .iter()
        .map(|t| {
            serde_json::json!({"id": t.id, "price": dialect::px(t.price), "qty": dialect::qty(t.qty),
                "quoteQty": "0", "time": t.ms, "isBuyerMaker": !t.buy, "isBestMatch": true})
        })
        .collect();
    Some(serde_json::Value::Array(list).to_string())
}

/// Binance's klines of `symbol` at `interval`.
pub(super) fn klines(m: &Market, symbol: &str, interval: &str, limit: usize) -> Option<String> {
    let span = mdbus_sdk::market::interval_ms(interval)?;
    let list: Vec<serde_json::Value> = m
        .candles(symbol, span, limit)?
        .iter()
        .map(|(start, k)| {
            serde_json::json!([
                start,
                dialect::px(k.o),
                dialect::px(k.h),
                dialect::px(k.l),
                dialect::px(k.c),
                dialect::qty(k.v),
                start + span - 1,
                mdbus_schemas::Decimal::new(k.qv, -7).to_string(),
                k.n,
                "0",
                "0",
                "0"
            ])
        })
        .collect();
    Some(serde_json::Value::Array(list).to_string())
}
