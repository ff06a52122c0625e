"""Tables: CSV and Parquet files, one row per example, numeric feature columns and a label
column.

CSV lines and column counts are checked before pandas parses anything; a Parquet file's
declared size before it is read. pandas and pyarrow are imported inside the functions.
"""

from __future__ import annotations

import codecs
import csv
import os
import warnings
from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np

from lrnn.data import limits
from lrnn.data.checks import (
    bom_encoding,
    check_bytes,
    check_expansion,
    check_finite,
    clip,
    file_kind,
    is_float,
    not_parquet,
    quoted,
    short,
    unmarked_utf16,
)
from lrnn.data.columns import check_numeric
from lrnn.data.dataset import Dataset, encode_labels, row_names
from lrnn.data.preprocessing import Preprocessing
from lrnn.data.sources import index_left_out, pandas_index_columns, range_index
from lrnn.errors import DataError, closest, has_control_characters, nearest, user_stacklevel


def _check_csv_lines(name: str) -> None:
    """Refuse absurdly long lines and too many columns before pandas parses anything."""
    current = line = 0  # length of the line being read, and how many lines ended before it
    header: bytes | None = None
    head = b""

    def refuse(line_no: int) -> DataError:
        return DataError(
            f"{name}: line {line_no} is longer than {limits.MAX_LINE_BYTES} bytes; this is not a "
            "table lrnn can read — check it is a CSV with one example per line."
        )

    with open(name, "rb") as f:
        while chunk := f.read(1 << 20):
            pieces = chunk.split(b"\n")
            if header is None:
                head += pieces[0][: limits.MAX_LINE_BYTES + 1 - len(head)]
                if len(pieces) > 1:
                    header = head
            ended = [current + len(pieces[0]), *map(len, pieces[1:-1])] if len(pieces) > 1 else []
            if ended and max(ended) > limits.MAX_LINE_BYTES:
                raise refuse(line + ended.index(max(ended)) + 1)
            line += len(ended)
            current = len(pieces[-1]) + (current if not ended else 0)
            if current > limits.MAX_LINE_BYTES:
                raise refuse(line + 1)
    fields = (head if header is None else header).count(b",") + 1
    if fields > limits.MAX_COLUMNS:
        raise DataError(
            f"{name}: the header has {fields} columns, over lrnn's limit of {limits.MAX_COLUMNS}; "
            "select the columns you need first."
        )


def _csv_encoding(name: str, encoding: str) -> str:
    """The encoding a CSV is read in. A byte-order mark at its start decides, as for a document:
    a spreadsheet's "Unicode text" export is UTF-16 with one, and was "not valid utf-8 (byte
    0xff)" with advice of latin-1. UTF-8 is read with an optional mark. UTF-16 without a mark,
    read as UTF-8, is refused by name: its zero bytes made column names such as 'a\\x00'."""
    with open(name, "rb") as handle:
        head = handle.read(4096)
    marked = bom_encoding(head)
    if marked is not None:
        return marked
    if codecs.lookup(encoding).name != "utf-8":
        return encoding
    wide = unmarked_utf16(head)
    if wide is not None:
        raise DataError(
            f"{name}: looks like {wide.upper()} text without a byte-order mark (a zero byte "
            f"beside each character); give --encoding {wide}, or save the file as UTF-8."
        )
    return "utf-8-sig"


def csv_column_as_written(name: str, column: str, encoding: str) -> Any:
    """One CSV column as its cells are written, only an empty cell missing: pandas reads "None",
    "NA" or "null" as missing, and a document of that text was refused as empty. (For a file
    :func:`read_table` has read and checked already.)"""
    import pandas as pd

    cells = pd.read_csv(
        name,
        usecols=[column],
        dtype=str,
        keep_default_na=False,
        encoding=_csv_encoding(name, encoding),
    )[column]
    return cells.where(cells != "", None)


def read_table(
    name: str,
    columns: list[str] | None,
    encoding: str = "utf-8",
    encoding_fix: str = "save the file as UTF-8",
    label: str | None = None,
) -> Any:
    """A CSV or Parquet file as a frame, its size limits checked before pandas reads it (CSV:
    line length and column count; Parquet: columns and the declared size). ``encoding`` is the
    CSV's (Parquet's text is UTF-8 by definition). A CSV's ``label`` column is read as written,
    then made numbers only if that loses nothing (see :func:`_csv_labels`)."""
    import pandas as pd

    if name.lower().endswith(".csv"):
        _check_csv_lines(name)
        encoding = _csv_encoding(name, encoding)
        try:
            # index_col=False: a row with more fields than the header would otherwise make
            # pandas take the first column as an index and shift every name one column over
            with warnings.catch_warnings():
                warnings.simplefilter("error", pd.errors.ParserWarning)
                frame = pd.read_csv(
                    name,
                    encoding=encoding,
                    dtype=None if label is None else {label: str},
                    index_col=False,
                )
            # the header as written, by the csv module: pandas took 6 s to read this one row
            # as text when it had 100,000 columns (the limit), three times the whole table;
            # blank lines are skipped, as pandas skips them
            with open(name, encoding=encoding, newline="") as handle:
                header = next((row for row in csv.reader(handle) if row), [])
        except pd.errors.ParserWarning as e:
            raise DataError(_longer_than_header(name, encoding)) from e
        except UnicodeDecodeError as e:
            kind = file_kind(name)
            if kind is not None:
                office = kind.startswith("Microsoft Office")  # (a ZIP may be an .npz too)
                fix = (
                    "open it in its spreadsheet program and save it as CSV"
                    if office
                    else "give a CSV (or name the file by what it holds)"
                )
                raise DataError(f"{name}: is a {kind}, not a CSV table; {fix}.") from e
            where = _first_undecodable(name, encoding)
            byte, place = (
                (f"0x{e.object[e.start]:02x}", f"at offset {e.start}") if where is None else where
            )
            raise DataError(
                f"{name}: not valid {e.encoding} text (byte {byte} {place}); {encoding_fix}."
            ) from e
        except pd.errors.EmptyDataError as e:
            raise DataError(
                f"{name}: the file is empty; give a table with a header row and one row per "
                "example."
            ) from e
        except UnicodeError as e:  # not a decoding error: utf-16 without its byte-order mark
            raise DataError(
                f"{name}: no byte-order mark at its start, which {encoding} needs ({short(e)}); "
                "UTF-16 without one is --encoding utf-16-le or utf-16-be, and a file in another "
                f"encoding needs its own (a UTF-8 file none)."
            ) from e
        except (pd.errors.ParserError, ValueError, OSError) as e:
            raise DataError(
                f"{name}: cannot read as CSV ({short(e)}); check the delimiter is ',' and every "
                "row has as many fields as the header."
            ) from e
        # as written ("NA" stays "NA"); blank cells are pandas' "Unnamed: N", each its own
        _refuse_repeated_names(name, [v for v in header if v])
        if len(header) > 1 and not header[-1].strip() and frame.iloc[:, -1].isna().all():
            # it was "column 'Unnamed: 4' is empty or NaN (row 1)", a column pandas invented
            warnings.warn(
                f"{name}: the header ends with an extra ',' and that last column has no "
                "values; it is left out (remove the trailing commas to silence this).",
                stacklevel=user_stacklevel(),
            )
            frame = frame.iloc[:, :-1]
        if label is not None and label in frame.columns:
            frame[label] = _csv_labels(frame[label], name, label)
        return frame

    import pyarrow.parquet as pq

    try:
        meta = pq.read_metadata(name)
        schema = meta.schema.to_arrow_schema()
        if len(schema.names) > limits.MAX_COLUMNS:
            raise DataError(
                f"{name}: the table has {len(schema.names)} columns, over lrnn's limit of "
                f"{limits.MAX_COLUMNS}; select the columns you need first."
            )
        _refuse_repeated_names(name, schema.names)
        wanted = None if columns is None else [c for c in schema.names if c in columns]
        shape = (meta.num_rows, len(wanted or schema.names))
        check_bytes(name, "the table", shape, 8)  # and a bomb: 540 KB of zeros declared 800 MB
        check_expansion(name, "the table", os.path.getsize(name), shape[0] * shape[1] * 8)
        _check_parquet_strings(name, wanted or schema.names)
        frame = pd.read_parquet(name, columns=wanted)
        # A named index (set_index("patient_id")) comes back as the column it is in the file:
        # a label, a model's feature or an ID may be one; training leaves it out, saying so
        # (frame_dataset). Those not read are said as left out, but pandas' own unnamed index
        # (__index_level_0__), which pandas reads back as the frame's index.
        named = pandas_index_columns(schema, named=True)
        back = [c for c in named if c in frame.index.names]
        if back:
            frame = frame.reset_index(level=back)
        unnamed = set(pandas_index_columns(schema)) - set(named)
        frame.attrs["columns"] = [c for c in schema.names if c not in unnamed]
        frame.attrs["index"] = named
        return frame
    except DataError:
        raise
    except Exception as e:  # noqa: BLE001 - pandas rebuilds a frame from the file's own
        # metadata, which fails in arbitrary ways (KeyError, TypeError, ...) when it is damaged
        raise not_parquet(name, e) from e


def _longer_than_header(name: str, encoding: str) -> str:
    """Which row has more fields than the header, said in words (read again, only on error)."""
    import csv

    with open(name, encoding=encoding, newline="") as f:
        rows = csv.reader(f)
        head = next((row for row in rows if row), [])  # pandas skips blank lines too
        names = len(head)
        other = _other_separator(head)
        if other == ";":  # a European spreadsheet: ';' between fields, ',' in numbers
            return (
                f"{name}: the header looks ';'-separated (its rows then split at the commas "
                "of decimal numbers such as 0,5); lrnn reads comma-separated files with '.' in "
                "numbers: save it so (pandas: pd.read_csv(path, sep=';', decimal=',')"
                ".to_csv(new_path, index=False))."
            )
        if other is not None:
            return (
                f"{name}: the header looks {other!r}-separated; lrnn reads comma-separated "
                f"files: save it so (pandas: pd.read_csv(path, sep={other!r})"
                ".to_csv(new_path, index=False))."
            )
        for row in rows:
            if len(row) > names and any(field.strip() for field in row[names:]):
                return (
                    f"{name}: line {rows.line_num} has {len(row)} fields but the header names "
                    f"{names} "
                    "columns; give every column a name in the header, or remove the extra "
                    "fields (a stray ',' in a value needs quotes)."
                )
    return f"{name}: a row has more fields than the header names; give every column a name."


def _csv_labels(column: Any, source: str, label: str) -> Any:
    """A CSV's labels as numbers when every one is a number written as Python writes it
    ("1", "-1", "0.5", "1.0"), else as the text written: codes such as "01" and "00", or "+1"
    beside "-1", are names (read as numbers they became "1", "0" and "1", where the same
    labels stored as text in Parquet kept their spelling). Read as numbers straight away, "1"
    and "1.0" would become one class without a word; two spellings of one number are refused."""
    import pandas as pd

    codes, uniques = pd.factorize(column)  # few distinct labels: work on those, then index
    if len(uniques) == 0:  # every label blank: nothing to read as numbers
        return column
    written = pd.Series(uniques).str.strip()
    numbers = pd.to_numeric(written, errors="coerce")
    if numbers.isna().any():  # some label is not a number: the classes are names
        return column
    spelled = pd.DataFrame({"written": written, "number": numbers}).drop_duplicates("written")
    try:  # one number is one exact value: 1e20 and 1e20 + 1 are two, though one float
        exact = pd.Series([Decimal(w) for w in spelled["written"]], index=spelled.index)
    except InvalidOperation:  # what pandas reads as a number and Decimal does not
        exact = spelled["number"]
    repeated = exact.duplicated(keep=False).to_numpy()
    if not repeated.any() and spelled["number"].duplicated().any():
        return column  # numbers a float cannot tell apart (IDs past 2**53): names, as written
    if repeated.any():
        first = exact[repeated].iloc[0]
        twice = sorted(spelled["written"][exact == first])
        shown = " and ".join(repr(clip(v)) for v in twice[:3])
        raise DataError(
            f"{source}: label column '{label}' writes one number two ways ({shown}); they would "
            "be one class — fix the file so that each class is written one way."
        )
    if not all(map(_as_python_writes, written, numbers)):  # codes: kept as written
        return column
    values = numbers.to_numpy()[codes]
    if (codes < 0).any():  # blank labels stay NaN (predict ignores them, train refuses them)
        values = values.astype(np.float64)
        values[codes < 0] = np.nan
    return pd.Series(values, index=column.index)


def _as_python_writes(text: str, number: float) -> bool:
    """Whether ``text`` is how Python writes ``number`` (as an int or a float)."""
    if float(number).is_integer() and text == str(int(number)):
        return True
    return text == repr(float(number))


def _refuse_repeated_names(name: str, names: Sequence[str]) -> None:
    """Columns are read by name, and pandas renames a repeated one (``a``, ``a.1``) without a
    word: a second label column would become a feature that gives the label away."""
    seen: set[str] = set()
    for column in names:
        if column in seen:
            fix = "rename or drop one (lrnn reads columns by name)"
            if _numbers_only(names):
                fix = "the first line holds numbers: add a header row that names the columns"
            raise DataError(
                f"{name}: the column name {column!r} appears twice in the header; {fix}."
            )
        seen.add(column)


def _numbers_only(names: Sequence[Any]) -> bool:
    """Whether most column names are numbers: the file's first line is data, not a header
    (asked only where the header already failed; a row of 0.126, 4867.9, 0.564, no was read
    as the header, and --label no, as advised, trained without that row)."""
    numbers = [v for v in names if is_float(v)]
    if numbers and len(numbers) == len(names):
        return True
    # most of them, unless they are years (a table of yearly figures: region,2019,2020,target)
    years = all(str(v).strip().isdigit() and 1800 <= int(str(v)) <= 2100 for v in numbers)
    return 2 * len(numbers) > len(names) and not years


def _check_parquet_strings(name: str, columns: Sequence[str]) -> None:
    """Refuse string columns whose values, decoded, would pass lrnn's limits, before pandas
    decodes them: Parquet keeps a repeated string once (a dictionary) and refers to it per
    row, so a file of a kilobyte can hold a megabyte string on every row — gigabytes decoded.
    The strings are read as dictionaries (compact) and measured there."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    schema = pq.read_schema(name)

    def textual(kind: Any) -> bool:
        if pa.types.is_dictionary(kind):
            kind = kind.value_type
        return pa.types.is_string(kind) or pa.types.is_large_string(kind)

    # one lookup table: ``schema.names`` is a new list at each use, and searching it once per
    # column made a 20,000-column file take a minute here
    kinds = dict(zip(schema.names, schema.types, strict=True))
    strings = [c for c in columns if c in kinds and textual(kinds[c])]
    if not strings:
        return
    table = pq.read_table(name, columns=strings, read_dictionary=strings)
    for column_name in strings:
        decoded = 0
        for chunk in table.column(column_name).chunks:
            if not pa.types.is_dictionary(chunk.type):
                chunk = chunk.dictionary_encode()
            lengths = pc.binary_length(chunk.dictionary)
            longest = pc.max(lengths).as_py() or 0
            if longest > limits.MAX_DOCUMENT_BYTES:
                raise DataError(
                    f"{name}: column '{column_name}' holds a value of {longest} bytes, over "
                    f"lrnn's limit of {limits.MAX_DOCUMENT_BYTES} for one cell; check the file."
                )
            decoded += pc.sum(pc.take(lengths, chunk.indices)).as_py() or 0
        if decoded > limits.MAX_COLUMN_TEXT_BYTES:
            raise DataError(
                f"{name}: column '{column_name}' holds {decoded / 2**20:.0f} MiB of text once "
                f"decoded, over lrnn's limit of {limits.MAX_COLUMN_TEXT_BYTES // 2**20} MiB; "
                "select fewer rows, or check the file."
            )


def _first_undecodable(name: str, encoding: str) -> tuple[str, str] | None:
    """(the byte, "on line N, offset K") of the first byte of ``name`` that ``encoding``
    cannot decode: pandas reports an offset inside the block it was decoding, which names no
    row. None when the file reads clean (or not at all) this way."""
    import codecs

    try:
        decoder = codecs.getincrementaldecoder(encoding)()
        offset, lines = 0, 1
        with open(name, "rb") as f:
            while block := f.read(1 << 20):
                try:
                    decoder.decode(block)
                except UnicodeDecodeError as e:
                    # the decoder may hold back the bytes of a character cut by the block
                    start = max(0, e.start - (len(e.object) - len(block)))
                    at = offset + start
                    lines += block.count(b"\n", 0, start)
                    return f"0x{block[start]:02x}", f"on line {lines}, offset {at}"
                offset += len(block)
                lines += block.count(b"\n")
    except (OSError, LookupError):
        return None
    return None


def load_table(
    name: str,
    label: str,
    wanted: Sequence[str] | None,
    require_labels: bool,
    drop: Sequence[str] = (),
    encoding: str | None = None,
    used: Sequence[str] = (),
) -> Dataset:
    """A CSV or Parquet table; ``encoding`` is a CSV's (``--encoding``; UTF-8 by default),
    kept in the spec for the files read after it in this run (a test set). ``used``: columns
    read for something else (``--id``), not left out unread."""
    columns = None if wanted is None else [*wanted, label]
    fix = "give its encoding (--encoding cp1252, latin-1, …), or save the file as UTF-8"
    df = read_table(name, columns, encoding or "utf-8", fix, label=label)
    ds = frame_dataset(df, name, label, wanted, require_labels, drop, used)
    return replace(ds, spec=replace(ds.spec, encoding=encoding)) if encoding else ds


def table_row_names(name: str, column: str, m: int, encoding: str = "utf-8") -> list[str]:
    """The names of a table's ``m`` rows, from its ``column`` (predict's ``--id``), as written
    (an ID "007" is not 7); a blank one is "row N", its place, as without ``--id``. For a
    file read and checked already."""
    import pyarrow.parquet as pq

    if name.lower().endswith(".csv"):
        with open(name, encoding=_csv_encoding(name, encoding), newline="") as handle:
            header = next((row for row in csv.reader(handle) if row), [])
        values = csv_column_as_written(name, column, encoding) if column in header else None
    else:
        schema = pq.read_schema(name)  # by pyarrow: pandas makes a stored index the index
        header, numbers = schema.names, range_index(schema, column)
        values = [str(k) for k in numbers] if numbers is not None else None
        if column in header:
            values = pq.read_table(name, columns=[column]).column(0).to_pandas()
    if values is None:
        near = closest(column, header)
        said = near if near else f"; the columns are {quoted(header)}."
        raise DataError(f"{name}: no column {column!r} to name the rows by (--id){said}")
    if len(values) != m:  # not the rows that were scored: no names rather than wrong ones
        raise DataError(f"{name}: column {column!r} has {len(values)} rows, not {m}.")
    return named_rows(values)


def named_rows(values: Sequence[Any]) -> list[str]:
    """Row names from a column's values; a blank one is "row N", its place."""
    import pandas as pd

    return [
        default if v is None or pd.isna(v) or not str(v).strip() else str(v)
        for default, v in zip(row_names(len(values)), values, strict=True)
    ]


#: Names a saved row index gets: ``DataFrame.to_csv()`` writes an empty header cell, which
#: pandas reads back as "Unnamed: 0"; pyarrow stores a pandas index as "__index_level_0__".
_INDEX_NAMES = ("", "Unnamed: 0", "__index_level_0__")


def drop_saved_index(df: Any, source: str, label: str) -> Any:
    """``df`` without a leading column that is a saved row index, with a warning naming it.

    ``DataFrame.to_csv()`` writes the index by default, as an unnamed first column holding
    0, 1, 2, …; trained on, the row number becomes a feature (and a strong, meaningless one when
    the rows are sorted by class). Such a column — unnamed, integer, distinct row numbers: 0, 1,
    2, … or, written after a shuffle or a split, the same numbers in another order or some of
    them — is dropped (a real feature always has a name in its header). Anything else stays a
    feature.
    """
    import pandas as pd

    if df.shape[1] == 0 or df.shape[0] == 0:
        return df
    first = str(df.columns[0])
    col = df.iloc[:, 0]
    if (
        first == label
        or first.strip() not in _INDEX_NAMES
        or not pd.api.types.is_integer_dtype(col)
    ):
        return df
    numbers = col.to_numpy()
    if np.array_equal(numbers, np.arange(df.shape[0])):
        held = f"the row numbers 0–{df.shape[0] - 1}"
    elif numbers.min() >= 0 and np.unique(numbers).size == numbers.size:
        # how they came to be is said only where the numbers show it: 1000–1099 in order is
        # a frame's own index, not a shuffle
        rising = bool(np.all(np.diff(numbers) > 0))
        how = (
            "in order, some left out (a split)"
            if rising and numbers.max() - numbers.min() + 1 > numbers.size
            else "in order"
            if rising
            else "in the order of a shuffle or a split"
        )
        held = f"{numbers.size} distinct row numbers ({numbers.min()}–{numbers.max()}, {how})"
    else:
        return df
    warnings.warn(
        f"{source}: dropped the first column {first!r}: it holds {held}, a saved index, not a "
        "feature (write the file with index=False to avoid it).",
        stacklevel=user_stacklevel(),
    )
    return df.iloc[:, 1:]


def frame_dataset(
    df: Any,
    source: str,
    label: str,
    wanted: Sequence[str] | None,
    require_labels: bool,
    drop: Sequence[str] = (),
    used: Sequence[str] = (),
) -> Dataset:
    """A pandas DataFrame → Dataset: numeric feature columns and an optional label column.

    With ``wanted`` (a model's feature names) exactly those columns are taken, and any other
    (but the label, ``drop`` and ``used``) is said to be left out: a test file of another
    layout is most often the wrong file; otherwise every column but the label and those in
    ``drop`` (``--drop``; a saved row index dropped, see :func:`drop_saved_index`).
    """
    every = [str(c) for c in df.attrs.get("columns", df.columns)]  # a Parquet file's unread
    index = df.attrs.get("index", ())  # a Parquet file's named pandas index
    df = df.set_axis([str(c) for c in df.columns], axis=1)
    df.attrs = {}  # pandas deep-copies attrs into every column taken: 20,000 names each time
    if df.shape[0] == 0:
        raise DataError(f"{source}: no examples (no data rows); add one row per example.")
    if wanted is None:
        df = drop_saved_index(df, source, label)
    cols = list(df.columns)
    y, classes = _table_labels(df, source, label, require_labels)
    odd = next((c for c in cols if has_control_characters(c)), None)
    if odd is not None:  # names are printed (errors, the report): no forged lines
        raise DataError(
            f"{source}: the column name {odd[:100]!r} holds control characters; rename it."
        )
    if wanted is not None:
        features = list(wanted)
        absent = [c for c in features if c not in cols]
        if absent:
            separator = _other_separator(list(df.columns))
            near = nearest(absent[0], [c for c in cols if c not in features], cutoff=0.75)
            fix = (
                f"the header looks {separator!r}-separated, and lrnn reads comma-separated "
                "files: save it with commas"
                if separator
                else f"the file has {clip(near)!r}: rename it to {absent[0]!r} if it is that column"
                if near
                else "add them (extra columns are ignored)"
            )
            raise DataError(
                f"{source}: missing feature column(s) {quoted(absent)} that the model was "
                f"trained on; {fix}."
            )
        # (a named index is no column to its writer: not said as left out)
        known = {*features, label, *drop, *used, *index}
        say_columns_left_out(source, every, known, len(features))
    else:
        # a named index that --drop names is left out as asked, without the warning
        dropped = [c for c in index if c in drop]
        left = index_left_out(source, [c for c in index if c not in drop], [label])
        features = [c for c in cols if c != label and c not in left and c not in dropped]
        if not features:
            raise DataError(f"{source}: no feature columns besides '{label}'; add features.")
        if others := [c for c in drop if c not in dropped]:  # before the values are looked at:
            from lrnn.data.columns import kept_columns  # a column of text IDs is what it is for

            features = kept_columns(features, label, others, source)
    check_numeric(df, source, features)
    X = df[features].to_numpy(dtype=np.float64, na_value=np.nan)
    check_finite(X, source, features)
    spec = Preprocessing(kind="table", feature_names=tuple(features), label_column=label)
    if drop and wanted is None:  # the files scored after it may have them too
        spec = replace(spec, dropped=tuple(drop))
    names = row_names(X.shape[0])
    return Dataset(np.ascontiguousarray(X), y, classes, names, spec, source)


def say_columns_left_out(source: str, every: Sequence[str], known: set, features: int) -> None:
    """Columns of a table scored by a model that it was not trained on (``known``: its
    features and the columns read or dropped for a reason), said: a test file of another
    layout is most often the wrong file."""
    extra = [c for c in every if c not in known]
    if extra[:1] == list(every[:1]) and every[0].strip() in _INDEX_NAMES:
        extra = extra[1:]  # a saved row index, left out in training as well
    if extra:
        warnings.warn(
            f"{source}: {len(extra)} column(s) the model was not trained on are left out "
            f"({quoted(extra)}); it reads its {features} by name.",
            stacklevel=user_stacklevel(),
        )


def _table_labels(
    df: Any, source: str, label: str, require_labels: bool
) -> tuple[np.ndarray | None, tuple | None]:
    """(y, classes) from the label column, or (None, None) when there is none.

    Without ``require_labels`` (data to predict on) the label column is optional and ignored
    when it cannot be used — blanks, more than two classes — since nothing needs it.
    """
    values = label_values(df, source, label, require_labels)
    if values is None:
        return None, None
    try:
        return encode_labels(values, source, f"label column '{label}'")
    except DataError:
        if require_labels:
            raise
        return None, None


def _other_separator(names: Sequence[Any]) -> str | None:
    """';', tab or '|' when a header read as one column holds it: a file saved with another
    separator than the comma lrnn reads."""
    if len(names) != 1:
        return None
    return next((c for c in ";\t|" if c in str(names[0])), None)


def label_values(df: Any, source: str, label: str, require_labels: bool) -> np.ndarray | None:
    """The label column's values (numbers stay numbers, so 1 is not read as "1.0"), or None
    when there is none or, without ``require_labels``, when a label is blank."""
    import pandas as pd

    if label not in df.columns:
        if require_labels:
            separator = _other_separator(list(df.columns))
            near = nearest(label, [str(c) for c in df.columns], cutoff=0.75)
            fix = (
                f"the header looks {separator!r}-separated, and lrnn reads comma-separated "
                "files: save it with commas"
                if separator
                else f"give --label '{clip(near)}' if that is the column meant"
                if near
                else "name the label column with --label"
            )
            if _numbers_only([str(c) for c in df.columns]):
                fix = "the first line holds numbers: add a header row that names the columns"
            raise DataError(
                f"{source}: no label column '{label}'; the columns are {quoted(list(df.columns))}"
                f" — {fix}."
            )
        return None
    col = df[label]
    missing = col.isna().to_numpy()
    if missing.any():
        if not require_labels:
            return None
        csv = str(source).lower().endswith(".csv")
        also = " (or NA, None, null or N/A, which a CSV reader takes for missing)" if csv else ""
        raise DataError(
            f"{source}: label column '{label}' is empty{also} in row "
            f"{int(missing.argmax()) + 1}; every example needs a label — fill it in (a class "
            "called NA needs another spelling, such as 'na') or drop that row."
        )
    if pd.api.types.is_numeric_dtype(col):
        return np.asarray(col.to_numpy())
    # a Parquet column of lists or structs: its values' text would become class names (looked
    # for only where pandas does not already see text alone: a Python walk of a million labels
    # takes seconds)
    plain = pd.api.types.infer_dtype(col, skipna=True) in ("string", "bytes", "boolean")
    nested = None if plain else next((v for v in col.to_numpy() if isinstance(v, _NESTED)), None)
    if nested is not None:
        if not require_labels:
            return None
        kind, shown = ("struct", nested) if isinstance(nested, dict) else ("list", list(nested))
        raise DataError(
            f"{source}: label column '{label}' holds {kind}s (e.g. {clip(repr(shown))}), not "
            "one label per example; give a column of plain labels (text or numbers)."
        )
    try:
        return np.asarray(col.astype(str))
    except UnicodeDecodeError as e:  # raw bytes (a Parquet binary column) that are not text
        bad = (i for i, v in enumerate(col, 1) if isinstance(v, bytes) and not _is_utf8(v))
        row = next(bad, None)
        where = "a value" if row is None else f"row {row}"
        raise DataError(
            f"{source}: label column '{label}' {where} is not UTF-8 text ({e.reason}); "
            "store the labels as text (UTF-8 strings) or numbers."
        ) from e


#: Values that hold several (a list, a struct): no one label.
_NESTED = (dict, list, tuple, set, np.ndarray)


def _is_utf8(blob: bytes) -> bool:
    try:
        blob.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
