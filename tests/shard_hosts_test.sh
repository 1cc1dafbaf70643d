#!/usr/bin/env bash
# shard_hosts_test: one search over GNU parallel on two "hosts" that are
# both this machine (--ssh tests/fake_ssh.sh, --sshlogin hostA,hostB): the
# command README.md ("Many machines") gives, with the hosts faked. Four
# shards of a dpor cell go to the two hosts; their parts, merged, must give
# the verdict and the executions of the same shards run here, and both
# hosts must have run some. The hosts share this file system, so no file
# needs to be transferred; the README's --transferfile, --return and
# --cleanup (rsync on both ends: make deps installs it) are exercised too.
#
#   shard_hosts_test.sh EXPLORE WORKDIR
set -euo pipefail
explore=$(realpath "$1") work=$2
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work" && mkdir -p "$work" && work=$(realpath "$work")
export FAKE_SSH_LOG=$work/hosts.log
cell="--design condvar --flaw none --scenario drop_with_waiters --scheduler dpor --time-limit 60"

parallel --ssh "$here/fake_ssh.sh" --sshlogin 1/hostA,1/hostB --joblog "$work/joblog" --retries 2 \
  "$explore $cell --shard {}/4 --json $work/part-{}.json --quiet" ::: 1 2 3 4
for i in 1 2 3 4; do
  [ -s "$work/part-$i.json" ] || { echo "shard $i: its job ended without writing $work/part-$i.json; parallel's joblog:"; cat "$work/joblog"; exit 1; }
done
"$explore" --merge "$work"/part-{1,2,3,4}.json --json "$work/merged.json"

for i in 1 2 3 4; do "$explore" $cell --shard $i/4 --json "$work/local-$i.json" --quiet; done
"$explore" --merge "$work"/local-{1,2,3,4}.json --json "$work/local.json"

/usr/bin/python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
[m] = json.load(open(f"{work}/merged.json"))
[l] = json.load(open(f"{work}/local.json"))
hosts = set(open(f"{work}/hosts.log").read().split())
print(f"two hosts {sorted(hosts)}: {m['verdict']}, {m['executions']} executions in {m['units']} units, "
      f"exhausted {m['exhausted_search']}; here: {l['verdict']}, {l['executions']}")
assert {"hostA", "hostB"} <= hosts, f"both hosts ran shards: {hosts}"
assert m["units"] == m["units_total"], "every unit covered"
assert (m["verdict"], m["executions"], m["exhausted_search"]) == (l["verdict"], l["executions"], l["exhausted_search"])
PY

if command -v rsync >/dev/null; then
  # As the README's command for hosts without this checkout: the runner is
  # sent with each job (--transferfile, kept under the job's own --workdir
  # ...), each part comes back with --return and --cleanup removes the
  # job's directory.
  mkdir -p "$work/back/bin" && cp "$explore" "$work/back/bin/" && cd "$work/back"
  parallel --ssh "$here/fake_ssh.sh" --sshlogin 1/hostA,1/hostB --workdir ... \
    --transferfile bin/oncecheck-explore --return part-{}.json --cleanup \
    "./bin/oncecheck-explore $cell --shard {}/4 --json part-{}.json --quiet" ::: 1 2 3 4
  "$explore" --merge part-{1,2,3,4}.json --json returned.json
  cmp <(grep -v elapsed_ms returned.json) <(grep -v elapsed_ms "$work/merged.json")
  echo "--transferfile, --return and --cleanup: the parts came back and merge to the same cell"
else
  echo "rsync is not installed: --transferfile/--return not exercised (the hosts share this file system)"
fi
echo "shard_hosts_test: passed"
