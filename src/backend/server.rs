//! Server backends (PostgreSQL): one database per dataset,
//! `{database_prefix}{name}`. A registration loads into a staging database
//! that is renamed into place through the maintenance database; a replaced
//! dataset is renamed aside first and dropped only after the new one is
//! published.

use super::{Backend, Connection, Staged};
use crate::catalog::{DatasetRecord, Location};
use crate::config::{Backend as BackendKind, Settings};
use crate::dialect::{PostgresqlDialect, ServerDatabases};
use crate::error::{Error, Result};
use crate::store::odbc::{OdbcStore, OdbcTarget};
use crate::store::{Store, Value};

/// The database connected to for creating, renaming and dropping others.
const MAINTENANCE_DATABASE: &str = "postgres";
/// PostgreSQL truncates longer identifiers; mdm refuses them instead.
const MAX_IDENTIFIER: usize = 63;
const STAGING_MARK: &str = "_staging_";
const RETIRED_MARK: &str = "_retired_";

/// PostgreSQL over ODBC.
pub struct ServerBackend {
    target: OdbcTarget,
    prefix: String,
    /// For the discovery files' connection strings.
    settings: Settings,
    dialect: PostgresqlDialect,
}

impl ServerBackend {
    pub fn new(settings: &Settings) -> Result<ServerBackend> {
        Ok(ServerBackend {
            target: OdbcTarget::new(settings, BackendKind::Postgresql)?,
            prefix: settings.config.database.postgresql.database_prefix.clone(),
            settings: settings.clone(),
            dialect: PostgresqlDialect,
        })
    }

    fn database(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    fn maintenance(&self) -> Result<OdbcStore> {
        self.target.connect(MAINTENANCE_DATABASE)
    }

    /// Names of the databases starting with the prefix.
    fn databases(&self, maintenance: &mut OdbcStore) -> Result<Vec<String>> {
        let mut names = Vec::new();
        maintenance.query(
            &self.dialect.databases_with_prefix(),
            &[Value::Text(self.prefix.clone())],
            &mut |row| {
                if let Some(Value::Text(name)) = row.first() {
                    names.push(name.clone());
                }
                Ok(())
            },
        )?;
        Ok(names)
    }
}

impl Backend for ServerBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::Postgresql
    }

    fn check_name(&self, name: &str) -> Result<()> {
        let staging = format!("{}{STAGING_MARK}{}", self.database(name), u32::MAX);
        if staging.len() > MAX_IDENTIFIER {
            return Err(Error::InvalidArgument(format!(
                "dataset name {name:?} is too long for PostgreSQL: with the prefix {:?} and mdm's staging suffix \
                 the database name must stay within {MAX_IDENTIFIER} characters (use at most {} characters)",
                self.prefix,
                MAX_IDENTIFIER - (staging.len() - name.len())
            )));
        }
        Ok(())
    }

    fn location(&self, name: &str) -> Location {
        Location {
            connection_string: Some(crate::catalog::server_url(
                &self.settings,
                &self.database(name),
            )),
            ..Location::default()
        }
    }

    fn stage(&self, name: &str) -> Result<Box<dyn Staged>> {
        let mut maintenance = self.maintenance()?;
        let staging = format!(
            "{}{STAGING_MARK}{}",
            self.database(name),
            std::process::id()
        );
        maintenance.execute(&self.dialect.drop_database(&staging), &[])?;
        maintenance.execute(&self.dialect.create_database(&staging), &[])?;
        let mut staged = ServerStaged {
            dialect: self.dialect,
            maintenance,
            staging: staging.clone(),
            database: self.database(name),
            store: None,
            published: false,
        };
        staged.store = Some(self.target.connect_for_load(&staging)?);
        Ok(Box::new(staged))
    }

    fn open(&self, record: &DatasetRecord) -> Result<Box<dyn Store>> {
        let database = record
            .location
            .database_name()
            .unwrap_or_else(|| self.database(&record.name));
        Ok(Box::new(self.target.connect(&database).map_err(
            |err| match err {
                Error::Backend(message) if message.contains("does not exist") => {
                    Error::Backend(format!(
                "the database {database} of dataset '{}' does not exist on the server ({message})",
                record.name
            ))
                }
                other => other,
            },
        )?))
    }

    fn removal_targets(&self, record: &DatasetRecord) -> Vec<String> {
        let database = record
            .location
            .database_name()
            .unwrap_or_else(|| self.database(&record.name));
        vec![format!("PostgreSQL database {database}")]
    }

    fn remove(&self, record: &DatasetRecord) -> Result<()> {
        let database = record
            .location
            .database_name()
            .unwrap_or_else(|| self.database(&record.name));
        self.maintenance()?
            .execute(&self.dialect.drop_database(&database), &[])
    }

    fn connection(&self, record: &DatasetRecord) -> Result<Connection> {
        let database = record
            .location
            .database_name()
            .unwrap_or_else(|| self.database(&record.name));
        Ok(self.target.connection(&database))
    }

    fn sizes(&self, records: &[&DatasetRecord]) -> Vec<Option<u64>> {
        let Ok(mut maintenance) = self.maintenance() else {
            return vec![None; records.len()];
        };
        records
            .iter()
            .map(|record| {
                let database = record.location.database_name()?;
                let mut size = None;
                maintenance
                    .query(
                        &self.dialect.database_size(),
                        &[Value::Text(database)],
                        &mut |row| {
                            size = row.first().and_then(Value::as_i64).map(|s| s as u64);
                            Ok(())
                        },
                    )
                    .ok()?;
                size
            })
            .collect()
    }

    /// Drops staging databases of this host's registrations that were killed
    /// and puts back a retired dataset whose replacement never arrived.
    fn sweep(&self) {
        let Ok(mut maintenance) = self.maintenance() else {
            return;
        };
        let Ok(names) = self.databases(&mut maintenance) else {
            return;
        };
        for name in &names {
            for mark in [STAGING_MARK, RETIRED_MARK] {
                let Some((live, pid)) = name.rsplit_once(mark) else {
                    continue;
                };
                let Ok(pid) = pid.parse::<u32>() else {
                    continue;
                };
                if pid == std::process::id()
                    || std::path::Path::new(&format!("/proc/{pid}")).exists()
                {
                    continue;
                }
                let sql = if mark == RETIRED_MARK && !names.iter().any(|n| n == live) {
                    self.dialect.rename_database(name, live)
                } else {
                    self.dialect.drop_database(name)
                };
                if let Err(err) = maintenance.execute(&sql, &[]) {
                    log::warn!("cannot clean up {name}: {err}");
                }
            }
        }
    }
}

/// A dataset loading into a staging database.
struct ServerStaged {
    dialect: PostgresqlDialect,
    maintenance: OdbcStore,
    staging: String,
    database: String,
    store: Option<OdbcStore>,
    published: bool,
}

impl Staged for ServerStaged {
    fn store(&mut self) -> &mut dyn Store {
        self.store.as_mut().expect("open until published")
    }

    fn publish(mut self: Box<Self>, commit: &mut dyn FnMut() -> Result<()>) -> Result<()> {
        // A database cannot be renamed while anyone is connected to it.
        self.store = None;
        let retired = format!("{}{RETIRED_MARK}{}", self.database, std::process::id());
        let mut exists = false;
        let sql = self.dialect;
        self.maintenance.query(
            &sql.database_exists(),
            &[Value::Text(self.database.clone())],
            &mut |_| {
                exists = true;
                Ok(())
            },
        )?;
        let rename = |m: &mut OdbcStore, from: &str, to: &str| {
            m.execute(&sql.rename_database(from, to), &[])
        };
        if exists {
            rename(&mut self.maintenance, &self.database, &retired).map_err(|e| {
                Error::Backend(format!(
                    "cannot replace database {} (is a client still connected to it?): {e}",
                    self.database
                ))
            })?;
        }
        if let Err(err) = rename(&mut self.maintenance, &self.staging, &self.database) {
            if exists {
                let _ = rename(&mut self.maintenance, &retired, &self.database);
            }
            return Err(err);
        }
        self.published = true;
        if let Err(err) = commit() {
            let _ = self
                .maintenance
                .execute(&sql.drop_database(&self.database), &[]);
            if exists {
                let _ = rename(&mut self.maintenance, &retired, &self.database);
            }
            return Err(err);
        }
        if exists {
            if let Err(err) = self.maintenance.execute(&sql.drop_database(&retired), &[]) {
                log::warn!("cannot drop the replaced database {retired}: {err}");
            }
        }
        Ok(())
    }
}

impl Drop for ServerStaged {
    fn drop(&mut self) {
        self.store = None;
        if !self.published {
            let sql = self.dialect.drop_database(&self.staging);
            let _ = self.maintenance.execute(&sql, &[]);
        }
    }
}
