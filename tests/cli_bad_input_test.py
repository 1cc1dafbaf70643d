#!/usr/bin/python3
"""CTest cli_bad_input (issue 17): every bad value is refused before any
work, with one line on stderr and exit 2; the filters of a matrix run select
cells instead of being ignored.

    cli_bad_input_test.py MODEL EXPLORE STRESS WORKDIR

Each case names the runner, the arguments, and a pattern the one line must
match. A case that fails prints what it got; the script exits 1 if any did.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import time

MODEL, EXPLORE, STRESS, WORK = sys.argv[1:5]
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CELL = ["--design", "condvar", "--flaw", "none", "--scenario", "coalesce"]
failures = []


def run(binary, args, timeout=60):
    start = time.monotonic()
    p = subprocess.run([binary] + args, capture_output=True, text=True, timeout=timeout, cwd=WORK)
    return p, time.monotonic() - start


def bad(binary, args, pattern):
    """Exit 2, one line matching `pattern`, nothing run (no result lines)."""
    p, took = run(binary, args)
    lines = p.stderr.splitlines()
    why = []
    if p.returncode != 2:
        why.append(f"exit {p.returncode}")
    if len(lines) != 1:
        why.append(f"{len(lines)} lines on stderr")
    elif not re.search(pattern, lines[0]):
        why.append(f"line does not match /{pattern}/")
    elif re.search(r"\d{25}", lines[0]):
        why.append("a number of more than 24 digits in the message")
    if p.stdout.strip():
        why.append("it printed results (work ran)")
    if took > 5:
        why.append(f"took {took:.1f} s")
    name = os.path.basename(binary) + " " + " ".join(args)
    if why:
        failures.append(f"{name}: {', '.join(why)}\n    stderr: {p.stderr.strip()[:400]}")
    else:
        print(f"ok   {name}\n       {lines[0]}")


def check(name, ok, detail=""):
    if ok:
        print(f"ok   {name}")
    else:
        failures.append(f"{name}: {detail}")


shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(os.path.join(WORK, "adir"))

# Numbers: finite, in range, no overflow, no sign on an unsigned, plain bounds.
bad(STRESS, CELL + ["--timeout", "nan"], r"--timeout: 'nan' is not a number from 0\.1 to 86400")
bad(STRESS, CELL + ["--timeout", "1e-9"], r"--timeout: 1e-9 is out of range")
bad(STRESS, CELL + ["--timeout", "inf"], r"--timeout: 'inf' is not a number")
bad(STRESS, CELL + ["--rounds", "99999999999999999999999"], r"--rounds: 9+ is out of range: a whole number from 1 to")
bad(STRESS, CELL + ["--rounds", "0x10"], r"--rounds: '0x10' is not a whole number")
bad(STRESS, CELL + ["--threads", "1.5"], r"--threads: '1\.5' is not a whole number from 1 to 256")
bad(STRESS, CELL + ["--max-time", "-1"], r"--max-time: -1 is out of range")
bad(MODEL, CELL + ["--seed", "-1"], r"--seed: '-1' is not a whole number from 0 to 18446744073709551615")
bad(MODEL, CELL + ["--seed", "18446744073709551616"], r"--seed: 18446744073709551616 is out of range")
bad(MODEL, CELL + ["--time-limit", "nan"], r"--time-limit: 'nan' is not a number from 0\.001 to 1000000")
bad(MODEL, CELL + ["--time-limit", "1e400"], r"--time-limit: 1e400 is out of range: a number from 0\.001 to 1000000$")
bad(MODEL, CELL + ["--iterations", "0"], r"--iterations: 0 is out of range")
bad(MODEL, CELL + ["--context-bound", "-1"], r"--context-bound: '-1' is not a whole number")
bad(EXPLORE, CELL + ["--preemption-bound", "1001"], r"--preemption-bound: 1001 is out of range")
bad(EXPLORE, CELL + ["--max-steps", "1e3"], r"--max-steps: '1e3' is not a whole number")
bad(EXPLORE, ["--check-all", "--jobs", "0"], r"--jobs: 0 is out of range")

# Output paths, before the run: nothing left behind.
bad(STRESS, CELL + ["--json", "/proc/x.json"], r"--json '/proc/x\.json': under /proc")
bad(STRESS, CELL + ["--json", "adir"], r"--json 'adir': is a directory")
bad(STRESS, CELL + ["--json", ""], r"--json: an empty path")
bad(MODEL, ["--check-all", "--json", "/proc/x.json"], r"under /proc")
bad(MODEL, ["--catalogue-json", "adir"], r"is a directory")
bad(EXPLORE, CELL + ["--junit", "adir"], r"--junit 'adir': is a directory")
bad(MODEL, ["--check-all", "--junit", "/proc/x.xml"], r"--junit '/proc/x\.xml': under /proc")
# --expect-verdicts is a registered design's (oncecheck_add_design's EXPECT).
bad(MODEL, ["--check-all", "--expect-verdicts", "coalesce=deadlock"], r"--expect-verdicts is for a registered design")
check("no adir.partial or .partial left", not os.path.exists(os.path.join(WORK, "adir.partial"))
      and not os.path.exists(os.path.join(WORK, ".partial")), str(os.listdir(WORK)))

# Names: a budget is checked without --check-all; filters name known things.
bad(MODEL, CELL + ["--budget", "nosuch"], r"unknown budget 'nosuch'")
bad(EXPLORE, ["--check-all", "--budget", "nosuch"], r"unknown budget 'nosuch'")
bad(MODEL, ["--check-all", "--design", "nosuch"], r"unknown design 'nosuch'")
bad(STRESS, ["--all", "--design", "condvar", "--flaw", "nosuch"], r"unknown flaw 'nosuch' of design condvar")
bad(STRESS, ["--all", "--scenario", "nosuch"], r"unknown scenario 'nosuch'")
bad(STRESS, ["--all", "--design", ""], r"--design: an empty name")
bad(EXPLORE, ["--scenario", "coalesce", "--design", "x\ny"], r"unknown design 'x\\ny'")

# --all with filters runs only the cells they name.
out = os.path.join(WORK, "filtered.json")
p, _ = run(STRESS, ["--all", "--quiet", "--rounds", "50", "--threads", "2", "--expected",
                    os.path.join(REPO, "models/expected.tsv"), "--json", out] + CELL)
cells = json.load(open(out)) if os.path.exists(out) else []
check("stress --all --design condvar --flaw none --scenario coalesce runs that one cell",
      p.returncode == 0 and [(c["design"], c["flaw"], c["scenario"]) for c in cells] == [("condvar", "none", "coalesce")],
      f"exit {p.returncode}, cells {[(c['design'], c['flaw'], c['scenario']) for c in cells]}")
p, _ = run(STRESS, ["--all", "--quiet", "--rounds", "20", "--threads", "2", "--expected",
                    os.path.join(REPO, "models/expected.tsv"), "--json", out, "--design", "intrusive", "--flaw",
                    "none", "--scenario", "notify_latency"])
cells = json.load(open(out)) if os.path.exists(out) else []
check("stress --all --scenario notify_latency runs the family (/1w and /2w)",
      sorted(c["scenario"] for c in cells) == ["notify_latency/1w", "notify_latency/2w"],
      f"exit {p.returncode}, scenarios {[c['scenario'] for c in cells]}")

# The model takes a scenario family name as stress does.
single = os.path.join(WORK, "family.json")
p, _ = run(MODEL, ["--design", "intrusive", "--scenario", "notify_latency", "--iterations", "5", "--quiet",
                   "--json", single])
cells = json.load(open(single)) if os.path.exists(single) else []
check("oncecheck-model --scenario notify_latency runs /1w and /2w",
      p.returncode == 0 and sorted(c["scenario"] for c in cells) == ["notify_latency/1w", "notify_latency/2w"],
      f"exit {p.returncode}: {p.stderr.strip()}")

# An accepted value is the value converted: 010 is ten rounds, not octal 8.
p, _ = run(STRESS, CELL + ["--rounds", "010", "--threads", "2", "--quiet", "--json", single])
cells = json.load(open(single)) if os.path.exists(single) else []
check("--rounds 010 runs 10 rounds", p.returncode == 0 and cells and cells[0]["iterations"] == 10,
      f"exit {p.returncode}, {cells and cells[0]['iterations']}")

if failures:
    print("\nFAILED:\n  " + "\n  ".join(failures))
    sys.exit(1)
print("\nall cases passed")
