#!/usr/bin/env bash
# Benchmarks mdm against the reference tools, in the same run:
#   register: `mdm dataset register` vs `sqlite3 .import` of the same CSV
#   export:   `mdm dataset export` to CSV and Parquet vs `sqlite3 -csv`
#   stats:    `mdm dataset stats --extended`
#   memory:   peak RSS registering 3x the rows (flat memory means ~equal)
# Reports wall seconds, ratios and peak RSS (from /usr/bin/time -v).
# Usage: scripts/bench.sh [ROWS]   (default 1000000; BENCH_FLAT=0 skips the 3x run)
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1000000}
work=${BENCH_DIR:-/tmp/mdm-bench}
mkdir -p "$work"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/mdm-target}

for tool in sqlite3 python3 /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is required (apt-get install sqlite3 python3 time)" >&2; exit 1; }
done

cargo build --release --quiet
mdm="$CARGO_TARGET_DIR/release/mdm"

csv="$work/bench_${rows}.csv"
[ -s "$csv" ] || python3 scripts/gen_csv.py "$rows" "$csv"
echo "input: $csv ($(du -h "$csv" | cut -f1), $rows rows, 12 columns)"

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
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

export MDM_HOME="$work/home"
rm -rf "$MDM_HOME" "$work/reference.sqlite"
echo
echo "== register $rows rows =="
measure sqlite3_import sqlite3 "$work/reference.sqlite" ".import --csv $csv train"
measure mdm_register "$mdm" --quiet dataset register bench "$csv" --target label
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

if [ "${BENCH_FLAT:-1}" != 0 ]; then
  big_rows=$((rows * 3))
  big="$work/bench_${big_rows}.csv"
  [ -s "$big" ] || python3 scripts/gen_csv.py "$big_rows" "$big"
  echo
  echo "== memory: register $big_rows rows ($(du -h "$big" | cut -f1)) =="
  measure mdm_register_3x "$mdm" --quiet dataset register bench3 "$big" --target label
fi
