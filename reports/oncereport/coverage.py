"""Proof or sample: per cell, how far each model scheduler searched.

Relacy counts iterations, the explorer executions (dpor runs one per
Mazurkiewicz trace: every schedule up to reordering of independent steps).
A tree search that ran to its end (`exhausted_search`) makes a pass a proof
within what its engine models: the explorer's sequentially consistent
executions (within its `preemption_bound`, when it has one), Relacy's C++
memory model within its context bound (`bound`) or without one (`full`). A
search its budget stopped is a sample; dpor says how much of its tree it
covered (`estimated_fraction`, Knuth's estimator). Every figure is a field of
a cell; nothing here is typed by hand but the words for a scope.
"""

from . import engines
from . import verdicts as V
from .doc import Cell, Note, Section, Table

# What a search that ran to its end covered, by scheduler.
SCOPES = {"dpor": "every sequentially consistent schedule", "dfs": "every sequentially consistent schedule",
          "full": "every schedule of the C++ memory model",
          "bound": "every schedule of the C++ memory model within the context bound"}
BOUNDED = ("bound",)  # schedulers whose search always has a bound, field or not
END = engines.END


def whole(n):
    """A count as `1,234`: iterations are ints (any size), executions may be floats."""
    return f"{n:,}" if isinstance(n, int) else f"{n:,.0f}"


def covered(fraction):
    """An estimated fraction of a search's tree, in words; Knuth's
    estimate can overshoot 1 (the search is still not at its end)."""
    if fraction > 1:
        return "over 100% of its tree (an estimate)"
    return f"≈ {fraction:.2%} of its tree" if fraction < 0.01 else f"≈ {fraction:.0%} of its tree"


def runs(c):
    """(count, unit) of a model cell: the explorer's executions or Relacy's iterations."""
    if engines.is_explorer(c):
        return c.get("executions", c["iterations"]), "exec"
    return c["iterations"], "it"


def scope(c):
    """What a search that ran to its end covered; None for an unbounded one's bound."""
    text = SCOPES.get(c["scheduler"], f"every schedule {c['scheduler']} explores")
    if c.get("preemption_bound") is not None:
        text += f" with at most {whole(c['preemption_bound'])} preemptions"
    return text


def estimate(c):
    """The estimated fraction of a tree search's tree, or None: a sampling
    scheduler (pct) has no tree, whatever its field says."""
    return c.get("estimated_fraction") if c["scheduler"] in engines.engine_of(c).searches else None


def is_bounded(c):
    return c["scheduler"] in BOUNDED or c.get("preemption_bound") is not None


def search_cell(c):
    """One scheduler's figure for a cell: its count, whether it ran to its
    end, the fraction covered or the failure found, and its milliseconds."""
    if c is None:
        return Cell("–", "absent", "not run")
    if c["verdict"] == "unsupported":
        return Cell("unsupported", V.css("unsupported"), c.get("reason", ""))
    n, unit = runs(c)
    ms = f"{c['elapsed_ms']:,.0f} ms"
    if c["verdict"] != "pass":
        at = f" at {unit} {whole(c['first_failure_iteration'])}" if V.detected(c) else ""
        return Cell(c["verdict"] + at, V.css(c["verdict"]) + ("" if V.matches(c) else " unexpected"),
                    c.get("reason", ""), sub=ms)
    bound = [f"≤ {whole(c['preemption_bound'])} preemptions"] if c.get("preemption_bound") is not None else []
    if engines.ran_to_end(c):
        return Cell(f"{whole(n)} {unit} {END}", "good", f"ran to its end: {scope(c)}", sub=" · ".join(bound + [ms]))
    if estimate(c) is not None:
        how_far = covered(estimate(c))
    elif c["scheduler"] in engines.engine_of(c).searches:
        how_far = "stopped by its budget"
    else:
        how_far = "sampled"
    return Cell(f"{whole(n)} {unit}", "", c.get("reason", ""), sub=" · ".join([how_far] + bound + [ms]))


def standing(cells):
    """(kind, Cell): what a cell's model runs make of it. kind is `fails`
    (the Cell names the first failing scheduler's verdict), `proof` (a
    search ran to its end), `bounded proof` (only bounded ones did),
    `sample` or `none` (no run gave a verdict)."""
    ordered = V.by_scheduler(cells)
    failing = [c for c in ordered if c["verdict"] not in ("pass", "unsupported") + V.OUTSIDE_ENDS]
    if failing:
        expected = all(V.matches(c) for c in failing)
        return "fails", Cell("fails: " + failing[0]["verdict"], V.css(failing[0]["verdict"])
                             + ("" if expected else " unexpected"),
                             sub="found by " + ", ".join(c["scheduler"] for c in failing)
                             + (", as expected" if expected else ""))
    passing = [c for c in ordered if c["verdict"] == "pass"]
    if not passing:
        return "none", Cell("–", "absent", "no run gave a verdict")
    proofs = [c for c in passing if engines.ran_to_end(c)]
    if proofs:
        unbounded = any(not is_bounded(c) for c in proofs)
        return ("proof" if unbounded else "bounded proof",
                Cell("proof" if unbounded else "proof within a bound", "good",
                     "; ".join(f"{c['scheduler']}: {scope(c)}" for c in proofs),
                     sub=", ".join(c["scheduler"] for c in proofs)))
    estimates = [c for c in passing if estimate(c) is not None]
    if estimates:
        best = max(estimates, key=estimate)
        detail = f"{best['scheduler']} {covered(estimate(best))}"
    else:
        best = max(passing, key=lambda c: runs(c)[0])
        detail = f"largest: {best['scheduler']}, {whole(runs(best)[0])} {runs(best)[1]}"
    return "sample", Cell("sample", "missed", "no search ran to its end", sub=detail)


def cell_groups(models):
    """{(design, flaw, scenario): its model cells}, in the producers' order."""
    groups = {}
    for c in models:
        groups.setdefault((c["design"], c["flaw"], c["scenario"]), []).append(c)
    return groups


def _table(groups, keys, caption="", folded=False):
    schedulers = sorted({c["scheduler"] for k in keys for c in groups[k]}, key=V.scheduler_rank)
    engine = {c["scheduler"]: engines.engine_of(c).name for k in keys for c in groups[k]}
    rows = []
    for key in keys:
        by = {c["scheduler"]: c for c in groups[key]}
        rows.append([Cell(V.row_name(*key[:2]), "design" if key[1] == "none" else "flaw"), key[2]]
                    + [search_cell(by.get(s)) for s in schedulers] + [standing(groups[key])[1]])
    return Table(columns=["design / flaw", "scenario"] + [f"{s} ({engine[s]})" for s in schedulers] + ["a pass is"],
                 rows=rows, caption=caption, folded=folded)


def proof_counts(results):
    """For the correct designs' cells that pass under every model scheduler:
    (how many, how many of them a search proved, of those how many within a
    bound only), and {scheduler: (searches run to their end, cells)}."""
    groups = cell_groups(results.models)
    correct = [k for k in groups if k[1] == "none"]
    kinds = {k: standing(groups[k])[0] for k in correct}
    passing = [k for k, kind in kinds.items() if kind in ("proof", "bounded proof", "sample")]
    proved = sum(kinds[k] in ("proof", "bounded proof") for k in passing)
    bounded = sum(kinds[k] == "bounded proof" for k in passing)
    ended = {}
    for k in passing:
        for c in groups[k]:
            if c["scheduler"] in engines.engine_of(c).searches:
                done, total = ended.get(c["scheduler"], (0, 0))
                ended[c["scheduler"]] = (done + engines.ran_to_end(c), total + 1)
    return (len(passing), proved, bounded), dict(sorted(ended.items(), key=lambda i: V.scheduler_rank(i[0])))


def proof_line(results):
    """One sentence for the summary: how many correct cells are proved."""
    (passing, proved, bounded), ended = proof_counts(results)
    if not passing:
        return None
    searches = "; ".join(f"{s} ran to its end in {d} of {t}" for s, (d, t) in ended.items())
    return (f"A pass is a proof (a search ran to its end) in {proved} of the {passing} correct-design cells that "
            f"pass" + (f", {bounded} of them within a bound only" if bounded else "")
            + f"; a sample in the other {passing - proved}" + (f" ({searches})" if searches else "") + ".")


def coverage_section(results):
    section = Section("coverage", "Proof or sample: Relacy iterations against dpor executions",
                      intro=f"Per cell, how far each model scheduler searched: Relacy's iterations (it), the "
                            f"explorer's executions (exec; dpor runs one per class of schedules that differ only "
                            f"in the order of independent steps). {END} marks a tree search that ran to its end: "
                            f"a pass there is a proof within what its engine models (the explorer: sequentially "
                            f"consistent executions, within its preemption bound if it has one; Relacy's bound: "
                            f"the C++ memory model within its context bound). A search its budget stopped is a "
                            f"sample; dpor estimates how much of its tree it covered (Knuth's estimator).")
    groups = cell_groups(results.models)
    correct = [k for k in groups if k[1] == "none"]
    flawed = [k for k in groups if k[1] != "none"]
    (passing, proved, _), _ = proof_counts(results)
    line = proof_line(results)
    if line:
        section.blocks.append(Note(line, "good" if proved == passing else ""))
    if correct:
        section.blocks.append(_table(groups, correct, caption="Correct designs"))
    if flawed:
        section.blocks.append(_table(groups, flawed, folded=True,
                                     caption=f"Flaws: how far each search went, and where it found the flaw "
                                             f"({len(flawed)} rows)"))
    if not correct and not flawed:
        section.blocks.append(Note("no model cells"))
    return section
