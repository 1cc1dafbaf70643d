#!/usr/bin/env bash
# shards.sh: the shell side of `make check-models JOBS=N` (Makefile) and of
# the many-machines command (README.md, "Many machines").
#
#   models/shards.sh jobs BUILD NAME N DIR "COMMON" "RELACY" "FIRST"
#       one command line per shard of each engine, for GNU parallel's stdin:
#       BUILD/oncecheck-{model,explore} --check-all --jobs 1 --shard I/N
#       COMMON --json DIR/NAME-{relacy,explore}-I.json, its output in
#       DIR/NAME-...-I.log; RELACY goes to every Relacy shard (its own
#       schedulers), FIRST to Relacy's first shard only (designs.json).
#   models/shards.sh failed JOBLOG
#       the shards whose last attempt failed (exit status or signal not 0),
#       one "relacy shard I/N" per line; nothing when every shard ran.
#
# A shard exits 0 when every run it was dealt has a result, whatever the
# verdicts (the merge compares them), so a failed job is a crash or a kill
# and GNU parallel's --retries 2 runs it once more.
set -euo pipefail

case "${1:-}" in
  jobs)
    build=$2 name=$3 n=$4 dir=$5 common=$6 relacy=${7:-} first=${8:-}
    for i in $(seq 1 "$n"); do
      for engine in relacy explore; do
        bin=$build/oncecheck-$([ $engine = relacy ] && echo model || echo explore)
        more=
        [ $engine = relacy ] && more=$relacy
        [ $engine = relacy ] && [ "$i" = 1 ] && more="$relacy $first"
        out=$dir/$name-$engine-$i
        echo "$bin --check-all --jobs 1 --shard $i/$n $common $more --json $out.json --display-name $bin > $out.log 2>&1"
      done
    done
    ;;
  failed)
    # Joblog columns: Seq Host Starttime JobRuntime Send Receive Exitval
    # Signal Command; a retried job has a line per attempt, the last counts.
    awk -F'\t' 'NR > 1 { status[$1] = ($7 != 0 || $8 != 0); command[$1] = $9 }
      END { for (s in status) if (status[s]) print command[s] }' "$2" |
      sed -E 's/.*--shard ([0-9]+\/[0-9]+).*--json [^ ]*-(relacy|explore)-[0-9]+\.json.*/\2 shard \1/' | sort
    ;;
  *)
    echo "usage: $0 jobs BUILD NAME N DIR COMMON [RELACY [FIRST]] | failed JOBLOG" >&2
    exit 2
    ;;
esac
