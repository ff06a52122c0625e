"""The softmax layer out of core and on a cluster: block sums for K columns.

Exactly as for the sigmoid neuron (:mod:`lrnn.backends.blocks`), the data term of J, its
gradient and Hessian products are sums over examples, so one block of rows at a time suffices.
Each function here returns one block's share as float64 sums from :mod:`lrnn.softmax`; the
streaming backend adds them in block order, the Dask backend over its chunks. The curvature
bound depends on X only, so both inherit the binary backends' ``lambda_max`` unchanged (with
``curvature_factor`` ½).

Layout of a data-pass sum: ``[Σ sℓ, Σ s·hit, Σ s(P − Y) (K), Σ s·scale·xᵀ(P − Y) (n·K)]``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lrnn import softmax
from lrnn.backends import blocks
from lrnn.backends.softmax_backend import SoftmaxBackend
from lrnn.backends.stream_backend import StreamingBackend
from lrnn.data.sources import open_out_of_core
from lrnn.objective import DataPass


def _total(x: NDArray, s: NDArray | None) -> float:
    return float(x.shape[0]) if s is None else float(np.sum(s, dtype=np.float64))


def block_data_pass(
    x: NDArray,
    y: NDArray,
    s: NDArray | None,
    W: NDArray,
    b: NDArray,
    scale: float,
    check_x: Callable[[NDArray], None] | None = None,
) -> NDArray[np.float64]:
    """One block's sums (see the module docstring), in float64; empty or weightless → zeros."""
    n, K = W.shape
    out = np.zeros(2 + K + n * K)
    total = _total(x, s)
    if x.shape[0] == 0 or total == 0.0:
        return out
    data = softmax.data_pass(W, b, x, np.asarray(y, dtype=np.intp), s, scale)
    out[0] = data.loss * total
    out[1] = data.accuracy * total
    out[2 : 2 + K] = data.db * total
    out[2 + K :] = data.dw.reshape(-1)
    out[2 + K :] *= total
    if not np.isfinite(out).all() and np.isfinite(W).all() and np.isfinite(b).all():
        blocks._raise_if_not_finite(x, y, s, check_x)
    return out


def finish_data_pass(sums: NDArray, total: float, n: int, K: int, dtype: np.dtype) -> DataPass:
    """Summed block partials → the weighted means (dw (n, K), db (K,))."""
    return DataPass(
        float(sums[0] / total),
        (sums[2 + K :] / total).reshape(n, K).astype(dtype),
        sums[2 : 2 + K] / total,
        float(sums[1] / total),
    )


def block_hessp(
    x: NDArray, s: NDArray | None, W: NDArray, b: NDArray, VW: NDArray, vb: NDArray, scale: float
) -> NDArray[np.float64]:
    """``[hb (K), hw (n·K)]`` summed over the block (not divided by Σs)."""
    n, K = W.shape
    out = np.zeros(K + n * K)
    total = _total(x, s)
    if x.shape[0] == 0 or total == 0.0:
        return out
    hw, hb = softmax.hessp(W, b, x, VW, vb, 0.0, s, scale)
    out[:K] = hb
    out[K:] = hw.reshape(-1)
    out *= total
    return out


def block_hessian(
    x: NDArray, s: NDArray | None, W: NDArray, b: NDArray, scale: float
) -> NDArray[np.float64]:
    """The block's share of the ((n+1)K)² Hessian, not divided by Σs."""
    size = (W.shape[0] + 1) * W.shape[1]
    total = _total(x, s)
    if x.shape[0] == 0 or total == 0.0:
        return np.zeros((size, size))
    return softmax.hessian(W, b, x, 0.0, s, scale) * total


def stack(W: NDArray, b: Any, dtype: np.dtype | None = None) -> NDArray:
    """θ (n + 1, K) from W and b (one array to ship to workers)."""
    theta = np.empty((W.shape[0] + 1, W.shape[1]), dtype=dtype or W.dtype)
    theta[:-1] = W
    theta[-1] = b
    return theta


# --------------------------------------------------------------------------------------------
# Streaming from storage
# --------------------------------------------------------------------------------------------
class StreamingSoftmaxBackend(StreamingBackend):
    """K ≥ 3 classes streamed a block of rows at a time; y holds class indices."""

    curvature_factor = softmax.CURVATURE_FACTOR

    def __init__(self, source: Any, y: NDArray, n_classes: int, *args: Any, **kw: Any) -> None:
        self.n_classes = self.label_classes = int(n_classes)  # before the labels are checked
        super().__init__(source, y, *args, **kw)
        self.labels = np.asarray(self.y, dtype=np.intp)

    @classmethod
    def open(cls, path: str | Path, label: str = "label", **kwargs: Any) -> StreamingBackend:
        """Stored data whose label column holds class indices 0 … K−1 (not 0/1 labels)."""
        source, y = open_out_of_core(path, label, binary=False)
        return cls(source, y, **kwargs)

    def data_pass(self, w: NDArray, b: NDArray) -> DataPass:
        n, K = self.n_features, self.n_classes
        sums = np.zeros(2 + K + n * K)
        for a, x, _, s in self._blocks():
            y = self.labels[a : a + x.shape[0]]
            sums += block_data_pass(x, y, s, w, b, self.scale, self._check_x(a))
        return finish_data_pass(sums, self.total, n, K, self.dtype)

    def hessp(self, w: NDArray, b: NDArray, vw: NDArray, vb: NDArray) -> tuple[NDArray, NDArray]:
        n, K = self.n_features, self.n_classes
        sums = np.zeros(K + n * K)
        for _, x, _, s in self._blocks():
            sums += block_hessp(x, s, w, b, vw, vb, self.scale)
        sums /= self.total
        return sums[K:].reshape(n, K).astype(self.dtype), sums[:K]

    def hessian(self, w: NDArray, b: NDArray) -> NDArray:
        H = 0.0
        for _, x, _, s in self._blocks():
            H = H + block_hessian(x, s, w, b, self.scale)
        return H / self.total

    def logits(self, w: NDArray, b: NDArray) -> NDArray:
        z = np.empty((self.n_samples, self.n_classes), dtype=w.dtype)
        for a, x, _, _ in self._blocks():
            z[a : a + x.shape[0]] = softmax.logits(w, b, x, self.scale)
        return z

    def _batch(self, x: NDArray, rows: NDArray) -> SoftmaxBackend:
        s = None if self.sample_weight is None else self.sample_weight[rows]
        return SoftmaxBackend(x, self.labels[rows], self.n_classes, s, self.scale)


# --------------------------------------------------------------------------------------------
# Dask: chunk tasks (module level, so workers unpickle them by reference) and the backend
# --------------------------------------------------------------------------------------------
def _data_pass_task(
    x: NDArray, y: NDArray, s: NDArray | None = None, *, theta: NDArray, scale: float
) -> NDArray:
    return block_data_pass(x, y, s, theta[:-1], theta[-1], scale)[None, :]


def _hessp_task(
    x: NDArray, s: NDArray | None = None, *, theta: NDArray, v: NDArray, scale: float
) -> NDArray:
    return block_hessp(x, s, theta[:-1], theta[-1], v[:-1], v[-1], scale)[None, :]


def _hessian_task(x: NDArray, s: NDArray | None = None, *, theta: NDArray, scale: float) -> NDArray:
    return block_hessian(x, s, theta[:-1], theta[-1], scale).reshape(1, -1)


def _logits_task(x: NDArray, *, theta: NDArray, scale: float) -> NDArray:
    return softmax.logits(theta[:-1], theta[-1], x, scale)


def dask_softmax_backend(
    X: Any, y: Any, n_classes: int, sample_weight: Any = None, scale: float = 1.0, **kw: Any
) -> Any:
    """A :class:`DaskBackend` for K ≥ 3 classes (defined on first use: dask is optional)."""
    return _dask_class()(X, y, n_classes, sample_weight, scale, **kw)


def _dask_class() -> type:
    from lrnn.backends.dask_backend import DaskBackend

    class DaskSoftmaxBackend(DaskBackend):
        """K ≥ 3 classes in a row-chunked dask array; chunk tasks return the sums above."""

        curvature_factor = softmax.CURVATURE_FACTOR

        def __init__(self, X: Any, y: Any, n_classes: int, *args: Any, **kw: Any) -> None:
            super().__init__(X, y, *args, **kw)
            self.n_classes = int(n_classes)

        def data_pass(self, w: NDArray, b: NDArray) -> DataPass:
            n, K = self.n_features, self.n_classes
            sums = self._per_chunk(
                _data_pass_task, 2 + K + n * K, with_y=True, theta=stack(w, b), scale=self.scale
            )
            return finish_data_pass(sums, self.total, n, K, self.dtype)

        def hessp(
            self, w: NDArray, b: NDArray, vw: NDArray, vb: NDArray
        ) -> tuple[NDArray, NDArray]:
            n, K = self.n_features, self.n_classes
            theta = stack(w, b)
            v = stack(vw, vb, theta.dtype)
            sums = self._per_chunk(_hessp_task, K + n * K, theta=theta, v=v, scale=self.scale)
            sums /= self.total
            return sums[K:].reshape(n, K).astype(self.dtype), sums[:K]

        def hessian(self, w: NDArray, b: NDArray) -> NDArray:
            size = (self.n_features + 1) * self.n_classes
            sums = self._per_chunk(_hessian_task, size * size, theta=stack(w, b), scale=self.scale)
            return sums.reshape(size, size) / self.total

        def logits(self, w: NDArray, b: NDArray) -> NDArray:
            z = self._da.blockwise(
                _logits_task,
                "ik",
                self.X,
                "ij",
                new_axes={"k": self.n_classes},
                dtype=w.dtype,
                concatenate=True,
                meta=np.empty((0, 0), dtype=w.dtype),
                theta=self._dask.delayed(stack(w, b)),
                scale=self.scale,
            )
            return z.compute()

        def _batch(self, x: NDArray, y: NDArray, s: NDArray | None) -> SoftmaxBackend:
            return SoftmaxBackend(x, np.asarray(y, np.intp), self.n_classes, s, self.scale)

    return DaskSoftmaxBackend
