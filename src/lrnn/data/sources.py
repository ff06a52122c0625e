"""Data on storage, read a block of rows at a time: the sources the streaming backends walk.

Where the data can live (:func:`open_out_of_core`; :func:`is_out_of_core` says whether a path is
one of these layouts — the one detector, used by every door):

* **NumPy**: a folder holding ``X.npy`` and ``y.npy`` (or the path of ``X.npy`` itself, with
  ``y.npy`` beside it). X is memory-mapped (``np.load(mmap_mode="r")``), so blocks are views of
  the page cache: no copy, and the pages read count as file-backed memory that the kernel
  reclaims under pressure, not as the process's own (anonymous) memory.
* **Zarr**: a store (a folder with ``zarr.json`` or ``.zgroup``, usually named ``*.zarr``)
  holding the arrays ``"X"`` (m × n) and ``"y"`` (m). Blocks are aligned to Zarr's row chunks.
* **Parquet**: one ``.parquet`` file or a folder of them (read in name order), one numeric
  column per feature plus the label column (``label=``, default ``"label"``). Features are all
  other columns, in the first file's order; every file must have the same ones. Files are read
  a batch of rows at a time with pyarrow, never whole.

In every case y is read into memory (m values). The library's streaming backend takes 0/1
labels (or booleans); the CLI takes any labels as classes (two: a sigmoid neuron; three or
more: a softmax layer).
pyarrow and zarr are imported only when a source of theirs is opened.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from lrnn import objective
from lrnn.data.checks import NPY_FILE, check_finite, file_kind, not_parquet, short
from lrnn.errors import TO_BINARY, DataError, UsageError, shown, user_stacklevel

#: Default bytes of X per streamed block: large enough that per-block overhead (a kernel call, a
#: Parquet batch decode) is negligible, small enough to stay far below any sensible memory cap.
BLOCK_BYTES = 64 * 1024 * 1024

#: The dtypes blocks keep as stored (the fused kernels' dtypes); other numbers widen to float64.
STORED_DTYPES = (np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.uint8))


class Source(Protocol):
    """Rows of X on storage. A *unit* is a stretch of rows read as one (a block, a row group)."""

    n_rows: int
    n_features: int
    dtype: np.dtype  # the dtype blocks arrive in
    random_access: bool  # whether take() on scattered rows is cheap

    def units(self, block_rows: int) -> list[tuple[int, int]]:
        """(start, stop) row ranges covering all rows in order."""
        ...

    def read(self, start: int, stop: int, block_rows: int) -> Iterator[tuple[int, NDArray]]:
        """The rows of one unit as (first row, block) pairs of at most ``block_rows`` rows."""
        ...

    def take(self, rows: NDArray) -> NDArray:
        """The rows at sorted indices ``rows`` (only when random_access)."""
        ...

    def check_finite(self, block: NDArray, start: int) -> None:
        """Refuse NaN or infinity in a block read from row ``start``, naming its file and cell."""
        ...


def _block_dtype(dtype: np.dtype, what: str) -> np.dtype:
    """float32/float64/uint8 stream as stored; other numbers are widened to float64 per block."""
    dtype = np.dtype(dtype)
    if dtype in STORED_DTYPES:
        return dtype
    if dtype.kind in "biuf":
        return np.dtype(np.float64)
    kind = "complex numbers" if dtype.kind == "c" else "not numbers"
    raise DataError(
        f"{what} has dtype {dtype}, {kind}; the neuron takes real numbers: store the features "
        "as float32, float64 or uint8 (convert or encode the other columns first)."
    )


class ArraySource:
    """Rows of anything that slices like an array: ``np.memmap``/``ndarray``, ``zarr.Array``."""

    def __init__(self, array: Any, what: str = "X") -> None:
        shape = tuple(getattr(array, "shape", ()))
        if len(shape) != 2:
            raise DataError(
                f"{what} must be 2-D (examples × features); got shape {shape}. "
                "Reshape it to (m, n) and save it again."
            )
        self.array = array
        self.what = what  # the file (or "X"), as errors about its values name it
        self.n_rows, self.n_features = int(shape[0]), int(shape[1])
        self.stored_dtype = np.dtype(array.dtype)
        self.dtype = _block_dtype(self.stored_dtype, what)
        self.random_access = isinstance(array, np.ndarray)  # np.memmap is an ndarray
        chunks = getattr(array, "chunks", None)  # Zarr: align blocks with its row chunks
        self.chunk_rows = int(chunks[0]) if isinstance(chunks, tuple) and chunks else 1

    def _aligned(self, block_rows: int) -> int:
        if block_rows >= self.chunk_rows:
            return block_rows - block_rows % self.chunk_rows
        return block_rows

    def units(self, block_rows: int) -> list[tuple[int, int]]:
        step = self._aligned(block_rows)
        return [(a, min(a + step, self.n_rows)) for a in range(0, self.n_rows, step)]

    def _convert(self, block: Any) -> NDArray:
        block = np.asarray(block)  # a view for memory maps, a fresh array for Zarr
        return block if block.dtype == self.dtype else block.astype(self.dtype)

    def read(self, start: int, stop: int, block_rows: int) -> Iterator[tuple[int, NDArray]]:
        step = self._aligned(block_rows)
        for a in range(start, stop, step):
            yield a, self._convert(self.array[a : min(a + step, stop)])

    def take(self, rows: NDArray) -> NDArray:
        return self._convert(self.array[rows])

    def check_finite(self, block: NDArray, start: int) -> None:
        check_finite(block, "" if self.what == "X" else self.what, None, first_row=start)


class ParquetSource:
    """Rows of one or more Parquet files: features are every column except the label."""

    random_access = False

    def __init__(
        self,
        files: list[Path],
        label: str = "label",
        *,
        columns: Sequence[str] | None = None,
        labelled: bool = True,
    ) -> None:
        """``columns``: a saved model's features, read by name in its order (other columns
        are left out); without it every column but the label is a feature. ``labelled=False``
        (data to predict on) takes files without the label column."""
        import pyarrow as pa

        if not files:
            raise DataError("no Parquet files given; pass a .parquet file or a folder of them.")
        self.files = list(files)
        # as errors about its values name it (X[row, column] counts rows across the files)
        self.what = str(self.files[0] if len(self.files) == 1 else self.files[0].parent)
        schema = _parquet_schema(self.files[0])
        # data to predict on: its labels are not read (a blank one refused it), nor needed in
        # every file; the column is still no feature
        self.label: str | None = label if labelled else None
        if label not in schema.names and labelled:
            raise DataError(
                f"{self.files[0]} has no label column {label!r}; its columns are "
                f"{', '.join(schema.names[:10])}{' …' if len(schema.names) > 10 else ''}. "
                "Name the column of class labels (--label NAME on the command line, label= in "
                "Python)."
            )
        index = set(pandas_index_columns(schema))  # no features, but a model's may be one
        if columns is None:  # a named index is said; pandas' unnamed one is not, as pandas
            index_left_out(self.files[0], pandas_index_columns(schema, named=True), [label])
            self.features = [name for name in schema.names if name != label and name not in index]
        else:
            self.features = list(columns)
        if not self.features:
            raise DataError(f"{self.files[0]} has only the label column; there are no features.")
        # Every file's types, not the first file's alone: a later file's int64 column read into
        # the first file's uint8 blocks wrapped 423 to 167, and its text failed unnamed.
        types: list[Any] = []
        self._row_groups: list[tuple[int, int, int, int]] = []  # (file, group, start, stop)
        start = 0
        for k, path in enumerate(self.files):
            file_schema = schema if k == 0 else _parquet_schema(path)
            names = set(file_schema.names)
            wanted = [*self.features, *([self.label] if self.label is not None else [])]
            missing = [c for c in wanted if c not in names]
            if missing and columns is not None and missing[0] != self.label:
                raise DataError(
                    f"{path} has no column {missing[0]!r}, which the model was trained on; "
                    "give data with the model's feature columns."
                )
            if missing:
                raise DataError(
                    f"{path} lacks column {missing[0]!r} that {self.files[0]} has; every file "
                    "must hold the same feature and label columns."
                )
            known = {*wanted, label, *index, *pandas_index_columns(file_schema)}
            extra = [c for c in file_schema.names if c not in known]
            if extra and columns is None:  # it was left out without a word (the other way
                # round is refused); a model's columns are picked by name, the rest left out
                raise DataError(
                    f"{path} has column {extra[0]!r} that {self.files[0]} lacks; every file "
                    "must hold the same feature and label columns: drop it from that file, or "
                    "add it to the others."
                )
            for name in self.features:
                t = file_schema.field(name).type
                if not (
                    pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t)
                ):
                    raise DataError(
                        f"column {name!r} of {path} has type {t}, not numbers; encode it as "
                        "numbers or drop it before training (or scoring)."
                    )
                types.append(t)
            meta = _parquet_metadata(path)
            for g in range(meta.num_row_groups):
                rows = meta.row_group(g).num_rows
                self._row_groups.append((k, g, start, start + rows))
                start += rows
        self.n_rows = start
        self._say_if_row_groups_are_large()
        if all(t == pa.float32() for t in types):
            self.dtype = np.dtype(np.float32)
        elif all(t == pa.uint8() for t in types):
            self.dtype = np.dtype(np.uint8)
        else:  # mixed or wider types: float64 holds them all (integers up to 2⁵³ exactly)
            self.dtype = np.dtype(np.float64)
        self.n_features = len(self.features)

    def _say_if_row_groups_are_large(self) -> None:
        """Parquet is decoded a row group at a time (pyarrow reads a group's column chunks
        whole), so a file written as one group — pandas' default — is in memory whole while
        it streams: said, with the way to write it for streaming."""
        k, g, a, b = max(self._row_groups, key=lambda r: r[3] - r[2], default=(0, 0, 0, 0))
        decoded = (b - a) * len(self.features) * 8  # as float64, before the block's dtype
        if decoded > 2 * BLOCK_BYTES:
            warnings.warn(
                f"{self.files[k]} holds a row group of {b - a} rows (about "
                f"{decoded / 2**20:.0f} MiB decoded); Parquet is read a row group at a time, so "
                "streaming holds that much in memory, not one 64 MiB block — write it with "
                "smaller row groups (pandas: to_parquet(..., row_group_size=100_000)).",
                stacklevel=user_stacklevel(),
            )

    def units(self, block_rows: int) -> list[tuple[int, int]]:
        return [(a, b) for _, _, a, b in self._row_groups]

    def read(self, start: int, stop: int, block_rows: int) -> Iterator[tuple[int, NDArray]]:
        import pyarrow.parquet as pq

        for k, g, a, b in self._row_groups:
            if b <= start or a >= stop:
                continue
            handle = pq.ParquetFile(self.files[k])
            row = a
            for batch in handle.iter_batches(
                batch_size=block_rows, row_groups=[g], columns=self.features
            ):
                yield row, self._to_numpy(batch, k, row - self._file_start(k))
                row += batch.num_rows

    def take(self, rows: NDArray) -> NDArray:
        raise UsageError("Parquet sources have no cheap random row access; use read().")

    def check_finite(self, block: NDArray, start: int) -> None:
        """Name the file, its column and its own row (a folder's rows run on across files)."""
        k = next(k for k, _, a, b in self._row_groups if a <= start < b)  # only on a failure
        check_finite(block, str(self.files[k]), self.features, start - self._file_start(k))

    def _file_start(self, k: int) -> int:
        """The folder-wide row of file ``k``'s first row (a table made once, not a scan per
        block: a folder of thousands of files has as many row groups)."""
        if not hasattr(self, "_starts"):
            self._starts: dict[int, int] = {}
            for j, _, a, _ in self._row_groups:
                self._starts.setdefault(j, a)
        return self._starts[k]

    def _to_numpy(self, batch: Any, k: int, first_row: int) -> NDArray:
        out = np.empty((batch.num_rows, self.n_features), dtype=self.dtype)
        for j, column in enumerate(batch.columns):
            if column.null_count:
                row = first_row + int(np.argmax(column.is_null().to_numpy(zero_copy_only=False)))
                raise DataError(
                    f"{self.files[k]}: column {self.features[j]!r} is empty (row {row + 1}); "
                    "fill in or drop that row."
                )
            out[:, j] = column.to_numpy(zero_copy_only=False)
        return out

    def column(self, name: str) -> list[Any]:
        """Every row's value in column ``name`` (predict's ``--id``), None where blank."""
        import pyarrow.parquet as pq

        values: list[Any] = []
        for path in self.files:
            if name not in _parquet_schema(path).names:
                raise DataError(
                    f"{path}: no column {name!r} to name the rows by (--id); its columns are "
                    f"{', '.join(_parquet_schema(path).names[:10])}."
                )
            values += pq.read_table(path, columns=[name]).column(0).to_pylist()
        return values

    def labels(self) -> NDArray | None:
        import pyarrow.parquet as pq

        if self.label is None:
            return None
        parts = []
        for path in self.files:
            column = pq.read_table(path, columns=[self.label]).column(0)
            if column.null_count:
                row = int(np.argmax(column.is_null().to_numpy(zero_copy_only=False)))
                more = "" if column.null_count == 1 else f", and {column.null_count - 1} more"
                raise DataError(
                    f"{path}: the label column {self.label!r} is empty (row {row + 1}{more}); "
                    "drop the rows that have no label."
                )
            parts.append(column.to_numpy())
        return np.concatenate(parts)


def _parquet_schema(path: Path) -> Any:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pq.read_schema(path)
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise not_parquet(path, exc) from exc


def _parquet_metadata(path: Path) -> Any:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path).metadata
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise not_parquet(path, exc) from exc


def is_source(X: Any) -> bool:
    """Whether ``X`` is already a :class:`Source` (it reads itself block by block)."""
    return hasattr(X, "units") and hasattr(X, "read")


def parquet_column_names(path: Path) -> list[str]:
    """A Parquet file's columns, but those that hold a saved pandas index."""
    schema = _parquet_schema(path)
    index = pandas_index_columns(schema)
    return [name for name in schema.names if name not in index]


def _index_entries(schema: Any) -> list:
    """pandas' record of a frame's index in a Parquet schema: column names, and dicts for an
    index kept as a range."""
    try:
        meta = schema.pandas_metadata or {}
    except (ValueError, TypeError):  # metadata that is not JSON: no pandas index to honour
        return []
    entries = meta.get("index_columns", []) if isinstance(meta, dict) else []
    return entries if isinstance(entries, list) else []


def pandas_index_columns(schema: Any, named: bool = False) -> list[str]:
    """Columns that ``DataFrame.to_parquet`` stored for the frame's index (pandas metadata);
    ``named``: only those of an index that had a name (``set_index("patient_id")``), not
    pandas' own ``__index_level_0__`` for an unnamed one."""
    found = [n for n in _index_entries(schema) if isinstance(n, str) and n in schema.names]
    if named:
        return [n for n in found if not (n.startswith("__index_level_") and n.endswith("__"))]
    return found


def range_index(schema: Any, name: str) -> range | None:
    """The row numbers of an index named ``name`` that pandas stored as a range, in its
    metadata only (``set_index`` on 0, 1, 2, … or ``df.index.name = "pid"``): no column holds
    them, so ``--id pid`` found none. None when there is no such index."""
    for entry in _index_entries(schema):
        if isinstance(entry, dict) and entry.get("kind") == "range" and entry.get("name") == name:
            try:
                return range(int(entry["start"]), int(entry["stop"]), int(entry["step"]))
            except (KeyError, TypeError, ValueError):
                return None
    return None


def index_left_out(path: Any, index: Sequence[str], kept: Sequence[str | None]) -> list[str]:
    """The named index columns of a Parquet file that training leaves out: all but ``kept``
    (the label). An index with a name is often an ID, so it is no feature; but it may as well
    be a measurement (``set_index("age")``), so leaving it out is said — it was silent in
    memory, while a streamed read warned."""
    left = [name for name in index if name not in kept]
    if left:
        warnings.warn(
            f"{path}: column(s) {', '.join(map(repr, left))} hold a saved pandas index, not "
            "features; they are left out (write the table after df.reset_index() to train on "
            "them, or with index=False to leave them out without this warning).",
            stacklevel=user_stacklevel(),
        )
    return left


def as_source(X: Any) -> Source:
    """A :class:`Source` for ``X``: itself if it already is one, else an :class:`ArraySource`."""
    if is_source(X):
        return X
    return ArraySource(X)


# --------------------------------------------------------------------------------------------
# The one layout detector


CONVENTIONS = (
    "a folder with X.npy and y.npy (or an X .npy file with y.npy beside it), a Zarr store with "
    "arrays 'X' and 'y', or a .parquet file or folder of them with a label column"
)

#: Files in a folder that mark it as data on storage: a NumPy pair, a Zarr store (v3, v2).
_FOLDER_MARKERS = {"X.npy": "npy", "zarr.json": "zarr", ".zgroup": "zarr"}


def out_of_core_layout(path: str | os.PathLike) -> str | None:
    """Which out-of-core layout ``path`` holds: ``"npy"``, ``"zarr"``, ``"parquet"`` or None.

    A ``.npy`` file (labels in ``y.npy`` beside it) and a folder holding ``X.npy`` are "npy"; a
    folder with ``zarr.json`` or ``.zgroup`` is "zarr"; a ``.parquet`` file or a folder holding
    ``*.parquet`` files is "parquet". Anything else, a missing path included, is None.
    """
    p = Path(path)
    if p.is_file():
        return {".npy": "npy", ".parquet": "parquet"}.get(p.suffix)
    if p.is_dir():
        for marker, layout in _FOLDER_MARKERS.items():
            if (p / marker).exists():
                return layout
        # (files in sub-folders only, as a data set partitioned on up to three columns keeps
        # them: refused by name when opened)
        if any(not _hidden(f, p) for depth in range(4) for f in p.glob("*/" * depth + "*.parquet")):
            return "parquet"
    return None


def is_out_of_core(path: str | os.PathLike | None, forced: bool = False) -> bool:
    """Whether training data at ``path`` streams from storage instead of being loaded.

    ``.npy`` files, ``*.zarr`` paths and folders in one of the layouts of
    :func:`out_of_core_layout` stream; a single ``.parquet`` file is loaded as a table unless
    ``forced`` (the CLI's ``--stream``). A ``.npy``/``.zarr`` path that does not exist counts as
    streamed, so :func:`open_out_of_core` names what is missing.
    """
    if path is None:
        return False
    p = Path(path)
    if forced or p.suffix in (".npy", ".zarr"):
        return True
    return p.is_dir() and out_of_core_layout(p) is not None


def open_out_of_core(
    path: str | os.PathLike,
    label: str = "label",
    *,
    binary: bool = True,
    columns: Sequence[str] | None = None,
    labelled: bool = True,
) -> tuple[Source, NDArray]:
    """The X source and the labels y (in memory) of data stored at ``path``.

    See the module docstring for the layouts understood. With ``binary`` (the library's
    contract) y comes back as checked 0/1 floats and goes straight into
    ``StreamingBackend(source, y)`` (or use ``StreamingBackend.open``); without it, as the
    stored label values (one per row, checked for shape), for the CLI to encode as classes.
    ``columns`` and ``labelled=False`` are for scoring with a saved model
    (:class:`ParquetSource`); unlabelled data then has y None.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path} does not exist; expected {CONVENTIONS}.")
    layout = out_of_core_layout(path)
    if path.is_dir() and layout in ("npy", "zarr") and any(path.glob("*.parquet")):
        read = "X.npy and y.npy are" if layout == "npy" else "the Zarr store is"
        warnings.warn(  # one folder, two data sets: which one trains was not said
            f"{path} holds .parquet files too; {read} read and the .parquet files left out — "
            "keep each data set in a folder of its own.",
            stacklevel=user_stacklevel(),
        )
    if layout == "npy":
        from lrnn.data.arrays import labels_beside

        x_path = path if path.is_file() else path / "X.npy"
        y_path, unclear = labels_beside(x_path)
        if unclear:
            raise DataError(f"{x_path}: {unclear}.")
        source, y, what = _open_npy(x_path, y_path)
    elif layout == "zarr":
        source, y, what = _open_zarr(path, labelled)
    elif layout == "parquet":
        files = [path] if path.is_file() else _parquet_files(path)
        source = ParquetSource(files, label, columns=columns, labelled=labelled)
        y = source.labels()
        what = f"column {label!r} of {path}" if path.is_file() else f"column {label!r}"
    else:
        raise DataError(f"{path} is not one of the out-of-core layouts; expected {CONVENTIONS}.")
    if y is None and not labelled:
        return source, y
    y = one_label_per_row(y, what, source.n_rows)
    return source, (checked_binary_labels(y, what) if binary else y)


def _hidden(path: Path, root: Path) -> bool:
    """Whether ``path`` lies in a hidden folder under ``root`` (a notebook's
    .ipynb_checkpoints copies), or is hidden itself: no data of the folder's."""
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def _parquet_files(folder: Path) -> list[Path]:
    """The .parquet files directly in ``folder``; those in its sub-folders are not read, and
    said: they were left out without a word (half the rows), and a partitioned data set
    (``part=0/…``, as pandas' partition_cols and Spark write it) keeps a column in its folder
    names, which reading the files alone would lose."""
    files = sorted(folder.glob("*.parquet"))
    nested = sorted(
        f for f in folder.rglob("*.parquet") if f.parent != folder and not _hidden(f, folder)
    )
    if not nested:
        return files
    shown = ", ".join(str(f.relative_to(folder)) for f in nested[:3]) + (
        ", …" if len(nested) > 3 else ""
    )
    partitioned = [f for f in nested if "=" in f.parent.name]
    if partitioned:
        levels = partitioned[0].relative_to(folder).parts[:-1]
        columns = ", ".join(repr(part.split("=", 1)[0]) for part in levels if "=" in part)
        raise DataError(
            f"{folder}: a partitioned Parquet data set ({shown}), whose column(s) {columns} "
            "are held in its folder names, which lrnn does not read; save it as plain .parquet "
            "files in one folder (pandas.read_parquet(folder).to_parquet(file), or without "
            "partition_cols)."
        )
    if not files:
        raise DataError(
            f"{folder}: its .parquet files are in sub-folders ({shown}), which lrnn does not "
            "read; move them up into the folder, or give a sub-folder on its own."
        )
    warnings.warn(
        f"{folder}: {len(nested)} .parquet file(s) in its sub-folders left out ({shown}); lrnn "
        "reads the files directly in the folder: move them up to use them.",
        stacklevel=user_stacklevel(),
    )
    return files


def _open_npy(x_path: Path, y_path: Path) -> tuple[Source, NDArray, str]:
    arrays = []
    for path, mmap in ((x_path, "r"), (y_path, None)):
        if path == y_path and not y_path.exists():  # X first: a CSV named .npy is no X
            raise DataError(
                f"{x_path} has no labels beside it: save them as {y_path} (np.save, one label "
                "per row of X)."
            )
        kind = file_kind(path) if path.is_file() else NPY_FILE  # else np.load says what
        if kind != NPY_FILE:  # numpy would guess a pickle
            what = f"it is a {kind}" if kind else "it does not begin as one"
            raise DataError(
                f"{path} is not a .npy array ({what}); save the array with np.save, or name the "
                "file by what it holds."
            )
        try:
            arrays.append(np.load(path, mmap_mode=mmap, allow_pickle=False))
        # truncated, pickled, not .npy at all, or a header that lies (a negative shape)
        except (ValueError, OSError, EOFError, OverflowError) as exc:
            raise DataError(
                f"{path} is not a plain .npy array ({short(exc)}); save it again with np.save."
            ) from exc
    X, y = arrays
    return ArraySource(X, str(x_path)), y, str(y_path)


def _open_zarr(path: Path, labelled: bool = True) -> tuple[Source, NDArray | None, str]:
    try:
        import zarr
    except ImportError as exc:
        raise UsageError(
            f"reading {path} needs Zarr: install it with pip install zarr (in lrnn's 'dask' extra)."
        ) from exc
    try:
        group = zarr.open_group(str(path), mode="r")
        missing = [k for k in ("X", "y") if k not in group]
        if missing == ["y"] and not labelled:
            return ArraySource(group["X"], f"{path}/X"), None, f"{path}/y"
        if missing:
            raise DataError(
                f"the Zarr store {path} has no array {missing[0]!r}; it needs 'X' (m × n) and "
                f"'y' (m labels). It holds: {', '.join(sorted(group.array_keys())) or 'nothing'}."
            )
        return ArraySource(group["X"], f"{path}/X"), group["y"][:], f"{path}/y"
    except DataError:
        raise
    except (zarr.errors.BaseZarrError, ValueError, KeyError, OSError, TypeError) as exc:
        # an unknown codec, damaged metadata (its JSON too), …
        raise DataError(
            f"the Zarr store {path} cannot be read ({exc}); if it was written with a codec this "
            "Zarr does not know, install that codec's package or write the store again with "
            "Zarr's default codecs."
        ) from exc


def one_label_per_row(y: Any, what: str, m: int) -> NDArray:
    """The stored labels as a 1-D array with one value per row of X."""
    y = np.asarray(y)
    if y.ndim == 2 and 1 in y.shape:
        y = y.reshape(-1)
    if y.ndim != 1 or y.shape[0] != m:
        raise DataError(f"{what} must hold one label per row of X ({m}); got shape {y.shape}.")
    return y


def checked_binary_labels(y: NDArray, what: str) -> NDArray:
    """0/1 labels as float64, checked: the backends' contract, so bad labels fail here."""
    if y.dtype.kind not in "biuf":
        raise DataError(f"{what} has dtype {y.dtype}; store labels as 0/1 numbers or booleans.")
    y = y.astype(np.float64)
    at = objective.first_non_binary(y)
    if at is not None:
        raise DataError(
            f"{what} must hold 0/1 labels; found {shown(y[at])}. Map them first "
            f"(e.g. {TO_BINARY}), or train with the lrnn command, which takes "
            "any labels as classes."
        )
    return y
