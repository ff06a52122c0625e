"""LogisticNeuron.save / LogisticNeuron.load: the estimator as an lrnn model file and back."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from sklearn.exceptions import NotFittedError

from lrnn import LogisticNeuron, persist
from lrnn.cli import main
from lrnn.data.dataset import label_name
from lrnn.errors import ModelFileError, UsageError


def _predicted(capsys, model, *inputs):
    assert main(["predict", "--model", str(model), *map(str, inputs), "--json"]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    rng = np.random.default_rng(3)
    folder = tmp_path_factory.mktemp("table")
    X = pd.DataFrame(rng.normal(size=(120, 4)) * [1, 10, 100, 0.1] + [0, 5, -50, 2])
    X.columns = ["age", "income", "debt", "score"]
    y = (X["age"] + X["income"] / 10 - X["debt"] / 100 + rng.normal(size=120) > 0.5).astype(int)
    X.assign(label=y).to_csv(folder / "t.csv", index=False)
    return folder, X, y


def test_a_saved_estimator_predicts_the_same_in_python_and_on_the_command_line(
    table, tmp_path, capsys
):
    _, X, y = table
    est = LogisticNeuron(solver="auto", alpha=1e-3).fit(X, y)
    path = tmp_path / "m.safetensors"
    est.save(path)
    back = LogisticNeuron.load(path)
    assert back.predict_proba(X).tobytes() == est.predict_proba(X).tobytes()
    assert back.classes_.tolist() == [0, 1] and back.classes_.dtype.kind == "i"
    assert list(back.feature_names_in_) == ["age", "income", "debt", "score"]
    assert back.get_params()["alpha"] == 1e-3 and back.n_iter_ == est.n_iter_
    rows = _predicted(capsys, path, table[0] / "t.csv")
    cli = np.array([r["probability"] for r in rows])
    np.testing.assert_allclose(cli, est.predict_proba(X)[:, 1], rtol=1e-12, atol=1e-15)
    assert back.fit(X, y).score(X, y) == est.score(X, y)  # a loaded estimator refits as one


@pytest.mark.parametrize(
    "labels",
    [
        np.array(["setosa", "versicolor", "virginica"]),
        np.array([-1.0, 1.0]),
        np.array([False, True]),
        np.array(["", "spam"]),  # scikit-learn takes "" as a class; its model loads again
    ],
    ids=["strings", "floats", "bools", "blank"],
)
def test_classes_keep_their_type_and_order(labels, tmp_path, capsys):
    rng = np.random.default_rng(4)
    X = rng.normal(size=(90, 3))
    y = labels[np.arange(90) % len(labels)]
    X[:, 0] += np.searchsorted(labels, y)  # learnable
    est = LogisticNeuron(solver="auto").fit(X, y)
    est.save(tmp_path / "m.safetensors")
    back = LogisticNeuron.load(tmp_path / "m.safetensors")
    assert back.classes_.dtype.kind == est.classes_.dtype.kind
    assert back.classes_.tolist() == est.classes_.tolist()
    assert (back.predict(X) == est.predict(X)).all()
    np.save(tmp_path / "x.npy", X)  # arrays without column names: the model takes .npy files
    rows = _predicted(capsys, tmp_path / "m.safetensors", tmp_path / "x.npy")
    assert [r["label"] for r in rows] == [label_name(v) for v in est.predict(X)]


def test_classes_a_file_cannot_bring_back_are_said_when_saved(tmp_path):
    """Dates are saved as their names and come back as strings: said at save time."""
    rng = np.random.default_rng(4)
    X = rng.normal(size=(20, 2))
    days = np.array(["2020-01-01", "2021-06-30"] * 10, dtype="datetime64[D]")
    est = LogisticNeuron(solver="newton", alpha=1e-2).fit(X, days)
    with pytest.warns(UserWarning, match=r"classes_ of dtype datetime64\[D\] are saved as"):
        est.save(tmp_path / "d.safetensors")
    assert LogisticNeuron.load(tmp_path / "d.safetensors").classes_.tolist() == [
        "2020-01-01",
        "2021-06-30",
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # ints come back as ints: nothing to say
        LogisticNeuron(solver="newton", alpha=1e-2).fit(X, np.arange(20) % 2).save(
            tmp_path / "i.safetensors"
        )


def test_a_random_state_object_is_said_and_saved_as_none(tmp_path):
    """A RandomState cannot go into the file: the loaded estimator said random_state=0 (the
    default) without a word."""
    rng = np.random.default_rng(5)
    X, y = rng.normal(size=(20, 2)), np.arange(20) % 2
    est = LogisticNeuron(solver="newton", alpha=1e-2, random_state=np.random.RandomState(0))
    with pytest.warns(UserWarning, match=r"random_state=RandomState\(…\) cannot be saved"):
        est.fit(X, y).save(tmp_path / "r.safetensors")
    loaded = LogisticNeuron.load(tmp_path / "r.safetensors")
    assert loaded.get_params()["random_state"] is None
    np.testing.assert_array_equal(loaded.coef_, est.coef_)


def test_a_model_trained_by_the_cli_on_a_standardized_table_takes_raw_columns(
    table, tmp_path, capsys
):
    folder, X, y = table
    model = tmp_path / "cli.safetensors"
    args = ["train", str(folder / "t.csv"), "--standardize", "--solver", "newton"]
    args += ["--alpha", "1e-3", "--no-plot", "--model", str(model)]
    assert main(args) == 0
    capsys.readouterr()
    est = LogisticNeuron.load(model)
    rows = _predicted(capsys, model, folder / "t.csv")
    cli = np.array([r["probability"] for r in rows])
    np.testing.assert_allclose(est.predict_proba(X)[:, 1], cli, rtol=1e-9, atol=1e-12)
    # the command's settings, not the estimator's defaults (it said solver='gd', alpha=0)
    params = est.get_params()
    assert (params["solver"], params["alpha"], params["random_state"]) == ("newton", 1e-3, 0)


def test_a_cli_model_of_number_labels_and_class_weights_loads_as_fit_would_make_it(
    tmp_path, capsys
):
    """Labels 5, 6, 10 came back as the text '10', '5', '6' (so score(X, y) refused the file's
    own labels and the columns were in text order), and a --class-weight JSON was dropped, so
    a refit trained another model."""
    rng = np.random.default_rng(4)
    X = pd.DataFrame(rng.normal(size=(90, 3)), columns=["a", "b", "c"])
    y = np.array([5, 6, 10])[np.argmax(X.to_numpy() + rng.normal(0, 0.3, (90, 3)), axis=1)]
    X.assign(label=y).to_csv(tmp_path / "t.csv", index=False)
    model = tmp_path / "m.safetensors"
    weights = '{"5": 2, "6": 1, "10": 0.5}'
    args = ["train", str(tmp_path / "t.csv"), "--test", str(tmp_path / "t.csv")]  # all rows
    args += ["--solver", "newton", "--alpha", "1e-2", "--tol", "1e-8"]
    args += ["--class-weight", weights, "--no-plot", "--model", str(model)]
    assert main(args) == 0
    capsys.readouterr()
    est = LogisticNeuron.load(model)
    assert est.classes_.tolist() == [5, 6, 10] and est.classes_.dtype.kind == "i"
    assert est.class_weight == {5: 2, 6: 1, 10: 0.5}
    rows = _predicted(capsys, model, tmp_path / "t.csv")
    cli = np.array([[r["probabilities"][str(c)] for c in (5, 6, 10)] for r in rows])
    np.testing.assert_allclose(est.predict_proba(X), cli, rtol=1e-9, atol=1e-12)
    assert est.score(X, y) == pytest.approx(np.mean(est.predict(X) == y))
    refit = LogisticNeuron(**est.get_params()).fit(X, y)  # the same settings: the same model
    np.testing.assert_allclose(refit.predict_proba(X), cli, atol=1e-7)


def test_a_cli_model_of_true_false_labels_loads_with_bool_classes(tmp_path, capsys):
    """A table's True/False column (bools to pandas) came back as the strings 'False' and
    'True', so predict gave strings and ``predict(X) == y`` was False on every row."""
    rng = np.random.default_rng(6)
    X = pd.DataFrame(rng.normal(size=(60, 2)), columns=["a", "b"])
    y = (X["a"] + rng.normal(0, 0.5, 60)) > 0
    X.assign(label=y).to_csv(tmp_path / "t.csv", index=False)
    model = tmp_path / "m.safetensors"
    args = ["train", str(tmp_path / "t.csv"), "--solver", "newton", "--alpha", "1e-2"]
    assert main([*args, "--no-plot", "--model", str(model)]) == 0
    capsys.readouterr()
    est = LogisticNeuron.load(model)
    assert est.classes_.tolist() == [False, True] and est.classes_.dtype == bool
    assert np.mean(est.predict(X) == y) == est.score(X, y) > 0.7


def test_a_cli_model_of_plus_minus_one_labels_loads_with_1_positive(tmp_path, capsys):
    """ "+1" beside "-1" (the command line orders them by value: +1 is its positive class) came
    back as the text '+1', '-1', sorted with '+' first: the estimator's positive class was -1,
    and score() refused the integer labels pandas reads from the same file."""
    rng = np.random.default_rng(7)
    X = pd.DataFrame(rng.normal(size=(60, 2)), columns=["a", "b"])
    y = np.where(X["a"] + rng.normal(0, 0.5, 60) > 0, "+1", "-1")
    X.assign(label=y).to_csv(tmp_path / "t.csv", index=False)
    model = tmp_path / "m.safetensors"
    args = ["train", str(tmp_path / "t.csv"), "--test", str(tmp_path / "t.csv")]
    assert main([*args, "--solver", "newton", "--no-plot", "--model", str(model)]) == 0
    capsys.readouterr()
    est = LogisticNeuron.load(model)
    assert est.classes_.tolist() == [-1, 1]
    rows = _predicted(capsys, model, tmp_path / "t.csv")
    positive = np.array([r["probabilities"]["+1"] for r in rows])
    np.testing.assert_allclose(est.predict_proba(X)[:, 1], positive, rtol=1e-9)
    labels = pd.read_csv(tmp_path / "t.csv")["label"].to_numpy()  # pandas: the ints -1 and 1
    assert est.score(X, labels) == np.mean(est.predict(X) == labels)
    assert est.score(X, labels) > 0.7


def test_a_picture_model_takes_flattened_pixels_and_its_classes_are_sorted(tmp_path, capsys):
    """A model whose positive class sorts first loads with sorted classes_ and the sign of its
    logit turned, so that it predicts as ``lrnn predict`` does."""
    rng = np.random.default_rng(5)
    pictures = []
    for name, level in (("cat", 200), ("dog", 40)):
        (tmp_path / "pics" / name).mkdir(parents=True)
        for i in range(8):
            pixels = np.clip(rng.normal(level, 30, (6, 6, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(tmp_path / "pics" / name / f"{i}.png")
            pictures.append(pixels)
    model = tmp_path / "pics.safetensors"
    args = ["train", str(tmp_path / "pics"), "--positive-class", "cat", "--iterations", "50"]
    assert main([*args, "--no-plot", "--model", str(model)]) == 0
    capsys.readouterr()
    assert persist.load_model(model).classes[1] == "cat"
    est = LogisticNeuron.load(model)
    assert est.classes_.tolist() == ["cat", "dog"]
    cat, dog = tmp_path / "pics" / "cat" / "0.png", tmp_path / "pics" / "dog" / "0.png"
    rows = _predicted(capsys, model, cat, dog)
    flat = np.stack([pictures[0], pictures[8]]).reshape(2, -1)
    assert est.predict(flat).tolist() == [r["label"] for r in rows]
    np.testing.assert_allclose(
        est.predict_proba(flat)[:, 0], [r["probability"] for r in rows], rtol=1e-6
    )


def test_a_chosen_threshold_is_said_when_loaded(table, tmp_path, capsys):
    folder, X, y = table
    model = tmp_path / "m.safetensors"
    LogisticNeuron(solver="auto").fit(X, y).save(model)
    args = ["evaluate", "--model", str(model), str(folder / "t.csv"), "--label", "label"]
    assert main([*args, "--choose-threshold", "youden", "--save"]) == 0
    threshold = persist.load_model(model).threshold
    assert threshold != 0.5
    with pytest.warns(UserWarning, match=rf"threshold {threshold:g}.*predict_proba\(X\)\[:, 1\]"):
        loaded = LogisticNeuron.load(model)
    assert loaded.threshold_ == threshold
    # saved again, the file keeps it (it was written as 0.5, and lrnn predict changed)
    loaded.save(tmp_path / "again.safetensors")
    assert persist.load_model(tmp_path / "again.safetensors").threshold == threshold
    refit = loaded.fit(X, y)  # new weights: the old threshold does not carry over
    assert not hasattr(refit, "threshold_")


def test_what_cannot_be_saved_or_loaded_is_refused_in_one_line(tmp_path):
    with pytest.raises(NotFittedError):
        LogisticNeuron().save(tmp_path / "m.safetensors")
    X, y = np.eye(4), np.array(["a", "b\nforged line", "a", "b\nforged line"])
    kept = tmp_path / "kept.safetensors"
    LogisticNeuron(solver="auto").fit(X, np.array([0, 1, 0, 1])).save(kept)  # an earlier model
    earlier = kept.read_bytes()
    with pytest.raises(UsageError, match="control character"):
        LogisticNeuron(solver="auto").fit(X, y).save(kept)
    assert kept.read_bytes() == earlier  # nothing saved is lost
    lying = _saved_array_model(tmp_path / "lying.safetensors", {"class_type": "int"}, ("a", "b"))
    with pytest.raises(ModelFileError, match="not of the type 'int'") as info:
        LogisticNeuron.load(lying)
    assert "\n" not in str(info.value)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plain = LogisticNeuron.load(_unknown_type(tmp_path))  # an unknown type: names as text
    assert plain.classes_.tolist() == ["0", "1"]


def test_parameters_a_refit_could_not_use_are_refused_on_load(tmp_path):
    """A hostile file's max_iter of 10**12 (or a solver that does not exist) would only show
    at a refit, hours later; the CLI's own limits apply when it is read."""
    hostile = [
        ({"max_iter": 10**12}, {}, "saved parameters cannot train"),
        ({"solver": "quantum"}, {}, "saved parameters cannot train"),
        ({"backend": "os"}, {}, "saved parameters cannot train"),
        ({"class_weight": [["0", -1.0]]}, {}, "not a list of \\(class, weight\\) pairs"),
        ({"class_weight": {"0": 1}}, {}, "not a list of \\(class, weight\\) pairs"),
        ({"class_weight": [["7", 1.0]]}, {}, "names classes the model does not have"),
        ({}, {"class_dtype": "(100000000000,)i1"}, None),  # not a usable dtype: ignored
        ({}, {"class_dtype": "U999999999"}, None),
    ]
    for params, extra, said in hostile:
        training = {"class_type": "int", "estimator_params": params, **extra}
        path = _saved_array_model(tmp_path / "p.safetensors", training)
        if said is None:
            assert LogisticNeuron.load(path).classes_.tolist() == [0, 1]
            continue
        with pytest.raises(ModelFileError, match=said) as info:
            LogisticNeuron.load(path)
        assert "\n" not in str(info.value)
    # "1" and " 1": one class to int(); to a reader too, so no model file holds both (a
    # crafted one is refused on load by the same check, see test_bad_inputs)
    said = "the class names '1' and ' 1' look the same: they differ only in spacing"
    with pytest.raises(UsageError, match=said):
        _saved_array_model(tmp_path / "s.safetensors", {"class_type": "int"}, ("1", " 1"))
    # "1" and "01": one number, which data (matched to classes by value) cannot tell apart:
    # no model file holds both either (it was refused only on load, by the estimator)
    with pytest.raises(UsageError, match="the class names '1' and '01' write one number two"):
        _saved_array_model(tmp_path / "s.safetensors", {"class_type": "int"}, ("1", "01"))


def test_labels_that_look_alike_fit_but_are_not_saved(tmp_path):
    """fit takes any labels, as scikit-learn does; a model file's readers tell classes apart
    by what they print, so save refuses, before writing, and says what to do."""
    X = np.random.default_rng(0).normal(size=(20, 2))
    est = LogisticNeuron(solver="auto").fit(X, np.array(["cat", "cat "] * 10))
    said = (
        r"not saved: among the labels fit was given, the class names 'cat' and 'cat ' look "
        r"the same: they differ only in spacing; .* fix the labels"
    )
    with pytest.raises(UsageError, match=said):
        est.save(tmp_path / "m.safetensors")
    assert not (tmp_path / "m.safetensors").exists()


def _saved_array_model(path, training: dict, classes: tuple = ("0", "1")):
    """A two-feature array model written straight through persist (as a hostile file could be)."""
    model = persist.ModelFile(
        w=np.ones(2), b=0.0, classes=classes, preprocessing={"kind": "array"}, training=training
    )
    persist.save_model(path, model)
    return path


def _unknown_type(folder):
    training = {"class_type": ["int"], "estimator_params": {"alpha": [1], "nope": 3}}
    return _saved_array_model(folder / "odd.safetensors", training)


def test_a_text_model_points_to_the_command_line(tmp_path, capsys):
    for label, words in (("pos", "good great fine"), ("neg", "bad awful poor")):
        (tmp_path / "docs" / label).mkdir(parents=True)
        for i in range(4):
            (tmp_path / "docs" / label / f"{i}.txt").write_text(f"{words} {i}")
    model = tmp_path / "text.safetensors"
    args = ["train", str(tmp_path / "docs"), "--min-df", "1", "--no-plot"]
    assert main([*args, "--model", str(model)]) == 0
    with pytest.raises(ModelFileError, match="text model needs its vectorizer.*lrnn predict"):
        LogisticNeuron.load(model)


def test_exact_class_dtypes_and_a_class_weight_dict_come_back(tmp_path):
    rng = np.random.default_rng(6)
    X = rng.normal(size=(60, 2))
    for classes in (np.array([3, 7], dtype=np.int8), np.array([2**63 - 10, 2**63 + 10], np.uint64)):
        y = classes[np.arange(60) % 2]
        X[:, 0] += np.arange(60) % 2
        est = LogisticNeuron(solver="auto", class_weight={classes[0]: 2.0, classes[1]: 1.0})
        est.fit(X, y).save(tmp_path / "m.safetensors")
        back = LogisticNeuron.load(tmp_path / "m.safetensors")
        assert back.classes_.dtype == classes.dtype and back.classes_.tolist() == classes.tolist()
        assert back.get_params()["class_weight"] == {int(classes[0]): 2.0, int(classes[1]): 1.0}
        assert back.fit(X, y).coef_.tobytes() == est.coef_.tobytes()  # the same weighting
    objects = pd.Series(["no", "yes"] * 30, dtype=object).to_numpy()
    est = LogisticNeuron(solver="auto").fit(X, objects)
    est.save(tmp_path / "o.safetensors")
    assert LogisticNeuron.load(tmp_path / "o.safetensors").classes_.dtype == object


def test_a_class_weight_key_of_another_type_is_saved_under_its_class():
    """fit looks {True: 3} up for the int class 1 (True == 1): saved under "1", it loads."""
    import tempfile
    from pathlib import Path

    X, y = np.eye(4), np.array([0, 1, 0, 1])
    est = LogisticNeuron(solver="auto", class_weight={True: 3.0}).fit(X, y)
    with tempfile.TemporaryDirectory() as folder:
        est.save(Path(folder) / "m.safetensors")
        back = LogisticNeuron.load(Path(folder) / "m.safetensors")
    assert back.class_weight == {1: 3.0}
    assert back.fit(X, y).coef_.tobytes() == est.coef_.tobytes()


def test_save_leaves_a_file_that_is_not_an_lrnn_model_alone(tmp_path):
    """save('train.h5') replaced the data file with a model, read-only or not; the command
    line refuses such a --model path, and now the library does too."""
    X, y = np.random.default_rng(0).random((20, 2)), np.array([0, 1] * 10)
    est = LogisticNeuron(solver="auto").fit(X, y)
    data = tmp_path / "train.h5"
    data.write_bytes(b"\x89HDF\r\n\x1a\n precious")
    with pytest.raises(UsageError, match="already exists and is not an lrnn model, so it is left"):
        est.save(data)
    assert data.read_bytes() == b"\x89HDF\r\n\x1a\n precious"
    est.save(tmp_path / "m.safetensors")
    est.save(tmp_path / "m.safetensors")  # its own model: replaced
    assert LogisticNeuron.load(tmp_path / "m.safetensors").coef_.tobytes() == est.coef_.tobytes()


def test_saving_a_loaded_picture_model_says_it_becomes_an_array_model(tmp_path):
    """A picture model loaded and saved again became a model of arrays without a word: lrnn
    predict then refused every picture."""
    args = ["train", "digits", "--iterations", "5", "--no-plot", "--model", "d.safetensors"]
    from tests.cli_helpers import run

    assert run(args, tmp_path).returncode == 0
    est = LogisticNeuron.load(tmp_path / "d.safetensors")
    with pytest.warns(UserWarning, match="a model of image data; saved, it is a model of arrays"):
        est.save(tmp_path / "a.safetensors")
    X, y = np.random.default_rng(0).random((20, 64)), np.array([0, 1] * 10)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est.fit(X, y).save(tmp_path / "b.safetensors")  # fitted again: its own arrays' model


def test_class_weights_of_classes_a_fold_lacked_are_saved(tmp_path):
    """A cross-validation fold without class 2 fits with {0: 1, 1: 1, 2: 7}; the saved model
    dropped class 2's weight, so a refit of the loaded estimator on all the data weighed it 1."""
    from sklearn.base import clone

    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 3))
    y = np.digitize(X @ [1.0, -2.0, 0.5], [-1, 1])
    fold = y != 2
    est = LogisticNeuron(solver="newton", alpha=0.01, class_weight={0: 1, 1: 1, 2: 7})
    est.fit(X[fold], y[fold])
    est.save(tmp_path / "fold.safetensors")
    back = LogisticNeuron.load(tmp_path / "fold.safetensors")
    assert back.get_params()["class_weight"] == {0: 1.0, 1: 1.0, 2: 7.0}
    assert clone(back).fit(X, y).coef_.tobytes() == clone(est).fit(X, y).coef_.tobytes()
    # a name that would come back as another value is said, not saved as a wrong one
    odd = LogisticNeuron(solver="newton", alpha=0.01, class_weight={0: 1, 1: 1, "two": 7})
    odd.fit(X[fold], y[fold])
    with pytest.warns(UserWarning, match="class_weight names 'two', which a model file cannot"):
        odd.save(tmp_path / "odd.safetensors")
    assert LogisticNeuron.load(tmp_path / "odd.safetensors").class_weight == {0: 1.0, 1: 1.0}
    # a string class the fold lacked keeps its whole name (the classes' dtype is '<U1')
    names = np.array(["a", "b", "c"])[y]
    est = LogisticNeuron(solver="newton", alpha=0.01, class_weight={"a": 1, "b": 2, "ccc": 7})
    est.fit(X[fold], names[fold]).save(tmp_path / "s.safetensors")
    assert LogisticNeuron.load(tmp_path / "s.safetensors").class_weight["ccc"] == 7.0


def test_a_float32_model_scores_float64_rows_alike_on_every_path(tmp_path):
    """predict and serve (Predictor) scored float64 rows in float32 while the estimator and
    the exported graph used float64: 0.99999988 against 0.99999994."""
    from lrnn.inference import Predictor

    rng = np.random.default_rng(6)
    X = rng.normal(scale=30, size=(200, 3))
    y = (X[:, 0] + rng.normal(scale=5, size=200) > 0).astype(int)
    est = LogisticNeuron(solver="newton", alpha=1e-2).fit(X.astype(np.float32), y)
    est.save(tmp_path / "f32.safetensors")
    predictor = Predictor.load(tmp_path / "f32.safetensors")
    served = predictor.positive_probability(X)
    np.testing.assert_allclose(served, est.predict_proba(X)[:, 1], rtol=1e-12, atol=0)
    assert served.dtype == np.float64


def test_predictor_refuses_what_the_command_line_refuses(tmp_path):
    """records(threshold=nan) labelled every example with the first class, 1.5 was taken,
    a softmax layer ignored a threshold, and positive_probability applied a sigmoid to each
    of K logits (rows summing to 1.44)."""
    from lrnn import data
    from lrnn.inference import Predictor

    rng = np.random.default_rng(7)
    X = rng.normal(size=(60, 2))
    two = LogisticNeuron(solver="newton", alpha=1e-2).fit(X, (X[:, 0] > 0).astype(int))
    three = LogisticNeuron(solver="newton", alpha=1e-2).fit(X, np.arange(60) % 3)
    two.save(tmp_path / "two.safetensors")
    three.save(tmp_path / "three.safetensors")
    p2, p3 = (Predictor.load(tmp_path / f"{k}.safetensors") for k in ("two", "three"))
    rows = data.Dataset(X, None, None, [f"row {i + 1}" for i in range(60)], p2.spec, "rows")
    for bad in (float("nan"), 1.5, -1, "0.5", True):
        with pytest.raises(UsageError, match="not a number between 0 and 1"):
            p2.records(rows, threshold=bad)
    assert len(p2.records(rows, threshold=0.3)) == 60
    with pytest.raises(UsageError, match="two-class models only"):
        p3.records(rows, threshold=0.3)
    with pytest.raises(UsageError, match="no positive class"):
        p3.positive_probability(X)


def test_a_model_fitted_on_a_named_series_tells_the_cli_its_label_column(tmp_path):
    """A model saved from fit(df, df["diagnosis"]) recorded the label column as 'label', so
    ``lrnn evaluate`` on the same CSV failed ("no label column 'label'") without --label."""
    import pandas as pd
    from sklearn.datasets import load_breast_cancer

    from lrnn import LogisticNeuron
    from tests.cli_helpers import run

    data = load_breast_cancer(as_frame=True).frame.iloc[:, [0, 1, 2, -1]]
    data = data.rename(columns={"target": "diagnosis"})
    features = data.drop(columns="diagnosis")
    features = (features - features.mean()) / features.std()
    est = LogisticNeuron(solver="newton", alpha=1e-2).fit(features, data["diagnosis"])
    assert est.label_column_ == "diagnosis"
    est.save(tmp_path / "m.safetensors")
    assert LogisticNeuron.load(tmp_path / "m.safetensors").label_column_ == "diagnosis"
    pd.concat([features, data["diagnosis"]], axis=1).to_csv(tmp_path / "d.csv", index=False)
    proc = run(["evaluate", "--model", "m.safetensors", "d.csv", "--json"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    scored = json.loads(proc.stdout)
    assert scored["accuracy"] == pytest.approx(est.score(features, data["diagnosis"]), abs=1e-12)
    plain = LogisticNeuron(solver="newton", alpha=1e-2)
    assert plain.fit(features.to_numpy(), data["diagnosis"].to_numpy()).label_column_ is None


def test_numpy_scalar_parameters_come_back_from_the_model_file(tmp_path):
    """A grid search hands np.int64, np.float32 and np.bool_ values to the estimator; they
    were left out of the file without a word and came back as the defaults (max_iter 2000)."""
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((60, 3)), np.arange(60) % 2
    given = {
        "max_iter": np.int64(25),
        "learning_rate": np.float32(0.01),
        "early_stopping": np.True_,
        "random_state": np.int64(3),
        "alpha": np.float64(1e-3),
    }
    model = LogisticNeuron(solver="sgd", tol=0, **given).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.save(tmp_path / "m.safetensors")
    loaded = LogisticNeuron.load(tmp_path / "m.safetensors").get_params()
    for name, value in given.items():
        assert loaded[name] == value.item() and type(loaded[name]) is type(value.item())


def test_a_label_series_that_is_also_a_feature_column_saves_and_loads(tmp_path):
    """A model file may not name a feature as its label column (an edited file does); an
    estimator fitted with y = df["label"] and "label" among X's columns too still saves a
    file that loads (it names no label column then)."""
    import pandas as pd

    frame = pd.DataFrame({"a": np.arange(20.0), "label": [0, 1] * 10})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = LogisticNeuron(max_iter=5).fit(frame, frame["label"])
    fitted.save(tmp_path / "m.safetensors")
    loaded = LogisticNeuron.load(tmp_path / "m.safetensors")
    assert list(loaded.feature_names_in_) == ["a", "label"]
