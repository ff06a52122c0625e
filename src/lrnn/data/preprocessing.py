"""The preprocessing spec: how raw data became the ``X`` a model was trained on.

A saved model carries its :class:`Preprocessing`, so new data given to that model is converted
the same way (same image size and mode, same columns, same mean and std). The spec is read back
from a model file, which may be damaged or hostile, so :meth:`Preprocessing.from_dict` checks it
field by field.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from lrnn.data.checks import is_int, is_number
from lrnn.errors import DataError, ModelFileError, clipped_repr

#: What kind of data a model was trained on.
KINDS = ("image", "table", "array", "text", "svmlight")
#: What a model trained on each kind takes, as error messages say it.
TAKES = {
    "image": "image files or a folder of them",
    "table": "a .csv or .parquet file (or a folder of .parquet files)",
    "array": "a .npz or .npy file",
    "text": ".txt files, a folder of them, or - for one document per line",
    "svmlight": "an svmlight file (.svm, .svmlight, .libsvm)",
}
#: What a command that needs labels (evaluate, report, gradcheck, verify) takes, where it
#: differs from :data:`TAKES`: loose pictures and documents carry no class.
TAKES_LABELLED = {
    **TAKES,
    "image": "a folder with one sub-folder of images per class, or an .h5 file with labels",
    "text": "a folder with one sub-folder of .txt files per class (or, for a model trained "
    "on a table's text column, such a table with its label column)",
}


def takes(kind: str, labelled: bool) -> str:
    """What data to give a model trained on ``kind`` data, for a command with or without
    labels (the way out that error messages name)."""
    return (TAKES_LABELLED if labelled else TAKES)[kind]


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
    #: text models: the vectorizer settings (lrnn.data.text.DEFAULTS's keys)
    text: dict | None = field(default=None, hash=False)
    #: svmlight models: 0 or 1, how the training file numbered its features
    index_base: int | None = None
    #: svmlight models: the number of features (files to predict on may be narrower)
    width: int | None = None
    #: text models: the fitted vectorizer (not part of to_dict: it travels as the model's
    #: feature names and ``idf`` tensor; lrnn.data.text.model_spec attaches it)
    vectorizer: Any = field(default=None, compare=False, repr=False)
    #: tables: the encoding CSV files are read in (``--encoding``), for this run only: it is a
    #: property of a file, not of the model, so it is not part of to_dict
    encoding: str | None = field(default=None, compare=False, repr=False)
    #: tables: the columns training left out (``--drop``), known from the training run or the
    #: model's manifest: not news when a file to score has them (not part of to_dict)
    dropped: tuple[str, ...] = field(default=(), compare=False, repr=False)

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
        if self.width is not None:
            return self.width
        for names in (self.feature_names, self.mean):
            if names is not None:
                return len(names)
        return None

    def numbered_features(self, count: int) -> list[str]:
        """Names for ``count`` unnamed columns, numbered as their file numbers them: an
        svmlight file's own indices (one-based ones were shown one lower than the file writes
        them), else from 0. The report and the server show the same names."""
        base = (self.index_base or 0) if self.kind == "svmlight" else 0
        return [f"feature {i + base}" for i in range(count)]

    def with_text_column(self, column: str) -> Preprocessing:
        """This text model's preprocessing, reading its documents from a table's ``column``
        (a model of a folder of files scores a table of documents too)."""
        return replace(self, text={**(self.text or {}), "text_column": column})

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict; :meth:`from_dict` reads it back."""

        def floats(values: tuple[float, ...] | None) -> list[float] | None:
            return None if values is None else [float(v) for v in values]

        out = {
            "kind": self.kind,
            "image_shape": None if self.image_shape is None else [int(v) for v in self.image_shape],
            "scale": float(self.scale),
            "feature_names": None if self.feature_names is None else list(self.feature_names),
            "mean": floats(self.mean),
            "std": floats(self.std),
            "label_column": self.label_column,
        }
        if self.text is not None:  # only for these kinds: other models' bytes stay as they were
            out["text"] = dict(self.text)
        if self.index_base is not None:
            out["index_base"] = int(self.index_base)
        if self.width is not None:
            out["width"] = int(self.width)
        return out

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
        if not d:  # a ModelFile made in Python without one: readable, but for what data?
            raise ModelFileError(
                "the model file does not say what data it takes (its preprocessing is empty); "
                "retrain the model, or save it again with one, e.g. ModelFile(..., "
                "preprocessing={'kind': 'array'}) for .npy/.npz arrays or {'kind': 'table', "
                "'feature_names': [...]} for tables."
            )
        unknown = sorted(set(d) - (set(cls.__dataclass_fields__) - {"vectorizer"}))
        if unknown:
            raise ModelFileError(
                f"preprocessing has unknown field(s) {', '.join(map(repr, unknown))}; the model "
                "was written by a newer lrnn — upgrade lrnn to use it."
            )
        kind = d.get("kind")
        if kind not in KINDS:
            raise bad(f"kind {clipped_repr(kind)} is not one of {', '.join(KINDS)}")

        image_shape = d.get("image_shape")
        if image_shape is not None and not (
            isinstance(image_shape, list | tuple)
            and len(image_shape) == 3
            and all(is_int(v) and v > 0 for v in image_shape)
            and image_shape[2] in (1, 3)
        ):
            raise bad(f"image_shape {clipped_repr(image_shape)} is not [height, width, 1 or 3]")
        if kind == "image" and image_shape is None:
            raise bad("kind 'image' has no image_shape")

        scale = d.get("scale", 1.0)
        if not (is_number(scale) and math.isfinite(scale) and scale > 0):
            raise bad(f"scale {clipped_repr(scale)} is not a positive finite number")

        names, mean, std, label = _table_fields(d, bad)
        text, index_base, width = _sparse_fields(d, kind, bad)

        return cls(
            kind=kind,
            text=None if text is None else dict(text),
            index_base=index_base,
            width=None if width is None else int(width),
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
        with np.errstate(over="ignore", invalid="ignore"):
            Z = (X - np.asarray(self.mean)) / np.asarray(self.std)
        if not np.isfinite(Z).all() and np.isfinite(X).all():  # X's own NaN is named later
            row, col = (int(i) for i in np.argwhere(~np.isfinite(Z))[0])
            name = repr(self.feature_names[col]) if self.feature_names else str(col + 1)
            raise DataError(
                f"standardizing row {row + 1}, column {name} with the model's mean "
                f"{self.mean[col]:.6g} and std {self.std[col]:.6g} overflows (value "
                f"{X[row, col]:.6g}); the model's standardization does not fit this data — "
                "check the column, or retrain the model on data like it."
            )
        return Z


def _table_fields(d: dict, bad: Callable[[str], ModelFileError]) -> tuple:
    """A table model's feature names, standardisation and label column, each checked."""
    names = d.get("feature_names")
    if names is not None and not (
        isinstance(names, list | tuple) and all(isinstance(v, str) for v in names)
    ):
        raise bad("feature_names is not a list of strings")

    mean, std = d.get("mean"), d.get("std")
    for field_name, values in (("mean", mean), ("std", std)):
        if values is not None and not (
            isinstance(values, list | tuple)
            and all(is_number(v) and math.isfinite(v) for v in values)
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
        raise bad(f"label_column {clipped_repr(label)} is not a string")
    if label is not None and names is not None and label in names:  # training never writes it
        raise bad(f"label_column {clipped_repr(label)} is also one of its feature_names")
    return names, mean, std, label


def _sparse_fields(d: dict, kind: str, bad: Callable[[str], ModelFileError]) -> tuple:
    """A text model's vectorizer settings, or an svmlight model's index base and width."""
    text, index_base = d.get("text"), d.get("index_base")
    if text is not None:
        from lrnn.data.text import check_settings

        problem = check_settings(text)
        if problem:
            raise bad(f"text settings: {problem}")
    if (kind == "text") != (text is not None):
        raise bad("text settings belong to text models only")
    if index_base not in (None, 0, 1) or isinstance(index_base, bool):
        raise bad(f"index_base {clipped_repr(index_base)} is not 0 or 1")
    width = d.get("width")
    if width is not None and not (is_int(width) and width > 0):
        raise bad(f"width {clipped_repr(width)} is not a positive whole number")
    if (kind == "svmlight") != (width is not None and index_base is not None):
        raise bad("index_base and width belong to svmlight models only")
    return text, index_base, width
