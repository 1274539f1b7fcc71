//! Shared test helpers: each test gets its own MDM_HOME in a temporary
//! directory and drives the real `mdm` binary. `MDM_TEST_PROFILE` picks the
//! backend every test runs against (scripts/test.sh runs the suite once per
//! profile): `embedded` (default), `sqlite-odbc` or `postgresql`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use assert_cmd::Command;
use tempfile::TempDir;

/// The backend a test run exercises.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    Embedded,
    SqliteOdbc,
    Postgresql,
    Duckdb,
}

impl Profile {
    pub fn current() -> Profile {
        match std::env::var("MDM_TEST_PROFILE").as_deref() {
            Ok("sqlite-odbc") => Profile::SqliteOdbc,
            Ok("postgresql") => Profile::Postgresql,
            Ok("duckdb") => Profile::Duckdb,
            Ok("embedded") | Err(_) => Profile::Embedded,
            Ok(other) => panic!("unknown MDM_TEST_PROFILE {other:?}"),
        }
    }

    /// The `database.default_backend` of this profile.
    pub fn backend(self) -> &'static str {
        match self {
            Profile::Embedded | Profile::SqliteOdbc => "sqlite",
            Profile::Postgresql => "postgresql",
            Profile::Duckdb => "duckdb",
        }
    }

    /// A backend other than this profile's, for visibility tests.
    pub fn other_backend(self) -> &'static str {
        match self {
            Profile::Postgresql | Profile::Duckdb => "sqlite",
            _ => "postgresql",
        }
    }

    /// Whether datasets are SQLite files (readable with rusqlite).
    pub fn stores_sqlite_files(self) -> bool {
        matches!(self, Profile::Embedded | Profile::SqliteOdbc)
    }
}

static NEXT_ENV: AtomicUsize = AtomicUsize::new(0);

/// An isolated mdm installation: its own home, config and datasets (and,
/// on PostgreSQL, its own database prefix).
pub struct Env {
    pub dir: TempDir,
    pub profile: Profile,
    /// PostgreSQL database prefix of this environment.
    pub prefix: String,
}

impl Env {
    pub fn new() -> Env {
        let dir = tempfile::tempdir().expect("temp dir");
        let profile = Profile::current();
        let prefix = format!(
            "mdmt{}x{}_",
            std::process::id(),
            NEXT_ENV.fetch_add(1, Ordering::SeqCst)
        );
        let home = dir.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        let config = match profile {
            Profile::Embedded => None,
            Profile::SqliteOdbc => Some("database:\n  sqlite:\n    odbc: { driver: MDM SQLite3 }\n".to_string()),
            Profile::Duckdb => Some("database:\n  default_backend: duckdb\n".to_string()),
            Profile::Postgresql => Some(format!(
                "database:\n  default_backend: postgresql\n  postgresql:\n    host: 127.0.0.1\n    user: postgres\n    database_prefix: {prefix}\n"
            )),
        };
        if let Some(config) = config {
            std::fs::write(home.join("mdm.yaml"), config).unwrap();
        }
        Env {
            dir,
            profile,
            prefix,
        }
    }

    /// The mdm home of this environment.
    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// Replaces the configuration file (owner-readable, as it may hold a
    /// password).
    pub fn write_config(&self, yaml: &str) {
        use std::os::unix::fs::PermissionsExt;
        let path = self.home().join("mdm.yaml");
        std::fs::write(&path, yaml).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }

    /// A path for input files.
    pub fn input(&self, name: &str) -> PathBuf {
        let dir = self.dir.path().join("input");
        std::fs::create_dir_all(&dir).unwrap();
        dir.join(name)
    }

    /// Writes an input file and returns its path.
    pub fn write(&self, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let path = self.input(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, content).unwrap();
        path
    }

    /// `mdm` with this environment and no inherited `MDM_*` variables, as a
    /// plain process (for spawning and killing).
    pub fn process(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("mdm"));
        for (key, _) in std::env::vars() {
            if key.starts_with("MDM_") {
                cmd.env_remove(key);
            }
        }
        cmd.env("MDM_HOME", self.home());
        cmd
    }

    /// `mdm` with this environment, for assertions.
    pub fn cmd(&self) -> Command {
        Command::from_std(self.process())
    }

    /// Runs `mdm args...` and returns the assertion handle.
    pub fn mdm(&self, args: &[&str]) -> assert_cmd::assert::Assert {
        self.cmd().args(args).assert()
    }

    /// Runs `mdm args...`, expects success, returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let output = self.cmd().args(args).output().unwrap();
        assert!(
            output.status.success(),
            "mdm {args:?} failed ({:?}): {}",
            output.status.code(),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    /// Runs `mdm args...`, expects exit code `code`, returns stderr.
    pub fn fails(&self, args: &[&str], code: i32) -> String {
        let output = self.cmd().args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert_eq!(
            output.status.code(),
            Some(code),
            "mdm {args:?}: expected exit {code}; stderr: {stderr}"
        );
        stderr
    }

    /// `mdm ... --json` parsed.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = args.to_vec();
        all.push("--json");
        serde_json::from_str(&self.ok(&all)).expect("valid JSON")
    }

    /// The database file of a registered dataset (file-based profiles).
    pub fn database(&self, name: &str) -> PathBuf {
        assert!(
            self.profile.stores_sqlite_files(),
            "no database file on {:?}",
            self.profile
        );
        self.home()
            .join("datasets")
            .join(name)
            .join("dataset.sqlite")
    }

    /// Opens a registered dataset's SQLite file directly.
    pub fn sqlite(&self, name: &str) -> rusqlite::Connection {
        rusqlite::Connection::open(self.database(name)).unwrap()
    }

    /// Ends every PostgreSQL connection to this environment's databases
    /// from the server side, as a server going away does; returns how many
    /// were ended.
    pub fn drop_postgresql_connections(&self) -> usize {
        let sql = format!(
            "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE starts_with(datname, '{}')",
            self.prefix
        );
        records(&self.psql("postgres", &sql))
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    }

    /// Switches this environment to PostgreSQL, whatever its profile.
    pub fn use_postgresql(&self) {
        self.write_config(&format!(
            "database:\n  default_backend: postgresql\n  postgresql:\n    host: 127.0.0.1\n    user: postgres\n    database_prefix: {}\n",
            self.prefix
        ));
    }

    fn psql(&self, database: &str, sql: &str) -> String {
        let output = std::process::Command::new("psql")
            .args([
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-d",
                database,
                "-AtXq",
                "-P",
                "null=NULL",
                "-F",
                "\u{1f}",
                "-R",
                "\u{1e}",
                "-c",
                sql,
            ])
            .output()
            .expect("psql");
        assert!(
            output.status.success(),
            "psql {sql}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    /// Runs a query on a dataset's database and returns its one value as
    /// text (NULL as "NULL"). Write identifiers in double quotes so the
    /// query is the same on every backend.
    pub fn scalar(&self, dataset: &str, sql: &str) -> String {
        if self.profile == Profile::Duckdb {
            return self
                .duckdb(dataset, sql)
                .into_iter()
                .next()
                .and_then(|r| r.into_iter().next())
                .unwrap_or_default();
        }
        if self.profile.stores_sqlite_files() {
            scalar(&self.sqlite(dataset), sql)
        } else {
            let out = self.psql(&format!("{}{dataset}", self.prefix), sql);
            let first = records(&out).next().unwrap_or_default().to_string();
            first
        }
    }

    /// The names of the tables in a dataset's database, sorted.
    pub fn stored_tables(&self, dataset: &str) -> Vec<String> {
        let sql = if self.profile.stores_sqlite_files() {
            "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY name)"
        } else if self.profile == Profile::Duckdb {
            "SELECT string_agg(table_name, ',' ORDER BY table_name) FROM information_schema.tables"
        } else {
            "SELECT string_agg(table_name, ',' ORDER BY table_name) FROM information_schema.tables WHERE table_schema = current_schema()"
        };
        let mut names: Vec<String> = self
            .scalar(dataset, sql)
            .split(',')
            .filter(|t| !t.is_empty() && *t != "NULL")
            .map(str::to_string)
            .collect();
        names.sort();
        names
    }

    /// Runs a statement on a dataset's database.
    pub fn execute(&self, dataset: &str, sql: &str) {
        if self.profile == Profile::Duckdb {
            self.duckdb(dataset, sql);
        } else if self.profile.stores_sqlite_files() {
            self.sqlite(dataset).execute(sql, []).unwrap();
        } else {
            self.psql(&format!("{}{dataset}", self.prefix), sql);
        }
    }

    /// Every row of a table ordered by its first column, cells joined by
    /// `|` (same backend comparisons only), without mdm's row key.
    pub fn rows(&self, dataset: &str, table: &str) -> Vec<String> {
        let names: Vec<String> = self
            .columns(dataset, table)
            .into_iter()
            .map(|(name, _)| format!("\"{}\"", name.replace('"', "\"\"")))
            .collect();
        let sql = format!("SELECT {} FROM \"{table}\" ORDER BY 1", names.join(", "));
        if self.profile == Profile::Duckdb {
            return self
                .duckdb(dataset, &sql)
                .into_iter()
                .map(|row| {
                    row.iter()
                        .map(|c| summarize(c))
                        .collect::<Vec<_>>()
                        .join("|")
                })
                .collect();
        }
        if self.profile.stores_sqlite_files() {
            let conn = self.sqlite(dataset);
            let mut stmt = conn.prepare(&sql).unwrap();
            let width = stmt.column_count();
            stmt.query_map([], |row| {
                let cells: rusqlite::Result<Vec<String>> = (0..width)
                    .map(|i| Ok(render(row.get::<_, rusqlite::types::Value>(i)?)))
                    .collect();
                Ok(cells?
                    .iter()
                    .map(|c| summarize(c))
                    .collect::<Vec<_>>()
                    .join("|"))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect()
        } else {
            let out = self.psql(&format!("{}{dataset}", self.prefix), &sql);
            records(&out)
                .map(|l| {
                    l.split('\u{1f}')
                        .map(summarize)
                        .collect::<Vec<_>>()
                        .join("|")
                })
                .collect()
        }
    }

    /// The columns of a table with their logical types (integer, float,
    /// boolean, date, datetime, text), in order, without mdm's row key
    /// (see [`Env::all_columns`]).
    pub fn columns(&self, dataset: &str, table: &str) -> Vec<(String, String)> {
        self.all_columns(dataset, table)
            .into_iter()
            .filter(|(name, _)| name != "_mdm_row")
            .collect()
    }

    /// The columns of a table as stored, with their logical types.
    pub fn all_columns(&self, dataset: &str, table: &str) -> Vec<(String, String)> {
        if self.profile == Profile::Duckdb {
            let sql = format!(
                "SELECT column_name, data_type FROM information_schema.columns \
                 WHERE table_name = '{table}' ORDER BY ordinal_position"
            );
            let pairs = self
                .duckdb(dataset, &sql)
                .into_iter()
                .map(|r| (r[0].clone(), r[1].clone()))
                .collect();
            return logical_types(pairs);
        }
        let (sql, database) = if self.profile.stores_sqlite_files() {
            (
                format!("SELECT name, type FROM pragma_table_info('{table}') ORDER BY cid"),
                None,
            )
        } else {
            (
                format!(
                    "SELECT column_name, data_type FROM information_schema.columns \
                     WHERE table_name = '{table}' AND table_schema = current_schema() ORDER BY ordinal_position"
                ),
                Some(format!("{}{dataset}", self.prefix)),
            )
        };
        let pairs: Vec<(String, String)> = match database {
            None => self
                .sqlite(dataset)
                .prepare(&sql)
                .unwrap()
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .map(Result::unwrap)
                .collect(),
            Some(database) => self
                .psql(&database, &sql)
                .split_terminator('\u{1e}')
                .map(|l| {
                    let l = l.trim_end_matches('\n');
                    let (name, kind) = l.split_once('\u{1f}').unwrap();
                    (name.to_string(), kind.to_string())
                })
                .collect(),
        };
        logical_types(pairs)
    }

    /// Runs a query on a DuckDB dataset through the DuckDB ODBC driver
    /// (with pyodbc); cells as text, NULL as "NULL".
    pub fn duckdb(&self, dataset: &str, sql: &str) -> Vec<Vec<String>> {
        let path = self
            .home()
            .join("datasets")
            .join(dataset)
            .join("dataset.duckdb");
        let script = "import json, pyodbc, sys\n\
                      c = pyodbc.connect('Driver={MDM DuckDB};Database={' + sys.argv[1] + '}', autocommit=True)\n\
                      cur = c.cursor().execute(sys.argv[2])\n\
                      rows = cur.fetchall() if cur.description else []\n\
                      cell = lambda v: 'NULL' if v is None else repr(v) if isinstance(v, float) else str(v)\n\
                      print(json.dumps([[cell(v) for v in r] for r in rows]))\n";
        let output = std::process::Command::new("/usr/bin/python3")
            .args(["-c", script, path.to_str().unwrap(), sql])
            .output()
            .expect("python3 with pyodbc");
        assert!(
            output.status.success(),
            "{sql}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap()
    }
}

impl Env {
    /// Registers the bundled Kaggle-style titanic folder as `name` with
    /// target `Survived`, plus `extra` flags.
    pub fn register_titanic(&self, name: &str, extra: &[&str]) {
        let folder = titanic();
        let mut args = vec![
            "dataset",
            "register",
            name,
            folder.to_str().unwrap(),
            "--target",
            "Survived",
        ];
        args.extend_from_slice(extra);
        self.ok(&args);
    }
}

impl Env {
    /// The logical type of one column.
    pub fn column_type(&self, dataset: &str, table: &str, column: &str) -> String {
        self.columns(dataset, table)
            .into_iter()
            .find(|(name, _)| name == column)
            .unwrap_or_else(|| panic!("no column {column}"))
            .1
    }

    /// Whether the stored data of a dataset exists (file or database).
    pub fn data_exists(&self, name: &str) -> bool {
        self.stored().iter().any(|n| n == name)
    }

    /// Deletes a dataset's data behind mdm's back.
    pub fn destroy_data(&self, name: &str) {
        if self.profile == Profile::Duckdb {
            std::fs::remove_file(
                self.home()
                    .join("datasets")
                    .join(name)
                    .join("dataset.duckdb"),
            )
            .unwrap();
        } else if self.profile.stores_sqlite_files() {
            std::fs::remove_file(self.database(name)).unwrap();
        } else {
            self.psql(
                "postgres",
                &format!("DROP DATABASE \"{}{name}\"", self.prefix),
            );
        }
    }

    /// What is stored for this environment, sorted: entries of the datasets
    /// directory (hidden staging ones included, lock files excluded) or,
    /// on PostgreSQL, the databases with this environment's prefix (without
    /// it).
    pub fn stored(&self) -> Vec<String> {
        let mut names: Vec<String> = match std::fs::read_dir(self.home().join("datasets")) {
            Ok(entries) => entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| !n.ends_with(".lock"))
                .collect(),
            Err(_) => Vec::new(),
        };
        let switched = std::fs::read_to_string(self.home().join("mdm.yaml"))
            .is_ok_and(|c| c.contains("default_backend: postgresql"));
        if self.profile == Profile::Postgresql || switched {
            let sql = format!(
                "SELECT datname FROM pg_database WHERE starts_with(datname, '{}')",
                self.prefix
            );
            names.extend(
                records(&self.psql("postgres", &sql))
                    .map(|n| n.strip_prefix(&self.prefix).unwrap_or(n).to_string()),
            );
        }
        names.sort();
        names
    }

    /// Creates leftovers as a killed registration of process `pid` would.
    pub fn fake_staging_leftover(&self, dataset: &str, pid: u32) {
        if self.profile == Profile::Postgresql {
            self.psql(
                "postgres",
                &format!("CREATE DATABASE \"{}{dataset}_staging_{pid}\"", self.prefix),
            );
        } else {
            let stale = self
                .home()
                .join("datasets")
                .join(format!(".{dataset}.staging-{pid}"));
            std::fs::create_dir_all(&stale).unwrap();
            std::fs::write(stale.join("dataset.sqlite"), b"partial").unwrap();
        }
    }
}

impl Drop for Env {
    /// Drops this environment's PostgreSQL databases (any profile: some
    /// tests use PostgreSQL explicitly).
    fn drop(&mut self) {
        if self.profile == Profile::Postgresql || cfg!(feature = "odbc") {
            let sql = format!(
                "SELECT datname FROM pg_database WHERE starts_with(datname, '{}')",
                self.prefix
            );
            if let Ok(output) = std::process::Command::new("psql")
                .args([
                    "-h",
                    "127.0.0.1",
                    "-U",
                    "postgres",
                    "-d",
                    "postgres",
                    "-AtXq",
                    "-c",
                    &sql,
                ])
                .output()
            {
                for database in String::from_utf8_lossy(&output.stdout).lines() {
                    let _ = std::process::Command::new("psql")
                        .args(["-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc"])
                        .arg(format!("DROP DATABASE IF EXISTS \"{database}\""))
                        .output();
                }
            }
            // And the owners roles of its datasets.
            let _ = std::process::Command::new("psql")
                .args(["-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc"])
                .arg(format!(
                    "DO $$ DECLARE r text; BEGIN FOR r IN SELECT rolname FROM pg_roles \
                     WHERE starts_with(rolname, '{}') AND rolname LIKE '%:owners' LOOP \
                     EXECUTE format('DROP ROLE %I', r); END LOOP; END $$",
                    self.prefix
                ))
                .output();
        }
    }
}

/// The shipped Kaggle-style example.
pub fn titanic() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/titanic")
}

/// The records of psql's unaligned output (separated by U+001E).
fn records(out: &str) -> impl Iterator<Item = &str> {
    out.strip_suffix('\n')
        .unwrap_or(out)
        .split_terminator('\u{1e}')
}

/// A cell as shown in row comparisons: long values as length and hash.
fn summarize(cell: &str) -> String {
    use std::hash::{Hash, Hasher};
    if cell.len() <= 80 {
        return cell.to_string();
    }
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    cell.hash(&mut hasher);
    format!("<{} bytes #{:016x}>", cell.len(), hasher.finish())
}

fn render(value: rusqlite::types::Value) -> String {
    match value {
        rusqlite::types::Value::Null => "NULL".to_string(),
        rusqlite::types::Value::Integer(v) => v.to_string(),
        rusqlite::types::Value::Real(v) => v.to_string(),
        rusqlite::types::Value::Text(t) => t,
        rusqlite::types::Value::Blob(_) => "<blob>".to_string(),
    }
}

/// Runs a query on a SQLite connection returning one cell as a string.
pub fn scalar(conn: &rusqlite::Connection, sql: &str) -> String {
    conn.query_row(sql, [], |row| Ok(render(row.get(0)?)))
        .unwrap()
}

/// Declared column types mapped to mdm's logical types.
fn logical_types(pairs: Vec<(String, String)>) -> Vec<(String, String)> {
    pairs
        .into_iter()
        .map(|(name, declared)| {
            let logical = match declared.to_ascii_lowercase().as_str() {
                // `int`: SQLite's name for a view's column cast to INTEGER.
                "integer" | "bigint" | "int" => "integer",
                "real" | "double precision" | "double" => "float",
                "boolean" => "boolean",
                "date" => "date",
                "timestamp" | "timestamp without time zone" => "datetime",
                "text" | "varchar" | "character varying" => "text",
                other => panic!("unexpected declared type {other}"),
            };
            (name, logical.to_string())
        })
        .collect()
}

/// Asserts two registered datasets hold the same tables, types, roles and
/// values.
pub fn assert_same_dataset(env: &Env, a: &str, b: &str) {
    let info_a = env.json(&["dataset", "info", a]);
    let info_b = env.json(&["dataset", "info", b]);
    for key in [
        "tables",
        "target",
        "id_columns",
        "problem_type",
        "tags",
        "description",
    ] {
        assert_eq!(info_a[key], info_b[key], "{b}: {key} differs");
    }
    for table in info_a["tables"].as_array().unwrap() {
        let table = table["name"].as_str().unwrap();
        assert_eq!(
            env.columns(a, table),
            env.columns(b, table),
            "{b}: types of {table}"
        );
        assert_eq!(
            env.rows(a, table),
            env.rows(b, table),
            "{b}: values of {table}"
        );
    }
}
