"""Student-facing checks with specific messages.

Each check raises ``AssertionError`` saying what was expected, what came back
and, where given, a hint; on success it prints one line. Reference values
come from libraries (numpy, scikit-learn, scikit-image, torch, tf), never
from the course's solutions.
"""

from __future__ import annotations

import numpy as np


def rel_error(x, y) -> float:
    """Maximum relative error between ``x`` and ``y`` (as in cs231n).

    ``max |x - y| / max(1e-8, |x| + |y|)``: about 1e-16 for identical float64
    results, 1e-7 for float32 round-off, around 1 for unrelated values.
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y)), initial=0.0))


def _fail(name: str, problem: str, hint: str | None) -> AssertionError:
    message = f"{name}: {problem}"
    if hint:
        message += f"\nHint: {hint}"
    return AssertionError(message)


def _passed(name: str, detail: str = "") -> None:
    print(f"✓ {name}" + (f" ({detail})" if detail else ""))


def check_type(name: str, value, expected_type: type | tuple[type, ...], hint: str | None = None) -> None:
    """``value`` is an instance of ``expected_type``."""
    if not isinstance(value, expected_type):
        raise _fail(name, f"expected {_type_names(expected_type)}, got {type(value).__name__} ({value!r:.80})", hint)


def _type_names(t) -> str:
    return " or ".join(x.__name__ for x in t) if isinstance(t, tuple) else t.__name__


def check_shape(name: str, array, expected: tuple, hint: str | None = None) -> None:
    """``array`` has shape ``expected``; ``None`` in ``expected`` matches any size."""
    shape = np.shape(array)
    ok = len(shape) == len(expected) and all(e is None or e == s for s, e in zip(shape, expected))
    if not ok:
        raise _fail(name, f"expected shape {expected}, got {shape}", hint)


def check_dtype(name: str, array, expected, hint: str | None = None) -> None:
    """``array``'s dtype is ``expected``, or of kind ``expected`` (``np.integer``, ``np.floating``)."""
    dtype = np.asarray(array).dtype
    if not np.issubdtype(dtype, expected):
        raise _fail(name, f"expected dtype {getattr(expected, '__name__', expected)}, got {dtype}", hint)


def check_equal(name: str, actual, expected, hint: str | None = None) -> None:
    """``actual`` equals ``expected`` exactly (arrays: same shape and values)."""
    a, e = np.asarray(actual), np.asarray(expected)
    if a.shape != e.shape:
        raise _fail(name, f"expected shape {e.shape}, got {a.shape}", hint)
    if not np.array_equal(a, e):
        if a.ndim == 0:
            raise _fail(name, f"expected {e.item()!r}, got {a.item()!r}", hint)
        wrong = np.argwhere(a != e)
        first = tuple(int(i) for i in wrong[0])
        want, got = e[first].item(), a[first].item()
        raise _fail(name, f"{len(wrong)} of {a.size} values differ; first at {first}: expected {want!r}, got {got!r}", hint)
    _passed(name)


def check_close(name: str, actual, expected, tol: float = 1e-6, hint: str | None = None) -> None:
    """``rel_error(actual, expected) <= tol``; reports the error and the tolerance."""
    a, e = np.asarray(actual), np.asarray(expected)
    if a.shape != e.shape:
        raise _fail(name, f"expected shape {e.shape}, got {a.shape}", hint)
    if not np.all(np.isfinite(a)):
        raise _fail(name, "result contains NaN or infinity", hint)
    error = rel_error(a, e)
    if not error <= tol:
        if a.ndim:
            where = np.unravel_index(np.argmax(np.abs(a - e)), a.shape)
            detail = f"; largest difference at {tuple(int(i) for i in where)}: expected {e[where]:.6g}, got {a[where]:.6g}"
        else:
            detail = f": expected {float(e):.6g}, got {float(a):.6g}"
        raise _fail(name, f"relative error {error:.2e} exceeds {tol:.0e}{detail}", hint)
    _passed(name, f"relative error {error:.1e}, tolerance {tol:.0e}")


def check_close_up_to_sign(name: str, actual, expected, tol: float = 1e-6, hint: str | None = None) -> None:
    """Columns of ``actual`` equal those of ``expected`` up to a sign each.

    Eigenvectors and singular vectors are defined only up to sign, so each
    column of ``actual`` is flipped to agree with ``expected`` before comparing;
    a 1-D array is one vector, flipped as a whole.
    """
    a, e = np.atleast_1d(np.asarray(actual, dtype=np.float64)), np.atleast_1d(np.asarray(expected, dtype=np.float64))
    if a.shape != e.shape:
        raise _fail(name, f"expected shape {e.shape}, got {a.shape}", hint)
    signs = np.where(np.sum(a * e, axis=0) < 0, -1.0, 1.0)
    check_close(name, a * signs, e, tol=tol, hint=hint)
