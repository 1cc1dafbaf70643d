#!/usr/bin/python3
"""CTest junit (issue 15): --junit FILE writes the run's cells as JUnit XML.

Every run below writes --json and --junit together, and the XML is read back
with xml.etree and held to the common JUnit shape and to that JSON: the root
<testsuites> with one <testsuite>, both carrying tests/failures/errors/
skipped/time that add up; one <testcase> per JSON cell, in order, with
classname design/flaw, name scenario/scheduler and time elapsed_ms/1000;
a <failure> exactly where the cell is not what it was held to (the expected
matrix in a matrix run, --expect or pass in a single run), whose text holds
the cell's trace and its replay command.

    junit_test.py MODEL EXPLORE STRESS WORK_DIR   (run from the source root)
"""

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

MODEL, EXPLORE, STRESS, WORK = sys.argv[1:5]
os.makedirs(WORK, exist_ok=True)
problems = []


def run(name, binary, args, code, expect=None, matrix=False):
    out_json = os.path.join(WORK, name + ".json")
    out_xml = os.path.join(WORK, name + ".xml")
    for f in (out_json, out_xml):
        if os.path.exists(f):
            os.remove(f)
    held = ["--expect", expect] if expect else []
    p = subprocess.run([binary] + args + held + ["--json", out_json, "--junit", out_xml, "--quiet"],
                       capture_output=True, text=True, timeout=600)
    if p.returncode != code:
        problems.append(f"{name}: exit {p.returncode}, not {code}: {p.stderr.strip()[:300]}")
        return
    if os.path.exists(out_xml + ".partial"):
        problems.append(f"{name}: {out_xml}.partial left behind")
    cells = json.load(open(out_json))
    check(name, ET.parse(out_xml).getroot(), cells, expect, matrix)


def held_to(cell, expect, matrix):
    """'pass', 'fail' or 'skip': what the JUnit case must say of this JSON cell."""
    if cell["verdict"] in ("interrupted", "unfinished", "unsupported"):
        return "skip"
    if matrix:
        return "pass" if cell["matches_expected"] else "fail"
    return "pass" if cell["verdict"] == (expect or "pass") else "fail"


def check(name, root, cells, expect, matrix):
    def bad(why):
        problems.append(f"{name}: {why}")

    if root.tag != "testsuites":
        return bad(f"root is <{root.tag}>, not <testsuites>")
    suites = list(root)
    if len(suites) != 1 or suites[0].tag != "testsuite":
        return bad(f"<testsuites> holds {[s.tag for s in suites]}, not one <testsuite>")
    suite = suites[0]
    cases = list(suite)
    if any(c.tag != "testcase" for c in cases):
        bad(f"<testsuite> holds {sorted({c.tag for c in cases})}")
    if len(cases) != len(cells):
        return bad(f"{len(cases)} testcases for {len(cells)} JSON cells")
    want = [held_to(c, expect, matrix) for c in cells]
    counts = {"tests": len(cells), "failures": want.count("fail"), "errors": 0, "skipped": want.count("skip")}
    total = sum(c["elapsed_ms"] for c in cells) / 1000
    for element in (root, suite):
        for attr, value in counts.items():
            if element.get(attr) != str(value):
                bad(f"<{element.tag}> {attr}={element.get(attr)!r}, not {value}")
        if abs(float(element.get("time", "nan")) - total) > 0.002 * max(1, len(cells)):
            bad(f"<{element.tag}> time={element.get('time')}, not {total:.3f}")
    for case, cell, w in zip(cases, cells, want):
        label = f"{cell['design']}/{cell['flaw']} {cell['scenario']} [{cell['scheduler']}]"
        if case.get("classname") != f"{cell['design']}/{cell['flaw']}":
            bad(f"{label}: classname {case.get('classname')!r}")
        if case.get("name") != f"{cell['scenario']}/{cell['scheduler']}":
            bad(f"{label}: name {case.get('name')!r}")
        if abs(float(case.get("time", "nan")) - cell["elapsed_ms"] / 1000) > 0.001:
            bad(f"{label}: time {case.get('time')} for {cell['elapsed_ms']} ms")
        inner = [e.tag for e in case]
        if w == "pass" and inner:
            bad(f"{label}: a passing case holds {inner}")
        if w == "skip" and inner != ["skipped"]:
            bad(f"{label}: holds {inner}, not [skipped]")
        if w == "fail":
            if inner != ["failure"]:
                bad(f"{label}: holds {inner}, not [failure]")
                continue
            failure = case[0]
            text = failure.text or ""
            if failure.get("type") != cell["verdict"]:
                bad(f"{label}: failure type {failure.get('type')!r}, verdict {cell['verdict']}")
            if f"got {cell['verdict']}" not in failure.get("message", ""):
                bad(f"{label}: failure message {failure.get('message')!r}")
            if cell["replay"] and f"replay: {cell['replay']}" not in text:
                bad(f"{label}: the failure text lacks the replay command {cell['replay']!r}")
            if cell["trace"].strip() and cell["trace"].strip().splitlines()[0] not in text:
                bad(f"{label}: the failure text lacks the trace")
    print(f"{'ok ' if not any(p.startswith(name + ':') for p in problems) else 'BAD'} {name}: "
          f"{len(cells)} cells, {counts['failures']} failures, {counts['skipped']} skipped")


def expected_with(path, changed_row):
    """models/expected.tsv with one row's verdicts (model and stress) changed: a cell that differs."""
    design, flaw, scenario, verdict = changed_row
    lines = []
    for line in open("models/expected.tsv"):
        f = line.split()
        if len(f) >= 4 and f[:3] == [design, flaw, scenario]:
            f[3] = f[4] = verdict
            line = "  ".join(f) + "\n"
        lines.append(line)
    with open(path, "w") as out:
        out.writelines(lines)
    return path


cell = ["--design", "condvar", "--scenario", "coalesce"]
# Single runs: a pass, a failure with no --expect, the same failure held to --expect.
run("explore-single-pass", EXPLORE, cell + ["--flaw", "none", "--scheduler", "pct", "--iterations", "200"], 0)
run("explore-single-fail", EXPLORE, cell + ["--flaw", "check_then_act", "--scheduler", "dpor", "--time-limit", "20"], 1)
run("model-single-expected", MODEL, cell + ["--flaw", "check_then_act", "--iterations", "3000"], 0,
    expect="duplicate_compute")
# Matrix runs: every cell as expected, then one row made to differ.
matrix = ["--check-all", "--budget", "quick", "--schedulers", "random"] + cell
run("model-matrix", MODEL, matrix + ["--expected", "models/expected.tsv"], 0, matrix=True)
wrong = expected_with(os.path.join(WORK, "expected-wrong.tsv"), ("condvar", "none", "coalesce", "deadlock"))
run("model-matrix-differs", MODEL, matrix + ["--expected", wrong], 1, matrix=True)
run("stress-matrix", STRESS, ["--check-all", "--rounds", "50", "--threads", "4", "--timeout", "3",
                              "--expected", wrong] + cell, 1, matrix=True)

if problems:
    print("\n".join(["FAIL:"] + problems))
    sys.exit(1)
print("ok")
