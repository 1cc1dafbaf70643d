#!/bin/bash
# check_package.sh SOURCE_DIR BUILD_DIR WORK_DIR: `make package`'s .deb,
# checked without a container (none here; CI installs it in debian:12):
#   - cpack builds oncecheck_<version>_<arch>.deb from BUILD_DIR;
#   - dpkg -I: its Depends names the Debian packages a user's build needs;
#   - dpkg -c: it holds the runners, the headers and runner sources, the
#     expected matrix and the CMake package under /usr;
#   - dpkg -x into WORK_DIR: the extracted oncecheck-model --list runs and
#     lists every scenario of the package's ONCECHECK_ALL_SCENARIOS.
set -u
src="$1" build="$2" work="$3"
fail() { echo "FAIL: $*"; exit 1; }
rm -rf "$work"
mkdir -p "$work"
(cd "$build" && cpack -G DEB -B "$work" >"$work/cpack.log" 2>&1) || { tail -20 "$work/cpack.log"; fail "cpack"; }
deb=$(ls "$work"/oncecheck_*.deb 2>/dev/null | head -1)
test -n "$deb" || fail "cpack wrote no oncecheck_*.deb"
echo "built $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB)"

depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
for p in relacy-dev libcli11-dev nlohmann-json3-dev libgtest-dev cmake g++ libc6 libstdc++6; do
  [[ ", $depends," == *", $p"[\ ,]* ]] || fail "Depends lacks $p"
done

dpkg -c "$deb" | awk '{print $6}' >"$work/contents.txt"
for f in ./usr/bin/oncecheck-model ./usr/bin/oncecheck-explore ./usr/bin/oncecheck-stress \
         ./usr/include/oncecheck/impls/once_map.hpp ./usr/include/oncecheck/impls/register_design.hpp \
         ./usr/include/oncecheck/impls/sync/relacy_backend.hpp ./usr/include/oncecheck/harness/runner/main.hpp \
         ./usr/include/oncecheck/harness/gtest_cells.hpp ./usr/include/oncecheck/models/model_main.cpp \
         ./usr/include/oncecheck/explore/explore_main.cpp ./usr/include/oncecheck/harness/stress/stress_main.cpp \
         ./usr/share/oncecheck/expected.tsv ./usr/share/cmake/oncecheck/oncecheckConfig.cmake \
         ./usr/share/cmake/oncecheck/oncecheckConfigVersion.cmake ./usr/share/cmake/oncecheck/oncecheckTargets.cmake \
         ./usr/share/cmake/oncecheck/oncecheck_add_design.cmake; do
  grep -qx "$f" "$work/contents.txt" || fail "the package lacks $f"
done
echo "$(grep -c . "$work/contents.txt") entries, the runners, headers, sources and CMake package among them"

dpkg -x "$deb" "$work/root" || fail "dpkg -x"
"$work/root/usr/bin/oncecheck-model" --list >"$work/list.txt" || fail "the packaged oncecheck-model --list failed"
listed=$(sed -n '/^scenarios:/,$p' "$work/list.txt" | sed -n 's/^  \([a-z_]*\)[:/].*/\1/p' | sort -u)
declared=$(sed -n '/set(ONCECHECK_ALL_SCENARIOS/,/)/p' "$src/cmake/oncecheck_scenarios.cmake" |
           tr ' ()' '\n\n\n' | grep -E '^[a-z_]+$' | grep -v '^set$' | sort -u)
[ "$listed" = "$declared" ] || fail "oncecheck-model --list and cmake/oncecheck_scenarios.cmake disagree:
$(diff <(echo "$listed") <(echo "$declared"))"
echo "the packaged oncecheck-model --list runs and lists the $(echo "$listed" | wc -l) scenarios the package declares"
echo ok
