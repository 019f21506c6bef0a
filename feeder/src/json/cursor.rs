//! An ordered reader for frames laid out the way a venue documents them.
//!
//! Venues send each message type with its keys in one fixed order and without whitespace. A
//! decoder that expects that order can read a frame in one pass: it checks each key's bytes as
//! a literal and parses the value that follows by its known type (decimals and integers eight
//! digits at a time), with no search for the key and no second look at the value.
//!
//! Every method returns `None` the moment the frame departs from what the caller expects, and
//! never reports an error: the caller then decodes the frame with the general scanner
//! ([`super::Fields`]), which reads any key order and names what is wrong. What the cursor
//! accepts is a strict subset of what the scanner accepts, read to the same values.
//!
//! # Examples
//!
//! ```
//! use mdbus_feeder::json::cursor::Cursor;
//!
//! let mut c = Cursor::new(br#"{"u":400900217,"s":"BNBUSDT","b":"25.35190000"}"#);
//! assert_eq!(c.tag(br#"{"u":"#), Some(()));
//! assert_eq!(c.uint(), Some(400900217));
//! c.tag(br#","s":"#).unwrap();
//! assert_eq!(c.str(), Some("BNBUSDT"));
//! c.tag(br#","b":"#).unwrap();
//! assert_eq!(c.decimal().map(|d| d.to_string()), Some("25.35190000".into()));
//! assert_eq!(c.tag(b"}"), Some(()));
//! ```

use mdbus_schemas::Decimal;

/// Powers of ten up to 10^18.
const POW10: [u64; 19] = {
    let mut t = [1u64; 19];
    let mut i = 1;
    while i < 19 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// The most digits a mantissa read here may have (as [`Decimal::parse`]'s short form).
const MAX_DIGITS: u32 = 18;

/// The top bit of each byte of `v` (first byte lowest) that is not an ASCII digit. Exact per
/// byte: no sum crosses into the next byte.
#[inline(always)]
fn non_digits(v: u64) -> u64 {
    // A digit is a byte whose value xor '0' is below 10; `(x & 0x7F) + 0x76` reaches the top
    // bit from 10 up, and `x`'s own top bit covers the bytes from 0x80.
    let x = v ^ 0x3030_3030_3030_3030;
    (((x & 0x7F7F_7F7F_7F7F_7F7F) + 0x7676_7676_7676_7676) | x) & 0x8080_8080_8080_8080
}

/// The top bit of each zero byte of `v`. Exact per byte: no sum crosses into the next byte.
#[inline(always)]
fn zero_bytes(v: u64) -> u64 {
    !(((v & 0x7F7F_7F7F_7F7F_7F7F) + 0x7F7F_7F7F_7F7F_7F7F) | v | 0x7F7F_7F7F_7F7F_7F7F)
}

/// How many of the eight bytes in `v` (first byte lowest) are ASCII digits before the first
/// byte that is not one.
#[inline(always)]
fn leading_digits(v: u64) -> u32 {
    non_digits(v).trailing_zeros() / 8
}

/// Eight bytes of `b` from `i`, the first lowest.
#[inline(always)]
fn load(b: &[u8], i: usize) -> Option<u64> {
    let mut eight = [0u8; 8];
    eight.copy_from_slice(b.get(i..i + 8)?);
    Some(u64::from_le_bytes(eight))
}

/// The value of the first `n` (1..=16) digits of the sixteen bytes `lo`, `hi`.
#[inline(always)]
fn value16(lo: u64, hi: u64, n: u32) -> u64 {
    if n <= 8 { digits_value(lo, n) } else { digits_value(lo, 8) * POW10[n as usize - 8] + digits_value(hi, n - 8) }
}

/// Reads the number at `b[i]` from one window of sixteen bytes: the digits before the first
/// other byte and, when that is a point, the digits after it, found together so that the next
/// position does not wait on the value. `(mantissa, fraction digits, end)`; `None` when the
/// number does not fit the window (the caller then reads it digit run by digit run).
#[inline(always)]
fn window(b: &[u8], i: usize) -> Option<(u64, u32, usize)> {
    let lo = load(b, i)?;
    let flags = non_digits(lo);
    if flags == 0 {
        return window16(b, i, lo);
    }
    // The common case: the integer part ends within the first eight bytes.
    let p1 = flags.trailing_zeros() / 8;
    if p1 == 0 {
        return None;
    }
    // One digit before the point (quantities, small prices) needs no conversion.
    let int = if p1 == 1 { (lo & 0xFF) - u64::from(b'0') } else { digits_value(lo, p1) };
    if b[i + p1 as usize] != b'.' {
        return Some((int, 0, i + p1 as usize));
    }
    let rest = flags & (flags - 1);
    let p2 = if rest != 0 {
        rest.trailing_zeros() / 8
    } else {
        let more = non_digits(load(b, i + 8)?);
        if more == 0 {
            return None;
        }
        8 + more.trailing_zeros() / 8
    };
    let f = p2 - p1 - 1;
    if f == 0 {
        return None;
    }
    let k = i + p1 as usize + 1;
    let frac = if f <= 8 { digits_value(load(b, k)?, f) } else { value16(load(b, k)?, load(b, k + 8)?, f) };
    Some((int * POW10[f as usize] + frac, f, i + p2 as usize))
}

/// [`window`] for an integer part of more than eight digits.
#[inline]
fn window16(b: &[u8], i: usize, lo: u64) -> Option<(u64, u32, usize)> {
    let hi = load(b, i + 8)?;
    let flags = u128::from(non_digits(lo)) | (u128::from(non_digits(hi)) << 64);
    let p1 = flags.trailing_zeros() / 8;
    if p1 == 0 || p1 >= 16 {
        return None;
    }
    let int = value16(lo, hi, p1);
    if b[i + p1 as usize] != b'.' {
        return Some((int, 0, i + p1 as usize));
    }
    let p2 = (flags & (flags - 1)).trailing_zeros() / 8;
    let f = p2.checked_sub(p1 + 1).filter(|&f| f >= 1 && p2 < 16)?;
    let k = i + p1 as usize + 1;
    let frac = if f <= 8 { digits_value(load(b, k)?, f) } else { value16(load(b, k)?, load(b, k + 8)?, f) };
    Some((int * POW10[f as usize] + frac, f, i + p2 as usize))
}

/// The value of the first `n` (1..=8) digits of `v`, the first byte most significant.
#[inline(always)]
fn digits_value(v: u64, n: u32) -> u64 {
    // Shifted so the digits are the last `n` bytes and the rest are zeros (leading zeros).
    let v = (v.wrapping_sub(0x3030_3030_3030_3030)) << (8 * (8 - n));
    let v = v.wrapping_mul(10).wrapping_add(v >> 8);
    ((v & 0x0000_00FF_0000_00FF)
        .wrapping_mul(100 + (1_000_000 << 32))
        .wrapping_add(((v >> 16) & 0x0000_00FF_0000_00FF).wrapping_mul(1 + (10_000 << 32))))
        >> 32
}

/// The value of 1 to 20 ASCII digits (ids sent as strings), sixteen at a time; `None` for
/// anything else or a value beyond `u64`, as [`super::uint`] reads them.
#[inline]
pub fn uint_text(s: &[u8]) -> Option<u64> {
    let n = s.len();
    if n == 0 || n > 20 {
        return None;
    }
    let split = n.saturating_sub(16);
    let (head, tail) = s.split_at(split);
    // The last sixteen digits (or all), right-aligned behind zeros.
    let mut buf = [b'0'; 16];
    buf[16 - tail.len()..].copy_from_slice(tail);
    let (lo, hi) = (load(&buf, 0)?, load(&buf, 8)?);
    if non_digits(lo) | non_digits(hi) != 0 {
        return None;
    }
    let low = value16(lo, hi, 16);
    let mut high = 0u64;
    for &c in head {
        if !c.is_ascii_digit() {
            return None;
        }
        high = high * 10 + u64::from(c - b'0');
    }
    high.checked_mul(POW10[16])?.checked_add(low)
}

/// Reads a run of digits starting at `b[j]`: its value, how many, and where it ends; `None`
/// beyond [`MAX_DIGITS`] digits.
#[inline(always)]
fn digit_run(b: &[u8], mut j: usize) -> Option<(u64, u32, usize)> {
    let (mut value, mut count) = (0u64, 0u32);
    while let Some(chunk) = b.get(j..j + 8) {
        let mut eight = [0u8; 8];
        eight.copy_from_slice(chunk);
        let v = u64::from_le_bytes(eight);
        let n = leading_digits(v);
        if n == 0 {
            return Some((value, count, j));
        }
        count += n;
        if count > MAX_DIGITS {
            return None;
        }
        value = value * POW10[n as usize] + digits_value(v, n);
        j += n as usize;
        if n < 8 || !b.get(j).is_some_and(u8::is_ascii_digit) {
            return Some((value, count, j));
        }
    }
    // Fewer than eight bytes left: one at a time.
    while let Some(&c) = b.get(j) {
        if !c.is_ascii_digit() {
            break;
        }
        count += 1;
        if count > MAX_DIGITS {
            return None;
        }
        value = value * 10 + u64::from(c - b'0');
        j += 1;
    }
    Some((value, count, j))
}

/// A position in a frame, moved forward by what it reads.
#[derive(Debug, Clone)]
pub struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Cursor<'a> {
    /// Starts at the first byte of `b`.
    pub fn new(b: &'a [u8]) -> Cursor<'a> {
        Cursor { b, i: 0 }
    }

    /// The byte at the position.
    #[inline(always)]
    pub fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    /// Whether the bytes at the position are `lit`; moves past them when they are.
    #[inline(always)]
    pub fn tag<const N: usize>(&mut self, lit: &[u8; N]) -> Option<()> {
        // As arrays, so the comparison is a few loads rather than a call to `memcmp`.
        let at: &[u8; N] = self.b.get(self.i..self.i + N)?.try_into().ok()?;
        if at == lit {
            self.i += N;
            Some(())
        } else {
            None
        }
    }

    /// Like [`Cursor::tag`], but `false` (not moving) instead of `None`.
    #[inline(always)]
    pub fn eat<const N: usize>(&mut self, lit: &[u8; N]) -> bool {
        self.tag(lit).is_some()
    }

    /// An unsigned integer literal of at most 18 digits.
    #[inline(always)]
    pub fn uint(&mut self) -> Option<u64> {
        if let Some(lo) = load(self.b, self.i) {
            let flags = non_digits(lo);
            if flags != 0 {
                let n = flags.trailing_zeros() / 8;
                if n == 0 {
                    return None;
                }
                self.i += n as usize;
                return Some(digits_value(lo, n));
            }
            // Eight digits and more (times in milliseconds have thirteen).
            if let Some(hi) = load(self.b, self.i + 8) {
                let n = non_digits(hi).trailing_zeros() / 8;
                if n < 8 {
                    self.i += 8 + n as usize;
                    return Some(value16(lo, hi, 8 + n));
                }
            }
        }
        let (v, n, end) = digit_run(self.b, self.i)?;
        if n == 0 {
            return None;
        }
        self.i = end;
        Some(v)
    }

    /// A signed integer literal of at most 18 digits.
    #[inline(always)]
    pub fn int(&mut self) -> Option<i64> {
        let negative = self.eat(b"-");
        let v = self.uint()? as i64;
        Some(if negative { -v } else { v })
    }

    /// An unsigned integer in a string (`"1630048897897"`), as venues that quote every number
    /// send ids and times.
    #[inline(always)]
    pub fn quoted_uint(&mut self) -> Option<u64> {
        self.tag(b"\"")?;
        let v = self.uint()?;
        self.tag(b"\"")?;
        Some(v)
    }

    /// A string without escape sequences: the bytes between the quotes.
    #[inline(always)]
    pub fn string(&mut self) -> Option<&'a [u8]> {
        self.tag(b"\"")?;
        let start = self.i;
        // Eight bytes at a time: the first quote or backslash ends the search.
        let mut j = start;
        while let Some(v) = load(self.b, j) {
            let quotes = zero_bytes(v ^ 0x2222_2222_2222_2222);
            let stops = quotes | zero_bytes(v ^ 0x5C5C_5C5C_5C5C_5C5C);
            if stops != 0 {
                if stops & stops.wrapping_neg() != quotes & quotes.wrapping_neg() {
                    return None;
                }
                let end = j + (quotes.trailing_zeros() / 8) as usize;
                self.i = end + 1;
                return Some(&self.b[start..end]);
            }
            j += 8;
        }
        let len = self.b.get(j..)?.iter().position(|&c| c == b'"' || c == b'\\')? + (j - start);
        if self.b[start + len] != b'"' {
            return None;
        }
        self.i = start + len + 1;
        Some(&self.b[start..start + len])
    }

    /// A string without escape sequences, as UTF-8 text.
    #[inline(always)]
    pub fn str(&mut self) -> Option<&'a str> {
        std::str::from_utf8(self.string()?).ok()
    }

    /// `true` or `false`.
    #[inline(always)]
    pub fn boolean(&mut self) -> Option<bool> {
        if self.eat(b"true") {
            Some(true)
        } else if self.eat(b"false") {
            Some(false)
        } else {
            None
        }
    }

    /// A plain decimal number (`-12.5`, `42`): optional minus, digits, optional point and
    /// digits, at most 18 digits in all; the same value and exponent [`Decimal::parse`] gives.
    #[inline(always)]
    pub fn number(&mut self) -> Option<Decimal> {
        // Prices and quantities are positive: their path carries no sign.
        if self.peek() == Some(b'-') {
            self.i += 1;
            let d = self.unsigned()?;
            return Some(Decimal::new(-d.mantissa(), d.exponent()));
        }
        self.unsigned()
    }

    /// [`Cursor::number`] without a sign.
    #[inline(always)]
    fn unsigned(&mut self) -> Option<Decimal> {
        if let Some((m, f, end)) = window(self.b, self.i) {
            self.i = end;
            return Some(Decimal::new(i128::from(m), -(f as i8)));
        }
        let (int, n, end) = digit_run(self.b, self.i)?;
        if n == 0 {
            return None;
        }
        self.i = end;
        let (mut m, mut exponent) = (int, 0i8);
        if self.eat(b".") {
            let (frac, f, end) = digit_run(self.b, self.i)?;
            if f == 0 || n + f > MAX_DIGITS {
                return None;
            }
            self.i = end;
            m = m * POW10[f as usize] + frac;
            exponent = -(f as i8);
        }
        Some(Decimal::new(i128::from(m), exponent))
    }

    /// A decimal in a string (`"25.35190000"`), read as [`Cursor::number`].
    #[inline(always)]
    pub fn decimal(&mut self) -> Option<Decimal> {
        self.tag(b"\"")?;
        let d = self.number()?;
        self.tag(b"\"")?;
        Some(d)
    }

    /// An array of levels, `[["price","qty"(,"more")*],...]`, the decimals quoted and any
    /// further elements of a level strings; appended to `out`.
    #[inline]
    pub fn levels(&mut self, out: &mut Vec<(Decimal, Decimal)>) -> Option<()> {
        self.tag(b"[")?;
        if self.eat(b"]") {
            return Some(());
        }
        loop {
            self.tag(b"[\"")?;
            let price = self.number()?;
            self.tag(b"\",\"")?;
            let qty = self.number()?;
            if !self.eat(b"\"]") {
                // Further elements (OKX's order counts): strings.
                self.tag(b"\"")?;
                while self.eat(b",") {
                    self.string()?;
                }
                self.tag(b"]")?;
            }
            out.push((price, qty));
            match self.peek()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// An array of levels as JSON numbers, `[[price,qty],...]` (HTX); appended to `out`.
    #[inline]
    pub fn number_levels(&mut self, out: &mut Vec<(Decimal, Decimal)>) -> Option<()> {
        self.tag(b"[")?;
        if self.eat(b"]") {
            return Some(());
        }
        loop {
            self.tag(b"[")?;
            let price = self.number()?;
            self.tag(b",")?;
            let qty = self.number()?;
            self.tag(b"]")?;
            out.push((price, qty));
            if !self.eat(b",") {
                return self.tag(b"]");
            }
        }
    }

    /// The bytes up to the next `sep` (or the end), moving past the separator: `str::split`,
    /// one part at a time; `None` once the last part was read.
    pub fn part(&mut self, sep: u8) -> Option<&'a [u8]> {
        let rest = self.b.get(self.i..)?;
        match rest.iter().position(|&c| c == sep) {
            Some(n) => {
                self.i += n + 1;
                Some(&rest[..n])
            }
            None => {
                self.i = self.b.len() + 1;
                Some(rest)
            }
        }
    }

    /// Any value, skipped: a string without escapes, a number or literal, an object or array.
    pub fn skip_value(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => self.string().map(drop),
            b'{' | b'[' => self.skip_nested(),
            _ => {
                let len = self.b.get(self.i..)?.iter().position(|&c| matches!(c, b',' | b'}' | b']'))?;
                let lit = &self.b[self.i..self.i + len];
                let number = lit.iter().all(|&c| matches!(c, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'));
                if len == 0 || !(number || matches!(lit, b"true" | b"false" | b"null")) {
                    return None;
                }
                self.i += len;
                Some(())
            }
        }
    }

    /// The rest of an object after the keys the caller read: further keys the caller does not
    /// use are skipped up to the closing `}`, but a key in `known` (read already) means the
    /// frame repeats it, and the cursor gives up.
    pub fn rest_of_object(&mut self, known: &[&[u8]]) -> Option<()> {
        loop {
            if self.eat(b"}") {
                return Some(());
            }
            self.tag(b",")?;
            let key = self.string()?;
            if known.contains(&key) {
                return None;
            }
            self.tag(b":")?;
            self.skip_value()?;
        }
    }

    /// An object or array, skipped whole (strings without escapes only).
    pub fn skip_nested(&mut self) -> Option<()> {
        let mut depth = 0usize;
        while let Some(&c) = self.b.get(self.i) {
            match c {
                b'"' => {
                    self.string()?;
                    continue;
                }
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth = depth.checked_sub(1)?;
                    if depth == 0 {
                        self.i += 1;
                        return Some(());
                    }
                }
                _ if depth == 0 => return None,
                _ => {}
            }
            self.i += 1;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The decimal in quotes, read at the end of the buffer (digit runs) and followed by more
    /// bytes (the sixteen-byte window); both ways must agree.
    fn parse(text: &str) -> Option<Decimal> {
        let quoted = format!("\"{text}\"");
        let mut c = Cursor::new(quoted.as_bytes());
        let d = c.decimal().filter(|_| c.peek().is_none());
        for tail in [",\"b\":\"0.000000001\"}", "]]]]]]]]]]]]]]]]]]]]]", "0123456789012345678"] {
            let padded = format!("{quoted}{tail}");
            let mut c = Cursor::new(padded.as_bytes());
            let p = c.decimal().filter(|_| c.peek() == tail.as_bytes().first().copied());
            assert_eq!(
                p.map(|d| (d.mantissa(), d.exponent())),
                d.map(|d| (d.mantissa(), d.exponent())),
                "{text}{tail}"
            );
        }
        d
    }

    #[test]
    fn decimals_read_as_the_exact_parser_reads_them() {
        for text in [
            "0",
            "7",
            "25.35190000",
            "0.00100000",
            "100.00000000",
            "-0.5",
            "123456789012345678",
            "1234567890.12345678",
            "42219.9",
            "0.00000000000000001",
            "99999999",
            "12345678.9",
            "1.23456789",
        ] {
            let d = parse(text).unwrap_or_else(|| panic!("{text}"));
            let want = Decimal::parse(text.as_bytes()).unwrap();
            assert_eq!((d.mantissa(), d.exponent()), (want.mantissa(), want.exponent()), "{text}");
        }
        // Left to the general parser: more than 18 digits, exponents, odd forms.
        for text in
            ["1234567890123456789", "0.000000000000000001", "1e5", ".5", "1.", "+1", "1.2.3", "", "-", "0x10", "1 "]
        {
            assert_eq!(parse(text), None, "{text}");
        }
    }

    #[test]
    fn every_length_and_position_of_digits() {
        for len in 1..=18 {
            let digits: String = (0..len).map(|i| char::from(b'1' + (i % 9) as u8)).collect();
            for point in 0..len {
                let text =
                    if point == 0 { digits.clone() } else { format!("{}.{}", &digits[..point], &digits[point..]) };
                let want = Decimal::parse(text.as_bytes()).unwrap();
                let got = parse(&text).unwrap();
                assert_eq!((got.mantissa(), got.exponent()), (want.mantissa(), want.exponent()), "{text}");
            }
        }
    }

    #[test]
    fn digit_strings_read_as_the_scanner_reads_them() {
        for text in [
            "0",
            "7",
            "42",
            "12345678",
            "123456789",
            "1234567890123456",
            "12345678901234567",
            "2290000000061666327",
            "18446744073709551615",
            "18446744073709551616",
            "99999999999999999999",
            "000000000000000000001",
            "",
            "12a",
            "1234567890123456x",
            "x1234567890123456",
            "-1",
            "1.5",
            "123456789012345678901",
        ] {
            let want = super::super::uint(super::super::Raw::Str(text.as_bytes()));
            assert_eq!(uint_text(text.as_bytes()), want, "{text}");
        }
    }

    #[test]
    fn strings_of_every_length_end_at_their_quote() {
        for len in 0..40 {
            let text: String = (0..len).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
            for tail in ["", ",\"next\":\"value\"}", "\"\"\"\"\"\"\"\""] {
                let b = format!("\"{text}\"{tail}");
                let mut c = Cursor::new(b.as_bytes());
                assert_eq!(c.string(), Some(text.as_bytes()), "{b}");
                assert_eq!(c.peek(), tail.as_bytes().first().copied());
                // A backslash anywhere before the closing quote hands the string on.
                for at in 0..len {
                    let mut escaped = b.clone().into_bytes();
                    escaped[1 + at] = b'\\';
                    assert_eq!(Cursor::new(&escaped).string(), None, "{}", String::from_utf8_lossy(&escaped));
                }
            }
            assert_eq!(Cursor::new(format!("\"{text}").as_bytes()).string(), None, "unterminated");
        }
    }

    #[test]
    fn integers_strings_and_levels() {
        let mut c = Cursor::new(br#"1672515782136,"12","BNB\"X",true,[["1.5","2","0","3"],["3","4"]]x"#);
        assert_eq!(c.uint(), Some(1_672_515_782_136));
        c.tag(b",").unwrap();
        assert_eq!(c.quoted_uint(), Some(12));
        c.tag(b",").unwrap();
        assert_eq!(c.clone().string(), None, "escaped strings are left to the scanner");
        assert_eq!(c.skip_nested(), None);
        let mut c = Cursor::new(br#"true,[["1.5","2","0","3"],["3","4"]]x"#);
        assert_eq!(c.boolean(), Some(true));
        c.tag(b",").unwrap();
        let mut out = Vec::new();
        assert_eq!(c.levels(&mut out), Some(()));
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].1.to_string(), "2");
        assert_eq!(c.peek(), Some(b'x'));
        assert_eq!(Cursor::new(b"[]").levels(&mut out), Some(()));
        out.clear();
        assert_eq!(Cursor::new(b"[[618.37,0.0],[1,-2]]").number_levels(&mut out), Some(()));
        assert_eq!(
            out.iter().map(|(p, q)| (p.to_string(), q.to_string())).collect::<Vec<_>>(),
            [("618.37".to_owned(), "0.0".to_owned()), ("1".to_owned(), "-2".to_owned())]
        );
        assert_eq!(Cursor::new(b"[[1e5,1]]").number_levels(&mut out), None);
        assert_eq!(Cursor::new(br#"[["1"]]"#).levels(&mut out), None);
        assert_eq!(Cursor::new(b"1234567890123456789").uint(), None);
        for text in ["1", "12345678", "123456789", "123456789012345", "1234567890123456", "123456789012345678"] {
            for tail in ["", ",\"x\":1234567890123}", "]"] {
                let b = format!("{text}{tail}");
                let mut c = Cursor::new(b.as_bytes());
                assert_eq!(c.uint(), text.parse().ok(), "{b}");
                assert_eq!(c.peek(), tail.as_bytes().first().copied(), "{b}");
            }
        }
        assert_eq!(Cursor::new(b"-42,").int(), Some(-42));
        let mut c = Cursor::new(b"market.btcusdt.mbp..150");
        let parts: Vec<_> = std::iter::from_fn(|| c.part(b'.')).collect();
        assert_eq!(parts, "market.btcusdt.mbp..150".split('.').map(str::as_bytes).collect::<Vec<_>>());
        let mut c = Cursor::new(br#"{"a":[1,{"b":"]"}]},"#);
        assert_eq!(c.skip_nested(), Some(()));
        assert_eq!(c.peek(), Some(b','));
        let mut c = Cursor::new(br#","x":1.5e3,"y":{"z":[]},"w":"v","t":true}!"#);
        assert_eq!(c.clone().rest_of_object(&[b"w"]), None, "a repeated key");
        assert_eq!(c.rest_of_object(&[b"p"]), Some(()));
        assert_eq!(c.peek(), Some(b'!'));
        for bad in [&br#","x":}"#[..], br#","x":tru}"#, br#","x" :1}"#, br#","x":1 }"#] {
            assert_eq!(Cursor::new(bad).rest_of_object(&[]), None, "{}", String::from_utf8_lossy(bad));
        }
    }
}
