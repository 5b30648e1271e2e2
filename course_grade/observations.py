"""The grader's half of the observations (see :mod:`helpers.observations`, the half that runs in students' kernels).

Not part of any lesson. Decodes what a student's kernel sent and compares it with what the solution sent.
"""

from __future__ import annotations

import base64
import math

import numpy as np

from helpers.observations import MIME


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
