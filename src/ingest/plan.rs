//! What the first pass learns about one source file (how it is read, its
//! columns' names and types, its rows and what did not fit), and the
//! column names as stored.

use std::collections::HashSet;

use super::reader::CsvFormat;
use super::rows::Outcome;
use super::SourceFile;
use crate::config::BadRows;
use crate::model::name::{cut_name, distinct_name, MAX_COLUMN_NAME_BYTES};
use crate::model::spelling::Spelling;
use crate::model::ColumnDef;

/// One source file after the inference pass.
pub struct TablePlan {
    pub source: SourceFile,
    pub format: CsvFormat,
    /// Header as in the file (or generated names when it has none).
    pub original_names: Vec<String>,
    pub columns: Vec<ColumnDef>,
    pub rows: u64,
    /// Bytes of the longest record (a bound on any one value).
    pub widest_record: u64,
    /// Per column: how its values are written, when not plainly.
    pub spellings: Vec<Option<Spelling>>,
    /// Set by registration for a table stored as column groups: the
    /// indexes of the columns in each stored table, the first being the
    /// table itself; empty for a table stored whole.
    pub column_groups: Vec<Vec<usize>>,
    /// The line where the table ends (a footer or a further table).
    pub end_line: Option<u64>,
    pub bad_rows: BadRows,
    pub outcome: Outcome,
}

/// Column names as stored: empty headers become `column_N`, longer names
/// are cut to [`MAX_COLUMN_NAME_BYTES`] (at a character boundary), and names
/// that collide (case-insensitively, as in SQL) get a `_2`, `_3`, ...
/// suffix. The originals are kept in the metadata.
pub fn storage_names(original: &[String]) -> Vec<String> {
    let mut taken = HashSet::new();
    original
        .iter()
        .enumerate()
        .map(|(index, name)| {
            let base = if name.trim().is_empty() {
                format!("column_{}", index + 1)
            } else {
                cut_name(name, MAX_COLUMN_NAME_BYTES).to_string()
            };
            distinct_name(&base, &mut taken)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_are_cut_at_a_character_boundary_and_kept_distinct() {
        let long = "é".repeat(100);
        let names = storage_names(&[long.clone(), long.clone()]);
        assert!(
            names.iter().all(|n| n.len() <= MAX_COLUMN_NAME_BYTES),
            "{names:?}"
        );
        assert_eq!(names[0], "é".repeat(31));
        assert_eq!(names[1], format!("{}_2", "é".repeat(30)));
    }

    #[test]
    fn colliding_and_empty_headers_get_distinct_names() {
        let names = storage_names(&["a".into(), "A".into(), "".into(), "a_2".into()]);
        assert_eq!(names, ["a", "A_2", "column_3", "a_2_2"]);
    }
}
