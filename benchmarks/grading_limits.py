"""Measure what grading each notebook needs, to set ``course-grade autograde``'s default limits (not a test).

Runs every solution notebook as ``course-grade autograde`` runs a submission: a
quick run (``NBGRADER_EXECUTION``), in the sandbox, one thread per kernel (two
students at a time on two cores), in a control group of its own with generous
limits. Prints, per notebook, the whole run's seconds, the slowest cell, the
kernel's peak memory and its threads at the end (TensorFlow's and PyTorch's pools
stay), then the largest of each next to the defaults in
``course_grade.limits`` and ``course_grade.cli``.

    python benchmarks/grading_limits.py [NAME ...]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from datetime import datetime

import nbformat
from nbclient import NotebookClient

from course_grade import course, grading, limits, sandbox
from course_grade.autograde import CELL_TIMEOUT_S, NOTEBOOK_TIMEOUT_S


def seconds(cell) -> float:
    timing = cell.metadata.get("execution", {})
    try:
        start, end = (datetime.fromisoformat(timing[k].replace("Z", "+00:00")) for k in ("iopub.execute_input", "shell.execute_reply"))
    except KeyError:
        return 0.0
    return (end - start).total_seconds()


THREADS = "import os\nprint(len(os.listdir('/proc/self/task')))"


def measure(name: str) -> tuple[float, str, float, int, int]:
    """``(notebook seconds, slowest cell id, its seconds, peak memory, threads at the end)`` of one quick, sandboxed run."""
    nb = nbformat.read(grading.SOLUTIONS / f"{name}.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(THREADS))
    env = {**course.grading_env(1), "NBGRADER_EXECUTION": "autograde"}
    sandbox.SandboxedKernelManager.limits = limits.Limits(memory=16 * limits.GiB, processes=4096, disk=limits.DEFAULT.disk)
    sandbox.REPORTS.clear()
    with tempfile.TemporaryDirectory() as folder:
        start = time.monotonic()
        client = NotebookClient(nb, timeout=grading.CELL_TIMEOUT_S, kernel_name="python3", allow_errors=True, record_timing=True,
                                kernel_manager_class=sandbox.SandboxedKernelManager, resources={"metadata": {"path": folder}})
        client.execute(env=env)
        total = time.monotonic() - start
    errors = [out.ename for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs if out.output_type == "error"]
    if errors:
        sys.exit(f"{name} failed in a quick run: {errors}")
    threads = int(nb.cells.pop().outputs[0].text)
    slowest = max((c for c in nb.cells if c.cell_type == "code"), key=seconds)
    return total, slowest.get("id", "?"), seconds(slowest), max(r["peak memory"] for r in sandbox.REPORTS), threads


def main(names: list[str]) -> None:
    os.environ.setdefault("MPLBACKEND", "Agg")
    rows = []
    print(f"{'notebook':<28} {'run s':>7} {'slowest cell':>28} {'s':>6} {'peak memory':>12} {'threads':>8}")
    for name in names or grading.solution_names():
        total, cell, cell_s, peak, threads = measure(name)
        rows.append((total, cell_s, peak, threads))
        print(f"{name:<28} {total:7.1f} {cell:>28} {cell_s:6.1f} {peak / limits.GiB:8.2f} GiB {threads:8}", flush=True)
    print(f"largest: a notebook {max(r[0] for r in rows):.1f} s, a cell {max(r[1] for r in rows):.1f} s, "
          f"memory {max(r[2] for r in rows) / limits.GiB:.2f} GiB, {max(r[3] for r in rows)} threads")
    print(f"defaults: {NOTEBOOK_TIMEOUT_S} s per notebook, {CELL_TIMEOUT_S} s per cell, "
          f"{limits.human(limits.DEFAULT.memory)} of memory, {limits.DEFAULT.processes} processes and threads")


if __name__ == "__main__":
    main(sys.argv[1:])
