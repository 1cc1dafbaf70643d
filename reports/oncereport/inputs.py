"""Loading and checking the result files of docs/results.md.

Every reader of the report trusts what this module hands over: a file that does
not follow the contract stops the report here, with one line that names the
file and what is wrong with it (InputError), never with a traceback from deep
inside a chart. A missing optional file is not an error: its section says
which command produces it.
"""

import json
import math
import os
from dataclasses import dataclass, field

from . import bench as B

VERDICTS = ("pass", "deadlock", "hang", "lost_wakeup", "duplicate_compute", "wrong_value",
            "data_race", "use_after_free", "leak", "livelock", "not_linearizable", "assert", "unsupported",
            # an outside end (a signal, a time limit): not something the design did
            "interrupted", "unfinished")
MODES = ("model", "stress")


class InputError(Exception):
    """A missing or malformed input file: `path` and a one-line `what`."""

    def __init__(self, path, what):
        super().__init__(f"{path}: {what}")
        self.path = path
        self.what = what


@dataclass
class Results:
    """One run's inputs. Optional ones are None when their file is absent."""
    models: list = None
    stress: list = None
    bench: dict = None
    designs: dict = None
    shards: dict = None
    paths: dict = field(default_factory=dict)


# A kind of value: a function that returns None for a value of the kind, else
# what the value should be ("a whole number >= 0"). Every field the report
# reads has one, so a section never meets a value it cannot format, sort, plot
# or take the log of.
def _is_number(v):
    # JSON true/false are Python ints too: a boolean is never a number here.
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _finite(v):
    try:
        return math.isfinite(v)
    except OverflowError:  # an int too large for a float: a chart or `:.0f` would raise
        return False


def TEXT(v):
    return None if isinstance(v, str) else "a string"


def NAME(v):
    return None if isinstance(v, str) and v else "a non-empty string"


def FLAG(v):
    return None if isinstance(v, bool) else "a boolean"


def COUNT(v):
    return None if _is_number(v) and isinstance(v, int) and v >= 0 else "a whole number >= 0"


def AMOUNT(v):
    return None if _is_number(v) and _finite(v) and v >= 0 else "a finite number >= 0"


def OBJECT(v):
    return None if isinstance(v, dict) else "an object"


def one_of(names):
    def kind(v):
        return None if v in names else "one of " + ", ".join(names)
    return kind


def verdict_list(v):
    """expected: verdicts separated by `|` (`pass|hang`)."""
    if not isinstance(v, str):
        return "a string"
    unknown = [x for x in v.split("|") if x not in VERDICTS]
    return f"verdicts separated by '|' ({', '.join(VERDICTS)})" if unknown else None


def nullable(kind):
    def check(v):
        if v is None:
            return None
        what = kind(v)
        return what and what + " or null"
    return check


_CELL_FIELDS = {
    "design": NAME, "flaw": NAME, "scenario": NAME, "mode": one_of(MODES),
    # Not a closed list: the model gains schedulers (dpor, pct), and a name
    # the report does not know is ranked after the known ones.
    "scheduler": NAME,
    "threads": COUNT, "expected": nullable(verdict_list), "verdict": one_of(VERDICTS),
    "iterations": COUNT, "elapsed_ms": AMOUNT, "first_failure_iteration": nullable(COUNT),
    "replay": nullable(TEXT),
}
# Optional, as in the C++ reader (harness/cell_result.hpp), so both readers
# accept the same files; beside the reason and trace, what a search strategy
# reports about itself.
_OPTIONAL_CELL_FIELDS = {
    "reason": TEXT, "trace": TEXT, "exhausted_search": FLAG,
    "executions": AMOUNT, "preemption_bound": nullable(COUNT), "estimated_fraction": nullable(AMOUNT),
}
# Written by the runner so the report reads its rules instead of repeating
# them (reports/oncereport/verdicts.py). A file from before they existed stops
# the report with one line: re-run the producer.
_DERIVED_CELL_FIELDS = {"matches_expected": FLAG, "detected": FLAG, "counts_for_detection": FLAG}
_PROGRAM_FIELDS = {"line": TEXT, "seed": COUNT, "threads": COUNT, "steps": COUNT, "keys": COUNT}
_SHRUNK_FIELDS = {"program": OBJECT, "cpp": TEXT, "replay": TEXT, "runs": COUNT}
_LATENCY_FIELDS = {"waiter": NAME, "notifier_yields": FLAG, "samples": COUNT,
                   "p50_us": AMOUNT, "p99_us": AMOUNT, "max_us": AMOUNT}
_TRAITS = {"blocking_wait": FLAG, "async_wait": FLAG, "timeouts": FLAG,
           "allocates_per_waiter": FLAG, "on_close": TEXT, "leader_failure": TEXT}
_CACHE_FIELDS = {"level": COUNT, "type": TEXT, "size": COUNT, "num_sharing": COUNT}
_BENCH_FIELDS = {"name": NAME}
# shards.json (models/bench_shards.sh): one big cell as 1, 2, 4, 8 shards
# and, when the matrix part ran, make check-models JOBS=1 against JOBS=2.
_SHARDS_FIELDS = {"date": TEXT, "nproc": COUNT, "binary": NAME, "cell": TEXT}
_SHARD_ROW_FIELDS = {"shards": lambda v: None if COUNT(v) is None and v >= 1 else "a whole number >= 1",
                     "wall_s": AMOUNT, "executions": AMOUNT,
                     "time_max_over_mean": AMOUNT, "executions_max_over_mean": AMOUNT}
_SHARD_MATRIX_FIELDS = {"jobs1_wall_s": AMOUNT, "jobs2_wall_s": AMOUNT, "speedup": AMOUNT,
                        "jobs1_exit": COUNT, "jobs2_exit": COUNT}
_OPTIONAL_BENCH_FIELDS = {"run_name": NAME, "run_type": TEXT, "aggregate_name": TEXT,
                          "error_occurred": FLAG, "error_message": TEXT}


def _shown(value):
    """A value as the error line shows it: JSON, one line, at most 40 characters."""
    text = json.dumps(value, ensure_ascii=True)
    return text if len(text) <= 40 else text[:37] + "..."


def _label(text):
    """A name as part of `where`: itself when it is short printable text,
    else its JSON form (a newline must not split the error line)."""
    return text if text.isprintable() and len(text) <= 60 else _shown(text)


def _check_fields(path, where, obj, fields, required=True):
    """Checks obj[name] with fields {name: kind}; absent names are an error when required."""
    if not isinstance(obj, dict):
        raise InputError(path, f"{where}: should be an object, not {_shown(obj)}")
    for name, kind in fields.items():
        if name not in obj:
            if required:
                raise InputError(path, f"{where}: missing field '{name}'")
            continue
        what = kind(obj[name])
        if what:
            raise InputError(path, f"{where}: field '{name}' should be {what}, not {_shown(obj[name])}")


def _array(path, where, obj, name, required=False):
    """obj[name] as a list ([] when absent and not required)."""
    if name not in obj:
        if required:
            raise InputError(path, f"{where}: missing field '{name}'")
        return []
    if not isinstance(obj[name], list):
        raise InputError(path, f"{where}: field '{name}' should be an array, not {_shown(obj[name])}")
    return obj[name]


def _check_text(path, value, where="top level"):
    """Every string (and key) must be encodable: json.load lets a lone
    surrogate (\\ud800) through, and writing the page would then fail."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise InputError(path, f"{where}: a string holds a lone UTF-16 surrogate: {_shown(value)}") from None
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_text(path, item, f"{where}[{i}]" if where != "top level" else f"[{i}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(path, key, where)
            inner = f"{where}.{_label(key)}" if where != "top level" else _label(key)
            _check_text(path, item, inner)


def read_json(path):
    """The parsed file, or InputError with the parser's own one-line message."""
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except UnicodeDecodeError as e:
        raise InputError(path, f"not UTF-8 text ({e.reason})") from None
    except json.JSONDecodeError as e:
        raise InputError(path, f"not valid JSON ({e.msg}, line {e.lineno} column {e.colno})") from None
    except RecursionError:
        raise InputError(path, "JSON nested too deeply to read") from None
    except ValueError as e:  # "Exceeds the limit (4300 digits) for integer string conversion: ..."
        raise InputError(path, f"JSON this reader cannot take ({str(e).split(':')[0]})") from None
    except OSError as e:
        raise InputError(path, f"cannot read: {e.strerror}") from None
    try:
        _check_text(path, doc)
    except RecursionError:
        raise InputError(path, "JSON nested too deeply to read") from None
    return doc


def _cell_where(i, cell):
    where = f"cell {i}"
    if isinstance(cell, dict) and all(isinstance(cell.get(k), str) for k in ("design", "flaw", "scenario")):
        where += f" ({_label(cell['design'])}/{_label(cell['flaw'])} {_label(cell['scenario'])})"
    return where


def load_cells(path, mode):
    """models.json or stress.json: an array of cells, all of `mode`."""
    cells = read_json(path)
    if not isinstance(cells, list):
        raise InputError(path, "should be a JSON array of cells (docs/results.md)")
    if not cells:
        raise InputError(path, "holds no cells")
    for i, cell in enumerate(cells):
        where = _cell_where(i, cell)
        _check_fields(path, where, cell, _CELL_FIELDS)
        _check_fields(path, where, cell, _OPTIONAL_CELL_FIELDS, required=False)
        missing = [name for name in _DERIVED_CELL_FIELDS if name not in cell]
        if missing:
            raise InputError(path, f"{where}: no '{missing[0]}' field: written by an older oncecheck, "
                                   "run its producer again (make check-models / make stress)")
        _check_fields(path, where, cell, _DERIVED_CELL_FIELDS)
        if cell["detected"] and cell["first_failure_iteration"] is None:
            # every section that shows a detection shows where it happened
            raise InputError(path, f"{where}: 'detected' is true but 'first_failure_iteration' is null "
                                   "(a detected failure has its iteration, docs/results.md)")
        if cell["mode"] != mode:
            raise InputError(path, f"{where}: mode is '{cell['mode']}', a {mode} file holds '{mode}' cells")
        for j, row in enumerate(_array(path, where, cell, "latency")):
            _check_fields(path, f"{where} latency[{j}]", row, _LATENCY_FIELDS)
        if "program" in cell:
            _check_fields(path, f"{where} program", cell["program"], _PROGRAM_FIELDS)
        if "shrunk" in cell:
            _check_fields(path, f"{where} shrunk", cell["shrunk"], _SHRUNK_FIELDS)
            _check_fields(path, f"{where} shrunk program", cell["shrunk"]["program"], _PROGRAM_FIELDS)
    return cells


def load_designs(path):
    """designs.json: the catalogue's traits, flaws and scenarios."""
    doc = read_json(path)
    _check_fields(path, "top level", doc, {})
    for i, d in enumerate(_array(path, "top level", doc, "designs", required=True)):
        where = f"designs[{i}]"
        _check_fields(path, where, d, {"design": NAME, "traits": OBJECT})
        where += f" ({_label(d['design'])})"
        _check_fields(path, f"{where} traits", d["traits"], _TRAITS)
        for j, flaw in enumerate(_array(path, where, d, "flaws")):
            _check_fields(path, f"{where} flaws[{j}]", flaw, {"flaw": NAME, "bug": TEXT})
    for i, s in enumerate(_array(path, "top level", doc, "scenarios")):
        _check_fields(path, f"scenarios[{i}]", s, {"scenario": NAME, "summary": TEXT})
        _check_fields(path, f"scenarios[{i}]", s, {"model_threads": COUNT, "model_operations": COUNT},
                      required=False)
    return doc


def _check_benchmark(path, where, entry):
    """One entry: its names, and for an entry a record is made of, the
    name's params (bench.parse_name) and the counters the report reads."""
    _check_fields(path, where, entry, _BENCH_FIELDS)
    where += f" ({_label(entry['name'])})"
    _check_fields(path, where, entry, _OPTIONAL_BENCH_FIELDS, required=False)
    if not B.is_read(entry):
        return
    try:
        read = B.parse_name(B.run_name(entry))
    except ValueError as e:
        field_name = "run_name" if "run_name" in entry else "name"
        raise InputError(path, f"{where}: field '{field_name}': {e}") from None
    if read is None:
        return  # not a workload of docs/results.md: left out of the report
    for counter in B.READ_COUNTERS:
        if counter not in entry:
            continue
        value = entry[counter]
        positive = counter in B.POSITIVE_COUNTERS
        if not (AMOUNT(value) is None and (value > 0 or not positive)):
            raise InputError(path, f"{where}: counter '{counter}' should be a finite number "
                                   f"{'> 0' if positive else '>= 0'}, not {_shown(value)}")


def load_bench(path):
    """bench.json: Google Benchmark's JSON, its names in the grammar of bench.py."""
    doc = read_json(path)
    _check_fields(path, "top level", doc, {})
    for i, entry in enumerate(_array(path, "top level", doc, "benchmarks", required=True)):
        _check_benchmark(path, f"benchmarks[{i}]", entry)
    _check_fields(path, "top level", doc, {"context": OBJECT}, required=False)
    if "context" in doc:
        for i, cache in enumerate(_array(path, "context", doc["context"], "caches")):
            _check_fields(path, f"context caches[{i}]", cache, _CACHE_FIELDS, required=False)
    return doc


def load_shards(path):
    """shards.json: the sharding figures of models/bench_shards.sh."""
    doc = read_json(path)
    _check_fields(path, "top level", doc, _SHARDS_FIELDS)
    rows = _array(path, "top level", doc, "rows", required=True)
    if not rows:
        raise InputError(path, "top level: field 'rows' holds no rows (make bench-shards writes four)")
    for i, row in enumerate(rows):
        _check_fields(path, f"rows[{i}]", row, _SHARD_ROW_FIELDS)
    _check_fields(path, "top level", doc, {"matrix": nullable(OBJECT)}, required=False)
    if doc.get("matrix") is not None:
        _check_fields(path, "matrix", doc["matrix"], _SHARD_MATRIX_FIELDS)
    return doc


_LOADERS = {"models": lambda p: load_cells(p, "model"), "stress": lambda p: load_cells(p, "stress"),
            "bench": load_bench, "designs": load_designs, "shards": load_shards}
# What writes each file: said in a missing file's error and its section's note.
PRODUCERS = {"models": "make check-models", "stress": "make stress", "bench": "make bench",
             "designs": "make check-models", "shards": "make bench-shards"}


def results_paths(directory):
    """The files of one results directory (build/results)."""
    return {name: os.path.join(directory, f"{name}.json") for name in _LOADERS}


def load_results(paths, required=("models",)):
    """paths: {'models': p, 'stress': p, 'bench': p, 'designs': p, 'shards': p}."""
    loaded = {}
    for name, loader in _LOADERS.items():
        path = paths.get(name)
        if path and os.path.exists(path):
            loaded[name] = loader(path)
        elif name in required:
            raise InputError(path, f"no such file ({PRODUCERS[name]} writes it)")
        else:
            loaded[name] = None
    return Results(**loaded, paths=dict(paths))


def load_baseline(directory):
    """An earlier run's results directory; every file in it is optional."""
    if not os.path.isdir(directory):
        raise InputError(directory, "no such directory (BASELINE= wants an earlier build/results)")
    return load_results(results_paths(directory), required=())
