"""Every notebook: its structure, its generation and its grading round trip (nbval runs each one: tests/nbval_checks.py).

Select one notebook's tests with ``-k``, e.g. ``python3 course.py test -k 01_task_taxonomy``.
"""

from __future__ import annotations

import ast
import re

import nbformat
import pytest
from notebook_runner import errors, errors_beyond_stubs
from students import answers, exercises, same_code, solution_code, students

from course_grade import cli, grading

NAMES = grading.solution_names()


def nbgrader_meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def is_exercise(cell) -> bool:
    return nbgrader_meta(cell).get("solution", False) and not nbgrader_meta(cell).get("grade", False)


def is_test(cell) -> bool:
    return nbgrader_meta(cell).get("grade", False) and not nbgrader_meta(cell).get("solution", False)


def points_of(nb) -> dict[str, float]:
    """Grade id -> points of each of a notebook's autograded test cells."""
    return {nbgrader_meta(c)["grade_id"]: nbgrader_meta(c)["points"] for c in nb.cells if c.cell_type == "code" and is_test(c)}


def test_course_has_notebooks():
    assert NAMES[:2] == ["00_getting_started", "01_task_taxonomy"]


@pytest.mark.parametrize("name", NAMES)
def test_source_structure(name):
    """Each exercise is followed by a test cell with points, a visible part and hidden tests."""
    nb = nbformat.read(grading.SOLUTIONS / f"{name}.ipynb", as_version=4)
    ids = [nbgrader_meta(c)["grade_id"] for c in nb.cells if nbgrader_meta(c)]
    assert len(ids) == len(set(ids)), f"duplicate grade ids in {name}"
    cells = [c for c in nb.cells if c.cell_type == "code"]
    exercises = [i for i, c in enumerate(cells) if is_exercise(c)]
    assert exercises, f"{name} has no exercise"
    for position, i in enumerate(exercises):
        end = exercises[position + 1] if position + 1 < len(exercises) else len(cells)
        assert any(is_test(c) for c in cells[i + 1 : end]), f"exercise {nbgrader_meta(cells[i])['grade_id']} has no test cell after it"
        source = cells[i].source
        assert "### BEGIN SOLUTION" in source and "### END SOLUTION" in source
        assert re.search(r"^(def|class) \w+", source, re.M), "exercises live inside functions (or a class's methods)"
    for cell in filter(is_test, cells):
        meta = nbgrader_meta(cell)
        assert meta.get("points", 0) > 0 and meta.get("locked"), meta["grade_id"]
        visible, _, rest = cell.source.partition("### BEGIN HIDDEN TESTS")
        assert "### END HIDDEN TESTS" in rest, f"{meta['grade_id']} has no hidden tests"
        assert re.search(r"^(check_\w+|assert)\b", visible, re.M), f"{meta['grade_id']} has no visible check"
        last = ast.parse(cell.source).body[-1]
        assert not isinstance(last, ast.Expr) or re.match(r"(check_\w+|print|plt\.close)\(", ast.unparse(last)), (
            f"{meta['grade_id']} ends with an expression: nbgrader would take its value as partial credit")
        hidden = rest.partition("### END HIDDEN TESTS")[0]
        assert hidden.lstrip().startswith("from helpers.observations import observe"), f"{meta['grade_id']}: import observe first"
        assert re.search(r"\bobserve\(", hidden), f"{meta['grade_id']}: hidden tests send no value out of the kernel (observe)"
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for heading in ("Learning goals", "Time:", "## Summary"):
        assert heading in text, f"{name} lacks '{heading}'"


@pytest.mark.parametrize("folder", [grading.SOLUTIONS, grading.NOTEBOOKS], ids=["solutions", "notebooks"])
def test_committed_notebooks_have_no_outputs(folder):
    for path in sorted(folder.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, f"{path.name} cell {cell.id} has outputs"


def test_notebooks_match_a_fresh_generation(tmp_path):
    """notebooks/ is exactly what `python3 course.py generate` makes from solutions/."""
    fresh = grading.generate_notebooks(out=tmp_path)
    assert sorted(p.name for p in grading.NOTEBOOKS.glob("*.ipynb")) == sorted(p.name for p in fresh)
    for path in fresh:
        committed = (grading.NOTEBOOKS / path.name).read_text()
        assert committed == path.read_text(), f"notebooks/{path.name} is stale: run `python3 course.py generate`"


@pytest.mark.parametrize("name", NAMES)
def test_synthetic_students_cover_every_exercise(name):
    """Every exercise has a correct answer written differently from the solution, and a wrong one (tests/students/)."""
    nb = nbformat.read(grading.SOLUTIONS / f"{name}.ipynb", as_version=4)
    module, ids = answers(name), exercises(nb)
    assert sorted(module.CORRECT) == sorted(ids) and sorted(module.WRONG) == sorted(ids), f"tests/students/{name}.py"
    cells = {c.id: c.source for c in nb.cells}
    for exercise in ids:
        assert not same_code(module.CORRECT[exercise], solution_code(cells[exercise])), f"{exercise}: the correct answer is the solution"
        assert module.WRONG[exercise].lstrip().startswith("#"), f"{exercise}: the wrong answer's first line says what is wrong"


@pytest.mark.parametrize("name", NAMES)
def test_grading_round_trip(name, tmp_path):
    """Through `course-grade` (nbgrader, sandboxed kernels, quick runs): the solution earns every point, the release none.

    ``release`` runs the solution as the grader runs it and fails if any of its cells raises; its hidden tests'
    values become the reference. A correct answer to every exercise written differently from the solution then
    earns every point (its values equal the solution's, so the solution's own would too: it is not graded again);
    a plausible wrong answer loses exactly its own exercise's points (tests/students/). The untouched release,
    run as the grader runs it, earns none and fails only on its stubs: NotImplementedError, and NameError for
    what a failed cell did not define.
    """
    root = tmp_path / "course"
    assert cli.main(["release", str(root), "--notebook", name]) == 0
    released = root / "release" / name / f"{name}.ipynb"
    source = nbformat.read(grading.SOLUTIONS / f"{name}.ipynb", as_version=4)
    grading.submit(root, name, "untouched", released)
    synthetic = students(name, source)
    for student, (nb, _) in synthetic.items():
        (tmp_path / f"{student}.ipynb").write_text(nbformat.writes(nb))
        grading.submit(root, name, student, tmp_path / f"{student}.ipynb")
    assert cli.main(["autograde", str(root), "--jobs", "2"]) == 0
    full = grading.scores(root, name, "correct")
    zero = grading.scores(root, name, "untouched")
    assert {k: v[1] for k, v in full.items()} == points_of(source) and set(zero) == set(full)
    assert {k: v[0] for k, v in full.items()} == points_of(source), "the correct student lost points"
    assert {k: v[0] for k, v in zero.items()} == dict.fromkeys(zero, 0), "the untouched notebook earned points"
    for student, (_, lost) in synthetic.items():
        expected = {k: 0 if k in lost else v[1] for k, v in full.items()}
        assert {k: v[0] for k, v in grading.scores(root, name, student).items()} == expected, student
    untouched = nbformat.read(root / "autograded" / "untouched" / name / f"{name}.ipynb", as_version=4)
    assert any(ename == "NotImplementedError" for _, ename, _ in errors(untouched)), "the untouched student notebook raised nothing"
    assert errors_beyond_stubs(untouched) == []
