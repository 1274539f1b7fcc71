//! A dataset with the figures a listing shows (rows, size), which `dataset
//! list` sorts and `--filter` expressions test.

use crate::backend::record::DatasetRecord;
use crate::config::Settings;

/// A dataset with the figures shown in the listing.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ListedDataset {
    #[serde(flatten)]
    pub record: DatasetRecord,
    pub rows: u64,
    pub size_bytes: Option<u64>,
}

/// Datasets with their row counts and sizes; sizes of the current
/// backend's datasets come from the backend (PostgreSQL asks the server).
pub fn with_sizes(settings: &Settings, records: Vec<DatasetRecord>) -> Vec<ListedDataset> {
    let current: Vec<&DatasetRecord> = records
        .iter()
        .filter(|r| r.backend == settings.backend())
        .collect();
    let sizes = match crate::backend::for_settings(settings) {
        Ok(backend) if !current.is_empty() => backend.sizes(&current),
        _ => vec![None; current.len()],
    };
    let mut sizes = current
        .iter()
        .map(|r| r.name.clone())
        .zip(sizes)
        .collect::<std::collections::HashMap<_, _>>();
    records
        .into_iter()
        .map(|record| {
            let size_bytes = if record.backend == settings.backend() {
                sizes.remove(&record.name).flatten()
            } else {
                record.size_on_disk()
            };
            ListedDataset {
                rows: record.total_rows(),
                size_bytes,
                record,
            }
        })
        .collect()
}
