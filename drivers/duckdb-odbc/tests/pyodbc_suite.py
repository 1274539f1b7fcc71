#!/usr/bin/env python3
"""pyodbc's own test suites, run against mdm's DuckDB ODBC driver.

pyodbc's source distribution carries its test suites (tests3/): the
generic DB API 2.0 suite (dbapitests.py over dbapi20.py) and per-database
suites, of which PostgreSQL's and SQLite's run here. This fetches the source distribution of the installed pyodbc's
version from the Python package index (cached), adapts the suites only where
they name another database's types, runs them against a fresh DuckDB file
through the driver registered as "MDM DuckDB", and compares each failure
with the known ones below, each of which depends on another database's
behaviour. Anything else failing fails this script.

    /usr/bin/python3 drivers/duckdb-odbc/tests/pyodbc_suite.py
"""

import hashlib
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import urllib.request

import pyodbc

DRIVER = os.environ.get("MDM_DUCKDB_DRIVER", "MDM DuckDB")
CACHE = os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "mdm-pyodbc")

# Type names and type codes of PostgreSQL in pgtests.py, as DuckDB spells them.
PG_ADAPTATIONS = [
    # PostgreSQL's money type, which psqlODBC reads as a float: DOUBLE.
    ("_simpletest('money', value)", "_simpletest('DOUBLE', value)"),
    # psqlODBC's type names for INTEGER and VARCHAR columns.
    ("row.type_name == 'int4'", "row.type_name == 'INTEGER'"),
    ("row.type_name == 'varchar'", "row.type_name == 'VARCHAR'"),
    # psqlODBC's Unicode driver describes text as SQL_WVARCHAR, DuckDB's as SQL_VARCHAR.
    ("pyodbc.SQL_WVARCHAR", "pyodbc.SQL_VARCHAR"),
]

# SQLite's type names in sqlitetests.py, as DuckDB spells them.
SQLITE_ADAPTATIONS = [
    # DuckDB's BLOB takes no size.
    ("self._test_strtype('blob', None, 100)", "self._test_strtype('blob', None)"),
    ("self._test_strtype('blob', None, 4000)", "self._test_strtype('blob', None)"),
    ("self._test_strtype('blob', value, len(value))", "self._test_strtype('blob', value)"),
    # SQLite's float is 8 bytes, DuckDB's FLOAT 4: DOUBLE is the same type.
    ("create table t1(n float)", "create table t1(n DOUBLE)"),
]

# The tests that depend on another database's features, and why.
KNOWN = {
    "pgtests": {
        "test_cursor_messages": "creates a PL/pgSQL procedure that raises notices",
        "test_columns": "expects VARCHAR(3) to keep its length 3; DuckDB's VARCHAR has no length",
        "test_nonnative_uuid": "expects psqlODBC's upper-case UUID text; DuckDB spells UUIDs in lower case",
        "test_rowcount_select": "expects the row count of a SELECT before fetching; psqlODBC buffers "
                                "whole results, DuckDB streams them (SQLRowCount is -1, as ODBC allows)",
    },
    "sqlitetests": {
        "test_view_select": "creates a column with SQL Server's IDENTITY(1, 1)",
    },
    "dbapitests": {
        "test_Exceptions": "uses Python 2's StandardError",
        "test_Binary": "calls Binary('Something') with a str (Python 2)",
        "test_Time": "pyodbc's TimeFromTicks rejects the float the suite passes (a pyodbc bug)",
    },
}


def fetch_suite():
    """The tests3 directory of the installed pyodbc's source distribution."""
    version = pyodbc.version
    archive = os.path.join(CACHE, f"pyodbc-{version}.tar.gz")
    if not os.path.exists(archive):
        os.makedirs(CACHE, exist_ok=True)
        # The package index's simple page lists every file with its digest.
        with urllib.request.urlopen("https://pypi.org/simple/pyodbc/") as response:
            page = response.read().decode()
        name = f"pyodbc-{version}.tar.gz"
        url, digest = next((u, d) for u, d in re.findall(r'href="([^"#]+)#sha256=([0-9a-f]+)"', page)
                           if u.endswith("/" + name))
        with urllib.request.urlopen(url) as response:
            data = response.read()
        if hashlib.sha256(data).hexdigest() != digest:
            raise SystemExit(f"pyodbc_suite: {name} does not match the index's sha256")
        with open(archive + ".part", "wb") as out:
            out.write(data)
        os.replace(archive + ".part", archive)
    target = tempfile.mkdtemp(prefix="pyodbc-suite-")
    with tarfile.open(archive) as tar:
        members = [m for m in tar.getmembers() if "/tests3/" in m.name]
        tar.extractall(target, members=members)
    return os.path.join(target, f"pyodbc-{version}", "tests3")


def adapt(directory):
    # dbapi20.py still has Python 2's `raise E, 'message'` in three places,
    # so Python 3 cannot import it at all: only the syntax is changed.
    path = os.path.join(directory, "dbapi20.py")
    with open(path) as source:
        text = source.read()
    with open(path, "w") as out:
        out.write(re.sub(r"raise (\w+),\s*('[^']*')", r"raise \1(\2)", text))
    for module, adaptations in (("pgtests", PG_ADAPTATIONS), ("sqlitetests", SQLITE_ADAPTATIONS)):
        path = os.path.join(directory, f"{module}.py")
        with open(path) as source:
            text = source.read()
        for old, new in adaptations:
            if old not in text:
                raise SystemExit(f"pyodbc_suite: {old!r} not found in {module}.py")
            text = text.replace(old, new)
        with open(path, "w") as out:
            out.write(text)


def run(directory, module):
    """Runs one suite; returns (tests run, failed test names)."""
    database = os.path.join(tempfile.mkdtemp(prefix="pyodbc-suite-db-"), f"{module}.duckdb")
    connection_string = "Driver={%s};Database={%s}" % (DRIVER, database)
    outcome = subprocess.run([sys.executable, f"{module}.py", connection_string, "-v", "-v"], cwd=directory,
                             capture_output=True, text=True, timeout=1800)
    log = outcome.stdout + outcome.stderr
    ran = re.search(r"^Ran (\d+) tests?", log, re.M)
    if not ran:
        print(log)
        raise SystemExit(f"pyodbc_suite: {module} did not run (exit status {outcome.returncode})")
    failed = sorted(set(re.findall(r"^(?:ERROR|FAIL): (\w+) ", log, re.M)))
    return int(ran.group(1)), failed, log


def main():
    directory = fetch_suite()
    adapt(directory)
    unexpected = []
    for module in ("dbapitests", "pgtests", "sqlitetests"):
        ran, failed, log = run(directory, module)
        known = KNOWN[module]
        print(f"pyodbc {pyodbc.version} {module}: {ran} tests, {ran - len(failed)} passed, "
              f"{len(failed)} failed")
        for name in failed:
            reason = known.get(name)
            print(f"  {name}: " + (f"known: {reason}" if reason else "UNEXPECTED"))
            if not reason:
                unexpected.append(f"{module}.{name}")
        if unexpected:
            print(log)
    if unexpected:
        raise SystemExit("pyodbc_suite: unexpected failures: " + ", ".join(unexpected))


if __name__ == "__main__":
    main()
