#!/usr/bin/env python3
"""Set up, open and test the course. Standard library only, so it runs before anything is installed.

    python3 course.py lab        # set everything up, then open the course in JupyterLab
    python3 course.py test       # set everything up, then run the whole test suite
    python3 course.py generate   # regenerate notebooks/ from solutions/ (authors)

Setting up: unless a virtual environment or conda environment is active, a
``.venv`` is created here; the pins in requirements.txt and the ``helpers``
package (editable) are installed into it, and its Jupyter kernel is
registered. Later runs skip the installation while requirements.txt and
pyproject.toml are unchanged. JupyterLab opens on notebooks/ with notebook 00,
and never asks about Jupyter news (LAB_SETTINGS, written on every run).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
KERNEL = ("object-recognition", "Python 3 (Object Recognition)")  # the kernel every notebook's metadata names
LAB_OPTIONS = {  # `lab`'s JupyterLab options; one given after `lab` replaces the course's (JupyterLab refuses one given twice)
    "--ServerApp.root_dir": str(ROOT / "notebooks"),
    "--LabApp.default_url": "/lab/tree/00_getting_started.ipynb",  # the file browser on that folder, notebook 00 open
}
LAB_ALIASES = {"--notebook-dir": "--ServerApp.root_dir"}
LAB_SETTINGS = {  # JupyterLab's settings overrides in the course's environment: no prompt about Jupyter news, no update check
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
}
PYTEST_ARGS = ["-n", "2", "--dist", "loadgroup",  # both cores; each notebook in one worker, the longest first (tests/nbval_checks.py)
               "--durations=25"]  # the 25 slowest tests, in every run: where the suite's time goes


def run(*cmd: str | Path, **kwargs) -> None:
    print("+", " ".join(map(str, cmd)), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, **kwargs)


def environment_python() -> Path:
    """The Python of the active environment, or of ``.venv`` (created if missing)."""
    if sys.prefix != sys.base_prefix or os.environ.get("CONDA_PREFIX"):
        python = Path(sys.executable)
    else:
        venv = ROOT / ".venv"
        python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
        if not python.exists():
            if sys.version_info[:2] != (3, 11):
                sys.exit(f"The course needs Python 3.11; this is {sys.version.split()[0]}. Run this script with python3.11.")
            run(sys.executable, "-m", "venv", venv)
    version = subprocess.run([python, "-c", "import sys; print(*sys.version_info[:2])"], capture_output=True, text=True, check=True)
    if version.stdout.split() != ["3", "11"]:
        sys.exit(f"{python} is Python {'.'.join(version.stdout.split())}; the course needs Python 3.11.")
    return python


def quiet_lab(prefix: Path) -> None:
    """Merge :data:`LAB_SETTINGS` into the JupyterLab settings overrides of the environment at ``prefix``."""
    path = prefix / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    try:
        settings = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except ValueError:
        print(f"note: {path} is not plain JSON; left as it is (JupyterLab may ask about news)")
        return
    merged = dict(settings)
    for plugin, values in LAB_SETTINGS.items():
        merged[plugin] = {**settings.get(plugin, {}), **values}
    if merged != settings:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(merged, indent=2) + "\n", encoding="utf-8")


def install(python: Path) -> None:
    """Install the pins and ``helpers`` and register the kernel, unless already done for these files; quiet JupyterLab."""
    digest = hashlib.sha256(b"".join((ROOT / f).read_bytes() for f in ("requirements.txt", "pyproject.toml"))).hexdigest()
    query = subprocess.run([python, "-c", "import sys; print(sys.prefix)"], capture_output=True, text=True, check=True)
    prefix = Path(query.stdout.strip())
    quiet_lab(prefix)
    stamp = prefix / ".object-recognition-installed"
    if stamp.is_file() and stamp.read_text().strip() == digest:
        return
    run(python, "-m", "pip", "install", "--disable-pip-version-check", "-r", ROOT / "requirements.txt", "-e", ROOT)
    run(python, "-m", "ipykernel", "install", "--user", "--name", KERNEL[0], "--display-name", KERNEL[1])
    stamp.write_text(digest + "\n")


def lab_command(python: Path, rest: list[str]) -> list[str]:
    """The JupyterLab command of ``lab``: :data:`LAB_OPTIONS` less those ``rest`` (the user's arguments, last) sets."""
    root_flag = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    given = {LAB_ALIASES.get(name, name) for name in (arg.split("=", 1)[0] for arg in rest)}
    options = [f"{name}={value}" for name, value in LAB_OPTIONS.items() if name not in given]
    return [str(python), "-m", "jupyter", "lab", *options, *root_flag, *rest]


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"lab", "test", "generate"}:
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    python = environment_python()
    install(python)
    if command == "lab":
        return subprocess.call(lab_command(python, rest), cwd=ROOT)
    if command == "generate":
        return subprocess.call([python, "-m", "course_grade.grading", *rest], cwd=ROOT)
    return subprocess.call([python, "-m", "pytest", *PYTEST_ARGS, *rest], cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
