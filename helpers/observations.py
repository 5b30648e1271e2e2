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
