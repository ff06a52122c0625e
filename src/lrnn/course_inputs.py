"""What the lesson's functions accept, and the one line each mistake gets.

A learner's call passes lists, integer labels, a ``b`` that became a one-element array — all
taken as the lesson's own code takes them — and also None, ragged lists, transposed pictures,
labels of other values, NaN, raw pixels. Each of those is answered here in one line that names
the argument and the fix, so that :mod:`lrnn.course` stays the lesson's functions alone.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from lrnn.errors import UsageError, user_stacklevel


def as_course_arrays(
    w: ArrayLike, X: ArrayLike, Y: ArrayLike | None = None, names: tuple[str, str] = ("X", "Y")
) -> tuple[NDArray, NDArray, NDArray | None]:
    """Check the lesson's shapes and labels and return w as (n,), X as (m, n), Y as (m,).
    ``names``: how X and Y are called where they come from (model's X_test, Y_test)."""
    x_name, y_name = names
    X = array_of(X, x_name)
    if X.ndim != 2:
        try:
            features = np.size(w) if w is not None else None
        except ValueError:  # a ragged w: said once X is right
            features = None
        if X.ndim == 0:
            fix = f"one feature of one example is np.array([[{quoted(X.item())}]])"
        elif X.ndim == 1 and features == 1 and X.size > 1:
            fix = f"{X.size} examples of one feature? give them as a row: {x_name}.reshape(1, -1)"
        elif X.ndim == 1 or X.size == features:  # one picture, (64, 64, 3): still one example
            fix = f"one example? give it as a column: {x_name}.reshape(-1, 1)"
        else:
            fix = f"flatten each example to a column: {x_name}.reshape({x_name}.shape[0], -1).T"
        raise UsageError(
            f"{x_name} must be 2-D (features, examples) as in the lesson; got shape {X.shape}; "
            f"{fix}."
        )
    if not np.issubdtype(X.dtype, np.floating):
        X = as_numbers(X, x_name)
    if Y is not None and X.shape[1] == 0:  # the cost is a mean over the examples: 0/0
        raise UsageError(
            f"{x_name} has no examples (shape {X.shape}: 0 columns); the cost is a mean over "
            "the examples, so give at least one example."
        )
    w = array_of(w, "w")
    if w.ndim > 2 or (w.ndim == 2 and 1 not in w.shape):
        raise UsageError(
            f"w has shape {w.shape}; the lesson's w is a column (features, 1): start from "
            "initialize_with_zeros(X.shape[0])."
        )
    if not np.issubdtype(w.dtype, np.floating):
        w = as_numbers(w, "w")
    if not np.isfinite(w).all():  # n numbers: cheap to check up front, unlike X
        feature = int(np.argmax(~np.isfinite(w.reshape(-1))))
        raise UsageError(
            f"w holds {w.reshape(-1)[feature]} at feature {feature}; the lesson's weights are "
            "finite numbers: start from initialize_with_zeros(X.shape[0]) (a run that "
            "diverged leaves nan: use a smaller learning rate)."
        )
    # numpy's promotion, as the lesson's own code gets it: float32 pixels with the float64 w
    # of initialize_with_zeros compute in float64 (and float16 would lose three digits)
    dtype = np.result_type(X.dtype, w.dtype)
    X, w = X.astype(dtype, copy=False), w.astype(dtype, copy=False)
    if w.size != X.shape[0]:
        transposed = Y is not None or X.shape[1] == w.size  # predict has no Y; a w that fits
        hint = (  # X's columns says it as clearly
            f" (is {x_name} transposed? the lesson's X is (features, examples))"
            if transposed
            else ""
        )
        if Y is None and not transposed and w.any():  # trained weights: the examples are wrong
            raise UsageError(
                f"w was trained on examples of {w.size} values, but each example (column) of "
                f"{x_name} has {X.shape[0]}; give {x_name} examples like the training ones"
                f"{_picture_hint(w.size)}."
            )
        raise UsageError(
            f"w has {w.size} entries but {x_name} has {X.shape[0]} features (rows){hint}; "
            f"w must have shape (features, 1), e.g. from initialize_with_zeros(X.shape[0])."
        )
    if w.ndim == 2 and w.shape[0] == 1 and w.size > 1:
        raise UsageError(
            f"w has shape {w.shape}, a row; the lesson's w is a column (features, 1): "
            "use w.T, or initialize_with_zeros(X.shape[0])."
        )
    y = None
    if Y is not None:
        Y = array_of(Y, y_name)
        if Y.ndim > 2:
            raise UsageError(
                f"{y_name} has shape {Y.shape}; the lesson's labels are one row (1, examples): "
                f"use {y_name}.reshape(1, -1)."
            )
        if Y.size != X.shape[1]:
            order = (
                f" ({y_name} has shape {Y.shape}: pictures, not labels? The lesson's order is "
                "model(X_train, Y_train, X_test, Y_test, …))"
                if Y.ndim == 2 and min(Y.shape) > 1
                else f" (is {x_name} transposed? the lesson's X is (features, examples))"
                if Y.size == X.shape[0]
                else ""
            )
            raise UsageError(
                f"{y_name} has {Y.size} labels but {x_name} has {X.shape[1]} examples "
                f"(columns); {y_name} must have shape (1, examples){order}."
            )
        if Y.ndim == 2 and Y.shape[1] == 1 and Y.size > 1:
            # (m, 1) trains the same, but the lesson's accuracy line |Y_prediction − Y| would
            # broadcast (1, m) against (m, 1) into an (m, m) array and print a wrong number
            raise UsageError(
                f"{y_name} has shape {Y.shape}, a column; the lesson's labels are one row "
                f"(1, examples): use {y_name}.T, or {y_name}.reshape(1, -1)."
            )
        y = Y.reshape(-1)
        not_binary = ~((y == 0) | (y == 1))
        if not_binary.any():
            first = int(np.argmax(not_binary))
            label = getattr(y[first], "item", lambda: y[first])()
            if isinstance(label, float) and math.isnan(label):
                raise UsageError(
                    f"{y_name} holds nan (example {first}): a missing label; every example needs "
                    "one (0 or 1): fill it in or drop that example."
                )
            raise UsageError(
                f"{y_name} holds {quoted(label)} (example {first}); the lesson's "
                "labels are 0 and 1 (non-cat, cat), and the cost is only a log loss for those: "
                f"map the classes to 0/1 first, e.g. {to_binary_advice(y, y_name)}."
            )
        y = y.astype(X.dtype)
    return w.reshape(-1), X.T, y


def as_numbers(X: NDArray, name: str) -> NDArray:
    """X (or w) as float64 when it holds real numbers; text, dates or complex values are
    refused by name (numpy would say "could not convert string to float", or drop imaginary
    parts)."""
    if X.dtype.kind in "biu":
        return X.astype(np.float64)
    if X.dtype.kind == "O" and all(
        isinstance(v, int | float | np.number) and not isinstance(v, bool) for v in X.flat
    ):  # a list of Python numbers of mixed types; None or "1" among them are refused below
        return X.astype(np.float64)
    fix = (
        "start from initialize_with_zeros(X.shape[0])"
        if name == "w"
        else f"give pixel values or features as a numeric array, e.g. {name}.astype(float) "
        "once they are numbers"
    )
    kinds = {"U": "text", "S": "bytes", "c": "complex numbers", "M": "dates", "m": "durations"}
    held = kinds.get(X.dtype.kind, f"{X.dtype} values")
    if X.dtype.kind == "O":
        first = next(v for v in X.flat if not isinstance(v, int | float | np.number))
        held = f"{quoted(first)} among its numbers"
    raise UsageError(f"{name} holds {held}; the neuron computes with real numbers: {fix}.")


def _picture_hint(values: int) -> str:
    """How a picture of one's own becomes an example, when ``values`` is an RGB square's."""
    side = math.isqrt(values // 3)
    if values % 3 or side * side * 3 != values:
        return ""
    return (
        f": a picture of {side}×{side} RGB pixels, e.g. np.array(Image.open(path)"
        f".convert('RGB').resize(({side}, {side}))).reshape(-1, 1) / 255"
    )


def array_of(value: Any, name: str) -> NDArray:
    """``value`` as an array, or one line saying why it is none: None (a variable never
    filled in) or a ragged list (numpy's own words are about "inhomogeneous shapes")."""
    what = _WHAT.get(name[0], "an array of numbers")
    if value is None:
        raise UsageError(
            f"{name} is None; give {what} (a variable that was never assigned, or a function "
            "that returns nothing?)."
        )
    try:
        return np.asarray(value)
    except ValueError as e:
        raise UsageError(
            f"{name} is a ragged list (its rows have different lengths); give {what}."
        ) from e


#: What each argument of the lesson holds, for messages (by its first letter: X_train is X).
_WHAT = {
    "X": "a rectangular array with the examples as columns, shape (features, examples)",
    "Y": "the labels as one row of 0s and 1s, shape (1, examples)",
    "w": "the weights as a column, shape (features, 1), e.g. from initialize_with_zeros",
    "b": "one number, e.g. b = 0.0",
    "z": "a number or an array of numbers",
}


def quoted(value: Any) -> str:
    """A value as a message quotes it: on one line, at most 60 characters."""
    text = " ".join(repr(value).split())
    return text if len(text) <= 60 else text[:59] + "…"


def to_binary_advice(y: NDArray, y_name: str) -> str:
    """How these labels become the lesson's 0/1: the larger of two values is taken as 1 (255
    for 0/255 pixels' masks, 2 for 1/2, 1 for −1/1); other label sets get the general form."""
    try:
        values = np.unique(y)
    except TypeError:  # mixed types that do not sort
        values = np.array([])
    if values.size == 2 and values.dtype.kind in "biuf":
        return f"({y_name} == {values[1].item()!r}).astype(int)"
    return f"({y_name} == positive_class).astype(int)"  # errors.TO_BINARY's form


def warn_if_raw_pixels(X: Any, name: str) -> None:
    """A uint8 X (the lesson's files hold the pictures so) with values above 1 holds pixel
    values the lesson divides by 255 first. Undivided, the cost swings wildly (plain numpy
    prints nan and overflow warnings; lrnn's stable cost stays finite, so nothing else would
    say it). Other integer arrays (a learner's toy [[1, 2, 3]]) are not pictures."""
    values = X if isinstance(X, np.ndarray) else None
    if values is None or values.dtype != np.uint8 or values.size == 0:
        return
    top = values.max()
    if top > 1:
        warnings.warn(
            f"{name} holds whole numbers up to {top} ({values.dtype}): raw pixel values? The "
            f"lesson divides the pictures by 255 first ({name} / 255); without it the cost "
            "swings wildly and the lesson's learning rates overshoot.",
            UserWarning,
            stacklevel=user_stacklevel(),
        )


def print_cost_flag(print_cost: Any) -> bool:
    if isinstance(print_cost, bool | np.bool_) or (
        isinstance(print_cost, int | np.integer) and print_cost in (0, 1)
    ):
        return bool(print_cost)
    raise UsageError(
        f"print_cost must be True or False; got {quoted(print_cost)} ({type(print_cost).__name__})."
    )


def say_if_not_finite(X_rows: NDArray, name: str = "X") -> None:
    """Raise naming the first NaN or infinity in X (given as (m, n) rows); called only once a
    result has come out non-finite, so well-formed inputs pay nothing for it."""
    bad = ~np.isfinite(X_rows)
    if bad.any():
        example, feature = np.unravel_index(int(np.argmax(bad)), X_rows.shape)
        raise UsageError(
            f"{name} holds {X_rows[example, feature]} at feature {feature}, example {example}; "
            "the lesson's inputs are finite numbers: fill in or drop that example."
        )


def say_overflow(w: NDArray, X_rows: NDArray, what: str, value: Any) -> None:
    """Raise for a result that is not finite although X is: wᵀx + b overflowed."""
    raise UsageError(
        f"{what} came out {value}: wᵀx + b overflows for these inputs (largest |x| "
        f"{float(np.max(np.abs(X_rows), initial=0.0)):g}, largest |w| "
        f"{float(np.max(np.abs(w), initial=0.0)):g}); scale the features (the lesson divides "
        "pixels by 255) or start from w = 0."
    )


def bias_of(b: Any) -> float:
    """b as the lesson's number; a one-element array (a learner's b can end up as one) is
    taken as its value."""
    value = array_of(b, "b")
    if value.size != 1 or value.dtype.kind not in "iuf":
        got = (
            f"{quoted(b)} (a bool)"
            if value.dtype.kind == "b" and value.size == 1
            else f"{quoted(b)} (text)"
            if value.dtype.kind in "US" and value.size == 1
            else f"shape {value.shape}, {value.dtype}"
        )
        raise UsageError(
            f"b must be one real number, as in the lesson (b = 0.0 to start); got {got}."
        )
    bias = float(value.reshape(()))
    if not math.isfinite(bias):
        raise UsageError(
            f"b is {bias}; the lesson's bias is a finite number: start from b = 0 (a run "
            "that diverged leaves nan: use a smaller learning rate)."
        )
    return bias


def looks_like_raw_pixels(X: NDArray) -> bool:
    """Whole numbers from 0 up to 255, some above 1: pixel values not divided by 255 yet."""
    if X.size == 0:
        return False
    top = float(np.max(X))
    return 1.5 < top <= 255 and float(np.min(X)) >= 0 and bool(np.array_equal(X, np.floor(X)))


def pixel_advice(X_rows: NDArray, name: str, joint: str) -> str:
    """The likelier cause of an overshoot when X looks like raw pixels (see
    :func:`looks_like_raw_pixels`), and '' otherwise (a run that has already gone wrong pays
    for the look)."""
    if not looks_like_raw_pixels(X_rows):
        return ""
    top = float(np.max(X_rows))
    return (
        f"{joint} {name}'s largest value is {top:g}: divide the pixels by 255 as the lesson does "
        "(its learning rates are meant for values between 0 and 1)"
    )
