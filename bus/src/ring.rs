//! The ring algorithm: single writer, many readers, seqlock slots, overwrite on lap.
//!
//! This module is safe code over [`Region::words`]; it runs the same over a shared file mapping
//! and over heap memory, which is how loom checks it.

use mdbus_schemas::{Header, Kind, Marker, MarkerCode, Record, RecordView, ViewError};
use zerocopy::IntoBytes;

use crate::{
    OpenError, PublishError, ReadError,
    bell::{Bell, Rung},
    clock::now_ns,
    layout::{self, Geometry, PUBLISH_TS_WORD, W_GENERATION, W_HEAD, W_HEARTBEAT, W_PID},
    region::Region,
    sync::{Ordering, fence},
};

/// The single writer of a ring. `Send` but not `Sync` or `Clone`: one writer per ring, enforced
/// across processes by the ring's lock file.
///
/// Publishing never waits for readers: a reader that falls more than a ring's capacity behind
/// is told how many records it lost ([`ReadError::Overrun`]).
#[derive(Debug)]
pub struct Writer {
    region: Region,
    geo: Geometry,
    next: u64,
    generation: u64,
    /// When the previous writer of this ring was last active (ns; 0 for a new ring).
    previous_active_ns: u64,
    // Held for the writer's lifetime: the lock file whose flock marks this writer as alive.
    _lock: Option<std::fs::File>,
    /// The ring's doorbell, rung after a publish when a reader sleeps on it.
    bell: Option<Bell>,
}

impl Writer {
    /// Takes over a validated region: recovers the head after a crash, bumps the generation,
    /// records the pid and, unless it mirrors another ring, publishes a
    /// [`MarkerCode::WRITER_STARTED`] marker.
    pub(crate) fn start(
        region: Region,
        geo: Geometry,
        lock: Option<std::fs::File>,
        bell: Option<Bell>,
        start_marker: bool,
    ) -> Writer {
        let words = region.words();
        // Relaxed: this process holds the writer lock, so no other process stores these words;
        // the previous writer's stores were ordered before its death by the lock hand-over.
        let mut head = words[W_HEAD].load(Ordering::Relaxed);
        // A writer that died between publishing a slot and advancing the head left a committed
        // slot at `head`: count it, so it is neither rewritten nor lost.
        for _ in 0..geo.capacity {
            let seq = words[geo.slot_base(head)].load(Ordering::Relaxed);
            if seq != 2 * head + 2 {
                break;
            }
            head += 1;
        }
        words[W_HEAD].store(head, Ordering::Release);
        // Relaxed: as above. The previous writer stamped it at its last publish or heartbeat.
        let previous_active_ns = if head > 0 { words[W_HEARTBEAT].load(Ordering::Relaxed) } else { 0 };
        // Wrapping: a damaged header's generation must not stop a writer (it only has to
        // change).
        let generation = words[W_GENERATION].load(Ordering::Relaxed).wrapping_add(1);
        words[W_PID].store(u64::from(std::process::id()), Ordering::Relaxed);
        words[W_GENERATION].store(generation, Ordering::Release);
        let mut writer = Writer { region, geo, next: head, generation, previous_active_ns, _lock: lock, bell };
        if start_marker {
            let mut marker = Marker { code: MarkerCode::WRITER_STARTED, detail: generation, ..Marker::default() };
            marker.header.recv_ts = mdbus_schemas::Nanos(now_ns());
            marker.header.flags = mdbus_schemas::flags::NO_VENUE_SEQ | mdbus_schemas::flags::NO_VENUE_TS;
            writer.write(marker.as_bytes(), Stamp::Now);
        }
        writer
    }

    /// Publishes `record`, stamping its `publish_ts` with the current time, and returns the
    /// sequence number it got. Takes no lock, makes no system call, allocates nothing.
    ///
    /// # Errors
    ///
    /// [`PublishError::TooLarge`] when the record is larger than the ring's slots (a quote into
    /// a trade ring). Any record fits a ring of its own kind.
    ///
    /// # Examples
    ///
    /// ```
    /// use mdbus_bus::{HeapRing, ReadError};
    /// use mdbus_schemas::{Kind, RecordView, Trade};
    ///
    /// let (mut writer, ring) = HeapRing::create(Kind::TRADE, 1024)?;
    /// let mut reader = ring.reader();
    /// let seq = writer.publish(&Trade { price: 42, ..Trade::default() })?;
    /// let rec = reader.try_read()?;
    /// assert_eq!(rec.seq(), seq);
    /// assert!(matches!(rec.view()?, RecordView::Trade(t) if t.price == 42));
    /// assert_eq!(reader.try_read().err(), Some(ReadError::Empty));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn publish<R: Record>(&mut self, record: &R) -> Result<u64, PublishError> {
        self.check_size(size_of::<R>())?;
        Ok(self.write(record.as_bytes(), Stamp::Now))
    }

    /// Publishes `record` with `publish_ts` set to `now`: for a caller that already read the
    /// clock (a feeder stamps every record decoded from one venue frame with one clock read).
    /// Saves the clock read of [`Writer::publish`] (20-30 ns on a VM).
    ///
    /// # Errors
    ///
    /// As [`Writer::publish`].
    #[inline]
    pub fn publish_at<R: Record>(&mut self, record: &R, now: mdbus_schemas::Nanos) -> Result<u64, PublishError> {
        self.check_size(size_of::<R>())?;
        Ok(self.write(record.as_bytes(), Stamp::At(now.0)))
    }

    /// Publishes `record` exactly as given, keeping its `publish_ts` (replay of recorded data,
    /// where the record must come out bit for bit as it went in).
    ///
    /// # Errors
    ///
    /// As [`Writer::publish`].
    #[inline]
    pub fn publish_as_is<R: Record>(&mut self, record: &R) -> Result<u64, PublishError> {
        self.check_size(size_of::<R>())?;
        Ok(self.write(record.as_bytes(), Stamp::Keep))
    }

    /// Publishes raw record bytes (a whole record of a known kind, as a reader returned them),
    /// keeping its `publish_ts`.
    ///
    /// # Errors
    ///
    /// [`PublishError::TooLarge`] when `bytes` is larger than a slot or not a whole number of
    /// 64-bit words.
    pub fn publish_bytes(&mut self, bytes: &[u8]) -> Result<u64, PublishError> {
        self.check_size(bytes.len())?;
        if !bytes.len().is_multiple_of(8) {
            return Err(PublishError::TooLarge { size: bytes.len(), record_size: self.geo.record_size });
        }
        Ok(self.write(bytes, Stamp::Keep))
    }

    /// Publishes raw record bytes at sequence `seq` of the ring this writer mirrors (a bridge's
    /// receiving side), keeping their `publish_ts`, so that the mirror holds each record at the
    /// sequence number it has in the mirrored ring. The writer should be opened with
    /// [`RingOptions::mirror`](crate::RingOptions::mirror).
    ///
    /// A `seq` beyond [`Writer::head`] means records were lost on the way: each missing sequence
    /// number then holds a ring-wide [`MarkerCode::GAP`] marker (instrument 0) whose `detail`
    /// counts down the records lost from it to the end of the run, so the first such marker a
    /// reader meets tells it exactly how many it missed. Of a run longer than the ring, only the
    /// last `capacity` markers are written; a reader behind them is told the rest by
    /// [`ReadError::Overrun`], exactly as always. A `seq` below the head is a record the mirror
    /// already has, or stands for with a marker: nothing is written.
    ///
    /// # Errors
    ///
    /// As [`Writer::publish_bytes`]; and [`PublishError::BadSequence`] for a `seq` beyond
    /// [`MAX_SEQ`](crate::MAX_SEQ).
    ///
    /// # Examples
    ///
    /// ```
    /// use mdbus_bus::{HeapRing, Mirrored};
    /// use mdbus_schemas::{Kind, Marker, MarkerCode, Trade};
    /// use zerocopy::IntoBytes;
    ///
    /// let (mut mirror, ring) = HeapRing::create(Kind::TRADE, 64)?;
    /// let mut reader = ring.reader();
    /// let trade = Trade { price: 7, ..Trade::default() };
    /// // Sequence 1 (the writer's own start marker took 0) arrives, then 4: 2 and 3 were lost.
    /// assert_eq!(mirror.publish_mirrored(1, trade.as_bytes())?, Mirrored::Published { missed: 0 });
    /// assert_eq!(mirror.publish_mirrored(4, trade.as_bytes())?, Mirrored::Published { missed: 2 });
    /// assert_eq!(mirror.publish_mirrored(3, trade.as_bytes())?, Mirrored::Duplicate);
    /// let seqs: Vec<(u64, Option<u64>)> = std::iter::from_fn(|| {
    ///     let rec = reader.try_read().ok()?;
    ///     let gap = rec.get::<Marker>().filter(|m| m.code == MarkerCode::GAP).map(|m| m.detail);
    ///     Some((rec.seq(), gap))
    /// })
    /// .collect();
    /// assert_eq!(seqs, [(1, None), (2, Some(2)), (3, Some(1)), (4, None)]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn publish_mirrored(&mut self, seq: u64, bytes: &[u8]) -> Result<Mirrored, PublishError> {
        self.check_size(bytes.len())?;
        if !bytes.len().is_multiple_of(8) {
            return Err(PublishError::TooLarge { size: bytes.len(), record_size: self.geo.record_size });
        }
        if seq > crate::layout::MAX_SEQ {
            return Err(PublishError::BadSequence { seq });
        }
        if seq < self.next {
            return Ok(Mirrored::Duplicate);
        }
        let missed = seq - self.next;
        if missed > 0 {
            // Older markers of a run longer than the ring would be overwritten by its newer
            // ones before anyone could read them.
            self.next = seq - missed.min(self.geo.capacity);
            let mut marker = Marker { code: MarkerCode::GAP, ..Marker::default() };
            marker.header.recv_ts = mdbus_schemas::Nanos(now_ns());
            marker.header.flags = mdbus_schemas::flags::NO_VENUE_SEQ | mdbus_schemas::flags::NO_VENUE_TS;
            while self.next < seq {
                marker.detail = seq - self.next;
                self.write(marker.as_bytes(), Stamp::Now);
            }
        }
        self.write(bytes, Stamp::Keep);
        Ok(Mirrored::Published { missed })
    }

    #[inline]
    fn check_size(&self, size: usize) -> Result<(), PublishError> {
        if size > self.geo.record_size {
            return Err(PublishError::TooLarge { size, record_size: self.geo.record_size });
        }
        Ok(())
    }

    /// Writes one record into the next slot. `bytes.len()` is a multiple of 8 and at most the
    /// slot size (checked by every caller).
    #[inline]
    fn write(&mut self, bytes: &[u8], stamp: Stamp) -> u64 {
        let n = self.next;
        let words = self.region.words();
        let base = self.geo.slot_base(n);
        let slot = &words[base..base + self.geo.slot_words];
        let (chunks, _) = bytes.as_chunks::<8>();
        // Relaxed: the odd value only has to be visible before any payload store, which the
        // Release fence right after guarantees.
        slot[0].store(2 * n + 1, Ordering::Relaxed);
        fence(Ordering::Release);
        // Relaxed payload stores: readers validate the slot sequence after copying, so a torn
        // copy is detected and discarded, never delivered.
        for (word, chunk) in slot.iter().zip(chunks.iter()).skip(1) {
            word.store(u64::from_ne_bytes(*chunk), Ordering::Relaxed);
        }
        for word in slot.iter().skip(chunks.len().max(1)) {
            word.store(0, Ordering::Relaxed);
        }
        let now = match stamp {
            Stamp::Now => now_ns(),
            Stamp::At(t) => t,
            Stamp::Keep => 0,
        };
        if now != 0 {
            slot[PUBLISH_TS_WORD].store(now, Ordering::Relaxed);
        }
        // SYNC POINT: record visible to readers (pairs with the Acquire load in `try_read`).
        slot[0].store(2 * n + 2, Ordering::Release);
        // SYNC POINT: head advanced (pairs with the Acquire load on a reader's overrun path).
        words[W_HEAD].store(n + 1, Ordering::Release);
        if now != 0 {
            // Relaxed: the heartbeat is advisory, read only by monitors.
            words[W_HEARTBEAT].store(now, Ordering::Relaxed);
        }
        self.next = n + 1;
        if let Some(bell) = &self.bell {
            bell.ring();
        }
        n
    }

    /// Records that the writer is alive without publishing (call it from an idle loop; readers
    /// and `mdbus ls` judge liveness by the heartbeat's age).
    pub fn heartbeat(&self) {
        // Relaxed: advisory value for monitors.
        self.region.words()[W_HEARTBEAT].store(now_ns(), Ordering::Relaxed);
    }

    /// Returns the sequence the next record will get.
    pub fn head(&self) -> u64 {
        self.next
    }

    /// Returns the publish time of the newest record, or of the last heartbeat if that came
    /// later (ns since the epoch).
    pub fn last_active(&self) -> mdbus_schemas::Nanos {
        // Relaxed: this writer is the only one storing it.
        mdbus_schemas::Nanos(self.region.words()[W_HEARTBEAT].load(Ordering::Relaxed))
    }

    /// Returns this writer's generation: 1 for the ring's first writer, +1 per restart.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// When this writer took over a ring that held records, the time (ns since the epoch) its
    /// previous writer was last active: its last publish or heartbeat. Nothing was published
    /// between then and this writer's start marker: a hole in the data, which a feed restarted
    /// on its rings reports per instrument (`MarkerCode::OUTAGE`). `None` for a new ring.
    pub fn previous_active(&self) -> Option<mdbus_schemas::Nanos> {
        (self.previous_active_ns != 0).then_some(mdbus_schemas::Nanos(self.previous_active_ns))
    }

    /// Returns the ring's primary record kind.
    pub fn kind(&self) -> Kind {
        self.geo.kind
    }

    /// Returns the ring's capacity in records.
    pub fn capacity(&self) -> u64 {
        self.geo.capacity
    }

    /// Returns the ring's record (slot) size in bytes.
    pub fn record_size(&self) -> usize {
        self.geo.record_size
    }
}

/// What [`Writer::publish_mirrored`] did with a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Mirrored {
    /// Published at its sequence number, after `missed` gap markers for the records lost
    /// before it.
    Published {
        /// Records lost on the way between the previous record and this one.
        missed: u64,
    },
    /// The mirror already holds this sequence number (a resent record): nothing was written.
    Duplicate,
}

/// How [`Writer::write`] sets the record's publish time.
#[derive(Debug, Clone, Copy)]
enum Stamp {
    /// Read the clock.
    Now,
    /// Use this time.
    At(u64),
    /// Keep the record's own.
    Keep,
}

/// Where a new [`Reader`] starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Start {
    /// At the head: only records published from now on.
    Head,
    /// At the oldest record still in the ring.
    Oldest,
    /// At a given sequence number.
    Seq(u64),
}

/// One reader of a ring, with its own position. Reading never blocks and never writes to the
/// ring: a reader maps the file read-only.
#[derive(Debug)]
pub struct Reader {
    region: Region,
    geo: Geometry,
    next: u64,
    buf: Box<[u64]>,
    generation: u64,
    lost: u64,
    path: Option<std::path::PathBuf>,
    /// The ring's doorbell, where this reader may write it.
    bell: Option<Bell>,
    /// The writer's head as this reader last loaded it: every sequence below it was published
    /// when it was loaded, so the reader copies those slots without asking again.
    known_head: u64,
    /// Head loads in a row that found nothing new; from [`HEAD_POLLS`] on, the reader polls the
    /// next slot itself.
    idle_polls: u32,
    /// The slot this reader announced itself in ([`Reader::announce`]), and the position last
    /// stored there.
    #[cfg(not(loom))]
    announced: Option<(crate::readers::Announcement, u64)>,
}

/// Reads between two updates of an announced reader's slot.
#[cfg(not(loom))]
const ANNOUNCE_EVERY: u64 = 64;

/// Head loads in a row that find nothing new before a caught-up reader polls the next slot
/// instead. A writer publishing back to back moves the head within one or two loads, so a
/// reader that keeps up with it stays on the head word; a reader waiting for the next record
/// moves to the slot, which then brings the record in one cache-line transfer. The loom model
/// switches after one load, so that its few reads take both ways.
const HEAD_POLLS: u32 = if cfg!(loom) { 1 } else { 8 };

/// A lapped reader resumes `capacity / RESUME_MARGIN` records past the oldest record still
/// intact.
const RESUME_MARGIN: u64 = 8;

/// A record copied out of a ring, borrowed from the reader's buffer until the next read.
#[derive(Debug, Clone, Copy)]
pub struct RecordRef<'a> {
    bytes: &'a [u8],
}

impl<'a> RecordRef<'a> {
    /// Returns the record's sequence number in its ring.
    #[inline]
    pub fn seq(&self) -> u64 {
        self.bytes.first_chunk::<8>().map_or(0, |b| u64::from_ne_bytes(*b))
    }

    /// Returns the record's kind.
    pub fn kind(&self) -> Kind {
        Kind(self.bytes[8])
    }

    /// Returns the common header.
    pub fn header(&self) -> Header {
        mdbus_schemas::read_header(self.bytes).unwrap_or_default()
    }

    /// Returns the slot's bytes: the record, then zeros up to the slot size.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Returns the record's own bytes (as many as its kind needs).
    pub fn record_bytes(&self) -> &'a [u8] {
        let n = self.kind().record_size().unwrap_or(self.bytes.len()).min(self.bytes.len());
        &self.bytes[..n]
    }

    /// Returns a typed view of the record.
    ///
    /// # Errors
    ///
    /// [`ViewError::UnknownKind`] for a kind this build does not know.
    pub fn view(&self) -> Result<RecordView<'a>, ViewError> {
        RecordView::from_bytes(self.bytes)
    }

    /// Returns the record as `R` if it is of that kind.
    pub fn get<R: Record>(&self) -> Option<&'a R> {
        if self.kind() != R::KIND {
            return None;
        }
        let head = self.bytes.get(..size_of::<R>())?;
        <R as zerocopy::FromBytes>::ref_from_bytes(head).ok()
    }
}

impl Reader {
    pub(crate) fn new(
        region: Region,
        geo: Geometry,
        start: Start,
        path: Option<std::path::PathBuf>,
        bell: Option<Bell>,
    ) -> Reader {
        // Acquire: pairs with the writer's Release store of the generation.
        let generation = region.words()[W_GENERATION].load(Ordering::Acquire);
        let mut reader = Reader {
            region,
            geo,
            next: 0,
            buf: vec![0u64; geo.slot_words].into_boxed_slice(),
            generation,
            lost: 0,
            path,
            bell,
            known_head: 0,
            idle_polls: 0,
            #[cfg(not(loom))]
            announced: None,
        };
        // An out-of-range start was refused by the opener: start at the head instead.
        if reader.seek(start).is_err() {
            let _ = reader.seek(Start::Head);
        }
        reader
    }

    /// Reads the next record if there is one. Never blocks, allocates nothing, makes no system
    /// call; the caller decides whether to spin, back off or sleep on [`ReadError::Empty`].
    ///
    /// # Errors
    ///
    /// [`ReadError::Empty`] when nothing new was published; [`ReadError::Overrun`] when the
    /// writer lapped this reader, with the exact number of records lost. After an overrun the
    /// reader stands an eighth of the ring past the oldest record still intact (the one the
    /// writer overwrites next), so that it is not lapped again at once, and the next call reads
    /// there; the records it skips are part of `lost`.
    ///
    /// A reader that is behind loads the writer's head once and then copies the slots below
    /// it, never touching the slot the writer is filling; a caught-up reader polls the head a
    /// few times, then the next slot itself, so that a record published while
    /// it waits arrives in one cache-line transfer.
    #[inline]
    pub fn try_read(&mut self) -> Result<RecordRef<'_>, ReadError> {
        let n = self.next;
        let words = self.region.words();
        if n >= self.known_head && self.idle_polls < HEAD_POLLS {
            // SYNC POINT: head advanced (pairs with the writer's Release store of the head).
            let head = words[W_HEAD].load(Ordering::Acquire);
            if head <= n {
                self.idle_polls += 1;
                #[cfg(not(loom))]
                self.note_caught_up(n);
                return Err(ReadError::Empty);
            }
            self.known_head = head;
        }
        let base = self.geo.slot_base(n);
        let slot = &words[base..base + self.geo.slot_words];
        let published = 2 * n + 2;
        // SYNC POINT: record visible to readers (pairs with the writer's Release store).
        let before = slot[0].load(Ordering::Acquire);
        if before == published {
            // Relaxed copies: validated by re-reading the sequence after the Acquire fence.
            for (dst, src) in self.buf.iter_mut().zip(slot.iter()).skip(1) {
                *dst = src.load(Ordering::Relaxed);
            }
            fence(Ordering::Acquire);
            // Relaxed: ordered after the copies by the fence above.
            if slot[0].load(Ordering::Relaxed) == published {
                self.buf[0] = n;
                self.next = n + 1;
                if self.next >= self.known_head {
                    // At the frontier: ask the head again before polling the next slot.
                    self.idle_polls = 0;
                }
                #[cfg(not(loom))]
                if let Some((a, at)) = &mut self.announced
                    && self.next.abs_diff(*at) >= ANNOUNCE_EVERY
                {
                    *at = self.next;
                    a.update(self.next, self.lost);
                }
                return Ok(RecordRef { bytes: self.buf.as_bytes() });
            }
        } else if before < published {
            #[cfg(not(loom))]
            self.note_caught_up(n);
            return Err(ReadError::Empty);
        }
        // The slot holds a later lap: record `n` is gone. Resume an eighth of the ring past the
        // oldest record that can still be intact: the writer is about to overwrite that one,
        // and a reader that resumed there would race it slot by slot, fighting over the very
        // cache lines being written and being lapped again and again. The head may already
        // have moved on, which only shows up as another overrun on the next call, so every
        // lost record is counted exactly once.
        // SYNC POINT: head advanced (pairs with the writer's Release store of the head).
        let head = words[W_HEAD].load(Ordering::Acquire).min(crate::layout::MAX_SEQ);
        let resume = head.saturating_sub(self.geo.capacity - self.geo.capacity / RESUME_MARGIN).max(n + 1);
        let lost = resume - n;
        self.next = resume;
        self.lost += lost;
        self.known_head = head;
        self.idle_polls = 0;
        #[cfg(not(loom))]
        if let Some((a, at)) = &mut self.announced {
            *at = resume;
            a.update(resume, self.lost);
        }
        Err(ReadError::Overrun { lost })
    }

    /// Stores a caught-up reader's position in its announcement, once per position.
    #[cfg(not(loom))]
    #[inline]
    fn note_caught_up(&mut self, n: u64) {
        if let Some((a, at)) = &mut self.announced
            && *at != n
        {
            *at = n;
            a.update(n, self.lost);
        }
    }

    /// Returns the record the last successful [`Reader::try_read`] returned, again (a zeroed
    /// slot before the first): for a caller that looked at a record and then wants it back
    /// after the first borrow ended.
    #[inline]
    pub fn last(&self) -> RecordRef<'_> {
        RecordRef { bytes: self.buf.as_bytes() }
    }

    /// Makes this reader visible to monitors (`mdbus ls`): it creates a small file of its own
    /// beside the ring (`<ring>.<pid>.<n>.reader`, mode 0640) and keeps its position and
    /// losses there as it reads (every 64 records, on an overrun, when it catches up and when
    /// it seeks), with plain stores and no system call. No other reader can change that file,
    /// and monitors read it without mapping it. The file is removed when the reader is dropped.
    ///
    /// # Errors
    ///
    /// [`OpenError::Io`] when the file cannot be created (a ring in a directory this process
    /// cannot write to), [`OpenError::Incompatible`] when the reader has no ring file (a heap
    /// ring).
    #[cfg(not(loom))]
    pub fn announce(&mut self) -> Result<(), OpenError> {
        let Some(path) = &self.path else {
            return Err(OpenError::Incompatible { what: "ring file to announce on", found: 0, requested: 1 });
        };
        let a = crate::readers::Announcement::claim(path)?;
        a.update(self.next, self.lost);
        self.announced = Some((a, self.next));
        Ok(())
    }

    /// Moves the reader, forwards or backwards.
    ///
    /// # Errors
    ///
    /// [`OpenError::BadStart`] for a sequence beyond [`MAX_SEQ`](crate::MAX_SEQ); the reader
    /// then stays where it was.
    pub fn seek(&mut self, start: Start) -> Result<(), OpenError> {
        // A head beyond any reachable sequence is a damaged header: read it as the limit, so
        // positions stay in range (a slot's sequence word is `2n + 2`).
        let head = self.head().min(crate::layout::MAX_SEQ);
        self.next = match start {
            Start::Head => head,
            Start::Oldest => head.saturating_sub(self.geo.capacity),
            Start::Seq(n) if n > crate::layout::MAX_SEQ => return Err(OpenError::BadStart(n)),
            Start::Seq(n) => n,
        };
        self.known_head = 0;
        self.idle_polls = 0;
        #[cfg(not(loom))]
        if let Some((a, at)) = &mut self.announced {
            *at = self.next;
            a.update(self.next, self.lost);
        }
        Ok(())
    }

    /// Returns the sequence of the next record this reader will read.
    pub fn position(&self) -> u64 {
        self.next
    }

    /// Returns the ring file this reader maps (`None` for a ring in heap memory).
    pub fn path(&self) -> Option<&std::path::Path> {
        self.path.as_deref()
    }

    /// Returns the writer's head: the sequence the next published record will get.
    pub fn head(&self) -> u64 {
        // Acquire: pairs with the writer's Release store of the head.
        self.region.words()[W_HEAD].load(Ordering::Acquire)
    }

    /// Returns how many records this reader is behind the writer.
    pub fn lag(&self) -> u64 {
        self.head().saturating_sub(self.next)
    }

    /// Sleeps until the writer publishes or `timeout` passes, on the ring's doorbell: no CPU
    /// while asleep, woken within microseconds of a publish. Returns at once when a record is
    /// already there. Returns `false` at once, without waiting, when this reader has no
    /// doorbell to sleep on (the writer does not ring one, or this process may not write the
    /// ring's `.bell` file): the caller then waits its own way ([`Reader::has_doorbell`]).
    /// The caller reads with [`Reader::try_read`] afterwards either way: a wake is a hint, and
    /// a timeout is not an error.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use mdbus_bus::HeapRing;
    /// use mdbus_schemas::{Kind, Trade};
    ///
    /// let (mut writer, ring) = HeapRing::create(Kind::TRADE, 64)?;
    /// let mut reader = ring.reader();
    /// let t = std::thread::spawn(move || {
    ///     std::thread::sleep(Duration::from_millis(20));
    ///     writer.publish(&Trade::default()).map(|_| ())
    /// });
    /// while reader.lag() == 0 {
    ///     assert!(reader.wait(Duration::from_secs(5))); // asleep until the publish
    /// }
    /// assert!(reader.try_read().is_ok());
    /// t.join().unwrap()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn wait(&self, timeout: std::time::Duration) -> bool {
        match &self.bell {
            Some(bell) => !matches!(bell.wait(timeout, || self.lag() > 0), Rung::Silent),
            None => false,
        }
    }

    /// Whether [`Reader::wait`] can sleep on the ring's doorbell.
    pub fn has_doorbell(&self) -> bool {
        self.bell.as_ref().is_some_and(Bell::ready)
    }

    /// The loom model's view of one wait: `Some(v)` when the reader went to sleep on the
    /// doorbell's value `v` (a writer that publishes afterwards must move it), `None` when it
    /// found a record first.
    #[cfg(loom)]
    #[doc(hidden)]
    pub fn wait_model(&self) -> Option<u64> {
        match self.bell.as_ref()?.wait(std::time::Duration::ZERO, || self.lag() > 0) {
            Rung::Slept(v) => Some(v),
            Rung::Ready | Rung::Silent => None,
        }
    }

    /// The doorbell's current value (loom model).
    #[cfg(loom)]
    #[doc(hidden)]
    pub fn doorbell_value(&self) -> u64 {
        self.bell.as_ref().map_or(0, Bell::seq)
    }

    /// Returns the total number of records this reader lost to overruns.
    pub fn lost(&self) -> u64 {
        self.lost
    }

    /// Returns the current writer generation, and whether it changed since the last call (or
    /// since the reader opened). A change means the writer restarted; nothing published was
    /// lost, and the new writer's first record is a [`MarkerCode::WRITER_STARTED`] marker.
    pub fn generation(&mut self) -> (u64, bool) {
        // Acquire: pairs with the writer's Release store of the generation.
        let g = self.region.words()[W_GENERATION].load(Ordering::Acquire);
        let changed = g != self.generation;
        self.generation = g;
        (g, changed)
    }

    /// Returns the current writer generation without noting it as seen.
    pub fn generation_now(&self) -> u64 {
        // Acquire: pairs with the writer's Release store of the generation.
        self.region.words()[W_GENERATION].load(Ordering::Acquire)
    }

    /// Returns when the ring file was created (ns since the epoch): rings made anew under the
    /// same name tell apart by it.
    pub fn created_ns(&self) -> u64 {
        // Relaxed: written before the header's init word, which the opener read with Acquire.
        self.region.words()[crate::layout::W_CREATED].load(Ordering::Relaxed)
    }

    /// Returns the pid of the ring's latest writer.
    pub fn writer_pid(&self) -> u64 {
        // Relaxed: advisory.
        self.region.words()[W_PID].load(Ordering::Relaxed)
    }

    /// Returns the age of the writer's heartbeat in nanoseconds (time since its last publish or
    /// heartbeat).
    pub fn heartbeat_age_ns(&self) -> u64 {
        // Relaxed: advisory.
        let hb = self.region.words()[W_HEARTBEAT].load(Ordering::Relaxed);
        now_ns().saturating_sub(hb)
    }

    /// Returns `true` when a live process holds the ring's writer lock. A system call: keep it
    /// off the hot path. Heap rings have no lock and report `true`.
    pub fn writer_alive(&self) -> bool {
        match &self.path {
            #[cfg(not(loom))]
            Some(p) => crate::shm::writer_alive(p),
            #[cfg(loom)]
            Some(_) => true,
            None => true,
        }
    }

    /// Returns the ring's primary record kind.
    pub fn kind(&self) -> Kind {
        self.geo.kind
    }

    /// Returns the ring's capacity in records.
    pub fn capacity(&self) -> u64 {
        self.geo.capacity
    }

    /// Returns the ring's record (slot) size in bytes.
    pub fn record_size(&self) -> usize {
        self.geo.record_size
    }

    #[cfg(all(test, not(loom)))]
    pub(crate) fn region(&self) -> &Region {
        &self.region
    }
}

/// A ring in ordinary heap memory: the same algorithm as a shared-memory ring, for tests,
/// model checking and in-process fan-out.
#[derive(Debug)]
pub struct HeapRing {
    mem: std::sync::Arc<[crate::sync::AtomicU64]>,
    bell: std::sync::Arc<[crate::sync::AtomicU64]>,
    geo: Geometry,
}

impl HeapRing {
    /// Creates a heap ring for records of `kind` with `capacity` slots and returns its writer
    /// and a handle that makes readers.
    ///
    /// # Errors
    ///
    /// [`OpenError::UnknownKind`] or [`OpenError::BadCapacity`].
    ///
    /// # Examples
    ///
    /// ```
    /// use mdbus_bus::HeapRing;
    /// use mdbus_schemas::Kind;
    /// let (writer, ring) = HeapRing::create(Kind::QUOTE, 8)?;
    /// let reader = ring.reader();
    /// assert_eq!(reader.head(), writer.head());
    /// # Ok::<(), mdbus_bus::OpenError>(())
    /// ```
    pub fn create(kind: Kind, capacity: u64) -> Result<(Writer, HeapRing), OpenError> {
        let geo = Geometry::new(kind, capacity)?;
        let mem = Region::zeroed_heap(geo.total_words());
        let region = Region::heap(mem.clone());
        layout::init_header(region.words(), &geo, now_ns());
        let (bell, bell_mem) = Bell::heap();
        let writer = Writer::start(region, geo, None, Some(bell), true);
        Ok((writer, HeapRing { mem, bell: bell_mem, geo }))
    }

    /// Returns a new reader positioned at the head.
    pub fn reader(&self) -> Reader {
        self.reader_at(Start::Head)
    }

    /// Returns a new reader positioned at `start`.
    pub fn reader_at(&self, start: Start) -> Reader {
        Reader::new(Region::heap(self.mem.clone()), self.geo, start, None, Some(Bell::heap_handle(self.bell.clone())))
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use mdbus_schemas::{BookSnapshot, Kind, Marker, MarkerCode, Quote, RecordView, Trade};

    use super::*;

    fn trade(p: i64) -> Trade {
        Trade { price: p, qty: p * 2, ..Trade::default() }
    }

    #[test]
    fn first_record_is_the_writer_started_marker() {
        let (w, ring) = HeapRing::create(Kind::TRADE, 8).unwrap();
        let mut r = ring.reader_at(Start::Oldest);
        let rec = r.try_read().unwrap();
        assert_eq!(rec.seq(), 0);
        let m = rec.get::<Marker>().unwrap();
        assert_eq!((m.code, m.detail), (MarkerCode::WRITER_STARTED, 1));
        assert_eq!(w.generation(), 1);
        assert_eq!(r.try_read().err(), Some(ReadError::Empty));
    }

    #[test]
    fn reads_in_order_with_sequence_numbers() {
        let (mut w, ring) = HeapRing::create(Kind::TRADE, 8).unwrap();
        let mut r = ring.reader();
        for i in 0..20 {
            let seq = w.publish(&trade(i)).unwrap();
            let rec = r.try_read().unwrap();
            assert_eq!(rec.seq(), seq);
            let t = rec.get::<Trade>().unwrap();
            assert_eq!((t.price, t.qty), (i, i * 2));
            assert!(t.header.publish_ts.0 > 0, "publish stamps the time");
        }
        assert_eq!(r.try_read().err(), Some(ReadError::Empty));
        assert_eq!(r.lag(), 0);
    }

    #[test]
    fn a_caught_up_reader_reads_each_record_whether_it_polls_the_head_or_the_slot() {
        let (mut w, ring) = HeapRing::create(Kind::TRADE, 16).unwrap();
        let mut r = ring.reader();
        // From no empty poll (the head is asked) to many (the slot itself is polled).
        for (i, empty_polls) in [0u32, 1, HEAD_POLLS - 1, HEAD_POLLS, HEAD_POLLS + 1, 40].into_iter().enumerate() {
            for _ in 0..empty_polls {
                assert_eq!(r.try_read().err(), Some(ReadError::Empty));
            }
            let seq = w.publish(&trade(i as i64)).unwrap();
            let rec = r.try_read().unwrap();
            assert_eq!((rec.seq(), rec.get::<Trade>().unwrap().price), (seq, i as i64));
            assert_eq!(r.try_read().err(), Some(ReadError::Empty));
        }
        // A burst after a wait is read in order, the first from the slot, the rest below the
        // head loaded after it.
        for _ in 0..HEAD_POLLS + 3 {
            assert_eq!(r.try_read().err(), Some(ReadError::Empty));
        }
        let first = w.head();
        for i in 0..10 {
            w.publish(&trade(100 + i)).unwrap();
        }
        for i in 0..10 {
            let rec = r.try_read().unwrap();
            assert_eq!((rec.seq(), rec.get::<Trade>().unwrap().price), (first + i as u64, 100 + i));
        }
        assert_eq!(r.try_read().err(), Some(ReadError::Empty));
    }

    #[test]
    fn paused_reader_is_lapped_and_told_the_exact_loss() {
        let cap = 8;
        let (mut w, ring) = HeapRing::create(Kind::TRADE, cap).unwrap();
        let mut r = ring.reader();
        let start = r.position();
        let written = 3 * cap + 5;
        for i in 0..written {
            w.publish(&trade(i as i64)).unwrap();
        }
        let head = w.head();
        let mut received = 0;
        let mut lost = 0;
        let mut last = None;
        loop {
            match r.try_read() {
                Ok(rec) => {
                    if let Some(prev) = last {
                        assert!(rec.seq() > prev);
                    }
                    last = Some(rec.seq());
                    received += 1;
                }
                Err(ReadError::Overrun { lost: l }) => lost += l,
                Err(ReadError::Empty) => break,
            }
        }
        // It resumes clear of the writer, an eighth of the ring past the oldest intact record.
        let kept = cap - cap / RESUME_MARGIN;
        assert_eq!(lost, head - kept - start, "the overwritten records and the margin are lost");
        assert_eq!(received, kept, "every record from where it resumed is delivered");
        assert_eq!(received + lost, written);
        assert_eq!(r.lost(), lost);
    }

    #[test]
    fn capacity_must_be_a_power_of_two_of_at_least_two() {
        for bad in [0, 1, 3, 12, crate::MAX_CAPACITY * 2] {
            assert!(matches!(HeapRing::create(Kind::TRADE, bad), Err(OpenError::BadCapacity(c)) if c == bad));
        }
        assert!(HeapRing::create(Kind::TRADE, 2).is_ok());
        assert!(matches!(HeapRing::create(Kind(99), 8), Err(OpenError::UnknownKind(99))));
    }

    #[test]
    fn capacity_two_wraps_correctly() {
        let (mut w, ring) = HeapRing::create(Kind::TRADE, 2).unwrap();
        let mut r = ring.reader();
        for i in 0..100 {
            w.publish(&trade(i)).unwrap();
            assert_eq!(r.try_read().unwrap().get::<Trade>().unwrap().price, i);
        }
    }

    #[test]
    fn larger_records_are_refused_and_smaller_ones_fit() {
        let (mut w, ring) = HeapRing::create(Kind::BOOK_DELTA, 8).unwrap();
        assert_eq!(w.publish(&Quote::default()), Err(PublishError::TooLarge { size: 128, record_size: 64 }));
        let (mut wq, ringq) = HeapRing::create(Kind::QUOTE, 8).unwrap();
        let mut rq = ringq.reader();
        wq.publish(&mdbus_schemas::BookDelta { price: 7, ..Default::default() }).unwrap();
        let rec = rq.try_read().unwrap();
        assert_eq!(rec.bytes().len(), 128);
        assert_eq!(rec.record_bytes().len(), 64);
        assert!(rec.bytes()[64..].iter().all(|&b| b == 0), "the rest of a larger slot is zeroed");
        assert!(matches!(rec.view().unwrap(), RecordView::BookDelta(d) if d.price == 7));
        assert!(rec.get::<Quote>().is_none());
        drop(ring);
    }

    #[test]
    fn publish_as_is_keeps_the_publish_time() {
        let (mut w, ring) = HeapRing::create(Kind::BOOK_SNAPSHOT, 4).unwrap();
        let mut r = ring.reader();
        let mut s = BookSnapshot::default();
        s.header.publish_ts = mdbus_schemas::Nanos(42);
        s.bid_count = 1;
        w.publish_as_is(&s).unwrap();
        let rec = r.try_read().unwrap();
        let got = rec.get::<BookSnapshot>().unwrap();
        assert_eq!(got.header.publish_ts.0, 42);
        assert_eq!(got.bid_count, 1);
        w.publish_bytes(rec.bytes()).unwrap();
        assert!(w.publish_bytes(&[0u8; 12]).is_err());
    }

    #[test]
    fn seek_moves_the_reader() {
        let (mut w, ring) = HeapRing::create(Kind::TRADE, 4).unwrap();
        for i in 0..10 {
            w.publish(&trade(i)).unwrap();
        }
        let mut r = ring.reader_at(Start::Oldest);
        assert_eq!(r.position(), w.head() - 4);
        assert_eq!(r.try_read().unwrap().get::<Trade>().unwrap().price, 6);
        r.seek(Start::Seq(w.head() - 1)).unwrap();
        assert_eq!(r.try_read().unwrap().get::<Trade>().unwrap().price, 9);
        r.seek(Start::Head).unwrap();
        assert_eq!(r.try_read().err(), Some(ReadError::Empty));
    }
}
