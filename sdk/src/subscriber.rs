//! Reading the bus from a strategy in a few lines: open a ring by name, get records with their
//! instrument resolved, and hear about what was lost.

use std::time::{Duration, Instant};

use mdbus_bus::{OpenError, ReadError, Reader, RingDir, Start};
use mdbus_schemas::{Instrument, InstrumentId, InstrumentTable, MarkerCode, RecordView, ViewError};

/// Errors from a [`Subscriber`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SubscribeError {
    /// The ring could not be opened.
    #[error("ring {name}: {source}")]
    Open {
        /// Ring name.
        name: String,
        /// The cause.
        #[source]
        source: OpenError,
    },
    /// The instrument table beside the rings is damaged.
    #[error("instrument table: {0}")]
    Instruments(#[from] mdbus_schemas::TableError),
    /// A record could not be viewed (a kind this build does not know).
    #[error("record: {0}")]
    Record(#[from] ViewError),
}

/// One thing a [`Subscriber`] hands over.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Event<'a> {
    /// A record, with its instrument if the table knows it.
    Record {
        /// The record.
        view: RecordView<'a>,
        /// The record's instrument (symbol, exponents), if known.
        instrument: Option<&'a Instrument>,
    },
    /// Records this subscriber will never read: it fell a whole ring behind and `lost` records
    /// were overwritten before it read them (it goes on clear of the writer), or they were
    /// lost before they reached this ring: a run of ring-wide gap markers (a bridge's receiving
    /// ring holds one in place of each record lost on the way) or a recorder's gap marker,
    /// reported once per run with its count.
    Lost {
        /// How many records.
        lost: u64,
    },
    /// The ring's writer restarted (a feeder was restarted on its rings): records from here on
    /// are the new writer's, and nothing was published while it was down. Handed over in place
    /// of the new writer's `writer_started` marker, and also when the subscriber was lapped
    /// past that marker (the ring header's generation tells it).
    WriterRestarted {
        /// The new writer's generation.
        generation: u64,
        /// How long nothing was published: from the last record this subscriber read to the
        /// new writer's start. `None` when it cannot be told (the start marker was lapped, or
        /// nothing had been read before).
        down: Option<Duration>,
    },
}

/// What a subscriber can tell of its ring's writer (see [`Subscriber::writer_state`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WriterState {
    /// A process holds the writer lock and has published or sent a heartbeat recently.
    Alive,
    /// A process holds the writer lock, but has been silent for `for_ns` (longer than
    /// [`Subscriber::SILENT_AFTER`]): stuck, or starved of CPU.
    Silent {
        /// Nanoseconds since its last publish or heartbeat.
        for_ns: u64,
    },
    /// No process holds the writer lock: the writer died or stopped. Nothing is published
    /// until one starts again.
    Dead {
        /// Nanoseconds since its last publish or heartbeat.
        for_ns: u64,
    },
}

/// A ring reader that resolves instruments.
///
/// # Examples
///
/// ```
/// use mdbus_bus::{RingDir, RingOptions, Start};
/// use mdbus_schemas::{Kind, Trade, RecordView};
/// use mdbus_sdk::subscriber::{Event, Subscriber};
///
/// let dir = RingDir::new(std::env::temp_dir().join(format!("mdbus-sub-doc-{}", std::process::id())));
/// let mut writer = dir.writer("demo.trade", Kind::TRADE, &RingOptions::default().capacity(1024))?;
/// let mut sub = Subscriber::open_in(&dir, "demo.trade", Start::Oldest)?;
/// writer.publish(&Trade { price: 101, qty: 2, ..Trade::default() })?;
///
/// let mut got = None;
/// while got.is_none() {
///     if let Some(Event::Record { view: RecordView::Trade(t), .. }) = sub.poll()? {
///         got = Some((t.price, t.qty));
///     }
/// }
/// assert_eq!(got, Some((101, 2)));
/// # drop((writer, sub)); std::fs::remove_dir_all(dir.path())?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Subscriber {
    name: String,
    dir: RingDir,
    reader: Reader,
    instruments: InstrumentTable,
    lost: u64,
    /// When the table was last re-read for an id it did not know.
    last_reload: Option<Instant>,
    /// The writer generation whose records this subscriber reads.
    generation: u64,
    /// Publish time of the last record read (ns; 0 before the first).
    last_publish_ns: u64,
    /// A restart noticed on an overrun, handed over on the next poll.
    pending_restart: Option<u64>,
    /// The last ring-wide gap marker read (sequence, count): the markers after it that count
    /// its run down are not reported again.
    gap_run: Option<(u64, u64)>,
}

/// How often an unknown instrument id may make the subscriber re-read the table.
const RELOAD_SPACING: Duration = Duration::from_millis(100);

impl Subscriber {
    /// Opens ring `name` in the default ring directory (`$MDBUS_DIR` or `/dev/shm/mdbus`),
    /// starting at its head (records published from now on).
    ///
    /// # Errors
    ///
    /// As [`Subscriber::open_in`].
    pub fn open(name: &str) -> Result<Subscriber, SubscribeError> {
        Subscriber::open_in(&RingDir::resolve(None), name, Start::Head)
    }

    /// Opens ring `name` in `dir` at `start`, and loads the instrument table beside it (an
    /// absent table is fine: instruments then resolve to `None`).
    ///
    /// # Errors
    ///
    /// [`SubscribeError::Open`] (no such ring, incompatible layout, ...) or
    /// [`SubscribeError::Instruments`] for a damaged table.
    pub fn open_in(dir: &RingDir, name: &str, start: Start) -> Result<Subscriber, SubscribeError> {
        let open = |source| SubscribeError::Open { name: name.to_owned(), source };
        let reader = dir.reader(name, start).map_err(open)?;
        let generation = reader.generation_now();
        let mut sub = Subscriber {
            name: name.to_owned(),
            dir: dir.clone(),
            reader,
            instruments: InstrumentTable::default(),
            lost: 0,
            last_reload: None,
            generation,
            last_publish_ns: 0,
            pending_restart: None,
            gap_run: None,
        };
        sub.reload_instruments()?;
        Ok(sub)
    }

    /// Re-reads the instrument table (after the feeder adds instruments).
    ///
    /// # Errors
    ///
    /// [`SubscribeError::Instruments`] for a damaged table, [`SubscribeError::Open`] if it
    /// cannot be read.
    pub fn reload_instruments(&mut self) -> Result<(), SubscribeError> {
        let open = |source| SubscribeError::Open { name: self.name.clone(), source };
        if let Some(table) = self.dir.load_instruments().map_err(open)? {
            self.instruments = table?;
        }
        Ok(())
    }

    /// Returns the next event without waiting, or `None` when the ring has nothing new.
    ///
    /// # Errors
    ///
    /// [`SubscribeError::Record`] for a record of a kind this build does not know (the
    /// subscriber has moved past it).
    pub fn poll(&mut self) -> Result<Option<Event<'_>>, SubscribeError> {
        if let Some(generation) = self.pending_restart.take() {
            return Ok(Some(Event::WriterRestarted { generation, down: None }));
        }
        // Read before the record: a restarted writer sets it before it publishes. One load of
        // a header line that changes only at a writer's start.
        let mut header_generation = self.reader.generation_now();
        // Gap markers that continue a run already reported are passed over.
        let gap = loop {
            match self.reader.try_read() {
                Ok(rec) => match ring_gap(&rec) {
                    Some((seq, count)) if self.gap_run.is_some_and(|(s, c)| seq == s + 1 && count + 1 == c) => {
                        self.gap_run = Some((seq, count));
                        header_generation = self.reader.generation_now();
                    }
                    Some((seq, count)) => break Some((seq, count)),
                    None => break None,
                },
                Err(e) => return Ok(self.read_error(e, header_generation)),
            }
        };
        if let Some((seq, count)) = gap {
            self.gap_run = Some((seq, count));
            self.lost += count;
            return Ok(Some(Event::Lost { lost: count }));
        }
        let rec = self.reader.last();
        let view = rec.view()?;
        let publish_ns = view.header().publish_ts.0;
        if let RecordView::Marker(m) = view
            && m.code == MarkerCode::WRITER_STARTED
            && m.detail != self.generation
        {
            let down = (self.last_publish_ns != 0)
                .then(|| Duration::from_nanos(publish_ns.saturating_sub(self.last_publish_ns)));
            self.generation = m.detail;
            self.last_publish_ns = publish_ns;
            return Ok(Some(Event::WriterRestarted { generation: m.detail, down }));
        }
        self.last_publish_ns = publish_ns;
        let id = view.header().instrument;
        // An id the table does not know: the feeder relisted an instrument (a venue
        // changed its precision) after this table was read. Re-read it, at most every
        // 100 ms, so records of unknown ids cannot turn every read into a file read.
        if id.0 != 0
            && self.instruments.get(id).is_none()
            && self.last_reload.is_none_or(|t| t.elapsed() >= RELOAD_SPACING)
        {
            self.last_reload = Some(Instant::now());
            if let Ok(Some(Ok(table))) = self.dir.load_instruments() {
                self.instruments = table;
            }
        }
        let instrument = self.instruments.get(id);
        Ok(Some(Event::Record { view, instrument }))
    }

    /// The event for a read that found no record.
    fn read_error(&mut self, e: ReadError, header_generation: u64) -> Option<Event<'static>> {
        match e {
            ReadError::Empty => None,
            ReadError::Overrun { lost } => {
                self.lost += lost;
                // The writer may have restarted while this subscriber was lapped, taking its
                // start marker with the lost records: the header tells.
                if header_generation != self.generation {
                    self.generation = header_generation;
                    self.pending_restart = Some(header_generation);
                }
                Some(Event::Lost { lost })
            }
        }
    }

    /// Appends every record the ring has now, each as its whole slot (the ring's record size;
    /// markers included, a writer's start marker too), to `out`; returns how many records were lost to overruns on the way.
    /// For bulk readers (a numpy array in Python) that want no event per record.
    pub fn read_available(&mut self, out: &mut Vec<u8>) -> u64 {
        let mut lost = 0;
        loop {
            match self.reader.try_read() {
                Ok(rec) => {
                    // The whole slot: a marker in a ring of larger records keeps its slot's size.
                    out.extend_from_slice(rec.bytes());
                    if let Ok(view) = rec.view() {
                        self.last_publish_ns = view.header().publish_ts.0;
                        if let RecordView::Marker(m) = view
                            && m.code == MarkerCode::WRITER_STARTED
                        {
                            self.generation = m.detail;
                        }
                    }
                }
                Err(ReadError::Empty) => return lost,
                Err(ReadError::Overrun { lost: n }) => {
                    self.lost += n;
                    lost += n;
                }
            }
        }
    }

    /// How long a writer holding its lock may stay silent before [`Subscriber::writer_state`]
    /// calls it [`WriterState::Silent`]: feeders send a heartbeat every 100 ms.
    pub const SILENT_AFTER: Duration = Duration::from_secs(1);

    /// Whether the ring's writer is alive, silent or dead, from its lock and heartbeat. Makes a
    /// system call (the lock): call it when the ring has been quiet, not on every poll.
    pub fn writer_state(&self) -> WriterState {
        let for_ns = self.reader.heartbeat_age_ns();
        if !self.reader.writer_alive() {
            WriterState::Dead { for_ns }
        } else if for_ns > Self::SILENT_AFTER.as_nanos() as u64 {
            WriterState::Silent { for_ns }
        } else {
            WriterState::Alive
        }
    }

    /// Waits up to `timeout` for the next event: a short spin, then asleep on the ring's
    /// doorbell, woken within microseconds of the writer's publish and using no CPU meanwhile
    /// ([`Idle::SpinBlock`](crate::idle::Idle::SpinBlock)). On a ring without a doorbell it
    /// spins, yields and parks instead. A strategy with a core of its own that wants the last
    /// hundred nanoseconds spins: [`Subscriber::next_with`] with
    /// [`Idle::BusySpin`](crate::idle::Idle::BusySpin).
    ///
    /// # Errors
    ///
    /// As [`Subscriber::poll`].
    pub fn next_timeout(&mut self, timeout: Duration) -> Result<Option<Event<'_>>, SubscribeError> {
        self.next_with(timeout, crate::idle::Idle::SpinBlock { spins: Self::SPINS_BEFORE_SLEEP })
    }

    /// Spins before [`Subscriber::next_timeout`] sleeps on the doorbell: about a microsecond.
    const SPINS_BEFORE_SLEEP: u32 = 64;

    /// Waits up to `timeout` for the next event the way `idle` says
    /// ([`Idle::BusySpin`](crate::idle::Idle::BusySpin) for a reader with a core of its own,
    /// [`Idle::SpinPark`](crate::idle::Idle::SpinPark) to leave the cores to others).
    ///
    /// # Errors
    ///
    /// As [`Subscriber::poll`].
    pub fn next_with(
        &mut self,
        timeout: Duration,
        idle: crate::idle::Idle,
    ) -> Result<Option<Event<'_>>, SubscribeError> {
        let deadline = Instant::now() + timeout;
        let mut waiter = idle.waiter();
        let mut spun = 0u32;
        while self.reader.lag() == 0 {
            let now = Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            if let crate::idle::Idle::SpinBlock { spins } = idle {
                if spun < spins {
                    spun += 1;
                    std::hint::spin_loop();
                    continue;
                }
                // Asleep until a publish, in slices of at most a second; the ring is checked
                // again after every wake.
                if self.reader.wait((deadline - now).min(Duration::from_secs(1))) {
                    continue;
                }
            }
            waiter.idle();
        }
        self.poll()
    }

    /// Returns the instrument with `id`, if the table knows it.
    pub fn instrument(&self, id: InstrumentId) -> Option<&Instrument> {
        self.instruments.get(id)
    }

    /// Returns the instrument table.
    pub fn instruments(&self) -> &InstrumentTable {
        &self.instruments
    }

    /// Returns how many records this subscriber has lost to overruns.
    pub fn lost(&self) -> u64 {
        self.lost
    }

    /// Returns the ring's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Returns the underlying reader (position, lag, writer liveness).
    pub fn reader(&self) -> &Reader {
        &self.reader
    }
}

/// A ring-wide gap marker's sequence number and count: records lost before they reached the
/// ring (instrument 0; a venue's sequence gap names its instrument).
fn ring_gap(rec: &mdbus_bus::RecordRef<'_>) -> Option<(u64, u64)> {
    let m = rec.get::<mdbus_schemas::Marker>()?;
    (m.code == MarkerCode::GAP && m.header.instrument.0 == 0).then_some((rec.seq(), m.detail))
}
