"""Sparse X: the CSR backend and kernels against the dense reference, every solver on CSR
against the same solver on the dense copy, scikit-learn's optimum, and no dense copy ever."""

from __future__ import annotations

import threading
import tracemalloc
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression

from lrnn import LogisticNeuron, kernels, objective, solvers, sparse_kernels
from lrnn.backends import make_backend
from lrnn.backends.sparse_backend import SparseBackend, SparseGramBackend
from lrnn.solvers import SOLVER_NAMES

needs_numba = pytest.mark.skipif(not kernels.numba_installed(), reason="numba is not installed")


def problem(m=240, n=40, density=0.15, dtype=np.float64, seed=0):
    """A sparse X (CSR), labels from a planted linear rule with noise, and weights."""
    rng = np.random.default_rng(seed)
    X = sp.random(m, n, density=density, random_state=seed, format="csr", dtype=dtype)
    y = ((X @ rng.standard_normal(n)) + 0.3 * rng.standard_normal(m) > 0).astype(int)
    s = rng.random(m) * 2
    return X, y, s


def rel(got, want):
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    return float(np.linalg.norm(got - want) / max(np.linalg.norm(want), 1e-300))


# --------------------------------------------------------------------------------------------
# The backend and the kernels against objective.py on the dense copy
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-13), (np.float32, 2e-6)])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("fused", [False, True])
def test_backend_matches_dense_reference(dtype, rtol, weighted, fused):
    if fused and not kernels.numba_installed():
        pytest.skip("numba is not installed")
    X, y, s = problem(dtype=dtype)
    s = s.astype(dtype) if weighted else None
    rng = np.random.default_rng(3)
    w = rng.standard_normal(X.shape[1]).astype(dtype)
    vw = rng.standard_normal(X.shape[1]).astype(dtype)
    backend = SparseBackend(X, y, s, scale=0.5)
    backend._fused = fused  # the small problem would take scipy's path: test both
    dense = X.toarray()
    got, want = backend.data_pass(w, 0.3), objective.data_pass(w, 0.3, dense, y, s, 0.5)
    assert rel(got.loss, want.loss) <= rtol and rel(got.dw, want.dw) <= rtol
    assert abs(got.db - want.db) <= rtol and got.accuracy == pytest.approx(want.accuracy, rtol)
    hw, hb = backend.hessp(w, 0.3, vw, -0.2)
    want_hw, want_hb = objective.hessp(w, 0.3, dense, vw, -0.2, 0.0, s, 0.5)
    assert rel(hw, want_hw) <= rtol and abs(hb - want_hb) <= rtol
    H = backend.hessian(w, 0.3)
    assert rel(H, objective.hessian(w, 0.3, dense, 0.0, s, 0.5)) <= rtol
    assert rel(backend.logits(w, 0.3), objective.logits(w, 0.3, dense, 0.5)) <= rtol
    want_lam = objective.augmented_lambda_max(dense, s, 0.5)
    assert backend.lambda_max() == pytest.approx(want_lam, rel=1e-6)


@needs_numba
def test_power_iteration_lambda_max_matches_exact(monkeypatch):
    """Past the exact rule's size, λmax comes from power iterations over the CSR rows."""
    X, y, s = problem(m=300, n=60)
    backend = SparseBackend(X, y, s)
    backend._fused = True
    exact = backend.lambda_max()
    monkeypatch.setattr(objective, "EXACT_CURVATURE_WORK", 0)
    iterated = SparseBackend(X, y, s)
    iterated._fused = True
    assert exact <= iterated.lambda_max() <= 1.03 * exact


@needs_numba
def test_fused_pass_same_bits_for_any_thread_count(monkeypatch):
    import numba

    monkeypatch.setattr(sparse_kernels, "THREADED_MIN_VALUES", 0)  # threads even for this size

    rng = np.random.default_rng(5)
    X = sp.random(20_000, 3_000, density=0.005, random_state=5, format="csr")
    y = (rng.random(20_000) < 0.5).astype(float)
    w = rng.standard_normal(3_000)
    assert sparse_kernels.plan(X.shape[0], X.nnz, X.shape[1]) < X.shape[0]  # several chunks
    results = []

    def run_with(threads):
        numba.set_num_threads(threads)
        results.append(sparse_kernels.data_pass(w, 0.1, X, y, None, 1.0))

    for threads in (1, 2):
        t = threading.Thread(target=run_with, args=(threads,))
        t.start()
        t.join()
    assert results[0].loss == results[1].loss
    np.testing.assert_array_equal(results[0].dw, results[1].dw)


@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("weighted", [False, True])
def test_hessp_reuses_the_curvature_of_the_last_pass_bit_for_bit(dtype, weighted, monkeypatch):
    """After a data pass at (w, b), Hessian products there take σ(1 − σ) kept by that pass (one
    walk, no exp) and equal the products that recompute it, bit for bit; elsewhere they don't
    use it."""
    rng = np.random.default_rng(7)
    X = sp.random(20_000, 3_000, density=0.005, random_state=7, format="csr", dtype=dtype)
    y = (rng.random(20_000) < 0.5).astype(int)
    s = rng.random(20_000) if weighted else None
    backend = SparseBackend(X, y, s, scale=0.7)
    assert backend._fused
    w, vw = (rng.standard_normal(3_000).astype(dtype) for _ in range(2))
    recomputed = backend.hessp(w, 0.2, vw, -0.3)
    calls = []
    original = sparse_kernels.hessp
    monkeypatch.setattr(sparse_kernels, "hessp", lambda *a: calls.append(1) or original(*a))
    backend.data_pass(w, 0.2)
    reused = backend.hessp(w, 0.2, vw, -0.3)
    elsewhere = backend.hessp(w, 0.25, vw, -0.3)
    assert calls == [1]
    np.testing.assert_array_equal(reused[0], recomputed[0])
    assert reused[1] == recomputed[1] and elsewhere[1] != reused[1]


@needs_numba
def test_the_same_point_twice_is_read_once(monkeypatch):
    """Newton's accepted step is evaluated by its line search; the loop's final check at the
    same weights reuses that pass instead of walking the rows again (and hands out copies)."""
    rng = np.random.default_rng(8)
    X = sp.random(20_000, 3_000, density=0.005, random_state=8, format="csr")
    backend = SparseBackend(X, (rng.random(20_000) < 0.5).astype(int))
    calls = []
    original = sparse_kernels.data_pass
    monkeypatch.setattr(sparse_kernels, "data_pass", lambda *a: calls.append(1) or original(*a))
    w = rng.standard_normal(3_000)
    first = backend.data_pass(w, 0.1)
    first.dw[:] = 0.0
    again = backend.data_pass(w.copy(), 0.1)
    other = backend.data_pass(w, 0.2)
    assert calls == [1, 1] and np.array_equal(again.dw, original(w, 0.1, X, backend.y, None, 1).dw)
    assert other.loss != again.loss


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-13), (np.float32, 2e-6)])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("fused", [False, True])
def test_hessian_diagonal_is_the_diagonal_of_the_hessian(dtype, rtol, weighted, fused):
    """Newton–CG's Jacobi preconditioner: the diagonal of the exact (n+1)² Hessian, taken
    with or without a data pass at the same point before it."""
    if fused and not kernels.numba_installed():
        pytest.skip("numba is not installed")
    X, y, s = problem(dtype=dtype)
    s = s.astype(dtype) if weighted else None
    w = np.random.default_rng(4).standard_normal(X.shape[1]).astype(dtype)
    want = np.diag(objective.hessian(w, 0.3, X.toarray(), 0.0, s, 0.5))
    for passed_first in (False, True):
        backend = SparseBackend(X, y, s, scale=0.5)
        backend._fused = fused
        if passed_first:
            backend.data_pass(w, 0.3)
        hw, hb = backend.hessian_diagonal(w, 0.3)
        assert rel(hw, want[:-1]) <= rtol and abs(hb - want[-1]) <= rtol * want[-1]


@needs_numba
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_compiled_preconditioned_cg_solves_the_newton_system(dtype, weighted):
    """The sparse Newton–CG direction from the compiled loop: solved tightly it is
    −(H + αI_w)⁻¹g with H the exact Hessian of the plain formulas, whatever the (positive)
    preconditioner; loosely, its residual meets scipy's rule; one product is the preconditioned
    Cauchy step."""
    X, y, s = problem(m=400, n=60, density=0.1, dtype=dtype, seed=9)
    s = s.astype(dtype) if weighted else None
    rng = np.random.default_rng(5)
    alpha, scale, n = 1e-2, 0.5, X.shape[1]
    w = (0.3 * rng.standard_normal(n)).astype(dtype)
    backend = SparseBackend(X, y, s, scale=scale)
    backend._fused = True  # the small problem would take scipy's path
    backend.data_pass(w, 0.2)  # σ(1 − σ) at (w, 0.2), as a Newton step finds it
    grad = rng.standard_normal(n + 1)
    dense = X.toarray().astype(np.float64)
    H = objective.hessian(w.astype(np.float64), 0.2, dense, alpha, s, scale)
    exact = -np.linalg.solve(H, grad)
    inverse = rng.uniform(0.1, 10, n + 1)  # any positive diagonal: the same solution
    tol = 1e-9 if dtype == np.float64 else 2e-4

    def direction(rtol, limit):
        dw, db, products = sparse_kernels.newton_cg(
            backend.X, grad[:-1], grad[-1], backend._curvature, backend.sample_weight, scale,
            alpha, inverse, rtol, limit, backend.dtype,
        )  # fmt: skip
        return np.append(dw, db), products

    tight, products = direction(1e-12 if dtype == np.float64 else 1e-6, 1000)
    np.testing.assert_allclose(tight, exact, rtol=tol, atol=tol * np.abs(exact).max())
    assert products <= 3 * (n + 1)
    loose, products = direction(0.3, 1000)
    residual = H @ loose + grad
    assert 1e-3 * np.linalg.norm(grad) < np.linalg.norm(residual)  # it did stop early
    assert np.linalg.norm(residual) <= 0.3 * np.linalg.norm(grad) * (1 + 1e-6)
    one, products = direction(1e-12, 1)
    z = inverse * grad
    want = -(grad @ z) / (z @ H @ z) * z
    assert products == 1
    np.testing.assert_allclose(one, want, rtol=tol, atol=tol * np.abs(want).max())


@needs_numba
def test_a_sparse_newton_fit_through_the_compiled_loop_reaches_the_scipy_loops_optimum(
    monkeypatch,
):
    """The estimator on a CSR matrix in the compiled loop's window (fused, one thread, too wide
    for the exact Hessian): the optimum scipy's cg reaches with the same preconditioner and
    products, with sample weights, and the compiled loop did run."""
    X, y, s = problem(m=5_000, n=4_000, density=0.012, seed=8)
    assert sparse_kernels.compiled_cg_worthwhile(X)
    calls = []
    compiled = sparse_kernels.newton_cg
    monkeypatch.setattr(
        sparse_kernels, "newton_cg", lambda *a, **k: calls.append(1) or compiled(*a, **k)
    )

    def fit() -> LogisticNeuron:
        return LogisticNeuron(solver="newton", alpha=1e-3, tol=1e-9).fit(X, y, sample_weight=s)

    fast = fit()
    compiled_calls = len(calls)  # one per Newton direction (one more if it ends "converged")
    assert 1 <= fast.n_iter_ <= compiled_calls <= fast.n_iter_ + 1
    monkeypatch.setattr(sparse_kernels, "compiled_cg_worthwhile", lambda X: False)
    slow = fit()
    assert len(calls) == compiled_calls  # scipy's cg this time
    assert fast.result_.grad_norm <= 1e-9 and slow.result_.grad_norm <= 1e-9
    np.testing.assert_allclose(fast.coef_, slow.coef_, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(fast.intercept_, slow.intercept_, rtol=1e-6, atol=1e-8)


@needs_numba
def test_sparse_newton_cg_reaches_a_tight_tol(monkeypatch):
    """Columns whose scales span four orders of magnitude, tol 1e-11: where a loose solve's
    step no longer lowers J (max|∇J| ≈ 2e-9), the step is solved closely and judged by the
    gradient, so Newton reaches tol instead of stalling there."""
    from lrnn.config import TrainConfig
    from lrnn.train import train

    rng = np.random.default_rng(1)
    X = sp.random(20_000, 5_000, density=0.003, format="csr", random_state=1,
                  data_rvs=lambda k: rng.exponential(1, k))  # fmt: skip
    X = sp.csr_matrix(X @ sp.diags(10.0 ** rng.uniform(-2, 2, 5_000)))
    planted = rng.standard_normal(5_000) * (rng.random(5_000) < 0.05)
    y = ((X @ planted) + 0.3 * rng.standard_normal(20_000) > 0).astype(float)
    assert sparse_kernels.compiled_cg_worthwhile(X)
    solves = []
    direction = solvers._newton_direction

    def spy(*args, **kwargs):
        solves.append(args[4] if len(args) > 4 else kwargs.get("tighter", False))
        return direction(*args, **kwargs)

    monkeypatch.setattr(solvers, "_newton_direction", spy)
    config = TrainConfig(solver="newton", alpha=1e-4, tol=1e-11, max_iter=100)
    result = train(SparseBackend(X, y), config)
    assert result.stop_reason == "tol" and result.grad_norm <= 1e-11
    # Loose solves all the way, and a close one only where a loose step stopped helping.
    assert not solves[0] and solves.count(True) <= 2 and solves.count(False) >= 5


def test_newton_forcing_is_loose_for_preconditioned_solves_and_tighter_on_request():
    from lrnn.solvers import _forcing

    assert _forcing(1e-6, 1e-12, preconditioned=True, tighter=False) == 0.1
    assert _forcing(1e-6, 1e-12, preconditioned=True, tighter=True) == pytest.approx(1e-3)
    assert _forcing(1e-10, 1e-16, preconditioned=True, tighter=True) == pytest.approx(1e-5)
    assert _forcing(1e-6, 1e-12, preconditioned=False, tighter=False) == pytest.approx(1e-3)
    # Never more exact than tol asks, never looser than 0.5.
    assert _forcing(1e-6, 1e-7, preconditioned=True, tighter=True) == pytest.approx(0.05)
    assert _forcing(1e-6, 1e-3, preconditioned=True, tighter=False) == 0.5


def test_a_close_step_that_the_cost_cannot_judge_is_taken_when_the_gradient_falls():
    from lrnn.solvers import _within_rounding

    grad = np.array([2e-9, -1e-9])
    cost = 0.3
    ulp = np.finfo(float).eps * cost
    assert _within_rounding((cost + 2 * ulp, np.array([1e-12, 0.0])), cost, grad)
    assert not _within_rounding((cost + 2 * ulp, np.array([3e-9, 0.0])), cost, grad)
    assert not _within_rounding((cost + 1e-12, np.array([1e-12, 0.0])), cost, grad)


def test_csc_and_sparse_arrays_become_csr_once():
    X, y, _ = problem()
    assert SparseBackend(X, y).X is X  # CSR input: no copy
    for other in (X.tocsc(), sp.csr_array(X), sp.coo_matrix(X)):
        backend = make_backend(other, y)
        assert isinstance(backend, SparseBackend) and backend.X.format == "csr"
    Xi = sp.csr_matrix(X.toarray().round().astype(np.int64))
    assert SparseBackend(Xi, y).X.dtype == np.float64


# --------------------------------------------------------------------------------------------
# The estimator: every solver on CSR equals the same solver on the dense copy
# --------------------------------------------------------------------------------------------
def _fit_both(X, y, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = LogisticNeuron(**params).fit(X, y)
        b = LogisticNeuron(**params).fit(X.toarray(), y)
    return a, b


def _assert_same(a, b, tol=1e-10):
    assert rel(a.coef_, b.coef_) <= tol
    assert abs(float(a.intercept_[0] - b.intercept_[0])) <= tol
    assert a.n_iter_ == b.n_iter_


@pytest.mark.parametrize("solver", SOLVER_NAMES)
def test_every_solver_on_csr_equals_dense(solver):
    X, y, s = problem()
    a, b = _fit_both(X, y, solver=solver, alpha=1e-2, max_iter=60, tol=0, batch_size=32)
    _assert_same(a, b)
    # scipy's driver ends (here after 18 iterations) with line searches that compare costs
    # equal to their last bit, where a sparse and a dense sum may round apart: on a machine
    # without AVX-512 its CSC run then stopped 8.5e-9 (relative) from the dense one, both at
    # the optimum to working precision. Up to that endgame the two agree to 1e-16.
    iterations = 15 if solver == "lbfgs-scipy" else 30
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wa = LogisticNeuron(solver=solver, alpha=1e-2, max_iter=iterations, tol=0, batch_size=32)
        wb = LogisticNeuron(solver=solver, alpha=1e-2, max_iter=iterations, tol=0, batch_size=32)
        wa.fit(X.tocsc(), y, sample_weight=s)
        wb.fit(X.toarray(), y, sample_weight=s)
    _assert_same(wa, wb)
    np.testing.assert_allclose(wa.predict_proba(X), wb.predict_proba(X.toarray()), rtol=1e-10)
    assert wa.score(X, y) == wb.score(X.toarray(), y)


def test_wide_sparse_data_takes_the_gram_shortcut_and_equals_dense(monkeypatch):
    X, y, _ = problem(m=40, n=400, density=0.05)
    views = []
    original = SparseBackend.coefficient_view
    monkeypatch.setattr(
        SparseBackend, "coefficient_view", lambda self: views.append(1) or original(self)
    )
    a, b = _fit_both(X, y, solver="gd", alpha=1e-3, max_iter=200, tol=0)
    assert views == [1]
    assert isinstance(original(make_backend(X, y)), SparseGramBackend)
    _assert_same(a, b)


def test_class_weight_early_stopping_and_warm_start_on_csr():
    X, y, _ = problem(m=400)
    params = dict(solver="gd", max_iter=200, tol=0, class_weight="balanced", random_state=3)
    a, b = _fit_both(X, y, early_stopping=True, n_iter_no_change=3, **params)
    _assert_same(a, b)
    assert a.history_["val_loss"] == pytest.approx(b.history_["val_loss"], rel=1e-10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        warm = LogisticNeuron(warm_start=True, max_iter=20, tol=0).fit(X, y)
        first = warm.coef_.copy()
        warm.fit(X, y)
        dense = LogisticNeuron(warm_start=True, max_iter=20, tol=0).fit(X.toarray(), y)
        dense.fit(X.toarray(), y)
    assert rel(warm.coef_, dense.coef_) <= 1e-10 and not np.allclose(warm.coef_, first)


def test_float32_csr_trains_in_float32():
    X, y, _ = problem(dtype=np.float32)
    est = LogisticNeuron(solver="lbfgs").fit(X, y)
    assert est.coef_.dtype == np.float32
    assert est.decision_function(X).dtype == np.float32


@pytest.mark.parametrize("solver", ["lbfgs", "newton", "auto"])
@pytest.mark.parametrize("alpha", [1e-2, 1e-4])
def test_reaches_scikit_learn_optimum_on_sparse(solver, alpha):
    X, y, _ = problem(m=500, n=80, density=0.1, seed=2)
    m = X.shape[0]
    ref = LogisticRegression(C=1 / (alpha * m), tol=1e-12, max_iter=10_000).fit(X, y)
    est = LogisticNeuron(solver=solver, alpha=alpha, tol=1e-9, max_iter=2000).fit(X, y)

    def cost(coef, intercept):
        z = X @ coef.ravel() + intercept
        return objective.cost_from_logits(z, y) + 0.5 * alpha * float(coef.ravel() @ coef.ravel())

    best = cost(ref.coef_, ref.intercept_[0])
    assert cost(est.coef_, est.intercept_[0]) <= best * (1 + 1e-6)
    assert rel(est.coef_, ref.coef_) <= 1e-4


def test_auto_runs_newton_cg_on_tall_sparse_data():
    """Tall data too wide for the exact Hessian: auto is L-BFGS on dense rows and Newton–CG on
    sparse ones, whose Hessian products are one walk over the stored values."""
    from lrnn import solvers

    assert solvers.resolve("auto", 200_000, 100_000).name == "lbfgs"
    assert solvers.resolve("auto", 200_000, 100_000, sparse=True).name == "newton"
    X, y, _ = problem(m=1_500, n=1_200, density=0.01, seed=6)
    assert not solvers.exact_hessian_is_cheap(*X.shape)
    est = LogisticNeuron(solver="auto", alpha=1e-3, tol=1e-8).fit(X, y)
    assert est.result_.solver == "newton" and est.result_.grad_norm <= 1e-8


@pytest.mark.parametrize("solver", ["gd", "momentum", "nesterov", "adam", "sgd"])
def test_first_order_solvers_on_sparse_converge_or_warn(solver):
    """The ConvergenceWarning contract: either max|∇J| ≤ tol is reached, or a warning says not."""
    X, y, _ = problem(m=300, n=30, density=0.2, seed=4)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = LogisticNeuron(solver=solver, alpha=1e-2, tol=1e-4, max_iter=300).fit(X, y)
    warned = any("ConvergenceWarning" in type(w.message).__name__ for w in caught)
    assert warned or est.result_.grad_norm <= 1e-4


# --------------------------------------------------------------------------------------------
# Memory: never a dense (examples, features) array
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("solver", ["lbfgs", "newton", "gd"])
def test_no_dense_copy_of_a_large_sparse_matrix(solver):
    """A dense float64 copy of this X would take 16 GB; the whole fit stays far below 1/100 of
    that, and within 10 % of the CSR arrays plus O(features) vectors (measured: gd 6.9 MB,
    newton 12.5 MB, lbfgs 55 MB for n = 100,000 features, i.e. 9, 16 and 69 vectors)."""
    m, n, per_row = 20_000, 100_000, 12
    rng = np.random.default_rng(0)
    indices = rng.integers(0, n, size=m * per_row).astype(np.int32)
    X = sp.csr_matrix(
        (rng.random(m * per_row), indices, np.arange(0, m * per_row + 1, per_row)), shape=(m, n)
    )
    y = (rng.random(m) < 0.5).astype(int)
    csr_bytes = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    warm = SparseBackend(X, y)  # numba's compiler allocates too: compile before measuring
    zeros = np.zeros(n)
    warm.data_pass(zeros, 0.0), warm.hessp(zeros, 0.0, zeros, 0.0), warm.logits(zeros, 0.0)
    tracemalloc.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            LogisticNeuron(solver=solver, max_iter=3, tol=0, alpha=1e-3).fit(X, y)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # scipy's L-BFGS keeps ~70 vectors of length n (its history pairs and workspace).
    feature_vectors = 8 * n * 80
    assert peak <= 0.1 * csr_bytes + feature_vectors + 64 * m
    assert peak < m * n * 8 / 100


@pytest.mark.parametrize("solver", ["gd", "sgd", "adam", "lbfgs", "newton"])
def test_sparse_input_with_three_classes_equals_dense(solver):
    """K ≥ 3 classes on CSR/CSC take the softmax layer's reference passes on row blocks of the
    sparse matrix (no full dense copy; the exact Hessian widens X only for few features)."""
    from lrnn import LogisticNeuron

    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 5))
    X[X < 0.3] = 0
    y = rng.integers(0, 3, 60)
    params = {"solver": solver, "alpha": 1e-2, "max_iter": 50, "learning_rate": "auto", "tol": 0}
    dense = LogisticNeuron(**params).fit(X, y)
    for matrix in (sp.csr_matrix(X), sp.csc_array(X)):
        fitted = LogisticNeuron(**params).fit(matrix, y)
        np.testing.assert_allclose(fitted.coef_, dense.coef_, rtol=0, atol=1e-12)
        np.testing.assert_allclose(
            fitted.predict_proba(matrix), dense.predict_proba(X), rtol=0, atol=1e-12
        )


@pytest.mark.parametrize("solver", ["gd", "nesterov"])
def test_wide_sparse_input_with_three_classes_and_an_auto_rate_equals_dense(solver):
    """The curvature bound of wide rows comes from their m × m Gram, which sparse rows give as
    a dense matrix too (it failed: a sparse XXᵀ cannot take the bias's + 1)."""
    from lrnn import LogisticNeuron

    rng = np.random.default_rng(0)
    X, y = rng.random((15, 30)), rng.integers(0, 3, 15)
    params = {"solver": solver, "learning_rate": "auto", "max_iter": 50, "tol": 0}
    dense = LogisticNeuron(**params).fit(X, y)
    fitted = LogisticNeuron(**params).fit(sp.csr_matrix(X), y)
    np.testing.assert_allclose(fitted.coef_, dense.coef_, rtol=0, atol=1e-12)


def _broken(kind: str):
    """A sparse matrix whose index arrays do not fit its shape (scipy builds it unchecked)."""
    ones = np.ones(3)
    if kind == "column past the end":
        return sp.csr_matrix((ones, [0, 1, 7], [0, 2, 3]), shape=(2, 3))
    if kind == "negative column":
        return sp.csr_matrix((ones, [0, -1, 2], [0, 2, 3]), shape=(2, 3))
    if kind == "pointers past the values":
        return sp.csr_matrix((ones, [0, 1, 2], [0, 2, 3]), shape=(2, 3)), 9
    if kind == "values emptied after building":
        X = sp.csc_matrix(np.eye(2, 3))
        X.data = np.empty((2, 0))
        return X
    if kind == "coo column changed after building":
        X = sp.coo_matrix(np.eye(2, 3))
        X.col[1] = 9
        return X
    if kind == "bsr block column changed after building":
        X = sp.bsr_matrix(np.eye(2, 3), blocksize=(1, 1))
        X.indices[1] = 9
        return X
    return sp.csc_matrix((ones, [0, 1, 5], [0, 1, 2, 3]), shape=(2, 3))  # a row past the end


@pytest.mark.parametrize(
    "kind",
    [
        "column past the end",
        "negative column",
        "pointers past the values",
        "csc row",
        "coo column changed after building",
        "bsr block column changed after building",
        "values emptied after building",
    ],
)
def test_index_arrays_that_do_not_fit_the_shape_are_refused_before_any_pass(kind):
    """The compiled passes index w with the stored column indices: one out of range would read
    and write outside memory (a crash, or silently wrong weights), so it is refused first."""
    X = _broken(kind)
    if isinstance(X, tuple):
        X, pointer = X
        X.indptr[-1] = pointer
    said = "outside its" if "past the values" not in kind else "reach past its 3 stored"
    if kind == "values emptied after building":
        said = "reach past its 0 stored values"
    y = np.array([0, 1])
    with pytest.raises(ValueError, match=said) as info:
        LogisticNeuron(solver="lbfgs").fit(X, y)
    assert "\n" not in str(info.value) and "rebuild it" in str(info.value)
    with pytest.raises(ValueError, match=said):
        make_backend(X, y.astype(float))
    fitted = LogisticNeuron(solver="lbfgs").fit(sp.csr_matrix(np.eye(2, 3)), y)
    with pytest.raises(ValueError, match=said):
        fitted.predict_proba(X)
    from lrnn import inference

    with pytest.raises(ValueError, match=said):  # the prediction path of files and serve
        inference.logits(fitted.coef_.ravel(), 0.0, X, 1.0)


@pytest.mark.filterwarnings("ignore:gd stopped at max_iter")  # a few steps suffice
def test_a_sparse_fit_checks_the_index_arrays_once(monkeypatch):
    """The estimator checks them in its input validation; its backends do not again
    (each check is a pass over the stored indices)."""
    from lrnn import estimator as estimator_module
    from lrnn.backends import sparse_backend

    X, y, _ = problem()
    calls = []
    real = sparse_backend.check_structure

    def counting(X, name="X"):
        calls.append(1)
        return real(X, name)

    monkeypatch.setattr(sparse_backend, "check_structure", counting)
    monkeypatch.setattr(estimator_module, "check_structure", counting)
    LogisticNeuron(early_stopping=True, max_iter=20).fit(X, y)
    assert len(calls) == 1
    calls.clear()
    make_backend(X, y)  # a library caller's backend still checks
    assert len(calls) == 1


@pytest.mark.parametrize(
    ("stored", "shape", "said"),
    [
        (12_000, (400, 30), "12,000 stored values, 100 % of the matrix"),  # was "1e+02 %"
        (11_999, (400, 30), "11,999 stored values, 99.9 % of the matrix"),  # not rounded to 100
        (252, (120, 100), "252 stored values, 2.1 % of the matrix"),
        (3, (1000, 1000), "3 stored values, 0.0003 % of the matrix"),
    ],
)
def test_the_training_header_says_how_much_of_a_sparse_matrix_is_stored(stored, shape, said):
    from types import SimpleNamespace

    from lrnn.cli.train_lines import _sparseness

    backend = SimpleNamespace(
        X=SimpleNamespace(nnz=stored), sparse_rows=True, n_samples=shape[0], n_features=shape[1]
    )
    assert _sparseness(backend) == ", sparse: " + said


def test_a_softmax_layers_header_says_its_rows_are_sparse_too():
    """Text of three classes trains a softmax layer, whose backend has no sparse_rows flag:
    the header said "(float64)" alone, as if the matrix had been made dense."""
    from lrnn.cli.train_lines import _sparseness

    X = sp.random(60, 400, density=0.05, format="csr", random_state=0)
    backend = make_backend(X, np.arange(60) % 3, n_classes=3)
    assert _sparseness(backend) == f", sparse: {X.nnz:,} stored values, 5 % of the matrix"
    dense = make_backend(X.toarray(), np.arange(60) % 3, n_classes=3)
    assert _sparseness(dense) == ""
