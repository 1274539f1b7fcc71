//! Wide datasets: thousands of columns on every backend, stored as column
//! groups where the database has a column limit (SQLite, PostgreSQL), read
//! back whole and in the source's order, compared cell by cell with what
//! pandas reads from the same file; the SQLite file stays readable by the
//! system `sqlite3` and Python's `sqlite3`; features stay within
//! `feature_engineering.max_features`.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Command;

use crate::common::{Env, Profile};

/// A CSV of `columns` columns (`id`, `target`, then integers, floats,
/// text with empty fields, dates) and `rows` rows, the same every run.
fn wide_csv(env: &Env, name: &str, columns: usize, rows: usize) -> PathBuf {
    let mut text = String::from("id,target");
    for column in 0..columns - 2 {
        write!(text, ",f{column}").unwrap();
    }
    text.push('\n');
    let mut state = 7u64;
    let mut next = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        state >> 33
    };
    for row in 0..rows {
        write!(text, "{},{}", row + 1, row % 2).unwrap();
        for column in 0..columns - 2 {
            let value = next();
            match column % 4 {
                0 => write!(text, ",{}", value % 1000),
                1 => write!(text, ",{}.{:03}", value % 100, value % 997),
                2 => match value % 4 {
                    0 => write!(text, ","),
                    pick => write!(text, ",{}", ["a", "b", "c"][pick as usize - 1]),
                },
                _ => write!(text, ",2020-{:02}-{:02}", value % 12 + 1, value % 28 + 1),
            }
            .unwrap();
        }
        text.push('\n');
    }
    env.write(name, text)
}

/// pandas reads both files and compares them cell by cell.
fn assert_same_as_pandas(source: &std::path::Path, exported: &std::path::Path) {
    let script = r#"
import sys
import pandas as pd
source = pd.read_csv(sys.argv[1])
exported = pd.read_csv(sys.argv[2])
assert list(source.columns) == list(exported.columns), "column order"
pd.testing.assert_frame_equal(source, exported, check_dtype=False)
print(source.shape[0] * source.shape[1])
"#;
    let output = Command::new("python3")
        .args(["-c", script])
        .arg(source)
        .arg(exported)
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "pandas: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The stored tables a table of `columns` columns takes on this profile.
fn expected_tables(env: &Env, columns: usize) -> usize {
    match env.profile {
        Profile::Embedded | Profile::SqliteOdbc => columns.div_ceil(1000),
        Profile::Postgresql => columns.div_ceil(400),
        Profile::Duckdb => 1,
    }
}

#[test]
fn tables_of_3002_and_5000_columns_are_stored_and_read_back_cell_for_cell() {
    let env = Env::new();
    for (columns, rows, name) in [(3002, 150, "w3002"), (5000, 60, "w5000")] {
        let source = wide_csv(&env, &format!("{name}.csv"), columns, rows);
        env.ok(&[
            "-q",
            "dataset",
            "register",
            name,
            source.to_str().unwrap(),
            "--target",
            "target",
            "--no-features",
        ]);
        let stored: Vec<String> = env
            .stored_tables(name)
            .into_iter()
            .filter(|t| t.starts_with("train"))
            .collect();
        assert_eq!(stored.len(), expected_tables(&env, columns), "{stored:?}");
        let exported = env.dir.path().join(format!("{name}-out.csv"));
        env.ok(&[
            "-q",
            "dataset",
            "export",
            name,
            "--table",
            "train",
            "--output",
            exported.to_str().unwrap(),
        ]);
        assert_same_as_pandas(&source, &exported);
        let info = env.json(&["dataset", "info", name]);
        let table = &info["schema"][0];
        assert_eq!(table["columns"].as_array().unwrap().len(), columns);
        if env.profile.stores_sqlite_files() {
            let file = env.database(name);
            // The system sqlite3 and Python's sqlite3 open the file.
            let cli = Command::new("sqlite3")
                .arg(&file)
                .arg(format!("SELECT count(*) FROM {}", stored.last().unwrap()))
                .output()
                .expect("sqlite3 runs");
            assert_eq!(
                String::from_utf8_lossy(&cli.stdout).trim(),
                rows.to_string()
            );
            let python = Command::new("python3")
                .args([
                    "-c",
                    "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); print(len(c.execute('SELECT * FROM train').fetchone()))",
                ])
                .arg(&file)
                .output()
                .expect("python3 runs");
            assert_eq!(String::from_utf8_lossy(&python.stdout).trim(), "1001");
        }
        let text = env.ok(&["dataset", "info", name]);
        if expected_tables(&env, columns) > 1 {
            assert!(
                text.contains("train is stored in column groups joined on _mdm_row: train ("),
                "{text}"
            );
        }
    }
}

#[test]
fn a_wide_dataset_gets_features_within_max_features_and_survives_export_and_register() {
    let env = Env::new();
    let source = wide_csv(&env, "wide.csv", 3002, 120);
    let output = env
        .cmd()
        .args([
            "dataset",
            "register",
            "wide",
            source.to_str().unwrap(),
            "--target",
            "target",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "beyond feature_engineering.max_features (1000), shared between the families"
        ),
        "{stderr}"
    );
    let set = env.json(&["dataset", "features", "wide"]);
    let features = &set["tables"][0];
    let count = features["features"].as_array().unwrap().len();
    assert!(count > 100 && count <= 1000, "{count}");
    assert_eq!(features["joined"], true);
    // The feature table reads train's columns by the key: its export holds
    // every column and every feature.
    let exported = env.ok(&[
        "-q",
        "dataset",
        "export",
        "wide",
        "--table",
        "train_features",
        "--output",
        "-",
    ]);
    let header = exported.lines().next().unwrap();
    assert_eq!(header.split(',').count(), 3002 + count);
    assert!(header.starts_with("id,target,f0,f1,"), "{}", &header[..40]);

    let out = env.dir.path().join("wide-export");
    env.ok(&[
        "-q",
        "dataset",
        "export",
        "wide",
        "--output-dir",
        out.to_str().unwrap(),
    ]);
    env.ok(&[
        "-q",
        "dataset",
        "register",
        "again",
        out.to_str().unwrap(),
        "--no-features",
    ]);
    let first = env.ok(&[
        "-q", "dataset", "export", "wide", "--table", "train", "--output", "-",
    ]);
    let second = env.ok(&[
        "-q", "dataset", "export", "again", "--table", "train", "--output", "-",
    ]);
    assert!(first == second, "the round trip changed the table");
}

#[test]
fn forced_column_groups_on_a_narrow_table_change_nothing_its_readers_see() {
    let env = Env::new();
    env.register_titanic("whole", &["--no-features"]);
    let output = env
        .cmd()
        .env("MDM_DATABASE_COLUMN_GROUP_SIZE", "4")
        .args(["-q", "dataset", "register", "grouped"])
        .arg(crate::common::titanic())
        .args(["--target", "Survived", "--no-features"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stored = env.stored_tables("grouped");
    assert!(
        stored.contains(&"train__cols3".to_string()) && stored.contains(&"test__cols2".to_string()),
        "{stored:?}"
    );
    for table in ["train", "test"] {
        let whole = env.ok(&[
            "-q", "dataset", "export", "whole", "--table", table, "--output", "-",
        ]);
        let grouped = env.ok(&[
            "-q", "dataset", "export", "grouped", "--table", table, "--output", "-",
        ]);
        assert_eq!(whole, grouped, "{table}");
    }
    let stats = env.json(&["dataset", "stats", "grouped", "--refresh"]);
    assert!(stats.to_string().contains("Fare"), "{stats}");
    // Roles stay with the table itself: folds and features run their SQL there.
    env.ok(&["-q", "dataset", "split", "grouped", "--folds", "3"]);
    let rows = env.scalar("grouped", "SELECT COUNT(*) FROM train");
    assert_eq!(
        env.scalar("grouped", "SELECT COUNT(*) FROM train_folds"),
        rows
    );
    env.ok(&["-q", "dataset", "features", "grouped", "--regenerate"]);
    let features = env.ok(&[
        "-q",
        "dataset",
        "export",
        "grouped",
        "--table",
        "train_features",
        "--output",
        "-",
    ]);
    assert_eq!(
        features.lines().count().to_string(),
        (rows.parse::<usize>().unwrap() + 1).to_string()
    );
    let header = features.lines().next().unwrap();
    assert!(
        header.starts_with("PassengerId,Survived,Pclass,Name,Sex,Age,"),
        "{header}"
    );
}

#[test]
fn duckdb_keeps_20000_columns_in_one_table() {
    let env = Env::new();
    if env.profile != Profile::Duckdb {
        return;
    }
    let source = wide_csv(&env, "w20000.csv", 20_000, 12);
    env.ok(&[
        "-q",
        "dataset",
        "register",
        "w20000",
        source.to_str().unwrap(),
        "--target",
        "target",
        "--no-features",
    ]);
    assert_eq!(env.stored_tables("w20000"), ["_metadata", "train"]);
    let exported = env.dir.path().join("w20000-out.csv");
    env.ok(&[
        "-q",
        "dataset",
        "export",
        "w20000",
        "--table",
        "train",
        "--output",
        exported.to_str().unwrap(),
    ]);
    assert_same_as_pandas(&source, &exported);
}
