//! Naming rules: the dataset-name check, the longest stored column name,
//! the one way a name is cut to that limit and made distinct from the
//! names already taken, and the names of mdm's own tables.

use std::collections::HashSet;

use crate::error::{Error, Result};

/// The key/value metadata table inside every dataset database.
pub const METADATA_TABLE: &str = "_metadata";

/// Longest dataset name; also safe as a PostgreSQL database name with the
/// default prefix.
pub const MAX_NAME_LENGTH: usize = 63;

/// Longest stored column name, in bytes: PostgreSQL's identifier limit,
/// applied on every backend so that a dataset keeps its column names
/// wherever it moves.
pub const MAX_COLUMN_NAME_BYTES: usize = 63;

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

/// `name` cut to at most `max_bytes` bytes, at a character boundary.
pub fn cut_name(name: &str, max_bytes: usize) -> &str {
    let mut end = name.len().min(max_bytes);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}

/// `base`, or, when a name in `taken` already equals it case-insensitively
/// (as SQL compares names), the first free of `base_2`, `base_3`, ...,
/// with `base` cut so that the whole stays within
/// [`MAX_COLUMN_NAME_BYTES`]. The result is added to `taken`, which holds
/// lowercased names.
pub fn distinct_name(base: &str, taken: &mut HashSet<String>) -> String {
    let mut candidate = base.to_string();
    let mut suffix = 1;
    while taken.contains(&candidate.to_lowercase()) {
        suffix += 1;
        let tail = format!("_{suffix}");
        let room = MAX_COLUMN_NAME_BYTES.saturating_sub(tail.len());
        candidate = format!("{}{tail}", cut_name(base, room));
    }
    taken.insert(candidate.to_lowercase());
    candidate
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

    #[test]
    fn names_are_cut_at_a_character_boundary() {
        assert_eq!(cut_name("abc", 5), "abc");
        assert_eq!(cut_name("abc", 2), "ab");
        assert_eq!(cut_name("éé", 3), "é");
    }

    #[test]
    fn a_taken_name_gets_the_first_free_suffix_within_the_limit() {
        let mut taken: HashSet<String> = ["a".to_string(), "a_2".to_string()].into();
        assert_eq!(distinct_name("A", &mut taken), "A_3");
        assert_eq!(distinct_name("b", &mut taken), "b");
        assert_eq!(distinct_name("B", &mut taken), "B_2");
        let long = "x".repeat(MAX_COLUMN_NAME_BYTES);
        assert_eq!(distinct_name(&long, &mut taken), long);
        let again = distinct_name(&long, &mut taken);
        assert_eq!(again.len(), MAX_COLUMN_NAME_BYTES);
        assert!(again.ends_with("x_2"));
    }
}
