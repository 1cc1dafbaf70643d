#!/bin/bash
# check_consumer.sh SOURCE_DIR BUILD_DIR WORK_DIR: what a user of an
# installed oncecheck does (issue 15). Installs BUILD_DIR into a temporary
# prefix, configures examples/consumer against it (find_package(oncecheck),
# oncecheck_add_design, oncecheck_gtest_cells), builds it and runs its
# ctest, then requires:
#   - every test passes: my_map's cells (Relacy random, explorer dpor, real
#     threads), my_map_forgot_notify's coalesce cells held to the deadlock
#     its EXPECT names, the GoogleTest cases of my_map_test;
#   - the flawed cells' results say deadlock, and their ctest output holds
#     the replay command;
#   - configured with -DEXPECT_FLAW=OFF (nothing expects the flaw), those
#     cells fail, ctest --output-on-failure prints the counterexample and
#     the replay command, and that command, run, gives the deadlock again.
set -u
src="$1" build="$2" work="$3"
rm -rf "$work"
mkdir -p "$work"
prefix="$work/prefix" consumer="$work/consumer"
fail() { echo "FAIL: $*"; exit 1; }
step() { echo "== $*"; }

step "cmake --install $build --prefix $prefix"
cmake --install "$build" --prefix "$prefix" >"$work/install.log" 2>&1 || { tail -20 "$work/install.log"; fail "install"; }
test -f "$prefix/share/cmake/oncecheck/oncecheckConfig.cmake" || fail "no oncecheckConfig.cmake installed"

step "configure and build examples/consumer against it"
cmake -S "$src/examples/consumer" -B "$consumer" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release \
      >"$work/configure.log" 2>&1 || { tail -30 "$work/configure.log"; fail "configure"; }
start=$SECONDS
cmake --build "$consumer" -j 2 >"$work/build.log" 2>&1 || { grep -m 30 -A 5 'error' "$work/build.log"; fail "build"; }
echo "built in $((SECONDS - start)) s"

step "ctest in the consumer"
(cd "$consumer" && ctest --output-on-failure -j 2 --timeout 600) >"$work/ctest.log" 2>&1
code=$?
tail -25 "$work/ctest.log"
test $code = 0 || fail "the consumer's ctest exited $code (log: $work/ctest.log)"

/usr/bin/python3 - "$consumer" <<'PY' || exit 1
import json, re, sys
consumer = sys.argv[1]
log = open(f"{consumer}/Testing/Temporary/LastTest.log", errors="replace").read()
want = [f"oncecheck/my_map/{s}/{k}" for s in ("coalesce", "lost_wakeup") for k in ("random", "dpor", "plain")]
want += [f"oncecheck/my_map_forgot_notify/coalesce/{k}" for k in ("random", "dpor")]
want += [f"Oncecheck/MyMap.Explore/{s}" for s in ("coalesce", "lost_wakeup")]
problems = [f"no test {t} in its log" for t in want if t not in log]
for k in ("random", "dpor"):
    cells = json.load(open(f"{consumer}/oncecheck/my_map_forgot_notify/coalesce.{k}.json"))
    verdicts = [c["verdict"] for c in cells]
    if verdicts != ["deadlock"] or not cells[0]["replay"]:
        problems.append(f"my_map_forgot_notify coalesce [{k}]: verdicts {verdicts}, replay {cells[0]['replay']!r}")
        continue
    # The test's own output (in LastTest.log) shows the counterexample and its replay.
    if "replay: " + cells[0]["replay"] not in log:
        problems.append(f"my_map_forgot_notify coalesce [{k}]: ctest's output lacks its replay command")
    print(f"my_map_forgot_notify coalesce [{k}]: deadlock, replay: {cells[0]['replay']}")
for k in ("random", "dpor", "plain"):
    for s in ("coalesce", "lost_wakeup"):
        cells = json.load(open(f"{consumer}/oncecheck/my_map/{s}.{k}.json"))
        if [c["verdict"] for c in cells] != ["pass"]:
            problems.append(f"my_map {s} [{k}]: {[c['verdict'] for c in cells]}")
if problems:
    sys.exit("FAIL: " + "; ".join(problems))
print("ok: my_map passes, my_map_forgot_notify deadlocks as expected")
PY

step "the same flaw, not expected: -DEXPECT_FLAW=OFF"
cmake -S "$src/examples/consumer" -B "$consumer" -DEXPECT_FLAW=OFF >>"$work/configure.log" 2>&1 || fail "reconfigure"
(cd "$consumer" && ctest --output-on-failure -R '^oncecheck/my_map_forgot_notify/coalesce/random$') \
  >"$work/ctest-unexpected.log" 2>&1
code=$?
test $code != 0 || fail "the unexpected deadlock's test passed"
replay=$(grep -m 1 -o 'replay: .*my_map_forgot_notify-model.*' "$work/ctest-unexpected.log" | sed 's/^replay: //')
test -n "$replay" || { cat "$work/ctest-unexpected.log"; fail "ctest printed no replay command for the failing cell"; }
grep -q "DIFFERS: .*coalesce.*got deadlock" "$work/ctest-unexpected.log" || fail "no DIFFERS line for the deadlock"
echo "failing test printed: replay: $replay"
out=$(cd "$consumer" && eval "$replay" 2>&1)
echo "$out" | grep -q "deadlock" || { echo "$out" | tail; fail "the replay did not give the deadlock again"; }
echo "the replay gives the deadlock again"
cmake -S "$src/examples/consumer" -B "$consumer" -DEXPECT_FLAW=ON >>"$work/configure.log" 2>&1
echo ok
