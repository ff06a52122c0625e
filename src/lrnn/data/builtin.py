"""Data sets bundled with scikit-learn (no download): ``digits`` (threes against eights),
``digits10`` (all ten digits) and ``breast_cancer``."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from lrnn.data.dataset import Dataset
from lrnn.data.images import image_dataset
from lrnn.data.tables import frame_dataset
from lrnn.errors import DataError

BUILTIN_NAMES = ("digits", "digits10", "breast_cancer")
DEFAULT_BUILTIN = "digits"
#: The built-in names as an error message lists them.
BUILTIN_HINT = "digits, digits10, breast_cancer"


#: The classes of ``digits10``, in label order.
DIGIT_NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def builtin_name(name: str) -> str | None:
    """The built-in set ``name`` refers to: ``digits`` or ``builtin:digits`` (a file of that
    name in the current folder wins over the bare form)."""
    if name.startswith("builtin:"):
        key = name.removeprefix("builtin:")
        if key not in BUILTIN_NAMES:
            raise DataError(f"unknown built-in data set {key!r}; choose one of {BUILTIN_HINT}.")
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


def builtin_raw(key: str, wanted: Sequence[str] | None) -> Dataset:
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
        return image_dataset(pixels, y, ("three", "eight"), names, source)
    if key == "digits10":
        # All ten digits, 1797 pictures: a softmax layer of ten neurons, one per digit.
        data, target = _digits_table()
        pixels = np.rint(data * (255 / 16)).astype(np.uint8).reshape(-1, 8, 8, 1)
        names = [f"digit-{i}" for i in range(len(target))]
        return image_dataset(pixels, target, DIGIT_NAMES, names, source)
    from sklearn import datasets

    d = datasets.load_breast_cancer(as_frame=True)
    frame = d.frame  # feature columns + "target" (0 malignant, 1 benign)
    ds = frame_dataset(frame, source, "target", wanted, require_labels=True)
    spec = replace(ds.spec, label_column=None)  # "target" is sklearn's name, not the user's
    return replace(ds, classes=tuple(str(c) for c in d.target_names), spec=spec)
