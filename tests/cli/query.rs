//! `mdm dataset query`: one read-only statement on any backend, its rows as
//! a table, CSV or JSON; statements that write are refused and change
//! nothing.

use crate::common::{titanic, Env};

fn registered() -> Env {
    let env = Env::new();
    env.register_titanic("titanic", &["--no-features"]);
    env
}

#[test]
fn query_prints_rows_as_csv_json_and_a_table_with_the_datasets_own_names() {
    let env = registered();
    // `Sex` and `Age` as the file spells them, on every backend (PostgreSQL
    // folds unquoted names to lower case; mdm quotes the dataset's own).
    let sql =
        "SELECT Sex, COUNT(*) AS n, MIN(Age) AS youngest FROM train GROUP BY Sex ORDER BY Sex";
    let csv = env.ok(&["-q", "dataset", "query", "titanic", sql, "--format", "csv"]);
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("Sex,n,youngest"));
    let female: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(female[..2], ["female", "90"]);
    let mut reader = csv::Reader::from_path(titanic().join("train.csv")).unwrap();
    let youngest = reader
        .records()
        .map(|r| r.unwrap())
        .filter(|r| &r[4] == "female" && !r[5].is_empty())
        .map(|r| r[5].parse::<f64>().unwrap())
        .fold(f64::INFINITY, f64::min);
    assert_eq!(female[2].parse::<f64>().unwrap(), youngest);
    assert!(lines.next().unwrap().starts_with("male,110,"));
    let json: serde_json::Value =
        serde_json::from_str(&env.ok(&["dataset", "query", "titanic", sql, "--format", "json"]))
            .unwrap();
    assert_eq!(json[1]["Sex"], "male");
    assert_eq!(json[1]["n"], 110);
    let table = env.ok(&["dataset", "query", "titanic", sql]);
    assert!(table.lines().next().unwrap().contains("Sex"), "{table}");
    assert!(table.contains("female"), "{table}");
    let empty: serde_json::Value = serde_json::from_str(&env.ok(&[
        "dataset",
        "query",
        "titanic",
        "SELECT * FROM train WHERE 1 = 0",
        "--format",
        "json",
    ]))
    .unwrap();
    assert_eq!(empty, serde_json::json!([]));
}

#[test]
fn query_writes_a_file_only_when_the_statement_ran() {
    let env = registered();
    let out = env.input("rows.csv");
    let out_arg = out.to_str().unwrap();
    let stdout = env.ok(&[
        "-q",
        "dataset",
        "query",
        "titanic",
        "SELECT PassengerId FROM test ORDER BY PassengerId",
        "--format",
        "csv",
        "--output",
        out_arg,
    ]);
    assert!(stdout.is_empty());
    let written = std::fs::read_to_string(&out).unwrap();
    assert_eq!(written.lines().count(), 81);
    assert_eq!(written.lines().nth(1), Some("201"));
    let refused = env.input("refused.csv");
    env.fails(
        &[
            "dataset",
            "query",
            "titanic",
            "SELECT nope FROM train",
            "--output",
            refused.to_str().unwrap(),
        ],
        6,
    );
    assert!(!refused.exists());
    let leftovers: Vec<_> = std::fs::read_dir(out.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn query_refuses_statements_that_write_and_changes_nothing() {
    let env = registered();
    for sql in [
        "DELETE FROM train",
        "DROP TABLE train",
        "UPDATE train SET Age = 0",
        "INSERT INTO train (PassengerId) VALUES (1)",
        "SELECT 1; DELETE FROM train",
        "WITH gone AS (DELETE FROM train RETURNING *) SELECT COUNT(*) FROM gone",
        "CREATE TABLE copy AS SELECT * FROM train",
        "",
    ] {
        let error = env.fails(&["dataset", "query", "titanic", sql], 2);
        assert_eq!(error.trim().lines().count(), 1, "{error}");
    }
    assert_eq!(env.scalar("titanic", "SELECT COUNT(*) FROM train"), "200");
    let tables = env.ok(&[
        "dataset",
        "query",
        "titanic",
        "SELECT COUNT(*) AS n FROM test",
        "--format",
        "csv",
    ]);
    assert_eq!(tables, "n\n80\n");
    env.fails(&["dataset", "query", "nothing", "SELECT 1"], 3);
}

#[test]
fn a_bi_reader_holding_a_duckdb_dataset_open_does_not_lock_mdm_out() {
    use std::io::{BufRead, BufReader, Write};
    let env = registered();
    if env.profile != crate::common::Profile::Duckdb {
        return;
    }
    let printed = env.ok(&["dataset", "connection", "titanic"]);
    let connection = printed.trim().to_string();
    assert!(connection.contains("access_mode=READ_ONLY"), "{connection}");
    // A BI tool: pyodbc on the printed connection, held open.
    let mut reader = std::process::Command::new("/usr/bin/python3")
        .args([
            "-c",
            "import pyodbc, sys\n\
             c = pyodbc.connect(sys.argv[1], autocommit=True)\n\
             print(c.cursor().execute('SELECT COUNT(*) FROM train').fetchone()[0], flush=True)\n\
             sys.stdin.read()\n",
            &connection,
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 with pyodbc");
    let mut line = String::new();
    BufReader::new(reader.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "200");
    // mdm's reading commands work beside it.
    env.ok(&["dataset", "list"]);
    let info = env.json(&["dataset", "info", "titanic"]);
    assert_eq!(info["tables"][0]["rows"], 200);
    env.ok(&["dataset", "stats", "titanic"]);
    env.ok(&["dataset", "features", "titanic"]);
    let out = env.input("beside");
    env.ok(&[
        "dataset",
        "export",
        "titanic",
        "--output-dir",
        out.to_str().unwrap(),
    ]);
    assert!(out.join("train.csv").exists());
    let counted = env.ok(&[
        "dataset",
        "query",
        "titanic",
        "SELECT COUNT(*) AS n FROM test",
        "--format",
        "csv",
    ]);
    assert_eq!(counted, "n\n80\n");
    // A write cannot run beside a reader (DuckDB: one writer, alone): it
    // waits database.connection_timeout, then fails naming the reader's
    // process, and changes nothing.
    env.write_config("database:\n  default_backend: duckdb\n  connection_timeout: 2\n");
    let started = std::time::Instant::now();
    let err = env.fails(
        &["dataset", "update", "titanic", "--description", "changed"],
        6,
    );
    assert!(started.elapsed() >= std::time::Duration::from_secs(2));
    assert!(
        err.contains(&format!(
            "dataset 'titanic' is in use by process {} (a reader); close it and retry",
            reader.id()
        )),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert_eq!(
        env.json(&["dataset", "info", "titanic"])["description"],
        serde_json::Value::Null
    );
    // A writer that is waiting goes on as soon as the reader has gone.
    env.write_config("database:\n  default_backend: duckdb\n  connection_timeout: 20\n");
    let writer = env
        .process()
        .args([
            "-q",
            "dataset",
            "update",
            "titanic",
            "--description",
            "changed",
        ])
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(800));
    reader.stdin.take().unwrap().write_all(b"").unwrap();
    assert!(reader.wait().unwrap().success());
    assert!(writer.wait_with_output().unwrap().status.success());
    assert_eq!(
        env.json(&["dataset", "info", "titanic"])["description"],
        "changed"
    );
    let output = env
        .cmd()
        .args(["dataset", "connection", "titanic", "--write"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&output.stdout).contains("access_mode=READ_WRITE"));
    assert!(String::from_utf8_lossy(&output.stderr).contains("locked out"));
}

#[test]
fn a_read_only_duckdb_configuration_reads_everything_and_refuses_writes_with_exit_5() {
    let env = registered();
    if env.profile != crate::common::Profile::Duckdb {
        return;
    }
    env.write_config(
        "database:\n  default_backend: duckdb\n  duckdb:\n    access_mode: READ_ONLY\n",
    );
    assert_eq!(
        env.json(&["dataset", "info", "titanic"])["tables"][0]["rows"],
        200
    );
    env.ok(&["dataset", "stats", "titanic"]);
    env.ok(&["dataset", "query", "titanic", "SELECT COUNT(*) FROM train"]);
    for args in [
        vec!["dataset", "update", "titanic", "--description", "x"],
        vec!["dataset", "split", "titanic"],
        vec!["dataset", "features", "titanic", "--regenerate"],
    ] {
        let err = env.fails(&args, 5);
        assert!(err.contains("access_mode is READ_ONLY"), "{args:?}: {err}");
    }
    let file = titanic().join("train.csv");
    let err = env.fails(&["dataset", "register", "other", file.to_str().unwrap()], 5);
    assert!(err.contains("READ_ONLY"), "{err}");
    env.fails(&["dataset", "info", "other"], 3);
    assert_eq!(
        env.json(&["dataset", "info", "titanic"])["description"],
        serde_json::Value::Null
    );
}
