"""Run preparation shared by the CLI and the estimator: one hold-out, one set of weights."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from lrnn import class_weights, persist, run
from lrnn.cli import main
from lrnn.data import split_rows
from lrnn.errors import UsageError
from tests.conftest import CAT_TEST, CAT_TRAIN, needs_cat


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    """A 2-feature table with unbalanced classes (so stratification matters)."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((120, 2))
    y = (X[:, 0] + 0.5 * X[:, 1] + 0.7 * rng.standard_normal(120) > 0.6).astype(int)
    folder = tmp_path_factory.mktemp("table")
    lines = ["a,b,label"] + [
        f"{float(a)!r},{float(b)!r},{c}" for (a, b), c in zip(X, y, strict=True)
    ]
    (folder / "data.csv").write_text("\n".join(lines) + "\n")
    return folder, X, y


@pytest.mark.parametrize("seed", [0, 7])
def test_cli_and_estimator_hold_out_the_same_rows(table, seed, monkeypatch, capsys):
    from lrnn import LogisticNeuron

    folder, X, y = table
    monkeypatch.chdir(folder)
    options = ["--learning-rate", "0.5", "--iterations", "300", "--seed", str(seed)]
    options += ["--early-stopping", "--n-iter-no-change", "3", "--validation-fraction", "0.25"]
    code = main(
        [
            "train",
            "data.csv",
            "--test",
            "data.csv",
            *options,
            "--no-plot",
            "--model",
            "m.safetensors",
        ]
    )
    assert code == 0, capsys.readouterr().err
    model = persist.load_model(folder / "m.safetensors")
    est = LogisticNeuron(
        learning_rate=0.5,
        max_iter=300,
        tol=0,
        random_state=seed,
        early_stopping=True,
        n_iter_no_change=3,
        validation_fraction=0.25,
        record_every=100,
    ).fit(X, y)
    # same held-out rows → same training rows → the same weights, bit for bit
    assert np.array_equal(est.coef_.ravel(), model.w)
    assert est.intercept_[0] == model.b
    kept, held = run.hold_out_rows(y, 0.25, seed)
    assert held.size == 30 and np.array_equal(np.sort(np.concatenate([kept, held])), np.arange(120))
    assert abs(y[held].mean() - y.mean()) < 0.05  # stratified


def test_hold_out_is_stratified_and_depends_on_the_seed():
    y = np.array([0] * 90 + [1] * 10)
    kept, held = run.hold_out_rows(y, 0.2, 0)
    assert held.size == 20 and y[held].sum() == 2
    assert np.array_equal(held, run.hold_out_rows(y, 0.2, 0)[1])
    assert not np.array_equal(held, run.hold_out_rows(y, 0.2, 1)[1])


def test_hold_out_that_leaves_one_class_names_the_fix():
    # fewer held out is the way out ("a larger validation_fraction" made it worse); with one
    # example held out already, only more data or another validation set is
    with pytest.raises(ValueError, match="example; give more data, a smaller validation_fraction"):
        run.hold_out_rows(np.repeat([0, 1, 2, 3], 2), 0.6, 0)
    with pytest.raises(ValueError, match=r"example; give more data, or eval_set=\(X_val"):
        run.hold_out_rows(np.array([0, 1]), 0.1, 0)


def test_a_hold_out_never_takes_a_class_whole():
    """More classes than held-out rows (no stratified part exists): the part was plain random,
    and held out both examples of a class, or the only one — a class never learnt."""
    y = np.repeat(np.arange(10), 2)  # 10 classes of 2: 3 rows held out at 0.15
    for seed in range(40):
        kept, held = run.hold_out_rows(y, 0.15, seed)
        assert held.size == 3 and set(y[kept]) == set(range(10)), seed
    with pytest.raises(ValueError, match="would leave one of the 3 classes without a training ex"):
        run.hold_out_rows(np.array([0, 1, 2]), 0.2, 0)  # a class each: none can be spared
    with pytest.raises(
        ValueError, match=r"example; give more data, or eval_set=\(X_val, y_val\)\.$"
    ):
        run.hold_out_rows(np.array([0, 1, 2]), 0.2, 0)  # one held out: a smaller part can't help
    with pytest.raises(ValueError, match="cannot hold out 1 of 3 examples for testing and keep"):
        split_rows(np.array([0, 1, 2]), 3, 0.2, 0)  # its other callers get its own words


def test_a_fraction_given_as_a_numpy_float_is_a_fraction():
    """np.float32(0.2) passed the estimator's check and was then called out of range."""
    y = np.array([0] * 90 + [1] * 10)
    assert np.array_equal(
        run.hold_out_rows(y, np.float32(0.2), 0)[1], run.hold_out_rows(y, 0.2, 0)[1]
    )


def test_class_weights():
    y = np.array([0, 0, 0, 1])
    balanced = class_weights.class_factors("balanced", y, ["no", "yes"])[y]
    assert np.allclose(balanced, [2 / 3, 2 / 3, 2 / 3, 2.0])
    assert balanced.sum() == pytest.approx(4)
    named = class_weights.class_factors({"yes": 3}, y, ["no", "yes"])
    assert np.array_equal(named, [1, 3])
    assert class_weights.class_factors(None, y, ["no", "yes"]) is None
    with pytest.raises(UsageError, match="names class 'maybe'"):
        class_weights.class_factors({"maybe": 1}, y, ["no", "yes"], option="--class-weight")
    with pytest.raises(UsageError, match="weight 0"):
        class_weights.combine_weights(
            None, class_weights.class_factors({"no": 0, "yes": 0}, y, ["no", "yes"])[y]
        )


@pytest.mark.parametrize(
    "options",
    [
        ["--early-stopping"],
        ["--positive-class", "no"],
        ["--class-weight", "balanced"],
        ["--seed", "3", "--early-stopping", "--class-weight", '{"yes": 2}'],
        ["--standardize", "--solver", "lbfgs", "--alpha", "1e-3"],
    ],
)
def test_verify_prepares_the_data_as_train_did(table, options, monkeypatch, capsys):
    """The manifest keeps how the training data was prepared (hold-outs, weights, positive
    class, label column), so verify retrains on the very same rows and weights."""
    folder, _, _ = table
    monkeypatch.chdir(folder)
    data = folder / "labelled.csv"
    data.write_text(
        (folder / "data.csv").read_text().replace("a,b,label", "a,b,target")
        .replace(",1\n", ",yes\n").replace(",0\n", ",no\n")
    )  # fmt: skip
    train = ["train", str(data), "--label", "target", "--iterations", "30", "--no-plot"]
    assert main([*train, *options, "--model", "v.safetensors"]) == 0
    capsys.readouterr()
    assert main(["verify", "--model", "v.safetensors"]) == 0, capsys.readouterr().err
    assert "bit-identical" in capsys.readouterr().out


def test_verify_finds_or_is_given_the_validation_file_early_stopping_read(
    table, tmp_path, monkeypatch, capsys
):
    """Without early stopping a validation file does not shape the weights, so verify does
    not need it; with it, a relative path named in the manifest may not be found from
    another folder: verify says whose file it is and takes --validation."""
    folder, _, _ = table
    monkeypatch.chdir(folder)
    common = ["train", "data.csv", "--validation", "data.csv", "--iterations", "30", "--no-plot"]
    assert main([*common, "--model", "plain.safetensors"]) == 0
    assert main([*common, "--early-stopping", "--model", "early.safetensors"]) == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    data, plain, early = (str(folder / n) for n in ("data.csv", "plain", "early"))
    capsys.readouterr()
    assert main(["verify", "--model", plain + ".safetensors", data]) == 0
    assert main(["verify", "--model", early + ".safetensors", data]) == 2
    assert "data.csv: no such file — the validation data named in" in capsys.readouterr().err
    verify = ["verify", "--model", early + ".safetensors", data, "--validation", data]
    assert main(verify) == 0, capsys.readouterr().err
    assert "bit-identical" in capsys.readouterr().out
    # another validation file: named as such (it was "NOT bit-identical", blaming the run)
    other = elsewhere / "other.csv"
    other.write_text(Path(data).read_text().replace("\n1", "\n2", 1))
    assert main([*verify[:-1], str(other)]) == 2
    assert f"--validation {other}: its sha256 differs from the one in" in capsys.readouterr().err


def test_learning_rate_curves_end_at_the_final_cost(monkeypatch):
    """compare-lr's curves: every iteration (sampled every 15th, the lesson's 0.01, whose
    cost rises and falls every 3 iterations, drew as a slow zigzag), the last at the final
    iteration with the final cost the table shows."""
    from lrnn import after_training, data

    ds = data.load("digits")
    runs, diverged, rows = after_training.compare_learning_rates(ds, ds, [0.005, 0.05], 250)
    for (rate, curve), row in zip(runs, rows, strict=True):
        assert curve["iteration"] == list(range(251))
        assert curve["cost"][-1] == row["final_cost"] and rate == row["learning_rate"]
    assert diverged == [False, False]
    # a long run keeps at most CURVE_POINTS points, not one per iteration (and no gradients:
    # waiting for their norms held every one, 9.9 GB for 100,000 iterations of the cat data)
    monkeypatch.setattr(after_training, "CURVE_POINTS", 1500)
    runs, _, rows = after_training.compare_learning_rates(ds, ds, [0.005], 4000)
    iterations = runs[0][1]["iteration"]
    assert iterations[:3] == [0, 3, 6] and iterations[-1] == 4000 and len(iterations) == 1335
    assert runs[0][1]["cost"][-1] == rows[0]["final_cost"]


@needs_cat
def test_compare_lr_marks_a_single_rise_past_1500_iterations():
    """The cat data's 0.004 rises once, at its first step: with the curve thinned past 1500
    iterations the rise fell between two samples, and at 1501 iterations the rate lost its
    "cost rose" and its 2/L advice."""
    from lrnn import after_training, data

    ds = data.load(str(CAT_TRAIN))
    _, _, rows = after_training.compare_learning_rates(ds, ds, [0.004], 1501)
    assert rows[0]["cost_rose"]


@needs_cat
def test_compare_lr_does_not_recommend_a_rate_still_oscillating_at_its_end(capsys, tmp_path):
    """0.02 on the cat pictures, 5.5 × 2/L, ends at 3.97, 0.23, 0.27, 0.43 and 1.17 after 298 …
    302 iterations: it was recommended after 299 and 300 on where its oscillation stopped."""
    from lrnn.cli import main

    args = ["compare-lr", str(CAT_TRAIN), "--test", str(CAT_TEST), "--rates", "0.02", "0.003"]
    args += ["--iterations", "300"]
    assert main([*args, "--plot", str(tmp_path / "c.png")]) == 0
    out = capsys.readouterr().out
    assert "0.02 " in out and "no, but the cost still rises at the end" in out
    assert "recommended learning rate: 0.003" in out
    assert "not recommended: 0.02, whose cost still rose in the last tenth of the run" in out


def test_compare_lr_tells_an_overshooting_rate_and_has_no_cost_for_a_diverged_one(
    capsys, tmp_path, monkeypatch
):
    """The lesson: too large a rate overshoots. A rate whose cost rose on the way said
    "diverged no" and could be recommended; a diverged one showed its starting cost, 0.693147,
    as its final cost."""
    import json
    import warnings

    from lrnn import after_training, data

    monkeypatch.chdir(tmp_path)
    ds = data.load("digits")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, diverged, rows = after_training.compare_learning_rates(ds, ds, [1.0, 5.0, 1e6], 100)
    assert [r["cost_rose"] for r in rows] == [False, True, True] and diverged[2]
    assert np.isnan(rows[2]["final_cost"]) and rows[1]["final_cost"] < rows[0]["final_cost"]
    assert main(["compare-lr", "digits", "--rates", "1", "5", "1e6", "--iterations", "100",
                 "--plot", "c.png", "--json"]) == 0  # fmt: skip
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[2]["final_cost"] is None and lines[-1]["recommended"] == 5.0
    assert [line.get("cost_rose") for line in lines[:3]] == [False, True, True]


def test_compare_lr_names_the_steady_rates_when_its_choice_overshoots(
    capsys, tmp_path, monkeypatch
):
    """A recommended rate whose cost rose, or no rate at all, came with "a smaller rate is
    steadier" and no figure: compare-lr now says below which rate gd descends (2/L, with L
    the largest eigenvalue of X̃ᵀX̃/(4m) — computed here directly)."""
    import json

    from lrnn import data

    monkeypatch.chdir(tmp_path)
    ds = data.load("digits")
    X = np.asarray(ds.X, dtype=np.float64) * ds.spec.scale
    augmented = np.hstack([X, np.ones((len(X), 1))])
    bound = 2 / (np.linalg.eigvalsh(augmented.T @ augmented / len(X))[-1] / 4)
    args = ["compare-lr", "digits", "--test", "digits", "--iterations", "100", "--plot", "c.png"]
    assert main([*args, "--rates", "5", "1e6"]) == 0
    out = capsys.readouterr().out
    assert "recommended learning rate: 5 " in out and "its cost rose on the way" in out
    assert f"rates below about {bound:.3g} (2/L) descend steadily on this data" in out
    assert main([*args, "--rates", "1e6"]) == 0
    out = capsys.readouterr().out
    assert f"every rate diverged: rates below about {bound:.3g} (2/L)" in out
    assert main([*args, "--rates", "5", "--json"]) == 0
    last = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert last["recommended"] == 5.0 and last["steady_below"] == pytest.approx(bound, rel=1e-9)
    assert main([*args, "--rates", "0.5"]) == 0  # a steady choice needs no such clause
    assert "2/L" not in capsys.readouterr().out


def test_compare_lr_recommends_no_rate_that_ends_above_the_start_and_draws_a_blow_up(
    capsys, tmp_path, monkeypatch
):
    """breast_cancer unscaled: 1e-4 ends at 11.39, far above the zero weights' 0.693147, and
    was recommended (beside a warning to go smaller); a rate that diverged between two
    records drew as a flat line at the last recorded cost."""
    import json
    import warnings

    from lrnn import after_training, data

    monkeypatch.chdir(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        args = ["compare-lr", "breast_cancer", "--iterations", "50", "--plot", "c.png"]
        assert main([*args, "--rates", "1e-4", "1e-2"]) == 0
        out = capsys.readouterr().out
        assert "recommended" not in out
        assert "no rate ended below the starting cost 0.693147: rates below about" in out
        assert main([*args, "--rates", "1e-4", "--json"]) == 0
        assert json.loads(capsys.readouterr().out.splitlines()[-1])["recommended"] is None
        ds = data.load("digits")
        runs, diverged, _ = after_training.compare_learning_rates(ds, ds, [1e6], 300)
    curve = runs[0][1]
    assert diverged == [True] and curve["iteration"][-1] > 0  # it ends where it stopped
    assert curve["cost"][-1] > 100 * curve["cost"][0]


def test_gradcheck_compare_lr_and_verify_say_what_they_ignore(tmp_path, monkeypatch, capsys):
    """--image-size on pictures of another size, --label beside data with its own labels,
    --validation for a model trained without early stopping: passed over without a word."""
    monkeypatch.chdir(tmp_path)
    assert main(["gradcheck", "digits", "--image-size", "4x4"]) == 2
    assert "--image-size 4x4 resizes image files and folders" in capsys.readouterr().err
    assert main(["gradcheck", "digits", "--label", "foo"]) == 0
    assert "--label names" in capsys.readouterr().err
    assert main(["gradcheck", "digits"]) == 0
    assert "--label" not in capsys.readouterr().err  # its default is no word
    common = ["--iterations", "5", "--rates", "0.01", "--plot", "c.png"]
    assert main(["compare-lr", "digits", "--label", "foo", *common]) == 0
    assert "--label names" in capsys.readouterr().err
    assert (
        main(["train", "digits", "--iterations", "3", "--no-plot", "--model", "m.safetensors"]) == 0
    )
    capsys.readouterr()
    assert main(["verify", "--model", "m.safetensors", "--validation", "nope.h5"]) == 0
    said = capsys.readouterr().err
    assert "--validation nope.h5 is not needed: m.safetensors was trained without early" in said
    # early stopping on rows held out of the training data: the file named blamed the
    # training data ("its sha256 differs"), which was the right one
    args = ["train", "digits", "--iterations", "30", "--no-plot", "--early-stopping"]
    assert main([*args, "--model", "es.safetensors"]) == 0
    capsys.readouterr()
    assert main(["verify", "--model", "es.safetensors", "--validation", "nope.h5"]) == 0
    said = capsys.readouterr().err
    assert "--validation nope.h5 is not needed: es.safetensors's early stopping judged by" in said


def test_validation_rows_keep_each_class_factor_from_training():
    from lrnn.class_weights import class_factors, validation_class_weights

    train_labels = np.array([0, 0, 0, 1, 2, 2])
    factors = class_factors("balanced", train_labels, ["a", "b", "c"])
    np.testing.assert_allclose(factors, [6 / 9, 2.0, 1.0])
    validation_labels = np.array([1, 1, 0])  # no class 2; "balanced" here alone would differ
    got = validation_class_weights(validation_labels, factors)
    np.testing.assert_allclose(got, [2.0, 2.0, 6 / 9])
    assert validation_class_weights(validation_labels, None) is None
    with pytest.raises(UsageError, match="weight 0"):
        validation_class_weights(validation_labels, np.array([0.0, 0.0, 1.0]))


def test_balanced_weights_leave_a_class_of_weightless_examples_at_zero():
    from lrnn.class_weights import class_factors

    labels = np.array([0, 0, 1, 1, 2])
    sample_weight = np.array([1.0, 3.0, 0.0, 0.0, 2.0])
    got = class_factors("balanced", labels, ["a", "b", "c"], sample_weight=sample_weight)
    np.testing.assert_allclose(got, [0.5, 0.0, 1.0])  # 6 / (3 · 4) and 6 / (3 · 2)


@pytest.mark.parametrize("early_stopping", [False, True])
def test_the_positive_class_does_not_change_which_rows_are_held_out(early_stopping):
    """Naming the other class positive relabels the examples; the test and validation rows
    stay the same rows (the split draws them class by class, in the order of the codes)."""
    parts = {}
    for positive in (None, "three"):
        request = run.TrainingRequest(
            data="digits", positive_class=positive, early_stopping=early_stopping
        )
        td = run.prepare(request, 0, "numpy")
        parts[positive] = td
        assert td.classes[1] == (positive or "eight")
    natural, swapped = parts[None], parts["three"]
    for name in ("train_ds", "test_ds"):
        a, b = getattr(natural, name), getattr(swapped, name)
        np.testing.assert_array_equal(a.X, b.X)
        np.testing.assert_array_equal(a.y, 1 - b.y)
    if early_stopping:
        np.testing.assert_array_equal(natural.validation.X, swapped.validation.X)


def test_standardize_learns_its_mean_and_std_from_the_training_rows_alone():
    """The held-out test rows' own statistics leaked into the model scored on them."""
    from lrnn import data

    raw = data.load("breast_cancer")
    request = run.TrainingRequest(data="breast_cancer", standardize=True)
    train_ds, test_ds, _ = run.load_train_and_test(request)
    plain, plain_test, _ = run.load_train_and_test(run.TrainingRequest(data="breast_cancer"))
    assert len(train_ds.y) + len(test_ds.y) == len(raw.y) and train_ds.names == plain.names
    spec = train_ds.spec
    np.testing.assert_allclose(spec.mean, plain.X.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(spec.std, plain.X.std(axis=0), rtol=1e-12)
    assert not np.allclose(spec.mean, raw.X.mean(axis=0), rtol=1e-6)
    assert test_ds.spec is spec
    np.testing.assert_array_equal(test_ds.X, spec.transform(plain_test.X))
    np.testing.assert_allclose(train_ds.X.mean(axis=0), 0, atol=1e-12)


def test_a_test_or_validation_file_that_is_the_training_file_is_said(table, monkeypatch, capsys):
    folder, _, _ = table
    monkeypatch.chdir(folder)
    common = ["train", "data.csv", "--iterations", "5", "--no-plot", "--model", "s.safetensors"]
    assert main([*common, "--test", "./data.csv", "--validation", "data.csv"]) == 0
    err = capsys.readouterr().err
    assert "--test ./data.csv is the training data itself" in err
    assert "--validation data.csv is the training data itself" in err
    assert "a copy of the training data" not in err  # said once, by its name
    builtin = ["train", "--iterations", "5", "--no-plot", "--model", "b.safetensors"]
    assert main([*builtin, "--test", "digits"]) == 0  # a built-in set by its name: itself
    err = capsys.readouterr().err
    assert "--test digits is the training data itself" in err and "a copy" not in err
    # the same file for validation and test: the examples that chose the weights score them
    import shutil

    shutil.copy("data.csv", "other.csv")
    both = ["--test", "other.csv", "--validation", "./other.csv"]
    assert main([*common, *both, "--early-stopping"]) == 0
    err = capsys.readouterr().err
    # a copy under another name: a copied folder scored 100 % without a word
    for flag, path in (("--test", "other.csv"), ("--validation", "./other.csv")):
        assert f"{flag} {path} holds the very examples trained on (a copy of the training " in err
    assert (
        "--validation ./other.csv is the --test data itself, so the test score is measured on "
        "the examples that chose the weights kept (early stopping) and flatters the model; give "
        "a validation file apart from the test file." in err
    ), err
    # without early stopping nothing was chosen by them: said as it is
    assert main([*common, *both]) == 0
    err = next(line for line in capsys.readouterr().err.splitlines() if "--test data" in line)
    assert "early stopping" not in err and "measure the same examples" in err, err
    # the whole file as --validation where a fifth of it was held out for the test score:
    # the rows trained on are most of it (it was said only where they were all of it)
    assert main([*common, "--validation", "other.csv"]) == 0
    err = capsys.readouterr().err
    rows = len(Path("data.csv").read_text().splitlines()) - 1
    trained = rows - round(rows * 0.2)
    assert f"--validation other.csv holds {trained} of its {rows} examples among the " in err, err
    # new examples beside a few trained on (ten rows, of which at most eight were): not said
    lines = Path("data.csv").read_text().splitlines()
    moved = [
        f"{float(line.split(',')[0]) + 100!r},{line.split(',', 1)[1]}" for line in lines[11:40]
    ]
    Path("other.csv").write_text("\n".join([*lines[:11], *moved]) + "\n")
    assert main([*common, "--validation", "other.csv"]) == 0
    assert "holds" not in capsys.readouterr().err
    # a table of few possible rows (binary columns): an independent test file shares them
    rng = np.random.default_rng(1)
    for name, n in (("bin.csv", 300), ("bin_test.csv", 100)):
        bits = rng.integers(0, 2, (n, 3))
        rows = [f"{a},{b},{c},{int(a + b + c > 1)}" for a, b, c in bits]
        Path(name).write_text("a,b,c,label\n" + "\n".join(rows) + "\n")
    binary = ["train", "bin.csv", "--test", "bin_test.csv", "--iterations", "5", "--no-plot"]
    assert main([*binary, "--model", "bin.safetensors"]) == 0
    assert "holds" not in capsys.readouterr().err


def test_a_model_standardized_on_all_rows_still_verifies(tmp_path, monkeypatch, capsys):
    """Models made before --standardize left the test rows out have no standardize_on in
    their manifest: verify (and resume) repeat their rule, rather than blame the data."""
    monkeypatch.chdir(tmp_path)
    args = ["train", "breast_cancer", "--standardize", "--solver", "newton", "--no-plot"]
    with monkeypatch.context() as old:  # the code before the rule: all rows, no field
        from lrnn.cli import commands

        build = commands._request
        old.setattr(
            commands,
            "_request",
            lambda a: dataclasses.replace(build(a), standardize_on="all rows"),
        )
        stored = run.TrainingRequest.to_manifest
        old.setattr(
            run.TrainingRequest,
            "to_manifest",
            lambda self: {k: v for k, v in stored(self).items() if k != "standardize_on"},
        )
        assert main([*args, "--model", "old.safetensors"]) == 0
    assert main([*args, "--model", "new.safetensors"]) == 0
    old_mean = persist.load_model("old.safetensors").preprocessing["mean"]
    assert old_mean != persist.load_model("new.safetensors").preprocessing["mean"]
    capsys.readouterr()
    for model in ("old.safetensors", "new.safetensors"):
        assert main(["verify", "--model", model]) == 0, capsys.readouterr().err
        assert "bit-identical" in capsys.readouterr().out
