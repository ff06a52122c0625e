"""Passes over a PyTorch tensor (CPU or CUDA), written with plain tensor operations.

Why plain tensor ops and not autograd: the gradient of the neuron is two matrix–vector products
(z = X w + b, then Xᵀ r), which is all autograd would do too — minus the graph it records and
the intermediate it keeps per example. Writing the pass out keeps the math identical to
:mod:`lrnn.objective` (same formulas, same order of operations), so results agree with the
numpy backend to rounding, and on a GPU the pass is bound by reading X twice.

Numbers follow the house conventions: float32 X trains in float32 and float64 in float64 (sums of
losses, residuals and hits accumulate in float64); uint8 X (pixels) stays uint8 on the device and
is widened a block of rows at a time inside the products, with ``scale`` folded into the math.
The loss is computed from logits with the stable ``log(1 + eᶻ) = −logsigmoid(−z)``; torch's
``softplus`` is not used because it switches to ``z`` above 20, an error of ~2e-9 per example.

Results come back as numpy (the protocol's types): n + 3 numbers per pass, copied from the
device in one transfer. PyTorch is imported only when this backend is built.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lrnn import objective
from lrnn.backends import WeightSpace, blocks
from lrnn.errors import NO_WEIGHT, DataError, UsageError
from lrnn.objective import DataPass

NEEDS_TORCH = (
    "backend='torch' needs PyTorch: install it with pip install torch==2.13.0 (lrnn's 'torch' "
    "extra)"
)

#: Bytes of widened rows per block when X is stored narrower than the arithmetic (uint8) or
#: when forming float64 Gram products from float32 data.
BLOCK_BYTES = 256 * 1024 * 1024


def _torch() -> Any:
    try:
        import torch
    except ImportError as exc:
        raise UsageError(NEEDS_TORCH) from exc
    return torch


def as_coo(X: Any) -> Any:
    """A sparse tensor as coalesced COO, in float32 or float64: the one sparse layout whose
    products, transposes and row selections (mini-batches) torch runs on CPU and CUDA alike —
    CSR lacks index_select, broadcasting and transposed products (one copy of the indices)."""
    torch = _torch()
    X = X.to_sparse_coo() if X.layout != torch.sparse_coo else X
    if X.dtype == torch.uint8:  # pixels are not stored sparse; widened like integers
        X = X.to(torch.float64)
    return X.coalesce()


def to_scipy(t: Any) -> Any:
    """A sparse tensor as a scipy CSR matrix on the host (its values' dtype kept): what numpy
    code reads (``.numpy()`` refuses sparse layouts, and a dense copy is what sparse avoids)."""
    from scipy import sparse

    torch = _torch()
    shape = tuple(t.shape)
    if t.layout == torch.sparse_csr:
        parts = (t.values(), t.col_indices(), t.crow_indices())
        values, cols, crow = (p.detach().cpu().numpy() for p in parts)
        return sparse.csr_matrix((values, cols, crow), shape=shape)
    t = t.coalesce() if t.layout == torch.sparse_coo else t.to_sparse_coo().coalesce()
    rows, cols = t.indices().cpu().numpy()
    return sparse.csr_matrix((t.values().detach().cpu().numpy(), (rows, cols)), shape=shape)


def _numpy_dtype(tensor_dtype: Any) -> np.dtype:
    torch = _torch()
    table = {torch.float32: np.float32, torch.float64: np.float64, torch.uint8: np.uint8}
    if tensor_dtype not in table:
        raise DataError(
            f"X has dtype {tensor_dtype}; pass float32, float64 or uint8 (X.float() or "
            "X.double() convert it)."
        )
    return np.dtype(table[tensor_dtype])


class TorchBackend(WeightSpace):
    """Training data in a torch tensor on one device; y and weights alongside, same device."""

    name = "torch"

    def __init__(
        self,
        X: Any,
        y: Any,
        sample_weight: Any = None,
        scale: float = 1.0,
        device: Any = None,
        block_bytes: int = BLOCK_BYTES,
    ) -> None:
        torch = _torch()
        self._torch = torch
        if not isinstance(X, torch.Tensor):
            array = np.asarray(X)
            if array.dtype not in (np.float32, np.float64, np.uint8):
                if array.dtype.kind not in "biuf":
                    raise DataError(f"X has dtype {array.dtype}, not numbers; encode it first.")
                array = array.astype(np.float64)
            X = torch.from_numpy(array) if array.flags.writeable else torch.tensor(array)
        elif X.dtype not in (torch.float32, torch.float64, torch.uint8):
            if X.is_complex():
                raise DataError(f"X has dtype {X.dtype}; pass real numbers.")
            X = X.to(torch.float64)  # integers, bool, half: widened once, like the estimator
        if X.layout != torch.strided:
            X = as_coo(X)
        if device is None:
            device = X.device
        device = torch.device(device)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise UsageError(
                f"device={str(device)!r}, but PyTorch sees no CUDA device "
                "(torch.cuda.is_available() is False); use device='cpu' or a CUDA build."
            )
        if X.ndim != 2:
            raise DataError(
                f"X must be 2-D (examples × features); got shape {tuple(X.shape)}. "
                "Reshape it to (m, n)."
            )
        if X.shape[0] == 0 or X.shape[1] == 0:
            raise DataError(f"X has shape {tuple(X.shape)}; it is empty.")
        self.device = device
        self.X = X.to(device)
        self.x_dtype = _numpy_dtype(self.X.dtype)
        self.dtype = objective.param_dtype(self.x_dtype)
        self._t = torch.float32 if self.dtype == np.float32 else torch.float64
        self.n_samples, self.n_features = int(X.shape[0]), int(X.shape[1])
        self.y = self._vector(y, "y")
        self.sample_weight = None if sample_weight is None else self._vector(sample_weight, "s")
        self.scale = float(scale)
        self.total = (
            float(self.n_samples)
            if self.sample_weight is None
            else float(self.sample_weight.sum(dtype=torch.float64))
        )
        if not self.total > 0:
            raise DataError(NO_WEIGHT)
        itemsize = 8 if self.X.dtype == torch.uint8 else self.X.element_size()
        self.block_rows = max(1, int(block_bytes) // (self.n_features * itemsize))

    def _vector(self, v: Any, name: str) -> Any:
        torch = self._torch
        if isinstance(v, torch.Tensor):
            v = v.detach().to(device=self.device, dtype=self._t).reshape(-1)
        else:
            v = torch.as_tensor(np.asarray(v, dtype=self.dtype).reshape(-1), device=self.device)
        if v.shape[0] != self.n_samples:
            what = "sample_weight" if name == "s" else name
            raise DataError(
                f"{what} has {v.shape[0]} values, but X has {self.n_samples} rows; give one "
                "per row."
            )
        return v

    @classmethod
    def _subset(cls, parent: TorchBackend, rows: Any) -> TorchBackend:
        """The examples at ``rows`` (an index tensor on the device), without re-validation."""
        self = cls.__new__(cls)
        self.__dict__.update(parent.__dict__)
        self.X = parent.X.index_select(0, rows)
        self.y = parent.y.index_select(0, rows)
        sw = parent.sample_weight
        self.sample_weight = None if sw is None else sw.index_select(0, rows)
        self.n_samples = int(rows.shape[0])
        self._host = None  # the parent's rows are not these
        self.total = (
            float(self.n_samples)
            if sw is None
            else float(self.sample_weight.sum(dtype=self._torch.float64))
        )
        return self

    # ----------------------------------------------------------------------------------------
    # X v and rᵀ X, widening a block of rows at a time when X is narrower than the arithmetic
    # ----------------------------------------------------------------------------------------
    def _param(self, v: Any, dtype: Any = None) -> Any:
        return self._torch.as_tensor(
            np.ascontiguousarray(v), dtype=dtype or self._t, device=self.device
        )

    def _rows(self, dtype: Any) -> Iterator[tuple[slice, Any]]:
        m = self.n_samples
        if self.X.dtype == dtype:
            yield slice(0, m), self.X
            return
        for start in range(0, m, self.block_rows):
            rows = slice(start, min(start + self.block_rows, m))
            yield rows, self.X[rows].to(dtype)

    def _matvec(self, v: Any) -> Any:
        """scale · X v, shape (m,), in v's dtype."""
        if self.X.dtype == v.dtype:
            z = self.X @ v
        else:
            z = self._torch.empty(self.n_samples, dtype=v.dtype, device=self.device)
            for rows, Xb in self._rows(v.dtype):
                z[rows] = Xb @ v
        if self.scale != 1.0:
            z *= self.scale
        return z

    def _rmatvec(self, r: Any) -> Any:
        """rᵀ X, shape (n,), in r's dtype (not scaled)."""
        if self.X.dtype == r.dtype:
            return r @ self.X
        out = self._torch.zeros(self.n_features, dtype=r.dtype, device=self.device)
        for rows, Xb in self._rows(r.dtype):
            out += r[rows] @ Xb
        return out

    def _sum64(self, v: Any) -> Any:
        return v.sum(dtype=self._torch.float64)

    # ----------------------------------------------------------------------------------------
    def data_pass(self, w: NDArray, b: float) -> DataPass:
        torch = self._torch
        F = torch.nn.functional
        wt = self._param(w)
        z = self._matvec(wt)
        z += float(b)
        y, s = self.y, self.sample_weight
        losses = -F.logsigmoid(-z) - y * z  # log(1 + eᶻ) − y z
        a = torch.sigmoid(z)
        hits = ((a > 0.5) == (y > 0.5)).to(torch.float64)
        r = a - y
        if s is not None:
            losses *= s
            hits *= s
            r *= s
        dw = self._rmatvec(r)
        dw *= self.scale / self.total
        sums = torch.stack([self._sum64(losses), self._sum64(r), hits.sum()])
        back = torch.cat([sums, dw.to(torch.float64)]).cpu().numpy()  # one device → host copy
        scalars = back[:3] / self.total
        dw = back[3:].astype(self.dtype)  # exact: dw was computed in self.dtype
        if not (math.isfinite(scalars[0]) and np.isfinite(dw).all()):
            self._raise_if_not_finite(w, b)
        return DataPass(float(scalars[0]), dw, float(scalars[1]), float(scalars[2]))

    def _raise_if_not_finite(self, w: NDArray, b: float) -> None:
        """A non-finite pass from finite parameters means NaN/inf in the data: say where."""
        torch = self._torch
        if not (np.isfinite(w).all() and math.isfinite(b)):
            return
        for name, v in (("X", self.X), ("y", self.y), ("sample_weight", self.sample_weight)):
            if v is None or not v.is_floating_point():
                continue
            values = v.values() if v.is_sparse else v
            bad = torch.nonzero(~torch.isfinite(values))
            if bad.shape[0] == 0:
                continue
            first = int(bad[0, 0])
            if v.is_sparse:  # the stored value's place in X
                row, column = (int(i) for i in v.indices()[:, first])
                raise blocks.not_finite_at(
                    name, float(values[first]), row, column, caller_rows=self.caller_rows
                )
            if v.ndim == 1:
                raise blocks.not_finite_at(
                    name, float(v[first]), first, caller_rows=self.caller_rows
                )
            column = int(bad[0, 1])
            raise blocks.not_finite_at(
                name, float(v[first, column]), first, column, caller_rows=self.caller_rows
            )

    def hessp(self, w: NDArray, b: float, vw: NDArray, vb: float) -> tuple[NDArray, float]:
        wt, vt = self._param(w), self._param(vw)
        z = self._matvec(wt)
        z += float(b)
        a = self._torch.sigmoid(z)
        curvature = a * (1 - a)
        if self.sample_weight is not None:
            curvature *= self.sample_weight
        t = self._matvec(vt)
        t += float(vb)
        t *= curvature
        hw = self._rmatvec(t)
        hw *= self.scale / self.total
        return hw.cpu().numpy(), float(self._sum64(t).cpu()) / self.total

    def host_rows(self) -> Any:
        """X on the host, where the exact Hessians (formed only for few features) are
        computed: a float64 scipy CSR matrix when X is sparse (made once), else numpy."""
        if not self.X.is_sparse:
            return self.X.cpu().numpy()
        host = getattr(self, "_host", None)
        if host is None:
            host = self._host = to_scipy(self.X).astype(np.float64)
        return host

    def _gram_like(self, d: Any) -> NDArray:
        """X̃ᵀ diag(d) X̃ in float64 ((n+1)²), X̃ = [scale·X, 1], a block of rows at a time."""
        torch = self._torch
        n = self.n_features
        if self.X.is_sparse:  # on the host, as scipy products (n is small here)
            X, dh = self.host_rows(), d.cpu().numpy()
            Xd = X.multiply(dh[:, None]).tocsr()
            G = np.zeros((n + 1, n + 1))
            G[:n, :n] = (Xd.T @ X).toarray() * (self.scale * self.scale)
            G[:n, n] = np.asarray(Xd.sum(axis=0)).ravel() * self.scale
            G[n, :n] = G[:n, n]
            G[n, n] = dh.sum()
            return G
        H = torch.zeros((n + 1, n + 1), dtype=torch.float64, device=self.device)
        for rows, Xb in self._rows(torch.float64):
            Xd = Xb * d[rows, None]
            H[:n, :n] += Xd.T @ Xb
            H[:n, n] += Xd.sum(dim=0)
        H[:n, :n] *= self.scale * self.scale
        H[:n, n] *= self.scale
        H[n, :n] = H[:n, n]
        H[n, n] = d.sum()
        return H.cpu().numpy()

    def hessian(self, w: NDArray, b: float) -> NDArray:
        torch = self._torch
        z = self._matvec(self._param(w))
        z += float(b)
        a = torch.sigmoid(z).to(torch.float64)
        d = a * (1 - a)
        if self.sample_weight is not None:
            d *= self.sample_weight.to(torch.float64)
        return self._gram_like(d) / self.total

    def lambda_max(self) -> float:
        torch = self._torch
        s64 = (
            torch.ones(self.n_samples, dtype=torch.float64, device=self.device)
            if self.sample_weight is None
            else self.sample_weight.to(torch.float64)
        )

        def gram() -> NDArray:
            return self._gram_like(s64)

        def row_gram() -> NDArray:
            X64 = self.X.to(torch.float64)
            G = X64 @ X64.T
            G = (G.to_dense() if G.is_sparse else G) * (self.scale * self.scale) + 1.0
            if self.sample_weight is not None:
                root = s64.sqrt()
                G *= root[:, None] * root[None, :]
            return G.cpu().numpy()

        def matvec(vw: NDArray, vb: float) -> NDArray:
            v = self._param(vw, dtype=torch.float32 if vw.dtype == np.float32 else torch.float64)
            t = self._matvec(v)
            t += vb
            if self.sample_weight is not None:
                t *= self.sample_weight.to(t.dtype)
            u = np.empty(self.n_features + 1)
            u[:-1] = (self._rmatvec(t) * self.scale).cpu().numpy()
            u[-1] = float(self._sum64(t).cpu())
            return u

        return objective.curvature_bound(
            self.n_samples,
            self.n_features,
            self.total,
            blocks.power_dtype(self.x_dtype),
            gram,
            row_gram,
            matvec,
        )

    def logits(self, w: NDArray, b: float) -> NDArray:
        z = self._matvec(self._param(w))
        z += float(b)
        return z.cpu().numpy()

    def minibatches(self, rng: np.random.Generator, batch_size: int) -> Iterator[TorchBackend]:
        """The in-memory backend's batches (same permutation, same sorted rows), on the device."""
        order = rng.permutation(self.n_samples)
        for start in range(0, self.n_samples, batch_size):
            rows = np.sort(order[start : start + batch_size])
            yield TorchBackend._subset(self, self._torch.as_tensor(rows, device=self.device))


def logits(X: Any, w: NDArray, b: float, scale: float = 1.0, device: Any = None) -> NDArray:
    """z = scale·Xw + b for a tensor X, computed on its device (m values back, as numpy)."""
    w = np.asarray(w)
    m = int(X.shape[0])
    backend = TorchBackend(X, np.zeros(m, dtype=w.dtype), scale=scale, device=device)
    if w.shape != (backend.n_features,):
        raise DataError(f"X has {backend.n_features} features, but the model has {w.shape[0]}.")
    return backend.logits(w.astype(backend.dtype, copy=False), b)
