//! Gate.io in the simulator: the v4 websocket (`/ws/v4/`: `spot.order_book_update`,
//! `spot.obu` and the rest), public REST market data (`/api/v4/spot/...`, the book snapshot of
//! `/api/v4/spot/order_book`), the trading endpoints (`/api/v4/...`) and the private channels
//! on the same socket (`spot.orders`, `spot.usertrades`, `spot.balances`, signed per
//! subscription).

mod exchange;
mod private;
mod rest;
mod stream;

use mdbus_sim::{
    SimConfig, SimVenue, VenueDialect,
    dialect::{Dialect, Session},
    exchange::{Reply, SimOrder},
    rest::{Request, query},
    venue::{Context, PrivateStream},
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

    fn stream(&self, _cfg: &SimConfig, _target: &str, session: &mut Session) -> Box<dyn Dialect> {
        Box::new(stream::Gate::new(session))
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
        let public =
            ["/api/v4/spot/currency_pairs", "/api/v4/margin/currency_pairs", "/api/v4/futures/", "/api/v4/delivery/"];
        if public.iter().any(|p| path.starts_with(p))
            || matches!(
                path,
                "/api/v4/spot/tickers"
                    | "/api/v4/spot/trades"
                    | "/api/v4/spot/candlesticks"
                    | "/api/v4/spot/currencies"
                    | "/api/v4/options/underlyings"
            )
        {
            let answer = ctx.with_market(|m| rest::public(m, req.target)).unwrap_or((
                "500 Internal Server Error",
                r#"{"label":"SERVER_ERROR","message":"internal"}"#.to_owned(),
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

    /// Gate.io's error body, `label` and `message`, with its label for a missing resource.
    fn not_found(&self, req: &Request<'_>) -> Reply {
        let body = serde_json::json!({ "label": "NOT_FOUND", "message": format!("{} not found", req.path()) });
        Reply::Respond { status: "404 Not Found", headers: Vec::new(), body: body.to_string() }
    }

    fn mixed_private(&self, _upgrade: &Request<'_>) -> Option<Box<dyn PrivateStream>> {
        Some(Box::<private::GatePrivate>::default())
    }

    fn order_events(&self, order: &SimOrder, exec: &str, trade_id: u64, _futures: bool, now: u64) -> Vec<String> {
        exchange::order_pushes(order, exec, trade_id, now)
    }

    fn fill_events(&self, _positions: &[(String, i128, String)], _futures: bool, now: u64) -> Vec<String> {
        vec![exchange::balance_push(now)]
    }
}
