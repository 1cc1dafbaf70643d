"""Time to detection: how long each scheduler takes to find each flaw.

Rows are the flaw x scenario pairs whose model cells count for detection
(each cell's `counts_for_detection`, set by the runner: the flaw must show
there and the correct design passes there). Columns are the model schedulers
(Relacy's and the explorer's) and the stress builds; a figure is the
iteration (Relacy), execution (the explorer) or round (stress) of the first
failure and the milliseconds the run took to get there, or "not found in N".
"""

from . import charts
from . import engines
from . import verdicts as V
from .doc import Cell, Note, Section, Table


def detection_rows(results):
    """[(design, flaw, scenario)] and {(design, flaw, scenario, scheduler): cell}."""
    cells = list(results.models) + list(results.stress or [])
    rows = V.ordered_unique((c["design"], c["flaw"], c["scenario"]) for c in results.models
                            if V.counts_for_detection(c))
    by_key = {(c["design"], c["flaw"], c["scenario"], c["scheduler"]): c for c in cells}
    # Model schedulers first (a user's one too), then the stress builds.
    model_side = {c["scheduler"] for c in results.models}
    schedulers = sorted({c["scheduler"] for c in cells}, key=lambda s: (s not in model_side, V.scheduler_rank(s)))
    return rows, by_key, schedulers


def figure(c):
    if c is None:
        return Cell("–", "absent", "not run")
    if c["verdict"] == "unsupported":
        return Cell("unsupported", V.css("unsupported"), c.get("reason", ""))
    unit = ("exec" if engines.is_explorer(c) else "it") if c["mode"] == "model" else "round"
    if V.detected(c):
        return Cell(f"{unit} {c['first_failure_iteration']:,} · {c['elapsed_ms']:,.0f} ms", V.css(c["verdict"]),
                    c.get("reason", ""))
    if not V.counts_for_detection(c):
        # the expected matrix does not ask this run to show the flaw (a
        # weak-memory flaw under the sequentially consistent explorer)
        return Cell("not expected to show", "absent", f"expected {c['expected']}: {c.get('reason', '')}")
    return Cell(f"not found in {c['iterations']:,} {unit}", "missed",
                f"{c['elapsed_ms']:,.0f} ms" + (", search exhausted" if engines.ran_to_end(c) else ""))


def fastest(cells):
    """A flaw's figure for one scheduler: its quickest detection over the
    scenarios that must catch it, naming that scenario."""
    hits = [c for c in cells if V.detected(c)]
    if not hits:
        ran = [c for c in cells if c is not None]
        if ran and not any(V.counts_for_detection(c) for c in ran):
            return Cell("not expected to show", "absent",
                        "the expected matrix does not ask this scheduler to show the flaw in these scenarios")
        return Cell(f"not found ({len(ran)} scenarios)" if ran else "–", "missed" if ran else "absent")
    best = min(hits, key=lambda c: c["elapsed_ms"])
    cell = figure(best)
    cell.sub = f"{best['scenario']} ({len(hits)} of {len(cells)} scenarios)"
    return cell


def detection_section(results):
    rows, by_key, schedulers = detection_rows(results)
    section = Section("detection", "Time to detection",
                      intro="Relacy's iterations (it), the explorer's executions (exec) or the stress "
                            "rounds to the first failure, and the milliseconds the run took to reach it.")
    if not rows:
        section.blocks.append(Note("no flaw is expected to show in these results"))
        return section
    if not results.stress:
        section.blocks.append(Note("stress columns: not run: make stress writes stress.json", "missing"))
    # A cell's mode says which side it is: a model scheduler the report does
    # not know by name (a user's engine) is still not a stress build.
    model_side = {c["scheduler"]: engines.engine_of(c).name for c in results.models}
    titles = [f"{s} ({model_side[s]})" if s in model_side else f"stress {s}" for s in schedulers]
    flaws = V.ordered_unique((d, f) for d, f, _ in rows)
    per_flaw = Table(columns=["flaw (fastest scenario)"] + titles, rows=[
        [Cell(V.row_name(d, f), "flaw")] + [fastest([by_key.get((d, f, s, sched)) for d2, f2, s in rows
                                                      if (d2, f2) == (d, f)]) for sched in schedulers]
        for d, f in flaws])
    table = Table(columns=["flaw", "scenario"] + titles, folded=True,
                  caption=f"Every flaw x scenario ({len(rows)} rows)", rows=[
                      [V.row_name(d, f), s] + [figure(by_key.get((d, f, s, sched))) for sched in schedulers]
                      for d, f, s in rows])
    labels = [f"{V.row_name(d, f)} · {s}" for d, f, s in rows]
    groups = []
    for sched in schedulers:
        times = {label: max(by_key[(d, f, s, sched)]["elapsed_ms"], 0.01)  # log axis: no zero
                 for label, (d, f, s) in zip(labels, rows) if V.detected(by_key.get((d, f, s, sched)))}
        if times:
            groups.append((sched, times))
    section.blocks += [per_flaw, table]
    if groups:
        section.blocks.append(charts.dot_chart("detection", "Milliseconds to the first failure, per scheduler",
                                               labels, groups, "ms (log)"))
    return section
