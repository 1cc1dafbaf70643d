#!/usr/bin/python3
"""CTest flaw_truth: everything that says what a flaw is agrees with the
catalogue, so the flaw tag's comment ("Its truth: ...") points at places that
exist. For every flaw `oncecheck-stress --list` prints:

  - models/expected.tsv has its row for every scenario;
  - tests/pinned_replays.tsv pins at least one of its failing schedules;
  - README.md's "The designs" section names it;
  - its tag in impls/ carries the "Its truth" comment naming those rows.

    flaw_truth_test.py SOURCE_DIR RUNNER
"""

import glob
import re
import subprocess
import sys


def catalogue(runner):
    out = subprocess.run([runner, "--list"], capture_output=True, text=True, check=True).stdout
    flaws = re.findall(r"^  (\w+) --flaw (\w+): ", out, re.M)
    scenarios = re.findall(r"^  ([\w/]+): ", out.split("scenarios:")[1], re.M)
    return flaws, scenarios


def rows(path, columns):
    out = set()
    for line in open(path):
        fields = line.split("#")[0].split()
        if len(fields) >= columns:
            out.add(tuple(fields[:columns]))
    return out


def main(src, runner):
    flaws, scenarios = catalogue(runner)
    expected = rows(f"{src}/models/expected.tsv", 3)
    pinned = {r[:2] for r in rows(f"{src}/tests/pinned_replays.tsv", 2)}
    readme = open(f"{src}/README.md").read()
    designs_section = readme.split("## The designs", 1)[1].split("\n## ", 1)[0]
    headers = "".join(open(p).read() for p in glob.glob(f"{src}/impls/*.hpp"))
    problems = []
    for design, flaw in flaws:
        missing = [s for s in scenarios if (design, flaw, s) not in expected]
        if missing:
            problems.append(f"{design}/{flaw}: no models/expected.tsv row for {', '.join(missing)}")
        if (design, flaw) not in pinned:
            problems.append(f"{design}/{flaw}: no pinned replay in tests/pinned_replays.tsv")
        if f"`{flaw}`" not in designs_section:
            problems.append(f"{design}/{flaw}: not named in README's \"The designs\"")
        if f"// Its truth: models/expected.tsv rows `{design} {flaw}`" not in headers:
            problems.append(f"{design}/{flaw}: its tag's comment does not point at its rows")
    for p in problems:
        print("FLAW TRUTH: " + p)
    print(f"{len(flaws)} flaws, {len(scenarios)} scenarios, {len(problems)} problems")
    return 1 if problems or not flaws else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
