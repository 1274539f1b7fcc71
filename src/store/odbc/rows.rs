//! Query results over ODBC row by row, as generic values, and closing a
//! cursor after its rows were read (whole tables go through `fetch`'s
//! block cursors instead).

use odbc_api::handles::StatementImpl;
use odbc_api::{Cursor, CursorImpl, DataType, Nullable, ResultSetMetadata};

use crate::error::{Error, Result};
use crate::model::Value;

fn is_integer_type(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::TinyInt
            | DataType::SmallInt
            | DataType::Integer
            | DataType::BigInt
            | DataType::Bit
    ) || matches!(
        data_type,
        DataType::Numeric { scale: 0, .. } | DataType::Decimal { scale: 0, .. }
    )
}

fn is_float_type(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Float { .. }
            | DataType::Real
            | DataType::Double
            | DataType::Numeric { .. }
            | DataType::Decimal { .. }
    )
}

/// Closes a cursor after its rows were read. After a failure — a
/// connection that is gone, most often — the cursor is left open instead:
/// odbc-api panics when closing fails, and the connection is abandoned
/// with the error anyway.
pub(crate) fn close_cursor<C>(cursor: C, result: Result<()>) -> Result<()> {
    if result.is_err() {
        std::mem::forget(cursor);
    }
    result
}

/// Reads all rows of a cursor as generic values.
pub(super) fn read_rows(
    mut cursor: CursorImpl<StatementImpl<'_>>,
    on_row: &mut dyn FnMut(&[Value]) -> Result<()>,
    wrap: &dyn Fn(odbc_api::Error) -> Error,
) -> Result<()> {
    let result = read_all_rows(&mut cursor, on_row, wrap);
    close_cursor(cursor, result)
}

fn read_all_rows(
    cursor: &mut CursorImpl<StatementImpl<'_>>,
    on_row: &mut dyn FnMut(&[Value]) -> Result<()>,
    wrap: &dyn Fn(odbc_api::Error) -> Error,
) -> Result<()> {
    let width = cursor.num_result_cols().map_err(wrap)? as u16;
    let mut types = Vec::with_capacity(width as usize);
    for column in 1..=width {
        types.push(cursor.col_data_type(column).map_err(wrap)?);
    }
    let mut text = Vec::new();
    let mut values = Vec::with_capacity(width as usize);
    while let Some(mut row) = cursor.next_row().map_err(wrap)? {
        values.clear();
        for (index, data_type) in types.iter().enumerate() {
            let column = index as u16 + 1;
            let value = if is_integer_type(data_type) {
                let mut v = Nullable::<i64>::null();
                row.get_data(column, &mut v).map_err(wrap)?;
                v.into_opt().map_or(Value::Null, Value::Integer)
            } else if is_float_type(data_type) {
                let mut v = Nullable::<f64>::null();
                row.get_data(column, &mut v).map_err(wrap)?;
                v.into_opt().map_or(Value::Null, Value::Float)
            } else if row.get_text(column, &mut text).map_err(wrap)? {
                Value::Text(String::from_utf8_lossy(&text).into_owned())
            } else {
                Value::Null
            };
            values.push(value);
        }
        on_row(&values)?;
    }
    Ok(())
}
