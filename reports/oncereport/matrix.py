"""The verdict matrix (designs and flaws down, scenarios across) and the
counterexamples its failing cells link to.

A matrix cell stands for every run of one design-or-flaw in one scenario: the
model's schedulers (Relacy's random, bound, full; the explorer's dpor, pct)
and the stress builds (plain, tsan). It shows the first failing model
scheduler's verdict, which schedulers found it (and which searches passed
to their end, a proof), and the stress verdicts as badges; any run that
differs from the expected matrix marks the whole cell as unexpected.
"""

import re
from collections import defaultdict

from . import engines
from . import verdicts as V
from .engines import END
from .doc import Cell, Note, Section, Table, Trace


def anchor(design, flaw, scenario):
    return "cx-" + re.sub(r"[^A-Za-z0-9]+", "-", f"{design}-{flaw}-{scenario}").strip("-")


def group_cells(results):
    """{(design, flaw, scenario): [cells]} with rows and columns in catalogue order."""
    cells = list(results.models) + list(results.stress or [])
    groups = defaultdict(list)
    for c in cells:
        groups[(c["design"], c["flaw"], c["scenario"])].append(c)
    rows = V.ordered_unique(V.row_key(c) for c in cells)
    columns = V.ordered_unique(c["scenario"] for c in cells)
    return groups, rows, columns


def _describe(c):
    """One line about one run, for tooltips and the counterexample list."""
    found = ""
    if c["verdict"] != "pass" and c["first_failure_iteration"] is not None:
        unit = ("execution" if engines.is_explorer(c) else "iteration") if c["mode"] == "model" else "round"
        found = f"; first failure at {unit} {c['first_failure_iteration']}, {c['elapsed_ms']:.0f} ms"
    elif c["verdict"] == "pass" and engines.ran_to_end(c):
        found = "; the search ran to its end"
    flag = "" if V.matches(c) else f"  [UNEXPECTED: expected {c['expected']}]"
    return f"{c['scheduler']}: {c['verdict']} ({c.get('reason', '')}){found}{flag}"


def _letter(scheduler):
    return scheduler[0].upper()


def _schedulers_line(model_cells):
    """`R✗ B✗ D✓∎`: which model schedulers found a failure, and which
    passed with a search that ran to its end (a proof)."""
    return " ".join(_letter(c["scheduler"]) + ("✗" if c["verdict"] != "pass" else "✓")
                    + (END if c["verdict"] == "pass" and engines.ran_to_end(c) else "")
                    for c in V.by_scheduler(model_cells))


def _schedulers_legend(models):
    """`R random (Relacy), D dpor (explorer)`: the letters of the schedulers present."""
    engine = {c["scheduler"]: engines.engine_of(c).name for c in models}
    return ", ".join(f"{_letter(s)} {s} ({engine[s]})" for s in sorted(engine, key=V.scheduler_rank))


def matrix_cell(group):
    models = [c for c in group if c["mode"] == "model"]
    stress = V.by_scheduler([c for c in group if c["mode"] == "stress"])
    main = V.shown(models or stress)
    unexpected = [c for c in group if not V.matches(c)]
    failing = any(c["verdict"] != "pass" for c in group)
    design, flaw, scenario = main["design"], main["flaw"], main["scenario"]
    return Cell(
        text=("≠ " if unexpected else "") + main["verdict"],
        css=V.css(main["verdict"]) + (" unexpected" if unexpected else ""),
        title="\n".join([f"{V.row_name(design, flaw)} · {scenario} · expected {main['expected']}"]
                        + [_describe(c) for c in V.by_scheduler(group)]),
        href="#" + anchor(design, flaw, scenario) if failing or unexpected else "",
        sub=_schedulers_line(models) if models else "",
        badges=[Cell(f"{c['scheduler']}: {c['verdict']}",
                     V.css(c["verdict"]) + ("" if V.matches(c) else " unexpected")) for c in stress])


def legend(groups):
    seen = {c["verdict"] for group in groups.values() for c in group}
    return Table(columns=["verdicts"],
                 rows=[[Cell(v, V.css(v)) for v in V.COLOURS if v in seen]],
                 css="legend")


def matrix_section(results):
    groups, rows, columns = group_cells(results)
    table_rows = []
    for design, flaw in rows:
        label = Cell(design, "design") if flaw == "none" else Cell("↳ " + flaw, "flaw", V.row_name(design, flaw))
        table_rows.append([label] + [matrix_cell(groups[(design, flaw, s)]) if (design, flaw, s) in groups
                                     else Cell("–", "absent") for s in columns])
    everything = list(results.models) + list(results.stress or [])
    unexpected = [c for c in everything if not V.matches(c)]
    section = Section("matrix", "Verdict matrix",
                      intro="Each cell: the verdict of the first model scheduler that failed "
                            f"({_schedulers_legend(results.models)}; ✗ found a failure, ✓ passed, {END} "
                            "passed with a search that ran to its end: a proof, see Proof or sample), "
                            "then the stress runs on real threads. ≠ marks a cell that differs "
                            "from models/expected.tsv. A coloured cell links to its counterexample.")
    counts = f"{len(results.models)} model runs" + (f", {len(results.stress)} stress runs" if results.stress else "")
    if unexpected:
        section.blocks.append(Note(f"{counts}; {len(unexpected)} differ from the expected matrix: "
                                   + "; ".join(f"{V.row_name(c['design'], c['flaw'])} {c['scenario']} "
                                               f"[{c['scheduler']}] {c['verdict']}, expected {c['expected']}"
                                               for c in unexpected[:12])
                                   + (" ..." if len(unexpected) > 12 else ""), "bad"))
    else:
        section.blocks.append(Note(f"{counts}; every one gives the verdict the expected matrix says.", "good"))
    if not results.stress:
        section.blocks.append(Note("stress: not run: make stress writes stress.json", "missing"))
    section.blocks.append(Table(columns=["design / flaw"] + columns, rows=table_rows, css="matrix"))
    section.blocks.append(legend(groups))
    return section


def counterexamples_section(results):
    """Every cell with a failing or unexpected run: why, how to replay, the trace.
    The trace is the shown model run's (the others replay with their command)
    and the stress runs' stuck threads."""
    groups, rows, columns = group_cells(results)
    section = Section("counterexamples", "Counterexamples",
                      intro="Run a replay command from the repository root to see the same execution again.")
    for design, flaw in rows:
        for scenario in columns:
            group = groups.get((design, flaw, scenario))
            if not group or all(c["verdict"] == "pass" and V.matches(c) for c in group):
                continue
            models = [c for c in group if c["mode"] == "model"]
            main = V.shown(models or group)
            traces = [main.get("trace", "")] + [f"stress {c['scheduler']}:\n{c['trace']}" for c in group
                                                if c["mode"] == "stress" and c.get("trace")]
            shrunk = [c for c in V.by_scheduler(group) if c.get("shrunk")]
            section.blocks.append(Trace(
                anchor=anchor(design, flaw, scenario),
                title=f"{V.row_name(design, flaw)} · {scenario}: {main['verdict']} (expected {main['expected']})",
                css=V.css(main["verdict"]) + ("" if all(V.matches(c) for c in group) else " unexpected"),
                lines=[_describe(c) for c in V.by_scheduler(group)],
                replays=V.ordered_unique(c["replay"] for c in V.by_scheduler(group)
                                         if c["replay"] and c["verdict"] != "pass"),
                trace="\n".join(t for t in traces if t),
                program=_program_text(shrunk[0]) if shrunk else ""))
    return section


def _size(p):
    keys = "key" if p["keys"] == 1 else "keys"
    return f"{p['threads']} threads, {p['steps']} steps, {p['keys']} {keys}"


def _program_text(c):
    """A random_programs failure: the generated program, the smallest one
    the shrinker found with the same verdict (as C++), and its replay."""
    s = c["shrunk"]
    lines = []
    if c.get("program"):
        p = c["program"]
        lines.append(f"generated program {p['seed']} ({_size(p)}): {p['line']}")
    lines.append(f"shrunk [{c['scheduler']}] in {s['runs']} runs to {_size(s['program'])}: {s['program']['line']}")
    lines.append(s["cpp"].rstrip("\n"))
    if s["replay"]:
        lines.append("replay: " + s["replay"])
    return "\n".join(lines)
