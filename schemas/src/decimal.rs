//! Exact fixed-point decimals: venue text in, exact text out, never a float.

use core::{cmp::Ordering, fmt, hash, str::FromStr};

/// Errors from parsing or rescaling a [`Decimal`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecimalError {
    /// The text was empty.
    #[error("empty decimal")]
    Empty,
    /// The text is not a decimal number; `at` is the byte offset of the first bad byte.
    #[error("invalid decimal: unexpected byte at offset {at}")]
    Invalid {
        /// Byte offset of the offending byte.
        at: usize,
    },
    /// The value does not fit the target type; nothing was wrapped or rounded.
    #[error("decimal overflow: the value does not fit")]
    Overflow,
    /// Rescaling to the requested exponent would have to round away non-zero digits.
    #[error("decimal has more precision than exponent {exponent} can hold")]
    Precision {
        /// The requested exponent.
        exponent: i8,
    },
}

/// An exact decimal: `mantissa × 10^exponent`.
///
/// Parsing keeps the scale that was written (`"1.500"` has mantissa 1500 and exponent -3) and
/// accepts exponent notation (`"1.3700544510935929e+26"`). Equality, ordering and hashing are by
/// value, so `1.5 == 1.500`. Nothing is ever rounded: a value that does not fit is an error.
///
/// # Examples
///
/// ```
/// use mdbus_schemas::Decimal;
///
/// let px: Decimal = "0.00012300".parse()?;
/// assert_eq!((px.mantissa(), px.exponent()), (12300, -8));
/// assert_eq!(px.to_string(), "0.00012300");
/// assert_eq!(px.to_fixed(-6)?, 123); // exact rescale to a price exponent
/// assert!(px.to_fixed(-3).is_err()); // would round: refused
///
/// let big: Decimal = "1.3700544510935929e+26".parse()?;
/// assert_eq!(big.to_string(), "137005445109359290000000000");
/// # Ok::<(), mdbus_schemas::DecimalError>(())
/// ```
#[derive(Clone, Copy)]
pub struct Decimal {
    mantissa: i128,
    exponent: i8,
}

/// Powers of ten that fit an `i128` (10^0 ..= 10^38).
const POW10: [i128; 39] = {
    let mut t = [1i128; 39];
    let mut i = 1;
    while i < 39 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

fn pow10(n: u32) -> Option<i128> {
    POW10.get(n as usize).copied()
}

fn scale_up(m: i128, n: u32) -> Option<i128> {
    if m == 0 {
        return Some(0);
    }
    m.checked_mul(pow10(n)?)
}

impl Decimal {
    /// Zero with exponent 0.
    pub const ZERO: Decimal = Decimal { mantissa: 0, exponent: 0 };

    /// Returns `mantissa × 10^exponent`.
    ///
    /// # Examples
    ///
    /// ```
    /// use mdbus_schemas::Decimal;
    /// assert_eq!(Decimal::new(-15, -1).to_string(), "-1.5");
    /// ```
    pub const fn new(mantissa: i128, exponent: i8) -> Decimal {
        Decimal { mantissa, exponent }
    }

    /// Returns the integer mantissa.
    pub const fn mantissa(self) -> i128 {
        self.mantissa
    }

    /// Returns the power-of-ten exponent.
    pub const fn exponent(self) -> i8 {
        self.exponent
    }

    /// Returns `true` when the value is zero.
    pub const fn is_zero(self) -> bool {
        self.mantissa == 0
    }

    /// Parses decimal text: an optional sign, digits with an optional point, and an optional
    /// `e`/`E` exponent. No allocation.
    ///
    /// # Errors
    ///
    /// [`DecimalError::Empty`] or [`DecimalError::Invalid`] for text that is not a number,
    /// [`DecimalError::Overflow`] when the value needs more than 38 significant digits or an
    /// exponent outside `-128..=127`.
    ///
    /// # Examples
    ///
    /// ```
    /// use mdbus_schemas::Decimal;
    /// let q = Decimal::parse(b"1000000000000.12345678")?;
    /// assert_eq!(q.to_string(), "1000000000000.12345678");
    /// assert!(Decimal::parse(b"12a").is_err());
    /// # Ok::<(), mdbus_schemas::DecimalError>(())
    /// ```
    pub fn parse(text: &[u8]) -> Result<Decimal, DecimalError> {
        match parse_short(text) {
            Some(d) => Ok(d),
            None => parse_general(text),
        }
    }

    /// Returns the mantissa of this value at `exponent`, exactly, as an `i64`: the form records
    /// store prices and quantities in.
    ///
    /// # Errors
    ///
    /// [`DecimalError::Precision`] when non-zero digits would be lost, [`DecimalError::Overflow`]
    /// when the result does not fit an `i64`.
    ///
    /// # Examples
    ///
    /// ```
    /// use mdbus_schemas::Decimal;
    /// let d = Decimal::new(25, -1); // 2.5
    /// assert_eq!(d.to_fixed(-8)?, 250_000_000);
    /// # Ok::<(), mdbus_schemas::DecimalError>(())
    /// ```
    pub fn to_fixed(self, exponent: i8) -> Result<i64, DecimalError> {
        let m = self.rescale(exponent)?;
        i64::try_from(m).map_err(|_| DecimalError::Overflow)
    }

    /// Returns the mantissa of this value at `exponent` as an `i128`, exactly.
    ///
    /// # Errors
    ///
    /// As [`Decimal::to_fixed`], with the `i128` range.
    pub fn rescale(self, exponent: i8) -> Result<i128, DecimalError> {
        let own = i32::from(self.exponent);
        let target = i32::from(exponent);
        if own >= target {
            scale_up(self.mantissa, (own - target) as u32).ok_or(DecimalError::Overflow)
        } else {
            let Some(div) = pow10((target - own) as u32) else {
                return if self.mantissa == 0 { Ok(0) } else { Err(DecimalError::Precision { exponent }) };
            };
            if self.mantissa % div != 0 {
                return Err(DecimalError::Precision { exponent });
            }
            Ok(self.mantissa / div)
        }
    }

    /// Returns the value `mantissa × 10^exponent` for a record field.
    ///
    /// # Examples
    ///
    /// ```
    /// use mdbus_schemas::Decimal;
    /// assert_eq!(Decimal::from_fixed(123, -2).to_string(), "1.23");
    /// ```
    pub const fn from_fixed(mantissa: i64, exponent: i8) -> Decimal {
        Decimal { mantissa: mantissa as i128, exponent }
    }

    /// Returns the same value with trailing zeros of the mantissa moved into the exponent.
    pub fn normalized(self) -> Decimal {
        if self.mantissa == 0 {
            return Decimal::ZERO;
        }
        let (mut m, mut e) = (self.mantissa, self.exponent);
        while m % 10 == 0 && e < i8::MAX {
            m /= 10;
            e += 1;
        }
        Decimal { mantissa: m, exponent: e }
    }
}

/// Parses the common venue form fast: an optional sign, at most 18 digits and an optional point,
/// no exponent. Returns `None` for anything else, which [`parse_general`] then handles; where
/// both apply they give the same mantissa and exponent.
#[inline]
fn parse_short(text: &[u8]) -> Option<Decimal> {
    let (negative, digits) = match text {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, text),
    };
    let mut m: u64 = 0;
    let mut count = 0u32;
    let mut frac: Option<i8> = None;
    for &c in digits {
        match c {
            b'0'..=b'9' => {
                if count == 18 {
                    return None;
                }
                m = m * 10 + u64::from(c - b'0');
                count += 1;
                if let Some(f) = frac.as_mut() {
                    *f += 1;
                }
            }
            b'.' if frac.is_none() => frac = Some(0),
            _ => return None,
        }
    }
    if count == 0 {
        return None;
    }
    let m = m as i128;
    Some(Decimal { mantissa: if negative { -m } else { m }, exponent: -frac.unwrap_or(0) })
}

/// Parses any decimal text, including exponent notation and more than 18 digits.
fn parse_general(text: &[u8]) -> Result<Decimal, DecimalError> {
    let n = text.len();

    if n == 0 {
        return Err(DecimalError::Empty);
    }
    let mut i = 0;
    let negative = match text[0] {
        b'-' => {
            i = 1;
            true
        }
        b'+' => {
            i = 1;
            false
        }
        _ => false,
    };
    // Magnitude of the significant digits seen so far; zeros are held back in `zeros` and
    // only multiplied in when a non-zero digit follows, so long runs of trailing zeros
    // never overflow.
    let mut mag: i128 = 0;
    let mut zeros: u32 = 0;
    let mut exp: i64 = 0;
    let mut digits = 0usize;
    let mut point = false;
    while i < n {
        match text[i] {
            d @ b'0'..=b'9' => {
                digits += 1;
                if point {
                    exp -= 1;
                }
                if d == b'0' {
                    zeros += 1;
                } else {
                    mag = scale_up(mag, zeros + 1)
                        .and_then(|m| m.checked_add(i128::from(d - b'0')))
                        .ok_or(DecimalError::Overflow)?;
                    zeros = 0;
                }
            }
            b'.' if !point => point = true,
            b'e' | b'E' => break,
            _ => return Err(DecimalError::Invalid { at: i }),
        }
        i += 1;
    }
    if digits == 0 {
        return Err(DecimalError::Invalid { at: i.min(n - 1) });
    }
    if i < n {
        // Exponent part.
        i += 1;
        let mut eneg = false;
        if i < n && (text[i] == b'-' || text[i] == b'+') {
            eneg = text[i] == b'-';
            i += 1;
        }
        if i == n {
            return Err(DecimalError::Invalid { at: n - 1 });
        }
        let mut e: i64 = 0;
        while i < n {
            match text[i] {
                d @ b'0'..=b'9' => e = (e * 10 + i64::from(d - b'0')).min(1 << 20),
                _ => return Err(DecimalError::Invalid { at: i }),
            }
            i += 1;
        }
        exp += if eneg { -e } else { e };
    }
    if mag == 0 {
        let exponent = exp.clamp(i64::from(i8::MIN), i64::from(i8::MAX)) as i8;
        return Ok(Decimal { mantissa: 0, exponent });
    }
    // value = mag × 10^(zeros + exp). Keep as many held-back zeros in the mantissa as fit,
    // so the written scale survives ("1.500" stays 1500e-3), and move the rest into the
    // exponent.
    let mut keep = zeros;
    loop {
        let e = exp + i64::from(zeros - keep);
        if let Some(m) = scale_up(mag, keep) {
            if e < i64::from(i8::MIN) {
                return Err(DecimalError::Overflow);
            }
            if e <= i64::from(i8::MAX) {
                let mantissa = if negative { -m } else { m };
                return Ok(Decimal { mantissa, exponent: e as i8 });
            }
            // Exponent too large: keeping more zeros in the mantissa cannot help once the
            // mantissa already holds them all.
            if keep == zeros {
                return Err(DecimalError::Overflow);
            }
            keep += 1;
            continue;
        }
        if keep == 0 {
            return Err(DecimalError::Overflow);
        }
        keep -= 1;
    }
}

/// Parses `text` straight to a record mantissa at `exponent`: the fixed-point form a decoder
/// stores.
///
/// # Errors
///
/// As [`Decimal::parse`] and [`Decimal::to_fixed`].
///
/// # Examples
///
/// ```
/// assert_eq!(mdbus_schemas::parse_fixed(b"65432.10", -2)?, 6_543_210);
/// # Ok::<(), mdbus_schemas::DecimalError>(())
/// ```
pub fn parse_fixed(text: &[u8], exponent: i8) -> Result<i64, DecimalError> {
    Decimal::parse(text)?.to_fixed(exponent)
}

impl FromStr for Decimal {
    type Err = DecimalError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Decimal::parse(s.as_bytes())
    }
}

/// Views ASCII digits as text.
fn ascii(b: &[u8]) -> Result<&str, fmt::Error> {
    core::str::from_utf8(b).map_err(|_| fmt::Error)
}

impl fmt::Display for Decimal {
    /// Writes the exact value in plain notation, without allocating.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut digits = [0u8; 40];
        let mut len = 0;
        let mut mag = self.mantissa.unsigned_abs();
        loop {
            digits[len] = b'0' + (mag % 10) as u8;
            len += 1;
            mag /= 10;
            if mag == 0 {
                break;
            }
        }
        digits[..len].reverse();
        let digits = &digits[..len];
        if self.mantissa < 0 {
            f.write_str("-")?;
        }
        if self.exponent >= 0 {
            f.write_str(ascii(digits)?)?;
            if self.mantissa != 0 {
                for _ in 0..self.exponent {
                    f.write_str("0")?;
                }
            }
            return Ok(());
        }
        let scale = usize::from(self.exponent.unsigned_abs());
        if len > scale {
            f.write_str(ascii(&digits[..len - scale])?)?;
            f.write_str(".")?;
            f.write_str(ascii(&digits[len - scale..])?)
        } else {
            f.write_str("0.")?;
            for _ in 0..scale - len {
                f.write_str("0")?;
            }
            f.write_str(ascii(digits)?)
        }
    }
}

impl fmt::Debug for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Decimal({self})")
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Self) -> Ordering {
        let (a, b) = (*self, *other);
        if a.exponent == b.exponent {
            return a.mantissa.cmp(&b.mantissa);
        }
        // Bring the value with the larger exponent down to the smaller one. If that overflows,
        // its magnitude exceeds anything an i128 holds, so its sign decides.
        let (hi, lo, flipped) = if a.exponent > b.exponent { (a, b, false) } else { (b, a, true) };
        let diff = (i32::from(hi.exponent) - i32::from(lo.exponent)) as u32;
        let ord = match scale_up(hi.mantissa, diff) {
            Some(scaled) => scaled.cmp(&lo.mantissa),
            None if hi.mantissa > 0 => Ordering::Greater,
            None => Ordering::Less,
        };
        if flipped { ord.reverse() } else { ord }
    }
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Decimal {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Decimal {}

impl hash::Hash for Decimal {
    fn hash<H: hash::Hasher>(&self, state: &mut H) {
        let n = self.normalized();
        n.mantissa.hash(state);
        n.exponent.hash(state);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn keeps_written_scale() {
        let x = d("123.4500");
        assert_eq!((x.mantissa(), x.exponent()), (1_234_500, -4));
        assert_eq!(x.to_string(), "123.4500");
    }

    #[test]
    fn exponent_notation_is_exact() {
        let x = d("1.3700544510935929e+26");
        assert_eq!((x.mantissa(), x.exponent()), (13_700_544_510_935_929, 10));
        assert_eq!(x.to_string(), "137005445109359290000000000");
        assert_eq!(d("5E-3").to_string(), "0.005");
        assert_eq!(d("-2.5e1"), d("-25"));
    }

    #[test]
    fn extremes_survive() {
        assert_eq!(d("1000000000000.12345678").to_string(), "1000000000000.12345678");
        assert_eq!(d("0.0000000001").to_fixed(-10).unwrap(), 1);
        assert_eq!(d("-0").mantissa(), 0);
        // 39 significant digits do not fit an i128 mantissa.
        assert_eq!(Decimal::parse(b"999999999999999999999999999999999999999"), Err(DecimalError::Overflow));
        assert!(Decimal::parse(b"123456789012345678901234567890123456789").is_ok());
        // Trailing zeros beyond the mantissa's range are moved into the exponent.
        let many = format!("1{}", "0".repeat(60));
        assert_eq!(d(&many), Decimal::new(1, 60));
        assert_eq!(Decimal::parse(b"1e300"), Err(DecimalError::Overflow));
        assert_eq!(Decimal::parse(b"1e-300"), Err(DecimalError::Overflow));
    }

    #[test]
    fn short_and_general_parsers_agree() {
        for t in
            ["0", "-0", "-0.00", "1.", ".5", "+7", "123.4500", "999999999999999999", "0.000000000000000001", "-12.75"]
        {
            let g = parse_general(t.as_bytes()).unwrap();
            if let Some(f) = parse_short(t.as_bytes()) {
                assert_eq!((f.mantissa, f.exponent), (g.mantissa, g.exponent), "{t}");
            }
        }
    }

    proptest::proptest! {
        /// Wherever the short parser answers, it answers exactly as the general one.
        #[test]
        fn short_parser_matches_general(text in "[-+]?[0-9]{0,20}(\\.[0-9]{0,20})?") {
            if let Some(f) = parse_short(text.as_bytes()) {
                let g = parse_general(text.as_bytes()).unwrap();
                proptest::prop_assert_eq!((f.mantissa, f.exponent), (g.mantissa, g.exponent));
            }
        }
    }

    #[test]
    fn rejects_non_numbers() {
        for bad in ["", "-", ".", "1.2.3", "1e", "1e+", "abc", " 1", "1 ", "nan", "inf", "0x10", "1,5"] {
            assert!(Decimal::parse(bad.as_bytes()).is_err(), "{bad:?} accepted");
        }
        assert_eq!(Decimal::parse(b"12a"), Err(DecimalError::Invalid { at: 2 }));
    }

    #[test]
    fn to_fixed_refuses_rounding_and_overflow() {
        assert_eq!(d("1.23").to_fixed(-1), Err(DecimalError::Precision { exponent: -1 }));
        assert_eq!(d("1.20").to_fixed(-1), Ok(12));
        assert_eq!(d("1000000000000.12345678").to_fixed(-8), Err(DecimalError::Overflow));
        assert_eq!(d("9223372036854775807").to_fixed(0), Ok(i64::MAX));
        assert_eq!(d("9223372036854775808").to_fixed(0), Err(DecimalError::Overflow));
    }

    #[test]
    fn compares_by_value() {
        assert_eq!(d("1.5"), d("1.500"));
        assert!(d("0.1") < d("0.11"));
        assert!(d("-1") < d("0.0001"));
        assert!(d("1e30") > d("99999999999999999999999"));
        assert!(Decimal::new(i128::MAX, 100) > Decimal::new(i128::MAX, -100));
        assert!(Decimal::new(-1, 100) < Decimal::new(i128::MIN + 1, 0));
    }
}
