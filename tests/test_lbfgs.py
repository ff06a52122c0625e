"""lrnn's own L-BFGS: the two-loop recursion, the Wolfe line search, exact resume, the optimum."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from lrnn import checkpoint, lbfgs, optim, solvers
from lrnn.backends import make_backend
from lrnn.backends.numpy_backend import InMemoryBackend
from lrnn.checkpoint import state_from_checkpoint, state_to_checkpoint
from lrnn.errors import ModelFileError
from lrnn.objective import loss_and_grad
from lrnn.train import Callback, TrainConfig, train


class _Stopper(Callback):
    def __init__(self, at: int) -> None:
        self.at = at

    def on_step(self, state) -> bool:
        return state.iteration >= self.at


def _resumed_through_json(backend, config, stop_at):
    partial = train(backend, config, callbacks=[_Stopper(stop_at)])
    assert partial.stop_reason == "interrupted"
    assert isinstance(partial.state.opt_state, lbfgs.LBFGSState)
    assert partial.state.opt_state.count > 0  # the memory is carried, not empty
    tensors, meta = state_to_checkpoint(partial.state, config)
    state, config_back = state_from_checkpoint(tensors, json.loads(json.dumps(meta)))
    for field in ("s", "y"):
        np.testing.assert_array_equal(
            getattr(state.opt_state, field), getattr(partial.state.opt_state, field)
        )
    assert state.opt_state.count == partial.state.opt_state.count
    return train(backend, config_back, resume=state)


# --------------------------------------------------------------------------------------------
# The registry and auto
def test_lbfgs_is_lrnns_own_and_scipy_stays_available():
    own, scipy = solvers.REGISTRY["lbfgs"], solvers.REGISTRY["lbfgs-scipy"]
    assert own.step is not None and own.driver is None and not own.needs_scipy
    assert scipy.driver is solvers.run_lbfgs and scipy.step is None
    assert solvers.resolve("auto", 200_000, 500) is own  # tall data: lrnn's own


# --------------------------------------------------------------------------------------------
# The two-loop recursion is the BFGS inverse-Hessian product
def test_two_loop_equals_the_dense_bfgs_update():
    rng = np.random.default_rng(0)
    n, pairs = 6, 4
    A = rng.standard_normal((n, n))
    A = A @ A.T + n * np.eye(n)  # a positive definite Hessian: y = A s
    state = lbfgs.empty(np.zeros(n), memory=3)  # 4 pairs into 3 slots: the oldest drops out
    kept = []
    for _ in range(pairs):
        s = rng.standard_normal(n)
        state = lbfgs.remember(state, s, A @ s)
        kept = [*kept, (s, A @ s)][-3:]
    assert state.count == pairs
    s_new, y_new = kept[-1]
    H = (s_new @ y_new) / (y_new @ y_new) * np.eye(n)
    for s, y in kept:  # oldest first
        rho = 1.0 / (s @ y)
        V = np.eye(n) - rho * np.outer(y, s)
        H = V.T @ H @ V + rho * np.outer(s, s)
    g = rng.standard_normal(n)
    np.testing.assert_allclose(lbfgs.direction(state, g), -H @ g, rtol=1e-12, atol=1e-14)


def test_a_memory_without_its_inner_products_gives_the_same_direction():
    """States from checkpoints written before SᵀY and YᵀY were kept: they are formed on load,
    and the direction is the one the kept products give (float32 memory too)."""
    rng = np.random.default_rng(1)
    for dtype in (np.float64, np.float32):
        state = lbfgs.empty(np.zeros(7, dtype), memory=4)
        for _ in range(6):  # wraps the ring
            s = rng.standard_normal(7).astype(dtype)
            state = lbfgs.remember(state, s, (s + 0.1 * rng.standard_normal(7)).astype(dtype))
        g = rng.standard_normal(7).astype(dtype)
        tensors, counters = optim.state_to_arrays(state)
        del tensors["sy"], tensors["yy"]  # as an older checkpoint stored it
        old_format = optim.state_from_arrays(tensors, counters)
        tol = 1e-12 if dtype == np.float64 else 1e-5
        np.testing.assert_allclose(
            lbfgs.direction(old_format, g), lbfgs.direction(state, g), rtol=tol, atol=tol
        )
        assert lbfgs.direction(state, g).dtype == dtype
        grown = lbfgs.remember(old_format, np.ones(7, dtype), np.ones(7, dtype))
        assert grown.sy is not None and grown.count == state.count + 1


def test_empty_memory_means_steepest_descent_and_bad_pairs_are_skipped():
    g = np.array([1.0, -2.0, 3.0])
    state = lbfgs.empty(g)
    np.testing.assert_array_equal(lbfgs.direction(state, g), -g)
    # s·y ≤ 0 (negative curvature, or a cut-short step) would make H indefinite
    assert lbfgs.remember(state, np.ones(3), -np.ones(3)).count == 0
    assert lbfgs.remember(state, np.ones(3), np.zeros(3)).count == 0


def test_line_search_meets_the_strong_wolfe_conditions():
    # f(θ) = Σ log(1 + e^θ) − θ·c along −∇f from 0: the first trial (t = 100) overshoots
    c = np.array([0.9, 0.2, 0.6])

    def evaluate(theta):
        f = float(np.sum(np.logaddexp(0, theta)) - theta @ c)
        return f, 1 / (1 + np.exp(-theta)) - c, None

    theta = np.zeros(3)
    f0, g0, _ = evaluate(theta)
    d = -g0
    slope = float(g0 @ d)
    for c2 in (lbfgs.C2, 0.1):
        point, trials = lbfgs.line_search(evaluate, theta, f0, slope, d, 100.0, c2)
        assert point.f <= f0 + lbfgs.C1 * point.t * slope
        assert abs(point.slope) <= c2 * abs(slope)
        assert trials >= 2 and point.t < 100.0
        np.testing.assert_array_equal(point.theta, theta + point.t * d)


# --------------------------------------------------------------------------------------------
# Bit-identical resume: weights and history, binary and K classes, float64 and float32
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.filterwarnings("ignore:.*before reaching the optimum")  # stopped early on purpose
def test_resume_is_bit_identical(breast_cancer_std, dtype):
    X, y = breast_cancer_std
    backend = InMemoryBackend(X.astype(dtype), y)
    config = TrainConfig(solver="lbfgs", alpha=1e-3, max_iter=30, tol=0, record_every=1)
    full = train(backend, config)
    assert full.n_iter > 20  # float32: "converged" at its precision after 26
    resumed = _resumed_through_json(backend, config, 13)
    assert resumed.w.dtype == dtype and resumed.n_iter == full.n_iter
    assert resumed.stop_reason == full.stop_reason
    np.testing.assert_array_equal(resumed.w, full.w)
    assert resumed.b == full.b
    np.testing.assert_equal(dict(resumed.history), dict(full.history))  # NaN rates too
    np.testing.assert_array_equal(resumed.state.opt_state.s, full.state.opt_state.s)
    assert resumed.state.opt_state.evaluations == full.state.opt_state.evaluations


@pytest.mark.filterwarnings("ignore:.*before reaching the optimum")  # stopped early on purpose
def test_resume_is_bit_identical_for_k_classes():
    X, y = load_wine(return_X_y=True)
    backend = make_backend(StandardScaler().fit_transform(X), y, n_classes=3)
    config = TrainConfig(solver="lbfgs", alpha=1e-3, max_iter=25, tol=0, record_every=1)
    full = train(backend, config)
    resumed = _resumed_through_json(backend, config, 9)
    assert resumed.w.shape == (13, 3) and resumed.state.opt_state.s.shape == (20, 14, 3)
    np.testing.assert_array_equal(resumed.w, full.w)
    np.testing.assert_array_equal(resumed.b, full.b)
    np.testing.assert_equal(dict(resumed.history), dict(full.history))


@pytest.mark.filterwarnings("ignore:.*before reaching the optimum")  # stopped early on purpose
def test_checkpoint_file_round_trip_and_a_corrupt_memory(breast_cancer_std, tmp_path):
    X, y = breast_cancer_std
    backend = InMemoryBackend(X, y)
    config = TrainConfig(solver="lbfgs", alpha=1e-3, max_iter=20, tol=0)
    full = train(backend, config)
    info = {"n_samples": len(y), "n_features": X.shape[1], "sha256": "x", "source": "t"}
    saver = checkpoint.Checkpointer(str(tmp_path / "c.safetensors"), 7, config, info)
    partial = train(backend, config, callbacks=[saver, _Stopper(7)])
    assert partial.stop_reason == "interrupted"
    tensors, meta, _ = checkpoint.read(tmp_path / "c.safetensors")
    state = checkpoint.resume_state("c", tensors, meta, info)
    np.testing.assert_array_equal(train(backend, config, resume=state).w, full.w)
    # a checkpoint from before SᵀY and YᵀY were stored: formed again from s and y on resume
    older = {k: v for k, v in tensors.items() if k not in ("opt.sy", "opt.yy")}
    state = checkpoint.resume_state("c", older, meta, info)
    np.testing.assert_allclose(train(backend, config, resume=state).w, full.w, rtol=1e-9)
    bad = dict(tensors, **{"opt.sy": tensors["opt.sy"][:2]})
    with pytest.raises(ModelFileError, match="'opt.sy' does not match"):
        checkpoint.resume_state("c", bad, meta, info)
    tensors["opt.y"] = tensors["opt.y"][:3]  # pairs of s and y no longer match
    with pytest.raises(ModelFileError, match="optimiser's tensors differ in shape"):
        checkpoint.resume_state("c", tensors, meta, info)


def test_a_checkpoint_without_memory_still_resumes(breast_cancer_std):
    """A checkpoint of scipy's driver stored no optimiser state: the memory starts empty."""
    X, y = breast_cancer_std
    backend = InMemoryBackend(X, y)
    config = TrainConfig(solver="lbfgs", alpha=1e-2, tol=1e-6, max_iter=200)
    partial = train(backend, config, callbacks=[_Stopper(5)])
    state = partial.state._replace(opt_state=None)
    resumed = train(backend, config, resume=state)
    assert resumed.stop_reason == "tol" and resumed.grad_norm <= 1e-6


# --------------------------------------------------------------------------------------------
# The optimum: scikit-learn's, with sample weights and in float32
def _sklearn_optimum(X, y, alpha, sample_weight=None):
    total = len(y) if sample_weight is None else float(np.sum(sample_weight))
    sk = LogisticRegression(C=1 / (alpha * total), tol=1e-12, max_iter=100_000)
    sk.fit(X, y, sample_weight=sample_weight)
    return sk.coef_.ravel(), sk.intercept_[0]


def _weighted_cost(w, b, X, y, alpha, sample_weight):
    z = X @ w + b
    loss = np.logaddexp(0, z) - y * z
    return float(np.average(loss, weights=sample_weight) + 0.5 * alpha * w @ w)


def test_sample_weights_reach_scikit_learns_optimum(breast_cancer_std):
    X, y = breast_cancer_std
    sw = np.random.default_rng(1).uniform(0.2, 3.0, len(y))
    alpha = 1e-2
    w_sk, b_sk = _sklearn_optimum(X, y, alpha, sw)
    config = TrainConfig(solver="lbfgs", alpha=alpha, tol=1e-7, max_iter=1000)
    result = train(InMemoryBackend(X, y, sw), config)
    assert result.stop_reason == "tol"
    j_star = _weighted_cost(w_sk, b_sk, X, y, alpha, sw)
    j = _weighted_cost(result.w, result.b, X, y, alpha, sw)
    assert (j - j_star) / j_star <= 1e-10


def test_float32_data_trains_in_float32_to_the_optimum(breast_cancer_std):
    X, y = breast_cancer_std
    alpha = 1e-2
    w_sk, b_sk = _sklearn_optimum(X, y, alpha)
    result = train(
        InMemoryBackend(X.astype(np.float32), y),
        TrainConfig(solver="lbfgs", alpha=alpha, tol=1e-5, max_iter=1000),
    )
    assert result.w.dtype == np.float32 and result.state.opt_state.s.dtype == np.float32
    j_star = loss_and_grad(w_sk, b_sk, X, y.astype(float), alpha)[0]
    j = loss_and_grad(result.w.astype(float), float(result.b), X, y.astype(float), alpha)[0]
    assert (j - j_star) / j_star <= 1e-6


# --------------------------------------------------------------------------------------------
# Stop reasons
def test_stops_by_tol_with_one_pass_per_iteration(breast_cancer_std):
    X, y = breast_cancer_std
    backend = InMemoryBackend(X, y)
    calls = []
    evaluate = backend.evaluate
    backend.evaluate = lambda theta, alpha: calls.append(1) or evaluate(theta, alpha)
    result = train(backend, TrainConfig(solver="lbfgs", alpha=1e-2, tol=1e-6, max_iter=500))
    assert result.stop_reason == "tol" and result.converged
    assert result.history["grad_norm"][-1] <= 1e-6
    # one pass at θ₀, then the line searches; the loop and the result reuse their passes
    assert len(calls) == 1 + result.state.opt_state.evaluations
    assert result.state.opt_state.evaluations <= result.n_iter + 5


def test_max_iter_stops_and_warns(breast_cancer_std):
    from sklearn.exceptions import ConvergenceWarning

    X, y = breast_cancer_std
    with pytest.warns(ConvergenceWarning, match="max_iter=4"):
        result = train(InMemoryBackend(X, y), TrainConfig(solver="lbfgs", tol=1e-8, max_iter=4))
    assert result.stop_reason == "max_iter" and result.n_iter == 4 and not result.converged


def test_no_decrease_left_is_converged_at_working_precision(breast_cancer_std):
    X, y = breast_cancer_std
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an honest optimum: no warning
        result = train(
            InMemoryBackend(X, y), TrainConfig(solver="lbfgs", alpha=1e-2, tol=0, max_iter=5000)
        )
    assert result.stop_reason == "converged" and result.n_iter < 200
    assert result.grad_norm <= math.sqrt(np.finfo(float).eps) * result.final_cost


@pytest.mark.filterwarnings("ignore:.*before reaching the optimum")  # stopped early on purpose
def test_resuming_twice_from_one_state_gives_the_same_run(breast_cancer_std):
    """The memory is written in place during a run, but never the caller's resume state."""
    X, y = breast_cancer_std
    backend = InMemoryBackend(X, y)
    config = TrainConfig(solver="lbfgs", alpha=1e-3, max_iter=20, tol=0)
    state = train(backend, config, callbacks=[_Stopper(6)]).state
    kept = state.opt_state.s.copy()
    first = train(backend, config, resume=state)
    np.testing.assert_array_equal(state.opt_state.s, kept)
    np.testing.assert_array_equal(train(backend, config, resume=state).w, first.w)


@pytest.mark.parametrize("solver", ["lbfgs", "newton"])
def test_tol_zero_stopping_short_of_the_optimum_at_max_iter_warns(solver, breast_cancer_std):
    """tol = 0 asks a second-order solver for the optimum: reaching max_iter first is said."""
    from sklearn.exceptions import ConvergenceWarning

    X, y = breast_cancer_std
    config = TrainConfig(solver=solver, alpha=1e-2, tol=0, max_iter=2)
    with pytest.warns(ConvergenceWarning, match="max_iter=2 before reaching the optimum"):
        result = train(InMemoryBackend(X, y), config)
    assert result.stop_reason == "max_iter" and not result.converged


def test_tol_zero_gd_runs_its_iterations_without_a_warning(breast_cancer_std):
    X, y = breast_cancer_std
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the lesson's gd runs max_iter by design
        result = train(InMemoryBackend(X, y), TrainConfig(solver="gd", tol=0, max_iter=20))
    assert result.stop_reason == "max_iter"
