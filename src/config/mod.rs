//! System configuration: built-in defaults < `mdm.yaml` < `MDM_<SECTION>_<KEY>`
//! environment variables < command-line flags, validated once into
//! [`Settings`] and read-only afterwards.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_yaml::Value;

use crate::error::{Error, Result};

mod compat;

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

/// Connections mdm holds at once on a server: the dataset's database and
/// the maintenance database (create, rename, drop).
pub const MIN_SERVER_CONNECTIONS: u32 = 2;

/// The connection limits in effect on a server, and the key that set the
/// size (for messages).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pool {
    pub size: u32,
    pub overflow: u32,
    pub timeout: u64,
    pub size_key: &'static str,
}

impl Database {
    /// `database.postgresql.pool_*` where given, else `database.sqlalchemy.*`.
    pub fn pool(&self) -> Pool {
        let server = &self.postgresql;
        Pool {
            size: server.pool_size.unwrap_or(self.sqlalchemy.pool_size),
            overflow: server.max_overflow.unwrap_or(self.sqlalchemy.max_overflow),
            timeout: server.pool_timeout.unwrap_or(self.sqlalchemy.pool_timeout),
            size_key: if server.pool_size.is_some() {
                "database.postgresql.pool_size"
            } else {
                "database.sqlalchemy.pool_size"
            },
        }
    }
}

impl Performance {
    /// `workers`, where 0 (one per core) is capped by
    /// `max_concurrent_operations` when that is given.
    pub fn fill_workers(&self) -> usize {
        match (self.workers, self.max_concurrent_operations) {
            (0, Some(cap)) => std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .min(4)
                .min(cap)
                .max(1),
            (workers, _) => workers,
        }
    }
}

/// The most workers `performance.workers` accepts.
pub const MAX_WORKERS: usize = 64;

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
}

impl Default for TemporalFeatures {
    fn default() -> Self {
        TemporalFeatures {
            enabled: true,
            include_cyclical: true,
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

/// The commented `mdm.yaml` written on first use. Its values are the
/// built-in defaults (a unit test keeps the two in step).
pub const DEFAULT_CONFIG_YAML: &str = r#"# mdm system configuration.
# Every key can be overridden by an environment variable MDM_<SECTION>_<KEY>,
# for example MDM_DATABASE_DEFAULT_BACKEND=sqlite or MDM_PERFORMANCE_BATCH_SIZE=50000.

paths:
  # Relative paths are resolved under the mdm home (~/.mdm or $MDM_HOME).
  datasets_path: datasets
  configs_path: config/datasets
  logs_path: logs
  custom_features_path: config/custom_features   # {dataset}.yaml custom feature files

database:
  # sqlite | duckdb | postgresql. Datasets are stored with the backend that is
  # configured when they are registered and are only visible under it.
  default_backend: sqlite
  connection_timeout: 30          # seconds to connect, or to wait for a dataset's lock
  sqlalchemy:                     # applies to every backend
    echo: false                   # log every SQL statement mdm runs (info level)
    pool_size: 5                  # connections mdm opens at once on a server ...
    max_overflow: 10              # ... plus these when busy
    pool_timeout: 30              # seconds to wait for a free connection
  sqlite:
    # odbc: { driver: MDM SQLite3 }  # reach SQLite through its ODBC driver (or
                                    # { dsn: mdm_sqlite }); absent = embedded SQLite
    journal_mode: WAL             # DELETE | TRUNCATE | PERSIST | MEMORY | WAL | OFF
    synchronous: NORMAL           # OFF | NORMAL | FULL | EXTRA
    # Per connection of mdm's own. Its work is one-pass scans (export, stats),
    # which larger caches or memory mapping do not speed up but make use more
    # memory; other tools reading the dataset use their own settings.
    cache_size: -16000            # pages, or KiB when negative
    temp_store: MEMORY            # DEFAULT | FILE | MEMORY
    mmap_size: 0                  # bytes of the file to memory-map; 0 disables
  duckdb:
    # odbc: { driver: MDM DuckDB }  # the default; or { dsn: mdm_duckdb }
    memory_limit: 2GB
    threads: 2
    temp_directory: null          # DuckDB's default when null
    access_mode: READ_WRITE       # AUTOMATIC | READ_WRITE | READ_ONLY
  postgresql:
    # odbc: { driver: MDM PostgreSQL }   # the default; or { dsn: mdm_postgresql }
    #   options: { sslrootcert: /path/root.crt }  # extra connection-string attributes
    host: localhost                 # used when no DSN supplies it
    port: 5432
    user: postgres
    password: null                # prefer MDM_DATABASE_POSTGRESQL_PASSWORD
    database_prefix: mdm_         # one database per dataset: mdm_<name>
    sslmode: prefer               # disable | allow | prefer | require | verify-ca | verify-full
    sslcert: null                 # client certificate file (libpq's sslcert)
    sslkey: null                  # its private key
    sslrootcert: null             # root certificate to verify the server with
    pool_size: null               # null = database.sqlalchemy.pool_size
    max_overflow: null            # null = database.sqlalchemy.max_overflow
    pool_timeout: null            # null = database.sqlalchemy.pool_timeout
    statement_timeout: 0          # milliseconds; 0 = no limit

performance:
  batch_size: 10000               # rows per batch when loading and exporting
  workers: 0                      # threads computing feature tables (embedded SQLite); 0 = one per core, at most 4
  max_concurrent_operations: null # caps the threads of workers: 0

logging:
  level: warning                  # error | warning | info | debug | trace
  file: null                      # a file under paths.logs_path; null = stderr
  max_bytes: 10485760             # rotate the log file at this size
  backup_count: 5                 # rotated files kept (mdm.log.1 ...)
  format: console                 # console | json (one object per line)

export:
  default_format: csv             # csv | json | parquet
  compression: none               # none | gzip | zip | zstd
  include_metadata: true          # directory exports write {name}_metadata.yaml

validation:
  min_rows: 1                     # the train table needs at least this many rows
  detect_id_columns: true         # find ID columns by name and uniqueness
  max_categorical_cardinality: 1000
  check_duplicates: false         # count duplicate train rows and report them
  drop_duplicates: false          # remove duplicate train rows (keeping the first), reported
  max_missing_ratio: 1.0          # columns missing in more of train get no features
  bad_rows: error                 # rows with too many/few fields: error | skip | pad (kept in _rejects)

cli:
  confirm_destructive: true       # ask before removing on a terminal
  show_progress: true

# Features generated at registration into {table}_features tables, computed
# inside the dataset's database; statistics are fitted on train only.
# `mdm dataset features NAME --regenerate` applies a changed configuration.
feature_engineering:
  enabled: true
  statistical:                    # {col}_zscore, _log, _is_outlier, _percentile_rank
    enabled: true
    outlier_threshold: 3.0        # |z-score| above this is an outlier
    include_log: true             # {col}_log
    include_zscore: true          # {col}_zscore and {col}_is_outlier
  temporal:                       # _year, _month, _day, _dayofweek, _hour, _quarter, ...
    enabled: true
    include_cyclical: true        # _month_sin/_cos, _dayofweek_sin/_cos, _hour_sin/_cos
  categorical:                    # one-hot {col}_{value}, {col}_frequency, {col}_target_mean
    enabled: true
    max_cardinality: 50
    min_frequency: 0.01           # fraction of train rows a value needs for a one-hot column
    target_encoding: true
  text:                           # _length, _word_count, _digit_count, _uppercase_ratio, ...
    enabled: true
    min_text_length: 20           # mean length in train
  missing:                        # {col}_is_missing, missing_count, missing_ratio
    enabled: true
  binning:                        # {col}_bin{n} (equal width over train), {col}_decile
    enabled: true
    n_bins: [5, 10]
"#;

/// Environment variables that are not configuration keys.
const SPECIAL_ENV: &[&str] = &["MDM_HOME", "MDM_HOME_DIR", "MDM_CONFIG_PATH"];

/// Validated, read-only settings for one run of mdm.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The mdm home directory.
    pub home: PathBuf,
    /// The configuration file that was read (it may not exist when given
    /// explicitly by a test harness; then defaults apply).
    pub config_file: PathBuf,
    pub config: Config,
    /// `MDM_*` variables that overrode a key: (variable, dotted key).
    pub env_overrides: Vec<(String, String)>,
    /// Keys of the original MDM's configuration that have no effect in
    /// mdm, each with the reason.
    pub inert_keys: Vec<String>,
}

impl Settings {
    /// Loads the settings: the home from `MDM_HOME` (or `~/.mdm`), the file
    /// from `config_flag`, `MDM_CONFIG_PATH` or `<home>/mdm.yaml` (created with
    /// commented defaults when it is the default and missing), then the
    /// environment overrides.
    pub fn load(config_flag: Option<&Path>) -> Result<Settings> {
        let env: BTreeMap<String, String> = std::env::vars()
            .filter(|(key, _)| key.starts_with("MDM_"))
            .collect();
        Self::load_from(config_flag, &env)
    }

    /// [`Settings::load`] with an explicit environment, for tests.
    pub fn load_from(
        config_flag: Option<&Path>,
        env: &BTreeMap<String, String>,
    ) -> Result<Settings> {
        // MDM_HOME_DIR is the original MDM's name for it.
        let home = match env
            .get("MDM_HOME")
            .or_else(|| env.get("MDM_HOME_DIR"))
            .filter(|v| !v.is_empty())
        {
            Some(home) => expand_home(home),
            None => home_dir()?.join(".mdm"),
        };
        let explicit = config_flag.map(Path::to_path_buf).or_else(|| {
            env.get("MDM_CONFIG_PATH")
                .filter(|v| !v.is_empty())
                .map(|p| expand_home(p))
        });
        let config_file = explicit.clone().unwrap_or_else(|| home.join("mdm.yaml"));

        let text = match std::fs::read_to_string(&config_file) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound && explicit.is_none() => {
                write_default_config(&config_file)?;
                DEFAULT_CONFIG_YAML.to_string()
            }
            Err(err) => {
                return Err(Error::Config(format!(
                    "cannot read configuration file {}: {err}",
                    config_file.display()
                )))
            }
        };
        let mut tree: Value = if text.trim().is_empty() {
            Value::Mapping(Default::default())
        } else {
            serde_yaml::from_str(&text).map_err(|err| {
                Error::Config(format!("{}: invalid YAML: {err}", config_file.display()))
            })?
        };
        if tree.is_null() {
            tree = Value::Mapping(Default::default());
        }
        if !tree.is_mapping() {
            return Err(Error::Config(format!(
                "{}: expected a mapping of sections (paths, database, ...) at the top level",
                config_file.display()
            )));
        }

        let translation = compat::translate(&mut tree);
        let file_tree = tree.clone();
        let env_overrides = apply_env_overrides(&mut tree, env)?;
        let config: Config = serde_path_to_error::deserialize(tree).map_err(|err| {
            let key = err.path().to_string();
            let source = env_overrides
                .iter()
                .find(|(_, k)| *k == key)
                .map(|(var, _)| format!(" (set by {var})"))
                .unwrap_or_else(|| format!(" in {}", config_file.display()));
            Error::Config(format!(
                "configuration key `{key}`{source}: {}",
                err.inner()
            ))
        })?;
        validate(&config)?;
        let file_password = serde_yaml::from_value::<Config>(file_tree)
            .ok()
            .and_then(|file| file.database.postgresql.password)
            .is_some();
        if file_password {
            if let Some(warning) = exposed_password_warning(&config_file, &config) {
                eprintln!("warning: {warning}");
            }
        }
        Ok(Settings {
            home,
            config_file,
            config,
            env_overrides,
            inert_keys: translation.inert,
        })
    }

    /// Resolves a configured path: `~/` expands, relative means under home.
    pub fn resolve(&self, configured: &str) -> PathBuf {
        let path = expand_home(configured);
        if path.is_absolute() {
            path
        } else {
            self.home.join(path)
        }
    }

    /// Where dataset databases live.
    pub fn datasets_path(&self) -> PathBuf {
        self.resolve(&self.config.paths.datasets_path)
    }

    /// Where the per-dataset discovery YAML files live.
    pub fn configs_path(&self) -> PathBuf {
        self.resolve(&self.config.paths.configs_path)
    }

    /// Where log files go.
    pub fn logs_path(&self) -> PathBuf {
        self.resolve(&self.config.paths.logs_path)
    }

    /// The configured backend.
    pub fn backend(&self) -> Backend {
        self.config.database.default_backend
    }
}

/// Rules serde cannot express.
fn validate(config: &Config) -> Result<()> {
    let bad = |key: &str, message: String| {
        Err(Error::Config(format!(
            "configuration key `{key}`: {message}"
        )))
    };
    if config.performance.batch_size == 0 {
        return bad("performance.batch_size", "must be at least 1, got 0".into());
    }
    if config.performance.workers > MAX_WORKERS {
        return bad(
            "performance.workers",
            format!(
                "must be at most {MAX_WORKERS} (0 = one per core), got {}",
                config.performance.workers
            ),
        );
    }
    if config.database.duckdb.threads == 0 {
        return bad(
            "database.duckdb.threads",
            "must be at least 1, got 0".into(),
        );
    }
    let pool = config.database.pool();
    if pool.size == 0 {
        return bad(pool.size_key, "must be at least 1, got 0".into());
    }
    if pool.size + pool.overflow < MIN_SERVER_CONNECTIONS {
        return bad(
            pool.size_key,
            format!(
                "mdm needs {MIN_SERVER_CONNECTIONS} connections at once on a server (one to the dataset's \
                 database, one to create, rename or drop databases): pool_size + max_overflow is {}",
                pool.size + pool.overflow
            ),
        );
    }
    if !(0.0..=1.0).contains(&config.validation.max_missing_ratio) {
        return bad(
            "validation.max_missing_ratio",
            format!(
                "must be a fraction between 0 and 1, got {}",
                config.validation.max_missing_ratio
            ),
        );
    }
    if config.logging.max_bytes == 0 {
        return bad("logging.max_bytes", "must be at least 1, got 0".into());
    }
    if config
        .database
        .postgresql
        .user
        .as_ref()
        .is_some_and(|u| u.trim().is_empty())
    {
        return bad("database.postgresql.user", "must not be empty".into());
    }
    for (key, value) in [
        ("paths.datasets_path", &config.paths.datasets_path),
        ("paths.configs_path", &config.paths.configs_path),
        ("paths.logs_path", &config.paths.logs_path),
        (
            "database.duckdb.memory_limit",
            &config.database.duckdb.memory_limit,
        ),
        ("database.postgresql.host", &config.database.postgresql.host),
    ] {
        if value.trim().is_empty() {
            return bad(key, "must not be empty".into());
        }
    }
    for (key, odbc) in [
        ("database.sqlite.odbc", &config.database.sqlite.odbc),
        ("database.duckdb.odbc", &config.database.duckdb.odbc),
        ("database.postgresql.odbc", &config.database.postgresql.odbc),
    ] {
        if let Some(odbc) = odbc {
            if odbc.dsn.is_some() && odbc.driver.is_some() {
                return bad(key, "give either `dsn` or `driver`, not both".into());
            }
            if key == "database.sqlite.odbc" && odbc.dsn.is_none() && odbc.driver.is_none() {
                return bad(
                    key,
                    "give `dsn` or `driver` (remove the key for embedded SQLite)".into(),
                );
            }
        }
    }
    let features = &config.feature_engineering;
    let threshold = features.statistical.outlier_threshold;
    if !(threshold.is_finite() && threshold > 0.0) {
        return bad(
            "feature_engineering.statistical.outlier_threshold",
            format!("must be a positive number, got {threshold}"),
        );
    }
    let frequency = features.categorical.min_frequency;
    if !(0.0..=1.0).contains(&frequency) {
        return bad(
            "feature_engineering.categorical.min_frequency",
            format!("must be a fraction between 0 and 1, got {frequency}"),
        );
    }
    if features.categorical.max_cardinality == 0 {
        return bad(
            "feature_engineering.categorical.max_cardinality",
            "must be at least 1, got 0".into(),
        );
    }
    let length = features.text.min_text_length;
    if !(length.is_finite() && length >= 0.0) {
        return bad(
            "feature_engineering.text.min_text_length",
            format!("must be a non-negative number, got {length}"),
        );
    }
    if let Some(n) = features
        .binning
        .n_bins
        .iter()
        .find(|n| !(2..=1000).contains(*n))
    {
        return bad(
            "feature_engineering.binning.n_bins",
            format!("each entry must be between 2 and 1000, got {n}"),
        );
    }
    let prefix = &config.database.postgresql.database_prefix;
    if !prefix
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return bad(
            "database.postgresql.database_prefix",
            format!("`{prefix}` may contain only letters, digits and `_`"),
        );
    }
    Ok(())
}

/// Applies `MDM_<SECTION>_<KEY>` variables onto the YAML tree, returning
/// which variable set which key. Variables whose first word names a section
/// but no key are errors (a typo must not be silently ignored); other `MDM_*`
/// variables belong to someone else and are left alone.
fn apply_env_overrides(
    tree: &mut Value,
    env: &BTreeMap<String, String>,
) -> Result<Vec<(String, String)>> {
    let schema = serde_yaml::to_value(Config::default()).expect("defaults serialize");
    let sections: Vec<String> = schema
        .as_mapping()
        .map(|m| {
            m.keys()
                .filter_map(|k| k.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let mut applied = Vec::new();
    for (var, raw) in env {
        if SPECIAL_ENV.contains(&var.as_str()) {
            continue;
        }
        let rest = var["MDM_".len()..].to_ascii_lowercase();
        let Some(path) = resolve_key(&schema, &rest) else {
            if sections
                .iter()
                .any(|s| rest == *s || rest.starts_with(&format!("{s}_")))
            {
                return Err(Error::Config(format!(
                    "environment variable {var} does not name a configuration key"
                )));
            }
            continue;
        };
        let leaf = path.iter().fold(&schema, |node, key| &node[key.as_str()]);
        let value = match leaf {
            Value::String(_) | Value::Null => Value::String(raw.clone()),
            _ => serde_yaml::from_str(raw).unwrap_or_else(|_| Value::String(raw.clone())),
        };
        set_path(tree, &path, value);
        applied.push((var.clone(), path.join(".")));
    }
    Ok(applied)
}

/// Finds the key path whose `_`-joined spelling is `rest`.
fn resolve_key(schema: &Value, rest: &str) -> Option<Vec<String>> {
    let map = schema.as_mapping()?;
    for (key, child) in map {
        let key = key.as_str()?;
        if rest == key && !child.is_mapping() {
            return Some(vec![key.to_string()]);
        }
        if let Some(tail) = rest.strip_prefix(key).and_then(|t| t.strip_prefix('_')) {
            if let Some(mut path) = resolve_key(child, tail) {
                path.insert(0, key.to_string());
                return Some(path);
            }
        }
    }
    None
}

fn set_path(tree: &mut Value, path: &[String], value: Value) {
    let mut node = tree;
    for (i, key) in path.iter().enumerate() {
        if !node.is_mapping() {
            *node = Value::Mapping(Default::default());
        }
        let map = node.as_mapping_mut().expect("just made a mapping");
        let key = Value::String(key.clone());
        if i + 1 == path.len() {
            map.insert(key, value);
            return;
        }
        node = map
            .entry(key)
            .or_insert_with(|| Value::Mapping(Default::default()));
    }
}

/// Writes the commented defaults, readable by the owner only (the file may
/// later hold a password).
fn write_default_config(path: &Path) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, "create directory", e))?;
    }
    // Written under a private name and linked into place, so that two
    // processes starting at once neither clash nor see a half-written file.
    let temporary = path.with_extension(format!("yaml.new-{}", std::process::id()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&temporary)
        .and_then(|mut file| file.write_all(DEFAULT_CONFIG_YAML.as_bytes()))
        .and_then(|_| match std::fs::hard_link(&temporary, path) {
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
            other => other,
        });
    let _ = std::fs::remove_file(&temporary);
    written.map_err(|e| Error::io(path, "write", e))
}

/// A warning when the configuration file holds a password that other users
/// can read.
fn exposed_password_warning(path: &Path, config: &Config) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    config
        .database
        .postgresql
        .password
        .as_ref()
        .filter(|p| !p.is_empty())?;
    let mode = std::fs::metadata(path).ok()?.permissions().mode();
    (mode & 0o077 != 0).then(|| {
        format!(
            "{} holds a database password and can be read by other users (mode {:o}); run: chmod 600 {}",
            path.display(),
            mode & 0o777,
            path.display()
        )
    })
}

fn home_dir() -> Result<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .ok_or_else(|| Error::Config("neither MDM_HOME nor HOME is set".into()))
}

fn expand_home(path: &str) -> PathBuf {
    match path.strip_prefix("~/") {
        Some(rest) => home_dir()
            .map(|h| h.join(rest))
            .unwrap_or_else(|_| PathBuf::from(path)),
        None => PathBuf::from(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_commented_template_parses_to_the_built_in_defaults() {
        let parsed: Config = serde_yaml::from_str(DEFAULT_CONFIG_YAML).unwrap();
        assert_eq!(parsed, Config::default());
    }

    #[test]
    fn environment_names_resolve_to_nested_keys() {
        let schema = serde_yaml::to_value(Config::default()).unwrap();
        assert_eq!(
            resolve_key(&schema, "database_sqlite_journal_mode").unwrap(),
            ["database", "sqlite", "journal_mode"]
        );
        assert_eq!(
            resolve_key(&schema, "database_default_backend").unwrap(),
            ["database", "default_backend"]
        );
        assert!(resolve_key(&schema, "database_nope").is_none());
    }
}
