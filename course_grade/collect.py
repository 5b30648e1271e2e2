"""``course-grade collect``: a folder or a zip per student into ``submitted/``.

Not part of any lesson.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import nbformat

from course_grade.course import Course, say

MAX_HANDIN_BYTES = 100_000_000


def handed_in(entry: Path) -> tuple[dict[str, bytes], str | None]:
    """The notebook files in one student's folder or zip, by path inside it; or a reason it cannot be read."""

    def wanted(name: str) -> bool:
        parts = Path(name).parts
        return name.endswith(".ipynb") and not any(p.startswith(".") or p == "__MACOSX" for p in parts)

    if entry.is_dir():
        paths = [str(p.relative_to(entry)) for p in sorted(entry.rglob("*.ipynb"))]
        return {path: (entry / path).read_bytes() for path in paths if wanted(path)}, None
    try:
        with zipfile.ZipFile(entry) as archive:
            members = [m for m in archive.infolist() if wanted(m.filename) and not m.is_dir()]
            if any(m.file_size > MAX_HANDIN_BYTES for m in members):
                return {}, f"a notebook in {entry.name} is larger than {MAX_HANDIN_BYTES // 1_000_000} MB"
            return {m.filename: archive.read(m) for m in members}, None
    except (zipfile.BadZipFile, OSError) as error:
        return {}, f"{entry.name} is not a readable zip file ({error})"


def course_name(filename: str, names: list[str]) -> str | None:
    """The course notebook that a handed-in file name stands for, if exactly one fits."""
    stem = Path(filename).stem
    if stem in names:
        return stem
    number = re.match(r"\d\d", stem)
    fits = [n for n in names if (number and n[:2] == number[0]) or n[3:] in stem.lower()]
    return fits[0] if len(fits) == 1 else None


def collect(course: Course, inbox: Path) -> int:
    """Copy each student's notebooks from ``inbox`` into ``submitted/`` and report what is missing, misnamed or unreadable."""
    names = course.released()
    if not inbox.is_dir():
        say(f"course-grade: {inbox} is not a folder")
        return 1
    entries = [e for e in sorted(inbox.iterdir()) if not e.name.startswith(".") and e.name != "__MACOSX"]
    failed = 0
    for entry in entries:
        student = entry.name if entry.is_dir() else entry.stem
        problems, notes, taken = [], [], {}
        if not entry.is_dir() and entry.suffix.lower() != ".zip":
            problems.append("not collected: neither a student's folder nor a zip")
        elif not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.@+-]*", student):
            problems.append("not collected: a student id holds only letters, digits and _ . @ + -; rename it")
        else:
            files, unreadable = handed_in(entry)
            problems += [f"unreadable: {unreadable}"] if unreadable else []
            by_name: dict[str, list[str]] = {}
            for filename in files:
                name = course_name(filename, names)
                if name:
                    by_name.setdefault(name, []).append(filename)
                else:
                    notes.append(f"ignored {filename}: not one of the course's notebooks")
            for name, candidates in by_name.items():
                exact = [f for f in candidates if Path(f).name == f"{name}.ipynb"]
                if len(exact) != 1 and len(candidates) != 1:
                    problems.append(f"misnamed: {', '.join(candidates)} could each be {name}; none taken: rename one")
                    continue
                taken[name] = (exact or candidates)[0]
                if not exact:
                    notes.append(f"misnamed: {taken[name]} taken as {name}")
                notes += [f"ignored {f}: {taken[name]} is {name}" for f in candidates if f != taken[name]]
            for name, filename in taken.items():
                try:
                    nbformat.reads(files[filename].decode("utf-8"), as_version=4)
                except Exception as error:  # noqa: BLE001 (whatever the parse error, the student must fix the file)
                    problems.append(f"unreadable: {filename} is not a valid notebook ({type(error).__name__}: {str(error)[:200]})")
                target = course.submission(student, name)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(files[filename])
            missing = [n for n in names if n not in taken]
            problems += [f"missing: {', '.join(missing)}"] if missing else []
        failed += bool(problems)
        say(f"{entry.name}: collected {len(taken)} of {len(names)} notebooks" + "".join(f"\n    {r}" for r in problems + notes))
    say(f"collected {len(entries)} hand-ins into {course.root / 'submitted'}; {failed} with problems")
    return 1 if failed or not entries else 0
