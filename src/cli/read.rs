//! The `register` flags that force how delimited files are read (each one
//! otherwise detected), their conversion to `ingest::dialect::ReadOptions`,
//! and the `read:` section of `dataset info` that shows what was used.

use clap::Args;

use crate::config::BadRows;
use crate::ingest::dialect::{self, Escape, ReadOptions};
use crate::model::spelling::Spelling;

/// A character, or `none` (clap reads `Option<Option<_>>` as an optional value).
#[derive(Clone, Copy, Debug)]
pub struct OrNone(Option<u8>);

#[derive(Debug, Args, Default)]
pub struct ReadOpt {
    /// Field delimiter: one character, `tab`, `space`, `, ` or `; ` (detected when omitted).
    #[arg(long, value_parser = dialect::parse_delimiter, help_heading = "Reading")]
    pub delimiter: Option<(u8, bool)>,
    /// Quote character: `"`, `'` or `none` (detected when omitted).
    #[arg(long, value_parser = |t: &str| dialect::parse_quote(t).map(OrNone), help_heading = "Reading")]
    pub quote: Option<OrNone>,
    /// How quotes are escaped inside quoted fields: `double` or `backslash`.
    #[arg(long, value_parser = super::parse_choice::<Escape>, help_heading = "Reading")]
    pub escape: Option<Escape>,
    /// Rows joined into the column names (0: the file has no header).
    #[arg(long, value_name = "N", help_heading = "Reading")]
    pub header_rows: Option<usize>,
    /// Lines skipped before the table (a preamble).
    #[arg(long, value_name = "N", help_heading = "Reading")]
    pub skip_rows: Option<u64>,
    /// Lines starting with this character are comments (`none`: no comments).
    #[arg(long, value_name = "CHAR", value_parser = |t: &str| dialect::parse_comment(t).map(OrNone), help_heading = "Reading")]
    pub comment: Option<OrNone>,
    /// Text encoding (utf-8, utf-16le, windows-1252, latin1, ...; detected when omitted).
    #[arg(long, value_parser = dialect::parse_encoding, help_heading = "Reading")]
    pub encoding: Option<&'static encoding_rs::Encoding>,
    /// Rows with too many or too few fields: `error` (default, validation.bad_rows),
    /// `skip` (kept in _rejects) or `pad` (short rows padded with NULL, long ones to _rejects).
    #[arg(long, value_parser = super::parse_choice::<BadRows>, help_heading = "Reading")]
    pub bad_rows: Option<BadRows>,
    /// Decimal separator of numbers: `,` or `.` (a decimal comma is detected per column
    /// in files not delimited by commas).
    #[arg(long, value_parser = dialect::parse_decimal, help_heading = "Reading")]
    pub decimal: Option<u8>,
    /// How a column's dates are written, as COLUMN=FORMAT with %d, %m, %b (month name),
    /// %Y and an optional time (`date=%d/%m/%Y`, `when=%m/%d/%Y %H:%M`); repeatable.
    /// Detected per column when every value decides it (a day above 12).
    #[arg(long, value_name = "COL=FORMAT", value_parser = dialect::parse_date_format, help_heading = "Reading")]
    pub date_format: Vec<(String, Spelling)>,
}

impl From<ReadOpt> for ReadOptions {
    fn from(opt: ReadOpt) -> Self {
        let ReadOpt {
            delimiter,
            quote,
            escape,
            header_rows,
            skip_rows,
            comment,
            encoding,
            bad_rows,
            decimal,
            date_format,
        } = opt;
        ReadOptions {
            delimiter,
            quote: quote.map(|q| q.0),
            escape,
            header_rows,
            skip_rows,
            comment: comment.map(|c| c.0),
            encoding,
            bad_rows,
            decimal,
            formats: date_format,
        }
    }
}

/// The `read:` section of `dataset info`: how each source file was read
/// (from `_metadata`'s `ingest` entry) and where its rows went.
pub fn render_ingest(ingest: Option<&serde_json::Value>) -> String {
    let Some(serde_json::Value::Object(tables)) = ingest else {
        return String::new();
    };
    let text_of = |value: &serde_json::Value| match value {
        serde_json::Value::String(s) => format!("'{s}'"),
        serde_json::Value::Null => "none".into(),
        other => other.to_string(),
    };
    let mut text = String::from("read:\n");
    for (table, read) in tables {
        let number = |key: &str| read[key].as_u64().unwrap_or(0);
        let mut facts = vec![
            read["encoding"].as_str().unwrap_or("-").to_string(),
            format!("delimiter {}", text_of(&read["delimiter"])),
            format!("quote {}", text_of(&read["quote"])),
            format!("escape {}", read["escape"].as_str().unwrap_or("-")),
            format!(
                "{} line endings",
                read["line_terminator"].as_str().unwrap_or("-")
            ),
            format!("header rows {}", number("header_rows")),
        ];
        if let Some(comment) = read["comment"].as_str() {
            facts.push(format!("comment '{comment}'"));
        }
        if number("skip_rows") > 0 {
            facts.push(format!(
                "lines 1-{} skipped before the table",
                number("skip_rows")
            ));
        }
        if read["trailing_delimiter"].as_bool() == Some(true) {
            facts.push("trailing delimiter".into());
        }
        if read["unnamed_first_column"].as_bool() == Some(true) {
            facts.push("unnamed first column".into());
        }
        if let Some(line) = read["ignored_from_line"].as_u64() {
            let what = if read["more_tables"].as_bool() == Some(true) {
                "another table"
            } else {
                "footer"
            };
            facts.push(format!("{what} from line {line} not loaded"));
        }
        if let Some(columns) = read["decimal_comma_columns"].as_array() {
            let names: Vec<&str> = columns.iter().filter_map(|c| c.as_str()).collect();
            facts.push(format!("decimal comma in {}", names.join(", ")));
        }
        if let Some(forced) = read["forced"].as_array().filter(|f| !f.is_empty()) {
            let names: Vec<&str> = forced.iter().filter_map(|c| c.as_str()).collect();
            facts.push(format!("forced: {}", names.join(", ")));
        }
        text.push_str(&format!(
            "  {table}: {} ({})\n",
            read["file"].as_str().unwrap_or("-"),
            facts.join(", ")
        ));
        let mut rows = format!(
            "    rows: {} loaded, {} padded, {} rejected (in _rejects), bad rows: {}",
            number("rows_loaded"),
            number("rows_padded"),
            number("rows_rejected"),
            read["bad_rows"].as_str().unwrap_or("error")
        );
        if number("skipped_lines") > 0 {
            rows.push_str(&format!(
                "; {} blank or comment line(s) skipped",
                number("skipped_lines")
            ));
        }
        text.push_str(&rows);
        text.push('\n');
        if let Some(serde_json::Value::Object(formats)) = read.get("formats") {
            // Decimal-comma columns are listed above already.
            let spelled: Vec<String> = formats
                .iter()
                .filter(|(_, f)| f.as_str() != Some("1234,5"))
                .map(|(column, f)| format!("{column} {}", f.as_str().unwrap_or("-")))
                .collect();
            if !spelled.is_empty() {
                text.push_str(&format!("    read as: {}\n", spelled.join(", ")));
            }
        }
        if let Some(serde_json::Value::Object(columns)) = read.get("left_as_text") {
            for (column, why) in columns {
                text.push_str(&format!(
                    "    left as text: {column}: {}\n",
                    why.as_str().unwrap_or("-")
                ));
            }
        }
    }
    text
}
