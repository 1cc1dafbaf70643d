"""The `--work DIR` argument every report test takes: a directory for its
inputs and reports, emptied at the start so a file of an earlier run can
never stand in for one this run failed to write."""

import argparse
import os
import shutil


def work_dir():
    p = argparse.ArgumentParser()
    p.add_argument("--work", required=True)
    work = p.parse_args().work
    if os.path.exists(work):
        shutil.rmtree(work)
    os.makedirs(work)
    return work
