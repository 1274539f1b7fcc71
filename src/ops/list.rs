//! `mdm dataset list`: the datasets of the current backend (or of all),
//! sorted and limited.

use crate::backend::record::DatasetRecord;
use crate::catalog::Catalog;
use crate::config::{Backend, Settings};
use crate::error::Result;

choice!(
    /// Sort order of `mdm dataset list`.
    SortBy {
        Name => "name",
        RegistrationDate => "registration_date" | "registered_at" | "created_at",
        LastUpdated => "last_updated_at" | "updated_at" | "last_updated",
        Size => "size",
        Rows => "rows",
    }
);

/// What to list.
#[derive(Clone, Debug)]
pub struct ListOptions {
    pub sort_by: SortBy,
    pub reverse: bool,
    pub limit: Option<usize>,
    pub all_backends: bool,
    pub filter_backend: Option<Backend>,
    /// The original MDM's filter expression (`--filter`).
    pub filter: Option<String>,
}

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

/// The datasets to show, in order.
pub fn list(settings: &Settings, options: &ListOptions) -> Result<Vec<ListedDataset>> {
    let catalog = Catalog::new(settings);
    let records = if options.all_backends || options.filter_backend.is_some() {
        catalog.all()?
    } else {
        catalog.visible()?
    };
    let records: Vec<DatasetRecord> = records
        .into_iter()
        .filter(|r| options.filter_backend.is_none_or(|b| r.backend == b))
        .collect();
    let mut listed = with_sizes(settings, records);
    if let Some(expression) = &options.filter {
        let filter = super::filter::Filter::parse(expression)?;
        let now = super::filter::now_micros();
        listed.retain(|d| filter.matches(d, now));
    }
    match options.sort_by {
        SortBy::Name => listed.sort_by(|a, b| a.record.name.cmp(&b.record.name)),
        SortBy::RegistrationDate => {
            listed.sort_by(|a, b| a.record.created_at.cmp(&b.record.created_at))
        }
        SortBy::LastUpdated => listed.sort_by(|a, b| a.record.updated_at.cmp(&b.record.updated_at)),
        SortBy::Size => listed.sort_by_key(|d| d.size_bytes.unwrap_or(0)),
        SortBy::Rows => listed.sort_by_key(|d| d.rows),
    }
    if options.reverse {
        listed.reverse();
    }
    if let Some(limit) = options.limit {
        listed.truncate(limit);
    }
    Ok(listed)
}
