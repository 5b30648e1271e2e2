"""course.py's set-up as the notebooks and JupyterLab meet it: the kernel they name, JupyterLab's settings and options."""

import importlib.util
import json
import sys

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

from course_grade import grading, sandbox

spec = importlib.util.spec_from_file_location("course_script", grading.REPO / "course.py")
course = importlib.util.module_from_spec(spec)
spec.loader.exec_module(course)


@pytest.mark.parametrize("folder", [grading.SOLUTIONS, grading.NOTEBOOKS], ids=["solutions", "notebooks"])
def test_every_notebook_names_the_course_kernel(folder):
    """Opened from any Jupyter, a notebook starts the kernel course.py registers: the course's environment."""
    name, display_name = course.KERNEL
    for path in sorted(folder.glob("*.ipynb")):
        kernelspec = nbformat.read(path, as_version=4).metadata.kernelspec
        assert dict(kernelspec) == {"name": name, "display_name": display_name, "language": "python"}, path.name


def test_grading_runs_the_course_kernel_as_its_own_python_registered_or_not(tmp_path, monkeypatch):
    """A grading machine need not have the kernel registered (it is, per user, by course.py): the sandbox runs this Python."""
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path))  # no user-registered kernels
    with pytest.raises(NoSuchKernel):
        KernelSpecManager().get_kernel_spec(course.KERNEL[0])
    assert sandbox.COURSE_KERNEL == course.KERNEL[0]
    spec = sandbox.SandboxedKernelManager(kernel_name=sandbox.COURSE_KERNEL).kernel_spec
    assert spec.argv[:3] == [sys.executable, "-m", "ipykernel_launcher"] and spec.interrupt_mode == "message"


def test_quiet_lab_merges_the_course_settings_into_the_environments_overrides(tmp_path):
    path = tmp_path / "share/jupyter/lab/settings/overrides.json"
    course.quiet_lab(tmp_path)
    assert json.loads(path.read_text()) == course.LAB_SETTINGS
    plugin = next(iter(course.LAB_SETTINGS))
    path.write_text(json.dumps({plugin: {"doNotDisturbMode": True, "fetchNews": "none"}, "other:plugin": {"a": 1}}))
    course.quiet_lab(tmp_path)
    assert json.loads(path.read_text()) == {plugin: {"doNotDisturbMode": True, **course.LAB_SETTINGS[plugin]}, "other:plugin": {"a": 1}}


def test_quiet_lab_leaves_overrides_it_cannot_read(tmp_path, capsys):
    path = tmp_path / "share/jupyter/lab/settings/overrides.json"
    path.parent.mkdir(parents=True)
    path.write_text("{// a comment (JSON5)\n}")
    course.quiet_lab(tmp_path)
    assert path.read_text() == "{// a comment (JSON5)\n}" and "not plain JSON" in capsys.readouterr().out


def test_lab_opens_notebook_00_in_notebooks_unless_told_otherwise():
    python = grading.REPO / ".venv/bin/python"
    command = course.lab_command(python, ["--no-browser"])
    assert command[:4] == [str(python), "-m", "jupyter", "lab"] and command[-1] == "--no-browser"
    assert f"--ServerApp.root_dir={grading.NOTEBOOKS}" in command
    assert "--LabApp.default_url=/lab/tree/00_getting_started.ipynb" in command
    assert (grading.NOTEBOOKS / "00_getting_started.ipynb").is_file()
    for given in ("--notebook-dir=/elsewhere", "--ServerApp.root_dir=/elsewhere"):  # JupyterLab refuses an option given twice
        command = course.lab_command(python, [given])
        assert [arg for arg in command if "root_dir" in arg or "notebook-dir" in arg] == [given]
    command = course.lab_command(python, ["--LabApp.default_url=/lab"])
    assert [arg for arg in command if "default_url" in arg] == ["--LabApp.default_url=/lab"]
