"""This run against an earlier one (make report BASELINE=old/results).

Verdicts: every run present in both, whose verdict changed; one that matched
the expected matrix before and does not now is a regression. Figures: each
benchmark's floor_ratio (or raw figure), wake p99 and memory, and each
notify-latency p99, in percent; worse by more than the threshold is a
regression.
"""

from . import bench as B
from . import verdicts as V
from .doc import Cell, Note, Section, Table

DEFAULT_THRESHOLD = 10.0  # percent


def _cell_key(c):
    return (c["design"], c["flaw"], c["scenario"], c["mode"], c["scheduler"])


def verdict_changes(results, baseline):
    """[(key, before, now, status)], status `regression`, `fixed` or `changed`; and counts of new/gone runs."""
    now = {_cell_key(c): c for c in list(results.models or []) + list(results.stress or [])}
    before = {_cell_key(c): c for c in list(baseline.models or []) + list(baseline.stress or [])}
    changes = []
    for key, c in now.items():
        b = before.get(key)
        if b is None or (b["verdict"] == c["verdict"] and V.matches(b) == V.matches(c)):
            continue
        status = "regression" if V.matches(b) and not V.matches(c) else \
            "fixed" if V.matches(c) and not V.matches(b) else "changed"
        changes.append((key, b, c, status))
    return changes, len(now.keys() - before.keys()), len(before.keys() - now.keys())


def _bench_metrics(record):
    """[(metric, value, lower_is_better)] compared for one benchmark."""
    if record.workload == "memory":
        return [(m, record.counters[m], True) for m in B.MEMORY_COUNTERS if m in record.counters]
    w = B.WORKLOADS[record.workload]
    out = [("floor_ratio", record.counters["floor_ratio"], True)] if "floor_ratio" in record.counters else \
        [(w.figure, record.counters[w.figure], w.lower_is_better)] if w.figure in record.counters else []
    if "wake_p99" in record.counters:
        out.append(("wake_p99", record.counters["wake_p99"], True))
    return out


def _latency_metrics(stress):
    return {(c["design"], c["flaw"], c["scenario"], c["scheduler"], r["waiter"], r["notifier_yields"]): r["p99_us"]
            for c in stress or [] for r in c.get("latency", []) if r["samples"] > 0}


def figure_deltas(results, baseline):
    """[(name, metric, before, now, percent, lower_is_better)] for figures in both runs."""
    out = []
    if results.bench is not None and baseline.bench is not None:
        before = {r.key(): r for r in B.records(baseline.bench)}
        for r in B.records(results.bench):
            old = before.get(r.key())
            if old is None:
                continue
            old_metrics = {m: v for m, v, _ in _bench_metrics(old)}
            name = "/".join([r.workload, r.design] + [f"{k}:{v}" for k, v in sorted(r.params.items())])
            for metric, value, lower in _bench_metrics(r):
                if old_metrics.get(metric):
                    out.append((name, metric, old_metrics[metric], value, lower))
    before = _latency_metrics(baseline.stress)
    for key, p99 in _latency_metrics(results.stress).items():
        if before.get(key):
            d, f, s, sched, waiter, yields = key
            name = f"{V.row_name(d, f)} {s} [{sched}] {waiter}{', notifier yields' if yields else ''}"
            out.append((name, "latency p99_us", before[key], p99, True))
    return [(n, m, b, v, (v - b) / b * 100.0, lower) for n, m, b, v, lower in out]


def worse(percent, lower_is_better, threshold):
    return percent > threshold if lower_is_better else percent < -threshold


def baseline_section(results, baseline, directory, threshold=DEFAULT_THRESHOLD):
    """The section, and how many regressions it flags (shown at the top of the report)."""
    section = Section("baseline", "Against the baseline",
                      intro=f"Compared with {directory}. A regression is a run that matched the expected "
                            f"matrix and no longer does, or a figure more than {threshold:g}% worse.")
    changes, new, gone = verdict_changes(results, baseline)
    regressions = sum(1 for *_, s in changes if s == "regression")
    if baseline.models is None and baseline.stress is None:
        section.blocks.append(Note(f"verdicts: the baseline has no models.json or stress.json", "missing"))
    elif changes:
        section.blocks.append(Table(
            columns=["design / flaw", "scenario", "scheduler", "before", "now", ""],
            rows=[[V.row_name(k[0], k[1]), k[2], k[4], Cell(b["verdict"], V.css(b["verdict"])),
                   Cell(c["verdict"], V.css(c["verdict"]), f"expected {c['expected']}"),
                   Cell(status.upper() if status == "regression" else status,
                        {"regression": "bad", "fixed": "good"}.get(status, ""))]
                  for k, b, c, status in changes]))
    else:
        section.blocks.append(Note("no verdict changed.", "good"))
    if new or gone:
        section.blocks.append(Note(f"{new} runs are new since the baseline, {gone} are gone."))
    deltas = figure_deltas(results, baseline)
    flagged = [d for d in deltas if worse(d[4], d[5], threshold)]
    better = [d for d in deltas if worse(-d[4], d[5], threshold)]
    regressions += len(flagged)
    if not deltas:
        section.blocks.append(Note("figures: nothing to compare (bench.json or latency in only one of the runs)",
                                   "missing"))
    else:
        section.blocks.append(Note(f"{len(deltas)} figures compared: {len(flagged)} more than {threshold:g}% worse, "
                                   f"{len(better)} more than {threshold:g}% better.", "bad" if flagged else "good"))
        rows = [[n, m, f"{b:,.3g}", f"{v:,.3g}",
                 Cell(f"{p:+.1f}%", "bad" if (n, m, b, v, p, lo) in flagged else "good"),
                 Cell("REGRESSION", "bad") if (n, m, b, v, p, lo) in flagged else "better"]
                for n, m, b, v, p, lo in flagged + better]
        if rows:
            section.blocks.append(Table(columns=["benchmark", "figure", "before", "now", "change", ""], rows=rows))
    return section, regressions
