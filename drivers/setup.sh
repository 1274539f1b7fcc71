#!/usr/bin/env bash
# Installs unixODBC and the ODBC drivers mdm uses, and registers them with
# odbcinst under stable names with absolute library paths:
#   MDM SQLite3      (Debian: libsqliteodbc)
#   MDM PostgreSQL   (Debian: odbc-postgresql, the Unicode driver)
#   MDM DuckDB       (built from drivers/duckdb-odbc by drivers/duckdb.sh)
#   MDM MariaDB      (Debian: odbc-mariadb; a source for `register --odbc`,
#                     MariaDB and MySQL servers alike)
# Any other installed ODBC driver (Microsoft's ODBC Driver for SQL Server,
# Oracle's Instant Client ODBC, ...) works as a `register --odbc` source
# as installed by its vendor: name it in a DSN or a connection string.
# Idempotent: re-running replaces the registrations.
#
# Usage: drivers/setup.sh [sqlite|postgresql|duckdb|mariadb|all]... [--dsn]
#   --dsn   also install the DSNs of odbc.ini.example (system-wide as root,
#           else in ~/.odbc.ini)
#
# Other systems (install the packages, then run this script to register):
#   RHEL/Fedora: unixODBC unixODBC-devel postgresql-odbc sqliteodbc
#   macOS (Homebrew): unixodbc psqlodbc sqliteodbc
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)

want=()
install_dsns=0
for arg in "$@"; do
  case "$arg" in
    sqlite|postgresql|duckdb|mariadb) want+=("$arg") ;;
    all) want+=(sqlite postgresql duckdb mariadb) ;;
    --dsn) install_dsns=1 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown argument '$arg' (expected sqlite, postgresql, duckdb, mariadb, all or --dsn)" >&2; exit 2 ;;
  esac
done
[ ${#want[@]} -gt 0 ] || want=(sqlite postgresql)

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

apt_install() {
  local missing=()
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! command -v apt-get >/dev/null; then
    echo "setup.sh: please install ${missing[*]} with your package manager (see the header of this script)" >&2
    exit 1
  fi
  echo "setup.sh: installing ${missing[*]}" >&2
  if [ ! -f /tmp/.mdm-apt-updated ]; then
    $SUDO apt-get update -qq && touch /tmp/.mdm-apt-updated
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
}

# find_library NAME...: the absolute path of the first driver library found.
find_library() {
  local dirs=(/usr/lib/x86_64-linux-gnu/odbc /usr/lib/aarch64-linux-gnu/odbc /usr/lib64 /usr/lib /usr/local/lib /opt/homebrew/lib)
  for name in "$@"; do
    for dir in "${dirs[@]}"; do
      [ -f "$dir/$name" ] && { echo "$dir/$name"; return 0; }
    done
  done
  return 1
}

# register NAME DESCRIPTION LIBRARY [EXTRA LINES...]
register() {
  local name=$1 description=$2 library=$3; shift 3
  local template
  template=$(mktemp)
  {
    echo "[$name]"
    echo "Description=$description"
    echo "Driver=$library"
    echo "Setup=$library"
    for line in "$@"; do echo "$line"; done
  } >"$template"
  $SUDO odbcinst -u -d -n "$name" >/dev/null 2>&1 || true
  $SUDO odbcinst -i -d -f "$template" >/dev/null
  rm -f "$template"
  echo "setup.sh: registered ODBC driver '$name' -> $library" >&2
}

apt_install unixodbc unixodbc-dev
for backend in "${want[@]}"; do
  case "$backend" in
    sqlite)
      apt_install libsqliteodbc
      lib=$(find_library libsqlite3odbc.so) || { echo "setup.sh: libsqlite3odbc.so not found" >&2; exit 1; }
      register "MDM SQLite3" "SQLite3 ODBC driver (for mdm)" "$lib"
      ;;
    postgresql)
      apt_install odbc-postgresql
      lib=$(find_library psqlodbcw.so) || { echo "setup.sh: psqlodbcw.so not found" >&2; exit 1; }
      # CommLog=0: Debian's default logs every connection to /tmp.
      register "MDM PostgreSQL" "PostgreSQL Unicode ODBC driver (for mdm)" "$lib" "Debug=0" "CommLog=0"
      # Also silence the package's own registrations, if present.
      if grep -q '^CommLog=1' /etc/odbcinst.ini 2>/dev/null; then
        $SUDO sed -i 's/^CommLog=1/CommLog=0/' /etc/odbcinst.ini
      fi
      ;;
    duckdb)
      "$here/duckdb.sh"
      ;;
    mariadb)
      apt_install odbc-mariadb
      lib=$(find_library libmaodbc.so) || { echo "setup.sh: libmaodbc.so not found" >&2; exit 1; }
      register "MDM MariaDB" "MariaDB/MySQL ODBC driver (a source for mdm register --odbc)" "$lib"
      ;;
  esac
done

if [ "$install_dsns" = 1 ]; then
  scope=(-s -l)
  [ "$(id -u)" -eq 0 ] || scope=(-s -h)
  section=""
  while IFS= read -r line; do
    if [[ "$line" =~ ^\[(.+)\]$ ]]; then section=${BASH_REMATCH[1]}; $SUDO odbcinst -u "${scope[@]}" -n "$section" >/dev/null 2>&1 || true; fi
  done <"$root/odbc.ini.example"
  grep -v '^[;#]' "$root/odbc.ini.example" | $SUDO odbcinst -i "${scope[@]}" -r >/dev/null
  echo "setup.sh: installed the DSNs of odbc.ini.example" >&2
fi
