"""Fused single-pass CPU kernels with the contract of :mod:`lrnn.objective`.

Why this module exists: a gradient step is bound by how fast X streams out of memory. The numpy
reference reads X twice (``X w``, then ``Xᵀ r``), and a float32 or uint8 X is read even more
slowly. Here every block of rows is pulled into cache once; the logits, the loss, the residuals
and the block's share of ``Xᵀ r`` are all computed while it is still there.

How a pass is laid out (the same for every kernel):

* The rows are cut into *chunks* whose size depends only on the shape and dtype of X — never on
  the thread count. Each chunk writes its partial gradient and its partial sums into its own row
  of a ``parts`` array, and the chunk rows are added up in a fixed order afterwards. So the result
  is bit-identical for any number of threads, and threads can pick up chunks dynamically
  (a busy core on a shared machine then slows the pass less).
* Inside a chunk, *blocks* of rows (about :data:`BLOCK_BYTES` of X) go through three steps:
  dot products eight rows at a time (one read of ``w`` per eight rows), the scalar part per
  example (stable log-sigmoid, σ, residual), and ``acc += Σ rᵢ xᵢ`` eight rows at a time (one
  load/store of the accumulator per eight rows) while the block is still in L2.
* An F-ordered X is run as its C-ordered transpose, a stripe of examples at a time, with the
  roles of the two loops swapped: no copy of X. (:func:`available` says when that pays.)

Numbers follow :mod:`lrnn.objective`: arithmetic in the parameters' dtype (float32 data stays
float32 inside the dot products and the gradient), per-example scalars and all sums of losses,
residuals and hits in float64; uint8 pixels are widened in registers, with ``scale`` applied to
the dot product and the gradient, never to a copy of X.

Threads: the compiled chunk functions release the GIL and run on plain Python threads, as many
as ``numba.get_num_threads()`` says (so ``numba.set_num_threads`` applies, per calling thread).
numba's own ``parallel=True``/``prange`` was measured too: the same speed here, but 2.5 times
the cold compile time (each parallel loop compiles per dtype), OpenMP workers that
spin-wait beside OpenBLAS's, and the OpenMP layer is not fork-safe.

numba is imported, and the kernels compiled (``cache=True``), on first use only, so that
``import lrnn`` stays fast.
"""

from __future__ import annotations

import importlib.util
import math
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lrnn import objective
from lrnn.objective import DataPass

#: Bytes of X per cache block: small enough that a block read for the dot products is still in
#: L2 (2 MiB/core here) when the gradient step reads it again; large enough that the per-block
#: scalar work and loop overhead stay negligible.
BLOCK_BYTES = 256 * 1024
#: The pass is cut into about this many chunks (fewer for small data): enough for two or more
#: threads to share work evenly, few enough that adding up the per-chunk partials is cheap.
TARGET_CHUNKS = 64

_DTYPES = (np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.uint8))
_EMPTY = {dt: np.empty(0, dtype=dt) for dt in (np.dtype(np.float32), np.dtype(np.float64))}


# --------------------------------------------------------------------------------------------
# Availability and the fixed work plan
# --------------------------------------------------------------------------------------------
_numba_found: bool | None = None


def numba_installed() -> bool:
    """Whether numba can be imported — found without importing it, which takes ~0.5 s."""
    global _numba_found
    if _numba_found is None:
        _numba_found = importlib.util.find_spec("numba") is not None
    return _numba_found


def available(X: Any) -> bool:
    """Whether the kernels should run on ``X`` as it is: no conversion, no copy, and faster.

    True, when numba is installed, for a non-empty 2-D ndarray (native byte order) that is

    * C-contiguous float32, float64 or uint8 — one read of X per pass instead of two;
    * F-contiguous uint8 — the reference would widen every block of rows to float64 first.

    An F-contiguous float X (the course layout, ``X_course.T``) is left to the reference: the
    kernels handle it correctly, but a stripe of examples is spread over every feature column,
    and BLAS's two sequential passes over X measured faster (see BENCHMARKS.md). Strided views
    and other dtypes go to the reference too, which handles every case without copying X.
    """
    if not (isinstance(X, np.ndarray) and X.ndim == 2 and X.dtype in _DTYPES):
        return False
    layout_ok = X.flags.c_contiguous or (X.flags.f_contiguous and X.dtype == np.uint8)
    return layout_ok and X.shape[0] > 0 and X.shape[1] > 0 and numba_installed()


#: Below this many values of X the in-memory backend keeps to the numpy reference: a pass
#: takes tens of microseconds either way, and loading numba and its compiled kernels costs
#: 0.5-2 s per process — more than the whole default ``lrnn train`` on the built-in digits.
MIN_WORTHWHILE_ELEMENTS = 200_000


def worthwhile(X: Any) -> bool:
    """Whether the in-memory backend should use the kernels on ``X``: they can run on it as it
    is (:func:`available`), and it is large enough for their start-up cost to pay off."""
    return available(X) and X.size >= MIN_WORTHWHILE_ELEMENTS


def plan(m: int, n: int, itemsize: int, by_columns: bool = False) -> tuple[int, int]:
    """``(block, chunk)`` in examples for an (m, n) X: a function of the shape only.

    For C order a block is ``block`` rows of ``n`` values; for F order it is a stripe of
    ``block`` examples across all ``n`` features, and at least 16 examples so that each feature's
    stretch fills whole vectors. ``chunk`` is a multiple of ``block``.
    """
    per_example = max(1, n * itemsize)
    if by_columns:
        block = min(1024, max(16, BLOCK_BYTES // per_example))
        block -= block % 16
    else:
        block = min(1024, max(8, BLOCK_BYTES // per_example))
        block -= block % 8
    n_blocks = -(-m // block)
    chunk = block * max(1, n_blocks // TARGET_CHUNKS)
    return block, chunk


# --------------------------------------------------------------------------------------------
# Kernel bodies. Plain Python here; _compiled() turns them into numba functions on first use
# (they call each other through module globals, which by then are the compiled versions).
# --------------------------------------------------------------------------------------------
def _dot8(X, i0, i1, i2, i3, i4, i5, i6, i7, v):
    """Dot products of rows i0…i7 of X with v, sharing each load of v among eight rows."""
    x0, x1, x2, x3, x4, x5, x6, x7 = X[i0], X[i1], X[i2], X[i3], X[i4], X[i5], X[i6], X[i7]
    v0 = v[0]
    a0, a1, a2, a3 = x0[0] * v0, x1[0] * v0, x2[0] * v0, x3[0] * v0
    a4, a5, a6, a7 = x4[0] * v0, x5[0] * v0, x6[0] * v0, x7[0] * v0
    for j in range(1, v.shape[0]):
        vj = v[j]
        a0 += x0[j] * vj
        a1 += x1[j] * vj
        a2 += x2[j] * vj
        a3 += x3[j] * vj
        a4 += x4[j] * vj
        a5 += x5[j] * vj
        a6 += x6[j] * vj
        a7 += x7[j] * vj
    return a0, a1, a2, a3, a4, a5, a6, a7


def _axpy8(X, i0, i1, i2, i3, i4, i5, i6, i7, c0, c1, c2, c3, c4, c5, c6, c7, acc):
    """acc += Σ cₖ X[iₖ] over eight rows: one load and store of acc per eight rows.

    Written as a chain so that each term is one fused multiply-add.
    """
    x0, x1, x2, x3, x4, x5, x6, x7 = X[i0], X[i1], X[i2], X[i3], X[i4], X[i5], X[i6], X[i7]
    for j in range(acc.shape[0]):
        t = acc[j]
        t += c0 * x0[j]
        t += c1 * x1[j]
        t += c2 * x2[j]
        t += c3 * x3[j]
        t += c4 * x4[j]
        t += c5 * x5[j]
        t += c6 * x6[j]
        t += c7 * x7[j]
        acc[j] = t


def _block_dots(X, by_columns, start, count, v, out):
    """out[k] = x_(start+k) · v for k < count; X is the data (rows) or its transpose (columns).

    Rows go eight at a time; a last group of fewer repeats the block's last row, and the
    repeats' results are dropped.
    """
    if by_columns:
        _stripe_dots(X, start, count, v, out)
        return
    last = start + count - 1
    for k in range(0, count, 8):
        i = start + k
        d0, d1, d2, d3, d4, d5, d6, d7 = _dot8(
            X, i, min(i + 1, last), min(i + 2, last), min(i + 3, last), min(i + 4, last),
            min(i + 5, last), min(i + 6, last), min(i + 7, last), v,
        )  # fmt: skip
        out[k] = d0
        if k + 8 <= count:
            out[k + 1], out[k + 2], out[k + 3] = d1, d2, d3
            out[k + 4], out[k + 5], out[k + 6], out[k + 7] = d4, d5, d6, d7
        else:
            for q, d in ((1, d1), (2, d2), (3, d3), (4, d4), (5, d5), (6, d6)):
                if k + q < count:
                    out[k + q] = d


def _block_axpy(X, by_columns, start, count, coef, acc):
    """acc += Σ_k coef[k] x_(start+k) over one block.

    Rows go eight at a time; a last group of fewer is padded with the block's last row and
    zero coefficients, which add exact zeros.
    """
    if by_columns:
        _stripe_grad(X, start, count, coef, acc)
        return
    last = start + count - 1
    zero = coef[0] - coef[0]
    for k in range(0, count, 8):
        i = start + k
        if k + 8 <= count:
            _axpy8(
                X, i, i + 1, i + 2, i + 3, i + 4, i + 5, i + 6, i + 7,
                coef[k], coef[k + 1], coef[k + 2], coef[k + 3],
                coef[k + 4], coef[k + 5], coef[k + 6], coef[k + 7], acc,
            )  # fmt: skip
        else:
            _axpy8(
                X, i, min(i + 1, last), min(i + 2, last), min(i + 3, last), min(i + 4, last),
                min(i + 5, last), min(i + 6, last), min(i + 7, last),
                coef[k],
                coef[k + 1] if k + 1 < count else zero,
                coef[k + 2] if k + 2 < count else zero,
                coef[k + 3] if k + 3 < count else zero,
                coef[k + 4] if k + 4 < count else zero,
                coef[k + 5] if k + 5 < count else zero,
                coef[k + 6] if k + 6 < count else zero,
                zero,
                acc,
            )  # fmt: skip


def _stripe_dots(Xt, start, count, v, out):
    """out[k] = Σ_j v[j] Xt[j, start+k]: the logits of a stripe of examples of an F-ordered X.

    Xt = X.T is C-ordered, one feature per row, so the examples of the stripe lie side by side:
    the inner loop runs over them, four features per sweep of ``out``.
    """
    seg = out[:count]
    seg[:] = 0
    n = Xt.shape[0]
    j = 0
    while j + 4 <= n:
        x0, x1, x2, x3 = Xt[j], Xt[j + 1], Xt[j + 2], Xt[j + 3]
        c0, c1, c2, c3 = v[j], v[j + 1], v[j + 2], v[j + 3]
        for k in range(count):
            e = start + k
            t = seg[k]
            t += c0 * x0[e]
            t += c1 * x1[e]
            t += c2 * x2[e]
            t += c3 * x3[e]
            seg[k] = t
        j += 4
    while j < n:
        x0, c0 = Xt[j], v[j]
        for k in range(count):
            seg[k] += c0 * x0[start + k]
        j += 1


def _stripe_grad(Xt, start, count, coef, acc):
    """acc[j] += Σ_k coef[k] Xt[j, start+k]: a stripe's share of Xᵀr for an F-ordered X."""
    n = Xt.shape[0]
    j = 0
    while j + 4 <= n:
        x0, x1, x2, x3 = Xt[j], Xt[j + 1], Xt[j + 2], Xt[j + 3]
        c = coef[0]
        e = start
        a0 = x0[e] * c
        a1 = x1[e] * c
        a2 = x2[e] * c
        a3 = x3[e] * c
        for k in range(1, count):
            c = coef[k]
            e = start + k
            a0 += x0[e] * c
            a1 += x1[e] * c
            a2 += x2[e] * c
            a3 += x3[e] * c
        acc[j] += a0
        acc[j + 1] += a1
        acc[j + 2] += a2
        acc[j + 3] += a3
        j += 4
    while j < n:
        x0 = Xt[j]
        a0 = x0[start] * coef[0]
        for k in range(1, count):
            a0 += x0[start + k] * coef[k]
        acc[j] += a0
        j += 1


def _residuals(zb, count, start, bias, scale, y, s):
    """Turn zb[k] = x·w into r = s(σ(z) − y) in place; return Σ s·ℓ, Σ r and Σ s·hit.

    ℓ = log(1 + e^-|z|) + max(z, 0) − y z is the reference's log(1 + eᶻ) − y z with the exp
    taken of −|z| only, so no intermediate overflows. σ is rounded to the parameters' dtype
    (by storing it in zb) before the 0.5 test, as the reference's σ is.
    """
    weighted = s.shape[0] > 0
    loss = 0.0
    rsum = 0.0
    hits = 0.0
    for k in range(count):
        z = float(zb[k]) * scale + bias
        e = math.exp(-abs(z))
        a = 1.0 / (1.0 + e) if z >= 0.0 else e / (1.0 + e)
        yi = float(y[start + k])
        si = float(s[start + k]) if weighted else 1.0
        loss += si * (math.log1p(e) + (max(z, 0.0) - yi * z))
        zb[k] = a
        if (zb[k] > 0.5) == (yi > 0.5):
            hits += si
        r = si * (a - yi)
        rsum += r
        zb[k] = r
    return loss, rsum, hits


def _data_pass_chunks(lo, hi, w, bias, X, by_columns, y, s, scale, block, chunk, parts, stats):
    """Chunks lo..hi-1 of a data pass: parts[c] = Σ rᵢ xᵢ, stats[c] = (Σ sℓ, Σ r, Σ s·hit)."""
    m = X.shape[1] if by_columns else X.shape[0]
    zb = np.empty(block, dtype=parts.dtype)
    for c in range(lo, hi):
        acc = parts[c]
        acc[:] = 0
        loss = 0.0
        rsum = 0.0
        hits = 0.0
        stop = min(c * chunk + chunk, m)
        for start in range(c * chunk, stop, block):
            count = min(block, stop - start)
            _block_dots(X, by_columns, start, count, w, zb)
            bl, br, bh = _residuals(zb, count, start, bias, scale, y, s)
            loss += bl
            rsum += br
            hits += bh
            _block_axpy(X, by_columns, start, count, zb, acc)
        stats[c, 0] = loss
        stats[c, 1] = rsum
        stats[c, 2] = hits


def _curvature_chunks(
    lo, hi, w, bias, X, by_columns, vw, vb, s, curved, scale, block, chunk, parts, stats
):
    """Chunks lo..hi-1: parts[c] = Σ tᵢ xᵢ, stats[c, 0] = Σ tᵢ, tᵢ = dᵢ (scale xᵢ·vw + vb).

    dᵢ = sᵢ σᵢ(1 − σᵢ) (Hessian product) when ``curved``, else dᵢ = sᵢ (X̃ᵀSX̃ v, for λmax).
    """
    m = X.shape[1] if by_columns else X.shape[0]
    weighted = s.shape[0] > 0
    zb = np.empty(block, dtype=parts.dtype)
    tb = np.empty(block, dtype=parts.dtype)
    for c in range(lo, hi):
        acc = parts[c]
        acc[:] = 0
        tsum = 0.0
        stop = min(c * chunk + chunk, m)
        for start in range(c * chunk, stop, block):
            count = min(block, stop - start)
            _block_dots(X, by_columns, start, count, vw, tb)
            if curved:
                _block_dots(X, by_columns, start, count, w, zb)
            for k in range(count):
                t = float(tb[k]) * scale + vb
                if curved:
                    z = float(zb[k]) * scale + bias
                    e = math.exp(-abs(z))
                    t *= e / ((1.0 + e) * (1.0 + e))  # σ(z)(1 − σ(z)), stable for either sign
                if weighted:
                    t *= float(s[start + k])
                tsum += t
                tb[k] = t
            _block_axpy(X, by_columns, start, count, tb, acc)
        stats[c, 0] = tsum


def _logits_chunks(lo, hi, w, bias, X, by_columns, scale, block, out):
    """Blocks lo..hi-1 of out = scale · X w + bias."""
    zb = np.empty(block, dtype=out.dtype)
    for c in range(lo, hi):
        start = c * block
        count = min(block, out.shape[0] - start)
        _block_dots(X, by_columns, start, count, w, zb)
        for k in range(count):
            out[start + k] = float(zb[k]) * scale + bias


_compile_lock = threading.Lock()
_ready = False
_numba: Any = None


def _compiled() -> None:
    """Import numba and swap the kernel bodies above for their compiled versions, once."""
    global _ready, _numba, _dot8, _axpy8, _block_dots, _block_axpy, _residuals
    global _stripe_dots, _stripe_grad
    global _data_pass_chunks, _curvature_chunks, _logits_chunks
    if _ready:
        return
    with _compile_lock:
        if _ready:
            return
        import numba

        # Reassociation only where a sum over j is split across vector lanes; everything else
        # keeps IEEE order, so results depend on the data and the plan, never on the threads.
        # nogil: the chunk functions run on several Python threads at once (see _parallel).
        reduce = numba.njit(fastmath={"reassoc", "contract"}, nogil=True, cache=True)
        plain = numba.njit(fastmath={"contract"}, nogil=True, cache=True)
        strict = numba.njit(nogil=True, cache=True)
        _dot8, _axpy8 = reduce(_dot8), plain(_axpy8)
        _stripe_dots, _stripe_grad = plain(_stripe_dots), reduce(_stripe_grad)
        _block_dots, _block_axpy = plain(_block_dots), plain(_block_axpy)
        _residuals = strict(_residuals)
        _data_pass_chunks = strict(_data_pass_chunks)
        _curvature_chunks = strict(_curvature_chunks)
        _logits_chunks = strict(_logits_chunks)
        _numba = numba
        _ready = True


# --------------------------------------------------------------------------------------------
# Threads
# --------------------------------------------------------------------------------------------
_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_pool_lock = threading.Lock()


def _forget_pool() -> None:
    """After fork the pool's threads do not exist in the child: start a new pool there."""
    global _pool, _pool_size
    _pool, _pool_size = None, 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def _helpers(count: int) -> ThreadPoolExecutor:
    """The shared pool of helper threads, grown to ``count`` when a caller wants more."""
    global _pool, _pool_size
    with _pool_lock:
        if _pool is None or _pool_size < count:
            if _pool is not None:
                _pool.shutdown(wait=False)
            _pool = ThreadPoolExecutor(max_workers=count, thread_name_prefix="lrnn-kernel")
            _pool_size = count
        return _pool


def _parallel(kernel: Callable[..., None], n_chunks: int, *args: Any) -> None:
    """Run ``kernel(lo, hi, *args)`` over chunks 0..n_chunks-1 on numba.get_num_threads() threads.

    The chunks are handed out in small groups to whichever thread is free (a core busy with
    another process then costs less), the calling thread working too. Which thread runs a
    chunk never changes what the chunk computes, so the result is the same for any count.
    """
    threads = max(1, min(_numba.get_num_threads(), n_chunks))
    if threads == 1:
        kernel(0, n_chunks, *args)
        return
    step = max(1, n_chunks // (4 * threads))
    groups = iter(range(0, n_chunks, step))
    claim = threading.Lock()

    def work() -> None:
        while True:
            with claim:
                lo = next(groups, None)
            if lo is None:
                return
            kernel(lo, min(lo + step, n_chunks), *args)

    helpers = [_helpers(threads - 1).submit(work) for _ in range(threads - 1)]
    try:
        work()
    finally:
        for future in helpers:
            future.result()


# --------------------------------------------------------------------------------------------
# Running a kernel
# --------------------------------------------------------------------------------------------
def _layout(X: NDArray) -> tuple[NDArray, bool]:
    """X as the kernels read it: itself when C-ordered, its (C-ordered) transpose when F-ordered."""
    X = np.asarray(X)  # drops ndarray subclasses (np.memmap) without copying
    if X.flags.c_contiguous:
        return X, False
    if X.flags.f_contiguous:
        return X.T, True
    raise ValueError(
        "the kernels need a C- or F-contiguous X; got strides "
        f"{X.strides}. Check kernels.available(X) first, or pass np.ascontiguousarray(X)."
    )


def _vector(v: Any, dtype: np.dtype, m: int, name: str) -> NDArray:
    """A per-example vector as a contiguous array of the arithmetic dtype (m values: cheap)."""
    if v is None:
        return _EMPTY[dtype]
    out = np.ascontiguousarray(v, dtype=dtype).reshape(-1)
    if out.shape[0] != m:
        raise ValueError(f"{name} has {out.shape[0]} values, but X has {m} examples.")
    return out


def _sum_parts(parts: NDArray, factor: float, dtype: np.dtype) -> NDArray:
    """Σ over chunks in float64, in chunk order (numpy adds row after row), times factor."""
    total = np.sum(parts, axis=0, dtype=np.float64)
    total *= factor
    return total.astype(dtype, copy=False)


def _prepare(w: NDArray, X: NDArray) -> tuple[NDArray, NDArray, bool, int, int, int, int]:
    """Compile on first use; w as a contiguous float vector; X as laid out for the kernels."""
    _compiled()
    w = np.ascontiguousarray(w)
    if w.dtype not in (np.float32, np.float64):
        w = w.astype(objective.param_dtype(np.asarray(X).dtype))
    Xk, by_columns = _layout(X)
    n, m = Xk.shape if by_columns else Xk.shape[::-1]
    if w.shape != (n,):
        raise ValueError(f"w has shape {w.shape}, but X has {n} features: expected ({n},).")
    block, chunk = plan(m, n, Xk.itemsize, by_columns)
    return w, Xk, by_columns, m, n, block, chunk


def data_pass(
    w: NDArray,
    b: float,
    X: NDArray,
    y: NDArray,
    sample_weight: NDArray | None = None,
    scale: float = 1.0,
) -> DataPass:
    """:func:`lrnn.objective.data_pass` in one read of X (see the module docstring)."""
    w, Xk, by_columns, m, n, block, chunk = _prepare(w, X)
    dtype = w.dtype
    yv = _vector(y, dtype, m, "y")
    s = _vector(sample_weight, dtype, m, "sample_weight")
    total = float(m) if sample_weight is None else float(np.sum(s, dtype=np.float64))
    n_chunks = -(-m // chunk)
    parts = np.empty((n_chunks, n), dtype=dtype)
    stats = np.empty((n_chunks, 3))
    _parallel(
        _data_pass_chunks,
        n_chunks, w, float(b), Xk, by_columns, yv, s, float(scale), block, chunk, parts, stats,
    )  # fmt: skip
    loss, rsum, hits = np.sum(stats, axis=0)
    dw = _sum_parts(parts, float(scale) / total, dtype)
    return DataPass(float(loss / total), dw, float(rsum / total), float(hits / total))


def _curvature_pass(
    w: NDArray,
    b: float,
    X: NDArray,
    vw: NDArray,
    vb: float,
    sample_weight: NDArray | None,
    scale: float,
    curved: bool,
) -> tuple[NDArray, float, float]:
    """(Σ tᵢ scale xᵢ, Σ tᵢ, Σ s) — see _curvature_chunks."""
    w, Xk, by_columns, m, n, block, chunk = _prepare(w, X)
    dtype = w.dtype
    vw = np.ascontiguousarray(vw, dtype=dtype).reshape(-1)
    if vw.shape != (n,):
        raise ValueError(f"vw has shape {vw.shape}, but X has {n} features: expected ({n},).")
    s = _vector(sample_weight, dtype, m, "sample_weight")
    total = float(m) if sample_weight is None else float(np.sum(s, dtype=np.float64))
    n_chunks = -(-m // chunk)
    parts = np.empty((n_chunks, n), dtype=dtype)
    stats = np.empty((n_chunks, 1))
    _parallel(
        _curvature_chunks,
        n_chunks, w, float(b), Xk, by_columns, vw, float(vb), s, curved, float(scale), block,
        chunk, parts, stats,
    )  # fmt: skip
    return _sum_parts(parts, float(scale), np.dtype(np.float64)), float(np.sum(stats)), total


def hessp(
    w: NDArray,
    b: float,
    X: NDArray,
    vw: NDArray,
    vb: float,
    sample_weight: NDArray | None = None,
    scale: float = 1.0,
) -> tuple[NDArray, float]:
    """Hessian of the data term times (vw, vb) in one read of X: objective.hessp with alpha=0."""
    w = np.asarray(w)
    hw, hb, total = _curvature_pass(w, b, X, vw, vb, sample_weight, scale, curved=True)
    return (hw / total).astype(w.dtype, copy=False), hb / total


def gram_matvec(
    X: NDArray,
    vw: NDArray,
    vb: float,
    sample_weight: NDArray | None = None,
    scale: float = 1.0,
) -> tuple[NDArray[np.float64], float]:
    """u = X̃ᵀ S X̃ v with X̃ = [scale·X, 1], v = (vw, vb), in one read of X (not divided by Σs).

    The arithmetic dtype is vw's, so float32 data keeps float32 dot products.
    """
    vw = np.asarray(vw)
    uw, ub, _ = _curvature_pass(vw, 0.0, X, vw, vb, sample_weight, scale, curved=False)
    return uw, ub


def lambda_max(
    X: NDArray,
    sample_weight: NDArray | None = None,
    scale: float = 1.0,
    power_iterations: int = 30,
    seed: int = 0,
) -> float:
    """objective.augmented_lambda_max with each power-iteration step one read of X.

    Same rule (:func:`lrnn.objective.curvature_bound`), so both paths give the same step size.
    """
    m, n = X.shape
    total = float(m) if sample_weight is None else float(np.sum(sample_weight, dtype=np.float64))

    def matvec(vw: NDArray, vb: float) -> NDArray:
        uw, ub = gram_matvec(X, vw, vb, sample_weight, scale)
        return np.append(uw, ub)

    return objective.curvature_bound(
        m,
        n,
        total,
        objective.param_dtype(X.dtype),
        lambda: objective.augmented_gram(X, sample_weight, scale),
        lambda: objective.augmented_row_gram(X, sample_weight, scale),
        matvec,
        power_iterations,
        seed,
    )


def logits(w: NDArray, b: float, X: NDArray, scale: float = 1.0) -> NDArray:
    """z = scale · X w + b, shape (m,), in w's dtype (the reference's objective.logits)."""
    w, Xk, by_columns, m, n, block, _ = _prepare(w, X)
    out = np.empty(m, dtype=w.dtype)
    _parallel(_logits_chunks, -(-m // block), w, float(b), Xk, by_columns, float(scale), block, out)
    return out
