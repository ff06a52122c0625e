"""The training loop: pass over the data → step the parameters → record → stop.

One loop serves every door (course functions, estimator, CLI) and every backend. Each
iteration computes the cost and gradient at the current parameters in one pass (so the cost
recorded for iteration i is the one *before* that iteration's update, as in the lesson), hands
them to the one :class:`Recorder` (history, early stopping, tol, separable data, non-finite
values), then lets the solver advance. What "advance" means — a first-order update, an epoch of
mini-batches, a damped Newton step, an L-BFGS step — is the solver's entry in
:mod:`lrnn.solvers`; scipy's L-BFGS-B (``lbfgs-scipy``) drives itself and calls the same recorder.

The loop never prints. It reports through callbacks (``on_record`` for each recorded
iteration, ``on_step`` after each iteration with the full :class:`TrainState`, which is what a
checkpoint stores) and returns a :class:`TrainResult`.
"""

from __future__ import annotations

import functools
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from lrnn import objective, solvers
from lrnn.backends import Backend, split
from lrnn.callbacks import Callback, checked_callbacks
from lrnn.config import TrainConfig
from lrnn.errors import TrainingDiverged, UsageError
from lrnn.history import Records
from lrnn.solvers import Solver, Stepper
from lrnn.verdicts import (
    can_advise_scaling,
    diverged_message,
    lipschitz,
    no_usable_step,
    stationary_enough,
    warn_if_separated,
    warn_if_the_cost_climbed,
    warn_if_the_cost_never_moved,
    warn_if_the_start_was_kept,
    warn_if_unfinished,
)

#: The lesson's run (every default of TrainConfig).
LESSON_CONFIG = TrainConfig()


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
    w: NDArray  # (n,) for the sigmoid neuron, (n, K) for the softmax layer
    b: float | NDArray  # a float, or (K,)
    n_iter: int
    history: Records
    converged: bool
    # "tol", "converged" (no further decrease possible, gradient small), "max_iter",
    # "max_fun" (scipy's evaluation cap), "stalled" (no progress, gradient not small),
    # "early_stopping", "separable", "interrupted", "diverged"
    stop_reason: str
    solver: str
    learning_rate: float | None
    final_cost: float
    final_accuracy: float
    lipschitz: float | None = None  # L of the cost's gradient, when the step came from it
    last_grad: tuple[NDArray, float] | None = None
    state: TrainState | None = None
    extras: dict = field(default_factory=dict)
    #: max |∂J| over w and b at the returned weights (the full gradient, measured at the end)
    grad_norm: float = math.nan
    #: early stopping: the iteration whose weights were restored (None otherwise)
    restored_iteration: int | None = None


def solver_for(backend: Backend, name: str) -> solvers.Solver:
    """The solver that runs for ``name`` (``auto`` resolved) on this backend's data: its
    shape, the number of parameters (a softmax layer has (n + 1)·K) and whether its rows are
    sparse."""
    parameters = int(np.prod(solvers.theta_shape(backend)))
    sparse = getattr(backend, "sparse_rows", False)
    classes = getattr(backend, "n_classes", 2)
    return solvers.resolve(name, backend.n_samples, parameters - 1, sparse, classes)


def _one_blas_thread(fn: Callable[..., TrainResult]) -> Callable[..., TrainResult]:
    """Run ``fn`` with BLAS (numpy's and scipy's OpenBLAS) on one thread.

    OpenBLAS splits reductions differently with 1 or 2 threads, so the last bits of the Gram
    matrix X Xᵀ, the Hessian, its Cholesky factor and the long dot products inside L-BFGS-B and
    CG change with the machine's thread count, and so do the trained weights (measured: newton,
    lbfgs and the wide-data shortcut on 2 threads against 1). With BLAS on one thread a run is
    bit-identical for any thread count, which ``lrnn verify`` relies on; the passes over the
    data keep their own threads (the numba kernels reduce in a fixed order), and DESIGN.md
    already asks for BLAS to stay out of their way. Across machines the bits hold where the
    CPUs share their vector instructions: the compiled kernels sum in vector lanes.
    """

    @functools.wraps(fn)
    def wrapper(backend: Backend, config: TrainConfig = LESSON_CONFIG, **kwargs: Any):
        _check_arguments(backend, config)
        entry = solvers.REGISTRY.get(config.solver)
        if entry is not None and entry.needs_scipy:
            import scipy.linalg  # noqa: F401 - loads scipy's own OpenBLAS before the limit
        libraries = _blas_libraries("scipy.linalg" in sys.modules)
        # each library's own get/set, not threadpoolctl's limit(), which rebuilds its
        # description of every library on each call (31 against 11 µs, on every fit)
        changed = [(lib, n) for lib in libraries if (n := lib.get_num_threads()) != 1]
        for lib, _ in changed:
            lib.set_num_threads(1)
        try:
            return fn(backend, config, **kwargs)
        finally:
            for lib, n in changed:
                lib.set_num_threads(n)

    return wrapper


def _check_arguments(backend: Any, config: Any) -> None:
    """train(X, …), train(config, backend) or a dict of settings failed with "has no attribute
    'solver'" (or 'n_features') from inside."""
    if not isinstance(config, TrainConfig):
        raise UsageError(
            f"train: config must be a TrainConfig, got {type(config).__name__}; give "
            "TrainConfig(solver='lbfgs', …) as the second argument."
        )
    if not callable(getattr(backend, "evaluate", None)):
        raise UsageError(
            f"train: the first argument must be a backend, got {type(backend).__name__}; give "
            "lrnn.backends.make_backend(X, y) (or StreamingBackend.open(folder)), or use "
            "lrnn.LogisticNeuron().fit(X, y)."
        )


@functools.cache
def _blas_libraries(scipy_loaded: bool) -> list[Any]:
    """The BLAS libraries loaded so far, found once per set: finding them reads
    /proc/self/maps (~4 ms, a third of a small fit when done on every call). scipy, whose
    OpenBLAS is a library of its own, is imported only for the solvers that use it (it takes
    longer to import than the default ``lrnn train`` takes to train)."""
    from threadpoolctl import ThreadpoolController

    return [lib for lib in ThreadpoolController().lib_controllers if lib.user_api == "blas"]


# --------------------------------------------------------------------------------------------
# The loop
# --------------------------------------------------------------------------------------------
@_one_blas_thread
def train(
    backend: Backend,
    config: TrainConfig = LESSON_CONFIG,
    *,
    validation: Backend | None = None,
    callbacks: Sequence[Callback] = (),
    init: tuple[NDArray, float] | None = None,
    resume: TrainState | None = None,
    shortcut: bool = True,
    grad_norms: bool = True,
    last_grad: bool = True,
    run_to_the_end: bool = False,
) -> TrainResult:
    """Fit (w, b) on ``backend`` by ``config.solver``; see the module docstring.

    ``run_to_the_end=True`` runs every iteration asked for, as the lesson's own loop does: no
    stop when the cost climbs or when the data turns out perfectly separable (the lesson's
    functions say afterwards what happened instead).
    ``shortcut=False`` forbids the wide-data coefficient-space path (for comparisons).
    ``grad_norms=False`` leaves the history's ``grad_norm`` column and the result's
    ``grad_norm`` NaN (the latter is still measured where the stop reason rests on it): for
    callers that read only the costs (the lesson's functions), since in the span of the
    examples each of those norms is a pass over X, and 20 of them cost the lesson's run more
    than its iterations. ``last_grad=False`` leaves ``result.last_grad`` None, for the same
    reason: the lesson's ``model()`` returns no gradients."""
    callbacks = checked_callbacks(callbacks)  # a hookless object failed inside the loop
    solver = solver_for(backend, config.solver)
    if solver.minibatches and not 1 <= config.batch_size <= backend.n_samples:
        raise UsageError(
            f"the mini-batch size batch_size={config.batch_size} must be between 1 and the "
            f"number of training examples ({backend.n_samples}); pick a smaller one "
            "(--batch-size on the command line)."
        )
    if config.early_stopping and validation is None:  # it was dropped without a word
        raise UsageError(
            "early_stopping=True needs the rows to watch: pass validation= (a backend of "
            "held-out rows); LogisticNeuron(early_stopping=True) holds them out itself."
        )
    if resume is not None:  # before any work on the data: a refusal costs nothing
        solvers.check_resume(backend, config, solver, resume, shortcut)
    lr, lip = _learning_rate(backend, config, solver)
    if shortcut and _use_coefficient_space(backend, config, solver, init, resume):
        original = backend
        backend = backend.newton_view() if solver.newton_span else backend.coefficient_view()
        if not can_advise_scaling(original):  # the same data seen from the span
            backend.scaling_advice = False
    state = resume if resume is not None else _initial_state(backend, config, solver, init)

    info = {
        "solver": solver.name,
        "learning_rate": lr,
        "lipschitz": lip,
        "dtype": str(backend.dtype),
        "weights_of": functools.partial(_weights_of, backend),
    }
    for cb in callbacks:
        cb.on_start(config, info)

    recorder = Recorder(
        backend,
        config,
        solver.name,
        validation,
        callbacks,
        grad_norms,
        not run_to_the_end,
        keeps_last_grad=last_grad,
    )
    # Overflow on the way to a non-finite cost is reported once, as TrainingDiverged, not as a
    # stream of numpy RuntimeWarnings.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if solver.driver is not None:
            state, stop_reason = solver.driver(backend, config, state, recorder)
        else:
            stepper = solver.stepper(backend, config, lr)
            guard = (solver.divergence_guard or solver.blow_up_guard) and not run_to_the_end
            state, stop_reason = _run_loop(
                backend, config, guard, stepper, state, recorder, solver.divergence_guard
            )
        theta = state.theta
        # Early stopping returns the weights of its best check however the run ended (patience
        # ran out, max_iter or tol came first, a callback stopped it), as scikit-learn's MLP
        # does; an interrupted run's state stays its own, which its checkpoint resumes from.
        restore = state.best_theta is not None and state.bad_checks > 0
        restore = restore and stop_reason != "diverged"
        if restore:
            theta = state.best_theta
            if stop_reason in ("tol", "converged"):
                # the weights returned are the validation's best, not the optimum that the
                # tolerance found; judged by the gradient there they read as "stalled", and
                # the user was told to standardize features that already were
                stop_reason = "early_stopping"
        result = _finish(backend, config, solver.name, lr, state, theta, stop_reason, recorder)
        result.lipschitz = lip
        if restore:
            checks = state.history["iteration"]
            result.restored_iteration = int(checks[len(checks) - 1 - state.bad_checks])
            result.converged = result.converged and result.restored_iteration > 0
        # the course says a climbing cost in the lesson's words (course.optimize), and runs
        # the lesson's loop on whatever data it is given without comment
        if run_to_the_end:
            warn_if_unfinished(result, solver, config, backend)
        elif warn_if_the_start_was_kept(result, solver, config, backend):
            pass  # its own verdict: the others speak of weights that learned something
        elif warn_if_the_cost_never_moved(result, solver, config, backend):
            pass
        elif not warn_if_the_cost_climbed(result, solver, config, backend):
            warn_if_unfinished(result, solver, config, backend)
            warn_if_separated(result, config)
    for cb in callbacks:
        cb.on_end(result)
    return result


def _learning_rate(
    backend: Backend, config: TrainConfig, solver: Solver
) -> tuple[float | None, float | None]:
    """The step size a first-order solver uses (and L when "auto" computed it)."""
    if not solver.uses_learning_rate:
        return None, None
    if config.learning_rate != "auto":
        return float(config.learning_rate), None
    if solver.auto_rate is not None:
        return solver.auto_rate, None
    lip = lipschitz(backend, config.alpha)
    stuck = no_usable_step(backend, config.alpha, lip)
    if stuck is not None:
        raise UsageError(f"learning_rate='auto' has no usable value: {stuck}.")
    return 1.0 / lip, lip


def _initial_state(
    backend: Backend, config: TrainConfig, solver: Solver, init: tuple[NDArray, float] | None
) -> TrainState:
    theta = np.zeros(solvers.theta_shape(backend), dtype=backend.dtype)
    if init is not None and not backend.coefficient_space:  # coefficient space starts at 0
        theta[:-1] = init[0]
        theta[-1] = init[1]
    opt_state = solver.optimizer(config).init(theta) if solver.optimizer is not None else None
    rng_state = None
    if solver.minibatches:
        rng_state = np.random.default_rng(config.random_state).bit_generator.state
    return TrainState(
        theta, opt_state, 0, rng_state, Records(), coefficients=backend.coefficient_space
    )


def _weights_of(backend: Backend, state: TrainState) -> tuple[NDArray, float | NDArray]:
    """(w, b) of a state: θ's own split, or w mapped back from the span's β."""
    w, b = split(state.theta)
    return (backend.to_weights(w) if state.coefficients else w.copy()), b


def _weights_norm(w_grad: NDArray, grad: NDArray) -> float:
    """max |∂J/∂(w, b)|: w's gradient as mapped back, b's (one bias, or K) from θ's."""
    return max(float(np.max(np.abs(w_grad), initial=0.0)), float(np.max(np.abs(grad[-1]))))


def _use_coefficient_space(
    backend: Backend,
    config: TrainConfig,
    solver: Solver,
    init: tuple[NDArray, float] | None,
    resume: TrainState | None,
) -> bool:
    """The wide-data shortcut (see :mod:`lrnn.backends.gram_backend`) applies to solvers
    linear in the gradient, from w = 0, on in-memory data with many more features than
    examples. With tol > 0 the stop is on the gradient in w-space, which the view tests from
    ‖Xᵀg‖₂ bounds (a pass only where they do not decide) where its backend says it can
    (``tol_in_span``); elsewhere the ordinary path runs. Newton runs there with alpha > 0 and
    any tol (see :mod:`lrnn.backends.gram_newton`)."""
    from lrnn.backends import gram_backend, gram_newton

    if resume is not None:
        return resume.coefficients
    if solver.newton_span:
        return (
            hasattr(backend, "newton_view")
            and (init is None or (not np.any(init[0]) and init[1] == 0))
            and gram_newton.worthwhile(backend.n_samples, backend.n_features, config.alpha)
        )
    return (
        solver.coefficient_space
        and hasattr(backend, "coefficient_view")
        and (config.tol == 0 or getattr(backend, "tol_in_span", False))
        and (init is None or not np.any(init[0]))
        and (init is None or init[1] == 0)
        and gram_backend.worthwhile(backend.n_samples, backend.n_features, config.max_iter)
    )


def _run_loop(
    backend: Backend,
    config: TrainConfig,
    guard: bool,
    stepper: Stepper,
    state: TrainState,
    recorder: Recorder,
    rising_too: bool = True,
) -> tuple[TrainState, str]:
    evaluation = None  # a step that already evaluated its new point hands it over
    # Between two records, with no one looking at each iteration, plain gd may run its steps
    # in one backend call (see solvers.Stepper.descend); where that call declines, the loop
    # takes the steps one by one up to the next record.
    descend = stepper.descend if recorder.unwatched(guard) else None
    stepwise_until = 0
    while state.iteration < config.max_iter:
        i = state.iteration
        if evaluation is None and descend is not None and i >= stepwise_until:
            to_record = config.record_every - i % config.record_every
            if to_record < config.record_every:  # i itself is recorded by the check below
                steps = min(to_record, config.max_iter - i)
                descended = descend(state, steps)
                if descended is not None:
                    state, recorder.last_grad = descended
                    continue
                stepwise_until = i + steps
        if evaluation is None:
            evaluation = backend.evaluate(state.theta, config.alpha)
        cost, grad, data = evaluation
        state, stop = recorder.check(state, cost, grad, data, stepper.learning_rate_at(i))
        if stop is not None:
            return state, stop
        watch = (
            _divergence_check(backend, config, stepper, state, cost, rising_too) if guard else {}
        )
        advance = stepper.advance(state, cost, grad)
        if advance.at_optimum:
            return state, "converged"
        evaluation = advance.evaluation
        state = state._replace(
            theta=advance.theta,
            opt_state=advance.opt_state,
            rng_state=advance.rng_state,
            iteration=i + 1,
            **watch,
        )
        if recorder.interrupted(state):
            return state, "interrupted"
    return state, "max_iter"


# --------------------------------------------------------------------------------------------
# Recording and stopping: one recorder for every driver
# --------------------------------------------------------------------------------------------
#: gd is declared diverged when the cost climbs this far above the lowest cost seen so far.
BLOW_UP_FACTOR = 100.0

#: below this mean loss with every example right and alpha = 0, the data is called separated.
SEPARATED_LOSS = 1e-4


class Recorder:
    """What happens at every evaluated iterate, whoever drives: refuse non-finite values,
    record history (every ``record_every``), watch the validation loss, and say when to stop
    (early stopping, tol, separated data). Keeps the last gradient for the result."""

    def __init__(
        self,
        backend: Backend,
        config: TrainConfig,
        solver: str,
        validation: Backend | None,
        callbacks: Sequence[Callback],
        grad_norms: bool = True,
        stops_early: bool = True,
        keeps_last_grad: bool = True,
    ) -> None:
        self.backend, self.config, self.solver = backend, config, solver
        self.keeps_last_grad = keeps_last_grad  # whether the result carries it (mapped to w)
        self.validation, self.callbacks = validation, callbacks
        self.grad_norms = grad_norms
        #: False for the lesson's functions, whose loop runs every iteration: no stop on
        #: separated data, nor where the gradient is exactly 0 (the steps then change nothing)
        self.stops_early = stops_early
        self.last_grad: NDArray | None = None
        #: (θ, (cost, grad, data)) of the last check: _finish reuses it when θ is the result's
        self.last_evaluation: tuple[NDArray, tuple] | None = None
        # unwatched runs in the span map the rows' gradients to w at the end, in batches
        unwatched = not callbacks and validation is None
        batches = getattr(backend, "to_weights_many", None) is not None
        self.deferred: list[tuple[int, NDArray]] | None = [] if batches and unwatched else None

    def settle(self, history: Records, vectors: Sequence[NDArray] = ()) -> list[NDArray]:
        """Fill in the deferred rows' gradient norms; returns ``vectors`` mapped to weights
        (in the same product when the backend batches them)."""
        many = getattr(self.backend, "to_weights_many", None)
        batched = list(vectors) if getattr(self.backend, "vectors_in_batches", False) else []
        pending, self.deferred = self.deferred or [], None if self.deferred is None else []
        mapped = many([grad[:-1] for _, grad in pending] + batched) if many else []
        for (position, grad), w_grad in zip(pending, mapped, strict=False):
            history["grad_norm"][position] = _weights_norm(w_grad, grad)
        if batched:
            return mapped[len(pending) :]
        return [self.backend.to_weights(v) for v in vectors]

    def check(
        self,
        state: TrainState,
        cost: float,
        grad: NDArray,
        data: objective.DataPass,
        lr: float | None,
    ) -> tuple[TrainState, str | None]:
        config = self.config
        grad_norm = float(np.maximum.reduce(np.abs(grad), axis=None))  # NaN/inf if any is
        if not (math.isfinite(cost) and math.isfinite(grad_norm)):
            what = "cost" if not math.isfinite(cost) else "gradient"
            value = cost if not math.isfinite(cost) else "infinite"
            why = f"the {what} became {value} at iteration {state.iteration}"
            raise TrainingDiverged(
                diverged_message(self.backend, config, lr, why),
                _partial_result(self.backend, state, self.solver, lr, self),
                reason=why,
            )
        self.last_grad = grad  # never changed in place; split into (dw, db) by _finish
        self.last_evaluation = (state.theta, (cost, grad, data))
        recorded = state.history.get("iteration", ())
        # A resumed run that had already stopped here (at tol) checks this iterate again: its
        # row is in the history already.
        if state.iteration % config.record_every == 0 and not (
            recorded and recorded[-1] == state.iteration
        ):
            row = self._row(state, cost, data, grad, lr, grad_norm)
            state.history.append(row)
            for cb in self.callbacks:
                cb.on_record(row)
            if config.early_stopping and self.validation is not None:
                state = _early_stopping_check(state, row["val_loss"])
                if state.bad_checks >= config.n_iter_no_change:
                    return state, "early_stopping"
        separated = data.accuracy == 1.0 and data.loss <= SEPARATED_LOSS
        if grad_norm == 0 and self.stops_early and (separated or config.tol == 0):
            # exactly 0: no step moves the weights. Separated data whose every σ saturated (a
            # rate 10⁵ × 2/L), or an exact optimum: "the gradient fell below --tol 0" was said
            return state, "separable" if separated and config.alpha == 0 else "converged"
        at_most = getattr(self.backend, "gradient_at_most", None)  # Newton on the span
        if at_most is not None and config.tol > 0:  # the primal gradient decides
            if at_most(grad, config.tol):
                return state, "tol"
        elif grad_norm <= config.tol and (config.tol > 0 or self.stops_early):
            return state, "tol"
        if self.stops_early and config.alpha == 0 and separated:
            # Perfectly separable data has no minimiser when alpha = 0 (J → 0 as ‖w‖ → ∞):
            # stop once every example is right with a tiny loss instead of chasing infinity.
            return state, "separable"
        return state, None

    def unwatched(self, guard: bool) -> bool:
        """Whether the steps between two records need none of :meth:`check`'s per-iteration
        work: no callbacks, no divergence guard, no stop on separated data, tol = 0 (whose
        stop, an exactly zero gradient, the backend's descent reports itself)."""
        config = self.config
        separable_stop = self.stops_early and config.alpha == 0
        return not (self.callbacks or guard or config.tol > 0 or separable_stop)

    def interrupted(self, state: TrainState) -> bool:
        if not self.callbacks:  # asked at every iteration
            return False
        return any([bool(cb.on_step(state)) for cb in self.callbacks])

    def _row(
        self,
        state: TrainState,
        cost: float,
        data: objective.DataPass,
        grad: NDArray,
        lr: float | None,
        grad_norm: float,
    ) -> dict[str, float]:
        if not self.grad_norms:
            grad_norm = math.nan
        elif self.deferred is not None:  # filled in by settle()
            self.deferred.append((len(state.history.get("iteration", ())), grad))
            grad_norm = math.nan
        elif self.backend.coefficient_space:  # β's gradient is not w's: O(nm), rare
            many = getattr(self.backend, "to_weights_many", None)  # the bits settle() gives
            w_grad = self.backend.to_weights(grad[:-1]) if many is None else many([grad[:-1]])[0]
            grad_norm = _weights_norm(w_grad, grad)
        row = {
            "iteration": state.iteration,
            "cost": cost,
            "loss": data.loss,
            "accuracy": data.accuracy,
            "grad_norm": grad_norm,  # max |∂J| over w and b
            "learning_rate": math.nan if lr is None else float(lr),
        }
        if self.validation is not None:
            w = self.backend.to_weights(state.theta[:-1])
            val = self.validation.data_pass(w, split(state.theta)[1])
            row["val_loss"] = val.loss
            row["val_accuracy"] = val.accuracy
        return row


def _divergence_check(
    backend: Backend,
    config: TrainConfig,
    stepper: Stepper,
    state: TrainState,
    cost: float,
    rising_too: bool = True,
) -> dict[str, float]:
    """Stop gd that overshoots, without stopping the lesson's own runs (``rising_too=False``:
    momentum and Adam, whose cost may rise for a while on the way down, stop on the climb far
    above the lowest cost alone).

    Logistic regression forgives a step above 2/L: the curvature is largest at w = 0 and
    shrinks as the neuron grows confident, so the lesson's lr = 0.005 and 0.01 on the cat data
    oscillate for a hundred iterations and then converge. Real divergence shows as a cost that
    climbs far above its lowest value, or rises iteration after iteration without a break.
    A rise within the rounding of J in the data's precision is not one: at the optimum of
    float32 data the cost wanders by its last bits, and ten such wobbles are no divergence.
    """
    noise = solvers.cost_rounding(state.previous_cost, backend.dtype)
    rising = state.rising + 1 if cost > state.previous_cost + noise else 0
    why = None
    if cost > BLOW_UP_FACTOR * state.lowest_cost:
        why = (
            f"the cost jumped to {cost:.6g}, over {BLOW_UP_FACTOR:g}× its lowest value "
            f"{state.lowest_cost:.6g}, at iteration {state.iteration}"
        )
    elif rising_too and rising >= config.divergence_patience:
        why = f"the cost rose {rising} iterations in a row, to {cost:.6g}"
    if why is not None:
        lr = stepper.learning_rate_at(state.iteration)
        partial = _partial_result(backend, state, config.solver, lr)
        partial.extras["diverged_at"] = (state.iteration, cost)  # where it went: for curves
        raise TrainingDiverged(diverged_message(backend, config, lr, why), partial, reason=why)
    return {"rising": rising, "previous_cost": cost, "lowest_cost": min(cost, state.lowest_cost)}


def _early_stopping_check(state: TrainState, val_loss: float) -> TrainState:
    if not math.isfinite(state.best_score) or val_loss < state.best_score - 1e-7 * abs(
        state.best_score
    ):
        return state._replace(best_theta=state.theta.copy(), best_score=val_loss, bad_checks=0)
    return state._replace(bad_checks=state.bad_checks + 1)


def _finish(
    backend: Backend,
    config: TrainConfig,
    solver: str,
    lr: float | None,
    state: TrainState,
    theta: NDArray,
    stop_reason: str,
    recorder: Recorder,
) -> TrainResult:
    """The result, with its verdict measured on the full gradient at the returned weights."""
    checked = recorder.last_evaluation
    if checked is not None and checked[0] is theta:  # the loop stopped where it last evaluated
        cost, grad, data = checked[1]
    else:
        cost, grad, data = backend.evaluate(theta, config.alpha)
    last = recorder.last_grad if recorder.keeps_last_grad else None
    # in the span each vector mapped back to w is a pass over X: map only those that are read
    measured = recorder.grad_norms or stop_reason in ("tol", "converged")
    wanted = (grad[:-1] if measured else None, theta[:-1], None if last is None else last[:-1])
    mapped = iter(recorder.settle(state.history, [v for v in wanted if v is not None]))
    grad_norm = _weights_norm(next(mapped), grad) if measured else math.nan
    w = next(mapped)
    last_grad = None if last is None else (next(mapped), split(last)[1])
    if stop_reason in ("tol", "converged") and not stationary_enough(
        grad_norm, cost, config.tol, backend.dtype
    ):
        stop_reason = "stalled"
    return TrainResult(
        w=w,
        b=split(theta)[1],
        n_iter=state.iteration,
        history=state.history,
        converged=stop_reason in ("tol", "early_stopping", "converged"),
        stop_reason=stop_reason,
        solver=solver,
        learning_rate=lr,
        final_cost=cost,
        final_accuracy=data.accuracy,
        last_grad=last_grad,
        state=state,
        grad_norm=grad_norm,
    )


def _partial_result(
    backend: Backend,
    state: TrainState,
    solver: str,
    lr: float | None,
    recorder: Recorder | None = None,
) -> TrainResult:
    """What a diverged run still has: its last finite parameters and its history."""
    if recorder is not None:
        recorder.settle(state.history)
    costs = state.history.get("cost", [math.nan])
    return TrainResult(
        w=backend.to_weights(state.theta[:-1]),
        b=split(state.theta)[1],
        n_iter=state.iteration,
        history=state.history,
        converged=False,
        stop_reason="diverged",
        solver=solver,
        learning_rate=lr,
        final_cost=costs[-1],
        final_accuracy=math.nan,
        state=state,
    )


__all__ = [
    "Callback",
    "Records",
    "Recorder",
    "TrainConfig",
    "TrainResult",
    "TrainState",
    "lipschitz",
    "solver_for",
    "train",
]
