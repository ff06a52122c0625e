"""Partial sums of one block of rows: what the streamed, Dask and torch backends add up.

The data term of J, its gradient, Hessian products and the curvature bound are all *sums over
examples*, so a pass needs only one block of rows at a time. Each function here returns one
block's share as float64 sums (the kernels of :mod:`lrnn.kernels` where they can run, the numpy
reference of :mod:`lrnn.objective` otherwise); the streaming backend adds them in block order,
the Dask backend maps them over a cluster array's chunks. The math lives once, in
kernels/objective; this module only turns its means into sums that add across blocks.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lrnn import objective
from lrnn.data.sources import STORED_DTYPES
from lrnn.errors import DataError
from lrnn.objective import DataPass


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
    x: NDArray,
    y: NDArray,
    s: NDArray | None,
    w: NDArray,
    b: float,
    scale: float,
    check_x: Callable[[NDArray], None] | None = None,
) -> NDArray[np.float64]:
    """``[Σ sℓ, Σ s(a−y), Σ s·hit, Σ s(a−y)·scale·x (n values)]`` for one block, in float64.

    The kernels (and the reference) return weighted *means*; multiplying back by the block's
    weight total gives sums that add across blocks (relative rounding ~1e-16). A block whose
    weights are all zero contributes nothing (and would divide by zero), so it is skipped.
    ``check_x`` (a streamed source's check of this block) names a NaN in X by file and cell.
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
        _raise_if_not_finite(x, y, s, check_x)
    return out


class NotFiniteInBlock(DataError):
    """A block holds NaN or infinity; the block knows only its own rows, so a backend that
    sees the whole data (Dask's client) catches this and names the place in X."""


def _raise_if_not_finite(
    x: NDArray, y: NDArray, s: NDArray | None, check_x: Callable[[NDArray], None] | None = None
) -> None:
    """Finite parameters gave a non-finite sum: name the input that holds NaN or infinity.

    Checking here, only when a sum has gone bad, costs nothing on clean data (a separate check
    would be one more pass over X); with finite inputs the sums stay finite, so a diverging
    run (huge w) is left to the training loop's divergence guard.
    """
    if check_x is not None:
        check_x(x)
    for name, v in (("X", x), ("y", y), ("sample_weight", s)):
        if v is not None and np.issubdtype(v.dtype, np.floating) and not np.isfinite(v).all():
            raise NotFiniteInBlock(
                f"{name} contains NaN or infinity (in a block of {x.shape[0]} rows); "
                "impute or drop those rows before training."
            )


def not_finite_at(
    name: str, value: float, row: int, column: int | None = None, caller_rows: Any = None
) -> DataError:
    """The error for a NaN or infinity found at a place in the data (counting from 0, as the
    caller's array does). ``caller_rows``: the caller's row of each of this backend's rows,
    when it holds a part of the caller's data (the rows early stopping trains on)."""
    if caller_rows is not None:
        row = int(caller_rows[row])
    where = f"row {row}" if column is None else f"row {row}, column {column}"
    return DataError(
        f"{name} holds {value} at {where} (counting from 0); impute or drop that row before "
        "training."
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
    if np.dtype(x_dtype) in STORED_DTYPES and kernels.numba_installed():
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
