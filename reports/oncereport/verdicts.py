"""What a verdict means for the report: its colour, whether it matches, order.

One place for the readings every section shares, so the matrix, the summary
and the baseline diff agree. The rules themselves ("matches expected",
"detected", "counts for the time-to-detection table") are the runner's, in
harness/cell_result.hpp and harness/runner/matrix_run.hpp: each cell carries
them as fields of its own (docs/results.md) and the report only reads them.
A results file without them was written by an older oncecheck; inputs.py
stops on it with one line.
"""

# Scheduler order: Relacy's three, the explorer's two, then the stress builds.
SCHEDULERS = ("random", "bound", "full", "dpor", "pct", "plain", "tsan", "asan", "fuzz")

# Background colours of the verdict classes (also read back from the
# screenshot by tests/test_render.py: keep them distinct).
COLOURS = {
    "pass": "#8fd694",
    "deadlock": "#f28b82",
    "hang": "#f6ae6b",
    "lost_wakeup": "#c58af9",
    "duplicate_compute": "#fdd663",
    "wrong_value": "#f48fb1",
    "data_race": "#78d9ec",
    "use_after_free": "#bcaaa4",
    "leak": "#b0bec5",
    "livelock": "#ffab91",
    "assert": "#9fa8da",
    "unsupported": "#e0e0e0",
    "not_linearizable": "#d7aefb",
    # Ends from outside the design (a signal, the runner's time limit).
    "interrupted": "#80cbc4",
    "unfinished": "#e6ee9c",
}

# Verdicts that say nothing about the design: the run was ended from outside
# (impls/sync/verdict.hpp, outside_end). Such a cell never differs from the
# expected matrix, as in the runner's own closing list.
OUTSIDE_ENDS = ("interrupted", "unfinished")


def matches(cell):
    """The cell does not differ from the expected matrix: its verdict is one
    the matrix allows (the runner's own reading), or the run ended from
    outside and gave no verdict on the design."""
    return cell["matches_expected"] or cell["verdict"] in OUTSIDE_ENDS


def counts_for_detection(cell):
    """The flaw must show here and the correct design passes here: a row of
    the time-to-detection table (the runner's own reading)."""
    return cell["counts_for_detection"]


def detected(cell):
    """The run found its failure, at a known iteration or round."""
    return cell is not None and cell["detected"]


def scheduler_rank(name):
    return SCHEDULERS.index(name) if name in SCHEDULERS else len(SCHEDULERS)


def by_scheduler(cells):
    return sorted(cells, key=lambda c: scheduler_rank(c["scheduler"]))


def shown(cells):
    """The cell that stands for a group: the first failing one in scheduler
    order (what a designer must look at), else the first."""
    ordered = by_scheduler(cells)
    return next((c for c in ordered if c["verdict"] != "pass"), ordered[0])


def css(verdict):
    return "v-" + verdict


def row_key(cell):
    return (cell["design"], cell["flaw"])


def row_name(design, flaw):
    return design if flaw == "none" else f"{design}/{flaw}"


def ordered_unique(values):
    """Values in order of first appearance (the producers' catalogue order)."""
    return list(dict.fromkeys(values))
