//! Reading a dataset out as Arrow record batches, whatever its backend: a
//! table (or some of its columns and rows) streamed batch by batch, and one
//! read-only SQL statement over the dataset's database. The Python API hands
//! these batches to pyarrow, pandas and polars without per-value objects.

use std::sync::Arc;

use arrow_array::builder::{
    Date32Builder, Float64Builder, Int64Builder, StringBuilder, TimestampMicrosecondBuilder,
};
use arrow_array::{new_null_array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};

use crate::backend::record::DatasetRecord;
use crate::catalog::Catalog;
use crate::config::Settings;
use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::features::FeatureSet;
use crate::interrupt;
use crate::metadata::{self, DatasetMetadata, TableInfo};
use crate::model::{ColumnDef, Value};
use crate::store::RowFilter;

/// What to read of a dataset's table.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// A table of the dataset (`train`, `test`, `train_features`, ...).
    pub table: String,
    /// Columns in this order; all when empty.
    pub columns: Vec<String>,
    /// An SQL condition over the table's columns (one expression).
    pub condition: Option<String>,
    /// At most this many rows.
    pub limit: Option<u64>,
    /// Rows per batch; `performance.batch_size` when not given.
    pub batch_size: Option<usize>,
}

/// A read resolved against the dataset's metadata: the columns and their
/// Arrow schema, known before the first row is read.
#[derive(Clone, Debug)]
pub struct LoadPlan {
    pub record: DatasetRecord,
    pub table: TableInfo,
    pub columns: Vec<ColumnDef>,
    pub schema: SchemaRef,
    pub filter: RowFilter,
    pub batch_size: usize,
}

/// The dataset's record, its metadata and its database's dialect.
fn describe(
    settings: &Settings,
    name: &str,
) -> Result<(DatasetRecord, DatasetMetadata, Box<dyn Dialect>)> {
    let mut record = Catalog::new(settings).get(name)?;
    let mut store = super::open_store_read_only(settings, &record)?;
    let metadata = metadata::load(store.as_mut())?;
    metadata.apply_fields(&mut record);
    Ok((record, metadata, store.dialect().boxed()))
}

/// SQL as the user wrote it, with the dataset's own names quoted where the
/// database would otherwise fold them to lower case.
fn with_names_kept(sql: &str, names: &[String], dialect: &dyn Dialect) -> String {
    if dialect.folds_unquoted_names() {
        quote_names(sql, names, &|name| dialect.quote_identifier(name))
    } else {
        sql.to_string()
    }
}

/// Resolves `options` against dataset `name`: unknown tables and columns,
/// and a condition that is more than one expression, are invalid arguments.
pub fn plan(settings: &Settings, name: &str, options: &LoadOptions) -> Result<LoadPlan> {
    let (record, metadata, dialect) = describe(settings, name)?;
    let tables = FeatureSet::tables_of(&metadata, true)?;
    let Some(table) = tables.iter().find(|t| t.name == options.table) else {
        return Err(Error::InvalidArgument(format!(
            "dataset '{}' has no table '{}' (tables: {})",
            record.name,
            options.table,
            tables
                .iter()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    };
    let columns: Vec<ColumnDef> = if options.columns.is_empty() {
        table.defs()
    } else {
        options
            .columns
            .iter()
            .map(|wanted| {
                table.column(wanted).map(|c| c.def()).ok_or_else(|| {
                    Error::InvalidArgument(format!(
                        "table '{}' of dataset '{}' has no column '{wanted}' (columns: {})",
                        table.name,
                        record.name,
                        table.column_list()
                    ))
                })
            })
            .collect::<Result<_>>()?
    };
    let condition = match &options.condition {
        Some(condition) => {
            check_expression(condition)?;
            let names: Vec<String> = table.columns.iter().map(|c| c.name.clone()).collect();
            Some(with_names_kept(condition, &names, dialect.as_ref()))
        }
        None => None,
    };
    Ok(LoadPlan {
        record,
        table: table.clone(),
        schema: Arc::new(crate::sink::arrow_schema(&columns)),
        columns,
        filter: RowFilter {
            condition,
            limit: options.limit,
            order_by: None,
        },
        batch_size: options
            .batch_size
            .unwrap_or(settings.config.performance.batch_size)
            .max(1),
    })
}

/// Streams the planned rows as record batches of at most the plan's batch
/// size, holding the dataset's shared lock (no removal or replacement
/// meanwhile). Stops with the error `on_batch` returns, or when interrupted.
pub fn scan(
    settings: &Settings,
    plan: &LoadPlan,
    on_batch: &mut dyn FnMut(RecordBatch) -> Result<()>,
) -> Result<()> {
    let _lock = super::DatasetLock::shared(settings, &plan.record.name)?;
    let record = Catalog::new(settings).get(&plan.record.name)?;
    let mut store = super::open_store_read_only(settings, &record)?;
    plan.table.scan(
        store.as_mut(),
        &plan.columns,
        &plan.filter,
        plan.batch_size,
        &mut |batch| {
            interrupt::check()?;
            on_batch(crate::sink::record_batch(&plan.schema, batch)?)
        },
    )
}

/// Keywords that may begin a statement that only reads.
const READING_STATEMENTS: &[&str] = &[
    "SELECT",
    "WITH",
    "VALUES",
    "TABLE",
    "FROM",
    "EXPLAIN",
    "SHOW",
    "DESCRIBE",
    "SUMMARIZE",
];

/// Keywords that only a statement that writes (or changes the session) holds.
const WRITING_KEYWORDS: &[&str] = &[
    "INSERT",
    "UPDATE",
    "DELETE",
    "MERGE",
    "REPLACE INTO",
    "DROP",
    "CREATE",
    "ALTER",
    "TRUNCATE",
    "ATTACH",
    "DETACH",
    "COPY",
    "VACUUM",
    "GRANT",
    "REVOKE",
    "INSTALL",
    "PRAGMA",
];

/// A piece of SQL text, as far as mdm needs to tell them apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Token {
    /// A bare word (keyword, identifier, number): its byte range.
    Word(usize, usize),
    /// A string literal or quoted identifier.
    Quoted,
    Semicolon,
    Open,
    Close,
    /// Any other character that is not white space.
    Other(u8),
}

/// The tokens of `sql`, comments and white space left out.
fn tokens(sql: &str) -> Vec<Token> {
    let bytes = sql.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        match byte {
            b'\'' | b'"' | b'`' => {
                i += 1;
                while i < bytes.len() {
                    if bytes[i] == byte {
                        if bytes.get(i + 1) == Some(&byte) {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                tokens.push(Token::Quoted);
                i += 1;
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                    i += 1;
                }
                i += 2;
            }
            _ if byte.is_ascii_alphanumeric() || byte == b'_' || byte >= 0x80 => {
                let start = i;
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] >= 0x80)
                {
                    i += 1;
                }
                tokens.push(Token::Word(start, i));
            }
            _ => {
                match byte {
                    b';' => tokens.push(Token::Semicolon),
                    b'(' => tokens.push(Token::Open),
                    b')' => tokens.push(Token::Close),
                    _ if byte.is_ascii_whitespace() => {}
                    _ => tokens.push(Token::Other(byte)),
                }
                i += 1;
            }
        }
    }
    tokens
}

/// The words of `sql` outside string literals, quoted identifiers and
/// comments, upper-cased; and whether a `;` separates two statements.
fn words(sql: &str) -> (Vec<String>, bool) {
    let tokens = tokens(sql);
    let words = tokens
        .iter()
        .filter_map(|t| match t {
            Token::Word(start, end) => Some(sql[*start..*end].to_ascii_uppercase()),
            _ => None,
        })
        .collect();
    let separated = match tokens.iter().position(|t| *t == Token::Semicolon) {
        Some(at) => tokens[at..].iter().any(|t| *t != Token::Semicolon),
        None => false,
    };
    (words, separated)
}

/// Whether the parentheses of `sql` (outside literals) pair up.
fn balanced(sql: &str) -> bool {
    let mut depth = 0i64;
    for token in tokens(sql) {
        match token {
            Token::Open => depth += 1,
            Token::Close => depth -= 1,
            _ => {}
        }
        if depth < 0 {
            return false;
        }
    }
    depth == 0
}

/// `sql` with each bare word that is exactly one of `names` quoted through
/// `quote` (a word before `(` is a function and stays). On a database that
/// folds unquoted names to lower case this lets `Age > 60` mean the column
/// `Age`, as on the others.
pub fn quote_names(sql: &str, names: &[String], quote: &dyn Fn(&str) -> String) -> String {
    let tokens = tokens(sql);
    let mut out = String::with_capacity(sql.len() + 16);
    let mut last = 0;
    for (index, token) in tokens.iter().enumerate() {
        if let Token::Word(start, end) = *token {
            let word = &sql[start..end];
            let is_call = tokens.get(index + 1) == Some(&Token::Open);
            if !is_call && names.iter().any(|n| n == word) {
                out.push_str(&sql[last..start]);
                out.push_str(&quote(word));
                last = end;
            }
        }
    }
    out.push_str(&sql[last..]);
    out
}

/// Checks that `sql` is one statement that only reads: it begins with a
/// reading keyword and holds no writing one. The backend's read-only
/// transaction and the final rollback back this up.
pub fn check_read_only(sql: &str) -> Result<()> {
    let (words, separated) = words(sql);
    if separated {
        return Err(Error::InvalidArgument(
            "the SQL holds more than one statement; give one read-only statement".into(),
        ));
    }
    let Some(first) = words.first() else {
        return Err(Error::InvalidArgument("the SQL statement is empty".into()));
    };
    if !READING_STATEMENTS.contains(&first.as_str()) {
        return Err(Error::InvalidArgument(format!(
            "'{first}' statements may change the dataset; only reading statements ({}) are run",
            READING_STATEMENTS.join(", ")
        )));
    }
    for pair in words.windows(2) {
        let two = format!("{} {}", pair[0], pair[1]);
        if WRITING_KEYWORDS.contains(&two.as_str()) {
            return Err(Error::InvalidArgument(format!(
                "'{two}' would change the dataset; only reading statements are run"
            )));
        }
    }
    if let Some(word) = words
        .iter()
        .find(|w| WRITING_KEYWORDS.contains(&w.as_str()))
    {
        return Err(Error::InvalidArgument(format!(
            "'{word}' would change the dataset; only reading statements are run"
        )));
    }
    Ok(())
}

/// Checks that a row condition is one expression that only reads.
fn check_expression(condition: &str) -> Result<()> {
    if !balanced(condition) {
        return Err(Error::InvalidArgument(format!(
            "where: the parentheses of `{condition}` do not pair up"
        )));
    }
    check_read_only(&format!("SELECT 1 WHERE {condition}"))
        .map_err(|e| Error::InvalidArgument(format!("where: {e}")))
}

/// Runs one read-only statement on dataset `name`'s database inside a
/// transaction that the backend makes read-only where it can and that is
/// always rolled back, so nothing can change. Calls `on_columns` with the
/// result's column names, then `on_row` for each row as it arrives (nothing
/// is buffered here).
pub fn query_rows(
    settings: &Settings,
    name: &str,
    sql: &str,
    on_columns: &mut dyn FnMut(&[String]) -> Result<()>,
    on_row: &mut dyn FnMut(&[Value]) -> Result<()>,
) -> Result<()> {
    check_read_only(sql)?;
    let record = Catalog::new(settings).get(name)?;
    let _lock = super::DatasetLock::shared(settings, &record.name)?;
    let record = Catalog::new(settings).get(&record.name)?;
    let mut store = super::open_store_read_only(settings, &record)?;
    let metadata = metadata::load(store.as_mut())?;
    let names: Vec<String> = FeatureSet::tables_of(&metadata, true)?
        .iter()
        .flat_map(|t| t.columns.iter().map(|c| c.name.clone()))
        .collect();
    let sql = with_names_kept(sql, &names, store.dialect());
    let statements = store.dialect().read_only_transaction();
    store.begin()?;
    let mut rows = 0u64;
    let result = (|| {
        for statement in &statements {
            store.execute(statement, &[])?;
        }
        store.query_named(&sql, on_columns, &mut |row| {
            rows += 1;
            if rows.is_multiple_of(4096) {
                interrupt::check()?;
            }
            on_row(row)
        })
    })();
    let _ = store.rollback();
    result
}

/// The result of [`query`]: its columns, typed from their values.
pub struct QueryResult {
    pub schema: SchemaRef,
    pub batch: RecordBatch,
}

/// [`query_rows`] collected into one Arrow batch. Column types come from the
/// values: integers int64, other numbers float64, text that is all ISO
/// dates (or timestamps) date32 (or timestamp[us]), other text utf8.
pub fn query(settings: &Settings, name: &str, sql: &str) -> Result<QueryResult> {
    let mut names: Vec<String> = Vec::new();
    let mut columns: Vec<Vec<Value>> = Vec::new();
    let mut rows = 0usize;
    query_rows(
        settings,
        name,
        sql,
        &mut |found| {
            names = found.to_vec();
            Ok(())
        },
        &mut |row| {
            if columns.len() != row.len() {
                columns = vec![Vec::new(); row.len()];
            }
            for (column, value) in columns.iter_mut().zip(row) {
                column.push(value.clone());
            }
            rows += 1;
            Ok(())
        },
    )?;
    columns.resize(names.len(), Vec::new());
    let mut fields = Vec::with_capacity(names.len());
    let mut arrays = Vec::with_capacity(names.len());
    for (index, (name, values)) in names.iter().zip(&columns).enumerate() {
        // Two result columns of the same name (`SELECT a.x, b.x`) stay apart.
        let field_name = if names[..index].contains(name) {
            format!("{name}_{}", index + 1)
        } else {
            name.clone()
        };
        let array = typed_array(values);
        fields.push(Field::new(field_name, array.data_type().clone(), true));
        arrays.push(array);
    }
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new_with_options(
        schema.clone(),
        arrays,
        &arrow_array::RecordBatchOptions::new().with_row_count(Some(rows)),
    )
    .map_err(|e| Error::General(format!("cannot build an Arrow batch: {e}")))?;
    Ok(QueryResult { schema, batch })
}

/// One result column as the narrowest Arrow array its values fit.
fn typed_array(values: &[Value]) -> ArrayRef {
    let (mut integers, mut floats, mut texts) = (0usize, 0usize, 0usize);
    for value in values {
        match value {
            Value::Integer(_) => integers += 1,
            Value::Float(_) => floats += 1,
            Value::Text(_) => texts += 1,
            Value::Null => {}
        }
    }
    if integers + floats + texts == 0 {
        return new_null_array(&DataType::Null, values.len());
    }
    if texts == 0 && floats == 0 {
        let mut builder = Int64Builder::with_capacity(values.len());
        values.iter().for_each(|v| match v {
            Value::Integer(i) => builder.append_value(*i),
            _ => builder.append_null(),
        });
        return Arc::new(builder.finish());
    }
    if texts == 0 {
        let mut builder = Float64Builder::with_capacity(values.len());
        values
            .iter()
            .for_each(|v| builder.append_option(v.as_f64()));
        return Arc::new(builder.finish());
    }
    if integers + floats == 0 {
        fn text(value: &Value) -> Option<&str> {
            match value {
                Value::Text(t) => Some(t.as_str()),
                _ => None,
            }
        }
        let is_date = |t: &str| t.len() == 10 && crate::time::parse_date(t).is_some();
        if values.iter().filter_map(text).all(is_date) {
            let mut builder = Date32Builder::with_capacity(values.len());
            values
                .iter()
                .for_each(|v| builder.append_option(text(v).and_then(crate::time::parse_date)));
            return Arc::new(builder.finish());
        }
        let is_timestamp = |t: &str| {
            t.len() >= 16 && t.as_bytes()[4] == b'-' && crate::time::parse_datetime(t).is_some()
        };
        if values.iter().filter_map(text).all(is_timestamp) {
            let mut builder = TimestampMicrosecondBuilder::with_capacity(values.len());
            values
                .iter()
                .for_each(|v| builder.append_option(text(v).and_then(crate::time::parse_datetime)));
            return Arc::new(builder.finish());
        }
    }
    let mut builder = StringBuilder::with_capacity(values.len(), 16 * values.len());
    values.iter().for_each(|v| match v {
        Value::Null => builder.append_null(),
        Value::Integer(i) => builder.append_value(i.to_string()),
        Value::Float(f) => builder.append_value(f.to_string()),
        Value::Text(t) => builder.append_value(t),
    });
    Arc::new(builder.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_statements_pass_and_writing_ones_are_refused() {
        assert!(check_read_only("SELECT * FROM train").is_ok());
        assert!(check_read_only("  -- a comment\n with x as (select 1) select * from x;").is_ok());
        assert!(check_read_only("SELECT 'drop table x; delete' AS s").is_ok());
        assert!(check_read_only("SELECT \"update\" FROM train").is_ok());
        assert!(check_read_only("DELETE FROM train").is_err());
        assert!(check_read_only("SELECT 1; DROP TABLE train").is_err());
        assert!(
            check_read_only("WITH d AS (DELETE FROM train RETURNING *) SELECT * FROM d").is_err()
        );
        assert!(check_read_only("").is_err());
        assert!(check_expression("Age > 30 AND Sex = 'male'").is_ok());
        assert!(check_expression("1=1; DROP TABLE train").is_err());
        assert!(check_expression("1=1) UNION SELECT 1 --").is_err());
        assert!(check_expression("(a > 1) AND (b = ')')").is_ok());
    }

    #[test]
    fn the_datasets_own_names_are_quoted_where_the_database_folds_case() {
        let names = vec!["Age".to_string(), "count".to_string()];
        let quote = |n: &str| format!("\"{n}\"");
        assert_eq!(
            quote_names("Age > 60 AND 'Age' <> t.Age AND age = 1", &names, &quote),
            "\"Age\" > 60 AND 'Age' <> t.\"Age\" AND age = 1"
        );
        assert_eq!(
            quote_names("SELECT count(*) AS count FROM train", &names, &quote),
            "SELECT count(*) AS \"count\" FROM train"
        );
    }

    #[test]
    fn query_columns_take_the_narrowest_type_their_values_fit() {
        let ints = typed_array(&[Value::Integer(1), Value::Null, Value::Integer(1 << 60)]);
        assert_eq!(ints.data_type(), &DataType::Int64);
        let mixed = typed_array(&[Value::Integer(1), Value::Float(2.5)]);
        assert_eq!(mixed.data_type(), &DataType::Float64);
        let dates = typed_array(&[Value::Text("2024-01-31".into()), Value::Null]);
        assert_eq!(dates.data_type(), &DataType::Date32);
        let stamps = typed_array(&[Value::Text("2024-01-31 10:00:00".into())]);
        assert_eq!(
            stamps.data_type(),
            &DataType::Timestamp(arrow_schema::TimeUnit::Microsecond, None)
        );
        let text = typed_array(&[Value::Text("2024-01-31".into()), Value::Text("x".into())]);
        assert_eq!(text.data_type(), &DataType::Utf8);
    }
}
