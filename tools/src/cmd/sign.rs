//! `mdbus sign`: print one request signature exactly as the venue expects it (and nothing else).

use super::prelude::*;

/// Its arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// binance, okx, bybit, gateio, htx or gemini.
    #[arg(long)]
    venue: String,
    /// Environment variable holding the API secret (the secret is never printed).
    #[arg(long)]
    secret_env: String,
    /// API key (Bybit signs it; HTX's AccessKeyId).
    #[arg(long)]
    api_key: Option<String>,
    /// Timestamp as the venue writes it (ms, s or ISO 8601).
    #[arg(long)]
    timestamp: Option<String>,
    /// HTTP method.
    #[arg(long)]
    method: Option<String>,
    /// Host (HTX).
    #[arg(long)]
    host: Option<String>,
    /// Request path.
    #[arg(long)]
    path: Option<String>,
    /// Query string without '?' (HTX: the request parameters; the signer adds its own).
    #[arg(long)]
    query: Option<String>,
    /// Request body (Gemini: the JSON payload).
    #[arg(long)]
    body: Option<String>,
    /// Receive window (Bybit).
    #[arg(long)]
    recv_window: Option<String>,
}

impl Args {
    /// Runs the command.
    pub(crate) fn run(self, _ctx: Ctx) -> Result<()> {
        let Args { venue, secret_env, api_key, timestamp, method, host, path, query, body, recv_window } = self;
        {
            use mdbus_tools::sign::{SignInput, sign};
            let Ok(secret) = std::env::var(&secret_env) else {
                bail!("environment variable {secret_env} (--secret-env) is not set");
            };
            let input = SignInput { api_key, timestamp, method, host, path, query, body, recv_window };
            println!("{}", sign(&venue, &secret, &input)?);
        }
        Ok(())
    }
}
