#!/usr/bin/python3
"""CTest report_bad_input: a broken input file is one line naming the file and
exit code 2, never a traceback; a missing optional file is a note, not an error.

    test_bad_input.py --work DIR
"""

import argparse
import json
import os
import shutil
import subprocess
import sys

MAKE_REPORT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "make_report.py")

# Two cells in the shape of docs/results.md: enough for a whole report.
CELLS = [{"design": "condvar", "flaw": flaw, "scenario": "coalesce", "mode": "model", "scheduler": "random",
          "threads": 3, "expected": verdict, "verdict": verdict, "reason": "test cell", "iterations": 10,
          "elapsed_ms": 1.0, "first_failure_iteration": None if verdict == "pass" else 4,
          "replay": None if verdict == "pass" else "true", "trace": "", "exhausted_search": False,
          "matches_expected": True, "detected": verdict != "pass", "counts_for_detection": flaw != "none"}
         for flaw, verdict in (("none", "pass"), ("check_then_act", "duplicate_compute"))]

failures = []


def report(work, **files):
    args = [sys.executable, MAKE_REPORT, "--out", os.path.join(work, "report")]
    for name, path in files.items():
        args += [f"--{name}", path]
    return subprocess.run(args, capture_output=True, text=True, timeout=60)


def expect_error(work, label, text, name="models", mentions=""):
    """Writes `text` as the `name` input; make_report must exit 2 with one line naming it."""
    path = os.path.join(work, f"{label}.json")
    with open(path, "w") as f:
        f.write(text)
    files = {"models": os.path.join(work, "good.json")}
    files[name] = path
    run = report(work, **files)
    lines = run.stderr.strip().splitlines()
    ok = (run.returncode == 2 and len(lines) == 1 and lines[0].startswith(f"make_report: {path}: ")
          and mentions in lines[0] and "Traceback" not in run.stderr)
    print(f"{'ok  ' if ok else 'FAIL'} {label}: exit {run.returncode}: {run.stderr.strip()}")
    if not ok:
        failures.append(label)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--work", required=True)
    work = p.parse_args().work
    if os.path.exists(work):
        shutil.rmtree(work)
    os.makedirs(work)
    good = json.dumps(CELLS, indent=1)
    with open(os.path.join(work, "good.json"), "w") as f:
        f.write(good)

    expect_error(work, "truncated", good[: len(good) // 2], mentions="not valid JSON")
    no_verdict = [dict(CELLS[0]), CELLS[1]]
    del no_verdict[0]["verdict"]
    expect_error(work, "missing-field", json.dumps(no_verdict), mentions="missing field 'verdict'")
    expect_error(work, "unknown-verdict", json.dumps([dict(CELLS[0], verdict="maybe")]), mentions="'maybe'")
    expect_error(work, "not-an-array", json.dumps({"cells": CELLS}), mentions="array")
    older = [{k: v for k, v in c.items() if k != "matches_expected"} for c in CELLS]
    expect_error(work, "older-oncecheck", json.dumps(older), mentions="written by an older oncecheck")
    expect_error(work, "stress-truncated", good[:40], name="stress", mentions="not valid JSON")
    expect_error(work, "bench-no-name", json.dumps({"benchmarks": [{"real_time": 1}]}), name="bench",
                 mentions="missing field 'name'")
    expect_error(work, "designs-no-traits", json.dumps({"designs": [{"design": "condvar"}]}), name="designs",
                 mentions="'traits'")

    # Only models.json: every other section says which command to run.
    run = report(work, models=os.path.join(work, "good.json"), stress=os.path.join(work, "absent.json"),
                 bench=os.path.join(work, "absent.json"), designs=os.path.join(work, "absent.json"))
    md = open(os.path.join(work, "report", "report.md")).read() if run.returncode == 0 else ""
    ok = all(f"not run: make {c}" in md for c in ("stress", "bench", "check-models"))
    print(f"{'ok  ' if ok else 'FAIL'} optional inputs missing: exit {run.returncode} {run.stderr.strip()}")
    if not ok:
        failures.append("optional inputs missing")
    if failures:
        print("report_bad_input: FAIL: " + ", ".join(failures), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
