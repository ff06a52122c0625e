"""The lesson's own functions, with the lesson's shapes, as thin doors onto lrnn's core.

Layout as in the course: ``X`` is ``(features, examples)``, ``Y`` is ``(1, examples)``, ``w`` is
``(features, 1)`` and ``b`` a Python float. Each function transposes to lrnn's
``(examples, features)`` layout (a view, no copy) and calls :mod:`lrnn.objective` or
:func:`lrnn.train.train`, so the course and the library can never disagree.
"""

from __future__ import annotations

import logging
import math
import os
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from lrnn import objective
from lrnn.backends.numpy_backend import InMemoryBackend
from lrnn.config import PRINT_EVERY, TrainConfig, default
from lrnn.errors import TrainingDiverged, UsageError
from lrnn.train import Callback, train
from lrnn.verdicts import cost_climbed, diverged_message

logger = logging.getLogger(__name__)

#: The course's own argument names, for error messages.
_SPELLING = {"max_iter": "num_iterations"}


def sigmoid(z: ArrayLike) -> NDArray[np.floating]:
    """σ(z), elementwise; stable for any finite z. A number gives a number (a NumPy scalar),
    as the lesson's 1 / (1 + np.exp(-z)) does; text, None or complex values are refused by
    name (numpy would give nan, or drop the imaginary part)."""
    values = _array(z, "z")
    if values.dtype.kind not in "biuf":
        values = _as_numbers(values, "z")
    a = objective.sigmoid(values)
    return a[()] if a.ndim == 0 else a


def initialize_with_zeros(dim: int) -> tuple[NDArray[np.float64], float]:
    """w = zeros of shape (dim, 1), b = 0.0 — the lesson's starting point."""
    if isinstance(dim, bool) or not isinstance(dim, int | np.integer) or dim < 1:
        raise UsageError(f"dim must be a positive integer (the number of features); got {dim!r}.")
    return np.zeros((int(dim), 1)), 0.0


def _as_course_arrays(
    w: ArrayLike, X: ArrayLike, Y: ArrayLike | None = None, names: tuple[str, str] = ("X", "Y")
) -> tuple[NDArray, NDArray, NDArray | None]:
    """Check the lesson's shapes and labels and return w as (n,), X as (m, n), Y as (m,).
    ``names``: how X and Y are called where they come from (model's X_test, Y_test)."""
    x_name, y_name = names
    X = _array(X, x_name)
    if X.ndim != 2:
        features = np.size(w) if isinstance(w, np.ndarray | list | tuple) else None
        if X.ndim == 0:
            fix = f"one feature of one example is np.array([[{_quoted(X.item())}]])"
        elif X.ndim == 1 and features == 1 and X.size > 1:
            fix = f"{X.size} examples of one feature? give them as a row: {x_name}.reshape(1, -1)"
        elif X.ndim == 1:
            fix = f"one example? give it as a column: {x_name}.reshape(-1, 1)"
        else:
            fix = f"flatten each example to a column: {x_name}.reshape({x_name}.shape[0], -1).T"
        raise UsageError(
            f"{x_name} must be 2-D (features, examples) as in the lesson; got shape {X.shape}; "
            f"{fix}."
        )
    if not np.issubdtype(X.dtype, np.floating):
        X = _as_numbers(X, x_name)
    if Y is not None and X.shape[1] == 0:  # the cost is a mean over the examples: 0/0
        raise UsageError(
            f"{x_name} has no examples (shape {X.shape}: 0 columns); the cost is a mean over "
            "the examples, so give at least one example."
        )
    w = _array(w, "w")
    if w.ndim > 2 or (w.ndim == 2 and 1 not in w.shape):
        raise UsageError(
            f"w has shape {w.shape}; the lesson's w is a column (features, 1): start from "
            "initialize_with_zeros(X.shape[0])."
        )
    if not np.issubdtype(w.dtype, np.floating):
        w = _as_numbers(w, "w")
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
        hint = (
            f" (is {x_name} transposed? the lesson's X is (features, examples))"
            if Y is not None
            else ""
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
        Y = _array(Y, y_name)
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
                f"{y_name} holds {_quoted(label)} (example {first}); the lesson's "
                "labels are 0 and 1 (non-cat, cat), and the cost is only a log loss for those: "
                f"map the classes to 0/1 first, e.g. {_to_binary(y, y_name)}."
            )
        y = y.astype(X.dtype)
    return w.reshape(-1), X.T, y


def _as_numbers(X: NDArray, name: str) -> NDArray:
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
        held = f"{_quoted(first)} among its numbers"
    raise UsageError(f"{name} holds {held}; the neuron computes with real numbers: {fix}.")


def _array(value: Any, name: str) -> NDArray:
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


def _quoted(value: Any) -> str:
    """A value as a message quotes it: on one line, at most 60 characters."""
    text = " ".join(repr(value).split())
    return text if len(text) <= 60 else text[:59] + "…"


def _to_binary(y: NDArray, y_name: str) -> str:
    """How these labels become the lesson's 0/1: the larger of two values is taken as 1 (255
    for 0/255 pixels' masks, 2 for 1/2, 1 for −1/1); other label sets get the general form."""
    try:
        values = np.unique(y)
    except TypeError:  # mixed types that do not sort
        values = np.array([])
    if values.size == 2 and values.dtype.kind in "biuf":
        return f"({y_name} == {values[1].item()!r}).astype(int)"
    return f"({y_name} == positive_class).astype(int)"  # errors.TO_BINARY's form


def _learner_stacklevel() -> int:
    """The stacklevel that points a warning at the first line outside lrnn (the learner's),
    however deep inside lrnn the warning is raised."""
    package = Path(__file__).resolve().parent

    def inside(filename: str) -> bool:  # "<stdin>", "<ipython-input-…>": the learner's
        return os.path.isabs(filename) and Path(filename).resolve().is_relative_to(package)

    frame, level = sys._getframe(1), 1
    while frame is not None and inside(frame.f_code.co_filename):
        frame, level = frame.f_back, level + 1
    return level


def _warn_if_raw_pixels(X: Any, name: str) -> None:
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
            stacklevel=_learner_stacklevel(),
        )


def _print_cost(print_cost: Any) -> bool:
    if isinstance(print_cost, bool | np.bool_) or (
        isinstance(print_cost, int | np.integer) and print_cost in (0, 1)
    ):
        return bool(print_cost)
    raise UsageError(
        f"print_cost must be True or False; got {_quoted(print_cost)} "
        f"({type(print_cost).__name__})."
    )


def _say_if_not_finite(X_rows: NDArray, name: str = "X") -> None:
    """Raise naming the first NaN or infinity in X (given as (m, n) rows); called only once a
    result has come out non-finite, so well-formed inputs pay nothing for it."""
    bad = ~np.isfinite(X_rows)
    if bad.any():
        example, feature = np.unravel_index(int(np.argmax(bad)), X_rows.shape)
        raise UsageError(
            f"{name} holds {X_rows[example, feature]} at feature {feature}, example {example}; "
            "the lesson's inputs are finite numbers: fill in or drop that example."
        )


def _say_overflow(w: NDArray, X_rows: NDArray, what: str, value: Any) -> None:
    """Raise for a result that is not finite although X is: wᵀx + b overflowed."""
    raise UsageError(
        f"{what} came out {value}: wᵀx + b overflows for these inputs (largest |x| "
        f"{float(np.max(np.abs(X_rows), initial=0.0)):g}, largest |w| "
        f"{float(np.max(np.abs(w), initial=0.0)):g}); scale the features (the lesson divides "
        "pixels by 255) or start from w = 0."
    )


def _bias(b: Any) -> float:
    """b as the lesson's number; a one-element array (a learner's b can end up as one) is
    taken as its value."""
    value = _array(b, "b")
    if value.size != 1 or value.dtype.kind not in "iuf":
        got = (
            f"{_quoted(b)} (a bool)"
            if value.dtype.kind == "b" and value.size == 1
            else f"{_quoted(b)} (text)"
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


def propagate(w: ArrayLike, b: float, X: ArrayLike, Y: ArrayLike) -> tuple[dict[str, Any], float]:
    """Forward (cost) and backward (gradients) propagation: ``({"dw", "db"}, cost)``."""
    w_flat, X_rows, y = _as_course_arrays(w, X, _array(Y, "Y"))
    bias = _bias(b)
    _warn_if_raw_pixels(X, "X")
    with np.errstate(invalid="ignore", over="ignore"):  # said below in lrnn's words instead
        cost, dw, db = objective.loss_and_grad(w_flat, bias, X_rows, y)
    if not (np.isfinite(cost) and np.isfinite(db)):
        _say_if_not_finite(X_rows)
        _say_overflow(w_flat, X_rows, "the cost", cost)
    return {"dw": dw.reshape(-1, 1), "db": db}, cost


class _LessonPrinter(Callback):
    """Prints the lesson's line for each recorded cost (the course API's print_cost)."""

    def on_record(self, record: dict[str, float]) -> None:
        print(f"Cost after iteration {record['iteration']}: {record['cost']:f}")


def optimize(
    w: ArrayLike,
    b: float,
    X: ArrayLike,
    Y: ArrayLike,
    num_iterations: int = 100,
    learning_rate: float = 0.009,
    print_cost: bool = False,
) -> tuple[dict[str, Any], dict[str, Any], list[float]]:
    """Gradient descent from (w, b): ``(params, grads, costs)``.

    ``costs`` holds the cost at every iteration i with i % 100 == 0, taken before that
    iteration's update; ``grads`` are the last gradients computed (at the last iterate before
    the final update), as in the lesson.
    """
    _as_course_arrays(w, X, _array(Y, "Y"))  # an input refused gets no warning before it
    _warn_if_raw_pixels(X, "X")
    return _optimize(w, b, X, Y, num_iterations, learning_rate, print_cost, "X")


def _optimize(
    w: ArrayLike,
    b: float,
    X: ArrayLike,
    Y: ArrayLike,
    num_iterations: int,
    learning_rate: float,
    print_cost: bool,
    name: str,
    grads: bool = True,
) -> tuple[dict[str, Any], dict[str, Any] | None, list[float]]:
    """:func:`optimize`, naming X as the caller knows it (model's X_train) in errors;
    ``grads=False`` (model(), which returns none) leaves them out: on the lesson's wide data
    mapping the last gradient back to w is a pass over X."""
    y_name = "Y_train" if name == "X_train" else "Y"
    w_flat, X_rows, y = _as_course_arrays(w, X, _array(Y, y_name), names=(name, y_name))
    bias, print_cost = _bias(b), _print_cost(print_cost)
    nothing_to_run = (
        isinstance(num_iterations, int | np.integer)
        and not isinstance(num_iterations, bool)
        and num_iterations == 0
    )
    if (
        isinstance(num_iterations, float)
        and 0 < num_iterations < 1
        and isinstance(learning_rate, int | float | np.integer | np.floating)
        and not isinstance(learning_rate, bool)
        and learning_rate >= 1
        and float(learning_rate).is_integer()
    ):
        raise UsageError(
            f"num_iterations is {num_iterations:g} and learning_rate {learning_rate}: swapped? "
            "The order is (…, num_iterations, learning_rate), e.g. num_iterations=2000, "
            "learning_rate=0.005."
        )
    config = TrainConfig.build(  # checks learning_rate and num_iterations, also for 0 of them
        _SPELLING,
        solver="gd",
        learning_rate=learning_rate,
        max_iter=1 if nothing_to_run else num_iterations,
        record_every=PRINT_EVERY,
        tol=0.0,
        divergence_patience=10**9,  # the lesson's loop runs to the end, whatever happens
    )
    if nothing_to_run:  # the learner's own w is never handed back: a copy
        return (
            {"w": w_flat.reshape(-1, 1).copy(), "b": bias},
            {"dw": np.zeros((w_flat.size, 1)), "db": 0.0},
            [],
        )
    backend = InMemoryBackend(X_rows, y)
    callbacks = [_LessonPrinter()] if print_cost else []
    # Only the costs are returned: no gradient norms in the history (a pass over X each). The
    # lesson's loop runs every iteration whatever the cost does; so does this one, and it says
    # afterwards when the cost climbed (the lesson's warning about a too-large α).
    try:
        result = train(
            backend,
            config,
            callbacks=callbacks,
            init=(w_flat, bias),
            grad_norms=False,
            last_grad=grads,
            run_to_the_end=True,
        )
    except TrainingDiverged as e:
        _say_if_not_finite(X_rows, name)  # a NaN in X, not the step size, made the cost NaN
        if not e.reason:
            raise
        advice = f" (the lesson's runs use 0.005){_pixel_advice(X_rows, name, ', and')}"
        message = diverged_message(backend, config, learning_rate, e.reason, advice)
        raise TrainingDiverged(message, e.result, e.reason) from None
    _warn_if_the_cost_climbed(list(result.history.get("cost", [])), learning_rate, X_rows, name)
    params = {"w": result.w.reshape(-1, 1), "b": result.b}
    if not grads:
        return params, None, list(result.history.get("cost", []))
    dw, db = result.last_grad if result.last_grad is not None else (np.zeros_like(w_flat), 0.0)
    grads = {"dw": dw.reshape(-1, 1), "db": db}
    return params, grads, list(result.history.get("cost", []))


def _warn_if_the_cost_climbed(
    costs: list[float], learning_rate: float, X_rows: NDArray, name: str
) -> None:
    """The lesson warns that a too-large α overshoots: say so when the recorded cost ends above
    where it started, with the likelier cause when the inputs look like raw pixels."""
    if len(costs) < 2 or not cost_climbed(costs[0], costs[-1], X_rows.dtype):
        return
    advice = _pixel_advice(X_rows, name, ":") or ": a smaller learning rate descends"
    warnings.warn(
        f"the cost rose from {costs[0]:.6g} to {costs[-1]:.6g} over the run: learning_rate="
        f"{learning_rate:g} overshoots on this data{advice}.",
        RuntimeWarning,
        stacklevel=_learner_stacklevel(),
    )


def _pixel_advice(X_rows: NDArray, name: str, joint: str) -> str:
    """The likelier cause of an overshoot when X looks like raw pixels — whole numbers up to
    255, some above 1 — and '' otherwise (a run that has already gone wrong pays for it)."""
    top = float(np.max(X_rows)) if X_rows.size else 0.0
    if not 1.5 < top <= 255 or not np.array_equal(X_rows, np.floor(X_rows)):
        return ""
    return (
        f"{joint} {name}'s largest value is {top:g}: divide the pixels by 255 as the lesson does "
        "(its learning rates are meant for values between 0 and 1)"
    )


def predict(w: ArrayLike, b: float, X: ArrayLike) -> NDArray[np.float64]:
    """Labels 0.0/1.0 of shape (1, m): 1 where a = σ(wᵀx + b) > 0.5."""
    labels = _predict(w, b, X, "X")
    _warn_if_raw_pixels(X, "X")
    return labels


def _predict(w: ArrayLike, b: float, X: ArrayLike, name: str) -> NDArray[np.float64]:
    """:func:`predict`, naming X as the caller knows it (model's X_test) in errors."""
    w_flat, X_rows, _ = _as_course_arrays(w, X, names=(name, "Y"))
    bias = _bias(b)
    with np.errstate(invalid="ignore", over="ignore"):  # said below in lrnn's words instead
        z = objective.logits(w_flat, bias, X_rows)
    if not np.isfinite(z).all():  # NaN in X gives NaN here, labelled 0 without a word
        _say_if_not_finite(X_rows, name)
        _say_overflow(w_flat, X_rows, "wᵀx + b", z[~np.isfinite(z)][0])
    a = objective.sigmoid(z)
    return (a > 0.5).astype(np.float64).reshape(1, -1)


def model(
    X_train: ArrayLike,
    Y_train: ArrayLike,
    X_test: ArrayLike,
    Y_test: ArrayLike,
    num_iterations: int = default("max_iter"),  # the lesson's model() runs as many as lrnn
    learning_rate: float = 0.5,  # the lesson's model() signature (its runs pass 0.005)
    print_cost: bool = False,
) -> dict[str, Any]:
    """The lesson's whole pipeline: initialise, optimise, predict, report accuracies."""
    X_train, X_test = _array(X_train, "X_train"), _array(X_test, "X_test")
    Y_train, Y_test = _array(Y_train, "Y_train"), _array(Y_test, "Y_test")
    n = X_train.shape[0] if X_train.ndim == 2 else 0
    _as_course_arrays(np.zeros(n), X_train, Y_train, names=("X_train", "Y_train"))
    if X_test.ndim == 2 and X_test.shape[0] != n:
        raise UsageError(
            f"X_test has {X_test.shape[0]} features (rows) but X_train has {n}; both are "
            "(features, examples), with the same features: flatten the test pictures as the "
            "training ones."
        )
    _as_course_arrays(np.zeros(n), X_test, Y_test, names=("X_test", "Y_test"))
    _warn_if_raw_pixels(X_train, "X_train")
    _warn_if_raw_pixels(X_test, "X_test")
    w, b = initialize_with_zeros(X_train.shape[0])
    params, _, costs = _optimize(
        w, b, X_train, Y_train, num_iterations, learning_rate, print_cost, "X_train", grads=False
    )
    w, b = params["w"], params["b"]
    Y_prediction_test = _predict(w, b, X_test, "X_test")
    Y_prediction_train = _predict(w, b, X_train, "X_train")
    train_accuracy = 100 - np.mean(np.abs(Y_prediction_train - np.asarray(Y_train))) * 100
    test_accuracy = 100 - np.mean(np.abs(Y_prediction_test - np.asarray(Y_test))) * 100
    print(f"train accuracy: {train_accuracy} %")
    print(f"test accuracy: {test_accuracy} %")
    return {
        "costs": costs,
        "Y_prediction_test": Y_prediction_test,
        "Y_prediction_train": Y_prediction_train,
        "w": w,
        "b": b,
        "learning_rate": learning_rate,
        "num_iterations": num_iterations,
    }


def load_dataset(
    train_path: str = "datasets/train_catvnoncat.h5",
    test_path: str = "datasets/test_catvnoncat.h5",
) -> tuple[NDArray, NDArray, NDArray, NDArray, NDArray]:
    """The lesson's arrays: ``(train_x_orig, train_y (1, m), test_x_orig, test_y, classes)``."""
    from lrnn.data import load_course_h5

    train_x, train_y, classes = load_course_h5(train_path, part="train")
    test_x, test_y, _ = load_course_h5(test_path, part="test")
    return train_x, train_y.reshape(1, -1), test_x, test_y.reshape(1, -1), classes


def check(namespace: dict[str, Any], *, show: bool = True, data: str | None = None) -> Any:
    """Check your own lesson functions: ``check(globals())`` in your notebook.

    Looks up ``sigmoid``, ``initialize_with_zeros``, ``propagate``, ``optimize``, ``predict`` and
    ``model`` in ``namespace``, runs the same checks as ``lrnn check`` and prints one line per
    function (✓, or ✗ with the mistake named) and a summary. It runs here, in your own session,
    without time limits. ``data``: the folder with the lesson's two cat files (default: a
    ``datasets`` folder in the working directory), for the full 2000-iteration check of
    ``model``. Returns the :class:`lrnn.check.CheckReport`.
    """
    from lrnn.check import check_namespace

    return check_namespace(namespace, show=show, cat_folder=data)
