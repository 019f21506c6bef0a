//! HTX in the simulator: the gzip websocket (`/feed`, `/ws`), public REST market data
//! (`/v1/common/symbols`, `/market/...`), the trading endpoints (`/v1/...`) and the private
//! websocket (`/ws/v2`: `auth`, then `orders#`, `trade.clearing#` and `accounts.update#`).

mod exchange;
mod private;
mod rest;
mod stream;

use mdbus_sim::{
    SimConfig, SimVenue, VenueDialect,
    dialect::{Dialect, Session},
    exchange::{Exchange, Reply, SimOrder, header},
    rest::Request,
    venue::{Context, PrivateStream},
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

    fn stream(&self, _cfg: &SimConfig, _target: &str, session: &mut Session) -> Box<dyn Dialect> {
        Box::new(stream::Htx::new(session))
    }

    fn rest(&self, ctx: &Context<'_>, req: &Request<'_>) -> Option<Reply> {
        let path = req.path();
        let contracts = [
            "/linear-swap-api/v1/swap_contract_info",
            "/swap-api/v1/swap_contract_info",
            "/api/v1/contract_contract_info",
        ];
        if path == "/v1/common/symbols"
            || path.starts_with("/market/")
            || path.starts_with("/v2/reference/")
            || contracts.contains(&path)
        {
            let answer = ctx.with_market(|m| rest::public(m, req.target)).unwrap_or((
                "500 Internal Server Error",
                r#"{"status":"error","err-code":"gateway-internal-error"}"#.to_owned(),
            ));
            return Some(answer.into());
        }
        // Only HTX's own trading paths: another venue's `/v1/...` is not HTX's to answer.
        if !exchange::serves(path) {
            return None;
        }
        ctx.exchange.count_request();
        let body = String::from_utf8_lossy(req.body);
        Some(exchange::handle(ctx.exchange, req.method, path, req.query(), req.headers, &body))
    }

    fn private(&self, upgrade: &Request<'_>, _exchange: &Exchange) -> Option<Box<dyn PrivateStream>> {
        let path = upgrade.path();
        let host = header(upgrade.headers, "Host").unwrap_or("");
        (path == "/ws/v2").then(|| Box::new(private::HtxPrivate::new(host, path)) as Box<dyn PrivateStream>)
    }

    fn order_events(&self, order: &SimOrder, exec: &str, trade_id: u64, _futures: bool, now: u64) -> Vec<String> {
        exchange::order_pushes(order, exec, trade_id, now)
    }

    fn fill_events(&self, _positions: &[(String, i128, String)], _futures: bool, now: u64) -> Vec<String> {
        vec![exchange::balance_push(now)]
    }
}
