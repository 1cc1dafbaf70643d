#!/usr/bin/python3
"""CTest model_verdicts_unchanged: a quick model matrix (models-quick.json,
written by the model_matrix_quick test) gives the same cells, the same
verdicts and at least the same JSON fields as the run recorded in
tests/model_verdicts_before.tsv (the runner before its core was shared,
commit 3ceda19, `oncecheck-model --check-all --budget quick`).

One allowance, and only one: a cell whose expected verdicts include `pass`
beside a failure (the `full` detection runs, `<verdict>|pass`) may pass in
one run and fail in the other, since a search cut short by its time budget
on a loaded machine is a pass by design. Every other difference fails.
(Cells of a scenario added after the recording, random_programs, are new,
not different: the expected matrix checks them.)

    compare_verdicts.py tests/model_verdicts_before.tsv build/release/results/models-quick.json
    compare_verdicts.py --record models.json > tests/model_verdicts_before.tsv
"""

import json
import sys


def key(c):
    return (c["design"], c["flaw"], c["scenario"], c["scheduler"])


def record(path):
    cells = json.load(open(path))
    fields = sorted(set().union(*(c.keys() for c in cells)))
    print("# fields: " + " ".join(fields))
    print("# design flaw scenario scheduler verdict expected")
    for c in cells:
        print(" ".join(key(c) + (c["verdict"], c["expected"] or "-")))


def load_before(path):
    fields, rows = [], {}
    for line in open(path):
        if line.startswith("# fields: "):
            fields = line.split()[2:]
        if line.startswith("#") or not line.strip():
            continue
        d, f, s, sched, verdict, expected = line.split()
        rows[(d, f, s, sched)] = (verdict, expected)
    return fields, rows


def compare(before_path, after_path):
    fields, before = load_before(before_path)
    after = {key(c): c for c in json.load(open(after_path))}
    problems = []
    for k in sorted(before.keys() - after.keys()):
        problems.append(f"{' '.join(k)}: missing from {after_path}")
    # A scenario added since the recording is the expected matrix's to check.
    recorded_scenarios = {k[2] for k in before}
    for k in sorted(after.keys() - before.keys()):
        if k[2] in recorded_scenarios:
            problems.append(f"{' '.join(k)}: a cell the recorded run did not have")
    for k in sorted(before.keys() & after.keys()):
        (was, expected), c = before[k], after[k]
        missing = [f for f in fields if f not in c]
        if missing:
            problems.append(f"{' '.join(k)}: lost fields {', '.join(missing)}")
        cut_short = "pass" in expected.split("|") and {was, c["verdict"]} - {"pass"} <= set(expected.split("|"))
        if c["verdict"] != was and not cut_short:
            problems.append(f"{' '.join(k)}: was {was}, now {c['verdict']} ({c.get('reason', '')})")
    for p in problems:
        print("DIFFERENT: " + p)
    print(f"{len(before)} recorded cells, {len(after)} now, {len(problems)} differences")
    return 1 if problems else 0


if __name__ == "__main__":
    if sys.argv[1] == "--record":
        record(sys.argv[2])
        sys.exit(0)
    sys.exit(compare(sys.argv[1], sys.argv[2]))
