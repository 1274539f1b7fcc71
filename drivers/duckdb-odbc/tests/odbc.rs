//! The driver through odbc-api (what mdm uses), loaded by path from this
//! build: run with LD_LIBRARY_PATH pointing at libduckdb.so (scripts/test.sh
//! does).

use odbc_api::buffers::{BufferDesc, ColumnarAnyBuffer};
use odbc_api::{
    ConnectionOptions, Cursor, Environment, IntoParameter, Nullable, ResultSetMetadata,
};

fn driver_path() -> String {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap();
    dir.join("libmdm_duckdb_odbc.so").display().to_string()
}

fn connect(env: &Environment) -> odbc_api::Connection<'_> {
    let string = format!("Driver={{{}}};Database=:memory:", driver_path());
    env.connect_with_connection_string(&string, ConnectionOptions::default())
        .expect("connect")
}

fn text_of(conn: &odbc_api::Connection<'_>, sql: &str) -> Vec<Vec<Option<String>>> {
    let mut cursor = conn.execute(sql, (), None).unwrap().unwrap();
    let width = cursor.num_result_cols().unwrap() as u16;
    let mut rows = Vec::new();
    let mut buffer = Vec::new();
    while let Some(mut row) = cursor.next_row().unwrap() {
        let mut values = Vec::new();
        for column in 1..=width {
            let present = row.get_text(column, &mut buffer).unwrap();
            values.push(present.then(|| String::from_utf8(buffer.clone()).unwrap()));
        }
        rows.push(values);
    }
    rows
}

#[test]
fn every_type_comes_back_and_nulls_stay_null() {
    let env = Environment::new().unwrap();
    let conn = connect(&env);
    let rows = text_of(
        &conn,
        "SELECT true, 42::TINYINT, -7::SMALLINT, 2147483647::INTEGER, 9223372036854775807::BIGINT, \
         170141183460469231731687303715884105727::HUGEINT, 1.5::FLOAT, 1e308::DOUBLE, 'héllo ✓', \
         DATE '2024-02-29', TIMESTAMP '2024-02-29 23:59:59.123456', NULL::BIGINT, NULL::VARCHAR, \
         TIME '04:05:06.5', INTERVAL 14 MONTH + INTERVAL 3 DAY, 12.50::DECIMAL(5, 2), -0.005::DECIMAL(10, 3)",
    );
    assert_eq!(
        rows[0],
        [
            Some("true"),
            Some("42"),
            Some("-7"),
            Some("2147483647"),
            Some("9223372036854775807"),
            Some("170141183460469231731687303715884105727"),
            Some("1.5"),
            Some("1e308"),
            Some("héllo ✓"),
            Some("2024-02-29"),
            Some("2024-02-29 23:59:59.123456"),
            None,
            None,
            Some("04:05:06.500000"),
            Some("1 year 2 months 3 days"),
            Some("12.50"),
            Some("-0.005")
        ]
        .map(|v| v.map(str::to_string))
    );
}

#[test]
fn parameter_arrays_give_each_row_its_own_values() {
    let env = Environment::new().unwrap();
    let conn = connect(&env);
    conn.execute(
        "CREATE TABLE t (id BIGINT, x DOUBLE, label VARCHAR, day DATE, flag BOOLEAN)",
        (),
        None,
    )
    .unwrap();
    let mut total = 0i64;
    for size in [1usize, 7, 10_000] {
        conn.execute("DELETE FROM t", (), None).unwrap();
        let prepared = conn
            .prepare("INSERT INTO t (id, x, label, day, flag) VALUES (?, ?, ?, ?, ?)")
            .unwrap();
        let descs = [
            BufferDesc::I64 { nullable: true },
            BufferDesc::F64 { nullable: true },
            BufferDesc::Text { max_str_len: 16 },
            BufferDesc::Date { nullable: true },
            BufferDesc::Bit { nullable: true },
        ];
        let mut inserter = prepared.into_column_inserter(size, descs).unwrap();
        inserter.set_num_rows(size);
        {
            let mut ids = inserter.column_mut(0).as_nullable_slice::<i64>().unwrap();
            ids.write((0..size as i64).map(|i| if i % 5 == 4 { None } else { Some(i * 3) }));
        }
        {
            let mut xs = inserter.column_mut(1).as_nullable_slice::<f64>().unwrap();
            xs.write((0..size).map(|i| Some(i as f64 / 4.0)));
        }
        {
            let mut labels = inserter.column_mut(2).as_text_view().unwrap();
            for i in 0..size {
                labels.set_cell(
                    i,
                    (i % 3 != 2)
                        .then(|| format!("row-{i}"))
                        .as_deref()
                        .map(str::as_bytes),
                );
            }
        }
        {
            let mut days = inserter
                .column_mut(3)
                .as_nullable_slice::<odbc_api::sys::Date>()
                .unwrap();
            days.write((0..size).map(|i| {
                Some(odbc_api::sys::Date {
                    year: 2024,
                    month: 1 + (i % 12) as u16,
                    day: 1 + (i % 28) as u16,
                })
            }));
        }
        {
            let mut flags = inserter
                .column_mut(4)
                .as_nullable_slice::<odbc_api::Bit>()
                .unwrap();
            flags.write((0..size).map(|i| Some(odbc_api::Bit::from_bool(i % 2 == 0))));
        }
        inserter.execute().unwrap();
        let rows = text_of(&conn, "SELECT COUNT(*), COUNT(id), SUM(id), SUM(x), COUNT(label), COUNT(DISTINCT label), MAX(day), SUM(flag::INT) FROM t");
        let expected_ids: i64 = (0..size as i64).filter(|i| i % 5 != 4).map(|i| i * 3).sum();
        let expected_x: f64 = (0..size).map(|i| i as f64 / 4.0).sum();
        let labels = (0..size).filter(|i| i % 3 != 2).count();
        assert_eq!(
            rows[0][0].as_deref(),
            Some(size.to_string().as_str()),
            "size {size}"
        );
        assert_eq!(
            rows[0][1].as_deref(),
            Some(
                ((0..size).filter(|i| i % 5 != 4).count())
                    .to_string()
                    .as_str()
            )
        );
        assert_eq!(
            rows[0][2].as_deref().map(|s| s.parse::<i64>().unwrap()),
            Some(expected_ids)
        );
        assert!((rows[0][3].as_deref().unwrap().parse::<f64>().unwrap() - expected_x).abs() < 1e-6);
        assert_eq!(rows[0][4].as_deref(), Some(labels.to_string().as_str()));
        assert_eq!(
            rows[0][5].as_deref(),
            Some(labels.to_string().as_str()),
            "each row got its own label"
        );
        assert_eq!(
            rows[0][7].as_deref(),
            Some(size.div_ceil(2).to_string().as_str())
        );
        total += size as i64;
    }
    assert_eq!(total, 10_008);
}

#[test]
fn block_cursors_fetch_every_row_at_any_array_size() {
    let env = Environment::new().unwrap();
    let conn = connect(&env);
    for array_size in [1usize, 100, 5_000] {
        let cursor = conn.execute("SELECT i, i * 0.5, 'v' || i::VARCHAR, CASE WHEN i % 7 = 0 THEN NULL ELSE i END FROM range(12345) t(i)", (), None).unwrap().unwrap();
        let descs = [
            BufferDesc::I64 { nullable: true },
            BufferDesc::F64 { nullable: true },
            BufferDesc::Text { max_str_len: 16 },
            BufferDesc::I64 { nullable: true },
        ];
        let mut block = cursor
            .bind_buffer(ColumnarAnyBuffer::from_descs(array_size, descs))
            .unwrap();
        let (mut rows, mut sum, mut nulls) = (0usize, 0i64, 0usize);
        while let Some(batch) = block.fetch().unwrap() {
            let ids = batch.column(0).as_nullable_slice::<i64>().unwrap();
            let texts = batch.column(2).as_text_view().unwrap();
            let maybe = batch.column(3).as_nullable_slice::<i64>().unwrap();
            for ((id, text), value) in ids.zip(texts.iter()).zip(maybe) {
                let id = *id.unwrap();
                assert_eq!(
                    std::str::from_utf8(text.unwrap()).unwrap(),
                    format!("v{id}")
                );
                sum += id;
                nulls += value.is_none() as usize;
            }
            rows += batch.num_rows();
        }
        assert_eq!(rows, 12_345, "array size {array_size}");
        assert_eq!(sum, (0..12_345i64).sum::<i64>());
        assert_eq!(nulls, (0..12_345).filter(|i| i % 7 == 0).count());
    }
}

#[test]
fn truncation_and_syntax_errors_have_their_sqlstates() {
    let env = Environment::new().unwrap();
    let conn = connect(&env);
    let cursor = conn
        .execute("SELECT 'a value longer than the buffer'", (), None)
        .unwrap()
        .unwrap();
    let mut block = cursor
        .bind_buffer(ColumnarAnyBuffer::from_descs(
            1,
            [BufferDesc::Text { max_str_len: 4 }],
        ))
        .unwrap();
    let error = block
        .fetch_with_truncation_check(true)
        .err()
        .expect("truncation is reported");
    assert!(
        error.to_string().contains("truncat") || error.to_string().contains("01004"),
        "{error}"
    );

    let Err(error) = conn.execute("SELEKT 1", (), None) else {
        panic!("syntax error accepted")
    };
    assert!(error.to_string().contains("42000"), "{error}");
    let Err(error) = conn.execute("SELECT * FROM missing_table", (), None) else {
        panic!("missing table accepted")
    };
    assert!(error.to_string().contains("42S02"), "{error}");
}

#[test]
fn prepared_statements_run_again_with_new_parameters() {
    let env = Environment::new().unwrap();
    let conn = connect(&env);
    let mut prepared = conn.prepare("SELECT ? * 2, ? || '!'").unwrap();
    for (n, word) in [(1i64, "one"), (21, "twenty-one")] {
        let mut cursor = prepared
            .execute((&n, &word.into_parameter()))
            .unwrap()
            .unwrap();
        let mut row = cursor.next_row().unwrap().unwrap();
        let mut doubled = Nullable::<i64>::null();
        row.get_data(1, &mut doubled).unwrap();
        let mut text = Vec::new();
        row.get_text(2, &mut text).unwrap();
        assert_eq!(
            (doubled.into_opt(), String::from_utf8(text).unwrap()),
            (Some(n * 2), format!("{word}!"))
        );
    }
}

#[test]
fn transactions_roll_back() {
    let env = Environment::new().unwrap();
    let conn = connect(&env);
    conn.execute("CREATE TABLE t (x BIGINT)", (), None).unwrap();
    conn.set_autocommit(false).unwrap();
    conn.execute("INSERT INTO t VALUES (1)", (), None).unwrap();
    conn.rollback().unwrap();
    conn.execute("INSERT INTO t VALUES (2)", (), None).unwrap();
    conn.commit().unwrap();
    conn.set_autocommit(true).unwrap();
    assert_eq!(
        text_of(&conn, "SELECT string_agg(x::VARCHAR, ',') FROM t")[0][0].as_deref(),
        Some("2")
    );
}

#[test]
fn long_text_arrives_in_pieces_through_get_data() {
    let env = Environment::new().unwrap();
    let conn = connect(&env);
    let rows = text_of(&conn, "SELECT repeat('abcdef', 50000)");
    assert_eq!(rows[0][0].as_deref().map(str::len), Some(300_000));
}

fn connect_to<'e>(env: &'e Environment, database: &str) -> odbc_api::Connection<'e> {
    let string = format!("Driver={{{}}};Database={{{database}}}", driver_path());
    env.connect_with_connection_string(&string, ConnectionOptions::default())
        .expect("connect")
}

#[test]
fn connections_to_one_file_share_its_database() {
    let directory = std::env::temp_dir().join(format!("mdm-odbc-shared-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    let path = directory.join("shared.duckdb").display().to_string();
    let _ = std::fs::remove_file(&path);
    let env = Environment::new().unwrap();
    {
        let first = connect_to(&env, &path);
        let second = connect_to(&env, &path);
        first
            .execute(
                "CREATE TABLE t AS SELECT range AS x FROM range(200000)",
                (),
                None,
            )
            .unwrap();
        assert_eq!(
            text_of(&second, "SELECT count(*) FROM t")[0][0].as_deref(),
            Some("200000")
        );
        second
            .execute("INSERT INTO t VALUES (-1)", (), None)
            .unwrap();
        assert_eq!(
            text_of(&first, "SELECT count(*) FROM t")[0][0].as_deref(),
            Some("200001")
        );
    }
    // Both closed: the file holds every committed row.
    let again = connect_to(&env, &path);
    assert_eq!(
        text_of(&again, "SELECT count(*) FROM t")[0][0].as_deref(),
        Some("200001")
    );
    drop(again);
    std::fs::remove_dir_all(&directory).unwrap();
}

#[test]
fn a_statement_running_meanwhile_leaves_an_open_result_complete() {
    let env = Environment::new().unwrap();
    let conn = connect(&env);
    conn.execute(
        "CREATE TABLE src AS SELECT range AS x FROM range(100000)",
        (),
        None,
    )
    .unwrap();
    conn.execute("CREATE TABLE dst (x BIGINT)", (), None)
        .unwrap();
    let cursor = conn
        .execute("SELECT x FROM src ORDER BY x", (), None)
        .unwrap()
        .unwrap();
    let mut block = cursor
        .bind_buffer(ColumnarAnyBuffer::from_descs(
            1000,
            [BufferDesc::I64 { nullable: false }],
        ))
        .unwrap();
    let (mut rows, mut sum) = (0usize, 0i64);
    while let Some(batch) = block.fetch().unwrap() {
        let values = batch.column(0).as_slice::<i64>().unwrap();
        rows += values.len();
        sum += values.iter().sum::<i64>();
        // Another statement on the same connection, between two fetches.
        conn.execute("INSERT INTO dst VALUES (?)", &values[0], None)
            .unwrap();
    }
    assert_eq!((rows, sum), (100000, (0..100000i64).sum()));
    assert_eq!(
        text_of(&conn, "SELECT count(*) FROM dst")[0][0].as_deref(),
        Some("100")
    );
}

#[test]
fn identifiers_and_text_beyond_ascii_survive() {
    let env = Environment::new().unwrap();
    let conn = connect(&env);
    conn.execute(r#"CREATE TABLE "données_😀" ("clé" VARCHAR)"#, (), None)
        .unwrap();
    conn.execute(
        r#"INSERT INTO "données_😀" VALUES (?)"#,
        &"ünï 😀".into_parameter(),
        None,
    )
    .unwrap();
    let mut cursor = conn
        .execute(r#"SELECT "clé" FROM "données_😀""#, (), None)
        .unwrap()
        .unwrap();
    assert_eq!(cursor.col_name(1).unwrap(), "clé");
    let mut row = cursor.next_row().unwrap().unwrap();
    let mut text = Vec::new();
    row.get_text(1, &mut text).unwrap();
    assert_eq!(String::from_utf8(text).unwrap(), "ünï 😀");
}

#[test]
fn a_connection_needs_a_database() {
    let env = Environment::new().unwrap();
    let string = format!("Driver={{{}}}", driver_path());
    let Err(error) = env.connect_with_connection_string(&string, ConnectionOptions::default())
    else {
        panic!("a connection without Database was opened")
    };
    assert!(error.to_string().contains("no Database"), "{error}");
}
