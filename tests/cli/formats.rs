//! Every format `register` reads: exports of every format and compression
//! registered again (same tables, types, roles and values), and files
//! written by other tools (pyarrow, pandas, openpyxl; `python3` with those
//! packages, installed by scripts/test.sh), plus the hostile ones: each a
//! one-line error, nothing stored, nothing left behind.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::common::{assert_same_dataset, titanic, Env};

/// Runs a Python script (pyarrow, pandas, openpyxl) in `dir`.
fn python(dir: &Path, script: &str) {
    let output = std::process::Command::new("python3")
        .current_dir(dir)
        .args(["-c", script])
        .output()
        .expect("python3");
    assert!(
        output.status.success(),
        "python: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn hostile_csv(env: &Env) -> PathBuf {
    let long = "x".repeat(100_000);
    env.write(
        "hostile.csv",
        format!(
            "id,text,big,real,day,moment,flag\n\
             1,\"comma, quote \"\" and\nnewline\",9223372036854775807,1e308,2024-02-29,2024-02-29 23:59:59.123456,true\n\
             2,ünïcødé ✓ 日本,-9223372036854775808,-0.0,1970-01-01,1969-12-31 23:59:59,false\n\
             3,,,,,,\n\
             4,{long},0,2.2250738585072014e-308,0001-01-01,2038-01-19 03:14:08,TRUE\n\
             5,00123,42,-1.5e-300,9999-12-31,2000-01-01 00:00:00,false\n"
        ),
    )
}

#[test]
fn exports_in_every_format_and_compression_register_as_the_same_dataset() {
    let env = Env::new();
    env.ok(&[
        "dataset",
        "register",
        "titanic",
        titanic().to_str().unwrap(),
        "--target",
        "Survived",
        "--tags",
        "ships",
        "--description",
        "copy me",
        "--no-features",
    ]);
    let hostile = hostile_csv(&env);
    env.ok(&[
        "dataset",
        "register",
        "hostile",
        hostile.to_str().unwrap(),
        "--text-columns",
        "text",
        "--no-features",
    ]);
    let pairs = [
        ("csv", "none"),
        ("csv", "gzip"),
        ("csv", "zstd"),
        ("csv", "zip"),
        ("json", "none"),
        ("json", "gzip"),
        ("json", "zstd"),
        ("json", "zip"),
        ("parquet", "none"),
        ("parquet", "gzip"),
        ("parquet", "zstd"),
    ];
    for dataset in ["titanic", "hostile"] {
        for (format, compression) in pairs {
            let dir = env
                .dir
                .path()
                .join(format!("{dataset}-{format}-{compression}"));
            env.ok(&[
                "dataset",
                "export",
                dataset,
                "--output-dir",
                dir.to_str().unwrap(),
                "--format",
                format,
                "--compression",
                compression,
            ]);
            let copy = format!("{dataset}-{format}-{compression}");
            env.ok(&[
                "dataset",
                "register",
                &copy,
                dir.to_str().unwrap(),
                "--no-features",
            ]);
            assert_same_dataset(&env, dataset, &copy);
        }
    }
    // Parquet keeps an empty string apart from NULL, and every digit.
    assert_eq!(
        env.scalar(
            "hostile-parquet-zstd",
            "SELECT length(\"text\") FROM \"train\" WHERE \"id\" = 4"
        ),
        "100000"
    );
}

#[test]
fn a_single_exported_file_registers_with_its_sidecar() {
    let env = Env::new();
    env.ok(&[
        "dataset",
        "register",
        "titanic",
        titanic().to_str().unwrap(),
        "--target",
        "Survived",
        "--no-features",
    ]);
    for file in ["train.parquet", "train.jsonl.zst", "train.csv.zip"] {
        let dir = env.dir.path().join(format!("single-{file}"));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(file);
        env.ok(&[
            "dataset",
            "export",
            "titanic",
            "--table",
            "train",
            "--output",
            path.to_str().unwrap(),
            "--include-metadata",
        ]);
        let copy = format!("copy-{}", file.replace('.', "-"));
        env.ok(&[
            "dataset",
            "register",
            &copy,
            path.to_str().unwrap(),
            "--no-features",
        ]);
        assert_eq!(
            env.columns("titanic", "train"),
            env.columns(&copy, "train"),
            "{file}"
        );
        assert_eq!(
            env.rows("titanic", "train"),
            env.rows(&copy, "train"),
            "{file}"
        );
        assert_eq!(env.json(&["dataset", "info", &copy])["target"], "Survived");
    }
}

#[test]
fn parquet_from_pyarrow_keeps_its_types_in_every_compression() {
    let env = Env::new();
    let dir = env.dir.path().join("pyarrow");
    std::fs::create_dir_all(&dir).unwrap();
    python(
        &dir,
        r#"
import datetime as dt, decimal
import numpy as np, pandas as pd, pyarrow as pa, pyarrow.parquet as pq
table = pa.table({
    "i8": pa.array([1, -128, None], pa.int8()),
    "u32": pa.array([0, 4294967295, 7], pa.uint32()),
    "u64": pa.array([1, 9223372036854775807, None], pa.uint64()),
    "f32": pa.array([0.5, None, -1.25], pa.float32()),
    "ok": pa.array([True, None, False]),
    "d32": pa.array([dt.date(2024, 2, 29), dt.date(1, 1, 1), None], pa.date32()),
    "d64": pa.array([dt.date(1970, 1, 2), None, dt.date(9999, 12, 31)], pa.date64()),
    "ts_s": pa.array([0, 1, None], pa.timestamp("s")),
    "ts_ns_tz": pa.array([1_700_000_000_123_456_789, None, -1_000], pa.timestamp("ns", tz="America/New_York")),
    "dec0": pa.array([decimal.Decimal("12345678901234567"), None, decimal.Decimal("-1")], pa.decimal128(18, 0)),
    "dec2": pa.array([decimal.Decimal("1.25"), decimal.Decimal("-0.50"), None], pa.decimal128(10, 2)),
    "s": pa.array(["a", "", None], pa.string()),
    "ls": pa.array(["ü", None, "x" * 1000], pa.large_string()),
    "cat": pa.array(["low", "high", "low"]).dictionary_encode(),
    "raw": pa.array([b"\x00\xff", None, b""], pa.binary()),
})
for codec in ["snappy", "gzip", "brotli", "zstd", "lz4", "none"]:
    pq.write_table(table, f"t_{codec}.parquet", compression=codec)
pd.DataFrame({"color": pd.Categorical(["red", "blue", "red"]), "n": [1, 2, 3]}).to_parquet("pandas.parquet")
"#,
    );
    for codec in ["snappy", "gzip", "brotli", "zstd", "lz4", "none"] {
        let name = format!("p-{codec}");
        let path = dir.join(format!("t_{codec}.parquet"));
        env.ok(&[
            "dataset",
            "register",
            &name,
            path.to_str().unwrap(),
            "--no-features",
        ]);
        let types: Vec<(String, String)> = env.columns(&name, "train");
        let expected = [
            ("i8", "integer"),
            ("u32", "integer"),
            ("u64", "integer"),
            ("f32", "float"),
            ("ok", "boolean"),
            ("d32", "date"),
            ("d64", "date"),
            ("ts_s", "datetime"),
            ("ts_ns_tz", "datetime"),
            ("dec0", "integer"),
            ("dec2", "float"),
            ("s", "text"),
            ("ls", "text"),
            ("cat", "text"),
            ("raw", "text"),
        ];
        assert_eq!(
            types,
            expected
                .iter()
                .map(|(n, t)| (n.to_string(), t.to_string()))
                .collect::<Vec<_>>(),
            "{codec}"
        );
        let sql = |q: &str| env.scalar(&name, q);
        assert_eq!(
            sql("SELECT \"u64\" FROM \"train\" WHERE \"i8\" = -128"),
            "9223372036854775807"
        );
        assert_eq!(
            sql("SELECT \"u32\" FROM \"train\" WHERE \"i8\" = -128"),
            "4294967295"
        );
        assert_eq!(
            sql("SELECT \"dec0\" FROM \"train\" WHERE \"i8\" = 1"),
            "12345678901234567"
        );
        assert_eq!(
            sql("SELECT COUNT(*) FROM \"train\" WHERE \"dec2\" = -0.5 AND \"f32\" IS NULL"),
            "1"
        );
        assert_eq!(
            sql("SELECT COUNT(*) FROM \"train\" WHERE \"s\" = '' AND \"raw\" IS NULL"),
            "1"
        );
        assert_eq!(
            sql("SELECT \"raw\" FROM \"train\" WHERE \"i8\" = 1"),
            "00ff"
        );
        assert_eq!(
            sql("SELECT COUNT(*) FROM \"train\" WHERE \"cat\" = 'low'"),
            "2"
        );
        assert_eq!(
            sql("SELECT COUNT(*) FROM \"train\" WHERE CAST(\"d32\" AS TEXT) = '2024-02-29' AND CAST(\"d64\" AS TEXT) = '1970-01-02'"),
            "1"
        );
        // 1_700_000_000_123_456_789 ns is 2023-11-14 22:13:20.123456 UTC.
        assert_eq!(
            sql("SELECT COUNT(*) FROM \"train\" WHERE CAST(\"ts_ns_tz\" AS TEXT) = '2023-11-14 22:13:20.123456'"),
            "1"
        );
    }
    let pandas = dir.join("pandas.parquet");
    env.ok(&[
        "dataset",
        "register",
        "categories",
        pandas.to_str().unwrap(),
        "--no-features",
    ]);
    assert_eq!(env.column_type("categories", "train", "color"), "text");
    assert_eq!(env.column_type("categories", "train", "n"), "integer");
}

#[test]
fn json_and_excel_from_pandas_keep_their_types() {
    let env = Env::new();
    let dir = env.dir.path().join("pandas");
    std::fs::create_dir_all(&dir).unwrap();
    python(
        &dir,
        r#"
import datetime as dt
import pandas as pd
frame = pd.DataFrame({
    "id": [1, 2, 3],
    "score": [0.5, None, 2.0],
    "name": ["ann", "bob", None],
    "zip": ["00123", "02134", "10001"],
    "when": pd.to_datetime(["2024-01-01 10:30:00", "2024-01-02 00:00:00", None]),
    "day": pd.to_datetime(["2024-03-01", "2024-03-02", "2024-03-03"]),
    "ok": [True, False, True],
})
frame.to_json("records.json", orient="records", date_format="iso")
frame.to_json("lines.jsonl", orient="records", lines=True, date_format="iso")
frame.to_excel("book.xlsx", index=False, sheet_name="first")
with pd.ExcelWriter("two.xlsx") as writer:
    frame.to_excel(writer, sheet_name="first", index=False)
    pd.DataFrame({"other": ["x", "y"]}).to_excel(writer, sheet_name="second", index=False)
"#,
    );
    std::fs::write(
        dir.join("nested.json"),
        "[{\"a\": 1, \"tags\": [\"x\", \"y\"], \"more\": {\"k\": null}}, {\"a\": 2}]",
    )
    .unwrap();
    for (name, file) in [
        ("records", "records.json"),
        ("lines", "lines.jsonl"),
        ("book", "book.xlsx"),
    ] {
        env.ok(&[
            "dataset",
            "register",
            name,
            dir.join(file).to_str().unwrap(),
            "--no-features",
        ]);
        assert_eq!(env.column_type(name, "train", "id"), "integer", "{file}");
        assert_eq!(env.column_type(name, "train", "score"), "float", "{file}");
        assert_eq!(env.column_type(name, "train", "name"), "text", "{file}");
        assert_eq!(env.column_type(name, "train", "zip"), "text", "{file}");
        assert_eq!(env.column_type(name, "train", "when"), "datetime", "{file}");
        assert_eq!(env.column_type(name, "train", "ok"), "boolean", "{file}");
        assert_eq!(
            env.scalar(name, "SELECT \"zip\" FROM \"train\" WHERE \"id\" = 1"),
            "00123"
        );
        assert_eq!(
            env.scalar(
                name,
                "SELECT COUNT(*) FROM \"train\" WHERE CAST(\"when\" AS TEXT) LIKE '2024-01-01 10:30:00%'"
            ),
            "1",
            "{file}"
        );
    }
    assert_eq!(env.column_type("book", "train", "day"), "date");
    env.ok(&[
        "dataset",
        "register",
        "second",
        dir.join("two.xlsx").to_str().unwrap(),
        "--sheet",
        "second",
        "--no-features",
    ]);
    assert_eq!(env.columns("second", "train").len(), 1);
    let err = env.fails(
        &[
            "dataset",
            "register",
            "third",
            dir.join("two.xlsx").to_str().unwrap(),
            "--sheet",
            "third",
        ],
        2,
    );
    assert!(
        err.contains("no sheet 'third'") && err.contains("first, second"),
        "{err}"
    );
    env.ok(&[
        "dataset",
        "register",
        "nested",
        dir.join("nested.json").to_str().unwrap(),
        "--no-features",
    ]);
    assert_eq!(
        env.scalar("nested", "SELECT \"tags\" FROM \"train\" WHERE \"a\" = 1"),
        "[\"x\",\"y\"]"
    );
    assert_eq!(
        env.scalar("nested", "SELECT \"more\" FROM \"train\" WHERE \"a\" = 2"),
        "NULL"
    );
}

fn zip_file(path: &Path, entries: &[(&str, &[u8])]) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    for (name, content) in entries {
        zip.start_file(*name, options).unwrap();
        zip.write_all(content).unwrap();
    }
    zip.finish().unwrap();
}

#[test]
fn zipped_folders_compressed_files_and_plain_folders_register() {
    let env = Env::new();
    let train = std::fs::read(titanic().join("train.csv")).unwrap();
    let test = std::fs::read(titanic().join("test.csv")).unwrap();
    let submission = std::fs::read(titanic().join("sample_submission.csv")).unwrap();
    let zipped = env.input("titanic.zip");
    zip_file(
        &zipped,
        &[
            ("titanic/train.csv", &train),
            ("titanic/test.csv", &test),
            ("titanic/sample_submission.csv", &submission),
            ("__MACOSX/._train.csv", b"\x00\x05\x16\x07"),
        ],
    );
    let out = env.ok(&["dataset", "register", "zipped", zipped.to_str().unwrap()]);
    let _ = out;
    let info = env.json(&["dataset", "info", "zipped"]);
    assert_eq!(info["tables"].as_array().unwrap().len(), 3, "{info}");
    // No --target: the sample submission names it.
    assert_eq!(info["target"], "Survived");
    env.ok(&[
        "dataset",
        "register",
        "plain",
        titanic().to_str().unwrap(),
        "--target",
        "Survived",
    ]);
    assert_eq!(env.rows("plain", "train"), env.rows("zipped", "train"));

    for (suffix, tool) in [(".bz2", "bzip2"), (".xz", "xz")] {
        let path = env.write(&format!("train.csv{suffix}"), b"");
        let status = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!(
                "{tool} -c < '{}' > '{}'",
                titanic().join("train.csv").display(),
                path.display()
            ))
            .status()
            .unwrap();
        assert!(status.success());
        let name = format!("c{}", &suffix[1..]);
        env.ok(&[
            "dataset",
            "register",
            &name,
            path.to_str().unwrap(),
            "--no-features",
        ]);
        assert_eq!(env.rows("plain", "train"), env.rows(&name, "train"));
    }

    let folder = env.dir.path().join("tables");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("Sales 2024.csv"), "a,b\n1,x\n2,y\n").unwrap();
    std::fs::write(folder.join("stores.jsonl"), "{\"id\": 1}\n{\"id\": 2}\n").unwrap();
    env.ok(&["dataset", "register", "tables", folder.to_str().unwrap()]);
    let info = env.json(&["dataset", "info", "tables"]);
    let names: Vec<&str> = info["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["sales_2024", "stores"]);
    // Nothing unpacked is left behind.
    assert!(
        env.stored().iter().all(|n| !n.starts_with(".unpack")),
        "{:?}",
        env.stored()
    );
}

/// Asserts a registration fails with `code`, a one-line message holding
/// every `needle`, and stores nothing.
fn refused(env: &Env, path: &Path, extra: &[&str], code: i32, needles: &[&str]) {
    let mut args = vec!["dataset", "register", "bad", path.to_str().unwrap()];
    args.extend_from_slice(extra);
    let err = env.fails(&args, code);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    for needle in needles {
        assert!(err.contains(needle), "{needle:?} not in {err}");
    }
    // Binary files never get an encoding hint.
    assert!(!err.contains("iconv"), "{err}");
    assert!(env.stored().is_empty(), "{:?}", env.stored());
    assert!(env
        .json(&["dataset", "list"])
        .as_array()
        .unwrap()
        .is_empty());
}

#[test]
fn hostile_files_are_refused_with_one_line_and_nothing_left() {
    let env = Env::new();
    let dir = env.dir.path().join("hostile");
    std::fs::create_dir_all(&dir).unwrap();
    python(
        &dir,
        r#"
import pyarrow as pa, pyarrow.parquet as pq
pq.write_table(pa.table({"a": list(range(1000)), "b": ["x"] * 1000}), "whole.parquet")
data = open("whole.parquet", "rb").read()
open("truncated.parquet", "wb").write(data[: len(data) // 2])
pq.write_table(pa.table({"id": [1, 2], "l": [[1, 2], [3]]}), "list.parquet")
pq.write_table(pa.table({"id": [1, 2], "s": [{"x": 1}, {"x": 2}]}), "struct.parquet")
pq.write_table(pa.table({"u": pa.array([1, 2**64 - 1], pa.uint64())}), "uint64.parquet")
"#,
    );
    refused(
        &env,
        &dir.join("truncated.parquet"),
        &[],
        1,
        &["truncated.parquet", "truncated Parquet file"],
    );
    refused(
        &env,
        &dir.join("list.parquet"),
        &[],
        1,
        &["column `l` has type LIST, which mdm cannot store"],
    );
    refused(
        &env,
        &dir.join("struct.parquet"),
        &[],
        1,
        &["column `s` has type STRUCT"],
    );
    refused(
        &env,
        &dir.join("uint64.parquet"),
        &[],
        1,
        &["row 2, column 'u'", "18446744073709551615"],
    );

    // A zip bomb: 128 MiB of zeros in a few hundred KiB.
    let bomb = dir.join("bomb.zip");
    {
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&bomb).unwrap());
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(true);
        zip.start_file("train.csv", options).unwrap();
        zip.write_all(b"a\n").unwrap();
        let zeros = vec![b'0'; 1 << 20];
        for _ in 0..128 {
            zip.write_all(&zeros).unwrap();
        }
        zip.finish().unwrap();
    }
    refused(&env, &bomb, &[], 1, &["bomb.zip", "past the limit of 200x"]);
    let small = dir.join("small.zip");
    zip_file(&small, &[("train.csv", b"a,b\n1,2\n3,4\n")]);
    refused(
        &env,
        &small,
        &["--max-unpacked-size", "8B"],
        1,
        &["small.zip", "more than the limit of 8"],
    );
    let escape = dir.join("escape.zip");
    zip_file(
        &escape,
        &[("train.csv", b"a\n1\n"), ("../../outside.csv", b"a\n1\n")],
    );
    refused(
        &env,
        &escape,
        &[],
        1,
        &[
            "escape.zip",
            "`../../outside.csv` points outside the archive",
        ],
    );
    assert!(!env.dir.path().join("outside.csv").exists());
    assert!(!dir.join("outside.csv").exists());

    // JSON: a 100 MB string, a lone surrogate, a truncated array.
    let huge = dir.join("huge.jsonl");
    {
        let mut file = std::io::BufWriter::new(std::fs::File::create(&huge).unwrap());
        file.write_all(b"{\"a\": 1, \"s\": \"x\"}\n{\"a\": 2, \"s\": \"")
            .unwrap();
        let chunk = vec![b'y'; 1 << 20];
        for _ in 0..100 {
            file.write_all(&chunk).unwrap();
        }
        file.write_all(b"\"}\n").unwrap();
    }
    refused(
        &env,
        &huge,
        &[],
        1,
        &["huge.jsonl", "line 2", "longer than 64 MiB"],
    );
    let array_huge = dir.join("huge.json");
    {
        let mut file = std::io::BufWriter::new(std::fs::File::create(&array_huge).unwrap());
        file.write_all(b"[{\"a\": 1},\n{\"s\": \"").unwrap();
        let chunk = vec![b'y'; 1 << 20];
        for _ in 0..100 {
            file.write_all(&chunk).unwrap();
        }
        file.write_all(b"\"}]").unwrap();
    }
    refused(
        &env,
        &array_huge,
        &[],
        1,
        &["huge.json", "line 2", "64 MiB"],
    );
    let surrogate = env.write(
        "hostile/surrogate.jsonl",
        "{\"a\": \"ok\"}\n{\"a\": \"\\ud800 alone\"}\n",
    );
    refused(
        &env,
        &surrogate,
        &[],
        1,
        &["surrogate.jsonl", "line 2", "surrogate"],
    );
    let open_array = env.write("hostile/open.json", "[{\"a\": 1}, {\"a\": 2}");
    refused(&env, &open_array, &[], 1, &["open.json", "not closed"]);
    let utf16 = env.write("hostile/utf16.json", b"\xff\xfe[\x00{\x00");
    let err = env.fails(&["dataset", "register", "bad", utf16.to_str().unwrap()], 1);
    assert!(
        err.contains("utf16.json") && err.contains("UTF-16"),
        "{err}"
    );
    assert!(env.stored().is_empty());

    // Binary formats mdm does not read are named, not sent to the CSV path.
    let feather = env.write("hostile/data.feather", b"ARROW1\x00\x00rest");
    refused(&env, &feather, &[], 1, &["data.feather", "Arrow IPC"]);
    let workbook = env.write("hostile/broken.xlsx", b"PK\x03\x04garbage");
    refused(&env, &workbook, &[], 1, &["broken.xlsx"]);
}

#[test]
fn an_excel_sheet_of_a_million_rows_streams() {
    let env = Env::new();
    let dir = env.dir.path().join("big");
    std::fs::create_dir_all(&dir).unwrap();
    // The most rows a sheet holds (1,048,576 with the header), written
    // in openpyxl's streaming mode.
    python(
        &dir,
        r#"
from openpyxl import Workbook
book = Workbook(write_only=True)
sheet = book.create_sheet("data")
sheet.append(["id", "value", "label"])
for i in range(1_048_575):
    sheet.append([i, i * 0.5, "abc"[i % 3]])
book.save("big.xlsx")
"#,
    );
    env.ok(&[
        "dataset",
        "register",
        "big",
        dir.join("big.xlsx").to_str().unwrap(),
        "--no-features",
    ]);
    assert_eq!(
        env.scalar("big", "SELECT COUNT(*) FROM \"train\""),
        "1048575"
    );
    assert_eq!(env.column_type("big", "train", "value"), "float");
}

#[test]
fn an_unpack_directory_left_by_a_killed_registration_is_removed_by_the_next() {
    let env = Env::new();
    let datasets = env.home().join("datasets");
    // A process id above Linux's largest: its owner is certainly gone.
    let leftover = datasets.join(".unpack-4294967-left");
    std::fs::create_dir_all(leftover.join("1-train.csv.zip")).unwrap();
    std::fs::write(leftover.join("1-train.csv.zip/train.csv"), "a\n1\n").unwrap();
    let train = std::fs::read(titanic().join("train.csv")).unwrap();
    let zipped = env.input("train.csv.zip");
    zip_file(&zipped, &[("train.csv", &train)]);
    env.ok(&[
        "dataset",
        "register",
        "z",
        zipped.to_str().unwrap(),
        "--no-features",
    ]);
    assert!(!leftover.exists());
    let unpack_dirs: Vec<String> = std::fs::read_dir(&datasets)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".unpack-"))
        .collect();
    assert!(unpack_dirs.is_empty(), "{unpack_dirs:?}");
}
