"""Passes over a Dask array: every chunk of rows through the fused kernel, partials reduced.

Why: the data term, its gradient, Hessian products and the curvature bound are sums over
examples, so a pass over data spread across a cluster is a map over its row chunks followed by
a sum of small vectors. One pass is one graph and one ``dask.compute``:

* the parameters travel once per pass, as a single ``dask.delayed`` task every chunk task
  depends on (the scheduler copies n + 1 numbers to each worker, not one copy per chunk);
* each chunk task runs :func:`lrnn.backends.blocks.block_data_pass` (the kernels of
  :mod:`lrnn.kernels`, or the reference where they cannot run) on the chunk where it lives and
  returns n + 3 numbers;
* the partials are summed by ``dask.array``'s tree reduction with a fixed ``split_every``: the
  tree's shape depends only on the number of chunks and every node adds its inputs in block
  order, so results do not depend on which worker ran what — runs are deterministic, and agree
  with the in-memory backend to rounding (~1e-15 relative per pass).

X is never gathered to the client. Only n-sized results come back, plus — when asked — the m
logits, and for ``sgd`` the rows of the current mini-batches (below).

Inputs: X is a dask array chunked along rows (column chunks are merged into one, since a chunk
task needs whole rows) or a dask DataFrame (converted with ``to_dask_array(lengths=True)``);
numpy arrays are wrapped with ``da.from_array``. y and sample_weight may be dask arrays or
Series, or numpy arrays; they are rechunked to X's row chunks. When a ``distributed`` client is
active the arrays are persisted on the workers at construction (``persist=None``), so passes
read memory instead of re-reading the source; pass ``persist=False`` for data larger than the
cluster's memory.

``sgd``: solvers step on the client, so a mini-batch must be there. An epoch draws exactly the
in-memory backend's batches (same permutation, same sorted rows) and fetches their rows a window
at a time (``window_bytes``, one compute per window, only those rows) — so sgd on Dask matches
sgd in memory, at the cost of moving X once per epoch. For data that only a cluster holds, the
full-batch solvers (lbfgs, newton) are the ones to use: they move n numbers per pass.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lrnn import objective
from lrnn.backends import WeightSpace, blocks
from lrnn.errors import NO_WEIGHT, DataError, UsageError, user_stacklevel
from lrnn.objective import DataPass

#: Partials added per node of the reduction tree: small enough that many nodes run in parallel,
#: large enough that the tree stays shallow.
SPLIT_EVERY = 8

#: Bytes of mini-batch rows fetched to the client per compute during an sgd epoch.
WINDOW_BYTES = 64 * 1024 * 1024

NEEDS_DASK = (
    "backend='dask' needs Dask: install lrnn's 'dask' extra, pip install 'lrnn[dask]' (from "
    "a checkout: pip install '.[dask]'), which brings dask, distributed and zarr."
)


def _dask() -> tuple[Any, Any]:
    try:
        import dask
        import dask.array as da
    except ImportError as exc:
        raise UsageError(NEEDS_DASK) from exc
    return dask, da


def connect(address: str, timeout: float = 10) -> Any:
    """A ``distributed.Client`` for the scheduler at ``address``, or a one-line UsageError.

    ``distributed`` retries a scheduler that does not answer until ``timeout`` seconds have
    passed and then raises a long, nested error; this turns it into one line with the fix.
    """
    try:
        import distributed
    except ImportError as exc:
        raise UsageError(NEEDS_DASK) from exc
    try:
        return distributed.Client(address, timeout=timeout)
    except (OSError, TimeoutError, ValueError) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        if len(reason) > 160:
            reason = reason[:157] + "..."
        raise UsageError(
            f"no Dask scheduler answered at {address!r} within {timeout:g} s ({reason}); start "
            f"one with `dask scheduler` and workers with `dask worker {address}`, or check the "
            "address and port."
        ) from None


def _active_client() -> Any:
    """The current ``distributed`` client, or None when Dask would run locally."""
    try:
        from distributed import default_client
    except ImportError:
        return None
    try:
        return default_client()
    except ValueError:
        return None


#: X is kept in the workers' memory between passes when it takes at most this share of it.
CLUSTER_SHARE = 0.5


def _keeps_on_the_workers(X: Any) -> bool:
    """Whether to persist X on the cluster: where it fits in half the memory its workers have
    free.
    Each pass then reads chunks already in memory; X larger than that was persisted all the
    same, and the workers, over their limit, restarted without end. Unpersisted, each pass
    computes X's chunks again from its source (a Parquet or Zarr read), as Dask would for any
    other graph — slower, but within the cluster's memory; said in a warning."""
    client = _active_client()
    if client is None:  # a local scheduler: the graph runs in this process
        return False
    try:
        workers = list(client.scheduler_info()["workers"].values())
        limits = [w.get("memory_limit") or 0 for w in workers]
        # what each worker has left: its limit less what its process holds already (Python,
        # NumPy and lrnn take about 200 MiB of a worker before any data)
        free = sum(
            max(0, lim - w.get("metrics", {}).get("memory", 0))
            for lim, w in zip(limits, workers, strict=True)
        )
    except Exception:  # an unusual scheduler: do as before
        return True
    if not limits or 0 in limits or X.nbytes <= CLUSTER_SHARE * free:
        return True  # no limit known: as before
    warnings.warn(
        f"X takes {X.nbytes / 2**20:.0f} MiB, more than {CLUSTER_SHARE:.0%} of the memory the "
        f"workers have free ({free / 2**20:.0f} MiB), so it is not kept on them: each pass "
        "computes its chunks again from their source (slower); add workers or memory to keep "
        "it there.",
        stacklevel=user_stacklevel(),
    )
    return False


# --------------------------------------------------------------------------------------------
# Chunk tasks (module-level so workers unpickle them by reference)
# --------------------------------------------------------------------------------------------
def _one_thread() -> None:
    """Run the kernels single-threaded inside a task: Dask already runs one task per core, and
    numba threads on top of that fight over the same cores (see DESIGN.md)."""
    try:
        from lrnn import kernels

        if kernels.numba_installed():
            import numba

            numba.set_num_threads(1)  # per calling thread, so only this worker thread
    except ImportError:
        pass


def _data_pass_task(
    x: NDArray, y: NDArray, s: NDArray | None = None, *, theta: NDArray, scale: float
) -> NDArray:
    _one_thread()
    return blocks.block_data_pass(x, y, s, theta[:-1], float(theta[-1]), scale)[None, :]


def _hessp_task(
    x: NDArray, s: NDArray | None = None, *, theta: NDArray, v: NDArray, scale: float
) -> NDArray:
    _one_thread()
    n = x.shape[1]
    out = blocks.block_hessp(x, s, theta[:n], float(theta[n]), v[:n], float(v[n]), scale)
    return out[None, :]


def _hessian_task(x: NDArray, s: NDArray | None = None, *, theta: NDArray, scale: float) -> NDArray:
    return blocks.block_hessian(x, s, theta[:-1], float(theta[-1]), scale).reshape(1, -1)


def _gram_task(x: NDArray, s: NDArray | None = None, *, scale: float) -> NDArray:
    return objective.augmented_gram(x, s, scale).reshape(1, -1)


def _gram_matvec_task(x: NDArray, s: NDArray | None = None, *, v: NDArray, scale: float) -> NDArray:
    _one_thread()
    n = x.shape[1]
    return blocks.block_gram_matvec(x, s, v[:n], float(v[n]), scale)[None, :]


def _logits_task(x: NDArray, *, theta: NDArray, scale: float) -> NDArray:
    _one_thread()
    return blocks.block_logits(x, theta[:-1], float(theta[-1]), scale)


def _cross_gram_task(
    xi: NDArray, si: NDArray | None, xj: NDArray, sj: NDArray | None, *, scale: float
) -> NDArray:
    return objective.augmented_cross_gram(xi, si, xj, sj, scale)


# --------------------------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------------------------
_KERNEL_DTYPES = blocks.STORED_DTYPES


def _unknown_chunks(chunks: tuple[int, ...]) -> bool:
    return any(isinstance(c, float) and math.isnan(c) for c in chunks)


def as_dask_matrix(X: Any, rows: int | str = "auto") -> Any:
    """X as a 2-D dask array of numbers with one chunk along columns; errors say the fix."""
    _, da = _dask()
    if hasattr(X, "to_dask_array"):  # dask DataFrame
        X = X.to_dask_array(lengths=True)
    elif not isinstance(X, da.Array):
        X = np.asarray(X)
        if X.ndim == 2:
            X = da.from_array(X, chunks=(rows, -1))
    if X.ndim != 2:
        raise DataError(
            f"X must be 2-D (examples × features); got {X.ndim}-D with shape {X.shape}. "
            "Reshape it to (m, n)."
        )
    if _unknown_chunks(X.chunks[0]):
        raise DataError(
            "X has unknown chunk sizes along its rows (NaN in X.chunks, e.g. after boolean "
            "filtering or from a DataFrame's .values); call X.compute_chunk_sizes() first, or "
            "pass lengths=True to to_dask_array()."
        )
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise DataError(f"X has shape {X.shape}; it is empty.")
    if len(X.chunks[1]) > 1:  # a chunk task needs whole rows
        X = X.rechunk({1: -1})
    dtype = np.dtype(X.dtype)
    if dtype not in _KERNEL_DTYPES:
        if dtype.kind not in "biuf":
            raise DataError(
                f"X has dtype {dtype}, not numbers; encode or drop the non-numeric columns "
                "(float32, float64 or uint8 train without conversion)."
            )
        X = X.astype(np.float64)
    return X


def _as_rows_like(v: Any, X: Any, name: str, dtype: np.dtype) -> Any:
    """A per-example vector as a dask array chunked exactly like X's rows."""
    _, da = _dask()
    m = X.shape[0]
    if hasattr(v, "to_dask_array"):  # dask Series (or one-column DataFrame)
        v = v.to_dask_array(lengths=True)
    if isinstance(v, da.Array):
        if v.ndim == 2 and v.shape[1] == 1:
            v = v[:, 0]
        if v.ndim != 1:
            raise DataError(f"{name} must be 1-D, one value per row of X; got shape {v.shape}.")
        if _unknown_chunks(v.chunks[0]):
            raise DataError(
                f"{name} has unknown chunk sizes (NaN in its chunks); call "
                f"{name}.compute_chunk_sizes() first, or pass lengths=True to to_dask_array()."
            )
        if v.shape[0] != m:
            raise DataError(
                f"{name} has {v.shape[0]} values but X has {m} rows; they must describe the "
                "same examples."
            )
        if v.chunks[0] != X.chunks[0]:
            v = v.rechunk((X.chunks[0],))
        return v.astype(dtype)
    v = np.asarray(v, dtype=dtype).reshape(-1)
    if v.shape[0] != m:
        raise DataError(
            f"{name} has {v.shape[0]} values but X has {m} rows; they must describe the same "
            "examples."
        )
    return da.from_array(v, chunks=(X.chunks[0],))


# --------------------------------------------------------------------------------------------
# The backend
# --------------------------------------------------------------------------------------------
class DaskBackend(WeightSpace):
    """Training data in a row-chunked dask array (on a cluster or local); y alongside."""

    name = "dask"

    def __init__(
        self,
        X: Any,
        y: Any,
        sample_weight: Any = None,
        scale: float = 1.0,
        persist: bool | None = None,
        split_every: int = SPLIT_EVERY,
        window_bytes: int = WINDOW_BYTES,
    ) -> None:
        dask, da = _dask()
        self._dask, self._da = dask, da
        X = as_dask_matrix(X)
        self.dtype = objective.param_dtype(X.dtype)
        y = _as_rows_like(y, X, "y", self.dtype)
        s = None
        if sample_weight is not None:
            s = _as_rows_like(sample_weight, X, "sample_weight", self.dtype)
        if persist is None:
            persist = _keeps_on_the_workers(X)
        if persist:
            X, y, s = dask.persist(X, y, s)
        self.X, self.y, self.sample_weight = X, y, s
        self.scale = float(scale)
        self.n_samples, self.n_features = (int(d) for d in X.shape)
        self.split_every = int(split_every)
        self.window_bytes = int(window_bytes)
        self.total = float(self.n_samples) if s is None else float(s.sum(dtype=np.float64))
        if not self.total > 0:
            raise DataError(NO_WEIGHT)
        self._local: tuple[NDArray, NDArray | None] | None = None

    # ----------------------------------------------------------------------------------------
    def _per_chunk(self, task: Any, width: int, with_y: bool = False, **kwargs: Any) -> NDArray:
        """Run ``task`` on every row chunk and sum its (1, width) outputs in a fixed tree."""
        da = self._da
        args: list[Any] = [self.X, "ij"]
        if with_y:
            args += [self.y, "i"]
        if self.sample_weight is not None:
            args += [self.sample_weight, "i"]
        delayed = self._dask.delayed
        kwargs = {
            k: delayed(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()
        }  # one task holding each vector: sent once per pass, shared by every chunk task
        parts = da.blockwise(
            task,
            "ij",
            *args,
            adjust_chunks={"i": 1, "j": width},
            dtype=np.float64,
            concatenate=True,
            meta=np.empty((0, 0)),
            **kwargs,
        )
        try:
            return parts.sum(axis=0, split_every=self.split_every).compute()
        except blocks.NotFiniteInBlock:  # a chunk saw it: say where it is in X
            self._raise_where_not_finite()
            raise

    def _raise_where_not_finite(self) -> None:
        """The first NaN or infinity of X (then y, the weights) by its row and column: a
        chunk's task knows only its own rows, so it is looked for again here (the run has
        failed; one more pass costs nothing that matters)."""
        da = self._da
        for name, v in (("X", self.X), ("y", self.y), ("sample_weight", self.sample_weight)):
            if v is None or not np.issubdtype(v.dtype, np.floating):
                continue
            bad = ~da.isfinite(v)
            rows = bad.any(axis=1) if v.ndim == 2 else bad
            row = int(da.argmax(rows).compute())
            if not bool(rows[row].compute()):
                continue
            if v.ndim == 1:
                raise blocks.not_finite_at(
                    name, float(v[row].compute()), row, caller_rows=self.caller_rows
                )
            values = np.asarray(v[row].compute())
            column = int(np.argmax(~np.isfinite(values)))
            raise blocks.not_finite_at(
                name, float(values[column]), row, column, caller_rows=self.caller_rows
            )

    def _theta(self, w: NDArray, b: float, dtype: np.dtype | None = None) -> NDArray:
        theta = np.empty(self.n_features + 1, dtype=dtype or np.asarray(w).dtype)
        theta[:-1] = w
        theta[-1] = b
        return theta

    def data_pass(self, w: NDArray, b: float) -> DataPass:
        theta = self._theta(w, b)
        sums = self._per_chunk(
            _data_pass_task, self.n_features + 3, with_y=True, theta=theta, scale=self.scale
        )
        return blocks.finish_data_pass(sums, self.total, self.dtype)

    def hessp(self, w: NDArray, b: float, vw: NDArray, vb: float) -> tuple[NDArray, float]:
        theta = self._theta(w, b)
        v = self._theta(vw, vb, theta.dtype)
        sums = self._per_chunk(_hessp_task, self.n_features + 1, theta=theta, v=v, scale=self.scale)
        return (sums[:-1] / self.total).astype(self.dtype), float(sums[-1] / self.total)

    def hessian(self, w: NDArray, b: float) -> NDArray:
        k = self.n_features + 1
        sums = self._per_chunk(_hessian_task, k * k, theta=self._theta(w, b), scale=self.scale)
        return sums.reshape(k, k) / self.total

    def lambda_max(self) -> float:
        k = self.n_features + 1

        def gram() -> NDArray:
            return self._per_chunk(_gram_task, k * k, scale=self.scale).reshape(k, k)

        def matvec(vw: NDArray, vb: float) -> NDArray:
            return self._per_chunk(_gram_matvec_task, k, v=self._theta(vw, vb), scale=self.scale)

        return objective.curvature_bound(
            self.n_samples,
            self.n_features,
            self.total,
            blocks.power_dtype(self.X.dtype),
            gram,
            self._row_gram,
            matvec,
        )

    def _row_gram(self) -> NDArray:
        """S^½X̃X̃ᵀS^½ (m × m, m ≤ 2048): chunk pairs on the workers, only G comes back."""
        da = self._da
        s = self.sample_weight
        G = da.blockwise(
            _cross_gram_task,
            "ij",
            self.X,
            "ik",
            s if s is not None else None,
            "i" if s is not None else None,
            self.X,
            "jk",
            s if s is not None else None,
            "j" if s is not None else None,
            dtype=np.float64,
            concatenate=True,
            meta=np.empty((0, 0)),
            scale=self.scale,
        )
        return G.compute()

    def logits(self, w: NDArray, b: float) -> NDArray:
        return logits(self.X, w, b, self.scale)

    # ----------------------------------------------------------------------------------------
    def _labels_here(self) -> tuple[NDArray, NDArray | None]:
        """y and the weights on the client (m values each), fetched once, for sgd."""
        if self._local is None:
            y, s = self._dask.compute(self.y, self.sample_weight)
            self._local = (y, s)
        return self._local

    def minibatches(self, rng: np.random.Generator, batch_size: int) -> Iterator[Any]:
        """The in-memory backend's epoch of batches, rows fetched a window at a time."""
        y, s = self._labels_here()
        order = rng.permutation(self.n_samples)  # the same draw as InMemoryBackend
        row_bytes = self.n_features * self.X.dtype.itemsize
        per_window = max(1, self.window_bytes // max(1, row_bytes * batch_size)) * batch_size
        for start in range(0, self.n_samples, per_window):
            window = order[start : start + per_window]
            wanted = np.sort(window)
            rows_here = self.X[wanted].compute()  # only these rows leave the workers
            for k in range(0, window.shape[0], batch_size):
                rows = np.sort(window[k : k + batch_size])
                at = np.searchsorted(wanted, rows)
                weights = None if s is None else s[rows]
                yield self._batch(rows_here[at], y[rows], weights)

    def _batch(self, x: NDArray, y: NDArray, s: NDArray | None) -> Any:
        """One mini-batch, in memory."""
        from lrnn.backends.numpy_backend import InMemoryBackend

        return InMemoryBackend(x, y, s, self.scale, reused=False)  # read once


def logits(X: Any, w: NDArray, b: float, scale: float = 1.0) -> NDArray:
    """z = scale·Xw + b for a dask X, computed chunk by chunk on the workers (m values back).

    For prediction: nothing is persisted, so X is read once from wherever it lives.
    """
    dask, da = _dask()
    X = as_dask_matrix(X)
    w = np.asarray(w)
    if w.shape != (X.shape[1],):
        raise DataError(f"X has {X.shape[1]} features, but the model has {w.shape[0]}.")
    theta = np.append(w, np.asarray(b, dtype=w.dtype))
    z = da.blockwise(
        _logits_task,
        "i",
        X,
        "ij",
        dtype=w.dtype,
        concatenate=True,
        meta=np.empty((0,), dtype=w.dtype),
        theta=dask.delayed(theta),
        scale=float(scale),
    )
    return z.compute()
