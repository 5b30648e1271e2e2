"""Synthetic students: for every exercise, a correct answer written differently from the solution, and a plausible wrong one.

Not part of any lesson, and never released. ``tests/students/NN_topic.py`` holds,
for notebook ``NN_topic``:

- ``CORRECT``: exercise cell id -> the whole source of a correct answer cell written
  differently from the solution (another algorithm, loops against vectorised,
  another valid dtype or container where the text leaves it open);
- ``WRONG``: exercise cell id -> the whole source of a plausible wrong answer cell
  (first line: a comment saying what is wrong);
- ``LOSES`` (optional): exercise cell id -> the test cells its wrong answer loses,
  where that is not every test cell between it and the next exercise.

The grading round trip (``tests/test_notebooks.py``) hands in, through
``course-grade``, a student with every ``CORRECT`` answer (full marks), and two
students with the ``WRONG`` answers of alternate exercises, each of whom must lose
exactly those exercises' points.
"""

from __future__ import annotations

import ast
import copy
import importlib.util
from pathlib import Path

import nbformat

FOLDER = Path(__file__).resolve().parent


def answers(name: str):
    """The module ``tests/students/<name>.py``."""
    spec = importlib.util.spec_from_file_location(f"students_{name}", FOLDER / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def test_cells(nb) -> dict[str, list[str]]:
    """Exercise id -> the test cells between it and the next exercise."""
    result, current = {}, None
    for c in nb.cells:
        if meta(c).get("solution") and not meta(c).get("grade"):
            current = c.id
            result[current] = []
        elif meta(c).get("grade") and current is not None:
            result[current].append(meta(c)["grade_id"])
    return result


def exercises(nb) -> list[str]:
    """Exercise cell ids, in order."""
    return list(test_cells(nb))


def lost(name: str, nb, wrong: list[str]) -> set[str]:
    """The test cells that a student with the WRONG answers of exercises ``wrong`` must lose."""
    module, cells = answers(name), test_cells(nb)
    losses = getattr(module, "LOSES", {})
    return {test for exercise in wrong for test in losses.get(exercise, cells[exercise])}


def with_answers(nb, sources: dict[str, str]):
    """A copy of ``nb`` whose exercise cells ``sources`` names hold those sources."""
    nb = copy.deepcopy(nb)
    for c in nb.cells:
        if c.id in sources:
            c.source = sources[c.id].strip("\n")
    return nb


def solution_code(source: str) -> str:
    """A solution cell's code without its ``### BEGIN/END SOLUTION`` lines: what a student would write."""
    return "\n".join(line for line in source.splitlines() if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))


def same_code(a: str, b: str) -> bool:
    """Whether two sources are the same code (comments, docstrings and layout aside)."""
    def canonical(source):
        tree = ast.parse(source)
        for node in ast.walk(tree):
            body = getattr(node, "body", None)
            if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                node.body = body[1:] or [ast.Pass()]
        return ast.dump(tree)
    return canonical(a) == canonical(b)


def students(name: str, nb) -> dict[str, tuple[nbformat.NotebookNode, set[str]]]:
    """Student -> (notebook handed in, test cells it must lose): the correct student and the two wrong ones."""
    module, ids = answers(name), exercises(nb)
    halves = [ids[0::2], ids[1::2]]
    result = {"correct": (with_answers(nb, module.CORRECT), set())}
    for k, half in enumerate(halves, start=1):
        if half:
            result[f"wrong-{k}"] = (with_answers(nb, {e: module.WRONG[e] for e in half}), lost(name, nb, half))
    return result
