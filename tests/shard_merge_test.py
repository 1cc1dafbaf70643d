#!/usr/bin/python3
"""shard_merge_test: sharded searches (harness/runner/shard.hpp) merged with
--merge give what an unsharded run gives.

    shard_merge_test.py MODEL EXPLORE WORKDIR

For each cell below, run once unsharded and as 1, 2 and 4 shards, each
shard a process of its own, and merge the shards' files:
  - every merged verdict is the unsharded run's verdict;
  - the merged totals of 1, 2 and 4 shards are equal (iterations, and
    executions of exhausted searches); a dpor split's total is printed
    beside the unsplit run's (they differ: the top of a split tree is not
    reduced, docs/results.md);
  - Relacy random runs the same iterations in parts: the merged first
    failure is the unsharded run's, to the iteration;
  - Relacy bound's subtrees add up to the unsharded search, execution for
    execution;
  - a merged failure's replay command runs on its own, unsharded, and
    gives the same verdict.
Then a quick matrix of one design and scenario, as 1, 2 and 4 shards of
each engine, merged with --expected: exit 0 and the unsharded verdicts.
Bad --shard values exit 2 naming the value.
"""
import json
import os
import shlex
import subprocess
import sys

MODEL, EXPLORE, WORK = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(WORK, exist_ok=True)
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=300, **kw)


def cells_of(path):
    with open(path) as f:
        return json.load(f)


def one(binary, cell, extra, name):
    out = os.path.join(WORK, name + ".json")
    r = run([binary, *cell, *extra, "--json", out, "--quiet"])
    if r.returncode not in (0, 1):
        raise SystemExit(f"{name}: exit {r.returncode}: {r.stderr}")
    return out


def merged(binary, cell, extra, name, n):
    parts = [one(binary, cell, extra + ["--shard", f"{i}/{n}"], f"{name}-{i}of{n}") for i in range(1, n + 1)]
    out = os.path.join(WORK, f"{name}-merged{n}.json")
    r = run([binary, "--merge", *parts, "--json", out])
    check(r.returncode == 0, f"{name}: merge of {n} shards exits 0 ({r.stderr.strip()})")
    [c] = cells_of(out)
    return c


def cell_case(binary, design, flaw, scenario, extra, name):
    cell = ["--design", design, "--flaw", flaw, "--scenario", scenario]
    [plain] = cells_of(one(binary, cell, extra, name + "-plain"))
    joined = {n: merged(binary, cell, extra, name, n) for n in (1, 2, 4)}
    for n, c in joined.items():
        check(c["verdict"] == plain["verdict"], f"{name}: {n} shard(s) give {c['verdict']}, unsharded {plain['verdict']}")
        check(c["units"] == c["units_total"], f"{name}: {n} shard(s) cover {c['units']} of {c['units_total']} units")
        check(c["exhausted_search"] == joined[1]["exhausted_search"], f"{name}: {n} shard(s) exhausted as 1 shard")
    if joined[1]["exhausted_search"] or plain["verdict"] == "pass":
        totals = {n: (c["iterations"], c.get("executions")) for n, c in joined.items()}
        check(len(set(totals.values())) == 1, f"{name}: totals of 1, 2, 4 shards equal: {totals}")
    print(f"     {name}: unsharded {plain['iterations']} {'(exhausted) ' if plain['exhausted_search'] else ''}"
          f"vs sharded {joined[1]['iterations']} in {joined[1]['units_total']} units", flush=True)
    return plain, joined


# Relacy random: a correct cell (totals equal the unsharded run's) and a
# flaw (the same first failing iteration, and its replay).
plain, joined = cell_case(MODEL, "condvar", "none", "coalesce", ["--scheduler", "random", "--iterations", "4000"],
                          "relacy-random-pass")
for n, c in joined.items():
    check(c["iterations"] == plain["iterations"], f"relacy random pass: {n} shard(s) ran {c['iterations']} iterations, "
          f"unsharded {plain['iterations']}")
plain, joined = cell_case(MODEL, "condvar", "check_then_act", "coalesce",
                          ["--scheduler", "random", "--iterations", "4000"], "relacy-random-flaw")
for n, c in joined.items():
    check(c["first_failure_iteration"] == plain["first_failure_iteration"],
          f"relacy random flaw: {n} shard(s) first failure at iteration {c['first_failure_iteration']}, "
          f"unsharded {plain['first_failure_iteration']}")

# Relacy bound: a tree cut into subtrees (models/tree_split.hpp). Relacy's
# walk has no reduction, so the subtrees' executions add up to exactly the
# unsharded search's; a flaw is found and its merged replay runs unsplit.
bound = ["--scheduler", "bound", "--context-bound", "1", "--iterations", "1000000", "--time-limit", "120"]
random_flaw = joined
bound_plain, bound_joined = cell_case(MODEL, "condvar", "none", "drop_with_waiters", bound, "relacy-bound-pass")
for n, c in bound_joined.items():
    check(c["exhausted_search"] and c["iterations"] == bound_plain["iterations"],
          f"relacy bound pass: {n} shard(s) exhausted in {c['iterations']} iterations, "
          f"unsharded {bound_plain['iterations']}")
_, bound_flaw = cell_case(MODEL, "condvar", "notify_one_unchained", "coalesce", bound, "relacy-bound-flaw")

# The explorer: dpor exhausted on a correct cell, dpor and pct on a flaw.
cell_case(EXPLORE, "condvar", "none", "drop_with_waiters", ["--scheduler", "dpor", "--time-limit", "60"], "dpor-pass")
_, dpor_flaw = cell_case(EXPLORE, "condvar", "check_then_act", "coalesce", ["--scheduler", "dpor"], "dpor-flaw")
cell_case(EXPLORE, "condvar", "check_then_act", "coalesce", ["--scheduler", "pct", "--iterations", "1000"], "pct-flaw")

# A merged failure's replay runs unsharded and gives the same verdict.
for name, c in [("relacy random", random_flaw[2]), ("relacy bound", bound_flaw[4]), ("dpor", dpor_flaw[4])]:
    argv = shlex.split(c["replay"] or "false")
    check("--shard" not in argv, f"{name}: the replay names no shard")
    argv[0] = MODEL if "oncecheck-model" in argv[0] else EXPLORE
    r = run(argv + ["--expect", c["verdict"], "--quiet"])
    check(r.returncode == 0, f"{name}: the merged failure's replay gives {c['verdict']} on its own ({r.stderr.strip()})")

# A quick matrix of one design and scenario, sharded, merged and compared.
for binary, engine in [(MODEL, "relacy"), (EXPLORE, "explore")]:
    matrix = ["--check-all", "--budget", "quick", "--design", "condvar", "--scenario", "coalesce", "--jobs", "2",
              "--expected", "models/expected.tsv"]
    plain_file = os.path.join(WORK, f"matrix-{engine}-plain.json")
    r = run([binary, *matrix, "--json", plain_file])
    check(r.returncode == 0, f"{engine} matrix unsharded exits 0")
    plain = {(c["design"], c["flaw"], c["scheduler"]): c for c in cells_of(plain_file)}
    for n in (1, 2, 4):
        parts = []
        for i in range(1, n + 1):
            parts.append(os.path.join(WORK, f"matrix-{engine}-{i}of{n}.json"))
            r = run([binary, *matrix, "--shard", f"{i}/{n}", "--json", parts[-1]])
            check(r.returncode == 0, f"{engine} matrix shard {i}/{n} exits 0")
        out = os.path.join(WORK, f"matrix-{engine}-merged{n}.json")
        r = run([binary, "--merge", *parts, "--json", out, "--expected", "models/expected.tsv"])
        check(r.returncode == 0, f"{engine} matrix: merge of {n} shards with --expected exits 0")
        got = {(c["design"], c["flaw"], c["scheduler"]): c for c in cells_of(out)}
        check(got.keys() == plain.keys(), f"{engine} matrix: {n} shards give the same cells")
        for k in plain:
            if k in got:
                check(got[k]["verdict"] == plain[k]["verdict"],
                      f"{engine} matrix {'/'.join(k)}: {n} shards {got[k]['verdict']}, unsharded {plain[k]['verdict']}")

# Bad values: exit 2, one line naming the value.
for bad in ["0/2", "3/2", "0/0", "1/0", "1/", "/2", "a/b", "2", "1/2/3", "-1/2", "1/99999"]:
    for binary in (MODEL, EXPLORE):
        r = run([binary, "--design", "condvar", "--scenario", "coalesce", "--shard", bad])
        check(r.returncode == 2 and f"'{bad}'" in r.stderr,
              f"{os.path.basename(binary)} --shard {bad}: exit {r.returncode}, {r.stderr.strip()}")
r = run([EXPLORE, "--design", "condvar", "--scenario", "coalesce", "--shard", "1/2", "--replay", "e1:0"])
check(r.returncode == 2, f"--shard with --replay is bad input ({r.stderr.strip()})")

if failures:
    print(f"\n{len(failures)} check(s) failed:\n  " + "\n  ".join(failures))
    sys.exit(1)
print("\nshard_merge_test: every check passed")
