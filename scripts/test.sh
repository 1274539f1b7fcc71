#!/usr/bin/env bash
# Installs what the tests need and runs them all. Idempotent.
#  1. the ODBC drivers (drivers/setup.sh), a reachable PostgreSQL server and
#     a MariaDB server (the source of the `register --odbc` tests);
#  2. formatting, lints (with and without the `odbc` feature) and the
#     module layers of src/lib.rs (scripts/layers.py);
#  3. unit tests and the end-to-end suite against the embedded SQLite
#     default, then the same end-to-end suite once per ODBC backend profile
#     (SQLite through its ODBC driver, PostgreSQL through psqlODBC, DuckDB
#     through mdm's own driver);
#  4. the Python package (python/: PyO3, built by maturin) installed with
#     pip, and its pytest suite once per profile;
#  5. a build without the `odbc` feature, checking its configuration errors.
set -euo pipefail
cd "$(dirname "$0")/.."

# Build artefacts live outside the checkout so repeated runs (and CI) reuse them.
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/mdm-target}
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
need_apt=()
command -v cc >/dev/null || need_apt+=(gcc)
command -v psql >/dev/null || need_apt+=(postgresql-client)
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c "import pyodbc" 2>/dev/null || need_apt+=(python3-pyodbc)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "test.sh: installing ${need_apt[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
# Python's duckdb package reads mdm's DuckDB files in the backend document's tests.
python3 -c "import duckdb" 2>/dev/null || python3 -m pip install --quiet duckdb
# Files written by other tools (tests/cli/formats.rs): pyarrow, pandas, openpyxl.
python3 -c "import pyarrow, pandas, openpyxl" 2>/dev/null ||
  python3 -m pip install --quiet pyarrow pandas openpyxl
command -v bzip2 >/dev/null && command -v xz >/dev/null ||
  { $SUDO apt-get update -qq; DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq bzip2 xz-utils >/dev/null; }
rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt clippy

echo "== ODBC drivers, PostgreSQL and MariaDB (a source for register --odbc)"
drivers/setup.sh sqlite postgresql duckdb mariadb
scripts/ensure-postgres.sh
scripts/ensure-mariadb.sh
# The DuckDB driver builds and runs against the libduckdb.so installed with it.
DUCKDB_LIB_DIR=$(drivers/duckdb.sh --print-install-dir)
export DUCKDB_LIB_DIR

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== module layers: no upward arrow, no cycle"
python3 scripts/layers.py >/dev/null
echo "== cargo clippy"
cargo clippy --all-targets --all-features --quiet -- -D warnings
cargo clippy --all-targets --quiet -- -D warnings
cargo clippy -p mdm-duckdb-odbc --all-targets --quiet -- -D warnings
cargo clippy -p mdm-python --all-targets --quiet -- -D warnings

echo "== tests: the DuckDB ODBC driver's own (through odbc-api, loading this build)"
cargo build -p mdm-duckdb-odbc
LD_LIBRARY_PATH=$DUCKDB_LIB_DIR cargo test -p mdm-duckdb-odbc

# The driver installed by drivers/setup.sh above, through pyodbc, isql and iusql.
echo "== tests: the DuckDB ODBC driver through pyodbc, isql and iusql"
/usr/bin/python3 drivers/duckdb-odbc/tests/pyodbc_driver.py
echo "== tests: pyodbc's own test suites against the DuckDB ODBC driver"
/usr/bin/python3 drivers/duckdb-odbc/tests/pyodbc_suite.py

echo "== tests: unit tests and the embedded SQLite profile"
cargo test --all-features
for profile in sqlite-odbc postgresql duckdb; do
  echo "== tests: the $profile profile"
  # The configuration, cross-backend and document-snippet tests choose their
  # backends themselves.
  MDM_TEST_PROFILE=$profile cargo test --all-features --test cli -- --skip config:: --skip cross:: --skip document::snippet --skip team::
done
echo "== Python: build and install the mdm package (pip install ./python)"
command -v maturin >/dev/null && python3 -c "import pytest, polars, sklearn, arrow_odbc" 2>/dev/null ||
  python3 -m pip install --quiet maturin pytest polars scikit-learn arrow-odbc
python3 -m pip install --quiet --no-build-isolation ./python
for profile in embedded sqlite-odbc duckdb postgresql; do
  echo "== tests: Python, the $profile profile"
  MDM_TEST_PROFILE=$profile MDM_BINARY="$CARGO_TARGET_DIR/debug/mdm" \
    python3 -m pytest -q -p no:cacheprovider python/tests
done

echo "== tests: a build without the odbc feature"
cargo test --test cli -- config:: odbc_source_disabled::
