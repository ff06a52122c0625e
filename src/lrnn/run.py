"""What the CLI and the estimator both need before training, written once.

* the hold-out split — one algorithm (:func:`lrnn.data.split_rows`), so ``lrnn train
  --early-stopping`` and ``LogisticNeuron(early_stopping=True)`` hold out the same rows for the
  same seed and data;
* the CLI's training data: loaded into memory (train / test / validation parts, backends) or
  streamed from disk, with the description, fingerprint and accuracy functions the CLI prints
  and stores.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lrnn import config as defaults
from lrnn import metrics, persist
from lrnn.class_weights import (
    class_factors,
    combine_weights,
    refuse_weightless_class,
    validation_class_weights,
)
from lrnn.data import columns, limits
from lrnn.data.checks import clip
from lrnn.errors import DataError, UnbalancedClassesWarning, UsageError


# --------------------------------------------------------------------------------------------
# Hold-out
# --------------------------------------------------------------------------------------------
def hold_out_rows(
    y: NDArray,
    fraction: float,
    seed: int | None,
    *,
    source: str = "the data",
    why: str = "early_stopping could not hold out a validation part",
    fix: str = "give more data, a larger validation_fraction, or eval_set=(X_val, y_val)",
    held_for: str = "validation",
    option: str = "validation_fraction",
) -> tuple[NDArray, NDArray]:
    """``(training rows, held-out rows)``; the training part must keep two classes."""
    from lrnn.data import split_rows

    kept, held = split_rows(y, len(y), fraction, seed, source, held_for, option, why, fix)
    if np.unique(y[kept]).size < 2:
        raise DataError(
            f"{why}: the {kept.size} example(s) left for training after holding out "
            f"{fraction:g} of {len(y)} are all of one class; {fix}."
        )
    return kept, held


def testing_seed(seed: int | None) -> int:
    """The seed of the test hold-out: ``--seed``, else the default random_state."""
    return seed if seed is not None else defaults.default("random_state")


def hold_out_for_testing(
    y: NDArray, seed: int, source: str = "the data"
) -> tuple[NDArray, NDArray]:
    """``(training rows, held-out test rows)`` of ``lrnn train`` without ``--test``: the one
    split, so that a model's rows can be found again from its seed (lrnn evaluate does)."""
    pct = f"{100 * defaults.TEST_FRACTION:g} %"
    return hold_out_rows(
        y,
        defaults.TEST_FRACTION,
        seed,
        source=source,
        why=f"{source}: holding out {pct} for testing failed",
        fix="give more examples, or a separate --test file",
        held_for="testing",
        option="--test file",
    )


# --------------------------------------------------------------------------------------------
# The CLI's training data
# --------------------------------------------------------------------------------------------
@dataclass
class TrainingRequest:
    """The data-related choices of one ``lrnn train`` (or ``compare-lr``) run."""

    data: str | None
    test: str | None = None
    validation: str | None = None
    label: str = "label"
    image_size: tuple[int, int] | None = None
    standardize: bool = False
    stream: bool = False
    early_stopping: bool = False
    validation_fraction: float | None = None
    class_weight: str | dict | None = None
    backend: str = "auto"
    seed: int | None = None
    positive_class: str | None = None
    text: dict | None = None  # text settings (lrnn.data.text.settings) for text data
    #: without --test, hold out TEST_FRACTION for testing (False: train on all of it, no test)
    hold_out_test: bool = True
    #: the rows --standardize takes its mean and std from: "training rows" (held-out test rows
    #: left out), or "all rows", as models made before that rule were standardized — a
    #: manifest without this field is one of those, and verify and resume repeat its rule
    standardize_on: str = "training rows"
    #: table columns not to train on (an ID, a row number): ``--drop``
    drop: tuple[str, ...] = ()
    #: whether a column that numbers the rows is pointed out (not when a model's manifest is
    #: repeated: verify and resume cannot change what it dropped)
    advise_columns: bool = True

    #: what a model's manifest keeps so that ``lrnn verify`` prepares the same training data
    REPRODUCE = (
        "data", "test", "validation", "label", "image_size", "standardize", "stream",
        "early_stopping", "validation_fraction", "class_weight", "positive_class", "text",
        "backend", "standardize_on", "drop",
    )  # fmt: skip

    def to_manifest(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in self.REPRODUCE}

    @classmethod
    def from_manifest(
        cls, stored: dict, data_path: str | None, label: str | None, source: str = "the model"
    ) -> TrainingRequest:
        """The request that prepared a model's training data, to prepare it again here: the
        test part is not needed (only the training rows are), unless it came out of the data.
        The manifest may be corrupt or hostile: every value's type is checked first."""
        from lrnn.errors import ModelFileError

        known = {k: stored[k] for k in cls.REPRODUCE if k in stored}
        known.setdefault("standardize_on", "all rows")  # written before the field existed
        given = {"data": data_path, "label": label}  # what the command line replaces
        for key, value in known.items():
            if not _REQUEST_TYPES[key](value) and not given.get(key):
                way_out = {
                    "data": "give the training data as DATA, or ",
                    "label": "give --label, or ",
                }
                why = _text_settings_problem(value) if key == "text" else None  # which setting
                raise ModelFileError(
                    f"{source}: the manifest's {key}={clip(repr(value), 200)} cannot be used"
                    f"{f' ({why})' if why else ''}; the file is corrupt — "
                    f"{way_out.get(key, '')}retrain it with lrnn train."
                )
        if known.get("image_size") is not None:
            known["image_size"] = tuple(known["image_size"])
        known["drop"] = tuple(known.get("drop") or ())
        hold_out = not known.pop("test", None)
        # verify retrains on the backend that trained the bits
        backend = arithmetic_backend(known.pop("backend", None))
        request = cls(**known, hold_out_test=hold_out, backend=backend, advise_columns=False)
        request.data = data_path or request.data
        request.label = label or request.label
        return request


def arithmetic_backend(recorded: Any) -> str:
    """The backend whose sums a run's bits came from, as a request names it: Dask and torch
    sum in their own order; any other run was in memory or streamed, as its data decides
    ("auto": a streamed model was told "--backend numpy … drop --backend")."""
    return recorded if recorded in ("dask", "torch") else "auto"


def _optional(kind: type) -> Callable[[Any], bool]:
    return lambda v: v is None or (isinstance(v, kind) and not isinstance(v, bool))


_REQUEST_TYPES: dict[str, Callable[[Any], bool]] = {
    "data": _optional(str),
    "test": _optional(str),
    "validation": _optional(str),
    "label": lambda v: isinstance(v, str),
    "image_size": lambda v: (
        v is None
        or (isinstance(v, list | tuple) and len(v) == 2 and all(_optional(int)(x) for x in v))
    ),
    "standardize": lambda v: isinstance(v, bool),
    "stream": lambda v: isinstance(v, bool),
    "early_stopping": lambda v: isinstance(v, bool),
    "validation_fraction": lambda v: v is None or (_optional(float)(v) and 0 < v < 1),
    "class_weight": lambda v: v is None or v == "balanced" or defaults.is_class_weight_mapping(v),
    "positive_class": _optional(str),
    "text": lambda v: v is None or _text_settings_problem(v) is None,
    "backend": lambda v: isinstance(v, str),
    "standardize_on": lambda v: v in ("training rows", "all rows"),
    "drop": lambda v: isinstance(v, list | tuple) and all(isinstance(c, str) for c in v),
}


def _text_settings_problem(value: Any) -> str | None:
    from lrnn.data.text import check_settings

    return check_settings(value)


@dataclass
class TrainingData:
    """What a training command needs, whether the examples sit in memory or stream from disk."""

    backend: Any
    validation: Any
    spec: Any
    classes: tuple[str, ...]
    info: dict  # source, n_samples, n_features, sha256 (goes into checkpoints and the manifest)
    source: str
    stored_dtype: str
    test_description: str
    train_accuracy: Callable[[NDArray, float], float]
    test_accuracy: Callable[[NDArray, float], float]
    test_ds: Any = None
    train_ds: Any = None
    request: TrainingRequest | None = None


def logits(w: NDArray, b: Any, ds: Any, scale: float) -> NDArray:
    """z for every example of a dataset, its width checked against the weights first: (m,)
    for the sigmoid neuron, (m, K) for a softmax layer (w (n, K), b (K,))."""
    from lrnn import data, inference

    data.check_width(ds, np.asarray(w).shape[0])
    return inference.logits(w, b, ds.X, scale, inference.row_namer(ds))


def load_train_and_test(request: TrainingRequest) -> tuple[Any, Any, str]:
    """Training and test datasets, and how the test part came to be."""
    train_ds, test_ds, how = _natural_train_and_test(request)
    return _positive(train_ds, request), _positive(test_ds, request), how


def _positive(ds: Any, request: TrainingRequest) -> Any:
    """``ds`` with the request's positive class, if it names one. Applied after every
    hold-out: the rows held out must not depend on which class is called positive (the split
    draws its rows class by class, in the order of the classes' codes)."""
    from lrnn import data

    if ds is None or request.positive_class is None:
        return ds
    return data.set_positive_class(ds, request.positive_class)


def _say_if_the_same(
    path: str,
    training: str,
    flag: str,
    consequence: str,
    what: str = "the training data",
    remedy: str = "give data the model does not train on",
) -> None:
    """A held-out file or folder that is the training (or the test) data itself: allowed, but
    said (a folder of documents or pictures given twice scored 100 % without a word)."""
    if _same_path(path, training):
        warnings.warn(f"{flag} {path} is {what} itself, so {consequence}; {remedy}.", stacklevel=3)


def _say_if_a_copy(request: TrainingRequest, info: dict, train: Any, test: Any, valid: Any) -> None:
    """A --test or --validation file holding the very examples trained on, under another name
    (a copied folder scored 100 % without a word; the same path is said by its name), or
    mostly them: the whole training file given as --validation where a part of it was held
    out for the test score, so the rows trained on are 80 % of it."""
    from lrnn import data
    from lrnn.data.fingerprint import row_keys, shared_examples

    source = request.data or data.DEFAULT_BUILTIN
    keys = None
    for flag, path, key, ds, consequence in (
        ("--test", request.test, "test_sha256", test, "the test score measures nothing new"),
        ("--validation", request.validation, "validation_sha256", valid, _WATCHES_ITS_OWN),
    ):
        if not path or ds is None or _same_path(path, source):
            continue
        if info.get(key) == info["sha256"]:
            held = "the very examples trained on (a copy of the training data)"
        else:
            keys = row_keys(train.X, train.y) if keys is None else keys
            # where most training rows repeat (a few binary or categorical columns, with few
            # possible rows), any other data set shares them too: nothing to tell
            if 2 * np.unique(keys).size < keys.size:
                continue
            shared, total = shared_examples(keys, ds.X, ds.y), ds.X.shape[0]
            if 2 * shared < total:  # a few repeated examples: ordinary in many tables
                continue
            held = f"{shared} of its {total} examples among the examples trained on"
        warnings.warn(
            f"{flag} {path} holds {held}, so {consequence}; give data the model does not train on.",
            stacklevel=3,
        )


_WATCHES_ITS_OWN = "early stopping and the validation loss watch the very examples the model fits"


def _same_path(path: str, other: str) -> bool:
    """One file or folder, or one built-in data set by its name ("digits")."""
    if path == other:
        return True
    try:
        return os.path.exists(path) and os.path.samefile(path, other)
    except OSError:
        return False


#: Whose preprocessing a test or validation file must match, in messages (there is no model yet).
_TRAINING_IS = "the training data is"


def held_spec(spec: Any, text: dict | None) -> Any:
    """The preprocessing a --test or --validation file is read with: the training data's,
    except that documents read from a folder leave ``--text-column`` to name the column of
    documents of such a file that is a table (the training data has no column to name)."""
    column = (text or {}).get("text_column")
    if spec.kind != "text" or column is None or spec.text.get("text_column") is not None:
        return spec
    return spec.with_text_column(column)


def _natural_train_and_test(request: TrainingRequest) -> tuple[Any, Any, str]:
    """:func:`load_train_and_test` with the classes in their natural order (the positive class
    not applied yet)."""
    from lrnn import data

    source = request.data or data.DEFAULT_BUILTIN
    # with a hold-out, the mean and std come from the rows trained on, after the split: the
    # held-out rows' own statistics would leak into the model that is scored on them
    held_out = (
        not request.test and request.hold_out_test and request.standardize_on == "training rows"
    )
    # standardized here, not by the loader: after --drop (the statistics are of the columns
    # kept) and after the look at the file's own values for a column that numbers the rows
    ds = data.load(
        source,
        label=request.label,
        image_size=request.image_size,
        text=request.text,
        drop=request.drop,
    )
    if request.advise_columns:
        columns.say_if_a_column_numbers_the_rows(ds)
    if request.standardize and not held_out:
        from lrnn.data.dataset import standardize

        ds = standardize(ds)
    if request.positive_class is not None:  # a name the data lacks is refused before any work
        _positive(ds, request)
    from lrnn.data.images import check_image_size

    check_image_size(request.image_size, ds)
    if request.test:
        _say_if_the_same(request.test, source, "--test", "the test score measures nothing new")
        layout = data.out_of_core_layout(request.test)
        if os.path.isdir(request.test) and layout in ("zarr", "parquet"):
            raise data.streamed_only(f"--test {request.test}", layout == "zarr", as_test=True)
        # what loading said (pictures resized, …) waits until the classes are known to
        # match: a refusal comes alone, not after advice about a file that cannot be used
        with warnings.catch_warnings(record=True) as said:
            test = data.load(
                request.test, label=request.label, spec=held_spec(ds.spec, request.text),
                spec_of=_TRAINING_IS,
            )  # fmt: skip
            test = data.align_classes(test, ds.classes, "the training data's")
        for w in said:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        return ds, test, "--test " + request.test
    if not request.hold_out_test:
        return ds, data.subset(ds, np.arange(0)), "none"
    seed = testing_seed(request.seed)
    kept, held = hold_out_for_testing(ds.y, seed, ds.source)
    pct = f"{100 * defaults.TEST_FRACTION:g} %"
    train_part, test_part = data.subset(ds, kept), data.subset(ds, held)
    if request.standardize and held_out:
        from dataclasses import replace

        from lrnn.data.dataset import standardize

        train_part = standardize(train_part)
        spec = train_part.spec
        test_part = replace(test_part, X=spec.transform(test_part.X), spec=spec)
    return train_part, test_part, f"a {pct} hold-out (seed {seed})"


def feature_names(spec: Any) -> list[str] | None:
    """A table's columns, or a text model's vocabulary (its words, in column order)."""
    if spec.vectorizer is not None and spec.vectorizer.vocabulary is not None:
        return list(spec.vectorizer.vocabulary)
    return list(spec.feature_names) if spec.feature_names else None


def scaling_can_help(spec: Any, standardized: bool) -> bool:
    """Whether a too-large-step message may advise standardizing: for a table's (or an
    array's) columns that are not standardized yet — not for pictures (pixels share one scale,
    1/255), text (TF-IDF rows already have length 1) or sparse svmlight columns (centring
    them would make every zero a value)."""
    return spec.kind in ("table", "array") and not standardized


def prepare(request: TrainingRequest, seed: int | None, backend_name: str) -> TrainingData:
    """Training data in memory or streamed, as the request's data asks."""
    from dataclasses import replace

    from lrnn import data
    from lrnn.data.builtin import builtin_name

    builtin = builtin_name(request.data or data.DEFAULT_BUILTIN)
    if request.stream and builtin is not None:  # said, not left aside (or looked for on disk)
        raise UsageError(
            f"--stream reads training data from disk (.npy files, a Zarr store, Parquet); the "
            f"built-in {builtin!r} is small and loaded into memory — drop --stream."
        )
    if data.is_out_of_core(request.data, request.stream):
        td = _streamed(request)
    else:
        td = _in_memory(request, seed, backend_name)
    problem = persist.names_problem(feature_names(td.spec), td.classes)
    if problem:  # found before training, not when the model is saved
        raise DataError(f"{td.source}: {problem}")
    n, K = td.backend.n_features, len(td.classes)
    weight_bytes = 8 * n * (K if K > 2 else 1)
    if weight_bytes > limits.MAX_WEIGHT_BYTES:  # a 7 KB svmlight file asked for 37.5 GiB
        raise DataError(
            f"{td.source}: {n} features × {K} classes need {weight_bytes / 2**30:.1f} GiB of "
            f"weights, over lrnn's limit of {limits.MAX_WEIGHT_BYTES / 2**30:g} GiB; use fewer "
            "features (renumber an svmlight file's indices, or a smaller --hashing width) or "
            "fewer classes."
        )
    return replace(td, request=request)


def _in_memory(request: TrainingRequest, seed: int | None, backend_name: str) -> TrainingData:
    from lrnn import data
    from lrnn.backends import make_backend

    with warnings.catch_warnings():
        if request.class_weight is not None:  # the remedy the warning suggests is taken
            warnings.simplefilter("ignore", UnbalancedClassesWarning)
        train_ds, test_ds, test_desc = _natural_train_and_test(request)
    validation_ds = None
    if request.validation:
        source = request.data or data.DEFAULT_BUILTIN
        _say_if_the_same(
            request.validation,
            source,
            "--validation",
            _WATCHES_ITS_OWN,
        )
        if request.test:  # the examples that chose the weights would also score them
            _say_if_the_same(
                request.validation,
                request.test,
                "--validation",
                "the test score is measured on the examples that chose the weights kept (early "
                "stopping) and flatters the model"
                if request.early_stopping
                else "the validation curve and the test score measure the same examples, so the "
                "test score says nothing the curve did not",
                what="the --test data",
                remedy="give a validation file apart from the test file",
            )
        validation_ds = data.align_classes(
            data.load(
                request.validation,
                label=request.label,
                spec=held_spec(train_ds.spec, request.text),
                spec_of=_TRAINING_IS,
            ),
            train_ds.classes,
            "the training data's",
        )
    if request.early_stopping and validation_ds is None:
        fraction = request.validation_fraction or defaults.VALIDATION_FRACTION
        kept, held = hold_out_rows(
            train_ds.y,
            fraction,
            seed,
            source=train_ds.source,
            why="--early-stopping could not hold out a validation part",
            fix="give more data, a larger --validation-fraction, or --validation FILE",
            option="--validation-fraction, or a --validation file",
        )
        train_ds, validation_ds = data.subset(train_ds, kept), data.subset(train_ds, held)
    train_ds, test_ds = _positive(train_ds, request), _positive(test_ds, request)
    validation_ds = _positive(validation_ds, request)
    scale = train_ds.spec.scale
    factors = class_factors(
        request.class_weight, train_ds.y, train_ds.classes, option="--class-weight"
    )
    weights = combine_weights(
        None, None if factors is None else factors[train_ds.y], "--class-weight"
    )
    refuse_weightless_class(weights, train_ds.y, train_ds.classes, "--class-weight")
    K = len(train_ds.classes)
    backend = make_backend(train_ds.X, train_ds.y, weights, scale, backend_name, n_classes=K)
    backend.scaling_advice = scaling_can_help(train_ds.spec, request.standardize)
    validation = None
    if validation_ds is not None:
        validation_weights = validation_class_weights(validation_ds.y, factors)
        validation = make_backend(
            validation_ds.X, validation_ds.y, validation_weights, scale, "numpy", K
        )
    info = {
        "source": train_ds.source,
        "n_samples": int(train_ds.X.shape[0]),
        "n_features": int(train_ds.X.shape[1]),
        "sha256": data.data_sha256(train_ds.X, train_ds.y),
        # so that a report on exactly these examples can say they were held out
        "test_sha256": data.data_sha256(test_ds.X, test_ds.y),
    }
    if request.validation and validation_ds is not None:  # verify names a changed file
        info["validation_sha256"] = data.data_sha256(validation_ds.X, validation_ds.y)
    _say_if_a_copy(request, info, train_ds, test_ds, validation_ds if request.validation else None)
    if K > 2:
        info["n_classes"] = K
    return TrainingData(
        backend=backend,
        validation=validation,
        spec=train_ds.spec,
        classes=tuple(train_ds.classes),
        info=info,
        source=train_ds.source,
        stored_dtype=str(train_ds.X.dtype),
        test_description=f"{test_desc} ({_examples(test_ds.X.shape[0])})",
        train_accuracy=lambda w, b: metrics.accuracy(logits(w, b, train_ds, scale), train_ds.y),
        test_accuracy=lambda w, b: metrics.accuracy(logits(w, b, test_ds, scale), test_ds.y),
        test_ds=test_ds,
        train_ds=train_ds,
    )


def _streamed(request: TrainingRequest) -> TrainingData:
    """Training data too large for memory: every pass streams blocks of rows from disk."""
    from lrnn import data
    from lrnn.data.dataset import require_both_classes
    from lrnn.data.sources import CONVENTIONS, out_of_core_layout

    for flag, value in (
        ("--early-stopping", request.early_stopping),
        ("--validation", request.validation),
        ("--class-weight", request.class_weight),
        ("--standardize", request.standardize),
        ("--drop", request.drop),
    ):
        if value:
            raise UsageError(
                f"{flag} is not available when training streams from disk ({request.data}); "
                "drop it, or load data that fits in memory."
            )
    if request.backend == "numpy":  # it reads into memory; this streams: said, not passed over
        warnings.warn(
            f"--backend numpy reads data into memory, but {request.data} streams from disk a "
            "block of rows at a time (lrnn's streaming backend) — drop --backend.",
            stacklevel=2,
        )
    elif request.backend != "auto":
        raise UsageError(
            f"--backend {request.backend} cannot read {request.data}: it streams from disk, a "
            "block of rows at a time, through lrnn's own reader; drop --backend"
            + (
                " (a Dask cluster takes a dask array or DataFrame from Python: "
                "dask.array.from_zarr, dask.dataframe.read_parquet)."
                if request.backend == "dask"
                else " (torch trains on data that fits in memory: a tensor, or a file lrnn loads)."
            )
        )
    source, train_ds = _streamed_labels(request.data, request.label)
    require_both_classes(train_ds, weighable=False)  # (streamed: no --class-weight)
    if request.positive_class is not None:
        train_ds = data.set_positive_class(train_ds, request.positive_class)
    backend = _streaming_backend(source, train_ds)
    backend.scaling_advice = False  # streamed data cannot be standardized (--stream refuses it)
    test = None
    if request.test and os.path.exists(request.test) and not out_of_core_layout(request.test):
        raise UsageError(
            f"--test {request.test}: streamed training reads its test data from disk the same "
            f"way, so it must be {CONVENTIONS}; store the test set like the "
            "training set, or train in memory (a .npz or a table without --stream) to test on "
            "any format."
        )
    if request.test:
        test_source, test_ds = _streamed_labels(request.test, request.label)
        test = _streaming_backend(
            test_source, data.align_classes(test_ds, train_ds.classes, "the training data's")
        )
    if test is not None and test.n_features != backend.n_features:
        raise UsageError(
            f"{request.test} has {test.n_features} features but {request.data} has "
            f"{backend.n_features}; give test data with the same columns."
        )
    info = {
        "source": str(request.data),
        "n_samples": int(backend.n_samples),
        "n_features": int(backend.n_features),
        "sha256": data.data_sha256(backend.source, backend.y),
    }
    if len(train_ds.classes) > 2:
        info["n_classes"] = len(train_ds.classes)
    features = getattr(backend.source, "features", None)
    if features is not None:
        # the label column recorded, so that evaluate and report read it by default
        spec = data.Preprocessing(
            kind="table", feature_names=tuple(features), label_column=request.label
        )
    else:
        spec = data.Preprocessing(kind="array")
    return TrainingData(
        backend=backend,
        validation=None,
        spec=spec,
        classes=tuple(train_ds.classes),
        info=info,
        source=str(request.data),
        stored_dtype=f"{backend.source.dtype}, streamed from disk",
        test_description=(
            f"--test {request.test} ({_examples(test.n_samples)})" if test else "none (streaming)"
        ),
        train_accuracy=lambda w, b: backend.data_pass(w, b).accuracy,
        test_accuracy=(lambda w, b: test.data_pass(w, b).accuracy)
        if test
        else (lambda w, b: math.nan),
    )


def _examples(count: int) -> str:
    return f"{count} example{'' if count == 1 else 's'}"


def _streamed_labels(path: str, label: str) -> tuple[Any, Any]:
    """The source of X and its labels encoded as classes, as in-memory data would be (a
    Dataset without examples in memory: its X is empty)."""
    from lrnn import data
    from lrnn.data.dataset import encode_labels

    source, values = data.open_out_of_core(path, label, binary=False)
    y, classes = encode_labels(values, str(path), "the label")
    empty = np.empty((source.n_rows, 0), dtype=np.float32)
    spec = data.Preprocessing(kind="array")
    return source, data.Dataset(empty, y, classes, [], spec, str(path))


def _streaming_backend(source: Any, ds: Any) -> Any:
    """A sigmoid neuron's backend for two classes, a softmax layer's for three or more."""
    from lrnn.backends.softmax_blocks import StreamingSoftmaxBackend
    from lrnn.backends.stream_backend import StreamingBackend

    if len(ds.classes) > 2:
        return StreamingSoftmaxBackend(source, ds.y, len(ds.classes))
    return StreamingBackend(source, ds.y.astype(np.float64))


__all__ = [
    "TrainingData",
    "TrainingRequest",
    "hold_out_rows",
    "load_train_and_test",
    "prepare",
]
