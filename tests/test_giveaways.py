"""No released notebook hands out the answer of any exercise of the course, in any of its cells.

A solution region is given away when a student notebook (``notebooks/``, which
is what ``course-grade release`` hands out) holds its code: two in five or more of its
runs of ``RUN`` consecutive tokens (all of it, for a shorter region) appear in
one notebook of the course, its own included. Tokens ignore layout, comments and
the style of quotes, so reformatting an answer does not hide it.
"""

from __future__ import annotations

import io
import re
import textwrap
import tokenize

import nbformat
import pytest

from course_grade import grading

RUN = 10  # tokens: long enough to be code, not an idiom such as `model.eval()`
SHORTEST = 6  # tokens: shorter regions (`return x / 255`) are not checked
SHARE = 0.4  # of a region's runs

SKIPPED = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER}


def tokens(source: str) -> tuple[str, ...]:
    """The code's tokens, without layout and comments, strings with one kind of quote."""
    try:
        found = list(tokenize.generate_tokens(io.StringIO(textwrap.dedent(source)).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return tuple(re.findall(r"\w+|[^\w\s]", source))
    return tuple(t.string.replace("'", '"') for t in found if t.type not in SKIPPED)


def runs(words: tuple[str, ...]) -> set[tuple[str, ...]]:
    return {words[i : i + RUN] for i in range(len(words) - RUN + 1)} if len(words) >= RUN else {words}


def solution_regions(nb) -> list[tuple[str, tuple[str, ...]]]:
    """``(exercise id, tokens)`` of each solution region long enough to check."""
    return [(cell.id, words) for cell in nb.cells if cell.cell_type == "code"
            for region in re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", cell.source, flags=re.S)
            if len(words := tokens(region)) >= SHORTEST]


class Release:
    """The code of one student notebook, as token runs (and whole cells, for short regions)."""

    def __init__(self, nb):
        self.cells = [tokens(cell.source) for cell in nb.cells if cell.cell_type == "code"]
        self.runs = set().union(*(runs(words) for words in self.cells)) if self.cells else set()

    def holds(self, words: tuple[str, ...]) -> bool:
        if len(words) >= RUN:
            wanted = runs(words)
            return len(wanted & self.runs) >= SHARE * len(wanted)
        return any(words == cell[i : i + len(words)] for cell in self.cells for i in range(len(cell) - len(words) + 1))


RELEASES = {path.stem: Release(nbformat.read(path, as_version=4)) for path in sorted(grading.NOTEBOOKS.glob("*.ipynb"))}


@pytest.mark.parametrize("name", grading.solution_names())
def test_no_release_contains_the_answer(name):
    nb = nbformat.read(grading.SOLUTIONS / f"{name}.ipynb", as_version=4)
    leaks = [f"{exercise} is in notebooks/{other}.ipynb" for exercise, words in solution_regions(nb)
             for other, release in RELEASES.items() if release.holds(words)]
    assert leaks == [], f"{name}'s answers are handed out:\n" + "\n".join(leaks)


def test_a_copied_answer_is_found_however_it_is_laid_out():
    region = "    r0, c0 = max(box_a[0], box_b[0]), max(box_a[1], box_b[1])\n    intersection = max(r1 - r0, 0) * max(c1 - c0, 0)\n"
    copied = "def iou(box_a, box_b):\n    # the IoU\n    r0, c0 = (max(box_a[0], box_b[0]),\n              max(box_a[1], box_b[1]))\n" \
             "    intersection = max(r1-r0, 0)*max(c1 - c0, 0)  # clipped\n"
    release = Release(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(copied)]))
    assert release.holds(tokens(region))
    other = Release(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("intersection = (r1 - r0) * (c1 - c0)")]))
    assert not other.holds(tokens(region))
    assert Release(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("y = np.transpose(k, (3, 2, 0, 1)) + 1")])).holds(
        tokens("return np.transpose(k, (3, 2, 0, 1))")[1:])
