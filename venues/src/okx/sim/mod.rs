//! OKX in the simulator: the public websocket (`/ws/v5/public`), public REST market data
//! (`/api/v5/public/instruments`, `/api/v5/market/...`), the trading endpoints (`/api/v5/...`)
//! and the private websocket (`/ws/v5/private`: login, `orders` and `account` pushes).

mod exchange;
mod private;
mod rest;
mod stream;

use mdbus_sim::{
    SimConfig, SimVenue, VenueDialect,
    dialect::{Dialect, Session},
    exchange::{Exchange, Reply, SimOrder},
    rest::Request,
    venue::{Context, PrivateStream},
};

/// OKX's dialect.
#[derive(Debug, Clone, Copy)]
pub struct OkxSim;

/// OKX, for the simulator's registry.
pub const SIM: SimVenue = SimVenue::new(&OkxSim);

impl VenueDialect for OkxSim {
    fn name(&self) -> &'static str {
        "okx"
    }

    fn default_symbols(&self) -> &'static [&'static str] {
        &["BTC-USDT", "ETH-USDT"]
    }

    fn ws_path(&self) -> &'static str {
        "/ws/v5/public"
    }

    fn stream(&self, _cfg: &SimConfig, _target: &str, session: &mut Session) -> Box<dyn Dialect> {
        Box::new(stream::Okx::new(session))
    }

    fn rest(&self, ctx: &Context<'_>, req: &Request<'_>) -> Option<Reply> {
        let path = req.path();
        if path == "/api/v5/public/instruments" || path.starts_with("/api/v5/market/") {
            let answer = ctx
                .with_market(|m| ("200 OK", rest::public(m, req.target)))
                .unwrap_or(("500 Internal Server Error", r#"{"code":"50001","msg":"internal","data":[]}"#.to_owned()));
            return Some(answer.into());
        }
        if !exchange::serves(path) {
            return None;
        }
        ctx.exchange.count_request();
        let body = String::from_utf8_lossy(req.body);
        Some(exchange::handle(ctx.exchange, req.method, path, req.query(), req.headers, &body))
    }

    fn private(&self, upgrade: &Request<'_>, _exchange: &Exchange) -> Option<Box<dyn PrivateStream>> {
        let target = upgrade.target;
        target.starts_with("/ws/v5/private").then(|| Box::new(private::OkxPrivate::new()) as Box<dyn PrivateStream>)
    }

    fn order_events(&self, order: &SimOrder, exec: &str, trade_id: u64, _futures: bool, now: u64) -> Vec<String> {
        vec![exchange::order_push(order, exec, trade_id, now)]
    }

    fn fill_events(&self, _positions: &[(String, i128, String)], _futures: bool, now: u64) -> Vec<String> {
        vec![exchange::balance_push(now)]
    }
}
