#!/usr/bin/python3
"""CTest report_figures: the engines table, the proof-or-sample table and
the explorer's columns show the figures of a small results file written
here, cell by cell (report.md, the same blocks as the page).

    test_figures.py --work DIR

The file holds one correct design and two flaws under Relacy (random,
bound), the explorer (dpor, pct), a scheduler the report does not know
(`mine`) and real threads: a dpor search run to its end, one with a
preemption bound, one stopped by its budget with Knuth's estimate, a
Relacy bound search run to its end, a flaw only Relacy finds (a
weak-memory one: dpor passes it, as expected) and an expected deadlock.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from synthetic import cell  # noqa: E402
import workdir  # noqa: E402

failures = []


def model(flaw, scenario, scheduler, verdict, n, ms, expected=None, found_at=None, counts=None, **extra):
    """A model cell: n iterations (Relacy) or executions (the explorer)."""
    explorer = scheduler in ("dpor", "pct")
    c = cell("condvar", flaw, scenario, "model", scheduler, verdict, expected=expected, iterations=n, elapsed_ms=ms,
             exhausted_search=False, first_failure_iteration=found_at,
             **({"executions": n, "preemption_bound": None, "estimated_fraction": None} if explorer else {}))
    if counts is not None:
        c["counts_for_detection"] = counts
    c.update(extra)
    return c


def models():
    none, unchained, relaxed = "none", "notify_one_unchained", "relaxed_flag"
    return [
        # coalesce: every search stopped by its budget; dpor estimates 10.94% of its tree
        model(none, "coalesce", "random", "pass", 3000, 23.0),
        model(none, "coalesce", "bound", "pass", 150016, 578.0),
        model(none, "coalesce", "dpor", "pass", 74860, 3007.0, estimated_fraction=0.1094),
        # pct has no tree: neither its fraction nor an exhausted flag makes it a proof
        model(none, "coalesce", "pct", "pass", 1000, 34.0, estimated_fraction=0.0, exhausted_search=True),
        model(none, "coalesce", "mine", "pass", 77, 5.0),
        # drop_with_waiters: Relacy's bound search and dpor both ran to their end
        model(none, "drop_with_waiters", "bound", "pass", 52736, 178.0, exhausted_search=True),
        model(none, "drop_with_waiters", "dpor", "pass", 7584, 290.0, exhausted_search=True),
        # notify_latency/2w: dpor ran to its end within 2 preemptions only
        model(none, "notify_latency/2w", "bound", "pass", 150016, 1326.0),
        model(none, "notify_latency/2w", "dpor", "pass", 508, 39.0, exhausted_search=True, preemption_bound=2),
        # recursive_keys: every design deadlocks, as expected
        model(none, "recursive_keys", "bound", "deadlock", 1, 2.0, found_at=1, counts=False),
        model(none, "recursive_keys", "dpor", "deadlock", 1, 5.0, found_at=1, counts=False),
        # a flaw every engine finds
        model(unchained, "coalesce", "random", "deadlock", 9, 2.0, found_at=9),
        model(unchained, "coalesce", "bound", "deadlock", 38401, 99.0, found_at=38401),
        model(unchained, "coalesce", "dpor", "deadlock", 18, 1.0, found_at=18),
        model(unchained, "coalesce", "pct", "deadlock", 5, 4.0, found_at=5),
        # a weak-memory flaw: Relacy finds it, the sequentially consistent explorer cannot
        model(relaxed, "coalesce", "random", "data_race", 3, 1.0, found_at=3),
        model(relaxed, "coalesce", "bound", "data_race", 40, 3.0, found_at=40),
        model(relaxed, "coalesce", "dpor", "pass", 12, 1.0, expected="pass", exhausted_search=True,
              counts=False, detected=False, matches_expected=True),
    ]


def stress():
    return [cell("condvar", "none", "coalesce", "stress", "plain", "pass"),
            cell("condvar", "notify_one_unchained", "coalesce", "stress", "plain", "hang", first_failure_iteration=2)]


def tables(md, title):
    """{caption or '': [rows as lists of cell texts]} of the section `## title` of report.md."""
    start = md.index(f"## {title}\n")
    end = md.find("\n## ", start + 1)
    found, caption, rows = {}, "", None
    for line in md[start:end if end >= 0 else None].splitlines():
        if line.startswith("**") and line.endswith("**"):
            caption = line.strip("*")
        elif line.startswith("<details><summary>"):
            caption = line[len("<details><summary>"):-len("</summary>")]
        elif line.startswith("|"):
            if rows is None:
                rows = found.setdefault(caption, [])
            if not line.startswith("|---"):
                rows.append([c.strip() for c in line.strip("|").split(" | ")])
        else:
            rows = None
    return found


def expect(label, got, want):
    ok = got == want
    print(f"{'ok  ' if ok else 'FAIL'} {label}: {got!r}" + ("" if ok else f", want {want!r}"))
    if not ok:
        failures.append(label)


def row(table, *first):
    """The row of table whose first cells are `first` (None when absent)."""
    return next((r for r in table if r[:len(first)] == list(first)), None)


def check_engines(md):
    engines = tables(md, "Capabilities")["Engines: which checks which memory model"]
    head = engines[0]
    col = {name: head.index(name) for name in head}
    by_name = {r[0]: r for r in engines[1:]}
    expect("engine rows: those whose cells are present", sorted(by_name),
           ["Relacy", "explorer", "model scheduler 'mine'", "real threads"])
    expect("Relacy's memory model", by_name["Relacy"][col["memory model"]].startswith("the C++ memory model"), True)
    expect("the explorer's memory model",
           by_name["explorer"][col["memory model"]].startswith("sequentially consistent"), True)
    expect("the explorer's race detection", "vector clocks" in by_name["explorer"][col["races on plain data"]], True)
    expect("an unknown scheduler's memory model", by_name["model scheduler 'mine'"][col["memory model"]],
           "not described: a scheduler this report does not know")
    expect("Relacy's cells", by_name["Relacy"][col["schedulers (cells)"]], "random (3), bound (6)")
    expect("Relacy's searches", by_name["Relacy"][col["searches run to their end"]], "bound 1 of 6")
    expect("the explorer's searches", by_name["explorer"][col["searches run to their end"]], "dpor 3 of 6")
    expect("real threads' searches", by_name["real threads"][col["searches run to their end"]], "–")
    expect("Relacy's flaws found", by_name["Relacy"][col["flaws found"]], "2 of 2")
    expect("the explorer's flaws found", by_name["explorer"][col["flaws found"]], "1 of 1")
    expect("real threads' flaws found", by_name["real threads"][col["flaws found"]], "1 of 1")
    expect("a flaw only Relacy finds", by_name["Relacy"][col["flaws no other engine found"]], "condvar/relaxed_flag")
    expect("no flaw only the explorer finds", by_name["explorer"][col["flaws no other engine found"]], "–")


def check_coverage(md):
    found = tables(md, "Proof or sample: Relacy iterations against dpor executions")
    correct = found["Correct designs"]
    expect("coverage columns", correct[0], ["design / flaw", "scenario", "random (Relacy)", "bound (Relacy)",
                                            "dpor (explorer)", "pct (explorer)", "mine (model scheduler 'mine')",
                                            "a pass is"])
    expect("a sample: every search stopped", row(correct, "condvar", "coalesce")[2:], [
        "3,000 it (sampled · 23 ms)", "150,016 it (stopped by its budget · 578 ms)",
        "74,860 exec (≈ 11% of its tree · 3,007 ms)", "1,000 exec (sampled · 34 ms)", "77 it (sampled · 5 ms)",
        "sample (dpor ≈ 11% of its tree)"])
    expect("a proof: bound and dpor ran to their end", row(correct, "condvar", "drop_with_waiters")[2:], [
        "–", "52,736 it ∎ (178 ms)", "7,584 exec ∎ (290 ms)", "–", "–", "proof (bound, dpor)"])
    expect("a proof within a preemption bound", row(correct, "condvar", "notify_latency/2w")[3:5] + [
        row(correct, "condvar", "notify_latency/2w")[-1]],
        ["150,016 it (stopped by its budget · 1,326 ms)", "508 exec ∎ (≤ 2 preemptions · 39 ms)",
         "proof within a bound (dpor)"])
    expect("an expected deadlock", row(correct, "condvar", "recursive_keys")[-1],
           "🟥 fails: deadlock (found by bound, dpor, as expected)")
    flaws = next(rows for caption, rows in found.items() if caption.startswith("Flaws:"))
    expect("a flaw found: where each search found it", row(flaws, "condvar/notify_one_unchained", "coalesce")[2:6],
           ["🟥 deadlock at it 9 (2 ms)", "🟥 deadlock at it 38,401 (99 ms)", "🟥 deadlock at exec 18 (1 ms)",
            "🟥 deadlock at exec 5 (4 ms)"])
    expect("a weak-memory flaw: dpor proves the SC executions", row(flaws, "condvar/relaxed_flag", "coalesce")[4],
           "12 exec ∎ (1 ms)")
    expect("the proof count", "A pass is a proof (a search ran to its end) in 2 of the 3 correct-design cells that "
           "pass, 1 of them within a bound only; a sample in the other 1 (bound ran to its end in 1 of 3; dpor ran "
           "to its end in 2 of 3)." in md, True)


def check_columns(md):
    detection = tables(md, "Time to detection")[""]
    expect("detection columns", detection[0], ["flaw (fastest scenario)", "random (Relacy)", "bound (Relacy)",
                                               "dpor (explorer)", "pct (explorer)", "mine (model scheduler 'mine')",
                                               "stress plain"])
    expect("detection in executions", row(detection, "condvar/notify_one_unchained")[3],
           "🟥 exec 18 · 1 ms (coalesce (1 of 1 scenarios))")
    expect("a flaw the explorer is not expected to show", row(detection, "condvar/relaxed_flag")[3],
           "not expected to show")
    matrix = tables(md, "Verdict matrix")[""]
    expect("matrix: ∎ where a search ran to its end", row(matrix, "condvar")[matrix[0].index("drop_with_waiters")],
           "🟩 pass (B✓∎ D✓∎)")
    expect("matrix: coalesce", row(matrix, "condvar")[matrix[0].index("coalesce")],
           "🟩 pass (R✓ B✓ D✓ P✓ M✓)<br>🟩 plain: pass")
    expect("matrix legend", "(R random (Relacy), B bound (Relacy), D dpor (explorer), P pct (explorer), "
           "M mine (model scheduler 'mine'); ✗ found a failure, ✓ passed, ∎ passed" in md, True)


def main():
    work = workdir.work_dir()
    md = workdir.report_md(work, {"models": models(), "stress": stress()}, ("bench", "designs"), "report_figures")
    for check in (check_engines, check_coverage, check_columns):
        try:
            check(md)
        except (KeyError, ValueError, TypeError, IndexError) as e:  # a table or row that is not there
            print(f"FAIL {check.__name__}: the report lacks what it reads: {type(e).__name__}: {e}")
            failures.append(check.__name__)
    if failures:
        sys.exit(f"report_figures: FAIL: {', '.join(failures)} (report in {work}/report)")
    print("report_figures: ok")


if __name__ == "__main__":
    main()
