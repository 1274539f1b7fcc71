//! Values as text, spelled as DuckDB prints them (timestamps, intervals,
//! times with time zones, BIT strings, decimals, UUIDs, the shortest
//! round-tripping floats) and read back from text, with the proleptic
//! Gregorian calendar both need.

use super::TIMESTAMP_INFINITY;

/// A timestamp in seconds or milliseconds as microseconds, keeping the
/// infinities.
pub fn scale_timestamp(value: i64, factor: i64) -> i64 {
    if value == TIMESTAMP_INFINITY || value == -TIMESTAMP_INFINITY {
        value
    } else {
        value.saturating_mul(factor)
    }
}

/// Days since 1970-01-01 for a proleptic Gregorian date.
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
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
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

pub(super) fn timestamp_parts(micros: i64) -> (i64, u32, u32, i64, i64) {
    let seconds = micros.div_euclid(1_000_000);
    let (y, m, d) = civil_from_days(seconds.div_euclid(86_400));
    (
        y,
        m,
        d,
        seconds.rem_euclid(86_400),
        micros.rem_euclid(1_000_000),
    )
}

pub(super) fn timestamp_text(micros: i64, nanos: Option<u32>) -> String {
    if micros == TIMESTAMP_INFINITY {
        return "infinity".into();
    }
    if micros == -TIMESTAMP_INFINITY {
        return "-infinity".into();
    }
    let (y, m, d, secs, frac) = timestamp_parts(micros);
    let mut text = format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    );
    match nanos {
        Some(nanos) if nanos != 0 => text.push_str(&format!(".{nanos:09}")),
        Some(_) => {}
        None if frac != 0 => text.push_str(&format!(".{frac:06}")),
        None => {}
    }
    text
}

pub(super) fn uuid_text(value: u128) -> String {
    let hex = format!("{value:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

pub(super) fn parse_uuid(text: &str) -> Option<u128> {
    let hex: String = text
        .trim()
        .trim_matches(|c| c == '{' || c == '}')
        .chars()
        .filter(|c| *c != '-')
        .collect();
    (hex.len() == 32)
        .then(|| u128::from_str_radix(&hex, 16).ok())
        .flatten()
}

/// Appends `text` as a JSON string.
pub fn json_escape(text: &str, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `-12.50` as (-1250, 2).
pub(super) fn parse_decimal(text: &str) -> Option<(i128, u8)> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if digits.contains(['e', 'E']) {
        let value: f64 = text.parse().ok()?;
        return parse_decimal(&format!("{value}"));
    }
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    let fraction = &fraction[..fraction.len().min(38)];
    let mantissa: i128 = format!("{whole}{fraction}").parse().ok()?;
    Some((
        if negative { -mantissa } else { mantissa },
        fraction.len() as u8,
    ))
}

/// `YYYY-MM-DD[ HH:MM:SS[.fraction]]` as (microseconds, nanoseconds of the
/// second).
pub(super) fn parse_timestamp(text: &str) -> Option<(i64, u32)> {
    let text = text.trim();
    let (date, time) = text.split_once([' ', 'T']).unwrap_or((text, "00:00:00"));
    let mut parts = date.splitn(3, '-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: u32 = parts.next()?.parse().ok()?;
    let day: u32 = parts.next()?.parse().ok()?;
    let (clock, fraction) = time.split_once('.').unwrap_or((time, ""));
    let mut clock_parts = clock.splitn(3, ':');
    let hour: i64 = clock_parts.next()?.parse().ok()?;
    let minute: i64 = clock_parts.next().unwrap_or("0").parse().ok()?;
    let second: i64 = clock_parts.next().unwrap_or("0").parse().ok()?;
    let digits: String = fraction
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .take(9)
        .collect();
    let nanos: u32 = if digits.is_empty() {
        0
    } else {
        format!("{digits:0<9}").parse().ok()?
    };
    let seconds = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second;
    Some((seconds * 1_000_000 + (nanos / 1000) as i64, nanos))
}

/// A time of day in microseconds as `HH:MM:SS[.ffffff]`.
pub(super) fn clock_text(micros: i64) -> String {
    let seconds = micros.div_euclid(1_000_000);
    let fraction = micros.rem_euclid(1_000_000);
    let mut text = format!(
        "{:02}:{:02}:{:02}",
        seconds / 3600,
        seconds % 3600 / 60,
        seconds % 60
    );
    if fraction != 0 {
        text.push_str(&format!(".{fraction:06}"));
    }
    text
}

/// An interval as DuckDB prints it (`1 year 2 months 3 days 04:05:06`).
pub fn interval_text(months: i32, days: i32, micros: i64) -> String {
    let mut parts = Vec::new();
    let (years, months) = (months / 12, months % 12);
    let plural = |n: i64, unit: &str| format!("{n} {unit}{}", if n.abs() == 1 { "" } else { "s" });
    if years != 0 {
        parts.push(plural(years as i64, "year"));
    }
    if months != 0 {
        parts.push(plural(months as i64, "month"));
    }
    if days != 0 {
        parts.push(plural(days as i64, "day"));
    }
    if micros != 0 || parts.is_empty() {
        let sign = if micros < 0 { "-" } else { "" };
        parts.push(format!("{sign}{}", trimmed_clock_text(micros.abs())));
    }
    parts.join(" ")
}

/// A time of day as DuckDB casts it to text: the fraction without its
/// trailing zeros (`04:05:06.5`).
pub fn trimmed_clock_text(micros: i64) -> String {
    let text = clock_text(micros);
    match text.find('.') {
        Some(_) => text.trim_end_matches('0').to_string(),
        None => text,
    }
}

/// A TIME WITH TIME ZONE as DuckDB casts it to text (`04:05:06.5+02:30`).
pub fn time_tz_text(micros: i64, offset_seconds: i32) -> String {
    let sign = if offset_seconds < 0 { '-' } else { '+' };
    let offset = offset_seconds.unsigned_abs();
    let mut text = format!("{}{sign}{:02}", trimmed_clock_text(micros), offset / 3600);
    if !offset.is_multiple_of(3600) {
        text.push_str(&format!(":{:02}", offset % 3600 / 60));
    }
    if !offset.is_multiple_of(60) {
        text.push_str(&format!(":{:02}", offset % 60));
    }
    text
}

/// A BIT string from DuckDB's storage: a byte giving the padding bits of
/// the first data byte, then the bits, most significant first.
pub fn bit_text(stored: &[u8]) -> String {
    let Some((&padding, bits)) = stored.split_first() else {
        return String::new();
    };
    let mut text = String::with_capacity(bits.len() * 8);
    for (index, byte) in bits.iter().enumerate() {
        let skip = if index == 0 { padding.min(8) } else { 0 };
        for bit in (0..8 - skip).rev() {
            text.push(if byte >> bit & 1 == 1 { '1' } else { '0' });
        }
    }
    text
}

/// A scaled integer as decimal text (`-12.50` for (-1250, 2)).
pub(super) fn decimal_text(value: i128, scale: u8) -> String {
    let digits = value.unsigned_abs().to_string();
    let scale = scale as usize;
    let sign = if value < 0 { "-" } else { "" };
    if scale == 0 {
        return format!("{sign}{digits}");
    }
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (whole, fraction) = padded.split_at(padded.len() - scale);
    format!("{sign}{whole}.{fraction}")
}

/// Shortest text that reads back as the same double.
pub(super) fn format_double(value: f64) -> String {
    if value.is_nan() {
        "nan".into()
    } else if value.is_infinite() {
        if value > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        }
    } else {
        let text = format!("{value:?}");
        text
    }
}

pub(super) fn format_real(value: f32) -> String {
    if value.is_finite() {
        format!("{value:?}")
    } else {
        format_double(value as f64)
    }
}

#[cfg(test)]
mod text_forms {
    use super::*;

    #[test]
    fn decimal_text_parses_exactly() {
        assert_eq!(parse_decimal("-12.50"), Some((-1250, 2)));
        assert_eq!(parse_decimal("2.5"), Some((25, 1)));
        assert_eq!(parse_decimal(".5"), Some((5, 1)));
        assert_eq!(parse_decimal("7"), Some((7, 0)));
        assert_eq!(parse_decimal("1E+3"), Some((1000, 0)));
        assert_eq!(parse_decimal("abc"), None);
        assert_eq!(parse_decimal("-"), None);
    }

    #[test]
    fn interval_bit_and_time_tz_text_match_duckdbs_casts() {
        assert_eq!(interval_text(0, 0, 14_706_500_000), "04:05:06.5");
        assert_eq!(
            interval_text(14, 3, 14_400_123_000),
            "1 year 2 months 3 days 04:00:00.123"
        );
        assert_eq!(interval_text(0, 0, -6_250_000), "-00:00:06.25");
        assert_eq!(bit_text(&[5, 0b1111_1101]), "101");
        assert_eq!(bit_text(&[6, 0b0000_0000, 0b1011_0011]), "0010110011");
        assert_eq!(time_tz_text(14_706_500_000, 9000), "04:05:06.5+02:30");
        assert_eq!(time_tz_text(82_800_000_000, -25_200), "23:00:00-07");
    }
}
