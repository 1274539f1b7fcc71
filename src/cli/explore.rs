//! `mdm dataset stats|search|update|export`: options and rendering.

use std::path::PathBuf;

use clap::Args;

use super::parse_choice;
use crate::backend::record::ProblemType;
use crate::config::{Compression, ExportFormat, Settings};
use crate::error::Result;
use crate::ops::export::{self, ExportOptions, ExportReport};
use crate::ops::list::ListedDataset;
use crate::ops::search::{self, SearchOptions};
use crate::ops::stats::{self, ColumnReport, StatsOptions, StatsReport};
use crate::ops::update::{self, UpdateOptions};
use crate::ui::{self, Table, Ui};

/// Splits comma-separated flag values, dropping blanks.
pub(crate) fn clean(list: Vec<String>) -> Vec<String> {
    list.into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

#[derive(Debug, Args)]
pub struct StatsOpt {
    pub name: String,
    /// The table to profile.
    #[arg(long, default_value = "train")]
    pub table: String,
    /// Only these columns (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub columns: Vec<String>,
    /// Add percentiles (5/25/50/75/95) and histograms of numeric columns.
    #[arg(long)]
    pub extended: bool,
    /// Recompute the statistics from the data and store them.
    #[arg(long)]
    pub refresh: bool,
    /// Machine-readable JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

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
    /// Machine-readable JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct UpdateOpt {
    pub name: String,
    /// New description (empty clears it).
    #[arg(long)]
    pub description: Option<String>,
    /// New target column; must exist in the train table.
    #[arg(long)]
    pub target: Option<String>,
    /// New problem type.
    #[arg(long, value_parser = parse_choice::<ProblemType>)]
    pub problem_type: Option<ProblemType>,
    /// Replace all tags (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub tags: Option<Vec<String>>,
    /// Add tags (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub add_tags: Vec<String>,
    /// Remove tags (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub remove_tags: Vec<String>,
    /// Replace the ID columns (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub id_columns: Option<Vec<String>>,
    /// Run the recorded queries of a dataset registered with --odbc again and replace its tables (password from MDM_SOURCE_PASSWORD or a prompt).
    #[arg(long)]
    pub refresh: bool,
    /// Print the updated record as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Options shared by `dataset export` and `batch export`.
#[derive(Debug, Args)]
pub struct ExportFormatOpt {
    /// File format (default: from --output's extension, else export.default_format).
    #[arg(long, value_parser = parse_choice::<ExportFormat>)]
    pub format: Option<ExportFormat>,
    /// Compression (default: from --output's extension, else export.compression).
    #[arg(long, value_parser = parse_choice::<Compression>)]
    pub compression: Option<Compression>,
    /// Overwrite existing files.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct ExportOpt {
    pub name: String,
    #[command(flatten)]
    pub format: ExportFormatOpt,
    /// Write one file (requires a single table: use --table); `-` writes to standard output.
    #[arg(long, conflicts_with = "output_dir")]
    pub output: Option<PathBuf>,
    /// Write `{table}.{ext}` files into this directory (default: ./NAME).
    #[arg(long)]
    pub output_dir: Option<PathBuf>,
    /// Only these tables (comma-separated; default all).
    #[arg(long, value_delimiter = ',')]
    pub table: Vec<String>,
    /// Only these columns (comma-separated; default all).
    #[arg(long, value_delimiter = ',')]
    pub columns: Vec<String>,
    /// Also write NAME_metadata.yaml next to an --output file (always written for directories).
    #[arg(long)]
    pub include_metadata: bool,
    /// Do not write NAME_metadata.yaml into the output directory.
    #[arg(long, conflicts_with = "include_metadata")]
    pub no_metadata: bool,
    /// Leave out the generated `{table}_features` tables (exported by default).
    #[arg(long)]
    pub no_include_features: bool,
    /// Print what was written as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ConnectionOpt {
    pub name: String,
    /// Include the password instead of `***`.
    #[arg(long)]
    pub show_password: bool,
    /// Print a ready odbc.ini section `[mdm_NAME]` instead of a connection string.
    #[arg(long)]
    pub odbc_ini: bool,
    /// Machine-readable JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

pub fn connection(settings: &Settings, opt: ConnectionOpt) -> Result<()> {
    let ConnectionOpt {
        name,
        show_password,
        odbc_ini,
        json,
    } = opt;
    let connection = crate::ops::info::connection(settings, &name)?;
    if json {
        let attributes: serde_json::Map<String, serde_json::Value> = connection
            .attributes
            .iter()
            .map(|(k, v)| (k.clone(), v.clone().into()))
            .collect();
        return ui::print_json(&serde_json::json!({
            "dataset": name,
            "connection_string": connection.connection_string(show_password),
            "attributes": attributes,
            "has_password": connection.password.is_some(),
        }));
    }
    if odbc_ini {
        return ui::print(&connection.odbc_ini(&format!("mdm_{name}"), show_password));
    }
    ui::print(&format!(
        "{}\n",
        connection.connection_string(show_password)
    ))
}

pub fn stats(settings: &Settings, opt: StatsOpt) -> Result<()> {
    let StatsOpt {
        name,
        table,
        columns,
        extended,
        refresh,
        json,
    } = opt;
    let options = StatsOptions {
        table,
        columns: clean(columns),
        extended,
        refresh,
    };
    let report = stats::stats(settings, &name, &options)?;
    if json {
        return ui::print_json(&report);
    }
    ui::print(&render_stats(&report, extended))
}

/// A number for humans: integers without decimals, others with up to six.
pub(crate) fn number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else if value.abs() >= 1e15 || (value != 0.0 && value.abs() < 1e-4) {
        format!("{value:.4e}")
    } else {
        let text = format!("{value:.6}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

fn json_value(value: Option<&serde_json::Value>) -> String {
    match value {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Number(n)) => n.as_f64().map_or_else(|| n.to_string(), number),
        Some(other) => other.to_string(),
        None => "-".into(),
    }
}

fn optional(value: Option<f64>) -> String {
    value.map_or_else(|| "-".into(), number)
}

/// The stats report as text: one table per family of columns, then the
/// histograms.
pub(crate) fn render_stats(report: &StatsReport, extended: bool) -> String {
    let mut text = format!(
        "dataset {}, table {}: {} rows{}\n",
        report.dataset,
        report.table,
        report.rows,
        if report.refreshed {
            " (statistics recomputed)"
        } else {
            ""
        }
    );
    let numeric: Vec<&ColumnReport> = report
        .columns
        .iter()
        .filter(|c| c.column_type.is_numeric())
        .collect();
    let textual: Vec<&ColumnReport> = report
        .columns
        .iter()
        .filter(|c| c.column_type == crate::model::ColumnType::Text)
        .collect();
    let other: Vec<&ColumnReport> = report
        .columns
        .iter()
        .filter(|c| !c.column_type.is_numeric() && c.column_type != crate::model::ColumnType::Text)
        .collect();

    if !numeric.is_empty() {
        let mut headers = vec![
            "COLUMN", "TYPE", "COUNT", "NULLS", "MEAN", "STD", "MIN", "MAX",
        ];
        if extended {
            headers.extend(["ZEROS", "NEGATIVE", "P5", "P25", "P50", "P75", "P95"]);
        }
        let mut table = Table::new(&headers).align_right(&(2..headers.len()).collect::<Vec<_>>());
        for c in &numeric {
            let s = &c.statistics;
            let mut row = vec![
                c.name.clone(),
                c.column_type.as_str().into(),
                s.count.to_string(),
                s.nulls.to_string(),
                optional(s.mean),
                optional(s.std),
                json_value(s.min.as_ref()),
                json_value(s.max.as_ref()),
            ];
            if extended {
                row.push(s.zeros.map_or("-".into(), |z| z.to_string()));
                row.push(s.negatives.map_or("-".into(), |n| n.to_string()));
                for (key, _) in stats::PERCENTILES {
                    row.push(optional(
                        c.percentiles.as_ref().and_then(|p| p.get(key).copied()),
                    ));
                }
            }
            table.push(row);
        }
        text.push_str("\nnumeric columns\n");
        text.push_str(&table.render());
    }
    if !textual.is_empty() {
        let mut table = Table::new(&[
            "COLUMN",
            "KIND",
            "COUNT",
            "NULLS",
            "DISTINCT",
            "MIN LEN",
            "MAX LEN",
            "TOP VALUES",
        ])
        .align_right(&[2, 3, 4, 5, 6]);
        for c in &textual {
            let s = &c.statistics;
            // Top values say something about categories, little about free text.
            let shown = match (c.kind, extended) {
                (crate::metadata::ColumnKind::Text, false) => 0,
                (_, false) => 3,
                (_, true) => 5,
            };
            let top: Vec<String> = s
                .top_values
                .iter()
                .take(shown)
                .map(|(value, count)| format!("{} ({count})", shorten(value, 24)))
                .collect();
            table.push(vec![
                c.name.clone(),
                c.kind.as_str().into(),
                s.count.to_string(),
                s.nulls.to_string(),
                format!("{}{}", if s.distinct_exact { "" } else { "~" }, s.distinct),
                s.min_length.map_or("-".into(), |v| v.to_string()),
                s.max_length.map_or("-".into(), |v| v.to_string()),
                top.join(", "),
            ]);
        }
        text.push_str("\ncategorical and text columns\n");
        text.push_str(&table.render());
    }
    if !other.is_empty() {
        let mut table = Table::new(&["COLUMN", "TYPE", "COUNT", "NULLS", "DISTINCT", "MIN", "MAX"])
            .align_right(&[2, 3, 4]);
        for c in &other {
            let s = &c.statistics;
            table.push(vec![
                c.name.clone(),
                c.column_type.as_str().into(),
                s.count.to_string(),
                s.nulls.to_string(),
                format!("{}{}", if s.distinct_exact { "" } else { "~" }, s.distinct),
                json_value(s.min.as_ref()),
                json_value(s.max.as_ref()),
            ]);
        }
        text.push_str("\ndate, time and boolean columns\n");
        text.push_str(&table.render());
    }
    for c in &numeric {
        let Some(bins) = &c.histogram else { continue };
        let largest = bins.iter().map(|b| b.count).max().unwrap_or(0).max(1);
        text.push_str(&format!("\nhistogram of {}\n", c.name));
        let labels: Vec<(String, String)> = bins
            .iter()
            .map(|b| (number(b.low), number(b.high)))
            .collect();
        let low_width = labels.iter().map(|l| l.0.len()).max().unwrap_or(0);
        let high_width = labels.iter().map(|l| l.1.len()).max().unwrap_or(0);
        for (index, (bin, (low, high))) in bins.iter().zip(&labels).enumerate() {
            let bar = "#".repeat(((bin.count as f64 / largest as f64) * 40.0).round() as usize);
            let close = if index + 1 == bins.len() { ']' } else { ')' };
            text.push_str(&format!(
                "  [{low:>low_width$}, {high:>high_width$}{close} {bar:<40} {}\n",
                bin.count
            ));
        }
    }
    text
}

fn shorten(value: &str, max: usize) -> String {
    let flat = value.replace(['\n', '\r', '\t'], " ");
    if flat.chars().count() <= max {
        flat
    } else {
        format!("{}…", flat.chars().take(max - 1).collect::<String>())
    }
}

pub fn search(settings: &Settings, opt: SearchOpt, ui: &Ui) -> Result<()> {
    let SearchOpt {
        pattern,
        tags,
        problem_type,
        min_rows,
        max_rows,
        json,
    } = opt;
    let options = SearchOptions {
        pattern,
        tags: clean(tags),
        problem_type,
        min_rows,
        max_rows,
    };
    let found: Vec<ListedDataset> =
        crate::ops::list::with_sizes(settings, search::search(settings, &options)?);
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
    ui::print(&super::dataset_table(&found))
}

pub fn update(settings: &Settings, opt: UpdateOpt, ui: &Ui) -> Result<()> {
    let UpdateOpt {
        name,
        description,
        target,
        problem_type,
        tags,
        add_tags,
        remove_tags,
        id_columns,
        refresh,
        json,
    } = opt;
    let options = UpdateOptions {
        description,
        target,
        problem_type,
        tags: tags.map(clean),
        add_tags: clean(add_tags),
        remove_tags: clean(remove_tags),
        id_columns: id_columns.map(clean),
    };
    let roles_changed = options.target.is_some() || options.id_columns.is_some();
    if refresh {
        let record = update::refresh(settings, &name, ui)?;
        if options == UpdateOptions::default() {
            return if json {
                ui::print_json(&record)
            } else {
                Ok(())
            };
        }
    }
    let record = update::update(settings, &name, &options)?;
    if roles_changed {
        ui.message(&format!(
            "the target or ID columns changed: run `mdm dataset features {name} --regenerate` to refit the features"
        ));
    }
    if json {
        return ui::print_json(&record);
    }
    ui.message(&format!("updated dataset '{name}'"));
    Ok(())
}

pub fn export(settings: &Settings, opt: ExportOpt, ui: &Ui) -> Result<()> {
    let ExportOpt {
        name,
        format:
            ExportFormatOpt {
                format,
                compression,
                force,
            },
        output,
        output_dir,
        table,
        columns,
        include_metadata,
        no_metadata,
        no_include_features,
        json,
    } = opt;
    let options = ExportOptions {
        format,
        compression,
        output,
        output_dir,
        tables: clean(table),
        columns: clean(columns),
        include_metadata,
        no_metadata,
        force,
        no_features: no_include_features,
    };
    let report = export::export(settings, &name, &options, ui)?;
    if json {
        return ui::print_json(&report);
    }
    report_export(&report, ui);
    Ok(())
}

/// Says on stderr what an export wrote.
pub(crate) fn report_export(report: &ExportReport, ui: &Ui) {
    for file in &report.files {
        ui.message(&format!(
            "exported {}.{}: {} rows -> {}",
            report.dataset,
            file.table,
            file.rows,
            file.path.display()
        ));
    }
    if let Some(path) = &report.metadata_file {
        ui.message(&format!("metadata -> {}", path.display()));
    }
}
