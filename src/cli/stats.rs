//! `mdm dataset stats`: the clap struct, and the text rendering of a
//! statistics report (also used by `batch stats`).

use clap::Args;

use super::clean;
use crate::config::Settings;
use crate::error::Result;
use crate::ops::stats::{self, ColumnReport, StatsOptions, StatsReport};
use crate::ui::{self, Table};

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
    /// The recorded time column as a series: its range, most common step (frequency),
    /// missing steps and rows per time.
    #[arg(long, conflicts_with_all = ["columns", "extended", "refresh"])]
    pub time: bool,
}

/// Prints the statistics of one table as text or JSON.
pub fn run(settings: &Settings, opt: StatsOpt) -> Result<()> {
    let StatsOpt {
        name,
        table,
        columns,
        extended,
        refresh,
        json,
        time,
    } = opt;
    if time {
        let report = crate::ops::timeline::time_report(settings, &name, &table)?;
        if json {
            return ui::print_json(&report);
        }
        return ui::print(&render_time(&report));
    }
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

/// The text of `stats --time`.
fn render_time(report: &crate::ops::timeline::TimeReport) -> String {
    let dash = |value: &Option<String>| value.clone().unwrap_or_else(|| "-".into());
    let mut text = format!(
        "{}.{} time column '{}' ({}): {} rows, {} without a time\n",
        report.dataset,
        report.table,
        report.column,
        report.column_type.as_str(),
        report.rows,
        report.nulls
    );
    text.push_str(&format!(
        "range:         {} .. {} ({} distinct times)\n",
        dash(&report.first),
        dash(&report.last),
        report.times
    ));
    text.push_str(&format!("step:          {}\n", dash(&report.step)));
    text.push_str(&format!("missing steps: {}", report.missing_steps));
    if !report.first_missing.is_empty() {
        text.push_str(&format!(
            " (first: {}{})",
            report.first_missing.join(", "),
            if report.missing_steps as usize > report.first_missing.len() {
                ", ..."
            } else {
                ""
            }
        ));
    }
    text.push('\n');
    if let Some(per) = &report.rows_per_time {
        text.push_str(&format!(
            "rows per time: {} min, {} mean, {} max\n",
            per.min,
            number(per.mean),
            per.max
        ));
    }
    text
}

/// A number for humans: integers without decimals, others with up to six.
fn number(value: f64) -> String {
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
