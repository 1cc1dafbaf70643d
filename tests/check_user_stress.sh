#!/bin/bash
# check_user_stress.sh SOURCE_DIR WORK_DIR: `make stress IMPL=` on
# examples/relaxed_hit_map.hpp (whose one bug is a relaxed load before a
# plain read), on few rounds, its builds and results under WORK_DIR. The
# plain build cannot see the bug on x86; the TSan build must: at least one
# TSan cell is `data_race`, and none of the plain cells is. `make stress`
# itself fails (make's exit 2: those cells differ from what a correct
# design gives).
set -u
src="$1" work="$2"
mkdir -p "$work"
cd "$src"
make --no-print-directory stress IMPL=examples/relaxed_hit_map.hpp IMPL_BUILD="$work/impl" RESULTS="$work/results" \
     STRESS_ROUNDS=300 STRESS_THREADS=4 STRESS_TIMEOUT=3 >"$work/stress.log" 2>&1
code=$?
echo "make stress IMPL=examples/relaxed_hit_map.hpp: exit $code (log: $work/stress.log)"
exec /usr/bin/python3 - "$work/results/stress-impl.json" "$code" <<'PY'
import json, sys
path, code = sys.argv[1], int(sys.argv[2])
try:
    cells = json.load(open(path))
except (OSError, ValueError) as e:
    sys.exit(f"FAIL: no results: {e}")
by = {}
for c in cells:
    by.setdefault(c["scheduler"], []).append(c)
for label in ("plain", "tsan", "asan"):
    verdicts = sorted({c["verdict"] for c in by.get(label, [])})
    print(f"{label}: {len(by.get(label, []))} cells, verdicts {verdicts}")
races = [c["scenario"] for c in by.get("tsan", []) if c["verdict"] == "data_race"]
plain_races = [c["scenario"] for c in by.get("plain", []) if c["verdict"] == "data_race"]
problems = []
if not by.get("plain") or not by.get("tsan") or not by.get("asan"):
    problems.append("a build's cells are missing")
if not races:
    problems.append("no TSan cell found the data race")
if plain_races:
    problems.append(f"plain cells claim a data race they cannot see: {plain_races}")
if code != 2:
    problems.append(f"make stress exited {code}, expected make's 2 (the TSan cells differ)")
print("TSan data_race in: " + ", ".join(races))
if problems:
    sys.exit("FAIL: " + "; ".join(problems))
print("ok")
PY
