//! Feature generation on every backend: each generated value is checked
//! against a computation written here in Rust (not the SQL mdm runs), on a
//! fixture with nulls, negatives, zeros, dates across month and year ends
//! and leap days, timestamps, unicode and URL/e-mail text.

use std::collections::{BTreeMap, BTreeSet};

use crate::common::{Env, Profile};

/// Train rows: id, amount, visits, day, seen_at, color, note, label.
fn train_rows() -> Vec<[String; 8]> {
    let days = [
        "2024-02-29",
        "2023-12-31",
        "2024-01-01",
        "2000-02-29",
        "1969-12-31",
        "2100-02-28",
        "2024-03-31",
        "2023-06-30",
        "",
        "2022-11-15",
        "2021-04-30",
        "2024-12-31",
    ];
    let notes = [
        "Visit https://example.com for DETAILS today",
        "mail me: jane.doe@example.org or call 555 0100",
        "Ünïcödé naïve café — ÀÉÎ with 3 digits 123",
        "  spaced   out\ttext with\nnewlines and TABS  ",
        "",
        "plain lower case words without anything else",
        "WWW.SHOUTING.COM IS A SITE IN CAPITALS!!!",
        "no at sign here but a dot. And 42 numbers 7",
    ];
    let colors = [
        "red", "green", "blue", "", "red", "red", "green", "blue", "red",
    ];
    (0..36)
        .map(|i| {
            let amount = match i % 9 {
                0 => "".to_string(),
                1 => "0".to_string(),
                2 => format!("-{}.25", i * 3),
                _ => format!("{}.5", (i * 37) % 101),
            };
            let amount = if i == 17 {
                "100000.75".to_string()
            } else {
                amount
            };
            let visits = if i % 11 == 5 {
                String::new()
            } else {
                ((i * 7) % 13).to_string()
            };
            let seen_at = format!(
                "2023-{:02}-{:02} {:02}:{:02}:05",
                1 + i % 12,
                1 + (i * 3) % 28,
                (i * 5) % 24,
                (i * 13) % 60
            );
            let seen_at = if i == 3 { String::new() } else { seen_at };
            [
                (i + 1).to_string(),
                amount,
                visits,
                days[i % days.len()].to_string(),
                seen_at,
                colors[i % colors.len()].to_string(),
                notes[i % notes.len()].to_string(),
                ((i * 5 + i / 3) % 2).to_string(),
            ]
        })
        .collect()
}

/// Test rows, with a target that contradicts train's (for the leakage
/// check) and values outside train's ranges.
fn test_rows() -> Vec<[String; 8]> {
    vec![
        row([
            "101",
            "-500.5",
            "40",
            "2024-02-29",
            "2024-07-04 23:59:59",
            "red",
            "short http://x.io note but long enough",
            "0",
        ]),
        row([
            "102",
            "",
            "0",
            "1999-12-31",
            "",
            "purple",
            "Another TEST row with a@b.co inside it",
            "1",
        ]),
        row(["103", "250000", "", "", "2020-01-01 00:00:00", "", "", "1"]),
        row([
            "104",
            "3.5",
            "6",
            "2023-01-01",
            "2023-05-05 12:00:00",
            "blue",
            "   ",
            "0",
        ]),
    ]
}

fn row(cells: [&str; 8]) -> [String; 8] {
    cells.map(str::to_string)
}

const HEADER: &str = "id,amount,visits,day,seen_at,color,note,label";

fn csv(rows: &[[String; 8]]) -> String {
    let mut out = String::from(HEADER);
    out.push('\n');
    for r in rows {
        let cells: Vec<String> = r
            .iter()
            .map(|c| format!("\"{}\"", c.replace('"', "\"\"")))
            .collect();
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

/// A table exported by mdm as CSV: header and rows keyed by `id`.
fn exported(
    env: &Env,
    dataset: &str,
    table: &str,
) -> (Vec<String>, BTreeMap<String, BTreeMap<String, String>>) {
    let path = env.dir.path().join(format!("{table}.csv"));
    env.ok(&[
        "dataset",
        "export",
        dataset,
        "--table",
        table,
        "--output",
        path.to_str().unwrap(),
        "--force",
    ]);
    let mut reader = csv::Reader::from_path(&path).unwrap();
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let mut rows = BTreeMap::new();
    for record in reader.records() {
        let record = record.unwrap();
        let cells: BTreeMap<String, String> = header
            .iter()
            .cloned()
            .zip(record.iter().map(str::to_string))
            .collect();
        rows.insert(cells["id"].clone(), cells);
    }
    (header, rows)
}

fn number(cell: &str) -> Option<f64> {
    if cell.is_empty() {
        None
    } else {
        Some(cell.parse().unwrap())
    }
}

/// A calendar feature of (year, month, day, hour).
type DatePartFn = Box<dyn Fn((i64, i64, i64, i64)) -> Option<f64>>;

/// Expected features of one table: name -> id -> value (None = null).
type Expected = BTreeMap<String, BTreeMap<String, Option<f64>>>;

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    // Days before each month in a non-leap year, counted from 0001-01-01.
    let leap = |y: i64| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let mut days = 0i64;
    if y >= 1970 {
        for year in 1970..y {
            days += if leap(year) { 366 } else { 365 };
        }
    } else {
        for year in y..1970 {
            days -= if leap(year) { 366 } else { 365 };
        }
    }
    days + (1..m).map(|k| month_length(y, k)).sum::<i64>() + d - 1
}

fn month_length(y: i64, m: i64) -> i64 {
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ][(m - 1) as usize]
}

/// numpy's default (linear) percentile of sorted values.
fn percentile(sorted: &[f64], fraction: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * fraction;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

fn has_email(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    (1..chars.len().saturating_sub(1)).any(|i| {
        chars[i] == '@'
            && chars[i - 1].is_ascii_alphanumeric()
            && chars[i + 1].is_ascii_alphanumeric()
            && (i + 2..chars.len().saturating_sub(2)).any(|j| {
                chars[j] == '.'
                    && chars[j + 1].is_ascii_alphabetic()
                    && chars[j + 2].is_ascii_alphabetic()
            })
    })
}

/// Every feature mdm should generate, computed from the CSV cells.
fn expected(train: &[[String; 8]], table: &[[String; 8]]) -> Expected {
    let mut out: Expected = BTreeMap::new();
    let mut put = |name: String, id: &str, value: Option<f64>| {
        out.entry(name).or_default().insert(id.to_string(), value);
    };
    let column = |rows: &[[String; 8]], i: usize| -> Vec<Option<f64>> {
        rows.iter().map(|r| number(&r[i])).collect()
    };
    // Numeric columns: amount (1), visits (2).
    for (index, name) in [(1, "amount"), (2, "visits")] {
        let values: Vec<f64> = column(train, index).into_iter().flatten().collect();
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let std = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        let mut sorted = values.clone();
        sorted.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let (min, max) = (sorted[0], sorted[sorted.len() - 1]);
        let q: Vec<f64> = (0..=100)
            .map(|p| percentile(&sorted, p as f64 / 100.0))
            .collect();
        for r in table {
            let id = &r[0];
            let x = number(&r[index]);
            put(format!("{name}_zscore"), id, x.map(|x| (x - mean) / std));
            if min >= 0.0 {
                put(format!("{name}_log"), id, x.map(|x| (1.0 + x).ln()));
            }
            put(
                format!("{name}_is_outlier"),
                id,
                x.map(|x| f64::from(((x - mean) / std).abs() > 3.0)),
            );
            let rank = x.map(|x| {
                if x < q[0] {
                    return 0.0;
                }
                if x >= q[100] {
                    return 1.0;
                }
                let k = (0..=100).rev().find(|&k| q[k] <= x).unwrap();
                (k as f64 + (x - q[k]) / (q[k + 1] - q[k])) / 100.0
            });
            put(format!("{name}_percentile_rank"), id, rank);
            for bins in [5u32, 10] {
                let width = (max - min) / f64::from(bins);
                let bin = x.map(|x| {
                    if x <= min {
                        0.0
                    } else if x >= max {
                        f64::from(bins - 1)
                    } else {
                        ((x - min) / width).floor().min(f64::from(bins - 1))
                    }
                });
                put(format!("{name}_bin{bins}"), id, bin);
            }
            let decile = x.map(|x| (1..10).filter(|&d| x > q[10 * d]).count() as f64);
            put(format!("{name}_decile"), id, decile);
        }
    }
    // Date (3) and timestamp (4) columns.
    for (index, name, timestamp) in [(3, "day", false), (4, "seen_at", true)] {
        for r in table {
            let id = &r[0];
            let cell = &r[index];
            let parts = (!cell.is_empty()).then(|| {
                let y: i64 = cell[0..4].parse().unwrap();
                let m: i64 = cell[5..7].parse().unwrap();
                let d: i64 = cell[8..10].parse().unwrap();
                let hour: i64 = if timestamp {
                    cell[11..13].parse().unwrap()
                } else {
                    0
                };
                (y, m, d, hour)
            });
            let dow =
                |(y, m, d, _): (i64, i64, i64, i64)| (days_from_civil(y, m, d) + 3).rem_euclid(7);
            let f = |v: i64| Some(v as f64);
            let mut features: Vec<(&str, DatePartFn)> = vec![
                ("year", Box::new(move |p| f(p.0))),
                ("month", Box::new(move |p| f(p.1))),
                ("day", Box::new(move |p| f(p.2))),
                ("dayofweek", Box::new(move |p| f(dow(p)))),
            ];
            if timestamp {
                features.push(("hour", Box::new(move |p| f(p.3))));
            }
            features.push(("quarter", Box::new(move |p| f((p.1 - 1) / 3 + 1))));
            features.push(("is_weekend", Box::new(move |p| f(i64::from(dow(p) >= 5)))));
            features.push(("is_month_start", Box::new(move |p| f(i64::from(p.2 == 1)))));
            features.push((
                "is_month_end",
                Box::new(move |p| f(i64::from(p.2 == month_length(p.0, p.1)))),
            ));
            features.push((
                "days_since_epoch",
                Box::new(move |p| f(days_from_civil(p.0, p.1, p.2))),
            ));
            let tau = std::f64::consts::TAU;
            features.push((
                "month_sin",
                Box::new(move |p| Some((tau * p.1 as f64 / 12.0).sin())),
            ));
            features.push((
                "month_cos",
                Box::new(move |p| Some((tau * p.1 as f64 / 12.0).cos())),
            ));
            features.push((
                "dayofweek_sin",
                Box::new(move |p| Some((tau * dow(p) as f64 / 7.0).sin())),
            ));
            features.push((
                "dayofweek_cos",
                Box::new(move |p| Some((tau * dow(p) as f64 / 7.0).cos())),
            ));
            if timestamp {
                features.push((
                    "hour_sin",
                    Box::new(move |p| Some((tau * p.3 as f64 / 24.0).sin())),
                ));
                features.push((
                    "hour_cos",
                    Box::new(move |p| Some((tau * p.3 as f64 / 24.0).cos())),
                ));
            }
            for (suffix, compute) in features {
                put(format!("{name}_{suffix}"), id, parts.and_then(&compute));
            }
        }
    }
    // Categorical color (5), target label (7) fitted on train.
    let mut counts: BTreeMap<&str, (f64, f64)> = BTreeMap::new();
    let (mut sum, mut n) = (0.0, 0.0);
    for r in train {
        let label: f64 = r[7].parse().unwrap();
        sum += label;
        n += 1.0;
        if !r[5].is_empty() {
            let entry = counts.entry(r[5].as_str()).or_default();
            entry.0 += 1.0;
            entry.1 += label;
        }
    }
    let global = sum / n;
    for r in table {
        let id = &r[0];
        let value = r[5].as_str();
        for level in counts.keys() {
            put(
                format!("color_{level}"),
                id,
                Some(f64::from(value == *level)),
            );
        }
        let frequency = if value.is_empty() {
            None
        } else {
            Some(counts.get(value).map_or(0.0, |c| c.0))
        };
        put("color_frequency".into(), id, frequency);
        let mean = counts.get(value).map_or(global, |c| c.1 / c.0);
        put("color_target_mean".into(), id, Some(mean));
    }
    // Text note (6).
    for r in table {
        let id = &r[0];
        let text = &r[6];
        let null = text.is_empty();
        let value = |v: f64| (!null).then_some(v);
        let length = text.chars().count() as f64;
        put("note_length".into(), id, value(length));
        put(
            "note_word_count".into(),
            id,
            value(text.split_ascii_whitespace().count() as f64),
        );
        put(
            "note_digit_count".into(),
            id,
            value(text.chars().filter(char::is_ascii_digit).count() as f64),
        );
        let special = text
            .chars()
            .filter(|c| {
                !c.is_ascii_alphanumeric()
                    && !matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c')
            })
            .count();
        put("note_special_char_count".into(), id, value(special as f64));
        let upper = text.chars().filter(char::is_ascii_uppercase).count() as f64;
        put(
            "note_uppercase_ratio".into(),
            id,
            if null || length == 0.0 {
                None
            } else {
                Some(upper / length)
            },
        );
        let lower = text.to_lowercase();
        let url = ["http://", "https://", "www."]
            .iter()
            .any(|p| lower.contains(p));
        put("note_has_url".into(), id, value(f64::from(url)));
        put(
            "note_has_email".into(),
            id,
            value(f64::from(has_email(text))),
        );
    }
    // Missing values over the usable columns (not id, not the target).
    let usable = [1, 2, 3, 4, 5, 6];
    for r in table {
        let id = &r[0];
        let mut missing = 0.0;
        for (i, name) in [
            (1, "amount"),
            (2, "visits"),
            (3, "day"),
            (4, "seen_at"),
            (5, "color"),
            (6, "note"),
        ] {
            let is_missing = r[i].is_empty();
            missing += f64::from(is_missing);
            put(
                format!("{name}_is_missing"),
                id,
                Some(f64::from(is_missing)),
            );
        }
        put("missing_count".into(), id, Some(missing));
        put(
            "missing_ratio".into(),
            id,
            Some(missing / usable.len() as f64),
        );
    }
    out
}

/// Fewer than two distinct non-null values over train.
fn is_constant(values: &BTreeMap<String, Option<f64>>) -> bool {
    let distinct: BTreeSet<u64> = values.values().flatten().map(|v| v.to_bits()).collect();
    distinct.len() < 2
}

fn close(expected: f64, actual: f64) -> bool {
    expected == actual
        || (expected - actual).abs() <= 1e-9 * expected.abs().max(actual.abs()) + 1e-12
}

fn check_table(
    env: &Env,
    dataset: &str,
    table: &str,
    expected: &Expected,
    kept: &BTreeSet<String>,
) {
    let (header, rows) = exported(env, dataset, &format!("{table}_features"));
    let generated: BTreeSet<String> = header.iter().skip(8).cloned().collect();
    assert_eq!(&generated, kept, "feature columns of {table}_features");
    for name in kept {
        for (id, value) in &expected[name] {
            let actual = number(&rows[id][name]);
            let same = match (value, actual) {
                (None, None) => true,
                (Some(e), Some(a)) => close(*e, a),
                _ => false,
            };
            assert!(
                same,
                "{table}_features.{name} of id {id}: expected {value:?}, stored {actual:?}"
            );
        }
    }
}

#[test]
fn every_generated_feature_matches_an_independent_computation() {
    let env = Env::new();
    let train = train_rows();
    let test = test_rows();
    let dir = env.dir.path().join("fixture");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("train.csv"), csv(&train)).unwrap();
    std::fs::write(dir.join("test.csv"), csv(&test)).unwrap();
    env.ok(&[
        "dataset",
        "register",
        "fx",
        dir.to_str().unwrap(),
        "--target",
        "label",
        "--categorical-columns",
        "color",
        "--text-columns",
        "note",
    ]);

    let on_train = expected(&train, &train);
    let kept: BTreeSet<String> = on_train
        .iter()
        .filter(|(_, values)| !is_constant(values))
        .map(|(name, _)| name.clone())
        .collect();
    assert!(kept.len() > 50, "{kept:?}");
    check_table(&env, "fx", "train", &on_train, &kept);
    check_table(&env, "fx", "test", &expected(&train, &test), &kept);

    // Leakage: test rows are encoded with train's means, never their own target.
    let (_, rows) = exported(&env, "fx", "test_features");
    let train_red: Vec<f64> = train
        .iter()
        .filter(|r| r[5] == "red")
        .map(|r| r[7].parse().unwrap())
        .collect();
    let red_mean = train_red.iter().sum::<f64>() / train_red.len() as f64;
    assert!(close(
        red_mean,
        number(&rows["101"]["color_target_mean"]).unwrap()
    ));
    assert_ne!(
        number(&rows["101"]["color_target_mean"]),
        Some(0.0),
        "row 101's own label is 0"
    );

    // Profiling a feature table: z-scores over train have mean 0 and
    // standard deviation 1.
    let stats = env.json(&[
        "dataset",
        "stats",
        "fx",
        "--table",
        "train_features",
        "--columns",
        "amount_zscore",
    ]);
    let column = &stats["columns"][0];
    assert!(column["mean"].as_f64().unwrap().abs() < 1e-9, "{stats}");
    assert!(
        (column["std"].as_f64().unwrap() - 1.0).abs() < 1e-9,
        "{stats}"
    );

    let info = env.ok(&["dataset", "info", "fx", "--show-features"]);
    assert!(
        info.contains("amount_zscore") && info.contains("statistical"),
        "{info}"
    );
    assert!(
        info.contains("color_target_mean") && info.contains("categorical"),
        "{info}"
    );
}

#[test]
fn no_features_skips_generation_and_regenerate_refits_after_a_target_change() {
    let env = Env::new();
    let data = env.write(
        "d.csv",
        "id,city,price,sold\n1,a,10,1\n2,b,20,0\n3,a,30,1\n4,b,45,0\n5,a,50,0\n6,c,70,0\n",
    );
    env.ok(&[
        "dataset",
        "register",
        "plain",
        data.to_str().unwrap(),
        "--no-features",
    ]);
    let tables = env.stored_tables("plain");
    assert!(
        !tables.iter().any(|t| t.ends_with("_features")),
        "{tables:?}"
    );
    env.ok(&["dataset", "features", "plain", "--regenerate"]);
    let (header, _) = exported(&env, "plain", "train_features");
    assert!(header.contains(&"price_zscore".to_string()), "{header:?}");
    assert!(
        !header.contains(&"city_target_mean".to_string()),
        "{header:?}"
    );

    let out = env
        .mdm(&["dataset", "update", "plain", "--target", "sold"])
        .success();
    let message = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(message.contains("--regenerate"), "{message}");
    env.ok(&["dataset", "features", "plain", "--regenerate"]);
    let (header, rows) = exported(&env, "plain", "train_features");
    assert!(
        header.contains(&"city_target_mean".to_string()),
        "{header:?}"
    );
    assert!(close(
        2.0 / 3.0,
        number(&rows["1"]["city_target_mean"]).unwrap()
    ));
    assert!(
        !header.contains(&"sold_zscore".to_string()),
        "the target is never transformed: {header:?}"
    );

    // Export writes the feature tables by default, and only the originals on request.
    let out_dir = env.dir.path().join("exp");
    env.ok(&[
        "dataset",
        "export",
        "plain",
        "--output-dir",
        out_dir.to_str().unwrap(),
    ]);
    assert!(out_dir.join("train_features.csv").is_file());
    let originals = env.dir.path().join("orig");
    env.ok(&[
        "dataset",
        "export",
        "plain",
        "--output-dir",
        originals.to_str().unwrap(),
        "--no-include-features",
    ]);
    assert!(
        originals.join("train.csv").is_file() && !originals.join("train_features.csv").exists()
    );
}

/// Every row of a feature table in stored order, values as SQLite holds them.
fn stored_rows(env: &Env, dataset: &str, table: &str) -> Vec<Vec<rusqlite::types::Value>> {
    let conn = env.sqlite(dataset);
    let mut statement = conn
        .prepare(&format!("SELECT * FROM \"{table}\" ORDER BY 1"))
        .unwrap();
    let width = statement.column_count();
    statement
        .query_map([], |row| {
            (0..width)
                .map(|i| row.get::<_, rusqlite::types::Value>(i))
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn feature_tables_computed_in_slices_equal_the_ones_computed_in_one_statement() {
    let env = Env::new();
    // Only the embedded store splits a fill across threads.
    if env.profile != Profile::Embedded {
        return;
    }
    let mut data = String::from("id,amount,kind,day,note,label\n");
    for i in 0..35_017u64 {
        let amount = if i % 7 == 3 {
            String::new()
        } else {
            format!("{}.{}", (i * 7919) % 10_007, i % 100)
        };
        let note = match i % 5 {
            0 => "plain words here".to_string(),
            1 => format!("Mail X{i}@example.org now"),
            2 => String::new(),
            _ => format!("see https://example.com/{i} ÄÖ {}", i % 13),
        };
        data.push_str(&format!(
            "{i},{amount},{},2024-{:02}-{:02},{note},{}\n",
            ["a", "b", "c", "d", "e"][(i % 5) as usize],
            i % 12 + 1,
            i % 28 + 1,
            i % 3 % 2
        ));
    }
    let input = env.write("slices.csv", data);
    let register = |name: &str, workers: &str, materialize: &str| {
        let output = env
            .cmd()
            .env("MDM_PERFORMANCE_WORKERS", workers)
            .env("MDM_FEATURE_ENGINEERING_MATERIALIZE", materialize)
            .args(["-vv", "dataset", "register", name, input.to_str().unwrap()])
            .args(["--target", "label", "--id-columns", "id"])
            .output()
            .unwrap();
        let log = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(output.status.success(), "{log}");
        log
    };
    let log = register("serial", "1", "true");
    assert!(!log.contains("slices computed"), "{log}");
    let log = register("sliced", "3", "true");
    assert!(
        log.contains("fill train_features: 3 slices computed"),
        "{log}"
    );
    let serial = stored_rows(&env, "serial", "train_features");
    let sliced = stored_rows(&env, "sliced", "train_features");
    assert_eq!(serial.len(), 35_017);
    assert!(serial.first().unwrap().len() > 20, "{:?}", serial.first());
    assert!(
        serial == sliced,
        "the sliced fill differs from the serial one"
    );
    // The default view computes the same values when read.
    register("viewed", "1", "false");
    assert_eq!(env.stored_tables("viewed"), env.stored_tables("serial"));
    assert!(
        stored_rows(&env, "viewed", "train_features") == serial,
        "the view differs from the stored table"
    );

    // Regeneration reads a published (WAL) database; the result is the same.
    let output = env
        .cmd()
        .env("MDM_PERFORMANCE_WORKERS", "4")
        .env("MDM_FEATURE_ENGINEERING_MATERIALIZE", "true")
        .args(["dataset", "features", "sliced", "--regenerate"])
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(stored_rows(&env, "sliced", "train_features") == serial);
    // Regenerated as a view, then as a table again: each replaces the
    // other under the same name, with the same values.
    let kind = || {
        env.scalar(
            "sliced",
            "SELECT type FROM sqlite_master WHERE name = 'train_features'",
        )
    };
    assert_eq!(kind(), "table");
    for (materialize, expected) in [("false", "view"), ("true", "table")] {
        let output = env
            .cmd()
            .env("MDM_FEATURE_ENGINEERING_MATERIALIZE", materialize)
            .args(["dataset", "features", "sliced", "--regenerate"])
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        assert_eq!(kind(), expected);
        assert!(stored_rows(&env, "sliced", "train_features") == serial);
        assert_eq!(env.stored_tables("sliced"), env.stored_tables("serial"));
    }
    // Reads of a published table or view go in ranges of rows on several
    // connections: the export holds the same rows in the same order as a
    // read in one statement, and train's rows come in the file's order.
    let export = |dataset: &str, table: &str, workers: &str| {
        let path = env
            .dir
            .path()
            .join(format!("{dataset}-{table}-{workers}.csv"));
        let output = env
            .cmd()
            .env("MDM_PERFORMANCE_WORKERS", workers)
            .env("MDM_PERFORMANCE_BATCH_SIZE", "1000")
            .args([
                "-vv", "dataset", "export", dataset, "--table", table, "--force",
            ])
            .arg("--output")
            .arg(&path)
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        let log = String::from_utf8_lossy(&output.stderr);
        let ranged = format!("read {table} in 36 ranges on {workers} connections");
        assert_eq!(log.contains(&ranged), workers != "1", "{log}");
        std::fs::read_to_string(path).unwrap()
    };
    for (dataset, table) in [
        ("viewed", "train_features"),
        ("viewed", "train"),
        ("serial", "train_features"),
    ] {
        let one = export(dataset, table, "1");
        assert_eq!(one.lines().count(), 35_018, "{dataset}.{table}");
        assert!(
            export(dataset, table, "3") == one,
            "{dataset}.{table} read in ranges differs"
        );
    }
    let ids: Vec<u64> = export("viewed", "train", "3")
        .lines()
        .skip(1)
        .map(|line| line.split(',').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(ids, (0..35_017).collect::<Vec<u64>>());
    let leftovers: Vec<_> = std::fs::read_dir(env.database("sliced").parent().unwrap())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("_mdm"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_feature_failing_on_one_test_row_fails_the_registration_cleanly() {
    let env = Env::new();
    let dir = env.input("overflow");
    std::fs::create_dir_all(&dir).unwrap();
    let mut train = String::from("id,x,y\n");
    for i in 0..100 {
        train.push_str(&format!("{i},{},{}\n", i * 3, i % 7));
    }
    std::fs::write(dir.join("train.csv"), train).unwrap();
    // Enough rows for the embedded store to compute test_features in slices;
    // the overflowing row is in the last one.
    let mut test = String::from("id,x,y\n");
    for i in 0..30_000i64 {
        let x = if i == 29_000 { i64::MIN } else { i };
        test.push_str(&format!("{i},{x},0\n"));
    }
    std::fs::write(dir.join("test.csv"), test).unwrap();
    let features = env.write(
        "overflow.yaml",
        "features:\n  - name: spread\n    type: integer\n    expression: 'abs(\"x\" - \"y\")'\n",
    );
    let output = env
        .cmd()
        .env("MDM_PERFORMANCE_WORKERS", "3")
        .args(["dataset", "register", "overflow", dir.to_str().unwrap()])
        .args(["--features-file", features.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(6), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(
        !stderr.contains("_mdm_fill"),
        "names a scratch file: {stderr}"
    );
    assert!(
        env.stored().is_empty(),
        "nothing published, nothing left behind: {:?}",
        env.stored()
    );
    assert_eq!(env.json(&["dataset", "list"]), serde_json::json!([]));
}

#[test]
fn custom_features_are_validated_and_computed_after_the_generic_ones() {
    let env = Env::new();
    let data = env.write(
        "d.csv",
        "id,width,height,name\n1,2,3.5,x\n2,4,1.5,y\n3,6,2.0,z\n",
    );
    let good = env.write(
        "good.yaml",
        "features:\n  - name: area\n    expression: '\"width\" * \"height\"'\n  - name: wide\n    type: integer\n    expression: 'CASE WHEN \"width\" > 3 THEN 1 ELSE 0 END'\n",
    );
    env.ok(&[
        "dataset",
        "register",
        "shapes",
        data.to_str().unwrap(),
        "--features-file",
        good.to_str().unwrap(),
    ]);
    let (header, rows) = exported(&env, "shapes", "train_features");
    assert_eq!(
        header.last().map(String::as_str),
        Some("wide"),
        "{header:?}"
    );
    assert_eq!(number(&rows["1"]["area"]), Some(7.0));
    assert_eq!(number(&rows["3"]["area"]), Some(12.0));
    assert_eq!(number(&rows["2"]["wide"]), Some(1.0));

    let unknown = env.write(
        "unknown.yaml",
        "features:\n  - name: bad_one\n    expression: '\"depth\" * 2'\n",
    );
    let err = env.fails(
        &[
            "dataset",
            "register",
            "s2",
            data.to_str().unwrap(),
            "--features-file",
            unknown.to_str().unwrap(),
        ],
        2,
    );
    assert!(err.contains("bad_one"), "{err}");
    let injected = env.write(
        "inj.yaml",
        "features:\n  - name: evil\n    expression: '1); DROP TABLE \"train\"; --'\n",
    );
    let err = env.fails(
        &[
            "dataset",
            "register",
            "s3",
            data.to_str().unwrap(),
            "--features-file",
            injected.to_str().unwrap(),
        ],
        2,
    );
    assert!(err.contains("evil") && err.contains("inj.yaml"), "{err}");
    assert!(!env.data_exists("s2") && !env.data_exists("s3"));
    // The dataset's default file is picked up by a regeneration.
    let default = env.home().join("config/custom_features/shapes.yaml");
    std::fs::create_dir_all(default.parent().unwrap()).unwrap();
    std::fs::write(
        &default,
        "features:\n  - name: half_width\n    expression: '\"width\" / 2.0'\n",
    )
    .unwrap();
    env.ok(&["dataset", "features", "shapes", "--regenerate"]);
    let (header, rows) = exported(&env, "shapes", "train_features");
    assert!(
        header.contains(&"half_width".to_string()) && !header.contains(&"area".to_string()),
        "{header:?}"
    );
    assert_eq!(number(&rows["3"]["half_width"]), Some(3.0));
}

#[test]
fn feature_configuration_errors_name_the_key() {
    let env = Env::new();
    env.write_config("feature_engineering:\n  binning:\n    n_bins: [1]\n");
    let err = env.fails(&["dataset", "list"], 7);
    assert!(err.contains("feature_engineering.binning.n_bins"), "{err}");
    env.write_config("feature_engineering:\n  categorical:\n    min_frequency: 2\n");
    let err = env.fails(&["dataset", "list"], 7);
    assert!(
        err.contains("feature_engineering.categorical.min_frequency"),
        "{err}"
    );
}

/// `temporal.include_lag`: lags and a rolling mean of earlier rows, in
/// time order within each group, checked against a computation over the
/// file itself; rows are written to the file out of time order.
#[test]
fn lag_features_look_only_at_earlier_rows_of_their_group() {
    let env = Env::new();
    let backend = match env.profile {
        Profile::Duckdb => "database:\n  default_backend: duckdb\n".to_string(),
        Profile::SqliteOdbc => "database:\n  sqlite:\n    odbc: { driver: MDM SQLite3 }\n".to_string(),
        Profile::Postgresql => format!(
            "database:\n  default_backend: postgresql\n  postgresql:\n    host: 127.0.0.1\n    user: postgres\n    database_prefix: {}\n",
            env.prefix
        ),
        Profile::Embedded => String::new(),
    };
    env.write_config(&format!(
        "{backend}feature_engineering:\n  temporal:\n    include_lag: true\n    lag_periods: [1, 3]\n    rolling_window: 2\n"
    ));
    // (store, day, units): three stores over 40 days, written shuffled.
    let mut rows: Vec<(String, u32, i64)> = Vec::new();
    for store in ["a", "b", "c"] {
        for day in 1..=40u32 {
            let units = i64::from((day * 7919 + store.as_bytes()[0] as u32 * 104_729) % 97);
            rows.push((store.to_string(), day, units));
        }
    }
    let mut shuffled = rows.clone();
    let mut state = 12345u64;
    for i in (1..shuffled.len()).rev() {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        shuffled.swap(i, (state >> 33) as usize % (i + 1));
    }
    let mut text = String::from("store,day,units,price\n");
    for (store, day, units) in &shuffled {
        let date = format!("2024-{:02}-{:02}", 1 + (day - 1) / 28, 1 + (day - 1) % 28);
        text.push_str(&format!("{store},{date},{units},{}.5\n", units % 10));
    }
    let file = env.write("sales.csv", text);
    env.ok(&[
        "-q",
        "dataset",
        "register",
        "sales",
        file.to_str().unwrap(),
        "--target",
        "price",
        "--time-column",
        "day",
        "--group-column",
        "store",
    ]);
    let out = env.ok(&[
        "-q",
        "dataset",
        "query",
        "sales",
        "SELECT t.store, t.units, f.units_lag_1, f.units_lag_3, f.units_rolling_mean_2, f.day_day \
         FROM train t JOIN train_features f ON t._mdm_row = f._mdm_row ORDER BY t.store, t.day",
        "--format",
        "csv",
    ]);
    let got: Vec<Vec<String>> = out
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    assert_eq!(got.len(), 120);
    let num = |cell: &str| -> Option<f64> { (!cell.is_empty()).then(|| cell.parse().unwrap()) };
    for (index, row) in got.iter().enumerate() {
        let (store, _, units) = &rows[index];
        assert_eq!(&row[0], store);
        assert_eq!(num(&row[1]), Some(*units as f64));
        let position = index % 40;
        let earlier = |k: usize| (position >= k).then(|| rows[index - k].2 as f64);
        assert_eq!(num(&row[2]), earlier(1), "row {index}: lag 1");
        assert_eq!(num(&row[3]), earlier(3), "row {index}: lag 3");
        let window: Vec<f64> = (1..=2).filter_map(earlier).collect();
        let mean = (!window.is_empty()).then(|| window.iter().sum::<f64>() / window.len() as f64);
        match (num(&row[4]), mean) {
            (Some(a), Some(b)) => assert!(
                (a - b).abs() < 1e-9,
                "row {index}: rolling mean {a} against {b}"
            ),
            (a, b) => assert_eq!(a, b, "row {index}: rolling mean"),
        }
        assert!(num(&row[5]).is_some(), "calendar features stay");
    }
    let names: Vec<String> = env
        .columns("sales", "train_features")
        .into_iter()
        .map(|c| c.0)
        .collect();
    assert!(
        !names.iter().any(|n| n.starts_with("price_lag")),
        "the target gets no lags: {names:?}"
    );
    let info = env.ok(&["dataset", "info", "sales", "--show-features"]);
    assert!(info.contains("units_lag_1"), "{info}");
}
