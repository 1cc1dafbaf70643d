#!/usr/bin/python3
"""make report: turns build/results (models.json, stress.json, bench.json,
designs.json, shards.json) into build/report/index.html, report.md and charts/*.svg.

Run with Debian's /usr/bin/python3 (it sees python3-matplotlib). models.json
is required; the other inputs are optional and their sections say which
command produces them. A missing or malformed input is one line on stderr,
`make_report: <file>: <what is wrong>`, and exit code 2.
"""

import argparse
import math
import os
import sys

from oncereport import inputs
from oncereport.inputs import InputError

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class OneLineParser(argparse.ArgumentParser):
    """A bad argument is one line and exit 2, like a bad input file (argparse
    would print its usage block first)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: {message} (--help lists the options)\n")


def threshold(text):
    """--threshold: a finite percentage >= 0 (nan would flag nothing, silently)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"should be a percentage >= 0, not '{text}'")
    return value


def parse_args(argv):
    p = OneLineParser(prog="make_report", description=__doc__.split("\n\n")[0])
    p.add_argument("--results", default="build/results", help="directory of the result files (default %(default)s)")
    p.add_argument("--out", default="build/report", help="where the report goes (default %(default)s)")
    p.add_argument("--baseline", help="an earlier run's results directory: show deltas and regressions")
    for name in ("models", "stress", "bench", "designs", "shards"):
        p.add_argument(f"--{name}", metavar="FILE", help=f"{name}.json to read instead of the one in --results")
    p.add_argument("--build-dir", default=os.path.join(REPO, "build", "release"),
                   help="build whose CMakeCache.txt gives the flags (default build/release)")
    p.add_argument("--threshold", type=threshold, default=10.0,
                   help="percent worse than the baseline that counts as a regression (default %(default)s)")
    return p.parse_args(argv)


def build_report(args):
    """(title, subtitle, banner, sections) from the inputs args names."""
    # Imported here so that `--help` and input errors never wait for matplotlib.
    from oncereport import (baseline, benchmarks, capabilities, coverage, detection, environment, latency,
                            matrix, summary)
    from oncereport import verdicts as V
    from oncereport.doc import Note

    paths = inputs.results_paths(args.results)
    paths.update({name: getattr(args, name) for name in paths if getattr(args, name)})
    results = inputs.load_results(paths)
    old = inputs.load_baseline(args.baseline) if args.baseline else None

    sections = [summary.summary_section(results)]
    regressions = 0
    if old is not None:
        section, regressions = baseline.baseline_section(results, old, args.baseline, args.threshold)
        sections.append(section)
    sections += [matrix.matrix_section(results), capabilities.capabilities_section(results),
                 detection.detection_section(results), coverage.coverage_section(results),
                 benchmarks.benchmarks_section(results),
                 latency.latency_section(results),
                 environment.environment_section(results, REPO, args.build_dir, old),
                 matrix.counterexamples_section(results)]

    unexpected = [c for c in list(results.models) + list(results.stress or []) if not V.matches(c)]
    alarms = []
    if unexpected:
        alarms.append(f"{len(unexpected)} " + ("runs differ" if len(unexpected) > 1 else "run differs")
                      + " from the expected matrix")
    if regressions:
        alarms.append(f"{regressions} regression{'s' if regressions > 1 else ''} against the baseline")
    banner = Note("; ".join(alarms) + ": see below.", "bad") if alarms else None
    subtitle = ("Which once-map design to use, and what goes wrong with the others: "
                f"{len(results.models)} model runs, {len(results.stress or [])} stress runs"
                + (", benchmarks" if results.bench is not None else ", no benchmarks") + ".")
    return "oncecheck report", subtitle, banner, sections


def charts_of(blocks):
    """Every Chart among blocks, also those side by side in a Row (the benchmark charts)."""
    from oncereport.doc import Chart, Row

    for b in blocks:
        if isinstance(b, Chart):
            yield b
        elif isinstance(b, Row):
            yield from charts_of(b.blocks)


def write_report(out, title, subtitle, banner, sections):
    from oncereport import render_html, render_md

    charts_dir = os.path.join(out, "charts")
    os.makedirs(charts_dir, exist_ok=True)
    for stale in os.listdir(charts_dir):  # a chart of an earlier run must not linger
        if stale.endswith(".svg"):
            os.remove(os.path.join(charts_dir, stale))
    for chart in (c for s in sections for c in charts_of(s.blocks)):
        with open(os.path.join(charts_dir, chart.name + ".svg"), "w", encoding="utf-8") as f:
            f.write(chart.svg)
    with open(os.path.join(out, "index.html"), "w", encoding="utf-8") as f:
        f.write(render_html.page(title, subtitle, banner, sections))
    with open(os.path.join(out, "report.md"), "w", encoding="utf-8") as f:
        f.write(render_md.document(title, subtitle, banner, sections))


def main(argv=None):
    args = parse_args(argv)
    try:
        report = build_report(args)
    except InputError as e:
        print(f"make_report: {e}", file=sys.stderr)
        return 2
    try:
        write_report(args.out, *report)
    except OSError as e:
        print(f"make_report: {args.out}: cannot write the report: {e.strerror}", file=sys.stderr)
        return 1
    print(f"report: {os.path.join(args.out, 'index.html')} and report.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
