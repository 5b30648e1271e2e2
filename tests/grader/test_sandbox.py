"""The sandbox of grading kernels (course_grade.sandbox): its preflight, and a real kernel run in it by nbclient."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError
from nbformat.v4 import new_code_cell, new_notebook
from nbgrader.preprocessors import Execute
from traitlets.config import Config

from course_grade import autograde, cli, sandbox
from course_grade.course import STATUS_FILE

ATTEMPT = """\
import os, socket
from pathlib import Path

def attempt(action):
    try:
        action()
        print("allowed")
    except Exception as error:
        print("denied", type(error).__name__)
"""


@pytest.fixture(autouse=True)
def grading_env(monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")


@pytest.fixture
def course(tmp_path) -> Path:
    """A course directory: a gradebook, this student's autograded folder and another student's."""
    root = tmp_path / "course"
    for student in ("alice", "bob"):
        folder = root / "autograded" / student / "nb"
        folder.mkdir(parents=True)
        (folder / "nb.ipynb").write_text(f"{student}'s work")
    (root / "gradebook.db").write_text("CANARY")
    return root


def execute(folder: Path, sources: list[str], cell_timeout: int = 60) -> nbformat.NotebookNode:
    """Run a notebook of ``sources`` in a sandboxed kernel in ``folder``; a cell with an endless loop gets 2 s."""
    nb = new_notebook(cells=[new_code_cell(s) for s in sources],
                      metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    client = NotebookClient(nb, kernel_manager_class=sandbox.SandboxedKernelManager, allow_errors=True, interrupt_on_timeout=True,
                            timeout_func=lambda cell: 2 if "while True" in cell.source else cell_timeout,
                            resources={"metadata": {"path": str(folder)}})
    client.execute()
    return nb


def printed(cell) -> str:
    return "".join(o.text for o in cell.outputs if o.output_type == "stream").strip()


def test_preflight_passes_here(course):
    sandbox.check(course)
    assert not (course / "sandbox-probe").exists()


def test_preflight_reports_a_sandbox_that_leaks(course, monkeypatch):
    """With the network shared and the submission folder writable, the preflight names both and points to --no-sandbox."""
    arguments = sandbox.bwrap_arguments

    def leaky(cwd, runtime_dir, env=None, disk=1 << 30):
        args = arguments(cwd, runtime_dir, env, disk // 2)  # tmpfs of the wrong size
        at = args.index(str(cwd))
        args[at - 1] = "--bind"
        at = args.index("--remount-ro", args.index("--remount-ro") + 1)
        del args[at : at + 2]  # bwrap's own root left writable
        return [*args[:2], "--share-net", *args[2:]]  # after --unshare-all

    monkeypatch.setattr(sandbox, "bwrap_arguments", leaky)
    with pytest.raises(sandbox.SandboxUnavailable) as error:
        sandbox.check(course)
    message = str(error.value)
    assert "it can connect to 127.0.0.1" in message and "it can reach the network" in message
    assert "it can write into" in message and "--no-sandbox" in message
    assert "it can write into /;" in message and "its /dev/shm holds 536870912 bytes, not 1073741824" in message


def test_preflight_reports_bwrap_that_cannot_run(course, monkeypatch):
    monkeypatch.setattr(sandbox, "bwrap", lambda: "/nonexistent/bwrap")
    with pytest.raises(sandbox.SandboxUnavailable, match="(?s)could not run.*--no-sandbox"):
        sandbox.check(course)


def test_a_sandboxed_kernel_reads_and_writes_only_what_it_may(course, monkeypatch):
    monkeypatch.setenv("GRADER_SECRET", "not for students")
    own = course / "autograded" / "alice" / "nb"
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        nb = execute(own, [
            ATTEMPT,
            "attempt(lambda: print(Path('nb.ipynb').read_text()))",
            f"attempt(lambda: Path({str(course / 'autograded' / 'bob' / 'nb' / 'nb.ipynb')!r}).read_text())",
            f"attempt(lambda: Path({str(course / 'gradebook.db')!r}).read_text())",
            "attempt(lambda: Path('written').write_text('x'))",
            f"attempt(lambda: Path({str(course / 'written')!r}).write_text('x'))",
            "attempt(lambda: Path('/tmp/scratch').write_text('x'))",
            f"attempt(lambda: socket.create_connection(('127.0.0.1', {port}), timeout=5))",
            "print(os.environ.get('GRADER_SECRET'), os.environ['HOME'], os.environ['NBGRADER_EXECUTION'])",
            "from helpers import data\nimport numpy as np\nprint(data.load_orl_faces()[0].shape, np.__name__)",
            "import ipykernel\nprint(ipykernel.get_connection_file())",
            "import os\nfor root, dirs, _ in os.walk('/'):\n"
            "    if root.startswith(('/proc', '/sys')):\n        dirs[:] = []\n        continue\n"
            "    try:\n        open(os.path.join(root, '.probe'), 'w').close()\n        print(root)\n    except OSError:\n        pass\n",
        ])
    outputs = [printed(cell) for cell in nb.cells[1:]]
    assert [outputs[i] for i in (0, 1, 2, 3, 5, 6)] == [
        "alice's work\nallowed",
        "denied FileNotFoundError",  # another student's folder is not there at all
        "denied FileNotFoundError",  # nor the gradebook
        "denied OSError",  # its own folder is read-only
        "allowed",  # /tmp is its own
        "denied ConnectionRefusedError",  # a network of its own: nothing listens on its loopback
    ], outputs
    # outputs[4]: the course root's path, under /tmp here, lies in the kernel's own /tmp: the write lands there, not in the course
    assert outputs[7] == "None /tmp autograde"
    assert outputs[8] == "(400, 112, 92) numpy"
    assert not (own / "written").exists() and not (course / "written").exists()
    assert not Path(outputs[9]).parent.exists()  # the private runtime folder is gone after shutdown
    writable = outputs[10].split()  # only its three tmpfs: /tmp (with the sockets' folder below it here), /dev/shm
    assert {"/tmp", "/dev/shm"} <= set(writable) and all(path.startswith(("/tmp", "/dev/shm")) for path in writable), writable

def test_a_sandboxed_kernel_is_interrupted_at_the_cell_timeout_and_reported_dead_after_os_exit(course):
    own = course / "autograded" / "alice" / "nb"
    start = time.monotonic()
    nb = execute(own, ["while True:\n    pass", "print('next cell')"])
    assert [o.ename for o in nb.cells[0].outputs if o.output_type == "error"] == ["KeyboardInterrupt"]
    assert printed(nb.cells[1]) == "next cell"
    with pytest.raises(DeadKernelError):
        execute(own, ["import os\nos._exit(1)", "print('never')"])
    assert time.monotonic() - start < 30


def test_nbgrader_execute_is_swapped_for_the_sandboxed_one():
    config = Config()
    config.Execute.timeout = 7
    swapped = sandbox.sandboxed(["MarkHiddenTests", Execute, "IgnorePattern"])
    assert swapped == ["MarkHiddenTests", sandbox.SandboxedExecute, "IgnorePattern"]
    execute = sandbox.SandboxedExecute(config=config)
    assert execute.kernel_manager_class is sandbox.SandboxedKernelManager and execute.timeout == 7
    with pytest.raises(sandbox.SandboxUnavailable):
        sandbox.sandboxed(["MarkHiddenTests"])


def test_autograde_grades_nothing_if_the_preflight_fails_and_skips_it_with_no_sandbox(tmp_path, monkeypatch, capsys):
    root = tmp_path / "course"
    (root / "release" / "nb").mkdir(parents=True)
    (root / "release" / "nb" / "nb.ipynb").write_text("{}")
    (root / "gradebook.db").write_text("")
    (root / "submitted" / "alice").mkdir(parents=True)
    graders = []

    class Grader:
        def __init__(self, *args):
            graders.append(args)

        def run(self, students, jobs):
            return {}

    def unavailable(course, disk, bounds):
        raise sandbox.SandboxUnavailable(f"no user namespaces.\n{sandbox.NO_SANDBOX_HINT}")

    monkeypatch.setattr(autograde, "Grader", Grader)
    monkeypatch.setattr(sandbox, "check", unavailable)
    assert cli.main(["autograde", str(root)]) == 2
    out = capsys.readouterr().out
    assert "nothing graded: no user namespaces" in out and "--no-sandbox" in out
    assert not graders and not (root / STATUS_FILE).exists()

    assert cli.main(["autograde", str(root), "--no-sandbox"]) == 0
    assert graders[0][-2] is False and "kernels NOT sandboxed" in capsys.readouterr().out
