//! DuckDB: <https://duckdb.org/docs/sql/introduction>. One database file per
//! dataset, reached through mdm's DuckDB ODBC driver.

use super::{Dialect, LoadShape};
use crate::config::Config;
use crate::model::ColumnType;

/// DuckDB's memory limit while appending rows: room for the row groups being
/// written. DuckDB keeps the blocks it wrote cached up to its limit, so a
/// larger limit only makes the resident size grow with the data loaded.
const APPEND_MEMORY_LIMIT: u64 = 64 << 20;

/// DuckDB's memory limit while reading a whole table, plus a block per
/// column: a scan needs little more, and blocks it read would otherwise
/// stay cached up to the configured limit.
const READ_MEMORY_LIMIT: u64 = 16 << 20;

/// The size of a DuckDB storage block.
const DUCKDB_BLOCK_SIZE: u64 = 256 << 10;

/// Room for one value while appending, in multiples of its size: DuckDB
/// rounds a long string's buffer up to a power of two and copies it.
const VALUE_COPIES: u64 = 5;

/// DuckDB's memory limit while computing a table from a query (a feature
/// table, whose rows are kept in order): below this it spills and slows
/// down several-fold; above it the cache again grows with the data.
const COMPUTE_MEMORY_LIMIT: u64 = 256 << 20;

/// Memory each column being written holds: its open block, and as much
/// again for the rows on their way into it.
fn column_room(columns: usize) -> u64 {
    (columns as u64).saturating_mul(2 * DUCKDB_BLOCK_SIZE)
}

/// `SET memory_limit` to the configured limit or `cap`, whichever is lower.
fn capped_memory_limit(config: &Config, cap: u64) -> String {
    let configured = &config.database.duckdb.memory_limit;
    let limit = match parse_bytes(configured) {
        Some(bytes) if bytes <= cap => configured.clone(),
        _ => format!("{}MiB", cap >> 20),
    };
    format!("SET memory_limit = '{}'", limit.replace('\'', "''"))
}

/// Bytes in a DuckDB size such as `2GB`, `512 MiB` or `1.5GB`; `None` for
/// anything else (unlimited, or a value DuckDB itself will refuse).
fn parse_bytes(size: &str) -> Option<u64> {
    let size = size.trim();
    let split = size
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(size.len());
    let number: f64 = size[..split].parse().ok()?;
    let unit: u64 = match size[split..].trim().to_ascii_lowercase().as_str() {
        "" | "b" | "byte" | "bytes" => 1,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "tb" => 1_000_000_000_000,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        "tib" => 1 << 40,
        _ => return None,
    };
    Some((number * unit as f64) as u64)
}

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

    fn bulk_load_statements(&self, config: &Config, shape: LoadShape) -> Vec<String> {
        let room = APPEND_MEMORY_LIMIT
            .saturating_add(column_room(shape.columns))
            .saturating_add(shape.widest_value.saturating_mul(VALUE_COPIES));
        vec![capped_memory_limit(config, room)]
    }

    fn bulk_compute_statements(&self, config: &Config, columns: usize) -> Vec<String> {
        let room = COMPUTE_MEMORY_LIMIT.saturating_add(column_room(columns));
        vec![capped_memory_limit(config, room)]
    }

    fn bulk_read_statements(&self, config: &Config, columns: usize) -> Vec<String> {
        let room =
            READ_MEMORY_LIMIT.saturating_add((columns as u64).saturating_mul(DUCKDB_BLOCK_SIZE));
        vec![capped_memory_limit(config, room)]
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
            self.quote_identifier(crate::model::name::METADATA_TABLE),
            self.quote_identifier("key"),
            self.quote_identifier("value")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_read_with_decimal_and_binary_units() {
        assert_eq!(parse_bytes("2GB"), Some(2_000_000_000));
        assert_eq!(parse_bytes(" 512 MiB "), Some(512 << 20));
        assert_eq!(parse_bytes("1.5gb"), Some(1_500_000_000));
        assert_eq!(parse_bytes("4096"), Some(4096));
        assert_eq!(parse_bytes("-1"), None);
        assert_eq!(parse_bytes("lots"), None);
    }

    #[test]
    fn the_configured_limit_is_lowered_never_raised() {
        let mut config = Config::default();
        config.database.duckdb.memory_limit = "2GB".into();
        assert_eq!(
            capped_memory_limit(&config, APPEND_MEMORY_LIMIT),
            "SET memory_limit = '64MiB'"
        );
        config.database.duckdb.memory_limit = "32MB".into();
        assert_eq!(
            capped_memory_limit(&config, APPEND_MEMORY_LIMIT),
            "SET memory_limit = '32MB'"
        );
        config.database.duckdb.memory_limit = "2GB".into();
        assert_eq!(
            DuckdbDialect.bulk_load_statements(
                &config,
                LoadShape {
                    widest_value: 50 << 20,
                    columns: 2
                }
            ),
            ["SET memory_limit = '315MiB'"]
        );
    }
}
