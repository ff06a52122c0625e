"""The math of the single neuron, written once.

Conventions (the same everywhere in lrnn):

* ``X`` is ``(m, n)``: one example per row (the course functions transpose the lesson's
  ``(n, m)`` layout into this, as a view). ``X`` may be float64, float32 or uint8; ``scale``
  multiplies every feature *inside* the math, so raw uint8 pixels with ``scale=1/255`` give the
  lesson's ``X / 255`` without a float copy of ``X``.
* ``w`` is ``(n,)``, ``b`` a scalar; ``z = scale · X w + b`` are the logits, ``a = σ(z)``.
* The loss of one example is ``ℓ(z, y) = log(1 + eᶻ) − y z``, which *is* the lesson's
  ``−y log a − (1 − y) log(1 − a)`` rewritten on logits so that it never takes ``log 0``.
* The cost is ``J = Σ sᵢ ℓᵢ / Σ sᵢ + (alpha/2)‖w‖²`` with sample weights ``s`` (default 1, giving
  the lesson's mean); the bias is not penalised.
* Gradients: ``dw = scale · Xᵀ(s ⊙ (a − y)) / Σs + alpha w``, ``db = Σ s(a − y) / Σs`` — with unit
  weights and alpha = 0 exactly the lesson's ``dw = (1/m) X (A − Y)ᵀ``, ``db = (1/m) Σ (A − Y)``.

Arithmetic runs in the parameters' dtype: float32 data trains in float32 (sums of losses are
accumulated in float64, which costs nothing and protects the reported cost), float64 in float64,
uint8 in float64. Nothing here copies ``X`` to another dtype except one block of rows at a time.

This module is the plain numpy reference. ``kernels`` holds fused single-pass versions with the
same contract, tested against these functions.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

#: Rows converted at a time when ``X`` is stored as integers (keeps temporaries small).
BLOCK_ROWS = 4096


def param_dtype(x_dtype: np.dtype) -> np.dtype:
    """The floating dtype the parameters and arithmetic use for data stored as ``x_dtype``."""
    return np.dtype(np.float32) if np.dtype(x_dtype) == np.float32 else np.dtype(np.float64)


class DataPass(NamedTuple):
    """What one pass over the data returns: the data term of J and its gradient.

    ``loss`` is the weighted mean log loss (no L2 term), ``dw``/``db`` its gradient, and
    ``accuracy`` the weighted fraction of examples with (a > 0.5) == y, which falls out of the
    same pass for free so that history can show it without reading X again.
    """

    loss: float
    dw: NDArray
    db: float
    accuracy: float


def first_non_binary(y: NDArray) -> int | None:
    """Where the first label that is neither 0 nor 1 sits, None when every one is: the loss
    −y log a − (1 − y) log(1 − a) means nothing else (labels of −1/1 trained to a cost of
    −1861). The one rule that the backends, the streamed sources and the two-class scores read
    labels by. An index, not the label: a None among object labels is a label to refuse."""
    bad = np.flatnonzero(~((y == 0) | (y == 1)))
    return int(bad[0]) if bad.size else None


def regularize(data: DataPass, w: NDArray, alpha: float) -> tuple[float, NDArray, float]:
    """Add (alpha/2)‖w‖² to the data term: the one place the L2 penalty enters (bias exempt)."""
    if not alpha:
        return data.loss, data.dw, data.db
    return data.loss + _penalty(w, alpha), data.dw + w.dtype.type(alpha) * w, data.db


def regularized_gradient(loss: float, grad: NDArray, w: NDArray, alpha: float) -> float:
    """:func:`regularize` for a data-term gradient already laid out as θ is (weights, then the
    bias): the penalty's gradient is added to ``grad`` in place and the cost returned. For
    small data, where building the gradient anew costs more than computing it."""
    if not alpha:
        return loss
    grad[:-1] += w.dtype.type(alpha) * w
    return loss + _penalty(w, alpha)


def _penalty(w: NDArray, alpha: float) -> float:
    """(alpha/2)‖w‖², summed in float64 (the softmax layer's W (n, K) too)."""
    flat = w.reshape(-1)
    return 0.5 * alpha * float(np.dot(flat.astype(np.float64, copy=False), flat))


# --------------------------------------------------------------------------------------------
# σ and its logarithm
# --------------------------------------------------------------------------------------------
def sigmoid(z: ArrayLike) -> NDArray[np.floating]:
    """σ(z) = 1 / (1 + e^-z) without overflow for any finite z, exactly 0.5 at 0.

    ``exp`` is only ever taken of ``−|z|`` (at most 1), and the two algebraically equal forms
    1/(1+e^-|z|) and e^-|z|/(1+e^-|z|) are picked by sign, so no intermediate overflows.
    """
    z = np.asarray(z)
    if not np.issubdtype(z.dtype, np.floating):
        z = z.astype(np.float64)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(z.dtype, copy=False)


def log_sigmoid(z: ArrayLike) -> NDArray[np.floating]:
    """log σ(z) = −log(1 + e^-z), finite wherever z is (where log(sigmoid(z)) gives −inf)."""
    z = np.asarray(z)
    if not np.issubdtype(z.dtype, np.floating):
        z = z.astype(np.float64)
    return -np.logaddexp(z.dtype.type(0), -z)


def log_loss_from_logits(z: ArrayLike, y: ArrayLike) -> NDArray[np.floating]:
    """Per-example loss ℓ(z, y) = log(1 + eᶻ) − y z  (= −y log σ(z) − (1 − y) log(1 − σ(z)))."""
    z = np.asarray(z)
    if not np.issubdtype(z.dtype, np.floating):
        z = z.astype(np.float64)
    return np.logaddexp(z.dtype.type(0), z) - np.asarray(y, dtype=z.dtype) * z


def cost_from_logits(z: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> float:
    """Weighted mean of ℓ(z, y), accumulated in float64."""
    losses = log_loss_from_logits(z, y)
    if sample_weight is None:
        return float(np.mean(losses, dtype=np.float64))
    s = np.asarray(sample_weight, dtype=np.float64)
    return float(np.dot(losses.astype(np.float64, copy=False), s) / s.sum())


def forward_backward_from_logits(
    z: NDArray, y: NDArray, sample_weight: NDArray | None, total: float
) -> tuple[float, NDArray, float]:
    """Everything a pass needs from the logits: (mean loss, residual s(a − y), accuracy).

    One ``exp`` per example serves both the loss and σ: with e = e^-|z|, ℓ = log1p(e) +
    max(z, 0) − y z (what ``logaddexp(0, z) − y z`` computes) and σ(z) = 1/(1+e) or e/(1+e) by
    sign, as in :func:`sigmoid`. Fewer array operations matter when m is small and a pass is
    called thousands of times (the wide-data shortcut). The residual is not yet divided by
    ``total`` (Σs, or m), so callers can fold that into their own scaling.
    """
    e = np.abs(z)
    np.negative(e, out=e)
    np.exp(e, out=e)
    losses = np.log1p(e)
    losses += np.maximum(z, 0)
    losses -= y * z
    e_or_one = np.exp(np.minimum(z, 0))  # 1 for z ≥ 0, e below: np.where's bits, faster
    e += 1
    residual = np.divide(e_or_one, e, out=e_or_one)  # a = σ(z)
    hits = (residual > 0.5) == (y > 0.5)
    residual -= y
    if sample_weight is None:  # add.reduce / m is np.mean without its Python-level wrapper
        loss = float(np.add.reduce(losses, dtype=np.float64)) / z.shape[0]
        accuracy = np.count_nonzero(hits) / z.shape[0]
    else:
        s64 = sample_weight.astype(np.float64, copy=False)
        loss = float(np.dot(losses.astype(np.float64, copy=False), s64) / total)
        accuracy = float(np.dot(hits, sample_weight) / total)
        residual *= sample_weight
    return loss, residual, accuracy


# --------------------------------------------------------------------------------------------
# Passes over the data (reference implementation)
# --------------------------------------------------------------------------------------------
def _float64_block_rows(n: int) -> int:
    """Rows per block when a block is widened to float64: at most ~4 MiB, at most BLOCK_ROWS,
    so temporaries stay a small fraction of any X worth measuring."""
    return max(16, min(BLOCK_ROWS, 4 * 2**20 // (8 * (n + 1))))


#: Most bytes of a widened block of rows: uint8 pictures of many pixels widened BLOCK_ROWS rows
#: at a time made float64 copies eight times X's size (a 256 MiB X took 2 GiB to score).
WIDENED_BLOCK_BYTES = 32 * 2**20


def _row_blocks(
    X: NDArray, dtype: np.dtype, block_rows: int = BLOCK_ROWS
) -> Iterator[tuple[slice, NDArray]]:
    """``X`` in the arithmetic dtype: the whole array when it already is, else block by block,
    each block at most :data:`WIDENED_BLOCK_BYTES` once widened."""
    m = X.shape[0]
    if X.dtype == dtype:
        yield slice(0, m), X
        return
    row_bytes = np.dtype(dtype).itemsize * max(1, X.shape[1] if X.ndim > 1 else 1)
    block_rows = max(1, min(block_rows, WIDENED_BLOCK_BYTES // row_bytes))
    for start in range(0, m, block_rows):
        rows = slice(start, min(start + block_rows, m))
        yield rows, X[rows].astype(dtype)


def require_finite_logits(
    z: NDArray, w: NDArray, name_row: Callable[[int], str] | None = None
) -> NDArray:
    """``z`` itself when every logit is finite; else a one-line error naming the row —
    as ``name_row`` names it (the file and the name ``lrnn predict`` prints), else by its
    index from 0 (an estimator's caller holds an array).

    Finite weights and finite rows have a finite logit, so one that is not means X·w
    overflowed (weights so large that a product exceeds floating point: a damaged or
    hand-edited model) or the row itself holds NaN or ∞ (rows that were not validated here:
    Dask, torch). Neither has a trustworthy answer: ∞ − ∞ inside the sum comes out as NaN or,
    with fused multiply-adds, as ±∞ whatever the true logit is, and NaN probabilities would
    pass as answers. So a prediction fails loudly instead."""
    undefined = ~np.isfinite(z)
    if not undefined.any():
        return z
    row = int(np.argwhere(undefined)[0][0])
    largest = float(np.max(np.abs(w), initial=0.0))
    from lrnn.errors import DataError

    named = name_row(row) if name_row is not None else f"row {row} (counting from 0)"
    raise DataError(
        f"{named}: its logit is not finite: that row holds NaN or "
        f"infinite values, or X·w overflowed because the model's weights are too large for "
        f"its features (largest |w| = {largest:.3g}); check the row, or retrain the model."
    )


def weights_for_rows(w: NDArray, X: Any) -> NDArray:
    """The weights in the arithmetic that scoring ``X`` uses: a float32 model scores float64
    rows in float64, as scikit-learn's linear models do (in float32 a finite 1e39 became inf,
    and the row was refused), and float32 rows (or uint8 pixels) in its own dtype. Every
    prediction path — estimator, predict, serve — goes through here, so they agree with
    each other and with the exported graph."""
    if getattr(X, "dtype", None) == np.float64 and w.dtype == np.float32:
        return w.astype(np.float64)
    return w


def logits(w: NDArray, b: float, X: NDArray, scale: float = 1.0) -> NDArray[np.floating]:
    """z = scale · X w + b, shape (m,), in the parameters' dtype."""
    dtype = w.dtype
    z = np.empty(X.shape[0], dtype=dtype)
    for rows, Xb in _row_blocks(X, dtype):
        if isinstance(Xb, np.ndarray):
            np.matmul(Xb, w, out=z[rows])
        else:  # scipy.sparse rows (the finite-difference check takes them too)
            z[rows] = Xb @ w
    if scale != 1.0:
        z *= dtype.type(scale)
    z += dtype.type(b)
    return z


def _weights_or_none(sample_weight: NDArray | None, m: int) -> tuple[NDArray | None, float]:
    if sample_weight is None:
        return None, float(m)
    return sample_weight, float(np.sum(sample_weight, dtype=np.float64))


def data_pass(
    w: NDArray,
    b: float,
    X: NDArray,
    y: NDArray,
    sample_weight: NDArray | None = None,
    scale: float = 1.0,
) -> DataPass:
    """Forward and backward propagation over all of X: the data term and its gradient.

    ``w`` fixes the arithmetic dtype (see :func:`param_dtype`). ``y`` holds 0/1 values.
    """
    dtype = w.dtype
    m = X.shape[0]
    s, total = _weights_or_none(sample_weight, m)
    z = logits(w, b, X, scale)  # (m,)
    loss, residual, accuracy = forward_backward_from_logits(z, np.asarray(y, dtype), s, total)
    dw = np.zeros_like(w)
    for rows, Xb in _row_blocks(X, dtype):
        dw += residual[rows] @ Xb
    dw *= dtype.type(scale / total)
    db = float(np.sum(residual, dtype=np.float64) / total)
    return DataPass(loss, dw, db, accuracy)


def augmented_data_pass(
    theta: NDArray[np.float64],
    augmented: NDArray[np.float64],
    y: NDArray,
    sample_weight: NDArray | None = None,
) -> tuple[DataPass, NDArray[np.float64], NDArray[np.float64]]:
    """:func:`data_pass` for float64 parameters from ``augmented`` = [scale·X, 1] (float64,
    :func:`augmented_rows`) and θ = (w, b): z = X̃θ and X̃ᵀr are one product each, where the
    blocked form pays for blocks, the bias and the scaling apart — on small data, at every
    iteration. Also returns z, for a Hessian at the same point, and the gradient (dw, db) as
    one vector laid out as θ is (the pass's ``dw`` is a copy of its first part)."""
    m = augmented.shape[0]
    s, total = _weights_or_none(sample_weight, m)
    z = augmented @ theta
    loss, residual, accuracy = forward_backward_from_logits(z, y, s, total)
    g = residual @ augmented
    g /= total
    return DataPass(loss, g[:-1].copy(), float(g[-1]), accuracy), z, g


def loss_and_grad(
    w: NDArray,
    b: float,
    X: NDArray,
    y: NDArray,
    alpha: float = 0.0,
    sample_weight: NDArray | None = None,
    scale: float = 1.0,
) -> tuple[float, NDArray, float]:
    """Cost J (with the L2 term) and its gradient (dw, db) at (w, b)."""
    return regularize(data_pass(w, b, X, y, sample_weight, scale), w, alpha)


def hessp(
    w: NDArray,
    b: float,
    X: NDArray,
    vw: NDArray,
    vb: float,
    alpha: float = 0.0,
    sample_weight: NDArray | None = None,
    scale: float = 1.0,
) -> tuple[NDArray, float]:
    """Hessian of J at (w, b) times the direction (vw, vb).

    H = X̃ᵀ D X̃ / Σs + alpha·diag(1…1, 0) with X̃ = [scale·X, 1] and D = diag(s a (1 − a)).
    """
    dtype = w.dtype
    m = X.shape[0]
    s, total = _weights_or_none(sample_weight, m)
    a = sigmoid(logits(w, b, X, scale))
    curvature = a * (1 - a)
    if s is not None:
        curvature *= s
    t = logits(vw, vb, X, scale)  # X̃ v
    t *= curvature
    hw = np.zeros_like(w)
    for rows, Xb in _row_blocks(X, dtype):
        hw += t[rows] @ Xb
    hw *= dtype.type(scale / total)
    hb = float(np.sum(t, dtype=np.float64) / total)
    if alpha:
        hw += dtype.type(alpha) * vw
    return hw, hb


def hessian(
    w: NDArray,
    b: float,
    X: NDArray,
    alpha: float = 0.0,
    sample_weight: NDArray | None = None,
    scale: float = 1.0,
    augmented: NDArray[np.float64] | None = None,
    z: NDArray | None = None,
) -> NDArray[np.float64]:
    """The full (n+1) × (n+1) Hessian, bias last; only sensible when n is small.

    ``augmented``, [scale·X, 1] in float64 (see :func:`augmented_rows`), makes it one matrix
    product: on small data (breast_cancer, 569 × 30) the blocks, the bias row and the scaling
    below cost more than the product itself, at every Newton step. ``z``: the logits at
    (w, b), when the caller has them from the data pass at the same point."""
    m, n = X.shape
    s, total = _weights_or_none(sample_weight, m)
    # σ(1 − σ) = e/(1 + e)² with e = e^−|z|: fewer array operations than σ and then σ(1 − σ)
    # (this runs at every Newton step, where small data pays per operation), and accurate in
    # both tails, where 1 − σ loses every digit.
    if z is None:
        z = logits(w, b, X, scale)
    if augmented is not None:
        # H = BᵀB with B = √d ∘ X̃: NumPy hands a product of an array with its own transpose
        # to BLAS's syrk, which forms one triangle, and √d = e^−|z|/2 / (1 + e^−|z|) costs the
        # operations d does (569 × 31 on one thread: 59 against 75 µs per Hessian). Sample
        # weights are never negative (each is checked where it is given).
        root = np.abs(z.astype(np.float64, copy=False))
        root *= -0.5
        np.exp(root, out=root)
        denominator = np.square(root)
        denominator += 1.0
        root /= denominator
        if s is not None:
            root *= np.sqrt(s)
        B = augmented * root[:, None]
        H = B.T @ B
        H /= total
        if alpha:
            np.einsum("ii->i", H)[:n] += alpha  # a view of the diagonal
        return H
    e = np.abs(z.astype(np.float64, copy=False))
    np.negative(e, out=e)
    np.exp(e, out=e)
    d = e / np.square(e + 1.0)
    if s is not None:
        d *= s
    H = np.zeros((n + 1, n + 1))
    block = _float64_block_rows(n)
    for start in range(0, m, block):  # blocks even for float64: Xd is a temporary
        rows = slice(start, min(start + block, m))
        Xb = X[rows].astype(np.float64, copy=False)
        H[:n, :n] += (Xb * d[rows, None]).T @ Xb
        H[n, :n] += d[rows] @ Xb  # X̃ᵀd by BLAS: summing the columns of Xd costs as much as Xd
    if scale != 1.0:
        H[:n, :n] *= scale * scale
        H[n, :n] *= scale
    H[:n, n] = H[n, :n]
    H[n, n] = d.sum()
    H /= total
    if alpha:
        H[np.arange(n), np.arange(n)] += alpha
    return H


#: :func:`augmented_rows` copies X only up to this many values (2 MiB in float64): a Newton step
#: on data this small is dominated by fixed costs, which the copy removes (see :func:`hessian`).
SMALL_AUGMENTED_VALUES = 262_144


def augmented_rows(X: NDArray, scale: float = 1.0) -> NDArray[np.float64] | None:
    """[scale·X, 1] in float64 when X is small enough to copy (:data:`SMALL_AUGMENTED_VALUES`),
    else None: :func:`hessian`'s one-product form."""
    m, n = X.shape
    if m * (n + 1) > SMALL_AUGMENTED_VALUES:
        return None
    # Column-major: the Hessian's X̃ᵀ(d ∘ X̃) then scales contiguous rows of X̃ᵀ and multiplies
    # in BLAS's plainest layout, 15 % faster than from rows (569 × 31: 58 against 69 µs).
    out = np.ones((n + 1, m)).T
    out[:, :n] = X  # widened first: float32 X times scale in float64, as the passes do
    if scale != 1.0:
        out[:, :n] *= scale
    return out


#: The exact curvature bound (largest eigenvalue of the smaller Gram matrix of X̃) is used
#: when forming that matrix takes at most about this many multiply-adds; beyond it a few dozen
#: power iterations (two reads of X each) are cheaper.
EXACT_CURVATURE_WORK = 2_000_000_000


def exact_curvature_is_cheap(m: int, n: int) -> bool:
    """The rule every backend follows, so learning_rate="auto" is the same step everywhere."""
    side, length = min(m, n + 1), max(m, n + 1)
    return side * side * length <= EXACT_CURVATURE_WORK


def augmented_gram(x: NDArray, s: NDArray | None, scale: float) -> NDArray:
    """X̃ᵀSX̃ with X̃ = [scale·x, 1], in float64 ((n+1) × (n+1)), summed over blocks of rows.

    Rows are widened to float64 a block at a time, so X never has a full float64 copy.
    """
    m, n = x.shape
    rows = _float64_block_rows(n)
    gram = np.zeros((n + 1, n + 1))
    for start in range(0, m, rows):
        xt = np.empty((min(rows, m - start), n + 1))
        block = x[start : start + rows]
        # scipy.sparse rows (small n only: the exact Gram is formed when it is cheap)
        xt[:, :n] = block.toarray() if hasattr(block, "toarray") else block
        xt[:, :n] *= scale
        xt[:, n] = 1.0
        weighted = xt if s is None else xt * np.asarray(s[start : start + rows])[:, None]
        gram += xt.T @ weighted
    return gram


def augmented_cross_gram(
    xi: NDArray, si: NDArray | None, xj: NDArray, sj: NDArray | None, scale: float
) -> NDArray:
    """S_i^½ X̃_i X̃_jᵀ S_j^½ for two blocks of rows (pieces of the m × m Gram of wide data)."""
    g = (scale * scale) * (xi.astype(np.float64) @ xj.astype(np.float64).T) + 1.0
    if si is not None:
        g *= np.sqrt(np.asarray(si, dtype=np.float64))[:, None]
    if sj is not None:
        g *= np.sqrt(np.asarray(sj, dtype=np.float64))[None, :]
    return g


def row_products(X: NDArray, dtype: np.dtype, block_bytes: int = 32 * 2**20) -> NDArray:
    """XXᵀ (m × m) in ``dtype``: one BLAS product when X already has that dtype, else a sum
    over blocks of columns widened at most ``block_bytes`` at a time (X is never copied whole).
    Sparse rows give a dense XXᵀ too (it is m × m, and asked for only when m is small)."""
    m, n = X.shape
    if not isinstance(X, np.ndarray) and hasattr(X, "tocsr"):  # scipy.sparse
        rows = X.tocsr().astype(dtype)
        return np.asarray((rows @ rows.T).toarray())
    if X.dtype == dtype:
        return X @ X.T
    cols = max(1, block_bytes // (np.dtype(dtype).itemsize * max(m, 1)))
    gram = np.zeros((m, m), dtype=dtype)
    for start in range(0, n, cols):
        block = X[:, start : start + cols].astype(dtype)
        gram += block @ block.T
    return gram


def augmented_row_gram(X: NDArray, s: NDArray | None, scale: float) -> NDArray:
    """S^½X̃X̃ᵀS^½ (m × m) of an in-memory X, in float64."""
    gram = row_products(X, np.dtype(np.float64))
    gram *= scale * scale
    gram += 1.0
    if s is not None:
        root = np.sqrt(np.asarray(s, dtype=np.float64))
        gram *= root[:, None]
        gram *= root[None, :]
    return gram


def curvature_bound(
    m: int,
    n: int,
    total: float,
    dtype: np.dtype,
    gram: Callable[[], NDArray],
    row_gram: Callable[[], NDArray],
    matvec: Callable[[NDArray, float], NDArray],
    power_iterations: int = 30,
    seed: int = 0,
) -> float:
    """λmax(X̃ᵀSX̃)/Σs from sums that a backend computes its own way.

    The exact eigenvalue of the smaller Gram matrix when :func:`exact_curvature_is_cheap` —
    ``gram()`` gives X̃ᵀSX̃ ((n+1)²), ``row_gram()`` S^½X̃X̃ᵀS^½ (m², wide short data) — else
    power iterations with ``matvec(vw, vb)`` = X̃ᵀSX̃v (vw in ``dtype``), padded by 2 % because
    power iteration approaches λmax from below. A Gram matrix that overflows means λmax itself
    does (every entry is bounded by the largest diagonal one), so the bound is then inf.
    """
    if exact_curvature_is_cheap(m, n):
        matrix = row_gram() if m <= n + 1 else gram()
        if not np.isfinite(matrix).all():
            return math.inf
        return float(np.linalg.eigvalsh(matrix)[-1]) / total
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(n + 1)
    v /= np.linalg.norm(v)
    estimate = 0.0
    for _ in range(power_iterations):
        u = matvec(v[:n].astype(dtype), float(v[n]))
        new_estimate = float(np.linalg.norm(u))
        v = u / new_estimate
        if abs(new_estimate - estimate) <= 1e-4 * new_estimate:
            estimate = new_estimate
            break
        estimate = new_estimate
    if not math.isfinite(estimate):  # X̃v overflowed: the curvature is beyond float64
        return math.inf
    return 1.02 * estimate / total


def augmented_lambda_max(
    X: NDArray,
    sample_weight: NDArray | None = None,
    scale: float = 1.0,
    power_iterations: int = 30,
    seed: int = 0,
) -> float:
    """λmax(X̃ᵀ S X̃) / Σs with X̃ = [scale·X, 1]: the curvature scale of the data term.

    The bias column counts (see DESIGN.md): without it, small features give a bound below the
    true one and 1/L can overshoot. See :func:`curvature_bound` for exact versus power
    iteration; neither forms a float64 copy of X nor X̃ᵀX̃ for large n.
    """
    m, n = X.shape
    s, total = _weights_or_none(sample_weight, m)

    def matvec(vw: NDArray, vb: float) -> NDArray:
        t = logits(vw, vb, X, scale)  # X̃ v
        if s is not None:
            t *= s
        u = np.zeros(n + 1)
        for rows, Xb in _row_blocks(X, np.dtype(np.float64)):
            u[:n] += t[rows] @ Xb
        u[:n] *= scale
        u[n] = t.sum()
        return u

    return curvature_bound(
        m,
        n,
        total,
        np.dtype(np.float64),
        lambda: augmented_gram(X, s, scale),
        lambda: augmented_row_gram(X, s, scale),
        matvec,
        power_iterations,
        seed,
    )


def lipschitz_constant(
    X: NDArray,
    alpha: float = 0.0,
    sample_weight: NDArray | None = None,
    scale: float = 1.0,
) -> float:
    """L with ‖∇J(θ) − ∇J(θ')‖ ≤ L‖θ − θ'‖: L = λmax(X̃ᵀSX̃)/(4Σs) + alpha, since σ' ≤ 1/4.

    Gradient descent with step 1/L always decreases J; steps above 2/L can diverge.
    """
    return augmented_lambda_max(X, sample_weight, scale) / 4.0 + alpha


# --------------------------------------------------------------------------------------------
# Finite differences: backpropagation checked against rise over run
# --------------------------------------------------------------------------------------------
class GradientCheck(NamedTuple):
    """Per-coordinate rows, the overall relative error ‖a − n‖ / (‖a‖ + ‖n‖), and how far
    rounding in the cost alone can move the finite differences (``rounding``, in ‖a − n‖):
    where a gradient is that small (weights at an optimum), the relative error decides
    nothing."""

    rows: list[dict[str, float | str]]
    overall: float
    rounding: float

    @classmethod
    def of(cls, rows: list[dict[str, float | str]], cost: float, epsilon: float) -> GradientCheck:
        a, n = cls._vectors(rows)
        overall = float(np.linalg.norm(a - n) / max(np.linalg.norm(a) + np.linalg.norm(n), 1e-300))
        # J is a mean of losses each good to a few ulps: within about 10·u·J (generously);
        # two of them over the run 2ε move each difference by up to 10·u·J/ε
        per_difference = 10.0 * float(np.finfo(np.float64).eps) * abs(cost) / epsilon
        return cls(rows, overall, math.sqrt(len(rows)) * per_difference)

    @staticmethod
    def _vectors(rows: list[dict[str, float | str]]) -> tuple[NDArray, NDArray]:
        a = np.array([r["backprop"] for r in rows], dtype=np.float64)
        return a, np.array([r["finite_difference"] for r in rows], dtype=np.float64)

    @property
    def gradient_norm(self) -> float:
        return float(np.linalg.norm(self._vectors(self.rows)[0]))

    @property
    def within_rounding(self) -> bool:
        """Whether backpropagation and the differences differ by no more than rounding."""
        a, n = self._vectors(self.rows)
        return float(np.linalg.norm(a - n)) <= self.rounding


def finite_difference_check(
    w: NDArray,
    b: float,
    X: NDArray,
    y: NDArray,
    coordinates: NDArray,
    epsilon: float,
    alpha: float = 0.0,
) -> GradientCheck:
    """Compare dw[j] (for each j in ``coordinates``) and db with central differences of J.

    The slope of J along one coordinate is (J(θ + ε) − J(θ − ε)) / 2ε — rise over run — and
    agrees with backpropagation to about ε² when the gradient is right.
    """
    cost, dw, db = loss_and_grad(w, b, X, y, alpha)
    rows: list[dict[str, float | str]] = []
    for j in [*np.asarray(coordinates).tolist(), "b"]:
        if j == "b":
            up = loss_and_grad(w, b + epsilon, X, y, alpha)[0]
            down = loss_and_grad(w, b - epsilon, X, y, alpha)[0]
            analytic = float(db)
        else:
            e = np.zeros_like(w)
            e[j] = epsilon
            up = loss_and_grad(w + e, b, X, y, alpha)[0]
            down = loss_and_grad(w - e, b, X, y, alpha)[0]
            analytic = float(dw[j])
        numeric = (up - down) / (2 * epsilon)  # rise over run
        rel = abs(analytic - numeric) / max(abs(analytic) + abs(numeric), 1e-300)
        rows.append(
            {
                "coordinate": f"w[{j}]" if j != "b" else "b",
                "backprop": analytic,
                "finite_difference": numeric,
                "relative_error": rel,
            }
        )
    return GradientCheck.of(rows, cost, epsilon)
