"""Issue 14's targets, judged on the figures of one bench.json.

With repetitions (make bench runs 3) a record's figures are the median
aggregates (bench.records), and floor_ratio is then the median figure over
the floor's median figure (bench/floor_table.hpp): a target near its limit
is judged on the middle of three runs of both sides, not on one.

Per workload, the correct design that comes closest to (or furthest past)
its target, with its ratio to the floor of the same run, and whether the
target is met. Nothing is written by hand: the winner is the design whose
worst figure across the target's counts is best, measured as a fraction of
the target (so a design that is fast at T=2 but far off at T=8 does not
win a "T=2 and T=8" target). A workload with no figure for any correct
design is "not measured", never met.

The targets (issue 14, as ratios to the floors of the same run):
  W1 hit          some design <= 3x floor.lockfree at T=2 and T=8
  W2 coalesce     >= 0.7x floor.barrier's rounds/s at T=2, >= 0.8x at T=8, 0 violations
  W2 with tasks   coalesce_task, the same over floor.barrier (when present)
  W3 notify       a sleeping-thread design within 1.1x floor.futex at W=1, 8, 64
  W3 with tasks   notify_task placement:other_worker wake p50 <= 5 us at every W;
                  the figures end with floor.executor's at each W when the
                  run has it (the executor alone, no map)
  W4 at scale     distinct_miss threads:2 keys:N <= 400 ns (core time) at every
                  N, and largest / smallest across N <= 1.3 (flat); the
                  figures end with floor.random_load's at each N when the run
                  has it (a random load in that much memory)
"""

from dataclasses import dataclass

from . import bench as B


@dataclass
class Judged:
    workload: str       # "W1 hit"
    target: str         # what the issue asks, in words
    best: str           # the winning design, "" when nothing was measured
    figures: str        # its figures, as the target reads them
    met: object         # True, False, or None (not measured)


def ratio_to_floor(record, records):
    """The record's figure over its floor's (lower is better), floor_ratio
    when the binary wrote it, else computed from the floor's figure at the
    same x; None when neither is there."""
    if "floor_ratio" in record.counters:
        return record.counters["floor_ratio"]
    w = next(w for w in B.WORKLOADS.values() if w.takes(record))
    floor = next((r for r in records if (r.workload, r.design) == w.floor
                  and r.params.get(w.x) == record.params.get(w.x)), None)
    mine, theirs = record.counters.get(w.figure), floor and floor.counters.get(w.figure)
    if not (mine and theirs):
        return None
    return mine / theirs if w.lower_is_better else theirs / mine


def _find(records, workload, design, **params):
    return next((r for r in records if r.workload == workload and r.design == design
                 and all(r.params.get(k) == v for k, v in params.items())
                 and set(r.params) == set(params)), None)


def _best(candidates):
    """candidates: {design: (score, figures, met)}, score a fraction of the
    target (<= 1 meets it, lower is better). The lowest score wins; ties go
    to the first design (bench.json's order, the catalogue's)."""
    if not candidates:
        return None
    design = min(candidates, key=lambda d: candidates[d][0])
    return (design,) + candidates[design]


def _judged(workload, target, candidates, missing):
    won = _best(candidates)
    if won is None:
        return Judged(workload, target, "", f"not measured: {missing}", None)
    design, _, figures, met = won
    return Judged(workload, target, design, figures, met)


def _ratio_candidates(records, designs, workload, param, counts, limit, floor):
    """Candidates for "at most `limit`x `floor` at every count": each
    design's worst ratio over the counts, as a fraction of the limit."""
    letter = "T" if param == "threads" else "W"
    candidates = {}
    for d in designs:
        runs = [_find(records, workload, d, **{param: c}) for c in counts]
        ratios = [ratio_to_floor(r, records) if r else None for r in runs]
        if None in ratios:
            continue
        worst = max(ratios)
        candidates[d] = (worst / limit, ", ".join(f"{x:.2f}× {floor} at {letter}={c}" for c, x in zip(counts, ratios)),
                         worst <= limit)
    return candidates


def judge_hit(records, designs):
    return _judged("W1 hit", "≤ 3× floor.lockfree at T=2 and T=8",
                   _ratio_candidates(records, designs, "hit", "threads", (2, 8), 3.0, "floor.lockfree"),
                   "no hit/<design>/threads:2 and threads:8 with a floor")


def judge_coalesce(records, designs, workload="coalesce", label="W2 coalesce"):
    wants = {2: 0.7, 8: 0.8}
    candidates = {}
    for d in designs:
        runs = {t: _find(records, workload, d, threads=t) for t in wants}
        if None in runs.values():
            continue
        ratios = {t: ratio_to_floor(r, records) for t, r in runs.items()}
        if None in ratios.values():
            continue
        share = {t: 1 / ratios[t] for t in wants}  # the design's rounds/s over floor.barrier's
        violations = sum(r.counters.get("violations", 0) for r in runs.values())
        score = max(wants[t] / share[t] for t in wants) if not violations else float("inf")
        figures = ", ".join(f"{share[t]:.2f}× floor.barrier at T={t}" for t in wants)
        if violations:
            figures += f", {violations:.0f} violations"
        candidates[d] = (score, figures, not violations and all(share[t] >= wants[t] for t in wants))
    return _judged(label, "≥ 0.7× floor.barrier at T=2, ≥ 0.8× at T=8, 0 violations", candidates,
                   f"no {workload}/<design>/threads:2 and threads:8 with a floor")


def judge_notify(records, designs):
    return _judged("W3 notify", "a sleeping-thread design ≤ 1.1× floor.futex at W=1, 8, 64",
                   _ratio_candidates(records, designs, "notify", "waiters", (1, 8, 64), 1.1, "floor.futex"),
                   "no notify/<design>/waiters:1, 8 and 64 with a floor")


def judge_notify_task(records, designs):
    counts, limit = (1, 8, 64), 5.0
    # The executor's own figure at each W, when the run has it: the same
    # rounds against no map (bench/task_wake_floor.hpp), what no design on
    # this executor can beat.
    floor = [_find(records, "notify_task", "floor.executor", waiters=w, placement="other_worker") for w in counts]
    floor_line = ("; floor.executor " + " / ".join(f"{r.counters['wake_p50']:.1f}" for r in floor) + " µs"
                  if all(r and "wake_p50" in r.counters for r in floor) else "")
    candidates = {}
    for d in designs:
        runs = [_find(records, "notify_task", d, waiters=w, placement="other_worker") for w in counts]
        if None in runs or any("wake_p50" not in r.counters for r in runs):
            continue
        p50 = [r.counters["wake_p50"] for r in runs]
        worst = max(p50)
        candidates[d] = (worst / limit, ", ".join(f"p50 {x:.1f} µs at W={w}" for w, x in zip(counts, p50))
                         + floor_line, worst <= limit)
    return _judged("W3 tasks on another worker", "notify_task placement:other_worker p50 ≤ 5 µs at W=1, 8, 64",
                   candidates, "no notify_task/<design>/waiters:W/placement:other_worker for W=1, 8, 64")


def judge_miss_at_scale(records, designs):
    """Only a design measured at every N of the run competes (one whose
    largest map was skipped is not flat "to 10^7"), and the target is met
    only when those N span 10^4 to 10^7."""
    limit_ns, limit_flat, span = 400.0, 1.3, (10_000, 10_000_000)
    at_scale = [r for r in records if r.workload == "distinct_miss" and r.params.get("threads") == 2
                and "keys" in r.params and "core_ns_per_op" in r.counters]
    every_n = sorted({r.params["keys"] for r in at_scale if not r.is_floor})
    # The machine's floor for random placement at each N, when the run has it:
    # what one load from a random place in that much memory costs.
    floor = {r.params["keys"]: r.counters["core_ns_per_op"] for r in at_scale if r.design == "floor.random_load"}
    floor_line = ("; floor.random_load " + " / ".join(f"{floor[n]:,.0f}" for n in every_n) + " ns"
                  if all(n in floor for n in every_n) else "")
    candidates = {}
    for d in designs:
        runs = sorted((r for r in at_scale if r.design == d), key=lambda r: r.params["keys"])
        if len(every_n) < 2 or [r.params["keys"] for r in runs] != every_n:
            continue
        ns = [r.counters["core_ns_per_op"] for r in runs]
        worst, flatness = max(ns), max(ns) / min(ns)
        ratios = [ratio_to_floor(r, records) for r in runs]
        figures = ", ".join(f"{x:,.0f} ns" + (f" ({q:.0f}× floor.lockfree)" if q else "") + f" at {r.params['keys']:,} keys"
                            for x, q, r in zip(ns, ratios, runs)) + f"; largest / smallest {flatness:.2f}"
        spans = every_n[0] <= span[0] and every_n[-1] >= span[1]
        if not spans:
            figures += f" (measured {every_n[0]:,} to {every_n[-1]:,} keys only)"
        figures += floor_line
        candidates[d] = (max(worst / limit_ns, flatness / limit_flat), figures,
                         spans and worst <= limit_ns and flatness <= limit_flat)
    return _judged("W4 miss at scale", "≤ 400 ns at T=2 and flat (largest / smallest ≤ 1.3) from 10^4 to 10^7 keys",
                   candidates, "no correct design with distinct_miss/<design>/threads:2/keys:N at every N of the "
                               "run (two N or more)")


def judge_all(records, designs):
    """[Judged] for the workloads of issue 14 among `designs` (the correct
    ones); coalesce_task only when bench.json has it."""
    out = [judge_hit(records, designs), judge_coalesce(records, designs)]
    if any(r.workload == "coalesce_task" for r in records):
        out.append(judge_coalesce(records, designs, "coalesce_task", "W2 with tasks"))
    out += [judge_notify(records, designs), judge_notify_task(records, designs),
            judge_miss_at_scale(records, designs)]
    return out
