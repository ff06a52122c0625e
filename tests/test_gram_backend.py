"""The wide-data shortcut's pass: fewer NumPy calls, the same bits as the plain formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lrnn import objective
from lrnn.backends import gram_backend
from lrnn.backends.gram_backend import GramBackend
from lrnn.backends.numpy_backend import InMemoryBackend
from lrnn.train import TrainConfig, train


def _reference_evaluate(backend: GramBackend, theta: np.ndarray, alpha: float):
    """The pass written plainly: logits from K, then objective's forward/backward."""
    beta, b = theta[:-1], theta[-1]
    Kbeta = backend.K @ beta
    z = Kbeta + b
    loss, residual, accuracy = objective.forward_backward_from_logits(
        z, backend.y, backend.sample_weight, backend.total
    )
    residual /= backend.dtype.type(backend.total)
    grad = np.empty_like(theta)
    grad[:-1] = residual
    grad[-1] = np.add.reduce(residual, dtype=np.float64)
    cost = loss
    if alpha:
        cost += 0.5 * alpha * float(np.dot(beta, Kbeta))
        grad[:-1] += backend.dtype.type(alpha) * beta
    return cost, grad, loss, accuracy


def _data(rng: np.random.Generator, dtype: type, m: int = 40, n: int = 5000):
    X = rng.integers(0, 256, size=(m, n), dtype=np.uint8)
    y = (rng.random(m) < 0.4).astype(int)
    if dtype is np.uint8:
        return X, y, 1 / 255
    return (X / 255).astype(dtype), y, 1.0


@pytest.mark.parametrize("dtype", [np.uint8, np.float64, np.float32])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("alpha", [0.0, 0.03])
def test_evaluate_gives_the_plain_formulas_bits(dtype, weighted, alpha):
    rng = np.random.default_rng(5)
    X, y, scale = _data(rng, dtype)
    s = rng.random(len(y)) + 0.5 if weighted else None
    backend = GramBackend(X, y, s, scale)
    previous = None
    # zero (the start), small, and large enough that σ saturates on both sides
    for size in (0.0, 1e-4, 1e-2, 1.0, 50.0):
        theta = (rng.standard_normal(len(y) + 1) * size).astype(backend.dtype)
        cost, grad, data = backend.evaluate(theta, alpha)
        ref_cost, ref_grad, ref_loss, ref_accuracy = _reference_evaluate(backend, theta, alpha)
        assert cost == ref_cost and data.loss == ref_loss and data.accuracy == ref_accuracy
        assert grad.dtype == ref_grad.dtype and grad.tobytes() == ref_grad.tobytes()
        assert data.db == float(ref_grad[-1]) and data.dw.tobytes() == ref_grad[:-1].tobytes()
        if previous is not None:  # the buffers kept between calls never leak into results
            assert previous[1].tobytes() == previous[0].tobytes()
        previous = (grad, grad.copy())


def test_a_narrow_x_is_widened_once_and_maps_back_with_the_same_bits(monkeypatch):
    rng = np.random.default_rng(6)
    X, y, scale = _data(rng, np.uint8)
    kept = GramBackend(X, y, None, scale)
    assert kept._widened is not None and kept._widened.dtype == np.float64
    monkeypatch.setattr(gram_backend, "_KEEP_WIDENED_BYTES", 1024)
    widened_each_time = GramBackend(X, y, None, scale)
    assert widened_each_time._widened is None

    K = objective.row_products(X, np.dtype(np.float64))
    K *= scale * scale
    assert kept.K.tobytes() == K.tobytes() == widened_each_time.K.tobytes()
    for size in (1e-3, 1.0, 1e3):
        c = rng.standard_normal(len(y)) * size
        # w = scale·Xᵀc, X widened 2048 columns at a time
        w = np.concatenate(
            [c @ X[:, j : j + 2048].astype(np.float64) for j in range(0, X.shape[1], 2048)]
        )
        w *= scale
        assert kept.to_weights(c).tobytes() == w.tobytes()
        assert widened_each_time.to_weights(c).tobytes() == w.tobytes()


def test_a_large_x_is_not_kept_widened():
    assert gram_backend._widened_whole(np.zeros((2, 3), np.float64), np.dtype(np.float64)) is None
    m = 100
    n = gram_backend._KEEP_WIDENED_BYTES // (8 * m) + 1  # one column past one block
    X = np.lib.stride_tricks.as_strided(np.zeros(1, np.uint8), (m, n), (0, 0))
    assert gram_backend._widened_whole(X, np.dtype(np.float64)) is None


def test_history_without_gradient_norms_keeps_every_other_number():
    rng = np.random.default_rng(7)
    X, y, scale = _data(rng, np.uint8, m=30, n=400)
    config = TrainConfig(solver="gd", learning_rate=0.01, max_iter=120, record_every=10)
    full = train(InMemoryBackend(X, y, None, scale), config)
    lean = train(InMemoryBackend(X, y, None, scale), config, grad_norms=False)
    assert full.state.coefficients and lean.state.coefficients  # the shortcut ran
    assert all(math.isnan(g) for g in lean.history["grad_norm"])
    assert all(g > 0 for g in full.history["grad_norm"])
    for key in ("iteration", "cost", "loss", "accuracy"):
        assert lean.history[key] == full.history[key]
    assert lean.w.tobytes() == full.w.tobytes() and lean.b == full.b
    assert lean.grad_norm == full.grad_norm  # the result's own norm is still measured
