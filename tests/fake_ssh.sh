#!/usr/bin/env bash
# fake_ssh.sh: an `ssh` for GNU parallel's --ssh whose hosts are all this
# machine (tests/shard_hosts_test.sh): it drops ssh's options and the host
# name, notes the host in $FAKE_SSH_LOG and runs the command here, as sshd
# would run it on the host (one string, read by a shell).
set -u
host=
while [ $# -gt 0 ]; do
  case $1 in
    -l | -o | -p | -i | -F | -S) shift 2 ;;
    --) shift ;;
    -*) shift ;;
    *) host=$1; shift; break ;;
  esac
done
[ "${1:-}" = -- ] && shift
echo "$host" >>"${FAKE_SSH_LOG:-/dev/null}"
# sshd gives the command the user's login environment; GNU parallel's
# remote wrapper runs the job with "$SHELL" and does nothing when it is
# unset (as it is under `env -i`, in CI), so set it as sshd would.
login_shell=$(getent passwd "$(id -un)" | cut -d: -f7)
export SHELL=${login_shell:-/bin/sh}
export HOME=${HOME:-$(getent passwd "$(id -un)" | cut -d: -f6)}
exec "$SHELL" -c "$*"
