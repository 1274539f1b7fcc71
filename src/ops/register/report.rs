//! What a registration tells the user along the way: what was not read
//! into a table.

use crate::ingest::plan::TablePlan;
use crate::ingest::rows::REJECTS_TABLE;
use crate::ui::Ui;

/// One line on what was not read into a table, when anything was not.
pub(super) fn report_read(plan: &TablePlan, ui: &Ui) {
    let layout = &plan.format.layout;
    let outcome = &plan.outcome;
    let mut parts = Vec::new();
    if layout.skip_rows > 0 {
        parts.push(format!(
            "skipped {} line(s) before the table",
            layout.skip_rows
        ));
    }
    if let Some(line) = outcome.ignored_from_line {
        parts.push(format!(
            "ignored lines from {line} on ({})",
            if outcome.more_tables {
                "another table; only the first is loaded"
            } else {
                "a footer"
            }
        ));
    }
    if outcome.rows_padded > 0 {
        parts.push(format!(
            "{} short row(s) padded with NULL",
            outcome.rows_padded
        ));
    }
    if outcome.rows_rejected > 0 {
        parts.push(format!(
            "{} row(s) kept in {REJECTS_TABLE}",
            outcome.rows_rejected
        ));
    }
    for (column, why) in &outcome.left_as_text {
        parts.push(format!("column '{column}' left as text: {why}"));
    }
    if !parts.is_empty() {
        ui.message(&format!(
            "{}: {}",
            plan.source.path.display(),
            parts.join("; ")
        ));
    }
}
