"""``course-grade autograde``: every student in a grading process of its own, sandboxed and limited.

``python -m course_grade.autograde`` is the grading process that ``autograde`` starts for one student.

Not part of any lesson.
"""

from __future__ import annotations

import ctypes
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path

import nbformat
from nbgrader import utils
from nbgrader.api import MissingEntry

from course_grade import limits, sandbox, scan
from course_grade.course import SCAN_FILE, STATUS_FILE, Course, Outcome, grading_env, say
from course_grade.preprocessors import OUTSIDE_FAILURE

# Fitted to quick runs (benchmarks/grading_limits.py, README): the slowest notebook takes 36 s, its slowest cell 21 s;
# about ten times that leaves room for a machine running several times slower than usual.
NOTEBOOK_TIMEOUT_S = 600  # per notebook, the grading process's start included
CELL_TIMEOUT_S = 240  # per cell


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


LIMITS_SWITCH = "COURSE_GRADE_LIMITS"  # limits.Limits.encode() for each kernel, or "0" (--no-limits)


DB_SWITCH = "COURSE_GRADE_DB"  # the gradebook's URL; the grading process takes it out of its environment before any kernel starts


WORKER_SWITCH = "COURSE_GRADE_WORKER"  # the Dask worker a grading process runs for (--cluster), named in the student's log


def describe(student: str, name: str, outcome: Outcome, score: str, where: str = "") -> str:
    """The progress line of one graded notebook (without its counter); ``where``: the worker that graded it, if not here."""
    state = score if outcome.status == "graded" else f"{outcome.status.upper()}: {outcome.detail}"
    facts = [f"{outcome.seconds:.1f} s"] if outcome.seconds else []
    facts += [f"{outcome.peak_memory / limits.GiB:.2f} GiB"] if outcome.peak_memory else []
    facts += [where] if where else []
    return f"{student} {name}: {state}" + (f" ({', '.join(facts)})" if facts else "") + "".join(f"\n    note: {n}" for n in outcome.notes)


class Grader:
    """Grades students, each in a grading process of its own whose kernels get ``threads`` threads; ``report`` shows progress."""

    def __init__(self, course: Course, names: list[str], threads: int, cell_timeout: int, notebook_timeout: int, sandboxed: bool = True,
                 kernel_limits: limits.Limits | None = None, report=say, worker: str = ""):
        self.course, self.names = course, names
        self.cell_timeout, self.notebook_timeout = cell_timeout, notebook_timeout
        self.lock = threading.Lock()
        self.done = self.total = 0
        self.stopped = False
        self.report = report
        self.scores: dict[tuple[str, str], str] = {}  # (student, notebook): "score/max" of each graded notebook
        self.env = grading_env(threads)
        self.env[SANDBOX_SWITCH] = "1" if sandboxed else "0"
        self.env[LIMITS_SWITCH] = kernel_limits.encode() if kernel_limits else "0"
        self.env[DB_SWITCH], self.env[WORKER_SWITCH] = course.db_url, worker
        self.released = {name: nbformat.read(course.root / "release" / name / f"{name}.ipynb", as_version=4) for name in names}

    def run(self, students: list[str], jobs: int) -> dict[str, dict[str, Outcome]]:
        """Grade ``students``, ``jobs`` at a time."""
        with self.course.gradebook() as gradebook:
            for student in students:  # before the grading processes start, so that none races to create one
                gradebook.update_or_create_student(student)
        self.total = len(students) * len(self.names)
        with ThreadPoolExecutor(jobs) as pool:
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
        command = [sys.executable, "-m", "course_grade.autograde", str(self.course.root), student, str(self.cell_timeout), *pending]
        scratch = tempfile.mkdtemp(prefix="course-grade-")  # its temporary files, its kernels' sockets among them, even if it is killed
        with open(log_path, "a") as log:
            process = subprocess.Popen(command, cwd=self.course.root, env={**self.env, "TMPDIR": scratch}, stdout=subprocess.PIPE,
                                       stderr=log, text=True, preexec_fn=die_with_parent)
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
            scores = self.course.scores(name, student)
            score = f"{sum(s for s, _ in scores.values()):g}/{sum(m for _, m in scores.values()):g}"
        with self.lock:
            self.done += 1
            self.scores[student, name] = score
            self.report(f"[{self.done}/{self.total}] {describe(student, name, outcome, score)}")


def autograde(course: Course, students: list[str], names: list[str], jobs: int, cell_timeout: int, notebook_timeout: int,
              sandboxed: bool = True, kernel_limits: limits.Limits | None = limits.BY_BACKEND, cluster: str | None = None,
              force: bool = False) -> int:
    """Grade the class (or ``students``) and report, per student, what failed.

    With ``sandboxed`` (the default) every kernel runs in :mod:`course_grade.sandbox`, and with
    ``kernel_limits`` (the default ones unless None) within those limits (:mod:`course_grade.limits`),
    both checked first: if either cannot run or does not hold, nothing is graded and the exit code is 2.
    With ``cluster``, a Dask scheduler's address, the workers grade (:mod:`course_grade.cluster`; ``jobs``
    unused), each checked first; ``force`` regrades notebooks an earlier cluster run graded.
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
    if cluster:
        from course_grade.cluster import autograde_on_cluster

        report_scan(course, students, names)
        return autograde_on_cluster(course, cluster, students, names, cell_timeout, notebook_timeout, sandboxed, kernel_limits, force)
    kernel_limits = kernel_limits and kernel_limits.resolved()  # the backend that will bound the kernels, proved below
    if sandboxed:
        try:
            sandbox.check(course.root, disk=(kernel_limits or limits.DEFAULT).disk, bounds=kernel_limits)
        except sandbox.SandboxUnavailable as error:
            say(f"course-grade: nothing graded: {error}")
            return 2
    if kernel_limits is not None:
        try:
            limits.check(kernel_limits, sandboxed=sandboxed)
        except limits.LimitsUnavailable as error:
            say(f"course-grade: nothing graded: {error}")
            return 2
    report_scan(course, students, names)
    isolation = "sandboxed (bwrap: no network, read-only submission)" if sandboxed else "NOT sandboxed (--no-sandbox)"
    bounds = kernel_limits.describe() if kernel_limits else "no memory, process or disk limit (--no-limits)"
    say(f"grading {len(students)} students x {len(names)} notebooks, {jobs} at a time; "
        f"limits: {cell_timeout} s per cell, {notebook_timeout} s per notebook, {bounds} per kernel; kernels {isolation}")
    start = time.monotonic()
    threads = max(1, (os.cpu_count() or 1) // jobs)
    results = Grader(course, names, threads, cell_timeout, notebook_timeout, sandboxed, kernel_limits).run(students, jobs)
    elapsed = time.monotonic() - start
    save_statuses(course, results)
    return report(results, len(students), len(names), elapsed, f"{jobs} at a time")


def save_statuses(course: Course, results: dict[str, dict[str, Outcome]]) -> None:
    """Merge ``results`` into ``autograde.json`` (whole or not at all: a temporary file renamed over it)."""
    statuses = course.statuses()
    for student, outcomes in results.items():
        statuses.setdefault(student, {}).update({name: asdict(outcome) for name, outcome in outcomes.items()})
    with tempfile.NamedTemporaryFile("w", dir=course.root, suffix=".tmp", delete=False) as f:
        json.dump(statuses, f, indent=1, sort_keys=True)
    os.replace(f.name, course.root / STATUS_FILE)


def report(results: dict[str, dict[str, Outcome]], students: int, notebooks: int, elapsed: float, how: str) -> int:
    """The final report: how many notebooks were graded, each one that failed; the exit code (1 if any failed)."""
    total = students * notebooks
    failed = [(s, n, o) for s, outcomes in results.items() for n, o in outcomes.items() if o.status != "graded"]
    say(f"graded {total - len(failed)} of {total} notebooks in {elapsed:.0f} s ({elapsed / students:.0f} s per student with {how})")
    for student, name, outcome in failed:
        say(f"FAILED {student} {name}: {outcome.status}: {outcome.detail} (scored 0)")
    return 1 if failed else 0


def report_scan(course: Course, students: list[str], names: list[str]) -> None:
    findings = scan.scan_course(course.root, students, names)
    scan.write_report(findings, course.root / SCAN_FILE)
    say(scan.format_report(findings) + f" (flagged for you to read, scores unaffected; {SCAN_FILE})")


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
    config.CourseDirectory.db_url = os.environ.pop(DB_SWITCH, config.CourseDirectory.get("db_url", "sqlite:///gradebook.db"))
    on = f" on worker {os.environ[WORKER_SWITCH]}" if os.environ.get(WORKER_SWITCH) else ""
    sandbox.SandboxedKernelManager.confine = os.environ.get(SANDBOX_SWITCH) != "0"
    bounds = os.environ.get(LIMITS_SWITCH, "0")
    sandbox.SandboxedKernelManager.limits = kernel_limits = None if bounds == "0" else limits.Limits.decode(bounds)
    for name in names:
        logging.info("grading %s %s%s", student, name, on)
        coursedir = CourseDirectory(config=config, root=root)
        coursedir.assignment_id, coursedir.student_id = name, student
        autograde = Autograde(coursedir=coursedir, config=config, force=True)
        autograde.autograde_preprocessors = sandbox.sandboxed(autograde.autograde_preprocessors)
        sandbox.REPORTS.clear()
        result = utils.capture_log(autograde)
        graded = Path(root, "autograded", student, name, f"{name}.ipynb")
        hits = [hit for report in sandbox.REPORTS for hit in report["limits hit"]] + timed_out(graded, int(cell_timeout))
        if kernel_limits is not None and kernel_limits.backend == "rlimit":  # refused, not killed: the errors its cells raised say it
            hits += limits.refusals(kernel_limits, [(name, value) for _, name, value in errors(graded)])
        result["limits hit"] = list(dict.fromkeys(hits))
        result["peak memory"] = max((report["peak memory"] for report in sandbox.REPORTS), default=0)
        results.write(json.dumps(result) + "\n")
        results.flush()
        logging.info("graded %s %s%s", student, name, on)


PRCTL = ctypes.CDLL(None).prctl if sys.platform == "linux" else None  # looked up before any fork


def die_with_parent() -> None:
    """In a grading process before it runs: be killed when the thread that started it ends (Linux), so that a lost worker
    leaves no grading behind to write into the gradebook while its student is graded again elsewhere."""
    if PRCTL is not None:
        PRCTL(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def errors(path: Path) -> list[tuple[str, str, str]]:
    """``(cell id, error name, error value)`` of each error in the graded notebook at ``path``."""
    try:
        nb = nbformat.read(path, as_version=4)
    except (OSError, ValueError):
        return []
    return [(cell.get("id", "?"), out.get("ename", ""), out.get("evalue", "")) for cell in nb.cells if cell.cell_type == "code"
            for out in cell.outputs if out.output_type == "error"]


def timed_out(path: Path, cell_timeout: int) -> list[str]:
    """"cell X ran past N s" for each cell of the graded notebook at ``path`` that the per-cell time limit stopped."""
    return [f"cell {cell} ran past {cell_timeout} s" for cell, name, _ in errors(path) if name == "CellTimeoutError"]


if __name__ == "__main__":
    worker(*sys.argv[1:])
