"""The course's own nbgrader preprocessors, one per step of grading that nbgrader lacks.

Not part of any lesson.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
from nbgrader import utils
from nbgrader.preprocessors import DeduplicateIds, LimitOutput, NbGraderPreprocessor
from traitlets import Integer

from course_grade import observations
from course_grade.course import load_reference

HIDDEN_MARK = "[course-grade: hidden tests run after this line]"


HIDDEN_TEST_FAILED = "HiddenTestFailed"  # the error a test cell gets when its observations do not match the solution's


OUTSIDE_FAILURE = r"hidden tests of (\S+) failed outside the kernel: (.*)"  # how CompareObservations logs it


class DeduplicateIdsFully(DeduplicateIds):
    """nbgrader's DeduplicateIds, removing a duplicate's emptied nbgrader metadata (which breaks ``add_missing_cells``)."""

    def preprocess_cell(self, cell, resources, index):
        cell, resources = super().preprocess_cell(cell, resources, index)
        if cell.metadata.get("nbgrader") == {}:
            del cell.metadata["nbgrader"]
        return cell, resources


class MarkHiddenTests(NbGraderPreprocessor):
    """Print :data:`HIDDEN_MARK` just before each test cell's hidden tests, so feedback shows only what the visible part printed."""

    def preprocess_cell(self, cell, resources, index):
        if utils.is_grade(cell) and cell.cell_type == "code":
            mark = f'__import__("builtins").print({HIDDEN_MARK!r}, flush=True)'
            cell.source = re.sub(r"^([ \t]*)### BEGIN HIDDEN TESTS", lambda m: f"{m[1]}{mark}\n{m[0]}", cell.source, count=1, flags=re.M)
        return cell, resources


class CompareObservations(NbGraderPreprocessor):
    """Score a test cell only if its observations match the solution's (see :mod:`helpers.observations`).

    The values the hidden tests sent out of the student's kernel are compared,
    here in the grader's process, with those recorded from the instructor's
    solution at release (``reference/<notebook>.json``); a cell whose values are
    missing or differ gets an error output first, so nbgrader scores it 0.
    The observations are then removed from the notebook, and so is any value a
    test cell displayed (nbgrader would read a number there as partial credit,
    which the course never gives).
    """

    def preprocess(self, nb, resources):
        name = resources["nbgrader"]["notebook"]
        self.reference = load_reference(Path.cwd(), name)  # the grading process runs in the course directory
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        got = observations.cell_observations(cell)
        observations.without_observations(cell)
        if utils.is_grade(cell) and not utils.is_solution(cell):
            cell.outputs = [out for out in cell.outputs if out.output_type != "execute_result"]  # nbgrader: partial credit; never ours
            grade_id = cell.metadata.nbgrader["grade_id"]
            problem = observations.verdict(got, self.reference.get(grade_id, []))
            if problem and not any(out.output_type == "error" for out in cell.outputs):
                self.log.warning("hidden tests of %s failed outside the kernel: %s", grade_id, problem)
                error = nbformat.v4.new_output("error", ename=HIDDEN_TEST_FAILED, evalue=problem,
                                               traceback=[f"{HIDDEN_TEST_FAILED}: {problem}"])
                cell.outputs.append(error)
        return cell, resources


class LimitOutputSize(LimitOutput):
    """nbgrader's limit on lines of output, and at most ``max_chars`` characters in any one text output."""

    max_chars = Integer(100_000, help="maximum number of characters in one text output").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        cell, resources = super().preprocess_cell(cell, resources, index)
        for output in cell.get("outputs", []):
            if output.output_type == "stream" and len(output.text) > self.max_chars:
                output.text = output.text[: self.max_chars] + "\n... Output truncated ..."
            text = output.get("data", {}).get("text/plain")
            if isinstance(text, str) and len(text) > self.max_chars:
                output.data["text/plain"] = text[: self.max_chars] + "\n... Output truncated ..."
        return cell, resources
