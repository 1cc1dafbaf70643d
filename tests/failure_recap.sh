#!/bin/bash
# failure_recap.sh BUILD_DIR: after a failed `ctest`, print what failed again,
# last. CTest prints a failing test's output where the test ran, which for the
# long matrix tests is hundreds of lines above the end; a CI log that keeps
# only its tail would show that something failed but not what. This repeats
# the lines that say what: the names of the failed tests, the cells that
# differ from the expected matrix with their failure blocks (verdict, reason,
# trace, replay) and the runner's list of them (harness/runner/output.hpp
# prints both, for every engine), and the failed GoogleTest assertions.
set -u
log="${1:?usage: failure_recap.sh BUILD_DIR}/Testing/Temporary/LastTest.log"
if [ ! -r "$log" ]; then
  echo "failure_recap: no $log to read" >&2
  exit 0
fi
echo
echo "=== what failed, from $log ==="
# LastTest.log opens each test with "N/M Test: <name>" and closes it with
# "Test Passed." or "Test Failed.".
awk '/^[0-9]+\/[0-9]+ Test: / { name = $0; sub(/^[0-9]+\/[0-9]+ Test: /, "", name) }
     /^Test Failed\./ { print "failed: " name }' "$log"
# A differing cell's name is the text between "DIFFERS: " and ": got"; its
# failure block is the "=== <name>: ..." paragraph the runner printed.
awk '
  /^DIFFERS: / {
    name = $0; sub(/^DIFFERS: /, "", name); sub(/: got .*/, "", name)
    differs[name] = 1
  }
  { lines[NR] = $0 }
  END {
    for (i = 1; i <= NR; ++i) {
      if (lines[i] !~ /^=== /) continue
      head = lines[i]; sub(/^=== /, "", head); sub(/: [a-z_|]+$/, "", head)
      if (!(head in differs)) continue
      for (j = i; j <= NR && lines[j] != ""; ++j) print lines[j]
      print ""
    }
  }' "$log"
# The runner lists its differing cells under one heading that ends at its
# summary line.
sed -n '/^Cells that differ from /,/^[0-9]* cells, [0-9]* differ/p' "$log"
grep -E '(: Failure$|^\[  FAILED  \])' -A3 "$log" | head -60
exit 0
