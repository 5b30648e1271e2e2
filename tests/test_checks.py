"""helpers.checks: what passes, what fails, and what the failure says."""

from functools import partial

import numpy as np
import pytest

from helpers.checks import (
    check_close,
    check_close_up_to_sign,
    check_dtype,
    check_equal,
    check_shape,
    check_type,
    rel_error,
)

RNG = np.random.default_rng(0)
X = RNG.standard_normal((20, 3))


def test_rel_error_scale():
    assert rel_error(X, X) == 0.0
    assert rel_error(0.0, 0.0) == 0.0
    assert rel_error([], []) == 0.0
    assert 1e-9 < rel_error(X, X.astype(np.float32)) < 1e-7
    assert rel_error(X, RNG.standard_normal(X.shape)) > 0.5
    assert rel_error(1.0, -1.0) == 1.0


# Each check on good input, and whether it prints a ✓ line then.
PASSING = [
    (check_type, ("n", 3, int), False),
    (check_type, ("n", 3.0, (int, float)), False),
    (check_shape, ("x", X, (20, 3)), False),
    (check_shape, ("x", X, (None, 3)), False),
    (check_shape, ("x", X, (None, None)), False),
    (check_shape, ("s", 5.0, ()), False),
    (check_dtype, ("x", X, np.floating), False),
    (check_dtype, ("x", X.astype(np.float32), np.floating), False),
    (check_dtype, ("x", X.astype(np.float32), np.float32), False),
    (check_dtype, ("y", [1, 2], np.integer), False),
    (check_dtype, ("y", np.arange(3, dtype=np.uint8), np.integer), False),
    (check_dtype, ("y", np.arange(3, dtype=np.uint8), np.dtype("uint8")), False),
    (check_equal, ("labels", [1, 2, 3], np.array([1, 2, 3])), True),
    (check_equal, ("count", 4, 4), True),
    (check_close, ("x", X, X.copy()), True),
    (check_close, ("x", X.astype(np.float32), X), True),
    (check_close, ("x", X * (1 + 1e-4), X, 1e-3), True),
    (check_close, ("s", 2.0, 2.0), True),
    (check_close_up_to_sign, ("v", X * [1, -1, -1], X), True),
    (check_close_up_to_sign, ("v", -X[:, 0], X[:, 0]), True),
]


@pytest.mark.parametrize(("check", "args", "prints"), PASSING, ids=lambda v: getattr(getattr(v, "func", v), "__name__", None))
def test_check_passes_on_good_input(check, args, prints, capsys):
    check(*args)
    out = capsys.readouterr().out
    if prints:
        assert out.startswith(f"✓ {args[0]}") and out.count("\n") == 1
    else:
        assert out == ""


# Each check on bad input: the fragments its message must contain (expected and actual).
FAILING = [
    (check_type, ("n", "3", int), ["expected int", "got str ('3')"]),
    (check_type, ("n", None, (int, float)), ["expected int or float", "got NoneType"]),
    (partial(check_type, exact=True), ("iou", np.float64(0.5), float), ["(exactly: numpy values convert", "got numpy.float64"]),
    (partial(check_type, exact=True), ("count", True, int), ["expected int (exactly: not a subclass)", "got bool"]),
    (check_shape, ("x", X, (20, 4)), ["expected shape (20, 4)", "got (20, 3)"]),
    (check_shape, ("x", X, (None,)), ["expected shape (None,)", "got (20, 3)"]),
    (check_shape, ("x", X, (None, 3, None)), ["expected shape (None, 3, None)", "got (20, 3)"]),
    (check_dtype, ("x", X, np.integer), ["expected dtype integer", "got float64"]),
    (check_dtype, ("y", np.arange(3), np.floating), ["expected dtype floating", "got int64"]),
    (check_dtype, ("x", X, np.float32), ["expected dtype float32", "got float64"]),
    (check_equal, ("count", 5, 4), ["expected 4", "got 5"]),
    (check_equal, ("count", np.int64(5), np.int64(4)), ["count: expected 4, got 5"]),
    (check_equal, ("word", "cat", "dog"), ["expected 'dog', got 'cat'"]),
    (check_equal, ("labels", [1, 2, 3], [1, 2]), ["expected shape (2,)", "got (3,)"]),
    (check_equal, ("grid", [[1, 2], [5, 4]], [[1, 2], [3, 4]]), ["1 of 4 values differ; first at (1, 0): expected 3, got 5"]),
    (check_close, ("x", X[:5], X), ["expected shape (20, 3)", "got (5, 3)"]),
    (check_close, ("x", np.where(X == X[3, 2], np.nan, X), X), ["NaN or infinity"]),
    (check_close, ("x", np.full(3, np.inf), np.ones(3)), ["NaN or infinity"]),
    (check_close, ("x", X + 1e-3 * (np.arange(60).reshape(20, 3) == 31), X), ["exceeds 1e-06", f"at (10, 1): expected {X[10, 1]:.6g}"]),
    (check_close, ("s", 2.5, 2.0), ["relative error 1.11e-01 exceeds 1e-06", "expected 2", "got 2.5"]),
    (check_close, ("s", 0.0813922 + 1e-9, 0.0813922, 1e-9), ["expected 0.0813922, got 0.081392201"]),
    (partial(check_close, relative="scale"), ("x", [0.0, 2.0], [1e-3, 2.0], 1e-4), ["largest expected value 5.00e-04"]),
    (check_close_up_to_sign, ("v", np.c_[X[:, :2], -X[:, 0]], X), ["exceeds 1e-06"]),
    (check_close_up_to_sign, ("v", X[:, :2], X), ["expected shape (20, 3)", "got (20, 2)"]),
    (check_close_up_to_sign, ("v", np.abs(X[:, 0]), X[:, 0]), ["exceeds 1e-06"]),
]


@pytest.mark.parametrize(("check", "args", "fragments"), FAILING, ids=lambda v: getattr(getattr(v, "func", v), "__name__", None))
def test_check_fails_with_name_expected_actual_and_hint(check, args, fragments, capsys):
    with pytest.raises(AssertionError) as info:
        check(*args, hint="look at the axis")
    message = str(info.value)
    assert message.startswith(f"{args[0]}: ")
    for fragment in fragments:
        assert fragment in message
    assert message.endswith("\nHint: look at the axis")
    assert "✓" not in capsys.readouterr().out


def test_failure_without_hint_has_no_hint_line():
    with pytest.raises(AssertionError) as info:
        check_equal("count", 5, 4)
    assert str(info.value) == "count: expected 4, got 5"


def test_check_close_rejects_nan_even_when_expected_is_nan():
    with pytest.raises(AssertionError, match="NaN"):
        check_close("x", [np.nan], [np.nan])


def test_check_close_up_to_sign_flips_columns_independently():
    flipped = X * [-1, 1, -1]
    check_close_up_to_sign("v", flipped, X)
    with pytest.raises(AssertionError):
        check_close("v", flipped, X)
    other = X.copy()
    other[:, 1] = RNG.standard_normal(20)
    with pytest.raises(AssertionError, match="largest difference at \\(\\d+, 1\\)"):
        check_close_up_to_sign("v", other * [-1, 1, 1], X)


def test_check_type_exact_accepts_the_type_itself():
    check_type("iou", 0.5, float, exact=True)
    check_type("n", 3, (int, float), exact=True)
    check_type("iou", np.float64(0.5), float)  # without exact, a subclass is an instance


def test_check_close_relative_to_scale_accepts_round_off_on_zeros():
    expected = np.array([0.0, 1.0, -2.7e-6])
    actual = expected + np.array([1e-17, 1e-16, 4e-16])
    with pytest.raises(AssertionError, match="relative error"):
        check_close("x", actual, expected, tol=1e-10)
    check_close("x", actual, expected, tol=1e-10, relative="scale")
