//! File-based backends: each dataset is one database file in
//! `{datasets_path}/{name}/`, named by the backend's profile
//! (`dataset.sqlite`, `dataset.duckdb`), so the same name may be stored by
//! both backends side by side. A registration
//! loads into a hidden staging directory whose database file is renamed
//! into place; a replaced file is retired into a hidden directory first and
//! deleted only after the new one is published.

use std::path::{Path, PathBuf};

use super::{Backend, Connection, Staged};
use crate::backend::record::{DatasetRecord, Location};
use crate::config::{Backend as BackendKind, Settings};
use crate::error::{Error, Result};
use crate::store::odbc::profile::{OdbcProfile, SqliteProfile};
use crate::store::{SqliteStore, Store};

const STAGING_MARK: &str = ".staging-";
const RETIRED_MARK: &str = ".retired-";
/// Files that belong to a database file `X`: SQLite's `X-wal`, `X-shm` and
/// `X-journal`, DuckDB's `X.wal`.
const SIDE_SUFFIXES: &[&str] = &["-wal", "-shm", "-journal", ".wal"];

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
        let workers = settings.config.performance.fill_workers();
        let profile = SqliteProfile::new(&settings.config);
        let driver = profile.default_driver();
        FileBackend {
            kind: BackendKind::Sqlite,
            // Other tools read the same file through the SQLite ODBC driver.
            client: Box::new(move |path| Connection {
                attributes: vec![
                    ("Driver".into(), driver.into()),
                    ("Database".into(), path.display().to_string()),
                ],
                password: None,
            }),
            datasets_path: settings.datasets_path(),
            file_name: profile
                .dataset_file()
                .expect("SQLite keeps one file per dataset"),
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

    /// SQLite or DuckDB through their ODBC drivers; `file_name` is the
    /// dataset file their profile names.
    #[cfg(feature = "odbc")]
    pub fn odbc(
        settings: &Settings,
        kind: BackendKind,
        file_name: &'static str,
    ) -> Result<FileBackend> {
        let target = crate::store::odbc::OdbcTarget::new(settings, kind)?;
        let client_target = target.clone();
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

impl FileBackend {
    /// The database file of dataset `name`.
    fn database_file(&self, name: &str) -> PathBuf {
        self.datasets_path.join(name).join(self.file_name)
    }
}

impl Backend for FileBackend {
    fn kind(&self) -> BackendKind {
        self.kind
    }

    fn location(&self, name: &str) -> Location {
        Location {
            path: Some(self.database_file(name)),
            ..Location::default()
        }
    }

    /// Replacing is decided by the caller's lock: a file dataset is
    /// registered under its exclusive lock, so nothing appears meanwhile.
    fn stage(&self, name: &str, _replace: bool) -> Result<Box<dyn Staged>> {
        let file_name = self.file_name;
        let dir = self
            .datasets_path
            .join(format!(".{name}{STAGING_MARK}{}", std::process::id()));
        if dir.exists() {
            let _ = std::fs::remove_dir_all(&dir);
        }
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, "create directory", e))?;
        let mut staged = FileStaged {
            dir: dir.clone(),
            datasets_path: self.datasets_path.clone(),
            name: name.to_string(),
            file_name,
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
        vec![self.database_file(&record.name).display().to_string()]
    }

    fn remove(&self, record: &DatasetRecord) -> Result<()> {
        let file = self.database_file(&record.name);
        for path in with_side_files(&file) {
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io(&path, "remove", e)),
            }
        }
        // The directory goes with its last database (the other backend's
        // file, if any, keeps it); leftovers of killed feature fills go too.
        let directory = self.datasets_path.join(&record.name);
        crate::store::sweep_fill_scratch(&directory);
        let _ = std::fs::remove_dir(&directory);
        Ok(())
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
    datasets_path: PathBuf,
    name: String,
    file_name: &'static str,
    store: Option<Box<dyn Store>>,
    published: bool,
}

impl Staged for FileStaged {
    fn store(&mut self) -> &mut dyn Store {
        self.store.as_deref_mut().expect("open until published")
    }

    fn publish(mut self: Box<Self>, commit: &mut dyn FnMut() -> Result<()>) -> Result<()> {
        // Close the database before its file moves.
        self.store = None;
        let live = self.datasets_path.join(&self.name);
        let target = live.join(self.file_name);
        let retired = self.datasets_path.join(format!(
            ".{}{RETIRED_MARK}{}",
            self.name,
            std::process::id()
        ));
        let had_old = target.exists();
        if had_old {
            std::fs::create_dir_all(&retired)
                .map_err(|e| Error::io(&retired, "create directory", e))?;
            move_database(&target, &retired.join(self.file_name))
                .map_err(|e| Error::io(&target, "move aside", e))?;
        }
        let put_back = |retired: &Path| {
            if had_old {
                let _ = move_database(&retired.join(self.file_name), &target);
                let _ = std::fs::remove_dir(retired);
            }
        };
        if let Err(e) = move_into_place(&self.dir.join(self.file_name), &live, &target) {
            put_back(&retired);
            return Err(Error::io(&target, "publish", e));
        }
        self.published = true;
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Err(err) = commit() {
            for path in with_side_files(&target) {
                let _ = std::fs::remove_file(path);
            }
            put_back(&retired);
            let _ = std::fs::remove_dir(&live);
            return Err(err);
        }
        if had_old {
            let _ = std::fs::remove_dir_all(&retired);
        }
        Ok(())
    }
}

/// `file` and the side files a database engine may keep next to it.
fn with_side_files(file: &Path) -> Vec<PathBuf> {
    let mut paths = vec![file.to_path_buf()];
    for suffix in SIDE_SUFFIXES {
        let mut side = file.as_os_str().to_owned();
        side.push(suffix);
        paths.push(PathBuf::from(side));
    }
    paths
}

/// Renames a database file and whichever side files it has.
fn move_database(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::rename(from, to)?;
    for (side_from, side_to) in with_side_files(from)
        .into_iter()
        .zip(with_side_files(to))
        .skip(1)
    {
        match std::fs::rename(&side_from, &side_to) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    Ok(())
}

/// Moves a staged database into the dataset's directory, creating it; a
/// removal of the other backend's copy may delete the directory in between,
/// so a vanished directory is created once more.
fn move_into_place(staged: &Path, directory: &Path, target: &Path) -> std::io::Result<()> {
    for attempt in 0..3 {
        std::fs::create_dir_all(directory)?;
        match move_database(staged, target) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && attempt < 2 => continue,
            other => return other,
        }
    }
    Ok(())
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
/// retired database file whose replacement never arrived. A retired
/// directory holds the replaced database file (directories retired by
/// earlier versions of mdm hold the dataset's whole directory: the same).
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
            if mark == RETIRED_MARK {
                restore_retired(&path, &datasets_path.join(dataset));
            }
            log::info!("removing leftover {}", path.display());
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

/// Puts each database file of a retired directory back into `live` unless
/// a newer one is there.
fn restore_retired(retired: &Path, live: &Path) {
    let Ok(files) = std::fs::read_dir(retired) else {
        return;
    };
    for file in files.flatten() {
        let name = file.file_name();
        let is_database = name
            .to_str()
            .is_some_and(|n| !SIDE_SUFFIXES.iter().any(|s| n.ends_with(s)));
        let target = live.join(&name);
        if !is_database || target.exists() {
            continue;
        }
        log::warn!(
            "restoring {} after an interrupted replacement",
            target.display()
        );
        let _ = std::fs::create_dir_all(live);
        let _ = move_database(&file.path(), &target);
    }
}

fn process_is_alive(pid: u32) -> bool {
    pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists()
}
