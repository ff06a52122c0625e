"""The in-memory backend of the softmax layer (K ≥ 3 classes).

The same questions as :class:`~lrnn.backends.numpy_backend.InMemoryBackend`, answered for
parameters θ of shape (n + 1, K) (``θ[:-1]`` = W (n, K), ``θ[-1]`` = b (K,)): through the
one-read passes of :mod:`lrnn.softmax_fused` for large C-ordered X, else the numpy reference in
:mod:`lrnn.softmax`. The curvature bound is the binary one's λmax(X̃ᵀSX̃)/Σs — it
depends on the data only — scaled by ½ instead of ¼ (``curvature_factor``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from lrnn import kernels, objective, softmax, softmax_fused
from lrnn.backends import HessianProduct, WeightSpace
from lrnn.objective import DataPass

if TYPE_CHECKING:
    from lrnn.backends.softmax_gram import SoftmaxGramBackend


class SoftmaxBackend(WeightSpace):
    """Training data held in memory; y holds class indices 0 … K−1."""

    name = "numpy"
    curvature_factor = softmax.CURVATURE_FACTOR

    def __init__(
        self,
        X: NDArray,
        y: NDArray,
        n_classes: int,
        sample_weight: NDArray | None = None,
        scale: float = 1.0,
    ) -> None:
        self.X = X
        self.dtype = objective.param_dtype(X.dtype)
        self.y = np.asarray(y, dtype=np.intp)
        self.n_classes = int(n_classes)
        self.sample_weight = (
            None if sample_weight is None else np.asarray(sample_weight, dtype=self.dtype)
        )
        self.scale = float(scale)
        self.n_samples, self.n_features = X.shape
        # Decided once: large C-ordered X goes through the one-read passes.
        self._fused = softmax_fused.worthwhile(X, self.n_classes)
        if self._fused:
            softmax_fused.prepare()
        self._compiled_cg = softmax_fused.compiled_cg_worthwhile(X, self.n_classes)

    def data_pass(self, w: NDArray, b: NDArray) -> DataPass:
        if self._fused:
            return softmax_fused.data_pass(w, b, self.X, self.y, self.sample_weight, self.scale)
        return softmax.data_pass(w, b, self.X, self.y, self.sample_weight, self.scale)

    def hessp(self, w: NDArray, b: NDArray, vw: NDArray, vb: NDArray) -> tuple[NDArray, NDArray]:
        if self._fused:
            return softmax_fused.hessp(w, b, self.X, vw, vb, self.sample_weight, self.scale)
        return softmax.hessp(w, b, self.X, vw, vb, 0.0, self.sample_weight, self.scale)

    def hessian_product_at(self, w: NDArray, b: NDArray) -> HessianProduct:
        """Products with the Hessian at (w, b), the probabilities there computed once (an
        (m, K) array, K/n of X's size): each product then reads X for two products, not three."""
        P = softmax.softmax(self.logits(w, b))
        X, s, scale = self.X, self.sample_weight, self.scale
        if self._fused:
            return lambda vw, vb: softmax_fused.hessp(w, b, X, vw, vb, s, scale, probabilities=P)
        return lambda vw, vb: softmax.hessp_at_probabilities(P, X, vw, vb, 0.0, s, scale)

    def newton_cg(
        self,
        w: NDArray,
        b: NDArray,
        grad: NDArray,
        alpha: float,
        rtol: float,
        maxiter: int,
        inverse_diagonal: NDArray | None = None,
    ) -> NDArray | None:
        """The Newton–CG direction by conjugate gradients in compiled code, for X whose
        Hessian products run on one thread (:func:`softmax_fused.compiled_cg_worthwhile`,
        decided once); None otherwise, and scipy's ``cg`` runs on :meth:`hessian_product_at`.
        The compiled loop has no preconditioner: given one, scipy's ``cg`` applies it."""
        if not self._compiled_cg or inverse_diagonal is not None:
            return None
        dw, db = softmax_fused.newton_cg(
            w, b, self.X, grad[:-1], grad[-1], alpha, rtol, maxiter, self.sample_weight, self.scale
        )
        return np.vstack([dw, db])

    def hessian(self, w: NDArray, b: NDArray) -> NDArray:
        return softmax.hessian(w, b, self.X, 0.0, self.sample_weight, self.scale)

    def lambda_max(self) -> float:
        if kernels.worthwhile(self.X):
            return kernels.lambda_max(self.X, self.sample_weight, self.scale)
        return objective.augmented_lambda_max(self.X, self.sample_weight, self.scale)

    def logits(self, w: NDArray, b: NDArray) -> NDArray:
        if self._fused:
            return softmax_fused.logits(w, b, self.X, self.scale)
        return softmax.logits(w, b, self.X, self.scale)

    def coefficient_view(self) -> SoftmaxGramBackend:
        """This data seen from the span of its examples: the wide-data shortcut."""
        from lrnn.backends.softmax_gram import SoftmaxGramBackend

        return SoftmaxGramBackend(self.X, self.y, self.n_classes, self.sample_weight, self.scale)

    def subset(self, rows: NDArray) -> SoftmaxBackend:
        """The examples at ``rows`` (a copy of those rows only)."""
        weights = None if self.sample_weight is None else self.sample_weight[rows]
        return SoftmaxBackend(self.X[rows], self.y[rows], self.n_classes, weights, self.scale)

    def minibatches(self, rng: np.random.Generator, batch_size: int) -> Iterator[SoftmaxBackend]:
        order = rng.permutation(self.n_samples)
        for start in range(0, self.n_samples, batch_size):
            yield self.subset(np.sort(order[start : start + batch_size]))
