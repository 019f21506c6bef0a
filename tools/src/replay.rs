//! `mdbus record` and `mdbus replay`: capture files ([`mdbus_feeder::capture`]) written from a
//! ring's records, and played back into rings. A capture a feeder made (`record:` in its
//! configuration) holds the raw frames: replay runs them through the same decoders and book
//! builders, and [`verify`] checks that every record comes out as recorded, bit for bit apart
//! from the two words that belong to the replaying bus (the ring position and the publish time).
//! A capture of records only is republished as it is.

use std::{
    collections::BTreeMap,
    path::Path,
    time::{Duration, Instant},
};

use mdbus_bus::{ReadError, Reader, RingDir, RingOptions, Start, Writer};
use mdbus_feeder::{
    Feed, Levels,
    capture::{Capture, CaptureError, CaptureWriter, Entry, Meta, MetaInstrument},
};
use mdbus_schemas::{Instrument, InstrumentId, InstrumentTable, Kind, Marker, MarkerCode, Nanos, Symbol};

/// Errors of record and replay.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayError {
    /// A ring could not be opened or created.
    #[error(transparent)]
    Ring(#[from] mdbus_bus::OpenError),
    /// A record could not be published.
    #[error(transparent)]
    Publish(#[from] mdbus_bus::PublishError),
    /// The capture file could not be read or written.
    #[error(transparent)]
    Capture(#[from] CaptureError),
    /// The replay's rings could not be set up.
    #[error(transparent)]
    Engine(#[from] mdbus_feeder::engine::EngineError),
    /// The capture names something this program cannot rebuild.
    #[error("capture: {0}")]
    Meta(String),
}

/// How fast to replay.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Speed {
    /// As fast as possible.
    Max,
    /// At a multiple of the recorded pace (1.0: as recorded).
    Times(f64),
}

/// What a replay did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReplayStats {
    /// Entries replayed (frames, snapshots, events; or records).
    pub entries: u64,
    /// Frames that failed to decode or apply (as they did live).
    pub errors: u64,
}

/// What [`record`] took in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Recorded {
    /// Records written into the capture.
    pub records: u64,
    /// Records the recorder lost because the writer lapped it, each loss written into the
    /// capture as a ring-wide `gap` marker carrying the count (see [`lost_marker`]).
    pub lost: u64,
}

/// The ring-wide `gap` marker that stands for `lost` records a reader of the ring missed
/// (instrument 0, `detail` = the count): what [`record`] writes into a capture where its reader
/// was lapped, so a replay shows the hole with its exact size.
pub fn lost_marker(lost: u64) -> Marker {
    let mut m = Marker { code: MarkerCode::GAP, detail: lost, ..Marker::default() };
    m.header.recv_ts = Nanos(mdbus_bus::now_ns());
    m.header.flags = mdbus_schemas::flags::NO_VENUE_SEQ | mdbus_schemas::flags::NO_VENUE_TS;
    m
}

/// Whether a ring carries account data (orders, fills, balances, positions): its captures
/// are readable by their owner only.
fn private_ring(name: &str, kind: Kind) -> bool {
    name.ends_with(".account") || matches!(kind, Kind::ORDER | Kind::FILL | Kind::BALANCE | Kind::POSITION)
}

/// Records `path`'s ring into a capture at `out` for `duration` (or, with `until_caught_up`,
/// until nothing is left to read), starting from `start`. Records lost because the ring's
/// writer lapped the recorder are counted and written into the capture as a `gap` marker with
/// the count, where they were lost. A capture of an account ring is created with mode 0600,
/// any other with 0640.
///
/// # Errors
///
/// When the ring cannot be opened or the file written.
pub fn record(
    ring: &Path,
    out: &Path,
    start: Start,
    duration: Duration,
    until_caught_up: bool,
    progress: &mut dyn FnMut(u64),
) -> Result<Recorded, ReplayError> {
    let mut reader = Reader::open_at(ring, start)?;
    let dir = RingDir::new(ring.parent().unwrap_or(Path::new(".")));
    let table = dir.load_instruments().ok().flatten().and_then(Result::ok);
    let name = ring.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let meta = Meta {
        feed: name.rsplit_once('.').map_or(name.as_str(), |(f, _)| f).to_owned(),
        venue: String::new(),
        market: String::new(),
        instruments: table
            .iter()
            .flat_map(InstrumentTable::iter)
            .map(|i| MetaInstrument {
                id: i.id.0,
                symbol: i.symbol.as_str().to_owned(),
                price_exp: i.price_exp,
                qty_exp: i.qty_exp,
            })
            .collect(),
        channels: Vec::new(),
    };
    let mode = if private_ring(&name, reader.kind()) { 0o600 } else { 0o640 };
    let mut w = CaptureWriter::create_with_mode(out, &meta, mode)?;
    let ring_kind = reader.kind().0;
    let t0 = Instant::now();
    let mut tick = Instant::now();
    let mut n = 0;
    let mut lost = 0;
    let backoff = crossbeam_utils::Backoff::new();
    while t0.elapsed() < duration {
        match reader.try_read() {
            Ok(rec) => {
                backoff.reset();
                w.write(&Entry::Record { ring: ring_kind, bytes: rec.bytes().to_vec() })?;
                n += 1;
            }
            Err(ReadError::Overrun { lost: l }) => {
                lost += l;
                let m = lost_marker(l);
                w.write(&Entry::Record { ring: ring_kind, bytes: zerocopy::IntoBytes::as_bytes(&m).to_vec() })?;
            }
            Err(ReadError::Empty) if until_caught_up => break,
            Err(ReadError::Empty) => backoff.snooze(),
        }
        if tick.elapsed() >= Duration::from_secs(1) {
            tick = Instant::now();
            progress(n);
        }
    }
    w.finish()?;
    Ok(Recorded { records: n, lost })
}

/// The ring a feed publishes records of `kind` in: `<feed>.quote`, `.trade`, `.book`, `.depth`,
/// `.bar` (other kinds: the kind's name).
fn ring_names(kind: u8) -> &'static str {
    match Kind(kind) {
        Kind::QUOTE => "quote",
        Kind::TRADE => "trade",
        Kind::BOOK_DELTA => "book",
        Kind::BOOK_SNAPSHOT => "depth",
        Kind::BAR => "bar",
        k => k.name().unwrap_or("unknown"),
    }
}

/// Plays `cap` back into rings `<name>.*` in `dir` at `speed`, calling `progress` with the
/// entries done and the total about ten times a second.
///
/// # Errors
///
/// When the rings cannot be created or the capture names an unknown venue.
pub fn replay(
    cap: &Capture,
    dir: &RingDir,
    name: &str,
    capacity: u64,
    speed: Speed,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<ReplayStats, ReplayError> {
    let has_frames = cap.entries.iter().any(|e| !matches!(e, Entry::Record { .. }));
    let total = cap.entries.len() as u64;
    let t0 = Instant::now();
    let mut first_ts = None;
    let mut last_progress = Instant::now();
    let mut pace = |ts: u64, done: u64| {
        if let Speed::Times(x) = speed
            && ts > 0
            && x > 0.0
        {
            let base = *first_ts.get_or_insert(ts);
            let due = Duration::from_nanos(((ts.saturating_sub(base)) as f64 / x) as u64);
            if let Some(wait) = due.checked_sub(t0.elapsed()) {
                std::thread::sleep(wait);
            }
        }
        if last_progress.elapsed() >= Duration::from_millis(100) {
            last_progress = Instant::now();
            progress(done, total);
        }
    };
    let mut stats = ReplayStats::default();
    if !has_frames {
        // Records only: republish each as it is, into a ring of its recorded ring's kind.
        let mut writers: BTreeMap<u8, Writer> = BTreeMap::new();
        for e in &cap.entries {
            let Entry::Record { ring, bytes } = e else { continue };
            let ts = bytes.get(40..48).map_or(0, |b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])));
            pace(ts, stats.entries);
            if is_writer_started(bytes) {
                continue;
            }
            let w = match writers.entry(*ring) {
                std::collections::btree_map::Entry::Occupied(o) => o.into_mut(),
                std::collections::btree_map::Entry::Vacant(v) => v.insert(dir.writer(
                    &format!("{name}.{}", ring_names(*ring)),
                    Kind(*ring),
                    &RingOptions::default().capacity(capacity),
                )?),
            };
            w.publish_bytes(bytes)?;
            stats.entries += 1;
        }
        return Ok(stats);
    }
    let venue = mdbus_venues::ALL
        .find(&cap.meta.venue, &cap.meta.market)
        .ok_or_else(|| ReplayError::Meta(format!("unknown venue {} {}", cap.meta.venue, cap.meta.market)))?;
    let mut table = InstrumentTable::default();
    let mut instruments = Vec::new();
    for i in &cap.meta.instruments {
        let sym = Symbol::new(&i.symbol).map_err(|e| ReplayError::Meta(format!("{}: {e}", i.symbol)))?;
        let inst = Instrument::new(InstrumentId(i.id), venue.id(), sym, i.price_exp, i.qty_exp);
        table.insert(inst).map_err(|e| ReplayError::Meta(e.to_string()))?;
        instruments.push(inst);
    }
    let rule = venue.feed_book(&cap.meta.channels).map_or_else(|| venue.sync_rule(), |b| b.rule);
    let mut feed = Feed::with_rule(venue, rule, instruments, mdbus_feeder::engine::rings(dir, name, capacity)?);
    dir.save_instruments(&table)?;
    let mut levels = Levels::default();
    for e in &cap.entries {
        match e {
            Entry::Frame { recv_ns, bytes, .. } => {
                pace(*recv_ns, stats.entries);
                if feed.on_frame(bytes, Nanos(*recv_ns)).is_err() {
                    stats.errors += 1;
                }
            }
            Entry::Snapshot { recv_ns, symbol, body } => {
                pace(*recv_ns, stats.entries);
                if let Ok((last, venue_ms)) = venue.rest_snapshot_at(body, &mut levels) {
                    let venue_ts = Nanos::from_millis(venue_ms.unwrap_or(0));
                    let _ = feed.on_rest_snapshot_at(symbol, last, &levels, venue_ts, Nanos(*recv_ns));
                }
            }
            Entry::Connected { recv_ns } => {
                pace(*recv_ns, stats.entries);
                feed.on_connected(Nanos(*recv_ns));
            }
            Entry::Disconnected { recv_ns } => {
                pace(*recv_ns, stats.entries);
                feed.on_disconnected(Nanos(*recv_ns));
            }
            Entry::Relisted { recv_ns, index, instrument: i } => {
                pace(*recv_ns, stats.entries);
                let sym = Symbol::new(&i.symbol).map_err(|e| ReplayError::Meta(format!("{}: {e}", i.symbol)))?;
                let inst = Instrument::new(InstrumentId(i.id), venue.id(), sym, i.price_exp, i.qty_exp);
                table.relist(inst).map_err(|e| ReplayError::Meta(e.to_string()))?;
                dir.save_instruments(&table)?;
                feed.relist(*index as usize, inst, Nanos(*recv_ns));
            }
            _ => continue,
        }
        stats.entries += 1;
    }
    progress(total, total);
    Ok(stats)
}

fn is_writer_started(bytes: &[u8]) -> bool {
    matches!(mdbus_schemas::RecordView::from_bytes(bytes), Ok(mdbus_schemas::RecordView::Marker(m)) if m.code == MarkerCode::WRITER_STARTED)
}

/// The words of a record that belong to the bus that published it: the ring position (word 0)
/// and the publish time (word 5).
fn masked(bytes: &[u8]) -> Vec<u8> {
    let mut b = bytes.to_vec();
    for w in [0usize, 5] {
        if let Some(s) = b.get_mut(8 * w..8 * w + 8) {
            s.fill(0);
        }
    }
    b
}

/// How a replay compares with its capture, ring by ring.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verify {
    /// Records compared, over every ring.
    pub compared: u64,
    /// Per ring kind name: recorded and replayed record counts where they differ, or the
    /// index of the first record that differs.
    pub mismatches: Vec<String>,
}

/// Compares the records of `cap` with those the replay published into `<name>.*` in `dir`,
/// ring by ring, in order (the rings' own `writer_started` markers aside).
///
/// # Errors
///
/// When a replayed ring cannot be opened.
pub fn verify(cap: &Capture, dir: &RingDir, name: &str) -> Result<Verify, ReplayError> {
    let mut recorded: BTreeMap<u8, Vec<&[u8]>> = BTreeMap::new();
    for e in &cap.entries {
        if let Entry::Record { ring, bytes } = e
            && !is_writer_started(bytes)
        {
            recorded.entry(*ring).or_default().push(bytes);
        }
    }
    let mut v = Verify::default();
    for (ring, want) in &recorded {
        let path = dir.ring_path(&format!("{name}.{}", ring_names(*ring)))?;
        let mut r = Reader::open_at(&path, Start::Oldest)?;
        let mut got = Vec::new();
        loop {
            match r.try_read() {
                Ok(rec) if !is_writer_started(rec.bytes()) => got.push(rec.bytes().to_vec()),
                Ok(_) => {}
                Err(ReadError::Overrun { lost }) => {
                    v.mismatches.push(format!("{}: replay ring overran, {lost} lost", ring_names(*ring)))
                }
                Err(ReadError::Empty) => break,
            }
        }
        if got.len() != want.len() {
            v.mismatches.push(format!("{}: {} recorded, {} replayed", ring_names(*ring), want.len(), got.len()));
        }
        if let Some(i) = want.iter().zip(&got).position(|(a, b)| masked(a) != masked(b)) {
            v.mismatches.push(format!("{}: record {i} differs", ring_names(*ring)));
        }
        v.compared += want.len().min(got.len()) as u64;
    }
    Ok(v)
}
