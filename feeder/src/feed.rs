//! A venue feed: decoded frames become records in the feed's rings, depth goes through the
//! book builders, and connection events become marker records.

use std::collections::HashMap;

use mdbus_bus::Writer;
use mdbus_schemas::{
    Bar, BookDelta, BookSnapshot, Decimal, DecimalError, Header, Instrument, Kind, Level, Marker, MarkerCode, Nanos,
    Quote, SNAPSHOT_DEPTH, Symbol, Trade, TradeId, flags,
};

use crate::{
    book::{BookBuilder, BookSink, SyncRule},
    decode::{DecodeError, DepthMsg, Levels, Message, Side},
    venue::{FrameError, SessionDecoder, Venue},
};

/// The rings one feed publishes into. Each ring carries one record kind plus markers.
#[derive(Debug)]
pub struct Rings {
    /// Best bid and offer.
    pub quotes: Writer,
    /// Trades.
    pub trades: Writer,
    /// Book deltas and book markers (gap, resync).
    pub book: Writer,
    /// Top-of-book snapshots (partial depth streams).
    pub depth: Writer,
    /// Candles.
    pub bars: Writer,
}

impl Rings {
    /// Every ring of the feed.
    pub fn all_mut(&mut self) -> [&mut Writer; 5] {
        [&mut self.quotes, &mut self.trades, &mut self.book, &mut self.depth, &mut self.bars]
    }
}

/// Errors of one frame. The frame is counted and dropped; the feed goes on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FeedError {
    /// The frame could not be decoded.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// The frame could not be unpacked (HTX gzip) or was binary where text was due.
    #[error(transparent)]
    Frame(FrameError),
    /// The frame names a symbol this feed does not carry.
    #[error("unknown symbol {0:?}")]
    UnknownSymbol(String),
    /// A price or quantity does not fit the instrument's exponents.
    #[error("value does not fit the instrument: {0}")]
    Value(#[from] DecimalError),
    /// The venue refused a request.
    #[error("venue error {code}: {msg}")]
    Venue {
        /// The venue's code.
        code: i64,
        /// The venue's message.
        msg: String,
    },
}

/// Counters of a feed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FeedStats {
    /// Frames handed in.
    pub frames: u64,
    /// Records published.
    pub records: u64,
    /// Frames that failed.
    pub errors: u64,
    /// Acknowledgements received.
    pub acks: u64,
    /// Frames whose prices or quantities did not fit the instrument's exponents (a sign the
    /// venue's precision changed).
    pub value_errors: u64,
    /// Instruments relisted under new exponents.
    pub relisted: u64,
}

struct Publish<'a> {
    ring: &'a mut Writer,
    count: &'a mut u64,
}

impl BookSink for Publish<'_> {
    fn delta(&mut self, d: &BookDelta) {
        if self.ring.publish(d).is_ok() {
            *self.count += 1;
        }
    }

    fn marker(&mut self, m: &Marker) {
        if self.ring.publish(m).is_ok() {
            *self.count += 1;
        }
    }
}

/// Upper-cases `s` into a symbol key without allocating.
fn key(s: &str) -> Option<Symbol> {
    let b = s.as_bytes();
    if b.len() > 32 {
        return None;
    }
    let mut k = [0u8; 32];
    for (d, c) in k.iter_mut().zip(b) {
        *d = c.to_ascii_uppercase();
    }
    Some(Symbol::from_array(k))
}

impl From<crate::book::BookError> for FeedError {
    fn from(e: crate::book::BookError) -> FeedError {
        match e {
            crate::book::BookError::Level(e) => FeedError::Value(e),
            crate::book::BookError::NegativeQuantity { .. } => {
                FeedError::Decode(DecodeError::BadField { message: "depth", field: "quantity" })
            }
        }
    }
}

/// A quantity as a mantissa, refused when negative (no venue sends one for a trade, a quote
/// or a bar's volume).
fn quantity(q: &Decimal, exp: i8, message: &'static str) -> Result<i64, FeedError> {
    let v = q.to_fixed(exp)?;
    if v < 0 {
        return Err(FeedError::Decode(DecodeError::BadField { message, field: "quantity" }));
    }
    Ok(v)
}

impl From<FrameError> for FeedError {
    fn from(e: FrameError) -> FeedError {
        match e {
            FrameError::Decode(d) => FeedError::Decode(d),
            other => FeedError::Frame(other),
        }
    }
}

/// One venue feed: decoded messages become records, one book per instrument kept by the
/// venue's sequence rules, connection events become markers.
#[derive(Debug)]
pub struct Feed {
    venue: Venue,
    /// Taken out while a frame is decoded (the decoder hands messages back to the feed).
    decoder: Option<SessionDecoder>,
    /// For venues that repeat trades: the last trade id per instrument.
    last_trade: Vec<u64>,
    rule: SyncRule,
    instruments: Vec<Instrument>,
    by_symbol: HashMap<Symbol, usize>,
    books: Vec<BookBuilder>,
    levels: Levels,
    rings: Rings,
    stats: FeedStats,
    /// The latest book of every instrument, when the feed keeps a book table.
    table: Option<mdbus_bus::BookTableWriter>,
    /// Frames that failed since the last [`Feed::take_error_report`], and the first one's
    /// error (written once per report: a stream of bad frames allocates nothing more).
    error_report: (u64, Option<String>),
}

impl Feed {
    /// A feed for `instruments` on `venue`, publishing into `rings`, its books kept from the
    /// venue's `depth` channel.
    pub fn new(venue: impl Into<Venue>, instruments: Vec<Instrument>, rings: Rings) -> Feed {
        let venue = venue.into();
        Feed::with_rule(venue, venue.sync_rule(), instruments, rings)
    }

    /// As [`Feed::new`], its books following `rule` (that of the feed's
    /// [`BookChannel`](crate::venue::BookChannel)).
    pub fn with_rule(venue: impl Into<Venue>, rule: SyncRule, instruments: Vec<Instrument>, rings: Rings) -> Feed {
        let venue = venue.into();
        let by_symbol =
            instruments.iter().enumerate().filter_map(|(i, inst)| Some((key(inst.symbol.as_str())?, i))).collect();
        let books = instruments.iter().map(|i| BookBuilder::new(rule, *i)).collect();
        Feed {
            venue,
            decoder: Some(SessionDecoder::new(venue)),
            last_trade: vec![0; instruments.len()],
            rule,
            instruments,
            by_symbol,
            books,
            levels: Levels::default(),
            rings,
            stats: FeedStats::default(),
            table: None,
            error_report: (0, None),
        }
    }

    /// Keeps `table` (made for this feed's instruments, in their order) up to date with every
    /// book: after each update, in the same step that publishes its records.
    pub fn set_book_table(&mut self, table: mdbus_bus::BookTableWriter) {
        self.table = Some(table);
        for i in 0..self.books.len() {
            self.sync_table(i, Nanos(0), Nanos(0));
        }
    }

    /// Marks the book table's writer alive (from the engine's idle loop).
    pub fn table_heartbeat(&self) {
        if let Some(t) = &self.table {
            t.heartbeat();
        }
    }

    /// Writes book `i` into the table: its levels when in sync, else its state alone (the
    /// table keeps the last good levels), with the book ring's sequence of the last record.
    #[inline]
    fn sync_table(&self, i: usize, venue_ts: Nanos, recv_ts: Nanos) {
        let (Some(t), Some(b)) = (&self.table, self.books.get(i)) else { return };
        let live = b.is_live();
        t.update(
            i,
            &mdbus_bus::BookUpdate {
                state: if live { mdbus_bus::BookState::Live } else { mdbus_bus::BookState::Resyncing },
                venue_seq: b.last_update_id().unwrap_or(0),
                ring_seq: self.rings.book.head().saturating_sub(1),
                venue_ts,
                recv_ts,
                publish_ts: self.rings.book.last_active(),
                bids: live.then(|| b.bids()),
                asks: live.then(|| b.asks()),
            },
        );
    }

    /// On rings that an earlier run of the feed left (its writer died or stopped): publishes an
    /// `outage` marker per instrument in every ring, from the time that writer was last active
    /// to now, since whatever the venue sent in between is not in the rings. The engine calls
    /// it when a feed starts; a replay, which is no continuation of a live feed, does not.
    pub fn report_outage(&mut self) {
        let now = Nanos(mdbus_bus::now_ns());
        for ring in self.rings.all_mut() {
            let Some(since) = ring.previous_active() else { continue };
            for inst in &self.instruments {
                let m = Marker {
                    header: Header {
                        kind: Kind::MARKER,
                        venue: inst.venue,
                        instrument: inst.id,
                        venue_ts: since,
                        recv_ts: now,
                        ..Header::default()
                    },
                    code: MarkerCode::OUTAGE,
                    _pad: [0; 6],
                    detail: now.0.saturating_sub(since.0),
                };
                if ring.publish(&m).is_ok() {
                    self.stats.records += 1;
                }
            }
        }
    }

    /// Returns the counters.
    pub fn stats(&self) -> FeedStats {
        self.stats
    }

    /// Returns the book of instrument number `i` (in the order given to [`Feed::new`]).
    pub fn book(&self, i: usize) -> Option<&BookBuilder> {
        self.books.get(i)
    }

    /// Returns the instruments, in the order given to [`Feed::new`] (relisted ones replaced).
    pub fn instruments(&self) -> &[Instrument] {
        &self.instruments
    }

    /// Relists instrument number `i` as `inst` (same symbol, a new id and new exponents): its
    /// book is reset under the old id (a `resync_start` marker closes it) and rebuilt from the
    /// next snapshot under the new one. Records published before keep the old id, whose table
    /// entry keeps the old exponents. Returns `false` for an `i` out of range or a different
    /// symbol.
    pub fn relist(&mut self, i: usize, inst: Instrument, recv_ts: Nanos) -> bool {
        match self.instruments.get(i) {
            Some(old) if old.symbol == inst.symbol => {}
            _ => return false,
        }
        let mut sink = Publish { ring: &mut self.rings.book, count: &mut self.stats.records };
        self.books[i].reset(recv_ts, &mut sink);
        self.books[i] = BookBuilder::new(self.rule, inst);
        self.instruments[i] = inst;
        self.stats.relisted += 1;
        if let Some(t) = &self.table {
            t.set_instrument(i, inst.id);
        }
        self.sync_table(i, Nanos(0), recv_ts);
        true
    }

    /// Returns the rings, e.g. to send heartbeats.
    pub fn rings(&self) -> &Rings {
        &self.rings
    }

    /// Returns the symbols whose books wait for a REST snapshot.
    pub fn wanting_snapshots(&self) -> impl Iterator<Item = &str> {
        self.books.iter().zip(&self.instruments).filter(|(b, _)| b.wants_snapshot()).map(|(_, i)| i.symbol.as_str())
    }

    fn index(&self, symbol: &str) -> Result<usize, FeedError> {
        key(symbol)
            .and_then(|k| self.by_symbol.get(&k).copied())
            .ok_or_else(|| FeedError::UnknownSymbol(symbol.to_owned()))
    }

    fn header(inst: &Instrument, kind: Kind, venue_seq: u64, venue_ms: Option<u64>, recv_ts: Nanos) -> Header {
        Header {
            kind,
            flags: if venue_ms.is_none() { flags::NO_VENUE_TS } else { 0 },
            venue: inst.venue,
            instrument: inst.id,
            venue_seq,
            venue_ts: Nanos::from_millis(venue_ms.unwrap_or(0)),
            recv_ts,
            ..Header::default()
        }
    }

    /// Returns the venue.
    pub fn venue(&self) -> Venue {
        self.venue
    }

    /// Handles one websocket frame as the venue sends it (HTX: gzip), received at `recv_ts`.
    /// A connection decodes frames itself and calls [`Feed::on_message`]; this is for frames
    /// from elsewhere (recordings, tests).
    ///
    /// # Errors
    ///
    /// A [`FeedError`] for a frame that cannot be decoded or applied; messages of the frame
    /// before the bad part are published, nothing of the bad part is.
    pub fn on_frame(&mut self, frame: &[u8], recv_ts: Nanos) -> Result<(), FeedError> {
        let mut decoder = self.decoder.take().unwrap_or_else(|| SessionDecoder::new(self.venue));
        let mut levels = std::mem::take(&mut self.levels);
        let mut first_err = None;
        let binary = self.venue.binary_frames();
        let decoded = decoder.decode(frame, binary, &mut levels, &mut |m, l| {
            if let Err(e) = self.dispatch(m, l, recv_ts)
                && first_err.is_none()
            {
                first_err = Some(e);
            }
        });
        self.decoder = Some(decoder);
        self.levels = levels;
        self.stats.frames += 1;
        let r = match (decoded, first_err) {
            (Err(e), _) => Err(e.into()),
            (Ok(_), Some(e)) => Err(e),
            (Ok(_), None) => Ok(()),
        };
        if r.is_err() {
            self.stats.errors += 1;
        }
        r
    }

    /// Handles one decoded message (its levels in `levels`) received at `recv_ts`.
    ///
    /// # Errors
    ///
    /// A [`FeedError`] for a message that cannot be applied; nothing of it is published.
    pub fn on_message(&mut self, msg: Message<'_>, levels: &Levels, recv_ts: Nanos) -> Result<(), FeedError> {
        self.stats.frames += 1;
        let r = self.dispatch(msg, levels, recv_ts);
        if let Err(FeedError::Value(_)) = &r {
            self.stats.value_errors += 1;
        }
        r
    }

    /// Counts a frame that could not be decoded.
    pub fn on_undecodable(&mut self) {
        self.stats.frames += 1;
        self.stats.errors += 1;
    }

    /// Handles one message a connection decoded: as [`Feed::on_message`], with a failure kept
    /// for the next [`Feed::take_error_report`] instead of returned.
    #[inline]
    pub fn on_decoded(&mut self, msg: Message<'_>, levels: &Levels, recv_ts: Nanos) {
        if let Err(e) = self.on_message(msg, levels, recv_ts) {
            self.note_error(&e);
        }
    }

    /// Counts a frame a connection could not decode, kept for the next report.
    pub fn on_undecodable_frame(&mut self, e: &FrameError) {
        self.on_undecodable();
        self.note_error(e);
    }

    fn note_error(&mut self, e: &dyn std::fmt::Display) {
        self.error_report.0 += 1;
        if self.error_report.1.is_none() {
            self.error_report.1 = Some(e.to_string());
        }
    }

    /// How many frames failed since the last call, and the first one's error.
    pub fn take_error_report(&mut self) -> Option<(u64, String)> {
        let (n, first) = std::mem::take(&mut self.error_report);
        first.map(|f| (n, f))
    }

    fn dispatch(&mut self, msg: Message<'_>, levels: &Levels, recv_ts: Nanos) -> Result<(), FeedError> {
        match msg {
            Message::Trade(t) => {
                let i = self.index(t.symbol)?;
                if self.venue.repeats_trades() {
                    // Trades the venue already sent (in the first book after a subscribe).
                    if t.trade_id <= self.last_trade[i] {
                        return Ok(());
                    }
                    self.last_trade[i] = t.trade_id;
                }
                let inst = self.instruments[i];
                let mut h = Self::header(&inst, Kind::TRADE, t.trade_id, t.trade_ts_ms.or(t.event_ts_ms), recv_ts);
                if t.trade_ts_ms.is_some() {
                    h.venue_ts.0 += u64::from(t.trade_ts_extra_ns);
                }
                h.flags |= match t.side {
                    Side::Buy => flags::BUY,
                    Side::Sell => flags::SELL,
                } | if t.aggregated { flags::AGGREGATED } else { 0 };
                let mut rec = Trade {
                    header: h,
                    price: t.price.to_fixed(inst.price_exp)?,
                    qty: quantity(&t.qty, inst.qty_exp, "trade")?,
                    ..Trade::default()
                };
                rec.set_id(match t.uuid {
                    Some(u) => TradeId::Uuid(u),
                    None => TradeId::Number(u128::from(t.trade_id)),
                });
                self.publish_trade(&rec);
            }
            Message::Quote(q) => {
                let inst = self.instruments[self.index(q.symbol)?];
                let rec = Quote {
                    header: Self::header(&inst, Kind::QUOTE, q.update_id, q.trade_ts_ms.or(q.event_ts_ms), recv_ts),
                    bid_px: q.bid_price.to_fixed(inst.price_exp)?,
                    bid_qty: quantity(&q.bid_qty, inst.qty_exp, "quote")?,
                    ask_px: q.ask_price.to_fixed(inst.price_exp)?,
                    ask_qty: quantity(&q.ask_qty, inst.qty_exp, "quote")?,
                    _pad: [0; 48],
                };
                if self.rings.quotes.publish(&rec).is_ok() {
                    self.stats.records += 1;
                }
            }
            Message::Depth(d) if d.partial => self.depth_snapshot(&d, levels, recv_ts)?,
            Message::Depth(d) if d.snapshot => {
                let i = self.index(d.symbol.unwrap_or(""))?;
                let mut sink = Publish { ring: &mut self.rings.book, count: &mut self.stats.records };
                let venue_ts = Nanos::from_millis(d.trade_ts_ms.or(d.event_ts_ms).unwrap_or(0));
                let r = self.books[i].on_snapshot_at(d.last_seq, levels, venue_ts, recv_ts, &mut sink);
                self.sync_table(i, venue_ts, recv_ts);
                r.map_err(FeedError::from)?;
            }
            Message::Depth(d) => {
                let i = self.index(d.symbol.unwrap_or(""))?;
                let mut sink = Publish { ring: &mut self.rings.book, count: &mut self.stats.records };
                let r = self.books[i].on_diff(&d, levels, recv_ts, &mut sink);
                self.sync_table(i, Nanos::from_millis(d.trade_ts_ms.or(d.event_ts_ms).unwrap_or(0)), recv_ts);
                r.map_err(FeedError::from)?;
            }
            Message::Bar(b) => {
                let inst = self.instruments[self.index(b.symbol)?];
                let mut h = Self::header(&inst, Kind::BAR, b.trades, b.event_ts_ms, recv_ts);
                h.flags |= if b.closed { flags::CLOSED } else { 0 };
                let rec = Bar {
                    header: h,
                    open: b.open.to_fixed(inst.price_exp)?,
                    high: b.high.to_fixed(inst.price_exp)?,
                    low: b.low.to_fixed(inst.price_exp)?,
                    close: b.close.to_fixed(inst.price_exp)?,
                    volume: quantity(&b.volume, inst.qty_exp, "bar")?,
                    quote_volume: b.quote_volume.to_fixed(inst.price_exp.saturating_add(inst.qty_exp))?,
                    trades: b.trades,
                    start_ts: Nanos::from_millis(b.open_ts_ms),
                    interval_ns: b.close_ts_ms.saturating_sub(b.open_ts_ms).saturating_add(1).saturating_mul(1_000_000),
                    _pad: [0; 8],
                };
                if self.rings.bars.publish(&rec).is_ok() {
                    self.stats.records += 1;
                }
            }
            Message::Ack { .. } => self.stats.acks += 1,
            Message::Error { code, msg, .. } => return Err(FeedError::Venue { code, msg: msg.to_owned() }),
            _ => {}
        }
        Ok(())
    }

    fn publish_trade(&mut self, rec: &Trade) {
        if self.rings.trades.publish(rec).is_ok() {
            self.stats.records += 1;
        }
    }

    fn depth_snapshot(&mut self, d: &DepthMsg<'_>, levels: &Levels, recv_ts: Nanos) -> Result<(), FeedError> {
        let inst = self.instruments[self.index(d.symbol.unwrap_or(""))?];
        let mut rec = BookSnapshot {
            header: Self::header(&inst, Kind::BOOK_SNAPSHOT, d.last_seq, d.trade_ts_ms.or(d.event_ts_ms), recv_ts),
            ..BookSnapshot::default()
        };
        let fill = |src: &[(Decimal, Decimal)], dst: &mut [Level; SNAPSHOT_DEPTH]| -> Result<u8, FeedError> {
            let mut n = 0u8;
            for ((p, q), slot) in src.iter().zip(dst.iter_mut()) {
                *slot = Level { price: p.to_fixed(inst.price_exp)?, qty: quantity(q, inst.qty_exp, "depth")? };
                n += 1;
            }
            Ok(n)
        };
        rec.bid_count = fill(&levels.bids, &mut rec.bids)?;
        rec.ask_count = fill(&levels.asks, &mut rec.asks)?;
        if self.rings.depth.publish(&rec).is_ok() {
            self.stats.records += 1;
        }
        Ok(())
    }

    /// Applies a REST depth snapshot for `symbol`. Returns `false` when it was too old and must
    /// be fetched again.
    ///
    /// # Errors
    ///
    /// [`FeedError::UnknownSymbol`] or [`FeedError::Value`].
    pub fn on_rest_snapshot(
        &mut self,
        symbol: &str,
        last_update_id: u64,
        levels: &Levels,
        recv_ts: Nanos,
    ) -> Result<bool, FeedError> {
        self.on_rest_snapshot_at(symbol, last_update_id, levels, Nanos(0), recv_ts)
    }

    /// As [`Feed::on_rest_snapshot`], for a snapshot the venue timed at `venue_ts`
    /// (`Nanos(0)`: none). A value that does not fit the instrument's exponents counts as a
    /// value error, as in the stream, so the venue's metadata is reloaded.
    ///
    /// # Errors
    ///
    /// As [`Feed::on_rest_snapshot`].
    pub fn on_rest_snapshot_at(
        &mut self,
        symbol: &str,
        last_update_id: u64,
        levels: &Levels,
        venue_ts: Nanos,
        recv_ts: Nanos,
    ) -> Result<bool, FeedError> {
        let i = self.index(symbol)?;
        let mut sink = Publish { ring: &mut self.rings.book, count: &mut self.stats.records };
        let r =
            self.books[i].on_snapshot_at(last_update_id, levels, venue_ts, recv_ts, &mut sink).map_err(FeedError::from);
        self.sync_table(i, venue_ts, recv_ts);
        if let Err(FeedError::Value(_)) = &r {
            self.stats.value_errors += 1;
        }
        r
    }

    /// The connection came up and its subscriptions were acknowledged.
    pub fn on_connected(&mut self, recv_ts: Nanos) {
        // What the decoder keeps per subscription (a venue's first book) starts over.
        if let Some(d) = &mut self.decoder {
            d.reset();
        }
        self.marker_everywhere(MarkerCode::CONNECTED, recv_ts);
    }

    /// The connection was lost: every ring gets a `disconnected` marker and every book is
    /// cleared (it is rebuilt from a fresh snapshot after the reconnect).
    pub fn on_disconnected(&mut self, recv_ts: Nanos) {
        self.marker_everywhere(MarkerCode::DISCONNECTED, recv_ts);
        for b in &mut self.books {
            let mut sink = Publish { ring: &mut self.rings.book, count: &mut self.stats.records };
            b.reset(recv_ts, &mut sink);
        }
        for i in 0..self.books.len() {
            self.sync_table(i, Nanos(0), recv_ts);
        }
    }

    /// One of the feed's connections was lost: every ring gets a `disconnected` marker, and
    /// the books of the instruments at positions `books` (those whose updates came on that
    /// connection) are cleared, to be rebuilt after its reconnect. The other books go on.
    pub fn on_disconnected_books(&mut self, recv_ts: Nanos, books: &[usize]) {
        self.marker_everywhere(MarkerCode::DISCONNECTED, recv_ts);
        for &i in books {
            if let Some(b) = self.books.get_mut(i) {
                let mut sink = Publish { ring: &mut self.rings.book, count: &mut self.stats.records };
                b.reset(recv_ts, &mut sink);
            }
            self.sync_table(i, Nanos(0), recv_ts);
        }
    }

    /// Connection number `conn` of the feed failed to come up: every ring gets a
    /// `connect_failed` marker (the engine sends one per run of failures).
    pub fn on_connect_failed(&mut self, conn: usize, recv_ts: Nanos) {
        self.marker_everywhere_detail(MarkerCode::CONNECT_FAILED, conn as u64, recv_ts);
    }

    fn marker_everywhere(&mut self, code: MarkerCode, recv_ts: Nanos) {
        self.marker_everywhere_detail(code, 0, recv_ts);
    }

    fn marker_everywhere_detail(&mut self, code: MarkerCode, detail: u64, recv_ts: Nanos) {
        let mut m = Marker { code, detail, ..Marker::default() };
        m.header.recv_ts = recv_ts;
        m.header.flags = flags::NO_VENUE_SEQ | flags::NO_VENUE_TS;
        if let Some(inst) = self.instruments.first() {
            m.header.venue = inst.venue;
        }
        for ring in self.rings.all_mut() {
            if ring.publish(&m).is_ok() {
                self.stats.records += 1;
            }
        }
    }

    /// Returns the sync rule of this feed's books.
    pub fn rule(&self) -> SyncRule {
        self.rule
    }
}
