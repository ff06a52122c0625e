"""lrnn's own L-BFGS: the compact-form BFGS update and a Wolfe line search, a step an iteration.

Why not scipy's L-BFGS-B: it keeps its memory inside Fortran, so a run that is checkpointed and
resumed starts again with an empty memory and ends on other bits; and it works in float64 on a
copy of θ. Here the memory (the last :data:`MEMORY` pairs s = θₖ₊₁ − θₖ, y = ∇Jₖ₊₁ − ∇Jₖ) is
part of the training state, so the loop's checkpoint stores it and a resumed run continues bit
for bit; each line search runs to its end inside one iteration, so no half-done search has to be
stored. The pairs and the products with them are in the data's dtype (float32 data: float32
vectors, half the memory traffic); the dot products that decide curvature (s·y, y·y, and the
line search's slopes ∇J·d) are taken in float64.

Every function evaluation is one call of ``backend.evaluate`` — one fused pass over the data —
and the pass at the accepted point goes back to the loop with the step, which records it
instead of reading the data again.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from lrnn.solvers import Advance, Stepper, ends_where_j_does

if TYPE_CHECKING:
    from lrnn.backends import Backend
    from lrnn.config import TrainConfig

#: pairs kept (scipy's driver keeps as many). Measured, passes to a 1e-6 relative gap: with 10
#: pairs breast_cancer took 31 iterations and cat 226, with 20 pairs 26 and 186; the memory is
#: 2·20 vectors like θ, small beside X.
MEMORY = 20
#: sufficient decrease (Armijo) and curvature (strong Wolfe) constants of the line search.
C1, C2 = 1e-4, 0.9
#: the first step (no pair yet, so no scale) searches closer to the minimum along −∇J: the
#: pair it leaves sets the scaling of every later step.
FIRST_C2 = 0.1
#: a zoom's trial keeps this fraction of the bracket's width away from both ends.
SAFEGUARD = 0.1
#: function evaluations one line search may spend before it gives up.
MAX_TRIALS = 25
#: no decrease of J by more than this fraction of J (float64 rounding) counts as progress when
#: a tolerance was given: the optimum is reached to working precision (scipy's factr, but
#: relative to J alone: scipy's max(|J|, 1) ends runs on J ≈ 0.06 before the gradient is small).
RELATIVE_DECREASE = 64 * np.finfo(np.float64).eps

Evaluation = tuple[float, NDArray, Any]  # (cost, gradient like θ, data pass)


class LBFGSState(NamedTuple):
    """The memory: ``s[i]``, ``y[i]`` in slot i; the newest pair is in slot (count − 1) % MEMORY.

    ``sy[i, j]`` = s[i]·y[j] and ``yy[i, j]`` = y[i]·y[j] (float64, slot order) are the inner
    products the compact form of the update needs; each new pair adds one row and column of
    them, so a direction costs a few matrix-vector products instead of a loop over the pairs.
    ``evaluations`` counts function evaluations (passes over the data) spent in line searches,
    for benchmarks and reports; it is data like the rest, so it survives a checkpoint too.
    A run writes its memory in place (copying 2·MEMORY vectors per step would double the
    solver's memory): the arrays a callback sees are current until the next step, which is
    when a checkpoint is written; a state given to ``train(resume=...)`` is copied, not
    changed."""

    s: NDArray  # (MEMORY, *θ.shape), the data's dtype
    y: NDArray
    count: int = 0  # pairs stored so far (slots in use: min(count, MEMORY))
    evaluations: int = 0
    sy: NDArray | None = None  # (MEMORY, MEMORY) float64; None only until with_products()
    yy: NDArray | None = None


def empty(theta: NDArray, memory: int | None = None) -> LBFGSState:
    """No pairs yet: room for ``memory`` (default :data:`MEMORY`) pairs like ``theta``."""
    pairs = memory or MEMORY
    zeros = np.zeros((pairs, *theta.shape), dtype=theta.dtype)
    products = np.zeros((pairs, pairs))
    return LBFGSState(zeros, zeros.copy(), 0, 0, products, products.copy())


def with_products(state: LBFGSState) -> LBFGSState:
    """The state with SᵀY and YᵀY formed from its pairs when it came without them (a checkpoint
    written before they were kept): the one place such a state is completed."""
    if state.sy is not None and state.yy is not None:
        return state
    S, Y = _flat64(state.s), _flat64(state.y)
    return state._replace(sy=S @ Y.T, yy=Y @ Y.T)


def owned_copy(state: LBFGSState) -> LBFGSState:
    """A copy that a run may write in place."""
    state = with_products(state)
    return state._replace(
        s=state.s.copy(), y=state.y.copy(), sy=state.sy.copy(), yy=state.yy.copy()
    )


def _dot(a: NDArray, b: NDArray) -> float:
    """a·b in float64 whatever the vectors' dtype (the numbers that decide curvature)."""
    a, b = a.reshape(-1), b.reshape(-1)
    if a.dtype != np.float64:
        a = a.astype(np.float64)
    if b.dtype != np.float64:
        b = b.astype(np.float64)
    return float(np.dot(a, b))


def _flat64(a: NDArray) -> NDArray:
    """(pairs, …) → (pairs, size) in float64 (a copy only for other dtypes)."""
    flat = a.reshape(a.shape[0], -1)
    return flat if flat.dtype == np.float64 else flat.astype(np.float64)


def direction(state: LBFGSState, grad: NDArray) -> NDArray:
    """−H·∇J, H the L-BFGS inverse-Hessian estimate (H₀ = γI with γ = s·y / y·y of the newest
    pair); −∇J itself while the memory is empty.

    The compact form of the BFGS update (Byrd, Nocedal and Schnabel, 1994) instead of the
    two-loop recursion: with the pairs in chronological order, R the upper triangle of SᵀY and
    D its diagonal, H∇J = γ∇J + Sᵀu − γYᵀr with r = R⁻¹(S∇J) and u = R⁻ᵀ((D + γYᵀY)r − γY∇J).
    SᵀY and YᵀY are kept in the state, so a direction is four products with the memory and
    two p × p triangular solves — a dozen NumPy calls instead of about 4p; on small data
    (569 × 30) the loop had cost more than the pass over the data. The products with the memory
    are in the data's dtype (float32 data keeps float32 vectors); the p × p algebra in float64.
    """
    count = state.count
    if not count:
        return -grad
    from scipy.linalg.lapack import dtrtrs  # scipy comes with the solvers

    memory = state.s.shape[0]
    used = min(count, memory)  # the ring fills slots 0, 1, … before it wraps
    S = state.s.reshape(memory, -1)[:used]
    Y = state.y.reshape(memory, -1)[:used]
    g = grad.reshape(-1)
    Sg, Yg = S @ g, Y @ g
    sy, yy = state.sy[:used, :used], state.yy[:used, :used]
    order = None
    if count > memory:  # wrapped: the oldest pair is in slot count % memory
        order = (count + np.arange(memory)) % memory
        sy, yy = sy[order[:, None], order], yy[order[:, None], order]
        Sg, Yg = Sg[order], Yg[order]
    gamma = float(sy[-1, -1]) / float(yy[-1, -1])
    r, info = dtrtrs(sy, Sg, lower=0)  # reads the upper triangle R only
    t = yy @ r
    t -= Yg
    t *= gamma
    t += sy.diagonal() * r
    u, info_t = dtrtrs(sy, t, lower=0, trans=1)
    if info or info_t:  # unreachable: remember() keeps only pairs with s·y > 0
        return -grad
    r *= -gamma
    if order is not None:  # back to slot order
        u[order], r[order] = u.copy(), r.copy()
    dtype = S.dtype
    out = g * dtype.type(gamma)
    out += u.astype(dtype) @ S
    out += r.astype(dtype) @ Y
    np.negative(out, out=out)
    return out.reshape(grad.shape)


def remember(state: LBFGSState, s: NDArray, y: NDArray, in_place: bool = False) -> LBFGSState:
    """The memory with (s, y) added, the oldest pair dropped when full; a pair whose
    curvature s·y is not safely positive (rounding, or a step the line search cut short)
    would break H's positive definiteness, so it is skipped. ``in_place`` writes into the
    state's arrays instead of copies (the stepper owns its memory: no 2·MEMORY vectors copied
    per iteration). The new pair's inner products with the pairs kept (a row and a column of
    SᵀY and of YᵀY) are taken in float64."""
    s64 = s.reshape(-1).astype(np.float64)
    y64 = y.reshape(-1).astype(np.float64)
    sy, yy = float(s64 @ y64), float(y64 @ y64)  # as _dot takes them
    if not (sy > np.finfo(s.dtype).eps * yy and math.isfinite(sy) and math.isfinite(yy)):
        return state
    slot = state.count % state.s.shape[0]
    S, Y, SY, YY = (state.s, state.y, state.sy, state.yy)
    if not in_place:
        S, Y, SY, YY = S.copy(), Y.copy(), SY.copy(), YY.copy()
    S[slot], Y[slot] = s, y
    used = min(state.count + 1, S.shape[0])  # slots 0 … used − 1 hold pairs
    Sf = S.reshape(S.shape[0], -1)[:used]
    Yf = Y.reshape(Y.shape[0], -1)[:used]
    SY[:used, slot] = Sf @ y64  # sᵢ·y (numpy widens float32 rows to float64)
    SY[slot, :used] = Yf @ s64  # s·yᵢ
    SY[slot, slot] = sy
    YY[:used, slot] = YY[slot, :used] = Yf @ y64
    YY[slot, slot] = yy
    return LBFGSState(S, Y, state.count + 1, state.evaluations, SY, YY)


# --------------------------------------------------------------------------------------------
# The line search: strong Wolfe conditions, bracketing then zoom with cubic interpolation
# --------------------------------------------------------------------------------------------
class _Point(NamedTuple):
    t: float
    f: float
    slope: float  # φ'(t) = ∇J(θ + t·d)·d
    theta: NDArray | None = None
    evaluation: Evaluation | None = None


def _cubic_minimum(a: _Point, b: _Point) -> float | None:
    """The minimiser of the cubic through (t, f, φ') at a and b, when it exists."""
    d1 = a.slope + b.slope - 3 * (a.f - b.f) / (a.t - b.t)
    radicand = d1 * d1 - a.slope * b.slope
    if not radicand >= 0:
        return None
    d2 = math.copysign(math.sqrt(radicand), b.t - a.t)
    denominator = b.slope - a.slope + 2 * d2
    if denominator == 0:
        return None
    t = b.t - (b.t - a.t) * (b.slope + d2 - d1) / denominator
    return t if math.isfinite(t) else None


def line_search(
    evaluate: Callable[[NDArray], Evaluation],
    theta: NDArray,
    cost: float,
    slope: float,
    d: NDArray,
    t: float,
    c2: float = C2,
) -> tuple[_Point | None, int]:
    """A step t along d that satisfies the strong Wolfe conditions (Nocedal & Wright, Alg.
    3.5–3.6), and the number of evaluations spent. Falls back to the lowest point with
    sufficient decrease when the budget runs out; None when no trial lowered J enough."""
    start = _Point(0.0, cost, slope)
    previous, best = start, None
    flat_d = d.reshape(-1)
    dtype = theta.dtype.type

    def at(step: float) -> _Point:
        candidate = theta + dtype(step) * d
        evaluation = evaluate(candidate)
        return _Point(step, evaluation[0], _dot(evaluation[1], flat_d), candidate, evaluation)

    def sufficient(p: _Point) -> bool:
        return math.isfinite(p.f) and math.isfinite(p.slope) and p.f <= cost + C1 * p.t * slope

    # Near the optimum the decrease C1·t·φ'(0) drops below the rounding of J, and Armijo's test
    # fails on noise. J is convex, so a point where φ' is still ≤ 0 but no longer steep lies
    # before the line's minimum and below J(θ) in exact arithmetic (the approximate Wolfe
    # conditions of Hager & Zhang): accept it if J is within rounding of J(θ).
    noise = math.sqrt(np.finfo(theta.dtype).eps) * abs(cost)

    def acceptable(p: _Point) -> bool:
        if sufficient(p) and abs(p.slope) <= -c2 * slope:
            return True
        return math.isfinite(p.f) and p.f <= cost + noise and c2 * slope <= p.slope <= 0

    trials = 0
    lo = hi = None
    while trials < MAX_TRIALS:  # bracketing: grow t until J rises or φ' turns positive
        point = at(t)
        trials += 1
        if acceptable(point):
            return point, trials
        if not sufficient(point) or (trials > 1 and point.f >= previous.f):
            lo, hi = previous, point
            break
        best = point
        if point.slope >= 0:
            lo, hi = point, previous
            break
        guess = _cubic_minimum(previous, point)
        grown = 4.0 * t
        if guess is None or not 1.1 * t <= guess <= grown:
            guess = grown
        previous, t = point, guess
    while lo is not None and hi is not None and trials < MAX_TRIALS:  # zoom inside [lo, hi]
        width = hi.t - lo.t
        low_end, high_end = sorted((lo.t + SAFEGUARD * width, hi.t - SAFEGUARD * width))
        guess = None
        if math.isfinite(hi.f) and math.isfinite(hi.slope):
            guess = _cubic_minimum(lo, hi)
        if guess is None or not low_end <= guess <= high_end:
            guess = 0.5 * (lo.t + hi.t)
        if guess == lo.t or guess == hi.t:  # the interval is below the resolution of t
            break
        point = at(guess)
        trials += 1
        if acceptable(point):
            return point, trials
        if not sufficient(point) or point.f >= lo.f:
            hi = point
            continue
        best = point if best is None or point.f < best.f else best
        if point.slope * (hi.t - lo.t) >= 0:
            hi = lo
        lo = point
    return best, trials


# --------------------------------------------------------------------------------------------
# The solver's step
# --------------------------------------------------------------------------------------------
def stepper(backend: Backend, config: TrainConfig, lr: float | None = None) -> Stepper:
    """One L-BFGS iteration per loop iteration: direction, line search, new pair.

    The first step (empty memory) is scaled to move θ by one unit, as −∇J/‖∇J‖ (its length
    is unknown until a curvature pair exists); later ones try t = 1 first, which the
    quasi-Newton scaling makes right almost always. A search that fails along the quasi-Newton
    direction is retried once along −∇J with the memory cleared; failing that, nothing lowers
    J at this precision and the step reports the optimum reached (the loop then checks the
    gradient, see lrnn.train's verdict).
    """

    owned: list[LBFGSState] = []  # the memory this run writes in place (copied once)

    def evaluate(theta: NDArray) -> Evaluation:
        return backend.evaluate(theta, config.alpha)

    def advance(state: Any, cost: float, grad: NDArray) -> Advance:
        theta = state.theta
        memory = state.opt_state
        if not isinstance(memory, LBFGSState):  # a new run, or a checkpoint without memory
            memory = empty(theta)
        elif not (owned and owned[0] is memory):  # a resumed state stays the caller's
            memory = owned_copy(memory)
        owned[:] = [memory]
        advanced = _advance(memory, theta, cost, grad)
        owned[:] = [advanced.opt_state]
        return advanced

    # otherwise a run ends as one given a tolerance does: when a step no longer lowers J by
    # more than float64's rounding
    judged_by_j = ends_where_j_does(config, backend.dtype)

    def _advance(memory: LBFGSState, theta: NDArray, cost: float, grad: NDArray) -> Advance:
        for _ in range(2):  # the quasi-Newton direction; once more along −∇J if it fails
            d = direction(memory, grad)
            slope = _dot(grad, d)
            if not slope < 0 and memory.count:  # rounding broke H: start the memory afresh
                memory = empty(theta)._replace(evaluations=memory.evaluations)
                d, slope = -grad, -_dot(grad, grad)
            if not slope < 0:
                break
            # −∇J·d ≈ 2(J − J*) as the Newton decrement (the quasi-Newton one here): once it is
            # below the rounding of J no step can show a decrease (the rule Newton uses). Asked
            # for a tolerance, the search goes on: L-BFGS's gradient still falls after J stops
            # showing it, and the decrease test below ends the run.
            if judged_by_j and -slope <= 8 * np.finfo(theta.dtype).eps * max(
                abs(cost), np.finfo(float).tiny
            ):
                break
            t, c2 = (1.0, C2) if memory.count else (1.0 / math.sqrt(-slope), FIRST_C2)
            point, trials = line_search(evaluate, theta, cost, slope, d, t, c2)
            memory = memory._replace(evaluations=memory.evaluations + trials)
            if point is not None:
                new_cost, new_grad, _ = point.evaluation
                if not judged_by_j and cost - new_cost <= RELATIVE_DECREASE * max(
                    abs(cost), abs(new_cost), np.finfo(float).tiny
                ):
                    return Advance(theta, memory, at_optimum=True)
                memory = remember(memory, point.theta - theta, new_grad - grad, in_place=True)
                return Advance(point.theta, memory, evaluation=point.evaluation)
            if not memory.count:
                break
            memory = empty(theta)._replace(evaluations=memory.evaluations)
        return Advance(theta, memory, at_optimum=True)

    return Stepper(advance, lambda iteration: None)


__all__ = [
    "MEMORY",
    "LBFGSState",
    "direction",
    "empty",
    "line_search",
    "remember",
    "stepper",
    "with_products",
]
