//! File-based backends: each dataset is one database file in
//! `{datasets_path}/{name}/`. A registration loads into a hidden staging
//! directory that is renamed into place; a replaced dataset is retired under
//! a hidden name first and deleted only after the new one is published.

use std::path::{Path, PathBuf};

use super::{Backend, Connection, Staged};
use crate::catalog::{DatasetRecord, Location};
use crate::config::{Backend as BackendKind, Settings};
use crate::error::{Error, Result};
use crate::store::{SqliteStore, Store};

const STAGING_MARK: &str = ".staging-";
const RETIRED_MARK: &str = ".retired-";

/// Opens (or, with `create`, creates for a bulk load) a database file.
type Opener = Box<dyn Fn(&Path, bool) -> Result<Box<dyn Store>>>;

/// A backend storing each dataset as a file.
pub struct FileBackend {
    kind: BackendKind,
    /// Attributes before `Database=` in connection strings for clients.
    client: Box<dyn Fn(&Path) -> Connection>,
    datasets_path: PathBuf,
    file_name: &'static str,
    opener: Opener,
}

impl FileBackend {
    /// Embedded SQLite through rusqlite.
    pub fn embedded(settings: &Settings) -> FileBackend {
        let sqlite = settings.config.database.sqlite.clone();
        let timeout = settings.config.database.connection_timeout;
        let workers = settings.config.performance.workers;
        FileBackend {
            kind: BackendKind::Sqlite,
            // Other tools read the same file through the SQLite ODBC driver.
            client: Box::new(|path| Connection {
                attributes: vec![
                    ("Driver".into(), "MDM SQLite3".into()),
                    ("Database".into(), path.display().to_string()),
                ],
                password: None,
            }),
            datasets_path: settings.datasets_path(),
            file_name: "dataset.sqlite",
            opener: Box::new(move |path, create| -> Result<Box<dyn Store>> {
                let store = if create {
                    SqliteStore::create_for_load(path, &sqlite)?
                } else {
                    SqliteStore::open(path, &sqlite, timeout)?
                };
                Ok(Box::new(store.with_workers(workers)))
            }),
        }
    }

    /// SQLite or DuckDB through their ODBC drivers.
    #[cfg(feature = "odbc")]
    pub fn odbc(settings: &Settings, kind: BackendKind) -> Result<FileBackend> {
        let target = crate::store::odbc::OdbcTarget::new(settings, kind)?;
        let client_target = target.clone();
        let file_name = match kind {
            BackendKind::Duckdb => "dataset.duckdb",
            _ => "dataset.sqlite",
        };
        Ok(FileBackend {
            kind,
            client: Box::new(move |path| client_target.connection(&path.display().to_string())),
            datasets_path: settings.datasets_path(),
            file_name,
            opener: Box::new(move |path, create| -> Result<Box<dyn Store>> {
                if !create && !path.is_file() {
                    return Err(Error::Backend(format!(
                        "the dataset database {} is missing",
                        path.display()
                    )));
                }
                Ok(Box::new(target.connect_file(path, create)?))
            }),
        })
    }
}

impl Backend for FileBackend {
    fn kind(&self) -> BackendKind {
        self.kind
    }

    fn location(&self, name: &str) -> Location {
        Location {
            path: Some(self.datasets_path.join(name).join(self.file_name)),
            database: None,
        }
    }

    fn stage(&self, name: &str) -> Result<Box<dyn Staged>> {
        let dir = self
            .datasets_path
            .join(format!(".{name}{STAGING_MARK}{}", std::process::id()));
        if dir.exists() {
            let _ = std::fs::remove_dir_all(&dir);
        }
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, "create directory", e))?;
        let mut staged = FileStaged {
            dir: dir.clone(),
            target: self.datasets_path.join(name),
            store: None,
            published: false,
        };
        staged.store = Some((self.opener)(&dir.join(self.file_name), true)?);
        Ok(Box::new(staged))
    }

    fn open(&self, record: &DatasetRecord) -> Result<Box<dyn Store>> {
        (self.opener)(super::recorded_path(record)?, false)
    }

    fn removal_targets(&self, record: &DatasetRecord) -> Vec<String> {
        vec![self.datasets_path.join(&record.name).display().to_string()]
    }

    fn remove(&self, record: &DatasetRecord) -> Result<()> {
        let directory = self.datasets_path.join(&record.name);
        match std::fs::remove_dir_all(&directory) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io(&directory, "remove", e)),
        }
    }

    fn sweep(&self) {
        sweep_leftovers(&self.datasets_path);
    }

    fn connection(&self, record: &DatasetRecord) -> Result<Connection> {
        Ok((self.client)(super::recorded_path(record)?))
    }
}

/// A dataset loading into a staging directory.
struct FileStaged {
    dir: PathBuf,
    target: PathBuf,
    store: Option<Box<dyn Store>>,
    published: bool,
}

impl Staged for FileStaged {
    fn store(&mut self) -> &mut dyn Store {
        self.store.as_deref_mut().expect("open until published")
    }

    fn publish(mut self: Box<Self>, commit: &mut dyn FnMut() -> Result<()>) -> Result<()> {
        // Close the database before its directory moves.
        self.store = None;
        let target = self.target.clone();
        let retired = target.with_file_name(format!(
            ".{}{RETIRED_MARK}{}",
            target
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("dataset"),
            std::process::id()
        ));
        let had_old = target.exists();
        if had_old {
            std::fs::rename(&target, &retired).map_err(|e| Error::io(&target, "move aside", e))?;
        }
        if let Err(e) = std::fs::rename(&self.dir, &target) {
            if had_old {
                let _ = std::fs::rename(&retired, &target);
            }
            return Err(Error::io(&target, "publish", e));
        }
        self.published = true;
        if let Err(err) = commit() {
            let _ = std::fs::remove_dir_all(&target);
            if had_old {
                let _ = std::fs::rename(&retired, &target);
            }
            return Err(err);
        }
        if had_old {
            let _ = std::fs::remove_dir_all(&retired);
        }
        Ok(())
    }
}

impl Drop for FileStaged {
    fn drop(&mut self) {
        self.store = None;
        if !self.published {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Removes staging directories left by killed registrations and puts back a
/// retired dataset whose replacement never arrived.
pub fn sweep_leftovers(datasets_path: &Path) {
    let Ok(entries) = std::fs::read_dir(datasets_path) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(name) = file_name.to_str() else {
            continue;
        };
        for mark in [STAGING_MARK, RETIRED_MARK] {
            let Some((dataset, pid)) = name.strip_prefix('.').and_then(|n| n.split_once(mark))
            else {
                continue;
            };
            if pid.parse::<u32>().is_ok_and(process_is_alive) {
                continue;
            }
            let path = entry.path();
            let live = datasets_path.join(dataset);
            if mark == RETIRED_MARK && !live.exists() {
                log::warn!(
                    "restoring {} after an interrupted replacement",
                    live.display()
                );
                let _ = std::fs::rename(&path, &live);
            } else {
                log::info!("removing leftover {}", path.display());
                let _ = std::fs::remove_dir_all(&path);
            }
        }
    }
}

fn process_is_alive(pid: u32) -> bool {
    pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists()
}
