//! Where data comes from: finding the tables of a dataset in a file, a
//! folder (Kaggle layout or one table per file) or a zip archive, deciding
//! each file's format from its content, opening (and decompressing) them,
//! sniffing the CSV dialect of delimited text and inferring column types.
//! Typed sources (Parquet, JSON, Excel, ODBC queries) have their own
//! readers, reached through [`dispatch`] and sharing [`typed`]'s batches
//! and cells. Registration reads each source twice: [`scan`] (pass 1)
//! makes its [`plan::TablePlan`], [`schema`] and [`roles`] settle the
//! columns, and [`batches`] (pass 2) parses the typed batches that are
//! stored.

pub mod archive;
pub mod batches;
pub mod dialect;
pub mod dispatch;
pub mod encoding;
mod excel;
pub mod format;
pub mod infer;
mod json;
mod parquet;
pub mod plan;
pub mod query;
#[cfg(feature = "odbc")]
mod query_odbc;
pub mod raw;
pub mod reader;
pub mod roles;
pub mod rows;
pub mod scan;
pub mod schema;
pub mod sniff;
pub mod spellings;
pub mod typed;

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use archive::{UnpackLimits, Workspace};
use format::{Compression, Format};

/// `train.csv.gz` -> `train.csv` (also `.zst`).
pub fn strip_compression_suffix(name: &str) -> &str {
    name.strip_suffix(".gz")
        .or_else(|| name.strip_suffix(".zst"))
        .unwrap_or(name)
}

/// Extensions of data files (each also with `.gz`, `.zst`, `.bz2`, `.xz`
/// or `.zip`); the content decides the reader, not the extension.
const DATA_EXTENSIONS: &[&str] = &[
    "csv", "tsv", "tab", "psv", "txt", "dat", "json", "jsonl", "ndjson", "parquet", "pq", "xlsx",
    "xlsm", "xlsb", "xls", "ods",
];

/// How sources are opened, from the command line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IngestOptions {
    /// The sheet of an Excel workbook (default: the first).
    pub sheet: Option<String>,
    pub limits: UnpackLimits,
}

/// Which reader a source file needs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ReaderKind {
    /// Delimited text (the CSV path: sniffer, inference, parser).
    #[default]
    Delimited,
    Json(Compression),
    Parquet,
    /// Excel and OpenDocument workbooks; `None` reads the first sheet.
    Excel(Option<String>),
    /// A query on an ODBC data source (`register --odbc`).
    Query(Box<query::QuerySource>),
}

impl ReaderKind {
    /// Whether pass 1 counts the rows (a query's rows are only known once
    /// it has been read).
    pub fn counts_rows_upfront(&self) -> bool {
        !matches!(self, ReaderKind::Query(_))
    }
}

/// One input file and the table it becomes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceFile {
    pub table: String,
    /// The file to read (inside the workspace when it was unpacked).
    pub path: PathBuf,
    /// The file the user named (an archive, a compressed file, or `path`).
    pub origin: PathBuf,
    pub reader: ReaderKind,
}

impl SourceFile {
    fn new(table: &str, path: &Path) -> SourceFile {
        SourceFile {
            table: table.to_string(),
            path: path.to_path_buf(),
            origin: path.to_path_buf(),
            reader: ReaderKind::Delimited,
        }
    }
}

/// The canonical order of dataset tables.
pub const TABLE_ORDER: &[&str] = &["train", "test", "validation", "submission"];

/// Maps a file stem to the Kaggle table it stands for.
fn table_for_stem(stem: &str) -> Option<&'static str> {
    match stem.to_ascii_lowercase().as_str() {
        "train" | "training" => Some("train"),
        "test" | "testing" => Some("test"),
        "validation" | "val" | "valid" => Some("validation"),
        "sample_submission" | "submission" => Some("submission"),
        _ => None,
    }
}

/// Splits `train.csv.gz` into (`train`, `csv`); `None` for non-data files.
/// A bare `name.zip` is data too (its content decides).
fn data_stem(path: &Path) -> Option<(String, String)> {
    let name = path.file_name()?.to_str()?;
    if name.starts_with('.') {
        return None;
    }
    let lower = name.to_ascii_lowercase();
    let inner = format::strip_compression(&lower);
    match inner.rsplit_once('.') {
        Some((_, extension)) if DATA_EXTENSIONS.contains(&extension) => Some((
            name[..inner.len() - extension.len() - 1].to_string(),
            extension.to_string(),
        )),
        _ if lower.ends_with(".zip") && !inner.contains('.') => {
            Some((name[..inner.len()].to_string(), "zip".into()))
        }
        _ => None,
    }
}

/// A table name made from a file name: letters, digits and `_`, not
/// starting with a digit or `_` (mdm's own tables start with `_`), at most
/// 63 bytes.
fn table_name(stem: &str) -> String {
    let mut name: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    name = name.trim_matches('_').to_string();
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        name = format!("t_{name}");
    }
    name.truncate(63);
    name
}

/// The path to discover for `path`: a zip archive (not a workbook) is
/// unpacked into the workspace, and becomes its single data file or its
/// folder.
pub fn unpack_root(path: &Path, workspace: &mut Workspace) -> Result<PathBuf> {
    if !path.is_file() {
        return Ok(path.to_path_buf());
    }
    let detected = format::detect(path)?;
    if detected.format != Format::Zip || detected.compression != Compression::None {
        return Ok(path.to_path_buf());
    }
    let dir = workspace.unzip(path)?;
    let files = data_files(&dir)?;
    Ok(match files.as_slice() {
        [(_, _, only)] => only.clone(),
        _ => dir,
    })
}

/// Works out how to read `source` from its content, unpacking into the
/// workspace what cannot be read in place.
pub fn resolve(
    source: &mut SourceFile,
    workspace: &mut Workspace,
    options: &IngestOptions,
) -> Result<()> {
    for _ in 0..8 {
        let detected = format::detect(&source.path)?;
        let compressed = detected.compression != Compression::None;
        source.reader = match detected.format {
            // The CSV path reads gzip and zstd itself.
            Format::Delimited
                if matches!(
                    detected.compression,
                    Compression::None | Compression::Gzip | Compression::Zstd
                ) =>
            {
                ReaderKind::Delimited
            }
            Format::Json => ReaderKind::Json(detected.compression),
            Format::Parquet if !compressed => ReaderKind::Parquet,
            Format::Workbook | Format::Xls if !compressed => {
                ReaderKind::Excel(options.sheet.clone())
            }
            Format::Zip if !compressed => {
                let dir = workspace.unzip(&source.path)?;
                let files = data_files(&dir)?;
                match files.as_slice() {
                    [(_, _, only)] => source.path = only.clone(),
                    _ => {
                        return Err(Error::General(format!(
                            "{}: a zip holding {} data files; the `{}` table needs one (or register the zip itself as a folder)",
                            source.origin.display(),
                            files.len(),
                            source.table
                        )))
                    }
                }
                continue;
            }
            _ => {
                source.path = workspace.decompress(&source.path, detected.compression)?;
                continue;
            }
        };
        return Ok(());
    }
    Err(Error::General(format!(
        "{}: archives nested too deeply",
        source.origin.display()
    )))
}

/// The data files directly in `dir`: (stem, extension, path), sorted.
fn data_files(dir: &Path) -> Result<Vec<(String, String, PathBuf)>> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, "list", e))?;
    let mut data_files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, "list", e))?;
        let file = entry.path();
        if !file.is_file() {
            continue;
        }
        if let Some((stem, extension)) = data_stem(&file) {
            data_files.push((stem, extension, file));
        }
    }
    data_files.sort_by(|a, b| a.2.cmp(&b.2));
    Ok(data_files)
}

/// Finds the tables of the dataset at `path`: a single file becomes `train`;
/// a folder in the Kaggle layout maps `train`, `test`, `validation`/`val` and
/// `sample_submission` files to tables; a folder with one data file makes it
/// `train`; a folder of other data files makes one table per file, named
/// after it.
pub fn discover(path: &Path) -> Result<Vec<SourceFile>> {
    let metadata = std::fs::metadata(path).map_err(|e| Error::io(path, "read", e))?;
    if metadata.is_file() {
        return Ok(vec![SourceFile::new("train", path)]);
    }
    if !metadata.is_dir() {
        return Err(Error::InvalidArgument(format!(
            "{} is neither a file nor a directory",
            path.display()
        )));
    }
    let data_files = data_files(path)?;

    let mut sources: Vec<SourceFile> = Vec::new();
    for (stem, _, file) in &data_files {
        let Some(table) = table_for_stem(stem) else {
            continue;
        };
        if let Some(other) = sources.iter().find(|s| s.table == table) {
            return Err(Error::InvalidArgument(format!(
                "{} and {} both look like the `{table}` table; keep one",
                other.path.display(),
                file.display()
            )));
        }
        sources.push(SourceFile::new(table, file));
    }
    // A lone data file (other than a description .txt) is the train table.
    let plain: Vec<_> = data_files
        .iter()
        .filter(|(_, ext, _)| ext != "txt")
        .collect();
    if sources.is_empty() && plain.len() == 1 {
        sources.push(SourceFile::new("train", &plain[0].2));
    }
    // Files not named like Kaggle's: one table per file, named after it.
    if sources.is_empty() && plain.len() > 1 {
        for (stem, _, file) in plain {
            let mut table = table_name(stem);
            let base = table.clone();
            let mut suffix = 1;
            while sources.iter().any(|s| s.table == table) {
                suffix += 1;
                table = format!("{base}_{suffix}");
            }
            sources.push(SourceFile::new(&table, file));
        }
        return Ok(sources);
    }
    if sources.is_empty() {
        return Err(Error::InvalidArgument(format!(
            "{} contains no data files (expected CSV/TSV, JSON, Parquet or Excel files, possibly compressed)",
            path.display()
        )));
    }
    if !sources.iter().any(|s| s.table == "train") {
        return Err(Error::InvalidArgument(format!(
            "{} has no train file (found: {})",
            path.display(),
            sources
                .iter()
                .map(|s| s.table.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    sources.sort_by_key(|s| TABLE_ORDER.iter().position(|t| *t == s.table));
    Ok(sources)
}

/// The target a Kaggle folder implies when none is given: the column of
/// the sample submission that is not an ID column, is in train and is not
/// in test. `None` unless exactly one column qualifies.
pub fn submission_target(
    train: &[String],
    test: Option<&[String]>,
    submission: &[String],
    is_id: &dyn Fn(&str) -> bool,
) -> Option<String> {
    let candidates: Vec<&String> = submission
        .iter()
        .filter(|c| !is_id(c))
        .filter(|c| train.contains(c))
        .filter(|c| !test.is_some_and(|t| t.contains(c)))
        .collect();
    match candidates.as_slice() {
        [only] => Some((*only).clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kaggle_names_map_to_tables() {
        assert_eq!(table_for_stem("Train"), Some("train"));
        assert_eq!(table_for_stem("val"), Some("validation"));
        assert_eq!(table_for_stem("sample_submission"), Some("submission"));
        assert_eq!(table_for_stem("data_description"), None);
    }

    #[test]
    fn compressed_files_keep_their_inner_extension() {
        assert_eq!(
            data_stem(Path::new("/x/train.csv.gz")),
            Some(("train".into(), "csv".into()))
        );
        assert_eq!(data_stem(Path::new("/x/readme.md")), None);
        assert_eq!(
            data_stem(Path::new("/x/Sales 2024.parquet")),
            Some(("Sales 2024".into(), "parquet".into()))
        );
        assert_eq!(
            data_stem(Path::new("/x/train.csv.zip")),
            Some(("train".into(), "csv".into()))
        );
        assert_eq!(
            data_stem(Path::new("/x/titanic.zip")),
            Some(("titanic".into(), "zip".into()))
        );
    }

    #[test]
    fn table_names_from_file_names_are_sanitised() {
        assert_eq!(table_name("Sales 2024"), "sales_2024");
        assert_eq!(table_name("2024-sales"), "t_2024_sales");
        assert_eq!(table_name("__x"), "x");
    }

    #[test]
    fn the_submission_names_the_target() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let is_id = |c: &str| c.ends_with("Id");
        assert_eq!(
            submission_target(
                &names(&["PassengerId", "Age", "Survived"]),
                Some(&names(&["PassengerId", "Age"])),
                &names(&["PassengerId", "Survived"]),
                &is_id
            ),
            Some("Survived".into())
        );
        assert_eq!(
            submission_target(
                &names(&["PassengerId", "Age"]),
                None,
                &names(&["PassengerId", "Survived"]),
                &is_id
            ),
            None
        );
    }
}
