//! Bybit in the simulator: the public websockets (`/v5/public/spot`, `/v5/public/linear`), public
//! REST market data (`/v5/market/...`), the trading endpoints (`/v5/...`) and the private
//! websocket (`/v5/private`: `auth`, then `order`, `execution`, `wallet` and `position` pushes).

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

/// Bybit's dialect.
#[derive(Debug, Clone, Copy)]
pub struct BybitSim;

/// Bybit, for the simulator's registry.
pub const SIM: SimVenue = SimVenue::new(&BybitSim);

impl VenueDialect for BybitSim {
    fn name(&self) -> &'static str {
        "bybit"
    }

    fn default_symbols(&self) -> &'static [&'static str] {
        &["BTCUSDT", "ETHUSDT"]
    }

    fn ws_path(&self) -> &'static str {
        "/v5/public/spot"
    }

    fn stream(&self, _cfg: &SimConfig, target: &str, session: &mut Session) -> Box<dyn Dialect> {
        Box::new(stream::Bybit::new(target, session))
    }

    fn rest(&self, ctx: &Context<'_>, req: &Request<'_>) -> Option<Reply> {
        let path = req.path();
        if path.starts_with("/v5/market/") && path != "/v5/market/time" {
            let answer = ctx.with_market(|m| ("200 OK", rest::public(m, req.target))).unwrap_or((
                "500 Internal Server Error",
                r#"{"retCode":10016,"retMsg":"internal","result":{}}"#.to_owned(),
            ));
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
        let path = target.split('?').next().unwrap_or(target);
        (path == "/v5/private").then(|| Box::new(private::BybitPrivate::new()) as Box<dyn PrivateStream>)
    }

    fn order_events(&self, order: &SimOrder, exec: &str, trade_id: u64, futures: bool, now: u64) -> Vec<String> {
        exchange::order_pushes(order, exec, trade_id, futures, now)
    }

    fn fill_events(&self, positions: &[(String, i128, String)], futures: bool, now: u64) -> Vec<String> {
        exchange::fill_pushes(positions, futures, now)
    }
}
