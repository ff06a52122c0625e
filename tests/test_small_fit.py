"""Small fits pay for their arithmetic only: no pass over the data beyond what the solver needs,
and the history measures the same gradient the stopping rule saw."""

from __future__ import annotations

import numpy as np
import pytest

from lrnn.backends.numpy_backend import InMemoryBackend
from lrnn.train import TrainConfig, train


class _CountingBackend(InMemoryBackend):
    """Counts the passes over the data (J and ∇J at one θ each): small float64 data makes
    each one in _augmented_pass (from evaluate or data_pass), other data in data_pass."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.passes = 0

    def data_pass(self, w, b):
        if w.dtype != np.float64 or self._augmented_rows() is None:
            self.passes += 1
        return super().data_pass(w, b)

    def _augmented_pass(self, theta, augmented):
        self.passes += 1
        return super()._augmented_pass(theta, augmented)


def _data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    X = rng.standard_normal((80, 4))
    y = (X @ np.array([1.0, -2.0, 0.5, 0.0]) + rng.standard_normal(80) > 0).astype(float)
    return X, y


@pytest.mark.parametrize("solver", ["newton", "gd"])
def test_a_run_that_stops_on_tol_takes_no_extra_pass_for_its_verdict(solver):
    """Newton evaluates θ₀ and one accepted point per step (no backtracking on this data);
    the final verdict reuses the evaluation at the returned weights instead of a new pass."""
    X, y = _data()
    backend = _CountingBackend(X, y)
    config = TrainConfig(solver=solver, alpha=1e-2, tol=1e-6, learning_rate="auto", max_iter=5000)
    result = train(backend, config)
    assert result.stop_reason == "tol"
    assert backend.passes == result.n_iter + 1
    # the verdict is still the gradient at the returned weights
    cost, grad, _ = InMemoryBackend(X, y).evaluate(np.append(result.w, result.b), 1e-2)
    assert result.final_cost == cost
    assert result.grad_norm == float(np.max(np.abs(grad))) <= 1e-6


def test_a_run_stopped_by_max_iter_measures_its_last_point():
    X, y = _data()
    backend = _CountingBackend(X, y)
    result = train(backend, TrainConfig(solver="gd", max_iter=7))
    assert result.stop_reason == "max_iter"
    assert backend.passes == 7 + 1  # 7 evaluated iterates, then the weights after the 7th step
    cost, grad, _ = InMemoryBackend(X, y).evaluate(np.append(result.w, result.b), 0.0)
    assert result.final_cost == cost
    assert result.grad_norm == float(np.max(np.abs(grad)))


@pytest.mark.filterwarnings("ignore:.*before reaching the optimum")  # stopped early on purpose
def test_history_grad_norm_is_the_largest_partial_derivative():
    X, y = _data()
    result = train(InMemoryBackend(X, y), TrainConfig(solver="newton", alpha=1e-3, max_iter=3))
    backend = InMemoryBackend(X, y)
    theta = np.zeros(5)
    _, grad, _ = backend.evaluate(theta, 1e-3)
    assert result.history["grad_norm"][0] == float(np.max(np.abs(grad)))
    assert result.history["iteration"] == [0, 1, 2]
