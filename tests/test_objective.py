"""The math core against finite differences and the lesson's own formulas."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from lrnn import objective
from lrnn.errors import UsageError
from tests.conftest import seed_cost


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_is_stable_and_exact_at_zero(dtype):
    z = np.array([-1e4, -1000, -50, -1, 0, 1, 50, 1000, 1e4], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = objective.sigmoid(z)
    assert a.dtype == dtype
    assert np.all(np.isfinite(a)) and np.all((a >= 0) & (a <= 1))
    assert a[4] == 0.5
    assert a[0] == 0.0 and a[-1] == 1.0
    np.testing.assert_allclose(a[3], 1 / (1 + np.exp(1.0)), rtol=1e-6)


def test_sigmoid_matches_lesson_values():
    np.testing.assert_allclose(objective.sigmoid(np.array([0, 2])), [0.5, 0.88079708], rtol=1e-8)


@given(arrays(np.float64, st.integers(1, 30), elements=st.floats(-1e4, 1e4)))
def test_sigmoid_symmetry_and_range(z):
    a = objective.sigmoid(z)
    assert np.all((a >= 0) & (a <= 1))
    np.testing.assert_allclose(objective.sigmoid(-z), 1 - a, atol=1e-15)


@given(
    arrays(np.float64, st.integers(1, 30), elements=st.floats(-1e4, 1e4)),
    st.data(),
)
def test_cost_from_logits_is_finite_and_matches_seed_where_seed_is_accurate(z, data):
    y = data.draw(arrays(np.float64, z.shape, elements=st.sampled_from([0.0, 1.0])))
    cost = objective.cost_from_logits(z, y)
    assert np.isfinite(cost) and cost >= 0
    with np.errstate(all="ignore"):
        a = 1 / (1 + np.exp(-z))
        seed = -(y * np.log(a) + (1 - y) * np.log(1 - a))
    # The seed's formula is only accurate where 1 − a and a keep their digits: at z = 20,
    # 1 − a ≈ 2e-9 has lost half of them (relative error ~1e-8), and the cost from logits is
    # the correct one there. Compare per example where |z| ≤ 10 (error ≤ 5e-12).
    accurate = np.abs(z) <= 10
    np.testing.assert_allclose(
        objective.log_loss_from_logits(z, y)[accurate], seed[accurate], rtol=1e-9, atol=1e-12
    )
    if accurate.all():
        np.testing.assert_allclose(cost, np.mean(seed), rtol=1e-9, atol=1e-12)


def test_cost_finite_where_seed_gives_inf():
    z = np.array([40.0, -40.0])
    y = np.array([0.0, 1.0])
    with np.errstate(all="ignore"):
        a = 1 / (1 + np.exp(-z))
        seed = -np.mean(y * np.log(a) + (1 - y) * np.log(1 - a))
    assert not np.isfinite(seed) or seed > 30
    np.testing.assert_allclose(objective.cost_from_logits(z, y), 40.0, rtol=1e-12)


def test_propagate_worked_example_matches_lesson():
    w, b = np.array([1.0, 2.0]), 2.0
    X = np.array([[1.0, 2.0, -1.0], [3.0, 4.0, -3.2]]).T  # rows are examples
    y = np.array([1.0, 0.0, 1.0])
    cost, dw, db = objective.loss_and_grad(w, b, X, y)
    np.testing.assert_allclose(dw, [0.99845601, 2.39507239], rtol=1e-7)
    np.testing.assert_allclose(db, 0.00145557813678, rtol=1e-9)
    np.testing.assert_allclose(cost, 5.801545319394553, rtol=1e-12)


def _problem(rng, m=40, n=5, dtype=np.float64, weights=False):
    X = rng.standard_normal((m, n)).astype(dtype)
    y = (rng.random(m) < 0.5).astype(dtype)
    s = rng.random(m) + 0.1 if weights else None
    return X, y, s


@pytest.mark.parametrize("alpha", [0.0, 0.3])
@pytest.mark.parametrize("weights", [False, True])
def test_gradient_matches_central_differences(alpha, weights):
    rng = np.random.default_rng(0)
    X, y, s = _problem(rng, weights=weights)
    w, b = rng.standard_normal(5), 0.3
    _, dw, db = objective.loss_and_grad(w, b, X, y, alpha, s)
    h = 1e-6
    for j in range(5):
        e = np.zeros(5)
        e[j] = h
        up = objective.loss_and_grad(w + e, b, X, y, alpha, s)[0]
        down = objective.loss_and_grad(w - e, b, X, y, alpha, s)[0]
        np.testing.assert_allclose(dw[j], (up - down) / (2 * h), rtol=1e-6, atol=1e-9)
    up = objective.loss_and_grad(w, b + h, X, y, alpha, s)[0]
    down = objective.loss_and_grad(w, b - h, X, y, alpha, s)[0]
    np.testing.assert_allclose(db, (up - down) / (2 * h), rtol=1e-6, atol=1e-9)


def test_cost_and_gradient_match_seed_transcription():
    rng = np.random.default_rng(1)
    X, y, _ = _problem(rng, m=30, n=4)
    w, b = rng.standard_normal(4) * 0.5, -0.2
    cost, dw, db = objective.loss_and_grad(w, b, X, y)
    seed_c, seed_dw, seed_db = seed_cost(w.reshape(-1, 1), b, X.T, y.reshape(1, -1))
    np.testing.assert_allclose(cost, seed_c, rtol=1e-12)
    np.testing.assert_allclose(dw, seed_dw.ravel(), rtol=1e-12)
    np.testing.assert_allclose(db, seed_db, rtol=1e-10)


@pytest.mark.parametrize("weights", [False, True])
def test_hessp_and_hessian_match_finite_differences_of_gradient(weights):
    rng = np.random.default_rng(2)
    X, y, s = _problem(rng, weights=weights)
    w, b, alpha = rng.standard_normal(5) * 0.3, 0.1, 0.05
    H = objective.hessian(w, b, X, alpha, s)
    v = rng.standard_normal(6)
    hw, hb = objective.hessp(w, b, X, v[:5], v[5], alpha, s)
    np.testing.assert_allclose(np.append(hw, hb), H @ v, rtol=1e-10)
    h = 1e-6
    _, gw_up, gb_up = objective.loss_and_grad(w + h * v[:5], b + h * v[5], X, y, alpha, s)
    _, gw_dn, gb_dn = objective.loss_and_grad(w - h * v[:5], b - h * v[5], X, y, alpha, s)
    fd = (np.append(gw_up, gb_up) - np.append(gw_dn, gb_dn)) / (2 * h)
    np.testing.assert_allclose(H @ v, fd, rtol=1e-5, atol=1e-8)


def test_float32_stays_float32_and_uint8_scale_folds_in():
    rng = np.random.default_rng(3)
    X8 = rng.integers(0, 256, size=(50, 7), dtype=np.uint8)
    y = (rng.random(50) < 0.4).astype(np.float64)
    w = rng.standard_normal(7) * 0.1
    ref = objective.loss_and_grad(w, 0.2, X8 / 255.0, y)
    got = objective.loss_and_grad(w, 0.2, X8, y, scale=1 / 255)
    np.testing.assert_allclose(got[0], ref[0], rtol=1e-12)
    np.testing.assert_allclose(got[1], ref[1], rtol=1e-12)
    X32 = (X8 / 255.0).astype(np.float32)
    c32, dw32, _ = objective.loss_and_grad(w.astype(np.float32), 0.2, X32, y.astype(np.float32))
    assert dw32.dtype == np.float32
    np.testing.assert_allclose(c32, ref[0], rtol=1e-5)


def test_lipschitz_bound_is_an_upper_bound_on_curvature():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((200, 6)) * 3 + 1
    L = objective.lipschitz_constant(X, alpha=0.1)
    # the Hessian's largest eigenvalue never exceeds L (σ' ≤ 1/4 is attained at z = 0)
    H0 = objective.hessian(np.zeros(6), 0.0, X, 0.1)
    assert np.linalg.eigvalsh(H0)[-1] <= L * (1 + 1e-9)
    # with alpha = 0 the bound is attained exactly at w = 0, b = 0
    H0_plain = objective.hessian(np.zeros(6), 0.0, X)
    np.testing.assert_allclose(
        np.linalg.eigvalsh(H0_plain)[-1], objective.lipschitz_constant(X), rtol=1e-9
    )


def test_power_iteration_estimate_is_close_to_exact():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((3000, 2500)) * 0.1
    exact = np.linalg.eigvalsh(np.c_[X, np.ones(3000)].T @ np.c_[X, np.ones(3000)])[-1] / 3000
    estimate = objective.augmented_lambda_max(X)
    assert exact <= estimate <= 1.05 * exact


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 20), st.integers(1, 6), st.integers(0, 2**31))
def test_properties_on_random_problems(m, n, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, n)) * 10
    y = (rng.random(m) < 0.5).astype(float)
    w = rng.standard_normal(n) * 10
    cost, dw, db = objective.loss_and_grad(w, 1.0, X, y)
    assert np.isfinite(cost) and cost >= 0
    assert np.all(np.isfinite(dw)) and np.isfinite(db)
    assert abs(db) <= 1.0


def test_scoring_narrow_pictures_widens_a_bounded_block_at_a_time():
    """uint8 pixels are widened to float64 for the reference's products block by block, each
    block at most WIDENED_BLOCK_BYTES: scoring never holds a float64 copy of X (8× its size)."""
    import tracemalloc

    rng = np.random.default_rng(3)
    X = rng.integers(0, 256, size=(600, 20_000), dtype=np.uint8)  # 12 MB; float64: 96 MB
    w = rng.standard_normal(20_000) * 1e-3
    tracemalloc.start()
    z = objective.logits(w, 0.1, X, 1 / 255)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    # the block being widened and the one before it (still referenced until replaced)
    assert peak < 2 * objective.WIDENED_BLOCK_BYTES + 2**20 < X.size * 8
    np.testing.assert_allclose(z, (X.astype(np.float64) @ w) / 255 + 0.1, rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.uint8])
@pytest.mark.parametrize("weighted", [False, True])
def test_one_product_hessian_equals_the_blocked_one(dtype, weighted):
    """Small data's Hessian from scale·[X 1] in one product: the same matrix as the blocked
    form (to rounding), penalty on the weights only; no copy above the size limit."""
    rng = np.random.default_rng(7)
    m, n, scale = 300, 12, (1 / 255 if dtype == np.uint8 else 0.5)
    X = rng.integers(0, 256, (m, n)) if dtype == np.uint8 else rng.standard_normal((m, n))
    X = X.astype(dtype)
    s = rng.uniform(0.5, 2, m) if weighted else None
    w, b = rng.standard_normal(n) * 0.1, 0.3
    augmented = objective.augmented_rows(X, scale)
    assert augmented.shape == (m, n + 1) and augmented.dtype == np.float64
    want = objective.hessian(w, b, X, 1e-2, s, scale)
    got = objective.hessian(w, b, X, 1e-2, s, scale, augmented=augmented)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    assert got[n, n] == pytest.approx(want[n, n], rel=1e-13)  # no penalty on the bias
    tall = np.zeros((objective.SMALL_AUGMENTED_VALUES // 2 + 1, 1))
    assert objective.augmented_rows(tall) is None


@pytest.mark.parametrize("weighted", [False, True])
def test_small_data_backend_passes_match_the_reference(weighted):
    """The in-memory backend on small float64 data (one product per pass from scale·[X 1]):
    the reference's pass to rounding; its Hessian reuses the last pass's logits only at that
    point (at another point it is the Hessian there, not the last one's)."""
    from lrnn.backends.numpy_backend import InMemoryBackend

    rng = np.random.default_rng(8)
    m, n, scale = 200, 9, 0.5
    X, y = rng.standard_normal((m, n)), (rng.random(m) > 0.4).astype(float)
    s = rng.uniform(0.5, 2, m) if weighted else None
    backend = InMemoryBackend(X, y, s, scale)
    w1, w2 = rng.standard_normal(n) * 0.2, rng.standard_normal(n) * 0.2
    got, want = backend.data_pass(w1, 0.1), objective.data_pass(w1, 0.1, X, y, s, scale)
    assert backend._augmented is not None  # the one-product path ran
    assert got.loss == pytest.approx(want.loss, rel=1e-13)
    np.testing.assert_allclose(got.dw, want.dw, rtol=1e-12, atol=1e-15)
    assert got.db == pytest.approx(want.db, rel=1e-12, abs=1e-15)
    assert got.accuracy == want.accuracy
    for w in (w1, w2):  # w1: the last pass's point; w2: another
        want_H = objective.hessian(w, 0.1, X, 0.0, s, scale)
        np.testing.assert_allclose(backend.hessian(w, 0.1), want_H, rtol=1e-12, atol=1e-15)


@given(st.lists(st.sampled_from([0, 1, 0.0, 1.0, True, False, -1, 2, 0.5, np.nan]), max_size=30))
def test_first_non_binary_is_the_first_label_other_than_0_or_1(labels):
    y = np.array(labels, dtype=np.float64)
    others = [v for v in y if v not in (0.0, 1.0)]
    at = objective.first_non_binary(y)
    if not others:
        assert at is None
    else:
        assert at is not None and np.all(np.isin(y[:at], (0.0, 1.0)))
        assert y[at] == others[0] or (np.isnan(y[at]) and np.isnan(others[0]))


def test_a_none_among_object_labels_is_refused_not_taken_for_all_clear():
    from lrnn import metrics
    from lrnn.errors import DataError

    z = np.array([-1.0, 2, -3, 4])
    for y in (np.array([0, 1, None, 1], dtype=object), [0, 1, None, 1]):
        assert objective.first_non_binary(np.asarray(y)) == 2
        with pytest.raises(DataError, match="found None"):
            metrics.accuracy(z, y)
    for score in (metrics.roc_auc, metrics.average_precision):
        with pytest.raises(DataError, match="found 2"):
            score(np.array([1, 2, 1, 2]), z)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(3, 6), st.integers(12, 60))
def test_one_vs_rest_aucs_are_scikit_learns(seed, K, m):
    """Each class against the rest from its own column; a class with no examples has none
    (NaN) and the macro average is over the others — scikit-learn's "ovr" where all have."""
    from sklearn.metrics import roc_auc_score

    from lrnn import metrics

    rng = np.random.default_rng(seed)
    P = rng.dirichlet(np.ones(K), size=m).round(2)  # rounded: ties, as saturated models have
    y = rng.integers(0, K - 1, size=m)  # the last class never occurs
    y[:2] = [0, 1]
    aucs = metrics.one_vs_rest_aucs(y, P)
    assert np.isnan(aucs[-1])
    for k in range(K - 1):
        if 0 < np.count_nonzero(y == k) < m:
            assert aucs[k] == pytest.approx(roc_auc_score(y == k, P[:, k]), rel=1e-12)
    defined = [k for k in range(K) if 0 < np.count_nonzero(y == k) < m]
    mean = np.mean([roc_auc_score(y == k, P[:, k]) for k in defined])
    assert metrics.macro_auc(aucs) == pytest.approx(mean, rel=1e-12)
    assert np.isnan(metrics.macro_auc(np.array([np.nan, np.nan])))


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from(["f1", "youden", "precision=0.8"]))
def test_a_chosen_threshold_sits_midway_between_two_scores(seed, rule):
    """One ulp below the cut-off score made that example's label flip with the last bit of its
    probability, which differs between a file's batch, one row sent to the server and the
    estimator: the threshold is now midway to the next lower score, and still the best one."""
    from sklearn.metrics import f1_score

    from lrnn import metrics

    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 40)
    y[:2] = [0, 1]
    p = np.clip(np.round(0.35 * y + 0.65 * rng.random(40), 3), 0.001, 0.999)  # with ties
    try:
        t = metrics.choose_threshold(p, y, rule)
    except UsageError:  # no threshold reaches the asked precision
        assert rule.startswith("precision")
        return
    distinct = np.unique(np.concatenate([[0.0], p]))
    at = np.searchsorted(distinct, t, side="right")  # distinct[at - 1] ≤ t < distinct[at]
    assert t == pytest.approx(0.5 * (distinct[at - 1] + distinct[at]), abs=1e-15)
    labels = p > t
    for wobble in (1 - 1e-13, 1 + 1e-13):  # rounding cannot move a score across it
        assert np.array_equal(p * wobble > t, labels)
    if rule == "f1":  # the best F1 of every threshold between two scores
        best = max(
            f1_score(y, p > 0.5 * (a + b), zero_division=0)
            for a, b in zip(distinct[:-1], distinct[1:], strict=True)
        )
        assert f1_score(y, labels, zero_division=0) == pytest.approx(best, abs=1e-12)


def test_a_log_loss_past_floating_point_is_inf_without_numpys_warning():
    """Weights near 1e308 (a damaged or hostile model file) give losses whose sum overflows:
    the log loss is ∞, said as such, and NumPy's "overflow encountered in reduce" no longer
    comes first in lrnn evaluate's output."""
    from lrnn import metrics

    z = np.array([1e308, -1e308, 1e308])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = metrics.evaluate(z, np.array([0, 1, 1]))
    assert result.log_loss == np.inf and result.accuracy == pytest.approx(1 / 3)
