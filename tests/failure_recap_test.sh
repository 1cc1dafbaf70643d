#!/bin/bash
# failure_recap_test.sh: failure_recap.sh, on a LastTest.log shaped like the
# runners' output, repeats the differing cell with its failure block, the
# model runner's differing section and a failed assertion, and leaves out a
# cell that failed as expected.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/Testing/Temporary"
cat > "$dir/Testing/Temporary/LastTest.log" <<'LOG'
1/3 Test #1: stress_matrix_quick ..............***Failed  300.00 sec
  notify/none                            coalesce           tsan   pass               pass                    500 rounds       21 ms  ok

=== condvar/check_then_act coalesce [tsan]: duplicate_compute
    two computations of key 1
  replay: oncecheck-stress --design condvar --flaw check_then_act --scenario coalesce --seed 1

=== intrusive/no_unlink_on_cancel async_waiter_cancel/2w [tsan]: data_race
    ThreadSanitizer: data race tsan_new_delete.cpp:126 in operator delete(void*)
  WARNING: ThreadSanitizer: data race (pid=28102)
  replay: oncecheck-stress --design intrusive --flaw no_unlink_on_cancel --scenario async_waiter_cancel/2w --seed 1

DIFFERS: intrusive/no_unlink_on_cancel async_waiter_cancel/2w [tsan]: got data_race, expected pass|use_after_free

224 cells, 1 differ from models/expected.tsv; results in stress-quick.json
2/3 Test #2: model_matrix_quick ...............***Failed  45.00 sec

Cells that differ from models/expected.tsv:
  notify/none coalesce [random]: got deadlock, expected pass: 2 threads wait forever

559 cells, 1 differ from the expected matrix; results in models-quick.json
3/3 Test #3: Executor.SpawnRuns ...............***Failed  0.01 sec
executor_test.cpp:42: Failure
Expected equality of these values:
LOG
out="$("$here/failure_recap.sh" "$dir")"
fail=0
expect() {
  if ! grep -qF -- "$1" <<<"$out"; then echo "missing: $1"; fail=1; fi
}
reject() {
  if grep -qF -- "$1" <<<"$out"; then echo "should not be there: $1"; fail=1; fi
}
expect "1/3 Test #1: stress_matrix_quick"
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
