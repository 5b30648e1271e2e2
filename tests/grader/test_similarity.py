"""``course-grade similarity`` (course_grade.similarity) on synthetic students of notebook 01."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from students import answers, with_answers

from course_grade import cli, grading

NAME = "01_task_taxonomy"


def solution_answer(nb, exercise: str) -> str:
    return re.sub(r"\s*### (BEGIN|END) SOLUTION", "", next(c for c in nb.cells if c.get("id") == exercise).source)


def copied(code: str) -> str:
    """``code`` with its variables renamed and two independent lines swapped, as a copier disguises it."""
    for old, new in (("labels", "lab"), ("count", "n"), ("stack", "todo"), ("steps", "moves")):
        code = re.sub(rf"\b{old}\b", new, code)
    lines = code.split("\n")
    i, j = (next(k for k, line in enumerate(lines) if text in line) for text in ("lab = np.zeros", "moves = ["))
    lines[i], lines[j] = lines[j], lines[i]
    return "\n".join(lines)


@pytest.fixture
def course(tmp_path) -> Path:
    """A released course of notebook 01 (the release is notebooks/ itself) with four students."""
    root = tmp_path / "course"
    (root / "release" / NAME).mkdir(parents=True)
    shutil.copyfile(grading.NOTEBOOKS / f"{NAME}.ipynb", root / "release" / NAME / f"{NAME}.ipynb")
    (root / "gradebook.db").touch()
    solution = nbformat.read(grading.SOLUTIONS / f"{NAME}.ipynb", as_version=4)
    release = nbformat.read(grading.NOTEBOOKS / f"{NAME}.ipynb", as_version=4)
    students = {
        "solution": solution,
        "copier": with_answers(release, {"connected_components": copied(solution_answer(solution, "connected_components"))}),
        "alternative": with_answers(solution, answers(NAME).CORRECT),
        "untouched": release,
    }
    for student, nb in students.items():
        path = root / "submitted" / student / NAME / f"{NAME}.ipynb"
        path.parent.mkdir(parents=True)
        path.write_text(nbformat.writes(nb))
    return root


def test_a_disguised_copy_is_flagged_and_independent_answers_are_not(course, capsys):
    assert cli.main(["similarity", str(course)]) == 0
    out = capsys.readouterr().out
    report = json.loads((course / "similarity.json").read_text())
    assert [(p["exercise"], p["students"]) for p in report["pairs"]] == [("connected_components", ["copier", "solution"])]
    assert report["pairs"][0]["similarity"] >= 0.7
    assert report["compared"] == 1 + 3 + 1  # the solution and the alternative; with the copier for connected_components
    page = (course / "similarity.html").read_text()
    assert "<mark>" in page and "copier" in page and "alternative" not in page
    assert "1 pairs of 4 students flagged at 70%" in out


def test_untouched_stubs_are_not_compared(course):
    cli.main(["similarity", str(course), "--threshold", "0"])
    pairs = json.loads((course / "similarity.json").read_text())["pairs"]
    assert pairs and not any("untouched" in p["students"] for p in pairs)
