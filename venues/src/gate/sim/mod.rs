//! Gate.io in the simulator: the v4 websocket (`/ws/v4/`: `spot.order_book_update`,
//! `spot.obu` and the rest), public REST market data (`/api/v4/spot/...`, the book snapshot of
//! `/api/v4/spot/order_book`) and the trading endpoints (`/api/v4/...`).

mod exchange;
mod rest;
mod stream;

use mdbus_sim::{
    SimConfig, SimVenue, VenueDialect,
    dialect::{Dialect, Session},
    exchange::Reply,
    rest::{Request, query},
    venue::Context,
};

/// Gate.io's dialect.
#[derive(Debug, Clone, Copy)]
pub struct GateSim;

/// Gate.io, for the simulator's registry.
pub const SIM: SimVenue = SimVenue::new(&GateSim);

impl VenueDialect for GateSim {
    fn name(&self) -> &'static str {
        "gateio"
    }

    fn default_symbols(&self) -> &'static [&'static str] {
        &["BTC_USDT", "ETH_USDT"]
    }

    fn ws_path(&self) -> &'static str {
        "/ws/v4/"
    }

    fn stream(&self, _cfg: &SimConfig, _target: &str, _session: &mut Session) -> Box<dyn Dialect> {
        Box::new(stream::Gate)
    }

    fn rest(&self, ctx: &Context<'_>, req: &Request<'_>) -> Option<Reply> {
        let path = req.path();
        if path == "/api/v4/spot/order_book" {
            let limit = query(req.target, "limit").and_then(|l| l.parse().ok()).unwrap_or(100).min(5000);
            let pair = query(req.target, "currency_pair").unwrap_or("");
            let answer = match ctx.with_market(|m| rest::snapshot(m, pair, limit)).flatten() {
                Some(body) => ("200 OK", body),
                None => ("400 Bad Request", r#"{"label":"INVALID_CURRENCY","message":"Invalid currency"}"#.to_owned()),
            };
            return Some(answer.into());
        }
        if path.starts_with("/api/v4/spot/currency_pairs")
            || matches!(path, "/api/v4/spot/tickers" | "/api/v4/spot/trades" | "/api/v4/spot/candlesticks")
        {
            let answer = ctx.with_market(|m| rest::public(m, req.target)).unwrap_or((
                "500 Internal Server Error",
                r#"{"label":"SERVER_ERROR","message":"internal"}"#.to_owned(),
            ));
            return Some(answer.into());
        }
        if !path.starts_with("/api/v4/") {
            return None;
        }
        ctx.exchange.count_request();
        let body = String::from_utf8_lossy(req.body);
        Some(exchange::handle(ctx.exchange, req.method, path, req.query(), req.headers, &body))
    }
}
