#!/usr/bin/python3
"""checkpoint_test: a dpor search stopped and resumed (--checkpoint FILE,
--resume FILE; explore/checkpoint.hpp) explores what one run straight
through explores.

    checkpoint_test.py EXPLORE WORKDIR

  - a correct cell stopped by its budget twice, resumed twice: exhausted,
    with the straight run's total of executions;
  - the same cell stopped by SIGINT (exit 130, a checkpoint written) and
    resumed: the same total;
  - a flaw stopped before its failure and resumed: the same first failure
    (verdict, execution number, replay string);
  - a checkpoint of another cell, or a checkpoint with --check-all or
    --shard, is bad input (exit 2).
"""
import json
import os
import signal
import subprocess
import sys
import time

EXPLORE, WORK = sys.argv[1], sys.argv[2]
os.makedirs(WORK, exist_ok=True)
failures = []
PASSING = ["--design", "condvar", "--flaw", "none", "--scenario", "coalesce", "--scheduler", "dpor"]
FLAW = ["--design", "notify", "--flaw", "listener_after_check", "--scenario", "check_then_act", "--scheduler", "dpor"]


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


def run(cell, extra, name):
    out = os.path.join(WORK, name + ".json")
    r = subprocess.run([EXPLORE, *cell, *extra, "--json", out, "--quiet"], capture_output=True, text=True, timeout=300)
    if r.returncode not in (0, 1):
        raise SystemExit(f"{name}: exit {r.returncode}: {r.stderr}")
    with open(out) as f:
        return json.load(f)[0]


def fresh(path):
    if os.path.exists(path):
        os.remove(path)
    return path


# Straight through, then in three sessions: two of a third of the runs
# each (a budget counts runs, sleep-set-blocked ones too), then the rest.
straight = run(PASSING, [], "pass-straight")
total = straight["executions"]
check(straight["exhausted_search"], f"the straight run is exhausted: {total} executions")
ck = fresh(os.path.join(WORK, "pass.checkpoint"))
third = str(total // 3 + 1)
first = run(PASSING, ["--iterations", third, "--checkpoint", ck], "pass-1")
check(not first["exhausted_search"] and os.path.exists(ck), f"session 1 stops at {first['executions']}, checkpoint written")
second = run(PASSING, ["--iterations", third, "--resume", ck, "--checkpoint", ck], "pass-2")
check(not second["exhausted_search"], f"session 2 stops at {second['executions']}")
last = run(PASSING, ["--resume", ck, "--checkpoint", ck], "pass-3")  # to its end
check(last["exhausted_search"] and last["executions"] == total,
      f"session 3 ends the search at {last['executions']} executions, straight {total}")

# Stopped by SIGINT, then resumed.
ck = fresh(os.path.join(WORK, "sigint.checkpoint"))
p = subprocess.Popen([EXPLORE, *PASSING, "--checkpoint", ck, "--quiet"], stdout=subprocess.PIPE,
                     stderr=subprocess.PIPE, text=True)
time.sleep(1.0)
p.send_signal(signal.SIGINT)
_, err = p.communicate(timeout=60)
check(p.returncode == 130 and os.path.exists(ck), f"SIGINT: exit {p.returncode}, checkpoint written ({err.strip()})")
if os.path.exists(ck):
    with open(ck) as f:
        stopped_at = json.load(f)["executions"]
    resumed = run(PASSING, ["--resume", ck], "sigint-resumed")
    check(0 < stopped_at < total and resumed["exhausted_search"] and resumed["executions"] == total,
          f"SIGINT at {stopped_at} executions, resumed to {resumed['executions']}, straight {total}")

# A flaw: stopped before its failure, resumed, the same first failure.
straight = run(FLAW, [], "flaw-straight")
at = straight["first_failure_iteration"]
check(straight["verdict"] != "pass" and at and at > 2, f"the flaw is found at execution {at}: {straight['verdict']}")
ck = fresh(os.path.join(WORK, "flaw.checkpoint"))
stopped = run(FLAW, ["--iterations", str(max(1, at // 2)), "--checkpoint", ck], "flaw-stopped")
check(stopped["verdict"] == "pass" and os.path.exists(ck), f"stopped at {stopped['executions']} executions, before it")
resumed = run(FLAW, ["--resume", ck], "flaw-resumed")
same = [resumed[k] == straight[k] for k in ("verdict", "first_failure_iteration", "replay")]
check(all(same), f"resumed: {resumed['verdict']} at execution {resumed['first_failure_iteration']}, "
      f"straight {straight['verdict']} at {at}, same replay {resumed['replay'] == straight['replay']}")

# Bad input.
for extra in (["--resume", ck, "--design", "condvar", "--flaw", "none", "--scenario", "coalesce"],
              ["--checkpoint", ck, "--check-all"], ["--checkpoint", ck, "--shard", "1/2", *PASSING],
              ["--resume", os.path.join(WORK, "no-such-file"), *PASSING]):
    r = subprocess.run([EXPLORE, *extra, "--quiet"], capture_output=True, text=True, timeout=60)
    check(r.returncode == 2, f"{' '.join(extra[:2])} ... is bad input: exit {r.returncode}, {r.stderr.strip()}")

if failures:
    print(f"\n{len(failures)} check(s) failed:\n  " + "\n  ".join(failures))
    sys.exit(1)
print("\ncheckpoint_test: every check passed")
