//! Access control of server datasets: who owns a dataset's database (its
//! owners role or the registering role), what the current role may do
//! with it, and the grants that give other roles read or write access.

use super::ServerBackend;
use crate::backend::record::DatasetRecord;
use crate::backend::{Access, WriteScope};
use crate::dialect::OWNERS_SUFFIX;
use crate::error::{Error, Result};
use crate::model::name::METADATA_TABLE;
use crate::model::Value;
use crate::store::odbc::OdbcStore;
use crate::store::Store;

/// Who owns a database, as the current role sees it.
pub(super) struct Ownership {
    /// The owner named in messages and `info`: the registrant where the
    /// database belongs to an owners role.
    pub shown: String,
    /// Whether the current role owns the dataset (or is a superuser).
    pub is_owner: bool,
    /// The database's owners role, if it has one.
    pub owners_role: Option<String>,
    /// Whether the current role may act as the role owning the database
    /// (an owner, or a writer of a dataset with an owners role).
    pub acts_as_owner: bool,
}

/// The owners role a staging database is created as.
pub(super) struct Owners {
    pub name: String,
    /// Created for this registration (dropped again if it fails).
    pub created: bool,
}

impl ServerBackend {
    /// The role that owns `database` (a dataset's, or its staging copy's)
    /// when the dataset has an owners role.
    fn owners_role(&self, database: &str) -> String {
        format!(
            "{}{OWNERS_SUFFIX}",
            super::staging::NAMING.live_of(database)
        )
    }

    /// Who owns `database` and what the current role may do with it;
    /// `None` when it does not exist.
    pub(super) fn ownership(
        &self,
        maintenance: &mut OdbcStore,
        database: &str,
    ) -> Result<Option<Ownership>> {
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
    pub(super) fn act_as_owners(&self, store: &mut OdbcStore, database: &str) -> Result<()> {
        store.query(
            &self.dialect.act_as_owning_role(),
            &[Value::Text(self.owners_role(database))],
            &mut |_| Ok(()),
        )
    }

    /// The owners role a new staging database of `database` is created
    /// as: a replaced dataset's own, or a new one when the current role
    /// may create roles (`created` then says it must be dropped again if
    /// the registration fails). Called holding the name's lock.
    pub(super) fn owners_for(
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
        maintenance.query(&self.dialect.may_create_roles(), &[], &mut |_| {
            may_create = true;
            Ok(())
        })?;
        if !may_create {
            return Ok(None);
        }
        let name = self.owners_role(database);
        let create = self.dialect.create_owners_role(&name);
        let drop = self.dialect.drop_role(&name);
        if maintenance.execute(&create, &[]).is_err() {
            // Left by a registration that was killed (it owns nothing and
            // can be dropped), or owning another registration's staging
            // database: that one is in progress.
            if let Err(err) = maintenance.execute(&drop, &[]) {
                log::debug!("role {name}: {err}");
                return Err(Error::AlreadyExists(format!(
                    "dataset database {database} is being registered on the server by someone else"
                )));
            }
            maintenance.execute(&create, &[])?;
        }
        let setup = [
            self.dialect.join_role_as_admin(&name),
            self.dialect.comment_on_role(
                &name,
                &format!(
                    "mdm: owns database {database}; its admins own the dataset, its other members may write"
                ),
            ),
        ];
        for statement in setup {
            if let Err(err) = maintenance.execute(&statement, &[]) {
                let _ = maintenance.execute(&drop, &[]);
                return Err(err);
            }
        }
        Ok(Some(Owners {
            name,
            created: true,
        }))
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
            &self.dialect.is_plain_member(),
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
        maintenance.execute(&self.dialect.revoke_role(owners, role), &[])
    }

    fn not_owner(record: &DatasetRecord, ownership: &Ownership) -> Error {
        Error::PermissionDenied(format!(
            "dataset '{}' is owned by {}; ask them or a superuser",
            record.name, ownership.shown
        ))
    }

    /// Reads (role, read or write) of every role given access to
    /// `database`, from inside it.
    pub(super) fn grants_of(&self, database: &str) -> Result<Vec<(String, String)>> {
        let mut store = self.connect_dataset(database)?;
        let mut grants = Vec::new();
        let sql = self.dialect.database_grants(METADATA_TABLE);
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
    pub(super) fn apply_grant(
        &self,
        maintenance: &mut OdbcStore,
        database: &str,
        role: &str,
        write: bool,
    ) -> Result<()> {
        maintenance.execute(&self.dialect.grant_connect(database, role), &[])?;
        let mut store = self.connect_dataset(database)?;
        let schema = self.current_schema(&mut store)?;
        for statement in self.dialect.grant_tables(&schema, role, write) {
            store.execute(&statement, &[])?;
        }
        Ok(())
    }

    fn revoke_all(&self, maintenance: &mut OdbcStore, database: &str, role: &str) -> Result<()> {
        if let Some(owners) = self
            .ownership(maintenance, database)?
            .and_then(|o| o.owners_role)
        {
            self.revoke_membership(maintenance, &owners, role)?;
        }
        let mut store = self.connect_dataset(database)?;
        let schema = self.current_schema(&mut store)?;
        for statement in self.dialect.revoke_tables(&schema, role) {
            store.execute(&statement, &[])?;
        }
        drop(store);
        maintenance.execute(&self.dialect.revoke_database(database, role), &[])
    }

    /// The schema mdm's tables are created in.
    fn current_schema(&self, store: &mut OdbcStore) -> Result<String> {
        let mut schema = String::from("public");
        store.query(&self.dialect.current_schema(), &[], &mut |row| {
            if let Some(Value::Text(name)) = row.first() {
                schema = name.clone();
            }
            Ok(())
        })?;
        Ok(schema)
    }

    /// Refuses (exit 5) unless the current role owns the dataset.
    pub(super) fn check_owns(&self, record: &DatasetRecord) -> Result<()> {
        let mut maintenance = self.maintenance()?;
        match self.ownership(&mut maintenance, &self.database(&record.name))? {
            Some(ownership) if !ownership.is_owner => Err(Self::not_owner(record, &ownership)),
            _ => Ok(()),
        }
    }

    /// Refuses (exit 5) unless the current role may change the dataset as
    /// `scope` says.
    pub(super) fn check_writes(&self, record: &DatasetRecord, scope: WriteScope) -> Result<()> {
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
            store.query(&self.dialect.may_update(METADATA_TABLE), &[], &mut |row| {
                may_write = row.first().and_then(Value::as_i64) == Some(1);
                Ok(())
            })?;
            if may_write {
                return Ok(());
            }
        }
        Err(Self::not_owner(record, &ownership))
    }

    /// The server role of this session.
    pub(super) fn current_user(&self) -> Option<String> {
        let mut user = None;
        self.maintenance()
            .ok()?
            .query(&self.dialect.current_user(), &[], &mut |row| {
                if let Some(Value::Text(name)) = row.first() {
                    user = Some(name.clone());
                }
                Ok(())
            })
            .ok()?;
        user
    }

    /// The dataset's owner and the roles it was granted to.
    pub(super) fn access_of(&self, record: &DatasetRecord) -> Result<Access> {
        let database = self.database(&record.name);
        let owner = self
            .ownership(&mut self.maintenance()?, &database)?
            .map(|o| o.shown)
            .unwrap_or_default();
        Ok(Access {
            owner,
            grants: self.grants_of(&database)?,
        })
    }

    /// Gives `role` read (or read and write) access to the dataset.
    pub(super) fn grant_access(
        &self,
        record: &DatasetRecord,
        role: &str,
        write: bool,
    ) -> Result<()> {
        self.check_owns(record)?;
        let mut maintenance = self.maintenance()?;
        let mut exists = false;
        maintenance.query(
            &self.dialect.role_exists(),
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
            maintenance.execute(&self.dialect.grant_role(&owners, role), &[])?;
        }
        Ok(())
    }

    /// Takes back what [`ServerBackend::grant_access`] gave.
    pub(super) fn revoke_access(&self, record: &DatasetRecord, role: &str) -> Result<()> {
        self.check_owns(record)?;
        let mut maintenance = self.maintenance()?;
        self.revoke_all(&mut maintenance, &self.database(&record.name), role)
    }
}
