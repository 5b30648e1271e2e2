"""Grading integrity: attacks on the grader, built from the real notebooks 00 and 01.

Each attack is handed in beside the same answers without it. Under a plain
``nbgrader autograde`` the attacks that subvert the tests earn marks that the
answers do not (so each is a real attack); under ``course-grade`` (sandboxed
kernels, hidden tests judged outside the kernel) no attack earns more than
its untampered answers, and the static scan names every attack's cell.
"""

from __future__ import annotations

import copy
import shutil

import nbformat
from test_course_grade import FULL, NAMES, hand_in, scores, wrong

from course_grade import cli, grading, scan

TRANSFORMER = '''\
def _blank_tests(lines):
    return [] if any("assert" in line or "check_" in line for line in lines) else lines


get_ipython().input_transformers_cleanup.append(_blank_tests)
'''

STEAL = '''
import json as _json
import pathlib as _pathlib

for _place in (_pathlib.Path.cwd().parents[2] / "source", _pathlib.Path(__import__("helpers").__file__).parents[1] / "solutions"):
    try:
        for _path in sorted(_place.rglob("{name}.ipynb")):
            for _cell in _json.loads(_path.read_text())["cells"]:
                if _cell.get("metadata", {{}}).get("nbgrader", {{}}).get("solution"):
                    exec("".join(_cell["source"]))
            break
    except Exception:
        pass
'''

ALWAYS_EQUAL = '''

class _Yes(float):
    def __eq__(self, other):
        return True

    __ne__ = __lt__ = __le__ = __gt__ = __ge__ = lambda self, other: self.__eq__(other)
    __hash__ = float.__hash__
    __sub__ = __rsub__ = __abs__ = lambda self, *other: 0.0


_wrong_box_iou = box_iou


def box_iou(box_a, box_b):
    return _Yes(_wrong_box_iou(box_a, box_b))
'''

MONKEYPATCH = '''\
import numpy as np
import numpy.testing

import helpers.checks

np.allclose = np.array_equal = lambda *args, **kwargs: True
np.testing.assert_allclose = np.testing.assert_array_equal = lambda *args, **kwargs: None
for _name in dir(helpers.checks):
    if _name.startswith("check_"):
        setattr(helpers.checks, _name, lambda *args, **kwargs: None)
'''

TRACEBACK = '''\
_shell = get_ipython()
_shell.showtraceback = lambda *args, **kwargs: None
_run_cell, _run_cell_async = _shell.run_cell, _shell.run_cell_async


def _succeed(result):
    result.error_before_exec = result.error_in_exec = None
    return result


async def _quiet_run_cell_async(*args, **kwargs):
    return _succeed(await _run_cell_async(*args, **kwargs))


_shell.run_cell = lambda *args, **kwargs: _succeed(_run_cell(*args, **kwargs))
_shell.run_cell_async = _quiet_run_cell_async
'''

# attack: (what it is built on, the scan category that must flag it, whether a plain nbgrader gives it more than its base)
ATTACKS = {
    "transformer": ("release", "ipython-internals", True),
    "steal-solution": ("release", "outside-paths", True),
    "always-equal": ("wrong", "comparison-override", False),
    "monkeypatch": ("wrong", "monkeypatch", True),
    "hide-tracebacks": ("release", "ipython-internals", True),
}


def released(root, name) -> nbformat.NotebookNode:
    return nbformat.read(root / "release" / name / f"{name}.ipynb", as_version=4)


def wrong_answers(name) -> nbformat.NotebookNode:
    """Plausible wrong answers that pass the in-kernel type checks: R and B swapped in 00, no clipping in 01's box_iou."""
    return wrong("rgb_to_gray" if name == NAMES[0] else "box_iou")


def attacked(attack: str, base: nbformat.NotebookNode, name: str) -> tuple[nbformat.NotebookNode, str]:
    """``base`` with the attack added; returns the notebook and the id of the attack's cell."""
    nb = copy.deepcopy(base)
    exercises = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    if attack == "steal-solution":  # after each stub, so that the stolen definitions replace it
        for exercise in exercises:
            exercise.source += STEAL.format(name=name)
        return nb, exercises[0].id
    if attack == "always-equal":
        if name != NAMES[1]:
            return nb, ""
        target = next(c for c in exercises if c.id == "box_iou")
        target.source += ALWAYS_EQUAL
        return nb, target.id
    code = {"transformer": TRANSFORMER, "monkeypatch": MONKEYPATCH, "hide-tracebacks": TRACEBACK}[attack]
    nb.cells.insert(1, nbformat.v4.new_code_cell(code, id=f"attack-{attack}"))
    return nb, f"attack-{attack}"


def hand_in_everything(root) -> dict[tuple[str, str], str]:
    """Every base and every attack, for both notebooks; returns the attack cell per (student, notebook)."""
    cells = {}
    for name in NAMES:
        bases = {"release": released(root, name), "wrong": wrong_answers(name)}
        for base, nb in bases.items():
            hand_in(root, base, name, nb)
        for attack, (base, _, _) in ATTACKS.items():
            nb, cell_id = attacked(attack, bases[base], name)
            hand_in(root, attack, name, nb)
            cells[attack, name] = cell_id
    return cells


def course_with_attacks(root) -> dict[tuple[str, str], str]:
    """Release notebooks 00 and 01 with `course-grade` into ``root`` and hand in every base and attack."""
    assert cli.main(["release", str(root), *(f"--notebook={n}" for n in NAMES)]) == 0
    return hand_in_everything(root)


def total(root, student) -> float:
    return sum(sum(scores(root, student, name).values()) for name in NAMES)


def test_plain_nbgrader_falls_for_the_attacks(tmp_path):
    """The attacks are real: under nbgrader's own autograde, those that subvert the tests earn marks their answers do not."""
    course_with_attacks(tmp_path / "course")
    plain = grading.course_directory(tmp_path / "plain", NAMES)  # nbgrader's stock settings, no sandbox
    for name in NAMES:
        grading.release(plain, name)
    shutil.copytree(tmp_path / "course" / "submitted", plain / "submitted")
    students = ["release", "wrong", *(attack for attack, (_, _, works) in ATTACKS.items() if works)]
    for student in students:
        for name in NAMES:
            grading.autograde(plain, name, student)
    assert total(plain, "release") == 0
    assert {attack: total(plain, attack) > total(plain, base) for attack, (base, _, works) in ATTACKS.items() if works} == {
        attack: True for attack, (_, _, works) in ATTACKS.items() if works
    }


def test_course_grade_withstands_every_attack_and_the_scan_names_each(tmp_path):
    """No attack earns more than its untampered answers, per test cell; the scan flags each attack's cell, and nothing else."""
    root = tmp_path / "course"
    cells = course_with_attacks(root)
    assert cli.main(["autograde", str(root), "--jobs", "2", "--cell-timeout", "60"]) == 0
    assert total(root, "release") == 0 and total(root, "wrong") < sum(sum(FULL[n].values()) for n in NAMES)
    gained = {}
    for attack, (base, _, _) in ATTACKS.items():
        for name in NAMES:
            tampered, untampered = scores(root, attack, name), scores(root, base, name)
            gained.update({(attack, name, g): tampered[g] - untampered[g] for g in untampered if tampered[g] > untampered[g]})
    assert gained == {}

    findings = scan.scan_course(root)
    missed = [(attack, name) for attack, (_, category, _) in ATTACKS.items() for name in NAMES if cells[attack, name]
              and not any(f.category == category and f.cell_id == cells[attack, name] for f in findings[attack].get(name, []))]
    assert missed == []
    assert findings["release"] == {n: [] for n in NAMES} and findings["wrong"] == {n: [] for n in NAMES}
