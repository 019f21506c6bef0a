//! `mdbus stat`: what a ring carried over a window, per instrument: records and their rate,
//! gaps, resyncs, crossed books, and when the last gap and resync happened; plus the feed-wide
//! connection markers (connects, disconnects, writer restarts) and records lost to overruns.

use std::{
    collections::BTreeMap,
    path::Path,
    time::{Duration, Instant},
};

use mdbus_bus::{ReadError, Reader, Start};
use mdbus_schemas::{InstrumentTable, Kind, Marker, MarkerCode};
use serde_json::{Value, json};

/// Counters of one instrument (id 0: markers about the whole feed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InstrumentStat {
    /// Records other than markers.
    pub records: u64,
    /// Gap markers.
    pub gaps: u64,
    /// Completed resynchronisations.
    pub resyncs: u64,
    /// Crossed-book markers.
    pub crossed: u64,
    /// Receive time (ns since the epoch) of the last gap marker, 0 if none.
    pub last_gap_ns: u64,
    /// Receive time of the last completed resync, 0 if none.
    pub last_resync_ns: u64,
}

/// What a ring carried over a window.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RingStat {
    /// How long it was read.
    pub window: Duration,
    /// Records read (markers included).
    pub records: u64,
    /// Records lost to overruns while reading.
    pub lost: u64,
    /// `connected` markers.
    pub connects: u64,
    /// `disconnected` markers.
    pub disconnects: u64,
    /// `writer_started` markers (a feeder (re)started on the ring).
    pub writer_starts: u64,
    /// Per instrument id.
    pub instruments: BTreeMap<u32, InstrumentStat>,
}

impl RingStat {
    /// Counts one record: its kind, instrument and receive time, and the marker code of a
    /// marker.
    pub fn add(&mut self, kind: Kind, instrument: u32, recv_ns: u64, marker: Option<MarkerCode>) {
        self.records += 1;
        let e = self.instruments.entry(instrument).or_default();
        match (kind, marker) {
            (Kind::MARKER, Some(MarkerCode::GAP)) => {
                e.gaps += 1;
                e.last_gap_ns = recv_ns;
            }
            (Kind::MARKER, Some(MarkerCode::RESYNC_DONE)) => {
                e.resyncs += 1;
                e.last_resync_ns = recv_ns;
            }
            (Kind::MARKER, Some(MarkerCode::CROSSED)) => e.crossed += 1,
            (Kind::MARKER, Some(MarkerCode::CONNECTED)) => self.connects += 1,
            (Kind::MARKER, Some(MarkerCode::DISCONNECTED)) => self.disconnects += 1,
            (Kind::MARKER, Some(MarkerCode::WRITER_STARTED)) => self.writer_starts += 1,
            (Kind::MARKER, _) => {}
            _ => e.records += 1,
        }
    }

    /// The stats as JSON; instruments named from `table` where it knows them.
    pub fn to_json(&self, table: Option<&InstrumentTable>) -> Value {
        let secs = self.window.as_secs_f64().max(1e-9);
        let instruments: Vec<Value> = self
            .instruments
            .iter()
            .map(|(id, s)| {
                json!({
                    "instrument": id, "symbol": symbol(table, *id),
                    "records": s.records, "per_s": (s.records as f64 / secs).round(),
                    "gaps": s.gaps, "resyncs": s.resyncs, "crossed": s.crossed,
                    "last_gap_ns": s.last_gap_ns, "last_resync_ns": s.last_resync_ns,
                })
            })
            .collect();
        json!({
            "window_s": self.window.as_secs_f64(), "records": self.records, "per_s": (self.records as f64 / secs).round(),
            "lost": self.lost, "connects": self.connects, "disconnects": self.disconnects,
            "writer_starts": self.writer_starts, "instruments": instruments,
        })
    }

    /// The stats as an aligned table.
    pub fn to_table(&self, table: Option<&InstrumentTable>) -> String {
        let secs = self.window.as_secs_f64().max(1e-9);
        let mut s = format!(
            "{:>10} {:<16} {:>10} {:>10} {:>6} {:>8} {:>8} {:>14} {:>14}\n",
            "INSTRUMENT", "SYMBOL", "RECORDS", "PER_S", "GAPS", "RESYNCS", "CROSSED", "LAST GAP", "LAST RESYNC"
        );
        let ago = |ns: u64| {
            if ns == 0 {
                "-".to_owned()
            } else {
                format!("{} ago", crate::stats::human_ns(mdbus_bus::now_ns().saturating_sub(ns)))
            }
        };
        for (id, i) in &self.instruments {
            s.push_str(&format!(
                "{:>10} {:<16} {:>10} {:>10.0} {:>6} {:>8} {:>8} {:>14} {:>14}\n",
                id,
                symbol(table, *id),
                i.records,
                i.records as f64 / secs,
                i.gaps,
                i.resyncs,
                i.crossed,
                ago(i.last_gap_ns),
                ago(i.last_resync_ns)
            ));
        }
        s.push_str(&format!(
            "{} records in {:.1} s ({:.0}/s), {} lost to overruns; {} connects, {} disconnects, {} writer starts\n",
            self.records,
            secs,
            self.records as f64 / secs,
            self.lost,
            self.connects,
            self.disconnects,
            self.writer_starts
        ));
        s
    }
}

fn symbol(table: Option<&InstrumentTable>, id: u32) -> String {
    if id == 0 {
        return "(feed)".into();
    }
    table
        .and_then(|t| t.get(mdbus_schemas::InstrumentId(id)))
        .map_or_else(String::new, |i| i.symbol.as_str().to_owned())
}

/// Reads `path` from `start` for `window` (or, with `until_caught_up`, until nothing is left
/// to read) and counts what it carried.
///
/// # Errors
///
/// When the ring cannot be opened.
pub fn collect(
    path: &Path,
    start: Start,
    window: Duration,
    until_caught_up: bool,
) -> Result<RingStat, mdbus_bus::OpenError> {
    let mut reader = Reader::open_at(path, start)?;
    let mut s = RingStat::default();
    let t0 = Instant::now();
    let backoff = crossbeam_utils::Backoff::new();
    while t0.elapsed() < window {
        match reader.try_read() {
            Ok(rec) => {
                backoff.reset();
                let h = rec.header();
                let marker = (h.kind == Kind::MARKER).then(|| rec.get::<Marker>().map(|m| m.code)).flatten();
                s.add(h.kind, h.instrument.0, h.recv_ts.0, marker);
            }
            Err(ReadError::Overrun { lost }) => s.lost += lost,
            Err(ReadError::Empty) if until_caught_up => break,
            Err(ReadError::Empty) => backoff.snooze(),
        }
    }
    s.window = t0.elapsed();
    Ok(s)
}
