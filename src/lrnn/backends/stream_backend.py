"""Out-of-core training on one machine: X streams from storage a block of rows at a time.

Why this works: the data term of J, its gradient, Hessian products and the curvature bound are
all *sums over examples*. A pass therefore needs only one block of rows in memory at a time;
each block's partial sums come from :mod:`lrnn.backends.blocks` (the fused kernels, or the numpy
reference where they cannot run), and the partials are added in block order — so a pass is
deterministic and agrees with the in-memory backend to rounding. Memory is one block
(``block_bytes``, 64 MiB by default) plus a few vectors of m values (y, the weights; the logits
only when asked for).

Where the rows come from — a NumPy memory map, a Zarr store, Parquet files — is the business of
:mod:`lrnn.data.sources` (:func:`~lrnn.data.sources.open_out_of_core` lists the layouts).

``sgd`` on a source with cheap random row access (a NumPy array or memory map) draws exactly the
in-memory backend's mini-batches (same permutation, same rows), so runs agree with it. On Zarr
and Parquet, where reading a few scattered rows costs a whole chunk or row group, an epoch
visits the storage units (row groups, chunk-aligned blocks) in a random order and shuffles the
rows within each block: every example is still seen once per epoch, but the batches differ from
the in-memory backend's, so sgd reaches the same optimum along a different path.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lrnn import objective
from lrnn.backends import WeightSpace, _check_labels
from lrnn.backends.blocks import (
    block_data_pass,
    block_gram_matvec,
    block_hessian,
    block_hessp,
    block_logits,
    finish_data_pass,
    power_dtype,
)
from lrnn.data.sources import (
    BLOCK_BYTES,
    as_source,
    one_label_per_row,
    open_out_of_core,
)
from lrnn.errors import NO_WEIGHT, DataError, UsageError, given_path
from lrnn.objective import DataPass


class StreamingBackend(WeightSpace):
    """Training data streamed from storage one block of rows at a time; y in memory."""

    name = "stream"
    #: 0/1 labels (a softmax layer's subclass takes the class indices of its K classes)
    label_classes = 2

    def __init__(
        self,
        source: Any,
        y: NDArray,
        sample_weight: NDArray | None = None,
        scale: float = 1.0,
        block_rows: int | None = None,
        block_bytes: int = BLOCK_BYTES,
    ) -> None:
        self.source = as_source(source)
        self.n_samples, self.n_features = self.source.n_rows, self.source.n_features
        if self.n_samples == 0 or self.n_features == 0:
            raise DataError(f"X has shape ({self.n_samples}, {self.n_features}); it is empty.")
        self.dtype = objective.param_dtype(self.source.dtype)
        # the labels' checks of .open() for a source given directly, too: text labels and
        # weights summing to 0 ended in numpy's conversion error and a ZeroDivisionError
        labels = one_label_per_row(y, "y", self.n_samples)
        _check_labels(labels, labels, self.label_classes)  # the backends' one label rule
        self.y = self._vector(labels, "y")
        self.sample_weight = None if sample_weight is None else self._vector(sample_weight, "s")
        self.scale = float(scale)
        self.total = (
            float(self.n_samples)
            if self.sample_weight is None
            else float(np.sum(self.sample_weight, dtype=np.float64))
        )
        if not math.isfinite(self.total):
            raise DataError("sample_weight holds NaN or infinity; give finite weights ≥ 0.")
        if not self.total > 0:
            raise DataError(NO_WEIGHT)
        if block_rows is None:
            row_bytes = self.n_features * max(self.source.dtype.itemsize, 1)
            block_rows = max(1, block_bytes // row_bytes)
        if not isinstance(block_rows, int | np.integer) or block_rows < 1:
            raise UsageError(f"block_rows must be an integer ≥ 1; got {block_rows!r}.")
        self.block_rows = int(block_rows)

    @classmethod
    def open(cls, path: str | Path, label: str = "label", **kwargs: Any) -> StreamingBackend:
        """The backend for data stored at ``path`` (see :func:`open_out_of_core`)."""
        source, y = open_out_of_core(given_path(path, "path", "data/X.npy"), label)
        return cls(source, y, **kwargs)

    def _vector(self, v: Any, name: str) -> NDArray:
        v = np.asarray(v, dtype=self.dtype).reshape(-1)
        if v.shape[0] != self.n_samples:
            what = "sample_weight" if name == "s" else name
            raise DataError(
                f"{what} has {v.shape[0]} values, but X has {self.n_samples} rows; give one "
                "per row."
            )
        return v

    # ----------------------------------------------------------------------------------------
    def _blocks(self) -> Iterator[tuple[int, NDArray, NDArray, NDArray | None]]:
        """(first row, X block, y block, weight block) for every block, in row order."""
        for start, stop in self.source.units(self.block_rows):
            for a, x in self.source.read(start, stop, self.block_rows):
                rows = slice(a, a + x.shape[0])
                s = None if self.sample_weight is None else self.sample_weight[rows]
                yield a, x, self.y[rows], s

    def data_pass(self, w: NDArray, b: float) -> DataPass:
        sums = np.zeros(3 + self.n_features)
        for a, x, y, s in self._blocks():
            sums += block_data_pass(x, y, s, w, b, self.scale, self._check_x(a))
        return finish_data_pass(sums, self.total, self.dtype)

    def _check_x(self, start: int) -> Callable[[NDArray], None] | None:
        """The source's check of the block read from row ``start``: it names file and cell."""
        check = getattr(self.source, "check_finite", None)  # a Source of one's own may lack it
        return None if check is None else functools.partial(check, start=start)

    def hessp(self, w: NDArray, b: float, vw: NDArray, vb: float) -> tuple[NDArray, float]:
        sums = np.zeros(self.n_features + 1)
        for _, x, _, s in self._blocks():
            sums += block_hessp(x, s, w, b, vw, vb, self.scale)
        return (sums[:-1] / self.total).astype(self.dtype), float(sums[-1] / self.total)

    def hessian(self, w: NDArray, b: float) -> NDArray:
        H = np.zeros((self.n_features + 1, self.n_features + 1))
        for _, x, _, s in self._blocks():
            H += block_hessian(x, s, w, b, self.scale)
        return H / self.total

    def lambda_max(self) -> float:
        def gram() -> NDArray:
            G = np.zeros((self.n_features + 1, self.n_features + 1))
            for _, x, _, s in self._blocks():
                G += objective.augmented_gram(x, s, self.scale)
            return G

        def matvec(vw: NDArray, vb: float) -> NDArray:
            u = np.zeros(self.n_features + 1)
            for _, x, _, s in self._blocks():
                u += block_gram_matvec(x, s, vw, vb, self.scale)
            return u

        return objective.curvature_bound(
            self.n_samples,
            self.n_features,
            self.total,
            power_dtype(self.source.dtype),
            gram,
            self._row_gram,
            matvec,
        )

    def _row_gram(self) -> NDArray:
        """S^½X̃X̃ᵀS^½ (m × m) for short, wide data: block pairs, each block read ≤ m/B times.

        Only reached when objective.exact_curvature_is_cheap, i.e. m small, so the repeated reads
        are few.
        """
        m = self.n_samples
        G = np.empty((m, m))
        blocks = list(self.source.units(self.block_rows))
        for i, (a0, a1) in enumerate(blocks):
            xi = np.concatenate([x for _, x in self.source.read(a0, a1, self.block_rows)])
            si = None if self.sample_weight is None else self.sample_weight[a0:a1]
            for c0, c1 in blocks[: i + 1]:
                xj = np.concatenate([x for _, x in self.source.read(c0, c1, self.block_rows)])
                sj = None if self.sample_weight is None else self.sample_weight[c0:c1]
                G[a0:a1, c0:c1] = objective.augmented_cross_gram(xi, si, xj, sj, self.scale)
                G[c0:c1, a0:a1] = G[a0:a1, c0:c1].T
        return G

    def logits(self, w: NDArray, b: float) -> NDArray:
        z = np.empty(self.n_samples, dtype=w.dtype)
        for a, x, _, _ in self._blocks():
            z[a : a + x.shape[0]] = block_logits(x, w, b, self.scale)
        return z

    def minibatches(self, rng: np.random.Generator, batch_size: int) -> Iterator[Any]:
        """One epoch of mini-batches, each an in-memory backend of its rows (see module doc)."""
        batch = self._batch
        if self.source.random_access:  # the in-memory backend's exact batches
            order = rng.permutation(self.n_samples)
            for start in range(0, self.n_samples, batch_size):
                rows = np.sort(order[start : start + batch_size])
                yield batch(self.source.take(rows), rows)
            return
        units = self.source.units(self.block_rows)
        for u in rng.permutation(len(units)):
            start, stop = units[u]
            for a, x in self.source.read(start, stop, self.block_rows):
                order = rng.permutation(x.shape[0])
                for k in range(0, x.shape[0], batch_size):
                    local = np.sort(order[k : k + batch_size])
                    yield batch(x[local], a + local)

    def _batch(self, x: NDArray, rows: NDArray) -> Any:
        """The mini-batch of ``rows`` (whose features are ``x``), in memory."""
        from lrnn.backends.numpy_backend import InMemoryBackend

        s = None if self.sample_weight is None else self.sample_weight[rows]
        return InMemoryBackend(x, self.y[rows], s, self.scale, reused=False)  # read once
