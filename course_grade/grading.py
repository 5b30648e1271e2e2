"""nbgrader plumbing shared by the notebook generator and the grading tests.

Not part of any lesson. ``solutions/NN_topic.ipynb`` are flat files; nbgrader
wants a course directory with ``source/<assignment>/<notebook>.ipynb``. Each
notebook is one assignment named after its stem. :func:`course_directory`
lays out such a directory with the course's ``nbgrader_config.py``;
:func:`release` runs nbgrader's generate_assignment on it in this process,
and :func:`nbgrader` runs nbgrader's own command line inside it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
SOLUTIONS = REPO / "solutions"
NOTEBOOKS = REPO / "notebooks"
COURSE_ID = "object-recognition"
CELL_TIMEOUT_S = 600  # per cell in nbgrader's own config and when release runs the solution (autograde sets its own)

NBGRADER_CONFIG = f"""\
c = get_config()  # noqa: F821 (nbgrader's config loader defines it)
c.CourseDirectory.course_id = {COURSE_ID!r}
c.CourseDirectory.db_url = "sqlite:///gradebook.db"
c.ClearSolutions.code_stub = {{"python": "# YOUR CODE HERE\\nraise NotImplementedError()"}}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
c.Execute.timeout = {CELL_TIMEOUT_S}
c.Execute.interrupt_on_timeout = True
"""


def solution_names(folder: Path = SOLUTIONS) -> list[str]:
    """Stems of the source notebooks in ``folder``, in course order."""
    return sorted(p.stem for p in folder.glob("[0-9][0-9]_*.ipynb"))


def course_directory(root: Path, names: list[str] | None = None, source: Path = SOLUTIONS, config: str = NBGRADER_CONFIG) -> Path:
    """Lay out an nbgrader course directory at ``root`` with the given sources (from ``source``) and ``config``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "nbgrader_config.py").write_text(config)
    for name in names or solution_names(source):
        folder = root / "source" / name
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / f"{name}.ipynb", folder / f"{name}.ipynb")
    return root


def nbgrader_env() -> dict[str, str]:
    """The environment nbgrader runs in: this environment's scripts first on PATH (nbgrader runs `alembic`)."""
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return {**os.environ, "PATH": path, "PYTHONWARNINGS": "ignore::DeprecationWarning"}


def nbgrader(root: Path, *args: str, timeout: float | None = None) -> subprocess.CompletedProcess:
    """Run ``nbgrader ARGS`` in course directory ``root``; raise with its log on failure."""
    result = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args], cwd=root, env=nbgrader_env(), capture_output=True, text=True, timeout=timeout
    )
    if result.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed with exit code {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


def release(root: Path, name: str) -> Path:
    """Generate the student version of assignment ``name``; return its path.

    nbgrader's ``generate_assignment``, run in this process (its command line would import nbgrader, two
    seconds, once per notebook), with the course directory's config read as that command reads it there.
    """
    from nbgrader.converters import GenerateAssignment
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.utils import capture_log
    from traitlets.config.loader import PyFileConfigLoader

    root = root.resolve()
    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    config.CourseDirectory.db_url = rooted(config.CourseDirectory.get("db_url", "sqlite:///gradebook.db"), root)
    coursedir = CourseDirectory(config=config, root=str(root))
    coursedir.assignment_id = name
    generate = GenerateAssignment(coursedir=coursedir, config=config, force=True)
    with warnings.catch_warnings(), scripts_on_path():
        warnings.simplefilter("ignore", DeprecationWarning)
        result = capture_log(generate)
    if not result["success"]:
        raise RuntimeError(f"nbgrader generate_assignment {name} failed:\n{result.get('log', '')}\n{result.get('error', '')}")
    return root / "release" / name / f"{name}.ipynb"


def rooted(url: str, root: Path) -> str:
    """A gradebook URL with a relative SQLite path taken from ``root``, as nbgrader's command line run there reads it."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        return f"sqlite:///{root / url.removeprefix('sqlite:///')}"
    return url


@contextlib.contextmanager
def scripts_on_path():
    """This environment's scripts first on PATH while nbgrader runs in this process (a new gradebook runs ``alembic``)."""
    saved = os.environ.get("PATH")
    os.environ["PATH"] = nbgrader_env()["PATH"]
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("PATH", None)
        else:
            os.environ["PATH"] = saved


def submit(root: Path, name: str, student: str, notebook: Path) -> None:
    """Place ``notebook`` as ``student``'s submission of assignment ``name``."""
    folder = root / "submitted" / student / name
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(notebook, folder / f"{name}.ipynb")


def autograde(root: Path, name: str, student: str) -> None:
    """Autograde ``student``'s submission of assignment ``name`` with nbgrader."""
    nbgrader(root, "autograde", name, "--student", student, "--force")


def scores(root: Path, name: str, student: str, db_url: str | None = None) -> dict[str, tuple[float, float]]:
    """``{grade_id: (score, max_score)}`` for every graded cell of a submission (in ``root``'s gradebook.db unless ``db_url``)."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url or f"sqlite:///{root / 'gradebook.db'}", COURSE_ID) as gradebook:
        notebook = gradebook.find_submission_notebook(name, name, student)
        return {grade.name: (grade.score, grade.max_score) for grade in notebook.grades}


def normalised(path: Path) -> str:
    """A notebook's JSON in nbformat's canonical form (for comparing generations)."""
    return nbformat.writes(nbformat.read(path, as_version=4))


def generate_notebooks(out: Path = NOTEBOOKS) -> list[Path]:
    """Regenerate every student notebook in ``out`` from ``solutions/``."""
    with tempfile.TemporaryDirectory() as tmp:
        root = course_directory(Path(tmp) / "course")
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for name in solution_names():
            target = out / f"{name}.ipynb"
            target.write_text(normalised(release(root, name)))
            written.append(target)
        for stale in set(out.glob("*.ipynb")) - set(written):
            stale.unlink()
    return written


if __name__ == "__main__":
    for path in generate_notebooks():
        print(f"wrote {path.relative_to(REPO)}")
