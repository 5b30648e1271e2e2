"""Resource limits of grading kernels (course_grade.limits): the control groups, the preflight, and attackers graded beside a neighbour.

The attackers are notebook 00's solution with its exercise cell replaced; each
is graded through ``course-grade autograde --jobs 2`` with small limits, beside
a correct submission whose scores must equal those it gets graded alone.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from course_grade import cli, grading, limits, sandbox
from course_grade.course import STATUS_FILE

NAME = "00_getting_started"
SMALL = ["--memory", "1GiB", "--processes", "96", "--disk", "64MiB", "--cell-timeout", "20"]
ANSWER = ("def rgb_to_gray(image):\n"
          "    return np.asarray(image / 255.0 if image.dtype == np.uint8 else image, float) @ [0.2125, 0.7154, 0.0721]\n")
ATTACKS = {  # student -> what the exercise cell does first, and the limit it must be stopped at
    "memory": ("chunks = [np.ones(1 << 24) for _ in range(256)]  # 32 GiB, touched\n", "used more than 1 GiB of memory"),
    "forks": ("import subprocess\nchildren = []\ntry:\n    for _ in range(300):  # bounded: never more than 300\n"
              "        children.append(subprocess.Popen(['sleep', '30']))\nexcept OSError:\n    pass\n",
              "started more than 96 processes and threads"),
    "disk": ("import os, ipykernel\n"
             "folders = ['/tmp', '/dev/shm', os.getcwd(), os.path.dirname(ipykernel.get_connection_file()), os.environ['HOME'], '/']\n"
             "for k, folder in enumerate(folders):\n    try:\n        with open(os.path.join(folder, f'fill{k}'), 'wb') as f:\n"
             "            for _ in range(200):  # 200 MiB at most per folder\n                f.write(b'x' * (1 << 20))\n"
             "    except OSError:\n        pass\n",
             "wrote more than 64 MiB into /tmp"),
    "endless": ("while True:\n    pass\n", "ran past 20 s"),
}


def test_sizes_read_as_an_instructor_writes_them():
    assert [limits.parse_size(s) for s in ("4GiB", "4G", "512MiB", "512m", "1024", "1.5GiB")] == [
        4 << 30, 4 << 30, 512 << 20, 512 << 20, 1024, 3 << 29]
    with pytest.raises(ValueError, match="not a size"):
        limits.parse_size("lots")
    assert limits.Limits(3 << 30, 256, 1 << 30).describe() == "3 GiB of memory, 256 processes and threads, 1 GiB of disk"


def test_a_group_stops_memory_and_processes_and_says_so():
    group = limits.KernelGroup(limits.Limits(128 << 20, 16, 1 << 20))
    group.create()
    try:
        result = subprocess.run([*group.prefix(), sys.executable, "-c", "x = bytearray(512 << 20)"])
        assert result.returncode == -signal.SIGKILL
        assert group.exceeded() == ["used more than 128 MiB of memory"]
        assert group.peak_memory() >= 100 << 20
    finally:
        group.remove()
    assert not any(folder.exists() for folder in group.folders)
    group = limits.KernelGroup(limits.Limits(1 << 30, 16, 1 << 20))
    group.create()
    try:
        result = subprocess.run([*group.prefix(), sys.executable, "-c", limits.PROBE, "processes", "40"], capture_output=True, text=True)
        assert "refused after" in result.stdout and group.exceeded() == ["started more than 16 processes and threads"]
    finally:
        group.remove()


def test_preflight_passes_here_and_refuses_without_cgroups(tmp_path, monkeypatch, capsys):
    limits.check(limits.DEFAULT)
    monkeypatch.setattr(limits, "CGROUP_ROOT", tmp_path)  # no controller mounted there
    with pytest.raises(limits.LimitsUnavailable, match="(?s)no cgroup hierarchy.*--no-limits"):
        limits.check(limits.DEFAULT)
    root = tmp_path / "course"
    (root / "release" / "nb").mkdir(parents=True)
    (root / "release" / "nb" / "nb.ipynb").write_text("{}")
    (root / "gradebook.db").write_text("")
    (root / "submitted" / "alice").mkdir(parents=True)
    monkeypatch.setattr(sandbox, "check", lambda course, disk: None)
    assert cli.main(["autograde", str(root)]) == 2
    assert "nothing graded: no cgroup hierarchy" in capsys.readouterr().out


@pytest.fixture(scope="module")
def released(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("limits") / "course"
    assert cli.main(["release", str(root), f"--notebook={NAME}"]) == 0
    return root


def attacker(code: str) -> nbformat.NotebookNode:
    nb = nbformat.read(grading.SOLUTIONS / f"{NAME}.ipynb", as_version=4)
    cell = next(c for c in nb.cells if c.get("id") == "rgb_to_gray")
    cell.source = "import numpy as np\n" + code + ANSWER
    return nb


def hand_in(root: Path, student: str, nb: nbformat.NotebookNode) -> None:
    path = root / "submitted" / student / NAME / f"{NAME}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(nbformat.writes(nb))


def scores(root: Path, student: str) -> dict[str, float]:
    return {grade_id: score for grade_id, (score, _) in grading.scores(root, NAME, student).items()}


def test_attackers_are_stopped_at_their_limit_and_their_neighbour_is_graded_as_alone(released, tmp_path, capsys):
    alone = shutil.copytree(released, tmp_path / "alone")
    hand_in(alone, "neighbour", attacker(""))
    assert cli.main(["autograde", str(alone), *SMALL]) == 0
    expected = scores(alone, "neighbour")
    assert expected == {"test_rgb_to_gray": 2.0}

    course = shutil.copytree(released, tmp_path / "course")
    hand_in(course, "neighbour", attacker(""))
    for student, (code, _) in ATTACKS.items():
        hand_in(course, student, attacker(code))
    host_tmp = {p.name for p in Path("/tmp").iterdir()}
    assert cli.main(["autograde", str(course), "--jobs", "2", *SMALL]) == 1
    out = capsys.readouterr().out
    statuses = json.loads((course / STATUS_FILE).read_text())
    assert scores(course, "neighbour") == expected and statuses["neighbour"][NAME]["status"] == "graded"
    for student, (_, hit) in ATTACKS.items():
        outcome = statuses[student][NAME]
        assert outcome["status"] == "over limit" and hit in outcome["detail"], (student, outcome)
        assert scores(course, student) == {"test_rgb_to_gray": 0.0}
        assert f"FAILED {student} {NAME}: over limit: " in out
    assert statuses["memory"][NAME]["peak_memory"] >= 1 << 30
    assert not [p for p in Path("/tmp").iterdir() if p.name not in host_tmp and p.name.startswith("fill")]
    assert not list(course.rglob("fill*"))
