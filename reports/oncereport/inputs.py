"""Loading and checking the result files of docs/results.md.

Every reader of the report trusts what this module hands over: a file that does
not follow the contract stops the report here, with one line that names the
file and what is wrong with it (InputError), never with a traceback from deep
inside a chart. A missing optional file is not an error: its section says
which command produces it.
"""

import json
import os
from dataclasses import dataclass, field

VERDICTS = ("pass", "deadlock", "hang", "lost_wakeup", "duplicate_compute", "wrong_value",
            "data_race", "use_after_free", "leak", "livelock", "assert", "unsupported")


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
    paths: dict = field(default_factory=dict)


# The cell fields of docs/results.md: name -> accepted types. reason, trace
# and exhausted_search are optional, as in the C++ reader
# (harness/cell_result.hpp), so both readers accept the same files.
_CELL_FIELDS = {
    "design": str, "flaw": str, "scenario": str, "mode": str, "scheduler": str,
    "threads": int, "expected": str, "verdict": str, "iterations": int,
    "elapsed_ms": (int, float), "first_failure_iteration": int, "replay": str,
}
_NULLABLE_CELL_FIELDS = {"expected", "first_failure_iteration", "replay"}
_OPTIONAL_CELL_FIELDS = {"reason": str, "trace": str, "exhausted_search": bool}
# Written by the runner so the report reads its rules instead of repeating
# them (reports/oncereport/verdicts.py). A file from before they existed stops
# the report with one line: re-run the producer.
_DERIVED_CELL_FIELDS = {"matches_expected": bool, "detected": bool, "counts_for_detection": bool}
_LATENCY_FIELDS = {"waiter": str, "notifier_yields": bool, "samples": int,
                   "p50_us": (int, float), "p99_us": (int, float), "max_us": (int, float)}
_TRAITS = {"blocking_wait": bool, "async_wait": bool, "timeouts": bool,
           "allocates_per_waiter": bool, "on_close": str, "leader_failure": str}


def _type_name(types):
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
             list: "an array", dict: "an object"}
    types = types if isinstance(types, tuple) else (types,)
    return names[float] if float in types else names[types[0]]


def _is(value, types):
    # JSON true/false are Python ints too: a boolean is never a number here.
    types = types if isinstance(types, tuple) else (types,)
    if isinstance(value, bool):
        return bool in types
    return isinstance(value, types)


def _check_fields(path, where, obj, fields, required=True, nullable=()):
    """Checks obj[name] against fields {name: types}; names in nullable may be null."""
    if not isinstance(obj, dict):
        raise InputError(path, f"{where}: should be an object")
    for name, types in fields.items():
        if name not in obj:
            if required:
                raise InputError(path, f"{where}: missing field '{name}'")
            continue
        value = obj[name]
        if value is None and name in nullable:
            continue
        if not _is(value, types):
            raise InputError(path, f"{where}: field '{name}' should be {_type_name(types)}"
                                   f"{' or null' if name in nullable else ''}, not {json.dumps(value)[:40]}")


def read_json(path):
    """The parsed file, or InputError with the parser's own one-line message."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except UnicodeDecodeError as e:
        raise InputError(path, f"not UTF-8 text ({e.reason})") from None
    except json.JSONDecodeError as e:
        raise InputError(path, f"not valid JSON ({e.msg}, line {e.lineno} column {e.colno})") from None
    except OSError as e:
        raise InputError(path, f"cannot read: {e.strerror}") from None


def load_cells(path, mode):
    """models.json or stress.json: an array of cells, all of `mode`."""
    cells = read_json(path)
    if not isinstance(cells, list):
        raise InputError(path, "should be a JSON array of cells (docs/results.md)")
    if not cells:
        raise InputError(path, "holds no cells")
    for i, cell in enumerate(cells):
        where = f"cell {i}"
        if isinstance(cell, dict) and all(isinstance(cell.get(k), str) for k in ("design", "flaw", "scenario")):
            where += f" ({cell['design']}/{cell['flaw']} {cell['scenario']})"
        _check_fields(path, where, cell, _CELL_FIELDS, nullable=_NULLABLE_CELL_FIELDS)
        _check_fields(path, where, cell, _OPTIONAL_CELL_FIELDS, required=False)
        missing = [name for name in _DERIVED_CELL_FIELDS if name not in cell]
        if missing:
            raise InputError(path, f"{where}: no '{missing[0]}' field: written by an older oncecheck, "
                                   "run its producer again (make check-models / make stress)")
        _check_fields(path, where, cell, _DERIVED_CELL_FIELDS)
        if cell["verdict"] not in VERDICTS:
            raise InputError(path, f"{where}: unknown verdict '{cell['verdict']}'")
        if cell["mode"] != mode:
            raise InputError(path, f"{where}: mode is '{cell['mode']}', a {mode} file holds '{mode}' cells")
        if "latency" in cell:
            if not isinstance(cell["latency"], list):
                raise InputError(path, f"{where}: field 'latency' should be an array")
            for j, row in enumerate(cell["latency"]):
                _check_fields(path, f"{where} latency[{j}]", row, _LATENCY_FIELDS)
    return cells


def load_designs(path):
    """designs.json: the catalogue's traits, flaws and scenarios."""
    doc = read_json(path)
    _check_fields(path, "top level", doc, {"designs": list})
    for i, d in enumerate(doc["designs"]):
        where = f"designs[{i}]"
        _check_fields(path, where, d, {"design": str, "traits": dict})
        _check_fields(path, f"{where} ({d['design']}) traits", d["traits"], _TRAITS)
        for j, flaw in enumerate(d.get("flaws", [])):
            _check_fields(path, f"{where} flaws[{j}]", flaw, {"flaw": str, "bug": str})
    for i, s in enumerate(doc.get("scenarios", [])):
        _check_fields(path, f"scenarios[{i}]", s, {"scenario": str, "summary": str})
    return doc


def load_bench(path):
    """bench.json: Google Benchmark's JSON. Names are read by bench.py."""
    doc = read_json(path)
    _check_fields(path, "top level", doc, {"benchmarks": list})
    if "context" in doc and not isinstance(doc["context"], dict):
        raise InputError(path, "top level: field 'context' should be an object")
    for i, b in enumerate(doc["benchmarks"]):
        _check_fields(path, f"benchmarks[{i}]", b, {"name": str})
    return doc


_LOADERS = {"models": lambda p: load_cells(p, "model"), "stress": lambda p: load_cells(p, "stress"),
            "bench": load_bench, "designs": load_designs}
# What writes each file: said in a missing file's error and its section's note.
PRODUCERS = {"models": "make check-models", "stress": "make stress", "bench": "make bench",
             "designs": "make check-models"}


def results_paths(directory):
    """The files of one results directory (build/results)."""
    return {name: os.path.join(directory, f"{name}.json") for name in _LOADERS}


def load_results(paths, required=("models",)):
    """paths: {'models': p, 'stress': p, 'bench': p, 'designs': p}."""
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
