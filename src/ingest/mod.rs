//! Where data comes from: finding the tables of a dataset in a file or a
//! Kaggle-style folder, opening (and decompressing) them, sniffing their CSV
//! dialect and inferring column types.

pub mod dialect;
pub mod encoding;
pub mod infer;
pub mod reader;
pub mod rows;
pub mod sniff;

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// `train.csv.gz` -> `train.csv` (also `.zst`).
pub fn strip_compression_suffix(name: &str) -> &str {
    name.strip_suffix(".gz")
        .or_else(|| name.strip_suffix(".zst"))
        .unwrap_or(name)
}

/// Extensions read as delimited text (each also with `.gz` or `.zst`).
const DATA_EXTENSIONS: &[&str] = &["csv", "tsv", "tab", "psv", "txt", "dat"];

/// One input file and the table it becomes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceFile {
    pub table: String,
    pub path: PathBuf,
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
fn data_stem(path: &Path) -> Option<(String, String)> {
    let name = path.file_name()?.to_str()?;
    let (stem, extension) = strip_compression_suffix(name).rsplit_once('.')?;
    let extension = extension.to_ascii_lowercase();
    DATA_EXTENSIONS
        .contains(&extension.as_str())
        .then(|| (stem.to_string(), extension))
}

/// Finds the tables of the dataset at `path`: a single file becomes `train`;
/// a folder in the Kaggle layout maps `train`, `test`, `validation`/`val` and
/// `sample_submission` files to tables; a folder with one data file makes it
/// `train`.
pub fn discover(path: &Path) -> Result<Vec<SourceFile>> {
    let metadata = std::fs::metadata(path).map_err(|e| Error::io(path, "read", e))?;
    if metadata.is_file() {
        return Ok(vec![SourceFile {
            table: "train".into(),
            path: path.to_path_buf(),
        }]);
    }
    if !metadata.is_dir() {
        return Err(Error::InvalidArgument(format!(
            "{} is neither a file nor a directory",
            path.display()
        )));
    }
    let entries = std::fs::read_dir(path).map_err(|e| Error::io(path, "list", e))?;
    let mut data_files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(path, "list", e))?;
        let file = entry.path();
        if !file.is_file() {
            continue;
        }
        if let Some((stem, extension)) = data_stem(&file) {
            data_files.push((stem, extension, file));
        }
    }
    data_files.sort_by(|a, b| a.2.cmp(&b.2));

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
        sources.push(SourceFile {
            table: table.into(),
            path: file.clone(),
        });
    }
    // A lone data file (other than a description .txt) is the train table.
    let plain: Vec<_> = data_files
        .iter()
        .filter(|(_, ext, _)| ext != "txt")
        .collect();
    if sources.is_empty() && plain.len() == 1 {
        sources.push(SourceFile {
            table: "train".into(),
            path: plain[0].2.clone(),
        });
    }
    if sources.is_empty() {
        return Err(Error::InvalidArgument(if data_files.is_empty() {
            format!(
                "{} contains no data files (expected .csv, .tsv or .gz files)",
                path.display()
            )
        } else {
            format!(
                "{} has {} data files but none named train, test, validation or sample_submission",
                path.display(),
                data_files.len()
            )
        }));
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
    }
}
