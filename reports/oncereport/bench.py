"""Reading bench.json (Google Benchmark's JSON) into one record per benchmark.

Names follow docs/results.md: `workload/design/param:value...`. Google
Benchmark may append parts of its own (real_time, iterations:N) and, with
repetitions, aggregate rows (`_mean`, `_median`...): a record takes the median
aggregate when there is one, else the mean, else the average of the
repetitions, and parts that are not a known `param:value` are ignored.

The grammar lives here and inputs.py enforces it on load: a count param
(threads, waiters, keys) is a whole number from 1 to MAX_COUNT in ASCII digits, a
counter the report reads is a finite number >= 0 (floor_ratio > 0), so the
charts, tables and means below never meet a string axis or a log of zero.
"""

from collections import defaultdict
from dataclasses import dataclass, field

COUNT_PARAMS = ("threads", "waiters", "keys")   # the x axes: whole numbers
PARAMS = COUNT_PARAMS + ("placement",)  # placement: a word (same_worker, other_worker, other_worker_pinned)
MAX_COUNT = 2**31 - 1
# Aggregate rows a record is made of (the others, stddev and cv, are not read).
READ_AGGREGATES = ("median", "mean")


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
    # One workload's names may make two views: W4 by threads, and W4 by the
    # keys already in the map (`distinct_miss/<design>/threads:2/keys:N`).
    # A view takes the records that have `requires` and lack `excludes`.
    requires: str = ""
    excludes: str = ""
    label: str = ""          # the view's title and chart name, when not the workload's name

    def takes(self, record):
        return (record.workload == self.name and (not self.requires or self.requires in record.params)
                and (not self.excludes or self.excludes not in record.params))

    @property
    def title(self):
        return self.label or self.name


WORKLOADS = {
    "hit": Workload("hit", "threads", "core_ns_per_op", "ns per op (core time)", True, ("hit", "floor.lockfree")),
    "coalesce": Workload("coalesce", "threads", "rounds_per_sec", "rounds per second", False,
                         ("coalesce", "floor.barrier")),
    "notify": Workload("notify", "waiters", "wake_p50", "wake p50 (µs)", True, ("notify", "floor.futex")),
    "notify_task": Workload("notify_task", "waiters", "wake_p50", "wake p50 (µs)", True, ("notify", "floor.futex"),
                            split="placement"),
    "distinct_miss": Workload("distinct_miss", "threads", "core_ns_per_op", "ns per op (core time)", True,
                              ("hit", "floor.lockfree"), excludes="keys"),
    # W4 in a map that already holds N keys: flat when the miss does not grow with the map.
    "distinct_miss_keys": Workload("distinct_miss", "keys", "core_ns_per_op", "ns per op (core time)", True,
                                   ("hit", "floor.lockfree"), split="threads", requires="keys",
                                   label="distinct_miss_at_scale"),
    # W2 with the waiters as tasks on the executor, over the same floor as W2.
    "coalesce_task": Workload("coalesce_task", "threads", "rounds_per_sec", "rounds per second", False,
                              ("coalesce", "floor.barrier")),
}
WORKLOAD_NAMES = {w.name for w in WORKLOADS.values()}
MEMORY_COUNTERS = ("allocs_per_waiter", "bytes_per_waiter", "allocs_per_key", "bytes_per_key")
# Every counter some section reads; floor_ratio is a ratio of two positive figures.
READ_COUNTERS = tuple(dict.fromkeys(["floor_ratio", "wake_p99", "first_p50", "violations"]
                                    + [w.figure for w in WORKLOADS.values()] + list(MEMORY_COUNTERS)))
POSITIVE_COUNTERS = ("floor_ratio",)


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
    """`hit/condvar/threads:4/real_time` -> ('hit', 'condvar', {'threads': 4}),
    or None when the name is no `workload/design` the report reads. A known
    param with a value outside the grammar is a ValueError saying which."""
    parts = name.split("/")
    if len(parts) < 2 or (parts[0] not in WORKLOAD_NAMES and parts[0] != "memory"):
        return None
    params = {}
    for part in parts[2:]:
        key, sep, value = part.partition(":")
        if not sep or key not in PARAMS:
            continue
        if key in COUNT_PARAMS:
            # str.isdigit() also takes '²' and '٣', which int() refuses or reads as another digit.
            if not (value.isascii() and value.isdigit() and 1 <= int(value) <= MAX_COUNT):
                raise ValueError(f"param '{key}' should be a whole number from 1 to {MAX_COUNT}, not {value!r}")
            params[key] = int(value)
        elif not value:
            raise ValueError(f"param '{key}' has no value")
        else:
            params[key] = value
    return parts[0], parts[1], params


def run_name(entry):
    """The name an entry's repetitions and aggregates share."""
    return entry.get("run_name", entry["name"])


def is_read(entry):
    """Whether a record is made of this entry: not an error, and not an
    aggregate other than READ_AGGREGATES."""
    if entry.get("error_occurred"):
        return False
    return entry.get("run_type") != "aggregate" or entry.get("aggregate_name", "") in READ_AGGREGATES


def _counters(entry):
    """The READ_COUNTERS of an entry as floats. Only those: the others
    (iterations, real_time, a user's counter) are not checked on load and
    may be anything, an integer too large for a float included."""
    return {k: float(entry[k]) for k in READ_COUNTERS if k in entry}


def records(bench):
    """[Record] of the workloads docs/results.md names; others are left out."""
    runs = defaultdict(lambda: {"iteration": [], "aggregate": {}})
    for entry in bench["benchmarks"]:
        if not is_read(entry):
            continue
        run = runs[run_name(entry)]
        if entry.get("run_type") == "aggregate":
            run["aggregate"][entry.get("aggregate_name", "")] = entry
        else:
            run["iteration"].append(entry)
    out = []
    for name, run in runs.items():
        parsed = parse_name(name)
        if not parsed:
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


def repetitions(bench):
    """How many repetitions the run made of its benchmarks (Google
    Benchmark's `repetitions` field, --benchmark_repetitions): 1 when no
    entry says, the most any entry says otherwise."""
    said = [e["repetitions"] for e in bench["benchmarks"]
            if isinstance(e.get("repetitions"), int) and not isinstance(e.get("repetitions"), bool)]
    return max(said + [1])


def errors(bench):
    """Names of benchmarks that reported an error instead of figures."""
    return [e["name"] for e in bench["benchmarks"] if e.get("error_occurred")]


def chart_value(workload, record):
    """(value, is_ratio): floor_ratio when the benchmark has it, else its raw figure."""
    if "floor_ratio" in record.counters:
        return record.counters["floor_ratio"], True
    return record.counters.get(WORKLOADS[workload].figure), False
