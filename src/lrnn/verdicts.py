"""What a run says about itself: the step size it can always take, whether its "no progress"
is believable, and the one-line messages of a run that diverged or did not finish.

Kept apart from :mod:`lrnn.train` (the loop) so that the loop reads as a loop; every driver's
result passes through :func:`warn_if_unfinished` once, at the end.
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING

import numpy as np

from lrnn.config import TrainConfig
from lrnn.errors import user_stacklevel

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from lrnn.backends import Backend
    from lrnn.solvers import Solver
    from lrnn.train import TrainResult


#: Each stop reason in words: the line after training, and the report's summary.
STOPS = {
    "max_iter": "ran every iteration asked for",
    "tol": "the gradient fell below --tol",
    "converged": "at the optimum: no step lowers the cost further",
    "stalled": "no step lowered the cost further, but the gradient is not small (see warning)",
    "max_fun": "hit the solver's limit of cost evaluations (see warning)",
    "early_stopping": "early stopping: the validation loss stopped improving",
    "separable": "the data is perfectly separated (see warning)",
}


def lipschitz(backend: Backend, alpha: float) -> float:
    """L = λmax(X̃ᵀSX̃)/(4Σs) + alpha: 1/L is a step gradient descent can always take.

    The softmax layer's curvature is at most ½ (not ¼) per unit of λmax: its backends say so
    with ``curvature_factor``."""
    return backend.lambda_max() * getattr(backend, "curvature_factor", 0.25) + alpha


#: What to do when the data's curvature overflows floating point (features near 1e300, or
#: near the float32 maximum): no step size can help.
TOO_LARGE = (
    "the features are so large that the curvature of the cost overflows floating point; "
    "scale them first (standardize)"
)


#: max|∇J| above which "raise max_iter" is no advice: the gradient of the mean loss is at most
#: the largest |feature| (plus alpha·|w|), so features of this size are the problem.
HOPELESS_GRADIENT = 1e150


def no_usable_step(backend: Backend, alpha: float, lip: float | None = None) -> str | None:
    """Why no step size floating point can hold helps (1/L underflows), or None: the features'
    curvature overflows (:data:`TOO_LARGE`), or alpha alone is that large. ``lip``: L when the
    caller has it (each λmax is a power iteration over the data)."""
    tiny = np.finfo(backend.dtype).tiny
    if 1.0 / (lipschitz(backend, alpha) if lip is None else lip) >= tiny:
        return None
    if 1.0 / lipschitz(backend, 0.0) >= tiny:
        return (
            f"alpha={alpha:g} makes the penalty's curvature too large for any step floating "
            "point can hold: use a smaller alpha (1e-4 to 1 is the usual range)"
        )
    return TOO_LARGE


def can_advise_scaling(backend: Backend) -> bool:
    """Whether "standardize the features" is advice this run can take: not when they already
    are (``lrnn train --standardize``, or a StandardScaler before the estimator: its columns
    have mean 0 and standard deviation 1), nor where the data streams from disk (which cannot
    be standardized). The command line marks such backends with ``scaling_advice = False``."""
    if not getattr(backend, "scaling_advice", True):
        return False
    X = getattr(backend, "X", None)
    # one look at the columns, made only when a warning is about to advise (a rare path)
    if isinstance(X, np.ndarray) and X.ndim == 2 and X.shape[0] > 1 and X.size <= 2**26:
        return not _standardized(X, float(getattr(backend, "scale", 1.0)))
    return True


def _standardized(X: NDArray, scale: float) -> bool:
    """Every column that varies has a mean near 0 and a standard deviation near 1, as trained
    on: roughly, since early stopping trains on a part of the standardized rows (its means
    were not within 1e-3 of 0, and the advice came back). Sums over blocks of rows, in
    float64: no copy of X."""
    m = X.shape[0]
    total = np.zeros(X.shape[1])
    squares = np.zeros(X.shape[1])
    with np.errstate(all="ignore"):
        for start in range(0, m, 4096):
            block = X[start : start + 4096].astype(np.float64) * scale
            total += block.sum(axis=0)
            squares += np.square(block).sum(axis=0)
        mean = total / m
        std = np.sqrt(np.maximum(squares / m - mean**2, 0.0))
    varies = std > 1e-12
    if not varies.any():
        return False
    # within a sample's own spread too: 140 rows of N(0, 1) data (a cross-validation fold of
    # standardized data) have a few of 1500 column means past 0.2, and were "badly scaled"
    # (bounded: 20 rows of uniform 0–1 columns, mean 0.5 and std 0.29, are not standardized)
    near_mean = 0.2 + min(0.25, 2 / math.sqrt(m))
    near_std = 0.25 + min(0.15, 2 / math.sqrt(2 * m))
    return bool(
        np.all(np.abs(mean[varies]) <= near_mean) and np.all(np.abs(std[varies] - 1) <= near_std)
    )


def larger_steps_advice(backend: Backend) -> str:
    """The clause that ends a too-large-step message, where standardizing can be advised; for
    raw pixels (0–255 whole numbers, as an estimator given a picture's uint8 array holds),
    dividing them by 255 is the advice the lesson gives, not a table's scaling."""
    pixels = _raw_pixels(backend)
    if pixels == "uint8":
        return (
            "; X holds a picture's raw pixels (uint8, 0–255): divide them by 255 (X / 255, as "
            "the lesson does), which allows larger steps"
        )
    said = (
        "; X holds whole numbers up to 255: if they are a picture's pixels, divide them by 255 "
        "(X / 255, as the lesson does), which allows larger steps"
        if pixels
        else ""
    )
    if not can_advise_scaling(backend):
        return said
    return said + (
        "; for a table, standardized features (--standardize on the command line, a "
        "StandardScaler in Python) allow larger steps"
    )


def _raw_pixels(backend: Backend) -> str | None:
    """Whether X looks like raw pixels ("uint8" or "whole" numbers) in 64 columns or more (an
    8 × 8 picture; a table of a few small counts is a table), read unscaled (the command line
    folds 1/255 into its image models' scale): one look, made only when a message is about to
    advise."""
    from lrnn.course_inputs import looks_like_raw_pixels

    X = getattr(backend, "X", None)
    if not isinstance(X, np.ndarray) or X.ndim != 2 or X.shape[1] < 64 or X.size > 2**26:
        return None
    if float(getattr(backend, "scale", 1.0)) != 1.0 or not looks_like_raw_pixels(X):
        return None
    return "uint8" if X.dtype == np.uint8 else "whole"


def cost_climbed(start: float, end: float, dtype: np.dtype) -> bool:
    """The cost ended above where it started by more than its rounding (or not finite): the
    step overshoots. One test for the course's lesson-worded warning and the others'."""
    from lrnn.solvers import cost_rounding

    return not end <= start + cost_rounding(start, np.dtype(dtype))


def diverged_message(
    backend: Backend,
    config: TrainConfig,
    lr: float | None,
    why: str,
    lesson_advice: str | None = None,
) -> str:
    """``why`` the run diverged, with the step that would not have (both spellings).
    ``lesson_advice``: the course's own closing words instead of the library's options."""
    lip = lipschitz(backend, config.alpha)
    used = "" if lr is None else f" with learning_rate={lr:g}"
    stuck = no_usable_step(backend, config.alpha, lip)
    if stuck is not None:  # no step the dtype can hold helps
        if lesson_advice is not None and stuck == TOO_LARGE:
            return (
                f"training diverged{used} ({why}); the inputs are so large that no learning "
                "rate helps: scale them first (the lesson divides the pixels by 255)."
            )
        return f"training diverged{used} ({why}); {stuck}."
    safe = 2.0 / lip
    if config.solver == "adam":  # its steps are about the rate per weight, whatever L is
        from lrnn.solvers import ADAM_AUTO_RATE

        auto = (
            ""
            if lr is not None and lr <= ADAM_AUTO_RATE
            else f", or learning_rate='auto' ({ADAM_AUTO_RATE:g}; --learning-rate auto on the "
            "command line)"
        )
        return (
            f"training diverged{used} ({why}); Adam moves each weight by about the learning "
            f"rate per step: use a smaller one{auto}{larger_steps_advice(backend)}."
        )
    if lesson_advice is not None:
        return (
            f"training diverged{used} ({why}); steps below about {safe:.3g} (2/L) are sure to "
            f"descend on this data: use a smaller learning rate{lesson_advice}."
        )
    scaling = larger_steps_advice(backend)
    return (
        f"training diverged{used} ({why}); steps below about {safe:.3g} (2/L) are sure to "
        f"descend on this data: use a smaller learning rate, or learning_rate='auto' (1/L = "
        f"{safe / 2:.3g}; --learning-rate auto on the command line){scaling}."
    )


def warn_if_unfinished(
    result: TrainResult, solver: Solver, config: TrainConfig, backend: Backend
) -> None:
    """A run that did not do what was asked says so, with the gradient it measured."""
    if result.stop_reason not in ("max_iter", "max_fun", "stalled", "separable"):
        return  # the usual end: nothing to say, and no look at the columns (small data pays)
    measured = f"max|∇J| = {_apart(result.grad_norm, config.tol)} at the returned weights"
    at_precision = stationary_enough(result.grad_norm, result.final_cost, 0.0, backend.dtype)
    # With tol = 0 gd runs max_iter by design, but a second-order solver runs to the optimum.
    unfinished = config.tol > 0 or not (solver.uses_learning_rate or at_precision)
    if result.stop_reason == "max_iter" and not unfinished:
        return  # the lesson's own runs: no look at the columns (12288 of them for the cat)
    scale = can_advise_scaling(backend)
    advice = "raise max_iter, or scale the features (standardize)" if scale else "raise max_iter"
    if solver.uses_learning_rate:
        advice = "raise max_iter, scale the features (standardize), or use solver='lbfgs' or "
        if not scale:
            advice = "raise max_iter, or use solver='lbfgs' or "
        advice += "'newton', which need far fewer iterations"
        if _alpha_holds_back_the_bias(result, config):
            advice = (
                f"alpha={config.alpha:g} sets the step ({result.learning_rate:.3g}), which "
                "is too small for the bias (alpha does not penalise it, so its curvature is "
                "at most ¼): use solver='lbfgs' or 'newton', which need far fewer iterations, "
                "or a smaller alpha"
            )
    message = None
    if result.stop_reason == "max_iter":
        target = "reaching the optimum"
        if config.tol > 0:
            target = f"the gradient norm reached tol={config.tol:g}"
        # a gradient this far beyond any feature scale a run can use: more iterations cannot
        # help, and the reason (the curvature overflows; one power iteration says) is the advice
        if result.grad_norm > HOPELESS_GRADIENT:
            advice = no_usable_step(backend, config.alpha) or advice
        message = (
            f"{solver.name} stopped at max_iter={config.max_iter} before {target} "
            f"({measured}); {advice}."
        )
    elif result.stop_reason == "max_fun":
        message = (
            f"{solver.name} stopped at scipy's limit of function evaluations after "
            f"{result.n_iter} iterations, not at the optimum ({measured}); {advice}."
        )
    elif result.stop_reason == "stalled":
        wanted = f"tol={config.tol:g}" if config.tol > 0 else "what this precision allows"
        # a line search stalls once its best decrease, about ∇J²/2L, is below eps·J: at up to
        # √(2L) times √(eps·J). On features already scaled that is what stopped it (√eps·J
        # alone called such runs "badly scaled", advising the scaling they had).
        margin = STALL_MARGIN if not scale else 1.0
        near = stationary_enough(result.grad_norm / margin, result.final_cost, 0.0, backend.dtype)
        if at_precision or near:
            # the cost, which a line search compares, stops resolving a gradient of about
            # √eps; Newton's step follows the gradient itself and gets further, in float32 too
            # (standardized breast_cancer: lbfgs stalled at 1e-5, Newton reached 4e-9)
            newton = solver.name != "newton"
            ways = ["a larger tol"] + (["solver='newton'"] if newton else [])
            ways += ["standardized features"] if scale else []
            said = ways[0] if len(ways) == 1 else ", ".join(ways[:-1]) + ", or " + ways[-1]
            why = (
                f"tol={config.tol:g} is below what the cost resolves in {backend.dtype} for "
                "features on this scale (the weights are at the optimum to working precision):"
                f" use {said}"
            )
        elif (stuck := no_usable_step(backend, config.alpha)) is not None:
            why = stuck
        else:
            why = "the features are badly scaled for this solver"
            if scale:
                why += ": standardize them" + (
                    ", or use solver='newton'" if solver.name != "newton" else ""
                )
            elif solver.name != "newton":
                why += ": use solver='newton'"
        message = (
            f"{solver.name} stopped at iteration {result.n_iter} because no step lowered the "
            f"cost any further, but {measured}, above {wanted}; {why}."
        )
    if message is not None:
        # scikit-learn's warning class, imported only now: importing scikit-learn costs more
        # than the lesson's whole run.
        from sklearn.exceptions import ConvergenceWarning

        warnings.warn(message, ConvergenceWarning, stacklevel=user_stacklevel())
    if result.stop_reason == "separable":
        warnings.warn(
            f"the training data is perfectly separated (every example right, loss "
            f"{result.final_cost:.2g}): with "
            "alpha=0 the weights would grow without bound, so training stopped at iteration "
            f"{result.n_iter}; set alpha > 0 for a finite optimum.",
            RuntimeWarning,
            stacklevel=user_stacklevel(),
        )


def warn_if_the_cost_climbed(
    result: TrainResult, solver: Solver, config: TrainConfig, backend: Backend
) -> bool:
    """A step size that overshoots without blowing up (the divergence guard stops a cost that
    climbs 100×) can leave a run whose cost ends above where it started — worse than the
    zero weights it began from, with "ran every iteration asked for" as its only verdict. The
    lesson warns of exactly this; say it, with the step that would have descended. True when
    it warned (the run's other verdicts, "raise max_iter" among them, would mislead then)."""
    costs = result.history.get("cost") if hasattr(result.history, "get") else None
    # the first recorded cost and the cost at the returned weights: a run shorter than its
    # record_every records only the first
    if not solver.uses_learning_rate or not costs or not result.learning_rate:
        return False
    start, end = float(costs[0]), float(result.final_cost)
    if not math.isfinite(end) or not cost_climbed(start, end, backend.dtype):
        return False
    lip = lipschitz(backend, config.alpha)
    if abs(float(result.learning_rate)) < 2.0 / lip:
        # a step that cannot overshoot: a rise is sgd's sampling noise (a warm start at the
        # optimum rose by 2e-7) or momentum's swing, and the usual verdicts say the rest
        return False
    warnings.warn(
        f"the cost rose from {start:.6g} to {end:.6g} over the run: "
        f"{_overshoots(result, config, backend, lip)}.",
        RuntimeWarning,
        stacklevel=user_stacklevel(),
    )
    return True


def _overshoots(result: TrainResult, config: TrainConfig, backend: Backend, lip: float) -> str:
    """The advice for a step above 2/L: the step that would descend, and the ways to it
    ('auto' only to a run that did not use it)."""
    auto = (
        ""
        if config.learning_rate == "auto"
        else ", or learning_rate='auto' (1/L; --learning-rate auto on the command line)"
    )
    return (
        f"learning_rate={result.learning_rate:g} overshoots on this data (steps below about "
        f"{2.0 / lip:.3g}, 2/L, are sure to descend on it); use a smaller one{auto}"
        f"{larger_steps_advice(backend)}"
    )


def warn_if_the_cost_never_moved(
    result: TrainResult, solver: Solver, config: TrainConfig, backend: Backend
) -> bool:
    """A step too small for floating point (--learning-rate 1e-320) leaves the cost where it
    started, bit for bit, at a gradient that is not 0: the run trained "fine" and saved a
    model that learned nothing. Said, with the step the data allows; True when it warned."""
    if result.restored_iteration is not None:  # early stopping's weights: its own verdict
        return False
    costs = result.history.get("cost") if hasattr(result.history, "get") else None
    still = bool(costs) and result.n_iter > 0 and float(costs[0]) == result.final_cost
    if not (still and solver.uses_learning_rate and result.learning_rate):
        return False
    if not result.grad_norm > 0:  # a zero gradient: the start is where it belongs
        return False
    allows = "use a larger one"
    if solver.name in ("gd", "momentum", "nesterov"):  # steps of lr·∇J: 1/L is theirs
        allows = (
            f"1/L = {1.0 / lipschitz(backend, config.alpha):.3g} is the step this data "
            "allows; learning_rate='auto' takes it (--learning-rate auto on the command line)"
        )
    warnings.warn(
        f"the cost did not move in {result.n_iter} iterations ({result.final_cost:.6g} "
        f"throughout): learning_rate={result.learning_rate:g} is too small for floating "
        f"point to change it ({allows}).",
        RuntimeWarning,
        stacklevel=user_stacklevel(),
    )
    return True


def warn_if_the_start_was_kept(
    result: TrainResult, solver: Solver, config: TrainConfig, backend: Backend
) -> bool:
    """Early stopping whose best check was iteration 0 hands back the zero start: a model
    that learned nothing and gives every row the same answer, reported as "early stopping" —
    while the same run without early stopping warns that its cost climbed. Said, with the
    reason where the step is it; True when it warned. (A warm start's own weights kept are
    weights that learned: not said.)"""
    if result.restored_iteration != 0 or np.any(result.w) or np.any(result.b):
        return False
    losses = [float(v) for v in result.history.get("val_loss", [])]
    after = f" and at best {min(losses[1:]):.6g} after it" if len(losses) > 1 else ""
    start = f" ({losses[0]:.6g} there{after})" if losses else ""
    lip = lipschitz(backend, config.alpha) if solver.uses_learning_rate else None
    costs = [float(v) for v in result.history.get("cost", [])]
    # the training cost lower at the end than at the start: the steps descended overall (the
    # cat data at 0.005, above 2/L: it fell from 0.693 to 0.155 in 1000 iterations while the
    # validation loss rose from the first check — over-fitting, which the step was blamed for)
    fell = len(costs) > 1 and costs[-1] < costs[0]
    if lip and result.learning_rate and result.learning_rate > 2.0 / lip and not fell:
        advice = _overshoots(result, config, backend, lip)
    else:
        fitted = f" (the training cost fell from {costs[0]:.6g} to {costs[-1]:.6g})" if fell else ""
        advice = (
            f"the training steps made it worse from the first one on{fitted}, so the model "
            "over-fits: little it learns from the training rows carries over to the "
            "validation rows — give more data, set alpha > 0, or fit without early stopping"
        )
        if lip and result.learning_rate and result.learning_rate > 2.0 / lip:
            advice += (
                f" (learning_rate={result.learning_rate:g} is also above 2/L = {2.0 / lip:.3g}, "
                "so some of its steps may climb)"
            )
    warnings.warn(
        "early stopping kept the starting weights: the validation loss was lowest at "
        f"iteration 0{start}, so the model learned nothing and gives every example the same "
        f"answer; {advice}.",
        RuntimeWarning,
        stacklevel=user_stacklevel(),
    )
    return True


def warn_if_separated(result: TrainResult, config: TrainConfig) -> None:
    """Every training example right with alpha = 0: then J(c·w) keeps falling as c grows, so
    the cost has no minimum and the weights are wherever the stopping rule (tol, max_iter)
    left them — a solver or tol apart, they differ by orders of magnitude. A run that stopped
    *because* of it (``separable``) says so in :func:`warn_if_unfinished`."""
    if config.alpha or result.stop_reason in ("separable", "interrupted", "diverged"):
        return
    if not result.final_accuracy == 1.0:
        return
    stopped = {
        "tol": f"tol={config.tol:g} stopped them",
        "max_iter": f"max_iter={config.max_iter} left them",
        "early_stopping": "early stopping kept them",
    }.get(result.stop_reason, "the solver left them")
    warnings.warn(
        "the training data is perfectly separated (every example right): with alpha=0 the "
        "cost has no minimum (it keeps falling as the weights grow), so the weights are where "
        f"{stopped}, and another solver or tol gives others; set alpha > 0 for a unique "
        "optimum.",
        RuntimeWarning,
        stacklevel=user_stacklevel(),
    )


def _alpha_holds_back_the_bias(result: TrainResult, config: TrainConfig) -> bool:
    """A first-order run whose step alpha chose (lr·alpha ≥ ½: a step of 1/L with alpha at
    least half of L) and whose largest unfinished gradient entry is the bias: w settles at
    rate lr·alpha, but b, unpenalised, at lr·σ' ≤ lr/4 — the slower the larger alpha."""
    lr = result.learning_rate
    if not (lr and config.alpha and lr * config.alpha >= 0.5 and result.last_grad):
        return False
    dw, db = result.last_grad
    db_max = float(np.max(np.abs(np.asarray(db, dtype=np.float64))))
    return db_max >= float(np.max(np.abs(dw), initial=0.0))


def _apart(value: float, tol: float) -> str:
    """``value`` to 3 significant digits, or as many more as it takes not to read the same as
    ``tol`` beside it ("max|∇J| = 1e-08 … above tol=1e-08" for 1.0004e-8)."""
    for digits in range(3, 18):
        shown = f"{value:.{digits}g}"
        if tol <= 0 or shown != f"{tol:.{digits}g}":
            return shown
    return repr(value)


#: How far above √eps·J a stalled line search's gradient may be on scaled features, and the
#: stall still be the cost's precision: √(2L) for curvatures L up to 50.
STALL_MARGIN = 10.0


def stationary_enough(grad_norm: float, cost: float, tol: float, dtype: np.dtype) -> bool:
    """Is a solver's "no further decrease possible" believable at this gradient? With tol > 0
    the user said what is small enough; with tol = 0, √eps of the dtype relative to the cost
    (a run stuck by overflow or bad scaling claims "no progress" with a large gradient)."""
    limit = tol if tol > 0 else math.sqrt(np.finfo(dtype).eps) * max(1.0, abs(cost))
    return grad_norm <= limit


__all__ = [
    "TOO_LARGE",
    "no_usable_step",
    "diverged_message",
    "lipschitz",
    "stationary_enough",
    "warn_if_separated",
    "warn_if_the_cost_climbed",
    "warn_if_unfinished",
]
