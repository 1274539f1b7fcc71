//! `mdm dataset info` and `mdm info`: what a dataset holds, and how mdm is
//! set up.

use serde::Serialize;

use crate::catalog::{Catalog, DatasetRecord};
use crate::config::Settings;
use crate::error::Result;
use crate::metadata::{self, DatasetMetadata};

/// A dataset's record plus what its database says about it.
#[derive(Clone, Debug, Serialize)]
pub struct DatasetInfo {
    #[serde(flatten)]
    pub record: DatasetRecord,
    pub size_bytes: Option<u64>,
    #[serde(skip)]
    pub metadata: DatasetMetadata,
}

/// Reads a dataset's record and metadata.
pub fn dataset_info(settings: &Settings, name: &str) -> Result<DatasetInfo> {
    let record = Catalog::new(settings).get(name)?;
    let backend = crate::backend::for_settings(settings)?;
    let mut store = backend.open(&record)?;
    let metadata = metadata::load(store.as_mut())?;
    drop(store);
    Ok(DatasetInfo {
        size_bytes: backend.sizes(&[&record])[0],
        record,
        metadata,
    })
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
    /// `MDM_*` variables that are set (values of secrets hidden).
    pub environment: Vec<(String, String)>,
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
        environment,
    })
}

/// How an ODBC client reaches dataset `name`.
pub fn connection(settings: &Settings, name: &str) -> Result<crate::backend::Connection> {
    let record = Catalog::new(settings).get(name)?;
    crate::backend::for_settings(settings)?.connection(&record)
}
