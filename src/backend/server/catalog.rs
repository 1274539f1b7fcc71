//! The server as mdm's catalog: which databases of the prefix are
//! datasets, the records listings show (mdm's description in each
//! database's comment, or the `_metadata` of a dataset registered before
//! descriptions existed) and the datasets' sizes.

use super::staging::NAMING;
use super::ServerBackend;
use crate::backend::record::{self, DatasetRecord, Location};
use crate::backend::Lookup;
use crate::error::Result;
use crate::model::name::{validate_name, METADATA_TABLE};
use crate::model::Value;
use crate::store::odbc::OdbcStore;
use crate::store::Store;

/// How mdm's description of a dataset starts in its database comment.
const DESCRIPTION_MARK: &str = "mdm:";

impl ServerBackend {
    /// The dataset a database of the prefix holds, unless it is a staging
    /// or retired copy.
    pub(super) fn dataset_name(&self, database: &str) -> Option<String> {
        let name = database.strip_prefix(&self.prefix)?;
        (!NAMING.is_copy(name) && validate_name(name).is_ok()).then(|| name.to_string())
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
        record.backend = self.settings.backend();
        record.location = crate::backend::Backend::location(self, name);
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
        value["backend"] = serde_json::json!(self.settings.backend().to_string());
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

    /// The comment that describes a dataset in the server's catalog.
    pub(super) fn description(record: &DatasetRecord) -> String {
        let mut record = record.clone();
        record.location = Location::default();
        record.owner = None;
        format!(
            "{DESCRIPTION_MARK}{}",
            serde_json::to_string(&record).unwrap_or_default()
        )
    }

    /// Describes the dataset `record` in the comment of `database`.
    pub(super) fn comment_on(
        &self,
        maintenance: &mut OdbcStore,
        database: &str,
        record: &DatasetRecord,
    ) -> Result<()> {
        let sql = self
            .dialect
            .comment_on_database(database, &Self::description(record));
        maintenance.execute(&sql, &[])
    }

    /// Names of the databases starting with the prefix.
    pub(super) fn databases(&self, maintenance: &mut OdbcStore) -> Result<Vec<String>> {
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

    /// The datasets this role may read.
    pub(super) fn list_datasets(&self) -> Result<Vec<DatasetRecord>> {
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

    /// What the server knows of dataset `name`.
    pub(super) fn look_up(&self, name: &str) -> Result<Lookup> {
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

    /// Bytes each dataset's database takes; `None` where the server does
    /// not answer.
    pub(super) fn database_sizes(&self, records: &[&DatasetRecord]) -> Vec<Option<u64>> {
        let Ok(mut maintenance) = self.maintenance() else {
            return vec![None; records.len()];
        };
        // One query for all of them: a listing of hundreds of datasets
        // must not pay a round trip each.
        let names: Vec<Option<String>> = records
            .iter()
            .map(|record| record.location.database_name())
            .collect();
        let wanted = serde_json::json!(names.iter().flatten().collect::<Vec<_>>()).to_string();
        let mut sizes = std::collections::HashMap::new();
        let read = maintenance.query(
            &self.dialect.database_sizes(),
            &[Value::Text(wanted)],
            &mut |row| {
                if let [Value::Text(name), size] = row {
                    if let Some(size) = size.as_i64() {
                        sizes.insert(name.clone(), size as u64);
                    }
                }
                Ok(())
            },
        );
        if let Err(err) = read {
            log::debug!("database sizes: {err}");
            return vec![None; records.len()];
        }
        names
            .iter()
            .map(|name| name.as_ref().and_then(|n| sizes.get(n).copied()))
            .collect()
    }
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
