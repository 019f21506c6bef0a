//! The venues mdbus speaks, one folder each, holding everything the venue differs in: its
//! websocket session (`session`: topics, subscribe requests, limits, keepalives), its frame
//! decoders (`market`, `account`), its private stream (`stream`) and its
//! [`Protocol`](mdbus_feeder::protocol::Protocol) implementation (`protocol`), which is all the
//! feeder's shared machinery knows of it.
//!
//! This crate is where venues are registered: [`ALL`] lists them for the feeder, and the
//! [`Venue`] constants name them for code that wants one in particular.

pub mod binance;
pub mod bybit;
pub mod gate;
pub mod gemini;
pub mod htx;
pub mod okx;

use mdbus_feeder::venue::{Venue, Venues};

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

/// Every venue, in a fixed order: the registry a program hands the feeder.
pub const ALL: Venues = Venues::new(&[BINANCE_SPOT, BINANCE_USDM, OKX, BYBIT_SPOT, BYBIT_LINEAR, HTX, GATEIO, GEMINI]);
