"""Notify latency: how long a waiter takes to resume after done(), from the
`latency` field of stress.json's notify_latency cells.

The chart shows the correct designs on real threads (the plain build: the
sanitizer's slow-down is not the design's); the table has every run.
"""

from . import charts
from . import verdicts as V
from .doc import Note, Section, Table, absent

WAITERS = ("thread", "task_same_worker", "task_other_worker")
YIELDS = ((False, "notifier does not yield"), (True, "notifier yields"))


def latency_cells(stress):
    return [c for c in stress or [] if c.get("latency")]


def _scheduler_for_chart(cells):
    present = sorted({c["scheduler"] for c in cells}, key=V.scheduler_rank)
    return "plain" if "plain" in present else present[0]


def latency_chart(cells, scenario):
    chosen = [c for c in cells if c["scenario"] == scenario and c["flaw"] == "none"]
    if not chosen:
        return None
    sched = _scheduler_for_chart(chosen)
    chosen = [c for c in chosen if c["scheduler"] == sched]
    kinds = [k for k in WAITERS if any(r["waiter"] == k for c in chosen for r in c["latency"])]
    kinds += V.ordered_unique(r["waiter"] for c in chosen for r in c["latency"] if r["waiter"] not in kinds)
    panels = []
    for kind in kinds:
        groups = []
        for c in chosen:
            bars = []
            for yields, _ in YIELDS:
                row = next((r for r in c["latency"] if r["waiter"] == kind and r["notifier_yields"] == yields
                            and r["samples"] > 0), None)
                bars.append((row["p50_us"], row["p99_us"]) if row else None)
            if any(bars):
                groups.append((c["design"], bars))
        if groups:
            panels.append((kind, groups))
    if not panels:
        return None
    return charts.latency_chart("latency-" + scenario.replace("/", "-"),
                                f"{scenario}, stress {sched}: wake latency per waiter kind",
                                panels, [label for _, label in YIELDS])


def latency_table(cells):
    rows = []
    for c in cells:
        for r in c["latency"]:
            rows.append([V.row_name(c["design"], c["flaw"]), c["scenario"], c["scheduler"], r["waiter"],
                         "yes" if r["notifier_yields"] else "no", f"{r['samples']:,}",
                         f"{r['p50_us']:,.1f}", f"{r['p99_us']:,.1f}", f"{r['max_us']:,.1f}"])
    return Table(columns=["design / flaw", "scenario", "stress", "waiter", "notifier yields", "samples",
                          "p50 µs", "p99 µs", "max µs"], rows=rows)


def latency_section(results):
    section = Section("latency", "Notify latency",
                      intro="Time from done() to each waiter resuming (µs; p50 bar, p99 whisker), "
                            "with the notifier task yielding right after done() or not.")
    if absent(section, results.stress, "stress"):
        return section
    cells = latency_cells(results.stress)
    if not cells:
        section.blocks.append(Note("not run: stress.json has no notify_latency cell with a `latency` field "
                                   "(make stress runs the notify_latency scenarios)", "missing"))
        return section
    for scenario in V.ordered_unique(c["scenario"] for c in cells):
        chart = latency_chart(cells, scenario)
        if chart:
            section.blocks.append(chart)
    section.blocks.append(latency_table(cells))
    return section
