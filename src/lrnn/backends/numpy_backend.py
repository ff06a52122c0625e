"""The in-memory backend: X is a numpy array (or memory map) on this machine.

Passes go through the fused kernels of :mod:`lrnn.kernels` when they apply to X as it is
(float32/float64/uint8, C- or F-contiguous, numba installed): one read of X per pass instead of
two or more. Anything else (strided views, other dtypes) goes through the numpy reference in
:mod:`lrnn.objective`, which handles every case without copying X. Both paths return the same
numbers to rounding; tests/test_kernels.py holds them to it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from lrnn import kernels, objective
from lrnn.backends import WeightSpace
from lrnn.objective import DataPass

if TYPE_CHECKING:
    from lrnn.backends.gram_backend import GramBackend
    from lrnn.backends.gram_newton import GramNewtonBackend


class InMemoryBackend(WeightSpace):
    """Training data held in memory; y is 0/1 in the parameters' dtype."""

    #: its coefficient view tests a tol on w's gradient (GramBackend.gradient_at_most)
    tol_in_span = True

    name = "numpy"

    def __init__(
        self,
        X: NDArray,
        y: NDArray,
        sample_weight: NDArray | None = None,
        scale: float = 1.0,
        reused: bool = True,
    ) -> None:
        self.X = X
        self.dtype = objective.param_dtype(X.dtype)
        self.y = np.asarray(y, dtype=self.dtype)
        self.sample_weight = (
            None if sample_weight is None else np.asarray(sample_weight, dtype=self.dtype)
        )
        self.scale = float(scale)
        self.n_samples, self.n_features = X.shape
        # Decided once: the layout and dtype of X do not change during training.
        self._fused = kernels.worthwhile(X)
        # Small float64 data: passes and Hessians from a kept copy of [scale·X, 1], one product
        # each (objective.augmented_data_pass); the logits of the last pass, for the Hessian.
        # Not for mini-batches (``reused=False``: :meth:`subset`'s, Dask's and streaming's):
        # each is read once, so a copy would not pay. The Hessian makes the copy for any small
        # X, at its first call.
        self._augmented: NDArray | None = None
        self._small = reused and not self._fused and X.dtype == np.float64
        self._last_logits: tuple[NDArray, NDArray] | None = None  # (θ, z) of the last pass

    def _augmented_rows(self) -> NDArray | None:
        """The copy for passes: small float64 data only, so a run never changes its pass."""
        if not self._small:
            return None
        if self._augmented is None:
            self._augmented = objective.augmented_rows(self.X, self.scale)
            self._small = self._augmented is not None
        return self._augmented

    def data_pass(self, w: NDArray, b: float) -> DataPass:
        if self._fused:
            return kernels.data_pass(w, b, self.X, self.y, self.sample_weight, self.scale)
        augmented = self._augmented_rows() if w.dtype == np.float64 else None
        if augmented is not None:
            theta = np.empty(w.size + 1)
            theta[:-1], theta[-1] = w, b
            return self._augmented_pass(theta, augmented)[0]
        return objective.data_pass(w, b, self.X, self.y, self.sample_weight, self.scale)

    def _augmented_pass(self, theta: NDArray, augmented: NDArray) -> tuple[DataPass, NDArray]:
        data, z, grad = objective.augmented_data_pass(theta, augmented, self.y, self.sample_weight)
        self._last_logits = (theta.copy(), z)
        return data, grad

    def evaluate(self, theta: NDArray, alpha: float) -> tuple[float, NDArray, DataPass]:
        augmented = self._augmented_rows() if theta.dtype == np.float64 else None
        if augmented is None:
            return super().evaluate(theta, alpha)
        data, grad = self._augmented_pass(theta, augmented)  # grad: a vector of its own
        return objective.regularized_gradient(data.loss, grad, theta[:-1], alpha), grad, data

    def hessp(self, w: NDArray, b: float, vw: NDArray, vb: float) -> tuple[NDArray, float]:
        if self._fused:
            return kernels.hessp(w, b, self.X, vw, vb, self.sample_weight, self.scale)
        return objective.hessp(w, b, self.X, vw, vb, 0.0, self.sample_weight, self.scale)

    def hessian(self, w: NDArray, b: float) -> NDArray:
        if self._augmented is None:  # made once, at the first Newton step (any dtype of X)
            self._augmented = objective.augmented_rows(self.X, self.scale)
        last, z = self._last_logits, None
        # the same bits (bytes: np.array_equal's checks cost more than the comparison here)
        if last is not None and last[0][-1] == b and last[0][:-1].tobytes() == w.tobytes():
            z = last[1]  # the data pass at this point left its logits
        return objective.hessian(
            w, b, self.X, 0.0, self.sample_weight, self.scale, augmented=self._augmented, z=z
        )

    def lambda_max(self) -> float:
        if self._fused:
            return kernels.lambda_max(self.X, self.sample_weight, self.scale)
        return objective.augmented_lambda_max(self.X, self.sample_weight, self.scale)

    def logits(self, w: NDArray, b: float) -> NDArray:
        if self._fused:
            return kernels.logits(w, b, self.X, self.scale)
        return objective.logits(w, b, self.X, self.scale)

    def coefficient_view(self) -> GramBackend:
        """This data seen from the span of its examples: the wide-data shortcut."""
        from lrnn.backends.gram_backend import GramBackend

        return GramBackend(self.X, self.y, self.sample_weight, self.scale)

    def newton_view(self) -> GramNewtonBackend:
        """The same, for Newton's method on the span's coefficients (alpha > 0)."""
        from lrnn.backends.gram_newton import GramNewtonBackend

        return GramNewtonBackend(self.X, self.y, self.sample_weight, self.scale)

    def subset(self, rows: NDArray) -> InMemoryBackend:
        """The examples at ``rows`` (a copy of those rows only)."""
        weights = None if self.sample_weight is None else self.sample_weight[rows]
        return InMemoryBackend(self.X[rows], self.y[rows], weights, self.scale, reused=False)

    def minibatches(self, rng: np.random.Generator, batch_size: int) -> Iterator[InMemoryBackend]:
        order = rng.permutation(self.n_samples)
        for start in range(0, self.n_samples, batch_size):
            yield self.subset(np.sort(order[start : start + batch_size]))
