//! `--filter EXPR` of `dataset list` and `batch`: the original MDM's
//! filter language over a dataset's listing figures. Conditions are
//! `FIELD OP VALUE` with `=`, `!=`, `>`, `<`, `>=`, `<=`, `~` (glob) and `!~`,
//! joined by `AND` (binding tighter) and `OR`; values may be quoted. Dates
//! are ISO (`2024-06-01`, `2024-06-01T10:00`) or relative to now (`30days`,
//! `1week`, `6months`: that long ago).

use globset::GlobBuilder;

use super::listed::ListedDataset;
use crate::backend::record::ProblemType;
use crate::error::{Error, Result};

/// The fields a filter can name, with what each holds.
const FIELDS: &[&str] = &[
    "name",
    "problem_type",
    "target_column",
    "row_count",
    "column_count",
    "size_mb",
    "registered_at",
    "last_updated_at",
    "source",
    "has_test",
    "has_validation",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
    Glob,
    NotGlob,
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Word(String),
    Quoted(String),
    Op(Op),
}

#[derive(Clone, Debug)]
struct Condition {
    field: &'static str,
    op: Op,
    value: String,
}

/// A parsed filter: alternatives (`OR`) of conjunctions (`AND`).
#[derive(Clone, Debug)]
pub struct Filter {
    alternatives: Vec<Vec<Condition>>,
}

fn invalid(expression: &str, message: String) -> Error {
    Error::InvalidArgument(format!("--filter `{expression}`: {message}"))
}

fn tokens(expression: &str) -> Result<Vec<Token>> {
    let chars: Vec<char> = expression.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '"' || c == '\'' {
            let start = i + 1;
            let end = chars[start..]
                .iter()
                .position(|&d| d == c)
                .map(|p| start + p)
                .ok_or_else(|| invalid(expression, format!("the quote {c} is not closed")))?;
            tokens.push(Token::Quoted(chars[start..end].iter().collect()));
            i = end + 1;
        } else if "=!<>~".contains(c) {
            let next = chars.get(i + 1).copied();
            let (op, width) = match (c, next) {
                ('!', Some('=')) => (Op::Ne, 2),
                ('!', Some('~')) => (Op::NotGlob, 2),
                ('>', Some('=')) => (Op::Ge, 2),
                ('<', Some('=')) => (Op::Le, 2),
                ('=', Some('=')) => (Op::Eq, 2),
                ('=', _) => (Op::Eq, 1),
                ('>', _) => (Op::Gt, 1),
                ('<', _) => (Op::Lt, 1),
                ('~', _) => (Op::Glob, 1),
                _ => {
                    return Err(invalid(
                        expression,
                        format!("'{c}' is not an operator (use =, !=, >, <, >=, <=, ~ or !~)"),
                    ))
                }
            };
            tokens.push(Token::Op(op));
            i += width;
        } else {
            let start = i;
            while i < chars.len() && !chars[i].is_whitespace() && !"=!<>~\"'".contains(chars[i]) {
                i += 1;
            }
            tokens.push(Token::Word(chars[start..i].iter().collect()));
        }
    }
    Ok(tokens)
}

impl Filter {
    /// Parses `expression`; an error names the word where it went wrong.
    pub fn parse(expression: &str) -> Result<Filter> {
        let tokens = tokens(expression)?;
        if tokens.is_empty() {
            return Err(invalid(expression, "the expression is empty".into()));
        }
        let mut alternatives = vec![Vec::new()];
        let mut i = 0;
        loop {
            let field = match tokens.get(i) {
                Some(Token::Word(word)) => {
                    let lower = word.to_ascii_lowercase();
                    *FIELDS.iter().find(|f| **f == lower).ok_or_else(|| {
                        invalid(
                            expression,
                            format!("unknown field '{word}' (fields: {})", FIELDS.join(", ")),
                        )
                    })?
                }
                Some(other) => {
                    return Err(invalid(
                        expression,
                        format!("expected a field at {}", describe(other)),
                    ))
                }
                None => {
                    return Err(invalid(
                        expression,
                        "a condition is missing at the end".into(),
                    ))
                }
            };
            let op = match tokens.get(i + 1) {
                Some(Token::Op(op)) => *op,
                Some(other) => {
                    return Err(invalid(
                        expression,
                        format!(
                            "expected an operator after '{field}', found {}",
                            describe(other)
                        ),
                    ))
                }
                None => {
                    return Err(invalid(
                        expression,
                        format!("'{field}' needs an operator and a value"),
                    ))
                }
            };
            let value = match tokens.get(i + 2) {
                Some(Token::Word(v)) | Some(Token::Quoted(v)) => v.clone(),
                _ => return Err(invalid(expression, format!("'{field}' needs a value"))),
            };
            check_value(expression, field, op, &value)?;
            alternatives
                .last_mut()
                .expect("one alternative at least")
                .push(Condition { field, op, value });
            i += 3;
            match tokens.get(i) {
                None => break,
                Some(Token::Word(word)) if word.eq_ignore_ascii_case("and") => i += 1,
                Some(Token::Word(word)) if word.eq_ignore_ascii_case("or") => {
                    alternatives.push(Vec::new());
                    i += 1;
                }
                Some(other) => {
                    return Err(invalid(
                        expression,
                        format!("expected AND or OR at {}", describe(other)),
                    ))
                }
            }
        }
        Ok(Filter { alternatives })
    }

    /// Whether `dataset` passes, with `now` in microseconds since 1970.
    pub fn matches(&self, dataset: &ListedDataset, now: i64) -> bool {
        self.alternatives
            .iter()
            .any(|all| all.iter().all(|c| c.matches(dataset, now)))
    }
}

fn describe(token: &Token) -> String {
    match token {
        Token::Word(w) => format!("'{w}'"),
        Token::Quoted(q) => format!("\"{q}\""),
        Token::Op(_) => "an operator".into(),
    }
}

enum Kind {
    Text,
    Number,
    Time,
    Flag,
}

fn kind(field: &str) -> Kind {
    match field {
        "row_count" | "column_count" | "size_mb" => Kind::Number,
        "registered_at" | "last_updated_at" => Kind::Time,
        "has_test" | "has_validation" => Kind::Flag,
        _ => Kind::Text,
    }
}

fn check_value(expression: &str, field: &str, op: Op, value: &str) -> Result<()> {
    let ordering = matches!(op, Op::Gt | Op::Lt | Op::Ge | Op::Le);
    let globbing = matches!(op, Op::Glob | Op::NotGlob);
    match kind(field) {
        Kind::Number if globbing => Err(invalid(expression, format!("'{field}' is a number; use =, !=, >, <, >= or <="))),
        Kind::Number => value.parse::<f64>().map(|_| ()).map_err(|_| {
            invalid(expression, format!("'{value}' is not a number (for '{field}')"))
        }),
        Kind::Time if globbing => Err(invalid(expression, format!("'{field}' is a date; use =, !=, >, <, >= or <="))),
        Kind::Time => time_value(value, 0).map(|_| ()).ok_or_else(|| {
            invalid(
                expression,
                format!("'{value}' is not a date (use 2024-06-01, 2024-06-01T10:00 or 30days, 1week, 6months)"),
            )
        }),
        Kind::Flag if ordering || globbing => Err(invalid(expression, format!("'{field}' is true or false; use = or !="))),
        Kind::Flag => flag(value).map(|_| ()).ok_or_else(|| {
            invalid(expression, format!("'{value}' is not true or false (for '{field}')"))
        }),
        Kind::Text if ordering => Err(invalid(expression, format!("'{field}' is text; use =, !=, ~ or !~"))),
        Kind::Text if globbing => GlobBuilder::new(value)
            .case_insensitive(true)
            .build()
            .map(|_| ())
            .map_err(|e| invalid(expression, format!("'{value}': {e}"))),
        Kind::Text => Ok(()),
    }
}

fn flag(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" => Some(true),
        "false" | "no" | "0" => Some(false),
        _ => None,
    }
}

/// A date or timestamp in microseconds: ISO, or `N` units before `now`.
fn time_value(value: &str, now: i64) -> Option<i64> {
    if let Some(days) = crate::time::parse_date(value) {
        return Some(days as i64 * 86_400_000_000);
    }
    if let Some(micros) = crate::time::parse_datetime(value) {
        return Some(micros);
    }
    let split = value.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = value.split_at(split);
    let number: i64 = number.parse().ok()?;
    let hours = match unit.trim().to_ascii_lowercase().as_str() {
        "h" | "hour" | "hours" => 1,
        "d" | "day" | "days" => 24,
        "w" | "week" | "weeks" => 24 * 7,
        "m" | "month" | "months" => 24 * 30,
        "y" | "year" | "years" => 24 * 365,
        _ => return None,
    };
    Some(now - number * hours * 3_600_000_000)
}

impl Condition {
    fn matches(&self, dataset: &ListedDataset, now: i64) -> bool {
        let record = &dataset.record;
        let annotations = &record.annotations;
        match kind(self.field) {
            Kind::Text => {
                let have: Option<&str> = match self.field {
                    "name" => Some(record.name.as_str()),
                    "problem_type" => annotations.problem_type.map(|p| p.as_str()),
                    "target_column" => annotations.target.as_deref(),
                    _ => annotations.data_source.as_deref(),
                };
                let equal = |have: &str| {
                    if self.field == "problem_type" {
                        let wanted: Option<ProblemType> = self.value.parse().ok();
                        let have: Option<ProblemType> = have.parse().ok();
                        matches!((have, wanted), (Some(h), Some(w)) if h.is_a(w))
                    } else {
                        have.eq_ignore_ascii_case(&self.value)
                    }
                };
                let glob = || {
                    GlobBuilder::new(&self.value)
                        .case_insensitive(true)
                        .build()
                        .map(|g| g.compile_matcher())
                        .ok()
                };
                let globbed = |have: &str| glob().is_some_and(|matcher| matcher.is_match(have));
                match self.op {
                    Op::Eq => have.is_some_and(equal),
                    Op::Ne => !have.is_some_and(equal),
                    Op::Glob => have.is_some_and(globbed),
                    Op::NotGlob => !have.is_some_and(globbed),
                    _ => false,
                }
            }
            Kind::Number => {
                let have = match self.field {
                    "row_count" => dataset.rows as f64,
                    "column_count" => record
                        .tables
                        .iter()
                        .find(|t| t.name == "train")
                        .or(record.tables.first())
                        .map_or(0.0, |t| t.columns as f64),
                    _ => dataset.size_bytes.unwrap_or(0) as f64 / (1024.0 * 1024.0),
                };
                let wanted: f64 = self.value.parse().unwrap_or(f64::NAN);
                compare(self.op, have.partial_cmp(&wanted))
            }
            Kind::Time => {
                let stamp = if self.field == "registered_at" {
                    &record.created_at
                } else {
                    &record.updated_at
                };
                let have = crate::time::parse_datetime(stamp);
                let wanted = time_value(&self.value, now);
                match (have, wanted) {
                    (Some(have), Some(wanted)) => compare(self.op, Some(have.cmp(&wanted))),
                    _ => false,
                }
            }
            Kind::Flag => {
                let table = if self.field == "has_test" {
                    "test"
                } else {
                    "validation"
                };
                let have = record.table(table).is_some();
                let wanted = flag(&self.value).unwrap_or(false);
                match self.op {
                    Op::Eq => have == wanted,
                    Op::Ne => have != wanted,
                    _ => false,
                }
            }
        }
    }
}

fn compare(op: Op, ordering: Option<std::cmp::Ordering>) -> bool {
    use std::cmp::Ordering::*;
    match (op, ordering) {
        (_, None) => false,
        (Op::Eq, Some(o)) => o == Equal,
        (Op::Ne, Some(o)) => o != Equal,
        (Op::Gt, Some(o)) => o == Greater,
        (Op::Lt, Some(o)) => o == Less,
        (Op::Ge, Some(o)) => o != Less,
        (Op::Le, Some(o)) => o != Greater,
        _ => false,
    }
}

/// The records that pass `expression` (all of them without one); none
/// passing is "not found" (exit 3).
pub fn select(
    settings: &crate::config::Settings,
    records: Vec<crate::backend::record::DatasetRecord>,
    expression: Option<&str>,
) -> Result<Vec<crate::backend::record::DatasetRecord>> {
    let Some(expression) = expression else {
        return Ok(records);
    };
    let filter = Filter::parse(expression)?;
    let now = now_micros();
    let kept: Vec<_> = super::listed::with_sizes(settings, records)
        .into_iter()
        .filter(|d| filter.matches(d, now))
        .map(|d| d.record)
        .collect();
    if kept.is_empty() {
        return Err(Error::NotFound(format!(
            "no dataset matches --filter `{expression}`"
        )));
    }
    Ok(kept)
}

/// Microseconds since 1970 now.
pub fn now_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_expressions_name_the_offending_word() {
        let error = |e: &str| Filter::parse(e).unwrap_err().to_string();
        assert!(error("rows > 5").contains("unknown field 'rows'"));
        assert!(error("row_count >> 5").contains("'row_count' needs a value"));
        assert!(error("row_count > many").contains("'many' is not a number"));
        assert!(error("name = a OR").contains("missing at the end"));
        assert!(error("name = a XOR name = b").contains("expected AND or OR at 'XOR'"));
        assert!(error("registered_at > lately").contains("'lately' is not a date"));
        assert!(error("name > a").contains("is text"));
        assert!(error("has_test = maybe").contains("not true or false"));
        assert!(error("name = \"open").contains("not closed"));
        assert!(Filter::parse("name ~ 'sales_*' AND row_count>=10 OR has_test=true").is_ok());
    }

    #[test]
    fn relative_dates_count_back_from_now() {
        let now = 1_000 * 86_400_000_000;
        assert_eq!(time_value("30days", now), Some(now - 30 * 86_400_000_000));
        assert_eq!(time_value("1week", now), Some(now - 7 * 86_400_000_000));
        assert_eq!(
            time_value("2024-06-01", now),
            crate::time::parse_date("2024-06-01").map(|d| d as i64 * 86_400_000_000)
        );
    }
}
