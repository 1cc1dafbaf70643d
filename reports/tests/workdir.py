"""The `--work DIR` argument every report test takes: a directory for its
inputs and reports, emptied at the start so a file of an earlier run can
never stand in for one this run failed to write."""

import argparse
import json
import os
import shutil
import subprocess
import sys

MAKE_REPORT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "make_report.py")


def work_dir():
    p = argparse.ArgumentParser()
    p.add_argument("--work", required=True)
    work = p.parse_args().work
    if os.path.exists(work):
        shutil.rmtree(work)
    os.makedirs(work)
    return work


def report_md(work, docs, absent, test):
    """Writes docs ({name: JSON document}) into work, runs make_report on them
    with the inputs named in `absent` missing, and returns its report.md;
    exits with `test`'s FAIL line when make_report fails or says anything."""
    args = [sys.executable, MAKE_REPORT, "--out", os.path.join(work, "report")]
    for name in absent:
        args += [f"--{name}", os.path.join(work, "absent.json")]
    for name, doc in docs.items():
        with open(os.path.join(work, f"{name}.json"), "w") as f:
            json.dump(doc, f, indent=1)
        args += [f"--{name}", os.path.join(work, f"{name}.json")]
    run = subprocess.run(args, capture_output=True, text=True, timeout=120)
    if run.returncode != 0 or run.stderr:
        sys.exit(f"{test}: FAIL: make_report exited {run.returncode}: {run.stderr.strip()}")
    with open(os.path.join(work, "report", "report.md"), encoding="utf-8") as f:
        return f.read()
