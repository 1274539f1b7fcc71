//! Finding the table in irregular delimited files (tests/corpus/tables/,
//! written by scripts/gen_corpus.py): each file must produce exactly the
//! table in its `.expected.csv`, on every backend profile; rows that do not
//! fit are an error naming file, line and counts, or kept in `_rejects`.

use std::path::{Path, PathBuf};

use crate::common::Env;

fn tables_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/tables")
}

fn register(env: &Env, name: &str, path: &Path, extra: &[&str]) {
    let mut args = vec![
        "-q",
        "dataset",
        "register",
        name,
        path.to_str().unwrap(),
        "--no-features",
    ];
    args.extend_from_slice(extra);
    env.ok(&args);
}

fn exported(env: &Env, name: &str) -> String {
    env.ok(&[
        "-q", "dataset", "export", name, "--table", "train", "--output", "-", "--format", "csv",
    ])
}

#[test]
fn every_irregular_corpus_file_produces_its_exact_table() {
    let env = Env::new();
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(tables_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_str().unwrap();
            !name.ends_with(".expected.csv") && !name.ends_with(".args")
        })
        .collect();
    inputs.sort();
    assert!(inputs.len() >= 25, "{inputs:?}");
    let mut failures = Vec::new();
    for (index, input) in inputs.iter().enumerate() {
        let stem = input.file_stem().unwrap().to_str().unwrap();
        let args = std::fs::read_to_string(input.with_file_name(format!("{stem}.args")))
            .unwrap_or_default();
        let args: Vec<&str> = args.lines().collect();
        let expected =
            std::fs::read_to_string(input.with_file_name(format!("{stem}.expected.csv"))).unwrap();
        let name = format!("t{index}");
        register(&env, &name, input, &args);
        let table = exported(&env, &name);
        if table != expected {
            failures.push(format!("{stem}:\n{table}\nexpected:\n{expected}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn what_was_detected_is_recorded_and_shown_by_info() {
    let env = Env::new();
    let path = tables_dir().join("portal_preamble_footer.csv");
    register(&env, "portal", &path, &[]);
    let info = env.json(&["dataset", "info", "portal"]);
    let read = &info["ingest"]["train"];
    assert_eq!(read["delimiter"], ",");
    assert_eq!(read["encoding"], "UTF-8");
    assert_eq!(read["skip_rows"], 3);
    assert_eq!(read["header_rows"], 1);
    assert_eq!(read["ignored_from_line"], 10);
    assert_eq!(read["rows_loaded"], 4);
    let text = env.ok(&["dataset", "info", "portal"]);
    assert!(
        text.contains("lines 1-3 skipped before the table"),
        "{text}"
    );
    assert!(text.contains("footer from line 10 not loaded"), "{text}");

    let path = tables_dir().join("excel_cp1252_semicolon.csv");
    register(&env, "excel", &path, &[]);
    let read = &env.json(&["dataset", "info", "excel"])["ingest"]["train"];
    assert_eq!(read["encoding"], "windows-1252");
    assert_eq!(read["delimiter"], ";");
    assert_eq!(read["line_terminator"], "CRLF");
    assert_eq!(read["decimal_comma_columns"][0], "area");
    assert_eq!(env.column_type("excel", "train", "area"), "float");
}

#[test]
fn a_bad_row_stops_registration_with_file_line_counts_and_the_hint() {
    let env = Env::new();
    let path = env.write("ragged.csv", "id,a,b\n1,x,2\n2,y\n3,z,4\n");
    let stderr = env.fails(
        &["dataset", "register", "ragged", path.to_str().unwrap()],
        1,
    );
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("ragged.csv: line 3: expected 3 fields like the first row, found 2")
            && stderr.contains("--bad-rows skip"),
        "{stderr}"
    );
    assert!(env.stored().is_empty());
}

#[test]
fn skipped_rows_are_kept_in_rejects_with_their_line_and_reason() {
    let env = Env::new();
    let path = tables_dir().join("bad_rows_skip.csv");
    register(&env, "skip", &path, &["--bad-rows", "skip"]);
    assert_eq!(env.scalar("skip", "SELECT COUNT(*) FROM train"), "2");
    assert_eq!(env.scalar("skip", "SELECT COUNT(*) FROM _rejects"), "2");
    assert_eq!(
        env.scalar("skip", "SELECT raw FROM _rejects WHERE line = 4"),
        "3,z,4,extra"
    );
    assert_eq!(
        env.scalar("skip", "SELECT reason FROM _rejects WHERE line = 3"),
        "expected 3 fields, found 2"
    );
    let read = &env.json(&["dataset", "info", "skip"])["ingest"]["train"];
    assert_eq!(
        (read["rows_loaded"].as_u64(), read["rows_rejected"].as_u64()),
        (Some(2), Some(2))
    );

    // `pad` keeps the short row with a NULL; the long one still goes to _rejects.
    register(&env, "pad", &path, &["--bad-rows", "pad"]);
    assert_eq!(env.scalar("pad", "SELECT COUNT(*) FROM train"), "3");
    assert_eq!(
        env.scalar("pad", "SELECT COUNT(*) FROM train WHERE b IS NULL"),
        "1"
    );
    assert_eq!(env.scalar("pad", "SELECT line FROM _rejects"), "4");
    let text = env.ok(&["dataset", "info", "pad"]);
    assert!(text.contains("3 loaded, 1 padded, 1 rejected"), "{text}");
}

#[test]
fn validation_bad_rows_in_the_configuration_is_the_default() {
    let env = Env::new();
    let path = tables_dir().join("bad_rows_skip.csv");
    let output = env
        .cmd()
        .env("MDM_VALIDATION_BAD_ROWS", "skip")
        .args([
            "-q",
            "dataset",
            "register",
            "cfg",
            path.to_str().unwrap(),
            "--no-features",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(env.scalar("cfg", "SELECT COUNT(*) FROM _rejects"), "2");
    let output = env
        .cmd()
        .env("MDM_VALIDATION_BAD_ROWS", "sometimes")
        .args(["dataset", "register", "bad", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(7));
    assert!(String::from_utf8_lossy(&output.stderr).contains("bad_rows"));
}

#[test]
fn forced_settings_win_and_invalid_ones_are_argument_errors() {
    let env = Env::new();
    let latin1 = env.write("latin1.csv", b"id,name\n1,ok\n2,caf\xe9\n");
    let stderr = env.fails(
        &[
            "dataset",
            "register",
            "forced",
            latin1.to_str().unwrap(),
            "--encoding",
            "utf-8",
        ],
        1,
    );
    assert!(
        stderr.contains("latin1.csv: line 3, column 'name': invalid UTF-8"),
        "{stderr}"
    );
    assert!(env.stored().is_empty());
    let stderr = env.fails(
        &[
            "dataset",
            "register",
            "x",
            latin1.to_str().unwrap(),
            "--encoding",
            "klingon",
        ],
        2,
    );
    assert!(stderr.contains("klingon"), "{stderr}");
    let stderr = env.fails(
        &[
            "dataset",
            "register",
            "x",
            latin1.to_str().unwrap(),
            "--bad-rows",
            "drop",
        ],
        2,
    );
    assert!(stderr.contains("error, skip, pad"), "{stderr}");
}

#[test]
fn files_once_refused_for_their_encoding_or_quotes_now_load_exactly() {
    let env = Env::new();
    let corpus = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    register(&env, "latin", &corpus.join("latin1.csv"), &[]);
    assert_eq!(env.scalar("latin", "SELECT city FROM train"), "München");
    register(&env, "wide", &corpus.join("utf16_bom.csv"), &[]);
    assert_eq!(env.scalar("wide", "SELECT text FROM train"), "x");
    // A quote that opens a field and never closes, in a file without other
    // quoted fields: quoting is off and the quote is a character.
    register(&env, "quote", &corpus.join("unterminated_quote.csv"), &[]);
    assert_eq!(
        env.scalar("quote", "SELECT text FROM train WHERE id = 2"),
        "\"never closed"
    );
    assert_eq!(
        env.json(&["dataset", "info", "quote"])["ingest"]["train"]["quote"],
        serde_json::Value::Null
    );
}

#[test]
fn the_export_sidecar_carries_the_read_settings_and_forces_them() {
    let env = Env::new();
    let data = env.write("orig.csv", "a,b\n1,x\n2,y\n3,z\n");
    env.ok(&[
        "dataset",
        "register",
        "orig",
        data.to_str().unwrap(),
        "--no-features",
    ]);
    let out = env.dir.path().join("out");
    env.ok(&[
        "dataset",
        "export",
        "orig",
        "--output-dir",
        out.to_str().unwrap(),
    ]);
    let sidecar_path = out.join("orig_metadata.yaml");
    let sidecar = std::fs::read_to_string(&sidecar_path).unwrap();
    assert!(
        sidecar.contains("read:") && sidecar.contains("delimiter: ','"),
        "{sidecar}"
    );

    // The same table written another way, described by the sidecar's keys.
    std::fs::write(
        out.join("train.csv"),
        "exported by hand\na;b\n1;x\n2;y\n3;z\n",
    )
    .unwrap();
    let forced = sidecar
        .replace("delimiter: ','", "delimiter: ;")
        .replace("skip_rows: 0", "skip_rows: 1");
    std::fs::write(&sidecar_path, &forced).unwrap();
    env.ok(&[
        "dataset",
        "register",
        "again",
        out.to_str().unwrap(),
        "--no-features",
    ]);
    let info = env.json(&["dataset", "info", "again"]);
    assert_eq!(info["tables"][0]["rows"], 3, "{info}");
    assert_eq!(
        env.ok(&["dataset", "export", "again", "--table", "train", "--output", "-"]),
        "a,b\n1,x\n2,y\n3,z\n"
    );

    // A value the flag would refuse names the file and the key.
    std::fs::write(
        &sidecar_path,
        forced.replace("delimiter: ;", "delimiter: ab"),
    )
    .unwrap();
    let stderr = env.fails(
        &[
            "dataset",
            "register",
            "bad",
            out.to_str().unwrap(),
            "--no-features",
        ],
        2,
    );
    assert!(
        stderr.contains("orig_metadata.yaml: read.delimiter"),
        "{stderr}"
    );
    assert!(env
        .fails(&["dataset", "info", "bad"], 3)
        .contains("not found"));
}

/// `--bad-rows pad` counts rows by the same rule in both passes: more than
/// a footer's worth of irregular rows, with and without a blank line before
/// them, then the table again (these once made a false "the file changed").
#[test]
fn long_runs_of_ragged_rows_are_padded_and_rejected_by_one_rule() {
    let env = Env::new();
    let row = |width: usize, seed: usize| -> String {
        (0..width)
            .map(|j| ((seed * 7 + j * 3) % 10).to_string())
            .collect::<Vec<_>>()
            .join(",")
    };
    for (name, gap) in [("nogap", false), ("gap", true)] {
        let mut text = String::from("a,b,c,d,e,f,g,h,i\n");
        for r in 0..160 {
            text.push_str(&row(9, r));
            text.push('\n');
        }
        if gap {
            text.push('\n');
        }
        // 50 long rows fill the footer buffer; the short ones after it
        // are padded.
        for r in 0..50 {
            text.push_str(&row(10, r));
            text.push('\n');
        }
        for (r, width) in [8, 12, 7, 8].into_iter().enumerate() {
            text.push_str(&row(width, r));
            text.push('\n');
        }
        for r in 0..20 {
            text.push_str(&row(9, r));
            text.push('\n');
        }
        let path = env.write(&format!("{name}.csv"), text);
        env.ok(&[
            "-q",
            "dataset",
            "register",
            name,
            path.to_str().unwrap(),
            "--bad-rows",
            "pad",
            "--no-features",
        ]);
        let info = env.json(&["dataset", "info", name]);
        assert_eq!(info["tables"][0]["rows"], 183, "{name}");
        let outcome = &info["ingest"]["train"];
        assert_eq!(outcome["rows_padded"], 3, "{name}: {outcome}");
        assert_eq!(outcome["rows_rejected"], 51, "{name}: {outcome}");
        assert_eq!(env.scalar(name, "SELECT COUNT(*) FROM _rejects"), "51");
    }
}
