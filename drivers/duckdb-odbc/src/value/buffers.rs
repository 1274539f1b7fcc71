//! Values into application buffers: the C types the driver converts to,
//! their sizes and defaults, and writing a [`Cell`] as the C type the
//! application bound (piecewise for SQLGetData), with ODBC's SQLSTATE for
//! each conversion that fails.

use std::ffi::c_void;

use super::text::{civil_from_days, parse_timestamp, parse_uuid, timestamp_parts};
use super::Cell;
use crate::odbc::{self, Date, Guid, Len, Numeric, Time, Timestamp};

/// What writing a value into an application buffer did.
pub enum Written {
    Complete,
    /// The value did not fit; SQLSTATE 01004.
    Truncated,
}

/// The size of one element of a fixed-size C type.
pub fn c_type_size(c_type: i16) -> Option<usize> {
    Some(match c_type {
        odbc::C_SBIGINT | odbc::C_UBIGINT => 8,
        odbc::C_LONG | odbc::C_SLONG | odbc::C_ULONG => 4,
        odbc::C_SHORT | odbc::C_SSHORT | odbc::C_USHORT => 2,
        odbc::C_BIT | odbc::C_TINYINT | odbc::C_STINYINT | odbc::C_UTINYINT => 1,
        odbc::C_DOUBLE => 8,
        odbc::C_FLOAT => 4,
        odbc::C_TYPE_DATE | odbc::C_DATE => std::mem::size_of::<Date>(),
        odbc::C_TYPE_TIME | odbc::C_TIME => std::mem::size_of::<Time>(),
        odbc::C_TYPE_TIMESTAMP | odbc::C_TIMESTAMP => std::mem::size_of::<Timestamp>(),
        odbc::C_NUMERIC => std::mem::size_of::<Numeric>(),
        odbc::C_GUID => std::mem::size_of::<Guid>(),
        _ => return None,
    })
}

/// Whether the driver converts to and from `c_type`.
pub fn is_known_c_type(c_type: i16) -> bool {
    c_type_size(c_type).is_some() || matches!(c_type, odbc::C_CHAR | odbc::C_WCHAR | odbc::C_BINARY)
}

/// The C type `SQL_C_DEFAULT` stands for, for a column of `sql_type`.
pub fn default_c_type(sql_type: i16) -> i16 {
    match sql_type {
        odbc::SQL_BIGINT => odbc::C_SBIGINT,
        odbc::SQL_INTEGER => odbc::C_SLONG,
        odbc::SQL_SMALLINT => odbc::C_SSHORT,
        odbc::SQL_TINYINT => odbc::C_STINYINT,
        odbc::SQL_BIT => odbc::C_BIT,
        odbc::SQL_DOUBLE | odbc::SQL_FLOAT => odbc::C_DOUBLE,
        odbc::SQL_REAL => odbc::C_FLOAT,
        odbc::SQL_TYPE_DATE | odbc::SQL_DATE => odbc::C_TYPE_DATE,
        odbc::SQL_TYPE_TIME | odbc::SQL_TIME => odbc::C_TYPE_TIME,
        odbc::SQL_TYPE_TIMESTAMP | odbc::SQL_TIMESTAMP => odbc::C_TYPE_TIMESTAMP,
        odbc::SQL_GUID => odbc::C_GUID,
        odbc::SQL_BINARY | odbc::SQL_VARBINARY | odbc::SQL_LONGVARBINARY => odbc::C_BINARY,
        odbc::SQL_WCHAR | odbc::SQL_WVARCHAR | odbc::SQL_WLONGVARCHAR => odbc::C_WCHAR,
        _ => odbc::C_CHAR,
    }
}

/// The C type of a bound parameter (SQL_C_DEFAULT resolved by its SQL type).
pub fn parameter_c_type(c_type: i16, sql_type: i16) -> i16 {
    if c_type == odbc::C_DEFAULT {
        default_c_type(sql_type)
    } else {
        c_type
    }
}

/// Whether a length/indicator value marks data sent at execution.
pub fn is_data_at_execution(length: Len) -> bool {
    length == odbc::DATA_AT_EXEC || length <= odbc::LEN_DATA_AT_EXEC_OFFSET
}

/// Stores one fixed-size value, or only its length when the application
/// bound no buffer for it (a null target with an indicator is allowed).
pub(super) unsafe fn store<T>(
    target: *mut c_void,
    value: T,
    indicator: *mut Len,
) -> Result<Written, &'static str> {
    if !target.is_null() {
        std::ptr::write_unaligned(target as *mut T, value);
    }
    if !indicator.is_null() {
        indicator.write_unaligned(std::mem::size_of::<T>() as Len);
    }
    Ok(Written::Complete)
}

pub(super) fn narrow<T: TryFrom<i128>>(value: i128) -> Result<T, &'static str> {
    T::try_from(value).map_err(|_| "22003")
}

/// Writes `cell` as `c_type` into `target` (capacity `capacity` bytes for
/// character and binary types), starting `offset` bytes into its text for
/// piecewise SQLGetData, and sets `indicator`.
///
/// # Safety
/// `target` must be null or hold `capacity` bytes (or one element of a
/// fixed-size type); `indicator` may be null.
pub unsafe fn write_cell(
    cell: &Cell,
    c_type: i16,
    target: *mut c_void,
    capacity: Len,
    indicator: *mut Len,
    offset: usize,
) -> Result<Written, &'static str> {
    if let Cell::Unsupported(_) = cell {
        return Err("HYC00");
    }
    if let Cell::Null = cell {
        if indicator.is_null() {
            return Err("22002");
        }
        indicator.write_unaligned(odbc::NULL_DATA);
        return Ok(Written::Complete);
    }
    match c_type {
        odbc::C_CHAR | odbc::C_BINARY | odbc::C_WCHAR => {
            // Text and binary values are copied from the cell itself, the
            // rest from their text form.
            let bytes: std::borrow::Cow<[u8]> = match (c_type, cell) {
                (odbc::C_BINARY, Cell::Blob(b)) => b.as_slice().into(),
                (odbc::C_CHAR | odbc::C_BINARY, Cell::Text(t)) => t.as_slice().into(),
                (odbc::C_BINARY, Cell::Uuid(u)) => u.to_be_bytes().to_vec().into(),
                (odbc::C_WCHAR, _) => String::from_utf8_lossy(&cell.text().unwrap_or_default())
                    .encode_utf16()
                    .flat_map(|u| u.to_le_bytes())
                    .collect::<Vec<u8>>()
                    .into(),
                _ => cell.text().unwrap_or_default().into(),
            };
            let rest = &bytes[offset.min(bytes.len())..];
            if !indicator.is_null() {
                indicator.write_unaligned(rest.len() as Len);
            }
            let terminator = match c_type {
                odbc::C_CHAR => 1,
                odbc::C_WCHAR => 2,
                _ => 0,
            };
            if target.is_null() || capacity <= 0 {
                return Ok(if rest.is_empty() || target.is_null() {
                    Written::Complete
                } else {
                    Written::Truncated
                });
            }
            let room = (capacity as usize).saturating_sub(terminator);
            let take = rest.len().min(room - room % terminator.max(1));
            std::ptr::copy_nonoverlapping(rest.as_ptr(), target as *mut u8, take);
            if (capacity as usize) >= take + terminator {
                for i in 0..terminator {
                    *(target as *mut u8).add(take + i) = 0;
                }
            }
            Ok(if take < rest.len() {
                Written::Truncated
            } else {
                Written::Complete
            })
        }
        odbc::C_SBIGINT => store(target, narrow::<i64>(cell.as_i128()?)?, indicator),
        odbc::C_UBIGINT => store(target, narrow::<u64>(cell.as_i128()?)?, indicator),
        odbc::C_LONG | odbc::C_SLONG => store(target, narrow::<i32>(cell.as_i128()?)?, indicator),
        odbc::C_ULONG => store(target, narrow::<u32>(cell.as_i128()?)?, indicator),
        odbc::C_SHORT | odbc::C_SSHORT => store(target, narrow::<i16>(cell.as_i128()?)?, indicator),
        odbc::C_USHORT => store(target, narrow::<u16>(cell.as_i128()?)?, indicator),
        odbc::C_TINYINT | odbc::C_STINYINT => {
            store(target, narrow::<i8>(cell.as_i128()?)?, indicator)
        }
        odbc::C_UTINYINT => store(target, narrow::<u8>(cell.as_i128()?)?, indicator),
        odbc::C_BIT => {
            let value = cell.as_i128()?;
            if !(0..=1).contains(&value) {
                return Err("22003");
            }
            store(target, value as u8, indicator)
        }
        odbc::C_DOUBLE => store(target, cell.as_f64()?, indicator),
        odbc::C_FLOAT => {
            let value = cell.as_f64()?;
            if value.is_finite() && value.abs() > f32::MAX as f64 {
                return Err("22003");
            }
            store(target, value as f32, indicator)
        }
        odbc::C_NUMERIC => {
            let (value, scale) = cell.as_decimal()?;
            let mut numeric = Numeric {
                precision: 38,
                scale: scale as i8,
                sign: (value >= 0) as u8,
                value: [0; 16],
            };
            numeric.value = value.unsigned_abs().to_le_bytes();
            store(target, numeric, indicator)
        }
        odbc::C_TYPE_DATE | odbc::C_DATE => {
            let (micros, _) = cell.as_timestamp_micros()?;
            let (year, month, day) = civil_from_days(micros.div_euclid(86_400_000_000));
            let year = i16::try_from(year).map_err(|_| "22007")?;
            store(
                target,
                Date {
                    year,
                    month: month as u16,
                    day: day as u16,
                },
                indicator,
            )
        }
        odbc::C_TYPE_TIME | odbc::C_TIME => {
            let micros = match cell {
                Cell::Time(t) => *t,
                Cell::Text(t) => {
                    let text = String::from_utf8_lossy(t);
                    parse_timestamp(&format!("1970-01-01 {}", text.trim()))
                        .ok_or("22018")?
                        .0
                }
                _ => cell.as_timestamp_micros()?.0,
            };
            let seconds = micros.div_euclid(1_000_000).rem_euclid(86_400);
            store(
                target,
                Time {
                    hour: (seconds / 3600) as u16,
                    minute: (seconds % 3600 / 60) as u16,
                    second: (seconds % 60) as u16,
                },
                indicator,
            )
        }
        odbc::C_TYPE_TIMESTAMP | odbc::C_TIMESTAMP => {
            let (micros, nanos) = cell.as_timestamp_micros()?;
            let (year, month, day, secs, _) = timestamp_parts(micros);
            let year = i16::try_from(year).map_err(|_| "22007")?;
            store(
                target,
                Timestamp {
                    year,
                    month: month as u16,
                    day: day as u16,
                    hour: (secs / 3600) as u16,
                    minute: (secs % 3600 / 60) as u16,
                    second: (secs % 60) as u16,
                    fraction: nanos,
                },
                indicator,
            )
        }
        odbc::C_GUID => {
            let value = match cell {
                Cell::Uuid(u) => *u,
                Cell::Text(t) => parse_uuid(&String::from_utf8_lossy(t)).ok_or("22018")?,
                _ => return Err("07006"),
            };
            let bytes = value.to_be_bytes();
            let mut data4 = [0u8; 8];
            data4.copy_from_slice(&bytes[8..16]);
            store(
                target,
                Guid {
                    data1: u32::from_be_bytes(bytes[0..4].try_into().unwrap_or_default()),
                    data2: u16::from_be_bytes(bytes[4..6].try_into().unwrap_or_default()),
                    data3: u16::from_be_bytes(bytes[6..8].try_into().unwrap_or_default()),
                    data4,
                },
                indicator,
            )
        }
        _ => Err("HYC00"),
    }
}
