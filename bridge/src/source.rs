//! The sending side: the rings of a directory that match a pattern, each read from its oldest
//! record on and handed out one message at a time.

use mdbus_bus::{ReadError, Reader, RingDir, Start};

use crate::{
    BridgeError,
    wire::{self, Announce},
};

/// One ring being sent.
#[derive(Debug)]
pub struct SourceRing {
    announce: Announce,
    reader: Reader,
    /// The batch being sent ([`wire::records`]).
    message: Vec<u8>,
    /// How many records `message` holds that the transport has not taken yet.
    pending: usize,
    /// Records handed to the transport.
    pub sent: u64,
    /// Records the ring's writer overwrote before this side read them (the receiving side
    /// sees them as a gap in the sequence numbers and counts them too).
    pub lost: u64,
}

impl SourceRing {
    /// What the receiving side needs to mirror this ring.
    pub fn announce(&self) -> &Announce {
        &self.announce
    }

    /// Hands the records waiting in the ring to `send`, oldest first, batched into messages of
    /// about `max_bytes` ([`wire::records`]: a batch closes when another record of the size of
    /// its last would not fit; a larger record goes alone) and at most `max` records in all; returns how many it took. A message that `send` refuses (returns
    /// `false`: the transport is back-pressured or not connected) is kept and offered first on
    /// the next call. Allocates nothing once its buffer has grown to a batch.
    pub fn pump(&mut self, max: usize, max_bytes: usize, mut send: impl FnMut(&[u8]) -> bool) -> usize {
        let mut taken = 0;
        while taken < max {
            if self.pending == 0 {
                self.message.clear();
                while taken + self.pending < max {
                    match self.reader.try_read() {
                        Ok(rec) => {
                            let bytes = rec.record_bytes();
                            let start = self.message.len() + wire::RECORD_PREFIX;
                            wire::push_record(&mut self.message, bytes);
                            self.message[start..start + 8].copy_from_slice(&rec.seq().to_le_bytes());
                            self.pending += 1;
                            // Closed when another record of this size would not fit.
                            if self.message.len() + wire::RECORD_PREFIX + bytes.len() > max_bytes {
                                break;
                            }
                        }
                        Err(ReadError::Overrun { lost }) => self.lost += lost,
                        Err(ReadError::Empty) => break,
                    }
                }
                if self.pending == 0 {
                    break;
                }
            }
            if !send(&self.message) {
                break;
            }
            self.sent += self.pending as u64;
            taken += self.pending;
            self.pending = 0;
        }
        taken
    }

    /// How many records this side is behind the ring's writer.
    pub fn lag(&self) -> u64 {
        self.reader.lag() + self.pending as u64
    }
}

/// The rings of one directory whose names match a pattern.
#[derive(Debug)]
pub struct Source {
    dir: RingDir,
    pattern: glob::Pattern,
    rings: Vec<SourceRing>,
}

impl Source {
    /// Bridges the rings of `dir` whose names match `pattern` (shell-style: `*`, `?`, `[...]`;
    /// `*` for all). Call [`Source::rescan`] to open them.
    ///
    /// # Errors
    ///
    /// [`BridgeError::Pattern`] for a malformed pattern.
    pub fn new(dir: RingDir, pattern: &str) -> Result<Source, BridgeError> {
        let pattern = glob::Pattern::new(pattern)
            .map_err(|e| BridgeError::Pattern { pattern: pattern.to_owned(), reason: e.msg.to_owned() })?;
        Ok(Source { dir, pattern, rings: Vec::new() })
    }

    /// Opens the matching rings not open yet (rings appear as feeds start); returns how many it
    /// opened. A ring that cannot be opened now is skipped with a warning and tried again on
    /// the next call.
    ///
    /// # Errors
    ///
    /// [`BridgeError::Open`] when the directory cannot be listed; [`BridgeError::StreamClash`]
    /// when two ring names hash to one stream id.
    pub fn rescan(&mut self) -> Result<usize, BridgeError> {
        let mut opened = 0;
        for entry in self.dir.list()? {
            if !self.pattern.matches(&entry.name) || self.rings.iter().any(|r| r.announce.name == entry.name) {
                continue;
            }
            if !wire::valid_name(&entry.name) {
                tracing::warn!(ring = %entry.name, "not bridged: the name is not a plain ring name");
                continue;
            }
            let stream = wire::stream_of(&entry.name);
            if let Some(other) = self.rings.iter().find(|r| r.announce.stream == stream) {
                return Err(BridgeError::StreamClash { a: other.announce.name.clone(), b: entry.name, stream });
            }
            let reader = match Reader::open_at(&entry.path, Start::Oldest) {
                Ok(r) => r,
                Err(e) => {
                    tracing::warn!(ring = %entry.name, error = %e, "not bridged yet: cannot open the ring");
                    continue;
                }
            };
            let announce = Announce {
                name: entry.name,
                stream,
                kind: reader.kind(),
                record_size: reader.record_size() as u32,
                capacity: reader.capacity(),
                created_ns: reader.created_ns(),
            };
            tracing::info!(ring = %announce.name, stream, from = reader.position(), "bridging");
            let message = Vec::with_capacity(reader.record_size());
            self.rings.push(SourceRing { announce, reader, message, pending: 0, sent: 0, lost: 0 });
            opened += 1;
        }
        Ok(opened)
    }

    /// The rings being sent.
    pub fn rings(&self) -> &[SourceRing] {
        &self.rings
    }

    /// The rings being sent, to pump.
    pub fn rings_mut(&mut self) -> &mut [SourceRing] {
        &mut self.rings
    }

    /// The instrument table as it is now, encoded, if there is a valid one. A damaged table is
    /// not sent (a warning says why).
    ///
    /// # Errors
    ///
    /// [`BridgeError::Open`] when the file exists but cannot be read, or is not a regular file.
    pub fn instruments(&self) -> Result<Option<Vec<u8>>, BridgeError> {
        match self.dir.load_instruments()? {
            Some(Ok(table)) => Ok(Some(table.to_bytes())),
            Some(Err(e)) => {
                tracing::warn!(error = %e, "instrument table not sent: it is damaged");
                Ok(None)
            }
            None => Ok(None),
        }
    }
}
