#!/usr/bin/env python3
"""Set up, open and test the course. Standard library only, so it runs before anything is installed.

    python3 course.py lab        # set everything up, then open the course in JupyterLab
    python3 course.py test       # set everything up, then run the whole test suite
    python3 course.py generate   # regenerate notebooks/ from solutions/ (authors)

Setting up: unless a virtual environment or conda environment is active, a
``.venv`` is created here; the pins in requirements.txt and the ``helpers``
package (editable) are installed into it, and its Jupyter kernel is
registered. Later runs skip the installation while requirements.txt and
pyproject.toml are unchanged.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
KERNEL = ("object-recognition", "Python 3 (Object Recognition)")
PYTEST_ARGS = ["-n", "2", "--dist", "worksteal"]  # both cores; each test runs its own kernel


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


def install(python: Path) -> None:
    """Install the pins and ``helpers`` and register the kernel, unless already done for these files."""
    digest = hashlib.sha256(b"".join((ROOT / f).read_bytes() for f in ("requirements.txt", "pyproject.toml"))).hexdigest()
    query = subprocess.run([python, "-c", "import sys; print(sys.prefix)"], capture_output=True, text=True, check=True)
    prefix = Path(query.stdout.strip())
    stamp = prefix / ".object-recognition-installed"
    if stamp.is_file() and stamp.read_text().strip() == digest:
        return
    run(python, "-m", "pip", "install", "--disable-pip-version-check", "-r", ROOT / "requirements.txt", "-e", ROOT)
    run(python, "-m", "ipykernel", "install", "--user", "--name", KERNEL[0], "--display-name", KERNEL[1])
    stamp.write_text(digest + "\n")


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"lab", "test", "generate"}:
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    python = environment_python()
    install(python)
    if command == "lab":
        root_flag = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
        return subprocess.call([python, "-m", "jupyter", "lab", f"--ServerApp.root_dir={ROOT / 'notebooks'}", *root_flag, *rest], cwd=ROOT)
    if command == "generate":
        return subprocess.call([python, "-m", "course_grade.grading", *rest], cwd=ROOT)
    return subprocess.call([python, "-m", "pytest", *PYTEST_ARGS, *rest], cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
