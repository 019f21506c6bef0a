//! Public REST market data of HTX, Gate.io and Gemini, each in its venue's response format:
//! instruments, ticker, book, recent trades and candles from the simulated market. Unknown
//! symbols get each venue's own error body.

use super::{Market, dialect, query};

/// `digits` decimals as a step (`2` → `0.01`, `0` → `1`).
pub(super) fn step(digits: u8) -> String {
    match digits {
        0 => "1".to_owned(),
        d => format!("0.{}1", "0".repeat(usize::from(d) - 1)),
    }
}

/// A response: HTTP status line and body.
pub(super) type Reply = (&'static str, String);

fn json(v: serde_json::Value) -> Reply {
    ("200 OK", v.to_string())
}

impl Market {
    /// HTX: `/v1/common/symbols`, `/market/detail/merged`, `/market/depth`,
    /// `/market/history/trade`, `/market/history/kline`.
    pub(super) fn htx_public(&self, target: &str) -> Reply {
        let ms = dialect::now_ms();
        if target.starts_with("/v1/common/symbols") {
            let data: Vec<serde_json::Value> = self
                .books
                .iter()
                .map(|b| {
                    let (p, q) = self.digits(&b.symbol);
                    let (base, quote) = b.symbol.split_at(b.symbol.len().saturating_sub(4));
                    serde_json::json!({"base-currency": base, "quote-currency": quote, "price-precision": p,
                        "amount-precision": q, "symbol-partition": "main", "symbol": b.symbol, "state": "online",
                        "value-precision": 8, "min-order-amt": 0.0001, "min-order-value": 5})
                })
                .collect();
            return json(serde_json::json!({"status": "ok", "data": data}));
        }
        let symbol = query(target, "symbol").unwrap_or("");
        let Some(b) = self.books.iter().find(|b| b.symbol == symbol) else {
            return json(serde_json::json!({"status": "error", "err-code": "invalid-parameter",
                "err-msg": "invalid symbol", "data": null}));
        };
        let size = query(target, "size").and_then(|s| s.parse().ok()).unwrap_or(1);
        let ch = |what: &str| format!("market.{symbol}.{what}");
        if target.starts_with("/market/detail/merged") {
            let (bids, asks) = b.sides(1);
            let ((bp, bq), (ap, aq)) =
                (bids.first().copied().unwrap_or((0, 0)), asks.first().copied().unwrap_or((0, 0)));
            let num = |s: String| serde_json::Value::Number(s.parse().unwrap_or(serde_json::Number::from(0)));
            return json(serde_json::json!({"ch": ch("detail.merged"), "status": "ok", "ts": ms, "tick": {
                "id": b.last_id, "version": b.last_id, "bid": [num(dialect::px(bp)), num(dialect::qty(bq))],
                "ask": [num(dialect::px(ap)), num(dialect::qty(aq))]}}));
        }
        if target.starts_with("/market/depth") {
            let depth = query(target, "depth").and_then(|s| s.parse().ok()).unwrap_or(150);
            let (bids, asks) = b.sides(depth);
            let lv = |side: &[(i64, i64)]| -> Vec<serde_json::Value> {
                side.iter()
                    .map(|(p, q)| serde_json::json!([number(&dialect::px(*p)), number(&dialect::qty(*q))]))
                    .collect()
            };
            return json(serde_json::json!({"ch": ch("depth.step0"), "status": "ok", "ts": ms,
                "tick": {"ts": ms, "version": b.last_id, "bids": lv(&bids), "asks": lv(&asks)}}));
        }
        if target.starts_with("/market/history/trade") {
            // One group per trade, newest first.
            let data: Vec<serde_json::Value> = self
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
            let data: Vec<serde_json::Value> = self
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

    /// Gate.io v4: `/api/v4/spot/currency_pairs`, `tickers`, `trades`, `candlesticks` (the order
    /// book is [`Market::gate_snapshot`]).
    pub(super) fn gate_public(&self, target: &str) -> Reply {
        if target.starts_with("/api/v4/spot/currency_pairs") {
            // `/currency_pairs/{pair}` is one pair; `/currency_pairs` all of them.
            let one = target
                .split('?')
                .next()
                .and_then(|p| p.strip_prefix("/api/v4/spot/currency_pairs/"))
                .filter(|p| !p.is_empty());
            let list: Vec<serde_json::Value> = self
                .books
                .iter()
                .filter(|b| one.is_none_or(|p| b.symbol == p))
                .map(|b| {
                    let (p, q) = self.digits(&b.symbol);
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
        let pair = query(target, "currency_pair").unwrap_or("");
        let Some(b) = self.books.iter().find(|b| b.symbol == pair) else {
            return (
                "400 Bad Request",
                serde_json::json!({"label": "INVALID_CURRENCY_PAIR", "message": format!("Invalid currency pair {pair}")})
                    .to_string(),
            );
        };
        let limit = query(target, "limit").and_then(|s| s.parse().ok()).unwrap_or(100);
        if target.starts_with("/api/v4/spot/tickers") {
            let (bids, asks) = b.sides(1);
            let ((bp, bq), (ap, aq)) =
                (bids.first().copied().unwrap_or((0, 0)), asks.first().copied().unwrap_or((0, 0)));
            return json(serde_json::json!([{"currency_pair": pair, "last": dialect::px(bp),
                "lowest_ask": dialect::px(ap), "lowest_size": dialect::qty(aq),
                "highest_bid": dialect::px(bp), "highest_size": dialect::qty(bq),
                "change_percentage": "0", "base_volume": "0", "quote_volume": "0", "high_24h": dialect::px(ap),
                "low_24h": dialect::px(bp)}]));
        }
        if target.starts_with("/api/v4/spot/trades") {
            let list: Vec<serde_json::Value> = self
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
            let list: Vec<serde_json::Value> = self
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

    /// Gemini: `/v1/symbols`, `/v1/symbols/details/:symbol`, `/v1/book/:symbol`,
    /// `/v1/trades/:symbol`, `/v2/candles/:symbol/:time_frame` (symbols in any case).
    pub(super) fn gemini_public(&self, target: &str) -> Reply {
        let path = target.split('?').next().unwrap_or("");
        if path == "/v1/symbols" {
            let list: Vec<String> = self.books.iter().map(|b| b.symbol.to_ascii_lowercase()).collect();
            return json(serde_json::json!(list));
        }
        let rest = ["/v1/symbols/details/", "/v1/book/", "/v1/trades/", "/v2/candles/"]
            .into_iter()
            .find_map(|p| path.strip_prefix(p).map(|r| (p, r)));
        let Some((what, rest)) = rest else {
            return (
                "404 Not Found",
                r#"{"result":"error","reason":"EndpointNotFound","message":"not found"}"#.to_owned(),
            );
        };
        let (symbol, frame) = rest.split_once('/').unwrap_or((rest, ""));
        let Some(b) = self.books.iter().find(|b| b.symbol.eq_ignore_ascii_case(symbol)) else {
            return (
                "400 Bad Request",
                serde_json::json!({"result": "error", "reason": "InvalidSymbol",
                    "message": format!("Supplied value '{symbol}' is not a valid symbol")})
                .to_string(),
            );
        };
        let secs = dialect::now_ms() / 1000;
        match what {
            "/v1/symbols/details/" => {
                let (p, q) = self.digits(&b.symbol);
                let (base, quote) = b.symbol.split_at(b.symbol.len().saturating_sub(3));
                // Gemini writes its steps as JSON numbers in exponent form (`1E-8`).
                let exp =
                    |d: u8| serde_json::Value::Number(format!("1E-{d}").parse().unwrap_or(serde_json::Number::from(1)));
                json(serde_json::json!({"symbol": b.symbol, "base_currency": base, "quote_currency": quote,
                    "tick_size": exp(q), "quote_increment": exp(p), "min_order_size": step(q), "status": "open",
                    "wrap_enabled": false, "product_type": "spot", "contract_type": "vanilla",
                    "contract_price_currency": quote}))
            }
            "/v1/book/" => {
                let n = |k: &str| query(target, k).and_then(|s| s.parse().ok()).unwrap_or(50);
                let (bids, _) = b.sides(n("limit_bids"));
                let (_, asks) = b.sides(n("limit_asks"));
                let lv = |side: &[(i64, i64)]| -> Vec<serde_json::Value> {
                    side.iter()
                        .map(|(p, q)| {
                            serde_json::json!({"price": dialect::px(*p), "amount": dialect::qty(*q),
                                "timestamp": secs.to_string()})
                        })
                        .collect()
                };
                json(serde_json::json!({"bids": lv(&bids), "asks": lv(&asks)}))
            }
            "/v1/trades/" => {
                let limit = query(target, "limit_trades").and_then(|s| s.parse().ok()).unwrap_or(50);
                let list: Vec<serde_json::Value> = self
                    .trades_of(&b.symbol)
                    .unwrap_or_default()
                    .iter()
                    .rev()
                    .take(limit)
                    .map(|t| {
                        serde_json::json!({"timestamp": t.ms / 1000, "timestampms": t.ms, "tid": t.id,
                            "price": dialect::px(t.price), "amount": dialect::qty(t.qty), "exchange": "gemini",
                            "type": if t.buy { "buy" } else { "sell" }})
                    })
                    .collect();
                json(serde_json::Value::Array(list))
            }
            _ => {
                let span = match frame {
                    "1m" => 60_000,
                    "5m" => 300_000,
                    "15m" => 900_000,
                    "30m" => 1_800_000,
                    "1hr" => 3_600_000,
                    "6hr" => 21_600_000,
                    "1day" => 86_400_000,
                    _ => {
                        return (
                            "400 Bad Request",
                            r#"{"result":"error","reason":"InvalidTimeFrame","message":"invalid time frame"}"#
                                .to_owned(),
                        );
                    }
                };
                let list: Vec<serde_json::Value> = self
                    .candles(&b.symbol, span, usize::MAX)
                    .unwrap_or_default()
                    .iter()
                    .rev()
                    .map(|(start, k)| {
                        serde_json::json!([
                            start,
                            number(&dialect::px(k.o)),
                            number(&dialect::px(k.h)),
                            number(&dialect::px(k.l)),
                            number(&dialect::px(k.c)),
                            number(&dialect::qty(k.v))
                        ])
                    })
                    .collect();
                json(serde_json::Value::Array(list))
            }
        }
    }
}

/// A decimal text as a JSON number (HTX and Gemini candles write numbers, not strings).
fn number(text: &str) -> serde_json::Value {
    text.parse::<serde_json::Number>().map_or(serde_json::Value::Null, serde_json::Value::Number)
}
