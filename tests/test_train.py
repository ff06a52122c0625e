"""Solvers, stopping rules, divergence guard and bit-identical resume."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from lrnn.backends.numpy_backend import InMemoryBackend
from lrnn.checkpoint import state_from_checkpoint, state_to_checkpoint
from lrnn.errors import TrainingDiverged, UsageError
from lrnn.objective import loss_and_grad
from lrnn.train import Callback, TrainConfig, train

# solver → (relative objective gap allowed, max_iter)
TARGETS = {
    "gd": (1e-6, 50000),
    "momentum": (1e-6, 50000),
    "nesterov": (1e-6, 50000),
    "lbfgs": (1e-6, 50000),
    "lbfgs-scipy": (1e-6, 50000),
    "newton": (1e-6, 50000),
    "auto": (1e-6, 50000),
    "adam": (1e-3, 50000),
    "sgd": (1e-2, 200),
}


@pytest.mark.slow
@pytest.mark.parametrize("alpha", [1e-2, 1e-3])
@pytest.mark.parametrize("solver", list(TARGETS))
def test_every_solver_reaches_scikit_learns_optimum(breast_cancer_std, solver, alpha):
    X, y = breast_cancer_std
    m = len(y)
    sk = LogisticRegression(C=1 / (alpha * m), tol=1e-12, max_iter=100_000).fit(X, y)
    j_star = loss_and_grad(sk.coef_.ravel(), sk.intercept_[0], X, y.astype(float), alpha)[0]
    gap_allowed, max_iter = TARGETS[solver]
    config = TrainConfig(
        solver=solver,
        learning_rate="auto",
        alpha=alpha,
        max_iter=max_iter,
        tol=1e-10,
        record_every=100,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = train(InMemoryBackend(X, y), config)
    j = loss_and_grad(result.w, result.b, X, y.astype(float), alpha)[0]
    assert (j - j_star) / j_star <= gap_allowed


def test_auto_learning_rate_is_one_over_lipschitz(breast_cancer_std):
    X, y = breast_cancer_std
    backend = InMemoryBackend(X, y)
    result = train(backend, TrainConfig(learning_rate="auto", max_iter=3, alpha=0.1))
    assert result.lipschitz == pytest.approx(backend.lambda_max() / 4 + 0.1)
    assert result.learning_rate == pytest.approx(1 / result.lipschitz)


def test_tol_stops_on_gradient_norm(breast_cancer_std):
    X, y = breast_cancer_std
    result = train(
        InMemoryBackend(X, y), TrainConfig(solver="newton", tol=1e-6, alpha=1e-2, max_iter=100)
    )
    assert result.stop_reason == "tol" and result.converged
    assert result.history["grad_norm"][-1] <= 1e-6
    assert result.n_iter < 20


def test_max_iter_without_convergence_warns_with_advice(breast_cancer_std):
    from sklearn.exceptions import ConvergenceWarning

    X, y = breast_cancer_std
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        train(InMemoryBackend(X, y), TrainConfig(max_iter=5, tol=1e-8))


def test_divergence_guard_names_the_rate_and_the_safe_one(breast_cancer_std):
    X, y = breast_cancer_std
    X = X * 50  # unscaled features: lr = 10 overshoots
    with pytest.raises(TrainingDiverged) as info:
        train(InMemoryBackend(X, y), TrainConfig(learning_rate=10.0, max_iter=2000))
    message = str(info.value)
    assert "learning_rate=10" in message and "2/L" in message
    result = info.value.result
    assert np.all(np.isfinite(result.w))


@pytest.mark.parametrize(
    ("solver", "advice"),
    [("momentum", "(2/L)"), ("nesterov", "(2/L)"), ("adam", "Adam moves each weight by about")],
)
def test_momentum_and_adam_stop_when_the_cost_blows_up(breast_cancer_std, solver, advice):
    """Only gd was guarded: momentum, Nesterov and Adam at a rate of 1e5 ran all their
    iterations to costs in the thousands, warned, and the command line saved the model."""
    X, y = breast_cancer_std
    with pytest.raises(TrainingDiverged, match=r"over 100× its lowest value") as info:
        train(InMemoryBackend(X, y), TrainConfig(solver=solver, learning_rate=1e5))
    assert advice in str(info.value) and info.value.result.n_iter < 10
    # at their usual rates they still run to the end, rises on the way allowed
    train(InMemoryBackend(X, y), TrainConfig(solver=solver, learning_rate=0.5, max_iter=300))


def test_float32_rounding_at_the_optimum_is_no_divergence(breast_cancer_std):
    """At the optimum of float32 data the cost wobbles in its last bits; ten such rises in a
    row were once taken for divergence at a rate far below 2/L."""
    X, y = breast_cancer_std
    config = TrainConfig(learning_rate=0.5, alpha=1e-2, tol=0, max_iter=2000)
    result = train(InMemoryBackend(X.astype(np.float32), y), config)
    assert result.n_iter == 2000 and np.isfinite(result.final_cost)


class _Stopper(Callback):
    def __init__(self, at):
        self.at = at

    def on_step(self, state):
        return state.iteration >= self.at


@pytest.mark.parametrize("solver", ["gd", "momentum", "nesterov", "adam", "sgd", "newton"])
def test_resume_from_checkpoint_is_bit_identical(breast_cancer_std, solver):
    X, y = breast_cancer_std
    backend = InMemoryBackend(X, y)
    iterations = 12 if solver in ("sgd", "newton") else 300
    config = TrainConfig(
        solver=solver, learning_rate="auto", alpha=1e-3, max_iter=iterations, record_every=7
    )
    full = train(backend, config)
    partial = train(backend, config, callbacks=[_Stopper(iterations // 2)])
    assert partial.stop_reason == "interrupted"
    tensors, meta = state_to_checkpoint(partial.state, config)
    import json

    meta = json.loads(json.dumps(meta))  # as a checkpoint file would carry it
    state, config_back = state_from_checkpoint(tensors, meta)
    assert config_back == config
    resumed = train(backend, config_back, resume=state)
    np.testing.assert_array_equal(resumed.w, full.w)
    assert resumed.b == full.b
    assert resumed.history["cost"] == full.history["cost"]


@pytest.mark.parametrize("solver", ["gd", "newton"])
def test_resuming_a_finished_run_adds_no_history_row(breast_cancer_std, solver):
    """A run that stopped at tol on a recorded iteration, resumed from its final state: it stops
    there again, with the same weights and the same history (no second row for that iteration)."""
    X, y = breast_cancer_std
    backend = InMemoryBackend(X, y)
    config = TrainConfig(solver=solver, learning_rate="auto", alpha=1e-2, tol=1e-3, record_every=1)
    done = train(backend, config)
    assert done.stop_reason == "tol"
    iterations, costs = list(done.history["iteration"]), list(done.history["cost"])
    again = train(backend, config, resume=done.state)
    assert again.stop_reason == "tol" and again.n_iter == done.n_iter
    np.testing.assert_array_equal(again.w, done.w)
    assert list(again.history["iteration"]) == iterations
    assert list(again.history["cost"]) == costs


def test_early_stopping_restores_best_weights():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((80, 60))
    y = (X[:, 0] + rng.standard_normal(80) > 0).astype(int)
    Xv = rng.standard_normal((200, 60))
    yv = (Xv[:, 0] + rng.standard_normal(200) > 0).astype(int)
    validation = InMemoryBackend(Xv, yv)
    config = TrainConfig(
        solver="gd",
        learning_rate=0.5,
        max_iter=20000,
        early_stopping=True,
        n_iter_no_change=5,
        record_every=10,
    )
    result = train(InMemoryBackend(X, y), config, validation=validation)
    assert result.stop_reason == "early_stopping"
    best = int(np.argmin(result.history["val_loss"]))
    val_loss_now = validation.data_pass(result.w, result.b).loss
    assert val_loss_now == pytest.approx(result.history["val_loss"][best])
    assert result.n_iter < 20000


@pytest.mark.parametrize("solver", ["gd", "momentum", "nesterov"])
@pytest.mark.parametrize("alpha", [0.0, 0.05])
@pytest.mark.parametrize("weighted", [False, True])
def test_wide_data_shortcut_gives_the_plain_loops_costs(solver, alpha, weighted):
    rng = np.random.default_rng(11)
    X = rng.integers(0, 256, size=(30, 400), dtype=np.uint8)
    y = (rng.random(30) < 0.5).astype(int)
    s = rng.random(30) + 0.5 if weighted else None
    config = TrainConfig(solver=solver, learning_rate=0.01, alpha=alpha, max_iter=120)
    wide = train(InMemoryBackend(X, y, s, scale=1 / 255), config)
    assert wide.state.coefficients  # the shortcut was taken
    plain = train(InMemoryBackend(X, y, s, scale=1 / 255), config, shortcut=False)
    assert not plain.state.coefficients
    np.testing.assert_allclose(wide.history["cost"], plain.history["cost"], rtol=1e-11)
    np.testing.assert_allclose(wide.history["grad_norm"], plain.history["grad_norm"], rtol=1e-9)
    np.testing.assert_allclose(wide.w, plain.w, rtol=1e-9, atol=1e-13)


def test_batch_size_larger_than_the_data_is_refused(breast_cancer_std):
    from lrnn.errors import UsageError

    X, y = breast_cancer_std
    with pytest.raises(UsageError, match="batch_size=1000"):
        train(InMemoryBackend(X, y), TrainConfig(solver="sgd", batch_size=1000))


# --------------------------------------------------------------------------------------------
# Honest convergence: a verdict measured on the full gradient at the returned weights


def _ill_conditioned(breast_cancer_std):
    X, y = breast_cancer_std
    return X * np.logspace(-3, 3, X.shape[1]), y


# Newton's exact steps get the gradient to rounding (9e-16) where J no longer shows them
@pytest.mark.parametrize(("solver", "tol"), [("lbfgs", 1e-10), ("newton", 1e-16)])
def test_unreachable_tol_is_not_called_converged(breast_cancer_std, solver, tol):
    from sklearn.exceptions import ConvergenceWarning

    X, y = _ill_conditioned(breast_cancer_std)
    config = TrainConfig(solver=solver, alpha=1e-3, tol=tol, max_iter=5000)
    with pytest.warns(ConvergenceWarning, match=rf"max\|∇J\| = .* above tol={tol:g}"):
        result = train(InMemoryBackend(X, y), config)
    assert not result.converged and result.stop_reason == "stalled"
    assert result.grad_norm > tol


def test_train_names_arguments_given_wrong():
    """train(X, …), a dict of settings, the arguments swapped, or an object without hooks
    as a callback failed with "has no attribute …" from inside."""
    X, y = np.random.default_rng(0).normal(size=(20, 2)), np.arange(20) % 2
    backend = InMemoryBackend(X, y)
    cases = [
        ((X, TrainConfig()), {}, "the first argument must be a backend, got ndarray"),
        ((backend, {"solver": "lbfgs"}), {}, "config must be a TrainConfig, got dict"),
        ((TrainConfig(), backend), {}, "config must be a TrainConfig, got InMemoryBackend"),
        ((backend, TrainConfig()), {"callbacks": [object()]}, "callbacks\\[0\\] is a object"),
    ]
    for args, kwargs, said in cases:
        with pytest.raises(UsageError, match=said):
            train(*args, **kwargs)


@pytest.mark.parametrize("solver", ["gd", "lbfgs", "lbfgs-scipy", "newton"])
def test_on_step_follows_a_step_for_every_solver(solver):
    """lbfgs-scipy called on_step at the starting point: a callback that stops at once left
    zero weights and n_iter 0, where every other solver had taken its first step."""

    class StopAtOnce(Callback):
        def on_step(self, state):
            return True

    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 3))
    y = (X[:, 0] > 0).astype(int)
    result = train(InMemoryBackend(X, y), TrainConfig(solver=solver), callbacks=[StopAtOnce()])
    assert result.stop_reason == "interrupted" and result.n_iter == 1
    assert np.any(result.w != 0)

    # one on_step per step, the last too: lbfgs-scipy left out the step after which its
    # check stopped the run (separable data here, at alpha 0)
    class Count(Callback):
        steps = 0

        def on_step(self, state):
            Count.steps += 1

    ended = train(InMemoryBackend(X, y), TrainConfig(solver=solver, tol=0), callbacks=[Count()])
    assert ended.stop_reason in ("separable", "max_iter") and Count.steps == ended.n_iter


@pytest.mark.parametrize("solver", ["lbfgs", "newton"])
def test_float32_data_without_tol_gets_as_close_as_with_one(solver):
    """tol 0 on float32 data stopped where float32's eps said J could show no decrease
    (L-BFGS at max|∇J| 1e-5, Newton 5e-6, no warning), while tol 1e-6 went on to 3e-7: J is
    summed in float64 and shows far smaller decreases."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20000, 50)).astype(np.float32)
    y = (rng.random(20000) < 1 / (1 + np.exp(-(X @ rng.standard_normal(50) * 0.5)))).astype(int)
    backend = InMemoryBackend(X, y)
    free = train(backend, TrainConfig(solver=solver, alpha=1e-4, tol=0.0))
    asked = train(backend, TrainConfig(solver=solver, alpha=1e-4, tol=1e-6))
    assert free.converged and free.grad_norm <= max(asked.grad_norm, 1e-7)


def test_newton_takes_exact_steps_that_the_cost_cannot_show(breast_cancer_std):
    """Newton stopped where J's last bits did: on columns spanning six decades at max|∇J|
    above 1e-10 (float64), on float32 data at 3e-5 with weights 6e-4 from the optimum that
    L-BFGS reached to 8e-7. A close step whose J stays within rounding and whose gradient
    falls is taken."""
    X, y = _ill_conditioned(breast_cancer_std)
    result = train(InMemoryBackend(X, y), TrainConfig(solver="newton", alpha=1e-3, tol=1e-13))
    assert result.converged and result.grad_norm <= 1e-13
    rng = np.random.default_rng(0)
    X = rng.integers(0, 3, size=(80, 6)).astype(np.float64)
    y = (X @ [1.0, -2.0, 0.5, 0.0, 1.0, -1.0] + rng.normal(size=80) > -1).astype(int)
    best = train(InMemoryBackend(X, y), TrainConfig(solver="newton", alpha=1e-2, tol=1e-12))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tol=1e-8 is below what float32 resolves: said
        low = train(
            InMemoryBackend(X.astype(np.float32), y),
            TrainConfig(solver="newton", alpha=1e-2, tol=1e-8),
        )
    assert np.max(np.abs(low.w - best.w)) < 1e-6


def test_overflowing_curvature_is_not_called_converged(breast_cancer_std):
    from sklearn.exceptions import ConvergenceWarning

    X, y = breast_cancer_std
    config = TrainConfig(solver="newton", max_iter=50)
    with pytest.warns(ConvergenceWarning, match="curvature of the cost overflows"):
        result = train(InMemoryBackend(X * 1e200, y), config)
    assert not result.converged and result.stop_reason == "stalled"


@pytest.mark.parametrize("solver", ["gd", "momentum", "nesterov", "lbfgs", "newton", "auto"])
def test_converged_means_the_gradient_met_tol(breast_cancer_std, solver):
    X, y = breast_cancer_std
    config = TrainConfig(solver=solver, alpha=1e-2, tol=1e-6, max_iter=20000, learning_rate="auto")
    result = train(InMemoryBackend(X, y), config)
    assert result.converged
    _, grad, _ = InMemoryBackend(X, y).evaluate(np.append(result.w, result.b), 1e-2)
    assert np.max(np.abs(grad)) == pytest.approx(result.grad_norm) and result.grad_norm <= 1e-6


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ("CONVERGENCE: NORM OF PROJECTED GRADIENT <= PGTOL", "tol"),
        ("CONVERGENCE: RELATIVE REDUCTION OF F <= FACTR*EPSMCH", "converged"),
        ("STOP: TOTAL NO. OF F,G EVALUATIONS EXCEEDS LIMIT", "max_fun"),
        ("STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT", "max_iter"),
        ("ABNORMAL: ", "stalled"),
        ("ABNORMAL_TERMINATION_IN_LNSRCH", "stalled"),
    ],
)
def test_scipy_stop_reasons_are_translated(message, reason):
    from lrnn.solvers import _scipy_stop_reason

    assert _scipy_stop_reason(message) == reason


def test_scipy_evaluation_cap_warns_as_such(breast_cancer_std, monkeypatch):
    from scipy import optimize
    from sklearn.exceptions import ConvergenceWarning

    real = optimize.minimize

    def capped(*args, **kwargs):
        kwargs["options"] = {**kwargs["options"], "maxfun": 3}
        return real(*args, **kwargs)

    monkeypatch.setattr(optimize, "minimize", capped)
    X, y = breast_cancer_std
    with pytest.warns(ConvergenceWarning, match="limit of function evaluations"):
        result = train(InMemoryBackend(X, y), TrainConfig(solver="lbfgs-scipy", tol=1e-8))
    assert result.stop_reason == "max_fun" and not result.converged


def test_early_stopping_that_keeps_the_first_weights_says_which(breast_cancer_std):
    X, y = breast_cancer_std
    config = TrainConfig(
        learning_rate=50.0,
        max_iter=400,
        record_every=10,
        early_stopping=True,
        n_iter_no_change=3,
        divergence_patience=10**6,
    )
    val = InMemoryBackend(X[:100], y[:100])
    result = train(InMemoryBackend(X[100:], y[100:]), config, validation=val)
    assert result.stop_reason == "early_stopping"
    assert result.restored_iteration is not None
    assert (
        result.restored_iteration
        == result.history["iteration"][int(np.argmin(result.history["val_loss"]))]
    )


def test_early_stopping_that_keeps_the_zero_start_says_nothing_was_learned():
    """Raw breast_cancer with sgd at the lesson's rate: every step makes the validation loss
    worse, so its best check is iteration 0. The zero weights came back as 'converged', with
    no warning at all — where the same run without early stopping warns of the climb."""
    from sklearn.datasets import load_breast_cancer

    from lrnn import LogisticNeuron

    X, y = load_breast_cancer(return_X_y=True)
    with pytest.warns(RuntimeWarning) as caught:
        model = LogisticNeuron(solver="sgd", early_stopping=True).fit(X, y)
    said = [str(w.message) for w in caught]
    assert len(said) == 1 and said[0].startswith(
        "early stopping kept the starting weights: the validation loss was lowest at "
        "iteration 0 (0.693147 there and at best "
    ), said
    assert "learning_rate=0.005 overshoots on this data" in said[0]
    assert model.result_.restored_iteration == 0 and not model.coef_.any()
    assert not model.result_.converged
    # a warm start's own weights kept are not "nothing learned"
    import warnings as w

    from sklearn.preprocessing import StandardScaler

    Xs = StandardScaler().fit_transform(X)
    warm = LogisticNeuron(solver="lbfgs", alpha=1e-2).fit(Xs, y)
    warm.set_params(warm_start=True, early_stopping=True, solver="gd", learning_rate=5.0)
    with w.catch_warnings(record=True) as caught:
        w.simplefilter("always")
        warm.fit(Xs, y)
    assert warm.result_.restored_iteration == 0 and warm.coef_.any()
    assert not [c for c in caught if "kept the starting weights" in str(c.message)]
    # data with nothing to learn, at steps that descend: not blamed on the step
    rng = np.random.default_rng(0)
    noise, coin = rng.standard_normal((60, 20)), rng.integers(0, 2, 60)
    kept = []
    for seed in range(6):
        with w.catch_warnings(record=True) as caught:
            w.simplefilter("always")
            LogisticNeuron(learning_rate="auto", early_stopping=True, random_state=seed).fit(
                noise, coin
            )
        kept += [str(c.message) for c in caught if "kept the starting weights" in str(c.message)]
    assert kept and all("overshoots" not in m and "carries over" in m for m in kept)


def test_a_kept_start_on_data_it_over_fits_is_not_blamed_on_the_step(cat_course):
    """The lesson's cat pictures at its 0.005 (above 2/L = 0.0036): the training cost fell
    overall (0.693 to 0.645 in 50 iterations) while the validation loss rose from the first check —
    over-fitting, which the warning blamed on the learning rate ("overshoots … use a smaller
    one")."""
    from lrnn import LogisticNeuron

    X_train, Y_train = cat_course[0], cat_course[1]
    with pytest.warns(RuntimeWarning) as caught:
        model = LogisticNeuron(early_stopping=True, max_iter=1000, n_iter_no_change=50).fit(
            X_train.T, Y_train.ravel()
        )
    said = [str(w.message) for w in caught if "kept the starting weights" in str(w.message)]
    assert model.result_.restored_iteration == 0 and len(said) == 1, said
    assert "overshoots" not in said[0] and "the model over-fits" in said[0], said
    assert "(the training cost fell from 0.693147 to " in said[0]
    assert "learning_rate=0.005 is also above 2/L = 0.0036" in said[0]


@pytest.mark.parametrize(
    "labels, classes, said",
    [
        (lambda y: np.where(y == 1, 1, -1), 2, "y must hold 0/1 labels; found -1"),
        (lambda y: y + 1, 2, "y must hold 0/1 labels; found 2"),
        (lambda y: (np.arange(y.size) % 3) + 3, 3, "class indices 0 to 2; found 3"),
        (lambda y: y[:10], 2, r"one label per row of X \(40\); got shape \(10,\)"),
        # a list and a pandas Series are checked as their arrays are (they used to train)
        (lambda y: list(np.where(y == 1, 1, -1)), 2, "y must hold 0/1 labels; found -1"),
        (lambda y: __import__("pandas").Series(y + 1), 2, "y must hold 0/1 labels; found 2"),
    ],
)
def test_labels_a_backend_cannot_train_on_are_refused_where_it_is_made(labels, classes, said):
    """−1/1 labels trained to a cost of −1861 ("stalled"), 1/2 to −1e305 with accuracy 1, and
    a class index past K ended in an IndexError."""
    from lrnn.backends import make_backend
    from lrnn.errors import DataError

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(np.int64)
    with pytest.raises(DataError, match=said):
        make_backend(X, labels(y), n_classes=classes)


def _small(m: int = 60, n: int = 4):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((m, n))
    return X, (X[:, 0] > 0).astype(float)


def test_a_state_made_by_another_solver_is_refused_in_one_line():
    from lrnn.errors import UsageError

    X, y = _small()
    config = TrainConfig(solver="momentum", learning_rate=0.1, max_iter=3)
    made = train(InMemoryBackend(X, y, None, 1.0), config).state
    for other in ("adam", "gd", "sgd"):
        longer = TrainConfig(solver=other, learning_rate=0.1, max_iter=6, batch_size=10)
        with pytest.raises(UsageError, match="made by another solver"):
            train(InMemoryBackend(X, y, None, 1.0), longer, resume=made)
    # the solver that made it continues
    again = TrainConfig(solver="momentum", learning_rate=0.1, max_iter=6)
    assert train(InMemoryBackend(X, y, None, 1.0), again, resume=made).n_iter == 6


def test_a_state_from_data_of_another_width_is_refused_in_one_line():
    from lrnn.errors import UsageError

    X, y = _small()
    config = TrainConfig(solver="gd", learning_rate=0.1, max_iter=3)
    made = train(InMemoryBackend(X, y, None, 1.0), config).state
    longer = TrainConfig(solver="gd", learning_rate=0.1, max_iter=6)
    with pytest.raises(UsageError, match=r"shape \(5,\), but the data here needs \(4,\)"):
        train(InMemoryBackend(X[:, :3], y, None, 1.0), longer, resume=made)


def test_a_stalled_lbfgs_run_shows_its_gradient_apart_from_tol_and_names_newton():
    """ "max|∇J| = 1e-08 … above tol=1e-08" read as equal numbers; and the advice named only
    a larger tol and standardizing (the features were standardized), where Newton's step,
    which follows the gradient rather than the cost, gets below such a tol."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    from lrnn import LogisticNeuron
    from lrnn.verdicts import _apart
    from tests.test_sparse import problem

    assert _apart(1.0004e-8, 1e-8) == "1.0004e-08" and _apart(3.73e-9, 1e-9) == "3.73e-09"
    assert _apart(1e-8 * (1 + 2**-52), 1e-8) == "1.0000000000000002e-08"
    X, y, _ = problem(m=500, n=80, density=0.1, seed=2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        LogisticNeuron(solver="lbfgs", alpha=1e-2, tol=1e-9, max_iter=2000).fit(X, y)
    (message,) = [str(w.message) for w in caught if w.category is ConvergenceWarning]
    assert "because no step lowered the cost any further" in message
    assert "use a larger tol, solver='newton', or standardized features" in message


def test_features_a_standard_scaler_made_are_not_advised_to_be_standardized():
    """The estimator cannot know that a StandardScaler came first, but its columns show it:
    "use … standardized features" was advised on features that already were."""
    import warnings

    from sklearn.datasets import load_breast_cancer
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.preprocessing import StandardScaler

    from lrnn import LogisticNeuron

    X, y = load_breast_cancer(return_X_y=True)
    said = {}
    for name, rows in [("standardized", StandardScaler().fit_transform(X)), ("raw", X / 100)]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            LogisticNeuron(solver="lbfgs", alpha=1e-2, tol=1e-10).fit(rows, y)
        (said[name],) = [str(w.message) for w in caught if w.category is ConvergenceWarning]
    assert "standardiz" not in said["standardized"], said["standardized"]
    assert said["standardized"].endswith("use a larger tol, or solver='newton'.")
    assert "standardize them" in said["raw"]  # advised where it helps
    # early stopping trains on a part of the standardized rows: still standardized enough
    short = LogisticNeuron(solver="gd", learning_rate="auto", alpha=1e-4, max_iter=20)
    short.set_params(early_stopping=True, n_iter_no_change=1000)
    with pytest.warns(ConvergenceWarning, match="raise max_iter, or use solver='lbfgs'"):
        short.fit(StandardScaler().fit_transform(X), y)


def test_a_stall_just_above_root_eps_on_scaled_features_is_the_costs_precision():
    """max|∇J| = 1.59e-08 against √eps·J = 1.49e-08, on standardized features: it said "the
    features are badly scaled for this solver", of features a StandardScaler had made."""
    import warnings

    from sklearn.datasets import make_classification
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.preprocessing import StandardScaler

    from lrnn import LogisticNeuron

    X, y = make_classification(
        n_samples=300, n_features=5, n_informative=3, random_state=0, flip_y=0.1
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fitted = LogisticNeuron(solver="lbfgs", alpha=1e-2, tol=1e-8)
        fitted.fit(StandardScaler().fit_transform(X), y)
    (message,) = [str(w.message) for w in caught if w.category is ConvergenceWarning]
    assert fitted.result_.stop_reason == "stalled" and "badly scaled" not in message
    assert "is below what the cost resolves in float64" in message


def test_a_stalled_float32_lbfgs_run_is_sent_to_newton_which_gets_there():
    """A line search stalls where the float32 cost stops resolving its decrease; Newton's step
    follows the gradient and reaches the tol (it was left out of the advice in float32)."""
    import warnings

    from sklearn.datasets import load_breast_cancer
    from sklearn.exceptions import ConvergenceWarning

    from lrnn import LogisticNeuron

    X, y = load_breast_cancer(return_X_y=True)
    X = X[:, :5]
    X32 = ((X - X.mean(0)) / X.std(0)).astype(np.float32)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fitted = LogisticNeuron(solver="lbfgs", tol=1e-8, alpha=1e-3).fit(X32, y)
    (message,) = [str(w.message) for w in caught if w.category is ConvergenceWarning]
    assert fitted.result_.stop_reason == "stalled" and "resolves in float32" in message
    assert "solver='newton'" in message
    advised = LogisticNeuron(solver="newton", tol=1e-8, alpha=1e-3).fit(X32, y)
    assert advised.result_.stop_reason == "tol" and advised.result_.grad_norm <= 1e-8


def test_newton_is_the_same_on_any_column_scale():
    """One ridge for every column, from the mean curvature, outweighed a 1e-4 column's own
    curvature beside a 1e4 column: Newton crawled there and stopped at tol with twice the
    optimum's cost, without a word; exact Newton does not depend on the columns' scales."""
    from lrnn import LogisticNeuron

    rng = np.random.RandomState(0)
    Z = rng.randn(500, 5)
    y = (Z @ np.array([1, -1, 0.5, 1, -0.5]) + 0.5 * rng.randn(500) > 0).astype(int)
    scaled = LogisticNeuron(solver="newton", tol=1e-10).fit(Z * np.array([1e-4, 1, 1, 1, 1e4]), y)
    plain = LogisticNeuron(solver="newton", tol=1e-10).fit(Z, y)
    assert scaled.result_.final_cost == pytest.approx(plain.result_.final_cost, rel=1e-9)
    assert scaled.n_iter_ <= plain.n_iter_ + 2


def test_a_sample_of_standardized_columns_is_not_called_badly_scaled():
    """140 rows of N(0, 1) columns: a few of 1500 column means pass 0.2 by chance, so the
    stall was blamed on "badly scaled" features with "standardize them" as the fix."""
    import warnings

    from lrnn import LogisticNeuron

    rng = np.random.RandomState(5)
    X = rng.randn(100, 1500)
    y = (X[:, :5].sum(1) + rng.randn(100) > 0).astype(int)
    X, y = np.vstack([X, X[:40]]), np.concatenate([y, 1 - y[:40]])  # some rows both ways
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        LogisticNeuron(solver="lbfgs", alpha=1e-3, tol=1e-9, max_iter=500).fit(X, y)
    said = " ".join(str(w.message) for w in caught)
    assert "below what the cost resolves" in said and "badly scaled" not in said
    from lrnn.verdicts import _standardized  # a small table of 0–1 columns is not

    assert not _standardized(np.random.default_rng(0).random((20, 5)), 1.0)


def test_a_rate_too_small_to_move_the_cost_is_said():
    """--learning-rate 1e-320 trained without a word and saved a model that learned nothing:
    the cost was 0.693147 at every recorded iteration."""
    rng = np.random.default_rng(0)
    X = rng.random((48, 2))
    y = (X[:, 0] > 0.5).astype(np.float64)
    with pytest.warns(RuntimeWarning, match=r"the cost did not move in 50 iterations \(0.693147"):
        train(InMemoryBackend(X, y), TrainConfig(learning_rate=1e-320, max_iter=50))
    import warnings

    with warnings.catch_warnings():  # a rate that moves it, however little, is not told
        warnings.simplefilter("error")
        train(InMemoryBackend(X, y), TrainConfig(learning_rate=1e-6, max_iter=50))


def test_early_stopping_without_rows_to_watch_is_refused(tmp_path):
    """train(StreamingBackend.open(path), TrainConfig(early_stopping=True)) ran to its tol
    without a word: no validation backend, nothing watched."""
    from lrnn.backends.stream_backend import StreamingBackend
    from lrnn.errors import UsageError

    rng = np.random.default_rng(0)
    np.save(tmp_path / "X.npy", rng.standard_normal((50, 3)))
    np.save(tmp_path / "y.npy", np.arange(50) % 2)
    config = TrainConfig(solver="lbfgs", early_stopping=True)
    with pytest.raises(UsageError, match="early_stopping=True needs the rows to watch"):
        train(StreamingBackend.open(tmp_path), config)


def test_blas_runs_on_one_thread_during_training_and_is_restored_after():
    """The bits of a run must not depend on the machine's thread count (lrnn verify relies on
    it): BLAS is held to one thread while training, and given back its count afterwards."""
    import scipy.linalg  # noqa: F401 - its own OpenBLAS, held to one thread too
    from threadpoolctl import threadpool_info, threadpool_limits

    def blas_threads() -> list[int]:
        return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]

    class Watch(Callback):
        seen: list[int] = []

        def on_step(self, state):
            Watch.seen = blas_threads()

    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 3))
    y = (X[:, 0] > 0).astype(np.float64)
    with threadpool_limits(2, user_api="blas"):
        before = blas_threads()
        train(InMemoryBackend(X, y), TrainConfig(solver="newton"), callbacks=[Watch()])
        assert Watch.seen and set(Watch.seen) == {1}
        assert blas_threads() == before == [2] * len(before)
