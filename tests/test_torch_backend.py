"""The PyTorch backend against the numpy reference: every pass and every solver, in float64.

Skipped (with the reason) where PyTorch is not installed, except the test that a missing
PyTorch gives the install hint, which runs everywhere.
"""

from __future__ import annotations

import importlib.util
import sys
import warnings

import numpy as np
import pytest

from lrnn.backends import make_backend
from lrnn.backends.numpy_backend import InMemoryBackend
from lrnn.backends.torch_backend import TorchBackend  # imports torch only when built
from lrnn.errors import DataError, UsageError
from lrnn.train import TrainConfig, train

HAVE_TORCH = importlib.util.find_spec("torch") is not None
needs_torch = pytest.mark.skipif(
    not HAVE_TORCH, reason="PyTorch is not installed (pip install torch==2.13.0)"
)
SOLVERS = ["gd", "momentum", "nesterov", "adam", "sgd", "lbfgs", "newton"]
RTOL = 1e-10


def rel(a, b) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(a)), 1e-300))


@pytest.fixture(scope="module")
def data(breast_cancer_std):
    X, y = breast_cancer_std
    s = np.random.default_rng(0).uniform(0.5, 2.0, len(y))
    return X, y.astype(np.float64), s


@pytest.fixture(scope="module")
def point():
    rng = np.random.default_rng(1)
    return rng.standard_normal(30), 0.3, rng.standard_normal(30), -0.7


def test_missing_torch_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    with pytest.raises(UsageError) as info:
        make_backend(np.ones((3, 2)), np.array([0.0, 1.0, 1.0]), backend="torch")
    assert str(info.value) == (
        "backend='torch' needs PyTorch: install it with pip install torch==2.13.0 (lrnn's "
        "'torch' extra)"
    )


@needs_torch
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_passes_match_numpy(data, point, weighted):
    import torch

    X, y, s = data
    s = s if weighted else None
    ref = InMemoryBackend(X, y, s)
    tb = TorchBackend(torch.from_numpy(X), torch.from_numpy(y), s)
    w, b, vw, vb = point
    a, c = ref.data_pass(w, b), tb.data_pass(w, b)
    assert rel(a.loss, c.loss) < RTOL
    assert rel(a.dw, c.dw) < RTOL
    assert rel(a.db, c.db) < RTOL
    assert rel(a.accuracy, c.accuracy) < RTOL  # weighted hits: sums in another order
    (hw, hb), (tw, tb_) = ref.hessp(w, b, vw, vb), tb.hessp(w, b, vw, vb)
    assert rel(hw, tw) < RTOL and rel(hb, tb_) < RTOL
    assert rel(ref.hessian(w, b), tb.hessian(w, b)) < RTOL
    assert rel(ref.lambda_max(), tb.lambda_max()) < RTOL
    assert rel(ref.logits(w, b), tb.logits(w, b)) < RTOL


@needs_torch
@pytest.mark.parametrize("solver", SOLVERS)
def test_training_matches_numpy(data, solver):
    """Same trajectory: lbfgs is cut before its (rounding-decided) termination at the optimum."""
    import torch

    X, y, s = data
    config = TrainConfig(
        solver=solver,
        learning_rate=0.1,
        alpha=1e-2,
        max_iter=15 if solver in ("lbfgs", "sgd") else 25,
        batch_size=64,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = train(InMemoryBackend(X, y, s), config)
        got = train(TorchBackend(torch.from_numpy(X), y, torch.from_numpy(s)), config)
    assert got.n_iter == expected.n_iter
    assert rel(expected.w, got.w) < RTOL
    assert rel(expected.b, got.b) < RTOL
    assert rel(expected.final_cost, got.final_cost) < RTOL
    assert rel(expected.history["cost"], got.history["cost"]) < RTOL


@needs_torch
def test_uint8_pixels_fold_the_scale(point):
    """uint8 stays uint8 on the device; widened a block at a time, same numbers as numpy."""
    import torch

    rng = np.random.default_rng(2)
    X = rng.integers(0, 256, (300, 30), dtype=np.uint8)
    y = (X[:, 0] > 128).astype(np.float64)
    ref = InMemoryBackend(X, y, None, 1 / 255)
    tb = TorchBackend(torch.from_numpy(X), y, None, 1 / 255, block_bytes=4096)
    assert tb.X.dtype == torch.uint8 and tb.dtype == np.float64
    w, b, vw, vb = point
    a, c = ref.data_pass(w, b), tb.data_pass(w, b)
    assert rel(a.loss, c.loss) < RTOL and rel(a.dw, c.dw) < RTOL
    assert rel(ref.hessp(w, b, vw, vb)[0], tb.hessp(w, b, vw, vb)[0]) < RTOL
    assert rel(ref.lambda_max(), tb.lambda_max()) < RTOL


@needs_torch
def test_float32_trains_in_float32(data, point):
    import torch

    X, y, _ = data
    X32 = X.astype(np.float32)
    tb = TorchBackend(torch.from_numpy(X32), y)
    assert tb.dtype == np.float32
    w = point[0].astype(np.float32)
    got, expected = tb.data_pass(w, 0.1), InMemoryBackend(X32, y).data_pass(w, 0.1)
    assert got.dw.dtype == np.float32
    assert rel(expected.loss, got.loss) < 1e-6 and rel(expected.dw, got.dw) < 1e-5


@needs_torch
def test_auto_picks_torch_for_a_tensor(data):
    import torch

    X, y, _ = data
    assert isinstance(make_backend(torch.from_numpy(X), y), TorchBackend)


@needs_torch
def test_bad_inputs_say_what_to_do(data):
    import torch

    X, y, _ = data
    with pytest.raises(DataError, match="y has 10 values, but X has 569 rows"):
        TorchBackend(torch.from_numpy(X), y[:10])
    with pytest.raises(DataError, match="2-D"):
        TorchBackend(torch.from_numpy(X[:, 0]), y)
    Xn = X.copy()
    Xn[5, 3] = np.nan
    said = r"^X holds nan at row 5, column 3 \(counting from 0\); impute or drop that row"
    with pytest.raises(DataError, match=said):
        TorchBackend(torch.from_numpy(Xn), y).data_pass(np.zeros(30), 0.0)
    with pytest.raises(DataError, match=said):  # sparse: the stored value's place
        TorchBackend(torch.from_numpy(Xn).to_sparse_csr(), y).data_pass(np.zeros(30), 0.0)
    # early stopping trains on a part of X: the row named is still X's own (it was the part's)
    from lrnn import LogisticNeuron

    Xn[5, 3], Xn[400, 7] = 0.0, np.nan
    with pytest.raises(DataError, match=r"^X holds nan at row 400, column 7 \(counting from 0"):
        LogisticNeuron(solver="lbfgs", early_stopping=True).fit(torch.from_numpy(Xn), y)
    if not torch.cuda.is_available():
        with pytest.raises(UsageError, match="no CUDA device"):
            TorchBackend(torch.from_numpy(X), y, device="cuda")


@needs_torch
def test_estimator_takes_tensors(data):
    """LogisticNeuron on tensors: the same model as on numpy, predictions from the device."""
    import torch

    from lrnn import LogisticNeuron

    X, y, s = data
    kwargs = {"solver": "newton", "alpha": 1e-2, "max_iter": 20}
    expected = LogisticNeuron(**kwargs).fit(X, y, sample_weight=s)
    est = LogisticNeuron(**kwargs).fit(
        torch.from_numpy(X), torch.from_numpy(y), sample_weight=torch.from_numpy(s)
    )
    assert rel(expected.coef_, est.coef_) < 1e-8
    proba = est.predict_proba(torch.from_numpy(X))
    assert rel(expected.predict_proba(X), proba) < 1e-8
    with pytest.raises(ValueError, match="expecting 30 features"):
        est.predict(torch.from_numpy(X[:, :5]))


@needs_torch
@pytest.mark.parametrize("layout", ["coo", "csr"])
@pytest.mark.filterwarnings("ignore:Sparse CSR tensor support is in beta")
def test_sparse_tensors_train_as_their_dense_copies(data, layout):
    import torch

    from lrnn import LogisticNeuron

    X, y, _ = data
    dense = torch.tensor(X)
    tensor = dense.to_sparse() if layout == "coo" else dense.to_sparse_csr()
    sparse_fit = LogisticNeuron(solver="lbfgs", alpha=1e-2, tol=1e-8).fit(tensor, y)
    dense_fit = LogisticNeuron(solver="lbfgs", alpha=1e-2, tol=1e-8).fit(dense, y)
    assert rel(sparse_fit.coef_, dense_fit.coef_) < RTOL
    np.testing.assert_allclose(sparse_fit.predict_proba(tensor), dense_fit.predict_proba(dense))


@needs_torch
@pytest.mark.parametrize("layout", ["coo", "csr"])
@pytest.mark.filterwarnings("ignore:Sparse CSR tensor support is in beta")
def test_a_sparse_tensor_trains_in_memory_when_the_numpy_backend_is_asked_for(data, layout):
    """backend="numpy" with a sparse tensor raised torch's "can't convert Sparse layout tensor
    to numpy. Use Tensor.to_dense() first" — the dense copy sparse input avoids."""
    import torch

    from lrnn import LogisticNeuron

    X, y, _ = data
    dense = torch.tensor(X)
    tensor = dense.to_sparse() if layout == "coo" else dense.to_sparse_csr()
    asked = LogisticNeuron(backend="numpy", solver="newton", alpha=1e-2).fit(tensor, y)
    plain = LogisticNeuron(solver="newton", alpha=1e-2).fit(X, y)
    assert rel(asked.coef_, plain.coef_) < 1e-10


@needs_torch
@pytest.mark.parametrize("classes", [2, 3])
@pytest.mark.parametrize("layout", ["coo", "csr"])
@pytest.mark.filterwarnings("ignore:Sparse CSR tensor support is in beta")
def test_sparse_tensors_train_as_their_dense_copies_with_every_solver(classes, layout):
    """Only lbfgs on two classes was tried: CSR failed Newton (broadcasting), sgd (no
    index_select) and every solver on three classes (no transposed product), COO failed
    Newton on three classes (its Hessian asked for .numpy()) and on float32 data."""
    import torch

    from lrnn import LogisticNeuron

    rng = np.random.default_rng(4)
    X = rng.standard_normal((120, 6)) * (rng.random((120, 6)) < 0.4)  # 60 % zeros
    y = (X @ rng.standard_normal(6) > 0).astype(int) if classes == 2 else np.arange(120) % 3
    for dtype in (torch.float64, torch.float32):
        dense = torch.tensor(X, dtype=dtype)
        tensor = dense.to_sparse() if layout == "coo" else dense.to_sparse_csr()
        for solver, extra in [("gd", {"learning_rate": "auto"}), ("lbfgs", {}), ("newton", {}),
                              ("auto", {}), ("sgd", {"random_state": 0}),
                              ("lbfgs", {"early_stopping": True})]:  # fmt: skip
            params = dict(solver=solver, alpha=1e-2, max_iter=30, **extra)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # 30 iterations of gd or sgd: unfinished
                on_sparse = LogisticNeuron(**params).fit(tensor, y)
                on_dense = LogisticNeuron(**params).fit(dense, y)
            tolerance = 1e-5 if dtype == torch.float32 else 1e-10
            assert rel(on_sparse.coef_, on_dense.coef_) < tolerance, (solver, dtype)
            got, want = on_sparse.predict_proba(tensor), on_dense.predict_proba(dense)
            np.testing.assert_allclose(got, want, atol=tolerance)


@needs_torch
def test_tensors_from_an_autograd_graph_and_sparse_tensors_score_on_every_path(
    breast_cancer_std,
):
    """A tensor with requires_grad failed fit (and two-class predict) with torch's "Can't
    call numpy() on Tensor that requires grad"; a softmax layer fitted on a sparse tensor
    could not predict on one ("can't convert Sparse layout tensor to numpy")."""
    import torch

    from lrnn import LogisticNeuron

    X, y = breast_cancer_std
    plain = LogisticNeuron(solver="lbfgs", alpha=1e-2).fit(X, y)
    graph = torch.tensor(X, requires_grad=True)
    fitted = LogisticNeuron(solver="lbfgs", alpha=1e-2).fit(graph, y)
    assert rel(fitted.coef_, plain.coef_) < 1e-10
    np.testing.assert_array_equal(fitted.predict(graph), plain.predict(X))
    three = np.arange(len(y)) % 3
    layer = LogisticNeuron(solver="lbfgs", alpha=1e-2).fit(X, three)
    expected = layer.predict_proba(X)
    for tensor in (torch.tensor(X).to_sparse(), torch.tensor(X).to_sparse_csr(), graph):
        assert rel(layer.predict_proba(tensor), expected) < 1e-12
