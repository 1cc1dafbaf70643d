#!/usr/bin/python3
"""CTest cli_replay (issue 17): a replay runs the one schedule it names.

A state that does not parse for its scheduler (garbage, overflow, an index
past its count) is one line and exit 2, never a segfault or a fresh search;
a well-formed state that is not a schedule of the cell is exit 2 or a
replay that did not reproduce, never a crash of the runner; a replay that
passes says "the replay did not reproduce a failure" and exits 1 at once
(it used to search on forever); a failing one still gives its verdict.

    cli_replay_test.py MODEL EXPLORE
"""

import re
import subprocess
import sys
import time

MODEL, EXPLORE = sys.argv[1:3]
failures = []


def cell(design, flaw, scenario, scheduler=None):
    args = ["--design", design, "--flaw", flaw, "--scenario", scenario]
    return args + (["--scheduler", scheduler] if scheduler else [])


def run(binary, args, timeout=60):
    start = time.monotonic()
    try:
        p = subprocess.run([binary] + args, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, timeout
    return p, time.monotonic() - start


def expect(name, binary, args, code, line=None, stdout=None, seconds=20):
    p, took = run(binary, args)
    why = []
    if p is None:
        why.append(f"still running after {took} s")
    else:
        lines = p.stderr.splitlines()
        if p.returncode != code:
            why.append(f"exit {p.returncode}, not {code}")
        if line is not None and (len(lines) != 1 or not re.search(line, lines[0])):
            why.append(f"stderr is not one line matching /{line}/")
        if stdout is not None and not re.search(stdout, p.stdout):
            why.append(f"stdout does not match /{stdout}/")
        if took > seconds:
            why.append(f"took {took:.1f} s")
    if why:
        got = "" if p is None else f"\n    stderr: {p.stderr.strip()[:500]}\n    stdout: {p.stdout.strip()[-300:]}"
        failures.append(f"{name}: {', '.join(why)}{got}")
    else:
        print(f"ok   {name} ({took:.1f} s)" + (f": {p.stderr.strip()}" if p.stderr.strip() else ""))


# Relacy states that do not parse for their scheduler.
expect("bound state with a kind 5, an index past its count, trailing numbers", MODEL,
       cell("condvar", "check_then_act", "coalesce", "bound") + ["--replay", "1 2 3 4 5 6 7 8 9 999999 -3"], 2,
       r"--replay '1 2 3 4 5 6 7 8 9 999999 -3': ")
expect("bound state with more choices than the cell has threads", MODEL,
       cell("condvar", "check_then_act", "coalesce", "bound") + ["--replay", "1 1 9 0 0"], 2,
       r"decision 1 \(9 0 0\): 9 choices where this cell has 1 to 3")
expect("random state 'garbage'", MODEL, cell("condvar", "check_then_act", "coalesce") + ["--replay", "garbage"], 2,
       r"--replay 'garbage': 'garbage' is not a whole number")
expect("random state past 2^64", MODEL,
       cell("condvar", "none", "coalesce") + ["--replay", "99999999999999999999 "], 2, r"is out of range")
expect("random state of two numbers", MODEL, cell("condvar", "none", "coalesce") + ["--replay", "4 5"], 2,
       r"a random scheduler's state is one number")
expect("empty state", MODEL, cell("condvar", "none", "coalesce") + ["--replay", ""], 2, r"empty")
expect("a replay names one cell, not a family", MODEL,
       cell("intrusive", "none", "notify_latency") + ["--replay", "4"], 2, r"names one schedule of one cell")

# A replay that passes says so and ends (it used to search on forever).
expect("a passing replay did not reproduce", MODEL, cell("condvar", "none", "coalesce") + ["--replay", "4 "], 1,
       r"the replay did not reproduce a failure$", seconds=10)
expect("a passing bound replay did not reproduce", MODEL,
       cell("condvar", "none", "coalesce", "bound") + ["--replay", "1 1 3 0 0"], 1,
       r"the replay did not reproduce a failure$", seconds=10)
# A failing replay still gives its verdict, once.
expect("a failing replay reproduces", MODEL, cell("condvar", "check_then_act", "coalesce") + ["--replay", "4 "], 1,
       stdout=r"duplicate_compute\s+1 it")

# A well-formed state that is not a schedule of the cell: one line naming
# where it leaves the cell's schedules, exit 2; never a verdict of an
# execution the program does not have (this one gave condvar/none a
# `wrong_value`), a crash (free(): invalid pointer) or a search.
other = ("1 36 3 0 0 3 0 0 3 0 0 3 0 0 3 0 0 3 0 0 3 0 0 2 0 0 2 0 0 2 0 0 2 0 0 2 0 0 2 0 0 2 0 0 2 0 0 "
         "2 0 0 2 0 0 2 0 0 2 0 0 2 0 0 2 0 0 2 0 0 2 0 0 2 0 0 3 0 0 3 0 0 3 0 0 3 0 0 3 0 0 3 0 0 3 0 0 "
         "3 0 0 2 0 0 2 0 0 2 0 0 2 0 0")
leaves = r"is not a schedule of {}: the replay leaves this cell's schedules at decision \d+: "
expect("another cell's bound state", MODEL, cell("atomic_wait", "none", "waiter_cancel", "bound") + ["--replay", other],
       2, leaves.format("waiter_cancel"), seconds=40)
third = "1 60" + " 3 2 0" * 60
for design, scenario in (("condvar", "coalesce"), ("notify", "lost_wakeup"), ("intrusive", "waiter_cancel")):
    expect(f"always thread 2 on {design}/none {scenario}", MODEL,
           cell(design, "none", scenario, "bound") + ["--replay", third], 2, leaves.format(scenario), seconds=40)

# The explorer's replay strings.
expect("explore: not a replay string", EXPLORE, cell("condvar", "none", "coalesce") + ["--replay", "garbage"], 2,
       r"not a replay string")
expect("explore: a run too long to be an execution", EXPLORE,
       cell("condvar", "none", "coalesce") + ["--replay", "e1:0x99999999999"], 2, r"not a replay string")
expect("explore: '0abc' is no thread", EXPLORE, cell("condvar", "none", "coalesce") + ["--replay", "e1:0abc"], 2,
       r"not a replay string")
expect("explore: a thread the cell does not have", EXPLORE,
       cell("condvar", "none", "coalesce") + ["--replay", "e1:7"], 2, r"thread 7 where coalesce has 3")
expect("explore: a schedule that leaves the cell's", EXPLORE,
       cell("condvar", "none", "coalesce") + ["--replay", "e1:0x3"], 2, r"is not a schedule of coalesce")

if failures:
    print("\nFAILED:\n  " + "\n  ".join(failures))
    sys.exit(1)
print("\nall cases passed")
