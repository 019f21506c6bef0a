//! Gemini in the simulator: the v2 market-data websocket (`/v2/marketdata`), public REST market
//! data (`/v1/symbols`, `/v1/pubticker/`, `/v1/book/`, `/v1/trades/`, `/v2/candles/`, the web
//! app's page data at `/`), the trading endpoints (`/v1/...` with `X-GEMINI-APIKEY`) and the
//! order events websocket (`/v1/order/events`, authenticated in the upgrade's headers).

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

/// Gemini's dialect.
#[derive(Debug, Clone, Copy)]
pub struct GeminiSim;

/// Gemini, for the simulator's registry.
pub const SIM: SimVenue = SimVenue::new(&GeminiSim);

impl VenueDialect for GeminiSim {
    fn name(&self) -> &'static str {
        "gemini"
    }

    fn default_symbols(&self) -> &'static [&'static str] {
        &["BTCUSD", "ETHUSD"]
    }

    fn ws_path(&self) -> &'static str {
        "/v2/marketdata"
    }

    fn stream(&self, _cfg: &SimConfig, _target: &str, session: &mut Session) -> Box<dyn Dialect> {
        Box::new(stream::Gemini::new(session))
    }

    fn rest(&self, ctx: &Context<'_>, req: &Request<'_>) -> Option<Reply> {
        let path = req.path();
        if path == "/"
            || path.starts_with("/v1/symbols")
            || path.starts_with("/v1/pubticker/")
            || path.starts_with("/v2/ticker/")
            || path.starts_with("/v1/book/")
            || path.starts_with("/v1/trades/")
            || path.starts_with("/v2/candles/")
        {
            let answer = ctx
                .with_market(|m| rest::public(m, req.target))
                .unwrap_or(("500 Internal Server Error", r#"{"result":"error","reason":"System"}"#.to_owned()));
            return Some(answer.into());
        }
        if !path.starts_with("/v1/") || req.header("X-GEMINI-APIKEY").is_none() {
            return None;
        }
        ctx.exchange.count_request();
        Some(exchange::handle(ctx.exchange, path, req.headers))
    }

    fn not_found(&self, req: &Request<'_>) -> Reply {
        exchange::endpoint_not_found(req.path())
    }

    fn private(&self, upgrade: &Request<'_>, exchange: &Exchange) -> Option<Box<dyn PrivateStream>> {
        (upgrade.path() == "/v1/order/events")
            .then(|| Box::new(private::GeminiPrivate::new(upgrade, exchange)) as Box<dyn PrivateStream>)
    }

    fn order_events(&self, order: &SimOrder, exec: &str, trade_id: u64, _futures: bool, now: u64) -> Vec<String> {
        exchange::order_events(order, exec, trade_id, now)
    }
}
