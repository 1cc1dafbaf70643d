#!/bin/bash
# failure_recap_test.sh: failure_recap.sh, on a LastTest.log laid out as
# CTest writes it and holding the runners' output, names the failed tests and
# repeats the differing cell with its failure block, the model runner's
# differing section and a failed assertion; it leaves out a passing test and a
# cell that failed as expected.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/Testing/Temporary"
cat > "$dir/Testing/Temporary/LastTest.log" <<'LOG'
1/3 Testing: stress_matrix_quick
1/3 Test: stress_matrix_quick
Output:
----------------------------------------------------------
  notify/none                            coalesce           tsan   pass               pass                    500 rounds       21 ms  ok

=== condvar/check_then_act coalesce [tsan]: duplicate_compute
    two computations of key 1
  replay: oncecheck-stress --design condvar --flaw check_then_act --scenario coalesce --seed 1

=== intrusive/no_unlink_on_cancel async_waiter_cancel/2w [tsan]: data_race
    ThreadSanitizer: data race tsan_new_delete.cpp:126 in operator delete(void*)
  WARNING: ThreadSanitizer: data race (pid=28102)
  replay: oncecheck-stress --design intrusive --flaw no_unlink_on_cancel --scenario async_waiter_cancel/2w --seed 1

Cells that differ from models/expected.tsv:
DIFFERS: intrusive/no_unlink_on_cancel async_waiter_cancel/2w [tsan]: got data_race, expected pass|use_after_free

224 cells, 1 differ from models/expected.tsv; results in stress-quick.json
Test Failed.
2/3 Testing: good_test
2/3 Test: good_test
Test Passed.
2/3 Testing: model_matrix_quick
2/3 Test: model_matrix_quick

Cells that differ from models/expected.tsv:
DIFFERS: notify/none coalesce [random]: got deadlock, expected pass: 2 threads wait forever

559 cells, 1 differ from the expected matrix; results in models-quick.json
Test Failed.
3/3 Testing: Executor.SpawnRuns
3/3 Test: Executor.SpawnRuns
executor_test.cpp:42: Failure
Expected equality of these values:
Test Failed.
LOG
out="$("$here/failure_recap.sh" "$dir")"
fail=0
expect() {
  if ! grep -qF -- "$1" <<<"$out"; then echo "missing: $1"; fail=1; fi
}
reject() {
  if grep -qF -- "$1" <<<"$out"; then echo "should not be there: $1"; fail=1; fi
}
expect "failed: stress_matrix_quick"
expect "failed: model_matrix_quick"
expect "failed: Executor.SpawnRuns"
reject "failed: good_test"
expect "=== intrusive/no_unlink_on_cancel async_waiter_cancel/2w [tsan]: data_race"
expect "WARNING: ThreadSanitizer: data race (pid=28102)"
expect "replay: oncecheck-stress --design intrusive --flaw no_unlink_on_cancel"
expect "DIFFERS: intrusive/no_unlink_on_cancel async_waiter_cancel/2w [tsan]: got data_race"
expect "notify/none coalesce [random]: got deadlock, expected pass"
expect "executor_test.cpp:42: Failure"
reject "condvar/check_then_act"
reject "notify/none                            coalesce"
if [ "$fail" = 0 ]; then echo "failure_recap: ok"; else echo "--- what it printed:"; echo "$out"; fi
exit "$fail"
