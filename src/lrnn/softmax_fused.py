"""The softmax layer's passes with X read once: cache-sized blocks of rows, on several threads.

Why: :func:`lrnn.softmax.data_pass` computes Z = XW for all of X and then XᵀR, reading X from
memory twice. Here each block of rows (a few hundred KiB) is used for both products while it is
still in cache — Z_b = X_b W, the softmax residual R_b, then X_bᵀ R_b — so memory traffic is one
read of X per pass for all K columns. The products themselves are BLAS calls (K columns make
them matrix products, which BLAS does at full speed); the per-example softmax between them is
compiled (numba) when numba is installed, else numpy on the block.

Determinism: the rows are cut into chunks that depend only on the shape and dtype of X, each
chunk adds into its own slot, and the slots are summed in chunk order, so the result is the
same for any number of threads (the chunks are handed to whichever thread is free). Python
threads suffice: BLAS, numpy's loops and the compiled kernel release the GIL.

Memory beyond X: one (n, K) partial gradient per chunk (at most :data:`TARGET_CHUNKS`) and
one block's logits (and, for uint8 X, its widened rows) per thread.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from lrnn import objective, softmax
from lrnn.objective import DataPass

#: Bytes of X (in the arithmetic dtype) per block: it stays in L2 between the two products.
BLOCK_BYTES = 512 * 1024
#: Bytes of a block of rows in the numba kernel (in the parameters' dtype): the block is read
#: by two BLAS products in turn, so it should sit in L2 (measured on 200,000 × 500 float32:
#: 128 rows per block beat 64 and 256).
KERNEL_BLOCK_BYTES = 256 * 1024
#: At most this many chunks, each with its own partial gradient.
TARGET_CHUNKS = 32
#: Below this many values of X the reference is as fast (no thread start-up to pay for);
#: without numba, the blocks of numpy calls are used from here on.
MIN_ELEMENTS = 200_000
#: With numba, the compiled kernel is used from this many multiply-adds per product (values
#: of X times K) on. It beats the reference's dozens of numpy calls at every size measured;
#: the threshold keeps small problems from loading numba at all (the first fit of this size
#: or larger in a process pays about 0.4 s for it, once), at about the binary kernels' own
#: threshold counted in multiply-adds (digits' 1797 × 64 × 10 is just above it).
KERNEL_MIN_WORK = 1_000_000
#: Chunks go to several threads from this much work per product on; below it, starting the
#: threads costs about what they save (measured on a quiet machine, one pass: digits' 1.2e6
#: 0.31 ms on two threads against 0.33 ms on one; 5000 × 64 × 10's 3.2e6 0.75 against 0.92 ms).
THREADED_MIN_WORK = 2_000_000


def worthwhile(X: Any, n_classes: int) -> bool:
    """C-contiguous float32/float64/uint8 X on which the block passes beat the reference: the
    compiled kernel from :data:`KERNEL_MIN_WORK`, numpy's blocks from :data:`MIN_ELEMENTS`."""
    from lrnn import kernels

    if not (
        isinstance(X, np.ndarray)
        and X.ndim == 2
        and X.flags.c_contiguous
        and X.dtype in (np.float32, np.float64, np.uint8)
    ):
        return False
    if kernels.numba_installed():
        return X.size * n_classes >= KERNEL_MIN_WORK
    return X.size >= MIN_ELEMENTS


def plan(m: int, n: int, itemsize: int) -> tuple[int, int]:
    """``(block, chunk)`` in rows: functions of the shape and dtype only."""
    block = max(8, min(4096, BLOCK_BYTES // max(1, n * itemsize)))
    n_blocks = -(-m // block)
    return block, block * max(1, -(-n_blocks // TARGET_CHUNKS))


def _threads() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _run(work: Callable[[int], None], n_chunks: int, work_per_product: int) -> None:
    """work(c) for every chunk, on up to one thread per core (the caller working too) when
    the product is large enough for threads to pay (:data:`THREADED_MIN_WORK`)."""
    parallel = work_per_product >= THREADED_MIN_WORK
    threads = max(1, min(_threads(), n_chunks)) if parallel else 1
    if threads == 1:
        for c in range(n_chunks):
            work(c)
        return
    chunks = iter(range(n_chunks))
    claim = threading.Lock()
    errors: list[BaseException] = []

    def loop() -> None:
        try:
            while True:
                with claim:
                    c = next(chunks, None)
                if c is None or errors:
                    return
                work(c)
        except BaseException as exc:  # re-raised on the calling thread
            errors.append(exc)

    helpers = [threading.Thread(target=loop, daemon=True) for _ in range(threads - 1)]
    for t in helpers:
        t.start()
    loop()
    for t in helpers:
        t.join()
    if errors:
        raise errors[0]


def _blocks(X: NDArray, dtype: np.dtype, c: int, block: int, chunk: int):
    stop = min((c + 1) * chunk, X.shape[0])
    for start in range(c * chunk, stop, block):
        rows = slice(start, min(start + block, stop))
        Xb = X[rows]
        yield rows, (Xb if Xb.dtype == dtype else Xb.astype(dtype))


# --------------------------------------------------------------------------------------------
# The numba kernel: blocks of rows, BLAS products around a compiled softmax
# --------------------------------------------------------------------------------------------
def _softmax_rows(z, r, count, y, s, base, bias, scale, K, e):
    """Rows q < count of z (raw dot products) → r = s(P − Y); returns (Σ sℓ, Σ s·hit).

    Per row in float64: logits scale·z + b, their maximum, the K exponentials once (kept in
    ``e``, a float64 scratch of K: each exp costs about as much as a class's dot products'
    share of a row), their sum, ℓ = log Σ − (z_y − max).
    Padding rows (q ≥ count: repeats of the last row) get r = 0, so they add exact zeros.
    """
    weighted = s.shape[0] > 0
    loss = 0.0
    hits = 0.0
    for q in range(r.shape[0]):
        for k in range(r.shape[1]):
            r[q, k] = 0
    for q in range(count):
        i = base + q
        yi = y[i]
        si = float(s[i]) if weighted else 1.0
        top = -np.inf
        best = 0
        for k in range(K):
            v = float(z[q, k]) * scale + bias[k]
            e[k] = v
            if v > top:
                top = v
                best = k
        shifted_y = e[yi] - top
        total = 0.0
        for k in range(K):
            e[k] = np.exp(e[k] - top)
            total += e[k]
        loss += si * (np.log(total) - shifted_y)
        if best == yi:
            hits += si
        for k in range(K):
            r[q, k] = si * (e[k] / total - (1.0 if k == yi else 0.0))
    return loss, hits


def _pass_chunks(lo, hi, W, bias, X, y, s, scale, chunk, block, K, parts, sums):
    """Chunks lo..hi-1: parts[c] = Σ xᵢ rᵢᵀ (n, K), sums[c] = (Σ sℓ, Σ s·hit, Σ r (K)).

    Block by block of rows (a few hundred KiB, so they stay in L2 between the two products):
    Z_b = X_b W and then X_bᵀ R_b are BLAS calls — K columns make them matrix products, which
    BLAS does at about twice the multiply-adds per second of a hand-written loop here — and the
    softmax between them is compiled code, row by row.
    """
    m, n = X.shape
    z = np.empty((block, K), dtype=W.dtype)
    r = np.empty((block, K), dtype=W.dtype)
    product = np.empty((n, K), dtype=W.dtype)
    rows = np.empty((block, n), dtype=W.dtype)  # a narrow X's block, widened
    e = np.empty(K)  # the softmax's float64 scratch
    for c in range(lo, hi):
        acc = parts[c]
        acc[:] = 0
        stop = min(c * chunk + chunk, m)
        for i in range(c * chunk, stop, block):
            count = min(block, stop - i)
            Xb = _rows_as(X, i, i + count, rows)
            zb, rb = z[:count], r[:count]
            np.dot(Xb, W, zb)
            bl, bh = _softmax_rows(zb, rb, count, y, s, i, bias, scale, K, e)
            sums[c, 0] += bl
            sums[c, 1] += bh
            for q in range(count):
                for k in range(K):
                    sums[c, 2 + k] += float(rb[q, k])
            np.dot(Xb.T, rb, product)
            acc += product


def _hessp_chunks(lo, hi, P, V, vb, X, s, scale, chunk, block, K, parts, hb):
    """Chunks lo..hi-1 of the Hessian product at the point whose probabilities are P:
    parts[c] = Σ xᵢ tᵢᵀ (n, K), hb[c] = Σ tᵢ, where tᵢ = sᵢ(pᵢ ⊙ uᵢ − pᵢ (pᵢ·uᵢ)) and
    uᵢ = scale·xᵢV + vb. Blocks as in :func:`_pass_chunks`: X_b V and X_bᵀ T by BLAS."""
    m, n = X.shape
    weighted = s.shape[0] > 0
    u = np.empty((block, K), dtype=V.dtype)
    product = np.empty((n, K), dtype=V.dtype)
    rows = np.empty((block, n), dtype=V.dtype)
    for c in range(lo, hi):
        acc = parts[c]
        acc[:] = 0
        stop = min(c * chunk + chunk, m)
        for i in range(c * chunk, stop, block):
            count = min(block, stop - i)
            Xb = _rows_as(X, i, i + count, rows)
            ub = u[:count]
            np.dot(Xb, V, ub)
            for q in range(count):
                pq = P[i + q]
                along = 0.0
                for k in range(K):
                    ub[q, k] = pq[k] * (ub[q, k] * scale + vb[k])
                    along += ub[q, k]
                sq = float(s[i + q]) if weighted else 1.0
                for k in range(K):
                    ub[q, k] = sq * (ub[q, k] - pq[k] * along)
                    hb[c, k] += ub[q, k]
            np.dot(Xb.T, ub, product)
            acc += product


def _probabilities(W, bias, X, scale, block, K):
    """P = softmax(scale·XW + b) (m, K) in W's dtype, block by block (one BLAS product each);
    each row in float64 as in :func:`_softmax_rows`."""
    m, n = X.shape
    P = np.empty((m, K), dtype=W.dtype)
    rows = np.empty((block, n), dtype=W.dtype)
    e = np.empty(K)
    for i in range(0, m, block):
        count = min(block, m - i)
        zb = P[i : i + count]
        np.dot(_rows_as(X, i, i + count, rows), W, zb)
        for q in range(count):
            top = -np.inf
            for k in range(K):
                e[k] = float(zb[q, k]) * scale + bias[k]
                top = max(top, e[k])
            total = 0.0
            for k in range(K):
                e[k] = np.exp(e[k] - top)
                total += e[k]
            for k in range(K):
                zb[q, k] = e[k] / total
    return P


def _cg_chunks(W, bias, X, s, scale, chunk, block, K, n_chunks, total, alpha, gw, gb, rtol, limit):
    """Conjugate gradients for (H + αI_W)·d = −g at (W, b), from d = 0 until ‖r‖ ≤ rtol·‖g‖
    (scipy's ``cg`` rule) or ``limit`` products; returns (d_W, d_b, products). H·v is
    :func:`_hessp_chunks` on one thread (as :func:`hessp` below its threading threshold) at the
    probabilities computed once here; the vectors stay float64 and only v goes to W's dtype for
    the products. Compiled so that a Newton step on data of digits' size is one call: with
    scipy driving, each product paid about half its own time again in Python around it."""
    n = X.shape[1]
    P = _probabilities(W, bias, X, scale, block, K)
    dw = np.zeros((n, K))
    db = np.zeros(K)
    rw = -gw.astype(np.float64)
    rb = -gb.astype(np.float64)
    pw = rw.copy()
    pb = rb.copy()
    qw = np.empty((n, K))
    qb = np.empty(K)
    v = np.empty((n, K), dtype=W.dtype)
    parts = np.empty((n_chunks, n, K), dtype=W.dtype)
    hb = np.empty((n_chunks, K))
    rr = np.sum(rw * rw) + np.sum(rb * rb)
    target = rtol * rtol * rr
    products = 0
    while products < limit and rr > target:
        for j in range(n):
            for k in range(K):
                v[j, k] = pw[j, k]
        hb[:] = 0
        _hessp_kernel(0, n_chunks, P, v, pb, X, s, scale, chunk, block, K, parts, hb)
        products += 1
        for j in range(n):
            for k in range(K):
                acc = 0.0
                for c in range(n_chunks):
                    acc += float(parts[c, j, k])
                qw[j, k] = acc * (scale / total) + alpha * float(v[j, k])
        for k in range(K):
            acc = 0.0
            for c in range(n_chunks):
                acc += hb[c, k]
            qb[k] = acc / total
        curvature = np.sum(pw * qw) + np.sum(pb * qb)
        if not curvature > 0:  # flat or negative along p (alpha = 0, separable data): stop
            break
        step = rr / curvature
        dw += step * pw
        db += step * pb
        rw -= step * qw
        rb -= step * qb
        rr_next = np.sum(rw * rw) + np.sum(rb * rb)
        ratio = rr_next / rr
        pw *= ratio
        pw += rw
        pb *= ratio
        pb += rb
        rr = rr_next
    return dw, db, products


def _rows_as(X, start, stop, rows):
    """X[start:stop] in the dtype of ``rows`` (its buffer): a view when X has it already."""
    raise NotImplementedError  # compiled only: see _compiled


def _register_rows_as(numba: Any) -> None:
    """The two forms of :func:`_rows_as`, chosen by the dtypes when numba types the kernel."""
    from numba.extending import overload

    @overload(_rows_as)
    def _rows_as_typed(X, start, stop, rows):
        if X.dtype == rows.dtype:
            return lambda X, start, stop, rows: X[start:stop]

        def widened(X, start, stop, rows):
            out = rows[: stop - start]
            for q in range(stop - start):
                for j in range(X.shape[1]):
                    out[q, j] = X[start + q, j]
            return out

        return widened


_compiled_lock = threading.Lock()
_kernel: Any = None
_hessp_kernel: Any = None
_cg_kernel: Any = None


def _compiled() -> Any:
    """The numba-compiled chunk functions (compiled on first use, cached on disk); returns the
    pass's (the Hessian product's is :data:`_hessp_kernel`)."""
    global _kernel, _hessp_kernel, _cg_kernel, _probabilities, _softmax_rows
    if _kernel is None:
        with _compiled_lock:
            if _kernel is None:
                import numba
                import scipy.linalg.cython_blas  # noqa: F401 - the BLAS numba's np.dot calls

                _register_rows_as(numba)
                _softmax_rows = numba.njit(nogil=True, cache=True)(_softmax_rows)
                _hessp_kernel = numba.njit(nogil=True, cache=True)(_hessp_chunks)
                _probabilities = numba.njit(nogil=True, cache=True)(_probabilities)
                _cg_kernel = numba.njit(nogil=True, cache=True)(_cg_chunks)
                _kernel = numba.njit(nogil=True, cache=True)(_pass_chunks)
    return _kernel


def prepare() -> None:
    """Compile (or load) the kernel now, and with it scipy's BLAS that its products call: a
    training run limits every BLAS library loaded when it starts to one thread, and a library
    first loaded inside the run would escape that limit."""
    from lrnn import kernels

    if kernels.numba_installed():
        _compiled()


def data_pass(
    W: NDArray,
    b: NDArray,
    X: NDArray,
    y: NDArray,
    sample_weight: NDArray | None = None,
    scale: float = 1.0,
) -> DataPass:
    """:func:`lrnn.softmax.data_pass` with one read of X: the numba kernel when numba is
    installed, else blocks of BLAS products (see the module docstring)."""
    from lrnn import kernels

    if kernels.numba_installed():
        return _kernel_pass(W, b, X, y, sample_weight, scale)
    return _blas_pass(W, b, X, y, sample_weight, scale)


class _Layout(NamedTuple):
    """How a kernel call cuts X and where its chunks add up (shared by both kernels)."""

    s: NDArray  # the sample weights in the parameters' dtype (empty: none)
    total: float  # Σs, or m
    chunk: int  # rows per chunk (a function of X's shape and the parameters' dtype only)
    block: int  # rows per block (kept in L2 between the two products)
    n_chunks: int
    parts: NDArray  # (chunks, n, K): each chunk's share of Xᵀ(…)


def _layout(X: NDArray, K: int, dtype: np.dtype, sample_weight: NDArray | None) -> _Layout:
    m, n = X.shape
    s = np.empty(0, dtype=dtype) if sample_weight is None else np.asarray(sample_weight, dtype)
    total = float(m) if sample_weight is None else float(np.sum(s, dtype=np.float64))
    _, chunk = plan(m, n, dtype.itemsize)  # the widened rows: uint8 X gets its float copy's bits
    block = max(8, min(512, KERNEL_BLOCK_BYTES // (n * dtype.itemsize)))
    n_chunks = -(-m // chunk)
    return _Layout(s, total, chunk, block, n_chunks, np.empty((n_chunks, n, K), dtype=dtype))


def _kernel_pass(
    W: NDArray, b: NDArray, X: NDArray, y: NDArray, sample_weight: NDArray | None, scale: float
) -> DataPass:
    kernel = _compiled()
    dtype = W.dtype
    K = W.shape[1]
    s, total, chunk, block, n_chunks, parts = _layout(X, K, dtype, sample_weight)
    sums = np.zeros((n_chunks, 2 + K))
    args = (np.ascontiguousarray(W), np.asarray(b, np.float64), np.asarray(X))
    args += (np.asarray(y, np.intp), s, float(scale), chunk, block, K, parts, sums)
    _run(lambda c: kernel(c, c + 1, *args), n_chunks, X.size * K)
    dw = np.sum(parts, axis=0, dtype=np.float64) * (scale / total)
    totals = np.sum(sums, axis=0)
    return DataPass(
        float(totals[0] / total), dw.astype(dtype), totals[2:] / total, float(totals[1] / total)
    )


def _blas_pass(
    W: NDArray, b: NDArray, X: NDArray, y: NDArray, sample_weight: NDArray | None, scale: float
) -> DataPass:
    dtype = W.dtype
    m, n = X.shape
    K = W.shape[1]
    y = np.asarray(y, dtype=np.intp)
    s, total = objective._weights_or_none(sample_weight, m)
    block, chunk = plan(m, n, dtype.itemsize)
    n_chunks = -(-m // chunk)
    parts = np.zeros((n_chunks, n, K), dtype=dtype)
    sums = np.zeros((n_chunks, 2 + K))  # Σ sℓ, Σ s·hit, Σ s(P − Y)
    bias = np.asarray(b, dtype=dtype)
    sc = dtype.type(scale)

    def work(c: int) -> None:
        for rows, Xb in _blocks(X, dtype, c, block, chunk):
            z = Xb @ W
            if scale != 1.0:
                z *= sc
            z += bias
            sb = None if s is None else s[rows]
            count = float(z.shape[0]) if sb is None else float(np.sum(sb, dtype=np.float64))
            loss, r, hits = softmax.forward_backward_from_logits(z, y[rows], sb, count)
            sums[c, 0] += loss * count
            sums[c, 1] += hits * count
            sums[c, 2:] += np.sum(r, axis=0, dtype=np.float64)
            parts[c] += Xb.T @ r

    _run(work, n_chunks, X.size * K)
    dw = np.sum(parts, axis=0, dtype=np.float64) if n_chunks > 1 else parts[0]
    dw = (dw * (scale / total)).astype(dtype, copy=False)
    totals = np.sum(sums, axis=0)
    return DataPass(float(totals[0] / total), dw, totals[2:] / total, float(totals[1] / total))


def hessp(
    W: NDArray,
    b: NDArray,
    X: NDArray,
    VW: NDArray,
    vb: NDArray,
    sample_weight: NDArray | None = None,
    scale: float = 1.0,
    probabilities: NDArray | None = None,
) -> tuple[NDArray, NDArray]:
    """:func:`lrnn.softmax.hessp` (alpha = 0) with one read of X. With ``probabilities``
    (softmax(X̃θ), from :func:`logits`), the product at θ needs X·VW and Xᵀ(…) only — what
    conjugate gradients want, many products at one point."""
    from lrnn import kernels

    if kernels.numba_installed():
        if probabilities is None:
            probabilities = softmax.softmax(logits(W, b, X, scale))
        return _kernel_hessp(probabilities, X, VW, vb, sample_weight, scale)
    dtype = W.dtype
    m, n = X.shape
    K = W.shape[1]
    s, total = objective._weights_or_none(sample_weight, m)
    block, chunk = plan(m, n, dtype.itemsize)
    n_chunks = -(-m // chunk)
    parts = np.zeros((n_chunks, n, K), dtype=dtype)
    hb = np.zeros((n_chunks, K))
    VW = np.asarray(VW, dtype=dtype)
    bias, vbias, sc = np.asarray(b, dtype), np.asarray(vb, dtype), dtype.type(scale)

    def work(c: int) -> None:
        for rows, Xb in _blocks(X, dtype, c, block, chunk):
            u = Xb @ VW
            if scale != 1.0:
                u *= sc
            u += vbias
            if probabilities is None:
                z = Xb @ W
                if scale != 1.0:
                    z *= sc
                z += bias
                p = softmax.softmax(z)
            else:
                p = probabilities[rows]
            t = p * u
            t -= p * np.sum(t, axis=1, keepdims=True)
            if s is not None:
                t *= s[rows, None]
            hb[c] += np.sum(t, axis=0, dtype=np.float64)
            parts[c] += Xb.T @ t

    _run(work, n_chunks, X.size * K)
    hw = np.sum(parts, axis=0, dtype=np.float64) * (scale / total)
    return hw.astype(dtype, copy=False), np.sum(hb, axis=0) / total


def _kernel_hessp(
    P: NDArray, X: NDArray, VW: NDArray, vb: NDArray, sample_weight: NDArray | None, scale: float
) -> tuple[NDArray, NDArray]:
    _compiled()
    dtype = P.dtype
    K = P.shape[1]
    s, total, chunk, block, n_chunks, parts = _layout(X, K, dtype, sample_weight)
    hb = np.zeros((n_chunks, K))
    args = (np.ascontiguousarray(P), np.ascontiguousarray(VW, dtype=dtype))
    args += (np.asarray(vb, np.float64), np.asarray(X), s, float(scale), chunk, block, K)
    _run(lambda c: _hessp_kernel(c, c + 1, *args, parts, hb), n_chunks, X.size * K)
    hw = np.sum(parts, axis=0, dtype=np.float64) * (scale / total)
    return hw.astype(dtype, copy=False), np.sum(hb, axis=0) / total


def compiled_cg_worthwhile(X: NDArray, n_classes: int) -> bool:
    """Whether :func:`newton_cg` serves this X: the kernel's shapes, numba installed, and
    products small enough to run on one thread (above :data:`THREADED_MIN_WORK` they are
    shared out among threads, and Python's share of a product is small anyway)."""
    from lrnn import kernels

    return (
        worthwhile(X, n_classes)
        and kernels.numba_installed()
        and X.size * n_classes < THREADED_MIN_WORK
    )


def newton_cg(
    W: NDArray,
    b: NDArray,
    X: NDArray,
    grad_w: NDArray,
    grad_b: NDArray,
    alpha: float,
    rtol: float,
    maxiter: int,
    sample_weight: NDArray | None = None,
    scale: float = 1.0,
) -> tuple[NDArray, NDArray]:
    """The Newton–CG direction (d_W, d_b) ≈ −(H + αI_W)⁻¹g at (W, b), by conjugate gradients
    in compiled code (:func:`_cg_chunks`); for the X that :func:`compiled_cg_worthwhile`
    accepts."""
    _compiled()
    dtype = W.dtype
    K = W.shape[1]
    s, total, chunk, block, n_chunks, _ = _layout(X, K, dtype, sample_weight)
    dw, db, _ = _cg_kernel(
        np.ascontiguousarray(W), np.asarray(b, np.float64), np.asarray(X), s, float(scale),
        chunk, block, K, n_chunks, total, float(alpha),
        np.ascontiguousarray(grad_w, dtype=np.float64), np.asarray(grad_b, dtype=np.float64),
        float(rtol), int(maxiter),
    )  # fmt: skip
    return dw, db


def logits(W: NDArray, b: NDArray, X: NDArray, scale: float = 1.0) -> NDArray:
    """Z = scale · X W + b (m, K), blocks on several threads."""
    dtype = W.dtype
    m, n = X.shape
    block, chunk = plan(m, n, dtype.itemsize)
    out = np.empty((m, W.shape[1]), dtype=dtype)
    bias, sc = np.asarray(b, dtype=dtype), dtype.type(scale)

    def work(c: int) -> None:
        for rows, Xb in _blocks(X, dtype, c, block, chunk):
            np.matmul(Xb, W, out=out[rows])
            if scale != 1.0:
                out[rows] *= sc
            out[rows] += bias

    _run(work, -(-m // chunk), X.size * W.shape[1])
    return out
