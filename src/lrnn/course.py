"""The lesson's own functions, with the lesson's shapes, as thin doors onto lrnn's core.

Layout as in the course: ``X`` is ``(features, examples)``, ``Y`` is ``(1, examples)``, ``w`` is
``(features, 1)`` and ``b`` a Python float. Each function transposes to lrnn's
``(examples, features)`` layout (a view, no copy) and calls :mod:`lrnn.objective` or
:func:`lrnn.train.train`, so the course and the library can never disagree.
"""

from __future__ import annotations

import logging
import numbers
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from lrnn import objective
from lrnn.backends.numpy_backend import InMemoryBackend
from lrnn.config import MAX_ITER, PRINT_EVERY, TrainConfig, default
from lrnn.course_inputs import (
    array_of,
    as_course_arrays,
    as_numbers,
    bias_of,
    pixel_advice,
    print_cost_flag,
    say_if_not_finite,
    say_overflow,
    warn_if_raw_pixels,
)
from lrnn.errors import TrainingDiverged, UsageError, user_stacklevel
from lrnn.train import Callback, train
from lrnn.verdicts import cost_climbed, diverged_message

logger = logging.getLogger(__name__)

#: The course's own argument names, for error messages.
_SPELLING = {"max_iter": "num_iterations"}


def sigmoid(z: ArrayLike) -> NDArray[np.floating]:
    """σ(z), elementwise; stable for any finite z. A number gives a number (a NumPy scalar),
    as the lesson's 1 / (1 + np.exp(-z)) does; text, None or complex values are refused by
    name (numpy would give nan, or drop the imaginary part)."""
    values = array_of(z, "z")
    if values.dtype.kind not in "biuf":
        values = as_numbers(values, "z")
    a = objective.sigmoid(values)
    return a[()] if a.ndim == 0 else a


def initialize_with_zeros(dim: int) -> tuple[NDArray[np.float64], float]:
    """w = zeros of shape (dim, 1), b = 0.0 — the lesson's starting point."""
    if isinstance(dim, bool) or not isinstance(dim, int | np.integer) or dim < 1:
        raise UsageError(f"dim must be a positive integer (the number of features); got {dim!r}.")
    return np.zeros((int(dim), 1)), 0.0


def propagate(w: ArrayLike, b: float, X: ArrayLike, Y: ArrayLike) -> tuple[dict[str, Any], float]:
    """Forward (cost) and backward (gradients) propagation: ``({"dw", "db"}, cost)``."""
    w_flat, X_rows, y = as_course_arrays(w, X, array_of(Y, "Y"))
    bias = bias_of(b)
    warn_if_raw_pixels(X, "X")
    with np.errstate(invalid="ignore", over="ignore"):  # said below in lrnn's words instead
        cost, dw, db = objective.loss_and_grad(w_flat, bias, X_rows, y)
    if not (np.isfinite(cost) and np.isfinite(db)):
        say_if_not_finite(X_rows)
        say_overflow(w_flat, X_rows, "the cost", cost)
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
    the final update), as in the lesson; with ``num_iterations=0`` the gradient at (w, b).
    """
    return _optimize(w, b, X, Y, num_iterations, learning_rate, print_cost, "X", warn=True)


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
    warn: bool = False,
) -> tuple[dict[str, Any], dict[str, Any] | None, list[float]]:
    """:func:`optimize`, naming X as the caller knows it (model's X_train) in errors;
    ``grads=False`` (model(), which returns none) leaves them out: on the lesson's wide data
    mapping the last gradient back to w is a pass over X."""
    y_name = "Y_train" if name == "X_train" else "Y"
    w_flat, X_rows, y = as_course_arrays(w, X, array_of(Y, y_name), names=(name, y_name))
    bias, print_cost = bias_of(b), print_cost_flag(print_cost)
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
    counted = isinstance(num_iterations, numbers.Integral) and not isinstance(num_iterations, bool)
    if not (counted and 0 <= num_iterations <= MAX_ITER):  # 0 runs here; --iterations 0 not
        raise UsageError(
            f"num_iterations must be an integer between 0 and {MAX_ITER:,} (0: no step, the "
            f"gradient at w, b); got {num_iterations!r}."
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
    if warn:  # after every check: an input refused gets no warning first (model warns itself)
        warn_if_raw_pixels(X, name)
    if nothing_to_run:  # the learner's own w is never handed back: a copy
        # no step ran: the gradient is the one the first step would have taken, at (w, b)
        # (zeros here read as "w, b is the optimum")
        at_start = None
        if grads:
            with np.errstate(invalid="ignore", over="ignore"):
                _, dw, db = objective.loss_and_grad(w_flat, bias, X_rows, y)
            at_start = {"dw": dw.reshape(-1, 1), "db": db}
        return {"w": w_flat.reshape(-1, 1).copy(), "b": bias}, at_start, []
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
        say_if_not_finite(X_rows, name)  # a NaN in X, not the step size, made the cost NaN
        if not e.reason:
            raise
        advice = f" (the lesson's runs use 0.005){pixel_advice(X_rows, name, ', and')}"
        message = diverged_message(backend, config, learning_rate, e.reason, advice)
        raise TrainingDiverged(message, e.result, e.reason) from None
    _warn_if_the_cost_climbed(
        list(result.history.get("cost", [])),
        (result.n_iter, result.final_cost),
        learning_rate,
        X_rows,
        name,
        backend,
    )
    params = {"w": result.w.reshape(-1, 1), "b": result.b}
    if not grads:
        return params, None, list(result.history.get("cost", []))
    dw, db = result.last_grad if result.last_grad is not None else (np.zeros_like(w_flat), 0.0)
    grads = {"dw": dw.reshape(-1, 1), "db": db}
    return params, grads, list(result.history.get("cost", []))


def _warn_if_the_cost_climbed(
    costs: list[float],
    final: tuple[int, float],
    learning_rate: float,
    X_rows: NDArray,
    name: str,
    backend: Any,
) -> None:
    """The lesson warns that a too-large α overshoots: say so when the cost ends above where
    it started, or jumped on the way to more than 100× its lowest so far (the rule by which
    ``lrnn train`` calls a run diverged) and came back down — the run then ends with a good
    accuracy and nothing seemed wrong. With the rate that is sure to descend (2/L, as a
    diverged run says) and the likelier cause when the inputs look like raw pixels.

    The recorded costs (every 100 iterations) and ``final``, (iteration, cost) at the returned
    weights: a run of 100 iterations or fewer records only its first cost, and the cost it
    ends on is the one the learner's weights have."""
    from lrnn.train import BLOW_UP_FACTOR, lipschitz

    points = [(i * PRINT_EVERY, cost) for i, cost in enumerate(costs)]
    if points and final[0] > points[-1][0]:
        points.append(final)
    if len(points) < 2:
        return
    lowest, jump = points[0][1], None
    for i, (_, cost) in enumerate(points[1:], start=1):
        if jump is None and not cost <= BLOW_UP_FACTOR * lowest:
            jump = i
        lowest = min(lowest, cost)
    (_, first), (_, last) = points[0], points[-1]
    if jump is not None and jump < len(points) - 1:
        peak = max(range(jump, len(points)), key=lambda i: points[i][1])
        what = (
            f"the cost jumped to {points[peak][1]:.6g} at iteration {points[peak][0]} (over "
            f"{BLOW_UP_FACTOR:g}× its lowest before, as lrnn train would call diverged) and "
            f"ended at {last:.6g}"
        )
    elif jump is not None or cost_climbed(first, last, X_rows.dtype):
        what = f"the cost rose from {first:.6g} to {last:.6g} over the run"
    else:
        return
    steady = 2.0 / lipschitz(backend, 0.0)
    advice = pixel_advice(X_rows, name, ":") or ": a smaller learning rate descends"
    warnings.warn(
        f"{what}: learning_rate={learning_rate:g} overshoots on this data (steps below about "
        f"{steady:.3g}, 2/L, are sure to descend on it){advice}.",
        RuntimeWarning,
        stacklevel=user_stacklevel(),
    )


def predict(w: ArrayLike, b: float, X: ArrayLike) -> NDArray[np.float64]:
    """Labels 0.0/1.0 of shape (1, m): 1 where a = σ(wᵀx + b) > 0.5."""
    labels = _predict(w, b, X, "X")
    warn_if_raw_pixels(X, "X")
    return labels


def _predict(w: ArrayLike, b: float, X: ArrayLike, name: str) -> NDArray[np.float64]:
    """:func:`predict`, naming X as the caller knows it (model's X_test) in errors."""
    w_flat, X_rows, _ = as_course_arrays(w, X, names=(name, "Y"))
    bias = bias_of(b)
    with np.errstate(invalid="ignore", over="ignore"):  # said below in lrnn's words instead
        z = objective.logits(w_flat, bias, X_rows)
    if not np.isfinite(z).all():  # NaN in X gives NaN here, labelled 0 without a word
        say_if_not_finite(X_rows, name)
        say_overflow(w_flat, X_rows, "wᵀx + b", z[~np.isfinite(z)][0])
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
    X_train, X_test = array_of(X_train, "X_train"), array_of(X_test, "X_test")
    Y_train, Y_test = array_of(Y_train, "Y_train"), array_of(Y_test, "Y_test")
    n = X_train.shape[0] if X_train.ndim == 2 else 0
    as_course_arrays(np.zeros(n), X_train, Y_train, names=("X_train", "Y_train"))
    if X_test.ndim == 2 and X_test.shape[0] != n:
        raise UsageError(
            f"X_test has {X_test.shape[0]} features (rows) but X_train has {n}; both are "
            "(features, examples), with the same features: flatten the test pictures as the "
            "training ones."
        )
    as_course_arrays(np.zeros(n), X_test, Y_test, names=("X_test", "Y_test"))
    warn_if_raw_pixels(X_train, "X_train")
    warn_if_raw_pixels(X_test, "X_test")
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
    from lrnn.errors import given_path

    train_path = given_path(train_path, "train_path", "datasets/train_catvnoncat.h5")
    test_path = given_path(test_path, "test_path", "datasets/test_catvnoncat.h5")
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
    from threadpoolctl import threadpool_limits

    from lrnn.check import check_namespace

    if not isinstance(namespace, Mapping):  # check(my_module): its names are vars(my_module)
        given = type(namespace).__name__
        raise UsageError(
            f"check takes a mapping of names to functions, such as globals(); got a {given}"
            + (" — pass vars(module)." if given == "module" else ".")
        )

    # One BLAS thread, as ``lrnn check`` runs the learner's code: the lesson's loop is
    # thousands of small products, where threads waiting on each other cost more than they
    # give — on 2 busy cores the same check took 25 s in the notebook's threads and 7.8 s on
    # one (6.5 s through the command line). The kernel's own setting is restored afterwards.
    with threadpool_limits(1):
        return check_namespace(namespace, show=show, cat_folder=data)
