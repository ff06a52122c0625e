"""The fused kernels against the numpy reference in objective.py and against finite differences.

Every kernel must give the reference's numbers (to rounding) for every dtype, layout, weighting
and awkward shape, and the same bits whatever the number of numba threads.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lrnn import kernels, objective

pytestmark = pytest.mark.skipif(not kernels.numba_installed(), reason="numba is not installed")

#: Relative tolerance of kernel vs reference per data dtype (uint8 runs in float64).
RTOL = {np.float64: 1e-12, np.float32: 1e-5, np.uint8: 1e-12}


def make_problem(m, n, dtype, order="C", weighted=False, seed=0):
    """X (dtype, order), its scale, float params of the arithmetic dtype, 0/1 y and weights."""
    rng = np.random.default_rng(seed)
    if dtype == np.uint8:
        X = rng.integers(0, 256, size=(m, n)).astype(np.uint8, order=order)
        scale = 1 / 255
    else:
        X = np.array(rng.standard_normal((m, n)), dtype=dtype, order=order)
        scale = 1.0
    pdt = objective.param_dtype(X.dtype)
    w = (rng.standard_normal(n) * (2.0 / np.sqrt(n))).astype(pdt)
    b = float(rng.standard_normal())
    y = (rng.random(m) < 0.5).astype(pdt)
    s = (rng.random(m) * 2).astype(pdt) if weighted else None
    return X, scale, w, b, y, s


def reference_X(X, scale):
    """What the kernel should be equivalent to: float data, scale already applied."""
    return X.astype(np.float64) * scale if X.dtype == np.uint8 else X


def rel(got, want):
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    return float(np.linalg.norm(got - want) / max(np.linalg.norm(want), 1e-300))


def assert_pass_matches(got, want, rtol):
    assert rel(got.loss, want.loss) <= rtol
    assert rel(got.dw, want.dw) <= rtol
    assert abs(got.db - want.db) <= rtol * max(abs(want.db), np.linalg.norm(want.dw), 1e-300)
    assert abs(got.accuracy - want.accuracy) <= rtol


def assert_hvp_matches(got, want, rtol, magnitude=0.0):
    """hw relative to itself, or to ``magnitude`` (the size of the terms it sums) when X̃v
    cancels to almost nothing; hb (a sum with cancellation) relative to the whole product, or
    to ``magnitude`` likewise (one example, one feature: both cancel, 8.6e-16 apart at 3e-5)."""
    (hw, hb), (want_hw, want_hb) = got, want
    scale_of_hw = max(np.linalg.norm(np.asarray(want_hw, dtype=np.float64)), magnitude, 1e-300)
    assert np.linalg.norm(np.asarray(hw, np.float64) - want_hw) <= rtol * scale_of_hw
    scale_of_hb = max(abs(want_hb), np.linalg.norm(want_hw), magnitude, 1e-300)
    assert abs(hb - want_hb) <= rtol * scale_of_hb


SHAPES = [
    (1, 1),  # one example, one feature
    (1, 9),
    (3, 5),  # m < 8: only the padded remainder path
    (7, 1),  # n = 1
    (37, 6),  # m and n not multiples of 4
    (1030, 3),  # m just over one block (1024 rows)
    (2501, 17),  # several blocks, last one partial
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.uint8])
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("shape", SHAPES)
def test_data_pass_matches_reference(dtype, order, weighted, shape):
    X, scale, w, b, y, s = make_problem(*shape, dtype, order, weighted)
    got = kernels.data_pass(w, b, X, y, s, scale)
    # uint8 with scale must equal the float64 reference on X/255, not just on itself.
    want = objective.data_pass(w, b, reference_X(X, scale), y, s)
    assert got.dw.dtype == w.dtype and got.dw.shape == w.shape
    assert all(isinstance(v, float) for v in (got.loss, got.db, got.accuracy))
    assert_pass_matches(got, want, RTOL[dtype])


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.uint8])
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("shape", [(1, 1), (37, 6), (2501, 17)])
def test_hessp_and_logits_match_reference(dtype, order, weighted, shape):
    X, scale, w, b, y, s = make_problem(*shape, dtype, order, weighted, seed=1)
    rng = np.random.default_rng(2)
    vw, vb = rng.standard_normal(w.shape).astype(w.dtype), 0.7
    Xr = reference_X(X, scale)
    got = kernels.hessp(w, b, X, vw, vb, s, scale)
    assert got[0].dtype == w.dtype and isinstance(got[1], float)
    assert_hvp_matches(got, objective.hessp(w, b, Xr, vw, vb, 0.0, s), RTOL[dtype])
    z = kernels.logits(w, b, X, scale)
    assert z.dtype == w.dtype and z.shape == (shape[0],)
    assert rel(z, objective.logits(w, b, Xr)) <= RTOL[dtype]


@pytest.mark.parametrize("dtype", [np.float64, np.uint8])
@pytest.mark.parametrize("weighted", [False, True])
def test_gram_matvec_is_the_augmented_gram_product(dtype, weighted):
    X, scale, w, b, y, s = make_problem(53, 7, dtype, "C", weighted, seed=3)
    Xt = np.hstack([reference_X(X, scale), np.ones((53, 1))])
    S = np.ones(53) if s is None else s
    v = np.random.default_rng(4).standard_normal(8)
    uw, ub = kernels.gram_matvec(X, v[:7], v[7], s, scale)
    want = Xt.T @ (S * (Xt @ v))
    np.testing.assert_allclose(np.append(uw, ub), want, rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.uint8])
def test_lambda_max_power_iteration_matches_exact(dtype, monkeypatch):
    X, scale, *_ = make_problem(400, 9, dtype, "C", seed=5)
    exact = objective.augmented_lambda_max(reference_X(X, scale).astype(np.float64))
    tolerance = 1e-9 if dtype == np.float64 else 1e-5
    assert kernels.lambda_max(X, None, scale) == pytest.approx(exact, rel=tolerance)
    # Force the power-iteration branch (normally only for large X): within the 2 % padding.
    monkeypatch.setattr(objective, "EXACT_CURVATURE_WORK", 0)
    estimate = kernels.lambda_max(X, None, scale)
    assert exact <= estimate <= 1.03 * exact


@pytest.mark.parametrize("dtype", [np.float64, np.uint8])
@pytest.mark.parametrize("weighted", [False, True])
def test_gradient_and_hessp_match_central_differences(dtype, weighted):
    X, scale, w, b, y, s = make_problem(61, 5, dtype, "C", weighted, seed=6)
    theta = np.append(w, b)

    def loss(t):
        return kernels.data_pass(t[:-1], t[-1], X, y, s, scale).loss

    def grad(t):
        p = kernels.data_pass(t[:-1], t[-1], X, y, s, scale)
        return np.append(p.dw, p.db)

    h = 1e-6
    eye = np.eye(theta.size)
    numeric = np.array([(loss(theta + h * e) - loss(theta - h * e)) / (2 * h) for e in eye])
    np.testing.assert_allclose(grad(theta), numeric, rtol=1e-6, atol=1e-9)
    v = np.random.default_rng(7).standard_normal(theta.size)
    hw, hb = kernels.hessp(w, b, X, v[:-1], v[-1], s, scale)
    numeric_hv = (grad(theta + h * v) - grad(theta - h * v)) / (2 * h)
    np.testing.assert_allclose(np.append(hw, hb), numeric_hv, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.uint8])
@pytest.mark.parametrize("order", ["C", "F"])
def test_results_are_bit_identical_for_any_thread_count(dtype, order):
    numba = pytest.importorskip("numba")
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs at least two numba threads")
    # Enough examples for many chunks, so that two threads really split the work.
    X, scale, w, b, y, s = make_problem(9000, 11, dtype, order, weighted=True, seed=8)
    vw = np.random.default_rng(9).standard_normal(11).astype(w.dtype)
    assert -(-9000 // kernels.plan(9000, 11, X.itemsize, order == "F")[1]) > 2
    before = numba.get_num_threads()

    def everything():
        p = kernels.data_pass(w, b, X, y, s, scale)
        hw, hb = kernels.hessp(w, b, X, vw, 0.3, s, scale)
        return [p.loss, p.db, p.accuracy, hb, p.dw.tobytes(), hw.tobytes()]

    try:
        numba.set_num_threads(1)
        one = everything()
        numba.set_num_threads(2)
        two = everything()
    finally:
        numba.set_num_threads(before)
    assert one == two


def test_plan_depends_on_shape_only_and_tiles_the_rows():
    for m, n, itemsize, cols in [(1, 1, 8, False), (200_000, 500, 4, False), (209, 12288, 8, True)]:
        block, chunk = kernels.plan(m, n, itemsize, cols)
        assert block >= 8 and block % 8 == 0 and chunk % block == 0
        assert kernels.plan(m, n, itemsize, cols) == (block, chunk)


def test_available_says_when_the_kernels_apply():
    X = np.zeros((5, 3))
    assert kernels.available(X)
    assert kernels.available(X.astype(np.float32)) and kernels.available(X.astype(np.uint8))
    # F order: uint8 runs in the kernels (the reference would widen it block by block), float
    # goes to BLAS's two passes, which measured faster for that layout.
    assert kernels.available(np.asfortranarray(X.astype(np.uint8)))
    assert not kernels.available(np.asfortranarray(X)) and not kernels.available(X.T)
    assert not kernels.available(X[::2])  # strided view: the reference handles it, no copy
    assert not kernels.available(X.astype(np.int64))
    assert not kernels.available(X.astype(">f8"))
    assert not kernels.available(np.zeros((0, 3))) and not kernels.available(np.zeros((3, 0)))
    assert not kernels.available(np.zeros(3)) and not kernels.available([[1.0]])


def test_wrong_shapes_say_what_was_expected():
    X, scale, w, b, y, s = make_problem(10, 3, np.float64)
    with pytest.raises(ValueError, match=r"w has shape \(4,\).*expected \(3,\)"):
        kernels.data_pass(np.zeros(4), b, X, y)
    with pytest.raises(ValueError, match="y has 9 values, but X has 10 examples"):
        kernels.data_pass(w, b, X, y[:9])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    m=st.integers(1, 40),
    n=st.integers(1, 12),
    dtype=st.sampled_from([np.float64, np.float32, np.uint8]),
    order=st.sampled_from(["C", "F"]),
    weighted=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_random_small_problems_match_reference(m, n, dtype, order, weighted, seed):
    X, scale, w, b, y, s = make_problem(m, n, dtype, order, weighted, seed)
    Xr = reference_X(X, scale)
    assert_pass_matches(
        kernels.data_pass(w, b, X, y, s, scale), objective.data_pass(w, b, Xr, y, s), RTOL[dtype]
    )
    # ‖H v‖ ≤ ¼‖X̃‖²‖ṽ‖/m: the size of the terms that X̃v (it may cancel: m = 1) multiplies
    terms = 0.25 * (np.sum(Xr.astype(np.float64) ** 2) + m) * (np.linalg.norm(w) + 0.5) / m
    assert_hvp_matches(
        kernels.hessp(w, b, X, w, 0.5, s, scale),
        objective.hessp(w, b, Xr, w, 0.5, 0.0, s),
        RTOL[dtype],
        magnitude=terms,
    )


def test_extreme_logits_stay_finite():
    X = np.array([[1.0], [-1.0], [1.0], [-1.0]])
    y = np.array([1.0, 0.0, 0.0, 1.0])
    p = kernels.data_pass(np.array([800.0]), 0.0, X, y)
    want = objective.data_pass(np.array([800.0]), 0.0, X, y)
    assert np.isfinite(p.loss) and p.loss == pytest.approx(want.loss, rel=1e-12)
    np.testing.assert_allclose(p.dw, want.dw, rtol=1e-12)
    hw, hb = kernels.hessp(np.array([800.0]), 0.0, X, np.array([1.0]), 1.0)
    assert np.all(np.isfinite(hw)) and np.isfinite(hb)
