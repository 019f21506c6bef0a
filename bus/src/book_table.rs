//! The latest book of every instrument of a feed, in shared memory: `<feed>.books` beside the
//! feed's rings. The feeder writes each instrument's top levels after every book update, in
//! the same step that publishes the records; a reader copies one instrument's book at any time
//! without replaying the ring, and can then follow the ring from the sequence the copy
//! includes.
//!
//! Layout (64-bit words): a header of 8 (magic, version, depth `N`, instrument count, slot size,
//! heartbeat, writer pid, init word written last), then one slot per instrument of
//! `8 + 4N` words rounded up to whole cache lines: a seqlock word, the instrument id, state and
//! level counts, the venue sequence, the ring sequence of the last book record included, the
//! venue, receive and publish times, then `N` bids and `N` asks as (price, quantity) mantissas.
//!
//! Each slot is its own seqlock: the writer marks it odd, stores, then publishes the next even
//! value; a reader copies the slot and keeps the copy only if the word was even and unchanged,
//! so it never sees a torn book, and the writer never waits. Readers map the file read-only.
//! A reader retries a slot caught mid-update, and gives up (calling the book stale) only if the
//! slot stays busy for thousands of tries: a writer that died mid-update, or one rewriting the
//! slot back to back with no gap (a feeder writes it once per venue message).

use std::{
    fs::{self, OpenOptions},
    os::unix::fs::{OpenOptionsExt, PermissionsExt},
    path::{Path, PathBuf},
    sync::atomic::{AtomicU64, Ordering, fence},
};

use mdbus_schemas::{InstrumentId, Nanos};

use crate::{OpenError, clock::now_ns, region::Region};

const MAGIC: u64 = u64::from_le_bytes(*b"MDBBOOKT");
const VERSION: u64 = 1;
const INIT: u64 = u64::from_le_bytes(*b"BOOKINIT");
const HEADER_WORDS: usize = 8;
const H_MAGIC: usize = 0;
const H_VERSION: usize = 1;
const H_DEPTH: usize = 2;
const H_COUNT: usize = 3;
const H_SLOT: usize = 4;
const H_HEARTBEAT: usize = 5;
const H_PID: usize = 6;
const H_INIT: usize = 7;
const S_SEQ: usize = 0;
const S_ID: usize = 1;
const S_STATE: usize = 2;
const S_VENUE_SEQ: usize = 3;
const S_RING_SEQ: usize = 4;
const S_VENUE_TS: usize = 5;
const S_RECV_TS: usize = 6;
const S_PUBLISH_TS: usize = 7;
const S_LEVELS: usize = 8;

/// The deepest book a table holds, in levels a side.
pub const MAX_TABLE_DEPTH: usize = 1000;
/// Most instruments one table holds.
pub const MAX_TABLE_INSTRUMENTS: usize = 65_536;
/// How long a table's writer may be silent before readers call its books stale.
pub const STALE_AFTER_NS: u64 = 2_000_000_000;
/// How often a reader retries a slot the writer is rewriting before it gives up on it.
const READ_ATTEMPTS: usize = 10_000;

/// What a book in the table is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BookState {
    /// The writer has not had this book in sync since it started.
    Unsynced,
    /// In sync: the levels are the venue's book as of `venue_seq`.
    Live,
    /// Out of sync (a gap, a reconnect, a replacement under way): the levels are the last
    /// good ones, kept until the book is in sync again.
    Resyncing,
    /// The writer is dead or silent: nothing here is being kept up to date.
    Stale,
}

impl BookState {
    fn code(self) -> u64 {
        match self {
            BookState::Unsynced => 0,
            BookState::Live => 1,
            BookState::Resyncing => 2,
            BookState::Stale => 3,
        }
    }

    fn from_code(c: u64) -> BookState {
        match c {
            1 => BookState::Live,
            2 => BookState::Resyncing,
            3 => BookState::Stale,
            _ => BookState::Unsynced,
        }
    }

    /// Lowercase name: `unsynced`, `live`, `resyncing`, `stale`.
    pub fn name(self) -> &'static str {
        match self {
            BookState::Unsynced => "unsynced",
            BookState::Live => "live",
            BookState::Resyncing => "resyncing",
            BookState::Stale => "stale",
        }
    }
}

/// One instrument's book as copied out of a table: reuse it across reads, so reading
/// allocates nothing once its vectors have grown to the table's depth.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BookCopy {
    /// The instrument.
    pub instrument: InstrumentId,
    /// Its state (stale when the writer is gone, whatever the slot says).
    pub state: Option<BookState>,
    /// The venue's update id the levels include.
    pub venue_seq: u64,
    /// The sequence, in the feed's book ring, of the last record the levels include: follow
    /// the ring from `ring_seq + 1`.
    pub ring_seq: u64,
    /// The venue's time of the last update.
    pub venue_ts: Nanos,
    /// When the last update was received.
    pub recv_ts: Nanos,
    /// When the last update was published.
    pub publish_ts: Nanos,
    /// Bids, best first: (price, quantity) mantissas.
    pub bids: Vec<(i64, i64)>,
    /// Asks, best first.
    pub asks: Vec<(i64, i64)>,
}

/// What the writer stores for one instrument.
#[derive(Debug, Clone, Copy)]
pub struct BookUpdate<'a> {
    /// The book's state.
    pub state: BookState,
    /// The venue's update id the levels include.
    pub venue_seq: u64,
    /// The book ring's sequence of the last record the levels include.
    pub ring_seq: u64,
    /// The venue's time of the update.
    pub venue_ts: Nanos,
    /// When it was received.
    pub recv_ts: Nanos,
    /// When it was published.
    pub publish_ts: Nanos,
    /// Bids, best first (only the first `depth` are kept); `None` keeps the stored levels.
    pub bids: Option<&'a [(i64, i64)]>,
    /// Asks, best first; `None` keeps the stored levels.
    pub asks: Option<&'a [(i64, i64)]>,
}

fn slot_words(depth: usize) -> usize {
    (S_LEVELS + 4 * depth).div_ceil(8) * 8
}

fn io<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> OpenError + 'a {
    move |source| OpenError::Io { op, path: path.to_path_buf(), source }
}

/// The writer of a feed's book table.
#[derive(Debug)]
pub struct BookTableWriter {
    region: Region,
    depth: usize,
    slot: usize,
    count: usize,
    path: PathBuf,
}

impl BookTableWriter {
    /// Creates the table at `path` (replacing one an earlier run left: its readers keep their
    /// copy of it, which goes stale) for `instruments` at `depth` levels a side, mode 0640.
    /// Every book starts [`BookState::Unsynced`].
    ///
    /// # Errors
    ///
    /// [`OpenError::BadCapacity`] for a depth of 0 or above [`MAX_TABLE_DEPTH`], or no or too
    /// many instruments; [`OpenError::Io`] when the file cannot be made (a full disk
    /// included: its space is reserved at creation).
    pub fn create(path: impl AsRef<Path>, instruments: &[InstrumentId], depth: usize) -> Result<Self, OpenError> {
        let path = path.as_ref();
        if !(1..=MAX_TABLE_DEPTH).contains(&depth) {
            return Err(OpenError::BadCapacity(depth as u64));
        }
        if !(1..=MAX_TABLE_INSTRUMENTS).contains(&instruments.len()) {
            return Err(OpenError::BadCapacity(instruments.len() as u64));
        }
        let slot = slot_words(depth);
        let words = HEADER_WORDS + slot * instruments.len();
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        fs::create_dir_all(dir).map_err(io("create directory", dir))?;
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("books");
        let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let result = (|| {
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o640)
                .open(&tmp)
                .map_err(io("create", &tmp))?;
            file.set_permissions(fs::Permissions::from_mode(0o640)).map_err(io("chmod", &tmp))?;
            crate::shm::reserve(&file, words as u64 * 8).map_err(io("reserve space for", &tmp))?;
            let region = crate::shm::map_file_read_write(&file, &tmp)?;
            let w = region.words();
            for (i, id) in instruments.iter().enumerate() {
                w[HEADER_WORDS + i * slot + S_ID].store(u64::from(id.0), Ordering::Relaxed);
            }
            w[H_MAGIC].store(MAGIC, Ordering::Relaxed);
            w[H_VERSION].store(VERSION, Ordering::Relaxed);
            w[H_DEPTH].store(depth as u64, Ordering::Relaxed);
            w[H_COUNT].store(instruments.len() as u64, Ordering::Relaxed);
            w[H_SLOT].store(slot as u64, Ordering::Relaxed);
            w[H_HEARTBEAT].store(now_ns(), Ordering::Relaxed);
            w[H_PID].store(u64::from(std::process::id()), Ordering::Relaxed);
            // SYNC POINT: table initialised (pairs with the Acquire load in `BookTable::open`).
            w[H_INIT].store(INIT, Ordering::Release);
            fs::rename(&tmp, path).map_err(io("rename", path))?;
            Ok(region)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        Ok(BookTableWriter { region: result?, depth, slot, count: instruments.len(), path: path.to_path_buf() })
    }

    /// Returns the table's depth in levels a side.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Returns the file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Marks the writer alive (call it from an idle loop; readers call a table whose heartbeat
    /// is older than [`STALE_AFTER_NS`] stale).
    pub fn heartbeat(&self) {
        // Relaxed: advisory, read by readers for staleness only.
        self.region.words()[H_HEARTBEAT].store(now_ns(), Ordering::Relaxed);
    }

    /// Changes the instrument of slot `index` (a relisting under a new id). No-op out of range.
    pub fn set_instrument(&self, index: usize, id: InstrumentId) {
        if index < self.count {
            self.write(index, |s| s[S_ID].store(u64::from(id.0), Ordering::Relaxed));
        }
    }

    /// Stores `u` as the book of slot `index` (the instrument's position in the table). Takes
    /// no lock, allocates nothing, makes no system call. No-op out of range.
    #[inline]
    pub fn update(&self, index: usize, u: &BookUpdate<'_>) {
        if index >= self.count {
            return;
        }
        let depth = self.depth;
        self.write(index, |s| {
            let old = s[S_STATE].load(Ordering::Relaxed);
            let (mut nb, mut na) = ((old >> 8) & 0xffff, (old >> 24) & 0xffff);
            for (side, levels, n) in [(0, u.bids, &mut nb), (1, u.asks, &mut na)] {
                let Some(levels) = levels else { continue };
                let base = S_LEVELS + side * 2 * depth;
                let k = levels.len().min(depth);
                for (i, &(p, q)) in levels[..k].iter().enumerate() {
                    s[base + 2 * i].store(p as u64, Ordering::Relaxed);
                    s[base + 2 * i + 1].store(q as u64, Ordering::Relaxed);
                }
                *n = k as u64;
            }
            s[S_STATE].store(u.state.code() | nb << 8 | na << 24, Ordering::Relaxed);
            s[S_VENUE_SEQ].store(u.venue_seq, Ordering::Relaxed);
            s[S_RING_SEQ].store(u.ring_seq, Ordering::Relaxed);
            s[S_VENUE_TS].store(u.venue_ts.0, Ordering::Relaxed);
            s[S_RECV_TS].store(u.recv_ts.0, Ordering::Relaxed);
            s[S_PUBLISH_TS].store(u.publish_ts.0, Ordering::Relaxed);
        });
    }

    /// Runs `f` on slot `index` inside its seqlock.
    #[inline]
    fn write(&self, index: usize, f: impl FnOnce(&[AtomicU64])) {
        let base = HEADER_WORDS + index * self.slot;
        let s = &self.region.words()[base..base + self.slot];
        // Relaxed: only this writer stores the sequence word.
        let seq = s[S_SEQ].load(Ordering::Relaxed);
        s[S_SEQ].store(seq.wrapping_add(1) | 1, Ordering::Relaxed);
        // SYNC POINT: slot being written; the odd word is visible before any field changes.
        fence(Ordering::Release);
        f(s);
        // SYNC POINT: slot published (pairs with the reader's Acquire load and fence).
        s[S_SEQ].store((seq | 1).wrapping_add(1), Ordering::Release);
    }
}

/// A feed's book table, mapped read-only.
#[derive(Debug)]
pub struct BookTable {
    region: Region,
    depth: usize,
    slot: usize,
    count: usize,
}

impl BookTable {
    /// Opens the table at `path` read-only.
    ///
    /// # Errors
    ///
    /// [`OpenError::Io`] for a missing or unreadable file, [`OpenError::NotARegularFile`],
    /// [`OpenError::Truncated`], [`OpenError::BadMagic`], [`OpenError::VersionMismatch`],
    /// [`OpenError::NotInitialized`] or [`OpenError::BadCapacity`] for a damaged header.
    pub fn open(path: impl AsRef<Path>) -> Result<BookTable, OpenError> {
        let (region, len) = crate::shm::map_path_read_only(path.as_ref(), (HEADER_WORDS * 8) as u64)?;
        let w = region.words();
        if w[H_MAGIC].load(Ordering::Relaxed) != MAGIC {
            return Err(OpenError::BadMagic { found: w[H_MAGIC].load(Ordering::Relaxed) });
        }
        let version = w[H_VERSION].load(Ordering::Relaxed);
        if version != VERSION {
            return Err(OpenError::VersionMismatch { found: version, expected: VERSION });
        }
        // SYNC POINT: table initialised (pairs with the writer's Release store).
        if w[H_INIT].load(Ordering::Acquire) != INIT {
            return Err(OpenError::NotInitialized);
        }
        let depth = w[H_DEPTH].load(Ordering::Relaxed);
        let count = w[H_COUNT].load(Ordering::Relaxed);
        let slot = w[H_SLOT].load(Ordering::Relaxed);
        if !(1..=MAX_TABLE_DEPTH as u64).contains(&depth) || slot != slot_words(depth as usize) as u64 {
            return Err(OpenError::BadCapacity(depth));
        }
        if !(1..=MAX_TABLE_INSTRUMENTS as u64).contains(&count) {
            return Err(OpenError::BadCapacity(count));
        }
        let expected = (HEADER_WORDS as u64 + slot * count) * 8;
        if len < expected || (w.len() as u64) * 8 < expected {
            return Err(OpenError::Truncated { len, expected });
        }
        Ok(BookTable { region, depth: depth as usize, slot: slot as usize, count: count as usize })
    }

    /// Returns the depth in levels a side.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Returns the instruments, in slot order.
    pub fn instruments(&self) -> Vec<InstrumentId> {
        (0..self.count).map(|i| self.id_at(i)).collect()
    }

    fn id_at(&self, index: usize) -> InstrumentId {
        // Relaxed: ids change only on a relisting, and a read is re-checked through the seqlock.
        InstrumentId(self.region.words()[HEADER_WORDS + index * self.slot + S_ID].load(Ordering::Relaxed) as u32)
    }

    /// Whether the writer has been silent longer than [`STALE_AFTER_NS`], or silent for more
    /// than two of its heartbeats (200 ms) with its process gone. Makes a system call only in
    /// the second case: a live writer's heartbeat keeps the check to a clock read.
    pub fn writer_stale(&self) -> bool {
        let w = self.region.words();
        // Relaxed: advisory.
        let age = now_ns().saturating_sub(w[H_HEARTBEAT].load(Ordering::Relaxed));
        age > STALE_AFTER_NS || (age > 200_000_000 && !crate::readers::pid_alive(w[H_PID].load(Ordering::Relaxed)))
    }

    /// Copies the book of `instrument` into `out`, consistent as of one update. Returns
    /// `false` when the table has no such instrument, or the writer kept the slot busy for
    /// longer than a reader waits (it died mid-update: the copy then says stale).
    pub fn read(&self, instrument: InstrumentId, out: &mut BookCopy) -> bool {
        let Some(index) = (0..self.count).find(|&i| self.id_at(i) == instrument) else { return false };
        self.read_at(index, out)
    }

    /// As [`BookTable::read`], for the slot at `index`.
    pub fn read_at(&self, index: usize, out: &mut BookCopy) -> bool {
        if index >= self.count {
            return false;
        }
        let base = HEADER_WORDS + index * self.slot;
        let s = &self.region.words()[base..base + self.slot];
        let stale = self.writer_stale();
        for _ in 0..READ_ATTEMPTS {
            // SYNC POINT: slot published (pairs with the writer's Release store).
            let before = s[S_SEQ].load(Ordering::Acquire);
            if before & 1 == 1 {
                std::hint::spin_loop();
                continue;
            }
            let state = s[S_STATE].load(Ordering::Relaxed);
            let (nb, na) = (((state >> 8) & 0xffff) as usize, ((state >> 24) & 0xffff) as usize);
            if nb > self.depth || na > self.depth {
                // Torn or damaged: try again.
                continue;
            }
            out.instrument = InstrumentId(s[S_ID].load(Ordering::Relaxed) as u32);
            out.venue_seq = s[S_VENUE_SEQ].load(Ordering::Relaxed);
            out.ring_seq = s[S_RING_SEQ].load(Ordering::Relaxed);
            out.venue_ts = Nanos(s[S_VENUE_TS].load(Ordering::Relaxed));
            out.recv_ts = Nanos(s[S_RECV_TS].load(Ordering::Relaxed));
            out.publish_ts = Nanos(s[S_PUBLISH_TS].load(Ordering::Relaxed));
            for (side, n, dst) in [(0, nb, &mut out.bids), (1, na, &mut out.asks)] {
                dst.clear();
                let b = S_LEVELS + side * 2 * self.depth;
                dst.extend((0..n).map(|i| {
                    (s[b + 2 * i].load(Ordering::Relaxed) as i64, s[b + 2 * i + 1].load(Ordering::Relaxed) as i64)
                }));
            }
            // SYNC POINT: the copies above are ordered before the re-check.
            fence(Ordering::Acquire);
            if s[S_SEQ].load(Ordering::Relaxed) == before {
                out.state = Some(if stale { BookState::Stale } else { BookState::from_code(state & 0xff) });
                return true;
            }
        }
        out.state = Some(BookState::Stale);
        false
    }
}
