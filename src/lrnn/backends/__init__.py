"""How a pass over the data happens.

A backend holds the training data (X, y, sample weights, input scale) and answers the few
questions a solver asks of it. Solvers, the training loop and the estimator see only this
interface, so the same optimiser runs in memory, on a Dask cluster or on a GPU. Every quantity
is the *data term* of J (weighted mean over examples); the L2 term is added by
:mod:`lrnn.objective` in one place.

Heavy backends (dask, torch) are imported only when asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from lrnn import objective
from lrnn.objective import DataPass


@runtime_checkable
class Backend(Protocol):
    """The contract between the training loop and the data.

    Parameters travel as one flat vector θ = [w…, b]. For every backend but the wide-data view
    (:mod:`lrnn.backends.gram_backend`) the w part *is* the weights; that view's parameters are
    coefficients β with w = scale·Xᵀβ, and ``to_weights`` maps them (``coefficient_space`` says
    which), so the loop never asks which backend it has.
    """

    name: str
    n_samples: int
    n_features: int
    dtype: np.dtype  # the parameters' (and arithmetic's) dtype
    coefficient_space: bool

    def evaluate(self, theta: NDArray, alpha: float) -> tuple[float, NDArray, DataPass]:
        """Cost J (L2 term included), its gradient as one vector like θ, and the data term."""
        ...

    def to_weights(self, vector: NDArray) -> NDArray:
        """The weights (or a gradient's w part) in feature space, as a new array."""
        ...

    def data_pass(self, w: NDArray, b: float) -> DataPass:
        """Weighted mean loss, its gradient and accuracy at (w, b): one read of X."""
        ...

    def hessp(self, w: NDArray, b: float, vw: NDArray, vb: float) -> tuple[NDArray, float]:
        """Hessian of the data term at (w, b) times (vw, vb)."""
        ...

    def hessian(self, w: NDArray, b: float) -> NDArray:
        """The (n+1)×(n+1) Hessian of the data term, bias last (float64; small n only)."""
        ...

    def lambda_max(self) -> float:
        """λmax(X̃ᵀSX̃)/Σs, X̃ = [scale·X, 1]: the data term's largest curvature times 4."""
        ...

    def logits(self, w: NDArray, b: float) -> NDArray:
        """z = scale·Xw + b for every example, in row order."""
        ...

    def minibatches(self, rng: np.random.Generator, batch_size: int) -> Iterator[Backend]:
        """One epoch of shuffled mini-batches, each itself a backend (for sgd)."""
        ...


def split(theta: NDArray) -> tuple[NDArray, Any]:
    """(w, b) from θ: the sigmoid neuron's θ = [w…, b] gives b as a float; the softmax layer's
    θ (n + 1, K) gives W = θ[:-1] (n, K) and b = θ[-1] (K,), a copy."""
    if theta.ndim == 2:
        return theta[:-1], theta[-1].copy()
    return theta[:-1], float(theta[-1])


#: (vw, vb) ↦ (H·v)_w, (H·v)_b: products with the data term's Hessian at one fixed point.
HessianProduct = Callable[[NDArray, Any], tuple[NDArray, Any]]


class WeightSpace:
    """What every backend whose parameters are the weights themselves shares: J and its
    gradient from one data pass plus the L2 term (added in :func:`objective.regularize`, the one
    place it enters)."""

    coefficient_space = False
    #: the caller's row of each row here, when this backend holds a part of the caller's data
    #: (early stopping's training or validation rows): errors name the caller's rows
    caller_rows: NDArray | None = None

    def evaluate(self, theta: NDArray, alpha: float) -> tuple[float, NDArray, DataPass]:
        w, b = split(theta)
        data = self.data_pass(w, b)  # type: ignore[attr-defined]
        cost, dw, db = objective.regularize(data, w, alpha)
        grad = np.empty_like(theta)
        grad[:-1] = dw
        grad[-1] = db
        return cost, grad, data

    def to_weights(self, vector: NDArray) -> NDArray:
        return vector.copy()

    def hessian_product_at(self, w: NDArray, b: Any) -> HessianProduct:
        """Products with the Hessian at (w, b) for conjugate gradients, which ask for many at
        one point; a backend that can keep what depends on the point alone (the softmax
        layer's probabilities) overrides this."""
        return lambda vw, vb: self.hessp(w, b, vw, vb)  # type: ignore[attr-defined]


BACKEND_NAMES = ("numpy", "dask", "torch")


def make_backend(
    X: object,
    y: NDArray,
    sample_weight: NDArray | None = None,
    scale: float = 1.0,
    backend: str = "auto",
    n_classes: int = 2,
    *,
    structure_checked: bool = False,
) -> Backend:
    """Wrap validated data in the backend asked for, or the one its type implies.

    ``n_classes`` ≥ 3 gives the softmax layer's backend (y: class indices). A sparse X's index
    arrays are checked (:func:`~lrnn.backends.sparse_backend.check_structure`, O(stored
    values)) unless the caller already did, ``structure_checked``."""
    from lrnn.errors import UsageError

    _check_labels(X, y, n_classes)
    if backend == "numpy" and type(X).__module__.split(".")[0] == "torch":
        from lrnn.backends.torch_backend import to_scipy

        if str(X.layout) != "torch.strided":  # sparse: in memory as scipy's CSR, not dense
            X = to_scipy(X)
    if type(X).__module__.startswith("scipy.sparse") and not structure_checked:
        from lrnn.backends.sparse_backend import check_structure

        check_structure(X)
    if type(X).__module__.startswith("scipy.sparse") and n_classes <= 2:  # CSR kernels
        if backend not in ("auto", "numpy"):
            raise _sparse_refused(backend)
        from lrnn.backends.sparse_backend import SparseBackend

        return SparseBackend(X, y, sample_weight, scale)
    if backend == "auto":
        module = type(X).__module__.split(".")[0]
        backend = {"dask": "dask", "torch": "torch"}.get(module, "numpy")
    if n_classes > 2:
        return _softmax_backend(X, y, n_classes, sample_weight, scale, backend)
    if backend == "numpy":
        from lrnn.backends.numpy_backend import InMemoryBackend

        return InMemoryBackend(np.asarray(X), y, sample_weight, scale)
    if backend == "dask":
        from lrnn.backends.dask_backend import DaskBackend

        return DaskBackend(X, y, sample_weight, scale)
    if backend == "torch":
        from lrnn.backends.torch_backend import TorchBackend

        return TorchBackend(X, y, sample_weight, scale)
    raise UsageError(
        f"backend={backend!r} is not one of {', '.join(BACKEND_NAMES)}; "
        "pick one of those (or 'auto')."
    )


def _sparse_refused(name: str) -> Exception:
    """scipy.sparse input asked of a backend other than the in-memory one (any class count)."""
    from lrnn.errors import UsageError

    return UsageError(
        f"backend={name!r} does not take scipy.sparse input; use backend='auto' (--backend "
        "numpy on the command line: sparse data trains in memory, never densified)."
    )


def _check_labels(X: object, y: object, n_classes: int) -> None:
    """One label per row, 0/1 for the sigmoid neuron and class indices 0…K−1 for a softmax
    layer: the backends' contract, checked where every backend is made (labels of −1/1 trained
    to a cost of −1861, a class index of 5 among 3 classes ended in an IndexError). Labels
    still on a cluster or device are checked where they are read."""
    if isinstance(y, list | tuple) or hasattr(y, "to_numpy"):  # a list, a pandas Series
        y = np.asarray(y.to_numpy() if hasattr(y, "to_numpy") else y)
    if not isinstance(y, np.ndarray):  # on a cluster or a device: checked where it is read
        return
    from lrnn.errors import TO_BINARY, DataError, shown

    m = int(getattr(X, "shape", (len(y),))[0])
    if y.shape != (m,):
        raise DataError(f"y must hold one label per row of X ({m}); got shape {y.shape}.")
    if y.dtype.kind not in "biuf":
        raise DataError(f"y has dtype {y.dtype}; labels here are numbers (0/1, or 0…K−1).")
    if n_classes <= 2:
        at = objective.first_non_binary(y)
        wanted, mapping = "0/1 labels", TO_BINARY
    else:
        bad = np.flatnonzero(~((y >= 0) & (y < n_classes) & (y == np.floor(y))))
        at = int(bad[0]) if bad.size else None
        wanted = f"class indices 0 to {n_classes - 1}"
        mapping = "y = np.unique(y, return_inverse=True)[1]"
    if at is not None:
        raise DataError(
            f"y must hold {wanted}; found {shown(y[at])} (row {at}). Map them first "
            f"({mapping}), or use LogisticNeuron or the lrnn command, which take any labels "
            "as classes."
        )


def _softmax_backend(
    X: object, y: NDArray, n_classes: int, sample_weight: NDArray | None, scale: float, name: str
) -> Backend:
    """K ≥ 3 classes: the softmax layer's backends."""
    from lrnn.errors import UsageError

    if name == "numpy":
        from lrnn.backends.softmax_backend import SoftmaxBackend

        sparse = type(X).__module__.startswith("scipy.sparse")
        if sparse and type(X).__name__ not in ("csr_matrix", "csr_array"):
            X = X.tocsr()  # one copy of the index arrays: row blocks need CSR
        # scipy.sparse stays sparse: the numpy reference passes work on row blocks of it
        return SoftmaxBackend(X if sparse else np.asarray(X), y, n_classes, sample_weight, scale)
    if type(X).__module__.startswith("scipy.sparse"):  # as for two classes
        raise _sparse_refused(name)
    if name == "dask":
        from lrnn.backends.softmax_blocks import dask_softmax_backend

        return dask_softmax_backend(X, y, n_classes, sample_weight, scale)
    if name == "torch":
        from lrnn.backends.softmax_torch import TorchSoftmaxBackend

        return TorchSoftmaxBackend(X, y, n_classes, sample_weight, scale)
    raise UsageError(
        f"backend={name!r} is not one of {', '.join(BACKEND_NAMES)}; pick one of those (or 'auto')."
    )
