//! `mdbus bench order`: the round trip of place ► ack against the local simulator over HTTPS,
//! on a warm keep-alive connection and on a cold one (new TCP connection and TLS handshake per
//! order), in the same run.

use std::time::{Duration, Instant};

use mdbus_sdk::{
    credentials::Credentials,
    order::{NewOrder, Placed, Side},
    registry::{FeedOptions, Registry},
};
use serde_json::{Value, json};

use mdbus_sim::{
    Sim, SimConfig,
    exchange::{ExchangeConfig, default_account},
};

use crate::stats::{Summary, new_histogram};

/// Runs `orders` placements warm, then `orders` cold, and returns the percentiles (µs).
///
/// # Errors
///
/// When the simulator cannot start or an order is not accepted.
pub fn run(orders: u32) -> Result<Value, String> {
    let sim = Sim::start(SimConfig {
        tls: true,
        tick: Duration::from_millis(50),
        exchange: ExchangeConfig::default(),
        ..mdbus_venues::sim_config(mdbus_venues::DEFAULT_SIM)
    })
    .map_err(|e| e.to_string())?;
    let pem = sim.cert_pem().unwrap_or_default().to_owned();
    let acct = default_account();
    let creds = Credentials::new(acct.api_key, acct.secret, None).map_err(|e| e.to_string())?;
    let url = format!("https://localhost:{}", sim.addr().port());
    let registry = Registry::new();
    mdbus_venues::register_feeds(&registry).map_err(|e| e.to_string())?;
    let opts = FeedOptions::default().param("rest_url", &url).param("extra_pem", &pem).credentials(creds);
    let key = mdbus_venues::DEFAULT.registry_key();
    let symbol = mdbus_venues::DEFAULT_SIM.default_symbols()[0];
    let mut feed = registry.create(key, &opts).map_err(|e| e.to_string())?;
    let client = feed.order_client().ok_or_else(|| format!("{key} has no order client"))?;
    let mut measure = |cold: bool| -> Result<Summary, String> {
        let mut h = new_histogram();
        for i in 0..orders + orders / 10 {
            // Cold: the connection is dropped, so every order opens a new one (TCP and TLS).
            if cold {
                client.disconnect();
            }
            let order = NewOrder::limit(
                symbol,
                Side::Buy,
                "0.001".parse().map_err(|_| "qty")?,
                "50000".parse().map_err(|_| "px")?,
            );
            let t0 = Instant::now();
            let placed = client.place(&order).map_err(|e| e.to_string())?;
            let ns = t0.elapsed().as_nanos() as u64;
            if !matches!(placed, Placed::Accepted(_)) {
                return Err(format!("order {i} was not accepted: {placed:?}"));
            }
            // The first tenth warms caches (and the warm connection) and is not recorded.
            if i >= orders / 10 {
                let _ = h.record(ns.max(1));
            }
        }
        Ok(Summary::of(&h))
    };
    let warm = measure(false)?;
    let cold = measure(true)?;
    let us = |ns: u64| (ns as f64 / 100.0).round() / 10.0;
    Ok(json!({
        "venue": key,
        "orders": orders,
        "warm_p50_us": us(warm.p50),
        "warm_p99_us": us(warm.p99),
        "cold_p50_us": us(cold.p50),
        "cold_p99_us": us(cold.p99),
        "cold_over_warm_p50": ((cold.p50 as f64 / warm.p50.max(1) as f64) * 10.0).round() / 10.0,
        "orders_placed": sim.exchange().orders_placed(),
    }))
}
