"""A fitted :class:`~lrnn.estimator.LogisticNeuron` as an lrnn model file, and back.

Why: a model trained in Python should be servable (``lrnn serve``, ``lrnn predict``) and
shareable without pickle, whose files run code when opened. The model file is the CLI's own
(:mod:`lrnn.persist`): weights as tensors, everything else as checked JSON. The estimator's
``classes_`` keep their type through the file (class names are strings there), and a model
trained by ``lrnn train`` on a table, arrays, svmlight or pictures loads as an estimator that
takes the raw columns: its preprocessing (the pixels' 1/255, a table's standardization) is
folded into the weights.
"""

from __future__ import annotations

import math
import os
import warnings
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lrnn import persist
from lrnn.data import Preprocessing
from lrnn.data.dataset import label_name
from lrnn.errors import ModelFileError, UsageError

#: How ``classes_`` are turned back from the file's strings: the type they had when saved.
_CLASS_TYPES = {
    "int": int,
    "float": float,
    "bool": {"True": True, "False": False}.__getitem__,
    "str": str,
}


#: The class type of each dtype kind (strings, objects and the rest: "str"): what a file
#: records, and which dtypes a file may ask ``classes_`` to come back in.
_DTYPE_KINDS = {"i": "int", "u": "int", "f": "float", "b": "bool", "O": "str"}


def _class_type(classes: NDArray) -> str:
    return _DTYPE_KINDS.get(np.asarray(classes).dtype.kind, "str")


def _class_weight_pairs(weights: dict, classes: NDArray) -> list[list]:
    """A ``class_weight`` mapping as (class name, weight) pairs that load reads back in the
    classes' own type: each class's weight under that class's name ({True: 3} weighs the int
    class 1, as fit looks it up), then the weights of classes the data lacked (a cross-
    validation fold without a rare class), which a refit on all the data needs. A name that
    would not come back as the same value is said and left out."""
    known = classes.tolist()
    pairs = [[label_name(c), float(weights[c])] for c in known if c in weights]
    convert = _CLASS_TYPES[_class_type(classes)]
    lost = []
    for key in weights:
        if key in known:
            continue
        try:
            kept = convert(label_name(key)) == key
        except (KeyError, ValueError):
            kept = False
        if kept:
            pairs.append([label_name(key), float(weights[key])])
        else:
            lost.append(key)
    if lost:
        warnings.warn(
            f"class_weight names {', '.join(map(repr, lost))}, which a model file cannot "
            f"keep: its classes are {_class_type(classes)}s; the loaded estimator weighs such "
            "a class 1 — name classes with the classes' type to keep their weights.",
            UserWarning,
            stacklevel=4,
        )
    return pairs


def to_model_file(estimator: Any) -> persist.ModelFile:
    """The model file of a fitted estimator: a table when it was fitted on named columns
    (a DataFrame; ``lrnn predict`` then reads a CSV's columns by name), else arrays."""
    coef, intercept = np.asarray(estimator.coef_), np.asarray(estimator.intercept_)
    layer = len(estimator.classes_) > 2
    w = np.ascontiguousarray(coef.T) if layer else coef.ravel()
    b = intercept.astype(np.float64) if layer else float(intercept[0])
    names = getattr(estimator, "feature_names_in_", None)
    names = None if names is None else [str(n) for n in names]
    label = getattr(estimator, "label_column_", None)
    if names and label in names:  # y's Series was also a column of X: no column to leave out
        label = None
    spec = (
        Preprocessing(kind="table", feature_names=tuple(names), label_column=label)
        if names
        else Preprocessing(kind="array")
    )
    # numpy's scalars (a grid search's np.arange values, np.True_) as Python's: JSON keeps them
    given = {k: _plain(v) for k, v in estimator.get_params().items()}
    params = {k: v for k, v in given.items() if _scalar(v)}
    left_out = sorted(set(given) - set(params) - {"random_state", "class_weight"})
    if left_out:
        warnings.warn(
            f"{', '.join(f'{k}={given[k]!r}' for k in left_out)} cannot be saved in a model "
            "file; the loaded estimator has the default instead (the weights are saved as they "
            "are): give plain numbers or strings to keep it.",
            UserWarning,
            stacklevel=3,
        )
    seed = given.get("random_state")
    if seed is not None and not _scalar(seed):  # a RandomState or Generator
        warnings.warn(
            f"random_state={type(seed).__name__}(…) cannot be saved in a model file; the "
            "loaded estimator has random_state=None (the weights are saved as they are): "
            "give an int random_state to keep it.",
            UserWarning,
            stacklevel=3,
        )
        params["random_state"] = None
    weights = estimator.get_params().get("class_weight")
    if isinstance(weights, dict):  # JSON keys are strings: kept as (class name, weight) pairs
        params["class_weight"] = _class_weight_pairs(weights, estimator.classes_)
    _say_if_classes_change_type(estimator.classes_)
    loaded = getattr(estimator, "_loaded_from", None)
    if loaded is not None:
        source, kind = loaded
        warnings.warn(
            f"this estimator holds the weights of {source}, a model of {kind} data; saved, "
            f"it is a model of arrays of {estimator.n_features_in_} raw values (the {kind} "
            "preprocessing folded into its weights), which lrnn predict scores from .npy/.npz "
            f"rows, not from {kind} files: keep {source} for those.",
            UserWarning,
            stacklevel=3,
        )
    history = getattr(estimator, "history_", None)
    training = {
        "solver": getattr(estimator, "solver_", None),
        "learning_rate": getattr(estimator, "learning_rate_", None),
        "iterations": int(getattr(estimator, "n_iter_", 0)),
        "alpha": float(estimator.alpha),
        "saved_from": type(estimator).__name__,
        "class_type": _class_type(estimator.classes_),
        "class_dtype": np.asarray(estimator.classes_).dtype.str,
        "estimator_params": params,
    }
    return persist.ModelFile(
        w=w,
        b=b,
        classes=tuple(label_name(c) for c in estimator.classes_),
        preprocessing=spec.to_dict(),
        feature_names=names,
        training=training,
        manifest={},
        history={k: list(v) for k, v in history.items()} if history else None,
        # a threshold the loaded file carried (lrnn evaluate --save chose it) goes back into
        # the file: saving a loaded model again must not change what lrnn predict says
        threshold=float(getattr(estimator, "threshold_", 0.5)),
    )


def _say_if_classes_change_type(classes: NDArray) -> None:
    """A file keeps class names; ``load`` rebuilds ints, floats, bools and strings from them.
    Other labels (dates, a mix of types in an object array) come back as their names: said
    at save time, not found when ``predict`` returns strings."""
    names = tuple(label_name(c) for c in classes)
    back = _classes(names, _class_type(classes), np.asarray(classes).dtype.str, "the file")
    if back.tolist() != np.asarray(classes).tolist():
        warnings.warn(
            f"classes_ of dtype {np.asarray(classes).dtype} are saved as their names "
            f"({', '.join(map(repr, names[:3]))}{', …' if len(names) > 3 else ''}), and a "
            "loaded model predicts those strings; to get labels of another type back, map "
            "them after predict, or fit on int, float, bool or str labels.",
            UserWarning,
            stacklevel=3,
        )


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value it holds; anything else as it is."""
    return value.item() if isinstance(value, np.generic) else value


def _scalar(value: Any) -> bool:
    return value is None or (
        isinstance(value, str | bool | int | float)
        and not (isinstance(value, float) and not math.isfinite(value))
    )


def fitted_from_model_file(cls: type, path: str | os.PathLike) -> Any:
    """A fitted ``cls`` from a model file, predicting on raw columns as the file's own
    preprocessing would have prepared them."""
    name = os.fspath(path)
    model = persist.load_model(name)
    spec = Preprocessing.from_dict(model.preprocessing)
    if spec.kind == "text":
        raise ModelFileError(
            f"{name}: a text model needs its vectorizer, which an estimator does not hold; "
            "predict with `lrnn predict --model`, or in Python with "
            "lrnn.inference.Predictor.load(path).predict_documents([text, ...])."
        )
    w, b = _raw_weights(model, spec)
    estimator = cls()
    training = model.training
    class_type = training.get("class_type")
    params = training.get("estimator_params")
    if not isinstance(params, dict):  # a model of `lrnn train`: its manifest's settings
        params = _command_line_settings(model.manifest)
        if class_type is None:  # the command line records names only
            class_type = _command_line_class_type(model.classes)
    if isinstance(params, dict):
        known = estimator.get_params()
        estimator.set_params(**{k: v for k, v in params.items() if k in known and _scalar(v)})
        pairs = params.get("class_weight")
        if pairs is not None and not isinstance(pairs, str):  # "balanced" is set above
            if not (isinstance(pairs, list) and all(_weight_pair(p) for p in pairs)):
                raise ModelFileError(
                    f"{name}: its saved class_weight is not a list of (class, weight) pairs; "
                    "the file is corrupt — save the estimator again."
                )
            dtype = training.get("class_dtype")
            # a class the data lacked is typed alone: it may not fit the classes' dtype (300
            # beside int8 classes, "ccc" beside '<U1' ones)
            ours = [p for p in pairs if p[0] in model.classes]
            others = [p for p in pairs if p[0] not in model.classes]
            typed = [*_classes(tuple(p[0] for p in ours), class_type, dtype, name).tolist()]
            typed += _classes(tuple(p[0] for p in others), class_type, None, name).tolist()
            weights = dict(zip(typed, (p[1] for p in ours + others), strict=True))
            estimator.set_params(class_weight=weights)
        try:  # the file may be hostile: a refit must not run what the CLI would refuse
            estimator._validate_params()
        except (UsageError, ValueError) as exc:
            raise ModelFileError(
                f"{name}: its saved parameters cannot train ({exc}); the file is corrupt — "
                "save the estimator again."
            ) from exc
    classes = _classes(model.classes, class_type, training.get("class_dtype"), name)
    weights = estimator.get_params().get("class_weight")
    # fit's rule: a class the model lacks may be named only where every class of it is
    if (
        isinstance(weights, dict)
        and not set(weights) <= set(classes.tolist())
        and not set(classes.tolist()) <= set(weights)
    ):
        raise ModelFileError(
            f"{name}: its saved class_weight names classes the model does not have, but not "
            "every class it has; the file is corrupt — save the estimator again."
        )
    order = np.argsort(classes, kind="stable")  # fit's classes_ are sorted: keep that promise
    if w.ndim == 2:
        w, b = w[:, order], np.asarray(b)[order]
    elif order[0] == 1:  # P(classes[0]) = 1 − σ(z) = σ(−z)
        w, b = -w, -b
    estimator.coef_ = np.ascontiguousarray(w.T) if w.ndim == 2 else w.reshape(1, -1)
    estimator.intercept_ = np.asarray(b, dtype=w.dtype).reshape(-1).copy()
    estimator.classes_ = classes[order]
    if w.ndim == 1 and model.threshold != 0.5:
        # the threshold on P(classes_[1]), which is the file's P(classes[0]) when reordered
        estimator.threshold_ = model.threshold if order[0] == 0 else 1.0 - model.threshold
        warnings.warn(
            f"{name}: the model predicts {model.classes[1]!r} above the threshold "
            f"{model.threshold:g}, but the estimator's predict() uses 0.5; for the model's "
            f"rule compare predict_proba(X)[:, {int(order[0] == 0)}] with {model.threshold:g}.",
            UserWarning,
            stacklevel=3,
        )
    estimator.n_features_in_ = w.shape[0]
    # a model of pictures (or of an svmlight file) is folded into weights over raw values:
    # save() writes it as a model of arrays, which predict no longer reads pictures with
    estimator._loaded_from = (name, spec.kind) if spec.kind not in ("array", "table") else None
    if spec.kind == "table" and model.feature_names:
        estimator.feature_names_in_ = np.asarray(model.feature_names, dtype=object)
    estimator.label_column_ = spec.label_column if spec.kind == "table" else None
    iterations = training.get("iterations")
    estimator.n_iter_ = iterations if isinstance(iterations, int) else 0
    estimator.history_ = dict(model.history) if model.history else {}
    estimator.solver_ = training.get("solver")
    estimator.learning_rate_ = training.get("learning_rate")
    return estimator


def _command_line_settings(manifest: Any) -> dict | None:
    """The estimator parameters a model of ``lrnn train`` was trained with, from its manifest
    (its solver settings, and the request's class weights and validation fraction): without
    them the loaded estimator said solver='gd', alpha=0 — the defaults — and a refit or
    warm start ran something else."""
    if not isinstance(manifest, dict) or not isinstance(manifest.get("solver_settings"), dict):
        return None
    params = dict(manifest["solver_settings"])
    request = manifest.get("request")
    if isinstance(request, dict):
        weights = request.get("class_weight")
        if weights == "balanced":
            params["class_weight"] = "balanced"
        elif isinstance(weights, dict):  # {class name: weight}, as --class-weight JSON gives
            params["class_weight"] = [[str(k), v] for k, v in weights.items()]
        if request.get("validation_fraction") is not None:
            params["validation_fraction"] = request["validation_fraction"]
    return params


def _command_line_class_type(names: tuple[str, ...]) -> str:
    """The type of a command-line model's classes, which it records as names only: numbers
    when every name is one as lrnn writes them (label 10 is "10", 2.5 is "2.5"), so that
    ``classes_`` sort as ``fit`` sorts those labels (5, 6, 10, not "10", "5", "6") and
    ``score`` takes the file's own labels; bools when they are "False" and "True" (a table's
    True/False column, which pandas reads as bools: ``predict`` gave the strings, and
    ``pred == True`` was False everywhere); text otherwise. A sign written out ("+1" beside
    "-1", which the command line orders by value) is still the number: as text "+1" sorted
    first, and the estimator's positive class became -1."""
    from lrnn.data.dataset import label_name

    if set(names) == {"False", "True"}:
        return "bool"
    unsigned = [name.removeprefix("+") for name in names]
    for kind, convert in (("int", int), ("float", float)):
        try:
            if all(label_name(convert(name)) == name for name in unsigned):
                return kind
        except (ValueError, OverflowError):
            continue
    return "str"


def _raw_weights(model: persist.ModelFile, spec: Preprocessing) -> tuple[NDArray, Any]:
    """(w, b) on the raw columns: z = scale·((x − mean)/std)·w + b = x·w' + b'."""
    w = np.asarray(model.w)
    b = np.asarray(model.b, dtype=np.float64) if w.ndim == 2 else float(model.b)
    if spec.scale == 1.0 and spec.mean is None and spec.std is None:
        return w, b
    w64 = w.astype(np.float64) * spec.scale
    if spec.std is not None:
        std = np.asarray(spec.std, dtype=np.float64)
        w64 = w64 / (std[:, None] if w.ndim == 2 else std)
    if spec.mean is not None:
        b = b - np.asarray(spec.mean, dtype=np.float64) @ w64
    return w64.astype(w.dtype), b


def _weight_pair(pair: Any) -> bool:
    return (
        isinstance(pair, list)
        and len(pair) == 2
        and isinstance(pair[0], str)
        and isinstance(pair[1], int | float)
        and not isinstance(pair[1], bool)
        and math.isfinite(pair[1])
        and pair[1] >= 0
    )


def _classes(names: tuple[str, ...], class_type: Any, dtype: Any, name: str) -> NDArray:
    """``classes_`` from the file's names: their type, and their exact dtype (int8 stays int8)
    when the file records one that fits that type; a string's width comes from the names."""
    kind = class_type if isinstance(class_type, str) and class_type in _CLASS_TYPES else "str"
    convert = _CLASS_TYPES[kind]
    bad = ModelFileError(
        f"{name}: the class names {list(names)!r} are not of the type {class_type!r} the "
        "file records; the file is corrupt — save the estimator again."
    )
    try:
        values = [convert(c) for c in names]
    except (KeyError, ValueError) as exc:
        raise bad from exc
    try:
        wanted = np.dtype(dtype) if isinstance(dtype, str) else None
    except (TypeError, ValueError):  # not a dtype at all
        wanted = None
    fits = wanted is not None and wanted.shape == () and wanted.itemsize <= 16
    if not fits or _DTYPE_KINDS.get(wanted.kind) != kind:
        wanted = None
    try:
        classes = np.asarray(values, dtype=wanted)
    except (OverflowError, ValueError, TypeError) as exc:
        raise bad from exc
    if len(set(classes.tolist())) != len(names):  # "1" and " 1" are one int class
        raise ModelFileError(
            f"{name}: the class names {list(names)!r} name the same class twice as "
            f"{class_type!r}; the file is corrupt — save the estimator again."
        )
    return classes


__all__ = ["fitted_from_model_file", "to_model_file"]
