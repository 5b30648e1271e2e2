"""``course-grade COMMAND COURSE_DIR``: the instructor's command line.

Not part of any lesson.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from course_grade import grading, limits, scan, similarity
from course_grade.autograde import CELL_TIMEOUT_S, NOTEBOOK_TIMEOUT_S, autograde
from course_grade.collect import collect
from course_grade.course import SCAN_FILE, Course, say
from course_grade.export import export
from course_grade.feedback import feedback
from course_grade.release import release


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="course-grade", description="The instructor's grading workflow over a course directory.")
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, help: str) -> argparse.ArgumentParser:
        p = commands.add_parser(name, help=help, description=help)
        p.add_argument("course", type=Path, help="the course directory (never inside the course's own solutions/ or notebooks/)")
        p.add_argument("--db", metavar="URL",
                       help="the gradebook's SQLAlchemy URL, e.g. postgresql://grader@dbhost/or2025 (default: the one `release --db` "
                            "recorded in COURSE/nbgrader_config.py, else the SQLite file COURSE/gradebook.db)")
        return p

    p = command("release", "generate the student notebooks into COURSE/release and the gradebook")
    p.add_argument("--notebook", action="append", default=[], help="only this notebook (repeatable; default: all)")
    p.add_argument("--solutions", type=Path, default=grading.SOLUTIONS, help="the source notebooks (default: the course's solutions/)")
    p = command("collect", "copy hand-ins (a folder or a zip per student, named after the student) into COURSE/submitted")
    p.add_argument("inbox", type=Path, help="the folder of hand-ins")
    p = command("autograde", "grade every student in COURSE/submitted, or those named")
    p.add_argument("--student", action="append", default=[], help="only this student (repeatable; default: everyone handed in)")
    p.add_argument("--notebook", action="append", default=[], help="only this notebook (repeatable; default: all released)")
    p.add_argument("--jobs", type=int, default=1, help="students graded in parallel on this machine (default 1)")
    p.add_argument("--cluster", metavar="ADDRESS",
                   help="grade on the workers of the Dask cluster whose scheduler is at ADDRESS, e.g. tcp://head:8786, "
                        "one student per worker at a time (workers: `dask worker ADDRESS --nthreads 1 --resources grading=1`)")
    p.add_argument("--force", action="store_true",
                   help="with --cluster: regrade the notebooks an earlier run graded (by default a run skips them while the "
                        "submission and the release are unchanged, so an interrupted run resumes)")
    p.add_argument("--cell-timeout", type=int, default=CELL_TIMEOUT_S, help=f"seconds per cell (default {CELL_TIMEOUT_S})")
    p.add_argument("--notebook-timeout", type=int, default=NOTEBOOK_TIMEOUT_S, help=f"seconds per notebook (default {NOTEBOOK_TIMEOUT_S})")
    p.add_argument("--no-sandbox", dest="sandbox", action="store_false",
                   help="run students' code without isolation (it can read and write all you can), for machines where bwrap cannot run")
    default = limits.DEFAULT
    memory = {backend: limits.human(size) for backend, size in limits.MEMORY.items()}
    p.add_argument("--memory", type=limits.parse_size,
                   help=f"memory per kernel, e.g. 4GiB (default {memory['cgroup']}; for each process with rlimits: {memory['rlimit']})")
    p.add_argument("--processes", type=int, default=default.processes,
                   help=f"processes and threads per kernel (default {default.processes})")
    p.add_argument("--disk", type=limits.parse_size, default=default.disk,
                   help=f"bytes each of a kernel's three tmpfs holds, e.g. 512MiB (default {limits.human(default.disk)})")
    p.add_argument("--limits-backend", choices=limits.BACKENDS, default=default.backend,
                   help="what bounds each kernel: control groups, or rlimits per process where there are none (default auto: "
                        "cgroup where a control group can be made, else rlimit)")
    p.add_argument("--no-limits", dest="limits", action="store_false",
                   help="no memory, process or disk limit per kernel, for machines where neither backend holds (time limits stay)")
    p = command("scan", "list, per student, notebook and cell, code that could tamper with grading (autograde runs it too)")
    p.add_argument("--student", action="append", default=[], help="only this student (repeatable; default: everyone handed in)")
    p = command("similarity", "list pairs of students whose answers to an exercise look copied, in COURSE/similarity.html")
    p.add_argument("--notebook", action="append", default=[], help="only this notebook (repeatable; default: all released)")
    p.add_argument("--threshold", type=float, default=similarity.THRESHOLD,
                   help=f"the smaller share of each answer found in the other (default {similarity.THRESHOLD})")
    p = command("export", "write the CSV of scores")
    p.add_argument("--to", type=Path, help="the CSV file (default: COURSE/grades.csv)")
    p = command("feedback", "write an HTML report per student and notebook into COURSE/feedback")
    p.add_argument("--student", action="append", default=[], help="only this student (repeatable; default: every student autograded)")
    args = parser.parse_args(argv)
    course = Course(args.course, args.db)
    if args.command == "release":
        return release(course, args.notebook, args.solutions.expanduser().resolve())
    if args.command == "collect":
        return collect(course, args.inbox)
    if args.command == "autograde":
        if min(args.jobs, args.cell_timeout, args.notebook_timeout, args.memory or 1, args.processes, args.disk) < 1:
            parser.error("--jobs, --cell-timeout, --notebook-timeout, --memory, --processes and --disk must be positive")
        if args.force and not args.cluster:
            parser.error("--force goes with --cluster (on one machine every run grades everyone)")
        bounds = limits.Limits(args.memory, args.processes, args.disk, args.limits_backend) if args.limits else None
        return autograde(course, args.student, args.notebook, args.jobs, args.cell_timeout, args.notebook_timeout, args.sandbox, bounds,
                         args.cluster, args.force)
    if args.command == "scan":
        findings = scan.scan_course(course.root, args.student or None, course.released())
        scan.write_report(findings, course.root / SCAN_FILE)
        say(scan.format_report(findings) + f"\nwritten to {course.root / SCAN_FILE}")
        return 0
    if args.command == "similarity":
        names = args.notebook or course.released()
        students = course.submitted()
        start = time.monotonic()
        pairs = similarity.similarity(course.root, students, names, args.threshold)
        for pair in pairs:
            say(f"{pair.notebook} {pair.exercise}: {' and '.join(pair.students)}, similarity {pair.similarity:.0%}")
        say(f"{len(pairs)} pairs of {len(students)} students flagged at {args.threshold:.0%} in {time.monotonic() - start:.1f} s "
            f"(for you to read, scores unaffected; {course.root / similarity.REPORT})")
        return 0
    if args.command == "export":
        return export(course, args.to or course.root / "grades.csv")
    return feedback(course, args.student)
