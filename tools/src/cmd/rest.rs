//! `mdbus rest`: ask a venue's REST market data through the venue feed protocol: `instruments`, or
//! `ticker`, `depth`, `trades`, `klines` of a symbol, as JSON lines (records in the form `tail
//! --json` prints).

use super::prelude::*;

/// Its arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Registry key: BINANCE___SPOT, BINANCE___SWAP, OKX___SPOT, BYBIT___SPOT, BYBIT___SWAP,
    /// HTX___SPOT, GATEIO___SPOT or GEMINI___SPOT.
    key: String,
    /// instruments, ticker, depth, trades or klines.
    op: String,
    /// Symbol as the venue spells it (not for instruments).
    symbol: Option<String>,
    /// REST base URL (the venue's own by default; http://ADDR for `mdbus sim`).
    #[arg(long)]
    rest_url: Option<String>,
    /// Levels, trades or candles.
    #[arg(long, default_value_t = 10)]
    limit: usize,
    /// Kline interval.
    #[arg(long, default_value = "1m")]
    interval: String,
}

impl Args {
    /// Runs the command.
    pub(crate) fn run(self, _ctx: Ctx) -> Result<()> {
        let Args { key, op, symbol, rest_url, limit, interval } = self;
        {
            let q = mdbus_tools::rest::Query { key, op, symbol, rest_url, limit, interval };
            for v in mdbus_tools::rest::query(&q)? {
                println!("{v}");
            }
        }
        Ok(())
    }
}
