//! `mdm dataset list`: the clap struct, and the table of datasets that
//! `list` and `search` print.

use clap::Args;

use super::{parse_choice, short_time};
use crate::config::{Backend, Settings};
use crate::error::Result;
use crate::ops::list::{self, ListOptions, SortBy};
use crate::ops::listed::ListedDataset;
use crate::ui::{self, human_bytes, Table, Ui};

#[derive(Debug, Args)]
pub struct ListOpt {
    /// Show at most this many datasets.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Sort order.
    #[arg(long, default_value = "name", value_parser = parse_choice::<SortBy>)]
    pub sort_by: SortBy,
    /// Reverse the order.
    #[arg(long)]
    pub reverse: bool,
    /// Machine-readable JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Include datasets of every backend.
    #[arg(long)]
    pub all_backends: bool,
    /// Only datasets of this backend.
    #[arg(long, value_parser = parse_choice::<Backend>)]
    pub filter_backend: Option<Backend>,
    /// Only datasets passing EXPR: `FIELD OP VALUE` joined by AND / OR, with =, !=, >, <, >=,
    /// <=, ~ (glob), !~ on name, problem_type, target_column, row_count, column_count, size_mb,
    /// registered_at, last_updated_at (ISO or 30days, 1week, 6months), source, has_test,
    /// has_validation. Example: "problem_type=classification AND row_count>1000".
    #[arg(long, value_name = "EXPR")]
    pub filter: Option<String>,
}

/// Prints the datasets as a table or JSON.
pub fn run(settings: &Settings, opt: ListOpt, ui: &Ui) -> Result<()> {
    let ListOpt {
        limit,
        sort_by,
        reverse,
        json,
        all_backends,
        filter_backend,
        filter,
    } = opt;
    let options = ListOptions {
        sort_by,
        reverse,
        limit,
        all_backends,
        filter_backend,
        filter,
    };
    let datasets = list::list(settings, &options)?;
    if json {
        return ui::print_json(&datasets);
    }
    if datasets.is_empty() {
        ui.message(&format!(
            "no datasets registered in the {} backend{}",
            filter_backend.unwrap_or(settings.backend()),
            if all_backends { " (or any other)" } else { "" }
        ));
        return Ok(());
    }
    ui::print(&dataset_table(&datasets))
}

/// The table of datasets shown by `list` and `search`.
pub(crate) fn dataset_table(datasets: &[ListedDataset]) -> String {
    let mut table =
        Table::new(&["NAME", "BACKEND", "TABLES", "ROWS", "SIZE", "CREATED"]).align_right(&[3, 4]);
    for dataset in datasets {
        let record = &dataset.record;
        let tables: Vec<&str> = record.tables.iter().map(|t| t.name.as_str()).collect();
        table.push(vec![
            record.name.clone(),
            record.backend.to_string(),
            tables.join(","),
            dataset.rows.to_string(),
            dataset.size_bytes.map_or_else(|| "-".into(), human_bytes),
            short_time(&record.created_at),
        ]);
    }
    table.render()
}
