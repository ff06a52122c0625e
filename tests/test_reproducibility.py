"""Reproducibility: a manifest in every model, ``lrnn verify``, and weights that are bit for bit
the same run after run and whatever the number of threads.

The commands run in-process through ``lrnn.cli.main`` (the console script's function); the
thread-count check needs fresh processes, since numba and OpenBLAS read their thread counts
from the environment when they start.
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import subprocess
import sys
import textwrap
from dataclasses import fields
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lrnn import __version__, data, persist
from lrnn.cli import main
from lrnn.train import TrainConfig
from tests.conftest import CAT_TEST, CAT_TRAIN, needs_cat

MANIFEST_KEYS = {
    "lrnn_version",
    "numpy_version",
    "python_version",
    "solver_settings",
    "seed",
    "data_source",
    "data_sha256",
    "final_cost",
}


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """The current folder, with a small table (a, b, c → yes/no) and its test part."""
    rng = np.random.default_rng(4)
    frame = pd.DataFrame(rng.standard_normal((120, 3)), columns=["a", "b", "c"])
    frame["label"] = np.where(
        frame["a"] - frame["c"] + 0.5 * rng.standard_normal(120) > 0, "yes", "no"
    )
    frame.iloc[:90].to_csv(tmp_path / "t.csv", index=False)
    frame.iloc[90:].to_csv(tmp_path / "test.csv", index=False)
    np.savez(tmp_path / "t.npz", X=frame[["a", "b", "c"]].to_numpy(np.float32), y=frame["a"] > 0)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _lrnn(capsys, *args: object) -> tuple[int, str, str]:
    capsys.readouterr()
    status = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return status, out, err


def _train(capsys, *args: object, model: str = "m.safetensors") -> persist.ModelFile:
    status, _, err = _lrnn(capsys, "train", *args, "--no-plot", "--model", model)
    assert status == 0, err
    return persist.load_model(model)


# --------------------------------------------------------------------------------------------
# The manifest


@pytest.mark.parametrize(
    ("args", "seed"),
    [
        (["--iterations", "30"], 0),  # built-in digits, a seeded 20 % hold-out
        (["t.csv", "--solver", "sgd", "--seed", "7", "--iterations", "5"], 7),
        (["t.npz", "--solver", "lbfgs", "--alpha", "0.01"], 0),
    ],
)
def test_every_saved_model_has_a_manifest(folder, capsys, args, seed):
    model = _train(capsys, *args)
    manifest = model.manifest
    assert MANIFEST_KEYS <= set(manifest), MANIFEST_KEYS - set(manifest)
    assert manifest["lrnn_version"] == __version__
    assert manifest["numpy_version"] == np.__version__
    assert manifest["python_version"] == platform.python_version()
    assert manifest["seed"] == seed
    settings = manifest["solver_settings"]
    assert set(settings) == {f.name for f in fields(TrainConfig)}
    assert settings["random_state"] == seed
    assert (
        TrainConfig(**settings).solver == model.training["solver"] or settings["solver"] == "auto"
    )
    assert len(manifest["data_sha256"]) == 64 and int(manifest["data_sha256"], 16) >= 0
    assert np.isfinite(manifest["final_cost"])
    assert manifest["final_cost"] == model.training["final_cost"]
    # The fingerprint is of the data trained on: the hold-out split of the source.
    ds = data.load(manifest["data_source"], spec=data.Preprocessing.from_dict(model.preprocessing))
    train_part, _ = data.split(ds, 0.2, seed=seed)
    assert data.data_sha256(train_part.X, train_part.y) == manifest["data_sha256"]


def test_manifest_survives_a_saved_threshold(folder, capsys):
    model = _train(capsys, "t.csv", "--iterations", "50")
    status, _, err = _lrnn(
        capsys,
        "evaluate",
        "t.csv",
        "--model",
        "m.safetensors",
        "--choose-threshold",
        "f1",
        "--save",
    )
    assert status == 0, err
    again = persist.load_model("m.safetensors")
    chosen = again.manifest.pop("threshold_chosen_on")  # which data chose it, by which rule
    assert chosen["rule"] == "f1" and len(chosen["data_sha256"]) == 64  # t.csv's, all rows
    assert again.manifest == model.manifest and np.array_equal(again.w, model.w)
    status, out, _ = _lrnn(capsys, "verify", "--model", "m.safetensors")
    assert status == 0 and out.startswith("bit-identical")


# --------------------------------------------------------------------------------------------
# lrnn verify


VERIFIED = {
    "digits, hold-out": (["--iterations", "40"], []),
    "digits, sgd": (["--solver", "sgd", "--seed", "3", "--iterations", "8"], ["digits"]),
    "csv, hold-out": (["t.csv", "--iterations", "60"], ["t.csv"]),
    "csv, --test, newton": (["t.csv", "--test", "test.csv", "--solver", "newton"], ["t.csv"]),
    "csv, adam, auto rate": (["t.csv", "--solver", "adam", "--learning-rate", "auto"], []),
    "npz float32, lbfgs": (["t.npz", "--solver", "lbfgs", "--alpha", "1e-3"], ["t.npz"]),
    "standardized csv": (["t.csv", "--standardize", "--iterations", "20"], ["t.csv"]),
}


def test_verify_names_the_backend_it_retrains_on(folder, capsys):
    """A Dask model is retrained through Dask (its chunked sums give the model's bits), and
    verify says so; without a scheduler address Dask computes in this process."""
    _train(capsys, "t.csv", "--backend", "dask", "--iterations", "5")
    status, out, err = _lrnn(capsys, "verify", "--model", "m.safetensors", "t.csv")
    assert status == 0 and out.startswith("bit-identical"), (out, err)
    assert err.startswith("retraining with gd on the dask backend, at most 5 iterations")


def test_verify_of_a_streamed_model_asks_for_no_backend(folder, capsys):
    """A run streamed from disk names no backend in its manifest, and verify retrained it
    as "--backend numpy", which warned the user to drop an option they never gave."""
    rng = np.random.default_rng(0)
    (folder / "big").mkdir()
    np.save(folder / "big" / "X.npy", rng.standard_normal((60, 3)))
    np.save(folder / "big" / "y.npy", np.arange(60) % 2)
    _train(capsys, "big", "--iterations", "5")
    status, out, err = _lrnn(capsys, "verify", "--model", "m.safetensors")
    assert status == 0 and out.startswith("bit-identical"), (out, err)
    assert "--backend" not in err and err.startswith("retraining with gd, at most 5"), err


@pytest.mark.parametrize("case", list(VERIFIED))
def test_verify_reports_bit_identical(folder, capsys, case):
    train_args, verify_args = VERIFIED[case]
    _train(capsys, *train_args)
    status, out, err = _lrnn(capsys, "verify", "--model", "m.safetensors", *verify_args)
    assert status == 0, (out, err)
    assert out.startswith("bit-identical: retraining reproduces m.safetensors exactly")
    assert err.startswith("retraining with ")  # said before the retrain, which may be long
    # a path read from the model file, not given by the user, is said to be the manifest's
    assert ("the data the model's manifest names" in err) == (not verify_args), err
    status, out, _ = _lrnn(capsys, "verify", "--model", "m.safetensors", *verify_args, "--json")
    assert status == 0 and json.loads(out) == {
        "bit_identical": True,
        "max_abs_difference": 0.0,
        "differs": [],
    }


@pytest.mark.parametrize("backend", ["dask", "torch"])
def test_verify_retrains_on_the_backend_the_model_names(folder, capsys, backend):
    """Dask and torch sum in their own order (the weights differ from numpy's in the last
    bits), so verify retrains on the backend the manifest records."""
    pytest.importorskip("dask.distributed" if backend == "dask" else "torch")
    model = _train(capsys, "t.csv", "--backend", backend, "--solver", "lbfgs", "--iterations", "30")
    assert model.manifest["request"]["backend"] == backend
    status, out, err = _lrnn(capsys, "verify", "--model", "m.safetensors")
    assert status == 0, (out, err)
    assert out.startswith("bit-identical")


@needs_cat
def test_verify_the_lessons_cat_model(folder, capsys):
    _train(capsys, CAT_TRAIN, "--test", CAT_TEST, "--iterations", "60")
    status, out, err = _lrnn(capsys, "verify", "--model", "m.safetensors", CAT_TRAIN)
    assert status == 0, (out, err)
    assert out.startswith("bit-identical")


def test_verify_with_a_wrong_label_blames_the_label_not_the_manifests_data(folder, capsys):
    """A --label naming a measurement was answered "give the training data's path here", though
    the path was right and the label was what to change."""
    _train(capsys, "t.csv", "--iterations", "20")
    status, _, err = _lrnn(capsys, "verify", "--model", "m.safetensors", "--label", "a")
    assert status == 2 and "label column 'a' holds" in err
    assert "named in m.safetensors's manifest" not in err


def test_verify_of_a_model_another_version_trained_names_the_version(folder, capsys):
    """A Newton model from before 0.2.0 (whose ridge changed) was "NOT the same model … the
    file was changed after training", which it was not."""
    _train(capsys, "t.csv", "--solver", "newton", "--iterations", "20")
    model = persist.load_model("m.safetensors")
    model.manifest = {**model.manifest, "lrnn_version": "0.1.0"}
    model.w = model.w + 1e-15
    persist.save_model("older.safetensors", model)
    status, out, _ = _lrnn(capsys, "verify", "--model", "older.safetensors", "t.csv")
    assert status == 1 and f"lrnn 0.1.0 trained it and this is lrnn {__version__}" in out
    # and where another record differs too, the version is the cause said, not an edit
    model.training = {**model.training, "final_cost": 0.5}
    persist.save_model("older.safetensors", model)
    status, out, _ = _lrnn(capsys, "verify", "--model", "older.safetensors", "t.csv")
    assert status == 1 and "NOT the same model" in out and "lrnn 0.1.0 trained it" in out
    assert "the file was changed after training" not in out


def test_verify_of_a_model_from_before_manifests_kept_the_request(folder, capsys):
    """Such a model (lrnn 0.1.0's first builds) was retrained without its label column ("no
    label column 'label'") and unstandardized ("its sha256 differs from the one in the
    manifest", blaming the very file it was trained on): its preprocessing says both."""
    for name, renamed in (("t.csv", "u.csv"), ("test.csv", "v.csv")):
        pd.read_csv(name).rename(columns={"label": "target"}).to_csv(renamed, index=False)
    args = ["u.csv", "--test", "v.csv", "--label", "target", "--standardize"]
    _train(capsys, *args, "--iterations", "20")
    model = persist.load_model("m.safetensors")
    old = {k: v for k, v in model.manifest.items() if k not in ("request", "test_sha256")}
    persist.save_model("old.safetensors", dataclasses.replace(model, manifest=old))
    status, out, err = _lrnn(capsys, "verify", "--model", "old.safetensors", "u.csv")
    assert status == 0 and out.startswith("bit-identical"), (out, err)


def test_verify_given_the_test_file_says_only_that_it_is_other_data(folder, capsys):
    """It warned "--test test.csv is the training data itself" (an option never given, and
    not so) above the error that the file is not the training data."""
    _train(capsys, "t.csv", "--test", "test.csv", "--iterations", "20")
    status, out, err = _lrnn(capsys, "verify", "--model", "m.safetensors", "test.csv")
    assert status == 2 and "its sha256 differs" in err
    assert "warning" not in err, err


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda m: m.w.__setitem__(2, m.w[2] + 1e-3), "1.000e-03"),
        (lambda m: setattr(m, "b", m.b - 0.25), "2.500e-01"),
        (lambda m: m.w.__setitem__(0, np.nextafter(m.w[0], np.inf)), "e-"),  # one ulp
    ],
    ids=["one weight", "the bias", "one ulp"],
)
def test_verify_reports_altered_weights(folder, capsys, change, expected):
    model = _train(capsys, "t.csv", "--iterations", "40")
    altered = persist.load_model("m.safetensors")
    altered.w = altered.w.copy()
    change(altered)
    persist.save_model("altered.safetensors", altered)
    status, out, _ = _lrnn(capsys, "verify", "--model", "altered.safetensors", "t.csv")
    assert status == 1
    assert out.startswith("NOT bit-identical: largest difference") and expected in out, out
    status, out, _ = _lrnn(capsys, "verify", "--model", "altered.safetensors", "t.csv", "--json")
    result = json.loads(out)
    assert status == 1 and result["bit_identical"] is False
    largest = max(np.max(np.abs(altered.w - model.w)), abs(altered.b - model.b))
    assert result["max_abs_difference"] == largest > 0


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda m: setattr(m, "classes", m.classes[::-1]), "classes"),
        (
            lambda m: m.preprocessing.__setitem__(
                "mean", [m.preprocessing["mean"][0] + 5, *m.preprocessing["mean"][1:]]
            ),
            "preprocessing",
        ),
        (lambda m: m.training.__setitem__("train_accuracy", 1.0), "training record"),
        (lambda m: m.training.__setitem__("test_accuracy", 1.0), "training record"),
    ],
    ids=["classes swapped", "a mean moved", "train accuracy edited", "test accuracy edited"],
)
def test_verify_finds_what_decides_predictions_besides_the_weights(folder, capsys, change, named):
    """The weights were all it compared: a file whose classes were swapped, or whose scaling
    was moved, predicted otherwise and still verified "bit-identical"."""
    _train(capsys, "t.csv", "--iterations", "40", "--standardize")
    altered = persist.load_model("m.safetensors")
    change(altered)
    persist.save_model("altered.safetensors", altered)
    status, out, _ = _lrnn(capsys, "verify", "--model", "altered.safetensors", "t.csv")
    assert status == 1
    assert out.startswith(f"NOT the same model: retraining makes other {named} (largest")
    status, out, _ = _lrnn(capsys, "verify", "--model", "altered.safetensors", "t.csv", "--json")
    assert json.loads(out)["differs"] == [named] and status == 1
    status, out, _ = _lrnn(capsys, "verify", "--model", "m.safetensors", "t.csv", "--json")
    assert json.loads(out) == {"bit_identical": True, "max_abs_difference": 0.0, "differs": []}


# --------------------------------------------------------------------------------------------
# Same weights, run after run


@pytest.mark.parametrize("solver", ["gd", "momentum", "adam", "sgd", "lbfgs", "newton"])
def test_training_twice_gives_the_same_file(folder, capsys, solver):
    args = ["t.csv", "--solver", solver, "--iterations", "30", "--seed", "11"]
    _train(capsys, *args, model="one.safetensors")
    _train(capsys, *args, model="two.safetensors")
    assert Path("one.safetensors").read_bytes() == Path("two.safetensors").read_bytes()


# --------------------------------------------------------------------------------------------
# Same weights, whatever the number of threads

THREAD_SCRIPT = textwrap.dedent(
    """
    import contextlib, hashlib, io, json, sys
    import numpy as np
    from lrnn import kernels, persist
    from lrnn.cli import main

    jobs = json.loads(sys.argv[1])
    out = {}
    for name, argv in jobs.items():
        with contextlib.redirect_stdout(io.StringIO()):
            assert main([*argv, "--no-plot", "--model", "m.safetensors"]) == 0, name
        model = persist.load_model("m.safetensors")
        out[name] = hashlib.sha256(model.w.tobytes() + np.float64(model.b).tobytes()).hexdigest()
    X = np.load("f64.npz")["X"]
    out["fused kernels used"] = bool(kernels.worthwhile(X))
    print(json.dumps(out))
    """
)


def _thread_jobs() -> dict[str, list[str]]:
    jobs = {}
    for dtype in ("f64", "f32"):
        common = [f"{dtype}.npz", "--test", f"{dtype}-test.npz", "--iterations", "25"]
        for solver in ("gd", "sgd", "adam", "lbfgs", "newton"):
            jobs[f"{dtype} {solver}"] = ["train", *common, "--solver", solver]
        jobs[f"{dtype} auto rate, alpha"] = ["train", *common, "--learning-rate", "auto"] + [
            "--alpha",
            "0.01",
        ]
    wide = ["train", "wide.npz", "--iterations", "20", "--learning-rate", "1e-7"]
    jobs["wide gd (Gram shortcut)"] = wide
    jobs["wide lbfgs (long dot products)"] = [*wide, "--solver", "lbfgs"]
    return jobs


def test_weights_do_not_depend_on_the_number_of_threads(tmp_path):
    pytest.importorskip("numba")
    rng = np.random.default_rng(12)
    w_true = rng.standard_normal(50)
    for dtype, kind in (("f64", np.float64), ("f32", np.float32)):
        X = rng.standard_normal((5000, 50)).astype(kind)  # big enough for the kernels' chunks
        y = (X @ w_true + rng.standard_normal(5000) > 0).astype(int)
        np.savez(tmp_path / f"{dtype}.npz", X=X[:4000], y=y[:4000])
        np.savez(tmp_path / f"{dtype}-test.npz", X=X[4000:], y=y[4000:])
    X = rng.integers(0, 256, (200, 12_288), dtype=np.uint8)  # the lesson's shape: wide
    np.savez(tmp_path / "wide.npz", X=X, y=rng.integers(0, 2, 200))  # no pattern: slow to fit

    jobs = json.dumps(_thread_jobs())
    results = {}
    for threads in ("1", "2"):
        env = {
            **os.environ,
            "NUMBA_NUM_THREADS": threads,
            "OMP_NUM_THREADS": threads,
            "OPENBLAS_NUM_THREADS": threads,
            "MKL_NUM_THREADS": threads,
            "PYTHONWARNINGS": "ignore",
        }
        proc = subprocess.run(
            [sys.executable, "-c", THREAD_SCRIPT, jobs],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        results[threads] = json.loads(proc.stdout.strip().splitlines()[-1])
    assert results["1"]["fused kernels used"], "the data should take the numba kernel path"
    differ = [name for name in results["1"] if results["1"][name] != results["2"][name]]
    assert not differ, f"weights change with the thread count: {differ}"


def test_verify_on_data_of_another_kind_names_the_manifests_option(folder, capsys):
    """A standardized table model verified on pictures said "drop --standardize", an option
    verify does not have: it comes from the model's manifest."""
    _train(capsys, "t.csv", "--iterations", "5", "--standardize")
    status, _, err = _lrnn(capsys, "verify", "--model", "m.safetensors", "digits")
    assert status == 2
    assert err.strip() == (
        "error: digits: m.safetensors was trained with --standardize on a table, and this is "
        "not one; verify with the data the model was trained on."
    )
    # --drop and --image-size come from the manifest too ("drop the option" was said)
    _train(capsys, "t.csv", "--iterations", "5", "--drop", "b")
    status, _, err = _lrnn(capsys, "verify", "--model", "m.safetensors", "digits")
    assert status == 2 and "m.safetensors was trained with --drop on a table, and this" in err
    from PIL import Image

    for name, shade in (("dark", 40), ("light", 200)):
        Path("pics", name).mkdir(parents=True)
        for i in range(4):
            Image.new("L", (6, 6), shade + i).save(Path("pics", name, f"{i}.png"))
    _train(capsys, "pics", "--iterations", "5", "--image-size", "4")
    status, _, err = _lrnn(capsys, "verify", "--model", "m.safetensors", "t.csv")
    assert status == 2, err
    assert "m.safetensors was trained with --image-size on pictures, and these are not;" in err


def test_verify_reads_the_test_file_again_or_says_it_could_not(folder, capsys):
    """A --test file was never read again: a test accuracy edited in the model file, or scored
    on a file replaced since, verified as "reproduces … exactly". It is now read and compared
    where it is found, and said to be unchecked where it is not, or has changed."""
    import shutil

    model = _train(capsys, "t.csv", "--test", "test.csv", "--solver", "newton")
    blob = Path("m.safetensors").read_bytes()
    score = json.dumps(model.training["test_accuracy"]).encode()
    edited = blob.replace(b'\\"test_accuracy\\": ' + score, b'\\"test_accuracy\\": 0.5', 1)
    assert edited != blob
    Path("edited.safetensors").write_bytes(edited)
    status, out, _ = _lrnn(capsys, "verify", "--model", "edited.safetensors", "--json")
    assert status == 1 and json.loads(out)["differs"] == ["training record"]
    shutil.move("test.csv", "moved.csv")
    status, out, err = _lrnn(capsys, "verify", "--model", "m.safetensors")
    assert status == 0 and out.startswith("bit-identical")
    said = "the test accuracy is not checked: test.csv, the --test data it was scored on, is "
    assert said in err
    pd.read_csv("moved.csv").iloc[:5].to_csv("test.csv", index=False)  # another file
    status, out, err = _lrnn(capsys, "verify", "--model", "m.safetensors")
    assert status == 0 and "test.csv, the --test data it was scored on, has changed since" in err
    Path("test.csv").write_text("x,y\n1,2\n")  # not the test data at all: said, not an error
    status, out, err = _lrnn(capsys, "verify", "--model", "m.safetensors")
    assert status == 0 and "test.csv cannot be read as its --test data (" in err
    # from another folder: found beside the model, compared, nothing to say
    shutil.move("moved.csv", "test.csv")
    Path("elsewhere").mkdir()
    os.chdir("elsewhere")
    status, out, err = _lrnn(capsys, "verify", "--model", "../m.safetensors", "../t.csv")
    assert status == 0 and out.startswith("bit-identical") and "not checked" not in err
    status, out, _ = _lrnn(capsys, "verify", "--model", "../edited.safetensors", "../t.csv")
    assert status == 1  # its edited test accuracy is compared from here too


def test_verify_with_another_label_column_name_is_still_the_same_model(folder, capsys):
    """verify --label names the column in the file given; comparing the preprocessing with the
    label column's name in it called the model "changed after training"."""
    _train(capsys, "t.csv", "--iterations", "5")
    Path("t2.csv").write_text(Path("t.csv").read_text().replace(",label\n", ",target\n", 1))
    status, out, _ = _lrnn(capsys, "verify", "--model", "m.safetensors", "t2.csv", "--label",
                           "target")  # fmt: skip
    assert status == 0 and out.startswith("bit-identical"), out


def test_a_cost_that_wobbles_by_its_rounding_did_not_rise():
    from lrnn.after_training import _rose

    assert not _rose([0.7, 0.5, 0.5 + 1e-17, 0.5], np.dtype(np.float64))
    assert _rose([0.7, 0.5, 0.5 + 1e-9], np.dtype(np.float64))


def test_a_resume_compares_options_as_the_checkpoint_stores_them():
    """The checkpoint's request comes back from JSON (lists); the live one held a tuple, so an
    unchanged --image-size 4x4 was named as the option that differs."""
    from lrnn.checkpoint import resume_state
    from lrnn.errors import UsageError

    request = {"data": "imgs", "image_size": (4, 4), "standardize": False}
    stored = {"source": "imgs", "n_samples": 12, "n_features": 16, "sha256": "a" * 64,
              "request": {**request, "image_size": [4, 4]}}  # fmt: skip
    now = {**stored, "sha256": "b" * 64, "request": request}
    with pytest.raises(UsageError, match="as it was then; the data has changed since"):
        resume_state("c.safetensors", {}, {"data": stored}, now)
