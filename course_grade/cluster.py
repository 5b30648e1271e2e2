"""``course-grade autograde --cluster ADDRESS``: the class graded by the workers of a Dask distributed cluster.

Each student is one task, sent to a worker that offers the ``grading`` resource
(``dask worker ADDRESS --nthreads 1 --resources grading=1``), so that a worker
grades one student at a time. The worker grades the student as one machine
does (:class:`course_grade.autograde.Grader`: a grading process of its own,
sandboxed and limited kernels) and writes the grades into the shared gradebook
(PostgreSQL, say). The course directory must be on a file system that every
worker sees at the same path; :func:`check_worker` proves it, and the gradebook,
the sandbox and the limits, on every worker before anything is graded.

Fault tolerance: a grading process dies with its worker, and Dask runs the task
of a lost worker again on another. While it grades, a task holds a Dask
semaphore named after its student, so that no student is graded twice at once
(a task of an interrupted coordinator may still be running beside the new
coordinator's), and records each notebook it graded in
``COURSE/cluster/<student>.json``. A later run skips the notebooks whose record
matches the submission and the release (unless ``force``).

Not part of any lesson.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

from course_grade import limits
from course_grade.autograde import Grader, describe, report, save_statuses
from course_grade.course import Course, Outcome, say, source_digest

RESOURCE = "grading"  # what a grading worker offers, one unit: one student at a time
RECORDS = "cluster"  # COURSE/cluster/<student>.json: what each notebook's last grading on a worker gave
START_WORKER = "dask worker {address} --nthreads 1 --resources grading=1"


@dataclass(frozen=True)
class Settings:
    """What every task and every worker's check needs (sent with each)."""

    root: str
    db: str | None
    names: tuple[str, ...]
    cell_timeout: int
    notebook_timeout: int
    sandboxed: bool
    kernel_limits: limits.Limits | None  # not yet resolved: each worker resolves its own backend
    run: str  # this coordinator run's id
    force: bool
    per_host: tuple[tuple[str, int], ...]  # grading workers per host, to share each machine's cores among them


def digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def read_record(course: Course, student: str) -> dict[str, dict]:
    path = course.root / RECORDS / f"{student}.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def write_record(course: Course, student: str, record: dict[str, dict]) -> None:
    """Write a student's record whole or not at all (a temporary file renamed over it)."""
    folder = course.root / RECORDS
    folder.mkdir(exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=folder, suffix=".tmp", delete=False) as f:
        json.dump(record, f, indent=1, sort_keys=True)
    os.replace(f.name, folder / f"{student}.json")


def current(course: Course, student: str, name: str, entry: dict | None, settings: Settings) -> bool:
    """Whether ``entry`` (a notebook's record) still stands: same submission, release and gradebook, not a grader's failure (which
    is tried again), and this run's if ``force``."""
    entry = entry or {}
    return entry.get("submission", "") == digest(course.submission(student, name)) \
        and entry.get("source") == source_digest(course.root, name) and entry.get("gradebook") == course.shown_db() \
        and entry.get("outcome", {}).get("status", "failed") != "failed" and (not settings.force or entry.get("run") == settings.run)


def grade_student(settings: Settings, student: str) -> tuple[dict[str, dict], list[str], float]:
    """The task: grade ``student``'s notebooks that have no current record, on this worker.

    Returns the student's record of ``settings.names``, the notebooks graded now, and the seconds it waited for another
    task's grading of the student to end.
    """
    from distributed import Semaphore, get_worker

    worker = get_worker()
    course = Course(Path(settings.root), settings.db)
    semaphore = Semaphore(max_leases=1, name=f"course-grade {course.root} {student}")
    start = time.monotonic()
    semaphore.acquire()
    waited = time.monotonic() - start
    try:
        record = read_record(course, student)
        pending = [name for name in settings.names if not current(course, student, name, record.get(name), settings)]
        if pending:
            threads = max(1, (os.cpu_count() or 1) // dict(settings.per_host).get(worker.ip, 1))
            resolved = settings.kernel_limits and settings.kernel_limits.resolved()
            grader = Grader(course, pending, threads, settings.cell_timeout, settings.notebook_timeout, settings.sandboxed, resolved,
                            report=lambda line: None, worker=worker.address)
            for name, outcome in grader.grade(student).items():
                record[name] = {"outcome": asdict(outcome), "score": grader.scores.get((student, name), ""), "worker": worker.address,
                                "run": settings.run, "submission": digest(course.submission(student, name)),
                                "source": source_digest(course.root, name), "gradebook": course.shown_db()}
            write_record(course, student, record)
    finally:
        semaphore.release()
    return {name: record[name] for name in settings.names}, pending, waited


def check_worker(settings: Settings, students: list[str]) -> list[str]:
    """On a worker: what it lacks to grade (paths it cannot see or write, the gradebook, the sandbox, the limits); empty if nothing."""
    from course_grade import sandbox

    root = Path(settings.root)
    if not root.is_dir():
        return [f"cannot see the course directory {root} (put it on a file system every worker mounts at the same path)"]
    needed = [root / "nbgrader_config.py", root / "submitted"] + [root / "submitted" / student for student in students]
    for name in settings.names:
        needed += [root / "release" / name / f"{name}.ipynb", root / "source" / name / f"{name}.ipynb", root / "reference" / f"{name}.json"]
    problems = [f"cannot see {path}" for path in needed if not path.exists()]
    for folder in ("autograded", "logs", RECORDS):
        try:
            (root / folder).mkdir(exist_ok=True)
            tempfile.TemporaryFile(dir=root / folder).close()
        except OSError as error:
            problems.append(f"cannot write into {root / folder}: {error.strerror or error}")
    if problems:
        return problems
    course = Course(root, settings.db)
    try:
        with course.gradebook() as gradebook:
            for name in settings.names:
                gradebook.find_assignment(name)
    except Exception as error:  # noqa: BLE001 (a driver's, a network's or nbgrader's error: each is reported the same way)
        return [f"cannot use the gradebook {course.shown_db()}: {type(error).__name__}: {str(error).splitlines()[0][:300]} "
                f"(release into it with `course-grade release {root} --db URL`)"]
    resolved = settings.kernel_limits and settings.kernel_limits.resolved()
    try:
        if settings.sandboxed:
            sandbox.check(root, disk=(resolved or limits.DEFAULT).disk, bounds=resolved)
        if resolved is not None:
            limits.check(resolved, sandboxed=settings.sandboxed)
    except (sandbox.SandboxUnavailable, limits.LimitsUnavailable) as error:
        return [str(error)]
    return []


def versions() -> tuple[str, str]:
    """Python's and nbgrader's versions here (the coordinator's and every worker's must agree)."""
    import nbgrader

    return platform.python_version(), nbgrader.__version__


def connect(address: str):
    from distributed import Client

    try:
        return Client(address, timeout="20s")
    except (OSError, TimeoutError) as error:
        raise SystemExit(f"course-grade: no Dask scheduler answers at {address}: {error}") from None


def grading_workers(client) -> dict[str, dict]:
    return {address: info for address, info in client.scheduler_info(n_workers=-1)["workers"].items()
            if info.get("resources", {}).get(RESOURCE, 0) >= 1}


def bounds(kernel_limits: limits.Limits) -> str:
    memory = limits.human(kernel_limits.memory) if kernel_limits.memory else "the default memory of each worker's backend"
    return f"{memory}, {kernel_limits.processes} processes and threads, {limits.human(kernel_limits.disk)} of disk (each worker's backend)"


def autograde_on_cluster(course: Course, address: str, students: list[str], names: list[str], cell_timeout: int, notebook_timeout: int,
                         sandboxed: bool, kernel_limits: limits.Limits | None, force: bool) -> int:
    """Grade ``students`` on the cluster whose scheduler is at ``address``; report as one machine does. Exit code as ``autograde``'s."""
    from distributed import as_completed

    client = connect(address)
    try:
        workers = grading_workers(client)
        if not workers:
            say(f"course-grade: nothing graded: no worker of {address} offers the {RESOURCE!r} resource; start one on each machine "
                f"with `{START_WORKER.format(address=address)}`")
            return 2
        settings = Settings(str(course.root), course.db, tuple(names), cell_timeout, notebook_timeout, sandboxed, kernel_limits,
                            uuid.uuid4().hex, force, tuple(Counter(info["host"] for info in workers.values()).items()))
        say(f"checking {len(workers)} workers of {address}: the course directory, the gradebook {course.shown_db()}, sandbox and limits")
        found = client.run(check_worker, settings, students, workers=list(workers), on_error="return")
        found_versions = client.run(versions, workers=list(workers), on_error="return")
        problems = [(worker, problem) for worker, result in found.items()
                    for problem in (result if isinstance(result, list) else [f"cannot run the check: {type(result).__name__}: {result}"])]
        problems += [(worker, f"runs Python {v[0]} and nbgrader {v[1]}; this machine runs {versions()[0]} and {versions()[1]}")
                     for worker, v in found_versions.items() if not isinstance(v, Exception) and tuple(v) != versions()]
        if problems:
            for worker, problem in problems:
                say(f"course-grade: worker {worker}: {problem}")
            say("course-grade: nothing graded")
            return 2
        if course.db_url.startswith("sqlite"):
            say("note: the gradebook is a SQLite file, which takes one writer at a time and no writer over NFS: enough for workers "
                "on one machine; for a cluster, release into PostgreSQL (`course-grade release COURSE --db postgresql://...`)")
        with course.gradebook() as gradebook:
            for student in students:  # before any task starts, so that no two workers race to create a student
                gradebook.update_or_create_student(student)
        say(f"grading {len(students)} students x {len(names)} notebooks on {len(workers)} workers, one student each at a time; "
            f"limits: {cell_timeout} s per cell, {notebook_timeout} s per notebook, "
            + (bounds(kernel_limits) if kernel_limits else "no memory, process or disk limit (--no-limits)")
            + " per kernel; kernels " + ("sandboxed" if sandboxed else "NOT sandboxed (--no-sandbox)"))
        start = time.monotonic()
        futures = {client.submit(grade_student, settings, student, key=f"course-grade-{settings.run}-{student}", pure=False,
                                 resources={RESOURCE: 1}): student for student in students}
        results: dict[str, dict[str, Outcome]] = {}
        done = 0
        try:
            for future in as_completed(futures):
                student = futures[future]
                try:
                    record, graded, waited = future.result()
                except Exception as error:  # noqa: BLE001 (a lost task, killed workers: the student scores 0 and is reported)
                    failure = asdict(Outcome("failed", f"the grading task failed: {type(error).__name__}: {error}"[:300]))
                    record, graded, waited = {name: {"outcome": failure, "score": "", "worker": "?"} for name in names}, names, 0
                results[student] = {name: Outcome(**entry["outcome"]) for name, entry in record.items()}
                for name, entry in record.items():
                    done += 1
                    where = f"on {entry['worker']}" if name in graded else f"graded earlier on {entry['worker']}; --force regrades it"
                    where += f"; waited {waited:.0f} s for another task's grading of {student} to end" if waited >= 1 else ""
                    say(f"[{done}/{len(students) * len(names)}] {describe(student, name, results[student][name], entry['score'], where)}")
                save_statuses(course, {student: results[student]})
        except KeyboardInterrupt:
            client.cancel(list(futures))
            say(f"interrupted: {len(results)} of {len(students)} students graded; the same command resumes without regrading them")
            raise
        elapsed = time.monotonic() - start
    finally:
        client.close()
    return report(results, len(students), len(names), elapsed, f"{len(workers)} workers")
