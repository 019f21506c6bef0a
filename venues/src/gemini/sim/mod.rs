//! Gemini in the simulator: the v2 market-data websocket (`/v2/marketdata`), public REST market
//! data (`/v1/symbols`, `/v1/book/`, `/v1/trades/`, `/v2/candles/`) and the trading endpoints
//! (`/v1/...` with `X-GEMINI-APIKEY`).

mod exchange;
mod rest;
mod stream;

use mdbus_sim::{
    SimConfig, SimVenue, VenueDialect,
    dialect::{Dialect, Session},
    exchange::Reply,
    rest::Request,
    venue::Context,
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

    fn stream(&self, _cfg: &SimConfig, _target: &str, _session: &mut Session) -> Box<dyn Dialect> {
        Box::new(stream::Gemini)
    }

    fn rest(&self, ctx: &Context<'_>, req: &Request<'_>) -> Option<Reply> {
        let path = req.path();
        if path.starts_with("/v1/symbols")
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
}
