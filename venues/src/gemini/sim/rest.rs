//! Gemini's public REST market data in the simulator: symbols, book, trades, candles.

use mdbus_sim::{
    dialect,
    market::Market,
    rest::{Answer, json, number, query, step},
};

/// Gemini: `/v1/symbols`, `/v1/symbols/details/:symbol`, `/v1/book/:symbol`,
/// `/v1/trades/:symbol`, `/v2/candles/:symbol/:time_frame` (symbols in any case).
pub(super) fn public(m: &Market, target: &str) -> Answer {
    let path = target.split('?').next().unwrap_or("");
    if path == "/v1/symbols" {
        let list: Vec<String> = m.books.iter().map(|b| b.symbol.to_ascii_lowercase()).collect();
        return json(serde_json::json!(list));
    }
    if path == "/" {
        return ("200 OK", web_page(m));
    }
    let rest = ["/v1/symbols/details/", "/v1/book/", "/v1/trades/", "/v2/candles/", "/v1/pubticker/", "/v2/ticker/"]
        .into_iter()
        .find_map(|p| path.strip_prefix(p).map(|r| (p, r)));
    let Some((what, rest)) = rest else {
        return ("404 Not Found", r#"{"result":"error","reason":"EndpointNotFound","message":"not found"}"#.to_owned());
    };
    let (symbol, frame) = rest.split_once('/').unwrap_or((rest, ""));
    let Some(b) = m.books.iter().find(|b| b.symbol.eq_ignore_ascii_case(symbol)) else {
        return (
            "400 Bad Request",
            serde_json::json!({"result": "error", "reason": "InvalidSymbol",
                "message": format!("Supplied value '{symbol}' is not a valid symbol")})
            .to_string(),
        );
    };
    let secs = dialect::now_ms() / 1000;
    match what {
        "/v1/pubticker/" | "/v2/ticker/" => json(ticker(m, b, what == "/v2/ticker/")),
        "/v1/symbols/details/" => {
            let (p, q) = m.digits(&b.symbol);
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
            let list: Vec<serde_json::Value> = m
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
                        r#"{"result":"error","reason":"InvalidTimeFrame","message":"invalid time frame"}"#.to_owned(),
                    );
                }
            };
            let list: Vec<serde_json::Value> = m
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

/// The exchange web app's page (`https://exchange.gemini.com/`): the data it embeds in
/// `<script id="currencyData">`, the trading pairs with their tick and quantity decimals and
/// the currencies, which clients read for what `/v1/symbols` leaves out.
fn web_page(m: &Market) -> String {
    let mut currencies = std::collections::BTreeSet::new();
    let pairs: Vec<serde_json::Value> = m
        .books
        .iter()
        .map(|b| {
            let (p, q) = m.digits(&b.symbol);
            let (base, quote) = b.symbol.split_at(b.symbol.len().saturating_sub(3));
            currencies.insert(base.to_ascii_uppercase());
            currencies.insert(quote.to_ascii_uppercase());
            serde_json::json!([b.symbol.to_ascii_uppercase(), p, q, step(q), 10, true])
        })
        .collect();
    let currencies: Vec<serde_json::Value> = currencies
        .iter()
        .map(|c| {
            let fiat = c == "USD";
            serde_json::json!([
                c,
                c,
                1,
                if fiat { 2 } else { 6 },
                0,
                if fiat { 2 } else { 8 },
                8,
                if fiat { serde_json::json!(true) } else { serde_json::json!(false) },
                if fiat { serde_json::json!("$") } else { serde_json::Value::Null },
                if fiat { serde_json::Value::Null } else { serde_json::json!(c.to_ascii_lowercase()) }
            ])
        })
        .collect();
    let data = serde_json::json!({"tradingPairs": pairs, "currencies": currencies, "networks": []});
    format!(
        "<!DOCTYPE html><html><head><title>Gemini</title></head><body><div id=\"root\"></div>\
         <script type=\"application/json\" id=\"currencyData\">{data}</script></body></html>"
    )
}

/// `/v1/pubticker/:symbol` (`v2`: `/v2/ticker/:symbol`): the best bid and offer, the last price
/// and the volume over the simulator's trade window.
fn ticker(m: &Market, b: &mdbus_sim::dialect::Book, v2: bool) -> serde_json::Value {
    let (bids, asks) = b.sides(1);
    let (bp, ap) = (bids.first().map_or(0, |l| l.0), asks.first().map_or(0, |l| l.0));
    let ms = dialect::now_ms();
    let d = m.day(&b.symbol);
    let last = d.map_or(bp, |d| d.last);
    let (base, quote) = b.symbol.split_at(b.symbol.len().saturating_sub(3));
    if v2 {
        let (open, high, low) = d.map_or((last, last, last), |d| (d.open, d.high, d.low));
        return serde_json::json!({"symbol": b.symbol.to_ascii_uppercase(), "open": dialect::px(open),
            "high": dialect::px(high), "low": dialect::px(low), "close": dialect::px(last), "changes": [],
            "bid": dialect::px(bp), "ask": dialect::px(ap)});
    }
    let mut volume = serde_json::Map::new();
    volume.insert(
        base.to_ascii_uppercase(),
        serde_json::json!(d.map_or_else(|| "0".to_owned(), |d| dialect::qty(d.volume))),
    );
    volume.insert(
        quote.to_ascii_uppercase(),
        serde_json::json!(d.map_or_else(|| "0".to_owned(), |d| d.quote_volume_text())),
    );
    volume.insert("timestamp".to_owned(), serde_json::json!(ms));
    serde_json::json!({"bid": dialect::px(bp), "ask": dialect::px(ap), "last": dialect::px(last), "volume": volume})
}
