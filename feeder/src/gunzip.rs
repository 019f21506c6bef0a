//! Gzip decompression of HTX frames into one reused buffer: the inflater and the output grow
//! to the largest frame and are then reused, so a frame costs no allocation.

use flate2::{Decompress, FlushDecompress, Status};

/// Why a frame could not be decompressed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GunzipError {
    /// Not a gzip member (bad magic, method or header).
    #[error("not gzip: {0}")]
    Header(&'static str),
    /// The deflate data is corrupt or truncated.
    #[error("corrupt deflate data: {0}")]
    Data(String),
    /// The CRC-32 of the decompressed bytes disagrees with the trailer.
    #[error("CRC-32 mismatch")]
    Crc,
    /// The decompressed size disagrees with the trailer, or exceeds the limit.
    #[error("decompressed size {got}, trailer says {want}")]
    Size {
        /// Bytes produced.
        got: usize,
        /// Bytes the trailer announces.
        want: usize,
    },
}

/// A reusable gzip decoder.
pub struct Gunzip {
    inflate: Decompress,
    out: Vec<u8>,
    max: usize,
}

impl std::fmt::Debug for Gunzip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gunzip").field("capacity", &self.out.capacity()).field("max", &self.max).finish()
    }
}

impl Default for Gunzip {
    fn default() -> Self {
        Gunzip::new(16 << 20)
    }
}

impl Gunzip {
    /// Returns a decoder that refuses frames inflating beyond `max` bytes.
    pub fn new(max: usize) -> Gunzip {
        Gunzip { inflate: Decompress::new(false), out: Vec::with_capacity(4096), max }
    }

    /// Decompresses one gzip member and returns the bytes (valid until the next call).
    ///
    /// # Errors
    ///
    /// [`GunzipError`] for anything that is not a whole, valid gzip member.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Write;
    /// use mdbus_feeder::gunzip::Gunzip;
    ///
    /// let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    /// enc.write_all(br#"{"ping":1492420473027}"#)?;
    /// let frame = enc.finish()?;
    /// let mut g = Gunzip::default();
    /// assert_eq!(g.gunzip(&frame)?, br#"{"ping":1492420473027}"#);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn gunzip(&mut self, frame: &[u8]) -> Result<&[u8], GunzipError> {
        let body = header_len(frame)?;
        if frame.len() < body + 8 {
            return Err(GunzipError::Header("truncated"));
        }
        let trailer = &frame[frame.len() - 8..];
        let want = u32::from_le_bytes([trailer[4], trailer[5], trailer[6], trailer[7]]) as usize;
        if want > self.max {
            return Err(GunzipError::Size { got: 0, want });
        }
        let data = &frame[body..frame.len() - 8];
        self.inflate.reset(false);
        self.out.clear();
        if self.out.capacity() < want {
            self.out.reserve(want - self.out.len());
        }
        loop {
            let consumed = self.inflate.total_in() as usize;
            let status = self
                .inflate
                .decompress_vec(&data[consumed..], &mut self.out, FlushDecompress::Finish)
                .map_err(|e| GunzipError::Data(e.to_string()))?;
            match status {
                Status::StreamEnd => break,
                Status::Ok | Status::BufError => {
                    if self.out.len() >= self.max {
                        return Err(GunzipError::Size { got: self.out.len(), want });
                    }
                    if self.out.len() == self.out.capacity() {
                        self.out.reserve(self.out.capacity().max(4096));
                    } else if self.inflate.total_in() as usize >= data.len() {
                        return Err(GunzipError::Data("truncated deflate stream".into()));
                    }
                }
            }
        }
        if self.out.len() != want {
            return Err(GunzipError::Size { got: self.out.len(), want });
        }
        let mut crc = flate2::Crc::new();
        crc.update(&self.out);
        if crc.sum() != u32::from_le_bytes([trailer[0], trailer[1], trailer[2], trailer[3]]) {
            return Err(GunzipError::Crc);
        }
        Ok(&self.out)
    }
}

/// Length of the gzip header at the start of `b` (RFC 1952).
fn header_len(b: &[u8]) -> Result<usize, GunzipError> {
    if b.len() < 10 || b[0] != 0x1f || b[1] != 0x8b {
        return Err(GunzipError::Header("bad magic"));
    }
    if b[2] != 8 {
        return Err(GunzipError::Header("not deflate"));
    }
    let flags = b[3];
    let mut i = 10;
    if flags & 0x04 != 0 {
        let xlen = usize::from(u16::from_le_bytes([
            *b.get(i).ok_or(GunzipError::Header("truncated"))?,
            *b.get(i + 1).ok_or(GunzipError::Header("truncated"))?,
        ]));
        i += 2 + xlen;
    }
    for bit in [0x08, 0x10] {
        if flags & bit != 0 {
            let z = b.get(i..).and_then(|r| r.iter().position(|&c| c == 0)).ok_or(GunzipError::Header("truncated"))?;
            i += z + 1;
        }
    }
    if flags & 0x02 != 0 {
        i += 2;
    }
    if i > b.len() {
        return Err(GunzipError::Header("truncated"));
    }
    Ok(i)
}
