//! Values between SQLite's storage classes and mdm's typed columns: what
//! a stored value becomes in a column of its logical type, parameters from
//! mdm's values, and the error for a stored value that does not fit.

use std::path::Path;

use rusqlite::types::ValueRef;

use crate::error::Error;
use crate::model::parse::{parse_boolean, parse_timestamp};
use crate::model::{ColumnData, ColumnDef, Value};

/// Converts one stored value into a typed column; false when it does not fit.
fn push_value(data: &mut ColumnData, value: ValueRef<'_>) -> bool {
    if let ValueRef::Null = value {
        data.push_null();
        return true;
    }
    let text = match value {
        ValueRef::Text(bytes) => std::str::from_utf8(bytes).ok(),
        _ => None,
    };
    match data {
        ColumnData::Integer(v) => match value {
            ValueRef::Integer(i) => v.push(Some(i)),
            ValueRef::Real(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => v.push(Some(f as i64)),
            _ => match text.and_then(|t| t.parse().ok()) {
                Some(i) => v.push(Some(i)),
                None => return false,
            },
        },
        ColumnData::Float(v) => match value {
            ValueRef::Real(f) => v.push(Some(f)),
            ValueRef::Integer(i) => v.push(Some(i as f64)),
            _ => match text.and_then(|t| t.parse().ok()) {
                Some(f) => v.push(Some(f)),
                None => return false,
            },
        },
        ColumnData::Boolean(v) => match value {
            ValueRef::Integer(i) => v.push(Some(i != 0)),
            _ => match text.and_then(parse_boolean) {
                Some(b) => v.push(Some(b)),
                None => return false,
            },
        },
        ColumnData::Date(v) => match text.and_then(crate::time::parse_date) {
            Some(d) => v.push(Some(d)),
            None => return false,
        },
        ColumnData::Datetime(v) => match text.and_then(parse_timestamp) {
            Some(t) => v.push(Some(t)),
            None => return false,
        },
        ColumnData::Text(v) => match value {
            ValueRef::Text(_) => match text {
                Some(t) => v.push(Some(t)),
                None => return false,
            },
            ValueRef::Integer(i) => v.push(Some(&i.to_string())),
            ValueRef::Real(f) => v.push(Some(ryu::Buffer::new().format(f))),
            _ => return false,
        },
    }
    true
}

/// Appends one result row (its values in `columns`' order) to `batch`;
/// `at` says which row, for the error when a value does not fit.
pub(super) fn push_row(
    row: &rusqlite::Row<'_>,
    columns: &[ColumnDef],
    batch: &mut crate::model::Batch,
    path: &Path,
    table: &str,
    at: &dyn Fn() -> String,
) -> crate::error::Result<()> {
    for (index, (column, data)) in columns.iter().zip(batch.columns.iter_mut()).enumerate() {
        let value = row.get_ref(index).map_err(|e| Error::sqlite(path, e))?;
        if !push_value(data, value) {
            return Err(unfit_value(path, table, &at(), column, value));
        }
    }
    Ok(())
}

/// The error for a stored value that is not of its column's type; `at`
/// says which row.
fn unfit_value(
    path: &Path,
    table: &str,
    at: &str,
    column: &ColumnDef,
    value: ValueRef<'_>,
) -> Error {
    Error::Backend(format!(
        "{}: table {table}, {at}, column '{}': stored value {:?} is not a {} value",
        path.display(),
        column.name,
        from_sql(value),
        column.column_type.as_str()
    ))
}

pub(super) fn to_sql(value: &Value) -> rusqlite::types::Value {
    match value {
        Value::Null => rusqlite::types::Value::Null,
        Value::Integer(v) => rusqlite::types::Value::Integer(*v),
        Value::Float(v) => rusqlite::types::Value::Real(*v),
        Value::Text(t) => rusqlite::types::Value::Text(t.clone()),
    }
}

pub(super) fn from_sql(value: ValueRef<'_>) -> Value {
    match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(v) => Value::Integer(v),
        ValueRef::Real(v) => Value::Float(v),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Text(String::from_utf8_lossy(b).into_owned()),
    }
}
