//! Type inference as a widening lattice: every column starts at `Null` and
//! widens as values arrive (`Integer` + `Float` -> `Float`, `Date` +
//! `Datetime` -> `Datetime`, anything else that disagrees -> `Text`), over
//! the whole column. The value parsers themselves live in
//! `crate::model::parse`.

use crate::model::parse::{parse_boolean, parse_float, parse_integer};
use crate::model::ColumnType;
use crate::time;

/// Values read as NULL in every column (the common spellings of "missing").
pub const NULL_TOKENS: &[&str] = &[
    "", "NA", "N/A", "NaN", "nan", "NULL", "null", "None", "<NA>", "#N/A",
];

/// Whether a raw field is one of [`NULL_TOKENS`].
#[inline]
pub fn is_null_token(field: &[u8]) -> bool {
    match field.len() {
        0 => true,
        1..=4 => NULL_TOKENS.iter().any(|t| t.as_bytes() == field),
        _ => false,
    }
}

/// A point of the inference lattice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inferred {
    Null,
    Boolean,
    Integer,
    Float,
    Date,
    Datetime,
    Text,
}

impl Inferred {
    /// The least type that holds values of both `self` and `other`.
    pub fn join(self, other: Inferred) -> Inferred {
        use Inferred::*;
        match (self, other) {
            (a, b) if a == b => a,
            (Null, x) | (x, Null) => x,
            (Integer, Float) | (Float, Integer) => Float,
            (Date, Datetime) | (Datetime, Date) => Datetime,
            _ => Text,
        }
    }

    /// The stored type; an all-null column is stored as text.
    pub fn column_type(self) -> ColumnType {
        match self {
            Inferred::Null | Inferred::Text => ColumnType::Text,
            Inferred::Boolean => ColumnType::Boolean,
            Inferred::Integer => ColumnType::Integer,
            Inferred::Float => ColumnType::Float,
            Inferred::Date => ColumnType::Date,
            Inferred::Datetime => ColumnType::Datetime,
        }
    }
}

impl From<ColumnType> for Inferred {
    fn from(column_type: ColumnType) -> Self {
        match column_type {
            ColumnType::Boolean => Inferred::Boolean,
            ColumnType::Integer => Inferred::Integer,
            ColumnType::Float => Inferred::Float,
            ColumnType::Date => Inferred::Date,
            ColumnType::Datetime => Inferred::Datetime,
            ColumnType::Text => Inferred::Text,
        }
    }
}

/// The narrowest type of one non-null value.
pub fn classify(value: &str) -> Inferred {
    let bytes = value.as_bytes();
    match bytes.first() {
        Some(b'0'..=b'9' | b'-' | b'+' | b'.') => {
            if parse_integer(value).is_some() {
                Inferred::Integer
            } else if is_integer_syntax(bytes) {
                // Out of i64 range or with leading zeros (zip codes, IDs):
                // kept as text so that no digit is lost.
                Inferred::Text
            } else if parse_float(value).is_some() {
                Inferred::Float
            } else if time::parse_date(value).is_some() {
                Inferred::Date
            } else if time::parse_datetime(value).is_some() {
                Inferred::Datetime
            } else {
                Inferred::Text
            }
        }
        Some(b't' | b'T' | b'f' | b'F') if parse_boolean(value).is_some() => Inferred::Boolean,
        Some(b'i' | b'I') if parse_float(value).is_some() => Inferred::Float,
        _ => Inferred::Text,
    }
}

fn is_integer_syntax(bytes: &[u8]) -> bool {
    let digits = match bytes.first() {
        Some(b'-' | b'+') => &bytes[1..],
        _ => bytes,
    };
    !digits.is_empty() && digits.iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_classify_to_their_narrowest_type() {
        assert_eq!(classify("42"), Inferred::Integer);
        assert_eq!(classify("-7"), Inferred::Integer);
        assert_eq!(classify("3.5"), Inferred::Float);
        assert_eq!(classify("1e308"), Inferred::Float);
        assert_eq!(classify("-0.0"), Inferred::Float);
        assert_eq!(classify("TRUE"), Inferred::Boolean);
        assert_eq!(classify("2024-02-29"), Inferred::Date);
        assert_eq!(classify("2024-02-29 10:00:00"), Inferred::Datetime);
        assert_eq!(classify("00123"), Inferred::Text);
        assert_eq!(classify("99999999999999999999"), Inferred::Text);
        assert_eq!(classify("hello"), Inferred::Text);
        assert_eq!(classify("-"), Inferred::Text);
    }

    #[test]
    fn the_lattice_widens_and_never_narrows() {
        use Inferred::*;
        assert_eq!(Integer.join(Float), Float);
        assert_eq!(Float.join(Integer), Float);
        assert_eq!(Date.join(Datetime), Datetime);
        assert_eq!(Boolean.join(Integer), Text);
        assert_eq!(Null.join(Date), Date);
        assert_eq!(Float.join(Text), Text);
        assert_eq!(Text.join(Integer), Text);
    }

    #[test]
    fn null_tokens_are_recognised() {
        assert!(is_null_token(b""));
        assert!(is_null_token(b"NA"));
        assert!(is_null_token(b"NULL"));
        assert!(!is_null_token(b"0"));
        assert!(!is_null_token(b"NAN!"));
    }
}
