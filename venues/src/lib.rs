//! The venues mdbus speaks, one folder each, holding everything the venue differs in: its
//! websocket session (`session`: topics, subscribe requests, limits, keepalives), its frame
//! decoders (`market`, `account`), its private stream (`stream`) and its
//! [`Protocol`](mdbus_feeder::protocol::Protocol) implementation (`protocol`), which is all the
//! feeder's shared machinery knows of it.
//!
//! This crate is where venues are registered: [`ALL`] lists them for the feeder, and the
//! [`Venue`] constants name them for code that wants one in particular.

#[cfg(feature = "bench")]
pub mod bench;
pub mod binance;
pub mod bybit;
pub mod gate;
pub mod gemini;
pub mod htx;
#[cfg(test)]
mod mutate;
pub mod okx;

use mdbus_feeder::venue::{Venue, Venues};
use mdbus_sdk::{
    registry::{Registry, RegistryError},
    signing::Scheme,
};
use mdbus_sim::{SimConfig, SimVenue, SimVenues};

/// Binance spot.
pub const BINANCE_SPOT: Venue = Venue::new(&binance::protocol::SPOT);
/// Binance USD-M futures.
pub const BINANCE_USDM: Venue = Venue::new(&binance::protocol::USDM);
/// OKX v5 public.
pub const OKX: Venue = Venue::new(&okx::protocol::Okx);
/// Bybit v5 spot.
pub const BYBIT_SPOT: Venue = Venue::new(&bybit::protocol::Bybit { linear: false });
/// Bybit v5 linear (USDT perpetuals).
pub const BYBIT_LINEAR: Venue = Venue::new(&bybit::protocol::Bybit { linear: true });
/// HTX spot (gzip frames).
pub const HTX: Venue = Venue::new(&htx::protocol::Htx);
/// Gate.io v4 spot.
pub const GATEIO: Venue = Venue::new(&gate::protocol::Gate);
/// Gemini v2 market data.
pub const GEMINI: Venue = Venue::new(&gemini::protocol::Gemini);

/// The venue tools use when none is named (its configuration name, feeder protocol and simulator
/// dialect).
pub const DEFAULT_NAME: &str = "binance";
/// See [`DEFAULT_NAME`].
pub const DEFAULT: Venue = BINANCE_SPOT;
/// See [`DEFAULT_NAME`].
pub const DEFAULT_SIM: SimVenue = binance::sim::SIM;

/// Every venue, in a fixed order: the registry a program hands the feeder.
pub const ALL: Venues = Venues::new(&[BINANCE_SPOT, BINANCE_USDM, OKX, BYBIT_SPOT, BYBIT_LINEAR, HTX, GATEIO, GEMINI]);

/// Registers every venue's REST feed ([`VenueFeed`](mdbus_sdk::registry::VenueFeed)) in
/// `registry`, under the seed's `VENUE___KIND` keys:
///
/// | key | venue |
/// |---|---|
/// | `BINANCE___SPOT`, `BINANCE___SWAP` | Binance spot, USD-M futures |
/// | `OKX___SPOT` | OKX spot |
/// | `BYBIT___SPOT`, `BYBIT___SWAP` | Bybit spot, linear perpetuals |
/// | `HTX___SPOT` | HTX spot |
/// | `GATEIO___SPOT` | Gate.io spot |
/// | `GEMINI___SPOT` | Gemini |
///
/// ```
/// let registry = mdbus_sdk::registry::Registry::new();
/// mdbus_venues::register_feeds(&registry)?;
/// assert_eq!(registry.keys().len(), 8);
/// # Ok::<(), mdbus_sdk::registry::RegistryError>(())
/// ```
///
/// # Errors
///
/// [`RegistryError`] when a key is already registered.
pub fn register_feeds(registry: &Registry) -> Result<(), RegistryError> {
    binance::rest::register(registry)?;
    okx::rest::register(registry)?;
    bybit::rest::register(registry)?;
    htx::rest::register(registry)?;
    gate::rest::register(registry)?;
    gemini::rest::register(registry)
}

/// Every venue's signing scheme, for signing by venue name.
pub const SCHEMES: [Scheme; 6] = [
    binance::sign::SCHEME,
    okx::sign::SCHEME,
    bybit::sign::SCHEME,
    gate::sign::SCHEME,
    htx::sign::SCHEME,
    gemini::sign::SCHEME,
];

/// The signing scheme of venue `name` (`binance`, `okx`, `bybit`, `gateio`, `htx`, `gemini`).
///
/// ```
/// use mdbus_sdk::signing::SignInput;
/// let okx = mdbus_venues::scheme("okx").unwrap();
/// let input = SignInput::from_parts(okx.venue, okx.parts, &["2020-12-08T09:08:57.715Z".into(), "GET".into(), "/api/v5/account/balance".into(), "".into()])?;
/// assert_eq!((okx.sign)("s3cr3t", &input)?.len(), 44);
/// # Ok::<(), mdbus_sdk::signing::SignError>(())
/// ```
pub fn scheme(name: &str) -> Option<Scheme> {
    SCHEMES.into_iter().find(|s| s.venue == name)
}

/// Every venue's simulator dialect. The simulator tries their REST endpoints in this order
/// (Gemini's, which carry its header, before HTX's other `/v1/` paths).
pub const SIM: SimVenues = SimVenues::new(&[
    binance::sim::SIM,
    okx::sim::SIM,
    bybit::sim::SIM,
    gate::sim::SIM,
    gemini::sim::SIM,
    htx::sim::SIM,
]);

/// A simulator configuration whose market streams speak `venue`, answering every venue's REST
/// endpoints.
///
/// ```
/// let cfg = mdbus_venues::sim_config(mdbus_venues::okx::sim::SIM);
/// assert_eq!(cfg.symbols, ["BTC-USDT", "ETH-USDT"]);
/// let sim = mdbus_sim::Sim::start(cfg)?;
/// assert!(sim.addr().port() > 0);
/// # Ok::<(), mdbus_sim::SimError>(())
/// ```
pub fn sim_config(venue: SimVenue) -> SimConfig {
    SimConfig::new(venue, SIM)
}
