//! `mdm dataset query`: one read-only SQL statement on a dataset's own
//! database, whatever its backend; the rows as a table, CSV or JSON on
//! stdout or in a file.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;

use super::parse_choice;
use crate::config::Settings;
use crate::error::{Error, Result};
use crate::model::Value;
use crate::ops::load;
use crate::ui::Table;

choice!(
    /// How `dataset query` writes its rows.
    QueryFormat { Table => "table", Csv => "csv", Json => "json" }
);

#[derive(Debug, Args)]
pub struct QueryOpt {
    pub name: String,
    /// One statement that only reads (SELECT, WITH, VALUES, EXPLAIN, ...); tables are
    /// `train`, `test`, `train_features`, ... as `dataset info` lists them.
    pub sql: String,
    /// `table` (aligned, for reading; the rows are collected first), `csv` or `json`
    /// (an array of objects); csv and json stream row by row.
    #[arg(long, value_parser = parse_choice::<QueryFormat>, default_value = "table")]
    pub format: QueryFormat,
    /// Write the rows to this file (created when the statement has run; replaced if it
    /// exists) instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Where the rows go: standard output, or a temporary file renamed into
/// place when every row is written.
struct Output {
    writer: Option<Box<dyn Write>>,
    /// What errors name: the file, or standard output.
    label: PathBuf,
    file: Option<(PathBuf, PathBuf)>,
}

impl Output {
    fn open(target: Option<&Path>) -> Result<Output> {
        let Some(target) = target else {
            return Ok(Output {
                writer: Some(Box::new(std::io::BufWriter::new(std::io::stdout().lock()))),
                label: PathBuf::from("standard output"),
                file: None,
            });
        };
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "query".into());
        let temporary = target.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
        let file =
            std::fs::File::create(&temporary).map_err(|e| Error::io(&temporary, "create", e))?;
        Ok(Output {
            writer: Some(Box::new(std::io::BufWriter::new(file))),
            label: target.to_path_buf(),
            file: Some((temporary, target.to_path_buf())),
        })
    }

    fn write(&mut self, bytes: &[u8]) -> Result<()> {
        let label = &self.label;
        self.writer
            .as_mut()
            .expect("open until finished")
            .write_all(bytes)
            .map_err(|e| Error::io(label, "write", e))
    }

    fn finish(mut self) -> Result<()> {
        let path = self.label.clone();
        let mut writer = self.writer.take().expect("open until finished");
        writer.flush().map_err(|e| Error::io(&path, "write", e))?;
        drop(writer);
        if let Some((temporary, target)) = self.file.take() {
            std::fs::rename(&temporary, &target).map_err(|e| Error::io(&target, "write", e))?;
        }
        Ok(())
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        if let Some((temporary, _)) = &self.file {
            let _ = std::fs::remove_file(temporary);
        }
    }
}

fn text_of(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::Integer(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Text(t) => t.clone(),
    }
}

/// What the row callbacks share: the output once the statement has run.
struct Rows {
    format: QueryFormat,
    out: Option<Output>,
    /// JSON: each column's name as a JSON string and a colon, written once.
    keys: Vec<String>,
    table: Option<Table>,
    /// The text of one row, reused from row to row.
    line: String,
    count: u64,
}

impl Rows {
    fn start(&mut self, names: &[String], target: Option<&Path>) -> Result<()> {
        self.keys = names
            .iter()
            .map(|n| serde_json::to_string(n).expect("strings serialize") + ":")
            .collect();
        let mut out = Output::open(target)?;
        match self.format {
            QueryFormat::Table => {
                let headers: Vec<&str> = names.iter().map(String::as_str).collect();
                self.table = Some(Table::new(&headers));
            }
            QueryFormat::Csv => {
                self.line.clear();
                for (index, name) in names.iter().enumerate() {
                    push_csv(&mut self.line, index, name);
                }
                self.line.push('\n');
                out.write(self.line.as_bytes())?;
            }
            QueryFormat::Json => out.write(b"[")?,
        }
        self.out = Some(out);
        Ok(())
    }

    fn push(&mut self, row: &[Value]) -> Result<()> {
        let out = self.out.as_mut().expect("opened with the columns");
        match self.format {
            QueryFormat::Table => self
                .table
                .as_mut()
                .expect("created with the columns")
                .push(row.iter().map(text_of).collect()),
            QueryFormat::Csv => {
                self.line.clear();
                for (index, value) in row.iter().enumerate() {
                    match value {
                        Value::Null => push_csv(&mut self.line, index, ""),
                        Value::Integer(i) => {
                            push_csv(&mut self.line, index, itoa::Buffer::new().format(*i))
                        }
                        Value::Float(f) => push_csv(&mut self.line, index, &f.to_string()),
                        Value::Text(t) => push_csv(&mut self.line, index, t),
                    }
                }
                // A lone empty field is quoted, so the line is not blank.
                if row.len() == 1 && self.line.is_empty() {
                    self.line.push_str("\"\"");
                }
                self.line.push('\n');
                out.write(self.line.as_bytes())?;
            }
            QueryFormat::Json => {
                self.line.clear();
                self.line
                    .push_str(if self.count == 0 { "\n{" } else { ",\n{" });
                for (index, (key, value)) in self.keys.iter().zip(row).enumerate() {
                    if index > 0 {
                        self.line.push(',');
                    }
                    self.line.push_str(key);
                    push_json(&mut self.line, value);
                }
                self.line.push('}');
                out.write(self.line.as_bytes())?;
            }
        }
        self.count += 1;
        Ok(())
    }
}

/// Appends field number `index` of a CSV record, quoted (quotes doubled)
/// when it holds a comma, a quote or a line break.
fn push_csv(line: &mut String, index: usize, field: &str) {
    if index > 0 {
        line.push(',');
    }
    if field.contains([',', '"', '\n', '\r']) {
        line.push('"');
        line.push_str(&field.replace('"', "\"\""));
        line.push('"');
    } else {
        line.push_str(field);
    }
}

/// A value as JSON: numbers as numbers (a non-finite float as null), text
/// as a string.
fn push_json(line: &mut String, value: &Value) {
    match value {
        Value::Null => line.push_str("null"),
        Value::Integer(i) => line.push_str(itoa::Buffer::new().format(*i)),
        Value::Float(f) if f.is_finite() => line.push_str(ryu::Buffer::new().format(*f)),
        Value::Float(_) => line.push_str("null"),
        Value::Text(t) => line.push_str(&serde_json::to_string(t).expect("strings serialize")),
    }
}

/// Runs the statement and writes its rows.
pub fn run(settings: &Settings, opt: QueryOpt) -> Result<()> {
    let QueryOpt {
        name,
        sql,
        format,
        output,
    } = opt;
    let rows = std::cell::RefCell::new(Rows {
        format,
        out: None,
        keys: Vec::new(),
        table: None,
        line: String::new(),
        count: 0,
    });
    load::query_rows(
        settings,
        &name,
        &sql,
        &mut |names| rows.borrow_mut().start(names, output.as_deref()),
        &mut |row| rows.borrow_mut().push(row),
    )?;
    let mut rows = rows.into_inner();
    let mut out = match rows.out.take() {
        Some(out) => out,
        // A driver may report no result set at all: no columns, no rows.
        None => {
            rows.start(&[], output.as_deref())?;
            rows.out.take().expect("opened just now")
        }
    };
    match format {
        QueryFormat::Table => {
            if let Some(table) = rows.table {
                out.write(table.render().as_bytes())?;
            }
        }
        QueryFormat::Csv => {}
        QueryFormat::Json => out.write(if rows.count == 0 { b"]\n" } else { b"\n]\n" })?,
    }
    out.finish()
}
