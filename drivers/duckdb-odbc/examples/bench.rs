//! Bulk insert and fetch through the driver with odbc-api, for
//! scripts/bench.sh: `bench DRIVER_PATH DATABASE ROWS CSV` writes the same
//! rows as CSV (for DuckDB's own read_csv), inserts them with the columnar
//! bulk inserter, fetches them back with a block cursor, and prints seconds.

use std::io::Write;
use std::time::Instant;

use odbc_api::buffers::{BufferDesc, ColumnarAnyBuffer};
use odbc_api::{ConnectionOptions, Cursor, Environment};

const BATCH: usize = 100_000;

fn label(i: usize) -> String {
    format!("label-{:08}-{}", i, i % 97)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (driver, database, rows, csv) = (
        &args[1],
        &args[2],
        args[3].parse::<usize>().unwrap(),
        &args[4],
    );
    let mut file = std::io::BufWriter::new(std::fs::File::create(csv).unwrap());
    writeln!(file, "id,x,s").unwrap();
    for i in 0..rows {
        writeln!(file, "{i},{},{}", i as f64 * 0.25, label(i)).unwrap();
    }
    drop(file);

    let env = Environment::new().unwrap();
    let conn = env
        .connect_with_connection_string(
            &format!("Driver={{{driver}}};Database={{{database}}}"),
            ConnectionOptions::default(),
        )
        .unwrap();
    conn.execute("CREATE TABLE t (id BIGINT, x DOUBLE, s VARCHAR)", (), None)
        .unwrap();

    let started = Instant::now();
    let prepared = conn
        .prepare("INSERT INTO t (id, x, s) VALUES (?, ?, ?)")
        .unwrap();
    let descs = [
        BufferDesc::I64 { nullable: false },
        BufferDesc::F64 { nullable: false },
        BufferDesc::Text { max_str_len: 32 },
    ];
    let mut inserter = prepared.into_column_inserter(BATCH, descs).unwrap();
    let mut start = 0;
    while start < rows {
        let n = BATCH.min(rows - start);
        inserter.set_num_rows(n);
        inserter.column_mut(0).as_slice::<i64>().unwrap()[..n]
            .iter_mut()
            .enumerate()
            .for_each(|(k, v)| *v = (start + k) as i64);
        inserter.column_mut(1).as_slice::<f64>().unwrap()[..n]
            .iter_mut()
            .enumerate()
            .for_each(|(k, v)| *v = (start + k) as f64 * 0.25);
        let mut text = inserter.column_mut(2).as_text_view().unwrap();
        for k in 0..n {
            text.set_cell(k, Some(label(start + k).as_bytes()));
        }
        inserter.execute().unwrap();
        start += n;
    }
    let insert = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let cursor = conn
        .execute("SELECT id, x, s FROM t", (), None)
        .unwrap()
        .unwrap();
    let descs = [
        BufferDesc::I64 { nullable: true },
        BufferDesc::F64 { nullable: true },
        BufferDesc::Text { max_str_len: 32 },
    ];
    let mut block = cursor
        .bind_buffer(ColumnarAnyBuffer::from_descs(5_000, descs))
        .unwrap();
    let (mut fetched, mut checksum) = (0usize, 0i64);
    while let Some(batch) = block.fetch().unwrap() {
        checksum += batch
            .column(0)
            .as_nullable_slice::<i64>()
            .unwrap()
            .map(|v| *v.unwrap())
            .sum::<i64>();
        fetched += batch.num_rows();
    }
    let fetch = started.elapsed().as_secs_f64();
    assert_eq!(fetched, rows);
    assert_eq!(checksum, (0..rows as i64).sum::<i64>());
    println!("odbc_insert_seconds {insert:.3}");
    println!("odbc_fetch_seconds {fetch:.3}");
    println!("fetch_rows_per_second {:.0}", rows as f64 / fetch);
}
