//! `mdm dataset remove`: deletes a dataset's database and discovery file.

use std::path::PathBuf;

use crate::catalog::{Catalog, DatasetRecord};
use crate::config::Settings;
use crate::error::{Error, Result};

/// What removing a dataset deletes.
#[derive(Clone, Debug, serde::Serialize)]
pub struct RemovalPlan {
    pub record: DatasetRecord,
    pub paths: Vec<PathBuf>,
}

/// What `remove` would delete, without deleting it.
pub fn plan(settings: &Settings, name: &str) -> Result<RemovalPlan> {
    let catalog = Catalog::new(settings);
    let record = catalog.get(name)?;
    let mut paths = vec![catalog.record_path(name)];
    let directory = settings.datasets_path().join(name);
    if directory.exists() {
        paths.push(directory);
    }
    Ok(RemovalPlan { record, paths })
}

/// Deletes the dataset: the discovery file first (so the dataset is
/// invisible at once), then its data.
pub fn execute(settings: &Settings, plan: &RemovalPlan) -> Result<()> {
    let catalog = Catalog::new(settings);
    catalog.remove(&plan.record.name)?;
    let directory = settings.datasets_path().join(&plan.record.name);
    match std::fs::remove_dir_all(&directory) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(&directory, "remove", e)),
    }
}
