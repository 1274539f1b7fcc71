//! mdm's ODBC driver for DuckDB: an ODBC 3.8 driver over DuckDB's C API.
//! Each module owns one area of ODBC: handles, connect, statement,
//! parameters, fetch, catalog, descriptors, info and diagnostics; types and
//! value convert data between DuckDB and application buffers, text the two
//! string encodings. The entry points of an area sit above `handles`; what
//! they act on, a connection and the statements it owns, is `connection`
//! below it. Every entry point checks its handle and catches panics, so a
//! bug turns into SQL_ERROR with a diagnostic instead of taking the host
//! down.

#![allow(non_snake_case, clippy::missing_safety_doc, clippy::too_many_arguments)]

mod catalog;
mod connect;
mod connection;
mod descriptors;
mod diagnostics;
mod escape;
mod fetch;
mod get_diag;
mod handles;
mod info;
mod odbc;
mod parameters;
mod registry;
mod statement;
mod text;
mod types;
mod value;

#[cfg(test)]
mod tests {
    use crate::connection::statement::insert::{parse_plain_insert, InsertTarget};

    #[test]
    fn times_and_intervals_print_like_duckdb() {
        assert_eq!(
            crate::value::interval_text(14, 3, 4 * 3_600_000_000 + 5 * 60_000_000 + 6_000_000),
            "1 year 2 months 3 days 04:05:06"
        );
        assert_eq!(crate::value::interval_text(0, 1, 0), "1 day");
        assert_eq!(crate::value::interval_text(0, 0, 0), "00:00:00");
    }

    #[test]
    fn foreign_and_freed_handles_are_refused() {
        use crate::odbc;
        let mut env: odbc::Handle = std::ptr::null_mut();
        unsafe {
            assert_eq!(
                crate::handles::SQLAllocHandle(odbc::HANDLE_ENV, std::ptr::null_mut(), &mut env),
                odbc::SUCCESS
            );
            let mut bogus = 0u64;
            let foreign = &mut bogus as *mut u64 as odbc::Handle;
            let mut dbc: odbc::Handle = std::ptr::null_mut();
            assert_eq!(
                crate::handles::SQLAllocHandle(odbc::HANDLE_DBC, foreign, &mut dbc),
                odbc::INVALID_HANDLE
            );
            assert_eq!(
                crate::connect::SQLDisconnect(env),
                odbc::INVALID_HANDLE,
                "an environment is not a connection"
            );
            assert_eq!(
                crate::handles::SQLFreeHandle(odbc::HANDLE_ENV, env),
                odbc::SUCCESS
            );
            assert_eq!(
                crate::handles::SQLFreeHandle(odbc::HANDLE_ENV, env),
                odbc::INVALID_HANDLE,
                "freed twice"
            );
            assert_eq!(
                crate::statement::SQLExecute(std::ptr::null_mut()),
                odbc::INVALID_HANDLE
            );
        }
    }

    #[test]
    fn decimals_print_exactly() {
        use crate::value::Cell;
        let text = |v, s| String::from_utf8(Cell::Decimal(v, s).text().unwrap()).unwrap();
        assert_eq!(text(-1250, 2), "-12.50");
        assert_eq!(text(5, 3), "0.005");
        assert_eq!(text(42, 0), "42");
    }

    #[test]
    fn plain_inserts_are_recognised_for_the_appender() {
        assert_eq!(
            parse_plain_insert(r#"INSERT INTO "tr""ain" ("a","b c") VALUES (?,?)"#),
            Some(InsertTarget {
                schema: None,
                table: "tr\"ain".into(),
                columns: vec!["a".into(), "b c".into()],
                whole_table: std::cell::Cell::new(None),
            })
        );
        assert_eq!(
            parse_plain_insert("insert into main.t (x) values ( ? );").map(|t| (t.schema, t.table)),
            Some((Some("main".into()), "t".into()))
        );
        for other in [
            "INSERT INTO t (a, b) VALUES (?, 1)",
            "INSERT INTO t (a) SELECT ?",
            "INSERT INTO t (a) VALUES (?), (?)",
            "INSERT INTO t VALUES (?)",
            "UPDATE t SET a = ?",
        ] {
            assert_eq!(parse_plain_insert(other), None, "{other}");
        }
    }

    #[test]
    fn connection_strings_parse_with_braced_values() {
        let pairs = crate::connection::attributes::parse_connection_string(
            "Driver={MDM DuckDB};Database={/tmp/a;b}}c.duckdb};threads=2;",
        );
        assert_eq!(
            pairs[1],
            ("Database".to_string(), "/tmp/a;b}c.duckdb".to_string())
        );
        assert_eq!(pairs[2], ("threads".to_string(), "2".to_string()));
    }
}
