//! Fixed-capacity ASCII text for symbols, assets and order ids inside records.

use core::fmt;

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// Errors from building a [`FixedStr`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TextError {
    /// The text is longer than the field.
    #[error("text of {len} bytes does not fit a {capacity}-byte field")]
    TooLong {
        /// Length of the text in bytes.
        len: usize,
        /// Capacity of the field in bytes.
        capacity: usize,
    },
    /// The text contains a NUL byte, which marks the end of the text in the field.
    #[error("text contains a NUL byte")]
    Nul,
}

/// Text of at most `N` bytes stored inline, padded with NUL bytes.
///
/// # Examples
///
/// ```
/// use mdbus_schemas::FixedStr;
/// let s = FixedStr::<16>::new("BTCUSDT")?;
/// assert_eq!(s.as_str(), "BTCUSDT");
/// assert!(FixedStr::<4>::new("BTCUSDT").is_err());
/// # Ok::<(), mdbus_schemas::TextError>(())
/// ```
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(transparent)]
pub struct FixedStr<const N: usize>(pub [u8; N]);

impl<const N: usize> FixedStr<N> {
    /// The empty text.
    pub const EMPTY: FixedStr<N> = FixedStr([0; N]);

    /// Copies `text` into a field.
    ///
    /// # Errors
    ///
    /// [`TextError::TooLong`] when `text` exceeds `N` bytes, [`TextError::Nul`] when it
    /// contains a NUL byte.
    pub fn new(text: &str) -> Result<FixedStr<N>, TextError> {
        let b = text.as_bytes();
        if b.len() > N {
            return Err(TextError::TooLong { len: b.len(), capacity: N });
        }
        if b.contains(&0) {
            return Err(TextError::Nul);
        }
        let mut out = [0u8; N];
        out[..b.len()].copy_from_slice(b);
        Ok(FixedStr(out))
    }

    /// Wraps raw field bytes (NUL-padded text).
    pub const fn from_array(bytes: [u8; N]) -> FixedStr<N> {
        FixedStr(bytes)
    }

    /// Returns the bytes before the first NUL.
    pub fn as_bytes(&self) -> &[u8] {
        let end = self.0.iter().position(|&b| b == 0).unwrap_or(N);
        &self.0[..end]
    }

    /// Returns the text; bytes that are not UTF-8 (only possible in a damaged record) end it.
    pub fn as_str(&self) -> &str {
        let b = self.as_bytes();
        match core::str::from_utf8(b) {
            Ok(s) => s,
            Err(e) => core::str::from_utf8(&b[..e.valid_up_to()]).unwrap_or_default(),
        }
    }

    /// Returns `true` when the text is empty.
    pub fn is_empty(&self) -> bool {
        self.0.first().is_none_or(|&b| b == 0)
    }
}

impl<const N: usize> Default for FixedStr<N> {
    fn default() -> Self {
        FixedStr::EMPTY
    }
}

impl<const N: usize> fmt::Debug for FixedStr<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl<const N: usize> fmt::Display for FixedStr<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
