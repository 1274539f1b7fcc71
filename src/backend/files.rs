//! File-based backends: each dataset is one database file in
//! `{datasets_path}/{name}/`, named by the backend's profile
//! (`dataset.sqlite`, `dataset.duckdb`), so the same name may be stored by
//! both backends side by side. A registration
//! loads into a hidden staging directory whose database file is renamed
//! into place; a replaced file is retired into a hidden directory first and
//! deleted only after the new one is published (the protocol is
//! `staging.rs`'s; this file supplies its directory and file primitives).

use std::path::{Path, PathBuf};

use super::staging::{self, Copy, CopyKind, Leftovers, Naming, Places, Staging};
use super::{Backend, Connection, Staged};
use crate::backend::record::{DatasetRecord, Location};
use crate::config::{Backend as BackendKind, Settings};
use crate::error::{Error, Result};
use crate::store::odbc::profile::{OdbcProfile, SqliteProfile};
use crate::store::{SqliteStore, Store, FILL_SCRATCH_PREFIX};

/// Copies are hidden directories next to the datasets':
/// `.{name}.staging-{pid}` and `.{name}.retired-{pid}`.
const NAMING: Naming = Naming {
    leading: ".",
    staging: ".staging-",
    retired: ".retired-",
};
/// Files that belong to a database file `X`: SQLite's `X-wal`, `X-shm` and
/// `X-journal`, DuckDB's `X.wal`.
const SIDE_SUFFIXES: &[&str] = &["-wal", "-shm", "-journal", ".wal"];

/// How a database file is opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum OpenMode {
    /// Created for a bulk load.
    Create,
    ReadWrite,
    /// Read-only where the database has such a mode.
    ReadOnly,
}

/// Opens (or creates for a bulk load) a database file.
type Opener = Box<dyn Fn(&Path, OpenMode) -> Result<Box<dyn Store>>>;

/// How a client reaches a database file (read-only unless asked to write).
type ClientConnection = Box<dyn Fn(&Path, bool) -> Connection>;

/// A backend storing each dataset as a file.
pub struct FileBackend {
    kind: BackendKind,
    /// Attributes before `Database=` in connection strings for clients
    /// (read-only unless asked to write).
    client: ClientConnection,
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
            client: Box::new(move |path, _write| Connection {
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
            // SQLite readers and writers do not lock each other out (WAL).
            opener: Box::new(move |path, mode| -> Result<Box<dyn Store>> {
                let store = if mode == OpenMode::Create {
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
        let wait = std::time::Duration::from_secs(settings.config.database.connection_timeout);
        Ok(FileBackend {
            kind,
            client: Box::new(move |path, write| {
                let target = if write {
                    client_target.clone()
                } else {
                    client_target.read_only()
                };
                target.connection(&path.display().to_string())
            }),
            datasets_path: settings.datasets_path(),
            file_name,
            opener: Box::new(move |path, mode| -> Result<Box<dyn Store>> {
                if mode != OpenMode::Create && !path.is_file() {
                    return Err(Error::Backend(format!(
                        "the dataset database {} is missing",
                        path.display()
                    )));
                }
                if let Some(reason) = target
                    .read_only_reason()
                    .filter(|_| mode != OpenMode::ReadOnly)
                {
                    return Err(Error::PermissionDenied(format!(
                        "{reason}: mdm opens datasets only for reading, and this command writes to {}",
                        path.display()
                    )));
                }
                let store = match mode {
                    OpenMode::ReadOnly => target.read_only().connect_file(path, false)?,
                    OpenMode::Create => target.connect_file(path, true)?,
                    OpenMode::ReadWrite => super::file_lock::wait_for_readers(
                        path,
                        wait,
                        |message| target.lock_holder(message),
                        || target.connect_file(path, false),
                    )?,
                };
                Ok(Box::new(store))
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
        let dir = self.datasets_path.join(NAMING.staging(name));
        if dir.exists() {
            let _ = std::fs::remove_dir_all(&dir);
        }
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, "create directory", e))?;
        let live = self.datasets_path.join(name);
        let places = FilePlaces {
            dir: dir.clone(),
            target: live.join(self.file_name),
            live,
            retired: self.datasets_path.join(NAMING.retired(name)),
            file_name: self.file_name,
        };
        let mut staged = Staging::new(places, true);
        staged.store = Some((self.opener)(&dir.join(self.file_name), OpenMode::Create)?);
        Ok(Box::new(staged))
    }

    /// Scratch files of feature fills that were killed go first (a fill
    /// runs on a store opened here).
    fn open(&self, record: &DatasetRecord) -> Result<Box<dyn Store>> {
        let path = super::recorded_path(record)?;
        if let Some(directory) = path.parent() {
            staging::sweep(&mut FillScratch(directory));
        }
        (self.opener)(path, OpenMode::ReadWrite)
    }

    fn open_read_only(&self, record: &DatasetRecord) -> Result<Box<dyn Store>> {
        (self.opener)(super::recorded_path(record)?, OpenMode::ReadOnly)
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
        staging::sweep(&mut FillScratch(&directory));
        let _ = std::fs::remove_dir(&directory);
        Ok(())
    }

    fn sweep(&self) {
        sweep_leftovers(&self.datasets_path);
    }

    fn connection(&self, record: &DatasetRecord, write: bool) -> Result<Connection> {
        Ok((self.client)(super::recorded_path(record)?, write))
    }
}

/// The places of one registration: its staging directory, the dataset's
/// directory and the directory its replaced database file is retired to.
struct FilePlaces {
    /// The staging directory, holding the database file being loaded.
    dir: PathBuf,
    /// `{datasets_path}/{name}`.
    live: PathBuf,
    /// The published database file.
    target: PathBuf,
    retired: PathBuf,
    file_name: &'static str,
}

impl Places for FilePlaces {
    fn live_exists(&mut self) -> Result<bool> {
        Ok(self.target.exists())
    }

    /// Never asked: a file dataset is registered under its exclusive lock,
    /// so the caller has already decided to replace it.
    fn taken(&self) -> Error {
        Error::AlreadyExists(format!("{} exists", self.target.display()))
    }

    fn retire(&mut self) -> Result<()> {
        std::fs::create_dir_all(&self.retired)
            .map_err(|e| Error::io(&self.retired, "create directory", e))?;
        move_database(&self.target, &self.retired.join(self.file_name))
            .map_err(|e| Error::io(&self.target, "move aside", e))
    }

    fn move_into_place(&mut self) -> Result<()> {
        move_into_place(&self.dir.join(self.file_name), &self.live, &self.target)
            .map_err(|e| Error::io(&self.target, "publish", e))
    }

    fn restore(&mut self) {
        let _ = move_database(&self.retired.join(self.file_name), &self.target);
        let _ = std::fs::remove_dir(&self.retired);
    }

    fn moved(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }

    fn unpublish(&mut self) {
        for path in with_side_files(&self.target) {
            let _ = std::fs::remove_file(path);
        }
    }

    /// The dataset's directory goes unless the old file (or the other
    /// backend's) is in it.
    fn rolled_back(&mut self) {
        let _ = std::fs::remove_dir(&self.live);
    }

    fn drop_retired(&mut self) {
        let _ = std::fs::remove_dir_all(&self.retired);
    }

    fn drop_staging(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
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

/// Removes staging directories left by killed registrations and puts back a
/// retired database file whose replacement never arrived. A retired
/// directory holds the replaced database file (directories retired by
/// earlier versions of mdm hold the dataset's whole directory: the same).
pub fn sweep_leftovers(datasets_path: &Path) {
    staging::sweep(&mut Directory(datasets_path));
}

/// The datasets' directory, as a place of leftovers.
struct Directory<'a>(&'a Path);

impl Leftovers for Directory<'_> {
    fn names(&mut self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.0) else {
            return Vec::new();
        };
        entries
            .flatten()
            .filter_map(|entry| entry.file_name().to_str().map(str::to_string))
            .collect()
    }

    fn copies<'a>(&self, name: &'a str) -> Vec<Copy<'a>> {
        NAMING.copies(name)
    }

    fn discard(&mut self, name: &str) {
        let path = self.0.join(name);
        log::info!("removing leftover {}", path.display());
        let _ = std::fs::remove_dir_all(&path);
    }

    fn put_back(&mut self, name: &str, live: &str, _names: &[String]) {
        restore_retired(&self.0.join(name), &self.0.join(live));
        self.discard(name);
    }
}

/// A dataset's directory, as a place of the scratch databases of feature
/// fills (`_mdm_fill_{pid}_{slice}.sqlite`): staging copies that are never
/// published.
struct FillScratch<'a>(&'a Path);

impl Leftovers for FillScratch<'_> {
    fn names(&mut self) -> Vec<String> {
        Directory(self.0).names()
    }

    fn copies<'a>(&self, name: &'a str) -> Vec<Copy<'a>> {
        let Some(rest) = name.strip_prefix(FILL_SCRATCH_PREFIX) else {
            return Vec::new();
        };
        vec![Copy {
            kind: CopyKind::Staging,
            live: "",
            pid: rest.split('_').next().and_then(|pid| pid.parse().ok()),
        }]
    }

    fn discard(&mut self, name: &str) {
        let _ = std::fs::remove_file(self.0.join(name));
    }

    fn put_back(&mut self, name: &str, _live: &str, _names: &[String]) {
        self.discard(name);
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
