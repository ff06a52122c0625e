"""The training loop: pass over the data → step the parameters → record.

One loop serves every door (course functions, estimator, CLI) and every backend. Each
iteration computes the cost and gradient at the current parameters in one pass (so the cost
recorded for iteration i is the one *before* that iteration's update, as in the lesson), checks
the stopping rules, then advances: one update for full-batch first-order methods, one epoch of
mini-batch updates for ``sgd``, one damped Newton step for ``newton``. L-BFGS is driven by
scipy, fed by the same pass.

The loop never prints. It reports through callbacks (``on_record`` for each recorded
iteration, ``on_step`` after each iteration with the full :class:`TrainState`, which is what a
checkpoint stores) and returns a :class:`TrainResult`.
"""

from __future__ import annotations

import functools
import math
import sys
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from lrnn import objective, optim
from lrnn.backends import Backend, gram_backend
from lrnn.backends.gram_backend import GramBackend
from lrnn.errors import TrainingDiverged, UsageError

SOLVERS = ("gd", "momentum", "nesterov", "adam", "sgd", "lbfgs", "newton", "auto")

#: sgd's step stays near its initial value for about this many epochs, then decays as 1/√t.
SGD_DECAY_EPOCHS = 50

#: Newton forms the exact (n+1)² Hessian only for at most this many parameters, and only when
#: that costs at most EXACT_HESSIAN_WORK multiply-adds (m·(n+1)²); otherwise it runs conjugate
#: gradients on Hessian-vector products, one pass over X each. Measured: on 200,000 × 500 the
#: exact Hessian made Newton 30× slower than Newton–CG (BENCHMARKS.md, time_to_optimum).
EXACT_HESSIAN_MAX = 1000
EXACT_HESSIAN_WORK = 100_000_000


def exact_hessian_is_cheap(n_samples: int, n_features: int) -> bool:
    return (
        n_features + 1 <= EXACT_HESSIAN_MAX
        and n_samples * (n_features + 1) ** 2 <= EXACT_HESSIAN_WORK
    )


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides the trajectory of a run (and so goes into checkpoints)."""

    solver: str = "gd"
    learning_rate: float | str = 0.005
    max_iter: int = 2000
    alpha: float = 0.0
    tol: float = 0.0
    batch_size: int = 32
    random_state: int | None = 0
    record_every: int = 1
    early_stopping: bool = False
    n_iter_no_change: int = 10
    momentum: float = 0.9
    divergence_patience: int = 10

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class Records(dict):
    """Column-oriented history: ``history["cost"][k]`` belongs to ``history["iteration"][k]``."""

    def append(self, row: dict[str, float]) -> None:
        for key, value in row.items():
            self.setdefault(key, []).append(value)

    def rows(self) -> list[dict[str, float]]:
        keys = list(self)
        return [dict(zip(keys, values, strict=True)) for values in zip(*self.values(), strict=True)]


class TrainState(NamedTuple):
    """All that a resumed run needs to continue bit for bit."""

    theta: NDArray  # [w..., b]
    opt_state: Any
    iteration: int  # updates (or epochs) done so far
    rng_state: dict | None
    history: Records
    best_theta: NDArray | None = None
    best_score: float = math.inf
    bad_checks: int = 0
    rising: int = 0
    previous_cost: float = math.inf
    lowest_cost: float = math.inf
    coefficients: bool = False  # theta holds (β, b) of the wide-data shortcut


@dataclass
class TrainResult:
    w: NDArray
    b: float
    n_iter: int
    history: Records
    converged: bool
    # "tol", "converged" (no further decrease possible), "max_iter", "early_stopping",
    # "separable", "interrupted"
    stop_reason: str
    solver: str
    learning_rate: float | None
    lipschitz: float | None
    final_cost: float
    final_accuracy: float
    last_grad: tuple[NDArray, float] | None = None
    state: TrainState | None = None
    extras: dict = field(default_factory=dict)


class Callback:
    """Hooks the loop calls; override what you need. ``on_step`` returning True stops."""

    def on_start(self, config: TrainConfig, info: dict[str, Any]) -> None:
        pass

    def on_record(self, record: dict[str, float]) -> None:
        pass

    def on_step(self, state: TrainState) -> bool | None:
        return None

    def on_end(self, result: TrainResult) -> None:
        pass


# --------------------------------------------------------------------------------------------
# Pieces
# --------------------------------------------------------------------------------------------
def resolve_solver(solver: str, n_samples: int, n_features: int) -> str:
    """``auto``: Newton with the exact Hessian when forming it is cheap (few parameters: a
    handful of cheap steps); else Newton–CG when features outnumber examples and L-BFGS when
    examples do. Measured (BENCHMARKS.md, time_to_optimum): on the wide cat images L-BFGS took
    4.6× Newton–CG's time to the optimum; on 200,000 × 500 Newton–CG took 1.5× L-BFGS's."""
    if solver != "auto":
        return solver
    if exact_hessian_is_cheap(n_samples, n_features):
        return "newton"
    return "newton" if n_features >= n_samples else "lbfgs"


def lipschitz(backend: Backend, alpha: float) -> float:
    """L = λmax(X̃ᵀSX̃)/(4Σs) + alpha: 1/L is a step gradient descent can always take."""
    return backend.lambda_max() / 4.0 + alpha


def _evaluate(backend: Backend, theta: NDArray, alpha: float):
    if isinstance(backend, GramBackend):
        return backend.evaluate(theta, alpha)
    w, b = theta[:-1], float(theta[-1])
    data = backend.data_pass(w, b)
    cost, dw, db = objective.regularize(data, w, alpha)
    grad = np.empty_like(theta)
    grad[:-1] = dw
    grad[-1] = db
    return cost, grad, data


def _weights(backend: Backend, vector: NDArray) -> NDArray:
    """w-space image of a parameter (or gradient) vector's w part."""
    if isinstance(backend, GramBackend):
        return backend.to_weights(vector)
    return vector.copy()


def _record_row(
    iteration: int,
    cost: float,
    data: objective.DataPass,
    grad: NDArray,
    lr: float | None,
    validation: Backend | None,
    theta: NDArray,
    backend: Backend | None = None,
) -> dict[str, float]:
    if isinstance(backend, GramBackend):  # coefficient space: map back to w (O(nm), rare)
        grad = np.append(backend.to_weights(grad[:-1]), grad[-1])
    row = {
        "iteration": iteration,
        "cost": cost,
        "loss": data.loss,
        "accuracy": data.accuracy,
        "grad_norm": float(np.max(np.abs(grad))) if grad.size else 0.0,
        "learning_rate": math.nan if lr is None else float(lr),
    }
    if validation is not None:
        w = backend.to_weights(theta[:-1]) if isinstance(backend, GramBackend) else theta[:-1]
        val = validation.data_pass(w, float(theta[-1]))
        row["val_loss"] = val.loss
        row["val_accuracy"] = val.accuracy
    return row


#: What to do when the data's curvature overflows floating point (features near 1e300, or
#: near the float32 maximum): no step size can help.
TOO_LARGE = (
    "the features are so large that the curvature of the cost overflows floating point; "
    "scale them first (standardize)"
)


def _diverged_message(backend: Backend, config: TrainConfig, lr: float | None, why: str) -> str:
    lip = lipschitz(backend, config.alpha)
    used = "" if lr is None else f" with learning_rate={lr:g}"
    if not 1.0 / lip >= np.finfo(backend.dtype).tiny:  # no step the dtype can hold helps
        return f"training diverged{used} ({why}); {TOO_LARGE}."
    safe = 2.0 / lip
    return (
        f"training diverged{used} ({why}); the largest stable learning rate for this data is "
        f"about {safe:.3g} (2/L): use a smaller one, or learning_rate='auto' "
        f"(--learning-rate auto: 1/L = {safe / 2:.3g}); standardizing the features "
        "(--standardize) allows larger steps."
    )


def _one_blas_thread(fn: Callable[..., TrainResult]) -> Callable[..., TrainResult]:
    """Run ``fn`` with BLAS (numpy's and scipy's OpenBLAS) on one thread.

    OpenBLAS splits reductions differently with 1 or 2 threads, so the last bits of the Gram
    matrix X Xᵀ, the Hessian, its Cholesky factor and the long dot products inside L-BFGS-B and
    CG change with the machine's thread count, and so do the trained weights (measured: newton,
    lbfgs and the wide-data shortcut on 2 threads against 1). With BLAS on one thread a run is
    bit-identical on any machine, which ``lrnn verify`` relies on; the passes over the data keep
    their own threads (the numba kernels reduce in a fixed order), and DESIGN.md already asks
    for BLAS to stay out of their way.
    """

    @functools.wraps(fn)
    def wrapper(backend: Backend, config: TrainConfig = TrainConfig(), **kwargs: Any):
        if config.solver in ("lbfgs", "newton", "auto"):
            import scipy.linalg  # noqa: F401 - loads scipy's own OpenBLAS before the limit
        with _blas_controller("scipy.linalg" in sys.modules).limit(limits=1, user_api="blas"):
            return fn(backend, config, **kwargs)

    return wrapper


@functools.cache
def _blas_controller(scipy_loaded: bool) -> Any:
    """The BLAS libraries loaded so far, found once per set: finding them reads
    /proc/self/maps (~4 ms, a third of a small fit when done on every call). scipy, whose
    OpenBLAS is a library of its own, is imported only for the solvers that use it (it takes
    longer to import than the default ``lrnn train`` takes to train)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


# --------------------------------------------------------------------------------------------
# The loop
# --------------------------------------------------------------------------------------------
@_one_blas_thread
def train(
    backend: Backend,
    config: TrainConfig = TrainConfig(),
    *,
    validation: Backend | None = None,
    callbacks: Sequence[Callback] = (),
    init: tuple[NDArray, float] | None = None,
    resume: TrainState | None = None,
    shortcut: bool = True,
) -> TrainResult:
    """Fit (w, b) on ``backend`` by ``config.solver``; see the module docstring.

    ``shortcut=False`` forbids the wide-data coefficient-space path (for comparisons)."""
    solver = resolve_solver(config.solver, backend.n_samples, backend.n_features)
    if solver not in SOLVERS:
        raise UsageError(
            f"solver={config.solver!r} is unknown; choose one of {', '.join(SOLVERS)}."
        )
    if solver == "sgd" and not 1 <= config.batch_size <= backend.n_samples:
        raise UsageError(
            f"batch_size={config.batch_size} must be between 1 and the number of training "
            f"examples ({backend.n_samples}); pick a smaller mini-batch."
        )
    dtype = backend.dtype
    n = backend.n_features

    lip: float | None = None
    lr: float | None = None
    if solver in optim.FIRST_ORDER:
        if config.learning_rate == "auto":
            if solver == "adam":
                lr = 0.01  # Adam's step is in parameter units, not curvature units
            else:
                lip = lipschitz(backend, config.alpha)
                if not 1.0 / lip >= np.finfo(dtype).tiny:
                    raise UsageError(f"learning_rate='auto' has no usable value: {TOO_LARGE}.")
                lr = 1.0 / lip
        else:
            lr = float(config.learning_rate)

    if shortcut and _use_coefficient_space(backend, config, solver, init, resume):
        backend = GramBackend(backend.X, backend.y, backend.sample_weight, backend.scale)
        n = backend.n_features
    if resume is not None:
        state = resume
    else:
        theta = np.zeros(n + 1, dtype=dtype)
        if init is not None and not isinstance(backend, GramBackend):  # Gram: init is 0
            theta[:-1] = init[0]
            theta[-1] = init[1]
        opt_state = optim.FIRST_ORDER[solver]().init(theta) if solver in optim.FIRST_ORDER else None
        rng_state = np.random.default_rng(config.random_state).bit_generator.state
        state = TrainState(
            theta,
            opt_state,
            0,
            rng_state if solver == "sgd" else None,
            Records(),
            coefficients=isinstance(backend, GramBackend),
        )

    info = {"solver": solver, "learning_rate": lr, "lipschitz": lip, "dtype": str(dtype)}
    for cb in callbacks:
        cb.on_start(config, info)

    # Overflow on the way to a non-finite cost is reported once, as TrainingDiverged, not as a
    # stream of numpy RuntimeWarnings.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if solver == "lbfgs":
            result = _run_lbfgs(backend, config, state, validation, callbacks)
        else:
            result = _run_loop(backend, config, solver, lr, state, validation, callbacks)
    result.lipschitz = lip
    result.learning_rate = lr
    if config.tol > 0 and result.stop_reason == "max_iter":
        from sklearn.exceptions import ConvergenceWarning

        # stacklevel 3: past train's BLAS-thread wrapper, to the caller of train()
        warnings.warn(_not_converged_advice(solver, config), ConvergenceWarning, stacklevel=3)
    if result.stop_reason == "separable":
        warnings.warn(
            f"the training data is perfectly separated (every example right, loss "
            f"{result.final_cost:.2g}): with "
            "alpha=0 the weights would grow without bound, so training stopped at iteration "
            f"{result.n_iter}; set alpha > 0 for a finite optimum.",
            RuntimeWarning,
            stacklevel=3,
        )
    for cb in callbacks:
        cb.on_end(result)
    return result


def _use_coefficient_space(
    backend: Backend,
    config: TrainConfig,
    solver: str,
    init: tuple[NDArray, float] | None,
    resume: TrainState | None,
) -> bool:
    """The wide-data shortcut (see :mod:`lrnn.backends.gram_backend`) applies to gd, momentum
    and Nesterov from w = 0 on in-memory data with many more features than examples. With
    tol > 0 the loop would need the exact gradient in w-space at every iteration, which costs a
    full pass, so then the ordinary path runs."""
    from lrnn.backends.numpy_backend import InMemoryBackend

    if resume is not None:
        return resume.coefficients
    return (
        solver in ("gd", "momentum", "nesterov")
        and isinstance(backend, InMemoryBackend)
        and config.tol == 0
        and (init is None or not np.any(init[0]))
        and (init is None or init[1] == 0)
        and gram_backend.worthwhile(backend.n_samples, backend.n_features, config.max_iter)
    )


def _not_converged_advice(solver: str, config: TrainConfig) -> str:
    advice = "raise max_iter, scale the features (standardize)"
    if solver in ("gd", "momentum", "nesterov", "adam", "sgd"):
        advice += ", or use solver='lbfgs' or 'newton', which need far fewer iterations"
    return (
        f"{solver} stopped at max_iter={config.max_iter} before the gradient norm reached "
        f"tol={config.tol:g}; {advice}."
    )


def _run_loop(
    backend: Backend,
    config: TrainConfig,
    solver: str,
    lr: float | None,
    state: TrainState,
    validation: Backend | None,
    callbacks: Sequence[Callback],
) -> TrainResult:
    opt = optim.FIRST_ORDER[solver]() if solver in optim.FIRST_ORDER else None
    if solver in ("momentum", "nesterov"):
        opt = optim.momentum(config.momentum, nesterov=solver == "nesterov")
    sgd_schedule = None
    if solver == "sgd":
        batches_per_epoch = math.ceil(backend.n_samples / config.batch_size)
        sgd_schedule = optim.inverse_sqrt_schedule(lr, SGD_DECAY_EPOCHS * batches_per_epoch)
    watch_early = config.early_stopping and validation is not None
    stop_reason = "max_iter"
    last_grad = None
    theta = state.theta
    accepted = None  # Newton's line search already evaluated the point it accepted

    while state.iteration < config.max_iter:
        i = state.iteration
        theta = state.theta
        if accepted is not None and accepted[0] is theta:
            cost, grad, data = accepted[1]
        else:
            cost, grad, data = _evaluate(backend, theta, config.alpha)
        grad_norm = float(np.maximum.reduce(np.abs(grad)))  # NaN or inf if any component is
        if not (math.isfinite(cost) and math.isfinite(grad_norm)):
            raise TrainingDiverged(
                _diverged_message(
                    backend,
                    config,
                    lr,
                    f"the {'cost' if not math.isfinite(cost) else 'gradient'} became "
                    f"{cost if not math.isfinite(cost) else 'infinite'} at iteration {i}",
                ),
                _partial_result(backend, state, solver, lr),
            )
        last_grad = grad  # never changed in place; split into (dw, db) by _finish
        current_lr = lr if sgd_schedule is None else sgd_schedule(i * batches_per_epoch)
        if i % config.record_every == 0:
            row = _record_row(i, cost, data, grad, current_lr, validation, theta, backend)
            state.history.append(row)
            for cb in callbacks:
                cb.on_record(row)
            if watch_early:
                state = _early_stopping_check(state, row["val_loss"], theta)
                if state.bad_checks >= config.n_iter_no_change:
                    stop_reason = "early_stopping"
                    break
        if grad_norm <= config.tol:
            stop_reason = "tol"
            break
        if _separated(config, data):
            stop_reason = "separable"
            break
        watch = _divergence_check(backend, config, lr, state, cost) if solver == "gd" else {}
        if solver == "newton":
            theta, at_optimum, evaluation = _newton_step(backend, config, theta, cost, grad)
            accepted = (theta, evaluation)
            opt_state, rng_state = None, None
            if at_optimum:
                stop_reason = "converged"
                break
        elif solver == "sgd":
            theta, opt_state, rng_state = _sgd_epoch(
                backend, config, opt, state, sgd_schedule, batches_per_epoch
            )
        else:
            step, opt_state = opt.update(grad, state.opt_state, theta, lr)
            theta = theta + step
            rng_state = None
        state = state._replace(
            theta=theta, opt_state=opt_state, rng_state=rng_state, iteration=i + 1, **watch
        )
        if any([bool(cb.on_step(state)) for cb in callbacks]):
            stop_reason = "interrupted"
            break

    if stop_reason == "early_stopping" and state.best_theta is not None:
        theta = state.best_theta
    else:
        theta = state.theta
    split = None if last_grad is None else (last_grad[:-1].copy(), float(last_grad[-1]))
    return _finish(backend, config, solver, lr, state, theta, stop_reason, split)


#: gd is declared diverged when the cost climbs this far above the lowest cost seen so far.
BLOW_UP_FACTOR = 100.0


#: below this mean loss with every example right and alpha = 0, the data is called separated.
SEPARATED_LOSS = 1e-4


def _separated(config: TrainConfig, data: objective.DataPass) -> bool:
    """Perfectly separable data has no minimiser when alpha = 0 (J → 0 as ‖w‖ → ∞): stop once
    every example is right with a tiny loss, instead of chasing infinity."""
    return config.alpha == 0 and data.accuracy == 1.0 and data.loss <= SEPARATED_LOSS


def _divergence_check(
    backend: Backend, config: TrainConfig, lr: float | None, state: TrainState, cost: float
) -> dict[str, float]:
    """Stop gd that overshoots, without stopping the lesson's own runs.

    Logistic regression forgives a step above 2/L: the curvature is largest at w = 0 and
    shrinks as the neuron grows confident, so the lesson's lr = 0.005 and 0.01 on the cat data
    oscillate for a hundred iterations and then converge. Real divergence shows as a cost that
    climbs far above its lowest value, or rises iteration after iteration without a break.
    """
    rising = state.rising + 1 if cost > state.previous_cost else 0
    why = None
    if cost > BLOW_UP_FACTOR * state.lowest_cost:
        why = (
            f"the cost jumped to {cost:.6g}, over {BLOW_UP_FACTOR:g}× its lowest value "
            f"{state.lowest_cost:.6g}, at iteration {state.iteration}"
        )
    elif rising >= config.divergence_patience:
        why = f"the cost rose {rising} iterations in a row, to {cost:.6g}"
    if why is not None:
        raise TrainingDiverged(
            _diverged_message(backend, config, lr, why), _partial_result(backend, state, "gd", lr)
        )
    return {"rising": rising, "previous_cost": cost, "lowest_cost": min(cost, state.lowest_cost)}


def _early_stopping_check(state: TrainState, val_loss: float, theta: NDArray) -> TrainState:
    if not math.isfinite(state.best_score) or val_loss < state.best_score - 1e-7 * abs(
        state.best_score
    ):
        return state._replace(best_theta=theta.copy(), best_score=val_loss, bad_checks=0)
    return state._replace(bad_checks=state.bad_checks + 1)


def _finish(
    backend: Backend,
    config: TrainConfig,
    solver: str,
    lr: float | None,
    state: TrainState,
    theta: NDArray,
    stop_reason: str,
    last_grad: tuple[NDArray, float] | None,
) -> TrainResult:
    cost, _, data = _evaluate(backend, theta, config.alpha)
    if last_grad is not None and isinstance(backend, GramBackend):
        last_grad = (backend.to_weights(last_grad[0]), last_grad[1])
    return TrainResult(
        w=_weights(backend, theta[:-1]),
        b=float(theta[-1]),
        n_iter=state.iteration,
        history=state.history,
        converged=stop_reason in ("tol", "early_stopping", "converged"),
        stop_reason=stop_reason,
        solver=solver,
        learning_rate=lr,
        lipschitz=None,
        final_cost=cost,
        final_accuracy=data.accuracy,
        last_grad=last_grad,
        state=state,
    )


def _partial_result(
    backend: Backend, state: TrainState, solver: str, lr: float | None
) -> TrainResult:
    """What a diverged run still has: its last finite parameters and its history."""
    costs = state.history.get("cost", [math.nan])
    return TrainResult(
        w=_weights(backend, state.theta[:-1]),
        b=float(state.theta[-1]),
        n_iter=state.iteration,
        history=state.history,
        converged=False,
        stop_reason="diverged",
        solver=solver,
        learning_rate=lr,
        lipschitz=None,
        final_cost=costs[-1],
        final_accuracy=math.nan,
        state=state,
    )


# --------------------------------------------------------------------------------------------
# Advancing one iteration: sgd epoch, Newton step
# --------------------------------------------------------------------------------------------
def _sgd_epoch(
    backend: Backend,
    config: TrainConfig,
    opt: optim.Optimizer,
    state: TrainState,
    schedule: Callable[[int], float],
    batches_per_epoch: int,
):
    rng = np.random.Generator(np.random.PCG64())
    rng.bit_generator.state = state.rng_state
    theta, opt_state = state.theta, state.opt_state
    step_count = state.iteration * batches_per_epoch
    for batch in backend.minibatches(rng, config.batch_size):
        _, grad, _ = _evaluate(batch, theta, config.alpha)
        step, opt_state = opt.update(grad, opt_state, theta, schedule(step_count))
        theta = theta + step
        step_count += 1
    return theta, opt_state, rng.bit_generator.state


def _newton_direction(
    backend: Backend, config: TrainConfig, theta: NDArray, grad: NDArray
) -> NDArray:
    w, b = theta[:-1], float(theta[-1])
    n = backend.n_features
    if exact_hessian_is_cheap(backend.n_samples, n):
        H = backend.hessian(w, b)
        H[np.arange(n), np.arange(n)] += config.alpha
        # A tiny ridge keeps H positive definite on separable or rank-deficient data.
        H[np.diag_indices_from(H)] += 1e-12 * max(1.0, float(np.trace(H)) / (n + 1))
        if not np.isfinite(H).all():  # curvature overflowed (huge features): steepest descent
            return -grad.astype(np.float64)
        # LAPACK's Cholesky directly: scipy.linalg's wrappers cost more than the solve itself
        # at these sizes (a tenth of a millisecond per call, tens of calls per fit).
        from scipy.linalg import lapack

        factor, info = lapack.dpotrf(H, lower=False, clean=False)
        if info == 0:
            direction, info = lapack.dpotrs(factor, grad.astype(np.float64), lower=False)
            if info == 0:
                return -direction
        return -np.linalg.lstsq(H, grad.astype(np.float64), rcond=None)[0]
    from scipy.sparse.linalg import LinearOperator, cg

    def matvec(v: NDArray) -> NDArray:
        vw = v[:-1].astype(backend.dtype)
        hw, hb = backend.hessp(w, b, vw, float(v[-1]))
        out = np.empty(n + 1)
        out[:-1] = hw + config.alpha * vw
        out[-1] = hb
        return out

    operator = LinearOperator((n + 1, n + 1), matvec=matvec, dtype=np.float64)
    g = grad.astype(np.float64)
    forcing = min(0.5, math.sqrt(float(np.linalg.norm(g))))
    direction, _ = cg(operator, -g, rtol=forcing, maxiter=max(20, min(n + 1, 200)))
    return direction


def _newton_step(
    backend: Backend, config: TrainConfig, theta: NDArray, cost: float, grad: NDArray
) -> tuple[NDArray, bool, Any]:
    """A Newton step with Armijo backtracking (sufficient decrease), so it never goes uphill.

    Also says whether the optimum is reached to the working precision: the Newton decrement
    gᵀH⁻¹g estimates 2(J − J*), and once it is below the rounding of J no step can help.
    Returns the new θ, that verdict, and the pass evaluated at the new θ (None when θ did not
    move), which the loop reuses instead of reading the data again.
    """
    direction = _newton_direction(backend, config, theta, grad)
    slope = float(np.dot(grad.astype(np.float64), direction))
    if not slope < 0:  # not a descent direction (numerical trouble): fall back to −∇J
        direction, slope = -grad.astype(np.float64), -float(np.dot(grad, grad))
    if -slope <= 8 * np.finfo(theta.dtype).eps * max(abs(cost), np.finfo(float).tiny):
        return theta, True, None
    step = 1.0
    for _ in range(40):
        candidate = (theta + step * direction).astype(theta.dtype)
        evaluation = _evaluate(backend, candidate, config.alpha)
        if evaluation[0] <= cost + 1e-4 * step * slope:
            return candidate, False, evaluation
        step *= 0.5
    return theta, True, None  # no step decreases J: nothing left to gain at this precision


# --------------------------------------------------------------------------------------------
# L-BFGS (scipy), fed by the same pass
# --------------------------------------------------------------------------------------------
def _run_lbfgs(
    backend: Backend,
    config: TrainConfig,
    state: TrainState,
    validation: Backend | None,
    callbacks: Sequence[Callback],
) -> TrainResult:
    from scipy.optimize import minimize

    dtype = backend.dtype
    cache: dict[str, Any] = {}

    def fun(x: NDArray) -> tuple[float, NDArray]:
        theta = x.astype(dtype)
        cost, grad, data = _evaluate(backend, theta, config.alpha)
        cache.update(x=x.copy(), cost=cost, grad=grad, data=data)
        return cost, grad.astype(np.float64)

    progress = {"state": state, "stop": "max_iter", "last_grad": None}

    def record(x: NDArray, iteration: int) -> bool:
        if cache.get("x") is None or not np.array_equal(cache["x"], x):
            fun(x)
        theta = x.astype(dtype)
        cost, grad, data = cache["cost"], cache["grad"], cache["data"]
        st = progress["state"]._replace(theta=theta, iteration=iteration)
        progress["last_grad"] = (grad[:-1].copy(), float(grad[-1]))
        if iteration % config.record_every == 0:
            row = _record_row(iteration, cost, data, grad, None, validation, theta)
            st.history.append(row)
            for cb in callbacks:
                cb.on_record(row)
            if config.early_stopping and validation is not None:
                st = _early_stopping_check(st, row["val_loss"], theta)
                if st.bad_checks >= config.n_iter_no_change:
                    progress["stop"] = "early_stopping"
        if float(np.max(np.abs(grad))) <= config.tol:
            progress["stop"] = "tol"
        elif _separated(config, data):
            progress["stop"] = "separable"
        progress["state"] = st
        if any([bool(cb.on_step(st)) for cb in callbacks]):
            progress["stop"] = "interrupted"
        return progress["stop"] != "max_iter"

    start = state.iteration

    def callback(intermediate_result: Any) -> None:
        if record(intermediate_result.x, progress["state"].iteration + 1):
            raise StopIteration

    x0 = state.theta.astype(np.float64)
    if not record(x0, start) and start < config.max_iter:
        res = minimize(
            fun,
            x0,
            jac=True,
            method="L-BFGS-B",
            callback=callback,
            options={
                "maxiter": config.max_iter - start,
                "gtol": config.tol,
                "ftol": 0.0 if config.tol == 0 else 64 * np.finfo(float).eps,
                "maxcor": 20,
                "maxls": 50,
            },
        )
        final = progress["state"]
        if progress["stop"] == "max_iter" and res.success:
            # scipy stopped on its own criteria (no further decrease possible): at the optimum
            # to machine precision.
            progress["stop"] = "converged"
        theta = res.x.astype(dtype)
        if progress["stop"] in ("tol", "converged", "max_iter"):
            final = final._replace(theta=theta)
        progress["state"] = final
    state = progress["state"]
    theta = state.theta
    if progress["stop"] == "early_stopping" and state.best_theta is not None:
        theta = state.best_theta
    return _finish(
        backend, config, "lbfgs", None, state, theta, progress["stop"], progress["last_grad"]
    )


# --------------------------------------------------------------------------------------------
# Checkpoints: a TrainState as tensors + JSON
# --------------------------------------------------------------------------------------------
def state_to_checkpoint(state: TrainState, config: TrainConfig) -> tuple[dict, dict]:
    """Tensors and JSON metadata that :func:`state_from_checkpoint` turns back into ``state``."""
    tensors: dict[str, NDArray] = {"theta": state.theta}
    opt_meta = None
    if state.opt_state is not None:
        opt_tensors, opt_meta = optim.state_to_arrays(state.opt_state)
        tensors.update({f"opt.{k}": v for k, v in opt_tensors.items()})
    if state.best_theta is not None:
        tensors["best_theta"] = state.best_theta
    history = {k: [float(v) for v in values] for k, values in state.history.items()}
    meta = {
        "config": config.to_dict(),
        "iteration": state.iteration,
        "opt_state": opt_meta,
        "rng_state": state.rng_state,
        "history": history,
        "best_score": state.best_score,
        "bad_checks": state.bad_checks,
        "rising": state.rising,
        "coefficients": state.coefficients,
        "previous_cost": state.previous_cost,
        "lowest_cost": state.lowest_cost,
    }
    return tensors, meta


def _number(value: Any, missing: float) -> float:
    """JSON has no inf/NaN (they are stored as null): read them back as ``missing``."""
    return missing if value is None else float(value)


def state_from_checkpoint(tensors: dict, meta: dict) -> tuple[TrainState, TrainConfig]:
    config = TrainConfig(**meta["config"])
    opt_state = None
    if meta.get("opt_state") is not None:
        opt_tensors = {k[4:]: v for k, v in tensors.items() if k.startswith("opt.")}
        opt_state = optim.state_from_arrays(opt_tensors, meta["opt_state"])
    history = Records()
    for key, values in meta.get("history", {}).items():
        history[key] = [int(v) if key == "iteration" else _number(v, math.nan) for v in values]
    state = TrainState(
        theta=tensors["theta"],
        opt_state=opt_state,
        iteration=int(meta["iteration"]),
        rng_state=meta.get("rng_state"),
        history=history,
        best_theta=tensors.get("best_theta"),
        best_score=_number(meta.get("best_score"), math.inf),
        bad_checks=int(meta.get("bad_checks", 0)),
        rising=int(meta.get("rising", 0)),
        coefficients=bool(meta.get("coefficients", False)),
        previous_cost=_number(meta.get("previous_cost"), math.inf),
        lowest_cost=_number(meta.get("lowest_cost"), math.inf),
    )
    return state, config


__all__ = [
    "SOLVERS",
    "Callback",
    "Records",
    "TrainConfig",
    "TrainResult",
    "TrainState",
    "lipschitz",
    "resolve_solver",
    "state_from_checkpoint",
    "state_to_checkpoint",
    "train",
]
