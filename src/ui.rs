//! Terminal output: messages on stderr, results on stdout (human tables or
//! JSON), progress bars that stay silent when stderr is not a terminal.

use std::io::{IsTerminal, Write};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::error::{Error, Result};

/// How much mdm says on stderr.
#[derive(Clone, Copy, Debug)]
pub struct Ui {
    pub quiet: bool,
    pub show_progress: bool,
}

impl Ui {
    /// A status message on stderr (suppressed by `--quiet`).
    pub fn message(&self, text: &str) {
        if !self.quiet {
            eprintln!("{text}");
        }
    }

    /// A warning on stderr (always shown).
    pub fn warn(&self, text: &str) {
        eprintln!("warning: {text}");
    }

    /// A byte-based progress bar, hidden unless stderr is a terminal.
    pub fn progress(&self, length: u64, prefix: &str) -> ProgressBar {
        self.bar(length, prefix, "{bytes}/{total_bytes} {bytes_per_sec}")
    }

    /// A row-based progress bar, hidden unless stderr is a terminal.
    pub fn progress_rows(&self, length: u64, prefix: &str) -> ProgressBar {
        self.bar(length, prefix, "{human_pos}/{human_len} rows {per_sec}")
    }

    /// Rows counted when their total is not known (a query's result),
    /// hidden unless stderr is a terminal.
    pub fn progress_rows_unknown(&self, prefix: &str) -> ProgressBar {
        if self.quiet || !self.show_progress || !std::io::stderr().is_terminal() {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{prefix:>14} {spinner} {human_pos} rows {per_sec} {msg}")
                .expect("valid template"),
        );
        bar.set_prefix(prefix.to_string());
        bar
    }

    /// A progress bar over named steps, hidden unless stderr is a terminal.
    pub fn progress_steps(&self, length: u64, prefix: &str) -> ProgressBar {
        self.bar(length, prefix, "{pos}/{len}")
    }

    fn bar(&self, length: u64, prefix: &str, counts: &str) -> ProgressBar {
        if self.quiet || !self.show_progress || !std::io::stderr().is_terminal() {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::with_draw_target(Some(length), ProgressDrawTarget::stderr());
        let template = format!("{{prefix:>14}} [{{bar:30}}] {counts} {{msg}}");
        bar.set_style(
            ProgressStyle::with_template(&template)
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.set_prefix(prefix.to_string());
        bar
    }
}

/// Writes `text` to stdout; a closed pipe (`mdm dataset list | head`) ends
/// the command quietly.
pub fn print(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|_| out.flush())
        .map_err(output_error)
}

/// Prints a value as pretty JSON on stdout.
pub fn print_json<T: serde::Serialize>(value: &T) -> Result<()> {
    let mut text = serde_json::to_string_pretty(value)
        .map_err(|e| Error::General(format!("cannot render JSON: {e}")))?;
    text.push('\n');
    print(&text)
}

fn output_error(err: std::io::Error) -> Error {
    if err.kind() == std::io::ErrorKind::BrokenPipe {
        Error::BrokenPipe
    } else {
        Error::General(format!("cannot write to standard output: {err}"))
    }
}

/// A plain-text table with aligned columns.
pub struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
    right_aligned: Vec<bool>,
}

impl Table {
    pub fn new(headers: &[&str]) -> Table {
        Table {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
            right_aligned: vec![false; headers.len()],
        }
    }

    /// Right-aligns the columns at `indexes` (numbers).
    pub fn align_right(mut self, indexes: &[usize]) -> Table {
        for &i in indexes {
            self.right_aligned[i] = true;
        }
        self
    }

    pub fn push(&mut self, row: Vec<String>) {
        self.rows.push(row);
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The table as text, one line per row, ending with a newline.
    pub fn render(&self) -> String {
        let width = |s: &str| s.chars().count();
        let mut widths: Vec<usize> = self.headers.iter().map(|h| width(h)).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate() {
                widths[i] = widths[i].max(width(cell));
            }
        }
        let mut out = String::new();
        let mut line = |cells: &[String]| {
            let mut text = String::new();
            for (i, cell) in cells.iter().enumerate() {
                let pad = widths[i] - width(cell);
                if i > 0 {
                    text.push_str("  ");
                }
                if self.right_aligned[i] {
                    text.push_str(&" ".repeat(pad));
                    text.push_str(cell);
                } else {
                    text.push_str(cell);
                    if i + 1 < cells.len() {
                        text.push_str(&" ".repeat(pad));
                    }
                }
            }
            out.push_str(text.trim_end());
            out.push('\n');
        };
        line(&self.headers);
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        line(&rule);
        for row in &self.rows {
            line(row);
        }
        out
    }
}

/// Human-readable byte count (KiB, MiB, ...).
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Asks a yes/no question on the terminal; false when stdin is not one.
pub fn confirm(question: &str) -> bool {
    if !std::io::stdin().is_terminal() {
        return false;
    }
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    if std::io::stdin().read_line(&mut answer).is_err() {
        return false;
    }
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}
