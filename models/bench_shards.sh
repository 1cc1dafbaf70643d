#!/usr/bin/env bash
# bench_shards.sh: `make bench-shards`, the figures of sharding on this
# machine (not a test: a timing depends on the machine and its load).
#
#   [BIN=oncecheck-explore|oncecheck-model] [CELL="..."] models/bench_shards.sh BUILD [matrix]
#
# 1. One big cell (CELL; by default, with the explorer, its dpor on
#    condvar/none coalesce, every schedule; with oncecheck-model, Relacy's
#    bound search of the same cell at context bound 2, every schedule:
#    1,205,760) as 1, 2, 4 and 8 shards, two at a time on
#    GNU parallel: wall time, the merged executions (equal for every N),
#    and the balance: the slowest shard's time over the mean, and the
#    largest shard's executions over the mean (what the dealing controls;
#    times also carry the machine's other load).
# 2. With `matrix`: the whole default matrix, `make check-models JOBS=1`
#    against `JOBS=2` (twice the matrix's time; minutes).
#
# Prints the table and writes the figures to build/results/shards.json
# (docs/results.md) for the report's environment section; the file is
# written under a temporary name and renamed, so an interrupted run leaves
# the previous one (or none), never half of one.
set -euo pipefail
build=$1
bin=${BIN:-oncecheck-explore}
case $bin in
  oncecheck-explore) default_cell="--design condvar --flaw none --scenario coalesce --scheduler dpor --time-limit 3600" ;;
  oncecheck-model) default_cell="--design condvar --flaw none --scenario coalesce --scheduler bound --context-bound 2 --iterations 100000000 --time-limit 3600" ;;
  *) echo "bench_shards.sh: BIN=$bin: should be oncecheck-explore or oncecheck-model" >&2; exit 2 ;;
esac
cell=${CELL:-$default_cell}
dir=build/results/bench-shards
out=build/results/shards.json
rm -rf "$dir" && mkdir -p "$dir"

echo "one cell: $bin $cell"
printf '  %-7s %9s %12s %10s %10s %8s %12s\n' shards wall_s executions max_ms mean_ms max/mean ex_max/mean
for n in 1 2 4 8; do
  start=$(date +%s.%N)
  seq "$n" | parallel -j 2 "$build/$bin $cell --shard {}/$n --json $dir/cell-{}of$n.json --quiet"
  wall=$(echo "$(date +%s.%N) - $start" | bc)
  "$build/$bin" --merge "$dir"/cell-*of$n.json --json "$dir/merged-$n.json"
  # Prints the row and keeps it as row-N.json for shards.json. Relacy's
  # cells have no `executions`: their iterations are its executions.
  /usr/bin/python3 - "$dir" "$n" "$wall" <<'PY'
import json, sys
d, n, wall = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
parts = [json.load(open(f"{d}/cell-{i}of{n}.json"))[0] for i in range(1, n + 1)]
times = [p["elapsed_ms"] for p in parts]
ex = [p.get("executions", p["iterations"]) for p in parts]
[m] = json.load(open(f"{d}/merged-{n}.json"))
mean = sum(times) / n
row = {"shards": n, "wall_s": round(wall, 3), "executions": m.get("executions", m["iterations"]),
       "time_max_over_mean": round(max(times) / mean, 4) if mean > 0 else 1.0,
       "executions_max_over_mean": round(max(ex) / (sum(ex) / n), 4) if sum(ex) > 0 else 1.0}
print(f"  {n:<7} {wall:9.1f} {row['executions']:12} {max(times):10.0f} {mean:10.0f}"
      f" {row['time_max_over_mean']:8.2f} {row['executions_max_over_mean']:12.2f}")
json.dump(row, open(f"{d}/row-{n}.json", "w"))
PY
done

matrix=()
if [ "${2:-}" = matrix ]; then
  for jobs in 1 2; do
    start=$(date +%s.%N)
    status=0
    make --no-print-directory check-models JOBS=$jobs >"$dir/matrix-jobs$jobs.log" 2>&1 || status=$?
    wall=$(echo "$(date +%s.%N) - $start" | bc)
    echo "make check-models JOBS=$jobs: $wall s, exit $status (log $dir/matrix-jobs$jobs.log)"
    matrix+=("$wall" "$status")
  done
fi

# shards.json: the rows, and the matrix's figures when it ran (a matrix that
# differs from the expected one still ran every cell: its exit is kept so
# the report can say so).
/usr/bin/python3 - "$dir" "$out.partial" "$build/$bin" "$cell" "$(nproc)" "${matrix[@]}" <<'PY'
import datetime, json, sys
d, partial, binary, cell, nproc = sys.argv[1:6]
doc = {"date": f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%dT%H:%M:%SZ}", "nproc": int(nproc),
       "binary": binary, "cell": cell,
       "rows": [json.load(open(f"{d}/row-{n}.json")) for n in (1, 2, 4, 8)], "matrix": None}
if len(sys.argv) == 10:
    wall1, exit1, wall2, exit2 = float(sys.argv[6]), int(sys.argv[7]), float(sys.argv[8]), int(sys.argv[9])
    doc["matrix"] = {"jobs1_wall_s": round(wall1, 3), "jobs2_wall_s": round(wall2, 3),
                     "speedup": round(wall1 / wall2, 4), "jobs1_exit": exit1, "jobs2_exit": exit2}
with open(partial, "w") as f:
    json.dump(doc, f, indent=1)
PY
mv "$out.partial" "$out"
echo "bench-shards: figures in $out (make report shows them)"
