//! `register --odbc`: tables read from ODBC data sources on every target
//! profile. A MariaDB source (the machine's server, user `mdm_src` with a
//! password, created here) over a DSN in a test-private `ODBCINI`, and a
//! PostgreSQL source query with joins; every value compared with the
//! source's own rendering; the password never in a file, a log or the
//! output; refresh; and the faults, each a one-line error with its exit
//! code and nothing left behind. scripts/test.sh installs MariaDB, its
//! ODBC driver (`drivers/setup.sh mariadb`) and PostgreSQL.

use std::path::PathBuf;
use std::process::Output;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::common::Env;

/// The source user's password: `;` and `}` need the connection string's
/// `{...}` quoting.
const PASSWORD: &str = "Src-p4ss;w0rd}";
const PASSWORD_QUOTED: &str = "{Src-p4ss;w0rd}}}";
/// A part of the password that must never appear anywhere.
const PASSWORD_MARK: &str = "p4ss";

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A table name no other test (or test run) uses.
fn unique(stem: &str) -> String {
    format!(
        "{stem}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    )
}

fn mariadb_root(sql: &str) -> String {
    let output = std::process::Command::new("mysql")
        .args([
            "-uroot",
            "-h127.0.0.1",
            "--default-character-set=utf8mb4",
            "-N",
            "-B",
            "test",
            "-e",
            sql,
        ])
        .output()
        .expect("mysql client");
    assert!(
        output.status.success(),
        "mysql {sql}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// The source user with its password (idempotent).
fn ensure_source_user() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let escaped = PASSWORD.replace('\'', "''");
        for host in ["%", "localhost"] {
            mariadb_root(&format!(
                "CREATE USER IF NOT EXISTS 'mdm_src'@'{host}' IDENTIFIED BY '{escaped}'; \
                 ALTER USER 'mdm_src'@'{host}' IDENTIFIED BY '{escaped}'; \
                 GRANT SELECT ON test.* TO 'mdm_src'@'{host}'"
            ));
        }
    });
}

fn psql(sql: &str) -> String {
    let output = std::process::Command::new("psql")
        .args([
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-AtXq",
            "-F",
            "\t",
            "-P",
            "null=NULL",
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

/// The PostgreSQL server as a source (trust authentication; streamed with
/// psqlODBC's declare/fetch so the driver does not buffer the result, and
/// booleans as SQL_BIT rather than psqlODBC's default of characters).
const POSTGRESQL_SOURCE: &str =
    "Driver={MDM PostgreSQL};Server=127.0.0.1;Port=5432;Database=postgres;Uid=postgres;UseDeclareFetch=1;Fetch=10000;BoolsAsChar=0";

/// Writes this environment's `odbc.ini` with the MariaDB DSN `mdm_src`
/// (no password in it: the connection string or the environment gives it).
fn odbc_ini(env: &Env) -> PathBuf {
    ensure_source_user();
    let path = env.dir.path().join("odbc.ini");
    std::fs::write(
        &path,
        "[mdm_src]\nDriver=MDM MariaDB\nServer=127.0.0.1\nPort=3306\nDatabase=test\nUser=mdm_src\nCHARSET=utf8mb4\n",
    )
    .unwrap();
    path
}

/// Runs mdm with the environment's `odbc.ini` and extra variables.
fn run(env: &Env, args: &[&str], vars: &[(&str, &str)]) -> Output {
    let mut cmd = env.process();
    cmd.env("ODBCINI", env.dir.path().join("odbc.ini"));
    for (key, value) in vars {
        cmd.env(key, value);
    }
    cmd.args(args).output().unwrap()
}

fn succeeds(env: &Env, args: &[&str], vars: &[(&str, &str)]) -> String {
    let output = run(env, args, vars);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "mdm {args:?} failed ({:?}): {stderr}",
        output.status.code()
    );
    String::from_utf8_lossy(&output.stdout).into_owned() + &stderr
}

fn fails(env: &Env, args: &[&str], vars: &[(&str, &str)], code: i32) -> String {
    let output = run(env, args, vars);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(
        output.status.code(),
        Some(code),
        "mdm {args:?}: expected exit {code}; stderr: {stderr}"
    );
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "one line expected: {stderr}"
    );
    assert!(!stderr.contains(PASSWORD_MARK), "password shown: {stderr}");
    stderr
}

/// A table's rows as mdm exports them (JSON Lines), in the order stored.
fn exported(env: &Env, name: &str, table: &str) -> Vec<serde_json::Map<String, serde_json::Value>> {
    let out = succeeds(
        env,
        &[
            "dataset", "export", name, "--table", table, "--format", "json", "--output", "-", "-q",
        ],
        &[],
    );
    out.lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| match serde_json::from_str(l).unwrap() {
            serde_json::Value::Object(map) => map,
            other => panic!("not a row: {other}"),
        })
        .collect()
}

/// How a column's stored value is compared with the source's text.
#[derive(Clone, Copy)]
enum Kind {
    /// Equal text.
    Text,
    Integer,
    /// An exact decimal stored as a float: equal when formatted at its scale.
    Decimal(usize),
    /// A float: the same number.
    Float,
    /// Timestamps: equal up to trailing zeros of the fraction.
    Timestamp,
}

fn trim_fraction(text: &str) -> &str {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        text
    }
}

/// Compares source rows (tab-separated text, `NULL` for null) with the
/// exported rows, column by column, sorted by the first column.
fn assert_same_values(
    source: &str,
    stored: &[serde_json::Map<String, serde_json::Value>],
    columns: &[(&str, Kind)],
) {
    let mut stored: Vec<_> = stored.iter().collect();
    stored.sort_by_key(|row| row[columns[0].0].as_i64());
    let source: Vec<&str> = source.lines().collect();
    assert_eq!(source.len(), stored.len(), "row counts differ");
    for (line, row) in source.iter().zip(stored) {
        let cells: Vec<&str> = line.split('\t').collect();
        assert_eq!(cells.len(), columns.len(), "source row {line:?}");
        for ((name, kind), cell) in columns.iter().zip(cells) {
            let value = &row[*name];
            let shown = match (value, kind) {
                (serde_json::Value::Null, _) => "NULL".to_string(),
                (v, Kind::Decimal(scale)) => format!("{:.*}", scale, v.as_f64().unwrap()),
                (v, Kind::Float) => {
                    let expected: f64 = cell.parse().unwrap_or(f64::NAN);
                    assert_eq!(v.as_f64(), Some(expected), "{name} in {line:?}");
                    continue;
                }
                (v, Kind::Integer) => v.as_i64().unwrap().to_string(),
                (serde_json::Value::String(s), Kind::Timestamp) => trim_fraction(s).to_string(),
                (serde_json::Value::String(s), Kind::Text) => s.clone(),
                (v, _) => v.to_string(),
            };
            let expected = match kind {
                Kind::Timestamp => trim_fraction(cell),
                _ => cell,
            };
            assert_eq!(shown, expected, "column {name} of source row {line:?}");
        }
    }
}

/// No file under the home holds the password.
fn assert_no_password_in_files(env: &Env) {
    let mut pending = vec![env.home()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                assert!(
                    !String::from_utf8_lossy(&bytes).contains(PASSWORD_MARK),
                    "{} holds the password",
                    path.display()
                );
            }
        }
    }
}

/// The discovery file of a dataset, as text.
fn discovery(env: &Env, name: &str) -> String {
    let mut pending = vec![env.home()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.file_name().and_then(|n| n.to_str()) == Some(&format!("{name}.yaml")) {
                return std::fs::read_to_string(path).unwrap();
            }
        }
    }
    panic!("no discovery file for {name}");
}

/// A MariaDB table of every type, 100k rows, with NULLs, unicode and
/// decimals at their scale.
fn mariadb_table(rows: u32) -> String {
    let table = unique("mdm_src_all");
    mariadb_root(&format!(
        "CREATE TABLE {table} (id INT PRIMARY KEY, name VARCHAR(40), price DECIMAL(12,2), \
         exact DECIMAL(30,10), ratio DOUBLE, single FLOAT, day DATE, at DATETIME(6), \
         clock TIME, flag BOOLEAN, raw VARBINARY(8), note TEXT) CHARSET utf8mb4; \
         INSERT INTO {table} SELECT seq, \
           CASE WHEN seq % 7 = 0 THEN NULL WHEN seq % 5 = 0 THEN CONCAT('é', seq, ' 🚀 ü') ELSE CONCAT('n', seq) END, \
           CASE WHEN seq % 11 = 0 THEN NULL ELSE (seq % 100000) / 100 - 250 END, \
           CASE WHEN seq % 13 = 0 THEN NULL ELSE 12345678901234567890.0123456789 + seq END, \
           CASE WHEN seq % 17 = 0 THEN NULL ELSE seq / 3 END, \
           CASE WHEN seq % 19 = 0 THEN NULL ELSE 0.1 * (seq % 50) END, \
           CASE WHEN seq % 23 = 0 THEN NULL ELSE DATE '2000-01-01' + INTERVAL (seq % 9000) DAY END, \
           CASE WHEN seq % 29 = 0 THEN NULL ELSE TIMESTAMP '2020-02-29 12:00:00' + INTERVAL (seq * 1000003) MICROSECOND END, \
           CASE WHEN seq % 31 = 0 THEN NULL ELSE SEC_TO_TIME(seq % 86400) END, \
           CASE WHEN seq % 37 = 0 THEN NULL ELSE seq % 2 END, \
           CASE WHEN seq % 41 = 0 THEN NULL ELSE UNHEX(LPAD(HEX(seq), 6, '0')) END, \
           CASE WHEN seq % 3 = 0 THEN '' ELSE REPEAT('ab', seq % 40) END \
         FROM seq_1_to_{rows}"
    ));
    table
}

const MARIADB_COLUMNS: &[(&str, Kind)] = &[
    ("id", Kind::Integer),
    ("name", Kind::Text),
    ("price", Kind::Decimal(2)),
    ("exact", Kind::Text),
    ("ratio", Kind::Float),
    ("single", Kind::Float),
    ("day", Kind::Text),
    ("at", Kind::Timestamp),
    ("clock", Kind::Text),
    ("flag", Kind::Integer),
    ("raw", Kind::Text),
    ("note", Kind::Text),
];

#[test]
fn a_mariadb_table_over_a_dsn_with_a_password_is_registered_with_its_types_and_exact_values() {
    let env = Env::new();
    odbc_ini(&env);
    let table = mariadb_table(100_000);
    let connection = format!("DSN=mdm_src;PWD={PASSWORD_QUOTED}");
    let output = succeeds(
        &env,
        &[
            "dataset",
            "register",
            "warehouse",
            "--odbc",
            &connection,
            "--table",
            &table,
            "--target",
            "flag",
            "--no-features",
            "-vvv",
        ],
        &[],
    );
    assert!(!output.contains(PASSWORD_MARK), "password in output");
    let types: Vec<(String, String)> = env.columns("warehouse", "train");
    let expected = [
        ("id", "integer"),
        ("name", "text"),
        ("price", "float"),
        ("exact", "text"),
        ("ratio", "float"),
        ("single", "float"),
        ("day", "date"),
        ("at", "datetime"),
        ("clock", "text"),
        ("flag", "integer"),
        ("raw", "text"),
        ("note", "text"),
    ];
    assert_eq!(
        types,
        expected
            .iter()
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .collect::<Vec<_>>()
    );
    // MariaDB's client shows a FLOAT with 6 significant digits: the test
    // reads it at full width.
    let source = mariadb_root(&format!(
        "SELECT id, name, price, exact, ratio, CAST(single AS CHAR), day, at, clock, flag, LOWER(HEX(raw)), note FROM {table} ORDER BY id"
    ));
    assert_same_values(
        &source,
        &exported(&env, "warehouse", "train"),
        MARIADB_COLUMNS,
    );
    let info = env.json(&["dataset", "info", "warehouse"]);
    assert_eq!(info["target"], "flag");
    let yaml = discovery(&env, "warehouse");
    assert!(yaml.contains("connection: DSN=mdm_src;PWD=***"), "{yaml}");
    assert!(yaml.contains(&format!("SELECT * FROM {table}")), "{yaml}");
    assert!(yaml.contains("rows: 100000"), "{yaml}");
    assert!(yaml.contains("read_at:"), "{yaml}");
    assert_no_password_in_files(&env);
    mariadb_root(&format!("DROP TABLE {table}"));
}

#[test]
fn a_postgresql_source_query_with_joins_is_registered_exactly() {
    let env = Env::new();
    odbc_ini(&env);
    let customers = unique("mdm_src_customers");
    let orders = unique("mdm_src_orders");
    psql(&format!(
        "CREATE TABLE {customers} (id bigint PRIMARY KEY, name text, vip boolean, since date); \
         INSERT INTO {customers} SELECT g, CASE WHEN g % 4 = 0 THEN NULL ELSE 'kund ' || g || ' ñ 漢字' END, \
           CASE WHEN g % 5 = 0 THEN NULL ELSE g % 2 = 0 END, DATE '2010-01-01' + g FROM generate_series(1, 300) g; \
         CREATE TABLE {orders} (id bigint PRIMARY KEY, customer bigint REFERENCES {customers}, amount numeric(10,3), \
           huge numeric(28,8), weight real, score double precision, at timestamp, payload bytea); \
         INSERT INTO {orders} SELECT g, 1 + g % 300, CASE WHEN g % 9 = 0 THEN NULL ELSE (g % 10000) / 1000.0 - 3 END, \
           1234567890123456789.5 + g, CASE WHEN g % 8 = 0 THEN NULL ELSE (g % 100) / 10.0 END, g / 7.0, \
           TIMESTAMP '2021-06-30 08:00:00' + g * INTERVAL '1.000001 second', \
           CASE WHEN g % 6 = 0 THEN NULL ELSE decode(lpad(to_hex(g), 8, '0'), 'hex') END \
         FROM generate_series(1, 20000) g"
    ));
    let select = format!(
        "SELECT o.id, c.name, c.vip, c.since, o.amount, o.huge, o.weight, o.score, o.at, o.payload \
         FROM {orders} o JOIN {customers} c ON c.id = o.customer"
    );
    let test_select = format!("{select} WHERE o.id % 10 = 0");
    let query_file = env.write("train.sql", format!("{select} WHERE o.id % 10 <> 0;\n"));
    succeeds(
        &env,
        &[
            "dataset",
            "register",
            "joined",
            "--odbc",
            POSTGRESQL_SOURCE,
            "--query",
            &format!("@{}", query_file.display()),
            "--test-query",
            &test_select,
            "--no-features",
        ],
        &[],
    );
    let types = env.columns("joined", "train");
    let names: Vec<&str> = types.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(
        names,
        [
            "integer", "text", "boolean", "date", "float", "text", "float", "float", "datetime",
            "text"
        ]
    );
    let columns = [
        ("id", Kind::Integer),
        ("name", Kind::Text),
        ("vip", Kind::Text),
        ("since", Kind::Text),
        ("amount", Kind::Decimal(3)),
        ("huge", Kind::Text),
        ("weight", Kind::Float),
        ("score", Kind::Float),
        ("at", Kind::Timestamp),
        ("payload", Kind::Text),
    ];
    let source = |filter: &str| {
        psql(&format!(
            "SELECT o.id, c.name, CASE c.vip WHEN true THEN 'true' WHEN false THEN 'false' END, c.since, o.amount, o.huge, \
             o.weight, o.score::text, o.at, encode(o.payload, 'hex') \
             FROM {orders} o JOIN {customers} c ON c.id = o.customer WHERE {filter} ORDER BY o.id"
        ))
    };
    assert_same_values(
        &source("o.id % 10 <> 0"),
        &exported(&env, "joined", "train"),
        &columns,
    );
    assert_same_values(
        &source("o.id % 10 = 0"),
        &exported(&env, "joined", "test"),
        &columns,
    );
    psql(&format!("DROP TABLE {orders}; DROP TABLE {customers}"));
}

#[test]
fn refresh_reruns_the_recorded_queries_with_the_password_from_the_environment() {
    let env = Env::new();
    odbc_ini(&env);
    let table = mariadb_table(50);
    let query = format!("SELECT id, name, price FROM {table}");
    succeeds(
        &env,
        &[
            "dataset",
            "register",
            "fresh",
            "--odbc",
            "DSN=mdm_src",
            "--query",
            &query,
            "--tags",
            "nightly",
        ],
        &[("MDM_SOURCE_PASSWORD", PASSWORD)],
    );
    assert!(discovery(&env, "fresh").contains("PWD=***"));
    mariadb_root(&format!(
        "INSERT INTO {table} (id, name, price) VALUES (1000, 'new ✓', 9.99)"
    ));
    // Without the password the refresh is refused and nothing changes.
    let message = fails(&env, &["dataset", "update", "fresh", "--refresh"], &[], 2);
    assert!(message.contains("MDM_SOURCE_PASSWORD"), "{message}");
    assert_eq!(exported(&env, "fresh", "train").len(), 50);
    succeeds(
        &env,
        &["dataset", "update", "fresh", "--refresh"],
        &[("MDM_SOURCE_PASSWORD", PASSWORD)],
    );
    let rows = exported(&env, "fresh", "train");
    assert_eq!(rows.len(), 51);
    let info = env.json(&["dataset", "info", "fresh"]);
    assert_eq!(info["tags"], serde_json::json!(["nightly"]));
    assert!(discovery(&env, "fresh").contains("rows: 51"));
    assert_same_values(
        &mariadb_root(&format!("SELECT id, name, price FROM {table} ORDER BY id")),
        &rows,
        &MARIADB_COLUMNS[..3],
    );
    assert_no_password_in_files(&env);
    // A dataset registered from files has nothing to refresh.
    let csv = env.write("plain.csv", "a,b\n1,2\n");
    succeeds(
        &env,
        &["dataset", "register", "plain", csv.to_str().unwrap()],
        &[],
    );
    fails(&env, &["dataset", "update", "plain", "--refresh"], &[], 2);
    mariadb_root(&format!("DROP TABLE {table}"));
}

/// Nothing of dataset `name` is stored or listed.
fn assert_nothing_left(env: &Env, name: &str) {
    assert!(!env.data_exists(name), "{name} left data behind");
    let list = succeeds(env, &["dataset", "list", "--json"], &[]);
    assert!(!list.contains(name), "{name} listed: {list}");
}

#[test]
fn a_failing_connection_or_query_is_one_line_with_its_exit_code_and_stores_nothing() {
    let env = Env::new();
    odbc_ini(&env);
    let wrong = "DSN=mdm_src;PWD=wrong-p4ss-word";
    let message = fails(
        &env,
        &[
            "dataset", "register", "bad", "--odbc", wrong, "--query", "SELECT 1",
        ],
        &[],
        6,
    );
    assert!(message.contains("Access denied"), "{message}");
    assert!(message.contains("PWD=***"), "{message}");
    let good = format!("DSN=mdm_src;PWD={PASSWORD_QUOTED}");
    let message = fails(
        &env,
        &[
            "dataset",
            "register",
            "bad",
            "--odbc",
            &good,
            "--table",
            "no_such_table",
        ],
        &[],
        2,
    );
    assert!(message.contains("SQLSTATE 42S02"), "{message}");
    let message = fails(
        &env,
        &[
            "dataset",
            "register",
            "bad",
            "--odbc",
            POSTGRESQL_SOURCE,
            "--query",
            "SELECT 1 +",
        ],
        &[],
        2,
    );
    assert!(message.contains("SQLSTATE 42601"), "{message}");
    let message = fails(
        &env,
        &[
            "dataset",
            "register",
            "bad",
            "--odbc",
            POSTGRESQL_SOURCE,
            "--query",
            "SELECT FROM generate_series(1, 3)",
        ],
        &[],
        2,
    );
    assert!(message.contains("no columns"), "{message}");
    fails(
        &env,
        &[
            "dataset",
            "register",
            "bad",
            "--odbc",
            &good,
            "--table",
            "t; DROP TABLE x",
        ],
        &[],
        2,
    );
    assert_nothing_left(&env, "bad");
    assert_no_password_in_files(&env);
}

#[test]
fn duplicate_and_unusable_column_names_are_mapped_as_for_csv_headers() {
    let env = Env::new();
    odbc_ini(&env);
    let long = "x".repeat(70);
    succeeds(
        &env,
        &[
            "dataset",
            "register",
            "names",
            "--odbc",
            POSTGRESQL_SOURCE,
            "--query",
            &format!("SELECT 1 AS a, 2 AS \"A\", 3 AS a, 4 AS \"{long}\", 5 AS \"\"\"q\"\"\" FROM generate_series(1, 3)"),
            "--no-features",
        ],
        &[],
    );
    let names: Vec<String> = env
        .columns("names", "train")
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, ["a", "A_2", "a_3", &"x".repeat(63), "\"q\""]);
}

#[test]
fn a_source_dropping_the_connection_mid_read_fails_with_exit_6_and_leaves_nothing() {
    let env = Env::new();
    odbc_ini(&env);
    let marker = unique("mdm_fault");
    let query = "SELECT g AS id, md5(g::text) AS h FROM generate_series(1, 20000000) g";
    let source = format!("{POSTGRESQL_SOURCE};pqopt={{application_name={marker}}}");
    let mut cmd = env.process();
    cmd.args([
        "dataset",
        "register",
        "dropped",
        "--odbc",
        &source,
        "--query",
        query,
        "--no-features",
    ])
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().unwrap();
    // Wait until rows are being read (the session is a second old), then
    // end the source's session.
    let kill = format!(
        "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity \
         WHERE application_name = '{marker}' AND now() - backend_start > interval '1 second'"
    );
    let started = std::time::Instant::now();
    let mut terminated = false;
    while started.elapsed() < std::time::Duration::from_secs(60) {
        std::thread::sleep(std::time::Duration::from_millis(300));
        if psql(&kill).trim() != "0" {
            terminated = true;
            break;
        }
    }
    let output = child.wait_with_output().unwrap();
    assert!(terminated, "the source query was never seen running");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(6), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert_nothing_left(&env, "dropped");
    // A rerun works.
    succeeds(
        &env,
        &[
            "dataset",
            "register",
            "dropped",
            "--odbc",
            POSTGRESQL_SOURCE,
            "--query",
            "SELECT g AS id FROM generate_series(1, 10) g",
            "--no-features",
        ],
        &[],
    );
    assert_eq!(exported(&env, "dropped", "train").len(), 10);
}

#[test]
fn a_split_read_over_several_connections_stores_every_row_exactly_and_refresh_splits_again() {
    let env = Env::new();
    odbc_ini(&env);
    let table = unique("mdm_src_split");
    // "Grp" needs the source's quoting; it repeats, is negative and NULL.
    psql(&format!(
        "CREATE TABLE {table} (k bigint PRIMARY KEY, \"Grp\" bigint, name text, amount numeric(10,2), \
           score double precision, day date, at timestamp); \
         INSERT INTO {table} SELECT g, CASE WHEN g % 97 = 0 THEN NULL ELSE g % 1000 - 300 END, \
           CASE WHEN g % 4 = 0 THEN NULL ELSE 'n ' || g || ' ñ 漢字 🚀' END, \
           CASE WHEN g % 9 = 0 THEN NULL ELSE (g % 10000) / 100.0 - 7 END, g / 7.0, \
           CASE WHEN g % 11 = 0 THEN NULL ELSE DATE '1999-12-01' + g % 4000 END, \
           TIMESTAMP '2021-06-30 08:00:00' + g * INTERVAL '1.000001 second' \
         FROM generate_series(1, 20000) g"
    ));
    let columns = [
        ("k", Kind::Integer),
        ("Grp", Kind::Integer),
        ("name", Kind::Text),
        ("amount", Kind::Decimal(2)),
        ("score", Kind::Float),
        ("day", Kind::Text),
        ("at", Kind::Timestamp),
    ];
    let source = |filter: &str| {
        psql(&format!(
            "SELECT k, \"Grp\", name, amount, score::text, day, at FROM {table} WHERE {filter} ORDER BY k"
        ))
    };
    let query = format!("SELECT * FROM {table}");
    let test_query = format!("SELECT * FROM {table} WHERE k % 10 = 0");
    for (name, column, parallel) in [
        ("bygrp", "Grp", "3"),
        ("byday", "day", "2"),
        ("byat", "at", "4"),
    ] {
        succeeds(
            &env,
            &[
                "dataset",
                "register",
                name,
                "--odbc",
                POSTGRESQL_SOURCE,
                "--query",
                &query,
                "--test-query",
                &test_query,
                "--split-by",
                column,
                "--parallel",
                parallel,
                "--no-features",
            ],
            &[],
        );
        assert_same_values(&source("true"), &exported(&env, name, "train"), &columns);
        assert_same_values(
            &source("k % 10 = 0"),
            &exported(&env, name, "test"),
            &columns,
        );
    }
    let yaml = discovery(&env, "bygrp");
    assert!(yaml.contains("split_by: Grp"), "{yaml}");
    assert!(yaml.contains("parallel: 3"), "{yaml}");
    // A refresh reads in ranges again and sees the new rows.
    psql(&format!(
        "INSERT INTO {table} (k, \"Grp\", name) VALUES (20001, NULL, 'late ✓'), (20002, 5000, 'big')"
    ));
    succeeds(&env, &["dataset", "update", "bygrp", "--refresh"], &[]);
    assert_same_values(&source("true"), &exported(&env, "bygrp", "train"), &columns);
    assert!(discovery(&env, "bygrp").contains("split_by: Grp"));
    // A column the query does not return, or one that cannot be cut into
    // ranges, is refused before anything is stored.
    for (column, expected) in [
        ("nope", "no column 'nope'"),
        ("score", "give an integer, date or timestamp column"),
    ] {
        let message = fails(
            &env,
            &[
                "dataset",
                "register",
                "badsplit",
                "--odbc",
                POSTGRESQL_SOURCE,
                "--query",
                &query,
                "--split-by",
                column,
            ],
            &[],
            2,
        );
        assert!(message.contains(expected), "{message}");
    }
    assert_nothing_left(&env, "badsplit");
    let output = run(
        &env,
        &[
            "dataset",
            "register",
            "badsplit",
            "--odbc",
            POSTGRESQL_SOURCE,
            "--query",
            &query,
            "--parallel",
            "2",
        ],
        &[],
    );
    assert_eq!(output.status.code(), Some(2), "--parallel needs --split-by");
    psql(&format!("DROP TABLE {table}"));
}

/// A connection string as users type it (`DSN=...;UID=...;PWD=...`, the
/// password last, no `;` after it) connects every time: MariaDB's driver
/// reads the last attribute up to a NUL, whatever length it is given.
#[test]
fn a_typed_connection_string_with_the_password_last_connects_every_time() {
    let env = Env::new();
    odbc_ini(&env);
    let table = mariadb_table(20);
    // A password that needs no braces: the driver stops a braced one at its
    // closing brace.
    for host in ["%", "localhost"] {
        mariadb_root(&format!(
            "CREATE USER IF NOT EXISTS 'mdm_typed'@'{host}' IDENTIFIED BY 'Typed-pass-2'; \
             GRANT SELECT ON test.* TO 'mdm_typed'@'{host}'"
        ));
    }
    let connection = "DSN=mdm_src;UID=mdm_typed;PWD=Typed-pass-2".to_string();
    let query = format!("SELECT id, name FROM {table}");
    for run in 0..10 {
        let name = format!("typed{run}");
        succeeds(
            &env,
            &[
                "-q",
                "dataset",
                "register",
                &name,
                "--odbc",
                &connection,
                "--query",
                &query,
                "--no-features",
            ],
            &[],
        );
        assert_eq!(
            env.json(&["dataset", "info", &name])["tables"][0]["rows"],
            20
        );
    }
    mariadb_root(&format!("DROP TABLE {table}"));
}
