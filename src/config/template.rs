//! The commented `mdm.yaml` that mdm writes on first use, and the writing
//! of it (private to the owner, never half-written).

use std::path::Path;

use crate::error::{Error, Result};

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
  column_group_size: 0            # columns per stored table of a table too wide for the
                                  # backend (0: its own, SQLite 1000, PostgreSQL 400)
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
  max_features: 1000              # most generated columns per feature table
  materialize: false              # true: feature tables stored as tables (faster reads, ~4x disk)
  statistical:                    # {col}_zscore, _log, _is_outlier, _percentile_rank
    enabled: true
    outlier_threshold: 3.0        # |z-score| above this is an outlier
    include_log: true             # {col}_log
    include_zscore: true          # {col}_zscore and {col}_is_outlier
  temporal:                       # _year, _month, _day, _dayofweek, _hour, _quarter, ...
    enabled: true
    include_cyclical: true        # _month_sin/_cos, _dayofweek_sin/_cos, _hour_sin/_cos
    include_lag: false            # with a time column: {col}_lag_{k}, {col}_rolling_mean_{n}
    lag_periods: [1]              # rows back, ordered by time within the group column
    rolling_window: 3             # earlier rows in the rolling mean (0: none)
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

/// Writes the commented defaults, readable by the owner only (the file may
/// later hold a password).
pub(super) fn write_default_config(path: &Path) -> Result<()> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn the_commented_template_parses_to_the_built_in_defaults() {
        let parsed: Config = serde_yaml::from_str(DEFAULT_CONFIG_YAML).unwrap();
        assert_eq!(parsed, Config::default());
    }
}
