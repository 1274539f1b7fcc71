//! PostgreSQL: <https://www.postgresql.org/docs/current/sql.html>. One
//! database per dataset; the server is reached through psqlODBC.

use super::Dialect;
use crate::config::Config;
use crate::store::ColumnType;

/// The PostgreSQL dialect.
#[derive(Debug, Default, Clone, Copy)]
pub struct PostgresqlDialect;

impl Dialect for PostgresqlDialect {
    fn name(&self) -> &'static str {
        "postgresql"
    }

    fn type_name(&self, column_type: ColumnType) -> &'static str {
        match column_type {
            ColumnType::Boolean => "BOOLEAN",
            ColumnType::Integer => "BIGINT",
            ColumnType::Float => "DOUBLE PRECISION",
            ColumnType::Date => "DATE",
            ColumnType::Datetime => "TIMESTAMP",
            ColumnType::Text => "TEXT",
        }
    }

    /// The wire protocol counts parameters in 16 bits.
    fn max_parameters(&self) -> usize {
        65_535
    }

    fn session_statements(&self, config: &Config) -> Vec<String> {
        vec![format!(
            "SET statement_timeout = {}",
            config.database.postgresql.statement_timeout
        )]
    }

    /// The staging database is private until renamed into place, and a
    /// crash drops it anyway: no need to wait for each commit's WAL flush.
    fn bulk_load_statements(&self, _config: &Config) -> Vec<String> {
        vec!["SET synchronous_commit = off".into()]
    }

    fn finish_load_statements(&self, _config: &Config) -> Vec<String> {
        vec!["ANALYZE".into()]
    }

    fn list_tables(&self) -> String {
        "SELECT table_name FROM information_schema.tables \
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name"
            .into()
    }

    fn upsert_metadata(&self) -> String {
        format!(
            "INSERT INTO {table} ({key}, {value}) VALUES (?, ?) \
             ON CONFLICT ({key}) DO UPDATE SET {value} = EXCLUDED.{value}",
            table = self.quote_identifier(crate::store::METADATA_TABLE),
            key = self.quote_identifier("key"),
            value = self.quote_identifier("value"),
        )
    }
}
