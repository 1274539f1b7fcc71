//! `mdm dataset split NAME --folds K`: validation folds stored in the
//! dataset (`train_folds`), shown as a table or as JSON.

use clap::Args;

use super::parse_choice;
use crate::config::Settings;
use crate::error::Result;
use crate::ops::split::{self, Folds, SplitBy, SplitOptions};
use crate::ui::{Table, Ui};

#[derive(Debug, Args)]
pub struct SplitOpt {
    pub name: String,
    /// Number of folds (2 or more).
    #[arg(long, short = 'k', default_value_t = 5)]
    pub folds: usize,
    /// random, stratified, group or time. Default: time with a time column, else
    /// group with a group column, else stratified for classification, else random.
    #[arg(long, value_parser = parse_choice::<SplitBy>)]
    pub by: Option<SplitBy>,
    /// Time splits: days (for dates and timestamps) left out of training before each
    /// validation block.
    #[arg(long, value_name = "N")]
    pub gap: Option<i64>,
    /// Seed of random and stratified splits (default 42); the same seed gives the same
    /// folds on every backend.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Print the folds as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(settings: &Settings, opt: SplitOpt, ui: &Ui) -> Result<()> {
    let folds = split::split(
        settings,
        &opt.name,
        &SplitOptions {
            folds: opt.folds,
            by: opt.by,
            gap: opt.gap,
            seed: opt.seed,
        },
    )?;
    if opt.json {
        return crate::ui::print_json(&folds);
    }
    ui.message(&format!(
        "{}: {} folds stored in {}",
        opt.name, folds.settings.folds, folds.table
    ));
    crate::ui::print(&render(&folds))
}

/// The folds as `info` and `split` show them.
pub fn render(folds: &Folds) -> String {
    let mut out = String::new();
    let settings = &folds.settings;
    let mut how = format!("{} folds by {}", settings.folds, settings.by);
    if let Some(column) = &folds.column {
        how.push_str(&format!(" on '{column}'"));
    }
    if let Some(seed) = settings.seed {
        how.push_str(&format!(", seed {seed}"));
    }
    if let Some(gap) = settings.gap {
        how.push_str(&format!(", gap {gap} days"));
    }
    out.push_str(&format!(
        "{how}; table {} keyed by {}\n",
        folds.table,
        folds.keys.join(", ")
    ));
    let timed = folds.summary.iter().any(|s| s.first.is_some());
    let mut header = vec!["FOLD", "VALIDATE ROWS", "TRAIN ROWS"];
    if timed {
        header.extend(["FIRST", "LAST", "TRAINS BEFORE"]);
    }
    let mut table = Table::new(&header).align_right(&[1, 2]);
    for s in &folds.summary {
        let mut row = vec![
            s.fold.to_string(),
            if timed && s.fold == 0 {
                format!("{} (train only)", s.rows)
            } else {
                s.rows.to_string()
            },
            s.train_rows.map_or_else(|| "-".into(), |r| r.to_string()),
        ];
        if timed {
            row.push(s.first.clone().unwrap_or_default());
            row.push(s.last.clone().unwrap_or_default());
            row.push(s.train_before.clone().unwrap_or_else(|| "-".into()));
        }
        table.push(row);
    }
    out.push_str(&table.render());
    out
}
