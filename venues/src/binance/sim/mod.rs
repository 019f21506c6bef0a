//! Binance in the simulator: the market streams (`/stream`, `/ws`; spot, or USD-M with
//! [`SimConfig::usdm`]), public REST market data and depth snapshots, the trading endpoints
//! (`/api/v3/...`, `/fapi/...`) and the user-data stream (`/ws/<listenKey>`). Every REST answer
//! carries `X-MBX-USED-WEIGHT-1M` (the trading requests so far), as clients correct their
//! limiters by it.

mod exchange;
mod rest;
mod stream;
mod ws_api;

use mdbus_sim::{
    SimConfig, SimVenue, VenueDialect,
    dialect::{Dialect, Session},
    exchange::{Exchange, Reply, SimOrder},
    rest::{Answer, Request, query},
    venue::{Context, PrivateStream},
};

/// Binance's dialect.
#[derive(Debug, Clone, Copy)]
pub struct BinanceSim;

/// Binance, for the simulator's registry.
pub const SIM: SimVenue = SimVenue::new(&BinanceSim);

/// The trading endpoints.
const TRADING: [&str; 21] = [
    "/api/v3/order",
    "/fapi/v1/order",
    "/api/v3/openOrders",
    "/fapi/v1/openOrders",
    "/api/v3/account",
    "/fapi/v2/balance",
    "/fapi/v2/positionRisk",
    "/fapi/v3/positionRisk",
    "/fapi/v2/account",
    "/fapi/v3/account",
    "/fapi/v3/balance",
    "/fapi/v1/leverageBracket",
    "/api/v3/time",
    "/fapi/v1/time",
    "/api/v3/ping",
    "/fapi/v1/ping",
    "/api/v3/allOrders",
    "/fapi/v1/allOrders",
    "/api/v3/userDataStream",
    "/fapi/v1/listenKey",
    "/sapi/v1/capital/config/getall",
];

/// The margin pairs (`/sapi/v1/margin/allPairs`, `.../isolated/allPairs`): every symbol the
/// simulator trades, as Binance documents them. They need a known API key.
fn margin_pairs(ctx: &Context<'_>, req: &Request<'_>, isolated: bool) -> Reply {
    if req.header("X-MBX-APIKEY").and_then(|k| ctx.exchange.account(k)).is_none() {
        let body = r#"{"code":-2015,"msg":"Invalid API-key, IP, or permissions for action."}"#;
        return ("401 Unauthorized", body.to_owned()).into();
    }
    let pairs: Vec<serde_json::Value> = ctx
        .with_market(|m| {
            m.books
                .iter()
                .enumerate()
                .map(|(i, b)| {
                    let (base, quote) = b.symbol.split_at(b.symbol.len().saturating_sub(4));
                    if isolated {
                        serde_json::json!({"symbol": b.symbol, "base": base, "quote": quote, "isMarginTrade": true,
                            "isBuyAllowed": true, "isSellAllowed": true})
                    } else {
                        serde_json::json!({"id": 351_637_150_141_315_861_u64 + i as u64, "symbol": b.symbol, "base": base,
                            "quote": quote, "isMarginTrade": true, "isBuyAllowed": true, "isSellAllowed": true})
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    ("200 OK", serde_json::Value::Array(pairs).to_string()).into()
}

/// The public market data of `target`, if it is one of Binance's.
fn public(ctx: &Context<'_>, target: &str, path: &str) -> Option<Answer> {
    let invalid = || ("400 Bad Request", r#"{"code":-1121,"msg":"Invalid symbol."}"#.to_owned());
    let symbol = query(target, "symbol").unwrap_or("").to_ascii_uppercase();
    let answer = match path {
        "/api/v3/exchangeInfo" | "/fapi/v1/exchangeInfo" => {
            let usdm = path.starts_with("/fapi");
            ctx.with_market(|m| ("200 OK", rest::exchange_info(m, usdm)))
                .unwrap_or(("500 Internal Server Error", r#"{"code":-1000,"msg":"internal"}"#.to_owned()))
        }
        // The last price of one symbol, or of every symbol.
        "/api/v3/ticker/price" | "/fapi/v1/ticker/price" | "/fapi/v2/ticker/price" => {
            let body = ctx.with_market(|m| {
                let price = |b: &mdbus_sim::dialect::Book| {
                    let last =
                        m.day(&b.symbol).map_or_else(|| b.bids.keys().next_back().copied().unwrap_or(0), |d| d.last);
                    serde_json::json!({"symbol": b.symbol, "price": mdbus_sim::dialect::px(last),
                        "time": mdbus_sim::dialect::now_ms()})
                };
                match symbol.as_str() {
                    "" => Some(serde_json::Value::Array(m.books.iter().map(price).collect())),
                    s => m.book(s).map(price),
                }
            });
            body.flatten().map_or_else(invalid, |b| ("200 OK", b.to_string()))
        }
        "/api/v3/ticker/bookTicker" | "/fapi/v1/ticker/bookTicker" => {
            ctx.with_market(|m| rest::book_ticker(m, &symbol)).flatten().map_or_else(invalid, |b| ("200 OK", b))
        }
        // The simulator lists no coin-margined futures and no options: their markets are empty.
        "/dapi/v1/exchangeInfo" => (
            "200 OK",
            serde_json::json!({"timezone": "UTC", "serverTime": mdbus_sim::dialect::now_ms(), "rateLimits": [],
                "exchangeFilters": [], "symbols": []})
            .to_string(),
        ),
        "/eapi/v1/exchangeInfo" => (
            "200 OK",
            serde_json::json!({"timezone": "UTC", "serverTime": mdbus_sim::dialect::now_ms(), "rateLimits": [],
                "optionContracts": [], "optionAssets": [], "optionSymbols": []})
            .to_string(),
        ),
        "/api/v3/ticker/24hr" | "/fapi/v1/ticker/24hr" => {
            let usdm = path.starts_with("/fapi");
            // Without a symbol: every symbol's.
            let body = ctx.with_market(|m| match symbol.as_str() {
                "" => Some(serde_json::Value::Array(
                    m.books.iter().filter_map(|b| rest::ticker_24hr(m, &b.symbol, usdm)).collect(),
                )),
                s => rest::ticker_24hr(m, s, usdm),
            });
            body.flatten().map_or_else(invalid, |b| ("200 OK", b.to_string()))
        }
        "/api/v3/aggTrades" | "/fapi/v1/aggTrades" => {
            let usdm = path.starts_with("/fapi");
            let limit = query(target, "limit").and_then(|l| l.parse().ok()).unwrap_or(500).min(1000);
            ctx.with_market(|m| rest::agg_trades(m, &symbol, limit, usdm))
                .flatten()
                .map_or_else(invalid, |b| ("200 OK", b))
        }
        "/api/v3/trades" | "/fapi/v1/trades" | "/api/v3/klines" | "/fapi/v1/klines" => {
            let limit = query(target, "limit").and_then(|l| l.parse().ok()).unwrap_or(500).min(1000);
            let body = ctx.with_market(|m| {
                if path.ends_with("/trades") {
                    rest::recent_trades(m, &symbol, limit)
                } else {
                    rest::klines(m, &symbol, query(target, "interval").unwrap_or("1m"), limit)
                }
            });
            body.flatten().map_or_else(invalid, |b| ("200 OK", b))
        }
        "/api/v3/depth" | "/fapi/v1/depth" => {
            let limit = query(target, "limit").and_then(|l| l.parse().ok()).unwrap_or(100).min(5000);
            ctx.with_market(|m| rest::snapshot(m, &symbol, limit)).flatten().map_or_else(invalid, |b| ("200 OK", b))
        }
        _ => return None,
    };
    Some(answer)
}

impl VenueDialect for BinanceSim {
    fn name(&self) -> &'static str {
        "binance"
    }

    fn default_symbols(&self) -> &'static [&'static str] {
        &["BTCUSDT", "ETHUSDT"]
    }

    fn ws_path(&self) -> &'static str {
        "/stream"
    }

    fn stream(&self, cfg: &SimConfig, target: &str, session: &mut Session) -> Box<dyn Dialect> {
        Box::new(stream::Binance::new(cfg.usdm, target, session))
    }

    fn rest(&self, ctx: &Context<'_>, req: &Request<'_>) -> Option<Reply> {
        let path = req.path();
        let reply = if matches!(path, "/sapi/v1/margin/allPairs" | "/sapi/v1/margin/isolated/allPairs") {
            margin_pairs(ctx, req, path.contains("isolated"))
        } else if TRADING.contains(&path) {
            ctx.exchange.count_request();
            exchange::handle(ctx.exchange, req.method, req.target, req.headers, req.body)
        } else {
            public(ctx, req.target, path)?.into()
        };
        Some(match reply {
            Reply::Respond { status, mut headers, body } => {
                headers.push(("X-MBX-USED-WEIGHT-1M".to_owned(), ctx.exchange.requests().to_string()));
                Reply::Respond { status, headers, body }
            }
            Reply::Drop => Reply::Drop,
        })
    }

    fn private(&self, upgrade: &Request<'_>, exchange: &Exchange) -> Option<Box<dyn PrivateStream>> {
        let target = upgrade.target;
        // The WebSocket API, wherever it sits in the path (a client may keep the venue's host
        // name in front).
        if upgrade.path().ends_with("/ws-api/v3") {
            return Some(Box::<ws_api::WsApi>::default());
        }
        let account = target.strip_prefix("/ws/").and_then(|k| exchange.listen_key_account(k))?;
        Some(Box::new(UserData(account)))
    }

    fn order_events(&self, order: &SimOrder, exec: &str, trade_id: u64, futures: bool, now: u64) -> Vec<String> {
        exchange::order_events(order, exec, trade_id, futures, now)
    }

    fn fill_events(&self, positions: &[(String, i128, String)], futures: bool, now: u64) -> Vec<String> {
        vec![exchange::account_events(positions, futures, now)]
    }
}

/// A user-data stream: the account is its listen key's; the client sends nothing that needs an
/// answer.
#[derive(Debug)]
struct UserData(String);

impl PrivateStream for UserData {
    fn account(&self) -> Option<String> {
        Some(self.0.clone())
    }

    fn request(&mut self, _text: &str, _exchange: &Exchange) -> Vec<String> {
        Vec::new()
    }
}
