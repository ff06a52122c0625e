"""The estimator's fast input checks: the same verdicts as scikit-learn's validators for the
plain case, and a hand-over to them (with their messages) for everything else."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import BaseEstimator
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import validate_data

from lrnn import LogisticNeuron, fast_checks, objective


class _Holder(BaseEstimator):
    """A bare estimator to receive n_features_in_ / feature_names_in_."""


def _rng() -> np.random.Generator:
    return np.random.default_rng(7)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.uint8])
@pytest.mark.parametrize("order", ["C", "F"])
def test_plain_arrays_pass_as_they_are_like_validate_data(dtype, order):
    X = np.asarray(_rng().integers(0, 200, (12, 4)), dtype=dtype, order=order)
    fast, slow = _Holder(), _Holder()
    fast.feature_names_in_ = np.array(["a", "b", "c", "d"], dtype=object)  # from an old fit
    slow.feature_names_in_ = fast.feature_names_in_
    assert fast_checks.plain_X(fast, X, reset=True) is X
    assert validate_data(slow, X, reset=True, dtype=None, accept_sparse="csr") is X
    assert fast.n_features_in_ == slow.n_features_in_ == 4
    assert not hasattr(fast, "feature_names_in_") and not hasattr(slow, "feature_names_in_")
    assert fast_checks.plain_X(fast, X, reset=False) is X


def _odd_inputs() -> list:
    X = _rng().standard_normal((6, 3))
    nan, inf = X.copy(), X.copy()
    nan[2, 1], inf[0, 0] = np.nan, -np.inf
    return [
        nan,
        inf,
        X.tolist(),
        X.astype(np.int64),  # converted to float64 by scikit-learn
        X.astype(np.float16),
        X[None],
        X[:, 0],
        np.empty((0, 3)),
        np.empty((4, 0)),
        np.asmatrix(X),
        np.full((2, 2), 1e308),  # finite values whose sum overflows: scikit-learn decides
    ]


@pytest.mark.parametrize("X", _odd_inputs(), ids=lambda x: type(x).__name__)
def test_anything_else_goes_to_scikit_learn(X):
    assert fast_checks.plain_X(_Holder(), X, reset=True) is None


def test_predict_side_hands_over_a_width_mismatch_and_named_fits():
    X = _rng().standard_normal((5, 3))
    fitted = _Holder()
    fitted.n_features_in_ = 4
    assert fast_checks.plain_X(fitted, X, reset=False) is None
    named = _Holder()
    named.n_features_in_, named.feature_names_in_ = 3, np.array(["a", "b", "c"], dtype=object)
    assert fast_checks.plain_X(named, X, reset=False) is None
    assert fast_checks.plain_X(_Holder(), X, reset=False) is None  # not fitted


@pytest.mark.parametrize(
    "y",
    [
        np.array([3, 1, 3, 1, 1]),
        np.array([True, False, True]),
        np.array([2.0, -1.0, 2.0, 0.0]),
        np.array([5, 6, 7, 5], dtype=np.uint8),
        np.array([0.0, 1.0, 1.0, 0.0], dtype=np.float32),
    ],
)
def test_numeric_labels_give_scikit_learns_classes(y):
    classes, encoded = fast_checks.plain_labels(y)
    expected_classes, expected_encoded = np.unique(y, return_inverse=True)
    np.testing.assert_array_equal(classes, expected_classes)
    np.testing.assert_array_equal(encoded, expected_encoded)
    assert classes.dtype == y.dtype
    assert type_of_target(y) in ("binary", "multiclass")


@pytest.mark.parametrize(
    "y",
    [
        np.array([0.5, 1.0, 0.0]),  # continuous
        np.array([0.0, np.nan, 1.0]),
        np.array([0.0, np.inf, 1.0]),
        np.array([0.0, 2.0**60]),  # beyond exact integers: scikit-learn judges
        np.array(["a", "b", "a"]),
        np.array([[0, 1], [1, 0]]),
        [0, 1, 0],
        np.array([], dtype=np.int64),
    ],
)
def test_other_labels_go_to_scikit_learn(y):
    assert fast_checks.plain_labels(y) is None


def test_messages_for_bad_input_are_scikit_learns():
    X, y = _rng().standard_normal((8, 2)), np.array([0, 1] * 4)
    bad = X.copy()
    bad[3, 0] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        LogisticNeuron().fit(bad, y)
    with pytest.raises(ValueError, match="Unknown label type"):
        LogisticNeuron().fit(X, np.linspace(0, 1, 8))
    with pytest.raises(ValueError, match="only one class"):
        LogisticNeuron().fit(X, np.zeros(8, dtype=int))
    fitted = LogisticNeuron(solver="newton", alpha=0.1).fit(X, y)
    with pytest.raises(ValueError, match="X has 3 features, but LogisticNeuron is expecting 2"):
        fitted.predict(np.ones((2, 3)))


def test_fit_is_the_same_with_and_without_the_fast_checks(monkeypatch):
    rng = _rng()
    X = rng.standard_normal((60, 4))
    y = np.where(X[:, 0] + 0.5 * rng.standard_normal(60) > 0, 7, -3)
    fast = LogisticNeuron(solver="newton", alpha=1e-2, tol=1e-8).fit(X, y)
    monkeypatch.setattr(fast_checks, "plain_X", lambda *args: None)
    monkeypatch.setattr(fast_checks, "plain_labels", lambda *args: None)
    slow = LogisticNeuron(solver="newton", alpha=1e-2, tol=1e-8).fit(X, y)
    np.testing.assert_array_equal(fast.coef_, slow.coef_)
    np.testing.assert_array_equal(fast.intercept_, slow.intercept_)
    np.testing.assert_array_equal(fast.classes_, np.array([-3, 7]))
    np.testing.assert_array_equal(fast.classes_, slow.classes_)
    assert fast.n_features_in_ == slow.n_features_in_ == 4


def test_hessian_curvature_is_exact_far_in_the_tails():
    """σ(1−σ) at z = ±40 is e^-40/(1+e^-40)², about 4.2e-18; 1 − σ(40) rounds to 0 in
    float64, so the curvature has to come from e = e^-|z| directly."""
    X = np.array([[1.0], [-1.0]])
    H = objective.hessian(np.array([40.0]), 0.0, X)
    expected = np.exp(-40.0) / (1 + np.exp(-40.0)) ** 2
    assert H[0, 0] == pytest.approx(expected, rel=1e-14)
    assert H[1, 1] == pytest.approx(expected, rel=1e-14)
    assert H[0, 1] == H[1, 0] == pytest.approx(0.0, abs=1e-30)
