//! `mdm dataset info` and `mdm info`: what a dataset holds, and how mdm is
//! set up.

use serde::Serialize;

use crate::backend::record::DatasetRecord;
use crate::catalog::Catalog;
use crate::config::Settings;
use crate::error::Result;
use crate::metadata::{self, DatasetMetadata};

/// A dataset's record plus what its database says about it.
#[derive(Clone, Debug, Serialize)]
pub struct DatasetInfo {
    #[serde(flatten)]
    pub record: DatasetRecord,
    pub size_bytes: Option<u64>,
    /// Who registered it (from the dataset's own metadata).
    pub registered_by: Option<String>,
    /// The owner and the roles granted access, where the backend controls
    /// access (PostgreSQL).
    pub access: Option<crate::backend::Access>,
    #[serde(skip)]
    pub metadata: DatasetMetadata,
}

/// Reads a dataset's record and metadata.
pub fn dataset_info(settings: &Settings, name: &str) -> Result<DatasetInfo> {
    let mut record = Catalog::new(settings).get(name)?;
    let backend = crate::backend::for_settings(settings)?;
    let mut store = backend.open_read_only(&record)?;
    let metadata = metadata::load(store.as_mut())?;
    drop(store);
    metadata.apply_fields(&mut record);
    Ok(DatasetInfo {
        size_bytes: backend.sizes(&[&record])[0],
        registered_by: metadata
            .fields
            .get("registered_by")
            .and_then(|v| v.as_str())
            .map(str::to_string),
        access: backend.access(&record)?,
        record,
        metadata,
    })
}

/// `dataset info --json`: the record, `schema` (tables and columns),
/// `ingest` (how the files were read) and, when asked, `statistics` and
/// `features`. The Python API's `DatasetInfo` is built from the same value.
pub fn dataset_json(
    info: &DatasetInfo,
    statistics: bool,
    features: bool,
) -> Result<serde_json::Value> {
    let mut value = serde_json::to_value(info).map_err(|e| crate::Error::General(e.to_string()))?;
    value["schema"] = serde_json::to_value(&info.metadata.tables).unwrap_or_default();
    value["ingest"] = info
        .metadata
        .fields
        .get("ingest")
        .cloned()
        .unwrap_or_default();
    value["target_columns"] =
        serde_json::to_value(info.record.annotations.targets()).unwrap_or_default();
    value["folds"] =
        serde_json::to_value(super::split::recorded(&info.metadata)).unwrap_or_default();
    value["row_key"] = serde_json::to_value(info.metadata.row_key()).unwrap_or_default();
    if statistics {
        value["statistics"] = serde_json::to_value(&info.metadata.statistics).unwrap_or_default();
    }
    if features {
        let set = crate::features::FeatureSet::from_metadata(&info.metadata)?;
        value["features"] = serde_json::to_value(&set).unwrap_or_default();
    }
    Ok(value)
}

/// The facts `mdm info` prints.
#[derive(Clone, Debug, Serialize)]
pub struct SystemInfo {
    pub version: String,
    pub home: String,
    pub config_file: String,
    pub backend: String,
    pub datasets_path: String,
    pub configs_path: String,
    pub datasets: usize,
    pub datasets_other_backends: usize,
    pub odbc_support: bool,
    /// The value of each key the backend document names (a password only
    /// as `***`).
    pub settings: Vec<(String, String)>,
    /// Keys of the original MDM's configuration with no effect in mdm.
    pub keys_without_effect: Vec<String>,
    /// `MDM_*` variables that are set (values of secrets hidden).
    pub environment: Vec<(String, String)>,
}

/// The `mdm.yaml` keys the backend document shows.
const DOCUMENTED_KEYS: &[&str] = &[
    "database.default_backend",
    "database.connection_timeout",
    "database.sqlalchemy.echo",
    "database.sqlalchemy.pool_size",
    "database.sqlalchemy.max_overflow",
    "database.sqlalchemy.pool_timeout",
    "database.sqlite.journal_mode",
    "database.sqlite.synchronous",
    "database.duckdb.memory_limit",
    "database.duckdb.threads",
    "database.duckdb.temp_directory",
    "database.postgresql.host",
    "database.postgresql.port",
    "database.postgresql.user",
    "database.postgresql.password",
    "database.postgresql.database_prefix",
    "database.postgresql.pool_size",
    "database.postgresql.max_overflow",
    "database.postgresql.pool_timeout",
    "database.postgresql.sslmode",
    "database.postgresql.sslcert",
    "database.postgresql.sslkey",
];

/// The documented keys with their values in effect; the PostgreSQL pool
/// keys show the value they take from `database.sqlalchemy` when unset.
fn documented_settings(settings: &Settings) -> Vec<(String, String)> {
    let tree = serde_yaml::to_value(&settings.config).unwrap_or_default();
    let pool = settings.config.database.pool();
    DOCUMENTED_KEYS
        .iter()
        .map(|key| {
            let value = key.split('.').try_fold(&tree, |node, part| node.get(part));
            let shown = match (*key, value) {
                ("database.postgresql.password", Some(serde_yaml::Value::String(_))) => {
                    "***".to_string()
                }
                ("database.postgresql.pool_size", _) => pool.size.to_string(),
                ("database.postgresql.max_overflow", _) => pool.overflow.to_string(),
                ("database.postgresql.pool_timeout", _) => pool.timeout.to_string(),
                (_, None | Some(serde_yaml::Value::Null)) => "-".to_string(),
                (_, Some(serde_yaml::Value::String(text))) => text.clone(),
                (_, Some(other)) => serde_yaml::to_string(other)
                    .unwrap_or_default()
                    .trim()
                    .to_string(),
            };
            (key.to_string(), shown)
        })
        .collect()
}

/// Gathers `mdm info`.
pub fn system_info(settings: &Settings) -> Result<SystemInfo> {
    let catalog = Catalog::new(settings);
    let all = catalog.all()?;
    let visible = all
        .iter()
        .filter(|r| r.backend == settings.backend())
        .count();
    let mut environment: Vec<(String, String)> = std::env::vars()
        .filter(|(k, _)| k.starts_with("MDM_"))
        .map(|(k, v)| {
            let shown = if k.contains("PASSWORD") {
                "***".to_string()
            } else {
                v
            };
            (k, shown)
        })
        .collect();
    environment.sort();
    Ok(SystemInfo {
        version: env!("CARGO_PKG_VERSION").to_string(),
        home: settings.home.display().to_string(),
        config_file: settings.config_file.display().to_string(),
        backend: settings.backend().to_string(),
        datasets_path: settings.datasets_path().display().to_string(),
        configs_path: settings.configs_path().display().to_string(),
        datasets: visible,
        datasets_other_backends: all.len() - visible,
        odbc_support: cfg!(feature = "odbc"),
        settings: documented_settings(settings),
        keys_without_effect: settings.inert_keys.clone(),
        environment,
    })
}

/// How an ODBC client reaches dataset `name`.
/// How a BI tool reaches the dataset: read-only (so that it never locks
/// mdm or other readers out) unless `write`.
pub fn connection(
    settings: &Settings,
    name: &str,
    write: bool,
) -> Result<crate::store::Connection> {
    let record = Catalog::new(settings).get(name)?;
    crate::backend::for_settings(settings)?.connection(&record, write)
}
