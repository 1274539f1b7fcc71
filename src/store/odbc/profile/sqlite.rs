//! SQLite through Christian Werner's SQLite ODBC driver
//! (<http://www.ch-werner.de/sqliteodbc/>): one `dataset.sqlite` file per
//! dataset, the same file the embedded store writes.

use super::{InsertStrategy, OdbcProfile, Transfer};
use crate::config::{Backend, Config, OdbcSettings, SqliteSettings};
use crate::model::ColumnType;
use crate::store::{sqlite_pragmas, LoadShape};

/// Parameters per multi-row `INSERT` through the SQLite ODBC driver.
const PARAMETERS_PER_INSERT: usize = 1_000;

/// The SQLite backend's ODBC facts.
#[derive(Clone, Debug)]
pub struct SqliteProfile {
    settings: SqliteSettings,
    /// `database.connection_timeout`, in seconds.
    timeout: u64,
}

impl SqliteProfile {
    /// The profile with `database.sqlite` and the connection timeout.
    pub fn new(config: &Config) -> SqliteProfile {
        SqliteProfile {
            settings: config.database.sqlite.clone(),
            timeout: config.database.connection_timeout,
        }
    }
}

impl OdbcProfile for SqliteProfile {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    fn default_driver(&self) -> &'static str {
        "MDM SQLite3"
    }

    fn dataset_file(&self) -> Option<&'static str> {
        Some("dataset.sqlite")
    }

    fn odbc_settings(&self) -> Option<&OdbcSettings> {
        self.settings.odbc.as_ref()
    }

    /// Step through results instead of materialising them whole in the
    /// driver (which took 660 MB to export 1M rows).
    fn connection_attributes(&self, _uses_dsn: bool) -> Vec<(String, String)> {
        vec![
            ("Timeout".into(), (self.timeout * 1000).to_string()),
            ("StepAPI".into(), "1".into()),
        ]
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

    /// The driver fetches REAL values through SQLite's 15-digit text form,
    /// so doubles needing 16 or 17 digits (or the largest ones, which come
    /// back infinite) would change.
    fn rounds_doubles(&self) -> bool {
        true
    }

    /// SQLITE_MAX_VARIABLE_NUMBER of SQLite 3.32 and later.
    fn max_parameters(&self) -> usize {
        32_766
    }

    /// With the statement prepared once (see
    /// [`SqliteProfile::prepared_insert`]), a few dozen rows per execution
    /// save the driver's per-set work; more only makes the statement
    /// longer.
    fn insert_strategy(&self, columns: usize) -> InsertStrategy {
        InsertStrategy::ParameterArrays {
            rows_per_insert: (PARAMETERS_PER_INSERT / columns.max(1)).clamp(1, 100),
        }
    }

    /// A no-op common table expression in front: the driver keeps a
    /// statement prepared across parameter sets only when it takes it for
    /// a query (it starts with `SELECT`, `PRAGMA` or `WITH`); any other
    /// statement is parsed again for every set, which made parsing most of
    /// the cost of a bulk load.
    fn prepared_insert(&self, insert: String) -> String {
        format!("WITH mdm_rows AS (SELECT 1) {insert}")
    }

    fn session_statements(&self) -> Vec<String> {
        let mut statements = vec![format!("PRAGMA busy_timeout = {}", self.timeout * 1000)];
        statements.extend(sqlite_pragmas::cache(&self.settings));
        statements.push(sqlite_pragmas::synchronous(&self.settings));
        statements
    }

    /// The driver runs SQLite in mdm's process: the embedded store's
    /// flat-memory settings (an index of 10M rows was sorted in memory
    /// under `temp_store = MEMORY`: 490 MB).
    fn bulk_load_statements(&self, _shape: LoadShape) -> Vec<String> {
        sqlite_pragmas::bulk_load_in_process()
    }

    fn finish_load_statements(&self) -> Vec<String> {
        sqlite_pragmas::durability(&self.settings)
    }
}
