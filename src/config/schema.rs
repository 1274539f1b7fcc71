//! The schema of `mdm.yaml`: one serde struct per section, the closed sets
//! of words its keys accept, and the built-in defaults every key falls back
//! to. Unknown keys are refused here (`deny_unknown_fields`).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

choice!(
    /// Where datasets are stored.
    Backend { Sqlite => "sqlite", Duckdb => "duckdb", Postgresql => "postgresql" }
);
choice!(
    /// SQLite `journal_mode`.
    JournalMode { Delete => "DELETE", Truncate => "TRUNCATE", Persist => "PERSIST",
                  Memory => "MEMORY", Wal => "WAL", Off => "OFF" }
);
choice!(
    /// SQLite `synchronous`.
    Synchronous { Off => "OFF", Normal => "NORMAL", Full => "FULL", Extra => "EXTRA" }
);
choice!(
    /// SQLite `temp_store`.
    TempStore { Default => "DEFAULT", File => "FILE", Memory => "MEMORY" }
);
choice!(
    /// DuckDB `access_mode`.
    AccessMode { Automatic => "AUTOMATIC", ReadWrite => "READ_WRITE", ReadOnly => "READ_ONLY" }
);
choice!(
    /// libpq `sslmode`.
    SslMode { Disable => "disable", Allow => "allow", Prefer => "prefer", Require => "require",
              VerifyCa => "verify-ca", VerifyFull => "verify-full" }
);
choice!(
    /// Log verbosity.
    LogLevel { Error => "error", Warning => "warning", Info => "info", Debug => "debug",
               Trace => "trace" }
);
choice!(
    /// How log lines are written.
    LogFormat { Console => "console", Json => "json" }
);
choice!(
    /// File format of `mdm dataset export`.
    ExportFormat { Csv => "csv", Json => "json", Parquet => "parquet" }
);
choice!(
    /// Compression of exported files.
    Compression { None => "none", Gzip => "gzip", Zip => "zip", Zstd => "zstd" }
);

/// The whole of `mdm.yaml`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub paths: Paths,
    pub database: Database,
    pub performance: Performance,
    pub logging: Logging,
    pub export: Export,
    pub validation: Validation,
    pub cli: Cli,
    pub feature_engineering: FeatureEngineering,
}

/// `paths`: where mdm keeps its files; relative paths are under the home.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Paths {
    pub datasets_path: String,
    pub configs_path: String,
    pub logs_path: String,
    /// Custom feature files, `{custom_features_path}/{dataset}.yaml`.
    pub custom_features_path: String,
}

impl Default for Paths {
    fn default() -> Self {
        Paths {
            datasets_path: "datasets".into(),
            configs_path: "config/datasets".into(),
            logs_path: "logs".into(),
            custom_features_path: "config/custom_features".into(),
        }
    }
}

/// `database`: the backend and its settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Database {
    pub default_backend: Backend,
    /// Seconds to wait for a connection or a lock.
    pub connection_timeout: u64,
    /// Columns per stored table of a wide table's column groups; 0: the
    /// backend's own (SQLite 1,000 and PostgreSQL 400, for tables wider than
    /// the database takes; DuckDB keeps every table whole). Set, every table
    /// wider than it is stored in groups of it, on every backend.
    pub column_group_size: usize,
    /// Settings for every backend, under the name the backend document
    /// gives them.
    pub sqlalchemy: SqlSettings,
    pub sqlite: SqliteSettings,
    pub duckdb: DuckdbSettings,
    pub postgresql: PostgresqlSettings,
}

impl Default for Database {
    fn default() -> Self {
        Database {
            default_backend: Backend::Sqlite,
            connection_timeout: 30,
            column_group_size: 0,
            sqlalchemy: SqlSettings::default(),
            sqlite: SqliteSettings::default(),
            duckdb: DuckdbSettings::default(),
            postgresql: PostgresqlSettings::default(),
        }
    }
}

/// `database.sqlalchemy`: statement logging and connection limits that
/// apply to every backend.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SqlSettings {
    /// Log every SQL statement mdm runs, at info level.
    pub echo: bool,
    /// Connections one mdm process keeps open at once on a server.
    pub pool_size: u32,
    /// Connections beyond `pool_size` it may open when busy.
    pub max_overflow: u32,
    /// Seconds to wait for a free connection before giving up.
    pub pool_timeout: u64,
    /// Accepted for configurations of the original MDM; mdm's connections
    /// live for one command, never long enough to be recycled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pool_recycle: Option<i64>,
}

impl Default for SqlSettings {
    fn default() -> Self {
        SqlSettings {
            echo: false,
            pool_size: 5,
            max_overflow: 10,
            pool_timeout: 30,
            pool_recycle: None,
        }
    }
}

/// `database.<backend>.odbc`: how a backend maps to ODBC — a DSN from
/// `odbc.ini` or a driver name from `odbcinst.ini`, plus extra
/// connection-string attributes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OdbcSettings {
    pub dsn: Option<String>,
    pub driver: Option<String>,
    /// Extra `key=value` attributes appended to every connection string
    /// (numbers and booleans are written as they read).
    #[serde(deserialize_with = "scalar_strings")]
    pub options: BTreeMap<String, String>,
}

/// A map whose values may be written as strings, numbers or booleans.
fn scalar_strings<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<BTreeMap<String, String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Scalar {
        Text(String),
        Integer(i64),
        Float(f64),
        Flag(bool),
    }
    let map = BTreeMap::<String, Scalar>::deserialize(d)?;
    Ok(map
        .into_iter()
        .map(|(k, v)| {
            let text = match v {
                Scalar::Text(t) => t,
                Scalar::Integer(i) => i.to_string(),
                Scalar::Float(f) => f.to_string(),
                Scalar::Flag(b) => if b { "1" } else { "0" }.to_string(),
            };
            (k, text)
        })
        .collect())
}

/// `database.sqlite`: pragmas applied to every dataset database.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SqliteSettings {
    /// Reach SQLite through its ODBC driver instead of the embedded engine.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub odbc: Option<OdbcSettings>,
    pub journal_mode: JournalMode,
    pub synchronous: Synchronous,
    /// Pages when positive, KiB when negative (SQLite's convention).
    pub cache_size: i64,
    pub temp_store: TempStore,
    /// Bytes of the database file to memory-map; 0 disables.
    pub mmap_size: u64,
}

impl Default for SqliteSettings {
    fn default() -> Self {
        SqliteSettings {
            odbc: None,
            journal_mode: JournalMode::Wal,
            synchronous: Synchronous::Normal,
            cache_size: -16_000,
            temp_store: TempStore::Memory,
            mmap_size: 0,
        }
    }
}

/// `database.duckdb`: settings applied on connect.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DuckdbSettings {
    /// The DuckDB ODBC driver (default: the driver `MDM DuckDB` that
    /// drivers/setup.sh registers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub odbc: Option<OdbcSettings>,
    pub memory_limit: String,
    pub threads: u32,
    pub temp_directory: Option<String>,
    pub access_mode: AccessMode,
}

impl Default for DuckdbSettings {
    fn default() -> Self {
        DuckdbSettings {
            odbc: None,
            memory_limit: "2GB".into(),
            threads: 2,
            temp_directory: None,
            access_mode: AccessMode::ReadWrite,
        }
    }
}

/// `database.postgresql`: server, credentials and per-dataset database names.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PostgresqlSettings {
    /// The PostgreSQL ODBC driver (default: the driver `MDM PostgreSQL` that
    /// drivers/setup.sh registers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub odbc: Option<OdbcSettings>,
    pub host: String,
    pub port: u16,
    /// `null`: libpq's default (`PGUSER`, else the login name).
    pub user: Option<String>,
    /// Never written to dataset files or logs.
    pub password: Option<String>,
    pub database_prefix: String,
    pub sslmode: SslMode,
    /// Client certificate, its key and the root certificate to verify the
    /// server with (libpq's files; passed to psqlODBC).
    pub sslcert: Option<String>,
    pub sslkey: Option<String>,
    pub sslrootcert: Option<String>,
    /// Override `database.sqlalchemy.pool_size`, `max_overflow` and
    /// `pool_timeout` for PostgreSQL.
    pub pool_size: Option<u32>,
    pub max_overflow: Option<u32>,
    pub pool_timeout: Option<u64>,
    /// Milliseconds; 0 means no limit.
    pub statement_timeout: u64,
}

impl fmt::Debug for PostgresqlSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresqlSettings")
            .field("odbc", &self.odbc)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("database_prefix", &self.database_prefix)
            .field("sslmode", &self.sslmode)
            .field("sslcert", &self.sslcert)
            .field("sslkey", &self.sslkey)
            .field("sslrootcert", &self.sslrootcert)
            .field("pool_size", &self.pool_size)
            .field("max_overflow", &self.max_overflow)
            .field("pool_timeout", &self.pool_timeout)
            .field("statement_timeout", &self.statement_timeout)
            .finish()
    }
}

impl Default for PostgresqlSettings {
    fn default() -> Self {
        PostgresqlSettings {
            odbc: None,
            host: "localhost".into(),
            port: 5432,
            user: Some("postgres".into()),
            password: None,
            database_prefix: "mdm_".into(),
            sslmode: SslMode::Prefer,
            sslcert: None,
            sslkey: None,
            sslrootcert: None,
            pool_size: None,
            max_overflow: None,
            pool_timeout: None,
            statement_timeout: 0,
        }
    }
}

/// `performance`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Performance {
    /// Rows per batch when loading and exporting.
    pub batch_size: usize,
    /// Threads that compute a feature table on embedded SQLite, each over a
    /// slice of the rows; 0 = one per core, at most 4.
    pub workers: usize,
    /// At most this many threads at once (the original MDM's key); caps
    /// `workers` when that is 0.
    pub max_concurrent_operations: Option<usize>,
}

impl Default for Performance {
    fn default() -> Self {
        Performance {
            batch_size: 10_000,
            workers: 0,
            max_concurrent_operations: None,
        }
    }
}

/// `logging`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Logging {
    pub level: LogLevel,
    /// A log file (relative to `paths.logs_path`); none logs to stderr.
    pub file: Option<String>,
    /// The log file is rotated when it reaches this many bytes.
    pub max_bytes: u64,
    /// Rotated files kept (`mdm.log.1` ...); 0 truncates instead.
    pub backup_count: u32,
    /// `console` lines or one JSON object per line.
    pub format: LogFormat,
}

impl Default for Logging {
    fn default() -> Self {
        Logging {
            level: LogLevel::Warning,
            file: None,
            max_bytes: 10 * 1024 * 1024,
            backup_count: 5,
            format: LogFormat::Console,
        }
    }
}

/// `export`: defaults of `mdm dataset export`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Export {
    pub default_format: ExportFormat,
    pub compression: Compression,
    /// Directory exports write the metadata sidecar.
    pub include_metadata: bool,
}

impl Default for Export {
    fn default() -> Self {
        Export {
            default_format: ExportFormat::Csv,
            compression: Compression::None,
            include_metadata: true,
        }
    }
}

/// `validation`: checks applied at registration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Validation {
    /// The train table must have at least this many rows.
    pub min_rows: u64,
    /// Detect ID columns (name pattern plus uniqueness) when none are given.
    pub detect_id_columns: bool,
    /// Text columns with at most this many distinct values are categorical.
    pub max_categorical_cardinality: u64,
    /// Count the train table's duplicate rows and report them.
    pub check_duplicates: bool,
    /// Remove duplicate rows from the train table (keeping the first of
    /// each), reporting how many.
    pub drop_duplicates: bool,
    /// Columns missing in a larger fraction of train rows get no features
    /// (they are kept, and named).
    pub max_missing_ratio: f64,
    /// Rows whose field count does not fit the table (`--bad-rows`).
    pub bad_rows: BadRows,
}

choice!(
    /// What registration does with a row that has too many or too few
    /// fields: stop (`error`), keep it in `_rejects` (`skip`), or fill a
    /// short row with NULLs and keep long ones in `_rejects` (`pad`).
    BadRows {
        Error => "error",
        Skip => "skip",
        Pad => "pad",
    }
);

impl Default for Validation {
    fn default() -> Self {
        Validation {
            min_rows: 1,
            detect_id_columns: true,
            max_categorical_cardinality: 1000,
            check_duplicates: false,
            drop_duplicates: false,
            max_missing_ratio: 1.0,
            bad_rows: BadRows::Error,
        }
    }
}

/// `cli`: interactive behaviour.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Cli {
    pub confirm_destructive: bool,
    pub show_progress: bool,
}

impl Default for Cli {
    fn default() -> Self {
        Cli {
            confirm_destructive: true,
            show_progress: true,
        }
    }
}

/// `feature_engineering`: the generic transformers run at registration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FeatureEngineering {
    /// Generate `{table}_features` tables at registration.
    pub enabled: bool,
    /// Most generated columns per feature table (custom features count).
    pub max_features: usize,
    /// Store `{table}_features` as tables (the source's columns copied
    /// beside the computed features) instead of views computing the
    /// features from the source when read: faster reads, about four times
    /// the disk.
    pub materialize: bool,
    pub statistical: StatisticalFeatures,
    pub temporal: TemporalFeatures,
    pub categorical: CategoricalFeatures,
    pub text: TextFeatures,
    pub missing: MissingFeatures,
    pub binning: BinningFeatures,
}

impl Default for FeatureEngineering {
    fn default() -> Self {
        FeatureEngineering {
            enabled: true,
            max_features: 1000,
            materialize: false,
            statistical: StatisticalFeatures::default(),
            temporal: TemporalFeatures::default(),
            categorical: CategoricalFeatures::default(),
            text: TextFeatures::default(),
            missing: MissingFeatures::default(),
            binning: BinningFeatures::default(),
        }
    }
}

/// `feature_engineering.statistical`: z-score, log1p, outlier flag and
/// percentile rank of numeric columns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StatisticalFeatures {
    pub enabled: bool,
    /// A value is an outlier when its |z-score| exceeds this.
    pub outlier_threshold: f64,
    /// `{col}_log` features.
    pub include_log: bool,
    /// `{col}_zscore` (and `{col}_is_outlier`, which derives from it).
    pub include_zscore: bool,
}

impl Default for StatisticalFeatures {
    fn default() -> Self {
        StatisticalFeatures {
            enabled: true,
            outlier_threshold: 3.0,
            include_log: true,
            include_zscore: true,
        }
    }
}

/// `feature_engineering.temporal`: calendar parts of dates and timestamps.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TemporalFeatures {
    pub enabled: bool,
    /// Also sine/cosine encodings of month, day of week and hour.
    pub include_cyclical: bool,
    /// With a time column recorded: `{col}_lag_{k}` of numeric columns and
    /// a rolling mean of earlier rows, ordered by time within the group
    /// column (the original MDM's key).
    pub include_lag: bool,
    /// The lags, in rows.
    pub lag_periods: Vec<u32>,
    /// Rows before the current one that the rolling mean covers (0: none).
    pub rolling_window: u32,
}

impl Default for TemporalFeatures {
    fn default() -> Self {
        TemporalFeatures {
            enabled: true,
            include_cyclical: true,
            include_lag: false,
            lag_periods: vec![1],
            rolling_window: 3,
        }
    }
}

/// `feature_engineering.categorical`: one-hot, frequency and target encodings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CategoricalFeatures {
    pub enabled: bool,
    /// Columns with more distinct values in train are not encoded.
    pub max_cardinality: u64,
    /// One-hot columns only for values making up at least this fraction of train.
    pub min_frequency: f64,
    /// `{col}_target_mean`, fitted on train, when the dataset has a numeric or boolean target.
    pub target_encoding: bool,
}

impl Default for CategoricalFeatures {
    fn default() -> Self {
        CategoricalFeatures {
            enabled: true,
            max_cardinality: 50,
            min_frequency: 0.01,
            target_encoding: true,
        }
    }
}

/// `feature_engineering.text`: length and character-class counts of text.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TextFeatures {
    pub enabled: bool,
    /// Only text columns whose mean length in train is at least this.
    pub min_text_length: f64,
}

impl Default for TextFeatures {
    fn default() -> Self {
        TextFeatures {
            enabled: true,
            min_text_length: 20.0,
        }
    }
}

/// `feature_engineering.missing`: null indicators and per-row null counts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MissingFeatures {
    pub enabled: bool,
}

impl Default for MissingFeatures {
    fn default() -> Self {
        MissingFeatures { enabled: true }
    }
}

/// `feature_engineering.binning`: equal-width bins and deciles of numeric columns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BinningFeatures {
    pub enabled: bool,
    /// One `{col}_bin{n}` column per entry.
    pub n_bins: Vec<u32>,
}

impl Default for BinningFeatures {
    fn default() -> Self {
        BinningFeatures {
            enabled: true,
            n_bins: vec![5, 10],
        }
    }
}
