"""Which design for which load: sentences computed from the inputs.

Only designs whose every run (model and stress) gives the expected verdict
are advised; the others are named with the run that excluded them. Nothing
here is written by hand: each line is a ranking of figures from the files.
"""

import math

from . import bench as B
from . import benchmarks
from . import capabilities
from . import coverage
from . import latency
from . import targets
from . import verdicts as V
from .doc import Bullets, Cell, Note, Section, Table


def trusted_designs(results):
    """(designs whose correct version matches everywhere, {design: its mismatching runs})."""
    cells = list(results.models) + list(results.stress or [])
    designs = V.ordered_unique(c["design"] for c in cells if c["flaw"] == "none")
    excluded = {d: [c for c in cells if c["design"] == d and c["flaw"] == "none" and not V.matches(c)]
                for d in designs}
    excluded = {d: bad for d, bad in excluded.items() if bad}
    return [d for d in designs if d not in excluded], excluded


def _run(c):
    return f"{c['scenario']} [{c['scheduler']}] gave {c['verdict']}, expected {c['expected']}"


def correctness_lines(results, trusted, excluded):
    lines = []
    if trusted:
        lines.append("Correct designs (every run gives the expected verdict): " + ", ".join(trusted) + ".")
    for d, bad in excluded.items():
        lines.append(f"Not advised: {d}, {_run(bad[0])}" + (f" (and {len(bad) - 1} more)" if len(bad) > 1 else "")
                     + ".")
    flaws = V.ordered_unique(V.row_key(c) for c in results.models if c["flaw"] != "none")
    missed = [f for f in flaws if any(V.counts_for_detection(c) and not V.matches(c) for c in results.models
                                      if V.row_key(c) == f)]
    if flaws:
        lines.append(f"The model checker catches {len(flaws) - len(missed)} of {len(flaws)} flaws where the "
                     "expected matrix says it must" + (": missed " + ", ".join(V.row_name(*f) for f in missed)
                                                       if missed else "") + ".")
    proofs = coverage.proof_line(results)
    if proofs:
        lines.append(proofs)
    return lines


def _geomean(values):
    return math.exp(sum(math.log(v) for v in values) / len(values))


def speed_lines(results, trusted):
    if results.bench is None:
        return ["Speed: not run: make bench writes bench.json."]
    lines = []
    for view in benchmarks.views(B.records(results.bench)):
        better = min if view.workload.lower_is_better or view.is_ratio else max
        figures = {d: {x: view.value(r) for x, r in pts.items() if view.value(r)}
                   for d, pts in view.designs.items() if d in trusted}
        figures = {d: f for d, f in figures.items() if f}
        if not figures:
            continue
        unit = "× floor" if view.is_ratio else " " + view.workload.unit
        winners = []
        for x in view.xs():
            at_x = {d: f[x] for d, f in figures.items() if x in f}
            if at_x:
                best = better(at_x, key=at_x.get)
                winners.append((x, best, at_x[best]))
        names = {w for _, w, _ in winners}
        if len(names) == 1:
            (name,) = names
            detail = ", ".join(f"{v:.2f}{unit} at {view.workload.x} {x}" for x, _, v in winners)
            text = f"{view.title}: {name} at every {view.workload.x} count ({detail})"
        else:
            text = f"{view.title}: " + "; ".join(f"{view.workload.x} {x}: {w} ({v:.2f}{unit})"
                                                 for x, w, v in winners)
        complete = {d: f for d, f in figures.items() if len(f) == len(winners)}
        if len(complete) > 1:
            overall = better(complete, key=lambda d: _geomean(list(complete[d].values())))
            text += f"; best across all counts (geometric mean): {overall}"
        lines.append(text + ".")
    return lines or ["Speed: bench.json has no figures for the correct designs."]


def target_table(results, trusted):
    """Issue 14's targets: per workload, the winner among the correct designs
    and whether it meets the target, from this run's bench.json."""
    if results.bench is None:
        return None
    rows = []
    for j in targets.judge_all(B.records(results.bench), trusted):
        mark = Cell("not measured", "missing") if j.met is None else \
            Cell("met", "good") if j.met else Cell("not met", "bad")
        rows.append([j.workload, j.target, Cell(j.best or "–", "design" if j.best else "absent"), j.figures, mark])
    repeated = B.repetitions(results.bench)
    caption = "Targets: the best correct design per workload, over the floors of the same run" + (
        f" (each figure the median of {repeated} repetitions, the floors' too)" if repeated > 1 else "")
    return Table(columns=["workload", "target (issue 14)", "best correct design", "its figures", "target"],
                 rows=rows, caption=caption)


def latency_lines(results, trusted):
    cells = [c for c in latency.latency_cells(results.stress) if c["design"] in trusted and c["flaw"] == "none"
             and c["scheduler"] == "plain"]
    lines = []
    for kind in V.ordered_unique(r["waiter"] for c in cells for r in c["latency"]):
        parts = []
        for yields, label in latency.YIELDS:
            rows = [(r["p99_us"], c["design"], c["scenario"]) for c in cells for r in c["latency"]
                    if r["waiter"] == kind and r["notifier_yields"] == yields and r["samples"] > 0]
            if rows:
                p99, design, scenario = min(rows)
                parts.append(f"{label}: {design} (p99 {p99:,.1f} µs, {scenario})")
        if parts:
            lines.append(f"Lowest wake latency for a {kind} waiter, " + "; ".join(parts) + ".")
    return lines


def _names(designs):
    return (", ".join(designs) or "none") + "."


def capability_lines(results, trusted):
    lines = []
    measured = capabilities.measured_allocs(results)
    zero = [d for d in trusted if measured.get(d) == 0]
    if measured:
        lines.append("No allocation per waiter (measured): " + _names(zero))
    if results.designs is not None:
        traits = {d["design"]: d["traits"] for d in results.designs["designs"]}
        known = [d for d in trusted if d in traits]
        lines.append("Async wait (C++20 tasks): " + _names(d for d in known if traits[d]["async_wait"]))
        lines.append("Timeouts: " + _names(d for d in known if traits[d]["timeouts"]))
        lines.append("Declares no allocation per waiter: "
                     + _names(d for d in known if not traits[d]["allocates_per_waiter"]))
    else:
        lines.append("Capabilities: not run: make check-models writes designs.json.")
    return lines


def summary_section(results):
    trusted, excluded = trusted_designs(results)
    section = Section("summary", "Which design for which load",
                      intro="Computed from the results below: only designs whose every run gives "
                            "the expected verdict are ranked.")
    section.blocks.append(Bullets(correctness_lines(results, trusted, excluded), "Correctness"))
    if not trusted:
        section.blocks.append(Note("no correct design passes every run: nothing to advise", "bad"))
        return section
    section.blocks.append(Bullets(speed_lines(results, trusted), "Fastest correct design per workload"))
    table = target_table(results, trusted)
    if table:
        section.blocks.append(table)
    lat = latency_lines(results, trusted)
    if lat:
        section.blocks.append(Bullets(lat, "Wake latency (stress, plain build)"))
    section.blocks.append(Bullets(capability_lines(results, trusted), "Capabilities"))
    return section
