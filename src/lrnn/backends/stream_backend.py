"""Out-of-core training on one machine: X streams from disk a block of rows at a time.

Why this works: the data term of J, its gradient, Hessian products and the curvature bound are
all *sums over examples*. A pass therefore needs only one block of rows in memory at a time;
each block goes through the fused kernel of :mod:`lrnn.kernels` (the numpy reference of
:mod:`lrnn.objective` where the kernels cannot run), which returns the block's partial sums, and
the partials are added in block order — so a pass is deterministic and agrees with the
in-memory backend to rounding. Memory is one block (``block_bytes``, 64 MiB by default) plus a
few vectors of m values (y, the weights; the logits only when asked for).

The per-block partial sums (``block_*`` below) are shared with the Dask backend, which maps the
same functions over the chunks of a cluster array: the math lives once, in kernels/objective.

Where the data can live (:func:`open_out_of_core`):

* **NumPy**: a folder holding ``X.npy`` and ``y.npy`` (or the path of ``X.npy`` itself, with
  ``y.npy`` beside it). X is memory-mapped (``np.load(mmap_mode="r")``), so blocks are views of
  the page cache: no copy, and the pages read count as file-backed memory that the kernel
  reclaims under pressure, not as the process's own (anonymous) memory.
* **Zarr**: a store (a folder with ``zarr.json`` or ``.zgroup``, usually named ``*.zarr``)
  holding the arrays ``"X"`` (m × n) and ``"y"`` (m). Blocks are aligned to Zarr's row chunks.
* **Parquet**: one ``.parquet`` file or a folder of them (read in name order), one numeric
  column per feature plus the label column (``label=``, default ``"label"``). Features are all
  other columns, in the first file's order; every file must have the same ones. Files are read
  a batch of rows at a time with pyarrow, never whole.

In every case y is read into memory (m values) and must hold 0/1 labels (or booleans).

``sgd`` on a source with cheap random row access (a NumPy array or memory map) draws exactly the
in-memory backend's mini-batches (same permutation, same rows), so runs agree with it. On Zarr
and Parquet, where reading a few scattered rows costs a whole chunk or row group, an epoch
visits the storage units (row groups, chunk-aligned blocks) in a random order and shuffles the
rows within each block: every example is still seen once per epoch, but the batches differ from
the in-memory backend's, so sgd reaches the same optimum along a different path.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from lrnn import objective
from lrnn.backends import WeightSpace
from lrnn.errors import DataError, UsageError
from lrnn.objective import DataPass

#: Default bytes of X per streamed block: large enough that per-block overhead (a kernel call, a
#: Parquet batch decode) is negligible, small enough to stay far below any sensible memory cap.
BLOCK_BYTES = 64 * 1024 * 1024

_KERNEL_DTYPES = (np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.uint8))


# --------------------------------------------------------------------------------------------
# Partial sums of one block of rows (used here and, per chunk, by the Dask backend)
# --------------------------------------------------------------------------------------------
def _fast(x: NDArray) -> Any:
    """The kernels module when it can run on ``x`` as it is, else None (use the reference)."""
    try:
        from lrnn import kernels
    except ImportError:  # kernels are optional: the reference computes the same sums
        return None
    return kernels if kernels.available(x) else None


def _block_total(x: NDArray, s: NDArray | None) -> float:
    return float(x.shape[0]) if s is None else float(np.sum(s, dtype=np.float64))


def block_data_pass(
    x: NDArray, y: NDArray, s: NDArray | None, w: NDArray, b: float, scale: float
) -> NDArray[np.float64]:
    """``[Σ sℓ, Σ s(a−y), Σ s·hit, Σ s(a−y)·scale·x (n values)]`` for one block, in float64.

    The kernels (and the reference) return weighted *means*; multiplying back by the block's
    weight total gives sums that add across blocks (relative rounding ~1e-16). A block whose
    weights are all zero contributes nothing (and would divide by zero), so it is skipped.
    """
    n = w.shape[0]
    out = np.zeros(3 + n)
    total = _block_total(x, s)
    if x.shape[0] == 0 or total == 0.0:
        return out
    impl = _fast(x) or objective
    data = impl.data_pass(w, b, x, y, s, scale)
    out[0] = data.loss * total
    out[1] = data.db * total
    out[2] = data.accuracy * total
    out[3:] = data.dw
    out[3:] *= total
    if not np.isfinite(out).all() and np.isfinite(w).all() and math.isfinite(b):
        _raise_if_not_finite(x, y, s)
    return out


def _raise_if_not_finite(x: NDArray, y: NDArray, s: NDArray | None) -> None:
    """Finite parameters gave a non-finite sum: name the input that holds NaN or infinity.

    Checking here, only when a sum has gone bad, costs nothing on clean data (a separate check
    would be one more pass over X); with finite inputs the sums stay finite, so a diverging
    run (huge w) is left to the training loop's divergence guard.
    """
    for name, v in (("X", x), ("y", y), ("sample_weight", s)):
        if v is not None and np.issubdtype(v.dtype, np.floating) and not np.isfinite(v).all():
            raise DataError(
                f"{name} contains NaN or infinity (in a block of {x.shape[0]} rows); "
                "impute or drop those rows before training."
            )


def finish_data_pass(sums: NDArray[np.float64], total: float, dtype: np.dtype) -> DataPass:
    """Turn summed block partials (see :func:`block_data_pass`) into the weighted means."""
    return DataPass(
        float(sums[0] / total),
        (sums[3:] / total).astype(dtype),
        float(sums[1] / total),
        float(sums[2] / total),
    )


def block_hessp(
    x: NDArray,
    s: NDArray | None,
    w: NDArray,
    b: float,
    vw: NDArray,
    vb: float,
    scale: float,
) -> NDArray[np.float64]:
    """``[Σ tᵢ scale·xᵢ (n values), Σ tᵢ]`` with tᵢ = sᵢσᵢ(1−σᵢ)(scale·xᵢ·vw + vb)."""
    out = np.zeros(w.shape[0] + 1)
    total = _block_total(x, s)
    if x.shape[0] == 0 or total == 0.0:
        return out
    fast = _fast(x)
    if fast is not None:
        hw, hb = fast.hessp(w, b, x, vw, vb, s, scale)
    else:
        hw, hb = objective.hessp(w, b, x, vw, vb, 0.0, s, scale)
    out[:-1] = hw
    out[-1] = hb
    out *= total
    return out


def block_hessian(
    x: NDArray, s: NDArray | None, w: NDArray, b: float, scale: float
) -> NDArray[np.float64]:
    """The block's share of X̃ᵀDX̃, D = diag(s σ(1−σ)) — (n+1) × (n+1), not divided by Σs."""
    n = w.shape[0]
    total = _block_total(x, s)
    if x.shape[0] == 0 or total == 0.0:
        return np.zeros((n + 1, n + 1))
    return objective.hessian(w, b, x, 0.0, s, scale) * total


def power_dtype(x_dtype: np.dtype) -> np.dtype:
    """The dtype of the power-iteration vector: the kernels' choice when they run, else float64.

    The in-memory backend runs ``kernels.lambda_max`` (vector in the parameters' dtype) when the
    kernels are importable and ``objective.augmented_lambda_max`` (float64) otherwise; following
    the same choice keeps learning_rate="auto" identical across backends.
    """
    try:
        from lrnn import kernels
    except ImportError:
        return np.dtype(np.float64)
    if np.dtype(x_dtype) in _KERNEL_DTYPES and kernels.numba_installed():
        return objective.param_dtype(x_dtype)
    return np.dtype(np.float64)


def block_gram_matvec(
    x: NDArray, s: NDArray | None, vw: NDArray, vb: float, scale: float
) -> NDArray[np.float64]:
    """The block's share of X̃ᵀSX̃v, v = (vw, vb), as n+1 float64 values."""
    out = np.zeros(vw.shape[0] + 1)
    if x.shape[0] == 0:
        return out
    fast = _fast(x)
    if fast is not None and hasattr(fast, "gram_matvec"):
        uw, ub = fast.gram_matvec(x, vw, vb, s, scale)
        out[:-1] = uw
        out[-1] = ub
        return out
    t = objective.logits(np.asarray(vw, dtype=np.float64), vb, x, scale)  # X̃v
    if s is not None:
        t *= s
    out[:-1] = scale * (t @ x)
    out[-1] = t.sum()
    return out


def block_logits(x: NDArray, w: NDArray, b: float, scale: float) -> NDArray:
    """z = scale·x w + b for one block, in w's dtype."""
    fast = _fast(x)
    if fast is not None and hasattr(fast, "logits"):
        return fast.logits(w, b, x, scale)
    return objective.logits(w, b, x, scale)


# --------------------------------------------------------------------------------------------
# Sources: where the rows come from
# --------------------------------------------------------------------------------------------
class Source(Protocol):
    """Rows of X on storage. A *unit* is a stretch of rows read as one (a block, a row group)."""

    n_rows: int
    n_features: int
    dtype: np.dtype  # the dtype blocks arrive in
    random_access: bool  # whether take() on scattered rows is cheap

    def units(self, block_rows: int) -> list[tuple[int, int]]:
        """(start, stop) row ranges covering all rows in order."""
        ...

    def read(self, start: int, stop: int, block_rows: int) -> Iterator[tuple[int, NDArray]]:
        """The rows of one unit as (first row, block) pairs of at most ``block_rows`` rows."""
        ...

    def take(self, rows: NDArray) -> NDArray:
        """The rows at sorted indices ``rows`` (only when random_access)."""
        ...


def _block_dtype(dtype: np.dtype, what: str) -> np.dtype:
    """float32/float64/uint8 stream as stored; other numbers are widened to float64 per block."""
    dtype = np.dtype(dtype)
    if dtype in _KERNEL_DTYPES:
        return dtype
    if dtype.kind in "biuf":
        return np.dtype(np.float64)
    raise DataError(
        f"{what} has dtype {dtype}, not numbers; store the features as float32, float64 or "
        "uint8 (convert or encode the other columns first)."
    )


class ArraySource:
    """Rows of anything that slices like an array: ``np.memmap``/``ndarray``, ``zarr.Array``."""

    def __init__(self, array: Any, what: str = "X") -> None:
        shape = tuple(getattr(array, "shape", ()))
        if len(shape) != 2:
            raise DataError(
                f"{what} must be 2-D (examples × features); got shape {shape}. "
                "Reshape it to (m, n) and save it again."
            )
        self.array = array
        self.n_rows, self.n_features = int(shape[0]), int(shape[1])
        self.stored_dtype = np.dtype(array.dtype)
        self.dtype = _block_dtype(self.stored_dtype, what)
        self.random_access = isinstance(array, np.ndarray)  # np.memmap is an ndarray
        chunks = getattr(array, "chunks", None)  # Zarr: align blocks with its row chunks
        self.chunk_rows = int(chunks[0]) if isinstance(chunks, tuple) and chunks else 1

    def _aligned(self, block_rows: int) -> int:
        if block_rows >= self.chunk_rows:
            return block_rows - block_rows % self.chunk_rows
        return block_rows

    def units(self, block_rows: int) -> list[tuple[int, int]]:
        step = self._aligned(block_rows)
        return [(a, min(a + step, self.n_rows)) for a in range(0, self.n_rows, step)]

    def _convert(self, block: Any) -> NDArray:
        block = np.asarray(block)  # a view for memory maps, a fresh array for Zarr
        return block if block.dtype == self.dtype else block.astype(self.dtype)

    def read(self, start: int, stop: int, block_rows: int) -> Iterator[tuple[int, NDArray]]:
        step = self._aligned(block_rows)
        for a in range(start, stop, step):
            yield a, self._convert(self.array[a : min(a + step, stop)])

    def take(self, rows: NDArray) -> NDArray:
        return self._convert(self.array[rows])


class ParquetSource:
    """Rows of one or more Parquet files: features are every column except the label."""

    random_access = False

    def __init__(self, files: list[Path], label: str = "label") -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if not files:
            raise DataError("no Parquet files given; pass a .parquet file or a folder of them.")
        self.files = list(files)
        self.label = label
        schema = pq.read_schema(self.files[0])
        if label not in schema.names:
            raise DataError(
                f"{self.files[0]} has no label column {label!r}; its columns are "
                f"{', '.join(schema.names[:10])}{' …' if len(schema.names) > 10 else ''}. "
                "Pass label=<the column holding 0/1 labels>."
            )
        self.features = [name for name in schema.names if name != label]
        if not self.features:
            raise DataError(f"{self.files[0]} has only the label column; there are no features.")
        types = [schema.field(name).type for name in self.features]
        for name, t in zip(self.features, types, strict=True):
            if not (pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t)):
                raise DataError(
                    f"column {name!r} of {self.files[0]} has type {t}, not numbers; encode it "
                    "as numbers or drop it before training."
                )
        if all(t == pa.float32() for t in types):
            self.dtype = np.dtype(np.float32)
        elif all(t == pa.uint8() for t in types):
            self.dtype = np.dtype(np.uint8)
        else:
            self.dtype = np.dtype(np.float64)
        self.n_features = len(self.features)
        self._row_groups: list[tuple[int, int, int, int]] = []  # (file, group, start, stop)
        start = 0
        for k, path in enumerate(self.files):
            meta = pq.ParquetFile(path).metadata
            names = set(meta.schema.names)
            missing = [c for c in (*self.features, label) if c not in names]
            if missing:
                raise DataError(
                    f"{path} lacks column {missing[0]!r} that {self.files[0]} has; every file "
                    "must hold the same feature and label columns."
                )
            for g in range(meta.num_row_groups):
                rows = meta.row_group(g).num_rows
                self._row_groups.append((k, g, start, start + rows))
                start += rows
        self.n_rows = start

    def units(self, block_rows: int) -> list[tuple[int, int]]:
        return [(a, b) for _, _, a, b in self._row_groups]

    def read(self, start: int, stop: int, block_rows: int) -> Iterator[tuple[int, NDArray]]:
        import pyarrow.parquet as pq

        for k, g, a, b in self._row_groups:
            if b <= start or a >= stop:
                continue
            handle = pq.ParquetFile(self.files[k])
            row = a
            for batch in handle.iter_batches(
                batch_size=block_rows, row_groups=[g], columns=self.features
            ):
                yield row, self._to_numpy(batch, k)
                row += batch.num_rows

    def take(self, rows: NDArray) -> NDArray:
        raise UsageError("Parquet sources have no cheap random row access; use read().")

    def _to_numpy(self, batch: Any, k: int) -> NDArray:
        out = np.empty((batch.num_rows, self.n_features), dtype=self.dtype)
        for j, column in enumerate(batch.columns):
            if column.null_count:
                raise DataError(
                    f"column {self.features[j]!r} of {self.files[k]} has "
                    f"{column.null_count} missing values; impute or drop them first."
                )
            out[:, j] = column.to_numpy(zero_copy_only=False)
        return out

    def labels(self) -> NDArray:
        import pyarrow.parquet as pq

        parts = []
        for path in self.files:
            column = pq.read_table(path, columns=[self.label]).column(0)
            if column.null_count:
                raise DataError(
                    f"the label column {self.label!r} of {path} has {column.null_count} "
                    "missing values; drop those rows first."
                )
            parts.append(column.to_numpy())
        return np.concatenate(parts)


def as_source(X: Any) -> Source:
    """A :class:`Source` for ``X``: itself if it already is one, else an :class:`ArraySource`."""
    if hasattr(X, "units") and hasattr(X, "read"):
        return X
    return ArraySource(X)


# --------------------------------------------------------------------------------------------
# Opening data on disk
# --------------------------------------------------------------------------------------------
CONVENTIONS = (
    "a folder with X.npy and y.npy, a Zarr store with arrays 'X' and 'y', or a .parquet file "
    "or folder of them with a label column"
)


def open_out_of_core(path: str | Path, label: str = "label") -> tuple[Source, NDArray]:
    """The X source and the labels y (in memory) of data stored at ``path``.

    See the module docstring for the layouts understood. The result goes straight into
    ``StreamingBackend(source, y)`` (or use :meth:`StreamingBackend.open`).
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path} does not exist; expected {CONVENTIONS}.")
    if path.is_file() and path.suffix == ".npy":
        return _open_npy(path, path.parent / "y.npy")
    if path.is_file() and path.suffix == ".parquet":
        source = ParquetSource([path], label)
        return source, _labels(source.labels(), f"column {label!r} of {path}", source.n_rows)
    if path.is_dir():
        if (path / "X.npy").exists():
            return _open_npy(path / "X.npy", path / "y.npy")
        if (path / "zarr.json").exists() or (path / ".zgroup").exists():
            return _open_zarr(path)
        files = sorted(path.glob("*.parquet"))
        if files:
            source = ParquetSource(files, label)
            labels = _labels(source.labels(), f"column {label!r}", source.n_rows)
            return source, labels
    raise DataError(f"{path} is not one of the out-of-core layouts; expected {CONVENTIONS}.")


def _open_npy(x_path: Path, y_path: Path) -> tuple[Source, NDArray]:
    if not y_path.exists():
        raise DataError(
            f"{x_path} has no labels beside it: save them as {y_path} (np.save, one 0/1 "
            "value per row of X)."
        )
    try:
        X = np.load(x_path, mmap_mode="r", allow_pickle=False)
        y = np.load(y_path, allow_pickle=False)
    except ValueError as exc:
        raise DataError(f"{x_path} or {y_path} is not a plain .npy array ({exc}).") from exc
    source = ArraySource(X, str(x_path))
    return source, _labels(y, str(y_path), source.n_rows)


def _open_zarr(path: Path) -> tuple[Source, NDArray]:
    try:
        import zarr
    except ImportError as exc:
        raise UsageError(f"reading {path} needs Zarr: pip install 'lrnn[dask]'.") from exc
    group = zarr.open_group(str(path), mode="r")
    missing = [k for k in ("X", "y") if k not in group]
    if missing:
        raise DataError(
            f"the Zarr store {path} has no array {missing[0]!r}; it needs 'X' (m × n) and "
            f"'y' (m labels). It holds: {', '.join(sorted(group.array_keys())) or 'nothing'}."
        )
    source = ArraySource(group["X"], f"{path}/X")
    return source, _labels(group["y"][:], f"{path}/y", source.n_rows)


def _labels(y: Any, what: str, m: int) -> NDArray:
    """0/1 labels as float64, checked: the backends' contract, so bad labels fail here."""
    y = np.asarray(y)
    if y.ndim == 2 and 1 in y.shape:
        y = y.reshape(-1)
    if y.ndim != 1 or y.shape[0] != m:
        raise DataError(f"{what} must hold one label per row of X ({m}); got shape {y.shape}.")
    if y.dtype.kind not in "biuf":
        raise DataError(f"{what} has dtype {y.dtype}; store labels as 0/1 numbers or booleans.")
    y = y.astype(np.float64)
    bad = ~((y == 0) | (y == 1))
    if bad.any():
        raise DataError(
            f"{what} must hold 0/1 labels; found {float(y[bad][0]):g}. Map them first "
            "(e.g. y = (y == positive_class))."
        )
    return y


# --------------------------------------------------------------------------------------------
# The backend
# --------------------------------------------------------------------------------------------
class StreamingBackend(WeightSpace):
    """Training data streamed from storage one block of rows at a time; y in memory."""

    name = "stream"

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
        self.y = self._vector(y, "y")
        self.sample_weight = None if sample_weight is None else self._vector(sample_weight, "s")
        self.scale = float(scale)
        self.total = (
            float(self.n_samples)
            if self.sample_weight is None
            else float(np.sum(self.sample_weight, dtype=np.float64))
        )
        if block_rows is None:
            row_bytes = self.n_features * max(self.source.dtype.itemsize, 1)
            block_rows = max(1, block_bytes // row_bytes)
        if not isinstance(block_rows, int | np.integer) or block_rows < 1:
            raise UsageError(f"block_rows must be an integer ≥ 1; got {block_rows!r}.")
        self.block_rows = int(block_rows)

    @classmethod
    def open(cls, path: str | Path, label: str = "label", **kwargs: Any) -> StreamingBackend:
        """The backend for data stored at ``path`` (see :func:`open_out_of_core`)."""
        source, y = open_out_of_core(path, label)
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
        for _, x, y, s in self._blocks():
            sums += block_data_pass(x, y, s, w, b, self.scale)
        return finish_data_pass(sums, self.total, self.dtype)

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
        from lrnn.backends.numpy_backend import InMemoryBackend

        def batch(x: NDArray, rows: NDArray) -> InMemoryBackend:
            s = None if self.sample_weight is None else self.sample_weight[rows]
            return InMemoryBackend(x, self.y[rows], s, self.scale)

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


def stream_sha256(source: Any, y: NDArray, block_bytes: int = BLOCK_BYTES) -> str:
    """:func:`lrnn.data.data_sha256` of (X, y) with X read a block at a time.

    The digest covers the same header and bytes as for the whole array in memory (X in its
    stored dtype, C order; y as int64 labels), so a model's manifest names the data the same way
    whether it was loaded or streamed.
    """
    import hashlib

    source = as_source(source)
    h = hashlib.sha256()
    dtype = np.dtype(source.dtype).newbyteorder("<")
    h.update(f"X {dtype.str} {(source.n_rows, source.n_features)}\n".encode())
    block_rows = max(1, block_bytes // max(1, source.n_features * dtype.itemsize))
    for _, block in source.read(0, source.n_rows, block_rows):
        h.update(np.ascontiguousarray(block, dtype=dtype).reshape(-1).view(np.uint8).data)
    labels = np.ascontiguousarray(np.asarray(y).astype("<i8"))
    h.update(f"y {labels.dtype.str} {labels.shape}\n".encode())
    h.update(labels.reshape(-1).view(np.uint8).data)
    return h.hexdigest()
