"""Which engine ran a cell, and what that engine checks.

A cell's scheduler names its engine: Relacy (`random`, `bound`, `full`),
oncecheck's explorer (`dpor`, `pct`), real threads (`plain`) and the
sanitizer builds (`tsan`, `asan`). Each engine's entry says what it is
built to see (its memory model, how it finds a race on plain data, what a
pass from it means): facts of the engine's construction, from its docs
(docs/explorer.md, README.md), never a verdict. What an engine found comes
from the results only (engine_rows): the table lists the engines whose cells
are present, with their figures, and a scheduler this module does not know
is a row of its own that says so.
"""

from dataclasses import dataclass

from . import verdicts as V
from .doc import Cell, Table

# The mark of a tree search that ran to its end: a pass there is a proof
# within what its engine models (the matrix, the coverage table).
END = "∎"


@dataclass(frozen=True)
class Engine:
    name: str
    mode: str            # the cells' mode: model or stress
    schedulers: tuple    # the schedulers that are this engine
    searches: tuple      # those that are tree searches: they can run to their end (exhausted_search)
    memory_model: str    # which executions it can produce
    races: str           # how a race on plain data (Sync::cell) is found, if at all
    a_pass: str          # what a pass from it means


ENGINES = (
    Engine("Relacy", "model", ("random", "bound", "full"), ("bound", "full"),
           "the C++ memory model: relaxed, acquire/release and seq_cst orders; a load may see a stale "
           "store, stores may be buffered",
           "data_race by Relacy's own happens-before over that model",
           "random: a sample; bound: every schedule within its context bound, full: every schedule, when the "
           "search ran to its end"),
    Engine("explorer", "model", ("dpor", "pct", "dfs"), ("dpor", "dfs"),
           "sequentially consistent: a load sees the latest store (no stale loads, no store buffering)",
           "data_race by vector clocks with C++'s edges (release/acquire, seq_cst, mutex, thread start "
           "and join; relaxed gives none)",
           "dpor: every schedule up to reordering of independent steps when it ran to its end (within its "
           "preemption bound, if any); pct: a sample, with a probability per execution"),
    Engine("real threads", "stress", ("plain",), (),
           "the hardware's, as the compiler and this machine run it",
           "not checked: only what a race does (a wrong value, a crash, a hang)",
           "a sample of the executions that happened"),
    Engine("real threads, ThreadSanitizer", "stress", ("tsan",), (),
           "the hardware's, as the compiler and this machine run it",
           "data_race by ThreadSanitizer's happens-before, on the executions that happened",
           "a sample of the executions that happened"),
    Engine("real threads, AddressSanitizer", "stress", ("asan",), (),
           "the hardware's, as the compiler and this machine run it",
           "not checked (AddressSanitizer sees use-after-free and leaks)",
           "a sample of the executions that happened"),
)


def _unknown(mode, scheduler):
    """An engine for a scheduler this report does not know (a user's)."""
    return Engine(f"{mode} scheduler '{scheduler}'", mode, (scheduler,), (), "not described: a scheduler this report "
                  "does not know", "not described", "not described")


def engine_of(cell):
    """The Engine that ran cell (its mode and scheduler)."""
    return next((e for e in ENGINES if e.mode == cell["mode"] and cell["scheduler"] in e.schedulers),
                None) or _unknown(cell["mode"], cell["scheduler"])


def ran_to_end(cell):
    """The cell's tree search ran to its end (exhausted_search). A sampling
    scheduler the report knows (random, pct) has no end to reach, whatever
    its field says; a scheduler it does not know is taken at its word."""
    engine = engine_of(cell)
    known = engine in ENGINES
    return bool(cell.get("exhausted_search")) and (cell["scheduler"] in engine.searches or not known)


def is_explorer(cell):
    """The explorer counts executions where Relacy counts iterations."""
    return engine_of(cell).name == "explorer"


def _cells_by_engine(results):
    """[(engine, its cells)] in catalogue order, unknown engines after, only those with cells."""
    groups = {}
    for c in list(results.models) + list(results.stress or []):
        groups.setdefault(engine_of(c), []).append(c)
    known = [e for e in ENGINES if e in groups]
    return [(e, groups[e]) for e in known + [e for e in groups if e not in ENGINES]]


def _flaws_found(cells):
    """({flaw rows whose detection cells ran here}, {those found here})."""
    ran = {V.row_key(c) for c in cells if V.counts_for_detection(c)}
    found = {V.row_key(c) for c in cells if V.counts_for_detection(c) and V.detected(c)}
    return ran, found


def engines_table(results):
    """One row per engine whose cells are present: what it checks, and what
    its cells show (cells per scheduler, searches run to their end, flaws
    found, flaws no other engine found)."""
    groups = _cells_by_engine(results)
    found_by = {e: _flaws_found(cells)[1] for e, cells in groups}
    rows = []
    for engine, cells in groups:
        counts = {s: sum(c["scheduler"] == s for c in cells)
                  for s in sorted({c["scheduler"] for c in cells}, key=V.scheduler_rank)}
        ran, found = _flaws_found(cells)
        alone = sorted(found - set().union(*(f for e, f in found_by.items() if e != engine)))
        ended = [f"{s} {sum(ran_to_end(c) for c in cells if c['scheduler'] == s)} of {n}"
                 for s, n in counts.items() if s in engine.searches]
        rows.append([
            Cell(engine.name, "design"),
            ", ".join(f"{s} ({n})" for s, n in counts.items()),
            engine.memory_model, engine.races, engine.a_pass,
            Cell(", ".join(ended) or "–", "" if ended else "absent",
                 "cells of a tree search (exhausted_search): a pass there is a proof within its bound"),
            Cell(f"{len(found)} of {len(ran)}" if ran else "–", "" if ran else "absent",
                 "flaws whose expected verdict must show in a cell this engine ran, and how many it found"),
            Cell(", ".join(V.row_name(*f) for f in alone) or "–", "" if alone else "absent"),
        ])
    return Table(columns=["engine", "schedulers (cells)", "memory model", "races on plain data", "a pass means",
                          "searches run to their end", "flaws found", "flaws no other engine found"],
                 rows=rows, caption="Engines: which checks which memory model")
