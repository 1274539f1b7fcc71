//! PostgreSQL through psqlODBC
//! (<https://odbc.postgresql.org/docs/config.html>): a team's server, one
//! database per dataset, with `database.postgresql`'s host, port, user,
//! password, TLS files, pool and statement timeout.

use super::{InsertStrategy, OdbcProfile};
use crate::config::{Backend, Config, OdbcSettings, Pool, PostgresqlSettings};
use crate::store::LoadShape;

/// The PostgreSQL backend's ODBC facts.
#[derive(Clone, Debug)]
pub struct PostgresqlProfile {
    settings: PostgresqlSettings,
    /// `database.connection_timeout`, in seconds.
    timeout: u64,
    /// Rows psqlODBC fetches per round trip (`performance.batch_size`).
    fetch_rows: usize,
    pool: Pool,
}

impl PostgresqlProfile {
    /// The profile with `database.postgresql`, the connection timeout, the
    /// pool and the batch size.
    pub fn new(config: &Config) -> PostgresqlProfile {
        PostgresqlProfile {
            settings: config.database.postgresql.clone(),
            timeout: config.database.connection_timeout,
            fetch_rows: config.performance.batch_size,
            pool: config.database.pool(),
        }
    }
}

impl OdbcProfile for PostgresqlProfile {
    fn backend(&self) -> Backend {
        Backend::Postgresql
    }

    fn default_driver(&self) -> &'static str {
        "MDM PostgreSQL"
    }

    fn dataset_file(&self) -> Option<&'static str> {
        None
    }

    fn database_prefix(&self) -> Option<String> {
        Some(self.settings.database_prefix.clone())
    }

    fn odbc_settings(&self) -> Option<&OdbcSettings> {
        self.settings.odbc.as_ref()
    }

    fn connection_attributes(&self, uses_dsn: bool) -> Vec<(String, String)> {
        let pg = &self.settings;
        let mut attributes = Vec::new();
        if !uses_dsn {
            attributes.push(("Server".into(), pg.host.clone()));
            attributes.push(("Port".into(), pg.port.to_string()));
        }
        if let Some(user) = &pg.user {
            attributes.push(("Uid".into(), user.clone()));
        }
        attributes.push(("SSLmode".into(), pg.sslmode.to_string()));
        // libpq settings psqlODBC has no keyword of its own for go through
        // `pqopt`: the certificate files and the connect timeout.
        let mut libpq = vec![format!("connect_timeout={}", self.timeout)];
        for (key, value) in [
            ("sslcert", &pg.sslcert),
            ("sslkey", &pg.sslkey),
            ("sslrootcert", &pg.sslrootcert),
        ] {
            if let Some(value) = value {
                libpq.push(format!(
                    "{key}='{}'",
                    value.replace('\\', "\\\\").replace('\'', "\\'")
                ));
            }
        }
        attributes.push(("pqopt".into(), libpq.join(" ")));
        // Booleans as SQL_BIT, text without the 8190-byte default limit,
        // and results fetched in chunks instead of buffered whole in the
        // driver.
        attributes.push(("BoolsAsChar".into(), "0".into()));
        attributes.push(("MaxLongVarcharSize".into(), "1073741823".into()));
        attributes.push(("UseDeclareFetch".into(), "1".into()));
        attributes.push(("Fetch".into(), self.fetch_rows.to_string()));
        attributes
    }

    fn password(&self) -> Option<String> {
        self.settings.password.clone().filter(|p| !p.is_empty())
    }

    fn pool(&self) -> Option<Pool> {
        Some(self.pool)
    }

    /// The wire protocol counts parameters in 16 bits.
    /// <https://www.postgresql.org/docs/current/limits.html>
    fn max_parameters(&self) -> usize {
        65_535
    }

    /// psqlODBC runs a parameter array as one `INSERT` per parameter set,
    /// and multi-row `VALUES` statements spend most of their time in the
    /// server's parser. Measured with scripts/bench.sh on 1M rows x 12
    /// columns: row-at-a-time parameter arrays ~36 s, 500-row statements
    /// ~22 s, per-column arrays a few seconds — so batches travel as one
    /// array literal per column.
    fn insert_strategy(&self, _columns: usize) -> InsertStrategy {
        InsertStrategy::ColumnArrays
    }

    /// JIT compilation is off: mdm's statements are generated, wide and run
    /// once, and compiling their expressions with LLVM costs more than it
    /// saves (a 1M-row feature table: 22.3 s with JIT, 10.5 s without).
    fn session_statements(&self) -> Vec<String> {
        vec![
            format!(
                "SET statement_timeout = {}",
                self.settings.statement_timeout
            ),
            "SET jit = off".into(),
        ]
    }

    /// The staging database is private until renamed into place, and a
    /// crash drops it anyway: no need to wait for each commit's WAL flush.
    fn bulk_load_statements(&self, _shape: LoadShape) -> Vec<String> {
        vec!["SET synchronous_commit = off".into()]
    }
}
