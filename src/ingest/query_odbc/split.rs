//! `--split-by`: reads a query as equal ranges of an integer, date or
//! timestamp column (MIN/MAX first), each range on its own connection and
//! thread, into the same output; the column is quoted with the source's
//! own identifier quote.

use super::*;

/// The type of a `--split-by` column, its values as `i64` keys: the
/// integer, days since 1970-01-01, or microseconds since then.
#[derive(Clone, Copy, Debug, PartialEq)]
enum SplitKey {
    Integer,
    Date,
    Timestamp,
}

impl SplitKey {
    fn of(fetch: Fetch) -> Option<SplitKey> {
        match fetch {
            Fetch::Integer => Some(SplitKey::Integer),
            Fetch::Date => Some(SplitKey::Date),
            Fetch::Timestamp => Some(SplitKey::Timestamp),
            _ => None,
        }
    }

    fn key(self, slice: AnySlice<'_>) -> Option<i64> {
        match (self, slice) {
            (SplitKey::Integer, AnySlice::NullableI64(mut values)) => values.next()?.copied(),
            (SplitKey::Date, AnySlice::NullableDate(mut values)) => {
                values.next()?.map(|d| from_odbc_date(d) as i64)
            }
            (SplitKey::Timestamp, AnySlice::NullableTimestamp(mut values)) => {
                values.next()?.map(from_odbc_timestamp)
            }
            _ => None,
        }
    }

    /// A key as a bound parameter of the column's type.
    fn parameter(self, key: i64) -> Box<dyn InputParameter> {
        match self {
            SplitKey::Integer => Box::new(key),
            SplitKey::Date => Box::new(to_odbc_date(key as i32)),
            SplitKey::Timestamp => Box::new(odbc_api::parameter::WithDataType {
                value: to_odbc_timestamp(key),
                data_type: DataType::Timestamp { precision: 6 },
            }),
        }
    }
}

/// The keys that cut `[low, high]` into at most `parts` ranges of equal
/// width: each is the first key of a range after the first. Empty when
/// the column holds a single value (one range then).
fn split_points(low: i64, high: i64, parts: usize) -> Vec<i64> {
    let width = high as i128 - low as i128 + 1;
    let mut points: Vec<i64> = (1..parts as i128)
        .map(|i| (low as i128 + width * i / parts as i128) as i64)
        .filter(|&point| point > low)
        .collect();
    points.dedup();
    points
}

/// The identifier quote character of the source (SQLGetInfo
/// SQL_IDENTIFIER_QUOTE_CHAR); `None` when it quotes none.
fn identifier_quote(source: &QuerySource) -> Result<Option<char>> {
    let mut handle = connect(source)?.into_handle();
    let mut buffer = [0u8; 8];
    let mut length: i16 = 0;
    // SAFETY: `handle` is a connected connection handle, and the driver
    // writes at most `buffer.len()` bytes into `buffer`.
    let returned = unsafe {
        odbc_api::sys::SQLGetInfo(
            handle.as_sys(),
            odbc_api::sys::InfoType::IdentifierQuoteChar,
            buffer.as_mut_ptr().cast(),
            buffer.len() as i16,
            &mut length,
        )
    };
    let _ = handle.disconnect();
    if returned != odbc_api::sys::SqlReturn::SUCCESS
        && returned != odbc_api::sys::SqlReturn::SUCCESS_WITH_INFO
    {
        return Err(Error::Backend(format!(
            "the ODBC source {} did not say how it quotes names (SQLGetInfo)",
            crate::ingest::query::redact_connection(&source.connection)
        )));
    }
    let text = String::from_utf8_lossy(&buffer[..(length.max(0) as usize).min(buffer.len())]);
    Ok(text.trim().chars().next())
}

/// `name` quoted with the source's quote character, the character doubled
/// inside; a source that quotes nothing takes plain names only.
fn quote_identifier(name: &str, quote: Option<char>) -> Option<String> {
    match quote {
        Some(q) => Some(format!("{q}{}{q}", name.replace(q, &format!("{q}{q}")))),
        None => (!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            .then(|| name.to_string()),
    }
}

/// One range of a split read: its SQL, the keys bound to its `?`, and how
/// its rows are fetched.
struct Range<'a> {
    sql: &'a str,
    keys: &'a [i64],
    key: SplitKey,
    descs: &'a [BufferDesc],
    /// Rows per fetch.
    rows: usize,
    /// Rows per batch handed on.
    batch_size: usize,
}

/// One query read as ranges of a column, each over its own connection on
/// its own thread.
pub(super) struct SplitReader<'a> {
    pub(super) source: &'a QuerySource,
    pub(super) table: &'a str,
    pub(super) columns: &'a [ColumnDef],
    pub(super) fetches: &'a [Fetch],
    pub(super) counter: Arc<AtomicU64>,
}

impl SplitReader<'_> {
    /// MIN and MAX of the split column over the query (`None` when every
    /// value is NULL or there are no rows), then the ranges read at once.
    /// Whole batches are handed on as each range fills one, so rows are
    /// stored in the order they arrive, not in the query's order.
    pub(super) fn read(&self, names: &[String], split: &Split, output: &mut Output) -> Result<()> {
        let table = self.table;
        let index = names
            .iter()
            .position(|n| *n == split.column)
            .or_else(|| {
                let mut same = names
                    .iter()
                    .enumerate()
                    .filter(|(_, n)| n.eq_ignore_ascii_case(&split.column));
                match (same.next(), same.next()) {
                    (Some((index, _)), None) => Some(index),
                    _ => None,
                }
            })
            .ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "--split-by: the query for table {table} returns no column '{}' (it returns {})",
                    split.column,
                    names.join(", ")
                ))
            })?;
        let key = SplitKey::of(self.fetches[index]).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "--split-by: column '{}' of table {table} is {}; give an integer, date or timestamp column",
                names[index],
                self.fetches[index].column_type().as_str()
            ))
        })?;
        let column =
            quote_identifier(&names[index], identifier_quote(self.source)?).ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "--split-by: the source quotes no names and '{}' is not a plain name",
                    names[index]
                ))
            })?;
        let inner = format!("SELECT * FROM ({}) mdm_split", self.source.sql);
        let points = match self.bounds(&column, key, self.fetches[index])? {
            Some((low, high)) => split_points(low, high, split.parallel),
            None => Vec::new(),
        };
        let mut ranges: Vec<(String, Vec<i64>)> = Vec::new();
        if let (Some(first), Some(last)) = (points.first(), points.last()) {
            ranges.push((
                format!("{inner} WHERE {column} < ? OR {column} IS NULL"),
                vec![*first],
            ));
            for pair in points.windows(2) {
                ranges.push((
                    format!("{inner} WHERE {column} >= ? AND {column} < ?"),
                    pair.to_vec(),
                ));
            }
            ranges.push((format!("{inner} WHERE {column} >= ?"), vec![*last]));
        } else {
            ranges.push((self.source.sql.clone(), Vec::new()));
        }
        log::debug!(
            "table {table}: {} range(s) of {} read at once",
            ranges.len(),
            names[index]
        );
        self.read_ranges(&ranges, key, output)
    }

    fn bounds(&self, column: &str, key: SplitKey, fetch: Fetch) -> Result<Option<(i64, i64)>> {
        let (source, table) = (self.source, self.table);
        let wrap = |e| query_error(source, table, e);
        let sql = format!(
            "SELECT MIN({column}), MAX({column}) FROM ({}) mdm_split",
            source.sql
        );
        let connection = connect(source)?;
        let Some(cursor) = connection.execute(&sql, (), None).map_err(wrap)? else {
            return Ok(None);
        };
        let buffer = ColumnarAnyBuffer::try_from_descs(1, [fetch.buffer(), fetch.buffer()])
            .map_err(|e| Error::General(format!("cannot allocate a fetch buffer: {e}")))?;
        let mut block = cursor.bind_buffer(buffer).map_err(wrap)?;
        let bounds = match block.fetch() {
            Ok(Some(row)) if row.num_rows() == 1 => key
                .key(row.column(0))
                .zip(key.key(row.column(1)))
                .filter(|(low, high)| low <= high),
            Ok(_) => None,
            Err(e) => return close_cursor(block, Err(wrap(e))).map(|()| None),
        };
        Ok(bounds)
    }

    /// Reads every range on its own thread; this thread hands the filled
    /// batches on and gives each range an emptied one back.
    fn read_ranges(
        &self,
        ranges: &[(String, Vec<i64>)],
        key: SplitKey,
        output: &mut Output,
    ) -> Result<()> {
        let descs: Vec<BufferDesc> = self.fetches.iter().map(|f| f.buffer()).collect();
        let row_bytes: usize = descs
            .iter()
            .map(|d| d.bytes_per_row())
            .sum::<usize>()
            .max(1);
        let rows = (BUFFER_BUDGET / ranges.len() / row_bytes).clamp(1, output.batch_size);
        let batch_size = output.batch_size;
        let (filled_tx, filled_rx) = sync_channel::<(usize, Batch)>(ranges.len());
        // Set by a range that failed: the others stop at their next batch.
        let failed = AtomicBool::new(false);
        let failed = &failed;
        std::thread::scope(|scope| {
            let mut emptied = Vec::new();
            let mut readers = Vec::new();
            for (index, (sql, keys)) in ranges.iter().enumerate() {
                let (empty_tx, empty_rx) = sync_channel::<Batch>(1);
                emptied.push(empty_tx);
                let filled = filled_tx.clone();
                let range = Range {
                    sql,
                    keys,
                    key,
                    descs: &descs,
                    rows,
                    batch_size,
                };
                let first = output.empty_batch();
                readers.push(scope.spawn(move || {
                    let read = self.read_range(range, first, |batch| {
                        if failed.load(Ordering::Relaxed) {
                            return None;
                        }
                        filled.send((index, batch)).ok()?;
                        empty_rx.recv().ok()
                    });
                    if read.is_err() {
                        failed.store(true, Ordering::Relaxed);
                    }
                    read
                }));
            }
            drop(filled_tx);
            let handed_on = (|| -> Result<()> {
                for (index, batch) in filled_rx.iter() {
                    if !output.push_batch(batch)? {
                        return Ok(());
                    }
                    let _ = emptied[index].send(output.empty_batch());
                }
                Ok(())
            })();
            // Stops the readers when the batches are no longer wanted.
            drop(filled_rx);
            drop(emptied);
            // The error of a range is the one that counts: the others only
            // stopped because of it.
            let mut result = Ok(());
            for reader in readers {
                let read = reader.join().unwrap_or_else(|_| {
                    Err(Error::General(format!(
                        "the query for table {}: a thread reading its rows panicked",
                        self.table
                    )))
                });
                if result.is_ok() {
                    result = read;
                }
            }
            handed_on.and(result)
        })
    }

    /// One range over its own connection: fetched blocks are moved into
    /// batches, and each full batch goes to `hand_on`, which returns an
    /// empty one (`None` when the batches are no longer wanted).
    fn read_range(
        &self,
        range: Range<'_>,
        mut batch: Batch,
        mut hand_on: impl FnMut(Batch) -> Option<Batch>,
    ) -> Result<()> {
        let Range {
            sql,
            keys,
            key,
            descs,
            rows,
            batch_size,
        } = range;
        let (source, table) = (self.source, self.table);
        let connection = connect(source)?;
        let parameters: Vec<Box<dyn InputParameter>> =
            keys.iter().map(|k| key.parameter(*k)).collect();
        let Some(cursor) = connection
            .execute(sql, &parameters[..], None)
            .map_err(|e| query_error(source, table, e))?
        else {
            return Err(Error::InvalidArgument(format!(
                "the query for table {table} returns no result set; give a SELECT"
            )));
        };
        let buffer =
            ColumnarAnyBuffer::try_from_descs(rows, descs.iter().copied()).map_err(|e| {
                Error::General(format!("cannot allocate fetch buffers for {table}: {e}"))
            })?;
        let mut block = cursor
            .bind_buffer(buffer)
            .map_err(|e| query_error(source, table, e))?;
        let result = (|| -> Result<()> {
            loop {
                let fetched = match block.fetch_with_truncation_check(true) {
                    Ok(Some(fetched)) => fetched,
                    Ok(None) => break,
                    Err(odbc_api::Error::TooLargeValueForBuffer { buffer_index, .. }) => {
                        return Err(too_long(table, self.columns, buffer_index))
                    }
                    Err(e) => return Err(fetch_failed(source, table, e)),
                };
                let count = fill_batch(table, self.columns, self.fetches, &mut batch, fetched)?;
                self.counter.fetch_add(count as u64, Ordering::Relaxed);
                if batch.len() >= batch_size {
                    let Some(empty) = hand_on(batch) else {
                        return Ok(());
                    };
                    batch = empty;
                }
            }
            if !batch.is_empty() {
                let _ = hand_on(batch);
            }
            Ok(())
        })();
        close_cursor(block, result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_points_cut_the_range_into_equal_parts_without_empty_ones() {
        assert_eq!(split_points(1, 100, 4), [26, 51, 76]);
        assert_eq!(split_points(-10, 9, 2), [0]);
        assert_eq!(split_points(5, 5, 4), Vec::<i64>::new());
        assert_eq!(split_points(0, 2, 8), [1, 2]);
        assert_eq!(split_points(i64::MIN, i64::MAX, 2), [0]);
    }

    #[test]
    fn identifiers_are_quoted_with_the_source_quote_doubled_inside() {
        assert_eq!(quote_identifier("Grp", Some('"')).unwrap(), "\"Grp\"");
        assert_eq!(quote_identifier("a`b", Some('`')).unwrap(), "`a``b`");
        assert_eq!(quote_identifier("plain_1", None).unwrap(), "plain_1");
        assert!(quote_identifier("two words", None).is_none());
    }
}
