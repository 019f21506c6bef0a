//! The latest book of an instrument without replaying a ring: copied from the feed's book
//! table (`<feed>.books`), and kept current from there by following the feed's book ring.
//!
//! ```no_run
//! # #![allow(unreachable_code)]
//! use mdbus_bus::RingDir;
//! use mdbus_sdk::book::LiveBook;
//!
//! let mut book = LiveBook::start(&RingDir::resolve(None), "binance", "BTCUSDT")?; // the table's copy
//! loop {
//!     book.poll()?; // the ring's updates since
//!     if let (Some(bid), Some(ask)) = (book.best_bid(), book.best_ask()) {
//!         println!("{} {bid} / {ask}", book.state().name());
//!     }
//! }
//! # Ok::<(), mdbus_sdk::book::BookError>(())
//! ```

use std::collections::BTreeMap;

use mdbus_bus::{BookCopy, BookState, BookTable, OpenError, ReadError, Reader, RingDir, Start};
use mdbus_schemas::{BookDelta, Decimal, Instrument, Kind, Marker, MarkerCode, flags};

/// Errors opening or following a book.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BookError {
    /// The feed's book table or book ring could not be opened.
    #[error("feed {feed}: {source}")]
    Open {
        /// The feed.
        feed: String,
        /// The cause.
        #[source]
        source: OpenError,
    },
    /// The instrument table beside the rings is missing or damaged.
    #[error("instrument table: {0}")]
    Instruments(String),
    /// The feed has no such symbol in its table.
    #[error("feed {feed} has no book of {symbol}")]
    UnknownSymbol {
        /// The feed.
        feed: String,
        /// The symbol.
        symbol: String,
    },
}

/// One instrument's book, started from the feed's book table and kept current by following
/// the feed's book ring from the sequence the table's copy includes: no gap, no update applied
/// twice. A `resync_start` clears it until the feeder has the book again; a reader lapped by
/// the ring starts over from the table.
#[derive(Debug)]
pub struct LiveBook {
    feed: String,
    instrument: Instrument,
    table: BookTable,
    ring: Reader,
    copy: BookCopy,
    bids: BTreeMap<i64, i64>,
    asks: BTreeMap<i64, i64>,
    state: BookState,
    snapshotting: bool,
}

/// The instrument table's entry for `symbol` among `feed`'s book table's instruments.
fn find(dir: &RingDir, table: &BookTable, feed: &str, symbol: &str) -> Result<Instrument, BookError> {
    let instruments = dir
        .load_instruments()
        .map_err(|e| BookError::Instruments(e.to_string()))?
        .ok_or_else(|| BookError::Instruments("no instrument table beside the rings".into()))?
        .map_err(|e| BookError::Instruments(e.to_string()))?;
    table
        .instruments()
        .into_iter()
        .filter_map(|id| instruments.get(id).copied())
        .find(|i| i.symbol.as_str().eq_ignore_ascii_case(symbol))
        .ok_or_else(|| BookError::UnknownSymbol { feed: feed.to_owned(), symbol: symbol.to_owned() })
}

impl LiveBook {
    /// Copies `symbol`'s book from `feed`'s table in `dir` and opens the feed's book ring after
    /// the last record the copy includes.
    ///
    /// # Errors
    ///
    /// [`BookError::Open`] when the table or the ring cannot be opened,
    /// [`BookError::Instruments`] or [`BookError::UnknownSymbol`] when the symbol cannot be
    /// resolved.
    pub fn start(dir: &RingDir, feed: &str, symbol: &str) -> Result<LiveBook, BookError> {
        let open = |source| BookError::Open { feed: feed.to_owned(), source };
        let table = BookTable::open(dir.books_path(feed).map_err(open)?).map_err(open)?;
        let instrument = find(dir, &table, feed, symbol)?;
        let ring = dir.reader(&format!("{feed}.book"), Start::Head).map_err(open)?;
        let mut b = LiveBook {
            feed: feed.to_owned(),
            instrument,
            table,
            ring,
            copy: BookCopy::default(),
            bids: BTreeMap::new(),
            asks: BTreeMap::new(),
            state: BookState::Unsynced,
            snapshotting: false,
        };
        b.restart();
        Ok(b)
    }

    /// Takes the table's copy and follows the ring from the record after it.
    fn restart(&mut self) {
        self.bids.clear();
        self.asks.clear();
        self.snapshotting = false;
        if !self.table.read(self.instrument.id, &mut self.copy) {
            self.state = BookState::Stale;
            return;
        }
        self.state = self.copy.state.unwrap_or(BookState::Stale);
        if self.state == BookState::Live {
            self.bids.extend(self.copy.bids.iter().copied());
            self.asks.extend(self.copy.asks.iter().copied());
        }
        // The sequence is in range: the table's writer took it from this ring.
        let _ = self.ring.seek(Start::Seq(self.copy.ring_seq + 1));
    }

    /// Applies every record of this instrument published since the last call. Returns how
    /// many records were applied. Makes no system call; allocates only when a level is new.
    ///
    /// # Errors
    ///
    /// None today; reserved for a ring that can no longer be read.
    pub fn poll(&mut self) -> Result<usize, BookError> {
        let mut n = 0;
        loop {
            let bytes = match self.ring.try_read() {
                Ok(rec) => rec,
                Err(ReadError::Empty) => return Ok(n),
                Err(ReadError::Overrun { .. }) => {
                    // Records of this book may be gone: start over from the table.
                    self.restart();
                    continue;
                }
            };
            let h = bytes.header();
            if h.instrument != self.instrument.id {
                continue;
            }
            n += 1;
            if h.kind == Kind::MARKER {
                if let Some(m) = bytes.get::<Marker>() {
                    match m.code {
                        MarkerCode::RESYNC_START => {
                            self.bids.clear();
                            self.asks.clear();
                            self.state = BookState::Resyncing;
                        }
                        MarkerCode::RESYNC_DONE => self.state = BookState::Live,
                        _ => {}
                    }
                }
                continue;
            }
            let Some(d) = bytes.get::<BookDelta>() else { continue };
            let snap = d.header.flags & flags::SNAPSHOT != 0;
            if snap && !self.snapshotting {
                self.bids.clear();
                self.asks.clear();
            }
            self.snapshotting = snap && d.header.flags & flags::LAST == 0;
            let side = if d.header.flags & flags::ASK != 0 { &mut self.asks } else { &mut self.bids };
            if d.qty == 0 {
                side.remove(&d.price);
            } else {
                side.insert(d.price, d.qty);
            }
        }
    }

    /// Returns the book's state as followed.
    pub fn state(&self) -> BookState {
        if self.state == BookState::Live && self.table.writer_stale() { BookState::Stale } else { self.state }
    }

    /// Returns the instrument.
    pub fn instrument(&self) -> &Instrument {
        &self.instrument
    }

    /// Returns the feed.
    pub fn feed(&self) -> &str {
        &self.feed
    }

    /// Bids as (price, quantity) mantissas, best first.
    pub fn bids(&self) -> impl Iterator<Item = (i64, i64)> + '_ {
        self.bids.iter().rev().map(|(p, q)| (*p, *q))
    }

    /// Asks as (price, quantity) mantissas, best first.
    pub fn asks(&self) -> impl Iterator<Item = (i64, i64)> + '_ {
        self.asks.iter().map(|(p, q)| (*p, *q))
    }

    /// The best bid price, exactly.
    pub fn best_bid(&self) -> Option<Decimal> {
        self.bids.keys().next_back().map(|p| self.instrument.price(*p))
    }

    /// The best ask price, exactly.
    pub fn best_ask(&self) -> Option<Decimal> {
        self.asks.keys().next().map(|p| self.instrument.price(*p))
    }
}

/// Every instrument's book in `feed`'s table, as copied now: (instrument, book). Instruments
/// the instrument table does not know are left out.
///
/// # Errors
///
/// As [`LiveBook::start`].
pub fn snapshot(dir: &RingDir, feed: &str) -> Result<Vec<(Instrument, BookCopy)>, BookError> {
    let open = |source| BookError::Open { feed: feed.to_owned(), source };
    let table = BookTable::open(dir.books_path(feed).map_err(open)?).map_err(open)?;
    let instruments = dir
        .load_instruments()
        .map_err(|e| BookError::Instruments(e.to_string()))?
        .and_then(Result::ok)
        .unwrap_or_default();
    let mut out = Vec::new();
    for id in table.instruments() {
        let Some(inst) = instruments.get(id).copied() else { continue };
        let mut c = BookCopy::default();
        if table.read(id, &mut c) {
            out.push((inst, c));
        }
    }
    Ok(out)
}
