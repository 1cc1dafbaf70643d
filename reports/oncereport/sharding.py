"""The "Sharding on this machine" table of the environment section, from
shards.json (models/bench_shards.sh, `make bench-shards`), with issue 13's
targets beside the figures:

- the default matrix on 2 cores: `make check-models JOBS=2` at least 1.8x
  as fast as `JOBS=1`;
- one big cell in N shards: the largest shard's executions within 1.5x of
  the mean (what the dealing of units controls; the shards' times also
  carry the machine's other load, so they are shown, not held to it).

inputs.load_shards has checked every field read here.
"""

from .doc import Cell, Note, Table

SPEEDUP_TARGET = 1.8       # JOBS=2 over JOBS=1, on 2 cores
BALANCE_TARGET = 1.5       # largest shard's executions over the mean
TARGET_CORES = 2


def _verdict(ok):
    return Cell("met", "good") if ok else Cell("missed", "bad")


def _matrix_row(doc):
    m = doc.get("matrix")
    label = "default matrix: make check-models JOBS=2 vs JOBS=1"
    target = f">= {SPEEDUP_TARGET}x on {TARGET_CORES} cores"
    if m is None:
        return [label, Cell("not run (make bench-shards runs it; models/bench_shards.sh BUILD without "
                            "`matrix` does not)"), target, ""]
    figure = f"{m['jobs1_wall_s']:.1f} s / {m['jobs2_wall_s']:.1f} s = {m['speedup']:.2f}x"
    failed = [f"JOBS={j} exited {m[f'jobs{j}_exit']}" for j in (1, 2) if m[f"jobs{j}_exit"]]
    figure_cell = Cell(figure, "bad" if failed else "",
                       sub="; ".join(failed) + " (a matrix differing from the expected one)" if failed else "")
    if doc["nproc"] != TARGET_CORES:
        return [label, figure_cell, target, Cell(f"not comparable: nproc {doc['nproc']}")]
    return [label, figure_cell, target, _verdict(m["speedup"] >= SPEEDUP_TARGET)]


def _shard_rows(doc):
    rows = []
    merged = {r["executions"] for r in doc["rows"]}
    for r in doc["rows"]:
        executions = Cell(f"{r['executions']:,.0f}", "bad" if len(merged) > 1 else "",
                          title="merged executions: the same for every N" if len(merged) == 1
                          else "merged executions differ between the Ns")
        rows.append([f"{r['shards']} shard{'s' if r['shards'] > 1 else ''}",
                     f"{r['wall_s']:.1f}", executions, f"{r['time_max_over_mean']:.2f}",
                     f"{r['executions_max_over_mean']:.2f}",
                     _verdict(r["executions_max_over_mean"] <= BALANCE_TARGET)])
    return rows


def sharding_blocks(shards):
    """Blocks for the environment section: the tables, or what writes them."""
    if shards is None:
        return [Note("Sharding on this machine: not run: make bench-shards writes shards.json "
                     "(minutes, both cores: not part of make report)", "missing")]
    caption = (f"Sharding on this machine ({shards['date']}, nproc {shards['nproc']}): "
               f"{shards['binary']} {shards['cell']}")
    return [Table(columns=["", "figure", "target", "target met"], rows=[_matrix_row(shards)],
                  caption=caption),
            Table(columns=["one cell as", "wall s", "merged executions", "slowest shard time / mean",
                           "largest shard executions / mean", f"<= {BALANCE_TARGET}x of the mean"],
                  rows=_shard_rows(shards))]
