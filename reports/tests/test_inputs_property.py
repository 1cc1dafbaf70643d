#!/usr/bin/python3
"""CTest report_inputs_property: whatever the result files hold, make_report
either writes a whole report or says what is wrong in one line and exits 2;
never a traceback, never exit 1.

Hypothesis (Debian's python3-hypothesis) starts from a valid synthetic set
(synthetic.results_set: models, stress, bench, designs, shards) and applies one to
three mutations: a value replaced by an odd one (NaN, 1.7e308, 2^63, "",
"²", "$^$", a lone surrogate, an array...) in one place or in every object
that has the field, a field or item deleted, a field added, a node copied
over another (odd but valid mixtures: a cell's verdict in its scheduler), an
item duplicated, a benchmark renamed from a small grammar of workloads,
designs and params.

The report runs in this process (matplotlib is imported once), so an
example costs milliseconds when a file is rejected. A report's charts are
built (figure, axes, data, labels) in every example, but drawn to SVG, the
costly half (0.2 to 1.5 s a chart), in about one example of four; the
others write a placeholder SVG.

    test_inputs_property.py --work DIR [--examples N] [--seed S]

On a failure Hypothesis prints the shrunk mutations and a
@reproduce_failure blob.
"""

import argparse
import contextlib
import copy
import io
import json
import os
import re
import shutil
import sys
import time

from hypothesis import HealthCheck, given, note, seed, settings
from hypothesis import strategies as st

HERE = os.path.dirname(os.path.abspath(__file__))
REPORTS = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, REPORTS)

import make_report  # noqa: E402
import synthetic  # noqa: E402
from oncereport import bench as B  # noqa: E402
from oncereport import charts  # noqa: E402
from oncereport.inputs import VERDICTS  # noqa: E402

FILES = ("models", "stress", "bench", "designs", "shards")
VALID = synthetic.results_set()

ODD_STRINGS = ["", " ", "²", "٣", "abc", "32K", "-1", "1e3", "$^$", "a$b", "a/b", "x\ny", "\ud800", "\u0000",
               "pass|", "|", "pass|hang", "none", "model", "stress", "random", "dpor", "pct", "plain", "tsan",
               "median", "stddev", "aggregate", "iteration", "floor.lockfree", "hit/condvar/threads:1",
               "x" * 300] + list(VERDICTS)
ODD_NUMBERS = [0, -1, 1, 2, 2**31 - 1, 2**31, 2**63, -2**63, 10**30, 10**400, 0.0, -0.0, 5e-324, 1e-300, 1e300,
               1.7e308, 0.5, float("nan"), float("inf"), float("-inf")]
KEYS = sorted({k for doc in (VALID["models"][0], VALID["stress"][-1], VALID["stress"][-1]["latency"][0],
                             VALID["bench"]["benchmarks"][4], VALID["designs"]["designs"][0],
                             VALID["designs"]["designs"][0]["traits"], VALID["shards"],
                             VALID["shards"]["rows"][0], VALID["shards"]["matrix"]) for k in doc}
              | {"latency", "caches", "flaws", "scenarios", "context", "run_name", "run_type", "aggregate_name",
                 "error_occurred", "error_message", "detected", "matches_expected", "executions",
                 "preemption_bound", "estimated_fraction", "level", "size", "type"})

scalars = st.one_of(st.sampled_from(ODD_STRINGS), st.text(max_size=6), st.none(), st.booleans(),
                    st.sampled_from(ODD_NUMBERS), st.integers(-5, 100), st.floats())
values = st.one_of(scalars, st.lists(scalars, max_size=3),
                   st.dictionaries(st.sampled_from(KEYS), scalars, max_size=3))


def _join(*parts):
    """A benchmark name from its parts (named, not a lambda: Hypothesis
    reads a lambda's source to describe a draw)."""
    return "/".join(p for part in parts for p in (part if isinstance(part, list) else [part]))


def _param(key, value):
    return f"{key}:{value}"


bench_names = st.builds(
    _join,
    st.sampled_from(list(B.WORKLOADS) + ["memory", "BM_other", ""]),
    st.sampled_from(["condvar", "notify", "floor.lockfree", "floor.futex", "floor.barrier", "", "a$^$"]),
    st.lists(st.builds(_param, st.sampled_from(list(B.PARAMS) + ["repeats", "x"]),
                       st.sampled_from(["1", "2", "8", "0", "²", "abc", "", "-1", "2147483648", "007", " 4",
                                        "1\n2", "same_worker"])), max_size=3),
    st.sampled_from([[], ["real_time"], ["iterations:10"]]))


def nodes(doc, path=()):
    """Every (path, value) of a JSON document, the root first."""
    yield path, doc
    items = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else ()
    for key, value in items:
        yield from nodes(value, path + (key,))


def place(doc, path, value):
    """doc with the node at path replaced by value (the root too)."""
    if not path:
        return value
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return doc


def mutate(data, docs):
    """One mutation of one file, drawn from `data`. Places are drawn as
    indexes and told with note(), so a failure prints paths, not subtrees."""
    name = data.draw(st.sampled_from(FILES), label="file")
    doc = docs[name]
    everything = list(nodes(doc))
    op = data.draw(st.sampled_from(["replace", "delete", "add", "copy", "duplicate", "rename", "everywhere"]),
                   label="op")
    path, node = everything[data.draw(st.integers(0, len(everything) - 1), label="at")]
    note(f"{name}.json: {op} at {list(path)}")
    if op == "replace":
        docs[name] = place(doc, path, data.draw(values, label="value"))
    elif op == "delete" and path:
        parent = dict(everything)[path[:-1]]
        del parent[path[-1]]
    elif op == "add" and isinstance(node, dict):
        node[data.draw(st.one_of(st.sampled_from(KEYS), st.text(max_size=4)), label="key")] = \
            data.draw(values, label="value")
    elif op == "copy":
        source_path, source = everything[data.draw(st.integers(0, len(everything) - 1), label="from")]
        note(f"  from {list(source_path)}")
        docs[name] = place(doc, path, copy.deepcopy(source))
    elif op == "duplicate" and isinstance(node, list) and node:
        node.append(copy.deepcopy(node[data.draw(st.integers(0, len(node) - 1), label="item")]))
    elif op == "everywhere" and path and isinstance(path[-1], str):
        # the same value in every object that has this field (every floor_ratio negative)
        value = data.draw(values, label="value")
        for _, obj in everything:
            if isinstance(obj, dict) and path[-1] in obj:
                obj[path[-1]] = copy.deepcopy(value)
    elif op == "rename" and isinstance(node, dict) and "name" in node:
        node["name"] = node["run_name"] = data.draw(bench_names, label="name")


outcomes = {"report": 0, "drawn": 0, "error": 0}
DRAW = charts.finish


def undrawn(fig, name, title):
    """charts.finish without the drawing: the figure is built, not rendered."""
    charts.plt.close(fig)
    return charts.Chart(name=charts.file_name(name), title=title, svg="<svg></svg>")


def check(work, docs, draw=True, must_report=False):
    """Runs make_report on docs; the property itself."""
    charts.finish = DRAW if draw else undrawn
    paths = {}
    for name, doc in docs.items():
        paths[name] = os.path.join(work, f"{name}.json")
        with open(paths[name], "w", encoding="utf-8") as f:
            json.dump(doc, f)  # ensure_ascii: a lone surrogate is written as \ud800, as a producer might
    out = os.path.join(work, "report")
    shutil.rmtree(out, ignore_errors=True)
    args = ["--out", out, "--build-dir", os.path.join(work, "no-build")]
    for name, path in paths.items():
        args += [f"--{name}", path]
    stderr, stdout = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(stdout):
        rc = make_report.main(args)  # an exception here is the failure Hypothesis shrinks
    err = stderr.getvalue()
    if rc == 2 and not must_report:
        lines = err.splitlines()
        assert len(lines) == 1 and err.endswith("\n"), f"exit 2 with {len(lines)} lines on stderr: {err!r}"
        assert any(lines[0].startswith(f"make_report: {p}: ") for p in paths.values()), \
            f"the line does not start with make_report: <file>: {lines[0]!r}"
        assert not stdout.getvalue(), f"exit 2 but stdout has {stdout.getvalue()!r}"
        outcomes["error"] += 1
        return
    assert rc == 0, f"exit {rc}: {err!r}"
    assert not err, f"a report, but stderr has {err!r}"
    for page in ("index.html", "report.md"):
        assert os.path.exists(os.path.join(out, page)), f"exit 0 but no {page}"
    with open(os.path.join(out, "report.md"), encoding="utf-8") as f:
        for link in re.findall(r"\]\((charts/[^)]+\.svg)\)", f.read()):
            assert os.path.exists(os.path.join(out, link)), f"report.md links {link}, not written"
    outcomes["report"] += 1
    outcomes["drawn"] += draw


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--work", required=True)
    p.add_argument("--examples", type=int, default=150)
    p.add_argument("--seed", type=int, help="Hypothesis's seed (default: a random one)")
    args = p.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)

    @settings(max_examples=args.examples, deadline=None, database=None, print_blob=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(st.data())
    def property(data):
        docs = copy.deepcopy(VALID)
        for _ in range(data.draw(st.integers(1, 3), label="mutations")):
            mutate(data, docs)
        check(args.work, docs, draw=data.draw(st.integers(0, 3), label="undrawn") == 0)

    if args.seed is not None:
        property = seed(args.seed)(property)
    start = time.monotonic()
    check(args.work, copy.deepcopy(VALID), must_report=True)  # the valid start itself gives a report
    outcomes.update(report=0, drawn=0)
    property()
    if args.examples >= 20 and not outcomes["report"]:
        # about two examples in five are odd but valid: none means the checks reject what they should take
        sys.exit(f"report_inputs_property: FAIL: no example of {args.examples} gave a report")
    print(f"report_inputs_property: ok: {args.examples} examples in {time.monotonic() - start:.0f} s: "
          f"{outcomes['report']} reports ({outcomes['drawn']} with their charts drawn), "
          f"{outcomes['error']} one-line errors, no traceback")


if __name__ == "__main__":
    main()
