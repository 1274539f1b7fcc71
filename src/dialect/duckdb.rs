//! DuckDB: <https://duckdb.org/docs/sql/introduction>. One database file per
//! dataset, reached through mdm's DuckDB ODBC driver.

use super::Dialect;
use crate::model::ColumnType;

/// The DuckDB dialect.
#[derive(Debug, Default, Clone, Copy)]
pub struct DuckdbDialect;

impl Dialect for DuckdbDialect {
    fn boxed(&self) -> Box<dyn Dialect> {
        Box::new(*self)
    }

    fn name(&self) -> &'static str {
        "duckdb"
    }

    fn type_name(&self, column_type: ColumnType) -> &'static str {
        match column_type {
            ColumnType::Boolean => "BOOLEAN",
            ColumnType::Integer => "BIGINT",
            ColumnType::Float => "DOUBLE",
            ColumnType::Date => "DATE",
            ColumnType::Datetime => "TIMESTAMP",
            ColumnType::Text => "VARCHAR",
        }
    }

    /// DuckDB has no fixed limit; wider tables are impractical.
    fn max_columns(&self) -> usize {
        100_000
    }

    fn octet_length(&self, expression: &str) -> String {
        format!("OCTET_LENGTH(ENCODE({expression}))")
    }

    fn list_tables(&self) -> String {
        "SELECT table_name FROM information_schema.tables \
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name"
            .into()
    }

    fn upsert_metadata(&self) -> String {
        format!(
            "INSERT OR REPLACE INTO {} ({}, {}) VALUES (?, ?)",
            self.quote_identifier(crate::model::name::METADATA_TABLE),
            self.quote_identifier("key"),
            self.quote_identifier("value")
        )
    }
}
