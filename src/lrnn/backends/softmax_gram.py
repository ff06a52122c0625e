"""The wide-data shortcut for a softmax layer: first-order solvers in the span of the examples.

The argument of :mod:`lrnn.backends.gram_backend` holds column by column. With W (n, K) and
X̃ = scale·X, the gradient of J is dW = X̃ᵀR/Σs + alpha·W with R = S(P − Y) (m, K), so from
W = 0 every gradient-descent, momentum or Nesterov iterate is W = X̃ᵀB for some B (m, K):

    Z = X̃W + b = KB + b,          K = X̃X̃ᵀ (m × m, computed once)
    ‖W‖² = tr(BᵀKB),               dW = X̃ᵀ dB with dB = R/Σs + alpha·B

and those optimisers, linear in the gradient, run on (B, b) with (dB, db) and produce exactly
the images of the usual iterates. An iteration costs O(m²K) instead of O(nmK): on ten-class
pictures with far more pixels than examples, the passes over X disappear after the Gram
product. Newton, L-BFGS and Adam are not linear in the gradient (or need the Hessian) and run
in feature space as before.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from lrnn import softmax
from lrnn.backends.gram_backend import GramBackend
from lrnn.objective import DataPass


class SoftmaxGramBackend(GramBackend):
    """Coefficient-space view of a softmax layer's in-memory data: θ = (B, b), B (m, K)."""

    name = "gram"
    curvature_factor = softmax.CURVATURE_FACTOR
    #: the binary view's many-step descent is σ's arithmetic; a softmax layer's loop steps alone.
    descend = None
    gradient_at_most = None  # a layer's tol is tested on its coefficient gradient
    to_weights_many = None  # its coefficients are matrices: mapped one by one

    def __init__(
        self,
        X: NDArray,
        y: NDArray,
        n_classes: int,
        sample_weight: NDArray | None,
        scale: float,
    ) -> None:
        super().__init__(X, np.zeros(X.shape[0]), sample_weight, scale)
        self.labels = np.asarray(y, dtype=np.intp)
        self.n_classes = int(n_classes)

    def evaluate(self, theta: NDArray, alpha: float) -> tuple[float, NDArray, DataPass]:
        """Cost, coefficient gradient (dB, db) and the data term at θ = (B, b)."""
        B, b = theta[:-1], theta[-1]
        KB = self.K @ B
        Z = KB + b
        loss, residual, accuracy = softmax.forward_backward_from_logits(
            Z, self.labels, self.sample_weight, self.total
        )
        grad = np.empty_like(theta)
        np.divide(residual, self.dtype.type(self.total), out=grad[:-1])
        grad[-1] = np.add.reduce(grad[:-1], axis=0, dtype=np.float64)
        cost = loss
        if alpha:
            cost += 0.5 * alpha * float(np.vdot(B, KB))
            grad[:-1] += self.dtype.type(alpha) * B
        return cost, grad, DataPass(loss, grad[:-1], grad[-1], accuracy)

    def data_pass(self, B: NDArray, b: NDArray) -> DataPass:
        return self.evaluate(np.vstack([B, np.asarray(b, dtype=B.dtype)[None, :]]), 0.0)[2]

    def logits(self, B: NDArray, b: NDArray) -> NDArray:
        return self.K @ B + np.asarray(b, dtype=B.dtype)

    @staticmethod
    def _product(columns: NDArray, coefficients: NDArray) -> NDArray:
        """XᵀB (columns × K) for these columns of X: W's rows, one per column."""
        return columns.T @ coefficients
