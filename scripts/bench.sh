#!/usr/bin/env bash
# Benchmarks mdm against the reference tools, in the same run:
#   register: `mdm dataset register` vs `sqlite3 .import` of the same CSV
#   export:   `mdm dataset export` to CSV and Parquet vs `sqlite3 -csv`
#   stats:    `mdm dataset stats --extended`
#   memory:   peak RSS registering 3x the rows (flat memory means ~equal)
#   features: registration with feature generation on every backend, with
#             the number of generated features (the plain registrations
#             above run with --no-features)
#   odbc:     (when built with the odbc feature and the drivers are set up)
#             register/export through the SQLite ODBC driver vs embedded, and
#             on PostgreSQL vs `psql \copy` in and out, and on DuckDB (through
#             mdm's driver) vs DuckDB's own read_csv (Python duckdb package)
#   odbc source: `register --odbc` of a PostgreSQL query into embedded
#             SQLite (as is, and with --split-by id --parallel 2) vs
#             `psql \copy (query) to stdout` + `register` of that CSV
#             (BENCH_ONLY=odbc-source runs this part alone)
#   python:   (when the mdm Python package is installed: pip install ./python)
#             MDMClient.load_table of a stored train_features into Arrow vs
#             ConnectorX's read_sql(return_type="arrow") and vs the default
#             feature view, of train into
#             pandas vs pandas.read_sql, on the embedded SQLite dataset; on
#             DuckDB (through mdm's driver) vs Python duckdb's .arrow()
#             (BENCH_ONLY=python runs this part alone)
#   wide:     20,000 rows x 5,000 columns (scripts/gen_wide_csv.py) registered
#             on every backend next to pandas read_csv of the same file, and
#             the peak RSS next to a 100-column file of the same size
#             (BENCH_ONLY=wide runs this part alone; BENCH_WIDE=0 skips it)
#   size:     each backend's dataset with default features on disk, next to
#             the CSV
#   scale:    a run with ROWS other than 1000000 ends with its figures next
#             to the last 1M run's (seconds per million rows and peak RSS):
#             `scripts/bench.sh && scripts/bench.sh 10000000`
# Reports wall seconds, ratios and peak RSS (from /usr/bin/time -v).
# Usage: scripts/bench.sh [ROWS]   (default 1000000; BENCH_FLAT=0 skips the 3x run,
#        BENCH_ONLY=features runs the registrations with features alone)
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1000000}
work=${BENCH_DIR:-/tmp/mdm-bench}
mkdir -p "$work"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/mdm-target}

for tool in sqlite3 python3 /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is required (apt-get install sqlite3 python3 time)" >&2; exit 1; }
done

features=()
if odbcinst -q -d 2>/dev/null | grep -q 'MDM PostgreSQL'; then features=(--features odbc); fi
cargo build --release --quiet "${features[@]}"
mdm="$CARGO_TARGET_DIR/release/mdm"

csv="$work/bench_${rows}.csv"
[ -s "$csv" ] || python3 scripts/gen_csv.py "$rows" "$csv"
echo "input: $csv ($(du -h "$csv" | cut -f1), $rows rows, 12 columns)"
# Every figure of this run, as "name seconds MiB" lines; a run of another
# size is printed next to the 1M run's at the end.
results="$work/results_${rows}.txt"
# The 3x memory run and the wide files are part of the 1M run only, unless
# asked for.
if [ "$rows" -le 1000000 ]; then flat=${BENCH_FLAT:-1}; wide=${BENCH_WIDE:-1}; else flat=${BENCH_FLAT:-0}; wide=${BENCH_WIDE:-0}; fi
: >"$results"
csv_mb=$(du -m --apparent-size "$csv" | cut -f1)

# measure NAME CMD...: runs CMD under /usr/bin/time, prints and records
# wall seconds and peak RSS in MiB.
measure() {
  local name=$1; shift
  local log="$work/time_$name.txt"
  /usr/bin/time -v "$@" >/dev/null 2>"$log" || { cat "$log" >&2; exit 1; }
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,p,":"); s=0; for(i=1;i<=n;i++) s=s*60+p[i]; print s}' "$log")
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2/1024}' "$log")
  printf '%-28s %8.2f s  %8s MiB\n' "$name" "$wall" "$rss"
  eval "wall_$name=$wall"
  echo "$name $wall $rss" >>"$results"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# odbc_source_bench: the CSV loaded (untimed) into PostgreSQL database
# mdmbench_source, then the same query registered into embedded SQLite two
# ways: straight from the source, and exported by psql then registered.
odbc_source_bench() {
  echo
  echo "== register --odbc from a PostgreSQL query, $rows rows, into embedded SQLite =="
  local home="$work/home-odbc-source"
  rm -rf "$home"; mkdir -p "$home"
  psql -h 127.0.0.1 -U postgres -qc 'DROP DATABASE IF EXISTS mdmbench_source' -c 'CREATE DATABASE mdmbench_source'
  psql -h 127.0.0.1 -U postgres -d mdmbench_source -qc "CREATE TABLE train (id bigint, age bigint, visits bigint, score double precision, ratio double precision, color text, city text, signup_date date, comment text, balance double precision, clicks bigint, label bigint)" \
    -c "\\copy train FROM '$csv' CSV HEADER" -c "VACUUM ANALYZE train"
  local query="SELECT * FROM train"
  measure psql_copy_query_out sh -c "psql -h 127.0.0.1 -U postgres -d mdmbench_source -qc \"\\\\copy ($query) TO STDOUT CSV HEADER\" >'$work/source-query.csv'"
  MDM_HOME=$home measure register_copied_csv "$mdm" --quiet dataset register copied "$work/source-query.csv" --target label --no-features
  # psqlODBC streams with declare/fetch (else it buffers the whole result).
  MDM_HOME=$home measure register_odbc_source "$mdm" --quiet dataset register direct --target label --no-features \
    --odbc "Driver={MDM PostgreSQL};Server=127.0.0.1;Port=5432;Database=mdmbench_source;Uid=postgres;UseDeclareFetch=1;Fetch=10000;BoolsAsChar=0" --query "$query"
  # The same query read as two ranges of id over two connections at once.
  MDM_HOME=$home measure register_odbc_split "$mdm" --quiet dataset register split --target label --no-features \
    --odbc "Driver={MDM PostgreSQL};Server=127.0.0.1;Port=5432;Database=mdmbench_source;Uid=postgres;UseDeclareFetch=1;Fetch=10000;BoolsAsChar=0" --query "$query" \
    --split-by id --parallel 2
  local two_steps
  two_steps=$(awk -v a="$wall_psql_copy_query_out" -v b="$wall_register_copied_csv" 'BEGIN { print a + b }')
  echo "psql \\copy + register: $two_steps s"
  echo "ratio register --odbc/(psql \\copy + register): $(ratio "$wall_register_odbc_source" "$two_steps")"
  echo "ratio register --odbc --split-by id --parallel 2/(psql \\copy + register): $(ratio "$wall_register_odbc_split" "$two_steps")"
  psql -h 127.0.0.1 -U postgres -qc 'DROP DATABASE IF EXISTS mdmbench_source'
}

# python_bench: the CSV registered with features into embedded SQLite (and
# DuckDB), then read from Python by mdm and by the reference readers, each
# in a process of its own (wall time and peak RSS of the whole process).
python_bench() {
  echo
  echo "== Python: tables into Arrow and pandas, $rows rows =="
  python3 -c 'import mdm' 2>/dev/null || { echo "bench: the mdm Python package is not installed (pip install ./python); skipped"; return 0; }
  python3 -c 'import connectorx' 2>/dev/null || python3 -m pip install --quiet connectorx >/dev/null 2>&1 || true
  local home="$work/home-python"
  rm -rf "$home"; mkdir -p "$home"
  # Stored feature tables: ConnectorX's SQLite has no math functions (ln,
  # sin, cos), which the default feature views use.
  MDM_HOME=$home MDM_FEATURE_ENGINEERING_MATERIALIZE=true "$mdm" --quiet dataset register bench "$csv" --target label
  MDM_HOME=$home "$mdm" --quiet dataset register bench_view "$csv" --target label
  local db="$home/datasets/bench/dataset.sqlite"
  MDM_HOME=$home python3 -c "import mdm; t = mdm.MDMClient().load_table('bench', 'train_features', format='arrow'); print('train_features: %d rows x %d columns, %.0f MiB in Arrow' % (t.num_rows, t.num_columns, t.nbytes / 2**20))"
  MDM_HOME=$home measure py_mdm_features_arrow python3 -c "import mdm; mdm.MDMClient().load_table('bench', 'train_features', format='arrow')"
  if python3 -c 'import connectorx' 2>/dev/null; then
    measure py_connectorx_features_arrow python3 -c "import connectorx as cx, sys; cx.read_sql('sqlite://' + sys.argv[1], 'SELECT * FROM train_features', return_type='arrow')" "$db"
    echo "ratio mdm load_table(arrow)/ConnectorX: $(ratio "$wall_py_mdm_features_arrow" "$wall_py_connectorx_features_arrow")"
  fi
  # The default: train_features a view computing the features when read.
  MDM_HOME=$home measure py_mdm_feature_view_arrow python3 -c "import mdm; mdm.MDMClient().load_table('bench_view', 'train_features', format='arrow')"
  echo "ratio feature view/stored feature table (mdm load_table arrow): $(ratio "$wall_py_mdm_feature_view_arrow" "$wall_py_mdm_features_arrow")"
  MDM_HOME=$home measure py_mdm_train_pandas python3 -c "import mdm; mdm.MDMClient().load_table('bench', 'train')"
  measure py_pandas_read_sql_train python3 -c "import pandas, sqlite3, sys; pandas.read_sql('SELECT * FROM train', sqlite3.connect(sys.argv[1]))" "$db"
  echo "ratio pandas.read_sql/mdm load_table(pandas): $(ratio "$wall_py_pandas_read_sql_train" "$wall_py_mdm_train_pandas")"
  # The same two reads in one process with everything imported (as in a
  # notebook): the load alone, without the interpreter's start-up.
  MDM_HOME=$home python3 - "$db" <<'PY'
import sqlite3, statistics, sys, time
import pandas, mdm
client = mdm.MDMClient()
def median(read):
    times = []
    for _ in range(3):
        start = time.perf_counter(); read(); times.append(time.perf_counter() - start)
    return statistics.median(times)
ours = median(lambda: client.load_table("bench", "train"))
theirs = median(lambda: pandas.read_sql("SELECT * FROM train", sqlite3.connect(sys.argv[1])))
print(f"in one process (median of 3): mdm load_table(pandas) {ours:.2f} s, pandas.read_sql {theirs:.2f} s, ratio {theirs / ours:.2f}")
PY
  if [ ${#features[@]} -gt 0 ] && odbcinst -q -d 2>/dev/null | grep -q 'MDM DuckDB' && python3 -c 'import duckdb' 2>/dev/null; then
    local duck="$work/home-python-duckdb"
    rm -rf "$duck"; mkdir -p "$duck"
    printf 'database:\n  default_backend: duckdb\n' >"$duck/mdm.yaml"
    MDM_HOME=$duck "$mdm" --quiet dataset register bench "$csv" --target label --no-features
    MDM_HOME=$duck measure py_mdm_duckdb_arrow python3 -c "import mdm; mdm.MDMClient().load_table('bench', 'train', format='arrow')"
    # .arrow() is a table in older duckdb packages and a batch reader (read
    # here to the end) in newer ones.
    measure py_duckdb_arrow python3 -c "import duckdb, sys; r = duckdb.connect(sys.argv[1], read_only=True).sql('SELECT * FROM train').arrow(); r.read_all() if hasattr(r, 'read_all') else r" "$duck/datasets/bench/dataset.duckdb"
    echo "ratio mdm load_table(arrow) on duckdb/duckdb .arrow(): $(ratio "$wall_py_mdm_duckdb_arrow" "$wall_py_duckdb_arrow")"
  fi
}

# wide_bench: a 20,000 x 5,000 file registered (--no-features) on every
# backend set up, next to pandas read_csv of it; then a 100-column file of
# about the same size on embedded SQLite, for the peak RSS.
wide_bench() {
  local wide="$work/wide_20000x5000.csv" narrow="$work/wide_1000000x100.csv"
  [ -s "$wide" ] || python3 scripts/gen_wide_csv.py 20000 5000 "$wide"
  [ -s "$narrow" ] || python3 scripts/gen_wide_csv.py 1000000 100 "$narrow"
  echo
  echo "== wide: 20,000 rows x 5,000 columns ($(du -h "$wide" | cut -f1)) =="
  python3 -c 'import pandas' 2>/dev/null && measure pandas_read_csv_wide python3 -c "import pandas, sys; pandas.read_csv(sys.argv[1])" "$wide"
  local home="$work/home-wide"
  rm -rf "$home"; mkdir -p "$home"
  MDM_HOME=$home measure wide_sqlite "$mdm" --quiet dataset register wide "$wide" --target target --no-features
  MDM_HOME=$home measure wide_export_sqlite "$mdm" --quiet dataset export wide --table train --output "$work/wide-out.csv" --force
  MDM_HOME=$home measure narrow_100_sqlite "$mdm" --quiet dataset register narrow "$narrow" --target target --no-features
  [ -n "${wall_pandas_read_csv_wide:-}" ] && echo "ratio register wide sqlite/pandas read_csv: $(ratio "$wall_wide_sqlite" "$wall_pandas_read_csv_wide")"
  if [ ${#features[@]} -gt 0 ] && odbcinst -q -d 2>/dev/null | grep -q 'MDM DuckDB'; then
    local duck="$work/home-wide-duckdb"
    rm -rf "$duck"; mkdir -p "$duck"
    # DuckDB keeps a table's unfinished row group (up to 122,880 rows) in
    # memory while loading it: 20,000 x 5,000 values need more than the
    # default 2GB limit (its own read_csv peaks near 4 GB on this file).
    printf 'database:\n  default_backend: duckdb\n  duckdb:\n    memory_limit: 8GB\n' >"$duck/mdm.yaml"
    MDM_HOME=$duck measure wide_duckdb "$mdm" --quiet dataset register wide "$wide" --target target --no-features
  fi
  if [ ${#features[@]} -gt 0 ] && psql -h 127.0.0.1 -U postgres -Atc 'select 1' >/dev/null 2>&1; then
    local pg="$work/home-wide-postgresql"
    rm -rf "$pg"; mkdir -p "$pg"
    printf 'database:\n  default_backend: postgresql\n  postgresql:\n    host: 127.0.0.1\n    database_prefix: mdmbench_\n' >"$pg/mdm.yaml"
    psql -h 127.0.0.1 -U postgres -qc 'DROP DATABASE IF EXISTS mdmbench_wide'
    MDM_HOME=$pg measure wide_postgresql "$mdm" --quiet dataset register wide "$wide" --target target --no-features
    MDM_HOME=$pg "$mdm" --quiet dataset remove wide --force
  fi
}

# dataset_mb HOME NAME: the size on disk of a registered dataset in MB
# (its directory for SQLite and DuckDB, the database on PostgreSQL).
dataset_mb() {
  local home=$1 name=$2
  if [ -d "$home/datasets/$name" ]; then
    du -m --apparent-size -s "$home/datasets/$name" | cut -f1
  else
    psql -h 127.0.0.1 -U postgres -Atc "SELECT pg_database_size('mdmbench_$name') / 1000000"
  fi
}

# features_on HOME NAME: registers the CSV with feature generation and
# prints how many features the train table got and the dataset's size on
# disk next to the CSV's.
features_on() {
  local home=$1 name=$2
  MDM_HOME=$home measure "$name" "$mdm" --quiet dataset register "${name}_f" "$csv" --target label --force
  MDM_HOME=$home "$mdm" --quiet dataset features "${name}_f" --json |
    python3 -c 'import json, sys; s = json.load(sys.stdin); t = s["tables"][0]; print("  %d features in train_features (%s), %d constant ones dropped" % (len(t["features"]), "a view" if t.get("view") else "a table", len(s["dropped"])))'
  local size
  size=$(dataset_mb "$home" "${name}_f")
  echo "  size on disk: $size MB, $(ratio "$size" "$csv_mb")x the CSV ($csv_mb MB)"
  echo "size_$name 0 $size" >>"$results"
  MDM_HOME=$home "$mdm" --quiet dataset remove "${name}_f" --force
}

# features_bench: registration with features on every backend set up,
# each in a home of its own under $work.
features_bench() {
  echo
  echo "== registration with features, $rows rows =="
  mkdir -p "$work/home"
  features_on "$work/home" features_embedded
  [ ${#features[@]} -gt 0 ] || return 0
  mkdir -p "$work/home-sqlite-odbc"
  printf 'database:\n  sqlite:\n    odbc: { driver: MDM SQLite3 }\n' >"$work/home-sqlite-odbc/mdm.yaml"
  features_on "$work/home-sqlite-odbc" features_sqlite_odbc
  if odbcinst -q -d 2>/dev/null | grep -q 'MDM DuckDB'; then
    mkdir -p "$work/home-duckdb"
    printf 'database:\n  default_backend: duckdb\n' >"$work/home-duckdb/mdm.yaml"
    features_on "$work/home-duckdb" features_duckdb
  fi
  if psql -h 127.0.0.1 -U postgres -Atc 'select 1' >/dev/null 2>&1; then
    mkdir -p "$work/home-postgresql"
    printf 'database:\n  default_backend: postgresql\n  postgresql:\n    host: 127.0.0.1\n    database_prefix: mdmbench_\n' >"$work/home-postgresql/mdm.yaml"
    psql -h 127.0.0.1 -U postgres -qc 'DROP DATABASE IF EXISTS mdmbench_features_postgresql_f'
    features_on "$work/home-postgresql" features_postgresql
  fi
}

# A run of another size next to the 1M run (scripts/bench.sh 10000000 after
# scripts/bench.sh): seconds per million rows and peak RSS of each figure
# both runs have; linear time keeps s/M equal, flat memory keeps MiB equal.
scale_report() {
  local base="$work/results_1000000.txt"
  if [ "$rows" != 1000000 ] && [ -s "$base" ]; then
    echo
    echo "== $rows rows next to 1000000 rows =="
    printf '%-28s %10s  %10s  %11s  %11s\n' figure "1M s/M" "this s/M" "1M MiB" "this MiB"
    awk -v rows="$rows" '
      NR == FNR { wall[$1] = $2; rss[$1] = $3; next }
      ($1 in wall) && $1 !~ /^size_/ && wall[$1] > 0 {
        printf "%-28s %8.2f s/M  %8.2f s/M  %7.1f MiB  %7.1f MiB  time x%.2f for rows x%.0f\n",
          $1, wall[$1], $2 / (rows / 1000000), rss[$1], $3, $2 / wall[$1], rows / 1000000
      }
      ($1 in wall) && $1 ~ /^size_/ { printf "%-28s %8d MB  %8d MB (dataset size)\n", $1, rss[$1], $3 }
    ' "$base" "$results"
  fi
}

if [ "${BENCH_ONLY:-}" = features ]; then
  features_bench
  scale_report
  exit 0
fi

if [ "${BENCH_ONLY:-}" = wide ]; then
  wide_bench
  exit 0
fi

if [ "${BENCH_ONLY:-}" = python ]; then
  python_bench
  exit 0
fi

if [ "${BENCH_ONLY:-}" = odbc-source ]; then
  [ ${#features[@]} -gt 0 ] || { echo "bench: register --odbc needs the odbc feature and drivers/setup.sh postgresql" >&2; exit 1; }
  odbc_source_bench
  exit 0
fi

export MDM_HOME="$work/home"
rm -rf "$MDM_HOME" "$work/reference.sqlite"
echo
echo "== register $rows rows =="
measure sqlite3_import sqlite3 "$work/reference.sqlite" ".import --csv $csv train"
measure mdm_register "$mdm" --quiet dataset register bench "$csv" --target label --no-features
echo "ratio mdm/sqlite3 .import: $(ratio "$wall_mdm_register" "$wall_sqlite3_import")"

echo
echo "== export $rows rows =="
db="$MDM_HOME/datasets/bench/dataset.sqlite"
measure sqlite3_csv sqlite3 -csv -header "$db" "select * from train"
measure mdm_export_csv "$mdm" --quiet dataset export bench --table train --output "$work/out.csv" --force
measure mdm_export_parquet "$mdm" --quiet dataset export bench --table train --output "$work/out.parquet" --force
echo "ratio mdm csv/sqlite3 -csv: $(ratio "$wall_mdm_export_csv" "$wall_sqlite3_csv")"
echo "ratio mdm parquet/sqlite3 -csv: $(ratio "$wall_mdm_export_parquet" "$wall_sqlite3_csv")"

echo
echo "== stats $rows rows =="
measure mdm_stats "$mdm" --quiet dataset stats bench
measure mdm_stats_extended "$mdm" --quiet dataset stats bench --extended

if [ "$flat" != 0 ]; then
  big_rows=$((rows * 3))
  big="$work/bench_${big_rows}.csv"
  [ -s "$big" ] || python3 scripts/gen_csv.py "$big_rows" "$big"
  echo
  echo "== memory: register $big_rows rows ($(du -h "$big" | cut -f1)) =="
  measure mdm_register_3x "$mdm" --quiet dataset register bench3 "$big" --target label --no-features
fi

if [ ${#features[@]} -gt 0 ]; then
  echo
  echo "== SQLite through its ODBC driver, $rows rows =="
  odbc_home="$work/home-sqlite-odbc"
  rm -rf "$odbc_home"; mkdir -p "$odbc_home"
  printf 'database:\n  sqlite:\n    odbc: { driver: MDM SQLite3 }\n' >"$odbc_home/mdm.yaml"
  MDM_HOME=$odbc_home measure sqlite_odbc_register "$mdm" --quiet dataset register bench "$csv" --target label --no-features
  MDM_HOME=$odbc_home measure sqlite_odbc_export_csv "$mdm" --quiet dataset export bench --table train --output "$work/out-odbc.csv" --force
  echo "ratio register sqlite-odbc/embedded: $(ratio "$wall_sqlite_odbc_register" "$wall_mdm_register")"
  echo "ratio export sqlite-odbc/embedded: $(ratio "$wall_sqlite_odbc_export_csv" "$wall_mdm_export_csv")"

  if psql -h 127.0.0.1 -U postgres -Atc 'select 1' >/dev/null 2>&1; then
    echo
    echo "== PostgreSQL through psqlODBC, $rows rows =="
    pg_home="$work/home-postgresql"
    rm -rf "$pg_home"; mkdir -p "$pg_home"
    printf 'database:\n  default_backend: postgresql\n  postgresql:\n    host: 127.0.0.1\n    database_prefix: mdmbench_\n' >"$pg_home/mdm.yaml"
    psql -h 127.0.0.1 -U postgres -qc 'DROP DATABASE IF EXISTS mdmbench_bench' -c 'DROP DATABASE IF EXISTS mdmbench_reference' -c 'CREATE DATABASE mdmbench_reference'
    psql -h 127.0.0.1 -U postgres -d mdmbench_reference -qc "CREATE TABLE train (id bigint, age bigint, visits bigint, score double precision, ratio double precision, color text, city text, signup_date date, comment text, balance double precision, clicks bigint, label bigint)"
    measure psql_copy_in psql -h 127.0.0.1 -U postgres -d mdmbench_reference -qc "\\copy train FROM '$csv' CSV HEADER"
    MDM_HOME=$pg_home measure postgresql_register "$mdm" --quiet dataset register bench "$csv" --target label --no-features
    measure psql_copy_out psql -h 127.0.0.1 -U postgres -d mdmbench_reference -qc "\\copy train TO '$work/pg-reference.csv' CSV HEADER"
    MDM_HOME=$pg_home measure postgresql_export_csv "$mdm" --quiet dataset export bench --table train --output "$work/out-pg.csv" --force
    echo "ratio register postgresql/psql \\copy: $(ratio "$wall_postgresql_register" "$wall_psql_copy_in")"
    echo "ratio export postgresql/psql \\copy: $(ratio "$wall_postgresql_export_csv" "$wall_psql_copy_out")"
    MDM_HOME=$pg_home "$mdm" --quiet dataset remove bench --force
    psql -h 127.0.0.1 -U postgres -qc 'DROP DATABASE IF EXISTS mdmbench_reference'
    odbc_source_bench
  fi
fi

if [ ${#features[@]} -gt 0 ] && odbcinst -q -d 2>/dev/null | grep -q 'MDM DuckDB'; then
  echo
  echo "== DuckDB through mdm's ODBC driver, $rows rows =="
  duck_home="$work/home-duckdb"
  rm -rf "$duck_home"; mkdir -p "$duck_home"
  printf 'database:\n  default_backend: duckdb\n' >"$duck_home/mdm.yaml"
  python3 -c 'import duckdb' 2>/dev/null || python3 -m pip install --quiet duckdb >/dev/null 2>&1 || true
  if python3 -c 'import duckdb' 2>/dev/null; then
    rm -f "$work/reference.duckdb"
    measure duckdb_read_csv python3 -c "import duckdb, sys; duckdb.connect(sys.argv[1]).execute(\"CREATE TABLE train AS SELECT * FROM read_csv(?)\", [sys.argv[2]])" "$work/reference.duckdb" "$csv"
  fi
  MDM_HOME=$duck_home measure duckdb_register "$mdm" --quiet dataset register bench "$csv" --target label --no-features
  MDM_HOME=$duck_home measure duckdb_export_csv "$mdm" --quiet dataset export bench --table train --output "$work/out-duckdb.csv" --force
  MDM_HOME=$duck_home measure duckdb_stats_extended "$mdm" --quiet dataset stats bench --extended
  if [ -n "${wall_duckdb_read_csv:-}" ]; then
    echo "ratio register duckdb/read_csv: $(ratio "$wall_duckdb_register" "$wall_duckdb_read_csv")"
  fi
  echo "ratio register duckdb/embedded: $(ratio "$wall_duckdb_register" "$wall_mdm_register")"
  cmp -s "$work/out-duckdb.csv" "$work/out.csv" && echo "duckdb export is byte-identical to the embedded export"
fi

features_bench
if [ "$flat" != 0 ]; then
  MDM_HOME=$MDM_HOME measure features_embedded_3x "$mdm" --quiet dataset register bench3_f "$big" --target label
fi

if [ ${#features[@]} -gt 0 ] && odbcinst -q -d 2>/dev/null | grep -q 'MDM DuckDB' && python3 -c 'import duckdb' 2>/dev/null; then
  echo
  echo "== DuckDB ODBC driver: $rows rows of (BIGINT, DOUBLE, VARCHAR) through odbc-api =="
  driver_dir=$(drivers/duckdb.sh --print-install-dir)
  DUCKDB_LIB_DIR=$driver_dir cargo build --release --quiet -p mdm-duckdb-odbc --example bench
  rm -f "$work/driver.duckdb" "$work/driver.duckdb.wal" "$work/native.duckdb"
  LD_LIBRARY_PATH=$driver_dir "$CARGO_TARGET_DIR/release/examples/bench" "$driver_dir/libmdm_duckdb_odbc.so" \
    "$work/driver.duckdb" "$rows" "$work/driver.csv" | tee "$work/driver-bench.txt"
  native=$(python3 -c "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); t = time.perf_counter(); c.execute('CREATE TABLE t AS SELECT * FROM read_csv(?)', [sys.argv[2]]); print(f'{time.perf_counter() - t:.3f}')" "$work/native.duckdb" "$work/driver.csv")
  echo "duckdb_read_csv_seconds $native"
  insert=$(awk '/odbc_insert_seconds/ {print $2}' "$work/driver-bench.txt")
  echo "ratio odbc bulk insert/read_csv: $(ratio "$insert" "$native")"
fi

python_bench

if [ "$wide" != 0 ]; then
  wide_bench
fi

scale_report
