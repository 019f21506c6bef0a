//! UTC timestamps as venues write them: OKX's `2020-12-08T09:08:57.715Z`, HTX's
//! `2017-05-11T15:19:30`.

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Civil date of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Formats ms since the epoch as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
///
/// # Examples
///
/// ```
/// use mdbus_sdk::order::time::{iso8601_ms, parse_iso8601_ms};
/// assert_eq!(iso8601_ms(1_607_418_537_715), "2020-12-08T09:08:57.715Z");
/// assert_eq!(parse_iso8601_ms("2020-12-08T09:08:57.715Z"), Some(1_607_418_537_715));
/// ```
pub fn iso8601_ms(ms: u64) -> String {
    let secs = (ms / 1000) as i64;
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let t = secs.rem_euclid(86_400);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z", t / 3600, t / 60 % 60, t % 60, ms % 1000)
}

/// Formats ms since the epoch as `YYYY-MM-DDTHH:MM:SS` (seconds, no zone: HTX).
pub fn iso8601_secs(ms: u64) -> String {
    let mut s = iso8601_ms(ms);
    s.truncate(19);
    s
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.mmm][Z]` (UTC) into ms since the epoch.
pub fn parse_iso8601_ms(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<u32>().ok();
    let (y, mo, d, h, mi, se) = (num(0..4)?, num(5..7)?, num(8..10)?, num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let rest = &s[19..];
    let rest = rest.strip_suffix('Z').unwrap_or(rest);
    let millis = match rest.strip_prefix('.') {
        Some(f) if !f.is_empty() && f.len() <= 9 && f.bytes().all(|c| c.is_ascii_digit()) => {
            let f3 = format!("{f:0<3}");
            f3[..3].parse::<u64>().ok()?
        }
        Some(_) => return None,
        None if rest.is_empty() => 0,
        None => return None,
    };
    let days = days_from_civil(i64::from(y), mo, d);
    let secs = days * 86_400 + i64::from(h) * 3600 + i64::from(mi) * 60 + i64::from(se);
    u64::try_from(secs).ok().map(|s| s * 1000 + millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_over_a_wide_range() {
        for ms in [0u64, 951_782_400_000, 1_499_827_319_559, 4_102_444_800_000, 1_709_251_199_999] {
            assert_eq!(parse_iso8601_ms(&iso8601_ms(ms)), Some(ms), "{}", iso8601_ms(ms));
        }
        assert_eq!(iso8601_secs(1_494_515_970_000), "2017-05-11T15:19:30");
        assert_eq!(parse_iso8601_ms("2017-05-11T15:19:30"), Some(1_494_515_970_000));
        for bad in
            ["", "2020-13-01T00:00:00Z", "2020-12-08 09:08:57Z", "2020-12-08T09:08:57.Z", "2020-12-08T09:08:57+01"]
        {
            assert_eq!(parse_iso8601_ms(bad), None, "{bad}");
        }
    }
}
