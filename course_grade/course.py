"""The course directory the instructor grades in: its layout, the grading configuration, outcomes.

Not part of any lesson.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import nbformat
from nbgrader import utils
from nbgrader.api import Gradebook

from course_grade import grading

STATUS_FILE = "autograde.json"


SCAN_FILE = "scan.json"


REFERENCE = "reference"  # the course directory's folder of the solution's observations, one JSON per notebook


THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")


COURSE_CONFIG = (
    grading.NBGRADER_CONFIG
    + """
from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader.preprocessors import (
    AssignLatePenalties, CheckCellMetadata, ClearOutput, Execute, IgnorePattern, OverwriteCells, OverwriteKernelspec, SaveAutoGrades,
)

from course_grade.preprocessors import CompareObservations, DeduplicateIdsFully, LimitOutputSize, MarkHiddenTests

c.OverwriteCells.add_missing_cells = True  # a deleted test cell is put back from the gradebook
c.IgnorePattern.enabled = True  # standard error (a warning) never costs points: only an exception does
c.IgnorePattern.pattern = "^"
c.Autograde.sanitize_preprocessors = [ClearOutput, DeduplicateIdsFully, OverwriteKernelspec, OverwriteCells, CheckCellMetadata]
c.Autograde.autograde_preprocessors = [
    MarkHiddenTests, Execute, CompareObservations, IgnorePattern, ClearMetadataPreprocessor, LimitOutputSize,
    SaveAutoGrades, AssignLatePenalties, CheckCellMetadata,
]
"""
)


STUDENT_REASONS = {
    "missing": "it was not handed in",
    "unreadable": "the file handed in is not a readable notebook",
    "crashed": "Python crashed while running it (for example by running out of memory or calling os._exit)",
    "timed out": "it ran past the time limit for a whole notebook",
    "over limit": "it went past a limit the grader sets on every notebook",
    "failed": "the grader could not run it",
}


@dataclass
class Outcome:
    """What became of one student's notebook: ``status`` is "graded" or a key of :data:`STUDENT_REASONS`."""

    status: str
    detail: str = ""
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    peak_memory: int = 0  # bytes, the kernel's (with limits on)


class Course:
    """An nbgrader course directory laid out by ``release``, and its gradebook (``db``, else the one its configuration names)."""

    def __init__(self, path: Path, db: str | None = None):
        self.root = Path(path).expanduser().resolve()
        self.db = db
        for folder in (grading.SOLUTIONS, grading.NOTEBOOKS):
            if self.root == folder or folder in self.root.parents:
                raise SystemExit(
                    f"course-grade: {path} lies inside the course's own {folder.name}/ folder, which must stay as committed; "
                    "choose a course directory elsewhere, for example ~/grading/object-recognition"
                )

    @cached_property
    def db_url(self) -> str:
        """The gradebook's SQLAlchemy URL: ``--db``, else ``c.CourseDirectory.db_url`` of the course's configuration (which
        ``release --db`` writes), else ``gradebook.db`` in the course directory; a relative SQLite path is taken from the root."""
        url = self.db
        if url is None and (self.root / "nbgrader_config.py").is_file():
            from traitlets.config.loader import PyFileConfigLoader

            url = PyFileConfigLoader("nbgrader_config.py", path=str(self.root)).load_config().CourseDirectory.get("db_url")
        return grading.rooted(url or "sqlite:///gradebook.db", self.root)

    def shown_db(self) -> str:
        """The gradebook's URL with its password hidden, for messages."""
        from sqlalchemy.engine import make_url

        return make_url(self.db_url).render_as_string(hide_password=True)

    def gradebook(self) -> Gradebook:
        return Gradebook(self.db_url, grading.COURSE_ID)

    def scores(self, name: str, student: str) -> dict[str, tuple[float, float]]:
        """``{grade_id: (score, max_score)}`` for every graded cell of ``student``'s notebook ``name``."""
        return grading.scores(self.root, name, student, self.db_url)

    def released(self) -> list[str]:
        names = sorted(p.parent.name for p in (self.root / "release").glob("*/*.ipynb") if p.stem == p.parent.name)
        url = self.db_url
        if not names or (url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file()):
            raise SystemExit(f"course-grade: nothing released in {self.root}: run `course-grade release {self.root}` first")
        return names

    def submitted(self) -> list[str]:
        return sorted(p.name for p in (self.root / "submitted").glob("[!.]*") if p.is_dir())

    def submission(self, student: str, name: str) -> Path:
        return self.root / "submitted" / student / name / f"{name}.ipynb"

    def autograded(self, student: str, name: str) -> Path:
        return self.root / "autograded" / student / name / f"{name}.ipynb"

    def grade_ids(self, name: str) -> list[str]:
        """The test cells of notebook ``name``, in order."""
        nb = nbformat.read(self.root / "release" / name / f"{name}.ipynb", as_version=4)
        return [cell.metadata.nbgrader["grade_id"] for cell in nb.cells if utils.is_grade(cell)]

    def statuses(self) -> dict[str, dict[str, dict]]:
        path = self.root / STATUS_FILE
        return json.loads(path.read_text()) if path.is_file() else {}


def say(*parts: object) -> None:
    print(*parts, flush=True)


def grading_env(threads: int) -> dict[str, str]:
    """The environment of a grading process (and of its kernels) with ``threads`` threads per kernel."""
    env = grading.nbgrader_env()
    for variable in THREAD_VARIABLES:
        env.setdefault(variable, str(threads))
    return env


def source_digest(root: Path, name: str) -> str:
    return hashlib.sha256((root / "source" / name / f"{name}.ipynb").read_bytes()).hexdigest()


def load_reference(root: Path, name: str) -> dict[str, list[dict]]:
    """The solution's observations for notebook ``name``, per test cell; RuntimeError if missing or stale."""
    path = root / REFERENCE / f"{name}.json"
    if not path.is_file():
        raise RuntimeError(f"{path} is missing: run `course-grade release {root}` first")
    reference = json.loads(path.read_text())
    if reference["source_sha256"] != source_digest(root, name):
        raise RuntimeError(f"source/{name} changed since its release: run `course-grade release {root}` again")
    return reference["observations"]
