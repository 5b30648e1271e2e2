"""helpers.observations: values sent out of the kernel keep their exact types and are compared strictly."""

from __future__ import annotations

import json

import numpy as np
import pytest

from course_grade import observations as grader
from helpers import observations as obs


def payload(value, **tolerance) -> dict:
    """What ``observe`` sends, through JSON as it travels."""
    return json.loads(json.dumps({"value": obs.encode(value), "rtol": 0.0, "atol": 0.0, "up_to_sign": False, **tolerance}))


def same(got, want, **tolerance) -> bool:
    return grader.verdict([payload(got)], [payload(want, **tolerance)]) is None


class AlwaysEqual(float):
    def __eq__(self, other):
        return True

    __hash__ = float.__hash__


@pytest.mark.parametrize("value", [None, True, 3, -2.5, "text", (1, 2.0), [1, [2, "x"]], {"a": 1, "b": (2.0,)},
                                   np.arange(6, dtype=np.int32).reshape(2, 3), np.float32(1.5), np.array([np.nan, 1.0])])
def test_values_match_themselves(value):
    assert same(value, value)


@pytest.mark.parametrize(("got", "want"), [
    (1, True), (1.0, 1), (np.float64(1.0), 1.0), ((1, 2), [1, 2]), (np.arange(3), np.arange(3.0)),
    (np.arange(3, dtype=np.int32), np.arange(3)), (np.zeros((2, 3)), np.zeros((3, 2))), (np.zeros(6), np.zeros((1, 6))),
    (AlwaysEqual(0.5), 0.5), (np.zeros(3).view(np.matrix), np.zeros((1, 3))), ({"a": 1}, {"a": 1, "b": 2}), ([1.0], [1.0, 2.0]),
    (np.array(["a"]), np.array(["a"])),
])
def test_type_dtype_and_shape_must_be_exactly_the_solutions(got, want):
    assert not same(got, want)


def test_unsupported_values_never_match():
    assert obs.encode(object())["t"] == "unsupported"
    assert not same(object(), object())


def test_float_tolerance_is_the_solutions():
    assert same(1.0 + 1e-9, 1.0, rtol=1e-8) and not same(1.0 + 1e-9, 1.0)
    assert same(np.array([1.0, 2.0 + 1e-7]), np.array([1.0, 2.0]), atol=1e-6)
    assert not same(np.array([1.0, 2.1]), np.array([1.0, 2.0]), rtol=1e-3)
    assert not same(np.array([1, 2]), np.array([1, 3]), rtol=1.0)  # integers: always exact


def test_eigenvector_columns_up_to_sign():
    vectors = np.linalg.qr(np.random.default_rng(0).normal(size=(5, 3)))[0]
    flipped = vectors * np.array([1.0, -1.0, -1.0])
    assert same(flipped, vectors, rtol=1e-12, up_to_sign=True)
    assert not same(flipped, vectors, rtol=1e-12)
    assert not same(flipped[:, ::-1], vectors, rtol=1e-12, up_to_sign=True)


def test_verdict_counts_values():
    assert grader.verdict([], [payload(1)]) == "0 values observed, 1 expected"
    assert grader.verdict([payload(1), payload(2)], [payload(1), payload(3)]) == "value 2 of 2 differs from the solution's"
    assert grader.verdict([{"value": "forged"}], [payload(1)]) is not None
    assert grader.verdict(["not even a dict"], [payload(1)]) is not None


def test_observe_is_silent_outside_grading_and_sends_while_grading(monkeypatch):
    sent = []
    monkeypatch.setattr("IPython.display.display", lambda data, raw: sent.append(data))
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    value = np.arange(3)
    assert obs.observe(value) is value and sent == []
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert obs.observe(value, rtol=1e-6) is value
    [data] = sent
    assert data["text/plain"] == "" and data[obs.MIME]["rtol"] == 1e-6
    cell = {"outputs": [{"output_type": "display_data", "data": data}, {"output_type": "stream", "name": "stdout", "text": "x"}]}
    assert grader.cell_observations(cell) == [data[obs.MIME]]
