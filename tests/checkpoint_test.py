#!/usr/bin/python3
"""checkpoint_test: a tree search stopped and resumed (--checkpoint FILE,
--resume FILE) explores what one run straight through explores: the
explorer's dpor (explore/checkpoint.hpp) or Relacy's bound
(models/model_checkpoint.hpp), whichever runner is given.

    checkpoint_test.py RUNNER WORKDIR

  - a correct cell stopped by its budget twice, resumed twice: exhausted,
    with the straight run's total;
  - the same cell stopped by SIGINT (exit 130, a checkpoint written) and
    resumed: the same total;
  - a flaw stopped before its failure and resumed: the same first failure
    (verdict, execution or iteration number, replay);
  - a checkpoint of another search, or with --check-all or --shard, a
    missing file: bad input (exit 2); for Relacy also random, which has
    no tree, and a results file given as a checkpoint.
"""
import json
import os
import signal
import subprocess
import sys
import time

RUNNER, WORK = sys.argv[1], sys.argv[2]
os.makedirs(WORK, exist_ok=True)
failures = []
if "oncecheck-model" in os.path.basename(RUNNER):
    # Relacy's walk counts iterations; its budget is looked at every 256.
    COUNT, STRAIGHT = "iterations", ["--iterations", "100000000"]
    SEARCH = ["--scheduler", "bound", "--context-bound", "1", "--time-limit", "600"]
    PASSING = ["--design", "condvar", "--flaw", "none", "--scenario", "drop_with_waiters", *SEARCH]
    # The lost wake-up needs two preemptions.
    FLAW = ["--design", "notify", "--flaw", "listener_after_check", "--scenario", "check_then_act",
            "--scheduler", "bound", "--context-bound", "2", "--time-limit", "600"]
    OTHER_SEARCH = ["--design", "notify", "--flaw", "listener_after_check", "--scenario", "check_then_act",
                    "--scheduler", "full"]
    NO_TREE = [*PASSING[:6], "--scheduler", "random"]
    # Long enough to be stopped: 187,392 iterations, about 2 s.
    LONGER, SIGINT_AFTER = ["--design", "condvar", "--flaw", "none", "--scenario", "leader_failure", *SEARCH], 0.8
else:
    COUNT, STRAIGHT = "executions", []
    PASSING = ["--design", "condvar", "--flaw", "none", "--scenario", "coalesce", "--scheduler", "dpor"]
    FLAW = ["--design", "notify", "--flaw", "listener_after_check", "--scenario", "check_then_act",
            "--scheduler", "dpor"]
    OTHER_SEARCH = ["--design", "condvar", "--flaw", "none", "--scenario", "coalesce", "--scheduler", "dfs"]
    NO_TREE = [*PASSING[:6], "--scheduler", "pct"]
    LONGER, SIGINT_AFTER = PASSING, 1.0


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


def run(cell, extra, name):
    out = os.path.join(WORK, name + ".json")
    budget = [] if "--iterations" in extra else STRAIGHT
    r = subprocess.run([RUNNER, *cell, *budget, *extra, "--json", out, "--quiet"], capture_output=True, text=True,
                       timeout=600)
    if r.returncode not in (0, 1):
        raise SystemExit(f"{name}: exit {r.returncode}: {r.stderr}")
    with open(out) as f:
        return json.load(f)[0]


def fresh(path):
    if os.path.exists(path):
        os.remove(path)
    return path


def stopped_at(path):
    with open(path) as f:
        return json.load(f)[COUNT]


# Straight through, then in three sessions: two of about a third each (a
# budget counts runs, sleep-set-blocked ones too), then the rest.
straight = run(PASSING, [], "pass-straight")
total = straight[COUNT]
check(straight["exhausted_search"], f"the straight run is exhausted: {total} {COUNT}")
ck = fresh(os.path.join(WORK, "pass.checkpoint"))
third = ["--iterations", str(total // 3 + 1)]
first = run(PASSING, [*third, "--checkpoint", ck], "pass-1")
check(not first["exhausted_search"] and os.path.exists(ck), f"session 1 stops at {first[COUNT]}, checkpoint written")
second = run(PASSING, [*third, "--resume", ck, "--checkpoint", ck], "pass-2")
check(not second["exhausted_search"] and stopped_at(ck) > first[COUNT], f"session 2 stops at {second[COUNT]} in all")
last = run(PASSING, ["--resume", ck, "--checkpoint", ck], "pass-3")  # to its end
check(last["exhausted_search"] and last[COUNT] == total,
      f"session 3 ends the search at {last[COUNT]} {COUNT}, straight {total}")

# Stopped by SIGINT, then resumed.
longer = total if LONGER is PASSING else run(LONGER, [], "longer-straight")[COUNT]
ck = fresh(os.path.join(WORK, "sigint.checkpoint"))
p = subprocess.Popen([RUNNER, *LONGER, *STRAIGHT, "--checkpoint", ck, "--quiet"], stdout=subprocess.PIPE,
                     stderr=subprocess.PIPE, text=True)
time.sleep(SIGINT_AFTER)
p.send_signal(signal.SIGINT)
_, err = p.communicate(timeout=60)
check(p.returncode == 130 and os.path.exists(ck), f"SIGINT: exit {p.returncode}, checkpoint written ({err.strip()})")
if os.path.exists(ck):
    at = stopped_at(ck)
    resumed = run(LONGER, ["--resume", ck], "sigint-resumed")
    check(0 < at < longer and resumed["exhausted_search"] and resumed[COUNT] == longer,
          f"SIGINT at {at} {COUNT}, resumed to {resumed[COUNT]}, straight {longer}")

# A flaw: stopped before its failure, resumed, the same first failure.
straight = run(FLAW, [], "flaw-straight")
at = straight["first_failure_iteration"]
check(straight["verdict"] != "pass" and at and at > (512 if COUNT == "iterations" else 2),
      f"the flaw is found at {at}: {straight['verdict']}")
ck = fresh(os.path.join(WORK, "flaw.checkpoint"))
stopped = run(FLAW, ["--iterations", str(max(1, at // 2)), "--checkpoint", ck], "flaw-stopped")
check(stopped["verdict"] == "pass" and os.path.exists(ck), f"stopped at {stopped[COUNT]}, before it")
resumed = run(FLAW, ["--resume", ck], "flaw-resumed")
same = [resumed[k] == straight[k] for k in ("verdict", "first_failure_iteration", "replay")]
check(all(same), f"resumed: {resumed['verdict']} at {resumed['first_failure_iteration']}, "
      f"straight {straight['verdict']} at {at}, same replay {resumed['replay'] == straight['replay']}")

# Bad input: exit 2 and a line that says why.
not_a_checkpoint = os.path.join(WORK, "results-not-checkpoint.json")
with open(not_a_checkpoint, "w") as f:
    json.dump([{"design": "condvar"}], f)
for extra in (["--resume", ck, *PASSING], ["--resume", ck, *OTHER_SEARCH], ["--checkpoint", ck, *NO_TREE],
              ["--checkpoint", ck, "--check-all"], ["--checkpoint", ck, "--shard", "1/2", *PASSING],
              ["--resume", not_a_checkpoint, *PASSING], ["--resume", os.path.join(WORK, "no-such-file"), *PASSING]):
    r = subprocess.run([RUNNER, *extra, "--quiet"], capture_output=True, text=True, timeout=60)
    check(r.returncode == 2 and r.stderr.strip(),
          f"{' '.join(extra[:2])} ... {' '.join(extra[-2:])} is bad input: exit {r.returncode}, {r.stderr.strip()}")

if failures:
    print(f"\n{len(failures)} check(s) failed:\n  " + "\n  ".join(failures))
    sys.exit(1)
print("\ncheckpoint_test: every check passed")
