#!/usr/bin/python3
"""CTest report_targets: "Which design for which load" names the winners of
issue 14's targets from the figures of the bench.json it is given, and marks
each target met, not met or not measured.

    test_targets.py --work DIR

The synthetic bench.json is built so that a hard-coded or a careless
ranking gives the wrong answer: the design best at T=2 is not the winner of
a "T=2 and T=8" target, a design with a violation or one excluded by its
model runs never wins however fast, the other_worker placement is judged and
not same_worker nor other_worker_pinned, a target met at exactly its bound
is met, coalesce_task without floor_ratio is computed from floor.barrier's
rounds/s, and a second
bench.json with the figures swapped makes another design win, and W4 at
scale's figures end with floor.random_load's and W3 tasks' with
floor.executor's (other_worker's, not another placement's), floors that
never compete.
Without the keys:N and notify_task benchmarks those targets are "not
measured".
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPORTS = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, REPORTS)

from oncereport import bench as B  # noqa: E402
from oncereport import benchmarks  # noqa: E402
from oncereport import targets  # noqa: E402
from synthetic import NOTE, cell  # noqa: E402
from test_figures import expect, failures, row, tables  # noqa: E402
import workdir  # noqa: E402

DESIGNS = ["intrusive", "notify", "condvar"]  # condvar fails a model run: never advised


def figures(swap=False):
    """{workload: {design: {x: value}}}; swap exchanges intrusive's and notify's."""
    f = {
        # floor_ratio over floor.lockfree at T=2, T=8: notify is best at T=2 but 3.5x at T=8
        "hit": {"intrusive": {2: 2.5, 8: 2.9}, "notify": {2: 1.5, 8: 3.5}, "condvar": {2: 1.0, 8: 1.0}},
        # share of floor.barrier's rounds/s
        "coalesce": {"intrusive": {2: 0.75, 8: 0.85}, "notify": {2: 0.9, 8: 0.5}, "condvar": {2: 0.99, 8: 0.99}},
        # rounds/s, written without floor_ratio (floor.barrier: 100k at T=2, 50k at T=8)
        "coalesce_task": {"intrusive": {2: 60000.0, 8: 45000.0}, "notify": {2: 65000.0, 8: 45000.0},
                          "condvar": {2: 99000.0, 8: 49000.0}},
        # floor_ratio over floor.futex; intrusive meets it at exactly 1.1
        "notify": {"intrusive": {1: 1.05, 8: 1.08, 64: 1.1}, "notify": {1: 1.0, 8: 1.0, 64: 1.3},
                   "condvar": {1: 1.0, 8: 1.0, 64: 1.0}},
        # wake p50 (us) of placement:other_worker
        "notify_task": {"intrusive": {1: 4.0, 8: 4.5, 64: 6.0}, "notify": {1: 3.0, 8: 4.0, 64: 4.9},
                        "condvar": {1: 1.0, 8: 1.0, 64: 1.0}},
        # core ns at keys:N, T=2
        "keys": {"intrusive": {10000: 300.0, 1000000: 320.0, 10000000: 350.0},
                 "notify": {10000: 200.0, 1000000: 250.0, 10000000: 390.0},
                 "condvar": {10000: 100.0, 1000000: 100.0, 10000000: 100.0}},
    }
    if swap:
        for per_design in f.values():
            per_design["intrusive"], per_design["notify"] = per_design["notify"], per_design["intrusive"]
    return f


def bench_json(f, with_scale=True):
    out = []

    def add(name, **counters):
        out.append({"name": name, "run_name": name, "run_type": "iteration", "iterations": 10,
                    "real_time": 1.0, "cpu_time": 1.0, "time_unit": "us", **counters})

    floor_rounds = {2: 100000.0, 8: 50000.0}
    for t in (2, 8):
        add(f"hit/floor.lockfree/threads:{t}/manual_time", core_ns_per_op=2.0, floor_ratio=1.0)
        add(f"coalesce/floor.barrier/threads:{t}/manual_time", rounds_per_sec=floor_rounds[t])
        for d in DESIGNS:
            add(f"hit/{d}/threads:{t}/manual_time", core_ns_per_op=2.0 * f["hit"][d][t], floor_ratio=f["hit"][d][t])
            share = f["coalesce"][d][t]
            add(f"coalesce/{d}/threads:{t}/manual_time", rounds_per_sec=floor_rounds[t] * share, computes=100.0,
                violations=1.0 if d == "condvar" else 0.0, floor_ratio=1 / share)
            add(f"coalesce_task/{d}/threads:{t}/manual_time", rounds_per_sec=f["coalesce_task"][d][t],
                violations=0.0)
    for w in (1, 8, 64):
        add(f"notify/floor.futex/waiters:{w}/manual_time", wake_p50=10.0, wake_p99=20.0)
        for d in DESIGNS:
            add(f"notify/{d}/waiters:{w}/manual_time", wake_p50=10.0 * f["notify"][d][w], wake_p99=50.0,
                floor_ratio=f["notify"][d][w])
            if with_scale:
                p50 = f["notify_task"][d][w]
                add(f"notify_task/{d}/waiters:{w}/placement:other_worker/manual_time", wake_p50=p50, wake_p99=p50 * 3,
                    floor_ratio=p50 / 10.0)
                add(f"notify_task/{d}/waiters:{w}/placement:same_worker/manual_time", wake_p50=0.5, wake_p99=1.0,
                    floor_ratio=0.05)
                add(f"notify_task/{d}/waiters:{w}/placement:other_worker_pinned/manual_time", wake_p50=80.0,
                    wake_p99=160.0, floor_ratio=8.0)
    if with_scale:
        # The executor alone, faster than every design (the winners above are unchanged).
        for w, p50 in ((1, 0.9), (8, 2.5), (64, 4.5)):
            for placement in ("same_worker", "other_worker", "other_worker_pinned"):
                add(f"notify_task/floor.executor/waiters:{w}/placement:{placement}/manual_time",
                    wake_p50=p50 if placement == "other_worker" else 70.0, wake_p99=p50 * 3, floor_ratio=p50 / 10.0)
        for n, ns in ((10000, 10.0), (1000000, 200.0), (10000000, 330.0)):
            add(f"distinct_miss/floor.random_load/threads:2/keys:{n}/iterations:32/manual_time", core_ns_per_op=ns,
                floor_ratio=ns / 2.0)
    for d in DESIGNS:
        add(f"distinct_miss/{d}/threads:2/manual_time", core_ns_per_op=900.0, floor_ratio=450.0)
        if with_scale:
            for n, ns in f["keys"][d].items():
                add(f"distinct_miss/{d}/threads:2/keys:{n}/iterations:32/manual_time", core_ns_per_op=ns,
                    floor_ratio=ns / 2.0)
    return {"context": {"date": "synthetic", "num_cpus": 2, "note": NOTE}, "benchmarks": out}


def models():
    cells = [cell(d, "none", "coalesce", "model", "random", "pass") for d in DESIGNS]
    cells.append(cell("condvar", "none", "drop_with_waiters", "model", "random", "deadlock", expected="pass"))
    return cells


def judged(doc):
    trusted = ["intrusive", "notify"]  # what the models above leave
    return {j.workload: j for j in targets.judge_all(B.records(doc), trusted)}


def check_winners(label, got, want):
    """want: {workload: (best, met)}"""
    for workload, (best, met) in want.items():
        j = got.get(workload)
        expect(f"{label}: {workload} best", j and j.best, best)
        expect(f"{label}: {workload} met", j and j.met, met)


def main():
    work = workdir.work_dir()
    check_winners("figures", judged(bench_json(figures())), {
        "W1 hit": ("intrusive", True),                # notify is better at T=2, worse at T=8
        "W2 coalesce": ("intrusive", True),           # condvar's 0.99 has a violation (and fails a model)
        "W2 with tasks": ("notify", False),           # 0.65 < 0.7, computed from floor.barrier's rounds/s
        "W3 notify": ("intrusive", True),             # 1.1 at W=64: met at its bound
        "W3 tasks on another worker": ("notify", True),  # not same_worker's 0.5 us, nor pinned's 80
        "W4 miss at scale": ("intrusive", True),      # notify's 390 ns is under 400 but 1.95x from 10^4
    })
    # W4 at scale's figures end with the machine's floor at each N; the floor never competes
    scale = judged(bench_json(figures()))["W4 miss at scale"].figures
    expect("W4 at scale names floor.random_load", scale.endswith("; floor.random_load 10 / 200 / 330 ns"), True)
    # W3 tasks' figures end with floor.executor's at placement:other_worker
    tasks = judged(bench_json(figures()))["W3 tasks on another worker"]
    expect("W3 tasks names floor.executor", tasks.figures.endswith("; floor.executor 0.9 / 2.5 / 4.5 µs"), True)
    # and each placement's chart and table show that placement's floor.executor, not the last one read
    for view in benchmarks.views(B.records(bench_json(figures()))):
        if view.workload.name == "notify_task":
            shown = {x: r.params["placement"] for x, r in view.floors.get("floor.executor", {}).items()}
            expect(f"notify_task {view.split_value}: floor.executor of its placement", shown,
                   {w: view.split_value for w in (1, 8, 64)})
    flat_floor = bench_json(figures())
    flat_floor["benchmarks"] = [dict(b, core_ns_per_op=50.0, floor_ratio=25.0)
                                if b["name"].startswith("distinct_miss/floor.random_load/") else b
                                for b in flat_floor["benchmarks"]]
    check_winners("a flat, fast floor.random_load", judged(flat_floor), {"W4 miss at scale": ("intrusive", True)})
    check_winners("swapped", judged(bench_json(figures(swap=True))), {
        "W1 hit": ("notify", True), "W2 coalesce": ("notify", True), "W2 with tasks": ("intrusive", False),
        "W3 notify": ("notify", True), "W3 tasks on another worker": ("intrusive", True),
        "W4 miss at scale": ("notify", True),
    })
    # intrusive's 10^7 map skipped (its fill ran out of budget): notify, measured everywhere, wins, not flat
    skipped = bench_json(figures())
    skipped["benchmarks"] = [dict(b, error_occurred=True, error_message="skipped: synthetic")
                             if b["name"].startswith("distinct_miss/intrusive/threads:2/keys:10000000/") else b
                             for b in skipped["benchmarks"]]
    check_winners("intrusive skipped at 10^7", judged(skipped), {"W4 miss at scale": ("notify", False)})
    # a run of 10^4 and 10^6 only: figures, but not the target's span
    short = bench_json(figures())
    short["benchmarks"] = [b for b in short["benchmarks"] if "/keys:10000000/" not in b["name"]]
    check_winners("no 10^7 in the run", judged(short), {"W4 miss at scale": ("intrusive", False)})
    unmeasured = bench_json(figures(), with_scale=False)
    unmeasured["benchmarks"] = [b for b in unmeasured["benchmarks"] if not b["name"].startswith("coalesce_task/")]
    got = judged(unmeasured)
    expect("without them: no coalesce_task row", "W2 with tasks" in got, False)
    check_winners("without them", got, {"W3 tasks on another worker": ("", None), "W4 miss at scale": ("", None),
                                        "W1 hit": ("intrusive", True)})
    miss = got["W4 miss at scale"].figures
    expect("without them: W4 says what is missing", miss.startswith("not measured"), True)

    # The same through make_report: the table of the summary section.
    md = workdir.report_md(work, {"models": models(), "bench": bench_json(figures())}, ("stress", "designs"),
                           "report_targets")
    table = next((t for caption, t in tables(md, "Which design for which load").items()
                  if caption.startswith("Targets")), None)
    expect("report.md has the targets table", table is not None, True)
    for workload, best, mark in (("W1 hit", "intrusive", "met"), ("W2 with tasks", "notify", "not met"),
                                 ("W4 miss at scale", "intrusive", "met")):
        r = row(table or [], workload)
        expect(f"report.md: {workload}", r and (r[2], r[-1].split()[-1] if mark == "met" else " ".join(
            r[-1].split()[-2:])), (best, mark))
    expect("report.md: one run, no word of medians", any("median" in c for c in tables(md, "Which design for which load")),
           False)
    # With repetitions (make bench's default), the caption says the figures are medians.
    repeated = bench_json(figures())
    repeated["benchmarks"] = [dict(b, repetitions=3) for b in repeated["benchmarks"]]
    md = workdir.report_md(work, {"models": models(), "bench": repeated}, ("stress", "designs"), "report_targets_reps")
    expect("report.md: repetitions named in the caption",
           any(c.startswith("Targets") and "median of 3 repetitions" in c
               for c in tables(md, "Which design for which load")), True)
    if failures:
        sys.exit(f"report_targets: FAIL: {', '.join(failures)} (report in {work}/report)")
    print("report_targets: ok")


if __name__ == "__main__":
    main()
