//! `mdm dataset list|info|remove` and the single-backend visibility rule.

use crate::common::{titanic, Env};

fn register_small(env: &Env, name: &str, rows: usize) {
    let mut content = String::from("k,v\n");
    for i in 0..rows {
        content.push_str(&format!("{i},{}\n", i * 2));
    }
    let path = env.write(&format!("{name}.csv"), content);
    env.ok(&["dataset", "register", name, path.to_str().unwrap()]);
}

fn names(listing: &serde_json::Value) -> Vec<String> {
    listing
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn list_sorts_limits_and_reverses() {
    let env = Env::new();
    register_small(&env, "bravo", 30);
    register_small(&env, "alpha", 10);
    register_small(&env, "charlie", 20);
    assert_eq!(
        names(&env.json(&["dataset", "list"])),
        ["alpha", "bravo", "charlie"]
    );
    assert_eq!(
        names(&env.json(&["dataset", "list", "--sort-by", "rows"])),
        ["alpha", "charlie", "bravo"]
    );
    assert_eq!(
        names(&env.json(&[
            "dataset",
            "list",
            "--sort-by",
            "rows",
            "--reverse",
            "--limit",
            "2"
        ])),
        ["bravo", "charlie"]
    );
    assert_eq!(
        names(&env.json(&["dataset", "list", "--sort-by", "registration_date"]))[0],
        "bravo"
    );
    // The original MDM's spelling: the dataset changed last comes last.
    std::thread::sleep(std::time::Duration::from_millis(5));
    env.ok(&[
        "-q",
        "dataset",
        "update",
        "bravo",
        "--description",
        "touched",
    ]);
    assert_eq!(
        names(&env.json(&["dataset", "list", "--sort-by", "last_updated_at"]))[2],
        "bravo"
    );
    let listing = env.json(&["dataset", "list", "--limit", "1"]);
    assert_eq!(listing[0]["rows"], 10);
    assert!(listing[0]["size_bytes"].as_u64().unwrap() > 0);

    let table = env.ok(&["dataset", "list"]);
    let lines: Vec<&str> = table.lines().collect();
    assert!(
        lines[0].starts_with("NAME") && lines[0].contains("ROWS") && lines[0].contains("SIZE"),
        "{table}"
    );
    assert!(
        lines[2].starts_with("alpha") && lines[2].contains(env.profile.backend()),
        "{table}"
    );
    env.mdm(&["dataset", "list", "--sort-by", "colour"]).code(2);
}

#[test]
fn an_empty_list_says_so_on_stderr() {
    let env = Env::new();
    let expected = format!(
        "no datasets registered in the {} backend",
        env.profile.backend()
    );
    env.mdm(&["dataset", "list"])
        .success()
        .stdout("")
        .stderr(predicates::str::contains(expected));
}

#[test]
fn datasets_of_another_backend_are_invisible_but_kept() {
    let env = Env::new();
    env.ok(&[
        "dataset",
        "register",
        "titanic",
        titanic().to_str().unwrap(),
    ]);
    let other = |args: &[&str]| {
        let mut cmd = env.cmd();
        cmd.env("MDM_DATABASE_DEFAULT_BACKEND", env.profile.other_backend())
            .args(args);
        cmd.output().unwrap()
    };
    let listing = other(&["dataset", "list", "--json"]);
    assert!(listing.status.success());
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&listing.stdout).unwrap(),
        serde_json::json!([])
    );

    let info = other(&["dataset", "info", "titanic"]);
    assert_eq!(info.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&info.stderr);
    let backend = env.profile.backend();
    assert!(
        stderr.contains(&format!("stored in the {backend} backend"))
            && stderr.contains(&format!("MDM_DATABASE_DEFAULT_BACKEND={backend}")),
        "{stderr}"
    );
    assert_eq!(
        other(&["dataset", "remove", "titanic", "--force"])
            .status
            .code(),
        Some(3)
    );

    let all = other(&["dataset", "list", "--all-backends", "--json"]);
    assert_eq!(
        names(&serde_json::from_slice(&all.stdout).unwrap()),
        ["titanic"]
    );
    let filtered = other(&[
        "dataset",
        "list",
        "--filter-backend",
        env.profile.backend(),
        "--json",
    ]);
    assert_eq!(
        names(&serde_json::from_slice(&filtered.stdout).unwrap()),
        ["titanic"]
    );

    // Switching back shows it again, untouched.
    assert_eq!(
        env.json(&["dataset", "info", "titanic"])["tables"][0]["rows"],
        200
    );
    assert!(env.data_exists("titanic"));
}

#[test]
fn info_shows_tables_columns_and_statistics() {
    let env = Env::new();
    env.ok(&[
        "dataset",
        "register",
        "titanic",
        titanic().to_str().unwrap(),
        "--target",
        "Survived",
        "--tags",
        "demo",
        "--description",
        "Passengers",
    ]);
    let text = env.ok(&["dataset", "info", "titanic"]);
    let backend = format!("backend:      {}", env.profile.backend());
    for expected in [
        "name:         titanic",
        backend.as_str(),
        "target:       Survived",
        "id columns:   PassengerId",
        "tags:         demo",
        "description:  Passengers",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    assert!(text.contains("train") && text.contains("200"), "{text}");
    let columns = env.ok(&["dataset", "info", "titanic", "--show-columns"]);
    assert!(
        columns.contains("columns of train:") && columns.contains("columns of test:"),
        "{columns}"
    );
    let sex = columns
        .lines()
        .find(|l| l.trim_start().starts_with("Sex"))
        .unwrap();
    assert!(sex.contains("text") && sex.contains("categorical"), "{sex}");

    let json = env.json(&["dataset", "info", "titanic", "--show-columns"]);
    assert_eq!(json["statistics"]["train"]["Sex"]["distinct"], 2);
    env.fails(&["dataset", "info", "nosuch"], 3);
}

#[test]
fn remove_supports_dry_run_and_deletes_everything() {
    let env = Env::new();
    register_small(&env, "gone", 5);
    let dry = env.ok(&["dataset", "remove", "gone", "--dry-run"]);
    assert!(
        dry.contains("would remove dataset 'gone'") && dry.contains("gone.yaml"),
        "{dry}"
    );
    assert!(env.data_exists("gone"));
    env.ok(&["dataset", "remove", "gone", "--force"]);
    assert!(!env.data_exists("gone"));
    assert!(!env.home().join("config/datasets/gone.yaml").exists());
    let stderr = env.fails(&["dataset", "remove", "gone", "--force"], 3);
    assert!(stderr.contains("dataset 'gone' not found"), "{stderr}");
    // Without a terminal there is nobody to ask: remove proceeds.
    register_small(&env, "again", 5);
    env.ok(&["dataset", "remove", "again"]);
    assert_eq!(env.json(&["dataset", "list"]), serde_json::json!([]));
}

#[test]
fn a_dataset_whose_database_is_gone_is_reported_not_crashed_on() {
    let env = Env::new();
    register_small(&env, "broken", 5);
    env.destroy_data("broken");
    if env.profile == crate::common::Profile::Postgresql {
        // The server is the catalog: a dropped database is a dataset gone,
        // and its cached discovery file goes with it.
        let stderr = env.fails(&["dataset", "info", "broken"], 3);
        assert!(
            stderr.contains("no longer exists on the postgresql server"),
            "{stderr}"
        );
        assert!(!env.home().join("config/datasets/broken.yaml").exists());
        env.fails(&["dataset", "remove", "broken", "--force"], 3);
        return;
    }
    let stderr = env.fails(&["dataset", "info", "broken"], 6);
    assert!(
        stderr.contains("is missing") || stderr.contains("does not exist"),
        "{stderr}"
    );
    env.ok(&["dataset", "remove", "broken", "--force"]);
}

/// Runs unixODBC's isql with `args`, feeding it `sql`; returns its output.
fn isql(args: &[&str], odbc_ini: Option<&std::path::Path>, sql: &str) -> String {
    use std::io::Write;
    let mut command = std::process::Command::new("isql");
    command.args(args).args(["-b", "-d,"]);
    if let Some(path) = odbc_ini {
        command.env("ODBCINI", path);
    }
    let mut child = command
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("isql (unixodbc)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(sql.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "isql {args:?}: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[test]
fn bi_tools_read_a_dataset_through_its_printed_connection() {
    let env = Env::new();
    register_small(&env, "shared", 25);
    let connection = env.ok(&["dataset", "connection", "shared"]);
    let connection = connection.trim();
    assert!(connection.contains("Database="), "{connection}");

    // unixODBC's isql with the connection string.
    let out = isql(
        &["-k", connection],
        None,
        "SELECT COUNT(*), SUM(v) FROM train\n",
    );
    assert!(out.contains("25,600"), "{out}");

    // The printed odbc.ini section works as a DSN.
    let ini = env.dir.path().join("odbc.ini");
    std::fs::write(
        &ini,
        env.ok(&["dataset", "connection", "shared", "--odbc-ini"]),
    )
    .unwrap();
    let out = isql(&["mdm_shared"], Some(&ini), "SELECT MAX(k) FROM train\n");
    assert!(out.contains("24"), "{out}");

    // Python's pyodbc: a bound parameter, browsing the catalog as BI tools
    // do, and a scratch table of its own, which needs the read-write
    // connection (the printed one is read-only where the backend has such a
    // mode, so that a reader never locks mdm out).
    let write_connection = env.ok(&["dataset", "connection", "shared", "--write"]);
    let write_connection = write_connection.trim();
    let script = "import pyodbc, sys\n\
                  c = pyodbc.connect(sys.argv[1])\n\
                  cur = c.cursor()\n\
                  rows = cur.execute('SELECT k, v FROM train WHERE k >= ? ORDER BY k', 20).fetchall()\n\
                  print([(int(k), int(v)) for k, v in rows])\n\
                  print(sorted(t.table_name for t in cur.tables() if t.table_name in ('train', '_metadata')))\n\
                  print([col.column_name for col in cur.columns(table='train')])\n\
                  cur.execute('CREATE TEMPORARY TABLE scratch (a BIGINT, b VARCHAR(20), c TIMESTAMP)')\n\
                  import datetime\n\
                  moment = datetime.datetime(2024, 2, 29, 23, 59, 59)\n\
                  cur.executemany('INSERT INTO scratch (a, b, c) VALUES (?, ?, ?)', [(1, 'x', moment), (2, None, None), (3, 'zz', moment)])\n\
                  print(tuple(int(v) for v in cur.execute('SELECT COUNT(*), SUM(a), COUNT(b), COUNT(c) FROM scratch').fetchone()))\n\
                  print(cur.execute('SELECT c FROM scratch WHERE a = 3').fetchone()[0])\n";
    let output = std::process::Command::new("/usr/bin/python3")
        .args(["-c", script, write_connection])
        .output()
        .expect("python3 with pyodbc (Debian python3-pyodbc)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[0],
        "[(20, 40), (21, 42), (22, 44), (23, 46), (24, 48)]"
    );
    assert_eq!(lines[1], "['_metadata', 'train']");
    // BI tools see the row key mdm adds to every train table.
    assert_eq!(lines[2], "['k', 'v', '_mdm_row']");
    assert_eq!(lines[3], "(3, 6, 2, 2)");
    assert_eq!(lines[4], "2024-02-29 23:59:59");

    let json = env.json(&["dataset", "connection", "shared"]);
    assert_eq!(json["connection_string"], connection);
    env.fails(&["dataset", "connection", "ghost"], 3);
}

#[test]
fn discovery_files_of_earlier_versions_are_read_as_they_are() {
    let env = Env::new();
    register_small(&env, "legacy", 25);
    // Earlier versions wrote `location:` with a `database:` name on
    // PostgreSQL instead of the document's `database:` section.
    let file = env.home().join("config/datasets/legacy.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    let mut record: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let section = record.as_mapping_mut().unwrap().remove("database").unwrap();
    let legacy = match section.get("connection_string") {
        Some(_) => serde_yaml::to_value(serde_json::json!({
            "database": format!("{}legacy", env.prefix)
        }))
        .unwrap(),
        None => section,
    };
    record
        .as_mapping_mut()
        .unwrap()
        .insert("location".into(), legacy);
    std::fs::write(&file, serde_yaml::to_string(&record).unwrap()).unwrap();

    assert_eq!(names(&env.json(&["dataset", "list"])), ["legacy"]);
    assert_eq!(
        env.json(&["dataset", "info", "legacy"])["tables"][0]["rows"],
        25
    );
    let csv = env.ok(&[
        "dataset", "export", "legacy", "--table", "train", "--output", "-",
    ]);
    assert_eq!(csv.lines().count(), 26);
    env.ok(&["dataset", "update", "legacy", "--description", "kept"]);
    let rewritten = std::fs::read_to_string(&file).unwrap();
    assert!(rewritten.contains("\ndatabase:\n"), "{rewritten}");
    env.ok(&["dataset", "remove", "legacy", "--force"]);
    assert!(!file.exists());
    assert!(!env.data_exists("legacy"));
}

#[cfg(feature = "odbc")]
#[test]
fn one_name_registered_in_two_backends_at_the_same_moment_gives_two_datasets() {
    let env = Env::new();
    env.write_config(&format!(
        "database:\n  postgresql:\n    host: 127.0.0.1\n    user: postgres\n    database_prefix: {}\n",
        env.prefix
    ));
    let mut content = String::from("k,v\n");
    for i in 0..20_000 {
        content.push_str(&format!("{i},{}\n", i % 7));
    }
    let data = env.write("same.csv", content);
    let backends = ["sqlite", "duckdb", "postgresql"];
    let children: Vec<_> = backends
        .iter()
        .map(|backend| {
            env.process()
                .env("MDM_DATABASE_DEFAULT_BACKEND", backend)
                .args([
                    "-q",
                    "dataset",
                    "register",
                    "same",
                    data.to_str().unwrap(),
                    "--no-features",
                ])
                .spawn()
                .unwrap()
        })
        .collect();
    for (child, backend) in children.into_iter().zip(backends) {
        let status = child.wait_with_output().unwrap().status;
        assert!(status.success(), "{backend}: {status:?}");
    }
    let all = env.json(&["dataset", "list", "--all-backends"]);
    let mut pairs: Vec<String> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{}/{}",
                d["name"].as_str().unwrap(),
                d["backend"].as_str().unwrap()
            )
        })
        .collect();
    pairs.sort();
    assert_eq!(pairs, ["same/duckdb", "same/postgresql", "same/sqlite"]);
    let files: Vec<String> = std::fs::read_dir(env.home().join("config/datasets"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files.len(), 3, "{files:?}");
    assert!(files.contains(&"same.yaml".to_string()), "{files:?}");
    for backend in backends {
        let info = env
            .cmd()
            .env("MDM_DATABASE_DEFAULT_BACKEND", backend)
            .args(["dataset", "info", "same", "--json"])
            .output()
            .unwrap();
        let info: serde_json::Value = serde_json::from_slice(&info.stdout).unwrap();
        assert_eq!(info["backend"], backend);
        assert_eq!(info["tables"][0]["rows"], 20_000);
    }
}

#[test]
fn export_without_a_header_or_with_metadata_only_as_the_original_does() {
    let env = Env::new();
    env.register_titanic("titanic", &["--no-features"]);
    let out = env.input("plain");
    env.ok(&[
        "dataset",
        "export",
        "titanic",
        "--table",
        "train",
        "--format",
        "csv",
        "--no-header",
        "--output-dir",
        out.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(out.join("train.csv")).unwrap();
    assert_eq!(text.lines().count(), 200);
    assert!(
        text.starts_with("1,0,3,\"Olsen, Mr. Joseph\""),
        "{text:.80}"
    );
    // The metadata file says there is no header and names the columns, so
    // the export registers as the same table.
    env.ok(&[
        "dataset",
        "register",
        "again",
        out.to_str().unwrap(),
        "--no-features",
    ]);
    let info = env.json(&["dataset", "info", "again"]);
    let names: Vec<&str> = info["schema"][0]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names[..3], ["PassengerId", "Survived", "Pclass"]);
    assert_eq!(info["tables"][0]["rows"], 200);

    let meta = env.input("meta");
    let report = env.json(&[
        "dataset",
        "export",
        "titanic",
        "--metadata-only",
        "--output-dir",
        meta.to_str().unwrap(),
    ]);
    assert_eq!(report["files"], serde_json::json!([]));
    let written: Vec<String> = std::fs::read_dir(&meta)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(written, ["titanic_metadata.yaml"]);
    let yaml = std::fs::read_to_string(meta.join("titanic_metadata.yaml")).unwrap();
    assert!(yaml.contains("Survived"), "{yaml}");
}

#[test]
fn list_and_batch_take_the_original_mdms_filter_expressions() {
    let env = Env::new();
    register_small(&env, "small", 5);
    register_small(&env, "large", 50);
    env.register_titanic("titanic", &["--source", "kaggle", "--no-features"]);
    let names = |expression: &str| -> Vec<String> {
        env.json(&["dataset", "list", "--filter", expression])
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names("row_count > 10"), ["large", "titanic"]);
    assert_eq!(names("row_count>10 AND has_test=true"), ["titanic"]);
    assert_eq!(
        names("name ~ 's*' OR source = KAGGLE"),
        ["small", "titanic"]
    );
    assert_eq!(names("name !~ '*a*'"), Vec::<String>::new());
    assert_eq!(names("problem_type = classification"), ["titanic"]);
    assert_eq!(names("target_column != Survived"), ["large", "small"]);
    assert_eq!(names("column_count = 2"), ["large", "small"]);
    assert_eq!(
        names("registered_at > 1day AND last_updated_at <= 2999-01-01"),
        ["large", "small", "titanic"]
    );
    assert_eq!(names("registered_at < 30days"), Vec::<String>::new());
    assert_eq!(
        names("size_mb >= 0 AND has_validation = false"),
        ["large", "small", "titanic"]
    );
    for (expression, word) in [
        ("rows > 1", "unknown field 'rows'"),
        ("row_count > lots", "'lots' is not a number"),
        ("name = a XOR name = b", "'XOR'"),
        ("registered_at > soon", "'soon' is not a date"),
    ] {
        let error = env.fails(&["dataset", "list", "--filter", expression], 2);
        assert!(error.contains(word), "{expression}: {error}");
        assert_eq!(error.trim().lines().count(), 1, "{error}");
    }
    let out = env.input("batch");
    env.ok(&[
        "batch",
        "export",
        "*",
        "--filter",
        "row_count < 100",
        "--output-dir",
        out.to_str().unwrap(),
    ]);
    let mut exported: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    exported.sort();
    assert_eq!(exported, ["large", "small"]);
    env.fails(
        &[
            "batch",
            "remove",
            "*",
            "--filter",
            "row_count > 1000000",
            "--force",
        ],
        3,
    );
    env.ok(&[
        "batch",
        "remove",
        "*",
        "--filter",
        "name = small",
        "--force",
    ]);
    assert_eq!(names("row_count >= 0"), ["large", "titanic"]);
}

/// The original MDM's CLI reference (docs/07_Command_Line_Interface.md):
/// its registration, filter and batch examples as written there, with the
/// files of the bundled titanic folder in place of its paths.
#[test]
fn the_original_mdm_cli_reference_examples_run_as_written() {
    let env = Env::new();
    let file = |name: &str| titanic().join(name).to_str().unwrap().to_string();
    let (train, test) = (file("train.csv"), file("test.csv"));
    env.ok(&[
        "dataset",
        "register",
        "store_sales",
        "--no-auto",
        "--train",
        &train,
        "--test",
        &test,
        "--target",
        "Fare",
        "--id-columns",
        "PassengerId",
        "--problem-type",
        "regression",
    ]);
    env.ok(&[
        "dataset",
        "register",
        "titanic",
        "--train",
        &train,
        "--test",
        &test,
        "-t",
        "Survived",
        "-i",
        "PassengerId",
        "--problem-type",
        "binary-classification",
        "--stratify-column",
        "Sex",
        "-d",
        "Loan default prediction dataset",
        "--source",
        "internal",
        "--tags",
        "finance,risk,production",
    ]);
    let names = |expression: &str| -> Vec<String> {
        env.json(&["dataset", "list", "--filter", expression])
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names("problem_type=regression"), ["store_sales"]);
    assert_eq!(names("name~titanic*"), ["titanic"]);
    assert_eq!(names("row_count>10000"), Vec::<String>::new());
    assert_eq!(names("column_count>=50"), Vec::<String>::new());
    assert_eq!(names("size_mb<100"), ["store_sales", "titanic"]);
    assert_eq!(
        names("registered_at>2024-01-01"),
        ["store_sales", "titanic"]
    );
    assert_eq!(
        names("registered_at>2024-01-01T10:30:00"),
        ["store_sales", "titanic"]
    );
    assert_eq!(names("registered_at>30days"), ["store_sales", "titanic"]);
    assert_eq!(names("last_updated_at<1week"), Vec::<String>::new());
    assert_eq!(
        names("source=kaggle OR size_mb<50"),
        ["store_sales", "titanic"]
    );
    assert_eq!(
        names("problem_type!=classification AND has_test=true"),
        ["store_sales"]
    );
    assert_eq!(names("target_column!~*_id"), ["store_sales", "titanic"]);
    assert_eq!(
        names("name~*sales* AND has_validation=true"),
        Vec::<String>::new()
    );
    assert_eq!(names("source=internal"), ["titanic"]);
    let out = env.input("small_datasets");
    env.ok(&[
        "batch",
        "export",
        "--filter",
        "problem_type=classification AND size_mb<50",
        "--output",
        out.to_str().unwrap(),
    ]);
    assert!(out.join("titanic").join("train.csv").exists());
    assert!(!out.join("store_sales").exists());
    let exports = env.input("exports");
    env.ok(&[
        "batch",
        "export",
        "titanic",
        "store_sales",
        "--output",
        exports.to_str().unwrap(),
        "--format",
        "parquet",
    ]);
    assert!(exports.join("store_sales").join("train.parquet").exists());
}
