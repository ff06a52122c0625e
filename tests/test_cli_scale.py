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
