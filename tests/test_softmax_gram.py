"""K classes in the span of the examples: the first-order solvers' iterates are the usual ones."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from lrnn.backends.softmax_backend import SoftmaxBackend
from lrnn.backends.softmax_gram import SoftmaxGramBackend
from lrnn.checkpoint import state_from_checkpoint, state_to_checkpoint
from lrnn.config import TrainConfig
from lrnn.train import train


def _wide(dtype):
    """150 pictures of 2000 pixels, four classes: far more features than examples."""
    rng = np.random.default_rng(3)
    X = rng.integers(0, 256, (150, 2000), dtype=np.uint8)
    y = rng.integers(0, 4, 150)
    if dtype == np.uint8:
        return X, y, 1 / 255
    return (X / 255).astype(dtype), y, 1.0


class _FeatureSpace(SoftmaxBackend):
    """The same data with the shortcut switched off: the reference."""

    coefficient_view = None

    def __getattribute__(self, name):
        if name == "coefficient_view":
            raise AttributeError(name)
        return super().__getattribute__(name)


@pytest.mark.parametrize("dtype", [np.uint8, np.float64])
@pytest.mark.parametrize("solver", ["gd", "momentum", "nesterov"])
def test_the_span_gives_the_feature_space_iterates(dtype, solver):
    X, y, scale = _wide(dtype)
    weights = np.random.default_rng(4).uniform(0.5, 2, y.size) if solver == "gd" else None
    config = TrainConfig(
        solver=solver, learning_rate=0.005, alpha=1e-3, max_iter=300, tol=0, record_every=50
    )
    span = train(SoftmaxBackend(X, y, 4, weights, scale), config)
    plain = train(_FeatureSpace(X, y, 4, weights, scale), config)
    assert span.state.coefficients and not plain.state.coefficients
    assert span.w.shape == plain.w.shape == (2000, 4) and span.b.shape == (4,)
    np.testing.assert_allclose(span.w, plain.w, rtol=0, atol=1e-12 * np.abs(plain.w).max())
    np.testing.assert_allclose(span.b, plain.b, rtol=0, atol=1e-13)
    np.testing.assert_allclose(span.history["cost"], plain.history["cost"], rtol=1e-12)
    np.testing.assert_allclose(span.history["grad_norm"], plain.history["grad_norm"], rtol=1e-9)
    assert span.final_cost == pytest.approx(plain.final_cost, rel=1e-12)


def test_auto_learning_rate_is_the_softmax_bound_in_the_span():
    X, y, scale = _wide(np.float64)
    config = TrainConfig(solver="gd", learning_rate="auto", max_iter=100, tol=0)
    span = train(SoftmaxBackend(X, y, 4, None, scale), config)
    plain = train(_FeatureSpace(X, y, 4, None, scale), config)
    assert span.state.coefficients
    assert span.learning_rate == pytest.approx(plain.learning_rate, rel=1e-9)
    np.testing.assert_allclose(span.w, plain.w, rtol=0, atol=1e-11 * np.abs(plain.w).max())


def test_a_resumed_run_in_the_span_ends_on_the_same_bits():
    X, y, scale = _wide(np.uint8)
    config = TrainConfig(
        solver="momentum", learning_rate=0.005, alpha=1e-3, max_iter=160, tol=0, record_every=10
    )
    whole = train(SoftmaxBackend(X, y, 4, None, scale), config)
    first = train(SoftmaxBackend(X, y, 4, None, scale), dataclasses.replace(config, max_iter=80))
    assert first.state.coefficients
    tensors, meta = state_to_checkpoint(first.state, config)
    state, config_back = state_from_checkpoint(tensors, json.loads(json.dumps(meta)))
    rest = train(SoftmaxBackend(X, y, 4, None, scale), config, resume=state)
    np.testing.assert_array_equal(rest.w, whole.w)
    np.testing.assert_array_equal(rest.b, whole.b)
    assert rest.history["cost"] == whole.history["cost"]


@pytest.mark.filterwarnings("ignore:.*before reaching the optimum")  # stopped early on purpose
def test_newton_and_lbfgs_stay_in_feature_space():
    X, y, scale = _wide(np.float64)
    for solver in ("newton", "lbfgs", "adam"):
        config = TrainConfig(solver=solver, alpha=1e-2, max_iter=3, tol=0)
        assert not train(SoftmaxBackend(X, y, 4, None, scale), config).state.coefficients


def test_the_view_maps_coefficients_to_weights_like_the_definition():
    X, y, scale = _wide(np.uint8)
    view = SoftmaxGramBackend(X, y, 4, None, scale)
    B = np.random.default_rng(5).standard_normal((150, 4))
    np.testing.assert_allclose(view.to_weights(B), scale * X.T.astype(float) @ B, rtol=1e-11)
    b = np.array([0.1, -0.2, 0.3, 0.0])
    np.testing.assert_allclose(
        view.logits(B, b), scale * X.astype(float) @ view.to_weights(B) + b, rtol=1e-10
    )
