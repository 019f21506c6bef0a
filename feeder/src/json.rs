//! A small zero-allocation JSON scanner for the decoders' fast path.
//!
//! It walks one object's fields in wire order, handing out each key and the raw bytes of its
//! value, and skips nested values by bracket depth. Strings with escape sequences are reported
//! as [`Raw::Escaped`] so the caller can fall back to the serde_json path, which handles them.

pub mod cursor;

use mdbus_schemas::Decimal;

/// A value as it appears on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Raw<'a> {
    /// A string without escapes: the bytes between the quotes.
    Str(&'a [u8]),
    /// A string with at least one escape sequence.
    Escaped,
    /// A number, `true`, `false` or `null`: the literal bytes.
    Lit(&'a [u8]),
    /// An object, braces included.
    Object(&'a [u8]),
    /// An array, brackets included.
    Array(&'a [u8]),
}

/// Why the scanner stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Malformed {
    /// Byte offset of the problem.
    pub at: usize,
}

fn ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// Scans a string starting at the opening quote `b[i]`; returns the end (after the closing
/// quote) and whether it contained an escape.
#[inline]
fn string_end(b: &[u8], i: usize) -> Result<(usize, bool), Malformed> {
    let mut j = i + 1;
    let mut escaped = false;
    loop {
        let Some(k) = b.get(j..).and_then(|rest| rest.iter().position(|&c| c == b'"' || c == b'\\')) else {
            return Err(Malformed { at: i });
        };
        let at = j + k;
        if b[at] == b'"' {
            return Ok((at + 1, escaped));
        }
        escaped = true;
        j = at + 2;
    }
}

/// Returns the end of the literal (number, `true`, `false`, `null`) starting at `b[i]`.
#[inline]
fn literal_end(b: &[u8], i: usize) -> Result<usize, Malformed> {
    let len = b[i..]
        .iter()
        .position(|&c| matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'))
        .unwrap_or(b.len() - i);
    if len == 0 { Err(Malformed { at: i }) } else { Ok(i + len) }
}

/// Returns the end of the object or array starting at `b[i]`.
fn nested_end(b: &[u8], i: usize) -> Result<usize, Malformed> {
    let mut depth = 0usize;
    let mut j = i;
    while j < b.len() {
        match b[j] {
            b'"' => {
                j = string_end(b, j)?.0;
                continue;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return Ok(j + 1);
                }
            }
            _ => {}
        }
        j += 1;
    }
    Err(Malformed { at: i })
}

#[inline]
fn raw_at(b: &[u8], i: usize) -> Result<(Raw<'_>, usize), Malformed> {
    match b.get(i) {
        Some(b'"') => {
            let (end, escaped) = string_end(b, i)?;
            Ok((if escaped { Raw::Escaped } else { Raw::Str(&b[i + 1..end - 1]) }, end))
        }
        Some(b'{') => {
            let end = nested_end(b, i)?;
            Ok((Raw::Object(&b[i..end]), end))
        }
        Some(b'[') => {
            let end = nested_end(b, i)?;
            Ok((Raw::Array(&b[i..end]), end))
        }
        Some(_) => {
            let end = literal_end(b, i)?;
            Ok((Raw::Lit(&b[i..end]), end))
        }
        None => Err(Malformed { at: i }),
    }
}

/// Iterator over the fields of one JSON object.
#[derive(Debug, Clone)]
pub struct Fields<'a> {
    b: &'a [u8],
    i: usize,
    first: bool,
    done: bool,
}

impl<'a> Fields<'a> {
    /// Starts at the object that `b` holds (leading whitespace allowed).
    pub fn new(b: &'a [u8]) -> Result<Fields<'a>, Malformed> {
        let i = ws(b, 0);
        if b.get(i) != Some(&b'{') {
            return Err(Malformed { at: i });
        }
        Ok(Fields { b, i: i + 1, first: true, done: false })
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<(&'a [u8], Raw<'a>), Malformed>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        Some(match self.next_key()? {
            Ok((key, at)) => self.value(at).map(|raw| (key, raw)),
            Err(e) => Err(e),
        })
    }
}

impl<'a> Fields<'a> {
    /// Like `next`, but stops at the start of the value and leaves reading it to the caller,
    /// who must then call [`Fields::skip_to`] with the value's end.
    // Always inlined: it is the inner loop of every decoder, and a second caller (`next`) must
    // not make the compiler outline it.
    #[inline(always)]
    pub fn next_key(&mut self) -> Option<Result<(&'a [u8], usize), Malformed>> {
        if self.done {
            return None;
        }
        let b = self.b;
        let mut i = ws(b, self.i);
        match b.get(i) {
            Some(b'}') => {
                self.done = true;
                return None;
            }
            Some(b',') if !self.first => i = ws(b, i + 1),
            Some(b'"') if self.first => {}
            _ => {
                self.done = true;
                return Some(Err(Malformed { at: i }));
            }
        }
        self.first = false;
        let start = i + 1;
        let len = match b.get(i) {
            Some(b'"') => b.get(start..).and_then(|r| r.iter().position(|&c| c == b'"' || c == b'\\')),
            _ => None,
        };
        let Some(len) = len.filter(|&l| b[start + l] == b'"') else {
            self.done = true;
            return Some(Err(Malformed { at: i }));
        };
        let key = &b[start..start + len];
        i = ws(b, start + len + 1);
        if b.get(i) != Some(&b':') {
            self.done = true;
            return Some(Err(Malformed { at: i }));
        }
        Some(Ok((key, ws(b, i + 1))))
    }

    /// Continues after a value the caller read itself, ending at `end`.
    #[inline]
    pub fn skip_to(&mut self, end: usize) {
        self.i = end;
    }

    /// Reads the value at `at` as a [`Raw`] and continues after it.
    #[inline(always)]
    pub fn value(&mut self, at: usize) -> Result<Raw<'a>, Malformed> {
        match raw_at(self.b, at) {
            Ok((raw, end)) => {
                self.i = end;
                Ok(raw)
            }
            Err(e) => {
                self.done = true;
                Err(e)
            }
        }
    }

    /// The bytes being scanned.
    pub fn bytes(&self) -> &'a [u8] {
        self.b
    }
}

/// Iterator over the values of one JSON array (`[` ... `]`, as a [`Raw::Array`] holds it).
#[derive(Debug, Clone)]
pub struct Elements<'a> {
    b: &'a [u8],
    i: usize,
    first: bool,
    done: bool,
}

impl<'a> Elements<'a> {
    /// Starts at the array `b` holds (leading whitespace allowed).
    pub fn new(b: &'a [u8]) -> Result<Elements<'a>, Malformed> {
        let i = ws(b, 0);
        if b.get(i) != Some(&b'[') {
            return Err(Malformed { at: i });
        }
        Ok(Elements { b, i: i + 1, first: true, done: false })
    }
}

impl<'a> Iterator for Elements<'a> {
    type Item = Result<Raw<'a>, Malformed>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let b = self.b;
        let mut i = ws(b, self.i);
        match b.get(i) {
            Some(b']') => {
                self.done = true;
                return None;
            }
            Some(b',') if !self.first => i = ws(b, i + 1),
            Some(_) if self.first => {}
            _ => {
                self.done = true;
                return Some(Err(Malformed { at: i }));
            }
        }
        self.first = false;
        match raw_at(b, i) {
            Ok((raw, end)) => {
                self.i = end;
                Some(Ok(raw))
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

/// Parses a decimal from a string or number value (venues send both), exponent notation
/// included.
pub fn decimal(raw: Raw<'_>) -> Option<Decimal> {
    Decimal::parse(text(raw)?).ok()
}

/// Parses the common form of a quoted decimal (optional sign, at most 18 digits, optional point,
/// then the closing quote) in the same pass that finds the quote; `None` for anything else, which
/// [`Decimal::parse`] then handles with the same result.
#[inline]
fn quoted_short_decimal(b: &[u8], start: usize) -> Option<(Decimal, usize)> {
    let mut j = start;
    let negative = match b.get(j) {
        Some(b'-') => {
            j += 1;
            true
        }
        Some(b'+') => {
            j += 1;
            false
        }
        _ => false,
    };
    let (mut m, mut count, mut frac) = (0u64, 0u32, None::<i8>);
    loop {
        match *b.get(j)? {
            c @ b'0'..=b'9' if count < 18 => {
                m = m * 10 + u64::from(c - b'0');
                count += 1;
                if let Some(f) = frac.as_mut() {
                    *f += 1;
                }
            }
            b'.' if frac.is_none() => frac = Some(0),
            b'"' if count > 0 => break,
            _ => return None,
        }
        j += 1;
    }
    let m = m as i128;
    Some((Decimal::new(if negative { -m } else { m }, -frac.unwrap_or(0)), j + 1))
}

/// What [`levels`] found wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LevelsError {
    /// Not the expected JSON shape, or an escaped string: leave it to serde_json.
    Shape,
    /// A price or quantity that is not a decimal.
    Value,
}

/// Parses `[[price, qty, ...], ...]` starting at `b[i]` in one pass, decimals straight from the
/// wire text, appending to `out`; returns the end of the array.
pub fn levels(b: &[u8], i: usize, out: &mut Vec<(Decimal, Decimal)>) -> Result<usize, LevelsError> {
    fn number(b: &[u8], i: usize) -> Result<(Decimal, usize), LevelsError> {
        if b.get(i) == Some(&b'"')
            && let Some(fused) = quoted_short_decimal(b, i + 1)
        {
            return Ok(fused);
        }
        let (text, end) = match b.get(i) {
            Some(b'"') => {
                let s = i + 1;
                let len = b
                    .get(s..)
                    .and_then(|r| r.iter().position(|&c| c == b'"' || c == b'\\'))
                    .ok_or(LevelsError::Shape)?;
                if b[s + len] != b'"' {
                    return Err(LevelsError::Shape);
                }
                (&b[s..s + len], s + len + 1)
            }
            Some(_) => {
                let end = literal_end(b, i).map_err(|_| LevelsError::Shape)?;
                (&b[i..end], end)
            }
            None => return Err(LevelsError::Shape),
        };
        Decimal::parse(text).map(|d| (d, end)).map_err(|_| LevelsError::Value)
    }
    let expect = |i: usize, c: u8| if b.get(i) == Some(&c) { Ok(i + 1) } else { Err(LevelsError::Shape) };
    let mut i = ws(b, expect(i, b'[')?);
    if b.get(i) == Some(&b']') {
        return Ok(i + 1);
    }
    loop {
        i = ws(b, expect(i, b'[')?);
        let (price, e) = number(b, i)?;
        i = ws(b, expect(ws(b, e), b',')?);
        let (qty, e) = number(b, i)?;
        i = ws(b, e);
        while b.get(i) == Some(&b',') {
            let (_, e) = raw_at(b, ws(b, i + 1)).map_err(|_| LevelsError::Shape)?;
            i = ws(b, e);
        }
        i = ws(b, expect(i, b']')?);
        out.push((price, qty));
        match b.get(i) {
            Some(b',') => i = ws(b, i + 1),
            Some(b']') => return Ok(i + 1),
            _ => return Err(LevelsError::Shape),
        }
    }
}

/// Parses an unsigned integer literal (or a string holding one).
pub fn uint(raw: Raw<'_>) -> Option<u64> {
    let s = match raw {
        Raw::Lit(s) | Raw::Str(s) => s,
        _ => return None,
    };
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    let mut v: u64 = 0;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    Some(v)
}

/// Parses a signed integer literal.
pub fn int(raw: Raw<'_>) -> Option<i64> {
    match raw {
        Raw::Lit([b'-', rest @ ..]) => uint(Raw::Lit(rest)).and_then(|v| i64::try_from(v).ok()).map(|v| -v),
        other => uint(other).and_then(|v| i64::try_from(v).ok()),
    }
}

/// Parses `true` / `false`.
pub fn boolean(raw: Raw<'_>) -> Option<bool> {
    match raw {
        Raw::Lit(b"true") => Some(true),
        Raw::Lit(b"false") => Some(false),
        _ => None,
    }
}

/// Returns the text of a string or number value (decimals arrive as either).
pub fn text(raw: Raw<'_>) -> Option<&[u8]> {
    match raw {
        Raw::Str(s) => Some(s),
        Raw::Lit(s) if !matches!(s, b"true" | b"false" | b"null") => Some(s),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_fields_in_any_order_and_skips_nested_values() {
        let b = br#" { "a" : "x", "n": -12.5e3, "o": {"k": [1, {"z": "]"}]}, "t": true , "s\"": "q"} "#;
        let f: Vec<_> = Fields::new(b).unwrap().collect();
        assert_eq!(f[0], Ok((&b"a"[..], Raw::Str(b"x"))));
        assert_eq!(f[1], Ok((&b"n"[..], Raw::Lit(b"-12.5e3"))));
        assert!(matches!(f[2], Ok((k, Raw::Object(_))) if k == b"o"));
        assert_eq!(f[3], Ok((&b"t"[..], Raw::Lit(b"true"))));
        assert!(f[4].is_err(), "escaped keys are left to the fallback");
    }

    #[test]
    fn reports_malformed_input() {
        for bad in [&b""[..], b"[]", b"{", b"{\"a\"}", b"{\"a\":}", b"{\"a\":1 2}", b"{\"a\":\"x}"] {
            let r: Result<Vec<_>, _> = Fields::new(bad).and_then(|f| f.collect());
            assert!(r.is_err(), "{:?}", std::str::from_utf8(bad));
        }
        assert_eq!(Fields::new(b"{}").unwrap().count(), 0);
    }

    #[test]
    fn level_arrays_and_numbers() {
        let mut out = Vec::new();
        let b = br#"[["1.5","2"], [ "3" , 4, "extra" ] ]x"#;
        assert_eq!(levels(b, 0, &mut out), Ok(b.len() - 1));
        assert_eq!(out.len(), 2);
        assert_eq!(out[1].1, "4".parse().unwrap());
        assert_eq!(levels(b"[]", 0, &mut out), Ok(2));
        assert_eq!(levels(br#"[["1"]]"#, 0, &mut out), Err(LevelsError::Shape));
        assert_eq!(levels(br#"[["x","1"]]"#, 0, &mut out), Err(LevelsError::Value));
        assert_eq!(levels(br#"[["1\u0030","1"]]"#, 0, &mut out), Err(LevelsError::Shape));
        assert_eq!(uint(Raw::Lit(b"18446744073709551615")), Some(u64::MAX));
        assert_eq!(uint(Raw::Lit(b"18446744073709551616")), None);
        assert_eq!(uint(Raw::Str(b"42")), Some(42));
        assert_eq!(int(Raw::Lit(b"-7")), Some(-7));
        assert_eq!(boolean(Raw::Lit(b"false")), Some(false));
        assert_eq!(text(Raw::Lit(b"null")), None);
    }
}
