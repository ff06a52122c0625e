"""Shared fixtures: the lesson's data set (skipped when absent) and small problems."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings

# CI runs the property tests on hypothesis's fixed sequence of examples, so a submission's
# verdict does not depend on which random examples one run happened to draw; locally they stay
# random, to keep finding new cases.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parents[1]
#: The lesson's cat/non-cat files (train_catvnoncat.h5, test_catvnoncat.h5): LRNN_CAT_DATA
#: names their folder; by default the project's sibling folder shared/datasets/catvnoncat.
CAT_DIR = Path(
    os.environ.get("LRNN_CAT_DATA") or ROOT.parent / "shared" / "datasets" / "catvnoncat"
)
CAT_TRAIN = CAT_DIR / "train_catvnoncat.h5"
CAT_TEST = CAT_DIR / "test_catvnoncat.h5"

NO_CAT = f"the lesson's cat/non-cat files are not at {CAT_DIR} (set LRNN_CAT_DATA to their folder)"
needs_cat = pytest.mark.skipif(not CAT_TRAIN.exists(), reason=NO_CAT)


@pytest.fixture(scope="session")
def cat_course():
    """The lesson's arrays, flattened to (12288, m) and scaled by 1/255, float64."""
    if not CAT_TRAIN.exists():
        pytest.skip(NO_CAT)
    import h5py

    with h5py.File(CAT_TRAIN, "r") as f:
        x_train, y_train = f["train_set_x"][:], f["train_set_y"][:]
    with h5py.File(CAT_TEST, "r") as f:
        x_test, y_test = f["test_set_x"][:], f["test_set_y"][:]
    return (
        x_train.reshape(x_train.shape[0], -1).T / 255.0,
        y_train.reshape(1, -1),
        x_test.reshape(x_test.shape[0], -1).T / 255.0,
        y_test.reshape(1, -1),
    )


@pytest.fixture(scope="session")
def breast_cancer_std():
    from sklearn.datasets import load_breast_cancer
    from sklearn.preprocessing import StandardScaler

    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def seed_cost(w, b, X, Y):
    """The lesson's formulas transcribed literally (course layout), as an independent check."""
    m = X.shape[1]
    A = 1 / (1 + np.exp(-(np.dot(w.T, X) + b)))
    cost = -(1 / m) * np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A))
    dw = (1 / m) * np.dot(X, (A - Y).T)
    db = (1 / m) * np.sum(A - Y)
    return cost, dw, db


def seed_loop(X, Y, num_iterations, learning_rate):
    """The lesson's gradient-descent loop, plainly in numpy: costs every 100 iterations."""
    w, b = np.zeros((X.shape[0], 1)), 0.0
    costs = []
    for i in range(num_iterations):
        cost, dw, db = seed_cost(w, b, X, Y)
        w = w - learning_rate * dw
        b = b - learning_rate * db
        if i % 100 == 0:
            costs.append(cost)
    return w, b, costs
