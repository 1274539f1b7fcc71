//! Property tests of the CSV sniffing and type-inference layer: the lattice
//! laws, parsers agreeing with the classifier, date round trips, and no
//! panic on arbitrary bytes. `PROPTEST_CASES=100000 cargo test --test
//! properties` runs a longer search; any failure becomes a corpus case.

use mdm::ingest::dialect::ReadOptions;
use mdm::ingest::encoding::{InvalidText, Transcoder};
use mdm::ingest::infer::{classify, Inferred};
use mdm::ingest::reader::sniff;
use mdm::model::parse::{parse_boolean, parse_float, parse_integer};
use mdm::time;
use proptest::prelude::*;

fn lattice() -> impl Strategy<Value = Inferred> {
    prop_oneof![
        Just(Inferred::Null),
        Just(Inferred::Boolean),
        Just(Inferred::Integer),
        Just(Inferred::Float),
        Just(Inferred::Date),
        Just(Inferred::Datetime),
        Just(Inferred::Text),
    ]
}

proptest! {
    #[test]
    fn join_is_a_semilattice(a in lattice(), b in lattice(), c in lattice()) {
        prop_assert_eq!(a.join(b), b.join(a));
        prop_assert_eq!(a.join(b).join(c), a.join(b.join(c)));
        prop_assert_eq!(a.join(a), a);
        prop_assert_eq!(a.join(Inferred::Null), a);
        prop_assert_eq!(a.join(Inferred::Text), Inferred::Text);
    }

    #[test]
    fn the_classifier_agrees_with_the_parsers(value in "\\PC{0,24}") {
        match classify(&value) {
            Inferred::Integer => prop_assert!(parse_integer(&value).is_some()),
            Inferred::Float => prop_assert!(parse_float(&value).is_some()),
            Inferred::Boolean => prop_assert!(parse_boolean(&value).is_some()),
            Inferred::Date => prop_assert!(time::parse_date(&value).is_some()),
            Inferred::Datetime => prop_assert!(time::parse_datetime(&value).is_some()),
            Inferred::Text | Inferred::Null => {}
        }
    }

    #[test]
    fn numbers_classify_as_numbers(i in any::<i64>(), f in any::<f64>().prop_filter("finite", |f| f.is_finite())) {
        prop_assert_eq!(classify(&i.to_string()), Inferred::Integer);
        let text = ryu::Buffer::new().format_finite(f).to_string();
        prop_assert!(matches!(classify(&text), Inferred::Float | Inferred::Integer), "{}", text);
        prop_assert_eq!(parse_float(&text).unwrap().to_bits(), f.to_bits());
    }

    #[test]
    fn timestamps_round_trip_through_their_text(micros in -62_135_596_800_000_000i64..253_402_300_799_999_999i64) {
        let text = time::format_datetime(micros);
        prop_assert_eq!(time::parse_datetime(&text), Some(micros));
        let days = micros.div_euclid(86_400_000_000) as i32;
        prop_assert_eq!(time::parse_date(&time::format_date(days)), Some(days));
    }

    #[test]
    fn sniffing_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("input.csv");
        std::fs::write(&path, &bytes).unwrap();
        // Ok or a clean error; a panic fails the test.
        let _ = sniff(&path, &ReadOptions::default());
        // The same bytes as UTF-16 (with a mark): sniffed without a panic.
        let mut utf16 = vec![0xff, 0xfe];
        utf16.extend_from_slice(&bytes);
        std::fs::write(&path, &utf16).unwrap();
        let _ = sniff(&path, &ReadOptions::default());
    }

    #[test]
    fn transcoding_hostile_utf16_is_exact_or_a_located_error(
        units in proptest::collection::vec(any::<u16>(), 0..512),
    ) {
        use std::io::Read;
        let bytes: Vec<u8> = units.iter().flat_map(|u| u.to_le_bytes()).collect();
        let mut text = String::new();
        let result = Transcoder::new(bytes.as_slice(), encoding_rs::UTF_16LE).read_to_string(&mut text);
        match (result, String::from_utf16(&units)) {
            (Ok(_), Ok(expected)) => prop_assert_eq!(text, expected),
            (Err(err), Err(_)) => {
                let invalid = err.get_ref().and_then(|e| e.downcast_ref::<InvalidText>());
                prop_assert!(invalid.is_some_and(|i| i.line >= 1 && i.column >= 1), "{err}");
            }
            (result, expected) => prop_assert!(false, "{result:?} vs {expected:?}"),
        }
    }

    #[test]
    fn sniffing_finds_the_delimiter_of_regular_files(
        delimiter in prop_oneof![Just(b','), Just(b'\t'), Just(b';'), Just(b'|')],
        rows in proptest::collection::vec(proptest::collection::vec(0i64..1000, 3), 2..20),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("input.txt");
        let sep = (delimiter as char).to_string();
        let mut text = ["alpha", "beta", "gamma"].join(&sep) + "\n";
        for row in &rows {
            text.push_str(&row.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(&sep));
            text.push('\n');
        }
        std::fs::write(&path, text).unwrap();
        let format = sniff(&path, &ReadOptions::default()).unwrap();
        prop_assert_eq!(format.layout.dialect.delimiter, delimiter);
        prop_assert_eq!(format.layout.header_rows, 1);
    }
}

/// One CSV field: numbers, dates, booleans, null tokens, text with quotes,
/// separators, line breaks and unicode.
fn field() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|v| v.to_string()),
        any::<f64>().prop_map(|v| v.to_string()),
        Just(String::new()),
        Just("NA".to_string()),
        Just("true".to_string()),
        (1i32..9999, 1u32..13, 1u32..29).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")),
        "[a-zA-Z0-9 ,;|\"\n\r\té€😀@.:/-]{0,12}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// The whole registration — sniffing, inference, loading, statistics
    /// and feature generation — on generated CSV: the binary registers the
    /// file or refuses it with exit 1 or 2, and never panics.
    #[test]
    fn registering_generated_csv_never_panics(
        rows in proptest::collection::vec(proptest::collection::vec(field(), 3), 1..40)
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("input.csv");
        let mut text = String::from("a,b,c\n");
        for row in &rows {
            let cells: Vec<String> = row
                .iter()
                .map(|f| format!("\"{}\"", f.replace('"', "\"\"")))
                .collect();
            text.push_str(&cells.join(","));
            text.push('\n');
        }
        std::fs::write(&path, &text).unwrap();
        let output = std::process::Command::new(assert_cmd::cargo::cargo_bin("mdm"))
            .env("MDM_HOME", dir.path().join("home"))
            .args(["--quiet", "dataset", "register", "generated", path.to_str().unwrap()])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        prop_assert!(!stderr.contains("panicked"), "{}", stderr);
        prop_assert!(matches!(output.status.code(), Some(0..=2)), "{:?}: {}", output.status, stderr);
    }
}

/// Magic bytes that send a file to each reader other than the CSV path.
fn magic() -> impl Strategy<Value = &'static [u8]> {
    prop_oneof![
        Just(&b"PAR1"[..]),
        Just(&b"PK\x03\x04"[..]),
        Just(&b"\x1f\x8b"[..]),
        Just(&b"\x28\xb5\x2f\xfd"[..]),
        Just(&b"BZh9"[..]),
        Just(&b"\xfd7zXZ\x00"[..]),
        Just(&b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"[..]),
        Just(&b"[{\"a\":"[..]),
        Just(&b"{\"a\":"[..]),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Truncated, corrupt or random content behind any magic number is an
    /// error from the format readers, never a panic, and the unpacking
    /// workspace is gone afterwards.
    #[test]
    fn the_format_readers_never_panic_on_arbitrary_bytes(
        head in magic(),
        tail in proptest::collection::vec(any::<u8>(), 0..1024),
        name in prop_oneof![Just("data.parquet"), Just("data.json"), Just("data.xlsx"), Just("data.zip"), Just("data.bin")],
    ) {
        use mdm::ingest::{archive, discover, dispatch, resolve, IngestOptions, ReaderKind};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        let mut bytes = head.to_vec();
        bytes.extend_from_slice(&tail);
        std::fs::write(&path, &bytes).unwrap();
        let scratch = dir.path().join("scratch");
        {
            let mut workspace = archive::Workspace::new(&scratch, archive::UnpackLimits::default());
            if let Ok(mut sources) = discover(&path) {
                let source = &mut sources[0];
                if resolve(source, &mut workspace, &IngestOptions::default()).is_ok()
                    && source.reader != ReaderKind::Delimited
                {
                    let _ = dispatch::scan(source, Default::default());
                }
            }
        }
        let left: Vec<_> = std::fs::read_dir(&scratch).map(|d| d.flatten().collect()).unwrap_or_default();
        prop_assert!(left.is_empty(), "left behind: {:?}", left.iter().map(|e| e.path()).collect::<Vec<_>>());
    }
}
