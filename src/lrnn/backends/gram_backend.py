"""The wide-data shortcut: gradient descent in the span of the training examples.

When features far outnumber examples (the lesson's 12288 × 209), every gradient of J with
respect to w is a combination of the examples: dw = scale·Xᵀ(r/Σs) + alpha·w with
r = s ⊙ (a − y). Starting from w = 0, gradient descent, momentum and Nesterov only ever add
such combinations, so every iterate is w = scale·Xᵀβ for some β ∈ ℝᵐ. Tracking β instead of w:

    z = scale·Xw + b = Kβ + b,          K = scale²·XXᵀ   (m × m, computed once)
    ‖w‖² = βᵀKβ,                          dw = scale·Xᵀ dβ with dβ = r/Σs + alpha·β

and because those optimisers are linear in the gradient, running them on (β, b) with the
"coefficient gradient" (dβ, db) produces exactly the images of the usual iterates. Each
iteration then costs O(m²) instead of O(n·m). Adam and the second-order solvers are not linear
in the gradient and never use this.

K is the one large computation: a fixed sum of column-block Gram products (:func:`gram`), each
one BLAS call on one thread. The partition depends only on the shape, so the blocks may run in
parallel (one worker per core) and the sum is the same, bit for bit, on any machine — unlike a
multi-threaded BLAS product, whose reduction order follows the thread count.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from lrnn import objective
from lrnn.objective import DataPass

#: Columns per block when mapping β back to w = scale·Xᵀβ (a uint8 X is widened a slice at a time).
_COLUMN_BLOCK = 2048

#: A narrow X (uint8 pixels) whose widened copy fits in this many bytes is widened once and the
#: copy kept: K needs it widened anyway (:func:`gram`), and every recorded iteration maps a
#: gradient back to w (the lesson's run records 20 times; widening the cat pictures again each
#: time cost more than its 2000 iterations together).
_KEEP_WIDENED_BYTES = 32 * 2**20


#: Vectors mapped back to w = scale·Xᵀβ in batches go through one product of exactly this many
#: rows (zero-padded): every row then meets the same BLAS kernel, so its bits do not depend on
#: which other vectors shared the product, and one read of X serves up to this many vectors.
MAP_ROWS = 8

#: What :meth:`GramBackend._stretch_bound` must stay under for a stretch of descent to run
#: without per-step checks: far from overflow in float32 (3.4e38) as in float64.
_FINITE_ENOUGH = 1e30


#: K is summed over this many column blocks (at most), whatever the machine: two run in parallel
#: on two cores, and one BLAS product per half costs no more than one over all columns (measured
#: on the cat data; four quarters cost 1.3× as much on one thread).
GRAM_BLOCKS = 2
#: ... each at least this many columns (smaller blocks cost more than they parallelise)...
_MIN_BLOCK_COLUMNS = 1024
#: ... and at most this many bytes once widened (uint8 pixels are widened a block at a time).
_BLOCK_BYTES = 32 * 2**20


def column_blocks(n_samples: int, n_features: int, itemsize: int) -> list[slice]:
    """The fixed partition of the columns that K is summed over (shape and dtype only)."""
    per_block = max(math.ceil(n_features / GRAM_BLOCKS), _MIN_BLOCK_COLUMNS)
    per_block = min(per_block, max(1, _BLOCK_BYTES // (itemsize * max(n_samples, 1))))
    return [
        slice(start, min(start + per_block, n_features))
        for start in range(0, n_features, per_block)
    ]


def _workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def gram(X: NDArray, dtype: np.dtype) -> NDArray:
    """XXᵀ (m × m) in ``dtype``: Σ over :func:`column_blocks` of X_k X_kᵀ, summed in block order.

    Each block's product is one BLAS call; the training loop holds BLAS at one thread (see
    :func:`lrnn.train.train`), so a block's bits do not depend on the machine, and neither
    does the sum, which is always taken in the same order. The blocks run on up to one thread
    per core (numpy releases the GIL inside BLAS)."""
    m, n = X.shape
    dtype = np.dtype(dtype)
    blocks = column_blocks(m, n, dtype.itemsize)

    def product(cols: slice) -> NDArray:
        block = X[:, cols]
        if block.dtype != dtype:
            block = block.astype(dtype)
        return block @ block.T

    workers = min(len(blocks), _workers())
    if workers > 1:
        with ThreadPoolExecutor(workers) as pool:
            parts = list(pool.map(product, blocks))
    else:
        parts = [product(cols) for cols in blocks]
    K = parts[0]
    if K.dtype != dtype or not K.flags.writeable:
        K = K.astype(dtype)
    for part in parts[1:]:
        K += part
    return K


def _widened_whole(X: NDArray, dtype: np.dtype) -> NDArray | None:
    """X in ``dtype``, when X is narrower and small enough to keep widened whole."""
    m, n = X.shape
    if X.dtype == dtype or n > max(1, _KEEP_WIDENED_BYTES // (dtype.itemsize * max(m, 1))):
        return None
    return X[:, 0:n].astype(dtype)


def worthwhile(n_samples: int, n_features: int, max_iter: int) -> bool:
    """K costs about m/2 ordinary passes to build and m² memory; use it when that pays off."""
    return n_samples <= 4096 and 2 * n_samples <= n_features and max_iter > n_samples // 2


class _Workspace(NamedTuple):
    """Scratch vectors of m entries that :meth:`GramBackend.evaluate` fills in place."""

    Kbeta: NDArray
    z: NDArray
    e: NDArray
    a: NDArray  # σ(z)
    losses: NDArray
    t: NDArray
    mask: NDArray
    positive: NDArray  # y > ½: which examples are labelled positive
    zeros: NDArray
    ones: NDArray
    minus_ones: NDArray
    halves: NDArray
    total: np.floating  # Σs (or m) in the parameters' dtype


class GramBackend:
    """Coefficient-space view of an in-memory backend: parameters are (β, b), β ∈ ℝᵐ.

    It answers the backend protocol in its own coordinates: ``evaluate``/``data_pass`` return
    the *coefficient* gradient (dβ, db) whose images are the usual (dw, db), ``logits`` takes
    (β, b), ``to_weights`` maps back. Second-order questions (Hessians, mini-batches) have no
    meaning here: the registry runs only solvers linear in the gradient in this space.
    """

    name = "gram"
    coefficient_space = True

    def __init__(self, X: NDArray, y: NDArray, sample_weight: NDArray | None, scale: float):
        self.X = X
        self.scale = float(scale)
        self.dtype = objective.param_dtype(X.dtype)
        m = X.shape[0]
        self.n_samples, self.n_features = m, m  # parameters live in ℝᵐ
        self.data_features = X.shape[1]
        self.y = np.asarray(y, dtype=self.dtype)
        self.sample_weight = (
            None if sample_weight is None else np.asarray(sample_weight, dtype=self.dtype)
        )
        K = self._row_products(X)
        K *= self.dtype.type(self.scale * self.scale)
        self.K = K
        self.total = float(m if sample_weight is None else np.sum(self.sample_weight))

    def _row_products(self, X: NDArray) -> NDArray:
        """XXᵀ in the parameters' dtype (uint8 pixels: widened a slice at a time). A narrow
        X's widened copy is kept, so recorded rows map back to w without widening again."""
        if not isinstance(X, np.ndarray):  # scipy.sparse rows (a softmax layer's view)
            self._widened = None
            return objective.row_products(X, self.dtype)
        self._widened = _widened_whole(X, self.dtype)
        return gram(X if self._widened is None else self._widened, self.dtype)

    def evaluate(self, theta: NDArray, alpha: float) -> tuple[float, NDArray, DataPass]:
        """Cost, coefficient gradient (dβ, db) and the data term at θ = (β, b).

        This runs thousands of times on vectors of m numbers (the lesson: 2000 × 209), where
        each NumPy call costs more than its arithmetic. So it is
        :func:`objective.forward_backward_from_logits` written out with fewer calls into
        buffers kept between iterations: −|z| in one ``copysign``, the comparison with ½ for
        the labels made once, the residual divided straight into the gradient, constants held
        as arrays (a Python number costs NumPy a conversion on every call). Every value is the
        same operation on the same operands as there, so the bits are the same.
        """
        a = self._probabilities(theta)
        work = self._work
        z = work.z
        losses = np.log1p(work.e, out=work.losses)
        losses += np.maximum(z, work.zeros, out=work.t)
        losses -= np.multiply(self.y, z, out=work.t)
        hits = np.greater(a, work.halves, out=work.mask)
        hits = np.equal(hits, work.positive, out=hits)
        m = z.shape[0]
        if self.sample_weight is None:
            loss = float(np.add.reduce(losses, dtype=np.float64)) / m
            accuracy = np.count_nonzero(hits) / m
        else:
            s64 = self.sample_weight.astype(np.float64, copy=False)
            loss = float(np.dot(losses.astype(np.float64, copy=False), s64) / self.total)
            accuracy = float(np.dot(hits, self.sample_weight) / self.total)
        cost = loss
        if alpha:
            cost += 0.5 * alpha * float(np.dot(theta[:-1], work.Kbeta))
        grad = np.empty_like(theta)
        self._gradient(a, theta, alpha, grad)
        return cost, grad, DataPass(loss, grad[:-1], float(grad[-1]), accuracy)

    def _probabilities(self, theta: NDArray) -> NDArray:
        """a = σ(z) at z = Kβ + b, leaving Kβ, z and e = e^−|z| in the workspace for the loss.

        σ is the reference's stable form, 1/(1 + e) for z ≥ 0 and e/(1 + e) below. Its
        numerator, 1 or e, is e^min(z, 0): the same bits as choosing with ``np.where``, in
        half the time."""
        work = self._work if hasattr(self, "_work") else self._workspace()
        Kbeta = np.dot(self.K, theta[:-1], work.Kbeta)
        z = np.add(Kbeta, theta[-1], out=work.z)
        e = np.copysign(z, work.minus_ones, out=work.e)  # −|z|
        np.exp(e, out=e)
        a = np.exp(np.minimum(z, work.zeros, out=work.a), out=work.a)
        return np.divide(a, np.add(e, work.ones, out=work.t), out=a)

    def _gradient(self, a: NDArray, theta: NDArray, alpha: float, grad: NDArray) -> None:
        """grad = (dβ, db) from a = σ(z): dβ = s(a − y)/Σs + alpha·β, db = Σ s(a − y)/Σs."""
        residual = np.subtract(a, self.y, out=grad[:-1])
        if self.sample_weight is not None:
            residual *= self.sample_weight
        np.divide(residual, self._work.total, out=residual)
        grad[-1] = np.add.reduce(residual, dtype=np.float64)
        if alpha:
            residual += self.dtype.type(alpha) * theta[:-1]

    def descend(
        self, theta: NDArray, learning_rate: float, alpha: float, steps: int
    ) -> tuple[NDArray, NDArray] | None:
        """``steps`` iterations of the lesson's θ ← θ − lr·∇J from θ, for a loop that records
        none of them: (the last θ, the gradient of the last step).

        The same arithmetic as :meth:`evaluate` followed by :func:`lrnn.optim.gd`'s update, so
        the iterates are bit for bit those of the loop; what the loop does besides (the loss,
        the accuracy, its checks and bookkeeping) is left out, which halves the lesson's
        iterations. None (the loop then takes these iterations one by one, and its checks see
        what happened where it happened) when the cost or the gradient might not have been
        finite at some step, or the last gradient is exactly zero (tol = 0 stops there).

        Whether every step stays finite is settled before the first one where it can be (see
        :meth:`_stretch_bound`), so the stretch runs as bare NumPy calls into kept buffers;
        otherwise each step checks its own logits (:meth:`_descend_checked`).
        """
        bound = self._stretch_bound(theta, learning_rate, alpha, steps)
        if not (bound < _FINITE_ENOUGH and bound * max(float(self.total), 1.0) < 1e300):
            return self._descend_checked(theta, learning_rate, alpha, steps)
        theta = theta.copy()
        grad, step = np.empty_like(theta), np.empty_like(theta)
        work = self._work if hasattr(self, "_work") else self._workspace()
        K, y, s, total = self.K, self.y, self.sample_weight, work.total
        Kbeta, z, t, penalty = work.Kbeta, work.z, work.t, work.losses
        # e = e^−|z| and σ's numerator e^min(z, 0) side by side: one exp call for both (NumPy's
        # exp gives each element the same bits wherever it sits in the array)
        exponents = np.empty(2 * self.n_samples, dtype=self.dtype)
        e, a = exponents[: self.n_samples], exponents[self.n_samples :]
        zeros, ones, minus_ones = work.zeros, work.ones, work.minus_ones
        beta, residual = theta[:-1], grad[:-1]
        rate, alpha_ = -self.dtype.type(learning_rate), self.dtype.type(alpha)
        dot, add, subtract, multiply, divide = np.dot, np.add, np.subtract, np.multiply, np.divide
        copysign, exp, minimum, reduce = np.copysign, np.exp, np.minimum, add.reduce
        f64 = np.float64
        # _probabilities, _gradient and optim.gd, written out; outputs passed by position, which
        # NumPy parses faster than keywords (np.minimum alone takes it only as a keyword)
        for _ in range(steps):
            add(dot(K, beta, Kbeta), theta[-1], z)
            copysign(z, minus_ones, e)
            minimum(z, zeros, out=a)
            exp(exponents, exponents)
            divide(a, add(e, ones, t), a)
            subtract(a, y, residual)
            if s is not None:
                multiply(residual, s, residual)
            divide(residual, total, residual)
            grad[-1] = reduce(residual, None, f64)
            if alpha:
                add(residual, multiply(alpha_, beta, penalty), residual)
            add(theta, multiply(rate, grad, step), theta)
        if not (grad.any() and math.isfinite(reduce(grad, dtype=np.float64))):
            return None
        return theta, grad

    def _stretch_bound(
        self, theta: NDArray, learning_rate: float, alpha: float, steps: int
    ) -> float:
        """An upper bound, before the first step, on every logit, loss, penalty and gradient
        entry that ``steps`` descent steps from θ can produce (∞ when there is none).

        Each step moves β by lr·(r/Σs + alpha·β) and b by lr·Σr/Σs, where the weighted
        residuals r = s(a − y) have Σ|rᵢ|/Σs ≤ c = max|a − y| ≤ 1 + max|y|. So after k steps
        ‖β‖₁ ≤ qᵏ(‖β₀‖₁ + k·lr·c) with q = max(1, |1 − lr·alpha|), |b| ≤ |b₀| + k·lr·c, each
        logit |zᵢ| ≤ max|K|·‖β‖₁ + |b|, each loss ≤ 1 + c·|z|, the penalty ½alpha·βᵀKβ ≤
        ½alpha·max|K|·‖β‖₁² (βᵀKβ itself, summed before alpha scales it, ≤ max|K|·‖β‖₁²) and
        the gradient's entries ≤ max(s)·c/Σs + alpha·‖β‖₁. Rounding
        moves these by a few parts in 10¹⁶; the threshold they are held to is far below any
        overflow (for float32 too).
        """
        k_max = getattr(self, "_k_max", None)
        if k_max is None:
            k_max = self._k_max = float(np.max(np.abs(self.K), initial=0.0))
            y = self.y
            self._residual_max = 1.0 + float(np.max(np.abs(y), initial=0.0))
            s = self.sample_weight
            self._weight_max = 1.0 if s is None else float(np.max(s, initial=0.0)) / self.total
        c, lr = self._residual_max, abs(float(learning_rate))
        q = abs(1.0 - lr * alpha)
        growth = steps * math.log(q) if q > 1.0 else 0.0
        if not growth < 40.0:
            return math.inf
        theta64 = theta.astype(np.float64, copy=False)
        beta_sum = math.exp(growth) * (float(np.abs(theta64[:-1]).sum()) + steps * lr * c)
        logit = k_max * beta_sum + abs(float(theta64[-1])) + steps * lr * c
        loss = 1.0 + c * logit + 0.5 * alpha * k_max * beta_sum * beta_sum
        gradient = self._weight_max * c + alpha * beta_sum
        # the penalty's βᵀKβ is summed in the parameters' dtype before alpha scales it
        quadratic = k_max * beta_sum * beta_sum if alpha else 0.0
        worst = max(logit, loss, gradient, quadratic)
        return worst if math.isfinite(k_max + c) else math.inf

    def _descend_checked(
        self, theta: NDArray, learning_rate: float, alpha: float, steps: int
    ) -> tuple[NDArray, NDArray] | None:
        """:meth:`descend`, each step checking that its cost and gradient were finite.

        The cost is not computed, so it is bounded instead: each example's loss is at most
        1 + |zᵢ| ≤ 1 + ‖z‖, so the weighted sum of losses stays below Σs·(1 + ‖z‖) and the
        cost below that over Σs, plus the penalty. A gradient that overflows shows in the next
        step's logits, the last step's in its sum.
        """
        theta = theta.copy()
        grad, step = np.empty_like(theta), np.empty_like(theta)
        rate = -self.dtype.type(learning_rate)  # optim.gd's step: −lr·∇J
        beta, reduce, dot, sqrt = theta[:-1], np.add.reduce, np.dot, math.sqrt
        weight_sum, finite_enough = max(float(self.total), 1.0), 1e300
        for _ in range(steps):
            a = self._probabilities(theta)
            work = self._work
            squares = float(dot(work.z, work.z))  # NaN or ∞ when a logit is
            if not squares < finite_enough:
                return None
            reach = 1.0 + sqrt(squares)
            if alpha:
                reach += 0.5 * alpha * abs(float(dot(beta, work.Kbeta)))
            if not reach * weight_sum < finite_enough:
                return None
            self._gradient(a, theta, alpha, grad)
            np.add(theta, np.multiply(rate, grad, out=step), out=theta)
        if not (grad.any() and math.isfinite(reduce(grad, dtype=np.float64))):
            return None
        return theta, grad

    def _workspace(self) -> _Workspace:
        """Buffers for :meth:`evaluate`, made on first use (a subclass may set up K itself)."""
        m, dtype = self.K.shape[0], self.dtype
        self._work = _Workspace(
            *(np.empty(m, dtype=dtype) for _ in range(6)),
            np.empty(m, dtype=bool),
            np.asarray(self.y) > 0.5,
            np.zeros(m, dtype=dtype),
            np.ones(m, dtype=dtype),
            np.full(m, -1, dtype=dtype),
            np.full(m, 0.5, dtype=dtype),
            dtype.type(self.total),
        )
        return self._work

    @property
    def K64(self) -> NDArray:
        if self.K.dtype == np.float64:
            return self.K
        cached = getattr(self, "_K64", None)
        if cached is None:
            cached = self._K64 = self.K.astype(np.float64)
        return cached

    def gradient_at_most(self, grad: NDArray, tol: float) -> bool:
        """max|∂J/∂(w, b)| ≤ tol for the primal gradient (scale·Xᵀg, gb) of this coefficient
        gradient; a pass over X only where ‖·‖₂ ≥ ‖·‖∞ ≥ ‖·‖₂/√n do not decide."""
        if not abs(float(grad[-1])) <= tol:
            return False
        g = grad[:-1].astype(np.float64)
        norm2 = math.sqrt(max(float(g @ (self.K64 @ g)), 0.0))
        if norm2 <= tol:
            return True
        if norm2 > tol * math.sqrt(self.data_features):
            return False
        return float(np.max(np.abs(self.to_weights(grad[:-1])), initial=0.0)) <= tol

    def data_pass(self, beta: NDArray, b: float) -> DataPass:
        """The data term at (β, b), with the coefficient gradient."""
        theta = np.append(beta, self.dtype.type(b))
        return self.evaluate(theta, 0.0)[2]

    def logits(self, beta: NDArray, b: float) -> NDArray:
        return self.K @ beta + self.dtype.type(b)

    def _second_order(self, *args: object) -> NDArray:
        raise NotImplementedError(
            "the wide-data view runs only first-order solvers linear in the gradient"
        )

    hessp = hessian = minibatches = _second_order

    def to_weights(self, coefficients: NDArray) -> NDArray:
        """w = scale·Xᵀβ: one pass over X, a block of columns at a time."""
        if self.X.dtype == self.dtype:
            return self._product(self.X, coefficients) * self.dtype.type(self.scale)
        w = np.empty((self.data_features, *coefficients.shape[1:]), dtype=self.dtype)
        widened = getattr(self, "_widened", None)
        for start in range(0, self.data_features, _COLUMN_BLOCK):
            if widened is not None:  # the same products, without widening X again
                block = widened[:, start : start + _COLUMN_BLOCK]
            else:
                block = self.X[:, start : start + _COLUMN_BLOCK].astype(self.dtype)
            w[start : start + block.shape[1]] = self._product(block, coefficients)
        w *= self.dtype.type(self.scale)
        return w

    #: Whether :meth:`lrnn.train.Recorder.settle` maps the result's vectors in the same batched
    #: product as the history's gradients (their bits are then those of ``to_weights_many``);
    #: here they keep ``to_weights``' bits, the lesson's w among them.
    vectors_in_batches = False

    def to_weights_many(self, vectors: Sequence[NDArray]) -> list[NDArray]:
        """scale·Xᵀv for each v, reading X once per :data:`MAP_ROWS` vectors: the history's
        gradient norms, filled in at the end, in a fraction of the passes they would take
        one by one (an estimator records every iteration by default); Newton in the span maps
        its result here too (see ``vectors_in_batches``)."""
        source = self.X if self.X.dtype == self.dtype else getattr(self, "_widened", None)
        out: list[NDArray] = []
        for start in range(0, len(vectors), MAP_ROWS):
            chunk = vectors[start : start + MAP_ROWS]
            C = np.zeros((MAP_ROWS, self.n_samples), dtype=self.dtype)
            for row, v in zip(C, chunk, strict=False):
                row[:] = v
            if source is not None:
                W = C @ source
            else:
                W = np.empty((MAP_ROWS, self.data_features), dtype=self.dtype)
                for first in range(0, self.data_features, _COLUMN_BLOCK):
                    block = self.X[:, first : first + _COLUMN_BLOCK].astype(self.dtype)
                    W[:, first : first + block.shape[1]] = C @ block
            W *= self.dtype.type(self.scale)
            out.extend(W[: len(chunk)])
        return out

    @staticmethod
    def _product(columns: NDArray, coefficients: NDArray) -> NDArray:
        """Xᵀβ for these columns of X (a softmax layer's view maps K columns of B)."""
        return coefficients @ columns

    def lambda_max(self) -> float:
        """λmax(X̃ᵀSX̃)/Σs from K: X̃X̃ᵀ = K + 11ᵀ shares X̃ᵀX̃'s nonzero eigenvalues."""
        M = self.K.astype(np.float64) + 1.0
        if self.sample_weight is not None:
            root = np.sqrt(self.sample_weight.astype(np.float64))
            M = M * root[:, None] * root[None, :]
        if not np.isfinite(M).all():  # K overflowed: the curvature is beyond floating point
            return float("inf")
        return float(np.linalg.eigvalsh(M)[-1]) / self.total
