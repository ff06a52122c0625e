"""The softmax layer (K = 10) on every backend agrees with the in-memory numpy reference.

Streaming (a block of rows at a time), Dask on a real two-process LocalCluster, and torch on
the CPU: each pass and each solver must match numpy to 1e-8 relative in float64.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.preprocessing import StandardScaler

from lrnn.backends import make_backend
from lrnn.backends.softmax_backend import SoftmaxBackend
from lrnn.backends.softmax_blocks import StreamingSoftmaxBackend
from lrnn.train import TrainConfig, train

RTOL = 1e-8


def rel(a, b) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(a)), 1e-300))


@pytest.fixture(scope="module")
def data():
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)[:600]
    s = np.random.default_rng(0).uniform(0.5, 2.0, 600)
    return X, y[:600], s


@pytest.fixture(scope="module")
def point():
    rng = np.random.default_rng(1)
    return (
        0.2 * rng.standard_normal((64, 10)),
        0.1 * rng.standard_normal(10),
        rng.standard_normal((64, 10)),
        rng.standard_normal(10),
    )


def _compare(backend, reference, point):
    W, b, VW, vb = point
    got, ref = backend.data_pass(W, b), reference.data_pass(W, b)
    assert rel(got.loss, ref.loss) < RTOL and rel(got.accuracy, ref.accuracy) < RTOL
    assert rel(got.dw, ref.dw) < RTOL and rel(got.db, ref.db) < RTOL
    for g, r in zip(backend.hessp(W, b, VW, vb), reference.hessp(W, b, VW, vb), strict=True):
        assert rel(g, r) < RTOL
    assert rel(backend.logits(W, b), reference.logits(W, b)) < RTOL
    assert rel(backend.lambda_max(), reference.lambda_max()) < RTOL
    for solver in ("gd", "sgd", "lbfgs", "newton"):
        config = TrainConfig(solver=solver, alpha=1e-2, max_iter=5, learning_rate="auto")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            a, b_ = train(backend, config), train(reference, config)
        assert rel(a.w, b_.w) < RTOL and rel(a.b, b_.b) < RTOL, solver


def _small_hessian(backend, reference, point):
    W, b = point[0][:, :3], point[1][:3]
    assert rel(backend.hessian(W, b), reference.hessian(W, b)) < RTOL


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_streaming_matches_numpy(data, point, weighted):
    X, y, s = data
    s = s if weighted else None
    stream = StreamingSoftmaxBackend(X, y, 10, s, block_rows=97)
    _compare(stream, SoftmaxBackend(X, y, 10, s), point)
    y3 = y % 3
    _small_hessian(
        StreamingSoftmaxBackend(X, y3, 3, s, block_rows=97), SoftmaxBackend(X, y3, 3, s), point
    )


def test_dask_local_cluster_matches_numpy(data, point):
    pytest.importorskip("dask.array")
    distributed = pytest.importorskip("distributed")
    import dask.array as da

    X, y, s = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cluster = distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        )
    with cluster, distributed.Client(cluster):
        Xd = da.from_array(X, chunks=((100, 250, 250), (64,)))
        backend = make_backend(Xd, y, s, n_classes=10)
        assert backend.name == "dask"
        _compare(backend, SoftmaxBackend(X, y, 10, s), point)
        y3 = y % 3
        _small_hessian(make_backend(Xd, y3, s, n_classes=3), SoftmaxBackend(X, y3, 3, s), point)


def test_torch_cpu_matches_numpy(data, point):
    torch = pytest.importorskip("torch")
    X, y, s = data
    backend = make_backend(torch.from_numpy(X), y, s, n_classes=10)
    assert backend.name == "torch"
    _compare(backend, SoftmaxBackend(X, y, 10, s), point)
    pixels = load_digits().data[:600].astype(np.uint8)  # uint8 widened block by block
    t8 = make_backend(torch.from_numpy(pixels), y, n_classes=10, scale=1 / 16)
    ref8 = SoftmaxBackend(pixels, y, 10, scale=1 / 16)
    W, b = point[0], point[1]
    assert rel(t8.data_pass(W, b).dw, ref8.data_pass(W, b).dw) < RTOL
