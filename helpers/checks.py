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


def check_type(name: str, value, expected_type: type | tuple[type, ...], hint: str | None = None, exact: bool = False) -> None:
    """``value`` is an instance of ``expected_type``; with ``exact``, of that very type, not a subclass.

    ``exact`` tells a Python ``float`` from ``numpy.float64`` (which subclasses
    it) and an ``int`` from a ``bool``: use it where the text promises the built-in type.
    """
    types = expected_type if isinstance(expected_type, tuple) else (expected_type,)
    ok = type(value) in types if exact else isinstance(value, types)
    if not ok:
        got = f"{type(value).__module__}.{type(value).__name__}" if type(value).__module__ != "builtins" else type(value).__name__
        why = "numpy values convert with float(x) or int(x)" if type(value).__module__ == "numpy" else "not a subclass"
        extra = f" (exactly: {why})" if exact else ""
        raise _fail(name, f"expected {_type_names(expected_type)}{extra}, got {got} ({value!r:.80})", hint)


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


def scale_error(x, y) -> float:
    """Largest difference relative to the scale of the whole result: ``max |x - y| / max(1e-300, max |y|)``.

    For results whose elements can be zero or tiny, where an element-wise
    relative error divides round-off by almost nothing.
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return float(np.max(np.abs(x - y), initial=0.0) / max(1e-300, float(np.max(np.abs(y), initial=0.0))))


def _distinct(a: float, b: float) -> tuple[str, str]:
    """``a`` and ``b`` formatted with the fewest significant digits (6 to 17) that tell them apart."""
    for digits in range(6, 18):
        x, y = f"{a:.{digits}g}", f"{b:.{digits}g}"
        if x != y:
            return x, y
    return x, y


def check_close(name: str, actual, expected, tol: float = 1e-6, hint: str | None = None, relative: str = "elementwise") -> None:
    """The relative error between ``actual`` and ``expected`` is at most ``tol``; reports the error and the tolerance.

    ``relative="elementwise"``: :func:`rel_error`, each element against its own size.
    ``relative="scale"``: :func:`scale_error`, against the largest expected value
    (for results with zeros or tiny elements, whose round-off is relative to the whole).
    """
    a, e = np.asarray(actual), np.asarray(expected)
    if a.shape != e.shape:
        raise _fail(name, f"expected shape {e.shape}, got {a.shape}", hint)
    if not np.all(np.isfinite(a)):
        raise _fail(name, "result contains NaN or infinity", hint)
    error = {"elementwise": rel_error, "scale": scale_error}[relative](a, e)
    kind = "relative error" if relative == "elementwise" else "error relative to the largest expected value"
    if not error <= tol:
        if a.ndim:
            where = np.unravel_index(np.argmax(np.abs(a.astype(np.float64) - e)), a.shape)
            want, got = _distinct(float(e[where]), float(a[where]))
            detail = f"; largest difference at {tuple(int(i) for i in where)}: expected {want}, got {got}"
        else:
            want, got = _distinct(float(e), float(a))
            detail = f": expected {want}, got {got}"
        raise _fail(name, f"{kind} {error:.2e} exceeds {tol:.0e}{detail}", hint)
    _passed(name, f"{kind} {error:.1e}, tolerance {tol:.0e}")


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
