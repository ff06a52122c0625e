"""Inputs that stay where they live: dask arrays and DataFrames, torch tensors.

They skip scikit-learn's numpy validation, so the data stays on the cluster or the device and
the backend reads it in place. Checked here: 2-D, numbers, at least one row, n_features, dense
dask chunks. Not checked here: NaN/inf, because that is one more full pass over data that may
not fit in memory; instead the backends raise DataError when a pass from finite parameters
comes out non-finite (the only way NaN in X shows itself).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.utils.validation import _check_feature_names


def lazy_kind(X: Any) -> str | None:
    """'dask' or 'torch' for their arrays, DataFrames and tensors; None for everything else."""
    kind = type(X).__module__.split(".")[0]
    return kind if kind in ("dask", "torch") else None


def rows_of(X: Any, rows: NDArray) -> Any:
    """X's rows at ``rows``: a sparse torch tensor takes no fancy index (COO's index_select)."""
    if lazy_kind(X) == "torch":
        import torch

        from lrnn.backends.torch_backend import as_coo

        if X.layout != torch.strided:
            return as_coo(X).index_select(0, torch.as_tensor(rows, device=X.device))
    return X[rows]


def to_host(v: Any) -> Any:
    """Labels, weights or (for a softmax layer's predictions) rows as numpy or scipy can read
    them: a tensor leaves its device; a sparse one becomes a scipy CSR matrix (``.numpy()``
    refuses sparse layouts, and a dense copy is what sparse input avoids).

    A dask array or Series needs nothing: np.asarray computes it.
    """
    if type(v).__module__.split(".")[0] != "torch":
        return v
    import torch

    from lrnn.backends.torch_backend import to_scipy

    return v.detach().cpu().numpy() if v.layout == torch.strided else to_scipy(v)


def check_lazy_X(estimator: Any, X: Any, reset: bool) -> Any:
    """The few checks validate_data would make, without reading X (see above)."""
    if getattr(X, "requires_grad", False):  # a tensor from an autograd graph: its values
        X = X.detach()
    # A DataFrame's column names, kept at fit and compared at predict, as for pandas (an
    # empty pandas frame with its columns stands in for it: nothing is computed).
    columns = getattr(X, "columns", None) if lazy_kind(X) == "dask" else None
    if columns is not None:
        import pandas as pd

        _check_feature_names(estimator, pd.DataFrame(columns=columns), reset=reset)
        X = X.to_dask_array(lengths=True)
    else:
        _check_feature_names(estimator, X, reset=reset)
    meta = getattr(X, "_meta", None)  # a dask array's chunk type
    if type(meta).__module__.split(".")[0] in ("scipy", "sparse"):
        raise ValueError(
            f"X is a dask array of sparse chunks ({type(meta).__name__}), which lrnn does not "
            "take; give X.compute() (a scipy.sparse matrix: trained in memory, never "
            "densified) or dense chunks (X.map_blocks(lambda b: b.toarray()))."
        )
    shape = tuple(X.shape)
    if any(isinstance(d, float) and math.isnan(d) for d in shape):  # dask, after a filter
        raise ValueError(
            f"X's shape is {shape}: its chunk sizes are unknown (as after filtering rows); "
            "call X.compute_chunk_sizes() first."
        )
    if len(shape) != 2:
        raise ValueError(
            f"Expected 2D array, got {len(shape)}D array instead (shape {shape}). Reshape your "
            "data to (examples, features)."
        )
    dtype = X.dtype
    numeric = dtype.kind in "biuf" if isinstance(dtype, np.dtype) else not dtype.is_complex
    if not numeric:
        raise ValueError(f"X has dtype {dtype}; pass numbers (float32, float64 or uint8).")
    if not shape[0] >= 1:
        raise ValueError(
            f"Found array with 0 sample(s) (shape={shape}) while a minimum of 1 is required."
        )
    if reset:
        estimator.n_features_in_ = shape[1]
    elif shape[1] != estimator.n_features_in_:
        raise ValueError(
            f"X has {shape[1]} features, but {type(estimator).__name__} is expecting "
            f"{estimator.n_features_in_} features as input."
        )
    return X


def lazy_logits(X: Any, w: NDArray, b: float) -> NDArray:
    """Logits computed where X lives (cluster or device); m values come back."""
    import importlib

    return importlib.import_module(f"lrnn.backends.{lazy_kind(X)}_backend").logits(X, w, b)
