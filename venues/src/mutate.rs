//! Test helper: documented frames with some bytes changed to JSON's own characters (digits,
//! signs, points, quotes, brackets) and cut short, for checking each venue's ordered first
//! path against its general scanner.

/// The bytes an edit writes.
pub(crate) const EDITS: &[u8] = b"0123456789.-+eE\",:[]{} x\\";

/// `frame` with `edits` (position, byte) applied and the last `cut` bytes removed.
pub(crate) fn apply(frame: &[u8], edits: &[(usize, u8)], cut: usize) -> Vec<u8> {
    let mut f = frame.to_vec();
    for &(at, byte) in edits {
        let i = at % f.len();
        f[i] = byte;
    }
    f.truncate(f.len().saturating_sub(cut));
    f
}
