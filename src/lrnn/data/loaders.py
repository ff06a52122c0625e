"""The doors in: :func:`load` picks the loader by file type, :func:`load_inputs` reads data to
predict on, :func:`builtin` the bundled data sets.

Every loader returns a :class:`~lrnn.data.dataset.Dataset` whose ``X`` is ``(m, n)``, one
example per row; with a model's :class:`~lrnn.data.preprocessing.Preprocessing` the data is
converted to match what the model was trained on.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from lrnn.data.arrays import load_npy, load_npz
from lrnn.data.builtin import BUILTIN_HINT, builtin_name, builtin_raw
from lrnn.data.dataset import (
    Dataset,
    kind_mismatch,
    require_both_classes,
    row_names,
    set_positive_class,
)
from lrnn.data.dataset import standardize as standardize_features
from lrnn.data.hdf5 import load_h5
from lrnn.data.images import (
    check_image_size,
    checked_image_size,
    convert_image,
    image_dataset,
    image_target,
    load_image_folder,
    read_images,
)
from lrnn.data.preprocessing import TAKES, Preprocessing, takes
from lrnn.data.sources import Source, out_of_core_layout
from lrnn.data.svmlight import is_svmlight, load_svmlight
from lrnn.data.tables import load_table, named_rows, table_row_names
from lrnn.errors import DataError, UsageError, given_path, user_stacklevel

_HDF5_SUFFIXES = (".h5", ".hdf5")
TABLE_SUFFIXES = (".csv", ".parquet")
_DATA_SUFFIXES = (*_HDF5_SUFFIXES, *TABLE_SUFFIXES, ".npz", ".npy")


def load(
    path: str | os.PathLike,
    *,
    label: str = "label",
    image_size: tuple[int, int] | None = None,
    standardize: bool = False,
    spec: Preprocessing | None = None,
    require_labels: bool = True,
    positive_class: str | None = None,
    text: dict | None = None,
    spec_of: str = "the model was trained on",
    drop: Sequence[str] = (),
    name_column: str | None = None,
) -> Dataset:
    """Load a data set by file type: a built-in name, .h5/.hdf5, an image folder, .csv,
    .parquet, .npz, or .npy (labels in y.npy beside it; also a folder holding X.npy), an
    svmlight file, a folder of .txt files per class, or a table's ``text_column``.

    ``text`` holds the text settings (:func:`lrnn.data.text.settings`) used when training on
    text; a text model's ``spec`` brings its own vectorizer instead.

    With ``spec`` (a saved model's preprocessing) the data is converted to match it, and
    ``standardize``/``image_size`` are ignored: the model already fixed them. With
    ``require_labels=False`` labels are read when present and ``y`` is None otherwise.
    ``positive_class`` names the class that becomes ``y == 1`` (default: the second of the two
    sorted class names); with ``spec`` it is ignored, since the model's classes decide: the
    data keeps its own class order, and :func:`align_classes` re-indexes it to a model's (the
    commands and :func:`lrnn.report.write_report` do). ``spec_of`` says whose ``spec`` it is
    in messages (a test or validation file is held to the training data's). ``drop`` names
    table columns to leave out (``--drop``; refused for data without columns).
    ``name_column`` names a table's rows by that column (``--id``; refused for other data).
    """
    name = given_path(path, "path", "data.csv")  # a DataFrame: the estimator takes those
    if not isinstance(label, str) or not (spec is None or isinstance(spec, Preprocessing)):
        raise UsageError(  # None: "'NoneType' object has no attribute 'strip'"
            f"label={label!r}, spec of type {type(spec).__name__}: give the label column's "
            "name, and spec=None or a model's (lrnn.inference.Predictor.load(path).spec)."
        )
    key = builtin_name(name)
    wanted = spec.feature_names if spec is not None else None
    if not isinstance(standardize, bool | np.bool_):  # "no" is truthy: it standardized
        raise UsageError(f"standardize={standardize!r}: give True or False.")
    if isinstance(drop, str | bytes) or not all(isinstance(c, str) for c in drop):
        raise UsageError(  # a string was dropped letter by letter ('m', 'e', 'a', …)
            f"drop={drop!r}: give a list of column names, e.g. drop=['id']."
        )
    size_given = image_size is not None and spec is None
    if size_given:
        image_size = checked_image_size(image_size)
    # a missing --id column is the one line said: what reading the table warned of (its
    # columns left out, the --id one among them) waits until the rows are named
    with _warnings_held(name_column is not None):
        if key is not None:
            ds = builtin_raw(key, wanted)
        else:
            p = Path(name)
            if name == "-" and not p.exists():
                raise DataError(_standard_input_refused(spec, require_labels))
            if not p.exists():
                raise DataError(
                    f"{name}: no such file or folder; check the path "
                    f"(built-in data sets: {BUILTIN_HINT})."
                )
            if not (p.is_file() or p.is_dir()):  # a FIFO or a device would block or never end
                raise DataError(f"{name}: not a regular file or folder; give a data file.")
            suffix = p.suffix.lower()
            sparse_ds = _load_sparse(p, label, spec, require_labels, text)
            if sparse_ds is not None:
                ds = sparse_ds
            elif suffix == ".npy" or (p.is_dir() and out_of_core_layout(p) == "npy"):
                ds = load_npy(p, require_labels)
            elif p.is_dir() and out_of_core_layout(p) in ("zarr", "parquet"):
                # not pictures: its zarr.json was "a file not named as a picture left out"
                raise streamed_only(name, out_of_core_layout(p) == "zarr", as_test=False)
            elif p.is_dir():
                mode, size = image_target(spec, image_size)
                ds = load_image_folder(p, mode, size, allow_flat=not require_labels)
            elif suffix in _HDF5_SUFFIXES:
                ds = load_h5(name, require_labels)
            elif suffix in TABLE_SUFFIXES:
                # the --id column, and the model's own labels when --label names another column
                used = [c for c in (name_column, spec and spec.label_column) if c]
                used += spec.dropped if spec is not None else ()  # --drop'ped in training
                encoding = csv_encoding(spec, text)
                ds = load_table(name, label, wanted, require_labels, drop, encoding, used)
                drop = ()  # left out as the file was read
            elif suffix == ".npz":
                ds = load_npz(name, require_labels)
            else:
                raise DataError(
                    f"{name}: unsupported file type {suffix or '(no suffix)'!r}; give a "
                    ".h5/.hdf5, .csv, .parquet, .npz, .npy or svmlight (.svm, .svmlight, "
                    ".libsvm) file, a folder with one sub-folder of images or of .txt files per "
                    f"class, or a built-in name ({BUILTIN_HINT})."
                )
        if name_column is not None:  # a table's numbers or its text column's documents
            if key is not None or Path(name).suffix.lower() not in TABLE_SUFFIXES:
                raise id_refused(f"{name} is not a .csv or .parquet table")
            encoding = csv_encoding(spec, text) or "utf-8"
            names = table_row_names(name, name_column, ds.X.shape[0], encoding)
            ds = replace(ds, names=names)
    if drop:
        from lrnn.data.columns import without_columns

        ds = without_columns(ds, drop)
    if size_given:  # pictures stored at one size (an HDF5 file), a table: it would not apply
        check_image_size(image_size, ds)
    return _finish(
        ds,
        spec=spec,
        standardize=standardize,
        require_labels=require_labels,
        positive_class=positive_class,
        spec_of=spec_of,
    )


@contextlib.contextmanager
def _warnings_held(hold: bool) -> Iterator[None]:
    """Warnings raised inside given once it ends without an error, when ``hold``."""
    if not hold:
        yield
        return
    with warnings.catch_warnings(record=True) as held:
        warnings.simplefilter("always")
        yield
    for said in held:
        warnings.warn(said.message, said.category, stacklevel=user_stacklevel())


def id_refused(why: str) -> UsageError:
    """predict's ``--id`` given for data whose rows no column names."""
    return UsageError(
        f"--id names the rows of a table by one of its columns, and {why}; give one .csv or "
        ".parquet file (or a folder of .parquet files), or drop --id."
    )


def csv_encoding(spec: Preprocessing | None, text: dict | None) -> str | None:
    """The encoding a CSV is read in: a text model's documents' (its spec), a table model's
    given for this run (``--encoding``), or the one training was given; None: UTF-8."""
    given = (spec.text if spec is not None and spec.text else None) or text or {}
    return given.get("encoding") or (spec.encoding if spec is not None else None)


def load_inputs(
    paths: Sequence[str],
    spec: Preprocessing,
    label: str | None = None,
    name_column: str | None = None,
) -> Dataset:
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
    given, label = label, label or spec.label_column or "label"
    first = paths[0]
    if name_column is not None and not (
        len(paths) == 1 and Path(first).suffix.lower() in TABLE_SUFFIXES
    ):
        many = f"{', '.join(paths[:3])}{' …' if len(paths) > 3 else ''}"
        raise id_refused(
            f"{first} is not a .csv or .parquet table"
            if len(paths) == 1
            else f"{many} are {len(paths)} inputs"
        )
    if spec.kind == "text" and not (len(paths) == 1 and Path(first).is_dir()):
        if len(paths) == 1 and Path(first).suffix.lower() in TABLE_SUFFIXES:
            return load(
                first, label=label, spec=spec, require_labels=False, name_column=name_column
            )
        tables = [p for p in paths if Path(p).suffix.lower() in TABLE_SUFFIXES]
        if tables:  # "a data file, but the model was trained on text" to one that was
            raise DataError(
                f"{tables[0]}: a table among other inputs; a text model reads one CSV or "
                "Parquet file at a time (or .txt files and - for standard input): give one per "
                "run, or join them into one."
            )
        for p in paths:  # a data file is not a document: say so rather than score its bytes
            if is_svmlight(p) or Path(p).suffix.lower() in _DATA_SUFFIXES:
                raise DataError(
                    f"{p}: a data file, but the model was trained on text; give {TAKES['text']}."
                )
        from lrnn.data.text import load_documents

        return load_documents(paths, spec)
    if len(paths) == 1 and is_svmlight(first):
        return load(first, label=label, spec=spec, require_labels=False)
    if len(paths) == 1 and (
        builtin_name(first) is not None
        or Path(first).is_dir()
        or Path(first).suffix.lower() in _DATA_SUFFIXES
    ):
        ds = load(first, label=label, spec=spec, require_labels=False, name_column=name_column)
        if (
            given not in (None, spec.label_column)  # (the model's own: the file has no labels)
            and spec.kind == "table"
            and first.lower().endswith(TABLE_SUFFIXES)
        ):
            _say_if_no_such_column(first, given, spec.encoding)
        return ds

    for p in paths:
        if p == "-" and not Path(p).exists():
            raise DataError(_standard_input_refused(spec, False))
        if not Path(p).exists():
            raise DataError(f"{p}: no such file; check the path.")
        if not (Path(p).is_file() or Path(p).is_dir()):  # a pipe or device (/dev/stdin)
            raise DataError(
                f"{p}: not a regular file (a pipe or a device: data is read from files); "
                f"give {TAKES.get(spec.kind, 'a data file')}."
            )
        data_file = Path(p).is_dir() or Path(p).suffix.lower() in _DATA_SUFFIXES
        if spec.kind != "image" and (data_file or is_svmlight(p)):
            # it said "trained on svmlight data; give an svmlight file" to one who had
            raise DataError(
                f"{p}: one of {len(paths)} inputs, but a model trained on {spec.kind} data "
                f"reads one data file at a time ({TAKES[spec.kind]}): give one per run, or "
                "join them into one."
            )
        if data_file:
            raise DataError(
                f"{p}: give either image files, or one folder or data file on its own, not a mix."
            )
    if spec.kind != "image":
        raise DataError(
            f"{first}: the model was trained on {spec.kind} data; give {TAKES[spec.kind]}."
        )
    mode, size = image_target(spec, None)
    raw = read_images(paths, mode, size)
    return image_dataset(raw, None, None, list(paths), ", ".join(paths[:3]))


def _say_if_no_such_column(path: str, label: str, encoding: str | None) -> None:
    """predict's --label names the column of labels to leave out of the scored table (its
    values are not needed): one the table does not have changed nothing, without a word."""
    try:
        if path.lower().endswith(".parquet"):
            from lrnn.data.sources import parquet_column_names

            columns = parquet_column_names(Path(path))
        else:
            import pandas as pd

            header = pd.read_csv(path, nrows=0, encoding=encoding or "utf-8-sig")
            columns = [str(c).lstrip("\ufeff") for c in header.columns]
    except Exception:  # the table was read already; its header is not this check's to judge
        return
    if label not in columns:
        warnings.warn(
            f"{path}: --label {label!r} names no column of it, so it changes nothing; check "
            "the name, or drop --label (a table to predict on needs no labels).",
            stacklevel=user_stacklevel(),
        )


def _standard_input_refused(spec: Preprocessing | None, labelled: bool) -> str:
    """Why ``-`` (standard input) cannot be read here, and what to give instead."""
    if spec is not None and spec.kind == "text" and labelled:
        return (
            "-: standard input gives documents without their classes; to score a text model "
            f"give {takes('text', True)}."
        )
    if spec is not None and spec.kind != "text":
        return (
            f"-: standard input is read as documents for text models; this model was trained "
            f"on {spec.kind} data, so give {takes(spec.kind, labelled)}."
        )
    return "-: standard input is read only by lrnn predict with a text model; give a file here."


def builtin(name: str, *, standardize: bool = False, positive_class: str | None = None) -> Dataset:
    """A data set bundled with scikit-learn (no download): ``digits`` or ``breast_cancer``."""
    key = builtin_name(name)
    if key is None:
        raise DataError(f"unknown built-in data set {name!r}; choose one of {BUILTIN_HINT}.")
    return _finish(
        builtin_raw(key, None),
        spec=None,
        standardize=standardize,
        require_labels=True,
        positive_class=positive_class,
    )


def _finish(
    ds: Dataset,
    *,
    spec: Preprocessing | None,
    standardize: bool,
    require_labels: bool,
    positive_class: str | None = None,
    spec_of: str = "the model was trained on",
) -> Dataset:
    """Apply a model's spec, or build the spec for training (checks, standardisation)."""
    if ds.X.ndim != 2 or ds.X.shape[1] == 0:
        raise DataError(
            f"{ds.source}: the examples have no features (shape {ds.X.shape}); give data with at "
            "least one feature column or pixel."
        )
    if spec is not None:
        ds = _conform(ds, spec, require_labels, spec_of)
        return replace(ds, X=spec.transform(ds.X), spec=spec)
    if require_labels:
        require_both_classes(ds)
    if positive_class is not None:
        ds = set_positive_class(ds, positive_class)
    if standardize:
        ds = standardize_features(ds)
    return ds


def _conform(ds: Dataset, spec: Preprocessing, labelled: bool, spec_of: str) -> Dataset:
    """Make freshly loaded data look like the data the model was trained on."""
    if ds.spec.kind != spec.kind:
        raise kind_mismatch(ds.source, ds.spec.kind, spec, labelled, spec_of)
    if spec.kind == "image" and ds.spec.image_shape != spec.image_shape:
        # Picture files are read at the model's size as they are decoded (a photo of any size
        # is the usual input); an HDF5 array of pictures of another size or colour is more
        # likely the wrong file, so its conversion is said.
        mode, size = image_target(spec, None)
        (h, w, c), (H, W, C) = ds.spec.image_shape, spec.image_shape
        done = [f"resized to {H}×{W} (bilinear)"] if (h, w) != (H, W) else []
        done += [f"made {'grey' if C == 1 else 'colour'}"] if c != C else []
        warnings.warn(
            f"{ds.source}: the pictures are {_picture_shape(ds.spec.image_shape)}, the model's "
            f"are {_picture_shape(spec.image_shape)}; they were {' and '.join(done)} as the "
            "model's are, so scores may differ from pictures taken that way.",
            stacklevel=user_stacklevel(),
        )
        raw = np.stack([convert_image(img, mode, size) for img in ds.raw_images])
        return image_dataset(raw, ds.y, ds.classes, ds.names, ds.source)
    if spec.kind == "table" and spec.feature_names is not None:
        if ds.spec.feature_names != spec.feature_names:  # the loaders select by name already
            raise DataError(f"{ds.source}: columns do not match the model's feature names.")
    return ds


def _picture_shape(shape: tuple | None) -> str:
    h, w, c = shape  # type: ignore[misc]
    return f"{h}×{w} with {c} channel{'s' if c != 1 else ''}"


def _load_sparse(
    p: Path, label: str, spec: Preprocessing | None, require_labels: bool, text: dict | None
) -> Dataset | None:
    """svmlight files and text (a folder of .txt files, a table's text column), or None."""
    from lrnn.data import text as text_data
    from lrnn.data.text_folders import is_text_folder

    is_text_model = spec is not None and spec.kind == "text"
    if spec is not None and is_svmlight(p) != (spec.kind == "svmlight"):
        this = "an svmlight file" if is_svmlight(p) else "not an svmlight file"
        raise DataError(
            f"{p}: {this}, but the model was trained on {spec.kind} data; give "
            f"{takes(spec.kind, require_labels)}."
        )
    if is_svmlight(p):
        return load_svmlight(str(p), spec, require_labels)
    if is_text_model and require_labels and p.is_file() and p.suffix.lower() == ".txt":
        raise DataError(f"{p}: one document has no class; give {takes('text', True)}.")
    if p.is_dir() and (is_text_model or (spec is None and is_text_folder(p))):
        return text_data.load_text_folder(p, text or dict(text_data.DEFAULTS), spec, require_labels)
    if p.is_dir() and spec is not None and is_text_folder(p):
        # read as pictures it said "no images in this folder", of one of its class folders
        raise DataError(
            f"{p}: the model was trained on {spec.kind} data but this is a folder of text "
            f"files; give {takes(spec.kind, require_labels)}."
        )
    wants_column = is_text_model or (spec is None and text and text.get("text_column"))
    if p.suffix.lower() in TABLE_SUFFIXES and wants_column:
        return text_data.load_text_table(str(p), label, text or {}, spec, require_labels)
    return None


def scored_streamed(path: str) -> bool:
    """Whether ``lrnn predict``/``evaluate`` read ``path`` a block of rows at a time: a folder
    of Parquet files or a Zarr store, which training streams too (a NumPy pair is memory-mapped
    by :func:`load`, a single Parquet file read as a table)."""
    p = Path(path)
    return p.is_dir() and out_of_core_layout(p) in ("zarr", "parquet")


def load_streamed(
    path: str,
    spec: Preprocessing,
    label: str,
    require_labels: bool,
    name_column: str | None = None,
) -> tuple[Source, Dataset]:
    """A Parquet folder or Zarr store to score with a saved model: the source of its rows (a
    Parquet folder's in the model's columns, by name) and a :class:`Dataset` of its labels,
    if any, as classes; its ``X`` is empty, the rows stay on storage
    (:func:`streamed_blocks` reads them)."""
    from lrnn.data.dataset import encode_labels
    from lrnn.data.sources import open_out_of_core

    parquet = out_of_core_layout(path) == "parquet"
    kind = "table" if parquet else "array"
    if spec.kind != kind:
        raise kind_mismatch(path, kind, spec, require_labels, "the model was trained on")
    columns = spec.feature_names if parquet else None
    source, values = open_out_of_core(
        path, label, binary=False, columns=columns, labelled=require_labels
    )
    if source.n_rows == 0:
        raise DataError(f"{path}: no rows to score; give data with at least one example.")
    if parquet:  # as a file read whole says them
        from lrnn.data.sources import parquet_column_names
        from lrnn.data.tables import say_columns_left_out

        first = source.files[0]  # type: ignore[attr-defined]
        known = {*columns, label, spec.label_column, name_column, *spec.dropped}
        say_columns_left_out(str(first), parquet_column_names(first), known, len(columns))
    y, classes = (None, None) if values is None else encode_labels(values, path, "the label")
    empty = np.empty((source.n_rows, 0), dtype=source.dtype)
    names: list[str] = []
    if name_column is not None:  # predict's --id: the names are kept, one string a row
        if not parquet:
            raise id_refused(f"{path} is a Zarr store, whose rows have no columns")
        names = named_rows(source.column(name_column))  # type: ignore[attr-defined]
    return source, Dataset(empty, y, classes, names, spec, path)


def streamed_blocks(source: Source, ds: Dataset, digest: Any = None) -> Iterator[Dataset]:
    """The rows of ``source`` (from :func:`load_streamed`) as datasets of about one 64 MiB
    block each, converted by the model's spec and named "row N" as a table's rows are; each
    raw block also goes to ``digest`` (a :class:`~lrnn.data.fingerprint.SourceDigest`)."""
    from lrnn.data.sources import BLOCK_BYTES

    block_rows = max(1, BLOCK_BYTES // max(1, source.n_features * source.dtype.itemsize))
    for start, block in source.read(0, source.n_rows, block_rows):
        source.check_finite(block, start)
        if digest is not None:
            digest.add(block)
        rows = slice(start, start + block.shape[0])
        names = ds.names[rows] if ds.names else row_names(block.shape[0], start)
        y = None if ds.y is None else ds.y[rows]
        yield replace(ds, X=ds.spec.transform(block), y=y, names=names)


def streamed_only(name: str, zarr_store: bool, as_test: bool) -> DataError:
    """A Zarr store or Parquet folder where data is read into memory: training streams them,
    a test set or the data of predict and evaluate is one file."""
    kind = "a Zarr store" if zarr_store else "a folder of Parquet files"
    where = (
        "training streams it from disk, but a test set is read into memory"
        if as_test
        else "`lrnn train` streams it from disk, but here the data is read into memory"
    )
    form = (
        "save its X and y with numpy (X.npy and y.npy in a folder) and give that folder"
        if zarr_store
        else "give one .parquet file (one of its files, or them joined into one)"
    )
    return DataError(f"{name}: {kind}; {where}: {form}.")
