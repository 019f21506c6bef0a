//! Order-book synchronisation: buffer diffs, apply a snapshot, check every venue sequence rule,
//! resynchronise on any gap, and tell readers through marker records.
//!
//! The builder is sans-IO: it is fed decoded depth messages and REST snapshots and emits
//! [`BookDelta`] and [`Marker`] records through a [`BookSink`]; the connection engine fetches
//! snapshots when [`BookBuilder::wants_snapshot`] says so. States: `Buffering` (diffs kept,
//! waiting for a snapshot) ► `Live` (every diff checked against the previous one) ► on a gap or
//! a crossed book, a `gap`/`crossed` marker, a `resync_start` marker and back to `Buffering`.
//! A reconnect ([`BookBuilder::reset`]) clears the book and starts over the same way.
//!
//! Every path that replaces a book tells consumers first: a `resync_start` marker precedes the
//! snapshot's levels (flagged `SNAPSHOT`) and `resync_done` follows them, whether the book was
//! reset, resynchronised or replaced by a snapshot the venue sent while it was in sync, and
//! whether the new book has levels or none. A consumer that clears its copy on `resync_start`
//! holds exactly the feeder's book after every `resync_done`.
//!
//! Binance's rules, from its "How to manage a local order book correctly":
//! spot: drop buffered events with `u <= lastUpdateId`; the first applied has
//! `U <= lastUpdateId + 1 <= u`; then each `U == previous u + 1`. USD-M: drop `u < lastUpdateId`;
//! the first applied has `U <= lastUpdateId <= u`; then each `pu == previous u`.

use mdbus_schemas::{BookDelta, Decimal, DecimalError, Header, Instrument, Kind, Marker, MarkerCode, Nanos, flags};

use crate::decode::{DepthMsg, Levels};

/// The sequence rule a book follows: how updates chain, where its snapshot comes from and how
/// the first update after it must meet it. Each venue names its rule in its
/// [`Protocol`](crate::protocol::Protocol).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SyncRule {
    /// Updates span update ids `U..=u` and a REST snapshot has `lastUpdateId`: buffered updates
    /// with `u <= lastUpdateId` are dropped, the first applied has
    /// `U <= lastUpdateId + 1 <= u`, then each `U == previous u + 1` (Binance spot; Gate.io
    /// `spot.order_book_update` against its `with_id` snapshot, where an update with
    /// `"full": true` replaces the book).
    RangeAfterRest,
    /// Updates carry `pu`, the previous update's `u`, after a REST snapshot: drop `u <
    /// lastUpdateId`, the first applied has `U <= lastUpdateId <= u`, then each `pu ==
    /// previous u` (Binance USD-M).
    PrevAfterRest,
    /// The snapshot in the stream (`prevSeqId = -1`), then `prev == previous seq`. Keepalive
    /// updates (empty sides, `prev == seq`) continue the chain, and so does a sequence reset
    /// after maintenance (`seq < prev`) (OKX `books`).
    PrevInStream,
    /// The snapshot in the stream, then `u == previous u + 1`; a new snapshot (or `u == 1`,
    /// which the decoder marks as one) replaces the book (Bybit `orderbook.N`).
    CountInStream,
    /// The full book in the stream (after each subscribe, and whenever the venue resends it),
    /// then `U == previous u + 1` from the first update on (Gate.io `spot.obu`).
    RangeInStream,
    /// The snapshot asked for on the connection, then `prev == previous seq` (HTX MBP).
    PrevAfterRequest,
    /// No sequence: the first update after a (re)subscribe is the whole book (Gemini `l2`).
    Unsequenced,
}

impl SyncRule {
    /// Returns whether the venue sends its snapshots in the stream itself (no REST fetch):
    /// updates buffered before one belong to an older session and are dropped.
    pub fn in_band_snapshot(self) -> bool {
        matches!(
            self,
            SyncRule::PrevInStream | SyncRule::CountInStream | SyncRule::RangeInStream | SyncRule::Unsequenced
        )
    }
}

/// Where the records of a book go.
pub trait BookSink {
    /// Receives one level change.
    fn delta(&mut self, delta: &BookDelta);
    /// Receives one marker.
    fn marker(&mut self, marker: &Marker);
}

/// Errors that stop a message from being applied (the book is resynchronised).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BookError {
    /// A price or quantity does not fit the instrument's exponents.
    #[error("level does not fit the instrument's exponents: {0}")]
    Level(#[from] DecimalError),
    /// A level's quantity is negative: no venue means that, so the message is not applied.
    #[error("negative quantity at price mantissa {price}")]
    NegativeQuantity {
        /// The level's price mantissa.
        price: i64,
    },
}

/// Counters a monitor can show.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BookStats {
    /// Diffs applied to a live book.
    pub applied: u64,
    /// Gaps detected.
    pub gaps: u64,
    /// Resynchronisations started.
    pub resyncs: u64,
    /// Crossed books detected.
    pub crossed: u64,
    /// Snapshots that were too old for the buffered diffs and had to be fetched again.
    pub stale_snapshots: u64,
    /// Snapshots that replaced a live book (the venue re-sent its book in the stream, or a
    /// snapshot came while the book was in sync): each is published between `resync_start` and
    /// `resync_done`, so a consumer clears its copy even when the new book is empty.
    pub replaced: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Diff {
    first: u64,
    last: u64,
    prev: Option<u64>,
    event_ts: Nanos,
    bids: Vec<(i64, i64)>,
    asks: Vec<(i64, i64)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Buffering,
    /// In sync up to update `last`; `fresh` while no diff has followed the snapshot yet, when
    /// the first-event rule applies instead of the continuation rule.
    Live {
        last: u64,
        fresh: bool,
    },
}

/// One side of a book: levels sorted best first, no allocation once grown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Side {
    levels: Vec<(i64, i64)>,
    descending: bool,
}

impl Side {
    fn set(&mut self, price: i64, qty: i64) {
        let found = if self.descending {
            self.levels.binary_search_by(|(p, _)| price.cmp(p))
        } else {
            self.levels.binary_search_by(|(p, _)| p.cmp(&price))
        };
        match (found, qty) {
            (Ok(i), 0) => {
                self.levels.remove(i);
            }
            (Ok(i), q) => self.levels[i].1 = q,
            (Err(_), 0) => {}
            (Err(i), q) => self.levels.insert(i, (price, q)),
        }
    }

    fn best(&self) -> Option<i64> {
        self.levels.first().map(|l| l.0)
    }
}

/// The book of one instrument, kept in sync by its venue's sequence rules.
#[derive(Debug, Clone)]
pub struct BookBuilder {
    rule: SyncRule,
    instrument: Instrument,
    state: State,
    buffer: Vec<Diff>,
    spare: Vec<Diff>,
    bids: Side,
    asks: Side,
    stats: BookStats,
    max_buffer: usize,
}

fn mantissas(
    levels: &[(Decimal, Decimal)],
    price_exp: i8,
    qty_exp: i8,
    out: &mut Vec<(i64, i64)>,
) -> Result<(), BookError> {
    out.clear();
    for (p, q) in levels {
        let (price, qty) = (p.to_fixed(price_exp)?, q.to_fixed(qty_exp)?);
        if qty < 0 {
            return Err(BookError::NegativeQuantity { price });
        }
        out.push((price, qty));
    }
    Ok(())
}

/// Whether diff `d` may follow a book in sync up to `last`: by the first-event rule right after
/// a snapshot (`first`), by the continuation rule otherwise.
fn follows(rule: SyncRule, d: &Diff, last: u64, first: bool) -> bool {
    match (rule, first) {
        (SyncRule::RangeAfterRest, true) => d.first <= last + 1 && last < d.last,
        // The documented first-event rule, or an event that continues the snapshot exactly
        // (`pu == lastUpdateId`): a snapshot taken right at an event boundary, before the
        // next event, is continued by that event although its `U` is past `lastUpdateId`.
        (SyncRule::PrevAfterRest, true) => (d.first <= last && last <= d.last) || d.prev == Some(last),
        (SyncRule::RangeAfterRest, false) | (SyncRule::RangeInStream, _) => d.first == last + 1,
        (SyncRule::PrevAfterRest, false) => d.prev == Some(last),
        (SyncRule::PrevInStream | SyncRule::PrevAfterRequest, _) => d.prev == Some(last),
        (SyncRule::CountInStream, _) => d.last == last + 1,
        (SyncRule::Unsequenced, _) => true,
    }
}

/// Whether a diff arriving on a live book is one the book already has (dropped silently).
fn is_stale(rule: SyncRule, d: &Diff, last: u64, fresh: bool) -> bool {
    match (rule, fresh) {
        (SyncRule::PrevAfterRest, true) => d.last < last,
        // Sequences may reset (OKX): an update is old only when it both ends at or before the
        // book and chains to an earlier one (a repeat); a reset chains to `last` exactly.
        (SyncRule::PrevInStream, _) => d.last <= last && d.prev.is_some_and(|p| p < last),
        // No sequence (Gemini): only the chain decides.
        (SyncRule::Unsequenced, _) => false,
        _ => d.last <= last,
    }
}

impl BookBuilder {
    /// A builder for `instrument` following `rule`, starting in the buffering state.
    pub fn new(rule: SyncRule, instrument: Instrument) -> BookBuilder {
        BookBuilder {
            rule,
            instrument,
            state: State::Buffering,
            buffer: Vec::new(),
            spare: Vec::new(),
            bids: Side { levels: Vec::new(), descending: true },
            asks: Side { levels: Vec::new(), descending: false },
            stats: BookStats::default(),
            max_buffer: 10_000,
        }
    }

    /// Returns `true` while the book waits for a REST snapshot.
    pub fn wants_snapshot(&self) -> bool {
        self.state == State::Buffering
    }

    /// Returns `true` when the book is in sync.
    pub fn is_live(&self) -> bool {
        matches!(self.state, State::Live { .. })
    }

    /// Returns the venue's update id the book is in sync up to, when it is.
    pub fn last_update_id(&self) -> Option<u64> {
        match self.state {
            State::Live { last, .. } => Some(last),
            State::Buffering => None,
        }
    }

    /// Returns the counters.
    pub fn stats(&self) -> BookStats {
        self.stats
    }

    /// Returns the best bid and ask price mantissas.
    pub fn best(&self) -> (Option<i64>, Option<i64>) {
        (self.bids.best(), self.asks.best())
    }

    /// Returns the bid levels, best first.
    pub fn bids(&self) -> &[(i64, i64)] {
        &self.bids.levels
    }

    /// Returns the ask levels, best first.
    pub fn asks(&self) -> &[(i64, i64)] {
        &self.asks.levels
    }

    fn header(&self, kind: Kind, venue_seq: u64, event_ts: Nanos, recv_ts: Nanos) -> Header {
        let mut absent = 0;
        if self.rule == SyncRule::Unsequenced {
            absent |= flags::NO_VENUE_SEQ;
        }
        if event_ts.0 == 0 {
            absent |= flags::NO_VENUE_TS;
        }
        Header {
            kind,
            flags: absent,
            venue: self.instrument.venue,
            instrument: self.instrument.id,
            venue_seq,
            venue_ts: event_ts,
            recv_ts,
            ..Header::default()
        }
    }

    fn marker(&self, sink: &mut dyn BookSink, code: MarkerCode, seq: u64, detail: u64, recv_ts: Nanos) {
        let m = Marker { header: self.header(Kind::MARKER, seq, Nanos(0), recv_ts), code, _pad: [0; 6], detail };
        sink.marker(&m);
    }

    /// Clears the book after the connection was lost or replaced; the next snapshot rebuilds it.
    /// Publishes `resync_start`.
    pub fn reset(&mut self, recv_ts: Nanos, sink: &mut dyn BookSink) {
        self.recycle_buffer();
        self.bids.levels.clear();
        self.asks.levels.clear();
        self.state = State::Buffering;
        self.stats.resyncs += 1;
        self.marker(sink, MarkerCode::RESYNC_START, 0, 0, recv_ts);
    }

    fn recycle_buffer(&mut self) {
        self.spare.append(&mut self.buffer);
    }

    fn resync(&mut self, code: MarkerCode, seq: u64, expected: u64, recv_ts: Nanos, sink: &mut dyn BookSink) {
        match code {
            MarkerCode::GAP => self.stats.gaps += 1,
            MarkerCode::CROSSED => self.stats.crossed += 1,
            _ => {}
        }
        self.marker(sink, code, seq, expected, recv_ts);
        self.reset(recv_ts, sink);
    }

    /// Feeds one diff message (its levels in `levels`).
    ///
    /// # Errors
    ///
    /// [`BookError::Level`] when a price or quantity does not fit the instrument's exponents; the
    /// book is then resynchronised.
    pub fn on_diff(
        &mut self,
        msg: &DepthMsg<'_>,
        levels: &Levels,
        recv_ts: Nanos,
        sink: &mut dyn BookSink,
    ) -> Result<(), BookError> {
        let mut d = self.spare.pop().unwrap_or(Diff {
            first: 0,
            last: 0,
            prev: None,
            event_ts: Nanos(0),
            bids: Vec::new(),
            asks: Vec::new(),
        });
        d.first = msg.first_seq.unwrap_or(msg.last_seq);
        d.last = msg.last_seq;
        d.prev = msg.prev_seq;
        d.event_ts = Nanos::from_millis(msg.trade_ts_ms.or(msg.event_ts_ms).unwrap_or(0));
        let (pe, qe) = (self.instrument.price_exp, self.instrument.qty_exp);
        if let Err(e) =
            mantissas(&levels.bids, pe, qe, &mut d.bids).and_then(|()| mantissas(&levels.asks, pe, qe, &mut d.asks))
        {
            self.spare.push(d);
            if self.is_live() {
                self.reset(recv_ts, sink);
            }
            return Err(e);
        }
        match self.state {
            State::Buffering => {
                if self.buffer.len() >= self.max_buffer {
                    // No snapshot for too long: keep the newest diffs only.
                    let old = self.buffer.remove(0);
                    self.spare.push(old);
                }
                self.buffer.push(d);
            }
            State::Live { last, fresh } => {
                let stale = is_stale(self.rule, &d, last, fresh);
                let continues = !stale && follows(self.rule, &d, last, fresh);
                if stale {
                    // An event the snapshot already contains, or a repeated one.
                    self.spare.push(d);
                } else if continues {
                    self.state = State::Live { last: d.last, fresh: false };
                    self.apply(&d, false, recv_ts, sink);
                    self.spare.push(d);
                    self.check_crossed(recv_ts, sink);
                } else {
                    let (got, expected) = match self.rule {
                        SyncRule::RangeAfterRest | SyncRule::RangeInStream => (d.first, last + 1),
                        SyncRule::CountInStream => (d.last, last + 1),
                        _ => (d.prev.unwrap_or(0), last),
                    };
                    self.spare.push(d);
                    self.resync(MarkerCode::GAP, got, expected, recv_ts, sink);
                }
            }
        }
        Ok(())
    }

    /// Applies a REST snapshot (`lastUpdateId`, levels), then every buffered diff that follows
    /// it. Returns `false` when the snapshot is older than the buffered diffs and another one
    /// must be fetched.
    ///
    /// # Errors
    ///
    /// [`BookError::Level`] when a level does not fit the instrument's exponents.
    pub fn on_snapshot(
        &mut self,
        last_update_id: u64,
        levels: &Levels,
        recv_ts: Nanos,
        sink: &mut dyn BookSink,
    ) -> Result<bool, BookError> {
        self.on_snapshot_at(last_update_id, levels, Nanos(0), recv_ts, sink)
    }

    /// As [`BookBuilder::on_snapshot`], for a snapshot the venue timed at `venue_ts` (its
    /// levels' records carry it; `Nanos(0)` when the venue sends no time).
    ///
    /// # Errors
    ///
    /// As [`BookBuilder::on_snapshot`].
    pub fn on_snapshot_at(
        &mut self,
        last_update_id: u64,
        levels: &Levels,
        venue_ts: Nanos,
        recv_ts: Nanos,
        sink: &mut dyn BookSink,
    ) -> Result<bool, BookError> {
        if self.rule.in_band_snapshot() {
            // Updates buffered before an in-stream snapshot belong to an older session.
            self.recycle_buffer();
        }
        let too_old = |d: &Diff| match self.rule {
            SyncRule::RangeAfterRest => last_update_id < d.first.saturating_sub(1),
            SyncRule::PrevAfterRest => last_update_id < d.first && d.prev != Some(last_update_id),
            SyncRule::PrevAfterRequest => d.prev.is_some_and(|p| p > last_update_id),
            SyncRule::PrevInStream | SyncRule::CountInStream | SyncRule::RangeInStream | SyncRule::Unsequenced => false,
        };
        if self.buffer.first().is_some_and(too_old) {
            self.stats.stale_snapshots += 1;
            return Ok(false);
        }
        let (pe, qe) = (self.instrument.price_exp, self.instrument.qty_exp);
        // The snapshot's levels go into a spare diff: a book replaced in the stream again and
        // again (Bybit, Gate.io `spot.obu`) allocates nothing once warmed up.
        let mut snap = self.spare.pop().unwrap_or(Diff {
            first: 0,
            last: 0,
            prev: None,
            event_ts: Nanos(0),
            bids: Vec::new(),
            asks: Vec::new(),
        });
        (snap.first, snap.last, snap.prev, snap.event_ts) = (last_update_id, last_update_id, None, venue_ts);
        if let Err(e) = mantissas(&levels.bids, pe, qe, &mut snap.bids)
            .and_then(|()| mantissas(&levels.asks, pe, qe, &mut snap.asks))
        {
            self.spare.push(snap);
            // The venue replaced the book with one this feed cannot hold: the old book is no
            // longer the venue's, so it is not kept as if it were.
            if self.is_live() {
                self.reset(recv_ts, sink);
            }
            return Err(e);
        }
        if self.is_live() {
            // A book replaced while in sync: consumers are told before the new levels come, so
            // one that rebuilds from the ring drops the old levels even when the new book is
            // empty (Bybit's `u == 1` with empty sides on delisting or a tick-size change).
            self.stats.replaced += 1;
            self.marker(sink, MarkerCode::RESYNC_START, last_update_id, 0, recv_ts);
        }
        self.bids.levels.clear();
        self.asks.levels.clear();
        self.apply(&snap, true, recv_ts, sink);
        self.spare.push(snap);
        let mut last = last_update_id;
        let mut first_applied = true;
        let buffered = std::mem::take(&mut self.buffer);
        let mut gap = None;
        for d in &buffered {
            if gap.is_some() {
                break;
            }
            let stale = match self.rule {
                SyncRule::PrevAfterRest => d.last < last_update_id,
                _ => d.last <= last_update_id,
            };
            if stale {
                continue;
            }
            let ok = follows(self.rule, d, last, first_applied);
            if !ok {
                gap = Some((d.first, last + 1));
                continue;
            }
            self.apply(d, false, recv_ts, sink);
            last = d.last;
            first_applied = false;
        }
        self.buffer = buffered;
        self.recycle_buffer();
        if let Some((got, expected)) = gap {
            self.resync(MarkerCode::GAP, got, expected, recv_ts, sink);
            return Ok(true);
        }
        self.state = State::Live { last, fresh: first_applied };
        // How deep the snapshot went: beyond its longer side, the book holds only what
        // updates brought.
        let depth = levels.bids.len().max(levels.asks.len()) as u64;
        self.marker(sink, MarkerCode::RESYNC_DONE, last, depth, recv_ts);
        self.check_crossed(recv_ts, sink);
        Ok(true)
    }

    fn apply(&mut self, d: &Diff, snapshot: bool, recv_ts: Nanos, sink: &mut dyn BookSink) {
        let total = d.bids.len() + d.asks.len();
        let mut n = 0;
        let base = if snapshot { flags::SNAPSHOT } else { 0 };
        for (side_flag, levels) in [(0, &d.bids), (flags::ASK, &d.asks)] {
            for &(price, qty) in levels {
                n += 1;
                let side = if side_flag == 0 { &mut self.bids } else { &mut self.asks };
                side.set(price, qty);
                let mut h = self.header(Kind::BOOK_DELTA, d.last, d.event_ts, recv_ts);
                h.flags |= base | side_flag | if n == total { flags::LAST } else { 0 };
                sink.delta(&BookDelta { header: h, price, qty });
            }
        }
        if !snapshot {
            self.stats.applied += 1;
        }
    }

    fn check_crossed(&mut self, recv_ts: Nanos, sink: &mut dyn BookSink) {
        if let (Some(b), Some(a)) = self.best()
            && b >= a
        {
            let seq = match self.state {
                State::Live { last, .. } => last,
                State::Buffering => 0,
            };
            self.resync(MarkerCode::CROSSED, seq, 0, recv_ts, sink);
        }
    }
}
