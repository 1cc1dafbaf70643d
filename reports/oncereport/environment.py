"""The run's environment, so two reports can be set side by side: compiler,
build flags, CPU count, commit, dates, bench.json's own context block, and
the sharding figures of this machine (sharding.py).
"""

import datetime
import json
import os
import subprocess

from .doc import Section, Table
from .sharding import sharding_blocks

CACHE_KEYS = ("CMAKE_BUILD_TYPE", "CMAKE_CXX_COMPILER", "CMAKE_CXX_FLAGS", "CMAKE_CXX_FLAGS_RELEASE")


def _run(args, cwd):
    """A command's first output line, or why there is none."""
    try:
        out = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, str(e)
    return (out.stdout.splitlines() or [""])[0].strip() if out.returncode == 0 else None, out.stderr.strip()


def cmake_cache(build_dir):
    """{key: value} of CACHE_KEYS from build_dir/CMakeCache.txt, {} when absent."""
    path = os.path.join(build_dir, "CMakeCache.txt")
    found = {}
    if os.path.exists(path):
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                name, _, value = line.rstrip("\n").partition("=")
                key = name.split(":")[0]
                if key in CACHE_KEYS:
                    found[key] = value
    return found


def _context_value(key, value):
    """A bench.json context value on one line; caches (checked by inputs.py) as `L1 Data 32 KiB`."""
    if key == "caches" and isinstance(value, list):
        return "; ".join(f"L{c.get('level', '?')} {c.get('type', '')} {c.get('size', 0) // 1024} KiB"
                         for c in value)
    return value if isinstance(value, str) else json.dumps(value)


def _mtime(path):
    if not path or not os.path.exists(path):
        return "not present"
    stamp = datetime.datetime.fromtimestamp(os.path.getmtime(path), datetime.timezone.utc)
    return f"{path} (written {stamp:%Y-%m-%d %H:%M} UTC)"


def environment_rows(results, repo, build_dir):
    commit, _ = _run(["git", "rev-parse", "HEAD"], repo)
    dirty, _ = _run(["git", "status", "--porcelain", "--untracked-files=no"], repo)
    compiler, why = _run(["c++", "--version"], repo)
    rows = [["report written", f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC"],
            ["commit", (commit or "not a git checkout") + (" (uncommitted changes)" if dirty else "")],
            ["compiler (c++ --version)", compiler or f"unknown ({why})"],
            ["CPUs (os.cpu_count)", str(os.cpu_count())]]
    cache = cmake_cache(build_dir)
    rows += [[f"{key} ({build_dir})", cache[key] or "(empty)"] for key in CACHE_KEYS if key in cache]
    if not cache:
        rows.append(["build flags", f"no {build_dir}/CMakeCache.txt"])
    rows += [[f"input {name}", _mtime(path)] for name, path in results.paths.items()]
    return rows


def environment_section(results, repo, build_dir, baseline=None):
    section = Section("environment", "Environment",
                      intro="Where these results come from; compare it with another report's.")
    section.blocks.append(Table(columns=["", "this run"], rows=environment_rows(results, repo, build_dir)))
    runs = [("this run", results)] + ([("baseline", baseline)] if baseline is not None else [])
    contexts = [(label, r.bench.get("context", {})) for label, r in runs if r.bench is not None]
    if contexts:
        keys = list(dict.fromkeys(k for _, ctx in contexts for k in ctx))
        section.blocks.append(Table(columns=["bench.json context"] + [label for label, _ in contexts],
                                    rows=[[k] + [_context_value(k, ctx.get(k, "–")) for _, ctx in contexts]
                                          for k in keys]))
    section.blocks += sharding_blocks(results.shards)
    return section
