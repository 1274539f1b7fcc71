//! Bulk inserts over ODBC: a batch goes as one array parameter per column
//! or as parameter arrays of multi-row `INSERT`s, as the backend's profile
//! says, with text buffers bounded by a byte budget.

use odbc_api::buffers::BufferDesc;
use odbc_api::parameter::InputParameter;
use odbc_api::sys::{Date, Timestamp};
use odbc_api::{Bit, IntoParameter};

use super::profile::{InsertStrategy, Transfer};
use super::store::OdbcStore;
use super::values::{array_literal, text_values, to_odbc_date, to_odbc_timestamp};
use super::BUFFER_BUDGET;
use crate::error::{Error, Result};
use crate::model::{Batch, ColumnData, ColumnDef};

impl OdbcStore {
    /// [`crate::store::Store::append`]: as the profile's insert strategy
    /// says.
    pub(super) fn append_batch(
        &mut self,
        table: &str,
        columns: &[ColumnDef],
        batch: &Batch,
    ) -> Result<()> {
        let rows_per_insert = match self.profile().insert_strategy(columns.len()) {
            InsertStrategy::ColumnArrays => {
                if let Some(sql) = self.dialect.insert_column_arrays(table, columns) {
                    return self.insert_arrays(&sql, table, batch);
                }
                1
            }
            InsertStrategy::ParameterArrays { rows_per_insert } => rows_per_insert,
        };
        let rows_per_insert =
            rows_per_insert.min(self.profile().max_parameters() / columns.len().max(1));
        // Rows per round trip, bounded by the bytes their text buffers need.
        let total = batch.len();
        let row_bytes: usize = batch
            .columns
            .iter()
            .zip(columns)
            .map(
                |(data, c)| match (self.profile().transfer(c.column_type), data) {
                    (Transfer::Text, ColumnData::Text(v)) => {
                        (0..v.len())
                            .map(|r| v.get(r).map_or(0, str::len))
                            .max()
                            .unwrap_or(0)
                            + 1
                    }
                    (Transfer::Text, _) => 32,
                    _ => 16,
                },
            )
            .sum::<usize>()
            .max(1);
        for (start, rows) in crate::store::chunks(total, BUFFER_BUDGET / row_bytes) {
            self.insert_chunk(table, columns, batch, start, rows, rows_per_insert)?;
        }
        Ok(())
    }

    /// Inserts a batch with one array parameter per column.
    fn insert_arrays(&mut self, sql: &str, table: &str, batch: &Batch) -> Result<()> {
        let arrays: Vec<String> = batch.columns.iter().map(array_literal).collect();
        let parameters: Vec<Box<dyn InputParameter>> = arrays
            .into_iter()
            .map(|a| -> Box<dyn InputParameter> { Box::new(a.into_parameter()) })
            .collect();
        crate::store::echo(sql);
        self.conn
            .execute(sql, &parameters[..], None)
            .map(|_| ())
            .map_err(|e| self.error(&format!("insert into {table}"), e))
    }

    /// Inserts `rows` rows from `start`: full statements of
    /// `rows_per_insert` rows as one parameter array, then one statement
    /// for the rest.
    fn insert_chunk(
        &mut self,
        table: &str,
        columns: &[ColumnDef],
        batch: &Batch,
        start: usize,
        rows: usize,
        rows_per_insert: usize,
    ) -> Result<()> {
        let per_statement = rows_per_insert.clamp(1, rows.max(1));
        let full = rows / per_statement;
        if full > 0 {
            self.insert_statements(table, columns, batch, start, per_statement, full)?;
        }
        let rest = rows - full * per_statement;
        if rest > 0 {
            self.insert_statements(table, columns, batch, start + full * per_statement, rest, 1)?;
        }
        Ok(())
    }

    /// Executes an `INSERT` of `per_statement` rows once per parameter set;
    /// set `k` carries rows `first + k * per_statement ..` of the batch.
    fn insert_statements(
        &mut self,
        table: &str,
        columns: &[ColumnDef],
        batch: &Batch,
        first: usize,
        per_statement: usize,
        sets: usize,
    ) -> Result<()> {
        let rows = per_statement * sets;
        let transfers: Vec<Transfer> = columns
            .iter()
            .map(|c| self.profile().transfer(c.column_type))
            .collect();
        let texts: Vec<Option<Vec<Option<std::borrow::Cow<'_, str>>>>> = batch
            .columns
            .iter()
            .zip(&transfers)
            .map(|(data, transfer)| {
                (*transfer == Transfer::Text).then(|| text_values(data, first, rows))
            })
            .collect();
        let column_descs: Vec<BufferDesc> = transfers
            .iter()
            .zip(&texts)
            .map(|(transfer, text)| match transfer {
                Transfer::Integer => BufferDesc::I64 { nullable: true },
                Transfer::Float => BufferDesc::F64 { nullable: true },
                Transfer::Bit => BufferDesc::Bit { nullable: true },
                Transfer::Date => BufferDesc::Date { nullable: true },
                Transfer::Timestamp => BufferDesc::Timestamp { nullable: true },
                Transfer::Text => BufferDesc::Text {
                    max_str_len: text
                        .as_ref()
                        .map(|values| values.iter().flatten().map(|v| v.len()).max().unwrap_or(0))
                        .unwrap_or(0)
                        .max(1),
                },
            })
            .collect();
        let descs: Vec<BufferDesc> = (0..per_statement)
            .flat_map(|_| column_descs.iter().copied())
            .collect();
        let sql =
            self.profile()
                .prepared_insert(self.dialect.insert(table, columns, per_statement));
        crate::store::echo(&sql);
        let prepared = self
            .conn
            .prepare(&sql)
            .map_err(|e| self.error("prepare insert", e))?;
        let mut inserter = prepared.into_column_inserter(sets, descs).map_err(|e| {
            Error::Backend(format!(
                "cannot bind insert buffers: {}",
                self.target.redact(&e.to_string())
            ))
        })?;
        inserter.set_num_rows(sets);
        let width = columns.len();
        for slot in 0..per_statement {
            // Batch rows of this placeholder row, one per parameter set.
            let offsets = || (0..sets).map(move |set| set * per_statement + slot);
            for (index, ((data, transfer), text)) in
                batch.columns.iter().zip(&transfers).zip(&texts).enumerate()
            {
                let column = inserter.column_mut(slot * width + index);
                match (transfer, data) {
                    (Transfer::Text, _) => {
                        let values = text.as_ref().expect("text values");
                        let mut view = column.as_text_view().expect("text buffer");
                        for (set, offset) in offsets().enumerate() {
                            view.set_cell(set, values[offset].as_deref().map(str::as_bytes));
                        }
                    }
                    (Transfer::Integer, ColumnData::Integer(v)) => {
                        let mut cells = column.as_nullable_slice::<i64>().expect("i64 buffer");
                        cells.write(offsets().map(|o| v[first + o]));
                    }
                    (Transfer::Integer, ColumnData::Boolean(v)) => {
                        let mut cells = column.as_nullable_slice::<i64>().expect("i64 buffer");
                        cells.write(offsets().map(|o| v[first + o].map(i64::from)));
                    }
                    (Transfer::Float, ColumnData::Float(v)) => {
                        let mut cells = column.as_nullable_slice::<f64>().expect("f64 buffer");
                        cells.write(offsets().map(|o| v[first + o]));
                    }
                    (Transfer::Bit, ColumnData::Boolean(v)) => {
                        let mut cells = column.as_nullable_slice::<Bit>().expect("bit buffer");
                        cells.write(offsets().map(|o| v[first + o].map(Bit::from_bool)));
                    }
                    (Transfer::Date, ColumnData::Date(v)) => {
                        let mut cells = column.as_nullable_slice::<Date>().expect("date buffer");
                        cells.write(offsets().map(|o| v[first + o].map(to_odbc_date)));
                    }
                    (Transfer::Timestamp, ColumnData::Datetime(v)) => {
                        let mut cells = column
                            .as_nullable_slice::<Timestamp>()
                            .expect("timestamp buffer");
                        cells.write(offsets().map(|o| v[first + o].map(to_odbc_timestamp)));
                    }
                    (transfer, _) => {
                        return Err(Error::Backend(format!(
                            "the {} dialect cannot bind column '{}' as {transfer:?}",
                            self.dialect.name(),
                            columns[index].name
                        )))
                    }
                }
            }
        }
        inserter
            .execute()
            .map_err(|e| self.error(&format!("insert into {table}"), e))?;
        Ok(())
    }
}
