"""Students per hour with ``course-grade autograde --jobs N`` and on a Dask cluster of N workers, here (not a test).

Releases the notebooks named (default: 00 and 01) into a scratch course, hands
in the solution for ``--students`` students, and grades the class four ways:
``--jobs 1`` and ``--jobs 2`` into SQLite, then ``--cluster`` on a
LocalCluster of 1 and of 2 worker processes (``--resources grading=1``) into a
PostgreSQL server started for the purpose (``tests/grader/postgres.py``).
Prints, for each, the wall time, students per hour and the gradebook writes per
second, and the cluster's cost per student against ``--jobs`` with as many at
a time.

    python benchmarks/cluster_grading.py [--students 8] [--ways jobs1,jobs2,cluster1,cluster2] [NAME ...]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from course_grade import cli, grading

sys.path.insert(0, str(grading.REPO / "tests" / "grader"))  # the throwaway PostgreSQL server of the tests
import postgres  # noqa: E402


def writes(url: str) -> tuple[int, int]:
    """Transactions committed and rows written so far in the server's databases (pg_stat_database)."""
    import sqlalchemy

    query = "SELECT sum(xact_commit), sum(tup_inserted + tup_updated + tup_deleted) FROM pg_stat_database"
    with sqlalchemy.create_engine(url).connect() as connection:
        return tuple(int(n) for n in connection.execute(sqlalchemy.text(query)).one())


def main() -> None:
    from distributed import LocalCluster

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=["00_getting_started", "01_task_taxonomy"])
    parser.add_argument("--students", type=int, default=8)
    parser.add_argument("--ways", default="jobs1,jobs2,cluster1,cluster2", help="which of the four ways to grade (comma-separated)")
    args = parser.parse_args()
    ways = args.ways.split(",")
    scratch = Path(tempfile.mkdtemp(prefix="cluster-grading-"))
    rows = {}
    try:
        with postgres.server() as url:
            for db in [None] * any(w.startswith("jobs") for w in ways) + [url] * any(w.startswith("cluster") for w in ways):
                root = scratch / ("postgres" if db else "sqlite") / "course"
                assert cli.main(["release", str(root), *(["--db", db] if db else []), *(f"--notebook={n}" for n in args.names)]) == 0
                for student in range(args.students):
                    for name in args.names:
                        grading.submit(root, name, f"student-{student:03d}", grading.SOLUTIONS / f"{name}.ipynb")
            for jobs in [n for n in (1, 2) if f"jobs{n}" in ways]:
                start = time.monotonic()
                assert cli.main(["autograde", str(scratch / "sqlite" / "course"), "--jobs", str(jobs)]) == 0
                rows[f"--jobs {jobs} (SQLite)"] = time.monotonic() - start, None
            for workers in [n for n in (1, 2) if f"cluster{n}" in ways]:
                with LocalCluster(n_workers=workers, threads_per_worker=1, resources={"grading": 1}, dashboard_address=":0") as cluster:
                    before = writes(url)
                    start = time.monotonic()
                    command = ["autograde", str(scratch / "postgres" / "course"), "--cluster", cluster.scheduler_address, "--force"]
                    assert cli.main(command) == 0
                    elapsed = time.monotonic() - start
                    after = writes(url)
                    rows[f"--cluster, {workers} worker{'s' * (workers > 1)} (PostgreSQL)"] = elapsed, [a - b for a, b in zip(after, before)]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"\n{args.students} students x {len(args.names)} notebooks ({', '.join(args.names)}), the solution handed in")
    for label, (elapsed, written) in rows.items():
        rate = f", {written[0] / elapsed:.1f} gradebook transactions/s, {written[1] / args.students:.0f} rows/student" if written else ""
        per = elapsed / args.students
        print(f"{label:36} {elapsed:6.1f} s  {per:5.1f} s per student  {3600 / per:6.0f} students/hour{rate}")
    for n in [n for n in (1, 2) if {f"jobs{n}", f"cluster{n}"} <= set(ways)]:
        jobs, cluster = rows[f"--jobs {n} (SQLite)"][0], rows[f"--cluster, {n} worker{'s' * (n > 1)} (PostgreSQL)"][0]
        extra = (cluster - jobs) / args.students
        print(f"cluster against --jobs with {n} at a time: {extra:+.1f} s per student ({cluster / jobs - 1:+.0%})")


if __name__ == "__main__":
    main()
