#!/usr/bin/env bash
# bench_shards.sh: `make bench-shards`, the figures of sharding on this
# machine (not a test: a timing depends on the machine and its load).
#
#   models/bench_shards.sh BUILD [matrix]
#
# 1. One big cell (CELL, by default the explorer's dpor on condvar/none
#    coalesce, every schedule) as 1, 2, 4 and 8 shards, two at a time on
#    GNU parallel: wall time, the merged executions (equal for every N),
#    and the balance: the slowest shard's time over the mean, and the
#    largest shard's executions over the mean (what the dealing controls;
#    times also carry the machine's other load).
# 2. With `matrix`: the whole default matrix, `make check-models JOBS=1`
#    against `JOBS=2` (twice the matrix's time; minutes).
set -euo pipefail
build=$1
cell=${CELL:-"--design condvar --flaw none --scenario coalesce --scheduler dpor --time-limit 3600"}
dir=build/results/bench-shards
rm -rf "$dir" && mkdir -p "$dir"

echo "one cell: $cell"
printf '  %-7s %9s %12s %10s %10s %8s %12s\n' shards wall_s executions max_ms mean_ms max/mean ex_max/mean
for n in 1 2 4 8; do
  start=$(date +%s.%N)
  seq "$n" | parallel -j 2 "$build/oncecheck-explore $cell --shard {}/$n --json $dir/cell-{}of$n.json --quiet"
  wall=$(echo "$(date +%s.%N) - $start" | bc)
  "$build/oncecheck-explore" --merge "$dir"/cell-*of$n.json --json "$dir/merged-$n.json"
  /usr/bin/python3 - "$dir" "$n" "$wall" <<'PY'
import json, sys
d, n, wall = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
parts = [json.load(open(f"{d}/cell-{i}of{n}.json"))[0] for i in range(1, n + 1)]
times = [p["elapsed_ms"] for p in parts]
ex = [p["executions"] for p in parts]
[m] = json.load(open(f"{d}/merged-{n}.json"))
mean = sum(times) / n
print(f"  {n:<7} {wall:9.1f} {m['executions']:12} {max(times):10.0f} {mean:10.0f} {max(times) / mean:8.2f}"
      f" {max(ex) / (sum(ex) / n):12.2f}")
PY
done

if [ "${2:-}" = matrix ]; then
  for jobs in 1 2; do
    start=$(date +%s.%N)
    make --no-print-directory check-models JOBS=$jobs >"$dir/matrix-jobs$jobs.log" 2>&1 || true
    echo "make check-models JOBS=$jobs: $(echo "$(date +%s.%N) - $start" | bc) s (log $dir/matrix-jobs$jobs.log)"
  done
fi
