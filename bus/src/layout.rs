//! Ring file layout: a 4 KiB header of 64-bit words, then `capacity` slots.
//!
//! | word | byte | field | written |
//! |---|---|---|---|
//! | 0 | 0 | magic `MDBUSRNG` | at creation |
//! | 1 | 8 | format version | at creation |
//! | 2 | 16 | layout hash of the records | at creation |
//! | 3 | 24 | record (slot) size in bytes | at creation |
//! | 4 | 32 | capacity in slots (power of two) | at creation |
//! | 5 | 40 | record kind | at creation |
//! | 6 | 48 | creation time, ns since the epoch | at creation |
//! | 7 | 56 | init word `RINGINIT`, stored last with Release | at creation |
//! | 16 | 128 | writer pid | by each writer at start |
//! | 17 | 136 | writer generation (1, 2, ...) | by each writer at start |
//! | 32 | 256 | writer heartbeat, ns since the epoch | on every publish |
//! | 48 | 384 | head: sequence of the next record | on every publish |
//!
//! The mutable groups each sit in their own 128-byte block (the adjacent-line prefetcher pairs
//! 64-byte lines). Slot `i` starts at byte `4096 + i × record_size`; its first word is the slot
//! sequence: `2n + 1` while record `n` is being written, `2n + 2` once it is published, 0 before
//! the first lap. The record's own first word (`Header::seq`) is therefore never stored: readers
//! find `n` there.

use mdbus_schemas::{Kind, LAYOUT_HASH};

use crate::{OpenError, sync::AtomicU64, sync::Ordering};

pub(crate) const MAGIC: u64 = u64::from_le_bytes(*b"MDBUSRNG");
pub(crate) const FORMAT_VERSION: u64 = 1;
pub(crate) const INIT_DONE: u64 = u64::from_le_bytes(*b"RINGINIT");

pub(crate) const W_MAGIC: usize = 0;
pub(crate) const W_VERSION: usize = 1;
pub(crate) const W_LAYOUT: usize = 2;
pub(crate) const W_RECORD_SIZE: usize = 3;
pub(crate) const W_CAPACITY: usize = 4;
pub(crate) const W_KIND: usize = 5;
pub(crate) const W_CREATED: usize = 6;
pub(crate) const W_INIT: usize = 7;
pub(crate) const W_PID: usize = 16;
pub(crate) const W_GENERATION: usize = 17;
pub(crate) const W_HEARTBEAT: usize = 32;
pub(crate) const W_HEAD: usize = 48;

/// Size of the header in 64-bit words (4 KiB).
pub(crate) const HEADER_WORDS: usize = 512;
/// Size of the header in bytes.
pub const HEADER_BYTES: usize = HEADER_WORDS * 8;

/// Word of a record that holds `Header::publish_ts`.
pub(crate) const PUBLISH_TS_WORD: usize = 5;

/// Largest capacity a ring may have.
pub const MAX_CAPACITY: u64 = 1 << 32;

/// The largest sequence a ring's head or a reader's position may hold: far beyond what any
/// writer reaches (2^62 records at a billion a second take 146 years), and small enough that
/// a slot's sequence word (`2n + 2`) never overflows.
pub const MAX_SEQ: u64 = 1 << 62;

/// Shape of a validated ring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Geometry {
    pub(crate) kind: Kind,
    pub(crate) record_size: usize,
    pub(crate) slot_words: usize,
    pub(crate) capacity: u64,
    pub(crate) mask: u64,
}

impl Geometry {
    /// Checks a kind and capacity requested by a writer.
    pub(crate) fn new(kind: Kind, capacity: u64) -> Result<Geometry, OpenError> {
        let Some(record_size) = kind.record_size() else {
            return Err(OpenError::UnknownKind(u64::from(kind.0)));
        };
        if !capacity.is_power_of_two() || !(2..=MAX_CAPACITY).contains(&capacity) {
            return Err(OpenError::BadCapacity(capacity));
        }
        Ok(Geometry { kind, record_size, slot_words: record_size / 8, capacity, mask: capacity - 1 })
    }

    /// Total length of a ring with this geometry, in words.
    pub(crate) fn total_words(&self) -> usize {
        HEADER_WORDS + self.capacity as usize * self.slot_words
    }

    /// First word of the slot that holds sequence `n`.
    #[inline]
    pub(crate) fn slot_base(&self, n: u64) -> usize {
        HEADER_WORDS + (n & self.mask) as usize * self.slot_words
    }
}

/// Writes a fresh header; the init word goes last, with Release, so an opener that sees it also
/// sees every other field.
pub(crate) fn init_header(words: &[AtomicU64], geo: &Geometry, created_ns: u64) {
    // Relaxed: none of these stores is read before the Release store of the init word below.
    words[W_MAGIC].store(MAGIC, Ordering::Relaxed);
    words[W_VERSION].store(FORMAT_VERSION, Ordering::Relaxed);
    words[W_LAYOUT].store(LAYOUT_HASH, Ordering::Relaxed);
    words[W_RECORD_SIZE].store(geo.record_size as u64, Ordering::Relaxed);
    words[W_CAPACITY].store(geo.capacity, Ordering::Relaxed);
    words[W_KIND].store(u64::from(geo.kind.0), Ordering::Relaxed);
    words[W_CREATED].store(created_ns, Ordering::Relaxed);
    words[W_GENERATION].store(0, Ordering::Relaxed);
    words[W_HEAD].store(0, Ordering::Relaxed);
    // SYNC POINT: header visible to openers (pairs with the Acquire load in `validate`).
    words[W_INIT].store(INIT_DONE, Ordering::Release);
}

/// Validates a header over `words` (the whole file) and returns the ring's geometry.
#[cfg_attr(loom, allow(dead_code))]
pub(crate) fn validate(words: &[AtomicU64], len: u64) -> Result<Geometry, OpenError> {
    if words.len() < HEADER_WORDS {
        return Err(OpenError::Truncated { len, expected: HEADER_BYTES as u64 });
    }
    // Relaxed for the magic and version: they only decide whether to go on; the init word's
    // Acquire below orders every later read of the header.
    let magic = words[W_MAGIC].load(Ordering::Relaxed);
    if magic != MAGIC {
        return Err(OpenError::BadMagic { found: magic });
    }
    let version = words[W_VERSION].load(Ordering::Relaxed);
    if version != FORMAT_VERSION {
        return Err(OpenError::VersionMismatch { found: version, expected: FORMAT_VERSION });
    }
    // SYNC POINT: header visible to openers (pairs with the Release store in `init_header`).
    if words[W_INIT].load(Ordering::Acquire) != INIT_DONE {
        return Err(OpenError::NotInitialized);
    }
    let layout = words[W_LAYOUT].load(Ordering::Relaxed);
    if layout != LAYOUT_HASH {
        return Err(OpenError::LayoutMismatch { found: layout, expected: LAYOUT_HASH });
    }
    let kind_word = words[W_KIND].load(Ordering::Relaxed);
    let kind = u8::try_from(kind_word).map(Kind).map_err(|_| OpenError::UnknownKind(kind_word))?;
    let Some(expected_size) = kind.record_size() else {
        return Err(OpenError::UnknownKind(kind_word));
    };
    let record_size = words[W_RECORD_SIZE].load(Ordering::Relaxed);
    if record_size != expected_size as u64 {
        return Err(OpenError::RecordSizeMismatch { found: record_size, expected: expected_size as u64 });
    }
    let capacity = words[W_CAPACITY].load(Ordering::Relaxed);
    let geo = Geometry::new(kind, capacity)?;
    let expected = geo.total_words() as u64 * 8;
    if len < expected || words.len() < geo.total_words() {
        return Err(OpenError::Truncated { len, expected });
    }
    let head = words[W_HEAD].load(Ordering::Acquire);
    if head > MAX_SEQ {
        return Err(OpenError::BadHead(head));
    }
    Ok(geo)
}
