//! One profile per backend: what mdm knows of a database beyond its SQL —
//! the ODBC driver it registers, the connection attributes, how values
//! travel through ODBC buffers, how bulk loads insert, the session and
//! bulk settings computed from that backend's own section of `mdm.yaml`,
//! and the name of a dataset's database file. The generic ODBC store asks
//! its profile; nothing else matches on the backend. Profiles hold no ODBC
//! types, so the embedded store's backend (whose files BI tools read over
//! the SQLite driver) uses them in builds without the `odbc` feature too.

mod duckdb;
mod postgresql;
mod sqlite;

pub use duckdb::DuckdbProfile;
pub use postgresql::PostgresqlProfile;
pub use sqlite::SqliteProfile;

use crate::config::{Backend, Config, OdbcSettings, Pool};
use crate::model::ColumnType;
use crate::store::LoadShape;

/// How values of a logical type travel through ODBC buffers (both when
/// binding parameters and when fetching).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transfer {
    Integer,
    Float,
    /// SQL_C_BIT.
    Bit,
    /// SQL_C_TYPE_DATE.
    Date,
    /// SQL_C_TYPE_TIMESTAMP.
    Timestamp,
    /// Text in mdm's canonical spelling (ISO dates, `true`/`false`).
    Text,
}

/// How a bulk load sends a batch of rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InsertStrategy {
    /// One parameter array of `INSERT` statements with this many rows of
    /// placeholders each (the statement runs once per parameter set).
    ParameterArrays { rows_per_insert: usize },
    /// One `INSERT` taking each column as one array parameter
    /// ([`crate::dialect::Dialect::insert_column_arrays`]).
    ColumnArrays,
}

/// The ODBC facts of one backend. Defaults suit a driver that binds every
/// type natively and fetches doubles exactly.
pub trait OdbcProfile: Send + Sync {
    /// The backend this profile describes.
    fn backend(&self) -> Backend;

    /// The driver name registered by drivers/setup.sh, used when
    /// `mdm.yaml` names neither a DSN nor a driver.
    fn default_driver(&self) -> &'static str;

    /// The file holding a dataset inside `{datasets_path}/{name}/`, for
    /// backends that keep one database file per dataset; `None` for
    /// servers.
    fn dataset_file(&self) -> Option<&'static str>;

    /// For a server (no dataset file): the prefix of its datasets'
    /// database names (`database_prefix` in its section of `mdm.yaml`).
    fn database_prefix(&self) -> Option<String> {
        None
    }

    /// The `odbc:` settings of this backend's section of `mdm.yaml`.
    fn odbc_settings(&self) -> Option<&OdbcSettings>;

    /// Attributes after `DSN=`/`Driver=` (and `Database=`), before the
    /// user's own `odbc.options`; `uses_dsn` when a DSN supplies the rest.
    fn connection_attributes(&self, uses_dsn: bool) -> Vec<(String, String)>;

    /// Attributes that open a database read-only, replacing those of
    /// [`OdbcProfile::connection_attributes`] with the same keys; none
    /// where readers never lock writers out.
    fn read_only_attributes(&self) -> Vec<(String, String)> {
        Vec::new()
    }

    /// Why this configuration lets mdm only read datasets, if it does
    /// (a write is then refused before anything is touched).
    fn read_only_reason(&self) -> Option<String> {
        None
    }

    /// The process holding a database that a read-write open was refused
    /// because of, read from the driver's message (none: not that error).
    fn lock_holder(&self, _message: &str) -> Option<String> {
        None
    }

    /// The password sent as `Pwd=` (never shown in messages).
    fn password(&self) -> Option<String> {
        None
    }

    /// The bound on connections this process holds at once, for servers.
    fn pool(&self) -> Option<Pool> {
        None
    }

    /// How a logical type is bound and fetched.
    fn transfer(&self, column_type: ColumnType) -> Transfer {
        match column_type {
            ColumnType::Boolean => Transfer::Bit,
            ColumnType::Integer => Transfer::Integer,
            ColumnType::Float => Transfer::Float,
            ColumnType::Date => Transfer::Date,
            ColumnType::Datetime => Transfer::Timestamp,
            ColumnType::Text => Transfer::Text,
        }
    }

    /// Whether the driver rounds doubles when fetching them, so that they
    /// must travel as the two integers of
    /// [`crate::dialect::Dialect::exact_float_parts`].
    fn rounds_doubles(&self) -> bool {
        false
    }

    /// Largest number of bound parameters one statement may carry.
    fn max_parameters(&self) -> usize;

    /// How a batch of `columns` columns is inserted.
    fn insert_strategy(&self, _columns: usize) -> InsertStrategy {
        InsertStrategy::ParameterArrays { rows_per_insert: 1 }
    }

    /// The `INSERT` sent for a parameter array, from the dialect's
    /// multi-row `INSERT` (drivers that parse statements once per
    /// parameter set want them dressed up).
    fn prepared_insert(&self, insert: String) -> String {
        insert
    }

    /// Statements run on every new connection (settings, pragmas).
    fn session_statements(&self) -> Vec<String> {
        Vec::new()
    }

    /// Statements run on a connection that bulk-loads a private, not yet
    /// published database, into tables of the given shape (zeros when not
    /// known yet).
    fn bulk_load_statements(&self, _shape: LoadShape) -> Vec<String> {
        Vec::new()
    }

    /// Statements run before computing a table of `columns` columns from a
    /// query in bulk (a feature table); the connection's session (and
    /// bulk-load) statements are run again afterwards.
    fn bulk_compute_statements(&self, _columns: usize) -> Vec<String> {
        Vec::new()
    }

    /// Statements run before reading `columns` columns of a whole table (an
    /// export, a profile); the connection's session (and bulk-load)
    /// statements are run again afterwards.
    fn bulk_read_statements(&self, _columns: usize) -> Vec<String> {
        Vec::new()
    }

    /// Statements run before building an index (the connection's settings
    /// are put back afterwards); none: the index is built under the
    /// settings in force (a bulk load's, during one).
    fn index_statements(&self) -> Vec<String> {
        Vec::new()
    }

    /// Statements that make a loaded database durable and ready for use.
    fn finish_load_statements(&self) -> Vec<String> {
        Vec::new()
    }
}

/// The profile of `backend`, with its settings from `config`.
pub fn for_config(backend: Backend, config: &Config) -> Box<dyn OdbcProfile> {
    match backend {
        Backend::Sqlite => Box::new(SqliteProfile::new(config)),
        Backend::Duckdb => Box::new(DuckdbProfile::new(config)),
        Backend::Postgresql => Box::new(PostgresqlProfile::new(config)),
    }
}
