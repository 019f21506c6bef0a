//! Test helpers for each venue's ordered first path: its documented frames must read as the
//! general scanner reads them, and so must those frames with some bytes changed to JSON's own
//! characters (digits, signs, points, quotes, brackets) and cut short.

use mdbus_feeder::{Levels, Message};

/// The bytes an edit writes.
pub(crate) const EDITS: &[u8] = b"0123456789.-+eE\",:[]{} x\\";

/// What a decoder read from a frame: each message (as debug text) with the levels it carries.
pub(crate) type Reading = Vec<(String, Levels)>;

/// Runs a decoder that hands its messages to a callback and records them; `None` when the
/// decoder declines the frame or fails.
pub(crate) fn reading<'a, T>(
    decode: impl FnOnce(&mut dyn FnMut(Message<'a>, &Levels)) -> Option<T>,
) -> Option<Reading> {
    let mut got = Vec::new();
    decode(&mut |m, l| got.push((format!("{m:?}"), l.clone())))?;
    Some(got)
}

/// Each frame is read by the first path (`read(frame, true)`), to what the general scanner
/// (`read(frame, false)`) reads.
pub(crate) fn agree(frames: &[&[u8]], read: impl Fn(&[u8], bool) -> Option<Reading>) {
    for frame in frames {
        let text = String::from_utf8_lossy(frame);
        let ordered = read(frame, true).unwrap_or_else(|| panic!("the first path declined {text}"));
        assert_eq!(Some(ordered), read(frame, false), "{text}");
    }
}

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

/// The property test: documented frames with bytes changed and cut short; wherever the first
/// path reads one, the general scanner reads it to the same messages.
macro_rules! mutated_frames_read_alike {
    ($frames:expr, $read:expr) => {
        proptest::proptest! {
            #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1500))]

            #[test]
            fn mutated_frames_read_alike(
                which in 0..$frames.len(),
                edits in proptest::collection::vec(
                    (proptest::prelude::any::<usize>(), proptest::sample::select(crate::mutate::EDITS)), 0..4),
                cut in 0usize..4,
            ) {
                let f = crate::mutate::apply($frames[which], &edits, cut);
                if let Some(ordered) = $read(&f, true) {
                    proptest::prop_assert_eq!(Some(ordered), $read(&f, false));
                }
            }
        }
    };
}

pub(crate) use mutated_frames_read_alike;
