//! Values between DuckDB, ODBC buffers and DuckDB parameters: one [`Cell`]
//! per value, converted to whatever C type the application bound, with
//! ODBC's rules for each conversion (22003 when a number does not fit,
//! 22007 for dates a C struct cannot hold, hexadecimal for binary as text).

mod buffers;
mod parameters;
mod text;

use libduckdb_sys as ffi;

pub use buffers::{
    c_type_size, default_c_type, is_data_at_execution, is_known_c_type, parameter_c_type,
    write_cell, Written,
};
pub use parameters::{append_cell, bind_cell, read_parameter};
pub use text::{bit_text, interval_text, json_escape, scale_timestamp, time_tz_text};
use text::{
    civil_from_days, clock_text, decimal_text, format_double, format_real, parse_decimal,
    parse_timestamp, timestamp_text, uuid_text,
};

/// One value in transit.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Null,
    Bool(bool),
    Int(i64),
    Huge(i128),
    Real(f32),
    Double(f64),
    /// Days since 1970-01-01 (±i32::MAX: ±infinity).
    Date(i32),
    /// Microseconds since midnight.
    Time(i64),
    /// Microseconds since 1970-01-01 00:00:00 (±i64::MAX: ±infinity).
    Timestamp(i64),
    /// A TIMESTAMP WITH TIME ZONE: microseconds since the epoch, in UTC.
    TimestampTz(i64),
    /// A TIMESTAMP_NS: nanoseconds since the epoch.
    TimestampNanos(i64),
    Text(Vec<u8>),
    Blob(Vec<u8>),
    /// A DECIMAL: `value` × 10^-`scale`, exactly.
    Decimal(i128, u8),
    Uuid(u128),
    /// A DuckDB type this driver does not convert (its type id).
    Unsupported(ffi::duckdb_type),
}

const DATE_INFINITY: i32 = i32::MAX;
const TIMESTAMP_INFINITY: i64 = i64::MAX;

impl Cell {
    /// The value as text, in the spelling DuckDB itself uses (binary as
    /// hexadecimal digits, as ODBC converts binary to character data).
    pub fn text(&self) -> Option<Vec<u8>> {
        Some(match self {
            Cell::Null | Cell::Unsupported(_) => return None,
            Cell::Bool(b) => {
                if *b {
                    b"true".to_vec()
                } else {
                    b"false".to_vec()
                }
            }
            Cell::Int(i) => i.to_string().into_bytes(),
            Cell::Huge(i) => i.to_string().into_bytes(),
            Cell::Real(f) => format_real(*f).into_bytes(),
            Cell::Double(f) => format_double(*f).into_bytes(),
            Cell::Date(d) => {
                if *d == DATE_INFINITY {
                    return Some(b"infinity".to_vec());
                }
                if *d == -DATE_INFINITY {
                    return Some(b"-infinity".to_vec());
                }
                let (y, m, day) = civil_from_days(*d as i64);
                format!("{y:04}-{m:02}-{day:02}").into_bytes()
            }
            Cell::Time(t) => clock_text(*t).into_bytes(),
            Cell::Timestamp(t) => timestamp_text(*t, None).into_bytes(),
            Cell::TimestampTz(t) => {
                let mut text = timestamp_text(*t, None);
                if t.abs() != TIMESTAMP_INFINITY {
                    text.push_str("+00");
                }
                text.into_bytes()
            }
            Cell::TimestampNanos(n) => {
                timestamp_text(n.div_euclid(1000), Some(n.rem_euclid(1_000_000_000) as u32))
                    .into_bytes()
            }
            Cell::Text(t) => t.clone(),
            Cell::Blob(b) => b
                .iter()
                .flat_map(|byte| format!("{byte:02X}").into_bytes())
                .collect(),
            Cell::Decimal(value, scale) => decimal_text(*value, *scale).into_bytes(),
            Cell::Uuid(u) => uuid_text(*u).into_bytes(),
        })
    }

    /// Appends the value as JSON; false when it has no JSON form.
    pub fn write_json(&self, out: &mut String) -> bool {
        match self {
            Cell::Null => out.push_str("null"),
            Cell::Unsupported(_) => return false,
            Cell::Bool(_) | Cell::Int(_) | Cell::Huge(_) | Cell::Decimal(..) => {
                out.push_str(&String::from_utf8_lossy(&self.text().unwrap_or_default()))
            }
            Cell::Real(f) if f.is_finite() => out.push_str(&format_real(*f)),
            Cell::Double(f) if f.is_finite() => out.push_str(&format_double(*f)),
            _ => json_escape(
                &String::from_utf8_lossy(&self.text().unwrap_or_default()),
                out,
            ),
        }
        true
    }

    fn as_i128(&self) -> Result<i128, &'static str> {
        match self {
            Cell::Decimal(value, scale) => {
                let divisor = 10i128.pow(*scale as u32);
                if value % divisor != 0 {
                    return Err("22003");
                }
                Ok(value / divisor)
            }
            Cell::Bool(b) => Ok(*b as i128),
            Cell::Int(i) => Ok(*i as i128),
            Cell::Huge(i) => Ok(*i),
            Cell::Real(f) => float_integer(*f as f64),
            Cell::Double(f) => float_integer(*f),
            Cell::Text(t) => {
                let text = std::str::from_utf8(t).map_err(|_| "22018")?.trim();
                match text.parse::<i128>() {
                    Ok(value) => Ok(value),
                    Err(_) => text
                        .parse::<f64>()
                        .map_err(|_| "22018")
                        .and_then(float_integer),
                }
            }
            _ => Err("07006"),
        }
    }

    fn as_f64(&self) -> Result<f64, &'static str> {
        match self {
            Cell::Decimal(..) => Ok(String::from_utf8(self.text().unwrap_or_default())
                .ok()
                .and_then(|t| t.parse().ok())
                .unwrap_or(f64::NAN)),
            Cell::Bool(b) => Ok(*b as i64 as f64),
            Cell::Int(i) => Ok(*i as f64),
            Cell::Huge(i) => Ok(*i as f64),
            Cell::Real(f) => Ok(*f as f64),
            Cell::Double(f) => Ok(*f),
            Cell::Text(t) => std::str::from_utf8(t)
                .ok()
                .and_then(|s| s.trim().parse().ok())
                .ok_or("22018"),
            _ => Err("07006"),
        }
    }

    /// The value as an exact decimal (mantissa, scale).
    fn as_decimal(&self) -> Result<(i128, u8), &'static str> {
        match self {
            Cell::Decimal(value, scale) => Ok((*value, *scale)),
            Cell::Bool(_) | Cell::Int(_) | Cell::Huge(_) => Ok((self.as_i128()?, 0)),
            Cell::Real(_) | Cell::Double(_) | Cell::Text(_) => {
                let text =
                    String::from_utf8(self.text().unwrap_or_default()).map_err(|_| "22018")?;
                parse_decimal(text.trim()).ok_or("22018")
            }
            _ => Err("07006"),
        }
    }

    /// Microseconds since the epoch of a date or timestamp; 22007 for the
    /// infinities, which no C struct can hold.
    fn as_timestamp_micros(&self) -> Result<(i64, u32), &'static str> {
        let (micros, nanos) = match self {
            Cell::Timestamp(t) | Cell::TimestampTz(t) => {
                (*t, (t.rem_euclid(1_000_000) * 1000) as u32)
            }
            Cell::TimestampNanos(n) => (n.div_euclid(1000), n.rem_euclid(1_000_000_000) as u32),
            Cell::Date(d) => {
                if d.abs() == DATE_INFINITY {
                    return Err("22007");
                }
                (*d as i64 * 86_400_000_000, 0)
            }
            Cell::Text(t) => {
                return parse_timestamp(&String::from_utf8_lossy(t)).ok_or("22018");
            }
            // A time of day as a timestamp is on the current date (ODBC's rule).
            Cell::Time(t) => {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs() as i64);
                let today = now.div_euclid(86_400) * 86_400_000_000;
                (today + t, (t.rem_euclid(1_000_000) * 1000) as u32)
            }
            _ => return Err("07006"),
        };
        if micros.abs() == TIMESTAMP_INFINITY {
            return Err("22007");
        }
        Ok((micros, nanos))
    }
}

fn float_integer(value: f64) -> Result<i128, &'static str> {
    if value.is_finite() && value.abs() < 1.7e38 {
        Ok(value.trunc() as i128)
    } else {
        Err("22003")
    }
}
