#!/bin/bash
# make check-programs: random_programs beyond the matrix. Every correct
# design runs PROGRAMS generated programs (default 100,000) under each engine
# that samples one schedule a program (Relacy's random, the explorer's pct,
# real threads plain and with TSan), and DPOR_PROGRAMS programs explored
# within preemption bound 2 (default 2,000); no correct design may fail.
#
#   tests/check_programs.sh RELEASE_DIR TSAN_DIR [PROGRAMS] [DPOR_PROGRAMS] [SEED]
set -u
release=$1 tsan=$2 programs=${3:-100000} dpor_programs=${4:-2000} seed=${5:-1}
designs=$("$release/oncecheck-model" --list | sed -n 's/^  \([a-z_]*\)$/\1/p')
failed=0
run() {  # run LABEL COMMAND...
  local label=$1; shift
  local out; out=$(mktemp)
  local start=$SECONDS
  "$@" --quiet --json "$out"
  local code=$?
  /usr/bin/python3 - "$out" "$label" "$((SECONDS - start))" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))[0]
print(f"{sys.argv[2]:34} {c['verdict']:17} {c['iterations']:>9} {'rounds' if c['mode'] == 'stress' else 'runs':6} "
      f"{sys.argv[3]:>4} s  {c['reason'][:90]}")
if c["verdict"] != "pass":
    print("  replay: " + (c.get("replay") or ""))
PY
  [ $code = 0 ] || failed=1
  rm -f "$out"
}
echo "random_programs: $programs programs per correct design and engine (dpor: $dpor_programs), seed $seed"
for d in $designs; do
  cell=(--design "$d" --scenario random_programs --seed "$seed")
  run "$d [random]" "$release/oncecheck-model" "${cell[@]}" --scheduler random --programs "$programs" --time-limit 3600
  run "$d [pct]" "$release/oncecheck-explore" "${cell[@]}" --scheduler pct --programs "$programs" --time-limit 3600
  run "$d [dpor]" "$release/oncecheck-explore" "${cell[@]}" --scheduler dpor --programs "$dpor_programs" \
      --iterations 100000000 --time-limit 3600
  run "$d [plain]" "$release/oncecheck-stress" "${cell[@]}" --programs "$programs" --timeout 10
  run "$d [tsan]" "$tsan/oncecheck-stress" "${cell[@]}" --programs "$((programs / 10))" --timeout 30
done
exit $failed
