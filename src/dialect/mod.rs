//! SQL spelling and capabilities per database. Commands build their SQL
//! through a [`Dialect`]; only the per-dialect files know how a database
//! spells a type or quotes a name. Dialects know nothing of configuration
//! or of how a driver carries values: that is each backend's ODBC profile
//! (`crate::store::odbc::profile`).

mod duckdb;
mod postgresql;
mod sqlite;

pub use duckdb::DuckdbDialect;
pub use postgresql::{PostgresqlDialect, OWNERS_SUFFIX};
pub use sqlite::SqliteDialect;

use crate::config::Backend;
use crate::model::{ColumnDef, ColumnType};

/// How a server that holds one database per dataset creates, renames,
/// drops, lists and measures them (statements run on its maintenance
/// database).
pub trait ServerDatabases {
    /// The database connected to for creating, renaming and dropping
    /// others.
    fn maintenance_database(&self) -> &'static str;
    fn create_database(&self, name: &str) -> String;
    fn drop_database(&self, name: &str) -> String;
    fn rename_database(&self, from: &str, to: &str) -> String;
    /// Names of the databases starting with a prefix (one parameter).
    fn databases_with_prefix(&self) -> String;
    /// One row when the database named by the parameter exists.
    fn database_exists(&self) -> String;
    /// (name, size in bytes) of each database named in the parameter, a
    /// JSON array of names, that the role may connect to.
    fn database_sizes(&self) -> String;
    /// (name, description, owner, 1 when the role may connect) of each
    /// database starting with a prefix (one parameter).
    fn described_databases(&self) -> String;
    /// The same for the database named like the parameter, compared
    /// case-insensitively, the exact name first (the parameter twice).
    fn described_database(&self) -> String;
    /// (owner shown, whether the current role owns it, the owners role
    /// if the database is owned by one, whether the current role may act
    /// as its owning role) of the database named by the parameter.
    fn database_owner(&self) -> String;

    // Roles, grants and sessions of a server's datasets: statements run on
    // the maintenance database unless said otherwise.

    /// Makes the session act as the role named by the parameter when that
    /// role owns the current database and the session's role is a member.
    fn act_as_owning_role(&self) -> String;
    /// One row when the session's role may create roles.
    fn may_create_roles(&self) -> String;
    /// Creates the role that owns a dataset's database (and may create
    /// databases, for replacing it).
    fn create_owners_role(&self, role: &str) -> String;
    fn drop_role(&self, role: &str) -> String;
    /// Makes the session's role an admin member of `role`.
    fn join_role_as_admin(&self, role: &str) -> String;
    fn comment_on_role(&self, role: &str, comment: &str) -> String;
    fn comment_on_database(&self, database: &str, comment: &str) -> String;
    /// One row when the role named by the second parameter is a member,
    /// without admin option, of the role named by the first.
    fn is_plain_member(&self) -> String;
    fn grant_role(&self, role: &str, member: &str) -> String;
    fn revoke_role(&self, role: &str, member: &str) -> String;
    /// One row when the role named by the parameter exists.
    fn role_exists(&self) -> String;
    /// The session's role.
    fn current_user(&self) -> String;
    /// (role, 1 when it may write) of each role given access to the
    /// current database, run inside it; `table` is the table whose
    /// UPDATE privilege means write access in a database without an
    /// owners role.
    fn database_grants(&self, table: &str) -> String;
    /// 1 when the session's role may update `table` (run inside its
    /// database).
    fn may_update(&self, table: &str) -> String;
    /// The schema tables are created in (run inside a dataset's database).
    fn current_schema(&self) -> String;
    fn grant_connect(&self, database: &str, role: &str) -> String;
    /// Takes every privilege on the database itself from `role`.
    fn revoke_database(&self, database: &str, role: &str) -> String;
    /// Makes a new database private: nobody but its owner may connect.
    fn revoke_public(&self, database: &str) -> String;
    /// Gives `role` read (with `write`, write) access to every table of
    /// `schema`, present and future (run inside the database).
    fn grant_tables(&self, schema: &str, role: &str, write: bool) -> Vec<String>;
    /// Takes back what [`ServerDatabases::grant_tables`] gave.
    fn revoke_tables(&self, schema: &str, role: &str) -> Vec<String>;
    /// The number of sessions connected to the database named by the
    /// parameter.
    fn sessions_on_database(&self) -> String;
    /// Waits for, and takes, the session's lock on the name given as the
    /// parameter (released by [`ServerDatabases::unlock_name`] or at the
    /// end of the session).
    fn lock_name(&self) -> String;
    fn unlock_name(&self) -> String;
    fn set_role(&self, role: &str) -> String;
    fn reset_role(&self) -> String;
}

/// A calendar part of a date or timestamp, as an integer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DatePart {
    Year,
    Quarter,
    Month,
    Day,
    Hour,
    /// 0 = Monday ... 6 = Sunday.
    DayOfWeek,
}

/// A count over the characters of a text value. Classes are ASCII:
/// upper case `A-Z`, digits `0-9`; whitespace is space, tab, line feed,
/// carriage return, form feed and vertical tab; special characters are all
/// others except ASCII letters and digits (so non-ASCII letters count).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextMeasure {
    Uppercase,
    Digits,
    Special,
    /// Runs of non-whitespace characters.
    Words,
}

impl TextMeasure {
    /// The name of the application-defined SQL function that computes the
    /// measure where a store provides one (embedded SQLite).
    pub fn function_name(self) -> &'static str {
        match self {
            TextMeasure::Uppercase => "mdm_uppercase_count",
            TextMeasure::Digits => "mdm_digit_count",
            TextMeasure::Special => "mdm_special_count",
            TextMeasure::Words => "mdm_word_count",
        }
    }

    /// The measure computed in Rust, for stores that register it as a
    /// SQL function.
    pub fn count(self, text: &str) -> i64 {
        let is_space = |c: char| matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c');
        let count = match self {
            TextMeasure::Uppercase => text.chars().filter(char::is_ascii_uppercase).count(),
            TextMeasure::Digits => text.chars().filter(char::is_ascii_digit).count(),
            TextMeasure::Special => text
                .chars()
                .filter(|c| !c.is_ascii_alphanumeric() && !is_space(*c))
                .count(),
            TextMeasure::Words => text.split(is_space).filter(|w| !w.is_empty()).count(),
        };
        count as i64
    }
}

/// Whitespace as [`TextMeasure`] defines it, in a regular-expression class.
const REGEX_SPACE: &str = " \\t\\n\\r\\f\\v";

/// An e-mail address as the text features detect it: an ASCII letter or
/// digit, `@`, a letter or digit, and later a dot followed by two letters.
pub const EMAIL_REGEX: &str = "[A-Za-z0-9]@[A-Za-z0-9].*[.][A-Za-z][A-Za-z]";

/// Rebuilds a double from the parts of [`Dialect::exact_float_parts`]:
/// mantissa × 2^-shift, scaled in the same two steps (exact: the value was
/// a double, so only the last step can round, and it has nothing to drop).
pub fn float_from_parts(mantissa: Option<&i64>, shift: Option<&i64>) -> Option<f64> {
    let (mantissa, shift) = (*mantissa?, *shift?);
    if shift == -100_000 {
        return Some(if mantissa > 0 {
            f64::INFINITY
        } else {
            f64::NEG_INFINITY
        });
    }
    let first = (shift / 2) as i32;
    let second = (shift - shift / 2) as i32;
    Some(mantissa as f64 * 2f64.powi(-first) * 2f64.powi(-second))
}

/// The dialect of a server that keeps each dataset as a database: its SQL
/// and its catalog's.
pub trait ServerDialect: Dialect + ServerDatabases {}

impl<T: Dialect + ServerDatabases> ServerDialect for T {}

/// The server dialect of a backend whose datasets are databases on a
/// server, if it is one.
pub fn server_for_backend(backend: Backend) -> Option<std::sync::Arc<dyn ServerDialect>> {
    match backend {
        Backend::Postgresql => Some(std::sync::Arc::new(PostgresqlDialect)),
        Backend::Sqlite | Backend::Duckdb => None,
    }
}

/// The dialect of a backend.
pub fn for_backend(backend: Backend) -> Box<dyn Dialect> {
    match backend {
        Backend::Sqlite => Box::new(SqliteDialect::default()),
        Backend::Duckdb => Box::new(DuckdbDialect),
        Backend::Postgresql => Box::new(PostgresqlDialect),
    }
}

/// `INSERT INTO table (columns) VALUES (?, ...), ...` with `rows` rows of
/// placeholders.
pub fn multi_row_insert<D: Dialect + ?Sized>(
    dialect: &D,
    table: &str,
    columns: &[ColumnDef],
    rows: usize,
) -> String {
    let names: Vec<String> = columns
        .iter()
        .map(|c| dialect.quote_identifier(&c.name))
        .collect();
    let row = format!("({})", vec!["?"; columns.len()].join(","));
    format!(
        "INSERT INTO {} ({}) VALUES {}",
        dialect.quote_identifier(table),
        names.join(","),
        vec![row.as_str(); rows].join(",")
    )
}

/// `{table}_{column}_idx`, kept within 63 bytes (PostgreSQL's identifier
/// limit) by cutting it and adding a hash of the whole, so that two long
/// names never meet.
/// `CREATE TABLE` for `columns`; with `row_key`, the column named
/// [`ROW_KEY`] gets the dialect's row key declaration.
fn create_table_declaring<D: Dialect + ?Sized>(
    dialect: &D,
    table: &str,
    columns: &[ColumnDef],
    row_key: bool,
) -> String {
    let columns: Vec<String> = columns
        .iter()
        .map(|c| {
            let declared = if row_key && c.name == ROW_KEY {
                dialect.row_key_declaration()
            } else {
                dialect.type_name(c.column_type)
            };
            format!("{} {declared}", dialect.quote_identifier(&c.name))
        })
        .collect();
    format!(
        "CREATE TABLE {} ({})",
        dialect.quote_identifier(table),
        columns.join(", ")
    )
}

/// The row key mdm adds to every `train` table: the row's position in its
/// source (from 1). Folds and column groups refer to rows by it (or by the
/// ID columns); it is never a feature, and exports and loads leave it out.
pub const ROW_KEY: &str = "_mdm_row";

pub fn index_name(table: &str, column: &str) -> String {
    let full = format!("{table}_{column}_idx");
    if full.len() <= 63 {
        return full;
    }
    let hash = full.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let mut cut = 50;
    while !full.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}_{:012x}", &full[..cut], hash & 0xffff_ffff_ffff)
}

/// How one database spells the statements mdm needs. Most methods have the
/// standard-SQL spelling as default; a dialect overrides what differs.
pub trait Dialect: Send + Sync {
    /// The dialect's name, as used in `mdm.yaml`.
    fn name(&self) -> &'static str;

    /// An owned copy, for work that needs the dialect while using the store.
    fn boxed(&self) -> Box<dyn Dialect>;

    /// The dialect as every client of the database speaks it: without the
    /// functions mdm's own connection registers, for SQL stored in the
    /// database (views) that other tools run.
    fn portable(&self) -> Box<dyn Dialect> {
        self.boxed()
    }

    /// The column type used to store a logical type.
    fn type_name(&self, column_type: ColumnType) -> &'static str;

    /// Most columns a table may have.
    fn max_columns(&self) -> usize;

    /// Whether unquoted names are folded to lower case (so that `Age`
    /// means the column `age`, not `Age`).
    fn folds_unquoted_names(&self) -> bool {
        false
    }

    /// Statements that make the transaction just begun refuse every write,
    /// where the database has such a mode (the caller also rolls back).
    fn read_only_transaction(&self) -> Vec<String> {
        Vec::new()
    }

    /// An `INSERT` that takes each column of a batch as one array parameter
    /// (text in the database's array syntax), for databases that can unnest
    /// arrays; `None` where they cannot.
    fn insert_column_arrays(&self, _table: &str, _columns: &[ColumnDef]) -> Option<String> {
        None
    }

    /// SQL expressions `(mantissa, shift)` that carry a double expression
    /// exactly as two integers ([`float_from_parts`] rebuilds it), for the
    /// stores of this dialect whose driver rounds doubles when fetching
    /// them (see `crate::store::Store::exact_double`); `None` where no
    /// store needs them.
    fn exact_float_parts(&self, _column: &str) -> Option<(String, String)> {
        None
    }

    /// The byte length of a text expression.
    fn octet_length(&self, expression: &str) -> String {
        format!("OCTET_LENGTH({expression})")
    }

    /// A query listing the user tables of the database (one text column).
    fn list_tables(&self) -> String;

    /// An aggregate giving the `k`-th smallest non-null values of a
    /// numeric column for each `k` of `ranks` (0-based, of `count` values)
    /// as one array, where the database sorts faster than mdm reads the
    /// column (a server); None elsewhere.
    fn order_statistics(&self, _column: &str, _ranks: &[u64], _count: u64) -> Option<String> {
        None
    }

    /// A query listing the views of the database (one text column).
    fn list_views(&self) -> String {
        "SELECT table_name FROM information_schema.tables \
         WHERE table_schema = current_schema() AND table_type = 'VIEW' ORDER BY table_name"
            .into()
    }

    /// `expression` as a view's column of `column_type`: the type a table
    /// column of that type would report, and the values stored in one.
    fn view_column(&self, expression: &str, column_type: ColumnType) -> String {
        format!("CAST({expression} AS {})", self.type_name(column_type))
    }

    /// Quotes an identifier so that any name (keywords, quotes, spaces,
    /// unicode) is taken literally.
    fn quote_identifier(&self, identifier: &str) -> String {
        format!("\"{}\"", identifier.replace('"', "\"\""))
    }

    /// `CREATE TABLE` for `columns`.
    fn create_table(&self, table: &str, columns: &[ColumnDef]) -> String {
        create_table_declaring(self, table, columns, false)
    }

    /// How the row key [`ROW_KEY`] is declared: the row's position in its
    /// source, from 1. Nullable: rows another tool appends have none.
    fn row_key_declaration(&self) -> &'static str {
        "BIGINT"
    }

    /// Columns per stored table when a table wider than [`max_columns`]
    /// (less some headroom) is stored as column groups.
    ///
    /// [`max_columns`]: Dialect::max_columns
    fn column_group_size(&self) -> usize {
        self.max_columns() / 2
    }

    /// Whether the database numbers the row key itself as rows are
    /// appended (SQLite's rowid), so that loads need not send it.
    fn numbers_row_key(&self) -> bool {
        false
    }

    /// `CREATE TABLE` for `columns`, the one named [`ROW_KEY`] (a feature
    /// table copying train's) declared as the row key.
    fn create_table_keeping_key(&self, table: &str, columns: &[ColumnDef]) -> String {
        create_table_declaring(self, table, columns, true)
    }

    /// `CREATE TABLE` for `columns` followed by the row key.
    fn create_keyed_table(&self, table: &str, columns: &[ColumnDef]) -> String {
        let mut keyed = columns.to_vec();
        keyed.push(ColumnDef {
            name: ROW_KEY.to_string(),
            column_type: ColumnType::Integer,
        });
        self.create_table_keeping_key(table, &keyed)
    }

    /// `DROP TABLE IF EXISTS`.
    fn drop_table(&self, table: &str) -> String {
        format!("DROP TABLE IF EXISTS {}", self.quote_identifier(table))
    }

    /// `DROP VIEW IF EXISTS`.
    fn drop_view(&self, view: &str) -> String {
        format!("DROP VIEW IF EXISTS {}", self.quote_identifier(view))
    }

    /// `SELECT` of some columns of a table, in storage order.
    fn select_columns(&self, table: &str, columns: &[ColumnDef]) -> String {
        let names: Vec<String> = columns
            .iter()
            .map(|c| self.quote_identifier(&c.name))
            .collect();
        format!(
            "SELECT {} FROM {}",
            names.join(", "),
            self.quote_identifier(table)
        )
    }

    /// A multi-row `INSERT` with `rows` rows of placeholders.
    fn insert(&self, table: &str, columns: &[ColumnDef], rows: usize) -> String {
        multi_row_insert(self, table, columns, rows)
    }

    /// `SELECT COUNT(*), COUNT(DISTINCT column)` over a table.
    fn count_distinct(&self, table: &str, column: &str) -> String {
        let column = self.quote_identifier(column);
        format!(
            "SELECT COUNT(*), COUNT(DISTINCT {column}) FROM {}",
            self.quote_identifier(table)
        )
    }

    /// An index on one column of a table, unique when its values are
    /// (lookups by ID for BI tools and joins).
    fn create_index(&self, table: &str, column: &str, unique: bool) -> String {
        format!(
            "CREATE {}INDEX {} ON {} ({})",
            if unique { "UNIQUE " } else { "" },
            self.quote_identifier(&index_name(table, column)),
            self.quote_identifier(table),
            self.quote_identifier(column)
        )
    }

    /// Whether a table can be range-partitioned (`register --partition-by`).
    fn supports_range_partitions(&self) -> bool {
        false
    }

    /// `(first year, first month, last year, last month)` of a date or
    /// timestamp column, as integers.
    fn month_span(&self, table: &str, column: &str) -> String {
        let c = self.quote_identifier(column);
        format!(
            "SELECT CAST(EXTRACT(YEAR FROM MIN({c})) AS INTEGER), CAST(EXTRACT(MONTH FROM MIN({c})) AS INTEGER), \
             CAST(EXTRACT(YEAR FROM MAX({c})) AS INTEGER), CAST(EXTRACT(MONTH FROM MAX({c})) AS INTEGER) FROM {}",
            self.quote_identifier(table)
        )
    }

    /// Statements that rebuild a loaded table as one range-partitioned on
    /// `column`, with partitions between consecutive `bounds` (SQL
    /// literals), open-ended ones below the first and from the last, and a
    /// default partition for NULLs. Only dialects that support it.
    fn partition_statements(&self, _table: &str, _column: &str, _bounds: &[String]) -> Vec<String> {
        Vec::new()
    }

    /// A text literal (quotes doubled; the dialects mdm speaks read
    /// backslashes literally).
    fn quote_literal(&self, text: &str) -> String {
        format!("'{}'", text.replace('\'', "''"))
    }

    /// The hidden column that tells a table's rows apart (SQLite's and
    /// DuckDB's `rowid`).
    fn row_identity(&self) -> &'static str {
        "rowid"
    }

    /// How many rows of a table repeat an earlier row in every column.
    fn count_duplicates(&self, table: &str, columns: &[ColumnDef]) -> String {
        format!(
            "SELECT COALESCE(SUM(n - 1), 0) FROM (SELECT COUNT(*) AS n FROM {} GROUP BY {}) AS groups WHERE n > 1",
            self.quote_identifier(table),
            self.column_names(columns)
        )
    }

    /// Deletes every row that repeats an earlier one in every column,
    /// keeping the first of each.
    fn delete_duplicates(&self, table: &str, columns: &[ColumnDef]) -> String {
        let table = self.quote_identifier(table);
        let id = self.row_identity();
        format!(
            "DELETE FROM {table} WHERE {id} NOT IN (SELECT MIN({id}) FROM {table} GROUP BY {})",
            self.column_names(columns)
        )
    }

    /// `"a", "b", ...`
    fn column_names(&self, columns: &[ColumnDef]) -> String {
        columns
            .iter()
            .map(|c| self.quote_identifier(&c.name))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// A double-precision literal (typed, so that arithmetic with it is
    /// floating point in every database).
    fn float_literal(&self, value: f64) -> String {
        let mut buffer = ryu::Buffer::new();
        format!(
            "CAST({} AS {})",
            buffer.format_finite(value),
            self.type_name(ColumnType::Float)
        )
    }

    /// A text literal.
    fn text_literal(&self, value: &str) -> String {
        format!("'{}'", value.replace('\'', "''"))
    }

    /// An expression as a double.
    fn to_float(&self, expression: &str) -> String {
        format!(
            "CAST({expression} AS {})",
            self.type_name(ColumnType::Float)
        )
    }

    /// The largest integer not above a double expression, as an integer.
    fn floor_integer(&self, expression: &str) -> String {
        format!(
            "CAST(FLOOR({expression}) AS {})",
            self.type_name(ColumnType::Integer)
        )
    }

    /// A boolean expression as 1/0 (null stays null).
    fn boolean_to_integer(&self, condition: &str) -> String {
        format!(
            "CAST(({condition}) AS {})",
            self.type_name(ColumnType::Integer)
        )
    }

    /// The smaller of two non-null values.
    fn least(&self, a: &str, b: &str) -> String {
        format!("LEAST({a}, {b})")
    }

    /// `a < b` for text in byte order (what Rust's `str` ordering is),
    /// whatever the database's default collation.
    fn text_less(&self, a: &str, b: &str) -> String {
        format!("{a} < {b}")
    }

    /// The natural logarithm.
    fn ln(&self, expression: &str) -> String {
        format!("LN({expression})")
    }

    /// A calendar part of a date or timestamp expression.
    fn date_part(&self, part: DatePart, expression: &str) -> String {
        let field = match part {
            DatePart::Year => "YEAR",
            DatePart::Quarter => "QUARTER",
            DatePart::Month => "MONTH",
            DatePart::Day => "DAY",
            DatePart::Hour => "HOUR",
            DatePart::DayOfWeek => "ISODOW",
        };
        let extract = format!(
            "CAST(EXTRACT({field} FROM {expression}) AS {})",
            self.type_name(ColumnType::Integer)
        );
        match part {
            DatePart::DayOfWeek => format!("({extract} - 1)"),
            _ => extract,
        }
    }

    /// The date of a timestamp expression.
    fn date_of(&self, expression: &str) -> String {
        format!("CAST({expression} AS DATE)")
    }

    /// Whole days from 1970-01-01 to a date expression.
    fn days_since_epoch(&self, expression: &str) -> String {
        format!("(CAST({expression} AS DATE) - DATE '1970-01-01')")
    }

    /// Whether the expression's date is the last day of its month.
    fn is_month_end(&self, expression: &str) -> String {
        format!("(EXTRACT(DAY FROM CAST({expression} AS DATE) + 1) = 1)")
    }

    /// The number of characters (code points) of a text expression.
    fn char_length(&self, expression: &str) -> String {
        format!("LENGTH({expression})")
    }

    /// A [`TextMeasure`] of a text expression, with regular expressions.
    fn text_measure(&self, measure: TextMeasure, expression: &str) -> String {
        let remove =
            |class: &str| format!("LENGTH(REGEXP_REPLACE({expression}, '{class}', '', 'g'))");
        match measure {
            TextMeasure::Uppercase => remove("[^A-Z]"),
            TextMeasure::Digits => remove("[^0-9]"),
            TextMeasure::Special => remove(&format!("[A-Za-z0-9{REGEX_SPACE}]")),
            TextMeasure::Words => format!(
                "LENGTH(REGEXP_REPLACE(REGEXP_REPLACE({expression}, '[^{REGEX_SPACE}]+', 'w', 'g'), '[{REGEX_SPACE}]', '', 'g'))"
            ),
        }
    }

    /// Whether a text expression contains an e-mail address ([`EMAIL_REGEX`]).
    fn contains_email(&self, expression: &str) -> String {
        format!("REGEXP_MATCHES({expression}, '(?s){EMAIL_REGEX}')")
    }

    /// Appended to a subquery so that it is evaluated once per row rather
    /// than merged into an outer aggregate (which would evaluate each
    /// expression once per aggregate using it).
    fn subquery_fence(&self) -> &'static str {
        ""
    }

    /// The key/value metadata table.
    fn create_metadata_table(&self) -> String {
        format!(
            "CREATE TABLE IF NOT EXISTS {} ({} {} PRIMARY KEY, {} {})",
            self.quote_identifier(crate::model::name::METADATA_TABLE),
            self.quote_identifier("key"),
            self.type_name(ColumnType::Text),
            self.quote_identifier("value"),
            self.type_name(ColumnType::Text)
        )
    }

    /// Replaces one metadata entry (two parameters: key, value).
    fn upsert_metadata(&self) -> String;

    /// All metadata entries.
    fn select_metadata(&self) -> String {
        format!(
            "SELECT {}, {} FROM {}",
            self.quote_identifier("key"),
            self.quote_identifier("value"),
            self.quote_identifier(crate::model::name::METADATA_TABLE)
        )
    }
}
