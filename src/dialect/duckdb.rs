//! DuckDB: <https://duckdb.org/docs/sql/introduction>. One database file per
//! dataset, reached through mdm's DuckDB ODBC driver.

use super::Dialect;
use crate::config::Config;
use crate::store::ColumnType;

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

    fn max_parameters(&self) -> usize {
        65_535
    }

    fn octet_length(&self, expression: &str) -> String {
        format!("OCTET_LENGTH(ENCODE({expression}))")
    }

    fn session_statements(&self, config: &Config) -> Vec<String> {
        let d = &config.database.duckdb;
        let quote = |v: &str| format!("'{}'", v.replace('\'', "''"));
        let mut statements = vec![
            format!("SET memory_limit = {}", quote(&d.memory_limit)),
            format!("SET threads = {}", d.threads),
        ];
        if let Some(dir) = &d.temp_directory {
            statements.push(format!("SET temp_directory = {}", quote(dir)));
        }
        statements
    }

    fn finish_load_statements(&self, _config: &Config) -> Vec<String> {
        vec!["CHECKPOINT".into()]
    }

    fn list_tables(&self) -> String {
        "SELECT table_name FROM information_schema.tables \
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name"
            .into()
    }

    fn upsert_metadata(&self) -> String {
        format!(
            "INSERT OR REPLACE INTO {} ({}, {}) VALUES (?, ?)",
            self.quote_identifier(crate::store::METADATA_TABLE),
            self.quote_identifier("key"),
            self.quote_identifier("value")
        )
    }
}
