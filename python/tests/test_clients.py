"""A columnar ODBC client nobody here wrote, arrow-odbc, against mdm's
DuckDB driver: it reads a registered dataset over the connection `mdm
dataset connection` prints, value for value what the Python API loads, and
inserts a table whose values read back exactly."""

from __future__ import annotations

import gc

import pandas as pd
import pyarrow as pa
import pytest

from conftest import PROFILE


@pytest.mark.skipif(PROFILE != "duckdb", reason="the DuckDB ODBC driver's client test")
def test_arrow_odbc_reads_and_inserts_a_duckdb_dataset_exactly(client, home, tmp_path):
    import arrow_odbc

    rows = 500
    frame = pd.DataFrame({
        "id": range(rows),
        "amount": [None if i % 11 == 0 else i * 1.25 - 100 for i in range(rows)],
        "label": [None if i % 13 == 0 else f"naïve ✓ {i}" for i in range(rows)],
        "day": pd.date_range("2024-01-01", periods=rows, freq="D"),
        "at": pd.date_range("2024-01-01 08:30:15", periods=rows, freq="37min"),
        "flag": [i % 3 == 0 for i in range(rows)],
        "big": [2**53 + i for i in range(rows)],
    })
    frame.to_csv(tmp_path / "wide.csv", index=False)  # written by pandas
    client.register_dataset("clients", tmp_path / "wide.csv", no_features=True)
    expected = client.load_table("clients", format="arrow")

    read_only = home.mdm("dataset", "connection", "clients").stdout.strip()
    reader = arrow_odbc.read_arrow_batches_from_odbc(
        query="SELECT * FROM train ORDER BY _mdm_row", connection_string=read_only, batch_size=128)
    got = pa.Table.from_batches(list(reader), schema=reader.schema)
    del reader
    gc.collect()
    assert got.num_rows == rows
    for name in expected.column_names:
        assert got.column(name).to_pylist() == expected.column(name).to_pylist(), name

    # Inserting through the read-write connection (one writer, alone).
    write = home.mdm("dataset", "connection", "clients", "--write").stdout.strip()
    created = arrow_odbc.read_arrow_batches_from_odbc(
        query="CREATE TABLE copy AS SELECT * FROM train WHERE false", connection_string=write)
    del created
    gc.collect()
    arrow_odbc.insert_into_table(
        reader=pa.RecordBatchReader.from_batches(got.schema, got.to_batches()),
        chunk_size=97, table="copy", connection_string=write)
    back = arrow_odbc.read_arrow_batches_from_odbc(
        query="SELECT * FROM copy ORDER BY _mdm_row", connection_string=write, batch_size=128)
    copied = pa.Table.from_batches(list(back), schema=back.schema)
    del back
    gc.collect()
    assert copied.equals(got)
