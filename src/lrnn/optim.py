"""How the parameters step.

First-order optimisers are pairs of pure functions over the flat parameter vector θ = [w, b]:
``init(θ) → state`` and ``update(grad, state, θ, lr) → (step, state)``; the loop adds ``step``
to θ. State is a NamedTuple of arrays and counters, so a checkpoint is just data and a resumed
run continues bit for bit. ``lr`` is given per call because schedules are pure functions of the
step count (see :func:`inverse_sqrt_schedule`).

Named optimisers are short compositions of two pieces: an optional gradient transform
(momentum trace, Adam moments) followed by scaling with −lr. The table :data:`FIRST_ORDER`
maps names to constructors; second-order solvers (L-BFGS, Newton) live in :mod:`lrnn.train`,
because they own their line searches.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray


class Optimizer(NamedTuple):
    init: Callable[[NDArray], Any]
    update: Callable[[NDArray, Any, NDArray, float], tuple[NDArray, Any]]


class EmptyState(NamedTuple):
    count: int = 0


class TraceState(NamedTuple):
    velocity: NDArray
    count: int = 0


class AdamState(NamedTuple):
    first_moment: NDArray
    second_moment: NDArray
    count: int = 0


def gd() -> Optimizer:
    """The lesson's update: θ ← θ − lr·∇J."""

    def init(params: NDArray) -> EmptyState:
        return EmptyState(0)

    def update(grad: NDArray, state: EmptyState, params: NDArray, lr: float):
        return -params.dtype.type(lr) * grad, EmptyState(state.count + 1)

    return Optimizer(init, update)


def momentum(beta: float = 0.9, nesterov: bool = False) -> Optimizer:
    """Heavy-ball momentum: v ← βv + ∇J, step −lr·v (Nesterov: step −lr·(∇J + βv))."""

    def init(params: NDArray) -> TraceState:
        return TraceState(np.zeros_like(params), 0)

    def update(grad: NDArray, state: TraceState, params: NDArray, lr: float):
        beta_ = params.dtype.type(beta)
        velocity = beta_ * state.velocity + grad
        direction = grad + beta_ * velocity if nesterov else velocity
        return -params.dtype.type(lr) * direction, TraceState(velocity, state.count + 1)

    return Optimizer(init, update)


def nesterov(beta: float = 0.9) -> Optimizer:
    return momentum(beta, nesterov=True)


def adam(beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> Optimizer:
    """Adam (Kingma & Ba): bias-corrected first and second moments of the gradient."""

    def init(params: NDArray) -> AdamState:
        return AdamState(np.zeros_like(params), np.zeros_like(params), 0)

    def update(grad: NDArray, state: AdamState, params: NDArray, lr: float):
        t = state.count + 1
        dt = params.dtype.type
        first = dt(beta1) * state.first_moment + dt(1 - beta1) * grad
        second = dt(beta2) * state.second_moment + dt(1 - beta2) * grad * grad
        m_hat = first / dt(1 - beta1**t)
        v_hat = second / dt(1 - beta2**t)
        step = -dt(lr) * m_hat / (np.sqrt(v_hat) + dt(eps))
        if step.ndim == 2:
            # A softmax layer (a column per class): one constant added to every class's bias,
            # or one vector to every class's weights, changes no probability, and gradient
            # steps never take that direction (the gradient's class sums are zero). Adam's
            # per-entry scaling does, so its biases drifted apart by a common shift (their sum
            # −0.63 on iris, 0 for every other solver and scikit-learn) and, with a penalty,
            # the weights paid for it. Each step is kept off that direction.
            step -= step.mean(axis=1, keepdims=True)
        return step, AdamState(first, second, t)

    return Optimizer(init, update)


#: name → constructor of the first-order optimisers (sgd is gd over mini-batches).
FIRST_ORDER: dict[str, Callable[[], Optimizer]] = {
    "gd": gd,
    "sgd": gd,
    "momentum": momentum,
    "nesterov": nesterov,
    "adam": adam,
}


def constant_schedule(lr: float) -> Callable[[int], float]:
    return lambda step: lr


def inverse_sqrt_schedule(lr: float, warm_steps: int) -> Callable[[int], float]:
    """lr / sqrt(1 + step / warm_steps): decays slowly enough for SGD to keep moving and fast
    enough (Σ lr = ∞, lr → 0) for the noise to die out; ``warm_steps`` sets when decay starts."""
    return lambda step: lr / np.sqrt(1.0 + step / max(warm_steps, 1))


def state_to_arrays(state: Any) -> tuple[dict[str, NDArray], dict[str, int]]:
    """Split an optimiser state into tensors and integer counters (for checkpoints)."""
    tensors: dict[str, NDArray] = {}
    counters: dict[str, int] = {"__type__": type(state).__name__}  # type: ignore[dict-item]
    for field, value in state._asdict().items():
        if isinstance(value, np.ndarray):
            tensors[field] = value
        else:
            counters[field] = int(value)
    return tensors, counters


_STATE_TYPES = {cls.__name__: cls for cls in (EmptyState, TraceState, AdamState)}


def state_from_arrays(tensors: dict[str, NDArray], counters: dict[str, Any]) -> Any:
    """Inverse of :func:`state_to_arrays`."""
    if counters["__type__"] == "LBFGSState":  # lrnn.lbfgs's memory (imported when met)
        from lrnn.lbfgs import LBFGSState

        cls = LBFGSState
    else:
        cls = _STATE_TYPES[counters["__type__"]]
    values = {
        f: tensors[f] if f in tensors else int(counters[f])
        for f in cls._fields
        if f in tensors or f in counters
    }  # absent: the field's default (an older file)
    if cls.__name__ == "LBFGSState":  # an older file's memory lacks its inner products
        from lrnn.lbfgs import with_products

        return with_products(cls(**values))
    return cls(**values)
