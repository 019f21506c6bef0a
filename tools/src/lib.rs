//! The library behind the `mdbus` program: record formatting, ring listing, latency
//! statistics, the demo and the benchmarks. The binary is a thin command-line layer over it.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod bench;
pub mod bench_all;
#[cfg(feature = "aeron")]
pub mod bench_bridge;
pub mod bench_e2e;
pub mod bench_idle;
#[cfg(feature = "iceoryx2")]
pub mod bench_iox;
pub mod bench_limiter;
pub mod bench_order;
pub mod book;
pub mod decode;
pub mod demo;
pub mod format;
pub mod health;
pub mod latency;
pub mod layout;
pub mod listing;
pub mod metrics;
pub mod replay;
pub mod rest;
pub mod sign;
pub mod stat;
pub mod stats;
