"""The softmax layer (K ≥ 3 classes) on a torch device.

The same arithmetic as :mod:`lrnn.softmax`, in torch: logits Z = scale·XW + b on the device,
log-softmax, the residual S(P − Y) and dW = scale·XᵀR/Σs, with one device → host copy per
pass. X narrower than the arithmetic (uint8) is widened a block of rows at a time, as in the
binary :class:`~lrnn.backends.torch_backend.TorchBackend`, whose data handling this inherits.
The exact Hessian (formed only when it is small) is computed on the host by :mod:`lrnn.softmax`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lrnn import softmax
from lrnn.backends.torch_backend import TorchBackend
from lrnn.objective import DataPass


class TorchSoftmaxBackend(TorchBackend):
    """K ≥ 3 classes; y holds class indices."""

    curvature_factor = softmax.CURVATURE_FACTOR

    def __init__(self, X: Any, y: Any, n_classes: int, *args: Any, **kw: Any) -> None:
        super().__init__(X, y, *args, **kw)
        self.n_classes = int(n_classes)
        self.labels = self.y.to(self._torch.int64)

    @classmethod
    def _subset(cls, parent: TorchBackend, rows: Any) -> TorchSoftmaxBackend:
        self = super()._subset(parent, rows)
        self.labels = parent.labels.index_select(0, rows)
        return self

    def _logits(self, W: NDArray, b: NDArray) -> Any:
        """Z = scale·XW + b (m, K) on the device, in the arithmetic dtype."""
        Wt = self._param(W)
        if self.X.dtype == Wt.dtype:
            z = self.X @ Wt
        else:
            z = self._torch.empty((self.n_samples, Wt.shape[1]), dtype=Wt.dtype, device=self.device)
            for rows, Xb in self._rows(Wt.dtype):
                z[rows] = Xb @ Wt
        if self.scale != 1.0:
            z *= self.scale
        z += self._param(np.asarray(b, dtype=self.dtype))
        return z

    def _transposed(self, R: Any) -> Any:
        """XᵀR (n, K), not scaled."""
        if self.X.dtype == R.dtype:
            return self.X.T @ R
        out = self._torch.zeros((self.n_features, R.shape[1]), dtype=R.dtype, device=self.device)
        for rows, Xb in self._rows(R.dtype):
            out += Xb.T @ R[rows]
        return out

    def data_pass(self, w: NDArray, b: NDArray) -> DataPass:
        torch = self._torch
        z = self._logits(w, b)
        hits = (z.argmax(dim=1) == self.labels).to(torch.float64)
        logp = torch.log_softmax(z, dim=1)
        index = self.labels[:, None]
        losses = -logp.gather(1, index)[:, 0].to(torch.float64)
        r = logp.exp_()
        r.scatter_add_(1, index, -torch.ones_like(index, dtype=r.dtype))  # P − Y
        if self.sample_weight is not None:
            s64 = self.sample_weight.to(torch.float64)
            losses *= s64
            hits *= s64
            r *= self.sample_weight[:, None]
        dw = self._transposed(r)
        dw *= self.scale / self.total
        sums = torch.stack([losses.sum(), hits.sum()])
        db = r.sum(dim=0, dtype=torch.float64)
        back = torch.cat([sums, db, dw.reshape(-1).to(torch.float64)]).cpu().numpy()
        K = self.n_classes
        loss, accuracy = back[:2] / self.total
        dw = back[2 + K :].reshape(self.n_features, K).astype(self.dtype)
        if not (math.isfinite(loss) and np.isfinite(dw).all()):
            self._raise_if_not_finite(np.asarray(w), float(np.sum(b)))
        return DataPass(float(loss), dw, back[2 : 2 + K] / self.total, float(accuracy))

    def hessp(self, w: NDArray, b: NDArray, vw: NDArray, vb: NDArray) -> tuple[NDArray, NDArray]:
        p = self._torch.softmax(self._logits(w, b), dim=1)
        t = p * self._logits(vw, vb)
        t -= p * t.sum(dim=1, keepdim=True)
        if self.sample_weight is not None:
            t *= self.sample_weight[:, None]
        hw = self._transposed(t)
        hw *= self.scale / self.total
        hb = t.sum(dim=0, dtype=self._torch.float64) / self.total
        return hw.cpu().numpy(), hb.cpu().numpy()

    def hessian(self, w: NDArray, b: NDArray) -> NDArray:
        s = None if self.sample_weight is None else self.sample_weight.cpu().numpy()
        return softmax.hessian(w, b, self.host_rows(), 0.0, s, self.scale)

    def logits(self, w: NDArray, b: NDArray) -> NDArray:
        return self._logits(w, b).cpu().numpy()

    def minibatches(
        self, rng: np.random.Generator, batch_size: int
    ) -> Iterator[TorchSoftmaxBackend]:
        order = rng.permutation(self.n_samples)
        for start in range(0, self.n_samples, batch_size):
            rows = np.sort(order[start : start + batch_size])
            yield type(self)._subset(self, self._torch.as_tensor(rows, device=self.device))
