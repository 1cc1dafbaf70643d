#!/bin/bash
# check_user_design.sh SOURCE_DIR BUILD_DIR HEADER: what `make check-models
# IMPL=HEADER` does, on the quick budget: builds the model runner around the
# user's design alone (ONCECHECK_USER_IMPL) and runs its whole row of the
# matrix under Relacy against the expectation of its kind
# (harness/runner/expectations.hpp). Exits with the runner's code: 0 when
# every cell gives what the project's correct designs of its kind give.
set -eu
src="$1" build="$2" header="$3"
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DONCECHECK_BENCH=OFF \
      -DONCECHECK_USER_IMPL="$src/$header" >/dev/null
cmake --build "$build" --target oncecheck-model -j 2 -- --no-print-directory >/dev/null
cd "$src"
exec "$build/oncecheck-model" --check-all --budget quick --expected models/expected.tsv \
     --json "$build/results/models-user.json" --display-name "$build/oncecheck-model"
