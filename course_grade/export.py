"""``course-grade export``: the CSV of scores.

Not part of any lesson.
"""

from __future__ import annotations

import csv
from pathlib import Path

from nbgrader.api import MissingEntry

from course_grade.course import Course, say


def export(course: Course, to: Path) -> int:
    """Write the CSV of scores: a row per student, a column per exercise and per notebook, the total and the problems."""
    names = course.released()
    statuses = course.statuses()
    columns = {name: course.grade_ids(name) for name in names}
    header = ["student"] + [f"{n}/{g}" for n in names for g in columns[n]] + names + ["total", "max", "problems"]
    ungraded = []
    with course.gradebook() as gradebook:
        students = sorted({s.id for s in gradebook.students} | set(course.submitted()))
        maximum = sum(gradebook.find_notebook(n, n).max_score for n in names)
        rows = []
        for student in students:
            cells, totals, problems = {}, {}, []
            for name in names:
                try:
                    grades = {g.name: g.score or 0 for g in gradebook.find_submission_notebook(name, name, student).grades}
                except MissingEntry:
                    grades = {}
                cells.update({f"{name}/{g}": grades.get(g, 0) for g in columns[name]})
                totals[name] = sum(grades.values())
                status = statuses.get(student, {}).get(name)
                if status and status["status"] != "graded":
                    problems.append(f"{name}: {status['status']}")
                elif not status and course.submission(student, name).is_file():
                    problems.append(f"{name}: not autograded")
                    ungraded.append(f"{student} {name}")
            row = {"student": student, **cells, **totals, "total": sum(totals.values()), "max": maximum, "problems": "; ".join(problems)}
            rows.append({k: f"{v:g}" if isinstance(v, float | int) else v for k, v in row.items()})
    to.parent.mkdir(parents=True, exist_ok=True)
    with open(to, "w", newline="") as f:
        writer = csv.DictWriter(f, header)
        writer.writeheader()
        writer.writerows(rows)
    say(f"wrote {len(rows)} students x {len(names)} notebooks to {to}")
    for item in ungraded:
        say(f"NOT AUTOGRADED {item}: handed in but never graded (counted as 0): run `course-grade autograde`")
    return 1 if ungraded or not rows else 0
