//! HTX in the simulator: the gzip websocket (`/feed`, `/ws`), public REST market data
//! (`/v1/common/symbols`, `/market/...`) and the trading endpoints (`/v1/...`).

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

/// HTX's dialect.
#[derive(Debug, Clone, Copy)]
pub struct HtxSim;

/// HTX, for the simulator's registry.
pub const SIM: SimVenue = SimVenue::new(&HtxSim);

impl VenueDialect for HtxSim {
    fn name(&self) -> &'static str {
        "htx"
    }

    fn default_symbols(&self) -> &'static [&'static str] {
        &["btcusdt", "ethusdt"]
    }

    fn ws_path(&self) -> &'static str {
        "/feed"
    }

    fn stream(&self, _cfg: &SimConfig, _target: &str, _session: &mut Session) -> Box<dyn Dialect> {
        Box::new(stream::Htx::new())
    }

    fn rest(&self, ctx: &Context<'_>, req: &Request<'_>) -> Option<Reply> {
        let path = req.path();
        if path == "/v1/common/symbols" || path.starts_with("/market/") {
            let answer = ctx.with_market(|m| rest::public(m, req.target)).unwrap_or((
                "500 Internal Server Error",
                r#"{"status":"error","err-code":"gateway-internal-error"}"#.to_owned(),
            ));
            return Some(answer.into());
        }
        // Only HTX's own trading paths: another venue's `/v1/...` is not HTX's to answer.
        if !["/v1/order/", "/v1/account/", "/v1/common/"].iter().any(|p| path.starts_with(p)) {
            return None;
        }
        ctx.exchange.count_request();
        let body = String::from_utf8_lossy(req.body);
        Some(exchange::handle(ctx.exchange, req.method, path, req.query(), req.headers, &body))
    }
}
