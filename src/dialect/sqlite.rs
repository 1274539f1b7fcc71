//! SQLite: <https://www.sqlite.org/lang.html>. Dates and timestamps are stored
//! as ISO 8601 text under `DATE`/`TIMESTAMP` declared types, booleans as 0/1.

use super::{Dialect, Transfer};
use crate::config::Config;
use crate::store::ColumnType;

/// Parameters per multi-row `INSERT` through the SQLite ODBC driver
/// (SQLITE_MAX_VARIABLE_NUMBER since SQLite 3.32).
const SQLITE_MAX_PARAMETERS_PER_INSERT: usize = 32_766;

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

    /// Dates, timestamps and booleans are stored in mdm's canonical text and
    /// integer forms, exactly as the embedded store writes them; the SQLite
    /// ODBC driver would otherwise pick its own spellings.
    fn transfer(&self, column_type: ColumnType) -> Transfer {
        match column_type {
            ColumnType::Boolean | ColumnType::Integer => Transfer::Integer,
            ColumnType::Float => Transfer::Float,
            ColumnType::Date | ColumnType::Datetime | ColumnType::Text => Transfer::Text,
        }
    }

    /// The SQLite ODBC driver fetches REAL values through SQLite's 15-digit
    /// text form, so doubles needing 16 or 17 digits (or the largest ones,
    /// which come back infinite) would change. They travel instead as an
    /// integer mantissa scaled by 2^(54 - floor(log2|x|)) — exact, and below
    /// 2^57 even when log2 rounds by one either way (it does near powers of
    /// two) — and that shift. The scaling is split in two powers of two so
    /// that neither overflows (subnormals need shifts up to 1128). Zero is
    /// (0, 0); infinities are (±1, -100000).
    fn exact_float_parts(&self, column: &str) -> Option<(String, String)> {
        let shift = format!("(54 - CAST(floor(log2(abs({column}))) AS INTEGER))");
        let finite = format!("abs({column}) <= 1.7976931348623157e308");
        let mantissa = format!(
            "CASE WHEN {column} IS NULL THEN NULL WHEN {column} = 0 THEN 0              WHEN {finite} THEN CAST({column} * pow(2.0, {shift} / 2) * pow(2.0, {shift} - {shift} / 2) AS INTEGER)              WHEN {column} > 0 THEN 1 ELSE -1 END"
        );
        let shift = format!(
            "CASE WHEN {column} IS NULL THEN NULL WHEN {column} = 0 THEN 0              WHEN {finite} THEN {shift} ELSE -100000 END"
        );
        Some((mantissa, shift))
    }

    /// The SQLite ODBC driver prepares the statement again for every
    /// parameter set; parsing dominated bulk loads (callgrind) until
    /// statements carried many rows each.
    fn rows_per_insert(&self, columns: usize) -> usize {
        (SQLITE_MAX_PARAMETERS_PER_INSERT / columns.max(1)).clamp(1, 500)
    }

    fn octet_length(&self, expression: &str) -> String {
        format!("LENGTH(CAST({expression} AS BLOB))")
    }

    fn session_statements(&self, config: &Config) -> Vec<String> {
        let s = &config.database.sqlite;
        vec![
            format!(
                "PRAGMA busy_timeout = {}",
                config.database.connection_timeout * 1000
            ),
            format!("PRAGMA cache_size = {}", s.cache_size),
            format!("PRAGMA temp_store = {}", s.temp_store),
            format!("PRAGMA mmap_size = {}", s.mmap_size),
            format!("PRAGMA synchronous = {}", s.synchronous),
        ]
    }

    fn bulk_load_statements(&self, _config: &Config) -> Vec<String> {
        vec![
            "PRAGMA journal_mode = OFF".into(),
            "PRAGMA synchronous = OFF".into(),
        ]
    }

    fn finish_load_statements(&self, config: &Config) -> Vec<String> {
        let s = &config.database.sqlite;
        vec![
            format!("PRAGMA journal_mode = {}", s.journal_mode),
            format!("PRAGMA synchronous = {}", s.synchronous),
        ]
    }

    fn list_tables(&self) -> String {
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name".into()
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
