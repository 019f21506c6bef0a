//! Gzip decompression of HTX frames into one reused buffer: the inflater and the output grow
//! to the largest frame and are then reused, so a frame costs no allocation.
//!
//! The inflater is zlib-rs: on HTX-sized frames it inflates in about half the time of flate2's
//! miniz_oxide backend, and as fast as libdeflate without a C build (`mdbus bench decode
//! --venue htx` measures the three in one run; BENCHMARKS.md has the figures).

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
    inflate: zlib_rs::Inflate,
    out: Vec<u8>,
    max: usize,
}

impl std::fmt::Debug for Gunzip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gunzip").field("capacity", &self.out.len()).field("max", &self.max).finish()
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
        Gunzip { inflate: zlib_rs::Inflate::new(false, 15), out: vec![0; 4096], max }
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
        if self.out.len() < want {
            self.out.resize(want, 0);
        }
        // Exactly the announced size: a stream that does not end there disagrees with its
        // trailer, whichever way.
        let status = self
            .inflate
            .decompress(data, &mut self.out[..want], zlib_rs::InflateFlush::Finish)
            .map_err(|e| GunzipError::Data(e.as_str().to_owned()))?;
        let got = self.inflate.total_out() as usize;
        match status {
            zlib_rs::Status::StreamEnd if got == want => {}
            zlib_rs::Status::StreamEnd => return Err(GunzipError::Size { got, want }),
            _ if got == want && (self.inflate.total_in() as usize) < data.len() => {
                return Err(GunzipError::Size { got: got + 1, want });
            }
            _ => return Err(GunzipError::Data("truncated deflate stream".into())),
        }
        let out = &self.out[..want];
        let mut crc = flate2::Crc::new();
        crc.update(out);
        if crc.sum() != u32::from_le_bytes([trailer[0], trailer[1], trailer[2], trailer[3]]) {
            return Err(GunzipError::Crc);
        }
        Ok(out)
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

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::{Gunzip, GunzipError};

    fn gz(text: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(text).unwrap();
        e.finish().unwrap()
    }

    fn text(n: usize) -> Vec<u8> {
        (0..n).map(|i| b"{\"ch\":\"market.btcusdt.trade.detail\",\"price\":52648.62}"[i % 51]).collect()
    }

    #[test]
    fn frames_of_every_size_inflate_and_the_buffer_is_reused() {
        let mut g = Gunzip::default();
        for n in [0, 1, 51, 4096, 70_000, 10] {
            assert_eq!(g.gunzip(&gz(&text(n))).unwrap(), &text(n)[..], "{n} bytes");
        }
    }

    #[test]
    fn a_lying_trailer_is_a_size_error_either_way() {
        let mut g = Gunzip::default();
        let good = gz(&text(300));
        let n = good.len();
        for (len, what) in [(299u32, "shorter"), (301, "longer")] {
            let mut bad = good.clone();
            bad[n - 4..].copy_from_slice(&len.to_le_bytes());
            assert!(matches!(g.gunzip(&bad), Err(GunzipError::Size { .. })), "{what}");
        }
        // A frame announcing more than the limit is refused before inflating.
        let mut small = Gunzip::new(100);
        assert_eq!(small.gunzip(&good), Err(GunzipError::Size { got: 0, want: 300 }));
        // The decoder still works after each refusal.
        assert_eq!(g.gunzip(&good).unwrap(), &text(300)[..]);
    }

    #[test]
    fn corrupt_frames_are_typed_errors() {
        let mut g = Gunzip::default();
        let good = gz(&text(300));
        let n = good.len();
        let mut crc = good.clone();
        crc[n - 8] ^= 1;
        assert_eq!(g.gunzip(&crc), Err(GunzipError::Crc));
        assert!(matches!(g.gunzip(&good[..n - 9]), Err(GunzipError::Size { .. } | GunzipError::Data(_))));
        assert!(matches!(g.gunzip(b"not gzip at all, not at all"), Err(GunzipError::Header(_))));
        assert!(matches!(g.gunzip(&good[..5]), Err(GunzipError::Header(_))));
        let mut data = good.clone();
        data[12] ^= 0xff;
        assert!(g.gunzip(&data).is_err());
        assert_eq!(g.gunzip(&good).unwrap(), &text(300)[..]);
    }

    proptest::proptest! {
        /// Any bytes after a gzip header, and any single-byte damage to a good frame: an error
        /// or the exact text, never a panic, and the decoder keeps working.
        #[test]
        fn hostile_frames_never_panic(tail in proptest::collection::vec(proptest::num::u8::ANY, 0..600), at in 0usize..400, flip in 1u8..=255) {
            let mut g = Gunzip::new(1 << 16);
            let mut frame = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];
            frame.extend_from_slice(&tail);
            let _ = g.gunzip(&frame);
            let good = gz(&text(300));
            let mut bad = good.clone();
            let i = at % bad.len();
            bad[i] ^= flip;
            if let Ok(out) = g.gunzip(&bad) {
                proptest::prop_assert_eq!(out, &text(300)[..]);
            }
            proptest::prop_assert_eq!(g.gunzip(&good).unwrap(), &text(300)[..]);
        }
    }
}
