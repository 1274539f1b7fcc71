//! Configuration: the first-run file, precedence, and errors that name the
//! key, the bad value and the allowed values (exit 7).

use crate::common::{titanic, Env};

#[test]
fn the_first_run_writes_a_commented_default_configuration() {
    let env = Env::new();
    let info = env.ok(&["info"]);
    let config = std::fs::read_to_string(env.home().join("mdm.yaml")).unwrap();
    assert!(
        config.contains("default_backend: sqlite") && config.contains("# "),
        "{config}"
    );
    assert!(
        info.contains(&format!(
            "config file:    {}",
            env.home().join("mdm.yaml").display()
        )),
        "{info}"
    );
    assert!(info.contains("backend:        sqlite"), "{info}");
    assert!(info.contains("MDM_HOME="), "{info}");
    env.mdm(&["--version"])
        .success()
        .stdout(predicates::str::contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn a_wrong_value_names_the_key_the_value_and_the_choices() {
    let env = Env::new();
    std::fs::create_dir_all(env.home()).unwrap();
    std::fs::write(
        env.home().join("mdm.yaml"),
        "database:\n  default_backend: oracle\n",
    )
    .unwrap();
    let stderr = env.fails(&["dataset", "list"], 7);
    assert!(stderr.contains("database.default_backend"), "{stderr}");
    assert!(
        stderr.contains("oracle") && stderr.contains("sqlite, duckdb, postgresql"),
        "{stderr}"
    );

    std::fs::write(
        env.home().join("mdm.yaml"),
        "performance:\n  batch_size: lots\n",
    )
    .unwrap();
    let stderr = env.fails(&["dataset", "list"], 7);
    assert!(
        stderr.contains("performance.batch_size") && stderr.contains("lots"),
        "{stderr}"
    );

    std::fs::write(
        env.home().join("mdm.yaml"),
        "performance:\n  batch_size: 0\n",
    )
    .unwrap();
    let stderr = env.fails(&["dataset", "list"], 7);
    assert!(
        stderr.contains("performance.batch_size") && stderr.contains("at least 1"),
        "{stderr}"
    );

    std::fs::write(env.home().join("mdm.yaml"), "performance:\n  workers: 65\n").unwrap();
    let stderr = env.fails(&["dataset", "list"], 7);
    assert!(
        stderr.contains("performance.workers") && stderr.contains("at most 64"),
        "{stderr}"
    );
}

#[test]
fn unknown_keys_and_broken_yaml_are_configuration_errors() {
    let env = Env::new();
    std::fs::create_dir_all(env.home()).unwrap();
    std::fs::write(
        env.home().join("mdm.yaml"),
        "database:\n  sqlite:\n    journal: WAL\n",
    )
    .unwrap();
    let stderr = env.fails(&["info"], 7);
    assert!(
        stderr.contains("database.sqlite") && stderr.contains("journal"),
        "{stderr}"
    );

    std::fs::write(env.home().join("mdm.yaml"), "paths: [unclosed\n").unwrap();
    let stderr = env.fails(&["info"], 7);
    assert!(
        stderr.contains("mdm.yaml") && stderr.contains("invalid YAML"),
        "{stderr}"
    );
}

#[test]
fn environment_variables_override_the_file_and_are_validated() {
    let env = Env::new();
    std::fs::create_dir_all(env.home()).unwrap();
    std::fs::write(
        env.home().join("mdm.yaml"),
        "paths:\n  datasets_path: from-file\n",
    )
    .unwrap();
    let data = titanic();
    env.cmd()
        .env("MDM_PATHS_DATASETS_PATH", "from-env")
        .args(["dataset", "register", "t", data.to_str().unwrap()])
        .assert()
        .success();
    assert!(env.home().join("from-env/t/dataset.sqlite").exists());
    assert!(!env.home().join("from-file").exists());

    let out = env
        .cmd()
        .env("MDM_DATABASE_SQLITE_SYNCHRONOUS", "sometimes")
        .arg("info")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(7));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("MDM_DATABASE_SQLITE_SYNCHRONOUS")
            && stderr.contains("OFF, NORMAL, FULL, EXTRA"),
        "{stderr}"
    );

    let out = env
        .cmd()
        .env("MDM_DATABASE_DEFAULT_BACKNED", "duckdb")
        .arg("info")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(7));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("MDM_DATABASE_DEFAULT_BACKNED does not name a configuration key"));
}

#[test]
fn an_explicit_config_file_is_used_and_must_exist() {
    let env = Env::new();
    let custom = env.write("custom.yaml", "paths:\n  datasets_path: elsewhere\n");
    let data = titanic();
    env.ok(&[
        "--config",
        custom.to_str().unwrap(),
        "dataset",
        "register",
        "t",
        data.to_str().unwrap(),
    ]);
    assert!(env.home().join("elsewhere/t").is_dir());
    assert!(!env.home().join("mdm.yaml").exists());
    let out = env
        .cmd()
        .env("MDM_CONFIG_PATH", custom.to_str().unwrap())
        .args(["info", "--json"])
        .output()
        .unwrap();
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(info["config_file"], custom.to_str().unwrap());

    let stderr = env.fails(&["--config", "/no/such/mdm.yaml", "info"], 7);
    assert!(stderr.contains("/no/such/mdm.yaml"), "{stderr}");
}

#[cfg(not(feature = "odbc"))]
#[test]
fn a_backend_this_build_cannot_serve_is_a_clear_error() {
    let env = Env::new();
    let out = env
        .cmd()
        .env("MDM_DATABASE_DEFAULT_BACKEND", "duckdb")
        .args(["dataset", "register", "t", titanic().to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(7));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("duckdb backend is reached through ODBC"),
        "{stderr}"
    );
    assert!(stderr.contains("--features odbc"), "{stderr}");
    assert!(!env.home().join("datasets/t").exists());
}

#[cfg(feature = "odbc")]
#[test]
fn a_misconfigured_odbc_backend_is_a_backend_error_naming_the_driver() {
    let env = Env::new();
    env.write_config(
        "database:\n  default_backend: postgresql\n  postgresql:\n    odbc: { driver: No Such Driver }\n    password: s3cret-pw\n",
    );
    let stderr = env.fails(
        &["dataset", "register", "t", titanic().to_str().unwrap()],
        6,
    );
    assert!(stderr.contains("No Such Driver"), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    assert!(
        !stderr.contains("s3cret-pw"),
        "the password leaked: {stderr}"
    );
    assert!(env.stored().is_empty(), "{:?}", env.stored());
    assert_eq!(
        env.json(&["dataset", "list", "--all-backends"]),
        serde_json::json!([])
    );

    // A server that does not answer: the same exit code and the DSN/driver named.
    env.write_config(
        "database:\n  default_backend: postgresql\n  postgresql:\n    host: 127.0.0.1\n    port: 1\n    password: s3cret-pw\n",
    );
    let stderr = env.fails(
        &["dataset", "register", "t", titanic().to_str().unwrap()],
        6,
    );
    assert!(stderr.contains("MDM PostgreSQL"), "{stderr}");
    assert!(
        !stderr.contains("s3cret-pw"),
        "the password leaked: {stderr}"
    );
}

#[test]
fn sqlite_pragmas_from_the_configuration_are_applied() {
    let env = Env::new();
    let data = titanic();
    env.cmd()
        .env("MDM_DATABASE_SQLITE_JOURNAL_MODE", "delete")
        .args(["dataset", "register", "t", data.to_str().unwrap()])
        .assert()
        .success();
    let conn = env.sqlite("t");
    assert_eq!(
        crate::common::scalar(&conn, "PRAGMA journal_mode"),
        "delete"
    );
}

#[cfg(feature = "odbc")]
#[test]
fn a_configured_password_is_shown_only_on_request_and_never_stored() {
    let env = Env::new();
    let prefix = &env.prefix;
    env.write_config(&format!(
        "database:\n  default_backend: postgresql\n  postgresql:\n    host: 127.0.0.1\n    user: postgres\n    password: s3cret-pw\n    database_prefix: {prefix}\n"
    ));
    env.ok(&["dataset", "register", "t", titanic().to_str().unwrap()]);
    let hidden = env.ok(&["dataset", "connection", "t"]);
    assert!(
        hidden.contains("Pwd=***") && !hidden.contains("s3cret-pw"),
        "{hidden}"
    );
    let shown = env.ok(&["dataset", "connection", "t", "--show-password"]);
    assert!(shown.contains("Pwd=s3cret-pw"), "{shown}");
    let ini = env.ok(&["dataset", "connection", "t", "--odbc-ini"]);
    assert!(ini.contains("Password=***"), "{ini}");
    for args in [
        &["info"][..],
        &["dataset", "info", "t", "--json"],
        &["dataset", "list", "--json"],
    ] {
        let out = env.ok(args);
        assert!(!out.contains("s3cret-pw"), "{args:?} printed the password");
    }
    let record = std::fs::read_to_string(env.home().join("config/datasets/t.yaml")).unwrap();
    assert!(!record.contains("s3cret-pw"));
    let metadata = std::process::Command::new("psql")
        .args([
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-d",
            &format!("{prefix}t"),
            "-Atc",
            "SELECT string_agg(value, ' ') FROM _metadata",
        ])
        .output()
        .unwrap();
    let metadata = String::from_utf8_lossy(&metadata.stdout);
    assert!(
        metadata.contains("schema") || metadata.contains("train"),
        "{metadata}"
    );
    assert!(!metadata.contains("s3cret-pw"));
}

#[test]
fn a_password_in_the_configuration_file_must_not_be_readable_by_others() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    env.ok(&["info"]);
    let file = env.home().join("mdm.yaml");
    if env.profile == crate::common::Profile::Embedded {
        // Created by mdm on first use: owner only.
        assert_eq!(
            std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    std::fs::write(&file, "database:\n  postgresql:\n    password: s3cret-pw\n").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = env.cmd().arg("info").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success());
    assert!(
        stderr.contains("holds a database password") && stderr.contains("chmod 600"),
        "{stderr}"
    );
    assert!(!stderr.contains("s3cret-pw"), "{stderr}");

    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    env.mdm(&["info"]).success().stderr("");
    // A password from the environment leaves the file out of it.
    std::fs::write(&file, "paths:\n  logs_path: logs\n").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    env.cmd()
        .env("MDM_DATABASE_POSTGRESQL_PASSWORD", "from-env")
        .arg("info")
        .assert()
        .success()
        .stderr("");
}

#[test]
fn processes_starting_at_once_on_a_fresh_home_all_succeed() {
    let env = Env::new();
    let _ = std::fs::remove_file(env.home().join("mdm.yaml"));
    let children: Vec<_> = (0..10)
        .map(|_| {
            env.process()
                .arg("info")
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let written = std::fs::read_to_string(env.home().join("mdm.yaml")).unwrap();
    assert!(written.contains("default_backend: sqlite"));
    let leftovers: Vec<_> = std::fs::read_dir(env.home())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".new-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// A configuration file written for the original MDM.
fn original_configuration() -> String {
    std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/original_mdm.yaml"),
    )
    .unwrap()
}

#[test]
fn the_original_mdm_configuration_is_accepted_and_keys_without_effect_are_named_once() {
    let env = Env::new();
    env.write_config(&original_configuration());
    let first = env.cmd().args(["dataset", "list"]).output().unwrap();
    assert!(first.status.success(), "{first:?}");
    let stderr = String::from_utf8_lossy(&first.stderr);
    let note: Vec<&str> = stderr.lines().filter(|l| l.starts_with("note:")).collect();
    assert_eq!(note.len(), 1, "{stderr}");
    // The original's include_lag is mdm's (lags over the time column).
    assert!(!note[0].contains("include_lag"), "{stderr}");
    for key in [
        "validation.after_features",
        "database.sqlalchemy.pool_recycle",
        "cli.default_output_format",
        "cli.page_size",
        "development",
    ] {
        assert!(note[0].contains(key), "{key} not named: {stderr}");
    }
    // Named once per version of the file; `mdm info` always lists them.
    let second = env.cmd().args(["dataset", "list"]).output().unwrap();
    assert!(!String::from_utf8_lossy(&second.stderr).contains("note:"));
    let info = env.ok(&["info"]);
    assert!(info.contains("keys without effect in mdm:"), "{info}");
    assert!(info.contains("development (use -v"), "{info}");
    // The keys with an mdm meaning took effect.
    let json = env.json(&["info"]);
    let settings: std::collections::HashMap<&str, &str> = json["settings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|pair| (pair[0].as_str().unwrap(), pair[1].as_str().unwrap()))
        .collect();
    assert_eq!(settings["database.duckdb.memory_limit"], "8GB");
    assert_eq!(settings["database.postgresql.pool_size"], "10");
    assert_eq!(settings["database.postgresql.user"], "-");

    // Registration follows the original's validation: at least 10 rows,
    // duplicates dropped (and counted), a column missing in over 99% of
    // the rows gets no features; statistics without z-scores when asked.
    let mut rows = String::from("a,b,empty\n");
    for i in 0..12 {
        rows.push_str(&format!(
            "{},{},\n",
            i % 9,
            if i % 9 == 0 { "x" } else { "y" }
        ));
    }
    let data = env.write("dups.csv", &rows);
    let output = env
        .cmd()
        .args(["dataset", "register", "dups", data.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("3 rows repeating an earlier row removed"),
        "{stderr}"
    );
    assert!(stderr.contains("`empty`: 100.0% missing"), "{stderr}");
    let info = env.json(&["dataset", "info", "dups"]);
    assert_eq!(info["tables"][0]["rows"], 9, "{info}");
    assert_eq!(env.scalar("dups", "SELECT COUNT(*) FROM \"train\""), "9");
    let features = env.json(&["dataset", "features", "dups"]);
    let names = features.to_string();
    assert!(
        names.contains("a_zscore") && names.contains("a_log"),
        "{names}"
    );
    assert!(!names.contains("empty_"), "{names}");

    let without = original_configuration().replace("include_zscore: true", "include_zscore: false");
    env.write_config(&without);
    env.ok(&["dataset", "features", "dups", "--regenerate"]);
    let names = env.json(&["dataset", "features", "dups"]).to_string();
    assert!(
        !names.contains("a_zscore") && !names.contains("a_is_outlier"),
        "{names}"
    );
    assert!(names.contains("a_log"), "{names}");

    // Logging went to the rotated JSON log file the configuration names.
    let log = std::fs::read_to_string(env.home().join("logs/mdm.log")).unwrap();
    let first_line: serde_json::Value = serde_json::from_str(log.lines().next().unwrap()).unwrap();
    assert!(first_line["level"].is_string() && first_line["message"].is_string());
}

#[test]
fn a_misspelt_key_in_an_original_configuration_is_still_an_error() {
    let env = Env::new();
    env.write_config(&original_configuration().replace("include_log:", "include_logs:"));
    let stderr = env.fails(&["dataset", "list"], 7);
    assert!(
        stderr.contains("feature_engineering.statistical.include_logs"),
        "{stderr}"
    );
    env.write_config(
        &original_configuration().replace("page_size: 20", "page_size: 20\n  colour: red"),
    );
    let stderr = env.fails(&["dataset", "list"], 7);
    assert!(stderr.contains("cli.colour"), "{stderr}");
}

#[test]
fn server_pool_settings_are_validated_and_mdm_home_dir_is_an_alias() {
    let env = Env::new();
    env.write_config("database:\n  sqlalchemy:\n    pool_size: 1\n    max_overflow: 0\n");
    let stderr = env.fails(&["dataset", "list"], 7);
    assert!(
        stderr.contains("database.sqlalchemy.pool_size") && stderr.contains("2 connections"),
        "{stderr}"
    );
    env.write_config("validation:\n  max_missing_ratio: 1.5\n");
    let stderr = env.fails(&["dataset", "list"], 7);
    assert!(stderr.contains("validation.max_missing_ratio"), "{stderr}");

    let home = env.dir.path().join("original-home");
    let output = env
        .cmd()
        .env_remove("MDM_HOME")
        .env("MDM_HOME_DIR", &home)
        .args(["info"])
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(home.join("mdm.yaml").is_file());
    assert!(String::from_utf8_lossy(&output.stdout)
        .contains(&format!("home:           {}", home.display())));
}
