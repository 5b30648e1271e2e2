"""The instructor's grading workflow: ``course-grade COMMAND COURSE_DIR``.

Not part of any lesson. Wraps nbgrader, through :mod:`helpers.grading`, over a
course directory of the instructor's choosing:

- ``release``: the student notebooks (the generation that makes ``notebooks/``) into ``release/``;
- ``collect``: a folder of hand-ins, a folder or a zip per student, into ``submitted/``;
- ``autograde``: every student, or those named, ``--jobs`` at a time, each in a grading
  process of its own, each kernel in a sandbox (:mod:`helpers.sandbox`; ``--no-sandbox``
  to do without), under a per-cell and a per-notebook time limit; a submission that
  cannot be graded scores zero and is reported, and the rest of the class is graded;
- ``similarity``: pairs of students whose answers to an exercise look copied (:mod:`helpers.similarity`);
- ``export``: one CSV, a row per student, a column per exercise and per notebook, totals;
- ``feedback``: an HTML report per student and notebook that never shows a hidden test.

``python -m helpers.instructor`` is the grading process that ``autograde`` starts for one student.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import html
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
from nbgrader import utils
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import DeduplicateIds, LimitOutput, NbGraderPreprocessor
from traitlets import Integer

from helpers import grading, limits, observations, sandbox, scan, similarity

NOTEBOOK_TIMEOUT_S = 1800  # per notebook, the grading process's start included
HIDDEN_MARK = "[course-grade: hidden tests run after this line]"
HIDDEN_TEST_FAILED = "HiddenTestFailed"  # the error a test cell gets when its observations do not match the solution's
OUTSIDE_FAILURE = r"hidden tests of (\S+) failed outside the kernel: (.*)"  # how CompareObservations logs it
REFERENCE = "reference"  # the course directory's folder of the solution's observations, one JSON per notebook
STATUS_FILE = "autograde.json"
SCAN_FILE = "scan.json"
MAX_HANDIN_BYTES = 100_000_000
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")

COURSE_CONFIG = (
    grading.NBGRADER_CONFIG
    + """
from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader.preprocessors import (
    AssignLatePenalties, CheckCellMetadata, ClearOutput, Execute, IgnorePattern, OverwriteCells, OverwriteKernelspec, SaveAutoGrades,
)

from helpers.instructor import CompareObservations, DeduplicateIdsFully, LimitOutputSize, MarkHiddenTests

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
HIDDEN_FAILED = "Your code passed the visible check above but failed the hidden tests, which try other inputs and edge cases."
TIMED_OUT = "This cell ran past the time limit and was stopped: look for an endless loop or a needlessly slow computation."
FAILED = "This test failed: run your notebook from the top (Kernel, Restart Kernel and Run All Cells) to see why."
NOT_RUN = "This test did not run."


class DeduplicateIdsFully(DeduplicateIds):
    """nbgrader's DeduplicateIds, removing a duplicate's emptied nbgrader metadata (which breaks ``add_missing_cells``)."""

    def preprocess_cell(self, cell, resources, index):
        cell, resources = super().preprocess_cell(cell, resources, index)
        if cell.metadata.get("nbgrader") == {}:
            del cell.metadata["nbgrader"]
        return cell, resources


class MarkHiddenTests(NbGraderPreprocessor):
    """Print :data:`HIDDEN_MARK` just before each test cell's hidden tests, so feedback shows only what the visible part printed."""

    def preprocess_cell(self, cell, resources, index):
        if utils.is_grade(cell) and cell.cell_type == "code":
            mark = f'__import__("builtins").print({HIDDEN_MARK!r}, flush=True)'
            cell.source = re.sub(r"^([ \t]*)### BEGIN HIDDEN TESTS", lambda m: f"{m[1]}{mark}\n{m[0]}", cell.source, count=1, flags=re.M)
        return cell, resources


class CompareObservations(NbGraderPreprocessor):
    """Score a test cell only if its observations match the solution's (see :mod:`helpers.observations`).

    The values the hidden tests sent out of the student's kernel are compared,
    here in the grader's process, with those recorded from the instructor's
    solution at release (``reference/<notebook>.json``); a cell whose values are
    missing or differ gets an error output first, so nbgrader scores it 0.
    The observations are then removed from the notebook, and so is any value a
    test cell displayed (nbgrader would read a number there as partial credit,
    which the course never gives).
    """

    def preprocess(self, nb, resources):
        name = resources["nbgrader"]["notebook"]
        self.reference = load_reference(Path.cwd(), name)  # the grading process runs in the course directory
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        got = observations.cell_observations(cell)
        observations.without_observations(cell)
        if utils.is_grade(cell) and not utils.is_solution(cell):
            cell.outputs = [out for out in cell.outputs if out.output_type != "execute_result"]  # nbgrader: partial credit; never ours
            grade_id = cell.metadata.nbgrader["grade_id"]
            problem = observations.verdict(got, self.reference.get(grade_id, []))
            if problem and not any(out.output_type == "error" for out in cell.outputs):
                self.log.warning("hidden tests of %s failed outside the kernel: %s", grade_id, problem)
                error = nbformat.v4.new_output("error", ename=HIDDEN_TEST_FAILED, evalue=problem,
                                               traceback=[f"{HIDDEN_TEST_FAILED}: {problem}"])
                cell.outputs.append(error)
        return cell, resources


class LimitOutputSize(LimitOutput):
    """nbgrader's limit on lines of output, and at most ``max_chars`` characters in any one text output."""

    max_chars = Integer(100_000, help="maximum number of characters in one text output").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        cell, resources = super().preprocess_cell(cell, resources, index)
        for output in cell.get("outputs", []):
            if output.output_type == "stream" and len(output.text) > self.max_chars:
                output.text = output.text[: self.max_chars] + "\n... Output truncated ..."
            text = output.get("data", {}).get("text/plain")
            if isinstance(text, str) and len(text) > self.max_chars:
                output.data["text/plain"] = text[: self.max_chars] + "\n... Output truncated ..."
        return cell, resources


@dataclass
class Outcome:
    """What became of one student's notebook: ``status`` is "graded" or a key of :data:`STUDENT_REASONS`."""

    status: str
    detail: str = ""
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    peak_memory: int = 0  # bytes, the kernel's (with limits on)


class Course:
    """An nbgrader course directory laid out by ``release``."""

    def __init__(self, path: Path):
        self.root = Path(path).expanduser().resolve()
        for folder in (grading.SOLUTIONS, grading.NOTEBOOKS):
            if self.root == folder or folder in self.root.parents:
                raise SystemExit(
                    f"course-grade: {path} lies inside the course's own {folder.name}/ folder, which must stay as committed; "
                    "choose a course directory elsewhere, for example ~/grading/object-recognition"
                )

    def gradebook(self) -> Gradebook:
        return Gradebook(f"sqlite:///{self.root / 'gradebook.db'}", grading.COURSE_ID)

    def released(self) -> list[str]:
        names = sorted(p.parent.name for p in (self.root / "release").glob("*/*.ipynb") if p.stem == p.parent.name)
        if not names or not (self.root / "gradebook.db").is_file():
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


# ---------------------------------------------------------------- release


def release(course: Course, names: list[str], solutions: Path) -> int:
    """Generate the student version of each notebook into ``release/`` and the gradebook."""
    names = names or grading.solution_names(solutions)
    absent = [name for name in names if not (solutions / f"{name}.ipynb").is_file()]
    if absent:
        say(f"course-grade: no such notebook in {solutions}: {', '.join(absent)}")
        return 1
    grading.course_directory(course.root, names, source=solutions, config=COURSE_CONFIG)
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
    say(f"released {len(names) - len(failed)} of {len(names)} notebooks into {course.root / 'release'}")
    return 1 if failed else 0


def grading_env(threads: int) -> dict[str, str]:
    """The environment of a grading process (and of its kernels) with ``threads`` threads per kernel."""
    env = grading.nbgrader_env()
    for variable in THREAD_VARIABLES:
        env.setdefault(variable, str(threads))
    return env


def source_digest(root: Path, name: str) -> str:
    return hashlib.sha256((root / "source" / name / f"{name}.ipynb").read_bytes()).hexdigest()


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


def load_reference(root: Path, name: str) -> dict[str, list[dict]]:
    """The solution's observations for notebook ``name``, per test cell; RuntimeError if missing or stale."""
    path = root / REFERENCE / f"{name}.json"
    if not path.is_file():
        raise RuntimeError(f"{path} is missing: run `course-grade release {root}` first")
    reference = json.loads(path.read_text())
    if reference["source_sha256"] != source_digest(root, name):
        raise RuntimeError(f"source/{name} changed since its release: run `course-grade release {root}` again")
    return reference["observations"]


# ---------------------------------------------------------------- collect


def handed_in(entry: Path) -> tuple[dict[str, bytes], str | None]:
    """The notebook files in one student's folder or zip, by path inside it; or a reason it cannot be read."""

    def wanted(name: str) -> bool:
        parts = Path(name).parts
        return name.endswith(".ipynb") and not any(p.startswith(".") or p == "__MACOSX" for p in parts)

    if entry.is_dir():
        paths = [str(p.relative_to(entry)) for p in sorted(entry.rglob("*.ipynb"))]
        return {path: (entry / path).read_bytes() for path in paths if wanted(path)}, None
    try:
        with zipfile.ZipFile(entry) as archive:
            members = [m for m in archive.infolist() if wanted(m.filename) and not m.is_dir()]
            if any(m.file_size > MAX_HANDIN_BYTES for m in members):
                return {}, f"a notebook in {entry.name} is larger than {MAX_HANDIN_BYTES // 1_000_000} MB"
            return {m.filename: archive.read(m) for m in members}, None
    except (zipfile.BadZipFile, OSError) as error:
        return {}, f"{entry.name} is not a readable zip file ({error})"


def course_name(filename: str, names: list[str]) -> str | None:
    """The course notebook that a handed-in file name stands for, if exactly one fits."""
    stem = Path(filename).stem
    if stem in names:
        return stem
    number = re.match(r"\d\d", stem)
    fits = [n for n in names if (number and n[:2] == number[0]) or n[3:] in stem.lower()]
    return fits[0] if len(fits) == 1 else None


def collect(course: Course, inbox: Path) -> int:
    """Copy each student's notebooks from ``inbox`` into ``submitted/`` and report what is missing, misnamed or unreadable."""
    names = course.released()
    if not inbox.is_dir():
        say(f"course-grade: {inbox} is not a folder")
        return 1
    entries = [e for e in sorted(inbox.iterdir()) if not e.name.startswith(".") and e.name != "__MACOSX"]
    failed = 0
    for entry in entries:
        student = entry.name if entry.is_dir() else entry.stem
        problems, notes, taken = [], [], {}
        if not entry.is_dir() and entry.suffix.lower() != ".zip":
            problems.append("not collected: neither a student's folder nor a zip")
        elif not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.@+-]*", student):
            problems.append("not collected: a student id holds only letters, digits and _ . @ + -; rename it")
        else:
            files, unreadable = handed_in(entry)
            problems += [f"unreadable: {unreadable}"] if unreadable else []
            by_name: dict[str, list[str]] = {}
            for filename in files:
                name = course_name(filename, names)
                if name:
                    by_name.setdefault(name, []).append(filename)
                else:
                    notes.append(f"ignored {filename}: not one of the course's notebooks")
            for name, candidates in by_name.items():
                exact = [f for f in candidates if Path(f).name == f"{name}.ipynb"]
                if len(exact) != 1 and len(candidates) != 1:
                    problems.append(f"misnamed: {', '.join(candidates)} could each be {name}; none taken: rename one")
                    continue
                taken[name] = (exact or candidates)[0]
                if not exact:
                    notes.append(f"misnamed: {taken[name]} taken as {name}")
                notes += [f"ignored {f}: {taken[name]} is {name}" for f in candidates if f != taken[name]]
            for name, filename in taken.items():
                try:
                    nbformat.reads(files[filename].decode("utf-8"), as_version=4)
                except Exception as error:  # noqa: BLE001 (whatever the parse error, the student must fix the file)
                    problems.append(f"unreadable: {filename} is not a valid notebook ({type(error).__name__}: {str(error)[:200]})")
                target = course.submission(student, name)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(files[filename])
            missing = [n for n in names if n not in taken]
            problems += [f"missing: {', '.join(missing)}"] if missing else []
        failed += bool(problems)
        say(f"{entry.name}: collected {len(taken)} of {len(names)} notebooks" + "".join(f"\n    {r}" for r in problems + notes))
    say(f"collected {len(entries)} hand-ins into {course.root / 'submitted'}; {failed} with problems")
    return 1 if failed or not entries else 0


# ---------------------------------------------------------------- autograde


def check_submission(path: Path, released: nbformat.NotebookNode) -> tuple[Outcome | None, list[str]]:
    """Check a submission against its ``released`` notebook.

    Returns an :class:`Outcome` if it cannot be graded, and notes on what grading repairs.
    """
    if not path.is_file():
        return Outcome("missing", "not handed in"), []
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as error:  # noqa: BLE001 (whatever the parse error, the file cannot be graded)
        return Outcome("unreadable", f"not a readable notebook: {type(error).__name__}: {str(error)[:300]}"), []
    ids = [meta.get("grade_id") if isinstance(meta := cell.metadata.get("nbgrader"), dict) else None for cell in nb.cells]
    counts = Counter(filter(None, ids))
    notes = [f"cell {i} appears {n} times (split or duplicated); the last copy counts" for i, n in counts.items() if n > 1]
    sources = {i: cell.source for i, cell in zip(ids, nb.cells) if i}
    locked = {cell.metadata.nbgrader["grade_id"]: cell.source for cell in released.cells if utils.is_locked(cell)}
    kernel = released.metadata.kernelspec.name
    for grade_id, source in locked.items():
        if grade_id not in sources:
            notes.append(f"test cell {grade_id} was deleted; put back from the gradebook")
        elif sources[grade_id] != source:
            notes.append(f"locked cell {grade_id} was edited; restored from the gradebook")
    named = nb.metadata.get("kernelspec", {}).get("name") if isinstance(nb.metadata.get("kernelspec"), dict) else None
    if named != kernel:
        notes.append(f"kernel {named!r} ignored; graded with {kernel!r}")
    return None, notes


def failure(result: dict) -> tuple[str, str]:
    """``(status, detail)`` of an nbgrader run that failed, from its captured log."""
    log = result.get("log", "")
    if "DeadKernelError" in log or "Kernel died" in log:
        return "crashed", "the kernel died"
    lines = re.findall(r"^\s*([\w.]*(?:Error|Exception): .*)$", log, re.M) or re.findall(r"^\[ERROR\] (.*)$", log, re.M)
    return "failed", (lines or [result.get("error", "unknown").strip().splitlines()[-1]])[-1][:300]


SANDBOX_SWITCH = "COURSE_GRADE_SANDBOX"  # "0" in a grading process's environment: its kernels run unconfined (--no-sandbox)
LIMITS_SWITCH = "COURSE_GRADE_LIMITS"  # "memory processes disk" (bytes, count, bytes) for each kernel, or "0" (--no-limits)


class Grader:
    """Grades students, each in a grading process of its own, ``jobs`` at a time."""

    def __init__(self, course: Course, names: list[str], jobs: int, cell_timeout: int, notebook_timeout: int, sandboxed: bool = True,
                 kernel_limits: limits.Limits | None = None):
        self.course, self.names, self.jobs = course, names, jobs
        self.cell_timeout, self.notebook_timeout = cell_timeout, notebook_timeout
        self.lock = threading.Lock()
        self.done = self.total = 0
        self.stopped = False
        self.env = grading_env(max(1, (os.cpu_count() or 1) // jobs))
        self.env[SANDBOX_SWITCH] = "1" if sandboxed else "0"
        bounds = kernel_limits
        self.env[LIMITS_SWITCH] = f"{bounds.memory} {bounds.processes} {bounds.disk}" if bounds else "0"
        self.released = {name: nbformat.read(course.root / "release" / name / f"{name}.ipynb", as_version=4) for name in names}

    def run(self, students: list[str]) -> dict[str, dict[str, Outcome]]:
        with self.course.gradebook() as gradebook:
            for student in students:  # before the grading processes start, so that none races to create one
                gradebook.update_or_create_student(student)
        self.total = len(students) * len(self.names)
        with ThreadPoolExecutor(self.jobs) as pool:
            try:
                return dict(zip(students, pool.map(self.grade, students)))
            except KeyboardInterrupt:  # the grading processes got it too; start no others
                self.stopped = True
                pool.shutdown(cancel_futures=True)
                raise

    def grade(self, student: str) -> dict[str, Outcome]:
        outcomes, pending = {}, []
        for name in self.names:
            try:
                outcome, notes = check_submission(self.course.submission(student, name), self.released[name])
            except Exception as error:  # noqa: BLE001 (one odd file must not stop the class)
                outcome, notes = Outcome("unreadable", f"{type(error).__name__}: {error}"[:300]), []
            if outcome:
                self.finish(student, name, outcome, outcomes)
            else:
                pending.append(name)
                outcomes[name] = Outcome("graded", notes=notes)
        while pending and not self.stopped:
            self.run_process(student, pending, outcomes)
        return outcomes

    def run_process(self, student: str, pending: list[str], outcomes: dict[str, Outcome]) -> None:
        """Grade ``pending`` notebooks in one grading process; stop it at a notebook over the time limit."""
        log_path = self.course.root / "logs" / f"{student}.log"
        log_path.parent.mkdir(exist_ok=True)
        command = [sys.executable, "-m", "helpers.instructor", str(self.course.root), student, str(self.cell_timeout), *pending]
        scratch = tempfile.mkdtemp(prefix="course-grade-")  # its temporary files, its kernels' sockets among them, even if it is killed
        with open(log_path, "a") as log:
            process = subprocess.Popen(command, cwd=self.course.root, env={**self.env, "TMPDIR": scratch}, stdout=subprocess.PIPE,
                                       stderr=log, text=True)
        lines: queue.Queue[str | None] = queue.Queue()

        def read() -> None:
            for line in process.stdout:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=read, daemon=True).start()
        start = time.monotonic()
        while pending and not self.stopped:
            name = pending.pop(0)
            try:
                line = lines.get(timeout=self.notebook_timeout)
            except queue.Empty:
                line = ""
                process.kill()  # its kernel goes with it (bwrap's --die-with-parent; unsandboxed, ipykernel's parent poller)
                outcome = Outcome("timed out", f"stopped after {self.notebook_timeout} s")
            if line is None:
                outcome = Outcome("failed", f"the grading process exited with code {process.wait()}; see {log_path}")
            elif line:
                result = json.loads(line)
                hits = result.get("limits hit", [])
                if hits:
                    outcome = Outcome("over limit", "; ".join(hits))
                else:
                    outcome = Outcome("graded") if result["success"] else Outcome(*failure(result))
                outcome.peak_memory = result.get("peak memory", 0)
                outcome.notes = [f"test cell {grade_id} raised nothing in the kernel, yet its values differ from the solution's ({why}): "
                                 "scored 0; see the scan report" for grade_id, why in re.findall(OUTSIDE_FAILURE, result.get("log", ""))]
            outcome.notes, outcome.seconds = outcomes[name].notes + outcome.notes, round(time.monotonic() - start, 1)
            start = time.monotonic()
            self.finish(student, name, outcome, outcomes)
            if not line:
                break  # the process is gone: the caller starts another for the rest
        process.wait()
        shutil.rmtree(scratch, ignore_errors=True)

    def finish(self, student: str, name: str, outcome: Outcome, outcomes: dict[str, Outcome]) -> None:
        """Record an outcome: a notebook that was not graded scores zero and leaves no graded copy behind."""
        outcomes[name] = outcome
        score = ""
        if outcome.status != "graded":
            shutil.rmtree(self.course.autograded(student, name).parent, ignore_errors=True)
            with self.course.gradebook() as gradebook:
                try:
                    for grade in gradebook.find_submission_notebook(name, name, student).grades:
                        grade.auto_score, grade.needs_manual_grade = 0, False
                    gradebook.db.commit()
                except MissingEntry:
                    pass
        else:
            scores = grading.scores(self.course.root, name, student)
            score = f"{sum(s for s, _ in scores.values()):g}/{sum(m for _, m in scores.values()):g}"
        with self.lock:
            self.done += 1
            state = score if outcome.status == "graded" else f"{outcome.status.upper()}: {outcome.detail}"
            timing = f" ({outcome.seconds:.1f} s" + (f", {outcome.peak_memory / limits.GiB:.2f} GiB" if outcome.peak_memory else "") + ")" \
                if outcome.seconds else ""
            say(f"[{self.done}/{self.total}] {student} {name}: {state}{timing}" + "".join(f"\n    note: {n}" for n in outcome.notes))


def autograde(course: Course, students: list[str], names: list[str], jobs: int, cell_timeout: int, notebook_timeout: int,
              sandboxed: bool = True, kernel_limits: limits.Limits | None = limits.DEFAULT) -> int:
    """Grade the class (or ``students``) and report, per student, what failed.

    With ``sandboxed`` (the default) every kernel runs in :mod:`helpers.sandbox`, and with
    ``kernel_limits`` (the default ones unless None) within those limits (:mod:`helpers.limits`),
    both checked first: if either cannot run or does not hold, nothing is graded and the exit code is 2.
    """
    released = course.released()
    unknown = sorted(set(names) - set(released))
    if unknown:
        say(f"course-grade: not released: {', '.join(unknown)}")
        return 1
    names = names or released
    students = students or course.submitted()
    if not students:
        say(f"course-grade: no submissions in {course.root / 'submitted'}: run `course-grade collect` first")
        return 1
    if sandboxed:
        try:
            sandbox.check(course.root, disk=(kernel_limits or limits.DEFAULT).disk)
        except sandbox.SandboxUnavailable as error:
            say(f"course-grade: nothing graded: {error}")
            return 2
    if kernel_limits is not None:
        try:
            limits.check(kernel_limits)
        except limits.LimitsUnavailable as error:
            say(f"course-grade: nothing graded: {error}")
            return 2
    findings = scan.scan_course(course.root, students, names)
    scan.write_report(findings, course.root / SCAN_FILE)
    say(scan.format_report(findings) + f" (flagged for you to read, scores unaffected; {SCAN_FILE})")
    isolation = "sandboxed (bwrap: no network, read-only submission)" if sandboxed else "NOT sandboxed (--no-sandbox)"
    bounds = kernel_limits.describe() if kernel_limits else "no memory, process or disk limit (--no-limits)"
    say(f"grading {len(students)} students x {len(names)} notebooks, {jobs} at a time; "
        f"limits: {cell_timeout} s per cell, {notebook_timeout} s per notebook, {bounds} per kernel; kernels {isolation}")
    start = time.monotonic()
    results = Grader(course, names, jobs, cell_timeout, notebook_timeout, sandboxed, kernel_limits).run(students)
    elapsed = time.monotonic() - start
    statuses = course.statuses()
    for student, outcomes in results.items():
        statuses.setdefault(student, {}).update({name: asdict(outcome) for name, outcome in outcomes.items()})
    (course.root / STATUS_FILE).write_text(json.dumps(statuses, indent=1, sort_keys=True))
    failed = [(s, n, o) for s, outcomes in results.items() for n, o in outcomes.items() if o.status != "graded"]
    say(f"graded {len(students) * len(names) - len(failed)} of {len(students) * len(names)} notebooks in {elapsed:.0f} s "
        f"({elapsed / len(students):.0f} s per student with {jobs} at a time)")
    for student, name, outcome in failed:
        say(f"FAILED {student} {name}: {outcome.status}: {outcome.detail} (scored 0)")
    return 1 if failed else 0


def worker(root: str, student: str, cell_timeout: str, *names: str) -> None:
    """The grading process: autograde ``names`` for ``student`` with nbgrader, one JSON line on stdout per notebook."""
    import logging

    from nbgrader.converters import Autograde
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    results = os.fdopen(os.dup(1), "w")  # kernels inherit stdout: send them, and nbgrader's log, to the log file
    os.dup2(2, 1)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    config = PyFileConfigLoader("nbgrader_config.py", path=root).load_config()
    config.Execute.timeout = int(cell_timeout)
    sandbox.SandboxedKernelManager.confine = os.environ.get(SANDBOX_SWITCH) != "0"
    bounds = os.environ.get(LIMITS_SWITCH, "0")
    sandbox.SandboxedKernelManager.limits = None if bounds == "0" else limits.Limits(*map(int, bounds.split()))
    for name in names:
        logging.info("grading %s %s", student, name)
        coursedir = CourseDirectory(config=config, root=root)
        coursedir.assignment_id, coursedir.student_id = name, student
        autograde = Autograde(coursedir=coursedir, config=config, force=True)
        autograde.autograde_preprocessors = sandbox.sandboxed(autograde.autograde_preprocessors)
        sandbox.REPORTS.clear()
        result = utils.capture_log(autograde)
        graded = Path(root, "autograded", student, name, f"{name}.ipynb")
        result["limits hit"] = [hit for report in sandbox.REPORTS for hit in report["limits hit"]] + timed_out(graded, int(cell_timeout))
        result["peak memory"] = max((report["peak memory"] for report in sandbox.REPORTS), default=0)
        results.write(json.dumps(result) + "\n")
        results.flush()


def timed_out(path: Path, cell_timeout: int) -> list[str]:
    """"cell X ran past N s" for each cell of the graded notebook at ``path`` that the per-cell time limit stopped."""
    try:
        nb = nbformat.read(path, as_version=4)
    except (OSError, ValueError):
        return []
    return [f"cell {cell.get('id', '?')} ran past {cell_timeout} s" for cell in nb.cells if cell.cell_type == "code"
            if any(out.output_type == "error" and out.get("ename") == "CellTimeoutError" for out in cell.outputs)]


# ---------------------------------------------------------------- export


def export(course: Course, to: Path) -> int:
    """Write the CSV of scores: a row per student, a column per exercise and per notebook, the total and the problems."""
    names = course.released()
    statuses = course.statuses()
    columns = {name: course.grade_ids(name) for name in names}
    header = ["student"] + [f"{n}/{g}" for n in names for g in columns[n]] + names + ["total", "max", "problems"]
    ungraded = []
    with course.gradebook() as gradebook:
        students = sorted({s.id for s in gradebook.students} | set(course.submitted()))
        maximum = sum(gradebook.find_notebook(n, n).max_score for n in names)
        rows = []
        for student in students:
            cells, totals, problems = {}, {}, []
            for name in names:
                try:
                    grades = {g.name: g.score or 0 for g in gradebook.find_submission_notebook(name, name, student).grades}
                except MissingEntry:
                    grades = {}
                cells.update({f"{name}/{g}": grades.get(g, 0) for g in columns[name]})
                totals[name] = sum(grades.values())
                status = statuses.get(student, {}).get(name)
                if status and status["status"] != "graded":
                    problems.append(f"{name}: {status['status']}")
                elif not status and course.submission(student, name).is_file():
                    problems.append(f"{name}: not autograded")
                    ungraded.append(f"{student} {name}")
            row = {"student": student, **cells, **totals, "total": sum(totals.values()), "max": maximum, "problems": "; ".join(problems)}
            rows.append({k: f"{v:g}" if isinstance(v, float | int) else v for k, v in row.items()})
    to.parent.mkdir(parents=True, exist_ok=True)
    with open(to, "w", newline="") as f:
        writer = csv.DictWriter(f, header)
        writer.writeheader()
        writer.writerows(rows)
    say(f"wrote {len(rows)} students x {len(names)} notebooks to {to}")
    for item in ungraded:
        say(f"NOT AUTOGRADED {item}: handed in but never graded (counted as 0): run `course-grade autograde`")
    return 1 if ungraded or not rows else 0


# ---------------------------------------------------------------- feedback


def visible_part(source: str) -> str:
    """A test cell's source without its hidden tests."""
    return re.split(r"^[ \t]*### BEGIN HIDDEN TESTS", source, maxsplit=1, flags=re.M)[0].rstrip()


def visible_outcome(cell) -> tuple[str, str]:
    """``(what the visible part printed, what went wrong)`` for a test cell of an autograded notebook.

    What the hidden tests printed or raised is never returned: printing stops at
    :data:`HIDDEN_MARK`, and an error is quoted only when the traceback places it
    on a line before the hidden tests (and the mark was not reached).
    """
    lines = cell.source.splitlines()
    hidden_from = next((i for i, line in enumerate(lines, 1) if HIDDEN_MARK in line), len(lines) + 1)
    printed = "".join(o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stdout")
    visible, mark, _ = printed.partition(HIDDEN_MARK)
    errors = [o for o in cell.outputs if o.output_type == "error"]
    if not errors:
        return visible, ""
    if any(e.ename == "CellTimeoutError" for e in errors):
        return visible, TIMED_OUT
    if errors[0].ename == HIDDEN_TEST_FAILED:
        return visible, HIDDEN_FAILED
    traceback = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(errors[0].traceback))
    where = re.search(r"Cell In\[\d+\], line (\d+)", traceback)
    if mark or (where and int(where[1]) >= hidden_from):
        return visible, HIDDEN_FAILED
    if not where:
        return visible, FAILED
    return visible, f"{errors[0].ename}: {errors[0].evalue}"[:3000]


def secrets(course: Course, name: str) -> set[str]:
    """Lines of hidden tests and solutions long enough to be telling, that the released notebook does not show."""
    source = nbformat.read(course.root / "source" / name / f"{name}.ipynb", as_version=4)
    released = nbformat.read(course.root / "release" / name / f"{name}.ipynb", as_version=4)
    shown = {line.strip() for cell in released.cells for line in cell.source.splitlines()}
    found = set()
    for cell in source.cells:
        for block in re.findall(r"### BEGIN (HIDDEN TESTS|SOLUTION)(.*?)### END \1", cell.source, re.S):
            found |= {line.strip() for line in block[1].splitlines() if len(line.strip()) >= 20} - shown
    return found


STYLE = """body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}
pre{background:#f6f6f6;padding:.6rem;overflow-x:auto;white-space:pre-wrap}.passed{color:#176b2c}.failed{color:#a4161a}"""


def feedback_page(student: str, name: str, status: dict, tests: list[dict]) -> str:
    """The HTML feedback for one student's notebook."""
    e = html.escape
    score, maximum = sum(t["score"] for t in tests), sum(t["max"] for t in tests)
    parts = [f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>{e(name)}: {e(student)}</title><style>{STYLE}</style>"
             f"</head><body>\n<h1>{e(name)}</h1>\n<p>Student: {e(student)}. Score: <b>{score:g} / {maximum:g}</b></p>"]
    if status["status"] != "graded":
        detail = f" ({status['detail']})" if status["status"] == "over limit" else ""
        reason = STUDENT_REASONS[status["status"]] + detail
        parts.append(f"<p class='failed'>This notebook could not be graded: {e(reason)}. It scores 0.</p>")
    rows = "".join(f"<tr><td><a href='#{e(t['id'])}'>{e(t['id'])}</a></td><td>{t['score']:g} / {t['max']:g}</td></tr>" for t in tests)
    parts.append(f"<table><tr><th>test</th><th>score</th></tr>{rows}</table>")
    for t in tests:
        verdict = "passed" if t["score"] == t["max"] else "failed"
        parts.append(f"<h2 id='{e(t['id'])}'>{e(t['id'])}: <span class='{verdict}'>{t['score']:g} / {t['max']:g}</span></h2>")
        parts.append(f"<p>The visible check:</p><pre>{e(t['code'])}</pre>")
        if t["printed"].strip():
            parts.append(f"<p>It printed:</p><pre>{e(t['printed'].strip())}</pre>")
        if t["problem"]:
            parts.append(f"<p class='failed'>What went wrong:</p><pre>{e(t['problem'])}</pre>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def feedback(course: Course, students: list[str]) -> int:
    """Write ``feedback/<student>/<notebook>/<notebook>.html`` for each student and released notebook."""
    names = course.released()
    statuses = course.statuses()
    students = students or sorted(statuses)
    hidden = {name: secrets(course, name) for name in names}
    grade_ids = {name: course.grade_ids(name) for name in names}
    failed = []
    with course.gradebook() as gradebook:
        sources = {n: {c.name: c.source for c in gradebook.find_notebook(n, n).source_cells} for n in names}
        maxima = {n: {c.name: c.max_score for c in gradebook.find_notebook(n, n).grade_cells} for n in names}
        for i, student in enumerate(students, 1):
            for name in names:
                status = statuses.get(student, {}).get(name)
                if status is None:
                    failed.append(f"{student} {name}: not autograded: run `course-grade autograde` first")
                    continue
                try:
                    scores = {g.name: g.score or 0 for g in gradebook.find_submission_notebook(name, name, student).grades}
                except MissingEntry:
                    scores = {}
                cells = {}
                if status["status"] == "graded":
                    if not course.autograded(student, name).is_file():
                        failed.append(f"{student} {name}: its autograded notebook is gone: run `course-grade autograde` again")
                        continue
                    nb = nbformat.read(course.autograded(student, name), as_version=4)
                    cells = {c.metadata.nbgrader["grade_id"]: c for c in nb.cells if utils.is_grade(c)}
                tests = []
                for grade_id in grade_ids[name]:
                    printed, problem = visible_outcome(cells[grade_id]) if grade_id in cells else ("", NOT_RUN)
                    tests.append({"id": grade_id, "score": scores.get(grade_id, 0), "max": maxima[name][grade_id],
                                  "code": visible_part(sources[name][grade_id]), "printed": printed, "problem": problem})
                page = feedback_page(student, name, status, tests)
                leaked = [line for line in hidden[name] if line in html.unescape(page)]
                if leaked:
                    failed.append(f"{student} {name}: withheld: it would show a hidden line ({leaked[0][:60]})")
                    continue
                target = course.root / "feedback" / student / name / f"{name}.html"
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(page)
            say(f"[{i}/{len(students)}] feedback for {student}")
    for item in failed:
        say(f"FAILED {item}")
    say(f"wrote feedback for {len(students)} students into {course.root / 'feedback'}")
    return 1 if failed or not students else 0


# ---------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="course-grade", description="The instructor's grading workflow over a course directory.")
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, help: str) -> argparse.ArgumentParser:
        p = commands.add_parser(name, help=help, description=help)
        p.add_argument("course", type=Path, help="the course directory (never inside the course's own solutions/ or notebooks/)")
        return p

    p = command("release", "generate the student notebooks into COURSE/release and the gradebook")
    p.add_argument("--notebook", action="append", default=[], help="only this notebook (repeatable; default: all)")
    p.add_argument("--solutions", type=Path, default=grading.SOLUTIONS, help="the source notebooks (default: the course's solutions/)")
    p = command("collect", "copy hand-ins (a folder or a zip per student, named after the student) into COURSE/submitted")
    p.add_argument("inbox", type=Path, help="the folder of hand-ins")
    p = command("autograde", "grade every student in COURSE/submitted, or those named")
    p.add_argument("--student", action="append", default=[], help="only this student (repeatable; default: everyone handed in)")
    p.add_argument("--notebook", action="append", default=[], help="only this notebook (repeatable; default: all released)")
    p.add_argument("--jobs", type=int, default=1, help="students graded in parallel (default 1)")
    p.add_argument("--cell-timeout", type=int, default=grading.CELL_TIMEOUT_S, help=f"seconds per cell (default {grading.CELL_TIMEOUT_S})")
    p.add_argument("--notebook-timeout", type=int, default=NOTEBOOK_TIMEOUT_S, help=f"seconds per notebook (default {NOTEBOOK_TIMEOUT_S})")
    p.add_argument("--no-sandbox", dest="sandbox", action="store_false",
                   help="run students' code without isolation (it can read and write all you can), for machines where bwrap cannot run")
    default = limits.DEFAULT
    p.add_argument("--memory", type=limits.parse_size, default=default.memory,
                   help=f"memory per kernel, e.g. 4GiB (default {limits.human(default.memory)})")
    p.add_argument("--processes", type=int, default=default.processes,
                   help=f"processes and threads per kernel (default {default.processes})")
    p.add_argument("--disk", type=limits.parse_size, default=default.disk,
                   help=f"bytes each of a kernel's three tmpfs holds, e.g. 512MiB (default {limits.human(default.disk)})")
    p.add_argument("--no-limits", dest="limits", action="store_false",
                   help="no memory, process or disk limit per kernel, for machines without cgroups (time limits stay)")
    p = command("scan", "list, per student, notebook and cell, code that could tamper with grading (autograde runs it too)")
    p.add_argument("--student", action="append", default=[], help="only this student (repeatable; default: everyone handed in)")
    p = command("similarity", "list pairs of students whose answers to an exercise look copied, in COURSE/similarity.html")
    p.add_argument("--notebook", action="append", default=[], help="only this notebook (repeatable; default: all released)")
    p.add_argument("--threshold", type=float, default=similarity.THRESHOLD,
                   help=f"the smaller share of each answer found in the other (default {similarity.THRESHOLD})")
    p = command("export", "write the CSV of scores")
    p.add_argument("--to", type=Path, help="the CSV file (default: COURSE/grades.csv)")
    p = command("feedback", "write an HTML report per student and notebook into COURSE/feedback")
    p.add_argument("--student", action="append", default=[], help="only this student (repeatable; default: every student autograded)")
    args = parser.parse_args(argv)
    course = Course(args.course)
    if args.command == "release":
        return release(course, args.notebook, args.solutions.expanduser().resolve())
    if args.command == "collect":
        return collect(course, args.inbox)
    if args.command == "autograde":
        if min(args.jobs, args.cell_timeout, args.notebook_timeout, args.memory, args.processes, args.disk) < 1:
            parser.error("--jobs, --cell-timeout, --notebook-timeout, --memory, --processes and --disk must be positive")
        bounds = limits.Limits(args.memory, args.processes, args.disk) if args.limits else None
        return autograde(course, args.student, args.notebook, args.jobs, args.cell_timeout, args.notebook_timeout, args.sandbox, bounds)
    if args.command == "scan":
        findings = scan.scan_course(course.root, args.student or None, course.released())
        scan.write_report(findings, course.root / SCAN_FILE)
        say(scan.format_report(findings) + f"\nwritten to {course.root / SCAN_FILE}")
        return 0
    if args.command == "similarity":
        names = args.notebook or course.released()
        students = course.submitted()
        start = time.monotonic()
        pairs = similarity.similarity(course.root, students, names, args.threshold)
        for pair in pairs:
            say(f"{pair.notebook} {pair.exercise}: {' and '.join(pair.students)}, similarity {pair.similarity:.0%}")
        say(f"{len(pairs)} pairs of {len(students)} students flagged at {args.threshold:.0%} in {time.monotonic() - start:.1f} s "
            f"(for you to read, scores unaffected; {course.root / similarity.REPORT})")
        return 0
    if args.command == "export":
        return export(course, args.to or course.root / "grades.csv")
    return feedback(course, args.student)


if __name__ == "__main__":
    worker(*sys.argv[1:])
