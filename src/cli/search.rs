//! `mdm dataset search`: the clap struct and what it prints.

use clap::Args;

use super::list::dataset_table;
use super::{clean, parse_choice};
use crate::backend::record::ProblemType;
use crate::config::Settings;
use crate::error::Result;
use crate::ops::listed::ListedDataset;
use crate::ops::search::{self, SearchOptions};
use crate::ui::{self, Ui};

#[derive(Debug, Args)]
pub struct SearchOpt {
    /// Matches names and descriptions: a glob (`sales_*`) or a substring, case-insensitive.
    pub pattern: Option<String>,
    /// Datasets carrying this tag (repeatable; all must match).
    #[arg(long = "tag")]
    pub tags: Vec<String>,
    /// Only datasets of this problem type.
    #[arg(long, value_parser = parse_choice::<ProblemType>)]
    pub problem_type: Option<ProblemType>,
    /// At least this many rows (all tables).
    #[arg(long)]
    pub min_rows: Option<u64>,
    /// At most this many rows (all tables).
    #[arg(long)]
    pub max_rows: Option<u64>,
    /// Only datasets of this data source (`register --source`).
    #[arg(long = "source", value_name = "TEXT")]
    pub data_source: Option<String>,
    /// Machine-readable JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Prints the matching datasets as a table or JSON.
pub fn run(settings: &Settings, opt: SearchOpt, ui: &Ui) -> Result<()> {
    let SearchOpt {
        pattern,
        tags,
        problem_type,
        min_rows,
        max_rows,
        data_source,
        json,
    } = opt;
    let options = SearchOptions {
        pattern,
        tags: clean(tags),
        problem_type,
        min_rows,
        max_rows,
        data_source,
    };
    let found: Vec<ListedDataset> =
        crate::ops::listed::with_sizes(settings, search::search(settings, &options)?);
    if json {
        return ui::print_json(&found);
    }
    if found.is_empty() {
        ui.message(&format!(
            "no dataset of the {} backend matches",
            settings.backend()
        ));
        return Ok(());
    }
    ui::print(&dataset_table(&found))
}
