//! The receiving side: rings of the same names as the sending side's, holding each record at
//! the sequence number it has there, with every record lost on the way counted in place.

use std::{collections::HashMap, path::PathBuf};

use mdbus_bus::{Mirrored, RingDir, RingOptions, Writer};
use mdbus_schemas::InstrumentTable;

use crate::{
    BridgeError,
    wire::{self, Announce, Control},
};

/// Counts of one mirrored ring.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MirrorStats {
    /// Records written at their sequence numbers.
    pub received: u64,
    /// Records lost on the way (each stands in the ring as a gap marker).
    pub missed: u64,
    /// Runs of lost records.
    pub gaps: u64,
    /// Records that arrived again (the sending side restarted): not written twice.
    pub duplicates: u64,
    /// Messages that were not records of this ring, dropped.
    pub malformed: u64,
}

/// One ring being mirrored.
#[derive(Debug)]
pub struct MirrorRing {
    announce: Announce,
    writer: Writer,
    /// Counts so far.
    pub stats: MirrorStats,
}

impl MirrorRing {
    /// What the sending side announced of this ring.
    pub fn announce(&self) -> &Announce {
        &self.announce
    }

    /// The sequence number the next record will get.
    pub fn head(&self) -> u64 {
        self.writer.head()
    }

    /// Writes a batch's records into the mirror, in order; a malformed record ends the batch
    /// (counted). Allocates nothing.
    fn batch(&mut self, msg: &[u8]) -> Result<(), BridgeError> {
        for rec in wire::records(msg) {
            let (seq, bytes) = rec.inspect_err(|_| self.stats.malformed += 1)?;
            self.record(seq, bytes)?;
        }
        Ok(())
    }

    /// Writes one record into the mirror.
    fn record(&mut self, seq: u64, bytes: &[u8]) -> Result<(), BridgeError> {
        let expected = self.writer.head();
        match self.writer.publish_mirrored(seq, bytes) {
            Ok(Mirrored::Published { missed }) => {
                self.stats.received += 1;
                if missed > 0 {
                    self.stats.missed += missed;
                    self.stats.gaps += 1;
                    tracing::warn!(ring = %self.announce.name, missed, from = expected, to = seq,
                        "records lost on the way; gap markers stand in their place");
                }
                Ok(())
            }
            Ok(_) => {
                self.stats.duplicates += 1;
                Ok(())
            }
            Err(e) => {
                self.stats.malformed += 1;
                Err(BridgeError::Publish { ring: self.announce.name.clone(), source: e })
            }
        }
    }
}

/// The mirrors of one receiving directory, by stream.
#[derive(Debug)]
pub struct MirrorSet {
    dir: RingDir,
    rings: HashMap<i32, MirrorRing>,
    table: Option<Vec<u8>>,
}

impl MirrorSet {
    /// Mirrors into `dir`.
    pub fn new(dir: RingDir) -> MirrorSet {
        MirrorSet { dir, rings: HashMap::new(), table: None }
    }

    /// Handles a control message. Returns the stream to subscribe to when it announced a ring
    /// this side did not mirror yet.
    ///
    /// A ring announced for the first time is opened, or created with the sending ring's kind
    /// and capacity. If the sending ring was made anew since the mirror last saw it (its
    /// creation time differs from the one noted beside the mirror, `NAME.source`), its
    /// sequence numbers start again, so the mirror is made anew too. An instrument table is
    /// checked and written beside the rings when it differs from the last one.
    ///
    /// # Errors
    ///
    /// [`BridgeError::Wire`] for a malformed message, [`BridgeError::Table`] for a damaged
    /// table, [`BridgeError::Open`] when the mirror cannot be opened or created (say, a ring of
    /// that name with another kind or capacity is there).
    pub fn control(&mut self, msg: &[u8]) -> Result<Option<i32>, BridgeError> {
        match Control::from_bytes(msg)? {
            Control::Announce(a) => self.announce(a),
            Control::Instruments(bytes) => {
                if self.table.as_deref() != Some(&bytes[..]) {
                    let table = InstrumentTable::from_bytes(&bytes)?;
                    self.dir.save_instruments(&table)?;
                    tracing::info!(instruments = table.len(), "instrument table received");
                    self.table = Some(bytes);
                }
                Ok(None)
            }
        }
    }

    fn announce(&mut self, a: Announce) -> Result<Option<i32>, BridgeError> {
        if let Some(ring) = self.rings.get(&a.stream) {
            if ring.announce.name != a.name {
                return Err(BridgeError::StreamClash { a: ring.announce.name.clone(), b: a.name, stream: a.stream });
            }
            if ring.announce.created_ns == a.created_ns {
                return Ok(None);
            }
            tracing::warn!(ring = %a.name, "the sending ring was made anew: so is its mirror");
            self.rings.remove(&a.stream);
            let ring = self.open(&a, true)?;
            self.rings.insert(a.stream, ring);
            return Ok(None);
        }
        let noted = std::fs::read_to_string(self.source_note(&a.name)?).ok().and_then(|s| s.trim().parse::<u64>().ok());
        let anew = noted.is_some_and(|n| n != a.created_ns);
        if anew {
            tracing::warn!(ring = %a.name, "the sending ring was made anew since this mirror was: so is the mirror");
        }
        let ring = self.open(&a, anew)?;
        tracing::info!(ring = %a.name, stream = a.stream, head = ring.head(), "mirroring");
        let stream = a.stream;
        self.rings.insert(stream, ring);
        Ok(Some(stream))
    }

    fn source_note(&self, name: &str) -> Result<PathBuf, BridgeError> {
        Ok(self.dir.ring_path(name)?.with_extension("source"))
    }

    fn open(&self, a: &Announce, anew: bool) -> Result<MirrorRing, BridgeError> {
        let path = self.dir.ring_path(&a.name)?;
        if anew {
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => return Err(BridgeError::Io { op: "remove", path, source }),
            }
        }
        let opts = RingOptions::default().capacity(a.capacity).mirror(true);
        let writer = Writer::open_or_create(&path, a.kind, &opts)?;
        if writer.record_size() != a.record_size as usize {
            return Err(BridgeError::RecordSize {
                ring: a.name.clone(),
                mirror: writer.record_size(),
                sender: a.record_size as usize,
            });
        }
        let note = path.with_extension("source");
        std::fs::write(&note, format!("{}\n", a.created_ns)).map_err(|source| BridgeError::Io {
            op: "write",
            path: note,
            source,
        })?;
        Ok(MirrorRing { announce: a.clone(), writer, stats: MirrorStats::default() })
    }

    /// Writes the records of a message that arrived on `stream` (a batch, [`wire::records`]).
    ///
    /// # Errors
    ///
    /// [`BridgeError::UnknownStream`] for a stream no ring was announced on,
    /// [`BridgeError::Wire`] or [`BridgeError::Publish`] for a record that is not one of the
    /// ring's (counted in its `malformed`; it and the rest of the batch are not written, the
    /// records before it are).
    pub fn record(&mut self, stream: i32, msg: &[u8]) -> Result<(), BridgeError> {
        match self.rings.get_mut(&stream) {
            Some(ring) => ring.batch(msg),
            None => Err(BridgeError::UnknownStream(stream)),
        }
    }

    /// Marks every mirror's writer alive (its heartbeat), for monitors on the receiving host
    /// (`mdbus ls`, `mdbus health`): the records keep the sending side's publish times, which
    /// do not move the heartbeat. The receiving loop calls it every 100 ms.
    pub fn heartbeat(&self) {
        for ring in self.rings.values() {
            ring.writer.heartbeat();
        }
    }

    /// The rings being mirrored.
    pub fn rings(&self) -> impl Iterator<Item = &MirrorRing> {
        self.rings.values()
    }
}
