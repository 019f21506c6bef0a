//! HTX's public REST market data in the simulator: symbols, currencies, the contract lists,
//! merged ticker, depth, trades, klines.

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
    // The contract venues' instrument lists (api.hbdm.com): each of the simulator's pairs as a
    // USDT-margined swap, a coin-margined swap and a coin-margined quarterly future.
    let bases: Vec<String> =
        m.books.iter().map(|b| b.symbol[..b.symbol.len().saturating_sub(4)].to_ascii_uppercase()).collect();
    let funding = (ms / 28_800_000 + 1) * 28_800_000;
    if target.starts_with("/linear-swap-api/v1/swap_contract_info") {
        let data: Vec<serde_json::Value> = bases
            .iter()
            .map(|b| {
                serde_json::json!({"symbol": b, "contract_code": format!("{b}-USDT"), "contract_size": 0.001,
                    "price_tick": 0.01, "delivery_date": "", "delivery_time": "", "create_date": "20201021",
                    "contract_status": 1, "settlement_date": funding.to_string(), "support_margin_mode": "all",
                    "business_type": "swap", "pair": format!("{b}-USDT"), "contract_type": "swap",
                    "trade_partition": "USDT"})
            })
            .collect();
        return json(serde_json::json!({"status": "ok", "data": data, "ts": ms}));
    }
    if target.starts_with("/swap-api/v1/swap_contract_info") {
        let data: Vec<serde_json::Value> = bases
            .iter()
            .map(|b| {
                serde_json::json!({"symbol": b, "contract_code": format!("{b}-USD"), "contract_size": 100,
                    "price_tick": 0.1, "delivery_time": "", "create_date": "20200325", "contract_status": 1,
                    "settlement_date": funding.to_string()})
            })
            .collect();
        return json(serde_json::json!({"status": "ok", "data": data, "ts": ms}));
    }
    if target.starts_with("/api/v1/contract_contract_info") {
        // A delivery about a quarter ahead.
        let delivery = quarter_delivery_ms(ms);
        let day = &mdbus_sdk::order::time::iso8601_secs(delivery)[..10];
        let (yyyymmdd, yymmdd) = (day.replace('-', ""), day[2..].replace('-', ""));
        let data: Vec<serde_json::Value> = bases
            .iter()
            .map(|b| {
                serde_json::json!({"symbol": b, "contract_code": format!("{b}{yymmdd}"), "contract_type": "quarter",
                    "contract_size": 100, "price_tick": 0.01, "delivery_date": yyyymmdd,
                    "delivery_time": delivery.to_string(), "create_date": "20240101", "contract_status": 1,
                    "settlement_time": funding.to_string()})
            })
            .collect();
        return json(serde_json::json!({"status": "ok", "data": data, "ts": ms}));
    }
    if target.starts_with("/v2/reference/currencies") {
        let chain = |c: &str, chain: &str| {
            serde_json::json!({"chain": chain, "displayName": c.to_ascii_uppercase(), "baseChain": c.to_ascii_uppercase(),
                "baseChainProtocol": "", "isDynamic": false, "numOfConfirmations": 2, "numOfFastConfirmations": 1,
                "depositStatus": "allowed", "minDepositAmt": "0.0001", "withdrawStatus": "allowed",
                "minWithdrawAmt": "0.001", "withdrawPrecision": 8, "maxWithdrawAmt": "100", "withdrawQuotaPerDay": "100",
                "withdrawQuotaPerYear": null, "withdrawQuotaTotal": null, "withdrawFeeType": "fixed",
                "transactFeeWithdraw": "0.0005", "addrWithTag": false, "addrDepositTag": false})
        };
        let wanted = query(target, "currency");
        let data: Vec<serde_json::Value> = [("btc", "btc"), ("eth", "eth"), ("usdt", "trc20usdt")]
            .into_iter()
            .filter(|(c, _)| wanted.is_none_or(|w| w.eq_ignore_ascii_case(c)))
            .map(|(c, ch)| serde_json::json!({"currency": c, "assetType": 1, "chains": [chain(c, ch)], "instStatus": "normal"}))
            .collect();
        return json(serde_json::json!({"code": 200, "data": data}));
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
        let mut tick = serde_json::json!({"id": b.last_id, "version": b.last_id,
            "bid": [num(dialect::px(bp)), num(dialect::qty(bq))], "ask": [num(dialect::px(ap)), num(dialect::qty(aq))]});
        // The 24-hour figures, over the simulator's trade window: `amount` in base, `vol` in quote.
        if let Some(d) = m.day(symbol) {
            for (k, v) in [
                ("open", dialect::px(d.open)),
                ("close", dialect::px(d.last)),
                ("high", dialect::px(d.high)),
                ("low", dialect::px(d.low)),
                ("amount", dialect::qty(d.volume)),
                ("vol", d.quote_volume_text()),
                ("count", d.count.to_string()),
            ] {
                tick[k] = num(v);
            }
        }
        return json(serde_json::json!({"ch": ch("detail.merged"), "status": "ok", "ts": ms, "tick": tick}));
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
    // `/market/history/candles` is the same data under the path clients use for history.
    if target.starts_with("/market/history/kline") || target.starts_with("/market/history/candles") {
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

/// A delivery time about a quarter ahead of `now_ms`: 08:00 UTC, 91 days on, at whole days.
fn quarter_delivery_ms(now_ms: u64) -> u64 {
    const DAY: u64 = 86_400_000;
    (now_ms / DAY + 91) * DAY + 8 * 3_600_000
}
