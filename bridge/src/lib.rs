//! Rings beyond one host. `mdbus bridge out` reads the rings of a directory and publishes each
//! on an Aeron channel as its own stream, with the instrument table; `mdbus bridge in`
//! receives them and writes rings of the same names on another host, each record bit for bit
//! at the sequence number it had on the sending host.
//!
//! - [`wire`]: what travels (records as they are; the control stream's announcements and
//!   instrument table).
//! - [`source`]: the sending side's rings, read from their oldest record on.
//! - [`mirror`]: the receiving side's rings. A record lost on the way (the sending side was
//!   lapped by its ring's writer, or either side restarted) leaves its sequence number holding
//!   a gap marker that counts the run down, so every reader learns exactly what it missed.
//! - `transport` (feature `aeron`): the two loops over Aeron, with an embedded media driver
//!   or an external one.
//!
//! The sending and receiving sides are transport-agnostic and tested without Aeron; the
//! transport is behind the `aeron` feature because Aeron's C sources take a minute to build.
//!
//! # Examples
//!
//! A ring mirrored through the two sides, the network left out:
//!
//! ```
//! use mdbus_bridge::{mirror::MirrorSet, source::Source, wire::Control};
//! use mdbus_bus::{RingDir, RingOptions, Start};
//! use mdbus_schemas::{Kind, Trade};
//!
//! let tmp = std::env::temp_dir().join(format!("mdbus-bridge-doc-{}", std::process::id()));
//! let (a, b) = (RingDir::new(tmp.join("a")), RingDir::new(tmp.join("b")));
//! let mut w = a.writer("x.trade", Kind::TRADE, &RingOptions::default().capacity(64))?;
//! w.publish(&Trade { price: 5, ..Trade::default() })?;
//!
//! let mut source = Source::new(a, "*.trade")?;
//! source.rescan()?;
//! let mut mirrors = MirrorSet::new(b.clone());
//! for ring in source.rings_mut() {
//!     let stream = mirrors.control(&Control::Announce(ring.announce().clone()).to_bytes())?;
//!     let stream = stream.expect("a new ring to subscribe to");
//!     ring.pump(100, 4096, |msg| mirrors.record(stream, msg).is_ok());
//! }
//! let mut r = b.reader("x.trade", Start::Oldest)?;
//! let start = r.try_read()?; // the sending writer's start marker, at sequence 0
//! assert_eq!(start.seq(), 0);
//! let trade = r.try_read()?;
//! assert_eq!((trade.seq(), trade.get::<Trade>().map(|t| t.price)), (1, Some(5)));
//! # drop((w, mirrors)); std::fs::remove_dir_all(tmp)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

pub mod mirror;
pub mod source;
#[cfg(feature = "aeron")]
pub mod transport;
pub mod wire;

use std::path::PathBuf;

/// What can go wrong on either side of a bridge.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BridgeError {
    /// A ring, its directory or the instrument table could not be opened or created.
    #[error(transparent)]
    Open(#[from] mdbus_bus::OpenError),
    /// A message that is not a valid control message or record.
    #[error("bad bridge message: {0}")]
    Wire(#[from] wire::WireError),
    /// A received instrument table that does not load.
    #[error("bad instrument table: {0}")]
    Table(#[from] mdbus_schemas::TableError),
    /// A received record the mirror cannot hold.
    #[error("ring {ring}: {source}")]
    Publish {
        /// The ring.
        ring: String,
        /// Why.
        source: mdbus_bus::PublishError,
    },
    /// A file operation failed.
    #[error("cannot {op} {path}: {source}")]
    Io {
        /// What was being done.
        op: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A malformed `--rings` pattern.
    #[error("bad ring pattern {pattern:?}: {reason}")]
    Pattern {
        /// The pattern.
        pattern: String,
        /// Why.
        reason: String,
    },
    /// Two ring names share a stream id.
    #[error("rings {a} and {b} both hash to stream {stream}: rename one")]
    StreamClash {
        /// The ring that has the stream.
        a: String,
        /// The ring that wanted it.
        b: String,
        /// The stream id.
        stream: i32,
    },
    /// A record arrived on a stream no ring was announced on.
    #[error("record on stream {0}, which no ring was announced on")]
    UnknownStream(i32),
    /// The mirror's slots differ from the sending ring's.
    #[error("ring {ring}: mirror slots are {mirror} bytes, the sender's {sender}")]
    RecordSize {
        /// The ring.
        ring: String,
        /// The mirror's slot size.
        mirror: usize,
        /// The sending ring's slot size.
        sender: usize,
    },
    /// Aeron refused or failed.
    #[error("aeron: {0}")]
    Aeron(String),
}
