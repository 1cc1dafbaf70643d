"""The capability tables: which engine checks which memory model (from the
engines whose cells are in the results, engines.py), and from designs.json
what each design supports and how it behaves on close and when its leader
fails, with each flaw's bug.

Where bench.json measured memory, the declared "allocates per waiter" stands
beside the measured allocations per waiter, so a wrong declaration shows.
"""

from . import bench as B
from . import engines
from .doc import Cell, Section, Table, absent

TRAIT_COLUMNS = (("blocking_wait", "blocking wait"), ("async_wait", "async wait"), ("timeouts", "timeouts"),
                 ("allocates_per_waiter", "allocates per waiter"), ("on_close", "on close"),
                 ("leader_failure", "leader failure"))


def measured_allocs(results):
    """{design: the most allocations per waiter any memory benchmark measured}."""
    if results.bench is None:
        return {}
    out = {}
    for r in B.records(results.bench):
        if r.workload == "memory" and "allocs_per_waiter" in r.counters:
            out[r.design] = max(out.get(r.design, 0.0), r.counters["allocs_per_waiter"])
    return out


def _trait_cell(value):
    if isinstance(value, bool):
        return Cell("yes" if value else "no", "yes" if value else "no")
    return Cell(value)


def capabilities_section(results):
    section = Section("capabilities", "Capabilities",
                      intro="What each engine checks, and what its cells in these results show; then what "
                            "each design declares (designs.json, from the catalogue).")
    section.blocks.append(engines.engines_table(results))
    if absent(section, results.designs, "designs"):
        return section
    measured = measured_allocs(results)
    columns = ["design"] + [label for _, label in TRAIT_COLUMNS]
    if measured:
        columns.append("measured allocs per waiter (max over W)")
    rows = []
    for d in results.designs["designs"]:
        row = [Cell(d["design"], "design")] + [_trait_cell(d["traits"][key]) for key, _ in TRAIT_COLUMNS]
        if measured:
            row.append(f"{measured[d['design']]:.2f}" if d["design"] in measured else "–")
        rows.append(row)
    section.blocks.append(Table(columns=columns, rows=rows, caption="Designs: what each declares"))
    flaws = [[Cell(f"{d['design']}/{f['flaw']}", "flaw"), f["bug"]]
             for d in results.designs["designs"] for f in d.get("flaws", [])]
    if flaws:
        section.blocks.append(Table(columns=["flaw", "the bug it keeps"], rows=flaws))
    return section
