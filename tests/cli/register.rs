//! `mdm dataset register`: layouts, formats, type inference, options and
//! every error path, checked in the stored database itself.

use std::io::Write;

use crate::common::{scalar, titanic, Env};

#[test]
fn a_kaggle_folder_becomes_train_test_and_submission_tables() {
    let env = Env::new();
    env.ok(&[
        "dataset",
        "register",
        "titanic",
        titanic().to_str().unwrap(),
        "--target",
        "Survived",
    ]);
    let info = env.json(&["dataset", "info", "titanic"]);
    let tables: Vec<(String, u64)> = info["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap().to_string(),
                t["rows"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        tables,
        [
            ("train".into(), 200),
            ("test".into(), 80),
            ("submission".into(), 80)
        ]
    );
    assert_eq!(info["target"], "Survived");
    assert_eq!(info["id_columns"], serde_json::json!(["PassengerId"]));
    assert_eq!(info["problem_type"], "binary_classification");

    let sql = |q: &str| env.scalar("titanic", q);
    assert_eq!(sql("SELECT COUNT(*) FROM train"), "200");
    assert_eq!(sql("SELECT COUNT(*) FROM test"), "80");
    // The stored values equal the source file's, column by column.
    let source = std::fs::read_to_string(titanic().join("train.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(source.as_bytes());
    let first = reader.records().next().unwrap().unwrap();
    assert_eq!(
        sql("SELECT \"Name\" FROM train WHERE \"PassengerId\" = 1"),
        &first[3]
    );
    assert_eq!(
        sql("SELECT \"Fare\" FROM train WHERE \"PassengerId\" = 1"),
        first[8].parse::<f64>().unwrap().to_string()
    );
    let missing_ages = csv::Reader::from_reader(source.as_bytes())
        .records()
        .filter(|r| r.as_ref().unwrap()[5].is_empty())
        .count();
    assert_eq!(
        sql("SELECT COUNT(*) FROM train WHERE \"Age\" IS NULL"),
        missing_ages.to_string()
    );
    // Declared SQL types, not everything as text.
    let type_of = |name: &str| env.column_type("titanic", "train", name);
    assert_eq!(type_of("PassengerId"), "integer");
    assert_eq!(type_of("Fare"), "float");
    assert_eq!(type_of("Age"), "float");
    assert_eq!(type_of("Sex"), "text");
    assert_eq!(
        sql("SELECT COUNT(*) FROM _metadata WHERE key IN ('schema', 'statistics', 'sources', 'created_at')"),
        "4"
    );
    if env.profile.stores_sqlite_files() {
        // The database is in WAL mode as configured.
        assert_eq!(scalar(&env.sqlite("titanic"), "PRAGMA journal_mode"), "wal");
    }
}

#[test]
fn the_discovery_file_is_written_with_the_dataset_facts() {
    let env = Env::new();
    env.ok(&[
        "dataset",
        "register",
        "titanic",
        titanic().to_str().unwrap(),
        "--target",
        "Survived",
        "--tags",
        "demo,ships",
        "--description",
        "Who survived",
        "--problem-type",
        "classification",
    ]);
    let yaml = std::fs::read_to_string(env.home().join("config/datasets/titanic.yaml")).unwrap();
    let record: serde_yaml::Value = serde_yaml::from_str(&yaml).unwrap();
    assert_eq!(record["backend"], env.profile.backend());
    assert_eq!(record["tags"][1], "ships");
    assert_eq!(record["description"], "Who survived");
    assert_eq!(record["tables"][0]["rows"], 200);
    // The backend document's `database:` section: a path, or a connection
    // string that never holds the password.
    match env.profile {
        crate::common::Profile::Postgresql => {
            let url = record["database"]["connection_string"].as_str().unwrap();
            assert!(url.starts_with("postgresql://"), "{url}");
            assert!(url.ends_with(&format!("/{}titanic", env.prefix)), "{url}");
            assert!(!yaml.to_lowercase().contains("password"), "{yaml}");
        }
        crate::common::Profile::Duckdb => {
            assert!(record["database"]["path"]
                .as_str()
                .unwrap()
                .ends_with("titanic/dataset.duckdb"))
        }
        _ => assert!(record["database"]["path"]
            .as_str()
            .unwrap()
            .ends_with("titanic/dataset.sqlite")),
    }
    assert_eq!(record["source_files"].as_sequence().unwrap().len(), 3);
}

#[test]
fn a_gzip_file_is_read_transparently() {
    let env = Env::new();
    let path = env.input("data.csv.gz");
    let mut encoder = flate2::write::GzEncoder::new(
        std::fs::File::create(&path).unwrap(),
        flate2::Compression::fast(),
    );
    writeln!(encoder, "x,y").unwrap();
    for i in 0..5000 {
        writeln!(encoder, "{i},{}", i % 7).unwrap();
    }
    encoder.finish().unwrap();
    env.ok(&["dataset", "register", "gz", path.to_str().unwrap()]);
    assert_eq!(env.scalar("gz", "SELECT COUNT(*) FROM train"), "5000");
    assert_eq!(
        env.scalar("gz", "SELECT SUM(x) FROM train"),
        (0..5000).sum::<i64>().to_string()
    );
}

#[test]
fn a_truncated_gzip_file_is_a_clear_error_and_stores_nothing() {
    let env = Env::new();
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    for i in 0..20000 {
        writeln!(encoder, "{i},{}", i * 3).unwrap();
    }
    let bytes = encoder.finish().unwrap();
    let path = env.write("cut.csv.gz", &bytes[..bytes.len() / 2]);
    let stderr = env.fails(&["dataset", "register", "cut", path.to_str().unwrap()], 1);
    assert!(
        stderr.contains("cut.csv.gz") && stderr.contains("truncated"),
        "{stderr}"
    );
    assert!(env.stored().is_empty(), "{:?}", env.stored());
}

#[test]
fn quoted_fields_keep_embedded_delimiters_quotes_and_newlines() {
    let env = Env::new();
    let path = env.write(
        "quoted.csv",
        "id,text,n\n1,\"a, b\",1\n2,\"line one\nline two\",2\n3,\"say \"\"hi\"\"\",3\n4,plain,4\n",
    );
    env.ok(&["dataset", "register", "quoted", path.to_str().unwrap()]);
    let sql = |q: &str| env.scalar("quoted", q);
    assert_eq!(sql("SELECT text FROM train WHERE id = 1"), "a, b");
    assert_eq!(
        sql("SELECT text FROM train WHERE id = 2"),
        "line one\nline two"
    );
    assert_eq!(sql("SELECT text FROM train WHERE id = 3"), "say \"hi\"");
    assert_eq!(sql("SELECT SUM(n) FROM train"), "10");
}

#[test]
fn a_type_change_in_the_last_row_widens_the_whole_column() {
    let env = Env::new();
    let mut content = String::from("id,code,amount\n");
    for i in 0..120_000 {
        content.push_str(&format!("{i},{},{}\n", i % 1000, i));
    }
    content.push_str("120000,X42,1.5\n");
    let path = env.write("late.csv", content);
    env.ok(&["dataset", "register", "late", path.to_str().unwrap()]);
    let sql = |q: &str| env.scalar("late", q);
    assert_eq!(env.column_type("late", "train", "code"), "text");
    assert_eq!(env.column_type("late", "train", "amount"), "float");
    assert_eq!(sql("SELECT code FROM train WHERE id = 120000"), "X42");
    assert_eq!(sql("SELECT code FROM train WHERE id = 1005"), "5");
    assert_eq!(sql("SELECT COUNT(*) FROM train WHERE code = '5'"), "120");
    assert_eq!(sql("SELECT COUNT(*) FROM train"), "120001");
}

#[test]
fn delimiters_and_headers_are_sniffed() {
    let env = Env::new();
    let tsv = env.write("data.tsv", "a\tb\n1\tx,y\n2\tz\n");
    env.ok(&["dataset", "register", "tabbed", tsv.to_str().unwrap()]);
    assert_eq!(
        env.scalar("tabbed", "SELECT b FROM train WHERE a = 1"),
        "x,y"
    );

    let semicolon = env.write("euro.csv", "name;price\npen;1,5\nbook;12,25\n");
    env.ok(&["dataset", "register", "euro", semicolon.to_str().unwrap()]);
    // A decimal comma in a `;` file is a number; `--decimal .` keeps text.
    assert_eq!(
        env.scalar("euro", "SELECT price FROM train WHERE name = 'pen'"),
        "1.5"
    );
    assert_eq!(env.column_type("euro", "train", "price"), "float");
    env.ok(&[
        "dataset",
        "register",
        "euro_text",
        semicolon.to_str().unwrap(),
        "--decimal",
        ".",
    ]);
    assert_eq!(
        env.scalar("euro_text", "SELECT price FROM train WHERE name = 'pen'"),
        "1,5"
    );

    let headerless = env.write("raw.csv", "1,2.5,a\n2,3.5,b\n3,4.5,c\n");
    env.ok(&["dataset", "register", "raw", headerless.to_str().unwrap()]);
    assert_eq!(env.scalar("raw", "SELECT COUNT(*) FROM train"), "3");
    assert_eq!(
        env.scalar("raw", "SELECT column_2 FROM train WHERE column_1 = 1"),
        "2.5"
    );
}

#[test]
fn a_utf8_byte_order_mark_is_skipped() {
    let env = Env::new();
    let path = env.write("bom.csv", b"\xef\xbb\xbfid,name\n1,\xc3\xa9t\xc3\xa9\n");
    env.ok(&["dataset", "register", "bom", path.to_str().unwrap()]);
    assert_eq!(
        env.scalar("bom", "SELECT name FROM train WHERE id = 1"),
        "été"
    );
    assert_eq!(env.columns("bom", "train")[0].0, "id");
}

#[test]
fn legacy_and_utf16_encodings_are_detected_and_transcoded() {
    let env = Env::new();
    let latin1 = env.write("latin1.csv", b"id,name\n1,ok\n2,caf\xe9\n");
    env.ok(&["dataset", "register", "latin", latin1.to_str().unwrap()]);
    assert_eq!(
        env.scalar("latin", "SELECT name FROM train WHERE id = 2"),
        "café"
    );
    let info = env.json(&["dataset", "info", "latin"]);
    assert_eq!(info["ingest"]["train"]["encoding"], "windows-1252");

    let utf16 = env.write("utf16.csv", b"\xff\xfei\x00d\x00\n\x001\x00\n\x00");
    env.ok(&["dataset", "register", "wide", utf16.to_str().unwrap()]);
    assert_eq!(env.scalar("wide", "SELECT id FROM train"), "1");
    let info = env.json(&["dataset", "info", "wide"]);
    assert_eq!(info["ingest"]["train"]["encoding"], "UTF-16LE (BOM)");
}

#[test]
fn ragged_rows_are_reported_with_their_line() {
    let env = Env::new();
    let path = env.write("ragged.csv", "a,b,c\n1,2,3\n4,5\n");
    let stderr = env.fails(
        &["dataset", "register", "ragged", path.to_str().unwrap()],
        1,
    );
    assert!(
        stderr.contains("ragged.csv: line 3: expected 3 fields"),
        "{stderr}"
    );
    assert!(env.stored().is_empty());
}

#[test]
fn empty_and_header_only_files_are_rejected() {
    let env = Env::new();
    let empty = env.write("empty.csv", "");
    let stderr = env.fails(
        &["dataset", "register", "empty", empty.to_str().unwrap()],
        1,
    );
    assert!(stderr.contains("empty.csv: the file is empty"), "{stderr}");
    let header = env.write("header.csv", "a,b\n");
    let stderr = env.fails(
        &["dataset", "register", "header", header.to_str().unwrap()],
        1,
    );
    assert!(
        stderr.contains("0 rows") && stderr.contains("validation.min_rows"),
        "{stderr}"
    );
}

#[test]
fn leading_zeros_and_huge_integers_stay_exact_text() {
    let env = Env::new();
    let path = env.write(
        "codes.csv",
        "zip,big,small\n02134,99999999999999999999,1\n10001,1,2\n",
    );
    env.ok(&["dataset", "register", "codes", path.to_str().unwrap()]);
    assert_eq!(
        env.scalar("codes", "SELECT zip FROM train WHERE small = 1"),
        "02134"
    );
    assert_eq!(
        env.scalar("codes", "SELECT big FROM train WHERE small = 1"),
        "99999999999999999999"
    );
    assert_eq!(env.column_type("codes", "train", "zip"), "text");
}

#[test]
fn dates_booleans_and_extreme_numbers_get_real_types() {
    let env = Env::new();
    let path = env.write(
        "types.csv",
        "d,ts,flag,i,f\n2024-02-29,2024-02-29 13:45:10.5,true,9223372036854775807,1e308\n\
         2023-12-31,2023-12-31T23:59:59Z,FALSE,-9223372036854775808,-0.0\n,,,,\n",
    );
    env.ok(&["dataset", "register", "types", path.to_str().unwrap()]);
    let types: Vec<String> = env
        .columns("types", "train")
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    assert_eq!(types, ["date", "datetime", "boolean", "integer", "float"]);
    let sql = |q: &str| env.scalar("types", q);
    assert_eq!(
        sql("SELECT i FROM train WHERE d = '2023-12-31'"),
        i64::MIN.to_string()
    );
    assert_eq!(
        sql("SELECT i FROM train WHERE d = '2024-02-29'"),
        i64::MAX.to_string()
    );
    assert_eq!(
        sql("SELECT CASE WHEN f = 1e308 THEN 1 ELSE 0 END FROM train WHERE d = '2024-02-29'"),
        "1"
    );
    assert_eq!(sql("SELECT COUNT(*) FROM train WHERE d IS NULL AND f IS NULL AND flag IS NULL AND ts IS NULL"), "1");
    // What comes back out is mdm's canonical form, whatever the backend.
    let exported = env.ok(&[
        "dataset",
        "export",
        "types",
        "--output",
        "-",
        "--no-include-features",
    ]);
    let lines: Vec<&str> = exported.lines().collect();
    assert_eq!(lines[0], "d,ts,flag,i,f");
    assert_eq!(
        lines[1],
        "2024-02-29,2024-02-29 13:45:10.500000,true,9223372036854775807,1e308"
    );
    assert!(
        lines[2] == "2023-12-31,2023-12-31 23:59:59,false,-9223372036854775808,-0.0"
            || lines[2] == "2023-12-31,2023-12-31 23:59:59,false,-9223372036854775808,0.0",
        "{}",
        lines[2]
    );
    assert_eq!(lines[3], ",,,,");
}

#[test]
fn forced_column_types_win_over_inference() {
    let env = Env::new();
    let path = env.write(
        "forced.csv",
        "code,when,n,label\n1,2024-01-02,5,a\n2,2024-01-03,6,b\n",
    );
    env.ok(&[
        "dataset",
        "register",
        "forced",
        path.to_str().unwrap(),
        "--text-columns",
        "code",
        "--datetime-columns",
        "when",
        "--numeric-columns",
        "n",
        "--categorical-columns",
        "label",
    ]);
    // A column of dates is already a datetime kind and keeps its date type.
    let types: Vec<String> = env
        .columns("forced", "train")
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    assert_eq!(types, ["text", "date", "integer", "text"]);
    assert_eq!(
        env.scalar("forced", "SELECT n FROM train WHERE code = '1'"),
        "5"
    );
    let info = env.json(&["dataset", "info", "forced"]);
    let kinds: Vec<(&str, &str)> = info["schema"][0]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap(), c["kind"].as_str().unwrap()))
        .collect();
    assert!(kinds.contains(&("label", "categorical")), "{kinds:?}");
    assert!(kinds.contains(&("when", "datetime")), "{kinds:?}");

    let bad = env.write("bad.csv", "n\n1\nabc\n");
    let stderr = env.fails(
        &[
            "dataset",
            "register",
            "bad",
            bad.to_str().unwrap(),
            "--numeric-columns",
            "n",
        ],
        1,
    );
    assert!(
        stderr.contains("bad.csv: line 3, column 'n': `abc` is not a valid float value"),
        "{stderr}"
    );
}

#[test]
fn unknown_columns_in_options_are_invalid_arguments() {
    let env = Env::new();
    let data = titanic();
    let data = data.to_str().unwrap();
    for (flag, value) in [
        ("--target", "Nope"),
        ("--id-columns", "PassengerId,Missing"),
        ("--numeric-columns", "Ghost"),
    ] {
        let stderr = env.fails(&["dataset", "register", "t", data, flag, value], 2);
        assert!(
            stderr.contains(flag) && stderr.contains("not found"),
            "{stderr}"
        );
    }
    assert!(env.stored().is_empty(), "{:?}", env.stored());
}

#[test]
fn invalid_names_and_paths_are_rejected_before_anything_is_written() {
    let env = Env::new();
    let data = titanic();
    for name in ["../x", "a/b", "1abc", "a;b", "x\"y", &"n".repeat(64)] {
        let stderr = env.fails(&["dataset", "register", name, data.to_str().unwrap()], 2);
        assert!(stderr.contains("invalid dataset name"), "{stderr}");
    }
    let stderr = env.fails(&["dataset", "register", "missing", "/no/such/file.csv"], 2);
    assert!(stderr.contains("/no/such/file.csv"), "{stderr}");
    let empty_dir = env.input("emptydir");
    std::fs::create_dir_all(&empty_dir).unwrap();
    let stderr = env.fails(
        &["dataset", "register", "nodata", empty_dir.to_str().unwrap()],
        2,
    );
    assert!(stderr.contains("contains no data files"), "{stderr}");
    assert!(env.stored().is_empty());
}

#[test]
fn an_existing_name_needs_force_and_a_failed_force_keeps_the_old_dataset() {
    let env = Env::new();
    let data = titanic();
    let data = data.to_str().unwrap();
    env.ok(&["dataset", "register", "t", data, "--target", "Survived"]);
    let stderr = env.fails(&["dataset", "register", "t", data], 4);
    assert!(
        stderr.contains("already exists") && stderr.contains("--force"),
        "{stderr}"
    );
    let stderr = env.fails(&["dataset", "register", "T", data], 4);
    assert!(stderr.contains("differing only in case"), "{stderr}");

    let broken = env.write("broken.csv", "a,b\n1,2\n3\n");
    env.fails(
        &[
            "dataset",
            "register",
            "t",
            broken.to_str().unwrap(),
            "--force",
        ],
        1,
    );
    let info = env.json(&["dataset", "info", "t"]);
    assert_eq!(info["tables"][0]["rows"], 200);
    assert_eq!(env.scalar("t", "SELECT COUNT(*) FROM train"), "200");

    let small = env.write("small.csv", "a,b\n1,2\n");
    env.ok(&[
        "dataset",
        "register",
        "t",
        small.to_str().unwrap(),
        "--force",
    ]);
    let info = env.json(&["dataset", "info", "t"]);
    assert_eq!(info["tables"][0]["rows"], 1);
    assert_eq!(info["target"], serde_json::Value::Null);
    assert_eq!(env.stored(), ["t"]);
}

#[test]
fn odd_column_names_are_stored_safely_with_their_mapping() {
    let env = Env::new();
    let path = env.write("odd.csv", "select,\"we\"\"ird\",,a b;--,A,a\n1,2,3,4,5,6\n");
    env.ok(&["dataset", "register", "odd", path.to_str().unwrap()]);
    let names: Vec<String> = env
        .columns("odd", "train")
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(
        names,
        ["select", "we\"ird", "column_3", "a b;--", "A", "a_2"]
    );
    assert_eq!(
        env.scalar("odd", "SELECT \"a b;--\" + \"select\" FROM train"),
        "5"
    );
    let info = env.json(&["dataset", "info", "odd"]);
    let renamed = &info["schema"][0]["columns"][5];
    assert_eq!(
        (renamed["name"].as_str(), renamed["original_name"].as_str()),
        (Some("a_2"), Some("a"))
    );
}

#[test]
fn problem_types_and_kinds_are_inferred_from_the_data() {
    let env = Env::new();
    let mut content = String::from("row_id,price,color,note\n");
    for i in 0..300 {
        content.push_str(&format!(
            "{i},{}.5,{},note number {i}\n",
            i * 3,
            ["red", "blue"][i % 2]
        ));
    }
    let path = env.write("prices.csv", content);
    env.ok(&[
        "dataset",
        "register",
        "prices",
        path.to_str().unwrap(),
        "--target",
        "price",
    ]);
    let info = env.json(&["dataset", "info", "prices", "--show-columns"]);
    assert_eq!(info["problem_type"], "regression");
    assert_eq!(info["id_columns"], serde_json::json!(["row_id"]));
    let kinds: Vec<&str> = info["schema"][0]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["id", "target", "categorical", "text"]);
    let price = &info["statistics"]["train"]["price"];
    let expected_mean = (0..300).map(|i| i as f64 * 3.0 + 0.5).sum::<f64>() / 300.0;
    assert!((price["mean"].as_f64().unwrap() - expected_mean).abs() < 1e-9);
    assert_eq!(price["min"].as_f64(), Some(0.5));
    assert_eq!(price["max"].as_f64(), Some(897.5));
    assert_eq!(
        info["statistics"]["train"]["color"]["top_values"][0][1],
        150
    );
}

#[test]
fn the_original_mdms_problem_type_names_are_accepted_and_classification_is_resolved() {
    let env = Env::new();
    let mut content = String::from("id,two,three,x\n");
    for i in 0..60 {
        content.push_str(&format!("{i},{},{},{}.5\n", ["yes", "no"][i % 2], i % 3, i));
    }
    let path = env.write("classes.csv", content);
    let path = path.to_str().unwrap();
    let problem_type = |name: &str, args: &[&str]| {
        let mut all = vec!["dataset", "register", name, path];
        all.extend_from_slice(args);
        all.push("--no-features");
        env.ok(&all);
        env.json(&["dataset", "info", name])["problem_type"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        problem_type(
            "b",
            &["--target", "two", "--problem-type", "binary-classification"]
        ),
        "binary_classification"
    );
    assert_eq!(
        problem_type("m", &["--target", "three", "--problem-type", "multiclass"]),
        "multiclass_classification"
    );
    assert_eq!(
        problem_type(
            "c",
            &["--target", "three", "--problem-type", "classification"]
        ),
        "multiclass_classification"
    );
    assert_eq!(
        problem_type("i", &["--target", "two"]),
        "binary_classification"
    );
    assert_eq!(
        problem_type("t", &["--target", "x", "--problem-type", "time_series"]),
        "time-series"
    );
    let found: Vec<String> = env
        .json(&["dataset", "search", "--problem-type", "classification"])
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(found, ["b", "c", "i", "m"]);
    let error = env.fails(
        &[
            "dataset",
            "register",
            "z",
            path,
            "--problem-type",
            "forecast",
        ],
        2,
    );
    assert!(error.contains("binary_classification"), "{error}");
    env.ok(&["dataset", "update", "i", "--problem-type", "classification"]);
    assert_eq!(
        env.json(&["dataset", "info", "i"])["problem_type"],
        "binary_classification"
    );
}

#[test]
fn a_modellers_column_roles_are_checked_recorded_shown_and_changeable() {
    let env = Env::new();
    let mut train = String::from("id,day,customer,noise,free,label\n");
    let mut test = String::from("id,day,customer,noise,free\n");
    for i in 0..120 {
        let row = format!(
            "{i},2024-{:02}-{:02},c{},{}.25,note {}",
            1 + i % 12,
            1 + i % 28,
            i % 9,
            i * 7 % 31,
            i % 5
        );
        train.push_str(&format!("{row},{}\n", i % 2));
        test.push_str(&format!("{row}\n"));
    }
    env.write("shop/train.csv", train);
    env.write("shop/test.csv", test);
    let folder = env.input("shop");
    let folder = folder.to_str().unwrap();
    fn register<'a>(name: &'a str, folder: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
        let mut args = vec!["dataset", "register", name, folder, "--target", "label"];
        args.extend_from_slice(extra);
        args
    }
    // Every named column must exist in train (test may lack the stratify column).
    let error = env.fails(&register("bad", folder, &["--time-column", "when"]), 2);
    assert!(
        error.contains("--time-column: column 'when' not found"),
        "{error}"
    );
    let error = env.fails(&register("bad", folder, &["--time-column", "id"]), 2);
    assert!(error.contains("holds integer values"), "{error}");
    let error = env.fails(&register("bad", folder, &["--ignore-columns", "label"]), 2);
    assert!(error.contains("also given to --target"), "{error}");
    let error = env.fails(&register("bad", folder, &["--time-column", "customer"]), 1);
    assert!(error.contains("customer"), "{error}");
    assert!(env
        .json(&["dataset", "list"])
        .as_array()
        .unwrap()
        .is_empty());

    env.ok(&register(
        "shop",
        folder,
        &[
            "--time-column",
            "day",
            "--group-column",
            "customer",
            "--stratify-column",
            "label",
            "--ignore-columns",
            "noise,free",
            "--source",
            "kaggle",
        ],
    ));
    let info = env.json(&["dataset", "info", "shop"]);
    assert_eq!(info["time_column"], "day");
    assert_eq!(info["group_column"], "customer");
    assert_eq!(info["stratify_column"], "label");
    assert_eq!(info["ignore_columns"], serde_json::json!(["noise", "free"]));
    assert_eq!(info["data_source"], "kaggle");
    assert!(info["source"].as_str().unwrap().ends_with("shop"), "{info}");
    let kinds: std::collections::BTreeMap<String, String> = info["schema"][0]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_string(),
                c["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(kinds["noise"], "ignored");
    assert_eq!(kinds["free"], "ignored");
    assert_eq!(kinds["id"], "id");
    let features = env.json(&["dataset", "features", "shop"]);
    let sources: Vec<&str> = features["tables"][0]["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["source"].as_str().unwrap_or(""))
        .collect();
    assert!(!sources.is_empty());
    assert!(
        !sources.iter().any(|s| *s == "noise" || *s == "free"),
        "{sources:?}"
    );
    let text = env.ok(&["dataset", "info", "shop"]);
    assert!(text.contains("time column"), "{text}");
    assert!(text.contains("noise, free"), "{text}");

    let found = |source: &str| -> usize {
        env.json(&["dataset", "search", "--source", source])
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(found("KAGGLE"), 1);
    assert_eq!(found("internal"), 0);

    env.ok(&[
        "dataset",
        "update",
        "shop",
        "--time-column",
        "",
        "--source",
        "internal",
    ]);
    let info = env.json(&["dataset", "info", "shop"]);
    assert!(
        info.get("time_column").is_none_or(|v| v.is_null()),
        "{info}"
    );
    assert_eq!(info["data_source"], "internal");
    let error = env.fails(
        &["dataset", "update", "shop", "--time-column", "customer"],
        2,
    );
    assert!(error.contains("holds text values"), "{error}");
    let error = env.fails(&["dataset", "update", "shop", "--target", "noise"], 2);
    assert!(error.contains("is ignored"), "{error}");
    env.ok(&["dataset", "update", "shop", "--time-column", "day"]);
    assert_eq!(env.json(&["dataset", "info", "shop"])["time_column"], "day");

    // An export carries the roles to the next registration.
    let out = env.input("exported");
    env.ok(&[
        "dataset",
        "export",
        "shop",
        "--output-dir",
        out.to_str().unwrap(),
    ]);
    env.ok(&[
        "dataset",
        "register",
        "shop_copy",
        out.to_str().unwrap(),
        "--no-features",
    ]);
    let copy = env.json(&["dataset", "info", "shop_copy"]);
    for key in [
        "time_column",
        "group_column",
        "stratify_column",
        "ignore_columns",
        "data_source",
        "target",
    ] {
        assert_eq!(
            copy[key],
            env.json(&["dataset", "info", "shop"])[key],
            "{key}"
        );
    }
}

#[test]
fn an_interrupted_registration_leaves_nothing_behind() {
    let env = Env::new();
    let path = env.input("big.csv");
    {
        let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        writeln!(file, "id,a,b,text").unwrap();
        for i in 0..1_500_000 {
            writeln!(file, "{i},{},{}.25,some text value {}", i % 97, i, i % 1013).unwrap();
        }
    }
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("mdm"))
        .args(["dataset", "register", "big", path.to_str().unwrap()])
        .env("MDM_HOME", env.home())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until loading has started (the staging directory or database exists).
    let started = std::time::Instant::now();
    while !env.stored().iter().any(|n| n.contains("staging")) {
        assert!(
            started.elapsed().as_secs() < 60,
            "registration never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(env.stored().is_empty(), "{:?}", env.stored());
    assert!(!env.home().join("config/datasets/big.yaml").exists());
    // And the same registration then succeeds.
    let small = env.write("small.csv", "id\n1\n");
    env.ok(&["dataset", "register", "big", small.to_str().unwrap()]);
}

#[test]
fn leftovers_of_a_killed_registration_are_swept_by_the_next_one() {
    let env = Env::new();
    // What a registration killed with SIGKILL leaves behind.
    env.fake_staging_leftover("ghost", 999_999_999);
    assert_eq!(env.stored().len(), 1);
    env.ok(&["dataset", "register", "t", titanic().to_str().unwrap()]);
    assert_eq!(env.stored(), ["t"]);
}

#[test]
fn duplicate_rows_are_counted_or_dropped_when_the_configuration_asks() {
    let env = Env::new();
    let mut rows = String::from("k,v,when\n");
    for i in 0..30 {
        // Rows 20..30 repeat rows 0..10, a NULL included.
        let j = i % 20;
        let v = if j == 3 {
            String::new()
        } else {
            format!("{}.5", j)
        };
        rows.push_str(&format!("{j},{v},2024-01-{:02}\n", j % 28 + 1));
    }
    let data = env.write("dups.csv", &rows);
    let register = |name: &str, variable: &str| {
        let output = env
            .cmd()
            .env(variable, "true")
            .args(["dataset", "register", name, data.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let stderr = register("counted", "MDM_VALIDATION_CHECK_DUPLICATES");
    assert!(stderr.contains("10 rows repeat an earlier row"), "{stderr}");
    assert_eq!(
        env.scalar("counted", "SELECT COUNT(*) FROM \"train\""),
        "30"
    );

    let stderr = register("dropped", "MDM_VALIDATION_DROP_DUPLICATES");
    assert!(
        stderr.contains("10 rows repeating an earlier row removed"),
        "{stderr}"
    );
    assert_eq!(
        env.scalar("dropped", "SELECT COUNT(*) FROM \"train\""),
        "20"
    );
    assert_eq!(
        env.scalar("dropped", "SELECT COUNT(DISTINCT \"k\") FROM \"train\""),
        "20"
    );
    let info = env.json(&["dataset", "info", "dropped"]);
    assert_eq!(info["tables"][0]["rows"], 20);
    let stats = env.json(&["dataset", "stats", "dropped", "--columns", "k"]);
    assert!(stats.to_string().contains("\"count\":20"), "{stats}");
}

#[test]
fn id_columns_are_indexed_unique_where_their_values_are() {
    let env = Env::new();
    let mut rows = String::from("user_id,order_id,amount\n");
    for i in 0..500 {
        rows.push_str(&format!("{},{i},{}.25\n", i % 40, i * 3));
    }
    let data = env.write("orders.csv", &rows);
    env.ok(&[
        "dataset",
        "register",
        "orders",
        data.to_str().unwrap(),
        "--id-columns",
        "order_id,user_id",
    ]);
    // (index or constraint name, unique) for each column, as the database
    // itself reports them.
    let indexes = |table: &str, column: &str| -> String {
        let sql = match env.profile {
            crate::common::Profile::Postgresql => format!(
                "SELECT string_agg(CASE WHEN i.indisprimary THEN 'primary' WHEN i.indisunique THEN 'unique' ELSE 'plain' END, ',') \
                 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) \
                 WHERE i.indrelid = '\"{table}\"'::regclass AND a.attname = '{column}'"
            ),
            crate::common::Profile::Duckdb => format!(
                "SELECT string_agg(CASE WHEN is_unique THEN 'unique' ELSE 'plain' END, ',') FROM duckdb_indexes() \
                 WHERE table_name = '{table}' AND expressions LIKE '%{column}%'"
            ),
            _ => format!(
                "SELECT group_concat(CASE WHEN il.\"unique\" THEN 'unique' ELSE 'plain' END, ',') \
                 FROM pragma_index_list('{table}') il JOIN pragma_index_info(il.name) ii WHERE ii.name = '{column}'"
            ),
        };
        env.scalar("orders", &sql)
    };
    let unique = if env.profile == crate::common::Profile::Postgresql {
        "primary"
    } else {
        "unique"
    };
    assert_eq!(indexes("train", "order_id"), unique);
    assert_eq!(indexes("train", "user_id"), "plain");
    assert_eq!(indexes("train", "amount"), "NULL");
    // The feature view reads train's indexes; a stored feature table gets
    // its own.
    assert_eq!(indexes("train_features", "order_id"), "NULL");
    let output = env
        .cmd()
        .env("MDM_FEATURE_ENGINEERING_MATERIALIZE", "true")
        .args(["dataset", "register", "orders", data.to_str().unwrap()])
        .args(["--id-columns", "order_id,user_id", "--force"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert_eq!(indexes("train_features", "order_id"), unique);
}

#[test]
fn partition_by_makes_train_range_partitioned_on_postgresql_only() {
    let env = Env::new();
    let mut rows = String::from("id,day,amount\n");
    for i in 0..3000 {
        rows.push_str(&format!(
            "{i},2023-{:02}-{:02},{}.5\n",
            i % 12 + 1,
            i % 28 + 1,
            i % 97
        ));
    }
    rows.push_str("3000,,1.5\n");
    let data = env.write("sales.csv", &rows);
    let args = [
        "dataset",
        "register",
        "sales",
        data.to_str().unwrap(),
        "--partition-by",
        "day",
    ];
    if env.profile != crate::common::Profile::Postgresql {
        let stderr = env.fails(&args, 2);
        assert!(stderr.contains("PostgreSQL"), "{stderr}");
        assert!(env.stored().is_empty(), "{:?}", env.stored());
        return;
    }
    env.ok(&args);
    assert_eq!(
        env.scalar(
            "sales",
            "SELECT COUNT(*) FROM pg_partitioned_table WHERE partrelid = 'train'::regclass"
        ),
        "1"
    );
    // Twelve months and a default partition (the NULL day).
    assert_eq!(
        env.scalar(
            "sales",
            "SELECT COUNT(*) FROM pg_inherits WHERE inhparent = 'train'::regclass"
        ),
        "13"
    );
    assert_eq!(
        env.scalar("sales", "SELECT COUNT(*) FROM \"_train_default\""),
        "1"
    );
    // Every command reads it as before.
    let info = env.json(&["dataset", "info", "sales"]);
    assert_eq!(info["tables"][0]["rows"], 3001);
    let csv = env.ok(&[
        "dataset", "export", "sales", "--table", "train", "--output", "-",
    ]);
    assert_eq!(csv.lines().count(), 3002);
    assert_eq!(
        env.scalar("sales", "SELECT COUNT(*) FROM \"train_features\""),
        "3001"
    );
    env.ok(&["dataset", "stats", "sales", "--extended"]);
    env.fails(
        &[
            "dataset",
            "register",
            "other",
            data.to_str().unwrap(),
            "--partition-by",
            "nope",
        ],
        2,
    );
}

#[test]
fn named_files_register_as_their_tables_without_a_path() {
    let env = Env::new();
    let dir = titanic();
    let file = |name: &str| dir.join(name).to_str().unwrap().to_string();
    // A compressed test file is read as it is.
    let test_gz = env.input("test.csv.gz");
    {
        use std::io::Write;
        let mut encoder = flate2::write::GzEncoder::new(
            std::fs::File::create(&test_gz).unwrap(),
            flate2::Compression::default(),
        );
        encoder
            .write_all(&std::fs::read(dir.join("test.csv")).unwrap())
            .unwrap();
        encoder.finish().unwrap();
    }
    env.ok(&[
        "dataset",
        "register",
        "named",
        "--no-auto",
        "--train",
        &file("train.csv"),
        "--test",
        test_gz.to_str().unwrap(),
        "--submission",
        &file("sample_submission.csv"),
        "--target",
        "Survived",
        "--no-features",
    ]);
    env.ok(&[
        "dataset",
        "register",
        "folder",
        dir.to_str().unwrap(),
        "--target",
        "Survived",
        "--no-features",
    ]);
    let tables = |name: &str| env.json(&["dataset", "info", name])["tables"].clone();
    assert_eq!(tables("named"), tables("folder"));
    let info = env.json(&["dataset", "info", "named"]);
    assert!(
        info["source"].as_str().unwrap().ends_with("train.csv"),
        "{info}"
    );
    assert_eq!(info["source_files"].as_array().unwrap().len(), 3);
    assert_eq!(env.scalar("named", "SELECT COUNT(*) FROM test"), "80");

    let error = env.fails(
        &[
            "dataset",
            "register",
            "both",
            dir.to_str().unwrap(),
            "--train",
            &file("train.csv"),
        ],
        2,
    );
    assert!(
        error.contains("--train") && error.contains("PATH"),
        "{error}"
    );
    let error = env.fails(
        &["dataset", "register", "lone", "--test", &file("test.csv")],
        2,
    );
    assert!(error.contains("--train"), "{error}");
    let error = env.fails(
        &[
            "dataset",
            "register",
            "gone",
            "--train",
            env.input("missing.csv").to_str().unwrap(),
        ],
        2,
    );
    assert!(
        error.contains("--train") && error.contains("missing.csv"),
        "{error}"
    );
    assert_eq!(env.json(&["dataset", "list"]).as_array().unwrap().len(), 2);
}

#[test]
fn a_dry_run_reads_and_checks_the_files_and_writes_nothing() {
    let env = Env::new();
    let dir = titanic();
    let plan = env.json(&[
        "dataset",
        "register",
        "titanic",
        dir.to_str().unwrap(),
        "--target",
        "Survived",
        "--ignore-columns",
        "Cabin",
        "--dry-run",
    ]);
    assert_eq!(plan["name"], "titanic");
    assert_eq!(plan["backend"], env.profile.backend());
    let tables: Vec<(&str, u64)> = plan["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["table"].as_str().unwrap(), t["rows"].as_u64().unwrap()))
        .collect();
    assert_eq!(tables, [("train", 200), ("test", 80), ("submission", 80)]);
    let train = &plan["tables"][0]["columns"];
    assert_eq!(train[1]["name"], "Survived");
    assert_eq!(train[1]["role"], "target");
    assert_eq!(train[5]["type"], "float");
    assert_eq!(train[9]["role"], "ignored");
    assert_eq!(plan["tables"][0]["read"]["delimiter"], ",");
    assert_eq!(plan["features"], true);
    assert!(!plan["feature_columns"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c == "Cabin" || c == "Survived"));
    let text = env.ok(&[
        "dataset",
        "register",
        "titanic",
        dir.to_str().unwrap(),
        "--dry-run",
    ]);
    assert!(text.contains("nothing written"), "{text}");
    // Nothing stored: no dataset, no database, no lock, no discovery file.
    assert!(env
        .json(&["dataset", "list"])
        .as_array()
        .unwrap()
        .is_empty());
    let datasets = env.home().join("datasets");
    assert!(
        !datasets.exists() || std::fs::read_dir(&datasets).unwrap().next().is_none(),
        "{:?}",
        std::fs::read_dir(&datasets).map(|d| d.count())
    );
    assert!(!env.home().join("config/datasets/titanic.yaml").exists());
    // The checks still apply.
    let error = env.fails(
        &[
            "dataset",
            "register",
            "titanic",
            dir.to_str().unwrap(),
            "--target",
            "nope",
            "--dry-run",
        ],
        2,
    );
    assert!(error.contains("nope"), "{error}");
    // A real registration afterwards is unaffected.
    env.ok(&[
        "dataset",
        "register",
        "titanic",
        dir.to_str().unwrap(),
        "--no-features",
    ]);
}
