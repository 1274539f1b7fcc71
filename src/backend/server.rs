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

use super::record::{self, DatasetRecord, Location};
use super::{Access, Backend, Lookup, Staged, WriteScope};
use crate::config::{Backend as BackendKind, Settings};
use crate::dialect::{Dialect, PostgresqlDialect, ServerDatabases, OWNERS_SUFFIX};
use crate::error::{Error, Result};
use crate::model::name::{validate_name, METADATA_TABLE};
use crate::model::Value;
use crate::store::odbc::{OdbcStore, OdbcTarget};
use crate::store::{Connection, Store};

/// The database connected to for creating, renaming and dropping others.
const MAINTENANCE_DATABASE: &str = "postgres";
/// PostgreSQL truncates longer identifiers; mdm refuses them instead.
const MAX_IDENTIFIER: usize = 63;
const STAGING_MARK: &str = "_staging_";
const RETIRED_MARK: &str = "_retired_";
/// How mdm's description of a dataset starts in its database comment.
const DESCRIPTION_MARK: &str = "mdm:";

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

    /// The role that owns `database` (a dataset's, or its staging copy's)
    /// when the dataset has an owners role.
    fn owners_role(&self, database: &str) -> String {
        let live = database
            .rsplit_once(STAGING_MARK)
            .map_or(database, |(live, _)| live);
        format!("{live}{OWNERS_SUFFIX}")
    }

    /// Who owns `database` and what the current role may do with it;
    /// `None` when it does not exist.
    fn ownership(&self, maintenance: &mut OdbcStore, database: &str) -> Result<Option<Ownership>> {
        let mut found = None;
        maintenance.query(
            &self.dialect.database_owner(),
            &[Value::Text(database.to_string())],
            &mut |row| {
                let flag = |i: usize| row.get(i).and_then(Value::as_i64).unwrap_or(0) != 0;
                found = Some(Ownership {
                    shown: match row.first() {
                        Some(Value::Text(owner)) => owner.clone(),
                        _ => String::new(),
                    },
                    is_owner: flag(1),
                    owners_role: match row.get(2) {
                        Some(Value::Text(role)) => Some(role.clone()),
                        _ => None,
                    },
                    acts_as_owner: flag(3),
                });
                Ok(())
            },
        )?;
        Ok(found)
    }

    /// Makes a session on `database` act as its owners role, when the
    /// database has one and the current role is a member (the owner or a
    /// writer), so that what it creates belongs to the dataset.
    fn act_as_owners(&self, store: &mut OdbcStore, database: &str) -> Result<()> {
        store.query(
            "SELECT set_config('role', r.rolname, false) FROM pg_roles r \
             WHERE r.rolname = ? \
             AND r.oid = (SELECT datdba FROM pg_database WHERE datname = current_database()) \
             AND pg_has_role(current_user, r.oid, 'MEMBER')",
            &[Value::Text(self.owners_role(database))],
            &mut |_| Ok(()),
        )
    }

    /// The owners role a new staging database of `database` is created
    /// as: a replaced dataset's own, or a new one when the current role
    /// may create roles (`joined` then says it must be dropped again if
    /// the registration fails). Called holding the name's advisory lock.
    fn owners_for(
        &self,
        maintenance: &mut OdbcStore,
        database: &str,
        replace: bool,
    ) -> Result<Option<Owners>> {
        if let Some(ownership) = self.ownership(maintenance, database)? {
            if !replace {
                return Err(Error::AlreadyExists(format!(
                    "dataset database {database} was registered on the server by someone else meanwhile"
                )));
            }
            return Ok(ownership.owners_role.map(|name| Owners {
                name,
                created: false,
            }));
        }
        let mut may_create = false;
        maintenance.query(
            "SELECT 1 FROM pg_roles WHERE rolname = current_user AND (rolcreaterole OR rolsuper)",
            &[],
            &mut |_| {
                may_create = true;
                Ok(())
            },
        )?;
        if !may_create {
            return Ok(None);
        }
        let name = self.owners_role(database);
        let role = self.dialect.quote_identifier(&name);
        let create = format!("CREATE ROLE {role} NOLOGIN CREATEDB");
        if maintenance.execute(&create, &[]).is_err() {
            // Left by a registration that was killed (it owns nothing and
            // can be dropped), or owning another registration's staging
            // database: that one is in progress.
            if let Err(err) = maintenance.execute(&format!("DROP ROLE IF EXISTS {role}"), &[]) {
                log::debug!("role {name}: {err}");
                return Err(Error::AlreadyExists(format!(
                    "dataset database {database} is being registered on the server by someone else"
                )));
            }
            maintenance.execute(&create, &[])?;
        }
        let owners = Owners {
            name,
            created: true,
        };
        let setup = [
            format!("GRANT {role} TO CURRENT_USER WITH ADMIN OPTION"),
            format!(
                "COMMENT ON ROLE {role} IS {}",
                self.dialect.quote_literal(&format!(
                    "mdm: owns database {database}; its admins own the dataset, its other members may write"
                ))
            ),
        ];
        for statement in setup {
            if let Err(err) = maintenance.execute(&statement, &[]) {
                let _ = maintenance.execute(&format!("DROP ROLE IF EXISTS {role}"), &[]);
                return Err(err);
            }
        }
        Ok(Some(owners))
    }

    /// Takes `role`'s write membership of an owners role back (never an
    /// owner's).
    fn revoke_membership(
        &self,
        maintenance: &mut OdbcStore,
        owners: &str,
        role: &str,
    ) -> Result<()> {
        let mut member = false;
        maintenance.query(
            "SELECT 1 FROM pg_auth_members a \
             WHERE a.roleid = (SELECT oid FROM pg_roles WHERE rolname = ?) \
             AND a.member = (SELECT oid FROM pg_roles WHERE rolname = ?) AND NOT a.admin_option",
            &[
                Value::Text(owners.to_string()),
                Value::Text(role.to_string()),
            ],
            &mut |_| {
                member = true;
                Ok(())
            },
        )?;
        if !member {
            return Ok(());
        }
        let q = |name: &str| self.dialect.quote_identifier(name);
        maintenance.execute(&format!("REVOKE {} FROM {}", q(owners), q(role)), &[])
    }

    /// The dataset a database of the prefix holds, unless it is a staging
    /// or retired copy.
    fn dataset_name(&self, database: &str) -> Option<String> {
        let name = database.strip_prefix(&self.prefix)?;
        let is_copy = [STAGING_MARK, RETIRED_MARK].iter().any(|mark| {
            name.rsplit_once(mark)
                .is_some_and(|(_, pid)| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
        });
        (!is_copy && validate_name(name).is_ok()).then(|| name.to_string())
    }

    /// The record of a listed database: its description, where mdm wrote
    /// one, else (a dataset of an earlier version) read from `_metadata`.
    fn record_of(
        &self,
        name: &str,
        description: Option<&str>,
        owner: &str,
    ) -> Option<DatasetRecord> {
        let mut record = match description.and_then(|d| d.strip_prefix(DESCRIPTION_MARK)) {
            Some(json) => serde_json::from_str::<DatasetRecord>(json).ok()?,
            None => self.record_from_metadata(name).ok()??,
        };
        record.name = name.to_string();
        record.backend = BackendKind::Postgresql;
        record.location = self.location(name);
        record.owner = Some(owner.to_string());
        Some(record)
    }

    /// Rebuilds a record from the `_metadata` of a dataset registered
    /// before datasets were described in their database comment; `None`
    /// when the database holds no `_metadata` (not an mdm dataset).
    fn record_from_metadata(&self, name: &str) -> Result<Option<DatasetRecord>> {
        let mut store = self.connect_dataset(&self.database(name))?;
        let mut fields = serde_json::Map::new();
        let sql = format!(
            "SELECT {key}, {value} FROM {table} WHERE {key} <> 'statistics'",
            key = self.dialect.quote_identifier("key"),
            value = self.dialect.quote_identifier("value"),
            table = self.dialect.quote_identifier(METADATA_TABLE),
        );
        let read = store.query(&sql, &[], &mut |row| {
            if let [Value::Text(key), Value::Text(value)] = row {
                if let Ok(value) = serde_json::from_str(value) {
                    fields.insert(key.clone(), value);
                }
            }
            Ok(())
        });
        if read.is_err() {
            return Ok(None);
        }
        let tables: Vec<record::TableRecord> = fields
            .get("schema")
            .and_then(|s| s.as_array())
            .map(|tables| {
                tables
                    .iter()
                    .map(|t| record::TableRecord {
                        name: t["name"].as_str().unwrap_or_default().to_string(),
                        rows: t["rows"].as_u64().unwrap_or(0),
                        columns: t["columns"].as_array().map_or(0, |c| c.len() as u64),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut value = serde_json::Value::Object(fields);
        value["backend"] = serde_json::json!("postgresql");
        value["database"] = serde_json::json!({});
        value["tables"] = serde_json::json!(tables);
        value["source_files"] = value
            .get("sources")
            .cloned()
            .unwrap_or(serde_json::json!([]));
        for key in ["created_at", "updated_at"] {
            if !value[key].is_string() {
                value[key] = serde_json::json!("");
            }
        }
        Ok(serde_json::from_value(value).ok())
    }

    fn not_owner(record: &DatasetRecord, ownership: &Ownership) -> Error {
        Error::PermissionDenied(format!(
            "dataset '{}' is owned by {}; ask them or a superuser",
            record.name, ownership.shown
        ))
    }

    /// The comment that describes a dataset in the server's catalog.
    fn description(record: &DatasetRecord) -> String {
        let mut record = record.clone();
        record.location = Location::default();
        record.owner = None;
        format!(
            "{DESCRIPTION_MARK}{}",
            serde_json::to_string(&record).unwrap_or_default()
        )
    }

    fn comment_on(
        &self,
        maintenance: &mut OdbcStore,
        database: &str,
        record: &DatasetRecord,
    ) -> Result<()> {
        let sql = format!(
            "COMMENT ON DATABASE {} IS {}",
            self.dialect.quote_identifier(database),
            self.dialect.quote_literal(&Self::description(record))
        );
        maintenance.execute(&sql, &[])
    }

    /// Reads (role, read or write) of every role given access to
    /// `database`, from inside it.
    fn grants_of(&self, database: &str) -> Result<Vec<(String, String)>> {
        let mut store = self.connect_dataset(database)?;
        let mut grants = Vec::new();
        // Direct grants only (a member of a granted group is not listed):
        // CONNECT on the database; writers are members of the owners role
        // (or, in a database without one, may UPDATE `_metadata`).
        let sql = format!(
            "SELECT r.rolname, \
             MAX(CASE WHEN t.privilege_type = 'UPDATE' OR m.member IS NOT NULL THEN 1 ELSE 0 END) \
             FROM pg_database d CROSS JOIN LATERAL aclexplode(d.datacl) a \
             JOIN pg_roles r ON r.oid = a.grantee \
             LEFT JOIN (SELECT (aclexplode(c.relacl)).* FROM pg_class c \
                        WHERE c.oid = to_regclass({table})) t ON t.grantee = a.grantee \
             LEFT JOIN pg_auth_members m ON m.roleid = d.datdba AND m.member = a.grantee \
                        AND NOT m.admin_option \
             WHERE d.datname = current_database() AND a.privilege_type = 'CONNECT' \
             AND a.grantee <> d.datdba \
             GROUP BY r.rolname ORDER BY r.rolname",
            table = self
                .dialect
                .quote_literal(&self.dialect.quote_identifier(METADATA_TABLE))
        );
        store.query(&sql, &[], &mut |row| {
            if let Some(Value::Text(role)) = row.first() {
                let write = row.get(1).and_then(Value::as_i64).unwrap_or(0) != 0;
                grants.push((
                    role.clone(),
                    if write { "write" } else { "read" }.to_string(),
                ));
            }
            Ok(())
        })?;
        Ok(grants)
    }

    /// Gives `role` read (and with `write`, write) access to `database`:
    /// CONNECT, then privileges on every table, present and future.
    fn apply_grant(
        &self,
        maintenance: &mut OdbcStore,
        database: &str,
        role: &str,
        write: bool,
    ) -> Result<()> {
        let q = |name: &str| self.dialect.quote_identifier(name);
        maintenance.execute(
            &format!("GRANT CONNECT ON DATABASE {} TO {}", q(database), q(role)),
            &[],
        )?;
        let mut store = self.connect_dataset(database)?;
        let schema = current_schema(&mut store)?;
        let privileges = if write {
            "SELECT, INSERT, UPDATE, DELETE, TRUNCATE"
        } else {
            "SELECT"
        };
        let (schema, role) = (q(&schema), q(role));
        let mut statements = vec![
            format!("GRANT USAGE ON SCHEMA {schema} TO {role}"),
            format!("GRANT {privileges} ON ALL TABLES IN SCHEMA {schema} TO {role}"),
            format!("ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT {privileges} ON TABLES TO {role}"),
        ];
        if write {
            statements.push(format!("GRANT CREATE ON SCHEMA {schema} TO {role}"));
        }
        for statement in statements {
            store.execute(&statement, &[])?;
        }
        Ok(())
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

impl ServerBackend {
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
        let mut exists = false;
        self.maintenance()?.query(
            &self.dialect.database_exists(),
            &[Value::Text(database.to_string())],
            &mut |_| {
                exists = true;
                Ok(())
            },
        )?;
        Ok(exists)
    }

    fn revoke_all(&self, maintenance: &mut OdbcStore, database: &str, role: &str) -> Result<()> {
        if let Some(owners) = self
            .ownership(maintenance, database)?
            .and_then(|o| o.owners_role)
        {
            self.revoke_membership(maintenance, &owners, role)?;
        }
        let q = |name: &str| self.dialect.quote_identifier(name);
        let mut store = self.connect_dataset(database)?;
        let schema = q(&current_schema(&mut store)?);
        let role_q = q(role);
        for statement in [
            format!(
                "ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} REVOKE ALL ON TABLES FROM {role_q}"
            ),
            format!("REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {role_q}"),
            format!("REVOKE CREATE ON SCHEMA {schema} FROM {role_q}"),
        ] {
            store.execute(&statement, &[])?;
        }
        drop(store);
        maintenance.execute(
            &format!("REVOKE ALL ON DATABASE {} FROM {role_q}", q(database)),
            &[],
        )
    }
}

/// Waits (up to `database.connection_timeout`) for the sessions of
/// other readers of `database` to end: a database cannot be dropped or
/// renamed while anyone is connected, and a reader finishing its
/// export should not make a removal fail.
fn wait_until_unused(maintenance: &mut OdbcStore, database: &str, timeout: u64) -> Result<()> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(timeout);
    loop {
        let mut sessions = 0;
        maintenance.query(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = ?",
            &[Value::Text(database.to_string())],
            &mut |row| {
                sessions = row.first().and_then(Value::as_i64).unwrap_or(0);
                Ok(())
            },
        )?;
        if sessions == 0 {
            return Ok(());
        }
        if std::time::Instant::now() >= deadline {
            return Err(Error::Backend(format!(
                "database {database} is in use by {sessions} other session(s) after waiting {timeout} s \
                 (database.connection_timeout); try again when they have finished"
            )));
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// Who owns a database, as the current role sees it.
struct Ownership {
    /// The owner named in messages and `info`: the registrant where the
    /// database belongs to an owners role.
    shown: String,
    /// Whether the current role owns the dataset (or is a superuser).
    is_owner: bool,
    /// The database's owners role, if it has one.
    owners_role: Option<String>,
    /// Whether the current role may act as the role owning the database
    /// (an owner, or a writer of a dataset with an owners role).
    acts_as_owner: bool,
}

/// The owners role a staging database is created as.
struct Owners {
    name: String,
    /// Created for this registration (dropped again if it fails).
    created: bool,
}

/// One row of the dialect's `described_databases` query.
struct DescribedDatabase {
    database: String,
    /// mdm's description (the database comment), if any.
    description: Option<String>,
    owner: String,
    /// Whether this role may connect.
    allowed: bool,
}

impl DescribedDatabase {
    fn from_row(row: &[Value]) -> Option<DescribedDatabase> {
        let [Value::Text(database), description, Value::Text(owner), access] = row else {
            return None;
        };
        Some(DescribedDatabase {
            database: database.clone(),
            description: match description {
                Value::Text(text) => Some(text.clone()),
                _ => None,
            },
            owner: owner.clone(),
            allowed: access.as_i64().unwrap_or(0) != 0,
        })
    }
}

/// The schema mdm's tables are created in.
fn current_schema(store: &mut OdbcStore) -> Result<String> {
    let mut schema = String::from("public");
    store.query("SELECT current_schema()", &[], &mut |row| {
        if let Some(Value::Text(name)) = row.first() {
            schema = name.clone();
        }
        Ok(())
    })?;
    Ok(schema)
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
            connection_string: Some(record::server_url(&self.settings, &self.database(name))),
            ..Location::default()
        }
    }

    fn stage(&self, name: &str, replace: bool) -> Result<Box<dyn Staged>> {
        let mut maintenance = self.maintenance()?;
        let database = self.database(name);
        let staging = format!("{database}{STAGING_MARK}{}", std::process::id());
        // One registration of a name at a time chooses its owners role and
        // creates its staging database (the lock ends with the session).
        maintenance.query(
            "SELECT pg_advisory_lock(hashtext(?))",
            &[Value::Text(database.clone())],
            &mut |_| Ok(()),
        )?;
        let owners = self.owners_for(&mut maintenance, &database, replace)?;
        let mut staged = ServerStaged {
            dialect: self.dialect,
            timeout: self.settings.config.database.connection_timeout,
            maintenance,
            staging: staging.clone(),
            database: database.clone(),
            replace,
            store: None,
            published: false,
            created_owners: owners
                .as_ref()
                .filter(|o| o.created)
                .map(|o| o.name.clone()),
        };
        if let Some(owners) = &owners {
            let role = self.dialect.quote_identifier(&owners.name);
            staged
                .maintenance
                .execute(&format!("SET ROLE {role}"), &[])?;
        }
        staged
            .maintenance
            .execute(&self.dialect.drop_database(&staging), &[])?;
        staged
            .maintenance
            .execute(&self.dialect.create_database(&staging), &[])?;
        staged.maintenance.query(
            "SELECT pg_advisory_unlock(hashtext(?))",
            &[Value::Text(database.clone())],
            &mut |_| Ok(()),
        )?;
        // Private from the start: nobody but the owner may connect.
        staged.maintenance.execute(
            &format!(
                "REVOKE ALL ON DATABASE {} FROM PUBLIC",
                self.dialect.quote_identifier(&staging)
            ),
            &[],
        )?;
        // A replacement keeps the grants of the dataset it replaces.
        if replace {
            if let Lookup::Present(_) = self.lookup(name)? {
                for (role, level) in self.grants_of(&database)? {
                    // Writers of a dataset with an owners role stay its members.
                    let write = level == "write" && owners.is_none();
                    self.apply_grant(&mut staged.maintenance, &staging, &role, write)?;
                }
            }
        }
        let mut store = self.target.connect_for_load(&staging)?;
        self.act_as_owners(&mut store, &staging)?;
        staged.store = Some(store);
        Ok(Box::new(staged))
    }

    fn is_catalog(&self) -> bool {
        true
    }

    fn datasets(&self) -> Result<Vec<DatasetRecord>> {
        let mut maintenance = self.maintenance()?;
        let mut rows = Vec::new();
        maintenance.query(
            &self.dialect.described_databases(),
            &[Value::Text(self.prefix.clone())],
            &mut |row| {
                rows.extend(DescribedDatabase::from_row(row));
                Ok(())
            },
        )?;
        drop(maintenance);
        Ok(rows
            .into_iter()
            .filter(|row| row.allowed)
            .filter_map(|row| {
                let name = self.dataset_name(&row.database)?;
                self.record_of(&name, row.description.as_deref(), &row.owner)
            })
            .collect())
    }

    fn lookup(&self, name: &str) -> Result<Lookup> {
        let mut maintenance = self.maintenance()?;
        let mut found = None;
        let database = self.database(name);
        maintenance.query(
            &self.dialect.described_database(),
            &[Value::Text(database.clone()), Value::Text(database)],
            &mut |row| {
                found = DescribedDatabase::from_row(row);
                Ok(())
            },
        )?;
        drop(maintenance);
        // The name as the server spells it (it may differ in case).
        let Some(DescribedDatabase {
            database,
            description,
            owner,
            allowed,
        }) = found
        else {
            return Ok(Lookup::Missing);
        };
        let Some(name) = self.dataset_name(&database) else {
            return Ok(Lookup::Missing);
        };
        if !allowed {
            return Ok(Lookup::Denied { owner });
        }
        Ok(
            match self.record_of(&name, description.as_deref(), &owner) {
                Some(record) => Lookup::Present(Box::new(record)),
                None => Lookup::Missing,
            },
        )
    }

    fn describe(&self, record: &DatasetRecord) -> Result<()> {
        let mut maintenance = self.maintenance()?;
        self.comment_on(&mut maintenance, &self.database(&record.name), record)
    }

    fn check_owner(&self, record: &DatasetRecord) -> Result<()> {
        let mut maintenance = self.maintenance()?;
        match self.ownership(&mut maintenance, &self.database(&record.name))? {
            Some(ownership) if !ownership.is_owner => Err(Self::not_owner(record, &ownership)),
            _ => Ok(()),
        }
    }

    fn check_writer(&self, record: &DatasetRecord, scope: WriteScope) -> Result<()> {
        let mut maintenance = self.maintenance()?;
        let database = self.database(&record.name);
        let Some(ownership) = self.ownership(&mut maintenance, &database)? else {
            return Ok(());
        };
        drop(maintenance);
        if ownership.is_owner || (ownership.owners_role.is_some() && ownership.acts_as_owner) {
            return Ok(());
        }
        if scope == WriteScope::Rows && ownership.owners_role.is_none() {
            // A database without an owners role: writers may change rows.
            let mut store = self.connect_dataset(&database)?;
            let mut may_write = false;
            let sql = format!(
                "SELECT CASE WHEN has_table_privilege({}, 'UPDATE') THEN 1 ELSE 0 END",
                self.dialect
                    .quote_literal(&self.dialect.quote_identifier(METADATA_TABLE))
            );
            store.query(&sql, &[], &mut |row| {
                may_write = row.first().and_then(Value::as_i64) == Some(1);
                Ok(())
            })?;
            if may_write {
                return Ok(());
            }
        }
        Err(Self::not_owner(record, &ownership))
    }

    fn user(&self) -> Option<String> {
        let mut user = None;
        self.maintenance()
            .ok()?
            .query("SELECT current_user", &[], &mut |row| {
                if let Some(Value::Text(name)) = row.first() {
                    user = Some(name.clone());
                }
                Ok(())
            })
            .ok()?;
        user
    }

    fn access(&self, record: &DatasetRecord) -> Result<Option<Access>> {
        let database = self.database(&record.name);
        let owner = self
            .ownership(&mut self.maintenance()?, &database)?
            .map(|o| o.shown)
            .unwrap_or_default();
        Ok(Some(Access {
            owner,
            grants: self.grants_of(&database)?,
        }))
    }

    fn grant(&self, record: &DatasetRecord, role: &str, write: bool) -> Result<()> {
        self.check_owner(record)?;
        let mut maintenance = self.maintenance()?;
        let mut exists = false;
        maintenance.query(
            "SELECT 1 FROM pg_roles WHERE rolname = ?",
            &[Value::Text(role.to_string())],
            &mut |_| {
                exists = true;
                Ok(())
            },
        )?;
        if !exists {
            return Err(Error::InvalidArgument(format!(
                "role {role:?} does not exist on the server (see psql's \\du)"
            )));
        }
        let database = self.database(&record.name);
        if !write {
            // A write grant narrowed to read: take everything back first.
            self.revoke_all(&mut maintenance, &database, role)?;
        }
        let owners = self
            .ownership(&mut maintenance, &database)?
            .and_then(|o| o.owners_role);
        let Some(owners) = owners else {
            return self.apply_grant(&mut maintenance, &database, role, write);
        };
        // Writing is membership of the owners role: what the owner may do
        // to tables and the database, the writer may do too.
        self.apply_grant(&mut maintenance, &database, role, false)?;
        if write {
            let q = |name: &str| self.dialect.quote_identifier(name);
            maintenance.execute(&format!("GRANT {} TO {}", q(&owners), q(role)), &[])?;
        }
        Ok(())
    }

    fn revoke(&self, record: &DatasetRecord, role: &str) -> Result<()> {
        self.check_owner(record)?;
        let mut maintenance = self.maintenance()?;
        self.revoke_all(&mut maintenance, &self.database(&record.name), role)
    }

    fn open(&self, record: &DatasetRecord) -> Result<Box<dyn Store>> {
        let database = record
            .location
            .database_name()
            .unwrap_or_else(|| self.database(&record.name));
        Ok(Box::new(self.connect_dataset(&database)?))
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
        let mut maintenance = self.maintenance()?;
        let owners = self
            .ownership(&mut maintenance, &database)?
            .and_then(|o| o.owners_role);
        let timeout = self.settings.config.database.connection_timeout;
        wait_until_unused(&mut maintenance, &database, timeout)?;
        maintenance.execute(&self.dialect.drop_database(&database), &[])?;
        if let Some(owners) = owners {
            let sql = format!(
                "DROP ROLE IF EXISTS {}",
                self.dialect.quote_identifier(&owners)
            );
            if let Err(err) = maintenance.execute(&sql, &[]) {
                log::warn!("cannot drop role {owners}, which owned the dataset: {err}");
            }
        }
        Ok(())
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
    /// How long a replacement waits for readers of the old database.
    timeout: u64,
    maintenance: OdbcStore,
    staging: String,
    database: String,
    /// Whether publishing may replace a dataset of the same name.
    replace: bool,
    store: Option<OdbcStore>,
    published: bool,
    /// The owners role made for this registration, dropped if it fails.
    created_owners: Option<String>,
}

impl Staged for ServerStaged {
    fn store(&mut self) -> &mut dyn Store {
        self.store.as_mut().expect("open until published")
    }

    fn describe(&mut self, record: &DatasetRecord) -> Result<()> {
        let sql = format!(
            "COMMENT ON DATABASE {} IS {}",
            self.dialect.quote_identifier(&self.staging),
            self.dialect
                .quote_literal(&ServerBackend::description(record))
        );
        self.maintenance.execute(&sql, &[])
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
        if exists && !self.replace {
            return Err(Error::AlreadyExists(format!(
                "dataset database {} was registered on the server by someone else meanwhile",
                self.database
            )));
        }
        if exists {
            wait_until_unused(&mut self.maintenance, &self.database, self.timeout)?;
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
            // Taken between the check and the rename by another user: the
            // server says so with 42P04, or, when both renames run at the
            // same moment, with its catalog's unique index; either way the
            // name now exists.
            let taken = !exists && {
                let mut now = false;
                let _ = self.maintenance.query(
                    &sql.database_exists(),
                    &[Value::Text(self.database.clone())],
                    &mut |_| {
                        now = true;
                        Ok(())
                    },
                );
                now
            };
            return Err(if taken || matches!(err, Error::AlreadyExists(_)) {
                Error::AlreadyExists(format!(
                    "dataset database {} was registered on the server by someone else meanwhile",
                    self.database
                ))
            } else {
                err
            });
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
            if let Some(owners) = &self.created_owners {
                let _ = self.maintenance.execute("RESET ROLE", &[]);
                let role = self.dialect.quote_identifier(owners);
                let _ = self
                    .maintenance
                    .execute(&format!("DROP ROLE IF EXISTS {role}"), &[]);
            }
        }
    }
}
