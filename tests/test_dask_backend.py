"""The Dask backend on a real two-process cluster, against the in-memory backend.

One ``LocalCluster`` (two worker processes, one thread each) serves the whole module. Every pass
and every solver must agree with the numpy backend to 1e-8 relative in float64 (in practice
~1e-15: the same kernels run per chunk and the partials are summed in a fixed tree).
"""

from __future__ import annotations

import socket
import sys
import time
import warnings

import numpy as np
import pytest

pytest.importorskip("dask.array", reason="Dask is not installed (pip install '.[dask]')")
distributed = pytest.importorskip(
    "distributed", reason="distributed is not installed (pip install '.[dask]')"
)

import dask  # noqa: E402
import dask.array as da  # noqa: E402

from lrnn import LogisticNeuron, objective  # noqa: E402
from lrnn.backends import make_backend  # noqa: E402
from lrnn.backends import stream_backend as blocks  # noqa: E402
from lrnn.backends.dask_backend import NEEDS_DASK, DaskBackend, connect  # noqa: E402
from lrnn.backends.numpy_backend import InMemoryBackend  # noqa: E402
from lrnn.errors import DataError, UsageError  # noqa: E402
from lrnn.train import TrainConfig, train  # noqa: E402

SOLVERS = ["gd", "momentum", "nesterov", "adam", "sgd", "lbfgs", "newton"]
RTOL = 1e-8


def rel(a, b) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(a)), 1e-300))


@pytest.fixture(scope="module")
def client():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # port/resource chatter from cluster start-up
        cluster = distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        )
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


@pytest.fixture(scope="module")
def data(breast_cancer_std):
    X, y = breast_cancer_std
    s = np.random.default_rng(0).uniform(0.5, 2.0, len(y))
    return X, y.astype(np.float64), s


def chunked(X):
    """Uneven row chunks and split columns (which the backend merges)."""
    return da.from_array(X, chunks=((100, 150, 19, 200, 100), (10, 20)))


@pytest.fixture(scope="module")
def point():
    rng = np.random.default_rng(1)
    return rng.standard_normal(30), 0.3, rng.standard_normal(30), -0.7


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_passes_match_numpy(client, data, point, weighted):
    X, y, s = data
    s = s if weighted else None
    ref = InMemoryBackend(X, y, s)
    dk = DaskBackend(chunked(X), y, s)
    assert dk.X.chunks[1] == (30,) and len(dk.X.chunks[0]) == 5
    w, b, vw, vb = point
    a, c = ref.data_pass(w, b), dk.data_pass(w, b)
    assert rel(a.loss, c.loss) < RTOL
    assert rel(a.dw, c.dw) < RTOL
    assert rel(a.db, c.db) < RTOL
    assert rel(a.accuracy, c.accuracy) < RTOL
    (hw, hb), (dw_, db_) = ref.hessp(w, b, vw, vb), dk.hessp(w, b, vw, vb)
    assert rel(hw, dw_) < RTOL and rel(hb, db_) < RTOL
    assert rel(ref.hessian(w, b), dk.hessian(w, b)) < RTOL
    assert rel(ref.lambda_max(), dk.lambda_max()) < RTOL
    assert rel(ref.logits(w, b), dk.logits(w, b)) < RTOL


@pytest.mark.parametrize("solver", SOLVERS)
def test_training_matches_numpy(client, data, solver):
    """sgd too: the Dask backend draws the in-memory backend's exact mini-batches."""
    X, y, s = data
    config = TrainConfig(
        solver=solver,
        learning_rate=0.1,
        alpha=1e-2,
        max_iter={"sgd": 2, "newton": 4}.get(solver, 8),  # a few passes: ~0.1 s each
        batch_size=64,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = train(InMemoryBackend(X, y, s), config)
        got = train(DaskBackend(chunked(X), y, s), config)
    assert got.n_iter == expected.n_iter
    assert rel(expected.w, got.w) < RTOL
    assert rel(expected.b, got.b) < RTOL
    assert rel(expected.final_cost, got.final_cost) < RTOL
    assert rel(expected.history["cost"], got.history["cost"]) < RTOL


def test_passes_are_deterministic(client, data, point):
    """A fixed reduction tree: repeated passes are bit-identical wherever tasks ran."""
    X, y, s = data
    dk = DaskBackend(chunked(X), y, s)
    w, b = point[0], point[1]
    first = dk.data_pass(w, b)
    for _ in range(2):
        again = dk.data_pass(w, b)
        assert again.loss == first.loss and np.array_equal(again.dw, first.dw)


def test_one_graph_per_pass_with_w_sent_once(data, point):
    """One compute per pass; the parameters are one task that every chunk task shares."""
    from dask.callbacks import Callback

    X, y, _ = data
    graphs: list[dict] = []

    class Count(Callback):
        def _start(self, dsk):
            graphs.append(dict(dsk))

    dk = DaskBackend(chunked(X), y, persist=False)
    with dask.config.set(scheduler="sync"), Count():
        dk.data_pass(point[0], point[1])
    assert len(graphs) == 1
    holding_w = [k for k, v in graphs[0].items() if _holds(v, point[0])]
    assert len(holding_w) == 1


def _holds(value, w) -> bool:
    inner = getattr(value, "value", value)  # a DataNode wraps a literal in newer dask
    return isinstance(inner, np.ndarray) and inner.shape == (31,) and np.array_equal(inner[:-1], w)


@pytest.mark.filterwarnings("ignore:.*before reaching the optimum")  # stopped early on purpose
def test_dataframe_input(client, data):
    import dask.dataframe as dd
    import pandas as pd

    X, y, s = data
    frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(30)])
    ddf = dd.from_pandas(frame, npartitions=4)
    labels = dd.from_pandas(pd.Series(y), npartitions=4)
    dk = make_backend(ddf, labels, backend="dask")
    assert isinstance(dk, DaskBackend)
    config = TrainConfig(solver="lbfgs", alpha=1e-2, max_iter=8)
    expected = train(InMemoryBackend(X, y), config)
    got = train(dk, config)
    assert rel(expected.w, got.w) < RTOL and rel(expected.final_cost, got.final_cost) < RTOL


def test_wide_short_data_uses_the_row_gram(client):
    """m ≤ n + 1: λmax from the m × m Gram built chunk pair by chunk pair on the workers."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((40, 100))
    y = (X[:, 0] > 0).astype(np.float64)
    s = rng.uniform(0.5, 2.0, 40)
    got = DaskBackend(da.from_array(X, chunks=(15, 100)), y, s).lambda_max()
    assert rel(InMemoryBackend(X, y, s).lambda_max(), got) < RTOL


def test_power_iteration_when_the_gram_is_too_big(monkeypatch, data):
    """Past the exact-Gram limits: the reference's power iteration, padded 2 % above λmax."""
    X, y, s = data
    exact = InMemoryBackend(X, y, s).lambda_max()
    monkeypatch.setattr(objective, "EXACT_CURVATURE_WORK", 0)
    with dask.config.set(scheduler="sync"):
        estimate = DaskBackend(chunked(X), y, s, persist=False).lambda_max()
    streamed = blocks.StreamingBackend(X, y, s, block_rows=100).lambda_max()
    assert exact <= estimate <= 1.03 * exact
    assert rel(streamed, estimate) < 1e-12


def test_labels_are_rechunked_to_x(client, data):
    X, y, _ = data
    dk = DaskBackend(chunked(X), da.from_array(y, chunks=50))
    assert dk.y.chunks == dk.X.chunks[:1]
    assert (
        rel(
            InMemoryBackend(X, y).data_pass(np.ones(30), 0.0).loss,
            dk.data_pass(np.ones(30), 0.0).loss,
        )
        < RTOL
    )


def test_a_dask_array_of_sparse_chunks_is_refused_by_the_estimator(data):
    """It was taken: lbfgs trained, Newton failed in a matmul inside, a softmax layer's
    predict_proba raised IndexError."""
    import scipy.sparse as sp

    X, y, _ = data
    sparse_chunks = da.from_array(sp.csr_matrix(X), chunks=100, asarray=False)
    said = r"X is a dask array of sparse chunks \(csr_matrix\).*X.compute\(\)"
    with pytest.raises(ValueError, match=said):
        LogisticNeuron(solver="newton").fit(sparse_chunks, y)
    fitted = LogisticNeuron(solver="newton", alpha=1e-2).fit(X, y)
    with pytest.raises(ValueError, match=said):
        fitted.predict_proba(sparse_chunks)


def test_bad_inputs_say_what_to_do(data):
    X, y, _ = data
    unknown = da.from_array(X, chunks=(100, 30))
    unknown = unknown[unknown[:, 0] > -100]  # boolean filter: row counts unknown (NaN)
    with pytest.raises(DataError, match=r"compute_chunk_sizes\(\)"):
        DaskBackend(unknown, y, persist=False)
    with pytest.raises(DataError, match="y has 10 values but X has 569 rows"):
        DaskBackend(chunked(X), da.from_array(y[:10]), persist=False)
    with pytest.raises(DataError, match="y has 10 values but X has 569 rows"):
        DaskBackend(chunked(X), y[:10], persist=False)
    with pytest.raises(DataError, match="2-D"):
        DaskBackend(da.from_array(X[:, 0]), y, persist=False)
    with pytest.raises(DataError, match="not numbers"):
        DaskBackend(da.from_array(X.astype(str)), y, persist=False)
    Xn = X.copy()
    Xn[300, 4] = np.nan
    # by its place in X: a chunk's task knows only "a block of 100 rows"
    said = r"^X holds nan at row 300, column 4 \(counting from 0\); impute or drop that row"
    with dask.config.set(scheduler="sync"), pytest.raises(DataError, match=said):
        DaskBackend(chunked(Xn), y, persist=False).data_pass(np.zeros(30), 0.0)
    weights = np.ones(len(y))
    weights[77] = np.inf
    with dask.config.set(scheduler="sync"), pytest.raises(DataError, match="^sample_weight hol"):
        DaskBackend(chunked(X), y, da.from_array(weights), persist=False).data_pass(np.zeros(30), 0)


def test_connect_to_a_silent_address_fails_in_one_line():
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    start = time.monotonic()
    with pytest.raises(UsageError) as info:
        connect(address, timeout=2)
    assert time.monotonic() - start < 2 + 5  # the timeout, plus slack for a busy machine
    message = str(info.value)
    assert address in message and "\n" not in message and "dask scheduler" in message


def test_missing_dask_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "dask", None)
    monkeypatch.setitem(sys.modules, "dask.array", None)
    with pytest.raises(UsageError) as info:
        make_backend(np.ones((3, 2)), np.array([0.0, 1.0, 1.0]), backend="dask")
    assert str(info.value) == NEEDS_DASK


@pytest.mark.filterwarnings("ignore:.*before reaching the optimum")  # stopped early on purpose
def test_estimator_on_dask(client, data):
    """LogisticNeuron with dask input: auto-selected backend, every option honoured."""
    from lrnn import LogisticNeuron

    X, y, s = data
    Xd = chunked(X)
    kwargs = {
        "solver": "newton",
        "alpha": 1e-2,
        "max_iter": 4,
        "tol": 0,
        "class_weight": "balanced",
    }
    expected = LogisticNeuron(**kwargs).fit(X, y, sample_weight=s)
    est = LogisticNeuron(**kwargs).fit(Xd, da.from_array(y, chunks=100), sample_weight=s)
    assert est.n_features_in_ == 30
    assert rel(expected.coef_, est.coef_) < RTOL
    assert rel(expected.predict_proba(X), est.predict_proba(Xd)) < RTOL
    assert np.array_equal(expected.predict(X), est.predict(Xd))

    # early stopping holds out the same stratified rows, lazily, and validates on the cluster
    kwargs = {"solver": "gd", "learning_rate": 0.5, "max_iter": 10, "early_stopping": True}
    kwargs |= {"n_iter_no_change": 2, "validation_fraction": 0.2, "tol": 0.0}
    expected = LogisticNeuron(**kwargs).fit(X, y)
    est = LogisticNeuron(**kwargs).fit(Xd, y)
    assert est.n_iter_ == expected.n_iter_
    assert rel(expected.history_["val_loss"], est.history_["val_loss"]) < RTOL

    # numpy X, backend="dask": wrapped and trained on the cluster
    est = LogisticNeuron(solver="lbfgs", alpha=1e-2, max_iter=5, tol=0, backend="dask").fit(X, y)
    assert est.result_.solver == "lbfgs"
    with pytest.raises(ValueError, match="expecting 30 features"):
        est.predict(Xd[:, :5])


def test_a_dask_dataframes_column_names_are_checked_at_predict_time():
    """As for pandas: names kept at fit, columns in another order or other names refused, and
    a model fitted without names warns when given them (no probabilities from shuffled
    columns)."""
    import pandas as pd
    from dask import dataframe as dd
    from sklearn.datasets import load_breast_cancer

    from lrnn import LogisticNeuron

    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X = (X - X.mean()) / X.std()
    model = LogisticNeuron(solver="lbfgs", alpha=1e-2).fit(dd.from_pandas(X, npartitions=2), y)
    assert list(model.feature_names_in_) == list(X.columns)
    np.testing.assert_allclose(
        model.predict_proba(dd.from_pandas(X, npartitions=2)), model.predict_proba(X), atol=1e-12
    )
    for other in (X[X.columns[::-1]], X.rename(columns={"mean radius": "radius"})):
        with pytest.raises(ValueError, match="feature names should match"):
            model.predict_proba(dd.from_pandas(other, npartitions=2))
    unnamed = LogisticNeuron(solver="lbfgs", alpha=1e-2).fit(X.to_numpy(), y)
    with pytest.warns(UserWarning, match="X has feature names"):
        unnamed.predict(dd.from_pandas(pd.DataFrame(X), npartitions=2))


def test_unknown_chunk_sizes_are_named_with_the_fix():
    from lrnn import LogisticNeuron

    X = da.from_array(np.random.default_rng(0).standard_normal((100, 3)), chunks=50)
    with pytest.raises(ValueError, match=r"chunk sizes are unknown.*X\.compute_chunk_sizes\(\)"):
        LogisticNeuron().fit(X[X[:, 0] > -100], np.arange(100) % 2)


def test_x_is_kept_on_the_workers_only_where_it_fits_in_their_free_memory(monkeypatch):
    """X was persisted on any cluster: larger than the workers' memory, they restarted without
    end and the fit never finished. It is kept there where it takes at most half of what the
    workers have free (their limits less what their processes hold), else computed again from
    its source on each pass, and said; with no limit known, it is kept, as before."""
    from lrnn.backends import dask_backend

    class Cluster:
        def __init__(self, limit, used):
            self.workers = {
                f"w{i}": {"memory_limit": limit, "metrics": {"memory": used}} for i in range(2)
            }

        def scheduler_info(self):
            return {"workers": self.workers}

    X = da.zeros((1000, 100), chunks=(250, 100))  # 800,000 bytes
    for limit, used, kept in ((10**6, 0, True), (10**6, 5 * 10**5, False), (0, 0, True)):
        cluster = Cluster(limit, used)
        monkeypatch.setattr(dask_backend, "_active_client", lambda cluster=cluster: cluster)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert dask_backend._keeps_on_the_workers(X) is kept
        said = [str(w.message) for w in caught]
        assert all(w.filename == __file__ for w in caught)  # the caller's line, not lrnn's
        assert said == ([] if kept else [
            "X takes 1 MiB, more than 50% of the memory the workers have free (1 MiB), so it is "
            "not kept on them: each pass computes its chunks again from their source (slower); "
            "add workers or memory to keep it there."
        ])  # fmt: skip
    monkeypatch.setattr(dask_backend, "_active_client", lambda: None)
    assert dask_backend._keeps_on_the_workers(X) is False  # no cluster: nothing to keep it on
