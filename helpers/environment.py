"""The environment check of notebook 00: is everything the course needs here?"""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

from packaging.markers import Marker

from helpers.data import REGISTRY, DataFileError, verified_path

REQUIREMENTS = Path(__file__).resolve().parent.parent / "requirements.txt"
FIX = "run `python3 course.py lab` in the course folder; it installs the pins in requirements.txt"


def pinned_versions(path: Path | None = None) -> dict[str, str]:
    """``{package: version}`` for each ``name==version`` line of requirements.txt (or ``path``) that applies here.

    A line with an environment marker (``; sys_platform == "linux"``) counts only where its marker holds.
    """
    pins = {}
    for line in (path or REQUIREMENTS).read_text().splitlines():
        match = re.match(r"\s*([A-Za-z0-9_.\-]+)(?:\[[\w,\s-]*\])?==([^\s#;]+)\s*(?:;([^#]*))?", line)  # extras: name[binary]==1.0
        if match and (not match.group(3) or Marker(match.group(3)).evaluate()):
            pins[match.group(1)] = match.group(2)
    return pins


def problems() -> list[str]:
    """Everything missing or different from what the course expects, with how to fix it."""
    found = []
    if sys.version_info[:2] != (3, 11):
        found.append(f"Python is {sys.version.split()[0]}, the course is pinned for 3.11: {FIX}")
    for package, pinned in pinned_versions().items():
        try:
            installed = metadata.version(package)
        except metadata.PackageNotFoundError:
            found.append(f"{package} is not installed (the course pins {pinned}): {FIX}")
            continue
        if installed != pinned:
            found.append(f"{package} {installed} is installed, the course pins {pinned}: {FIX}")
    for name in REGISTRY:
        try:
            verified_path(name)
        except DataFileError as error:
            found.append(str(error))
    return found


def check_environment() -> None:
    """Print what was checked; raise ``RuntimeError`` listing every problem found."""
    found = problems()
    print(f"Python {sys.version.split()[0]}; {len(pinned_versions())} pinned packages; data sets: {', '.join(REGISTRY)}")
    if found:
        raise RuntimeError("The environment is not ready:\n- " + "\n- ".join(found))
    print("✓ Everything the course needs is installed, and every data file matches its checksum.")
