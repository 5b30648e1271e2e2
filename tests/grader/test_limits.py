"""Resource limits of grading kernels (course_grade.limits): both backends, the preflight, and attackers graded beside a neighbour.

The attackers are notebook 00's solution with its exercise cell replaced; each
is graded through ``course-grade autograde --jobs 2`` with small limits, beside
a correct submission whose scores must equal those it gets graded alone: with
control groups (this machine's cgroup v1), and with the rlimit backend forced
(``--limits-backend rlimit``), which machines without control groups get. The
cgroup v2 code is exercised against a fake hierarchy only: this machine's
memory and pids controllers are bound to v1, so v2's enforcement itself is
proved only where v2 is mounted (``limits.check`` does it there before grading).
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import tempfile
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
    "logger": ("import os\nfor _ in range(100):  # 100 MiB into the kernel's stderr, which the grader's log would take\n"
               "    os.write(2, b'x' * (1 << 20))\n", "wrote more than 64 MiB into its output"),
}


def test_sizes_read_as_an_instructor_writes_them():
    assert [limits.parse_size(s) for s in ("4GiB", "4G", "512MiB", "512m", "1024", "1.5GiB")] == [
        4 << 30, 4 << 30, 512 << 20, 512 << 20, 1024, 3 << 29]
    with pytest.raises(ValueError, match="not a size"):
        limits.parse_size("lots")
    assert limits.Limits(3 << 30, 256, 1 << 30).describe() == "3 GiB of memory, 256 processes and threads, 1 GiB of disk"
    assert limits.Limits(3 << 30, 256, 1 << 30, "rlimit").describe().startswith("3 GiB of memory per process, 256 processes")
    bounds = limits.Limits(3 << 30, 256, 1 << 30, "rlimit")
    assert limits.Limits.decode(bounds.encode()) == bounds


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
    assert limits.DEFAULT.resolved().backend == "cgroup"
    monkeypatch.setattr(limits, "CGROUP_ROOT", tmp_path)  # no controller mounted there
    assert limits.DEFAULT.resolved().backend == "rlimit"  # auto falls back
    cgroup = limits.Limits(backend="cgroup")
    with pytest.raises(limits.LimitsUnavailable, match="(?s)no cgroup hierarchy.*--no-limits.*--limits-backend rlimit"):
        limits.check(cgroup)
    root = tmp_path / "course"
    (root / "release" / "nb").mkdir(parents=True)
    (root / "release" / "nb" / "nb.ipynb").write_text("{}")
    (root / "gradebook.db").write_text("")
    (root / "submitted" / "alice").mkdir(parents=True)
    monkeypatch.setattr(sandbox, "check", lambda course, disk, bounds: None)
    assert cli.main(["autograde", str(root), "--limits-backend", "cgroup"]) == 2
    assert "nothing graded: no cgroup hierarchy" in capsys.readouterr().out


def test_rlimits_hold_sandboxed_and_are_refused_where_they_cannot():
    """Without control groups: each process's memory and the kernel's processes bound, in the sandbox, as its own user.

    Unsandboxed the kernel runs as the grader, root here, whom RLIMIT_NPROC never
    refuses a process: the preflight says so and names the opt-out.
    """
    bounds = limits.Limits(backend="rlimit")
    limits.check(bounds)
    sandbox.check(bounds=bounds)
    with pytest.raises(limits.LimitsUnavailable, match="(?s)not refused processes.*never refuses root.*--no-limits"):
        limits.check(bounds, sandboxed=False)
    kernel = limits.Limits(128 << 20, 16, 1 << 20, "rlimit").kernel()
    kernel.create()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "cwd").mkdir()
            (Path(tmp) / "runtime").mkdir()
            probe = "import os, sys; print(os.getuid(), os.geteuid(), os.getgroups()); sys.stdout.flush()\n" + limits.PROBE
            command = sandbox.confined([sys.executable, "-c", probe, "processes", "40"], Path(tmp) / "cwd", Path(tmp) / "runtime", kernel)
            result = subprocess.run(command, capture_output=True, text=True)
    finally:
        kernel.remove()
    assert result.stdout.startswith(f"{limits.SANDBOX_UID} {limits.SANDBOX_UID} []\nrefused after "), result
    assert int(result.stdout.split("refused after ")[1].split()[0]) < 16
    assert kernel.holder is None
    assert limits.refusals(limits.DEFAULT, [("MemoryError", ""), ("BlockingIOError", "[Errno 11] Resource temporarily unavailable")]) == [
        "used more than 4 GiB of memory", "started more than 256 processes and threads"]
    assert limits.refusals(limits.DEFAULT, [("RuntimeError", "can't start new thread")]) == ["started more than 256 processes and threads"]
    assert limits.refusals(limits.DEFAULT, [("ValueError", "shapes do not match")]) == []


def test_cgroup_v2_groups_are_written_and_read_as_v2_has_them(tmp_path, monkeypatch):
    """The v2 code path against a fake unified hierarchy: the files it writes, the events it reads, the shell that joins.

    Only the logic is tested: this machine's memory and pids controllers are on
    cgroup v1, so no kernel is bounded here by v2; where v2 is mounted,
    ``limits.check`` proves the enforcement before grading.
    """
    (tmp_path / "cgroup.controllers").write_text("cpuset cpu io memory hugetlb pids rdma misc\n")
    monkeypatch.setattr(limits, "CGROUP_ROOT", tmp_path)
    monkeypatch.setattr(limits, "own_group", lambda controller: "/grader.slice" if controller == "" else None)
    (tmp_path / "grader.slice").mkdir()
    assert limits.hierarchy() == "v2"
    bounds = limits.Limits(3 << 30, 40, 1 << 20, "cgroup")
    group = limits.KernelGroup(bounds, "alice")
    assert group.folders == [group.memory] and group.memory.parent == tmp_path / "grader.slice"
    real_mkdir, real_rmdir = Path.mkdir, Path.rmdir
    files = ("memory.max", "memory.swap.max", "pids.max", "cgroup.procs", "memory.events", "pids.events", "memory.peak")

    def mkdir(folder, *args, **kwargs):  # cgroupfs makes a group's interface files with its folder, and removes them with it
        real_mkdir(folder, *args, **kwargs)
        for name in files:
            (folder / name).write_text("")

    def rmdir(folder):
        for name in files:
            (folder / name).unlink(missing_ok=True)
        real_rmdir(folder)

    monkeypatch.setattr(Path, "mkdir", mkdir)
    monkeypatch.setattr(Path, "rmdir", rmdir)
    group.create()
    assert [(group.memory / name).read_text() for name in ("memory.max", "memory.swap.max", "pids.max")] == [
        f"{3 << 30}\n", "0\n", "40\n"]
    assert subprocess.run([*group.prefix(), "true"]).returncode == 0  # the launch command's shell joined the group
    assert (group.memory / "cgroup.procs").read_text().strip().isdigit()
    (group.memory / "cgroup.procs").write_text("")  # the shell has exited: cgroupfs lists it no more
    assert group.exceeded() == []
    (group.memory / "memory.events").write_text("low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 0\n")
    (group.memory / "pids.events").write_text("max 3\n")
    (group.memory / "memory.peak").write_text(f"{3 << 30}\n")
    assert group.exceeded() == ["used more than 3 GiB of memory", "started more than 40 processes and threads"]
    assert group.peak_memory() == 3 << 30
    group.remove()
    assert not group.memory.exists()
    (tmp_path / "cgroup.controllers").write_text("cpu io\n")  # memory and pids not enabled: refused, not ignored
    with pytest.raises(limits.LimitsUnavailable, match="no cgroup hierarchy"):
        limits.hierarchy()


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
    assert (course / "logs" / "logger.log").stat().st_size < 65 << 20


def test_without_cgroups_attackers_are_refused_at_their_limit_and_their_neighbour_is_graded_as_alone(released, tmp_path, capsys):
    """The rlimit backend, forced: the memory bomb is refused its allocation, the fork bomb its processes, each reported as such."""
    rlimits = [*SMALL, "--limits-backend", "rlimit"]
    alone = shutil.copytree(released, tmp_path / "alone")
    hand_in(alone, "neighbour", attacker(""))
    assert cli.main(["autograde", str(alone), *rlimits]) == 0
    assert "per process, 96 processes and threads, 64 MiB of disk (rlimits" in capsys.readouterr().out
    expected = scores(alone, "neighbour")
    assert expected == {"test_rgb_to_gray": 2.0}

    course = shutil.copytree(released, tmp_path / "course")
    hand_in(course, "neighbour", attacker(""))
    for student in ("memory", "forks"):
        hand_in(course, student, attacker(ATTACKS[student][0]))
    assert cli.main(["autograde", str(course), "--jobs", "2", *rlimits]) == 1
    out = capsys.readouterr().out
    statuses = json.loads((course / STATUS_FILE).read_text())
    assert scores(course, "neighbour") == expected and statuses["neighbour"][NAME]["status"] == "graded"
    for student in ("memory", "forks"):
        outcome = statuses[student][NAME]
        assert outcome["status"] == "over limit" and outcome["detail"] == ATTACKS[student][1], (student, outcome)
        assert scores(course, student) == {"test_rgb_to_gray": 0.0}
        assert f"FAILED {student} {NAME}: over limit: " in out
    assert 0.75 * (1 << 30) < statuses["memory"][NAME]["peak_memory"] <= 1 << 30
