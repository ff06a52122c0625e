"""The course functions reproduce the lesson, checked against a plain transcription."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

from lrnn import course
from lrnn.errors import DataError, TrainingDiverged, UsageError
from tests.conftest import seed_cost, seed_loop

W = np.array([[1.0], [2.0]])
B = 2.0
X = np.array([[1.0, 2.0, -1.0], [3.0, 4.0, -3.2]])
Y = np.array([[1, 0, 1]])


def test_sigmoid_and_initialize_with_zeros():
    np.testing.assert_allclose(course.sigmoid(np.array([0, 2])), [0.5, 0.88079708], rtol=1e-8)
    w, b = course.initialize_with_zeros(2)
    assert w.shape == (2, 1) and w.dtype == np.float64 and not w.any()
    assert b == 0.0 and isinstance(b, float)


def test_propagate_worked_example():
    grads, cost = course.propagate(W, B, X, Y)
    assert grads["dw"].shape == (2, 1)
    np.testing.assert_allclose(grads["dw"], [[0.99845601], [2.39507239]], rtol=1e-8)
    np.testing.assert_allclose(grads["db"], 0.00145557813678, rtol=1e-10)
    np.testing.assert_allclose(cost, 5.801545319394553, rtol=1e-12)
    assert isinstance(cost, float)


def test_optimize_worked_example():
    params, grads, costs = course.optimize(W, B, X, Y, num_iterations=100, learning_rate=0.009)
    np.testing.assert_allclose(params["w"], [[0.19033591], [0.12259159]], rtol=1e-7)
    np.testing.assert_allclose(params["b"], 1.92535983008, rtol=1e-10)
    np.testing.assert_allclose(grads["dw"], [[0.67752042], [1.41625495]], rtol=1e-7)
    np.testing.assert_allclose(grads["db"], 0.219194504541, rtol=1e-10)
    np.testing.assert_allclose(costs, [5.80154532], rtol=1e-8)


def test_optimize_matches_plain_loop_on_small_arrays():
    rng = np.random.default_rng(0)
    Xs = rng.standard_normal((4, 25))
    Ys = (rng.random((1, 25)) < 0.5).astype(int)
    w_ref, b_ref, costs_ref = seed_loop(Xs, Ys, 350, 0.1)
    w0, b0 = course.initialize_with_zeros(4)
    params, _, costs = course.optimize(w0, b0, Xs, Ys, 350, 0.1)
    np.testing.assert_allclose(costs, costs_ref, rtol=1e-12)
    np.testing.assert_allclose(params["w"], w_ref, rtol=1e-11)
    np.testing.assert_allclose(params["b"], b_ref, rtol=1e-11)


def test_optimize_prints_lesson_lines(capsys):
    course.optimize(W, B, X, Y, num_iterations=201, learning_rate=0.009, print_cost=True)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Cost after iteration 0: 5.801545"
    assert [line.split(":")[0] for line in lines] == [
        f"Cost after iteration {i}" for i in (0, 100, 200)
    ]


def test_predict_worked_example():
    w = np.array([[0.1124579], [0.23106775]])
    b = -0.3
    Xp = np.array([[1.0, -1.1, -3.2], [1.2, 2.0, 0.1]])
    pred = course.predict(w, b, Xp)
    assert pred.shape == (1, 3)
    np.testing.assert_array_equal(pred, [[1.0, 1.0, 0.0]])


def test_model_reproduces_the_lesson_on_cat(cat_course, capsys):
    X_train, Y_train, X_test, Y_test = cat_course
    d = course.model(X_train, Y_train, X_test, Y_test, 2000, 0.005)
    np.testing.assert_allclose(d["costs"][:3], [0.693147, 0.584508, 0.466949], atol=5e-7)
    _, _, costs_ref = seed_loop(X_train, Y_train, 2000, 0.005)
    np.testing.assert_allclose(d["costs"], costs_ref, rtol=1e-10)
    assert len(d["costs"]) == 20
    train_acc = 100 - np.mean(np.abs(d["Y_prediction_train"] - Y_train)) * 100
    test_acc = 100 - np.mean(np.abs(d["Y_prediction_test"] - Y_test)) * 100
    np.testing.assert_allclose(train_acc, 99.04306220095694)
    assert test_acc == 70.0
    out = capsys.readouterr().out
    assert "train accuracy: 99.04306220095694 %" in out and "test accuracy: 70.0 %" in out
    assert set(d) == {
        "costs",
        "Y_prediction_test",
        "Y_prediction_train",
        "w",
        "b",
        "learning_rate",
        "num_iterations",
    }


@pytest.mark.parametrize(
    "call",
    [
        lambda: course.optimize(W, B, X, Y, num_iterations=-1),
        lambda: course.optimize(W, B, X, Y, learning_rate=float("nan")),
        lambda: course.optimize(W, B, X, Y, learning_rate=0),
        lambda: course.propagate(np.zeros((3, 1)), 0.0, X, Y),
        lambda: course.propagate(W, B, X, np.array([[1, 0]])),
        lambda: course.initialize_with_zeros(0),
    ],
)
def test_bad_arguments_name_the_problem(call):
    with pytest.raises(UsageError) as info:
        call()
    assert "\n" not in str(info.value)


HUGE = np.array([[1e308, -1e308], [1e308, -1e308]])  # finite, but wᵀx overflows
NAN_X = np.where(np.arange(X.size).reshape(X.shape) == 4, np.nan, X)


@pytest.mark.parametrize(
    ("call", "said"),
    [
        # a column Y_test broadcast (1, m) against (m, 1): the accuracy line printed a wrong %
        (lambda: course.model(X, Y, X, Y.T, 10, 0.1), "Y_test has shape (3, 1), a column"),
        (lambda: course.model(X, Y, X[:, :2], Y, 10, 0.1), "Y_test has 3 labels but X_test has 2"),
        # -1/+1 labels made the 'log loss' negative
        (lambda: course.optimize(W, B, X, 2 * Y - 1, 50, 0.1), "Y holds -1 (example 1)"),
        (lambda: course.propagate(W, B, X, Y * 2), "Y holds 2 (example 0)"),
        # NaN in X: predict labelled it 0, optimize blamed the learning rate
        (lambda: course.predict(W, B, NAN_X), "X holds nan at feature 1, example 1"),
        (lambda: course.optimize(W, B, NAN_X, Y, 10, 0.1), "X holds nan at feature 1, example 1"),
        (lambda: course.propagate(W, B, NAN_X, Y), "X holds nan at feature 1, example 1"),
        # in model, each X by its own name
        (lambda: course.model(NAN_X, Y, X, Y, 10, 0.1), "X_train holds nan at feature 1"),
        (lambda: course.model(X, Y, NAN_X, Y, 10, 0.1), "X_test holds nan at feature 1"),
        (lambda: course.model(X, Y, X[:1], Y, 10, 0.1), "X_test has 1 features (rows) but X_tr"),
        # text pixels: numpy's "could not convert string to float"; no examples: 0/0
        (lambda: course.propagate(W, B, X.astype(str), Y), "X holds text"),
        (lambda: course.model(X[:, :0], Y[:, :0], X, Y, 10, 0.1), "X_train has no examples"),
        (lambda: course.optimize(W, B, X + 0j, Y, 10, 0.1), "X holds complex numbers"),
        # parameters: a NaN went through to cost nan, a complex w lost its imaginary part
        (lambda: course.propagate(W * np.nan, B, X, Y), "w holds nan at feature 0"),
        (lambda: course.propagate(W, np.nan, X, Y), "b is nan"),
        (lambda: course.propagate(W + 0j, B, X, Y), "w holds complex numbers"),
        (lambda: course.predict(W, 1 + 2j, X), "b must be one real number"),
        # labels read from a table as text (object dtype)
        (
            lambda: course.propagate(W, B, X, np.array([["cat", "non-cat", "cat"]], dtype=object)),
            "Y holds 'cat' (example 0)",
        ),
        # None (a variable never filled in): a nan cost, or a learning rate blamed
        (lambda: course.propagate(W, B, X, None), "Y is None; give the labels as one row"),
        (lambda: course.optimize(W, B, X, None, 10, 0.1), "Y is None"),
        (lambda: course.model(X, Y, X, None, 10, 0.1), "Y_test is None"),
        (lambda: course.propagate(None, B, X, Y), "w is None; give the weights as a column"),
        (lambda: course.sigmoid(None), "z is None"),
        # ragged lists: numpy's "inhomogeneous shape"
        (lambda: course.propagate(W, B, [[1, 2], [3]], Y), "X is a ragged list"),
        # one example as a flat vector: the advice for a stack of pictures made it (1, n)
        (lambda: course.predict(W, B, X[:, 0]), "one example? give it as a column: X.reshape(-1"),
        # shapes and types that were taken silently
        (lambda: course.propagate(W, True, X, Y), "got True (a bool)"),
        (lambda: course.propagate(W.reshape(2, 1, 1), B, X, Y), "w has shape (2, 1, 1)"),
        (lambda: course.propagate(W, B, X, Y.reshape(1, 1, 3)), "Y has shape (1, 1, 3)"),
        (lambda: course.optimize(W, B, X, Y, 10, 0.1, print_cost="False"), "print_cost must be"),
        (lambda: course.sigmoid("a"), "z holds text"),
        (lambda: course.sigmoid(np.array([1 + 1j])), "z holds complex numbers"),
        # no iterations: the other arguments are still checked
        (lambda: course.optimize(W, B, X, Y, 0, -1), "learning_rate must be"),
        # labels of two other values: the larger becomes 1 in the advice
        (lambda: course.propagate(W, B, X, Y * 255), "(Y == 255).astype(int)"),
        # arguments in another order: said as such
        (lambda: course.optimize(W, B, X, Y, 0.009, 100), "learning_rate 100: swapped?"),
        (lambda: course.model(X, X, Y, Y, 10, 0.1), "The lesson's order is model(X_train, Y_tr"),
        (lambda: course.propagate(W, "2", X, Y), "got '2' (text)"),
        # a missing label was told to map (Y == nan)
        (lambda: course.propagate(W, B, X, [[1, np.nan, 1]]), "Y holds nan (example 1): a miss"),
        # a number, or a row of examples of one feature
        (lambda: course.predict([[0.5]], 0.0, 3.0), "one feature of one example is np.array([[3"),
        (lambda: course.predict([[0.5]], 0.0, [1.0, 2.0]), "give them as a row: X.reshape(1, -1)"),
        # b's messages: one short line, and b's own advice
        (lambda: course.propagate(W, np.zeros(100, bool), X, Y), "got shape (100,), bool"),
        (lambda: course.propagate(W, None, X, Y), "b is None; give one number, e.g. b = 0.0"),
        # None or text among numbers: nan, or a number read from text
        (lambda: course.sigmoid([1, None]), "z holds None among its numbers"),
        (
            lambda: course.propagate(W, B, np.array([[1, 2, "3"], [3, 4, 5]], dtype=object), Y),
            "X holds '3' among its numbers",
        ),
        # finite X whose logits overflow: the cost came out nan without a word
        (lambda: course.propagate(W, 0.0, HUGE, [[1, 0]]), "wᵀx + b overflows for these inpu"),
        (lambda: course.predict(W, 0.0, HUGE), "wᵀx + b came out inf: wᵀx + b overflows"),
        # X transposed where no w comes with it, or no Y: said, as propagate says it
        (lambda: course.model(X.T, Y, X.T, Y, 10, 0.005), "(is X_train transposed? the lesson"),
        (lambda: course.predict(np.zeros((3, 1)), 0.0, X), "(is X transposed? the lesson's X"),
        # one's own picture in RGBA, or not flattened: predict told the learner to remake the
        # trained w (initialize_with_zeros), which then called every picture "non-cat"
        (
            lambda: course.predict(np.ones((12288, 1)), 0.0, np.ones((64 * 64 * 4, 1))),
            "w was trained on examples of 12288 values, but each example (column) of X has "
            "16384; give X examples like the training ones: a picture of 64×64 RGB pixels",
        ),
        (
            lambda: course.predict(np.ones((12288, 1)), 0.0, np.ones((64, 64, 3))),
            "one example? give it as a column: X.reshape(-1, 1)",
        ),
    ],
)
def test_inputs_the_lesson_cannot_mean_are_refused(call, said):
    with pytest.raises(UsageError, match=re.escape(said)) as info:
        call()
    assert "\n" not in str(info.value)


def test_a_too_large_rate_runs_every_iteration_as_the_lessons_loop_does(cat_course, capsys):
    """The lesson's own loop runs to the end whatever the cost does; so does course.model at
    the lesson's model() default rate 0.5 (its plain loop's costs overflow log to nan there,
    lrnn's are finite). The plain loop ends at 100 % train and 72 % test accuracy there; the
    run is chaotic at that rate (the last bits of X Xᵀ move the final w by about 2 %, and the
    plain loop's own w by as much), so the test accuracy is held to within one picture of it."""
    X_train, Y_train, X_test, Y_test = cat_course
    d = course.model(X_train, Y_train, X_test, Y_test, 2000, 0.5)
    assert len(d["costs"]) == 20 and np.isfinite(d["costs"]).all()
    assert max(d["costs"]) > 10 * d["costs"][0]  # it overshot, as the lesson warns
    out = capsys.readouterr().out
    assert "train accuracy: 100.0 %" in out
    assert re.search(r"test accuracy: (70|72|74)\.0 %", out)


def test_a_climbing_cost_and_raw_pixels_are_said():
    """A run whose cost ends above where it started warns, naming raw pixels when X looks
    like them; separable data does not cut the lesson's loop short."""
    rng = np.random.default_rng(2)
    X = rng.integers(0, 256, (20, 30)).astype(float)
    Y = (rng.random((1, 30)) < 0.5).astype(int)
    w0, b0 = course.initialize_with_zeros(20)
    with pytest.warns(RuntimeWarning, match="X's largest value is 255: divide the pixels by 255"):
        course.optimize(w0, b0, X, Y, 150, 0.5)
    # the warning names the rate that would not overshoot, 2/L with L = λmax(X̃ᵀX̃)/4m
    # (X̃: X with the bias's row of ones), as a diverged run does
    X1 = np.vstack([X, np.ones((1, 30))])
    stable = 2 / (np.linalg.eigvalsh(X1 @ X1.T).max() / (4 * 30))
    with pytest.warns(RuntimeWarning) as caught:
        course.optimize(w0, b0, X, Y, 150, 0.5)
    said = re.search(r"steps below about (\S+), 2/L, are sure to descend", str(caught[-1].message))
    assert said and float(said.group(1)) == pytest.approx(stable, rel=1e-2)
    w, b = np.array([[1.0], [2.0]]), 2.0
    Xs, Ys = np.array([[1.0, 2.0, -1.0], [3.0, 4.0, -3.2]]), np.array([[1, 0, 1]])
    _, _, costs = course.optimize(w, b, Xs, Ys, num_iterations=300, learning_rate=50.0)
    assert len(costs) == 3  # every recorded iteration, as the lesson's loop


def test_raw_pixels_are_said_at_the_learners_own_line(cat_course):
    """Undivided uint8 pictures: the lesson's call ran to 100 % / 72 % with costs of 80,000 and
    not a word (plain numpy at least printed nan). The warning names the array and points at
    the caller's line, however deep inside lrnn it is raised."""
    X_train, Y_train, X_test, Y_test = cat_course
    raw = np.rint(X_test * 255).astype(np.uint8)
    with pytest.warns(UserWarning, match=r"X_test holds whole numbers up to 255 \(uint8\)") as seen:
        course.model(X_train[:, :40], Y_train[:, :40], raw, Y_test, 5, 0.005)
    assert [w.filename for w in seen] == [__file__]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # scaled pictures, or a toy integer X: no warning
        course.predict(np.zeros((X_test.shape[0], 1)), 0.0, X_test)
        course.predict(W, B, np.array([[1, 2, 3], [4, 5, 6]]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an input refused is refused without a warning first
        with pytest.raises(UsageError, match="Y_test is None"):
            course.model(X_train, Y_train, raw, None, 5, 0.005)


def test_a_number_gives_a_number_and_no_iterations_hand_back_a_copy():
    assert type(course.sigmoid(0)) is np.float64 and course.sigmoid(0) == 0.5
    np.testing.assert_array_equal(course.sigmoid([0, 0]), [0.5, 0.5])
    w = np.array([[1.0], [2.0]])
    params, grads, costs = course.optimize(w, 2.0, X, Y, 0)
    params["w"][0, 0] = 99.0
    assert w[0, 0] == 1.0 and costs == []
    # no step ran: the gradient handed back is the one at (w, b), not zeros (an "optimum")
    at_start, _ = course.propagate(w, 2.0, X, Y)
    np.testing.assert_array_equal(grads["dw"], at_start["dw"])
    assert grads["db"] == at_start["db"] != 0.0
    # 0 is allowed, so the refusal of -5 says so (it said "between 1 and 10,000,000")
    with pytest.raises(UsageError, match=r"num_iterations must be an integer between 0 and"):
        course.optimize(w, 2.0, X, Y, -5)


def test_load_dataset_names_a_missing_file_and_swapped_paths(tmp_path):
    from tests.conftest import CAT_TEST, CAT_TRAIN, needs_cat

    with pytest.raises(DataError, match=r"^nope.h5: no such file; check the path\.$"):
        course.load_dataset("nope.h5", "nope2.h5")
    if needs_cat.args[0]:
        pytest.skip(needs_cat.kwargs["reason"])
    with pytest.raises(DataError, match=r"holds the test set \('test_set_x'\) where the train"):
        course.load_dataset(str(CAT_TEST), str(CAT_TRAIN))


def test_a_diverged_run_is_told_in_the_lessons_words():
    with pytest.raises(TrainingDiverged) as info:
        course.optimize(W, B, X, Y, 100, 1e308)
    message = str(info.value)
    assert "(the cost became nan at iteration 1)" in message
    assert "use a smaller learning rate (the lesson's runs use 0.005)." in message
    assert "command line" not in message and "standardize" not in message


def test_shapes_that_would_mislead_are_refused_and_a_one_element_b_is_taken():
    X, Y = np.array([[1.0, 2.0, -1.0], [3.0, 4.0, -3.2]]), np.array([[1, 0, 1]])
    w = np.array([[1.0], [2.0]])
    with pytest.raises(UsageError, match=r"Y has shape \(3, 1\), a column.*use Y.T"):
        course.propagate(w, 2.0, X, Y.T)
    with pytest.raises(UsageError, match=r"w has shape \(1, 2\), a row"):
        course.propagate(w.T, 2.0, X, Y)
    _, cost = course.propagate(w, np.array([[2.0]]), X, Y)  # b as a (1, 1) array
    assert cost == pytest.approx(5.80154531939415, rel=1e-12)


def test_a_saturated_neuron_still_records_a_cost_every_hundred_iterations(capsys):
    """Once every σ rounds to exactly 0 or 1 the gradient is exactly 0; the lesson's loop goes
    on recording (equal) costs, and so do its functions: the list once stopped short."""
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(5, 8)) * 300, (rng.random((1, 8)) > 0.5).astype(int)
    with np.errstate(all="ignore"):  # the plain loop takes log(0)
        w, b, plain_costs = seed_loop(X, Y, 500, 5.0)
    out = course.model(X, Y, X, Y, num_iterations=500, learning_rate=5.0)
    assert len(out["costs"]) == len(plain_costs) == 5
    assert out["costs"][1:] == [0.0] * 4  # the plain loop's log(0)·0 makes these NaN
    np.testing.assert_allclose(out["w"], w, rtol=1e-12, atol=0)
    assert out["b"] == pytest.approx(b, rel=1e-12)
    _, _, costs = course.optimize(np.array([[1.0], [2.0]]), 2.0, X[:2, :3], Y[:, :3], 300, 1e4)
    assert len(costs) == 3


@pytest.mark.parametrize("iterations", [1, 50, 100])
def test_a_short_run_that_overshoots_is_told_by_the_cost_it_ends_on(iterations):
    """A run of 100 iterations or fewer records one cost, its first: it was silent however far
    the cost climbed. The cost at the weights it hands back tells."""
    w, b = np.array([[1.0], [2.0]]), 2.0
    X, Y = 100 * np.array([[1.0, 2.0, -1.0], [3.0, 4.0, -3.2]]), np.array([[1, 0, 1]])
    with pytest.warns(RuntimeWarning, match="overshoots") as caught:
        params, _, costs = course.optimize(w, b, X, Y, iterations, 10.0)
    ended = course.propagate(params["w"], params["b"], X, Y)[1]
    assert len(costs) == 1 and ended > 100 * costs[0]
    assert str(caught[-1].message).startswith(
        f"the cost rose from {costs[0]:.6g} to {ended:.6g} over the run"
    )
    with warnings.catch_warnings():  # the lesson's own small run descends: no word
        warnings.simplefilter("error")
        course.optimize(w, b, X / 100, Y, 100, 0.009)


def test_arrays_are_promoted_as_numpy_promotes_the_lessons_code():
    """float16 pixels with a float64 w compute in float64 (they were cast down to float16,
    three digits); float32 with float32 stays float32."""
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(5, 8)).astype(np.float16), (rng.random((1, 8)) > 0.5).astype(int)
    w = rng.normal(size=(5, 1))
    grads, cost = course.propagate(w, 0.3, X, Y)
    lesson_cost, lesson_dw, lesson_db = seed_cost(w, 0.3, X, Y)  # numpy's own promotion
    assert grads["dw"].dtype == np.float64
    np.testing.assert_allclose(grads["dw"], lesson_dw, rtol=1e-12)
    assert cost == pytest.approx(lesson_cost, rel=1e-12)
    grads32, _ = course.propagate(w.astype(np.float32), 0.3, X.astype(np.float32), Y)
    assert grads32["dw"].dtype == np.float32


def test_a_cost_that_jumps_and_comes_back_is_told(cat_course):
    """At α = 0.5 the lesson's cost goes 0.693 → 38 → 122 → … and ends low, 100 % of the
    training pictures right: the run said nothing, where ``lrnn train`` stops the same run as
    diverged (over 100× the lowest cost). The lesson's own rates, 0.005 and its 0.01 that
    oscillates a little, still train without a word."""
    X, Y, _, _ = cat_course
    w0 = np.zeros((X.shape[0], 1))
    with pytest.warns(RuntimeWarning) as caught:
        params, _, costs = course.optimize(w0, 0.0, X, Y, 2000, 0.5)
    peak = int(np.argmax(costs))
    assert costs[peak] > 100 * costs[0] and costs[-1] < costs[0]  # up, then down again
    message = str(caught[-1].message)
    assert message.startswith(f"the cost jumped to {costs[peak]:.6g} at iteration {100 * peak} ")
    ended = course.propagate(params["w"], params["b"], X, Y)[1]  # at the returned weights
    assert f"ended at {ended:.6g}: learning_rate=0.5 overshoots" in message
    for rate in (0.005, 0.01):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            course.optimize(w0, 0.0, X, Y, 2000, rate)
