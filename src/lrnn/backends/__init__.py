"""How a pass over the data happens.

A backend holds the training data (X, y, sample weights, input scale) and answers the few
questions a solver asks of it. Solvers, the training loop and the estimator see only this
interface, so the same optimiser runs in memory, on a Dask cluster or on a GPU. Every quantity
is the *data term* of J (weighted mean over examples); the L2 term is added by
:mod:`lrnn.objective` in one place.

Heavy backends (dask, torch) are imported only when asked for.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from lrnn.objective import DataPass


@runtime_checkable
class Backend(Protocol):
    """The contract between the training loop and the data."""

    name: str
    n_samples: int
    n_features: int
    dtype: np.dtype  # the parameters' (and arithmetic's) dtype

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


BACKEND_NAMES = ("numpy", "dask", "torch")


def make_backend(
    X: object,
    y: NDArray,
    sample_weight: NDArray | None = None,
    scale: float = 1.0,
    backend: str = "auto",
) -> Backend:
    """Wrap validated data in the backend asked for, or the one its type implies."""
    from lrnn.errors import UsageError

    if backend == "auto":
        module = type(X).__module__.split(".")[0]
        backend = {"dask": "dask", "torch": "torch"}.get(module, "numpy")
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
