//! mdm's values in ODBC's shapes and back: dates and timestamps as ODBC
//! structs, columns as canonical text, and columns as array literals for
//! databases that unnest arrays.

use odbc_api::sys::{Date, Timestamp};

use crate::model::ColumnData;
use crate::time;

/// A column as an array literal (`{1,NULL,"text"}`): numbers in shortest
/// round-trip form, text always quoted with `\\` and `"` escaped.
pub(super) fn array_literal(data: &ColumnData) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(data.len() * 12 + 2);
    out.push('{');
    let mut integers = itoa::Buffer::new();
    let mut floats = ryu::Buffer::new();
    for row in 0..data.len() {
        if row > 0 {
            out.push(',');
        }
        match data {
            ColumnData::Integer(v) => match v[row] {
                Some(x) => out.push_str(integers.format(x)),
                None => out.push_str("NULL"),
            },
            ColumnData::Float(v) => match v[row] {
                Some(x) if x.is_finite() => out.push_str(floats.format_finite(x)),
                Some(x) if x > 0.0 => out.push_str("Infinity"),
                Some(_) => out.push_str("-Infinity"),
                None => out.push_str("NULL"),
            },
            ColumnData::Boolean(v) => match v[row] {
                Some(x) => out.push(if x { 't' } else { 'f' }),
                None => out.push_str("NULL"),
            },
            ColumnData::Date(v) => match v[row] {
                Some(x) => out.push_str(&time::format_date(x)),
                None => out.push_str("NULL"),
            },
            ColumnData::Datetime(v) => match v[row] {
                Some(x) => {
                    let _ = write!(out, "\"{}\"", time::format_datetime(x));
                }
                None => out.push_str("NULL"),
            },
            ColumnData::Text(v) => match v.get(row) {
                Some(text) => {
                    out.push('"');
                    for c in text.chars() {
                        if c == '"' || c == '\\' {
                            out.push('\\');
                        }
                        out.push(c);
                    }
                    out.push('"');
                }
                None => out.push_str("NULL"),
            },
        }
    }
    out.push('}');
    out
}

/// A column's values in mdm's canonical text form (text borrowed, not
/// copied).
pub(super) fn text_values(
    data: &ColumnData,
    start: usize,
    rows: usize,
) -> Vec<Option<std::borrow::Cow<'_, str>>> {
    use std::borrow::Cow;
    let range = start..start + rows;
    match data {
        ColumnData::Text(v) => range.map(|r| v.get(r).map(Cow::Borrowed)).collect(),
        ColumnData::Date(v) => v[range]
            .iter()
            .map(|d| d.map(|d| Cow::Owned(time::format_date(d))))
            .collect(),
        ColumnData::Datetime(v) => v[range]
            .iter()
            .map(|t| t.map(|t| Cow::Owned(time::format_datetime(t))))
            .collect(),
        ColumnData::Integer(v) => v[range]
            .iter()
            .map(|x| x.map(|x| Cow::Owned(x.to_string())))
            .collect(),
        ColumnData::Float(v) => v[range]
            .iter()
            .map(|x| x.map(|x| Cow::Owned(ryu::Buffer::new().format(x).to_string())))
            .collect(),
        ColumnData::Boolean(v) => v[range]
            .iter()
            .map(|x| x.map(|x| Cow::Owned(x.to_string())))
            .collect(),
    }
}

pub(crate) fn to_odbc_date(days: i32) -> Date {
    let (year, month, day) = time::civil_from_days(days as i64);
    Date {
        year: year as i16,
        month: month as u16,
        day: day as u16,
    }
}

pub(crate) fn to_odbc_timestamp(micros: i64) -> Timestamp {
    let seconds = micros.div_euclid(1_000_000);
    let fraction = micros.rem_euclid(1_000_000);
    let (year, month, day) = time::civil_from_days(seconds.div_euclid(86_400));
    let in_day = seconds.rem_euclid(86_400);
    Timestamp {
        year: year as i16,
        month: month as u16,
        day: day as u16,
        hour: (in_day / 3600) as u16,
        minute: (in_day % 3600 / 60) as u16,
        second: (in_day % 60) as u16,
        fraction: (fraction * 1000) as u32,
    }
}

pub(crate) fn from_odbc_date(date: &Date) -> i32 {
    time::days_from_civil(date.year as i64, date.month as u32, date.day as u32) as i32
}

pub(crate) fn from_odbc_timestamp(ts: &Timestamp) -> i64 {
    let days = time::days_from_civil(ts.year as i64, ts.month as u32, ts.day as u32);
    let seconds = days * 86_400 + ts.hour as i64 * 3600 + ts.minute as i64 * 60 + ts.second as i64;
    seconds * 1_000_000 + (ts.fraction / 1000) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_literals_quote_text_and_spell_nulls() {
        let mut text = crate::model::TextColumn::default();
        for value in [
            Some("a\"b"),
            None,
            Some("NULL"),
            Some("back\\slash"),
            Some(""),
        ] {
            text.push(value);
        }
        assert_eq!(
            array_literal(&ColumnData::Text(text)),
            r#"{"a\"b",NULL,"NULL","back\\slash",""}"#
        );
        let floats =
            ColumnData::Float(vec![Some(1e308), None, Some(f64::NEG_INFINITY), Some(-0.0)]);
        assert_eq!(array_literal(&floats), "{1e308,NULL,-Infinity,-0.0}");
        assert_eq!(
            array_literal(&ColumnData::Boolean(vec![Some(true), None])),
            "{t,NULL}"
        );
    }

    #[test]
    fn odbc_dates_and_timestamps_convert_both_ways() {
        for micros in [0i64, -1, 1_709_164_800_123_456, -62_135_596_800_000_000] {
            assert_eq!(from_odbc_timestamp(&to_odbc_timestamp(micros)), micros);
        }
        for days in [0, -1, 19_782, -719_162] {
            assert_eq!(from_odbc_date(&to_odbc_date(days)), days);
        }
    }
}
