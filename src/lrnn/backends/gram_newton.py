"""Newton in the span of the examples: wide data with L2, solved on m coefficients.

With alpha > 0 the minimiser of J(w, b) = Σᵢ sᵢ ℓ(zᵢ, yᵢ)/Σs + (alpha/2)‖w‖², z = scale·Xw + b,
satisfies alpha·w = −scale·Xᵀr/Σs (r = s ⊙ (σ(z) − y)): it lies in the span of the examples,
w = scale·Xᵀβ. So does every primal Newton step from w = 0 (shown below), and the whole
Newton run can be carried out on (β, b) ∈ ℝᵐ⁺¹ after one Gram product K = scale²·XXᵀ:

    z = Kβ + b,     J(β, b) = Σ sᵢ ℓ(zᵢ)/Σs + (alpha/2) βᵀKβ,
    ∇_β J = K g,    g = r/Σs + alpha·β      (the "coefficient gradient" of GramBackend),
    ∂_b J = gb = 1ᵀr/Σs,
    D = diag(sᵢ σ'(zᵢ))/Σs,
    ∇²J = [[K D K + alpha·K, K D 1], [1ᵀ D K, 1ᵀ D 1]].

The β block is K(DK + alpha·I): singular whenever K is (duplicate or dependent examples), and
squared in conditioning. Factoring K out of the first block row of the Newton system
∇²J·(pβ, pb) = −(K g, gb) gives the system we solve instead,

    (D K + alpha·I) pβ + D 1 pb = −g,        1ᵀ D K pβ + (1ᵀ D 1) pb = −gb,

whose solutions solve the Newton system (multiply the first row by K). Its images are the
primal Newton step exactly: the primal system (scale²XᵀDX + alpha·I) p_w + scale·XᵀD1 p_b =
−scale·Xᵀg has the unique solution p_w = scale·Xᵀ pβ, by the push-through identity
(XᵀDX + alpha·I)⁻¹Xᵀ = Xᵀ(DXXᵀ + alpha·I)⁻¹. So the iterates, the Armijo tests and the
stopping decisions are those of the primal Newton method, up to rounding.

DK + alpha·I is not symmetric; with B = D^½ K D^½ + alpha·I (symmetric, eigenvalues in
[alpha, alpha + λmax(DK)] — the spectrum of the primal Hessian's w block, so no worse
conditioned) the
push-through identity again gives, without dividing by any dᵢ (which may underflow to 0):

    (DK + alpha·I)⁻¹ v = (v − D^½ B⁻¹ D^½ K v)/alpha,      (DK + alpha·I)⁻¹ D 1 = D^½ B⁻¹ D^½ 1.

With q = (DK + alpha·I)⁻¹ g and u = D^½ B⁻¹ D^½ 1, the first row is pβ = −q − pb·u. Putting it
into the bias row and using DKq = g − alpha·q, DKu = D1 − alpha·u and 1ᵀg − gb = alpha·1ᵀβ,
every D-term cancels and

    pb = 1ᵀ(β − q) / 1ᵀu,        1ᵀu = (D^½1)ᵀ B⁻¹ (D^½1) > 0 unless every dᵢ is 0,

(alpha·1ᵀu is the Schur complement of the bias: exact and positive). Each step: one m × m
Cholesky of B (m³/3), two triangular solves and a few m² products — no pass over X.

The directional derivative that the line search needs is ∇Jᵀp = gᵀK pβ + gb·pb (the
coefficient gradient is not ∇_β J). The stopping test max|∂J/∂(w, b)| ≤ tol is on the primal
gradient (scale·Xᵀg, gb), which needs a pass over X; ‖scale·Xᵀg‖₂ = (gᵀKg)^½ bounds its max
from above and, divided by √n, from below, so that pass is made only in the iterations where
the bounds do not decide.

K itself is the one large computation, made as for gradient descent in the span
(:func:`lrnn.backends.gram_backend.gram`: the same bits on any machine's thread count).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from lrnn.backends.gram_backend import GramBackend

#: Newton runs in the span when n_features ≥ WIDE_RATIO·n_samples and n_samples ≤ MAX_SAMPLES:
#: the Gram product (m²n/2 multiply-adds, once) then costs about m/4 passes over X, and each
#: step's m × m Cholesky (m³/3) stays below a pass (mn) times the tens of Hessian-vector products
#: a Newton–CG step makes. Above MAX_SAMPLES the m² matrix and its factor grow large.
MAX_SAMPLES = 2048
WIDE_RATIO = 2


def worthwhile(n_samples: int, n_features: int, alpha: float) -> bool:
    """Newton in the span applies (alpha > 0: otherwise the optimum need not be in the span)
    and pays (wide data, m small enough for m × m factorisations)."""
    return alpha > 0 and n_samples <= MAX_SAMPLES and n_features >= WIDE_RATIO * n_samples


class GramNewtonBackend(GramBackend):
    """The coefficient-space view for Newton's method (see the module docstring).

    It keeps :class:`GramBackend`'s coordinates, cost and coefficient gradient, and adds what
    a Newton step needs there: :meth:`newton_direction`, :meth:`slope` (∇Jᵀp in these
    coordinates) and :meth:`gradient_at_most` (the primal stopping test)."""

    name = "gram-newton"

    def _curvature(self, beta: NDArray, b: float) -> NDArray:
        """d = s ⊙ σ'(z)/Σs at z = Kβ + b (float64), with σ'(z) = e/(1 + e)², e = exp(−|z|)."""
        z = self.K64 @ beta.astype(np.float64) + b
        e = np.exp(-np.abs(z))
        d = e / ((1.0 + e) * (1.0 + e))
        if self.sample_weight is not None:
            d *= self.sample_weight
        d /= self.total
        return d

    def newton_direction(
        self, theta: NDArray, grad: NDArray, alpha: float
    ) -> tuple[NDArray, float]:
        """The Newton step (pβ, pb) at θ = (β, b) and its slope ∇Jᵀp (module docstring)."""
        from scipy.linalg import lapack

        K = self.K64
        beta = theta[:-1].astype(np.float64)
        g = grad[:-1].astype(np.float64)
        gb = float(grad[-1])
        root = np.sqrt(self._curvature(beta, float(theta[-1])))
        Kg = K @ g
        B = K * root[:, None]
        B *= root[None, :]
        B[np.diag_indices_from(B)] += alpha
        factor, info = lapack.dpotrf(B, lower=False, clean=False, overwrite_a=True)
        if info != 0 or not np.isfinite(Kg).all():  # K overflowed: steepest descent
            direction = -grad.astype(np.float64)
            return direction, self.slope(grad, direction)
        rhs = np.empty((beta.size, 2))
        rhs[:, 0] = root
        rhs[:, 1] = root * Kg
        solved, info = lapack.dpotrs(factor, rhs, lower=False)
        u = root * solved[:, 0]  # (DK + alpha·I)⁻¹ D1
        q = (g - root * solved[:, 1]) / alpha  # (DK + alpha·I)⁻¹ g
        schur = float(np.sum(u))
        direction = np.empty(theta.shape)
        if not schur > 0:  # every σ'(z) underflowed: no curvature left to use
            direction[:] = -grad
            return direction, self.slope(grad, direction)
        pb = float(np.sum(beta - q)) / schur
        direction[:-1] = -q - pb * u
        direction[-1] = pb
        return direction, float(Kg @ direction[:-1]) + gb * pb

    def slope(self, grad: NDArray, direction: NDArray) -> float:
        """∇Jᵀp = gᵀK pβ + gb·pb for a direction p = (pβ, pb) in these coordinates."""
        g = grad[:-1].astype(np.float64)
        return float(g @ (self.K64 @ direction[:-1])) + float(grad[-1]) * float(direction[-1])

    vectors_in_batches = True  # to_weights shares to_weights_many's bits

    def to_weights(self, coefficients: NDArray) -> NDArray:
        """w = scale·Xᵀβ with :meth:`GramBackend.to_weights_many`'s bits: the result's vectors
        then share one batched product with the history's gradients."""
        return self.to_weights_many([coefficients])[0]


class SparseGramNewtonBackend(GramNewtonBackend):
    """:class:`GramNewtonBackend` for a CSR X (wide text data): K from one sparse product,
    vectors mapped back by sparse products, whose columns are summed independently of each
    other (so a vector's bits again do not depend on its company)."""

    name = "sparse-gram-newton"

    def _row_products(self, X: NDArray) -> NDArray:
        return np.asarray((X @ X.T).toarray(), dtype=self.dtype)

    def to_weights_many(self, vectors: Sequence[NDArray]) -> list[NDArray]:
        if not len(vectors):
            return []
        C = np.stack([np.asarray(v, dtype=self.dtype) for v in vectors], axis=1)  # (m, k)
        W = np.asarray(self.X.T @ C, dtype=self.dtype)
        W *= self.dtype.type(self.scale)
        return list(W.T)
