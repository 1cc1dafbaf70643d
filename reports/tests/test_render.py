#!/usr/bin/python3
"""CTest report_render: a report from this test run's own quick matrices
opens in headless Chromium with its verdict matrix, its charts, the engines
table and the proof-or-sample table.

    test_render.py --models models-quick.json [--explore models-explore-quick.json]
                   --stress stress-quick.json --work DIR

--explore: the explorer's quick matrix, merged with Relacy's as make
check-models merges them (one array of cells); the page must then show the
explorer's row and columns.

bench.json and designs.json come from synthetic.py (make bench is not part of
ctest), so every section is drawn. Chromium is Debian's `chromium`; without it
the test fails and says that `make deps` installs it.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import synthetic  # noqa: E402
from oncereport.verdicts import COLOURS  # noqa: E402

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu"]


def fail(message):
    print(f"report_render: FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def chromium(args, profile, timeout=90):
    exe = shutil.which("chromium")
    if not exe:
        fail("chromium is not installed; `make deps` installs it (Debian package chromium)")
    run = subprocess.run([exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
                         capture_output=True, text=True, timeout=timeout)
    if run.returncode != 0:
        fail(f"chromium exited {run.returncode}: {run.stderr.strip()[-500:]}")
    return run.stdout


def pixels_of(image, hex_colour, tolerance=0.03):
    """How many pixels of the RGB(A) float image are within tolerance of the colour."""
    rgb = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    close = abs(image[:, :, 0] - rgb[0]) <= tolerance
    for ch in (1, 2):
        close &= abs(image[:, :, ch] - rgb[ch]) <= tolerance
    return int(close.sum())


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--models", required=True)
    p.add_argument("--explore", help="the explorer's cells, to merge with --models")
    p.add_argument("--stress", required=True)
    p.add_argument("--work", required=True, help="a directory for the inputs, the report and the screenshot")
    args = p.parse_args()
    if os.path.exists(args.work):
        shutil.rmtree(args.work)
    os.makedirs(args.work)
    with open(os.path.join(args.work, "bench.json"), "w") as f:
        json.dump(synthetic.bench_json(synthetic.DESIGNS), f)
    with open(os.path.join(args.work, "designs.json"), "w") as f:
        json.dump(synthetic.designs_json(synthetic.DESIGNS, {}), f)

    models = args.models
    if args.explore:
        models = os.path.join(args.work, "models.json")
        cells = []
        for path in (args.models, args.explore):
            with open(path, encoding="utf-8") as f:
                cells += json.load(f)
        with open(models, "w", encoding="utf-8") as f:
            json.dump(cells, f)

    out = os.path.join(args.work, "report")
    run = subprocess.run([sys.executable, os.path.join(os.path.dirname(HERE), "make_report.py"),
                          "--models", models, "--stress", args.stress,
                          "--bench", os.path.join(args.work, "bench.json"),
                          "--designs", os.path.join(args.work, "designs.json"), "--out", out],
                         capture_output=True, text=True, timeout=120)
    if run.returncode != 0:
        fail(f"make_report exited {run.returncode}: {run.stderr.strip()}")
    page = "file://" + os.path.abspath(os.path.join(out, "index.html"))

    with tempfile.TemporaryDirectory() as profile:
        shot = os.path.join(args.work, "screenshot.png")
        chromium([f"--screenshot={shot}", "--window-size=1400,3000", page], profile)
        if not os.path.exists(shot):
            fail("chromium wrote no screenshot")
        dom = chromium(["--dump-dom", page], profile)

    import matplotlib.image
    image = matplotlib.image.imread(shot)
    green = pixels_of(image, COLOURS["pass"])
    failures = {v: pixels_of(image, c) for v, c in COLOURS.items() if v != "pass"}
    if green < 500:
        fail(f"the screenshot {shot} shows no pass-green matrix cell ({green} pixels)")
    if max(failures.values()) < 500:
        fail(f"the screenshot {shot} shows no failure colour: {failures}")
    if '<table class="matrix">' not in dom:
        fail("the page's DOM has no verdict matrix table")
    if dom.count("<svg") < 1:
        fail("the page's DOM has no <svg> chart")
    for what, text in (("the engines table", "Engines: which checks which memory model"),
                       ("the proof-or-sample section", '<section id="coverage">'),
                       ("a search run to its end", "∎"),
                       ("a task wake's first resume (notify_task first_p50)", "µs, first ")):
        if text not in dom:
            fail(f"the page's DOM has no {what} ({text!r})")
    if args.explore:
        for what, text in (("the explorer's engine row", '<td class="design">explorer</td>'),
                           ("the dpor column", "<th>dpor (explorer)</th>"),
                           ("a dpor proof", " exec ∎")):
            if text not in dom:
                fail(f"the page's DOM has no {what} ({text!r}) although --explore was given")
    shown = sorted(v for v, n in failures.items() if n >= 500)
    print(f"report_render: ok: {shot}: {green} pass-green pixels, failure colours {', '.join(shown)}; "
          f"DOM has the matrix and {dom.count('<svg')} charts")


if __name__ == "__main__":
    main()
