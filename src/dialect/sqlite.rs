//! SQLite: <https://www.sqlite.org/lang.html>. Dates and timestamps are stored
//! as ISO 8601 text under `DATE`/`TIMESTAMP` declared types, booleans as 0/1.

use super::{DatePart, Dialect, TextMeasure};
use crate::model::ColumnType;

/// The SQLite dialect (embedded rusqlite and the SQLite ODBC driver).
#[derive(Debug, Default, Clone, Copy)]
pub struct SqliteDialect {
    /// The connection has mdm's text functions
    /// ([`TextMeasure::function_name`]); the embedded store registers them.
    /// Without them, text measures are spelt with nested `replace` calls.
    pub text_functions: bool,
}

/// Whitespace as [`TextMeasure`] defines it.
const SPACE: [char; 6] = [' ', '\t', '\n', '\r', '\x0b', '\x0c'];

/// Halving passes collapsing whitespace runs: runs of up to 2^16 characters
/// become one space.
const COLLAPSE_PASSES: usize = 16;

impl Dialect for SqliteDialect {
    /// The rowid itself: no bytes stored, and rows stay in source order.
    fn row_key_declaration(&self) -> &'static str {
        "INTEGER PRIMARY KEY"
    }

    /// A new table's rowids count the appended rows from 1.
    fn numbers_row_key(&self) -> bool {
        true
    }

    fn boxed(&self) -> Box<dyn Dialect> {
        Box::new(*self)
    }

    fn portable(&self) -> Box<dyn Dialect> {
        Box::new(SqliteDialect {
            text_functions: false,
        })
    }

    fn name(&self) -> &'static str {
        "sqlite"
    }

    fn type_name(&self, column_type: ColumnType) -> &'static str {
        match column_type {
            ColumnType::Boolean => "BOOLEAN",
            ColumnType::Integer => "INTEGER",
            ColumnType::Float => "REAL",
            ColumnType::Date => "DATE",
            ColumnType::Datetime => "TIMESTAMP",
            ColumnType::Text => "TEXT",
        }
    }

    /// SQLITE_MAX_COLUMN of the bundled and the system SQLite.
    fn max_columns(&self) -> usize {
        2000
    }

    /// <https://www.sqlite.org/pragma.html#pragma_query_only>
    fn read_only_transaction(&self) -> Vec<String> {
        vec!["PRAGMA query_only = ON".into()]
    }

    /// The SQLite ODBC driver rounds doubles needing 16 or 17 digits (it
    /// fetches them as 15-digit text). They travel instead as an integer
    /// mantissa scaled by 2^(54 - floor(log2|x|)) — exact, and below
    /// 2^57 even when log2 rounds by one either way (it does near powers of
    /// two) — and that shift. The scaling is split in two powers of two so
    /// that neither overflows (subnormals need shifts up to 1128). Zero is
    /// (0, 0); infinities are (±1, -100000).
    fn exact_float_parts(&self, column: &str) -> Option<(String, String)> {
        let shift = format!("(54 - CAST(floor(log2(abs({column}))) AS INTEGER))");
        let finite = format!("abs({column}) <= 1.7976931348623157e308");
        let mantissa = format!(
            "CASE WHEN {column} IS NULL THEN NULL WHEN {column} = 0 THEN 0              WHEN {finite} THEN CAST({column} * pow(2.0, {shift} / 2) * pow(2.0, {shift} - {shift} / 2) AS INTEGER)              WHEN {column} > 0 THEN 1 ELSE -1 END"
        );
        let shift = format!(
            "CASE WHEN {column} IS NULL THEN NULL WHEN {column} = 0 THEN 0              WHEN {finite} THEN {shift} ELSE -100000 END"
        );
        Some((mantissa, shift))
    }

    fn octet_length(&self, expression: &str) -> String {
        format!("LENGTH(CAST({expression} AS BLOB))")
    }

    /// Dates and timestamps are stored as `YYYY-MM-DD[ HH:MM:SS[.ffffff]]`
    /// text, so the parts are read by position (several times faster than
    /// `strftime`, which parses the text for every call).
    fn date_part(&self, part: DatePart, expression: &str) -> String {
        let field = |start: u32, length: u32| {
            format!("CAST(substr({expression}, {start}, {length}) AS INTEGER)")
        };
        match part {
            DatePart::Year => field(1, 4),
            DatePart::Quarter => format!("(({} + 2) / 3)", field(6, 2)),
            DatePart::Month => field(6, 2),
            DatePart::Day => field(9, 2),
            DatePart::Hour => field(12, 2),
            // 1970-01-01 was a Thursday (3); `%` truncates towards zero.
            DatePart::DayOfWeek => {
                format!("((({} % 7) + 10) % 7)", self.days_since_epoch(expression))
            }
        }
    }

    /// Comparisons are already 1/0/null.
    fn boolean_to_integer(&self, condition: &str) -> String {
        format!("({condition})")
    }

    fn least(&self, a: &str, b: &str) -> String {
        format!("min({a}, {b})")
    }

    /// `expression` is a date (`YYYY-MM-DD`, see [`Dialect::date_of`]).
    fn days_since_epoch(&self, expression: &str) -> String {
        format!("CAST(julianday({expression}) - 2440587.5 AS INTEGER)")
    }

    fn date_of(&self, expression: &str) -> String {
        format!("substr({expression}, 1, 10)")
    }

    fn is_month_end(&self, expression: &str) -> String {
        let year = self.date_part(DatePart::Year, expression);
        let leap = format!("({year} % 4 = 0 AND ({year} % 100 <> 0 OR {year} % 400 = 0))");
        format!(
            "({} = CASE {} WHEN 2 THEN 28 + {leap} WHEN 4 THEN 30 WHEN 6 THEN 30 \
             WHEN 9 THEN 30 WHEN 11 THEN 30 ELSE 31 END)",
            self.date_part(DatePart::Day, expression),
            self.date_part(DatePart::Month, expression)
        )
    }

    /// With mdm's functions, or with `replace`: SQLite has no regular
    /// expressions. A class is counted one character at a time
    /// (`length(x) - length(replace(x, c, ''))`, summed), so the SQL stays
    /// flat: deeply nested calls overflow SQLite's parser stack.
    fn text_measure(&self, measure: TextMeasure, expression: &str) -> String {
        if self.text_functions {
            return format!("{}({expression})", measure.function_name());
        }
        let count = |chars: &mut dyn Iterator<Item = char>| {
            let terms: Vec<String> = chars
                .map(|c| {
                    format!(
                        "(length({expression}) - length(replace({expression}, char({}), '')))",
                        c as u32
                    )
                })
                .collect();
            format!("({})", terms.join(" + "))
        };
        match measure {
            TextMeasure::Uppercase => count(&mut ('A'..='Z')),
            TextMeasure::Digits => count(&mut ('0'..='9')),
            TextMeasure::Special => format!(
                "(length({expression}) - {})",
                count(&mut ('A'..='Z').chain('a'..='z').chain('0'..='9').chain(SPACE))
            ),
            // Whitespace becomes spaces, runs collapse to one, and the
            // words of ' text ' are its spaces less one.
            TextMeasure::Words => {
                let mut spaced = format!("(' ' || {expression} || ' ')");
                for c in &SPACE[1..] {
                    spaced = format!("replace({spaced}, char({}), ' ')", *c as u32);
                }
                for _ in 0..COLLAPSE_PASSES {
                    spaced = format!("replace({spaced}, '  ', ' ')");
                }
                format!("(length({spaced}) - length(replace({spaced}, ' ', '')) - 1)")
            }
        }
    }

    /// GLOB spells [`super::EMAIL_REGEX`]: `*` matches any run of characters.
    fn contains_email(&self, expression: &str) -> String {
        format!("({expression} GLOB '*[A-Za-z0-9]@[A-Za-z0-9]*.[A-Za-z][A-Za-z]*')")
    }

    /// SQLite does not flatten a subquery with an OFFSET into its outer query.
    fn subquery_fence(&self) -> &'static str {
        " LIMIT -1 OFFSET 0"
    }

    fn list_tables(&self) -> String {
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name".into()
    }

    fn list_views(&self) -> String {
        "SELECT name FROM sqlite_master WHERE type = 'view' ORDER BY name".into()
    }

    /// A view applies no column affinity: numbers are cast to the storage
    /// class a table column of the type would give them (dates and text
    /// are kept as they are, as a table stores them).
    fn view_column(&self, expression: &str, column_type: ColumnType) -> String {
        match column_type {
            ColumnType::Integer | ColumnType::Boolean => format!("CAST({expression} AS INTEGER)"),
            ColumnType::Float => format!("CAST({expression} AS REAL)"),
            ColumnType::Date | ColumnType::Datetime | ColumnType::Text => expression.to_string(),
        }
    }

    fn upsert_metadata(&self) -> String {
        format!(
            "INSERT OR REPLACE INTO {} ({}, {}) VALUES (?, ?)",
            self.quote_identifier(crate::model::name::METADATA_TABLE),
            self.quote_identifier("key"),
            self.quote_identifier("value")
        )
    }
}
