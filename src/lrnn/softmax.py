"""The math of a softmax layer of K neurons, written once (K ≥ 3 classes).

Two classes stay the lesson's single sigmoid neuron (:mod:`lrnn.objective`); three or more put
K neurons side by side and turn their logits into probabilities with a softmax. Conventions
follow :mod:`lrnn.objective`:

* ``X`` is ``(m, n)`` (float64, float32 or uint8, with ``scale`` applied inside the math), ``y``
  holds class indices ``0 … K−1``.
* ``W`` is ``(n, K)`` — one column per class, so ``Z = scale · X W + b`` is ``(m, K)`` — and
  ``b`` is ``(K,)``. The training loop carries them as one array ``theta`` of shape
  ``(n + 1, K)``: ``theta[:-1]`` is ``W`` and ``theta[-1]`` is ``b``, exactly as the binary code
  slices its 1-D ``theta``. scikit-learn's ``coef_`` is ``W.T``.
* The loss of one example is ``ℓ(z, y) = logsumexp(z) − z_y`` (= −log softmax(z)_y), the
  cost ``J = Σ sᵢ ℓᵢ / Σ sᵢ + (alpha/2)‖W‖²`` (bias not penalised) — scikit-learn's multinomial
  ``LogisticRegression`` objective with ``C = 1/(alpha · Σs)``, which also keeps all K columns.
* Gradients: ``dW = scale · Xᵀ S (P − Y) / Σs + alpha W``, ``db = Σ s (P − Y) / Σs`` with P the
  softmax probabilities and Y the one-hot labels — the lesson's backward propagation, K wide.

Like the binary reference, arithmetic runs in the parameters' dtype (float32 data in float32)
with losses summed in float64, and ``X`` is never copied whole to another dtype.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from lrnn import objective
from lrnn.objective import DataPass

#: The softmax Hessian of one example, diag(p) − ppᵀ, has eigenvalues ≤ ½ (the sigmoid's ¼
#: is the K = 2 case on one logit): the curvature of J is at most this times λmax(X̃ᵀSX̃)/Σs.
CURVATURE_FACTOR = 0.5


def _floating(z: ArrayLike) -> NDArray[np.floating]:
    z = np.asarray(z)
    return z if np.issubdtype(z.dtype, np.floating) else z.astype(np.float64)


def _shifted(z: NDArray) -> NDArray:
    """z minus its row maximum: every entry ≤ 0 and one exactly 0. A difference beyond the
    dtype's range (logits near ±max) is held at −max, where exp is 0 anyway."""
    with np.errstate(over="ignore"):
        shifted = z - np.max(z, axis=-1, keepdims=True)
    return np.maximum(shifted, -np.finfo(z.dtype).max, out=shifted)


def log_softmax(z: ArrayLike) -> NDArray[np.floating]:
    """log softmax along the last axis: z − logsumexp(z), finite wherever z is.

    The row maximum is subtracted first, so ``exp`` only ever sees numbers ≤ 0 (no overflow)
    and at least one of them is exactly 0 (the sum is ≥ 1: no log 0, no 0/0).
    """
    shifted = _shifted(_floating(z))
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def softmax(z: ArrayLike) -> NDArray[np.floating]:
    """Probabilities softmax(z) along the last axis; rows sum to 1, no overflow for finite z."""
    e = np.exp(_shifted(_floating(z)))
    e /= np.sum(e, axis=-1, keepdims=True)
    return e


def cost_from_logits(z: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> float:
    """Weighted mean of ℓ(z, y) = −log softmax(z)_y, accumulated in float64."""
    logp = log_softmax(z)
    picked = -logp[np.arange(logp.shape[0]), np.asarray(y, dtype=np.intp)].astype(np.float64)
    if sample_weight is None:
        return float(np.mean(picked))
    s = np.asarray(sample_weight, dtype=np.float64)
    return float(np.dot(picked, s) / s.sum())


def forward_backward_from_logits(
    z: NDArray, y: NDArray, sample_weight: NDArray | None, total: float
) -> tuple[float, NDArray, float]:
    """(mean loss, residual S(P − Y) (m, K), accuracy) from the logits, in one sweep.

    The residual is not yet divided by ``total`` (Σs, or m). ``z`` is overwritten (it becomes
    the residual), so callers pass logits they no longer need.
    """
    m = z.shape[0]
    rows = np.arange(m)
    hits = np.argmax(z, axis=1) == y
    z -= np.max(z, axis=1, keepdims=True)
    picked = z[rows, y].astype(np.float64)
    np.exp(z, out=z)
    sums = np.sum(z, axis=1, keepdims=True)
    losses = np.log(sums[:, 0]).astype(np.float64) - picked  # logsumexp(z) − z_y
    z /= sums  # P
    z[rows, y] -= 1  # P − Y
    if sample_weight is None:
        loss = float(np.add.reduce(losses)) / m
        accuracy = np.count_nonzero(hits) / m
    else:
        s64 = sample_weight.astype(np.float64, copy=False)
        loss = float(np.dot(losses, s64) / total)
        accuracy = float(np.dot(hits, s64) / total)
        z *= sample_weight[:, None]
    return loss, z, accuracy


# --------------------------------------------------------------------------------------------
# Passes over the data (reference implementation)
# --------------------------------------------------------------------------------------------
def logits(W: NDArray, b: ArrayLike, X: NDArray, scale: float = 1.0) -> NDArray[np.floating]:
    """Z = scale · X W + b, shape (m, K), in the parameters' dtype."""
    dtype = W.dtype
    z = np.empty((X.shape[0], W.shape[1]), dtype=dtype)
    for rows, Xb in objective._row_blocks(X, dtype):
        if isinstance(Xb, np.ndarray):
            np.matmul(Xb, W, out=z[rows])
        else:  # scipy.sparse rows: their product is a new dense array
            z[rows] = Xb @ W
    if scale != 1.0:
        z *= dtype.type(scale)
    z += np.asarray(b, dtype=dtype)
    return z


def _transposed_product(X: NDArray, R: NDArray, dtype: np.dtype) -> NDArray:
    """Xᵀ R (n, K) in ``dtype``, X widened a block of rows at a time."""
    out = np.zeros((X.shape[1], R.shape[1]), dtype=dtype)
    for rows, Xb in objective._row_blocks(X, dtype):
        out += Xb.T @ R[rows]
    return out


def data_pass(
    W: NDArray,
    b: NDArray,
    X: NDArray,
    y: NDArray,
    sample_weight: NDArray | None = None,
    scale: float = 1.0,
) -> DataPass:
    """Forward and backward propagation over all of X for K classes: DataPass with dw (n, K),
    db (K,) and the accuracy of the arg-max class."""
    dtype = W.dtype
    s, total = objective._weights_or_none(sample_weight, X.shape[0])
    z = logits(W, b, X, scale)
    loss, residual, accuracy = forward_backward_from_logits(z, np.asarray(y, np.intp), s, total)
    dw = _transposed_product(X, residual, dtype)
    dw *= dtype.type(scale / total)
    db = np.sum(residual, axis=0, dtype=np.float64) / total
    return DataPass(loss, dw, db, accuracy)


def loss_and_grad(
    W: NDArray,
    b: NDArray,
    X: NDArray,
    y: NDArray,
    alpha: float = 0.0,
    sample_weight: NDArray | None = None,
    scale: float = 1.0,
) -> tuple[float, NDArray, NDArray]:
    """Cost J (with the L2 term on W) and its gradient (dW, db)."""
    return objective.regularize(data_pass(W, b, X, y, sample_weight, scale), W, alpha)


def hessp(
    W: NDArray,
    b: NDArray,
    X: NDArray,
    VW: NDArray,
    vb: NDArray,
    alpha: float = 0.0,
    sample_weight: NDArray | None = None,
    scale: float = 1.0,
) -> tuple[NDArray, NDArray]:
    """Hessian of J at (W, b) times the direction (VW, vb).

    Per example the Hessian in logit space is diag(p) − ppᵀ, so with U = X̃V the product is
    X̃ᵀ S (P ⊙ U − P ⊙ rowsum(P ⊙ U)) / Σs, plus alpha·VW.
    """
    P = softmax(logits(W, b, X, scale))
    return hessp_at_probabilities(P, X, VW, vb, alpha, sample_weight, scale)


def hessp_at_probabilities(
    P: NDArray,
    X: NDArray,
    VW: NDArray,
    vb: NDArray,
    alpha: float = 0.0,
    sample_weight: NDArray | None = None,
    scale: float = 1.0,
) -> tuple[NDArray, NDArray]:
    """:func:`hessp` with the probabilities P = softmax(X̃θ) (m, K) already known: conjugate
    gradients multiply by the Hessian at one point many times, and P depends on the point
    only, so each product is then two products with X instead of three."""
    dtype = P.dtype  # W's: the probabilities are in the parameters' dtype
    s, total = objective._weights_or_none(sample_weight, X.shape[0])
    t = P * logits(VW, vb, X, scale)  # P ⊙ U
    t -= P * np.sum(t, axis=1, keepdims=True)
    if s is not None:
        t *= s[:, None]
    hw = _transposed_product(X, t, dtype)
    hw *= dtype.type(scale / total)
    hb = np.sum(t, axis=0, dtype=np.float64) / total
    if alpha:
        hw += dtype.type(alpha) * VW
    return hw, hb


def hessian(
    W: NDArray,
    b: NDArray,
    X: NDArray,
    alpha: float = 0.0,
    sample_weight: NDArray | None = None,
    scale: float = 1.0,
) -> NDArray[np.float64]:
    """The full ((n+1)K)² Hessian in the order of ``theta.ravel()`` (θ (n+1, K), C order:
    index j·K + k for feature j, class k; bias row last). Only sensible for few parameters.

    H = Σᵢ sᵢ x̃ᵢx̃ᵢᵀ ⊗ (diag(pᵢ) − pᵢpᵢᵀ) / Σs: a block-diagonal part X̃ᵀ diag(s pₖ) X̃ spread
    over the classes, minus MᵀSM where row i of M is x̃ᵢ ⊗ pᵢ.
    """
    m, n = X.shape
    K = W.shape[1]
    s, total = objective._weights_or_none(sample_weight, m)
    p = softmax(logits(W, b, X, scale)).astype(np.float64)
    sw = np.ones(m) if s is None else np.asarray(s, dtype=np.float64)
    xt = np.empty((m, n + 1))
    # scipy.sparse X: widened here only because the exact Hessian is formed for few features
    xt[:, :n] = X.toarray() if hasattr(X, "toarray") else X
    xt[:, :n] *= scale
    xt[:, n] = 1.0
    M = (xt[:, :, None] * p[:, None, :]).reshape(m, (n + 1) * K)
    H = -(M.T @ (M * sw[:, None]))
    H4 = H.reshape(n + 1, K, n + 1, K)
    for k in range(K):
        H4[:, k, :, k] += xt.T @ (xt * (sw * p[:, k])[:, None])
    H /= total
    penalised = np.arange(n * K)
    H[penalised, penalised] += alpha
    return H


def lipschitz_constant(
    X: NDArray, alpha: float = 0.0, sample_weight: NDArray | None = None, scale: float = 1.0
) -> float:
    """L = λmax(X̃ᵀSX̃)/(2Σs) + alpha: 1/L is a step gradient descent can always take."""
    return CURVATURE_FACTOR * objective.augmented_lambda_max(X, sample_weight, scale) + alpha


# --------------------------------------------------------------------------------------------
# Finite differences
# --------------------------------------------------------------------------------------------
class Coordinate(NamedTuple):
    row: int  # feature index, or n for the bias
    column: int  # class index


def finite_difference_check(
    W: NDArray,
    b: NDArray,
    X: NDArray,
    y: NDArray,
    coordinates: list[Coordinate],
    epsilon: float,
    alpha: float = 0.0,
) -> objective.GradientCheck:
    """Backpropagation's dW[j, k] / db[k] against (J(θ + ε) − J(θ − ε)) / 2ε, per coordinate."""
    theta = np.vstack([W, np.asarray(b, dtype=W.dtype)[None, :]])
    n = W.shape[0]

    def cost(t: NDArray) -> float:
        return loss_and_grad(t[:-1], t[-1], X, y, alpha)[0]

    at, dw, db = loss_and_grad(W, b, X, y, alpha)
    grad = np.vstack([dw, np.asarray(db)[None, :]])
    rows: list[dict[str, float | str]] = []
    for j, k in coordinates:
        e = np.zeros_like(theta)
        e[j, k] = epsilon
        numeric = (cost(theta + e) - cost(theta - e)) / (2 * epsilon)
        analytic = float(grad[j, k])
        rel = abs(analytic - numeric) / max(abs(analytic) + abs(numeric), 1e-300)
        rows.append(
            {
                "coordinate": f"W[{j}, {k}]" if j < n else f"b[{k}]",
                "backprop": analytic,
                "finite_difference": numeric,
                "relative_error": rel,
            }
        )
    return objective.GradientCheck.of(rows, at, epsilon)
