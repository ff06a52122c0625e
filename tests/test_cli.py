"""The ``lrnn`` command, run for real in subprocesses."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from tests.cli_helpers import assert_clean_failure, run, snapshot
from tests.conftest import CAT_TEST, CAT_TRAIN, needs_cat


@pytest.fixture
def table(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.standard_normal((60, 3)), columns=["a", "b", "c"])
    frame["label"] = np.where(frame["a"] + 0.3 * rng.standard_normal(60) > 0, "yes", "no")
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture
def trained_table_model(tmp_path, table):
    model = tmp_path / "table.safetensors"
    proc = run(["train", table, "--model", model, "--no-plot", "--solver", "newton"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    return model


def test_version_and_help_with_examples(tmp_path):
    from lrnn import __version__

    proc = run(["--version"], tmp_path)
    assert proc.returncode == 0 and proc.stdout.strip() == f"lrnn {__version__}"
    for command in ["train", "predict", "evaluate", "compare-lr", "gradcheck", "report", "verify"]:
        proc = run([command, "--help"], tmp_path)
        assert proc.returncode == 0 and "example" in proc.stdout, command


@needs_cat
@pytest.mark.slow
def test_train_on_cat_reproduces_the_lesson(tmp_path):
    proc = run(["train", CAT_TRAIN, "--test", CAT_TEST], tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("Training on ") and "209 examples × 12288 features" in lines[0]
    assert lines[1:4] == [
        "Cost after iteration 0: 0.693147",
        "Cost after iteration 100: 0.584508",
        "Cost after iteration 200: 0.466949",
    ]
    assert len([line for line in lines if line.startswith("Cost after")]) == 20
    assert "train accuracy: 99.04306220095694 %" in lines
    assert "test accuracy: 70.0 %" in lines
    assert (tmp_path / "lrnn-model.safetensors").exists()
    png = tmp_path / "lrnn-model.png"
    with Image.open(png) as img:
        assert img.width > 300 and np.asarray(img.convert("L")).std() > 5


@needs_cat
def test_cli_costs_equal_course_functions(tmp_path, cat_course):
    from lrnn import course

    X_train, Y_train, X_test, Y_test = cat_course
    _, _, costs = course.optimize(
        *course.initialize_with_zeros(12288), X_train, Y_train, 500, 0.005
    )
    proc = run(
        ["train", CAT_TRAIN, "--test", CAT_TEST, "--iterations", "500", "--json", "--no-plot"],
        tmp_path,
    )
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    got = [r["cost"] for r in records if r.get("event") == "record"]
    np.testing.assert_allclose(got, costs, rtol=1e-9)
    assert records[-1]["event"] == "result"


def test_default_train_predict_evaluate_round_trip(tmp_path):
    proc = run(["train", "--iterations", "300", "--no-plot"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Cost after iteration 200" in proc.stdout
    model = tmp_path / "lrnn-model.safetensors"
    proc = run(["evaluate", "--model", model, "digits", "--json"], tmp_path)
    result = json.loads(proc.stdout)
    assert set(result) == {
        "n",
        "accuracy",
        "log_loss",
        "confusion",
        "precision",
        "recall",
        "f1",
        "roc_auc",
        "threshold",
        "threshold_source",
        "classes",
        "confusion_matrix",
        "per_class",
    }
    from sklearn.metrics import roc_auc_score

    from lrnn import data, persist

    saved, digits = persist.load_model(model), data.load("digits")
    z = (digits.X * saved.preprocessing["scale"]) @ saved.w + saved.b
    assert result["roc_auc"] == pytest.approx(roc_auc_score(digits.y, z), rel=1e-12)
    c = result["confusion"]
    assert result["confusion_matrix"] == [[c["tn"], c["fp"]], [c["fn"], c["tp"]]]
    assert result["classes"] == ["three", "eight"]
    assert result["per_class"]["eight"]["recall"] == pytest.approx(result["recall"])
    assert result["threshold_source"] == "the model's"
    assert 0.5 < result["accuracy"] <= 1 and result["n"] == 357
    # a user's own picture, any size: an 8×8 greyscale digit is made from a big RGB image
    picture = tmp_path / "my digit.png"
    Image.new("RGB", (200, 120), (255, 255, 255)).save(picture)
    proc = run(["predict", "--model", model, picture, "--json"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    row = json.loads(proc.stdout)
    assert row["name"].endswith("my digit.png") and row["label"] in ("three", "eight")
    assert 0 <= row["probability"] <= 1
    # A file name that holds a tab and a newline cannot forge a row of the table
    forged = tmp_path / "a.png\t0.999\tthree\nfake.png"
    Image.new("RGB", (20, 20), (255, 255, 255)).save(forged, format="PNG")
    proc = run(["predict", "--model", model, forged, picture], tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 3 and all(line.count("\t") == 2 for line in lines), lines
    assert lines[1].startswith(str(forged).replace("\t", "\\t").replace("\n", "\\n"))


def test_table_model_predict_ignores_label_and_checks_names(tmp_path, table, trained_table_model):
    proc = run(["predict", "--model", trained_table_model, table], tmp_path)
    assert proc.returncode == 0, proc.stderr
    header, *lines = proc.stdout.splitlines()
    assert header == "name\tP(yes)\tlabel" and len(lines) == 60  # named after the positive class
    name, probability, label = lines[0].split("\t")
    assert name == "row 1"
    assert label in ("yes", "no") and 0 <= float(probability) <= 1
    renamed = tmp_path / "renamed.csv"
    pd.read_csv(table).rename(columns={"b": "B"}).to_csv(renamed, index=False)
    before = snapshot(tmp_path)
    proc = run(["predict", "--model", trained_table_model, renamed], tmp_path)
    assert_clean_failure(proc, (1, 2), "'b'")
    assert snapshot(tmp_path) == before


def test_threshold_override_changes_labels(tmp_path, table, trained_table_model):
    low = run(["predict", "--model", trained_table_model, table, "--threshold", "0"], tmp_path)
    assert {line.split("\t")[2] for line in low.stdout.splitlines()[1:]} == {"yes"}
    # --top's lines show no label, so a threshold there changed nothing, without a word
    ranked = [trained_table_model, table, "--threshold", "0", "--top", "1"]
    said = run(["predict", "--model", *ranked], tmp_path).stderr
    assert "--threshold 0 decides the label, which --top's lines do not show" in said
    assert "--threshold" not in run(["predict", "--model", *ranked, "--json"], tmp_path).stderr


# ------------------------------------------------------------------------------------------
# Bad input: one line, exit 1 or 2, nothing written
# ------------------------------------------------------------------------------------------
def _write(tmp_path, name, content):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


def _csv(tmp_path, name, frame):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def _bad_h5(tmp_path):
    path = tmp_path / "nokeys.h5"
    with h5py.File(path, "w") as f:
        f["pixels"] = np.zeros((2, 2))
    return path


def _bomb(tmp_path):
    path = tmp_path / "bomb.png"
    Image.new("1", (20000, 20000)).save(path)  # 400 megapixels, a few kB on disk
    return path


TRAIN_CASES = {
    "missing file": (lambda p: ["train", p / "absent.h5"], "absent.h5"),
    "garbage hdf5": (lambda p: ["train", _write(p, "junk.h5", b"not hdf5 at all" * 10)], "junk.h5"),
    "hdf5 without keys": (lambda p: ["train", _bad_h5(p)], "nokeys.h5"),
    "nan feature": (
        lambda p: [
            "train",
            _csv(p, "nan.csv", pd.DataFrame({"a": [1, np.nan, 3, 4], "label": [0, 1, 0, 1]})),
        ],
        "nan.csv",
    ),
    "inf feature": (
        lambda p: [
            "train",
            _csv(p, "inf.csv", pd.DataFrame({"a": [1, np.inf, 3, 4], "label": [0, 1, 0, 1]})),
        ],
        "inf.csv",
    ),
    "non-numeric column": (
        lambda p: [
            "train",
            _csv(p, "text.csv", pd.DataFrame({"colour": ["red", "blue"] * 3, "label": [0, 1] * 3})),
        ],
        "colour",
    ),
    "missing label column": (
        lambda p: [
            "train",
            _csv(p, "nolabel.csv", pd.DataFrame({"a": [1, 2], "b": [3, 4]})),
            "--label",
            "y",
        ],
        "'y'",
    ),
    "one class": (
        lambda p: [
            "train",
            _csv(p, "one.csv", pd.DataFrame({"a": [1.0, 2, 3], "label": [1, 1, 1]})),
        ],
        "class",
    ),
    "a thousand and one classes": (
        lambda p: [
            "train",
            _csv(p, "many.csv", pd.DataFrame({"a": np.arange(1001.0), "label": np.arange(1001)})),
        ],
        "is that the label column?",
    ),
    "empty table": (lambda p: ["train", _write(p, "empty.csv", "a,label\n")], "empty.csv"),
    "learning rate zero": (lambda p: ["train", "--learning-rate", "0"], "learning-rate"),
    "learning rate negative": (lambda p: ["train", "--learning-rate", "-1"], "learning-rate"),
    "learning rate nan": (lambda p: ["train", "--learning-rate", "nan"], "learning-rate"),
    "iterations zero": (lambda p: ["train", "--iterations", "0"], "iterations"),
    "unwritable model path": (
        lambda p: ["train", "--model", p / "no" / "such" / "m.safetensors"],
        "m.safetensors",
    ),
    "not an image": (
        lambda p: ["predict", "--model", "MODEL", _write(p, "x.png", b"GIF? no")],
        "x.png",
    ),
    "decompression bomb": (lambda p: ["predict", "--model", "MODEL", _bomb(p)], "bomb.png"),
    "pickle model": (
        lambda p: ["predict", "--model", _write(p, "m.pkl", pickle.dumps({"w": [1]})), "digits"],
        "pickle",
    ),
    "truncated model": (
        lambda p: ["evaluate", "--model", "TRUNCATED", "digits"],
        "trunc.safetensors",
    ),
    "garbage model": (
        lambda p: ["evaluate", "--model", _write(p, "g.safetensors", b"\x00" * 64), "digits"],
        "g.safetensors",
    ),
    "wrong feature count": (lambda p: ["evaluate", "--model", "MODEL", "breast_cancer"], "image"),
}


@pytest.fixture(scope="module")
def digits_model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("model")
    proc = run(["train", "--iterations", "50", "--no-plot"], folder)
    assert proc.returncode == 0, proc.stderr
    return folder / "lrnn-model.safetensors"


@pytest.mark.parametrize("case", list(TRAIN_CASES))
def test_bad_input_is_one_clean_line(tmp_path, case, digits_model):
    build, needle = TRAIN_CASES[case]
    args = [str(a) for a in build(tmp_path)]
    model_copy = tmp_path / "model.safetensors"
    model_copy.write_bytes(digits_model.read_bytes())
    truncated = tmp_path / "trunc.safetensors"
    truncated.write_bytes(digits_model.read_bytes()[:100])
    args = [{"MODEL": str(model_copy), "TRUNCATED": str(truncated)}.get(a, a) for a in args]
    before = snapshot(tmp_path)
    proc = run(args, tmp_path)
    assert_clean_failure(proc, (1, 2), needle)
    assert snapshot(tmp_path) == before  # no model (or anything else) created or changed


def test_existing_model_survives_a_failed_run(tmp_path, digits_model):
    model = tmp_path / "keep.safetensors"
    model.write_bytes(digits_model.read_bytes())
    before = model.read_bytes()
    proc = run(["train", tmp_path / "absent.csv", "--model", model], tmp_path)
    assert proc.returncode == 2  # a file that cannot be used: the command cannot run as asked
    assert model.read_bytes() == before


def test_debug_shows_the_traceback_and_keeps_the_exit_status(tmp_path):
    plain = run(["train", tmp_path / "absent.h5"], tmp_path)
    proc = run(["--debug", "train", tmp_path / "absent.h5"], tmp_path)
    assert "Traceback" in proc.stderr and "Traceback" not in plain.stderr
    assert proc.returncode == plain.returncode == 2
    assert proc.stderr.splitlines()[-1] == plain.stderr.splitlines()[-1]  # the same error line


def test_train_saves_its_model_when_the_reader_of_its_output_goes_away(tmp_path):
    """``lrnn train … | head -1``: the pipe closes after one line; training goes on quietly
    and the model is saved (exit 0) — the work of train is its files."""
    import subprocess

    from tests.cli_helpers import lrnn_command

    proc = subprocess.Popen(
        [*lrnn_command(), "train", "digits", "--iterations", "3000", "--print-every", "1",
         "--no-plot", "--model", "m.safetensors"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout.readline().startswith(b"Training on")
    proc.stdout.close()  # the reader goes away
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert (tmp_path / "m.safetensors").exists()


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_standard_streams_that_fail_cost_no_saved_work(tmp_path):
    """A warning that could not be written threw a finished run away (2>/dev/full: no model,
    exit 1); a closed stdout was an 'unexpected AttributeError'; a full one a bare errno; a
    console without UTF-8 failed every train on the '×' of its first line."""
    import subprocess

    from tests.cli_helpers import lrnn_command

    lrnn = " ".join(f"'{part}'" for part in lrnn_command())

    def shell(line: str, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["sh", "-c", line], cwd=tmp_path, capture_output=True, text=True, timeout=300,
            env={**os.environ, **env},
        )  # fmt: skip

    options = "--solver lbfgs --iterations 2 --no-plot"  # lbfgs warns: stopped at max_iter
    proc = shell(f"{lrnn} train digits {options} --model a.safetensors 2>/dev/full")
    assert proc.returncode == 0 and (tmp_path / "a.safetensors").exists()
    proc = shell(f"{lrnn} train digits {options} --model b.safetensors >/dev/full")
    assert proc.returncode == 0 and (tmp_path / "b.safetensors").exists(), proc.stderr
    proc = shell(f"{lrnn} predict --model a.safetensors digits >&-")
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: standard output is closed; lrnn predict prints")
    # a command that saves as well saves with its output closed: evaluate --save, as train
    proc = shell(f"{lrnn} evaluate --model a.safetensors digits --choose-threshold f1 --save >&-")
    assert proc.returncode == 0, proc.stderr
    proc = shell(f"{lrnn} predict --model a.safetensors digits >/dev/full")
    assert proc.returncode == 1 and proc.stderr.splitlines()[-1] == (
        "error: cannot write to standard output (No space left on device); free space where "
        "it goes, or send it elsewhere"
    )
    proc = shell(f"{lrnn} train digits {options} --model c.safetensors", LC_ALL="C", PYTHONUTF8="0")
    assert proc.returncode == 0 and (tmp_path / "c.safetensors").exists(), proc.stderr
    assert "examples \\xd7 64 features" in proc.stdout  # escaped, not a failed run


def test_a_deleted_working_folder_is_named(tmp_path):
    """Run from a folder deleted since the shell went there: one line saying so (it was a bare
    "[Errno 2] No such file or directory")."""
    import subprocess

    from tests.cli_helpers import lrnn_command

    gone = tmp_path / "gone"
    gone.mkdir()
    script = 'cd "$1" && rmdir "$1" && shift && exec "$@"'
    proc = subprocess.run(
        ["sh", "-c", script, "sh", str(gone), *lrnn_command(), "train", "--no-plot"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("error: the working folder no longer exists")


def test_an_interrupt_while_the_command_loads_says_so_without_a_traceback(monkeypatch, capsys):
    """Ctrl-C during the imports (numpy and the rest load inside main, where it is caught)."""
    import importlib.abc
    import sys

    from lrnn.cli import main

    class Interrupting(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "lrnn.cli.parser":
                raise KeyboardInterrupt
            return None

    monkeypatch.delitem(sys.modules, "lrnn.cli.parser", raising=False)
    monkeypatch.setattr(sys, "meta_path", [Interrupting(), *sys.meta_path])
    assert main(["train", "--help"]) == 130
    assert capsys.readouterr().err == "interrupted\n"


def test_the_training_loops_advice_is_said_in_options_on_the_command_line():
    from lrnn.cli import _in_flags

    said = _in_flags(
        "gd stopped at max_iter=5 before the gradient norm reached tol=0.001 (max|∇J| = 2); "
        "raise max_iter, scale the features (standardize), or use solver='lbfgs' or 'newton', "
        "which need far fewer iterations."
    )
    assert said == (
        "gd stopped at --iterations 5 before the gradient norm reached --tol 0.001 (max|∇J| = "
        "2); raise --iterations, scale the features (--standardize for a table), or use "
        "--solver lbfgs or newton, which need far fewer iterations."
    )
    stalled = _in_flags("badly scaled for this solver: standardize them, or use solver='newton'.")
    assert stalled.endswith("them (--standardize for a table), or use --solver newton.")


def test_a_file_this_user_may_not_read_is_one_line_with_exit_2(tmp_path, monkeypatch, capsys):
    """The tests run as root, whom no permission stops, so the refusal is simulated where the
    file is first opened; as another user `chmod 000` gives the same line (checked by hand)."""
    from lrnn.cli import main
    from lrnn.data import tables

    table = tmp_path / "locked.csv"
    table.write_text("a,label\n1,0\n2,1\n3,0\n4,1\n")

    def locked(name: str) -> None:
        raise PermissionError(13, "Permission denied", name)

    monkeypatch.setattr(tables, "_check_csv_lines", locked)
    assert main(["train", str(table), "--no-plot", "--model", str(tmp_path / "m.safetensors")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"error: {table}: permission denied; give a file this user may read (and a folder "
        "it may write to), or change its permissions."
    ]
    assert not (tmp_path / "m.safetensors").exists()


def test_predict_refuses_before_it_writes_a_single_row(tmp_path, capsys):
    """Records are written as they are made (a table of millions of rows is not held as a
    list); the checks still come first, so a refused table leaves stdout empty."""
    from lrnn.cli import main

    table = tmp_path / "t.csv"
    table.write_text("a,b,label\n" + "".join(f"{i},{i % 3},{i % 2}\n" for i in range(40)))
    model = tmp_path / "m.safetensors"
    assert main(["train", str(table), "--no-plot", "--iterations", "5", "--model", str(model)]) == 0
    capsys.readouterr()
    narrow = tmp_path / "narrow.csv"
    narrow.write_text("a\n1\n2\n")
    assert main(["predict", "--model", str(model), str(narrow)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("error: ")


def test_a_streamed_folder_error_follows_the_header_in_one_stream(tmp_path):
    """``lrnn train … 2>&1 | tee log`` on a Parquet folder: the header, then one line naming the
    file and its own row (it named the folder and a row counted across its files)."""
    import subprocess

    from tests.cli_helpers import lrnn_command

    (tmp_path / "parts").mkdir()
    pd.DataFrame({"a": [0.0, 1.0], "label": [0, 1]}).to_parquet(tmp_path / "parts/0.parquet")
    pd.DataFrame({"a": [np.inf, 1.0], "label": [0, 1]}).to_parquet(tmp_path / "parts/1.parquet")
    proc = subprocess.run(
        [*lrnn_command(), "train", "parts", "--no-plot", "--model", "m.safetensors"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120,
    )  # fmt: skip
    lines = proc.stdout.splitlines()
    assert proc.returncode == 2 and len(lines) == 2, proc.stdout
    assert lines[0].startswith("Training on parts: 4 examples")
    assert lines[1].startswith("error: parts/1.parquet: column 'a' has value inf (row 1)")


def test_a_label_option_that_names_no_column_is_said_to_be_ignored(tmp_path):
    """A built-in set has its own labels, and pictures have no label column: --label changed
    nothing there, without a word."""
    common = ["--no-plot", "--iterations", "3", "--model", "m.safetensors"]
    trained = run(["train", "digits", "--label", "foo", *common], tmp_path)
    assert trained.returncode == 0, trained.stderr
    assert "the built-in 'digits' has its own labels, so it is ignored" in trained.stderr
    # beside a --test table, --label names that table's label column: it is used
    from sklearn.datasets import load_breast_cancer

    frame = load_breast_cancer(as_frame=True).frame.rename(columns={"target": "diagnosis"})
    frame["diagnosis"] = np.array(["malignant", "benign"])[frame["diagnosis"]]
    frame.tail(50).to_csv(tmp_path / "bc.csv", index=False)
    tested = run(
        ["train", "breast_cancer", "--standardize", "--test", "bc.csv", "--label", "diagnosis",
         *common, "--model", "bc.safetensors"],
        tmp_path,
    )  # fmt: skip
    assert tested.returncode == 0, tested.stderr
    assert "--label" not in tested.stderr
    picture = tmp_path / "p.png"
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(picture)
    args = ["predict", "--model", "m.safetensors", "--label", "foo", str(picture)]
    predicted = run(args, tmp_path)
    assert predicted.returncode == 0, predicted.stderr
    assert (
        "this model takes image data, whose labels (if any) come with the data, so it is "
        "ignored" in predicted.stderr
    )
    # evaluate and report said nothing of a --label they ignore, predict of an --encoding
    h5 = tmp_path / "p.h5"
    with h5py.File(h5, "w") as f:
        f["x"] = np.zeros((4, 8, 8), np.uint8)
        f["y"] = np.array([0, 1, 0, 1])
    for command, extra, said in [
        ("evaluate", ["--label", "foo"], "--label names the column of labels in a CSV/Parquet"),
        ("report", ["--label", "foo", "-o", "r.html"], "--label names the column of labels in"),
        (
            "predict",
            ["--encoding", "latin-1"],
            "--encoding reads documents and CSV tables; m.safetensors is a model of image data",
        ),
    ]:
        proc = run([command, "--model", "m.safetensors", str(h5), *extra], tmp_path)
        assert said in proc.stderr and "so it is ignored — drop it" in proc.stderr, proc.stderr


def test_label_on_a_table_model_names_the_label_column_and_not_a_feature(tmp_path):
    """predict read a --label naming one of the model's features as that feature, without a
    word; evaluate with --label naming a feature (or any column of numbers) refused with all
    of its values as 'classes', an error line of 8 KB. A --label naming the file's own label
    column keeps it out of the columns said to be left out."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(60, 2)), columns=["a", "b"])
    frame["label"] = np.where(frame["a"] > 0, "yes", "no")
    frame.to_csv(tmp_path / "t.csv", index=False)
    assert run(["train", "t.csv", "--no-plot", "--iterations", "5"], tmp_path).returncode == 0
    model = ["--model", "lrnn-model.safetensors", "t.csv"]
    frame.rename(columns={"label": "diagnosis"}).to_csv(tmp_path / "d.csv", index=False)
    proc = run(["predict", *model[:2], "d.csv", "--label", "diagnosis"], tmp_path)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr  # the column left out
    proc = run(["predict", *model[:2], "d.csv"], tmp_path)
    assert "are left out ('diagnosis')" in proc.stderr
    # a --label that names no column of the table changed nothing, without a word
    proc = run(["predict", *model[:2], "d.csv", "--label", "diagnosys"], tmp_path)
    said = "d.csv: --label 'diagnosys' names no column of it, so it changes nothing; check the"
    assert proc.returncode == 0 and said in proc.stderr, proc.stderr
    # the model's own label column, given to files with labels and without alike: not said
    frame.drop(columns="label").to_csv(tmp_path / "new.csv", index=False)
    proc = run(["predict", *model[:2], "new.csv", "--label", "label"], tmp_path)
    assert proc.returncode == 0 and "names no column" not in proc.stderr, proc.stderr
    proc = run(["predict", *model, "--label", "a"], tmp_path)
    assert proc.returncode == 0
    assert "--label 'a' is one of the model's features, and is read as one" in proc.stderr
    said = "--label 'a' is one of the model's features, not its labels; name the column of"
    assert_clean_failure(run(["evaluate", *model, "--label", "a"], tmp_path), (2,), said)
    frame.assign(c=np.arange(60)).to_csv(tmp_path / "t.csv", index=False)  # a row number
    proc = run(["evaluate", *model, "--label", "c"], tmp_path)
    assert_clean_failure(proc, (2,), "… (60 in all)) differ from the model's ('no', 'yes') (is")
    assert len(proc.stderr) < 400
    frame.assign(c=rng.normal(size=60)).to_csv(tmp_path / "t.csv", index=False)  # measured
    proc = run(["evaluate", *model, "--label", "c"], tmp_path)
    assert_clean_failure(proc, (2,), "label column 'c' holds 60 distinct values with fractions")


def test_columns_dropped_in_training_are_not_said_to_be_left_out_later(tmp_path):
    """--drop id, then a test file and predict on files with that id column: each said the
    column 'id' was left out, a warning on every command of the documented workflow."""
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(rng.normal(size=(80, 2)), columns=["a", "b"])
    frame.insert(0, "id", [f"p{i:03d}" for i in range(80)])
    frame["label"] = np.where(frame["a"] + rng.normal(size=80) > 0, "yes", "no")  # overlapping
    frame.iloc[:60].to_csv(tmp_path / "train.csv", index=False)
    frame.iloc[60:].to_csv(tmp_path / "test.csv", index=False)
    args = ["train", "train.csv", "--drop", "id", "--test", "test.csv", "--no-plot"]
    proc = run([*args, "--iterations", "5"], tmp_path)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    for command in ("predict", "evaluate"):
        proc = run([command, "--model", "lrnn-model.safetensors", "test.csv"], tmp_path)
        assert proc.returncode == 0 and proc.stderr == "", (command, proc.stderr)
    frame.iloc[60:].assign(extra=1.0).to_csv(tmp_path / "test.csv", index=False)
    proc = run(["evaluate", "--model", "lrnn-model.safetensors", "test.csv"], tmp_path)
    assert "1 column(s) the model was not trained on are left out ('extra')" in proc.stderr
    (tmp_path / "rows").mkdir()  # a Parquet folder, scored a block at a time: the same
    frame.iloc[60:].assign(extra=1.0).to_parquet(tmp_path / "rows" / "part-0.parquet")
    proc = run(["evaluate", "--model", "lrnn-model.safetensors", "rows"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "1 column(s) the model was not trained on are left out ('extra')" in proc.stderr


def test_paths_with_a_newline_cannot_forge_a_line_of_output(tmp_path):
    """ "Training on bad<newline>error: forged …" printed a line that looked like lrnn's error,
    as did the model's path in "model saved to"; each is printed escaped, on its own line."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    rows = [f"{a:.6g},{b:.6g},{'yes' if a > 0 else 'no'}" for a, b in X]
    data = tmp_path / "bad\nerror: forged.csv"
    data.write_text("a,b,label\n" + "\n".join(rows) + "\n")
    model = "new\nline.safetensors"
    proc = run(["train", data.name, "--no-plot", "--iterations", "10", "--model", model], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert not any(line.startswith("error:") for line in proc.stdout.splitlines())
    assert "Training on bad\\nerror: forged.csv: 32 examples" in proc.stdout
    assert "model saved to new\\nline.safetensors" in proc.stdout
    assert (tmp_path / model).exists()  # the file itself has the name asked for


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["trian"], "invalid choice: 'trian' (choose from 'train', "),
        (["train", "--tset", "t.h5"], "unrecognized arguments: --tset; did you mean --test?"),
        (["train", "--learning_rate", "0.1"], "did you mean --learning-rate?"),
        (["train", "--solver", "nweton"], "did you mean 'newton'?"),
        (["predict", "x.csv", "--modle", "m"], "--model; --modle is not an option; did you mean"),
    ],
)
def test_a_mistyped_command_or_option_is_named_with_the_one_meant(argv, said, capsys):
    """argparse lists every choice, or says an option is unknown; a typo gets the word meant.
    A missing --model beside a mistyped one says so; a typo of another option does not."""
    from lrnn.cli import main

    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert said in err and err.count("\n") == 0 and err.endswith("--help')")
    if argv == ["trian"]:
        assert "did you mean 'train'?" in err
    assert main(["serve", "--prot", "8000"]) == 2  # --model is missing; --prot is no typo of it
    assert "did you mean" not in capsys.readouterr().err


def test_the_checkpoint_an_interrupt_asked_for_is_not_cut_short_by_a_second():
    """A second Ctrl-C pressed right after the first cut the interrupted run's checkpoint
    short: nothing was saved, and the run was lost. The save holds interrupts off."""
    import signal

    from lrnn.cli.outputs import interrupts_held

    before = signal.getsignal(signal.SIGINT)
    with interrupts_held():
        os.kill(os.getpid(), signal.SIGINT)  # ignored: no KeyboardInterrupt here
        os.kill(os.getpid(), signal.SIGTERM)
        saved = True
    assert saved and signal.getsignal(signal.SIGINT) is before


def test_a_csv_in_another_encoding_is_read_with_encoding(tmp_path):
    """A Latin-1 CSV (a spreadsheet's export) could only be saved again as UTF-8: --encoding
    was for documents, and said so. It now reads tables too, for the test set of the same run
    and for predict and evaluate; a Parquet table's text is UTF-8, so it is still ignored
    there, with a warning."""
    import pandas as pd

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.standard_normal((80, 2)), columns=["âge", "poids"])
    frame["label"] = np.where(frame["âge"] > 0, "oui", "désolé")
    frame.iloc[:60].to_csv(tmp_path / "train.csv", index=False, encoding="latin-1")
    frame.iloc[60:].to_csv(tmp_path / "test.csv", index=False, encoding="latin-1")
    plain = run(["train", "train.csv", "--no-plot"], tmp_path)
    assert_clean_failure(
        plain, (2,), "give its encoding (--encoding cp1252, latin-1, …), or save the file as"
    )
    args = ["train.csv", "--test", "test.csv", "--encoding", "latin-1", "--no-plot"]
    proc = run(["train", *args, "--solver", "newton", "--alpha", "1e-2", "--json"], tmp_path)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert json.loads(proc.stdout.splitlines()[-1])["test_accuracy"] > 0.9
    model = ["--model", "lrnn-model.safetensors", "--encoding", "latin-1"]
    assert "accuracy" in run(["evaluate", *model, "test.csv"], tmp_path).stdout
    lines = run(["predict", *model, "test.csv"], tmp_path).stdout.splitlines()
    assert lines[0] == "name\tP(oui)\tlabel" and len(lines) == 21
    named = run(["predict", *model, "test.csv", "--id", "label"], tmp_path)  # read as Latin-1
    assert named.returncode == 0, named.stderr
    assert {line.split("\t")[0] for line in named.stdout.splitlines()[1:]} == {"oui", "désolé"}
    frame.to_parquet(tmp_path / "t.parquet")
    proc = run(["train", "t.parquet", "--encoding", "latin-1", "--no-plot"], tmp_path)
    assert "--encoding applies to text data and CSV tables only" in proc.stderr
    for command in ("predict", "evaluate"):  # they read the Parquet file without a word
        proc = run([command, *model, "t.parquet"], tmp_path)
        assert proc.returncode == 0, proc.stderr
        said = "--encoding reads documents and CSV tables; this is a Parquet table (its text"
        assert said in proc.stderr, command
    # compare-lr and gradcheck read UTF-8 only, and said to give the encoding to other commands
    compare = ["compare-lr", "train.csv", "--iterations", "20", "--encoding", "latin-1"]
    assert run(compare, tmp_path).returncode == 0
    for check in (["gradcheck", "train.csv"], ["gradcheck", "test.csv", *model[:2]]):
        proc = run([*check, "--encoding", "latin-1"], tmp_path)
        said = [line for line in proc.stderr.splitlines() if not line.startswith("note: ")]
        assert proc.returncode == 0 and said == [], proc.stderr  # (the model held rows out)
    proc = run(["gradcheck", "t.parquet", "--encoding", "latin-1"], tmp_path)
    assert "this is a Parquet table (its text is UTF-8), so it is ignored" in proc.stderr
    proc = run(["train", *args, "--min-df", "5", "--iterations", "2"], tmp_path)  # a CSV
    said = "--min-df applies to text data only; this is a table of numbers, so it is ignored"
    assert said in proc.stderr  # it was called "a Parquet table"


def test_a_csv_in_utf16_is_read_by_its_byte_order_mark(tmp_path):
    """A spreadsheet's "Unicode text" export is UTF-16 with a byte-order mark: it was "not
    valid utf-8 (byte 0xff)" with advice of latin-1, and without the mark its zero bytes made
    column names such as 'a\\x00'. The mark now decides, as for a document; UTF-16 without
    one is named, with the option that reads it."""
    import pandas as pd

    rng = np.random.default_rng(1)
    frame = pd.DataFrame(rng.standard_normal((60, 2)), columns=["âge", "poids"])
    frame["label"] = np.where(frame["âge"] > 0, "oui", "non")
    text = frame.to_csv(index=False)
    (tmp_path / "utf8.csv").write_text(text, encoding="utf-8")
    (tmp_path / "marked.csv").write_bytes(text.encode("utf-16"))
    (tmp_path / "unmarked.csv").write_bytes(text.encode("utf-16-le"))
    fit = ["--solver", "newton", "--alpha", "1e-2", "--no-plot", "--json"]
    results = []
    for name in ("utf8.csv", "marked.csv"):
        proc = run(["train", name, "--model", f"{name}.safetensors", *fit], tmp_path)
        assert proc.returncode == 0 and proc.stderr == "", proc.stderr
        results.append(json.loads(proc.stdout.splitlines()[-1])["final_cost"])
    assert results[0] == results[1]
    scored = run(["predict", "--model", "utf8.csv.safetensors", "marked.csv"], tmp_path)
    assert scored.returncode == 0 and len(scored.stdout.splitlines()) == 61, scored.stderr
    assert_clean_failure(
        run(["train", "unmarked.csv", *fit], tmp_path),
        (2,),
        "unmarked.csv: looks like UTF-16-LE text without a byte-order mark (a zero byte beside "
        "each character); give --encoding utf-16-le, or save the file as UTF-8.",
    )
    proc = run(["train", "unmarked.csv", "--encoding", "utf-16-le", *fit], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.splitlines()[-1])["final_cost"] == results[0]
    from lrnn.data.checks import unmarked_utf16  # 一 (U+4E00) has a zero low byte

    wide = frame.rename(columns={"âge": "一"}).to_csv(index=False)
    assert unmarked_utf16(wide.encode("utf-16-le")) == "utf-16-le"
    assert unmarked_utf16(wide.encode("utf-16-be")) == "utf-16-be"
    assert unmarked_utf16(wide.encode("utf-8")) is None


def test_options_are_taken_in_full_and_an_abbreviation_is_pointed_at_its_option(tmp_path):
    """argparse took --iter for --iterations, and every check of what was typed missed it:
    --iter 5 … --iterations 3 ran 3 without the "given twice" warning, --js lost the error
    event, --deb the traceback."""
    proc = run(["train", "--iter", "5", "--no-plot"], tmp_path)
    assert_clean_failure(proc, (2,), "unrecognized arguments: --iter; did you mean --iterations?")
    proc = run(["train", "--n", "5", "--no-plot"], tmp_path)
    assert_clean_failure(proc, (2,), "--n; it begins --ngrams, --n-iter-no-change, --no-plot")
    assert not list(tmp_path.iterdir())


def test_paths_the_shell_passes_oddly_get_one_line_and_exit_2(tmp_path):
    """A name longer than the file system allows was "[Errno 36] File name too long", exit 1;
    a data file named like an option, "the following arguments are required: inputs"; an
    empty --host (an unset $HOST) served on every interface."""
    trained = run(["train", "--iterations", "2", "--no-plot", "--model", "m.safetensors"], tmp_path)
    assert trained.returncode == 0, trained.stderr
    long = "a" * 300 + ".csv"
    proc = run(["predict", "--model", "m.safetensors", long], tmp_path)
    assert_clean_failure(proc, (2,), "the name is too long for the file system")
    (tmp_path / "-data.csv").write_text("a,label\n1,0\n2,1\n")
    proc = run(["predict", "--model", "m.safetensors", "-data.csv"], tmp_path)
    assert_clean_failure(proc, (2,), "-data.csv was read as an option: give it as ./-data.csv")
    proc = run(["serve", "--model", "m.safetensors", "--host", ""], tmp_path)
    assert_clean_failure(proc, (2,), "--host is empty")


def test_an_option_given_twice_with_two_values_is_said(tmp_path):
    """`--iterations 10 … --iterations 20` ran 20 without a word (argparse keeps the last)."""
    args = ["train", "--iterations", "10", "--no-plot", "--iterations=20"]
    proc = run(args, tmp_path)
    assert proc.returncode == 0, proc.stderr
    said = "--iterations is given 2 times ('10', '20'); the last, '20', is used — give it once."
    assert said in proc.stderr and "Stopped after 20 iterations" in proc.stdout
    again = run(["train", "--iterations", "20", "--iterations", "20", "--no-plot"], tmp_path)
    assert again.returncode == 0 and "given 2 times" not in again.stderr  # the same value
    # an option of several values too: --rates 0.1 … --rates 0.2 compared 0.2 alone
    rates = ["compare-lr", "breast_cancer", "--iterations", "3", "--rates=0.1", "--rates"]
    proc = run([*rates, "0.2", "0.3", "--plot", "c.png"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "--rates is given 2 times ('0.1', '0.2 0.3'); the last, '0.2 0.3', is used" in (
        proc.stderr
    )


def test_other_packages_deprecations_are_not_lrnn_warnings(monkeypatch, capsys):
    """Under an older matplotlib, pyparsing's deprecations came out as three lrnn 'warning:'
    lines the user could do nothing about; lrnn's own warnings still show."""
    import warnings

    from lrnn.cli import lesson, main

    def slope(args):
        warnings.warn(
            "'parseString' deprecated - use 'parse_string'", DeprecationWarning, stacklevel=1
        )
        warnings.warn("lrnn's own word", UserWarning, stacklevel=1)
        return 0

    monkeypatch.setattr(lesson, "cmd_slope", slope)
    assert main(["slope"]) == 0
    err = capsys.readouterr().err
    assert "warning: lrnn's own word" in err and "parseString" not in err
