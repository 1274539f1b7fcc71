//! `mdm dataset list`: the datasets of the current backend (or of all),
//! sorted and limited.

use super::listed::{with_sizes, ListedDataset};
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
