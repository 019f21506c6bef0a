//! Capture files: what a feed received (raw websocket frames with their receive times, REST
//! snapshots, connection events) and what it published (its records), so a replay can run the
//! same frames through the same decoders and reproduce the records.
//!
//! # Format (all integers little-endian)
//!
//! ```text
//! file    = header entry* [index trailer]
//! header  = "MDBUSCAP" version:u32 meta_len:u32 layout_hash:u64 meta:[u8; meta_len] crc:u32
//!           (meta: JSON {"feed", "venue", "market", "instruments": [{id, symbol, price_exp, qty_exp}]};
//!            crc: CRC-32 of everything before it)
//! entry   = len:u32 type:u8 0:u8 0:u16 time_ns:u64 payload:[u8; len] crc:u32
//!           (crc: CRC-32 of type through payload)
//! type    = 1 text frame | 2 binary frame | 3 REST snapshot (payload: symbol_len:u8 symbol body)
//!         | 4 connected | 5 disconnected
//!         | 6 record (payload: ring kind:u8, the record's bytes; time: its publish time)
//!         | 8 relisted (payload: instrument index:u32, JSON {id, symbol, price_exp, qty_exp})
//! index   = an entry of type 7 whose payload is the offsets (u64) of every 1024th entry
//! trailer = "MDBUSIDX" index_offset:u64 entries:u64 crc:u32 (CRC-32 of the 24 bytes before)
//! ```
//!
//! A file cut short (a crash while recording) has no index: the reader scans entries from the
//! start. A damaged entry stops the scan with an error naming its offset; every entry before it
//! stays readable.

use std::{
    fs::File,
    io::{self, BufWriter, Read, Write},
    path::Path,
};

use serde::{Deserialize, Serialize};

const MAGIC: &[u8; 8] = b"MDBUSCAP";
const TRAILER_MAGIC: &[u8; 8] = b"MDBUSIDX";
/// Format version.
pub const VERSION: u32 = 1;
/// Entries between two index points.
pub const INDEX_EVERY: u64 = 1024;
/// Largest entry payload accepted (a frame above this is refused, not written).
pub const MAX_PAYLOAD: usize = 64 << 20;

/// What a capture is of: enough to rebuild the feed that made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    /// The feed's name (its ring prefix).
    pub feed: String,
    /// Venue as configurations name it (`binance`, `okx`, ...).
    pub venue: String,
    /// Market (`spot`, `usdm`, `linear`).
    pub market: String,
    /// The feed's instruments.
    pub instruments: Vec<MetaInstrument>,
    /// The feed's channels, as configured (they say which book rule a replay follows;
    /// captures that predate them replay with the venue's `depth` rule).
    #[serde(default)]
    pub channels: Vec<String>,
}

/// One instrument of a capture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetaInstrument {
    /// Instrument id in records.
    pub id: u32,
    /// Symbol as the venue spells it.
    pub symbol: String,
    /// Price exponent.
    pub price_exp: i8,
    /// Quantity exponent.
    pub qty_exp: i8,
}

/// One captured item.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Entry {
    /// A websocket frame as received (`binary`: a binary frame, HTX gzip).
    Frame {
        /// Receive time, ns since the epoch.
        recv_ns: u64,
        /// Binary frame.
        binary: bool,
        /// The frame's bytes.
        bytes: Vec<u8>,
    },
    /// A REST book snapshot's body as received.
    Snapshot {
        /// Receive time.
        recv_ns: u64,
        /// The symbol it is of.
        symbol: String,
        /// The body.
        body: Vec<u8>,
    },
    /// The connection came up and was subscribed.
    Connected {
        /// When.
        recv_ns: u64,
    },
    /// The connection was lost.
    Disconnected {
        /// When.
        recv_ns: u64,
    },
    /// A symbol was relisted under a new id and exponents (the venue's precision changed).
    Relisted {
        /// When.
        recv_ns: u64,
        /// Its position among the feed's instruments.
        index: u32,
        /// The new listing.
        instrument: MetaInstrument,
    },
    /// A record the feed published.
    Record {
        /// The kind of the ring it was published in (markers travel in every ring).
        ring: u8,
        /// Its bytes as read from the ring (first word: its sequence).
        bytes: Vec<u8>,
    },
}

/// Why a capture could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CaptureError {
    /// Reading or writing failed.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// The file does not start with a valid capture header.
    #[error("not a capture file: {0}")]
    Header(String),
    /// An entry is damaged or cut short; everything before `offset` is valid.
    #[error("damaged entry at byte {offset}: {why}")]
    Damaged {
        /// Byte offset of the damaged entry.
        offset: u64,
        /// What is wrong.
        why: &'static str,
    },
}

fn crc(parts: &[&[u8]]) -> u32 {
    let mut c = flate2::Crc::new();
    for p in parts {
        c.update(p);
    }
    c.sum()
}

/// Writes a capture file.
#[derive(Debug)]
pub struct CaptureWriter {
    out: BufWriter<File>,
    offset: u64,
    entries: u64,
    index: Vec<u64>,
}

impl CaptureWriter {
    /// Creates `path` (replacing it) with mode 0640 and writes the header.
    ///
    /// # Errors
    ///
    /// When the file cannot be written.
    pub fn create(path: &Path, meta: &Meta) -> Result<CaptureWriter, CaptureError> {
        CaptureWriter::create_with_mode(path, meta, 0o640)
    }

    /// Creates `path` (replacing it) with file mode `mode` (0600 for captures of private
    /// data) and writes the header. A file that is already there takes the mode too.
    ///
    /// # Errors
    ///
    /// When the file cannot be written.
    pub fn create_with_mode(path: &Path, meta: &Meta, mode: u32) -> Result<CaptureWriter, CaptureError> {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let file = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(mode).open(path)?;
        file.set_permissions(std::fs::Permissions::from_mode(mode))?;
        let mut out = BufWriter::new(file);
        let meta = serde_json::to_vec(meta).map_err(|e| CaptureError::Header(e.to_string()))?;
        let mut head = Vec::with_capacity(32 + meta.len());
        head.extend_from_slice(MAGIC);
        head.extend_from_slice(&VERSION.to_le_bytes());
        head.extend_from_slice(&(meta.len() as u32).to_le_bytes());
        head.extend_from_slice(&mdbus_schemas::LAYOUT_HASH.to_le_bytes());
        head.extend_from_slice(&meta);
        let c = crc(&[&head]);
        out.write_all(&head)?;
        out.write_all(&c.to_le_bytes())?;
        Ok(CaptureWriter { out, offset: head.len() as u64 + 4, entries: 0, index: Vec::new() })
    }

    fn raw(&mut self, kind: u8, time_ns: u64, parts: &[&[u8]]) -> Result<(), CaptureError> {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        if len > MAX_PAYLOAD {
            return Err(CaptureError::Io(io::Error::new(io::ErrorKind::InvalidInput, "entry too large")));
        }
        if self.entries.is_multiple_of(INDEX_EVERY) {
            self.index.push(self.offset);
        }
        let head = [kind, 0, 0, 0];
        let time = time_ns.to_le_bytes();
        let mut all: Vec<&[u8]> = vec![&head, &time];
        all.extend_from_slice(parts);
        let c = crc(&all);
        self.out.write_all(&(len as u32).to_le_bytes())?;
        for p in &all {
            self.out.write_all(p)?;
        }
        self.out.write_all(&c.to_le_bytes())?;
        self.offset += 4 + 4 + 8 + len as u64 + 4;
        self.entries += 1;
        Ok(())
    }

    /// Appends one entry.
    ///
    /// # Errors
    ///
    /// When the file cannot be written or the entry is larger than [`MAX_PAYLOAD`].
    pub fn write(&mut self, e: &Entry) -> Result<(), CaptureError> {
        match e {
            Entry::Frame { recv_ns, binary, bytes } => self.raw(if *binary { 2 } else { 1 }, *recv_ns, &[bytes]),
            Entry::Snapshot { recv_ns, symbol, body } => {
                let sym = &symbol.as_bytes()[..symbol.len().min(255)];
                self.raw(3, *recv_ns, &[&[sym.len() as u8], sym, body])
            }
            Entry::Connected { recv_ns } => self.raw(4, *recv_ns, &[]),
            Entry::Disconnected { recv_ns } => self.raw(5, *recv_ns, &[]),
            Entry::Relisted { recv_ns, index, instrument } => {
                let json = serde_json::to_vec(instrument).map_err(|e| CaptureError::Io(io::Error::other(e)))?;
                self.raw(8, *recv_ns, &[&index.to_le_bytes(), &json])
            }
            Entry::Record { ring, bytes } => {
                let publish = bytes.get(40..48).map_or(0, |b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])));
                self.raw(6, publish, &[&[*ring], bytes])
            }
        }
    }

    /// Returns the number of entries written.
    pub fn entries(&self) -> u64 {
        self.entries
    }

    /// Writes the index and the trailer and flushes.
    ///
    /// # Errors
    ///
    /// When the file cannot be written.
    pub fn finish(mut self) -> Result<(), CaptureError> {
        let index_offset = self.offset;
        let entries = self.entries;
        let bytes: Vec<u8> = std::mem::take(&mut self.index).iter().flat_map(|o| o.to_le_bytes()).collect();
        self.raw(7, 0, &[&bytes])?;
        let mut t = Vec::with_capacity(24);
        t.extend_from_slice(TRAILER_MAGIC);
        t.extend_from_slice(&index_offset.to_le_bytes());
        t.extend_from_slice(&entries.to_le_bytes());
        let c = crc(&[&t]);
        self.out.write_all(&t)?;
        self.out.write_all(&c.to_le_bytes())?;
        self.out.flush()?;
        Ok(())
    }
}

/// What [`read`] found: the header, every valid entry, whether the index was present, and
/// the damage that stopped the scan, if any.
#[derive(Debug)]
pub struct Capture {
    /// The capture's metadata.
    pub meta: Meta,
    /// The layout hash of the records in it.
    pub layout_hash: u64,
    /// Every valid entry, in order.
    pub entries: Vec<Entry>,
    /// Whether the file ended with a valid index and trailer (a complete recording).
    pub complete: bool,
    /// The damaged or truncated entry that ended the scan early.
    pub damage: Option<CaptureError>,
}

/// Reads a capture file: the header must be valid; entries are read until the index, the end,
/// or the first damaged entry (reported in [`Capture::damage`] with its offset).
///
/// # Errors
///
/// [`CaptureError::Header`] for a file that is not a capture, and I/O errors.
pub fn read(path: &Path) -> Result<Capture, CaptureError> {
    let mut data = Vec::new();
    File::open(path)?.read_to_end(&mut data)?;
    parse(&data)
}

/// Parses a capture held in memory (see [`read`]).
///
/// # Errors
///
/// As [`read`].
pub fn parse(data: &[u8]) -> Result<Capture, CaptureError> {
    let bad = |s: &str| CaptureError::Header(s.to_owned());
    if data.len() < 28 || &data[..8] != MAGIC {
        return Err(bad("bad magic"));
    }
    let u32_at = |o: usize| u32::from_le_bytes(data[o..o + 4].try_into().unwrap_or([0; 4]));
    let u64_at = |o: usize| u64::from_le_bytes(data[o..o + 8].try_into().unwrap_or([0; 8]));
    let version = u32_at(8);
    if version != VERSION {
        return Err(bad(&format!("version {version}, this reader knows {VERSION}")));
    }
    let meta_len = u32_at(12) as usize;
    let head_end = 24 + meta_len;
    if data.len() < head_end + 4 {
        return Err(bad("header cut short"));
    }
    if crc(&[&data[..head_end]]) != u32_at(head_end) {
        return Err(bad("header checksum mismatch"));
    }
    let layout_hash = u64_at(16);
    let meta: Meta = serde_json::from_slice(&data[24..head_end]).map_err(|e| bad(&format!("metadata: {e}")))?;
    let mut entries = Vec::new();
    let mut at = head_end + 4;
    let mut complete = false;
    let mut damage = None;
    while at < data.len() {
        let offset = at as u64;
        let damaged = |why| CaptureError::Damaged { offset, why };
        if data.len() - at < 20 {
            damage = Some(damaged("cut short"));
            break;
        }
        let len = u32_at(at) as usize;
        if len > MAX_PAYLOAD {
            damage = Some(damaged("length out of range"));
            break;
        }
        let end = at + 4 + 12 + len;
        if end + 4 > data.len() {
            damage = Some(damaged("cut short"));
            break;
        }
        if crc(&[&data[at + 4..end]]) != u32_at(end) {
            damage = Some(damaged("checksum mismatch"));
            break;
        }
        let kind = data[at + 4];
        let time = u64_at(at + 8);
        let payload = &data[at + 16..end];
        at = end + 4;
        let e = match kind {
            1 | 2 => Entry::Frame { recv_ns: time, binary: kind == 2, bytes: payload.to_vec() },
            3 => {
                let n = usize::from(*payload.first().unwrap_or(&0));
                if payload.len() < 1 + n {
                    damage = Some(damaged("snapshot entry too short"));
                    break;
                }
                Entry::Snapshot {
                    recv_ns: time,
                    symbol: String::from_utf8_lossy(&payload[1..1 + n]).into_owned(),
                    body: payload[1 + n..].to_vec(),
                }
            }
            4 => Entry::Connected { recv_ns: time },
            5 => Entry::Disconnected { recv_ns: time },
            6 if !payload.is_empty() => Entry::Record { ring: payload[0], bytes: payload[1..].to_vec() },
            8 => {
                let parsed = payload
                    .get(..4)
                    .zip(payload.get(4..))
                    .and_then(|(i, j)| Some((u32::from_le_bytes(i.try_into().ok()?), serde_json::from_slice(j).ok()?)));
                let Some((index, instrument)) = parsed else {
                    damage = Some(damaged("relisting entry unreadable"));
                    break;
                };
                Entry::Relisted { recv_ns: time, index, instrument }
            }
            7 => {
                // The index; the trailer must follow and agree.
                let t = at;
                complete = data.len() == t + 28
                    && &data[t..t + 8] == TRAILER_MAGIC
                    && crc(&[&data[t..t + 24]]) == u32_at(t + 24)
                    && u64_at(t + 8) == offset
                    && u64_at(t + 16) == entries.len() as u64;
                if !complete {
                    damage = Some(CaptureError::Damaged { offset: t as u64, why: "bad trailer" });
                }
                break;
            }
            _ => {
                damage = Some(damaged("unknown entry type"));
                break;
            }
        };
        entries.push(e);
    }
    if !complete && damage.is_none() {
        // Ended on an entry boundary without the index: a recording that was cut short.
        damage = Some(CaptureError::Damaged { offset: at as u64, why: "no index: the recording was cut short" });
    }
    Ok(Capture { meta, layout_hash, entries, complete, damage })
}
