"""The benchmark section: per workload, every design as a ratio to the floor
across threads (or waiters), and the memory each waiter and key costs.

A chart plots floor_ratio when every design of the workload has it (1.0 is
the machine's floor; the other floors are drawn dashed at their own figure
over it), else the raw figure, and says which it is.
"""

from collections import defaultdict
from dataclasses import dataclass

from . import bench as B
from . import charts
from .doc import Cell, Note, Row, Section, Table, absent


@dataclass
class View:
    """One chart's worth: a workload (and a split value, e.g. a placement)."""
    workload: B.Workload
    split_value: object
    designs: dict       # design -> {x: Record}
    floors: dict        # floor design -> {x: Record}
    is_ratio: bool

    @property
    def title(self):
        return self.workload.title + (f" ({self.workload.split}: {self.split_value})" if self.split_value else "")

    @property
    def name(self):
        return self.workload.title + (f"-{self.split_value}" if self.split_value else "")

    def value(self, record):
        """What the chart and table show: the ratio to the floor (a floor's own
        figure over the main floor's), or the raw figure when there is no ratio."""
        w = self.workload
        if not self.is_ratio:
            return record.counters.get(w.figure)
        if not record.is_floor:
            return record.counters["floor_ratio"]
        if record.workload != w.floor[0]:
            # A floor of the view's own workload (W4 at scale's random_load)
            # has no point of the main floor at its x: it carries its ratio.
            return record.counters.get("floor_ratio")
        main = self.floors.get(w.floor[1], {}).get(record.params[w.x])
        a, b = record.counters.get(w.figure), main and main.counters.get(w.figure)
        if not (a and b):
            return None
        return a / b if w.lower_is_better else b / a

    def xs(self):
        return sorted({x for points in list(self.designs.values()) + list(self.floors.values()) for x in points})


def views(records):
    """[View] in the order of docs/results.md's workloads."""
    out = []
    for w in B.WORKLOADS.values():
        mine = [r for r in records if w.takes(r) and not r.is_floor]
        splits = sorted({r.params.get(w.split) for r in mine}, key=str) if w.split else [None]
        for split in splits:
            designs = defaultdict(dict)
            for r in mine:
                if (not w.split or r.params.get(w.split) == split) and w.x in r.params:
                    designs[r.design][r.params[w.x]] = r
            if not designs:
                continue
            # The main floor, and floors of the view's own workload: of its
            # split value only (notify_task's floor.executor runs at every
            # placement; one chart is one placement).
            floors = defaultdict(dict)
            for r in records:
                own = w.takes(r) and (not w.split or r.params.get(w.split) == split)
                if r.is_floor and w.x in r.params and (r.workload == w.floor[0] or own):
                    floors[r.design][r.params[w.x]] = r
            is_ratio = all("floor_ratio" in r.counters for pts in designs.values() for r in pts.values())
            out.append(View(w, split, dict(designs), dict(floors), is_ratio))
    return out


def view_chart(view):
    w = view.workload

    def points(group):
        out = [(d, [(x, view.value(r)) for x, r in pts.items() if view.value(r) is not None])
               for d, pts in group.items()]
        return [(d, pts) for d, pts in out if pts]

    series, refs = points(view.designs), points(view.floors)
    ylabel = f"× floor ({w.floor[1]})" if view.is_ratio else w.unit + " (no floor_ratio: raw figure)"
    spread = [y for _, pts in series + refs for _, y in pts if y > 0]
    log_y = bool(spread) and max(spread) / min(spread) > 20
    return charts.line_chart("bench-" + view.name, view.title, series, w.x, ylabel, refs, log_y)


def _figure_cell(view, record):
    w = view.workload
    raw = record.counters.get(w.figure)
    value = view.value(record)
    if value is None:
        return Cell("–", "absent")
    text = f"{value:.2f}×" if view.is_ratio else f"{value:,.1f}"
    cell = Cell(text, title=f"{w.figure} = {raw:,.3f}" if raw is not None else "")
    if "wake_p99" in record.counters:
        cell.sub = f"p99 {record.counters['wake_p99']:,.1f} µs"
        if "first_p50" in record.counters:
            cell.sub += f", first {record.counters['first_p50']:,.1f} µs"
    if record.counters.get("violations", 0) > 0:
        cell.css, cell.sub = "bad", f"{record.counters['violations']:.0f} violations"
    return cell


def view_table(view):
    xs = view.xs()
    rows = []
    for name, points in list(view.designs.items()) + list(view.floors.items()):
        label = Cell(name, "floor" if name.startswith("floor.") else "design")
        rows.append([label] + [_figure_cell(view, points[x]) if x in points else Cell("–", "absent") for x in xs])
    unit = f"× floor ({view.workload.floor[1]})" if view.is_ratio else view.workload.unit
    return Table(columns=[f"{view.title}: {unit}"] + [f"{view.workload.x} {x}" for x in xs], rows=rows)


def memory_table(records):
    mem = [r for r in records if r.workload == "memory"]
    if not mem:
        return None
    order = list(dict.fromkeys(r.design for r in mem))  # bench.json's order, the catalogue's
    rows = [[Cell(r.design, "design"), str(r.params.get("waiters", "–"))]
            + [f"{r.counters[c]:,.1f}" if c in r.counters else "–" for c in B.MEMORY_COUNTERS]
            for r in sorted(mem, key=lambda r: (order.index(r.design), r.params.get("waiters", 0)))]
    return Table(columns=["memory", "waiters"] + [c.replace("_", " ") for c in B.MEMORY_COUNTERS], rows=rows)


def benchmarks_section(results):
    section = Section("bench", "Benchmarks",
                      intro="Each design's figure over the machine's floor measured in the same binary "
                            "(1.0 = the floor, lower is better), per thread or waiter count.")
    if absent(section, results.bench, "bench"):
        return section
    recs = B.records(results.bench)
    failed = B.errors(results.bench)
    if failed:
        section.blocks.append(Note(f"{len(failed)} benchmarks reported an error: " + ", ".join(failed[:8]), "bad"))
    all_views = views(recs)
    if not all_views:
        section.blocks.append(Note("bench.json holds none of the workloads of docs/results.md", "missing"))
    for view in all_views:
        section.blocks.append(Row([view_chart(view), view_table(view)]))
    mem = memory_table(recs)
    section.blocks.append(mem if mem else Note("no memory/<design>/waiters:W benchmarks in bench.json", "missing"))
    return section
