//! The dataset registry: one YAML discovery file per dataset under
//! `paths.configs_path` (a `backend::record::DatasetRecord`), named after
//! a dataset name checked by `model::name`, and the single-backend
//! visibility rule (datasets of another backend are invisible).

use std::path::{Path, PathBuf};

use crate::backend::record::{server_url, DatasetRecord};
use crate::backend::Lookup;
use crate::config::{Backend, Settings};
use crate::error::{Error, Result};
use crate::model::name::validate_name;

/// The registry of discovery files, keyed by (backend, name): a name
/// exists at most once per backend, so the same name may live in several
/// backends, each seen only under its own.
///
/// A dataset's file is `{name}.yaml`, as the backend document shows it;
/// when that file already belongs to the same name in another backend, it
/// is `{name}.{backend}.yaml` (dataset names hold no dots, so the two
/// spellings never collide). Each file names its backend, so files written
/// by earlier versions of mdm (always `{name}.yaml`) are read as they are.
pub struct Catalog {
    dir: PathBuf,
    backend: Backend,
    settings: Settings,
}

impl Catalog {
    /// The catalog of `settings`, seen from its configured backend.
    pub fn new(settings: &Settings) -> Catalog {
        Catalog {
            dir: settings.configs_path(),
            backend: settings.backend(),
            settings: settings.clone(),
        }
    }

    /// The backend whose datasets are visible.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The configured backend when it is its own catalog (a server); the
    /// discovery files of its datasets are then only a cache.
    fn server(&self) -> Result<Option<Box<dyn crate::backend::Backend>>> {
        if !crate::backend::is_server(&self.settings) {
            return Ok(None);
        }
        let backend = crate::backend::for_settings(&self.settings)?;
        Ok(backend.is_catalog().then_some(backend))
    }

    /// What the catalog knows of `name` in the current backend: the
    /// dataset, a dataset this user may not read (on a server), or
    /// nothing (compared case-insensitively among discovery files, so
    /// that `Sales` and `sales` cannot both exist).
    pub fn lookup(&self, name: &str) -> Result<Lookup> {
        if let Some(server) = self.server()? {
            return server.lookup(name);
        }
        Ok(match self.find(name)? {
            Some(record) => Lookup::Present(Box::new(record)),
            None => Lookup::Missing,
        })
    }

    /// The two places the discovery file of (`backend`, `name`) may have.
    fn candidate_paths(&self, backend: Backend, name: &str) -> [PathBuf; 2] {
        [
            self.dir.join(format!("{name}.yaml")),
            self.dir.join(format!("{name}.{backend}.yaml")),
        ]
    }

    /// The discovery file of `name` in the current backend, and its record,
    /// when registered under exactly this name.
    fn locate(&self, name: &str) -> Result<Option<(PathBuf, DatasetRecord)>> {
        if let Some(server) = self.server()? {
            let path = self.cached_path(name);
            return match server.lookup(name)? {
                Lookup::Present(record) if record.name == name => Ok(Some((path, *record))),
                Lookup::Present(_) => Ok(None),
                Lookup::Denied { owner } => Err(Error::PermissionDenied(format!(
                    "dataset '{name}' is owned by {owner}, who has not granted you access; ask them or a superuser (mdm dataset grant)"
                ))),
                Lookup::Missing => {
                    if self.locate_file(name)?.is_some() {
                        let _ = std::fs::remove_file(&path);
                        return Err(Error::NotFound(format!(
                            "dataset '{name}' no longer exists on the {} server (its cached discovery file {} was removed)",
                            self.backend,
                            path.display()
                        )));
                    }
                    Ok(None)
                }
            };
        }
        self.locate_file(name)
    }

    /// The cached discovery file of a server's dataset, where it is or
    /// would be.
    fn cached_path(&self, name: &str) -> PathBuf {
        match self.locate_file(name) {
            Ok(Some((path, _))) => path,
            _ => self.candidate_paths(self.backend, name)[0].clone(),
        }
    }

    /// The discovery file of `name` in the current backend.
    fn locate_file(&self, name: &str) -> Result<Option<(PathBuf, DatasetRecord)>> {
        for path in self.candidate_paths(self.backend, name) {
            match read_record(&path) {
                Ok(record) if record.backend == self.backend && record.name == name => {
                    return Ok(Some((path, record)))
                }
                Ok(_) => {}
                Err(Error::NotFound(_)) => {}
                Err(err) => return Err(err),
            }
        }
        Ok(None)
    }

    /// Where the discovery file of `name` in the current backend is (or
    /// would be written).
    pub fn record_path(&self, name: &str) -> PathBuf {
        match self.locate(name) {
            Ok(Some((path, _))) => path,
            _ => self.candidate_paths(self.backend, name)[0].clone(),
        }
    }

    /// The record of `name` in the current backend, if registered. Names
    /// are compared case-insensitively so that `Sales` and `sales` cannot
    /// both exist in one backend (they would collide on case-insensitive
    /// file systems and in PostgreSQL database names).
    pub fn find(&self, name: &str) -> Result<Option<DatasetRecord>> {
        if let Some((_, record)) = self.locate(name)? {
            return Ok(Some(record));
        }
        if self.server()?.is_some() {
            return Ok(None);
        }
        Ok(self
            .visible()?
            .into_iter()
            .find(|record| record.name.eq_ignore_ascii_case(name)))
    }

    /// The record of `name` in the current backend; a name registered only
    /// under other backends is reported as not found, naming them.
    pub fn get(&self, name: &str) -> Result<DatasetRecord> {
        validate_name(name)?;
        if let Some((_, record)) = self.locate(name)? {
            return Ok(record);
        }
        let elsewhere: Vec<String> = self
            .all()?
            .into_iter()
            .filter(|r| r.name == name && r.backend != self.backend)
            .map(|r| r.backend.to_string())
            .collect();
        if elsewhere.is_empty() {
            return Err(Error::NotFound(format!(
                "dataset '{name}' not found in the {} backend (see `mdm dataset list`)",
                self.backend
            )));
        }
        Err(Error::NotFound(format!(
            "dataset '{name}' not found in the {} backend; it is stored in the {} backend, \
             switch with MDM_DATABASE_DEFAULT_BACKEND={} or database.default_backend in mdm.yaml",
            self.backend,
            elsewhere.join(" and "),
            elsewhere[0]
        )))
    }

    /// Every registered dataset, of every backend, sorted by name and
    /// backend: a server's from the server, the others from their
    /// discovery files.
    pub fn all(&self) -> Result<Vec<DatasetRecord>> {
        let mut records = self.all_files()?;
        if let Some(server) = self.server()? {
            // Listing every backend must not fail for one unreachable
            // server: its datasets are then shown from the cache.
            match server.datasets() {
                Ok(listed) => {
                    records.retain(|r| r.backend != self.backend);
                    records.extend(listed);
                    sort_records(&mut records);
                }
                Err(err) => log::warn!(
                    "the {} server cannot be listed ({err}); its datasets are shown as last seen",
                    self.backend
                ),
            }
        }
        Ok(records)
    }

    /// Every discovery file's record. Broken files are skipped with a
    /// warning.
    fn all_files(&self) -> Result<Vec<DatasetRecord>> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::io(&self.dir, "list", e)),
        };
        let mut records = Vec::new();
        for entry in entries {
            let path = entry.map_err(|e| Error::io(&self.dir, "list", e))?.path();
            if path.extension().and_then(|e| e.to_str()) != Some("yaml") {
                continue;
            }
            match read_record(&path) {
                Ok(record) => records.push(record),
                // Removed between listing and reading.
                Err(Error::NotFound(_)) => {}
                Err(err) => log::warn!("skipping {}: {err}", path.display()),
            }
        }
        sort_records(&mut records);
        Ok(records)
    }

    /// Datasets of the current backend.
    pub fn visible(&self) -> Result<Vec<DatasetRecord>> {
        if let Some(server) = self.server()? {
            let mut records = server.datasets()?;
            sort_records(&mut records);
            return Ok(records);
        }
        Ok(self
            .all()?
            .into_iter()
            .filter(|r| r.backend == self.backend)
            .collect())
    }

    /// Writes a record atomically (temporary file, fsync, rename): over its
    /// existing file, else as `{name}.yaml` when that name is free (claimed
    /// with a hard link, which fails rather than replace another backend's
    /// file), else as `{name}.{backend}.yaml`.
    pub fn write(&self, record: &DatasetRecord) -> Result<()> {
        std::fs::create_dir_all(&self.dir)
            .map_err(|e| Error::io(&self.dir, "create directory", e))?;
        // A record read from an earlier version's file names its server
        // database only; it is written back in the document's form.
        let mut upgraded;
        let mut record = record;
        if record.location.connection_string.is_none() {
            if let Some(database) = &record.location.database {
                upgraded = record.clone();
                upgraded.location.connection_string = Some(server_url(&self.settings, database));
                upgraded.location.database = None;
                record = &upgraded;
            }
        }
        let text = serde_yaml::to_string(record).map_err(|e| {
            Error::General(format!(
                "cannot serialize the record of {}: {e}",
                record.name
            ))
        })?;
        let [plain, qualified] = self.candidate_paths(record.backend, &record.name);
        let owner = |path: &Path| {
            read_record(path)
                .ok()
                .filter(|r| r.backend == record.backend && r.name == record.name)
        };
        if owner(&plain).is_some() {
            return write_atomically(&plain, text.as_bytes());
        }
        if owner(&qualified).is_none() && claim(&plain, text.as_bytes())? {
            return Ok(());
        }
        write_atomically(&qualified, text.as_bytes())
    }

    /// Deletes the discovery file of `name` in the current backend.
    pub fn remove(&self, name: &str) -> Result<()> {
        let Some((path, _)) = self.locate_file(name)? else {
            return Ok(());
        };
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io(&path, "remove", e)),
        }
    }
}

fn sort_records(records: &mut [DatasetRecord]) {
    records.sort_by(|a, b| {
        a.name
            .cmp(&b.name)
            .then_with(|| a.backend.to_string().cmp(&b.backend.to_string()))
    });
}

/// Creates `path` with `bytes` unless it exists: written under a private
/// name and hard-linked into place, so a concurrent writer of the same name
/// is never overwritten and no reader sees a half-written file.
fn claim(path: &Path, bytes: &[u8]) -> Result<bool> {
    use std::io::Write;
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(format!(".new-{}", std::process::id()));
    let temporary = PathBuf::from(temporary);
    let result = (|| {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        match std::fs::hard_link(&temporary, path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(e),
        }
    })();
    let _ = std::fs::remove_file(&temporary);
    result.map_err(|e| Error::io(path, "write", e))
}

fn read_record(path: &Path) -> Result<DatasetRecord> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::NotFound(path.display().to_string()))
        }
        Err(e) => return Err(Error::io(path, "read", e)),
    };
    serde_yaml::from_str(&text).map_err(|e| Error::General(format!("{}: {e}", path.display())))
}

/// Writes `bytes` to `path` through a temporary sibling and a rename, so
/// readers see the old or the new content, never a mix.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(format!(".tmp-{}", std::process::id()));
    let temporary = PathBuf::from(temporary);
    let result = (|| {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&temporary);
        Error::io(path, "write", e)
    })
}
