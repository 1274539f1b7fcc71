//! SQLite: <https://www.sqlite.org/lang.html>. Dates and timestamps are stored
//! as ISO 8601 text under `DATE`/`TIMESTAMP` declared types, booleans as 0/1.

use super::Dialect;
use crate::store::ColumnType;

/// The SQLite dialect (embedded rusqlite and the SQLite ODBC driver).
#[derive(Debug, Default, Clone, Copy)]
pub struct SqliteDialect;

impl Dialect for SqliteDialect {
    fn name(&self) -> &'static str {
        "sqlite"
    }

    fn type_name(&self, column_type: ColumnType) -> &'static str {
        match column_type {
            ColumnType::Boolean => "BOOLEAN",
            ColumnType::Integer => "INTEGER",
            ColumnType::Float => "REAL",
            ColumnType::Date => "DATE",
            ColumnType::Datetime => "TIMESTAMP",
            ColumnType::Text => "TEXT",
        }
    }

    /// SQLITE_MAX_VARIABLE_NUMBER of the bundled SQLite.
    fn max_parameters(&self) -> usize {
        32_766
    }

    fn upsert_metadata(&self) -> String {
        format!(
            "INSERT OR REPLACE INTO {} (key, value) VALUES (?, ?)",
            self.quote_identifier(crate::store::METADATA_TABLE)
        )
    }
}
