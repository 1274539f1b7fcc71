//! Calendar arithmetic and ISO 8601 parsing/formatting for dates and
//! timestamps, kept dependency-free because it sits on the per-value hot path
//! of type inference and loading.

/// Microseconds in a day: a date is its day count times this, as a
/// timestamp.
pub const MICROS_PER_DAY: i64 = 86_400_000_000;

/// Days since 1970-01-01 for a proleptic Gregorian date.
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The (year, month, day) of a count of days since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        _ => 28,
    }
}

fn digits(bytes: &[u8]) -> Option<u32> {
    if bytes.is_empty() {
        return None;
    }
    let mut value = 0u32;
    for &b in bytes {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value * 10 + u32::from(b - b'0');
    }
    Some(value)
}

/// Parses `YYYY-MM-DD` (or `YYYY/MM/DD`) into days since the epoch.
pub fn parse_date(text: &str) -> Option<i32> {
    let b = text.as_bytes();
    if b.len() != 10 || !(b[4] == b'-' && b[7] == b'-' || b[4] == b'/' && b[7] == b'/') {
        return None;
    }
    let year = digits(&b[0..4])? as i64;
    let month = digits(&b[5..7])?;
    let day = digits(&b[8..10])?;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    Some(days_from_civil(year, month, day) as i32)
}

/// Parses `YYYY-MM-DD[T ]HH:MM[:SS[.fraction]][Z|±HH:MM]` into microseconds
/// since the epoch (UTC when an offset is given).
pub fn parse_datetime(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() < 16 || !(b[10] == b'T' || b[10] == b' ') {
        return None;
    }
    let days = parse_date(std::str::from_utf8(&b[..10]).ok()?)? as i64;
    if b[13] != b':' {
        return None;
    }
    let hour = digits(&b[11..13])?;
    let minute = digits(&b[14..16])?;
    let mut rest = &b[16..];
    let mut second = 0;
    let mut micros = 0u32;
    if rest.first() == Some(&b':') {
        if rest.len() < 3 {
            return None;
        }
        second = digits(&rest[1..3])?;
        rest = &rest[3..];
        if rest.first() == Some(&b'.') {
            let end = rest[1..]
                .iter()
                .position(|c| !c.is_ascii_digit())
                .map_or(rest.len(), |p| p + 1);
            let fraction = &rest[1..end];
            if fraction.is_empty() || fraction.len() > 9 {
                return None;
            }
            let mut scaled = 0u32;
            for i in 0..6 {
                scaled = scaled * 10 + fraction.get(i).map_or(0, |d| u32::from(d - b'0'));
            }
            micros = scaled;
            rest = &rest[end..];
        }
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let offset_seconds = zone_offset(rest)?;
    let seconds =
        days * 86_400 + hour as i64 * 3600 + minute as i64 * 60 + second as i64 - offset_seconds;
    Some(seconds * 1_000_000 + micros as i64)
}

/// The offset from UTC in seconds of a zone suffix: none, `Z`, `UTC`,
/// `GMT`, `+HH:MM`, `+HHMM` or `+HH` (and `-`).
fn zone_offset(zone: &[u8]) -> Option<i64> {
    let (sign, hours, minutes) = match zone {
        [] | [b'Z'] | b"UTC" | b"GMT" => return Some(0),
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] | [sign @ (b'+' | b'-'), h1, h2, m1, m2] => {
            (*sign, digits(&[*h1, *h2])?, digits(&[*m1, *m2])?)
        }
        [sign @ (b'+' | b'-'), h1, h2] => (*sign, digits(&[*h1, *h2])?, 0),
        _ => return None,
    };
    if hours > 18 || minutes > 59 {
        return None;
    }
    let total = i64::from(hours) * 3600 + i64::from(minutes) * 60;
    Some(if sign == b'+' { total } else { -total })
}

/// Days since the epoch of a calendar date, when it is one.
pub fn civil_days(year: i64, month: u32, day: u32) -> Option<i64> {
    ((1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month))
        .then(|| days_from_civil(year, month, day))
}

/// The time after a date written in another spelling, as microseconds
/// from that day's midnight UTC: one `T` or spaces, then
/// `H[H]:MM[:SS[.fraction]]`, an optional `AM`/`PM` and an optional zone
/// (`Z`, `UTC`, `+HH:MM`, ...).
pub fn parse_time_of_day(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let mut at = match b.first()? {
        b'T' => 1,
        b' ' => b.iter().take_while(|c| **c == b' ').count(),
        _ => return None,
    };
    let number = |at: &mut usize, min: usize, max: usize| -> Option<u32> {
        let start = *at;
        while *at < b.len() && *at - start < max && b[*at].is_ascii_digit() {
            *at += 1;
        }
        (*at - start >= min).then(|| digits(&b[start..*at]))?
    };
    let mut hour = number(&mut at, 1, 2)?;
    if b.get(at) != Some(&b':') {
        return None;
    }
    at += 1;
    let minute = number(&mut at, 2, 2)?;
    let mut second = 0;
    let mut micros = 0u32;
    if b.get(at) == Some(&b':') {
        at += 1;
        second = number(&mut at, 2, 2)?;
        if b.get(at) == Some(&b'.') {
            at += 1;
            let start = at;
            while at < b.len() && b[at].is_ascii_digit() {
                at += 1;
            }
            let fraction = &b[start..at];
            if fraction.is_empty() || fraction.len() > 9 {
                return None;
            }
            for i in 0..6 {
                micros = micros * 10 + fraction.get(i).map_or(0, |d| u32::from(d - b'0'));
            }
        }
    }
    let mut rest = &b[at..];
    let trimmed = |r: &[u8]| -> usize { r.iter().take_while(|c| **c == b' ').count() };
    let skip = trimmed(rest);
    let meridiem = rest[skip..]
        .get(..2)
        .map(|m| m.to_ascii_uppercase())
        .filter(|m| m == b"AM" || m == b"PM");
    if let Some(meridiem) = meridiem {
        if !(1..=12).contains(&hour) {
            return None;
        }
        hour = hour % 12 + if meridiem == b"PM" { 12 } else { 0 };
        rest = &rest[skip + 2..];
    }
    let rest = &rest[trimmed(rest)..];
    let offset = zone_offset(rest)?;
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let seconds = i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second) - offset;
    Some(seconds * 1_000_000 + i64::from(micros))
}

/// Formats days since the epoch as `YYYY-MM-DD`.
pub fn format_date(days: i32) -> String {
    let mut out = String::with_capacity(10);
    push_date(&mut out, days as i64);
    out
}

fn push_date(out: &mut String, days: i64) {
    use std::fmt::Write;
    let (year, month, day) = civil_from_days(days);
    let _ = write!(out, "{year:04}-{month:02}-{day:02}");
}

/// Formats microseconds since the epoch as `YYYY-MM-DD HH:MM:SS[.ffffff]`.
pub fn format_datetime(micros: i64) -> String {
    use std::fmt::Write;
    let seconds = micros.div_euclid(1_000_000);
    let fraction = micros.rem_euclid(1_000_000);
    let days = seconds.div_euclid(86_400);
    let in_day = seconds.rem_euclid(86_400);
    let mut out = String::with_capacity(26);
    push_date(&mut out, days);
    let _ = write!(
        out,
        " {:02}:{:02}:{:02}",
        in_day / 3600,
        in_day % 3600 / 60,
        in_day % 60
    );
    if fraction != 0 {
        let _ = write!(out, ".{fraction:06}");
    }
    out
}

/// The current time as an RFC 3339 UTC timestamp with microseconds, so
/// that registrations in the same second still sort in order.
pub fn now_rfc3339() -> String {
    let micros = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0);
    let mut text = format!(
        "{}.{:06}",
        &rfc3339(micros.div_euclid(1_000_000))[..19],
        micros.rem_euclid(1_000_000)
    );
    text.push('Z');
    text
}

/// Formats seconds since the epoch as an RFC 3339 UTC timestamp.
pub fn rfc3339(seconds: i64) -> String {
    let mut text = format_datetime(seconds * 1_000_000);
    text.replace_range(10..11, "T");
    text.push('Z');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_conversion_round_trips_across_eras() {
        for days in [-800_000i64, -1, 0, 1, 11_016, 19_782, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(days_from_civil(2000, 2, 29), 11_016);
    }

    #[test]
    fn dates_are_validated_against_the_calendar() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert!(parse_date("2023-02-29").is_none());
        assert!(parse_date("2024-02-29").is_some());
        assert!(parse_date("2024-13-01").is_none());
        assert!(parse_date("2024-1-01").is_none());
    }

    #[test]
    fn datetimes_parse_fractions_and_offsets() {
        assert_eq!(parse_datetime("1970-01-01 00:00:01"), Some(1_000_000));
        assert_eq!(parse_datetime("1970-01-01T00:00:00.5Z"), Some(500_000));
        assert_eq!(parse_datetime("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(parse_datetime("1970-01-01 00:01"), Some(60_000_000));
        assert!(parse_datetime("1970-01-01 24:00:00").is_none());
        assert_eq!(
            parse_datetime("1970-01-01T01:00:00.250+0100"),
            Some(250_000)
        );
        assert_eq!(
            parse_datetime("1970-01-01T00:00:00-01"),
            Some(3_600_000_000)
        );
        assert_eq!(parse_time_of_day(" 1:00 pm UTC"), Some(13 * 3_600_000_000));
        assert_eq!(parse_time_of_day("T12:00:00.5Z"), Some(43_200_500_000));
        assert_eq!(parse_time_of_day(" 12:30 AM"), Some(30 * 60_000_000));
        assert!(parse_time_of_day(" 13:00 PM").is_none());
        assert!(parse_time_of_day("13:00").is_none());
        assert_eq!(
            format_datetime(parse_datetime("2021-03-04 05:06:07.000123").unwrap()),
            "2021-03-04 05:06:07.000123"
        );
        assert_eq!(format_datetime(-1), "1969-12-31 23:59:59.999999");
    }
}
