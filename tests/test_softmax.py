"""The softmax layer's math (lrnn.softmax) against finite differences and plain transcriptions."""

from __future__ import annotations

import numpy as np
import pytest

from lrnn import softmax
from lrnn.softmax import Coordinate


def _problem(m=40, n=5, K=4, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, n)).astype(dtype)
    y = rng.integers(0, K, m)
    y[:K] = np.arange(K)
    W = (0.3 * rng.standard_normal((n, K))).astype(dtype)
    b = (0.1 * rng.standard_normal(K)).astype(dtype)
    s = rng.uniform(0.2, 2.0, m)
    return X, y, W, b, s


def _plain(W, b, X, y, alpha, s):
    """The formulas as written: P = e^Z / Σ e^Z, J = Σ s(−log P_y)/Σs + α/2‖W‖², dW, db."""
    Z = X @ W + b
    P = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    Y = np.eye(W.shape[1])[y]
    J = np.sum(s * -np.log(P[np.arange(len(y)), y])) / s.sum() + alpha / 2 * np.sum(W * W)
    dW = X.T @ (s[:, None] * (P - Y)) / s.sum() + alpha * W
    db = (s[:, None] * (P - Y)).sum(axis=0) / s.sum()
    return J, dW, db


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_and_log_softmax_are_finite_for_any_finite_logits(dtype):
    big = np.finfo(dtype).max
    z = np.array([[big, -big, 0.0], [0.0, 0.0, 0.0], [-big, -big, -big], [1e4, 1e4 - 1, -1e4]])
    z = z.astype(dtype)
    p, logp = softmax.softmax(z), softmax.log_softmax(z)
    assert p.dtype == dtype and logp.dtype == dtype
    assert np.isfinite(p).all() and np.isfinite(logp).all()
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(p[1], 1 / 3, rtol=1e-6)
    np.testing.assert_allclose(p[3, :2], [1 / (1 + np.exp(-1)), 1 / (1 + np.e)], rtol=1e-6)
    assert logp[0, 0] == 0 and p[0, 1] == 0


def test_cost_and_gradient_match_the_plain_formulas_with_weights_and_l2():
    X, y, W, b, s = _problem()
    J, dW, db = softmax.loss_and_grad(W, b, X, y, alpha=0.3, sample_weight=s)
    J0, dW0, db0 = _plain(W, b, X, y, 0.3, s)
    assert J == pytest.approx(J0, rel=1e-13)
    np.testing.assert_allclose(dW, dW0, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(db, db0, rtol=1e-12, atol=1e-15)
    assert softmax.cost_from_logits(X @ W + b, y, s) == pytest.approx(J0 - 0.15 * np.sum(W * W))


def test_accuracy_is_the_weighted_share_of_argmax_hits():
    X, y, W, b, s = _problem()
    data = softmax.data_pass(W, b, X, y, s)
    hits = np.argmax(X @ W + b, axis=1) == y
    assert data.accuracy == pytest.approx(np.dot(hits, s) / s.sum(), rel=1e-14)


def test_gradient_agrees_with_finite_differences():
    X, y, W, b, _ = _problem()
    coords = [Coordinate(j, k) for j in range(6) for k in range(4)]  # row 5 = the biases
    check = softmax.finite_difference_check(W, b, X, y, coords, 1e-6, alpha=0.1)
    assert check.overall < 1e-8
    assert {r["coordinate"] for r in check.rows} >= {"W[0, 0]", "b[3]"}


def test_float32_scale_and_uint8_follow_the_float64_math():
    X, y, W, b, s = _problem()
    pixels = np.random.default_rng(3).integers(0, 256, X.shape).astype(np.uint8)
    ref = softmax.data_pass(W, b, pixels.astype(np.float64) / 255, y, s)
    got = softmax.data_pass(W, b, pixels, y, s, scale=1 / 255)
    np.testing.assert_allclose(got.dw, ref.dw, rtol=1e-12)
    f32 = softmax.data_pass(W.astype(np.float32), b.astype(np.float32), X.astype(np.float32), y)
    assert f32.dw.dtype == np.float32
    np.testing.assert_allclose(f32.dw, softmax.data_pass(W, b, X, y).dw, rtol=1e-4, atol=1e-6)


def test_hessian_vector_product_and_full_hessian_agree_with_differences_of_gradients():
    X, y, W, b, s = _problem(m=30, n=3, K=3)
    rng = np.random.default_rng(1)
    VW, vb = rng.standard_normal(W.shape), rng.standard_normal(3)
    hw, hb = softmax.hessp(W, b, X, VW, vb, alpha=0.2, sample_weight=s)
    eps = 1e-6
    up = softmax.loss_and_grad(W + eps * VW, b + eps * vb, X, y, 0.2, s)
    down = softmax.loss_and_grad(W - eps * VW, b - eps * vb, X, y, 0.2, s)
    np.testing.assert_allclose(hw, (up[1] - down[1]) / (2 * eps), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(hb, (up[2] - down[2]) / (2 * eps), rtol=1e-6, atol=1e-9)
    H = softmax.hessian(W, b, X, alpha=0.2, sample_weight=s)
    v = np.vstack([VW, vb[None, :]]).ravel()
    np.testing.assert_allclose(H @ v, np.vstack([hw, hb[None, :]]).ravel(), rtol=1e-10)
    np.testing.assert_allclose(H, H.T, atol=1e-14)


def test_curvature_bound_is_above_the_largest_hessian_eigenvalue():
    X, y, W, b, s = _problem(m=50, n=4, K=5)
    L = softmax.lipschitz_constant(X, alpha=0.1, sample_weight=s)
    for scale in (0.0, 1.0, 3.0):  # the softmax curvature is largest near equal probabilities
        H = softmax.hessian(scale * W, scale * b, X, alpha=0.1, sample_weight=s)
        assert np.linalg.eigvalsh(H)[-1] <= L * (1 + 1e-12)
    xt = np.column_stack([X, np.ones(len(X))])
    exact = np.linalg.eigvalsh(xt.T @ (xt * s[:, None]))[-1] / s.sum()
    assert L == pytest.approx(exact / 2 + 0.1, rel=1e-10)


@pytest.mark.parametrize("m", [400, 3001])  # the numpy reference, then the one-read passes
def test_hessian_products_at_a_point_reuse_its_probabilities_with_the_same_bits(m):
    """Conjugate gradients multiply by the Hessian at one point many times: the backend keeps
    the probabilities there, and each product is the one hessp gives, bit for bit."""
    from lrnn.backends.softmax_backend import SoftmaxBackend

    rng = np.random.default_rng(7)
    n, K = 70, 5
    X = rng.standard_normal((m, n))
    y, s = rng.integers(0, K, m), rng.uniform(0.5, 2, m)
    backend = SoftmaxBackend(X, y, K, s, scale=0.5)
    assert backend._fused == (m == 3001)
    W, b = 0.1 * rng.standard_normal((n, K)), 0.1 * rng.standard_normal(K)
    product = backend.hessian_product_at(W, b)
    for _ in range(2):  # the same kept probabilities serve every product
        VW, vb = rng.standard_normal((n, K)), rng.standard_normal(K)
        for got, want in zip(product(VW, vb), backend.hessp(W, b, VW, vb), strict=True):
            np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.uint8])
def test_fused_passes_match_the_reference(dtype, weighted, monkeypatch):
    from lrnn import kernels, softmax_fused

    rng = np.random.default_rng(4)
    m, n, K = 3001, 70, 6  # several chunks, a last group of fewer than four rows
    X = rng.integers(0, 256, (m, n)).astype(dtype) if dtype == np.uint8 else None
    if X is None:
        X = rng.standard_normal((m, n)).astype(dtype)
    scale = 1 / 255 if dtype == np.uint8 else 1.0
    pdtype = np.float32 if dtype == np.float32 else np.float64
    y = rng.integers(0, K, m)
    s = rng.uniform(0.5, 2, m) if weighted else None
    W = (0.1 * rng.standard_normal((n, K))).astype(pdtype)
    b = (0.1 * rng.standard_normal(K)).astype(pdtype)
    tol = 1e-4 if pdtype == np.float32 else 1e-12
    got, ref = (
        softmax_fused.data_pass(W, b, X, y, s, scale),
        softmax.data_pass(W, b, X, y, s, scale),
    )
    assert got.dw.dtype == pdtype and got.dw.shape == (n, K)
    assert got.loss == pytest.approx(ref.loss, rel=tol)
    assert got.accuracy == pytest.approx(ref.accuracy, rel=tol)
    np.testing.assert_allclose(got.dw, ref.dw, rtol=tol, atol=tol * np.abs(ref.dw).max())
    np.testing.assert_allclose(got.db, ref.db, rtol=tol, atol=1e-12)
    blas = softmax_fused._blas_pass(W, b, X, y, s, scale)
    np.testing.assert_allclose(blas.dw, ref.dw, rtol=tol, atol=tol * np.abs(ref.dw).max())
    VW, vb = rng.standard_normal((n, K)).astype(pdtype), rng.standard_normal(K).astype(pdtype)
    want = softmax.hessp(W, b, X, VW, vb, 0.0, s, scale)
    products = [softmax_fused.hessp(W, b, X, VW, vb, s, scale)]
    with monkeypatch.context() as without_numba:  # the blocks of numpy calls
        without_numba.setattr(kernels, "numba_installed", lambda: False)
        products.append(softmax_fused.hessp(W, b, X, VW, vb, s, scale))
        assert softmax_fused.worthwhile(X, K) == (X.size >= softmax_fused.MIN_ELEMENTS)
    for got_product in products:
        for g, r in zip(got_product, want, strict=True):
            np.testing.assert_allclose(g, r, rtol=tol, atol=tol * np.abs(r).max())
    np.testing.assert_allclose(
        softmax_fused.logits(W, b, X, scale), softmax.logits(W, b, X, scale), rtol=tol, atol=tol
    )


@pytest.mark.parametrize("dtype", [np.float32, np.uint8])
def test_fused_pass_has_the_same_bits_for_any_number_of_threads(dtype, monkeypatch):
    """The chunks and their order of summation depend on X's shape only, and every block's
    products are one BLAS call on one chunk's rows, so 1, 2 or 3 threads (and BLAS on one
    thread or its default) give the same bits."""
    from threadpoolctl import threadpool_limits

    from lrnn import softmax_fused

    rng = np.random.default_rng(8)
    m, n, K = 20_011, 37, 5  # many chunks; a last block shorter than the others
    if dtype == np.uint8:
        X = rng.integers(0, 256, (m, n)).astype(np.uint8)
    else:
        X = rng.standard_normal((m, n)).astype(dtype)
    W = (0.05 * rng.standard_normal((n, K))).astype(np.float32)
    b = (0.1 * rng.standard_normal(K)).astype(np.float32)
    y, s = rng.integers(0, K, m), rng.uniform(0.5, 2, m)
    passes = []
    for threads in (1, 2, 3):
        monkeypatch.setattr(softmax_fused, "_threads", lambda threads=threads: threads)
        passes.append(softmax_fused.data_pass(W, b, X, y, s, 1 / 255))
    with threadpool_limits(1):
        passes.append(softmax_fused.data_pass(W, b, X, y, s, 1 / 255))
    first = passes[0]
    for other in passes[1:]:
        np.testing.assert_array_equal(other.dw, first.dw)
        np.testing.assert_array_equal(other.db, first.db)
        assert (other.loss, other.accuracy) == (first.loss, first.accuracy)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.uint8])
def test_compiled_conjugate_gradients_solve_the_newton_system(dtype, weighted):
    """The Newton–CG direction from the compiled loop: solved tightly it is −(H + αI_W)⁻¹g with
    H the full Hessian of the plain formulas; loosely, its residual meets scipy's rule; and it
    stops after ``maxiter`` products."""
    from lrnn.backends.softmax_backend import SoftmaxBackend

    rng = np.random.default_rng(11)
    m, n, K, alpha = 3001, 70, 5, 1e-2  # one read per product, on one thread
    if dtype == np.uint8:
        X = rng.integers(0, 256, (m, n)).astype(np.uint8)
    else:
        X = rng.standard_normal((m, n)).astype(dtype)
    scale = 1 / 255 if dtype == np.uint8 else 0.5
    pdtype = np.float32 if dtype == np.float32 else np.float64  # as a fit's (uint8: float64)
    y, s = rng.integers(0, K, m), rng.uniform(0.5, 2, m) if weighted else None
    backend = SoftmaxBackend(X, y, K, s, scale=scale)
    assert backend._compiled_cg
    W = (0.2 * rng.standard_normal((n, K))).astype(pdtype)
    b = (0.1 * rng.standard_normal(K)).astype(pdtype)
    grad = rng.standard_normal((n + 1, K))
    grad[-1] -= grad[-1].mean()  # as every gradient's: adding c to all biases changes nothing
    H = softmax.hessian(W.astype(np.float64), b.astype(np.float64), X * scale, alpha, s)
    exact = -np.linalg.lstsq(H, grad.reshape(-1), rcond=None)[0].reshape(n + 1, K)
    tol = 1e-9 if pdtype == np.float64 else 2e-4
    tight = backend.newton_cg(W, b, grad, alpha, 1e-11 if pdtype == np.float64 else 1e-5, 1000)
    tight[-1] -= tight[-1].mean()  # along the biases' common shift H is 0: no direction there
    np.testing.assert_allclose(tight, exact, rtol=tol, atol=tol * np.abs(exact).max())
    loose = backend.newton_cg(W, b, grad, alpha, 0.3, 1000)
    residual = H @ loose.reshape(-1) + grad.reshape(-1)
    assert np.linalg.norm(residual) <= 0.3 * np.linalg.norm(grad) * (1 + 1e-6)
    assert np.linalg.norm(residual) > 1e-3 * np.linalg.norm(grad)  # it did stop early
    one = backend.newton_cg(W, b, grad, alpha, 1e-12, 1)  # one product: the Cauchy step
    g = grad.reshape(-1)
    np.testing.assert_allclose(one.reshape(-1), -(g @ g) / (g @ H @ g) * g, rtol=tol, atol=1e-12)


def test_a_newton_fit_through_the_compiled_loop_reaches_the_scipy_loops_optimum(monkeypatch):
    """The estimator on data in the compiled loop's window (3001 × 70, five classes): the same
    optimum as with scipy's cg driving the same Hessian products, and it did run compiled."""
    from lrnn import LogisticNeuron, softmax_fused

    rng = np.random.default_rng(12)
    m, n, K = 3001, 70, 5
    X = rng.standard_normal((m, n))
    y = np.argmax(X[:, :K] + rng.standard_normal((m, K)), axis=1)
    s = rng.uniform(0.5, 2, m)
    calls = []
    compiled = softmax_fused.newton_cg
    monkeypatch.setattr(
        softmax_fused, "newton_cg", lambda *a, **k: calls.append(1) or compiled(*a, **k)
    )

    def fit() -> LogisticNeuron:
        model = LogisticNeuron(solver="newton", alpha=1e-3, tol=1e-8)
        return model.fit(X, y, sample_weight=s)

    fast = fit()
    assert calls and fast.n_iter_ == len(calls)
    monkeypatch.setattr(softmax_fused, "compiled_cg_worthwhile", lambda X, K: False)
    slow = fit()
    assert len(calls) == fast.n_iter_  # scipy's cg this time
    np.testing.assert_allclose(fast.coef_, slow.coef_, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(fast.intercept_, slow.intercept_, rtol=1e-7, atol=1e-9)
