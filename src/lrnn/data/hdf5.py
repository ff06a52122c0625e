"""HDF5 files in the lesson's layout: ``*_set_x`` pictures (or a 2-D array), ``*_set_y`` labels
and ``list_classes`` naming the two classes.

Only plain datasets stored in the file itself are read (a soft or external link could make h5py
open other files), each after checking its declared size. h5py is imported inside the functions.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

import numpy as np

from lrnn.data.arrays import array_dtype, transposed_hint
from lrnn.data.checks import check_bytes, check_expansion, check_finite, quoted, short
from lrnn.data.dataset import (
    MAX_CLASSES,
    Dataset,
    class_name_problem,
    encode_labels,
    look_alike_problem,
    row_names,
)
from lrnn.data.images import image_dataset
from lrnn.data.preprocessing import Preprocessing
from lrnn.errors import DataError, user_stacklevel


def load_course_h5(
    path: str | os.PathLike, part: str | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The lesson's HDF5 file as the lesson reads it: ``(x_orig, y, classes)``.

    ``x_orig`` is ``(m, h, w, c)`` uint8, ``y`` ``(m,)`` int64, ``classes`` the raw
    ``list_classes`` bytes. Sizes are checked before anything is read. ``part`` ("train" or
    "test"): the set the caller expects, so that two paths given the wrong way round are said
    (the lesson's files name their set in their keys) instead of training on the test set.
    """
    name = os.fspath(path)
    raw = read_h5(name, require_labels=True)
    held = str(raw["x_key"]).split("_", 1)[0]
    if part is not None and held in ("train", "test") and held != part:
        raise DataError(
            f"{name}: holds the {held} set ('{raw['x_key']}') where the {part} set was expected; "
            f"the order is load_dataset(train_path, test_path) — give the {part} set's file "
            f"(e.g. {part}_catvnoncat.h5) there, swapping the two paths if they are the wrong "
            "way round."
        )
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


def read_h5(name: str, require_labels: bool) -> dict[str, Any]:
    """Read the lesson's ``*_set_x``/``*_set_y``/``list_classes`` after checking their sizes."""
    import h5py

    if not os.path.exists(name):
        raise DataError(f"{name}: no such file; check the path.")
    if os.path.isdir(name):  # h5py's own words for it are cut off mid-sentence
        inside = sorted(entry.name for entry in os.scandir(name) if entry.name.endswith(".h5"))
        named = f" (it holds {', '.join(inside[:3])})" if inside else ""
        raise DataError(f"{name}: a folder, not an HDF5 file{named}; give the file's own path.")
    try:
        f = h5py.File(name, "r")
    except OSError as e:
        raise DataError(
            f"{name}: not a readable HDF5 file ({short(e)}); give the lesson's .h5 file or "
            "another supported format."
        ) from e
    with f:
        try:
            return _h5_contents(f, name, require_labels)
        except DataError:
            raise
        except (OSError, ValueError, KeyError, TypeError, RuntimeError) as e:
            raise DataError(
                f"{name}: cannot read the HDF5 data ({short(e)}); the file may be truncated or "
                "corrupt."
            ) from e


def _h5_contents(f: Any, name: str, require_labels: bool) -> dict[str, Any]:
    import h5py

    keys = sorted(f.keys())
    x_keys = [k for k in keys if k.endswith("_set_x")]
    if len(x_keys) != 1:
        raise DataError(
            f"{name}: expected one dataset named '*_set_x' (with '*_set_y' and "
            f"'list_classes'), found keys {quoted(keys)}; use the lesson's file layout."
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
        check_bytes(name, f"'{key}'", obj.shape, obj.dtype.itemsize)
        # compressed, or never written (read as its fill value): chunked or not, a 6 KB file
        # declaring an unwritten contiguous array took 7.5 GB to read
        stored = obj.id.get_storage_size()
        check_expansion(name, f"'{key}'", stored, obj.size * obj.dtype.itemsize)
        return obj

    xd = dataset(x_key)
    kind = xd.dtype.kind
    if xd.ndim in (3, 4) and kind == "f":  # pictures already scaled, most likely to 0–1
        raise DataError(
            f"{name}: '{x_key}' holds pictures of dtype {xd.dtype} (shape {xd.shape}); lrnn "
            "reads pictures as 0-255 integers and scales them itself: store them as uint8 — "
            "(x * 255).round().astype('uint8') if they are 0–1 — or as a 2-D array "
            "(examples, features) to train on the values as they are."
        )
    if xd.ndim == 2 and xd.dtype == np.uint8 and xd.shape[1] >= 64:
        warnings.warn(  # the lesson flattens its pictures after loading them, not before
            f"{name}: '{x_key}' is a 2-D array of uint8 ({xd.shape[0]} × {xd.shape[1]}): read "
            "as a table of numbers, not as pictures, so not scaled by 1/255; if these are "
            "flattened pictures, store them as (examples, height, width, channels).",
            stacklevel=user_stacklevel(),
        )
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
    if x.ndim == 4 and x.dtype == np.bool_:  # black and white: True is white (255), not 1
        x = np.where(x, np.uint8(255), np.uint8(0))
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
        if (y.ndim != 1 or y.shape[0] != x.shape[0]) and not require_labels:
            y = None  # predict ignores labels, even those that do not fit
        elif y.ndim != 1 or y.shape[0] != x.shape[0]:
            columns = x.shape[-1] if x.ndim == 2 else None
            raise DataError(
                f"{name}: '{y_key}' has shape {yd.shape} but '{x_key}' has {x.shape[0]} "
                "examples; " + transposed_hint(f"'{x_key}'", y.size, x.shape[0], columns, "example")
            )
    elif require_labels:
        raise DataError(
            f"{name}: no '{y_key}' labels next to '{x_key}' (keys: {quoted(keys)}); add the "
            "labels or predict instead of training."
        )

    classes = None
    if "list_classes" in keys:
        classes = np.asarray(dataset("list_classes")[()])
    return {"x": x, "y": y, "classes": classes, "x_key": x_key, "y_key": y_key}


def _class_name(value: object, index: int, name: str) -> str:
    if isinstance(value, np.ndarray | list | tuple):  # a variable-length array type
        raise DataError(
            f"{name}: 'list_classes' entry {index} is an array ({str(value)[:40]}), not a class "
            "name; store the class names as text."
        )
    if not isinstance(value, bytes):
        return str(value)
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError as e:
        raise DataError(
            f"{name}: 'list_classes' entry {index} is not UTF-8 text ({e.reason}); store the "
            "class names as UTF-8."
        ) from e


def load_h5(name: str, require_labels: bool) -> Dataset:
    raw = read_h5(name, require_labels)
    x = raw["x"]
    m = x.shape[0]
    if m == 0:
        raise DataError(f"{name}: '{raw['x_key']}' holds no examples; give a file with data.")
    y, classes = None, None
    if raw["y"] is not None:
        try:
            y, classes = _labels(raw, name)
        except DataError:
            if require_labels:
                raise
            # predict ignores labels, as it ignores a table's label column: even broken ones
    if x.ndim == 4:
        return image_dataset(x, y, classes, row_names(m), name)
    X = array_dtype(x)
    check_finite(X, name, None)
    spec = Preprocessing(kind="array")
    return Dataset(X, y, classes, row_names(m), spec, name)


def _labels(raw: dict[str, Any], name: str) -> tuple[np.ndarray, tuple]:
    """``*_set_y`` as class indices, and the class names (``list_classes``, else the labels'
    own values), each checked."""
    y_raw, classes_raw = raw["y"], raw["classes"]
    if classes_raw is None:
        y, classes = encode_labels(y_raw, name, f"'{raw['y_key']}'")
    else:
        if classes_raw.ndim > 1 and max(classes_raw.shape) == classes_raw.size:
            classes_raw = classes_raw.reshape(-1)  # a (K, 1) or (1, K) list: one name each
        if classes_raw.ndim != 1:
            raise DataError(
                f"{name}: 'list_classes' has shape {classes_raw.shape}; give a 1-D list "
                "of class names, one per label value."
            )
        classes = tuple(_class_name(c, i, name) for i, c in enumerate(classes_raw))
        blank = next((i for i, c in enumerate(classes) if not c.strip()), None)
        if blank is not None:  # every prediction would print an empty label
            raise DataError(
                f"{name}: 'list_classes' entry {blank} is empty; name every class (the "
                "lesson's file has b'non-cat', b'cat')."
            )
        if len(classes) < 2:
            raise DataError(
                f"{name}: 'list_classes' names {len(classes)} class(es) "
                f"({quoted(classes, 5)}); name two or more classes."
            )
        problem = class_name_problem(classes)
        if problem:
            raise DataError(
                f"{name}: 'list_classes' has {problem}; give at most {MAX_CLASSES} classes "
                "with short, readable names."
            )
        alike = look_alike_problem(classes)
        if alike:
            raise DataError(f"{name}: in 'list_classes', {alike}; name each class one way.")
        if len(set(classes)) != len(classes):
            twice = next(c for c in classes if classes.count(c) > 1)
            raise DataError(
                f"{name}: 'list_classes' names the class {twice!r} twice; give the "
                "classes different names."
            )
        K = len(classes)
        if y_raw.dtype.kind not in "biuf" or not np.isin(y_raw, np.arange(K)).all():
            allowed = "0 or 1" if K == 2 else f"0 … {K - 1}"
            raise DataError(
                f"{name}: '{raw['y_key']}' must hold {allowed} (an index into "
                "list_classes); fix the labels."
            )
        y = y_raw.astype(np.int64)
    return y, classes
