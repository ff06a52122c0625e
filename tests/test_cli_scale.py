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
