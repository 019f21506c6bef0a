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
            let filters = serde_json::json!([
                {"filterType": "PRICE_FILTER", "minPrice": tick, "maxPrice": "1000000.00000000", "tickSize": tick},
                {"filterType": "LOT_SIZE", "minQty": lot, "maxQty": "9000.00000000", "stepSize": lot},
                notional,
            ]);
            if usdm {
                // USD-M's fields (`exchangeInfo` of `/fapi/v1`): a perpetual, margined in the quote.
                serde_json::json!({
                    "symbol": b.symbol, "pair": b.symbol, "contractType": "PERPETUAL", "deliveryDate": 4_133_404_800_000_u64,
                    "onboardDate": 1_569_398_400_000_u64, "status": "TRADING", "maintMarginPercent": "2.5000",
                    "requiredMarginPercent": "5.0000", "baseAsset": base, "quoteAsset": quote, "marginAsset": quote,
                    "pricePrecision": p, "quantityPrecision": q, "baseAssetPrecision": 8, "quotePrecision": 8,
                    "underlyingType": "COIN", "underlyingSubType": [], "settlePlan": 0, "triggerProtect": "0.0500",
                    "liquidationFee": "0.012500", "marketTakeBound": "0.05", "filters": filters,
                    "orderTypes": ["LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"],
                    "timeInForce": ["GTC", "IOC", "FOK", "GTX"],
                })
            } else {
                // Spot's fields (`exchangeInfo` of `/api/v3`).
                serde_json::json!({
                    "symbol": b.symbol, "status": "TRADING", "baseAsset": base, "baseAssetPrecision": 8,
                    "quoteAsset": quote, "quotePrecision": 8, "quoteAssetPrecision": 8, "baseCommissionPrecision": 8,
                    "quoteCommissionPrecision": 8,
                    "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"],
                    "icebergAllowed": true, "ocoAllowed": true, "otoAllowed": true, "quoteOrderQtyMarketAllowed": true,
                    "allowTrailingStop": true, "cancelReplaceAllowed": true, "amendAllowed": false,
                    "isSpotTradingAllowed": true, "isMarginTradingAllowed": true, "filters": filters, "permissions": [],
                    "permissionSets": [["SPOT", "MARGIN"]], "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
                    "allowedSelfTradePreventionModes": ["EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"],
                })
            }
        })
        .collect();
    let limits = serde_json::json!([
        {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000},
        {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
    ]);
    serde_json::json!({"timezone": "UTC", "serverTime": dialect::now_ms(), "rateLimits": limits, "exchangeFilters": [], "symbols": symbols})
        .to_string()
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

/// Binance's 24-hour ticker of `symbol` (`/api/v3/ticker/24hr`, `/fapi/v1/ticker/24hr`), over the
/// simulator's trade window.
pub(super) fn ticker_24hr(m: &Market, symbol: &str, usdm: bool) -> Option<serde_json::Value> {
    let d = m.day(symbol)?;
    let (bids, asks) = m.book(symbol)?.sides(1);
    let ((bp, bq), (ap, aq)) = (bids.first().copied().unwrap_or((0, 0)), asks.first().copied().unwrap_or((0, 0)));
    let px = dialect::px;
    let avg = if d.volume > 0 { px((d.quote_volume / i128::from(d.volume)) as i64) } else { px(d.last) };
    let mut v = serde_json::json!({
        "symbol": symbol, "priceChange": px(d.change()), "priceChangePercent": d.change_percent(),
        "weightedAvgPrice": avg, "lastPrice": px(d.last), "lastQty": dialect::qty(d.last_qty),
        "openPrice": px(d.open), "highPrice": px(d.high), "lowPrice": px(d.low), "volume": dialect::qty(d.volume),
        "quoteVolume": d.quote_volume_text(), "openTime": d.open_ms, "closeTime": d.close_ms,
        "firstId": d.first_id, "lastId": d.last_id, "count": d.count,
    });
    if !usdm {
        v["prevClosePrice"] = serde_json::json!(px(d.open));
        v["bidPrice"] = serde_json::json!(px(bp));
        v["bidQty"] = serde_json::json!(dialect::qty(bq));
        v["askPrice"] = serde_json::json!(px(ap));
        v["askQty"] = serde_json::json!(dialect::qty(aq));
    }
    Some(v)
}

/// Binance's aggregate trades of `symbol` (`/api/v3/aggTrades`, `/fapi/v1/aggTrades`): each
/// simulated trade is its own aggregate.
pub(super) fn agg_trades(m: &Market, symbol: &str, limit: usize, usdm: bool) -> Option<String> {
    let all = m.trades_of(symbol)?;
    let list: Vec<serde_json::Value> = all[all.len().saturating_sub(limit)..]
        .iter()
        .map(|t| {
            let mut v = serde_json::json!({"a": t.id, "p": dialect::px(t.price), "q": dialect::qty(t.qty),
                "f": t.id, "l": t.id, "T": t.ms, "m": !t.buy});
            if !usdm {
                v["M"] = serde_json::json!(true);
            }
            v
        })
        .collect();
    Some(serde_json::Value::Array(list).to_string())
}
