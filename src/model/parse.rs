//! The per-type value parsers: the one spelling of a boolean, integer,
//! float or timestamp that readers accept and stores convert text with.
//! Dates and times themselves are parsed by `crate::time`.

use crate::time;

/// An integer without leading zeros that fits in i64.
#[inline]
pub fn parse_integer(value: &str) -> Option<i64> {
    let bytes = value.as_bytes();
    let digits = match bytes.first()? {
        b'-' | b'+' => &bytes[1..],
        _ => bytes,
    };
    if digits.len() > 1 && digits[0] == b'0' {
        return None;
    }
    value.parse().ok()
}

/// A floating-point number (also `inf`, `-inf`, `infinity`).
#[inline]
pub fn parse_float(value: &str) -> Option<f64> {
    let parsed: f64 = value.parse().ok()?;
    // Rust also accepts "nan"; NaN spellings are null tokens instead.
    (!parsed.is_nan()).then_some(parsed)
}

/// `true` / `false`, case-insensitive.
#[inline]
pub fn parse_boolean(value: &str) -> Option<bool> {
    if value.eq_ignore_ascii_case("true") {
        Some(true)
    } else if value.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// A timestamp, also accepting a plain date (midnight).
pub fn parse_timestamp(value: &str) -> Option<i64> {
    time::parse_datetime(value)
        .or_else(|| time::parse_date(value).map(|d| d as i64 * 86_400_000_000))
}
