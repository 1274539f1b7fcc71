#!/usr/bin/env bash
# Benchmarks mdm against the reference tools, in the same run:
#   register: `mdm dataset register` vs `sqlite3 .import` of the same CSV.
# Reports wall seconds, the ratio and peak RSS (from /usr/bin/time -v).
# Usage: scripts/bench.sh [ROWS]   (default 1000000)
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
