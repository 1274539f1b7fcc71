#!/usr/bin/env python3
"""mdm's DuckDB ODBC driver through real clients: pyodbc (including
fast_executemany), the unixODBC driver manager called directly through
ctypes (for what pyodbc never asks, such as bind offsets on fetch), and
isql/iusql.

Every test runs in its own child process, so a driver crash (SIGSEGV) is a
failed test rather than a lost run. Run with the system Python that has
pyodbc (Debian's python3-pyodbc):

    /usr/bin/python3 drivers/duckdb-odbc/tests/pyodbc_driver.py [-k PATTERN]

The driver is the one registered as "MDM DuckDB" (MDM_DUCKDB_DRIVER
overrides the name or gives a library path).
"""

import contextlib
import ctypes
import datetime
import decimal
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import uuid

import pyodbc

DRIVER = os.environ.get("MDM_DUCKDB_DRIVER", "MDM DuckDB")


def connection_string(path, extra=""):
    return "Driver={%s};Database={%s}%s" % (DRIVER, path, extra)


def connect(path, **options):
    return pyodbc.connect(connection_string(path), **options)


def sqlstate(error):
    """The SQLSTATE pyodbc reports for an error."""
    return error.args[0] if error.args else ""


class ODBC:
    """The unixODBC driver manager called directly, for the calls pyodbc
    never makes (bind offsets on fetch, NULL targets, narrow C types)."""

    SQL_HANDLE_ENV, SQL_HANDLE_DBC, SQL_HANDLE_STMT = 1, 2, 3

    def __init__(self):
        self.lib = ctypes.CDLL("libodbc.so.2")
        self.lib.SQLBindCol.argtypes = [
            ctypes.c_void_p, ctypes.c_ushort, ctypes.c_short, ctypes.c_void_p,
            ctypes.c_ssize_t, ctypes.c_void_p]
        self.lib.SQLGetData.argtypes = self.lib.SQLBindCol.argtypes
        self.lib.SQLSetStmtAttr.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
        self.lib.SQLExecDirect.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
        self.lib.SQLPrepare.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
        self.lib.SQLFetch.argtypes = [ctypes.c_void_p]
        self.lib.SQLNumResultCols.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        self.lib.SQLDescribeCol.argtypes = [
            ctypes.c_void_p, ctypes.c_ushort, ctypes.c_char_p, ctypes.c_short, ctypes.c_void_p,
            ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
        self.lib.SQLGetDiagRec.argtypes = [
            ctypes.c_short, ctypes.c_void_p, ctypes.c_short, ctypes.c_char_p, ctypes.c_void_p,
            ctypes.c_char_p, ctypes.c_short, ctypes.c_void_p]
        self.lib.SQLDriverConnect.argtypes = [
            ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_short, ctypes.c_char_p,
            ctypes.c_short, ctypes.c_void_p, ctypes.c_ushort]
        self.lib.SQLAllocHandle.argtypes = [ctypes.c_short, ctypes.c_void_p, ctypes.c_void_p]
        self.lib.SQLSetEnvAttr.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
        self.lib.SQLDisconnect.argtypes = [ctypes.c_void_p]
        self.lib.SQLFreeHandle.argtypes = [ctypes.c_short, ctypes.c_void_p]
        self.env = ctypes.c_void_p()
        self.lib.SQLAllocHandle(self.SQL_HANDLE_ENV, None, ctypes.byref(self.env))
        self.lib.SQLSetEnvAttr(self.env, 200, ctypes.c_void_p(3), 0)

    def connect(self, text):
        dbc = ctypes.c_void_p()
        self.lib.SQLAllocHandle(self.SQL_HANDLE_DBC, self.env, ctypes.byref(dbc))
        outcome = self.lib.SQLDriverConnect(dbc, None, text.encode(), -3, None, 0, None, 0)
        if outcome not in (0, 1):
            raise RuntimeError(self.diagnostic(self.SQL_HANDLE_DBC, dbc))
        return dbc

    def statement(self, dbc):
        handle = ctypes.c_void_p()
        assert self.lib.SQLAllocHandle(self.SQL_HANDLE_STMT, dbc, ctypes.byref(handle)) == 0
        return handle

    def run(self, handle, sql):
        outcome = self.lib.SQLExecDirect(handle, sql.encode(), -3)
        if outcome not in (0, 1, 100):
            raise RuntimeError(self.diagnostic(self.SQL_HANDLE_STMT, handle))
        return outcome

    def diagnostic(self, handle_type, handle):
        state = ctypes.create_string_buffer(6)
        message = ctypes.create_string_buffer(1024)
        native = ctypes.c_int()
        length = ctypes.c_short()
        self.lib.SQLGetDiagRec(handle_type, handle, 1, state, ctypes.byref(native), message, 1024,
                               ctypes.byref(length))
        return state.value.decode() + " " + message.value.decode(errors="replace")


class DriverTests(unittest.TestCase):
    def setUp(self):
        pyodbc.native_uuid = False
        self.directory = tempfile.mkdtemp(prefix="mdm-odbc-test-")
        self.path = os.path.join(self.directory, "test.duckdb")

    def count(self, table, path=None):
        with connect(path or self.path) as cnxn:
            return cnxn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]

    # --- Crashes and silent data loss -----------------------------------

    EVERY_TYPE = [
        ("b", "BOOLEAN", [True, False, None]),
        ("i8", "TINYINT", [-128, 127, None]),
        ("i16", "SMALLINT", [-32768, 32767, None]),
        ("i32", "INTEGER", [-2147483648, 2147483647, None]),
        ("i64", "BIGINT", [-9223372036854775808, 9223372036854775807, None]),
        ("f", "DOUBLE", [1.5, -2.25e300, None]),
        ("d", "DECIMAL(18,4)", [decimal.Decimal("12345.6789"), decimal.Decimal("-0.0001"), None]),
        ("s", "VARCHAR", ["héllo wörld ✓ 😀", "x" * 100000, None]),
        ("blob", "BLOB", [bytes(range(256)) * 400, b"\\x41\x00\xff", None]),
        ("day", "DATE", [datetime.date(2024, 2, 29), datetime.date(1, 1, 1), None]),
        ("moment", "TIMESTAMP", [datetime.datetime(2024, 2, 29, 23, 59, 59, 123456),
                                 datetime.datetime(1970, 1, 1), None]),
        ("clock", "TIME", [datetime.time(4, 5, 6), datetime.time(23, 59, 59), None]),
        ("r", "FLOAT", [1.5, -0.25, None]),
        ("h", "HUGEINT", [2 ** 100, -(2 ** 126), None]),
        ("ub", "UBIGINT", [2 ** 64 - 1, 0, None]),
        ("u", "UUID", [uuid.UUID("12345678-1234-5678-9abc-def012345678"), uuid.UUID(int=0), None]),
        ("e", "ENUM('small', 'large')", ["large", "small", None]),
    ]

    def create_every_type(self, cnxn):
        columns = ", ".join(f"{name} {kind}" for name, kind, _ in self.EVERY_TYPE)
        cnxn.execute(f"CREATE TABLE t (id INTEGER, {columns})")

    def rows_of_every_type(self, count):
        rows = []
        for row in range(count):
            rows.append([row] + [values[row % len(values)] for _, _, values in self.EVERY_TYPE])
        return rows

    def check_every_type(self, cnxn, expected):
        got = [list(r) for r in cnxn.execute("SELECT * FROM t ORDER BY id").fetchall()]
        self.assertEqual(len(got), len(expected))
        for row_got, row_expected in zip(got, expected):
            self.assertEqual(row_got, row_expected)

    def test_fast_executemany_inserts_every_type(self):
        pyodbc.native_uuid = True  # UUIDs come back as uuid.UUID
        with connect(self.path) as cnxn:
            self.create_every_type(cnxn)
            cursor = cnxn.cursor()
            cursor.fast_executemany = True
            names = ", ".join(["id"] + [name for name, _, _ in self.EVERY_TYPE])
            marks = ", ".join("?" * (len(self.EVERY_TYPE) + 1))
            rows = self.rows_of_every_type(300)
            cursor.executemany(f"INSERT INTO t ({names}) VALUES ({marks})", rows)
            self.check_every_type(cnxn, rows)

    def test_fast_executemany_updates_every_type(self):
        pyodbc.native_uuid = True
        with connect(self.path) as cnxn:
            self.create_every_type(cnxn)
            rows = self.rows_of_every_type(30)
            names = ", ".join(["id"] + [name for name, _, _ in self.EVERY_TYPE])
            marks = ", ".join("?" * (len(self.EVERY_TYPE) + 1))
            cursor = cnxn.cursor()
            # (pyodbc binds integers beyond 64 bits only with fast_executemany.)
            cursor.fast_executemany = True
            cursor.executemany(f"INSERT INTO t ({names}) VALUES ({marks})", rows)
            assignments = ", ".join(f"{name} = ?" for name, _, _ in self.EVERY_TYPE)
            updated = self.rows_of_every_type(31)[1:]
            cursor.executemany(f"UPDATE t SET {assignments} WHERE id = ?",
                               [row[1:] + [index] for index, row in enumerate(updated)])
            self.check_every_type(cnxn, [[index] + row[1:] for index, row in enumerate(updated)])

    def test_fetch_with_row_bind_offset_and_null_targets(self):
        odbc = ODBC()
        dbc = odbc.connect(connection_string(self.path))
        handle = odbc.statement(dbc)
        odbc.run(handle, "CREATE TABLE r AS SELECT i AS a, i * 10 AS b FROM range(10) t(i)")
        odbc.run(handle, "SELECT a, b FROM r ORDER BY a")

        class Row(ctypes.Structure):
            _fields_ = [("padding", ctypes.c_int64), ("a", ctypes.c_int64),
                        ("a_indicator", ctypes.c_ssize_t), ("b_indicator", ctypes.c_ssize_t)]

        rows = (Row * 4)()
        offset = ctypes.c_ssize_t(ctypes.addressof(rows))
        fetched = ctypes.c_size_t()
        odbc.lib.SQLSetStmtAttr(handle, 5, ctypes.c_void_p(ctypes.sizeof(Row)), 0)   # row-wise
        odbc.lib.SQLSetStmtAttr(handle, 27, ctypes.c_void_p(4), 0)                   # 4 rows
        odbc.lib.SQLSetStmtAttr(handle, 23, ctypes.cast(ctypes.byref(offset), ctypes.c_void_p), 0)
        odbc.lib.SQLSetStmtAttr(handle, 26, ctypes.cast(ctypes.byref(fetched), ctypes.c_void_p), 0)
        # Relative addresses (above zero, as a null address means unbound):
        # the offset makes them absolute.
        self.assertEqual(odbc.lib.SQLBindCol(handle, 1, -25, ctypes.c_void_p(Row.a.offset), 8,
                                             ctypes.c_void_p(Row.a_indicator.offset)), 0)
        # A NULL target with an indicator: only the length comes back.
        self.assertEqual(odbc.lib.SQLBindCol(handle, 2, -25, None, 0,
                                             ctypes.c_void_p(Row.b_indicator.offset)), 0)
        seen = []
        while odbc.lib.SQLFetch(handle) in (0, 1):
            for row in rows[: fetched.value]:
                seen.append(row.a)
                self.assertEqual(row.b_indicator, 8)
        self.assertEqual(seen, list(range(10)))

    def test_extended_fetch_of_an_odbc_2_application(self):
        odbc = ODBC()
        odbc.lib.SQLExtendedFetch.argtypes = [
            ctypes.c_void_p, ctypes.c_ushort, ctypes.c_ssize_t, ctypes.c_void_p, ctypes.c_void_p]
        dbc = odbc.connect(connection_string(self.path))
        handle = odbc.statement(dbc)
        odbc.run(handle, "CREATE TABLE e AS SELECT i AS a FROM range(7) t(i)")
        odbc.run(handle, "SELECT a FROM e ORDER BY a")
        values = (ctypes.c_int64 * 3)()
        indicators = (ctypes.c_ssize_t * 3)()
        odbc.lib.SQLSetStmtAttr(handle, 9, ctypes.c_void_p(3), 0)  # SQL_ROWSET_SIZE
        self.assertEqual(odbc.lib.SQLBindCol(handle, 1, -25, values, 8, indicators), 0)
        count = ctypes.c_size_t()
        status = (ctypes.c_ushort * 3)()
        seen = []
        while odbc.lib.SQLExtendedFetch(handle, 1, 0, ctypes.byref(count), status) in (0, 1):
            self.assertEqual(list(status)[: count.value], [0] * count.value)
            seen.extend(values[: count.value])
        self.assertEqual(seen, list(range(7)))
        self.assertEqual(count.value, 0)  # set to none at the end, as ODBC says

    def test_two_connections_to_one_file_share_the_database(self):
        first = connect(self.path, autocommit=True)
        second = connect(self.path, autocommit=True)
        first.execute("CREATE TABLE big AS SELECT range AS id FROM range(200000)")
        self.assertEqual(second.execute("SELECT count(*) FROM big").fetchone()[0], 200000)
        second.execute("INSERT INTO big VALUES (-1)")
        self.assertEqual(first.execute("SELECT count(*) FROM big").fetchone()[0], 200001)
        second.close()
        first.close()
        # A fresh process sees every committed row.
        script = ("import pyodbc, sys; c = pyodbc.connect(sys.argv[1]); "
                  "print(c.execute('SELECT count(*) FROM big').fetchone()[0])")
        out = subprocess.run([sys.executable, "-c", script, connection_string(self.path)],
                             capture_output=True, text=True, check=True).stdout
        self.assertEqual(out.strip(), "200001")

    def test_threads_sharing_one_connection_each_get_their_own_results(self):
        cnxn = connect(self.path, autocommit=True)
        cnxn.execute("CREATE TABLE big AS SELECT range AS id FROM range(100000)")
        failures = []

        def work(step):
            cursor = cnxn.cursor()
            try:
                for round in range(30):
                    divisor = step + round % 5 + 2
                    rows = cursor.execute(
                        "SELECT count(*), sum(id) FROM big WHERE id % ? = 0", divisor).fetchall()
                    ids = range(0, 100000, divisor)
                    if [tuple(r) for r in rows] != [(len(ids), sum(ids))]:
                        failures.append((step, round, rows))
                    streamed = cursor.execute("SELECT id FROM big WHERE id < ?", 3000 + step)
                    if len(streamed.fetchall()) != 3000 + step:
                        failures.append((step, round, "streamed"))
            except pyodbc.Error as error:
                failures.append((step, str(error)))

        threads = [threading.Thread(target=work, args=(step,)) for step in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        cnxn.close()
        self.assertEqual(failures, [])

    def test_several_statements_in_one_execute_give_one_result_each(self):
        with connect(":memory:", autocommit=True) as cnxn:
            cursor = cnxn.cursor()
            cursor.execute("CREATE TABLE m (a INTEGER); INSERT INTO m VALUES (1), (2); "
                           "SELECT sum(a) AS s FROM m; SELECT count(*) FROM m WHERE a > 1")
            self.assertIsNone(cursor.description)  # CREATE
            self.assertTrue(cursor.nextset())        # INSERT
            self.assertEqual(cursor.rowcount, 2)
            self.assertTrue(cursor.nextset())        # the sum
            self.assertEqual(cursor.description[0][0], "s")
            self.assertEqual(cursor.fetchone()[0], 3)
            self.assertTrue(cursor.nextset())
            self.assertEqual(cursor.fetchall()[0][0], 1)
            self.assertFalse(cursor.nextset())
            # A failing statement fails when it is reached; what ran before
            # it stays done.
            cursor.execute("INSERT INTO m VALUES (5); SELECT * FROM nowhere; INSERT INTO m VALUES (6)")
            with self.assertRaises(pyodbc.Error) as raised:
                cursor.nextset()
            self.assertEqual(sqlstate(raised.exception), "42S02")
            self.assertEqual(cnxn.execute("SELECT sum(a) FROM m").fetchone()[0], 8)
            # A new statement discards the ones not reached.
            cursor.execute("SELECT 1; SELECT 2")
            self.assertEqual(cursor.fetchone()[0], 1)
            self.assertEqual(cursor.execute("SELECT 3").fetchone()[0], 3)
            self.assertFalse(cursor.nextset())

    def test_parameters_whose_type_the_statement_leaves_open(self):
        with connect(":memory:", autocommit=True) as cnxn:
            cases = [
                ("SELECT ? + 1", decimal.Decimal("2.5"), decimal.Decimal("3.5")),
                ("SELECT abs(?)", decimal.Decimal("-1.25"), decimal.Decimal("1.25")),
                ("SELECT abs(?)", -3, 3),
                ("SELECT ? * 2", decimal.Decimal("123456789012345678901234567.125"),
                 decimal.Decimal("246913578024691357802469134.250")),
                ("SELECT ? || 'x'", "a", "ax"),
                ("SELECT ? * 2.0", 1.5, 3.0),
            ]
            for sql, parameter, expected in cases:
                self.assertEqual(cnxn.execute(sql, parameter).fetchone()[0], expected, sql)
            self.assertEqual(cnxn.execute("SELECT typeof(?)", decimal.Decimal("3.14")).fetchone()[0],
                             "DECIMAL(3,2)")

    def test_nested_cursors_keep_every_row(self):
        with connect(self.path, autocommit=True) as cnxn:
            cnxn.execute("CREATE TABLE src AS SELECT range AS id FROM range(100000)")
            cnxn.execute("CREATE TABLE dst (id BIGINT)")
            outer = cnxn.cursor()
            inner = cnxn.cursor()
            outer.execute("SELECT id FROM src ORDER BY id")
            total = 0
            for (value,) in outer:
                if value % 10000 == 0:
                    inner.execute("INSERT INTO dst VALUES (?)", value)
                    inner.execute("SELECT count(*) FROM src WHERE id < ?", value).fetchone()
                    inner.tables(table="src").fetchall()
                    inner.columns(table="src").fetchall()
                total += 1
            self.assertEqual(total, 100000)
            self.assertEqual(cnxn.execute("SELECT count(*) FROM dst").fetchone()[0], 10)
            self.assertEqual(cnxn.getinfo(pyodbc.SQL_MAX_CONCURRENT_ACTIVITIES), 0)

    def write_odbc_ini(self, sections):
        path = os.path.join(self.directory, "odbc.ini")
        with open(path, "w") as ini:
            for name, attributes in sections.items():
                ini.write(f"[{name}]\n")
                for key, value in attributes.items():
                    ini.write(f"{key}={value}\n")
        return path

    def run_child(self, code, environment):
        return subprocess.run([sys.executable, "-c", code], env={**os.environ, **environment},
                              capture_output=True, text=True)

    def test_dsn_connections_open_the_dsn_database(self):
        ini = self.write_odbc_ini({
            "mdm_test": {"Driver": DRIVER, "Database": self.path},
            "mdm_no_database": {"Driver": DRIVER},
        })
        code = ("import pyodbc; c = pyodbc.connect('DSN=mdm_test', autocommit=True); "
                "c.execute('CREATE TABLE through_dsn AS SELECT 42 AS answer')")
        outcome = self.run_child(code, {"ODBCINI": ini})
        self.assertEqual(outcome.returncode, 0, outcome.stderr)
        # (pyodbc's `with` commits but does not close: close explicitly so
        # that isql can open the file afterwards.)
        with contextlib.closing(connect(self.path)) as cnxn:
            self.assertEqual(cnxn.execute("SELECT answer FROM through_dsn").fetchone()[0], 42)
        code = "import pyodbc; pyodbc.connect('DSN=mdm_no_database')"
        outcome = self.run_child(code, {"ODBCINI": ini})
        self.assertNotEqual(outcome.returncode, 0)
        self.assertIn("no Database", outcome.stderr)
        # iusql (SQLConnectW), isql (SQLConnect) and isql -k
        # (SQLDriverConnect) through the DSN; pyodbc above used
        # SQLDriverConnectW.
        for command in (["iusql", "mdm_test", "-b"], ["isql", "mdm_test", "-b"],
                        ["isql", "DSN=mdm_test", "-k", "-b"]):
            outcome = subprocess.run(command, input=b"SELECT answer FROM through_dsn\n",
                                     env={**os.environ, "ODBCINI": ini}, capture_output=True)
            self.assertIn(b"42", outcome.stdout, command)

    def test_data_at_execution_and_binary_parameters(self):
        with connect(self.path) as cnxn:
            cnxn.execute("CREATE TABLE blobs (id INTEGER, data BLOB, note VARCHAR)")
            every_byte = bytes(range(256)) * 400
            long_text = "ünïcode ✓ 😀 " * 10000
            cursor = cnxn.cursor()
            cursor.execute("INSERT INTO blobs VALUES (?, ?, ?)", 1, every_byte, long_text)
            cursor.execute("INSERT INTO blobs VALUES (?, ?, ?)", 2, b"\\x41", "short")
            cnxn.maxwrite = 255  # everything longer is sent with SQLPutData
            cursor.execute("INSERT INTO blobs VALUES (?, ?, ?)", 3, b"\x80\x81" * 1000, "y" * 1000)
            rows = cnxn.execute("SELECT id, data, note FROM blobs ORDER BY id").fetchall()
            self.assertEqual(rows[0][1], every_byte)
            self.assertEqual(rows[0][2], long_text)
            self.assertEqual(rows[1][1], b"\\x41")
            self.assertEqual(rows[2][1], b"\x80\x81" * 1000)
            self.assertEqual(rows[2][2], "y" * 1000)

    def test_narrowing_integers_reports_22003(self):
        odbc = ODBC()
        dbc = odbc.connect(connection_string(":memory:"))
        for value, c_type in ((-1, -18), (300, -28), (70000, -15), (-1, -27), (2 ** 40, -16)):
            handle = odbc.statement(dbc)
            odbc.run(handle, f"SELECT {value}::BIGINT")
            self.assertEqual(odbc.lib.SQLFetch(handle), 0)
            target = ctypes.create_string_buffer(8)
            indicator = ctypes.c_ssize_t()
            outcome = odbc.lib.SQLGetData(handle, 1, c_type, target, 8, ctypes.byref(indicator))
            self.assertEqual(outcome, -1, (value, c_type))
            self.assertTrue(odbc.diagnostic(3, handle).startswith("22003"), (value, c_type))

    def test_disconnect_frees_open_statements(self):
        odbc = ODBC()
        dbc = odbc.connect(connection_string(self.path))
        handle = odbc.statement(dbc)
        odbc.run(handle, "CREATE TABLE kept AS SELECT range AS id FROM range(5000)")
        odbc.run(handle, "SELECT * FROM kept")
        self.assertEqual(odbc.lib.SQLFetch(handle), 0)
        self.assertEqual(odbc.lib.SQLDisconnect(dbc), 0)
        # Another process can open the file for writing: the lock is gone.
        script = ("import pyodbc, sys; c = pyodbc.connect(sys.argv[1], autocommit=True); "
                  "c.execute('INSERT INTO kept VALUES (-1)'); "
                  "print(c.execute('SELECT count(*) FROM kept').fetchone()[0])")
        out = subprocess.run([sys.executable, "-c", script, connection_string(self.path)],
                             capture_output=True, text=True)
        self.assertEqual(out.stdout.strip(), "5001", out.stderr)

    # --- What clients expect ---------------------------------------------

    def test_unicode_identifiers_and_emoji(self):
        with connect(self.path) as cnxn:
            cnxn.execute('CREATE TABLE "données_😀" ("clé_é" VARCHAR, "数" INTEGER)')
            cnxn.execute('INSERT INTO "données_😀" VALUES (?, ?)', "valeur 😀 ✓", 7)
            cursor = cnxn.execute('SELECT "clé_é", "数", \'🦆\' AS "duck_🦆" FROM "données_😀"')
            self.assertEqual([d[0] for d in cursor.description], ["clé_é", "数", "duck_🦆"])
            self.assertEqual(list(cursor.fetchone()), ["valeur 😀 ✓", 7, "🦆"])
            tables = [row.table_name for row in cnxn.cursor().tables(table="données_%")]
            self.assertEqual(tables, ["données_😀"])
            columns = [row.column_name for row in cnxn.cursor().columns(table="données_😀")]
            self.assertEqual(columns, ["clé_é", "数"])
            with self.assertRaises(pyodbc.Error) as raised:
                cnxn.execute('SELECT "🙈" FROM "données_😀"')
            self.assertIn("🙈", str(raised.exception))

    def test_types_arrive_as_python_types(self):
        with connect(":memory:") as cnxn:
            row = cnxn.execute(
                "SELECT 12.50::DECIMAL(5,2), 123456789012345678.123::DECIMAL(38,3), "
                "TIMESTAMPTZ '2024-01-02 03:04:05.5+00', now(), current_timestamp, "
                "'2024-01-02 03:04:05'::TIMESTAMP_S, '2024-01-02 03:04:05.123'::TIMESTAMP_MS, "
                "'2024-01-02 03:04:05.123456789'::TIMESTAMP_NS, TIME '04:05:06', "
                "'a'::ENUM('a', 'b'), 340282366920938463463374607431768211455::UHUGEINT, "
                "[1, 2, NULL], {'k': 'v', 'n': [1.5]}, MAP {'x': 1}, "
                "'\\xAB\\x01'::BLOB, 170141183460469231731687303715884105727::HUGEINT").fetchone()
            self.assertEqual(row[0], decimal.Decimal("12.50"))
            self.assertEqual(row[1], decimal.Decimal("123456789012345678.123"))
            self.assertEqual(row[2], datetime.datetime(2024, 1, 2, 3, 4, 5, 500000))
            self.assertIsInstance(row[3], datetime.datetime)
            self.assertIsInstance(row[4], datetime.datetime)
            self.assertEqual(row[5], datetime.datetime(2024, 1, 2, 3, 4, 5))
            self.assertEqual(row[6], datetime.datetime(2024, 1, 2, 3, 4, 5, 123000))
            self.assertEqual(row[7], datetime.datetime(2024, 1, 2, 3, 4, 5, 123456))
            self.assertEqual(row[8], datetime.time(4, 5, 6))
            self.assertEqual(row[9], "a")
            self.assertEqual(row[10], decimal.Decimal(2 ** 128 - 1))
            self.assertEqual(json.loads(row[11]), [1, 2, None])
            self.assertEqual(json.loads(row[12]), {"k": "v", "n": [1.5]})
            self.assertEqual(json.loads(row[13]), {"x": 1})
            self.assertEqual(row[14], b"\xab\x01")
            self.assertEqual(row[15], decimal.Decimal(2 ** 127 - 1))
            types = [d[1] for d in cnxn.execute("SELECT 1.5::DECIMAL(4,1), TIME '01:02:03'").description]
            self.assertEqual(types, [decimal.Decimal, datetime.time])
            value = uuid.UUID("12345678-1234-5678-9abc-def012345678")
            self.assertEqual(cnxn.execute(f"SELECT '{value}'::UUID").fetchone()[0].lower(), str(value))
            pyodbc.native_uuid = True
            self.assertEqual(cnxn.execute(f"SELECT '{value}'::UUID").fetchone()[0], value)
            self.assertEqual(cnxn.execute("SELECT ?::UUID", value).fetchone()[0], value)
            pyodbc.native_uuid = False
            # Parameters of SQL_C_TYPE_TIME, SQL_C_NUMERIC (fast_executemany) and SQL_C_GUID.
            cnxn.execute("CREATE TABLE p (t TIME, n DECIMAL(20,6), g UUID)")
            cursor = cnxn.cursor()
            cursor.fast_executemany = True
            cursor.executemany("INSERT INTO p VALUES (?, ?, ?)",
                               [(datetime.time(1, 2, 3), decimal.Decimal("-12345678901234.000042"), value)])
            self.assertEqual(tuple(cnxn.execute("SELECT t, n, g::VARCHAR FROM p").fetchone()),
                             (datetime.time(1, 2, 3), decimal.Decimal("-12345678901234.000042"), str(value)))
            with self.assertRaises(pyodbc.Error) as raised:
                cnxn.execute("SELECT 'infinity'::DATE").fetchone()
            self.assertEqual(sqlstate(raised.exception), "22007")

    def test_blob_as_character_data_is_hexadecimal(self):
        odbc = ODBC()
        dbc = odbc.connect(connection_string(":memory:"))
        handle = odbc.statement(dbc)
        odbc.run(handle, "SELECT '\\xAB\\x01'::BLOB")
        self.assertEqual(odbc.lib.SQLFetch(handle), 0)
        target = ctypes.create_string_buffer(16)
        indicator = ctypes.c_ssize_t()
        self.assertEqual(odbc.lib.SQLGetData(handle, 1, 1, target, 16, ctypes.byref(indicator)), 0)
        self.assertEqual(target.value, b"AB01")

    def test_sqlstates(self):
        with connect(":memory:", autocommit=True) as cnxn:
            cnxn.execute("CREATE TABLE k (id INTEGER PRIMARY KEY)")
            cases = [
                ("CREATE TABLE k (id INTEGER)", "42S01"),
                ("SELECT missing FROM k", "42S22"),
                ("SELECT * FROM nowhere", "42S02"),
                ("SELECT 300::TINYINT", "22003"),
                ("SELECT 1 +", "42000"),
                ("SELECT DATE '2024-02-30'", "22007"),
                ("SELECT CAST('x' AS DATE)", "22007"),
                ("SELECT TIMESTAMP '2024-13-01 00:00:00'", "22007"),
                ("SELECT CAST('abc' AS INTEGER)", "22018"),
            ]
            for sql, state in cases:
                with self.assertRaises(pyodbc.Error, msg=sql) as raised:
                    cnxn.execute(sql)
                self.assertEqual(sqlstate(raised.exception), state, sql)
            cnxn.execute("INSERT INTO k VALUES (1)")
            with self.assertRaises(pyodbc.IntegrityError) as raised:
                cnxn.execute("INSERT INTO k VALUES (1)")
            self.assertEqual(sqlstate(raised.exception), "23000")

    def test_bit_time_with_time_zone_and_interval_arrive_as_duckdb_writes_them(self):
        sql = ("SELECT '0010110011'::BIT AS b, TIMETZ '04:05:06.5+02:30' AS t, "
               "TIMETZ '23:00:00-07' AS u, INTERVAL '4 hours 5 minutes 6.5 seconds' AS i, "
               "INTERVAL '1 year 2 months 3 days 4 hours 0.123 seconds' AS j, "
               "INTERVAL '-6.25 seconds' AS k")
        with connect(":memory:", autocommit=True) as cnxn:
            row = tuple(cnxn.execute(sql).fetchone())
            # DuckDB's own text form of each: its cast to VARCHAR.
            text = "SELECT " + ", ".join(f"{c}::VARCHAR" for c in "btuijk") + f" FROM ({sql})"
            expected = tuple(cnxn.execute(text).fetchone())
        self.assertEqual(row, expected)
        self.assertEqual(row[0], "0010110011")
        self.assertEqual(row[3], "04:05:06.5")

    def test_truncated_output_and_one_byte_pieces(self):
        odbc = ODBC()
        dbc = odbc.connect(connection_string(":memory:"))
        handle = odbc.statement(dbc)
        odbc.run(handle, "SELECT 'abcdef' AS a_long_column_name, 'xyz'::BLOB AS b")
        name = ctypes.create_string_buffer(4)
        length = ctypes.c_short()
        self.assertEqual(odbc.lib.SQLDescribeCol(handle, 1, name, 4, ctypes.byref(length),
                                                 None, None, None, None), 1)
        self.assertTrue(odbc.diagnostic(3, handle).startswith("01004"))
        self.assertEqual((name.value, length.value), (b"a_l", 18))
        self.assertEqual(odbc.lib.SQLFetch(handle), 0)
        pieces = []
        target = ctypes.create_string_buffer(2)
        indicator = ctypes.c_ssize_t()
        while odbc.lib.SQLGetData(handle, 1, 1, target, 2, ctypes.byref(indicator)) in (0, 1):
            pieces.append(target.value)
        self.assertEqual(b"".join(pieces), b"abcdef")
        pieces = []
        while odbc.lib.SQLGetData(handle, 2, -2, target, 1, ctypes.byref(indicator)) in (0, 1):
            pieces.append(target.raw[:1])
        self.assertEqual(b"".join(pieces), b"xyz")

    def test_read_only_connections_refuse_changes(self):
        with connect(self.path, autocommit=True) as cnxn:
            cnxn.execute("CREATE TABLE ds AS SELECT 1 AS x")
        with connect(self.path, autocommit=True, readonly=True) as cnxn:
            self.assertEqual(cnxn.execute("SELECT x FROM ds").fetchone()[0], 1)
            for sql in ("INSERT INTO ds VALUES (2)", "DROP TABLE ds", "CREATE TABLE other (a INT)",
                        "UPDATE ds SET x = 3"):
                with self.assertRaises(pyodbc.Error, msg=sql) as raised:
                    cnxn.execute(sql)
                self.assertEqual(sqlstate(raised.exception), "25006")
        text = connection_string(self.path, ";access_mode=READ_ONLY")
        with pyodbc.connect(text, autocommit=True) as cnxn:
            self.assertEqual(cnxn.execute("SELECT count(*) FROM ds").fetchone()[0], 1)
            with self.assertRaises(pyodbc.Error):
                cnxn.execute("INSERT INTO ds VALUES (2)")
        self.assertEqual(self.count("ds"), 1)

    def test_keys_of_other_tools_are_ignored_and_readonly_is_honoured(self):
        with connect(self.path, autocommit=True) as cnxn:
            cnxn.execute("CREATE TABLE keys AS SELECT 1 AS x")
        # What BI tools and odbc.ini files add: not DuckDB settings.
        extra = (";Description=sales dashboard;Trace=No;TraceFile=/tmp/odbc.trace"
                 ";Trusted_Connection=yes;UID=analyst;PWD=secret;VendorTimeoutKey=30"
                 ";threads=2")
        with pyodbc.connect(connection_string(self.path, extra), autocommit=True) as cnxn:
            self.assertEqual(cnxn.execute("SELECT x FROM keys").fetchone()[0], 1)
            self.assertEqual(
                cnxn.execute("SELECT current_setting('threads')").fetchone()[0], 2)
            cnxn.execute("INSERT INTO keys VALUES (2)")
        # ReadOnly=1, the ODBC spelling, opens the file read-only.
        with pyodbc.connect(connection_string(self.path, ";ReadOnly=1"), autocommit=True) as cnxn:
            self.assertEqual(cnxn.execute("SELECT count(*) FROM keys").fetchone()[0], 2)
            with self.assertRaises(pyodbc.Error) as raised:
                cnxn.execute("INSERT INTO keys VALUES (3)")
            self.assertEqual(sqlstate(raised.exception), "25006")
        self.assertEqual(self.count("keys"), 2)

    def test_timeout_cancel_and_max_rows(self):
        slow = "SELECT count(*) FROM range(1000000000000) a"
        with connect(":memory:") as cnxn:
            cnxn.timeout = 1
            cursor = cnxn.cursor()
            started = time.time()
            with self.assertRaises(pyodbc.Error) as raised:
                cursor.execute(slow)
            self.assertEqual(sqlstate(raised.exception), "HYT00")
            self.assertLess(time.time() - started, 30)
            cnxn.rollback()  # DuckDB aborts a transaction whose query was interrupted
            cnxn.timeout = 0
            cursor = cnxn.cursor()
            threading.Timer(1.0, cursor.cancel).start()
            with self.assertRaises(pyodbc.Error) as raised:
                cursor.execute(slow)
            self.assertEqual(sqlstate(raised.exception), "HY008")
        odbc = ODBC()
        dbc = odbc.connect(connection_string(":memory:"))
        handle = odbc.statement(dbc)
        odbc.lib.SQLSetStmtAttr(handle, 1, ctypes.c_void_p(5), 0)  # SQL_ATTR_MAX_ROWS
        odbc.run(handle, "SELECT * FROM range(100)")
        rows = 0
        while odbc.lib.SQLFetch(handle) == 0:
            rows += 1
        self.assertEqual(rows, 5)

    def test_describe_after_prepare(self):
        odbc = ODBC()
        dbc = odbc.connect(connection_string(":memory:"))
        handle = odbc.statement(dbc)
        self.assertEqual(odbc.lib.SQLPrepare(handle, b"SELECT 1 AS one, 'x' AS two, 2.5 AS three WHERE 1 = ?", -3), 0)
        count = ctypes.c_short()
        self.assertEqual(odbc.lib.SQLNumResultCols(handle, ctypes.byref(count)), 0)
        self.assertEqual(count.value, 3)
        name = ctypes.create_string_buffer(32)
        data_type = ctypes.c_short()
        self.assertEqual(odbc.lib.SQLDescribeCol(handle, 2, name, 32, None, ctypes.byref(data_type),
                                                 None, None, None), 0)
        self.assertEqual((name.value, data_type.value), (b"two", 12))

    def test_catalog_functions(self):
        with connect(self.path, autocommit=True) as cnxn:
            cnxn.execute("CREATE SCHEMA sales")
            cnxn.execute("CREATE TABLE sales.customers (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL, "
                         "balance DECIMAL(12,2), seen TIMESTAMP)")
            cnxn.execute("CREATE TABLE sales.orders (id INTEGER, customer INTEGER REFERENCES sales.customers(id))")
            cnxn.execute("CREATE TABLE main.a_b (x INTEGER)")
            cnxn.execute("CREATE TABLE main.axb (x INTEGER)")
            cnxn.execute("CREATE VIEW sales.big AS SELECT * FROM sales.customers WHERE balance > 100")
            cursor = cnxn.cursor()
            self.assertEqual({r.table_name for r in cursor.tables(schema="sales")},
                             {"customers", "orders", "big"})
            self.assertEqual([r.table_name for r in cursor.tables(schema="sales", tableType="VIEW")], ["big"])
            self.assertEqual([r.table_name for r in cursor.tables(table="a\\_b")], ["a_b"])
            self.assertEqual(sorted(r.table_name for r in cursor.tables(table="a_b")), ["a_b", "axb"])
            catalogs = [r.table_cat for r in cursor.tables(catalog="%", schema="", table="")]
            self.assertIn("test", catalogs)
            schemas = [r.table_schem for r in cursor.tables(catalog="", schema="%", table="")]
            self.assertIn("sales", schemas)
            types = [r.table_type for r in cursor.tables(catalog="", schema="", table="", tableType="%")]
            self.assertEqual(types, ["LOCAL TEMPORARY", "TABLE", "VIEW"])
            columns = {r.column_name: r for r in cursor.columns(schema="sales", table="customers")}
            self.assertEqual(columns["name"].type_name, "VARCHAR")
            self.assertEqual(columns["name"].nullable, 0)
            self.assertNotEqual(columns["name"].column_size, 26)
            self.assertEqual((columns["balance"].data_type, columns["balance"].column_size,
                              columns["balance"].decimal_digits), (3, 12, 2))
            self.assertEqual(columns["seen"].data_type, 93)
            described = cnxn.execute("SELECT * FROM sales.customers").description
            self.assertEqual([d[1] for d in described], [int, str, decimal.Decimal, datetime.datetime])
            keys = cursor.primaryKeys("customers", schema="sales").fetchall()
            self.assertEqual([(k.column_name, k.key_seq) for k in keys], [("id", 1)])
            foreign = cursor.foreignKeys(foreignTable="orders", foreignSchema="sales").fetchall()
            self.assertEqual([(f.pktable_name, f.pkcolumn_name, f.fkcolumn_name) for f in foreign],
                             [("customers", "id", "customer")])
            self.assertEqual([s.column_name for s in cursor.statistics("customers", schema="sales")
                              if s.column_name], ["id"])
            self.assertEqual([r.column_name for r in cursor.rowIdColumns("customers", schema="sales")], ["id"])
            self.assertEqual(cursor.procedures().fetchall(), [])
            type_names = [t.type_name for t in cursor.getTypeInfo()]
            self.assertIn("DECIMAL", type_names)
            self.assertEqual([t.type_name for t in cursor.getTypeInfo(pyodbc.SQL_TYPE_DATE)], ["DATE"])
            # The types clients pick columns by, each with a name DuckDB
            # accepts in CREATE TABLE.
            for number, sql_type in enumerate((pyodbc.SQL_WVARCHAR, pyodbc.SQL_NUMERIC, pyodbc.SQL_LONGVARCHAR,
                             pyodbc.SQL_WLONGVARCHAR, pyodbc.SQL_CHAR, pyodbc.SQL_LONGVARBINARY)):
                found = cursor.getTypeInfo(sql_type).fetchall()
                self.assertEqual([t.data_type for t in found], [sql_type], sql_type)
                name = found[0].type_name
                column = f"{name}(10, 2)" if found[0].create_params == "precision,scale" else name
                cursor.execute(f"CREATE TEMP TABLE typed_{number} (c {column})")
            for info, expected in ((pyodbc.SQL_SEARCH_PATTERN_ESCAPE, "\\"),
                                   (pyodbc.SQL_IDENTIFIER_QUOTE_CHAR, '"'),
                                   (pyodbc.SQL_DBMS_NAME, "DuckDB"),
                                   (pyodbc.SQL_DEFAULT_TXN_ISOLATION, pyodbc.SQL_TXN_SERIALIZABLE),
                                   (pyodbc.SQL_MAX_IDENTIFIER_LEN, 0)):
                self.assertEqual(cnxn.getinfo(info), expected)
            self.assertIn("QUALIFY", cnxn.getinfo(pyodbc.SQL_KEYWORDS))

    def test_escape_sequences(self):
        with connect(":memory:") as cnxn:
            row = cnxn.execute("SELECT {fn UCASE('abc')}, {d '2024-01-02'}, {ts '2024-01-02 03:04:05'}, "
                               "{t '03:04:05'}, {fn CONCAT('a', 'b')}, 'a_c' LIKE 'a\\_c' {escape '\\'}").fetchone()
            self.assertEqual(list(row), ["ABC", datetime.date(2024, 1, 2), datetime.datetime(2024, 1, 2, 3, 4, 5),
                                         datetime.time(3, 4, 5), "ab", True])
            cnxn.execute("CREATE TABLE l (x INTEGER)")
            cnxn.execute("CREATE TABLE r (x INTEGER)")
            cnxn.execute("INSERT INTO l VALUES (1), (2)")
            rows = cnxn.execute("SELECT l.x, r.x FROM {oj l LEFT OUTER JOIN r ON l.x = r.x} ORDER BY 1").fetchall()
            self.assertEqual([tuple(r) for r in rows], [(1, None), (2, None)])

    def test_isql_reads_hex_blobs_and_unicode(self):
        with contextlib.closing(connect(self.path, autocommit=True)) as cnxn:
            cnxn.execute("CREATE TABLE shown AS SELECT 'ünï 😀' AS word, '\\x01\\xFF'::BLOB AS data")
        ini = self.write_odbc_ini({"mdm_shown": {"Driver": DRIVER, "Database": self.path}})
        query = b"SELECT word, data FROM shown\n"
        environment = {**os.environ, "ODBCINI": ini}
        outcome = subprocess.run(["isql", "DSN=mdm_shown", "-k", "-b"], input=query,
                                 capture_output=True, env=environment)
        self.assertIn("ünï 😀".encode(), outcome.stdout)
        self.assertIn(b"01FF", outcome.stdout)
        # iusql reads SQL_C_WCHAR and prints only the low byte of each
        # character, so only the ASCII part is compared.
        outcome = subprocess.run(["iusql", "mdm_shown", "-b"], input=query, capture_output=True,
                                 env=environment)
        self.assertIn(b"01FF", outcome.stdout)


def run_isolated(pattern):
    """Runs each test in its own child process; a crash fails that test."""
    loader = unittest.TestLoader()
    names = [n for n in loader.getTestCaseNames(DriverTests) if not pattern or pattern in n]
    failed = []
    for name in names:
        started = time.time()
        try:
            outcome = subprocess.run([sys.executable, __file__, "--child", name], capture_output=True,
                                     text=True, timeout=600)
            code, log = outcome.returncode, outcome.stderr
        except subprocess.TimeoutExpired:
            code, log = "timeout", ""
        verdict = "ok" if code == 0 else ("CRASHED (signal %d)" % -code if isinstance(code, int) and code < 0
                                          else "FAILED")
        print(f"{name:60s} {verdict} ({time.time() - started:.1f} s)", flush=True)
        if code != 0:
            failed.append(name)
            print(log, flush=True)
    print(f"{len(names) - len(failed)} passed, {len(failed)} failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "--child":
        suite = unittest.TestLoader().loadTestsFromName(sys.argv[2], DriverTests)
        result = unittest.TextTestRunner(verbosity=0).run(suite)
        sys.exit(0 if result.wasSuccessful() else 1)
    pattern = sys.argv[2] if len(sys.argv) >= 3 and sys.argv[1] == "-k" else ""
    sys.exit(run_isolated(pattern))
