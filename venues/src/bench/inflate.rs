//! The inflate backends on gzip frames, in one run: flate2 with miniz_oxide, zlib-rs (the
//! feeder's `Gunzip`) and libdeflate. Each inflates the frame's deflate body into a reused
//! buffer and checks the gzip trailer (length and CRC-32, by the same CRC code); before
//! timing, each must give the bytes `flate2::read::GzDecoder` gives.

use std::hint::black_box;

use mdbus_feeder::gunzip::Gunzip;

use super::best;

/// A gzip frame's deflate body, its inflated length and CRC-32, for frames with the plain
/// 10-byte header `flate2` writes (no optional fields).
fn parts(frame: &[u8]) -> Option<(&[u8], usize, u32)> {
    if frame.len() < 18 || frame[..4] != [0x1f, 0x8b, 8, 0] {
        return None;
    }
    let t = &frame[frame.len() - 8..];
    let crc = u32::from_le_bytes([t[0], t[1], t[2], t[3]]);
    let len = u32::from_le_bytes([t[4], t[5], t[6], t[7]]) as usize;
    Some((&frame[10..frame.len() - 8], len, crc))
}

fn crc_ok(out: &[u8], want: u32) -> bool {
    let mut c = flate2::Crc::new();
    c.update(out);
    c.sum() == want
}

/// flate2 with its default backend, miniz_oxide: one raw-deflate stream, reset per frame.
struct Flate2 {
    inflate: flate2::Decompress,
    out: Vec<u8>,
}

impl Flate2 {
    fn gunzip(&mut self, frame: &[u8]) -> Option<&[u8]> {
        let (body, len, crc) = parts(frame)?;
        self.inflate.reset(false);
        self.out.resize(len, 0);
        let status = self.inflate.decompress(body, &mut self.out, flate2::FlushDecompress::Finish).ok()?;
        (status == flate2::Status::StreamEnd && self.inflate.total_out() as usize == len && crc_ok(&self.out, crc))
            .then_some(&self.out[..])
    }
}

/// libdeflate: the whole body at once, no window kept between calls.
struct LibDeflate {
    d: libdeflater::Decompressor,
    out: Vec<u8>,
}

impl LibDeflate {
    fn gunzip(&mut self, frame: &[u8]) -> Option<&[u8]> {
        let (body, len, crc) = parts(frame)?;
        self.out.resize(len, 0);
        let n = self.d.deflate_decompress(body, &mut self.out).ok()?;
        (n == len && crc_ok(&self.out, crc)).then_some(&self.out[..])
    }
}

/// ns per frame for each backend (`flate2_miniz`, `zlib_rs`, `libdeflate`) on each frame, after
/// checking that all three inflate it to the same bytes.
///
/// # Errors
///
/// A message naming the frame and backend that disagreed.
pub(crate) fn compare(frames: &[(&'static str, Vec<u8>)], iters: u32) -> Result<Vec<(String, f64)>, String> {
    let mut f = Flate2 { inflate: flate2::Decompress::new(false), out: Vec::new() };
    let mut z = Gunzip::default();
    let mut l = LibDeflate { d: libdeflater::Decompressor::new(), out: Vec::new() };
    let mut out = Vec::new();
    for (name, frame) in frames {
        let mut want = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&frame[..]), &mut want)
            .map_err(|e| format!("{name}: {e}"))?;
        if f.gunzip(frame) != Some(&want[..]) {
            return Err(format!("{name}: flate2 inflated it differently"));
        }
        if z.gunzip(frame).ok() != Some(&want[..]) {
            return Err(format!("{name}: zlib-rs inflated it differently"));
        }
        if l.gunzip(frame) != Some(&want[..]) {
            return Err(format!("{name}: libdeflate inflated it differently"));
        }
        let ns = |f: &mut dyn FnMut() -> usize| (best(iters, f) * 10.0).round() / 10.0;
        out.push((
            format!("{name}_inflate_flate2_miniz_ns"),
            ns(&mut || f.gunzip(black_box(frame)).map_or(0, <[u8]>::len)),
        ));
        out.push((format!("{name}_inflate_zlib_rs_ns"), ns(&mut || z.gunzip(black_box(frame)).map_or(0, <[u8]>::len))));
        out.push((
            format!("{name}_inflate_libdeflate_ns"),
            ns(&mut || l.gunzip(black_box(frame)).map_or(0, <[u8]>::len)),
        ));
    }
    Ok(out)
}
