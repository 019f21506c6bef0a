//! What travels between the two ends of a bridge, besides the records themselves.
//!
//! Each ring travels as its own stream. A message there is a batch of one or more records, each
//! an 8-byte length (little-endian `u32`, then 4 zero bytes) followed by the record's bytes
//! exactly as a reader of the sending ring copies them, its sequence number in the first word;
//! a batch holds the records that were waiting when it was sent, so a lone record goes alone. The
//! control stream ([`CONTROL_STREAM`]) carries [`Control`] messages: each ring's
//! [`Announce`], repeated every second so that a receiver that starts late learns every ring,
//! and the instrument table whenever it changes (and every few seconds).
//!
//! Every control message starts with [`MAGIC`], the format [`VERSION`] and its type; all
//! integers are little-endian.
//!
//! # Examples
//!
//! ```
//! use mdbus_bridge::wire::{Announce, Control};
//! use mdbus_schemas::Kind;
//!
//! let a = Announce { name: "demo.trade".into(), stream: 7, kind: Kind::TRADE, record_size: 128,
//!                    capacity: 4096, created_ns: 1 };
//! let bytes = Control::Announce(a.clone()).to_bytes();
//! assert_eq!(Control::from_bytes(&bytes)?, Control::Announce(a));
//! assert!(Control::from_bytes(&bytes[..10]).is_err());
//! # Ok::<(), mdbus_bridge::wire::WireError>(())
//! ```

use mdbus_schemas::Kind;

/// First four bytes of every control message: `MDBR`.
pub const MAGIC: [u8; 4] = *b"MDBR";
/// Version of the control messages' format.
pub const VERSION: u8 = 1;
/// The stream that carries control messages; rings use other stream ids ([`stream_of`]).
pub const CONTROL_STREAM: i32 = 1;
/// Longest ring name a message carries.
pub const MAX_NAME: usize = 255;

const ANNOUNCE: u8 = 1;
const INSTRUMENTS: u8 = 2;

/// A ring the sending side bridges: what the receiving side needs to create its mirror.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announce {
    /// Ring name (the file name without `.ring`).
    pub name: String,
    /// The stream its records travel on.
    pub stream: i32,
    /// The ring's primary record kind.
    pub kind: Kind,
    /// Its slot size in bytes.
    pub record_size: u32,
    /// Its capacity in records.
    pub capacity: u64,
    /// When the sending ring was created (ns since the epoch): a new value means the ring was
    /// made anew and its sequence numbers start again.
    pub created_ns: u64,
}

/// A message of the control stream.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Control {
    /// A ring and its stream.
    Announce(Announce),
    /// The instrument table's file, as `InstrumentTable::to_bytes` writes it.
    Instruments(Vec<u8>),
}

/// A message that is not a valid control message or record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// Shorter than its fields.
    #[error("message of {len} bytes is too short (at least {need})")]
    Short {
        /// Its length.
        len: usize,
        /// The length its fields need.
        need: usize,
    },
    /// Not a bridge control message.
    #[error("message does not start with MDBR")]
    BadMagic,
    /// From another version of the bridge.
    #[error("control message of format version {found}, this build speaks {VERSION}")]
    Version {
        /// Its version.
        found: u8,
    },
    /// A type this build does not know.
    #[error("unknown control message type {0}")]
    UnknownType(u8),
    /// Bytes after the last field.
    #[error("{0} bytes after the message's last field")]
    Trailing(usize),
    /// A ring name that is empty, too long, not UTF-8, or not a plain file name.
    #[error("bad ring name {0:?}")]
    BadName(String),
    /// A record that is not a whole number of 64-bit words.
    #[error("record of {0} bytes is not a whole number of 64-bit words")]
    Ragged(usize),
}

/// The stream id a ring's records travel on: a hash of its name, the same on every run, never
/// the control stream's.
///
/// ```
/// use mdbus_bridge::wire::{CONTROL_STREAM, stream_of};
/// assert_eq!(stream_of("demo.trade"), stream_of("demo.trade"));
/// assert_ne!(stream_of("demo.trade"), stream_of("demo.quote"));
/// assert!(stream_of("x") > CONTROL_STREAM);
/// ```
pub fn stream_of(name: &str) -> i32 {
    // FNV-1a, folded into 2..=i32::MAX.
    let mut h: u32 = 0x811c_9dc5;
    for b in name.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    let h = (h & 0x7fff_ffff) as i32;
    if h <= CONTROL_STREAM { h + 2 } else { h }
}

/// Whether `name` may name a ring on the receiving side: a plain file name.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME
        && !name.starts_with('.')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Bytes before each record of a batch: its length.
pub const RECORD_PREFIX: usize = 8;

/// Appends one record to a batch.
pub fn push_record(batch: &mut Vec<u8>, record: &[u8]) {
    batch.extend_from_slice(&(record.len() as u32).to_le_bytes());
    batch.extend_from_slice(&[0; 4]);
    batch.extend_from_slice(record);
}

/// Splits a record into its sequence number and bytes.
///
/// # Errors
///
/// [`WireError::Short`] for fewer than 16 bytes (a sequence word and a kind),
/// [`WireError::Ragged`] for a length that is not a multiple of 8.
pub fn record(msg: &[u8]) -> Result<(u64, &[u8]), WireError> {
    let Some(first) = msg.first_chunk::<8>().filter(|_| msg.len() >= 16) else {
        return Err(WireError::Short { len: msg.len(), need: 16 });
    };
    if !msg.len().is_multiple_of(8) {
        return Err(WireError::Ragged(msg.len()));
    }
    Ok((u64::from_le_bytes(*first), msg))
}

/// The records of a batch, in order, each as [`record`] splits it; the first malformed one
/// ends the batch with its error.
///
/// ```
/// use mdbus_bridge::wire::{push_record, records};
/// let (mut a, mut b) = ([0u8; 16], [0u8; 24]);
/// a[0] = 1;
/// b[0] = 2;
/// let mut batch = Vec::new();
/// push_record(&mut batch, &a);
/// push_record(&mut batch, &b);
/// let seqs: Vec<u64> = records(&batch).map(|r| r.map(|(seq, _)| seq)).collect::<Result<_, _>>()?;
/// assert_eq!(seqs, [1, 2]);
/// assert!(records(&batch[..30]).any(|r| r.is_err()));
/// # Ok::<(), mdbus_bridge::wire::WireError>(())
/// ```
pub fn records(batch: &[u8]) -> impl Iterator<Item = Result<(u64, &[u8]), WireError>> {
    let mut rest = batch;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let Some(prefix) = rest.first_chunk::<RECORD_PREFIX>() else {
            let len = rest.len();
            rest = &[];
            return Some(Err(WireError::Short { len, need: RECORD_PREFIX }));
        };
        let len = u32::from_le_bytes([prefix[0], prefix[1], prefix[2], prefix[3]]) as usize;
        let Some(rec) = rest.get(RECORD_PREFIX..RECORD_PREFIX + len) else {
            let have = rest.len();
            rest = &[];
            return Some(Err(WireError::Short { len: have, need: RECORD_PREFIX + len }));
        };
        rest = &rest[RECORD_PREFIX + len..];
        Some(record(rec))
    })
}

/// A cursor over a message's fields.
struct Fields<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Fields<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        let end = self.at + n;
        let field = self.bytes.get(self.at..end).ok_or(WireError::Short { len: self.bytes.len(), need: end })?;
        self.at = end;
        Ok(field)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], WireError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    fn u8(&mut self) -> Result<u8, WireError> {
        Ok(self.array::<1>()?[0])
    }

    fn u32(&mut self) -> Result<u32, WireError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    fn u64(&mut self) -> Result<u64, WireError> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    fn end(&self) -> Result<(), WireError> {
        match self.bytes.len() - self.at {
            0 => Ok(()),
            n => Err(WireError::Trailing(n)),
        }
    }
}

impl Control {
    /// Encodes the message.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        out.extend_from_slice(&MAGIC);
        out.push(VERSION);
        match self {
            Control::Announce(a) => {
                out.push(ANNOUNCE);
                out.extend_from_slice(&a.stream.to_le_bytes());
                out.push(a.kind.0);
                out.extend_from_slice(&a.record_size.to_le_bytes());
                out.extend_from_slice(&a.capacity.to_le_bytes());
                out.extend_from_slice(&a.created_ns.to_le_bytes());
                let name = &a.name.as_bytes()[..a.name.len().min(MAX_NAME)];
                out.push(name.len() as u8);
                out.extend_from_slice(name);
            }
            Control::Instruments(table) => {
                out.push(INSTRUMENTS);
                out.extend_from_slice(&(table.len() as u32).to_le_bytes());
                out.extend_from_slice(table);
            }
        }
        out
    }

    /// Decodes a message, checking every field's bounds; the instrument table's own contents
    /// are checked by whoever loads it.
    ///
    /// # Errors
    ///
    /// A [`WireError`] naming what is wrong.
    pub fn from_bytes(bytes: &[u8]) -> Result<Control, WireError> {
        let mut f = Fields { bytes, at: 0 };
        if f.array::<4>()? != MAGIC {
            return Err(WireError::BadMagic);
        }
        let version = f.u8()?;
        if version != VERSION {
            return Err(WireError::Version { found: version });
        }
        let msg = match f.u8()? {
            ANNOUNCE => {
                let stream = f.u32()? as i32;
                let kind = Kind(f.u8()?);
                let record_size = f.u32()?;
                let capacity = f.u64()?;
                let created_ns = f.u64()?;
                let len = usize::from(f.u8()?);
                let raw = f.take(len)?;
                let name = std::str::from_utf8(raw)
                    .ok()
                    .filter(|n| valid_name(n))
                    .ok_or_else(|| WireError::BadName(String::from_utf8_lossy(raw).into_owned()))?;
                Control::Announce(Announce { name: name.to_owned(), stream, kind, record_size, capacity, created_ns })
            }
            INSTRUMENTS => {
                let len = f.u32()? as usize;
                Control::Instruments(f.take(len)?.to_vec())
            }
            other => return Err(WireError::UnknownType(other)),
        };
        f.end()?;
        Ok(msg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn announce() -> Announce {
        Announce {
            name: "demo.book".into(),
            stream: stream_of("demo.book"),
            kind: Kind::BOOK_DELTA,
            record_size: 64,
            capacity: 1 << 16,
            created_ns: 42,
        }
    }

    #[test]
    fn every_message_comes_back_as_it_went() {
        for m in [Control::Announce(announce()), Control::Instruments(vec![1, 2, 3]), Control::Instruments(vec![])] {
            assert_eq!(Control::from_bytes(&m.to_bytes()), Ok(m));
        }
    }

    #[test]
    fn damaged_messages_are_named() {
        let good = Control::Announce(announce()).to_bytes();
        let mut b = good.clone();
        b[0] = b'X';
        assert_eq!(Control::from_bytes(&b), Err(WireError::BadMagic));
        let mut b = good.clone();
        b[4] = 9;
        assert_eq!(Control::from_bytes(&b), Err(WireError::Version { found: 9 }));
        let mut b = good.clone();
        b[5] = 77;
        assert_eq!(Control::from_bytes(&b), Err(WireError::UnknownType(77)));
        let mut b = good.clone();
        b.push(0);
        assert_eq!(Control::from_bytes(&b), Err(WireError::Trailing(1)));
        assert!(matches!(Control::from_bytes(&good[..good.len() - 1]), Err(WireError::Short { .. })));
        let mut evil = announce();
        evil.name = "../../etc/passwd".into();
        assert!(matches!(Control::from_bytes(&Control::Announce(evil).to_bytes()), Err(WireError::BadName(_))));
    }

    #[test]
    fn records_carry_their_sequence_number_in_the_first_word() {
        let mut rec = vec![0u8; 64];
        rec[..8].copy_from_slice(&77u64.to_le_bytes());
        assert_eq!(record(&rec), Ok((77, &rec[..])));
        assert_eq!(record(&rec[..8]), Err(WireError::Short { len: 8, need: 16 }));
        assert_eq!(record(&rec[..20]), Err(WireError::Ragged(20)));
    }

    proptest! {
        #[test]
        fn any_bytes_decode_or_fail_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = Control::from_bytes(&bytes);
            let _ = record(&bytes);
            // A batch never yields more than its bytes can hold, and stops at its first error.
            let mut n = 0;
            for r in records(&bytes) {
                n += 1;
                prop_assert!(n <= bytes.len() / RECORD_PREFIX + 1);
                if r.is_err() {
                    break;
                }
            }
        }

        #[test]
        fn a_batch_gives_back_its_records(lens in proptest::collection::vec(2usize..20, 1..20)) {
            let mut batch = Vec::new();
            let recs: Vec<Vec<u8>> = lens.iter().enumerate().map(|(i, &words)| {
                let mut r = vec![0u8; words * 8];
                r[..8].copy_from_slice(&(i as u64).to_le_bytes());
                r
            }).collect();
            for r in &recs {
                push_record(&mut batch, r);
            }
            let got: Vec<(u64, &[u8])> = records(&batch).collect::<Result<_, _>>().unwrap();
            prop_assert_eq!(got.len(), recs.len());
            for (i, (seq, bytes)) in got.into_iter().enumerate() {
                prop_assert_eq!(seq, i as u64);
                prop_assert_eq!(bytes, &recs[i][..]);
            }
        }

        #[test]
        fn any_prefix_of_a_valid_message_with_any_byte_changed_is_handled(cut in 0usize..40, at in 0usize..40, v: u8) {
            let mut b = Control::Announce(announce()).to_bytes();
            if at < b.len() {
                b[at] = v;
            }
            b.truncate(cut.min(b.len()));
            if let Ok(Control::Announce(a)) = Control::from_bytes(&b) {
                prop_assert!(valid_name(&a.name));
            }
        }
    }
}
