#!/usr/bin/python3
"""CTest report_bad_input: a broken input file is one line naming the file and
exit code 2, never a traceback; a missing optional file is a note, not an
error; an odd but valid file (a new scheduler, a benchmark the report does not
read) still gives a report.

    test_bad_input.py --work DIR
"""

import copy
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
MAKE_REPORT = os.path.join(os.path.dirname(HERE), "make_report.py")
sys.path.insert(0, HERE)

import synthetic  # noqa: E402
import workdir  # noqa: E402

# Cells in the shape of docs/results.md: enough for a whole report, with two
# correct designs so that the summary ranks them (a geometric mean).
CELLS = [{"design": design, "flaw": flaw, "scenario": "coalesce", "mode": "model", "scheduler": "random",
          "threads": 3, "expected": verdict, "verdict": verdict, "reason": "test cell", "iterations": 10,
          "elapsed_ms": 1.0, "first_failure_iteration": None if verdict == "pass" else 4,
          "replay": None if verdict == "pass" else "true", "trace": "", "exhausted_search": False,
          "matches_expected": True, "detected": verdict != "pass", "counts_for_detection": flaw != "none"}
         for design, flaw, verdict in (("condvar", "none", "pass"), ("condvar", "check_then_act", "duplicate_compute"),
                                       ("notify", "none", "pass"))]

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


def missing_charts(out):
    """The charts/*.svg report.md links that are not in out/charts."""
    with open(os.path.join(out, "report.md"), encoding="utf-8") as f:
        links = re.findall(r"\]\((charts/[^)]+\.svg)\)", f.read())
    return [link for link in links if not os.path.exists(os.path.join(out, link))]


def expect_report(work, label, **docs):
    """Writes each of docs {name: document} as that input (models: the good
    one unless given); make_report must write a report and say nothing else."""
    files = {"models": os.path.join(work, "good.json")}
    for name, doc in docs.items():
        files[name] = os.path.join(work, f"{label}-{name}.json")
        with open(files[name], "w") as f:
            json.dump(doc, f)
    run = report(work, **files)
    md = os.path.join(work, "report", "report.md")
    ok = run.returncode == 0 and not run.stderr and os.path.exists(md)
    missing = [] if not ok else missing_charts(os.path.join(work, "report"))
    ok = ok and not missing
    print(f"{'ok  ' if ok else 'FAIL'} {label}: exit {run.returncode}: {run.stderr.strip()[-600:]}"
          + (f" report.md links charts that were not written: {missing}" if missing else ""))
    if not ok:
        failures.append(label)


def mutated(doc, change):
    """A deep copy of doc with change(copy) applied."""
    doc = copy.deepcopy(doc)
    change(doc)
    return doc


def renamed(entry, name):
    entry.update(name=name, run_name=name)


def issue17_cases(work):
    """The ten inputs issue 17 found ending in a traceback and exit 1: each
    must be one line naming the file, the field and the value, exit 2."""
    bench = synthetic.bench_json(synthetic.DESIGNS)
    designs = synthetic.designs_json(synthetic.DESIGNS, {"condvar": ["check_then_act"]})
    bench_cases = [
        ("run-name-number", lambda b: b["benchmarks"][0].update(run_name=5), "field 'run_name'"),
        ("run-name-array", lambda b: b["benchmarks"][0].update(run_name=["x"]), "field 'run_name'"),
        ("threads-superscript", lambda b: renamed(b["benchmarks"][4], "hit/condvar/threads:\u00b2/real_time"),
         "'threads'"),
        ("threads-word", lambda b: renamed(b["benchmarks"][4], "hit/condvar/threads:abc/real_time"), "'abc'"),
        ("keys-exponent", lambda b: renamed(b["benchmarks"][4], "distinct_miss/condvar/threads:2/keys:1e7"), "'keys'"),
        ("cache-size-text", lambda b: b["context"].update(caches=[{"level": 1, "type": "Data", "size": "32K"}]),
         "'size'"),
        ("floor-ratio-negative",
         lambda b: [e.update(floor_ratio=-1.5) for e in b["benchmarks"] if "floor_ratio" in e], "-1.5"),
        ("memory-waiters-word",
         lambda b: b["benchmarks"].append({"name": "memory/condvar/waiters:x", "allocs_per_waiter": 1.0}),
         "'waiters'"),
    ]
    for label, change, mentions in bench_cases:
        expect_error(work, label, json.dumps(mutated(bench, change)), name="bench", mentions=mentions)
    expect_error(work, "scheduler-empty", json.dumps([dict(CELLS[0], scheduler="")] + CELLS[1:]),
                 mentions="field 'scheduler'")
    expect_error(work, "designs-flaws-number", json.dumps(mutated(designs, lambda d: d["designs"][0].update(flaws=5))),
                 name="designs", mentions="field 'flaws'")
    expect_error(work, "designs-scenarios-number", json.dumps(dict(designs, scenarios=5)), name="designs",
                 mentions="field 'scenarios'")


def json_edge_cases(work):
    """Valid JSON that json.load or the page writer could not take: each is
    one line too."""
    expect_error(work, "nested-too-deeply", "[" * 100000 + "]" * 100000, mentions="nested too deeply")
    expect_error(work, "integer-of-5000-digits", json.dumps([dict(CELLS[0], iterations=0)]).replace(
        '"iterations": 0', '"iterations": ' + "9" * 5000), mentions="4300 digits")
    designs = synthetic.designs_json(["condvar"], {"condvar": ["check_then_act"]})
    designs["designs"][0]["flaws"][0]["bug"] = "\ud800"  # json.dump writes it as the escape \ud800
    expect_error(work, "lone-surrogate", json.dumps(designs), name="designs", mentions="surrogate")


def explorer_field_cases(work):
    """The explorer's fields (docs/results.md) the proof-or-sample table
    reads: a malformed one is one line; odd but valid ones give a report."""
    dpor = dict(CELLS[0], scheduler="dpor", executions=310, exhausted_search=False, preemption_bound=None,
                estimated_fraction=0.25)
    for label, field_name, value in (("executions-word", "executions", "many"),
                                     ("executions-negative", "executions", -3),
                                     ("preemption-bound-negative", "preemption_bound", -1),
                                     ("preemption-bound-fraction", "preemption_bound", 2.5),
                                     ("estimated-fraction-nan", "estimated_fraction", float("nan")),
                                     ("estimated-fraction-text", "estimated_fraction", "11%"),
                                     ("exhausted-search-word", "exhausted_search", "yes")):
        expect_error(work, label, json.dumps(CELLS + [dict(dpor, **{field_name: value})]),
                     mentions=f"field '{field_name}'")
    expect_report(work, "explorer-fields-odd-but-valid", models=CELLS + [
        dict(dpor, estimated_fraction=7.5),                         # Knuth's estimate overshooting
        dict(dpor, scenario="s2", executions=1e300),                # a float count, far too many
        dict(dpor, scenario="s3", exhausted_search=True, preemption_bound=0, estimated_fraction=None),
        {k: v for k, v in dict(dpor, scenario="s4").items() if k != "executions"},  # iterations stand in
        dict(dpor, scheduler="pct", exhausted_search=True, estimated_fraction=0.0),  # not a tree search
        dict(dpor, scheduler="bound", flaw="check_then_act", verdict="deadlock", detected=True,
             first_failure_iteration=10**30, expected="pass", matches_expected=False)])


def odd_but_valid_cases(work):
    """Inputs a reader might take for broken that are not: they give a report."""
    new_fields = [dict(c, scheduler=sched, detected=c["verdict"] != "pass", matches_expected=True, executions=12,
                       preemption_bound=bound, estimated_fraction=fraction)
                  for c in CELLS for sched, bound, fraction in (("dpor", None, None), ("pct", 2, 0.25))]
    new_fields.append(dict(CELLS[1], flaw="lost_cas", verdict="not_linearizable", expected="not_linearizable"))
    expect_report(work, "new-schedulers-and-fields", models=CELLS + new_fields)
    # `$^$` is not valid mathtext: drawn as a label, matplotlib would raise;
    # a NUL and an emoji have no glyph in the font: it would warn on stderr
    expect_report(work, "names-with-dollars-slashes-nul-emoji",
                  models=[dict(c, design="a$^$b", scenario="x/ y") for c in CELLS]
                  + [dict(c, design="nul\u0000 \U0001F600") for c in CELLS])
    bench = synthetic.bench_json(synthetic.DESIGNS)
    bench["context"]["load_avg"] = [0.5, 0.25]
    bench["context"]["caches"] = [{"type": "Unified", "level": 2, "size": 1048576, "num_sharing": 2}]
    bench["benchmarks"] += [
        # not a workload of docs/results.md: not read, so its params are nobody's business
        {"name": "BM_other/threads:abc", "run_name": "BM_other/threads:abc", "real_time": -1},
        # stddev is not read: a zero floor_ratio there is a fine stddev
        dict(bench["benchmarks"][4], run_type="aggregate", aggregate_name="stddev", floor_ratio=0.0),
        {"name": "hit/condvar/threads:16", "error_occurred": True, "error_message": "no 16 cores"},
    ]
    # counters the report does not read are not its business, even too large for a float
    bench["benchmarks"][5]["iterations"] = 10**400
    expect_report(work, "bench-odd-entries", bench=bench)


def main():
    work = workdir.work_dir()
    good = json.dumps(CELLS, indent=1)
    with open(os.path.join(work, "good.json"), "w") as f:
        f.write(good)

    expect_error(work, "truncated", good[: len(good) // 2], mentions="not valid JSON")
    no_verdict = [dict(CELLS[0]), CELLS[1]]
    del no_verdict[0]["verdict"]
    expect_error(work, "missing-field", json.dumps(no_verdict), mentions="missing field 'verdict'")
    expect_error(work, "unknown-verdict", json.dumps([dict(CELLS[0], verdict="maybe")]), mentions='"maybe"')
    expect_error(work, "not-an-array", json.dumps({"cells": CELLS}), mentions="array")
    older = [{k: v for k, v in c.items() if k != "matches_expected"} for c in CELLS]
    expect_error(work, "older-oncecheck", json.dumps(older), mentions="written by an older oncecheck")
    expect_error(work, "detected-at-no-iteration",
                 json.dumps([CELLS[0], dict(CELLS[1], first_failure_iteration=None)]),
                 mentions="'first_failure_iteration' is null")
    expect_error(work, "stress-truncated", good[:40], name="stress", mentions="not valid JSON")
    expect_error(work, "bench-no-name", json.dumps({"benchmarks": [{"real_time": 1}]}), name="bench",
                 mentions="missing field 'name'")
    expect_error(work, "designs-no-traits", json.dumps({"designs": [{"design": "condvar"}]}), name="designs",
                 mentions="'traits'")

    issue17_cases(work)
    json_edge_cases(work)
    explorer_field_cases(work)
    odd_but_valid_cases(work)

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
