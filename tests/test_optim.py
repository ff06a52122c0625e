"""The optimiser table: every first-order optimiser reaches a known minimum (optax style).

The problem is a strongly convex quadratic f(θ) = ½ (θ − θ*)ᵀ A (θ − θ*) with A = diag(1, 10, 0.5)
(condition number 20), so the minimiser θ* is known exactly. Each optimiser runs its pure
``init``/``update`` pair from θ = 0 for the stated number of steps and must land within the
stated distance of θ*.
"""

from __future__ import annotations

import numpy as np
import pytest

from lrnn import optim, solvers

CURVATURE = np.array([1.0, 10.0, 0.5])
MINIMUM = np.array([3.0, -2.0, 0.5])

# name → (optimiser, learning rate, steps, distance to θ* it must reach)
TABLE = {
    "gd": (optim.gd(), 0.09, 300, 1e-6),
    "momentum": (optim.momentum(0.9), 0.02, 400, 1e-6),
    "nesterov": (optim.momentum(0.9, nesterov=True), 0.02, 300, 1e-6),
    "adam": (optim.adam(), 0.05, 2000, 1e-4),
}


def grad(theta):
    return CURVATURE * (theta - MINIMUM)


@pytest.mark.parametrize("name", TABLE)
def test_optimiser_reaches_the_known_minimum(name):
    opt, lr, steps, distance = TABLE[name]
    theta = np.zeros(3)
    state = opt.init(theta)
    for _ in range(steps):
        step, state = opt.update(grad(theta), state, theta, lr)
        theta = theta + step
    assert np.linalg.norm(theta - MINIMUM) <= distance
    assert state.count == steps


@pytest.mark.parametrize("name", TABLE)
def test_optimiser_is_pure(name):
    """update never changes its inputs in place: a checkpointed state resumes exactly."""
    opt, lr, _, _ = TABLE[name]
    theta = np.ones(3)
    state = opt.init(theta)
    state = opt.update(grad(theta), state, theta, lr)[1]
    snapshot = [np.copy(v) if isinstance(v, np.ndarray) else v for v in state]
    g = grad(theta)
    opt.update(g, state, theta, lr)
    assert all(np.array_equal(a, b) for a, b in zip(snapshot, state, strict=True))
    assert np.array_equal(theta, np.ones(3)) and np.array_equal(g, grad(theta))


def test_every_first_order_solver_in_the_registry_is_in_the_table():
    """Adding a first-order solver means adding its row here (sgd is gd over mini-batches)."""
    first_order = {s.name for s in solvers.REGISTRY.values() if s.optimizer is not None}
    assert first_order - {"sgd"} == set(TABLE)


def test_registry_answers_what_the_loop_asks():
    reg = solvers.REGISTRY
    assert [n for n, s in reg.items() if s.divergence_guard] == ["gd"]
    assert [n for n, s in reg.items() if s.minibatches] == ["sgd"]
    assert {n for n, s in reg.items() if s.coefficient_space} == {"gd", "momentum", "nesterov"}
    assert {n for n, s in reg.items() if s.record_every_iteration} == {
        "lbfgs",
        "lbfgs-scipy",
        "newton",
        "auto",
    }
    assert reg["adam"].auto_rate == solvers.ADAM_AUTO_RATE
    assert solvers.resolve("auto", 569, 30).name == "newton"  # exact Hessian is cheap
    assert solvers.resolve("auto", 209, 12288).name == "newton"  # wide: Newton–CG
    assert solvers.resolve("auto", 200_000, 500).name == "lbfgs"  # tall
    # a small softmax layer (digits10: 1797 examples, 65 × 10 parameters): Newton–CG; the
    # same parameter count as a sigmoid neuron's, or a large layer: L-BFGS
    assert solvers.resolve("auto", 1797, 649, classes=10).name == "newton"
    assert solvers.resolve("auto", 1797, 649).name == "lbfgs"
    assert solvers.resolve("auto", 20_000, 1009, classes=10).name == "lbfgs"
    with pytest.raises(ValueError, match="unknown"):
        solvers.resolve("rmsprop", 10, 2)
