//! A SQL query on an ODBC data source as the source of a table
//! (`register --odbc CONNECTION --query SQL`): the connection string and
//! its redaction (passwords never leave memory), the `--table` shorthand,
//! the split read over several connections (`--split-by`). The reader is
//! `query_odbc`, behind the `odbc` feature.

use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};

use crate::backend::record::{QueryRecord, QuerySourceRecord};
use crate::error::{Error, Result};

/// The environment variable holding the source's password (read at
/// register and at refresh; never stored).
pub const PASSWORD_VARIABLE: &str = "MDM_SOURCE_PASSWORD";

/// What stands for a password in recorded connection strings.
pub const REDACTED: &str = "***";

/// One query on one ODBC source, for one table.
#[derive(Clone, PartialEq, Eq)]
pub struct QuerySource {
    /// The connection string as given (it may hold a password: never
    /// printed, logged or stored; see [`redact_connection`]).
    pub connection: String,
    pub sql: String,
    /// Read in ranges of this column over several connections at once.
    pub split: Option<Split>,
    /// What the source said about each column when the query was described.
    pub described: Arc<OnceLock<Vec<SourceColumn>>>,
}

/// `--split-by COLUMN --parallel N`: a query read as `parallel` ranges of
/// one integer, date or timestamp column, each over its own connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Split {
    /// As the query's result names it.
    pub column: String,
    /// Ranges, and so connections, read at once.
    pub parallel: usize,
}

/// Ranges read at once when `--split-by` names no `--parallel`: one per
/// CPU, at most 4 (each range also costs the source a query of its own).
pub fn default_parallel() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().clamp(1, 4))
}

/// The most ranges (and connections) `--parallel` accepts.
pub const MAX_PARALLEL: usize = 64;

impl std::fmt::Debug for QuerySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QuerySource")
            .field("connection", &redact_connection(&self.connection))
            .field("sql", &self.sql)
            .field("split", &self.split)
            .finish()
    }
}

impl QuerySource {
    pub fn new(connection: &str, sql: &str) -> QuerySource {
        QuerySource {
            connection: connection.to_string(),
            sql: sql.to_string(),
            split: None,
            described: Arc::default(),
        }
    }

    /// `text` with every password of the connection replaced, on one line.
    pub fn redact(&self, text: &str) -> String {
        let mut one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for secret in secrets(&self.connection) {
            one_line = one_line.replace(&secret, REDACTED);
        }
        one_line
    }
}

/// `register --odbc`: one connection and a query per table.
#[derive(Clone, Debug, Default)]
pub struct OdbcSource {
    /// As given (with `MDM_SOURCE_PASSWORD` added where it names none).
    pub connection: String,
    /// `(table, SQL)` in table order, train first.
    pub queries: Vec<(String, String)>,
    /// Every query read in ranges of this column (`--split-by`).
    pub split: Option<Split>,
}

impl OdbcSource {
    /// The tables to read, as sources for the typed path.
    pub fn sources(&self) -> Vec<super::SourceFile> {
        self.queries
            .iter()
            .map(|(table, sql)| {
                let label = std::path::PathBuf::from(format!("odbc query for {table}"));
                super::SourceFile {
                    table: table.clone(),
                    path: label.clone(),
                    origin: label,
                    reader: super::ReaderKind::Query(Box::new(QuerySource {
                        split: self.split.clone(),
                        ..QuerySource::new(&self.connection, sql)
                    })),
                }
            })
            .collect()
    }
}

/// What is recorded of a query source: the discovery file gets the
/// connection (redacted), queries, row counts and the split; `_metadata`
/// also the source's column types.
pub fn record(
    connection: &str,
    tables: &[(&super::SourceFile, u64)],
) -> (QuerySourceRecord, serde_json::Value) {
    let split = tables.iter().find_map(|(source, _)| match &source.reader {
        super::ReaderKind::Query(query) => query.split.as_ref(),
        _ => None,
    });
    let record = QuerySourceRecord {
        connection: redact_connection(connection),
        queries: tables
            .iter()
            .filter_map(|(source, rows)| match &source.reader {
                super::ReaderKind::Query(query) => Some(QueryRecord {
                    table: source.table.clone(),
                    query: query.sql.clone(),
                    rows: *rows,
                }),
                _ => None,
            })
            .collect(),
        read_at: crate::time::now_rfc3339(),
        split_by: split.map(|s| s.column.clone()),
        parallel: split.map(|s| s.parallel),
    };
    let mut value = serde_json::to_value(&record).unwrap_or_default();
    let columns: serde_json::Map<String, serde_json::Value> = tables
        .iter()
        .filter_map(|(source, _)| match &source.reader {
            super::ReaderKind::Query(query) => Some((
                source.table.clone(),
                serde_json::to_value(query.described.get().cloned().unwrap_or_default())
                    .unwrap_or_default(),
            )),
            _ => None,
        })
        .collect();
    value["columns"] = serde_json::Value::Object(columns);
    (record, value)
}

/// A result column as the source described it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceColumn {
    pub name: String,
    /// The ODBC SQL type (`DECIMAL(12,2)`, `VARCHAR(40)`, ...).
    pub source_type: String,
    /// Digits after the point of an exact decimal stored as a float:
    /// formatting the stored value with this many digits gives the
    /// source's value back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<i16>,
    /// How a type without an exact counterpart was stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Whether a connection attribute holds a secret: `PWD`, `Password` and
/// anything with `pwd` or `password` in its name.
fn is_secret_key(key: &str) -> bool {
    let key = key.trim().to_ascii_lowercase();
    key.contains("pwd") || key.contains("password")
}

/// Splits a connection string into `(key, value)` pairs, values unquoted
/// (`{...}` with `}}` for `}`).
pub fn attributes(connection: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut rest = connection;
    while !rest.trim().is_empty() {
        let Some(eq) = rest.find('=') else {
            pairs.push((rest.trim().to_string(), String::new()));
            break;
        };
        let key = rest[..eq].trim().to_string();
        let after = &rest[eq + 1..];
        let (value, remainder) = if after.trim_start().starts_with('{') {
            let start = after.find('{').unwrap_or(0) + 1;
            let mut value = String::new();
            let mut chars = after[start..].char_indices().peekable();
            let mut end = after.len();
            while let Some((i, c)) = chars.next() {
                if c == '}' {
                    if chars.peek().map(|(_, n)| *n) == Some('}') {
                        value.push('}');
                        chars.next();
                    } else {
                        end = start + i + 1;
                        break;
                    }
                } else {
                    value.push(c);
                }
            }
            let tail = &after[end.min(after.len())..];
            (value, tail.find(';').map_or("", |i| &tail[i + 1..]))
        } else {
            match after.find(';') {
                Some(i) => (after[..i].to_string(), &after[i + 1..]),
                None => (after.to_string(), ""),
            }
        };
        pairs.push((key, value));
        rest = remainder;
    }
    pairs
}

fn join(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", crate::store::quote_odbc_value(v)))
        .collect::<Vec<_>>()
        .join(";")
}

/// The passwords in a connection string (and the one in the environment).
fn secrets(connection: &str) -> Vec<String> {
    let mut found: Vec<String> = attributes(connection)
        .into_iter()
        .filter(|(k, v)| is_secret_key(k) && !v.is_empty() && v != REDACTED)
        .map(|(_, v)| v)
        .collect();
    if let Ok(password) = std::env::var(PASSWORD_VARIABLE) {
        if !password.is_empty() {
            found.push(password);
        }
    }
    // Longest first, so that a password containing another is hidden whole.
    found.sort_by_key(|s| std::cmp::Reverse(s.len()));
    found
}

/// The connection string with every secret attribute's value as `***`:
/// what is recorded and shown.
pub fn redact_connection(connection: &str) -> String {
    let pairs: Vec<(String, String)> = attributes(connection)
        .into_iter()
        .map(|(k, v)| {
            if is_secret_key(&k) {
                (k, REDACTED.to_string())
            } else {
                (k, v)
            }
        })
        .collect();
    join(&pairs)
}

/// Whether a recorded connection had a password taken out.
pub fn needs_password(recorded: &str) -> bool {
    attributes(recorded)
        .iter()
        .any(|(k, v)| is_secret_key(k) && v == REDACTED)
}

/// A recorded connection with its redacted password(s) put back.
pub fn with_password(recorded: &str, password: &str) -> String {
    let pairs: Vec<(String, String)> = attributes(recorded)
        .into_iter()
        .map(|(k, v)| {
            if is_secret_key(&k) && v == REDACTED {
                (k, password.to_string())
            } else {
                (k, v)
            }
        })
        .collect();
    join(&pairs)
}

/// A connection as given on the command line, with `MDM_SOURCE_PASSWORD`
/// added as `PWD` when the string names no password of its own (a DSN
/// whose password is in `odbc.ini` needs none).
pub fn connection_with_environment(connection: &str) -> String {
    match std::env::var(PASSWORD_VARIABLE) {
        Ok(password)
            if !password.is_empty()
                && !attributes(connection).iter().any(|(k, _)| is_secret_key(k)) =>
        {
            let mut pairs = attributes(connection);
            pairs.push(("PWD".into(), password));
            join(&pairs)
        }
        _ => connection.to_string(),
    }
}

/// `SELECT * FROM` a `--table` name: only plain identifiers
/// (`schema.table`, letters, digits and `_`) are accepted, so the name
/// needs no quoting in any SQL dialect and cannot carry SQL.
pub fn table_query(table: &str) -> Result<String> {
    let plain = |part: &str| {
        !part.is_empty()
            && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !part.starts_with(|c: char| c.is_ascii_digit())
    };
    if table.split('.').count() > 3 || !table.split('.').all(plain) {
        return Err(Error::InvalidArgument(format!(
            "--table: `{table}` is not a plain [catalog.][schema.]table name (letters, digits, _); give --query 'SELECT * FROM ...' with the name quoted as the source needs"
        )));
    }
    Ok(format!("SELECT * FROM {table}"))
}

/// The SQL of `--query`: the text, or the file after `@`.
pub fn query_text(flag: &str, value: &str) -> Result<String> {
    let sql = match value.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path).map_err(|e| {
            Error::InvalidArgument(format!("{flag}: cannot read the query file {path}: {e}"))
        })?,
        None => value.to_string(),
    };
    let sql = sql.trim().trim_end_matches(';').trim().to_string();
    if sql.is_empty() {
        return Err(Error::InvalidArgument(format!(
            "{flag}: the query is empty"
        )));
    }
    Ok(sql)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_password_attribute_is_redacted() {
        let given = "DSN=w;UID=u;PWD={se;cr}}et};Password=p2;SSLKeyPwd=p3;Server=h";
        let redacted = redact_connection(given);
        assert_eq!(
            redacted,
            "DSN=w;UID=u;PWD=***;Password=***;SSLKeyPwd=***;Server=h"
        );
        assert!(needs_password(&redacted));
        let source = QuerySource::new(given, "SELECT 1");
        assert_eq!(source.redact("bad se;cr}et and\np2"), "bad *** and ***");
        assert_eq!(
            attributes(&with_password(&redacted, "x;y"))[2],
            ("PWD".to_string(), "x;y".to_string())
        );
    }

    #[test]
    fn table_names_must_be_plain() {
        assert_eq!(table_query("s.t_1").unwrap(), "SELECT * FROM s.t_1");
        assert!(table_query("t; DROP TABLE x").is_err());
        assert!(table_query("a..b").is_err());
    }
}
