"""``course-grade feedback``: an HTML page per student and notebook that never shows a hidden test.

Not part of any lesson.
"""

from __future__ import annotations

import html
import re

import nbformat
from nbgrader import utils
from nbgrader.api import MissingEntry

from course_grade.course import STUDENT_REASONS, Course, say
from course_grade.preprocessors import HIDDEN_MARK, HIDDEN_TEST_FAILED

HIDDEN_FAILED = "Your code passed the visible check above but failed the hidden tests, which try other inputs and edge cases."




FAILED = "This test failed: run your notebook from the top (Kernel, Restart Kernel and Run All Cells) to see why."


NOT_RUN = "This test did not run."


def visible_part(source: str) -> str:
    """A test cell's source without its hidden tests."""
    return re.split(r"^[ \t]*### BEGIN HIDDEN TESTS", source, maxsplit=1, flags=re.M)[0].rstrip()


def visible_outcome(cell) -> tuple[str, str]:
    """``(what the visible part printed, what went wrong)`` for a test cell of an autograded notebook.

    What the hidden tests printed or raised is never returned: printing stops at
    :data:`HIDDEN_MARK`, and an error is quoted only when the traceback places it
    on a line before the hidden tests (and the mark was not reached).
    """
    lines = cell.source.splitlines()
    hidden_from = next((i for i, line in enumerate(lines, 1) if HIDDEN_MARK in line), len(lines) + 1)
    printed = "".join(o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stdout")
    visible, mark, _ = printed.partition(HIDDEN_MARK)
    errors = [o for o in cell.outputs if o.output_type == "error"]
    if not errors:
        return visible, ""
    if errors[0].ename == HIDDEN_TEST_FAILED:
        return visible, HIDDEN_FAILED
    traceback = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(errors[0].traceback))
    where = re.search(r"Cell In\[\d+\], line (\d+)", traceback)
    if mark or (where and int(where[1]) >= hidden_from):
        return visible, HIDDEN_FAILED
    if not where:
        return visible, FAILED
    return visible, f"{errors[0].ename}: {errors[0].evalue}"[:3000]


def secrets(course: Course, name: str) -> set[str]:
    """Lines of hidden tests and solutions long enough to be telling, that the released notebook does not show."""
    source = nbformat.read(course.root / "source" / name / f"{name}.ipynb", as_version=4)
    released = nbformat.read(course.root / "release" / name / f"{name}.ipynb", as_version=4)
    shown = {line.strip() for cell in released.cells for line in cell.source.splitlines()}
    found = set()
    for cell in source.cells:
        for block in re.findall(r"### BEGIN (HIDDEN TESTS|SOLUTION)(.*?)### END \1", cell.source, re.S):
            found |= {line.strip() for line in block[1].splitlines() if len(line.strip()) >= 20} - shown
    return found


STYLE = """body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}
pre{background:#f6f6f6;padding:.6rem;overflow-x:auto;white-space:pre-wrap}.passed{color:#176b2c}.failed{color:#a4161a}"""


def feedback_page(student: str, name: str, status: dict, tests: list[dict]) -> str:
    """The HTML feedback for one student's notebook."""
    e = html.escape
    score, maximum = sum(t["score"] for t in tests), sum(t["max"] for t in tests)
    parts = [f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>{e(name)}: {e(student)}</title><style>{STYLE}</style>"
             f"</head><body>\n<h1>{e(name)}</h1>\n<p>Student: {e(student)}. Score: <b>{score:g} / {maximum:g}</b></p>"]
    if status["status"] != "graded":
        detail = f" ({status['detail']})" if status["status"] == "over limit" else ""
        reason = STUDENT_REASONS[status["status"]] + detail
        parts.append(f"<p class='failed'>This notebook could not be graded: {e(reason)}. It scores 0.</p>")
    rows = "".join(f"<tr><td><a href='#{e(t['id'])}'>{e(t['id'])}</a></td><td>{t['score']:g} / {t['max']:g}</td></tr>" for t in tests)
    parts.append(f"<table><tr><th>test</th><th>score</th></tr>{rows}</table>")
    for t in tests:
        verdict = "passed" if t["score"] == t["max"] else "failed"
        parts.append(f"<h2 id='{e(t['id'])}'>{e(t['id'])}: <span class='{verdict}'>{t['score']:g} / {t['max']:g}</span></h2>")
        parts.append(f"<p>The visible check:</p><pre>{e(t['code'])}</pre>")
        if t["printed"].strip():
            parts.append(f"<p>It printed:</p><pre>{e(t['printed'].strip())}</pre>")
        if t["problem"]:
            parts.append(f"<p class='failed'>What went wrong:</p><pre>{e(t['problem'])}</pre>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def feedback(course: Course, students: list[str]) -> int:
    """Write ``feedback/<student>/<notebook>/<notebook>.html`` for each student and released notebook."""
    names = course.released()
    statuses = course.statuses()
    students = students or sorted(statuses)
    hidden = {name: secrets(course, name) for name in names}
    grade_ids = {name: course.grade_ids(name) for name in names}
    failed = []
    with course.gradebook() as gradebook:
        sources = {n: {c.name: c.source for c in gradebook.find_notebook(n, n).source_cells} for n in names}
        maxima = {n: {c.name: c.max_score for c in gradebook.find_notebook(n, n).grade_cells} for n in names}
        for i, student in enumerate(students, 1):
            for name in names:
                status = statuses.get(student, {}).get(name)
                if status is None:
                    failed.append(f"{student} {name}: not autograded: run `course-grade autograde` first")
                    continue
                try:
                    scores = {g.name: g.score or 0 for g in gradebook.find_submission_notebook(name, name, student).grades}
                except MissingEntry:
                    scores = {}
                cells = {}
                if status["status"] == "graded":
                    if not course.autograded(student, name).is_file():
                        failed.append(f"{student} {name}: its autograded notebook is gone: run `course-grade autograde` again")
                        continue
                    nb = nbformat.read(course.autograded(student, name), as_version=4)
                    cells = {c.metadata.nbgrader["grade_id"]: c for c in nb.cells if utils.is_grade(c)}
                tests = []
                for grade_id in grade_ids[name]:
                    printed, problem = visible_outcome(cells[grade_id]) if grade_id in cells else ("", NOT_RUN)
                    tests.append({"id": grade_id, "score": scores.get(grade_id, 0), "max": maxima[name][grade_id],
                                  "code": visible_part(sources[name][grade_id]), "printed": printed, "problem": problem})
                page = feedback_page(student, name, status, tests)
                leaked = [line for line in hidden[name] if line in html.unescape(page)]
                if leaked:
                    failed.append(f"{student} {name}: withheld: it would show a hidden line ({leaked[0][:60]})")
                    continue
                target = course.root / "feedback" / student / name / f"{name}.html"
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(page)
            say(f"[{i}/{len(students)}] feedback for {student}")
    for item in failed:
        say(f"FAILED {item}")
    say(f"wrote feedback for {len(students)} students into {course.root / 'feedback'}")
    return 1 if failed or not students else 0
