//! `mdm dataset remove`: deletes a dataset's database and discovery file.

use crate::backend::record::DatasetRecord;
use crate::catalog::Catalog;
use crate::config::Settings;
use crate::error::Result;

/// What removing a dataset deletes.
#[derive(Clone, Debug, serde::Serialize)]
pub struct RemovalPlan {
    pub record: DatasetRecord,
    /// The discovery file and the data (paths or database names).
    pub paths: Vec<String>,
}

/// What `remove` would delete, without deleting it.
pub fn plan(settings: &Settings, name: &str) -> Result<RemovalPlan> {
    let catalog = Catalog::new(settings);
    let record = catalog.get(name)?;
    let backend = crate::backend::for_settings(settings)?;
    let mut paths = vec![catalog.record_path(name).display().to_string()];
    paths.extend(backend.removal_targets(&record));
    Ok(RemovalPlan { record, paths })
}

/// Deletes the dataset: the discovery file first (so the dataset is
/// invisible at once), then its data.
pub fn execute(settings: &Settings, plan: &RemovalPlan) -> Result<()> {
    let backend = crate::backend::for_settings(settings)?;
    backend.check_owner(&plan.record)?;
    let _lock = super::DatasetLock::exclusive(settings, &plan.record.name)?;
    Catalog::new(settings).remove(&plan.record.name)?;
    backend.remove(&plan.record)
}
