//! Bybit in the simulator: the public websockets (`/v5/public/spot`, `/v5/public/linear`), public
//! REST market data (`/v5/market/...`) and the trading endpoints (`/v5/...`).

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

    fn stream(&self, _cfg: &SimConfig, _target: &str, session: &mut Session) -> Box<dyn Dialect> {
        Box::new(stream::Bybit::new(session))
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
        if !path.starts_with("/v5/") {
            return None;
        }
        ctx.exchange.count_request();
        let body = String::from_utf8_lossy(req.body);
        Some(exchange::handle(ctx.exchange, req.method, path, req.query(), req.headers, &body))
    }
}
