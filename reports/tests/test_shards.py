#!/usr/bin/python3
"""CTest report_shards: the environment section's "Sharding on this machine"
(issue 13) from a synthetic shards.json: the figures with their targets, met
and missed; the matrix not run; without the file, the command that writes
it; a malformed file is one line naming it and exit 2.

    test_shards.py --work DIR
"""

import copy
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
MAKE_REPORT = os.path.join(os.path.dirname(HERE), "make_report.py")
sys.path.insert(0, HERE)

import synthetic  # noqa: E402
import workdir  # noqa: E402

failures = []


def run_report(work, label, shards):
    """make_report on the synthetic models and `shards` (a document, raw
    text, or None for no file): (run, report.md text, index.html text, path)."""
    models = os.path.join(work, "models.json")
    path = os.path.join(work, f"{label}-shards.json")
    if shards is not None:
        with open(path, "w", encoding="utf-8") as f:
            f.write(shards if isinstance(shards, str) else json.dumps(shards))
    out = os.path.join(work, label)
    run = subprocess.run([sys.executable, MAKE_REPORT, "--models", models, "--shards", path, "--out", out,
                          "--build-dir", os.path.join(work, "no-build")],
                         capture_output=True, text=True, timeout=120)
    pages = []
    for name in ("report.md", "index.html"):
        page = os.path.join(out, name)
        pages.append(open(page, encoding="utf-8").read() if run.returncode == 0 and os.path.exists(page) else "")
    return run, pages[0], pages[1], path


def check(label, ok, detail):
    print(f"{'ok  ' if ok else 'FAIL'} {label}{'' if ok else ': ' + detail}")
    if not ok:
        failures.append(label)


def environment_of(md):
    """report.md's environment section: the figures must be there, not elsewhere."""
    start = md.find("## Environment")
    end = md.find("\n## ", start + 1)
    return md[start:end if end >= 0 else None] if start >= 0 else ""


def expect_shown(work, label, shards, wanted, unwanted=()):
    run, md, html, _ = run_report(work, label, shards)
    env = environment_of(md)
    missing = [w for w in wanted if w not in env]
    present = [u for u in unwanted if u in env]
    check(label, run.returncode == 0 and not run.stderr and not missing and not present
          and "Sharding on this machine" in html,
          f"exit {run.returncode} {run.stderr.strip()[-400:]}; not in the environment section: {missing}; "
          f"there but should not be: {present}")


def expect_error(work, label, shards, mentions):
    run, _, _, path = run_report(work, label, shards)
    lines = run.stderr.strip().splitlines()
    check(label, run.returncode == 2 and len(lines) == 1 and lines[0].startswith(f"make_report: {path}: ")
          and mentions in lines[0] and "Traceback" not in run.stderr,
          f"exit {run.returncode}: {run.stderr.strip()[-400:]}")


def mutated(doc, change):
    doc = copy.deepcopy(doc)
    change(doc)
    return doc


def main():
    work = workdir.work_dir()
    with open(os.path.join(work, "models.json"), "w", encoding="utf-8") as f:
        json.dump(synthetic.results_set()["models"], f)
    good = synthetic.shards_json()

    # synthetic.shards_json: 1.85x on 2 cores, largest shard at most 1.21x
    expect_shown(work, "shown", good,
                 ["Sharding on this machine", "370.0 s / 200.0 s = 1.85x", ">= 1.8x on 2 cores",
                  "| 8 shards | 68.0 | 486,816 | 1.35 | 1.21 | met |", "<= 1.5x of the mean", "oncecheck-explore"],
                 unwanted=["missed", "not run"])

    def slow_and_skewed(d):
        d["matrix"].update(jobs2_wall_s=300.0, speedup=370.0 / 300.0)
        d["rows"][3]["executions_max_over_mean"] = 2.5
    expect_shown(work, "targets-missed", mutated(good, slow_and_skewed),
                 ["= 1.23x | >= 1.8x on 2 cores | ⚠️ missed", "| 2.50 | ⚠️ missed |"])
    expect_shown(work, "four-cores", mutated(good, lambda d: d.update(nproc=4)), ["not comparable: nproc 4"])
    expect_shown(work, "matrix-failed", mutated(good, lambda d: d["matrix"].update(jobs2_exit=1)),
                 ["JOBS=2 exited 1"])
    expect_shown(work, "executions-differ", mutated(good, lambda d: d["rows"][2].update(executions=5)),
                 ["| 4 shards | 64.0 | ⚠️ 5 |"])
    expect_shown(work, "matrix-not-run", dict(good, matrix=None),
                 ["| 8 shards |", "not run (make bench-shards runs it"], unwanted=["1.85x"])
    expect_shown(work, "no-file", None,
                 ["Sharding on this machine: not run: make bench-shards writes shards.json"], unwanted=["| 1 shard |"])

    expect_error(work, "truncated", json.dumps(good)[:50], "not valid JSON")
    expect_error(work, "not-an-object", json.dumps([good]), "should be an object")
    expect_error(work, "no-rows", json.dumps({k: v for k, v in good.items() if k != "rows"}),
                 "missing field 'rows'")
    expect_error(work, "empty-rows", json.dumps(dict(good, rows=[])), "holds no rows")
    expect_error(work, "zero-shards", json.dumps(mutated(good, lambda d: d["rows"][0].update(shards=0))),
                 "rows[0]: field 'shards' should be a whole number >= 1")
    expect_error(work, "wall-word", json.dumps(mutated(good, lambda d: d["rows"][1].update(wall_s="slow"))),
                 "rows[1]: field 'wall_s'")
    expect_error(work, "balance-negative",
                 json.dumps(mutated(good, lambda d: d["rows"][2].update(executions_max_over_mean=-1))),
                 "field 'executions_max_over_mean'")
    expect_error(work, "speedup-nan", json.dumps(mutated(good, lambda d: d["matrix"].update(speedup=float("nan")))),
                 "matrix: field 'speedup'")
    expect_error(work, "matrix-no-exit", json.dumps(mutated(good, lambda d: d["matrix"].pop("jobs1_exit"))),
                 "matrix: missing field 'jobs1_exit'")
    expect_error(work, "matrix-number", json.dumps(dict(good, matrix=3)), "field 'matrix'")
    expect_error(work, "nproc-text", json.dumps(dict(good, nproc="2")), "field 'nproc'")

    if failures:
        print("report_shards: FAIL: " + ", ".join(failures), file=sys.stderr)
        sys.exit(1)
    print("report_shards: ok")


if __name__ == "__main__":
    main()
