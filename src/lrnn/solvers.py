"""The solver registry: each solver is one entry saying what it needs.

An entry names the first-order update it uses (an :mod:`lrnn.optim` pair), whether an
iteration is an epoch of mini-batches, whether it guards against divergence, whether it may run
in the span of the examples (the wide-data shortcut), what ``learning_rate="auto"`` means for
it, how often the CLI records it, and — for the second-order solvers — the step or driver that
replaces the plain update. The training loop (:mod:`lrnn.train`) asks these questions of the
entry and never compares solver names; ``"auto"``'s choice lives here too. Adding a solver is
one entry here and one row in the optimiser or solver table test.

Every step receives the :class:`~lrnn.backends.Backend` (one pass over the data per call) and
returns an :class:`Advance`; the loop owns recording, stopping and checkpoints.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from lrnn import optim
from lrnn.errors import UsageError

if TYPE_CHECKING:
    from lrnn.backends import Backend
    from lrnn.config import TrainConfig
    from lrnn.train import TrainState

#: sgd's step stays near its initial value for about this many epochs, then decays as 1/√t.
SGD_DECAY_EPOCHS = 50

#: Newton forms the exact (n+1)² Hessian only for at most this many parameters, and only when
#: that costs at most EXACT_HESSIAN_WORK multiply-adds (m·(n+1)²); otherwise it runs conjugate
#: gradients on Hessian-vector products, one pass over X each. Measured: on 200,000 × 500 the
#: exact Hessian made Newton 30× slower than Newton–CG (BENCHMARKS.md, time_to_optimum).
EXACT_HESSIAN_MAX = 1000
EXACT_HESSIAN_WORK = 100_000_000

#: A softmax layer whose data and parameters multiply to at most this many (m·(n+1)·K) runs
#: Newton–CG under ``auto``: per-iteration overhead dominates there, and Newton's few
#: iterations beat L-BFGS's many. Measured (K-class crossover, BENCHMARKS.md multiclass):
#: digits10 (1.2e6) Newton 0.052–0.072 s vs L-BFGS 0.058–0.084 s in three runs; 5,000 × 300 ×
#: 5 (7.5e6) even; 20,000 × 100 × 10 (2e7) and 200,000 × 500 × 10 (1e9) L-BFGS faster.
SMALL_LAYER_WORK = 4_000_000

#: Adam's step is in parameter units, not curvature units: its "auto" is this fixed rate.
ADAM_AUTO_RATE = 0.01


def exact_hessian_is_cheap(n_samples: int, n_features: int) -> bool:
    return (
        n_features + 1 <= EXACT_HESSIAN_MAX
        and n_samples * (n_features + 1) ** 2 <= EXACT_HESSIAN_WORK
    )


class Advance(NamedTuple):
    """What one iteration of a solver produced."""

    theta: NDArray
    opt_state: Any = None
    rng_state: dict | None = None
    at_optimum: bool = False  # nothing left to gain at this precision (Newton)
    evaluation: Any = None  # (cost, grad, data) at ``theta`` when the step already computed it


class Stepper(NamedTuple):
    """A solver bound to one run: how to advance, and the learning rate used at an iteration."""

    advance: Callable[[Any, float, NDArray], Advance]  # (state, cost, grad) → Advance
    learning_rate_at: Callable[[int], float | None]
    #: (state, steps) → (state after that many unrecorded steps, their last gradient), or None
    #: when the loop must take them one by one; see :func:`_plain_descent`.
    descend: Callable[[Any, int], tuple[Any, NDArray] | None] | None = None


@dataclass(frozen=True)
class Solver:
    """What one solver needs from the loop (see the module docstring)."""

    name: str
    summary: str
    #: builds the first-order update pair from the config; None for second-order solvers.
    optimizer: Callable[[TrainConfig], optim.Optimizer] | None = None
    minibatches: bool = False
    #: stop with TrainingDiverged when the cost climbs far above its lowest value, or rises
    #: iteration after iteration (gd); ``blow_up_guard``: on the climb alone (momentum and
    #: Adam rise for a while by design; a mini-batch cost is too noisy for either)
    divergence_guard: bool = False
    blow_up_guard: bool = False
    #: linear in the gradient, so it may run in the span of the examples (wide data).
    coefficient_space: bool = False
    #: θ ← θ − lr·∇J at a constant rate: a backend may run many such steps in one call.
    plain_steps: bool = False
    #: Newton: with alpha > 0 it may run on the m coefficients of the span instead (wide data,
    #: :mod:`lrnn.backends.gram_newton`).
    newton_span: bool = False
    #: learning_rate="auto": None = 1/L from the curvature bound, a number = that rate.
    auto_rate: float | None = None
    #: second-order solvers finish in tens of iterations: each is worth a row of history.
    record_every_iteration: bool = False
    #: builds this solver's step; None = the plain first-order update.
    step: Callable[[Backend, TrainConfig, float | None], Stepper] | None = None
    #: runs the whole optimisation itself (scipy's L-BFGS), calling the loop's recorder.
    driver: Callable[..., Any] | None = None
    #: imports scipy (whose OpenBLAS must be loaded before BLAS threads are limited).
    needs_scipy: bool = False

    @property
    def uses_learning_rate(self) -> bool:
        return self.optimizer is not None

    def stepper(self, backend: Backend, config: TrainConfig, lr: float | None) -> Stepper:
        if self.step is not None:
            return self.step(backend, config, lr)
        stepper = _first_order_stepper(self.optimizer(config), lr)
        if self.plain_steps and getattr(backend, "descend", None) is not None:
            stepper = stepper._replace(descend=_plain_descent(backend, config.alpha, lr))
        return stepper


# --------------------------------------------------------------------------------------------
# First-order steps
# --------------------------------------------------------------------------------------------
def _first_order_stepper(opt: optim.Optimizer, lr: float | None) -> Stepper:
    def advance(state: Any, cost: float, grad: NDArray) -> Advance:
        step, opt_state = opt.update(grad, state.opt_state, state.theta, lr)
        return Advance(state.theta + step, opt_state)

    return Stepper(advance, lambda iteration: lr)


def _plain_descent(
    backend: Backend, alpha: float, lr: float | None
) -> Callable[[Any, int], tuple[Any, NDArray] | None]:
    """Many gd steps in one backend call (:meth:`GramBackend.descend`): the lesson's 2000
    iterations on 209 coefficients cost more in the loop's bookkeeping than in arithmetic."""

    def descend(state: Any, steps: int) -> tuple[Any, NDArray] | None:
        done = backend.descend(state.theta, lr, alpha, steps)
        if done is None:
            return None
        theta, last_grad = done
        counted = state.opt_state._replace(count=state.opt_state.count + steps)  # optim.gd's
        return state._replace(
            theta=theta, opt_state=counted, iteration=state.iteration + steps
        ), last_grad

    return descend


def _weight_sum(backend: Any) -> float | None:
    """Σs of a backend's examples (numpy or torch weights), None when it is unweighted."""
    s = getattr(backend, "sample_weight", None)
    return None if s is None else float(s.sum())


def _sgd_stepper(backend: Backend, config: TrainConfig, lr: float | None) -> Stepper:
    """One iteration = one epoch of shuffled mini-batches, the step decaying as 1/√t.

    A batch backend averages over its own weights (Σ_B s ℓ / Σ_B s), which would cancel the
    weights (exactly so for batches of one). The unbiased estimate of J's gradient is the
    batch's weighted sum over |B|·s̄ (s̄ the mean weight of all examples): the batch's data
    gradient times Σ_B s/(|B|·s̄), the penalty added after. A batch whose weights are all 0
    has nothing to step on and is skipped (its step of the schedule still passes)."""
    opt = optim.gd()
    batches_per_epoch = math.ceil(backend.n_samples / config.batch_size)
    schedule = optim.inverse_sqrt_schedule(lr, SGD_DECAY_EPOCHS * batches_per_epoch)
    total = _weight_sum(backend)
    mean_weight = None if total is None else total / backend.n_samples

    def batch_gradient(batch: Any, theta: NDArray) -> NDArray | None:
        if mean_weight is None:
            return batch.evaluate(theta, config.alpha)[1]
        batch_total = _weight_sum(batch)
        if not batch_total:
            return None
        grad = batch.evaluate(theta, 0.0)[1]
        grad *= grad.dtype.type(batch_total / (batch.n_samples * mean_weight))
        if config.alpha:
            grad[:-1] += grad.dtype.type(config.alpha) * theta[:-1]
        return grad

    def advance(state: Any, cost: float, grad: NDArray) -> Advance:
        rng = np.random.Generator(np.random.PCG64())
        rng.bit_generator.state = state.rng_state
        theta, opt_state = state.theta, state.opt_state
        step_count = state.iteration * batches_per_epoch
        for batch in backend.minibatches(rng, config.batch_size):
            batch_grad = batch_gradient(batch, theta)
            if batch_grad is not None:
                step, opt_state = opt.update(batch_grad, opt_state, theta, schedule(step_count))
                theta = theta + step
            step_count += 1
        return Advance(theta, opt_state, rng.bit_generator.state)

    return Stepper(advance, lambda iteration: schedule(iteration * batches_per_epoch))


# --------------------------------------------------------------------------------------------
# Newton: exact Hessian (Cholesky) when cheap, else conjugate gradients; Armijo line search
# --------------------------------------------------------------------------------------------
def _newton_direction(
    backend: Backend, config: TrainConfig, theta: NDArray, grad: NDArray, tighter: bool = False
) -> tuple[NDArray, bool]:
    """The Newton direction, and whether a tighter solve (``tighter=True``) would give another.

    CG solves on sparse rows are loose (:func:`_forcing`); ``tighter`` asks for the close solve
    that the step falls back to when the loose one's step no longer lowers J.
    """
    from lrnn.backends import split

    w, b = split(theta)
    size, penalised = theta.size, slice(0, theta.size - theta[-1].size)  # W first, b last
    if exact_hessian_is_cheap(backend.n_samples, size - 1):
        H = np.ascontiguousarray(backend.hessian(w, b))
        diagonal = H.reshape(-1)[:: size + 1]  # a view: cheaper than fancy indexing or einsum
        diagonal[penalised] += config.alpha
        # A tiny ridge keeps H positive definite on separable or rank-deficient data; relative
        # to each entry, so that it is the same on any column scale (one ridge for all, from
        # the mean curvature, outweighed the curvature of a column of 1e-4's a thousandfold
        # beside one of 1e4's: Newton crawled there as gradient descent does, and stopped at
        # tol twice the optimum's cost). A column without curvature gets the old floor.
        floor = 1e-12 * max(1.0, float(np.add.reduce(diagonal)) / size)
        diagonal *= 1.0 + 1e-12  # in place: a where() cost 3 µs a step
        if not diagonal.all():
            diagonal[diagonal == 0] = floor
        # LAPACK's Cholesky directly: scipy.linalg's wrappers cost more than the solve itself
        # at these sizes (a tenth of a millisecond per call, tens of calls per fit).
        from scipy.linalg import lapack

        g = grad.astype(np.float64).reshape(-1)
        factor, info = lapack.dpotrf(H, lower=False, clean=False)
        if info == 0:
            direction, info = lapack.dpotrs(factor, g, lower=False)
            if info == 0:  # NaN from an overflowed H makes the slope NaN: −∇J then
                return -direction.reshape(theta.shape), False
        if not np.isfinite(H).all():  # curvature overflowed (huge features): steepest descent
            return -grad.astype(np.float64), False
        return -np.linalg.lstsq(H, g, rcond=None)[0].reshape(theta.shape), False
    g = grad.astype(np.float64).reshape(-1)
    norm = float(np.linalg.norm(g))
    inverse = _inverse_preconditioner(backend, config, w, b)
    forcing = _forcing(norm, config.tol, inverse is not None, tighter)
    can_tighten = not tighter and _forcing(norm, config.tol, inverse is not None, True) < forcing
    maxiter = max(20, min(size, 200))
    compiled = getattr(backend, "newton_cg", None)  # the same iteration, compiled
    if compiled is not None:
        direction = compiled(w, b, grad, config.alpha, forcing, maxiter, inverse)
        if direction is not None:
            return direction, can_tighten
    from scipy.sparse.linalg import LinearOperator, cg

    product = backend.hessian_product_at(w, b)

    def matvec(v: NDArray) -> NDArray:
        v = v.reshape(theta.shape)
        vw = v[:-1].astype(backend.dtype)
        hw, hb = product(vw, split(v)[1])
        out = np.empty(theta.shape)
        out[:-1] = hw + config.alpha * vw
        out[-1] = hb
        return out.reshape(-1)

    operator = LinearOperator((size, size), matvec=matvec, dtype=np.float64)
    M = None if inverse is None else LinearOperator((size, size), matvec=lambda v: inverse * v)
    direction, _ = cg(operator, -g, rtol=forcing, maxiter=maxiter, M=M)
    return direction.reshape(theta.shape), can_tighten


def kept_state(solver: Solver, config: TrainConfig, theta: NDArray) -> type | None:
    """The kind of optimiser state this solver carries from step to step (None: none that a
    resumed run must bring; Newton keeps none, L-BFGS's memory may start empty)."""
    if solver.optimizer is None:
        return None
    return type(solver.optimizer(config).init(theta))


def _without_class_shift(direction: NDArray, weights_penalised: bool) -> NDArray:
    """A softmax layer's Newton direction with its shift along every class taken out.

    Adding one constant to every class's bias (and, without a penalty, to every class's
    weight for a feature) changes no probability: the Hessian is singular along it, and the
    tiny ridge that keeps it invertible lets rounding noise grow there — the biases came out
    shifted by a different constant on every fit (their sum 1.8e-4 on iris, where gradient
    methods and scikit-learn keep it at 0), so decision_function differed between equivalent
    fits. The exact direction has no such shift (the gradient's class sums are zero), so this
    removes only noise. A sigmoid neuron's direction is returned as it is."""
    if direction.ndim != 2:
        return direction
    direction = np.array(direction, dtype=np.float64)
    direction[-1] -= direction[-1].mean()
    if not weights_penalised:  # β rows in the span are always penalised
        direction[:-1] -= direction[:-1].mean(axis=1, keepdims=True)
    return direction


def _forcing(norm: float, tol: float, preconditioned: bool, tighter: bool) -> float:
    """How exactly a step's system is solved: CG stops at ‖r‖ ≤ forcing·‖g‖.

    Eisenstat–Walker's √‖g‖ gives superlinear convergence, and is the rule without a
    preconditioner. Preconditioned (sparse rows), the solves stay at liblinear's constant 0.1:
    on the text benchmark that took fewer Hessian products to the 1e-6 gap than √‖g‖ (alpha 1e-6:
    83 → 58 with the 1e-6 gap reached one tolerance decade earlier; alpha 1e-4: 25 → 23).
    Near the optimum a loose step can stop lowering J while the gradient is still above tol
    (max|∇J| ≈ 2e-9 against tol 1e-11 on columns spanning four decades); the step then asks
    for a ``tighter`` solve, min(√‖g‖, 0.1 × 1e-2). Never more exact than tol asks: near the
    optimum the step only has to bring the gradient under tol, and a CG residual of tol/2 leaves
    the new gradient about there.
    """
    base = math.sqrt(norm)
    if preconditioned:
        base = min(base, PRECONDITIONED_FORCING * 1e-2) if tighter else PRECONDITIONED_FORCING
    return min(0.5, max(base, 0.5 * tol / norm if norm > 0 else 0.0))


#: The preconditioner's share of the Hessian's diagonal D: M = αI + μ·D (μ = 1 is Jacobi's).
#: Liblinear's authors found a mix more robust than either end; μ = 0.1 was measured on lrnn's
#: two sparse benchmarks (BENCHMARKS.md, "sparse_time_to_optimum"): Hessian products to the
#: 1e-6 gap, Jacobi → mix, both with PRECONDITIONED_FORCING: text 36 → 24 (alpha 1e-4) and
#: 82 → 57 (1e-6); synthetic 200,000 × 100,000 25 → 18 and 29 → 27. Without the diagonal
#: (μ = 0) synthetic took 191 at 1e-6.
PRECONDITIONER_MIX = 0.1
#: The relative residual a preconditioned CG solve stops at, unless a close solve is asked for
#: (see _forcing).
PRECONDITIONED_FORCING = 0.1


def _inverse_preconditioner(backend: Backend, config: TrainConfig, w: NDArray, b: Any) -> Any:
    """1/(α + μ·diag H) for the weights and 1/(μ·H_bb) for the bias, for backends that offer
    the Hessian's diagonal (sparse rows: word counts' columns differ in scale by orders of
    magnitude); None otherwise."""
    diagonal = getattr(backend, "hessian_diagonal", None)
    if diagonal is None:
        return None
    hw, hb = diagonal(w, b)
    d = PRECONDITIONER_MIX * np.append(hw, hb)
    d[:-1] += config.alpha
    d[~(d > 0)] = 1.0  # an empty column without a penalty: leave that coordinate as it is
    return 1.0 / d


#: 8·eps of each dtype asked about: ``np.finfo`` costs microseconds a call, and gd's divergence
#: guard asks at every iteration (2000 of them in a default estimator fit).
_EIGHT_EPS: dict[np.dtype, float] = {}
_TINY = np.finfo(float).tiny


def cost_rounding(cost: float, dtype: np.dtype) -> float:
    """The smallest change of J that its floating-point value can show (a few ulps of J)."""
    eight_eps = _EIGHT_EPS.get(dtype)
    if eight_eps is None:
        eight_eps = _EIGHT_EPS[dtype] = 8 * np.finfo(dtype).eps
    return eight_eps * max(abs(cost), _TINY)


def ends_where_j_does(config: TrainConfig, dtype: Any) -> bool:
    """Whether a second-order run ends where J stops showing a step's decrease: without a
    tolerance, on float64 data. Asked for a tolerance, the gradient judges the steps J cannot
    show; on float32 data J (summed in float64) still shows decreases far below float32's
    eps, and judged by that eps a run stopped at max|∇J| 1e-5 (L-BFGS) or 5e-6 (Newton)
    where one given tol 1e-6 went on to 3e-7."""
    return config.tol == 0 and np.dtype(dtype) == np.float64


def _within_rounding(evaluation: tuple, cost: float, grad: NDArray) -> bool:
    """Whether a close Newton step is right though J cannot show it: J rose by no more than
    its rounding, and the gradient fell. Near the optimum J changes by about gᵀH⁻¹g, which
    falls below J's last bits while the gradient is still above tol."""
    return bool(
        evaluation[0] <= cost + cost_rounding(cost, grad.dtype)
        and np.max(np.abs(evaluation[1])) < np.max(np.abs(grad))
    )


def _newton_stepper(backend: Backend, config: TrainConfig, lr: float | None) -> Stepper:
    """A Newton step with Armijo backtracking (sufficient decrease), so it does not go uphill
    beyond J's rounding.

    Also says whether the optimum is reached to the working precision: the Newton decrement
    gᵀH⁻¹g estimates 2(J − J*), and once it is below the rounding of J no step can help —
    unless the direction came from a loose CG solve; then the system is solved closely once,
    and that step, if J cannot judge it, is taken when J stays within its rounding and the
    gradient falls (:func:`_within_rounding`). The pass evaluated at the accepted point goes
    back to the loop, which reuses it instead of reading the data again.
    """

    def advance(state: Any, cost: float, grad: NDArray) -> Advance:
        theta = state.theta
        tighter = False
        while True:
            if backend.coefficient_space:  # Newton on the span's coefficients (β, b)
                direction, slope = backend.newton_direction(theta, grad, config.alpha)
                direction = _without_class_shift(direction, weights_penalised=True)
                can_tighten = False
            else:
                direction, can_tighten = _newton_direction(backend, config, theta, grad, tighter)
                direction = _without_class_shift(direction, bool(config.alpha))
                slope = float(np.dot(grad.astype(np.float64).reshape(-1), direction.reshape(-1)))
            if not slope < 0:  # not a descent direction (numerical trouble): fall back to −∇J
                flat = grad.reshape(-1)
                direction, slope = -grad.astype(np.float64), -float(np.dot(flat, flat))
                if backend.coefficient_space:
                    slope = backend.slope(grad, direction)
            # The predicted decrease is below J's rounding, or no step lowers J: the optimum
            # to working precision — unless a loose solve is to blame; then solve closely, once.
            full = None  # the full step's evaluation
            if -slope > cost_rounding(cost, theta.dtype):
                step = 1.0
                for _ in range(40):
                    moved = direction if step == 1.0 else step * direction  # 1·p is p, exactly
                    candidate = (theta + moved).astype(theta.dtype, copy=False)
                    evaluation = backend.evaluate(candidate, config.alpha)
                    if evaluation[0] <= cost + 1e-4 * step * slope:
                        return Advance(candidate, evaluation=evaluation)
                    full = (candidate, evaluation) if full is None else full
                    step *= 0.5
            # a close step that J cannot judge (the close one asked for after a loose one, or
            # an exact solve where the run does not end with J): the gradient does. Without
            # the second, float32 data stopped where J's last bits did (max|∇J| 3e-5 against
            # tol 1e-8, weights 6e-4 from the optimum that L-BFGS reached to 8e-7). On float64
            # data with tol 0 ("until no step lowers J") such steps would chase rounding noise.
            if tighter or (not can_tighten and not ends_where_j_does(config, theta.dtype)):
                if full is None:
                    candidate = (theta + direction).astype(theta.dtype, copy=False)
                    full = (candidate, backend.evaluate(candidate, config.alpha))
                if _within_rounding(full[1], cost, grad):
                    return Advance(full[0], evaluation=full[1])
            if not can_tighten:
                return Advance(theta, at_optimum=True)
            tighter = True

    return Stepper(advance, lambda iteration: None)


def _lbfgs_stepper(backend: Backend, config: TrainConfig, lr: float | None) -> Stepper:
    """lrnn's own L-BFGS (:mod:`lrnn.lbfgs`), imported when used."""
    from lrnn import lbfgs

    return lbfgs.stepper(backend, config, lr)


# --------------------------------------------------------------------------------------------
# L-BFGS: scipy drives, fed by the same pass; the loop's recorder sees every iterate
# --------------------------------------------------------------------------------------------
def run_lbfgs(backend: Backend, config: TrainConfig, state: Any, recorder: Any) -> Any:
    """Minimise with scipy's L-BFGS-B; returns (state, stop reason).

    ``recorder.check(state, cost, grad, data, lr)`` — the same one the loop calls — records
    each accepted iterate and says when to stop; scipy's own stops are translated by
    :func:`_scipy_stop_reason`.
    """
    from scipy.optimize import minimize

    dtype, shape = backend.dtype, state.theta.shape  # scipy sees θ flat (softmax: (n+1)·K)
    cache: dict[str, Any] = {}

    def fun(x: NDArray) -> tuple[float, NDArray]:
        cost, grad, data = backend.evaluate(x.astype(dtype).reshape(shape), config.alpha)
        cache.update(x=x.copy(), cost=cost, grad=grad, data=data)
        return cost, grad.astype(np.float64).reshape(-1)

    progress: dict[str, Any] = {"state": state, "stop": None}

    def at(x: NDArray, iteration: int, stepped: bool = True) -> bool:
        if cache.get("x") is None or not np.array_equal(cache["x"], x):
            fun(x)
        theta = x.astype(dtype).reshape(shape)
        current = progress["state"]._replace(theta=theta, iteration=iteration)
        # on_step follows each step, before its iterate is checked, as in the loop (it was after)
        if stepped and recorder.interrupted(current):
            return progress.update(state=current, stop="interrupted") or True
        current, stop = recorder.check(current, cache["cost"], cache["grad"], cache["data"], None)
        progress.update(state=current, stop=stop)
        return stop is not None

    def callback(intermediate_result: Any) -> None:
        if at(intermediate_result.x, progress["state"].iteration + 1):
            raise StopIteration

    x0 = state.theta.astype(np.float64).reshape(-1)
    if not at(x0, state.iteration, stepped=False) and state.iteration < config.max_iter:
        res = minimize(
            fun,
            x0,
            jac=True,
            method="L-BFGS-B",
            callback=callback,
            options={
                "maxiter": config.max_iter - state.iteration,
                "gtol": config.tol,
                "ftol": 0.0 if config.tol == 0 else 64 * np.finfo(float).eps,
                "maxcor": 20,
                "maxls": 50,
            },
        )
        if progress["stop"] is None:
            progress["stop"] = _scipy_stop_reason(str(res.message))
        if progress["stop"] in ("tol", "converged", "max_iter", "max_fun", "stalled"):
            theta = res.x.astype(dtype).reshape(shape)
            progress["state"] = progress["state"]._replace(theta=theta)
    return progress["state"], progress["stop"]


#: scipy's L-BFGS-B messages, translated to lrnn's stop reasons. Its "relative reduction of f"
#: means no step lowers J further at this precision; whether the gradient agrees is checked
#: afterwards, on the full gradient (see lrnn.train's verdict).
_SCIPY_STOPS = (
    ("NORM OF PROJECTED GRADIENT", "tol"),
    ("PROJECTED GRADIENT IS SUFFICIENTLY SMALL", "tol"),
    ("RELATIVE REDUCTION OF F", "converged"),
    ("F,G EVALUATIONS EXCEEDS LIMIT", "max_fun"),
    ("ITERATIONS REACHED LIMIT", "max_iter"),
)


def _scipy_stop_reason(message: str) -> str:
    for needle, reason in _SCIPY_STOPS:
        if needle in message.upper():
            return reason
    return "stalled"  # abnormal line search, rounding errors: no progress, not an optimum


# --------------------------------------------------------------------------------------------
# The registry
# --------------------------------------------------------------------------------------------
REGISTRY: dict[str, Solver] = {
    s.name: s
    for s in (
        Solver(
            "gd",
            "the lesson's gradient descent",
            optimizer=lambda config: optim.gd(),
            divergence_guard=True,
            coefficient_space=True,
            plain_steps=True,
        ),
        Solver(
            "momentum",
            "heavy-ball momentum",
            optimizer=lambda config: optim.momentum(config.momentum),
            blow_up_guard=True,
            coefficient_space=True,
        ),
        Solver(
            "nesterov",
            "Nesterov momentum",
            optimizer=lambda config: optim.momentum(config.momentum, nesterov=True),
            blow_up_guard=True,
            coefficient_space=True,
        ),
        Solver(
            "adam",
            "Adam",
            optimizer=lambda config: optim.adam(),
            blow_up_guard=True,
            auto_rate=ADAM_AUTO_RATE,
        ),
        Solver(
            "sgd",
            "mini-batch gradient descent (an iteration is an epoch)",
            optimizer=lambda config: optim.gd(),
            minibatches=True,
            step=_sgd_stepper,
        ),
        Solver(
            "lbfgs",
            "L-BFGS (lrnn's own: its memory resumes exactly from a checkpoint)",
            record_every_iteration=True,
            step=_lbfgs_stepper,
        ),
        Solver(
            "lbfgs-scipy",
            "scipy's L-BFGS-B (its memory restarts on resume)",
            record_every_iteration=True,
            driver=run_lbfgs,
            needs_scipy=True,
        ),
        Solver(
            "newton",
            "Newton with a line search (exact Hessian when cheap or in the span of wide data, "
            "else conjugate gradients)",
            record_every_iteration=True,
            step=_newton_stepper,
            needs_scipy=True,
            newton_span=True,
        ),
        Solver(
            "auto",
            "Newton when its Hessian is cheap or on the span (wide data, alpha > 0), else "
            "Newton–CG (wide or sparse data) or L-BFGS (tall data)",
            record_every_iteration=True,
            needs_scipy=True,
        ),
    )
}

SOLVER_NAMES: tuple[str, ...] = tuple(REGISTRY)


def resolve(
    name: str, n_samples: int, n_features: int, sparse: bool = False, classes: int = 2
) -> Solver:
    """The solver that runs for ``name`` on data of this shape.

    ``auto``: Newton with the exact Hessian when forming it is cheap (few parameters: a
    handful of cheap steps); else Newton–CG when features outnumber examples and L-BFGS when
    examples do. Measured (BENCHMARKS.md, time_to_optimum): on the wide cat images L-BFGS took
    4.6× Newton–CG's time to the optimum; on 200,000 × 500 Newton–CG took 1.5× L-BFGS's.
    Wide data with alpha > 0 then runs Newton on the span's coefficients (the training loop
    decides, :mod:`lrnn.backends.gram_newton`): exact steps from an m × m Cholesky.
    ``sparse`` (a backend whose Hessian products are one walk over the stored values): Newton–CG
    for any shape; on 200,000 × 100,000 sparse rows L-BFGS took 2–4× its time
    (BENCHMARKS.md, sparse_time_to_optimum). A small softmax layer (``classes`` > 2, with
    ``n_features`` its parameter count): Newton–CG, see :data:`SMALL_LAYER_WORK`.
    """
    from lrnn.errors import UsageError

    if name not in REGISTRY:
        raise UsageError(f"solver={name!r} is unknown; choose one of {', '.join(SOLVER_NAMES)}.")
    if name != "auto":
        return REGISTRY[name]
    if exact_hessian_is_cheap(n_samples, n_features) or n_features >= n_samples or sparse:
        return REGISTRY["newton"]
    if classes > 2 and n_samples * (n_features + 1) <= SMALL_LAYER_WORK:
        return REGISTRY["newton"]
    return REGISTRY["lbfgs"]


def get(name: str) -> Solver:
    """The registry entry for ``name`` (``auto`` included, unresolved)."""
    return REGISTRY[name]


def theta_shape(backend: Backend) -> tuple[int, ...]:
    """θ's shape: (n + 1,) for the sigmoid neuron, (n + 1, K) for a softmax layer of K."""
    classes = getattr(backend, "n_classes", 2)
    return (backend.n_features + 1,) if classes <= 2 else (backend.n_features + 1, classes)


def check_resume(
    backend: Backend, config: TrainConfig, solver: Solver, resume: TrainState, shortcut: bool
) -> None:
    """Whether this run can continue ``resume``, said in one line when it cannot (the checkpoint
    file's own integrity is :mod:`lrnn.checkpoint`'s to check).

    The shape of θ must be this data's: n + 1 values (times K classes), or m + 1 for the span's
    coefficients (β, b). Those continue only where the span does: with a solver that runs
    there, on in-memory data with the view it needs; elsewhere β would be read as w (a raw
    shape error, or, with lbfgs, a silent run in the wrong coordinates). And a solver that
    keeps an optimiser's memory (momentum's velocity, Adam's moments) or a mini-batch stream
    needs the state to carry that kind."""
    shape = theta_shape(backend)
    if resume.coefficients:
        view = "newton_view" if solver.newton_span else "coefficient_view"
        span = solver.coefficient_space or solver.newton_span
        if not (shortcut and span and hasattr(backend, view)):
            names = [s.name for s in REGISTRY.values() if s.coefficient_space]
            names += [s.name for s in REGISTRY.values() if s.newton_span]
            raise UsageError(
                "this checkpoint holds the coefficients β of the wide-data shortcut (w = Xᵀβ), "
                f"which only that shortcut continues: with {', '.join(names)}, on the "
                "in-memory data it was made on (no --backend or --stream; from Python, "
                "shortcut=True). Or start again."
            )
        shape = (backend.n_samples + 1, *shape[1:])
    if resume.theta.shape != shape:
        raise UsageError(
            f"this checkpoint's parameters have shape {resume.theta.shape}, but the data here "
            f"needs {shape}: it was made on other data (another number of examples, features "
            "or classes); resume on the data it was made on, or start again."
        )
    kind = kept_state(solver, config, resume.theta)
    missing_stream = solver.minibatches and resume.rng_state is None
    if (kind is not None and not isinstance(resume.opt_state, kind)) or missing_stream:
        raise UsageError(
            f"this checkpoint was made by another solver than {solver.name} (it lacks the "
            f"{solver.name} solver's own state); resume with the solver that made it, or "
            "start again."
        )


__all__ = [
    "REGISTRY",
    "SOLVER_NAMES",
    "Advance",
    "Solver",
    "Stepper",
    "check_resume",
    "exact_hessian_is_cheap",
    "get",
    "resolve",
    "run_lbfgs",
    "theta_shape",
]
