"""``course-grade similarity``: pairs of students whose answers to an exercise look copied, for the instructor to read.

Not part of any lesson. For each exercise (an answer cell of a released
notebook), every pair of students' answer cells is compared with copydetect,
which fingerprints token k-grams as MOSS does (winnowing), after replacing
names with placeholders: renamed variables and moved lines still match. What
the release gives (the cell's stub and its given lines) is boilerplate and never
counts; an untouched stub is not compared, nor an answer too short to tell a
copy from the one obvious way to write it. Pairs whose similarity (the smaller
of the two shares of each answer found in the other) reaches the threshold are
listed in ``similarity.html``, both answers side by side with the shared code
highlighted, and in ``similarity.json``. It flags; it changes no score.
"""

from __future__ import annotations

import html
import io
import itertools
import json
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import numpy as np
from copydetect import CodeFingerprint, compare_files
from copydetect.utils import highlight_overlap
from nbgrader import utils

THRESHOLD = 0.7  # share of each answer found in the other; independent answers to the course's exercises stay under 0.35
NOISE, GUARANTEE = 25, 30  # copydetect's defaults: k-grams of 25 filtered characters, every match of 30 found
SHORTEST = 2 * GUARANTEE  # filtered characters: shorter answers (one call, one return) are not compared
REPORT, DATA = "similarity.html", "similarity.json"


@dataclass
class Pair:
    notebook: str
    exercise: str
    students: tuple[str, str]
    similarity: float
    code: tuple[str, str]  # HTML, the shared parts highlighted


def answer_cells(nb: nbformat.NotebookNode) -> dict[str, str]:
    """Answer cell id -> source (the last copy of a duplicated cell)."""
    return {cell.metadata.nbgrader["grade_id"]: cell.source for cell in nb.cells
            if cell.cell_type == "code" and isinstance(cell.metadata.get("nbgrader"), dict)
            and utils.is_solution(cell) and not utils.is_grade(cell) and "grade_id" in cell.metadata.nbgrader}


def fingerprint(code: str, boilerplate) -> CodeFingerprint:
    return CodeFingerprint("answer.py", NOISE, GUARANTEE - NOISE + 1, boilerplate=boilerplate, fp=io.StringIO(code), language="python")


def exercise_pairs(notebook: str, exercise: str, stub: str, answers: dict[str, str], threshold: float) -> tuple[list[Pair], int]:
    """The pairs of ``answers`` (student -> code) to one exercise at or above ``threshold``, and how many pairs were compared."""
    given = np.array(sorted(fingerprint(stub, None).hashes), dtype=np.int64)
    prints = {}
    for student, code in answers.items():
        if code.strip() == stub.strip():
            continue  # untouched
        fp = fingerprint(code, given)
        if fp.token_coverage >= SHORTEST:
            prints[student] = fp
    pairs = []
    for a, b in itertools.combinations(sorted(prints), 2):
        overlap, (share_a, share_b), (slices_a, slices_b) = compare_files(prints[a], prints[b])
        similarity = float(min(share_a, share_b))
        if overlap and similarity >= threshold:
            shown = tuple(highlight_overlap(prints[s].raw_code, slices, "<mark>", "</mark>", escape_html=True)[0]
                          for s, slices in ((a, slices_a), (b, slices_b)))
            pairs.append(Pair(notebook, exercise, (a, b), round(similarity, 3), shown))
    return sorted(pairs, key=lambda p: -p.similarity), len(prints) * (len(prints) - 1) // 2


def report(root: Path, students: list[str], names: list[str], threshold: float = THRESHOLD) -> tuple[list[Pair], int]:
    """Every flagged pair of the class, and how many pairs were compared."""
    pairs, compared = [], 0
    for name in names:
        released = answer_cells(nbformat.read(root / "release" / name / f"{name}.ipynb", as_version=4))
        submitted = {}
        for student in students:
            path = root / "submitted" / student / name / f"{name}.ipynb"
            try:
                submitted[student] = answer_cells(nbformat.read(path, as_version=4))
            except Exception:  # noqa: BLE001, S112 (missing or unreadable: autograde reports it; nothing to compare)
                continue
        for exercise, stub in released.items():
            answers = {s: cells[exercise] for s, cells in submitted.items() if exercise in cells}
            found, count = exercise_pairs(name, exercise, stub, answers, threshold)
            pairs, compared = pairs + found, compared + count
    return pairs, compared


STYLE = """body{font-family:system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse;width:100%}
td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left;vertical-align:top}pre{white-space:pre-wrap;margin:0}
mark{background:#ffe08a}"""


def write(root: Path, pairs: list[Pair], compared: int, threshold: float, seconds: float) -> None:
    e = html.escape
    parts = [f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>Similar answers</title><style>{STYLE}</style>"
             f"</head><body>\n<h1>Similar answers</h1>\n<p>{len(pairs)} pairs of {compared} compared reach a similarity of "
             f"{threshold:.0%} (copydetect, {NOISE}-character k-grams of the answer with names replaced; the release's own lines "
             "ignored). They are for you to read: similar is not proof of copying, and no score changed.</p>"]
    for (notebook, exercise), group in itertools.groupby(pairs, key=lambda p: (p.notebook, p.exercise)):
        parts.append(f"<h2>{e(notebook)}: {e(exercise)}</h2>")
        for pair in group:
            a, b = pair.students
            parts.append(f"<table><tr><th>{e(a)}</th><th>{e(b)}</th></tr><tr><td colspan='2'>similarity {pair.similarity:.0%}"
                         f"</td></tr><tr><td><pre>{pair.code[0]}</pre></td><td><pre>{pair.code[1]}</pre></td></tr></table><br>")
    parts.append("</body></html>\n")
    (root / REPORT).write_text("\n".join(parts))
    data = [{"notebook": p.notebook, "exercise": p.exercise, "students": list(p.students), "similarity": p.similarity} for p in pairs]
    (root / DATA).write_text(json.dumps({"threshold": threshold, "compared": compared, "seconds": round(seconds, 2), "pairs": data},
                                        indent=1))


def similarity(root: Path, students: list[str], names: list[str], threshold: float = THRESHOLD) -> list[Pair]:
    """Compare, write the report, and return the flagged pairs."""
    start = time.monotonic()
    pairs, compared = report(root, students, names, threshold)
    write(root, pairs, compared, threshold, time.monotonic() - start)
    return pairs
