//! Typed errors of the bus.

use std::{io, path::PathBuf};

/// Errors from creating or opening a ring.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// A file operation failed.
    #[error("{op} {path}: {source}")]
    Io {
        /// What was being done.
        op: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The file is shorter than its header says it must be.
    #[error("ring file truncated: {len} bytes, {expected} expected")]
    Truncated {
        /// Bytes present.
        len: u64,
        /// Bytes needed.
        expected: u64,
    },
    /// The file does not start with the ring magic.
    #[error("not an mdbus ring (magic {found:#018x})")]
    BadMagic {
        /// The first word of the file.
        found: u64,
    },
    /// The ring was written with another format version.
    #[error("ring format version {found}, this build reads version {expected}")]
    VersionMismatch {
        /// Version in the file.
        found: u64,
        /// Version of this build.
        expected: u64,
    },
    /// The ring's creator has not finished initialising it (or died doing so).
    #[error("ring is not initialised")]
    NotInitialized,
    /// The ring's records have another layout than this build's.
    #[error("ring layout hash {found:#018x} differs from this build's {expected:#018x}: rebuild the reader")]
    LayoutMismatch {
        /// Hash in the file.
        found: u64,
        /// Hash of this build.
        expected: u64,
    },
    /// The ring's record kind is unknown to this build.
    #[error("ring record kind {0} is unknown")]
    UnknownKind(u64),
    /// The ring's record size does not match its record kind.
    #[error("ring record size {found} does not match its kind ({expected} bytes)")]
    RecordSizeMismatch {
        /// Size in the file.
        found: u64,
        /// Size of the kind.
        expected: u64,
    },
    /// The capacity is not a power of two between 2 and 2^32.
    #[error("ring capacity {0} is not a power of two between 2 and 2^32")]
    BadCapacity(u64),
    /// An existing ring does not match what the writer asked for.
    #[error("existing ring has {what} {found}, the writer asked for {requested}")]
    Incompatible {
        /// The mismatching property.
        what: &'static str,
        /// Value in the ring.
        found: u64,
        /// Value requested.
        requested: u64,
    },
    /// Another live process holds the ring's writer lock.
    #[error("another writer (pid {pid}) holds the ring")]
    WriterAlive {
        /// Pid recorded in the ring header.
        pid: u64,
    },
    /// The ring name is empty, too long or has characters outside `[A-Za-z0-9._-]`.
    #[error("invalid ring name {0:?}: use 1-100 characters from [A-Za-z0-9._-]")]
    InvalidName(String),
    /// The path names something other than a regular file (a FIFO, a directory, a device, a
    /// socket): it is not opened, so nothing waits on it.
    #[error("{path} is a {found}, not a ring file")]
    NotARegularFile {
        /// The path.
        path: PathBuf,
        /// What it is.
        found: &'static str,
    },
    /// The header's head (the number of records published) is beyond any sequence a ring
    /// can reach.
    #[error("ring head {0} is out of range (at most {max})", max = crate::layout::MAX_SEQ)]
    BadHead(u64),
    /// A reader was asked to start at a sequence beyond any a ring can reach.
    #[error("start sequence {0} is out of range (at most {max})", max = crate::layout::MAX_SEQ)]
    BadStart(u64),
}

/// Why [`Reader::try_read`](crate::Reader::try_read) returned no record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// Nothing new has been published; try again.
    #[error("no new record")]
    Empty,
    /// The writer lapped this reader: `lost` records were overwritten before they were read.
    /// The reader now stands an eighth of the ring past the oldest record still intact, clear of
    /// the writer; the records it skipped to get there are counted in `lost`.
    #[error("reader overrun: {lost} records lost")]
    Overrun {
        /// Number of records skipped, exactly.
        lost: u64,
    },
}

/// Errors from [`Writer::publish`](crate::Writer::publish).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PublishError {
    /// The record is larger than the ring's slots.
    #[error("record of {size} bytes does not fit the ring's {record_size}-byte slots")]
    TooLarge {
        /// Size of the record.
        size: usize,
        /// Record size of the ring.
        record_size: usize,
    },
    /// A mirrored record's sequence number is beyond any a ring can hold.
    #[error("sequence number {seq} is beyond the largest a ring can hold")]
    BadSequence {
        /// The sequence number.
        seq: u64,
    },
}
