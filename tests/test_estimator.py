"""LogisticNeuron: scikit-learn's contract and the lesson's numbers."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import check_estimator

from lrnn import LogisticNeuron, course


@pytest.mark.slow
def test_scikit_learn_estimator_checks_pass():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(LogisticNeuron(), on_fail=None)
    failed = [
        (r["check_name"], str(r["exception"])[:200]) for r in results if r["status"] == "failed"
    ]
    assert failed == []
    assert len(results) > 40


@pytest.mark.parametrize(
    "params",
    [
        {"solver": "newton", "alpha": 1e-2},
        {"solver": "auto", "alpha": 1e-2},
        {"solver": "lbfgs"},
        {"solver": "momentum", "learning_rate": "auto"},  # as the README says
    ],
)
def test_scikit_learn_estimator_checks_pass_for_the_second_order_solvers(params):
    """Newton's softmax biases drifted along the shift that changes no probability, so
    check_sample_weight_equivalence saw decision_function differ by 1.7e-4."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(LogisticNeuron(**params), on_fail=None)
    failed = [
        (r["check_name"], str(r["exception"])[:200]) for r in results if r["status"] == "failed"
    ]
    assert failed == []


def test_newton_keeps_a_softmax_layers_biases_summing_to_zero():
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    X, y = load_iris(return_X_y=True)
    newton = LogisticNeuron(solver="newton", alpha=0.1, tol=1e-8).fit(X, y)
    assert abs(newton.intercept_.sum()) < 1e-12  # it was 1.8e-4
    reference = LogisticRegression(C=1 / (0.1 * len(y)), tol=1e-10, max_iter=10_000).fit(X, y)
    np.testing.assert_allclose(newton.intercept_, reference.intercept_, atol=1e-5)
    np.testing.assert_allclose(
        newton.decision_function(X), reference.decision_function(X), atol=1e-5
    )


def test_same_costs_as_course_model_on_cat(cat_course, capsys):
    X_train, Y_train, X_test, Y_test = cat_course
    d = course.model(X_train, Y_train, X_test, Y_test, 2000, 0.005)
    est = LogisticNeuron(learning_rate=0.005, max_iter=2000, record_every=100)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X_train.T, Y_train.ravel())
    np.testing.assert_allclose(est.history_["cost"], d["costs"], rtol=1e-12)
    np.testing.assert_allclose(est.coef_.ravel(), d["w"].ravel(), rtol=1e-10, atol=1e-14)
    assert est.n_iter_ == 2000
    assert est.score(X_train.T, Y_train.ravel()) == pytest.approx(0.9904306220095693)
    assert est.score(X_test.T, Y_test.ravel()) == pytest.approx(0.70)


@pytest.mark.parametrize(
    "labels", [np.array(["cat", "dog"]), np.array([True, False]), np.array([-3, 7])]
)
def test_any_two_labels(labels):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 3))
    y = labels[(X[:, 0] > 0).astype(int)]
    est = LogisticNeuron(solver="lbfgs").fit(X, y)
    assert set(est.classes_) == set(labels)
    assert est.score(X, y) > 0.9
    proba = est.predict_proba(X)
    assert proba.shape == (60, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert est.coef_.shape == (1, 3) and est.intercept_.shape == (1,)


def test_feature_names_from_dataframe():
    rng = np.random.default_rng(1)
    df = pd.DataFrame(rng.standard_normal((40, 2)), columns=["height", "weight"])
    y = (df["height"] > 0).astype(int)
    est = LogisticNeuron(solver="newton").fit(df, y)
    assert list(est.feature_names_in_) == ["height", "weight"]
    assert est.n_features_in_ == 2


def test_history_records_cost_and_iterations():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((50, 4))
    y = (X[:, 1] > 0).astype(int)
    est = LogisticNeuron(max_iter=30, record_every=10, tol=0).fit(X, y)
    assert est.history_["iteration"] == [0, 10, 20]
    assert est.history_["cost"][0] == pytest.approx(np.log(2))
    assert est.history_["cost"] == sorted(est.history_["cost"], reverse=True)


def test_clone_pipeline_gridsearch_cross_val(breast_cancer_std):
    X, y = breast_cancer_std
    pipe = make_pipeline(StandardScaler(), LogisticNeuron(solver="lbfgs", alpha=1e-3))
    assert cross_val_score(pipe, X, y, cv=3).mean() > 0.95
    search = GridSearchCV(LogisticNeuron(solver="newton"), {"alpha": [1e-3, 1e-1]}, cv=3)
    search.fit(X, y)
    assert search.best_params_["alpha"] in (1e-3, 1e-1)
    assert clone(search.best_estimator_).get_params()["alpha"] == search.best_params_["alpha"]


def test_class_weight_and_sample_weight_agree():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((60, 3))
    y = (X[:, 0] + 0.5 * rng.standard_normal(60) > 0.5).astype(int)
    balanced = LogisticNeuron(solver="newton", class_weight="balanced", tol=1e-10).fit(X, y)
    counts = np.bincount(y)
    sw = (len(y) / (2.0 * counts))[y]
    weighted = LogisticNeuron(solver="newton", tol=1e-10).fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(balanced.coef_, weighted.coef_, rtol=1e-8)


def test_warm_start_continues():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((50, 3))
    y = (X[:, 0] > 0).astype(int)
    once = LogisticNeuron(max_iter=200, tol=0, learning_rate=0.1).fit(X, y)
    twice = LogisticNeuron(max_iter=100, tol=0, learning_rate=0.1, warm_start=True)
    twice.fit(X, y)
    twice.fit(X, y)
    np.testing.assert_allclose(twice.coef_, once.coef_, rtol=1e-12)


def test_eval_set_and_early_stopping_record_validation():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((100, 5))
    y = (X[:, 0] > 0).astype(int)
    est = LogisticNeuron(max_iter=50, record_every=5, tol=0, learning_rate=0.1)
    est.fit(X[:80], y[:80], eval_set=(X[80:], y[80:]))
    assert len(est.history_["val_loss"]) == 10
    es = LogisticNeuron(early_stopping=True, validation_fraction=0.2, max_iter=5000)
    es.fit(X, y)
    assert "val_accuracy" in es.history_
    # a label the training classes lack is named as the caller wrote it, not as np.str_('zz')
    names = np.where(y == 1, "yes", "no")
    with pytest.raises(ValueError, match=r"eval_set labels include 'zz', not among the train"):
        LogisticNeuron(max_iter=5).fit(X[:80], names[:80], eval_set=(X[80:85], ["zz"] * 5))
    objects = pd.Series(names).astype(object)  # np.unique gives str here, which has no .item
    with pytest.raises(ValueError, match=r"eval_set labels include 'zz', not among the train"):
        LogisticNeuron(max_iter=5).fit(
            X[:80], objects[:80], eval_set=(X[80:85], objects[:5].map(lambda _: "zz"))
        )


@pytest.mark.parametrize(
    "params, match",
    [
        ({"solver": "magic"}, "solver"),
        ({"learning_rate": -1}, "learning_rate"),
        ({"learning_rate": float("inf")}, "learning_rate"),
        ({"max_iter": 0}, "max_iter"),
        ({"batch_size": 0}, "batch_size"),
        ({"validation_fraction": 1.5}, "validation_fraction"),
        ({"alpha": -1.0}, "alpha"),
        ({"class_weight": {"nope": 2.0}}, "class_weight"),
        ({"warm_start": "no"}, "warm_start must be True or False; got 'no'"),
        ({"early_stopping": "yes"}, "early_stopping"),
    ],
)
def test_bad_parameters_are_named(params, match):
    X = np.random.default_rng(6).standard_normal((20, 2))
    y = np.array([0, 1] * 10)
    with pytest.raises(ValueError, match=match):
        LogisticNeuron(**params).fit(X, y)


def test_numpy_booleans_are_booleans():
    """A parameter grid built with numpy gives np.bool_ values, as scikit-learn accepts."""
    X = np.random.default_rng(6).standard_normal((60, 2))
    y = (X[:, 0] > 0).astype(int)
    model = LogisticNeuron(early_stopping=np.bool_(True), warm_start=np.bool_(False))
    model.set_params(max_iter=200, tol=0).fit(X, y)
    assert "val_loss" in model.history_


@pytest.mark.parametrize(
    "sample_weight, match",
    [
        (np.ones(5), "sample_weight|samples"),
        (-np.ones(20), "sample_weight"),
        (np.full(20, np.nan), "NaN|infinity|finite"),
    ],
)
def test_bad_sample_weight(sample_weight, match):
    X = np.random.default_rng(7).standard_normal((20, 2))
    y = np.array([0, 1] * 10)
    with pytest.raises(ValueError, match=match):
        LogisticNeuron().fit(X, y, sample_weight=sample_weight)


@pytest.mark.parametrize(
    ("dtype", "labels", "solver"),
    [
        (np.float64, 2, "newton"),
        (np.float64, 2, "gd"),
        (np.float64, 3, "newton"),
        (np.float32, 3, "lbfgs"),
        (np.float32, 2, "lbfgs"),
    ],
)
@pytest.mark.parametrize("scale", [5e-324, 1e-50, 1e39, 3.0])
def test_only_the_ratios_of_sample_weights_matter(dtype, labels, solver, scale):
    """Weights of 5e-324 everywhere "converged" at w = 0 without a word (their products with
    the losses underflowed), 1e-50 with float32 data divided by zero, 1e39 there "diverged"
    blaming the features; ordinary weights keep their bits."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((90, 3)).astype(dtype)
    y = np.argmax(X @ rng.standard_normal((3, 3)) + rng.normal(0, 1, (90, 3)), axis=1) % labels
    settings = {"solver": solver, "alpha": 1e-2, "tol": 1e-9, "max_iter": 300}
    if solver == "gd":
        settings["learning_rate"] = 0.5
    with warnings.catch_warnings(record=True) as said_ones:
        ones = LogisticNeuron(**settings).fit(X, y, sample_weight=np.ones(90))
    with warnings.catch_warnings(record=True) as said:
        weighted = LogisticNeuron(**settings).fit(X, y, sample_weight=np.full(90, scale))
    assert [w.category for w in said] == [w.category for w in said_ones]
    if scale == 5e-324:  # 2⁻¹⁰⁷⁴: a power of two, so the very same arithmetic as weights of 1
        assert np.array_equal(weighted.coef_, ones.coef_)
        assert np.array_equal(weighted.intercept_, ones.intercept_)
    else:  # rounding apart (float32 stops where J stops resolving, a few 1e-5 away)
        atol = 1e-3 if dtype == np.float32 else 1e-9
        np.testing.assert_allclose(weighted.coef_, ones.coef_, atol=atol)
        np.testing.assert_allclose(weighted.intercept_, ones.intercept_, atol=atol)


def test_a_missing_label_in_eval_set_is_named(tmp_path):
    """None among eval_set's text labels failed inside numpy's sort ('<' between str and
    float); fit's own y says it in one line."""
    X = np.random.default_rng(2).standard_normal((30, 2))
    y = np.array(["a", "bb", "c"] * 10, dtype=object)
    held = y.copy()
    held[4] = None
    with pytest.raises(ValueError, match=r"eval_set's y holds a missing label \(None\) at exa"):
        LogisticNeuron(early_stopping=True).fit(X, y, eval_set=(X, held))


def test_three_classes_train_a_softmax_layer():
    rng = np.random.default_rng(8)
    y = np.array(["a", "b", "c"] * 20)
    X = rng.standard_normal((60, 2)) + np.searchsorted(["a", "b", "c"], y)[:, None] * [4.0, -2.0]
    est = LogisticNeuron(solver="newton", alpha=1e-2).fit(X, y)
    assert est.coef_.shape == (3, 2) and est.intercept_.shape == (3,)
    proba = est.predict_proba(X)
    assert proba.shape == (60, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    assert est.decision_function(X).shape == (60, 3)
    np.testing.assert_array_equal(est.predict(X), est.classes_[np.argmax(proba, axis=1)])
    assert est.score(X, y) > 0.9


def test_float32_input_trains_in_float32():
    rng = np.random.default_rng(9)
    X = rng.standard_normal((50, 3)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int)
    est = LogisticNeuron(max_iter=50).fit(X, y)
    assert est.coef_.dtype == np.float32
    assert est.decision_function(X).dtype == np.float32
    # float64 rows keep their precision, as with scikit-learn's linear models (they were cut
    # to float32: a finite 1e39 became inf and the row was called not finite)
    wide = X.astype(np.float64)
    wide[0, 0] = 1e39
    z = est.decision_function(wide)
    assert z.dtype == np.float64 and np.isfinite(z).all()
    np.testing.assert_allclose(z[1:], est.decision_function(X[1:]), rtol=1e-6)


def test_predict_log_proba_is_the_log_of_predict_proba_and_stays_finite():
    """From the logits directly: where a probability rounds to 0 its log is still finite."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((40, 3))
    for y in ((X[:, 0] > 0).astype(int), np.argmax(X, axis=1)):  # two classes, three
        model = LogisticNeuron(solver="newton", alpha=1e-2).fit(X, y)
        np.testing.assert_allclose(
            np.exp(model.predict_log_proba(X)), model.predict_proba(X), rtol=1e-9, atol=1e-15
        )
        far = model.predict_log_proba(1e4 * X)  # logits in the thousands
        assert np.isfinite(far).all() and far.min() < -700
        # probabilities far below 1e-16 keep their digits in every column (not 1 − p ≈ 0)
        p, log_p = model.predict_proba(30 * X), model.predict_log_proba(30 * X)
        small = (p < 1e-16) & (p > 1e-300)
        assert small[:, 0].any() and small.all(axis=1).sum() == 0
        np.testing.assert_allclose(p[small], np.exp(log_p[small]), rtol=1e-12, atol=0)


def test_labels_of_mixed_types_are_one_clear_error():
    X = np.random.default_rng(0).standard_normal((6, 2))
    y = np.array(["a", 1, "b", "a", "b", "a"], dtype=object)
    with pytest.raises(ValueError, match="y mixes labels of types int, str"):
        LogisticNeuron().fit(X, y)
    # a missing label among text or categories, however spelt (scikit-learn's check called
    # NaN among strings "Unknown label type: unknown … a regression target")
    text = np.array(["a", "b", "b", "a", "b", "a"], dtype=object)
    for missing in (None, np.nan, pd.NA):
        y = text.copy()
        y[4] = missing
        for given in (y, pd.Categorical(y), pd.Series(y, dtype="string")):
            with pytest.raises(ValueError, match=r"y holds a missing label \(.*\) at example 4"):
                LogisticNeuron().fit(X, given)
    # the cat files' class names are bytes (h5py): not a mix of types, and the fix is named
    with pytest.raises(ValueError, match=r"y holds byte strings \(b'cat'\).*y.astype\(str\)"):
        LogisticNeuron().fit(X, np.array([b"cat", b"non-cat"] * 3))


def test_warm_start_on_data_of_another_shape_says_it_starts_from_zero():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((40, 3))
    model = LogisticNeuron(solver="newton", warm_start=True).fit(X, (X[:, 0] > 0).astype(int))
    with pytest.warns(UserWarning, match=r"warm_start: the previous fit's weights \(3,\)"):
        model.fit(X[:, :2], (X[:, 0] > 0).astype(int))
    assert model.coef_.shape == (1, 2)


def test_a_batch_larger_than_the_data_is_clipped_with_a_warning():
    """As scikit-learn's MLP does: the default batch of 32 on 20 examples (or a small CV fold)
    takes all of them in each step, instead of refusing to fit."""
    X = np.random.default_rng(6).standard_normal((20, 2))
    y = (X[:, 0] > 0).astype(int)
    with pytest.warns(UserWarning, match="batch_size=32 is more than the 20 training examples"):
        clipped = LogisticNeuron(solver="sgd", max_iter=30, tol=0).fit(X, y)
    full = LogisticNeuron(solver="sgd", max_iter=30, batch_size=20, tol=0).fit(X, y)
    np.testing.assert_array_equal(clipped.coef_, full.coef_)
    assert clipped.get_params()["batch_size"] == 32  # the parameter itself is left as given


def test_balanced_class_weights_count_the_sample_weights_as_scikit_learn_does(
    breast_cancer_std,
):
    """'balanced' with sample_weight: each class's total weight is the same once the sample
    weights are counted (scikit-learn ≥ 1.9), so both reach the same optimum (C = 1/(alpha·Σs),
    since J averages over the weights' sum)."""
    from sklearn.linear_model import LogisticRegression

    X, y = breast_cancer_std
    s = np.random.default_rng(0).uniform(0.2, 3.0, len(y))
    alpha = 1e-2
    reference = LogisticRegression(
        C=1 / (alpha * s.sum()), class_weight="balanced", solver="newton-cholesky", tol=1e-12
    ).fit(X, y, sample_weight=s)
    model = LogisticNeuron(solver="newton", alpha=alpha, class_weight="balanced", tol=1e-10)
    model.fit(X, y, sample_weight=s)
    np.testing.assert_allclose(model.coef_, reference.coef_, atol=1e-8)
    np.testing.assert_allclose(model.intercept_, reference.intercept_, atol=1e-8)


def test_a_convergence_warning_points_at_the_users_fit_call():
    """Not at a line inside lrnn: the warning's location is the caller's own line."""
    from sklearn.exceptions import ConvergenceWarning

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 3)), np.arange(40) % 2
    with pytest.warns(ConvergenceWarning) as caught:
        LogisticNeuron(max_iter=2, tol=1e-12, solver="lbfgs").fit(X, y)
    assert caught[0].filename == __file__


def test_a_dataframe_with_a_column_named_format_is_not_taken_for_a_sparse_matrix():
    import pandas as pd

    X = pd.DataFrame({"format": [0.0, 1, 2, 3], "b": [1.0, 0, 1, 0]})
    est = LogisticNeuron(solver="auto").fit(X, [0, 1, 0, 1])
    assert est.predict(X).shape == (4,)


def _capture_validation(monkeypatch) -> dict:
    """The validation backend the estimator hands to training."""
    from lrnn import estimator as estimator_module

    captured: dict = {}
    real = estimator_module.train

    def spy(backend, config, validation=None, **kwargs):
        captured["validation"] = validation
        return real(backend, config, validation=validation, **kwargs)

    monkeypatch.setattr(estimator_module, "train", spy)
    return captured


def _weighted_log_loss(X, y, weights, w, b):
    z = X @ w + b
    losses = np.logaddexp(0.0, z) - y * z
    return float(np.sum(weights * losses) / np.sum(weights))


@pytest.mark.filterwarnings("ignore:gd stopped at max_iter")  # a few steps suffice
def test_the_held_out_loss_is_weighted_as_the_training_loss(monkeypatch):
    from lrnn import run

    rng = np.random.default_rng(11)
    X = rng.standard_normal((120, 4))
    y = (X[:, 0] + 0.5 * rng.standard_normal(120) > 0).astype(int)
    s = rng.uniform(0.1, 3.0, 120)
    captured = _capture_validation(monkeypatch)
    LogisticNeuron(
        early_stopping=True, validation_fraction=0.25, random_state=0, class_weight={1: 3.0},
        max_iter=20,
    ).fit(X, y, sample_weight=s)  # fmt: skip
    _, held = run.hold_out_rows(y, 0.25, 0)
    w, b = rng.standard_normal(4), 0.3
    weights = s[held] * np.where(y[held] == 1, 3.0, 1.0)
    want = _weighted_log_loss(X[held], y[held], weights, w, b)
    assert captured["validation"].data_pass(w, b).loss == pytest.approx(want, rel=1e-12)
    unweighted = _weighted_log_loss(X[held], y[held], np.ones(len(held)), w, b)
    assert abs(want - unweighted) > 1e-3  # the check can tell the two apart


@pytest.mark.filterwarnings("ignore:gd stopped at max_iter")  # a few steps suffice
def test_an_eval_set_is_weighted_by_the_training_class_weights(monkeypatch):
    rng = np.random.default_rng(12)
    X = rng.standard_normal((100, 3))
    y = (X[:, 0] > 0.4).astype(int)  # unbalanced: "balanced" weighs class 1 up
    X_val, y_val = X[:30], y[:30]
    captured = _capture_validation(monkeypatch)
    LogisticNeuron(class_weight="balanced", max_iter=5).fit(X, y, eval_set=(X_val, y_val))
    factors = len(y) / (2 * np.bincount(y))  # from the training labels, not the eval set's
    w, b = rng.standard_normal(3), -0.2
    want = _weighted_log_loss(X_val, y_val, factors[y_val], w, b)
    assert captured["validation"].data_pass(w, b).loss == pytest.approx(want, rel=1e-12)


def test_early_stopping_refuses_a_validation_part_without_weight():
    from lrnn import run

    X = np.arange(40, dtype=float).reshape(20, 2)
    y = np.array([0, 1] * 10)
    _, held = run.hold_out_rows(y, 0.5, 0)
    weights = np.ones(20)
    weights[held] = 0.0  # the rows this seed would hold out: now held out from the others
    est = LogisticNeuron(early_stopping=True, validation_fraction=0.5, random_state=0)
    assert est.fit(X, y, sample_weight=weights).n_iter_ >= 1
    zero_class = LogisticNeuron(early_stopping=True, class_weight={0: 0.0})
    # a class of weight 0 leaves a validation part of it without weight (a NaN loss: it never
    # stopped); it is refused before, for the training part, whose cost has no minimum then
    with pytest.raises(ValueError, match="class_weight gives every example of class '0' weight"):
        zero_class.fit(X, y, eval_set=(X[y == 0], y[y == 0]))


@pytest.mark.parametrize("solver", ["newton", "lbfgs", "gd"])
def test_a_class_whose_examples_all_weigh_zero_is_refused(solver):
    """Its cost has no minimum (the unpenalised bias grows until tol stops it): newton said
    "converged" with an intercept of 10.2, lbfgs 11.3, and every prediction was one class."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    y = (X[:, 0] + rng.normal(size=80) > 0).astype(int)
    est = LogisticNeuron(solver=solver, alpha=1e-2)
    with pytest.raises(
        ValueError, match=r"^sample_weight gives every example of class '0' weight 0"
    ):
        est.fit(X, y, sample_weight=(y == 1).astype(float))
    with pytest.raises(ValueError, match=r"^sample_weight × class_weight gives every example of "):
        est.set_params(class_weight={0: 0.5}).fit(X, y, sample_weight=(y == 1).astype(float))
    three = np.where(X[:, 1] > 1, 2, y)
    with pytest.raises(ValueError, match=r"^class_weight gives every example of class '2' weight"):
        est.set_params(class_weight={2: 0}).fit(X, three)
    est.set_params(class_weight={0: 1e-3}).fit(X, y)  # a small weight is a weight


def test_a_random_state_object_seeds_each_fit_from_its_draws(breast_cancer_std):
    """scikit-learn's convention: an int repeats a fit, a RandomState or Generator gives each
    fit a fresh seed (it was refused as "must be an integer")."""
    X, y = breast_cancer_std
    params = {"solver": "sgd", "max_iter": 3, "batch_size": 32}
    same = [LogisticNeuron(**params, random_state=7).fit(X, y).coef_ for _ in range(2)]
    np.testing.assert_array_equal(same[0], same[1])
    for source in (np.random.RandomState(0), np.random.default_rng(0)):
        shared = LogisticNeuron(**params, random_state=source)
        first, second = shared.fit(X, y).coef_.copy(), shared.fit(X, y).coef_
        assert not np.array_equal(first, second)  # two draws, two mini-batch orders
        assert shared.random_state is source  # the parameter itself is left as given
    # the same generator state gives the same fit again
    again = [
        LogisticNeuron(**params, random_state=np.random.RandomState(3)).fit(X, y).coef_
        for _ in range(2)
    ]
    np.testing.assert_array_equal(again[0], again[1])
    scores = cross_val_score(
        LogisticNeuron(early_stopping=True, random_state=np.random.RandomState(1)), X, y, cv=3
    )
    assert scores.min() > 0.9


def test_an_unfinished_bias_under_a_large_alpha_is_blamed_on_alpha(breast_cancer_std):
    """With alpha far above the data's curvature, gd's auto step 1/L ≈ 1/alpha leaves the
    unpenalised bias far from log-odds of the classes; the warning named max_iter and
    scaling (the features were standardized already)."""
    from sklearn.exceptions import ConvergenceWarning

    X, y = breast_cancer_std
    with pytest.warns(ConvergenceWarning, match=r"alpha=10000 sets the step") as caught:
        fitted = LogisticNeuron(solver="gd", learning_rate="auto", alpha=1e4).fit(X, y)
    assert "standardize" not in str(caught[0].message)
    log_odds = np.log(y.mean() / (1 - y.mean()))  # the optimum's bias as alpha → ∞
    assert abs(fitted.intercept_[0] - log_odds) > 0.4  # what the warning is about
    # standardized already: scaling is not advised; on the same columns scaled, it is
    short = LogisticNeuron(solver="gd", learning_rate="auto", alpha=1e-4, max_iter=20)
    with pytest.warns(ConvergenceWarning, match="raise max_iter, or use solver='lbfgs'"):
        short.fit(X, y)
    with pytest.warns(ConvergenceWarning, match="raise max_iter, scale"):
        short.fit(X * np.linspace(1, 30, X.shape[1]), y)


def test_rows_of_weight_zero_are_never_held_out_for_early_stopping(breast_cancer_std):
    """Which seeds could fit depended on whether the hold-out happened to draw only rows of
    weight 0 (then refused: the validation loss is undefined)."""
    X, y = breast_cancer_std
    weights = np.zeros(len(y))
    weights[::10] = 1.0  # 57 counted rows, 512 ignored
    for seed in range(5):
        est = LogisticNeuron(early_stopping=True, validation_fraction=0.2, random_state=seed)
        est.fit(X, y, sample_weight=weights)
        assert est.score(X[::10], y[::10]) > 0.85
    est = LogisticNeuron(validation_fraction=0.2)
    est.classes_ = np.array([0, 1])
    _, _, w_train, validation, _ = est._hold_out(X, y, weights, 0)
    assert (w_train == 0).sum() == 512  # every row of weight 0 stays in training
    assert validation.n_samples == 57 - (w_train > 0).sum() > 0


@pytest.mark.parametrize("record_every", [1, 1000])
def test_a_fit_whose_cost_ends_above_its_start_warns_once(record_every):
    """Also when the history holds the first cost alone (a run shorter than record_every):
    the cost at the returned weights is the other end."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4)) * [1, 10, 100, 0.1]
    y = (X[:, 0] + X[:, 1] / 10 + rng.normal(size=300) * 0.5 > 0).astype(int)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = LogisticNeuron(max_iter=300, record_every=record_every).fit(X, y)
    (warning,) = caught  # not also "raise max_iter"
    assert warning.category is RuntimeWarning
    ended = model.result_.final_cost
    assert f"the cost rose from 0.693147 to {ended:.6g} over the run" in str(warning.message)
    assert "learning_rate='auto'" in str(warning.message)


def test_sgds_noise_at_the_optimum_is_not_called_an_overshooting_rate(breast_cancer_std):
    """A warm start at the optimum rose by 2e-7 over 200 sgd epochs at the rate 'auto' chose
    (1/L): "learning_rate=0.300264 overshoots … steps below about 0.601 are sure to descend",
    and that warning took the place of the ConvergenceWarning the run was due."""
    from sklearn.exceptions import ConvergenceWarning

    from lrnn.objective import lipschitz_constant

    X, y = breast_cancer_std
    model = LogisticNeuron(solver="sgd", learning_rate="auto", alpha=1e-2, warm_start=True)
    model.set_params(max_iter=200)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X, y)
        model.fit(X, y)
    said = [(w.category, str(w.message)) for w in caught]
    assert [c for c, _ in said] == [ConvergenceWarning, ConvergenceWarning], said
    assert model.result_.learning_rate < 2 / lipschitz_constant(X, 1e-2)


@pytest.mark.parametrize("weighting", ["sample_weight", "class_weight"])
def test_sgd_heads_for_the_weighted_optimum(breast_cancer_std, weighting):
    """Each mini-batch averaged over its own weights, so batches of one cancelled them (the
    fit was bit for bit the unweighted one), and a batch of zero weights divided by 0."""
    X, y = breast_cancer_std
    sw = np.where(y == 1, 10.0, 1.0)
    fit_kw = {"sample_weight": sw} if weighting == "sample_weight" else {}
    init_kw = {"class_weight": {0: 1.0, 1: 10.0}} if weighting == "class_weight" else {}
    optimum = LogisticNeuron(solver="newton", alpha=1e-2, tol=1e-10).fit(X, y, sample_weight=sw)
    sgd = {"solver": "sgd", "alpha": 1e-2, "batch_size": 1, "max_iter": 60, "tol": 0}
    sgd["learning_rate"] = 0.01
    weighted = LogisticNeuron(**sgd, **init_kw).fit(X, y, **fit_kw)
    plain = LogisticNeuron(**sgd).fit(X, y)
    best = optimum.result_.final_cost
    assert weighted.result_.final_cost == pytest.approx(best, rel=1e-3)
    assert abs(weighted.intercept_[0] - optimum.intercept_[0]) < 0.1
    assert abs(plain.intercept_[0] - optimum.intercept_[0]) > 1.0  # the unweighted optimum


def test_sgd_skips_batches_whose_weights_are_all_zero(breast_cancer_std):
    X, y = breast_cancer_std
    sw = np.ones(len(y))
    sw[:100] = 0.0
    sgd = {"solver": "sgd", "batch_size": 1, "max_iter": 3, "tol": 0, "random_state": 0}
    kept = LogisticNeuron(**sgd).fit(X, y, sample_weight=sw)
    assert np.isfinite(kept.coef_).all()


def test_early_stopping_restores_the_best_weights_when_max_iter_comes_first():
    """The best check's weights were restored only when patience ran out; a run that hit
    max_iter first returned its last, overfitted, weights."""
    from sklearn.datasets import load_digits
    from sklearn.metrics import log_loss

    X, y = load_digits(return_X_y=True)
    X = X / 16
    train, val = np.arange(len(y)) % 10 < 7, np.arange(len(y)) % 10 >= 7
    params = {"solver": "newton", "early_stopping": True, "n_iter_no_change": 50, "tol": 0}
    fitted = LogisticNeuron(**params, max_iter=12).fit(
        X[train], y[train], eval_set=(X[val], y[val])
    )
    losses = fitted.history_["val_loss"]
    best = int(np.argmin(losses))
    assert fitted.result_.stop_reason == "max_iter" and best < len(losses) - 1
    assert fitted.result_.restored_iteration == fitted.history_["iteration"][best]
    got = log_loss(y[val], fitted.predict_proba(X[val]))
    assert got == pytest.approx(losses[best], rel=1e-9)
    # and when a callback stops it (README's other way to end a run): the last weights came
    # back, 0.35 where the best check had 0.11, and no iteration was said to be restored
    from lrnn import Callback

    class StopAt(Callback):
        def on_step(self, state):
            return state.iteration >= 12

    stopped = LogisticNeuron(**params, max_iter=100).fit(
        X[train], y[train], eval_set=(X[val], y[val]), callbacks=[StopAt()]
    )
    assert stopped.result_.stop_reason == "interrupted"
    assert stopped.result_.restored_iteration == fitted.result_.restored_iteration
    np.testing.assert_array_equal(stopped.coef_, fitted.coef_)


@pytest.mark.parametrize("solver", ["newton", "lbfgs"])
def test_early_stopping_that_restores_after_tol_is_not_called_stalled(breast_cancer_std, solver):
    """tol stopped the run, then the validation's best weights came back: judged by the
    gradient there the run read "stalled", with a ConvergenceWarning to standardize features
    that already were."""
    X, y = breast_cancer_std
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fitted = LogisticNeuron(solver=solver, alpha=1e-4, early_stopping=True).fit(X, y)
    assert fitted.result_.restored_iteration is not None
    assert fitted.result_.restored_iteration < fitted.n_iter_
    assert fitted.result_.stop_reason == "early_stopping" and fitted.result_.converged


@pytest.mark.parametrize("solver", ["newton", "lbfgs"])
def test_a_fit_that_separates_the_data_with_alpha_zero_warns_whatever_stopped_it(
    breast_cancer_std, solver
):
    """Standardized breast_cancer is separable: the defaults stopped at tol, "converged",
    with weights of 300 or 160 depending on the solver, and nothing said."""
    X, y = breast_cancer_std
    with pytest.warns(RuntimeWarning, match="perfectly separated.*tol=0.0001 stopped them"):
        fitted = LogisticNeuron(solver=solver).fit(X, y)
    assert fitted.score(X, y) == 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        LogisticNeuron(solver=solver, alpha=1e-2).fit(X, y)  # a unique optimum: nothing to say


def test_a_hold_out_that_cannot_be_made_names_validation_fraction():
    with pytest.raises(ValueError, match=r"6 for validation\); .* different validation_fraction"):
        LogisticNeuron(early_stopping=True, validation_fraction=0.99).fit(
            np.random.default_rng(0).random((6, 2)), [0, 1] * 3
        )


def test_a_class_weight_may_name_absent_classes_when_it_names_every_present_one():
    """scikit-learn's rule, so that cross-validation on a rare class works: a fold without
    class 7 fits with {0: 1, 1: 2, 7: 5}; a mapping that leaves a present class unnamed
    and names an absent one is a typo, refused by both."""
    from sklearn.linear_model import LogisticRegression

    X = np.random.default_rng(7).standard_normal((30, 2))
    y = np.array([0, 1] * 15)
    covering, typo = {0: 1.0, 1: 2.0, 7: 5.0}, {0: 1.0, 7: 5.0}
    ours = LogisticNeuron(solver="newton", alpha=1e-2, class_weight=covering).fit(X, y)
    plain = LogisticNeuron(solver="newton", alpha=1e-2, class_weight={0: 1.0, 1: 2.0}).fit(X, y)
    np.testing.assert_array_equal(ours.coef_, plain.coef_)
    LogisticRegression(class_weight=covering).fit(X, y)  # scikit-learn takes it too
    with pytest.raises(ValueError, match="names class 7, which is not in the data"):
        LogisticNeuron(class_weight=typo).fit(X, y)
    with pytest.raises(ValueError):
        LogisticRegression(class_weight=typo).fit(X, y)


def test_nan_labels_are_refused_without_a_stray_cast_warning():
    """Only "Input y contains NaN", as scikit-learn says it; numpy's "invalid value
    encountered in cast" came first."""
    X = np.random.default_rng(0).standard_normal((10, 2))
    y = np.array([0.0, 1.0] * 5)
    y[3] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="Input y contains NaN"):
            LogisticNeuron().fit(X, y)


def test_a_fit_that_fails_leaves_the_estimator_as_it_was():
    """New classes were stored before class_weight was checked: the old weights then
    predicted under the new names, scoring 0.007 without an error."""
    from sklearn.datasets import load_iris

    from lrnn.errors import UsageError

    X, y = load_iris(return_X_y=True)
    model = LogisticNeuron(solver="lbfgs", alpha=1e-2).fit(X, y)
    coef, classes = model.coef_.copy(), model.classes_.copy()
    names = np.array(["virginica", "setosa", "versicolor"])[y]
    model.set_params(class_weight={"setosa": 1, "virginca": 2})
    with pytest.raises(UsageError, match="'virginca', which is not in the data"):
        model.fit(X[:, :2], names)
    assert model.classes_.tolist() == classes.tolist() and model.n_features_in_ == 4
    np.testing.assert_array_equal(model.coef_, coef)
    assert model.score(X, y) > 0.9
    fresh = LogisticNeuron(class_weight={"a": 1})
    with pytest.raises(UsageError):
        fresh.fit(X, names)
    assert not [name for name in vars(fresh) if name.endswith("_")]


def test_warm_start_on_other_classes_says_it_starts_from_zero():
    """Each class's weights belong to its name: other names (as many of them) took the old
    columns silently."""
    rng = np.random.default_rng(6)
    X = rng.standard_normal((60, 3))
    y = np.digitize(X[:, 0], [-0.5, 0.5])
    model = LogisticNeuron(solver="newton", alpha=0.1, warm_start=True).fit(X, y)
    fresh = LogisticNeuron(solver="newton", alpha=0.1).fit(X, np.array(["x", "y", "z"])[y])
    with pytest.warns(UserWarning, match=r"classes \[0, 1, 2\] are not this data's \['x', 'y'"):
        model.fit(X, np.array(["x", "y", "z"])[y])
    np.testing.assert_array_equal(model.coef_, fresh.coef_)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(X, np.array(["x", "y", "z"])[y])  # the same classes again: it continues


def test_verbose_logs_every_verbose_th_recorded_iteration(caplog):
    """verbose=5 with a record every 10 iterations logged every record (0, 10, 20, ...): the
    test was on the iteration number, not on the count of records."""
    import logging

    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 3))
    y = (X[:, 0] > 0).astype(int)
    with caplog.at_level(logging.INFO, logger="lrnn"):
        LogisticNeuron(tol=0, max_iter=120, record_every=10, verbose=5).fit(X, y)
    said = [r.getMessage() for r in caplog.records if r.name == "lrnn"]
    assert [line.split(":")[0] for line in said] == [
        "Cost after iteration 0",
        "Cost after iteration 50",
        "Cost after iteration 100",
    ]
    # verbose=True, scikit-learn's habit, logged all 2000 records of the lesson's fit: now its
    # rhythm, every 100th iteration and the last (an int keeps its meaning)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="lrnn"):
        LogisticNeuron(tol=0, max_iter=350, verbose=True).fit(X, y)
        LogisticNeuron(tol=0, max_iter=3, verbose=1).fit(X, y)
    said = [r.getMessage().split(":")[0][len("Cost after iteration ") :] for r in caplog.records]
    assert said == ["0", "100", "200", "300", "349", "0", "1", "2"]


def test_the_readmes_callback_example_runs_as_written():
    """The README's example of watching a fit, run with its X and y: the last line's value
    is what its comment says."""
    import ast
    from pathlib import Path

    from sklearn.datasets import load_breast_cancer

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    block = readme.split("<!-- callback-example", 1)[1].split("```python\n", 1)[1]
    code = block.split("```", 1)[0]
    *body, last = code.strip().splitlines()
    expression, said = last.split("  # ", 1)
    X, y = load_breast_cancer(return_X_y=True)
    namespace = {"X": StandardScaler().fit_transform(X), "y": y}
    exec("\n".join(body), namespace)
    assert eval(expression, namespace) == ast.literal_eval(said)


def test_a_validation_fraction_of_less_than_one_example_is_said():
    """validation_fraction=1e-9 held out one example and judged early stopping by it without
    a word."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 3))
    y = (X[:, 0] + rng.standard_normal(60) > 0).astype(int)  # not separable
    with pytest.warns(UserWarning, match=r"1e-09 of 60 examples is less than one, so one"):
        LogisticNeuron(early_stopping=True, validation_fraction=1e-9, max_iter=20).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        LogisticNeuron(early_stopping=True, validation_fraction=0.1, max_iter=20, tol=0).fit(X, y)


def test_raw_pixels_that_diverge_are_told_to_be_divided_by_255():
    """The estimator given a picture's uint8 pixels diverged with a table's advice
    (--standardize, a StandardScaler): the lesson's way out, X / 255, was not named. Whole
    numbers in a float array of pixels' width get it as a possibility, beside the table's."""
    from lrnn.errors import TrainingDiverged

    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (40, 192), dtype=np.uint8)
    y = np.arange(40) % 2
    with pytest.raises(TrainingDiverged) as raw:
        LogisticNeuron(tol=0).fit(pixels, y)
    assert str(raw.value).endswith(
        "; X holds a picture's raw pixels (uint8, 0–255): divide them by 255 (X / 255, as the "
        "lesson does), which allows larger steps."
    )
    with pytest.raises(TrainingDiverged) as whole:
        LogisticNeuron(tol=0).fit(pixels.astype(np.float64), y)
    said = str(whole.value)
    assert "if they are a picture's pixels, divide them by 255" in said
    assert "StandardScaler in Python" in said
    with pytest.raises(TrainingDiverged) as table:  # a few columns of counts: a table's advice
        LogisticNeuron(tol=0).fit(pixels[:, :5].astype(np.float64) * 40, y)
    assert "pixels" not in str(table.value) and "StandardScaler in Python" in str(table.value)
    with pytest.raises(TrainingDiverged) as counts:  # a few uint8 columns: a table too
        LogisticNeuron(learning_rate=100.0, max_iter=50).fit(pixels[:, :3] % 4, y)
    assert "pixels" not in str(counts.value) and "StandardScaler" in str(counts.value)
    LogisticNeuron(tol=0, max_iter=50).fit(pixels / 255, y)  # the way out trains


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ("one", "callbacks must be a list of lrnn.Callback objects; got Callback — put it in a"),
        ("function", "callbacks[0] is a function, not an lrnn.Callback (it has no on_start);"),
        ("text", "callbacks must be a list of lrnn.Callback objects; got str"),
        ("class", "callbacks[0] is the class Callback, not one of its objects; give Callback()"),
    ],
)
def test_callbacks_that_are_not_a_list_of_callbacks_are_refused_first(given, said):
    """One Callback given bare raised "'Callback' object is not iterable"; a function in the
    list "'function' object has no attribute 'on_start'" from inside the loop."""
    from lrnn import Callback
    from lrnn.errors import UsageError

    X, y = np.random.default_rng(0).normal(size=(20, 3)), np.arange(20) % 2
    value = {"one": Callback(), "function": [lambda row: None], "text": "print"}.get(
        given, [Callback]
    )
    model = LogisticNeuron(max_iter=5)
    with pytest.raises(UsageError) as info:
        model.fit(X, y, callbacks=value)
    assert str(info.value).startswith(said) and not hasattr(model, "coef_")
