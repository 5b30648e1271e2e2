"""Hidden tests whose verdict is reached outside the student's kernel.

Not part of any lesson. nbgrader runs a student's code and the hidden tests
in one kernel, so anything the tests rely on in that kernel (``assert``,
numpy, the course's checks, IPython itself) the student's code could have
replaced. Each hidden test therefore also hands the values that the student's
functions returned, on the hidden inputs, to :func:`observe`. While grading,
``observe`` sends them out of the kernel as plain data (exact types, dtypes,
shapes and bytes); the grader, in its own process, compares them with the
values that the instructor's solution sent for the same cell when the course
was released (:func:`reference_observations`), with the tolerance the
solution's ``observe`` call states. A test cell earns its points only when it
raised nothing *and* every observation matches. A submission that blanks,
rewrites or silences the tests sends nothing, or the wrong values, and fails.

Outside grading (``NBGRADER_EXECUTION`` unset) ``observe`` only returns its value.
"""

from __future__ import annotations

import base64
import math
import os

import numpy as np

MIME = "application/vnd.object-recognition.observation+json"
NUMERIC_KINDS = "biuf"  # bool, signed and unsigned integers, floats


def encode(value) -> dict:
    """``value`` as plain JSON data that keeps its exact type; anything else becomes ``unsupported``."""
    kind = type(value)
    if value is None:
        return {"t": "none"}
    if kind is bool or kind is int or kind is str:
        return {"t": kind.__name__, "v": value}
    if kind is float:
        return {"t": "float", "v": value.hex()}
    if kind is tuple or kind is list:
        return {"t": kind.__name__, "v": [encode(item) for item in value]}
    if kind is dict and all(type(key) is str for key in value):
        return {"t": "dict", "v": {key: encode(item) for key, item in value.items()}}
    if (kind is np.ndarray or (isinstance(value, np.generic) and kind.__module__ == "numpy")) and value.dtype.kind in NUMERIC_KINDS:
        array = np.asarray(value).copy(order="C")  # keeps 0-d arrays 0-d (ascontiguousarray makes them 1-d)
        return {"t": "ndarray" if kind is np.ndarray else "scalar", "dtype": array.dtype.str, "shape": list(array.shape),
                "b64": base64.b64encode(array.tobytes()).decode("ascii")}
    return {"t": "unsupported", "type": f"{kind.__module__}.{kind.__qualname__}"}


def observe(value, *, rtol: float = 0.0, atol: float = 0.0, up_to_sign: bool = False):
    """Hand ``value`` to the grader, to be compared outside the kernel with the solution's; return ``value``.

    Floats and float arrays match within ``rtol``/``atol`` (0, 0: exactly);
    everything else must be equal, with the same type, dtype and shape.
    ``up_to_sign``: the columns of a 2-D array (eigenvectors) may each be negated.
    The tolerances that count are those of the instructor's solution.
    """
    if os.environ.get("NBGRADER_EXECUTION"):
        from IPython.display import display

        payload = {"value": encode(value), "rtol": float(rtol), "atol": float(atol), "up_to_sign": bool(up_to_sign)}
        display({MIME: payload, "text/plain": ""}, raw=True)
    return value


# ---------------------------------------------------------------- the grader's side


def decode_array(data: dict) -> np.ndarray:
    return np.frombuffer(base64.b64decode(data["b64"]), dtype=np.dtype(data["dtype"])).reshape(data["shape"])


def close(got: np.ndarray, want: np.ndarray, rtol: float, atol: float) -> bool:
    if want.dtype.kind != "f":
        return np.array_equal(got, want)
    return bool(np.all(np.isclose(got, want, rtol=rtol, atol=atol, equal_nan=True)))


def matches(got: dict, want: dict, rtol: float, atol: float, up_to_sign: bool) -> bool:
    """Whether the student's encoded value ``got`` matches the solution's ``want``."""
    if not isinstance(got, dict) or got.get("t") != want["t"] or want["t"] == "unsupported":
        return False
    kind = want["t"]
    if kind == "none":
        return True
    if kind in ("bool", "int", "str"):
        return type(got.get("v")) is type(want["v"]) and got["v"] == want["v"]
    if kind == "float":
        try:
            a, b = float.fromhex(got["v"]), float.fromhex(want["v"])
        except (TypeError, ValueError, KeyError):
            return False
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=rtol, abs_tol=atol)
    if kind in ("tuple", "list"):
        items = got.get("v")
        return (isinstance(items, list) and len(items) == len(want["v"])
                and all(matches(g, w, rtol, atol, up_to_sign) for g, w in zip(items, want["v"])))
    if kind == "dict":
        items = got.get("v")
        return (isinstance(items, dict) and items.keys() == want["v"].keys()
                and all(matches(items[k], w, rtol, atol, up_to_sign) for k, w in want["v"].items()))
    try:
        if got["dtype"] != want["dtype"] or list(got["shape"]) != list(want["shape"]):
            return False
        a, b = decode_array(got), decode_array(want)
    except (KeyError, TypeError, ValueError):
        return False
    if up_to_sign and b.ndim == 2 and b.dtype.kind == "f":
        return all(close(a[:, j], b[:, j], rtol, atol) or close(-a[:, j], b[:, j], rtol, atol) for j in range(b.shape[1]))
    return close(a, b, rtol, atol)


def is_observation(output) -> bool:
    return output.get("output_type") == "display_data" and MIME in output.get("data", {})


def cell_observations(cell) -> list[dict]:
    """The observation payloads in a code cell's outputs, in order."""
    return [out["data"][MIME] for out in cell.get("outputs", []) if is_observation(out)]


def without_observations(cell) -> None:
    """Drop the observation outputs from a cell (they stay out of saved notebooks and feedback)."""
    cell.outputs = [out for out in cell.outputs if not is_observation(out)]


def verdict(got: list[dict], want: list[dict]) -> str | None:
    """None when the student's observations of a test cell match the solution's, else what differs (for the instructor)."""
    if len(got) != len(want):
        return f"{len(got)} values observed, {len(want)} expected"
    for i, (g, w) in enumerate(zip(got, want)):
        if not isinstance(g, dict) or not matches(g.get("value"), w["value"], w["rtol"], w["atol"], w["up_to_sign"]):
            return f"value {i + 1} of {len(want)} differs from the solution's"
    return None
