"""Seconds the whole course takes: every solution notebook run alone, top to bottom, on full data, as a student runs it.

A benchmark, not a test: run it by hand on an otherwise idle machine.

    python benchmarks/course_time.py            # all notebooks, one after the other
    python benchmarks/course_time.py 07 12      # some of them (by number)
    python benchmarks/course_time.py --cells 3  # and each notebook's 3 slowest cells

Each notebook runs in a fresh kernel of this environment, in a scratch
folder, without the quick-run settings the autograder uses, with a cell
timeout; the kernel's start is counted, as a student waits for it too.
Prints each notebook's seconds and the total against the course's target.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 600  # the whole course in 10 minutes on the course's 2-core machine
CELL_TIMEOUT = 1200


def run_notebook(path: Path) -> tuple[float, nbformat.NotebookNode]:
    """Seconds to start a kernel and run every cell of ``path``, and the executed notebook; raises if a cell fails."""
    nb = nbformat.read(path, as_version=4)
    scratch = Path(tempfile.mkdtemp(prefix=f"{path.stem}-"))
    try:
        client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3", resources={"metadata": {"path": str(scratch)}})
        start = time.perf_counter()
        client.execute(stderr=subprocess.DEVNULL)  # the kernel's own start-up notes; a failing cell still raises
        return time.perf_counter() - start, nb
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def cell_seconds(nb: nbformat.NotebookNode) -> list[tuple[float, int, str]]:
    """(seconds, code cell number from 1, first line) of each executed code cell, from the timings nbclient records."""
    cells = []
    for number, cell in enumerate((c for c in nb.cells if c.cell_type == "code"), 1):
        timing = cell.metadata.get("execution", {})
        if "iopub.execute_input" in timing and "shell.execute_reply" in timing:
            begin, end = (datetime.fromisoformat(timing[k].replace("Z", "+00:00")) for k in ("iopub.execute_input", "shell.execute_reply"))
            cells.append(((end - begin).total_seconds(), number, cell.source.strip().split("\n")[0][:60]))
    return cells


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("numbers", nargs="*", help="notebook numbers, e.g. 07 12 (default: all)")
    parser.add_argument("--cells", type=int, default=0, metavar="N", help="also print each notebook's N slowest code cells")
    args = parser.parse_args()
    for variable in ("COURSE_QUICK", "NBGRADER_EXECUTION"):  # full data, as for a student
        os.environ.pop(variable, None)
    paths = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
    if args.numbers:
        paths = [p for p in paths if p.name[:2] in args.numbers]
    print(f"{len(paths)} notebooks, {os.cpu_count()} CPU cores, one at a time", flush=True)
    total = 0.0
    for path in paths:
        seconds, executed = run_notebook(path)
        total += seconds
        print(f"{path.stem:<32}{seconds:>8.1f} s", flush=True)
        for cell_time, number, first_line in sorted(cell_seconds(executed), reverse=True)[:args.cells]:
            print(f"    code cell {number:>3}{cell_time:>8.1f} s  {first_line}", flush=True)
    print(f"{'total':<32}{total:>8.1f} s ({total / 60:.1f} minutes; target {TARGET_SECONDS / 60:.0f} minutes"
          f"{', met' if total <= TARGET_SECONDS else ', missed'})")


if __name__ == "__main__":
    main()
