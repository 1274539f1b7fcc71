//! The dataset registry: one YAML discovery file per dataset under
//! `paths.configs_path`, dataset-name validation, and the single-backend
//! visibility rule (datasets of another backend are invisible).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::{Backend, Settings};
use crate::error::{Error, Result};

/// Longest dataset name; also safe as a PostgreSQL database name with the
/// default prefix.
pub const MAX_NAME_LENGTH: usize = 63;

choice!(
    /// The machine-learning task of a dataset.
    ProblemType {
        Classification => "classification",
        Regression => "regression",
        Clustering => "clustering",
        TimeSeries => "time-series",
        Ranking => "ranking",
    }
);

/// One table of a dataset as recorded in its discovery file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TableRecord {
    pub name: String,
    pub rows: u64,
    pub columns: u64,
}

/// One source file a dataset was registered from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SourceRecord {
    pub table: String,
    pub path: PathBuf,
    pub size: u64,
    /// Modification time, RFC 3339.
    pub modified: Option<String>,
}

/// Where a dataset's data lives.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Location {
    /// The database file (SQLite, DuckDB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
    /// The database name (PostgreSQL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
}

/// What the user says about a dataset: the roles of its columns and its
/// descriptive fields. The discovery file and the export sidecar both
/// carry them (flattened, as top-level keys).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Annotations {
    #[serde(default)]
    pub target: Option<String>,
    #[serde(default)]
    pub id_columns: Vec<String>,
    #[serde(default)]
    pub problem_type: Option<ProblemType>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub description: Option<String>,
}

/// The discovery file of one dataset. Never holds secrets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DatasetRecord {
    pub name: String,
    pub backend: Backend,
    pub location: Location,
    pub tables: Vec<TableRecord>,
    #[serde(flatten)]
    pub annotations: Annotations,
    pub created_at: String,
    pub updated_at: String,
    #[serde(default)]
    pub source: Option<PathBuf>,
    #[serde(default)]
    pub source_files: Vec<SourceRecord>,
}

impl DatasetRecord {
    /// Rows over all tables.
    pub fn total_rows(&self) -> u64 {
        self.tables.iter().map(|t| t.rows).sum()
    }

    /// Rows of one table, if present.
    pub fn table(&self, name: &str) -> Option<&TableRecord> {
        self.tables.iter().find(|t| t.name == name)
    }

    /// Bytes the dataset's files take on disk (database plus its WAL or
    /// journal: SQLite `-wal`/`-journal`, DuckDB `.wal`), when the
    /// backend stores it in a file.
    pub fn size_on_disk(&self) -> Option<u64> {
        let path = self.location.path.as_ref()?;
        let mut total = std::fs::metadata(path).ok()?.len();
        for suffix in ["-wal", "-journal", ".wal"] {
            let mut side = path.clone().into_os_string();
            side.push(suffix);
            total += std::fs::metadata(side).map(|m| m.len()).unwrap_or(0);
        }
        Some(total)
    }
}

/// Checks a dataset name: letters, digits, `_` and `-`, starting with a
/// letter, at most 63 characters. Checked before anything touches disk.
pub fn validate_name(name: &str) -> Result<()> {
    let reject = |why: &str| {
        Err(Error::InvalidArgument(format!(
            "invalid dataset name {name:?}: {why}"
        )))
    };
    if name.is_empty() {
        return reject("it is empty");
    }
    if name.len() > MAX_NAME_LENGTH {
        return reject(&format!("it is longer than {MAX_NAME_LENGTH} characters"));
    }
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return reject("it must start with a letter");
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
    {
        return reject(&format!(
            "{bad:?} is not allowed (use letters, digits, `_` and `-`)"
        ));
    }
    Ok(())
}

/// The registry of discovery files.
pub struct Catalog {
    dir: PathBuf,
    backend: Backend,
}

impl Catalog {
    /// The catalog of `settings`, seen from its configured backend.
    pub fn new(settings: &Settings) -> Catalog {
        Catalog {
            dir: settings.configs_path(),
            backend: settings.backend(),
        }
    }

    /// The backend whose datasets are visible.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Where the discovery file of `name` lives.
    pub fn record_path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.yaml"))
    }

    /// The record of `name` whatever its backend, if registered. Names are
    /// compared case-insensitively so that `Sales` and `sales` cannot both
    /// exist (they would collide on case-insensitive file systems and in
    /// PostgreSQL database names).
    pub fn find_any(&self, name: &str) -> Result<Option<DatasetRecord>> {
        let exact = self.record_path(name);
        if exact.exists() {
            return read_record(&exact).map(Some);
        }
        for record in self.all()? {
            if record.name.eq_ignore_ascii_case(name) {
                return Ok(Some(record));
            }
        }
        Ok(None)
    }

    /// The record of `name` if it belongs to the current backend; a dataset
    /// of another backend is reported as not found with a hint to switch.
    pub fn get(&self, name: &str) -> Result<DatasetRecord> {
        validate_name(name)?;
        let record = match self.find_any(name)? {
            Some(record) if record.name == name => record,
            _ => {
                return Err(Error::NotFound(format!(
                    "dataset '{name}' not found (see `mdm dataset list`)"
                )))
            }
        };
        if record.backend != self.backend {
            return Err(Error::NotFound(format!(
                "dataset '{name}' is stored in the {} backend, but the current backend is {}; \
                 switch with MDM_DATABASE_DEFAULT_BACKEND={} or database.default_backend in mdm.yaml",
                record.backend, self.backend, record.backend
            )));
        }
        Ok(record)
    }

    /// Every registered dataset, of every backend, sorted by name. Broken
    /// discovery files are skipped with a warning.
    pub fn all(&self) -> Result<Vec<DatasetRecord>> {
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
                Err(err) => log::warn!("skipping {}: {err}", path.display()),
            }
        }
        records.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(records)
    }

    /// Datasets of the current backend.
    pub fn visible(&self) -> Result<Vec<DatasetRecord>> {
        Ok(self
            .all()?
            .into_iter()
            .filter(|r| r.backend == self.backend)
            .collect())
    }

    /// Writes a record atomically (temporary file, fsync, rename).
    pub fn write(&self, record: &DatasetRecord) -> Result<()> {
        std::fs::create_dir_all(&self.dir)
            .map_err(|e| Error::io(&self.dir, "create directory", e))?;
        let path = self.record_path(&record.name);
        let text = serde_yaml::to_string(record).map_err(|e| {
            Error::General(format!(
                "cannot serialize the record of {}: {e}",
                record.name
            ))
        })?;
        write_atomically(&path, text.as_bytes())
    }

    /// Deletes the discovery file of `name`.
    pub fn remove(&self, name: &str) -> Result<()> {
        let path = self.record_path(name);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io(&path, "remove", e)),
        }
    }
}

fn read_record(path: &Path) -> Result<DatasetRecord> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, "read", e))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_documented_rule() {
        assert!(validate_name("titanic").is_ok());
        assert!(validate_name("sales_2024-q1").is_ok());
        for bad in ["", "1abc", "../x", "a/b", "a;b", "a b", "a\"b", "_x", "é"] {
            assert!(validate_name(bad).is_err(), "{bad:?} accepted");
        }
        assert!(validate_name(&"a".repeat(63)).is_ok());
        assert!(validate_name(&"a".repeat(64)).is_err());
    }
}
