"""The wide-data shortcut's pass: fewer NumPy calls, the same bits as the plain formulas."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrnn import objective
from lrnn.backends import gram_backend
from lrnn.backends.gram_backend import GramBackend
from lrnn.backends.numpy_backend import InMemoryBackend
from lrnn.train import TrainConfig, train


def _reference_evaluate(backend: GramBackend, theta: np.ndarray, alpha: float):
    """The pass written plainly: logits from K, then objective's forward/backward."""
    beta, b = theta[:-1], theta[-1]
    Kbeta = backend.K @ beta
    z = Kbeta + b
    loss, residual, accuracy = objective.forward_backward_from_logits(
        z, backend.y, backend.sample_weight, backend.total
    )
    residual /= backend.dtype.type(backend.total)
    grad = np.empty_like(theta)
    grad[:-1] = residual
    grad[-1] = np.add.reduce(residual, dtype=np.float64)
    cost = loss
    if alpha:
        cost += 0.5 * alpha * float(np.dot(beta, Kbeta))
        grad[:-1] += backend.dtype.type(alpha) * beta
    return cost, grad, loss, accuracy


def _data(rng: np.random.Generator, dtype: type, m: int = 40, n: int = 5000):
    X = rng.integers(0, 256, size=(m, n), dtype=np.uint8)
    y = (rng.random(m) < 0.4).astype(int)
    if dtype is np.uint8:
        return X, y, 1 / 255
    return (X / 255).astype(dtype), y, 1.0


@pytest.mark.parametrize("dtype", [np.uint8, np.float64, np.float32])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("alpha", [0.0, 0.03])
def test_evaluate_gives_the_plain_formulas_bits(dtype, weighted, alpha):
    rng = np.random.default_rng(5)
    X, y, scale = _data(rng, dtype)
    s = rng.random(len(y)) + 0.5 if weighted else None
    backend = GramBackend(X, y, s, scale)
    previous = None
    # zero (the start), small, and large enough that σ saturates on both sides
    for size in (0.0, 1e-4, 1e-2, 1.0, 50.0):
        theta = (rng.standard_normal(len(y) + 1) * size).astype(backend.dtype)
        cost, grad, data = backend.evaluate(theta, alpha)
        ref_cost, ref_grad, ref_loss, ref_accuracy = _reference_evaluate(backend, theta, alpha)
        assert cost == ref_cost and data.loss == ref_loss and data.accuracy == ref_accuracy
        assert grad.dtype == ref_grad.dtype and grad.tobytes() == ref_grad.tobytes()
        assert data.db == float(ref_grad[-1]) and data.dw.tobytes() == ref_grad[:-1].tobytes()
        if previous is not None:  # the buffers kept between calls never leak into results
            assert previous[1].tobytes() == previous[0].tobytes()
        previous = (grad, grad.copy())


def test_a_narrow_x_is_widened_once_and_maps_back_with_the_same_bits(monkeypatch):
    rng = np.random.default_rng(6)
    X, y, scale = _data(rng, np.uint8)
    kept = GramBackend(X, y, None, scale)
    assert kept._widened is not None and kept._widened.dtype == np.float64
    monkeypatch.setattr(gram_backend, "_KEEP_WIDENED_BYTES", 1024)
    widened_each_time = GramBackend(X, y, None, scale)
    assert widened_each_time._widened is None

    K = objective.row_products(X, np.dtype(np.float64))
    K *= scale * scale
    assert kept.K.tobytes() == K.tobytes() == widened_each_time.K.tobytes()
    for size in (1e-3, 1.0, 1e3):
        c = rng.standard_normal(len(y)) * size
        # w = scale·Xᵀc, X widened 2048 columns at a time
        w = np.concatenate(
            [c @ X[:, j : j + 2048].astype(np.float64) for j in range(0, X.shape[1], 2048)]
        )
        w *= scale
        assert kept.to_weights(c).tobytes() == w.tobytes()
        assert widened_each_time.to_weights(c).tobytes() == w.tobytes()


def test_a_large_x_is_not_kept_widened():
    assert gram_backend._widened_whole(np.zeros((2, 3), np.float64), np.dtype(np.float64)) is None
    m = 100
    n = gram_backend._KEEP_WIDENED_BYTES // (8 * m) + 1  # one column past one block
    X = np.lib.stride_tricks.as_strided(np.zeros(1, np.uint8), (m, n), (0, 0))
    assert gram_backend._widened_whole(X, np.dtype(np.float64)) is None


def test_history_without_gradient_norms_keeps_every_other_number():
    rng = np.random.default_rng(7)
    X, y, scale = _data(rng, np.uint8, m=30, n=400)
    config = TrainConfig(solver="gd", learning_rate=0.01, max_iter=120, record_every=10)
    full = train(InMemoryBackend(X, y, None, scale), config)
    lean = train(InMemoryBackend(X, y, None, scale), config, grad_norms=False)
    assert full.state.coefficients and lean.state.coefficients  # the shortcut ran
    assert all(math.isnan(g) for g in lean.history["grad_norm"])
    assert all(g > 0 for g in full.history["grad_norm"])
    for key in ("iteration", "cost", "loss", "accuracy"):
        assert lean.history[key] == full.history[key]
    assert lean.w.tobytes() == full.w.tobytes() and lean.b == full.b
    assert math.isnan(lean.grad_norm) and full.grad_norm > 0  # nor the result's own
    assert lean.last_grad[0].tobytes() == full.last_grad[0].tobytes()
    bare = train(InMemoryBackend(X, y, None, scale), config, grad_norms=False, last_grad=False)
    assert bare.last_grad is None and bare.w.tobytes() == full.w.tobytes()


def test_a_stop_that_rests_on_the_gradient_still_measures_it_without_history_norms():
    """tol > 0 stops on w's gradient: the result's norm is measured to say so, and matches."""
    rng = np.random.default_rng(8)
    X, y, scale = _data(rng, np.float64, m=20, n=300)
    config = TrainConfig(solver="gd", learning_rate=0.05, max_iter=5000, tol=1e-3, alpha=1e-2)
    full = train(InMemoryBackend(X, y, None, scale), config)
    lean = train(InMemoryBackend(X, y, None, scale), config, grad_norms=False)
    assert lean.state.coefficients and full.stop_reason == lean.stop_reason == "tol"
    assert lean.grad_norm == full.grad_norm <= 1e-3


class _Watcher:
    """A callback that looks at every iteration (and so makes the loop take them one by one)."""

    def on_start(self, config, info):
        pass

    def on_record(self, record):
        pass

    def on_step(self, state):
        return None

    def on_end(self, result):
        pass


def _same_run(a, b) -> None:
    assert a.n_iter == b.n_iter and a.stop_reason == b.stop_reason
    assert a.w.tobytes() == b.w.tobytes() and a.b == b.b
    assert a.last_grad[0].tobytes() == b.last_grad[0].tobytes() and a.last_grad[1] == b.last_grad[1]
    assert a.history.keys() == b.history.keys()
    for key in a.history:
        np.testing.assert_array_equal(a.history[key], b.history[key])  # NaN == NaN here
    assert a.state.opt_state == b.state.opt_state


@pytest.mark.parametrize("dtype", [np.uint8, np.float64, np.float32])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("alpha", [0.0, 0.03])
def test_unrecorded_gd_steps_in_one_call_give_the_loops_bits(dtype, weighted, alpha, monkeypatch):
    rng = np.random.default_rng(11)
    X, y, scale = _data(rng, dtype, m=30, n=3000)
    s = rng.random(len(y)) + 0.5 if weighted else None
    calls = []
    descend = GramBackend.descend
    monkeypatch.setattr(
        GramBackend, "descend", lambda self, *a: calls.append(a[-1]) or descend(self, *a)
    )
    config = TrainConfig(
        solver="gd", learning_rate=0.05, max_iter=257, record_every=20, alpha=alpha
    )
    runs = [
        train(InMemoryBackend(X, y, s, scale), config, callbacks=watch, run_to_the_end=True)
        for watch in ((), (_Watcher(),))
    ]
    assert runs[0].state.coefficients and runs[1].state.coefficients
    # 12 stretches of 19 unrecorded steps between the records 0, 20, …, 240, then 16 to 257
    assert calls == [19] * 12 + [16]
    _same_run(*runs)
    assert runs[0].n_iter == 257 and np.isfinite(runs[0].history["cost"]).all()


def test_a_descent_that_overflows_stops_where_the_loop_does():
    """A learning rate far too large: the cost leaves floating point mid-stretch, and the run
    stops at the same iteration, with the same message, as when every step is watched."""
    rng = np.random.default_rng(3)
    X, y, scale = _data(rng, np.float64, m=20, n=2000)
    config = TrainConfig(solver="gd", learning_rate=1e305, max_iter=400, record_every=100)
    errors = []
    for watch in ((), (_Watcher(),)):
        with pytest.raises(Exception) as caught:
            train(
                InMemoryBackend(X * 1e3, y, None, scale),
                config,
                callbacks=watch,
                run_to_the_end=True,
            )
        errors.append(caught.value)
    assert type(errors[0]).__name__ == "TrainingDiverged"
    assert str(errors[0]) == str(errors[1])
    assert errors[0].result.n_iter == errors[1].result.n_iter > 0
    assert errors[0].result.n_iter % 100 != 0  # inside a stretch the descent ran


def test_a_descent_that_reaches_a_zero_gradient_goes_on_like_the_loop():
    """Separated data with huge features and alpha = 0: σ rounds to exactly 0 and 1 and the
    gradient becomes exactly zero. The lesson's loop (run_to_the_end) goes on to the last
    iteration with steps that change nothing; the stretches of unrecorded descent hand that
    back to the loop (their last gradient is zero), and both end on the same bits."""
    rng = np.random.default_rng(4)
    m, n = 6, 40
    y = np.array([0, 1, 0, 1, 1, 0])
    X = np.outer(2 * y - 1, np.ones(n)) * 50 + rng.standard_normal((m, n))
    config = TrainConfig(solver="gd", learning_rate=1.0, max_iter=500, record_every=100)
    runs = [
        train(InMemoryBackend(X, y, None, 1.0), config, callbacks=watch, run_to_the_end=True)
        for watch in ((), (_Watcher(),))
    ]
    assert runs[0].state.coefficients
    assert runs[0].stop_reason == "max_iter" and runs[0].n_iter == 500
    assert not np.any(runs[0].last_grad[0]) and runs[0].last_grad[1] == 0
    assert runs[0].history["cost"][1:] == [runs[0].final_cost] * 4  # nothing moved after 100
    _same_run(*runs)


@pytest.mark.parametrize(
    "case",
    [
        # the weighted loss overflows while the logits' sum does not
        dict(weights=True, learning_rate=3e303, max_iter=300, record_every=100),
        # the penalty overflows while β·Kβ does not
        dict(learning_rate=1.0, alpha=3.0, max_iter=600, record_every=7),
        # the last step of a stretch overflows the gradient (float32: alpha·β)
        dict(float32=True, learning_rate=1e-29, alpha=1e30, max_iter=100, record_every=2),
        # float32's βᵀKβ overflows before a tiny alpha scales it down (the bound must see it)
        dict(float32=True, learning_rate=1e21, alpha=1e-24, max_iter=60, record_every=30),
    ],
)
def test_a_descent_whose_cost_or_gradient_overflows_stops_where_the_loop_does(case):
    rng = np.random.default_rng(3)
    X = rng.integers(0, 256, size=(30, 3000), dtype=np.uint8) / 255
    y = (rng.random(30) < 0.4).astype(int)
    s = np.linspace(0.1, 50, 30) if case.pop("weights", False) else None
    if case.pop("float32", False):
        X = X.astype(np.float32)
    config = TrainConfig(solver="gd", **case)
    outcomes = []
    for watch in ((), (_Watcher(),)):
        try:
            result = train(
                InMemoryBackend(X, y, s, 1.0), config, callbacks=watch, run_to_the_end=True
            )
            outcomes.append(("finished", result.n_iter, result.w.tobytes()))
        except Exception as exc:  # noqa: BLE001 - the two runs must fail alike
            outcomes.append((str(exc), exc.result.n_iter, exc.result.w.tobytes()))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0].startswith("training diverged")


def test_the_lessons_stretches_run_without_per_step_checks(monkeypatch):
    """Well-behaved runs settle finiteness once per stretch; only doubtful ones check each step."""
    rng = np.random.default_rng(12)
    X, y, scale = _data(rng, np.uint8, m=30, n=3000)
    checked = []
    original = GramBackend._descend_checked
    monkeypatch.setattr(
        GramBackend, "_descend_checked", lambda self, *a: checked.append(a) or original(self, *a)
    )
    config = TrainConfig(solver="gd", learning_rate=0.005, max_iter=300, record_every=100)
    train(InMemoryBackend(X, y, None, scale), config, run_to_the_end=True)
    assert checked == []
    with pytest.raises(Exception, match="training diverged"):
        train(
            InMemoryBackend(X * 1e3, y, None, scale),
            dataclasses.replace(config, learning_rate=1e305),
            run_to_the_end=True,
        )
    assert checked


@settings(max_examples=60, deadline=None)
@given(
    weighted=st.booleans(),
    log_rate=st.floats(-4, 2),
    alpha=st.sampled_from([0.0, 1e-3, 0.5, 50.0]),
    steps=st.integers(1, 40),
    start=st.floats(-3, 3),
    seed=st.integers(0, 2**16),
)
def test_the_stretch_bound_holds_for_every_step(weighted, log_rate, alpha, steps, start, seed):
    """Every logit, loss, penalty and gradient entry along the stretch stays under the bound
    computed before it (the bound is what lets the stretch skip its per-step checks)."""
    rng = np.random.default_rng(seed)
    X, y, scale = _data(rng, np.float64, m=12, n=40)
    s = rng.random(len(y)) * 5 + 0.1 if weighted else None
    backend = GramBackend(X, y, s, scale)
    lr = 10.0**log_rate
    theta = rng.standard_normal(len(y) + 1) * 10.0**start
    bound = backend._stretch_bound(theta, lr, alpha, steps)
    for _ in range(steps):
        cost, grad, data = backend.evaluate(theta, alpha)
        z = backend.K @ theta[:-1] + theta[-1]
        assert np.abs(z).max() <= bound and cost <= bound
        assert np.abs(grad).max() <= bound
        theta = theta - lr * grad


def test_a_tol_on_wide_data_is_tested_in_the_span_as_on_w(monkeypatch):
    """With tol > 0, gradient descent on wide data still runs on the m coefficients: the stop
    is decided on w's gradient (‖Xᵀg‖₂ bounds, a pass only where they do not decide), so it
    stops at the iteration the primal loop stops at, with the same weights to rounding, and
    the history's gradient norms are those of w."""
    rng = np.random.default_rng(8)
    X, y, scale = _data(rng, np.float64, m=30, n=3000)
    config = TrainConfig(solver="gd", learning_rate=0.05, max_iter=3000, tol=2e-3)
    span = train(InMemoryBackend(X, y, None, scale), config)
    primal = train(InMemoryBackend(X, y, None, scale), config, shortcut=False)
    assert span.state.coefficients and not primal.state.coefficients
    assert span.stop_reason == primal.stop_reason == "tol"
    assert span.n_iter == primal.n_iter < 3000
    np.testing.assert_allclose(span.w, primal.w, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(span.history["grad_norm"], primal.history["grad_norm"], rtol=1e-8)


class _LastWeights:
    """A callback that maps the last step's state to (w, b) the way a user's would."""

    def on_start(self, config, info):
        self.weights_of = info["weights_of"]

    def on_record(self, record):
        pass

    def on_step(self, state):
        self.state = state

    def on_end(self, result):
        self.w, self.b = self.weights_of(self.state)


@pytest.mark.parametrize("shortcut", [True, False])
def test_a_callback_reads_w_and_b_whichever_space_the_run_is_in(shortcut):
    rng = np.random.default_rng(12)
    X, y, scale = _data(rng, np.float64, m=20, n=2000)
    watcher = _LastWeights()
    config = TrainConfig(solver="gd", learning_rate=0.05, max_iter=30)
    result = train(
        InMemoryBackend(X, y, None, scale), config, callbacks=(watcher,), shortcut=shortcut
    )
    assert watcher.state.coefficients is shortcut
    assert watcher.w.shape == (2000,)
    np.testing.assert_array_equal(watcher.w, result.w)
    assert watcher.b == result.b


def test_a_checkpoint_of_the_shortcut_is_not_resumed_outside_it():
    rng = np.random.default_rng(13)
    X, y, scale = _data(rng, np.float64, m=20, n=2000)
    config = TrainConfig(solver="gd", learning_rate=0.01, max_iter=12)
    first = train(InMemoryBackend(X, y, None, scale), config)
    assert first.state.coefficients
    longer = dataclasses.replace(config, max_iter=24)
    with pytest.raises(Exception, match="shortcut=True") as caught:
        train(InMemoryBackend(X, y, None, scale), longer, resume=first.state, shortcut=False)
    assert type(caught.value).__name__ == "UsageError"
    # lbfgs would read β as w and run, silently, in the wrong coordinates
    lbfgs = dataclasses.replace(longer, solver="lbfgs")
    with pytest.raises(Exception, match="only that shortcut continues"):
        train(InMemoryBackend(X, y, None, scale), lbfgs, resume=first.state)
    # on data with another number of examples β has the wrong length
    with pytest.raises(Exception, match="made on other data"):
        train(InMemoryBackend(X[:15], y[:15], None, scale), longer, resume=first.state)
    resumed = train(InMemoryBackend(X, y, None, scale), longer, resume=first.state)
    assert resumed.n_iter == 24 and resumed.w.shape == (2000,)
