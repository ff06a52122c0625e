"""NumPy arrays: ``.npz`` files holding ``X`` (examples × features) and ``y``.

Each array's header is read before the array: no Python objects (``allow_pickle=False``, so
nothing is unpickled), and a declared size within the limits.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from typing import Any

import numpy as np

from lrnn.data.checks import check_bytes, check_finite, quoted, short
from lrnn.data.dataset import Dataset, encode_labels
from lrnn.data.preprocessing import Preprocessing
from lrnn.errors import DataError

#: What reading a damaged .npz (a zip of .npy files) raises, from zipfile, zlib and numpy.
_ZIP_ERRORS = (
    OSError,
    ValueError,
    KeyError,
    EOFError,
    OverflowError,
    NotImplementedError,  # "zip file version 12.4", "That compression method is not supported"
    zipfile.BadZipFile,
    zlib.error,
    struct.error,
)


def _npz_array(z: Any, key: str, name: str) -> np.ndarray:
    """Read one array from an .npz after checking its header: no objects, a sane size."""
    fmt = np.lib.format
    try:
        with z.zip.open(key + ".npy") as f:
            version = fmt.read_magic(f)
            if version == (1, 0):
                shape, _, dtype = fmt.read_array_header_1_0(f)
            elif version == (2, 0):
                shape, _, dtype = fmt.read_array_header_2_0(f)
            else:
                raise ValueError(f"unsupported .npy format version {version}")
    except _ZIP_ERRORS as e:
        raise DataError(f"{name}: array '{key}' is unreadable ({short(e)}); check the file.") from e
    if dtype.hasobject:
        raise DataError(
            f"{name}: array '{key}' holds Python objects (a pickle), which lrnn never loads "
            "because unpickling can run arbitrary code; save plain numeric arrays."
        )
    check_bytes(name, f"array '{key}'", shape, dtype.itemsize)
    try:
        return z[key]
    except _ZIP_ERRORS as e:
        raise DataError(f"{name}: array '{key}' is unreadable ({short(e)}); check the file.") from e


def array_dtype(X: np.ndarray) -> np.ndarray:
    """Keep float32/float64/uint8 as stored (they train as is); widen anything else."""
    if X.dtype in (np.float32, np.float64, np.uint8):
        return np.ascontiguousarray(X, dtype=X.dtype.newbyteorder("="))
    return np.ascontiguousarray(X, dtype=np.float64)


def load_npz(name: str, require_labels: bool) -> Dataset:
    try:
        z = np.load(name, allow_pickle=False)
    except _ZIP_ERRORS as e:
        raise DataError(
            f"{name}: not a readable .npz file ({short(e)}); save arrays with "
            "numpy.savez(path, X=features, y=labels)."
        ) from e
    if not isinstance(z, np.lib.npyio.NpzFile):
        raise DataError(
            f"{name}: holds a single array, not X and y; save with "
            "numpy.savez(path, X=features, y=labels)."
        )
    with z:
        if "X" not in z.files:
            raise DataError(
                f"{name}: no array named 'X' (found {quoted(z.files)}); save with "
                "numpy.savez(path, X=features, y=labels)."
            )
        X = _npz_array(z, "X", name)
        y_raw = _npz_array(z, "y", name) if "y" in z.files else None
    if X.ndim != 2 or X.dtype.kind not in "biuf":
        raise DataError(
            f"{name}: 'X' has shape {X.shape} and dtype {X.dtype}; expected a 2-D numeric array "
            "(examples, features) — reshape it with X.reshape(len(X), -1)."
        )
    if X.shape[0] == 0:
        raise DataError(f"{name}: 'X' has no rows; give a file with data.")
    X = array_dtype(X)
    check_finite(X, name, None)
    y = classes = None
    if y_raw is not None:
        if y_raw.ndim == 2 and 1 in y_raw.shape:
            y_raw = y_raw.reshape(-1)
        if y_raw.ndim != 1 or y_raw.shape[0] != X.shape[0]:
            raise DataError(
                f"{name}: 'y' has shape {y_raw.shape} but 'X' has {X.shape[0]} rows; give one "
                "label per row."
            )
        if y_raw.dtype.kind == "f" and not np.isfinite(y_raw).all():
            row = int(np.argmin(np.isfinite(y_raw)))
            raise DataError(
                f"{name}: y[{row}] is {y_raw[row]}; every label must be a value — fill it in or "
                "drop that row."
            )
        y, classes = encode_labels(y_raw, name, "'y'")
    elif require_labels:
        raise DataError(
            f"{name}: no array named 'y' with the labels (found {quoted(['X'])}); save with "
            "numpy.savez(path, X=features, y=labels)."
        )
    names = [str(i) for i in range(X.shape[0])]
    return Dataset(X, y, classes, names, Preprocessing(kind="array"), name)
