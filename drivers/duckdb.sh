#!/usr/bin/env bash
# Builds mdm's DuckDB ODBC driver (drivers/duckdb-odbc) against a prebuilt
# libduckdb.so, installs both into one directory (the driver finds
# libduckdb next to itself through its $ORIGIN rpath) and registers the
# driver with odbcinst as "MDM DuckDB". Idempotent.
#
# libduckdb.so comes from $DUCKDB_LIB_DIR when set, else from the npm
# registry package @duckdb/node-bindings-linux-x64 (cached under
# ~/.cache/mdm-duckdb). Building DuckDB from source instead is possible but
# slow (tens of minutes): cargo build -p mdm-duckdb-odbc --features bundled.
#
# `duckdb.sh --print-install-dir` prints where the driver and libduckdb.so
# are installed (DUCKDB_LIB_DIR for building against them again).
#
# Environment: DUCKDB_VERSION (npm package version, default below),
# MDM_DRIVER_DIR (install directory, default /usr/local/lib/mdm-odbc as
# root, else ~/.local/lib/mdm-odbc).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=${DUCKDB_VERSION:-1.5.2-r.1}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/mdm-duckdb/$version
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
if [ "$(id -u)" -eq 0 ]; then default_dir=/usr/local/lib/mdm-odbc; else default_dir=$HOME/.local/lib/mdm-odbc; fi
install_dir=${MDM_DRIVER_DIR:-$default_dir}
if [ "${1:-}" = "--print-install-dir" ]; then echo "$install_dir"; exit 0; fi

if [ -n "${DUCKDB_LIB_DIR:-}" ]; then
  lib_dir=$DUCKDB_LIB_DIR
else
  lib_dir=$cache/package
  if [ ! -f "$lib_dir/libduckdb.so" ]; then
    command -v npm >/dev/null || { echo "duckdb.sh: npm is needed to fetch libduckdb (or set DUCKDB_LIB_DIR)" >&2; exit 1; }
    echo "duckdb.sh: fetching libduckdb $version from the npm registry" >&2
    mkdir -p "$cache"
    (cd "$cache" && npm pack --silent "@duckdb/node-bindings-linux-x64@$version" >/dev/null && tar xzf duckdb-node-bindings-linux-x64-*.tgz)
  fi
fi
[ -f "$lib_dir/libduckdb.so" ] || { echo "duckdb.sh: no libduckdb.so in $lib_dir" >&2; exit 1; }

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/mdm-target}
(cd "$root" && DUCKDB_LIB_DIR=$lib_dir cargo build --release --quiet -p mdm-duckdb-odbc)
$SUDO mkdir -p "$install_dir"
# place FILE: installs FILE into $install_dir under a temporary name and
# renames it, so that programs loading the driver meanwhile (a running test
# suite, a BI tool) never find it missing or half-written.
place() {
  local name
  name=$(basename "$1")
  $SUDO install -m 0755 "$1" "$install_dir/.$name.new"
  $SUDO mv -f "$install_dir/.$name.new" "$install_dir/$name"
}
place "$CARGO_TARGET_DIR/release/libmdm_duckdb_odbc.so"
# Rebuilding against the installed copy (DUCKDB_LIB_DIR=$install_dir) leaves it in place.
if [ ! "$lib_dir/libduckdb.so" -ef "$install_dir/libduckdb.so" ]; then
  place "$lib_dir/libduckdb.so"
fi

# Registered already with this library: nothing to change (re-registering
# would briefly leave the driver unknown to programs connecting meanwhile).
if odbcinst -q -d -n "MDM DuckDB" 2>/dev/null | grep -qx "Driver=$install_dir/libmdm_duckdb_odbc.so"; then
  echo "duckdb.sh: ODBC driver 'MDM DuckDB' -> $install_dir/libmdm_duckdb_odbc.so (updated)" >&2
  exit 0
fi
template=$(mktemp)
cat >"$template" <<INI
[MDM DuckDB]
Description=DuckDB ODBC driver (for mdm)
Driver=$install_dir/libmdm_duckdb_odbc.so
Setup=$install_dir/libmdm_duckdb_odbc.so
INI
$SUDO odbcinst -u -d -n "MDM DuckDB" >/dev/null 2>&1 || true
$SUDO odbcinst -i -d -f "$template" >/dev/null
rm -f "$template"
echo "duckdb.sh: registered ODBC driver 'MDM DuckDB' -> $install_dir/libmdm_duckdb_odbc.so" >&2
