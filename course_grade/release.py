"""``course-grade release``: the student notebooks, the gradebook, and the solution's observations.

Not part of any lesson.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

import nbformat
from nbgrader import utils

from course_grade import grading, observations
from course_grade.course import COURSE_CONFIG, REFERENCE, Course, grading_env, say, source_digest


def release(course: Course, names: list[str], solutions: Path) -> int:
    """Generate the student version of each notebook into ``release/`` and the gradebook."""
    names = names or grading.solution_names(solutions)
    absent = [name for name in names if not (solutions / f"{name}.ipynb").is_file()]
    if absent:
        say(f"course-grade: no such notebook in {solutions}: {', '.join(absent)}")
        return 1
    config = COURSE_CONFIG + (f"c.CourseDirectory.db_url = {course.db!r}  # course-grade release --db\n" if course.db else "")
    grading.course_directory(course.root, names, source=solutions, config=config)
    failed = []
    for i, name in enumerate(names, 1):
        try:
            grading.release(course.root, name)
            start = time.monotonic()
            silent = record_reference(course.root, name)
            say(f"[{i}/{len(names)}] released {name}; the solution's observations recorded ({time.monotonic() - start:.0f} s)"
                + "".join(f"\n    note: test cell {g} observes nothing: only its in-kernel asserts decide it" for g in silent))
        except RuntimeError as error:
            failed.append(name)
            say(f"[{i}/{len(names)}] FAILED to release {name}:\n{error}")
    say(f"released {len(names) - len(failed)} of {len(names)} notebooks into {course.root / 'release'}; gradebook {course.shown_db()}")
    return 1 if failed else 0


def record_reference(root: Path, name: str) -> list[str]:
    """Run the solution as a submission is run for grading; keep what its hidden tests observe in ``reference/<name>.json``.

    Returns the test cells that observe nothing. Raises RuntimeError if the solution fails.
    """
    from nbclient import NotebookClient

    nb = nbformat.read(root / "source" / name / f"{name}.ipynb", as_version=4)
    env = {**grading_env(os.cpu_count() or 1), "NBGRADER_EXECUTION": "autograde"}
    with tempfile.TemporaryDirectory() as scratch:
        client = NotebookClient(nb, timeout=grading.CELL_TIMEOUT_S, kernel_name="python3", allow_errors=True,
                                resources={"metadata": {"path": scratch}})
        client.execute(env=env)
    tests = [cell for cell in nb.cells if utils.is_grade(cell) and not utils.is_solution(cell) and cell.cell_type == "code"]
    errors = [f"{cell.get('id', '?')}: {out.ename}: {out.evalue}" for cell in nb.cells if cell.cell_type == "code"
              for out in cell.outputs if out.output_type == "error"]
    if errors:
        raise RuntimeError("the solution fails when run for grading:\n" + "\n".join(errors))
    observed = {cell.metadata.nbgrader["grade_id"]: observations.cell_observations(cell) for cell in tests}
    path = root / REFERENCE / f"{name}.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps({"source_sha256": source_digest(root, name), "observations": observed}))
    return [grade_id for grade_id, values in observed.items() if not values]
