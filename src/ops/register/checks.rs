//! Checks before and during a registration that refuse it: a name already
//! taken (without `--force`) and a train table with too few rows.

use super::RegisterOptions;
use crate::backend::record::DatasetRecord;
use crate::backend::Lookup;
use crate::catalog::Catalog;
use crate::config::Settings;
use crate::error::{Error, Result};
use crate::ingest::plan::TablePlan;

/// `validation.min_rows` over the train table.
pub(super) fn check_min_rows(train: &TablePlan, settings: &Settings) -> Result<()> {
    let train_rows = train.rows;
    if train_rows < settings.config.validation.min_rows {
        return Err(Error::General(format!(
            "{}: the train table has {train_rows} rows; at least {} are required (validation.min_rows)",
            train.source.path.display(),
            settings.config.validation.min_rows
        )));
    }
    Ok(())
}

/// Refuses to overwrite without `--force`. Only the current backend's
/// datasets count: the same name in another backend is invisible here and
/// is never touched (the backend document's move is export, switch and
/// register under the same name).
pub(super) fn check_existing(
    catalog: &Catalog,
    backend: &dyn crate::backend::Backend,
    options: &RegisterOptions,
) -> Result<Option<DatasetRecord>> {
    let existing = match catalog.lookup(&options.name)? {
        Lookup::Missing => return Ok(None),
        // One namespace per server: a dataset this user cannot even read
        // still holds its name.
        Lookup::Denied { owner } if options.force => {
            return Err(Error::PermissionDenied(format!(
                "dataset '{}' is owned by {owner}; ask them or a superuser",
                options.name
            )))
        }
        Lookup::Denied { owner } => {
            return Err(Error::AlreadyExists(format!(
                "dataset '{}' already exists on the {} server (owned by {owner})",
                options.name,
                catalog.backend()
            )))
        }
        Lookup::Present(existing) => *existing,
    };
    if existing.name != options.name {
        return Err(Error::AlreadyExists(format!(
            "dataset '{}' already exists in the {} backend; names differing only in case are not allowed",
            existing.name,
            catalog.backend()
        )));
    }
    if !options.force {
        return Err(Error::AlreadyExists(format!(
            "dataset '{}' already exists in the {} backend; use --force to replace it",
            existing.name,
            catalog.backend()
        )));
    }
    backend.check_writer(&existing, crate::backend::WriteScope::Tables)?;
    Ok(Some(existing))
}
