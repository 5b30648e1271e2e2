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
    slow = solution(NAMES[0])  # graded for about 40 s: still in progress when the restarted coordinator's task for it starts
    slow.cells[1:1] = [nbformat.v4.new_code_cell("import time\n\ntime.sleep(7)") for _ in range(5)]
    hand_in(root, "slow", NAMES[0], slow)
    hand_in(root, "slow", NAMES[1], written[NAMES[1]]["wrong-1"][0])
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


def graded_lines(root: Path, what: str = "graded") -> Counter:
    """How many times each (student, notebook, worker) was graded to the end (or started, ``what="grading"``), from the grading
    processes' logs."""
    counts = Counter()
    for log in (root / "logs").glob("*.log"):
        for student, name, worker in re.findall(rf" {what} (\S+) (\S+?)(?: on worker (\S+))?$", log.read_text(), re.M):
            counts[student, name, worker] += 1
    return counts


def per_notebook(counts: Counter) -> Counter:
    total = Counter()
    for (student, name, _), n in counts.items():
        total[student, name] += n
    return total


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


def reported(out: Path) -> int:
    """How many notebooks a coordinator's output reports graded."""
    return len(re.findall(r"^\[\d+/40\]", out.read_text(), re.M))


def wait_for(condition, timeout: float, what: str):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if found := condition():
            return found
        time.sleep(0.2)
    raise AssertionError(f"waited {timeout} s for {what}")


def grade_on_one_machine(root: Path) -> None:
    """The reference: the class graded on this machine, ``--jobs 2``, into SQLite."""
    assert cli.main(["release", str(root), *(f"--notebook={n}" for n in NAMES)]) == 0
    class_of_twenty(root)
    assert cli.main(["autograde", str(root), "--jobs", "2", "--cell-timeout", CELL_TIMEOUT]) == 1  # the broken ones fail


def grade_on_cluster(root: Path, url: str, cluster) -> dict:
    """The class graded on ``cluster`` into PostgreSQL at ``url``: a worker killed mid-student, the coordinator killed and restarted."""
    assert cli.main(["release", str(root), "--db", url, *(f"--notebook={n}" for n in NAMES)]) == 0
    class_of_twenty(root)
    command = [COURSE_GRADE, "autograde", root, "--cluster", cluster.scheduler_address, "--cell-timeout", CELL_TIMEOUT]
    out = root.parent / "coordinator-1.out"
    with open(out, "w") as f:
        first = subprocess.Popen(command, stdout=f, stderr=subprocess.STDOUT, text=True)
    try:
        victim = wait_for(lambda: in_progress(root), 120, "a student being graded")[0]
        os.kill(worker_pid(cluster, victim[2]), signal.SIGKILL)  # its grading process dies with it; the nanny starts a new worker
        interrupted = wait_for(lambda: reported(out) and [p for p in in_progress(root) if p[0] == "slow"], 300,
                               "a student reported and the slow one in progress")
        count = reported(out)
    finally:
        first.kill()
        first.wait()
    second = subprocess.run(command, capture_output=True, text=True, timeout=600)
    return {"victim": victim, "reported": count, "interrupted": interrupted, "second": second}


def test_the_cluster_grades_as_one_machine_through_a_lost_worker_and_a_restarted_coordinator(tmp_path):
    """One test (the two runs are its fixture, too costly to repeat on each xdist worker), three findings."""
    from distributed import LocalCluster

    one, root = tmp_path / "single" / "course", tmp_path / "cluster" / "course"
    grade_on_one_machine(one)
    with postgres.server() as url, dask.config.set(LEASE), \
            LocalCluster(n_workers=2, threads_per_worker=1, resources={"grading": 1}, dashboard_address=":0") as cluster:
        run = grade_on_cluster(root, url, cluster)
        students = sorted(p.name for p in (one / "submitted").iterdir())
        reference, graded = per_cell(Course(one), students), per_cell(Course(root), students)
    second = run["second"]

    # 1. Every per-cell score in PostgreSQL equals the one-machine SQLite run's, and so does every outcome.
    assert second.returncode == 1, second.stdout + second.stderr  # as on one machine: the broken submissions fail
    assert graded == reference
    assert reference["solution-0", NAMES[1]] == dict.fromkeys(["test_box_iou", "test_connected_components", "test_semantic_from_instances"],
                                                             3.0)
    status = {s: {n: o["status"] for n, o in v.items()} for s, v in json.loads((one / STATUS_FILE).read_text()).items()}
    assert {s: {n: o["status"] for n, o in v.items()} for s, v in json.loads((root / STATUS_FILE).read_text()).items()} == status
    assert status["dies"][NAMES[1]] == "crashed" and status["invalid"][NAMES[0]] == "unreadable"
    for line in ("FAILED dies 01_task_taxonomy: crashed", "FAILED missing 00_getting_started: missing"):
        assert line in second.stdout

    # 2. The killed worker's student is graded to the end once, by another worker.
    student, name, killed = run["victim"]
    by = {worker: n for (s, nb, worker), n in graded_lines(root).items() if (s, nb) == (student, name)}
    assert sum(by.values()) == 1 and killed not in by, f"{student} {name} graded {by}; the killed worker was {killed}"
    assert json.loads((root / "cluster" / f"{student}.json").read_text())[name]["worker"] != killed

    # 3. Though the first coordinator was killed with the slow student in progress (the restarted one's task for it often starts
    # while the first's still runs, and must then wait for it: the progress line says "waited"), each notebook is graded to the
    # end as often as on one machine (once, or never for a file that cannot be graded), counted in the grading processes' logs.
    assert run["reported"] >= 1, "the first coordinator was to report a student before it was killed"
    once = per_notebook(graded_lines(one))
    assert per_notebook(graded_lines(root)) == once
    assert set(once.values()) == {1}
    started = per_notebook(graded_lines(one, "grading")) + Counter([(student, name)])  # the killed worker's start, too
    assert per_notebook(graded_lines(root, "grading")) == started, "a notebook was started twice (two gradings at once?)"
    skipped = re.findall(r"^\[\d+/40\] .*graded earlier on", second.stdout, re.M)
    assert len(skipped) >= run["reported"], "the second coordinator regraded what the first had reported"


@pytest.fixture(scope="module")
def released(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("released") / "course"
    assert cli.main(["release", str(root), f"--notebook={NAMES[0]}"]) == 0
    hand_in(root, "solution", NAMES[0], solution(NAMES[0]))
    return root


def test_a_worker_that_cannot_see_the_course_is_named(released, tmp_path, capsys):
    from distributed import LocalCluster

    root = shutil.copytree(released, tmp_path / "course")
    (root / "reference" / f"{NAMES[0]}.json").unlink()
    with LocalCluster(n_workers=1, processes=False, resources={"grading": 1}, dashboard_address=":0") as local:
        assert cli.main(["autograde", str(root), "--cluster", local.scheduler_address]) == 2
        address = next(iter(local.scheduler_info["workers"]))
    out = capsys.readouterr().out
    assert f"worker {address}: cannot see {root / 'reference' / NAMES[0]}.json" in out and "nothing graded" in out


def test_a_cluster_without_grading_workers_is_refused(released, capsys):
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, processes=False, dashboard_address=":0") as plain:
        assert cli.main(["autograde", str(released), "--cluster", plain.scheduler_address]) == 2
    assert f"dask worker {plain.scheduler_address} --nthreads 1 --resources grading=1" in capsys.readouterr().out
