//! PostgreSQL: <https://www.postgresql.org/docs/current/sql.html>. One
//! database per dataset; the server is reached through psqlODBC.

use super::{Dialect, ServerDatabases};
use crate::model::{ColumnDef, ColumnType};

/// The PostgreSQL dialect.
#[derive(Debug, Default, Clone, Copy)]
pub struct PostgresqlDialect;

impl Dialect for PostgresqlDialect {
    /// `percentile_disc` takes the value at row ceil(f * count) (1-based):
    /// the fraction (k + 0.5) / count lands half a row clear of either
    /// neighbour, so that rounding cannot move it.
    /// <https://www.postgresql.org/docs/current/functions-aggregate.html#FUNCTIONS-ORDEREDSET-TABLE>
    fn order_statistics(&self, column: &str, ranks: &[u64], count: u64) -> Option<String> {
        let fractions: Vec<String> = ranks
            .iter()
            .map(|&k| {
                let fraction = (k as f64 + 0.5) / count.max(1) as f64;
                ryu::Buffer::new().format(fraction.min(1.0)).to_string()
            })
            .collect();
        Some(format!(
            "percentile_disc(CAST(ARRAY[{}] AS DOUBLE PRECISION[])) WITHIN GROUP (ORDER BY {})",
            fractions.join(","),
            self.quote_identifier(column)
        ))
    }

    fn boxed(&self) -> Box<dyn Dialect> {
        Box::new(*self)
    }

    fn name(&self) -> &'static str {
        "postgresql"
    }

    fn type_name(&self, column_type: ColumnType) -> &'static str {
        match column_type {
            ColumnType::Boolean => "BOOLEAN",
            ColumnType::Integer => "BIGINT",
            ColumnType::Float => "DOUBLE PRECISION",
            ColumnType::Date => "DATE",
            ColumnType::Datetime => "TIMESTAMP",
            ColumnType::Text => "TEXT",
        }
    }

    /// A unique ID column becomes the table's primary key (which BI tools
    /// read through SQLPrimaryKeys).
    fn create_index(&self, table: &str, column: &str, unique: bool) -> String {
        if !unique {
            return format!(
                "CREATE INDEX {} ON {} ({})",
                self.quote_identifier(&super::index_name(table, column)),
                self.quote_identifier(table),
                self.quote_identifier(column)
            );
        }
        format!(
            "ALTER TABLE {} ADD CONSTRAINT {} PRIMARY KEY ({})",
            self.quote_identifier(table),
            self.quote_identifier(&super::index_name(table, column)),
            self.quote_identifier(column)
        )
    }

    /// <https://www.postgresql.org/docs/current/ddl-partitioning.html>
    fn supports_range_partitions(&self) -> bool {
        true
    }

    fn partition_statements(&self, table: &str, column: &str, bounds: &[String]) -> Vec<String> {
        let q = |name: &str| self.quote_identifier(name);
        let loaded = format!("_{table}_unpartitioned");
        let mut statements = vec![
            format!("ALTER TABLE {} RENAME TO {}", q(table), q(&loaded)),
            format!(
                "CREATE TABLE {} (LIKE {} INCLUDING ALL) PARTITION BY RANGE ({})",
                q(table),
                q(&loaded),
                q(column)
            ),
        ];
        // MINVALUE below the first bound and MAXVALUE from the last, so no
        // value is left without a partition.
        let mut edges: Vec<&str> = vec!["MINVALUE"];
        edges.extend(
            bounds
                .iter()
                .skip(1)
                .take(bounds.len().saturating_sub(2))
                .map(String::as_str),
        );
        edges.push("MAXVALUE");
        if bounds.len() >= 2 {
            for (index, pair) in edges.windows(2).enumerate() {
                statements.push(format!(
                    "CREATE TABLE {} PARTITION OF {} FOR VALUES FROM ({}) TO ({})",
                    q(&format!("_{table}_p{:03}", index + 1)),
                    q(table),
                    pair[0],
                    pair[1]
                ));
            }
        }
        statements.push(format!(
            "CREATE TABLE {} PARTITION OF {} DEFAULT",
            q(&format!("_{table}_default")),
            q(table)
        ));
        statements.push(format!(
            "INSERT INTO {} SELECT * FROM {}",
            q(table),
            q(&loaded)
        ));
        statements.push(format!("DROP TABLE {}", q(&loaded)));
        statements
    }

    /// A row's physical address; `MIN(tid)` exists from PostgreSQL 14.
    fn row_identity(&self) -> &'static str {
        "ctid"
    }

    /// <https://www.postgresql.org/docs/current/limits.html>
    fn max_columns(&self) -> usize {
        1600
    }

    /// A row must fit in one 8 KB page: 400 columns hold 8-byte numbers,
    /// or 18-byte pointers to text moved out of line, with room to spare.
    fn column_group_size(&self) -> usize {
        400
    }

    /// <https://www.postgresql.org/docs/current/sql-syntax-lexical.html#SQL-SYNTAX-IDENTIFIERS>
    fn folds_unquoted_names(&self) -> bool {
        true
    }

    /// <https://www.postgresql.org/docs/current/sql-set-transaction.html>
    fn read_only_transaction(&self) -> Vec<String> {
        vec!["SET TRANSACTION READ ONLY".into()]
    }

    /// `INSERT ... SELECT unnest(CAST(? AS type[])), ...`: the arrays are
    /// expanded in the select list (set-returning functions there advance
    /// in lockstep) rather than by `FROM unnest(a, b, ...)`, which first
    /// copies every row into a tuplestore: 3.1 s against 3.9 s of server
    /// time for 1M rows x 12 columns.
    fn insert_column_arrays(&self, table: &str, columns: &[ColumnDef]) -> Option<String> {
        let names: Vec<String> = columns
            .iter()
            .map(|c| self.quote_identifier(&c.name))
            .collect();
        let arrays: Vec<String> = columns
            .iter()
            .map(|c| format!("unnest(CAST(? AS {}[]))", self.type_name(c.column_type)))
            .collect();
        Some(format!(
            "INSERT INTO {} ({}) SELECT {}",
            self.quote_identifier(table),
            names.join(", "),
            arrays.join(", ")
        ))
    }

    /// PostgreSQL casts booleans to `integer` only (not `bigint`).
    fn boolean_to_integer(&self, condition: &str) -> String {
        format!("CAST(({condition}) AS INTEGER)")
    }

    fn text_less(&self, a: &str, b: &str) -> String {
        format!("{a} < {b} COLLATE \"C\"")
    }

    fn contains_email(&self, expression: &str) -> String {
        format!("({expression} ~ '{}')", super::EMAIL_REGEX)
    }

    fn list_tables(&self) -> String {
        "SELECT table_name FROM information_schema.tables \
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name"
            .into()
    }

    fn upsert_metadata(&self) -> String {
        format!(
            "INSERT INTO {table} ({key}, {value}) VALUES (?, ?) \
             ON CONFLICT ({key}) DO UPDATE SET {value} = EXCLUDED.{value}",
            table = self.quote_identifier(crate::model::name::METADATA_TABLE),
            key = self.quote_identifier("key"),
            value = self.quote_identifier("value"),
        )
    }
}

/// Databases are created, renamed and dropped through the `postgres`
/// maintenance database: <https://www.postgresql.org/docs/current/manage-ag-createdb.html>.
/// The suffix of the role that owns a dataset's database (and every table
/// in it) when the registering role may create roles: `{database}:owners`.
/// Its members with admin option own the dataset; the other members are
/// the roles granted write access.
pub const OWNERS_SUFFIX: &str = ":owners";

/// The owner shown for database `d`: the admins of its owners role, else
/// the role owning it.
const OWNER: &str = "COALESCE((SELECT string_agg(m.rolname, ', ' ORDER BY m.rolname) \
     FROM pg_auth_members a JOIN pg_roles m ON m.oid = a.member \
     WHERE a.roleid = d.datdba AND a.admin_option \
     AND pg_get_userbyid(d.datdba) = d.datname || ':owners'), pg_get_userbyid(d.datdba))";

impl ServerDatabases for PostgresqlDialect {
    fn maintenance_database(&self) -> &'static str {
        "postgres"
    }

    fn create_database(&self, name: &str) -> String {
        format!("CREATE DATABASE {}", self.quote_identifier(name))
    }

    fn drop_database(&self, name: &str) -> String {
        format!("DROP DATABASE IF EXISTS {}", self.quote_identifier(name))
    }

    fn rename_database(&self, from: &str, to: &str) -> String {
        format!(
            "ALTER DATABASE {} RENAME TO {}",
            self.quote_identifier(from),
            self.quote_identifier(to)
        )
    }

    fn databases_with_prefix(&self) -> String {
        "SELECT datname FROM pg_database WHERE starts_with(datname, ?)".into()
    }

    fn database_exists(&self) -> String {
        "SELECT 1 FROM pg_database WHERE datname = ?".into()
    }

    fn database_sizes(&self) -> String {
        "SELECT d.datname, pg_database_size(d.oid) FROM pg_database d \
         WHERE d.datname IN (SELECT json_array_elements_text(CAST(? AS json))) \
         AND has_database_privilege(d.oid, 'CONNECT')"
            .into()
    }

    fn described_databases(&self) -> String {
        format!(
            "SELECT d.datname, shobj_description(d.oid, 'pg_database'), {OWNER}, \
             CASE WHEN has_database_privilege(d.oid, 'CONNECT') THEN 1 ELSE 0 END \
             FROM pg_database d WHERE starts_with(d.datname, ?) ORDER BY d.datname"
        )
    }

    fn described_database(&self) -> String {
        format!(
            "SELECT d.datname, shobj_description(d.oid, 'pg_database'), {OWNER}, \
             CASE WHEN has_database_privilege(d.oid, 'CONNECT') THEN 1 ELSE 0 END \
             FROM pg_database d WHERE lower(d.datname) = lower(?) ORDER BY d.datname = ? DESC LIMIT 1"
        )
    }

    fn database_owner(&self) -> String {
        format!(
            "SELECT {OWNER}, \
             CASE WHEN r.rolname = d.datname || '{OWNERS_SUFFIX}' \
             THEN pg_has_role(current_user, d.datdba, 'USAGE WITH ADMIN OPTION') \
             ELSE pg_has_role(current_user, d.datdba, 'USAGE') END \
             OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user), \
             CASE WHEN r.rolname = d.datname || '{OWNERS_SUFFIX}' THEN r.rolname END, \
             pg_has_role(current_user, d.datdba, 'USAGE') \
             FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba WHERE d.datname = ?"
        )
    }

    // Roles, grants and sessions of a server's datasets.

    /// <https://www.postgresql.org/docs/current/functions-admin.html#FUNCTIONS-ADMIN-SET>
    fn act_as_owning_role(&self) -> String {
        "SELECT set_config('role', r.rolname, false) FROM pg_roles r \
         WHERE r.rolname = ? \
         AND r.oid = (SELECT datdba FROM pg_database WHERE datname = current_database()) \
         AND pg_has_role(current_user, r.oid, 'MEMBER')"
            .into()
    }

    fn may_create_roles(&self) -> String {
        "SELECT 1 FROM pg_roles WHERE rolname = current_user AND (rolcreaterole OR rolsuper)".into()
    }

    fn create_owners_role(&self, role: &str) -> String {
        format!(
            "CREATE ROLE {} NOLOGIN CREATEDB",
            self.quote_identifier(role)
        )
    }

    fn drop_role(&self, role: &str) -> String {
        format!("DROP ROLE IF EXISTS {}", self.quote_identifier(role))
    }

    fn join_role_as_admin(&self, role: &str) -> String {
        format!(
            "GRANT {} TO CURRENT_USER WITH ADMIN OPTION",
            self.quote_identifier(role)
        )
    }

    fn comment_on_role(&self, role: &str, comment: &str) -> String {
        format!(
            "COMMENT ON ROLE {} IS {}",
            self.quote_identifier(role),
            self.quote_literal(comment)
        )
    }

    fn comment_on_database(&self, database: &str, comment: &str) -> String {
        format!(
            "COMMENT ON DATABASE {} IS {}",
            self.quote_identifier(database),
            self.quote_literal(comment)
        )
    }

    fn is_plain_member(&self) -> String {
        "SELECT 1 FROM pg_auth_members a \
         WHERE a.roleid = (SELECT oid FROM pg_roles WHERE rolname = ?) \
         AND a.member = (SELECT oid FROM pg_roles WHERE rolname = ?) AND NOT a.admin_option"
            .into()
    }

    fn grant_role(&self, role: &str, member: &str) -> String {
        format!(
            "GRANT {} TO {}",
            self.quote_identifier(role),
            self.quote_identifier(member)
        )
    }

    fn revoke_role(&self, role: &str, member: &str) -> String {
        format!(
            "REVOKE {} FROM {}",
            self.quote_identifier(role),
            self.quote_identifier(member)
        )
    }

    fn role_exists(&self) -> String {
        "SELECT 1 FROM pg_roles WHERE rolname = ?".into()
    }

    fn current_user(&self) -> String {
        "SELECT current_user".into()
    }

    /// Direct grants only (a member of a granted group is not listed):
    /// CONNECT on the database; writers are members of the owners role
    /// (or, in a database without one, may UPDATE `table`).
    fn database_grants(&self, table: &str) -> String {
        format!(
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
            table = self.quote_literal(&self.quote_identifier(table))
        )
    }

    fn may_update(&self, table: &str) -> String {
        format!(
            "SELECT CASE WHEN has_table_privilege({}, 'UPDATE') THEN 1 ELSE 0 END",
            self.quote_literal(&self.quote_identifier(table))
        )
    }

    fn current_schema(&self) -> String {
        "SELECT current_schema()".into()
    }

    fn grant_connect(&self, database: &str, role: &str) -> String {
        format!(
            "GRANT CONNECT ON DATABASE {} TO {}",
            self.quote_identifier(database),
            self.quote_identifier(role)
        )
    }

    fn revoke_database(&self, database: &str, role: &str) -> String {
        format!(
            "REVOKE ALL ON DATABASE {} FROM {}",
            self.quote_identifier(database),
            self.quote_identifier(role)
        )
    }

    fn revoke_public(&self, database: &str) -> String {
        format!(
            "REVOKE ALL ON DATABASE {} FROM PUBLIC",
            self.quote_identifier(database)
        )
    }

    fn grant_tables(&self, schema: &str, role: &str, write: bool) -> Vec<String> {
        let privileges = if write {
            "SELECT, INSERT, UPDATE, DELETE, TRUNCATE"
        } else {
            "SELECT"
        };
        let (schema, role) = (self.quote_identifier(schema), self.quote_identifier(role));
        let mut statements = vec![
            format!("GRANT USAGE ON SCHEMA {schema} TO {role}"),
            format!("GRANT {privileges} ON ALL TABLES IN SCHEMA {schema} TO {role}"),
            format!("ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT {privileges} ON TABLES TO {role}"),
        ];
        if write {
            statements.push(format!("GRANT CREATE ON SCHEMA {schema} TO {role}"));
        }
        statements
    }

    fn revoke_tables(&self, schema: &str, role: &str) -> Vec<String> {
        let (schema, role) = (self.quote_identifier(schema), self.quote_identifier(role));
        vec![
            format!("ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} REVOKE ALL ON TABLES FROM {role}"),
            format!("REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {role}"),
            format!("REVOKE CREATE ON SCHEMA {schema} FROM {role}"),
        ]
    }

    fn sessions_on_database(&self) -> String {
        "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = ?".into()
    }

    /// <https://www.postgresql.org/docs/current/functions-admin.html#FUNCTIONS-ADVISORY-LOCKS>
    fn lock_name(&self) -> String {
        "SELECT pg_advisory_lock(hashtext(?))".into()
    }

    fn unlock_name(&self) -> String {
        "SELECT pg_advisory_unlock(hashtext(?))".into()
    }

    fn set_role(&self, role: &str) -> String {
        format!("SET ROLE {}", self.quote_identifier(role))
    }

    fn reset_role(&self) -> String {
        "RESET ROLE".into()
    }
}
