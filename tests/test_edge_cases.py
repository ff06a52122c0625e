"""Numerical edge cases: what lrnn does with data at the corners, solver by solver.

The promise everywhere: never a NaN weight. Either training ends with a finite model, or it
stops with one clear error that says what to do. Documented behaviour, case by case:

=============================  ===============================================================
perfectly separable, alpha=0   stops with stop_reason "separable" and a RuntimeWarning once the
                               loss is below 1e-4 with every example right (the optimum is at
                               infinity); the weights are finite. With alpha > 0: no warning,
                               a finite optimum. The CLI saves the model and prints the warning.
constant features              trained; a constant column acts like a second bias. With
                               --standardize its std is taken as 1 (no division by zero).
all-zero features              w stays 0; b learns the class balance.
duplicate rows                 the same as weighting those rows; exact conflicts (one x, both
                               labels) give w = 0, b = 0.
one example per class          trained (separable: the warning for newton/lbfgs). The CLI's
                               20 % hold-out would leave one class, so it refuses with advice
                               (give --test).
features of 1e30               trained by newton and lbfgs (their steps follow the curvature,
                               w ~ 1e-30); adam, momentum, nesterov and sgd end finite but far
                               from the optimum; gd with a fixed learning rate diverges with a
                               message naming the rate sure to descend (2/L).
features of 1e300 (float64),   the curvature overflows floating point: the first-order solvers
float32 near its maximum       stop with TrainingDiverged, learning_rate="auto" with a
                               UsageError, both saying "scale them first (standardize)"; the
                               solvers that cannot take a finite step (newton, lbfgs, adam on
                               1e300) end with w = 0. --standardize trains such a table normally.
=============================  ===============================================================
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import ConvergenceWarning

from lrnn import persist
from lrnn.cli import main
from lrnn.errors import LrnnError, TrainingDiverged, UsageError
from lrnn.estimator import LogisticNeuron

SOLVERS = ["gd", "momentum", "nesterov", "adam", "sgd", "lbfgs", "newton"]


def _separable(seed: int = 0, m: int = 30) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = np.r_[rng.normal(-4, 1, (m, 2)), rng.normal(4, 1, (m, 2))]
    return X, np.r_[np.zeros(m), np.ones(m)]


def _noisy(seed: int = 0, m: int = 60, n: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, n))
    return X, (X[:, 0] + rng.standard_normal(m) > 0).astype(int)


def fit(X, y, solver: str, **params) -> LogisticNeuron:
    """Fit, with the warnings any run may raise on such data silenced; checks the promise."""
    params = {"max_iter": 300, "tol": 0.0, "batch_size": min(8, len(y)), **params}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. scikit-learn's float32 sum overflowing in a check
        model = LogisticNeuron(solver=solver, **params).fit(X, y)
        probability = model.predict_proba(X)
    assert np.isfinite(model.coef_).all() and np.isfinite(model.intercept_).all()
    assert np.isfinite(probability).all() and ((probability >= 0) & (probability <= 1)).all()
    return model


def fit_or_clear_error(X, y, solver: str, advice: str, **params) -> LogisticNeuron | None:
    """A finite model, or one of lrnn's errors (one line, with ``advice`` in it): no NaN."""
    try:
        return fit(X, y, solver, **params)
    except (TrainingDiverged, UsageError) as exc:
        message = str(exc)
        assert "\n" not in message and advice in message, message
        if isinstance(exc, TrainingDiverged) and exc.result is not None:
            assert np.isfinite(exc.result.w).all()  # the last finite parameters, kept
        return None


# --------------------------------------------------------------------------------------------
# Perfectly separable data


SEPARATING = {
    "gd": {"learning_rate": 0.5, "max_iter": 3000},
    "adam": {"learning_rate": 0.1, "max_iter": 3000},
    "sgd": {"learning_rate": 0.5, "max_iter": 3000},
    "lbfgs": {},
    "newton": {},
}


@pytest.mark.parametrize("solver", list(SEPARATING))
def test_separable_data_stops_with_a_warning(solver):
    X, y = _separable()
    params = {"tol": 0.0, "batch_size": 8, **SEPARATING[solver]}
    with pytest.warns(RuntimeWarning, match="perfectly separated .* set alpha > 0"):
        model = LogisticNeuron(solver=solver, **params).fit(X, y)
    result = model.result_
    assert result.stop_reason == "separable" and not result.converged
    assert model.n_iter_ < params.get("max_iter", 2000)
    assert np.isfinite(model.coef_).all() and np.isfinite(model.intercept_).all()
    assert model.score(X, y) == 1.0
    assert result.final_cost <= 1e-4


@pytest.mark.parametrize("solver", ["gd", "lbfgs", "newton"])
def test_separable_data_with_alpha_has_a_finite_optimum(solver):
    X, y = _separable()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no "separated" warning
        model = LogisticNeuron(
            solver=solver, alpha=0.01, learning_rate="auto", tol=1e-5, max_iter=20_000
        ).fit(X, y)
    assert model.result_.stop_reason == "tol"
    assert np.isfinite(model.coef_).all() and np.abs(model.coef_).max() < 10


@pytest.mark.parametrize(("solver", "rate"), [("newton", None), ("gd", "1")])
def test_separable_data_through_the_cli(tmp_path, monkeypatch, capsys, solver, rate):
    X, y = _separable()
    frame = pd.DataFrame(X, columns=["a", "b"]).assign(label=y.astype(int))
    for name in ("sep.csv", "sep_test.csv"):  # the same rows, no hold-out (not the same file)
        frame.to_csv(tmp_path / name, index=False)
    monkeypatch.chdir(tmp_path)
    args = ["train", "sep.csv", "--test", "sep_test.csv", "--solver", solver, "--no-plot"]
    args += ["--iterations", "5000"] + (["--learning-rate", rate] if rate else [])
    assert main([*args, "--model", "m.safetensors"]) == 0
    copied, *err = capsys.readouterr().err.strip().splitlines()
    assert copied.startswith("warning: --test sep_test.csv holds the very examples trained on")
    assert len(err) == 1 and err[0].startswith("warning: the training data is perfectly separated")
    model = persist.load_model(tmp_path / "m.safetensors")
    assert np.isfinite(model.w).all() and model.training["stop_reason"] == "separable"
    assert model.training["train_accuracy"] == 1.0


# --------------------------------------------------------------------------------------------
# Degenerate features and rows


@pytest.mark.parametrize("solver", SOLVERS)
def test_constant_and_all_zero_features(solver):
    X, y = _noisy()
    with_constant = np.c_[np.full(len(y), 3.0), X]
    model = fit(with_constant, y, solver)
    assert model.score(with_constant, y) > 0.6
    # Nothing but constants: only the bias can learn, the prediction is the class balance.
    zeros = np.zeros((len(y), 3))
    model = fit(zeros, y, solver, max_iter=2000, learning_rate=0.5)
    assert np.array_equal(model.coef_, np.zeros((1, 3)))
    balance = y.mean()
    assert model.predict_proba(zeros[:1])[0, 1] == pytest.approx(balance, abs=0.05)
    fit(np.full((len(y), 2), 7.0), y, solver)


@pytest.mark.parametrize("solver", SOLVERS)
def test_duplicate_rows(solver):
    X, y = _noisy(m=20)
    repeated = fit(np.repeat(X, 5, axis=0), np.repeat(y, 5), solver)
    assert repeated.score(X, y) > 0.6
    # The same example with both labels, many times over: the optimum is w = 0, b = 0.
    conflict = np.tile([[1.0, -2.0]], (10, 1))
    model = fit(conflict, np.array([0, 1] * 5), solver)
    assert np.allclose(model.coef_, 0, atol=1e-6) and abs(model.intercept_[0]) < 1e-6


@pytest.mark.parametrize("solver", SOLVERS)
def test_one_example_per_class(solver):
    X, y = np.array([[1.0, 2.0], [3.0, -1.0]]), np.array([0, 1])
    model = fit(X, y, solver, batch_size=1)
    assert model.predict(X).tolist() == [0, 1] or solver in ("sgd", "gd", "momentum")


def test_tiny_data_through_the_cli(tmp_path, monkeypatch, capsys):
    pd.DataFrame({"a": [1.0, 2.0], "label": ["no", "yes"]}).to_csv(
        tmp_path / "two.csv", index=False
    )
    monkeypatch.chdir(tmp_path)
    assert main(["train", "two.csv", "--no-plot"]) == 2  # the hold-out would leave one class
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "without a training example" in err[0] and "--test" in err[0]
    assert not (tmp_path / "lrnn-model.safetensors").exists()
    for solver in ("gd", "newton", "sgd"):
        args = ["train", "two.csv", "--test", "two.csv", "--solver", solver, "--batch-size", "1"]
        assert main([*args, "--no-plot", "--model", f"{solver}.safetensors"]) == 0
        assert np.isfinite(persist.load_model(f"{solver}.safetensors").w).all()
    # early stopping cannot hold out a validation part of two examples: a clear error
    with pytest.raises(ValueError, match="early_stopping could not hold out"):
        LogisticNeuron(early_stopping=True).fit([[1.0], [2.0]], [0, 1])


# --------------------------------------------------------------------------------------------
# Huge feature values


@pytest.mark.parametrize("solver", SOLVERS)
def test_features_of_1e30(solver):
    X, y = _noisy()
    model = fit_or_clear_error(X * 1e30, y, solver, "learning rate")
    if solver in ("lbfgs", "newton"):
        assert model is not None and model.score(X * 1e30, y) > 0.6


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("scale", [1e300, -1e300])
def test_features_of_1e300(solver, scale):
    X, y = _noisy()
    fit_or_clear_error(X * scale, y, solver, "scale them first (standardize)")
    if solver in ("gd", "momentum", "nesterov"):
        with pytest.raises(UsageError, match="'auto' has no usable value.*standardize"):
            fit(X * scale, y, solver, learning_rate="auto")


@pytest.mark.parametrize("sparse", [False, True])
def test_a_run_to_max_iter_on_huge_features_is_not_told_to_raise_max_iter(sparse):
    """tol=0 (as lrnn train's lbfgs runs): lbfgs can take no step and runs out max_iter; the
    warning said "raise max_iter", which cannot help, and for sparse rows nothing else."""
    import scipy.sparse

    X, y = _noisy()
    X[5] = 1e308
    X = scipy.sparse.csr_matrix(X) if sparse else X
    with pytest.warns(ConvergenceWarning) as seen:
        LogisticNeuron(solver="lbfgs", tol=0.0, max_iter=50, alpha=1e-3).fit(X, y)
    said = str(seen[-1].message)
    assert "stopped at max_iter=50" in said and "raise max_iter" not in said, said
    assert said.endswith("the curvature of the cost overflows floating point; scale them first "
                         "(standardize).")  # fmt: skip


@pytest.mark.parametrize("solver", SOLVERS)
def test_float32_near_its_maximum(solver):
    X, y = _noisy()
    X32 = (X / np.abs(X).max() * 3e38).astype(np.float32)
    assert np.isfinite(X32).all()
    model = fit_or_clear_error(X32, y, solver, "scale them first (standardize)")
    if model is not None:
        assert model.coef_.dtype == np.float32


def test_huge_features_through_the_cli(tmp_path, monkeypatch, capsys):
    X, y = _noisy()
    frame = pd.DataFrame(X * 1e300, columns=["a", "b", "c"]).assign(label=y)
    for name in ("huge.csv", "huge_test.csv"):  # the same rows, no hold-out
        frame.to_csv(tmp_path / name, index=False)
    monkeypatch.chdir(tmp_path)
    args = ["train", "huge.csv", "--test", "huge_test.csv", "--no-plot"]
    assert main([*args, "--model", "gd.safetensors"]) == 1
    copied, *err = capsys.readouterr().err.strip().splitlines()  # (a copy: said, and meant)
    assert copied.startswith("warning: --test huge_test.csv holds the very examples trained on")
    assert len(err) == 1 and "standardize" in err[0] and "The model was not saved." in err[0]
    assert not (tmp_path / "gd.safetensors").exists()
    # a checkpoint written on the way is named (it said "Nothing was saved" beside one)
    assert main([*args, "--model", "gd.safetensors", "--checkpoint-every", "1"]) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.endswith("The model was not saved; gd.ckpt.safetensors holds iteration 1, on the "
                        "way to diverging.")  # fmt: skip
    assert (tmp_path / "gd.ckpt.safetensors").exists()
    assert main([*args, "--standardize", "--model", "std.safetensors"]) == 0
    capsys.readouterr()
    model = persist.load_model(tmp_path / "std.safetensors")
    assert np.isfinite(model.w).all() and model.training["train_accuracy"] > 0.6
    assert np.isfinite(model.preprocessing["std"]).all()
    assert main(["evaluate", "huge.csv", "--model", "std.safetensors"]) == 0
    for solver in ("lbfgs", "newton"):
        assert main([*args, "--solver", solver, "--model", f"{solver}.safetensors"]) == 0
        assert np.isfinite(persist.load_model(f"{solver}.safetensors").w).all()


def test_errors_are_lrnn_errors():
    """The edge-case errors above are lrnn's own, which the CLI prints as one line."""
    assert issubclass(TrainingDiverged, LrnnError) and issubclass(UsageError, LrnnError)


def test_evaluating_on_data_of_one_class(tmp_path, monkeypatch, capsys):
    """All-positive (or all-negative) test data is normal to evaluate on; training refuses it."""
    X, y = _noisy()
    labels = np.where(y == 1, "yes", "no")
    frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(label=labels)
    frame.to_csv(tmp_path / "t.csv", index=False)
    frame[labels == "yes"].to_csv(tmp_path / "yes.csv", index=False)
    frame.assign(label="maybe").to_csv(tmp_path / "maybe.csv", index=False)
    monkeypatch.chdir(tmp_path)
    assert main(["train", "t.csv", "--no-plot", "--solver", "newton"]) == 0
    capsys.readouterr()
    assert main(["evaluate", "yes.csv", "--model", "lrnn-model.safetensors", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["n"] == (labels == "yes").sum() and result["confusion"]["tn"] == 0
    assert result["confusion"]["fp"] == 0 and result["confusion"]["tp"] > 0
    assert main(["evaluate", "maybe.csv", "--model", "lrnn-model.safetensors"]) == 2
    assert "differ from the model's" in capsys.readouterr().err
    assert main(["train", "yes.csv", "--no-plot", "--model", "one.safetensors"]) == 2
    err = capsys.readouterr().err
    assert "of class 'yes'" in err and "add examples of the other class" in err


def test_logits_that_overflow_fail_loudly_naming_the_row():
    """Finite weights and rows have finite logits, so a non-finite one is an overflow (or a
    NaN in rows not validated here) whose answer cannot be trusted — ∞ − ∞ may come out as
    NaN or as ±∞ — and a prediction fails with one line instead. Huge but finite logits are
    ordinary answers."""
    from lrnn import LogisticNeuron, objective
    from lrnn.errors import DataError

    X = np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 2.0]])
    model = LogisticNeuron(max_iter=3, tol=0).fit(X, [0, 1, 1])
    model.coef_ = np.array([[1e308, -1e308]])
    np.testing.assert_array_equal(model.predict_proba(X[:2])[:, 1], [1.0, 0.0])
    with pytest.raises(DataError, match=r"row 2 \(counting from 0\): its logit is not finite"):
        model.predict(X)  # 2e308 − 2e308: NaN, or ±∞ with fused multiply-adds
    z = np.array([0.5, 1e300, np.nan, -np.inf])
    with pytest.raises(DataError, match=r"row 2 .*largest \|w\| = 1e\+308"):
        objective.require_finite_logits(z, model.coef_)
    three = LogisticNeuron(max_iter=3, tol=0).fit(X, [0, 1, 2])
    three.coef_ = np.full_like(three.coef_, 1e308)
    with pytest.raises(DataError, match=r"row 2 \(counting from 0\): its logit is not finite"):
        three.predict_proba(X)
