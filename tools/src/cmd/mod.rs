//! One module per `mdbus` command: its arguments (clap) and what it runs.

pub(crate) mod bench;
pub(crate) mod book;
pub(crate) mod bridge;
pub(crate) mod decode;
pub(crate) mod demo;
pub(crate) mod feed;
pub(crate) mod health;
pub(crate) mod internal;
pub(crate) mod latency;
pub(crate) mod layout;
pub(crate) mod ls;
pub(crate) mod record;
pub(crate) mod replay;
pub(crate) mod rest;
pub(crate) mod sign;
pub(crate) mod sim;
pub(crate) mod stat;
pub(crate) mod tail;

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::ValueEnum;
use mdbus_bus::RingDir;

/// What every command may need besides its arguments.
#[derive(Debug)]
pub(crate) struct Ctx {
    /// The ring directory (`--dir`, else `$MDBUS_DIR`, else /dev/shm/mdbus).
    pub(crate) dir: RingDir,
    /// This program, for the helper processes some commands start.
    pub(crate) exe: PathBuf,
}

/// What the commands share.
pub(crate) mod prelude {
    pub(crate) use std::{
        io::Write,
        path::{Path, PathBuf},
        time::{Duration, Instant},
    };

    pub(crate) use anyhow::{Context, Result, bail};
    pub(crate) use mdbus_bus::{ReadError, Reader, RingDir, Start};
    pub(crate) use mdbus_tools::{bench, demo, format, listing, stats::human_ns};

    pub(crate) use super::{Ctx, From, parse_venues, ring_path};
}

/// Where a reading command starts.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum From {
    /// Only records published from now on.
    Head,
    /// The oldest record still in the ring.
    Oldest,
}

/// The path of ring `ring` in `dir` (a name, or a path as is).
pub(crate) fn ring_path(dir: &RingDir, ring: &str) -> Result<PathBuf> {
    if ring.contains('/') || ring.ends_with(".ring") {
        return Ok(PathBuf::from(ring));
    }
    Ok(dir.ring_path(ring)?)
}

/// `all`, or a comma-separated list of venue names.
pub(crate) fn parse_venues(list: &str) -> Result<Vec<mdbus_sim::SimVenue>> {
    if list == "all" {
        return Ok(mdbus_tools::demo::all_venues());
    }
    list.split(',')
        .map(|v| {
            mdbus_venues::SIM
                .parse(v.trim())
                .with_context(|| format!("unknown venue {v:?} ({}, or all)", mdbus_venues::SIM.names().join(", ")))
        })
        .collect()
}
