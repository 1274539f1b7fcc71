//! Server backends (PostgreSQL): one database per dataset,
//! `{database_prefix}{name}`, and the server is the catalog: the datasets
//! are the databases with the prefix that carry mdm's description (a
//! database comment written before the database is published, so one
//! query lists them all) and that the role may connect to. Access is
//! PostgreSQL's: a new database belongs to the role that registered it and
//! is private until granted. A registration loads into a staging database
//! that is renamed into place through the maintenance database (the rename
//! fails if the name was taken meanwhile, so of two users registering one
//! name exactly one wins); a replaced dataset is renamed aside first and
//! dropped only after the new one is published.
//!
//! When the registering role may create roles, a dataset's database and
//! every table in it belong to a role of its own, `{database}:owners`:
//! the registrant holds it with admin option (and so owns the dataset),
//! the roles granted write access are its plain members, and sessions of
//! members act as it (`SET ROLE`), so that a writer may replace tables or
//! the whole database just as the owner may. Otherwise the database
//! belongs to the registering role itself and write access is limited to
//! changing rows.
//!
//! The server is spoken to only through its dialect's [`ServerDatabases`]
//! statements. This file holds the backend and its connections;
//! `catalog.rs` reads the datasets, `access.rs` owns roles and grants, and
//! `staging.rs` supplies the staging protocol's database primitives.

mod access;
mod catalog;
mod staging;

use super::record::{DatasetRecord, Location};
use super::{Access, Backend, Lookup, Staged, WriteScope};
use crate::config::{Backend as BackendKind, Settings};
use crate::dialect::ServerDialect;
use crate::error::{Error, Result};
use crate::model::Value;
use crate::store::odbc::{OdbcStore, OdbcTarget};
use crate::store::{Connection, Store};

/// PostgreSQL over ODBC.
pub struct ServerBackend {
    target: OdbcTarget,
    prefix: String,
    /// For the discovery files' connection strings.
    settings: Settings,
    dialect: std::sync::Arc<dyn ServerDialect>,
}

impl ServerBackend {
    pub fn new(settings: &Settings) -> Result<ServerBackend> {
        let kind = settings.backend();
        let profile = crate::store::odbc::profile::for_config(kind, &settings.config);
        let (Some(dialect), Some(prefix)) = (
            crate::dialect::server_for_backend(kind),
            profile.database_prefix(),
        ) else {
            return Err(Error::Config(format!(
                "configuration key `database.default_backend`: {kind} keeps no datasets as server databases"
            )));
        };
        Ok(ServerBackend {
            target: OdbcTarget::new(settings, kind)?,
            prefix,
            settings: settings.clone(),
            dialect,
        })
    }

    fn database(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    /// The database of a published dataset, as recorded.
    fn recorded_database(&self, record: &DatasetRecord) -> String {
        record
            .location
            .database_name()
            .unwrap_or_else(|| self.database(&record.name))
    }

    fn maintenance(&self) -> Result<OdbcStore> {
        self.target.connect(self.dialect.maintenance_database())
    }

    /// Connects to a dataset's database; one removed between the
    /// catalog's answer and the connection is "not found", not a server
    /// fault.
    fn connect_dataset(&self, database: &str) -> Result<OdbcStore> {
        match self.target.connect(database) {
            Ok(mut store) => {
                self.act_as_owners(&mut store, database)?;
                Ok(store)
            }
            Err(err) if !self.database_exists(database)? => {
                log::debug!("connecting to {database}: {err}");
                let name = database.strip_prefix(&self.prefix).unwrap_or(database);
                Err(Error::NotFound(format!(
                    "dataset '{name}' was removed from the server (its database {database} no longer exists)"
                )))
            }
            Err(err) => Err(err),
        }
    }

    fn database_exists(&self, database: &str) -> Result<bool> {
        exists(&mut self.maintenance()?, self.dialect.as_ref(), database)
    }
}

/// Whether `database` exists, asked on a maintenance connection.
fn exists(
    maintenance: &mut OdbcStore,
    dialect: &dyn ServerDialect,
    database: &str,
) -> Result<bool> {
    let mut exists = false;
    maintenance.query(
        &dialect.database_exists(),
        &[Value::Text(database.to_string())],
        &mut |_| {
            exists = true;
            Ok(())
        },
    )?;
    Ok(exists)
}

impl Backend for ServerBackend {
    fn kind(&self) -> BackendKind {
        self.settings.backend()
    }

    fn check_name(&self, name: &str) -> Result<()> {
        self.check_database_name(name)
    }

    fn location(&self, name: &str) -> Location {
        Location {
            connection_string: Some(super::record::server_url(
                &self.settings,
                &self.database(name),
            )),
            ..Location::default()
        }
    }

    fn stage(&self, name: &str, replace: bool) -> Result<Box<dyn Staged>> {
        self.stage_database(name, replace)
    }

    fn is_catalog(&self) -> bool {
        true
    }

    fn datasets(&self) -> Result<Vec<DatasetRecord>> {
        self.list_datasets()
    }

    fn lookup(&self, name: &str) -> Result<Lookup> {
        self.look_up(name)
    }

    fn describe(&self, record: &DatasetRecord) -> Result<()> {
        let mut maintenance = self.maintenance()?;
        self.comment_on(&mut maintenance, &self.database(&record.name), record)
    }

    fn check_owner(&self, record: &DatasetRecord) -> Result<()> {
        self.check_owns(record)
    }

    fn check_writer(&self, record: &DatasetRecord, scope: WriteScope) -> Result<()> {
        self.check_writes(record, scope)
    }

    fn user(&self) -> Option<String> {
        self.current_user()
    }

    fn access(&self, record: &DatasetRecord) -> Result<Option<Access>> {
        self.access_of(record).map(Some)
    }

    fn grant(&self, record: &DatasetRecord, role: &str, write: bool) -> Result<()> {
        self.grant_access(record, role, write)
    }

    fn revoke(&self, record: &DatasetRecord, role: &str) -> Result<()> {
        self.revoke_access(record, role)
    }

    fn open(&self, record: &DatasetRecord) -> Result<Box<dyn Store>> {
        Ok(Box::new(
            self.connect_dataset(&self.recorded_database(record))?,
        ))
    }

    fn removal_targets(&self, record: &DatasetRecord) -> Vec<String> {
        vec![format!(
            "PostgreSQL database {}",
            self.recorded_database(record)
        )]
    }

    fn remove(&self, record: &DatasetRecord) -> Result<()> {
        self.remove_database(&self.recorded_database(record))
    }

    fn connection(&self, record: &DatasetRecord, _write: bool) -> Result<Connection> {
        Ok(self.target.connection(&self.recorded_database(record)))
    }

    fn sizes(&self, records: &[&DatasetRecord]) -> Vec<Option<u64>> {
        self.database_sizes(records)
    }

    /// Drops staging databases of this host's registrations that were killed
    /// and puts back a retired dataset whose replacement never arrived.
    fn sweep(&self) {
        self.sweep_databases();
    }
}
