"""matplotlib charts as SVG strings (Agg backend, no display needed).

Text stays text (svg.fonttype none) so the page is small and searchable, and
each chart salts its element ids with its name so many SVGs inlined in one
page never share an id. No date in the SVG: the same inputs give the same
bytes.

Labels are names from the result files, so they are drawn as plain text (a
`$` would start matplotlib's mathtext) and a chart's file name keeps only
safe characters of its name.
"""

import functools
import hashlib
import io
import re
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)
import numpy as np  # noqa: E402

from .doc import Chart  # noqa: E402

plt.rcParams.update({
    "svg.fonttype": "none",
    "font.size": 9,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.fontsize": 8,
    "legend.frameon": False,
})


def plain(text):
    """Text matplotlib draws as it is: `$` escaped, so no mathtext, and a
    control character (a NUL in a name) shown as its escape."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))
    return text.replace("$", r"\$")


def file_name(name):
    """A chart's name as a file name under charts/: [A-Za-z0-9._-], at most 80
    characters, and a hash of the name when that changed it (no two names meet)."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip(".-")[:80]
    if safe == name:
        return name
    return f"{safe}-{hashlib.sha1(name.encode('utf-8')).hexdigest()[:8]}".lstrip("-")


def quiet(chart):
    """A chart drawn without warnings on stderr about what it draws all the
    same: figures near the float limit (1e308: valid, if absurd) overflow in
    a log axis' limits (numpy), and a name may hold a character the font has
    no glyph for (matplotlib draws a box)."""
    @functools.wraps(chart)
    def drawn(*args, **kwargs):
        with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"), \
                warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from current font")
            return chart(*args, **kwargs)
    return drawn


def figure(name, width=6.4, height=3.4, ncols=1):
    """A new figure whose SVG ids are unique to `name`."""
    plt.rcParams["svg.hashsalt"] = name
    fig, axes = plt.subplots(1, ncols, figsize=(width, height), squeeze=False)
    return fig, list(axes[0])


def finish(fig, name, title):
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]  # drop the XML prologue and DOCTYPE for inlining
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S)
    return Chart(name=file_name(name), title=title, svg=svg)


@quiet
def line_chart(name, title, series, xlabel, ylabel, references=(), log_y=False):
    """series: [(label, [(x, y)...])]; references: [(label, [(x, y)...])]
    drawn dashed grey (the floors). x is a power of two (threads, waiters)."""
    fig, (ax,) = figure(name)
    for label, points in references:
        xs, ys = zip(*sorted(points))
        ax.plot(xs, ys, linestyle="--", color="grey", linewidth=1)
        ax.annotate(plain(label), (xs[-1], ys[-1]), fontsize=7, color="grey",
                    xytext=(3, 0), textcoords="offset points", va="center")
    for label, points in series:
        xs, ys = zip(*sorted(points))
        ax.plot(xs, ys, marker="o", markersize=3, label=plain(label))
    ax.set_xscale("log", base=2)
    xs = sorted({x for _, pts in list(series) + list(references) for x, _ in pts})
    ax.set_xticks(xs, [str(x) for x in xs])
    ax.minorticks_off()
    if log_y:
        ax.set_yscale("log")
    ax.set_xlabel(plain(xlabel))
    ax.set_ylabel(plain(ylabel))
    ax.set_title(plain(title), loc="left", fontsize=9)
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5))
    return finish(fig, name, title)


@quiet
def dot_chart(name, title, rows, groups, xlabel):
    """rows: labels down the y axis; groups: [(label, {row: x})] one marker
    style each, log x (times that span microseconds to minutes)."""
    fig, (ax,) = figure(name, height=0.6 + 0.22 * len(rows))
    markers = "osD^v<>"
    for i, (label, values) in enumerate(groups):
        ys = [rows.index(r) for r in values]
        ax.scatter(list(values.values()), ys, label=plain(label), marker=markers[i % len(markers)], s=18,
                   alpha=0.8)
    ax.set_yticks(range(len(rows)), [plain(r) for r in rows])
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel(plain(xlabel))
    ax.set_title(plain(title), loc="left", fontsize=9)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return finish(fig, name, title)


@quiet
def latency_chart(name, title, panels, bar_labels):
    """panels: [(panel title, [(x label, [(p50, p99) or None per bar label])])].
    Bars are p50, the whisker above each reaches p99; log y."""
    fig, axes = figure(name, width=3.3 * len(panels), height=3.2, ncols=len(panels))
    width = 0.8 / max(1, len(bar_labels))
    for ax, (panel, groups) in zip(axes, panels):
        for b, bar in enumerate(bar_labels):
            xs, p50, up = [], [], []
            for g, (_, figures) in enumerate(groups):
                if figures[b] is not None:
                    xs.append(g + (b - (len(bar_labels) - 1) / 2) * width)
                    p50.append(max(figures[b][0], 1e-3))
                    up.append(max(figures[b][1] - figures[b][0], 0))
            ax.bar(xs, p50, width, yerr=[[0] * len(up), up], capsize=2, label=plain(bar),
                   error_kw={"linewidth": 0.8})
        ax.set_xticks(range(len(groups)), [plain(g) for g, _ in groups], rotation=30, ha="right")
        ax.set_yscale("log")
        ax.set_title(plain(panel), fontsize=9)
    axes[0].set_ylabel("µs (bar p50, whisker p99)")
    axes[-1].legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.suptitle(plain(title), x=0.01, y=1.02, ha="left", fontsize=9)
    return finish(fig, name, title)
