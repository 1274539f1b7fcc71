//! What is recorded about a dataset: the discovery record (name, backend,
//! tables, annotations, sources) and its `database:` location, with the
//! password-free server URL. Backends describe the datasets they hold with
//! these records and the catalog writes them to the discovery files.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::config::{Backend, Settings};

choice!(
    /// The machine-learning task of a dataset, with the original MDM's
    /// names. `classification` is resolved to binary or multiclass from the
    /// target's distinct values when the dataset is registered or updated.
    ProblemType {
        Classification => "classification",
        BinaryClassification => "binary_classification" | "binary-classification" | "binary",
        MulticlassClassification => "multiclass_classification" | "multiclass-classification" | "multiclass",
        Multilabel => "multilabel" | "multilabel_classification" | "multilabel-classification",
        Regression => "regression",
        Clustering => "clustering",
        TimeSeries => "time-series" | "time_series" | "timeseries",
        Ranking => "ranking",
    }
);

impl ProblemType {
    /// Whether a dataset of this type is found when searching for
    /// `wanted`: `classification` finds every kind of classification.
    pub fn is_a(self, wanted: ProblemType) -> bool {
        self == wanted
            || (wanted == ProblemType::Classification
                && matches!(
                    self,
                    ProblemType::BinaryClassification
                        | ProblemType::MulticlassClassification
                        | ProblemType::Multilabel
                ))
    }
}

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

/// An ODBC source a dataset was read from: what `update --refresh` runs
/// again. The connection never holds a password (`PWD=***`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuerySourceRecord {
    pub connection: String,
    pub queries: Vec<QueryRecord>,
    /// When the queries were run, RFC 3339.
    pub read_at: String,
    /// The column the queries were read in ranges of (`--split-by`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split_by: Option<String>,
    /// Ranges read at once (`--parallel`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parallel: Option<usize>,
}

/// One table's query and the rows it returned.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueryRecord {
    pub table: String,
    pub query: String,
    pub rows: u64,
}

/// Where a dataset's data lives: the `database:` section of its discovery
/// file, as the backend document shows it. Never holds a password.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Location {
    /// The database file (SQLite, DuckDB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
    /// `postgresql://user@host:port/database` (PostgreSQL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_string: Option<String>,
    /// The database name; written by earlier versions of mdm, which had no
    /// connection string. Read, never written.
    #[serde(default, skip_serializing)]
    pub database: Option<String>,
}

impl Location {
    /// The file or the connection string, for messages.
    pub fn describe(&self) -> String {
        self.path
            .as_ref()
            .map(|p| p.display().to_string())
            .or_else(|| self.connection_string.clone())
            .or_else(|| self.database.clone())
            .unwrap_or_default()
    }

    /// The server database holding the dataset, from the connection string
    /// (or the name recorded by earlier versions).
    pub fn database_name(&self) -> Option<String> {
        if let Some(name) = &self.database {
            return Some(name.clone());
        }
        let url = self.connection_string.as_deref()?;
        let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
        let (_, path) = after_scheme.split_once('/')?;
        let name = path.split(['?', '#']).next().unwrap_or(path);
        (!name.is_empty()).then(|| percent_decode(name))
    }
}

/// `postgresql://user@host:port/database` for the configured server (no
/// password, ever).
pub fn server_url(settings: &Settings, database: &str) -> String {
    let server = &settings.config.database.postgresql;
    let host = if server.host.contains(':') {
        format!("[{}]", server.host)
    } else {
        server.host.clone()
    };
    let user = server
        .user
        .as_deref()
        .map(|u| format!("{}@", percent_encode(u)))
        .unwrap_or_default();
    format!(
        "postgresql://{user}{host}:{}/{}",
        server.port,
        percent_encode(database)
    )
}

/// Percent-encodes the characters a URL's user or path part cannot hold.
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What the user says about a dataset: the roles of its columns and its
/// descriptive fields. The discovery file and the export sidecar both
/// carry them (flattened, as top-level keys).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Annotations {
    #[serde(default)]
    pub target: Option<String>,
    /// Every target when there are several (`--target y1,y2`); `target`
    /// is then the first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub target_columns: Vec<String>,
    #[serde(default)]
    pub id_columns: Vec<String>,
    #[serde(default)]
    pub problem_type: Option<ProblemType>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// Columns kept in the tables but never featurised nor chosen as ID
    /// or target (`--ignore-columns`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignore_columns: Vec<String>,
    /// The column that orders the rows in time (a date or timestamp).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_column: Option<String>,
    /// The column whose values group rows that belong together.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_column: Option<String>,
    /// The column whose class shares validation folds keep.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stratify_column: Option<String>,
    /// Where the data comes from, the original MDM's label (`kaggle`,
    /// `internal`, ...); not the path registered from (`source`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_source: Option<String>,
}

impl Annotations {
    /// Every target: `target_columns` when there are several, else the
    /// one `target`.
    pub fn targets(&self) -> Vec<String> {
        if self.target_columns.is_empty() {
            self.target.iter().cloned().collect()
        } else {
            self.target_columns.clone()
        }
    }
}

/// The discovery file of one dataset. Never holds secrets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DatasetRecord {
    pub name: String,
    pub backend: Backend,
    /// The document's `database:` section (`location:` in files written by
    /// earlier versions).
    #[serde(rename = "database", alias = "location")]
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
    /// The role that owns the dataset (PostgreSQL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// The ODBC source the tables were read from (`register --odbc`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_source: Option<QuerySourceRecord>,
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
