"""Newton in the span of the examples (lrnn.backends.gram_newton): the primal method's steps and
optimum on wide data with L2, computed from the m × m Gram matrix."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from lrnn import objective
from lrnn.backends import gram_backend
from lrnn.backends.gram_newton import GramNewtonBackend
from lrnn.backends.numpy_backend import InMemoryBackend
from lrnn.config import TrainConfig
from lrnn.train import Callback, train
from tests.conftest import CAT_TRAIN, needs_cat


def _wide(dtype=np.float64, m=40, n=300, seed=3):
    rng = np.random.default_rng(seed)
    if dtype == np.uint8:
        X = rng.integers(0, 256, size=(m, n), dtype=np.uint8)
        scale = 1 / 255
    else:
        X = rng.standard_normal((m, n)).astype(dtype)
        scale = 1.0
    signal = X[:, :5].astype(np.float64).sum(axis=1) * scale
    y = (signal - np.median(signal) + 0.5 * rng.standard_normal(m) > 0).astype(int)
    assert 0 < y.mean() < 1
    return X, y, scale


def _primal_newton_step(w, b, X, y, s, scale, alpha):
    """The primal Newton step from the exact (n+1)² Hessian (numpy reference)."""
    _, dw, db = objective.loss_and_grad(w, b, X, y, alpha, s, scale)
    H = objective.hessian(w, b, X, alpha, s, scale)
    p = np.linalg.solve(H, -np.append(dw, db))
    return p[:-1], p[-1], float(np.append(dw, db) @ p)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("alpha", [0.05, 1e-3])
def test_the_span_step_is_the_primal_newton_step(weighted, alpha):
    X, y, scale = _wide()
    rng = np.random.default_rng(1)
    s = rng.random(X.shape[0]) + 0.5 if weighted else None
    view = GramNewtonBackend(X, y.astype(float), s, scale)
    theta = np.append(rng.standard_normal(X.shape[0]) * 0.05, 0.3)  # any (β, b)
    _, grad, _ = view.evaluate(theta, alpha)
    direction, slope = view.newton_direction(theta, grad, alpha)
    w = view.to_weights(theta[:-1])
    pw, pb, primal_slope = _primal_newton_step(w, theta[-1], X, y.astype(float), s, scale, alpha)
    np.testing.assert_allclose(view.to_weights(direction[:-1]), pw, rtol=1e-9, atol=1e-12)
    assert direction[-1] == pytest.approx(pb, rel=1e-9)
    assert slope == pytest.approx(primal_slope, rel=1e-9)
    assert slope == pytest.approx(view.slope(grad, direction), rel=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.uint8])
@pytest.mark.parametrize("weighted", [False, True])
def test_newton_in_the_span_reaches_the_primal_optimum(dtype, weighted):
    X, y, scale = _wide(dtype)
    s = np.random.default_rng(2).random(X.shape[0]) + 0.5 if weighted else None
    config = TrainConfig(solver="newton", alpha=0.02, max_iter=50)
    span = train(InMemoryBackend(X, y, s, scale), config)
    primal = train(InMemoryBackend(X, y, s, scale), config, shortcut=False)
    assert span.state.coefficients and not primal.state.coefficients
    assert span.stop_reason == primal.stop_reason == "converged"
    assert abs(span.final_cost - primal.final_cost) <= 1e-13 * primal.final_cost
    np.testing.assert_allclose(span.w, primal.w, rtol=1e-10, atol=1e-10 * np.abs(primal.w).max())
    assert span.b == pytest.approx(primal.b, rel=1e-10, abs=1e-12)
    # the same iterates: one cost per Newton step, equal to rounding
    steps = min(span.n_iter, primal.n_iter)
    assert abs(span.n_iter - primal.n_iter) <= 1
    np.testing.assert_allclose(span.history["cost"][:steps], primal.history["cost"][:steps], 1e-10)
    np.testing.assert_allclose(
        span.history["grad_norm"][: steps - 1], primal.history["grad_norm"][: steps - 1], 1e-6
    )


def test_tol_stops_where_the_primal_run_stops():
    X, y, scale = _wide(np.uint8, m=60, n=500)
    for tol in (1e-3, 1e-5, 1e-8):
        config = TrainConfig(solver="newton", alpha=0.01, tol=tol, max_iter=50)
        span = train(InMemoryBackend(X, y, None, scale), config)
        primal = train(InMemoryBackend(X, y, None, scale), config, shortcut=False)
        assert span.state.coefficients
        assert (span.stop_reason, span.n_iter) == ("tol", primal.n_iter)
        assert span.grad_norm <= tol < span.history["grad_norm"][-2]


def test_the_gradient_test_agrees_with_the_exact_norm():
    X, y, scale = _wide(m=30, n=2000)
    view = GramNewtonBackend(X, y.astype(float), None, scale)
    rng = np.random.default_rng(5)
    for _ in range(200):
        grad = np.append(rng.standard_normal(30) * 10.0 ** rng.uniform(-6, 0), 0.0)
        grad[-1] = rng.standard_normal() * 10.0 ** rng.uniform(-7, -1)
        exact = max(np.abs(view.to_weights(grad[:-1])).max(), abs(grad[-1]))
        tol = exact * 10.0 ** rng.uniform(-2, 2)
        if abs(tol / exact - 1) > 1e-9:  # not on the boundary itself
            assert view.gradient_at_most(grad, tol) == (exact <= tol)


@pytest.mark.filterwarnings("ignore:the training data is perfectly separated")
def test_auto_uses_the_span_only_with_l2_on_wide_data():
    X, y, scale = _wide(np.uint8)
    used = [
        train(InMemoryBackend(X, y, None, scale), TrainConfig(solver=solver, alpha=alpha))
        for solver, alpha in (("auto", 0.01), ("auto", 0.0), ("newton", 0.01))
    ]
    assert [r.state.coefficients for r in used] == [True, False, True]
    assert [r.solver for r in used] == ["newton"] * 3
    tall = train(InMemoryBackend(X[:, :20], y, None, scale), TrainConfig(solver="auto", alpha=1))
    assert not tall.state.coefficients
    warm = train(
        InMemoryBackend(X, y, None, scale),
        TrainConfig(solver="newton", alpha=0.01),
        init=(np.full(X.shape[1], 0.01), 0.0),
    )
    assert not warm.state.coefficients  # a start outside the span runs in feature space


def test_the_gram_matrix_does_not_depend_on_the_workers(monkeypatch):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 9000))
    blocks = gram_backend.column_blocks(50, 9000, 8)
    assert len(blocks) == gram_backend.GRAM_BLOCKS and blocks[-1].stop == 9000
    results = []
    with threadpool_limits(1, "blas"):  # as inside lrnn.train.train
        for workers in (1, 2, 3, 8):
            monkeypatch.setattr(gram_backend, "_workers", lambda workers=workers: workers)
            results.append(gram_backend.gram(X, np.dtype(np.float64)))
    for K in results[1:]:
        assert np.array_equal(K, results[0])
    np.testing.assert_allclose(results[0], X @ X.T, rtol=1e-12, atol=1e-10)
    Xu = rng.integers(0, 256, size=(20, 5000), dtype=np.uint8)  # widened a block at a time
    wide = Xu.astype(np.float64)
    assert np.array_equal(gram_backend.gram(Xu, np.dtype(np.float64)), wide @ wide.T)  # exact


def test_mapped_vectors_do_not_depend_on_their_company():
    X, y, scale = _wide(np.uint8, m=30, n=3000)
    view = GramNewtonBackend(X, y.astype(float), None, scale)
    vectors = list(np.random.default_rng(4).standard_normal((11, 30)))
    together = view.to_weights_many(vectors)
    for v, w in zip(vectors, together, strict=True):
        assert np.array_equal(view.to_weights(v), w)
    expected = scale * X.T.astype(float) @ vectors[3]
    np.testing.assert_allclose(together[3], expected, atol=1e-12 * np.abs(expected).max())


class _Rows(Callback):
    def __init__(self):
        self.rows = []

    def on_record(self, record):
        self.rows.append(record)


def test_history_is_the_same_watched_or_not():
    """Unwatched, the rows' gradient norms are computed together at the end; watched, one by
    one as they come: the same bits either way, and every row has one."""
    X, y, scale = _wide(np.uint8)
    config = TrainConfig(solver="newton", alpha=0.01, max_iter=50)
    quiet = train(InMemoryBackend(X, y, None, scale), config)
    rows = _Rows()
    watched = train(InMemoryBackend(X, y, None, scale), config, callbacks=[rows])
    assert quiet.history == watched.history
    assert [r["grad_norm"] for r in rows.rows] == watched.history["grad_norm"]
    assert np.isfinite(quiet.history["grad_norm"]).all()
    assert np.array_equal(quiet.w, watched.w) and quiet.b == watched.b


@needs_cat
def test_the_cat_pictures_reach_the_optimum_in_the_span():
    import h5py

    from lrnn import LogisticNeuron

    with h5py.File(CAT_TRAIN, "r") as f:
        X = f["train_set_x"][:].reshape(209, -1) / 255.0
        y = f["train_set_y"][:]
    alpha = 1e-2
    model = LogisticNeuron(solver="auto", alpha=alpha, tol=0.0, max_iter=100).fit(X, y)
    assert model.result_.state.coefficients  # the span was used
    w, b = model.coef_.ravel(), float(model.intercept_[0])
    J, dw, db = objective.loss_and_grad(w, b, X, y.astype(float), alpha)
    # J is alpha-strongly convex in w: ‖w − w*‖₂ ≤ ‖∇J‖₂/alpha, and this puts w within 1e-10
    # of w* (‖w*‖₂ ≈ 3.3); the gradient is at its rounding floor (≈ 1e-15 per component)
    assert np.sqrt(dw @ dw + db * db) / alpha < 1e-10
    assert np.abs(dw).max() < 1e-14
    # the primal Newton–CG run (feature space) to a tight tol lands on the same point
    primal = train(
        InMemoryBackend(X, y), TrainConfig(solver="newton", alpha=alpha, tol=1e-11), shortcut=False
    )
    assert not primal.state.coefficients and primal.stop_reason == "tol"
    assert abs(primal.final_cost - J) <= 1e-13 * J
    np.testing.assert_allclose(w, primal.w, rtol=0, atol=1e-9 * np.abs(w).max())
    assert b == pytest.approx(primal.b, abs=1e-9)


@pytest.mark.filterwarnings("ignore:.*before reaching the optimum")  # stopped early on purpose
def test_a_resumed_run_ends_on_the_same_bits():
    X, y, scale = _wide(np.uint8)
    config = TrainConfig(solver="newton", alpha=0.01, max_iter=50)
    whole = train(InMemoryBackend(X, y, None, scale), config)
    first = train(InMemoryBackend(X, y, None, scale), dataclasses.replace(config, max_iter=3))
    assert first.stop_reason == "max_iter" and first.state.coefficients
    rest = train(InMemoryBackend(X, y, None, scale), config, resume=first.state)
    assert rest.history == whole.history and rest.n_iter == whole.n_iter
    assert np.array_equal(rest.w, whole.w) and rest.b == whole.b


@pytest.mark.parametrize("weighted", [False, True])
def test_sparse_wide_data_reaches_the_primal_optimum_in_the_span(weighted):
    import scipy.sparse as sp

    from lrnn.backends import make_backend

    rng = np.random.default_rng(8)
    X = sp.random(60, 900, density=0.03, format="csr", random_state=8)
    X.data = rng.random(X.nnz) + 0.5
    signal = np.asarray(X[:, :40].sum(axis=1)).ravel()
    y = (signal - np.median(signal) + 0.2 * rng.standard_normal(60) > 0).astype(int)
    s = rng.random(60) + 0.5 if weighted else None
    config = TrainConfig(solver="auto", alpha=0.01, max_iter=50)
    span = train(make_backend(X, y, s), config)
    primal = train(make_backend(X, y, s), config, shortcut=False)
    assert span.state.coefficients and not primal.state.coefficients
    assert span.solver == primal.solver == "newton"
    assert abs(span.final_cost - primal.final_cost) <= 1e-13 * primal.final_cost
    np.testing.assert_allclose(span.w, primal.w, rtol=0, atol=1e-10 * np.abs(primal.w).max())
    assert span.b == pytest.approx(primal.b, abs=1e-10)
    view = make_backend(X, y, s).newton_view()
    vectors = list(rng.standard_normal((3, 60)))
    for v, w in zip(vectors, view.to_weights_many(vectors), strict=True):
        assert np.array_equal(view.to_weights(v), w)
