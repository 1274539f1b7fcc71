//! `mdm dataset stats|search|update|export` and the export -> register
//! round trip.

use std::io::Read;

use crate::common::{assert_same_dataset, titanic, Env};

fn register_titanic(env: &Env, name: &str) {
    env.register_titanic(name, &[]);
}

#[test]
fn stats_report_the_stored_statistics_per_family() {
    let env = Env::new();
    register_titanic(&env, "titanic");
    let report = env.json(&["dataset", "stats", "titanic"]);
    assert_eq!(report["table"], "train");
    assert_eq!(report["rows"], 200);
    assert_eq!(report["refreshed"], false);
    let fare = report["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "Fare")
        .unwrap();
    // Independent computation from the source file.
    let mut reader = csv::Reader::from_path(titanic().join("train.csv")).unwrap();
    let fares: Vec<f64> = reader
        .records()
        .map(|r| r.unwrap()[8].parse().unwrap())
        .collect();
    let mean = fares.iter().sum::<f64>() / fares.len() as f64;
    let std =
        (fares.iter().map(|f| (f - mean).powi(2)).sum::<f64>() / (fares.len() - 1) as f64).sqrt();
    assert!((fare["mean"].as_f64().unwrap() - mean).abs() < 1e-9);
    assert!((fare["std"].as_f64().unwrap() - std).abs() < 1e-9);
    assert_eq!(
        fare["min"].as_f64().unwrap(),
        fares.iter().cloned().fold(f64::INFINITY, f64::min)
    );
    let sex = report["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "Sex")
        .unwrap();
    assert_eq!(sex["kind"], "categorical");
    assert_eq!(sex["distinct"], 2);
    assert_eq!(sex["min_length"], 4);

    let text = env.ok(&["dataset", "stats", "titanic", "--columns", "Fare,Sex"]);
    assert!(
        text.contains("numeric columns") && text.contains("Fare") && !text.contains("Pclass"),
        "{text}"
    );
    assert!(
        text.contains("male (") && text.contains("female ("),
        "{text}"
    );

    let test_table = env.json(&["dataset", "stats", "titanic", "--table", "test"]);
    assert_eq!(test_table["rows"], 80);
    let stderr = env.fails(&["dataset", "stats", "titanic", "--table", "nope"], 2);
    assert!(
        stderr.contains("no table 'nope'") && stderr.contains("train, test, submission"),
        "{stderr}"
    );
    let stderr = env.fails(&["dataset", "stats", "titanic", "--columns", "Ghost"], 2);
    assert!(stderr.contains("no column 'Ghost'"), "{stderr}");
    env.fails(&["dataset", "stats", "missing"], 3);
}

#[test]
fn extended_stats_add_exact_percentiles_and_histograms() {
    let env = Env::new();
    let values: Vec<i64> = (0..1001).map(|i| (i * 37) % 1001 - 300).collect();
    let mut content = String::from("v,w\n");
    for v in &values {
        content.push_str(&format!("{v},{}\n", *v as f64 / 4.0));
    }
    let path = env.write("numbers.csv", content);
    env.ok(&["dataset", "register", "numbers", path.to_str().unwrap()]);
    let report = env.json(&["dataset", "stats", "numbers", "--extended"]);
    let v = &report["columns"][0];
    let mut sorted = values.clone();
    sorted.sort();
    let percentile = |p: f64| {
        let position = p * (sorted.len() - 1) as f64;
        let low = position.floor() as usize;
        let fraction = position - low as f64;
        sorted[low] as f64
            + fraction * (sorted[(low + 1).min(sorted.len() - 1)] - sorted[low]) as f64
    };
    for (key, p) in [
        ("p5", 0.05),
        ("p25", 0.25),
        ("p50", 0.5),
        ("p75", 0.75),
        ("p95", 0.95),
    ] {
        assert!(
            (v["percentiles"][key].as_f64().unwrap() - percentile(p)).abs() < 1e-9,
            "{key}"
        );
    }
    let bins = v["histogram"].as_array().unwrap();
    assert_eq!(bins.len(), 10);
    assert_eq!(
        bins.iter()
            .map(|b| b["count"].as_u64().unwrap())
            .sum::<u64>(),
        1001
    );
    assert_eq!(v["negatives"], 300);
    assert_eq!(v["zeros"], 1);
    let text = env.ok(&["dataset", "stats", "numbers", "--extended"]);
    assert!(
        text.contains("histogram of v") && text.contains("P50") && text.contains('#'),
        "{text}"
    );
}

#[test]
fn stats_refresh_recomputes_and_stores() {
    let env = Env::new();
    let path = env.write("small.csv", "x\n1\n2\n3\n");
    env.ok(&["dataset", "register", "small", path.to_str().unwrap()]);
    // Another tool appends to the table.
    env.execute("small", "INSERT INTO train (x) VALUES (100)");
    let stale = env.json(&["dataset", "stats", "small"]);
    assert_eq!(stale["columns"][0]["max"], 3);
    let fresh = env.json(&["dataset", "stats", "small", "--refresh"]);
    assert_eq!(fresh["refreshed"], true);
    assert_eq!(fresh["columns"][0]["max"], 100);
    assert_eq!(fresh["columns"][0]["count"], 4);
    let stored = env.json(&["dataset", "stats", "small"]);
    assert_eq!(
        (
            stored["refreshed"].as_bool(),
            stored["columns"][0]["max"].as_i64()
        ),
        (Some(false), Some(100))
    );
}

#[test]
fn search_matches_names_descriptions_tags_types_and_sizes() {
    let env = Env::new();
    let mk = |name: &str, rows: usize, extra: &[&str]| {
        let mut content = String::from("a,label\n");
        for i in 0..rows {
            content.push_str(&format!("{i},{}\n", i % 2));
        }
        let path = env.write(&format!("{name}.csv"), content);
        let mut args = vec!["dataset", "register", name, path.to_str().unwrap()];
        args.extend_from_slice(extra);
        env.ok(&args);
    };
    mk(
        "sales_2023",
        10,
        &["--tags", "retail,finance", "--target", "label"],
    );
    mk(
        "sales_2024",
        50,
        &[
            "--tags",
            "retail",
            "--problem-type",
            "regression",
            "--target",
            "label",
        ],
    );
    mk("churn", 30, &["--description", "Customer SALES churn"]);
    let found = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["dataset", "search"];
        all.extend_from_slice(args);
        env.json(&all)
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(found(&["sales"]), ["churn", "sales_2023", "sales_2024"]);
    assert_eq!(found(&["sales_*"]), ["sales_2023", "sales_2024"]);
    assert_eq!(found(&["SALES_202?"]), ["sales_2023", "sales_2024"]);
    assert_eq!(found(&["--tag", "finance"]), ["sales_2023"]);
    assert_eq!(
        found(&["--tag", "retail", "--tag", "finance"]),
        ["sales_2023"]
    );
    assert_eq!(found(&["--problem-type", "classification"]), ["sales_2023"]);
    assert_eq!(found(&["--min-rows", "30"]), ["churn", "sales_2024"]);
    assert_eq!(found(&["--max-rows", "30"]), ["churn", "sales_2023"]);
    assert!(found(&["nothing-like-this"]).is_empty());
    let table = env.ok(&["dataset", "search", "2024"]);
    assert!(
        table.contains("sales_2024") && !table.contains("churn"),
        "{table}"
    );
    // Only the current backend's datasets.
    let out = env
        .cmd()
        .env("MDM_DATABASE_DEFAULT_BACKEND", env.profile.other_backend())
        .args(["dataset", "search", "sales", "--json"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "[]");
}

#[test]
fn update_changes_the_discovery_file_and_the_metadata_together() {
    let env = Env::new();
    register_titanic(&env, "t");
    env.ok(&[
        "dataset",
        "update",
        "t",
        "--description",
        "Passengers",
        "--tags",
        "a,b",
        "--add-tags",
        "c",
        "--remove-tags",
        "a",
    ]);
    env.ok(&[
        "dataset",
        "update",
        "t",
        "--target",
        "Pclass",
        "--problem-type",
        "classification",
        "--id-columns",
        "PassengerId,Name",
    ]);
    let info = env.json(&["dataset", "info", "t"]);
    assert_eq!(info["description"], "Passengers");
    assert_eq!(info["tags"], serde_json::json!(["b", "c"]));
    assert_eq!(info["target"], "Pclass");
    assert_eq!(
        info["id_columns"],
        serde_json::json!(["PassengerId", "Name"])
    );
    let yaml: serde_yaml::Value = serde_yaml::from_str(
        &std::fs::read_to_string(env.home().join("config/datasets/t.yaml")).unwrap(),
    )
    .unwrap();
    assert_eq!(yaml["target"], "Pclass");
    let sql = |q: &str| env.scalar("t", q);
    assert_eq!(
        sql("SELECT value FROM _metadata WHERE key = 'target'"),
        "\"Pclass\""
    );
    assert_eq!(
        sql("SELECT value FROM _metadata WHERE key = 'tags'"),
        "[\"b\",\"c\"]"
    );
    // Kinds follow the new roles; the old target becomes a plain number again.
    let kinds: serde_json::Value =
        serde_json::from_str(&sql("SELECT value FROM _metadata WHERE key = 'schema'")).unwrap();
    let kind = |name: &str| {
        kinds[0]["columns"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap()["kind"]
            .clone()
    };
    assert_eq!(
        (kind("Pclass"), kind("Survived"), kind("Name")),
        ("target".into(), "numeric".into(), "id".into())
    );

    let stderr = env.fails(&["dataset", "update", "t", "--target", "Nope"], 2);
    assert!(
        stderr.contains("--target") && stderr.contains("'Nope' not found"),
        "{stderr}"
    );
    env.fails(&["dataset", "update", "t"], 2);
    env.fails(&["dataset", "update", "ghost", "--description", "x"], 3);
    assert_eq!(env.json(&["dataset", "info", "t"])["target"], "Pclass");
}

#[test]
fn csv_exports_round_trip_through_registration() {
    let env = Env::new();
    register_titanic(&env, "titanic");
    env.cmd()
        .args([
            "dataset",
            "update",
            "titanic",
            "--tags",
            "ships",
            "--description",
            "copy me",
        ])
        .assert()
        .success();
    let dir = env.dir.path().join("out");
    env.ok(&[
        "dataset",
        "export",
        "titanic",
        "--output-dir",
        dir.to_str().unwrap(),
    ]);
    for file in [
        "train.csv",
        "test.csv",
        "submission.csv",
        "titanic_metadata.yaml",
    ] {
        assert!(dir.join(file).is_file(), "{file} missing");
    }
    env.ok(&["dataset", "register", "copy", dir.to_str().unwrap()]);
    assert_same_dataset(&env, "titanic", "copy");
}

#[test]
fn hostile_values_survive_the_round_trip() {
    let env = Env::new();
    let long = "x".repeat(100_000);
    let content = format!(
        "id,text,big,real,day,moment,flag\n\
         1,\"comma, quote \"\" and\nnewline\",9223372036854775807,1e308,2024-02-29,2024-02-29 23:59:59.123456,true\n\
         2,ünïcødé ✓ 日本,-9223372036854775808,-0.0,1970-01-01,1969-12-31 23:59:59,false\n\
         3,,,,,,\n\
         4,{long},0,2.2250738585072014e-308,0001-01-01,2038-01-19 03:14:08,TRUE\n\
         5,00123,42,-1.5e-300,9999-12-31,2000-01-01 00:00:00,false\n"
    );
    let path = env.write("hostile.csv", content);
    env.ok(&[
        "dataset",
        "register",
        "hostile",
        path.to_str().unwrap(),
        "--text-columns",
        "text",
    ]);
    for (format, compression) in [("csv", "none"), ("csv", "gzip"), ("csv", "zstd")] {
        let dir = env.dir.path().join(format!("out-{format}-{compression}"));
        env.ok(&[
            "dataset",
            "export",
            "hostile",
            "--output-dir",
            dir.to_str().unwrap(),
            "--format",
            format,
            "--compression",
            compression,
        ]);
        let copy = format!("copy-{compression}");
        env.ok(&["dataset", "register", &copy, dir.to_str().unwrap()]);
        assert_same_dataset(&env, "hostile", &copy);
    }
    let sql = |q: &str| env.scalar("copy-none", q);
    assert_eq!(sql("SELECT length(text) FROM train WHERE id = 4"), "100000");
    assert_eq!(
        sql("SELECT text FROM train WHERE id = 1"),
        "comma, quote \" and\nnewline"
    );
    assert_eq!(
        sql("SELECT CASE WHEN \"real\" = 1e308 THEN 1 ELSE 0 END FROM train WHERE id = 1"),
        "1"
    );
}

#[test]
fn json_lines_exports_parse_back_with_typed_values() {
    let env = Env::new();
    register_titanic(&env, "titanic");
    let file = env.dir.path().join("train.jsonl");
    env.ok(&[
        "dataset",
        "export",
        "titanic",
        "--table",
        "train",
        "--output",
        file.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 200);
    assert!(lines[0]["PassengerId"].is_i64());
    assert!(lines[0]["Fare"].is_f64());
    assert!(lines[0]["Name"].is_string());
    assert_eq!(lines.iter().filter(|l| l["Age"].is_null()).count(), 40);
    assert!(
        !env.dir.path().join("titanic_metadata.yaml").exists(),
        "no sidecar without --include-metadata"
    );

    let gz = env.dir.path().join("cols.jsonl.gz");
    env.ok(&[
        "dataset",
        "export",
        "titanic",
        "--table",
        "test",
        "--columns",
        "PassengerId,Sex",
        "--output",
        gz.to_str().unwrap(),
        "--include-metadata",
    ]);
    let mut decoded = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&gz).unwrap())
        .read_to_string(&mut decoded)
        .unwrap();
    let first: serde_json::Value = serde_json::from_str(decoded.lines().next().unwrap()).unwrap();
    assert_eq!(
        first.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["PassengerId", "Sex"]
    );
    assert_eq!(decoded.lines().count(), 80);
    assert!(env.dir.path().join("titanic_metadata.yaml").exists());
}

#[test]
fn parquet_exports_carry_real_column_types() {
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Date32Type, Float64Type, Int64Type, TimestampMicrosecondType};
    use arrow_array::Array;
    use arrow_schema::{DataType, TimeUnit};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    let env = Env::new();
    let path = env.write(
        "typed.csv",
        "i,f,b,d,t,s\n1,1.5,true,2024-01-02,2024-01-02 03:04:05,hello\n2,,false,,,\n-3,-0.25,,1970-01-01,1970-01-01 00:00:00.5,wörld\n",
    );
    env.ok(&["dataset", "register", "typed", path.to_str().unwrap()]);
    for compression in ["none", "gzip", "zstd"] {
        let file = env.dir.path().join(format!("typed-{compression}.parquet"));
        env.ok(&[
            "dataset",
            "export",
            "typed",
            "--output",
            file.to_str().unwrap(),
            "--compression",
            compression,
            "--no-include-features",
        ]);
        let reader =
            ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&file).unwrap()).unwrap();
        let schema = reader.schema().clone();
        let types: Vec<DataType> = schema
            .fields()
            .iter()
            .map(|f| f.data_type().clone())
            .collect();
        assert_eq!(
            types,
            [
                DataType::Int64,
                DataType::Float64,
                DataType::Boolean,
                DataType::Date32,
                DataType::Timestamp(TimeUnit::Microsecond, None),
                DataType::Utf8
            ]
        );
        let batches: Vec<_> = reader.build().unwrap().map(Result::unwrap).collect();
        let batch = &batches[0];
        assert_eq!(batch.num_rows(), 3);
        let ints = batch.column(0).as_primitive::<Int64Type>();
        assert_eq!((ints.value(0), ints.value(2)), (1, -3));
        let floats = batch.column(1).as_primitive::<Float64Type>();
        assert!(floats.is_null(1));
        assert_eq!(floats.value(2), -0.25);
        let bools = batch.column(2).as_boolean();
        assert!(bools.value(0) && !bools.value(1) && bools.is_null(2));
        let dates = batch.column(3).as_primitive::<Date32Type>();
        assert_eq!((dates.value(0), dates.value(2)), (19724, 0));
        let times = batch.column(4).as_primitive::<TimestampMicrosecondType>();
        assert_eq!(times.value(2), 500_000);
        let strings = batch.column(5).as_string::<i32>();
        assert_eq!((strings.value(0), strings.value(2)), ("hello", "wörld"));
        assert!(strings.is_null(1));
    }
    let stderr = env.fails(
        &[
            "dataset",
            "export",
            "typed",
            "--format",
            "parquet",
            "--compression",
            "zip",
        ],
        2,
    );
    assert!(stderr.contains("zip"), "{stderr}");
}

#[test]
fn zip_exports_hold_one_csv_per_table() {
    let env = Env::new();
    register_titanic(&env, "titanic");
    let dir = env.dir.path().join("zipped");
    env.ok(&[
        "dataset",
        "export",
        "titanic",
        "--output-dir",
        dir.to_str().unwrap(),
        "--compression",
        "zip",
    ]);
    let mut archive =
        zip::ZipArchive::new(std::fs::File::open(dir.join("train.csv.zip")).unwrap()).unwrap();
    assert_eq!(archive.len(), 1);
    let mut entry = archive.by_index(0).unwrap();
    assert_eq!(entry.name(), "train.csv");
    let mut text = String::new();
    entry.read_to_string(&mut text).unwrap();
    assert_eq!(text.lines().count(), 201);
}

#[test]
fn export_errors_are_clear() {
    let env = Env::new();
    register_titanic(&env, "titanic");
    env.fails(&["dataset", "export", "ghost"], 3);
    let stderr = env.fails(&["dataset", "export", "titanic", "--columns", "Nope"], 2);
    assert!(stderr.contains("no column 'Nope'"), "{stderr}");
    let stderr = env.fails(&["dataset", "export", "titanic", "--table", "nope"], 2);
    assert!(stderr.contains("no table 'nope'"), "{stderr}");
    let file = env.dir.path().join("one.csv");
    let stderr = env.fails(
        &[
            "dataset",
            "export",
            "titanic",
            "--output",
            file.to_str().unwrap(),
        ],
        2,
    );
    assert!(stderr.contains("5 tables are selected"), "{stderr}");
    env.ok(&[
        "dataset",
        "export",
        "titanic",
        "--table",
        "train",
        "--output",
        file.to_str().unwrap(),
    ]);
    let before = std::fs::read(&file).unwrap();
    let stderr = env.fails(
        &[
            "dataset",
            "export",
            "titanic",
            "--table",
            "test",
            "--output",
            file.to_str().unwrap(),
        ],
        1,
    );
    assert!(
        stderr.contains("already exists") && stderr.contains("--force"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read(&file).unwrap(),
        before,
        "an existing file is untouched"
    );
    env.ok(&[
        "dataset",
        "export",
        "titanic",
        "--table",
        "test",
        "--output",
        file.to_str().unwrap(),
        "--force",
    ]);
    assert_eq!(std::fs::read_to_string(&file).unwrap().lines().count(), 81);
    // A directory nobody may write to (even root cannot create under /sys).
    let stderr = env.fails(
        &[
            "dataset",
            "export",
            "titanic",
            "--output-dir",
            "/sys/mdm-export",
        ],
        5,
    );
    assert!(stderr.contains("/sys/mdm-export"), "{stderr}");
    // Nothing half-written is left next to the outputs.
    let leftovers: Vec<_> = std::fs::read_dir(env.dir.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn the_default_export_directory_is_named_after_the_dataset() {
    let env = Env::new();
    register_titanic(&env, "titanic");
    env.cmd()
        .current_dir(env.dir.path())
        .args(["dataset", "export", "titanic", "--format", "json"])
        .assert()
        .success();
    assert!(env.dir.path().join("titanic/train.jsonl").is_file());
}

#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    let env = Env::new();
    let mut content = String::from("n,text\n");
    for i in 0..50_000 {
        content.push_str(&format!("{i},row number {i} with some padding text\n"));
    }
    let path = env.write("long.csv", content);
    env.ok(&["dataset", "register", "long", path.to_str().unwrap()]);
    let mdm = assert_cmd::cargo::cargo_bin("mdm");
    for command in [
        format!(
            "'{}' dataset export long --output - | head -1",
            mdm.display()
        ),
        format!(
            "'{}' dataset stats long --extended | head -1",
            mdm.display()
        ),
    ] {
        let output = std::process::Command::new("bash")
            .args(["-o", "pipefail", "-c", &command])
            .env("MDM_HOME", env.home())
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{command}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(output.stdout.split(|b| *b == b'\n').count(), 2, "{command}");
        assert!(
            !String::from_utf8_lossy(&output.stderr).contains("error"),
            "{command}"
        );
    }
}

#[test]
fn batch_commands_take_names_and_globs() {
    let env = Env::new();
    for name in ["sales_a", "sales_b", "other"] {
        let path = env.write(&format!("{name}.csv"), "x,y\n1,2\n3,4\n");
        env.ok(&["dataset", "register", name, path.to_str().unwrap()]);
    }
    let out = env.dir.path().join("batch");
    env.ok(&[
        "batch",
        "export",
        "sales_*,other",
        "--output-dir",
        out.to_str().unwrap(),
        "--format",
        "parquet",
    ]);
    for name in ["sales_a", "sales_b", "other"] {
        assert!(out.join(name).join("train.parquet").is_file(), "{name}");
    }
    let stats_file = env.dir.path().join("stats.json");
    env.ok(&[
        "batch",
        "stats",
        "sales_*",
        "--format",
        "json",
        "--output",
        stats_file.to_str().unwrap(),
    ]);
    let stats: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&stats_file).unwrap()).unwrap();
    let datasets: Vec<&str> = stats
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["dataset"].as_str().unwrap())
        .collect();
    assert_eq!(datasets, ["sales_a", "sales_b"]);
    let table = env.ok(&["batch", "stats", "sales_a,other"]);
    assert!(
        table.contains("DATASET") && table.contains("sales_a") && table.contains("other"),
        "{table}"
    );

    let dry = env.ok(&["batch", "remove", "sales_*", "--dry-run"]);
    assert!(
        dry.contains("would remove 2 datasets") && dry.contains("sales_a"),
        "{dry}"
    );
    assert_eq!(env.json(&["dataset", "list"]).as_array().unwrap().len(), 3);
    env.fails(&["batch", "remove", "sales_a,ghost", "--force"], 3);
    assert_eq!(
        env.json(&["dataset", "list"]).as_array().unwrap().len(),
        3,
        "nothing removed when a name is unknown"
    );
    env.fails(&["batch", "stats", "zzz*"], 3);
    env.ok(&["batch", "remove", "sales_*", "--force"]);
    let left: Vec<String> = env
        .json(&["dataset", "list"])
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(left, ["other"]);
}

#[test]
fn stats_time_reports_range_step_missing_steps_and_rows_per_time() {
    let env = Env::new();
    // Hourly readings of two sensors, hours 5, 6 and 20 missing; a reading
    // without a time.
    let mut content = String::from("at,sensor,value\n");
    for hour in 0..48 {
        if [5, 6, 20].contains(&hour) {
            continue;
        }
        for sensor in ["a", "b"] {
            content.push_str(&format!(
                "2024-03-{:02} {:02}:00:00,{sensor},{hour}.5\n",
                1 + hour / 24,
                hour % 24
            ));
        }
    }
    content.push_str(",a,1.0\n");
    let path = env.write("readings.csv", content);
    env.ok(&[
        "dataset",
        "register",
        "readings",
        path.to_str().unwrap(),
        "--no-features",
    ]);
    env.fails(&["dataset", "stats", "readings", "--time"], 2);
    env.ok(&["dataset", "update", "readings", "--time-column", "at"]);
    let report = env.json(&["dataset", "stats", "readings", "--time"]);
    assert_eq!(report["type"], "datetime");
    assert_eq!(report["rows"], 91);
    assert_eq!(report["nulls"], 1);
    assert_eq!(report["first"], "2024-03-01 00:00:00");
    assert_eq!(report["last"], "2024-03-02 23:00:00");
    assert_eq!(report["times"], 45);
    assert_eq!(report["step"], "1 hour");
    assert_eq!(report["missing_steps"], 3);
    assert_eq!(
        report["first_missing"],
        serde_json::json!([
            "2024-03-01 05:00:00",
            "2024-03-01 06:00:00",
            "2024-03-01 20:00:00"
        ])
    );
    assert_eq!(report["rows_per_time"]["min"], 2);
    assert_eq!(report["rows_per_time"]["max"], 2);
    let text = env.ok(&["dataset", "stats", "readings", "--time"]);
    assert!(text.contains("step:          1 hour"), "{text}");
}
