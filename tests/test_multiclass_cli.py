"""K classes end to end through the real ``lrnn`` executable: a folder of PNGs with three class
sub-folders is trained on, evaluated, predicted on, reported on and resumed; model files of a
softmax layer; the warnings for thin or missing classes; the K-class pictures."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from lrnn import persist, plots, plots_multiclass
from lrnn.errors import DataError
from tests.cli_helpers import run

CLASSES = ("bars", "cross", "ring")


def _picture(kind: str, rng: np.random.Generator) -> np.ndarray:
    """A noisy 8 × 8 grey picture of one of three shapes."""
    img = rng.integers(0, 60, (8, 8)).astype(np.int64)
    if kind == "bars":
        img[:, 1::3] += 180
    elif kind == "cross":
        img[3:5, :] += 180
        img[:, 3:5] += 180
    else:
        img[1, 1:7] += 180
        img[6, 1:7] += 180
        img[1:7, 1] += 180
        img[1:7, 6] += 180
    return np.clip(img, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def shapes(tmp_path_factory):
    root = tmp_path_factory.mktemp("shapes")
    rng = np.random.default_rng(0)
    for kind in CLASSES:
        (root / "pics" / kind).mkdir(parents=True)
        for i in range(15):
            Image.fromarray(_picture(kind, rng)).save(root / "pics" / kind / f"{i}.png")
    Image.fromarray(_picture("cross", rng)).save(root / "new.png")
    proc = run(
        ["train", "pics", "--solver", "newton", "--alpha", "0.01", "--model", "m.safetensors"]
        + ["--no-plot", "--history", "h.csv"],
        root,
    )
    assert proc.returncode == 0, proc.stderr
    assert "3 classes ('bars', 'cross', 'ring'), a softmax layer" in proc.stdout
    return root


def test_train_writes_a_softmax_layer_model_file(shapes):
    model = persist.load_model(shapes / "m.safetensors")
    assert model.classes == CLASSES and model.w.shape == (64, 3) and model.b.shape == (3,)
    assert model.training["test_accuracy"] == 1.0
    raw = (shapes / "m.safetensors").read_bytes()
    header = json.loads(raw[8 : 8 + int.from_bytes(raw[:8], "little")])
    meta = json.loads(header["__metadata__"]["lrnn"])
    assert meta["format_version"] == 2 and meta["kind"] == "softmax layer"
    persist.save_model(shapes / "again.safetensors", model)  # loads and saves back unchanged
    assert (shapes / "again.safetensors").read_bytes() == raw


def test_evaluate_gives_the_confusion_matrix_and_per_class_scores(shapes):
    proc = run(["evaluate", "pics", "--model", "m.safetensors", "--json"], shapes)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["classes"] == list(CLASSES) and result["n"] == 45
    matrix = np.array(result["confusion_matrix"])
    assert matrix.shape == (3, 3) and matrix.sum(axis=1).tolist() == [15, 15, 15]
    assert result["accuracy"] == pytest.approx(np.trace(matrix) / 45)
    assert set(result["per_class"]["ring"]) == {"precision", "recall", "f1", "support"}
    assert set(result["macro"]) == {"precision", "recall", "f1"} and "weighted" in result
    # ROC AUC, each class against the rest, as scikit-learn computes it from the probabilities
    from sklearn.metrics import roc_auc_score

    rows = run(["predict", "pics", "--model", "m.safetensors", "--json"], shapes).stdout
    rows = [json.loads(line) for line in rows.splitlines()]
    P = np.array([[r["probabilities"][c] for c in CLASSES] for r in rows])
    y = np.array([CLASSES.index(Path(r["name"]).parent.name) for r in rows])
    for k, c in enumerate(CLASSES):
        want = roc_auc_score(y == k, P[:, k])
        assert result["roc_auc_one_vs_rest"][c] == pytest.approx(want, rel=1e-9)
    want = roc_auc_score(y, P, multi_class="ovr")
    assert result["roc_auc_macro"] == pytest.approx(want, rel=1e-9)
    text = run(["evaluate", "pics", "--model", "m.safetensors"], shapes).stdout
    assert f"ROC AUC (each class against the rest, macro average): {want:.4f}" in text
    assert "confusion matrix (rows: true class, columns: predicted)" in text
    assert "macro avg" in text and "weighted avg" in text


def test_predict_names_the_class_with_its_probability(shapes):
    proc = run(["predict", "--model", "m.safetensors", "new.png"], shapes)
    assert proc.returncode == 0, proc.stderr
    header, line = proc.stdout.strip().splitlines()
    assert header == "name\tprobability of the label\tlabel"
    name, p, label = line.split("\t")
    assert name == "new.png" and label == "cross" and float(p) > 0.5
    proc = run(["predict", "--model", "m.safetensors", "new.png", "--json", "--top", "2"], shapes)
    row = json.loads(proc.stdout)
    assert row["label"] == "cross" and list(row["probabilities"])[0] == "cross"
    assert len(row["probabilities"]) == 2 and row["probability"] == row["probabilities"]["cross"]
    everything = json.loads(
        run(["predict", "--model", "m.safetensors", "new.png", "--json"], shapes).stdout
    )
    assert sum(everything["probabilities"].values()) == pytest.approx(1.0, abs=1e-12)
    # more than the model's classes: all of them, said (they were cut without a word)
    proc = run(["predict", "--model", "m.safetensors", "new.png", "--top", "7"], shapes)
    assert len(proc.stdout.splitlines()[1].split("\t")) == 1 + len(CLASSES)
    assert f"--top 7: the model has {len(CLASSES)} classes, so every one is shown" in proc.stderr


def test_report_for_k_classes(shapes):
    proc = run(
        ["report", "pics", "--model", "m.safetensors", "--history", "h.csv", "-o", "r.html"], shapes
    )
    assert proc.returncode == 0, proc.stderr
    page = (shapes / "r.html").read_text()
    assert "a softmax layer of 3 neurons" in page and "One-vs-rest ROC curves" in page
    # a layer draws no precision–recall curves: its heading said it did
    assert "<h2>ROC, one class against the rest</h2>" in page
    # each class's AUC in a table, not only in the figure's legend (cut at 12 classes)
    assert "<caption>Each class against all the others; a class with no examples here" in page
    assert page.count("ROC AUC (each class against the rest, macro average)") == 1
    assert "precision–recall</h2>" not in page
    assert "<title>lrnn report: pics</title>" in page  # tabs of several reports tell apart
    assert page.count("data:image/png;base64,") >= 4  # curve, templates, confusion, ROC


def test_checkpoint_and_resume_continue_a_k_class_run_exactly(shapes):
    common = ["train", "pics", "--solver", "gd", "--learning-rate", "0.5", "--no-plot"]
    common += ["--iterations", "40", "--print-every", "5"]
    full = run([*common, "--model", "full.safetensors"], shapes)
    assert full.returncode == 0, full.stderr
    half = run(
        [*common, "--model", "a.safetensors", "--checkpoint", "c.ckpt", "--checkpoint-every", "20"],
        shapes,
    )
    assert half.returncode == 0, half.stderr
    tensors, _ = persist.load_checkpoint(shapes / "c.ckpt")  # the last save: iteration 40
    assert tensors["theta"].shape == (65, 3)
    resumed = run(["train", "pics", "--resume", "c.ckpt", "--model", "b.safetensors"], shapes)
    assert resumed.returncode == 0, resumed.stderr
    np.testing.assert_array_equal(
        persist.load_model(shapes / "b.safetensors").w,
        persist.load_model(shapes / "full.safetensors").w,
    )


def test_thin_and_missing_classes_warn(tmp_path):
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(rng.standard_normal((40, 2)), columns=["a", "b"])
    frame["label"] = ["x", "y", "z"] * 13 + ["w"]  # 'w' has a single example
    frame.to_csv(tmp_path / "t.csv", index=False)
    proc = run(["train", "t.csv", "--test", "t.csv", "--no-plot", "--iterations", "5"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "class 'w' has a single example" in proc.stderr
    frame[frame["label"] != "z"].to_csv(tmp_path / "no-z.csv", index=False)
    proc = run(["evaluate", "no-z.csv", "--model", "lrnn-model.safetensors"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "no examples of class 'z'" in proc.stderr


def test_an_absent_class_is_said_as_the_macro_averages_count_it():
    """A class predicted though it has no examples scores 0 in the macro averages (as
    scikit-learn's zero_division=0); only one never predicted either is left out. The warning
    said both were left out."""
    from lrnn.cli.scoring import _say_absent_classes

    nan = float("nan")
    per_class = {
        "a": {"precision": nan, "recall": nan, "f1": nan, "support": 0},
        "b": {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0},
        "c": {"precision": 1.0, "recall": 0.9, "f1": 0.95, "support": 15},
    }
    with pytest.warns(UserWarning) as seen:
        _say_absent_classes("t.csv", per_class)
    assert str(seen[0].message) == (
        "t.csv: no examples of class 'a' (and 1 more): 'a' never predicted either, left out of "
        "the macro averages; 'b' yet predicted for some rows, counted in the macro averages with "
        "precision, recall and F1 0 — test on data with every class."
    )
    del per_class["a"]
    with pytest.warns(UserWarning) as seen:
        _say_absent_classes("t.csv", per_class)
    assert str(seen[0].message) == (
        "t.csv: no examples of class 'b', yet predicted for some rows, counted in the macro "
        "averages with precision, recall and F1 0 — test on data with every class."
    )


def test_a_class_the_file_names_without_examples_warns_at_training(tmp_path):
    """HDF5's list_classes may name a class no label uses: its softmax output is kept, and
    cannot be learnt, so training says so (evaluate did before, training did not)."""
    rng = np.random.default_rng(4)
    with h5py.File(tmp_path / "three.h5", "w") as f:
        f["train_set_x"] = rng.integers(0, 256, (12, 4, 4, 3), dtype=np.uint8)
        f["train_set_y"] = np.arange(12) % 2
        f["list_classes"] = np.array([b"non-cat", b"cat", b"dog"])
    proc = run(["train", "three.h5", "--no-plot", "--iterations", "3"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "class 'dog' has no training example" in proc.stderr


def test_many_classes_with_long_names_print_a_bounded_evaluation(tmp_path):
    """31 classes, names of 300 characters: the text output cuts names to 40 characters and
    leaves the 31 × 31 matrix to --json (300 long-named classes printed 90 MB); export's
    summary counts the classes instead of listing them."""
    rng = np.random.default_rng(4)
    names = [f"class{k:02d}" + "x" * 290 for k in range(31)]
    frame = pd.DataFrame(rng.standard_normal((93, 2)), columns=["a", "b"])
    frame["label"] = names * 3
    frame.to_csv(tmp_path / "t.csv", index=False)
    common = ["--no-plot", "--iterations", "3", "--model", "m.safetensors"]
    assert run(["train", "t.csv", "--test", "t.csv", *common], tmp_path).returncode == 0
    proc = run(["evaluate", "t.csv", "--model", "m.safetensors"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "confusion matrix: 31 × 31, too wide to print; --json gives it" in proc.stdout
    assert max(len(line) for line in proc.stdout.splitlines()) < 130
    assert f"{names[0][:39]}…" in proc.stdout
    full = json.loads(run(["evaluate", "t.csv", "--model", "m.safetensors", "--json"],
                          tmp_path).stdout)  # fmt: skip
    assert len(full["confusion_matrix"]) == 31 and full["classes"] == names
    proc = run(["export", "--model", "m.safetensors"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "probabilities [31 classes, in the model's order]" in proc.stdout


def test_unbalanced_folders_warn_on_the_command_line(tmp_path):
    rng = np.random.default_rng(1)
    for kind, count in zip(CLASSES, (20, 20, 1), strict=True):
        (tmp_path / "pics" / kind).mkdir(parents=True)
        for i in range(count):
            Image.fromarray(_picture(kind, rng)).save(tmp_path / "pics" / kind / f"{i}.png")
    proc = run(["train", "pics", "--test", "pics", "--no-plot", "--iterations", "3"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "the classes are unbalanced ('ring' has 1 image, 'bars' 20)" in proc.stderr
    assert "(--class-weight balanced)" in proc.stderr
    weighted = ["--class-weight", "balanced", "--model", "w.safetensors"]
    proc = run(["train", "pics", "--no-plot", "--iterations", "3", *weighted], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "unbalanced" not in proc.stderr  # the remedy is taken: no advice to take it
    proc = run(["predict", "--model", "w.safetensors", "pics"], tmp_path)
    assert proc.returncode == 0 and "unbalanced" not in proc.stderr  # predict ignores classes


def test_digits10_is_a_builtin_with_ten_classes(tmp_path):
    proc = run(["train", "digits10", "--solver", "lbfgs", "--alpha", "1e-3", "--no-plot"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "10 classes ('zero', 'one', 'two', 'three', …)" in proc.stdout
    assert float(proc.stdout.split("test accuracy: ")[1].split(" %")[0]) > 93


def test_most_confident_errors_orders_by_the_true_class_probability():
    """The largest loss first, as for two classes: example 3 gave its true class 0.03 though
    its predicted class had only 0.5 (ranked by the predicted class's probability it came
    last); log-probabilities from the logits break the ties of probabilities rounded to 0."""
    y = np.array([0, 1, 2, 1, 1])
    p = np.array(
        [[0.2, 0.7, 0.1], [0.1, 0.8, 0.1], [0.9, 0.05, 0.05], [0.5, 0.03, 0.47], [0.1, 0.8, 0.1]]
    )
    assert plots_multiclass.most_confident_errors(y, p).tolist() == [3, 2, 0]
    assert plots_multiclass.most_confident_errors(y, p, k=1).tolist() == [3]
    z = np.array([[0.0, 800.0, 0.0], [0.0, 900.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    y = np.array([0, 2, 0, 0])
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)  # rows 0 and 1 give their true class exactly 0.0
    assert plots_multiclass.most_confident_errors(y, p).tolist() == [0, 1]
    assert plots_multiclass.most_confident_errors(y, p, logits=z).tolist() == [1, 0]


def test_pictures_of_k_classes(tmp_path):
    rng = np.random.default_rng(0)
    W = rng.standard_normal((16, 3))
    path = plots_multiclass.class_templates(W, (4, 4, 1), CLASSES, tmp_path / "t.png")
    assert path.read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(DataError, match="cannot be shown as 3 pictures"):
        plots_multiclass.class_templates(W, (3, 3, 1), CLASSES, tmp_path / "bad.png")
    # colour pictures in colour: a class that looks for red is drawn red, one for blue blue
    templates = np.zeros((4, 4, 3, 3))
    templates[:, :, 0, 0], templates[:, :, 2, 1] = 1.0, 1.0  # class 0: red, class 1: blue
    path = plots_multiclass.class_templates(
        templates.reshape(48, 3), (4, 4, 3), CLASSES, tmp_path / "rgb.png"
    )
    pixels = np.asarray(Image.open(path).convert("RGB")).reshape(-1, 3).astype(int)
    red = (pixels[:, 0] > 200) & (pixels[:, 1] < 160) & (pixels[:, 2] < 160)
    blue = (pixels[:, 2] > 200) & (pixels[:, 0] < 160) & (pixels[:, 1] < 160)
    assert red.sum() > 1000 and blue.sum() > 1000
    y = np.repeat([0, 1, 2], 5)
    p = rng.dirichlet(np.ones(3), 15)
    assert plots_multiclass.roc_one_vs_rest(y, p, CLASSES, tmp_path / "roc.png").exists()
    matrix = np.array([[5, 0, 0], [1, 4, 0], [0, 2, 3]])
    assert plots_multiclass.confusion_matrix(matrix, CLASSES, tmp_path / "c.png").exists()
    images = rng.integers(0, 255, (15, 4, 4, 1)).astype(np.uint8)
    assert plots_multiclass.error_gallery(images, y, p, CLASSES, tmp_path / "e.png") is not None


def test_gradcheck_and_compare_lr_for_k_classes(shapes):
    proc = run(["gradcheck", "pics", "--coordinates", "4", "--json"], shapes)
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["coordinate"] for r in rows[-4:-1]] == ["b[0]", "b[1]", "b[2]"]
    assert rows[-1]["passed"] and rows[-1]["overall_relative_error"] < 1e-6
    proc = run(["gradcheck", "pics", "--model", "m.safetensors", "--coordinates", "2"], shapes)
    assert proc.returncode == 0 and "passed" in proc.stdout
    proc = run(["compare-lr", "pics", "--iterations", "20", "--json", "--plot", "c.png"], shapes)
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert all(0 <= r["test_accuracy"] <= 1 for r in rows[:-1]) and rows[-1]["plot"] == "c.png"


def test_plots_of_many_classes_with_long_names_stay_readable(tmp_path, monkeypatch):
    """60 classes with 70-character names: the confusion matrix numbers its axes, the ROC
    legend names the five classes told apart worst, and no layout gives up (matplotlib warns
    "constrained_layout not applied" when the names leave the axes no room)."""
    import warnings

    K = 60
    names = [f"class {k:02d}: " + "a long descriptive label " * 3 for k in range(K)]
    rng = np.random.default_rng(0)
    y = rng.integers(0, K, 600)
    p = rng.dirichlet(np.ones(K), 600)
    figures = []
    real_save = plots_multiclass._save

    def keep_axes(fig, path):  # _save clears the figure: keep what the test looks at first
        figures.append([(ax.get_legend(), ax.get_xticklabels()) for ax in fig.axes])
        return real_save(fig, path)

    monkeypatch.setattr(plots_multiclass, "_save", keep_axes)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plots_multiclass.roc_one_vs_rest(y, p, names, tmp_path / "roc.png")
        legend = [t.get_text() for t in figures[-1][0][0].get_texts()]
        matrix = np.bincount(y * K + rng.integers(0, K, 600), minlength=K * K).reshape(K, K)
        plots_multiclass.confusion_matrix(matrix, names, tmp_path / "c.png")
        tick_names = [t.get_text() for t in figures[-1][0][1]]
    assert legend[0] == "chance" and legend[-1] == f"the {K - 5} others" and len(legend) == 7
    assert all(len(text.split(" (AUC")[0]) <= plots.TICK_NAME_CHARS for text in legend)
    assert not any("label" in text for text in tick_names)  # numbered, not named


def test_evaluate_tables_line_up_for_wide_and_combining_class_names(tmp_path, capsys):
    """CJK characters and emoji take two terminal columns, a combining accent none: padded
    by len(), the confusion matrix and the per-class table went out of line."""
    import unicodedata

    from lrnn.cli import main

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.standard_normal((60, 2)), columns=["a", "b"])
    names = np.array(["dog", "猫猫", "🐱 cat", "cafe\u0301"])
    frame["label"] = names[np.digitize(frame["a"], [-0.6, 0.0, 0.6])]
    frame.to_csv(tmp_path / "t.csv", index=False)
    model = tmp_path / "m.safetensors"
    assert main(["train", str(tmp_path / "t.csv"), "--solver", "newton", "--alpha", "1e-2",
                 "--no-plot", "--model", str(model)]) == 0  # fmt: skip
    capsys.readouterr()
    assert main(["evaluate", str(tmp_path / "t.csv"), "--model", str(model)]) == 0
    lines = capsys.readouterr().out.splitlines()

    def columns(line: str) -> int:
        wide = sum(unicodedata.east_asian_width(ch) in "WF" for ch in line)
        return len(line) + wide - sum(bool(unicodedata.combining(ch)) for ch in line)

    start = lines.index("confusion matrix (rows: true class, columns: predicted):") + 1
    matrix, table = lines[start : start + 5], lines[start + 5 : start + 12]
    assert len({columns(line) for line in matrix}) == 1, matrix
    assert len({columns(line) for line in table}) == 1, table
