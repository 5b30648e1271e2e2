"""``course-grade`` (course_grade.cli) on synthetic students built from the real notebooks 00 and 01.

Each test grades a copy of one released course directory, through nbgrader,
and checks the gradebook's score for every test cell.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import json
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import pytest

from course_grade import cli, grading
from course_grade.course import STATUS_FILE
from course_grade.feedback import HIDDEN_FAILED

NAMES = ["00_getting_started", "01_task_taxonomy"]
FULL = {  # every test cell's points
    "00_getting_started": {"test_rgb_to_gray": 2.0},
    "01_task_taxonomy": dict.fromkeys(["test_box_iou", "test_connected_components", "test_semantic_from_instances"], 3.0),
}
CELL_TIMEOUT = "10"  # every cell of 00 and 01 takes under 2 s

# A plausible wrong answer per exercise: (notebook, solution cell, text in it, replacement).
WRONG = {
    "rgb_to_gray": ("00_getting_started", "[0.2125, 0.7154, 0.0721]", "[0.0721, 0.7154, 0.2125]"),  # R and B swapped
    "box_iou": ("01_task_taxonomy", "max(r1 - r0, 0) * max(c1 - c0, 0)", "(r1 - r0) * (c1 - c0)"),  # no clipping at zero
    "connected_components": ("01_task_taxonomy", "if connectivity == 2:", "if False:"),  # always 4-connected
    "semantic_from_instances": (  # earlier masks win
        "01_task_taxonomy", "zip(instance_masks, instance_classes)", "zip(instance_masks[::-1], instance_classes[::-1])"
    ),
}


def solution(name: str) -> nbformat.NotebookNode:
    return nbformat.read(grading.SOLUTIONS / f"{name}.ipynb", as_version=4)


def cell(nb: nbformat.NotebookNode, cell_id: str) -> nbformat.NotebookNode:
    return next(c for c in nb.cells if c.get("id") == cell_id)


def edited(nb: nbformat.NotebookNode, cell_id: str, old: str, new: str) -> nbformat.NotebookNode:
    """A copy of ``nb`` with ``old`` replaced by ``new`` in cell ``cell_id``."""
    nb = copy.deepcopy(nb)
    target = cell(nb, cell_id)
    assert old in target.source, (cell_id, old)
    target.source = target.source.replace(old, new)
    return nb


def wrong(exercise: str) -> nbformat.NotebookNode:
    name, old, new = WRONG[exercise]
    return edited(solution(name), exercise, old, new)


def hand_in(root: Path, student: str, name: str, nb: nbformat.NotebookNode | str) -> None:
    path = root / "submitted" / student / name / f"{name}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(nb if isinstance(nb, str) else nbformat.writes(nb))


def grade(root: Path, *args: str) -> int:
    return cli.main(["autograde", str(root), "--jobs", "2", "--cell-timeout", CELL_TIMEOUT, *args])


def scores(root: Path, student: str, name: str) -> dict[str, float]:
    return {grade_id: score for grade_id, (score, _) in grading.scores(root, name, student).items()}


def status(root: Path, student: str, name: str) -> str:
    return json.loads((root / STATUS_FILE).read_text())[student][name]["status"]


def digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def released(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("released") / "course"
    assert cli.main(["release", str(root), *(f"--notebook={n}" for n in NAMES)]) == 0
    return root


@pytest.fixture
def course(released, tmp_path) -> Path:
    return shutil.copytree(released, tmp_path / "course")


def test_release_matches_the_student_notebooks(released):
    for name in NAMES:
        assert grading.normalised(released / "release" / name / f"{name}.ipynb") == (grading.NOTEBOOKS / f"{name}.ipynb").read_text()


def test_course_directory_inside_solutions_is_refused():
    """Through the installed console script: a clear message, a non-zero exit, nothing written."""
    target = grading.SOLUTIONS / "grading"
    script = Path(sys.executable).parent / "course-grade"
    result = subprocess.run([script, "release", target], capture_output=True, text=True)
    assert result.returncode != 0
    assert "inside the course's own solutions/ folder" in result.stderr
    assert not target.exists()


def test_scores_solution_untouched_and_one_wrong_answer_at_a_time(course, capsys):
    """Full marks for the solution, zero for the release, and each wrong answer loses its own exercise's points only.

    Grading twice gives the same scores, and leaves the submissions as they were.
    """
    for name in NAMES:
        hand_in(course, "solution", name, solution(name))
        hand_in(course, "untouched", name, nbformat.read(course / "release" / name / f"{name}.ipynb", as_version=4))
    for exercise, (name, _, _) in WRONG.items():
        for other in NAMES:
            hand_in(course, f"wrong-{exercise}", other, wrong(exercise) if other == name else solution(other))
    before = digest(course / "submitted")
    assert grade(course) == 0
    for name in NAMES:
        assert scores(course, "solution", name) == FULL[name]
        assert scores(course, "untouched", name) == dict.fromkeys(FULL[name], 0.0)
    for exercise, (name, _, _) in WRONG.items():
        expected = {n: {**FULL[n], **({f"test_{exercise}": 0.0} if n == name else {})} for n in NAMES}
        assert {n: scores(course, f"wrong-{exercise}", n) for n in NAMES} == expected, exercise

    assert cli.main(["export", str(course)]) == 0
    with open(course / "grades.csv") as f:
        rows = {row["student"]: row for row in csv.DictReader(f)}
    assert list(rows["solution"]) == ["student", "00_getting_started/test_rgb_to_gray", *(f"01_task_taxonomy/{t}" for t in FULL[NAMES[1]]),
                                      *NAMES, "total", "max", "problems"]
    assert (rows["solution"]["total"], rows["solution"]["max"], rows["untouched"]["total"]) == ("11", "11", "0")
    assert rows["wrong-box_iou"]["01_task_taxonomy/test_box_iou"] == "0" and rows["wrong-box_iou"]["01_task_taxonomy"] == "6"
    first = (course / "grades.csv").read_text()

    assert grade(course, "--student=solution", "--student=wrong-box_iou", "--notebook=01_task_taxonomy") == 0
    assert cli.main(["export", str(course)]) == 0
    assert (course / "grades.csv").read_text() == first
    assert digest(course / "submitted") == before
    assert "[12/12]" in capsys.readouterr().out  # progress


def test_broken_submissions_are_reported_and_the_class_is_graded(course, capsys):
    """Each broken submission costs its own points only; nothing handed in is modified."""
    split = solution(NAMES[0])
    exercise = cell(split, "rgb_to_gray")
    first = copy.deepcopy(exercise)  # a cell split in two: both halves keep the metadata
    first.source, first.id = "WEIGHTS = np.array([0.2125, 0.7154, 0.0721])", "split-off"
    exercise.source = exercise.source.replace("np.array([0.2125, 0.7154, 0.0721])", "WEIGHTS")
    split.cells.insert(split.cells.index(exercise), first)
    duplicate = copy.deepcopy(cell(split, "test_rgb_to_gray"))
    duplicate.id = "duplicate"
    split.cells.insert(0, duplicate)  # a duplicated test cell, before what it tests
    hand_in(course, "split", NAMES[0], split)

    hand_in(course, "invalid", NAMES[0], '{"cells": [')
    start = "    image = np.asarray(image)\n"
    noise = "    import sys, warnings\n    warnings.warn('watch out')\n    print('careful', file=sys.stderr)\n    print('x' * 300_000)\n"
    noisy = edited(solution(NAMES[0]), "rgb_to_gray", start, start + noise + "    print('line\\n' * 5_000)\n")
    noisy.metadata.kernelspec = {"name": "no-such-kernel", "display_name": "Not this one", "language": "python"}
    hand_in(course, "noisy", NAMES[0], noisy)

    hand_in(course, "dies", NAMES[0], solution(NAMES[0]))
    hand_in(course, "dies", NAMES[1], edited(solution(NAMES[1]), "box_iou", "    r0, c0 =", "    import os\n    os._exit(1)\n    r0, c0 ="))
    bounds = "    r1, c1 = min(box_a[2], box_b[2]), min(box_a[3], box_b[3])\n"
    endless = bounds + "    while r1 <= r0:  # endless for boxes apart\n        pass\n"
    hand_in(course, "loop", NAMES[1], edited(solution(NAMES[1]), "box_iou", bounds, endless))
    hand_in(course, "missing", NAMES[1], solution(NAMES[1]))

    hand_in(course, "wrong", NAMES[1], wrong("box_iou"))
    deleted = wrong("box_iou")
    deleted.cells.remove(cell(deleted, "test_box_iou"))
    hand_in(course, "deleted", NAMES[1], deleted)
    tampered = edited(wrong("box_iou"), "test_box_iou", cell(wrong("box_iou"), "test_box_iou").source, "pass  # all good")
    cell(tampered, "test_box_iou").metadata.nbgrader["points"] = 30
    hand_in(course, "edited", NAMES[1], tampered)

    before = digest(course / "submitted")
    assert grade(course) == 1
    out = capsys.readouterr().out
    assert digest(course / "submitted") == before

    assert scores(course, "split", NAMES[0]) == FULL[NAMES[0]]
    assert "cell rgb_to_gray appears 2 times" in out and "cell test_rgb_to_gray appears 2 times" in out
    assert status(course, "invalid", NAMES[0]) == "unreadable" and "FAILED invalid 00_getting_started: unreadable" in out
    assert scores(course, "noisy", NAMES[0]) == FULL[NAMES[0]]
    assert "kernel 'no-such-kernel' ignored" in out
    graded = nbformat.read(course / "autograded" / "noisy" / NAMES[0] / f"{NAMES[0]}.ipynb", as_version=4)
    texts = [o.text for c in graded.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "stream"]
    assert texts and max(map(len, texts)) < 110_000 and max(t.count("\n") for t in texts) <= 1001
    assert any("Output truncated" in t for t in texts)

    assert scores(course, "dies", NAMES[0]) == FULL[NAMES[0]]
    assert status(course, "dies", NAMES[1]) == "crashed" and scores(course, "dies", NAMES[1]) == dict.fromkeys(FULL[NAMES[1]], 0.0)
    assert status(course, "loop", NAMES[1]) == "over limit" and scores(course, "loop", NAMES[1]) == dict.fromkeys(FULL[NAMES[1]], 0.0)
    assert "FAILED loop 01_task_taxonomy: over limit: cell test_box_iou ran past 10 s" in out
    assert status(course, "missing", NAMES[0]) == "missing" and scores(course, "missing", NAMES[1]) == FULL[NAMES[1]]
    assert "FAILED missing 00_getting_started: missing" in out

    assert scores(course, "wrong", NAMES[1]) == {**FULL[NAMES[1]], "test_box_iou": 0.0}
    assert scores(course, "deleted", NAMES[1]) == scores(course, "wrong", NAMES[1])
    assert scores(course, "edited", NAMES[1]) == scores(course, "wrong", NAMES[1])
    assert "test cell test_box_iou was deleted" in out and "locked cell test_box_iou was edited" in out

    assert cli.main(["export", str(course)]) == 0
    with open(course / "grades.csv") as f:
        problems = {row["student"]: row["problems"] for row in csv.DictReader(f)}
    assert problems["dies"] == "01_task_taxonomy: crashed"
    assert problems["invalid"] == "00_getting_started: unreadable; 01_task_taxonomy: missing"
    assert cli.main(["feedback", str(course), "--student=loop", "--student=dies"]) == 0
    assert "(cell test_box_iou ran past 10 s). It scores 0." in (course / "feedback" / "loop" / NAMES[1] / f"{NAMES[1]}.html").read_text()
    assert "could not be graded: Python crashed" in (course / "feedback" / "dies" / NAMES[1] / f"{NAMES[1]}.html").read_text()


def test_a_notebook_over_its_time_limit_is_stopped_and_the_next_one_graded(course):
    hand_in(course, "sleeper", NAMES[0], edited(solution(NAMES[0]), "cell-03", "check_environment()", "import time\ntime.sleep(600)"))
    hand_in(course, "sleeper", NAMES[1], solution(NAMES[1]))
    start = time.monotonic()
    assert cli.main(["autograde", str(course), "--notebook-timeout", "20"]) == 1
    assert time.monotonic() - start < 120  # not the 600 s the sleeping cell asked for
    assert status(course, "sleeper", NAMES[0]) == "timed out" and scores(course, "sleeper", NAMES[0]) == dict.fromkeys(FULL[NAMES[0]], 0.0)
    assert scores(course, "sleeper", NAMES[1]) == FULL[NAMES[1]]
    assert not (course / "autograded" / "sleeper" / NAMES[0]).exists()


def test_collect_reports_missing_misnamed_and_unreadable(course, tmp_path, capsys):
    inbox = tmp_path / "inbox"
    for name in NAMES:
        (inbox / "alice" / "work").mkdir(parents=True, exist_ok=True)
        (inbox / "alice" / "work" / f"{name}.ipynb").write_text(nbformat.writes(solution(name)))
    (inbox / "alice" / ".ipynb_checkpoints").mkdir()
    (inbox / "alice" / ".ipynb_checkpoints" / "01_task_taxonomy-checkpoint.ipynb").write_text("{}")
    with zipfile.ZipFile(inbox / "bob.zip", "w") as archive:
        archive.writestr("bob/00_getting_started.ipynb", nbformat.writes(solution(NAMES[0])))
        archive.writestr("bob/01_task_taxonomy (1).ipynb", nbformat.writes(solution(NAMES[1])))
        archive.writestr("bob/notes.ipynb", nbformat.writes(solution(NAMES[1])))
    (inbox / "carol").mkdir()
    (inbox / "carol" / "01_task_taxonomy.ipynb").write_text('{"cells": [')
    (inbox / "dave.zip").write_text("not a zip")
    (inbox / "readme.txt").write_text("hello")
    before = digest(inbox)

    assert cli.main(["collect", str(course), str(inbox)]) == 1
    out = capsys.readouterr().out
    assert digest(inbox) == before
    assert sorted(p.name for p in (course / "submitted").iterdir()) == ["alice", "bob", "carol"]
    for student in ("alice", "bob"):
        for name in NAMES:
            assert nbformat.read(course / "submitted" / student / name / f"{name}.ipynb", as_version=4) == solution(name)
    assert "alice: collected 2 of 2 notebooks\n" in out
    assert "misnamed: bob/01_task_taxonomy (1).ipynb taken as 01_task_taxonomy" in out
    assert "ignored bob/notes.ipynb" in out
    assert "carol: collected 1 of 2 notebooks\n    unreadable: 01_task_taxonomy.ipynb is not a valid notebook" in out
    assert "missing: 00_getting_started" in out
    assert "dave.zip: collected 0 of 2 notebooks\n    unreadable: dave.zip is not a readable zip file" in out
    assert "readme.txt: collected 0 of 2 notebooks\n    not collected" in out

    assert cli.main(["export", str(course)]) == 1  # handed in, not yet graded
    assert "NOT AUTOGRADED alice 00_getting_started" in capsys.readouterr().out


CANARY_SOLUTION = "# CANARY-SOLUTION: a solution line that must never be shown"
CANARY_HIDDEN = ["# CANARY-HIDDEN-COMMENT: a hidden line that must never be shown", 'print("CANARY-HIDDEN-PRINT: hidden output")']
CANARY_MESSAGE = "CANARY-HIDDEN-MESSAGE: a hidden assertion"


def test_feedback_shows_scores_and_visible_checks_and_leaks_nothing(tmp_path):
    """Canaries planted in solution regions and hidden tests appear in no released notebook and no feedback file."""
    sources = tmp_path / "sources"
    sources.mkdir()
    for name in NAMES:
        nb = solution(name)
        for c in nb.cells:
            c.source = c.source.replace("### BEGIN SOLUTION\n", f"### BEGIN SOLUTION\n    {CANARY_SOLUTION}\n")
            c.source = c.source.replace("### BEGIN HIDDEN TESTS\n", "### BEGIN HIDDEN TESTS\n" + "\n".join(CANARY_HIDDEN) + "\n")
        nbformat.write(nb, sources / f"{name}.ipynb")
    planted = edited(nbformat.read(sources / f"{NAMES[0]}.ipynb", as_version=4), "test_rgb_to_gray", CANARY_HIDDEN[1],
                     f'{CANARY_HIDDEN[1]}\nassert np.allclose(rgb_to_gray(np.full((1, 1, 3), 0.5)), 0.5), "{CANARY_MESSAGE}"')
    nbformat.write(planted, sources / f"{NAMES[0]}.ipynb")
    root = tmp_path / "course"
    assert cli.main(["release", str(root), "--solutions", str(sources)]) == 0
    for name in NAMES:
        hand_in(root, "solution", name, nbformat.read(sources / f"{name}.ipynb", as_version=4))
    # Passes the visible checks (512 x 512 images), fails the hidden tests and the planted assertion: divides small float images by 255 too.
    always = edited(solution(NAMES[0]), "rgb_to_gray", "if image.dtype == np.uint8:", "if image.dtype == np.uint8 or image.size < 1000:")
    hand_in(root, "wrong", NAMES[0], always)
    both = edited(wrong("box_iou"), "connected_components", "if connectivity == 2:",  # fails a visible check, and hidden tests
                  "if connectivity == 2 and mask.shape != (40, 37):")
    hand_in(root, "wrong", NAMES[1], both)
    assert grade(root) == 0
    assert cli.main(["feedback", str(root)]) == 0

    released_text = "".join((root / "release" / n / f"{n}.ipynb").read_text() for n in NAMES)
    pages = {(s, n): (root / "feedback" / s / n / f"{n}.html").read_text() for s in ("solution", "wrong") for n in NAMES}
    for text in (released_text, *pages.values()):
        assert "CANARY" not in text
    assert "Score: <b>2 / 2</b>" in pages["solution", NAMES[0]] and "Score: <b>9 / 9</b>" in pages["solution", NAMES[1]]
    assert "✓ rgb_to_gray(astronaut)" in pages["wrong", NAMES[0]] and HIDDEN_FAILED in pages["wrong", NAMES[0]]
    assert "Score: <b>3 / 9</b>" in pages["wrong", NAMES[1]]
    assert "AssertionError: box_iou of two boxes that do not overlap" in pages["wrong", NAMES[1]]
    assert HIDDEN_FAILED in pages["wrong", NAMES[1]].split("test_connected_components: ")[-1]
    assert "### BEGIN HIDDEN TESTS" not in "".join(pages.values())
