"""Loaders for the data lrnn learns from, and the preprocessing spec that travels with a model.

Every loader returns a :class:`Dataset` whose ``X`` is ``(m, n)``, one example per row, ready
for the math: uint8 pixels for images (the 1/255 scale is applied inside the math, so no float
copy of the pictures is ever made), float64 for tables (standardised when asked). The
:class:`Preprocessing` spec records how raw data became ``X``; a saved model carries it, so new
data given to that model is converted the same way (same image size, same columns, same mean
and std).

This module knows nothing of training. It is also the door through which untrusted files come
in, so every loader checks sizes *before* reading (a tiny file may declare a terabyte array or a
gigapixel image), never unpickles, and turns every failure into a one-line :class:`DataError`
that names the file, the column or value, and the way out.

Heavy libraries (h5py, Pillow, pandas, scikit-learn) are imported inside the loaders that need
them, so ``import lrnn.data`` stays cheap.
"""

from __future__ import annotations

import hashlib
import math
import os
import struct
import warnings
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from lrnn.errors import DataError, ModelFileError, UsageError

#: Largest image (width × height) decoded; bigger ones are refused before decoding.
MAX_IMAGE_PIXELS = 50_000_000
#: Largest array (declared shape × itemsize) read from any file, checked before reading.
MAX_ARRAY_BYTES = 4 * 2**30
#: Most columns a table may have.
MAX_COLUMNS = 100_000
#: Longest line accepted in a CSV file.
MAX_LINE_BYTES = 16 * 2**20

BUILTIN_NAMES = ("digits", "breast_cancer")
DEFAULT_BUILTIN = "digits"
KINDS = ("image", "table", "array")

_HDF5_SUFFIXES = (".h5", ".hdf5")
_TABLE_SUFFIXES = (".csv", ".parquet")
_DATA_SUFFIXES = (*_HDF5_SUFFIXES, *_TABLE_SUFFIXES, ".npz")
_BUILTIN_HINT = "digits, breast_cancer"


# --------------------------------------------------------------------------------------------
# The spec a model carries


@dataclass(frozen=True)
class Preprocessing:
    """How raw data becomes the ``X`` the model was trained on.

    ``scale`` is not applied by :meth:`transform`: it multiplies the features inside the math
    (1/255 for uint8 pictures), so images stay uint8 in memory.
    """

    kind: str  # "image" | "table" | "array"
    image_shape: tuple[int, int, int] | None = None  # (height, width, channels)
    scale: float = 1.0
    feature_names: tuple[str, ...] | None = None
    mean: tuple[float, ...] | None = None
    std: tuple[float, ...] | None = None
    label_column: str | None = None

    def __post_init__(self) -> None:
        # Callers may pass lists; tuples keep the frozen spec hashable and really immutable.
        for name in ("image_shape", "feature_names", "mean", "std"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, tuple):
                object.__setattr__(self, name, tuple(value))

    @property
    def n_features(self) -> int | None:
        """Number of columns ``X`` must have, when the spec knows it."""
        if self.image_shape is not None:
            return math.prod(self.image_shape)
        for names in (self.feature_names, self.mean):
            if names is not None:
                return len(names)
        return None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict; :meth:`from_dict` reads it back."""

        def floats(values: tuple[float, ...] | None) -> list[float] | None:
            return None if values is None else [float(v) for v in values]

        return {
            "kind": self.kind,
            "image_shape": None if self.image_shape is None else [int(v) for v in self.image_shape],
            "scale": float(self.scale),
            "feature_names": None if self.feature_names is None else list(self.feature_names),
            "mean": floats(self.mean),
            "std": floats(self.std),
            "label_column": self.label_column,
        }

    @classmethod
    def from_dict(cls, d: dict) -> Preprocessing:
        """Read a spec from a model file, refusing anything that does not make sense.

        The dict comes from a file, so it is checked field by field: a wrong spec would
        silently feed the model garbage.
        """

        def bad(what: str) -> ModelFileError:
            return ModelFileError(
                f"preprocessing {what}; the model file is corrupt or was not written by lrnn "
                "— retrain the model."
            )

        if not isinstance(d, dict):
            raise bad(f"is a {type(d).__name__}, expected an object")
        unknown = sorted(set(d) - set(cls.__dataclass_fields__))
        if unknown:
            raise ModelFileError(
                f"preprocessing has unknown field(s) {', '.join(map(repr, unknown))}; the model "
                "was written by a newer lrnn — upgrade lrnn to use it."
            )
        kind = d.get("kind")
        if kind not in KINDS:
            raise bad(f"kind {kind!r} is not one of {', '.join(KINDS)}")

        image_shape = d.get("image_shape")
        if image_shape is not None and not (
            isinstance(image_shape, list | tuple)
            and len(image_shape) == 3
            and all(_is_int(v) and v > 0 for v in image_shape)
            and image_shape[2] in (1, 3)
        ):
            raise bad(f"image_shape {image_shape!r} is not [height, width, 1 or 3]")
        if kind == "image" and image_shape is None:
            raise bad("kind 'image' has no image_shape")

        scale = d.get("scale", 1.0)
        if not (_is_number(scale) and math.isfinite(scale) and scale > 0):
            raise bad(f"scale {scale!r} is not a positive finite number")

        names = d.get("feature_names")
        if names is not None and not (
            isinstance(names, list | tuple) and all(isinstance(v, str) for v in names)
        ):
            raise bad("feature_names is not a list of strings")

        mean, std = d.get("mean"), d.get("std")
        for field_name, values in (("mean", mean), ("std", std)):
            if values is not None and not (
                isinstance(values, list | tuple)
                and all(_is_number(v) and math.isfinite(v) for v in values)
            ):
                raise bad(f"{field_name} is not a list of finite numbers")
        if (mean is None) != (std is None):
            raise bad("has only one of mean and std")
        if mean is not None:
            if len(mean) != len(std) or any(v <= 0 for v in std):
                raise bad("mean and std differ in length or std has a value <= 0")
            if names is not None and len(names) != len(mean):
                raise bad(f"has {len(names)} feature_names but {len(mean)} means")

        label = d.get("label_column")
        if label is not None and not isinstance(label, str):
            raise bad(f"label_column {label!r} is not a string")

        return cls(
            kind=kind,
            image_shape=None if image_shape is None else tuple(int(v) for v in image_shape),
            scale=float(scale),
            feature_names=None if names is None else tuple(names),
            mean=None if mean is None else tuple(float(v) for v in mean),
            std=None if std is None else tuple(float(v) for v in std),
            label_column=label,
        )

    def transform(self, X_raw: np.ndarray) -> np.ndarray:
        """Standardise ``X_raw`` when the spec holds a mean and std; otherwise return it as is.

        Images come back unchanged (uint8 stays uint8): their scale is applied in the math.
        """
        if self.mean is None or self.std is None:
            return X_raw
        X = np.asarray(X_raw, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != len(self.mean):
            raise DataError(
                f"data has shape {X.shape} but the model standardises {len(self.mean)} features; "
                "give data with the columns the model was trained on."
            )
        return (X - np.asarray(self.mean)) / np.asarray(self.std)


@dataclass
class Dataset:
    """Examples ready for the math, with everything needed to report on them.

    ``X`` is already transformed by ``spec`` (standardised tables); ``raw_images`` is a
    ``(m, h, w, c)`` view of ``X`` for picture galleries.
    """

    X: np.ndarray  # (m, n)
    y: np.ndarray | None  # (m,) int64 in {0, 1}: index into classes
    classes: tuple[str, str] | None  # classes[1] is the positive class
    names: list[str]  # one per example
    spec: Preprocessing
    source: str
    raw_images: np.ndarray | None = None


# --------------------------------------------------------------------------------------------
# Public entry points


def load(
    path: str | os.PathLike,
    *,
    label: str = "label",
    image_size: tuple[int, int] | None = None,
    standardize: bool = False,
    spec: Preprocessing | None = None,
    require_labels: bool = True,
) -> Dataset:
    """Load a data set by file type: a built-in name, .h5/.hdf5, an image folder, .csv,
    .parquet or .npz.

    With ``spec`` (a saved model's preprocessing) the data is converted to match it, and
    ``standardize``/``image_size`` are ignored: the model already fixed them. With
    ``require_labels=False`` labels are read when present and ``y`` is None otherwise.
    """
    name = os.fspath(path)
    builtin_name = _builtin_name(name)
    wanted = spec.feature_names if spec is not None else None
    if builtin_name is not None:
        ds = _builtin_raw(builtin_name, wanted)
    else:
        p = Path(name)
        if not p.exists():
            raise DataError(
                f"{name}: no such file or folder; check the path "
                f"(built-in data sets: {_BUILTIN_HINT})."
            )
        suffix = p.suffix.lower()
        if p.is_dir():
            mode, size = _image_target(spec, image_size)
            ds = _load_image_folder(p, mode, size, allow_flat=not require_labels)
        elif suffix in _HDF5_SUFFIXES:
            ds = _load_h5(name, require_labels)
        elif suffix in _TABLE_SUFFIXES:
            ds = _load_table(name, label, wanted, require_labels)
        elif suffix == ".npz":
            ds = _load_npz(name, require_labels)
        else:
            raise DataError(
                f"{name}: unsupported file type {suffix or '(no suffix)'!r}; give a .h5/.hdf5, "
                ".csv, .parquet or .npz file, a folder with one sub-folder of images per class, "
                f"or a built-in name ({_BUILTIN_HINT})."
            )
    return _finish(ds, spec=spec, standardize=standardize, require_labels=require_labels)


def load_inputs(paths: Sequence[str], spec: Preprocessing, label: str | None = None) -> Dataset:
    """Load data to predict on, converted to match a model's ``spec``.

    Accepts image files, one image folder (flat, or with class sub-folders), or one table or
    array file. ``y`` is filled when labels are available (class sub-folders, a label column),
    else None.
    """
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    paths = [os.fspath(p) for p in paths]
    if not paths:
        raise UsageError("no inputs given; pass image files, an image folder or a table file.")
    label = label or spec.label_column or "label"
    first = paths[0]
    if len(paths) == 1 and (
        _builtin_name(first) is not None
        or Path(first).is_dir()
        or Path(first).suffix.lower() in _DATA_SUFFIXES
    ):
        return load(first, label=label, spec=spec, require_labels=False)

    for p in paths:
        if not Path(p).exists():
            raise DataError(f"{p}: no such file; check the path.")
        if Path(p).is_dir() or Path(p).suffix.lower() in _DATA_SUFFIXES:
            raise DataError(
                f"{p}: give either image files, or one folder or data file on its own, not a mix."
            )
    if spec.kind != "image":
        raise DataError(
            f"{first}: the model was trained on {spec.kind} data, not images; give a "
            f"{'.csv or .parquet' if spec.kind == 'table' else '.npz'} file."
        )
    mode, size = _image_target(spec, None)
    raw = _read_images(paths, mode, size)
    return _image_dataset(raw, None, None, list(paths), ", ".join(paths[:3]))


def load_course_h5(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The lesson's HDF5 file as the lesson reads it: ``(x_orig, y, classes)``.

    ``x_orig`` is ``(m, h, w, c)`` uint8, ``y`` ``(m,)`` int64, ``classes`` the raw
    ``list_classes`` bytes. Sizes are checked before anything is read.
    """
    name = os.fspath(path)
    raw = _read_h5(name, require_labels=True)
    if raw["x"].ndim != 4:
        raise DataError(
            f"{name}: '{raw['x_key']}' holds {raw['x'].ndim}-D data, the lesson expects pictures "
            "(examples, height, width, channels); use lrnn.data.load for other arrays."
        )
    if raw["classes"] is None:
        raise DataError(
            f"{name}: no 'list_classes' dataset; the lesson's files name their two classes there "
            "— add it or use lrnn.data.load."
        )
    return raw["x"], raw["y"].astype(np.int64), raw["classes"]


def builtin(name: str, *, standardize: bool = False) -> Dataset:
    """A data set bundled with scikit-learn (no download): ``digits`` or ``breast_cancer``."""
    key = _builtin_name(name)
    if key is None:
        raise DataError(f"unknown built-in data set {name!r}; choose one of {_BUILTIN_HINT}.")
    return _finish(_builtin_raw(key, None), spec=None, standardize=standardize, require_labels=True)


def split(ds: Dataset, test_fraction: float = 0.2, seed: int | None = 0) -> tuple[Dataset, Dataset]:
    """Hold out ``test_fraction`` of the examples (see :func:`split_rows`); both parts keep
    the original order of the examples, the spec and the classes."""
    keep, test = split_rows(ds.y, ds.X.shape[0], test_fraction, seed, ds.source)
    return _subset(ds, keep), _subset(ds, test)


def split_rows(
    y: np.ndarray | None, m: int, test_fraction: float, seed: int | None, source: str = "the data"
) -> tuple[np.ndarray, np.ndarray]:
    """The one hold-out algorithm (CLI test split, CLI and estimator early stopping): sorted
    row indices ``(kept, held_out)``, the same for the same labels, fraction and seed.

    The held-out part has ceil(fraction·m) examples, stratified by class when labels allow
    it: each class gives its share (largest remainders break ties), and every class keeps at
    least one example on each side. A class with a single example cannot be split that way, so
    the split is then plain random. Written with numpy rather than scikit-learn's
    ``train_test_split`` because importing scikit-learn takes longer than the whole default
    ``lrnn train``.
    """
    if not (isinstance(test_fraction, float | int) and 0 < test_fraction < 1):
        raise UsageError(f"test_fraction must be between 0 and 1, got {test_fraction!r}; try 0.2.")
    n_test = math.ceil(test_fraction * m)
    if not 0 < n_test < m:
        raise DataError(
            f"{source}: cannot hold out {test_fraction:g} of {m} examples (it leaves "
            f"{m - n_test} for training and {n_test} for testing); use more data or a different "
            "test fraction."
        )
    rng = np.random.default_rng(seed)
    test = _stratified_test_rows(y, n_test, rng) if y is not None else None
    if test is None:
        test = rng.permutation(m)[:n_test]
    keep = np.ones(m, dtype=bool)
    keep[test] = False
    return np.flatnonzero(keep), np.sort(test)


def _stratified_test_rows(
    y: np.ndarray, n_test: int, rng: np.random.Generator
) -> np.ndarray | None:
    """Rows for a test part of ``n_test`` examples in which each class has its share, or None
    when some class is too small (one example) or there are more classes than test rows."""
    classes, counts = np.unique(y, return_counts=True)
    m = counts.sum()
    if counts.min() < 2 or not len(classes) <= n_test <= m - len(classes):
        return None
    exact = n_test * counts / m
    take = np.clip(np.floor(exact).astype(np.int64), 1, counts - 1)
    order = np.argsort(-(exact - np.floor(exact)), kind="stable")  # largest remainders first
    while take.sum() != n_test:
        step = 1 if take.sum() < n_test else -1
        for c in order if step == 1 else order[::-1]:
            if 1 <= take[c] + step <= counts[c] - 1:
                take[c] += step
                break
    rows = [rng.permutation(np.flatnonzero(y == c))[:k] for c, k in zip(classes, take, strict=True)]
    return np.concatenate(rows)


def data_sha256(X: np.ndarray, y: np.ndarray | None) -> str:
    """Hex SHA-256 of X and y (dtype, shape and bytes in C order): a fingerprint of the data
    a model was trained on, the same on every machine."""
    h = hashlib.sha256()
    for tag, a in (("X", X), ("y", y)):
        if a is None:
            h.update(f"{tag} none\n".encode())
            continue
        a = np.asarray(a)
        a = np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<"))  # same bytes on any CPU
        h.update(f"{tag} {a.dtype.str} {a.shape}\n".encode())
        h.update(a.reshape(-1).view(np.uint8).data)
    return h.hexdigest()


# --------------------------------------------------------------------------------------------
# Shared steps


def _finish(
    ds: Dataset, *, spec: Preprocessing | None, standardize: bool, require_labels: bool
) -> Dataset:
    """Apply a model's spec, or build the spec for training (checks, standardisation)."""
    if ds.X.ndim != 2 or ds.X.shape[1] == 0:
        raise DataError(
            f"{ds.source}: the examples have no features (shape {ds.X.shape}); give data with at "
            "least one feature column or pixel."
        )
    if spec is not None:
        ds = _conform(ds, spec)
        return replace(ds, X=spec.transform(ds.X), spec=spec)
    if require_labels and ds.y is not None and ds.classes is not None:
        present = np.unique(ds.y)
        if present.size < 2:
            raise DataError(
                f"{ds.source}: all {ds.y.size} examples are of class "
                f"'{ds.classes[int(present[0])]}'; training needs examples of both classes — "
                "add examples of the other class."
            )
    if standardize:
        if ds.spec.kind == "image":
            raise UsageError(
                f"{ds.source}: standardize applies to tables and arrays; images are scaled by "
                "1/255 instead — drop --standardize."
            )
        X = ds.X.astype(np.float64)
        with np.errstate(over="ignore", invalid="ignore"):
            mean = X.mean(axis=0)
            std = X.std(axis=0)
        if not (np.isfinite(mean).all() and np.isfinite(std).all()):
            # Values near the float64 limit: their sums and squares overflow, so scale each
            # column by its largest magnitude first (and back after).
            peak = np.max(np.abs(X), axis=0)
            peak[~(peak > 0)] = 1.0
            mean = (X / peak).mean(axis=0) * peak
            std = (X / peak).std(axis=0) * peak
        std[~(std > 0)] = 1.0  # a constant column stays constant instead of dividing by zero
        new_spec = replace(ds.spec, mean=tuple(mean.tolist()), std=tuple(std.tolist()))
        ds = replace(ds, X=new_spec.transform(X), spec=new_spec)
    return ds


def _conform(ds: Dataset, spec: Preprocessing) -> Dataset:
    """Make freshly loaded data look like the data the model was trained on."""
    if ds.spec.kind != spec.kind:
        raise DataError(
            f"{ds.source}: the model was trained on {spec.kind} data but this is {ds.spec.kind} "
            "data; give data of the same kind as the training data."
        )
    if spec.kind == "image" and ds.spec.image_shape != spec.image_shape:
        mode, size = _image_target(spec, None)
        raw = np.stack([_convert_image(img, mode, size) for img in ds.raw_images])
        return _image_dataset(raw, ds.y, ds.classes, ds.names, ds.source)
    if spec.kind == "table" and spec.feature_names is not None:
        if ds.spec.feature_names != spec.feature_names:  # the loaders select by name already
            raise DataError(f"{ds.source}: columns do not match the model's feature names.")
    return ds


def subset(ds: Dataset, rows: np.ndarray) -> Dataset:
    """The examples at ``rows`` (spec and classes kept)."""
    return _subset(ds, rows)


def _subset(ds: Dataset, idx: np.ndarray) -> Dataset:
    X = ds.X[idx]
    raw = None if ds.raw_images is None else X.reshape((len(idx), *ds.raw_images.shape[1:]))
    return replace(
        ds,
        X=X,
        y=None if ds.y is None else ds.y[idx],
        names=[ds.names[i] for i in idx],
        raw_images=raw,
    )


def _encode_labels(values: np.ndarray, source: str, what: str) -> tuple[np.ndarray, tuple]:
    """Two distinct label values → (y as 0/1 int64, class names), classes[1] positive.

    Numbers sort by value, anything else as strings. A single class of 0/1 numbers comes back
    as the pair ("0", "1"); any other single class as (name, name), with every y = 0.
    """
    values = np.asarray(values)
    if values.dtype.kind == "f" and not np.isfinite(values).all():
        row = int(np.argmin(np.isfinite(values)))
        raise DataError(
            f"{source}: {what} is {values.flat[row]} for example {row + 1}; every example needs "
            "a label — fill it in or drop that example."
        )
    if values.dtype.kind not in "biuf":
        values = values.astype(str)
    uniq = np.unique(values)
    if uniq.size > 2:
        shown = ", ".join(repr(_clip(_label_name(v))) for v in uniq[:5]) + (
            ", ..." if uniq.size > 5 else ""
        )
        raise DataError(
            f"{source}: {what} has {uniq.size} classes ({shown}). Only binary classification is "
            "supported. Keep the rows of two classes, or merge classes into two."
        )
    if uniq.size == 0:
        raise DataError(f"{source}: no examples; give a file with data.")
    if uniq.size == 1:
        if values.dtype.kind in "biuf" and uniq[0] in (0, 1):
            uniq = np.array([False, True]) if values.dtype.kind == "b" else np.array([0, 1])
        else:
            # Data of one class is fine to evaluate a model on (the model names the other
            # class; the CLI aligns names); training refuses it in _finish.
            name = _label_name(uniq[0])
            return np.zeros(values.shape[0], dtype=np.int64), (name, name)
    y = np.searchsorted(uniq, values).astype(np.int64)
    return y, (_label_name(uniq[0]), _label_name(uniq[1]))


def _label_name(v: Any) -> str:
    if isinstance(v, float | np.floating) and float(v).is_integer():
        return str(int(v))  # 1.0 read from a CSV with blanks is still class "1"
    if isinstance(v, bool | np.bool_):
        return str(bool(v))
    return str(v.item() if isinstance(v, np.generic) else v)


def _check_finite(X: np.ndarray, source: str, columns: Sequence[str] | None) -> None:
    if X.dtype.kind != "f" or np.isfinite(X).all():
        return
    row, col = (int(i) for i in np.argwhere(~np.isfinite(X))[0])
    if columns is not None:
        where = f"column '{columns[col]}' has value {X[row, col]} (row {row + 1})"
    else:
        where = f"X[{row}, {col}] is {X[row, col]}"
    raise DataError(
        f"{source}: {where}; features must be finite numbers — fill in or drop that row."
    )


def _check_bytes(source: str, what: str, shape: Sequence[int], itemsize: int) -> None:
    """Refuse an array by its declared size, before a single byte of it is read."""
    nbytes = math.prod(int(s) for s in shape) * int(itemsize)
    if nbytes > MAX_ARRAY_BYTES:
        raise DataError(
            f"{source}: {what} declares shape {tuple(int(s) for s in shape)} "
            f"({nbytes / 2**30:.1f} GiB), over lrnn's limit of {MAX_ARRAY_BYTES / 2**30:g} GiB; "
            "use a smaller file or stream the data in parts."
        )


def _short(e: BaseException) -> str:
    """An exception's message on one line, for embedding in ours."""
    return " ".join(str(e).split())[:200] or type(e).__name__


def _is_float(v: Any) -> bool:
    """Whether ``v`` converts to a finite float (a 400-digit integer does not)."""
    try:
        return math.isfinite(float(v))
    except (TypeError, ValueError, OverflowError):
        return False


def _clip(v: Any, limit: int = 40) -> str:
    """A value for an error message: at most ``limit`` characters, on one line."""
    text = " ".join(str(v).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _quoted(names: Sequence[str], limit: int = 10) -> str:
    shown = ", ".join(f"'{_clip(n)}'" for n in names[:limit])
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "") or "none"


# --------------------------------------------------------------------------------------------
# Images


def _image_target(
    spec: Preprocessing | None, image_size: tuple[int, int] | None
) -> tuple[str, tuple[int, int] | None]:
    """PIL mode and (height, width) that loaded images are converted to."""
    if spec is not None and spec.kind == "image" and spec.image_shape is not None:
        h, w, c = spec.image_shape
        return ("L" if c == 1 else "RGB"), (h, w)
    if image_size is not None:
        if not (len(image_size) == 2 and all(_is_int(v) and v > 0 for v in image_size)):
            raise UsageError(
                f"image_size must be (height, width) in pixels, got {image_size!r}; e.g. (64, 64)."
            )
        return "RGB", (int(image_size[0]), int(image_size[1]))
    return "RGB", None


def _open_checked(path: str) -> Any:
    """Open an image lazily and refuse it by its declared size before any pixel is decoded."""
    from PIL import Image, UnidentifiedImageError

    try:
        im = Image.open(path)
    except UnidentifiedImageError as e:
        raise DataError(
            f"{path}: not an image file (Pillow cannot identify it); remove it or convert it "
            "to PNG or JPEG."
        ) from e
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise _bomb(path, _short(e)) from e
    except OSError as e:
        raise DataError(f"{path}: cannot open image ({_short(e)}); check the file.") from e
    width, height = im.size
    if width * height > MAX_IMAGE_PIXELS:
        im.close()
        raise _bomb(path, f"{width}×{height} pixels")
    return im


def _bomb(path: str, detail: str) -> DataError:
    return DataError(
        f"{path}: image is too large to decode safely ({detail}; limit {MAX_IMAGE_PIXELS} "
        "pixels), possibly a decompression bomb; resize it before use."
    )


def _read_image(path: str, mode: str, size: tuple[int, int] | None) -> np.ndarray:
    """One image file → (h, w, c) uint8, converted to ``mode`` and resized to ``size``."""
    from PIL import Image, ImageOps

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with _open_checked(path) as im:
                im = ImageOps.exif_transpose(im).convert(mode)
                if size is not None and im.size != (size[1], size[0]):
                    im = im.resize((size[1], size[0]), Image.Resampling.BILINEAR)
                arr = np.asarray(im, dtype=np.uint8)
    except DataError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise _bomb(path, _short(e)) from e
    except (OSError, ValueError, SyntaxError) as e:  # truncated or malformed image data
        raise DataError(f"{path}: cannot decode image ({_short(e)}); check the file.") from e
    return arr.reshape(arr.shape[0], arr.shape[1], -1)


def _read_images(paths: Sequence[str], mode: str, size: tuple[int, int] | None) -> np.ndarray:
    """Image files → (m, h, w, c) uint8; the size defaults to the first image's."""
    if size is None:  # the first picture, upright (EXIF), sets the size of all
        size = _read_image(paths[0], mode, None).shape[:2]
    channels = 1 if mode == "L" else 3
    _check_bytes(paths[0], f"{len(paths)} images", (len(paths), *size, channels), 1)
    out = np.empty((len(paths), *size, channels), dtype=np.uint8)
    for i, p in enumerate(paths):
        out[i] = _read_image(p, mode, size)
    return out


def _convert_image(img: np.ndarray, mode: str, size: tuple[int, int]) -> np.ndarray:
    """An (h, w, c) uint8 picture converted and resized like a file would be."""
    from PIL import Image

    im = Image.fromarray(img[:, :, 0] if img.shape[2] == 1 else img)
    im = im.convert(mode).resize((size[1], size[0]), Image.Resampling.BILINEAR)
    arr = np.asarray(im, dtype=np.uint8)
    return arr.reshape(arr.shape[0], arr.shape[1], -1)


def _image_dataset(
    raw: np.ndarray, y: np.ndarray | None, classes: tuple | None, names: list[str], source: str
) -> Dataset:
    """(m, h, w, c) uint8 pictures → a Dataset with flattened rows and a gallery view."""
    raw = np.ascontiguousarray(raw, dtype=np.uint8)
    m, h, w, c = raw.shape
    X = raw.reshape(m, h * w * c)
    spec = Preprocessing(kind="image", image_shape=(h, w, c), scale=1 / 255)
    return Dataset(X, y, classes, names, spec, source, raw_images=X.reshape(m, h, w, c))


def _image_files(folder: Path) -> list[Path]:
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    if not files:
        raise DataError(f"{folder}: no images in this folder; add images or remove the folder.")
    return files


def _load_image_folder(
    folder: Path, mode: str, size: tuple[int, int] | None, *, allow_flat: bool
) -> Dataset:
    """A folder with one sub-folder of images per class (or, unlabeled, just images)."""
    subdirs = sorted(d for d in folder.iterdir() if d.is_dir() and not d.name.startswith("."))
    if len(subdirs) == 2:
        groups = [_image_files(d) for d in subdirs]
        files = groups[0] + groups[1]
        y = np.repeat(np.arange(2, dtype=np.int64), [len(g) for g in groups])
        classes: tuple[str, str] | None = (subdirs[0].name, subdirs[1].name)
    elif not subdirs and allow_flat:
        files, y, classes = _image_files(folder), None, None
    else:
        raise DataError(
            f"{folder}: an image folder needs exactly two sub-folders, one per class; found "
            f"{len(subdirs)} ({_quoted([d.name for d in subdirs])}) — arrange the images as "
            f"{folder}/<class-a>/*.png and {folder}/<class-b>/*.png."
        )
    raw = _read_images([str(f) for f in files], mode, size)
    names = [f.relative_to(folder).as_posix() for f in files]
    return _image_dataset(raw, y, classes, names, str(folder))


# --------------------------------------------------------------------------------------------
# HDF5 (the lesson's files)


def _read_h5(name: str, require_labels: bool) -> dict[str, Any]:
    """Read the lesson's ``*_set_x``/``*_set_y``/``list_classes`` after checking their sizes."""
    import h5py

    try:
        f = h5py.File(name, "r")
    except OSError as e:
        raise DataError(
            f"{name}: not a readable HDF5 file ({_short(e)}); give the lesson's .h5 file or "
            "another supported format."
        ) from e
    with f:
        try:
            return _h5_contents(f, name, require_labels)
        except DataError:
            raise
        except (OSError, ValueError, KeyError, TypeError, RuntimeError) as e:
            raise DataError(
                f"{name}: cannot read the HDF5 data ({_short(e)}); the file may be truncated or "
                "corrupt."
            ) from e


def _h5_contents(f: Any, name: str, require_labels: bool) -> dict[str, Any]:
    import h5py

    keys = sorted(f.keys())
    x_keys = [k for k in keys if k.endswith("_set_x")]
    if len(x_keys) != 1:
        raise DataError(
            f"{name}: expected one dataset named '*_set_x' (with '*_set_y' and "
            f"'list_classes'), found keys {_quoted(keys)}; use the lesson's file layout."
        )
    x_key = x_keys[0]
    y_key = x_key[:-1] + "y"

    def dataset(key: str) -> Any:
        # A soft or external link could make h5py open other files; data stays in this one.
        link = f.get(key, getlink=True)
        obj = f.get(key) if isinstance(link, h5py.HardLink) else None
        if not isinstance(obj, h5py.Dataset) or obj.shape is None or obj.is_virtual or obj.external:
            raise DataError(
                f"{name}: '{key}' is not a plain dataset stored in this file; rewrite the "
                "file with the arrays stored directly."
            )
        _check_bytes(name, f"'{key}'", obj.shape, obj.dtype.itemsize)
        return obj

    xd = dataset(x_key)
    kind = xd.dtype.kind
    if not (
        (xd.ndim == 4 and xd.shape[3] in (1, 3) and kind in "biu")
        or (xd.ndim == 3 and kind in "biu")
        or (xd.ndim == 2 and kind in "biuf")
    ):
        raise DataError(
            f"{name}: '{x_key}' has shape {xd.shape} and dtype {xd.dtype}; expected 0-255 "
            "pictures (examples, height, width, 1 or 3 channels) or a 2-D numeric array — "
            "rewrite the file with one of those."
        )
    x = xd[()]
    if x.ndim == 3:
        x = x[..., np.newaxis]  # grey pictures without a channel axis
    if x.ndim == 4 and x.dtype != np.uint8:
        if x.size and (x.min() < 0 or x.max() > 255):
            raise DataError(
                f"{name}: '{x_key}' has pixel values outside 0-255; store pictures as uint8."
            )
        x = x.astype(np.uint8)

    y = None
    if y_key in keys:
        yd = dataset(y_key)
        y = np.asarray(yd[()])
        if y.ndim == 2 and 1 in y.shape:
            y = y.reshape(-1)  # the lesson's (1, m) row of labels
        if y.ndim != 1 or y.shape[0] != x.shape[0]:
            raise DataError(
                f"{name}: '{y_key}' has shape {yd.shape} but '{x_key}' has {x.shape[0]} "
                "examples; give one label per example."
            )
    elif require_labels:
        raise DataError(
            f"{name}: no '{y_key}' labels next to '{x_key}' (keys: {_quoted(keys)}); add the "
            "labels or predict instead of training."
        )

    classes = None
    if "list_classes" in keys:
        classes = np.asarray(dataset("list_classes")[()])
    return {"x": x, "y": y, "classes": classes, "x_key": x_key, "y_key": y_key}


def _load_h5(name: str, require_labels: bool) -> Dataset:
    raw = _read_h5(name, require_labels)
    x, y_raw, classes_raw = raw["x"], raw["y"], raw["classes"]
    m = x.shape[0]
    if m == 0:
        raise DataError(f"{name}: '{raw['x_key']}' holds no examples; give a file with data.")
    y, classes = None, None
    if y_raw is not None:
        if classes_raw is None:
            y, classes = _encode_labels(y_raw, name, f"'{raw['y_key']}'")
        else:
            classes = tuple(
                c.decode("utf-8", "replace") if isinstance(c, bytes) else str(c)
                for c in classes_raw.reshape(-1)
            )
            if len(classes) != 2:
                raise DataError(
                    f"{name}: 'list_classes' names {len(classes)} classes ({_quoted(classes, 5)})."
                    " Only binary classification is supported. Keep two classes."
                )
            if classes[0] == classes[1]:
                raise DataError(
                    f"{name}: 'list_classes' names the class {classes[0]!r} twice; give the two "
                    "classes different names."
                )
            if y_raw.dtype.kind not in "biuf" or not np.isin(y_raw, (0, 1)).all():
                raise DataError(
                    f"{name}: '{raw['y_key']}' must hold 0 or 1 (an index into list_classes); "
                    "fix the labels."
                )
            y = y_raw.astype(np.int64)
    if x.ndim == 4:
        return _image_dataset(x, y, classes, [str(i) for i in range(m)], name)
    X = _array_dtype(x)
    _check_finite(X, name, None)
    spec = Preprocessing(kind="array")
    return Dataset(X, y, classes, [str(i) for i in range(m)], spec, name)


# --------------------------------------------------------------------------------------------
# Tables (CSV, Parquet)


def _check_csv_lines(name: str) -> None:
    """Refuse absurdly long lines and too many columns before pandas parses anything."""
    current = line = 0  # length of the line being read, and how many lines ended before it
    header: bytes | None = None
    head = b""

    def refuse(line_no: int) -> DataError:
        return DataError(
            f"{name}: line {line_no} is longer than {MAX_LINE_BYTES} bytes; this is not a table "
            "lrnn can read — check it is a CSV with one example per line."
        )

    with open(name, "rb") as f:
        while chunk := f.read(1 << 20):
            pieces = chunk.split(b"\n")
            if header is None:
                head += pieces[0][: MAX_LINE_BYTES + 1 - len(head)]
                if len(pieces) > 1:
                    header = head
            ended = [current + len(pieces[0]), *map(len, pieces[1:-1])] if len(pieces) > 1 else []
            if ended and max(ended) > MAX_LINE_BYTES:
                raise refuse(line + ended.index(max(ended)) + 1)
            line += len(ended)
            current = len(pieces[-1]) + (current if not ended else 0)
            if current > MAX_LINE_BYTES:
                raise refuse(line + 1)
    fields = (head if header is None else header).count(b",") + 1
    if fields > MAX_COLUMNS:
        raise DataError(
            f"{name}: the header has {fields} columns, over lrnn's limit of {MAX_COLUMNS}; "
            "select the columns you need first."
        )


def _read_table(name: str, columns: list[str] | None) -> Any:
    import pandas as pd

    if name.lower().endswith(".csv"):
        _check_csv_lines(name)
        try:
            return pd.read_csv(name, encoding="utf-8-sig")  # spreadsheets often write a BOM
        except pd.errors.EmptyDataError as e:
            raise DataError(
                f"{name}: the file is empty; give a table with a header row and one row per "
                "example."
            ) from e
        except (pd.errors.ParserError, UnicodeDecodeError, ValueError, OSError) as e:
            raise DataError(
                f"{name}: cannot read as CSV ({_short(e)}); check the delimiter is ',' and every "
                "row has as many fields as the header."
            ) from e

    import pyarrow.parquet as pq

    try:
        meta = pq.read_metadata(name)
        schema = meta.schema.to_arrow_schema()
        if len(schema.names) > MAX_COLUMNS:
            raise DataError(
                f"{name}: the table has {len(schema.names)} columns, over lrnn's limit of "
                f"{MAX_COLUMNS}; select the columns you need first."
            )
        wanted = None if columns is None else [c for c in schema.names if c in columns]
        _check_bytes(name, "the table", (meta.num_rows, len(wanted or schema.names)), 8)
        return pd.read_parquet(name, columns=wanted)
    except DataError:
        raise
    except Exception as e:  # noqa: BLE001 - pandas rebuilds a frame from the file's own
        # metadata, which fails in arbitrary ways (KeyError, TypeError, ...) when it is damaged
        raise DataError(
            f"{name}: not a readable Parquet file ({_short(e)}); check the file."
        ) from e


def _load_table(
    name: str, label: str, wanted: Sequence[str] | None, require_labels: bool
) -> Dataset:
    columns = None if wanted is None else [*wanted, label]
    df = _read_table(name, columns)
    return _frame_dataset(df, name, label, wanted, require_labels)


def _frame_dataset(
    df: Any, source: str, label: str, wanted: Sequence[str] | None, require_labels: bool
) -> Dataset:
    """A pandas DataFrame → Dataset: numeric feature columns and an optional label column."""
    import pandas as pd

    df = df.set_axis([str(c) for c in df.columns], axis=1)
    cols = list(df.columns)
    if df.shape[0] == 0:
        raise DataError(f"{source}: no examples (no data rows); add one row per example.")

    y = classes = None
    if label in cols:
        col = df[label]
        missing = col.isna().to_numpy()
        if missing.any():
            raise DataError(
                f"{source}: label column '{label}' is empty in row {int(missing.argmax()) + 1}; "
                "every example needs a label — fill it in or drop that row."
            )
        values = col.to_numpy() if pd.api.types.is_numeric_dtype(col) else col.astype(str)
        y, classes = _encode_labels(np.asarray(values), source, f"label column '{label}'")
    elif require_labels:
        raise DataError(
            f"{source}: no label column '{label}'; the columns are {_quoted(cols)} — name the "
            "label column with --label."
        )

    if wanted is not None:
        features = list(wanted)
        absent = [c for c in features if c not in cols]
        if absent:
            raise DataError(
                f"{source}: missing feature column(s) {_quoted(absent)} that the model was "
                "trained on; add them (extra columns are ignored)."
            )
    else:
        features = [c for c in cols if c != label]
        if not features:
            raise DataError(f"{source}: no feature columns besides '{label}'; add features.")
    for c in features:
        col = df[c]
        if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_complex_dtype(col):
            continue
        try:
            bad = (pd.to_numeric(col, errors="coerce").isna() & col.notna()).to_numpy()
        except (OverflowError, TypeError, ValueError):  # e.g. an integer too big for a float
            bad = col.notna().to_numpy() & np.array([not _is_float(v) for v in col], dtype=bool)
        row = int(bad.argmax()) if bad.any() else 0
        raise DataError(
            f"{source}: column '{c}' has non-numeric value '{_clip(col.iloc[row])}' "
            f"(row {row + 1}); features must be numeric — drop or encode that column."
        )
    X = df[features].to_numpy(dtype=np.float64, na_value=np.nan)
    _check_finite(X, source, features)
    spec = Preprocessing(kind="table", feature_names=tuple(features), label_column=label)
    names = [f"row {i + 1}" for i in range(X.shape[0])]
    return Dataset(np.ascontiguousarray(X), y, classes, names, spec, source)


# --------------------------------------------------------------------------------------------
# Arrays (.npz)


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
        raise DataError(
            f"{name}: array '{key}' is unreadable ({_short(e)}); check the file."
        ) from e
    if dtype.hasobject:
        raise DataError(
            f"{name}: array '{key}' holds Python objects (a pickle), which lrnn never loads "
            "because unpickling can run arbitrary code; save plain numeric arrays."
        )
    _check_bytes(name, f"array '{key}'", shape, dtype.itemsize)
    try:
        return z[key]
    except _ZIP_ERRORS as e:
        raise DataError(
            f"{name}: array '{key}' is unreadable ({_short(e)}); check the file."
        ) from e


def _array_dtype(X: np.ndarray) -> np.ndarray:
    """Keep float32/float64/uint8 as stored (they train as is); widen anything else."""
    if X.dtype in (np.float32, np.float64, np.uint8):
        return np.ascontiguousarray(X, dtype=X.dtype.newbyteorder("="))
    return np.ascontiguousarray(X, dtype=np.float64)


def _load_npz(name: str, require_labels: bool) -> Dataset:
    try:
        z = np.load(name, allow_pickle=False)
    except _ZIP_ERRORS as e:
        raise DataError(
            f"{name}: not a readable .npz file ({_short(e)}); save arrays with "
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
                f"{name}: no array named 'X' (found {_quoted(z.files)}); save with "
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
    X = _array_dtype(X)
    _check_finite(X, name, None)
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
        y, classes = _encode_labels(y_raw, name, "'y'")
    elif require_labels:
        raise DataError(
            f"{name}: no array named 'y' with the labels (found {_quoted(['X'])}); save with "
            "numpy.savez(path, X=features, y=labels)."
        )
    names = [str(i) for i in range(X.shape[0])]
    return Dataset(X, y, classes, names, Preprocessing(kind="array"), name)


# --------------------------------------------------------------------------------------------
# Built-in data sets (bundled with scikit-learn, no download)


def _builtin_name(name: str) -> str | None:
    """The built-in set ``name`` refers to: ``digits`` or ``builtin:digits`` (a file of that
    name in the current folder wins over the bare form)."""
    if name.startswith("builtin:"):
        key = name.removeprefix("builtin:")
        if key not in BUILTIN_NAMES:
            raise DataError(f"unknown built-in data set {key!r}; choose one of {_BUILTIN_HINT}.")
        return key
    if name in BUILTIN_NAMES and not os.path.exists(name):
        return name
    return None


def _digits_table() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 8×8 digits (pixels 0-16, labels), read from the file it ships.

    The file is found without importing scikit-learn (a second or more, longer than the whole
    default ``lrnn train``); ``load_digits`` is the fallback if the file has moved.
    """
    import gzip
    import importlib.util

    spec = importlib.util.find_spec("sklearn")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "datasets" / "data" / "digits.csv.gz"
        if path.is_file():
            with gzip.open(path, "rt") as f:
                table = np.loadtxt(f, delimiter=",")
            return table[:, :-1], table[:, -1].astype(np.int64)
    from sklearn import datasets

    d = datasets.load_digits()
    return d.data, d.target


def _builtin_raw(key: str, wanted: Sequence[str] | None) -> Dataset:
    source = f"builtin:{key}"
    if key == "digits":
        data, target = _digits_table()
        # sklearn's 0-16 intensities as 0-255 pixels, so digits train like any picture.
        # Threes against eights: two look-alike shapes in balanced numbers, so a linear
        # neuron has something to learn (about 98 % with the lesson's defaults) instead of
        # scoring 90 % by always answering "not zero".
        keep = np.flatnonzero((target == 3) | (target == 8))
        pixels = np.rint(data[keep] * (255 / 16)).astype(np.uint8).reshape(-1, 8, 8, 1)
        y = (target[keep] == 8).astype(np.int64)
        names = [f"digit-{i}" for i in range(len(keep))]
        return _image_dataset(pixels, y, ("three", "eight"), names, source)
    from sklearn import datasets

    d = datasets.load_breast_cancer(as_frame=True)
    frame = d.frame  # feature columns + "target" (0 malignant, 1 benign)
    ds = _frame_dataset(frame, source, "target", wanted, require_labels=True)
    spec = replace(ds.spec, label_column=None)  # "target" is sklearn's name, not the user's
    return replace(ds, classes=tuple(str(c) for c in d.target_names), spec=spec)
