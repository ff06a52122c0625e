"""Comparing one part of a learner's answer with lrnn's, and naming what went wrong.

A part (``dw``, ``db``, ``cost``, a prediction row …) is compared with lrnn's value; when it
differs, the *mutants* — what a known mistake would have produced, computed with lrnn's own
math — are tried first, then general relations (right values in the wrong shape, a transposed
array, a constant factor, nan from overflow), and only then a plain expected-vs-got.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lrnn.check.locate import Locator, assigned, first_of, literal, shape_index


@dataclass
class Finding:
    """A diagnosis: the sentences to show, where to look, and whether a known mistake fits."""

    message: str
    locate: Locator | None = None
    known: bool = True
    #: Said instead when the line found already divides by m (the factor has another cause).
    if_divided: str | None = None
    #: Said instead when the line found sums along an axis (np.sum is there, the axis is not).
    if_axis: str | None = None
    #: The next known mistake that gives the same answer (on this input both fit): said
    #: instead when this one's line is not in the code and that one's is.
    alternative: Finding | None = None
    #: Said only where the code shows its line: it names how the code is written (a loop that
    #: counts from 1), which the answer alone cannot tell from ``alternative``.
    needs_code: bool = False


@dataclass
class Mutant:
    """What one known mistake gives for this input, and how to say it."""

    value: Any
    message: str
    locate: Locator | None = None


@dataclass
class Tolerance:
    rtol: float = 1e-5
    atol: float = 1e-8


FLOAT32 = Tolerance(rtol=1e-3, atol=1e-5)


@dataclass
class Part:
    """How to judge one part of an answer: its name, lrnn's value, the known mistakes."""

    name: str
    expected: Any
    mutants: list[Mutant] = field(default_factory=list)
    number: bool = False  # True: a plain number is expected (not an array)
    locate: Locator | None = None  # where this part is computed in the learner's code
    m: int | None = None  # examples and features, to read a constant factor
    n: int | None = None


# --------------------------------------------------------------------------------------------
# values
# --------------------------------------------------------------------------------------------
def is_number(v: Any) -> bool:
    """A Python or numpy number, or a 0-d numeric array (what np.squeeze leaves)."""
    if isinstance(v, bool | np.bool_):
        return False
    if isinstance(v, int | float | np.integer | np.floating):
        return True
    return isinstance(v, np.ndarray) and v.ndim == 0 and v.dtype.kind in "iuf"


def numeric_array(v: Any) -> np.ndarray | None:
    """``v`` as a float array when it is numeric (array, number, nested list), else None."""
    if isinstance(v, np.ndarray):
        return v.astype(np.float64) if v.dtype.kind in "biuf" else None
    if is_number(v):
        return np.asarray(v, dtype=np.float64)
    if isinstance(v, list | tuple) and v:
        try:
            arr = np.asarray(v, dtype=np.float64)
        except (TypeError, ValueError):
            return None
        return arr
    return None


def describe(v: Any) -> str:
    """A few words for a value's kind and shape: 'an array of shape (2, 3)', 'a dict' …"""
    if v is None:
        return "None"
    if isinstance(v, bool | np.bool_):
        return f"the boolean {v}"
    if is_number(v):
        return f"the number {float(v):.6g}"
    if isinstance(v, np.ndarray):
        return f"an array of shape {v.shape}"
    if isinstance(v, list | tuple):
        return f"a {type(v).__name__} of {len(v)} item{'s' if len(v) != 1 else ''}"
    if isinstance(v, dict):
        return f"a dict with keys {sorted(map(str, v))}"
    name = getattr(v, "type_name", type(v).__name__)
    return f"a {name}"


def fmt(v: Any) -> str:
    """A compact printout of a value for expected-vs-got lines."""
    if is_number(v):
        return f"{float(v):.8g}"
    if isinstance(v, np.ndarray):
        text = np.array2string(v, precision=6, threshold=12, edgeitems=2, separator=", ")
        return re.sub(r"\s*\n\s*", " ", text)
    return repr(v)[:120]


def close(got: Any, expected: Any, tol: Tolerance) -> bool:
    """Same shape (a number counts as a number) and values within tolerance, no nan."""
    if is_number(expected):
        if not is_number(got):
            return False
        g, e = float(got), float(expected)
        if not math.isfinite(e):  # inf − inf ≤ inf would take any finite answer for an infinity
            return g == e
        return math.isfinite(g) and abs(g - e) <= tol.atol + tol.rtol * abs(e)
    g, e = numeric_array(got), np.asarray(expected, dtype=np.float64)
    if g is None or not isinstance(got, np.ndarray) or g.shape != e.shape:
        return False
    return bool(np.allclose(g, e, rtol=tol.rtol, atol=tol.atol))


# --------------------------------------------------------------------------------------------
# judging a part
# --------------------------------------------------------------------------------------------
def judge(part: Part, got: Any, tol: Tolerance) -> Finding | None:
    """None when ``got`` is right; otherwise the best explanation of how it differs."""
    exp = part.expected
    if close(got, exp, tol):
        return None
    fitting = [m for m in part.mutants if _matches(got, m.value, tol)]
    if fitting:
        found = None
        for mutant in reversed(fitting):
            found = Finding(mutant.message, mutant.locate or part.locate, alternative=found)
        return found
    g = numeric_array(got)
    e = np.asarray(exp, dtype=np.float64)
    if g is None:
        kind = "a number" if part.number else f"an array of shape {e.shape}"
        return Finding(f"{part.name} is {describe(got)}; expected {kind}.", part.locate)
    if part.number:
        return _judge_number(part, got, g, float(exp), tol)
    if not isinstance(got, np.ndarray):
        return Finding(
            f"{part.name} is {describe(got)}; expected a numpy array of shape {e.shape}.",
            part.locate,
        )
    if not np.all(np.isfinite(g)) and np.all(np.isfinite(e)):
        return Finding(_overflow(part.name, g), part.locate)
    if g.shape != e.shape:
        return Finding(_shape_message(part.name, g, e, tol), part.locate)
    ratio = _constant_ratio(g, e)
    if ratio is not None:
        return _ratio_finding(part, ratio)
    return Finding(
        f"{part.name} is {fmt(g)}; expected {fmt(e)} (shape {e.shape}).", part.locate, known=False
    )


def _matches(got: Any, value: Any, tol: Tolerance) -> bool:
    if value is None:
        return False
    if isinstance(value, np.ndarray) and not isinstance(got, np.ndarray):
        return False
    if is_number(value) and not is_number(got):
        return False
    try:
        return close(got, value, tol)
    except (TypeError, ValueError):
        return False


def _judge_number(part: Part, got: Any, g: np.ndarray, exp: float, tol: Tolerance) -> Finding:
    name = part.name
    if not is_number(got):
        if g.size == 1 and close(float(g.reshape(())), exp, tol):
            return Finding(
                f"{name} is {describe(got)}, not a plain number; the value is right. "
                f"{_squeeze_advice(name)}",
                part.locate,
            )
        if g.size > 1:
            return Finding(
                f"{name} is {describe(got)}; expected one number. "
                "It needs summing over the examples (np.sum).",
                part.locate,
                if_axis=(
                    f"{name} is {describe(got)}; expected one number: np.sum with an axis "
                    "sums each column (or row) apart; leave the axis out, np.sum(…), to sum "
                    "over every example."
                ),
            )
    value = float(g.reshape(-1)[0])
    if not math.isfinite(value) and math.isfinite(exp):
        return Finding(_overflow(name, g), part.locate)
    if exp != 0 and value != 0:
        ratio = _constant_ratio(np.asarray([value]), np.asarray([exp]))
        found = _ratio_finding(part, ratio) if ratio is not None else None
        if found is not None and found.known:  # any two numbers have a ratio: only a named one
            return found
    return Finding(f"{name} is {value:.8g}; expected {exp:.8g}.", part.locate, known=False)


def _squeeze_advice(name: str) -> str:
    if name == "db":
        return "Sum without axis or keepdims: db = np.sum(A - Y) / m."
    if name == "cost":
        return "Turn it into a number: cost = np.squeeze(cost) (or float(cost))."
    return f"Use a plain number for {name}."


def _overflow(name: str, g: np.ndarray) -> str:
    what = "nan" if np.isnan(g).any() else "inf"
    return (
        f"{name} contains {what}: numerical overflow. np.exp of a large logit is inf (and inf/inf "
        "or 0·log 0 is nan); compute σ as 1 / (1 + np.exp(-z)), which stays finite."
    )


def _shape_message(name: str, g: np.ndarray, e: np.ndarray, tol: Tolerance) -> str:
    head = f"{name} has shape {g.shape}; expected {e.shape}."
    if g.size == e.size and g.ndim == 2 and e.ndim == 2 and g.shape == e.T.shape:
        if np.allclose(g, e.T, rtol=tol.rtol, atol=tol.atol):
            return f"{head} It is the right values transposed: drop (or add) a .T."
    if g.size == e.size and np.allclose(g.reshape(e.shape), e, rtol=tol.rtol, atol=tol.atol):
        if g.ndim == 1:
            return (
                f"{head} The values are right but the array is 1-D: keep the "
                f"{'column' if e.shape[-1] == 1 else 'row'} shape, e.g. .reshape{e.shape}."
            )
        return f"{head} The values are right; only the shape differs: .reshape{e.shape}."
    return head


def _constant_ratio(g: np.ndarray, e: np.ndarray) -> float | None:
    mask = np.abs(e) > 1e-12
    if not mask.any() or np.any(np.abs(g[~mask]) > 1e-9):
        return None
    ratios = g[mask] / e[mask]
    r = float(ratios.flat[0])
    if abs(r - 1) < 1e-6 or not np.allclose(ratios, r, rtol=1e-6, atol=0):
        return None
    return r


def _ratio_finding(part: Part, r: float) -> Finding:
    """A constant factor between got and expected, read as the mistake that makes it."""
    m, n = part.m, part.n
    typed = next((t for t in (3, 209) if m and m != t and abs(r - m / t) <= 1e-6 * m), None)
    if typed is not None:
        locate = first_of(literal(typed), assigned("m"), *(part.locate,) if part.locate else ())
    elif m and n and n != m and abs(r - m / n) <= 1e-6 * m:
        locate = first_of(shape_index(0), assigned("m"), *(part.locate,) if part.locate else ())
    else:
        locate = part.locate
    message = _ratio_message(part, r)
    divided = None
    if m and abs(r - m) <= 1e-6 * m:
        divided = (
            f"{part.name} is m = {m} times too large, although the line divides by m: check "
            "that m is the number of examples, X.shape[1] (len(Y) and Y.shape[0] are 1: Y is "
            "(1, m)), and that A and Y have the same shape (A from np.dot(X.T, w) is (m, 1), "
            "and A − Y then broadcasts into an (m, m) matrix)."
        )
    known = not message.endswith("times the expected value.")
    return Finding(message, locate, known=known, if_divided=divided)


def _ratio_message(part: Part, r: float) -> str:
    name, m, n = part.name, part.m, part.n
    near = lambda v: v is not None and abs(r - v) <= 1e-6 * max(1.0, abs(v))  # noqa: E731
    if near(-1.0):
        if name in ("cost", "costs"):
            return (
                f"{name} has the wrong sign: the lesson's cost starts with a minus, "
                "−(1/m) Σ [y log a + (1 − y) log(1 − a)]."
            )
        return f"{name} has the wrong sign: the lesson's gradient is of A − Y, not Y − A."
    if m and near(float(m)):
        return f"{name} is m = {m} times too large: the 1/m is missing."
    if m and near(1.0 / m):
        return f"{name} is divided by m = {m} twice."
    if m and n and n != m and near(m / n):
        return (
            f"{name} is divided by the number of features (X.shape[0] = {n}) instead of the "
            f"number of examples (m = X.shape[1] = {m})."
        )
    for typed, origin in ((3, "the lesson's 3-example test"), (209, "the cat training set")):
        if m and m != typed and near(m / typed):
            return (
                f"{name} is divided by {typed} whatever the number of examples ({m} here): m "
                f"looks hard-coded from {origin}; use m = X.shape[1]."
            )
    if r == 0 and name == "costs":  # the recorded numbers are not the costs
        return (
            "costs holds zeros where the lesson records the cost: costs.append(cost) every "
            "100 iterations, not the iteration number i or a value that was never computed."
        )
    if r == 0 and name.startswith("Y_prediction"):  # σ(0) = 0.5 is not > 0.5: all zeros
        return (
            f"{name} is all zeros, what predict gives with the starting w and b (zeros): "
            'predict after optimize, with w = params["w"] and b = params["b"].'
        )
    if r == 0:
        held_in = "grads" if name in ("dw", "db") else "params"  # optimize returns both
        return (
            f"{name} is all zeros, as it starts: it is never updated, or not taken from what "
            f'optimize returns ({name} = {held_in}["{name}"]).'
        )
    if near(1 / math.log(10)):
        return f"{name} uses np.log10; the lesson's logarithm is the natural one, np.log."
    return f"{name} is {r:.6g} times the expected value."
