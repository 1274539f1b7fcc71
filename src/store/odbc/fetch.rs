//! Reading over ODBC: whole tables through block cursors into typed
//! batches (doubles the driver would round travel as two exact integers).

use odbc_api::buffers::{AnySlice, BufferDesc, ColumnarAnyBuffer};
use odbc_api::Cursor;

use super::profile::Transfer;
use super::rows::close_cursor;
use super::store::OdbcStore;
use super::values::{from_odbc_date, from_odbc_timestamp};
use super::BUFFER_BUDGET;
use crate::dialect::float_from_parts;
use crate::error::{Error, Result};
use crate::model::parse::{parse_boolean, parse_timestamp};
use crate::model::{Batch, ColumnData, ColumnDef, ColumnType};
use crate::store::Store;
use crate::time;

impl OdbcStore {
    /// [`Store::scan`] under the connection's current settings.
    pub(super) fn scan_batches(
        &mut self,
        table: &str,
        columns: &[ColumnDef],
        filter: &crate::store::RowFilter,
        batch_size: usize,
        on_batch: &mut dyn FnMut(&Batch) -> Result<()>,
    ) -> Result<()> {
        let lengths = self.max_text_lengths(table, columns)?;
        // What each column fetches: one buffer (`Some(transfer)`), or two
        // integers for doubles the driver would round (`None`).
        let mut expressions = Vec::new();
        let mut descs = Vec::new();
        let mut plans = Vec::new();
        for (column, length) in columns.iter().zip(&lengths) {
            let quoted = self.dialect.quote_identifier(&column.name);
            let transfer = self.profile().transfer(column.column_type);
            if transfer == Transfer::Float && self.profile().rounds_doubles() {
                if let Some((mantissa, shift)) = self.dialect.exact_float_parts(&quoted) {
                    plans.push((None, descs.len()));
                    expressions.extend([mantissa, shift]);
                    descs.extend([
                        BufferDesc::I64 { nullable: true },
                        BufferDesc::I64 { nullable: true },
                    ]);
                    continue;
                }
            }
            plans.push((Some(transfer), descs.len()));
            expressions.push(quoted);
            descs.push(match transfer {
                Transfer::Integer => BufferDesc::I64 { nullable: true },
                Transfer::Float => BufferDesc::F64 { nullable: true },
                Transfer::Bit => BufferDesc::Bit { nullable: true },
                Transfer::Date => BufferDesc::Date { nullable: true },
                Transfer::Timestamp => BufferDesc::Timestamp { nullable: true },
                Transfer::Text => BufferDesc::Text {
                    max_str_len: *length,
                },
            });
        }
        let row_bytes: usize = descs
            .iter()
            .map(|d| d.bytes_per_row())
            .sum::<usize>()
            .max(1);
        let rows = (BUFFER_BUDGET / row_bytes).clamp(1, batch_size.max(1));
        let sql = format!(
            "SELECT {} FROM {}{}",
            expressions.join(", "),
            self.dialect.quote_identifier(table),
            filter.clause()
        );
        let wrap = |e: odbc_api::Error| self.error(&format!("read {table}"), e);
        crate::store::echo(&sql);
        let Some(cursor) = self.conn.execute(&sql, (), None).map_err(wrap)? else {
            return Ok(());
        };
        let buffer = ColumnarAnyBuffer::try_from_descs(rows, descs).map_err(|e| {
            Error::Backend(format!("cannot allocate fetch buffers for {table}: {e}"))
        })?;
        let mut block = cursor.bind_buffer(buffer).map_err(wrap)?;
        let mut batch = Batch::new(columns, rows);
        let result = (|| -> Result<()> {
            while let Some(fetched) = block.fetch_with_truncation_check(true).map_err(wrap)? {
                batch.clear();
                let count = fetched.num_rows();
                for ((column, data), (transfer, at)) in
                    columns.iter().zip(batch.columns.iter_mut()).zip(&plans)
                {
                    let filled = match (transfer, data) {
                        (None, ColumnData::Float(out)) => {
                            match (fetched.column(*at), fetched.column(at + 1)) {
                                (
                                    AnySlice::NullableI64(mantissas),
                                    AnySlice::NullableI64(shifts),
                                ) => {
                                    out.extend(
                                        mantissas
                                            .zip(shifts)
                                            .take(count)
                                            .map(|(m, s)| float_from_parts(m, s)),
                                    );
                                    Ok(())
                                }
                                _ => Err("unexpected buffers for an exact double".to_string()),
                            }
                        }
                        (_, data) => fill_column(data, fetched.column(*at), count),
                    };
                    filled.map_err(|why| {
                        Error::Backend(format!(
                            "{} database {}: table {table}, column '{}': {why}",
                            self.target.backend, self.database, column.name
                        ))
                    })?;
                }
                on_batch(&batch)?;
            }
            Ok(())
        })();
        close_cursor(block, result)
    }

    fn max_text_lengths(&mut self, table: &str, columns: &[ColumnDef]) -> Result<Vec<usize>> {
        let text_columns: Vec<usize> = (0..columns.len())
            .filter(|&i| self.profile().transfer(columns[i].column_type) == Transfer::Text)
            .collect();
        let mut lengths = vec![0usize; columns.len()];
        if text_columns.is_empty() {
            return Ok(lengths);
        }
        let expressions: Vec<String> = text_columns
            .iter()
            .map(|&i| {
                let column = self.dialect.quote_identifier(&columns[i].name);
                format!("MAX({})", self.dialect.octet_length(&column))
            })
            .collect();
        let sql = format!(
            "SELECT {} FROM {}",
            expressions.join(", "),
            self.dialect.quote_identifier(table)
        );
        let mut found = Vec::new();
        self.query(&sql, &[], &mut |row| {
            found = row
                .iter()
                .map(|v| v.as_i64().unwrap_or(0).max(0) as usize)
                .collect();
            Ok(())
        })?;
        for (slot, &index) in text_columns.iter().enumerate() {
            // Dates and timestamps as text are at most 26 bytes.
            lengths[index] = found.get(slot).copied().unwrap_or(0).max(32);
        }
        Ok(lengths)
    }
}

/// Moves one fetched column into a typed batch column.
pub(crate) fn fill_column(
    data: &mut ColumnData,
    slice: AnySlice<'_>,
    rows: usize,
) -> std::result::Result<(), String> {
    match (data, slice) {
        (ColumnData::Integer(out), AnySlice::NullableI64(values)) => {
            out.extend(values.take(rows).map(|v| v.copied()))
        }
        (ColumnData::Boolean(out), AnySlice::NullableI64(values)) => {
            out.extend(values.take(rows).map(|v| v.map(|x| *x != 0)))
        }
        (ColumnData::Float(out), AnySlice::NullableF64(values)) => {
            out.extend(values.take(rows).map(|v| v.copied()))
        }
        (ColumnData::Boolean(out), AnySlice::NullableBit(values)) => {
            out.extend(values.take(rows).map(|v| v.map(|b| b.as_bool())))
        }
        (ColumnData::Date(out), AnySlice::NullableDate(values)) => {
            out.extend(values.take(rows).map(|v| v.map(from_odbc_date)))
        }
        (ColumnData::Datetime(out), AnySlice::NullableTimestamp(values)) => {
            out.extend(values.take(rows).map(|v| v.map(from_odbc_timestamp)))
        }
        (data, AnySlice::Text(view)) => {
            for row in 0..rows {
                match view.get(row) {
                    None => data.push_null(),
                    Some(bytes) => {
                        let text = std::str::from_utf8(bytes)
                            .map_err(|_| format!("row {}: invalid UTF-8", row + 1))?;
                        let ok = match data {
                            ColumnData::Text(v) => {
                                v.push(Some(text));
                                true
                            }
                            ColumnData::Date(v) => {
                                time::parse_date(text).map(|d| v.push(Some(d))).is_some()
                            }
                            ColumnData::Datetime(v) => {
                                parse_timestamp(text).map(|t| v.push(Some(t))).is_some()
                            }
                            ColumnData::Boolean(v) => {
                                parse_boolean(text).map(|b| v.push(Some(b))).is_some()
                            }
                            ColumnData::Integer(v) => text.parse().map(|i| v.push(Some(i))).is_ok(),
                            ColumnData::Float(v) => text.parse().map(|f| v.push(Some(f))).is_ok(),
                        };
                        if !ok {
                            return Err(format!(
                                "row {}: stored value {text:?} does not fit its type",
                                row + 1
                            ));
                        }
                    }
                }
            }
        }
        (data, _) => {
            return Err(format!(
                "unexpected buffer for a {} column",
                column_type_name(data)
            ))
        }
    }
    Ok(())
}

fn column_type_name(data: &ColumnData) -> &'static str {
    match data {
        ColumnData::Boolean(_) => ColumnType::Boolean.as_str(),
        ColumnData::Integer(_) => ColumnType::Integer.as_str(),
        ColumnData::Float(_) => ColumnType::Float.as_str(),
        ColumnData::Date(_) => ColumnType::Date.as_str(),
        ColumnData::Datetime(_) => ColumnType::Datetime.as_str(),
        ColumnData::Text(_) => ColumnType::Text.as_str(),
    }
}
