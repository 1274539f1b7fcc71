//! The backend document, followed literally: its `mdm.yaml` snippets as
//! they are written (comments, trailing blanks and all), its commands in
//! its order ("Changing Backend", "Moving Datasets Between Backends"), and
//! direct access to the stored datasets with `sqlite3`, Python's `duckdb`
//! package and `psql`. Paths are the only thing adapted: the home is a
//! temporary directory and `/path/to/data` is the bundled Titanic folder.

#![cfg(feature = "odbc")]

use std::path::{Path, PathBuf};

use crate::common::{Env, Profile};

/// `/path/to/data` of the document.
fn titanic() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/titanic")
}

/// Runs `mdm args...` in the test's directory (the document's relative
/// paths, `./backup/`), expecting success; returns stdout and stderr.
fn run(env: &Env, args: &[&str]) -> (String, String) {
    let output = env
        .cmd()
        .current_dir(env.dir.path())
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "mdm {args:?} failed ({:?}): {stderr}",
        output.status.code()
    );
    (String::from_utf8(output.stdout).unwrap(), stderr)
}

/// "vim ~/.mdm/mdm.yaml — Change: default_backend: ...": the line is
/// edited in place, the rest of the file kept.
fn switch_backend(env: &Env, backend: &str) {
    let path = env.home().join("mdm.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut changed = false;
    let edited: Vec<String> = text
        .lines()
        .map(|line| {
            let indent = &line[..line.len() - line.trim_start().len()];
            if !changed && line.trim_start().starts_with("default_backend:") {
                changed = true;
                format!("{indent}default_backend: {backend}")
            } else {
                line.to_string()
            }
        })
        .collect();
    assert!(changed, "no default_backend line in {text}");
    env.write_config(&(edited.join("\n") + "\n"));
}

fn psql(user: &str, password: &str, database: &str, sql: &str) -> std::process::Output {
    std::process::Command::new("psql")
        .env("PGPASSWORD", password)
        .args([
            "-h",
            "localhost",
            "-U",
            user,
            "-d",
            database,
            "-AtXq",
            "-c",
            sql,
        ])
        .output()
        .expect("psql")
}

#[test]
fn snippet_sqlite_works_as_written_and_sqlite3_reads_the_file() {
    let env = Env::new();
    env.write_config(
        "# In mdm.yaml\ndatabase:\n  default_backend: sqlite    # Default backend\n  \n  # SQLAlchemy settings (applies to all backends)\n  sqlalchemy:\n    echo: false              # Log SQL queries\n    pool_size: 5            # Connection pool size\n    \n  # SQLite-specific settings\n  sqlite:\n    journal_mode: \"WAL\"      # Write-Ahead Logging for better concurrency\n    synchronous: \"NORMAL\"    # Balance between safety and speed\n",
    );
    let data = titanic();
    run(
        &env,
        &["dataset", "register", "titanic", data.to_str().unwrap()],
    );
    // sqlite3 ~/.mdm/datasets/titanic/dataset.sqlite
    let file = env.home().join("datasets/titanic/dataset.sqlite");
    let output = std::process::Command::new("sqlite3")
        .arg(&file)
        .arg("PRAGMA journal_mode; SELECT COUNT(*) FROM train;")
        .output()
        .expect("sqlite3");
    assert!(output.status.success());
    assert_eq!(String::from_utf8_lossy(&output.stdout), "wal\n200\n");

    // echo: true logs every statement mdm runs, at info level.
    let text = std::fs::read_to_string(env.home().join("mdm.yaml")).unwrap();
    env.write_config(&text.replace("echo: false", "echo: true"));
    let (_, stderr) = run(&env, &["dataset", "info", "titanic"]);
    assert!(
        stderr.contains("mdm::sql") && stderr.contains("FROM \"_metadata\""),
        "{stderr}"
    );
}

#[test]
fn snippet_duckdb_works_as_written_and_python_duckdb_reads_the_file() {
    let env = Env::new();
    env.write_config(
        "# In mdm.yaml\ndatabase:\n  default_backend: duckdb\n  \n  # DuckDB-specific settings\n  duckdb:\n    memory_limit: \"8GB\"      # Maximum memory usage\n    threads: 4               # Number of threads\n    temp_directory: \"/tmp\"   # Temporary file location\n",
    );
    let data = titanic();
    run(
        &env,
        &[
            "dataset",
            "register",
            "analytics_data",
            data.to_str().unwrap(),
        ],
    );
    let (info, _) = run(&env, &["info"]);
    assert!(info.contains("backend:        duckdb"), "{info}");
    assert!(info.contains("database.duckdb.memory_limit: 8GB"), "{info}");
    // duckdb.connect('~/.mdm/datasets/analytics_data/dataset.duckdb')
    let file = env.home().join("datasets/analytics_data/dataset.duckdb");
    let output = std::process::Command::new("python3")
        .args([
            "-c",
            "import duckdb, sys\n\
             con = duckdb.connect(sys.argv[1], read_only=True)\n\
             print(con.execute('SELECT COUNT(*), COUNT(DISTINCT \"PassengerId\") FROM train').fetchone())",
            file.to_str().unwrap(),
        ])
        .output()
        .expect("python3 with the duckdb package");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&output.stdout), "(200, 200)\n");
}

#[test]
fn snippet_postgresql_works_as_written_and_psql_reads_the_database() {
    // The document's role, password and prefix; the database name is the
    // document's too, so a leftover of an interrupted run goes first.
    let drop = "DROP DATABASE IF EXISTS mdm_production_data WITH (FORCE)";
    psql("postgres", "", "postgres", drop);
    let env = Env::new();
    env.write_config(
        "# In mdm.yaml\ndatabase:\n  default_backend: postgresql\n  \n  postgresql:\n    host: localhost\n    port: 5432\n    user: mdm_user\n    password: mdm_pass\n    database_prefix: mdm_    # Prefix for dataset databases\n    \n    # Connection pool settings\n    pool_size: 10\n    max_overflow: 20\n    pool_timeout: 30\n    \n    # SSL settings (optional)\n    sslmode: require\n    sslcert: /path/to/client-cert.pem\n    sslkey: /path/to/client-key.pem\n",
    );
    let data = titanic();
    let registered = std::panic::catch_unwind(|| {
        run(
            &env,
            &[
                "dataset",
                "register",
                "production_data",
                data.to_str().unwrap(),
            ],
        );
        // psql -h localhost -U mdm_user -d mdm_production_data (mdm itself
        // got there with sslmode: require, which fails without SSL)
        let output = psql(
            "mdm_user",
            "mdm_pass",
            "mdm_production_data",
            "SELECT COUNT(*) FROM train",
        );
        assert_eq!(String::from_utf8_lossy(&output.stdout), "200\n");
        // The discovery file names the database as the document shows,
        // without the password.
        let record =
            std::fs::read_to_string(env.home().join("config/datasets/production_data.yaml"))
                .unwrap();
        assert!(
            record.contains(
                "connection_string: postgresql://mdm_user@localhost:5432/mdm_production_data"
            ),
            "{record}"
        );
        assert!(!record.contains("mdm_pass"), "{record}");
        let (info, _) = run(&env, &["info"]);
        assert!(info.contains("database.postgresql.password: ***"), "{info}");
        assert!(!info.contains("mdm_pass"), "{info}");
        run(&env, &["dataset", "remove", "production_data", "--force"]);
    });
    psql("postgres", "", "postgres", drop);
    if let Err(panic) = registered {
        std::panic::resume_unwind(panic);
    }
}

/// The configuration of this profile, plus a PostgreSQL section reaching
/// the test server under this environment's prefix (so that switching to
/// PostgreSQL needs only the `default_backend` line changed).
fn profile_config(env: &Env) -> String {
    let backend = env.profile.backend();
    let sqlite_odbc = if env.profile == Profile::SqliteOdbc {
        "  sqlite:\n    odbc: { driver: MDM SQLite3 }\n"
    } else {
        ""
    };
    format!(
        "database:\n  default_backend: {backend}\n{sqlite_odbc}  postgresql:\n    host: 127.0.0.1\n    user: postgres\n    database_prefix: {}\n",
        env.prefix
    )
}

/// Where the document moves datasets to from this profile's backend.
fn destination(env: &Env) -> &'static str {
    if env.profile == Profile::Postgresql {
        "duckdb"
    } else {
        "postgresql"
    }
}

/// What a dataset holds as mdm shows it: schema, roles and every table
/// exported as CSV.
fn contents(env: &Env, name: &str) -> (serde_json::Value, Vec<String>) {
    let info = env.json(&["dataset", "info", name]);
    let mut exported = Vec::new();
    for table in info["tables"].as_array().unwrap() {
        let table = table["name"].as_str().unwrap();
        exported.push(env.ok(&["dataset", "export", name, "--table", table, "--output", "-"]));
    }
    let facts = serde_json::json!({
        "schema": info["schema"],
        "target": info["target"],
        "id_columns": info["id_columns"],
        "problem_type": info["problem_type"],
        "tables": info["tables"],
    });
    (facts, exported)
}

fn listed(env: &Env, all_backends: bool) -> Vec<(String, String)> {
    let mut args = vec!["dataset", "list"];
    if all_backends {
        args.push("--all-backends");
    }
    let list = env.json(&args);
    list.as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["name"].as_str().unwrap().to_string(),
                d["backend"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn changing_backend_as_the_document_shows_keeps_both_datasets_of_one_name() {
    let env = Env::new();
    env.write_config(&profile_config(&env));
    let origin = env.profile.backend();
    let target = destination(&env);
    let data = titanic();
    run(
        &env,
        &[
            "dataset",
            "register",
            "my_dataset",
            data.to_str().unwrap(),
            "--target",
            "Survived",
        ],
    );
    let before = contents(&env, "my_dataset");

    // Step 1: check current backend and datasets
    let (info, _) = run(&env, &["info"]);
    assert!(
        info.contains(&format!("backend:        {origin}")),
        "{info}"
    );
    assert_eq!(
        listed(&env, false),
        [("my_dataset".to_string(), origin.to_string())]
    );
    // Step 2: export important datasets before switching
    run(
        &env,
        &[
            "dataset",
            "export",
            "my_dataset",
            "--output-dir",
            "./backup/",
        ],
    );
    // Step 3: change backend in mdm.yaml
    switch_backend(&env, target);
    // Step 4: list datasets again — the old ones are invisible
    assert!(listed(&env, false).is_empty());
    env.fails(&["dataset", "info", "my_dataset"], 3);
    // Step 5: re-register datasets with new backend, under the same name
    run(&env, &["dataset", "register", "my_dataset", "./backup/"]);
    assert_eq!(
        listed(&env, false),
        [("my_dataset".to_string(), target.to_string())]
    );
    let mut both = listed(&env, true);
    both.sort();
    let mut expected = vec![
        ("my_dataset".to_string(), origin.to_string()),
        ("my_dataset".to_string(), target.to_string()),
    ];
    expected.sort();
    assert_eq!(both, expected);
    assert_eq!(contents(&env, "my_dataset"), before);

    // Switching back finds the old dataset unchanged.
    switch_backend(&env, origin);
    assert_eq!(contents(&env, "my_dataset"), before);
    // Removing it here removes only this backend's copy, and nothing of it
    // is left behind.
    run(&env, &["dataset", "remove", "my_dataset", "--force"]);
    assert!(listed(&env, false).is_empty());
    let datasets = env.home().join("datasets");
    let leftovers: Vec<String> = std::fs::read_dir(&datasets)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let file_name = format!(
        "dataset.{}",
        if origin == "duckdb" {
            "duckdb"
        } else {
            "sqlite"
        }
    );
    assert!(!datasets.join("my_dataset").join(file_name).exists());
    switch_backend(&env, target);
    assert_eq!(contents(&env, "my_dataset"), before);
}

#[test]
fn moving_two_datasets_between_backends_as_the_document_shows() {
    let env = Env::new();
    env.write_config(&profile_config(&env));
    let target = destination(&env);
    let data = titanic();
    let second = env.write(
        "second.csv",
        "id,when,value,label\n1,2024-01-31,1.5,a\n2,2024-02-29,-2.25,b\n3,,1e300,\n",
    );
    run(
        &env,
        &[
            "dataset",
            "register",
            "dataset1",
            data.to_str().unwrap(),
            "--target",
            "Survived",
        ],
    );
    run(
        &env,
        &["dataset", "register", "dataset2", second.to_str().unwrap()],
    );
    let before = [contents(&env, "dataset1"), contents(&env, "dataset2")];

    // Step 1: while using the old backend, export datasets
    assert_eq!(listed(&env, false).len(), 2);
    run(
        &env,
        &[
            "dataset",
            "export",
            "dataset1",
            "--output-dir",
            "./exports/dataset1/",
        ],
    );
    run(
        &env,
        &[
            "dataset",
            "export",
            "dataset2",
            "--output-dir",
            "./exports/dataset2/",
        ],
    );
    // Step 2: change backend in mdm.yaml
    switch_backend(&env, target);
    // Step 3: verify backend switch
    let (info, _) = run(&env, &["info"]);
    assert!(
        info.contains(&format!("backend:        {target}")),
        "{info}"
    );
    assert!(listed(&env, false).is_empty());
    // Step 4: re-register datasets with new backend
    run(
        &env,
        &["dataset", "register", "dataset1", "./exports/dataset1/"],
    );
    run(
        &env,
        &["dataset", "register", "dataset2", "./exports/dataset2/"],
    );
    assert_eq!(
        [contents(&env, "dataset1"), contents(&env, "dataset2")],
        before
    );
    // The old files remain, untouched, and come back with the old backend.
    switch_backend(&env, env.profile.backend());
    assert_eq!(
        [contents(&env, "dataset1"), contents(&env, "dataset2")],
        before
    );
}
