//! Binance in the simulator: the market streams (`/stream`, `/ws`; spot, or USD-M with
//! [`SimConfig::usdm`]), public REST market data and depth snapshots, the trading endpoints
//! (`/api/v3/...`, `/fapi/...`) and the user-data stream (`/ws/<listenKey>`). Every REST answer
//! carries `X-MBX-USED-WEIGHT-1M` (the trading requests so far), as clients correct their
//! limiters by it.

mod exchange;
mod rest;
mod stream;

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
const TRADING: [&str; 11] = [
    "/api/v3/order",
    "/fapi/v1/order",
    "/api/v3/openOrders",
    "/fapi/v1/openOrders",
    "/api/v3/account",
    "/fapi/v2/balance",
    "/fapi/v2/positionRisk",
    "/api/v3/time",
    "/fapi/v1/time",
    "/api/v3/userDataStream",
    "/fapi/v1/listenKey",
];

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
        "/api/v3/ticker/bookTicker" | "/fapi/v1/ticker/bookTicker" => {
            ctx.with_market(|m| rest::book_ticker(m, &symbol)).flatten().map_or_else(invalid, |b| ("200 OK", b))
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
        let reply = if TRADING.contains(&path) {
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

    fn private(&self, target: &str, exchange: &Exchange) -> Option<Box<dyn PrivateStream>> {
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
