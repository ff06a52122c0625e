"""Fused single-pass kernels over a CSR matrix, with the contract of :mod:`lrnn.objective`.

Why: text and other bag-of-features data have hundreds of thousands of columns and a few dozen
stored values per row; a dense copy would not fit in memory. Each pass here walks the rows of
the CSR arrays once: a row's stored values are read for its dot product and, while they are
still in cache, for its share of ``Xᵀr`` (or of the Hessian-vector product, which takes the
dot products with ``w`` and with the direction in the same walk over the row).

Determinism follows :mod:`lrnn.kernels`: rows are cut into chunks whose boundaries depend only
on the shape and number of stored values, never on the thread count; each chunk adds its
partial gradient into its own row of ``parts`` and its partial sums into ``stats``, and the
chunk rows are added in a fixed order afterwards. Threads are lrnn.kernels' shared pool.

Memory: ``parts`` holds one gradient-sized vector per chunk, and there are at most
:data:`MAX_CHUNKS` chunks, and no more than nnz / (4·features) — O(features) vectors,
independent of the number of examples, and at most a quarter of the stored values' count.

Numbers follow the dense kernels: products and the gradient accumulate in the parameters'
dtype (float32 data stays float32), per-example scalars and sums of losses in float64.
"""

from __future__ import annotations

import math
import threading
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lrnn import kernels
from lrnn.objective import DataPass

#: Chunks per pass at most: enough to share the work among the threads of a workstation; each
#: costs one gradient-sized partial vector (see the module docstring).
MAX_CHUNKS = 16
#: About this many stored values per chunk at least (fewer chunks for small matrices).
MIN_CHUNK_VALUES = 65_536
#: Below this many stored values the backend keeps to scipy's sparse products: loading numba
#: and its compiled kernels costs more than a whole fit of a small problem.
MIN_WORTHWHILE_VALUES = 200_000


def plan(m: int, nnz: int, n: int = 0) -> int:
    """Rows per chunk: a function of the shape and the number of stored values only.

    Adding up the chunks' partial gradients costs chunks × n: at most a quarter of the pass
    itself (nnz), so wide matrices with few stored values (text) get fewer chunks.
    """
    n_chunks = max(1, min(MAX_CHUNKS, nnz // MIN_CHUNK_VALUES, m, nnz // max(1, 4 * n)))
    return max(1, -(-m // n_chunks))


#: Below this many stored values a pass runs on the calling thread alone: handing a chunk to
#: another thread costs a wake-up, tens of microseconds on an idle machine but milliseconds on
#: a busy one, against about 4 ms of work per million values (measured on the text benchmark
#: with the cores shared: 2,149 × 73,635, 0.87 M values, threads made a Newton fit 5× slower).
#: Which thread runs a chunk never changes the result.
THREADED_MIN_VALUES = 2_000_000


def _run(nnz: int, kernel: Any, n_chunks: int, *args: Any) -> None:
    """kernel(lo, hi, *args) over the chunks: on lrnn.kernels' threads for large passes."""
    if nnz < THREADED_MIN_VALUES:
        kernel(0, n_chunks, *args)
    else:
        kernels._parallel(kernel, n_chunks, *args)


def worthwhile(X: Any) -> bool:
    """Whether the fused kernels should run on the CSR matrix ``X``."""
    return kernels.numba_installed() and X.nnz >= MIN_WORTHWHILE_VALUES


# --------------------------------------------------------------------------------------------
# Kernel bodies (plain Python here; _compiled() swaps in numba versions on first use)
# --------------------------------------------------------------------------------------------
def _u(j):
    """An index as an unsigned integer: numba then skips the check for negative indices
    (Python's a[-1]) on every stored value — measured 2× on a CSR walk (gather or scatter)."""
    return np.uint64(j)


def _row(indptr, i):
    """Row i's stored values are [start, stop), as unsigned integers (see _u)."""
    return np.uint64(indptr[i]), np.uint64(indptr[i + 1])


def _row_dot(data, indices, start, stop, v, zero):
    """Σ data[k]·v[indices[k]] over one row's stored values, summed in ``zero``'s dtype.

    Compiled with reassociation allowed, for this sum only: the compiler then keeps one
    partial sum per vector lane, fetches v's entries with vector gathers, and adds the lanes at
    the end (measured 0.66 → 0.38 ms for the text benchmark's 0.87 M values, 16 lanes of
    AVX-512). The order depends on the row's length and the CPU's vector width alone, so the
    result is the same for any thread count and any run on a machine; it differs from the
    strict left-to-right sum by rounding only."""
    d = zero
    for k in range(start, stop):
        d += data[k] * v[_u(indices[k])]
    return d


def _row_dot2(data, indices, start, stop, v, w, zero):
    """(Σ data[k]·v[j], Σ data[k]·w[j]) over one row, j = indices[k]: :func:`_row_dot` for two
    vectors in one walk (the curved Hessian product needs xᵢ·v and xᵢ·w)."""
    dv = zero
    dw = zero
    for k in range(start, stop):
        x = data[k]
        j = _u(indices[k])
        dv += x * v[j]
        dw += x * w[j]
    return dv, dw


def _pass_chunks(lo, hi, w, bias, data, indices, indptr, y, s, scale, chunk, parts, stats, curv):
    """Chunks lo..hi-1: parts[c] = Σ rᵢ xᵢ, stats[c] = (Σ sℓ, Σ r, Σ s·hit); curv[i] = σᵢ(1 − σᵢ)
    when ``curv`` is not empty (the Hessian's weights at this point, for :func:`hessp`)."""
    m = indptr.shape[0] - 1
    weighted = s.shape[0] > 0
    keep = curv.shape[0] > 0
    cast = np.zeros(1, dtype=parts.dtype)  # rounds σ and r to the parameters' dtype
    zero = cast[0]
    for c in range(lo, hi):
        acc = parts[c]
        acc[:] = 0
        loss = 0.0
        rsum = 0.0
        hits = 0.0
        for i in range(c * chunk, min(c * chunk + chunk, m)):
            start, stop = _row(indptr, i)
            d = _row_dot(data, indices, start, stop, w, zero)
            z = float(d) * scale + bias
            e = math.exp(-abs(z))
            a = 1.0 / (1.0 + e) if z >= 0.0 else e / (1.0 + e)
            if keep:
                curv[i] = e / ((1.0 + e) * (1.0 + e))
            yi = float(y[i])
            si = float(s[i]) if weighted else 1.0
            loss += si * (math.log1p(e) + (max(z, 0.0) - yi * z))
            cast[0] = a
            if (cast[0] > 0.5) == (yi > 0.5):
                hits += si
            r = si * (a - yi)
            rsum += r
            cast[0] = r
            rc = cast[0]
            for k in range(start, stop):
                acc[_u(indices[k])] += rc * data[k]
        stats[c, 0] = loss
        stats[c, 1] = rsum
        stats[c, 2] = hits


def _curvature_chunks(
    lo, hi, w, bias, data, indices, indptr, vw, vb, s, curved, scale, chunk, parts, stats
):
    """Chunks lo..hi-1: parts[c] = Σ tᵢ xᵢ, stats[c, 0] = Σ tᵢ, tᵢ = dᵢ (scale xᵢ·vw + vb).

    dᵢ = sᵢ σᵢ(1 − σᵢ) when ``curved`` (Hessian product; xᵢ·w taken in the same walk over the
    row), else dᵢ = sᵢ (X̃ᵀSX̃ v, for the power iteration of λmax).
    """
    m = indptr.shape[0] - 1
    weighted = s.shape[0] > 0
    cast = np.zeros(1, dtype=parts.dtype)
    zero = cast[0]
    for c in range(lo, hi):
        acc = parts[c]
        acc[:] = 0
        tsum = 0.0
        for i in range(c * chunk, min(c * chunk + chunk, m)):
            start, stop = _row(indptr, i)
            if curved:
                dv, dz = _row_dot2(data, indices, start, stop, vw, w, zero)
            else:
                dv, dz = _row_dot(data, indices, start, stop, vw, zero), zero
            t = float(dv) * scale + vb
            if curved:
                z = float(dz) * scale + bias
                e = math.exp(-abs(z))
                t *= e / ((1.0 + e) * (1.0 + e))
            if weighted:
                t *= float(s[i])
            tsum += t
            cast[0] = t
            tc = cast[0]
            for k in range(start, stop):
                acc[_u(indices[k])] += tc * data[k]
        stats[c, 0] = tsum


def _hessp_chunks(lo, hi, data, indices, indptr, vw, vb, curv, s, scale, chunk, parts, stats):
    """_curvature_chunks' Hessian product with the weights σᵢ(1 − σᵢ) already in ``curv`` (kept
    by the data pass at the same point): one gather and one scatter per stored value, no exp.
    The same operations in the same order as the curved product, so the same bits."""
    m = indptr.shape[0] - 1
    weighted = s.shape[0] > 0
    cast = np.zeros(1, dtype=parts.dtype)
    zero = cast[0]
    for c in range(lo, hi):
        acc = parts[c]
        acc[:] = 0
        tsum = 0.0
        for i in range(c * chunk, min(c * chunk + chunk, m)):
            start, stop = _row(indptr, i)
            dv = _row_dot(data, indices, start, stop, vw, zero)
            t = float(dv) * scale + vb
            t *= curv[i]
            if weighted:
                t *= float(s[i])
            tsum += t
            cast[0] = t
            tc = cast[0]
            for k in range(start, stop):
                acc[_u(indices[k])] += tc * data[k]
        stats[c, 0] = tsum


def _diagonal_chunks(lo, hi, data, indices, indptr, curv, s, chunk, parts, stats):
    """Chunks lo..hi-1: parts[c] = Σ dᵢ xᵢ² (elementwise), stats[c, 0] = Σ dᵢ, dᵢ = sᵢ·curv[i]:
    the diagonal of XᵀDX and its bias corner, one scatter per stored value."""
    m = indptr.shape[0] - 1
    weighted = s.shape[0] > 0
    cast = np.zeros(1, dtype=parts.dtype)
    for c in range(lo, hi):
        acc = parts[c]
        acc[:] = 0
        tsum = 0.0
        for i in range(c * chunk, min(c * chunk + chunk, m)):
            start, stop = _row(indptr, i)
            t = curv[i]
            if weighted:
                t *= float(s[i])
            tsum += t
            cast[0] = t
            tc = cast[0]
            for k in range(start, stop):
                x = data[k]
                acc[_u(indices[k])] += tc * x * x
        stats[c, 0] = tsum


def _cg_product(parts, v, factor, alpha, pw, qw):
    """qw = factor·Σ_c parts[c] + α·v — the chunks added in their fixed order — and returns
    pwᵀqw: one walk over the feature-length vectors instead of four numpy calls and their
    temporaries. Reassociation is allowed here (see _row_dot), so the dot product is summed
    in vector lanes; the order still depends on the length alone. ``factor`` (scale/total)
    comes from the strict caller: with reassociation allowed, the compiler would turn
    acc·(scale/total) back into a division per feature."""
    n_chunks = parts.shape[0]
    pq = 0.0
    for j in range(qw.shape[0]):
        acc = 0.0
        for c in range(n_chunks):
            acc += float(parts[c, j])
        q = acc * factor + alpha * float(v[j])
        qw[j] = q
        pq += pw[j] * q
    return pq


def _cg_step(step, pw, qw, dw, rw, inverse):
    """dw += step·pw, rw −= step·qw; returns (rᵀr, rᵀM⁻¹r) for the new residual, in one walk."""
    rr = 0.0
    rz = 0.0
    for j in range(rw.shape[0]):
        dw[j] += step * pw[j]
        r = rw[j] - step * qw[j]
        rw[j] = r
        rr += r * r
        rz += r * (inverse[j] * r)
    return rr, rz


def _cg_direction(ratio, pw, rw, inverse, v):
    """pw = M⁻¹rw + ratio·pw, and v = pw in the data's dtype for the next Hessian product."""
    for j in range(pw.shape[0]):
        p = inverse[j] * rw[j] + ratio * pw[j]
        pw[j] = p
        v[j] = p


def _pcg_chunks(
    data,
    indices,
    indptr,
    curv,
    s,
    scale,
    chunk,
    n_chunks,
    total,
    alpha,
    gw,
    gb,
    inverse,
    rtol,
    limit,
    v,
):
    """Preconditioned conjugate gradients for (H + αI_w)·d = −g at the point whose σ(1 − σ) is
    in ``curv``, from d = 0 until ‖r‖ ≤ rtol·‖g‖ (scipy's ``cg`` rule, on the unpreconditioned
    residual) or ``limit`` products; returns (d_w, d_b, products). ``inverse`` holds the
    preconditioner's inverse diagonal (weights, then the bias). Each product is
    :func:`_hessp_chunks` on this thread, as :func:`hessp` runs it below its threading threshold,
    and its chunks are added in the same order; the vectors stay float64 and only the direction
    goes to the parameters' dtype (``v``'s) for the product. Compiled so that a Newton step is
    one call: driven by scipy, each product paid a third of its own time again in Python. The
    vector work between products is three fused walks (_cg_product, _cg_step, _cg_direction):
    about 0.2 ms per product on the text benchmark's 73,200 features, 0.5 ms as numpy calls."""
    n = gw.shape[0]
    factor = scale / total
    parts = np.empty((n_chunks, n), dtype=v.dtype)
    stats = np.empty((n_chunks, 1))
    dw = np.zeros(n)
    db = 0.0
    rw = np.empty(n)
    for j in range(n):
        rw[j] = -float(gw[j])
    rb = -float(gb)
    pw = np.zeros(n)
    qw = np.zeros(n)
    rr, rz = _cg_step(0.0, pw, qw, dw, rw, inverse)  # a step of 0: the norms of r alone
    zb = inverse[n] * rb
    rz += rb * zb
    rr += rb * rb
    _cg_direction(0.0, pw, rw, inverse, v)
    pb = zb
    target = rtol * rtol * rr
    products = 0
    while products < limit and rr > target:
        _hessp_chunks(
            0, n_chunks, data, indices, indptr, v, pb, curv, s, scale, chunk, parts, stats
        )
        products += 1
        hb = 0.0
        for c in range(n_chunks):
            hb += stats[c, 0]
        qb = hb / total
        curvature = _cg_product(parts, v, factor, alpha, pw, qw) + pb * qb
        if not curvature > 0:  # flat or negative along p (alpha = 0, separable data): stop
            break
        step = rz / curvature
        db += step * pb
        rb -= step * qb
        rr, rz_next = _cg_step(step, pw, qw, dw, rw, inverse)
        zb = inverse[n] * rb
        rr += rb * rb
        rz_next += rb * zb
        ratio = rz_next / rz
        rz = rz_next
        _cg_direction(ratio, pw, rw, inverse, v)
        pb = zb + ratio * pb
    return dw, db, products


def _logits_chunks(lo, hi, w, bias, data, indices, indptr, scale, chunk, out):
    """Chunks lo..hi-1 of out = scale · X w + bias."""
    m = indptr.shape[0] - 1
    for c in range(lo, hi):
        for i in range(c * chunk, min(c * chunk + chunk, m)):
            start, stop = _row(indptr, i)
            d = _row_dot(data, indices, start, stop, w, out[i])  # out[i] is zero: the dtype
            out[i] = float(d) * scale + bias


_lock = threading.Lock()
_ready = False


def _compiled() -> None:
    """Compile the kernel bodies once (and load lrnn.kernels' numba and thread pool)."""
    global _ready, _pass_chunks, _curvature_chunks, _hessp_chunks, _logits_chunks, _u, _row
    global _diagonal_chunks, _pcg_chunks, _row_dot, _row_dot2
    global _cg_product, _cg_step, _cg_direction
    if _ready:
        return
    with _lock:
        if _ready:
            return
        kernels._compiled()
        import numba

        # IEEE order everywhere but in the row and vector sums below.
        strict = numba.njit(nogil=True, cache=True)
        _u, _row = strict(_u), strict(_row)
        # Only the rows' dot products may be reordered (see _row_dot); inlined into the
        # strict kernels below, their instructions keep their own flags.
        lanes = numba.njit(nogil=True, cache=True, fastmath={"reassoc"})
        _row_dot, _row_dot2 = lanes(_row_dot), lanes(_row_dot2)
        _cg_product, _cg_step, _cg_direction = (
            lanes(_cg_product),
            lanes(_cg_step),
            lanes(_cg_direction),
        )
        _pass_chunks = strict(_pass_chunks)
        _curvature_chunks = strict(_curvature_chunks)
        _hessp_chunks = strict(_hessp_chunks)
        _diagonal_chunks = strict(_diagonal_chunks)
        _logits_chunks = strict(_logits_chunks)
        _pcg_chunks = strict(_pcg_chunks)  # after _hessp_chunks: it calls the compiled one
        _ready = True


# --------------------------------------------------------------------------------------------
# Running a kernel
# --------------------------------------------------------------------------------------------
def _arrays(X: Any, w: NDArray) -> tuple[NDArray, NDArray, NDArray, NDArray, int, int, int]:
    """The CSR arrays, w as a contiguous vector, (m, n) and the chunk plan."""
    _compiled()
    m, n = X.shape
    w = np.ascontiguousarray(w)
    if w.shape != (n,):
        raise ValueError(f"w has shape {w.shape}, but X has {n} features: expected ({n},).")
    return X.data, X.indices, X.indptr, w, m, n, plan(m, X.nnz, n)


def _vector(v: Any, dtype: np.dtype, m: int) -> NDArray:
    if v is None:
        return np.empty(0, dtype=dtype)
    return np.ascontiguousarray(v, dtype=dtype).reshape(m)


def data_pass(
    w: NDArray,
    b: float,
    X: Any,
    y: NDArray,
    sample_weight: NDArray | None,
    scale: float,
    curvature: NDArray | None = None,
) -> DataPass:
    """:func:`lrnn.objective.data_pass` for a CSR ``X``, one walk over its rows.

    ``curvature``, a float64 vector of length m, receives σᵢ(1 − σᵢ) at (w, b) in the same walk,
    so that Hessian products at this point (:func:`hessp`) need not recompute X w.
    """
    data, indices, indptr, w, m, n, chunk = _arrays(X, w)
    dtype = w.dtype
    s = _vector(sample_weight, dtype, m)
    total = float(m) if sample_weight is None else float(np.sum(s, dtype=np.float64))
    n_chunks = -(-m // chunk)
    parts = np.empty((n_chunks, n), dtype=dtype)
    stats = np.empty((n_chunks, 3))
    _run(
        X.nnz, _pass_chunks, n_chunks, w, float(b), data, indices, indptr, _vector(y, dtype, m), s,
        float(scale), chunk, parts, stats, _vector(curvature, np.dtype(np.float64), m),
    )  # fmt: skip
    loss, rsum, hits = np.sum(stats, axis=0)
    dw = kernels._sum_parts(parts, float(scale) / total, dtype)
    return DataPass(float(loss / total), dw, float(rsum / total), float(hits / total))


def curvature_pass(
    w: NDArray,
    b: float,
    X: Any,
    vw: NDArray,
    vb: float,
    sample_weight: NDArray | None,
    scale: float,
    curved: bool,
) -> tuple[NDArray, float, float]:
    """(scale Σ tᵢ xᵢ in float64, Σ tᵢ, Σ s) — see _curvature_chunks."""
    data, indices, indptr, w, m, n, chunk = _arrays(X, w)
    vw = np.ascontiguousarray(vw, dtype=w.dtype).reshape(n)
    s = _vector(sample_weight, w.dtype, m)
    total = float(m) if sample_weight is None else float(np.sum(s, dtype=np.float64))
    n_chunks = -(-m // chunk)
    parts = np.empty((n_chunks, n), dtype=w.dtype)
    stats = np.empty((n_chunks, 1))
    _run(
        X.nnz, _curvature_chunks, n_chunks, w, float(b), data, indices, indptr, vw, float(vb), s,
        curved, float(scale), chunk, parts, stats,
    )  # fmt: skip
    hw = kernels._sum_parts(parts, float(scale), np.dtype(np.float64))
    return hw, float(np.sum(stats)), total


def hessp(
    X: Any,
    vw: NDArray,
    vb: float,
    curvature: NDArray,
    sample_weight: NDArray | None,
    scale: float,
) -> tuple[NDArray, float, float]:
    """curvature_pass(curved=True) at the point whose σᵢ(1 − σᵢ) :func:`data_pass` left in
    ``curvature``: the same result, bit for bit, from one gather and one scatter per value."""
    data, indices, indptr, vw, m, n, chunk = _arrays(X, vw)
    s = _vector(sample_weight, vw.dtype, m)
    total = float(m) if sample_weight is None else float(np.sum(s, dtype=np.float64))
    n_chunks = -(-m // chunk)
    parts = np.empty((n_chunks, n), dtype=vw.dtype)
    stats = np.empty((n_chunks, 1))
    _run(
        X.nnz, _hessp_chunks, n_chunks, data, indices, indptr, vw, float(vb), curvature, s,
        float(scale), chunk, parts, stats,
    )  # fmt: skip
    hw = kernels._sum_parts(parts, float(scale), np.dtype(np.float64))
    return hw, float(np.sum(stats)), total


def hessian_diagonal(
    X: Any, curvature: NDArray, sample_weight: NDArray | None, scale: float, dtype: np.dtype
) -> tuple[NDArray, float, float]:
    """(scale² Σ dᵢ xᵢ² in float64, Σ dᵢ, Σ s), dᵢ = sᵢ σᵢ(1 − σᵢ) from ``curvature``: the
    diagonal of the data term's Hessian (times Σ s), for a Jacobi preconditioner."""
    _compiled()
    m, n = X.shape
    chunk = plan(m, X.nnz, n)
    s = _vector(sample_weight, dtype, m)
    total = float(m) if sample_weight is None else float(np.sum(s, dtype=np.float64))
    n_chunks = -(-m // chunk)
    parts = np.empty((n_chunks, n), dtype=dtype)
    stats = np.empty((n_chunks, 1))
    _run(
        X.nnz, _diagonal_chunks, n_chunks, X.data, X.indices, X.indptr, curvature, s, chunk, parts,
        stats,
    )  # fmt: skip
    return (
        kernels._sum_parts(parts, float(scale) ** 2, np.dtype(np.float64)),
        float(np.sum(stats)),
        total,
    )


def logits(w: NDArray, b: float, X: Any, scale: float = 1.0) -> NDArray:
    """z = scale · X w + b in w's dtype, one walk over the rows."""
    data, indices, indptr, w, m, _, chunk = _arrays(X, w)
    out = np.zeros(m, dtype=w.dtype)
    _run(
        X.nnz, _logits_chunks, -(-m // chunk), w, float(b), data, indices, indptr, float(scale),
        chunk, out,
    )  # fmt: skip
    return out


def compiled_cg_worthwhile(X: Any) -> bool:
    """Whether :func:`newton_cg` serves this CSR X: the fused kernels run on it and its
    products stay on one thread (above :data:`THREADED_MIN_VALUES` they are shared out among
    threads, and Python's share of a product is small anyway)."""
    return worthwhile(X) and X.nnz < THREADED_MIN_VALUES


def newton_cg(
    X: Any,
    grad_w: NDArray,
    grad_b: float,
    curvature: NDArray,
    sample_weight: NDArray | None,
    scale: float,
    alpha: float,
    inverse: NDArray,
    rtol: float,
    maxiter: int,
    dtype: np.dtype,
) -> tuple[NDArray, float, int]:
    """The Newton–CG direction (d_w, d_b) ≈ −(H + αI_w)⁻¹g at the point whose σᵢ(1 − σᵢ)
    :func:`data_pass` left in ``curvature``, preconditioned by ``inverse`` (a diagonal, weights
    then bias), in compiled code (:func:`_pcg_chunks`); and the number of Hessian products."""
    _compiled()
    m, n = X.shape
    chunk = plan(m, X.nnz, n)
    s = _vector(sample_weight, dtype, m)
    total = float(m) if sample_weight is None else float(np.sum(s, dtype=np.float64))
    dw, db, products = _pcg_chunks(
        X.data, X.indices, X.indptr, curvature, s, float(scale), chunk, -(-m // chunk), total,
        float(alpha), np.ascontiguousarray(grad_w, dtype=np.float64), float(grad_b),
        np.ascontiguousarray(inverse, dtype=np.float64), float(rtol), int(maxiter),
        np.empty(n, dtype=dtype),
    )  # fmt: skip
    return dw, float(db), int(products)
