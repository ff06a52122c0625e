"""Scaling out from the command line: streamed files and a Dask scheduler."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from lrnn import persist
from tests.cli_helpers import assert_clean_failure, run, snapshot


@pytest.fixture
def stored(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3000, 12))
    y = (X[:, 0] - X[:, 1] + 0.5 * rng.standard_normal(3000) > 0).astype(np.int64)
    npy = tmp_path / "npy"
    npy.mkdir()
    np.save(npy / "X.npy", X)
    np.save(npy / "y.npy", y)
    parquet = tmp_path / "parquet"
    parquet.mkdir()
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(12)]).assign(label=y)
    for k in range(3):
        frame.iloc[k * 1000 : (k + 1) * 1000].to_parquet(parquet / f"part-{k}.parquet")
    return X, y, npy, parquet


def _train_json(args, cwd):
    proc = run(["train", *args, "--no-plot", "--json"], cwd)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])


def test_streamed_npy_and_parquet_match_in_memory_training(tmp_path, stored):
    X, y, npy, parquet = stored
    options = ["--solver", "newton", "--alpha", "1e-3"]
    streamed = _train_json([npy, *options, "--model", "a.safetensors"], tmp_path)
    from_parquet = _train_json([parquet, *options, "--model", "b.safetensors"], tmp_path)
    np.savez(tmp_path / "same.npz", X=X, y=y)
    in_memory = _train_json(
        [
            tmp_path / "same.npz",
            *options,
            "--model",
            "c.safetensors",
            "--test",
            tmp_path / "same.npz",
        ],
        tmp_path,
    )
    a = persist.load_model(tmp_path / "a.safetensors")
    b = persist.load_model(tmp_path / "b.safetensors")
    np.testing.assert_allclose(a.w, b.w, rtol=1e-10)
    assert streamed["final_cost"] == pytest.approx(from_parquet["final_cost"], rel=1e-12)
    # the in-memory run trains on the whole file too (its --test is the same file)
    c = persist.load_model(tmp_path / "c.safetensors")
    np.testing.assert_allclose(a.w, c.w, rtol=1e-8)
    assert b.feature_names == [f"f{i}" for i in range(12)]
    assert a.manifest["data_sha256"] == c.manifest["data_sha256"]
    assert streamed["test_accuracy"] is None
    assert in_memory["final_cost"] == pytest.approx(streamed["final_cost"], rel=1e-10)


def test_streaming_refuses_options_it_cannot_honour(tmp_path, stored):
    _, _, npy, _ = stored
    before = snapshot(tmp_path)
    for extra, needle in [
        (["--early-stopping"], "--early-stopping"),
        (["--report"], "--report"),
        (["--class-weight", "balanced"], "--class-weight"),
    ]:
        proc = run(["train", npy, *extra], tmp_path)
        assert_clean_failure(proc, (2,), needle)
    assert snapshot(tmp_path) == before


def test_streamed_labels_of_three_classes_train_a_softmax_layer(tmp_path):
    """Any stored labels are classes: three of them stream into a softmax layer whose optimum
    is the in-memory one; test labels are matched to the training classes by name."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((600, 5))
    y = np.array(["ant", "bee", "cat"])[
        np.argmax(X[:, :3] + 0.3 * rng.standard_normal((600, 3)), 1)
    ]
    for name, rows in (("train", slice(0, 400)), ("test", slice(400, None))):
        (tmp_path / name).mkdir()
        np.save(tmp_path / name / "X.npy", X[rows])
        np.save(tmp_path / name / "y.npy", y[rows])
    options = ["--solver", "newton", "--alpha", "1e-2"]
    streamed = _train_json(
        [tmp_path / "train", "--test", tmp_path / "test", *options, "--model", "s.safetensors"],
        tmp_path,
    )
    np.savez(tmp_path / "train.npz", X=X[:400], y=y[:400])
    np.savez(tmp_path / "test.npz", X=X[400:], y=y[400:])
    in_memory = _train_json(
        [
            tmp_path / "train.npz",
            "--test",
            tmp_path / "test.npz",
            *options,
            "--model",
            "m.safetensors",
        ],
        tmp_path,
    )
    s = persist.load_model(tmp_path / "s.safetensors")
    m = persist.load_model(tmp_path / "m.safetensors")
    assert tuple(s.classes) == tuple(m.classes) == ("ant", "bee", "cat")
    assert np.asarray(s.w).shape == (5, 3)
    np.testing.assert_allclose(s.w, m.w, rtol=1e-8, atol=1e-10)
    assert streamed["final_cost"] == pytest.approx(in_memory["final_cost"], rel=1e-10)
    assert streamed["test_accuracy"] == pytest.approx(in_memory["test_accuracy"])
    assert streamed["test_accuracy"] > 0.8

    (tmp_path / "odd").mkdir()
    np.save(tmp_path / "odd" / "X.npy", X[:50])
    np.save(tmp_path / "odd" / "y.npy", np.array(["ant", "dog"] * 25))
    before = snapshot(tmp_path)
    proc = run(["train", tmp_path / "train", "--test", tmp_path / "odd", "--no-plot"], tmp_path)
    assert_clean_failure(proc, (2,), "differ from the training data's")
    assert snapshot(tmp_path) == before


@pytest.mark.slow
def test_train_on_a_running_dask_scheduler(tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        options = [
            "breast_cancer",
            "--standardize",
            "--solver",
            "lbfgs",
            "--alpha",
            "1e-3",
            "--iterations",
            "100",
        ]
        on_dask = _train_json(
            [
                *options,
                "--backend",
                "dask",
                "--scheduler",
                cluster.scheduler_address,
                "--model",
                "d.safetensors",
            ],
            tmp_path,
        )
    local = _train_json([*options, "--model", "l.safetensors"], tmp_path)
    assert on_dask["final_cost"] == pytest.approx(local["final_cost"], rel=1e-8)


def test_a_scheduler_that_does_not_answer_is_one_clean_line(tmp_path):
    pytest.importorskip("distributed")
    before = snapshot(tmp_path)
    proc = run(
        ["train", "breast_cancer", "--backend", "dask", "--scheduler", "tcp://127.0.0.1:9"],
        tmp_path,
        timeout=120,
    )
    assert_clean_failure(proc, (1, 2), "127.0.0.1:9")
    assert snapshot(tmp_path) == before


def test_the_header_says_where_the_passes_run():
    """The first line of lrnn train names a Dask cluster, torch's device or streaming (the
    in-memory default says nothing)."""
    from types import SimpleNamespace

    from lrnn.cli.train_lines import _where

    assert _where(SimpleNamespace(name="numpy")) == ""
    assert _where(SimpleNamespace(name="dask")) == "; on Dask"
    assert _where(SimpleNamespace(name="torch", device="cuda:0")) == "; on torch (cuda:0)"
    assert _where(SimpleNamespace(name="stream")) == "; streamed from disk"
    assert _where(SimpleNamespace(name="stream"), "float64, streamed from disk") == ""  # once


def test_the_header_names_the_validation_set(tmp_path):
    from tests.cli_helpers import run

    proc = run(["train", "breast_cancer", "--standardize", "--early-stopping", "--no-plot"],
               tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    first = proc.stdout.splitlines()[0]
    assert "; validation: " in first and "examples held out of builtin:breast_cancer" in first


def test_a_streamed_model_and_a_text_column_model_keep_their_label_column(tmp_path):
    """evaluate reads the model's label column by default, also for models trained by
    streaming a Parquet folder or from a table's text column (they once recorded none)."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((400, 3))
    frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(kind=(X[:, 0] > 0).astype(int))
    (tmp_path / "parts").mkdir()
    frame.iloc[:300].to_parquet(tmp_path / "parts" / "p0.parquet")
    frame.iloc[300:].to_parquet(tmp_path / "test.parquet")
    _train_json(["parts", "--label", "kind", "--solver", "newton", "--model", "s.safetensors"],
                tmp_path)  # fmt: skip
    docs = pd.DataFrame(
        {"body": ["good fine film", "bad dull film"] * 20, "mood": ["up", "down"] * 20}
    )
    docs.to_csv(tmp_path / "docs.csv", index=False)
    text_args = ["docs.csv", "--text-column", "body", "--label", "mood", "--min-df", "1"]
    _train_json([*text_args, "--model", "t.safetensors"], tmp_path)
    for model, data in (("s.safetensors", "test.parquet"), ("t.safetensors", "docs.csv")):
        evaluated = run(["evaluate", "--model", model, data], tmp_path)
        assert evaluated.returncode == 0, evaluated.stderr
        assert "accuracy:" in evaluated.stdout


def _evaluate_json(args, cwd):
    proc = run(["evaluate", *args, "--json"], cwd)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout), proc.stderr


def _predictions(args, cwd):
    proc = run(["predict", *args], cwd)
    assert proc.returncode == 0, proc.stderr
    return [line.split("\t") for line in proc.stdout.splitlines()[1:]]


def test_evaluate_and_predict_read_a_parquet_folder_a_block_at_a_time(tmp_path, stored):
    """A model trained on a Parquet folder is scored on such a folder (it was refused: "give
    one .parquet file", which is then read whole): the same scores as the one file, and the
    warning that these are its training rows, told from the rows as they stream by."""
    X, y, _, parquet = stored
    _train_json([parquet, "--solver", "newton", "--model", "p.safetensors"], tmp_path)
    frame = pd.read_parquet(parquet)
    frame.to_parquet(tmp_path / "whole.parquet")
    folder, said = _evaluate_json(["--model", "p.safetensors", parquet], tmp_path)
    whole, _ = _evaluate_json(["--model", "p.safetensors", tmp_path / "whole.parquet"], tmp_path)
    assert folder["n"] == 3000
    for key in ("accuracy", "confusion", "roc_auc"):
        assert folder[key] == whole[key]
    assert folder["log_loss"] == pytest.approx(whole["log_loss"], rel=1e-12)
    assert "trained on these very examples" in said

    # to predict on: no label column, the columns in another order, one column more
    unlabelled = tmp_path / "new"
    unlabelled.mkdir()
    shuffled = frame.drop(columns="label")[[f"f{i}" for i in reversed(range(12))]]
    for k in range(2):
        part = shuffled.iloc[k * 1500 : (k + 1) * 1500].assign(note=1.0)
        part.to_parquet(unlabelled / f"part-{k}.parquet")
    streamed = _predictions(["--model", "p.safetensors", unlabelled], tmp_path)
    frame.drop(columns="label").to_csv(tmp_path / "new.csv", index=False)
    in_memory = _predictions(["--model", "p.safetensors", tmp_path / "new.csv"], tmp_path)
    assert len(streamed) == 3000 and streamed[1500][0] == "row 1501"
    assert streamed == in_memory
    # labels predict does not read: blank in one file, absent from another
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    frame.iloc[:1500].assign(label=np.nan).to_parquet(mixed / "part-0.parquet")
    frame.iloc[1500:].drop(columns="label").to_parquet(mixed / "part-1.parquet")
    assert _predictions(["--model", "p.safetensors", mixed], tmp_path) == in_memory

    (tmp_path / "narrow").mkdir()
    frame.drop(columns="f3").to_parquet(tmp_path / "narrow" / "a.parquet")
    proc = run(["evaluate", "--model", "p.safetensors", tmp_path / "narrow"], tmp_path)
    assert_clean_failure(proc, (1, 2), "has no column 'f3', which the model was trained on")


def test_a_standardized_table_model_scores_a_parquet_folder_as_its_csv(tmp_path, monkeypatch):
    """The model's mean and std apply to every block; blocks of a few rows (the block size
    made tiny) give the scores of the whole table."""
    from argparse import Namespace

    from lrnn.cli.scoring import _scored

    rng = np.random.default_rng(3)
    frame = pd.DataFrame(rng.normal(50, 10, (300, 4)), columns=list("abcd"))
    frame["label"] = np.where(frame.a - frame.b + rng.normal(0, 5, 300) > 0, "yes", "no")
    frame.to_csv(tmp_path / "t.csv", index=False)
    (tmp_path / "parts").mkdir()
    for k in range(3):
        frame.iloc[k * 100 : (k + 1) * 100].to_parquet(tmp_path / "parts" / f"{k}.parquet")
    proc = run(["train", "t.csv", "--standardize", "--solver", "newton", "--no-plot"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    model = persist.load_model(tmp_path / "lrnn-model.safetensors")
    from lrnn.data import Preprocessing

    spec = Preprocessing.from_dict(model.preprocessing)
    monkeypatch.setattr("lrnn.data.sources.BLOCK_BYTES", 4 * 8 * 7)  # 7 rows a block
    args = Namespace(data=str(tmp_path / "parts"), label=None)
    ds, z, digest = _scored(args, model, spec)
    whole_args = Namespace(data=str(tmp_path / "t.csv"), label=None)
    whole, z_whole, _ = _scored(whole_args, model, spec)
    np.testing.assert_array_equal(ds.y, whole.y)
    np.testing.assert_allclose(z, z_whole, rtol=1e-12)
    assert ds.classes == ("no", "yes") and digest is not None


def test_evaluate_streams_a_zarr_store_of_three_classes(tmp_path):
    from tests.test_stream_backend import write_zarr

    rng = np.random.default_rng(2)
    X = rng.standard_normal((500, 4)).astype(np.float32)
    y = np.array(["ant", "bee", "cat"])[np.argmax(X[:, :3], 1)]
    write_zarr(tmp_path / "train.zarr", X[:400], y[:400])
    write_zarr(tmp_path / "test.zarr", X[400:], y[400:])
    _train_json(["train.zarr", "--solver", "newton", "--model", "z.safetensors"], tmp_path)
    streamed, said = _evaluate_json(["--model", "z.safetensors", "test.zarr"], tmp_path)
    np.savez(tmp_path / "test.npz", X=X[400:], y=y[400:])
    in_memory, _ = _evaluate_json(["--model", "z.safetensors", "test.npz"], tmp_path)
    assert streamed["n"] == 100 and streamed["accuracy"] > 0.8
    assert streamed["confusion_matrix"] == in_memory["confusion_matrix"]
    assert streamed["log_loss"] == pytest.approx(in_memory["log_loss"], rel=1e-6)
    assert "trained on" not in said
    trained_on, said = _evaluate_json(["--model", "z.safetensors", "train.zarr"], tmp_path)
    assert "trained on these very examples" in said
