//! The commands' logic, independent of how arguments were parsed and of how
//! results are rendered.

pub mod export;
pub mod info;
pub mod list;
pub mod register;
pub mod remove;
pub mod search;
pub mod stats;
pub mod update;

use crate::catalog::DatasetRecord;
use crate::config::{Backend, Settings};
use crate::error::{Error, Result};
use crate::store::{SqliteStore, Store};

/// Fails unless this build can store datasets in the configured backend.
pub fn require_backend(settings: &Settings) -> Result<()> {
    match settings.backend() {
        Backend::Sqlite => Ok(()),
        other => Err(Error::Config(format!(
            "configuration key `database.default_backend`: the {other} backend is reached through ODBC, \
             which this build of mdm does not include; use `sqlite` (see drivers/README.md)"
        ))),
    }
}

/// Opens the database of a registered dataset.
pub fn open_store(settings: &Settings, record: &DatasetRecord) -> Result<Box<dyn Store>> {
    require_backend(settings)?;
    let path = record.location.path.as_ref().ok_or_else(|| {
        Error::Backend(format!(
            "the record of '{}' names no database file",
            record.name
        ))
    })?;
    Ok(Box::new(SqliteStore::open(
        path,
        &settings.config.database.sqlite,
        settings.config.database.connection_timeout,
    )?))
}
