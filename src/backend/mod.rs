//! Where datasets live. The configured backend decides how a new dataset is
//! staged privately and published, how an existing one is opened, and how
//! one is removed: file-based backends (embedded SQLite, SQLite and DuckDB
//! over ODBC) use a staging directory renamed into place; PostgreSQL uses a
//! staging database renamed into place. Commands only see these traits.

mod files;
#[cfg(feature = "odbc")]
mod server;

pub use files::sweep_leftovers;

use crate::catalog::{DatasetRecord, Location};
use crate::config::{Backend as BackendKind, Settings};
use crate::error::{Error, Result};
use crate::store::Store;

/// A dataset being loaded into a private place, invisible until published.
/// Dropped unpublished (an error, Ctrl-C), it removes what it created.
pub trait Staged {
    /// The store to load into.
    fn store(&mut self) -> &mut dyn Store;

    /// Moves the loaded dataset to its final place, retiring any previous
    /// version, then runs `commit` (which writes the discovery file). If
    /// `commit` fails, the previous version is put back.
    fn publish(self: Box<Self>, commit: &mut dyn FnMut() -> Result<()>) -> Result<()>;
}

/// How one backend stores datasets.
pub trait Backend {
    /// Which backend this is.
    fn kind(&self) -> BackendKind;

    /// Rejects names this backend cannot store (before anything is written).
    fn check_name(&self, _name: &str) -> Result<()> {
        Ok(())
    }

    /// Where dataset `name` lives once published.
    fn location(&self, name: &str) -> Location;

    /// Starts loading dataset `name` privately.
    fn stage(&self, name: &str) -> Result<Box<dyn Staged>>;

    /// Opens a published dataset.
    fn open(&self, record: &DatasetRecord) -> Result<Box<dyn Store>>;

    /// What removing the dataset deletes, for `--dry-run` and messages.
    fn removal_targets(&self, record: &DatasetRecord) -> Vec<String>;

    /// Deletes the dataset's data (not its discovery file).
    fn remove(&self, record: &DatasetRecord) -> Result<()>;

    /// Removes leftovers of registrations that were killed.
    fn sweep(&self) {}

    /// Bytes each dataset takes, when known (an unreachable server gives
    /// `None`, not an error: listings must work without it).
    fn sizes(&self, records: &[&DatasetRecord]) -> Vec<Option<u64>> {
        records.iter().map(|r| r.size_on_disk()).collect()
    }
}

/// The backend configured in `settings`.
pub fn for_settings(settings: &Settings) -> Result<Box<dyn Backend>> {
    match settings.backend() {
        BackendKind::Sqlite if settings.config.database.sqlite.odbc.is_none() => {
            Ok(Box::new(files::FileBackend::embedded(settings)))
        }
        other => odbc_backend(settings, other),
    }
}

#[cfg(feature = "odbc")]
fn odbc_backend(settings: &Settings, kind: BackendKind) -> Result<Box<dyn Backend>> {
    match kind {
        BackendKind::Postgresql => Ok(Box::new(server::ServerBackend::new(settings)?)),
        _ => Ok(Box::new(files::FileBackend::odbc(settings, kind)?)),
    }
}

#[cfg(not(feature = "odbc"))]
fn odbc_backend(_settings: &Settings, kind: BackendKind) -> Result<Box<dyn Backend>> {
    Err(Error::Config(format!(
        "configuration key `database.default_backend`: the {kind} backend is reached through ODBC, \
         and this mdm was built without it; rebuild with --features odbc (see drivers/README.md)"
    )))
}

/// The location recorded for a dataset must belong to this backend.
pub(crate) fn recorded_path(record: &DatasetRecord) -> Result<&std::path::Path> {
    record.location.path.as_deref().ok_or_else(|| {
        Error::Backend(format!(
            "the record of '{}' names no database file",
            record.name
        ))
    })
}
