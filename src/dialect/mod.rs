//! SQL templates and capabilities per database. Commands build their SQL
//! through a [`Dialect`]; only the per-dialect files know how a database
//! spells a type or quotes a name.

mod sqlite;

pub use sqlite::SqliteDialect;

use crate::store::{ColumnDef, ColumnType};

/// How one database spells the statements mdm needs. Most methods have the
/// standard-SQL spelling as default; a dialect overrides what differs.
pub trait Dialect: Send + Sync {
    /// The dialect's name, as used in `mdm.yaml`.
    fn name(&self) -> &'static str;

    /// The column type used to store a logical type.
    fn type_name(&self, column_type: ColumnType) -> &'static str;

    /// Largest number of bound parameters one statement may carry.
    fn max_parameters(&self) -> usize;

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
            "CREATE TABLE IF NOT EXISTS {} (key {} PRIMARY KEY, value {})",
            self.quote_identifier(crate::store::METADATA_TABLE),
            self.type_name(ColumnType::Text),
            self.type_name(ColumnType::Text)
        )
    }

    /// Replaces one metadata entry (two parameters: key, value).
    fn upsert_metadata(&self) -> String;

    /// All metadata entries.
    fn select_metadata(&self) -> String {
        format!(
            "SELECT key, value FROM {}",
            self.quote_identifier(crate::store::METADATA_TABLE)
        )
    }
}
