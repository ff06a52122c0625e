"""The sparse backend: X is a scipy.sparse matrix or array, held as CSR and never densified.

Input in another sparse format (CSC, COO, …) is converted to CSR once when the backend is made:
that is one copy of the stored values and their indices (CSR input is used as it is, without a
copy). Values that are not float32/float64 are converted to float64 (a copy of the values only).

Passes go through :mod:`lrnn.sparse_kernels` (fused, one walk over the rows, deterministic for
any thread count) when the matrix is large enough for numba's start-up to pay off; smaller
matrices use scipy's sparse products, the reference the kernels are tested against. Nothing
here allocates an array of shape (examples, features): per-pass memory is O(examples) for the
logits and O(features) vectors for the gradient (see sparse_kernels' ``MAX_CHUNKS``).

The exact Hessian (Newton on few features) is formed from sparse products, (n+1)² values; the
curvature bound for ``learning_rate="auto"`` follows :func:`lrnn.objective.curvature_bound`
(the exact eigenvalue of the smaller Gram matrix when cheap, else power iteration with
X̃ᵀSX̃v from one walk over the rows).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from lrnn import objective, sparse_kernels
from lrnn.backends import WeightSpace
from lrnn.backends.gram_backend import GramBackend

if TYPE_CHECKING:
    from lrnn.backends.gram_newton import GramNewtonBackend
from lrnn.objective import DataPass


def is_sparse(X: Any) -> bool:
    """Whether X is a scipy.sparse matrix or array (without importing scipy for other types)."""
    return type(X).__module__.startswith("scipy.sparse") and sp.issparse(X)


def check_structure(X: Any, name: str = "X") -> None:
    """Refuse a sparse matrix (CSR, CSC, BSR or COO) whose index arrays do not fit its shape,
    which scipy accepts unchecked (they can be changed after it is built): the compiled passes,
    scipy's own products and its conversions index w, the gradient and their output with them,
    so one index out of range would read or write outside their memory. DIA, LIL and DOK keep
    no index arrays that could point outside."""
    if not is_sparse(X) or len(X.shape) != 2:  # not sparse (a DataFrame's "format" column
        return  # is no format), or a 1-D sparse array: scikit-learn says what is wrong
    form = X.format
    m, n = X.shape
    fix = (
        "rebuild it from valid (row, column) pairs, e.g. "
        "scipy.sparse.csr_matrix((values, (rows, columns)), shape=(m, n))"
    )
    if form == "coo":  # row and column arrays, changeable after scipy checked them
        stored = np.asarray(X.data).size
        if not (np.asarray(X.row).size == np.asarray(X.col).size == stored):
            raise ValueError(
                f"{name} is a sparse matrix whose rows, columns and values differ in number; {fix}."
            )
        _refuse_outside(X.row, m, "row", X.shape, name, fix)
        _refuse_outside(X.col, n, "column", X.shape, name, fix)
        return
    if form not in ("csr", "csc", "bsr"):
        return
    rows = form != "csc"
    outer, inner, unit = (m, n, "column") if rows else (n, m, "row")
    if form == "bsr":  # the same arrays, counting blocks
        r, c = X.blocksize
        outer, inner, unit = m // r, n // c, "block column"
    indptr, indices = np.asarray(X.indptr), np.asarray(X.indices)
    if indptr.shape != (outer + 1,) or indptr[0] != 0 or np.any(np.diff(indptr) < 0):
        raise ValueError(
            f"{name} is a sparse matrix whose pointers (indptr) do not describe its {outer} "
            f"{'rows' if rows else 'columns'}; {fix}."
        )
    stored = int(indptr[-1])
    data = np.asarray(X.data)
    values = data.size if form != "bsr" else len(data) * (data.shape[1:] == X.blocksize)
    if stored > min(indices.size, values):
        raise ValueError(
            f"{name} is a sparse matrix whose pointers reach past its "
            f"{min(indices.size, values)} stored values; {fix}."
        )
    _refuse_outside(indices[:stored], inner, unit, X.shape, name, fix)


def _refuse_outside(indices: Any, size: int, unit: str, shape: tuple, name: str, fix: str) -> None:
    """One stored index outside 0 … size − 1 is refused, named."""
    indices = np.asarray(indices)
    if not indices.size:
        return
    low, high = int(indices.min()), int(indices.max())
    if low < 0 or high >= size:
        bad = high if high >= size else low
        raise ValueError(
            f"{name} is a sparse matrix with a stored value in {unit} {bad}, outside its "
            f"{size} {unit}s (shape {shape[0]} × {shape[1]}); {fix}."
        )


def as_csr(X: Any) -> sp.csr_matrix | sp.csr_array:
    """X in CSR with float32/float64 values: itself when it already is (no copy)."""
    if X.format != "csr":
        X = X.tocsr()
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    return X


def logits(w: NDArray, b: float, X: Any, scale: float = 1.0) -> NDArray:
    """z = scale · X w + b for a sparse X, in w's dtype (prediction and the backend)."""
    X = as_csr(X)
    if sparse_kernels.worthwhile(X):
        return sparse_kernels.logits(w, b, X, scale)
    z = np.asarray(X @ w, dtype=w.dtype).reshape(-1)
    if scale != 1.0:
        z *= w.dtype.type(scale)
    z += w.dtype.type(b)
    return z


class SparseBackend(WeightSpace):
    """Training data as a CSR matrix; y is 0/1 in the parameters' dtype."""

    #: its coefficient view tests a tol on w's gradient (GramBackend.gradient_at_most)
    tol_in_span = True

    name = "sparse"
    #: Hessian products are one walk over the stored values: ``auto`` picks Newton–CG
    #: (lrnn.solvers.resolve).
    sparse_rows = True

    def __init__(
        self, X: Any, y: NDArray, sample_weight: NDArray | None = None, scale: float = 1.0
    ) -> None:
        self.X = as_csr(X)
        self.dtype = objective.param_dtype(self.X.dtype)
        self.y = np.asarray(y, dtype=self.dtype)
        self.sample_weight = (
            None if sample_weight is None else np.asarray(sample_weight, dtype=self.dtype)
        )
        self.scale = float(scale)
        self.n_samples, self.n_features = self.X.shape
        self.total = float(
            self.n_samples
            if sample_weight is None
            else np.sum(self.sample_weight, dtype=np.float64)
        )
        self._fused = sparse_kernels.worthwhile(self.X)
        # σᵢ(1 − σᵢ) at the last fused data pass and the (w, b) it was taken at: Newton's
        # Hessian products come at the point where the loop last measured the gradient, and
        # with these weights each one is a single walk over X (X v, then Xᵀ(D X v)).
        self._curvature: NDArray | None = None
        self._curvature_at: tuple[NDArray, float] | None = None
        self._last_pass: DataPass | None = None  # the data pass at _curvature_at

    def data_pass(self, w: NDArray, b: float) -> DataPass:
        if self._fused:
            if self._curvature_ready(w, b) and self._last_pass is not None:
                # The same point again (the loop's final check after Newton's accepted step).
                last = self._last_pass
                return DataPass(last.loss, last.dw.copy(), last.db, last.accuracy)
            if self._curvature is None:
                self._curvature = np.empty(self.n_samples)
            self._curvature_at = None  # overwritten below; stale if the pass fails
            result = sparse_kernels.data_pass(
                w, b, self.X, self.y, self.sample_weight, self.scale, self._curvature
            )
            self._curvature_at = (np.array(w, copy=True), float(b))
            self._last_pass = result
            return DataPass(result.loss, result.dw.copy(), result.db, result.accuracy)
        z = logits(w, b, self.X, self.scale)
        loss, residual, accuracy = objective.forward_backward_from_logits(
            z, self.y, self.sample_weight, self.total
        )
        dw = np.asarray(self.X.T @ residual, dtype=w.dtype).reshape(-1)
        dw *= w.dtype.type(self.scale / self.total)
        db = float(np.sum(residual, dtype=np.float64) / self.total)
        return DataPass(loss, dw, db, accuracy)

    def _curvature_ready(self, w: NDArray, b: float) -> bool:
        at, w = self._curvature_at, np.asarray(w)
        return (
            at is not None
            and at[1] == float(b)
            and at[0].dtype == w.dtype
            and np.array_equal(at[0], w)
        )

    def hessp(self, w: NDArray, b: float, vw: NDArray, vb: float) -> tuple[NDArray, float]:
        if self._fused:
            if self._curvature_ready(w, b):
                vw = np.asarray(vw, dtype=np.asarray(w).dtype)
                hw, hb, total = sparse_kernels.hessp(
                    self.X, vw, vb, self._curvature, self.sample_weight, self.scale
                )
            else:
                hw, hb, total = sparse_kernels.curvature_pass(
                    w, b, self.X, vw, vb, self.sample_weight, self.scale, curved=True
                )
            return (hw / total).astype(w.dtype, copy=False), hb / total
        a = objective.sigmoid(logits(w, b, self.X, self.scale))
        t = logits(np.asarray(vw, dtype=w.dtype), vb, self.X, self.scale)
        t *= a * (1 - a)
        if self.sample_weight is not None:
            t *= self.sample_weight
        hw = np.asarray(self.X.T @ t, dtype=w.dtype).reshape(-1)
        hw *= w.dtype.type(self.scale / self.total)
        return hw, float(np.sum(t, dtype=np.float64) / self.total)

    def hessian_diagonal(self, w: NDArray, b: float) -> tuple[NDArray, float]:
        """The diagonal of the data term's Hessian at (w, b) (weights first, then the bias),
        float64: conjugate gradients preconditioned by it need fewer Hessian products when
        column scales differ by orders of magnitude, as word counts do. One walk, a scatter
        per stored value, with σ(1 − σ) kept by the data pass at (w, b) when there was one."""
        if self._fused:
            if not self._curvature_ready(w, b):
                self.data_pass(w, b)
            hw, hb, total = sparse_kernels.hessian_diagonal(
                self.X, self._curvature, self.sample_weight, self.scale, self.dtype
            )
            return hw / total, hb / total
        a = objective.sigmoid(logits(w, b, self.X, self.scale)).astype(np.float64)
        d = a * (1 - a)
        if self.sample_weight is not None:
            d *= self.sample_weight
        squares = self.X.multiply(self.X).astype(np.float64)
        hw = np.asarray(squares.T @ d).reshape(-1) * self.scale**2
        return hw / self.total, float(d.sum()) / self.total

    def newton_cg(
        self,
        w: NDArray,
        b: float,
        grad: NDArray,
        alpha: float,
        rtol: float,
        maxiter: int,
        inverse_diagonal: NDArray | None = None,
    ) -> NDArray | None:
        """The Newton–CG direction by preconditioned conjugate gradients in compiled code, at
        the σ(1 − σ) the data pass kept, for matrices whose products run on one thread
        (:func:`sparse_kernels.compiled_cg_worthwhile`) and a preconditioner (this backend's
        :meth:`hessian_diagonal` always gives one); None otherwise, and scipy's ``cg`` runs on
        :meth:`hessp`."""
        fits = self._fused and sparse_kernels.compiled_cg_worthwhile(self.X)
        if not fits or inverse_diagonal is None:
            return None
        if not self._curvature_ready(w, b):
            self.data_pass(w, b)
        dw, db, _ = sparse_kernels.newton_cg(
            self.X, grad[:-1], float(grad[-1]), self._curvature, self.sample_weight,
            self.scale, alpha, inverse_diagonal, rtol, maxiter, self.dtype,
        )  # fmt: skip
        return np.append(dw, db)

    def _augmented(self, d: NDArray) -> tuple[Any, NDArray, float]:
        """(scale²XᵀDX as sparse, scale XᵀD1, Σd) in float64: the blocks of X̃ᵀDX̃."""
        X = self.X.astype(np.float64) if self.X.dtype != np.float64 else self.X
        XD = X.multiply(d[:, None]).tocsr()
        return (
            (X.T @ XD) * (self.scale**2),
            np.asarray(XD.sum(axis=0)).ravel() * self.scale,
            float(d.sum()),
        )

    def _dense_augmented(self, d: NDArray) -> NDArray:
        n = self.n_features
        block, col, corner = self._augmented(d)
        H = np.empty((n + 1, n + 1))
        H[:n, :n] = block.toarray()
        H[:n, n] = H[n, :n] = col
        H[n, n] = corner
        return H

    def hessian(self, w: NDArray, b: float) -> NDArray:
        """(n+1)² Hessian of the data term from sparse products; Newton asks only for small n."""
        a = objective.sigmoid(logits(w, b, self.X, self.scale)).astype(np.float64)
        d = a * (1 - a)
        if self.sample_weight is not None:
            d *= self.sample_weight
        return self._dense_augmented(d) / self.total

    def lambda_max(self) -> float:
        m, n = self.X.shape
        s = None if self.sample_weight is None else self.sample_weight.astype(np.float64)
        ones = np.ones(m) if s is None else s

        def row_gram() -> NDArray:
            X = self.X.astype(np.float64)
            gram = np.asarray((X @ X.T).toarray()) * self.scale**2 + 1.0
            if s is not None:
                root = np.sqrt(s)
                gram *= root[:, None] * root[None, :]
            return gram

        def matvec(vw: NDArray, vb: float) -> NDArray:
            if self._fused:
                uw, ub, _ = sparse_kernels.curvature_pass(
                    vw, 0.0, self.X, vw, vb, self.sample_weight, self.scale, curved=False
                )
                return np.append(uw, ub)
            t = logits(vw.astype(np.float64), vb, self.X, self.scale) * ones
            return np.append(np.asarray(self.X.T @ t).ravel() * self.scale, t.sum())

        return objective.curvature_bound(
            m, n, self.total, self.dtype, lambda: self._dense_augmented(ones), row_gram, matvec
        )

    def logits(self, w: NDArray, b: float) -> NDArray:
        return logits(w, b, self.X, self.scale)

    def coefficient_view(self) -> SparseGramBackend:
        """This data seen from the span of its examples: the wide-data shortcut."""
        return SparseGramBackend(self.X, self.y, self.sample_weight, self.scale)

    def newton_view(self) -> GramNewtonBackend:
        """The same, for Newton's method on the span's coefficients (alpha > 0)."""
        from lrnn.backends.gram_newton import SparseGramNewtonBackend

        return SparseGramNewtonBackend(self.X, self.y, self.sample_weight, self.scale)

    def subset(self, rows: NDArray) -> SparseBackend:
        """The examples at ``rows`` (a CSR copy of those rows only)."""
        weights = None if self.sample_weight is None else self.sample_weight[rows]
        return SparseBackend(self.X[rows], self.y[rows], weights, self.scale)

    def minibatches(self, rng: np.random.Generator, batch_size: int) -> Iterator[SparseBackend]:
        order = rng.permutation(self.n_samples)
        for start in range(0, self.n_samples, batch_size):
            yield self.subset(np.sort(order[start : start + batch_size]))


class SparseGramBackend(GramBackend):
    """:class:`GramBackend` for a CSR X: K = scale²XXᵀ from a sparse product (m × m dense)."""

    to_weights_many = None  # its sparse products map one vector at a time

    def __init__(self, X: Any, y: NDArray, sample_weight: NDArray | None, scale: float):
        self.X = X
        self.scale = float(scale)
        self.dtype = objective.param_dtype(X.dtype)
        m = X.shape[0]
        self.n_samples, self.n_features = m, m
        self.data_features = X.shape[1]
        self.y = np.asarray(y, dtype=self.dtype)
        self.sample_weight = (
            None if sample_weight is None else np.asarray(sample_weight, dtype=self.dtype)
        )
        K = np.asarray((X @ X.T).toarray(), dtype=self.dtype)
        K *= self.dtype.type(self.scale * self.scale)
        self.K = K
        self.total = float(m if sample_weight is None else np.sum(self.sample_weight))

    def to_weights(self, coefficients: NDArray) -> NDArray:
        """w = scale·Xᵀβ: one sparse product."""
        w = np.asarray(self.X.T @ coefficients, dtype=self.dtype).reshape(-1)
        w *= self.dtype.type(self.scale)
        return w
