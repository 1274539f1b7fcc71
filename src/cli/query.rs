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
    file: Option<(PathBuf, PathBuf)>,
}

impl Output {
    fn open(target: Option<&Path>) -> Result<Output> {
        let Some(target) = target else {
            return Ok(Output {
                writer: Some(Box::new(std::io::BufWriter::new(std::io::stdout().lock()))),
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
            file: Some((temporary, target.to_path_buf())),
        })
    }

    fn write(&mut self, bytes: &[u8]) -> Result<()> {
        let path = self.path();
        self.writer
            .as_mut()
            .expect("open until finished")
            .write_all(bytes)
            .map_err(|e| Error::io(&path, "write", e))
    }

    fn path(&self) -> PathBuf {
        self.file
            .as_ref()
            .map_or_else(|| PathBuf::from("standard output"), |(_, t)| t.clone())
    }

    fn finish(mut self) -> Result<()> {
        let path = self.path();
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

fn json_of(value: &Value) -> serde_json::Value {
    match value {
        Value::Null => serde_json::Value::Null,
        Value::Integer(i) => (*i).into(),
        Value::Float(f) => {
            serde_json::Number::from_f64(*f).map_or(serde_json::Value::Null, Into::into)
        }
        Value::Text(t) => t.clone().into(),
    }
}

/// What the row callbacks share: the output once the statement has run.
struct Rows {
    format: QueryFormat,
    out: Option<Output>,
    names: Vec<String>,
    table: Option<Table>,
    count: u64,
}

impl Rows {
    fn start(&mut self, names: &[String], target: Option<&Path>) -> Result<()> {
        self.names = names.to_vec();
        let mut out = Output::open(target)?;
        match self.format {
            QueryFormat::Table => {
                let headers: Vec<&str> = self.names.iter().map(String::as_str).collect();
                self.table = Some(Table::new(&headers));
            }
            QueryFormat::Csv => out.write(&csv_line(self.names.iter().cloned())?)?,
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
            QueryFormat::Csv => out.write(&csv_line(row.iter().map(text_of))?)?,
            QueryFormat::Json => {
                let object: serde_json::Map<String, serde_json::Value> = self
                    .names
                    .iter()
                    .cloned()
                    .zip(row.iter().map(json_of))
                    .collect();
                let text =
                    serde_json::to_string(&object).map_err(|e| Error::General(e.to_string()))?;
                out.write(if self.count == 0 { b"\n" } else { b",\n" })?;
                out.write(text.as_bytes())?;
            }
        }
        self.count += 1;
        Ok(())
    }
}

/// One CSV record, quoted as needed.
fn csv_line(fields: impl Iterator<Item = String>) -> Result<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record(fields)
        .map_err(|e| Error::General(e.to_string()))?;
    writer
        .into_inner()
        .map_err(|e| Error::General(e.to_string()))
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
        names: Vec::new(),
        table: None,
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
