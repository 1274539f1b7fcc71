//! SQL templates and capabilities per database. Commands build their SQL
//! through a [`Dialect`]; only the per-dialect files know how a database
//! spells a type or quotes a name.

mod duckdb;
mod postgresql;
mod sqlite;

pub use duckdb::DuckdbDialect;
pub use postgresql::PostgresqlDialect;
pub use sqlite::SqliteDialect;

use crate::config::{Backend, Config};
use crate::store::{ColumnDef, ColumnType};

/// How values of a logical type travel through ODBC buffers (both when
/// binding parameters and when fetching).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transfer {
    Integer,
    Float,
    /// SQL_C_BIT.
    Bit,
    /// SQL_C_TYPE_DATE.
    Date,
    /// SQL_C_TYPE_TIMESTAMP.
    Timestamp,
    /// Text in mdm's canonical spelling (ISO dates, `true`/`false`).
    Text,
}

/// The dialect of a backend.
pub fn for_backend(backend: Backend) -> Box<dyn Dialect> {
    match backend {
        Backend::Sqlite => Box::new(SqliteDialect),
        Backend::Duckdb => Box::new(DuckdbDialect),
        Backend::Postgresql => Box::new(PostgresqlDialect),
    }
}

/// How one database spells the statements mdm needs. Most methods have the
/// standard-SQL spelling as default; a dialect overrides what differs.
pub trait Dialect: Send + Sync {
    /// The dialect's name, as used in `mdm.yaml`.
    fn name(&self) -> &'static str;

    /// The column type used to store a logical type.
    fn type_name(&self, column_type: ColumnType) -> &'static str;

    /// Largest number of bound parameters one statement may carry.
    fn max_parameters(&self) -> usize;

    /// An `INSERT` that takes each column of a batch as one array parameter
    /// (text in the database's array syntax, see [`Dialect::array_literal`]),
    /// for databases that can unnest arrays; `None` to use parameter arrays.
    fn insert_column_arrays(&self, _table: &str, _columns: &[ColumnDef]) -> Option<String> {
        None
    }

    /// Rows per `INSERT` statement when bulk loading with parameter arrays
    /// (the statement then runs once per parameter set). Drivers that
    /// prepare the statement again for every set load faster with
    /// multi-row statements.
    fn rows_per_insert(&self, _columns: usize) -> usize {
        1
    }

    /// How a logical type is bound and fetched over ODBC.
    fn transfer(&self, column_type: ColumnType) -> Transfer {
        match column_type {
            ColumnType::Boolean => Transfer::Bit,
            ColumnType::Integer => Transfer::Integer,
            ColumnType::Float => Transfer::Float,
            ColumnType::Date => Transfer::Date,
            ColumnType::Datetime => Transfer::Timestamp,
            ColumnType::Text => Transfer::Text,
        }
    }

    /// SQL expressions `(mantissa, shift)` that carry a double column
    /// exactly as two integers, for dialects whose driver rounds doubles
    /// when fetching them; `None` when doubles travel exactly.
    fn exact_float_parts(&self, _column: &str) -> Option<(String, String)> {
        None
    }

    /// The byte length of a text expression.
    fn octet_length(&self, expression: &str) -> String {
        format!("OCTET_LENGTH({expression})")
    }

    /// Statements run on every new connection (settings, pragmas).
    fn session_statements(&self, _config: &Config) -> Vec<String> {
        Vec::new()
    }

    /// Statements run on a connection that bulk-loads a private, not yet
    /// published database.
    fn bulk_load_statements(&self, _config: &Config) -> Vec<String> {
        Vec::new()
    }

    /// Statements that make a loaded database durable and ready for use.
    fn finish_load_statements(&self, _config: &Config) -> Vec<String> {
        Vec::new()
    }

    /// A query listing the user tables of the database (one text column).
    fn list_tables(&self) -> String;

    /// Quotes an identifier so that any name (keywords, quotes, spaces,
    /// unicode) is taken literally.
    fn quote_identifier(&self, identifier: &str) -> String {
        format!("\"{}\"", identifier.replace('"', "\"\""))
    }

    /// `CREATE TABLE` for `columns`.
    fn create_table(&self, table: &str, columns: &[ColumnDef]) -> String {
        let columns: Vec<String> = columns
            .iter()
            .map(|c| {
                format!(
                    "{} {}",
                    self.quote_identifier(&c.name),
                    self.type_name(c.column_type)
                )
            })
            .collect();
        format!(
            "CREATE TABLE {} ({})",
            self.quote_identifier(table),
            columns.join(", ")
        )
    }

    /// `DROP TABLE IF EXISTS`.
    fn drop_table(&self, table: &str) -> String {
        format!("DROP TABLE IF EXISTS {}", self.quote_identifier(table))
    }

    /// `SELECT` of some columns of a table, in storage order.
    fn select_columns(&self, table: &str, columns: &[ColumnDef]) -> String {
        let names: Vec<String> = columns
            .iter()
            .map(|c| self.quote_identifier(&c.name))
            .collect();
        format!(
            "SELECT {} FROM {}",
            names.join(", "),
            self.quote_identifier(table)
        )
    }

    /// A multi-row `INSERT` with `rows` rows of placeholders.
    fn insert(&self, table: &str, columns: &[ColumnDef], rows: usize) -> String {
        let names: Vec<String> = columns
            .iter()
            .map(|c| self.quote_identifier(&c.name))
            .collect();
        let row = format!("({})", vec!["?"; columns.len()].join(","));
        format!(
            "INSERT INTO {} ({}) VALUES {}",
            self.quote_identifier(table),
            names.join(","),
            vec![row.as_str(); rows].join(",")
        )
    }

    /// `SELECT COUNT(*), COUNT(DISTINCT column)` over a table.
    fn count_distinct(&self, table: &str, column: &str) -> String {
        let column = self.quote_identifier(column);
        format!(
            "SELECT COUNT(*), COUNT(DISTINCT {column}) FROM {}",
            self.quote_identifier(table)
        )
    }

    /// The key/value metadata table.
    fn create_metadata_table(&self) -> String {
        format!(
            "CREATE TABLE IF NOT EXISTS {} ({} {} PRIMARY KEY, {} {})",
            self.quote_identifier(crate::store::METADATA_TABLE),
            self.quote_identifier("key"),
            self.type_name(ColumnType::Text),
            self.quote_identifier("value"),
            self.type_name(ColumnType::Text)
        )
    }

    /// Replaces one metadata entry (two parameters: key, value).
    fn upsert_metadata(&self) -> String;

    /// All metadata entries.
    fn select_metadata(&self) -> String {
        format!(
            "SELECT {}, {} FROM {}",
            self.quote_identifier("key"),
            self.quote_identifier("value"),
            self.quote_identifier(crate::store::METADATA_TABLE)
        )
    }
}
