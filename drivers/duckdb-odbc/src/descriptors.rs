//! Descriptors: the four implicit descriptors of each statement (row and
//! parameter, application and implementation) as SQLGetDescField and
//! SQLSetDescField see them. Each field maps onto what the statement
//! already keeps (bound columns and parameters, statement attributes,
//! result and parameter descriptions).

use crate::connection::statement::descriptors::{registry, Kind};
use crate::connection::Statement;
use crate::handles::{guard, stmt};
use crate::odbc::{self, Handle, Len, Pointer, SqlReturn, ULen};
use crate::text::{self, Count, Width};

const ALLOC_TYPE: i16 = 1099;
const ARRAY_SIZE: i16 = 20;
const ARRAY_STATUS_PTR: i16 = 21;
const BIND_OFFSET_PTR: i16 = 24;
const BIND_TYPE: i16 = 25;
const COUNT: i16 = 1001;
const ROWS_PROCESSED_PTR: i16 = 34;
const TYPE: i16 = 1002;
const CONCISE_TYPE: i16 = 2;
const DATA_PTR: i16 = 1010;
const INDICATOR_PTR: i16 = 1009;
const OCTET_LENGTH_PTR: i16 = 1004;
const OCTET_LENGTH: i16 = 1013;
const LENGTH: i16 = 1003;
const PRECISION: i16 = 1005;
const SCALE: i16 = 1006;
const NULLABLE: i16 = 1008;
const NAME: i16 = 1011;
const UNNAMED: i16 = 1012;
const TYPE_NAME: i16 = 14;
const PARAMETER_TYPE: i16 = 33;

enum Field {
    Integer(Len),
    Pointer(Pointer),
    Text(String),
}

fn read_field(
    statement: &Statement,
    kind: Kind,
    record: i16,
    field: i16,
) -> Result<Field, &'static str> {
    let index = record.max(1) as usize - 1;
    match (kind, field) {
        (_, ALLOC_TYPE) => Ok(Field::Integer(1)), // SQL_DESC_ALLOC_AUTO
        (Kind::ApplicationRow, ARRAY_SIZE) => Ok(Field::Integer(statement.row_array_size as Len)),
        (Kind::ApplicationParameter, ARRAY_SIZE) => {
            Ok(Field::Integer(statement.paramset_size as Len))
        }
        (Kind::ApplicationRow, BIND_TYPE) => Ok(Field::Integer(statement.row_bind_type as Len)),
        (Kind::ApplicationParameter, BIND_TYPE) => {
            Ok(Field::Integer(statement.param_bind_type as Len))
        }
        (Kind::ApplicationRow, BIND_OFFSET_PTR) => {
            Ok(Field::Pointer(statement.row_bind_offset as Pointer))
        }
        (Kind::ApplicationParameter, BIND_OFFSET_PTR) => {
            Ok(Field::Pointer(statement.param_bind_offset as Pointer))
        }
        (Kind::ImplementationRow, ARRAY_STATUS_PTR) => {
            Ok(Field::Pointer(statement.row_status as Pointer))
        }
        (Kind::ImplementationParameter, ARRAY_STATUS_PTR) => {
            Ok(Field::Pointer(statement.param_status as Pointer))
        }
        (Kind::ImplementationRow, ROWS_PROCESSED_PTR) => {
            Ok(Field::Pointer(statement.rows_fetched as Pointer))
        }
        (Kind::ImplementationParameter, ROWS_PROCESSED_PTR) => {
            Ok(Field::Pointer(statement.params_processed as Pointer))
        }
        (Kind::ApplicationRow, COUNT) => Ok(Field::Integer(
            statement
                .columns
                .iter()
                .rposition(|c| c.is_some())
                .map_or(0, |i| i + 1) as Len,
        )),
        (Kind::ApplicationParameter, COUNT) => Ok(Field::Integer(
            statement
                .parameters
                .iter()
                .rposition(|p| p.is_some())
                .map_or(0, |i| i + 1) as Len,
        )),
        (Kind::ImplementationRow, COUNT) => Ok(Field::Integer(
            statement.result_columns().map_or(0, |c| c.names.len()) as Len,
        )),
        (Kind::ImplementationParameter, COUNT) => {
            Ok(Field::Integer(statement.parameter_count() as Len))
        }
        (Kind::ApplicationRow, _) => {
            let Some(Some(bound)) = statement.columns.get(index) else {
                return Err("07009");
            };
            match field {
                TYPE | CONCISE_TYPE => Ok(Field::Integer(bound.c_type as Len)),
                DATA_PTR => Ok(Field::Pointer(bound.target)),
                INDICATOR_PTR | OCTET_LENGTH_PTR => Ok(Field::Pointer(bound.indicator as Pointer)),
                OCTET_LENGTH => Ok(Field::Integer(bound.capacity)),
                _ => Err("HY091"),
            }
        }
        (Kind::ApplicationParameter, _) => {
            let Some(Some(bound)) = statement.parameters.get(index) else {
                return Err("07009");
            };
            match field {
                TYPE | CONCISE_TYPE => Ok(Field::Integer(bound.c_type as Len)),
                DATA_PTR => Ok(Field::Pointer(bound.value)),
                INDICATOR_PTR | OCTET_LENGTH_PTR => Ok(Field::Pointer(bound.indicator as Pointer)),
                OCTET_LENGTH => Ok(Field::Integer(bound.capacity)),
                _ => Err("HY091"),
            }
        }
        (Kind::ImplementationRow, _) => {
            let Some(columns) = statement.result_columns() else {
                return Err("07005");
            };
            if index >= columns.names.len() {
                return Err("07009");
            }
            let description = columns.describe(index);
            match field {
                TYPE | CONCISE_TYPE => Ok(Field::Integer(description.sql_type as Len)),
                LENGTH | PRECISION => Ok(Field::Integer(description.column_size as Len)),
                OCTET_LENGTH => Ok(Field::Integer(description.octet_length as Len)),
                SCALE => Ok(Field::Integer(description.decimal_digits as Len)),
                NULLABLE => Ok(Field::Integer(odbc::NULLABLE as Len)),
                NAME => Ok(Field::Text(columns.names[index].clone())),
                UNNAMED => Ok(Field::Integer(0)),
                TYPE_NAME => Ok(Field::Text(description.type_name)),
                _ => Err("HY091"),
            }
        }
        (Kind::ImplementationParameter, _) => {
            let Some(info) = statement.parameter_type(index + 1) else {
                return Err("07009");
            };
            let description = info.describe();
            match field {
                TYPE | CONCISE_TYPE => Ok(Field::Integer(description.sql_type as Len)),
                LENGTH | PRECISION => Ok(Field::Integer(description.column_size as Len)),
                SCALE => Ok(Field::Integer(description.decimal_digits as Len)),
                NULLABLE => Ok(Field::Integer(odbc::NULLABLE_UNKNOWN as Len)),
                PARAMETER_TYPE => Ok(Field::Integer(odbc::PARAM_INPUT as Len)),
                TYPE_NAME => Ok(Field::Text(description.type_name)),
                _ => Err("HY091"),
            }
        }
    }
}

/// The statement and kind of a descriptor handle.
unsafe fn resolve<'a>(handle: Handle) -> Option<(&'a mut Statement, Kind)> {
    let (statement, kind) = *registry().get(&(handle as usize))?;
    stmt(statement as Handle).map(|s| (s, kind))
}

unsafe fn get_desc_field(
    handle: Handle,
    record: i16,
    field: i16,
    value: Pointer,
    capacity: i32,
    length: *mut i32,
    width: Width,
) -> SqlReturn {
    guard(None, || {
        let Some((statement, kind)) = resolve(handle) else {
            return odbc::INVALID_HANDLE;
        };
        statement.diagnostics.0.clear();
        match read_field(statement, kind, record, field) {
            Ok(Field::Integer(number)) => {
                if !value.is_null() {
                    // Header counts are SQLSMALLINT, sizes SQLLEN: write
                    // what each field's type is.
                    match field {
                        COUNT | TYPE | CONCISE_TYPE | SCALE | NULLABLE | UNNAMED
                        | PARAMETER_TYPE | ALLOC_TYPE => *(value as *mut i16) = number as i16,
                        PRECISION => *(value as *mut i16) = number as i16,
                        ARRAY_SIZE | LENGTH => *(value as *mut ULen) = number as ULen,
                        BIND_TYPE => *(value as *mut i32) = number as i32,
                        _ => *(value as *mut Len) = number,
                    }
                }
                odbc::SUCCESS
            }
            Ok(Field::Pointer(pointer)) => {
                if !value.is_null() {
                    *(value as *mut Pointer) = pointer;
                }
                odbc::SUCCESS
            }
            Ok(Field::Text(name)) => {
                if text::put32(&name, value, capacity as isize, length, width, Count::Bytes) {
                    statement
                        .diagnostics
                        .push("01004", "descriptor field truncated");
                    return odbc::SUCCESS_WITH_INFO;
                }
                odbc::SUCCESS
            }
            Err("HY091") => statement.diagnostics.error(
                "HY091",
                format!("descriptor field {field} is not supported"),
            ),
            Err(state) => {
                if state == "07009" && record > 0 {
                    return odbc::NO_DATA;
                }
                statement.diagnostics.error(
                    state,
                    format!("descriptor record {record} is not available"),
                )
            }
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn SQLGetDescField(
    handle: Handle,
    record: i16,
    field: i16,
    value: Pointer,
    capacity: i32,
    length: *mut i32,
) -> SqlReturn {
    get_desc_field(
        handle,
        record,
        field,
        value,
        capacity,
        length,
        Width::Narrow,
    )
}

#[no_mangle]
pub unsafe extern "C" fn SQLGetDescFieldW(
    handle: Handle,
    record: i16,
    field: i16,
    value: Pointer,
    capacity: i32,
    length: *mut i32,
) -> SqlReturn {
    get_desc_field(handle, record, field, value, capacity, length, Width::Wide)
}

unsafe fn set_desc_field(handle: Handle, record: i16, field: i16, value: Pointer) -> SqlReturn {
    guard(None, || {
        let Some((statement, kind)) = resolve(handle) else {
            return odbc::INVALID_HANDLE;
        };
        statement.diagnostics.0.clear();
        let number = value as usize;
        let index = record.max(1) as usize - 1;
        match (kind, field) {
            (Kind::ImplementationRow, _) => {
                return statement.diagnostics.error(
                    "HY016",
                    "the implementation row descriptor cannot be modified",
                )
            }
            (Kind::ApplicationRow, ARRAY_SIZE) => statement.row_array_size = number.max(1),
            (Kind::ApplicationParameter, ARRAY_SIZE) => statement.paramset_size = number.max(1),
            (Kind::ApplicationRow, BIND_TYPE) => statement.row_bind_type = number,
            (Kind::ApplicationParameter, BIND_TYPE) => statement.param_bind_type = number,
            (Kind::ApplicationRow, BIND_OFFSET_PTR) => {
                statement.row_bind_offset = value as *mut Len
            }
            (Kind::ApplicationParameter, BIND_OFFSET_PTR) => {
                statement.param_bind_offset = value as *mut Len
            }
            (Kind::ImplementationParameter, ARRAY_STATUS_PTR) => {
                statement.param_status = value as *mut u16
            }
            (Kind::ImplementationParameter, ROWS_PROCESSED_PTR) => {
                statement.params_processed = value as *mut ULen
            }
            (Kind::ApplicationRow, _) if record >= 1 => {
                let Some(Some(bound)) = statement.columns.get_mut(index) else {
                    return statement
                        .diagnostics
                        .error("07009", "bind the column with SQLBindCol first");
                };
                match field {
                    TYPE | CONCISE_TYPE => bound.c_type = number as i16,
                    DATA_PTR => bound.target = value,
                    INDICATOR_PTR | OCTET_LENGTH_PTR => bound.indicator = value as *mut Len,
                    OCTET_LENGTH => bound.capacity = number as Len,
                    _ => {}
                }
            }
            (Kind::ApplicationParameter, _) if record >= 1 => {
                let Some(Some(bound)) = statement.parameters.get_mut(index) else {
                    return statement
                        .diagnostics
                        .error("07009", "bind the parameter with SQLBindParameter first");
                };
                match field {
                    TYPE | CONCISE_TYPE => bound.c_type = number as i16,
                    DATA_PTR => bound.value = value,
                    INDICATOR_PTR | OCTET_LENGTH_PTR => bound.indicator = value as *mut Len,
                    OCTET_LENGTH => bound.capacity = number as Len,
                    _ => {}
                }
            }
            // The parameter descriptions DuckDB infers stand; other header
            // fields keep their defaults.
            _ => {}
        }
        odbc::SUCCESS
    })
}

#[no_mangle]
pub unsafe extern "C" fn SQLSetDescField(
    handle: Handle,
    record: i16,
    field: i16,
    value: Pointer,
    _length: i32,
) -> SqlReturn {
    set_desc_field(handle, record, field, value)
}

#[no_mangle]
pub unsafe extern "C" fn SQLSetDescFieldW(
    handle: Handle,
    record: i16,
    field: i16,
    value: Pointer,
    _length: i32,
) -> SqlReturn {
    set_desc_field(handle, record, field, value)
}
