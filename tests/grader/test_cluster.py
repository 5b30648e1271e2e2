"""``course-grade autograde --cluster`` on a real Dask cluster (a LocalCluster of worker processes) with the gradebook in PostgreSQL.

A temporary PostgreSQL server (``tests/grader/postgres.py``) holds the gradebook.
Twenty synthetic students of notebooks 00 and 01 are graded once on one
machine into SQLite (the reference) and once on the cluster, during which a
worker is killed in the middle of a student and the coordinator is killed and
started again: every per-cell score must equal the one-machine run's, and
every notebook must be graded exactly once.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import dask
import nbformat
import postgres
import pytest
from students import students as synthetic
from test_course_grade import CELL_TIMEOUT, NAMES, WRONG, cell, edited, hand_in, solution, wrong

from course_grade import cli
from course_grade.course import STATUS_FILE, Course

pytestmark = pytest.mark.skipif(postgres.binaries() is None, reason=postgres.INSTALL)

COURSE_GRADE = Path(sys.executable).parent / "course-grade"
LEASE = {"distributed.scheduler.locks.lease-timeout": "6s", "distributed.scheduler.locks.lease-validation-interval": "1s"}  # not 30 s


def class_of_twenty(root: Path) -> None:
    """Solutions, untouched releases, wrong answers, answers written differently and broken files, handed in to ``root``."""
    released = {name: nbformat.read(root / "release" / name / f"{name}.ipynb", as_version=4) for name in NAMES}
    written = {name: synthetic(name, solution(name)) for name in NAMES}  # tests/students/: "correct", "wrong-1", "wrong-2"
    for student, picks in {"correct": ("correct", "correct"), "wrong-halves": ("wrong-1", "wrong-1"),
                           "correct-then-wrong": ("correct", "wrong-2")}.items():
        for name, pick in zip(NAMES, picks):
            hand_in(root, student, name, written[name][pick][0])
    for i in range(3):
        for name in NAMES:
            hand_in(root, f"solution-{i}", name, solution(name))
    for name in NAMES:
        hand_in(root, "untouched", name, released[name])
    for exercise, (target, _, _) in WRONG.items():
        for name in NAMES:
            hand_in(root, f"wrong-{exercise}", name, wrong(exercise) if name == target else solution(name))
    hand_in(root, "half", NAMES[0], solution(NAMES[0]))
    hand_in(root, "half", NAMES[1], released[NAMES[1]])
    hand_in(root, "invalid", NAMES[0], '{"cells": [')
    hand_in(root, "invalid", NAMES[1], solution(NAMES[1]))
    hand_in(root, "list", NAMES[0], "[1, 2, 3]")
    hand_in(root, "missing", NAMES[1], solution(NAMES[1]))
    hand_in(root, "dies", NAMES[0], solution(NAMES[0]))
    hand_in(root, "dies", NAMES[1], edited(solution(NAMES[1]), "box_iou", "    r0, c0 =", "    import os\n    os._exit(1)\n    r0, c0 ="))
    deleted = wrong("connected_components")
    deleted.cells.remove(cell(deleted, "test_connected_components"))
    hand_in(root, "deleted", NAMES[1], deleted)
    hand_in(root, "deleted", NAMES[0], solution(NAMES[0]))
    tampered = edited(wrong("box_iou"), "test_box_iou", cell(wrong("box_iou"), "test_box_iou").source, "pass  # all good")
    hand_in(root, "edited", NAMES[1], tampered)
    hand_in(root, "edited", NAMES[0], wrong("rgb_to_gray"))
    split = copy.deepcopy(solution(NAMES[0]))
    exercise = cell(split, "rgb_to_gray")
    first = copy.deepcopy(exercise)
    first.source, first.id = "WEIGHTS = np.array([0.2125, 0.7154, 0.0721])", "split-off"
    exercise.source = exercise.source.replace("np.array([0.2125, 0.7154, 0.0721])", "WEIGHTS")
    split.cells.insert(split.cells.index(exercise), first)
    hand_in(root, "split", NAMES[0], split)
    hand_in(root, "split", NAMES[1], solution(NAMES[1]))
    assert len(list((root / "submitted").iterdir())) == 20


def per_cell(course: Course, students: list[str]) -> dict[tuple[str, str], dict[str, float]]:
    from nbgrader.api import MissingEntry

    found = {}
    for student in students:
        for name in NAMES:
            try:
                found[student, name] = {g: s for g, (s, _) in course.scores(name, student).items()}
            except MissingEntry:
                found[student, name] = None
    return found


def graded_lines(root: Path) -> Counter:
    """How many times each (student, notebook, worker) was graded to the end, from the grading processes' logs."""
    counts = Counter()
    for log in (root / "logs").glob("*.log"):
        for student, name, worker in re.findall(r" graded (\S+) (\S+?)(?: on worker (\S+))?$", log.read_text(), re.M):
            counts[student, name, worker] += 1
    return counts


@pytest.fixture(scope="module")
def gradebook_url():
    with postgres.server() as url:
        yield url


@pytest.fixture(scope="module")
def one_machine(tmp_path_factory) -> Path:
    """The reference: the class graded on this machine, ``--jobs 2``, into SQLite."""
    root = tmp_path_factory.mktemp("single") / "course"
    assert cli.main(["release", str(root), *(f"--notebook={n}" for n in NAMES)]) == 0
    class_of_twenty(root)
    assert cli.main(["autograde", str(root), "--jobs", "2", "--cell-timeout", CELL_TIMEOUT]) == 1  # the broken ones fail
    return root


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with dask.config.set(LEASE), LocalCluster(n_workers=2, threads_per_worker=1, resources={"grading": 1}, processes=True,
                                              dashboard_address=None) as local:
        yield local


def worker_pid(cluster, address: str) -> int:
    nanny = next(n for n in cluster.workers.values() if n.worker_address == address)
    return nanny.process.process.pid


def in_progress(root: Path) -> list[tuple[str, str, str]]:
    """(student, notebook, worker) being graded now: started in a log and not yet graded."""
    found = []
    for log in (root / "logs").glob("*.log"):
        started = re.findall(r" grading (\S+) (\S+) on worker (\S+)$", log.read_text(), re.M)
        ended = re.findall(r" graded (\S+) (\S+) on worker (\S+)$", log.read_text(), re.M)
        found += list((Counter(started) - Counter(ended)).elements())
    return found


def wait_for(condition, timeout: float, what: str):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if found := condition():
            return found
        time.sleep(0.2)
    raise AssertionError(f"waited {timeout} s for {what}")


@pytest.fixture(scope="module")
def on_cluster(tmp_path_factory, gradebook_url, cluster) -> dict:
    """The class graded on the cluster into PostgreSQL; one worker killed mid-student, the coordinator killed and restarted."""
    root = tmp_path_factory.mktemp("cluster") / "course"
    assert cli.main(["release", str(root), "--db", gradebook_url, *(f"--notebook={n}" for n in NAMES)]) == 0
    class_of_twenty(root)
    command = [COURSE_GRADE, "autograde", root, "--cluster", cluster.scheduler_address, "--cell-timeout", CELL_TIMEOUT]
    out = root.parent / "coordinator-1.out"
    with open(out, "w") as f:
        first = subprocess.Popen(command, stdout=f, stderr=subprocess.STDOUT, text=True)
    try:
        victim = wait_for(lambda: in_progress(root), 120, "a student being graded")[0]
        os.kill(worker_pid(cluster, victim[2]), signal.SIGKILL)  # its grading process dies with it
        reported = wait_for(lambda: (n := len(re.findall(r"^\[\d+/40\]", out.read_text(), re.M))) >= 16 and in_progress(root) and n,
                            300, "16 notebooks reported and one more in progress")
        interrupted = in_progress(root)
        first.kill()
    finally:
        first.kill()
        first.wait()
    second = subprocess.run(command, capture_output=True, text=True, timeout=600)
    return {"root": root, "victim": victim, "reported": reported, "interrupted": interrupted, "second": second,
            "first": out.read_text()}


def test_cluster_scores_equal_one_machine(one_machine, on_cluster):
    """Every per-cell score in PostgreSQL equals the one-machine SQLite run's, and so does every outcome."""
    root, second = on_cluster["root"], on_cluster["second"]
    assert second.returncode == 1, second.stdout + second.stderr  # as on one machine: the broken submissions fail
    students = sorted(p.name for p in (one_machine / "submitted").iterdir())
    reference, graded = per_cell(Course(one_machine), students), per_cell(Course(root), students)
    assert graded == reference
    assert reference["solution-0", NAMES[1]] == dict.fromkeys(["test_box_iou", "test_connected_components", "test_semantic_from_instances"],
                                                             3.0)
    status = {s: {n: o["status"] for n, o in v.items()} for s, v in json.loads((one_machine / STATUS_FILE).read_text()).items()}
    assert {s: {n: o["status"] for n, o in v.items()} for s, v in json.loads((root / STATUS_FILE).read_text()).items()} == status
    assert status["dies"][NAMES[1]] == "crashed" and status["invalid"][NAMES[0]] == "unreadable"
    for line in ("FAILED dies 01_task_taxonomy: crashed", "FAILED missing 00_getting_started: missing"):
        assert line in second.stdout


def test_a_killed_workers_student_is_graded_once_by_another(on_cluster):
    student, name, killed = on_cluster["victim"]
    counts = graded_lines(on_cluster["root"])
    by = {worker: n for (s, nb, worker), n in counts.items() if (s, nb) == (student, name)}
    assert sum(by.values()) == 1 and killed not in by, f"{student} {name} graded {by}; the killed worker was {killed}"
    record = json.loads((on_cluster["root"] / "cluster" / f"{student}.json").read_text())
    assert record[name]["worker"] != killed


def test_a_restarted_coordinator_grades_nobody_twice_and_misses_nobody(one_machine, on_cluster):
    """Counted from the grading processes' logs: each notebook graded to the end as often as on one machine (once, or never
    for a file that cannot be graded), though the first coordinator was killed with a student in progress."""
    assert on_cluster["interrupted"], "the first coordinator was to be killed while a student was being graded"
    root = on_cluster["root"]
    once = Counter({(s, n): c for (s, n, _), c in graded_lines(one_machine).items()})
    on = Counter()
    for (s, n, _), c in graded_lines(root).items():
        on[s, n] += c
    assert on == once
    assert set(once.values()) == {1}
    skipped = re.findall(r"^\[\d+/40\] .*graded earlier on", on_cluster["second"].stdout, re.M)
    assert len(skipped) >= on_cluster["reported"], "the second coordinator regraded what the first had reported"


def test_a_worker_that_cannot_see_the_course_is_named(one_machine, gradebook_url, cluster, tmp_path, capsys):
    root = shutil.copytree(one_machine, tmp_path / "course")
    (root / "reference" / f"{NAMES[1]}.json").unlink()
    assert cli.main(["autograde", str(root), "--cluster", cluster.scheduler_address, "--db", gradebook_url]) == 2
    out = capsys.readouterr().out
    for address in cluster.scheduler_info["workers"]:
        assert f"worker {address}: cannot see {root / 'reference' / NAMES[1]}.json" in out
    assert "nothing graded" in out


def test_a_cluster_without_grading_workers_is_refused(one_machine, tmp_path, capsys):
    from distributed import LocalCluster

    root = shutil.copytree(one_machine, tmp_path / "course")
    with LocalCluster(n_workers=1, processes=False, dashboard_address=None) as plain:
        assert cli.main(["autograde", str(root), "--cluster", plain.scheduler_address]) == 2
    assert f"dask worker {plain.scheduler_address} --nthreads 1 --resources grading=1" in capsys.readouterr().out
