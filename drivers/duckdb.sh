#!/usr/bin/env bash
# Builds and registers mdm's DuckDB ODBC driver (drivers/duckdb-odbc).
set -euo pipefail
if [ ! -d "$(dirname "$0")/duckdb-odbc" ]; then
  echo "duckdb.sh: the DuckDB ODBC driver (drivers/duckdb-odbc) is not part of this version of mdm yet" >&2
  exit 1
fi
