"""The estimator's input checks for the common case, in a handful of numpy calls.

scikit-learn's validators (``validate_data``, ``check_classification_targets``,
``type_of_target``) accept every container and explain every mistake, and pay for it: about
half a millisecond per ``fit`` (dataframe probing, signature inspection, ``np.unique`` three
times, warning filters), which was a fifth of a whole fit on 569 × 30 (benchmarks/small_fit.py).
Most calls pass what needs none of that: a plain float (or uint8) ndarray and a 1-D array of
numeric labels. For exactly that case these functions make the same checks directly and give
the same result; for anything else — another container, NaN or inf, an empty or mismatched
array, non-integral float labels — they return ``None`` and the caller runs scikit-learn's
validators, which raise their usual messages. So these functions never raise and never decide
that input is bad.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

#: dtypes the estimator trains on as they are (see LogisticNeuron._validate_X).
_KEPT = (np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.uint8))

#: float labels beyond this are not all exactly representable integers: left to scikit-learn.
_EXACT_INTEGERS = 2.0**53


def plain_X(estimator: Any, X: Any, reset: bool) -> NDArray | None:
    """``X`` itself when it is a plain 2-D float32/float64/uint8 ndarray with at least one row
    and column, finite, and (``reset=False``) as wide as what the estimator was fitted on;
    else None. With ``reset`` it records ``n_features_in_`` (and drops ``feature_names_in_``),
    as ``validate_data`` does for an array without column names."""
    if type(X) is not np.ndarray or X.ndim != 2 or X.dtype not in _KEPT:
        return None
    m, n = X.shape
    if m < 1 or n < 1:
        return None
    # A NaN or inf anywhere makes the sum non-finite; a finite sum means all are finite (an
    # overflowing sum of finite values only sends the check to scikit-learn).
    if X.dtype.kind == "f":
        with np.errstate(over="ignore"):
            total = np.add.reduce(X, axis=None)
        if not np.isfinite(total):
            return None
    if reset:
        estimator.n_features_in_ = n
        if hasattr(estimator, "feature_names_in_"):
            del estimator.feature_names_in_
    elif getattr(estimator, "n_features_in_", None) != n or hasattr(estimator, "feature_names_in_"):
        return None  # scikit-learn words the mismatch (or warns about the lost names)
    return X


def plain_labels(y: NDArray) -> tuple[NDArray, NDArray] | None:
    """(classes, index of each label in classes) when ``y`` is a 1-D ndarray of integer,
    boolean or integral float labels — what ``check_classification_targets`` and
    ``type_of_target`` accept as "binary" or "multiclass" — else None (let them judge)."""
    if type(y) is not np.ndarray or y.ndim != 1 or y.size == 0 or y.dtype.kind not in "biuf":
        return None
    classes, encoded = np.unique(y, return_inverse=True)
    if y.dtype.kind == "f":
        # scikit-learn calls float labels continuous unless every value is an integer; the
        # distinct values are few, so the check runs on them (NaN and inf fail it too).
        if not (
            np.all(np.abs(classes) < _EXACT_INTEGERS) and np.array_equal(classes, np.trunc(classes))
        ):
            return None
    return classes, encoded


__all__ = ["plain_X", "plain_labels"]
