//! Validation of the rules serde cannot express (ranges, non-empty values,
//! keys that exclude each other), each failure a one-line configuration
//! error naming the key.

use super::effective::{MAX_WORKERS, MIN_SERVER_CONNECTIONS};
use super::schema::Config;
use crate::error::{Error, Result};

/// Rules serde cannot express.
pub(super) fn validate(config: &Config) -> Result<()> {
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
