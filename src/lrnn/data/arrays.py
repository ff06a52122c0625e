"""NumPy arrays: ``.npz`` files holding ``X`` (examples × features) and ``y``, and ``X.npy`` with
``y.npy`` beside it.

Each array's header is read before the array: no Python objects (``allow_pickle=False``, so
nothing is unpickled), and a declared size within the limits.
"""

from __future__ import annotations

import os
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from lrnn.data.checks import (
    NPY_FILE,
    ZIP_FILE,
    check_bytes,
    check_expansion,
    check_finite,
    file_kind,
    quoted,
    short,
)
from lrnn.data.dataset import Dataset, encode_labels, row_names
from lrnn.data.preprocessing import Preprocessing
from lrnn.errors import DataError, printable

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


def _check_header(f: Any, name: str, what: str) -> None:
    """Read an .npy header from ``f`` and refuse Python objects and oversized arrays."""
    fmt = np.lib.format
    version = fmt.read_magic(f)
    if version == (1, 0):
        shape, _, dtype = fmt.read_array_header_1_0(f)
    elif version == (2, 0):
        shape, _, dtype = fmt.read_array_header_2_0(f)
    else:
        raise ValueError(f"unsupported .npy format version {version}")
    if dtype.hasobject:
        raise DataError(
            f"{name}: {what} holds Python objects (a pickle), which lrnn never loads "
            "because unpickling can run arbitrary code; save plain numeric arrays."
        )
    check_bytes(name, what, shape, dtype.itemsize)


def _npz_array(z: Any, key: str, name: str) -> np.ndarray:
    """Read one array from an .npz after checking its header: no objects, a sane size."""
    try:
        info = z.zip.getinfo(key + ".npy")
        check_expansion(name, f"array '{key}'", info.compress_size, info.file_size)
        with z.zip.open(key + ".npy") as f:
            _check_header(f, name, f"array '{key}'")
        return z[key]
    except DataError:
        raise
    except _ZIP_ERRORS as e:
        raise DataError(f"{name}: array '{key}' is unreadable ({short(e)}); check the file.") from e


def _npy_array(path: Path, mmap_mode: str | None = None) -> np.ndarray:
    """Read one .npy file after checking its header: no objects, a sane size. ``mmap_mode="r"``
    maps it instead: its pages are the file's, read as used, never the process's own memory
    (scoring a 305 MiB X.npy held 573 MiB when it was read whole)."""
    try:
        with open(path, "rb") as f:
            _check_header(f, str(path), "the array")
        return np.load(path, allow_pickle=False, mmap_mode=mmap_mode)
    except DataError:
        raise
    except _ZIP_ERRORS as e:
        raise DataError(
            f"{path}: not a readable .npy file ({short(e)}); save arrays with numpy.save."
        ) from e


def array_dtype(X: np.ndarray) -> np.ndarray:
    """Keep float32/float64/uint8 as stored (they train as is); widen anything else."""
    if X.dtype in (np.float32, np.float64, np.uint8):
        return np.ascontiguousarray(X, dtype=X.dtype.newbyteorder("="))
    return np.ascontiguousarray(X, dtype=np.float64)


def load_npz(name: str, require_labels: bool) -> Dataset:
    """``numpy.savez(path, X=features, y=labels)`` → Dataset (``y`` optional to predict on)."""
    try:
        kind = file_kind(name)
    except OSError as e:
        raise DataError(f"{name}: cannot be read ({e.strerror or short(e)}).") from e
    if kind not in (ZIP_FILE, NPY_FILE):  # numpy would guess a pickle
        said = f"it is a {kind}; " if kind else ""
        raise DataError(
            f"{name}: not a .npz file ({said}a .npz is a zip archive); save arrays with "
            "numpy.savez(path, X=features, y=labels), or give the file its real extension."
        )
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
        members = z.zip.namelist()
        twice = next((m for m in members if members.count(m) > 1), None)
        if twice is not None:  # numpy reads the last copy, another reader may take the first
            raise DataError(
                f"{name}: holds the array {printable(twice)} twice (two zip members of one name); "
                "save it again with numpy.savez(path, X=features, y=labels)."
            )
        for key in ("X", "y"):
            twins = [f for f in z.files if f != key and f.lower() == key.lower()]
            if key in z.files and twins:
                raise DataError(
                    f"{name}: holds both {key!r} and {twins[0]!r}; which is meant is not "
                    f"clear: save only one, e.g. numpy.savez(path, X=features, y=labels)."
                )
        if "X" not in z.files:
            raise DataError(
                f"{name}: no array named 'X' (found {quoted(z.files)}); save with "
                "numpy.savez(path, X=features, y=labels)."
            )
        X = _npz_array(z, "X", name)
        y_raw = _npz_array(z, "y", name) if "y" in z.files else None
    no_labels = (
        f"{name}: no array named 'y' with the labels (found {quoted(['X'])}); save with "
        "numpy.savez(path, X=features, y=labels)."
    )
    return _arrays_dataset(X, y_raw, name, ("'X'", "'y'"), require_labels, no_labels)


def labels_beside(x_path: Path) -> tuple[Path, str | None]:
    """``y.npy`` beside an array, and why it cannot be taken as that array's labels (None when
    it can). It labels ``X.npy`` when there is one, else the one array beside it that could be
    labelled by it (2-D, one row per label; a saved ``mean.npy`` of one row is no rival). With
    several (train.npy, test.npy) it is not clear which it labels: a test file of the same
    length silently took the training labels."""
    y_path = x_path.parent / "y.npy"
    if x_path.name == "X.npy" or not y_path.exists():
        return y_path, None
    if (x_path.parent / "X.npy").exists():
        return (
            y_path,
            f"{y_path} labels X.npy beside it, not {x_path.name}; put {x_path.name} "
            "and its labels in a folder of their own, as X.npy and y.npy",
        )
    rows = _npy_rows(y_path)
    rivals = sorted(
        p.name
        for p in x_path.parent.glob("*.npy")
        if p.name not in ("X.npy", "y.npy") and _npy_rows(p, two_d=True) == rows
    )
    if len(rivals) <= 1:
        return y_path, None
    return y_path, (
        f"{y_path} sits beside several arrays of its length ({quoted(rivals)}), so it is not "
        f"clear which one it labels; put {x_path.name} and its labels in a folder of their own, "
        "as X.npy and y.npy"
    )


def _npy_rows(path: Path, two_d: bool = False) -> int | None:
    """The row count in a .npy file's header (None when unreadable, or not 2-D if asked)."""
    try:  # a memory map: the header is read, not the data
        shape = np.load(path, mmap_mode="r", allow_pickle=False).shape
    except _ZIP_ERRORS:  # a header that lies (a negative shape: OverflowError) reads as none
        return None
    if not shape or (two_d and len(shape) != 2):
        return None
    return int(shape[0])


def load_npy(path: str | os.PathLike, require_labels: bool) -> Dataset:
    """An ``X.npy`` file (or a folder holding one) with its labels in ``y.npy`` beside it.

    The layout that streams from disk for training (see :mod:`lrnn.data.sources`), read into
    memory here — to predict on or evaluate, where a model trained on it is given it again.
    Without ``require_labels`` the labels are optional.
    """
    p = Path(path)
    x_path = p / "X.npy" if p.is_dir() else p
    y_path, unclear = labels_beside(x_path)
    if unclear and require_labels:
        raise DataError(f"{x_path}: {unclear}.")
    X = _npy_array(x_path, mmap_mode="r")
    has_y = not unclear and y_path.exists() and y_path.resolve() != x_path.resolve()
    y_raw = _npy_array(y_path) if has_y else None
    no_labels = (
        f"{x_path} has no labels beside it: save them as {y_path} (np.save, one label per row "
        "of X)."
    )
    return _arrays_dataset(X, y_raw, str(x_path), ("X", str(y_path)), require_labels, no_labels)


def _arrays_dataset(
    X: np.ndarray,
    y_raw: np.ndarray | None,
    name: str,
    what: tuple[str, str],
    require_labels: bool,
    no_labels: str,
) -> Dataset:
    """Checked arrays → Dataset; ``what`` names X and y in messages, ``no_labels`` is the error
    when labels are required and there are none.

    Without ``require_labels`` (data to predict on) labels that cannot be used — a wrong
    length, blanks, more than two classes — are ignored rather than refused: nothing needs them.
    """
    x_what, y_what = what
    if X.ndim != 2 or X.dtype.kind not in "biuf":
        fix = (  # the way out for what is wrong: the values, else the shape
            "save the features as numbers (X.astype(float))"
            if X.dtype.kind not in "biuf"
            else "reshape it with X.reshape(len(X), -1)"
        )
        raise DataError(
            f"{name}: {x_what} has shape {X.shape} and dtype {X.dtype}; expected a 2-D numeric "
            f"array (examples, features) — {fix}."
        )
    if X.shape[0] == 0:
        raise DataError(f"{name}: {x_what} has no rows; give a file with data.")
    X = array_dtype(X)
    check_finite(X, name, None)
    y = classes = None
    if y_raw is not None:
        try:
            y, classes = _labels(y_raw, X.shape[0], name, what, X.shape[-1])
        except DataError:
            if require_labels:
                raise
    elif require_labels:
        raise DataError(no_labels)
    names = row_names(X.shape[0])
    return Dataset(X, y, classes, names, Preprocessing(kind="array"), name)


def transposed_hint(
    x_what: str, labels: int, rows: int, columns: int | None, per: str = "row"
) -> str:
    """The way out of a label count that does not match the examples: one label per row, or,
    where the labels match X's columns, X stored as the lesson lays it out (features ×
    examples), to be transposed."""
    if columns is not None and labels == columns and labels != rows:
        return (
            f"there is one label per column of {x_what}, as in the lesson's layout (features × "
            f"examples): store {x_what} transposed (X.T), one example per row."
        )
    return f"give one label per {per}."


def _labels(
    y_raw: np.ndarray, m: int, name: str, what: tuple[str, str], columns: int | None = None
) -> tuple:
    """(y, classes) from a label array: one per row, every one a value, two classes.
    ``columns``: X's width, to recognise the lesson's layout (X as features × examples)."""
    x_what, y_what = what
    stored = y_raw.shape
    if y_raw.ndim == 2 and 1 in y_raw.shape:
        y_raw = y_raw.reshape(-1)
    if y_raw.ndim != 1 or y_raw.shape[0] != m:
        raise DataError(
            f"{name}: {y_what} has shape {stored} but {x_what} has {m} rows; "
            + transposed_hint(x_what, y_raw.size, m, columns)
        )
    if y_raw.dtype.kind == "f" and not np.isfinite(y_raw).all():
        row = int(np.argmin(np.isfinite(y_raw)))
        raise DataError(
            f"{name}: y[{row}] is {y_raw[row]}; every label must be a value — fill it in or "
            "drop that row."
        )
    return encode_labels(y_raw, name, y_what)
