//! `mdm dataset search` and the dataset patterns of `mdm batch`: glob or
//! substring matching over the datasets of the current backend.

use globset::GlobMatcher;

use crate::backend::record::{DatasetRecord, ProblemType};
use crate::catalog::Catalog;
use crate::config::Settings;
use crate::error::{Error, Result};

/// A name pattern: a glob when it has `*`, `?` or `[`, else a substring;
/// case-insensitive either way.
pub enum Pattern {
    Glob(GlobMatcher),
    Substring(String),
}

impl Pattern {
    pub fn new(text: &str) -> Result<Pattern> {
        if text.contains(['*', '?', '[']) {
            let glob = globset::GlobBuilder::new(text)
                .case_insensitive(true)
                .build()
                .map_err(|e| Error::InvalidArgument(format!("invalid pattern {text:?}: {e}")))?;
            Ok(Pattern::Glob(glob.compile_matcher()))
        } else {
            Ok(Pattern::Substring(text.to_lowercase()))
        }
    }

    /// Whether `text` matches (the whole text for globs, any part for
    /// substrings).
    pub fn matches(&self, text: &str) -> bool {
        match self {
            Pattern::Glob(glob) => glob.is_match(text),
            Pattern::Substring(part) => text.to_lowercase().contains(part.as_str()),
        }
    }
}

/// Search criteria; all given ones must hold.
#[derive(Clone, Debug, Default)]
pub struct SearchOptions {
    pub pattern: Option<String>,
    pub tags: Vec<String>,
    pub problem_type: Option<ProblemType>,
    pub min_rows: Option<u64>,
    pub max_rows: Option<u64>,
    /// The data-source label (case-insensitive).
    pub data_source: Option<String>,
}

/// Datasets of the current backend matching all criteria, sorted by name.
pub fn search(settings: &Settings, options: &SearchOptions) -> Result<Vec<DatasetRecord>> {
    let pattern = options.pattern.as_deref().map(Pattern::new).transpose()?;
    let records = Catalog::new(settings).visible()?;
    Ok(records
        .into_iter()
        .filter(|r| {
            pattern.as_ref().is_none_or(|p| {
                p.matches(&r.name)
                    || r.annotations
                        .description
                        .as_deref()
                        .is_some_and(|d| p.matches(d))
            })
        })
        .filter(|r| {
            options.tags.iter().all(|t| {
                r.annotations
                    .tags
                    .iter()
                    .any(|have| have.eq_ignore_ascii_case(t))
            })
        })
        .filter(|r| {
            options
                .problem_type
                .is_none_or(|p| r.annotations.problem_type.is_some_and(|t| t.is_a(p)))
        })
        .filter(|r| options.min_rows.is_none_or(|m| r.total_rows() >= m))
        .filter(|r| options.max_rows.is_none_or(|m| r.total_rows() <= m))
        .filter(|r| {
            options.data_source.as_deref().is_none_or(|wanted| {
                r.annotations
                    .data_source
                    .as_deref()
                    .is_some_and(|have| have.eq_ignore_ascii_case(wanted))
            })
        })
        .collect())
}

/// Resolves a `mdm batch` dataset list — comma-separated names and globs —
/// against the datasets of the current backend. A plain name that does not
/// exist is an error (exit 3); so is a list that matches nothing.
pub fn resolve_datasets(settings: &Settings, list: &str) -> Result<Vec<DatasetRecord>> {
    let catalog = Catalog::new(settings);
    let visible = catalog.visible()?;
    let mut chosen: Vec<DatasetRecord> = Vec::new();
    for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if item.contains(['*', '?', '[']) {
            let pattern = Pattern::new(item)?;
            for record in visible.iter().filter(|r| pattern.matches(&r.name)) {
                if !chosen.iter().any(|c| c.name == record.name) {
                    chosen.push(record.clone());
                }
            }
        } else {
            let record = catalog.get(item)?;
            if !chosen.iter().any(|c| c.name == record.name) {
                chosen.push(record);
            }
        }
    }
    if chosen.is_empty() {
        return Err(Error::NotFound(format!(
            "no dataset of the {} backend matches {list:?}",
            settings.backend()
        )));
    }
    Ok(chosen)
}
