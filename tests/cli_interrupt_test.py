#!/usr/bin/python3
"""CTest cli_interrupt (issue 17): SIGINT and SIGTERM stop a runner cleanly,
and an end from outside is never a verdict on a design.

- a single-cell oncecheck-stress passes SIGTERM / SIGINT on to its child,
  which is gone when the runner exits 143 / 130 with one line;
- a child killed from outside (SIGKILL) is `interrupted`, and a cell stopped
  by --max-time is `unfinished` (they were `assert` and `hang`);
- Ctrl-C to the process group of a matrix run keeps the previous results
  file, writes the runs that ended to FILE.interrupted.json, reports no cell
  as DIFFERS, removes its temporary directory and exits 130; SIGTERM to an
  explorer matrix exits 143 the same way;
- a run in the runner's own process (the explorer's cells, the model's
  searches) stops within seconds of the signal, not at its 600 s budget: a
  family run keeps its finished first cell in FILE.interrupted.json and
  exits 130, a single search exits 143 with no cell and leaves FILE as it
  was.

    cli_interrupt_test.py EXPLORE STRESS MODEL WORKDIR
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

EXPLORE, STRESS, MODEL, WORK = sys.argv[1:5]
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXPECTED = os.path.join(REPO, "models/expected.tsv")
CELL = ["--design", "condvar", "--flaw", "none", "--scenario", "coalesce"]
LONG = ["--rounds", "1000000000", "--threads", "2"]
failures = []


def check(name, ok, detail=""):
    print(f"{'ok  ' if ok else 'FAIL'} {name}" + ("" if ok else f": {detail}"))
    if not ok:
        failures.append(f"{name}: {detail}")


def children_of(pid):
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is not running any more
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split(")")[-1].split()[0] != "Z"


def start(args, group=False):
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=WORK,
                            start_new_session=group)


def wait_for_child(p, seconds=20):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        kids = children_of(p.pid)
        if kids:
            return kids
        time.sleep(0.05)
    return []


shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)
tmp = tempfile.gettempdir()

# A single cell: the signal reaches the child, the runner says so in one line.
for sig, code in ((signal.SIGTERM, 143), (signal.SIGINT, 130)):
    p = start([STRESS] + CELL + LONG + ["--json", "single.json"])
    kids = wait_for_child(p)
    time.sleep(0.5)
    p.send_signal(sig)
    out, err = p.communicate(timeout=30)
    name = f"stress single cell, {sig.name} to the runner"
    check(name + ": exit code", p.returncode == code, f"exit {p.returncode}, stderr {err.strip()}")
    check(name + ": one line", len(err.splitlines()) == 1 and f"interrupted by {sig.name}" in err, err.strip())
    check(name + ": its child is gone", kids and not any(alive(k) for k in kids), f"children {kids}")
    check(name + ": no temporary directory left", not os.path.exists(os.path.join(tmp, f"oncecheck-stress-{p.pid}-0")))

# A child killed from outside: `interrupted`, not `assert`.
p = start([STRESS] + CELL + LONG + ["--json", "killed.json"])
kids = wait_for_child(p)
time.sleep(0.5)
for k in kids:
    os.kill(k, signal.SIGKILL)
out, err = p.communicate(timeout=30)
cell = json.load(open(os.path.join(WORK, "killed.json")))[0] if os.path.exists(os.path.join(WORK, "killed.json")) else {}
check("a stress child killed with SIGKILL is `interrupted`", cell.get("verdict") == "interrupted"
      and "from outside" in cell.get("reason", "") and cell.get("replay") is None, str(cell)[:300])

# A cell stopped by --max-time: `unfinished`, not `hang` with 0 rounds.
p = subprocess.run([STRESS] + CELL + LONG + ["--max-time", "1", "--json", "maxtime.json"], capture_output=True,
                   text=True, cwd=WORK, timeout=60)
cell = json.load(open(os.path.join(WORK, "maxtime.json")))[0] if os.path.exists(os.path.join(WORK, "maxtime.json")) else {}
check("a stress cell stopped by --max-time is `unfinished`", cell.get("verdict") == "unfinished", str(cell)[:300])

# A matrix interrupted by Ctrl-C to its process group.
previous = '[{"previous": "run"}]\n'
with open(os.path.join(WORK, "matrix.json"), "w") as f:
    f.write(previous)
p = start([STRESS, "--all", "--quiet", "--rounds", "300", "--threads", "2", "--timeout", "3", "--expected", EXPECTED,
           "--json", "matrix.json"], group=True)
time.sleep(4)
os.killpg(p.pid, signal.SIGINT)
out, err = p.communicate(timeout=30)
check("stress --all, Ctrl-C: exit 130", p.returncode == 130, f"exit {p.returncode}: {err.strip()}")
check("stress --all, Ctrl-C: the previous results file is left as it was",
      open(os.path.join(WORK, "matrix.json")).read() == previous)
partial = os.path.join(WORK, "matrix.json.interrupted.json")
kept = json.load(open(partial)) if os.path.exists(partial) else None
check("stress --all, Ctrl-C: the runs that ended are in matrix.json.interrupted.json",
      kept is not None and len(kept) >= 1 and "matrix.json.interrupted.json" in out, f"{kept and len(kept)}: {out[-300:]}")
check("stress --all, Ctrl-C: no cell DIFFERS", "DIFFERS" not in out and all(c["verdict"] != "assert" for c in kept or []))
check("stress --all, Ctrl-C: the temporary directory is removed",
      not os.path.exists(os.path.join(tmp, f"oncecheck-stress-{p.pid}")))

# SIGTERM to the explorer's matrix (its children run cells of their own).
p = start([EXPLORE, "--check-all", "--budget", "quick", "--design", "condvar", "--expected", EXPECTED,
           "--json", "explore.json"], group=True)
kids = wait_for_child(p)
time.sleep(1)
os.killpg(p.pid, signal.SIGTERM)
out, err = p.communicate(timeout=30)
check("explore --check-all, SIGTERM: exit 143", p.returncode == 143, f"exit {p.returncode}: {err.strip()}")
check("explore --check-all, SIGTERM: the file of the runs that ended, no explore.json",
      os.path.exists(os.path.join(WORK, "explore.json.interrupted.json"))
      and not os.path.exists(os.path.join(WORK, "explore.json")), str(os.listdir(WORK)))
check("explore --check-all, SIGTERM: the temporary directory is removed",
      not os.path.exists(os.path.join(tmp, f"oncecheck-model-{p.pid}")))
check("explore --check-all, SIGTERM: no child left", kids and not any(alive(k) for k in kids), f"children {kids}")

# In-process runs: the family async_waiter_cancel under dfs (no reduction)
# is two cells, 1w done in a millisecond, 2w a search of minutes.
def interrupted_after(args, sig, seconds=1.5):
    """Runs args, sends sig after `seconds`; (process, stderr, seconds it took to end)."""
    p = start(args)
    time.sleep(seconds)
    sent = time.monotonic()
    p.send_signal(sig)
    _, err = p.communicate(timeout=30)
    return p, err, time.monotonic() - sent


p, err, took = interrupted_after([EXPLORE, "--design", "notify", "--flaw", "none", "--scenario", "async_waiter_cancel",
                                  "--scheduler", "dfs", "--time-limit", "600", "--json", "family.json"], signal.SIGINT)
name = "explore family run, SIGINT"
kept_path = os.path.join(WORK, "family.json.interrupted.json")
kept = json.load(open(kept_path)) if os.path.exists(kept_path) else []
check(name + ": exit 130 within seconds", p.returncode == 130 and took < 5.0, f"exit {p.returncode} after {took:.1f} s")
check(name + ": one line", len(err.splitlines()) == 1 and "1 cell(s) finished" in err, err.strip())
check(name + ": the finished 1w cell is kept, the cut 2w one is not",
      [(c.get("scenario"), c.get("verdict")) for c in kept] == [("async_waiter_cancel/1w", "pass")], str(kept)[:300])
check(name + ": no family.json", not os.path.exists(os.path.join(WORK, "family.json")))

previous = '[{"previous": "search"}]\n'
with open(os.path.join(WORK, "search.json"), "w") as f:
    f.write(previous)
p, err, took = interrupted_after([MODEL] + CELL + ["--scheduler", "full", "--iterations", "1000000000",
                                                   "--time-limit", "600", "--json", "search.json"], signal.SIGTERM)
name = "model search, SIGTERM"
check(name + ": exit 143 within seconds", p.returncode == 143 and took < 5.0, f"exit {p.returncode} after {took:.1f} s")
check(name + ": one line, no cell", len(err.splitlines()) == 1 and "0 cell(s) finished" in err, err.strip())
check(name + ": search.json left as it was, no partial file",
      open(os.path.join(WORK, "search.json")).read() == previous
      and not os.path.exists(os.path.join(WORK, "search.json.interrupted.json")), str(os.listdir(WORK)))

if failures:
    print("\nFAILED:\n  " + "\n  ".join(failures))
    sys.exit(1)
print("\nall cases passed")
