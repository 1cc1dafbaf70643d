#!/usr/bin/python3
"""CTest programs_shrunk: what random_programs finds in a model matrix run,
and how small its shrunk counterexamples are.

  - at least 8 of the seeded flaws are found by random_programs alone (under
    some scheduler of the results file);
  - every failure it finds carries the failing program, and every flaw it
    finds is shrunk under some scheduler (the matrix shrinks under random,
    dpor and pct);
  - each shrunk program has at most the threads and the operations of a
    hand-written scenario that finds the same flaw (the catalogue's
    model_threads and model_operations; a scenario "finds" a flaw where
    models/expected.tsv expects a failure of it).

    programs_shrunk_test.py RESULTS.json RUNNER EXPECTED.tsv
"""

import json
import subprocess
import sys
import tempfile

REQUIRED_FLAWS = 8


def catalogue(runner):
    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        subprocess.run([runner, "--catalogue-json", f.name], check=True, capture_output=True)
        doc = json.load(open(f.name))
    flaws = [(d["design"], fl["flaw"]) for d in doc["designs"] for fl in d["flaws"]]
    sizes = {s["scenario"]: (s["model_threads"], s["model_operations"]) for s in doc["scenarios"]}
    return flaws, sizes


def finding_scenarios(path, design, flaw):
    """The hand-written scenarios whose expected model verdict is a failure."""
    out = []
    for line in open(path):
        fields = line.split("#")[0].split()
        if len(fields) < 5 or (fields[0], fields[1]) != (design, flaw) or fields[2] == "random_programs":
            continue
        first = fields[3].split(",")[0].split("|")[0]
        if first != "pass":
            out.append(fields[2])
    return out


def main(results_path, runner, expected_path):
    flaws, sizes = catalogue(runner)
    cells = [c for c in json.load(open(results_path)) if c["scenario"] == "random_programs"]
    problems, found, shrunk_flaws = [], set(), set()
    for c in cells:
        if c["flaw"] == "none" or c["verdict"] == "pass":
            continue
        name = f"{c['design']}/{c['flaw']} [{c['scheduler']}]"
        found.add((c["design"], c["flaw"]))
        if "program" not in c:
            problems.append(f"{name}: {c['verdict']} without its program")
            continue
        if "shrunk" not in c:  # the matrix shrinks under some schedulers only
            continue
        shrunk_flaws.add((c["design"], c["flaw"]))
        p, s = c["program"], c["shrunk"]["program"]
        bounds = [(sc, *sizes[sc]) for sc in finding_scenarios(expected_path, c["design"], c["flaw"])]
        fits = [b for b in bounds if s["threads"] <= b[1] and s["steps"] <= b[2]]
        verdict = "ok" if fits else "TOO BIG"
        against = (f"{fits[0][0]}: {fits[0][1]} threads, {fits[0][2]} operations" if fits else
                   "; ".join(f"{b[0]}: {b[1]} threads, {b[2]} operations" for b in bounds) or "no scenario")
        print(f"{name:55} {c['verdict']:17} program {p['threads']}t/{p['steps']}s -> shrunk "
              f"{s['threads']}t/{s['steps']}s/{s['keys']}k in {c['shrunk']['runs']} runs; {verdict} ({against})")
        if not fits:
            problems.append(f"{name}: shrunk to {s['threads']} threads, {s['steps']} steps, more than {against}")
    missed = [f"{d}/{f}" for d, f in flaws if (d, f) not in found]
    print(f"random_programs found {len(found)} of {len(flaws)} seeded flaws"
          + (f"; not found: {', '.join(missed)}" if missed else ""))
    for d, f in sorted(found - shrunk_flaws):
        problems.append(f"{d}/{f}: found, but no scheduler shrank it")
    if len(found) < REQUIRED_FLAWS:
        problems.append(f"only {len(found)} flaws found, at least {REQUIRED_FLAWS} required")
    for p in problems:
        print("PROBLEM: " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
