//! The entry points on parameters: SQLBindParameter, SQLNumParams,
//! SQLDescribeParam, and data sent at execution (SQLParamData,
//! SQLPutData). What a parameter is and does is in
//! `crate::connection::statement::parameters`.

use crate::connection::statement::parameters::BoundParameter;
use crate::handles::with_statement;
use crate::odbc::{self, Handle, Len, Pointer, SqlReturn, ULen};
use crate::value;

#[no_mangle]
pub unsafe extern "C" fn SQLParamData(handle: Handle, token: *mut Pointer) -> SqlReturn {
    with_statement(handle, |statement| statement.param_data(token))
}

#[no_mangle]
pub unsafe extern "C" fn SQLPutData(handle: Handle, data: Pointer, length: Len) -> SqlReturn {
    with_statement(handle, |statement| statement.put_data(data, length))
}

#[no_mangle]
pub unsafe extern "C" fn SQLNumParams(handle: Handle, count: *mut i16) -> SqlReturn {
    with_statement(handle, |statement| {
        if !count.is_null() {
            *count = statement.parameter_count() as i16;
        }
        odbc::SUCCESS
    })
}

#[no_mangle]
pub unsafe extern "C" fn SQLDescribeParam(
    handle: Handle,
    number: u16,
    data_type: *mut i16,
    size: *mut ULen,
    digits: *mut i16,
    nullable: *mut i16,
) -> SqlReturn {
    with_statement(handle, |statement| {
        let Some(parameter_type) = statement.parameter_type(number as usize) else {
            return statement
                .diagnostics
                .error("07009", format!("invalid parameter number {number}"));
        };
        let description = parameter_type.describe();
        if !data_type.is_null() {
            *data_type = description.sql_type;
        }
        if !size.is_null() {
            // Text and binary parameters have no length limit: size 0 says
            // so, and clients send long values in pieces (pyodbc's
            // fast_executemany then uses SQLPutData instead of allocating
            // room for the longest possible value in every row).
            *size = if description.column_size == crate::types::UNBOUNDED {
                0
            } else {
                description.column_size
            };
        }
        if !digits.is_null() {
            *digits = description.decimal_digits;
        }
        if !nullable.is_null() {
            *nullable = odbc::NULLABLE_UNKNOWN;
        }
        odbc::SUCCESS
    })
}

#[no_mangle]
pub unsafe extern "C" fn SQLBindParameter(
    handle: Handle,
    number: u16,
    direction: i16,
    c_type: i16,
    sql_type: i16,
    _size: ULen,
    _digits: i16,
    value: Pointer,
    capacity: Len,
    indicator: *mut Len,
) -> SqlReturn {
    with_statement(handle, |statement| {
        let index = number as usize;
        if index == 0 {
            return statement
                .diagnostics
                .error("07009", "parameter numbers start at 1");
        }
        if direction != odbc::PARAM_INPUT {
            return statement
                .diagnostics
                .error("HYC00", "only input parameters are supported");
        }
        if !value::is_known_c_type(value::parameter_c_type(c_type, sql_type)) {
            return statement.diagnostics.error(
                "HY003",
                format!("C type {c_type} is not supported for parameters"),
            );
        }
        if statement.parameters.len() < index {
            statement.parameters.resize(index, None);
        }
        statement.parameters[index - 1] = Some(BoundParameter {
            c_type,
            sql_type,
            value,
            capacity,
            indicator,
        });
        odbc::SUCCESS
    })
}
