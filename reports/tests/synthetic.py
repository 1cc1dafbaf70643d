#!/usr/bin/python3
"""Synthetic bench.json, designs.json and notify latency in the shape of
docs/results.md, for the report's tests while no real ones exist in the test
run (make bench is not part of ctest). Not measurements: every file says so in
its own content, and the report shows that in its environment section.
results_set() is a whole small set (models and stress cells too, and
shards.json), the valid start the property test mutates.

    synthetic.py OUT_DIR [--designs-from models.json] [--latency-into stress.json]
"""

import argparse
import json
import random

NOTE = "synthetic test fixture written by reports/tests/synthetic.py: not a measurement"
DESIGNS = ["condvar", "sharded_entry", "notify", "intrusive", "shared_future", "atomic_wait"]


def bench_json(designs, seed=1, threads=(1, 2, 4, 8), waiters=(1, 8, 64)):
    rng = random.Random(seed)
    benchmarks = []

    def add(name, **counters):
        benchmarks.append({"name": name, "run_name": name, "run_type": "iteration", "iterations": 1000,
                           "real_time": 1.0, "cpu_time": 1.0, "time_unit": "ns", **counters})

    for t in threads:
        floor_ns = 2.0 + rng.random()
        if t == 2:  # W4 at scale's floor: a random load in N keys' memory
            for keys, load_ns in ((10000, 10.0), (1000000, 190.0), (10000000, 330.0)):
                add(f"distinct_miss/floor.random_load/threads:2/keys:{keys}/iterations:32/manual_time",
                    core_ns_per_op=load_ns, floor_ratio=load_ns / floor_ns)
        add(f"hit/floor.lockfree/threads:{t}/real_time", core_ns_per_op=floor_ns, ns_per_op=floor_ns)
        add(f"hit/floor.read_lock/threads:{t}/real_time", core_ns_per_op=floor_ns * 3)
        add(f"hit/floor.shared_read_lock/threads:{t}/real_time", core_ns_per_op=floor_ns * (3 + t))
        add(f"coalesce/floor.barrier/threads:{t}", rounds_per_sec=50000.0 / t)
        for i, d in enumerate(designs):
            ratio = 1.2 + i * 0.4 + t * rng.random() * 0.3
            add(f"hit/{d}/threads:{t}/real_time", core_ns_per_op=floor_ns * ratio, ns_per_op=floor_ns * ratio,
                ops_per_sec=1e9 / (floor_ns * ratio), floor_ratio=ratio)
            add(f"distinct_miss/{d}/threads:{t}/real_time", core_ns_per_op=40.0 * ratio, floor_ratio=20.0 * ratio)
            add(f"coalesce/{d}/threads:{t}", rounds_per_sec=50000.0 / t / (1.1 + i * 0.1), computes=1000.0,
                violations=0.0, floor_ratio=1.1 + i * 0.1)
            add(f"coalesce_task/{d}/threads:{t}", rounds_per_sec=50000.0 / t / (1.3 + i * 0.1), computes=1000.0,
                violations=0.0, floor_ratio=1.3 + i * 0.1)
            if t == 2:  # W4 in a map of N keys, flat but for a little growth
                for j, keys in enumerate((10000, 1000000, 10000000)):
                    add(f"distinct_miss/{d}/threads:2/keys:{keys}/iterations:32/manual_time",
                        core_ns_per_op=40.0 * ratio * (1 + 0.1 * j), floor_ratio=20.0 * ratio * (1 + 0.1 * j))
    for w in waiters:
        add(f"notify/floor.futex/waiters:{w}", wake_p50=5.0 + w * 0.2, wake_p99=20.0 + w)
        add(f"notify/floor.condvar/waiters:{w}", wake_p50=8.0 + w * 0.3, wake_p99=30.0 + w)
        add(f"notify/floor.spin/waiters:{w}", wake_p50=0.5, wake_p99=2.0)
        for placement in ("same_worker", "other_worker", "other_worker_pinned"):
            add(f"notify_task/floor.executor/waiters:{w}/placement:{placement}", wake_p50=(5.0 + w * 0.2) * 1.5,
                wake_p99=(5.0 + w * 0.2) * 6, first_p50=5.0, not_blocked=0.0, floor_ratio=1.5)
        for i, d in enumerate(designs):
            p50 = (5.0 + w * 0.2) * (1.1 + 0.3 * i)
            add(f"notify/{d}/waiters:{w}", wake_p50=p50, wake_p99=p50 * 4, not_blocked=0.0,
                floor_ratio=1.1 + 0.3 * i)
            for placement in ("same_worker", "other_worker", "other_worker_pinned"):
                add(f"notify_task/{d}/waiters:{w}/placement:{placement}", wake_p50=p50 * 2, wake_p99=p50 * 9,
                    first_p50=p50, not_blocked=0.0, floor_ratio=2.2 + 0.3 * i)
            per_waiter = 0.0 if d in ("intrusive", "atomic_wait") else 1.0
            add(f"memory/{d}/waiters:{w}", allocs_per_waiter=per_waiter, bytes_per_waiter=per_waiter * 64,
                allocs_per_key=2.0, bytes_per_key=160.0)
    return {"context": {"date": "synthetic", "num_cpus": 2, "library_build_type": "release", "note": NOTE},
            "benchmarks": benchmarks}


def designs_json(designs, flaws):
    return {"note": NOTE,
            "designs": [{"design": d,
                         "traits": {"blocking_wait": True, "async_wait": d in ("notify", "intrusive"),
                                    "timeouts": d != "shared_future",
                                    "allocates_per_waiter": d not in ("intrusive", "atomic_wait"),
                                    "on_close": "wakes every waiter with closed (synthetic)",
                                    "leader_failure": "waiters get leader_failed (synthetic)"},
                         "flaws": [{"flaw": f, "bug": f"synthetic description of {f}"} for f in flaws.get(d, [])]}
                        for d in designs],
            "scenarios": []}


def shards_json(matrix=True):
    """shards.json as models/bench_shards.sh writes it: a balanced dealing
    (largest shard 1.2x the mean at 8) and a 1.85x matrix on 2 cores."""
    rows = [{"shards": n, "wall_s": 120.0 / min(n, 2) + n, "executions": 486816,
             "time_max_over_mean": 1.0 + 0.05 * (n - 1), "executions_max_over_mean": 1.0 + 0.03 * (n - 1)}
            for n in (1, 2, 4, 8)]
    return {"date": "synthetic", "nproc": 2, "binary": "build/release/oncecheck-explore",
            "cell": "--design condvar --flaw none --scenario coalesce --scheduler dpor", "note": NOTE,
            "rows": rows,
            "matrix": {"jobs1_wall_s": 370.0, "jobs2_wall_s": 200.0, "speedup": 1.85,
                       "jobs1_exit": 0, "jobs2_exit": 0} if matrix else None}


def latency_cells(designs):
    cells = []
    for i, d in enumerate(designs):
        rows = [{"waiter": kind, "notifier_yields": y, "samples": 500,
                 "p50_us": base * (1 + 0.2 * i), "p99_us": base * (4 + 0.5 * i), "max_us": base * 10}
                for kind, base0 in (("thread", 8.0), ("task_same_worker", 40.0), ("task_other_worker", 6.0))
                for y in (False, True)
                for base in [base0 if (y or kind != "task_same_worker") else base0 * 50]]
        cells.append({"design": d, "flaw": "none", "scenario": "notify_latency/2w", "mode": "stress",
                      "scheduler": "plain", "threads": 3, "expected": "pass", "verdict": "pass",
                      "reason": NOTE, "iterations": 500, "elapsed_ms": 100.0, "first_failure_iteration": None,
                      "replay": None, "trace": "", "exhausted_search": False, "matches_expected": True,
                      "detected": False, "counts_for_detection": False, "latency": rows})
    return cells


def cell(design, flaw, scenario, mode, scheduler, verdict, expected=None, **extra):
    """One cell of models.json or stress.json; a failing one has its first
    failure and a replay command."""
    failed = verdict != "pass"
    expected = verdict if expected is None else expected
    # The runner's derived fields (harness/cell_result.hpp), unless given.
    derived = {"matches_expected": verdict in expected.split("|"), "detected": failed,
               "counts_for_detection": flaw != "none" and expected != "pass"}
    return {**derived, "design": design, "flaw": flaw, "scenario": scenario, "mode": mode, "scheduler": scheduler,
            "threads": 3, "expected": expected, "verdict": verdict,
            "reason": NOTE, "iterations": 40 if failed else 1000, "elapsed_ms": 3.5 if failed else 120.0,
            "first_failure_iteration": 7 if failed else None,
            "replay": f"oncecheck-{mode} --design {design} --flaw {flaw} --replay '7 '" if failed else None,
            "trace": "[   7] T1 synthetic step\n" if failed else "", "exhausted_search": scheduler == "full",
            **extra}


def results_set(designs=("condvar", "notify")):
    """{models, stress, bench, designs, shards}: a small valid results set with every
    section of the report drawn: two correct designs and a flaw each, a miss,
    a scheduler of every kind (dpor and pct with their own fields), latency,
    repetitions with aggregates, a benchmark error."""
    models, stress = [], []
    for d in designs:
        for scenario in ("coalesce", "leader_fails"):
            # dpor runs to its end in coalesce (a proof) and is stopped by its
            # budget with an estimate and a preemption bound in leader_fails
            dpor = {"executions": 310, "estimated_fraction": None, "exhausted_search": True} \
                if scenario == "coalesce" else {"executions": 9000, "estimated_fraction": 0.3, "preemption_bound": 2}
            for sched, extra in (("random", {}), ("bound", {"preemption_bound": 2}), ("dpor", dpor),
                                 ("pct", {"executions": 50, "estimated_fraction": 0.4})):
                models.append(cell(d, "none", scenario, "model", sched, "pass", detected=False,
                                   matches_expected=True, **extra))
                found = sched != "random" or scenario == "coalesce"
                models.append(cell(d, "check_then_act", scenario, "model", sched,
                                   "duplicate_compute" if found else "pass", expected="duplicate_compute",
                                   detected=found, matches_expected=found, **extra))
            for sched in ("plain", "tsan"):
                stress.append(cell(d, "none", scenario, "stress", sched, "pass"))
                stress.append(cell(d, "check_then_act", scenario, "stress", sched, "duplicate_compute",
                                   expected="duplicate_compute|pass"))
        models.append(cell(d, "lost_cas", "coalesce", "model", "dpor", "not_linearizable", executions=12))
    bench = bench_json(list(designs), threads=(1, 2), waiters=(1, 8))
    runs = [dict(bench["benchmarks"][4], name=bench["benchmarks"][4]["name"] + f"/repeats:{i}") for i in (0, 1)]
    bench["benchmarks"] += runs + [
        dict(runs[0], run_type="aggregate", aggregate_name="median"),
        dict(runs[0], run_type="aggregate", aggregate_name="stddev", floor_ratio=0.0),
        {"name": "hit/condvar/threads:16", "run_name": "hit/condvar/threads:16", "error_occurred": True,
         "error_message": "synthetic error"}]
    bench["context"]["caches"] = [{"type": "Data", "level": 1, "size": 32768, "num_sharing": 1}]
    return {"models": models, "stress": stress + latency_cells(list(designs)), "bench": bench,
            "designs": designs_json(list(designs), {d: ["check_then_act", "lost_cas"] for d in designs}),
            "shards": shards_json()}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("out")
    p.add_argument("--designs-from", help="models.json whose correct designs and flaws to use")
    p.add_argument("--latency-into", help="a stress.json to add synthetic notify_latency cells to (rewritten)")
    args = p.parse_args()
    designs, flaws = DESIGNS, {}
    if args.designs_from:
        with open(args.designs_from) as f:
            cells = json.load(f)
        designs = list(dict.fromkeys(c["design"] for c in cells))
        for c in cells:
            if c["flaw"] != "none" and c["flaw"] not in flaws.setdefault(c["design"], []):
                flaws[c["design"]].append(c["flaw"])
    with open(f"{args.out}/bench.json", "w") as f:
        json.dump(bench_json(designs), f, indent=1)
    with open(f"{args.out}/designs.json", "w") as f:
        json.dump(designs_json(designs, flaws), f, indent=1)
    if args.latency_into:
        with open(args.latency_into) as f:
            stress = json.load(f)
        with open(args.latency_into, "w") as f:
            json.dump(stress + latency_cells(designs), f, indent=1)


if __name__ == "__main__":
    main()
