//! Dates and numbers as people write them (day-first, month-first, month
//! names, grouped digits, decimal commas): read per column over every
//! value, recorded in `_metadata`'s `ingest`, forced with `--date-format`,
//! never guessed when two readings fit, and written back by `export
//! --source-format` so that the round trip gives the same values. The
//! files are tests/corpus/tables/spelled_*.csv, written by pandas.

use std::path::PathBuf;

use crate::common::Env;

fn corpus(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus/tables")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn export_csv(env: &Env, name: &str, extra: &[&str]) -> String {
    let mut args = vec![
        "-q", "dataset", "export", name, "--table", "train", "--output", "-", "--format", "csv",
    ];
    args.extend_from_slice(extra);
    env.ok(&args)
}

#[test]
fn each_columns_spelling_is_recorded_and_shown_by_info() {
    let env = Env::new();
    let file = corpus("spelled_german.csv");
    env.ok(&["-q", "dataset", "register", "de", &file, "--no-features"]);
    let info = env.json(&["dataset", "info", "de"]);
    let formats = &info["ingest"]["train"]["formats"];
    assert_eq!(formats["day"], "%d.%m.%Y", "{formats}");
    assert_eq!(formats["stamp"], "%d.%m.%Y %H:%M:%S", "{formats}");
    assert_eq!(formats["price"], "1.234,5", "{formats}");
    assert!(formats.get("qty").is_none(), "{formats}");
    assert_eq!(env.column_type("de", "train", "day"), "date");
    let text = env.ok(&["dataset", "info", "de"]);
    assert!(
        text.contains("read as: day %d.%m.%Y, price 1.234,5, stamp %d.%m.%Y %H:%M:%S"),
        "{text}"
    );
}

#[test]
fn dates_that_read_two_ways_stay_text_with_why_until_a_format_is_given() {
    let env = Env::new();
    let file = corpus("spelled_ambiguous_dates.csv");
    let output = env
        .cmd()
        .args(["dataset", "register", "amb", &file, "--no-features"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("column 'day' left as text: its dates read as %d/%m/%Y or %m/%d/%Y alike")
            && stderr.contains("give --date-format day=%d/%m/%Y"),
        "{stderr}"
    );
    assert_eq!(env.column_type("amb", "train", "day"), "text");
    let info = env.json(&["dataset", "info", "amb"]);
    let why = info["ingest"]["train"]["left_as_text"]["day"]
        .as_str()
        .unwrap();
    assert!(why.contains("no day above 12"), "{why}");
    assert!(env
        .ok(&["dataset", "info", "amb"])
        .contains("left as text: day: its dates read as"));

    env.ok(&[
        "-q",
        "dataset",
        "register",
        "forced",
        &file,
        "--no-features",
        "--date-format",
        "day=%m/%d/%Y",
    ]);
    assert_eq!(env.column_type("forced", "train", "day"), "date");
    assert_eq!(
        export_csv(&env, "forced", &[]),
        "id,day\n1,2020-05-03\n2,2019-01-02\n3,2018-12-11\n"
    );
}

#[test]
fn a_given_format_that_a_value_does_not_fit_names_file_line_and_column_and_stores_nothing() {
    let env = Env::new();
    let file = corpus("spelled_dayfirst_grouped.csv");
    let stderr = env.fails(
        &[
            "dataset",
            "register",
            "wrong",
            &file,
            "--date-format",
            "day=%m/%d/%Y",
        ],
        1,
    );
    assert!(
        stderr.contains("spelled_dayfirst_grouped.csv: line 2, column 'day': `28/01/2018` is not written as %m/%d/%Y"),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    env.fails(&["dataset", "info", "wrong"], 3);

    let stderr = env.fails(
        &[
            "dataset",
            "register",
            "wrong",
            &file,
            "--date-format",
            "when=%d/%m/%Y",
        ],
        2,
    );
    assert!(
        stderr.contains("--date-format: no column 'when'"),
        "{stderr}"
    );
    let stderr = env.fails(
        &[
            "dataset",
            "register",
            "wrong",
            &file,
            "--date-format",
            "day=%d/%m/%y",
        ],
        2,
    );
    assert!(stderr.contains("two-digit years"), "{stderr}");
    env.fails(&["dataset", "info", "wrong"], 3);
}

#[test]
fn source_format_exports_write_the_source_spelling_and_register_back_the_same_values() {
    let env = Env::new();
    let file = corpus("spelled_dayfirst_grouped.csv");
    env.ok(&["-q", "dataset", "register", "uk", &file, "--no-features"]);
    // By default: ISO dates and plain numbers.
    let iso = export_csv(&env, "uk", &[]);
    assert!(
        iso.starts_with(
            "id,day,stamp,price,qty\n1,2018-01-28,2018-01-28 13:45:10.250000,1234.5,3\n"
        ),
        "{iso}"
    );

    let out = env.home().join("uk-export");
    let out = out.to_str().unwrap();
    env.ok(&[
        "-q",
        "dataset",
        "export",
        "uk",
        "--output-dir",
        out,
        "--format",
        "csv",
        "--source-format",
    ]);
    let written = std::fs::read_to_string(format!("{out}/train.csv")).unwrap();
    assert!(
        written.contains("1,28/01/2018,28/01/2018 13:45:10.250000,\"1,234.5\",3\n")
            && written.contains("4,31/12/2021,31/12/2021 00:00:00,\"1,000,000.0\",\"1,234,567\"\n"),
        "{written}"
    );
    let sidecar = std::fs::read_to_string(format!("{out}/uk_metadata.yaml")).unwrap();
    assert!(sidecar.contains("day: '%d/%m/%Y'"), "{sidecar}");
    env.ok(&["-q", "dataset", "register", "uk2", out, "--no-features"]);
    assert_eq!(export_csv(&env, "uk2", &[]), iso);

    let stderr = env.fails(
        &[
            "dataset",
            "export",
            "uk",
            "--output-dir",
            out,
            "--format",
            "parquet",
            "--source-format",
            "--force",
        ],
        2,
    );
    assert!(stderr.contains("--source-format"), "{stderr}");
}

#[test]
fn day_first_dates_get_temporal_features() {
    let env = Env::new();
    let file = corpus("spelled_dayfirst_grouped.csv");
    env.ok(&["-q", "dataset", "register", "feat", &file]);
    let columns: Vec<String> = env
        .columns("feat", "train_features")
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    assert!(columns.iter().any(|c| c == "day_month"), "{columns:?}");
    assert_eq!(
        env.scalar("feat", "SELECT day_month FROM train_features WHERE id = 1"),
        "1"
    );
    assert_eq!(
        env.scalar("feat", "SELECT day_year FROM train_features WHERE id = 4"),
        "2021"
    );
}
