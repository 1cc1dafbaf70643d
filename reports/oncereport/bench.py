"""Reading bench.json (Google Benchmark's JSON) into one record per benchmark.

Names follow docs/results.md: `workload/design/param:value...`. Google
Benchmark may append parts of its own (real_time, iterations:N) and, with
repetitions, aggregate rows (`_mean`, `_median`...): a record takes the median
aggregate when there is one, else the mean, else the average of the
repetitions, and parts that are not a known `param:value` are ignored.
"""

from collections import defaultdict
from dataclasses import dataclass, field

PARAMS = ("threads", "waiters", "placement")


@dataclass(frozen=True)
class Workload:
    """How a workload is read: its x axis, its figure and its floor."""
    name: str
    x: str                   # the param across the chart
    figure: str              # the raw counter floor_ratio is made of
    unit: str
    lower_is_better: bool
    floor: tuple             # (workload, floor design) its floor_ratio divides by
    split: str = ""          # a param that makes one chart per value


WORKLOADS = {
    "hit": Workload("hit", "threads", "core_ns_per_op", "ns per op (core time)", True, ("hit", "floor.lockfree")),
    "coalesce": Workload("coalesce", "threads", "rounds_per_sec", "rounds per second", False,
                         ("coalesce", "floor.barrier")),
    "notify": Workload("notify", "waiters", "wake_p50", "wake p50 (µs)", True, ("notify", "floor.futex")),
    "notify_task": Workload("notify_task", "waiters", "wake_p50", "wake p50 (µs)", True, ("notify", "floor.futex"),
                            split="placement"),
    "distinct_miss": Workload("distinct_miss", "threads", "core_ns_per_op", "ns per op (core time)", True,
                              ("hit", "floor.lockfree")),
}
MEMORY_COUNTERS = ("allocs_per_waiter", "bytes_per_waiter", "allocs_per_key", "bytes_per_key")


@dataclass
class Record:
    workload: str
    design: str
    params: dict
    counters: dict = field(default_factory=dict)

    @property
    def is_floor(self):
        return self.design.startswith("floor.")

    def key(self):
        """Identifies the benchmark across runs (the baseline diff)."""
        return (self.workload, self.design) + tuple(sorted(self.params.items()))


def parse_name(name):
    """`hit/condvar/threads:4/real_time` -> ('hit', 'condvar', {'threads': 4}), or None."""
    parts = name.split("/")
    if len(parts) < 2:
        return None
    params = {}
    for part in parts[2:]:
        key, sep, value = part.partition(":")
        if sep and key in PARAMS:
            params[key] = int(value) if value.isdigit() else value
    return parts[0], parts[1], params


def _counters(entry):
    return {k: float(v) for k, v in entry.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool)}


def records(bench):
    """[Record] of the workloads docs/results.md names; others are left out."""
    runs = defaultdict(lambda: {"iteration": [], "aggregate": {}})
    for entry in bench["benchmarks"]:
        if entry.get("error_occurred"):
            continue
        run = runs[entry.get("run_name", entry["name"])]
        if entry.get("run_type") == "aggregate":
            run["aggregate"][entry.get("aggregate_name", "")] = entry
        else:
            run["iteration"].append(entry)
    out = []
    for run_name, run in runs.items():
        parsed = parse_name(run_name)
        if not parsed or (parsed[0] not in WORKLOADS and parsed[0] != "memory"):
            continue
        if "median" in run["aggregate"] or "mean" in run["aggregate"]:
            counters = _counters(run["aggregate"].get("median") or run["aggregate"]["mean"])
        elif run["iteration"]:
            each = [_counters(e) for e in run["iteration"]]
            counters = {k: sum(c[k] for c in each if k in c) / sum(1 for c in each if k in c)
                        for k in set().union(*each)}
        else:
            continue
        out.append(Record(parsed[0], parsed[1], parsed[2], counters))
    return out


def errors(bench):
    """Names of benchmarks that reported an error instead of figures."""
    return [e["name"] for e in bench["benchmarks"] if e.get("error_occurred")]


def chart_value(workload, record):
    """(value, is_ratio): floor_ratio when the benchmark has it, else its raw figure."""
    if "floor_ratio" in record.counters:
        return record.counters["floor_ratio"], True
    return record.counters.get(WORKLOADS[workload].figure), False
