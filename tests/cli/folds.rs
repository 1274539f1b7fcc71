//! `mdm dataset split`: folds stored in the dataset as `train_folds`,
//! checked with SQL over the dataset's own database on every backend — no
//! validation row before (or within the gap of) its training rows, no group
//! on both sides, class shares kept, the same folds from the same seed on
//! every backend — and the row key `_mdm_row` every train table carries.

use std::collections::{BTreeMap, BTreeSet};

use crate::common::{Env, Profile};

/// A table of `rows` rows written at test time: a date (several rows a day,
/// some days missing), a store (the group), a three-class label with shares
/// of about 50/30/20 %, a continuous value and a few NULL stores.
fn sales_csv(rows: usize) -> String {
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut out = String::from("date,store,label,amount\n");
    let mut day = 0u32;
    for row in 0..rows {
        if row % 4 == 0 {
            day += 1 + u32::from(next() % 5 == 0);
        }
        let (month, dom) = (1 + (day / 28) % 12, 1 + day % 28);
        let year = 2020 + day / 336;
        let store = match next() % 23 {
            0 => String::new(),
            n => format!("s{}", n % 11),
        };
        let label = match next() % 10 {
            0..=4 => "a",
            5..=7 => "b",
            _ => "c",
        };
        let amount = (next() % 100_000) as f64 / 100.0;
        out.push_str(&format!(
            "{year}-{month:02}-{dom:02},{store},{label},{amount}\n"
        ));
    }
    out
}

/// Rows of a query as CSV records (header dropped).
fn query(env: &Env, name: &str, sql: &str) -> Vec<Vec<String>> {
    let out = env.ok(&["-q", "dataset", "query", name, sql, "--format", "csv"]);
    let mut reader = csv::Reader::from_reader(out.as_bytes());
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

fn register_sales(env: &Env, name: &str, rows: usize, extra: &[&str]) {
    let file = env.write(&format!("{name}.csv"), sales_csv(rows));
    let mut args = vec![
        "-q",
        "dataset",
        "register",
        name,
        file.to_str().unwrap(),
        "--target",
        "label",
        "--no-features",
    ];
    args.extend_from_slice(extra);
    env.ok(&args);
}

/// `fold` per row key.
fn folds_by_row(env: &Env, name: &str) -> BTreeMap<i64, i64> {
    query(env, name, "SELECT _mdm_row, fold FROM train_folds")
        .into_iter()
        .map(|r| (r[0].parse().unwrap(), r[1].parse().unwrap()))
        .collect()
}

#[test]
fn stratified_folds_keep_class_shares_and_match_the_embedded_backend() {
    let env = Env::new();
    register_sales(&env, "sales", 1500, &[]);
    // Classification without time or group columns: stratified by default.
    let folds = env.json(&["dataset", "split", "sales", "--folds", "5"]);
    assert_eq!(folds["by"], "stratified");
    assert_eq!(folds["column"], "label");
    assert_eq!(folds["keys"], serde_json::json!(["_mdm_row"]));

    // Every train row is in exactly one fold.
    let assigned = folds_by_row(&env, "sales");
    assert_eq!(assigned.len(), 1500);
    assert_eq!(
        assigned.keys().copied().collect::<Vec<_>>(),
        (1..=1500).collect::<Vec<_>>()
    );
    assert_eq!(
        query(
            &env,
            "sales",
            "SELECT COUNT(*), COUNT(DISTINCT _mdm_row) FROM train_folds"
        ),
        vec![vec!["1500".to_string(), "1500".to_string()]]
    );

    // Each fold's class shares within one percentage point of the table's.
    let overall: BTreeMap<String, f64> = query(
        &env,
        "sales",
        "SELECT label, COUNT(*) FROM train GROUP BY label",
    )
    .into_iter()
    .map(|r| (r[0].clone(), r[1].parse::<f64>().unwrap() / 1500.0))
    .collect();
    let per_fold = query(
        &env,
        "sales",
        "SELECT f.fold, t.label, COUNT(*) FROM train t JOIN train_folds f ON t._mdm_row = f._mdm_row GROUP BY f.fold, t.label",
    );
    let mut sizes: BTreeMap<String, f64> = BTreeMap::new();
    for r in &per_fold {
        *sizes.entry(r[0].clone()).or_default() += r[2].parse::<f64>().unwrap();
    }
    assert_eq!(sizes.len(), 5);
    for r in &per_fold {
        let share = r[2].parse::<f64>().unwrap() / sizes[&r[0]];
        let whole = overall[&r[1]];
        assert!(
            (share - whole).abs() <= 0.01,
            "fold {} class {}: {share} against {whole}",
            r[0],
            r[1]
        );
    }

    // The same file and seed on the embedded backend give the same folds.
    if env.profile != Profile::Embedded {
        let embedded = env.write("embedded.yaml", "database:\n  default_backend: sqlite\n");
        let file = env.input("sales.csv");
        let config = embedded.to_str().unwrap();
        env.ok(&[
            "-q",
            "--config",
            config,
            "dataset",
            "register",
            "sales_ref",
            file.to_str().unwrap(),
            "--target",
            "label",
            "--no-features",
        ]);
        env.ok(&[
            "-q",
            "--config",
            config,
            "dataset",
            "split",
            "sales_ref",
            "--folds",
            "5",
        ]);
        let reference = env.ok(&[
            "-q",
            "--config",
            config,
            "dataset",
            "query",
            "sales_ref",
            "SELECT _mdm_row, fold FROM train_folds ORDER BY _mdm_row",
            "--format",
            "csv",
        ]);
        let here = env.ok(&[
            "-q",
            "dataset",
            "query",
            "sales",
            "SELECT _mdm_row, fold FROM train_folds ORDER BY _mdm_row",
            "--format",
            "csv",
        ]);
        assert!(
            reference == here,
            "the folds differ from the embedded backend's"
        );
    }

    // info shows the split, and its JSON carries it.
    let info = env.ok(&["dataset", "info", "sales"]);
    assert!(
        info.contains("5 folds by stratified on 'label', seed 42"),
        "{info}"
    );
    let json = env.json(&["dataset", "info", "sales"]);
    assert_eq!(json["folds"]["folds"], 5);
    assert_eq!(json["row_key"], "_mdm_row");
}

#[test]
fn random_folds_follow_the_seed_and_are_balanced_and_a_new_split_replaces_the_old() {
    let env = Env::new();
    register_sales(&env, "sales", 1003, &[]);
    env.ok(&[
        "-q", "dataset", "split", "sales", "--by", "random", "-k", "4", "--seed", "7",
    ]);
    let first = folds_by_row(&env, "sales");
    env.ok(&[
        "-q", "dataset", "split", "sales", "--by", "random", "-k", "4", "--seed", "7",
    ]);
    assert_eq!(folds_by_row(&env, "sales"), first, "same seed, same folds");
    let mut sizes = [0usize; 4];
    for fold in first.values() {
        sizes[*fold as usize] += 1;
    }
    assert!(
        sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1,
        "{sizes:?}"
    );
    // Not simply row order: neighbours are spread over the folds.
    let runs = first
        .values()
        .collect::<Vec<_>>()
        .windows(2)
        .filter(|w| w[0] == w[1])
        .count();
    assert!(runs > 100 && runs < 500, "{runs} repeats");

    env.ok(&[
        "-q", "dataset", "split", "sales", "--by", "random", "-k", "3", "--seed", "8",
    ]);
    let second = folds_by_row(&env, "sales");
    assert_eq!(second.len(), 1003);
    assert_eq!(second.values().collect::<BTreeSet<_>>().len(), 3);
    assert_ne!(second, first);
    let json = env.json(&["dataset", "info", "sales"]);
    assert_eq!(json["folds"]["seed"], 8);
    assert_eq!(json["folds"]["folds"], 3);
}

#[test]
fn group_folds_never_put_a_group_on_both_sides() {
    let env = Env::new();
    register_sales(&env, "sales", 1200, &["--group-column", "store"]);
    let folds = env.json(&["dataset", "split", "sales", "--folds", "3"]);
    assert_eq!(folds["by"], "group");
    let split_groups = query(
        &env,
        "sales",
        "SELECT t.store, COUNT(DISTINCT f.fold) FROM train t JOIN train_folds f ON t._mdm_row = f._mdm_row \
         GROUP BY t.store HAVING COUNT(DISTINCT f.fold) > 1",
    );
    assert!(split_groups.is_empty(), "{split_groups:?}");
    // Rows without a store are one group too.
    let nulls = query(
        &env,
        "sales",
        "SELECT COUNT(DISTINCT f.fold), COUNT(*) FROM train t JOIN train_folds f ON t._mdm_row = f._mdm_row WHERE t.store IS NULL",
    );
    assert_eq!(nulls[0][0], "1");
    assert_ne!(nulls[0][1], "0");
    assert_eq!(folds_by_row(&env, "sales").len(), 1200);
    // Balanced in rows as far as whole groups allow (12 groups of ~100).
    let sizes: Vec<u64> = folds["summary"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["rows"].as_u64().unwrap())
        .collect();
    assert!(
        sizes.iter().max().unwrap() - sizes.iter().min().unwrap() < 150,
        "{sizes:?}"
    );
}

#[test]
fn time_folds_expand_and_never_train_on_the_future_or_inside_the_gap() {
    let env = Env::new();
    register_sales(
        &env,
        "sales",
        1600,
        &["--time-column", "date", "--group-column", "store"],
    );
    // A time column wins over the group column.
    let folds = env.json(&["dataset", "split", "sales", "--folds", "4", "--gap", "3"]);
    assert_eq!(folds["by"], "time");
    assert_eq!(folds["gap"], 3);
    let summary = folds["summary"].as_array().unwrap();
    assert_eq!(summary.len(), 5, "K+1 blocks");
    let rows = query(
        &env,
        "sales",
        "SELECT t.date, f.fold FROM train t JOIN train_folds f ON t._mdm_row = f._mdm_row",
    );
    assert_eq!(rows.len(), 1600);
    let day = |text: &str| -> i64 {
        let d = &text[..10];
        let (y, m, dd): (i64, i64, i64) = (
            d[..4].parse().unwrap(),
            d[5..7].parse().unwrap(),
            d[8..].parse().unwrap(),
        );
        // Days in a proleptic calendar good enough for ordering and gaps.
        let a = (14 - m) / 12;
        let (y, m) = (y + 4800 - a, m + 12 * a - 3);
        dd + (153 * m + 2) / 5 + 365 * y + y / 4 - y / 100 + y / 400
    };
    let data: Vec<(i64, i64)> = rows
        .iter()
        .map(|r| (day(&r[0]), r[1].parse().unwrap()))
        .collect();
    // A time is never split between blocks, and blocks follow time.
    let mut block_of: BTreeMap<i64, i64> = BTreeMap::new();
    for (t, fold) in &data {
        assert_eq!(
            *block_of.entry(*t).or_insert(*fold),
            *fold,
            "a time in two blocks"
        );
    }
    let blocks: Vec<i64> = block_of.values().copied().collect();
    assert!(
        blocks.windows(2).all(|w| w[0] <= w[1]),
        "blocks out of time order"
    );
    for k in 1..=4i64 {
        let s = &summary[k as usize];
        let before = day(s["train_before"].as_str().unwrap());
        let validation_start = data.iter().filter(|d| d.1 == k).map(|d| d.0).min().unwrap();
        assert_eq!(before, validation_start - 3, "fold {k}: the gap is 3 days");
        let training: Vec<i64> = data
            .iter()
            .filter(|d| d.1 < k && d.0 < before)
            .map(|d| d.0)
            .collect();
        assert_eq!(training.len() as u64, s["train_rows"].as_u64().unwrap());
        let latest = training.iter().max().unwrap();
        assert!(
            latest + 3 < validation_start,
            "fold {k}: training within the gap"
        );
    }
}

#[test]
fn titanic_folds_are_keyed_by_its_id_and_the_row_key_stays_out_of_exports_and_features() {
    let env = Env::new();
    env.register_titanic("titanic", &[]);
    let all: Vec<String> = env
        .all_columns("titanic", "train")
        .into_iter()
        .map(|c| c.0)
        .collect();
    assert_eq!(all.last().map(String::as_str), Some("_mdm_row"));
    assert_eq!(
        query(
            &env,
            "titanic",
            "SELECT MIN(_mdm_row), MAX(_mdm_row), COUNT(DISTINCT _mdm_row), COUNT(*) FROM train"
        ),
        vec![vec![
            "1".to_string(),
            "200".into(),
            "200".into(),
            "200".into()
        ]]
    );
    // Row 1 is the file's first data row.
    let first_id = query(
        &env,
        "titanic",
        "SELECT PassengerId FROM train WHERE _mdm_row = 1",
    );
    let mut reader = csv::Reader::from_path(crate::common::titanic().join("train.csv")).unwrap();
    assert_eq!(first_id[0][0], reader.records().next().unwrap().unwrap()[0]);

    env.ok(&["-q", "dataset", "split", "titanic", "-k", "5"]);
    let columns: Vec<String> = env
        .columns("titanic", "train_folds")
        .into_iter()
        .map(|c| c.0)
        .collect();
    assert_eq!(
        columns,
        ["PassengerId", "fold"],
        "the ID under its own name, then the row key"
    );
    assert_eq!(
        env.all_columns("titanic", "train_folds")
            .into_iter()
            .map(|c| c.0)
            .collect::<Vec<_>>(),
        ["PassengerId", "_mdm_row", "fold"]
    );

    let out = env.input("export");
    env.ok(&[
        "-q",
        "dataset",
        "export",
        "titanic",
        "--output-dir",
        out.to_str().unwrap(),
        "--table",
        "train",
    ]);
    let exported = std::fs::read_to_string(out.join("train.csv")).unwrap();
    assert!(
        !exported.lines().next().unwrap().contains("_mdm_row"),
        "{}",
        exported.lines().next().unwrap()
    );
    let info = env.json(&["dataset", "info", "titanic", "--show-features"]);
    let text = info.to_string();
    let schema = info["schema"].to_string();
    assert!(!schema.contains("_mdm_row"), "{schema}");
    assert!(!text.contains("_mdm_row_"), "no feature of the row key");
    let features: Vec<String> = env
        .columns("titanic", "train_features")
        .into_iter()
        .map(|c| c.0)
        .collect();
    assert!(
        features.iter().all(|c| !c.contains("_mdm_row")),
        "{features:?}"
    );
}

#[test]
fn bad_split_requests_are_refused_with_one_line_and_change_nothing() {
    let env = Env::new();
    register_sales(&env, "sales", 300, &[]);
    env.ok(&[
        "-q", "dataset", "split", "sales", "--by", "random", "-k", "3",
    ]);
    let before = folds_by_row(&env, "sales");
    for (args, code, words) in [
        (vec!["--folds", "1"], 2, "--folds"),
        (vec!["--by", "random", "--gap", "2"], 2, "--gap"),
        (vec!["--by", "time"], 2, "time column"),
        (vec!["--by", "group"], 2, "group column"),
        (vec!["--by", "kfold"], 2, "kfold"),
        (vec!["--folds", "301"], 2, "301 folds"),
    ] {
        let mut full = vec!["dataset", "split", "sales"];
        full.extend(args.iter());
        let err = env.fails(&full, code);
        assert!(err.contains(words), "{args:?}: {err}");
        // One line (clap adds its usage hint to a word it does not know).
        assert!(err.starts_with("error:"), "{err}");
        if words != "kfold" {
            assert_eq!(err.trim().lines().count(), 1, "{err}");
        }
    }
    env.ok(&[
        "-q",
        "dataset",
        "update",
        "sales",
        "--stratify-column",
        "amount",
    ]);
    let err = env.fails(&["dataset", "split", "sales", "--by", "stratified"], 2);
    assert!(
        err.contains("'amount'") && err.contains("distinct values"),
        "{err}"
    );
    env.fails(&["dataset", "split", "nosuch"], 3);
    assert_eq!(
        folds_by_row(&env, "sales"),
        before,
        "a refused split changed the folds"
    );
}

/// `--target y1,y2`: several targets, all excluded from features, the
/// task inferred from all of them (multilabel or multi-output regression).
#[test]
fn several_targets_register_as_multilabel_or_multi_output_regression() {
    let env = Env::new();
    let mut text = String::from("id,x1,x2,colour,label_a,label_b,r1,r2\n");
    let mut test = String::from("id,x1,x2,colour\n");
    for i in 0..240u32 {
        let x1 = (i * 37 % 100) as f64 / 10.0;
        let colour = ["red", "green", "blue"][(i % 3) as usize];
        text.push_str(&format!(
            "{i},{x1},{},{colour},{},{},{}.25,{}.5\n",
            i * 7 % 50,
            i % 2,
            (i / 2) % 2,
            i * 13 % 97,
            i * 29 % 89
        ));
        if i < 20 {
            test.push_str(&format!("{},{x1},{},{colour}\n", 1000 + i, i % 50));
        }
    }
    let dir = env.input("multi");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("train.csv"), &text).unwrap();
    std::fs::write(dir.join("test.csv"), &test).unwrap();
    let folder = dir.to_str().unwrap();
    env.ok(&[
        "-q",
        "dataset",
        "register",
        "labels",
        folder,
        "--target",
        "label_a,label_b",
    ]);
    let info = env.json(&["dataset", "info", "labels"]);
    assert_eq!(info["problem_type"], "multilabel");
    assert_eq!(info["target"], "label_a");
    assert_eq!(
        info["target_columns"],
        serde_json::json!(["label_a", "label_b"])
    );
    let features = env.json(&["dataset", "features", "labels"]).to_string();
    assert!(
        !features.contains("label_a_") && !features.contains("label_b_"),
        "{features}"
    );
    assert!(
        features.contains("colour"),
        "the other columns get features: {features}"
    );
    let text_info = env.ok(&["dataset", "info", "labels"]);
    assert!(
        text_info.contains("target:       label_a, label_b"),
        "{text_info}"
    );

    env.ok(&[
        "-q",
        "dataset",
        "register",
        "outputs",
        folder,
        "--target",
        "r1, r2",
        "--no-features",
    ]);
    let info = env.json(&["dataset", "info", "outputs"]);
    assert_eq!(info["problem_type"], "regression");
    assert_eq!(info["target_columns"], serde_json::json!(["r1", "r2"]));
    // One target keeps the one-target shape.
    env.ok(&[
        "-q",
        "dataset",
        "register",
        "one",
        folder,
        "--target",
        "r1",
        "--no-features",
    ]);
    assert_eq!(
        env.json(&["dataset", "info", "one"])["target_columns"],
        serde_json::json!(["r1"])
    );
    // `classification` of several is multilabel.
    env.ok(&[
        "-q",
        "dataset",
        "register",
        "given",
        folder,
        "--target",
        "label_a,r1",
        "--problem-type",
        "classification",
        "--no-features",
    ]);
    assert_eq!(
        env.json(&["dataset", "info", "given"])["problem_type"],
        "multilabel"
    );

    for (targets, words) in [
        ("label_a,r1", "different kinds"),
        ("label_a,nope", "'nope' not found"),
        ("label_a,label_a", "named twice"),
    ] {
        let err = env.fails(
            &["dataset", "register", "bad", folder, "--target", targets],
            2,
        );
        assert!(err.contains(words), "{targets}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
    env.fails(&["dataset", "info", "bad"], 3);
}

/// An export carries the split's settings in its metadata file, and
/// registering the export makes the same folds again (and keeps every
/// target).
#[test]
fn an_exported_dataset_registers_again_with_the_same_folds() {
    let env = Env::new();
    register_sales(&env, "sales", 600, &["--time-column", "date"]);
    env.ok(&[
        "-q", "dataset", "split", "sales", "--by", "random", "-k", "4", "--seed", "11",
    ]);
    let before = folds_by_row(&env, "sales");
    let out = env.input("exported");
    env.ok(&[
        "-q",
        "dataset",
        "export",
        "sales",
        "--output-dir",
        out.to_str().unwrap(),
    ]);
    let sidecar = std::fs::read_to_string(out.join("sales_metadata.yaml")).unwrap();
    assert!(
        sidecar.contains("folds:") && sidecar.contains("seed: 11"),
        "{sidecar}"
    );
    env.ok(&["-q", "dataset", "remove", "sales", "--force"]);
    let output = env
        .cmd()
        .args(["dataset", "register", "sales", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("4 folds by random made again as exported"),
        "{stderr}"
    );
    assert_eq!(
        folds_by_row(&env, "sales"),
        before,
        "the same folds after the round trip"
    );
    let info = env.json(&["dataset", "info", "sales"]);
    assert_eq!(info["folds"]["by"], "random");
    assert_eq!(info["folds"]["seed"], 11);
}
