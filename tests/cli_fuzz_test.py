#!/usr/bin/python3
"""CTest cli_fuzz (issue 17): generated bad arguments for every runner.

Hypothesis (Debian's python3-hypothesis) picks an option of
oncecheck-model, oncecheck-explore or oncecheck-stress and a value of the
wrong kind for it: text where a number goes, a fraction where a whole
number goes, NaN, infinities, overflow (up to 400 digits), values just past
either bound, empty, huge, control characters, unknown names, paths that
cannot take a results file, a missing value, an unknown option. The rest of
the command line is a valid single cell (or a matrix run, for the matrix's
options) that would run if the value were let through. Each run must exit
2 with exactly one line on stderr and nothing on stdout, in under a second.

    cli_fuzz_test.py MODEL EXPLORE STRESS WORKDIR [--examples N]

--examples is per runner; the test prints how many it ran.
"""

import argparse
import os
import shutil
import subprocess
import sys
import time

from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

parser = argparse.ArgumentParser()
parser.add_argument("model")
parser.add_argument("explore")
parser.add_argument("stress")
parser.add_argument("work")
parser.add_argument("--examples", type=int, default=250)
args = parser.parse_args()
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = args.work
shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(os.path.join(WORK, "adir"))

CELL = ["--design", "condvar", "--flaw", "none", "--scenario", "coalesce"]
MATRIX = ["--check-all", "--expected", os.path.join(REPO, "models/expected.tsv"),
          "--json", os.path.join(WORK, "matrix.json")]
KNOWN = {"condvar", "none", "coalesce", "random", "bound", "full", "dpor", "pct", "dfs", "plain", "quick",
         "default", "pass", "deadlock", "hang", "assert", "sharded_entry", "notify", "intrusive", "shared_future",
         "atomic_wait", "check_then_act", "notify_one_unchained", "drop_with_waiters", "lost_wakeup",
         "leader_failure", "waiter_cancel", "distinct_keys", "recursive_keys", "notify_latency",
         "hold_entry_across_await", "async_waiter_cancel", "duplicate_compute", "wrong_value", "data_race",
         "use_after_free", "leak", "livelock", "unsupported", "not_linearizable", "interrupted", "unfinished"}


def whole(lo, hi):
    return ("whole", lo, hi)


def number(lo, hi):
    return ("number", lo, hi)


NAME, PATH, PARAM = ("name",), ("path",), ("param",)
COMMON = {"--design": NAME, "--flaw": NAME, "--scenario": NAME, "--scheduler": NAME, "--expect": NAME,
          "--seed": whole(0, 2**64 - 1), "--json": PATH, "--param": PARAM}
MATRIX_OPTIONS = {"--jobs": whole(1, 256), "--budget": NAME, "--schedulers": NAME, "--design": NAME,
                  "--scenario": NAME, "--json": PATH}
RUNNERS = {
    "model": (args.model, dict(COMMON, **{"--iterations": whole(1, 10**12), "--time-limit": number(0.001, 1e6),
                                          "--context-bound": whole(0, 100), "--catalogue-json": PATH}),
              ["--iterations", "5"]),
    "explore": (args.explore, dict(COMMON, **{"--iterations": whole(1, 10**12), "--time-limit": number(0.001, 1e6),
                                              "--preemption-bound": whole(0, 1000), "--pct-depth": whole(1, 100),
                                              "--max-steps": whole(10, 10**7), "--replay": NAME}),
                ["--iterations", "5"]),
    "stress": (args.stress, dict(COMMON, **{"--threads": whole(1, 256), "--rounds": whole(1, 10**12),
                                            "--timeout": number(0.1, 86400), "--max-time": number(0.1, 1e6)}),
               ["--rounds", "5", "--threads", "2"]),
}

ODD_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40)
BIG = st.integers(min_value=20, max_value=400).map(lambda n: "9" * n)


def bad_whole(lo, hi):
    return st.one_of(
        st.sampled_from(["", " ", "abc", "1.5", "1e3", "0x10", "+1", "1 ", " 1", "nan", "inf", "-inf", "1_000",
                         "١", "²", "1\n2", "--", "-0.0"]),
        st.integers(min_value=-10**30, max_value=-1).map(str),
        st.integers(min_value=hi + 1, max_value=hi + 10**25).map(str),
        st.integers(max_value=lo - 1, min_value=lo - 1000).filter(lambda v: v < lo).map(str) if lo > 0 else st.nothing(),
        BIG,
        st.floats(allow_nan=True, allow_infinity=True).filter(lambda f: f != int(f) if f == f and abs(f) != float("inf") else True).map(repr),
        ODD_TEXT.filter(lambda s: not s.strip().isdigit()),
    )


def bad_number(lo, hi):
    return st.one_of(
        st.sampled_from(["", " ", "abc", "nan", "NaN", "-nan", "inf", "-inf", "infinity", "1e400", "-1e400", "1,5",
                         "1e", "0x1p3", "1..2", "1\n", "\t1"]),
        st.floats(min_value=hi, exclude_min=True, allow_infinity=True).map(repr),
        st.floats(max_value=lo, exclude_max=True, allow_infinity=True).map(repr),
        BIG.map(lambda s: s + ".5"),
        ODD_TEXT.filter(lambda s: not _is_number_in(s, lo, hi)),
    )


def _is_number_in(s, lo, hi):
    try:
        v = float(s)
    except ValueError:
        return False
    return lo <= v <= hi


def bad_value(kind):
    if kind[0] == "whole":
        return bad_whole(kind[1], kind[2])
    if kind[0] == "number":
        return bad_number(kind[1], kind[2])
    if kind is PATH:
        return st.sampled_from(["", "/proc/x.json", "/proc/self/status", "/sys/x.json", "/dev/null",
                                os.path.join(WORK, "adir"), os.path.join(WORK, "adir") + "/", "/"])
    if kind is PARAM:
        return st.one_of(st.sampled_from(["", "x", "=x", "=", "noequals"]),
                         ODD_TEXT.filter(lambda s: "=" not in s or s.startswith("=")))
    return st.one_of(st.sampled_from(["", " ", "nosuch", "Condvar", "condvar ", "none/x", "../x", "x" * 5000]),
                     ODD_TEXT.filter(lambda s: s not in KNOWN and not s.startswith("e1:")))


def case(runner):
    binary, options, base = RUNNERS[runner]
    plain = st.sampled_from(sorted(options)).flatmap(
        lambda o: bad_value(options[o]).map(lambda v: ("cell", o, v)))
    matrix = st.sampled_from(sorted(MATRIX_OPTIONS)).flatmap(
        lambda o: bad_value(MATRIX_OPTIONS[o]).map(lambda v: ("matrix", o, v)))
    shape = st.sampled_from([("missing", o, None) for o in sorted(options) if options[o] is not NAME or o == "--design"] +
                            [("unknown", "--nosuch", "1"), ("unknown", "-x", None), ("positional", "extra", None)])
    return st.one_of(plain, plain, plain, matrix, shape)


def command(runner, kind, option, value):
    binary, options, base = RUNNERS[runner]
    if kind == "matrix":
        rest = [a for a in MATRIX if a != option]
        if option == "--json":
            rest = MATRIX[:3]
        return [binary] + rest + [option, value]
    cell = [a for i, a in enumerate(CELL) if a != option and (i == 0 or CELL[i - 1] != option)]
    budget = [a for i, a in enumerate(base) if a != option and (i == 0 or base[i - 1] != option)]
    if kind == "missing":
        return [binary] + cell + budget + [option]
    if kind == "unknown":
        return [binary] + cell + budget + [option] + ([value] if value else [])
    if kind == "positional":
        return [binary] + cell + budget + [option]
    return [binary] + cell + budget + [option, value]


ran = {}
slowest = [0.0, ""]


def check(runner, c):
    argv = command(runner, *c)
    note(f"argv: {argv!r}")
    start = time.monotonic()
    try:
        p = subprocess.run(argv, capture_output=True, text=True, errors="replace", timeout=10, cwd=WORK)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"{argv!r}: still running after 10 s (the bad value was let through)")
    took = time.monotonic() - start
    ran[runner] = ran.get(runner, 0) + 1
    if took > slowest[0]:
        slowest[:] = [took, " ".join(argv[1:])[:120]]
    lines = p.stderr.rstrip("\n").split("\n")  # a terminal's lines: \x85 or \u2028 end none
    assert p.returncode == 2, f"{argv!r}: exit {p.returncode}\nstderr: {p.stderr[:500]}\nstdout: {p.stdout[-300:]}"
    assert len(lines) == 1, f"{argv!r}: {len(lines)} lines on stderr: {p.stderr[:500]!r}"
    assert not p.stdout.strip(), f"{argv!r}: printed on stdout: {p.stdout[:300]!r}"
    assert took < 1.0, f"{argv!r}: took {took:.2f} s"


failed = []
for runner in RUNNERS:
    @settings(max_examples=args.examples, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case(runner))
    def test(c):
        check(runner, c)

    try:
        test()
    except Exception as e:  # AssertionError, or an ExceptionGroup of several
        for one in getattr(e, "exceptions", [e]):
            first = str(one).splitlines()[0] if str(one) else repr(one)
            failed.append(f"{runner}: {first}")
            print(f"FAIL {runner}: {one}")

print(f"cli_fuzz: {sum(ran.values())} runs ({', '.join(f'{k} {v}' for k, v in ran.items())}), "
      f"{args.examples} examples per runner; slowest {slowest[0]:.2f} s: {slowest[1]}")
if failed:
    sys.exit(1)
print("cli_fuzz: every bad argument gave exit 2 and one line")
