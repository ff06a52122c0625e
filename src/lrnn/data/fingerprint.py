"""The one fingerprint of training data: a SHA-256 of X and y that a model's manifest records.

The digest covers, for X and then y, a header line (``"X <dtype> <shape>"``) and the values'
bytes in C order, little-endian: the same on every machine, whatever the memory layout. It is
the same whether X is in memory or streams from storage a block at a time, so ``lrnn verify``
and the report can tell "this is the data the model was trained on" for either.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from lrnn.data.sources import BLOCK_BYTES, is_source


def _update(h: Any, tag: str, a: np.ndarray) -> None:
    a = np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<"))  # same bytes on any CPU
    h.update(f"{tag} {a.dtype.str} {a.shape}\n".encode())
    h.update(a.reshape(-1).view(np.uint8).data)


def data_sha256(X: Any, y: Any, *, block_bytes: int = BLOCK_BYTES) -> str:
    """Hex SHA-256 of X and y (dtype, shape and bytes in C order).

    ``X`` is an array, or a source of rows on storage (see :mod:`lrnn.data.sources`), which is
    read ``block_bytes`` at a time and hashed in the dtype its blocks arrive in — the dtype the
    loaders would give the same data in memory. ``y`` may be None. A source's labels are the
    streaming backend's 0/1 floats, so they are hashed as the int64 labels the loaders produce:
    the same data gives the same digest in memory and streamed.
    """
    if is_source(X):
        digest = SourceDigest(X)
        block_rows = max(1, block_bytes // max(1, X.n_features * digest.dtype.itemsize))
        for _, block in X.read(0, X.n_rows, block_rows):
            digest.add(block)
        return digest.hexdigest(y)
    h = hashlib.sha256()
    if X is None:
        h.update(b"X none\n")
    elif hasattr(X, "indptr"):  # scipy.sparse CSR: its three arrays (never a dense copy)
        h.update(f"X csr {X.shape}\n".encode())
        for tag, part in (("data", X.data), ("indices", X.indices), ("indptr", X.indptr)):
            _update(h, tag, part)
    else:
        _update(h, "X", np.asarray(X))
    return _finish(h, y)


def _finish(h: Any, y: Any) -> str:
    if y is None:
        h.update(b"y none\n")
    else:
        _update(h, "y", np.asarray(y))
    return h.hexdigest()


class SourceDigest:
    """:func:`data_sha256` of a source whose blocks, read in order from its first row, are
    handed to :meth:`add` by a caller reading them for its own work: scoring a folder and
    telling whether it is the training data is then one read of it, not two."""

    def __init__(self, source: Any) -> None:
        self.dtype = np.dtype(source.dtype).newbyteorder("<")
        self._h = hashlib.sha256()
        self._h.update(f"X {self.dtype.str} {(source.n_rows, source.n_features)}\n".encode())

    def add(self, block: np.ndarray) -> None:
        self._h.update(
            np.ascontiguousarray(block, dtype=self.dtype).reshape(-1).view(np.uint8).data
        )

    def hexdigest(self, y: Any) -> str:
        """The digest with the labels (int64, as the loaders give them), or None's."""
        return _finish(self._h, None if y is None else np.asarray(y).astype("<i8"))


#: Bytes of float64 values per block when rows are keyed (:func:`row_keys`).
_KEY_BYTES = 8 * 2**20


def _mixed(keys: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, in place: every bit of a key depends on every bit of its sum."""
    keys ^= keys >> np.uint64(30)
    keys *= np.uint64(0xBF58476D1CE4E5B9)
    keys ^= keys >> np.uint64(27)
    keys *= np.uint64(0x94D049BB133111EB)
    keys ^= keys >> np.uint64(31)
    return keys


def _terms(values: np.ndarray, columns: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """Each stored value's share of its row's key: its float64 bits (−0 as 0, so a float32
    and a float64 copy of one row agree), high bits folded into low ones (a float's entropy
    sits at the top, which a product would push out), tied to its column (``columns``, and
    ``factors``, the column's random odd multiplier); 0 for a zero, so a dense row and its
    sparse copy (explicit zeros or not) sum to one key."""
    bits = (np.asarray(values, dtype=np.float64) + 0.0).view(np.uint64)
    terms = bits >> np.uint64(29)
    terms ^= bits
    terms += columns
    terms *= factors
    terms += columns
    terms *= bits != 0
    return terms


def row_keys(X: Any, y: Any) -> np.ndarray:
    """One 64-bit key per example (its values and its label): equal examples get equal keys,
    distinct ones rarely (a sum of their values' bits times random odd multipliers), which is
    enough to say how many examples of one data set another holds (:func:`shared_examples`).
    X is a dense array or scipy.sparse rows, keyed a block of rows at a time (never a copy of
    the whole of X); the values are compared as float64, so dtype and layout do not matter."""
    multipliers = np.random.default_rng(0x1A77).integers(1, 2**63, size=1 << 16, dtype=np.uint64)
    multipliers |= np.uint64(1)  # odd: each word counts
    m = X.shape[0]
    keys = np.empty(m, dtype=np.uint64)
    with np.errstate(over="ignore"):
        if hasattr(X, "indptr"):  # a sum over the stored values of each block of rows
            X = X.tocsr()
            indptr = np.asarray(X.indptr, dtype=np.int64)
            stored = max(1, _KEY_BYTES // 8)
            start = 0
            while start < m:
                stop = int(np.searchsorted(indptr, indptr[start] + stored, side="right")) - 1
                stop = min(max(stop, start + 1), m)
                lo, hi = int(indptr[start]), int(indptr[stop])
                columns = np.asarray(X.indices[lo:hi], dtype=np.uint64)
                factors = multipliers[columns % np.uint64(multipliers.size)]
                terms = _terms(X.data[lo:hi], columns, factors)
                sums = np.concatenate((np.zeros(1, np.uint64), np.cumsum(terms, dtype=np.uint64)))
                bounds = indptr[start : stop + 1] - lo
                keys[start:stop] = sums[bounds[1:]] - sums[bounds[:-1]]
                start = stop
        else:
            X = np.asarray(X)
            X = X.reshape(m, -1)
            width = X.shape[1]
            rows = max(1, _KEY_BYTES // (8 * max(1, width)))
            columns = np.arange(width, dtype=np.uint64)
            factors = multipliers[columns % np.uint64(multipliers.size)]
            for start in range(0, m, rows):
                block = X[start : start + rows]
                terms = _terms(block, columns, factors)  # (each row against the columns')
                keys[start : start + block.shape[0]] = terms.sum(axis=1, dtype=np.uint64)
        if y is not None:
            keys += (np.asarray(y).astype(np.int64).view(np.uint64) + np.uint64(1)) * np.uint64(
                0x9E3779B97F4A7C15
            )
    return _mixed(keys)


def shared_examples(train_keys: np.ndarray, X: Any, y: Any) -> int:
    """How many examples of (X, y) are also among the examples keyed ``train_keys``."""
    return int(np.count_nonzero(np.isin(row_keys(X, y), train_keys)))
