//! Where datasets live. The configured backend decides how a new dataset is
//! staged privately and published, how an existing one is opened, and how
//! one is removed: file-based backends (embedded SQLite, SQLite and DuckDB
//! over ODBC) use a staging directory renamed into place; PostgreSQL uses a
//! staging database renamed into place. Commands only see these traits.

#[cfg(feature = "odbc")]
mod file_lock;
mod files;
pub mod record;
#[cfg(feature = "odbc")]
mod server;
mod staging;

pub use files::sweep_leftovers;

use crate::config::{Backend as BackendKind, Settings};
use crate::error::{Error, Result};
use crate::store::{Connection, Store};
use record::{DatasetRecord, Location};

/// A dataset being loaded into a private place, invisible until published.
/// Dropped unpublished (an error, Ctrl-C), it removes what it created.
pub trait Staged {
    /// The store to load into.
    fn store(&mut self) -> &mut dyn Store;

    /// Records what listings show of the dataset where the backend keeps
    /// it itself (a server's catalog), before it is published.
    fn describe(&mut self, _record: &DatasetRecord) -> Result<()> {
        Ok(())
    }

    /// Moves the loaded dataset to its final place, retiring any previous
    /// version, then runs `commit` (which writes the discovery file). If
    /// `commit` fails, the previous version is put back.
    fn publish(self: Box<Self>, commit: &mut dyn FnMut() -> Result<()>) -> Result<()>;
}

/// What a change to a dataset touches, for [`Backend::check_writer`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteScope {
    /// Rows and metadata of existing tables (`update`).
    Rows,
    /// Tables or the whole database, dropped and created again
    /// (`features --regenerate`, `register --force`, `update --refresh`).
    Tables,
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

    /// Starts loading dataset `name` privately; with `replace`, publishing
    /// replaces a dataset of that name, otherwise it fails with
    /// `AlreadyExists` if one appeared meanwhile.
    fn stage(&self, name: &str, replace: bool) -> Result<Box<dyn Staged>>;

    /// Opens a published dataset.
    fn open(&self, record: &DatasetRecord) -> Result<Box<dyn Store>>;

    /// Opens a dataset's database for reading only, in the mode that never
    /// locks out other readers (DuckDB's `READ_ONLY`) where the backend has
    /// one; else as [`Backend::open`].
    fn open_read_only(&self, record: &DatasetRecord) -> Result<Box<dyn Store>> {
        self.open(record)
    }

    /// What removing the dataset deletes, for `--dry-run` and messages.
    fn removal_targets(&self, record: &DatasetRecord) -> Vec<String>;

    /// Deletes the dataset's data (not its discovery file).
    fn remove(&self, record: &DatasetRecord) -> Result<()>;

    /// Removes leftovers of registrations that were killed.
    fn sweep(&self) {}

    /// How an ODBC client (a BI tool) reaches the dataset.
    /// Read-only unless `write`, where the backend has a read-only mode.
    fn connection(&self, record: &DatasetRecord, write: bool) -> Result<Connection>;

    /// Bytes each dataset takes, when known (an unreachable server gives
    /// `None`, not an error: listings must work without it).
    fn sizes(&self, records: &[&DatasetRecord]) -> Vec<Option<u64>> {
        records.iter().map(|r| r.size_on_disk()).collect()
    }

    /// Whether the backend is its own catalog (a server lists its
    /// datasets; the discovery files are only a cache).
    fn is_catalog(&self) -> bool {
        false
    }

    /// The datasets of a backend that is its own catalog, that this user
    /// may read.
    fn datasets(&self) -> Result<Vec<DatasetRecord>> {
        Ok(Vec::new())
    }

    /// One dataset of a backend that is its own catalog.
    fn lookup(&self, _name: &str) -> Result<Lookup> {
        Ok(Lookup::Missing)
    }

    /// Updates what listings show of a published dataset (see
    /// [`Staged::describe`]).
    fn describe(&self, _record: &DatasetRecord) -> Result<()> {
        Ok(())
    }

    /// Refuses (exit 5) when this user may not replace or remove the
    /// dataset.
    fn check_owner(&self, _record: &DatasetRecord) -> Result<()> {
        Ok(())
    }

    /// Refuses (exit 5) when this user may not change the dataset as
    /// `scope` says (an owner may; on a server, so may a role granted
    /// write access).
    fn check_writer(&self, record: &DatasetRecord, _scope: WriteScope) -> Result<()> {
        self.check_owner(record)
    }

    /// Who registers datasets: the server role, else the login name.
    fn user(&self) -> Option<String> {
        std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            .ok()
            .filter(|u| !u.is_empty())
    }

    /// Who owns the dataset and who else may read or write it, where the
    /// backend controls access itself.
    fn access(&self, _record: &DatasetRecord) -> Result<Option<Access>> {
        Ok(None)
    }

    /// Gives `role` read (or read and write) access to the dataset.
    fn grant(&self, _record: &DatasetRecord, _role: &str, _write: bool) -> Result<()> {
        Err(self.no_access_control())
    }

    /// Takes back what [`Backend::grant`] gave.
    fn revoke(&self, _record: &DatasetRecord, _role: &str) -> Result<()> {
        Err(self.no_access_control())
    }

    /// The error of `grant` and `revoke` where the files' permissions are
    /// the access control.
    fn no_access_control(&self) -> Error {
        Error::InvalidArgument(format!(
            "grants are PostgreSQL's roles; {} datasets are files, readable by whoever the file system lets read them",
            self.kind()
        ))
    }
}

/// What a server catalog knows of one name.
#[derive(Clone, Debug)]
pub enum Lookup {
    Missing,
    /// The dataset exists but this user may not connect to it.
    Denied {
        owner: String,
    },
    Present(Box<DatasetRecord>),
}

/// A dataset's owner and the roles it was granted to.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Access {
    pub owner: String,
    /// (role, `read` or `write`), by role.
    pub grants: Vec<(String, String)>,
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

/// Whether the configured backend is a server (its profile names no
/// dataset file), known without connecting.
pub fn is_server(settings: &Settings) -> bool {
    crate::store::odbc::profile::for_config(settings.backend(), &settings.config)
        .dataset_file()
        .is_none()
}

/// A backend whose profile names a dataset file keeps files; the others
/// are servers.
#[cfg(feature = "odbc")]
fn odbc_backend(settings: &Settings, kind: BackendKind) -> Result<Box<dyn Backend>> {
    let profile = crate::store::odbc::profile::for_config(kind, &settings.config);
    match profile.dataset_file() {
        Some(file_name) => Ok(Box::new(files::FileBackend::odbc(
            settings, kind, file_name,
        )?)),
        None => Ok(Box::new(server::ServerBackend::new(settings)?)),
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
