//! DuckDB through mdm's DuckDB ODBC driver (`drivers/duckdb-odbc`): one
//! `dataset.duckdb` file per dataset, with `database.duckdb`'s memory
//! limit, threads, temporary directory and access mode
//! (<https://duckdb.org/docs/configuration/overview>).

use super::OdbcProfile;
use crate::config::{Backend, Config, DuckdbSettings, OdbcSettings};
use crate::store::LoadShape;

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

/// A DuckDB text literal.
fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
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

/// The DuckDB backend's ODBC facts.
#[derive(Clone, Debug)]
pub struct DuckdbProfile {
    settings: DuckdbSettings,
}

impl DuckdbProfile {
    /// The profile with `database.duckdb`.
    pub fn new(config: &Config) -> DuckdbProfile {
        DuckdbProfile {
            settings: config.database.duckdb.clone(),
        }
    }

    /// `SET memory_limit` to the configured limit or `cap`, whichever is
    /// lower.
    fn capped_memory_limit(&self, cap: u64) -> String {
        let configured = &self.settings.memory_limit;
        let limit = match parse_bytes(configured) {
            Some(bytes) if bytes <= cap => configured.clone(),
            _ => format!("{}MiB", cap >> 20),
        };
        format!("SET memory_limit = {}", quote(&limit))
    }
}

impl OdbcProfile for DuckdbProfile {
    fn backend(&self) -> Backend {
        Backend::Duckdb
    }

    fn default_driver(&self) -> &'static str {
        "MDM DuckDB"
    }

    fn dataset_file(&self) -> Option<&'static str> {
        Some("dataset.duckdb")
    }

    fn odbc_settings(&self) -> Option<&OdbcSettings> {
        self.settings.odbc.as_ref()
    }

    fn connection_attributes(&self, _uses_dsn: bool) -> Vec<(String, String)> {
        vec![("access_mode".into(), self.settings.access_mode.to_string())]
    }

    /// DuckDB lets many processes open a file read-only, or one read-write:
    /// readers (mdm's reading commands, BI tools) open it read-only so that
    /// none locks the others out.
    fn read_only_attributes(&self) -> Vec<(String, String)> {
        vec![("access_mode".into(), "READ_ONLY".into())]
    }

    fn read_only_reason(&self) -> Option<String> {
        (self.settings.access_mode == crate::config::AccessMode::ReadOnly)
            .then(|| "database.duckdb.access_mode is READ_ONLY".to_string())
    }

    /// DuckDB's lock conflict: "Conflicting lock is held in PROGRAM (PID
    /// N)" — one writer, alone, or any number of readers.
    fn lock_holder(&self, message: &str) -> Option<String> {
        let at = message.find("Conflicting lock is held")?;
        let rest = &message[at..];
        let pid: String = rest
            .find("(PID ")
            .map(|i| {
                rest[i + 5..]
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect()
            })
            .unwrap_or_default();
        Some(if pid.is_empty() {
            "unknown".into()
        } else {
            pid
        })
    }

    fn max_parameters(&self) -> usize {
        65_535
    }

    fn session_statements(&self) -> Vec<String> {
        let d = &self.settings;
        let mut statements = vec![
            format!("SET memory_limit = {}", quote(&d.memory_limit)),
            format!("SET threads = {}", d.threads),
        ];
        if let Some(dir) = &d.temp_directory {
            statements.push(format!("SET temp_directory = {}", quote(dir)));
        }
        statements
    }

    fn bulk_load_statements(&self, shape: LoadShape) -> Vec<String> {
        // A load also keeps its table's unfinished row group (up to
        // 122,880 rows) in memory until it is full: two blocks more per
        // column (a 20,000 x 5,000 load needed 2.5 GiB, and more).
        let room = APPEND_MEMORY_LIMIT
            .saturating_add(column_room(shape.columns))
            .saturating_add((shape.columns as u64).saturating_mul(2 * DUCKDB_BLOCK_SIZE))
            .saturating_add(shape.widest_value.saturating_mul(VALUE_COPIES));
        vec![self.capped_memory_limit(room)]
    }

    fn bulk_compute_statements(&self, columns: usize) -> Vec<String> {
        let room = COMPUTE_MEMORY_LIMIT.saturating_add(column_room(columns));
        vec![self.capped_memory_limit(room)]
    }

    fn bulk_read_statements(&self, columns: usize) -> Vec<String> {
        let room =
            READ_MEMORY_LIMIT.saturating_add((columns as u64).saturating_mul(DUCKDB_BLOCK_SIZE));
        vec![self.capped_memory_limit(room)]
    }

    /// DuckDB builds an index in memory: a bulk load's cap (76 MiB left
    /// for the index of 10M rows) fails it; the configured limit holds.
    fn index_statements(&self) -> Vec<String> {
        vec![format!(
            "SET memory_limit = {}",
            quote(&self.settings.memory_limit)
        )]
    }

    fn finish_load_statements(&self) -> Vec<String> {
        vec!["CHECKPOINT".into()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_holder_is_read_from_duckdbs_message_and_read_only_is_a_reason() {
        let mut config = crate::config::Config::default();
        let profile = DuckdbProfile::new(&config);
        let message = "IO Error: Could not set lock on file \"/d/dataset.duckdb\": Conflicting lock is held in /usr/bin/python3.11 (PID 4242) by user root. See also https://duckdb.org/docs/stable/connect/concurrency";
        assert_eq!(profile.lock_holder(message).as_deref(), Some("4242"));
        assert_eq!(profile.lock_holder("IO Error: disk full"), None);
        assert_eq!(profile.read_only_reason(), None);
        config.database.duckdb.access_mode = crate::config::AccessMode::ReadOnly;
        assert!(DuckdbProfile::new(&config).read_only_reason().is_some());
    }

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
            DuckdbProfile::new(&config).capped_memory_limit(APPEND_MEMORY_LIMIT),
            "SET memory_limit = '64MiB'"
        );
        config.database.duckdb.memory_limit = "32MB".into();
        assert_eq!(
            DuckdbProfile::new(&config).capped_memory_limit(APPEND_MEMORY_LIMIT),
            "SET memory_limit = '32MB'"
        );
        config.database.duckdb.memory_limit = "2GB".into();
        assert_eq!(
            DuckdbProfile::new(&config).bulk_load_statements(LoadShape {
                widest_value: 50 << 20,
                columns: 2
            }),
            ["SET memory_limit = '316MiB'"]
        );
    }
}
