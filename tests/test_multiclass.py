"""K ≥ 3 classes: the softmax layer reaches scikit-learn's multinomial optimum with every solver,
and keeps the loop's contracts (auto rate, weights, warm start, early stopping, exact resume)."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_digits, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from lrnn import LogisticNeuron, softmax
from lrnn.backends import make_backend
from lrnn.backends.softmax_backend import SoftmaxBackend
from lrnn.checkpoint import state_from_checkpoint, state_to_checkpoint
from lrnn.config import TrainConfig
from lrnn.train import Callback, lipschitz, train


def _standardised(loader):
    X, y = loader(return_X_y=True)
    return StandardScaler().fit_transform(X), y


DATA = {"digits10": _standardised(load_digits), "wine": _standardised(load_wine)}


def _weights(y: np.ndarray) -> np.ndarray:
    return np.random.default_rng(5).uniform(0.2, 3.0, len(y))


@pytest.fixture(scope="module")
def optimum():
    """scikit-learn's multinomial optimum J* (same objective: C = 1/(alpha·Σs)), per case."""
    cache: dict = {}

    def get(name: str, alpha: float, weighted: bool) -> float:
        key = (name, alpha, weighted)
        if key not in cache:
            X, y = DATA[name]
            s = _weights(y) if weighted else np.ones(len(y))
            ref = LogisticRegression(C=1 / (alpha * s.sum()), solver="newton-cg", tol=1e-8)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ref.fit(X, y, sample_weight=s)
            W = np.ascontiguousarray(ref.coef_.T)
            cache[key] = softmax.loss_and_grad(W, ref.intercept_, X, y, alpha, s)[0]
        return cache[key]

    return get


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("alpha", [1e-2, 1e-3])
@pytest.mark.parametrize("name", ["digits10", "wine"])
@pytest.mark.parametrize("solver", ["lbfgs", "newton", "auto"])
def test_second_order_solvers_reach_scikit_learns_multinomial_optimum(
    optimum, solver, name, alpha, weighted
):
    X, y = DATA[name]
    s = _weights(y) if weighted else None
    est = LogisticNeuron(solver=solver, alpha=alpha, tol=1e-7, max_iter=500)
    est.fit(X, y, sample_weight=s)
    assert est.coef_.shape == (len(np.unique(y)), X.shape[1])
    J = softmax.loss_and_grad(est.coef_.T.copy(), est.intercept_, X, y, alpha, s)[0]
    assert abs(J - optimum(name, alpha, weighted)) <= 1e-6 * optimum(name, alpha, weighted)
    assert est.result_.final_cost == pytest.approx(J, rel=1e-12)


@pytest.mark.parametrize("solver", ["gd", "momentum", "nesterov", "adam", "sgd"])
def test_first_order_solvers_approach_the_optimum_or_say_why_not(optimum, solver):
    X, y = DATA["wine"]
    est = LogisticNeuron(solver=solver, alpha=1e-2, learning_rate="auto", max_iter=400, tol=1e-5)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(X, y)
    gap = est.result_.final_cost / optimum("wine", 1e-2, False) - 1
    # momentum and nesterov get close in 400 passes; gd, adam and sgd are slower but say so
    assert 0 <= gap < (1e-4 if solver in ("momentum", "nesterov") else 5e-2)
    # one shift added to every class changes no probability: no solver drifts along it (Adam's
    # biases summed to 0.41 here, and its weights paid the penalty for the drift)
    assert abs(est.intercept_.sum()) < 1e-9 and np.abs(est.coef_.sum(axis=0)).max() < 1e-9
    if est.result_.stop_reason == "max_iter":
        assert any(issubclass(w.category, ConvergenceWarning) for w in caught)
    else:
        assert est.result_.stop_reason == "tol" and est.result_.grad_norm <= 1e-5


def test_auto_rate_is_one_over_the_softmax_bound():
    X, y = DATA["wine"]
    backend = SoftmaxBackend(X, y, 3)
    L = lipschitz(backend, 0.1)
    assert L == pytest.approx(softmax.lipschitz_constant(X, 0.1), rel=1e-12)
    result = train(backend, TrainConfig(solver="gd", learning_rate="auto", alpha=0.1, max_iter=3))
    assert result.learning_rate == pytest.approx(1 / L, rel=1e-12)
    costs = [
        train(backend, TrainConfig(solver="gd", learning_rate="auto", alpha=0.1, max_iter=k))
        for k in range(1, 6)
    ]
    assert all(b.final_cost < a.final_cost for a, b in zip(costs, costs[1:], strict=False))


def test_balanced_class_weight_equals_the_same_sample_weights():
    X, y = DATA["wine"]
    counts = np.bincount(y)
    s = (len(y) / (3 * counts))[y]
    a = LogisticNeuron(solver="newton", alpha=1e-2, class_weight="balanced").fit(X, y)
    b = LogisticNeuron(solver="newton", alpha=1e-2).fit(X, y, sample_weight=s)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-10, atol=1e-12)


def test_warm_start_continues_from_the_previous_layer():
    X, y = DATA["wine"]
    est = LogisticNeuron(solver="gd", learning_rate=0.1, max_iter=50, tol=0, warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, y)
        first = est.result_.final_cost
        est.fit(X, y)
    once = LogisticNeuron(solver="gd", learning_rate=0.1, max_iter=100, tol=0).fit(X, y)
    assert est.result_.final_cost < first
    np.testing.assert_allclose(est.coef_, once.coef_, rtol=1e-12, atol=1e-15)


def test_early_stopping_holds_out_and_restores_for_k_classes():
    X, y = DATA["digits10"]
    est = LogisticNeuron(
        solver="gd", learning_rate=1.0, max_iter=400, tol=0, early_stopping=True, record_every=5
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, y)
    assert "val_loss" in est.history_ and est.coef_.shape == (10, 64)
    assert est.result_.stop_reason in ("early_stopping", "max_iter")


class _Stopper(Callback):
    def __init__(self, at: int) -> None:
        self.at = at

    def on_step(self, state):
        return state.iteration >= self.at


@pytest.mark.parametrize("solver", ["gd", "momentum", "adam", "sgd", "newton"])
@pytest.mark.filterwarnings("ignore:.*before reaching the optimum")  # stopped early on purpose
def test_resume_from_checkpoint_is_bit_identical_for_k_classes(solver):
    X, y = DATA["wine"]
    backend = make_backend(X, y, n_classes=3)
    iterations = 8 if solver in ("sgd", "newton") else 60
    config = TrainConfig(
        solver=solver, learning_rate="auto", alpha=1e-3, max_iter=iterations, record_every=7
    )
    full = train(backend, config)
    partial = train(backend, config, callbacks=[_Stopper(iterations // 2)])
    tensors, meta = state_to_checkpoint(partial.state, config)
    state, config_back = state_from_checkpoint(tensors, json.loads(json.dumps(meta)))
    resumed = train(backend, config_back, resume=state)
    assert resumed.w.shape == (13, 3) and resumed.b.shape == (3,)
    np.testing.assert_array_equal(resumed.w, full.w)
    np.testing.assert_array_equal(resumed.b, full.b)
    assert resumed.history["cost"] == full.history["cost"]


def test_float32_and_uint8_data_train_in_their_dtypes():
    X, y = DATA["digits10"]
    est = LogisticNeuron(solver="lbfgs", alpha=1e-3).fit(X.astype(np.float32), y)
    assert est.coef_.dtype == np.float32
    raw, y = load_digits(return_X_y=True)
    est8 = LogisticNeuron(solver="newton", alpha=1e-2).fit(raw.astype(np.uint8), y)
    ref = LogisticNeuron(solver="newton", alpha=1e-2).fit(raw.astype(np.float64), y)
    np.testing.assert_allclose(est8.coef_, ref.coef_, rtol=1e-9, atol=1e-12)


def test_an_unknown_backend_is_refused_in_one_line():
    X, y = DATA["wine"]
    from lrnn.errors import UsageError

    with pytest.raises(UsageError, match="is not one of numpy, dask, torch"):
        make_backend(X, y, backend="gpu", n_classes=3)


@settings(max_examples=60, deadline=None)
@given(pairs=st.lists(st.tuples(st.integers(0, 1), st.integers(0, 1)), min_size=1, max_size=30))
def test_two_classes_per_class_scores_are_the_two_class_scores(pairs):
    """For two classes evaluate --json gives per_class beside the positive class's own
    precision, recall and F1: the same numbers, an undefined one undefined in both places (a
    class never predicted had precision null at the top and 0.0 in per_class)."""
    from lrnn import metrics

    y_true, y_pred = (np.array(v) for v in zip(*pairs, strict=True))
    confusion = np.zeros((2, 2), dtype=np.int64)
    np.add.at(confusion, (y_true, y_pred), 1)
    positive = metrics.ClassEvaluation(("no", "yes"), confusion, 0.0).per_class(math.nan)["yes"]
    z = np.where(y_pred == 1, 1.0, -1.0)  # logits on the side of the threshold predicted
    top = metrics.evaluate(z, y_true, 0.5)
    for key in ("precision", "recall", "f1"):
        got, want = positive[key], getattr(top, key)
        assert (math.isnan(got) and math.isnan(want)) or got == pytest.approx(want, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(pairs=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), min_size=1, max_size=40))
def test_class_scores_are_scikit_learns_with_zero_division_0(pairs):
    """Per-class precision/recall/F1 and the macro and weighted averages equal scikit-learn's
    (labels: those among the examples or the predictions; zero_division=0) — including a class
    never predicted (precision 0) and one without examples (recall 0)."""
    from sklearn.metrics import precision_recall_fscore_support

    from lrnn import metrics

    y_true, y_pred = (np.array(v) for v in zip(*pairs, strict=True))
    confusion = np.zeros((4, 4), dtype=np.int64)
    np.add.at(confusion, (y_true, y_pred), 1)
    scores = metrics.ClassEvaluation(("a", "b", "c", "d"), confusion, 0.0)
    labels = np.union1d(y_true, y_pred)
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    per_class = scores.per_class()
    for k, label in enumerate(labels):
        row = per_class["abcd"[label]]
        assert (row["precision"], row["recall"], row["f1"], row["support"]) == pytest.approx(
            (p[k], r[k], f[k], s[k]), abs=1e-12
        )
    for k in set(range(4)) - set(labels.tolist()):  # neither an example nor predicted
        assert np.isnan(per_class["abcd"[k]]["f1"])
    for average in ("macro", "weighted"):
        want = precision_recall_fscore_support(
            y_true, y_pred, labels=labels, average=average, zero_division=0
        )[:3]
        got = scores.averages()[average]
        assert (got["precision"], got["recall"], got["f1"]) == pytest.approx(want, abs=1e-12)
